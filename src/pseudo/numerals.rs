//! An FF1 numeral string that leaves no copy of its numerals in freed memory.
//!
//! The `fpe` crate's own `FlexibleNumeralString` clones the numerals on every
//! split, works on them as `num-bigint` integers (heap limbs) and frees all of
//! it unwiped: each FPE call would leave the digits it hides in the
//! allocator's free lists. [`Numerals`] keeps the numerals in a wiped buffer,
//! and each half of the Feistel network as a stack integer ([`Half`]), wiped
//! on drop: FF1 through it allocates only the input and output buffers, both
//! wiped. The price is a bound: each half must fit 64 bits
//! (`radix^ceil(n/2) <= 2^64`), which every kind's FPE (at most 12 decimal
//! digits) and the NIST SP 800-38G samples meet.

use ::fpe::ff1::{NumeralString, Operations};
use zeroize::{Zeroize, Zeroizing};

/// A numeral string for FF1, wiped on drop.
pub(crate) struct Numerals {
    digits: Zeroizing<Vec<u16>>,
    radix: u32,
}

impl Numerals {
    /// `None` when a half of `digits` could exceed 64 bits under `radix`.
    pub(crate) fn new(digits: Zeroizing<Vec<u16>>, radix: u32) -> Option<Numerals> {
        let longer_half = u32::try_from(digits.len() - digits.len() / 2).ok()?;
        let fits = u128::from(radix).checked_pow(longer_half).is_some_and(|size| size <= 1 << 64);
        fits.then_some(Numerals { digits, radix })
    }

    /// The numerals, still in their wiped buffer.
    pub(crate) fn into_digits(self) -> Zeroizing<Vec<u16>> {
        self.digits
    }

    fn half(&self, digits: &[u16]) -> Half {
        let value = digits.iter().fold(0u128, |acc, &d| acc * u128::from(self.radix) + u128::from(d));
        Half { value, len: digits.len(), radix: self.radix }
    }
}

impl NumeralString for Numerals {
    type Ops = Half;

    fn is_valid(&self, radix: u32) -> bool {
        radix == self.radix && self.digits.iter().all(|&d| u32::from(d) < radix)
    }

    fn numeral_count(&self) -> usize {
        self.digits.len()
    }

    fn split(&self) -> (Half, Half) {
        let (a, b) = self.digits.split_at(self.digits.len() / 2);
        (self.half(a), self.half(b))
    }

    fn concat(a: Half, b: Half) -> Numerals {
        // Sized once: pushing never reallocates (and never leaves a copy).
        let mut digits = Zeroizing::new(Vec::with_capacity(a.len + b.len));
        for half in [&a, &b] {
            let start = digits.len();
            digits.resize(start + half.len, 0);
            let mut v = half.value;
            for d in digits[start..].iter_mut().rev() {
                *d = (v % u128::from(half.radix)) as u16;
                v /= u128::from(half.radix);
            }
            v.zeroize();
        }
        Numerals { digits, radix: a.radix }
    }
}

/// One half of the Feistel state: `NUM_radix(X)` and the numeral count.
pub(crate) struct Half {
    value: u128,
    len: usize,
    radix: u32,
}

impl Drop for Half {
    fn drop(&mut self) {
        self.value.zeroize();
    }
}

impl Half {
    /// `radix^m`; at most 2^64 (checked by [`Numerals::new`]).
    fn modulus(radix: u32, m: usize) -> u128 {
        u128::from(radix).pow(u32::try_from(m).unwrap_or(u32::MAX))
    }

    /// `NUM(S) mod modulus`, reducing byte by byte (the running value stays
    /// below 2^72).
    fn reduce(s: impl Iterator<Item = u8>, modulus: u128) -> u128 {
        s.fold(0u128, |acc, byte| (acc * 256 + u128::from(byte)) % modulus)
    }
}

impl Operations for Half {
    type Bytes = BeBytes;

    fn numeral_count(&self) -> usize {
        self.len
    }

    fn to_be_bytes(&self, _radix: u32, b: usize) -> BeBytes {
        // `b` is at most 8 for a value below 2^64; the buffer leaves room.
        let mut buf = [0u8; 32];
        let len = b.min(buf.len());
        buf[len.saturating_sub(16)..len]
            .copy_from_slice(&self.value.to_be_bytes()[16usize.saturating_sub(len)..]);
        BeBytes { buf, len }
    }

    fn add_mod_exp(self, other: impl Iterator<Item = u8>, radix: u32, m: usize) -> Half {
        let modulus = Half::modulus(radix, m);
        let y = Half::reduce(other, modulus);
        // FF1 pairs each half with the `m` of its own length: value < modulus.
        Half { value: (self.value + y) % modulus, len: m, radix }
    }

    fn sub_mod_exp(self, other: impl Iterator<Item = u8>, radix: u32, m: usize) -> Half {
        let modulus = Half::modulus(radix, m);
        let y = Half::reduce(other, modulus);
        Half { value: (self.value + modulus - y) % modulus, len: m, radix }
    }
}

/// `STR^b_256(NUM(X))` on the stack, wiped on drop.
pub(crate) struct BeBytes {
    buf: [u8; 32],
    len: usize,
}

impl AsRef<[u8]> for BeBytes {
    fn as_ref(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

impl Drop for BeBytes {
    fn drop(&mut self) {
        self.buf.zeroize();
    }
}

#[cfg(test)]
mod tests {
    use ::fpe::ff1::{FF1, FlexibleNumeralString};
    use aes_gcm::aes::Aes256;

    use super::*;

    /// The same FF1 results as the `fpe` crate's own numeral string, both
    /// ways, across radixes and lengths (odd and even), including the
    /// largest halves allowed.
    #[test]
    fn agrees_with_flexible_numeral_string() {
        let ff1 = |radix| FF1::<Aes256>::new(&[0x5A; 32], radix).unwrap();
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for (radix, lens) in [(10u32, 6..=38usize), (36, 4..=24), (2, 20..=128), (65535, 2..=8)] {
            let f = ff1(radix);
            for n in lens {
                let x: Vec<u16> = (0..n).map(|_| (next() % u64::from(radix)) as u16).collect();
                let ours = Numerals::new(Zeroizing::new(x.clone()), radix).unwrap();
                let theirs = FlexibleNumeralString::from(x.clone());
                let (Ok(a), Ok(b)) = (f.encrypt(b"tw", &ours), f.encrypt(b"tw", &theirs)) else {
                    continue; // below the minimum domain: both refuse
                };
                let a = a.into_digits();
                assert_eq!(*a, Vec::from(b), "radix {radix} length {n}");
                let back = f.decrypt(b"tw", &Numerals::new(a, radix).unwrap()).ok().unwrap().into_digits();
                assert_eq!(*back, x);
            }
        }
        assert!(Numerals::new(Zeroizing::new(vec![0; 38]), 10).is_some(), "19-digit halves fit 64 bits");
        assert!(Numerals::new(Zeroizing::new(vec![0; 39]), 10).is_none(), "a 20-digit half does not");
        assert!(Numerals::new(Zeroizing::new(vec![0; 9]), 65536).is_none());
    }

    #[test]
    fn only_numerals_below_the_radix_are_valid() {
        let ns = |digits: &[u16]| Numerals::new(Zeroizing::new(digits.to_vec()), 10).unwrap();
        assert!(ns(&[0, 9, 5, 1, 2, 3]).is_valid(10));
        assert!(!ns(&[0, 9, 5, 1, 2, 10]).is_valid(10), "a numeral equal to the radix");
        assert!(!ns(&[11, 0, 0, 0, 0, 0]).is_valid(10));
        assert!(!ns(&[0, 1, 2, 3, 4, 5]).is_valid(16), "built for radix 10");
        let f = FF1::<Aes256>::new(&[1; 32], 10).unwrap();
        assert!(f.encrypt(b"", &ns(&[0, 9, 5, 1, 2, 10])).is_err());
    }
}
