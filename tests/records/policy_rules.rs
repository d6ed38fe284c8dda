//! The checked policy (`Policy::check` -> `Rules`) read field by field:
//! each action's name and whether it needs keys, the settings' defaults and
//! the outputs a column writes. Written to kill the survivors of
//! cargo-mutants over `src/policy/` (tests/mutants/policy.md).
#![cfg(feature = "toml")]

use desensitize::policy::{Action, Policy, PolicyError, Rules};

fn rules(text: &str) -> Rules {
    Policy::from_toml(text).unwrap().check().unwrap()
}

/// One column per action, its name in the policy and its need of keys.
#[test]
fn every_action_has_its_policy_name_and_need_of_keys() {
    let r = rules(
        r#"table = "t"
[columns.a_keep]
action = "keep"
[columns.b_drop]
action = "drop"
[columns.c_mask]
kind = "mobile_phone"
action = "mask"
[columns.d_seal]
kind = "mobile_phone"
action = "seal"
[columns.e_pseudonym]
kind = "mobile_phone"
action = "pseudonym"
domain = "d"
[columns.f_fpe]
kind = "mobile_phone"
action = "fpe"
domain = "d"
[columns.g_generalize]
kind = "address"
action = "generalize"
to = "city"
[columns.h_blind_index]
kind = "email"
action = "blind-index"
bits = 16
"#,
    );
    let got: Vec<(&str, &str, bool)> =
        r.columns.iter().map(|c| (c.name.as_str(), c.action.name(), c.action.needs_keys())).collect();
    assert_eq!(
        got,
        [
            ("a_keep", "keep", false),
            ("b_drop", "drop", false),
            ("c_mask", "mask", false),
            ("d_seal", "seal", true),
            ("e_pseudonym", "pseudonym", true),
            ("f_fpe", "fpe", true),
            ("g_generalize", "generalize", false),
            ("h_blind_index", "blind-index", true),
        ]
    );
    assert!(r.needs_keys());
    assert_eq!(r.first_needing_keys(), Some("d_seal"));
}

/// A policy of masks, generalizations, keeps and drops runs without keys.
#[test]
fn a_policy_without_keyed_actions_needs_no_keys() {
    let r = rules(
        r#"[columns.a]
action = "keep"
[columns.b]
action = "drop"
[columns.c]
kind = "mobile_phone"
action = "mask"
[columns.d]
kind = "address"
action = "generalize"
to = "province"
"#,
    );
    assert!(!r.needs_keys());
    assert_eq!(r.first_needing_keys(), None);
    assert!(r.columns.iter().all(|c| !c.action.needs_keys()));
    assert!(matches!(r.columns[2].action, Action::Mask(_)));
}

/// `table` is 1 to 1024 bytes (a seal context's field), both ends included.
#[test]
fn table_is_one_to_1024_bytes() {
    for len in [1, 1024] {
        let r = rules(&format!("table = \"{}\"\n[columns.a]\naction = \"keep\"", "t".repeat(len)));
        assert_eq!(r.table.map(|t| t.len()), Some(len));
    }
    for len in [0, 1025] {
        let e =
            Policy::from_toml(&format!("table = \"{}\"\n[columns.a]\naction = \"keep\"", "t".repeat(len)))
                .unwrap()
                .check()
                .unwrap_err();
        assert_eq!(e, PolicyError::Setting { key: "table", reason: "must be 1 to 1024 bytes".into() });
    }
}

fn privacy(unnamed: &str, privacy: &str) -> Result<Rules, String> {
    let text = format!(
        "unnamed_columns = \"{unnamed}\"\n[columns.a]\naction = \"keep\"\n[columns.gone]\naction = \"drop\"\n\
         [privacy]\n{privacy}"
    );
    Policy::from_toml(&text).unwrap().check().map_err(|e| e.to_string())
}

/// A sensitive column is named as one in the errors, the first one included.
#[test]
fn a_missing_sensitive_column_is_called_sensitive() {
    let e = privacy("refuse", "k = 2\nquasi_identifiers = [\"a\"]\nl = 2\nsensitive = [\"zz\"]").unwrap_err();
    assert_eq!(e, "privacy: quasi_identifiers sensitive column `zz` is not an output column");
    let e = privacy("refuse", "k = 2\nquasi_identifiers = [\"zz\"]").unwrap_err();
    assert_eq!(e, "privacy: quasi_identifiers quasi-identifier `zz` is not an output column");
}

/// With `unnamed_columns = "keep"` a quasi-identifier the policy does not
/// name may be an input column (the header decides); one the policy drops
/// is not an output column.
#[test]
fn unnamed_keep_defers_unknown_class_columns_to_the_header() {
    let r = privacy("keep", "k = 2\nquasi_identifiers = [\"age\"]").unwrap();
    assert_eq!(r.k_anonymity.unwrap().quasi_identifiers, ["age"]);
    assert_eq!(
        privacy("refuse", "k = 2\nquasi_identifiers = [\"age\"]").unwrap_err(),
        "privacy: quasi_identifiers quasi-identifier `age` is not an output column"
    );
    assert_eq!(
        privacy("keep", "k = 2\nquasi_identifiers = [\"gone\"]").unwrap_err(),
        "privacy: quasi_identifiers quasi-identifier `gone` is not an output column"
    );
}

/// `generalize` without `to`: each kind's default fact.
#[test]
fn generalize_without_to_takes_the_kinds_default_fact() {
    let r = rules(
        "[columns.a]\nkind = \"address\"\naction = \"generalize\"\n\
         [columns.g]\nkind = \"geo_point\"\naction = \"generalize\"\n\
         [columns.i]\nkind = \"id_number\"\naction = \"generalize\"\n",
    );
    let facts: Vec<&str> = r
        .columns
        .iter()
        .map(|c| match c.action {
            Action::Generalize(f) => f.as_str(),
            ref other => panic!("{}: {}", c.name, other.name()),
        })
        .collect();
    assert_eq!(facts, ["city", "geohash", "age_band"]);
}
