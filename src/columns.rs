//! Operations on text values whose kind is known only at run time: what a
//! column-oriented caller (the Python package, a query engine) needs when
//! the kind is a parameter rather than a type.
//!
//! Everything else a column needs (mask, seal, pseudonym, blind index, FPE,
//! generalized facts) is a one-column [`Plan`](crate::policy::Plan); these
//! are the two operations a policy does not have: opening sealed values and
//! reversing format-preserving pseudonyms. Both are audited like
//! [`Keyring::open_text`] and [`Keyring::reidentify`], one event per value,
//! and return the plaintext in its canonical form, in a buffer wiped on
//! drop.
//!
//! ```
//! use desensitize::{columns, Context, Keyring, Kind, MobilePhone};
//!
//! let keyring = Keyring::generate()?;
//! let ctx = Context::new("users", "phone");
//! let phone: MobilePhone = "13800138000".parse()?;
//! let sealed = keyring.seal_text(&phone, &ctx)?;
//! let opened = columns::open_text(&keyring, Kind::MobilePhone, &sealed, &ctx, "support-ticket")?;
//! assert_eq!(opened.as_str(), "13800138000");
//!
//! // Opening under another context fails, and says nothing of the value.
//! let other = Context::new("users", "email");
//! assert!(columns::open_text(&keyring, Kind::MobilePhone, &sealed, &other, "support-ticket").is_err());
//! # Ok::<(), desensitize::Error>(())
//! ```

use std::fmt::Write as _;

use zeroize::Zeroizing;

use crate::pseudo::{Domain, FormatPreserving};
use crate::{
    Address, BankCard, Biometric, Context, CreditCode, Email, Error, GeoPoint, IdNumber, Imei, IpAddress,
    Keyring, Kind, Landline, LicensePlate, MacAddress, MobilePhone, Passport, PersonName, Result, Sealable,
};

/// A value's canonical plaintext as text (what `desensitize open` prints).
trait CanonicalText {
    fn text_into(&self, out: &mut String);
}

macro_rules! canonical_text {
    ($($k:ident)*) => {
        $(impl CanonicalText for $k {
            fn text_into(&self, out: &mut String) {
                // One exact allocation: growing would free a copy unwiped.
                out.reserve_exact(self.expose().len());
                out.push_str(self.expose());
            }
        })*
    };
}

canonical_text!(IdNumber MobilePhone Landline BankCard Email PersonName Address IpAddress MacAddress Imei
    Passport LicensePlate CreditCode);

impl CanonicalText for GeoPoint {
    /// `lat,lon`, each in its shortest exact decimal form.
    fn text_into(&self, out: &mut String) {
        let (lat, lon) = self.expose();
        let _ = write!(out, "{lat},{lon}");
    }
}

impl CanonicalText for Biometric {
    /// Standard, padded base64 (what `Biometric` parses), through the
    /// constant-time `base64ct`: the template is the secret here.
    fn text_into(&self, out: &mut String) {
        let bytes = self.expose();
        let mut buf = Zeroizing::new(vec![0u8; bytes.len().div_ceil(3) * 4]);
        use base64ct::Encoding as _;
        if let Ok(text) = base64ct::Base64::encode(bytes, &mut buf) {
            out.push_str(text);
        }
    }
}

fn open_as<T: Sealable + CanonicalText>(
    keyring: &Keyring,
    text: &str,
    ctx: &Context,
    purpose: &str,
) -> Result<Zeroizing<String>> {
    let value = keyring.open_text::<T>(text, ctx, purpose)?;
    let mut out = Zeroizing::new(String::with_capacity(64));
    value.text_into(&mut out);
    Ok(out)
}

fn reidentify_as<T: FormatPreserving + CanonicalText + core::str::FromStr<Err = Error>>(
    keyring: &Keyring,
    text: &str,
    domain: &Domain,
    purpose: &str,
) -> Result<Zeroizing<String>> {
    let pseudo: T = text.parse()?;
    let value = keyring.reidentify(&pseudo, domain, purpose)?;
    let mut out = Zeroizing::new(String::with_capacity(32));
    value.text_into(&mut out);
    Ok(out)
}

/// Open one sealed text value (`dz1.…`) of `kind` under `ctx` for
/// `purpose`: [`Keyring::open_text`] with the kind chosen at run time.
/// Audited (one event, success or not); the plaintext comes back in its
/// canonical form (a location as `lat,lon`, a biometric template as
/// base64), in a string wiped on drop.
///
/// Passwords cannot be sealed, so [`Kind::Password`] is an error.
pub fn open_text(
    keyring: &Keyring,
    kind: Kind,
    text: &str,
    ctx: &Context,
    purpose: &str,
) -> Result<Zeroizing<String>> {
    let text = text.trim();
    match kind {
        Kind::IdNumber => open_as::<IdNumber>(keyring, text, ctx, purpose),
        Kind::MobilePhone => open_as::<MobilePhone>(keyring, text, ctx, purpose),
        Kind::Landline => open_as::<Landline>(keyring, text, ctx, purpose),
        Kind::BankCard => open_as::<BankCard>(keyring, text, ctx, purpose),
        Kind::GeoPoint => open_as::<GeoPoint>(keyring, text, ctx, purpose),
        Kind::Email => open_as::<Email>(keyring, text, ctx, purpose),
        Kind::PersonName => open_as::<PersonName>(keyring, text, ctx, purpose),
        Kind::Address => open_as::<Address>(keyring, text, ctx, purpose),
        Kind::IpAddress => open_as::<IpAddress>(keyring, text, ctx, purpose),
        Kind::MacAddress => open_as::<MacAddress>(keyring, text, ctx, purpose),
        Kind::Imei => open_as::<Imei>(keyring, text, ctx, purpose),
        Kind::Passport => open_as::<Passport>(keyring, text, ctx, purpose),
        Kind::LicensePlate => open_as::<LicensePlate>(keyring, text, ctx, purpose),
        Kind::CreditCode => open_as::<CreditCode>(keyring, text, ctx, purpose),
        Kind::Biometric => open_as::<Biometric>(keyring, text, ctx, purpose),
        _ => Err(Error::Config("passwords cannot be sealed, only hashed")),
    }
}

/// The original of one format-preserving pseudonym of `kind` made in
/// `domain` (the policy action `fpe`), for `purpose`:
/// [`Keyring::reidentify`] with the kind chosen at run time. Audited like
/// [`open_text`]. Only ID numbers, mobile phones and bank cards have
/// format-preserving pseudonyms.
///
/// ```
/// use desensitize::{columns, Keyring, Kind, MobilePhone};
/// use desensitize::pseudo::Domain;
///
/// let keyring = Keyring::generate()?;
/// let domain = Domain::new("analytics")?;
/// let pseudo = keyring.fpe(&"13800138000".parse::<MobilePhone>()?, &domain)?;
/// let original = columns::reidentify_text(&keyring, Kind::MobilePhone, pseudo.expose(), &domain, "fraud-case")?;
/// assert_eq!(original.as_str(), "13800138000");
/// # Ok::<(), desensitize::Error>(())
/// ```
pub fn reidentify_text(
    keyring: &Keyring,
    kind: Kind,
    text: &str,
    domain: &Domain,
    purpose: &str,
) -> Result<Zeroizing<String>> {
    match kind {
        Kind::IdNumber => reidentify_as::<IdNumber>(keyring, text, domain, purpose),
        Kind::MobilePhone => reidentify_as::<MobilePhone>(keyring, text, domain, purpose),
        Kind::BankCard => reidentify_as::<BankCard>(keyring, text, domain, purpose),
        _ => {
            Err(Error::Config("only id_number, mobile_phone and bank_card have format-preserving pseudonyms"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_sealable_kind_opens_to_its_canonical_text() {
        let keyring = Keyring::generate().unwrap();
        let ctx = Context::new("t", "c");
        let point: GeoPoint = "39.9042,116.4074".parse().unwrap();
        let sealed = keyring.seal_text(&point, &ctx).unwrap();
        assert_eq!(
            open_text(&keyring, Kind::GeoPoint, &sealed, &ctx, "test").unwrap().as_str(),
            "39.9042,116.4074"
        );
        // Sealed as one kind, opened as another: refused.
        assert!(open_text(&keyring, Kind::Email, &sealed, &ctx, "test").is_err());
        let bio = Biometric::from_bytes(vec![1, 2, 3, 4]).unwrap();
        let sealed = keyring.seal_text(&bio, &ctx).unwrap();
        assert_eq!(open_text(&keyring, Kind::Biometric, &sealed, &ctx, "test").unwrap().as_str(), "AQIDBA==");
        // Every padding length reads back as the same template.
        for bytes in [&b"FMR\0"[..], b"a", b"ab", b"abc", b"\xff\xfe\xfd\xfc\xfb"] {
            let bio = Biometric::from_bytes(bytes.to_vec()).unwrap();
            let sealed = keyring.seal_text(&bio, &ctx).unwrap();
            let text = open_text(&keyring, Kind::Biometric, &sealed, &ctx, "test").unwrap();
            assert_eq!(text.parse::<Biometric>().unwrap().expose(), bytes);
        }
    }

    #[test]
    fn kinds_without_the_operation_are_refused() {
        let keyring = Keyring::generate().unwrap();
        let ctx = Context::new("t", "c");
        let err = open_text(&keyring, Kind::Password, "dz1.x", &ctx, "test").unwrap_err();
        assert_eq!(err, Error::Config("passwords cannot be sealed, only hashed"));
        let domain = Domain::new("d").unwrap();
        let err = reidentify_text(&keyring, Kind::Email, "a@b.cn", &domain, "test").unwrap_err();
        assert_eq!(
            err,
            Error::Config("only id_number, mobile_phone and bank_card have format-preserving pseudonyms")
        );
    }
}
