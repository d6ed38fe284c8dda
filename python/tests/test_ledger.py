"""The seal ledger (issue 17): what the package seals, through the column
functions and `protect` (the Spark path), in several processes at once, is
counted in the keyring file's ledger and shown by `desensitize keys list`;
so is a Spark job's (its executors never drop their cached keyring)."""

import json
import multiprocessing
import os

import pyarrow as pa
import pytest

import desensitize as dz

PHONE = "13800138000"
POLICY = """
table = "users"

[columns.id]
action = "keep"

[columns.phone]
kind = "mobile_phone"
action = "seal"
"""
ROWS = 40
WORKERS = 4


def _seal_in_a_process(args):
    """One worker process: a column seal and a protected batch. Its keyring
    stays cached until the process ends and is never dropped, so each call
    must record its own seals (as on a Spark executor)."""
    keys, pass_file = args
    keyring = dz.Keyring.open(keys, passphrase_file=pass_file)
    column = dz.seal(
        pa.array([PHONE] * ROWS), "mobile_phone", keyring, table="t", column="c", on_invalid="raise"
    )
    batch = pa.record_batch({"id": [str(i) for i in range(ROWS)], "phone": [PHONE] * ROWS})
    protected = dz.protect(batch, dz.Policy.from_toml(POLICY), keyring)
    return len(column) + protected.num_rows


def _key_one(cli, keys, pass_file):
    out = cli("keys", "list", "--json", "--keys", keys, "--passphrase-file", pass_file).stdout
    return next(k for k in map(json.loads, out.splitlines()) if k["id"] == 1)


def test_seals_from_several_processes_are_all_counted(cli, tmp_path):
    keys, pass_file = tmp_path / "keys.dzk", tmp_path / "pass.txt"
    pass_file.write_text("ledger-test-passphrase\n")
    cli("keygen", "--out", keys, "--passphrase-file", pass_file)
    assert _key_one(cli, keys, pass_file)["seal_count"] == 0

    with multiprocessing.get_context("spawn").Pool(WORKERS) as pool:
        done = pool.map(_seal_in_a_process, [(str(keys), str(pass_file))] * WORKERS)
    assert done == [2 * ROWS] * WORKERS

    key = _key_one(cli, keys, pass_file)
    assert key["seal_count"] == key["seal_count_ledger"] == 2 * ROWS * WORKERS
    assert key["nonce_budget"] == "within"
    lines = (tmp_path / "keys.dzk.seals").read_text().splitlines()
    # One line per call that sealed: a column and a batch per worker.
    assert len(lines) == 2 * WORKERS, lines
    assert all(line.startswith("dzseals1 1 ") and line.endswith(" python") for line in lines)


def test_spark_executors_record_their_seals(cli, tmp_path):
    """`protect_df` on local[2]: the executors' Python workers keep their
    keyring cached for their whole life; every batch they seal is counted."""
    if not os.environ.get("DESENSITIZE_REQUIRE_SPARK"):
        pytest.importorskip("pyspark", reason="pyspark is not installed (scripts/ci-python.sh installs it)")
    from pyspark.sql import SparkSession

    from desensitize.spark import protect_df

    keys, pass_file = tmp_path / "keys.dzk", tmp_path / "pass.txt"
    pass_file.write_text("ledger-spark-passphrase\n")
    cli("keygen", "--out", keys, "--passphrase-file", pass_file)
    keyring = dz.Keyring.open(keys, passphrase_file=pass_file)
    spark = (
        SparkSession.builder.master("local[2]")
        .appName("desensitize-ledger")
        .config("spark.sql.execution.arrow.maxRecordsPerBatch", "100")
        .config("spark.ui.enabled", "false")
        .getOrCreate()
    )
    rows = 1_000
    try:
        df = spark.createDataFrame([(str(i), PHONE) for i in range(rows)], ["id", "phone"]).repartition(4)
        assert len(protect_df(df, dz.Policy.from_toml(POLICY), keyring).collect()) == rows
    finally:
        spark.stop()  # test_spark.py builds its own session

    key = _key_one(cli, keys, pass_file)
    assert key["seal_count"] == key["seal_count_ledger"] == rows
    lines = (tmp_path / "keys.dzk.seals").read_text().splitlines()
    assert len(lines) >= 4 and all(line.endswith(" python") for line in lines), lines
