#!/usr/bin/env bash
# CI for re-identification risk (issue 22): install pyCANON into a virtual
# environment under target/ and run the agreement test with it required
# (no skip), then the rest of tests/risk (pruned vs exhaustive lattice
# search, [privacy] policies) and the CLI's `risk` tests.
#
#   bash scripts/ci/ci-risk.sh
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"

python3 -c 'import ensurepip, venv' 2> /dev/null || {
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv > /dev/null
}
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
VENV="$TARGET/ci-risk-venv"
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/python" -m pip install -q pycanon

PYCANON_PYTHON="$VENV/bin/python" DESENSITIZE_REQUIRE_PYCANON=1 \
    cargo test -p desensitize --features stream --test risk
cargo test -p desensitize-cli --test commands risk
