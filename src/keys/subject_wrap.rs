//! The wrapped subject key (SPEC.md §5.2): a subject's data key under a key
//! derived from a root key, with the AEAD and HKDF of that root key's suite,
//! and the set of suites the data key has sealed under (§5.3).
//!
//! Two layouts: version 1 (66 bytes, AES-256-GCM, a data key that only ever
//! sealed `aes`): what every `aes` keyring wrote and still writes, byte for
//! byte; version 2 (67 bytes) for everything else: a `gm` root key wrapping
//! (SM4-GCM under HKDF-SM3), or a data key that sealed under another suite
//! than the one wrapping it now (after a rotation across suites).

use zeroize::Zeroizing;

use crate::crypto::aead::fresh_nonce;
use crate::crypto::labels;
use crate::crypto::material::{KEY_LEN, derive_in, encode_fields};
use crate::crypto::{RootKey, Suite};
use crate::error::{EnvelopeError, Error, KeyError, Result};
use crate::keys::Keyring;
use crate::keys::file::{decrypt_in, encrypt_in};
use crate::keys::provider::{DataKey, WrappedKey};

/// Version 1: `01 || 03 || u32be(id) || nonce(12) || ct(32) || tag(16)`.
const V1: u8 = 1;
/// Version 2: `02 || alg || u32be(id) || u8(suites) || nonce(12) || ct(32) || tag(16)`.
const V2: u8 = 2;
/// AES-256-GCM under `derive_aes(R, [WRAP, "subject"])`.
const ALG_AES: u8 = 3;
/// SM4-GCM under the first 16 bytes of `derive_gm(R, [WRAP, "subject"])`.
const ALG_SM4: u8 = 4;
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;
const HEAD_V1: usize = 6 + NONCE_LEN;
const HEAD_V2: usize = 7 + NONCE_LEN;
const LEN_V1: usize = HEAD_V1 + KEY_LEN + TAG_LEN;
const LEN_V2: usize = HEAD_V2 + KEY_LEN + TAG_LEN;

/// The suites a subject data key has sealed under (SPEC.md §5.3): bit
/// `code - 1` for each suite (`0x01` `aes`, `0x02` `gm`).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) struct Suites(u8);

impl Suites {
    const KNOWN: u8 = 0b11;

    pub(super) fn only(suite: Suite) -> Suites {
        Suites(1 << (suite.code() - 1))
    }

    pub(super) fn with(self, suite: Suite) -> Suites {
        Suites(self.0 | Suites::only(suite).0)
    }

    pub(super) fn contains(self, suite: Suite) -> bool {
        self.0 & Suites::only(suite).0 != 0
    }
}

/// A subject's data key, unwrapped: the key, the suite it seals under now
/// (its wrapping root key's) and every suite it has sealed under.
pub(super) struct SubjectKey {
    pub(super) dk: Zeroizing<[u8; KEY_LEN]>,
    pub(super) seals_in: Suite,
    pub(super) suites: Suites,
}

impl SubjectKey {
    /// The suites to open with, the sealing suite first.
    pub(super) fn open_order(&self) -> impl Iterator<Item = Suite> + '_ {
        let others = [Suite::Aes, Suite::Gm].into_iter().filter(|s| *s != self.seals_in);
        core::iter::once(self.seals_in).chain(others.filter(|s| self.suites.contains(*s)))
    }
}

/// The parsed, not yet authenticated, layout of a wrapped subject key.
struct Layout {
    key_id: u32,
    head_len: usize,
    wraps_in: Suite,
    suites: Suites,
}

/// SPEC.md §5.4 check 4: one of the two layouts, with a known algorithm and
/// suite set that includes the wrapping suite.
fn layout(b: &[u8]) -> Option<Layout> {
    let key_id = u32::from_be_bytes(b.get(2..6)?.try_into().ok()?);
    match (b.len(), b[0], b[1]) {
        (LEN_V1, V1, ALG_AES) => {
            Some(Layout { key_id, head_len: HEAD_V1, wraps_in: Suite::Aes, suites: Suites::only(Suite::Aes) })
        }
        (LEN_V2, V2, alg @ (ALG_AES | ALG_SM4)) => {
            let wraps_in = if alg == ALG_AES { Suite::Aes } else { Suite::Gm };
            let suites = Suites(b[6]);
            (b[6] != 0 && b[6] & !Suites::KNOWN == 0 && suites.contains(wraps_in)).then_some(Layout {
                key_id,
                head_len: HEAD_V2,
                wraps_in,
                suites,
            })
        }
        _ => None,
    }
}

/// The root key id of a keyring-wrapped subject key, `None` for any other blob.
pub(super) fn wrapping_key_id(b: &[u8]) -> Option<u32> {
    layout(b).map(|l| l.key_id)
}

/// The wrapping key of `suite` under root key `root` (SPEC.md §5.2): the
/// GCM of [`encrypt_in`] and [`decrypt_in`] takes its first 16 bytes for SM4.
fn wrap_key(suite: Suite, root: &RootKey) -> Zeroizing<[u8; KEY_LEN]> {
    let label: [&[u8]; 2] = [labels::WRAP, b"subject"];
    match suite {
        Suite::Aes => root.derive(&label),
        Suite::Gm => derive_in(suite, root.as_bytes(), &label),
    }
}

impl Keyring {
    /// Wrap a subject data key that has sealed under `suites` with the
    /// active root key (SPEC.md §5.2): version 1 when both are `aes` only.
    pub(super) fn wrap_subject_key(
        &self,
        subject: &str,
        key: &DataKey,
        suites: Suites,
    ) -> Result<WrappedKey> {
        let entry = self.active()?;
        let root = entry.root.as_ref().ok_or(Error::KeyDestroyed(entry.id))?;
        let suites = suites.with(entry.suite);
        let mut out = Vec::with_capacity(LEN_V2);
        if entry.suite == Suite::Aes && suites == Suites::only(Suite::Aes) {
            out.extend_from_slice(&[V1, ALG_AES]);
            out.extend_from_slice(&entry.id.to_be_bytes());
        } else {
            out.extend_from_slice(&[V2, if entry.suite == Suite::Aes { ALG_AES } else { ALG_SM4 }]);
            out.extend_from_slice(&entry.id.to_be_bytes());
            out.push(suites.0);
        }
        let nonce = fresh_nonce()?;
        out.extend_from_slice(&nonce);
        let aad = [out.as_slice(), &encode_fields(&[subject.as_bytes()])].concat();
        let wk = wrap_key(entry.suite, root);
        let ct = encrypt_in(entry.suite, &wk, &nonce, &aad, key.expose_bytes())
            .map_err(|_| Error::Key(KeyError::SubjectWrapFailed))?;
        out.extend_from_slice(&ct);
        Ok(WrappedKey::from_bytes(out))
    }

    /// Unwrap a subject data key (SPEC.md §5.4 checks 4–6).
    pub(super) fn unwrap_subject_key(&self, subject: &str, wrapped: &WrappedKey) -> Result<SubjectKey> {
        let b = wrapped.as_bytes();
        let not_wrapped = || Error::Malformed(EnvelopeError::NotWrappedSubjectKey);
        let l = layout(b).ok_or_else(not_wrapped)?;
        let entry = self.entry(l.key_id)?;
        let root = entry.root.as_ref().ok_or(Error::KeyDestroyed(l.key_id))?;
        if entry.suite != l.wraps_in {
            return Err(not_wrapped());
        }
        let aad = [&b[..l.head_len], &encode_fields(&[subject.as_bytes()])[..]].concat();
        let nonce = &b[l.head_len - NONCE_LEN..l.head_len];
        let wk = wrap_key(l.wraps_in, root);
        let plain =
            decrypt_in(l.wraps_in, &wk, nonce, &aad, &b[l.head_len..]).ok_or(Error::AuthenticationFailed)?;
        let mut dk = Zeroizing::new([0u8; KEY_LEN]);
        dk.copy_from_slice(&plain);
        Ok(SubjectKey { dk, seals_in: l.wraps_in, suites: l.suites })
    }
}
