//! Why a setting (FPE, blind index, generalization, database, mask rule) cannot work.

/// Why a format-preserving, blind-index, generalization, kind or database
/// setting cannot work ([`Error::Config`](crate::Error::Config)). Value-free.
///
/// ```
/// use desensitize::generalize::EquivalenceClasses;
/// use desensitize::{ConfigError, Error};
///
/// let err = EquivalenceClasses::new().suppression(1).unwrap_err();
/// assert_eq!(err, Error::Config(ConfigError::KAnonymity));
/// assert_eq!(err.to_string(), "invalid configuration: k-anonymity needs k >= 2");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// An FF1 cipher was asked for a radix outside 2..=65536.
    #[error("FF1 radix must be 2 to 65536")]
    Ff1Radix,
    /// An FF1 tweak is longer than FF1 accepts.
    #[error("FF1 tweak too long")]
    Ff1TweakTooLong,
    /// An FF1 input is longer than FF1 accepts.
    #[error("FF1 numeral string too long")]
    Ff1TooLong,
    /// An FF1 input is too short for the radix (NIST SP 800-38G's minimum
    /// domain) or holds a numeral not below the radix.
    #[error("FF1 input is not a numeral string it accepts")]
    Ff1Numerals,
    /// A decimal FF1 input holds something other than ASCII digits.
    #[error("FF1 decimal input must be ASCII digits under radix 10")]
    Ff1DecimalDigits,
    /// A cycle-walking FPE input lies outside the domain it permutes.
    #[error("cycle-walking input outside its domain")]
    CycleWalkDomain,
    /// A format-preserving pseudonym was asked of a kind that has none.
    #[error("only id_number, mobile_phone and bank_card have format-preserving pseudonyms")]
    NoFpe,
    /// A blind index length outside 1..=64 bits.
    #[error("blind index length must be 1 to 64 bits")]
    IndexBits,
    /// A blind-index transform was applied to a kind it does not read.
    #[error("transform does not apply to this kind")]
    TransformKind,
    /// A blind index as long as its input space: equal indexes would be equal values.
    #[error("index as long as the transform's input space makes every value unique")]
    IndexUnique,
    /// A blind-index plan was asked for too few rows to bound its false positives.
    #[error("too few rows to plan a blind index")]
    TooFewRows,
    /// A planned blind index shorter than its row count allows.
    #[error("too short: each query would return more than sqrt(rows) false positives")]
    IndexTooShort,
    /// A planned blind index longer than its row count allows.
    #[error("too long: fewer than 2 rows per index value, equal indexes reveal equal values")]
    IndexTooLong,
    /// A blind index was asked of a kind that takes none.
    #[error("this kind takes no blind index")]
    NoBlindIndex,
    /// A versioned index was given no version.
    #[error("an index needs at least one version")]
    NoIndexVersion,
    /// A versioned index's versions differ in length.
    #[error("index versions must have the same length in bits")]
    IndexVersionBits,
    /// An age band width outside 1..=50 years.
    #[error("age band width must be 1 to 50 years")]
    AgeBandWidth,
    /// A geohash precision outside 1..=12.
    #[error("geohash precision must be 1 to 12")]
    GeohashPrecision,
    /// A grid cell size outside 0.01..=1000 km.
    #[error("grid cell size must be 0.01 to 1000 km")]
    GridCellSize,
    /// k-anonymity was asked with k below 2.
    #[error("k-anonymity needs k >= 2")]
    KAnonymity,
    /// A generalization fact was asked of a kind that does not carry it.
    #[error("fact does not apply to this kind")]
    FactKind,
    /// A keyed token was asked of biometric templates or passwords.
    #[error("biometric templates and passwords make no keyed tokens")]
    NoToken,
    /// A password was to be sealed; passwords are only hashed.
    #[error("passwords cannot be sealed, only hashed")]
    PasswordSeal,
    /// A password column was given to key rotation; it holds hashes only.
    #[error("passwords are hashed, not sealed: nothing to rotate")]
    PasswordRotate,
    /// A per-subject field was sealed without a subject key store.
    #[error("per-subject field needs a subject key store")]
    NoSubjectStore,
    /// A table or column name that is not a plain SQL identifier.
    #[error("SQL names are 1-63 of A-Z a-z 0-9 _ (schema.table allowed)")]
    SqlName,
    /// A column name was split into schema and table but has no schema.
    #[error("a column name has no schema part")]
    NoSchema,
    /// A rotation plan was given no column.
    #[error("a rotation plan needs at least one column")]
    EmptyRotation,
}

/// Why an analytics domain name was refused ([`Error::Domain`](crate::Error::Domain)).
///
/// ```
/// use desensitize::pseudo::Domain;
/// use desensitize::{DomainError, Error};
///
/// assert_eq!(Domain::new("Sales Team").unwrap_err(), Error::Domain(DomainError::Name));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum DomainError {
    /// The name is empty, longer than 64 characters, or holds a character
    /// other than `a-z 0-9 . _ -`.
    #[error("domain names are 1-64 characters of a-z 0-9 . _ -")]
    Name,
}

/// Why a generic mask rule cannot work ([`Error::InvalidRule`](crate::Error::InvalidRule)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum MaskRuleError {
    /// A kept or masked range whose start is not before its end.
    #[error("range start must be before its end")]
    RangeOrder,
    /// A mask level name that is none of the known levels.
    #[error("unknown mask level")]
    UnknownLevel,
}
