//! FF1 (NIST SP 800-38G Rev. 1) on machine integers.
//!
//! Each Feistel half is held as one `u128` (`NUM_radix` of its numerals)
//! instead of a numeral vector or a big integer: the halves our kinds use are
//! at most 10 decimal digits, and every half this accepts is at most 2^64
//! (`radix^ceil(n/2) <= 2^64`; longer strings are refused with an error). A
//! call allocates nothing; the halves, blocks and CBC-MAC state it holds are
//! wiped before it returns.
//!
//! The PRF is CBC-MAC over `P || Q`. `P` and every block of
//! `Q = T || 0^pad || [i] || NUM(B)` before the last depend only on the
//! radix, the length and the tweak, so [`Prepared`] runs CBC-MAC over them
//! once (per call, or once per cycle walk); each of the ten rounds then
//! encrypts one block. With `b <= 8`, `d <= 12 <= 16`: `S` is the first `d`
//! bytes of `R`, never more blocks. When `d = 8` (halves of at most 9
//! decimal digits: every kind's FF1 and the cycle walk) the rounds run on
//! `u64` words, the same arithmetic with a shorter dependency chain. The
//! suite's cipher is matched once per call, not once per block.

use aes_gcm::aes::Aes256;
use aes_gcm::aes::cipher::consts::U16;
use aes_gcm::aes::cipher::{Block, BlockCipherEncrypt, BlockSizeUser, KeyInit};
use sm4::Sm4;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::crypto::Suite;
use crate::error::{ConfigError, Error, Result};

/// A 128-bit block cipher FF1 can run on: every RustCrypto one, and
/// [`FfBlock`], the suite's.
pub trait Block16 {
    /// Encrypt one block in place. The caller wipes the block.
    fn encrypt16(&self, block: &mut [u8; 16]);

    /// The ten Feistel rounds on `(NUM(A), NUM(B))` (see [`feistel`]).
    /// [`FfBlock`] matches its suite here, once per FF1 call, so that the
    /// rounds run on the concrete cipher rather than through a match per
    /// block.
    fn rounds(&self, p: &Prepared, a: u128, b: u128, dir: Dir) -> (u128, u128) {
        feistel(self, p, a, b, dir)
    }
}

impl<C: BlockCipherEncrypt + BlockSizeUser<BlockSize = U16>> Block16 for C {
    #[inline]
    fn encrypt16(&self, block: &mut [u8; 16]) {
        // In place: no copy into a `Block` and back in every round.
        let b: &mut Block<C> = block.into();
        self.encrypt_block(b);
    }
}

/// The block cipher of a key's suite (SPEC.md §9.4, §12): AES-256 for
/// `aes`, SM4 (its key the first 16 bytes of the derived key) for `gm`.
/// Key schedules wiped on drop. Not boxed: one per FF1 key, and every
/// Feistel round goes through it.
#[allow(clippy::large_enum_variant)]
pub enum FfBlock {
    /// FF1-AES-256.
    Aes(Aes256),
    /// FF1 with SM4 as its block cipher.
    Sm4(Sm4),
}

impl Block16 for FfBlock {
    fn encrypt16(&self, block: &mut [u8; 16]) {
        match self {
            FfBlock::Aes(c) => c.encrypt16(block),
            FfBlock::Sm4(c) => c.encrypt16(block),
        }
    }

    fn rounds(&self, p: &Prepared, a: u128, b: u128, dir: Dir) -> (u128, u128) {
        match self {
            FfBlock::Aes(c) => feistel(c, p, a, b, dir),
            FfBlock::Sm4(c) => feistel(c, p, a, b, dir),
        }
    }
}

/// Feistel rounds (step 6).
const ROUNDS: u8 = 10;
/// Smallest domain `radix^n` FF1 may be used on (SP 800-38G Rev. 1).
const MIN_DOMAIN: u128 = 1_000_000;
/// Largest half domain `radix^v` held in one machine integer here.
const MAX_HALF: u128 = 1 << 64;
/// Decimal digits of the smallest FF1 domain used (10^6, the NIST minimum).
pub(crate) const WALK_DIGITS: usize = 6;
/// Numbers of the cycle-walking domain: 10^[`WALK_DIGITS`].
pub(crate) const WALK_SIZE: u32 = 1_000_000;
/// Numbers of each Feistel half of the cycle walk: 10^(`WALK_DIGITS` / 2).
const WALK_HALF: u32 = 1_000;

/// Which way an FF1 pass goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dir {
    /// Value to pseudonym.
    Encrypt,
    /// Pseudonym to value.
    Decrypt,
}

/// FF1 under one expanded block-cipher key, for numerals in `0..radix`.
/// The key schedule is wiped on drop (`aes` with `zeroize`).
pub struct Ff1<C = FfBlock> {
    cipher: C,
    radix: u32,
}

/// What one (tweak, length) fixes for every round: the CBC-MAC state after
/// `P` and the constant blocks of `Q`, the constant bytes of `Q`'s last
/// block, and the split. Holds tweak bytes (kept plaintext digits): wiped.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct Prepared {
    /// The CBC-MAC state XOR the constant bytes of `Q`'s last block, as a
    /// big-endian integer: a round's block is this XOR `[i]` XOR `NUM(B)`,
    /// built in registers (byte stores then a block load would stall).
    base: u128,
    /// `b`: bytes of `NUM(B)` in `Q`.
    b: usize,
    /// `d`: bytes of `R` that make `y`.
    d: usize,
    /// `radix^u`, `radix^v`.
    mod_u: u128,
    mod_v: u128,
    /// `floor((2^64 - 1) / radix^u)` and for `v` (0 when the modulus is 2^64):
    /// reduction by multiplication (see [`reduce`]).
    inv_u: u64,
    inv_v: u64,
}

impl Ff1<FfBlock> {
    /// FF1-AES-256 under `key` for numerals in `0..radix` (2 to 65536).
    pub fn new(key: &[u8; 32], radix: u32) -> Result<Ff1> {
        Ff1::new_in(Suite::Aes, key, radix)
    }

    /// FF1 with the block cipher of `suite` under the derived `key`:
    /// FF1-AES-256, or FF1-SM4 under `key[..16]` (SPEC.md §12.3).
    pub fn new_in(suite: Suite, key: &[u8; 32], radix: u32) -> Result<Ff1> {
        let block = match suite {
            Suite::Aes => FfBlock::Aes(Aes256::new(key.into())),
            Suite::Gm => {
                let mut k = Zeroizing::new([0u8; 16]);
                k.copy_from_slice(&key[..16]);
                FfBlock::Sm4(Sm4::new((&*k).into()))
            }
        };
        Ff1::with_cipher(block, radix)
    }
}

impl<C: Block16> Ff1<C> {
    /// FF1 on an already keyed block cipher (any AES key size).
    pub fn with_cipher(cipher: C, radix: u32) -> Result<Ff1<C>> {
        if !(2..=1 << 16).contains(&radix) {
            return Err(Error::Config(ConfigError::Ff1Radix));
        }
        Ok(Ff1 { cipher, radix })
    }

    fn encrypt_block(&self, block: &mut [u8; 16]) {
        self.cipher.encrypt16(block);
    }

    /// Steps 1-5 and the round-independent part of 6i-6ii for `n` numerals.
    fn prepare(&self, tweak: &[u8], n: usize) -> Result<Prepared> {
        let radix = u128::from(self.radix);
        let domain_ok =
            u32::try_from(n).ok().and_then(|n| radix.checked_pow(n)).is_none_or(|s| s >= MIN_DOMAIN);
        if n < 2 || !domain_ok {
            return Err(Error::Config(ConfigError::Ff1Numerals));
        }
        let t = u32::try_from(tweak.len()).map_err(|_| Error::Config(ConfigError::Ff1TweakTooLong))?;
        let u = n / 2;
        let v = n - u;
        let pow =
            |m: usize| u32::try_from(m).ok().and_then(|m| radix.checked_pow(m)).filter(|&p| p <= MAX_HALF);
        let (Some(mod_u), Some(mod_v)) = (pow(u), pow(v)) else {
            return Err(Error::Config(ConfigError::Ff1TooLong));
        };
        // b = ceil(ceil(v * log2(radix)) / 8): ceil(v * log2(radix)) is the
        // bit length of radix^v - 1, exactly, without floating point.
        let bits = 128 - (mod_v - 1).leading_zeros() as usize;
        let b = bits.div_ceil(8);
        let d = 4 * b.div_ceil(4) + 4;

        // 5. P = [1]^1 || [2]^1 || [1]^1 || [radix]^3 || [10]^1 || [u mod 256]^1 || [n]^4 || [t]^4.
        let mut state = [0u8; 16];
        state[..3].copy_from_slice(&[1, 2, 1]);
        state[3..6].copy_from_slice(&self.radix.to_be_bytes()[1..]);
        state[6] = 10;
        state[7] = (u % 256) as u8;
        state[8..12].copy_from_slice(&(n as u32).to_be_bytes());
        state[12..16].copy_from_slice(&t.to_be_bytes());
        self.encrypt_block(&mut state);

        // Q = T || 0^((-t-b-1) mod 16) || [i]^1 || [NUM(B)]^b: a multiple
        // of 16 bytes, of which only the last block changes between rounds.
        let t = tweak.len();
        let q_len = (t + b + 1).div_ceil(16) * 16;
        // The 16 bytes of Q from `start` (T, then zero padding), as an integer.
        let q_block = |start: usize| {
            let mut blk = [0u8; 16];
            let src = tweak.get(start..).unwrap_or_default();
            let n = src.len().min(16);
            blk[..n].copy_from_slice(&src[..n]);
            let v = u128::from_be_bytes(blk);
            blk.as_mut_slice().zeroize();
            v
        };
        for start in (0..q_len - 16).step_by(16) {
            state = (u128::from_be_bytes(state) ^ q_block(start)).to_be_bytes();
            self.encrypt_block(&mut state);
        }
        let base = u128::from_be_bytes(state) ^ q_block(q_len - 16);
        state.as_mut_slice().zeroize();
        let inv = |m: u128| u64::try_from(m).map_or(0, |m| u64::MAX / m);
        Ok(Prepared { base, b, d, mod_u, mod_v, inv_u: inv(mod_u), inv_v: inv(mod_v) })
    }

    /// FF1 over a numeral string (each numeral below the radix, at least
    /// the length whose domain reaches 10^6, halves within 2^64). The
    /// output is in a wiped buffer.
    pub fn numerals(&self, tweak: &[u8], x: &[u16], dir: Dir) -> Result<Zeroizing<Vec<u16>>> {
        if x.iter().any(|&d| u32::from(d) >= self.radix) {
            return Err(Error::Config(ConfigError::Ff1Numerals));
        }
        let p = self.prepare(tweak, x.len())?;
        let u = x.len() / 2;
        let radix = u128::from(self.radix);
        let num = |s: &[u16]| s.iter().fold(0u128, |acc, &d| acc * radix + u128::from(d));
        let (mut a, mut b) = self.cipher.rounds(&p, num(&x[..u]), num(&x[u..]), dir);
        let mut out = Zeroizing::new(vec![0u16; x.len()]);
        let (oa, ob) = out.split_at_mut(u);
        for (half, value) in [(oa, &mut a), (ob, &mut b)] {
            for d in half.iter_mut().rev() {
                *d = (*value % radix) as u16;
                *value /= radix;
            }
            value.zeroize();
        }
        Ok(out)
    }

    /// FF1 over ASCII decimal digits, in place. Fewer than
    /// [`WALK_DIGITS`] digits are permuted by cycle-walking a 6-digit FF1.
    pub fn decimal(&self, tweak: &[u8], digits: &mut [u8], dir: Dir) -> Result<()> {
        if self.radix != 10 || !digits.iter().all(u8::is_ascii_digit) {
            return Err(Error::Config(ConfigError::Ff1DecimalDigits));
        }
        if digits.len() < WALK_DIGITS {
            let size = 10u32.pow(digits.len() as u32);
            let mut x = read_decimal(digits) as u32;
            let y = self.walk(tweak, x, size, dir);
            x.zeroize();
            let mut y = y?;
            write_decimal(u128::from(y), digits);
            y.zeroize();
            return Ok(());
        }
        let p = self.prepare(tweak, digits.len())?;
        let (da, db) = digits.split_at_mut(digits.len() / 2);
        let (mut a, mut b) = self.cipher.rounds(&p, read_decimal(da), read_decimal(db), dir);
        write_decimal(a, da);
        write_decimal(b, db);
        a.zeroize();
        b.zeroize();
        Ok(())
    }

    /// Permute `x` within `0..size` (`size` at most 10^6) by cycle-walking
    /// FF1 over 6 decimal digits: apply FF1 until the result is below
    /// `size`. FF1 is a permutation of `0..10^6`, so the walk from a point
    /// inside `0..size` comes back inside (at worst at `x` itself), and
    /// the inverse walk retraces it. Expected FF1 calls: 10^6 / size. The
    /// tweak's blocks are run through CBC-MAC once for the whole walk.
    pub fn walk(&self, tweak: &[u8], x: u32, size: u32, dir: Dir) -> Result<u32> {
        if self.radix != 10 || size > WALK_SIZE || x >= size {
            return Err(Error::Config(ConfigError::CycleWalkDomain));
        }
        let p = self.prepare(tweak, WALK_DIGITS)?;
        // NUM of the first 3 and the last 3 of the 6 digits: 10^3 each.
        let half = u128::from(WALK_HALF);
        let mut v = x;
        loop {
            let (a, b) = (u128::from(v / WALK_HALF), u128::from(v % WALK_HALF));
            let (mut a, mut b) = self.cipher.rounds(&p, a, b, dir);
            debug_assert!(a < half && b < half);
            // Both halves below 10^3: the number is below 10^6.
            v = (a as u32) * WALK_HALF + b as u32;
            a.zeroize();
            b.zeroize();
            if v < size {
                return Ok(v);
            }
        }
    }
}

/// Steps 6i-6iv of round `i`: `y = NUM(S)` for `NUM(B) = num`, with `r`
/// as the block (the caller wipes it).
#[inline(always)]
fn round_y<C: Block16 + ?Sized>(c: &C, p: &Prepared, r: &mut [u8; 16], i: u8, num: u128) -> u128 {
    // Q's last block: [i] at byte 15 - b, NUM(B) (< 256^b) in the last b.
    *r = (p.base ^ u128::from(i) << (8 * p.b) ^ num).to_be_bytes();
    c.encrypt16(r);
    // y = NUM(S): the first d bytes of R (d is 8 or 12).
    let y = u128::from_be_bytes(*r);
    if p.d == 8 { y >> 64 } else { y >> (128 - 8 * p.d) }
}

/// The ten Feistel rounds on `(NUM(A), NUM(B))`, either way, on one
/// block buffer that is wiped once, at the end (each round overwrites it).
fn feistel<C: Block16 + ?Sized>(c: &C, p: &Prepared, a: u128, b: u128, dir: Dir) -> (u128, u128) {
    if p.d == 8 {
        // d = 8: b <= 4, so both moduli are at most 2^32 and the halves fit.
        if let (Ok(a), Ok(b)) = (u64::try_from(a), u64::try_from(b)) {
            let (a, b) = feistel64(c, p, a, b, dir);
            return (u128::from(a), u128::from(b));
        }
    }
    feistel128(c, p, a, b, dir)
}

/// [`feistel`] on `u128` halves: any `d`.
fn feistel128<C: Block16 + ?Sized>(c: &C, p: &Prepared, a: u128, b: u128, dir: Dir) -> (u128, u128) {
    let (mut a, mut b) = (a, b);
    let mut r = [0u8; 16];
    match dir {
        Dir::Encrypt => {
            for i in 0..ROUNDS {
                let (m, inv) = if i % 2 == 0 { (p.mod_u, p.inv_u) } else { (p.mod_v, p.inv_v) };
                let y = reduce(round_y(c, p, &mut r, i, b), m, inv);
                // a < m and y < m <= 2^64: the sum cannot overflow.
                let mut s = a + y;
                if s >= m {
                    s -= m;
                }
                a = b;
                b = s;
            }
        }
        Dir::Decrypt => {
            for i in (0..ROUNDS).rev() {
                let (m, inv) = if i % 2 == 0 { (p.mod_u, p.inv_u) } else { (p.mod_v, p.inv_v) };
                let y = reduce(round_y(c, p, &mut r, i, a), m, inv);
                let s = if b >= y { b - y } else { b + m - y };
                b = a;
                a = s;
            }
        }
    }
    r.as_mut_slice().zeroize();
    (a, b)
}

/// [`feistel`] when `d = 8` (every half of at most 9 decimal digits: all
/// our kinds, and the cycle walk): the rounds on machine words. With
/// `b <= 4`, `[i]` and `NUM(B)` lie in the low eight bytes of `Q`'s last
/// block, `y` is the first eight bytes of `R`, and the moduli are
/// at most 2^32. Same results as the `u128` rounds; a shorter chain per round.
fn feistel64<C: Block16 + ?Sized>(c: &C, p: &Prepared, a: u64, b: u64, dir: Dir) -> (u64, u64) {
    debug_assert!(p.d == 8 && p.b <= 4 && p.mod_v <= 1 << 32 && p.mod_u <= p.mod_v);
    let (hi, lo) = ((p.base >> 64) as u64, p.base as u64);
    let (mod_u, mod_v) = (p.mod_u as u64, p.mod_v as u64);
    let shift = 8 * p.b;
    let mut r = [0u8; 16];
    let mut round = |i: u8, num: u64| {
        r[..8].copy_from_slice(&hi.to_be_bytes());
        r[8..].copy_from_slice(&(lo ^ u64::from(i) << shift ^ num).to_be_bytes());
        c.encrypt16(&mut r);
        let (m, inv) = if i.is_multiple_of(2) { (mod_u, p.inv_u) } else { (mod_v, p.inv_v) };
        let y = u64::from_be_bytes([r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7]]);
        (reduce64(y, m, inv), m)
    };
    let (mut a, mut b) = (a, b);
    match dir {
        Dir::Encrypt => {
            for i in 0..ROUNDS {
                let (y, m) = round(i, b);
                // a < m and y < m <= 2^32: the sum cannot overflow.
                let s = if a + y >= m { a + y - m } else { a + y };
                a = b;
                b = s;
            }
        }
        Dir::Decrypt => {
            for i in (0..ROUNDS).rev() {
                let (y, m) = round(i, a);
                let s = if b >= y { b - y } else { b + m - y };
                b = a;
                a = s;
            }
        }
    }
    r.as_mut_slice().zeroize();
    (a, b)
}

/// `y mod m` for `inv = floor((2^64 - 1) / m)` (see [`reduce`]).
#[inline]
fn reduce64(y: u64, m: u64, inv: u64) -> u64 {
    let q = ((u128::from(y) * u128::from(inv)) >> 64) as u64;
    let mut r = y - q * m;
    for _ in 0..2 {
        if r >= m {
            r -= m;
        }
    }
    debug_assert!(r < m);
    r
}

/// `y mod m`. When both fit 64 bits (the usual case: `d = 8`), by a
/// multiplication with `inv = floor((2^64 - 1) / m)` instead of a division
/// (tens of cycles, once per round): the estimated quotient
/// `floor(y * inv / 2^64)` is at most 2 below the true one, so at most two
/// subtractions finish the remainder.
#[inline]
fn reduce(y: u128, m: u128, inv: u64) -> u128 {
    match (u64::try_from(y), u64::try_from(m)) {
        (Ok(y), Ok(m)) if inv != 0 => u128::from(reduce64(y, m, inv)),
        _ => y % m,
    }
}

/// The number written by ASCII decimal digits (at most 19 of them here).
fn read_decimal(digits: &[u8]) -> u128 {
    digits.iter().fold(0, |acc, &d| acc * 10 + u128::from(d - b'0'))
}

/// Write `v` as exactly `digits.len()` ASCII decimal digits.
fn write_decimal(mut v: u128, digits: &mut [u8]) {
    for d in digits.iter_mut().rev() {
        *d = b'0' + (v % 10) as u8;
        v /= 10;
    }
    v.zeroize();
}

#[cfg(test)]
mod tests {
    use aes_gcm::aes::{Aes128, Aes192};

    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
    }

    fn digits(s: &str, radix: u32) -> Vec<u16> {
        s.chars().map(|c| c.to_digit(radix).unwrap() as u16).collect()
    }

    /// One NIST SP 800-38G FF1 sample both ways through `ff1`.
    fn sample<C: Block16>(ff1: &Ff1<C>, tweak: &str, pt: &str, ct: &str) {
        let tweak = hex(tweak);
        let radix = ff1.radix;
        let enc = ff1.numerals(&tweak, &digits(pt, radix), Dir::Encrypt).unwrap();
        assert_eq!(*enc, digits(ct, radix), "encrypt {pt}");
        let dec = ff1.numerals(&tweak, &enc, Dir::Decrypt).unwrap();
        assert_eq!(*dec, digits(pt, radix), "decrypt {ct}");
    }

    const KEY: &str = "2B7E151628AED2A6ABF7158809CF4F3CEF4359D8D580AA4F7F036D6F04FC6A94";

    #[test]
    fn nist_samples_1_to_9() {
        let key = hex(KEY);
        let aes128 = |radix| Ff1::with_cipher(Aes128::new_from_slice(&key[..16]).unwrap(), radix).unwrap();
        let aes192 = |radix| Ff1::with_cipher(Aes192::new_from_slice(&key[..24]).unwrap(), radix).unwrap();
        let aes256 = |radix| Ff1::new(&key.clone().try_into().unwrap(), radix).unwrap();
        // Samples 1-3: FF1-AES128.
        sample(&aes128(10), "", "0123456789", "2433477484");
        sample(&aes128(10), "39383736353433323130", "0123456789", "6124200773");
        sample(&aes128(36), "3737373770717273373737", "0123456789abcdefghi", "a9tv40mll9kdu509eum");
        // Samples 4-6: FF1-AES192.
        sample(&aes192(10), "", "0123456789", "2830668132");
        sample(&aes192(10), "39383736353433323130", "0123456789", "2496655549");
        sample(&aes192(36), "3737373770717273373737", "0123456789abcdefghi", "xbj3kv35jrawxv32ysr");
        // Samples 7-9: FF1-AES256.
        sample(&aes256(10), "", "0123456789", "6657667009");
        sample(&aes256(10), "39383736353433323130", "0123456789", "1001623463");
        sample(&aes256(36), "3737373770717273373737", "0123456789abcdefghi", "xs8a0azh2avyalyzuwd");
    }

    #[test]
    fn decimal_matches_numerals_and_inverts() {
        let ff1 = Ff1::new(&[9; 32], 10).unwrap();
        for s in ["000000", "12345678", "123456789012", "1234567890123456789", "99999999999999999999"] {
            let mut d = s.as_bytes().to_vec();
            ff1.decimal(b"tweak", &mut d, Dir::Encrypt).unwrap();
            let via = ff1.numerals(b"tweak", &digits(s, 10), Dir::Encrypt).unwrap();
            assert_eq!(d, via.iter().map(|&n| b'0' + n as u8).collect::<Vec<_>>(), "{s}");
            ff1.decimal(b"tweak", &mut d, Dir::Decrypt).unwrap();
            assert_eq!(d, s.as_bytes());
        }
    }

    #[test]
    fn refuses_what_it_cannot_hold_or_nist_forbids() {
        let ff1 = Ff1::new(&[9; 32], 10).unwrap();
        let err = |r: Result<Zeroizing<Vec<u16>>>| match r {
            Err(Error::Config(m)) => m,
            _ => panic!("expected a config error"),
        };
        assert_eq!(err(ff1.numerals(b"", &[0; 5], Dir::Encrypt)), ConfigError::Ff1Numerals);
        assert_eq!(err(ff1.numerals(b"", &[0, 1, 2, 3, 4, 10], Dir::Encrypt)), ConfigError::Ff1Numerals);
        // 38 digits: halves of 19 (10^19 <= 2^64) fit; 39 (a 20-digit half) do not.
        assert!(ff1.numerals(b"", &[3; 38], Dir::Encrypt).is_ok());
        assert_eq!(err(ff1.numerals(b"", &[3; 39], Dir::Encrypt)), ConfigError::Ff1TooLong);
        let big = Ff1::new(&[9; 32], 65536).unwrap();
        assert!(big.numerals(b"", &[65535; 8], Dir::Encrypt).is_ok(), "2^64 halves fit");
        assert_eq!(err(big.numerals(b"", &[0; 9], Dir::Encrypt)), ConfigError::Ff1TooLong);
        assert!(Ff1::new(&[9; 32], 1).is_err());
        assert!(Ff1::new(&[9; 32], 65537).is_err());
        let mut short = *b"12345a";
        assert!(ff1.decimal(b"", &mut short, Dir::Encrypt).is_err());
        assert_eq!(&short, b"12345a", "left as it was");
    }

    /// A fixed xorshift64 sequence: reproducible test inputs.
    fn xorshift() -> impl FnMut() -> u64 {
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        }
    }

    #[test]
    fn reduce_by_multiplication_is_exact() {
        let mut next = xorshift();
        let moduli = [2u64, 3, 10, 1000, 100_000, 10_000_000_000, 1 << 63, u64::MAX - 1, u64::MAX];
        let random: Vec<u64> = (0..2000).map(|_| next() >> (next() % 63)).filter(|&m| m >= 2).collect();
        for m in moduli.into_iter().chain(random) {
            let inv = u64::MAX / m;
            for y in [0, 1, m - 1, m, m.wrapping_mul(2), u64::MAX, u64::MAX - 1, next(), next() >> 20] {
                assert_eq!(reduce(u128::from(y), u128::from(m), inv), u128::from(y % m), "{y} mod {m}");
            }
        }
        // The 2^64 modulus (radix 2^16, 4-numeral halves) and 96-bit y take the division.
        assert_eq!(reduce(5 << 64 | 7, 1 << 64, 0), 7);
        assert_eq!(reduce(u128::MAX >> 32, 1000, u64::MAX / 1000), (u128::MAX >> 32) % 1000);
    }

    #[test]
    fn word_rounds_equal_the_u128_rounds() {
        // Every d = 8 shape, at the edges: radix 10 up to 9-digit halves,
        // radix 2^16 with a 2^32 modulus, odd lengths (u < v).
        let mut next = xorshift();
        for (radix, n) in [(10u32, 6usize), (10, 7), (10, 18), (2, 20), (36, 8), (65536, 4), (65535, 4)] {
            let ff1 = Ff1::new(&[3; 32], radix).unwrap();
            let p = ff1.prepare(b"tweak", n).unwrap();
            assert_eq!(p.d, 8, "radix {radix} n {n}");
            for _ in 0..200 {
                let (a, b) = (u128::from(next()) % p.mod_u, u128::from(next()) % p.mod_v);
                for dir in [Dir::Encrypt, Dir::Decrypt] {
                    let words = ff1.cipher.rounds(&p, a, b, dir);
                    assert_eq!(words, feistel128(&ff1.cipher, &p, a, b, dir), "radix {radix} n {n}");
                }
            }
        }
    }

    #[test]
    fn b_is_exact_at_the_power_of_two_edges() {
        // radix 2^16, v = 4: radix^v = 2^64 needs exactly 64 bits (b = 8);
        // radix 2, v = 10: 2^10 needs 10 bits (b = 2); radix 10, v = 3: 10 bits.
        for (radix, n, b) in [(65536u32, 8usize, 8usize), (2, 20, 2), (10, 6, 2), (10, 20, 5), (10, 38, 8)] {
            let ff1 = Ff1::new(&[1; 32], radix).unwrap();
            assert_eq!(ff1.prepare(b"", n).unwrap().b, b, "radix {radix} n {n}");
        }
    }
}
