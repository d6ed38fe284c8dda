//! `desensitize scan`: kinds per column, and a draft policy that `run` accepts.

use crate::common;

use common::{Env, text};

const CSV: &str = "c1,c2,c3,c4,c5,c6\n\
    1,13800138000,11010519491231002X,张伟,call me at 13900139000,zw@example.com\n\
    2,+86 139-0013-9000,110105491231002,王芳,nothing here,wf@example.com\n\
    3,13700137000,11010519491231002Y,李娜,ok,\n";

#[test]
fn reports_kinds_per_column_never_a_value() {
    let env = Env::new("scan-report");
    std::fs::write(env.path("legacy.csv"), CSV).unwrap();
    let out = env.ok(&["scan", "legacy.csv"], "");
    let line = |col: &str| out.lines().find(|l| l.starts_with(col)).unwrap().to_owned();
    assert!(line("c2 ").contains("cn.mobile_phone") && line("c2 ").contains("100.0%"), "{out}");
    // One ID number has a wrong check character: 2 of 3 valid.
    assert!(line("c3 ").contains("cn.id_number") && line("c3 ").contains("66.7%"), "{out}");
    assert!(line("c4 ").contains("person_name"), "{out}");
    assert!(line("c5 ").contains("cn.mobile_phone 1"), "{out}");
    assert!(line("c6 ").contains("email") && line("c6 ").contains("100.0%"), "{out}");
    for secret in ["13800138000", "1101051949", "张伟", "zw@"] {
        assert!(!out.contains(secret), "{secret} in {out}");
    }
}

#[test]
fn draft_policy_runs() {
    let env = Env::new("scan-draft");
    std::fs::write(env.path("legacy.csv"), CSV).unwrap();
    env.ok(&["scan", "legacy.csv", "--draft-policy", "policy.toml"], "");
    let policy = std::fs::read_to_string(env.path("policy.toml")).unwrap();
    assert!(policy.contains("[columns.c1]\n# REVIEW"), "{policy}");
    assert!(policy.contains("kind = \"mobile_phone\"\naction = \"mask\""), "{policy}");
    env.ok(&["run", "--policy", "policy.toml", "legacy.csv", "-o", "safe.csv"], "");
    assert_eq!(
        std::fs::read_to_string(env.path("safe.csv")).unwrap(),
        "c1,c2,c3,c4,c6\n\
         1,138****8000,110************02X,张*,z***@example.com\n\
         2,139****9000,110************02X,王*,w***@example.com\n\
         3,137****7000,#INVALID,李*,\n"
    );
}

#[test]
fn json_lines_and_errors() {
    let env = Env::new("scan-jsonl");
    std::fs::write(env.path("x.jsonl"), "{\"a\":\"京A12345\",\"b\":1}\n{\"a\":\"粤B·D12345\"}\n").unwrap();
    let out = env.ok(&["scan", "x.jsonl"], "");
    assert!(out.lines().any(|l| l.starts_with("a ") && l.contains("license_plate")), "{out}");
    let missing = env.run(&["scan", "nope.csv"], "");
    assert_eq!(missing.status.code(), Some(2));
    std::fs::write(env.path("bad.csv"), "a\n\"unclosed\n").unwrap();
    let bad = env.run(&["scan", "bad.csv"], "");
    assert_eq!(bad.status.code(), Some(1), "{}", text(&bad.stderr));
}
