"""Every column function on valid, invalid and null input, both ways of
handling invalid values, and contexts (table, column, row ids)."""

import json
import pickle
import time

import pyarrow as pa
import pytest

import desensitize as dz

PHONES = pa.array(["13800138000", None, "12345", "13900139000", ""])
IDS = pa.array(["11010519491231002X", "11010519491231002", None])
WRONG_LENGTH = "invalid cn.mobile_phone: wrong length"


def test_validate_keeps_valid_values_and_gives_reasons_for_the_rest():
    values, reasons = dz.validate(PHONES, "mobile_phone")
    assert values.to_pylist() == ["13800138000", None, None, "13900139000", None]
    assert reasons.to_pylist() == [None, None, WRONG_LENGTH, None, "empty value"]


def test_validate_raises_with_the_row_and_the_reason_only():
    with pytest.raises(dz.DesensitizeError) as e:
        dz.validate(PHONES, "mobile_phone", on_invalid="raise")
    assert str(e.value) == f"row 2: {WRONG_LENGTH}"
    ok = dz.validate(pa.array(["13800138000", None]), "mobile_phone", on_invalid="raise")
    assert ok.to_pylist() == ["13800138000", None]


def test_mask_levels_and_nulls():
    values, reasons = dz.mask(PHONES, "mobile_phone")
    assert values.to_pylist() == ["138****8000", None, None, "139****9000", None]
    assert reasons.null_count == 3
    strict = dz.mask(pa.array(["11010519491231002X"]), "id_number", level="strict", on_invalid="raise")
    assert strict.to_pylist() == ["1****************X"]
    with pytest.raises(dz.DesensitizeError, match="level"):
        dz.mask(PHONES, "mobile_phone", level="loose")


def test_large_string_and_empty_arrays():
    values, _ = dz.mask(pa.array(["13800138000"], type=pa.large_string()), "mobile_phone")
    assert values.to_pylist() == ["138****8000"]
    values, reasons = dz.mask(pa.array([], type=pa.string()), "mobile_phone")
    assert len(values) == 0 and len(reasons) == 0
    with pytest.raises(TypeError):
        dz.mask([1, 2], "mobile_phone")
    with pytest.raises(dz.DesensitizeError, match="expected a string array"):
        dz.mask(pa.array([1, 2]), "mobile_phone")


def test_unknown_kind_is_refused():
    with pytest.raises(dz.DesensitizeError, match="kind"):
        dz.mask(PHONES, "shoe_size")


def test_seal_then_open_round_trip_with_row_ids(keyring, workdir):
    ids = pa.array(["7", "8", "9", "10", "11"])
    sealed, reasons = dz.seal(PHONES, "mobile_phone", keyring, table="users", column="phone", row_ids=ids)
    assert reasons.to_pylist() == [None, None, WRONG_LENGTH, None, "empty value"]
    assert sealed[0].as_py().startswith("dz1.") and sealed[1].as_py() is None
    opened, why = dz.open(
        sealed, "mobile_phone", keyring, table="users", column="phone", purpose="test", row_ids=ids
    )
    assert opened.to_pylist() == ["13800138000", None, None, "13900139000", None]
    assert why.null_count == len(why)
    # Another row's id (or none) does not open it: bound to its row.
    moved, why = dz.open(
        sealed, "mobile_phone", keyring, table="users", column="phone", purpose="test",
        row_ids=pa.array(["8", "7", "9", "11", "10"]),
    )
    assert moved.null_count == 5
    assert why[0].as_py() == "sealed value belongs to another context"
    # Every open is audited, with the purpose and never the value.
    events = [json.loads(line) for line in (workdir / "audit.jsonl").read_text().splitlines()]
    phone = [e for e in events if e["context"].get("column") == "phone" and e["purpose"] == "test"]
    assert [e["outcome"] for e in phone] == ["opened", "opened", "refused", "refused"]
    assert [e["context"]["row"] for e in phone] == ["7", "10", "8", "11"]
    assert "13800138000" not in (workdir / "audit.jsonl").read_text()


def test_seal_refuses_the_value_column_as_its_own_row_ids(keyring):
    # A row id is stored in the clear: the value as its own row id would be too
    # (the CLI refuses --row-id-column equal to the value column).
    for ids in (PHONES, pa.array(["1", "2", "3", "13900139000", "5"])):
        for mode in ("null", "raise"):
            with pytest.raises(dz.DesensitizeError, match="the row id is the value itself") as e:
                dz.seal(PHONES, "mobile_phone", keyring, table="t", column="c", row_ids=ids, on_invalid=mode)
            assert "13800138000" not in str(e.value) and "13900139000" not in str(e.value)


def test_open_refuses_garbage_and_raises_on_request(keyring):
    garbage = pa.array(["dz1.AAAA", "not sealed", None])
    opened, why = dz.open(garbage, "mobile_phone", keyring, table="users", column="phone", purpose="t")
    assert opened.to_pylist() == [None, None, None]
    assert why[0].as_py() is not None and why[2].as_py() is None
    with pytest.raises(dz.DesensitizeError, match="^row 0: "):
        dz.open(garbage, "mobile_phone", keyring, table="users", column="phone", purpose="t",
                on_invalid="raise")
    with pytest.raises(ValueError, match="purpose"):
        dz.open(garbage, "mobile_phone", keyring, table="users", column="phone", purpose=" ")


def test_pseudonym_is_deterministic_per_domain(keyring):
    a, _ = dz.pseudonym(PHONES, "mobile_phone", keyring, domain="analytics")
    b, _ = dz.pseudonym(PHONES, "mobile_phone", keyring, domain="analytics")
    c, _ = dz.pseudonym(PHONES, "mobile_phone", keyring, domain="other")
    assert a.to_pylist() == b.to_pylist()
    assert a[0].as_py().startswith("tk1.") and a[0].as_py() != c[0].as_py()
    assert a.to_pylist()[1:3] == [None, None]
    with pytest.raises(dz.DesensitizeError, match="domain"):
        dz.pseudonym(PHONES, "mobile_phone", keyring, domain="Not A Domain!")


def test_blind_index_bits_and_transform(keyring):
    values, reasons = dz.blind_index(PHONES, "mobile_phone", keyring, domain="users.phone", bits=16)
    assert len(values[0].as_py()) == 4 and values[1].as_py() is None
    assert reasons[2].as_py() == WRONG_LENGTH
    last4, _ = dz.blind_index(
        pa.array(["13800138000", "13900138000"]), "mobile_phone", keyring, domain="p4", bits=8,
        transform="last4",
    )
    assert last4[0] == last4[1]


def test_blind_index_old_keyword_name_is_a_deprecated_domain(keyring):
    ours, _ = dz.blind_index(PHONES, "mobile_phone", keyring, domain="users.phone", bits=16)
    with pytest.warns(DeprecationWarning, match="domain="):
        old, _ = dz.blind_index(PHONES, "mobile_phone", keyring, name="users.phone", bits=16)
    assert old.to_pylist() == ours.to_pylist()
    with pytest.raises(TypeError, match="domain"):
        dz.blind_index(PHONES, "mobile_phone", keyring, bits=16)
    with pytest.raises(TypeError, match="not both"):
        dz.blind_index(PHONES, "mobile_phone", keyring, domain="a", name="a", bits=16)


def test_fpe_and_reidentify(keyring):
    pseudo, reasons = dz.fpe(IDS, "id_number", keyring, domain="analytics")
    assert reasons.to_pylist() == [None, "invalid cn.id_number: wrong length", None]
    assert len(pseudo[0].as_py()) == 18 and pseudo[0].as_py() != "11010519491231002X"
    dz.validate(pseudo.drop_null(), "id_number", on_invalid="raise")  # itself a valid ID number
    back, why = dz.reidentify(pseudo, "id_number", keyring, domain="analytics", purpose="fraud-case")
    assert back.to_pylist() == ["11010519491231002X", None, None]
    assert why.null_count == 3
    bad, why = dz.reidentify(pa.array(["123", None]), "id_number", keyring, domain="analytics", purpose="x")
    assert bad.to_pylist() == [None, None]
    assert why.to_pylist() == ["invalid cn.id_number: wrong length", None]
    with pytest.raises(dz.DesensitizeError, match="format-preserving"):
        dz.reidentify(pseudo, "email", keyring, domain="analytics", purpose="x")
    with pytest.raises(dz.DesensitizeError):
        dz.fpe(PHONES, "email", keyring, domain="analytics", on_invalid="raise")


def test_generalize_facts_on_today():
    ids = pa.array(["11010519491231002X", None, "bad"])
    band, reasons = dz.generalize(ids, "id_number", "age_band", today="2026-11-23")
    assert band.to_pylist() == ["75-79", None, None]
    assert reasons[2].as_py().startswith("invalid cn.id_number")
    assert dz.generalize(ids[:1], "id_number", "gender", on_invalid="raise").to_pylist() == ["female"]
    assert dz.generalize(ids[:1], "id_number", "province", on_invalid="raise").to_pylist() == ["北京市"]
    assert dz.generalize(ids[:1], "id_number", "birth_year", on_invalid="raise").to_pylist() == ["1949"]
    geo = dz.generalize(pa.array(["39.9042,116.4074"]), "geo_point", "geohash", precision=4,
                        on_invalid="raise")
    assert geo.to_pylist() == ["wx4g"]
    with pytest.raises(dz.DesensitizeError, match="today"):
        dz.generalize(ids, "id_number", "age_band", today="yesterday")


def test_keyring_is_cached_pickles_as_its_source_and_shows_no_keys(keyfiles, keyring):
    keys, pass_file = keyfiles
    audit = keyring_audit(keyring)
    start = time.perf_counter()
    again = dz.Keyring.open(keys, passphrase_file=pass_file, audit_log=audit)
    cached = time.perf_counter() - start
    start = time.perf_counter()
    dz.Keyring.open(keys, passphrase_file=pass_file, audit_log=audit.with_suffix(".other"))  # a new entry
    fresh = time.perf_counter() - start
    assert cached < fresh / 10, (cached, fresh)  # no second Argon2id
    assert again.keys() == keyring.keys() == [(1, "active", "aes")]
    assert repr(keyring) == "Keyring(keys=[1: active])"
    data = pickle.dumps(keyring)
    assert pass_file.read_text().strip().encode() not in data
    clone = pickle.loads(data)
    a = dz.pseudonym(PHONES[:1], "mobile_phone", keyring, domain="d", on_invalid="raise")
    b = dz.pseudonym(PHONES[:1], "mobile_phone", clone, domain="d", on_invalid="raise")
    assert a == b
    with pytest.raises(ValueError, match="exactly one"):
        dz.Keyring.open(keys)
    with pytest.raises(dz.DesensitizeError, match="DESENSITIZE_TEST_UNSET_VARIABLE is not set"):
        dz.Keyring.open(keys, passphrase_env="DESENSITIZE_TEST_UNSET_VARIABLE")


def keyring_audit(keyring):
    # The fixture's keyring was opened with this audit log (same cache entry).
    import pathlib

    return pathlib.Path(pickle.loads(pickle.dumps(keyring)).__reduce__()[1][4])


def test_from_env(monkeypatch):
    import base64

    monkeypatch.setenv("DZ_TEST_KEY", base64.b64encode(bytes(range(32))).decode())
    monkeypatch.setenv("DZ_TEST_KEY_ID", "7")
    k = dz.Keyring.from_env("DZ_TEST_KEY", "DZ_TEST_KEY_ID")
    assert k.keys() == [(7, "active", "aes")]
    assert pickle.loads(pickle.dumps(k)).keys() == [(7, "active", "aes")]
    with pytest.raises(dz.DesensitizeError, match="not set"):
        dz.Keyring.from_env("DZ_TEST_MISSING")


class XorProvider:
    """A toy key provider for tests: XOR is NOT protection; real ones call a KMS."""

    id = "test-xor"

    def wrap(self, key: bytes) -> bytes:
        return bytes(b ^ 0x5A for b in key)

    def unwrap(self, wrapped: bytes) -> bytes:
        return bytes(b ^ 0x5A for b in wrapped)


class ShortProvider(XorProvider):
    id = "test-short"

    def unwrap(self, wrapped: bytes) -> bytes:
        return b"too short"


def test_key_provider_seam(keyring, workdir):
    path = workdir / "kms.dzk"
    keyring.save(path, XorProvider())
    via_kms = dz.Keyring.open(path, provider=XorProvider())
    assert via_kms.keys() == keyring.keys()
    a = dz.pseudonym(PHONES[:1], "mobile_phone", keyring, domain="d", on_invalid="raise")
    assert dz.pseudonym(PHONES[:1], "mobile_phone", via_kms, domain="d", on_invalid="raise") == a
    clone = pickle.loads(pickle.dumps(via_kms))
    assert dz.pseudonym(PHONES[:1], "mobile_phone", clone, domain="d", on_invalid="raise") == a
    with pytest.raises(dz.DesensitizeError, match="key provider"):
        dz.Keyring.open(path, provider=ShortProvider())
    with pytest.raises(ValueError, match="exactly one"):
        dz.Keyring.open(path, provider=XorProvider(), passphrase_env="X")


def test_a_rotated_keyring_file_is_read_again(cli, workdir):
    # A long-lived process follows `keys rotate`: the cache notices the new
    # file, so new seals use the new active key and old ones still open.
    pass_file = workdir / "rotate-pass.txt"
    pass_file.write_text("rotation-passphrase\n")
    keys = workdir / "rotate.dzk"
    cli("keygen", "--out", keys, "--passphrase-file", pass_file)
    audit = workdir / "rotate-audit.jsonl"
    before = dz.Keyring.open(keys, passphrase_file=pass_file, audit_log=audit)
    assert before.keys() == [(1, "active", "aes")]
    sealed = dz.seal(PHONES[:1], "mobile_phone", before, table="t", column="c", on_invalid="raise")

    cli("keys", "rotate", "--keys", keys, "--passphrase-file", pass_file)
    after = dz.Keyring.open(keys, passphrase_file=pass_file, audit_log=audit)
    assert after.keys() == [(1, "decrypt-only", "aes"), (2, "active", "aes")]
    assert after.active_key_id() == 2
    assert before.keys() == [(1, "active", "aes")]  # a Keyring already handed out keeps its keys
    opened = dz.open(sealed, "mobile_phone", after, table="t", column="c", purpose="test", on_invalid="raise")
    assert opened.to_pylist() == PHONES[:1].to_pylist()
