//! The `--pkcs11-*` flags (issue 21) without a token: what is refused, and
//! how. The round trip through a real token (SoftHSM2) is
//! scripts/ci/ci-softhsm.sh.

use crate::common;

use common::{Env, text};

const HSM: [&str; 6] = ["--pkcs11-module", "/nonexistent/libpkcs11.so", "--token", "t", "--key-label", "k"];

#[test]
fn pkcs11_flags_need_each_other_and_never_take_a_pin_on_the_command_line() {
    let env = Env::new("pkcs11-flags");
    // The module alone is not enough.
    let out = env.run(&["keygen", "--out", "keys.dzk", "--pkcs11-module", "/x.so"], "");
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("--token"), "{}", text(&out.stderr));
    // There is no flag for the PIN itself.
    let mut args = vec!["keygen", "--out", "keys.dzk", "--pkcs11-pin", "1234"];
    args.extend(HSM);
    let out = env.run(&args, "");
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    // A token and a passphrase file at once: which one wraps the keyring?
    let mut args = vec!["keygen", "--out", "keys.dzk", "--passphrase-file", "pass"];
    args.extend(HSM);
    let out = env.run(&args, "");
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(!env.path("keys.dzk").exists());
}

#[test]
fn a_module_that_cannot_be_used_creates_no_keyring() {
    let env = Env::new("pkcs11-module");
    let mut args = vec!["keygen", "--out", "keys.dzk"];
    args.extend(HSM);
    let mut command = env.command(&args);
    command.env("DESENSITIZE_PKCS11_PIN", "1234");
    let out = common::run_with(command, "");
    let stderr = text(&out.stderr);
    if cfg!(feature = "pkcs11") {
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert!(stderr.contains("cannot load the PKCS#11 module"), "{stderr}");
    } else {
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains("built without the `pkcs11` feature"), "{stderr}");
    }
    assert!(!stderr.contains("1234"), "the PIN in a message: {stderr}");
    assert!(!env.path("keys.dzk").exists());
}
