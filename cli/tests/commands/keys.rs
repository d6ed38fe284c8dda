//! `desensitize keygen` and `keys`: creating, listing, rotating, pinning and
//! destroying keys, passphrases and the files they live in.

use crate::common;

use std::process::Output;

use common::{Env, ID, PASSPHRASE, PHONE, assert_no_key_material, json_lines, lines, run_with, text};

#[test]
fn keygen_creates_refuses_to_overwrite_and_forces() {
    let env = Env::new("keygen");
    let args = ["keygen", "--out", "keys.dzk", "--passphrase-file", "pass"];
    let out = env.run(&args, "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("created keys.dzk with active key 1"));
    assert!(out.stdout.is_empty());
    let first = std::fs::read(env.path("keys.dzk")).unwrap();

    let again = env.run(&args, "");
    assert_eq!(again.status.code(), Some(2));
    assert!(text(&again.stderr).contains("--force"));
    assert_eq!(std::fs::read(env.path("keys.dzk")).unwrap(), first, "refused keygen changed the file");

    // --force, with the passphrase from the environment this time.
    let mut forced = env.command(&["keygen", "--out", "keys.dzk", "--force"]);
    forced.env("DESENSITIZE_PASSPHRASE", "another passphrase");
    let out = run_with(forced, "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_ne!(std::fs::read(env.path("keys.dzk")).unwrap(), first);

    // The old passphrase no longer opens it; the new one does.
    let wrong = env.keyed(&["keys", "list"], "");
    assert!(!wrong.status.success());
    assert!(text(&wrong.stderr).contains("wrong passphrase"), "{}", text(&wrong.stderr));
    let mut list = env.command(&["keys", "list", "--keys", "keys.dzk"]);
    list.env("DESENSITIZE_PASSPHRASE", "another passphrase");
    assert!(run_with(list, "").status.success());
}

#[test]
fn no_passphrase_without_terminal_is_a_usage_error() {
    let env = Env::new("nopass");
    let out = env.run(&["keygen", "--out", "keys.dzk"], "");
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("no passphrase"), "{}", text(&out.stderr));
    assert!(!env.path("keys.dzk").exists());
}

#[test]
fn keys_list_text_and_json_never_show_key_material() {
    let env = Env::with_keys("list");
    let table = env.keyed_ok(&["keys", "list"], "");
    let rows = lines(&table);
    assert_eq!(rows.len(), 2, "{table}");
    assert!(rows[0].contains("ID") && rows[0].contains("STATE") && rows[0].contains("SEALS"));
    assert!(rows[1].split_whitespace().eq(["1", "active", "0", "-", "aes"]), "{table}");
    assert_no_key_material(&table);

    let json = env.keyed_ok(&["keys", "list", "--json"], "");
    let keys = json_lines(&json);
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0]["id"], 1);
    assert_eq!(keys[0]["state"], "active");
    assert_eq!(keys[0]["seal_count"], 0);
    assert_no_key_material(&json);
}

#[test]
fn rotate_pin_and_the_destroy_guard() {
    let env = Env::with_keys("rotate");
    let out = env.keyed(&["keys", "rotate"], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout).trim(), "2");
    assert_no_key_material(&text(&out.stderr));

    let keys = json_lines(&env.keyed_ok(&["keys", "list", "--json"], ""));
    let states: Vec<(u64, &str)> =
        keys.iter().map(|k| (k["id"].as_u64().unwrap(), k["state"].as_str().unwrap())).collect();
    assert_eq!(states, [(1, "decrypt-only"), (2, "active")]);

    // The active key: refused.
    let out = env.keyed(&["keys", "destroy", "--key-id", "2", "--remaining", "0"], "");
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("active key"), "{}", text(&out.stderr));

    env.keyed_ok(&["keys", "pin", "--domain", "analytics", "--key-id", "1"], "");
    let keys = json_lines(&env.keyed_ok(&["keys", "list", "--json"], ""));
    assert_eq!((keys[0]["pinned"].as_bool(), keys[1]["pinned"].as_bool()), (Some(true), Some(false)));
    assert_eq!(keys[0]["pinned_domains"], serde_json::json!(["analytics"]));

    // Pinned: refused.
    let out = env.keyed(&["keys", "destroy", "--key-id", "1", "--remaining", "0"], "");
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("pinned"), "{}", text(&out.stderr));

    // Re-pinned, but values remain: refused.
    env.keyed_ok(&["keys", "pin", "--domain", "analytics", "--key-id", "2"], "");
    let out = env.keyed(&["keys", "destroy", "--key-id", "1", "--remaining", "3"], "");
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("still protects 3 values"), "{}", text(&out.stderr));

    // --remaining is required.
    assert_eq!(env.keyed(&["keys", "destroy", "--key-id", "1"], "").status.code(), Some(2));

    env.keyed_ok(&["keys", "destroy", "--key-id", "1", "--remaining", "0"], "");
    let table = env.keyed_ok(&["keys", "list"], "");
    assert!(lines(&table)[1].split_whitespace().eq(["1", "destroyed", "0", "-", "aes"]), "{table}");
    assert!(lines(&table)[2].split_whitespace().eq(["2", "active", "0", "analytics", "aes"]), "{table}");
    assert_no_key_material(&table);
}

#[test]
fn wrong_passphrase_is_reported_as_such() {
    let env = Env::with_keys("wrongpass");
    std::fs::write(env.path("wrong"), "not the passphrase\n").unwrap();
    let args = ["seal", "--kind", "id_number", "--table", "t", "--column", "c"];
    let keys = ["--keys", "keys.dzk", "--passphrase-file", "wrong"];
    let out = env.run(&[&args[..], &keys].concat(), &format!("{ID}\n"));
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("wrong passphrase"), "{}", text(&out.stderr));
    assert!(out.stdout.is_empty());
    assert!(!text(&out.stderr).contains(ID));
}

#[test]
fn missing_files_are_named_with_what_to_do() {
    let env = Env::new("missing");
    let seal = ["seal", "--kind", "mobile_phone", "--table", "t", "--column", "c"];
    let stdin = format!("{PHONE}\n");
    let check = |out: Output, expected: &str| {
        assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
        let stderr = text(&out.stderr);
        assert!(stderr.contains(expected), "{stderr}");
        assert!(!stderr.contains("entity not found") && !stderr.contains(PHONE), "{stderr}");
        assert!(out.stdout.is_empty());
    };
    let keyring_hint = "keyring file keys.dzk not found; create one with `desensitize keygen --out keys.dzk`";
    check(env.keyed(&seal, &stdin), keyring_hint);
    check(env.keyed(&["keys", "list"], ""), keyring_hint);
    check(
        env.keyed(&["open", "--kind", "mobile_phone", "--empty-context", "--purpose", "p"], "x\n"),
        keyring_hint,
    );
    check(env.keyed(&["pseudonym", "--kind", "mobile_phone", "--domain", "d"], &stdin), keyring_hint);
    std::fs::create_dir(env.path("dir.dzk")).unwrap();
    let args = [&seal[..], &["--keys", "dir.dzk", "--passphrase-file", "pass"]].concat();
    check(env.run(&args, &stdin), "keyring file dir.dzk is a directory");

    check(
        env.run(&["keygen", "--out", "keys.dzk", "--passphrase-file", "nopass"], ""),
        "passphrase file nopass not found; write the passphrase on its first line, or set DESENSITIZE_PASSPHRASE",
    );
    std::fs::write(env.path("empty"), "\n").unwrap();
    check(
        env.run(&["keygen", "--out", "keys.dzk", "--passphrase-file", "empty"], ""),
        "the passphrase file empty is empty",
    );
    env.ok(&["keygen", "--out", "keys.dzk", "--passphrase-file", "pass"], "");
    check(
        env.run(&[&seal[..], &["--keys", "keys.dzk", "--passphrase-file", "nopass"]].concat(), &stdin),
        "passphrase file nopass not found",
    );
    let out = env.run(&["keygen", "--out", "no/such/dir/keys.dzk", "--passphrase-file", "pass"], "");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr)
            .contains("cannot write keyring file no/such/dir/keys.dzk: its directory does not exist"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn quiet_keygen_prints_nothing() {
    let env = Env::new("quiet");
    for args in [
        &["-q", "keygen", "--out", "a.dzk", "--passphrase-file", "pass"][..],
        &["keygen", "--quiet", "--out", "b.dzk", "--passphrase-file", "pass"],
    ] {
        let out = env.run(args, "");
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert!(out.stderr.is_empty() && out.stdout.is_empty(), "{}", text(&out.stderr));
    }
    assert!(env.path("a.dzk").exists() && env.path("b.dzk").exists());
}

#[test]
fn key_changes_keep_the_files_argon2_parameters() {
    use desensitize::keys::PassphraseProvider;
    use desensitize::{Keyring, PasswordParams};
    let env = Env::new("keep-params");
    // Distinct from the defaults (19 MiB, 2 passes, 1 lane) and cheap.
    let written = PasswordParams::new(1024, 3, 2).unwrap();
    let provider = PassphraseProvider::new(PASSPHRASE).unwrap().with_costs(written).unwrap();
    Keyring::generate().unwrap().save(&env.path("keys.dzk"), &provider).unwrap();
    let stored = || PassphraseProvider::stored_params(&std::fs::read(env.path("keys.dzk")).unwrap()).unwrap();

    env.keyed_ok(&["keys", "rotate"], "");
    assert_eq!(stored(), written, "rotate reset the parameters");
    env.keyed_ok(&["keys", "pin", "--domain", "sales", "--key-id", "2"], "");
    assert_eq!(stored(), written, "pin reset the parameters");
    env.keyed_ok(&["keys", "destroy", "--key-id", "1", "--remaining", "0"], "");
    assert_eq!(stored(), written, "destroy reset the parameters");
    let keys = json_lines(&env.keyed_ok(&["keys", "list", "--json"], ""));
    assert_eq!(keys.len(), 2);
}

#[test]
fn keys_pin_help_names_the_three_namespaces() {
    let env = Env::new("pin-help");
    let help = env.ok(&["keys", "pin", "--help"], "");
    for ns in ["pseudonym", "blind", "FPE"] {
        assert!(help.contains(ns), "{ns} missing from: {help}");
    }
    assert!(help.contains("three"), "{help}");
}
