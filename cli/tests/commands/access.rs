//! `open --as NAME --access RULES` (issue 21): support sees phones masked
//! and ID numbers not at all, the auditor sees everything for `audit` only,
//! a principal over budget is refused until `access lift`, the alarm hook
//! runs, and every decision is in the audit log.

use crate::common;

use common::{Env, ID, PHONE, json_lines, lines, text};

/// The scenario's rules, shared with the Python test.
const RULES: &str = include_str!("../../../tests/fixtures/access_rules.toml");

fn seal(env: &Env, kind: &str, column: &str, value: &str) -> String {
    env.keyed_ok(&["seal", "--kind", kind, "--table", "users", "--column", column], &format!("{value}\n"))
}

/// `open` as `who` for `purpose`, errors marked, audited to audit.jsonl.
fn open_as(
    env: &Env,
    who: &str,
    purpose: &str,
    kind: &str,
    column: &str,
    sealed: &str,
) -> (Option<i32>, String) {
    let mut args = vec!["open", "--kind", kind, "--table", "users", "--column", column, "--purpose", purpose];
    args.extend(["--on-invalid", "mark", "--audit", "audit.jsonl", "--as", who, "--access", "rules.toml"]);
    args.extend([
        "--counter",
        "counts.json",
        "--alarm-command",
        "echo $DZ_ALARM_PRINCIPAL $DZ_ALARM_ROLE \
        $DZ_ALARM_LIMIT $DZ_ALARM_USED $DZ_ALARM_MAX >> alarms.txt",
    ]);
    let mut all = args.clone();
    all.extend(["--keys", "keys.dzk", "--passphrase-file", "pass"]);
    let mut command = env.command(&all);
    command.env("USER", "os_alice");
    let out = common::run_with(command, sealed);
    (out.status.code(), text(&out.stdout))
}

#[test]
fn support_auditor_budget_and_lift_with_every_decision_in_the_log() {
    let env = Env::with_keys("access-scenario");
    std::fs::write(env.path("rules.toml"), RULES).unwrap();
    let phone = seal(&env, "mobile_phone", "phone", PHONE);
    let id = seal(&env, "id_number", "id", ID);

    let masked = (Some(0), "138****8000\n".to_owned());
    let invalid = (Some(0), "#INVALID\n".to_owned());
    assert_eq!(open_as(&env, "alice", "support", "mobile_phone", "phone", &phone), masked);
    assert_eq!(open_as(&env, "alice", "support", "id_number", "id", &id), invalid);
    assert_eq!(open_as(&env, "carol", "audit", "id_number", "id", &id), (Some(0), format!("{ID}\n")));
    assert_eq!(open_as(&env, "carol", "support", "mobile_phone", "phone", &phone), invalid);
    // alice's budget: 3 a day, alarm at 2; the 4th is refused until lifted.
    assert_eq!(open_as(&env, "alice", "support", "mobile_phone", "phone", &phone), masked);
    assert_eq!(open_as(&env, "alice", "support", "mobile_phone", "phone", &phone), masked);
    assert_eq!(open_as(&env, "alice", "support", "mobile_phone", "phone", &phone), invalid);
    let lift = ["access", "lift", "--as", "alice", "--access", "rules.toml", "--counter", "counts.json"];
    env.ok(&lift, "");
    assert_eq!(open_as(&env, "alice", "support", "mobile_phone", "phone", &phone), masked);

    assert_eq!(std::fs::read_to_string(env.path("alarms.txt")).unwrap(), "alice support per_day 2 3\n");
    let log = std::fs::read_to_string(env.path("audit.jsonl")).unwrap();
    assert!(!log.contains(PHONE) && !log.contains(ID), "no plaintext in the log");
    let events = json_lines(&log);
    let decisions: Vec<String> = events
        .iter()
        .map(|e| {
            format!("{} {} {} {}", e["principal"], e["decision"], e["purpose"], e["kind"]).replace('"', "")
        })
        .collect();
    assert_eq!(
        decisions,
        [
            "alice masked support cn.mobile_phone",
            "alice refused support cn.id_number",
            "carol allowed audit cn.id_number",
            "carol refused support cn.mobile_phone",
            "alice alarm support cn.mobile_phone",
            "alice masked support cn.mobile_phone",
            "alice masked support cn.mobile_phone",
            "alice refused support cn.mobile_phone",
            "alice masked support cn.mobile_phone",
        ]
    );
    assert!(events.iter().all(|e| e["os_user"] == "os_alice"));
    assert_eq!(events[0]["role"], "support");
    assert_eq!(events[0]["context"]["column"], "phone");
    assert_eq!(events[7]["error"], "access refused: reveal budget exceeded (per_day)");
}

#[test]
fn access_arguments_are_checked_before_anything_opens() {
    let env = Env::with_keys("access-usage");
    std::fs::write(env.path("rules.toml"), RULES).unwrap();
    std::fs::write(env.path("typo.toml"), "[roles.x]\npurposes = []\ndefualt = \"full\"\n").unwrap();
    let phone = seal(&env, "mobile_phone", "phone", PHONE);
    let base =
        ["open", "--kind", "mobile_phone", "--table", "users", "--column", "phone", "--purpose", "audit"];
    let run = |extra: &[&str]| {
        let args: Vec<&str> = base.iter().chain(extra).copied().collect();
        let out = env.keyed(&args, &phone);
        (out.status.code(), text(&out.stdout), text(&out.stderr))
    };
    let (code, stdout, stderr) = run(&["--as", "mallory", "--access", "rules.toml", "--counter", "c.json"]);
    assert_eq!((code, stdout.as_str()), (Some(2), ""));
    assert!(stderr.contains("--as mallory: no such principal"), "{stderr}");
    let (code, _, stderr) = run(&["--as", "carol", "--access", "rules.toml"]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("give --counter FILE"), "{stderr}");
    let (code, _, stderr) = run(&["--as", "carol", "--access", "typo.toml"]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("unknown key `defualt` in [roles.x]: did you mean `default`?"), "{stderr}");
    let (code, _, _) = run(&["--access", "rules.toml"]);
    assert_eq!(code, Some(2), "--access needs --as");
    // Rules and principal given: the plain open path is not taken.
    let (code, stdout, _) = run(&["--as", "carol", "--access", "rules.toml", "--counter", "c.json"]);
    assert_eq!((code, lines(&stdout)), (Some(0), vec![PHONE]));
}

#[test]
fn concurrent_opens_share_one_budget_through_the_counter_file() {
    let env = Env::with_keys("access-concurrent");
    let rules = "[principals]\nbob = \"desk\"\n[roles.desk]\npurposes = [\"*\"]\ndefault = \"full\"\n\
                 budget = { per_day = 10 }\n";
    std::fs::write(env.path("rules.toml"), rules).unwrap();
    let phones: String = (0..6).map(|i| format!("1380013800{i}\n")).collect();
    let sealed =
        env.keyed_ok(&["seal", "--kind", "mobile_phone", "--table", "users", "--column", "phone"], &phones);
    let mut args =
        vec!["open", "--kind", "mobile_phone", "--table", "users", "--column", "phone", "--purpose", "x"];
    args.extend([
        "--on-invalid",
        "mark",
        "--as",
        "bob",
        "--access",
        "rules.toml",
        "--counter",
        "counts.json",
    ]);
    args.extend(["--keys", "keys.dzk", "--passphrase-file", "pass", "-q"]);
    // 4 processes x 6 values against 10 a day: exactly 10 print plaintext.
    let children: Vec<_> = (0..4)
        .map(|i| {
            let log = format!("audit-{i}.jsonl");
            let mut all = args.clone();
            all.extend(["--audit", log.as_str()]);
            let mut command = env.command(&all);
            command.stdin(std::process::Stdio::piped()).stdout(std::process::Stdio::piped());
            let mut child = command.spawn().unwrap();
            use std::io::Write;
            child.stdin.take().unwrap().write_all(sealed.as_bytes()).unwrap();
            child
        })
        .collect();
    let mut opened = 0;
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", text(&out.stderr));
        opened += lines(&text(&out.stdout)).iter().filter(|l| l.starts_with("1380013800")).count();
    }
    assert_eq!(opened, 10);
    let refused: usize = (0..4)
        .map(|i| std::fs::read_to_string(env.path(&format!("audit-{i}.jsonl"))).unwrap())
        .map(|log| json_lines(&log).iter().filter(|e| e["decision"] == "refused").count())
        .sum();
    assert_eq!(refused, 14);
}
