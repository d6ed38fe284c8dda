//! The row-id problem (issue 9): what `run` sealed under `row_id = "user_id"`
//! (UUIDs, arbitrary keys) opens again from the command line with
//! `open --row-id-column user_id --value-column ...`, for CSV and JSON Lines,
//! and `seal` with the same flags gives what `run`'s output opens like.

use crate::common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use common::data::csv_rows;
use common::run_dir;

const POLICY: &str = r#"
table = "users"
row_id = "user_id"
unnamed_columns = "keep"

[columns.user_id]
action = "keep"
[columns.id_number]
kind = "id_number"
action = "seal"
[columns.mobile]
kind = "mobile_phone"
action = "seal"
"#;

const IDS: [&str; 3] = ["11010519491231002X", "440524188001010014", "11010519491231002X"];
const PHONES: [&str; 3] = ["13800138000", "13900139000", ""];
const USERS: [&str; 3] = ["0b8e4c1e-5f6a-4c43-9d2e-1f7a3b9c0d11", "acct:42/eu", "7"];

/// A fresh directory with a keyring `k`, its passphrase file `p` and `POLICY`.
struct Dir(run_dir::Dir);

impl Dir {
    fn new(name: &str) -> Dir {
        let dir = run_dir::Dir::new(&format!("rowid-{name}"));
        dir.write("policy.toml", POLICY);
        Dir(dir)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }

    fn cli(&self, args: &[&str], stdin: &[u8]) -> Output {
        let mut c = Command::new(env!("CARGO_BIN_EXE_desensitize"));
        c.current_dir(&self.0.path)
            .args(args)
            .args(["--keys", "k", "--passphrase-file", "p"])
            .env_remove("DESENSITIZE_PASSPHRASE")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = c.spawn().unwrap();
        child.stdin.take().unwrap().write_all(stdin).unwrap();
        child.wait_with_output().unwrap()
    }

    fn ok(&self, args: &[&str], stdin: &[u8]) -> String {
        let out = self.cli(args, stdin);
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    }
}

/// `open` of one column of `input` (a file in `dir`), row ids from `user_id`.
fn open_column(dir: &Dir, input: &Path, kind: &str, column: &str, format: &str) -> String {
    let args = [
        "open",
        "--kind",
        kind,
        "--purpose",
        "support",
        "--audit",
        "audit.jsonl",
        "--table",
        "users",
        "--column",
        column,
        "--row-id-column",
        "user_id",
        "--value-column",
        column,
        "--format",
        format,
    ];
    dir.ok(&args, &std::fs::read(input).unwrap())
}

#[test]
fn run_output_opens_by_row_id_column_csv() {
    let dir = Dir::new("csv");
    let mut input = String::from("user_id,id_number,mobile,note\n");
    for i in 0..3 {
        input.push_str(&format!("{},{},{},\"n, {i}\"\n", USERS[i], IDS[i], PHONES[i]));
    }
    std::fs::write(dir.path("in.csv"), &input).unwrap();
    dir.ok(&["run", "--policy", "policy.toml", "in.csv", "-o", "out.csv"], b"");
    let sealed = std::fs::read_to_string(dir.path("out.csv")).unwrap();
    assert!(!sealed.contains(IDS[0]) && !sealed.contains(PHONES[0]));

    // Open the id_number column, then the mobile column of that output.
    std::fs::write(
        dir.path("step.csv"),
        open_column(&dir, &dir.path("out.csv"), "id_number", "id_number", "csv"),
    )
    .unwrap();
    let opened = open_column(&dir, &dir.path("step.csv"), "mobile_phone", "mobile", "csv");
    assert_eq!(csv_rows(&opened), csv_rows(&input));

    // Each value is bound to its row: moved to another row, it does not open.
    let mut rows = csv_rows(&sealed);
    rows.swap(1, 2);
    let mut w = csv::Writer::from_writer(Vec::new());
    for r in &rows {
        w.write_record(r).unwrap();
    }
    let moved = String::from_utf8(w.into_inner().unwrap()).unwrap();
    let out = dir.cli(
        &[
            "open",
            "--kind",
            "id_number",
            "--purpose",
            "support",
            "--table",
            "users",
            "--column",
            "id_number",
            "--row-id-column",
            "user_id",
            "--value-column",
            "id_number",
        ],
        moved.replace(USERS[1], "TMP").replace(USERS[0], USERS[1]).replace("TMP", USERS[0]).as_bytes(),
    );
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("row 1, column id_number: "), "{stderr}");
    assert!(!IDS.iter().any(|v| stderr.contains(v)), "{stderr}");

    // `seal` with the same flags seals what `open` (and `run`'s readers) open.
    let resealed = dir.ok(
        &[
            "seal",
            "--kind",
            "id_number",
            "--table",
            "users",
            "--column",
            "id_number",
            "--row-id-column",
            "user_id",
            "--value-column",
            "id_number",
        ],
        input.as_bytes(),
    );
    std::fs::write(dir.path("resealed.csv"), &resealed).unwrap();
    let back = open_column(&dir, &dir.path("resealed.csv"), "id_number", "id_number", "csv");
    assert_eq!(csv_rows(&back), csv_rows(&input));
}

#[test]
fn run_output_opens_by_row_id_column_jsonl() {
    let dir = Dir::new("jsonl");
    let mut input = String::new();
    for i in 0..3 {
        let line = serde_json::json!({"user_id": USERS[i], "id_number": IDS[i], "mobile": PHONES[i]});
        input.push_str(&format!("{line}\n"));
    }
    // A numeric row id, as `fake` writes user_id.
    input.push_str(&format!("{{\"user_id\":8,\"id_number\":\"{}\",\"mobile\":\"{}\"}}\n", IDS[1], PHONES[1]));
    std::fs::write(dir.path("in.jsonl"), &input).unwrap();
    dir.ok(&["run", "--policy", "policy.toml", "in.jsonl", "-o", "out.jsonl"], b"");
    let sealed = std::fs::read_to_string(dir.path("out.jsonl")).unwrap();
    assert!(!sealed.contains(IDS[1]));

    std::fs::write(
        dir.path("step.jsonl"),
        open_column(&dir, &dir.path("out.jsonl"), "id_number", "id_number", "jsonl"),
    )
    .unwrap();
    let opened = open_column(&dir, &dir.path("step.jsonl"), "mobile_phone", "mobile", "jsonl");
    let got: Vec<serde_json::Value> = opened.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(got.len(), 4);
    for (i, row) in got.iter().enumerate() {
        let j = if i == 3 { 1 } else { i };
        assert_eq!(row["id_number"], IDS[j], "row {i}");
        assert_eq!(row["mobile"], PHONES[j], "row {i}");
    }
    assert_eq!(got[3]["user_id"], "8");
    let audit = std::fs::read_to_string(dir.path("audit.jsonl")).unwrap();
    assert!(audit.contains("\"row\":\"acct:42/eu\"") && audit.contains("\"row\":\"8\""), "{audit}");
}
