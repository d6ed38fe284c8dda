//! `desensitize redact`: personal data in free text, masked or replaced.

use crate::common;

use std::io::{BufRead, BufReader, Write};
use std::process::Stdio;

use common::{Env, json_lines, text};

const LOG: &str = "2024-05-01 12:00:01 user 13800138000 failed login from 10.2.3.4\n\
                   2024-05-01 12:00:02 order 913800138000123 paid 138.00\n\
                   ticket: 联系人：张伟，身份证 11010519491231002X，卡号 6222 0212 3456 7894\n";

#[test]
fn masks_a_log_file_and_never_an_order_number() {
    let env = Env::new("redact-log");
    std::fs::write(env.path("app.log"), LOG).unwrap();
    let out = env.ok(&["redact", "app.log"], "");
    assert_eq!(
        out,
        "2024-05-01 12:00:01 user 138****8000 failed login from 10.2.*.*\n\
         2024-05-01 12:00:02 order 913800138000123 paid 138.00\n\
         ticket: 联系人：张*，身份证 110************02X，卡号 622202******7894\n"
    );
    // -o writes the same to a file; stdin works like a file.
    env.ok(&["redact", "-o", "safe.log"], LOG);
    assert_eq!(std::fs::read_to_string(env.path("safe.log")).unwrap(), out);
    let strict = env.ok(&["redact", "--level", "strict", "--kinds", "mobile_phone"], LOG);
    assert!(strict.contains("user *******8000 failed") && strict.contains("11010519491231002X"));
}

#[test]
fn placeholders_are_consistent_across_lines() {
    let env = Env::new("redact-placeholder");
    let out = env.ok(&["redact", "--action", "placeholder"], "a 13800138000\nb 13900139000 13800138000\n");
    assert_eq!(out, "a <手机号_1>\nb <手机号_2> <手机号_1>\n");
}

#[test]
fn json_lines_fields() {
    let env = Env::new("redact-fields");
    let input = "{\"id\":1,\"note\":\"call 13800138000\",\"phone\":\"13900139000\"}\n\n";
    let rows = json_lines(&env.ok(&["redact", "--fields", "note"], input));
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["note"], "call 138****8000");
    assert_eq!(rows[0]["phone"], "13900139000", "a field not named stays");
    let bad = env.run(&["redact", "--fields", "note"], "{\"note\": \"13800138000\"\n");
    assert_eq!(bad.status.code(), Some(1));
    assert!(!text(&bad.stderr).contains("13800138000"), "{}", text(&bad.stderr));
}

#[test]
fn line_buffered_in_a_pipe() {
    let env = Env::new("redact-pipe");
    let mut child = env.command(&["redact"]).stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    stdin.write_all(b"first 13800138000\n").unwrap();
    stdin.flush().unwrap();
    // The line comes back while stdin is still open.
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    assert_eq!(line, "first 138****8000\n");
    drop(stdin);
    assert!(child.wait().unwrap().success());
}

#[test]
fn usage_errors() {
    let env = Env::new("redact-usage");
    let out = env.run(&["redact", "--min-confidence", "2"], "");
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("minimum confidence"));
    let out = env.run(&["redact", "--kinds", "password"], "");
    assert_eq!(out.status.code(), Some(2));
    let out = env.run(&["redact", "missing.log"], "");
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("not found"));
}
