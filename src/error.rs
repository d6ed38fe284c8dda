//! The crate's one error type.
//!
//! Every variant is value-free by construction: variants hold only static
//! text, kind identifiers and small numbers (key ids, limits), never any part
//! of the input. That is what lets an application log `Error` freely.

use crate::kind::Kind;

/// Convenience alias used throughout the crate.
pub type Result<T, E = Error> = core::result::Result<T, E>;

/// Everything that can go wrong in `desensitize`.
///
/// Messages say *what* was wrong ("check digit mismatch") and never repeat
/// the input:
///
/// ```
/// use desensitize::{Error, IdNumber, Invalid};
///
/// let err = "110105194912310021".parse::<IdNumber>().unwrap_err();
/// assert_eq!(err.to_string(), "invalid cn.id_number: check digit mismatch");
/// assert!(matches!(err, Error::Invalid { reason: Invalid::CheckDigit, .. }));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A value failed validation for its kind.
    #[error("invalid {kind}: {reason}")]
    Invalid {
        /// The kind that was being parsed.
        kind: Kind,
        /// What was wrong with it.
        reason: Invalid,
    },
    /// A generic mask rule was configured in a way that cannot work.
    #[error("invalid mask rule: {0}")]
    InvalidRule(&'static str),
    /// Argon2id rejected the parameters or failed while hashing.
    #[error("password hashing failed: {0}")]
    PasswordHash(&'static str),
}

impl Error {
    pub(crate) const fn invalid(kind: Kind, reason: Invalid) -> Self {
        Error::Invalid { kind, reason }
    }
}

/// Why a value was rejected. Each reason is a fixed sentence; none carries input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum Invalid {
    /// Nothing left after trimming white space.
    #[error("empty")]
    Empty,
    /// Longer than the kind allows (checked before any other work).
    #[error("too long (at most {max} characters)")]
    TooLong {
        /// The limit, in characters (bytes for binary kinds).
        max: usize,
    },
    /// Not one of the lengths the kind allows.
    #[error("wrong length")]
    Length,
    /// A character that the kind never contains.
    #[error("invalid character")]
    Character,
    /// The check digit/character does not match the rest of the value.
    #[error("check digit mismatch")]
    CheckDigit,
    /// The Luhn (mod 10) check failed.
    #[error("Luhn check failed")]
    Luhn,
    /// The embedded birth date is not a calendar date (or is before 1800).
    #[error("birth date is not a real date")]
    BirthDate,
    /// The embedded birth date is after today.
    #[error("birth date in the future")]
    BirthDateInFuture,
    /// The leading administrative division code is not a known province.
    #[error("unknown province code")]
    Province,
    /// The value does not start the way this kind must (e.g. mobile `1[3-9]`).
    #[error("invalid prefix")]
    Prefix,
    /// A number outside its allowed range (e.g. latitude beyond ±90).
    #[error("out of range")]
    OutOfRange,
    /// A NaN or infinite coordinate.
    #[error("not a finite number")]
    NotFinite,
    /// The value is not in the shape the kind needs (e.g. e-mail without `@`).
    #[error("malformed")]
    Malformed,
}
