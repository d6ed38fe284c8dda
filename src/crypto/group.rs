//! Nonce groups inside a batch call (SPEC.md §3a.3, §3a.6): in XAES-256-GCM
//! (and its SM4 analogue) the per-message key depends only on the scope's
//! sealing key and `N[0..12]`, so a sealer may draw `N[0..12]` once for up
//! to [`GROUP_MAX`] messages, derive their GCM cipher once, and draw only
//! `N[12..24]` per message. Every envelope is still exactly XAES-256-GCM
//! with a 192-bit nonce; readers need nothing new.
//!
//! A group lives only inside one batch or plan call, on one thread: the
//! outermost [`ForkChecked`](super::random::ForkChecked) guard of a call
//! starts this thread's groups empty and wipes them when it drops. Outside a
//! batch call (every single-value seal) [`sealing`] draws a fresh 24-byte
//! nonce and derives a fresh message key, as before. The thread-local state
//! is never shared across threads (each rayon worker has its own), and a
//! forked child cannot resume a batch call (see `random`).
//!
//! Openers inside a batch call keep the cipher of a prefix met twice in a
//! row per scope key ([`opening`]), so a column sealed by the batch path and
//! opened in order derives twice per group, not once per value. The prefix is public (it is in the
//! envelope) and compared as such.

use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};

use aes_gcm::AesGcm;
use aes_gcm::aead::KeyInit;
use aes_gcm::aead::consts::{U12, U16};
use aes_gcm::aes::Aes256Enc;
use aes_gcm::aes::cipher::{BlockCipherEncrypt, BlockSizeUser, KeySizeUser};
use sm4::Sm4;

use super::random;
use super::xgcm::{ExtKdf, KDF_NONCE_LEN, XNONCE_LEN};
use crate::error::Result;

/// Messages sealed under one `N[0..12]` (one derived key) at most: 2^12.
///
/// Within a group the 96-bit GCM nonces are random, so a repeat inside one
/// group has probability about `G^2 / 2^97` (2^-73); over `M` seals under
/// one sealing key the grouped risk is about `M * G / 2^97 + M^2 / 2^193`,
/// at most 2^-32 up to 2^53 seals (SPEC.md §3a.6). 2^12 already makes the
/// key derivation (about 120 ns) cost well under a nanosecond per seal; a
/// larger `G` buys nothing measurable and costs volume.
pub(crate) const GROUP_MAX: u32 = 1 << 12;

/// Scope keys with per-message derivation tell their groups apart by this
/// id, given when an [`ExtKdf`] is made (public, never reused in a
/// process; clones share it, as they share the key).
static NEXT_ID: AtomicU64 = AtomicU64::new(1);

/// A fresh id for a newly derived [`ExtKdf`].
pub(crate) fn next_id() -> u64 {
    NEXT_ID.fetch_add(1, Ordering::Relaxed)
}

/// A derived message cipher (wiped on drop: `aes-gcm`'s `zeroize`) and the
/// `N[0..12]` it was derived from.
struct Derived<B> {
    prefix: [u8; KDF_NONCE_LEN],
    cipher: Box<AesGcm<B, U12>>,
}

/// One scope key's state on this thread during a batch call.
pub(crate) struct Entry<B> {
    kdf_id: u64,
    /// The sealing group and how many more messages it may seal.
    seal: Option<(Derived<B>, u32)>,
    /// The cipher of a prefix opened at least twice in a row (a one-entry cache).
    open: Option<Derived<B>>,
    /// The prefix of the last envelope opened.
    last_opened: Option<[u8; KDF_NONCE_LEN]>,
}

/// Scope keys remembered per suite, thread and call: a plan seals a few
/// columns per row; beyond this many the oldest is dropped (its group
/// ends; a new one follows if it seals again).
const MAX_ENTRIES: usize = 8;

/// This thread's groups during a batch call, per suite.
#[derive(Default)]
pub(crate) struct Groups {
    aes: Vec<Entry<Aes256Enc>>,
    gm: Vec<Entry<Sm4>>,
}

/// The block ciphers of the suites: where their entries are kept.
pub(crate) trait GroupCipher:
    BlockCipherEncrypt + BlockSizeUser<BlockSize = U16> + KeyInit + KeySizeUser + Sized
{
    /// This suite's entries.
    fn entries(groups: &mut Groups) -> &mut Vec<Entry<Self>>;
}

impl GroupCipher for Aes256Enc {
    fn entries(groups: &mut Groups) -> &mut Vec<Entry<Self>> {
        &mut groups.aes
    }
}

impl GroupCipher for Sm4 {
    fn entries(groups: &mut Groups) -> &mut Vec<Entry<Self>> {
        &mut groups.gm
    }
}

thread_local! {
    /// `Some` only while a batch call runs on this thread.
    static GROUPS: RefCell<Option<Groups>> = const { RefCell::new(None) };
}

/// Start this thread's batch call with no group (the outermost guard).
pub(crate) fn begin() {
    GROUPS.with_borrow_mut(|g| *g = Some(Groups::default()));
}

/// End this thread's batch call: every group and cached cipher is dropped,
/// and so wiped. `try_with`: nothing to do while the thread is torn down.
pub(crate) fn end() {
    let _ = GROUPS.try_with(|g| g.borrow_mut().take());
}

/// This thread's entry for `kdf`, made (evicting the oldest) if absent.
fn entry<'a, B: GroupCipher>(groups: &'a mut Groups, kdf: &ExtKdf<B>) -> &'a mut Entry<B> {
    let entries = B::entries(groups);
    let at = match entries.iter().position(|e| e.kdf_id == kdf.id()) {
        Some(at) => at,
        None => {
            if entries.len() == MAX_ENTRIES {
                entries.remove(0);
            }
            entries.push(Entry { kdf_id: kdf.id(), seal: None, open: None, last_opened: None });
            entries.len() - 1
        }
    };
    &mut entries[at]
}

/// Run `f` with a fresh extended nonce for a seal under `kdf` and the GCM
/// cipher of its first half. Inside a batch call on this thread the first
/// half is this thread's current group's (a new group, with a fresh random
/// `N[0..12]`, after [`GROUP_MAX`] seals) and only `N[12..24]` is drawn;
/// outside one, all 24 bytes are drawn and the key derived for this seal.
pub(crate) fn sealing<B: GroupCipher, R>(
    kdf: &ExtKdf<B>,
    f: impl FnOnce(&[u8; XNONCE_LEN], &AesGcm<B, U12>) -> R,
) -> Result<R> {
    let grouped = GROUPS.with_borrow_mut(|groups| match groups.as_mut() {
        Some(groups) => Ok(seal_in_group(kdf, entry(groups, kdf), f)),
        None => Err(f),
    });
    match grouped {
        Ok(done) => done,
        Err(f) => {
            let xnonce: [u8; XNONCE_LEN] = random::bytes()?;
            let mut prefix = [0u8; KDF_NONCE_LEN];
            prefix.copy_from_slice(&xnonce[..KDF_NONCE_LEN]);
            Ok(f(&xnonce, &kdf.message_cipher(&prefix)))
        }
    }
}

/// Seal under entry `e`'s group, starting a new one if it has none or it
/// is spent.
fn seal_in_group<B: GroupCipher, R>(
    kdf: &ExtKdf<B>,
    e: &mut Entry<B>,
    f: impl FnOnce(&[u8; XNONCE_LEN], &AesGcm<B, U12>) -> R,
) -> Result<R> {
    let (d, left) = match e.seal.take() {
        Some((d, left)) if left > 0 => (d, left),
        _ => {
            let prefix: [u8; KDF_NONCE_LEN] = random::bytes()?;
            (Derived { cipher: Box::new(kdf.message_cipher(&prefix)), prefix }, GROUP_MAX)
        }
    };
    let mut xnonce = [0u8; XNONCE_LEN];
    xnonce[..KDF_NONCE_LEN].copy_from_slice(&d.prefix);
    let tail = random::bytes::<KDF_NONCE_LEN>();
    let d = &e.seal.insert((d, left - 1)).0;
    xnonce[KDF_NONCE_LEN..].copy_from_slice(&tail?);
    Ok(f(&xnonce, &d.cipher))
}

/// Run `f` with the GCM cipher for an envelope whose nonce begins with
/// `prefix`: inside a batch call, this thread's kept cipher for `kdf` when
/// it was derived for the same prefix; otherwise one derived for this call,
/// which is kept (in place of the last) when the envelope before it under
/// `kdf` had the same prefix too, so that individually sealed values (a new
/// prefix every time) pay no more than outside a batch call.
pub(crate) fn opening<B: GroupCipher, R>(
    kdf: &ExtKdf<B>,
    prefix: &[u8; KDF_NONCE_LEN],
    f: impl FnOnce(&AesGcm<B, U12>) -> R,
) -> R {
    let cached = GROUPS.with_borrow_mut(|groups| match groups.as_mut() {
        Some(groups) => Ok(open_in_group(kdf, entry(groups, kdf), prefix, f)),
        None => Err(f),
    });
    match cached {
        Ok(r) => r,
        Err(f) => f(&kdf.message_cipher(prefix)),
    }
}

/// [`opening`] with entry `e`. The prefix is public (part of the
/// envelope): compared as plain data.
fn open_in_group<B: GroupCipher, R>(
    kdf: &ExtKdf<B>,
    e: &mut Entry<B>,
    prefix: &[u8; KDF_NONCE_LEN],
    f: impl FnOnce(&AesGcm<B, U12>) -> R,
) -> R {
    if let Some(d) = e.open.as_ref().filter(|d| d.prefix == *prefix) {
        return f(&d.cipher);
    }
    if e.last_opened.replace(*prefix) == Some(*prefix) {
        let d = e.open.insert(Derived { prefix: *prefix, cipher: Box::new(kdf.message_cipher(prefix)) });
        return f(&d.cipher);
    }
    f(&kdf.message_cipher(prefix))
}

#[cfg(test)]
#[path = "group_tests.rs"]
mod tests;
