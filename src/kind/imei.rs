//! Mobile equipment identity (IMEI, 3GPP TS 23.003).

use crate::error::{Error, Invalid, Result};
use crate::kind::{Kind, check_len, fold_ascii, luhn_valid, text_kind};
use crate::mask::{MaskLevel, keep_ends_ascii};
use crate::secret::SecretString;

const KIND: Kind = Kind::Imei;
/// Generous bound on raw input (separators, full-width digits) before parsing.
const MAX_INPUT: usize = 96;
/// Digits in an IMEI: 8 (TAC) + 6 (serial) + 1 (Luhn check).
const DIGITS: usize = 15;
/// The type allocation code: identifies the device model, not the device.
const TAC: usize = 8;

/// A 15-digit IMEI whose last digit is a valid Luhn check digit.
///
/// Parsing tolerates spaces, dashes and full-width digits. Every mask level
/// keeps only the 8-digit type allocation code (TAC), which names a device
/// model, and hides the serial number and check digit.
///
/// ```
/// use desensitize::{Imei, MaskLevel, Sensitive};
///
/// let imei: Imei = "49-015420-323751-8".parse()?;
/// assert_eq!(imei.expose(), "490154203237518");
/// assert_eq!(imei.mask(MaskLevel::Relaxed), "49015420*******");
/// assert!("490154203237519".parse::<Imei>().is_err()); // Luhn check fails
/// # Ok::<(), desensitize::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Imei(SecretString);

impl Imei {
    fn parse(input: &str) -> Result<Imei> {
        check_len(KIND, input, MAX_INPUT)?;
        let digits = fold_ascii(input, |c| c.is_ascii_digit())
            .ok_or(Error::invalid(KIND, Invalid::Character))?
            .to_secret();
        let b = digits.as_str().as_bytes();
        if b.is_empty() {
            return Err(Error::invalid(KIND, Invalid::Empty));
        }
        if b.len() != DIGITS {
            return Err(Error::invalid(KIND, Invalid::Length));
        }
        if !luhn_valid(b) {
            return Err(Error::invalid(KIND, Invalid::Luhn));
        }
        Ok(Imei(digits))
    }

    /// The 15 digits. Exposes the plaintext.
    pub fn expose(&self) -> &str {
        self.0.as_str()
    }

    fn mask_at(&self, level: MaskLevel) -> String {
        match level {
            MaskLevel::Strict | MaskLevel::Standard | MaskLevel::Relaxed => {
                keep_ends_ascii(self.expose(), TAC, 0)
            }
        }
    }
}

text_kind!(Imei, KIND);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Sensitive;
    use crate::kind::luhn_digit;
    use crate::kind::private::Canonical;

    fn reason(input: &str) -> Invalid {
        match input.parse::<Imei>() {
            Err(Error::Invalid { kind: Kind::Imei, reason }) => reason,
            other => panic!("expected an error, got {:?}", other.map(|_| ())),
        }
    }

    #[test]
    fn normalizes() {
        for ok in [
            "490154203237518",
            " 49 015420 323751 8 ",
            "49-015420-323751-8",
            "４９０１５４２０３２３７５１８",
        ] {
            assert_eq!(ok.parse::<Imei>().unwrap().expose(), "490154203237518", "{ok}");
        }
        for ok in ["356938035643809", "352099001761481"] {
            assert_eq!(ok.parse::<Imei>().unwrap().expose(), ok);
        }
        // Any 14 digits plus their Luhn digit form an IMEI.
        let mut built = String::from("35145120840121");
        built.push(char::from(luhn_digit(built.as_bytes())));
        let imei: Imei = built.parse().unwrap();
        assert_eq!(Imei::from_canonical_bytes(imei.canonical_bytes()).unwrap(), imei);
    }

    #[test]
    fn every_documented_error() {
        assert_eq!(reason(""), Invalid::Empty);
        assert_eq!(reason(" - "), Invalid::Empty);
        assert_eq!(reason("49015420323751a"), Invalid::Character);
        assert_eq!(reason("490154203237518/"), Invalid::Character);
        assert_eq!(reason("49015420323751"), Invalid::Length);
        assert_eq!(reason("4901542032375180"), Invalid::Length);
        assert_eq!(reason("490154203237519"), Invalid::Luhn);
        assert!(matches!(reason(&"4".repeat(200)), Invalid::TooLong { .. }));
    }

    #[test]
    fn masks() {
        let imei: Imei = "490154203237518".parse().unwrap();
        for level in MaskLevel::ALL {
            assert_eq!(imei.mask(level), "49015420*******", "{level:?}");
        }
        assert_eq!(imei.to_string(), "49015420*******");
        assert_eq!(format!("{imei:?}"), "Imei([REDACTED])");
    }
}
