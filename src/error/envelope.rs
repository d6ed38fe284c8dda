//! Why a sealed value, token or context was refused before any decryption.

/// Why the text or bytes of a sealed value, a `tk1` token or a wrapped
/// subject key are not well formed ([`Error::Malformed`](crate::Error::Malformed)).
/// Checked before any key is used; value-free.
///
/// ```
/// use desensitize::{EnvelopeError, Error, IdNumber, Sealed};
///
/// let err = "xx1.AAAA".parse::<Sealed<IdNumber>>().unwrap_err();
/// assert_eq!(err, Error::Malformed(EnvelopeError::NotSealed));
/// assert_eq!(err.to_string(), "malformed sealed value: not a dz1 sealed value");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum EnvelopeError {
    /// The text does not start with the `dz1.` prefix.
    #[error("not a dz1 sealed value")]
    NotSealed,
    /// The text after `dz1.` is not valid base64url.
    #[error("invalid base64 in sealed value")]
    Base64,
    /// The envelope is longer than any envelope this build writes.
    #[error("envelope too large")]
    TooLarge,
    /// The envelope header names a kind code this build does not know.
    #[error("unknown kind code")]
    UnknownKindCode,
    /// The plaintext is too long to seal into one envelope.
    #[error("value too long to seal")]
    ValueTooLong,
    /// The text is not a `tk1` token.
    #[error("not a tk1 token")]
    NotToken,
    /// A `tk1` token's key id is written with a leading zero (not canonical).
    #[error("tk1 token key id with a leading zero")]
    TokenKeyIdLeadingZero,
    /// The bytes are not a wrapped subject key.
    #[error("not a wrapped subject key")]
    NotWrappedSubjectKey,
    /// A database column holding sealed values or tokens is not UTF-8.
    #[error("not UTF-8")]
    NotUtf8,
    /// A value opened as one kind was parsed into another (a bug; fails closed).
    #[error("parsed as another kind")]
    OtherKind,
}

/// Why a [`Context`](crate::Context) broke its limits
/// ([`Error::Context`](crate::Error::Context)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum ContextError {
    /// A context field (table, column, row id, ...) is longer than the
    /// envelope's context encoding allows.
    #[error("context field too long")]
    FieldTooLong,
    /// More context fields than the encoding allows.
    #[error("too many context fields")]
    TooManyFields,
    /// A row id was given but is empty.
    #[error("the row id is empty")]
    EmptyRowId,
}
