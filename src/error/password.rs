//! Why Argon2id refused its parameters or a PHC string.

/// Why Argon2id password hashing refused its parameters, a PHC string, or
/// failed ([`Error::PasswordHash`](crate::Error::PasswordHash)). Value-free:
/// neither the password nor the hash is kept.
///
/// ```
/// use desensitize::{Error, PasswordHash, PasswordHashError};
///
/// let err = "$bcrypt$x".parse::<PasswordHash>().unwrap_err();
/// assert_eq!(err, Error::PasswordHash(PasswordHashError::NotArgon2id));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum PasswordHashError {
    /// Memory cost below 8 KiB per lane.
    #[error("memory cost too small (at least 8 KiB per lane)")]
    MemoryTooSmall,
    /// Memory cost above what Argon2 accepts.
    #[error("memory cost too large")]
    MemoryTooLarge,
    /// Time cost (passes) of 0.
    #[error("time cost must be at least 1")]
    TimeTooSmall,
    /// Parallelism (lanes) of 0.
    #[error("parallelism must be at least 1")]
    ParallelismTooSmall,
    /// Parallelism above what Argon2 accepts.
    #[error("parallelism too large")]
    ParallelismTooLarge,
    /// Any other parameter set Argon2 refuses.
    #[error("invalid argon2 parameters")]
    InvalidParams,
    /// Costs above the accepted limits (refused before any Argon2id work).
    #[error("argon2 cost above the accepted limits")]
    CostAboveLimits,
    /// Argon2id failed while hashing.
    #[error("argon2id hashing failed")]
    HashingFailed,
    /// The PHC string is not an Argon2id one.
    #[error("not an argon2id PHC string")]
    NotArgon2id,
    /// The PHC string names an Argon2 version other than 0x13.
    #[error("unsupported argon2 version (need v=19)")]
    UnsupportedVersion,
    /// The PHC string's `m=`, `t=`, `p=` parameters do not parse.
    #[error("invalid argon2 parameters in PHC string")]
    PhcParams,
    /// The PHC string lacks its salt or its hash.
    #[error("PHC string lacks salt or hash")]
    PhcMissingParts,
}
