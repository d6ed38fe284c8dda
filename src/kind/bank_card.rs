//! Payment card or bank account number (ISO/IEC 7812 primary account number).

use crate::digits::all_ascii_digits;
use crate::error::{Error, Invalid, Result};
use crate::kind::{Kind, check_len, fold_ascii, luhn_valid, text_kind};
use crate::mask::{MaskLevel, push_keep_ends_ascii};
use crate::secret::SecretString;

const KIND: Kind = Kind::BankCard;
const MIN_DIGITS: usize = 12;
const MAX_DIGITS: usize = 19;
/// Generous bound on raw input (separators, full-width digits) before parsing.
const MAX_INPUT: usize = 128;

/// A payment card or bank account number (银行卡号): 12 to 19 digits with a
/// valid Luhn (mod 10) check digit.
///
/// Parsing tolerates spaces, dashes and full-width digits and stores the
/// bare digits. Masks keep at most the issuer prefix (6 digits) and the
/// last 4 (`Relaxed`: 6) digits, and always hide at least a quarter of the
/// number (see [`MaskLevel`]).
///
/// ```
/// use desensitize::{BankCard, MaskLevel, Sensitive};
///
/// let card: BankCard = "6222 0212 3456 7894".parse()?;
/// assert_eq!(card.expose(), "6222021234567894");
/// assert_eq!(card.mask(MaskLevel::Strict), "************7894");
/// assert_eq!(card.to_string(), "622202******7894");
/// assert_eq!(format!("{card:?}"), "BankCard([REDACTED])");
///
/// let err = "6222021234567895".parse::<BankCard>().unwrap_err();
/// assert_eq!(err.to_string(), "invalid bank_card: Luhn check failed");
/// # Ok::<(), desensitize::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct BankCard(SecretString);

impl BankCard {
    fn parse(input: &str) -> Result<BankCard> {
        let b = input.as_bytes();
        // Fast path of the common form, ASCII digits only: nothing to fold,
        // so the input is copied once, into the value's own buffer (a
        // property test checks it against the general path).
        if (1..=MAX_INPUT).contains(&b.len()) && all_ascii_digits(b) {
            return BankCard::from_canonical(SecretString::new(input.to_owned()));
        }
        BankCard::parse_folded(input)
    }

    /// The general path: fold full-width digits, drop separators.
    fn parse_folded(input: &str) -> Result<BankCard> {
        check_len(KIND, input, MAX_INPUT)?;
        let folded =
            fold_ascii(input, |c| c.is_ascii_digit()).ok_or(Error::invalid(KIND, Invalid::Character))?;
        if folded.as_bytes().is_empty() {
            return Err(Error::invalid(KIND, Invalid::Empty));
        }
        // `folded` (on the stack) wipes itself on drop.
        BankCard::from_canonical(folded.to_secret())
    }

    /// Validate a canonical digit string in place (also the open path).
    fn from_canonical(digits: SecretString) -> Result<BankCard> {
        let b = digits.as_str().as_bytes();
        if !all_ascii_digits(b) {
            return Err(Error::invalid(KIND, Invalid::Character));
        }
        if !(MIN_DIGITS..=MAX_DIGITS).contains(&b.len()) {
            return Err(Error::invalid(KIND, Invalid::Length));
        }
        if !luhn_valid(b) {
            return Err(Error::invalid(KIND, Invalid::Luhn));
        }
        Ok(BankCard(digits))
    }

    /// The bare 12-19 digit number. Exposes the plaintext.
    pub fn expose(&self) -> &str {
        self.0.as_str()
    }

    fn mask_at(&self, level: MaskLevel) -> String {
        let mut out = String::with_capacity(self.expose().len());
        self.push_mask(level, &mut out);
        out
    }

    /// The mask at `level`, appended to `out` (no `String` of its own).
    pub(crate) fn push_mask(&self, level: MaskLevel, out: &mut String) {
        let (first, last) = match level {
            MaskLevel::Strict => (0, 4),
            MaskLevel::Standard => (6, 4),
            MaskLevel::Relaxed => (6, 6),
        };
        push_keep_ends_ascii(out, self.expose(), first, last)
    }
}

text_kind!(BankCard, KIND, canonical = BankCard::from_canonical);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Sensitive;
    use crate::kind::luhn_digit;

    fn reason(input: &str) -> Invalid {
        match input.parse::<BankCard>() {
            Err(Error::Invalid { kind: Kind::BankCard, reason }) => reason,
            other => panic!("expected an error, got {:?}", other.map(|_| ())),
        }
    }

    fn with_luhn(payload: &str) -> String {
        let mut s = payload.to_owned();
        s.push(luhn_digit(payload.as_bytes()) as char);
        s
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 1024, failure_persistence: None, ..Default::default() })]
        /// The digits-only fast path and the general path agree on every input.
        #[test]
        fn fast_path_agrees_with_the_general_path(s in "[0-9]{0,20}|[0-9]{125,130}|[0-9６ \\-]{0,20}|.{0,20}") {
            let outcome = |r: Result<BankCard>| r.map(|c| c.expose().to_owned());
            proptest::prop_assert_eq!(outcome(BankCard::parse(&s)), outcome(BankCard::parse_folded(&s)));
        }
    }

    #[test]
    fn normalizes() {
        for ok in [
            "6222021234567894",
            " 6222 0212 3456 7894 ",
            "6222-0212-3456-7894",
            "６２２２０２１２３４５６７８９４",
            "\u{3000}6222\u{3000}0212 3456\t7894",
        ] {
            assert_eq!(ok.parse::<BankCard>().unwrap().expose(), "6222021234567894", "{ok}");
        }
    }

    #[test]
    fn length_bounds() {
        let twelve = with_luhn("62220212345");
        assert_eq!(twelve.len(), 12);
        assert_eq!(twelve.parse::<BankCard>().unwrap().expose(), twelve);
        let nineteen = with_luhn("622202123456789012");
        assert_eq!(nineteen.len(), 19);
        assert_eq!(nineteen.parse::<BankCard>().unwrap().expose(), nineteen);
        assert_eq!(reason(&with_luhn("6222021234")), Invalid::Length);
        assert_eq!(reason(&with_luhn("6222021234567890123")), Invalid::Length);
    }

    #[test]
    fn every_documented_error() {
        assert_eq!(reason(""), Invalid::Empty);
        assert_eq!(reason(" - "), Invalid::Empty);
        assert_eq!(reason("6222021234567895"), Invalid::Luhn);
        assert_eq!(reason("62220212345"), Invalid::Length);
        assert_eq!(reason("62220212345678901234"), Invalid::Length);
        assert_eq!(reason("622202123456789a"), Invalid::Character);
        assert_eq!(reason("6222.0212.3456.7894"), Invalid::Character);
        assert!(matches!(reason(&"1".repeat(500)), Invalid::TooLong { .. }));
    }

    #[test]
    fn masks() {
        let c: BankCard = "6222021234567894".parse().unwrap();
        assert_eq!(c.mask(MaskLevel::Strict), "************7894");
        assert_eq!(c.mask(MaskLevel::Standard), "622202******7894");
        assert_eq!(c.mask(MaskLevel::Relaxed), "622202****567894");
        assert_eq!(c.to_string(), "622202******7894");
        assert_eq!(format!("{c:?}"), "BankCard([REDACTED])");
    }

    #[test]
    fn short_and_long_cards_hide_enough() {
        // 12 digits: at least 3 hidden, so the kept prefix shrinks first.
        let c: BankCard = with_luhn("62220212345").parse().unwrap();
        let d = c.expose().to_owned();
        assert_eq!(c.mask(MaskLevel::Strict), format!("********{}", &d[8..]));
        assert_eq!(c.mask(MaskLevel::Standard), format!("{}***{}", &d[..5], &d[8..]));
        assert_eq!(c.mask(MaskLevel::Relaxed), format!("{}***{}", &d[..3], &d[6..]));
        // 19 digits: at least 4 hidden, the rule is not constrained.
        let c: BankCard = with_luhn("622202123456789012").parse().unwrap();
        let d = c.expose().to_owned();
        assert_eq!(c.mask(MaskLevel::Standard), format!("{}*********{}", &d[..6], &d[15..]));
        assert_eq!(c.mask(MaskLevel::Relaxed), format!("{}*******{}", &d[..6], &d[13..]));
    }

    proptest::proptest! {
        #[test]
        fn parsing_is_total_and_canonical(s in "[0-9０-９ \\-a]{0,30}", any in ".{0,40}") {
            for input in [&s, &any] {
                if let Ok(v) = input.parse::<BankCard>() {
                    for level in MaskLevel::ALL {
                        let _ = crate::Sensitive::mask(&v, level);
                    }
                    let bytes = crate::kind::private::Canonical::canonical_bytes(&v);
                    let back = <BankCard as crate::kind::private::Canonical>::from_canonical_bytes(bytes);
                    proptest::prop_assert!(back.as_ref() == Ok(&v));
                }
            }
        }
    }
}
