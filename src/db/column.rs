//! What the rotation job does to one sealed column: parse, check the key,
//! open, seal again, and recompute the column's blind index.

use core::fmt;

use crate::columns::{Visit, visit};
use crate::error::{ConfigError, Error, Result};
use crate::keys::Keyring;
use crate::kind::{Kind, KindValue, Sealable};
use crate::pseudo::{BlindIndex, Domain, Pseudonymizable, Transform};
use crate::seal::{Context, Sealed};

/// Purpose recorded in the audit event of every open the rotation job makes.
pub const ROTATE_PURPOSE: &str = "rotate";

/// A column's new envelope and, for an indexed column, its new blind index.
pub struct Rotated {
    /// The envelope sealed under the active key, in text form.
    pub envelope: String,
    /// The blind index of the value under the newest index version.
    pub index: Option<i64>,
}

/// Prints no envelope and no index value.
impl fmt::Debug for Rotated {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Rotated").finish_non_exhaustive()
    }
}

/// One sealed TEXT column as the rotation job sees it, for any kind.
/// Build one with [`SealedColumn`] (typed) or [`column_for_kind`] (from a
/// kind chosen at run time, as the CLI does).
pub trait ColumnRotation: Send + Sync {
    /// The column's name.
    fn name(&self) -> &str;
    /// The BIGINT column holding its blind index, if it has one.
    fn index_column(&self) -> Option<&str>;
    /// The kind of the values it holds.
    fn kind(&self) -> Kind;
    /// Whether the envelope is under a key other than the active one
    /// (header only; decrypts nothing). Subject-sealed values never are.
    fn needs_rotation(&self, keyring: &Keyring, envelope: &str) -> Result<bool>;
    /// Open the envelope at `ctx` (audited, purpose `"rotate"`) and seal
    /// the value again under the active key; recompute the blind index.
    fn rotate(&self, keyring: &Keyring, envelope: &str, ctx: &Context) -> Result<Rotated>;
}

type IndexFn<T> = Box<dyn Fn(&T) -> i64 + Send + Sync>;

/// A sealed column of kind `T`, optionally with a blind-index column.
///
/// ```
/// use desensitize::db::{ColumnRotation, SealedColumn};
/// use desensitize::pseudo::{Domain, Transform};
/// use desensitize::{Keyring, MobilePhone};
///
/// let keyring = Keyring::generate()?;
/// let index = keyring.blind_index::<MobilePhone>(&Domain::new("users.phone")?, Transform::Full, 16)?;
/// let phone = SealedColumn::<MobilePhone>::new("phone")?.with_index("phone_idx", index)?;
/// assert_eq!(phone.index_column(), Some("phone_idx"));
/// # Ok::<(), desensitize::Error>(())
/// ```
pub struct SealedColumn<T> {
    name: String,
    index: Option<(String, IndexFn<T>)>,
}

impl<T> fmt::Debug for SealedColumn<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let index = self.index.as_ref().map(|(n, _)| n.as_str());
        f.debug_struct("SealedColumn").field("name", &self.name).field("index", &index).finish()
    }
}

impl<T: Sealable> SealedColumn<T> {
    /// The sealed column `name` (a plain SQL identifier, see [`check_identifier`]).
    pub fn new(name: &str) -> Result<SealedColumn<T>> {
        check_column(name)?;
        Ok(SealedColumn { name: name.to_owned(), index: None })
    }
}

impl<T: Pseudonymizable> SealedColumn<T> {
    /// Recompute the blind index in column `column` with `index` for every
    /// value the job re-seals. Give the *new* index version here and look
    /// rows up under every live version meanwhile ([`super::IndexVersions`]).
    pub fn with_index(mut self, column: &str, index: BlindIndex<T>) -> Result<SealedColumn<T>> {
        check_column(column)?;
        // Values below 2^bits, bits <= 64: the two's-complement cast keeps
        // every value distinct in a BIGINT column.
        self.index = Some((column.to_owned(), Box::new(move |v: &T| index.compute(v).value() as i64)));
        Ok(self)
    }
}

impl<T: Sealable> ColumnRotation for SealedColumn<T> {
    fn name(&self) -> &str {
        &self.name
    }

    fn index_column(&self) -> Option<&str> {
        self.index.as_ref().map(|(n, _)| n.as_str())
    }

    fn kind(&self) -> Kind {
        T::KIND
    }

    fn needs_rotation(&self, keyring: &Keyring, envelope: &str) -> Result<bool> {
        Ok(Sealed::<T>::from_text(envelope)?.needs_rotation(keyring))
    }

    fn rotate(&self, keyring: &Keyring, envelope: &str, ctx: &Context) -> Result<Rotated> {
        let sealed = Sealed::<T>::from_text(envelope)?;
        let value = keyring.open(&sealed, ctx, ROTATE_PURPOSE)?; // wiped on drop
        let envelope = keyring.seal_text(&value, ctx)?;
        let index = self.index.as_ref().map(|(_, f)| f(&value));
        Ok(Rotated { envelope, index })
    }
}

/// A [`SealedColumn`] for a kind chosen at run time (no blind index).
/// Passwords are hashed, never sealed: refused with [`Error::Config`].
///
/// ```
/// use desensitize::Kind;
/// use desensitize::db::{ColumnRotation, column_for_kind};
///
/// let column = column_for_kind("cn.mobile_phone".parse::<Kind>()?, "phone")?;
/// assert_eq!((column.name(), column.kind()), ("phone", Kind::MobilePhone));
/// assert!(column_for_kind(Kind::Password, "pw").is_err());
/// # Ok::<(), desensitize::Error>(())
/// ```
pub fn column_for_kind(kind: Kind, name: &str) -> Result<Box<dyn ColumnRotation>> {
    struct Plain<'a>(&'a str);
    impl Visit for Plain<'_> {
        type Out = Result<Box<dyn ColumnRotation>>;
        fn hashed(self, _: Kind) -> Self::Out {
            Err(Error::Config(ConfigError::PasswordRotate))
        }
        fn sealable<T: Sealable + KindValue>(self) -> Self::Out {
            Ok(Box::new(SealedColumn::<T>::new(self.0)?))
        }
    }
    visit(kind, Plain(name))
}

/// A [`SealedColumn`] for a kind chosen at run time whose blind index in
/// `index_column` is recomputed as each value is re-sealed: the index of
/// `domain` over `transform`, `bits` long, under the key version the
/// keyring pins the domain to now (re-pin it to the new key first).
/// Refused for kinds that take no blind index (biometrics, passwords).
///
/// ```
/// use desensitize::db::{ColumnRotation, indexed_column_for_kind};
/// use desensitize::pseudo::{Domain, Transform};
/// use desensitize::{Keyring, Kind};
///
/// let keyring = Keyring::generate()?;
/// let domain = Domain::new("users.phone")?;
/// let column =
///     indexed_column_for_kind(Kind::MobilePhone, "phone", "phone_idx", &keyring, &domain, Transform::Full, 16)?;
/// assert_eq!(column.index_column(), Some("phone_idx"));
/// # Ok::<(), desensitize::Error>(())
/// ```
pub fn indexed_column_for_kind(
    kind: Kind,
    name: &str,
    index_column: &str,
    keyring: &Keyring,
    domain: &Domain,
    transform: Transform,
    bits: u8,
) -> Result<Box<dyn ColumnRotation>> {
    struct Indexed<'a> {
        name: &'a str,
        index_column: &'a str,
        keyring: &'a Keyring,
        domain: &'a Domain,
        transform: Transform,
        bits: u8,
    }
    impl Visit for Indexed<'_> {
        type Out = Result<Box<dyn ColumnRotation>>;
        fn hashed(self, _: Kind) -> Self::Out {
            Err(Error::Config(ConfigError::NoBlindIndex))
        }
        fn sealable<T: Sealable + KindValue>(self) -> Self::Out {
            Err(Error::Config(ConfigError::NoBlindIndex))
        }
        fn pseudonymizable<T: Pseudonymizable + KindValue>(self) -> Self::Out {
            let index = self.keyring.blind_index::<T>(self.domain, self.transform, self.bits)?;
            Ok(Box::new(SealedColumn::<T>::new(self.name)?.with_index(self.index_column, index)?))
        }
    }
    visit(kind, Indexed { name, index_column, keyring, domain, transform, bits })
}

/// Check a table or column name: 1 to 63 ASCII letters, digits and `_`,
/// not starting with a digit; a table may be `schema.table`. Names are
/// still quoted in SQL; this keeps them to what needs no escaping.
///
/// ```
/// use desensitize::db::check_identifier;
/// assert!(check_identifier("public.users").is_ok());
/// assert!(check_identifier("users; DROP TABLE users").is_err());
/// ```
pub fn check_identifier(name: &str) -> Result<()> {
    let part_ok = |p: &str| {
        !p.is_empty()
            && p.len() <= 63
            && !p.as_bytes()[0].is_ascii_digit()
            && p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
    };
    let mut parts = name.split('.');
    let ok = match (parts.next(), parts.next(), parts.next()) {
        (Some(a), None, _) => part_ok(a),
        (Some(a), Some(b), None) => part_ok(a) && part_ok(b),
        _ => false,
    };
    if ok { Ok(()) } else { Err(Error::Config(ConfigError::SqlName)) }
}

/// A column name: [`check_identifier`] without a schema part.
pub(crate) fn check_column(name: &str) -> Result<()> {
    check_identifier(name)?;
    if name.contains('.') {
        return Err(Error::Config(ConfigError::NoSchema));
    }
    Ok(())
}

#[cfg_attr(not(feature = "sqlx"), allow(dead_code))]
/// `name` quoted for SQL (`"a"."b"`), after [`check_identifier`].
pub(crate) fn quote(name: &str) -> String {
    name.split('.').map(|p| format!("\"{p}\"")).collect::<Vec<_>>().join(".")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{MobilePhone, PersonName};

    #[test]
    fn names_are_plain_identifiers() {
        assert!(check_identifier("users").is_ok() && check_identifier("app.users").is_ok());
        for bad in ["", "1users", "users;drop", "a.b.c", "us\"ers", "a b", &"x".repeat(64)] {
            assert_eq!(check_identifier(bad), Err(Error::Config(ConfigError::SqlName)), "{bad:?}");
        }
        assert_eq!(
            SealedColumn::<MobilePhone>::new("a.b").unwrap_err(),
            Error::Config(ConfigError::NoSchema)
        );
        assert_eq!(quote("app.users"), "\"app\".\"users\"");
    }

    #[test]
    fn a_column_rotates_only_what_is_under_an_old_key() {
        let mut keyring = Keyring::generate().unwrap();
        let ctx = Context::new("users", "name").with_row("1");
        let name: PersonName = "欧阳娜娜".parse().unwrap();
        let old = keyring.seal_text(&name, &ctx).unwrap();
        let column = column_for_kind(Kind::PersonName, "name").unwrap();
        assert!(!column.needs_rotation(&keyring, &old).unwrap());
        keyring.rotate().unwrap();
        assert!(column.needs_rotation(&keyring, &old).unwrap());
        let rotated = column.rotate(&keyring, &old, &ctx).unwrap();
        assert_eq!(rotated.index, None);
        let sealed: Sealed<PersonName> = rotated.envelope.parse().unwrap();
        assert_eq!((sealed.key_id(), keyring.open(&sealed, &ctx, "t").unwrap()), (2, name));
        // Another kind's column refuses the envelope; so does another place.
        let phone = column_for_kind(Kind::MobilePhone, "name").unwrap();
        assert_eq!(
            phone.needs_rotation(&keyring, &old),
            Err(Error::KindMismatch { expected: Kind::MobilePhone, found: Kind::PersonName })
        );
        let elsewhere = Context::new("users", "name").with_row("2");
        assert_eq!(column.rotate(&keyring, &old, &elsewhere).unwrap_err(), Error::ContextMismatch);
        assert_eq!(format!("{rotated:?}"), "Rotated { .. }");
    }

    #[test]
    fn every_kind_gets_the_column_its_class_allows() {
        use crate::pseudo::{Domain, Transform};
        let keyring = Keyring::generate().unwrap();
        let domain = Domain::new("d").unwrap();
        for kind in Kind::ALL {
            let plain = column_for_kind(kind, "c");
            assert_eq!(plain.as_ref().map(|c| c.kind()).ok(), (kind != Kind::Password).then_some(kind));
            let indexed = indexed_column_for_kind(kind, "c", "c_idx", &keyring, &domain, Transform::Full, 8);
            match indexed {
                Ok(c) => assert_eq!((c.kind(), c.index_column()), (kind, Some("c_idx"))),
                Err(e) => {
                    assert!(matches!(kind, Kind::Password | Kind::Biometric), "{kind}: {e}");
                    assert_eq!(e, Error::Config(ConfigError::NoBlindIndex));
                }
            }
        }
    }
}
