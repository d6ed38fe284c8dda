//! Nonces and salts stay unique across `fork()` (issue 8, defect 1).
//!
//! A forked child inherits a copy of its parent's memory, including any
//! per-thread random generator state: if nothing notices the fork, parent
//! and child draw the same "random" nonces and seal with them under the same
//! key. This file holds one test on purpose: it forks, and a forked child of
//! a process running other test threads could inherit their locks.
#![cfg(unix)]

#[path = "common/fork.rs"]
mod fork;

use std::collections::HashSet;

use desensitize::{Context, Keyring, MobilePhone, Password, PasswordParams, Sealed};

const SEALS: usize = 64;

/// What one process draws after the fork: the nonces of its envelopes (both
/// sealing paths) and the salt of a password hash.
fn draw(keyring: &Keyring) -> Vec<u8> {
    let phone: MobilePhone = "13800138000".parse().unwrap();
    let ctx = Context::new("users", "phone");
    let mut out = Vec::with_capacity(SEALS * 12 + 22);
    for i in 0..SEALS {
        let bytes = if i % 2 == 0 {
            keyring.seal(&phone, &ctx).unwrap().into_bytes()
        } else {
            let text = keyring.seal_text(&phone, &ctx).unwrap();
            Sealed::<MobilePhone>::from_text(&text).unwrap().into_bytes()
        };
        out.extend_from_slice(&bytes[12..24]);
    }
    let password: Password = "correct horse".parse().unwrap();
    let hash = password.hash_with(&PasswordParams::new(64, 1, 1).unwrap()).unwrap();
    // `$argon2id$v=19$m=64,t=1,p=1$<salt: 22 chars>$<hash>`
    let salt = hash.as_str().split('$').nth(4).unwrap().to_owned();
    out.extend_from_slice(salt.as_bytes());
    out
}

fn split(drawn: &[u8]) -> (HashSet<Vec<u8>>, Vec<u8>) {
    let (nonces, salt) = drawn.split_at(SEALS * 12);
    (nonces.chunks(12).map(<[u8]>::to_vec).collect(), salt.to_vec())
}

#[test]
fn parent_and_child_draw_different_nonces_and_salts_after_fork() {
    let keyring = Keyring::generate().unwrap();
    // Use the generator before forking, so that the child inherits live state.
    let before = draw(&keyring);

    let (parent, child) = fork::parent_and_child(|| draw(&keyring));

    let (parent_nonces, parent_salt) = split(&parent);
    let (child_nonces, child_salt) = split(&child);
    let (before_nonces, _) = split(&before);
    assert_eq!(parent_nonces.len(), SEALS, "a nonce repeated within the parent");
    assert_eq!(child_nonces.len(), SEALS, "a nonce repeated within the child");
    let shared = parent_nonces.intersection(&child_nonces).count();
    assert_eq!(shared, 0, "parent and child sealed with {shared} identical nonces");
    assert_eq!(child_nonces.intersection(&before_nonces).count(), 0);
    assert_ne!(parent_salt, child_salt, "parent and child drew the same password salt");
}
