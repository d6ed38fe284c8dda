//! `desensitize run` policies: unnamed columns, checks up front, the example
//! policy, k-anonymity, minors and consent.

use crate::common;

use std::fs;
use std::path::Path;
use std::process::Command;

use common::data::{bank_card, csv_rows, id_number};
use common::run_dir::{Dir, fails_with, ok, stderr};

const TODAY: &str = "2026-11-23";

const SMALL: &str = "user_id,mobile,note\n1,13800138000,hello\n2,13900139000,\"a, b\"\n";

#[test]
fn unnamed_columns() {
    let d = Dir::new("unnamed");
    d.write("in.csv", SMALL);
    let base = "[columns.user_id]\naction = \"keep\"\n[columns.mobile]\nkind = \"mobile_phone\"\naction = \"mask\"\n";

    d.write("policy.toml", base);
    let o = d.run("in.csv", "out.csv", &[]);
    fails_with(&o, 2, "input column `note` not in the policy");
    assert!(!d.join("out.csv").exists());

    d.write("policy.toml", &format!("unnamed_columns = \"drop\"\n{base}"));
    ok(&d.run("in.csv", "out.csv", &[]));
    assert_eq!(d.read("out.csv"), "user_id,mobile\n1,138****8000\n2,139****9000\n");

    d.write("policy.toml", &format!("unnamed_columns = \"keep\"\n{base}"));
    ok(&d.run("in.csv", "out.csv", &[]));
    assert_eq!(d.read("out.csv"), "user_id,mobile,note\n1,138****8000,hello\n2,139****9000,\"a, b\"\n");

    // No keys needed for a policy that only masks.
    let o = Command::new(env!("CARGO_BIN_EXE_desensitize"))
        .current_dir(&d.path)
        .args(["-q", "run", "--policy", "policy.toml", "in.csv", "-o", "nokeys.csv"])
        .output()
        .unwrap();
    ok(&o);
    assert!(o.stderr.is_empty(), "--quiet prints nothing: {}", stderr(&o));
}

#[test]
fn k_anonymity_suppresses_small_classes() {
    let d = Dir::new("kanon");
    d.write(
        "policy.toml",
        r#"
today = "2026-11-23"
[columns.user_id]
action = "keep"
[columns.id_number]
kind = "id_number"
action = "drop"
generalize = { gender = "gender", age_band = "age_band", province = "province" }
[k_anonymity]
k = 3
quasi_identifiers = ["gender", "age_band", "province"]
"#,
    );
    let mut text = String::from("user_id,id_number\n");
    let mut n = 0;
    // Ten women born 1990 in Beijing, two men born 1950 in Shanghai, one Tibetan.
    for seq in 0..10 {
        n += 1;
        text.push_str(&format!("{n},{}\n", id_number("110105", "19900301", seq * 2)));
    }
    for seq in 0..2 {
        n += 1;
        text.push_str(&format!("{n},{}\n", id_number("310101", "19500301", seq * 2 + 1)));
    }
    n += 1;
    text.push_str(&format!("{n},{}\n", id_number("540102", "19700301", 3)));
    d.write("in.csv", &text);
    let o = d.run("in.csv", "out.csv", &[]);
    ok(&o);
    let rows = csv_rows(&d.read("out.csv"));
    assert_eq!(rows.len(), 11);
    assert!(rows[1..].iter().all(|r| r[1] == "female" && r[3] == "北京市"));
    assert!(stderr(&o).contains("3 rows suppressed in 2 classes"), "{}", stderr(&o));
    assert!(stderr(&o).contains("13 rows in, 10 rows out"), "{}", stderr(&o));

    // JSON Lines input takes the same two passes.
    let mut jsonl = String::new();
    for row in csv_rows(&text).iter().skip(1) {
        jsonl.push_str(&format!("{{\"user_id\":\"{}\",\"id_number\":\"{}\"}}\n", row[0], row[1]));
    }
    d.write("in.jsonl", &jsonl);
    ok(&d.run("in.jsonl", "out.jsonl", &[]));
    assert_eq!(d.read("out.jsonl").lines().count(), 10);
}

#[test]
fn policies_are_checked_up_front() {
    let d = Dir::new("policy");
    d.write("in.csv", "user_id,mobile,email\n1,13800138000,a@b.cn\n");
    let cases: &[(&str, &str)] = &[
        ("[columns.mobile]\naction = \"shred\"", "column `mobile`: unknown action \"shred\""),
        (
            "[columns.mobile]\nkind = \"shoe_size\"\naction = \"mask\"",
            "column `mobile`: kind = \"shoe_size\": unknown kind",
        ),
        (
            "[columns.mobile]\nkind = \"mobile_phone\"\naction = \"mask\"\nlevel = \"extreme\"",
            "unknown level \"extreme\"",
        ),
        (
            "[columns.email]\nkind = \"email\"\naction = \"fpe\"\ndomain = \"x\"",
            "action \"fpe\" does not apply to kind email",
        ),
        (
            "[columns.email]\nkind = \"email\"\naction = \"blind-index\"\nbits = 40\ndomain = \"e\"",
            "bits = 40",
        ),
        (
            "[columns.email]\nkind = \"email\"\naction = \"blind-index\"\nbits = 8\ntransform = \"last4\"\ndomain = \"e\"",
            "transform \"last4\" does not apply to kind email",
        ),
        ("[columns.mobile]\nkind = \"mobile_phone\"\naction = \"seal\"", "needs the top-level `table`"),
        ("[columns.mobile]\nkind = \"mobile_phone\"\naction = \"pseudonym\"", "needs `domain`"),
        (
            "[columns.mobile]\nkind = \"mobile_phone\"\naction = \"mask\"\ndomain = \"x\"",
            "`domain` only applies",
        ),
        (
            "[columns.mobile]\nkind = \"mobile_phone\"\naction = \"mask\"\ngeneralize = { gender = \"g\" }",
            "`generalize` does not apply to kind mobile_phone",
        ),
        (
            "[columns.user_id]\naction = \"keep\"\n[columns.email]\nkind = \"id_number\"\naction = \"drop\"\ngeneralize = { gender = \"user_id\" }",
            "clashes with the column of that name",
        ),
        (
            "[columns.mobile]\naction = \"keep\"\n[k_anonymity]\nk = 2\nquasi_identifiers = [\"gender\"]",
            "quasi-identifier `gender` is not an output column",
        ),
        (
            "[columns.mobile]\naction = \"keep\"\n[k_anonymity]\nk = 1\nquasi_identifiers = [\"mobile\"]",
            "k must be at least 2",
        ),
        ("unnamed_columns = \"sometimes\"", "unnamed_columns = \"sometimes\""),
        (
            "[columns.mobile]\naction = \"keep\"\nlevle = \"strict\"",
            "unknown key `levle` in [columns.mobile]: did you mean `level`?",
        ),
        // Against the header.
        ("row_id = \"uid\"\nunnamed_columns = \"drop\"", "row_id column `uid` is not in the input header"),
        (
            "unnamed_columns = \"drop\"\n[columns.phone]\naction = \"keep\"",
            "policy column `phone` not in the input header",
        ),
        (
            "table = \"t\"\nunnamed_columns = \"drop\"\n[columns.mobile]\nkind = \"mobile_phone\"\naction = \"seal\"",
            "--keys",
        ),
    ];
    for (policy, needle) in cases {
        d.write("policy.toml", policy);
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_desensitize"));
        cmd.current_dir(&d.path).args(["run", "--policy", "policy.toml", "in.csv", "-o", "out.csv"]);
        let o = cmd.output().unwrap();
        assert_eq!(o.status.code(), Some(2), "{policy}: {}", stderr(&o));
        assert!(stderr(&o).contains(needle), "{policy}: stderr lacks {needle:?}: {}", stderr(&o));
        assert!(!d.join("out.csv").exists());
    }
}

#[test]
fn the_example_policy_runs() {
    let d = Dir::new("example");
    let policy = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/policy.toml");
    let text = fs::read_to_string(&policy).unwrap();
    d.write("policy.toml", &text.replace("# today = \"2026-11-23\"", &format!("today = \"{TODAY}\"")));
    let mut csv = String::from("user_id,name,id_number,mobile,bank_card,email,address,location\n");
    for i in 0..12u32 {
        csv.push_str(&format!(
            "{i},李四,{},1380013{i:04},{},u{i}@example.com,北京市朝阳区建国路{i}号,\"39.9{i},116.4\"\n",
            id_number("110105", "19900101", i * 2),
            bank_card(u64::from(i)),
        ));
    }
    d.write("in.csv", &csv);
    let o = d.run("in.csv", "out.csv", &[]);
    ok(&o);
    let rows = csv_rows(&d.read("out.csv"));
    assert_eq!(
        rows[0],
        [
            "user_id",
            "name",
            "id_number",
            "gender",
            "age_band",
            "province",
            "mobile",
            "bank_card",
            "email",
            "address",
            "location"
        ]
    );
    assert_eq!(rows.len(), 13);
    assert_eq!(rows[1][5], "北京市");
}

/// `minors` and `consent_column` through `run`: rows withheld, sensitive
/// columns emptied, and the summary counting both. A `.json` policy is read as JSON.
#[test]
fn minors_and_consent_in_run() {
    let d = Dir::new("minors");
    d.write(
        "policy.json",
        r#"{"today": "2026-11-23", "minors": "suppress", "consent_column": "ok",
            "columns": {"user_id": {"action": "keep"}, "ok": {"action": "drop"},
                        "id": {"kind": "id_number", "action": "drop", "generalize": {"province": "province"}},
                        "mobile": {"kind": "mobile_phone", "action": "mask"}}}"#,
    );
    let child = id_number("440305", "20121124", 4);
    let adult = id_number("440305", "19900615", 123);
    d.write(
        "in.csv",
        &format!("user_id,ok,id,mobile\n1,yes,{adult},13800138000\n2,yes,{child},13800138000\n3,No,{adult},13800138000\n"),
    );
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_desensitize"));
    cmd.current_dir(&d.path).args(["run", "--policy", "policy.json", "in.csv", "-o", "out.csv"]);
    let o = cmd.output().unwrap();
    ok(&o);
    assert_eq!(d.read("out.csv"), "user_id,province,mobile\n1,广东省,138****8000\n3,,138****8000\n");
    let summary = stderr(&o);
    assert!(summary.contains("3 rows in, 2 rows out"), "{summary}");
    assert!(summary.contains("minors (under 14): 1 rows withheld"), "{summary}");
    assert!(summary.contains("consent (ok): sensitive columns withheld in 1 rows"), "{summary}");
}
