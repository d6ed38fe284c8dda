#!/usr/bin/env bash
# The PostgreSQL tests (issue 12) against a real, throw-away server.
#
# Installs Debian's `postgresql` when `initdb` is missing, initdb's into a
# temporary folder, starts the server on a loopback port (as the `postgres`
# user when run as root), exports DESENSITIZE_PG_URL, runs the tests that
# need it, and stops the server and removes the folder on exit.
#
#   scripts/ci/ci-postgres.sh            # the PG, tracing and sqlx-SQLite tests
#   BENCH=1 scripts/ci/ci-postgres.sh    # then the rotation benchmark (scripts/bench/bench-rotation.sh)
#   KEEP=1 scripts/ci/ci-postgres.sh -- sleep 3600   # a server for manual runs
set -euo pipefail
cd "$(dirname "$0")/../.."

find_pg_bin() {
    local d best=""
    for d in /usr/lib/postgresql/*/bin; do
        [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && best="$d"
    done
    echo "$best"
}

PG_BIN="$(find_pg_bin)"
if [ -z "$PG_BIN" ]; then
    echo "ci-postgres: installing postgresql (initdb not found)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq postgresql postgresql-client >/dev/null
    PG_BIN="$(find_pg_bin)"
fi
[ -n "$PG_BIN" ] || { echo "ci-postgres: no PostgreSQL server binaries after install" >&2; exit 1; }
# diesel's PgConnection (feature diesel-libpq) links libpq: pq-sys finds it
# through pkg-config or pg_config, both from libpq-dev.
if ! dpkg -s libpq-dev >/dev/null 2>&1; then
    echo "ci-postgres: installing libpq-dev (for diesel's PgConnection)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq libpq-dev >/dev/null
fi
command -v psql >/dev/null || { apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-client >/dev/null; }
PG_DUMP="$PG_BIN/pg_dump"
[ -x "$PG_DUMP" ] || PG_DUMP="$(command -v pg_dump)"

# postgres refuses to run as root: run the server as `postgres` then.
RUN_AS=()
if [ "$(id -u)" = 0 ]; then
    id -u postgres >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin postgres
    RUN_AS=(runuser -u postgres --)
fi

DIR="$(mktemp -d /tmp/desensitize-pg.XXXXXX)"
chmod 755 "$DIR"
[ "${#RUN_AS[@]}" -gt 0 ] && chown postgres "$DIR"
DATA="$DIR/data"

stop_server() {
    "${RUN_AS[@]}" "$PG_BIN/pg_ctl" -D "$DATA" -m immediate -w stop >/dev/null 2>&1 || true
    rm -rf "$DIR"
}
trap stop_server EXIT

"${RUN_AS[@]}" "$PG_BIN/initdb" -D "$DATA" -U postgres -A trust -E UTF8 --no-sync >"$DIR/initdb.log" 2>&1 \
    || { cat "$DIR/initdb.log" >&2; exit 1; }

# A free loopback port: PGPORT if set, else the first of 54329.. not in use.
PORT="${PGPORT:-54329}"
while (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; do PORT=$((PORT + 1)); done

# Durability off: a throw-away test server, where speed is what matters.
"${RUN_AS[@]}" "$PG_BIN/pg_ctl" -D "$DATA" -w -t 60 -l "$DIR/server.log" \
    -o "-c listen_addresses=127.0.0.1 -p $PORT -k $DIR -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=50" \
    start >/dev/null || { cat "$DIR/server.log" >&2; exit 1; }

export DESENSITIZE_PG_URL="postgres://postgres@127.0.0.1:$PORT/postgres"
export DESENSITIZE_PG_DUMP="$PG_DUMP"
echo "ci-postgres: PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PORT"

if [ "${1:-}" = "--" ]; then
    shift
    "$@"
    exit
fi

FEATURES="sqlx,diesel-libpq,tracing"
cargo test -p desensitize --features "$FEATURES" \
    --test postgres_store --test postgres_columns --test postgres_diesel --test postgres_access --test tracing_logs --test access \
    --test sqlite_sqlx
# The guide's sqlx recipe compiles only with the feature (no_run: no server needed).
cargo test -p desensitize --features "$FEATURES" --doc -- guide::cookbook::postgres
cargo test -p desensitize-cli --features postgres --test db_rotate
# `desensitize scan --table` over a real table (issue 19).
cargo test -p desensitize-cli --features postgres --test commands -- scan::

if [ "${BENCH:-0}" = 1 ]; then
    cargo run -q --release -p desensitize --features sqlx --example postgres_store -- bench 100000
fi
