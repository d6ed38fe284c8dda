#!/usr/bin/env bash
# CI for the Python package (issue 10): build and install the wheel
# (`pip install ./python`, i.e. `maturin build --release`), then run its
# pytest suite, the Spark test included (PySpark 4 on local[2], 100,000
# rows). Runs from the repository root on a fresh Debian machine as root,
# installing what is missing: a Rust toolchain, Java 17, python3-venv; the
# Python packages go into a virtual environment under target/.
#
#   bash scripts/ci/ci-python.sh
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
SECONDS=0

apt_install() {
    if [ "$(id -u)" != 0 ]; then
        echo "ci-python: $* missing and not root to install it" >&2
        exit 1
    fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" > /dev/null
}

command -v curl > /dev/null || apt_install curl ca-certificates
if ! command -v cargo > /dev/null; then
    [ -x "$HOME/.cargo/bin/cargo" ] || curl -sSf https://sh.rustup.rs | sh -s -- -y -q --profile minimal
    export PATH="$HOME/.cargo/bin:$PATH"
fi
command -v cc > /dev/null || apt_install build-essential
command -v java > /dev/null || apt_install openjdk-17-jre-headless
python3 -c 'import ensurepip, venv' 2> /dev/null || apt_install python3-venv

TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
VENV="$TARGET/ci-python-venv"
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
PY="$VENV/bin/python"
"$PY" -m pip install -q --upgrade pip
# pandas: PySpark's mapInArrow checks for it (it does not use it here); < 3
# until PySpark supports pandas 3.
"$PY" -m pip install -q maturin pyarrow pytest 'pyspark>=4,<5' 'pandas>=2.2,<3'

# The CLI is the parity reference of the tests.
cargo build -q -p desensitize-cli
export DESENSITIZE_CLI="$TARGET/debug/desensitize"

# The package, as a user installs it (maturin build --release underneath).
"$PY" -m pip install -q --force-reinstall ./python

export PYSPARK_PYTHON="$PY" PYSPARK_DRIVER_PYTHON="$PY"
# Here the Spark test must run, not skip.
export DESENSITIZE_REQUIRE_SPARK=1
"$PY" -m pytest -q -rs python/tests

echo "ci-python: passed in ${SECONDS} s"
