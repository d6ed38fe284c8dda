//! The policy as written: a serde type for the TOML / JSON schema of
//! `examples/policy.toml`. Nothing here is checked beyond its shape;
//! [`Policy::check`](super::Policy::check) turns it into [`Rules`](super::Rules).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::PolicyError;
use crate::suggest::nearest;

/// A record policy as written: what every column of a record becomes.
///
/// Read it from TOML ([`Policy::from_toml`], default feature `toml`) or JSON
/// ([`Policy::from_json`]), or build it in code. Unknown keys are refused,
/// with the nearest valid name suggested.
///
/// ```
/// use desensitize::policy::Policy;
///
/// let p = Policy::from_json(r#"{"columns": {"phone": {"kind": "mobile_phone", "action": "mask"}}}"#)?;
/// assert_eq!(p.columns["phone"].action, "mask");
///
/// let err = Policy::from_json(r#"{"columns": {"phone": {"acton": "mask"}}}"#).unwrap_err();
/// assert_eq!(err.to_string(), "unknown key `acton` in [columns.phone]: did you mean `action`?");
/// # Ok::<(), desensitize::policy::PolicyError>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// Context table for sealed values, and the default blind-index name prefix.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub table: Option<String>,
    /// The column whose value is the row id bound into every sealed value of the row.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub row_id: Option<String>,
    /// What happens to a column the policy does not name (default: refuse).
    #[serde(default)]
    pub unnamed_columns: Unnamed,
    /// What happens to a value that is not valid for its kind (default: error).
    #[serde(default)]
    pub on_invalid: OnInvalid,
    /// What is written in place of an invalid value under `on_invalid = "mark"`
    /// (default `#INVALID`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub marker: Option<String>,
    /// The date ages are computed on, `YYYY-MM-DD` (default: today, China time).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub today: Option<String>,
    /// What happens to the row of a holder under 14 (default: same as any row).
    #[serde(default)]
    pub minors: Minors,
    /// The column of `true` / `false` consent flags: where false, sensitive
    /// columns are written empty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consent_column: Option<String>,
    /// The columns, by input column name.
    #[serde(default)]
    pub columns: BTreeMap<String, ColumnSpec>,
    /// Optional k-anonymity over output columns (the older form of `privacy`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub k_anonymity: Option<KAnonymitySpec>,
    /// Optional privacy model over output columns: k, l, t, risk, suppression budget.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub privacy: Option<PrivacySpec>,
}

/// One column as written (`[columns.NAME]`). The names are those of
/// `examples/policy.toml`; [`Policy::check`](super::Policy::check) says
/// which combinations are valid.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnSpec {
    /// `keep`, `drop`, `mask`, `seal`, `pseudonym`, `fpe`, `generalize` or `blind-index`.
    pub action: String,
    /// The kind values are parsed as (`id_number`, `mobile_phone`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// Mask level: `strict`, `standard` or `relaxed`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<String>,
    /// Pseudonym / FPE domain, or blind-index name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    /// Blind-index length in bits.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bits: Option<i64>,
    /// Blind-index transform: `full`, `last4`, `birth_year`, `email_domain`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transform: Option<String>,
    /// The fact `generalize` replaces the value with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// Derived columns: fact name → output column name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generalize: Option<BTreeMap<String, String>>,
    /// Age band width in years.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub band_width: Option<i64>,
    /// Geohash precision (characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub precision: Option<i64>,
    /// Grid cell size in km.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grid_km: Option<f64>,
}

/// `[k_anonymity]` as written.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KAnonymitySpec {
    /// Smallest class size kept.
    pub k: i64,
    /// Output columns whose values define the classes.
    pub quasi_identifiers: Vec<String>,
}

/// `[privacy]` as written: the privacy model the output must meet. Rows of
/// classes that miss it are withheld, up to `max_suppression` of the rows
/// (default 0.05); beyond that the run is refused, naming the largest
/// failing class by its generalized key.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrivacySpec {
    /// Smallest class size kept (default 1: no k requirement).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub k: Option<i64>,
    /// Output columns whose values define the classes.
    pub quasi_identifiers: Vec<String>,
    /// l-diversity of every `sensitive` column.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub l: Option<i64>,
    /// `distinct` (default) or `entropy` l-diversity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diversity: Option<String>,
    /// Output columns whose values l and t protect.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sensitive: Vec<String>,
    /// t-closeness (earth mover's distance) of every `sensitive` column.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub t: Option<f64>,
    /// The highest prosecutor risk (`1 / class size`) allowed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_risk: Option<f64>,
    /// The share of rows that may be withheld to meet the model (default 0.05).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_suppression: Option<f64>,
}

/// What happens to an input column that the policy does not name.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Unnamed {
    /// Refuse the header (the default: nothing leaks by omission).
    #[default]
    Refuse,
    /// Leave it out of the output.
    Drop,
    /// Copy it unchanged.
    Keep,
}

/// What happens to a value that is not valid for its kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OnInvalid {
    /// The row fails (the default).
    #[default]
    Error,
    /// The marker is written in its cells, and the cell is reported.
    Mark,
}

/// What happens to the row of an ID number holder under 14 on `today`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Minors {
    /// Like any other row (the default).
    #[default]
    Same,
    /// Every masked column at the strict level; facts no finer than the province.
    Strict,
    /// The row is withheld.
    Suppress,
}

const TOP_KEYS: &[&str] = &[
    "table",
    "row_id",
    "unnamed_columns",
    "on_invalid",
    "marker",
    "today",
    "minors",
    "consent_column",
    "columns",
    "k_anonymity",
    "privacy",
];
const COLUMN_KEYS: &[&str] = &[
    "action",
    "kind",
    "level",
    "domain",
    "bits",
    "transform",
    "to",
    "generalize",
    "band_width",
    "precision",
    "grid_km",
];
const KANON_KEYS: &[&str] = &["k", "quasi_identifiers"];
const PRIVACY_KEYS: &[&str] =
    &["k", "quasi_identifiers", "l", "diversity", "sensitive", "t", "max_risk", "max_suppression"];
/// Settings with a fixed set of values (checked here for a message that names the key).
const ENUM_KEYS: &[(&str, &[&str])] = &[
    ("unnamed_columns", &["refuse", "drop", "keep"]),
    ("on_invalid", &["error", "mark"]),
    ("minors", &["same", "strict", "suppress"]),
];

impl Policy {
    /// Read a policy from TOML text (the format of `examples/policy.toml`).
    ///
    /// A malformed text is a [`PolicyError::Syntax`] that says where, and
    /// never quotes a value:
    ///
    /// ```
    /// use desensitize::policy::Policy;
    ///
    /// let err = Policy::from_toml("table = \"users\"\n[columns.phone]\naction = \"mask\n").unwrap_err();
    /// assert_eq!(err.to_string(), "line 3, column 15: invalid basic string, expected `\"`");
    /// ```
    #[cfg(feature = "toml")]
    pub fn from_toml(text: &str) -> Result<Policy, PolicyError> {
        let table: toml::Table = toml::from_str(text).map_err(|e| toml_error(text, &e))?;
        if let Some(key) = non_finite(&toml::Value::Table(table)) {
            return Err(PolicyError::Syntax(format!("`{key}` is inf or nan: expected a finite number")));
        }
        let value: serde_json::Value = toml::from_str(text).map_err(|e| toml_error(text, &e))?;
        Policy::from_value(value, || toml::from_str::<Policy>(text).err().map(|e| toml_error(text, &e)))
    }

    /// Read a policy from JSON text (the same keys as the TOML form).
    /// Errors say where, as for [`Policy::from_toml`].
    pub fn from_json(text: &str) -> Result<Policy, PolicyError> {
        let value: serde_json::Value = serde_json::from_str(text).map_err(|e| json_error(text, &e))?;
        Policy::from_value(value, || serde_json::from_str::<Policy>(text).err().map(|e| json_error(text, &e)))
    }

    /// Unknown keys first (with a suggestion), then the typed shape. A shape
    /// error is placed by `locate`, which reads the text again as a `Policy`.
    fn from_value(
        value: serde_json::Value,
        locate: impl FnOnce() -> Option<PolicyError>,
    ) -> Result<Policy, PolicyError> {
        if let Some(top) = value.as_object() {
            unknown_keys(top.keys(), TOP_KEYS, "the policy")?;
            for (key, valid) in ENUM_KEYS {
                if let Some(v) = top.get(*key).and_then(|v| v.as_str())
                    && !valid.contains(&v)
                {
                    return Err(PolicyError::Setting {
                        key,
                        reason: format!("= {v:?}: expected {}", valid.join(", ")),
                    });
                }
            }
            if let Some(columns) = top.get("columns").and_then(|c| c.as_object()) {
                for (name, c) in columns {
                    if let Some(c) = c.as_object() {
                        unknown_keys(c.keys(), COLUMN_KEYS, &format!("[columns.{name}]"))?;
                    }
                }
            }
            if let Some(k) = top.get("k_anonymity").and_then(|c| c.as_object()) {
                unknown_keys(k.keys(), KANON_KEYS, "[k_anonymity]")?;
            }
            if let Some(k) = top.get("privacy").and_then(|c| c.as_object()) {
                unknown_keys(k.keys(), PRIVACY_KEYS, "[privacy]")?;
            }
        }
        serde_json::from_value(value).map_err(|e| {
            let message = without_value(&e.to_string());
            // The placed error, when it is this one (reading the text as a
            // `Policy` may stop earlier, at a duplicate JSON key, say).
            match locate() {
                Some(PolicyError::Syntax(placed)) if placed.ends_with(&format!(": {message}")) => {
                    PolicyError::Syntax(placed)
                }
                _ => PolicyError::Syntax(message),
            }
        })
    }
}

/// The dotted key of a TOML `inf` or `nan`, if any: JSON has no such
/// number, so the policy's reading (through a JSON value) would take it
/// for an absent key and its default.
#[cfg(feature = "toml")]
fn non_finite(value: &toml::Value) -> Option<String> {
    match value {
        toml::Value::Float(f) if !f.is_finite() => Some(String::new()),
        toml::Value::Array(items) => items.iter().find_map(non_finite),
        toml::Value::Table(table) => table.iter().find_map(|(k, v)| {
            non_finite(v).map(|inner| if inner.is_empty() { k.clone() } else { format!("{k}.{inner}") })
        }),
        _ => None,
    }
}

/// A TOML error: its message (without a value) at the line and column of its span.
#[cfg(feature = "toml")]
fn toml_error(text: &str, e: &toml::de::Error) -> PolicyError {
    let message = without_value(e.message());
    PolicyError::Syntax(match e.span() {
        Some(span) => {
            let (line, column) = position(text, span.start);
            format!("line {line}, column {column}: {message}")
        }
        None => message,
    })
}

/// A JSON error: its message (without serde_json's position suffix and
/// without a value), at its line and column (counted in characters).
fn json_error(text: &str, e: &serde_json::Error) -> PolicyError {
    let full = e.to_string();
    let suffix = format!(" at line {} column {}", e.line(), e.column());
    let message = without_value(full.strip_suffix(&suffix).unwrap_or(&full));
    if e.line() == 0 {
        return PolicyError::Syntax(message);
    }
    // serde_json counts bytes; the line's start, then its first `column - 1` bytes.
    let start: usize = text.split_inclusive('\n').take(e.line() - 1).map(str::len).sum();
    let mut at = (start + e.column().saturating_sub(1)).min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    let (line, column) = position(text, at);
    PolicyError::Syntax(format!("line {line}, column {column}: {message}"))
}

/// The 1-based line and column (in characters) of byte `at` of `text`.
fn position(text: &str, at: usize) -> (usize, usize) {
    let before = &text[..at.min(text.len())];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (before.matches('\n').count() + 1, before[line_start..].chars().count() + 1)
}

/// serde's "invalid type: string \"x\", expected ..." names the value it
/// found: keep its type only (a malformed line may hold a value that
/// should not be in a message).
fn without_value(message: &str) -> String {
    for prefix in ["invalid type: ", "invalid value: "] {
        if let Some(rest) = message.strip_prefix(prefix)
            && let Some(expected) = rest.rfind(", expected ")
        {
            let found = &rest[..expected];
            // `integer `5``, `string "x"`, `floating point `1.5``; `map`, `sequence` have none.
            let kind =
                [" `", " \""].iter().filter_map(|q| found.find(q)).min().map_or(found, |i| &found[..i]);
            return format!("{prefix}{kind}{}", &rest[expected..]);
        }
    }
    message.to_owned()
}

fn unknown_keys<'a>(
    keys: impl Iterator<Item = &'a String>,
    valid: &[&'static str],
    section: &str,
) -> Result<(), PolicyError> {
    for key in keys {
        if !valid.contains(&key.as_str()) {
            return Err(PolicyError::UnknownKey {
                section: section.to_owned(),
                key: key.clone(),
                suggestion: nearest(key, valid),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::suggest::edit_distance;

    #[test]
    fn distances() {
        assert_eq!(edit_distance("acton", "action"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("levle", "level"), 1);
        assert_eq!(nearest("acton", COLUMN_KEYS), Some("action"));
        assert_eq!(nearest("levle", COLUMN_KEYS), Some("level"));
        assert_eq!(nearest("colour", COLUMN_KEYS), None);
        assert_eq!(nearest("minor", TOP_KEYS), Some("minors"));
    }

    #[test]
    fn positions_count_characters() {
        assert_eq!(position("ab", 0), (1, 1));
        assert_eq!(position("a\n北京x", 8), (2, 3));
        assert_eq!(position("a\n", 2), (2, 1));
    }

    #[test]
    fn values_are_left_out_of_serde_messages() {
        assert_eq!(
            without_value("invalid type: string \"13800138000\", expected i64"),
            "invalid type: string, expected i64"
        );
        assert_eq!(
            without_value("invalid type: floating point `1.5`, expected i64"),
            "invalid type: floating point, expected i64"
        );
        assert_eq!(
            without_value("invalid type: map, expected a string"),
            "invalid type: map, expected a string"
        );
        assert_eq!(without_value("missing field `action`"), "missing field `action`");
    }
}
