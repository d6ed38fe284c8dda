//! Nonces and salts stay unique across `fork()` (issue 8, defect 1).
//!
//! A forked child inherits a copy of its parent's memory, including any
//! per-thread random generator state: if nothing notices the fork, parent
//! and child draw the same "random" nonces and seal with them under the same
//! key. This file holds one test on purpose: it forks, and a forked child of
//! a process running other test threads could inherit their locks.
#![cfg(unix)]

use std::collections::HashSet;
use std::io::Read;
use std::os::fd::FromRawFd;

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

    let mut fds = [0 as libc::c_int; 2];
    // SAFETY: `fds` has room for the two descriptors `pipe` writes.
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
    // SAFETY: the child only seals, writes to the pipe and `_exit`s.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed");
    if pid == 0 {
        let drawn = draw(&keyring);
        let mut written = 0;
        while written < drawn.len() {
            // SAFETY: writing initialised bytes to our own pipe.
            let n = unsafe { libc::write(fds[1], drawn[written..].as_ptr().cast(), drawn.len() - written) };
            if n <= 0 {
                // SAFETY: leave the child without running the parent's destructors.
                unsafe { libc::_exit(2) };
            }
            written += n as usize;
        }
        // SAFETY: as above.
        unsafe { libc::_exit(0) };
    }
    // SAFETY: closing our copy of the write end, so that reading sees EOF.
    unsafe { libc::close(fds[1]) };
    let parent = draw(&keyring);
    // SAFETY: the read end is ours and closed only by this `File`.
    let mut pipe = unsafe { std::fs::File::from_raw_fd(fds[0]) };
    let mut child = Vec::new();
    pipe.read_to_end(&mut child).unwrap();
    let mut status = 0;
    // SAFETY: waiting for our own child.
    assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
    assert!(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0, "child failed: {status}");
    assert_eq!(child.len(), parent.len(), "child wrote everything");

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
