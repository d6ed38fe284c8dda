//! Why a measurement, a privacy model or a search cannot work. Messages
//! name settings, columns, lines and generalized class keys, never a
//! record's raw value.

use std::fmt;

/// The requirement of a privacy model that a class misses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Requirement {
    /// Fewer than k records.
    K,
    /// Fewer than l distinct sensitive values.
    DistinctL,
    /// Entropy of the sensitive values below `ln l`.
    EntropyL,
    /// Sensitive values farther than t from the whole table's.
    T,
    /// A record's prosecutor risk (`1/size`) above `max_risk`.
    MaxRisk,
}

impl Requirement {
    /// The requirement's name in a policy.
    pub fn as_str(self) -> &'static str {
        match self {
            Requirement::K => "k",
            Requirement::DistinctL => "l (distinct)",
            Requirement::EntropyL => "l (entropy)",
            Requirement::T => "t",
            Requirement::MaxRisk => "max_risk",
        }
    }
}

/// A table that misses a privacy model even after suppressing every
/// failing class allowed by the suppression budget.
#[derive(Debug, Clone, PartialEq)]
pub struct Unmet {
    /// What the named class misses.
    pub requirement: Requirement,
    /// The largest failing class, by its generalized key (one value per
    /// quasi-identifier).
    pub class: Vec<String>,
    /// The sensitive column, for l and t.
    pub attribute: Option<String>,
    /// Classes that miss the model.
    pub failing_classes: u64,
    /// Records in them (all would have to be suppressed).
    pub failing_records: u64,
    /// Records the suppression budget allows.
    pub budget: u64,
}

/// Why a measurement, privacy model, hierarchy or search cannot work.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum RiskError {
    /// A setting out of its range.
    Setting {
        /// The setting (`k`, `l`, `t`, `max_risk`, `max_suppression`, ...).
        key: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The table misses the model beyond the suppression budget.
    Unmet(Box<Unmet>),
    /// A column the input does not have.
    NoColumn(String),
    /// The input cannot be read (the stream's message: rows and columns, never values).
    Input(String),
    /// A hierarchy that cannot be used: its column, and why (a line
    /// number, never a value).
    Hierarchy {
        /// The quasi-identifier.
        column: String,
        /// What is wrong.
        reason: String,
    },
    /// More distinct values than the search can pack into its class keys.
    TooManyValues,
    /// No generalization in the lattice meets the model within the budget.
    NoSolution,
}

impl fmt::Display for RiskError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RiskError::Setting { key, reason } => write!(f, "{key} {reason}"),
            RiskError::Unmet(u) => {
                write!(f, "class ({}) misses {}", u.class.join(", "), u.requirement.as_str())?;
                if let Some(a) = &u.attribute {
                    write!(f, " of `{a}`")?;
                }
                write!(
                    f,
                    "; {} classes of {} records miss the model, the suppression budget is {} records",
                    u.failing_classes, u.failing_records, u.budget
                )
            }
            RiskError::NoColumn(c) => write!(f, "no column `{c}` in the input"),
            RiskError::Input(m) => f.write_str(m),
            RiskError::Hierarchy { column, reason } => write!(f, "hierarchy of `{column}`: {reason}"),
            RiskError::TooManyValues => f.write_str(
                "too many distinct quasi-identifier values for the search (more than 2^128 combinations)",
            ),
            RiskError::NoSolution => {
                f.write_str("no generalization in the lattice meets the model within the suppression budget")
            }
        }
    }
}

impl std::error::Error for RiskError {}
