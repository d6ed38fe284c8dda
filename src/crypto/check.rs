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
use subtle::ConstantTimeEq;

use super::material::KEY_LEN;

/// Bytes of the check stored in the envelope header.
pub(crate) const CHECK_LEN: usize = 4;

/// HMAC-SHA256 under a context-check key, keyed once: never `Debug`, the
/// HMAC state is wiped on drop.
#[derive(Clone)]
pub(crate) struct CheckKey(Hmac<Sha256>);

impl CheckKey {
    /// The check key from its 32 derived bytes.
    pub(crate) fn new(key: &[u8; KEY_LEN]) -> CheckKey {
        // HMAC takes keys of any length: this cannot fail.
        match Hmac::<Sha256>::new_from_slice(key) {
            Ok(mac) => CheckKey(mac),
            Err(_) => unreachable!("HMAC accepts a 32-byte key"),
        }
    }

    /// `HMAC(key, bound_enc)[0..4]`.
    pub(crate) fn check(&self, bound: &[u8]) -> [u8; CHECK_LEN] {
        let mut mac = self.0.clone();
        mac.update(bound);
        let tag = mac.finalize().into_bytes();
        let mut out = [0u8; CHECK_LEN];
        out.copy_from_slice(&tag[..CHECK_LEN]);
        out
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
        let a = CheckKey::new(&[1; 32]);
        let b = CheckKey::new(&[2; 32]);
        let row = [0, 2, 0, 3, b'r', b'o', b'w', 0, 1, b'1'];
        assert_ne!(a.check(&row), b.check(&row));
        assert_ne!(a.check(&row), a.check(&[0, 0]));
        assert!(a.matches(&row, &a.check(&row)));
        assert!(!a.matches(&row, &b.check(&row)));
        // HMAC-SHA256(0x01 * 32, "") starts with these bytes (RFC 2104 over
        // SHA-256, checked with Python's hmac).
        assert_eq!(CheckKey::new(&[1; 32]).check(b""), hmac_ref(&[1; 32], b""));
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
