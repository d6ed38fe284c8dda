//! The tamper-evident audit log (issue 21): a chain written by several
//! sinks (as by several processes) verifies; each kind of tampering is
//! found and named by line; the writer fails closed on a log it cannot
//! continue. The CLI's concurrent-process test is in
//! cli/tests/commands/audit.rs.

use std::path::PathBuf;
use std::sync::Arc;

use desensitize::audit::{AuditError, ChainProblem, ChainReport, ChainedAudit, verify_chain};
use desensitize::keys::{KeyState, RootKey, Suite};
use desensitize::{Context, Error, Keyring, MobilePhone};

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("dz-audit-chain-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A keyring with one active key made from `seed` (the same keys in every
/// call, as several processes loading one keyring file have).
fn keyring(seed: u8) -> Keyring {
    let mut k = Keyring::new();
    k.add_key(1, RootKey::from_bytes([seed; 32]), KeyState::Active).unwrap();
    k
}

/// `keyring` with its opens chained into `dir/audit.jsonl`, checkpoints
/// every `every` lines into `dir/audit.checkpoints`.
fn chained(mut keyring: Keyring, dir: &std::path::Path, every: u64) -> Keyring {
    let sink = ChainedAudit::open(&dir.join("audit.jsonl"), keyring.audit_keys())
        .unwrap()
        .with_checkpoints(&dir.join("audit.checkpoints"), every)
        .unwrap();
    keyring.set_audit_sink(Arc::new(sink));
    keyring
}

/// Open one phone `n` times through `keyring`.
fn open_n(keyring: &Keyring, n: usize) {
    let ctx = Context::new("users", "phone").with_row("7");
    let sealed = keyring.seal(&"13800138000".parse::<MobilePhone>().unwrap(), &ctx).unwrap();
    for _ in 0..n {
        keyring.open(&sealed, &ctx, "support").unwrap();
    }
}

fn verify(keyring: &Keyring, dir: &std::path::Path, lines: &[String], checkpoints: bool) -> ChainReport {
    let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
    let cps = checkpoints.then(|| std::fs::read(dir.join("audit.checkpoints")).unwrap());
    verify_chain(text.as_bytes(), &keyring.audit_keys(), cps.as_deref()).unwrap()
}

/// Six chained lines written alternately by two sinks on one file.
fn six_lines(name: &str, seed: u8) -> (Keyring, PathBuf, Vec<String>) {
    let dir = scratch(name);
    let (a, b) = (chained(keyring(seed), &dir, 3), chained(keyring(seed), &dir, 3));
    for _ in 0..3 {
        open_n(&a, 1);
        open_n(&b, 1);
    }
    let text = std::fs::read_to_string(dir.join("audit.jsonl")).unwrap();
    (keyring(seed), dir, text.lines().map(str::to_owned).collect())
}

#[test]
fn an_untouched_log_from_two_writers_and_threads_verifies() {
    let (keyring, dir, lines) = six_lines("intact", 1);
    assert_eq!(lines.len(), 6);
    assert!(!lines.iter().any(|l| l.contains("13800138000")), "plaintext in the audit log");
    let seqs: Vec<u64> = lines
        .iter()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["seq"].as_u64().unwrap())
        .collect();
    assert_eq!(seqs, [1, 2, 3, 4, 5, 6]);
    let report = verify(&keyring, &dir, &lines, true);
    assert_eq!((report.lines, report.checkpoints, report.problems), (6, 2, vec![]));

    // Eight threads on four sinks over one file: still one chain.
    let more = (0..4).map(|_| Arc::new(chained(self::keyring(1), &dir, 5))).collect::<Vec<_>>();
    std::thread::scope(|s| {
        for i in 0..8 {
            let k = more[i % 4].clone();
            s.spawn(move || open_n(&k, 10));
        }
    });
    let text = std::fs::read(dir.join("audit.jsonl")).unwrap();
    let cps = std::fs::read(dir.join("audit.checkpoints")).unwrap();
    let report = verify_chain(&text[..], &keyring.audit_keys(), Some(&cps)).unwrap();
    assert!(report.is_intact(), "{:?}", report.problems);
    assert_eq!((report.lines, report.checkpoints), (86, 2 + 16));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_changed_line_is_named() {
    let (keyring, dir, mut lines) = six_lines("changed", 1);
    lines[3] = lines[3].replace("\"purpose\":\"support\"", "\"purpose\":\"audit\"");
    let report = verify(&keyring, &dir, &lines, true);
    assert_eq!(report.problems, [ChainProblem::Changed { line: 4 }]);
    assert_eq!(report.problems[0].to_string(), "line 4: its MAC does not match (changed)");
    // A MAC rewritten: that line, the next (chained to it) and the
    // checkpoint taken at it all disagree.
    let (keyring, dir2, mut lines) = six_lines("changed-mac", 1);
    let at = lines[2].rfind("\"mac\":\"").unwrap() + 7;
    let flipped = if &lines[2][at..=at] == "0" { "1" } else { "0" };
    lines[2].replace_range(at..=at, flipped);
    let report = verify(&keyring, &dir2, &lines, true);
    assert_eq!(
        report.problems,
        [
            ChainProblem::Changed { line: 3 },
            ChainProblem::CheckpointMismatch { line: 3 },
            ChainProblem::Changed { line: 4 }
        ]
    );
    std::fs::remove_dir_all(dir2).unwrap();
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_deleted_line_is_named() {
    let (keyring, dir, mut lines) = six_lines("deleted", 1);
    lines.remove(1);
    let report = verify(&keyring, &dir, &lines, true);
    // Line 3 of the chain now sits at line 2; the checkpoint at 3 still matches.
    assert_eq!(report.problems, [ChainProblem::Deleted { line: 2, from: 2, to: 2 }]);
    let (keyring2, dir2, mut lines2) = six_lines("deleted-first", 1);
    lines2.drain(0..2);
    let report = verify(&keyring2, &dir2, &lines2, false);
    assert_eq!(report.problems, [ChainProblem::Deleted { line: 1, from: 1, to: 2 }]);
    assert_eq!(
        report.problems[0].to_string(),
        "line 1: lines 1 to 2 of the chain are missing before it (deleted)"
    );
    std::fs::remove_dir_all(dir).unwrap();
    std::fs::remove_dir_all(dir2).unwrap();
}

#[test]
fn reordered_lines_are_named() {
    let (keyring, dir, mut lines) = six_lines("reordered", 1);
    lines.swap(1, 2);
    let report = verify(&keyring, &dir, &lines, false);
    assert_eq!(report.problems, [ChainProblem::Reordered { line: 3, seq: 2, after: 3 }]);
    assert_eq!(report.problems[0].to_string(), "line 3: line 2 of the chain comes after line 3 (reordered)");
    // A line copied in again, later.
    let (keyring, dir2, mut lines) = six_lines("repeated", 1);
    lines.insert(4, lines[1].clone());
    let report = verify(&keyring, &dir2, &lines, true);
    assert_eq!(report.problems, [ChainProblem::Repeated { line: 5, seq: 2 }]);
    assert_eq!(report.problems[0].to_string(), "line 5: line 2 of the chain again (repeated)");
    std::fs::remove_dir_all(dir2).unwrap();
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_truncated_tail_is_found_by_the_checkpoints() {
    let (keyring, dir, mut lines) = six_lines("truncated", 1);
    lines.truncate(4);
    // Without checkpoints a clean cut at a line boundary cannot be seen.
    assert!(verify(&keyring, &dir, &lines, false).is_intact());
    let report = verify(&keyring, &dir, &lines, true);
    assert_eq!(report.problems, [ChainProblem::Truncated { line: 6, lines: 4 }]);
    // A line cut in the middle is found without them.
    let text = lines.join("\n") + "\n" + &lines[0][..20];
    let report = verify_chain(text.as_bytes(), &keyring.audit_keys(), None).unwrap();
    assert_eq!(report.problems, [ChainProblem::CutOff { line: 5 }]);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn forged_lines_rewritten_logs_and_changed_checkpoints_are_found() {
    let (keyring, dir, mut lines) = six_lines("forged", 1);
    // A line copied from another log, under another keyring with the same key id.
    let (other, other_dir, other_lines) = six_lines("forged-other", 2);
    drop(other);
    lines.push(other_lines[5].replace("\"seq\":6", "\"seq\":7"));
    assert_eq!(verify(&keyring, &dir, &lines, false).problems, [ChainProblem::Changed { line: 7 }]);
    // The whole log replaced by another keyring's: every line; and the
    // checkpoints, taken of another chain, are not held against it.
    let report = verify(&keyring, &dir, &other_lines, true);
    assert_eq!(report.problems.len(), 6, "{:?}", report.problems);
    assert!(
        report.problems.iter().all(|p| matches!(p, ChainProblem::Changed { .. })),
        "{:?}",
        report.problems
    );
    assert_eq!((report.checkpoints, report.other_checkpoints), (0, 2));
    // A checkpoint rewritten to vouch for fewer lines.
    let cps = std::fs::read_to_string(dir.join("audit.checkpoints")).unwrap();
    let forged = cps.replacen("\"lines\":6", "\"lines\":4", 1);
    let text: String = lines[..6].iter().map(|l| format!("{l}\n")).collect();
    let report = verify_chain(text.as_bytes(), &keyring.audit_keys(), Some(forged.as_bytes())).unwrap();
    assert_eq!(report.problems, [ChainProblem::BadCheckpoint { index: 2 }]);
    // Not a chained line at all.
    let report = verify(&keyring, &dir, &["{\"kind\":\"x\"}".to_owned()], false);
    assert_eq!(report.problems, [ChainProblem::Malformed { line: 1 }]);
    std::fs::remove_dir_all(dir).unwrap();
    std::fs::remove_dir_all(other_dir).unwrap();
}

#[test]
fn lines_under_a_rotated_key_verify_and_a_destroyed_key_is_named() {
    let dir = scratch("rotated");
    open_n(&chained(keyring(1), &dir, 100), 2);
    // Key 1 rotated out for key 2, as `keys rotate` leaves it.
    let rotated = || {
        let mut k = Keyring::new();
        k.add_key(1, RootKey::from_bytes([1; 32]), KeyState::DecryptOnly).unwrap();
        k.add_key(2, RootKey::from_bytes([9; 32]), KeyState::Active).unwrap();
        k
    };
    open_n(&chained(rotated(), &dir, 100), 2);
    let mut keyring = rotated();
    let text = std::fs::read(dir.join("audit.jsonl")).unwrap();
    assert!(verify_chain(&text[..], &keyring.audit_keys(), None).unwrap().is_intact());
    keyring.destroy(1, 0).unwrap();
    let report = verify_chain(&text[..], &keyring.audit_keys(), None).unwrap();
    assert_eq!(
        report.problems,
        [ChainProblem::UnknownKey { line: 1, key_id: 1 }, ChainProblem::UnknownKey { line: 2, key_id: 1 }]
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn the_writer_fails_closed_on_a_log_it_cannot_continue() {
    let dir = scratch("closed");
    let ctx = Context::new("users", "phone").with_row("7");
    let sealed = keyring(1).seal(&"13800138000".parse::<MobilePhone>().unwrap(), &ctx).unwrap();
    for (content, why) in [
        ("{\"kind\":\"old, unchained\"}\n", "the audit log's last line is not chained"),
        ("{\"kind\":\"cut", "the audit log ends in a cut-off line"),
    ] {
        std::fs::write(dir.join("audit.jsonl"), content).unwrap();
        let k = chained(keyring(1), &dir, 10);
        assert_eq!(k.open(&sealed, &ctx, "support"), Err(Error::AuditFailed(AuditError::Unavailable(why))));
        assert_eq!(std::fs::read_to_string(dir.join("audit.jsonl")).unwrap(), content, "appended anyway");
    }
    std::fs::remove_dir_all(dir).unwrap();
}

/// The known-answer lines of SPEC.md §11.4, computed independently (Python's
/// `hmac`/`hashlib` from the formulas there) under the root key `07` × 32.
const SPEC_LOG: &str = concat!(
    r#"{"chain":"000102030405060708090a0b0c0d0e0f","kind":"cn.mobile_phone","mac_key":1,"outcome":"opened","purpose":"support","seq":1,"mac":"7008e0543a0d4e8b38c43107b9e01ef3173daa59fd6e4a6e64e6a4a0787888ec"}"#,
    "\n",
    r#"{"kind":"cn.id_number","mac_key":1,"outcome":"refused","purpose":"support","seq":2,"mac":"9142f2319138265efc273437c1a62c685296544aa01e35edca24f2d25c223639"}"#,
    "\n",
);
const SPEC_CHECKPOINT: &str = concat!(
    r#"{"first":"7008e0543a0d4e8b38c43107b9e01ef3173daa59fd6e4a6e64e6a4a0787888ec","head":"9142f2319138265efc273437c1a62c685296544aa01e35edca24f2d25c223639","lines":2,"mac_key":1,"ts_ms":0,"mac":"99f70903d82fa2c7e87d08efaae386a90d8de2353330af0efeb490295c880835"}"#,
    "\n",
);

#[test]
fn the_spec_known_answer_lines_verify() {
    let keys = keyring(7).audit_keys();
    let report = verify_chain(SPEC_LOG.as_bytes(), &keys, Some(SPEC_CHECKPOINT.as_bytes())).unwrap();
    assert_eq!((report.lines, report.checkpoints, report.problems), (2, 1, vec![]));
    // One bit of one MAC off, and both the line and the checkpoint say so.
    let off = SPEC_LOG.replacen("7008e054", "7008e055", 1);
    let report = verify_chain(off.as_bytes(), &keys, Some(SPEC_CHECKPOINT.as_bytes())).unwrap();
    assert_eq!(report.problems, [ChainProblem::Changed { line: 1 }, ChainProblem::Changed { line: 2 }]);
    // Another root key: nothing verifies.
    let report = verify_chain(SPEC_LOG.as_bytes(), &keyring(8).audit_keys(), None).unwrap();
    assert_eq!(report.problems, [ChainProblem::Changed { line: 1 }, ChainProblem::Changed { line: 2 }]);
}

/// A line over 1 MiB is neither held in memory nor trusted: malformed for
/// `verify_chain`, unreadable for `summarize`; the lines after it still count.
#[test]
fn an_overlong_line_is_refused_without_being_read_whole() {
    let huge = format!("{{\"kind\":\"{}\"}}\n", "x".repeat(2 << 20));
    let text = format!("{huge}{}", SPEC_LOG.lines().nth(1).unwrap());
    let report = verify_chain(text.as_bytes(), &keyring(7).audit_keys(), None).unwrap();
    assert_eq!(report.lines, 2);
    assert_eq!(report.problems[0], ChainProblem::Malformed { line: 1 });
    let summary = desensitize::audit::summarize(text.as_bytes()).unwrap();
    assert_eq!((summary.unreadable, summary.events), (1, 1));
}

/// Two logs of one keyring share one checkpoint file (as the CLI's
/// `KEYRING.audit-checkpoints`): each is held against its own chain's only.
#[test]
fn two_logs_sharing_a_checkpoint_file_each_verify() {
    let dir = scratch("shared");
    let sink = |log: &str| {
        let mut k = keyring(1);
        let s = ChainedAudit::open(&dir.join(log), k.audit_keys())
            .unwrap()
            .with_checkpoints(&dir.join("shared.checkpoints"), 2)
            .unwrap();
        k.set_audit_sink(Arc::new(s));
        k
    };
    open_n(&sink("a.jsonl"), 4);
    open_n(&sink("b.jsonl"), 2);
    let cps = std::fs::read(dir.join("shared.checkpoints")).unwrap();
    let keys = keyring(1).audit_keys();
    let a = verify_chain(&std::fs::read(dir.join("a.jsonl")).unwrap()[..], &keys, Some(&cps)).unwrap();
    let b = verify_chain(&std::fs::read(dir.join("b.jsonl")).unwrap()[..], &keys, Some(&cps)).unwrap();
    assert_eq!((a.problems.len(), a.checkpoints, a.other_checkpoints), (0, 2, 1));
    assert_eq!((b.problems.len(), b.checkpoints, b.other_checkpoints), (0, 1, 2));
    // a.jsonl cut to 3 lines: found through its own checkpoints.
    let text = std::fs::read_to_string(dir.join("a.jsonl")).unwrap();
    let cut: String = text.lines().take(3).map(|l| format!("{l}\n")).collect();
    let report = verify_chain(cut.as_bytes(), &keys, Some(&cps)).unwrap();
    assert_eq!(report.problems, [ChainProblem::Truncated { line: 4, lines: 3 }]);
    std::fs::remove_dir_all(dir).unwrap();
}

/// `keyring(seed)` with its key 1 of the `gm` suite.
fn gm_keyring(seed: u8) -> Keyring {
    let mut k = Keyring::new();
    k.add_key_with_suite(1, RootKey::from_bytes([seed; 32]), KeyState::Active, Suite::Gm).unwrap();
    k
}

/// SPEC_LOG's lines and checkpoint under the `gm` key `07` × 32: HKDF-SM3
/// and HMAC-SM3 (SPEC.md §11.2), computed independently with Python's
/// `hmac` over `hashlib`'s SM3.
const SPEC_LOG_GM: &str = concat!(
    r#"{"chain":"000102030405060708090a0b0c0d0e0f","kind":"cn.mobile_phone","mac_key":1,"outcome":"opened","purpose":"support","seq":1,"mac":"51062ae06de921e10e31f07759b4c65da54dd253c8106499b7439d0b5129979d"}"#,
    "\n",
    r#"{"kind":"cn.id_number","mac_key":1,"outcome":"refused","purpose":"support","seq":2,"mac":"c512165e2e6fa2120a14500793f447acdcbee2e7f66336a1c8405dc7a93e070d"}"#,
    "\n",
);
const SPEC_CHECKPOINT_GM: &str = concat!(
    r#"{"first":"51062ae06de921e10e31f07759b4c65da54dd253c8106499b7439d0b5129979d","head":"c512165e2e6fa2120a14500793f447acdcbee2e7f66336a1c8405dc7a93e070d","lines":2,"mac_key":1,"ts_ms":0,"mac":"6c94c51cec77bfc3dd48552b6bbc7df546579b9e4ecdd08c5ec7d0b58ecf39e9"}"#,
    "\n",
);

#[test]
fn a_gm_keyring_macs_with_sm3_and_its_known_answer_lines_verify() {
    let keys = gm_keyring(7).audit_keys();
    let report = verify_chain(SPEC_LOG_GM.as_bytes(), &keys, Some(SPEC_CHECKPOINT_GM.as_bytes())).unwrap();
    assert_eq!((report.lines, report.checkpoints, report.problems), (2, 1, vec![]));
    // The same root bytes as an `aes` key (HMAC-SHA256) verify neither way round.
    let report = verify_chain(SPEC_LOG_GM.as_bytes(), &keyring(7).audit_keys(), None).unwrap();
    assert_eq!(report.problems, [ChainProblem::Changed { line: 1 }, ChainProblem::Changed { line: 2 }]);
    let report = verify_chain(SPEC_LOG.as_bytes(), &keys, None).unwrap();
    assert_eq!(report.problems, [ChainProblem::Changed { line: 1 }, ChainProblem::Changed { line: 2 }]);
}

#[test]
fn a_chain_written_under_a_gm_keyring_verifies_and_tampering_is_named() {
    let dir = scratch("gm");
    let (a, b) = (chained(gm_keyring(3), &dir, 2), chained(gm_keyring(3), &dir, 2));
    for _ in 0..3 {
        open_n(&a, 1);
        open_n(&b, 1);
    }
    let text = std::fs::read_to_string(dir.join("audit.jsonl")).unwrap();
    let lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let keyring = gm_keyring(3);
    let report = verify(&keyring, &dir, &lines, true);
    assert_eq!((report.lines, report.checkpoints, report.problems), (6, 3, vec![]));
    let mut changed = lines.clone();
    changed[2] = changed[2].replace("\"purpose\":\"support\"", "\"purpose\":\"audit\"");
    assert_eq!(verify(&keyring, &dir, &changed, false).problems, [ChainProblem::Changed { line: 3 }]);
    std::fs::remove_dir_all(dir).unwrap();
}
