//! Column types through sqlx, for PostgreSQL and SQLite alike.
//!
//! One set of impls, stamped out per driver by [`sqlx_columns!`]: what
//! differs between the drivers is only the SQL type each Rust type maps to,
//! which sqlx's own `String` / `Vec<u8>` / `i64` impls already know. The
//! impls are per driver rather than generic over every `sqlx::Database` so
//! that a driver we do not test (MySQL) gets none.

use sqlx::encode::IsNull;
use sqlx::error::BoxDynError;
use sqlx::postgres::Postgres;
use sqlx::sqlite::Sqlite;
use sqlx::{Database, Decode, Encode, Type, ValueRef};

use super::Binary;
use crate::kind::Sealable;
use crate::pseudo::{IndexValue, Token};
use crate::seal::Sealed;

/// The envelope from a text (`dz1.…`) or binary value; the errors are
/// value-free ([`crate::Error`]).
fn decode_sealed<'r, DB, T>(value: <DB as Database>::ValueRef<'r>) -> Result<Sealed<T>, BoxDynError>
where
    DB: Database,
    T: Sealable,
    String: Type<DB>,
    &'r str: Decode<'r, DB>,
    Vec<u8>: Decode<'r, DB>,
{
    // Text first: SQLite's byte types accept TEXT values too.
    let is_text = <String as Type<DB>>::compatible(&value.type_info());
    if is_text {
        let text = <&str as Decode<DB>>::decode(value)?;
        Ok(Sealed::from_text(text)?)
    } else {
        let bytes = <Vec<u8> as Decode<DB>>::decode(value)?;
        Ok(Sealed::from_vec(bytes)?)
    }
}

/// A sealed column is text or bytes, whichever form it was written in.
fn sealed_compatible<DB: Database>(ty: &DB::TypeInfo) -> bool
where
    String: Type<DB>,
    Vec<u8>: Type<DB>,
{
    <String as Type<DB>>::compatible(ty) || <Vec<u8> as Type<DB>>::compatible(ty)
}

/// A token from its text form; the errors are value-free.
fn decode_token<'r, DB: Database>(value: <DB as Database>::ValueRef<'r>) -> Result<Token, BoxDynError>
where
    &'r str: Decode<'r, DB>,
{
    let text = <&str as Decode<DB>>::decode(value)?;
    Ok(text.parse::<Token>()?)
}

/// `Type`, `Encode` and `Decode` of the column types for one driver;
/// `$text`, `$bytes` and `$int` name its SQL types in the rustdoc.
macro_rules! sqlx_columns {
    ($db:ty, $text:literal, $bytes:literal, $int:literal) => {
        #[doc = concat!("A ", $text, " column holding the text form; decodes from ", $bytes, " too.")]
        impl<T> Type<$db> for Sealed<T> {
            fn type_info() -> <$db as Database>::TypeInfo {
                <String as Type<$db>>::type_info()
            }
            fn compatible(ty: &<$db as Database>::TypeInfo) -> bool {
                sealed_compatible::<$db>(ty)
            }
        }

        impl<T> Encode<'_, $db> for Sealed<T> {
            fn encode_by_ref(
                &self,
                buf: &mut <$db as Database>::ArgumentBuffer,
            ) -> Result<IsNull, BoxDynError> {
                <String as Encode<$db>>::encode(self.to_string(), buf) // the text form
            }
        }

        /// Checks structure and kind; errors are value-free ([`crate::Error`]).
        impl<T: Sealable> Decode<'_, $db> for Sealed<T> {
            fn decode(value: <$db as Database>::ValueRef<'_>) -> Result<Self, BoxDynError> {
                decode_sealed::<$db, T>(value)
            }
        }

        #[doc = concat!("A ", $bytes, " column holding the binary form; decodes from ", $text, " too.")]
        impl<T> Type<$db> for Binary<T> {
            fn type_info() -> <$db as Database>::TypeInfo {
                <Vec<u8> as Type<$db>>::type_info()
            }
            fn compatible(ty: &<$db as Database>::TypeInfo) -> bool {
                sealed_compatible::<$db>(ty)
            }
        }

        impl<T> Encode<'_, $db> for Binary<T> {
            fn encode_by_ref(
                &self,
                buf: &mut <$db as Database>::ArgumentBuffer,
            ) -> Result<IsNull, BoxDynError> {
                <&[u8] as Encode<$db>>::encode(self.0.as_bytes_any(), buf)
            }
        }

        impl<T: Sealable> Decode<'_, $db> for Binary<T> {
            fn decode(value: <$db as Database>::ValueRef<'_>) -> Result<Self, BoxDynError> {
                decode_sealed::<$db, T>(value).map(Binary)
            }
        }

        #[doc = concat!("A ", $text, " column holding `tk1.<key id>.<digest>`.")]
        impl Type<$db> for Token {
            fn type_info() -> <$db as Database>::TypeInfo {
                <String as Type<$db>>::type_info()
            }
            fn compatible(ty: &<$db as Database>::TypeInfo) -> bool {
                <String as Type<$db>>::compatible(ty)
            }
        }

        impl Encode<'_, $db> for Token {
            fn encode_by_ref(
                &self,
                buf: &mut <$db as Database>::ArgumentBuffer,
            ) -> Result<IsNull, BoxDynError> {
                <String as Encode<$db>>::encode(self.to_text(), buf)
            }
        }

        impl Decode<'_, $db> for Token {
            fn decode(value: <$db as Database>::ValueRef<'_>) -> Result<Self, BoxDynError> {
                decode_token::<$db>(value)
            }
        }

        #[doc = concat!("A ", $int, " column (written only: read the column back as `i64`).")]
        impl Type<$db> for IndexValue {
            fn type_info() -> <$db as Database>::TypeInfo {
                <i64 as Type<$db>>::type_info()
            }
        }

        impl Encode<'_, $db> for IndexValue {
            fn encode_by_ref(
                &self,
                buf: &mut <$db as Database>::ArgumentBuffer,
            ) -> Result<IsNull, BoxDynError> {
                // Below 2^bits (bits <= 64): the two's-complement cast is injective.
                <i64 as Encode<$db>>::encode(self.value() as i64, buf)
            }
        }
    };
}

sqlx_columns!(Postgres, "TEXT", "BYTEA", "BIGINT");
sqlx_columns!(Sqlite, "TEXT", "BLOB", "INTEGER");
