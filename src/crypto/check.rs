//! The keyed context check of v2 envelopes (SPEC.md §3a.4): a short MAC of
//! the bound context fields under a key derived beside the sealing key, so
//! that an envelope alone does not let anyone test guesses of its row id.
//! The MAC is CMAC (NIST SP 800-38B) over the suite's block cipher:
//! AES-256-CMAC for `aes`, SM4-CMAC for `gm`; a few block encryptions per
//! seal with the key schedule expanded once per scope.
//!
//! A successful decryption already proves the context (the scope through
//! the key, the other fields through the associated data), so openers
//! compute this check only when decryption fails, to tell "sealed for
//! another place" from "tampered".

use aes_gcm::aead::KeyInit;
use aes_gcm::aead::consts::U16;
use aes_gcm::aes::Aes256Enc;
use aes_gcm::aes::cipher::{BlockCipherEncrypt, BlockSizeUser};
use sm4::Sm4;
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, Zeroizing};

use super::material::KEY_LEN;
use super::suite::Suite;
use super::xgcm::dbl;

/// Bytes of the check stored in the envelope header.
pub(crate) const CHECK_LEN: usize = 4;

/// CMAC under one block-cipher key, its subkeys `K1`, `K2` precomputed.
/// Key material: never `Debug`, wiped on drop.
#[derive(Clone)]
pub(crate) struct Cmac<B> {
    cipher: B,
    k1: Zeroizing<[u8; 16]>,
    k2: Zeroizing<[u8; 16]>,
}

impl<B: BlockCipherEncrypt + BlockSizeUser<BlockSize = U16> + KeyInit> Cmac<B> {
    fn new(key: &aes_gcm::aead::Key<B>) -> Cmac<B> {
        let cipher = B::new(key);
        let mut l = [0u8; 16];
        encrypt(&cipher, &mut l);
        let k1 = Zeroizing::new(dbl(&l));
        let k2 = Zeroizing::new(dbl(&k1));
        l.zeroize();
        Cmac { cipher, k1, k2 }
    }

    /// CMAC(key, data), all 16 bytes.
    fn mac(&self, data: &[u8]) -> [u8; 16] {
        let mut x = [0u8; 16];
        let whole = !data.is_empty() && data.len().is_multiple_of(16);
        let last_at = if whole { data.len() - 16 } else { data.len() / 16 * 16 };
        for block in data[..last_at].chunks_exact(16) {
            xor(&mut x, block);
            encrypt(&self.cipher, &mut x);
        }
        let rest = &data[last_at..];
        if whole {
            xor(&mut x, rest);
            xor(&mut x, &self.k1[..]);
        } else {
            let mut pad = [0u8; 16];
            pad[..rest.len()].copy_from_slice(rest);
            pad[rest.len()] = 0x80;
            xor(&mut x, &pad);
            xor(&mut x, &self.k2[..]);
            pad.zeroize();
        }
        encrypt(&self.cipher, &mut x);
        x
    }
}

fn xor(x: &mut [u8; 16], y: &[u8]) {
    for (a, b) in x.iter_mut().zip(y) {
        *a ^= b;
    }
}

fn encrypt<B: BlockCipherEncrypt + BlockSizeUser<BlockSize = U16>>(cipher: &B, x: &mut [u8; 16]) {
    let mut block = aes_gcm::aead::array::Array::<u8, U16>::from(*x);
    cipher.encrypt_block(&mut block);
    x.copy_from_slice(&block);
    block.as_mut_slice().zeroize();
}

/// The suite's CMAC under a context-check key: AES-256-CMAC (`aes`, all 32
/// derived bytes) or SM4-CMAC (`gm`, the first 16).
#[derive(Clone)]
pub(crate) enum CheckKey {
    Aes(Box<Cmac<Aes256Enc>>),
    Sm4(Box<Cmac<Sm4>>),
}

impl CheckKey {
    /// The check key of `suite` from its 32 derived bytes.
    pub(crate) fn new(suite: Suite, key: &[u8; KEY_LEN]) -> CheckKey {
        match suite {
            Suite::Aes => CheckKey::Aes(Box::new(Cmac::new(key.into()))),
            Suite::Gm => {
                let mut k = Zeroizing::new([0u8; 16]);
                k.copy_from_slice(&key[..16]);
                CheckKey::Sm4(Box::new(Cmac::new((&*k).into())))
            }
        }
    }

    /// `CMAC(key, bound_enc)[0..4]`.
    pub(crate) fn check(&self, bound: &[u8]) -> [u8; CHECK_LEN] {
        let mut tag = match self {
            CheckKey::Aes(c) => c.mac(bound),
            CheckKey::Sm4(c) => c.mac(bound),
        };
        let mut out = [0u8; CHECK_LEN];
        out.copy_from_slice(&tag[..CHECK_LEN]);
        tag.zeroize();
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

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
    }

    /// NIST SP 800-38B's AES-256 examples and SM4-CMAC answers, both
    /// checked with Python `cryptography` (`cmac.CMAC`).
    #[test]
    fn cmac_known_answers() {
        let key: [u8; 32] =
            unhex("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4").try_into().unwrap();
        let aes = Cmac::<Aes256Enc>::new((&key).into());
        let m16 = unhex("6bc1bee22e409f96e93d7e117393172a");
        let m40: Vec<u8> = (0..40).collect();
        assert_eq!(aes.mac(b"").to_vec(), unhex("028962f61b7bf89efc6b551f4667d983"));
        assert_eq!(aes.mac(&m16).to_vec(), unhex("28a7023f452e8f82bd4bf28d8c37c35c"));
        assert_eq!(aes.mac(&m40).to_vec(), unhex("a38699ca4660754e31ac47f524aa253e"));
        let k16: [u8; 16] = core::array::from_fn(|i| i as u8);
        let sm4 = Cmac::<Sm4>::new((&k16).into());
        assert_eq!(sm4.mac(b"").to_vec(), unhex("4dcf78c73b13a3b9494de1152e66e9ef"));
        assert_eq!(sm4.mac(&k16).to_vec(), unhex("44ab3baf460078f9e705526267e6c721"));
        assert_eq!(sm4.mac(&m40).to_vec(), unhex("266cb683c5b07fa69cfcd177e55a6dbb"));
    }

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
    }
}
