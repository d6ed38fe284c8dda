//! Policy errors: a policy that cannot be read, checked or compiled, and a
//! row that cannot be processed. Messages name keys, columns and rows, never
//! a value of a record.

use std::borrow::Cow;
use std::fmt;

use crate::{Invalid, Kind};

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
    /// `[privacy]` is not acceptable, or the table misses it beyond its
    /// suppression budget ([`RiskError::Unmet`](crate::risk::RiskError::Unmet),
    /// naming the class by its generalized key).
    Privacy(crate::risk::RiskError),
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
    /// [`Unnamed`](Self::Unnamed) for a header that is data (the keys of a
    /// JSON Lines input's first record): the fields by position (from 1),
    /// never by their text, since a key can be a value in a malformed export.
    /// See [`PolicyError::keys_by_position`].
    UnnamedFields(Vec<usize>),
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
            PolicyError::Privacy(e) => write!(f, "privacy: {e}"),
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
            PolicyError::UnnamedFields(p) => write!(
                f,
                "field{} {} of the first JSON Lines record {} not in the policy (unnamed_columns = \"refuse\"): \
                 add {} to the policy, or set unnamed_columns = \"drop\" or \"keep\"",
                plural(p.len()),
                p.iter().map(usize::to_string).collect::<Vec<_>>().join(", "),
                if p.len() > 1 { "are" } else { "is" },
                if p.len() > 1 { "their keys" } else { "its key" }
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

impl PolicyError {
    /// This error as it must read when `header` is data, not names an
    /// operator chose (the keys of a JSON Lines input's first record):
    /// [`Unnamed`](Self::Unnamed) becomes [`UnnamedFields`](Self::UnnamedFields),
    /// the keys named by their positions in `header`. Other errors name
    /// only what the policy itself names and are returned as they are.
    ///
    /// ```
    /// use desensitize::policy::{Plan, Policy, PolicyError};
    ///
    /// let policy = Policy::from_json(r#"{"columns": {"id": {"action": "keep"}}}"#)?;
    /// let keys = ["id", "13800138000"];
    /// let err = Plan::from_policy(&policy, &keys, None).unwrap_err().keys_by_position(&keys);
    /// assert_eq!(err, PolicyError::UnnamedFields(vec![2]));
    /// assert!(!err.to_string().contains("13800138000"));
    /// # Ok::<(), PolicyError>(())
    /// ```
    #[must_use]
    pub fn keys_by_position<S: AsRef<str>>(self, header: &[S]) -> PolicyError {
        match self {
            PolicyError::Unnamed(names) => PolicyError::UnnamedFields(
                header
                    .iter()
                    .enumerate()
                    .filter(|(_, h)| names.iter().any(|n| n == h.as_ref()))
                    .map(|(i, _)| i + 1)
                    .collect(),
            ),
            e => e,
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

/// Why a cell or a row was refused: a typed cause, never the value.
///
/// Its text is the message `desensitize run` prints and writes to its
/// rejects file; match on the variant to tell causes apart:
///
/// ```
/// use desensitize::policy::{Plan, Policy, Reason};
/// use desensitize::{Invalid, Kind};
/// # use desensitize::policy::{Cells, Report};
///
/// let policy = Policy::from_json(r#"{"columns": {"id": {"kind": "id_number", "action": "mask"}}}"#)?;
/// let plan = Plan::from_policy(&policy, &["id"], None)?;
/// let (mut cells, mut report) = (Cells::new(), Report::default());
/// let err = plan.apply(1, &["110105194912310021"][..], &mut cells, &mut report).unwrap_err();
/// assert_eq!(err.reason, Reason::Invalid { kind: Kind::IdNumber, reason: Invalid::CheckDigit });
/// assert_eq!(err.to_string(), "row 1, column #0: invalid cn.id_number: check digit mismatch");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Reason {
    /// The value is not valid for its kind.
    Invalid {
        /// The kind the column's values are parsed as.
        kind: Kind,
        /// What was wrong with the value.
        reason: Invalid,
    },
    /// The library refused to process a valid value: a key, sealing, FPE or
    /// generalization error (value-free, like every [`crate::Error`]).
    Error(crate::Error),
    /// The field is not valid UTF-8.
    NotUtf8,
    /// The row id (the `row_id` column) is empty, so the value cannot be sealed for its row.
    EmptyRowId,
    /// The row id is not valid UTF-8, so the value cannot be sealed for its row.
    RowIdNotUtf8,
    /// The `consent_column` flag is not `true/false`, `1/0` or `yes/no`.
    ConsentFlag,
    /// The record has another number of fields than the header.
    FieldCount {
        /// Fields in the record.
        fields: usize,
        /// Columns in the header.
        header: usize,
    },
    /// The columns of a batch are not one per header column, all of one length.
    BatchShape {
        /// Columns in the batch.
        columns: usize,
        /// Columns in the header.
        header: usize,
    },
    /// `apply` under k-anonymity before [`Plan::finish_counting`](super::Plan::finish_counting).
    CountingUnfinished,
    /// An empty value where a value is required (a one-column function).
    EmptyValue,
    /// Another cause, as fixed text (never a value).
    Other(&'static str),
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::Invalid { kind, reason } => write!(f, "invalid {kind}: {reason}"),
            Reason::Error(e) => e.fmt(f),
            Reason::NotUtf8 => f.write_str(NOT_UTF8),
            Reason::EmptyRowId => f.write_str(EMPTY_ROW_ID),
            Reason::RowIdNotUtf8 => f.write_str(ROW_ID_NOT_UTF8),
            Reason::ConsentFlag => f.write_str(CONSENT_FLAG),
            Reason::FieldCount { fields, header } => write!(f, "{fields} fields, the header has {header}"),
            Reason::BatchShape { columns, header } => {
                write!(
                    f,
                    "the batch has {columns} columns of unequal or wrong lengths; the header has {header}"
                )
            }
            Reason::CountingUnfinished => f.write_str("k-anonymity: the counting pass was not finished"),
            Reason::EmptyValue => f.write_str(EMPTY_VALUE),
            Reason::Other(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for Reason {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Reason::Error(e) => Some(e),
            _ => None,
        }
    }
}

const NOT_UTF8: &str = "not valid UTF-8";
const EMPTY_ROW_ID: &str = "the row id is empty";
const ROW_ID_NOT_UTF8: &str = "the row id is not valid UTF-8";
const CONSENT_FLAG: &str = "consent flag is not true/false, 1/0 or yes/no";
const EMPTY_VALUE: &str = "empty value";

/// A library error: an invalid value becomes [`Reason::Invalid`], anything
/// else [`Reason::Error`].
impl From<crate::Error> for Reason {
    fn from(e: crate::Error) -> Reason {
        match e {
            crate::Error::Invalid { kind, reason } => Reason::Invalid { kind, reason },
            e => Reason::Error(e),
        }
    }
}

/// Fixed text: the texts of the typed causes become their variant (so a
/// processor that writes `"the row id is empty".into()` still yields
/// [`Reason::EmptyRowId`]); any other text is [`Reason::Other`].
impl From<&'static str> for Reason {
    fn from(m: &'static str) -> Reason {
        match m {
            NOT_UTF8 => Reason::NotUtf8,
            EMPTY_ROW_ID => Reason::EmptyRowId,
            ROW_ID_NOT_UTF8 => Reason::RowIdNotUtf8,
            CONSENT_FLAG => Reason::ConsentFlag,
            EMPTY_VALUE => Reason::EmptyValue,
            m => Reason::Other(m),
        }
    }
}

/// The message, for callers that keep reasons as text (static causes are not copied).
impl From<Reason> for Cow<'static, str> {
    fn from(r: Reason) -> Cow<'static, str> {
        match r.static_text() {
            Some(m) => Cow::Borrowed(m),
            None => Cow::Owned(r.to_string()),
        }
    }
}

impl Reason {
    /// The message of a cause without parameters.
    fn static_text(&self) -> Option<&'static str> {
        Some(match self {
            Reason::NotUtf8 => NOT_UTF8,
            Reason::EmptyRowId => EMPTY_ROW_ID,
            Reason::RowIdNotUtf8 => ROW_ID_NOT_UTF8,
            Reason::ConsentFlag => CONSENT_FLAG,
            Reason::EmptyValue => EMPTY_VALUE,
            Reason::Other(m) => m,
            _ => return None,
        })
    }
}

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

impl std::error::Error for RowError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.reason {
            Reason::Error(e) => Some(e),
            _ => None,
        }
    }
}
