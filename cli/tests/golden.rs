//! Golden output of `desensitize run`: a fixed input, policy and keyring
//! whose deterministic output (masks, tokens, blind indexes, FPE,
//! generalized facts, markers, the rejects report) is pinned byte for byte.
//!
//! Sealed values are random (fresh nonces): each is opened back to its input
//! value under its context and then replaced by `<sealed>` before the
//! comparison. Refactorings of `run` must keep these bytes.
//!
//! To regenerate the expected files after an intended change of output:
//! `DESENSITIZE_BLESS=1 cargo test -p desensitize-cli --test golden`, and
//! review the diff.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

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

fn ok(o: &Output) {
    assert!(o.status.success(), "run failed: {}", String::from_utf8_lossy(&o.stderr));
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
        let source = inputs.iter().find(|i| i["user_id"].to_string() == user).unwrap();
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
