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
