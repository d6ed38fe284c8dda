//! The seal ledger (issue 8): seals counted per key, also by concurrent
//! commands, advisory, reset by keygen, never a symlink.

use crate::common;

use std::io::Write;
use std::process::Stdio;

use common::{Env, PHONE, json_lines, lines, text};

/// `keys list --json` of `env`, as (seal_count, seal_count_file, seal_count_ledger) of key `id`.
fn seal_counts(env: &Env, id: u64) -> (u64, u64, u64) {
    let keys = json_lines(&env.keyed_ok(&["keys", "list", "--json"], ""));
    let k = keys.iter().find(|k| k["id"] == id).unwrap();
    let n = |f: &str| k[f].as_u64().unwrap();
    (n("seal_count"), n("seal_count_file"), n("seal_count_ledger"))
}

#[test]
fn seals_are_counted_in_the_ledger_also_by_concurrent_commands() {
    let env = Env::with_keys("ledger");
    const N: usize = 7;
    let input: String = (0..N).map(|i| format!("1380013{:04}\n", 8000 + i)).collect();
    let seal = ["seal", "--kind", "mobile_phone", "--table", "users", "--column", "phone"];
    assert_eq!(seal_counts(&env, 1), (0, 0, 0));
    env.keyed_ok(&seal, &input);
    env.keyed_ok(&seal, &input);
    assert_eq!(seal_counts(&env, 1), (2 * N as u64, 0, 2 * N as u64));

    // Two processes at once: neither count is lost.
    let spawn = || {
        let mut all = seal.to_vec();
        all.extend(["--keys", "keys.dzk", "--passphrase-file", "pass"]);
        let mut c = env.command(&all);
        c.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
        c.spawn().unwrap()
    };
    let (mut a, mut b) = (spawn(), spawn());
    for child in [&mut a, &mut b] {
        child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    }
    for child in [a, b] {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert_eq!(lines(&text(&out.stdout)).len(), N);
    }
    assert_eq!(seal_counts(&env, 1).0, 4 * N as u64);

    // A seal that stops part-way still counts what it sealed.
    let out = env.keyed(&seal, &format!("{PHONE}\n{PHONE}\nnot a phone\n{PHONE}\n"));
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(seal_counts(&env, 1).0, 4 * N as u64 + 2);

    // One line per command, in the documented format; opens count nothing.
    let ledger = std::fs::read_to_string(env.path("keys.dzk.seals")).unwrap();
    assert_eq!(ledger.lines().count(), 5, "{ledger}");
    for line in ledger.lines() {
        let words: Vec<&str> = line.split(' ').collect();
        assert_eq!((words[0], words[1], words[4]), ("dzseals1", "1", "seal"), "{line}");
    }
    let sealed = env.keyed_ok(&seal, &format!("{PHONE}\n"));
    env.keyed_ok(
        &["open", "--kind", "mobile_phone", "--table", "users", "--column", "phone", "--purpose", "t"],
        &sealed,
    );
    assert_eq!(seal_counts(&env, 1).0, 4 * N as u64 + 3);
    let table = env.keyed_ok(&["keys", "list"], "");
    assert!(
        lines(&table)[1].split_whitespace().eq(["1", "active", &(4 * N + 3).to_string(), "-", "aes"]),
        "{table}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(env.path("keys.dzk.seals")).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

#[test]
fn the_ledger_is_per_key_advisory_and_reset_by_keygen() {
    let env = Env::with_keys("ledger-keys");
    env.keyed_ok(&["keys", "rotate"], "");
    env.keyed_ok(&["seal", "--kind", "email", "--empty-context"], "a@b.cn\nc@d.cn\n");
    assert_eq!((seal_counts(&env, 1).0, seal_counts(&env, 2).0), (0, 2));

    // An `aes` key past envelope v1's 2^32: no advice (XAES-256-GCM). Foreign lines: ignored, reported.
    let mut f = std::fs::OpenOptions::new().append(true).open(env.path("keys.dzk.seals")).unwrap();
    f.write_all(b"dzseals1 2 5000000000 0 run\nnot a ledger line\n").unwrap();
    let out = env.keyed(&["keys", "list"], "");
    assert!(out.status.success());
    assert!(lines(&text(&out.stdout))[2].split_whitespace().eq(["2", "active", "5000000002", "-", "aes"]));
    let stderr = text(&out.stderr);
    assert!(!stderr.contains("key 2 has sealed"), "{stderr}");
    assert!(stderr.contains("1 unreadable lines in the seal ledger keys.dzk.seals"), "{stderr}");

    // Destroy reports the upper bound of what the key sealed.
    std::fs::write(env.path("keys.dzk.seals"), "dzseals1 1 5 0 seal\n").unwrap();
    let out = env.keyed(&["keys", "destroy", "--key-id", "1", "--remaining", "0"], "");
    assert!(
        text(&out.stderr).contains("destroyed key 1 (it sealed at most 5 values)"),
        "{}",
        text(&out.stderr)
    );

    // A new keyring starts from zero: keygen removes the old ledger.
    let out = env.run(&["keygen", "--out", "keys.dzk", "--passphrase-file", "pass", "--force"], "");
    assert!(out.status.success());
    assert!(!env.path("keys.dzk.seals").exists());
    assert_eq!(seal_counts(&env, 1), (0, 0, 0));
}

#[cfg(unix)]
#[test]
fn a_symlinked_ledger_is_refused_and_nothing_is_sealed() {
    // The nonce budget needs the ledger's counts: a ledger that cannot be
    // read (a symlink is never followed) stops the command before it seals.
    let env = Env::with_keys("ledger-link");
    std::fs::write(env.path("target"), "").unwrap();
    std::os::unix::fs::symlink(env.path("target"), env.path("keys.dzk.seals")).unwrap();
    let out = env
        .keyed(&["seal", "--kind", "mobile_phone", "--table", "t", "--column", "c"], &format!("{PHONE}\n"));
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(out.stdout.is_empty());
    let refused = "cannot read the seal ledger keys.dzk.seals: a symlink or not a regular file";
    assert!(text(&out.stderr).contains(refused), "{}", text(&out.stderr));
    assert_eq!(std::fs::read(env.path("target")).unwrap(), b"", "wrote through the symlink");
    let out = env.keyed(&["keys", "list"], "");
    assert!(text(&out.stderr).contains(refused), "{}", text(&out.stderr));
}

#[test]
fn a_gm_key_past_its_nonce_budget_refuses_to_seal_until_rotated() {
    let env = Env::with_keys("ledger-budget");
    let seal = ["seal", "--kind", "mobile_phone", "--table", "t", "--column", "c"];
    let budget_of = |id: u64| {
        let keys = json_lines(&env.keyed_ok(&["keys", "list", "--json"], ""));
        keys.iter().find(|k| k["id"] == id).unwrap()["nonce_budget"].as_str().unwrap().to_owned()
    };
    // An `aes` key at envelope v1's 2^32 seals still seals.
    std::fs::write(env.path("keys.dzk.seals"), "dzseals1 1 4294967296 0 run\n").unwrap();
    assert_eq!(budget_of(1), "within");
    env.keyed_ok(&seal, &format!("{PHONE}\n"));
    assert_eq!(seal_counts(&env, 1).0, (1 << 32) + 1);

    env.keyed_ok(&["keys", "rotate", "--suite", "gm"], "");
    assert_eq!(budget_of(2), "within");
    // 2^47 seals: flagged, still sealing.
    std::fs::write(env.path("keys.dzk.seals"), "dzseals1 2 140737488355328 0 run\n").unwrap();
    assert_eq!(budget_of(2), "warning");
    let out = env.keyed(&["keys", "list"], "");
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(
            "key 2 has sealed 140737488355328 values, past half its 2^48 nonce budget of a `gm` key"
        ),
        "{stderr}"
    );
    // One seal short of 2^48: the next seal is the last.
    std::fs::write(env.path("keys.dzk.seals"), "dzseals1 2 281474976710655 0 run\n").unwrap();
    let out = env.keyed(&seal, &format!("{PHONE}\n{PHONE}\n"));
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert_eq!(lines(&text(&out.stdout)).len(), 1, "one value sealed, then refused");
    let stderr = text(&out.stderr);
    assert!(stderr.contains("key 2 has sealed its nonce budget") && stderr.contains("rotate"), "{stderr}");
    assert_eq!(seal_counts(&env, 2), (1 << 48, 0, 1 << 48), "the last seal is in the ledger");
    assert_eq!(budget_of(2), "exhausted");
    let out = env.keyed(&["keys", "list"], "");
    assert!(
        text(&out.stderr).contains("its whole 2^48 nonce budget of a `gm` key: it refuses to seal"),
        "{}",
        text(&out.stderr)
    );
    // Rotated: the new key seals.
    env.keyed_ok(&["keys", "rotate"], "");
    assert!(env.keyed_ok(&seal, &format!("{PHONE}\n")).starts_with("dz1."));
    assert_eq!((budget_of(2), budget_of(3)), ("exhausted".to_owned(), "within".to_owned()));
}
