#!/usr/bin/env bash
# The Python package's costs next to Rust's (issue 10):
#
# 1. Per-value cost of `pseudonym` and `seal` over a 1 M-value pyarrow
#    array of mobile numbers (parse, protect, build the output array;
#    best of 3), next to the Rust batch API (`desensitize::batch`, one
#    thread, parse included: examples/batch_cost.rs) on the same values.
#    Target: at most 1.3x the Rust cost.
# 2. Spark `local[2]` rows/s for the policy of scripts/bench/bench-cli.sh
#    (mapInArrow over a `fake` CSV, Parquet written), next to
#    `desensitize run --threads 2` on the same file (best of 3 each; Spark
#    session start-up excluded, keyring loading included in both).
#
#   bash scripts/bench/bench-python.sh [ROWS]     (default 1000000)
#
# Needs the package installed (`pip install ./python`, or
# scripts/ci/ci-python.sh's virtual environment: PYTHON=target/ci-python-venv/bin/python)
# and pyspark for part 2. Not part of CI; wall-clock figures are noisy when
# something else runs.
set -euo pipefail

ROWS="${1:-1000000}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
PY="${PYTHON:-python3}"

cargo build --release -q -p desensitize-cli
cargo build --release -q -p desensitize --example batch_cost
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
BIN="$TARGET/release/desensitize"

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
echo "bench-python-passphrase" > "$WORK/pass"
"$BIN" -q keygen --out "$WORK/keys.dzk" --passphrase-file "$WORK/pass" > /dev/null 2>&1
"$BIN" -q fake --rows "$ROWS" --seed 7 -o "$WORK/rows.csv"
"$PY" -c "
import csv, sys
with open('$WORK/rows.csv', encoding='utf-8') as f, open('$WORK/phones.txt', 'w') as out:
    for row in csv.DictReader(f):
        out.write(row['mobile'] + '\n')
"

echo "== per value, $ROWS mobile numbers, one thread"
"$TARGET/release/examples/batch_cost" "$WORK/phones.txt" | tee "$WORK/rust.txt"
"$PY" - "$WORK" <<'PYTHON' | tee "$WORK/python.txt"
import sys, time
import pyarrow as pa
import desensitize as dz

work = sys.argv[1]
phones = pa.array(open(f"{work}/phones.txt").read().splitlines())
keyring = dz.Keyring.open(f"{work}/keys.dzk", passphrase_file=f"{work}/pass")

def best_ns(f):
    best = float("inf")
    for _ in range(3):
        t = time.perf_counter()
        out = f()
        best = min(best, time.perf_counter() - t)
        assert out.null_count == 0
    return best * 1e9 / len(phones)

p = best_ns(lambda: dz.pseudonym(phones, "mobile_phone", keyring, domain="analytics", on_invalid="raise"))
s = best_ns(lambda: dz.seal(phones, "mobile_phone", keyring, table="users", column="mobile", on_invalid="raise"))
print(f"python_pseudonym_ns {p:.1f}")
print(f"python_seal_ns {s:.1f}")
PYTHON
awk '{ v[$1] = $2 } END {
    printf "pseudonym: python %.0f ns, rust %.0f ns per value: %.2fx (target <= 1.3x)\n",
        v["python_pseudonym_ns"], v["rust_pseudonym_ns"], v["python_pseudonym_ns"] / v["rust_pseudonym_ns"]
    printf "seal:      python %.0f ns, rust %.0f ns per value: %.2fx (target <= 1.3x)\n",
        v["python_seal_ns"], v["rust_seal_ns"], v["python_seal_ns"] / v["rust_seal_ns"]
}' "$WORK/rust.txt" "$WORK/python.txt"

cp "$ROOT/scripts/bench/bench-policy.toml" "$WORK/policy.toml"

echo "== records, $ROWS rows, 2 threads"
"$PY" - "$BIN" "$WORK" "$ROWS" <<'PYTHON'
import subprocess, sys, time

bin, work, rows = sys.argv[1], sys.argv[2], int(sys.argv[3])
best = float("inf")
for _ in range(3):
    t = time.perf_counter()
    subprocess.run([bin, "-q", "run", "--policy", f"{work}/policy.toml", "--keys", f"{work}/keys.dzk",
                    "--passphrase-file", f"{work}/pass", "--threads", "2", f"{work}/rows.csv",
                    "-o", f"{work}/out.csv"], check=True)
    best = min(best, time.perf_counter() - t)
print(f"desensitize run --threads 2 (CSV in, CSV out): {best:.2f} s, {rows / best:.0f} rows/s")
PYTHON

if ! "$PY" -c "import pyspark" 2> /dev/null; then
    echo "Spark: skipped (pyspark is not installed: pip install 'pyspark>=4' 'pandas>=2.2,<3')"
    exit 0
fi
PYSPARK_PYTHON="$PY" "$PY" - "$WORK" "$ROWS" "$ROOT" <<'PYTHON'
import importlib.util, sys, time
import desensitize as dz

work, rows, root = sys.argv[1], int(sys.argv[2]), sys.argv[3]
spec = importlib.util.spec_from_file_location("spark_protect", f"{root}/examples/spark_protect.py")
example = importlib.util.module_from_spec(spec)
spec.loader.exec_module(example)
spark = example.spark_session("local[2]", "desensitize-bench")
spark.sparkContext.setLogLevel("ERROR")
policy = dz.Policy.from_toml(open(f"{work}/policy.toml").read())
keyring = dz.Keyring.open(f"{work}/keys.dzk", passphrase_file=f"{work}/pass")
best = float("inf")
for _ in range(3):
    t = time.perf_counter()
    out = example.protect_csv(spark, f"{work}/rows.csv", policy, keyring, f"{work}/out.parquet")
    best = min(best, time.perf_counter() - t)
assert out.count() == rows
print(f"Spark local[2] mapInArrow (CSV in, Parquet out): {best:.2f} s, {rows / best:.0f} rows/s")
spark.stop()
PYTHON
