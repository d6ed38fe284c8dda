"""The Python package writes the same tamper-evident audit log as the CLI
(issue 21): chained lines that `desensitize audit verify` accepts, one chain
with the CLI's `open --audit` on the same file, and a changed line found."""

import json

import pyarrow as pa

import desensitize as dz

PHONES = pa.array(["13800138000", "13900139000"])


def test_python_and_cli_keep_one_verifiable_chain(cli, keyfiles, tmp_path):
    keys, pass_file = keyfiles
    log = tmp_path / "chain.jsonl"
    keyring = dz.Keyring.open(keys, passphrase_file=pass_file, audit_log=log)
    sealed = dz.seal(PHONES, "mobile_phone", keyring, table="users", column="phone", on_invalid="raise")
    dz.open(sealed, "mobile_phone", keyring, table="users", column="phone", purpose="py", on_invalid="raise")
    cli("open", "--kind", "mobile_phone", "--keys", keys, "--passphrase-file", pass_file,
        "--table", "users", "--column", "phone", "--purpose", "cli", "--audit", log,
        input="\n".join(sealed.to_pylist()) + "\n")
    events = [json.loads(line) for line in log.read_text().splitlines()]
    assert [e["seq"] for e in events] == [1, 2, 3, 4]
    assert [e["purpose"] for e in events] == ["py", "py", "cli", "cli"]
    assert "13800138000" not in log.read_text()
    cli("audit", "verify", log, "--keys", keys, "--passphrase-file", pass_file)

    lines = log.read_text().splitlines()
    lines[1] = lines[1].replace('"purpose":"py"', '"purpose":"xx"')
    log.write_text("\n".join(lines) + "\n")
    done = cli("audit", "verify", log, "--keys", keys, "--passphrase-file", pass_file, check=False)
    assert done.returncode == 1
    assert done.stdout == "line 2: its MAC does not match (changed)\n"
