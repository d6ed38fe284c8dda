//! Checking one `[columns.NAME]` entry into a [`ColumnRule`]: its action
//! and kind, the options each action takes, and its derived columns.
//! Messages name keys and the policy's own words, never a record's value.

use super::rules::{Action, ColumnRule, Fact};
use super::schema::ColumnSpec;
use crate::Kind;
use crate::MaskLevel;
use crate::generalize::{MIN_CANDIDATES, id_number_candidates};
use crate::pseudo::{Domain, Transform};

const ACTIONS: &str = "keep, drop, mask, seal, pseudonym, fpe, generalize, blind-index";
const DEFAULT_BAND_WIDTH: u32 = 5;
const DEFAULT_PRECISION: usize = 5;
const DEFAULT_GRID_KM: f64 = 1.0;
/// Longest output column name (keeps derived names sane).
const MAX_NAME_LEN: usize = 256;

/// Check one column entry.
pub(super) fn column(name: &str, rc: &ColumnSpec, table: Option<&str>) -> Result<ColumnRule, String> {
    if name.is_empty() || name.len() > MAX_NAME_LEN {
        return Err("column names must be 1 to 256 bytes".into());
    }
    let action = parse_action(&rc.action)
        .ok_or_else(|| format!("unknown action {:?}: one of {ACTIONS}", rc.action))?;
    let kind = match &rc.kind {
        None => None,
        Some(k) => Some(parse_kind(k).map_err(|m| format!("kind = {k:?}: {m}"))?),
    };
    if kind == Some(Kind::Password) {
        return Err("kind password cannot be processed by a policy: drop the column (hash passwords with \
                    the library when they are set)"
            .into());
    }
    options_of_action(rc, action)?;
    let parsed = match action {
        "keep" => Action::Keep,
        "drop" => Action::Drop,
        "mask" => mask(rc, needs_kind(kind, action)?)?,
        "seal" => {
            needs_kind(kind, action)?;
            if table.is_none() {
                return Err(
                    "action \"seal\" needs the top-level `table` (the context it is sealed for)".into()
                );
            }
            Action::Seal
        }
        "pseudonym" | "fpe" => pseudonym(rc, action, needs_kind(kind, action)?)?,
        "blind-index" => blind_index(rc, needs_kind(kind, action)?, name, table)?,
        "generalize" => generalize(rc, needs_kind(kind, action)?)?,
        _ => unreachable!("parse_action returns known names"),
    };
    let derived = derived(rc, kind)?;
    let uses =
        |f: Fact| matches!(parsed, Action::Generalize(g) if g == f) || derived.iter().any(|(g, _)| *g == f);
    let (band_width, precision, grid_km) = fact_options(rc, uses)?;
    mask_beside_facts(kind, &parsed, &derived, band_width)?;
    Ok(ColumnRule { name: name.to_owned(), kind, action: parsed, derived, band_width, precision, grid_km })
}

fn parse_action(s: &str) -> Option<&'static str> {
    match s.trim().to_ascii_lowercase().replace('_', "-").as_str() {
        "keep" => Some("keep"),
        "drop" => Some("drop"),
        "mask" => Some("mask"),
        "seal" => Some("seal"),
        "pseudonym" | "pseudonymize" => Some("pseudonym"),
        "fpe" => Some("fpe"),
        "generalize" => Some("generalize"),
        "blind-index" => Some("blind-index"),
        _ => None,
    }
}

fn needs_kind(kind: Option<Kind>, action: &str) -> Result<Kind, String> {
    kind.ok_or_else(|| {
        format!("action \"{action}\" needs a kind (kind = \"id_number\", \"mobile_phone\", ...)")
    })
}

/// Options that only some actions take.
fn options_of_action(rc: &ColumnSpec, action: &str) -> Result<(), String> {
    let only = |key: &str, set: bool, allowed: bool, for_what: &str| -> Result<(), String> {
        if set && !allowed {
            return Err(format!("`{key}` only applies to {for_what}, not to action \"{action}\""));
        }
        Ok(())
    };
    only("level", rc.level.is_some(), action == "mask", "action \"mask\"")?;
    only(
        "domain",
        rc.domain.is_some(),
        matches!(action, "pseudonym" | "fpe" | "blind-index"),
        "actions \"pseudonym\", \"fpe\" and \"blind-index\"",
    )?;
    only("bits", rc.bits.is_some(), action == "blind-index", "action \"blind-index\"")?;
    only("transform", rc.transform.is_some(), action == "blind-index", "action \"blind-index\"")?;
    only("to", rc.to.is_some(), action == "generalize", "action \"generalize\"")
}

fn mask(rc: &ColumnSpec, k: Kind) -> Result<Action, String> {
    if k == Kind::Biometric {
        return Err("biometric templates cannot be masked: seal or drop them".into());
    }
    let level = match &rc.level {
        None => MaskLevel::Standard,
        Some(l) => {
            l.parse::<MaskLevel>().map_err(|_| format!("unknown level {l:?}: strict, standard or relaxed"))?
        }
    };
    Ok(Action::Mask(level))
}

/// `pseudonym` or `fpe` (the `action`) in a domain.
fn pseudonym(rc: &ColumnSpec, action: &str, k: Kind) -> Result<Action, String> {
    if action == "fpe" && !matches!(k, Kind::IdNumber | Kind::MobilePhone | Kind::BankCard) {
        return Err(format!(
            "action \"fpe\" does not apply to kind {}: only to id_number, mobile_phone and bank_card",
            kind_name(k)
        ));
    }
    if k == Kind::Biometric {
        return Err(format!("action \"{action}\" does not apply to biometric templates (seal them)"));
    }
    let d = rc.domain.as_deref().ok_or_else(|| {
        format!(
            "action \"{action}\" needs `domain` (e.g. domain = \"analytics\"): values join within a domain"
        )
    })?;
    let d = domain(d, "domain")?;
    Ok(if action == "fpe" { Action::Fpe(d) } else { Action::Pseudonym(d) })
}

fn blind_index(rc: &ColumnSpec, k: Kind, column: &str, table: Option<&str>) -> Result<Action, String> {
    if k == Kind::Biometric {
        return Err("action \"blind-index\" does not apply to biometric templates".into());
    }
    let transform = match rc.transform.as_deref().map(str::trim) {
        None | Some("full") => Transform::Full,
        Some("last4") => Transform::Last4,
        Some("birth_year") => Transform::BirthYear,
        Some("email_domain") => Transform::EmailDomain,
        Some(t) => {
            return Err(format!("unknown transform {t:?}: full, last4, birth_year or email_domain"));
        }
    };
    if !transform.applies_to(k) {
        return Err(format!("transform \"{transform}\" does not apply to kind {}", kind_name(k)));
    }
    let bits = rc.bits.ok_or("action \"blind-index\" needs `bits` (index length; e.g. 16)")?;
    if !(1..=64).contains(&bits) {
        return Err(format!("bits = {bits}: blind index length must be 1 to 64 bits"));
    }
    // The library's own rule (Keyring::blind_index), checked before any key is loaded.
    if bits as f64 >= transform.input_bits(k) - 1.0 {
        return Err(format!(
            "bits = {bits}: index as long as the input space of transform \"{transform}\" on {} \
             (~{:.0} bits) makes every value unique; use fewer bits",
            kind_name(k),
            transform.input_bits(k)
        ));
    }
    let name = match &rc.domain {
        Some(d) => domain(d, "domain")?,
        None => {
            let t = table.ok_or(
                "action \"blind-index\" needs `domain` (the index name) or the top-level `table` \
                 (the name defaults to \"<table>.<column>\")",
            )?;
            let default = format!("{t}.{column}");
            Domain::new(&default).map_err(|_| {
                format!(
                    "the default index name {default:?} is not a valid name (a-z 0-9 . _ -): set `domain`"
                )
            })?
        }
    };
    Ok(Action::BlindIndex { name, transform, bits: bits as u8 })
}

fn generalize(rc: &ColumnSpec, k: Kind) -> Result<Action, String> {
    let facts = Fact::of_kind(k);
    if facts.is_empty() {
        return Err(format!(
            "action \"generalize\" does not apply to kind {}: only to id_number, address and geo_point",
            kind_name(k)
        ));
    }
    let fact = match rc.to.as_deref() {
        None => match k {
            Kind::IdNumber => Fact::AgeBand,
            Kind::Address => Fact::City,
            _ => Fact::Geohash,
        },
        Some(t) => Fact::parse(t).filter(|f| facts.contains(f)).ok_or_else(|| {
            format!("to = {t:?}: kind {} generalizes to {}", kind_name(k), fact_list(facts))
        })?,
    };
    Ok(Action::Generalize(fact))
}

/// An ID number's mask written beside facts of the same column must leave
/// at least [`MIN_CANDIDATES`] numbers (the standard mask beside the birth
/// month and the city leaves about 2,500; the relaxed mask beside a birth
/// year, 33): refused, since together they can name the holder.
fn mask_beside_facts(
    kind: Option<Kind>,
    action: &Action,
    derived: &[(Fact, String)],
    band_width: u32,
) -> Result<(), String> {
    let (Some(Kind::IdNumber), Action::Mask(level)) = (kind, action) else {
        return Ok(());
    };
    if derived.is_empty() {
        return Ok(());
    }
    let facts: Vec<Fact> = derived.iter().map(|(f, _)| *f).collect();
    let n = id_number_candidates(*level, &facts, band_width);
    if n >= MIN_CANDIDATES {
        return Ok(());
    }
    Err(format!(
        "the {} mask beside the facts {} leaves about {n} possible ID numbers per row (fewer than \
         {MIN_CANDIDATES}): mask at a stricter level, derive coarser facts (province, birth_year, age_band) \
         or drop the mask",
        level.as_str(),
        fact_list(&facts)
    ))
}

/// The derived columns (`generalize = { fact = "column" }`), in [`Fact`] order.
fn derived(rc: &ColumnSpec, kind: Option<Kind>) -> Result<Vec<(Fact, String)>, String> {
    let mut derived = Vec::new();
    let Some(map) = &rc.generalize else {
        return Ok(derived);
    };
    let k = kind.ok_or("`generalize` (derived columns) needs a kind")?;
    let facts = Fact::of_kind(k);
    if facts.is_empty() {
        return Err(format!(
            "`generalize` does not apply to kind {}: only to id_number, address and geo_point",
            kind_name(k)
        ));
    }
    for (fact, out) in map {
        let f = Fact::parse(fact).filter(|f| facts.contains(f)).ok_or_else(|| {
            format!("generalize.{fact}: kind {} has the facts {}", kind_name(k), fact_list(facts))
        })?;
        if out.is_empty() || out.len() > MAX_NAME_LEN {
            return Err(format!("generalize.{fact}: column names must be 1 to 256 bytes"));
        }
        if derived.iter().any(|(g, _)| *g == f) {
            return Err(format!("generalize names fact {} twice", f.as_str()));
        }
        derived.push((f, out.clone()));
    }
    derived.sort_by_key(|(f, _)| *f);
    Ok(derived)
}

/// `band_width`, `precision` and `grid_km`, each only with the fact that
/// uses it (`uses`: whether the column writes a fact).
fn fact_options(rc: &ColumnSpec, uses: impl Fn(Fact) -> bool) -> Result<(u32, usize, f64), String> {
    let band_width = match rc.band_width {
        None => DEFAULT_BAND_WIDTH,
        Some(w) => {
            if !uses(Fact::AgeBand) {
                return Err("`band_width` only applies with the age_band fact".into());
            }
            if !(1..=50).contains(&w) {
                return Err(format!("band_width = {w}: age band width must be 1 to 50 years"));
            }
            w as u32
        }
    };
    let precision = match rc.precision {
        None => DEFAULT_PRECISION,
        Some(p) => {
            if !uses(Fact::Geohash) {
                return Err("`precision` only applies with the geohash fact".into());
            }
            if !(1..=12).contains(&p) {
                return Err(format!("precision = {p}: geohash precision must be 1 to 12"));
            }
            p as usize
        }
    };
    let grid_km = match rc.grid_km {
        None => DEFAULT_GRID_KM,
        Some(g) => {
            if !uses(Fact::Grid) {
                return Err("`grid_km` only applies with the grid fact".into());
            }
            if !g.is_finite() || !(0.01..=1000.0).contains(&g) {
                return Err(format!("grid_km = {g}: grid cell size must be 0.01 to 1000 km"));
            }
            g
        }
    };
    Ok((band_width, precision, grid_km))
}

fn kind_name(kind: Kind) -> &'static str {
    kind.as_str().strip_prefix("cn.").unwrap_or(kind.as_str())
}

fn domain(s: &str, key: &str) -> Result<Domain, String> {
    Domain::new(s).map_err(|_| format!("{key} = {s:?}: names are 1-64 characters of a-z 0-9 . _ -"))
}

fn fact_list(facts: &[Fact]) -> String {
    facts.iter().map(|f| f.as_str()).collect::<Vec<_>>().join(", ")
}

/// Parse a kind name (`id_number`, `cn.id_number`, `mobile-phone`, ...).
fn parse_kind(s: &str) -> Result<Kind, String> {
    s.parse::<Kind>().map_err(|_| {
        let names: Vec<&str> = Kind::ALL.iter().map(|k| k.as_str()).collect();
        format!("unknown kind; one of: {}", names.join(", "))
    })
}

#[cfg(test)]
mod tests {
    use crate::policy::{Policy, PolicyError};

    fn check(column: &str) -> Result<(), PolicyError> {
        Policy::from_json(&format!(r#"{{"columns": {{"id": {column}}}}}"#))?.check().map(|_| ())
    }

    /// An ID number's mask beside facts that narrow it to a few thousand
    /// numbers is refused when the policy is checked; coarser pairings pass.
    #[test]
    fn id_mask_beside_fine_facts_is_refused() {
        let fine =
            r#"{"kind": "id_number", "action": "mask", "generalize": {"birth_month": "m", "city": "c"}}"#;
        let err = check(fine).unwrap_err().to_string();
        assert!(
            err.starts_with(
                "column `id`: the standard mask beside the facts city, birth_month leaves about 2545 possible ID \
                 numbers per row (fewer than 10000)"
            ),
            "{err}"
        );
        let relaxed = r#"{"kind": "id_number", "action": "mask", "level": "relaxed", "generalize": {"birth_year": "y"}}"#;
        assert!(
            check(relaxed).unwrap_err().to_string().contains("the relaxed mask beside the facts birth_year")
        );
        for ok in [
            r#"{"kind": "id_number", "action": "mask", "generalize": {"province": "p", "age_band": "a", "gender": "g"}}"#,
            r#"{"kind": "id_number", "action": "mask", "level": "strict", "generalize": {"birth_month": "m", "city": "c"}}"#,
            r#"{"kind": "id_number", "action": "mask", "level": "relaxed"}"#,
            r#"{"kind": "id_number", "action": "seal", "generalize": {"birth_month": "m", "city": "c"}}"#,
        ] {
            let ok = ok.replace("seal\"", "pseudonym\", \"domain\": \"d\"");
            check(&ok).unwrap_or_else(|e| panic!("{ok}: {e}"));
        }
    }
}
