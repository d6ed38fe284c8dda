"""``desensitize.privacy.enforce_privacy``: a ``[privacy]`` model over a
Spark DataFrame (its own shuffles) keeps the rows ``desensitize run`` keeps
and refuses, with the same message, the table ``run`` refuses."""

import os
import sys

import pytest

pyspark = pytest.importorskip("pyspark", reason="pyspark is not installed (pip install 'pyspark>=4,<5')")

ROWS = [
    # city, age, diagnosis, salary: class (a, 30) is 3-anonymous and 2-diverse,
    # (b, 40) is 3-anonymous with one diagnosis, (c, 50) a single record.
    ("a", "30", "flu", "3000"),
    ("a", "30", "hiv", "4000"),
    ("a", "30", "flu", "5000"),
    ("b", "40", "hiv", "3000"),
    ("b", "40", "hiv", "3000"),
    ("b", "40", "hiv", "4000"),
    ("c", "50", "gout", "5000"),
] + [("d", "60", dx, "4000") for dx in ["flu", "hiv", "gout", "flu", "hiv", "gout", "flu", "hiv", "gout"]]

POLICY = """
unnamed_columns = "keep"
[privacy]
k = 3
l = 2
sensitive = ["diagnosis"]
quasi_identifiers = ["city", "age"]
max_suppression = {budget}
"""


@pytest.fixture(scope="module")
def spark():
    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    session = SparkSession.builder.master("local[2]").appName("desensitize-privacy").getOrCreate()
    yield session
    session.stop()


def frame(spark):
    return spark.createDataFrame(ROWS, ["city", "age", "diagnosis", "salary"]).repartition(3)


def test_suppresses_within_the_budget(spark):
    from desensitize.privacy import enforce_privacy

    df = frame(spark)
    kept = enforce_privacy(df, ["city", "age"], k=3, l=2, sensitive=["diagnosis"], max_suppression=0.25)
    assert sorted(r["city"] for r in kept.collect()) == ["a"] * 3 + ["d"] * 9
    kept = enforce_privacy(df, ["city", "age"], k=2, max_suppression=0.1)
    assert kept.count() == 15
    # t-closeness, ordered (every salary is a number): class b sits low.
    kept = enforce_privacy(df, ["city"], k=1, t=0.3, sensitive=["salary"], max_suppression=0.5)
    assert "b" not in {r["city"] for r in kept.collect()}


def test_refuses_like_run(spark, cli, workdir):
    from desensitize.privacy import PrivacyError, enforce_privacy

    csv = workdir / "privacy.csv"
    csv.write_text("city,age,diagnosis,salary\n" + "".join(",".join(r) + "\n" for r in ROWS))
    policy = workdir / "privacy.toml"
    policy.write_text(POLICY.format(budget=0.1))
    done = cli("run", "--policy", policy, csv, "-o", workdir / "privacy.out.csv", check=False)
    assert done.returncode == 1
    theirs = done.stderr.strip().removeprefix("desensitize: policy: privacy: ")
    with pytest.raises(PrivacyError) as e:
        enforce_privacy(frame(spark), ["city", "age"], k=3, l=2, sensitive=["diagnosis"], max_suppression=0.1)
    assert str(e.value) == theirs
    assert str(e.value).startswith("class (b, 40) misses l (distinct) of `diagnosis`")
    with pytest.raises(ValueError, match="give both"):
        enforce_privacy(frame(spark), ["city"], k=2, l=2)


def test_policy_privacy_model_and_pickling():
    import pickle

    from desensitize import Policy

    policy = Policy.from_toml(POLICY.format(budget=0.1))
    assert policy.privacy == {
        "quasi_identifiers": ["city", "age"],
        "k": 3,
        "l": 2,
        "diversity": "distinct",
        "sensitive": ["diagnosis"],
        "t": None,
        "max_risk": None,
        "max_suppression": 0.1,
    }
    # What protect_df ships to executors has no model (it runs per batch).
    shipped = pickle.loads(pickle.dumps(policy.without_k_anonymity()))
    assert shipped.k_anonymity is None and shipped.privacy is None
    older = Policy.from_toml('unnamed_columns = "keep"\n[k_anonymity]\nk = 2\nquasi_identifiers = ["a"]\n')
    assert older.privacy is None and older.k_anonymity == (2, ["a"])
