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
//! buffered generator. Inside a batch or plan call one check per call (per
//! thread) is enough: see [`ForkChecked`].
//!
//! Residual risk, shared with every fork detector based on process ids: a
//! descendant that never drew, forked after its ancestor's id was recycled,
//! could see the same id as its inherited state. It needs the process-id
//! space to wrap onto exactly that id while the state sits unused.

use std::cell::RefCell;
use std::marker::PhantomData;

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
    /// Live [`ForkChecked`] guards on this thread (nested batch calls).
    batch_calls: u32,
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
/// The process-id check runs on every draw, before any buffered byte is
/// used (a forked child's first draw finds another pid and throws away the
/// inherited generator and buffer together), except while a
/// [`ForkChecked`] guard of a batch call is alive on this thread: that
/// guard made the check once, when the batch call began.
pub(crate) fn fill(out: &mut [u8]) -> Result<()> {
    GENERATOR.with_borrow_mut(|slot| {
        let seeded = match slot {
            Some(seeded) if seeded.batch_calls > 0 => seeded,
            _ => seeded_in(slot, std::process::id())?,
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

/// This thread's generator if it was seeded in process `pid`, else a fresh
/// one from the OS (replacing, and so wiping, an inherited state).
fn seeded_in(slot: &mut Option<Seeded>, pid: u32) -> Result<&mut Seeded> {
    if slot.as_ref().is_none_or(|seeded| seeded.pid != pid) {
        let rng = StdRng::try_from_rng(&mut SysRng).map_err(|_| Error::Randomness)?;
        *slot = Some(Seeded { pid, rng, buf: [0; BUF_LEN], used: BUF_LEN, batch_calls: 0 });
    }
    slot.as_mut().ok_or(Error::Randomness)
}

/// One fork check for a whole batch call on this thread: taken when a
/// batch or plan call starts its loop (on each thread that draws), it
/// checks the process id once, reseeding if it changed, and while it lives
/// the draws of this thread skip the per-draw check.
///
/// Sound because a batch call cannot be resumed across a `fork()`: a child
/// of a multithreaded process may only call async-signal-safe functions
/// (POSIX), so it cannot go on with our loop; a single-threaded caller that
/// forks from inside a callback it gave the batch call (a context closure)
/// is outside what a batch call supports (SECURITY.md, "Fork safety inside
/// a batch call"). Single-value calls take no guard and keep the per-draw
/// check. Not `Send`: it belongs to the thread that took it.
///
/// The outermost guard of a thread also bounds that thread's nonce groups
/// ([`super::group`]): they start empty when it is taken and are wiped
/// when it drops, so no group outlives one batch call.
pub(crate) struct ForkChecked {
    _this_thread: PhantomData<*const ()>,
}

impl ForkChecked {
    /// Check the process id now (reseeding after a fork) and skip the
    /// per-draw check on this thread until the guard drops. `None` if the
    /// OS generator fails: draws then keep their own check (and report it).
    pub(crate) fn enter() -> Option<ForkChecked> {
        let pid = std::process::id();
        GENERATOR.with_borrow_mut(|slot| {
            let seeded = seeded_in(slot, pid).ok()?;
            seeded.batch_calls += 1;
            if seeded.batch_calls == 1 {
                super::group::begin();
            }
            Some(ForkChecked { _this_thread: PhantomData })
        })
    }
}

impl Drop for ForkChecked {
    fn drop(&mut self) {
        // `try_with`: nothing to undo while the thread's locals are torn down.
        let _ = GENERATOR.try_with(|slot| {
            if let Some(seeded) = slot.borrow_mut().as_mut() {
                seeded.batch_calls = seeded.batch_calls.saturating_sub(1);
                if seeded.batch_calls == 0 {
                    super::group::end();
                }
            }
        });
    }
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

    /// Pretend this thread's state was inherited from another process.
    fn pretend_inherited(seed: u8) {
        GENERATOR.with_borrow_mut(|slot| {
            let seeded = slot.as_mut().unwrap();
            seeded.pid = std::process::id() ^ 1;
            seeded.rng = StdRng::from_seed([seed; 32]);
            seeded.used = BUF_LEN;
        });
    }

    #[test]
    fn a_batch_guard_checks_once_when_taken() {
        let _: [u8; 1] = bytes().unwrap();
        // Taking the guard checks: an inherited state is replaced.
        pretend_inherited(3);
        let checked = ForkChecked::enter().unwrap();
        assert_ne!(bytes::<16>().unwrap()[..], stream(3, 16)[..], "the guard did not check");
        GENERATOR.with_borrow(|slot| assert_eq!(slot.as_ref().unwrap().pid, std::process::id()));
        // While it lives, draws do not check (a nested guard neither).
        let nested = ForkChecked::enter().unwrap();
        pretend_inherited(4);
        drop(nested);
        assert_eq!(bytes::<16>().unwrap()[..], stream(4, 16)[..], "a draw checked inside the call");
        // Once the call is over, every draw checks again.
        drop(checked);
        GENERATOR.with_borrow(|slot| assert_eq!(slot.as_ref().unwrap().batch_calls, 0));
        pretend_inherited(5);
        assert_ne!(bytes::<16>().unwrap()[..], stream(5, 16)[..], "a single draw did not check");
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
