"""Where `open` and `reidentify` record their events (issue 20, items 3 and
4): never nowhere. The default sink, standard error, refuses (the call
raises, returning nothing) when stderr is closed or /dev/null; an
`audit_log=PATH` is created 0600, never through a symbolic link, and
never /dev/null."""

import json
import os
import stat
import subprocess
import sys

import pyarrow as pa
import pytest

import desensitize as dz

PHONE = "13800138000"

# A child Python: opens the keyring with the default audit sink (stderr),
# seals one phone number, then opens and reidentifies it; prints to stdout
# what each call gave back, as JSON.
CHILD = r"""
import json, os, sys
import pyarrow as pa
import desensitize as dz

keys, pass_file, phone, when = sys.argv[1:5]
k = dz.Keyring.open(keys, passphrase_file=pass_file)
values = pa.array([phone])
sealed = dz.seal(values, "mobile_phone", k, table="t", column="c", on_invalid="raise")
fpe = dz.fpe(values, "mobile_phone", k, domain="d", on_invalid="raise")
if when == "later":
    # Standard error goes to /dev/null after the keyring (and its sink) was made.
    os.dup2(os.open(os.devnull, os.O_WRONLY), 2)
out = {}
for name, call in [
    ("open", lambda: dz.open(sealed, "mobile_phone", k, table="t", column="c", purpose="test", on_invalid="raise")),
    ("reidentify", lambda: dz.reidentify(fpe, "mobile_phone", k, domain="d", purpose="test", on_invalid="raise")),
]:
    try:
        out[name] = {"returned": call().to_pylist()}
    except dz.DesensitizeError as e:
        out[name] = {"raised": str(e)}
print(json.dumps(out))
"""


def run_child(keyfiles, stderr_setup, when="start"):
    keys, pass_file = keyfiles
    args = [sys.executable, "-c", CHILD, str(keys), str(pass_file), PHONE, when]
    done = subprocess.run(args, capture_output=False, stdout=subprocess.PIPE, text=True, **stderr_setup)
    assert done.returncode == 0, done
    return json.loads(done.stdout)


def close_stderr():
    os.close(2)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="checks file descriptor 2 (Unix)")
@pytest.mark.parametrize(
    "where,setup",
    [
        ("/dev/null", {"stderr": subprocess.DEVNULL}),
        ("closed", {"preexec_fn": close_stderr}),
        # Checked at every event, not once: a long-lived process stays covered.
        ("later", {"stderr": subprocess.PIPE}),
    ],
)
def test_open_and_reidentify_raise_when_stderr_records_nothing(keyfiles, where, setup):
    out = run_child(keyfiles, setup, "later" if where == "later" else "start")
    for call in ("open", "reidentify"):
        assert "returned" not in out[call], f"{call} returned plaintext with stderr {where}: {out}"
        assert "audit event not recorded" in out[call]["raised"], out
        assert PHONE not in out[call]["raised"]


def test_with_stderr_a_pipe_the_same_calls_open_and_audit(keyfiles):
    keys, pass_file = keyfiles
    args = [sys.executable, "-c", CHILD, str(keys), str(pass_file), PHONE, "start"]
    done = subprocess.run(args, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out == {"open": {"returned": [PHONE]}, "reidentify": {"returned": [PHONE]}}
    events = [json.loads(line) for line in done.stderr.splitlines() if line.startswith("{")]
    assert [e["outcome"] for e in events] == ["opened", "opened"]
    assert PHONE not in done.stderr


def opened_into(keyring, log):
    sealed = dz.seal(pa.array([PHONE]), "mobile_phone", keyring, table="t", column="c", on_invalid="raise")
    got = dz.open(sealed, "mobile_phone", keyring, table="t", column="c", purpose="test", on_invalid="raise")
    assert got.to_pylist() == [PHONE]
    return [json.loads(line) for line in log.read_text().splitlines()]


@pytest.mark.skipif(os.name != "posix", reason="Unix modes and links")
def test_audit_log_is_created_0600_under_umask_022(keyfiles, tmp_path):
    keys, pass_file = keyfiles
    log = tmp_path / "audit.jsonl"
    old = os.umask(0o022)
    try:
        k = dz.Keyring.open(keys, passphrase_file=pass_file, audit_log=log)
    finally:
        os.umask(old)
    assert stat.S_IMODE(log.stat().st_mode) == 0o600
    assert len(opened_into(k, log)) == 1


@pytest.mark.skipif(os.name != "posix", reason="Unix links")
def test_audit_log_through_a_symlink_is_refused(keyfiles, tmp_path):
    keys, pass_file = keyfiles
    target = tmp_path / "elsewhere"
    target.write_text("")
    (tmp_path / "link.jsonl").symlink_to(target)
    (tmp_path / "dangling.jsonl").symlink_to(tmp_path / "missing")
    for link in ("link.jsonl", "dangling.jsonl"):
        with pytest.raises(dz.DesensitizeError, match="symbolic link"):
            dz.Keyring.open(keys, passphrase_file=pass_file, audit_log=tmp_path / link)
    assert target.read_text() == "", "an existing link's target was appended to"
    assert not (tmp_path / "missing").exists(), "a dangling link's target was created"


@pytest.mark.skipif(not os.path.exists("/dev/null"), reason="needs /dev/null")
def test_audit_log_dev_null_is_refused(keyfiles):
    keys, pass_file = keyfiles
    with pytest.raises(dz.DesensitizeError, match="records nothing"):
        dz.Keyring.open(keys, passphrase_file=pass_file, audit_log="/dev/null")
