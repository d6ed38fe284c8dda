//! Policy errors: a policy that cannot be read, checked or compiled, and a
//! row that cannot be processed. Messages name keys, columns and rows, never
//! a value of a record.

use std::borrow::Cow;
use std::fmt;

/// A policy that cannot be read, checked, or compiled against a header.
///
/// Its own type rather than a variant of [`crate::Error`]: it carries the
/// names of policy keys and columns (owned text chosen by the operator),
/// which the crate's value-free `Error` deliberately never holds.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum PolicyError {
    /// The TOML or JSON text is malformed, or a key has the wrong type.
    Syntax(String),
    /// A key the schema does not have.
    UnknownKey {
        /// Where: `the policy`, `[columns.NAME]` or `[k_anonymity]`.
        section: String,
        /// The key as written.
        key: String,
        /// The nearest valid key, when close enough to be a typo.
        suggestion: Option<&'static str>,
    },
    /// A record-wide setting is not acceptable.
    Setting {
        /// The setting (`today`, `marker`, `minors`, ...).
        key: &'static str,
        /// What is wrong, as it reads after the key (`= "x": expected ...`).
        reason: String,
    },
    /// A column's entry is not acceptable.
    Column {
        /// The policy column.
        column: String,
        /// What is wrong.
        reason: String,
    },
    /// `[k_anonymity]` is not acceptable.
    KAnonymity(String),
    /// The header names a column twice.
    DuplicateHeader(String),
    /// Policy columns that the header lacks.
    NotInHeader(Vec<String>),
    /// A column named by a setting (`row_id`, `consent_column`) that the header lacks.
    SettingNotInHeader {
        /// The setting.
        key: &'static str,
        /// The column it names.
        column: String,
    },
    /// Header columns the policy does not name, under `unnamed_columns = "refuse"`.
    Unnamed(Vec<String>),
    /// Two output columns would have the same name.
    DuplicateOutput(String),
    /// A column needs the keyring and none was given.
    NeedsKeys(String),
    /// The keyring refused a column's key (no active key, a blind index too long, ...).
    Key {
        /// The policy column.
        column: String,
        /// The library's (value-free) error.
        source: crate::Error,
    },
}

fn names(columns: &[String]) -> String {
    columns.iter().map(|c| format!("`{c}`")).collect::<Vec<_>>().join(", ")
}

fn plural(n: usize) -> &'static str {
    if n > 1 { "s" } else { "" }
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PolicyError::Syntax(m) => f.write_str(m),
            PolicyError::UnknownKey { section, key, suggestion } => {
                write!(f, "unknown key `{key}` in {section}")?;
                match suggestion {
                    Some(s) => write!(f, ": did you mean `{s}`?"),
                    None => Ok(()),
                }
            }
            PolicyError::Setting { key, reason } => write!(f, "{key} {reason}"),
            PolicyError::Column { column, reason } => write!(f, "column `{column}`: {reason}"),
            PolicyError::KAnonymity(m) => write!(f, "k_anonymity: {m}"),
            PolicyError::DuplicateHeader(h) => write!(f, "the input header has column `{h}` twice"),
            PolicyError::NotInHeader(c) => {
                write!(f, "policy column{} {} not in the input header", plural(c.len()), names(c))
            }
            PolicyError::SettingNotInHeader { key, column } => {
                write!(f, "{key} column `{column}` is not in the input header")
            }
            PolicyError::Unnamed(c) => write!(
                f,
                "input column{} {} not in the policy (unnamed_columns = \"refuse\"): add {} to the policy, or set \
                 unnamed_columns = \"drop\" or \"keep\"",
                plural(c.len()),
                names(c),
                if c.len() > 1 { "them" } else { "it" }
            ),
            PolicyError::DuplicateOutput(name) => write!(
                f,
                "output column `{name}` would appear twice (a derived column clashes with an unnamed input column \
                 kept by unnamed_columns = \"keep\")"
            ),
            PolicyError::NeedsKeys(c) => write!(f, "column `{c}` needs keys: no keyring was given"),
            PolicyError::Key { column, source } => write!(f, "column `{column}`: {source}"),
        }
    }
}

impl std::error::Error for PolicyError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            PolicyError::Key { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// Why a cell or a row was refused: static text or a library error's
/// message, never the value.
pub type Reason = Cow<'static, str>;

/// A row that could not be processed, or a cell marked invalid: where, and
/// why. It never holds the value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// The row number the caller gave (1-based in `run`).
    pub row: u64,
    /// The input column (index in the header), when one is to blame.
    pub column: Option<usize>,
    /// What was wrong.
    pub reason: Reason,
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.column {
            Some(c) => write!(f, "row {}, column #{c}: {}", self.row, self.reason),
            None => write!(f, "row {}: {}", self.row, self.reason),
        }
    }
}

impl std::error::Error for RowError {}
