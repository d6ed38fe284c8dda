//! Why access rules refused to reveal a value (`desensitize::access`).

/// Why a keyring with access rules refused to reveal a value
/// ([`Error::Access`](crate::Error::Access)). Value-free: no variant holds a
/// principal, role, purpose or any part of the value; the audit event of
/// the refusal names the principal, role and purpose.
///
/// ```
/// use desensitize::{AccessError, Error};
///
/// let err = Error::Access(AccessError::NoPrincipal);
/// assert_eq!(err.to_string(), "access refused: access rules are attached and no principal was given");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum AccessError {
    /// The keyring has access rules and the open named no principal.
    #[error("access rules are attached and no principal was given")]
    NoPrincipal,
    /// The principal is not mapped to any role (the rules' `[principals]`).
    #[error("the principal has no role in the access rules")]
    UnknownPrincipal,
    /// The principal's role is not defined in the rules.
    #[error("the principal's role is not in the access rules")]
    UnknownRole,
    /// The role may not open values for this purpose.
    #[error("the role may not open values for this purpose")]
    Purpose,
    /// The role may not reveal this kind (or this column) at all.
    #[error("the role may not reveal this kind here")]
    Denied,
    /// The reveal budget is spent until its window passes or an
    /// administrator lifts it.
    #[error("reveal budget exceeded ({0})")]
    OverBudget(BudgetLimit),
    /// The role may see this value masked only, and the caller needs the
    /// value itself (a field of a derived record opened as a principal).
    #[error("the role may see this value masked only")]
    MaskedOnly,
    /// The reveal counter could not count the reveal, so nothing was revealed.
    #[error("reveal counter unavailable: {0}")]
    Counter(CounterError),
}

/// Which limit of a reveal budget.
///
/// ```
/// use desensitize::{AccessError, BudgetLimit, Error};
///
/// let err = Error::Access(AccessError::OverBudget(BudgetLimit::SubjectsPerDay));
/// assert_eq!(err.to_string(), "access refused: reveal budget exceeded (subjects_per_day)");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum BudgetLimit {
    /// Values revealed in the current minute.
    PerMinute,
    /// Values revealed in the current (UTC) day.
    PerDay,
    /// Distinct subjects (rows) revealed in the current (UTC) day.
    SubjectsPerDay,
}

impl BudgetLimit {
    /// `per_minute`, `per_day` or `subjects_per_day` (the rules file's keys).
    pub fn as_str(self) -> &'static str {
        match self {
            BudgetLimit::PerMinute => "per_minute",
            BudgetLimit::PerDay => "per_day",
            BudgetLimit::SubjectsPerDay => "subjects_per_day",
        }
    }
}

impl core::fmt::Display for BudgetLimit {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a reveal counter could not count ([`AccessError::Counter`]).
///
/// ```
/// use desensitize::{AccessError, CounterError, Error};
///
/// let err = Error::Access(AccessError::Counter(CounterError::Corrupt));
/// assert_eq!(err.to_string(), "access refused: reveal counter unavailable: counter file is corrupt");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum CounterError {
    /// Reading, locking or writing the counter file failed.
    #[error("counter file: {0}")]
    Io(std::io::ErrorKind),
    /// The counter file is not what this crate writes (or is over its size cap).
    #[error("counter file is corrupt")]
    Corrupt,
    /// The counter's lock was poisoned by a panicking thread.
    #[error("counter lock poisoned")]
    Poisoned,
    /// The counter database refused or failed the update.
    #[error("counter database failed")]
    Database,
}

impl From<std::io::Error> for CounterError {
    fn from(e: std::io::Error) -> CounterError {
        CounterError::Io(e.kind())
    }
}
