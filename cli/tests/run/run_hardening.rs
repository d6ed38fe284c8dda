//! `desensitize run` hardening (security review): error messages, output
//! paths, k-anonymity classes and minors' rows that fail closed.

use crate::common;

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

/// Distinct non-UTF-8 (GBK) quasi-identifiers are distinct classes: three
/// unique cities are all suppressed, as their UTF-8 spelling is.
#[test]
fn k_anonymity_keys_non_utf8_classes_by_their_bytes() {
    let d = Dir::new("kanon-gbk");
    d.write(
        "policy.toml",
        "unnamed_columns = \"keep\"\n[columns.city]\naction = \"keep\"\n\
         [k_anonymity]\nk = 2\nquasi_identifiers = [\"city\"]\n",
    );
    // 北京 上海 广州 in GBK.
    let gbk: [&[u8]; 3] = [b"\xb1\xb1\xbe\xa9", b"\xc9\xcf\xba\xa3", b"\xb9\xe3\xd6\xdd"];
    let mut input = b"id,city\n".to_vec();
    for (i, city) in gbk.iter().enumerate() {
        input.extend_from_slice(format!("{i},").as_bytes());
        input.extend_from_slice(city);
        input.push(b'\n');
    }
    fs::write(d.join("gbk.csv"), &input).unwrap();
    let o = d.run("gbk.csv", "gbk-out.csv", &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(fs::read(d.join("gbk-out.csv")).unwrap(), b"id,city\n");
    assert!(stderr(&o).contains("3 rows suppressed in 3 classes"), "{}", stderr(&o));

    d.write("utf8.csv", "id,city\n0,北京\n1,上海\n2,广州\n");
    let o = d.run("utf8.csv", "utf8-out.csv", &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(d.read("utf8-out.csv"), "id,city\n");

    // Two equal GBK cities make a class of 2: kept, bytes unchanged.
    input.extend_from_slice(b"3,\xb1\xb1\xbe\xa9\n");
    fs::write(d.join("gbk.csv"), &input).unwrap();
    let o = d.run("gbk.csv", "gbk-out.csv", &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        fs::read(d.join("gbk-out.csv")).unwrap(),
        b"id,city\n0,\xb1\xb1\xbe\xa9\n3,\xb1\xb1\xbe\xa9\n"
    );
}

const MINORS_POLICY: &str = r##"
on_invalid = "mark"
marker = "#INVALID"
minors = "MINORS"
[columns.id_number]
kind = "id_number"
action = "mask"
[columns.mobile]
kind = "mobile_phone"
action = "mask"
"##;

/// With `minors` other than `same`, an ID number that does not parse (a
/// child's with a wrong check digit) fails closed: the row is withheld under
/// `suppress`, a minor's (strict) row under `strict`, counted either way.
#[test]
fn invalid_id_number_is_a_minors_row_unless_minors_same() {
    let d = Dir::new("minors-invalid");
    d.write("in.csv", "id_number,mobile\n110105201506010017,13900139000\n");
    d.write("policy.toml", &MINORS_POLICY.replace("MINORS", "suppress"));
    let o = d.run("in.csv", "out.csv", &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(d.read("out.csv"), "id_number,mobile\n");
    assert!(stderr(&o).contains("minors (under 14): 1 rows withheld"), "{}", stderr(&o));

    d.write("policy.toml", &MINORS_POLICY.replace("MINORS", "strict"));
    let o = d.run("in.csv", "out.csv", &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(d.read("out.csv"), "id_number,mobile\n#INVALID,*******9000\n");
    assert!(stderr(&o).contains("minors (under 14): 1 rows masked strictly"), "{}", stderr(&o));

    // Under `same` the row is an ordinary one: the ID marked, the phone masked.
    d.write("policy.toml", &MINORS_POLICY.replace("MINORS", "same"));
    let o = d.run("in.csv", "out.csv", &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(d.read("out.csv"), "id_number,mobile\n#INVALID,139****9000\n");
}

/// `desensitize run` with a k-anonymity policy over a FIFO that gives
/// `first` to pass 1 and `second` to pass 2 (killed after 30 s).
#[cfg(target_os = "linux")]
fn kanon_over_fifo(d: &Dir, first: &'static str, second: &'static str) -> std::process::Output {
    use std::time::{Duration, Instant};
    d.write(
        "policy.toml",
        "[columns.id]\naction = \"keep\"\n[columns.city]\naction = \"keep\"\n\
         [k_anonymity]\nk = 2\nquasi_identifiers = [\"city\"]\n",
    );
    let fifo = d.join("in.csv");
    let _ = fs::remove_file(&fifo);
    assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    // Detached: it stays blocked if the run never opens the FIFO again.
    std::thread::spawn(move || {
        fs::write(&fifo, first).unwrap();
        // Pass 1 reads two rows (milliseconds) and sees end of file only
        // once no writer holds the FIFO: wait well past that before writing
        // again, so a loaded machine cannot splice `second` into pass 1.
        std::thread::sleep(Duration::from_millis(2000));
        fs::write(&fifo, second).unwrap();
    });
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_desensitize"))
        .current_dir(&d.path)
        .args([
            "run",
            "--policy",
            "policy.toml",
            "in.csv",
            "-o",
            "out.csv",
            "--format",
            "csv",
            "--threads",
            "1",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > Duration::from_secs(30) {
            child.kill().unwrap();
            panic!("the run did not finish");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

/// Pass 2 keeps only the classes pass 1 counted at least k times (rows of a
/// class never counted are suppressed), and a different row count fails the
/// run with nothing written.
#[cfg(target_os = "linux")]
#[test]
fn k_anonymity_second_pass_keeps_only_counted_classes() {
    let counted = "id,city\n1,Beijing\n2,Beijing\n";
    let d = Dir::new("kanon-fifo");
    let o = kanon_over_fifo(&d, counted, "id,city\n1,Lhasa\n2,Kashgar\n");
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(d.read("out.csv"), "id,city\n");

    let d = Dir::new("kanon-fifo-rows");
    let o = kanon_over_fifo(&d, counted, "id,city\n1,Beijing\n2,Beijing\n3,Beijing\n");
    fails_with(
        &o,
        1,
        "k-anonymity: the input changed between the counting pass (2 rows) and the writing pass (3 rows)",
    );
    assert!(!d.join("out.csv").exists());
}
