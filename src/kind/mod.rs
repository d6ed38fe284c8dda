//! The kinds of personal data: one validated type each.
//!
//! Every kind implements [`Sensitive`]: it knows its [`Kind`] identifier and
//! [`Category`], masks itself at any [`MaskLevel`], prints only its
//! `Standard` mask through `Display`, and prints no character of its value
//! through `Debug`. The plaintext is reached only through a method named
//! `expose` (grep for it in review).
//!
//! ```
//! use desensitize::{IdNumber, Sensitive, Category};
//!
//! let id: IdNumber = "11010519491231002X".parse()?;
//! assert_eq!(format!("{id}"), "110************02X");
//! assert_eq!(format!("{id:?}"), "IdNumber([REDACTED])");
//! assert_eq!(id.category(), Category::Sensitive);
//! assert_eq!(id.expose(), "11010519491231002X");
//! # Ok::<(), desensitize::Error>(())
//! ```

use core::fmt;

use crate::error::{Error, Invalid, Result};
use crate::mask::MaskLevel;

mod address;
mod any;
mod bank_card;
mod biometric;
mod credit_code;
mod email;
mod fold;
mod geo_point;
mod id_number;
mod imei;
mod ip_address;
mod landline;
mod license_plate;
mod mac_address;
mod mobile_phone;
mod passport;
mod password;
mod person_name;

pub(crate) use crate::kind_id::for_each_kind;
pub use crate::kind_id::{Category, Kind};
pub(crate) use private::Canonical;

pub use address::Address;
pub use any::AnyValue;
pub(crate) use any::{AnyRef, KindValue};
pub use bank_card::BankCard;
pub use biometric::Biometric;
pub use credit_code::CreditCode;
pub use email::Email;
pub(crate) use fold::{Folded, fold_ascii};
pub use geo_point::GeoPoint;
pub(crate) use id_number::check_char as id_check_char;
pub use id_number::{Gender, IdNumber};
pub use imei::Imei;
pub use ip_address::IpAddress;
pub use landline::Landline;
pub use license_plate::LicensePlate;
pub use mac_address::MacAddress;
pub use mobile_phone::MobilePhone;
pub use passport::Passport;
pub use password::{Password, PasswordHash, PasswordParams};
pub use person_name::PersonName;

impl core::str::FromStr for Kind {
    type Err = Error;

    /// Accepts the stable identifier (`cn.id_number`) or the identifier
    /// without its `cn.` prefix (`id_number`), with `-` for `_`.
    fn from_str(s: &str) -> Result<Kind> {
        let s = s.trim().to_ascii_lowercase().replace('-', "_");
        Kind::ALL
            .into_iter()
            .find(|k| k.as_str() == s || k.as_str().strip_prefix("cn.") == Some(s.as_str()))
            .ok_or(Error::UnknownKind)
    }
}

pub(crate) mod private {
    /// Seals [`Sensitive`](super::Sensitive) against outside implementations,
    /// which could not uphold the no-leak guarantees.
    pub trait Sealed {}

    /// Access to the canonical plaintext bytes, for sealing and keyed
    /// pseudonyms. Crate-private: outside code uses the named `expose`.
    pub trait Canonical: Sized {
        fn canonical_bytes(&self) -> &[u8];
        fn from_canonical_bytes(bytes: &[u8]) -> crate::Result<Self>;

        /// Rebuild a value from authenticated plaintext. Kinds override this
        /// to validate the canonical form in place and keep the buffer as
        /// their own storage (one allocation per open); none consults the
        /// clock, so a value that sealed yesterday always opens today. A
        /// plaintext that is not exactly the canonical form is refused,
        /// never normalized (SPEC.md §3.8 check 12).
        fn from_sealed(plain: zeroize::Zeroizing<Vec<u8>>) -> crate::Result<Self> {
            Self::from_canonical_bytes(&plain)
        }
    }
}

/// A validated value of one kind of personal data.
///
/// Implemented by every kind in this crate (and only by them). It gives the
/// kind's identity and its masks; the other transformations build on it.
///
/// ```
/// use desensitize::{MaskLevel, MobilePhone, Sensitive, Kind};
///
/// fn log_line<T: Sensitive>(v: &T) -> String {
///     format!("{}={}", T::KIND, v.mask(MaskLevel::Strict))
/// }
/// let phone: MobilePhone = "+86 138-0013-8000".parse()?;
/// assert_eq!(log_line(&phone), "cn.mobile_phone=*******8000");
/// # Ok::<(), desensitize::Error>(())
/// ```
pub trait Sensitive:
    fmt::Debug + fmt::Display + Clone + Eq + core::hash::Hash + Send + Sync + 'static + private::Sealed
{
    /// The stable kind identifier.
    const KIND: Kind;

    /// PIPL / GB/T 35273 classification.
    fn category(&self) -> Category {
        Self::KIND.category()
    }

    /// The value masked at `level`. Never fails: a value that a level cannot
    /// be applied to is masked more, never less.
    fn mask(&self, level: MaskLevel) -> String;
}

/// A kind whose value can be stored: sealed, or turned into keyed tokens.
///
/// Every kind except [`Password`] (which is only ever hashed).
pub trait Sealable: Sensitive + private::Canonical {}

/// A kind that can be turned into tokens: every sealable kind except
/// [`Biometric`], whose templates differ at every capture and must never be
/// used as a join key. Defined here, beside the kinds that implement it, and
/// re-exported as [`pseudo::Pseudonymizable`](crate::pseudo::Pseudonymizable).
pub trait Pseudonymizable: Sealable {}

/// The canonical check of kinds without a dedicated validator: parse the
/// opened text and require that it is already its own canonical form
/// (SPEC.md §3.8 check 12), so that no opener silently normalizes.
pub(crate) fn require_canonical<T: private::Canonical>(
    kind: Kind,
    text: &str,
    parsed: Result<T>,
) -> Result<T> {
    let value = parsed?;
    if value.canonical_bytes() != text.as_bytes() {
        return Err(Error::invalid(kind, Invalid::NonCanonical));
    }
    Ok(value)
}

/// Reject input over `max` bytes before doing any work on it.
pub(crate) fn check_len(kind: Kind, input: &str, max: usize) -> Result<()> {
    if input.len() > max {
        return Err(Error::invalid(kind, Invalid::TooLong { max }));
    }
    Ok(())
}

/// The Luhn (ISO/IEC 7812-1 mod 10) check over ASCII digits.
pub(crate) fn luhn_valid(digits: &[u8]) -> bool {
    // A doubled digit's contribution (2d, less 9 when over 9), by digit.
    const DOUBLED: [u32; 10] = [0, 2, 4, 6, 8, 1, 3, 5, 7, 9];
    let digit = |d: u8| usize::from(d.wrapping_sub(b'0')).min(9);
    // From the right in pairs (doubled, plain): no alternating flag to carry
    // from digit to digit. A leading odd digit is a plain one.
    let mut sum = 0u32;
    let mut pairs = digits.rchunks_exact(2);
    for pair in &mut pairs {
        sum += DOUBLED[digit(pair[0])] + digit(pair[1]) as u32;
    }
    if let [first] = pairs.remainder() {
        sum += digit(*first) as u32;
    }
    sum.is_multiple_of(10)
}

/// The Luhn check digit to append to `payload` (ASCII digits).
pub(crate) fn luhn_digit(payload: &[u8]) -> u8 {
    let mut sum = 0u32;
    for (i, &d) in payload.iter().rev().enumerate() {
        let mut v = u32::from(d - b'0');
        if i % 2 == 0 {
            v *= 2;
            if v > 9 {
                v -= 9;
            }
        }
        sum += v;
    }
    b'0' + u8::try_from((10 - sum % 10) % 10).unwrap_or(0)
}

/// Implements the shared surface of a kind whose value is a `SecretString`
/// in field `.0` and that has `fn parse(&str) -> Result<Self>` and
/// `fn mask_at(&self, MaskLevel) -> String`: `Debug`, `Display`, `FromStr`,
/// `TryFrom<&str>`, `TryFrom<String>`, `Sensitive`, and canonical bytes.
///
/// With `canonical = f`, `f(SecretString) -> Result<Self>` validates an
/// already-canonical value without re-normalizing it (the fast open path);
/// without it, the kind's parser does.
macro_rules! text_kind {
    ($ty:ident, $kind:expr, canonical = $canon:expr) => {
        $crate::kind::text_kind!(@common $ty, $kind);

        impl $crate::kind::private::Canonical for $ty {
            fn canonical_bytes(&self) -> &[u8] {
                self.0.as_str().as_bytes()
            }
            fn from_canonical_bytes(bytes: &[u8]) -> $crate::Result<Self> {
                let s = ::core::str::from_utf8(bytes)
                    .map_err(|_| $crate::Error::invalid($kind, $crate::Invalid::Character))?;
                $canon($crate::secret::SecretString::new(s.to_owned()))
            }
            fn from_sealed(mut plain: ::zeroize::Zeroizing<Vec<u8>>) -> $crate::Result<Self> {
                let bytes = ::core::mem::take(&mut *plain);
                match String::from_utf8(bytes) {
                    Ok(s) => $canon($crate::secret::SecretString::new(s)),
                    Err(e) => {
                        ::zeroize::Zeroize::zeroize(&mut e.into_bytes());
                        Err($crate::Error::invalid($kind, $crate::Invalid::Character))
                    }
                }
            }
        }
    };
    ($ty:ident, $kind:expr) => {
        // Kinds without a dedicated canonical validator re-run their parser
        // and refuse a text that the parser would change.
        $crate::kind::text_kind!(
            $ty,
            $kind,
            canonical = (|s: $crate::secret::SecretString| {
                $crate::kind::require_canonical($kind, s.as_str(), $ty::parse(s.as_str()))
            })
        );
    };
    (@common $ty:ident, $kind:expr) => {
        impl ::core::fmt::Debug for $ty {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.write_str(concat!(stringify!($ty), "([REDACTED])"))
            }
        }

        impl ::core::fmt::Display for $ty {
            /// Prints the `Standard` mask.
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.pad(&$crate::Sensitive::mask(self, $crate::MaskLevel::Standard))
            }
        }

        impl ::core::str::FromStr for $ty {
            type Err = $crate::Error;
            fn from_str(s: &str) -> $crate::Result<Self> {
                Self::parse(s)
            }
        }

        impl ::core::convert::TryFrom<&str> for $ty {
            type Error = $crate::Error;
            fn try_from(s: &str) -> $crate::Result<Self> {
                Self::parse(s)
            }
        }

        impl ::core::convert::TryFrom<String> for $ty {
            type Error = $crate::Error;
            /// Parses and then wipes the caller's buffer.
            fn try_from(mut s: String) -> $crate::Result<Self> {
                let parsed = Self::parse(&s);
                ::zeroize::Zeroize::zeroize(&mut s);
                parsed
            }
        }

        impl $crate::kind::private::Sealed for $ty {}

        impl $crate::Sensitive for $ty {
            const KIND: $crate::Kind = $kind;
            fn mask(&self, level: $crate::MaskLevel) -> String {
                self.mask_at(level)
            }
        }

        impl $crate::Sealable for $ty {}
        impl $crate::kind::Pseudonymizable for $ty {}
    };
}
pub(crate) use text_kind;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_codes_and_names_are_unique_and_round_trip() {
        let mut codes: Vec<u16> = Kind::ALL.iter().map(|k| k.code()).collect();
        codes.dedup();
        assert_eq!(codes, (1..=16).collect::<Vec<_>>());
        for k in Kind::ALL {
            assert_eq!(Kind::from_code(k.code()), Some(k));
            assert_eq!(k.as_str().parse::<Kind>().unwrap(), k);
        }
        assert_eq!("id-number".parse::<Kind>().unwrap(), Kind::IdNumber);
        assert!("shoe_size".parse::<Kind>().is_err());
        assert_eq!(Kind::from_code(0), None);
    }

    #[test]
    fn luhn() {
        assert!(luhn_valid(b"6222021234567894"));
        assert!(!luhn_valid(b"6222021234567895"));
        assert!(luhn_valid(b"490154203237518"));
        assert_eq!(luhn_digit(b"622202123456789"), b'4');
        assert_eq!(luhn_digit(b"49015420323751"), b'8');
        // Odd and even lengths: exactly the computed check digit validates.
        let mut seed = 0x2545_F491_4F6C_DD1Du64;
        for len in 1..20 {
            for _ in 0..50 {
                let payload: Vec<u8> = (0..len)
                    .map(|_| {
                        seed ^= seed << 13;
                        seed ^= seed >> 7;
                        seed ^= seed << 17;
                        b'0' + (seed % 10) as u8
                    })
                    .collect();
                let check = luhn_digit(&payload);
                for last in b'0'..=b'9' {
                    let mut card = payload.clone();
                    card.push(last);
                    assert_eq!(luhn_valid(&card), last == check, "{card:?}");
                }
            }
        }
    }

    #[test]
    fn folding() {
        assert_eq!(fold_ascii(" １３８-0013 8000 ", |c| c.is_ascii_digit()).unwrap().as_str(), "13800138000");
        assert!(fold_ascii("13a", |c| c.is_ascii_digit()).is_none());
    }
}
