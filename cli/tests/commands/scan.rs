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

/// The server URL when this build and machine can scan a table; else print
/// one line saying how to run the test.
fn pg_server() -> Option<String> {
    let url = std::env::var("DESENSITIZE_PG_URL").ok().filter(|u| !u.is_empty());
    let psql = std::process::Command::new("psql").arg("--version").output().is_ok_and(|o| o.status.success());
    match url {
        Some(u) if cfg!(feature = "postgres") && psql => Some(u),
        _ => {
            eprintln!(
                "skipped: needs --features postgres, DESENSITIZE_PG_URL and psql (run scripts/ci/ci-postgres.sh)"
            );
            None
        }
    }
}

fn psql(url: &str, sql: &str) {
    let out = std::process::Command::new("psql")
        .args([url, "-v", "ON_ERROR_STOP=1", "-qAt", "-c", sql])
        .output()
        .unwrap();
    assert!(out.status.success(), "psql: {}", text(&out.stderr));
}

#[test]
fn table_without_postgres_support_is_a_usage_error() {
    if cfg!(feature = "postgres") {
        return; // the PostgreSQL test below covers this build
    }
    let env = Env::new("scan-no-pg");
    let out = env.run(&["scan", "--table", "users"], "");
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("--features postgres"), "{}", text(&out.stderr));
}

#[test]
fn postgres_table_sample_per_column() {
    let Some(url) = pg_server() else { return };
    psql(
        &url,
        "DROP SCHEMA IF EXISTS scan_cli CASCADE; CREATE SCHEMA scan_cli; \
         CREATE TABLE scan_cli.\"Legacy\" (id BIGINT PRIMARY KEY, c2 TEXT, c3 VARCHAR(20), \"备注\" TEXT, n INTEGER, c6 CHAR(16)); \
         INSERT INTO scan_cli.\"Legacy\" VALUES \
         (1, '13800138000', '11010519491231002X', 'call me at 13900139000', 13800138000 % 1000, 'zw@example.com'), \
         (2, '+86 139-0013-9000', '110105491231002', 'nothing here', 2, NULL), \
         (3, '13700137000', '11010519491231002Y', 'ok', 3, 'wf@example.com'), \
         (4, '13600136000', 'not scanned', 'beyond the limit', 4, 'x@example.com')",
    );
    let env = Env::new("scan-pg");
    let out = env.ok(
        &[
            "scan",
            "--table",
            "scan_cli.\"Legacy\"",
            "--limit",
            "3",
            "--url-env",
            "DESENSITIZE_PG_URL",
            "--draft-policy",
            "p.toml",
        ],
        "",
    );
    let line = |col: &str| {
        out.lines().find(|l| l.starts_with(col)).unwrap_or_else(|| panic!("{col} in {out}")).to_owned()
    };
    // Only the text columns, only the first 3 rows.
    assert!(!out.lines().any(|l| l.starts_with("id ") || l.starts_with("n ")), "{out}");
    assert!(line("c2 ").contains("cn.mobile_phone") && line("c2 ").contains("100.0%"), "{out}");
    assert!(line("c2 ").split_whitespace().nth(1) == Some("3"), "{out}");
    assert!(line("c3 ").contains("cn.id_number") && line("c3 ").contains("66.7%"), "{out}");
    assert!(line("备注 ").contains("cn.mobile_phone 1"), "{out}");
    assert!(line("c6 ").contains("email") && line("c6 ").split_whitespace().nth(1) == Some("2"), "{out}");
    for secret in ["13800138000", "1101051949", "zw@", "13600136000"] {
        assert!(!out.contains(secret), "{secret} in {out}");
    }
    let policy = std::fs::read_to_string(env.path("p.toml")).unwrap();
    assert!(policy.contains("table = \"scan_cli.\\\"Legacy\\\"\""), "{policy}");
    assert!(policy.contains("[columns.c2]\n# 3 of 3 values are valid cn.mobile_phone"), "{policy}");
    assert!(policy.contains("[columns.\"备注\"]\n# REVIEW: free text"), "{policy}");
    // A table that is not there, and one with no text column.
    let missing = env.run(&["scan", "--table", "scan_cli.nope"], "");
    assert_eq!(missing.status.code(), Some(2), "{}", text(&missing.stderr));
    assert!(text(&missing.stderr).contains("no table scan_cli.nope"), "{}", text(&missing.stderr));
    psql(&url, "CREATE TABLE scan_cli.numbers (id BIGINT)");
    let numbers = env.run(&["scan", "--table", "scan_cli.numbers"], "");
    assert_eq!(numbers.status.code(), Some(2), "{}", text(&numbers.stderr));
    psql(&url, "DROP SCHEMA scan_cli CASCADE");
}
