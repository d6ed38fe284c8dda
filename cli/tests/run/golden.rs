//! Golden output of `desensitize run`: a fixed input, policy and keyring
//! whose deterministic output (masks, tokens, blind indexes, FPE,
//! generalized facts, markers, the rejects report) is pinned byte for byte.
//!
//! Sealed values are random (fresh nonces): each is opened back to its input
//! value under its context and then replaced by `<sealed>` before the
//! comparison. Refactorings of `run` must keep these bytes.
//!
//! To regenerate the expected files after an intended change of output:
//! `DESENSITIZE_BLESS=1 cargo test -p desensitize-cli --test run golden`, and
//! review the diff.

use crate::common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::run_dir::ok;
use desensitize::keys::{KeyState, PassphraseProvider, RootKey};
use desensitize::{BankCard, Context, IdNumber, Keyring};

const PASS: &str = "golden passphrase";

fn golden(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden").join(name)
}

/// The fixed keyring: two root keys from fixed bytes (the active one is 2).
fn keyring() -> Keyring {
    let mut k = Keyring::new();
    k.add_key(1, RootKey::from_bytes([0x11; 32]), KeyState::Active).unwrap();
    k.add_key(2, RootKey::from_bytes([0x5a; 32]), KeyState::Active).unwrap();
    k
}

/// A temporary directory holding the keyring file (cheap Argon2 parameters)
/// and its passphrase file.
struct Dir(PathBuf);

impl Dir {
    fn new(name: &str) -> Dir {
        let path = std::env::temp_dir().join(format!("dz-golden-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&path);
        fs::create_dir_all(&path).unwrap();
        let provider = PassphraseProvider::with_params(PASS, 1024, 1, 1).unwrap();
        keyring().save(&path.join("keys.dzk"), &provider).unwrap();
        fs::write(path.join("pass"), format!("{PASS}\n")).unwrap();
        // Owner-only, as a passphrase file should be (else a warning on stderr).
        #[cfg(unix)]
        fs::set_permissions(path.join("pass"), std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
        Dir(path)
    }

    fn run(&self, policy: &Path, input: &Path, output: &str, extra: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_desensitize"))
            .current_dir(&self.0)
            .arg("run")
            .arg("--policy")
            .arg(policy)
            .args(["--keys", "keys.dzk", "--passphrase-file", "pass"])
            .arg(input)
            .args(["-o", output])
            .args(extra)
            .env_remove("DESENSITIZE_PASSPHRASE")
            .output()
            .unwrap()
    }

    fn read(&self, name: &str) -> String {
        fs::read_to_string(self.0.join(name)).unwrap()
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// Compare with the expected file, or write it under `DESENSITIZE_BLESS=1`.
fn check_golden(actual: &str, expected_name: &str) {
    let path = golden(expected_name);
    if std::env::var_os("DESENSITIZE_BLESS").is_some() {
        fs::write(&path, actual).unwrap();
        return;
    }
    let expected = fs::read_to_string(&path).unwrap();
    if actual != expected {
        let line = actual.lines().zip(expected.lines()).position(|(a, e)| a != e);
        panic!(
            "{expected_name} differs (first differing line: {line:?}; {} vs {} lines)",
            actual.lines().count(),
            expected.lines().count()
        );
    }
}

fn csv_records(text: &str) -> Vec<csv::StringRecord> {
    let mut rdr = csv::ReaderBuilder::new().has_headers(false).from_reader(text.as_bytes());
    rdr.records().map(|r| r.unwrap()).collect()
}

/// Open every sealed ID number of the CSV output back to its input value
/// (bound to the row's `user_id`), then replace it by `<sealed>`.
fn unseal_csv(output: &str, input: &str, keyring: &Keyring) -> String {
    let out = csv_records(output);
    let inp = csv_records(input);
    let col = |recs: &[csv::StringRecord], name: &str| recs[0].iter().position(|h| h == name).unwrap();
    let (o_id, o_user) = (col(&out, "id_number"), col(&out, "user_id"));
    let i_id = col(&inp, "id_number");
    let mut text = output.to_owned();
    let mut opened = 0;
    for (o, i) in out.iter().zip(&inp).skip(1) {
        let cell = &o[o_id];
        if cell.is_empty() || cell == "#BAD" {
            continue;
        }
        let ctx = Context::new("users", "id_number").with_row(&o[o_user]);
        let id: IdNumber = keyring.open_text(cell, &ctx, "golden test").unwrap();
        assert_eq!(id, i[i_id].parse::<IdNumber>().unwrap());
        assert_eq!(text.matches(cell).count(), 1, "sealed values are unique");
        text = text.replacen(cell, "<sealed>", 1);
        opened += 1;
    }
    assert_eq!(opened, 198, "every valid, non-empty ID number is sealed");
    text
}

#[test]
fn csv_output_is_pinned() {
    let dir = Dir::new("csv");
    let input = golden("input.csv");
    let input_text = fs::read_to_string(&input).unwrap();
    // One thread in one chunk, and several threads in small chunks: the same bytes.
    for (i, extra) in
        [["--threads", "1", "--chunk", "8192"], ["--threads", "3", "--chunk", "7"]].iter().enumerate()
    {
        let (out, rejects) = (format!("out{i}.csv"), format!("rejects{i}.csv"));
        let o = dir.run(
            &golden("policy.toml"),
            &input,
            &out,
            &[extra.as_slice(), &["--rejects", &rejects]].concat(),
        );
        ok(&o);
        let text = unseal_csv(&dir.read(&out), &input_text, &keyring());
        check_golden(&text, "expected.csv");
        check_golden(&dir.read(&rejects), "expected-rejects.csv");
    }
}

#[test]
fn json_lines_output_with_k_anonymity_is_pinned() {
    let dir = Dir::new("jsonl");
    let input = golden("input.jsonl");
    let o = dir.run(&golden("policy-kanon.toml"), &input, "out.jsonl", &["--threads", "2", "--chunk", "9"]);
    ok(&o);
    let summary = String::from_utf8_lossy(&o.stderr);
    assert!(summary.contains("k-anonymity (k = 3 on gender, age_band)"), "{summary}");

    let keyring = keyring();
    let inputs: Vec<serde_json::Value> =
        fs::read_to_string(&input).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let mut text = String::new();
    let mut opened = 0;
    for line in dir.read("out.jsonl").lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let user = v["user_id"].as_str().unwrap();
        let source = inputs.iter().find(|i| i["user_id"].as_u64() == user.parse().ok()).unwrap();
        let sealed = v["bank_card"].as_str().unwrap();
        let mut line = line.to_owned();
        if !sealed.is_empty() && sealed != "#INVALID" {
            let card: BankCard =
                keyring.open_text(sealed, &Context::new("users", "bank_card"), "golden test").unwrap();
            assert_eq!(card, source["bank_card"].as_str().unwrap().parse::<BankCard>().unwrap());
            line = line.replacen(sealed, "<sealed>", 1);
            opened += 1;
        }
        text.push_str(&line);
        text.push('\n');
    }
    assert!(opened > 10);
    check_golden(&text, "expected.jsonl");
}

#[test]
fn on_invalid_error_stops_at_the_first_bad_row() {
    let dir = Dir::new("error");
    let policy = fs::read_to_string(golden("policy.toml")).unwrap().replace("on_invalid = \"mark\"", "");
    fs::write(dir.0.join("policy.toml"), policy).unwrap();
    let o = dir.run(
        Path::new("policy.toml"),
        &golden("input.csv"),
        "out.csv",
        &["--threads", "2", "--chunk", "3"],
    );
    assert_eq!(o.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(
        stderr.trim_end(),
        "desensitize: row 20, column id_number: invalid cn.id_number: check digit mismatch"
    );
    assert!(!dir.0.join("out.csv").exists());
}

/// The library's plan, driven directly (row by row and column-major), gives
/// the bytes `run` gives: `run` is only input and output around it.
#[test]
fn the_library_plan_gives_the_same_output() {
    use desensitize::policy::{Cells, ColumnBatch, Plan, Policy, Report, Verdict};
    use std::sync::Arc;

    let policy = Policy::from_toml(&fs::read_to_string(golden("policy.toml")).unwrap()).unwrap();
    let input_text = fs::read_to_string(golden("input.csv")).unwrap();
    let records = csv_records(&input_text);
    let header: Vec<&str> = records[0].iter().collect();
    let keyring = Arc::new(keyring());
    let plan = Plan::from_policy(&policy, &header, Some(keyring.clone())).unwrap();

    // Row by row, one reusable buffer.
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(plan.output_names()).unwrap();
    let (mut cells, mut report) = (Cells::new(), Report::default());
    for (i, r) in records[1..].iter().enumerate() {
        let fields: Vec<&str> = r.iter().collect();
        assert_eq!(plan.apply(i as u64 + 1, &fields, &mut cells, &mut report).unwrap(), Verdict::Write);
        w.write_record(cells.iter()).unwrap();
    }
    let text = String::from_utf8(w.into_inner().unwrap()).unwrap();
    check_golden(&unseal_csv(&text, &input_text, &keyring), "expected.csv");
    let mut rejects = String::from("row,column,reason\n");
    for r in &report.rejects {
        rejects.push_str(&format!("{},{},{}\n", r.row, plan.input_names()[r.column.unwrap()], r.reason));
    }
    check_golden(&rejects, "expected-rejects.csv");
    assert_eq!(report.summary.rows, 200);
    assert_eq!(report.summary.invalid, 5);

    // Column-major: the same cells, column by column.
    let columns: Vec<Vec<&str>> =
        (0..header.len()).map(|c| records[1..].iter().map(|r| &r[c]).collect()).collect();
    let slices: Vec<&[&str]> = columns.iter().map(Vec::as_slice).collect();
    let mut batch = ColumnBatch::new();
    plan.apply_columns(1, &slices, &mut batch, &mut Report::default()).unwrap();
    assert_eq!(batch.rows().len(), 200);
    let by_rows = csv_records(&text);
    let sealed = plan.output_names().iter().position(|n| n == "id_number").unwrap();
    for (j, col) in batch.columns().iter().enumerate() {
        assert_eq!(col.len(), 200);
        if j != sealed {
            for (i, cell) in col.iter().enumerate() {
                assert_eq!(cell, by_rows[i + 1][j].as_bytes(), "row {}, output column {j}", i + 1);
            }
        }
    }
}
