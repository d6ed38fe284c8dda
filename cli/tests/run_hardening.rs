//! `desensitize run` hardening (security review): error messages, output
//! paths, k-anonymity classes and minors' rows that fail closed.

mod common;

use common::run_dir::{Dir, fails_with, stderr};

/// An unknown JSON key is named by its position in the record, never by its
/// text (a key can be personal data).
#[test]
fn unknown_json_key_is_named_by_position_not_text() {
    let d = Dir::new("json-key");
    d.write("policy.toml", "unnamed_columns = \"keep\"\n[columns.a]\naction = \"keep\"\n");
    d.write("in.jsonl", "{\"a\":\"1\"}\n{\"a\":\"2\",\"13912345678\":\"x\"}\n");
    let o = d.run("in.jsonl", "out.jsonl", &[]);
    fails_with(&o, 1, "row 2: field 2 is not a column of the first record");
    assert!(!stderr(&o).contains("13912345678"), "{}", stderr(&o));
}
