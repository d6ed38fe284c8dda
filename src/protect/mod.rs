//! Records that protect themselves: the runtime side of `#[derive(Protect)]`.
//!
//! The derive (feature `derive`, on by default) reads one `#[protect(...)]`
//! attribute per field and generates, for a struct `User`:
//!
//! - `UserSealed` (serde `Serialize` + `Deserialize`): what to store. Sealed
//!   fields as `dz1.` text bound to table + field + row id, blind indexes as
//!   extra `<field>_index` fields, public fields as they are.
//!   `User::seal(&keyring)` builds it; `UserSealed::open(&keyring, purpose)`
//!   gives the `User` back, each field opened through the audited path.
//! - `UserMasked` (`Serialize`, via `user.masked()`): every protected field as
//!   its mask, the struct to return from an API or to log.
//! - `UserAnalytics` (`Serialize`, via `user.analytics(&keyring)`): keyed
//!   pseudonyms and the generalized facts named in the attributes.
//! - A `Debug` for `User` that prints `[REDACTED]` for every protected field.
//! - `User::policy()`: the same rules as a [`Policy`], for `desensitize run`
//!   and the Python / Spark path.
//!
//! A field without `#[protect(...)]` does not compile: every field is
//! classified, or explicitly `public`.
//!
//! ```
//! use desensitize::{Email, IdNumber, Keyring, MobilePhone, Protect};
//!
//! #[derive(Protect)]
//! #[protect(table = "users")]
//! struct User {
//!     #[protect(row_id)]
//!     id: u64,
//!     #[protect(seal, blind_index(bits = 16))]
//!     phone: MobilePhone,
//!     #[protect(seal, generalize(gender, age_band, province))]
//!     id_number: IdNumber,
//!     #[protect(seal, pseudonym = "analytics", mask = "strict")]
//!     email: Email,
//!     #[protect(public)]
//!     plan: String,
//! }
//!
//! let keyring = Keyring::generate()?;
//! let user = User {
//!     id: 7,
//!     phone: "13800138000".parse()?,
//!     id_number: "11010519491231002X".parse()?,
//!     email: "zhangsan@example.com".parse()?,
//!     plan: "pro".into(),
//! };
//! assert_eq!(
//!     format!("{user:?}"),
//!     r#"User { id: 7, phone: [REDACTED], id_number: [REDACTED], email: [REDACTED], plan: "pro" }"#
//! );
//!
//! // Store the sealed form; open it back through the audited path.
//! let stored = serde_json::to_string(&user.seal(&keyring)?)?;
//! let sealed: UserSealed = serde_json::from_str(&stored)?;
//! let back = sealed.open(&keyring, "support-ticket")?;
//! assert_eq!(back.phone.expose(), "13800138000");
//!
//! // Masks for the API, facts and tokens for analytics.
//! let masked = serde_json::to_value(user.masked())?;
//! assert_eq!(masked["phone"], "138****8000");
//! let facts = serde_json::to_value(user.analytics(&keyring)?)?;
//! assert_eq!(facts["id_number_province"], "北京市");
//!
//! // The same rules for exported files.
//! let policy = User::policy();
//! assert_eq!(policy.columns["email"].action, "pseudonym");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::error::ConfigError;
use core::fmt;

use crate::access::Principal;
use crate::keys::SubjectKeyStore;
use crate::policy::Policy;
use crate::{Context, Date, Error, Keyring};

mod facts;
mod shape;

pub use facts::FactOptions;
pub use shape::{KindField, Shape};

#[doc(hidden)]
pub mod __private {
    //! What the generated code needs; not a public API.
    pub use super::facts::{
        AgeBandFact, BirthMonthFact, BirthYearFact, CityFact, Facts, GenderFact, GeohashFact, GridFact,
        ProvinceFact,
    };
    pub use super::shape::{
        IndexShape, SealShape, TokenShape, assert_index, assert_seal, assert_shape, assert_token,
        blind_index, mask, open, pseudonym, seal,
    };
    pub use super::{fact, policy_column};
    pub use crate::serde::scrubbed;
    pub use serde;
}

/// A record type with `#[derive(Protect)]`: the views it has and how they
/// are made. The derive also gives each record inherent methods (`seal`,
/// `open`, `masked`, `analytics`, `policy`) that call these.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a record with #[derive(Protect)]",
    label = "`nested` needs a record",
    note = "#[protect(nested)] is for a struct that derives Protect; a kind of personal data is `#[protect(seal)]`"
)]
pub trait Protect: Sized {
    /// The storage form (`UserSealed`).
    type Sealed: serde::Serialize + serde::de::DeserializeOwned;
    /// The masked form (`UserMasked`).
    type Masked: serde::Serialize;
    /// The analytics form (`UserAnalytics`).
    type Analytics: serde::Serialize;

    /// The context table of the record's sealed values.
    const TABLE: &'static str;

    /// The row id bound into every sealed value, if the record has one.
    fn row_id(&self) -> Option<String>;

    /// The row id of a sealed record.
    fn sealed_row_id(sealed: &Self::Sealed) -> Option<String>;

    /// Seal the record's fields at `at`.
    fn seal_at(&self, at: &Place<'_>) -> Result<Self::Sealed, RecordError>;

    /// Open every sealed field (audited, for `purpose`).
    fn open_at(sealed: &Self::Sealed, at: &Place<'_>, purpose: &str) -> Result<Self, RecordError>;

    /// Every protected field as its mask.
    fn masked(&self) -> Self::Masked;

    /// Pseudonyms and generalized facts.
    fn analytics_at(&self, at: &Place<'_>) -> Result<Self::Analytics, RecordError>;

    /// Add the record's columns, named `prefix` + field name, to `policy`.
    fn policy_columns(prefix: &str, policy: &mut Policy);

    /// The equivalent record policy: table, row id and one column per field.
    fn policy() -> Policy {
        let mut policy = Policy { table: Some(Self::TABLE.to_owned()), ..Policy::default() };
        Self::policy_columns("", &mut policy);
        policy
    }
}

/// Where a record's fields are sealed and pseudonymized: the keys, the
/// table, the field path of a nested record and the row id.
pub struct Place<'a> {
    keyring: &'a Keyring,
    subjects: Option<&'a dyn SubjectKeyStore>,
    table: &'static str,
    prefix: String,
    row: Option<String>,
    today: Date,
    /// Who opens (a keyring with access rules needs one): [`Place::with_principal`].
    principal: Option<&'a Principal>,
}

impl<'a> Place<'a> {
    /// The place of a top-level record.
    pub fn new(
        keyring: &'a Keyring,
        subjects: Option<&'a dyn SubjectKeyStore>,
        table: &'static str,
        row: Option<String>,
        today: Date,
    ) -> Place<'a> {
        Place { keyring, subjects, table, prefix: String::new(), row, today, principal: None }
    }

    /// The place of the record nested in `field`: the same table and row,
    /// field names prefixed with `field.`.
    pub fn nested(&self, field: &str) -> Place<'a> {
        Place {
            keyring: self.keyring,
            subjects: self.subjects,
            table: self.table,
            prefix: format!("{}{field}.", self.prefix),
            row: self.row.clone(),
            today: self.today,
            principal: self.principal,
        }
    }

    /// The same place, opened by `who`: every field goes through the
    /// keyring's access rules ([`Keyring::open_as`]). A field the role may
    /// see only masked cannot fill the record:
    /// [`AccessError::MaskedOnly`](crate::AccessError::MaskedOnly).
    pub fn with_principal(mut self, who: &'a Principal) -> Place<'a> {
        self.principal = Some(who);
        self
    }

    /// Who opens, if set.
    pub fn principal(&self) -> Option<&'a Principal> {
        self.principal
    }

    /// The keyring.
    pub fn keyring(&self) -> &'a Keyring {
        self.keyring
    }

    /// The date facts are computed on.
    pub fn today(&self) -> Date {
        self.today
    }

    /// The field's full name: `prefix` + `field` (`home.city`).
    pub fn path(&self, field: &str) -> String {
        format!("{}{field}", self.prefix)
    }

    /// The table the record's values are bound to.
    pub fn table(&self) -> &'static str {
        self.table
    }

    /// The sealing context of `field`: table + field path (+ row id).
    pub fn context(&self, field: &str) -> Result<Context, RecordError> {
        let path = self.path(field);
        let ctx = Context::try_new(self.table, &path).map_err(|e| RecordError::new(&path, e))?;
        match &self.row {
            Some(row) => ctx.try_with("row", row).map_err(|e| RecordError::new(&path, e)),
            None => Ok(ctx),
        }
    }

    /// The subject key store, or the error for a per-subject field without one.
    pub fn subjects(&self, field: &str) -> Result<&'a dyn SubjectKeyStore, RecordError> {
        self.subjects
            .ok_or_else(|| RecordError::new(&self.path(field), Error::Config(ConfigError::NoSubjectStore)))
    }
}

/// A field of a record could not be sealed, opened or pseudonymized: which
/// field (by name, never by value) and why.
///
/// ```
/// use desensitize::{Keyring, MobilePhone, Protect};
///
/// #[derive(Protect)]
/// #[protect(table = "users")]
/// struct User {
///     #[protect(row_id)]
///     id: u64,
///     #[protect(seal)]
///     phone: MobilePhone,
/// }
///
/// let keyring = Keyring::generate()?;
/// let sealed = User { id: 7, phone: "13800138000".parse()? }.seal(&keyring)?;
/// // Another keyring (its key 1 is not this one's): the value does not
/// // authenticate, and the keyed context check (SPEC.md §3a.5) cannot tell
/// // another key from another place.
/// let err = sealed.open(&Keyring::generate()?, "test").unwrap_err();
/// assert_eq!(err.field(), "phone");
/// assert_eq!(err.error(), &desensitize::Error::ContextMismatch);
/// assert_eq!(err.to_string(), "field phone: sealed value belongs to another context");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct RecordError {
    field: String,
    error: Error,
}

impl RecordError {
    /// The error `error` at field `field`.
    pub fn new(field: &str, error: Error) -> RecordError {
        RecordError { field: field.to_owned(), error }
    }

    /// The field's name (`phone`, `home.city`, `phones[2]`).
    pub fn field(&self) -> &str {
        &self.field
    }

    /// What went wrong.
    pub fn error(&self) -> &Error {
        &self.error
    }

    /// The library error, without the field.
    pub fn into_error(self) -> Error {
        self.error
    }
}

impl fmt::Display for RecordError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "field {}: {}", self.field, self.error)
    }
}

impl std::error::Error for RecordError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.error)
    }
}

/// Prints `[REDACTED]`: what a record's `Debug` shows for a protected field.
pub struct Redacted;

impl fmt::Debug for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[REDACTED]")
    }
}

/// The generalized fact `fact` of every value of a field (for the generated code).
#[doc(hidden)]
pub fn fact<S: Shape>(
    value: &S,
    field: &str,
    at: &Place<'_>,
    fact: crate::policy::Fact,
    opts: FactOptions,
) -> Result<S::Map<String>, RecordError>
where
    S::Kind: facts::Facts,
{
    let path = at.path(field);
    value.try_map(|v, _| facts::Facts::fact(v, fact, &opts).map_err(|e| RecordError::new(&path, e)))
}

/// Add a column to a policy (for the generated code); a `Vec` field is
/// left out (a flat file cannot hold it), so an export that has it is
/// refused as an unnamed column.
#[doc(hidden)]
pub fn policy_column<S: Shape>(policy: &mut Policy, name: String, spec: crate::policy::ColumnSpec) {
    if S::FLAT {
        policy.columns.insert(name, spec);
    }
}
