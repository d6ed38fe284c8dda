//! A value of a kind chosen at run time: [`AnyValue`], one variant per kind,
//! generated from the one kind list (`for_each_kind!`), so that no run-time
//! path (the policy engine, `columns`, `db`, the CLI, Python, the fuzz
//! targets) writes its own match over the kinds.
//!
//! ```
//! use desensitize::kind::AnyValue;
//! use desensitize::{Kind, MaskLevel};
//! use zeroize::Zeroizing;
//!
//! let value = AnyValue::parse(Kind::MobilePhone, "+86 138-0013-8000")?;
//! assert_eq!(value.kind(), Kind::MobilePhone);
//! assert_eq!(value.mask(MaskLevel::Standard), "138****8000");
//! assert_eq!(format!("{value:?}"), "MobilePhone([REDACTED])");
//!
//! let mut text = Zeroizing::new(String::new());
//! value.canonical_text_into(&mut text);
//! assert_eq!(text.as_str(), "13800138000");
//! # Ok::<(), desensitize::Error>(())
//! ```

use core::fmt::{self, Write as _};
use core::str::FromStr;

use zeroize::Zeroizing;

use super::{
    Address, BankCard, Biometric, Category, CreditCode, Email, GeoPoint, IdNumber, Imei, IpAddress, Kind,
    Landline, LicensePlate, MacAddress, MobilePhone, Passport, Password, PersonName, Sensitive,
};
use crate::date::Date;
use crate::error::{EnvelopeError, Error, Result};
use crate::mask::MaskLevel;

/// What the run-time dispatch needs of every kind, implemented for each
/// one from the kind list.
pub(crate) trait KindValue: Sensitive + FromStr<Err = Error> {
    /// Parse `text`, computing ages on `today` (an ID number whose birth
    /// date is after `today` is refused); the other kinds ignore the date.
    fn parse_on(text: &str, today: Date) -> Result<Self>;
    /// Append the canonical text (see [`AnyValue::canonical_text_into`]).
    fn canonical_text_into(&self, out: &mut Zeroizing<String>);
    /// The value, borrowed as a run-time kind value.
    fn as_any_ref(&self) -> AnyRef<'_>;
    /// The value as a run-time kind value.
    fn into_any(self) -> AnyValue;
    /// The value of this kind held by `value`, if it holds this kind.
    fn from_any_ref(value: &AnyValue) -> Option<&Self>;
}

/// Appends a kind's exposed plaintext as canonical text, chosen by the
/// type `expose` returns: text as is, a location as `lat,lon`, a template
/// as standard base64.
trait WriteCanonical {
    fn write_canonical(self, out: &mut Zeroizing<String>);
}

/// Reserve exactly `extra` more bytes: growing later would free a copy of
/// the plaintext unwiped.
fn reserve(out: &mut Zeroizing<String>, extra: usize) {
    if out.capacity() - out.len() < extra {
        let mut bigger = Zeroizing::new(String::with_capacity(out.len() + extra));
        bigger.push_str(out);
        *out = bigger; // the old buffer is wiped on drop
    }
}

impl WriteCanonical for &str {
    fn write_canonical(self, out: &mut Zeroizing<String>) {
        reserve(out, self.len());
        out.push_str(self);
    }
}

impl WriteCanonical for (f64, f64) {
    /// `lat,lon`, each in its shortest exact decimal form (`f64`'s
    /// `Display`, which never uses an exponent).
    fn write_canonical(self, out: &mut Zeroizing<String>) {
        /// Counts the bytes `Display` writes, so the buffer is sized once.
        struct Count(usize);
        impl fmt::Write for Count {
            fn write_str(&mut self, s: &str) -> fmt::Result {
                self.0 += s.len();
                Ok(())
            }
        }
        let (lat, lon) = self;
        let mut count = Count(0);
        let _ = write!(count, "{lat},{lon}");
        reserve(out, count.0);
        let _ = write!(**out, "{lat},{lon}");
    }
}

impl WriteCanonical for &[u8] {
    /// Standard, padded base64 (what `Biometric` parses), through the
    /// constant-time `base64ct`: the template is the secret here.
    fn write_canonical(self, out: &mut Zeroizing<String>) {
        use base64ct::Encoding as _;
        let mut buf = Zeroizing::new(vec![0u8; self.len().div_ceil(3) * 4]);
        if let Ok(text) = base64ct::Base64::encode(self, &mut buf) {
            reserve(out, text.len());
            out.push_str(text);
        }
    }
}

macro_rules! any_value {
    ($($k:ident),* $(,)?) => {
        /// A value of one kind of personal data, the kind chosen at run
        /// time: what a caller that reads the kind from a file, a policy or
        /// a command line holds. One variant per [`Kind`], in
        /// [`Kind::ALL`] order.
        ///
        /// `Debug` prints the kind's redacted form (`Email([REDACTED])`),
        /// never a character of the value; the plaintext comes out only
        /// through [`canonical_text_into`](AnyValue::canonical_text_into)
        /// or the variant's own `expose`.
        ///
        /// ```
        /// use desensitize::kind::AnyValue;
        /// use desensitize::{Email, Kind, MaskLevel};
        /// use zeroize::Zeroizing;
        ///
        /// let kind: Kind = "email".parse()?; // e.g. from a policy file
        /// let value = AnyValue::parse(kind, "ZhangSan@Example.com")?;
        /// assert_eq!(format!("{value:?}"), "Email([REDACTED])");
        /// let mut text = Zeroizing::new(String::new());
        /// value.canonical_text_into(&mut text);
        /// assert_eq!(text.as_str(), "ZhangSan@example.com");
        /// // A typed value converts, and matches back out.
        /// let typed: Email = text.parse()?;
        /// assert!(matches!(AnyValue::from(typed), AnyValue::Email(_)));
        /// # Ok::<(), desensitize::Error>(())
        /// ```
        #[derive(Clone, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum AnyValue {
            $(
                #[doc = concat!("A [`", stringify!($k), "`].")]
                $k($k),
            )*
        }

        /// A value borrowed as a run-time kind value (crate-internal: the
        /// facts engine matches on it without taking the value).
        #[derive(Clone, Copy)]
        #[allow(dead_code)] // the facts engine reads only the kinds with facts
        pub(crate) enum AnyRef<'a> {
            $($k(&'a $k),)*
        }

        impl AnyValue {
            /// Parse `text` as a value of `kind`.
            ///
            /// ```
            /// use desensitize::kind::AnyValue;
            /// use desensitize::Kind;
            ///
            /// assert!(AnyValue::parse(Kind::Email, "zhangsan@example.com").is_ok());
            /// // The error names the kind and the reason, never the input.
            /// let err = AnyValue::parse(Kind::IdNumber, "11010519491231002").unwrap_err();
            /// assert_eq!(err.to_string(), "invalid cn.id_number: wrong length");
            /// ```
            pub fn parse(kind: Kind, text: &str) -> Result<AnyValue> {
                match kind {
                    $(Kind::$k => text.parse::<$k>().map(AnyValue::$k),)*
                }
            }

            /// Parse `text` as a value of `kind`, computing ages on `today`:
            /// an ID number born after `today` is refused (what a policy
            /// run on a fixed date does). The other kinds ignore the date.
            ///
            /// ```
            /// use desensitize::kind::AnyValue;
            /// use desensitize::{Date, Kind};
            ///
            /// let then = Date::new(1949, 1, 1).unwrap();
            /// assert!(AnyValue::parse_on(Kind::IdNumber, "11010519491231002X", then).is_err());
            /// assert!(AnyValue::parse(Kind::IdNumber, "11010519491231002X").is_ok());
            /// ```
            pub fn parse_on(kind: Kind, text: &str, today: Date) -> Result<AnyValue> {
                match kind {
                    $(Kind::$k => <$k as KindValue>::parse_on(text, today).map(AnyValue::$k),)*
                }
            }

            /// The value's kind.
            pub fn kind(&self) -> Kind {
                match self {
                    $(AnyValue::$k(_) => Kind::$k,)*
                }
            }

            /// PIPL / GB/T 35273 classification of the value's kind.
            pub fn category(&self) -> Category {
                self.kind().category()
            }

            /// The value masked at `level` (what the kind's
            /// [`Sensitive::mask`] gives).
            pub fn mask(&self, level: MaskLevel) -> String {
                match self {
                    $(AnyValue::$k(v) => v.mask(level),)*
                }
            }

            /// Append the value's canonical text to `out`: the text its
            /// parser reads back to an equal value, and what
            /// `desensitize open` prints. The kind's canonical form as is,
            /// a location as `lat,lon` (each coordinate in its shortest
            /// exact decimal form), a biometric template as standard padded
            /// base64. `out` never reallocates without wiping the old copy.
            pub fn canonical_text_into(&self, out: &mut Zeroizing<String>) {
                match self {
                    $(AnyValue::$k(v) => v.canonical_text_into(out),)*
                }
            }

            pub(crate) fn as_any_ref(&self) -> AnyRef<'_> {
                match self {
                    $(AnyValue::$k(v) => AnyRef::$k(v),)*
                }
            }
        }

        /// The kind's redacted `Debug` (`Email([REDACTED])`): no character
        /// of the value.
        impl fmt::Debug for AnyValue {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match self {
                    $(AnyValue::$k(v) => fmt::Debug::fmt(v, f),)*
                }
            }
        }

        $(
            impl From<$k> for AnyValue {
                fn from(value: $k) -> AnyValue {
                    AnyValue::$k(value)
                }
            }

            impl KindValue for $k {
                #[inline]
                fn parse_on(text: &str, today: Date) -> Result<$k> {
                    // Only ID numbers look at the date; the test is on
                    // constants, so each kind keeps one branch.
                    if matches!(Kind::$k, Kind::IdNumber) {
                        return match IdNumber::parse_on(text, today)?.into_any() {
                            AnyValue::$k(v) => Ok(v),
                            #[allow(unreachable_patterns)]
                            _ => Err(Error::Malformed(EnvelopeError::OtherKind)),
                        };
                    }
                    text.parse()
                }

                fn canonical_text_into(&self, out: &mut Zeroizing<String>) {
                    self.expose().write_canonical(out)
                }

                fn as_any_ref(&self) -> AnyRef<'_> {
                    AnyRef::$k(self)
                }

                fn into_any(self) -> AnyValue {
                    AnyValue::$k(self)
                }

                fn from_any_ref(value: &AnyValue) -> Option<&$k> {
                    match value {
                        AnyValue::$k(v) => Some(v),
                        #[allow(unreachable_patterns)]
                        _ => None,
                    }
                }
            }
        )*
    };
}

super::for_each_kind!(any_value);

#[cfg(test)]
impl AnyValue {
    /// A valid value of `kind` (for the crate's tests).
    pub(crate) fn sample(kind: Kind) -> AnyValue {
        AnyValue::parse(kind, sample(kind)).unwrap_or_else(|e| panic!("{kind}: {e}"))
    }
}

/// One valid text per kind (for the crate's tests).
#[cfg(test)]
fn sample(kind: Kind) -> &'static str {
    match kind {
        Kind::IdNumber => "11010519491231002X",
        Kind::MobilePhone => "+86 138-0013-8000",
        Kind::Landline => "010-62345678",
        Kind::BankCard => "6222021234567894",
        Kind::GeoPoint => "39.9042, 116.4074",
        Kind::Email => "ZhangSan@Example.com",
        Kind::PersonName => "欧阳娜娜",
        Kind::Address => "北京市海淀区中关村大街1号",
        Kind::IpAddress => "192.168.1.10",
        Kind::MacAddress => "00-1A-2B-3C-4D-5E",
        Kind::Imei => "490154203237518",
        Kind::Passport => "E12345678",
        Kind::LicensePlate => "京A12345",
        Kind::CreditCode => "91350100M000100Y43",
        Kind::Password => "correct horse battery staple",
        Kind::Biometric => "Rk1SACAyMAA=",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text_of(v: &AnyValue) -> Zeroizing<String> {
        let mut out = Zeroizing::new(String::new());
        v.canonical_text_into(&mut out);
        out
    }

    #[test]
    fn every_kind_round_trips_through_its_canonical_text() {
        for kind in Kind::ALL {
            let v = AnyValue::parse(kind, sample(kind)).unwrap_or_else(|e| panic!("{kind}: {e}"));
            assert_eq!(v.kind(), kind);
            assert_eq!(v.category(), kind.category());
            let text = text_of(&v);
            let again = AnyValue::parse(kind, &text).unwrap_or_else(|e| panic!("{kind}: {e}"));
            assert_eq!(again, v, "{kind}");
            assert_eq!(text_of(&again), text, "{kind}: not a fixed point");
            assert!(text.capacity() == text.len(), "{kind}: the buffer was sized once");
        }
    }

    #[test]
    fn canonical_text_of_the_irregular_kinds() {
        let geo = AnyValue::parse(Kind::GeoPoint, " 39.90420 , 116.4074 ").unwrap();
        assert_eq!(text_of(&geo).as_str(), "39.9042,116.4074");
        let bio = AnyValue::from(Biometric::from_bytes(vec![1, 2, 3, 4]).unwrap());
        assert_eq!(text_of(&bio).as_str(), "AQIDBA==");
        // Appends, growing only through a wiped copy.
        let mut out = Zeroizing::new(String::from("x"));
        bio.canonical_text_into(&mut out);
        assert_eq!(out.as_str(), "xAQIDBA==");
    }

    #[test]
    fn masks_are_the_kinds_masks() {
        let id: IdNumber = sample(Kind::IdNumber).parse().unwrap();
        let phone: MobilePhone = sample(Kind::MobilePhone).parse().unwrap();
        let point: GeoPoint = sample(Kind::GeoPoint).parse().unwrap();
        for level in MaskLevel::ALL {
            assert_eq!(
                AnyValue::parse(Kind::IdNumber, sample(Kind::IdNumber)).unwrap().mask(level),
                id.mask(level)
            );
            assert_eq!(AnyValue::from(phone.clone()).mask(level), phone.mask(level));
            assert_eq!(AnyValue::from(point.clone()).mask(level), point.mask(level));
        }
        assert_eq!(AnyValue::from(phone).mask(MaskLevel::Standard), "138****8000");
    }

    #[test]
    fn parse_on_checks_birth_dates_only_for_id_numbers() {
        let before = Date::new(1949, 12, 30).unwrap();
        assert!(AnyValue::parse_on(Kind::IdNumber, sample(Kind::IdNumber), before).is_err());
        assert!(IdNumber::parse_on(sample(Kind::IdNumber), before).is_err());
        assert!(<IdNumber as KindValue>::parse_on(sample(Kind::IdNumber), before).is_err());
        let after = Date::new(2000, 1, 1).unwrap();
        assert!(<IdNumber as KindValue>::parse_on(sample(Kind::IdNumber), after).is_ok());
        assert!(<MobilePhone as KindValue>::parse_on("13800138000", before).is_ok());
    }

    #[test]
    fn errors_and_debug_name_no_value() {
        for kind in Kind::ALL {
            let v = AnyValue::parse(kind, sample(kind)).unwrap();
            let debug = format!("{v:?} {v:#?}");
            assert!(debug.contains("([REDACTED])"), "{debug}");
            let text = text_of(&v);
            let chars: Vec<char> = text.chars().collect();
            for w in chars.windows(4) {
                let w: String = w.iter().collect();
                assert!(!debug.contains(&w), "{kind} Debug shows {w:?}");
            }
        }
        let err = AnyValue::parse(Kind::Email, "secret-not-an-email").unwrap_err();
        assert!(!format!("{err} {err:?}").contains("secret"));
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 64, failure_persistence: None, ..Default::default() })]

        /// Whatever parses, as any kind, prints only its kind's fixed text.
        #[test]
        fn debug_is_the_fixed_text(input in "[0-9A-Za-z@.,:+ -]{1,24}|\\PC{1,12}") {
            for kind in Kind::ALL {
                if let Ok(v) = AnyValue::parse(kind, &input) {
                    // The same text for every value of the kind: the sample's.
                    let debug = format!("{v:?}");
                    let fixed = format!("{:?}", AnyValue::parse(kind, sample(kind)).unwrap());
                    proptest::prop_assert_eq!(&debug, &fixed);
                    let text = text_of(&v);
                    let chars: Vec<char> = text.chars().collect();
                    for w in chars.windows(4) {
                        let w: String = w.iter().collect();
                        proptest::prop_assert!(!debug.contains(&w), "{} Debug shows {:?}", kind, w);
                    }
                }
            }
        }
    }
}
