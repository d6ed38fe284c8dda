//! Passport number.

use crate::error::{Error, Invalid, Result};
use crate::kind::{Kind, check_len, text_kind};
use crate::mask::{MaskLevel, mask_code};
use crate::secret::SecretString;

const KIND: Kind = Kind::Passport;
/// Bound on raw input (the value plus surrounding white space).
const MAX_INPUT: usize = 64;
/// Shortest and longest accepted number.
const MIN_LEN: usize = 5;
const MAX_LEN: usize = 20;

/// A passport number: 5 to 20 ASCII letters and digits, stored upper-case.
///
/// Numbers of every issuing country are accepted, so the only checks are the
/// alphabet and the length. Surrounding white space is trimmed; spaces or
/// separators inside the number are rejected rather than guessed at.
///
/// ```
/// use desensitize::{MaskLevel, Passport, Sensitive};
///
/// let p: Passport = " e12345678 ".parse()?;
/// assert_eq!(p.expose(), "E12345678");
/// assert_eq!(p.mask(MaskLevel::Strict), "E*******8");
/// assert_eq!(p.mask(MaskLevel::Standard), "E1****678");
/// assert_eq!(p.mask(MaskLevel::Relaxed), "E12***678");
/// assert!("E1234 5678".parse::<Passport>().is_err());
/// # Ok::<(), desensitize::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Passport(SecretString);

impl Passport {
    fn parse(input: &str) -> Result<Passport> {
        check_len(KIND, input, MAX_INPUT)?;
        let s = input.trim();
        if s.is_empty() {
            return Err(Error::invalid(KIND, Invalid::Empty));
        }
        if !s.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(Error::invalid(KIND, Invalid::Character));
        }
        if !(MIN_LEN..=MAX_LEN).contains(&s.len()) {
            return Err(Error::invalid(KIND, Invalid::Length));
        }
        Ok(Passport(SecretString::new(s.to_ascii_uppercase())))
    }

    /// The upper-case number. Exposes the plaintext.
    pub fn expose(&self) -> &str {
        self.0.as_str()
    }

    fn mask_at(&self, level: MaskLevel) -> String {
        mask_code(self.expose(), level)
    }
}

text_kind!(Passport, KIND);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Sensitive;
    use crate::kind::private::Canonical;

    fn reason(input: &str) -> Invalid {
        match input.parse::<Passport>() {
            Err(Error::Invalid { kind: Kind::Passport, reason }) => reason,
            other => panic!("expected an error, got {:?}", other.map(|_| ())),
        }
    }

    #[test]
    fn normalizes() {
        for (input, canon) in [
            ("E12345678", "E12345678"),
            ("e12345678", "E12345678"),
            ("\t g12345678 \n", "G12345678"),
            ("\u{3000}E12345678\u{3000}", "E12345678"),
            ("C01X00T47", "C01X00T47"),
            ("ab123", "AB123"),
            ("12345678901234567890", "12345678901234567890"),
        ] {
            let p: Passport = input.parse().unwrap();
            assert_eq!(p.expose(), canon, "{input}");
            assert_eq!(Passport::from_canonical_bytes(p.canonical_bytes()).unwrap(), p);
        }
    }

    #[test]
    fn every_documented_error() {
        assert_eq!(reason(""), Invalid::Empty);
        assert_eq!(reason("  "), Invalid::Empty);
        assert_eq!(reason("E1234 5678"), Invalid::Character);
        assert_eq!(reason("E1234-5678"), Invalid::Character);
        assert_eq!(reason("E12345678。"), Invalid::Character);
        assert_eq!(reason("Ｅ12345678"), Invalid::Character);
        assert_eq!(reason("E123"), Invalid::Length);
        assert_eq!(reason("123456789012345678901"), Invalid::Length);
        assert!(matches!(reason(&"E".repeat(100)), Invalid::TooLong { .. }));
    }

    #[test]
    fn masks() {
        let p: Passport = "E12345678".parse().unwrap();
        assert_eq!(p.mask(MaskLevel::Strict), "E*******8");
        assert_eq!(p.mask(MaskLevel::Standard), "E1****678");
        assert_eq!(p.mask(MaskLevel::Relaxed), "E12***678");
        assert_eq!(p.to_string(), "E1****678");
        assert_eq!(format!("{p:?}"), "Passport([REDACTED])");

        // Too short to keep the requested ends: at least 3 stay hidden.
        let short: Passport = "G1234".parse().unwrap();
        assert_eq!(short.mask(MaskLevel::Strict), "G***4");
        assert_eq!(short.mask(MaskLevel::Standard), "***34");
        assert_eq!(short.mask(MaskLevel::Relaxed), "***34");
        assert_eq!(format!("{short:?}"), "Passport([REDACTED])");
    }
}
