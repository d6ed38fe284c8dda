"""A real Spark job: PySpark 4 on local[2] protects 100,000 `fake` rows
with the example policy through mapInArrow (examples/spark_protect.py),
then its k-anonymity step as a Spark window. The deterministic columns
equal `desensitize run`'s output, every sealed cell opens, and the same
records are suppressed as by the library's own k-anonymity step."""

import importlib.util
import os
import sys

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

import desensitize as dz
from conftest import ROOT, read_csv

if os.environ.get("DESENSITIZE_REQUIRE_SPARK"):
    import pyspark  # noqa: F401  (CI: fail, never skip)
pytest.importorskip(
    "pyspark", reason="pyspark is not installed: `pip install 'pyspark>=4'` to run the Spark test "
    "(scripts/ci/ci-python.sh does)"
)

ROWS = 100_000
TODAY = "2026-11-23"


def load_example():
    spec = importlib.util.spec_from_file_location("spark_protect", ROOT / "examples" / "spark_protect.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def spark():
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    session = load_example().spark_session("local[2]", "desensitize-test")
    yield session
    session.stop()


def by_user(table: pa.Table) -> pa.Table:
    order = pc.sort_indices(pc.cast(table["user_id"], pa.int64()))
    return table.take(order)


def test_policy_via_map_in_arrow_matches_cli_run(spark, cli, keyfiles, keyring, workdir):
    example = load_example()
    rows = workdir / "spark-rows.csv"
    cli("fake", "--rows", ROWS, "--seed", 5, "-o", rows)
    # The example policy, on a fixed date, with a k that suppresses some classes of 100,000 rows.
    example_policy = (ROOT / "examples" / "policy.toml").read_text()
    assert "\nk = 5\n" in example_policy
    policy_text = f'today = "{TODAY}"\n' + example_policy.replace("\nk = 5\n", "\nk = 40\n")
    policy_file = workdir / "spark-policy.toml"
    policy_file.write_text(policy_text)
    policy = dz.Policy.from_toml(policy_text)
    assert policy.k_anonymity == (40, ["gender", "age_band", "province"])

    keys, pass_file = keyfiles
    expected_csv = workdir / "spark-expected.csv"
    cli("run", "--policy", policy_file, "--keys", keys, "--passphrase-file", pass_file, rows, "-o", expected_csv)
    expected = by_user(read_csv(expected_csv))
    # The k-anonymity step withholds some rows, so the comparison means something.
    assert 0 < ROWS - expected.num_rows < ROWS // 2

    out = workdir / "spark-protected.parquet"
    example.protect_csv(spark, str(rows), policy, keyring, str(out))
    got = by_user(pq.read_table(out))

    # Same records suppressed, same output columns in the same order.
    assert got.column_names == expected.column_names
    assert got["user_id"].to_pylist() == expected["user_id"].to_pylist()
    # Every deterministic column equals the CLI's, cell for cell.
    for name in expected.column_names:
        if name != "id_number":
            assert got[name].to_pylist() == expected[name].to_pylist(), name
    # Every sealed cell opens, to the original, bound to its row.
    original = by_user(read_csv(rows))
    kept = pc.is_in(original["user_id"], value_set=got["user_id"].combine_chunks())
    opened = dz.open(
        got["id_number"].combine_chunks(), "id_number", keyring, table="users", column="id_number",
        purpose="spark-test", row_ids=got["user_id"].combine_chunks(), on_invalid="raise",
    )
    assert opened == original.filter(kept)["id_number"].combine_chunks()


def test_arrow_udf_masks_a_column_like_the_cli(spark, cli, workdir):
    example = load_example()
    rows = workdir / "spark-udf.csv"
    cli("fake", "--rows", 20_000, "--seed", 9, "-o", rows)
    df = example.read_strings(spark, str(rows))
    masked = df.select("user_id", example.masked_phone_udf()("mobile").alias("mobile")).toArrow()
    masked = by_user(masked)
    phones = by_user(read_csv(rows))["mobile"].to_pylist()
    theirs = cli("mask", "--kind", "mobile_phone", input="\n".join(phones) + "\n").stdout.splitlines()
    assert masked["mobile"].to_pylist() == theirs


def test_k_anonymize_helper_counts_across_partitions(spark):
    from desensitize.spark import k_anonymize

    # One class split over 4 partitions, each part smaller than k: kept whole.
    df = spark.createDataFrame([("a", str(i)) for i in range(6)] + [("b", "x")], ["q", "id"]).repartition(4)
    kept = sorted(r["id"] for r in k_anonymize(df, 5, ["q"]).collect())
    assert kept == [str(i) for i in range(6)]
    with pytest.raises(ValueError, match="k >= 2"):
        k_anonymize(df, 1, ["q"])
