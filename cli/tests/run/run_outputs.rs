//! `desensitize run` outputs: row order across threads, atomic writes that
//! never replace the input, and file modes.

use crate::common;

use std::fs;
use std::path::Path;

use common::data::{csv_rows, id_number};
use common::run_dir::{Dir, fails_with, ok};
use desensitize::{Context, IdNumber};

#[test]
fn order_is_preserved_across_threads_and_blocks() {
    let d = Dir::new("order");
    d.write(
        "policy.toml",
        "table = \"users\"\nrow_id = \"user_id\"\n[columns.user_id]\naction = \"keep\"\n\
         [columns.id_number]\nkind = \"id_number\"\naction = \"seal\"\n",
    );
    let mut text = String::from("user_id,id_number\n");
    let ids: Vec<String> = (0..101).map(|i| id_number("110105", "19850505", i)).collect();
    for (i, id) in ids.iter().enumerate() {
        text.push_str(&format!("u{i},{id}\n"));
    }
    d.write("in.csv", &text);
    ok(&d.run("in.csv", "out.csv", &["--threads", "2", "--block-size", "200"]));
    let rows = csv_rows(&d.read("out.csv"));
    assert_eq!(rows.len(), 102);
    let keyring = d.keyring();
    for (i, row) in rows[1..].iter().enumerate() {
        assert_eq!(row[0], format!("u{i}"));
        // Opens only under its own row: the row ids and values stayed together.
        let ctx = Context::new("users", "id_number").with_row(&row[0]);
        let id: IdNumber = keyring.open_text(&row[1], &ctx, "test").unwrap();
        assert_eq!(id.expose(), ids[i]);
    }
}

#[test]
fn output_is_atomic_and_never_the_input() {
    let d = Dir::new("atomic");
    d.write("policy.toml", "[columns.user_id]\naction = \"keep\"\n[columns.mobile]\nkind = \"mobile_phone\"\naction = \"mask\"\n");
    // Row 2 has a field too many: a structural error after a good row.
    d.write("in.csv", "user_id,mobile\n1,13800138000\n2,13800138000,extra\n");
    let o = d.run("in.csv", "out.csv", &[]);
    fails_with(&o, 1, "row 2: 3 fields, the header has 2");
    assert!(!d.join("out.csv").exists());
    assert_eq!(d.names(), ["in.csv", "k", "p", "policy.toml"]);

    d.write("in.csv", "user_id,mobile\n1,13800138000\n");
    fails_with(&d.run("in.csv", "in.csv", &[]), 2, "the output is the input");
    fails_with(&d.run("in.csv", "./in.csv", &[]), 2, "the output is the input");
    assert_eq!(d.read("in.csv"), "user_id,mobile\n1,13800138000\n");
}

/// Issue 8, defect 7: a replaced output keeps its mode (0600 stays 0600,
/// likewise the rejects file); a new output is created owner-only.
#[cfg(unix)]
#[test]
fn outputs_keep_their_mode_and_new_ones_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let d = Dir::new("mode");
    d.write(
        "policy.toml",
        "on_invalid = \"mark\"\n[columns.user_id]\naction = \"keep\"\n[columns.mobile]\nkind = \"mobile_phone\"\naction = \"mask\"\n",
    );
    d.write("in.csv", "user_id,mobile\n1,13800138000\n2,123\n");

    // New files: 0600 (not world- or group-readable), whatever the umask allows.
    ok(&d.run("in.csv", "new.csv", &["--rejects", "new-rejects.csv"]));
    assert_eq!(mode(&d.join("new.csv")), 0o600);
    assert_eq!(mode(&d.join("new-rejects.csv")), 0o600);

    // Existing files keep their mode: a private one stays private, a shared one stays shared.
    for (out, rejects, m) in [("a.csv", "a-rejects.csv", 0o600), ("b.csv", "b-rejects.csv", 0o640)] {
        for name in [out, rejects] {
            let p = d.write(name, "old\n");
            fs::set_permissions(&p, fs::Permissions::from_mode(m)).unwrap();
        }
        ok(&d.run("in.csv", out, &["--rejects", rejects]));
        assert_eq!(mode(&d.join(out)), m, "{out}");
        assert_eq!(mode(&d.join(rejects)), m, "{rejects}");
        assert_eq!(d.read(out), "user_id,mobile\n1,138****8000\n2,#INVALID\n");
        assert!(d.read(rejects).contains("2,mobile,"));
    }
}
