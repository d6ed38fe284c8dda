"""No plaintext in any exception message, reason or repr."""

import pyarrow as pa
import pytest

import desensitize as dz

# Almost-valid values: a wrong check digit, one digit too many, a bad card.
SECRETS = {
    "id_number": "110105194912310021",
    "mobile_phone": "138001380001",
    "bank_card": "4367427563000335",
    "email": "zhang.wei@@example.com",
    "person_name": "欧阳娜娜" * 40,
    "geo_point": "91.5,200.25",
}


def fragments(secret: str):
    """Every 6-character piece of the value."""
    return {secret[i:i + 6] for i in range(len(secret) - 5)} | {secret}


def assert_clean(text: str, secret: str):
    for piece in fragments(secret):
        assert piece not in text, f"{piece!r} leaked into {text!r}"


def calls(keyring):
    yield lambda v, k: dz.validate(v, k, on_invalid="raise")
    yield lambda v, k: dz.mask(v, k, on_invalid="raise")
    yield lambda v, k: dz.seal(v, k, keyring, table="t", column="c", on_invalid="raise")
    yield lambda v, k: dz.open(v, k, keyring, table="t", column="c", purpose="p", on_invalid="raise")
    yield lambda v, k: dz.pseudonym(v, k, keyring, domain="d", on_invalid="raise")
    yield lambda v, k: dz.blind_index(v, k, keyring, domain="n", bits=16, on_invalid="raise")
    yield lambda v, k: dz.fpe(v, k, keyring, domain="d", on_invalid="raise")
    yield lambda v, k: dz.reidentify(v, k, keyring, domain="d", purpose="p", on_invalid="raise")
    yield lambda v, k: dz.generalize(v, k, "province", on_invalid="raise")


@pytest.mark.parametrize("kind", sorted(SECRETS))
def test_exceptions_and_reasons_hold_no_value(kind, keyring):
    secret = SECRETS[kind]
    values = pa.array([secret])
    raised = 0
    for call in calls(keyring):
        try:
            call(values, kind)
        except dz.DesensitizeError as e:
            raised += 1
            assert_clean(str(e), secret)
            assert_clean(repr(e), secret)
    assert raised >= 6, kind  # the invalid value is refused nearly everywhere
    _, reasons = dz.validate(values, kind)
    assert reasons[0].as_py() is not None
    assert_clean(reasons[0].as_py(), secret)


def test_protect_errors_name_row_and_column_only(keyring):
    policy = dz.Policy.from_toml('[columns.phone]\nkind = "mobile_phone"\naction = "mask"\n')
    batch = pa.record_batch({"phone": ["13800138000", SECRETS["mobile_phone"]]})
    with pytest.raises(dz.DesensitizeError) as e:
        dz.protect(batch, policy, keyring)
    assert str(e.value) == "row 2, column phone: invalid cn.mobile_phone: wrong length"


def test_reprs_show_ids_states_and_names_only(keyring, keyfiles):
    _, pass_file = keyfiles
    assert repr(keyring) == "Keyring(keys=[1: active])"
    assert pass_file.read_text().strip() not in repr(keyring)
    policy = dz.Policy.from_toml('table = "users"\n[columns.phone]\nkind = "mobile_phone"\naction = "mask"\n')
    assert repr(policy) == 'Policy(columns=1, table="users")'


def test_a_policy_error_names_the_key_not_a_value():
    with pytest.raises(dz.DesensitizeError) as e:
        dz.Policy.from_toml('[columns.phone]\nkind = "mobile_phone"\nacton = "mask"\n')
    assert "did you mean `action`" in str(e.value)
