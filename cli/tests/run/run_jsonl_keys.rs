//! `desensitize run` on JSON Lines keys: a repeated key is a row error (it
//! used to be read as its last value, letting a record through `consent`
//! and `minors`), and keys are named by position, never by their text.

use crate::common;

use common::data::id_number;
use common::run_dir::{Dir, fails_with, stderr};

const CONSENT_POLICY: &str = r#"today = "2026-11-23"
consent_column = "consent"
[columns.user_id]
action = "keep"
[columns.consent]
action = "drop"
[columns.mobile]
kind = "mobile_phone"
action = "mask"
"#;

/// `"consent":"false", …, "consent":"true"` no longer counts as consent:
/// the record is refused, named by row and key position, never by text.
#[test]
fn repeated_consent_key_is_refused() {
    let d = Dir::new("jsonl-dup-consent");
    d.write("policy.toml", CONSENT_POLICY);
    d.write(
        "in.jsonl",
        "{\"user_id\":\"1\",\"consent\":\"true\",\"mobile\":\"13800138000\"}\n\
         {\"user_id\":\"2\",\"consent\":\"false\",\"mobile\":\"13912345678\",\"consent\":\"true\"}\n",
    );
    let o = d.run("in.jsonl", "out.jsonl", &[]);
    fails_with(&o, 1, "row 2: field 4 repeats the key of field 2");
    let err = stderr(&o);
    assert!(!err.contains("consent`") && !err.contains("13912345678"), "{err}");
    // The refused row is never written in the clear or masked as consented.
    let out = std::fs::read_to_string(d.join("out.jsonl")).unwrap_or_default();
    assert!(!out.contains("139****5678"), "{out}");
}

/// A child's ID number followed by an adult's in the same record no longer
/// lets the row through `minors = "suppress"`.
#[test]
fn repeated_id_key_cannot_pass_minors() {
    let d = Dir::new("jsonl-dup-minor");
    d.write(
        "policy.toml",
        "today = \"2026-11-23\"\nminors = \"suppress\"\n[columns.user_id]\naction = \"keep\"\n\
         [columns.id]\nkind = \"id_number\"\naction = \"drop\"\ngeneralize = { province = \"province\" }\n",
    );
    let child = id_number("440305", "20121124", 4);
    let adult = id_number("440305", "19900615", 123);
    d.write(
        "in.jsonl",
        &format!("{{\"user_id\":\"1\",\"id\":\"{adult}\"}}\n{{\"user_id\":\"2\",\"id\":\"{child}\",\"id\":\"{adult}\"}}\n"),
    );
    let o = d.run("in.jsonl", "out.jsonl", &[]);
    fails_with(&o, 1, "row 2: field 3 repeats the key of field 2");
    let err = stderr(&o);
    assert!(!err.contains(&child) && !err.contains(&adult), "{err}");
    let out = std::fs::read_to_string(d.join("out.jsonl")).unwrap_or_default();
    assert!(!out.contains("\"2\""), "the row with two ID numbers is not written: {out}");
}

/// A repeated key in the first record (which sets the columns) is refused
/// by position too, not reported as a header naming the key twice.
#[test]
fn repeated_key_in_first_record_is_named_by_position() {
    let d = Dir::new("jsonl-dup-first");
    d.write("policy.toml", "unnamed_columns = \"keep\"\n[columns.a]\naction = \"keep\"\n");
    d.write("in.jsonl", "{\"a\":\"1\",\"13912345678\":\"x\",\"13912345678\":\"y\"}\n");
    let o = d.run("in.jsonl", "out.jsonl", &[]);
    assert_ne!(o.status.code(), Some(0));
    let err = stderr(&o);
    assert!(err.contains("row 1: field 3 repeats the key of field 2"), "{err}");
    assert!(!err.contains("13912345678"), "{err}");
}

/// The first record's unknown keys are named by position, as a later
/// record's are (a key can be a value in a malformed export).
#[test]
fn first_record_unknown_keys_are_named_by_position() {
    let d = Dir::new("jsonl-unnamed-first");
    d.write("policy.toml", "[columns.a]\naction = \"keep\"\n");
    d.write("in.jsonl", "{\"a\":\"1\",\"13912345678\":\"x\",\"zhang.san@example.com\":\"y\"}\n");
    let o = d.run("in.jsonl", "out.jsonl", &[]);
    fails_with(&o, 2, "fields 2, 3 of the first JSON Lines record are not in the policy");
    let err = stderr(&o);
    assert!(!err.contains("13912345678") && !err.contains("zhang.san"), "{err}");
    assert!(!d.join("out.jsonl").exists());
}
