#!/usr/bin/env bash
# Rotation throughput: ROWS users (default 100,000; three sealed columns and
# a blind index each) re-sealed by `desensitize::db::rotate` against a
# throw-away local PostgreSQL server (started by ci-postgres.sh), release build.
# Prints `rotation: N rows, R rows/s`.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROWS="${1:-100000}"
exec scripts/ci/ci-postgres.sh -- \
    cargo run -q --release -p desensitize --features sqlx --example postgres_store -- bench "$ROWS"
