//! PRC mobile phone number.

use crate::digits::all_ascii_digits;
use crate::error::{Error, Invalid, Result};
use crate::kind::{Folded, Kind, check_len, fold_ascii, text_kind};
use crate::mask::{MaskLevel, push_keep_ends_ascii};
use crate::secret::SecretString;

const KIND: Kind = Kind::MobilePhone;
const MAX_INPUT: usize = 96;

/// A PRC mobile number, stored as 11 digits `1[3-9]xxxxxxxxx`.
///
/// Parsing accepts the `+86`, `0086` and `86` country prefixes, spaces,
/// dashes, parentheses and full-width digits.
///
/// ```
/// use desensitize::{MaskLevel, MobilePhone, Sensitive};
///
/// for input in ["+86 138-0013-8000", "0086 13800138000", "１３８００１３８０００"] {
///     let phone: MobilePhone = input.parse()?;
///     assert_eq!(phone.expose(), "13800138000");
/// }
/// let phone: MobilePhone = "13800138000".parse()?;
/// assert_eq!(phone.mask(MaskLevel::Strict), "*******8000");
/// assert!("12800138000".parse::<MobilePhone>().is_err()); // no 12x segment
/// # Ok::<(), desensitize::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct MobilePhone(SecretString);

fn validate(b: &[u8]) -> Result<()> {
    if !all_ascii_digits(b) {
        return Err(Error::invalid(KIND, Invalid::Character));
    }
    if b.len() != 11 {
        return Err(Error::invalid(KIND, Invalid::Length));
    }
    if b[0] != b'1' || !(b'3'..=b'9').contains(&b[1]) {
        return Err(Error::invalid(KIND, Invalid::Prefix));
    }
    Ok(())
}

impl MobilePhone {
    fn parse(input: &str) -> Result<MobilePhone> {
        match MobilePhone::parse_canonical(input) {
            Some(parsed) => parsed,
            None => MobilePhone::parse_folded(input),
        }
    }

    /// The fast path of the common form, 11 ASCII digits starting with `1`:
    /// nothing to fold or strip, so the input is validated where it is and
    /// copied once, into the value's own buffer. `None` for any other form
    /// (the general path then gives the same outcome the fast path would:
    /// a property test checks that they agree).
    fn parse_canonical(input: &str) -> Option<Result<MobilePhone>> {
        let b = input.as_bytes();
        if b.len() != 11 || b[0] != b'1' || !all_ascii_digits(b) {
            return None;
        }
        Some(validate(b).map(|()| MobilePhone(SecretString::new(input.to_owned()))))
    }

    /// The general path: fold, strip separators and the country prefix.
    fn parse_folded(input: &str) -> Result<MobilePhone> {
        check_len(KIND, input, MAX_INPUT)?;
        let mut folded = fold_ascii(input, |c| c.is_ascii_digit() || matches!(c, '+' | '(' | ')'))
            .ok_or(Error::invalid(KIND, Invalid::Character))?;
        // In place: `replace` would leave an unwiped copy of the number.
        folded.retain(|b| !matches!(b, b'(' | b')'));
        let s = folded.as_str();
        if s.is_empty() {
            return Err(Error::invalid(KIND, Invalid::Empty));
        }
        let national = if let Some(rest) = s.strip_prefix("+86") {
            rest
        } else if let Some(rest) = s.strip_prefix("0086") {
            rest
        } else if s.len() == 13 && s.starts_with("86") {
            &s[2..]
        } else {
            s
        };
        validate(national.as_bytes())?;
        Ok(MobilePhone(Folded::secret_of(national.as_bytes())))
    }

    /// Validate an 11-digit canonical number in place (the open path).
    fn from_canonical(s: SecretString) -> Result<MobilePhone> {
        validate(s.as_str().as_bytes())?;
        Ok(MobilePhone(s))
    }

    /// The 11-digit national number. Exposes the plaintext.
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
        match level {
            MaskLevel::Strict => push_keep_ends_ascii(out, self.expose(), 0, 4),
            MaskLevel::Standard | MaskLevel::Relaxed => push_keep_ends_ascii(out, self.expose(), 3, 4),
        }
    }
}

text_kind!(MobilePhone, KIND, canonical = MobilePhone::from_canonical);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Sensitive;

    fn reason(input: &str) -> Invalid {
        match input.parse::<MobilePhone>() {
            Err(Error::Invalid { kind: Kind::MobilePhone, reason }) => reason,
            other => panic!("expected an error, got {:?}", other.map(|_| ())),
        }
    }

    #[test]
    fn normalizes() {
        for ok in [
            "13800138000",
            "+86 138-0013-8000",
            "0086 13800138000",
            "8613800138000",
            "+86(138)00138000",
            "１３８００１３８０００",
            "\u{3000}138 0013 8000",
        ] {
            assert_eq!(ok.parse::<MobilePhone>().unwrap().expose(), "13800138000", "{ok}");
        }
    }

    #[test]
    fn every_documented_error() {
        assert_eq!(reason(""), Invalid::Empty);
        assert_eq!(reason("1380013800"), Invalid::Length);
        assert_eq!(reason("138001380000"), Invalid::Length);
        assert_eq!(reason("12800138000"), Invalid::Prefix);
        assert_eq!(reason("23800138000"), Invalid::Prefix);
        assert_eq!(reason("1380013800a"), Invalid::Character);
        assert_eq!(reason("+1 13800138000"), Invalid::Character);
        assert!(matches!(reason(&"1".repeat(500)), Invalid::TooLong { .. }));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 2048, failure_persistence: None, ..Default::default() })]
        /// The fast path and the general path agree on every input:
        /// canonical-looking digits, full-width, spaced, dashed and prefixed forms.
        #[test]
        fn fast_path_agrees_with_the_general_path(
            s in "(\\+86|0086|86|\\(|１|\u{3000})?[0-9１３８ \\-()a+]{0,16}|1[0-9]{10}|[0-9]{11}"
        ) {
            let outcome = |r: Result<MobilePhone>| r.map(|p| p.expose().to_owned());
            proptest::prop_assert_eq!(outcome(MobilePhone::parse(&s)), outcome(MobilePhone::parse_folded(&s)));
        }
    }

    #[test]
    fn fast_path_takes_only_the_canonical_form() {
        assert!(MobilePhone::parse_canonical("13800138000").is_some_and(|r| r.is_ok()));
        assert!(MobilePhone::parse_canonical("12800138000").is_some_and(|r| r.is_err()));
        for other in
            ["+8613800138000", "138 0013 8000", "00861380013", "１３８００１３８０００", "1380013800"]
        {
            assert!(MobilePhone::parse_canonical(other).is_none(), "{other}");
        }
    }

    #[test]
    fn masks() {
        let p: MobilePhone = "13800138000".parse().unwrap();
        assert_eq!(p.mask(MaskLevel::Strict), "*******8000");
        assert_eq!(p.mask(MaskLevel::Standard), "138****8000");
        assert_eq!(p.mask(MaskLevel::Relaxed), "138****8000");
        assert_eq!(format!("{p:?}"), "MobilePhone([REDACTED])");
    }
}
