//! Decimal digits of a `u32` on the stack, without the formatting machinery:
//! token key ids, generalized facts written into policy cells and fake data
//! all append small numbers on hot paths. And the check that a byte string
//! is all ASCII digits, eight bytes at a time, for the parsers' fast paths.

/// Whether every byte of `b` is an ASCII digit (`true` for none). Eight
/// bytes at a time (SWAR): a byte is a digit when its high nibble is 3 and
/// its low nibble plus 6 does not carry into the high nibble; the parsers
/// of numbers (ID, phone, card) call this on every value.
#[inline]
pub(crate) fn all_ascii_digits(b: &[u8]) -> bool {
    const HI: u64 = 0xF0F0_F0F0_F0F0_F0F0;
    const LO: u64 = 0x0F0F_0F0F_0F0F_0F0F;
    const THREES: u64 = 0x3030_3030_3030_3030;
    const SIXES: u64 = 0x0606_0606_0606_0606;
    let mut words = b.chunks_exact(8);
    let mut bad = 0u64;
    for w in &mut words {
        let w = u64::from_le_bytes(w.try_into().unwrap_or_default());
        // Low nibbles are at most 15, plus 6 at most 21: no carry between bytes.
        bad |= ((w & HI) ^ THREES) | (((w & LO) + SIXES) & HI);
    }
    bad == 0 && words.remainder().iter().all(u8::is_ascii_digit)
}

/// The decimal digits of a number, most significant first.
pub(crate) struct Decimal {
    buf: [u8; 10],
    at: usize,
}

impl Decimal {
    pub(crate) fn new(mut n: u32) -> Decimal {
        let mut buf = [0u8; 10];
        let mut at = buf.len();
        loop {
            at -= 1;
            buf[at] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                return Decimal { buf, at };
            }
        }
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.buf[self.at..]
    }

    pub(crate) fn as_str(&self) -> &str {
        // Only ASCII digits are ever written.
        core::str::from_utf8(self.as_bytes()).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::{Decimal, all_ascii_digits};

    #[test]
    fn all_ascii_digits_is_the_byte_test() {
        for b in 0..=255u8 {
            for len in [1usize, 7, 8, 9, 16, 17, 24] {
                for at in [0, len / 2, len - 1] {
                    let mut s = vec![b'5'; len];
                    s[at] = b;
                    assert_eq!(
                        all_ascii_digits(&s),
                        s.iter().all(u8::is_ascii_digit),
                        "{b} at {at} of {len}"
                    );
                }
            }
        }
        assert!(all_ascii_digits(b""));
        assert!(all_ascii_digits(b"0123456789012345678"));
    }

    #[test]
    fn matches_display() {
        for n in [0, 1, 9, 10, 99, 100, 1203, 65_535, 4_294_967_295] {
            assert_eq!(Decimal::new(n).as_str(), n.to_string());
        }
    }
}
