//! `desensitize run` on invalid values: the run stops naming row and column,
//! or marks them and reports them in the rejects file.

use crate::common;

use std::fs;

use common::data::{csv_rows, id_number};
use common::run_dir::{Dir, fails_with, ok, stderr};

const ID_POLICY: &str = r##"
table = "t"
row_id = "user_id"
on_invalid = "ON_INVALID"
marker = "#BAD"
[columns.user_id]
action = "keep"
[columns.id_number]
kind = "id_number"
action = "seal"
generalize = { gender = "g" }
[columns.mobile]
kind = "mobile_phone"
action = "mask"
"##;

fn bad_rows() -> String {
    let good = id_number("110105", "19800101", 5);
    let mut bad = good.clone();
    bad.replace_range(17..18, if good.ends_with('0') { "1" } else { "0" });
    format!(
        "user_id,id_number,mobile\n1,{good},13800138000\n2,{good},12345\n3,{bad},13800138000\n4,,13800138000\n"
    )
}

#[test]
fn invalid_values_stop_the_run_naming_row_and_column() {
    let d = Dir::new("invalid-error");
    d.write("policy.toml", &ID_POLICY.replace("ON_INVALID", "error"));
    let input = bad_rows();
    d.write("in.csv", &input);
    fs::write(d.join("out.csv"), "previous output\n").unwrap();
    let o = d.run("in.csv", "out.csv", &[]);
    fails_with(&o, 1, "row 2, column mobile: invalid cn.mobile_phone");
    assert!(!stderr(&o).contains("12345"), "{}", stderr(&o));
    // Atomic output: the old file is untouched and no temporary file is left.
    assert_eq!(d.read("out.csv"), "previous output\n");
    // Row 1 was sealed before row 2 failed: its seal is in the ledger.
    assert_eq!(d.names(), ["in.csv", "k", "k.seals", "out.csv", "p", "policy.toml"]);
    assert_eq!(d.read("in.csv"), input);

    // The check digit row, on its own.
    let lines: Vec<&str> = input.lines().collect();
    d.write("in2.csv", &format!("{}\n{}\n{}\n", lines[0], lines[1], lines[3]));
    let o = d.run("in2.csv", "out2.csv", &[]);
    fails_with(&o, 1, "row 2, column id_number: invalid cn.id_number: check digit mismatch");
    let bad_id = lines[3].split(',').nth(1).unwrap();
    assert!(!stderr(&o).contains(bad_id));
    assert!(!d.join("out2.csv").exists());
}

#[test]
fn invalid_values_are_marked_and_reported() {
    let d = Dir::new("invalid-mark");
    d.write("policy.toml", &ID_POLICY.replace("ON_INVALID", "mark"));
    d.write("in.csv", &bad_rows());
    let o = d.run("in.csv", "out.csv", &["--rejects", "rejects.csv"]);
    ok(&o);
    let rows = csv_rows(&d.read("out.csv"));
    assert_eq!(rows[0], ["user_id", "id_number", "g", "mobile"]);
    assert_eq!(rows.len(), 5);
    assert!(rows[1][1].starts_with("dz1.") && rows[1][3] == "138****8000");
    assert_eq!(rows[2][3], "#BAD");
    assert!(rows[2][1].starts_with("dz1."));
    assert_eq!(&rows[3][1..3], ["#BAD", "#BAD"], "the derived cell is marked too");
    assert_eq!(&rows[4][1..3], ["", ""], "an empty value stays empty");
    assert_eq!(
        d.read("rejects.csv"),
        "row,column,reason\n2,mobile,invalid cn.mobile_phone: wrong length\n\
         3,id_number,invalid cn.id_number: check digit mismatch\n"
    );
    let err = stderr(&o);
    assert!(err.contains("invalid 1"), "{err}");

    // --rejects only makes sense when marking.
    d.write("policy.toml", &ID_POLICY.replace("ON_INVALID", "error"));
    fails_with(&d.run("in.csv", "x.csv", &["--rejects", "r.csv"]), 2, "--rejects needs on_invalid");
}
