//! PRC unified social credit code (GB 32100-2015).

use crate::error::{Error, Invalid, Result};
use crate::kind::{Kind, check_len, fold_ascii, text_kind};
use crate::mask::{MaskLevel, mask_code};
use crate::secret::SecretString;

const KIND: Kind = Kind::CreditCode;
/// Generous bound on raw input (separators, full-width characters) before parsing.
const MAX_INPUT: usize = 96;
/// Characters in a code: 17 + 1 check character.
const LEN: usize = 18;
/// The code's alphabet; a character's value is its index. No I, O, S, V, Z.
const ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
const WEIGHTS: [u32; 17] = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

/// A unified social credit code (统一社会信用代码, GB 32100-2015): the
/// 18-character identifier of a company or other organization.
///
/// Parsing upper-cases letters, folds full-width characters and tolerates
/// spaces and dashes; it validates the alphabet (digits and upper-case
/// letters other than I, O, S, V and Z) and the mod-31 check character.
///
/// ```
/// use desensitize::{CreditCode, MaskLevel, Sensitive};
///
/// let code: CreditCode = "91350100m000100y43".parse()?;
/// assert_eq!(code.expose(), "91350100M000100Y43");
/// assert_eq!(code.mask(MaskLevel::Strict), "9****************3");
/// assert_eq!(code.to_string(), "91*************Y43");
/// assert!("91350100M000100Y44".parse::<CreditCode>().is_err()); // check character
/// # Ok::<(), desensitize::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct CreditCode(SecretString);

/// The alphabet value of `c`, if it is in the alphabet.
fn value(c: u8) -> Option<u32> {
    ALPHABET.iter().position(|&a| a == c).and_then(|v| u32::try_from(v).ok())
}

/// The check character for the first 17 characters (all in the alphabet).
fn check_char(first17: &[u8]) -> u8 {
    let sum: u32 = first17.iter().zip(WEIGHTS).map(|(&c, w)| value(c).unwrap_or(0) * w).sum();
    // 31 - (sum % 31), with 31 wrapping to 0.
    ALPHABET[((31 - sum % 31) % 31) as usize]
}

impl CreditCode {
    fn parse(input: &str) -> Result<CreditCode> {
        check_len(KIND, input, MAX_INPUT)?;
        let mut folded = fold_ascii(input, |c| c.is_ascii_alphanumeric())
            .ok_or(Error::invalid(KIND, Invalid::Character))?;
        // In place: an upper-cased copy would leave the folded text unwiped.
        folded.make_ascii_uppercase();
        let code = folded.to_secret();
        let b = code.as_str().as_bytes();
        if b.is_empty() {
            return Err(Error::invalid(KIND, Invalid::Empty));
        }
        if b.iter().any(|&c| value(c).is_none()) {
            return Err(Error::invalid(KIND, Invalid::Character));
        }
        if b.len() != LEN {
            return Err(Error::invalid(KIND, Invalid::Length));
        }
        if check_char(&b[..LEN - 1]) != b[LEN - 1] {
            return Err(Error::invalid(KIND, Invalid::CheckDigit));
        }
        Ok(CreditCode(code))
    }

    /// The 18-character code. Exposes the plaintext.
    pub fn expose(&self) -> &str {
        self.0.as_str()
    }

    fn mask_at(&self, level: MaskLevel) -> String {
        mask_code(self.expose(), level)
    }
}

text_kind!(CreditCode, KIND);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Sensitive;
    use crate::kind::private::Canonical;

    fn reason(input: &str) -> Invalid {
        match input.parse::<CreditCode>() {
            Err(Error::Invalid { kind: Kind::CreditCode, reason }) => reason,
            other => panic!("expected an error, got {:?}", other.map(|_| ())),
        }
    }

    fn with_check(first17: &str) -> String {
        let mut s = first17.to_owned();
        s.push(char::from(check_char(first17.as_bytes())));
        s
    }

    #[test]
    fn check_character() {
        assert_eq!(check_char(b"91350100M000100Y4"), b'3');
        assert_eq!(check_char(b"91110000600037341"), b'L');
        // A remainder of 0 gives 31, which wraps to `0`.
        let zero = (0..1000u32)
            .map(|n| format!("9111000010000{n:04}"))
            .find(|s| check_char(s.as_bytes()) == b'0')
            .unwrap();
        let sum: u32 = zero.bytes().zip(WEIGHTS).map(|(c, w)| value(c).unwrap() * w).sum();
        assert_eq!(sum % 31, 0);
    }

    #[test]
    fn normalizes() {
        for ok in [
            "91350100M000100Y43",
            "91350100m000100y43",
            " 9135 0100 M000 100Y 43 ",
            "91350100-M000100Y4-3",
            "９１３５０１００Ｍ０００１００Ｙ４３",
        ] {
            let code: CreditCode = ok.parse().unwrap();
            assert_eq!(code.expose(), "91350100M000100Y43", "{ok}");
            assert_eq!(CreditCode::from_canonical_bytes(code.canonical_bytes()).unwrap(), code);
        }
        assert_eq!("91110000600037341L".parse::<CreditCode>().unwrap().expose(), "91110000600037341L");
        let built = with_check("12100000400000YXW");
        assert_eq!(built.parse::<CreditCode>().unwrap().expose(), built);
    }

    #[test]
    fn every_documented_error() {
        assert_eq!(reason(""), Invalid::Empty);
        assert_eq!(reason(" - "), Invalid::Empty);
        assert_eq!(reason("91350100M000100Y4"), Invalid::Length);
        assert_eq!(reason("91350100M000100Y433"), Invalid::Length);
        assert_eq!(reason("91350100M000100Y4/"), Invalid::Character);
        assert_eq!(reason("91350100I000100Y43"), Invalid::Character);
        assert_eq!(reason("91350100O000100Y43"), Invalid::Character);
        assert_eq!(reason("91350100S000100Y43"), Invalid::Character);
        assert_eq!(reason("91350100V000100Y43"), Invalid::Character);
        assert_eq!(reason("91350100Z000100Y43"), Invalid::Character);
        assert_eq!(reason("91350100M000100Y44"), Invalid::CheckDigit);
        assert_eq!(reason("91350100M000100Y4A"), Invalid::CheckDigit);
        assert!(matches!(reason(&"9".repeat(200)), Invalid::TooLong { .. }));
    }

    #[test]
    fn masks() {
        let code: CreditCode = "91350100M000100Y43".parse().unwrap();
        assert_eq!(code.mask(MaskLevel::Strict), "9****************3");
        assert_eq!(code.mask(MaskLevel::Standard), "91*************Y43");
        assert_eq!(code.mask(MaskLevel::Relaxed), "9135***********Y43");
        assert_eq!(code.to_string(), "91*************Y43");
        assert_eq!(format!("{code:?}"), "CreditCode([REDACTED])");
    }
}
