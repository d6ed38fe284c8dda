//! Every policy error: its variant and its exact message (keys, columns and
//! causes; never a value of a record).
#![cfg(feature = "toml")]

use std::sync::Arc;

use desensitize::keys::{KeyState, RootKey};
use desensitize::policy::{Cells, Plan, Policy, PolicyError, Reason, Report, RowError};
use desensitize::{Error, Invalid, Keyring, Kind};

fn toml(text: &str) -> PolicyError {
    match Policy::from_toml(text) {
        Err(e) => e,
        Ok(p) => p.check().unwrap_err(),
    }
}

fn msg(text: &str) -> String {
    toml(text).to_string()
}

fn column(text: &str) -> String {
    msg(&format!("table = \"users\"\n[columns.c]\n{text}"))
}

#[test]
fn syntax_errors() {
    assert!(matches!(toml("table = "), PolicyError::Syntax(_)));
    assert!(matches!(Policy::from_json("{\"table\": }").unwrap_err(), PolicyError::Syntax(_)));
    let e = toml("[columns.c]\naction = 5");
    assert!(matches!(e, PolicyError::Syntax(_)), "{e}");
    assert!(e.to_string().contains("expected a string"), "{e}");
}

/// A TOML syntax error says where (line, column in characters) and quotes no value.
#[test]
fn toml_syntax_errors_give_line_and_column() {
    let e = toml("table = \"users\"\n[columns.phone]\naction = \"mask\n");
    assert_eq!(e, PolicyError::Syntax("line 3, column 15: invalid basic string, expected `\"`".into()));
    assert_eq!(
        toml("table = ").to_string(),
        "line 1, column 9: string values must be quoted, expected literal string"
    );
    // Columns count characters, not bytes.
    let e = toml("[columns.\"电话\"]\naction = \"keep\"\nkind = = 1");
    assert!(e.to_string().starts_with("line 3, column 8: "), "{e}");
    // A value of the wrong type: placed, its type named, the value not shown.
    let e = toml("table = \"t\"\n[columns.c]\naction = \"keep\"\nbits = \"13800138000\"");
    assert_eq!(e.to_string(), "line 4, column 8: invalid type: string, expected i64");
}

/// A JSON syntax error: the same form, serde_json's own position suffix gone.
#[test]
fn json_syntax_errors_give_line_and_column() {
    let e =
        Policy::from_json("{\n  \"table\": \"users\",\n  \"columns\": {\"a\": {\"action\": \"keep\"},}\n}")
            .unwrap_err();
    assert_eq!(e, PolicyError::Syntax("line 3, column 39: trailing comma".into()));
    let e = Policy::from_json("{\"table\": }").unwrap_err();
    assert_eq!(e.to_string(), "line 1, column 11: expected value");
    let e = Policy::from_json("{\"columns\": {\"名\": {\"action\": 5}}}").unwrap_err();
    assert_eq!(e.to_string(), "line 1, column 30: invalid type: integer, expected a string");
    let e = Policy::from_json("{\"columns\": {\"a\": {\"action\": \"keep\", \"bits\": \"13800138000\"}}}")
        .unwrap_err();
    assert_eq!(e.to_string(), "line 1, column 58: invalid type: string, expected i64");
    assert!(!format!("{e:?}").contains("13800138000"));
    // Placed only when reading the text again finds the same error (here it
    // would stop at the duplicate key, which the policy's reading accepts).
    let e = Policy::from_json("{\"table\": \"a\", \"table\": \"b\", \"columns\": {\"a\": {\"action\": 5}}}")
        .unwrap_err();
    assert_eq!(e.to_string(), "invalid type: integer, expected a string");
}

#[test]
fn unknown_keys_suggest_the_nearest_name() {
    let e = toml("[columns.name]\nacton = \"keep\"");
    assert_eq!(
        e,
        PolicyError::UnknownKey {
            section: "[columns.name]".into(),
            key: "acton".into(),
            suggestion: Some("action")
        }
    );
    assert_eq!(e.to_string(), "unknown key `acton` in [columns.name]: did you mean `action`?");
    assert_eq!(msg("tabel = \"users\""), "unknown key `tabel` in the policy: did you mean `table`?");
    assert_eq!(msg("consent = \"c\""), "unknown key `consent` in the policy");
    assert_eq!(
        msg("[k_anonymity]\nk = 2\nquasi_identifier = [\"a\"]"),
        "unknown key `quasi_identifier` in [k_anonymity]: did you mean `quasi_identifiers`?"
    );
    assert_eq!(
        Policy::from_json(r#"{"columns": {"a": {"action": "keep", "levle": "strict"}}}"#)
            .unwrap_err()
            .to_string(),
        "unknown key `levle` in [columns.a]: did you mean `level`?"
    );
}

#[test]
fn record_wide_settings() {
    let setting = |text: &str| match toml(text) {
        PolicyError::Setting { key, .. } => key,
        e => panic!("not a setting error: {e}"),
    };
    assert_eq!(setting("unnamed_columns = \"sometimes\""), "unnamed_columns");
    assert_eq!(
        msg("unnamed_columns = \"sometimes\""),
        "unnamed_columns = \"sometimes\": expected refuse, drop, keep"
    );
    assert_eq!(msg("on_invalid = \"skip\""), "on_invalid = \"skip\": expected error, mark");
    assert_eq!(msg("minors = \"hide\""), "minors = \"hide\": expected same, strict, suppress");
    assert_eq!(msg("marker = \"a\\nb\""), "marker must be one line");
    assert_eq!(msg("today = \"2026-13-01\""), "today = \"2026-13-01\": expected a date YYYY-MM-DD");
    assert_eq!(msg("table = \"\""), "table must be 1 to 1024 bytes");
    assert_eq!(msg("row_id = \"\""), "row_id is empty");
    assert_eq!(
        msg("row_id = \"id\"\n[columns.id]\nkind = \"id_number\"\naction = \"drop\""),
        "row_id column `id` has a kind: contexts are stored in the clear and must not hold personal data; use a \
         surrogate key column"
    );
    assert_eq!(msg("consent_column = \"\""), "consent_column is empty");
    assert_eq!(
        msg("consent_column = \"ok\"\n[columns.ok]\nkind = \"email\"\naction = \"keep\""),
        "consent_column column `ok` has a kind: it holds consent flags"
    );
    assert_eq!(
        msg("minors = \"strict\"\n[columns.a]\naction = \"keep\""),
        "minors needs a column of kind id_number (the ages are read from it)"
    );
}

#[test]
fn column_entries() {
    let e = toml("[columns.c]\naction = \"shred\"");
    assert!(matches!(&e, PolicyError::Column { column, .. } if column == "c"));
    let cases = [
        (
            "action = \"shred\"",
            "unknown action \"shred\": one of keep, drop, mask, seal, pseudonym, fpe, generalize, blind-index",
        ),
        ("action = \"mask\"", "action \"mask\" needs a kind (kind = \"id_number\", \"mobile_phone\", ...)"),
        (
            "action = \"mask\"\nkind = \"email\"\nlevel = \"max\"",
            "unknown level \"max\": strict, standard or relaxed",
        ),
        (
            "action = \"mask\"\nkind = \"biometric\"",
            "biometric templates cannot be masked: seal or drop them",
        ),
        (
            "action = \"keep\"\nkind = \"password\"",
            "kind password cannot be processed by a policy: drop the column (hash passwords with the library when \
             they are set)",
        ),
        (
            "action = \"keep\"\nlevel = \"strict\"",
            "`level` only applies to action \"mask\", not to action \"keep\"",
        ),
        (
            "action = \"fpe\"\nkind = \"email\"\ndomain = \"x\"",
            "action \"fpe\" does not apply to kind email: only to id_number, mobile_phone and bank_card",
        ),
        (
            "action = \"pseudonym\"\nkind = \"email\"",
            "action \"pseudonym\" needs `domain` (e.g. domain = \"analytics\"): values join within a domain",
        ),
        (
            "action = \"pseudonym\"\nkind = \"email\"\ndomain = \"Bad Name\"",
            "domain = \"Bad Name\": names are 1-64 characters of a-z 0-9 . _ -",
        ),
        (
            "action = \"blind-index\"\nkind = \"email\"",
            "action \"blind-index\" needs `bits` (index length; e.g. 16)",
        ),
        (
            "action = \"blind-index\"\nkind = \"email\"\nbits = 65",
            "bits = 65: blind index length must be 1 to 64 bits",
        ),
        (
            "action = \"blind-index\"\nkind = \"email\"\nbits = 8\ntransform = \"last4\"",
            "transform \"last4\" does not apply to kind email",
        ),
        (
            "action = \"generalize\"\nkind = \"email\"",
            "action \"generalize\" does not apply to kind email: only to id_number, address and geo_point",
        ),
        (
            "action = \"generalize\"\nkind = \"address\"\nto = \"gender\"",
            "to = \"gender\": kind address generalizes to province, city",
        ),
        (
            "action = \"keep\"\nkind = \"id_number\"\ngeneralize = { shoe = \"s\" }",
            "generalize.shoe: kind id_number has the facts gender, age_band, province, city, birth_year, birth_month",
        ),
        (
            "action = \"keep\"\nkind = \"id_number\"\nband_width = 5",
            "`band_width` only applies with the age_band fact",
        ),
        (
            "action = \"generalize\"\nkind = \"id_number\"\nband_width = 0",
            "band_width = 0: age band width must be 1 to 50 years",
        ),
        (
            "action = \"generalize\"\nkind = \"geo_point\"\nprecision = 13",
            "precision = 13: geohash precision must be 1 to 12",
        ),
        (
            "action = \"generalize\"\nkind = \"geo_point\"\nto = \"grid\"\ngrid_km = 0.001",
            "grid_km = 0.001: grid cell size must be 0.01 to 1000 km",
        ),
    ];
    for (text, reason) in cases {
        assert_eq!(column(text), format!("column `c`: {reason}"), "{text}");
    }
    assert!(
        column("action = \"mask\"\nkind = \"shoe\"")
            .starts_with("column `c`: kind = \"shoe\": unknown kind; one of")
    );
    assert!(
        column("action = \"blind-index\"\nkind = \"mobile_phone\"\nbits = 40")
            .starts_with("column `c`: bits = 40: index as long as the input space")
    );
    assert_eq!(
        msg("[columns.c]\nkind = \"email\"\naction = \"seal\""),
        "column `c`: action \"seal\" needs the top-level `table` (the context it is sealed for)"
    );
    assert_eq!(
        msg(
            "[columns.a]\naction = \"keep\"\n[columns.id]\nkind = \"id_number\"\naction = \"drop\"\ngeneralize = { gender = \"a\" }"
        ),
        "column `id`: generalize.gender = \"a\" clashes with the column of that name"
    );
}

#[test]
fn k_anonymity() {
    let base = "[columns.id]\nkind = \"id_number\"\naction = \"seal\"\ngeneralize = { gender = \"g\" }\n\
                table = \"t\"\n[k_anonymity]\n";
    let base = base.replace("table = \"t\"\n", "");
    let base = format!("table = \"t\"\n{base}");
    let k = |rest: &str| msg(&format!("{base}{rest}"));
    assert!(matches!(toml(&format!("{base}k = 1\nquasi_identifiers = [\"g\"]")), PolicyError::KAnonymity(_)));
    assert_eq!(k("k = 1\nquasi_identifiers = [\"g\"]"), "k_anonymity: k must be at least 2");
    assert_eq!(k("k = 2\nquasi_identifiers = []"), "k_anonymity: quasi_identifiers is empty");
    assert_eq!(
        k("k = 2\nquasi_identifiers = [\"g\", \"g\"]"),
        "k_anonymity: quasi_identifiers names `g` twice"
    );
    assert_eq!(
        k("k = 2\nquasi_identifiers = [\"id\"]"),
        "k_anonymity: quasi-identifier `id` is sealed (randomized); it cannot define equivalence classes"
    );
    assert_eq!(
        k("k = 2\nquasi_identifiers = [\"x\"]"),
        "k_anonymity: quasi-identifier `x` is not an output column"
    );
}

fn plan_err(policy: &str, header: &[&str], keyring: Option<Arc<Keyring>>) -> PolicyError {
    Plan::from_policy(&Policy::from_toml(policy).unwrap(), header, keyring).unwrap_err()
}

#[test]
fn against_the_header() {
    let p = "[columns.a]\naction = \"keep\"\n[columns.b]\naction = \"drop\"";
    assert_eq!(plan_err(p, &["a", "b", "a"], None), PolicyError::DuplicateHeader("a".into()));
    assert_eq!(plan_err(p, &["a", "b", "a"], None).to_string(), "the input header has column `a` twice");
    assert_eq!(plan_err(p, &["a"], None).to_string(), "policy column `b` not in the input header");
    assert_eq!(plan_err(p, &["x"], None).to_string(), "policy columns `a`, `b` not in the input header");
    assert_eq!(
        plan_err(p, &["a", "b", "x"], None).to_string(),
        "input column `x` not in the policy (unnamed_columns = \"refuse\"): add it to the policy, or set \
         unnamed_columns = \"drop\" or \"keep\""
    );
    assert_eq!(plan_err(p, &["a", "b", "x", "y"], None), PolicyError::Unnamed(vec!["x".into(), "y".into()]));
    assert_eq!(
        plan_err(&format!("row_id = \"uid\"\n{p}"), &["a", "b"], None).to_string(),
        "row_id column `uid` is not in the input header"
    );
    assert_eq!(
        plan_err(&format!("consent_column = \"ok\"\n{p}"), &["a", "b"], None),
        PolicyError::SettingNotInHeader { key: "consent_column", column: "ok".into() }
    );
    let clash = "unnamed_columns = \"keep\"\n[columns.id]\nkind = \"id_number\"\naction = \"drop\"\n\
                 generalize = { gender = \"g\" }";
    assert_eq!(
        plan_err(clash, &["id", "g"], None).to_string(),
        "output column `g` would appear twice (a derived column clashes with an unnamed input column kept by \
         unnamed_columns = \"keep\")"
    );
    let qi = "unnamed_columns = \"keep\"\n[columns.a]\naction = \"keep\"\n[k_anonymity]\nk = 2\nquasi_identifiers = [\"z\"]";
    assert_eq!(
        plan_err(qi, &["a", "y"], None).to_string(),
        "k_anonymity: quasi-identifier `z` is not an output column"
    );
}

#[test]
fn keys() {
    let p = "[columns.m]\nkind = \"mobile_phone\"\naction = \"pseudonym\"\ndomain = \"d\"";
    assert_eq!(plan_err(p, &["m"], None), PolicyError::NeedsKeys("m".into()));
    assert_eq!(plan_err(p, &["m"], None).to_string(), "column `m` needs keys: no keyring was given");
    // A keyring without an active key.
    let e = plan_err(p, &["m"], Some(Arc::new(Keyring::new())));
    assert!(matches!(&e, PolicyError::Key { column, source: Error::NoActiveKey } if column == "m"), "{e}");
    assert_eq!(e.to_string(), "column `m`: no active key in the keyring");
    assert!(std::error::Error::source(&e).is_some());
}

#[test]
fn row_errors_name_the_row_and_column_never_the_value() {
    let policy = Policy::from_toml(
        "table = \"t\"\nrow_id = \"uid\"\n[columns.uid]\naction = \"keep\"\n[columns.m]\nkind = \"mobile_phone\"\n\
         action = \"seal\"",
    )
    .unwrap();
    let plan =
        Plan::from_policy(&policy, &["uid", "m"], Some(Arc::new(Keyring::generate().unwrap()))).unwrap();
    let (mut cells, mut report) = (Cells::new(), Report::default());
    let e = plan.apply(7, &["1", "1380013800"][..], &mut cells, &mut report).unwrap_err();
    assert_eq!(
        e,
        RowError {
            row: 7,
            column: Some(1),
            reason: Reason::Invalid { kind: Kind::MobilePhone, reason: Invalid::Length }
        }
    );
    assert_eq!(plan.describe(&e), "row 7, column m: invalid cn.mobile_phone: wrong length");
    let e = plan.apply(8, &["", "13800138000"][..], &mut cells, &mut report).unwrap_err();
    assert_eq!(e.reason, Reason::EmptyRowId);
    assert_eq!(plan.describe(&e), "row 8, column m: the row id is empty");
    let e = plan.apply(9, &[&b"\xff"[..], &b"13800138000"[..]][..], &mut cells, &mut report).unwrap_err();
    assert_eq!(e.reason, Reason::RowIdNotUtf8);
    assert_eq!(plan.describe(&e), "row 9, column m: the row id is not valid UTF-8");
    let e = plan.apply(10, &[&b"1"[..], &b"\xff"[..]][..], &mut cells, &mut report).unwrap_err();
    assert_eq!(e.reason, Reason::NotUtf8);
    assert_eq!(plan.describe(&e), "row 10, column m: not valid UTF-8");
    let e = plan.apply(11, &["1"][..], &mut cells, &mut report).unwrap_err();
    assert_eq!(e.reason, Reason::FieldCount { fields: 1, header: 2 });
    assert_eq!(plan.describe(&e), "row 11: 1 fields, the header has 2");
    assert!(report.rejects.is_empty());
}

/// A caller can tell a check-digit failure from any other invalid value,
/// and a key error's typed cause is its source.
#[test]
fn row_errors_carry_a_typed_cause() {
    let policy = Policy::from_toml("[columns.id]\nkind = \"id_number\"\naction = \"mask\"").unwrap();
    let plan = Plan::from_policy(&policy, &["id"], None).unwrap();
    let (mut cells, mut report) = (Cells::new(), Report::default());
    let e = plan.apply(1, &["110105194912310021"][..], &mut cells, &mut report).unwrap_err();
    assert!(matches!(e.reason, Reason::Invalid { kind: Kind::IdNumber, reason: Invalid::CheckDigit }), "{e}");
    assert_eq!(e.to_string(), "row 1, column #0: invalid cn.id_number: check digit mismatch");
    assert!(std::error::Error::source(&e).is_none());

    let policy =
        Policy::from_toml("table = \"t\"\n[columns.m]\nkind = \"mobile_phone\"\naction = \"seal\"").unwrap();
    let mut retired = Keyring::new();
    retired.add_key(1, RootKey::from_bytes([7; 32]), KeyState::DecryptOnly).unwrap();
    let plan = Plan::from_policy(&policy, &["m"], Some(Arc::new(retired))).unwrap();
    let e = plan.apply(2, &["13800138000"][..], &mut cells, &mut report).unwrap_err();
    assert_eq!(e.reason, Reason::Error(Error::NoActiveKey));
    assert_eq!(e.to_string(), "row 2, column #0: no active key in the keyring");
    let source = std::error::Error::source(&e).expect("the library error is the source");
    assert_eq!(source.to_string(), Error::NoActiveKey.to_string());
    // Library errors map by cause: an invalid value is `Invalid`, anything else `Error`.
    assert_eq!(
        Reason::from(Error::Invalid { kind: Kind::BankCard, reason: Invalid::CheckDigit }),
        Reason::Invalid { kind: Kind::BankCard, reason: Invalid::CheckDigit }
    );
}

#[test]
fn consent_flags_fail_with_their_own_cause() {
    let policy = Policy::from_toml(
        "consent_column = \"ok\"\n[columns.ok]\naction = \"keep\"\n[columns.m]\nkind = \"mobile_phone\"\n\
         action = \"mask\"",
    )
    .unwrap();
    let plan = Plan::from_policy(&policy, &["ok", "m"], None).unwrap();
    let (mut cells, mut report) = (Cells::new(), Report::default());
    let e = plan.apply(3, &["maybe", "13800138000"][..], &mut cells, &mut report).unwrap_err();
    assert_eq!(e, RowError { row: 3, column: Some(0), reason: Reason::ConsentFlag });
    assert_eq!(plan.describe(&e), "row 3, column ok: consent flag is not true/false, 1/0 or yes/no");
}

/// An unknown kind name is its own cause, listing the kinds.
#[test]
fn unknown_kind_names_the_kinds() {
    let e = "shoe_size".parse::<Kind>().unwrap_err();
    assert_eq!(e, Error::UnknownKind);
    let names: Vec<&str> = Kind::ALL.iter().map(|k| k.as_str()).collect();
    assert_eq!(e.to_string(), format!("unknown kind; expected one of: {}", names.join(", ")));
    assert!(e.to_string().contains("cn.id_number, cn.mobile_phone"), "{e}");
}

/// Fixed texts of the typed causes become their variant; their messages are unchanged.
#[test]
fn reasons_from_text_are_typed() {
    for (text, reason) in [
        ("not valid UTF-8", Reason::NotUtf8),
        ("the row id is empty", Reason::EmptyRowId),
        ("the row id is not valid UTF-8", Reason::RowIdNotUtf8),
        ("consent flag is not true/false, 1/0 or yes/no", Reason::ConsentFlag),
        ("empty value", Reason::EmptyValue),
        ("this kind has no generalized facts", Reason::Other("this kind has no generalized facts")),
    ] {
        assert_eq!(Reason::from(text), reason);
        assert_eq!(reason.to_string(), text);
        assert_eq!(std::borrow::Cow::from(reason), text);
    }
    let count = Reason::FieldCount { fields: 3, header: 4 };
    assert_eq!(std::borrow::Cow::from(count), "3 fields, the header has 4");
}

/// Keys not in the policy are named by their 1-based positions, every one
/// of them and only them, and a named key keeps no value in the message
/// (kills the `keys_by_position` survivors: the match test and the `+ 1`).
#[test]
fn unnamed_keys_are_named_by_their_positions() {
    let policy =
        Policy::from_json(r#"{"columns": {"id": {"action": "keep"}, "b": {"action": "drop"}}}"#).unwrap();
    let keys = ["13800138000", "id", "11010519491231002X", "b", "x"];
    let err = Plan::from_policy(&policy, &keys, None).unwrap_err().keys_by_position(&keys);
    assert_eq!(err, PolicyError::UnnamedFields(vec![1, 3, 5]));
    let text = err.to_string();
    assert!(!text.contains("13800138000") && !text.contains("11010519491231002X"), "{text}");
    // Other errors are returned as they are.
    let other = toml("[columns.a]\nkind = \"phone\"\naction = \"mask\"");
    assert_eq!(other.clone().keys_by_position(&keys), other);
}

/// A cause without parameters becomes its static text without a copy
/// (`Cow::Borrowed`), one with parameters is formatted; and only a library
/// error has a source, the error itself (kills the `Reason::static_text`
/// and `Reason::source` survivors).
#[test]
fn reasons_give_static_text_unformatted_and_library_errors_as_their_source() {
    use std::borrow::Cow;
    use std::error::Error as _;
    let fixed = [
        (Reason::NotUtf8, "not valid UTF-8"),
        (Reason::EmptyRowId, "the row id is empty"),
        (Reason::RowIdNotUtf8, "the row id is not valid UTF-8"),
        (Reason::ConsentFlag, "consent flag is not true/false, 1/0 or yes/no"),
        (Reason::EmptyValue, "empty value"),
        (Reason::Other("a fixed cause"), "a fixed cause"),
    ];
    for (reason, text) in fixed {
        assert!(reason.source().is_none());
        assert!(matches!(Cow::from(reason), Cow::Borrowed(t) if t == text), "{text}");
    }
    let counted = Reason::FieldCount { fields: 2, header: 3 };
    let shown = counted.to_string();
    assert!(matches!(Cow::from(counted), Cow::Owned(t) if t == shown));
    let library = Reason::from(Error::KeyDestroyed(7));
    let source = library.source().expect("the library error");
    assert_eq!(source.to_string(), Error::KeyDestroyed(7).to_string());
    let invalid = Error::Invalid { kind: Kind::MobilePhone, reason: Invalid::Length };
    assert!(Reason::from(invalid).source().is_none());
}
