//! `desensitize run` hardening (security review): error messages, output
//! paths, k-anonymity classes and minors' rows that fail closed.

mod common;

use std::fs;

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

/// `-o` or `--rejects` naming the keyring, its seal ledger, the passphrase
/// file, the policy or the input is a usage error naming the clash, and the
/// file is left as it was.
#[test]
fn outputs_never_overwrite_keys_policy_or_ledger() {
    let d = Dir::new("clash");
    d.write("policy.toml", "on_invalid = \"mark\"\n[columns.a]\naction = \"keep\"\n");
    d.write("in.csv", "a\n1\n");
    d.write("k.seals", "ledger\n");
    let keyring = fs::read(d.join("k")).unwrap();
    let cases = [
        ("k", "the output is the keyring (--keys)"),
        ("./k.seals", "the output is the seal ledger of the keyring"),
        ("p", "the output is the passphrase file"),
        ("policy.toml", "the output is the policy"),
    ];
    for (output, needle) in cases {
        let o = d.run("in.csv", output, &["--format", "csv"]);
        fails_with(&o, 2, &format!("{needle}: refusing to overwrite it"));
    }
    let rejects = [
        ("k", "the rejects file is the keyring (--keys)"),
        ("k.seals", "the rejects file is the seal ledger of the keyring"),
        ("p", "the rejects file is the passphrase file"),
        ("policy.toml", "the rejects file is the policy"),
    ];
    for (path, needle) in rejects {
        let o = d.run("in.csv", "out.csv", &["--rejects", path]);
        fails_with(&o, 2, &format!("{needle}: refusing to overwrite it"));
    }
    fails_with(&d.run("in.csv", "out.csv", &["--rejects", "in.csv"]), 2, "the rejects file must differ");
    // A ledger not written yet is protected too.
    fs::remove_file(d.join("k.seals")).unwrap();
    fails_with(&d.run("in.csv", "k.seals", &[]), 2, "the output is the seal ledger");
    assert!(!d.join("k.seals").exists());
    assert_eq!(fs::read(d.join("k")).unwrap(), keyring);
    assert_eq!(d.read("p"), format!("{}\n", common::PASSPHRASE));
    assert!(d.read("policy.toml").starts_with("on_invalid"));
    assert!(!d.join("out.csv").exists());
}
