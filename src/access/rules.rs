//! The access rules as written: serde types for the TOML / JSON document,
//! read with unknown keys refused (with a suggestion) and checked whole.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::RulesError;
use crate::error::BudgetLimit;
use crate::kind::Kind;
use crate::mask::MaskLevel;
use crate::suggest::nearest;

/// Access rules: roles, what each may reveal and for which purposes, their
/// reveal budgets, and (optionally) which principal has which role.
///
/// ```
/// use desensitize::access::{AccessRules, Reveal};
/// use desensitize::Kind;
///
/// let rules = AccessRules::from_toml(r#"
///     [principals]
///     alice = "support"
///
///     [roles.support]
///     purposes = ["support-ticket"]
///     kinds = { mobile_phone = "standard", id_number = "none" }
///     budget = { per_minute = 10, per_day = 200 }
/// "#)?;
/// assert_eq!(rules.roles["support"].kinds["mobile_phone"], Reveal::Standard);
/// assert_eq!(rules.role_of("alice"), Some("support"));
///
/// // Unknown keys are refused, with the key meant.
/// let err = AccessRules::from_toml("[roles.support]\npurposes = []\nkinsd = {}\n").unwrap_err();
/// assert_eq!(err.to_string(), "unknown key `kinsd` in [roles.support]: did you mean `kinds`?");
/// # Ok::<(), desensitize::access::RulesError>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessRules {
    /// Principal name -> role name: the mapping the CLI's `--as NAME` reads.
    /// Library callers may build [`Principal`](super::Principal)s themselves.
    #[serde(default)]
    pub principals: BTreeMap<String, String>,
    /// Role name -> what the role may do.
    #[serde(default)]
    pub roles: BTreeMap<String, Role>,
}

/// What one role may reveal, for which purposes, within which budget.
///
/// The reveal for a value: its `table.column` in `columns` first, then its
/// kind in `kinds`, then `default` (itself `none` unless set).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Role {
    /// The purposes this role may open values for; `"*"` for any. Required:
    /// a role without purposes opens nothing.
    pub purposes: Vec<String>,
    /// The reveal for kinds and columns not listed.
    #[serde(default)]
    pub default: Reveal,
    /// Per kind (`mobile_phone`, `cn.id_number`, ...).
    #[serde(default)]
    pub kinds: BTreeMap<String, Reveal>,
    /// Per `table.column` of the value's context.
    #[serde(default)]
    pub columns: BTreeMap<String, Reveal>,
    /// The role's reveal budget, if any.
    #[serde(default)]
    pub budget: Option<Budget>,
}

/// How much of a value a role sees.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Reveal {
    /// Nothing: the open is refused.
    #[default]
    None,
    /// The masked display at [`MaskLevel::Strict`].
    Strict,
    /// The masked display at [`MaskLevel::Standard`] (also written `mask`).
    #[serde(alias = "mask")]
    Standard,
    /// The masked display at [`MaskLevel::Relaxed`].
    Relaxed,
    /// The plaintext.
    Full,
}

impl Reveal {
    /// The mask level of a masked reveal; `None` for `none` and `full`.
    pub fn mask_level(self) -> Option<MaskLevel> {
        match self {
            Reveal::Strict => Some(MaskLevel::Strict),
            Reveal::Standard => Some(MaskLevel::Standard),
            Reveal::Relaxed => Some(MaskLevel::Relaxed),
            Reveal::None | Reveal::Full => None,
        }
    }
}

/// A reveal budget: limits per window, and the share of a limit at which an
/// alarm is raised. Counted per principal (default) or for the whole role.
/// Masked reveals count too; refusals do not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Budget {
    /// Values revealed per minute (the wall clock's minute, UTC).
    #[serde(default)]
    pub per_minute: Option<u64>,
    /// Values revealed per UTC day.
    #[serde(default)]
    pub per_day: Option<u64>,
    /// Distinct subjects (the context's `row`, or the subject of a
    /// subject-sealed value) per UTC day.
    #[serde(default)]
    pub subjects_per_day: Option<u64>,
    /// The alarm threshold, in percent of each limit (default 80).
    #[serde(default = "default_warn")]
    pub warn_at_percent: u8,
    /// `principal` (each principal has its own count) or `role` (one count).
    #[serde(default)]
    pub scope: BudgetScope,
}

fn default_warn() -> u8 {
    80
}

/// Whom a budget counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BudgetScope {
    /// Each principal of the role separately.
    #[default]
    Principal,
    /// All principals of the role together.
    Role,
}

impl Budget {
    /// The limit set for `which`, if any.
    pub fn limit(&self, which: BudgetLimit) -> Option<u64> {
        match which {
            BudgetLimit::PerMinute => self.per_minute,
            BudgetLimit::PerDay => self.per_day,
            BudgetLimit::SubjectsPerDay => self.subjects_per_day,
        }
    }

    /// The count at which `which` raises its alarm (at least 1).
    pub fn warn_at(&self, which: BudgetLimit) -> Option<u64> {
        let limit = self.limit(which)?;
        Some((limit.saturating_mul(u64::from(self.warn_at_percent)).div_ceil(100)).max(1))
    }
}

const TOP_KEYS: &[&str] = &["principals", "roles"];
const ROLE_KEYS: &[&str] = &["purposes", "default", "kinds", "columns", "budget"];
const BUDGET_KEYS: &[&str] = &["per_minute", "per_day", "subjects_per_day", "warn_at_percent", "scope"];

impl AccessRules {
    /// Read and check rules from TOML text.
    #[cfg(feature = "toml")]
    pub fn from_toml(text: &str) -> Result<AccessRules, RulesError> {
        let value: serde_json::Value = toml::from_str(text).map_err(|e| RulesError::Syntax(e.to_string()))?;
        AccessRules::from_value(value)
    }

    /// Read and check rules from JSON text (the same keys as the TOML form).
    ///
    /// ```
    /// use desensitize::access::AccessRules;
    ///
    /// let rules = AccessRules::from_json(r#"{"roles": {"auditor": {"purposes": ["audit"], "default": "full"}}}"#)?;
    /// assert_eq!(rules.roles["auditor"].purposes, ["audit"]);
    /// # Ok::<(), desensitize::access::RulesError>(())
    /// ```
    pub fn from_json(text: &str) -> Result<AccessRules, RulesError> {
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| RulesError::Syntax(e.to_string()))?;
        AccessRules::from_value(value)
    }

    fn from_value(value: serde_json::Value) -> Result<AccessRules, RulesError> {
        if let Some(top) = value.as_object() {
            unknown_keys(top.keys(), TOP_KEYS, "the access rules")?;
            for (name, role) in top.get("roles").and_then(|r| r.as_object()).into_iter().flatten() {
                let Some(role) = role.as_object() else { continue };
                unknown_keys(role.keys(), ROLE_KEYS, &format!("[roles.{name}]"))?;
                if let Some(budget) = role.get("budget").and_then(|b| b.as_object()) {
                    unknown_keys(budget.keys(), BUDGET_KEYS, &format!("[roles.{name}.budget]"))?;
                }
            }
        }
        let rules: AccessRules =
            serde_json::from_value(value).map_err(|e| RulesError::Syntax(e.to_string()))?;
        rules.check()?;
        Ok(rules)
    }

    /// Check what serde cannot: every principal's role exists, every kind
    /// name is a kind, every column is `table.column`, budgets are sane.
    pub fn check(&self) -> Result<(), RulesError> {
        for (principal, role) in &self.principals {
            if !self.roles.contains_key(role) {
                return Err(RulesError::UnknownRole { principal: principal.clone(), role: role.clone() });
            }
        }
        for (name, role) in &self.roles {
            let bad = |reason: String| RulesError::Role { role: name.clone(), reason };
            for kind in role.kinds.keys() {
                kind.parse::<Kind>().map_err(|_| bad(format!("unknown kind `{kind}`")))?;
            }
            for column in role.columns.keys() {
                if column.split('.').count() != 2 || column.split('.').any(str::is_empty) {
                    return Err(bad(format!("column `{column}` is not `table.column`")));
                }
            }
            if let Some(b) = &role.budget {
                if !(1..=100).contains(&b.warn_at_percent) {
                    return Err(bad("budget warn_at_percent must be 1 to 100".into()));
                }
                if [b.per_minute, b.per_day, b.subjects_per_day].contains(&Some(0)) {
                    return Err(bad("budget limits must be at least 1".into()));
                }
            }
        }
        Ok(())
    }

    /// The role the rules map principal `name` to.
    pub fn role_of(&self, name: &str) -> Option<&str> {
        self.principals.get(name).map(String::as_str)
    }
}

impl Role {
    /// Whether the role may open values for `purpose`.
    pub fn allows_purpose(&self, purpose: &str) -> bool {
        self.purposes.iter().any(|p| p == "*" || p == purpose)
    }

    /// The reveal for a value of `kind` at `table.column` (when known).
    pub fn reveal_for(&self, kind: Kind, column: Option<(&str, &str)>) -> Reveal {
        if let Some((table, col)) = column {
            let found = self.columns.iter().find(|(k, _)| k.split_once('.') == Some((table, col)));
            if let Some((_, reveal)) = found {
                return *reveal;
            }
        }
        let by_kind = self.kinds.iter().find(|(k, _)| k.parse::<Kind>() == Ok(kind));
        by_kind.map_or(self.default, |(_, r)| *r)
    }
}

fn unknown_keys<'a>(
    keys: impl Iterator<Item = &'a String>,
    valid: &[&'static str],
    section: &str,
) -> Result<(), RulesError> {
    for key in keys {
        if !valid.contains(&key.as_str()) {
            return Err(RulesError::UnknownKey {
                section: section.to_owned(),
                key: key.clone(),
                suggestion: nearest(key, valid),
            });
        }
    }
    Ok(())
}
