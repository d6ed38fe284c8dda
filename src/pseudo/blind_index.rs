//! Blind indexes: truncated keyed hashes for equality search over sealed columns.
//!
//! A sealed column cannot be searched (every seal is randomized). Store a
//! blind index next to it: HMAC-SHA256 of the value (or of a transform of
//! it, such as the last 4 digits) under an index key, truncated to a few
//! bits. A query computes the index of the searched value, fetches the
//! matching rows and opens them to drop the false positives.
//!
//! Truncation is the point. A full-length index is a deterministic token: it
//! shows which rows hold equal values, and for a low-entropy transform (a
//! birth year, the last 4 digits) it invites frequency analysis. A short
//! index maps many values to each index value, so every query returns a few
//! false positives and equal index values prove nothing. The [`Planner`]
//! chooses the length after CipherSweet's planner and the AWS Database
//! Encryption SDK's beacon-length rule: the expected number of rows that
//! share any index value (`rows / 2^bits`) stays between 2 and √rows, and the
//! index never has as many values as the transform's input space.
//!
//! ```
//! use desensitize::pseudo::{Domain, Planner, Transform};
//! use desensitize::{Keyring, MobilePhone};
//!
//! let keyring = Keyring::generate()?;
//! let plan = Planner::new(1_000_000).recommend::<MobilePhone>(Transform::Full)?;
//! assert_eq!(plan.bits(), 18); // 1e6 / 2^18 ≈ 3.8 rows share each index value
//!
//! let index = keyring.blind_index::<MobilePhone>(&Domain::new("users.phone")?, Transform::Full, plan.bits())?;
//! let a = index.compute(&"13800138000".parse::<MobilePhone>()?);
//! let b = index.compute(&"+86 138-0013-8000".parse::<MobilePhone>()?);
//! assert_eq!(a, b);
//! assert!(a.value() < 1 << 18);
//! # Ok::<(), desensitize::Error>(())
//! ```

use core::fmt;
use core::marker::PhantomData;

use crate::crypto::KEY_LEN;
use crate::crypto::Suite;
use crate::error::{ConfigError, Error, Result};
use crate::kind::Kind;
use crate::pseudo::{Pseudonymizable, SuiteMac};

/// What part of a value an index covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transform {
    /// The whole canonical value (exact-match search).
    Full,
    /// The last 4 characters (phone, bank card, ID number, IMEI, landline).
    Last4,
    /// The birth year of an ID number.
    BirthYear,
    /// The domain of an e-mail address.
    EmailDomain,
}

impl Transform {
    /// The transform's stable name, bound into the index key and input.
    pub fn as_str(self) -> &'static str {
        match self {
            Transform::Full => "full",
            Transform::Last4 => "last4",
            Transform::BirthYear => "birth_year",
            Transform::EmailDomain => "email_domain",
        }
    }

    /// Whether the transform applies to `kind`.
    pub fn applies_to(self, kind: Kind) -> bool {
        match self {
            Transform::Full => kind != Kind::Biometric && kind != Kind::Password,
            Transform::Last4 => {
                matches!(
                    kind,
                    Kind::MobilePhone | Kind::BankCard | Kind::IdNumber | Kind::Imei | Kind::Landline
                )
            }
            Transform::BirthYear => kind == Kind::IdNumber,
            Transform::EmailDomain => kind == Kind::Email,
        }
    }

    /// The part of the canonical bytes the index covers.
    fn apply(self, canonical: &[u8]) -> &[u8] {
        match self {
            Transform::Full => canonical,
            Transform::Last4 => &canonical[canonical.len().saturating_sub(4)..],
            Transform::BirthYear => canonical.get(6..10).unwrap_or(&[]),
            Transform::EmailDomain => match canonical.iter().rposition(|&b| b == b'@') {
                Some(at) => &canonical[at + 1..],
                None => &[],
            },
        }
    }

    /// Rough size of the transform's input space for `kind`, in bits of
    /// entropy (documented estimates, conservative on the low side).
    pub fn input_bits(self, kind: Kind) -> f64 {
        match (self, kind) {
            // ~3,500 region codes x ~36,500 birth dates x 1,000 sequences.
            (Transform::Full, Kind::IdNumber) => 36.9,
            // 1[3-9] followed by 9 digits.
            (Transform::Full, Kind::MobilePhone) => 32.7,
            // A few thousand live BINs and 9-10 free digits.
            (Transform::Full, Kind::BankCard) => 42.0,
            (Transform::Full, Kind::Imei) => 36.0,
            (Transform::Full, Kind::Landline) => 30.0,
            (Transform::Full, Kind::PersonName) => 22.0,
            (Transform::Full, Kind::Email) => 32.0,
            (Transform::Full, Kind::LicensePlate) => 30.0,
            (Transform::Full, Kind::Passport | Kind::CreditCode) => 36.0,
            (Transform::Full, _) => 32.0,
            (Transform::Last4, _) => 13.3,
            // ~120 plausible birth years.
            (Transform::BirthYear, _) => 6.9,
            // Most addresses use a few hundred providers.
            (Transform::EmailDomain, _) => 9.0,
        }
    }
}

impl fmt::Display for Transform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// A blind-index value: the first `bits` bits of the index MAC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IndexValue {
    bits: u8,
    value: u64,
}

impl IndexValue {
    /// The index as an integer below `2^bits` (for an INTEGER column).
    pub fn value(&self) -> u64 {
        self.value
    }

    /// The configured length in bits.
    pub fn bits(&self) -> u8 {
        self.bits
    }
}

/// Lower-case hex, zero-padded to the index length.
impl fmt::Display for IndexValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let width = usize::from(self.bits).div_ceil(4);
        write!(f, "{:0width$x}", self.value)
    }
}

/// A configured blind index for kind `T`: pre-keyed, `Send + Sync`.
pub struct BlindIndex<T> {
    key_id: u32,
    transform: Transform,
    bits: u8,
    mac: SuiteMac,
    _kind: PhantomData<fn(&T)>,
}

impl<T> Clone for BlindIndex<T> {
    fn clone(&self) -> Self {
        BlindIndex {
            key_id: self.key_id,
            transform: self.transform,
            bits: self.bits,
            mac: self.mac.clone(),
            _kind: PhantomData,
        }
    }
}

impl<T> fmt::Debug for BlindIndex<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BlindIndex({}, {} bits, key {})", self.transform, self.bits, self.key_id)
    }
}

impl<T: Pseudonymizable> BlindIndex<T> {
    /// The index of `value`.
    pub fn compute(&self, value: &T) -> IndexValue {
        let part = self.transform.apply(value.canonical_bytes());
        let mut mac = self.mac.clone();
        mac.update(&u16::try_from(part.len()).unwrap_or(u16::MAX).to_be_bytes());
        mac.update(part);
        let out = mac.finalize_bytes();
        let mut first = [0u8; 8];
        first.copy_from_slice(&out[..8]);
        let full = u64::from_be_bytes(first);
        IndexValue { bits: self.bits, value: full >> (64 - u32::from(self.bits)) }
    }

    /// The key version the index is computed with.
    pub fn key_id(&self) -> u32 {
        self.key_id
    }

    /// The index length in bits.
    pub fn bits(&self) -> u8 {
        self.bits
    }
}

impl<T: Pseudonymizable> BlindIndex<T> {
    /// Refuse settings that cannot make a useful index (checked before any
    /// key work).
    pub(crate) fn check(transform: Transform, bits: u8) -> Result<()> {
        if !(1..=64).contains(&bits) {
            return Err(Error::Config(ConfigError::IndexBits));
        }
        if !transform.applies_to(T::KIND) {
            return Err(Error::Config(ConfigError::TransformKind));
        }
        if f64::from(bits) >= transform.input_bits(T::KIND) - 1.0 {
            return Err(Error::Config(ConfigError::IndexUnique));
        }
        Ok(())
    }

    /// An index keyed with `secret`, the index key of root key `key_id`
    /// of `suite` (HMAC-SHA256 or HMAC-SM3).
    pub(crate) fn keyed(
        suite: Suite,
        key_id: u32,
        transform: Transform,
        bits: u8,
        secret: &[u8; KEY_LEN],
    ) -> Result<Self> {
        Ok(BlindIndex { key_id, transform, bits, mac: SuiteMac::new(suite, secret)?, _kind: PhantomData })
    }
}

/// Chooses blind-index lengths for an expected number of rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Planner {
    rows: u64,
}

/// A checked blind-index length and what it implies.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IndexPlan {
    bits: u8,
    rows: u64,
    input_bits: f64,
}

impl IndexPlan {
    /// The index length.
    pub fn bits(&self) -> u8 {
        self.bits
    }

    /// Expected rows per index value (`rows / 2^bits`): the false positives a
    /// query for a value that appears once has to open and discard.
    pub fn rows_per_index_value(&self) -> f64 {
        self.rows as f64 / 2f64.powi(i32::from(self.bits))
    }

    /// Expected distinct inputs that share each index value
    /// (`2^(input_bits - bits)`): why equal index values prove nothing.
    pub fn inputs_per_index_value(&self) -> f64 {
        2f64.powf(self.input_bits - f64::from(self.bits))
    }
}

impl Planner {
    /// A planner for a table expected to hold `rows` rows.
    pub fn new(rows: u64) -> Planner {
        Planner { rows }
    }

    /// The acceptable lengths: `2 <= rows / 2^bits <= sqrt(rows)`.
    pub fn bit_range(&self) -> Option<core::ops::RangeInclusive<u8>> {
        let n = self.rows as f64;
        if n < 4.0 {
            return None;
        }
        // rows / 2^bits <= sqrt(rows)  <=>  bits >= log2(sqrt(rows))
        let min = (n.sqrt().log2().ceil()).max(1.0) as u8;
        // rows / 2^bits >= 2  <=>  bits <= log2(rows / 2)
        let max = ((n / 2.0).log2().floor()).min(64.0) as u8;
        (min <= max).then_some(min..=max)
    }

    /// Check a chosen length for kind `T` and `transform`.
    pub fn check<T: Pseudonymizable>(&self, transform: Transform, bits: u8) -> Result<IndexPlan> {
        let range = self.bit_range().ok_or(Error::Config(ConfigError::TooFewRows))?;
        if bits < *range.start() {
            return Err(Error::Config(ConfigError::IndexTooShort));
        }
        if bits > *range.end() {
            return Err(Error::Config(ConfigError::IndexTooLong));
        }
        let input_bits = transform.input_bits(T::KIND);
        if f64::from(bits) >= input_bits - 1.0 {
            return Err(Error::Config(ConfigError::IndexUnique));
        }
        Ok(IndexPlan { bits, rows: self.rows, input_bits })
    }

    /// The longest acceptable length for kind `T` and `transform` (fewest
    /// false positives), or an error when no length is acceptable (too few
    /// rows, or a transform whose input space is smaller than the table).
    pub fn recommend<T: Pseudonymizable>(&self, transform: Transform) -> Result<IndexPlan> {
        let range = self.bit_range().ok_or(Error::Config(ConfigError::TooFewRows))?;
        let cap = (transform.input_bits(T::KIND) - 1.0).ceil() - 1.0;
        let bits = (*range.end()).min(cap.max(0.0) as u8);
        self.check::<T>(transform, bits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::Keyring;
    use crate::pseudo::Domain;
    use crate::{Email, IdNumber, MobilePhone};

    #[test]
    fn planner_ranges() {
        assert_eq!(Planner::new(1_000_000).bit_range(), Some(10..=18));
        assert_eq!(Planner::new(4).bit_range(), Some(1..=1));
        assert_eq!(Planner::new(3).bit_range(), None);
        let p = Planner::new(1_000_000).recommend::<MobilePhone>(Transform::Full).unwrap();
        assert_eq!(p.bits(), 18);
        assert!(p.rows_per_index_value() >= 2.0 && p.rows_per_index_value() <= 1000.0);
        assert!(p.inputs_per_index_value() > 1000.0);
    }

    #[test]
    fn planner_rejects_unique_low_entropy_indexes() {
        // 1e6 users, index on birth year: any acceptable length (>= 10 bits)
        // would exceed the ~7-bit input space.
        assert!(Planner::new(1_000_000).recommend::<IdNumber>(Transform::BirthYear).is_err());
        // A small table can still index birth years coarsely.
        let p = Planner::new(64).recommend::<IdNumber>(Transform::BirthYear).unwrap();
        assert!(p.bits() <= 5, "{}", p.bits());
        assert!(Planner::new(1_000_000).check::<MobilePhone>(Transform::Full, 9).is_err());
        assert!(Planner::new(1_000_000).check::<MobilePhone>(Transform::Full, 19).is_err());
        assert!(Planner::new(1_000).check::<Email>(Transform::EmailDomain, 8).is_err());
    }

    #[test]
    fn transforms() {
        assert_eq!(Transform::Last4.apply(b"13800138000"), b"8000");
        assert_eq!(Transform::BirthYear.apply(b"11010519491231002X"), b"1949");
        assert_eq!(Transform::EmailDomain.apply(b"a@b.cn"), b"b.cn");
        assert!(!Transform::BirthYear.applies_to(Kind::MobilePhone));
        assert!(!Transform::Full.applies_to(Kind::Biometric));
    }

    #[test]
    fn index_values_are_deterministic_and_separated() {
        let keyring = Keyring::generate().unwrap();
        let d = Domain::new("users.phone").unwrap();
        let full = keyring.blind_index::<MobilePhone>(&d, Transform::Full, 16).unwrap();
        let last4 = keyring.blind_index::<MobilePhone>(&d, Transform::Last4, 8).unwrap();
        let a: MobilePhone = "13800138000".parse().unwrap();
        let b: MobilePhone = "13900138000".parse().unwrap();
        assert_eq!(full.compute(&a), full.compute(&a));
        assert_eq!(last4.compute(&a), last4.compute(&b), "same last 4 digits");
        assert!(full.compute(&a).value() < 1 << 16);
        assert_eq!(full.compute(&a).to_string().len(), 4);
        let other =
            keyring.blind_index::<MobilePhone>(&Domain::new("other").unwrap(), Transform::Full, 16).unwrap();
        // Different index names use different keys (equal with probability 2^-16).
        let differs = ["13800138000", "13800138001", "13800138002"]
            .iter()
            .any(|p| full.compute(&p.parse().unwrap()) != other.compute(&p.parse().unwrap()));
        assert!(differs);
        assert!(keyring.blind_index::<MobilePhone>(&d, Transform::BirthYear, 8).is_err());
        assert!(keyring.blind_index::<MobilePhone>(&d, Transform::Full, 0).is_err());
        assert!(keyring.blind_index::<MobilePhone>(&d, Transform::Last4, 13).is_err());
    }
}
