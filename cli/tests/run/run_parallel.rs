//! `desensitize run` on the parallel pipeline: the same bytes whatever the
//! thread count and block size, and malformed CSV quoting refused as a row
//! error that names the row and the column, never the value.

use crate::common;

use std::fs;
use std::process::{Command, Output};

use common::data::bank_card;
use common::run_dir::{self, stderr};

/// A fresh directory with a keyring `k` (cheap Argon2 parameters) and its
/// passphrase file `p`; removed on drop.
struct Dir(run_dir::Dir);

impl Dir {
    fn new(name: &str) -> Dir {
        Dir(run_dir::Dir::new(&format!("par-{name}")))
    }

    fn write(&self, name: &str, text: &str) {
        self.0.write(name, text);
    }

    fn read(&self, name: &str) -> Vec<u8> {
        fs::read(self.0.join(name)).unwrap()
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_desensitize"))
            .current_dir(&self.0.path)
            .args(["run", "--policy", "policy.toml", "--keys", "k", "--passphrase-file", "p"])
            .args(args)
            .env_remove("DESENSITIZE_PASSPHRASE")
            .output()
            .unwrap()
    }
}

const POLICY: &str = r##"
table = "t"
on_invalid = "mark"
marker = "#BAD"
[columns.user_id]
action = "keep"
[columns.mobile]
kind = "mobile_phone"
action = "mask"
[columns.card]
kind = "bank_card"
action = "pseudonym"
domain = "analytics"
[columns.note]
action = "keep"
"##;

/// `rows` rows; every 13th note holds a quote, a comma and a newline (a
/// record across lines, cut anywhere by small blocks), every 97th mobile
/// is invalid (marked, reported in the rejects file).
fn input(rows: u64) -> (String, String) {
    let mut csv = String::from("user_id,mobile,card,note\n");
    let mut jsonl = String::new();
    for i in 1..=rows {
        let mobile =
            if i % 97 == 0 { "12345".to_owned() } else { format!("138{:08}", i * 7919 % 100_000_000) };
        let note = if i % 13 == 0 { format!("say \"hi\",\nrow {i}") } else { format!("n{i}") };
        let card = bank_card(i);
        csv.push_str(&format!("u{i},{mobile},{card},\"{}\"\n", note.replace('"', "\"\"")));
        let v = serde_json::json!({"user_id": format!("u{i}"), "mobile": mobile, "card": card, "note": note});
        jsonl.push_str(&format!("{v}\n"));
    }
    (csv, jsonl)
}

#[test]
fn output_is_the_same_for_any_thread_count_and_block_size() {
    let d = Dir::new("threads");
    d.write("policy.toml", POLICY);
    let rows = 3000;
    let (csv, jsonl) = input(rows);
    d.write("in.csv", &csv);
    d.write("in.jsonl", &jsonl);
    for (input, out) in [("in.csv", "out.csv"), ("in.jsonl", "out.jsonl"), ("in.csv", "out.jsonl")] {
        let mut first: Option<(Vec<u8>, Vec<u8>)> = None;
        for (threads, block) in [("1", "1M"), ("1", "300"), ("2", "512"), ("8", "700"), ("8", "1")] {
            let o = d.run(&[
                input,
                "-o",
                out,
                "--threads",
                threads,
                "--block-size",
                block,
                "--rejects",
                "rej.csv",
            ]);
            assert!(o.status.success(), "{input} {threads} {block}: {}", stderr(&o));
            let summary = stderr(&o);
            assert!(summary.contains(&format!("{rows} rows in, {rows} rows out")), "{summary}");
            let got = (d.read(out), d.read("rej.csv"));
            match &first {
                None => first = Some(got),
                Some(want) => {
                    assert!(*want == got, "{input} -> {out}: {threads} threads, {block} blocks differ")
                }
            }
        }
        let (output, rejects) = first.unwrap();
        // In input order: the row ids count up, the rejects name rows 97, 194, ...
        let text = String::from_utf8(output).unwrap();
        let ids: Vec<String> = if out.ends_with(".csv") {
            let mut rdr = csv::Reader::from_reader(text.as_bytes());
            rdr.records().map(|r| r.unwrap()[0].to_owned()).collect()
        } else {
            text.lines()
                .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["user_id"].to_string())
                .collect()
        };
        let want: Vec<String> = (1..=rows)
            .map(|i| if out.ends_with(".csv") { format!("u{i}") } else { format!("\"u{i}\"") })
            .collect();
        assert_eq!(ids, want);
        let rejects = String::from_utf8(rejects).unwrap();
        let rows_rejected: Vec<&str> =
            rejects.lines().skip(1).map(|l| l.split(',').next().unwrap()).collect();
        let want: Vec<String> = (1..=rows).filter(|i| i % 97 == 0).map(|i| i.to_string()).collect();
        assert_eq!(rows_rejected, want);
        assert!(!rejects.contains("12345"));
    }
}

#[test]
fn malformed_quoting_is_a_row_error_without_the_value() {
    let d = Dir::new("quoting");
    d.write(
        "policy.toml",
        "[columns.id]\naction = \"keep\"\n[columns.city]\naction = \"drop\"\n\
         [columns.lat]\naction = \"keep\"\n[columns.lon]\naction = \"keep\"\n",
    );
    // The quote closes mid-field: read leniently, part of the dropped city
    // would land in the kept latitude.
    let mut text = String::from("id,city,lat,lon\n");
    for i in 1..=500 {
        text.push_str(&format!("{i},Shanghai,31.2,121.5\n"));
    }
    text.push_str("501,\"Beijing,\"39.9,116.4\n502,Shanghai,31.2,121.5\n");
    d.write("in.csv", &text);
    for threads in ["1", "4"] {
        let o = d.run(&["in.csv", "-o", "out.csv", "--threads", threads, "--block-size", "1K"]);
        assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
        assert_eq!(
            stderr(&o).trim_end(),
            "desensitize: row 501, column city: malformed quoting: a quoted field's closing quote is \
             followed by more text"
        );
        for value in ["Beijing", "39.9", "116.4"] {
            assert!(!stderr(&o).contains(value));
        }
        // Atomic: no output at all, not the rows before the bad one.
        assert!(!d.0.join("out.csv").exists());
    }
    // A quote inside an unquoted field, in the header row and in a row.
    d.write("in.csv", "id,city,lat,lon\n1,Bei\"jing,39.9,116.4\n");
    let o = d.run(&["in.csv", "-o", "out.csv"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("row 1, column city: malformed quoting: a quote inside an unquoted field"));
    assert!(!stderr(&o).contains("jing"));
    d.write("in.csv", "id,ci\"ty,lat,lon\n1,Beijing,39.9,116.4\n");
    let o = d.run(&["in.csv", "-o", "out.csv"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("the input's header row, field 2: malformed quoting"), "{}", stderr(&o));
}

#[test]
fn block_size_and_chunk_options() {
    let d = Dir::new("options");
    d.write("policy.toml", "[columns.id]\naction = \"keep\"\n");
    d.write("in.csv", "id\n1\n2\n");
    for args in
        [&["--block-size", "0"][..], &["--block-size", "65M"], &["--block-size", "1G"], &["--chunk", "0"]]
    {
        let o = d.run(&[&["in.csv", "-o", "out.csv"][..], args].concat());
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(!d.0.join("out.csv").exists());
    }
    // The old record count still works (as a block size), but not with --block-size.
    let o = d.run(&["in.csv", "-o", "out.csv", "--chunk", "7"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(d.read("out.csv"), b"id\n1\n2\n");
    let o = d.run(&["in.csv", "-o", "out2.csv", "--chunk", "7", "--block-size", "4K"]);
    assert_eq!(o.status.code(), Some(2));
    // A missing input is named as such.
    let o = d.run(&["missing.csv", "-o", "out3.csv"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("input file missing.csv not found"), "{}", stderr(&o));
}
