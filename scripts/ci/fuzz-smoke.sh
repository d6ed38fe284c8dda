#!/usr/bin/env bash
# Smoke-run every cargo-fuzz target in fuzz/ for a short time (CI).
#
#   bash scripts/ci/fuzz-smoke.sh            # 15 s per target
#   FUZZ_SECONDS=60 bash scripts/ci/fuzz-smoke.sh
#
# Needs a nightly toolchain (cargo-fuzz builds with -Zsanitizer=address).
# Without one it prints why fuzzing is skipped and exits 0. Installs
# cargo-fuzz if it is missing. Builds all targets once (release, with
# debug assertions, so integer overflow is a crash too), then runs each from
# its committed seeds (fuzz/corpus/<target>/seed-*) into a scratch corpus
# that is thrown away. Exits 1 if any target crashes, leaks, times out on
# one input (20 s) or fails to build; crash inputs stay in
# fuzz/artifacts/<target>/ (see fuzz/README.md to reproduce and minimize).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
SECONDS_PER_TARGET="${FUZZ_SECONDS:-15}"

if ! cargo +nightly --version > /dev/null 2>&1; then
    echo "fuzz-smoke: SKIPPED: no nightly Rust toolchain (cargo-fuzz needs nightly; 'rustup toolchain install nightly' to enable)"
    exit 0
fi

if ! cargo fuzz --version > /dev/null 2>&1; then
    echo "fuzz-smoke: installing cargo-fuzz"
    cargo install cargo-fuzz --locked
fi

echo "fuzz-smoke: building all targets ($(cargo +nightly --version))"
cargo +nightly fuzz build -O --debug-assertions

# Known LeakSanitizer false positives of threaded targets (glibc's and std's
# thread-local state, freed at thread exit): see fuzz/lsan.supp.
export LSAN_OPTIONS="suppressions=$ROOT/fuzz/lsan.supp${LSAN_OPTIONS:+:$LSAN_OPTIONS}"

scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

# Every file in fuzz/fuzz_targets/ must be a target, so that none is skipped silently.
targets="$(cargo +nightly fuzz list)"
for file in fuzz/fuzz_targets/*.rs; do
    if ! grep -qx "$(basename "$file" .rs)" <<< "$targets"; then
        echo "fuzz-smoke: FAILED: $file is not a [[bin]] of fuzz/Cargo.toml"
        exit 1
    fi
done

failed=()
for target in $targets; do
    echo "fuzz-smoke: $target for ${SECONDS_PER_TARGET}s"
    mkdir -p "$scratch/$target"
    # New inputs go to the first (scratch) directory; the seeds are read only.
    if ! cargo +nightly fuzz run -O --debug-assertions "$target" "$scratch/$target" "fuzz/corpus/$target" -- \
        -max_total_time="$SECONDS_PER_TARGET" -timeout=20 -rss_limit_mb=2048 -print_final_stats=1 \
        > "$scratch/$target.log" 2>&1; then
        # The panic message (or sanitizer report) and libFuzzer's summary.
        grep -m1 -A3 -E 'panicked at|ERROR: AddressSanitizer|ERROR: libFuzzer' "$scratch/$target.log" || true
        grep -m1 -E "Test unit written to" "$scratch/$target.log" || tail -n 12 "$scratch/$target.log"
        failed+=("$target")
        continue
    fi
    grep -E '^stat::number_of_executed_units' "$scratch/$target.log" | sed "s/^/fuzz-smoke: $target /" || true
done

if ((${#failed[@]})); then
    echo "fuzz-smoke: FAILED: ${failed[*]} (inputs in fuzz/artifacts/<target>/)"
    exit 1
fi
echo "fuzz-smoke: all targets ($(echo $targets)) ran ${SECONDS_PER_TARGET}s without a crash (${SECONDS}s in all)"
