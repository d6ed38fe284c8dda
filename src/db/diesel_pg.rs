//! PostgreSQL through diesel: `ToSql`/`FromSql` for sealed columns and tokens.
//!
//! `Sealed<T>` is `Text` (the `dz1.…` form) or `Binary` (BYTEA, the binary
//! form); `Token` is `Text`. Only diesel's `postgres_backend` is needed
//! (no libpq). Use them in `insert_into(..).values(users::phone.eq(&sealed))`
//! and load them as fields of `Queryable` structs.

use crate::error::EnvelopeError;
use std::io::Write;

use diesel::deserialize::{self, FromSql, Queryable};
use diesel::expression::AsExpression;
use diesel::internal::derives::as_expression::Bound;
use diesel::pg::{Pg, PgValue};
use diesel::serialize::{self, IsNull, Output, ToSql};
use diesel::sql_types::{Binary, Nullable, Text};

use crate::kind::Sealable;
use crate::pseudo::Token;
use crate::seal::Sealed;

impl<T: Sealable> ToSql<Text, Pg> for Sealed<T> {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
        out.write_all(self.to_text().as_bytes())?;
        Ok(IsNull::No)
    }
}

/// Checks structure and kind; errors are value-free ([`crate::Error`]).
impl<T: Sealable> FromSql<Text, Pg> for Sealed<T> {
    fn from_sql(value: PgValue<'_>) -> deserialize::Result<Self> {
        let text = core::str::from_utf8(value.as_bytes())
            .map_err(|_| crate::Error::Malformed(EnvelopeError::NotUtf8))?;
        Ok(Sealed::from_text(text)?)
    }
}

impl<T: Sealable> ToSql<Binary, Pg> for Sealed<T> {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
        out.write_all(self.as_bytes())?;
        Ok(IsNull::No)
    }
}

impl<T: Sealable> FromSql<Binary, Pg> for Sealed<T> {
    fn from_sql(value: PgValue<'_>) -> deserialize::Result<Self> {
        Ok(Sealed::from_bytes(value.as_bytes())?)
    }
}

impl ToSql<Text, Pg> for Token {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
        out.write_all(self.to_text().as_bytes())?;
        Ok(IsNull::No)
    }
}

impl FromSql<Text, Pg> for Token {
    fn from_sql(value: PgValue<'_>) -> deserialize::Result<Self> {
        let text = core::str::from_utf8(value.as_bytes())
            .map_err(|_| crate::Error::Malformed(EnvelopeError::NotUtf8))?;
        Ok(text.parse::<Token>()?)
    }
}

/// What `#[derive(AsExpression, FromSqlRow)]` would generate, for types
/// defined outside this module.
macro_rules! diesel_expression {
    ($sql:ty, [$($g:tt)*], $ty:ty) => {
        impl<'a, $($g)*> AsExpression<$sql> for &'a $ty {
            type Expression = Bound<$sql, Self>;
            fn as_expression(self) -> Self::Expression {
                Bound::new(self)
            }
        }
        impl<'a, $($g)*> AsExpression<Nullable<$sql>> for &'a $ty {
            type Expression = Bound<Nullable<$sql>, Self>;
            fn as_expression(self) -> Self::Expression {
                Bound::new(self)
            }
        }
        impl<$($g)*> AsExpression<$sql> for $ty {
            type Expression = Bound<$sql, Self>;
            fn as_expression(self) -> Self::Expression {
                Bound::new(self)
            }
        }
        impl<$($g)*> AsExpression<Nullable<$sql>> for $ty {
            type Expression = Bound<Nullable<$sql>, Self>;
            fn as_expression(self) -> Self::Expression {
                Bound::new(self)
            }
        }
        impl<$($g)*> Queryable<$sql, Pg> for $ty {
            type Row = Self;
            fn build(row: Self) -> deserialize::Result<Self> {
                Ok(row)
            }
        }
    };
}

diesel_expression!(Text, [T: Sealable], Sealed<T>);
diesel_expression!(Binary, [T: Sealable], Sealed<T>);
diesel_expression!(Text, [], Token);
