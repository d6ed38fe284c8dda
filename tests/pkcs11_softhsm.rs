//! The PKCS#11 key provider against a real token (issue 21): SoftHSM2, set
//! up by `scripts/ci/ci-softhsm.sh`, which exports
//! `DESENSITIZE_PKCS11_MODULE`, `DESENSITIZE_PKCS11_TOKEN`,
//! `DESENSITIZE_PKCS11_PIN` (and `SOFTHSM2_CONF`). Without them each test
//! prints one line and passes. Run:
//! `bash scripts/ci/ci-softhsm.sh` (or, with a token of your own,
//! `cargo test --features pkcs11 --test pkcs11_softhsm`).
#![cfg(feature = "pkcs11")]

use std::path::PathBuf;
use std::process::Command;

use desensitize::keys::{Pkcs11Error, Pkcs11Provider};
use desensitize::{Context, Error, KeyError, Keyring, MobilePhone};

/// The token's module, label and PIN, or `None` (after one line) when
/// no token was set up.
fn token() -> Option<(PathBuf, String, String)> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    match (var("DESENSITIZE_PKCS11_MODULE"), var("DESENSITIZE_PKCS11_TOKEN"), var("DESENSITIZE_PKCS11_PIN")) {
        (Some(module), Some(token), Some(pin)) => Some((module.into(), token, pin)),
        _ => {
            eprintln!(
                "skipped: no PKCS#11 token (run scripts/ci/ci-softhsm.sh, which sets one up with SoftHSM2)"
            );
            None
        }
    }
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("dz-pkcs11-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Wrapped in one process, opened in another: a keyring saved under the
/// token's key, and a value sealed under it, open after a restart (and
/// the wrong PIN is refused there, before any session is logged in).
#[test]
fn a_keyring_wrapped_by_the_token_opens_in_another_process() {
    let Some((module, token, pin)) = token() else { return };
    let dir = scratch("restart");
    let label = format!("dz-test-restart-{}", std::process::id());
    let hsm = Pkcs11Provider::open_or_create(&module, &token, &pin, &label).unwrap();
    let keyring = Keyring::generate().unwrap();
    keyring.save(&dir.join("keys.dzk"), &hsm).unwrap();
    let ctx = Context::new("users", "phone").with_row("7");
    let sealed = keyring.seal(&"13800138000".parse::<MobilePhone>().unwrap(), &ctx).unwrap();
    drop(hsm);

    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child_opens_the_keyring", "--ignored", "--nocapture", "--test-threads=1"])
        .env("DZ_PKCS11_CHILD", dir.join("keys.dzk"))
        .env("DZ_PKCS11_CHILD_LABEL", &label)
        .env("DZ_PKCS11_CHILD_SEALED", sealed.to_text())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("child opened: 13800138000"), "{stdout}");
    std::fs::remove_dir_all(dir).unwrap();
}

/// The other process of the test above (runs only when it is started by it).
#[test]
#[ignore = "started by a_keyring_wrapped_by_the_token_opens_in_another_process"]
fn child_opens_the_keyring() {
    let Ok(path) = std::env::var("DZ_PKCS11_CHILD") else { return };
    let (module, token, pin) = token().unwrap();
    let label = std::env::var("DZ_PKCS11_CHILD_LABEL").unwrap();
    // A fresh process, no session logged in yet: the wrong PIN is refused.
    let wrong = Pkcs11Provider::open(&module, &token, "wrong-pin", &label).map(drop);
    assert_eq!(wrong.unwrap_err(), Pkcs11Error::Login);
    // `open`, not `open_or_create`: the key must already be in the token.
    let hsm = Pkcs11Provider::open(&module, &token, &pin, &label).unwrap();
    let keyring = Keyring::load(path.as_ref(), &hsm).unwrap();
    let sealed =
        desensitize::Sealed::<MobilePhone>::from_text(&std::env::var("DZ_PKCS11_CHILD_SEALED").unwrap())
            .unwrap();
    let ctx = Context::new("users", "phone").with_row("7");
    let phone: MobilePhone = keyring.open(&sealed, &ctx, "test").unwrap();
    println!("child opened: {}", phone.expose());
}

#[test]
fn an_unknown_token_module_or_label_and_a_changed_file_are_refused() {
    let Some((module, token, pin)) = token() else { return };
    let label = format!("dz-test-refused-{}", std::process::id());
    let err = |r: Result<Pkcs11Provider, Pkcs11Error>| r.map(drop).unwrap_err();
    assert_eq!(err(Pkcs11Provider::open(&module, &token, &pin, &label)), Pkcs11Error::KeyNotFound);
    assert_eq!(err(Pkcs11Provider::open(&module, "no-such-token", &pin, &label)), Pkcs11Error::TokenNotFound);
    assert_eq!(
        err(Pkcs11Provider::open("/nonexistent/module.so".as_ref(), &token, &pin, &label)),
        Pkcs11Error::Module
    );
    let hsm = Pkcs11Provider::open_or_create(&module, &token, &pin, &label).unwrap();
    let mut bytes = Keyring::generate().unwrap().to_protected_bytes(&hsm).unwrap();
    assert!(Keyring::from_protected_bytes(&bytes, &hsm).is_ok());
    // Another key of the same token cannot open it.
    let other = Pkcs11Provider::open_or_create(&module, &token, &pin, &format!("{label}-other")).unwrap();
    assert!(Keyring::from_protected_bytes(&bytes, &other).is_err());
    // Nor can anyone once the file is changed.
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    assert!(Keyring::from_protected_bytes(&bytes, &hsm).is_err());
    let wrapped = desensitize::keys::WrappedKey::from_bytes(vec![1; 61]);
    assert_eq!(
        desensitize::keys::KeyProvider::unwrap(&hsm, &wrapped).map(drop).unwrap_err(),
        Error::Key(KeyError::BadWrappedKey)
    );
}
