//! `Deserialize` for every kind: a request struct can receive a kind directly.
//!
//! A kind deserializes from a string and is validated and normalized exactly
//! like its `FromStr`. An owned string handed over by the deserializer is
//! wiped after parsing; a borrowed one is parsed in place, without a copy.
//! The error names the kind and the reason, never the value. Kinds still
//! have no `Serialize`: what leaves the process is chosen per field (see
//! [`masked`](super::masked)).

use core::fmt;
use core::marker::PhantomData;

use serde::de::{self, Deserialize, Deserializer, Visitor};

use crate::kind::{
    Address, BankCard, Biometric, CreditCode, Email, GeoPoint, IdNumber, Imei, IpAddress, Landline,
    LicensePlate, MacAddress, MobilePhone, Passport, Password, PersonName,
};
use crate::{Error, Sensitive};

/// Visits a string and parses it as `T`.
struct KindVisitor<T>(PhantomData<fn() -> T>);

impl<T> Visitor<'_> for KindVisitor<T>
where
    T: Sensitive + core::str::FromStr<Err = Error> + TryFrom<String, Error = Error>,
{
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a {} string", T::KIND)
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<T, E> {
        s.parse::<T>().map_err(E::custom)
    }

    /// Takes the deserializer's buffer, and wipes it after parsing.
    fn visit_string<E: de::Error>(self, s: String) -> Result<T, E> {
        T::try_from(s).map_err(E::custom)
    }

    /// Bytes are accepted when they are UTF-8 (some formats send strings so).
    fn visit_bytes<E: de::Error>(self, b: &[u8]) -> Result<T, E> {
        match core::str::from_utf8(b) {
            Ok(s) => self.visit_str(s),
            Err(_) => Err(E::custom(Error::invalid(T::KIND, crate::Invalid::Character))),
        }
    }
}

macro_rules! deserialize_kinds {
    ($($ty:ident),* $(,)?) => {$(
        /// Parses a string exactly like `FromStr`; the error names the kind
        /// and the reason, never the value.
        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<$ty, D::Error> {
                super::text::deserialize_text(d, KindVisitor::<$ty>(PhantomData))
            }
        }
    )*};
}

crate::kind::for_each_kind!(deserialize_kinds);

/// Every kind in [`Kind::ALL`](crate::Kind::ALL) has an impl above.
#[cfg(test)]
mod tests {
    use crate::Kind;

    #[test]
    fn every_kind_deserializes() {
        fn check<T: for<'de> serde::Deserialize<'de> + crate::Sensitive>(seen: &mut Vec<Kind>) {
            seen.push(T::KIND);
        }
        let mut seen = Vec::new();
        check::<super::IdNumber>(&mut seen);
        check::<super::MobilePhone>(&mut seen);
        check::<super::Landline>(&mut seen);
        check::<super::BankCard>(&mut seen);
        check::<super::GeoPoint>(&mut seen);
        check::<super::Email>(&mut seen);
        check::<super::PersonName>(&mut seen);
        check::<super::Address>(&mut seen);
        check::<super::IpAddress>(&mut seen);
        check::<super::MacAddress>(&mut seen);
        check::<super::Imei>(&mut seen);
        check::<super::Passport>(&mut seen);
        check::<super::LicensePlate>(&mut seen);
        check::<super::CreditCode>(&mut seen);
        check::<super::Password>(&mut seen);
        check::<super::Biometric>(&mut seen);
        assert_eq!(seen, Kind::ALL);
    }
}
