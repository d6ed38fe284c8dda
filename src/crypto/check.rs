//! The keyed context check of v2 envelopes (SPEC.md §3a.4): a short MAC of
//! the bound context fields under a key derived beside the sealing key, so
//! that an envelope alone does not let anyone test guesses of its row id.
//!
//! A successful decryption already proves the context (the scope through
//! the key, the other fields through the associated data), so openers
//! compute this check only when decryption fails, to tell "sealed for
//! another place" from "tampered".

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use sm3::Sm3;
use subtle::ConstantTimeEq;

use super::material::KEY_LEN;
use super::suite::Suite;

/// Bytes of the check stored in the envelope header.
pub(crate) const CHECK_LEN: usize = 4;

/// The suite's HMAC (HMAC-SHA256 for `aes`, HMAC-SM3 for `gm`) under a
/// context-check key, keyed once: never `Debug`, wiped on drop.
#[derive(Clone)]
pub(crate) enum CheckKey {
    Sha256(Hmac<Sha256>),
    Sm3(Hmac<Sm3>),
}

/// An HMAC keyed with `key`: HMAC takes keys of any length, so this cannot fail.
pub(crate) fn keyed<M: KeyInit>(key: &[u8]) -> M {
    match M::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC accepts a key of any length"),
    }
}

/// The first `N` bytes of `mac` over `data`.
fn truncated<M: Mac + Clone, const N: usize>(mac: &M, data: &[u8]) -> [u8; N] {
    let mut mac = mac.clone();
    mac.update(data);
    let tag = mac.finalize().into_bytes();
    let mut out = [0u8; N];
    out.copy_from_slice(&tag[..N]);
    out
}

impl CheckKey {
    /// The check key of `suite` from its 32 derived bytes.
    pub(crate) fn new(suite: Suite, key: &[u8; KEY_LEN]) -> CheckKey {
        match suite {
            Suite::Aes => CheckKey::Sha256(keyed(key)),
            Suite::Gm => CheckKey::Sm3(keyed(key)),
        }
    }

    /// `HMAC(key, bound_enc)[0..4]`.
    pub(crate) fn check(&self, bound: &[u8]) -> [u8; CHECK_LEN] {
        match self {
            CheckKey::Sha256(mac) => truncated(mac, bound),
            CheckKey::Sm3(mac) => truncated(mac, bound),
        }
    }

    /// Whether `stored` is the check of `bound`, compared in constant time.
    pub(crate) fn matches(&self, bound: &[u8], stored: &[u8; CHECK_LEN]) -> bool {
        bool::from(self.check(bound).ct_eq(stored))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyed_and_bound_to_the_fields() {
        let a = CheckKey::new(Suite::Aes, &[1; 32]);
        let b = CheckKey::new(Suite::Aes, &[2; 32]);
        let gm = CheckKey::new(Suite::Gm, &[1; 32]);
        let row = [0, 2, 0, 3, b'r', b'o', b'w', 0, 1, b'1'];
        assert_ne!(a.check(&row), b.check(&row));
        assert_ne!(a.check(&row), a.check(&[0, 0]));
        assert!(a.matches(&row, &a.check(&row)));
        assert!(!a.matches(&row, &b.check(&row)));
        assert_ne!(a.check(&row), gm.check(&row));
        // HMAC-SHA256(0x01 * 32, "") starts with these bytes (RFC 2104 over
        // SHA-256, checked with Python's hmac).
        assert_eq!(CheckKey::new(Suite::Aes, &[1; 32]).check(b""), hmac_ref(&[1; 32], b""));
    }

    fn hmac_ref(key: &[u8; 32], msg: &[u8]) -> [u8; 4] {
        use sha2::Digest;
        let mut ipad = [0x36u8; 64];
        let mut opad = [0x5cu8; 64];
        for i in 0..32 {
            ipad[i] ^= key[i];
            opad[i] ^= key[i];
        }
        let inner = Sha256::new().chain_update(ipad).chain_update(msg).finalize();
        let outer = Sha256::new().chain_update(opad).chain_update(inner).finalize();
        let mut out = [0u8; 4];
        out.copy_from_slice(&outer[..4]);
        out
    }
}
