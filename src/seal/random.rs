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

use crate::error::{Error, Result};

/// A thread's generator and the process it was seeded in.
struct Seeded {
    pid: u32,
    rng: StdRng,
}

thread_local! {
    static GENERATOR: RefCell<Option<Seeded>> = const { RefCell::new(None) };
}

/// Fill `out` with cryptographically secure random bytes, never repeating
/// another process's bytes after a fork. Fails only if the OS generator
/// fails while (re)seeding.
pub(crate) fn fill(out: &mut [u8]) -> Result<()> {
    let pid = std::process::id();
    GENERATOR.with_borrow_mut(|slot| {
        let rng = match slot {
            Some(seeded) if seeded.pid == pid => &mut seeded.rng,
            _ => {
                let rng = StdRng::try_from_rng(&mut SysRng).map_err(|_| Error::Randomness)?;
                &mut slot.insert(Seeded { pid, rng }).rng
            }
        };
        rng.fill_bytes(out);
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

    #[test]
    fn keeps_its_stream_within_a_process() {
        // A known state seeded in this process is used, not replaced: the
        // OS is asked only when the process changes.
        let _: [u8; 1] = bytes().unwrap();
        GENERATOR.with_borrow_mut(|slot| slot.as_mut().unwrap().rng = StdRng::from_seed([7; 32]));
        let mut expected = [0u8; 16];
        StdRng::from_seed([7; 32]).fill_bytes(&mut expected);
        assert_eq!(bytes::<16>().unwrap(), expected);
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
