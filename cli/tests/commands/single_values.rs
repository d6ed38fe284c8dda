//! The one-value-per-line commands: `inspect`, `mask`, `seal`, `open` and
//! `pseudonym`.

use crate::common;

use std::io::Write;
use std::process::Stdio;

use common::{Env, ID, PHONE, json_lines, lines, text};

#[test]
fn inspect_reports_facts_and_errors_without_plaintext() {
    let env = Env::new("inspect");
    let input = format!("{ID}\n110105194912310021\n\n{PHONE}\n");
    let out = env.run(&["inspect", "--kind", "cn.id_number"], &input);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let rows = json_lines(&stdout);
    assert_eq!(rows.len(), 4);

    assert_eq!(rows[0]["line"], 1);
    assert_eq!(rows[0]["valid"], true);
    assert_eq!(rows[0]["kind"], "cn.id_number");
    // The strict mask, and no birth date, region code or city: with the
    // standard mask they left one candidate (issue 20; counted in
    // desensitize's `inspect_output_leaves_many_id_numbers`).
    assert_eq!(rows[0]["masked"], "1****************X");
    let facts = &rows[0]["facts"];
    for gone in ["birth_date", "region_code", "city"] {
        assert!(facts.get(gone).is_none(), "{gone}: {facts}");
    }
    assert!(!stdout.contains("1949") && !stdout.contains("110105"), "{stdout}");
    assert_eq!(facts["gender"], "female");
    assert_eq!(facts["province"], "北京市");
    assert_eq!(facts["province_en"], "Beijing");
    assert_eq!(facts["under_14"], false);
    assert_eq!(facts["category"], "sensitive");
    assert!(facts["age"].as_u64().unwrap() >= 76);

    assert_eq!(rows[1], serde_json::json!({"line": 2, "valid": false, "error": "check digit mismatch"}));
    assert_eq!(rows[2], serde_json::json!({"line": 3, "valid": false, "error": "empty"}));
    assert_eq!(rows[3], serde_json::json!({"line": 4, "valid": false, "error": "wrong length"}));

    assert!(!stdout.contains(ID) && !stdout.contains("110105194912310021") && !stdout.contains(PHONE));
    assert!(out.stderr.is_empty());

    let out = env.run(&["inspect", "--kind", "email"], "ZhangSan@163.COM\nnot-an-email\n");
    let rows = json_lines(&text(&out.stdout));
    assert_eq!(rows[0]["facts"]["domain"], "163.com");
    assert_eq!(rows[0]["facts"]["category"], "general");
    assert_eq!(rows[1]["error"], "malformed");
    assert!(!text(&out.stdout).contains("ZhangSan"));

    let out = env.run(&["inspect", "--kind", "geo_point"], "39.9042,116.4074\n");
    let rows = json_lines(&text(&out.stdout));
    assert_eq!(rows[0]["facts"]["geohash5"], "wx4g0");
    assert!(!text(&out.stdout).contains("39.9042"));
}

#[test]
fn mask_at_each_level() {
    let env = Env::new("mask");
    let input = format!("{ID}\n");
    for (level, expected) in [
        ("strict", "1****************X"),
        ("standard", "110************02X"),
        ("relaxed", "110105********002X"),
    ] {
        assert_eq!(
            env.ok(&["mask", "--kind", "id_number", "--level", level], &input),
            format!("{expected}\n")
        );
    }
    // Default level is standard; inputs are normalized first.
    assert_eq!(env.ok(&["mask", "--kind", "mobile_phone"], "+86 138-0013-8000\r\n"), "138****8000\n");
    assert_eq!(
        env.ok(&["mask", "--kind", "mobile_phone", "--level", "strict"], &format!("{PHONE}\n")),
        "*******8000\n"
    );
    assert_eq!(env.run(&["mask", "--kind", "id_number", "--level", "loose"], "").status.code(), Some(2));
}

#[test]
fn on_invalid_error_stops_and_mark_continues() {
    let env = Env::new("oninvalid");
    let input = format!("{PHONE}\n12345\n\n13900139000\n");

    // Default: error at line 2, exit 1, earlier results already written.
    let out = env.run(&["mask", "--kind", "mobile_phone"], &input);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stdout), "138****8000\n");
    let stderr = text(&out.stderr);
    assert!(stderr.contains("line 2: invalid cn.mobile_phone: wrong length"), "{stderr}");
    assert!(!stderr.contains("12345"));

    // mark: one output line per input line, exit 0, count on stderr.
    let out = env.run(&["mask", "--kind", "mobile_phone", "--on-invalid", "mark"], &input);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(lines(&text(&out.stdout)), ["138****8000", "#INVALID", "#INVALID", "139****9000"]);
    let stderr = text(&out.stderr);
    assert!(stderr.contains("line 2: invalid cn.mobile_phone: wrong length"), "{stderr}");
    assert!(stderr.contains("line 3: invalid cn.mobile_phone: empty"), "{stderr}");
    assert!(stderr.contains("2 invalid lines"), "{stderr}");
    assert!(!stderr.contains("12345"));

    // Bytes that are not UTF-8 are an invalid line, not a crash.
    let mut c = env.command(&["mask", "--kind", "email", "--on-invalid", "mark"]);
    c.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = c.spawn().unwrap();
    child.stdin.take().unwrap().write_all(b"zhangsan@b.cn\n\xff\xfe@x.cn\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    assert_eq!(lines(&text(&out.stdout)), ["zha***@b.cn", "#INVALID"]);
    assert!(text(&out.stderr).contains("line 2: not valid UTF-8"));
}

#[test]
fn seal_then_open_through_a_pipe_with_audit() {
    let env = Env::with_keys("seal");
    let phones = format!("{PHONE}\n+86 139-0013-9000\n");
    let ctx = ["--table", "users", "--column", "phone", "--row-id-from-line"];
    let keys = ["--keys", "keys.dzk", "--passphrase-file", "pass"];

    let mut seal = env.command(&[&["seal", "--kind", "mobile_phone"][..], &ctx, &keys].concat());
    seal.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut sealer = seal.spawn().unwrap();
    sealer.stdin.take().unwrap().write_all(phones.as_bytes()).unwrap();

    let mut open = env.command(
        &[
            &["open", "--kind", "mobile_phone", "--purpose", "support-call", "--audit", "audit.jsonl"][..],
            &ctx,
            &keys,
        ]
        .concat(),
    );
    open.stdin(Stdio::from(sealer.stdout.take().unwrap())).stdout(Stdio::piped()).stderr(Stdio::piped());
    let opened = open.spawn().unwrap().wait_with_output().unwrap();
    let sealed = sealer.wait_with_output().unwrap();
    assert!(sealed.status.success(), "{}", text(&sealed.stderr));
    assert!(opened.status.success(), "{}", text(&opened.stderr));
    assert_eq!(lines(&text(&opened.stdout)), [PHONE, "13900139000"]);
    assert!(opened.stderr.is_empty(), "audit went to the file, not stderr");

    let audit = std::fs::read_to_string(env.path("audit.jsonl")).unwrap();
    let events = json_lines(&audit);
    assert_eq!(events.len(), 2);
    for (i, e) in events.iter().enumerate() {
        assert_eq!(e["purpose"], "support-call");
        assert_eq!(e["outcome"], "opened");
        assert_eq!(e["kind"], "cn.mobile_phone");
        assert_eq!(e["context"]["row"], (i + 1).to_string());
    }
    assert!(!audit.contains(PHONE) && !audit.contains("13900139000"));

    // Sealed text is dz1 envelopes, never plaintext; each seal is fresh.
    let sealed = env.keyed_ok(&[&["seal", "--kind", "mobile_phone"][..], &ctx].concat(), &phones);
    let envelopes = lines(&sealed);
    assert_eq!(envelopes.len(), 2);
    assert!(envelopes.iter().all(|e| e.starts_with("dz1.")));
    assert!(!sealed.contains(PHONE));

    // Another table: refused per line with a value-free reason; audited on stderr.
    let wrong = ["--table", "orders", "--column", "phone", "--row-id-from-line"];
    let out =
        env.keyed(&[&["open", "--kind", "mobile_phone", "--purpose", "x"][..], &wrong].concat(), &sealed);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let stderr = text(&out.stderr);
    assert!(stderr.contains("line 1: "), "{stderr}");
    assert!(stderr.contains("\"outcome\":\"refused\""), "{stderr}");
    assert!(!stderr.contains(PHONE) && !stderr.contains(envelopes[0]), "{stderr}");

    // Another line (row id): refused too.
    let swapped = format!("{}\n{}\n", envelopes[1], envelopes[0]);
    let out =
        env.keyed(&[&["open", "--kind", "mobile_phone", "--purpose", "x"][..], &ctx].concat(), &swapped);
    assert_eq!(out.status.code(), Some(1));

    // --purpose is required.
    let out = env.keyed(&[&["open", "--kind", "mobile_phone"][..], &ctx].concat(), &sealed);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn seal_open_round_trip_of_other_kinds_and_open_marks_failures() {
    let env = Env::with_keys("kinds");
    let ctx = ["--table", "t", "--column", "c"];
    for (kind, input, canonical) in [
        ("geo_point", "39.9042, 116.4074", "39.9042,116.4074"),
        ("biometric", "Rk1SAA==", "Rk1SAA=="),
        ("email", " ZhangSan@163.COM", "ZhangSan@163.com"),
        ("id_number", "11010519491231002x", ID),
    ] {
        let sealed = env.keyed_ok(&[&["seal", "--kind", kind][..], &ctx].concat(), &format!("{input}\n"));
        let stdin = format!("{sealed}not-a-seal\n");
        let out = env.keyed(
            &[&["open", "--kind", kind, "--purpose", "test", "--on-invalid", "mark"][..], &ctx].concat(),
            &stdin,
        );
        assert!(out.status.success(), "{kind}: {}", text(&out.stderr));
        assert_eq!(lines(&text(&out.stdout)), [canonical, "#INVALID"], "{kind}");
        let stderr = text(&out.stderr);
        assert!(stderr.contains("line 2: "), "{stderr}");
        assert!(!stderr.contains(canonical), "{stderr}");
    }
}

#[test]
fn password_and_unsupported_kinds_are_refused_up_front() {
    let env = Env::new("password");
    // No keyring exists: the kind is refused before any key is needed.
    let out = env.keyed(&["seal", "--kind", "password", "--table", "t", "--column", "c"], "hunter2\n");
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("cannot seal --kind password"), "{stderr}");
    assert!(!stderr.contains("hunter2"));
    let out =
        env.keyed(&["open", "--kind", "password", "--table", "t", "--column", "c", "--purpose", "p"], "x\n");
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("cannot open --kind password"), "{}", text(&out.stderr));

    let out = env.keyed(&["pseudonym", "--kind", "biometric", "--domain", "d"], "Rk1SAA==\n");
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("cannot pseudonymize --kind biometric"));

    let out = env.run(&["mask", "--kind", "shoe_size"], "");
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("unknown kind"));
}

#[test]
fn pseudonyms_are_deterministic_and_domain_separated() {
    let env = Env::with_keys("pseudonym");
    let input = format!("{PHONE}\n+86 138 0013 8000\n13900139000\n");
    let first = env.keyed_ok(&["pseudonym", "--kind", "mobile_phone", "--domain", "analytics"], &input);
    let again = env.keyed_ok(&["pseudonym", "--kind", "mobile_phone", "--domain", "analytics"], &input);
    assert_eq!(first, again);
    let tokens = lines(&first);
    assert_eq!(tokens.len(), 3);
    assert!(tokens.iter().all(|t| t.starts_with("tk1.1.")));
    assert_eq!(tokens[0], tokens[1], "same number, same token");
    assert_ne!(tokens[0], tokens[2]);

    let other = env.keyed_ok(&["pseudonym", "--kind", "mobile_phone", "--domain", "marketing"], &input);
    assert!(lines(&other).iter().zip(&tokens).all(|(a, b)| a != b));
    assert!(!first.contains(PHONE));

    let out = env.keyed(&["pseudonym", "--kind", "mobile_phone", "--domain", "Bad Domain"], &input);
    assert_eq!(out.status.code(), Some(2));
}
