"""The keyring cache saves Argon2id, never the check of the secret (issue 20,
item 5): after one good open, a wrong or missing passphrase, a changed
environment key and another provider object with the same id are each
checked as on a first open."""

import base64
import time

import pyarrow as pa
import pytest

import desensitize as dz

from conftest import PASSPHRASE

PHONES = pa.array(["13800138000"])


def test_a_wrong_passphrase_after_a_good_one_is_refused(keyfiles, monkeypatch):
    keys, _ = keyfiles
    monkeypatch.setenv("DZ_CACHE_PASS", PASSPHRASE)
    good = dz.Keyring.open(keys, passphrase_env="DZ_CACHE_PASS")
    assert good.keys() == [(1, "active", "aes")]

    monkeypatch.setenv("DZ_CACHE_PASS", PASSPHRASE + "-wrong")
    with pytest.raises(dz.DesensitizeError, match="keyring file"):
        dz.Keyring.open(keys, passphrase_env="DZ_CACHE_PASS")

    monkeypatch.delenv("DZ_CACHE_PASS")
    with pytest.raises(dz.DesensitizeError, match="DZ_CACHE_PASS is not set"):
        dz.Keyring.open(keys, passphrase_env="DZ_CACHE_PASS")


def test_a_wrong_passphrase_file_after_a_good_one_is_refused(keyfiles, tmp_path):
    keys, _ = keyfiles
    pass_file = tmp_path / "pass.txt"
    pass_file.write_text(PASSPHRASE + "\n")
    dz.Keyring.open(keys, passphrase_file=pass_file)
    pass_file.write_text("not the passphrase\n")
    with pytest.raises(dz.DesensitizeError, match="keyring file"):
        dz.Keyring.open(keys, passphrase_file=pass_file)


def test_the_good_passphrase_again_is_served_from_the_cache(keyfiles, monkeypatch):
    # The saving kept: a second open with the right passphrase skips Argon2id.
    keys, _ = keyfiles
    monkeypatch.setenv("DZ_CACHE_AGAIN", PASSPHRASE)
    start = time.perf_counter()
    dz.Keyring.open(keys, passphrase_env="DZ_CACHE_AGAIN")
    first = time.perf_counter() - start
    start = time.perf_counter()
    again = dz.Keyring.open(keys, passphrase_env="DZ_CACHE_AGAIN")
    assert again.keys() == [(1, "active", "aes")]
    assert time.perf_counter() - start < first / 5, "the cached open ran Argon2id again"


def test_from_env_reads_the_environment_every_time(monkeypatch):
    monkeypatch.setenv("DZ_CACHE_KEY", base64.b64encode(bytes(range(32))).decode())
    monkeypatch.delenv("DZ_CACHE_KEY_ID", raising=False)
    first = dz.Keyring.from_env("DZ_CACHE_KEY", "DZ_CACHE_KEY_ID")
    sealed = dz.seal(PHONES, "mobile_phone", first, table="t", column="c", on_invalid="raise")

    # Another key in the variable: its keyring cannot open what the first sealed.
    monkeypatch.setenv("DZ_CACHE_KEY", base64.b64encode(bytes(range(1, 33))).decode())
    second = dz.Keyring.from_env("DZ_CACHE_KEY", "DZ_CACHE_KEY_ID")
    opened, reasons = dz.open(sealed, "mobile_phone", second, table="t", column="c", purpose="test")
    assert opened.to_pylist() == [None] and reasons[0].as_py() is not None

    monkeypatch.setenv("DZ_CACHE_KEY_ID", "5")
    assert dz.Keyring.from_env("DZ_CACHE_KEY", "DZ_CACHE_KEY_ID").keys() == [(5, "active", "aes")]

    monkeypatch.delenv("DZ_CACHE_KEY")
    with pytest.raises(dz.DesensitizeError, match="not set"):
        dz.Keyring.from_env("DZ_CACHE_KEY", "DZ_CACHE_KEY_ID")


class CountingXor:
    """A toy provider (XOR is NOT protection) that counts its unwraps."""

    id = "test-cache-xor"

    def __init__(self):
        self.unwraps = 0

    def wrap(self, key: bytes) -> bytes:
        return bytes(b ^ 0x5A for b in key)

    def unwrap(self, wrapped: bytes) -> bytes:
        self.unwraps += 1
        return bytes(b ^ 0x5A for b in wrapped)


class RefusingProvider:
    """Same id as CountingXor, but it cannot unwrap (no KMS permission, say)."""

    id = CountingXor.id

    def wrap(self, key: bytes) -> bytes:
        raise PermissionError("not allowed")

    def unwrap(self, wrapped: bytes) -> bytes:
        raise PermissionError("not allowed")


def test_another_provider_with_the_same_id_must_unwrap(keyring, tmp_path):
    path = tmp_path / "kms.dzk"
    saver = CountingXor()
    keyring.save(path, saver)
    first = CountingXor()
    assert dz.Keyring.open(path, provider=first).keys() == keyring.keys()
    assert first.unwraps > 0

    with pytest.raises(dz.DesensitizeError, match="key provider"):
        dz.Keyring.open(path, provider=RefusingProvider())

    second = CountingXor()
    assert dz.Keyring.open(path, provider=second).keys() == keyring.keys()
    assert second.unwraps > 0, "keys handed to a provider that was never asked to unwrap"

    # The same object again is served from the cache.
    before = second.unwraps
    dz.Keyring.open(path, provider=second)
    assert second.unwraps == before


def test_a_rotated_file_is_read_again(keyfiles, cli, tmp_path, monkeypatch):
    # The cache follows the file: after `keys rotate` rewrote it, the same
    # passphrase gets the new keys, not the ones read first.
    keys, pass_file = keyfiles
    copy = tmp_path / "keys.dzk"
    copy.write_bytes(keys.read_bytes())
    monkeypatch.setenv("DZ_CACHE_ROTATE", PASSPHRASE)
    assert dz.Keyring.open(copy, passphrase_env="DZ_CACHE_ROTATE").keys() == [(1, "active", "aes")]
    cli("keys", "rotate", "--keys", copy, "--passphrase-file", pass_file)
    again = dz.Keyring.open(copy, passphrase_env="DZ_CACHE_ROTATE")
    assert again.keys() == [(1, "decrypt-only", "aes"), (2, "active", "aes")]


class OtherXor(CountingXor):
    """The same wrapping as CountingXor under another id."""

    id = "test-cache-other"


def test_the_file_records_the_provider_id_and_another_id_is_refused(keyring, tmp_path):
    path = tmp_path / "kms-id.dzk"
    keyring.save(path, CountingXor())
    assert CountingXor.id.encode() in path.read_bytes()
    with pytest.raises(dz.DesensitizeError, match="key provider"):
        dz.Keyring.open(path, provider=OtherXor())
