#!/usr/bin/env bash
# CI step of issue 13: benchmarks and the full FF1 differential test.
#
#   bash scripts/ci/ci-bench.sh
#
# 1. Runs every criterion bench of the library (benches/*.rs; `batch` needs
#    the `rayon` feature, `pipeline` the `stream` feature) in a short mode,
#    into a fresh criterion directory.
# 2. Prints one ratio table from criterion's own JSON estimates
#    (scripts/bench/bench-table.py: operation, ours, raw primitive, ratio, target).
#    The same script prints the table after a full `cargo bench`:
#    `python3 scripts/bench/bench-table.py` (reads target/criterion); with
#    `--write` it replaces the table in benches/README.md.
# 3. Runs the crate's FF1 against the `fpe` crate on 1,000,000 random inputs
#    per kind, optimized (tests/crypto/ff1_differential.rs, the --ignored test; the
#    default `cargo test` runs 10,000 per kind).
#
# Fails only if a bench or the test fails to build or run, or an FF1 output
# differs: never on a timing (shared CI machines are noisy).
# Set BENCH_ARGS to change the criterion options (e.g. BENCH_ARGS="" for a full run).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"

if ! command -v python3 > /dev/null 2>&1; then
    echo "ci-bench: installing python3"
    apt-get update -qq && apt-get install -y -qq python3 > /dev/null
fi

BENCH_ARGS="${BENCH_ARGS---quick --warm-up-time 0.2 --measurement-time 0.5 --noplot}"
CRITERION_HOME="$(mktemp -d)/criterion"
export CRITERION_HOME

benches=()
for f in benches/*.rs; do
    benches+=(--bench "$(basename "$f" .rs)")
done

echo "ci-bench: ${benches[*]} (criterion: ${BENCH_ARGS:-defaults})"
# shellcheck disable=SC2086 # BENCH_ARGS is a list of options
cargo bench -p desensitize --features rayon,stream "${benches[@]}" -- $BENCH_ARGS

echo
echo "ci-bench: ratio table (mean per value; a shared machine: read ratios, not absolute times)"
python3 scripts/bench/bench-table.py "$CRITERION_HOME"

echo
echo "ci-bench: FF1 against the fpe crate, 1,000,000 inputs per kind (release)"
cargo test --release -p desensitize --test crypto ff1_differential -- --ignored

echo "ci-bench: OK"
