//! The audit log of `open` (issue 8): no plaintext without a written event,
//! a private file that is never a symlink, refusals audited before the error.

use crate::common;

use common::{Env, json_lines, lines, text};

/// `count` phone numbers sealed for users.phone, one per line (row = line).
fn sealed_phones(env: &Env, count: usize) -> String {
    let phones: String = (0..count).map(|i| format!("1380013800{i}\n")).collect();
    env.keyed_ok(
        &["seal", "--kind", "mobile_phone", "--table", "users", "--column", "phone", "--row-id-from-line"],
        &phones,
    )
}

fn open_args<'a>(audit: &'a str, on_invalid: &'a str) -> Vec<&'a str> {
    let mut args = vec!["open", "--kind", "mobile_phone", "--purpose", "support", "--table", "users"];
    args.extend(["--column", "phone", "--row-id-from-line", "--on-invalid", on_invalid]);
    if !audit.is_empty() {
        args.extend(["--audit", audit]);
    }
    args
}

#[cfg(target_os = "linux")]
#[test]
fn open_prints_no_plaintext_when_the_audit_log_cannot_be_written() {
    let env = Env::with_keys("audit-full");
    let sealed = sealed_phones(&env, 3);
    for mode in ["error", "mark"] {
        let out = env.keyed(&open_args("/dev/full", mode), &sealed);
        let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
        assert_eq!(out.status.code(), Some(1), "{mode}: {stderr}");
        assert!(!stdout.contains("1380013800"), "{mode}: plaintext printed: {stdout}");
        assert!(
            stderr.contains("audit event not recorded") && stderr.contains("/dev/full"),
            "{mode}: unclear message: {stderr}"
        );
        assert!(!stderr.contains("1380013800"), "{stderr}");
    }
}

#[cfg(unix)]
#[test]
fn the_audit_log_is_private_and_never_a_symlink() {
    use std::os::unix::fs::PermissionsExt;
    let env = Env::with_keys("audit-file");
    let sealed = sealed_phones(&env, 1);
    env.keyed_ok(&open_args("audit.jsonl", "error"), &sealed);
    let mode = std::fs::metadata(env.path("audit.jsonl")).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "audit log mode {mode:o}");
    assert_eq!(json_lines(&std::fs::read_to_string(env.path("audit.jsonl")).unwrap()).len(), 1);

    // A symlink, dangling or not, is refused before anything is opened.
    std::fs::write(env.path("elsewhere"), "").unwrap();
    std::os::unix::fs::symlink(env.path("elsewhere"), env.path("link.jsonl")).unwrap();
    std::os::unix::fs::symlink(env.path("missing"), env.path("dangling.jsonl")).unwrap();
    for link in ["link.jsonl", "dangling.jsonl"] {
        let out = env.keyed(&open_args(link, "error"), &sealed);
        assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
        assert!(out.stdout.is_empty());
        assert!(text(&out.stderr).contains("symbolic link"), "{}", text(&out.stderr));
    }
    assert_eq!(std::fs::read_to_string(env.path("elsewhere")).unwrap(), "");
    assert!(!env.path("missing").exists());
}

#[test]
fn refused_envelopes_are_audited_before_the_error() {
    let env = Env::with_keys("audit-refused");
    let out = env.keyed(&open_args("audit.jsonl", "mark"), "not sealed\ndz1.AQ\ndz1.!!\n\n");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(lines(&text(&out.stdout)), ["#INVALID"; 4]);
    let events = json_lines(&std::fs::read_to_string(env.path("audit.jsonl")).unwrap());
    let errors: Vec<&str> = events.iter().map(|e| e["error"].as_str().unwrap()).collect();
    assert_eq!(
        errors,
        [
            "malformed sealed value: not a dz1 sealed value",
            "sealed value is truncated",
            "malformed sealed value: invalid base64 in sealed value",
            "malformed sealed value: not a dz1 sealed value",
        ]
    );
    assert!(events.iter().all(|e| e["outcome"] == "refused" && e["purpose"] == "support"));
}

/// Without --audit the events go to stderr; when that is /dev/null they
/// would be lost (Rust's stderr also reports success on a closed
/// descriptor), so `open` refuses before opening anything.
#[cfg(target_os = "linux")]
#[test]
fn open_refuses_an_audit_log_on_stderr_that_is_dev_null() {
    use std::io::Write;
    use std::process::Stdio;
    let env = Env::with_keys("audit-null");
    let sealed = sealed_phones(&env, 2);
    let mut all = open_args("", "error");
    all.extend(["--keys", "keys.dzk", "--passphrase-file", "pass"]);
    let mut child =
        env.command(&all).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::null()).spawn().unwrap();
    child.stdin.take().unwrap().write_all(sealed.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(text(&out.stdout), "", "printed plaintext with nowhere to audit it");
    // With stderr as a pipe the same command opens and audits.
    let out = env.keyed(&open_args("", "error"), &sealed);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(lines(&text(&out.stdout)), ["13800138000", "13800138001"]);
    assert_eq!(json_lines(&text(&out.stderr)).len(), 2);
}

/// `--audit /dev/null` would record nothing: refused before anything is
/// opened (issue 20, item 4), as the library's opener refuses it for Python.
#[cfg(unix)]
#[test]
fn open_refuses_an_audit_log_that_records_nothing() {
    let env = Env::with_keys("audit-dev-null");
    let sealed = sealed_phones(&env, 2);
    let out = env.keyed(&open_args("/dev/null", "error"), &sealed);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert_eq!(text(&out.stdout), "", "printed plaintext with nowhere to audit it");
    assert!(stderr.contains("/dev/null") && stderr.contains("records nothing"), "{stderr}");
    assert!(!stderr.contains("1380013800"), "{stderr}");
}

/// Four `open --audit` processes at once on one log keep one chain
/// (issue 21): `audit verify` passes, with the checkpoints each wrote.
#[test]
fn concurrent_opens_keep_one_chain_that_audit_verify_passes() {
    let env = Env::with_keys("audit-concurrent");
    let sealed = sealed_phones(&env, 10);
    let children: Vec<_> = (0..4)
        .map(|_| {
            let mut args = open_args("audit.jsonl", "error");
            args.extend(["--keys", "keys.dzk", "--passphrase-file", "pass"]);
            let sealed = sealed.clone();
            let command = env.command(&args);
            std::thread::spawn(move || common::run_with(command, &sealed))
        })
        .collect();
    for child in children {
        let out = child.join().unwrap();
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
    let log = std::fs::read_to_string(env.path("audit.jsonl")).unwrap();
    let seqs: Vec<u64> = json_lines(&log).iter().map(|e| e["seq"].as_u64().unwrap()).collect();
    assert_eq!(seqs, (1..=40).collect::<Vec<u64>>());
    assert!(!log.contains("1380013800"), "plaintext in the audit log");
    let checkpoints = std::fs::read_to_string(env.path("keys.dzk.audit-checkpoints")).unwrap();
    assert_eq!(checkpoints.lines().count(), 4);

    let out = env.keyed(&["audit", "verify", "audit.jsonl"], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "");
    assert!(text(&out.stderr).contains("40 lines, chain intact; 4 checkpoint(s)"), "{}", text(&out.stderr));
}

/// A log edited by hand: `audit verify` exits 1 and names the line.
#[test]
fn audit_verify_names_the_tampered_line() {
    let env = Env::with_keys("audit-tampered");
    let sealed = sealed_phones(&env, 4);
    env.keyed_ok(&open_args("audit.jsonl", "error"), &sealed);
    let log = std::fs::read_to_string(env.path("audit.jsonl")).unwrap();
    let lines: Vec<&str> = log.lines().collect();
    let cases = [
        (
            "changed",
            format!("{}\n{}\n{}\n{}\n", lines[0], lines[1].replace("support", "audits!"), lines[2], lines[3]),
        ),
        ("deleted", format!("{}\n{}\n{}\n", lines[0], lines[2], lines[3])),
        ("reordered", format!("{}\n{}\n{}\n{}\n", lines[0], lines[2], lines[1], lines[3])),
        ("truncated", format!("{}\n{}\n", lines[0], lines[1])),
    ];
    let expected = [
        "line 2: its MAC does not match (changed)",
        "line 2: line 2 of the chain is missing before it (deleted)",
        "line 3: line 2 of the chain comes after line 3 (reordered)",
        "line 4: the log ends at line 2, but a checkpoint vouches for 4 lines (truncated)",
    ];
    for ((what, content), expected) in cases.iter().zip(expected) {
        std::fs::write(env.path("tampered.jsonl"), content).unwrap();
        let out = env.keyed(&["audit", "verify", "tampered.jsonl"], "");
        assert_eq!(out.status.code(), Some(1), "{what}: {}", text(&out.stderr));
        assert_eq!(lines_of(&out.stdout), [expected], "{what}");
        assert!(
            text(&out.stderr).contains(&format!("the first: {expected}")),
            "{what}: {}",
            text(&out.stderr)
        );
    }
    // A checkpoint file named but missing is a usage error.
    let out = env.keyed(&["audit", "verify", "tampered.jsonl", "--checkpoints", "/nonexistent/x"], "");
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("checkpoint file /nonexistent/x not found"), "{}", text(&out.stderr));
    // Without checkpoints, the truncation cannot be seen: verify says so.
    std::fs::remove_file(env.path("keys.dzk.audit-checkpoints")).unwrap();
    let out = env.keyed(&["audit", "verify", "tampered.jsonl"], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("2 lines, chain intact; no checkpoints (a truncated tail cannot be seen)"),
        "{}",
        text(&out.stderr)
    );
}

fn lines_of(bytes: &[u8]) -> Vec<String> {
    text(bytes).lines().map(str::to_owned).collect()
}

#[test]
fn audit_report_counts_by_principal_role_purpose_kind_and_day_and_lists_alarms() {
    let env = Env::with_keys("audit-report");
    let log = concat!(
        r#"{"ts_ms":0,"kind":"cn.mobile_phone","purpose":"support","outcome":"opened","principal":"ann","role":"support","decision":"masked"}"#,
        "\n",
        r#"{"ts_ms":1,"kind":"cn.id_number","purpose":"support","outcome":"refused","principal":"ann","role":"support","decision":"refused"}"#,
        "\n",
        r#"{"ts_ms":86400000,"kind":"cn.id_number","purpose":"audit","outcome":"opened"}"#,
        "\n",
        r#"{"ts_ms":86400001,"event":"alarm","principal":"ann","alarm":"90% of the daily budget"}"#,
        "\n",
    );
    std::fs::write(env.path("audit.jsonl"), log).unwrap();
    let out = env.ok(&["audit", "report", "audit.jsonl", "--json"], "");
    let summary: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(summary["events"], 3);
    assert_eq!(summary["total"], serde_json::json!({"allowed": 1, "masked": 1, "refused": 1}));
    assert_eq!(
        summary["by"]["principal"]["ann"],
        serde_json::json!({"allowed": 0, "masked": 1, "refused": 1})
    );
    assert_eq!(summary["by"]["role"]["-"]["allowed"], 1);
    assert_eq!(summary["by"]["day"]["1970-01-02"]["allowed"], 1);
    assert_eq!(summary["by"]["kind"]["cn.id_number"]["refused"], 1);
    assert_eq!(summary["alarms"][0]["line"], 4);
    let out = env.ok(&["audit", "report", "audit.jsonl"], "");
    assert!(out.starts_with("events: 3  (allowed      1  masked      1  refused      1)\n"), "{out}");
    assert!(
        out.contains("\nby purpose:\n  audit    allowed      1  masked      0  refused      0\n"),
        "{out}"
    );
    assert!(out.contains("\nalarms: 1\n  line 4: "), "{out}");
    // A real chained log from `open` is read too (its chain members left out).
    let sealed = sealed_phones(&env, 2);
    env.keyed_ok(&open_args("chained.jsonl", "error"), &sealed);
    let out = env.ok(&["audit", "report", "chained.jsonl", "--json"], "");
    let summary: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(summary["by"]["purpose"]["support"]["allowed"], 2);
}

/// A log that does not end in a chained line (an older, unchained log; a
/// line cut short) cannot be continued: `open` prints nothing and says so.
#[test]
fn open_refuses_to_continue_a_log_that_is_not_chained() {
    let env = Env::with_keys("audit-unchained");
    let sealed = sealed_phones(&env, 2);
    std::fs::write(env.path("old.jsonl"), "{\"kind\":\"cn.mobile_phone\",\"outcome\":\"opened\"}\n").unwrap();
    let out = env.keyed(&open_args("old.jsonl", "error"), &sealed);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_eq!(text(&out.stdout), "", "printed plaintext with no record of it");
    assert!(stderr.contains("the audit log's last line is not chained"), "{stderr}");
    assert_eq!(std::fs::read_to_string(env.path("old.jsonl")).unwrap().lines().count(), 1);
}
