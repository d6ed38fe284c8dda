//! Keyring operations on values whose kind is known only at run time: what
//! a column-oriented caller (the CLI, the Python package, a query engine)
//! needs when the kind is a parameter rather than a type. A value of a
//! run-time kind is an [`AnyValue`]; each operation here is the typed
//! keyring method for that value's kind, through the one dispatch that the
//! policy engine and [`db`](crate::db) use too.
//!
//! For whole columns of many values, a one-column
//! [`Plan`](crate::policy::Plan) keys each operation once. Opening sealed
//! values and reversing format-preserving pseudonyms are audited like
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

use crate::access::{Principal, Revealed};
use crate::error::ConfigError;
use zeroize::Zeroizing;

use crate::kind::{AnyValue, KindValue};
use crate::pseudo::{
    Domain, FormatPreserving, FpeCipher, IndexValue, Pseudonymizable, Pseudonymizer, Token, Transform,
};
use crate::{
    Address, BankCard, Biometric, Context, CreditCode, Email, Error, GeoPoint, IdNumber, Imei, IpAddress,
    Keyring, Kind, Landline, LicensePlate, MacAddress, MobilePhone, Passport, Password, PersonName, Result,
    Sealable,
};

// ---------------------------------------------------------------------------
// The typed dispatch: a kind chosen at run time, to the generic code for it.

/// A generic operation, written once per class of kind; [`visit`] calls
/// the method for a kind's class with the kind's type. The defaults pass a
/// kind down to the class it also belongs to (a format-preserving kind is
/// pseudonymizable, a pseudonymizable kind is sealable).
pub(crate) trait Visit: Sized {
    type Out;
    /// A kind that is only ever hashed, never stored (passwords).
    fn hashed(self, kind: Kind) -> Self::Out;
    /// A kind that can be sealed but makes no keyed tokens (biometric templates).
    fn sealable<T: Sealable + KindValue>(self) -> Self::Out;
    /// A kind with tokens and blind indexes.
    fn pseudonymizable<T: Pseudonymizable + KindValue>(self) -> Self::Out {
        self.sealable::<T>()
    }
    /// A kind with format-preserving pseudonyms.
    fn format_preserving<T: FormatPreserving + KindValue>(self) -> Self::Out {
        self.pseudonymizable::<T>()
    }
}

/// Which [`Visit`] method a kind takes: its most capable class, checked by
/// the compiler (a kind placed in a class it lacks does not build).
trait Class: KindValue {
    fn accept<V: Visit>(v: V) -> V::Out;
}

macro_rules! class {
    ($method:ident: $($k:ident),*) => {$(
        impl Class for $k {
            fn accept<V: Visit>(v: V) -> V::Out {
                v.$method::<$k>()
            }
        }
    )*};
}

class!(format_preserving: IdNumber, MobilePhone, BankCard);
class!(pseudonymizable: Landline, GeoPoint, Email, PersonName, Address, IpAddress, MacAddress, Imei, Passport,
    LicensePlate, CreditCode);
class!(sealable: Biometric);

impl Class for Password {
    fn accept<V: Visit>(v: V) -> V::Out {
        v.hashed(Kind::Password)
    }
}

macro_rules! dispatch {
    ($($k:ident),* $(,)?) => {
        /// Run `v` with the type of `kind`: the one match from a run-time
        /// kind to typed code, generated from the kind list.
        pub(crate) fn visit<V: Visit>(kind: Kind, v: V) -> V::Out {
            match kind {
                $(Kind::$k => <$k as Class>::accept(v),)*
            }
        }
    };
}

crate::kind::for_each_kind!(dispatch);

/// The value of type `T` in `value` (which [`visit`] chose by its kind).
fn typed<T: KindValue>(value: &AnyValue) -> Result<&T> {
    T::from_any_ref(value).ok_or(Error::KindMismatch { expected: T::KIND, found: value.kind() })
}

const NOT_SEALED: Error = Error::Config(ConfigError::PasswordSeal);
const NO_TOKENS: Error = Error::Config(ConfigError::NoToken);
const NO_FPE: Error = Error::Config(ConfigError::NoFpe);

// ---------------------------------------------------------------------------
// Seal and open.

/// Seal `value` for `ctx` as text (`dz1.…`): [`Keyring::seal_text`] with the
/// kind chosen at run time. Passwords cannot be sealed.
///
/// ```
/// use desensitize::kind::AnyValue;
/// use desensitize::{columns, Context, Keyring, Kind};
///
/// let keyring = Keyring::generate()?;
/// let ctx = Context::new("users", "phone");
/// let phone = AnyValue::parse(Kind::MobilePhone, "13800138000")?;
/// let sealed = columns::seal_text(&keyring, &phone, &ctx)?;
/// let opened = columns::open_text(&keyring, Kind::MobilePhone, &sealed, &ctx, "support-ticket")?;
/// assert_eq!(opened.as_str(), "13800138000");
/// # Ok::<(), desensitize::Error>(())
/// ```
pub fn seal_text(keyring: &Keyring, value: &AnyValue, ctx: &Context) -> Result<String> {
    struct Seal<'a>(&'a Keyring, &'a AnyValue, &'a Context);
    impl Visit for Seal<'_> {
        type Out = Result<String>;
        fn hashed(self, _: Kind) -> Result<String> {
            Err(NOT_SEALED)
        }
        fn sealable<T: Sealable + KindValue>(self) -> Result<String> {
            self.0.seal_text(typed::<T>(self.1)?, self.2)
        }
    }
    visit(value.kind(), Seal(keyring, value, ctx))
}

/// Open one sealed text value (`dz1.…`) of `kind` under `ctx` for
/// `purpose`: [`Keyring::open_text`] with the kind chosen at run time.
/// Audited (one event, success or not); the plaintext comes back in its
/// canonical form ([`AnyValue::canonical_text_into`]: a location as
/// `lat,lon`, a biometric template as base64), in a string wiped on drop.
///
/// Passwords cannot be sealed, so [`Kind::Password`] is an error.
pub fn open_text(
    keyring: &Keyring,
    kind: Kind,
    text: &str,
    ctx: &Context,
    purpose: &str,
) -> Result<Zeroizing<String>> {
    visit(kind, Open { keyring, who: None, text: text.trim(), ctx, purpose })
}

/// The one open visitor: [`open_text`] (no principal) and [`open_text_as`].
struct Open<'a> {
    keyring: &'a Keyring,
    who: Option<&'a Principal>,
    text: &'a str,
    ctx: &'a Context,
    purpose: &'a str,
}

impl Visit for Open<'_> {
    type Out = Result<Zeroizing<String>>;
    fn hashed(self, _: Kind) -> Self::Out {
        Err(NOT_SEALED)
    }
    fn sealable<T: Sealable + KindValue>(self) -> Self::Out {
        let revealed = match self.who {
            None => Revealed::Full(self.keyring.open_text::<T>(self.text, self.ctx, self.purpose)?),
            Some(who) => self.keyring.open_text_as::<T>(who, self.text, self.ctx, self.purpose)?,
        };
        Ok(revealed_text(revealed))
    }
}

// ---------------------------------------------------------------------------
// Keyed pseudonyms.

/// The keyed token of `value` in the pseudonymizer's domain:
/// [`Pseudonymizer::token`] with the kind chosen at run time. Biometric
/// templates (which differ at every capture) and passwords make none.
///
/// ```
/// use desensitize::kind::AnyValue;
/// use desensitize::pseudo::Domain;
/// use desensitize::{columns, Keyring, Kind, MobilePhone};
///
/// let keyring = Keyring::generate()?;
/// let tokens = keyring.pseudonymizer(&Domain::new("analytics")?)?;
/// let phone = AnyValue::parse(Kind::MobilePhone, "13800138000")?;
/// let typed: MobilePhone = "13800138000".parse()?;
/// assert_eq!(columns::token(&tokens, &phone)?, tokens.token(&typed));
/// # Ok::<(), desensitize::Error>(())
/// ```
pub fn token(tokens: &Pseudonymizer, value: &AnyValue) -> Result<Token> {
    struct Tokenize<'a>(&'a Pseudonymizer, &'a AnyValue);
    impl Visit for Tokenize<'_> {
        type Out = Result<Token>;
        fn hashed(self, _: Kind) -> Result<Token> {
            Err(NO_TOKENS)
        }
        fn sealable<T: Sealable + KindValue>(self) -> Result<Token> {
            Err(NO_TOKENS)
        }
        fn pseudonymizable<T: Pseudonymizable + KindValue>(self) -> Result<Token> {
            Ok(self.0.token(typed::<T>(self.1)?))
        }
    }
    visit(value.kind(), Tokenize(tokens, value))
}

/// The blind index `name` over `transform`, `bits` long, of `value`:
/// [`Keyring::blind_index`] with the kind chosen at run time. It derives
/// the index key on every call; for many values of one kind, build the
/// typed index once (or use a one-column plan).
///
/// ```
/// use desensitize::kind::AnyValue;
/// use desensitize::pseudo::{Domain, Transform};
/// use desensitize::{columns, Keyring, Kind, MobilePhone};
///
/// let keyring = Keyring::generate()?;
/// let name = Domain::new("users.phone")?;
/// let phone = AnyValue::parse(Kind::MobilePhone, "13800138000")?;
/// let index = columns::blind_index(&keyring, &phone, &name, Transform::Full, 16)?;
/// let typed = keyring.blind_index::<MobilePhone>(&name, Transform::Full, 16)?;
/// assert_eq!(index, typed.compute(&"13800138000".parse()?));
/// # Ok::<(), desensitize::Error>(())
/// ```
pub fn blind_index(
    keyring: &Keyring,
    value: &AnyValue,
    name: &Domain,
    transform: Transform,
    bits: u8,
) -> Result<IndexValue> {
    struct Index<'a>(&'a Keyring, &'a AnyValue, &'a Domain, Transform, u8);
    impl Visit for Index<'_> {
        type Out = Result<IndexValue>;
        fn hashed(self, _: Kind) -> Self::Out {
            Err(NO_TOKENS)
        }
        fn sealable<T: Sealable + KindValue>(self) -> Self::Out {
            Err(NO_TOKENS)
        }
        fn pseudonymizable<T: Pseudonymizable + KindValue>(self) -> Self::Out {
            Ok(self.0.blind_index::<T>(self.2, self.3, self.4)?.compute(typed::<T>(self.1)?))
        }
    }
    visit(value.kind(), Index(keyring, value, name, transform, bits))
}

/// The format-preserving pseudonym of `value` under `cipher`'s domain (the
/// policy action `fpe`): [`FpeCipher::pseudonymize`] with the kind chosen
/// at run time. Only ID numbers, mobile phones and bank cards have one.
///
/// ```
/// use desensitize::kind::AnyValue;
/// use desensitize::pseudo::Domain;
/// use desensitize::{columns, Keyring, Kind};
///
/// let keyring = Keyring::generate()?;
/// let domain = Domain::new("analytics")?;
/// let card = AnyValue::parse(Kind::BankCard, "6222021234567894")?;
/// let pseudo = columns::fpe(&keyring.fpe_cipher(&domain)?, &card)?;
/// assert_eq!(pseudo.kind(), Kind::BankCard);
/// # Ok::<(), desensitize::Error>(())
/// ```
pub fn fpe(cipher: &FpeCipher, value: &AnyValue) -> Result<AnyValue> {
    struct Fpe<'a>(&'a FpeCipher, &'a AnyValue);
    impl Visit for Fpe<'_> {
        type Out = Result<AnyValue>;
        fn hashed(self, _: Kind) -> Self::Out {
            Err(NO_FPE)
        }
        fn sealable<T: Sealable + KindValue>(self) -> Self::Out {
            Err(NO_FPE)
        }
        fn format_preserving<T: FormatPreserving + KindValue>(self) -> Self::Out {
            Ok(self.0.pseudonymize(typed::<T>(self.1)?)?.into_any())
        }
    }
    visit(value.kind(), Fpe(cipher, value))
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
    visit(kind, Reidentify { keyring, who: None, text, domain, purpose })
}

/// The one reidentify visitor: [`reidentify_text`] and [`reidentify_text_as`].
struct Reidentify<'a> {
    keyring: &'a Keyring,
    who: Option<&'a Principal>,
    text: &'a str,
    domain: &'a Domain,
    purpose: &'a str,
}

impl Visit for Reidentify<'_> {
    type Out = Result<Zeroizing<String>>;
    fn hashed(self, _: Kind) -> Self::Out {
        Err(NO_FPE)
    }
    fn sealable<T: Sealable + KindValue>(self) -> Self::Out {
        Err(NO_FPE)
    }
    fn format_preserving<T: FormatPreserving + KindValue>(self) -> Self::Out {
        let pseudo: T = self.text.parse()?;
        let revealed = match self.who {
            None => Revealed::Full(self.keyring.reidentify(&pseudo, self.domain, self.purpose)?),
            Some(who) => self.keyring.reidentify_as(who, &pseudo, self.domain, self.purpose)?,
        };
        Ok(revealed_text(revealed))
    }
}

// ---------------------------------------------------------------------------
// Opens for a principal (access rules).

/// What `columns::*_as` return: the canonical text of a full reveal, or the
/// masked display, in a string wiped on drop.
fn revealed_text<T: KindValue>(revealed: Revealed<T>) -> Zeroizing<String> {
    let mut out = Zeroizing::new(String::new());
    match revealed {
        Revealed::Full(value) => value.canonical_text_into(&mut out),
        Revealed::Masked(masked) => out.push_str(&masked),
    }
    out
}

/// [`open_text`] for `who`: [`Keyring::open_text_as`] with the kind chosen
/// at run time. The text is the canonical plaintext where the keyring's
/// access rules allow it in full, else the masked display.
///
/// ```
/// use desensitize::access::{Access, AccessRules, Principal};
/// use desensitize::kind::AnyValue;
/// use desensitize::{columns, Context, Keyring, Kind};
///
/// let mut keyring = Keyring::generate()?;
/// let ctx = Context::new("users", "phone");
/// let sealed = columns::seal_text(&keyring, &AnyValue::parse(Kind::MobilePhone, "13800138000")?, &ctx)?;
/// keyring.set_access(Access::new(AccessRules::from_toml(
///     "[roles.support]\npurposes = [\"*\"]\ndefault = \"strict\"\n",
/// )?)?);
/// let who = Principal::new("alice", "support");
/// let shown = columns::open_text_as(&keyring, &who, Kind::MobilePhone, &sealed, &ctx, "ticket")?;
/// assert_eq!(shown.as_str(), "*******8000");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn open_text_as(
    keyring: &Keyring,
    who: &Principal,
    kind: Kind,
    text: &str,
    ctx: &Context,
    purpose: &str,
) -> Result<Zeroizing<String>> {
    visit(kind, Open { keyring, who: Some(who), text: text.trim(), ctx, purpose })
}

/// [`reidentify_text`] for `who`: [`Keyring::reidentify_as`] with the kind
/// chosen at run time; the text as for [`open_text_as`].
///
/// ```
/// use desensitize::access::{Access, AccessRules, Principal};
/// use desensitize::pseudo::Domain;
/// use desensitize::{columns, Keyring, Kind, MobilePhone};
///
/// let mut keyring = Keyring::generate()?;
/// let domain = Domain::new("analytics")?;
/// let pseudo = keyring.fpe(&"13800138000".parse::<MobilePhone>()?, &domain)?;
/// keyring.set_access(Access::new(AccessRules::from_toml("[roles.bi]\npurposes = [\"*\"]\ndefault = \"standard\"\n")?)?);
/// let who = Principal::new("bi-job", "bi");
/// let shown = columns::reidentify_text_as(&keyring, &who, Kind::MobilePhone, pseudo.expose(), &domain, "report")?;
/// assert_eq!(shown.as_str(), "138****8000");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn reidentify_text_as(
    keyring: &Keyring,
    who: &Principal,
    kind: Kind,
    text: &str,
    domain: &Domain,
    purpose: &str,
) -> Result<Zeroizing<String>> {
    visit(kind, Reidentify { keyring, who: Some(who), text, domain, purpose })
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
        assert_eq!(err, Error::Config(ConfigError::PasswordSeal));
        let domain = Domain::new("d").unwrap();
        let err = reidentify_text(&keyring, Kind::Email, "a@b.cn", &domain, "test").unwrap_err();
        assert_eq!(err, Error::Config(ConfigError::NoFpe));
    }

    #[test]
    fn every_kind_goes_to_its_class() {
        let keyring = Keyring::generate().unwrap();
        let ctx = Context::new("t", "c");
        let domain = Domain::new("d").unwrap();
        let tokens = keyring.pseudonymizer(&domain).unwrap();
        let cipher = keyring.fpe_cipher(&domain).unwrap();
        for kind in Kind::ALL {
            let value = AnyValue::sample(kind);
            let hashed = kind == Kind::Password;
            let tokenized = !matches!(kind, Kind::Password | Kind::Biometric);
            let fpe_kind = matches!(kind, Kind::IdNumber | Kind::MobilePhone | Kind::BankCard);
            match seal_text(&keyring, &value, &ctx) {
                Ok(sealed) => {
                    let opened = open_text(&keyring, kind, &sealed, &ctx, "test").unwrap();
                    let mut text = Zeroizing::new(String::new());
                    value.canonical_text_into(&mut text);
                    assert_eq!(opened, text, "{kind}");
                }
                Err(e) => assert!(hashed && e == NOT_SEALED, "{kind}: {e}"),
            }
            assert_eq!(token(&tokens, &value).is_ok(), tokenized, "{kind}");
            let index = blind_index(&keyring, &value, &domain, Transform::Full, 8);
            assert_eq!(index.is_ok(), tokenized, "{kind}");
            match fpe(&cipher, &value) {
                Ok(pseudo) => {
                    assert!(fpe_kind && pseudo.kind() == kind && pseudo != value, "{kind}");
                    let mut text = Zeroizing::new(String::new());
                    pseudo.canonical_text_into(&mut text);
                    let back = reidentify_text(&keyring, kind, &text, &domain, "test").unwrap();
                    let mut original = Zeroizing::new(String::new());
                    value.canonical_text_into(&mut original);
                    assert_eq!(back, original, "{kind}");
                }
                Err(e) => assert!(!fpe_kind && e == NO_FPE, "{kind}: {e}"),
            }
        }
    }

    #[test]
    fn run_time_operations_equal_the_typed_ones() {
        let keyring = Keyring::generate().unwrap();
        let domain = Domain::new("d").unwrap();
        let phone: MobilePhone = "13800138000".parse().unwrap();
        let any = AnyValue::from(phone.clone());
        let tokens = keyring.pseudonymizer(&domain).unwrap();
        assert_eq!(token(&tokens, &any).unwrap(), tokens.token(&phone));
        let typed = keyring.blind_index::<MobilePhone>(&domain, Transform::Full, 12).unwrap();
        assert_eq!(blind_index(&keyring, &any, &domain, Transform::Full, 12).unwrap(), typed.compute(&phone));
        let cipher = keyring.fpe_cipher(&domain).unwrap();
        assert_eq!(fpe(&cipher, &any).unwrap(), AnyValue::from(cipher.pseudonymize(&phone).unwrap()));
        let err = token(&tokens, &AnyValue::parse(Kind::Biometric, "AQIDBA==").unwrap()).unwrap_err();
        assert_eq!(err, NO_TOKENS);
    }
}
