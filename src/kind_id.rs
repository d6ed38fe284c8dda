//! The kind identifiers: [`Kind`], its [`Category`] and `for_each_kind!`,
//! the one list of kinds. The bottom of the crate: it imports nothing, so
//! that errors, envelopes and key derivation can name a kind without
//! depending on the kinds' validators (re-exported as `kind::Kind`,
//! `kind::Category` and at the crate root).

use core::fmt;

/// Stable identifier of a kind of personal data.
///
/// The string form (`cn.id_number`) and the numeric code are part of the
/// wire format: they are bound into sealed envelopes and token domains, so
/// they never change once published (see `SPEC.md`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Kind {
    /// PRC resident identity number.
    IdNumber,
    /// PRC mobile number.
    MobilePhone,
    /// PRC fixed-line number.
    Landline,
    /// Payment card or bank account number.
    BankCard,
    /// Precise location.
    GeoPoint,
    /// E-mail address.
    Email,
    /// Personal name.
    PersonName,
    /// Postal address.
    Address,
    /// IPv4 or IPv6 address.
    IpAddress,
    /// Device hardware (MAC) address.
    MacAddress,
    /// Mobile device identifier.
    Imei,
    /// Passport number.
    Passport,
    /// PRC vehicle licence plate.
    LicensePlate,
    /// PRC unified social credit code.
    CreditCode,
    /// Account password (hashed, never stored).
    Password,
    /// Face or fingerprint template.
    Biometric,
}

/// Calls `$m!(IdNumber, MobilePhone, ...)` with the type of every kind, in
/// [`Kind::ALL`] order: the one list that per-kind impls elsewhere in the
/// crate (serde, `protect`) are generated from, so none can miss a kind.
macro_rules! for_each_kind {
    ($m:ident) => {
        $m!(
            IdNumber,
            MobilePhone,
            Landline,
            BankCard,
            GeoPoint,
            Email,
            PersonName,
            Address,
            IpAddress,
            MacAddress,
            Imei,
            Passport,
            LicensePlate,
            CreditCode,
            Password,
            Biometric,
        );
    };
}
pub(crate) use for_each_kind;

impl Kind {
    /// Every kind, in code order.
    pub const ALL: [Kind; 16] = [
        Kind::IdNumber,
        Kind::MobilePhone,
        Kind::Landline,
        Kind::BankCard,
        Kind::GeoPoint,
        Kind::Email,
        Kind::PersonName,
        Kind::Address,
        Kind::IpAddress,
        Kind::MacAddress,
        Kind::Imei,
        Kind::Passport,
        Kind::LicensePlate,
        Kind::CreditCode,
        Kind::Password,
        Kind::Biometric,
    ];

    /// The stable string identifier, e.g. `cn.id_number`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Kind::IdNumber => "cn.id_number",
            Kind::MobilePhone => "cn.mobile_phone",
            Kind::Landline => "cn.landline",
            Kind::BankCard => "bank_card",
            Kind::GeoPoint => "geo_point",
            Kind::Email => "email",
            Kind::PersonName => "person_name",
            Kind::Address => "address",
            Kind::IpAddress => "ip_address",
            Kind::MacAddress => "mac_address",
            Kind::Imei => "imei",
            Kind::Passport => "passport",
            Kind::LicensePlate => "cn.license_plate",
            Kind::CreditCode => "cn.credit_code",
            Kind::Password => "password",
            Kind::Biometric => "biometric",
        }
    }

    /// The stable numeric code used in binary envelopes (1-based).
    pub const fn code(self) -> u16 {
        match self {
            Kind::IdNumber => 1,
            Kind::MobilePhone => 2,
            Kind::Landline => 3,
            Kind::BankCard => 4,
            Kind::GeoPoint => 5,
            Kind::Email => 6,
            Kind::PersonName => 7,
            Kind::Address => 8,
            Kind::IpAddress => 9,
            Kind::MacAddress => 10,
            Kind::Imei => 11,
            Kind::Passport => 12,
            Kind::LicensePlate => 13,
            Kind::CreditCode => 14,
            Kind::Password => 15,
            Kind::Biometric => 16,
        }
    }

    /// The kind with this numeric code.
    pub fn from_code(code: u16) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.code() == code)
    }

    /// PIPL Art. 28 / GB/T 35273 Annex B classification of this kind.
    pub const fn category(self) -> Category {
        match self {
            Kind::IdNumber
            | Kind::BankCard
            | Kind::GeoPoint
            | Kind::Passport
            | Kind::Password
            | Kind::Biometric => Category::Sensitive,
            _ => Category::General,
        }
    }
}

/// `Kind(cn.id_number)`: the stable identifier, which is not personal data.
impl fmt::Debug for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Kind({})", self.as_str())
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// Whether a kind is *sensitive* personal information.
///
/// PIPL Art. 28 and GB/T 35273-2020 Annex B name identity document numbers,
/// financial accounts, precise location, biometrics, credentials and data of
/// children under 14 as sensitive: processing them needs separate consent and
/// stricter protection. Everything else is general personal information.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub enum Category {
    /// General personal information (GB/T 35273 Annex A).
    General,
    /// Sensitive personal information (PIPL Art. 28, GB/T 35273 Annex B).
    Sensitive,
}

/// `General` or `Sensitive`: a classification, not personal data.
impl fmt::Debug for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Category::General => "General",
            Category::Sensitive => "Sensitive",
        })
    }
}
