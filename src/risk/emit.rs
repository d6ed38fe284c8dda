//! A chosen generalization written as a policy that `desensitize run`
//! applies: the built-in hierarchies' levels are policy facts.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::RiskError;
use super::hierarchy::{Builtin, Hierarchy, ID_AGE_WIDTHS};
use super::lattice::Dimension;
use super::model::{Diversity, PrivacyModel};
use crate::Date;

/// What one input column becomes.
#[derive(Default)]
struct Entry {
    kind: Option<&'static str>,
    keep: bool,
    derived: BTreeMap<&'static str, String>,
    band_width: Option<u32>,
    precision: Option<usize>,
}

/// A TOML string (JSON's escapes are TOML's).
fn quote(s: &str) -> String {
    serde_json::Value::String(s.to_owned()).to_string()
}

/// The policy (TOML) that writes the quasi-identifiers of `dims` at
/// `levels`, keeps the `sensitive` columns, drops every other column, and
/// requires `model` in `[privacy]` (so `run` checks what it writes). Ages
/// are computed on `today`. A quasi-identifier at `*` is not written. Only
/// the built-in hierarchies of ID numbers, addresses and geographic points
/// and flat columns have policy actions; another is an error naming it.
///
/// ```
/// use desensitize::risk::{Builtin, Dimension, Hierarchy, PrivacyModel, policy_toml};
/// use desensitize::Date;
///
/// let today = Date::new(2026, 1, 1).unwrap();
/// let dims = [
///     Dimension { column: "id".into(), hierarchy: Hierarchy::Builtin(Builtin::IdAge { today }) },
///     Dimension { column: "id".into(), hierarchy: Hierarchy::Builtin(Builtin::IdRegion { today }) },
/// ];
/// let toml = policy_toml(&dims, &[1, 1], &["dx".to_owned()], &PrivacyModel::new(10)?, today)?;
/// assert!(toml.contains("generalize = { age_band = \"id_age_band\", province = \"id_province\" }"));
/// assert!(toml.contains("band_width = 10"));
/// # Ok::<(), desensitize::risk::RiskError>(())
/// ```
pub fn policy_toml(
    dims: &[Dimension],
    levels: &[usize],
    sensitive: &[String],
    model: &PrivacyModel,
    today: Date,
) -> Result<String, RiskError> {
    let mut columns: BTreeMap<&str, Entry> = BTreeMap::new();
    let mut quasi = Vec::new();
    for (d, &level) in dims.iter().zip(levels) {
        if level + 1 >= d.hierarchy.levels() {
            continue;
        }
        let name = d.column.as_str();
        let e = columns.entry(name).or_default();
        let no_action = || RiskError::Hierarchy {
            column: d.column.clone(),
            reason: "has no policy action: apply its levels another way".into(),
        };
        let (kind, fact) = match &d.hierarchy {
            Hierarchy::Flat => {
                e.keep = true;
                quasi.push(d.column.clone());
                continue;
            }
            Hierarchy::Builtin(Builtin::IdAge { .. }) => {
                e.band_width = Some(ID_AGE_WIDTHS[level]);
                ("id_number", "age_band")
            }
            Hierarchy::Builtin(Builtin::IdRegion { .. }) => ("id_number", ["city", "province"][level]),
            Hierarchy::Builtin(Builtin::AddressRegion) => ("address", ["city", "province"][level]),
            Hierarchy::Builtin(Builtin::Geohash { finest }) => {
                e.precision = Some(finest - level);
                ("geo_point", "geohash")
            }
            _ => return Err(no_action()),
        };
        if e.kind.is_some_and(|k| k != kind) || e.keep {
            return Err(no_action());
        }
        e.kind = Some(kind);
        let out = format!("{name}_{fact}");
        e.derived.insert(fact, out.clone());
        quasi.push(out);
    }
    if quasi.is_empty() {
        return Err(RiskError::Setting { key: "levels", reason: "suppress every quasi-identifier".into() });
    }
    let mut t = String::new();
    let _ = writeln!(
        t,
        "# Written by `desensitize risk --optimize`: the least generalization that meets [privacy]."
    );
    let _ = writeln!(t, "unnamed_columns = \"drop\"\ntoday = \"{today}\"\n");
    for (name, e) in &columns {
        let _ = writeln!(t, "[columns.{}]", quote(name));
        if e.keep {
            let _ = writeln!(t, "action = \"keep\"\n");
            continue;
        }
        let _ = writeln!(t, "kind = {}\naction = \"drop\"", quote(e.kind.unwrap_or_default()));
        let derived: Vec<String> = e.derived.iter().map(|(f, o)| format!("{f} = {}", quote(o))).collect();
        let _ = writeln!(t, "generalize = {{ {} }}", derived.join(", "));
        if let Some(w) = e.band_width {
            let _ = writeln!(t, "band_width = {w}");
        }
        if let Some(p) = e.precision {
            let _ = writeln!(t, "precision = {p}");
        }
        t.push('\n');
    }
    for s in sensitive {
        if !columns.contains_key(s.as_str()) {
            let _ = writeln!(t, "[columns.{}]\naction = \"keep\"\n", quote(s));
        }
    }
    write_privacy(&mut t, &quasi, sensitive, model);
    Ok(t)
}

fn write_privacy(t: &mut String, quasi: &[String], sensitive: &[String], model: &PrivacyModel) {
    let list = |v: &[String]| v.iter().map(|s| quote(s)).collect::<Vec<_>>().join(", ");
    let _ = writeln!(t, "[privacy]\nk = {}\nquasi_identifiers = [{}]", model.k(), list(quasi));
    if let Some((l, d)) = model.l() {
        let d = if d == Diversity::Entropy { "entropy" } else { "distinct" };
        let _ = writeln!(t, "l = {l}\ndiversity = \"{d}\"");
    }
    if !sensitive.is_empty() && model.needs_sensitive() {
        let _ = writeln!(t, "sensitive = [{}]", list(sensitive));
    }
    if let Some(x) = model.t() {
        let _ = writeln!(t, "t = {x:?}");
    }
    if let Some(r) = model.max_risk() {
        let _ = writeln!(t, "max_risk = {r:?}");
    }
    let _ = writeln!(t, "max_suppression = {:?}", model.max_suppression());
}
