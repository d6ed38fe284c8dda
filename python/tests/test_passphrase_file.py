"""A passphrase file that others can read gives the CLI's warning (issue 20,
item 12): `Keyring.open(passphrase_file=...)` emits it as a `UserWarning`
through Python's `warnings`, with the file's path and mode and never the
passphrase; an owner-only file opens silently."""

import os
import warnings

import pytest

import desensitize as dz

from conftest import PASSPHRASE

pytestmark = pytest.mark.skipif(os.name != "posix", reason="permission bits are a Unix matter")


def _pass_file(tmp_path, mode):
    path = tmp_path / f"pass-{mode:o}.txt"
    path.write_text(PASSPHRASE + "\n")
    os.chmod(path, mode)
    return path


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604])
def test_a_passphrase_file_readable_by_others_warns_as_the_cli_does(keyfiles, tmp_path, cli, mode):
    keys, _ = keyfiles
    path = _pass_file(tmp_path, mode)
    with pytest.warns(UserWarning) as caught:
        opened = dz.Keyring.open(keys, passphrase_file=path)
    assert opened.keys() == [(1, "active", "aes")], "a warning, not a failure"
    messages = [str(w.message) for w in caught if issubclass(w.category, UserWarning)]
    expected = (
        f"{path}: the passphrase file can be read by its group or by others "
        f"(mode {mode:04o}): make it owner-only (chmod 600)"
    )
    assert messages == [expected]
    assert PASSPHRASE not in messages[0]
    # The same text as the CLI's warning on standard error.
    done = cli("keys", "list", "--keys", keys, "--passphrase-file", path, check=False)
    assert expected in done.stderr


def test_a_warning_is_given_on_a_cached_open_too(keyfiles, tmp_path):
    keys, _ = keyfiles
    path = _pass_file(tmp_path, 0o644)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dz.Keyring.open(keys, passphrase_file=path)
    with pytest.warns(UserWarning, match="make it owner-only"):
        dz.Keyring.open(keys, passphrase_file=path)


def test_an_owner_only_passphrase_file_opens_without_a_warning(keyfiles, tmp_path):
    keys, _ = keyfiles
    path = _pass_file(tmp_path, 0o600)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert dz.Keyring.open(keys, passphrase_file=path).keys() == [(1, "active", "aes")]


def test_warnings_as_errors_refuse_the_open(keyfiles, tmp_path):
    # Python's own switch (`-W error`): the warning raised, nothing returned.
    keys, _ = keyfiles
    path = _pass_file(tmp_path, 0o644)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(UserWarning, match="owner-only"):
            dz.Keyring.open(keys, passphrase_file=path)


def test_an_unreadable_or_binary_passphrase_file_is_named_in_the_error(keyfiles, tmp_path):
    keys, _ = keyfiles
    missing = tmp_path / "missing.txt"
    with pytest.raises(dz.DesensitizeError, match=f"^cannot read passphrase file {missing}: entity not found$"):
        dz.Keyring.open(keys, passphrase_file=missing)
    binary = tmp_path / "binary.txt"
    binary.write_bytes(b"\xff\xfe\x00passphrase\n")
    binary.chmod(0o600)
    with pytest.raises(dz.DesensitizeError, match=f"^cannot read passphrase file {binary}: invalid data$"):
        dz.Keyring.open(keys, passphrase_file=binary)
    empty = tmp_path / "empty.txt"
    empty.write_text("\n")
    empty.chmod(0o600)
    with pytest.raises(dz.DesensitizeError, match=f"^the passphrase file {empty} is empty: write the passphrase"):
        dz.Keyring.open(keys, passphrase_file=empty)
