#!/usr/bin/env bash
# Precision / recall per kind and speed of desensitize::detect on a generated, labelled
# corpus, then Presidio's pattern recognizers on the same documents. One command:
#
#   scripts/detect/quality.sh [DOCS] [SEED]
#
# Needs Python Faker (pip install faker) for the corpus and presidio-analyzer for the
# comparison (each skipped with one line when absent). Builds the example in release mode.
set -euo pipefail
cd "$(dirname "$0")/../.."
docs="${1:-4000}"
seed="${2:-2026}"
out="${TMPDIR:-/tmp}/desensitize-detect"
mkdir -p "$out"
python3 scripts/detect/corpus.py --docs "$docs" --seed "$seed" > "$out/corpus.jsonl"
if [ ! -s "$out/corpus.jsonl" ]; then
    echo "quality.sh: no corpus (Python Faker missing); skipped"
    exit 0
fi
cargo build --quiet --release --example detect_quality
bin=target/release/examples/detect_quality
"$bin" "$out/corpus.jsonl"
"$bin" "$out/corpus.jsonl" --json > "$out/ours.json"
echo
python3 scripts/detect/presidio_compare.py "$out/corpus.jsonl" "$out/ours.json"
