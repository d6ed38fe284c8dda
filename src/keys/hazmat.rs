//! Test-vector hooks, compiled only with the `hazmat` feature: sealing with
//! a caller-chosen nonce and raw FF1, for the known-answer vectors
//! (tests/crypto/{vectors,fpe}.rs), the differential FF1 test and the
//! fuzz targets. Never for production: a repeated nonce under one key
//! destroys confidentiality and integrity.

use crate::crypto::Context;
use crate::crypto::envelope::{NONCE_LEN, XNONCE_LEN};
use crate::error::Result;
use crate::keys::Keyring;
use crate::kind::Sealable;
use crate::pseudo::{Dir, Ff1};
use crate::seal::Sealed;

impl Keyring {
    /// Sealing a **v1** envelope (SPEC.md §3) with a caller-chosen 96-bit
    /// nonce: a test-vector hook (feature `hazmat`), only for the v1
    /// known-answer vectors and fuzzing. New seals are v2
    /// ([`Keyring::seal_v2_with_nonce`]). Reusing a nonce under one key
    /// destroys confidentiality and integrity.
    pub fn seal_with_nonce<T: Sealable>(
        &self,
        value: &T,
        ctx: &Context,
        nonce: [u8; NONCE_LEN],
    ) -> Result<Sealed<T>> {
        self.seal_v1_at_nonce(value, ctx, nonce)
    }

    /// Sealing a v2 envelope (SPEC.md §3a), what [`Keyring::seal`] writes,
    /// with a caller-chosen 192-bit extended nonce: a test-vector hook
    /// (feature `hazmat`), only for known-answer vectors and fuzzing.
    pub fn seal_v2_with_nonce<T: Sealable>(
        &self,
        value: &T,
        ctx: &Context,
        xnonce: [u8; XNONCE_LEN],
    ) -> Result<Sealed<T>> {
        self.seal_at_xnonce(value, ctx, &xnonce)
    }

    /// Raw FF1-AES-256 over a numeral string, through the same construction
    /// the kinds use. A test-vector hook (feature `hazmat`): only for NIST SP 800-38G
    /// known-answer tests.
    pub fn ff1_for_vectors(
        key: &[u8; 32],
        radix: u32,
        tweak: &[u8],
        numerals: &[u16],
        encrypt: bool,
    ) -> Result<Vec<u16>> {
        let dir = if encrypt { Dir::Encrypt } else { Dir::Decrypt };
        let mut out = Ff1::new(key, radix)?.numerals(tweak, numerals, dir)?;
        Ok(core::mem::take(&mut *out))
    }

    /// The key-derivation function of `suite` (SPEC.md §2, §12.2: HKDF-SHA256
    /// or HKDF-SM3, salt `desensitize/v1`, info the field encoding of
    /// `labels`, 32 bytes) over `secret`. A test-vector hook (feature
    /// `hazmat`): only for known-answer vectors; it returns key material.
    pub fn derive_for_vectors(suite: crate::keys::Suite, secret: &[u8; 32], labels: &[&[u8]]) -> [u8; 32] {
        *crate::crypto::material::derive_in(suite, secret, labels)
    }

    /// Raw FF1 with SM4 as its block cipher (the `gm` suite's FF1, SPEC.md
    /// §12.3) under a 128-bit key. A test-vector hook (feature `hazmat`):
    /// only for known-answer vectors.
    pub fn ff1_sm4_for_vectors(
        key: &[u8; 16],
        radix: u32,
        tweak: &[u8],
        numerals: &[u16],
        encrypt: bool,
    ) -> Result<Vec<u16>> {
        use sm4::cipher::KeyInit;
        let dir = if encrypt { Dir::Encrypt } else { Dir::Decrypt };
        let mut out = Ff1::with_cipher(sm4::Sm4::new(key.into()), radix)?.numerals(tweak, numerals, dir)?;
        Ok(core::mem::take(&mut *out))
    }

    /// FF1-AES-256 over ASCII decimal digits in place, cycle-walked below
    /// 6 digits: the step every kind's digits go through. A test-vector
    /// hook (feature `hazmat`): only for differential tests against other FF1
    /// implementations.
    pub fn ff1_decimal_for_vectors(
        key: &[u8; 32],
        tweak: &[u8],
        digits: &mut [u8],
        encrypt: bool,
    ) -> Result<()> {
        let dir = if encrypt { Dir::Encrypt } else { Dir::Decrypt };
        Ff1::new(key, 10)?.decimal(tweak, digits, dir)
    }

    /// The cycle walk of `x` within `0..size` (ID numbers' day-and-sequence
    /// domain). A test-vector hook (feature `hazmat`): only for differential
    /// tests against other FF1 implementations.
    pub fn ff1_walk_for_vectors(
        key: &[u8; 32],
        tweak: &[u8],
        x: u32,
        size: u32,
        encrypt: bool,
    ) -> Result<u32> {
        let dir = if encrypt { Dir::Encrypt } else { Dir::Decrypt };
        Ff1::new(key, 10)?.walk(tweak, x, size, dir)
    }
}
