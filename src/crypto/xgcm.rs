//! Extended-nonce GCM (SPEC.md §3a): XAES-256-GCM as specified by C2SP
//! (<https://c2sp.org/XAES-256-GCM>), generic over the 128-bit block cipher
//! so that the `gm` suite runs the same construction over SM4.
//!
//! The 24-byte nonce `N` is split in two: `N[0..12]` goes through the NIST
//! SP 800-108r1 counter-mode KDF with CMAC over the block cipher (written out
//! here as C2SP does: `K1` is the CMAC subkey, each output block one CMAC of a
//! single full block), giving a per-message key; `N[12..24]` is that key's
//! GCM nonce. Enough blocks are produced to fill the block cipher's key (two
//! for AES-256, one for SM4).

use aes_gcm::AesGcm;
use aes_gcm::aead::KeyInit;
use aes_gcm::aead::consts::{U12, U16};
use aes_gcm::aes::cipher::{BlockCipherEncrypt, BlockSizeUser, KeySizeUser};
use zeroize::{Zeroize, Zeroizing};

/// The extended nonce: 192 bits.
pub(crate) const XNONCE_LEN: usize = 24;
/// The half of the extended nonce that selects the per-message key.
pub(crate) const KDF_NONCE_LEN: usize = 12;

/// The block cipher under the scope key and its CMAC subkey `K1`: what each
/// message's key is derived with. Key material: wiped on drop, never `Debug`.
pub(crate) struct ExtKdf<B> {
    cipher: B,
    k1: Zeroizing<[u8; 16]>,
    /// Public, unique per derivation in this process (clones share it): what
    /// a batch call's nonce groups are kept under ([`super::group`]).
    id: u64,
}

impl<B> ExtKdf<B>
where
    B: BlockCipherEncrypt + BlockSizeUser<BlockSize = U16> + KeyInit,
{
    /// The KDF under `key` (exactly the block cipher's key length).
    pub(crate) fn new(key: &aes_gcm::aead::Key<B>) -> ExtKdf<B> {
        let cipher = B::new(key);
        let mut l = Default::default();
        cipher.encrypt_block(&mut l);
        let mut block = [0u8; 16];
        block.copy_from_slice(&l);
        l.as_mut_slice().zeroize();
        let k1 = Zeroizing::new(dbl(&block));
        block.zeroize();
        ExtKdf { cipher, k1, id: super::group::next_id() }
    }

    /// The id its nonce groups are kept under (see [`super::group`]).
    pub(crate) fn id(&self) -> u64 {
        self.id
    }

    /// The per-message GCM cipher for the first half of an extended nonce:
    /// key block `i` (from 1) is `E(K, (0x00 || i || "X" || 0x00 || N[0..12]) ^ K1)`.
    ///
    /// Inlined so that the cipher (about 1 KiB with `aes`'s key-schedule
    /// union) is built in the caller's frame instead of copied out: those
    /// copies were a tenth of a seal's instructions.
    #[inline(always)]
    pub(crate) fn message_cipher(&self, n12: &[u8; KDF_NONCE_LEN]) -> AesGcm<B, U12>
    where
        B: KeySizeUser,
    {
        let mut key = aes_gcm::aead::Key::<B>::default();
        // Both key blocks (one for SM4) in one call: the cipher pipelines them.
        let n = key.len() / 16;
        let mut blocks: [aes_gcm::aead::array::Array<u8, U16>; 2] = Default::default();
        for (i, block) in blocks.iter_mut().enumerate().take(n) {
            block[1] = (i + 1) as u8;
            block[2] = b'X';
            block[4..].copy_from_slice(n12);
            for (b, k) in block.iter_mut().zip(self.k1.iter()) {
                *b ^= k;
            }
        }
        self.cipher.encrypt_blocks(&mut blocks[..n]);
        for (chunk, block) in key.as_mut_slice().chunks_mut(16).zip(&mut blocks) {
            chunk.copy_from_slice(block);
            block.as_mut_slice().zeroize();
        }
        let gcm = AesGcm::<B, U12>::new(&key);
        key.as_mut_slice().zeroize();
        gcm
    }
}

/// `dbl(x)` in GF(2^128) (the CMAC subkey step): shift left one bit, and
/// reduce with 0x87 when the top bit was set, without branching on it.
pub(crate) fn dbl(x: &[u8; 16]) -> [u8; 16] {
    let mut out = [0u8; 16];
    let msb = x[0] >> 7;
    for i in 0..16 {
        let next = if i < 15 { x[i + 1] >> 7 } else { 0 };
        out[i] = (x[i] << 1) | next;
    }
    out[15] ^= 0x87 & 0u8.wrapping_sub(msb);
    out
}

impl<B: Clone> Clone for ExtKdf<B> {
    fn clone(&self) -> ExtKdf<B> {
        ExtKdf { cipher: self.cipher.clone(), k1: self.k1.clone(), id: self.id }
    }
}

#[cfg(test)]
mod tests {
    use aes_gcm::aead::AeadInOut;
    use aes_gcm::aes::Aes256;

    use super::*;

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
    }

    fn xaes_seal(key: &[u8; 32], nonce: &[u8; 24], plain: &[u8], aad: &[u8]) -> Vec<u8> {
        let kdf = ExtKdf::<Aes256>::new(key.into());
        let gcm = kdf.message_cipher(nonce[..12].try_into().unwrap());
        let mut buf = plain.to_vec();
        let tag = gcm
            .encrypt_inout_detached(nonce[12..].try_into().unwrap(), aad, buf.as_mut_slice().into())
            .unwrap();
        buf.extend_from_slice(&tag);
        buf
    }

    /// The two fixed test vectors of the C2SP XAES-256-GCM specification.
    #[test]
    fn c2sp_vectors() {
        let nonce: [u8; 24] = *b"ABCDEFGHIJKLMNOPQRSTUVWX";
        let got = xaes_seal(&[0x01; 32], &nonce, b"XAES-256-GCM", b"");
        assert_eq!(got, unhex("ce546ef63c9cc60765923609b33a9a1974e96e52daf2fcf7075e2271"));
        let got = xaes_seal(&[0x03; 32], &nonce, b"XAES-256-GCM", b"c2sp.org/XAES-256-GCM");
        assert_eq!(got, unhex("986ec1832593df5443a179437fd083bf3fdb41abd740a21f71eb769d"));
    }

    /// K1 = dbl(L) agrees with the 128-bit integer definition, whichever
    /// the top bit of L.
    #[test]
    fn doubling_reduces_when_the_top_bit_is_set() {
        // A key whose L = AES(K, 0) has its top bit set must still give the
        // same K1 as the bitwise definition.
        for seed in 0u8..8 {
            let key = [seed; 32];
            let kdf = ExtKdf::<Aes256>::new((&key).into());
            let mut l = aes_gcm::aead::array::Array::<u8, U16>::default();
            Aes256::new((&key).into()).encrypt_block(&mut l);
            let v = u128::from_be_bytes(l.into());
            let want = (v << 1) ^ if v >> 127 == 1 { 0x87 } else { 0 };
            assert_eq!(*kdf.k1, want.to_be_bytes());
        }
    }
}
