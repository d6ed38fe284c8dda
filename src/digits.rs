//! Decimal digits of a `u32` on the stack, without the formatting machinery:
//! token key ids, generalized facts written into policy cells and fake data
//! all append small numbers on hot paths.

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
    use super::Decimal;

    #[test]
    fn matches_display() {
        for n in [0, 1, 9, 10, 99, 100, 1203, 65_535, 4_294_967_295] {
            assert_eq!(Decimal::new(n).as_str(), n.to_string());
        }
    }
}
