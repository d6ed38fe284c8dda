//! The crate's one error type, and one enum of causes per failure domain.
//!
//! Every variant is value-free by construction: variants hold only cause
//! enums, kind identifiers and small numbers (key ids, limits), never any
//! part of the input. That is what lets an application log `Error` freely.
//!
//! The cause enums live in bottom submodules that import nothing (keys,
//! envelope, config, password), re-exported here and at the crate root.

use crate::kind_id::Kind;

mod access;
mod config;
mod envelope;
mod keys;
mod password;
#[cfg(test)]
mod tests;

pub use access::{AccessError, BudgetLimit, CounterError};
pub use config::{ConfigError, DomainError, MaskRuleError};
pub use envelope::{ContextError, EnvelopeError};
pub use keys::{KeyError, PinsError};
pub use password::PasswordHashError;

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
    /// A generic mask rule was configured in a way that cannot work
    /// ([`MaskRuleError`] says why).
    #[error("invalid mask rule: {0}")]
    InvalidRule(MaskRuleError),
    /// Argon2id rejected the parameters or the PHC string, or failed while
    /// hashing ([`PasswordHashError`] says which).
    #[error("password hashing failed: {0}")]
    PasswordHash(PasswordHashError),

    /// The operating system's random number generator failed.
    #[error("operating system randomness unavailable")]
    Randomness,
    /// A key or keyring operation was refused ([`KeyError`] says why).
    #[error("key error: {0}")]
    Key(KeyError),
    /// An analytics domain name is not acceptable ([`DomainError`] says why).
    #[error("invalid domain: {0}")]
    Domain(DomainError),
    /// An FPE, blind-index, generalization, kind or database setting is not
    /// acceptable ([`ConfigError`] says which).
    #[error("invalid configuration: {0}")]
    Config(ConfigError),
    /// A [`Context`](crate::Context) broke its limits ([`ContextError`] says which).
    #[error("invalid context: {0}")]
    Context(ContextError),
    /// The envelope is shorter than its header and tag.
    #[error("sealed value is truncated")]
    Truncated,
    /// The envelope, token or wrapped key, or its text form, is not well
    /// formed ([`EnvelopeError`] says how).
    #[error("malformed sealed value: {0}")]
    Malformed(EnvelopeError),
    /// The envelope's format version is not one this build reads.
    #[error("unsupported sealed format version {0}")]
    UnsupportedVersion(u8),
    /// The envelope's algorithm id is not one this build knows.
    #[error("unsupported sealing algorithm {0}")]
    UnsupportedAlgorithm(u8),
    /// The envelope holds another kind than the one asked for.
    #[error("sealed value holds {found}, not {expected}")]
    KindMismatch {
        /// The kind the caller asked for.
        expected: Kind,
        /// The kind in the envelope header.
        found: Kind,
    },
    /// No key with this id is in the keyring.
    #[error("unknown key id {0}")]
    UnknownKey(u32),
    /// The key with this id was destroyed; values under it are gone.
    #[error("key {0} destroyed")]
    KeyDestroyed(u32),
    /// The keyring has no active key to seal with.
    #[error("no active key in the keyring")]
    NoActiveKey,
    /// A key still protects values the caller reported; it cannot be destroyed.
    #[error("key {id} still protects {remaining} values; re-seal them first")]
    KeyInUse {
        /// The key id.
        id: u32,
        /// Values the caller reported as still sealed under it.
        remaining: u64,
    },
    /// Subject keys are still wrapped under this root key: destroying it
    /// would lose every value sealed for those subjects. Re-wrap them first
    /// ([`Keyring::rewrap_subjects`](crate::Keyring::rewrap_subjects), or a
    /// rotation job given the subject key store).
    #[error("key {id} still wraps {subject_keys} subject keys; re-wrap them first")]
    SubjectKeysInUse {
        /// The key id.
        id: u32,
        /// Subject keys in the store still wrapped under it.
        subject_keys: u64,
    },
    /// The value was sealed for another context (table, column, row ...).
    #[error("sealed value belongs to another context")]
    ContextMismatch,
    /// Authenticated decryption failed: the envelope was altered (or the key
    /// material differs from the one that sealed it).
    #[error("sealed value failed authentication (tampered or wrong key)")]
    AuthenticationFailed,
    /// The value was sealed for a subject: open it with `open_for`.
    #[error("sealed value is subject-sealed; use open_for")]
    SubjectSealed,
    /// `open_for` was given a value sealed under the keyring, not a subject key.
    #[error("sealed value is not subject-sealed; use open")]
    NotSubjectSealed,
    /// The subject's key was destroyed: its values are gone for good.
    #[error("subject forgotten")]
    SubjectForgotten,
    /// The subject key store has no key for this subject.
    #[error("unknown subject")]
    UnknownSubject,
    /// The audit event of an open could not be recorded, so nothing was
    /// revealed: the plaintext was discarded. See [`crate::audit`].
    #[error("audit event not recorded ({0}); nothing was revealed")]
    AuditFailed(AuditError),
    /// The keyring's access rules refused the reveal ([`AccessError`] says
    /// why; see [`crate::access`]).
    #[error("access refused: {0}")]
    Access(AccessError),
    /// A protected keyring file could not be read.
    #[error("keyring file: {0}")]
    KeyringFile(KeyringFileError),
    /// An I/O error (only its kind is kept: paths and contents never are).
    #[error("I/O error: {0}")]
    Io(std::io::ErrorKind),
    /// A kind name that is none of [`Kind::ALL`] (`cn.id_number`, `id_number`, `id-number`, ...).
    #[error("unknown kind; expected one of: {}", kind_names())]
    UnknownKind,
    /// The key with this id has sealed the nonce budget of its suite
    /// (2^48 values for a `gm` key, counted with the seal ledger; `aes`
    /// keys have none a counter reaches): it seals no more until rotated.
    /// See [`Keyring::allow_over_budget`](crate::Keyring::allow_over_budget).
    #[error(
        "key {0} has sealed its nonce budget (2^48 values for a `gm` key): rotate it (`desensitize keys rotate`) and re-seal"
    )]
    NonceBudgetExhausted(u32),
}

/// Every kind's identifier, for [`Error::UnknownKind`].
fn kind_names() -> String {
    Kind::ALL.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(", ")
}

/// Why an audit event could not be recorded. Value-free, like [`Error`].
/// Re-exported as [`audit::AuditError`](crate::audit::AuditError), where the
/// sinks that return it live.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum AuditError {
    /// Writing or flushing the log failed (only the I/O error kind is kept).
    #[error("writing the audit log failed: {0}")]
    Write(std::io::ErrorKind),
    /// The sink cannot record events now (the text says why, without
    /// values). For sinks written outside this crate, whose causes it
    /// cannot enumerate; the crate's own sinks return the variants below.
    #[error("audit sink unavailable: {0}")]
    Unavailable(&'static str),
    /// A [`JsonLinesAudit`](crate::audit::JsonLinesAudit)'s writer was
    /// poisoned by a panic, possibly mid-line: it records nothing more.
    #[error("audit sink unavailable: audit writer poisoned")]
    WriterPoisoned,
}

impl From<std::io::Error> for AuditError {
    fn from(e: std::io::Error) -> AuditError {
        AuditError::Write(e.kind())
    }
}

/// Why a protected keyring file could not be read. Each is distinct so that
/// an operator knows whether to retype a passphrase or restore a backup.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum KeyringFileError {
    /// The file does not start with the keyring magic bytes.
    #[error("not a keyring file")]
    NotAKeyringFile,
    /// The file's format version is not one this build reads.
    #[error("unsupported keyring file version {0}")]
    UnsupportedVersion(u8),
    /// The file ends early.
    #[error("truncated")]
    Truncated,
    /// The checksum does not match: the file was damaged or edited.
    #[error("corrupted (checksum mismatch)")]
    Corrupted,
    /// The file was written by another key provider.
    #[error("written by another key provider")]
    ProviderMismatch,
    /// The passphrase does not match the one the file was written with.
    #[error("wrong passphrase")]
    WrongPassphrase,
    /// Authenticated decryption failed although the passphrase is right.
    #[error("tampered (authentication failed)")]
    Tampered,
    /// Key-derivation parameters outside the accepted bounds.
    #[error("key-derivation parameters out of bounds")]
    Parameters,
    /// The decrypted contents are not a valid keyring.
    #[error("malformed contents")]
    Malformed,
    /// The file asks for more Argon2id work than the reader's
    /// [`CostLimits`](crate::keys::CostLimits) allow; refused before any
    /// Argon2id work.
    #[error("key-derivation cost above the reader's limits")]
    CostTooHigh,
    /// The pins section breaks SPEC.md §6.2 ([`PinsError`] says how).
    #[error("invalid analytics pins: {0}")]
    InvalidPins(PinsError),
    /// [`Keyring::save`](crate::Keyring::save) was given a symbolic link:
    /// refused, nothing written (a rename would replace the link and leave
    /// the file it points to, and its keys, as they were). Save to the file
    /// the link points to.
    #[error("the path is a symbolic link: give the keyring file itself")]
    SymbolicLink,
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
    /// Opened plaintext that is a valid value but not in the kind's
    /// canonical form (SPEC.md §3.3): a writer that did not normalize.
    #[error("not in canonical form")]
    NonCanonical,
}
