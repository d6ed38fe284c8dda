"""`protect` and `Policy` on record batches: nulls, marked values, withheld
rows, the k-anonymity refusal, pickling, non-string columns."""

import pickle

import pyarrow as pa
import pytest

import desensitize as dz

POLICY = """
table = "users"
today = "2026-11-23"
on_invalid = "mark"
minors = "suppress"

[columns.id]
action = "keep"

[columns.phone]
kind = "mobile_phone"
action = "mask"

[columns.id_number]
kind = "id_number"
action = "seal"
generalize = { province = "province" }
"""


def test_sealing_without_keys_is_refused():
    batch = pa.record_batch({"id": ["1"], "phone": ["13800138000"], "id_number": ["11010519491231002X"]})
    with pytest.raises(dz.DesensitizeError, match="needs keys"):
        dz.protect(batch, dz.Policy.from_toml(POLICY))


def test_protect_output(keyring):
    policy = dz.Policy.from_toml(POLICY)
    batch = pa.record_batch({
        "id": ["1", "2", "3", "4"],
        "phone": ["13800138000", None, "12345", "13900139000"],
        "id_number": ["11010519491231002X", None, "11010519491231002X", "110105201506010016"],
    })
    out, rejects = dz.protect(batch, policy, keyring, first_row=10, rejects=True)
    assert out.schema.names == ["id", "phone", "id_number", "province"]
    assert all(t == pa.string() for t in out.schema.types)
    # Row 4 is a child's (born 2015): withheld under minors = "suppress".
    assert out["id"].to_pylist() == ["1", "2", "3"]
    assert out["phone"].to_pylist() == ["138****8000", None, "#INVALID"]
    assert out["province"].to_pylist() == ["北京市", None, "北京市"]
    assert out["id_number"][0].as_py().startswith("dz1.") and out["id_number"][1].as_py() is None
    assert rejects == [(12, "phone", "invalid cn.mobile_phone: wrong length")]
    assert policy.output_names(["id", "phone", "id_number"], keyring) == out.schema.names


def test_policy_checks_pickles_and_refuses_k_anonymity_per_batch(keyring):
    policy = dz.Policy.from_toml(POLICY + '\n[k_anonymity]\nk = 2\nquasi_identifiers = ["province"]\n')
    assert policy.k_anonymity == (2, ["province"])
    batch = pa.record_batch({"id": ["1"], "phone": ["13800138000"], "id_number": ["11010519491231002X"]})
    with pytest.raises(ValueError, match="without_k_anonymity"):
        dz.protect(batch, policy, keyring)
    per_batch = policy.without_k_anonymity()
    assert per_batch.k_anonymity is None
    assert pickle.loads(pickle.dumps(per_batch)).k_anonymity is None
    assert pickle.loads(pickle.dumps(policy)).k_anonymity == (2, ["province"])
    assert dz.protect(batch, per_batch, keyring).num_rows == 1
    with pytest.raises(dz.DesensitizeError, match="not in the input header"):
        dz.protect(pa.record_batch({"other": ["x"]}), per_batch, keyring)
    with pytest.raises(dz.DesensitizeError, match="column id: expected a string array"):
        dz.protect(pa.record_batch({"id": [1], "phone": ["x"], "id_number": ["y"]}), per_batch, keyring)


PSEUDO = """
[columns.phone]
kind = "mobile_phone"
action = "pseudonym"
domain = "analytics"
"""


def test_a_plan_is_not_shared_between_keyrings(monkeypatch):
    # One policy, one header, two keyrings: each keyring's tokens, never the
    # plan (and keys) compiled for the other.
    import base64

    policy = dz.Policy.from_toml(PSEUDO)
    batch = pa.record_batch({"phone": pa.array(["13800138000"])})
    tokens = []
    for seed in (0, 1):
        monkeypatch.setenv("DZ_PLAN_KEY", base64.b64encode(bytes(range(seed, seed + 32))).decode())
        keyring = dz.Keyring.from_env("DZ_PLAN_KEY")
        expected, _ = dz.pseudonym(batch["phone"], "mobile_phone", keyring, domain="analytics")
        out = dz.protect(batch, policy, keyring)
        out = out[0] if isinstance(out, tuple) else out
        assert out["phone"].to_pylist() == expected.to_pylist()
        tokens.append(expected.to_pylist())
    assert tokens[0] != tokens[1]


def test_privacy_gives_the_model_and_k_anonymity_none():
    base = '[columns.a]\naction = "keep"\n[columns.s]\naction = "keep"\n'
    assert dz.Policy.from_toml(base + '[k_anonymity]\nk = 2\nquasi_identifiers = ["a"]\n').privacy is None
    assert dz.Policy.from_toml(base).privacy is None
    model = dz.Policy.from_toml(base + '[privacy]\nk = 3\nquasi_identifiers = ["a"]\n').privacy
    assert model == {"quasi_identifiers": ["a"], "k": 3, "sensitive": [], "t": None, "max_risk": None,
                     "max_suppression": 0.05}
    model = dz.Policy.from_toml(base + '[privacy]\nk = 2\nquasi_identifiers = ["a"]\nl = 2\nsensitive = ["s"]\n'
                                'max_suppression = 1.0\n').privacy
    assert (model["l"], model["diversity"], model["sensitive"], model["max_suppression"]) == (2, "distinct", ["s"], 1.0)
