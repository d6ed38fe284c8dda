"""Shared fixtures: the CLI (the parity reference), a keyring file it made,
and `desensitize fake` rows as a pyarrow table of strings."""

import os
import pathlib
import subprocess

import pyarrow as pa
import pyarrow.csv as pacsv
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
PASSPHRASE = "python-tests-passphrase"


def _cli_path() -> pathlib.Path:
    given = os.environ.get("DESENSITIZE_CLI")
    if given:
        return pathlib.Path(given)
    subprocess.run(["cargo", "build", "-q", "-p", "desensitize-cli"], cwd=ROOT, check=True)
    target = pathlib.Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    return target / "debug" / "desensitize"


@pytest.fixture(scope="session")
def cli():
    """Run the CLI: cli(*args, input=str) -> stdout (raises on a non-zero exit)."""
    path = _cli_path()

    def run(*args, input=None, check=True):
        done = subprocess.run(
            [str(path), "-q", *map(str, args)], input=input, capture_output=True, text=True
        )
        if check and done.returncode != 0:
            raise AssertionError(f"desensitize {args[0]} failed ({done.returncode}): {done.stderr}")
        return done

    return run


@pytest.fixture(scope="session")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("desensitize")


@pytest.fixture(scope="session")
def keyfiles(cli, workdir):
    """(keyring file, passphrase file), made by `desensitize keygen`."""
    pass_file = workdir / "pass.txt"
    pass_file.write_text(PASSPHRASE + "\n")
    keys = workdir / "keys.dzk"
    cli("keygen", "--out", keys, "--passphrase-file", pass_file)
    return keys, pass_file


@pytest.fixture(scope="session")
def keyring(keyfiles, workdir):
    import desensitize as dz

    keys, pass_file = keyfiles
    return dz.Keyring.open(keys, passphrase_file=pass_file, audit_log=workdir / "audit.jsonl")


def read_csv(path) -> pa.Table:
    """A CSV with every column read as a string (empty cells as nulls)."""
    with open(path, "rb") as f:
        header = f.readline().decode().strip().split(",")
    opts = pacsv.ConvertOptions(column_types={h: pa.string() for h in header}, strings_can_be_null=True)
    return pacsv.read_csv(path, convert_options=opts)


@pytest.fixture(scope="session")
def fake_csv(cli, workdir):
    path = workdir / "fake.csv"
    cli("fake", "--rows", 300, "--seed", 11, "-o", path)
    return path


@pytest.fixture(scope="session")
def fake(fake_csv) -> pa.Table:
    return read_csv(fake_csv)
