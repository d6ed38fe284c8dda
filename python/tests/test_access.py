"""Access rules from Python (issue 21): a keyring opened with `access=`
refuses every open without `principal=`; support sees phones masked and ID
numbers not at all, the auditor sees everything for `audit` only, a
principal over budget is refused, and every decision is in the audit log."""

import json
import pathlib
import pickle

import pyarrow as pa
import pytest

import desensitize as dz

PHONE = "13800138000"
ID = "11010519491231002X"

# The scenario's rules, shared with the CLI test (cli/tests/commands/access.rs).
RULES = (pathlib.Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "access_rules.toml").read_text()


@pytest.fixture()
def guarded(keyfiles, tmp_path):
    keys, pass_file = keyfiles
    (tmp_path / "rules.toml").write_text(RULES)
    log = tmp_path / "audit.jsonl"
    k = dz.Keyring.open(
        keys,
        passphrase_file=pass_file,
        audit_log=log,
        access=tmp_path / "rules.toml",
        counter=tmp_path / "counts.json",
    )
    return k, log


def sealed(keyfiles, kind, column, value):
    keys, pass_file = keyfiles
    plain = dz.Keyring.open(keys, passphrase_file=pass_file)
    return dz.seal(pa.array([value]), kind, plain, table="users", column=column, on_invalid="raise")


def test_support_auditor_budget_and_the_log(keyfiles, guarded):
    k, log = guarded
    phone = sealed(keyfiles, "mobile_phone", "phone", PHONE)
    ident = sealed(keyfiles, "id_number", "id", ID)

    def open_(values, kind, column, who, purpose):
        return dz.open(values, kind, k, table="users", column=column, purpose=purpose, principal=who)

    out, reasons = open_(phone, "mobile_phone", "phone", "alice", "support")
    assert out.to_pylist() == ["138****8000"] and reasons.to_pylist() == [None]
    out, reasons = open_(ident, "id_number", "id", "alice", "support")
    assert out.to_pylist() == [None]
    assert "may not reveal this kind" in str(reasons)
    out, _ = open_(ident, "id_number", "id", "carol", "audit")
    assert out.to_pylist() == [ID]
    out, reasons = open_(phone, "mobile_phone", "phone", "carol", "support")
    assert out.to_pylist() == [None] and "purpose" in str(reasons)
    # Without a principal: refused.
    out, reasons = dz.open(phone, "mobile_phone", k, table="users", column="phone", purpose="audit")
    assert out.to_pylist() == [None] and "no principal" in str(reasons)
    # alice's budget: 3 a day; the 4th is refused.
    for _ in range(2):
        assert open_(phone, "mobile_phone", "phone", "alice", "support")[0].to_pylist() == ["138****8000"]
    out, reasons = open_(phone, "mobile_phone", "phone", "alice", "support")
    assert out.to_pylist() == [None] and "budget exceeded (per_day)" in str(reasons)

    text = log.read_text()
    assert PHONE not in text and ID not in text
    events = [json.loads(line) for line in text.splitlines()]
    got = [(e["principal"], e["decision"], e["purpose"]) for e in events]
    assert got == [
        ("alice", "masked", "support"),
        ("alice", "refused", "support"),
        ("carol", "allowed", "audit"),
        ("carol", "refused", "support"),
        (None, "refused", "audit"),
        ("alice", "alarm", "support"),
        ("alice", "masked", "support"),
        ("alice", "masked", "support"),
        ("alice", "refused", "support"),
    ]


def test_reidentify_takes_a_principal(keyfiles, guarded):
    k, _ = guarded
    keys, pass_file = keyfiles
    plain = dz.Keyring.open(keys, passphrase_file=pass_file)
    pseudo = dz.fpe(pa.array([PHONE]), "mobile_phone", plain, domain="d", on_invalid="raise")
    got = dz.reidentify(pseudo, "mobile_phone", k, domain="d", purpose="audit", principal="carol", on_invalid="raise")
    assert got.to_pylist() == [PHONE]
    with pytest.raises(dz.DesensitizeError, match="no principal"):
        dz.reidentify(pseudo, "mobile_phone", k, domain="d", purpose="audit", on_invalid="raise")


def test_access_arguments_are_checked(keyfiles, guarded, tmp_path):
    k, _ = guarded
    keys, pass_file = keyfiles
    phone = sealed(keyfiles, "mobile_phone", "phone", PHONE)
    with pytest.raises(ValueError, match="not in the access rules"):
        dz.open(phone, "mobile_phone", k, table="users", column="phone", purpose="audit", principal="mallory")
    plain = dz.Keyring.open(keys, passphrase_file=pass_file)
    with pytest.raises(ValueError, match="needs a keyring opened with access="):
        dz.open(phone, "mobile_phone", plain, table="users", column="phone", purpose="audit", principal="carol")
    with pytest.raises(ValueError, match="give counter=FILE"):
        dz.Keyring.open(keys, passphrase_file=pass_file, access=tmp_path / "rules.toml")
    (tmp_path / "typo.toml").write_text('[roles.x]\npurposes = []\ndefualt = "full"\n')
    with pytest.raises(ValueError, match="did you mean `default`"):
        dz.Keyring.open(keys, passphrase_file=pass_file, access=tmp_path / "typo.toml")
    # It would reopen without its rules: it does not pickle.
    with pytest.raises(dz.DesensitizeError, match="does not pickle"):
        pickle.dumps(k)


AUDITOR_ONLY = {"principals": {"carol": "auditor"}, "roles": {"auditor": {"purposes": ["audit"], "default": "full"}}}


@pytest.mark.parametrize("suffix", ["toml", "json"])
def test_rules_without_budgets_need_no_counter_in_toml_or_json(keyfiles, tmp_path, suffix):
    # No budget, so no count to share: counter= may be left out; a .json
    # file is read as JSON (the same rules as TOML otherwise).
    keys, pass_file = keyfiles
    rules = tmp_path / f"rules.{suffix}"
    if suffix == "json":
        rules.write_text(json.dumps(AUDITOR_ONLY))
    else:
        rules.write_text('[principals]\ncarol = "auditor"\n[roles.auditor]\npurposes = ["audit"]\ndefault = "full"\n')
    k = dz.Keyring.open(keys, passphrase_file=pass_file, audit_log=tmp_path / "a.jsonl", access=rules)
    phone = sealed(keyfiles, "mobile_phone", "phone", PHONE)
    out, reasons = dz.open(phone, "mobile_phone", k, table="users", column="phone", purpose="audit", principal="carol")
    assert out.to_pylist() == [PHONE] and reasons.to_pylist() == [None]
