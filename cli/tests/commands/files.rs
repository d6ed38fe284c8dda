//! The files commands write (issue 20, items 2, 6 and 7): a keyring behind
//! a symbolic link is never replaced by `keys rotate` / `destroy` / `pin`;
//! no command writes over its keyring, its seal ledger, its passphrase file
//! or any keyring file; a headerless CSV's first row is never echoed.

use crate::common;

use common::{Env, ID, PHONE, text};

/// Run and require a refusal (exit 2) whose message holds `needle`.
fn refused(env: &Env, args: &[&str], stdin: &str, needle: &str) -> String {
    let out = env.run(args, stdin);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
    assert!(stderr.contains(needle), "{args:?}: {stderr}");
    stderr
}

#[cfg(unix)]
#[test]
fn key_changes_through_a_symlinked_keyring_are_refused_and_change_nothing() {
    let env = Env::with_keys("files-link");
    std::fs::create_dir_all(env.path("secure")).unwrap();
    std::fs::rename(env.path("keys.dzk"), env.path("secure/real.dzk")).unwrap();
    std::os::unix::fs::symlink("secure/real.dzk", env.path("keys.dzk")).unwrap();
    let before = std::fs::read(env.path("secure/real.dzk")).unwrap();
    let keys = ["--keys", "keys.dzk", "--passphrase-file", "pass"];
    for args in [
        &["keys", "rotate"][..],
        &["keys", "destroy", "--key-id", "1", "--remaining", "0"],
        &["keys", "pin", "--domain", "analytics", "--key-id", "1"],
    ] {
        let stderr = refused(&env, &[args, &keys[..]].concat(), "", "keys.dzk is a symbolic link");
        assert!(stderr.contains("give the keyring file itself"), "{stderr}");
        let link = std::fs::symlink_metadata(env.path("keys.dzk")).unwrap();
        assert!(link.file_type().is_symlink(), "{args:?} replaced the link");
        assert_eq!(std::fs::read(env.path("secure/real.dzk")).unwrap(), before, "{args:?}");
    }
    // keygen --force through a link: refused too, the linked file kept.
    let forced = ["keygen", "--out", "keys.dzk", "--passphrase-file", "pass", "--force"];
    refused(&env, &forced, "", "keys.dzk is a symbolic link");
    assert_eq!(std::fs::read(env.path("secure/real.dzk")).unwrap(), before);

    // Named directly, the file rotates; reading through the link still works.
    let real = ["keys", "rotate", "--keys", "secure/real.dzk", "--passphrase-file", "pass"];
    assert_eq!(env.ok(&real, "").trim(), "2");
    let listed = common::json_lines(&env.ok(&[&["keys", "list", "--json"][..], &keys].concat(), ""));
    assert_eq!((listed.len(), listed[1]["state"].as_str()), (2, Some("active")));
}

#[test]
fn open_never_appends_its_audit_log_to_a_keyring_ledger_or_passphrase_file() {
    let env = Env::with_keys("files-audit");
    let sealed = env.keyed_ok(&["seal", "--kind", "mobile_phone", "--table", "t", "--column", "c"], PHONE);
    std::fs::copy(env.path("keys.dzk"), env.path("other.dzk")).unwrap();
    std::fs::write(env.path("keys.dzk.seals"), "dzseals1 1 1 0 seal\n").unwrap();
    let files = ["keys.dzk", "keys.dzk.seals", "pass", "other.dzk"];
    let before: Vec<Vec<u8>> = files.iter().map(|f| std::fs::read(env.path(f)).unwrap()).collect();
    for (audit, needle) in [
        ("keys.dzk", "the audit log (--audit) is the keyring (--keys): refusing"),
        ("./keys.dzk.seals", "is the seal ledger of the keyring"),
        ("pass", "is the passphrase file"),
        ("other.dzk", "the audit log (--audit) is a keyring file"),
    ] {
        let mut args =
            vec!["open", "--kind", "mobile_phone", "--purpose", "p", "--table", "t", "--column", "c"];
        args.extend(["--audit", audit, "--keys", "keys.dzk", "--passphrase-file", "pass"]);
        let stderr = refused(&env, &args, &sealed, needle);
        assert!(!stderr.contains(PHONE), "{stderr}");
    }
    for (file, was) in files.iter().zip(&before) {
        assert_eq!(&std::fs::read(env.path(file)).unwrap(), was, "{file} changed");
    }
    // A log of its own is fine.
    let opened = env.keyed_ok(
        &[
            "open",
            "--kind",
            "mobile_phone",
            "--purpose",
            "p",
            "--table",
            "t",
            "--column",
            "c",
            "--audit",
            "log",
        ],
        &sealed,
    );
    assert_eq!(opened.trim(), PHONE);
}

#[test]
fn keygen_and_fake_never_write_over_a_passphrase_or_keyring_file() {
    let env = Env::with_keys("files-out");
    let (keys, pass) =
        (std::fs::read(env.path("keys.dzk")).unwrap(), std::fs::read(env.path("pass")).unwrap());
    let args = ["keygen", "--out", "pass", "--passphrase-file", "./pass", "--force"];
    refused(&env, &args, "", "--out is the passphrase file: refusing to overwrite it");
    refused(&env, &["fake", "--rows", "3", "--output", "keys.dzk"], "", "the output is a keyring file");
    assert_eq!(std::fs::read(env.path("keys.dzk")).unwrap(), keys);
    assert_eq!(std::fs::read(env.path("pass")).unwrap(), pass);
    // keygen --force still replaces a keyring file on purpose.
    env.ok(&["keygen", "--out", "keys.dzk", "--passphrase-file", "pass", "--force"], "");
    assert_ne!(std::fs::read(env.path("keys.dzk")).unwrap(), keys);
}

#[test]
fn a_headerless_csv_is_never_echoed_in_the_missing_column_message() {
    let env = Env::with_keys("files-headerless");
    let input = format!("{PHONE},{ID},张三\n13957203861,{ID},李四\n");
    let ctx = ["--table", "t", "--column", "c", "--value-column", "phone"];
    let seal = env.keyed(&[&["seal", "--kind", "mobile_phone"][..], &ctx].concat(), &input);
    let open = env.keyed(&[&["open", "--kind", "mobile_phone", "--purpose", "p"][..], &ctx].concat(), &input);
    for out in [seal, open] {
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(
            stderr.contains(
                "--value-column phone: the first row, read as the header row, has no such column (3 fields"
            ),
            "{stderr}"
        );
        for value in [PHONE, ID, "张三", "13957203861"] {
            assert!(!stderr.contains(value), "a value in: {stderr}");
        }
    }
    // A near miss is pointed at by position, not text.
    let out =
        env.keyed(&[&["seal", "--kind", "mobile_phone"][..], &ctx].concat(), "id, Phone\n1,13800138000\n");
    assert!(
        text(&out.stderr).contains("field 2 differs from it only in case or spaces"),
        "{}",
        text(&out.stderr)
    );
}

#[cfg(unix)]
#[test]
fn a_passphrase_file_others_can_read_is_warned_about() {
    use std::os::unix::fs::PermissionsExt;
    let env = Env::with_keys("files-pass-mode");
    let mode = |m| std::fs::set_permissions(env.path("pass"), std::fs::Permissions::from_mode(m)).unwrap();
    mode(0o644);
    let out = env.keyed(&["-q", "keys", "list"], "");
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("desensitize: warning: pass: the passphrase file can be read by its group or by others (mode 0644)"),
        "{stderr}"
    );
    assert!(!stderr.contains(common::PASSPHRASE), "{stderr}");
    mode(0o600);
    let out = env.keyed(&["-q", "keys", "list"], "");
    assert!(out.status.success() && out.stderr.is_empty(), "{}", text(&out.stderr));
}

#[test]
fn db_rotate_takes_its_url_from_a_file_or_a_variable() {
    let env = Env::new("files-db-url");
    let help = env.ok(&["db", "rotate", "--help"], "");
    assert!(help.contains("--url-file <FILE>") && help.contains("--url-env <NAME>"), "{help}");
    // One source at a time: a usage error before anything is read.
    let both = [
        "db",
        "rotate",
        "--url",
        "postgres://a:b@h/d",
        "--url-file",
        "u",
        "--table",
        "t",
        "--columns",
        "c:email",
    ];
    let out = env.run(&both, "");
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(!text(&out.stderr).contains("a:b@"), "{}", text(&out.stderr));
}
