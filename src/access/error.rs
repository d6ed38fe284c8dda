//! Why an access rules document was refused.

use std::fmt;

/// Why access rules could not be read or checked. Rules hold no personal
/// data, so messages name keys, roles and kinds.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RulesError {
    /// The text is not TOML / JSON of the expected shape.
    Syntax(String),
    /// A key the rules do not know.
    UnknownKey {
        /// Where: `the access rules`, `[roles.NAME]`, `[roles.NAME.budget]`.
        section: String,
        /// The key as written.
        key: String,
        /// The nearest valid key, when close enough to be a typo.
        suggestion: Option<&'static str>,
    },
    /// A principal is mapped to a role the rules do not define.
    UnknownRole {
        /// The principal.
        principal: String,
        /// The role it names.
        role: String,
    },
    /// A role's setting cannot work.
    Role {
        /// The role.
        role: String,
        /// Why.
        reason: String,
    },
}

impl fmt::Display for RulesError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RulesError::Syntax(m) => f.write_str(m),
            RulesError::UnknownKey { section, key, suggestion } => {
                write!(f, "unknown key `{key}` in {section}")?;
                match suggestion {
                    Some(s) => write!(f, ": did you mean `{s}`?"),
                    None => Ok(()),
                }
            }
            RulesError::UnknownRole { principal, role } => {
                write!(f, "principal `{principal}` has role `{role}`, which no [roles.{role}] defines")
            }
            RulesError::Role { role, reason } => write!(f, "[roles.{role}]: {reason}"),
        }
    }
}

impl std::error::Error for RulesError {}
