//! Fork-safe random bytes for nonces, salts and temporary names.
//!
//! Each thread keeps a ChaCha12 generator ([`StdRng`]) seeded from the
//! operating system, and the id of the process that seeded it. Every draw
//! compares that id with [`std::process::id`]: a `fork()`ed child inherits
//! a copy of the generator, sees another process id, and reseeds from the OS
//! before its first draw. Without that check parent and child would produce
//! the same nonces and seal with them under the same keys (SPEC.md §3.6).
//!
//! `rand::rng()` is not used: `rand` 0.10's `ThreadRng` does not reseed on
//! fork. Drawing every nonce from the OS would be fork-safe too, but costs a
//! system call per nonce *plus* the kernel's generator; the process-id check
//! is one cheap system call on Linux (`getpid`, no locks) and keeps the
//! buffered generator.
//!
//! Residual risk, shared with every fork detector based on process ids: a
//! descendant that never drew, forked after its ancestor's id was recycled,
//! could see the same id as its inherited state. It needs the process-id
//! space to wrap onto exactly that id while the state sits unused.

use std::cell::RefCell;

use rand::rngs::{StdRng, SysRng};
use rand::{Rng, SeedableRng};
use zeroize::Zeroize;

use crate::error::{Error, Result};

/// Bytes a thread draws from its generator at once: 85 nonces. Drawing
/// whole blocks keeps the generator's own per-call bookkeeping off the
/// per-seal path.
const BUF_LEN: usize = 1024;

/// A thread's generator, the process it was seeded in, and the not yet
/// used part of its last block of output.
struct Seeded {
    pid: u32,
    rng: StdRng,
    buf: [u8; BUF_LEN],
    /// Bytes of `buf` before `used` were handed out (and wiped).
    used: usize,
}

impl Drop for Seeded {
    fn drop(&mut self) {
        self.buf.zeroize();
    }
}

thread_local! {
    static GENERATOR: RefCell<Option<Seeded>> = const { RefCell::new(None) };
}

/// Fill `out` with cryptographically secure random bytes, never repeating
/// another process's bytes after a fork. Fails only if the OS generator
/// fails while (re)seeding.
///
/// The process-id check runs on *every* draw, before any buffered byte is
/// used: a forked child's first draw finds another pid and throws away the
/// inherited generator and buffer together.
pub(crate) fn fill(out: &mut [u8]) -> Result<()> {
    let pid = std::process::id();
    GENERATOR.with_borrow_mut(|slot| {
        let seeded = match slot {
            Some(seeded) if seeded.pid == pid => seeded,
            _ => {
                let rng = StdRng::try_from_rng(&mut SysRng).map_err(|_| Error::Randomness)?;
                // Replacing drops (and wipes) an inherited state.
                slot.insert(Seeded { pid, rng, buf: [0; BUF_LEN], used: BUF_LEN })
            }
        };
        if out.len() > BUF_LEN / 2 {
            seeded.rng.fill_bytes(out);
            return Ok(());
        }
        if BUF_LEN - seeded.used < out.len() {
            seeded.rng.fill_bytes(&mut seeded.buf);
            seeded.used = 0;
        }
        let taken = &mut seeded.buf[seeded.used..seeded.used + out.len()];
        out.copy_from_slice(taken);
        taken.zeroize();
        seeded.used += out.len();
        Ok(())
    })
}

/// `N` fresh random bytes (see [`fill`]).
pub(crate) fn bytes<const N: usize>() -> Result<[u8; N]> {
    let mut out = [0u8; N];
    fill(&mut out)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The first `n` bytes a generator seeded with `seed` gives.
    fn stream(seed: u8, n: usize) -> Vec<u8> {
        let mut out = vec![0u8; n];
        StdRng::from_seed([seed; 32]).fill_bytes(&mut out);
        out
    }

    #[test]
    fn keeps_its_stream_within_a_process() {
        // A known state seeded in this process is used, not replaced: the
        // OS is asked only when the process changes. Draws hand out the
        // stream in order, and wipe what they handed out.
        let _: [u8; 1] = bytes().unwrap();
        GENERATOR.with_borrow_mut(|slot| {
            let seeded = slot.as_mut().unwrap();
            seeded.rng = StdRng::from_seed([7; 32]);
            seeded.used = BUF_LEN;
        });
        let expected = stream(7, BUF_LEN + 16);
        assert_eq!(bytes::<16>().unwrap()[..], expected[..16]);
        assert_eq!(bytes::<12>().unwrap()[..], expected[16..28]);
        GENERATOR.with_borrow(|slot| {
            let seeded = slot.as_ref().unwrap();
            assert_eq!(seeded.used, 28);
            assert!(seeded.buf[..28].iter().all(|&b| b == 0), "handed-out bytes are wiped");
        });
        // To the end of the block (83 nonces), then the next block of the same stream.
        for at in (28..BUF_LEN).step_by(12) {
            assert_eq!(bytes::<12>().unwrap()[..], expected[at..at + 12]);
        }
        assert_eq!(bytes::<16>().unwrap()[..], expected[BUF_LEN..]);
    }

    #[test]
    fn an_inherited_buffer_is_never_used() {
        let _: [u8; 1] = bytes().unwrap();
        GENERATOR.with_borrow_mut(|slot| {
            let seeded = slot.as_mut().unwrap();
            seeded.pid ^= 1;
            seeded.rng = StdRng::from_seed([9; 32]);
            seeded.buf = [0xAA; BUF_LEN];
            seeded.used = 0;
        });
        let after: [u8; 16] = bytes().unwrap();
        assert_ne!(after, [0xAA; 16], "buffered bytes of another process were used");
        assert_ne!(after[..], stream(9, 16)[..], "the inherited generator was used");
        GENERATOR.with_borrow(|slot| assert_eq!(slot.as_ref().unwrap().pid, std::process::id()));
    }

    #[test]
    fn draws_differ_and_reseed_on_another_pid() {
        let a: [u8; 16] = bytes().unwrap();
        let b: [u8; 16] = bytes().unwrap();
        assert_ne!(a, b);
        // Pretend the state was inherited from another process: the next
        // draw must come from a fresh seed, not the inherited stream.
        let inherited = GENERATOR.with_borrow_mut(|slot| {
            let seeded = slot.as_mut().unwrap();
            seeded.pid ^= 1;
            let mut copy = StdRng::from_seed([0; 32]);
            core::mem::swap(&mut copy, &mut seeded.rng);
            // Put a known state in place and remember what it would give.
            let mut expected = StdRng::from_seed([0; 32]);
            let mut next = [0u8; 16];
            expected.fill_bytes(&mut next);
            next
        });
        let after: [u8; 16] = bytes().unwrap();
        assert_ne!(after, inherited, "an inherited generator was used without reseeding");
        GENERATOR.with_borrow(|slot| assert_eq!(slot.as_ref().unwrap().pid, std::process::id()));
    }
}
