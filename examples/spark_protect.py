"""Protect a CSV of personal data with Apache Spark and `desensitize`.

A record policy (the TOML `desensitize run --policy` reads) is applied with
`df.mapInArrow`: each task hands its Arrow batches to the library's compiled
plan, with no Python object per value. The policy's k-anonymity step, which
needs every partition's class sizes, runs after it as a Spark window (one
shuffle). The result is written as Parquet. One column is also protected
the per-column way, through an Arrow UDF.

    desensitize keygen --out keys.dzk --passphrase-file pass.txt
    desensitize fake --rows 100000 --seed 7 -o users.csv
    python examples/spark_protect.py --input users.csv --policy examples/policy.toml \
        --keys keys.dzk --passphrase-file pass.txt --out users.parquet

Executors open the keyring themselves (it pickles as its path and
passphrase source, never as keys): the keyring and passphrase files must be
readable on every executor (or use `Keyring.from_env` with a root key that
the cluster's secret manager injects). python/tests/test_spark.py runs these
functions on 100,000 rows.
"""

from __future__ import annotations

import argparse

import pyarrow as pa

import desensitize as dz
from desensitize.spark import protect_and_k_anonymize


def spark_session(master: str = "local[*]", app: str = "desensitize"):
    """A Spark session with Arrow batches of a size that suits the library."""
    from pyspark.sql import SparkSession

    return (
        SparkSession.builder.master(master)
        .appName(app)
        .config("spark.sql.execution.arrow.maxRecordsPerBatch", "10000")
        .config("spark.sql.shuffle.partitions", "8")
        .config("spark.ui.enabled", "false")
        .getOrCreate()
    )


def read_strings(spark, csv_path: str):
    """The CSV with every column a string, as the policy expects: no type
    inference (it would turn IDs with a leading zero into numbers)."""
    from pyspark.sql.types import StringType, StructField, StructType

    with open(csv_path, encoding="utf-8") as f:
        header = f.readline().strip().split(",")
    schema = StructType([StructField(h, StringType(), True) for h in header])
    return spark.read.csv(csv_path, header=True, schema=schema, multiLine=False, encoding="UTF-8")


def protect_csv(spark, csv_path: str, policy: dz.Policy, keyring: dz.Keyring, out_path: str):
    """Apply `policy` (with its k-anonymity step, if any) to the CSV and
    write the protected rows as Parquet; returns the protected DataFrame."""
    protected = protect_and_k_anonymize(read_strings(spark, csv_path), policy, keyring)
    protected.write.mode("overwrite").parquet(out_path)
    return spark.read.parquet(out_path)


def masked_phone_udf():
    """The per-column style: an Arrow UDF masking mobile numbers (invalid
    ones become null; use on_invalid="raise" to fail the task instead)."""
    from pyspark.sql.functions import arrow_udf

    @arrow_udf("string")
    def mask_phone(phones: pa.Array) -> pa.Array:
        masked, _reasons = dz.mask(phones, "mobile_phone")
        return masked

    return mask_phone


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--input", required=True)
    p.add_argument("--policy", required=True)
    p.add_argument("--keys", required=True)
    p.add_argument("--passphrase-file", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--master", default="local[*]")
    args = p.parse_args()

    spark = spark_session(args.master)
    with open(args.policy, encoding="utf-8") as f:
        policy = dz.Policy.from_toml(f.read())
    keyring = dz.Keyring.open(args.keys, passphrase_file=args.passphrase_file)
    protected = protect_csv(spark, args.input, policy, keyring, args.out)
    print(f"{protected.count()} rows written to {args.out}")

    phones = read_strings(spark, args.input).select(masked_phone_udf()("mobile").alias("mobile"))
    phones.show(3)
    spark.stop()


if __name__ == "__main__":
    main()
