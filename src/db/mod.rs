//! Sealed columns in databases, and key rotation at table scale.
//!
//! - Column types (feature `sqlx`, PostgreSQL and SQLite; feature `diesel`,
//!   PostgreSQL): [`Sealed<T>`](crate::Sealed) is a TEXT column through its
//!   text form (`dz1.…`) and, wrapped in [`Binary`], a BYTEA (SQLite: BLOB)
//!   column through its binary form; a [`Token`](crate::pseudo::Token) is
//!   TEXT; a blind [`IndexValue`](crate::pseudo::IndexValue) is written as
//!   BIGINT (SQLite: INTEGER).
//!   Decoding checks the envelope's structure and kind and fails with a
//!   value-free error. Plaintext kinds get no `Encode`: only sealed values,
//!   tokens and index values reach the database.
//! - [`rotate`]: the resumable re-seal and re-index job over a small
//!   [`RotationStore`] trait (fetch a batch after a key, apply a batch with
//!   compare-and-swap), keyset-paginated by an integer primary key, with a
//!   checkpoint, progress, and the count of what still depends on old keys
//!   (values, and subject keys: [`RotationPlan::subject_keys`] re-wraps
//!   them). TEXT columns only: a BYTEA column ([`Binary`]) is not rotated
//!   by the job. `PgRotationStore` (feature `sqlx`) implements it for PostgreSQL.
//! - [`IndexVersions`]: a blind index under every live key version, so a
//!   lookup keeps finding rows while the job moves them to the new one.
//!
//! ```
//! use desensitize::db::{RotationPlan, SealedColumn};
//! use desensitize::{MobilePhone, PersonName};
//!
//! // Which columns of `users` hold sealed values, by primary key `id`.
//! let plan = RotationPlan::new("users", "id")?
//!     .column(SealedColumn::<MobilePhone>::new("phone")?)
//!     .column(SealedColumn::<PersonName>::new("name")?);
//! assert_eq!(plan.column_names(), ["phone", "name"]);
//! # Ok::<(), desensitize::Error>(())
//! ```

mod column;
mod rotate;
#[cfg(test)]
mod rotate_tests;
mod versions;

#[cfg(feature = "diesel")]
mod diesel_pg;
#[cfg(feature = "sqlx")]
mod sqlx_columns;
#[cfg(feature = "sqlx")]
mod sqlx_pg;

pub use column::{
    ColumnRotation, ROTATE_PURPOSE, Rotated, SealedColumn, check_identifier, column_for_kind,
    indexed_column_for_kind,
};
pub use rotate::{
    RotationError, RotationPlan, RotationProgress, RotationReport, RotationStore, RowUpdate, StoredRow,
    count_remaining, rotate,
};
pub use versions::IndexVersions;

#[cfg(feature = "sqlx")]
pub use sqlx_pg::PgRotationStore;

/// A sealed value stored through its binary form (a BYTEA column; in
/// SQLite, a BLOB).
///
/// [`Sealed<T>`](crate::Sealed) itself is stored as TEXT (`dz1.…`, 4/3 the
/// size); wrap it in `Binary` for a BYTEA or BLOB column. Both decode from
/// either column type.
///
/// ```
/// use desensitize::db::Binary;
/// use desensitize::{Context, Keyring, MobilePhone};
///
/// let keyring = Keyring::generate()?;
/// let sealed = keyring.seal(&"13800138000".parse::<MobilePhone>()?, &Context::new("users", "phone"))?;
/// let column = Binary(sealed); // `.bind(column)` writes sealed.as_bytes() to BYTEA
/// assert_eq!(column.0.as_bytes().len(), 63); // 11 digits + 52 (envelope v2)
/// # Ok::<(), desensitize::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binary<T>(pub crate::Sealed<T>);
