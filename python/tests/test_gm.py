"""A `gm` keyring (SM4/SM3, SPEC.md §12) through Python: `keys()` names each
key's suite; seal/open, tokens, blind indexes and FPE run under it and agree
with the CLI on the same keyring file; a keyring rotated from `aes` to `gm`
(`keys rotate --suite gm`) still opens what the `aes` key sealed, and new
seals move to the `gm` key. (Python has no subject-key API: subject seals
under `gm` are tested in Rust, src/keys/subject_tests.rs.)"""

import pyarrow as pa
import pytest

import desensitize as dz

PHONES = pa.array(["13800138000", "13900139000"])
IDS = pa.array(["11010519491231002X"])


def lines(array: pa.Array) -> str:
    return "\n".join(array.to_pylist()) + "\n"


@pytest.fixture(scope="module")
def gm_files(cli, workdir):
    pass_file = workdir / "gm-pass.txt"
    pass_file.write_text("gm-passphrase\n")
    keys = workdir / "gm.dzk"
    cli("keygen", "--suite", "gm", "--out", keys, "--passphrase-file", pass_file)
    return keys, pass_file


def open_gm(gm_files, workdir):
    keys, pass_file = gm_files
    return dz.Keyring.open(keys, passphrase_file=pass_file, audit_log=workdir / "gm-audit.jsonl")


def test_keys_name_each_suite(gm_files, workdir):
    assert open_gm(gm_files, workdir).keys() == [(1, "active", "gm")]


def test_seal_open_token_index_and_fpe_under_gm_agree_with_the_cli(cli, gm_files, workdir):
    keyring = open_gm(gm_files, workdir)
    keyargs = ["--keys", gm_files[0], "--passphrase-file", gm_files[1]]
    ctx = ["--table", "users", "--column", "phone"]
    sealed = dz.seal(PHONES, "mobile_phone", keyring, table="users", column="phone", on_invalid="raise")
    assert all(s.startswith("dz1.Ag") for s in sealed.to_pylist()), "envelope v2"
    back = dz.open(sealed, "mobile_phone", keyring, table="users", column="phone", purpose="t",
                   on_invalid="raise")
    assert back == PHONES
    by_cli = cli("open", "--kind", "mobile_phone", *keyargs, *ctx, "--purpose", "t",
                 "--audit", workdir / "gm-cli-audit.jsonl", input=lines(sealed)).stdout
    assert by_cli == lines(PHONES)
    # Another place refuses, with the keyed check's precise cause.
    _, why = dz.open(sealed, "mobile_phone", keyring, table="users", column="other", purpose="t")
    assert all("another context" in w for w in why.to_pylist())

    tokens = dz.pseudonym(PHONES, "mobile_phone", keyring, domain="analytics", on_invalid="raise")
    assert lines(tokens) == cli("pseudonym", "--kind", "mobile_phone", *keyargs, "--domain", "analytics",
                                input=lines(PHONES)).stdout
    index = dz.blind_index(PHONES, "mobile_phone", keyring, domain="users.phone", bits=16, on_invalid="raise")
    assert len(index[0].as_py()) == 4
    pseudo = dz.fpe(IDS, "id_number", keyring, domain="analytics", on_invalid="raise")
    dz.validate(pseudo, "id_number", on_invalid="raise")
    again = dz.reidentify(pseudo, "id_number", keyring, domain="analytics", purpose="t", on_invalid="raise")
    assert again == IDS


def test_aes_and_gm_keyrings_give_different_tokens(gm_files, workdir, keyring):
    # HMAC-SHA256 and HMAC-SM3 under different keys.
    gm = open_gm(gm_files, workdir)
    a = dz.pseudonym(PHONES, "mobile_phone", keyring, domain="analytics", on_invalid="raise")
    b = dz.pseudonym(PHONES, "mobile_phone", gm, domain="analytics", on_invalid="raise")
    assert a.to_pylist() != b.to_pylist()


def test_a_keyring_rotated_from_aes_to_gm(cli, workdir):
    pass_file = workdir / "move-pass.txt"
    pass_file.write_text("move-passphrase\n")
    keys = workdir / "move.dzk"
    audit = workdir / "move-audit.jsonl"
    cli("keygen", "--out", keys, "--passphrase-file", pass_file)
    before = dz.Keyring.open(keys, passphrase_file=pass_file, audit_log=audit)
    old = dz.seal(PHONES, "mobile_phone", before, table="t", column="c", on_invalid="raise")

    cli("keys", "rotate", "--suite", "gm", "--keys", keys, "--passphrase-file", pass_file)
    after = dz.Keyring.open(keys, passphrase_file=pass_file, audit_log=audit)
    assert after.keys() == [(1, "decrypt-only", "aes"), (2, "active", "gm")]
    assert dz.open(old, "mobile_phone", after, table="t", column="c", purpose="t", on_invalid="raise") == PHONES
    new = dz.seal(PHONES, "mobile_phone", after, table="t", column="c", on_invalid="raise")
    assert dz.open(new, "mobile_phone", after, table="t", column="c", purpose="t", on_invalid="raise") == PHONES
    # The key that sealed it is the gm key: once the aes key is destroyed
    # (nothing left under it after a re-seal), the new values still open.
    cli("keys", "destroy", "--key-id", "1", "--keys", keys, "--passphrase-file", pass_file, "--remaining", "0")
    gm_only = dz.Keyring.open(keys, passphrase_file=pass_file, audit_log=audit)
    assert gm_only.keys() == [(1, "destroyed", "aes"), (2, "active", "gm")]
    assert dz.open(new, "mobile_phone", gm_only, table="t", column="c", purpose="t", on_invalid="raise") == PHONES
    _, why = dz.open(old, "mobile_phone", gm_only, table="t", column="c", purpose="t")
    assert all("destroyed" in w for w in why.to_pylist())


class SuiteAwareProvider:
    """A toy provider (XOR is NOT protection) that records the suite it was asked to wrap in."""

    id = "test-suite-aware"

    def __init__(self):
        self.suites = []

    def wrap(self, key: bytes) -> bytes:
        raise AssertionError("wrap_in is preferred when the provider has it")

    def wrap_in(self, key: bytes, suite: str) -> bytes:
        self.suites.append(suite)
        return bytes([{"aes": 1, "gm": 2}[suite]]) + bytes(b ^ 0x3C for b in key)

    def unwrap(self, wrapped: bytes) -> bytes:
        return bytes(b ^ 0x3C for b in wrapped[1:])


def test_a_provider_with_wrap_in_is_told_the_suite(gm_files, workdir, keyring):
    provider = SuiteAwareProvider()
    gm = open_gm(gm_files, workdir)
    gm.save(workdir / "gm-kms.dzk", provider)
    keyring.save(workdir / "aes-kms.dzk", provider)
    assert provider.suites == ["gm", "aes"]
    again = dz.Keyring.open(workdir / "gm-kms.dzk", provider=provider)
    assert again.keys() == [(1, "active", "gm")]
    a = dz.pseudonym(PHONES, "mobile_phone", gm, domain="d", on_invalid="raise")
    assert dz.pseudonym(PHONES, "mobile_phone", again, domain="d", on_invalid="raise") == a
