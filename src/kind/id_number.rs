//! PRC resident identity number (GB 11643-1999).

use crate::date::Date;
use crate::digits::all_ascii_digits;
use crate::error::{Error, Invalid, Result};
use crate::kind::{Folded, Kind, check_len, fold_ascii, text_kind};
use crate::mask::{MaskLevel, push_keep_ends_ascii};
use crate::region::Province;
use crate::secret::SecretString;
use core::sync::atomic::{AtomicU32, Ordering};

use zeroize::Zeroizing;

const KIND: Kind = Kind::IdNumber;
const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK_CHARS: &[u8; 11] = b"10X98765432";
/// Generous bound on raw input (separators, full-width digits) before parsing.
const MAX_INPUT: usize = 96;

/// A PRC resident identity number (公民身份号码, GB 11643-1999).
///
/// Parsing accepts 18-character numbers (lower-case `x` is upper-cased) and
/// legacy 15-digit numbers, which are upgraded to 18 (century `19` inserted,
/// check character computed). It validates the ISO 7064 MOD 11-2 check
/// character, that the birth date is a real date from 1800 on and not after
/// today (China Standard Time), and that the province code is known. Spaces,
/// dashes and full-width digits are tolerated.
///
/// ```
/// use desensitize::{Date, Gender, IdNumber, MaskLevel, Sensitive};
///
/// let id: IdNumber = "11010519491231002x".parse()?;
/// assert_eq!(id.expose(), "11010519491231002X");
/// assert_eq!(id.birth_date(), Date::new(1949, 12, 31).unwrap());
/// assert_eq!(id.gender(), Gender::Female);
/// assert_eq!(id.region_code(), 110105);
/// assert_eq!(id.age_on(Date::new(2024, 12, 31).unwrap()), 75);
/// assert_eq!(id.mask(MaskLevel::Relaxed), "110105********002X");
///
/// // Legacy 15-digit numbers are upgraded.
/// let old: IdNumber = "110105491231002".parse()?;
/// assert_eq!(old.expose(), "11010519491231002X");
/// # Ok::<(), desensitize::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct IdNumber(SecretString);

/// Gender encoded in an ID number's 17th digit (odd = male).
///
/// Gender is personal data derived from the ID number: `Debug` redacts it,
/// and only `Display` / [`Gender::as_str`] (named on purpose) show it.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Gender {
    /// Odd sequence digit.
    Male,
    /// Even sequence digit.
    Female,
}

impl Gender {
    /// `male` or `female`.
    pub fn as_str(self) -> &'static str {
        match self {
            Gender::Male => "male",
            Gender::Female => "female",
        }
    }
}

impl core::fmt::Debug for Gender {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Gender([REDACTED])")
    }
}

impl core::fmt::Display for Gender {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.pad(self.as_str())
    }
}

/// The GB 11643 (ISO 7064 MOD 11-2) check character of 17 ASCII digits.
pub(crate) fn check_char(first17: &[u8]) -> u8 {
    let sum: u32 = match <&[u8; 17]>::try_from(first17) {
        // The common case, a fixed-length loop the compiler unrolls.
        Ok(digits) => (0..17).map(|i| u32::from(digits[i].wrapping_sub(b'0')) * WEIGHTS[i]).sum(),
        Err(_) => first17.iter().zip(WEIGHTS).map(|(&d, w)| u32::from(d.wrapping_sub(b'0')) * w).sum(),
    };
    CHECK_CHARS[(sum % 11) as usize]
}

/// What "not in the future" is judged against.
#[derive(Clone, Copy)]
enum NotAfter {
    /// Not judged (the open path: no clock).
    Never,
    /// A caller's date ([`IdNumber::parse_on`]).
    Date(Date),
    /// Today by the clock, read only when the birth date is after the
    /// latest today this process has seen ([`after_today`]).
    Today,
}

/// The latest today this process has read from the clock, packed so that
/// integer order is date order (0: none yet).
static SEEN_TODAY: AtomicU32 = AtomicU32::new(0);

fn pack(d: Date) -> u32 {
    u32::from(d.year()) << 9 | u32::from(d.month()) << 5 | u32::from(d.day())
}

/// Whether `birth` is after today. Reading the clock costs more than the
/// rest of a parse, and almost every birth date is long past: a date not
/// after the latest today already seen is not in the future, so the clock
/// is read only for the rare recent one. (Should the system clock be set
/// back, dates up to the latest today seen stay accepted.)
fn after_today(birth: Date) -> bool {
    let seen = SEEN_TODAY.load(Ordering::Relaxed);
    if seen != 0 && pack(birth) <= seen {
        return false;
    }
    let today = Date::today();
    SEEN_TODAY.fetch_max(pack(today), Ordering::Relaxed);
    birth > today
}

/// Check an 18-byte number: characters, province, birth date (not after
/// `not_after`), check character.
fn validate(bytes: &[u8], not_after: NotAfter) -> Result<()> {
    if !all_ascii_digits(&bytes[..17]) || !(bytes[17].is_ascii_digit() || bytes[17] == b'X') {
        return Err(Error::invalid(KIND, Invalid::Character));
    }
    validate_fields(bytes, not_after)
}

/// [`validate`] of 18 bytes whose characters were already checked (17
/// digits, then a digit or `X`).
fn validate_fields(bytes: &[u8], not_after: NotAfter) -> Result<()> {
    let err = |reason| Err(Error::invalid(KIND, reason));
    if Province::from_code(u8::try_from(num(&bytes[..2])).unwrap_or(0)).is_none() {
        return err(Invalid::Province);
    }
    let year = u16::try_from(num(&bytes[6..10])).unwrap_or(0);
    let birth = match Date::new(year, num(&bytes[10..12]) as u8, num(&bytes[12..14]) as u8) {
        Some(d) if year >= 1800 => d,
        _ => return err(Invalid::BirthDate),
    };
    let future = match not_after {
        NotAfter::Never => false,
        NotAfter::Date(today) => birth > today,
        NotAfter::Today => after_today(birth),
    };
    if future {
        return err(Invalid::BirthDateInFuture);
    }
    if check_char(&bytes[..17]) != bytes[17] {
        return err(Invalid::CheckDigit);
    }
    Ok(())
}

fn num(digits: &[u8]) -> u32 {
    digits.iter().fold(0, |acc, &d| acc * 10 + u32::from(d - b'0'))
}

impl IdNumber {
    /// Parse and validate, judging "not in the future" against `today`
    /// instead of the clock: for reproducible batch jobs and tests.
    ///
    /// ```
    /// use desensitize::{Date, IdNumber};
    ///
    /// let today = Date::new(2000, 1, 1).unwrap();
    /// let err = IdNumber::parse_on("110105200001010016", today);
    /// assert!(err.is_ok()); // born today is fine
    /// let tomorrow = IdNumber::parse_on("110105200001020017", today).unwrap_err();
    /// assert_eq!(tomorrow.to_string(), "invalid cn.id_number: birth date in the future");
    /// ```
    pub fn parse_on(input: &str, today: Date) -> Result<IdNumber> {
        IdNumber::parse_judged(input, NotAfter::Date(today))
    }

    fn parse_judged(input: &str, not_after: NotAfter) -> Result<IdNumber> {
        match IdNumber::parse_canonical(input, not_after) {
            Some(parsed) => parsed,
            None => IdNumber::parse_folded(input, not_after),
        }
    }

    /// The fast path of the common form, 17 ASCII digits and a digit, `X`
    /// or `x`: nothing to fold, so the input is copied once, into the
    /// value's own buffer, and validated there. `None` for any other form
    /// (the general path gives the same outcome for it: a property test
    /// checks that they agree).
    fn parse_canonical(input: &str, not_after: NotAfter) -> Option<Result<IdNumber>> {
        let b = input.as_bytes();
        if b.len() != 18 || !all_ascii_digits(&b[..17]) || !matches!(b[17], b'0'..=b'9' | b'X' | b'x') {
            return None;
        }
        // One allocation, at the final length; only the last character
        // can need upper-casing.
        let mut own = String::with_capacity(18);
        own.push_str(&input[..17]);
        own.push(char::from(b[17].to_ascii_uppercase()));
        let own = SecretString::new(own);
        // Characters checked above: 17 digits, then a digit or `X`.
        Some(validate_fields(own.as_str().as_bytes(), not_after).map(|()| IdNumber(own)))
    }

    /// The general path: fold, upper-case, upgrade 15-digit numbers.
    fn parse_folded(input: &str, not_after: NotAfter) -> Result<IdNumber> {
        check_len(KIND, input, MAX_INPUT)?;
        let mut folded = fold_ascii(input, |c| c.is_ascii_digit() || c == 'x' || c == 'X')
            .ok_or(Error::invalid(KIND, Invalid::Character))?;
        // In place: an upper-cased copy would leave the folded text unwiped.
        folded.make_ascii_uppercase();
        let raw = folded.as_bytes();
        let err = |reason| Err(Error::invalid(KIND, reason));
        if raw.is_empty() {
            return err(Invalid::Empty);
        }
        let upgraded;
        let bytes: &[u8] = match raw.len() {
            18 => raw,
            15 => {
                if !raw.iter().all(u8::is_ascii_digit) {
                    return err(Invalid::Character);
                }
                let mut v = Zeroizing::new([0u8; 18]);
                v[..6].copy_from_slice(&raw[..6]);
                v[6..8].copy_from_slice(b"19");
                v[8..17].copy_from_slice(&raw[6..]);
                v[17] = check_char(&v[..17]);
                upgraded = v;
                &upgraded[..]
            }
            _ => return err(Invalid::Length),
        };
        validate(bytes, not_after)?;
        // `folded` (and `upgraded`) wipe themselves on drop.
        Ok(IdNumber(Folded::secret_of(bytes)))
    }

    /// Validate an 18-character canonical number in place (the open path:
    /// no normalization, no clock).
    fn from_canonical(s: SecretString) -> Result<IdNumber> {
        if s.as_str().len() != 18 {
            return Err(Error::invalid(KIND, Invalid::Length));
        }
        validate(s.as_str().as_bytes(), NotAfter::Never)?;
        Ok(IdNumber(s))
    }

    fn parse(input: &str) -> Result<IdNumber> {
        IdNumber::parse_judged(input, NotAfter::Today)
    }

    /// The 18-character number. Exposes the plaintext.
    pub fn expose(&self) -> &str {
        self.0.as_str()
    }

    fn bytes(&self) -> &[u8] {
        self.0.as_str().as_bytes()
    }

    /// The birth date (digits 7-14).
    pub fn birth_date(&self) -> Date {
        let b = self.bytes();
        // Validated at construction.
        Date::new(num(&b[6..10]) as u16, num(&b[10..12]) as u8, num(&b[12..14]) as u8)
            .unwrap_or(Date::new(1800, 1, 1).unwrap_or_else(Date::today))
    }

    /// Gender from the 17th digit: odd is male, even is female.
    pub fn gender(&self) -> Gender {
        if (self.bytes()[16] - b'0') % 2 == 1 { Gender::Male } else { Gender::Female }
    }

    /// Age in whole years on `date` (0 before the birth date).
    pub fn age_on(&self, date: Date) -> u32 {
        self.birth_date().years_until(date)
    }

    /// The 6-digit administrative division code of the place of registration.
    pub fn region_code(&self) -> u32 {
        num(&self.bytes()[..6])
    }

    /// The province-level division of the place of registration.
    pub fn province(&self) -> Province {
        Province::from_code(num(&self.bytes()[..2]) as u8).unwrap_or(Province::all()[0])
    }

    /// Whether the holder is under 14 on `date`: PIPL Art. 28 treats all
    /// personal information of such a child as sensitive.
    pub fn is_under_14_on(&self, date: Date) -> bool {
        self.age_on(date) < 14
    }

    /// Whether the holder is a minor (under 18) on `date`.
    pub fn is_under_18_on(&self, date: Date) -> bool {
        self.age_on(date) < 18
    }

    fn mask_at(&self, level: MaskLevel) -> String {
        let mut out = String::with_capacity(self.expose().len());
        self.push_mask(level, &mut out);
        out
    }

    /// The mask at `level`, appended to `out` (no `String` of its own).
    pub(crate) fn push_mask(&self, level: MaskLevel, out: &mut String) {
        let (first, last) = match level {
            MaskLevel::Strict => (1, 1),
            MaskLevel::Standard => (3, 3),
            MaskLevel::Relaxed => (6, 4),
        };
        push_keep_ends_ascii(out, self.expose(), first, last)
    }
}

text_kind!(IdNumber, KIND, canonical = IdNumber::from_canonical);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Sensitive;

    fn today() -> Date {
        Date::new(2026, 11, 23).unwrap()
    }

    fn reason(input: &str) -> Invalid {
        match IdNumber::parse_on(input, today()) {
            Err(Error::Invalid { kind: Kind::IdNumber, reason }) => reason,
            other => panic!("expected an error, got {:?}", other.map(|_| ())),
        }
    }

    #[test]
    fn valid_numbers() {
        for ok in [
            "11010519491231002X",
            "440524188001010014",
            " 110105 19491231 002x ",
            "１１０１０５１９４９１２３１００２Ｘ",
        ] {
            let id = IdNumber::parse_on(ok, today()).unwrap();
            assert_eq!(id.expose().len(), 18);
        }
        let id = IdNumber::parse_on("440524188001010014", today()).unwrap();
        assert_eq!(id.birth_date(), Date::new(1880, 1, 1).unwrap());
        assert_eq!(id.gender(), Gender::Male);
        assert_eq!(id.province().name(), "广东省");
    }

    #[test]
    fn every_documented_error() {
        assert_eq!(reason(""), Invalid::Empty);
        assert_eq!(reason("  "), Invalid::Empty);
        assert_eq!(reason("1101051949123100"), Invalid::Length);
        assert_eq!(reason("11010519491231002A"), Invalid::Character);
        assert_eq!(reason("1101051949123100X2"), Invalid::Character);
        assert_eq!(reason("11010519491231002"), Invalid::Length);
        assert_eq!(reason("110105194912310021"), Invalid::CheckDigit);
        assert_eq!(reason("190105194912310021"), Invalid::Province);
        assert_eq!(reason("110105194902300021"), Invalid::BirthDate);
        assert_eq!(reason("110105179912310021"), Invalid::BirthDate);
        assert_eq!(reason("110105203001010021"), Invalid::BirthDateInFuture);
        assert!(matches!(reason(&"1".repeat(200)), Invalid::TooLong { .. }));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 2048, failure_persistence: None, ..Default::default() })]
        /// The fast path and the general path agree on every input:
        /// canonical-looking numbers, full-width, spaced and dashed forms.
        #[test]
        fn fast_path_agrees_with_the_general_path(
            s in "[1-6][0-9]{16}[0-9Xx]|11010519[0-9]{9}[0-9Xx]|[0-9１Ｘ \\-xX]{14,20}|.{0,20}"
        ) {
            let outcome = |r: Result<IdNumber>| r.map(|p| p.expose().to_owned());
            for judged in [NotAfter::Date(today()), NotAfter::Today, NotAfter::Date(Date::new(1950, 1, 1).unwrap())] {
                proptest::prop_assert_eq!(
                    outcome(IdNumber::parse_judged(&s, judged)),
                    outcome(IdNumber::parse_folded(&s, judged))
                );
            }
        }
    }

    #[test]
    fn fast_path_takes_only_the_plain_form() {
        assert!(IdNumber::parse_canonical("11010519491231002x", NotAfter::Today).is_some_and(|r| r.is_ok()));
        assert!(IdNumber::parse_canonical("110105194912310021", NotAfter::Today).is_some_and(|r| r.is_err()));
        for other in [
            "110105491231002",
            " 11010519491231002X",
            "１１０１０５１９４９１２３１００２Ｘ",
            "11010519491231002A",
        ] {
            assert!(IdNumber::parse_canonical(other, NotAfter::Today).is_none(), "{other}");
        }
    }

    #[test]
    fn the_clock_is_read_only_for_recent_birth_dates() {
        let old = Date::new(1949, 12, 31).unwrap();
        assert!(!after_today(old));
        let seen = SEEN_TODAY.load(Ordering::Relaxed);
        assert!(seen >= pack(Date::today().min(Date::new(2026, 1, 1).unwrap())), "today was recorded");
        assert!(after_today(Date::new(9999, 12, 31).unwrap()));
        assert!(!after_today(Date::today()), "born today is not in the future");
        assert_eq!(
            IdNumber::parse(&with_check("11010599991231001")).err(),
            Some(Error::invalid(KIND, Invalid::BirthDateInFuture))
        );
    }

    #[test]
    fn fifteen_digit_upgrade() {
        let id = IdNumber::parse_on("110105491231002", today()).unwrap();
        assert_eq!(id.expose(), "11010519491231002X");
        assert_eq!(reason("11010549123100X"), Invalid::Character);
    }

    #[test]
    fn facts() {
        let id = IdNumber::parse_on("11010519491231002X", today()).unwrap();
        assert_eq!(id.region_code(), 110105);
        assert_eq!(id.gender(), Gender::Female);
        assert_eq!(id.age_on(Date::new(2024, 12, 30).unwrap()), 74);
        assert_eq!(id.age_on(Date::new(2024, 12, 31).unwrap()), 75);
        assert!(!id.is_under_14_on(today()));
        let child = IdNumber::parse_on(&with_check("11010520150601001"), today()).unwrap();
        assert!(child.is_under_14_on(today()));
        assert!(child.is_under_18_on(today()));
        assert!(!child.is_under_14_on(Date::new(2029, 6, 1).unwrap()));
        assert!(child.is_under_18_on(Date::new(2029, 6, 1).unwrap()));
    }

    fn with_check(first17: &str) -> String {
        let mut s = first17.to_owned();
        s.push(check_char(first17.as_bytes()) as char);
        s
    }

    #[test]
    fn gender_debug_is_redacted() {
        assert_eq!(format!("{:?}", Gender::Female), "Gender([REDACTED])");
        assert_eq!(format!("{:?}", Gender::Male), "Gender([REDACTED])");
        assert_eq!(Gender::Female.to_string(), "female");
    }

    #[test]
    fn masks() {
        let id = IdNumber::parse_on("11010519491231002X", today()).unwrap();
        assert_eq!(id.mask(MaskLevel::Strict), "1****************X");
        assert_eq!(id.mask(MaskLevel::Standard), "110************02X");
        assert_eq!(id.mask(MaskLevel::Relaxed), "110105********002X");
        assert_eq!(id.to_string(), "110************02X");
        assert_eq!(format!("{id:?}"), "IdNumber([REDACTED])");
    }
}
