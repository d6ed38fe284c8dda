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
    /// Whether seals are grouped: true in a batch call (one fork check for
    /// the call), false under [`with_open_cache`] alone (opens only).
    seals: bool,
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
    GROUPS.with_borrow_mut(|g| *g = Some(Groups { seals: true, ..Groups::default() }));
}

/// Run `f` with the open cache on this thread (see [`opening`]) but no
/// nonce group and no change to the fork checks: seals inside `f` draw
/// all 24 bytes with the per-draw check as outside any call, so `f` may be
/// any code, even code that forks. Inside a batch call it is that call.
pub(crate) fn with_open_cache<R>(f: impl FnOnce() -> R) -> R {
    /// Ends the open-only cache it started, on return or unwind.
    struct OpenOnly;
    impl Drop for OpenOnly {
        fn drop(&mut self) {
            let _ = GROUPS.try_with(|g| {
                let mut g = g.borrow_mut();
                if g.as_ref().is_some_and(|g| !g.seals) {
                    *g = None;
                }
            });
        }
    }
    let started = GROUPS.with_borrow_mut(|g| match g {
        Some(_) => false,
        None => {
            *g = Some(Groups::default());
            true
        }
    });
    let _open_only = started.then_some(OpenOnly);
    f()
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
        Some(groups) if groups.seals => Ok(seal_in_group(kdf, entry(groups, kdf), f)),
        _ => Err(f),
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

/// Nonce groups: envelopes of one batch call share `N[0..12]` for at most
/// [`GROUP_MAX`] seals, are plain XAES-256-GCM (or its SM4 analogue) to any
/// reader, and no group crosses a thread or a call.
#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use aes_gcm::aead::AeadInOut;
    use aes_gcm::aes::Aes256Enc;

    use super::*;
    use crate::MobilePhone;
    use crate::crypto::envelope::{self, HEADER_LEN_V2, TAG_LEN};
    use crate::crypto::random::ForkChecked;
    use crate::crypto::{Context, RootKey, Suite, labels, material};
    use crate::error::Error;
    use crate::keys::{KeyState, Keyring};

    const ROOT: [u8; 32] = [0x42; 32];

    fn keyring(suite: Suite) -> Keyring {
        let mut k = Keyring::new();
        k.add_key_with_suite(1, RootKey::from_bytes(ROOT), KeyState::Active, suite).unwrap();
        k
    }

    fn phone() -> MobilePhone {
        "13800138000".parse().unwrap()
    }

    /// The binary envelope of a text form.
    fn bytes(text: &str) -> Vec<u8> {
        envelope::from_text(text).unwrap()
    }

    fn prefix(text: &str) -> [u8; 12] {
        bytes(text)[12..24].try_into().unwrap()
    }

    fn tail(text: &str) -> [u8; 12] {
        bytes(text)[24..36].try_into().unwrap()
    }

    /// `n` seals of one phone at `ctx` inside one batch call on this thread.
    fn sealed_in_one_call(k: &Keyring, ctx: &Context, n: usize) -> Vec<String> {
        let _call = ForkChecked::enter().unwrap();
        (0..n).map(|_| k.seal_text(&phone(), ctx).unwrap()).collect()
    }

    #[test]
    fn one_group_shares_the_first_half_and_draws_the_second() {
        for suite in [Suite::Aes, Suite::Gm] {
            let k = keyring(suite);
            let sealed = sealed_in_one_call(&k, &Context::new("users", "phone"), 50);
            assert!(sealed.iter().all(|t| prefix(t) == prefix(&sealed[0])), "{suite}");
            let tails: HashSet<_> = sealed.iter().map(|t| tail(t)).collect();
            assert_eq!(tails.len(), 50, "{suite}: the GCM nonces must all differ");
        }
    }

    #[test]
    fn the_open_cache_alone_groups_no_seal() {
        let k = keyring(Suite::Aes);
        let ctx = Context::new("users", "phone");
        let grouped = sealed_in_one_call(&k, &ctx, 3);
        let (sealed, opened) = crate::batch::with_open_cache(|| {
            GROUPS.with_borrow(|g| assert!(g.as_ref().is_some_and(|g| !g.seals), "open cache only"));
            let sealed: Vec<String> = (0..3).map(|_| k.seal_text(&phone(), &ctx).unwrap()).collect();
            let opened: Vec<_> =
                grouped.iter().map(|t| k.open_text::<MobilePhone>(t, &ctx, "t").unwrap()).collect();
            (sealed, opened)
        });
        let prefixes: HashSet<_> = sealed.iter().map(|t| prefix(t)).collect();
        assert_eq!(prefixes.len(), 3, "seals inside the open cache draw all 24 bytes");
        assert!(opened.iter().all(|p| p.expose() == phone().expose()));
        GROUPS.with_borrow(|g| assert!(g.is_none(), "none after it"));
        // Inside a batch call it is that call: its seals stay grouped, and
        // the call's groups outlive the nested open cache.
        let _call = ForkChecked::enter().unwrap();
        let inner = crate::batch::with_open_cache(|| k.seal_text(&phone(), &ctx).unwrap());
        let after = k.seal_text(&phone(), &ctx).unwrap();
        assert_eq!(prefix(&inner), prefix(&after));
    }

    #[test]
    fn single_value_seals_draw_all_24_bytes() {
        let k = keyring(Suite::Aes);
        let ctx = Context::new("users", "phone");
        let prefixes: HashSet<_> = (0..20).map(|_| prefix(&k.seal_text(&phone(), &ctx).unwrap())).collect();
        assert_eq!(prefixes.len(), 20);
        GROUPS.with_borrow(|g| assert!(g.is_none(), "no group outside a batch call"));
    }

    #[test]
    fn a_group_never_exceeds_its_bound() {
        let k = keyring(Suite::Aes);
        let sealed = sealed_in_one_call(&k, &Context::new("users", "phone"), GROUP_MAX as usize + 1);
        let first = prefix(&sealed[0]);
        let (last, rest) = sealed.split_last().unwrap();
        assert!(rest.iter().all(|t| prefix(t) == first), "the first G seals share one prefix");
        assert_ne!(prefix(last), first, "seal G + 1 starts a new group");
    }

    #[test]
    fn each_scope_key_has_its_own_group() {
        let k = keyring(Suite::Aes);
        let (a, b) = (Context::new("users", "phone"), Context::new("users", "phone2"));
        let _call = ForkChecked::enter().unwrap();
        let seal = |ctx: &Context| k.seal_text(&phone(), ctx).unwrap();
        let (a1, b1, a2, b2) = (seal(&a), seal(&b), seal(&a), seal(&b));
        assert_eq!(prefix(&a1), prefix(&a2));
        assert_eq!(prefix(&b1), prefix(&b2));
        assert_ne!(prefix(&a1), prefix(&b1));
    }

    #[test]
    fn past_eight_scope_keys_the_oldest_group_ends() {
        let k = keyring(Suite::Aes);
        let ctx = |i: usize| Context::new("users", &format!("c{i}"));
        let _call = ForkChecked::enter().unwrap();
        let first = prefix(&k.seal_text(&phone(), &ctx(0)).unwrap());
        for i in 1..MAX_ENTRIES {
            k.seal_text(&phone(), &ctx(i)).unwrap();
        }
        assert_eq!(prefix(&k.seal_text(&phone(), &ctx(0)).unwrap()), first, "eight keys are kept");
        k.seal_text(&phone(), &ctx(MAX_ENTRIES)).unwrap();
        k.seal_text(&phone(), &ctx(1)).unwrap();
        // Key 0 was the oldest entry when the ninth key came: its group ended.
        GROUPS.with_borrow(|g| assert_eq!(g.as_ref().unwrap().aes.len(), MAX_ENTRIES));
        assert_ne!(prefix(&k.seal_text(&phone(), &ctx(0)).unwrap()), first);
    }

    #[test]
    fn calls_and_threads_never_share_a_prefix() {
        let k = keyring(Suite::Aes);
        let ctx = Context::new("users", "phone");
        let prefixes = |texts: Vec<String>| texts.iter().map(|t| prefix(t)).collect::<HashSet<_>>();
        let first = prefixes(sealed_in_one_call(&k, &ctx, 10));
        let second = prefixes(sealed_in_one_call(&k, &ctx, 10));
        assert!(first.is_disjoint(&second), "two calls on one thread");
        GROUPS.with_borrow(|g| assert!(g.is_none(), "a call's groups end with it"));
        let (a, b) = std::thread::scope(|s| {
            let a = s.spawn(|| prefixes(sealed_in_one_call(&k, &ctx, 10)));
            let b = s.spawn(|| prefixes(sealed_in_one_call(&k, &ctx, 10)));
            (a.join().unwrap(), b.join().unwrap())
        });
        assert_eq!((a.len(), b.len()), (1, 1));
        assert!(a.is_disjoint(&b), "two threads");
        assert!(a.is_disjoint(&first) && b.is_disjoint(&first));
    }

    /// Open one v2 envelope with the plain C2SP construction (a fresh KDF and
    /// message key from the scope's derived `K_seal`, no cache), as any other
    /// reader would.
    fn open_plain(suite: Suite, kind: &str, ctx: &Context, envelope: &[u8]) -> Vec<u8> {
        let k_seal =
            material::derive_in(suite, &ROOT, &[labels::SEAL_V2, kind.as_bytes(), ctx.scope_encoded()]);
        let (head, rest) = envelope.split_at(HEADER_LEN_V2);
        let (ct, tag) = rest.split_at(rest.len() - TAG_LEN);
        let aad = [&head[..12], ctx.bound_encoded()].concat();
        let mut buf = ct.to_vec();
        let n12: [u8; 12] = head[12..24].try_into().unwrap();
        let nonce = aes_gcm::Nonce::try_from(&head[24..36]).unwrap();
        let tag = aes_gcm::Tag::try_from(tag).unwrap();
        let ok = match suite {
            Suite::Aes => ExtKdf::<Aes256Enc>::new((&*k_seal).into())
                .message_cipher(&n12)
                .decrypt_inout_detached(&nonce, &aad, buf.as_mut_slice().into(), &tag),
            Suite::Gm => {
                let key: [u8; 16] = k_seal[..16].try_into().unwrap();
                ExtKdf::<Sm4>::new((&key).into()).message_cipher(&n12).decrypt_inout_detached(
                    &nonce,
                    &aad,
                    buf.as_mut_slice().into(),
                    &tag,
                )
            }
        };
        ok.expect("a grouped envelope is a plain extended-nonce GCM envelope");
        buf
    }

    #[test]
    fn grouped_envelopes_open_singly_and_by_the_plain_construction() {
        let ids = ["13800138000", "13900139000"];
        for suite in [Suite::Aes, Suite::Gm] {
            let k = keyring(suite);
            let ctx = |i: usize| Context::new("users", "phone").with_row(&i.to_string());
            let values: Vec<MobilePhone> = (0..40).map(|i| ids[i % 2].parse().unwrap()).collect();
            let sealed = crate::batch::seal_text_all(&k, &values, ctx);
            let texts: Vec<String> = sealed.into_iter().map(Result::unwrap).collect();
            assert!(texts.windows(2).any(|w| prefix(&w[0]) == prefix(&w[1])), "{suite}: grouped");
            for (i, t) in texts.iter().enumerate() {
                let opened: MobilePhone = k.open_text(t, &ctx(i), "test").unwrap();
                assert_eq!(opened.expose(), ids[i % 2]);
                assert_eq!(open_plain(suite, "cn.mobile_phone", &ctx(i), &bytes(t)), ids[i % 2].as_bytes());
            }
        }
    }

    #[test]
    fn the_open_cache_gives_the_right_cipher_whatever_the_order() {
        for suite in [Suite::Aes, Suite::Gm] {
            let k = keyring(suite);
            let ctx = Context::new("users", "phone");
            let grouped = sealed_in_one_call(&k, &ctx, 3);
            let single: Vec<String> = (0..3).map(|_| k.seal_text(&phone(), &ctx).unwrap()).collect();
            let mut tampered = bytes(&grouped[1]);
            tampered[30] ^= 1;
            let tampered = envelope::to_text(&tampered);
            let _call = ForkChecked::enter().unwrap();
            // In order (hits), interleaved with other prefixes (misses), twice.
            for t in grouped.iter().chain(&single).chain(&grouped).chain([&single[0], &grouped[2]]) {
                assert_eq!(k.open_text::<MobilePhone>(t, &ctx, "t").unwrap().expose(), "13800138000");
            }
            let err = k.open_text::<MobilePhone>(&tampered, &ctx, "t").unwrap_err();
            assert!(matches!(err, Error::AuthenticationFailed), "{suite}: {err:?}");
            let other = Context::new("users", "phone").with_row("7");
            let err = k.open_text::<MobilePhone>(&grouped[0], &other, "t").unwrap_err();
            assert!(matches!(err, Error::ContextMismatch), "{suite}: {err:?}");
            // The cache holds the prefix last opened: the grouped one.
            GROUPS.with_borrow(|g| {
                let g = g.as_ref().unwrap();
                let open = |p: Option<&[u8; 12]>| p.copied();
                let last = match suite {
                    Suite::Aes => open(g.aes[0].open.as_ref().map(|d| &d.prefix)),
                    Suite::Gm => open(g.gm[0].open.as_ref().map(|d| &d.prefix)),
                };
                assert_eq!(last, Some(prefix(&grouped[0])));
            });
        }
    }

    /// `tests/vectors/seal_v2_grouped.json`: envelopes of one batch call per
    /// suite (one nonce group each), which `scripts/ci/verify_vectors.py` opens
    /// with its own implementation of SPEC.md §3a. Written afresh with
    /// `DESENSITIZE_WRITE_GROUPED_VECTORS=1 cargo test -p desensitize --lib grouped_vectors`.
    const GROUPED_VECTORS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/seal_v2_grouped.json");

    fn grouped_vectors() -> serde_json::Value {
        let mut envelopes = Vec::new();
        for (group, suite) in [Suite::Aes, Suite::Gm].into_iter().enumerate() {
            let k = keyring(suite);
            let ctx = |i: usize| Context::new("users", "phone").with_row(&i.to_string());
            let sealed = crate::batch::seal_text_all(&k, &vec![phone(); 4], ctx);
            for (i, text) in sealed.into_iter().enumerate() {
                let text = text.unwrap();
                envelopes.push(serde_json::json!({
                    "group": group,
                    "suite": suite.as_str(),
                    "kind": "cn.mobile_phone",
                    "key_id": 1,
                    "root_key_hex": hex(&ROOT),
                    "context": [["table", "users"], ["column", "phone"], ["row", i.to_string()]],
                    "plaintext_canonical_hex": hex(b"13800138000"),
                    "envelope_hex": hex(&bytes(&text)),
                    "envelope_text": text,
                }));
            }
        }
        serde_json::json!({
            "format": "desensitize sealed envelope v2, nonce groups (SPEC.md §3a.3): one batch call per suite",
            "envelopes": envelopes,
        })
    }

    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }

    #[test]
    fn grouped_vectors_open_and_share_their_group_prefix() {
        if std::env::var_os("DESENSITIZE_WRITE_GROUPED_VECTORS").is_some() {
            let text = serde_json::to_string_pretty(&grouped_vectors()).unwrap() + "\n";
            std::fs::write(GROUPED_VECTORS, text).unwrap();
        }
        let doc: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(GROUPED_VECTORS).unwrap()).unwrap();
        let envelopes = doc["envelopes"].as_array().unwrap();
        assert_eq!(envelopes.len(), 8);
        for group in envelopes.chunk_by(|a, b| a["group"] == b["group"]) {
            let suite: Suite = group[0]["suite"].as_str().unwrap().parse().unwrap();
            let k = keyring(suite);
            let text = |v: &serde_json::Value| v["envelope_text"].as_str().unwrap().to_owned();
            let tails: HashSet<_> = group.iter().map(|v| tail(&text(v))).collect();
            assert_eq!(tails.len(), group.len());
            for (i, v) in group.iter().enumerate() {
                assert_eq!(prefix(&text(v)), prefix(&text(&group[0])), "{suite}: one group");
                assert_eq!(hex(&bytes(&text(v))), v["envelope_hex"].as_str().unwrap());
                let ctx = Context::new("users", "phone").with_row(&i.to_string());
                assert_eq!(k.open_text::<MobilePhone>(&text(v), &ctx, "t").unwrap().expose(), "13800138000");
                assert_eq!(open_plain(suite, "cn.mobile_phone", &ctx, &bytes(&text(v))), b"13800138000");
            }
        }
    }
}
