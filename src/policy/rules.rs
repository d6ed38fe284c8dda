//! The checked policy: [`Policy::check`] turns the policy as written into
//! [`Rules`], with every value parsed and every combination checked. Error
//! messages name policy keys and columns, never values.

use std::collections::{HashMap, HashSet};

use super::PolicyError;
use super::schema::{ColumnSpec, Minors, OnInvalid, Policy, Unnamed};
use crate::pseudo::{Domain, Transform};
use crate::{Date, Kind, MaskLevel};

pub use crate::generalize::Fact;

impl Fact {
    /// In the order derived columns are written.
    pub const ALL: [Fact; 8] = [
        Fact::Gender,
        Fact::AgeBand,
        Fact::Province,
        Fact::City,
        Fact::BirthYear,
        Fact::BirthMonth,
        Fact::Geohash,
        Fact::Grid,
    ];

    /// The fact's name in a policy (`age_band`).
    pub fn as_str(self) -> &'static str {
        match self {
            Fact::Gender => "gender",
            Fact::AgeBand => "age_band",
            Fact::Province => "province",
            Fact::City => "city",
            Fact::BirthYear => "birth_year",
            Fact::BirthMonth => "birth_month",
            Fact::Geohash => "geohash",
            Fact::Grid => "grid",
        }
    }

    /// The facts a kind has (empty: the kind cannot be generalized).
    pub fn of_kind(kind: Kind) -> &'static [Fact] {
        match kind {
            Kind::IdNumber => {
                &[Fact::Gender, Fact::AgeBand, Fact::Province, Fact::City, Fact::BirthYear, Fact::BirthMonth]
            }
            Kind::Address => &[Fact::Province, Fact::City],
            Kind::GeoPoint => &[Fact::Geohash, Fact::Grid],
            _ => &[],
        }
    }

    fn parse(s: &str) -> Option<Fact> {
        Fact::ALL.into_iter().find(|f| f.as_str() == s.trim().replace('-', "_"))
    }
}

/// What a policy column's value becomes.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Copied unchanged (validated when the column has a kind).
    Keep,
    /// Left out of the output (its derived columns are still written).
    Drop,
    /// Masked at a level.
    Mask(MaskLevel),
    /// Sealed to the `dz1.` text form under the context (table, column[, row]).
    Seal,
    /// Keyed `tk1.` token in a domain.
    Pseudonym(Domain),
    /// Format-preserving pseudonym in a domain.
    Fpe(Domain),
    /// Replaced by one generalized fact.
    Generalize(Fact),
    /// Truncated keyed hash (lower-case hex) for equality search.
    BlindIndex {
        /// Index name.
        name: Domain,
        /// What part of the value is indexed.
        transform: Transform,
        /// Index length.
        bits: u8,
    },
}

impl Action {
    /// The action's name in a policy.
    pub fn name(&self) -> &'static str {
        match self {
            Action::Keep => "keep",
            Action::Drop => "drop",
            Action::Mask(_) => "mask",
            Action::Seal => "seal",
            Action::Pseudonym(_) => "pseudonym",
            Action::Fpe(_) => "fpe",
            Action::Generalize(_) => "generalize",
            Action::BlindIndex { .. } => "blind-index",
        }
    }

    /// Whether the action needs the keyring.
    pub fn needs_keys(&self) -> bool {
        matches!(self, Action::Seal | Action::Pseudonym(_) | Action::Fpe(_) | Action::BlindIndex { .. })
    }
}

/// One column of the policy, checked.
#[derive(Debug, Clone)]
pub struct ColumnRule {
    /// The input column name (also the output name of its main value).
    pub name: String,
    /// The kind its values are parsed as; `None` only for keep and drop.
    pub kind: Option<Kind>,
    /// What its value becomes.
    pub action: Action,
    /// Extra output columns: (fact, output column name), in [`Fact`] order.
    pub derived: Vec<(Fact, String)>,
    /// Age band width in years (ID number facts).
    pub band_width: u32,
    /// Geohash length (location facts).
    pub precision: usize,
    /// Grid cell size in km (location facts).
    pub grid_km: f64,
}

impl ColumnRule {
    /// Whether the main value is written (everything but drop).
    pub fn writes_main(&self) -> bool {
        !matches!(self.action, Action::Drop)
    }

    /// Output cells this column writes per row.
    pub fn outputs(&self) -> usize {
        usize::from(self.writes_main()) + self.derived.len()
    }
}

/// k-anonymity over output columns.
#[derive(Debug, Clone)]
pub struct KAnonymity {
    /// Smallest class size kept (at least 2).
    pub k: u64,
    /// Output column names whose values define the classes.
    pub quasi_identifiers: Vec<String>,
}

/// A checked policy: every setting parsed, every column checked on its own
/// and against the others. Compile it against a header with
/// [`Plan::new`](super::Plan::new).
#[derive(Debug, Clone)]
pub struct Rules {
    /// Context table for seal (and the default blind-index name prefix).
    pub table: Option<String>,
    /// Column whose value is the row id in seal contexts.
    pub row_id: Option<String>,
    /// What happens to columns the policy does not name.
    pub unnamed: Unnamed,
    /// What happens to invalid values.
    pub on_invalid: OnInvalid,
    /// Written in place of invalid values under [`OnInvalid::Mark`].
    pub marker: String,
    /// The date ages are computed on and ID numbers' "not in the future" is judged against.
    pub today: Date,
    /// What happens to the rows of holders under 14.
    pub minors: Minors,
    /// The column of consent flags.
    pub consent_column: Option<String>,
    /// The policy's columns, by name.
    pub columns: Vec<ColumnRule>,
    /// k-anonymity over output columns.
    pub k_anonymity: Option<KAnonymity>,
}

fn setting(key: &'static str, reason: impl Into<String>) -> PolicyError {
    PolicyError::Setting { key, reason: reason.into() }
}

impl Policy {
    /// Check the policy on its own (the header comes later, in
    /// [`Plan::new`](super::Plan::new)).
    ///
    /// ```
    /// use desensitize::policy::{Policy, PolicyError};
    ///
    /// let p = Policy::from_json(r#"{"columns": {"email": {"kind": "email", "action": "fpe", "domain": "x"}}}"#)?;
    /// let err = p.check().unwrap_err();
    /// assert!(matches!(err, PolicyError::Column { ref column, .. } if column == "email"));
    /// assert_eq!(
    ///     err.to_string(),
    ///     "column `email`: action \"fpe\" does not apply to kind email: only to id_number, mobile_phone and bank_card"
    /// );
    /// # Ok::<(), PolicyError>(())
    /// ```
    pub fn check(&self) -> Result<Rules, PolicyError> {
        let marker = self.marker.clone().unwrap_or_else(|| "#INVALID".to_owned());
        if marker.contains(['\n', '\r']) {
            return Err(setting("marker", "must be one line"));
        }
        let today = match self.today.as_deref() {
            None => Date::today(),
            Some(s) => parse_date(s)
                .ok_or_else(|| setting("today", format!("= {s:?}: expected a date YYYY-MM-DD")))?,
        };
        if let Some(t) = &self.table
            && (t.is_empty() || t.len() > crate::seal::MAX_FIELD_LEN)
        {
            return Err(setting("table", "must be 1 to 1024 bytes"));
        }
        if let Some(r) = &self.row_id {
            if r.is_empty() {
                return Err(setting("row_id", "is empty"));
            }
            if let Some(c) = self.columns.get(r)
                && c.kind.is_some()
            {
                return Err(setting(
                    "row_id",
                    format!(
                        "column `{r}` has a kind: contexts are stored in the clear and must not hold personal \
                         data; use a surrogate key column"
                    ),
                ));
            }
        }
        if let Some(c) = &self.consent_column {
            if c.is_empty() {
                return Err(setting("consent_column", "is empty"));
            }
            if self.columns.get(c).is_some_and(|spec| spec.kind.is_some()) {
                return Err(setting(
                    "consent_column",
                    format!("column `{c}` has a kind: it holds consent flags"),
                ));
            }
        }

        let mut columns = Vec::with_capacity(self.columns.len());
        for (name, spec) in &self.columns {
            columns.push(
                column(name, spec, self.table.as_deref())
                    .map_err(|reason| PolicyError::Column { column: name.clone(), reason })?,
            );
        }
        if self.minors != Minors::Same && !columns.iter().any(|c| c.kind == Some(Kind::IdNumber)) {
            return Err(setting("minors", "needs a column of kind id_number (the ages are read from it)"));
        }

        // Output names: main values (not dropped) and derived columns, all distinct.
        let mut outputs: HashMap<&str, &str> = HashMap::new();
        for c in &columns {
            if c.writes_main() {
                outputs.insert(&c.name, &c.name);
            }
        }
        for c in &columns {
            for (fact, out) in &c.derived {
                if let Some(prev) = outputs.insert(out, &c.name) {
                    let what = if prev == out.as_str() {
                        "the column of that name".to_owned()
                    } else {
                        format!("a derived column of `{prev}`")
                    };
                    return Err(PolicyError::Column {
                        column: c.name.clone(),
                        reason: format!("generalize.{} = {out:?} clashes with {what}", fact.as_str()),
                    });
                }
            }
        }

        let k_anonymity = match &self.k_anonymity {
            None => None,
            Some(k) => {
                let err = |m: String| PolicyError::KAnonymity(m);
                if k.k < 2 {
                    return Err(err("k must be at least 2".into()));
                }
                if k.quasi_identifiers.is_empty() {
                    return Err(err("quasi_identifiers is empty".into()));
                }
                let mut seen = HashSet::new();
                for q in &k.quasi_identifiers {
                    if !seen.insert(q.as_str()) {
                        return Err(err(format!("quasi_identifiers names `{q}` twice")));
                    }
                    match outputs.get(q.as_str()) {
                        Some(source) => {
                            let col = columns.iter().find(|c| c.name == *source);
                            if let Some(c) = col
                                && c.name == *q
                                && matches!(c.action, Action::Seal)
                            {
                                return Err(err(format!(
                                    "quasi-identifier `{q}` is sealed (randomized); it cannot define equivalence \
                                     classes"
                                )));
                            }
                        }
                        None if self.unnamed_columns == Unnamed::Keep && !self.columns.contains_key(q) => {
                            // Maybe an unnamed input column: checked against the header.
                        }
                        None => return Err(err(format!("quasi-identifier `{q}` is not an output column"))),
                    }
                }
                Some(KAnonymity { k: k.k as u64, quasi_identifiers: k.quasi_identifiers.clone() })
            }
        };

        Ok(Rules {
            table: self.table.clone(),
            row_id: self.row_id.clone(),
            unnamed: self.unnamed_columns,
            on_invalid: self.on_invalid,
            marker,
            today,
            minors: self.minors,
            consent_column: self.consent_column.clone(),
            columns,
            k_anonymity,
        })
    }
}

impl Rules {
    /// Whether any column needs the keyring (seal, pseudonym, fpe, blind-index).
    pub fn needs_keys(&self) -> bool {
        self.columns.iter().any(|c| c.action.needs_keys())
    }

    /// The first column that needs the keyring, if any (for messages).
    pub fn first_needing_keys(&self) -> Option<&str> {
        self.columns.iter().find(|c| c.action.needs_keys()).map(|c| c.name.as_str())
    }
}

const ACTIONS: &str = "keep, drop, mask, seal, pseudonym, fpe, generalize, blind-index";
const DEFAULT_BAND_WIDTH: u32 = 5;
const DEFAULT_PRECISION: usize = 5;
const DEFAULT_GRID_KM: f64 = 1.0;
/// Longest output column name (keeps derived names sane).
const MAX_NAME_LEN: usize = 256;

fn parse_date(s: &str) -> Option<Date> {
    let mut parts = s.trim().splitn(3, '-');
    let y = parts.next()?.parse::<u16>().ok()?;
    let m = parts.next()?.parse::<u8>().ok()?;
    let d = parts.next()?.parse::<u8>().ok()?;
    Date::new(y, m, d)
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

fn kind_name(kind: Kind) -> &'static str {
    kind.as_str().strip_prefix("cn.").unwrap_or(kind.as_str())
}

fn domain(s: &str, key: &str) -> Result<Domain, String> {
    Domain::new(s).map_err(|_| format!("{key} = {s:?}: names are 1-64 characters of a-z 0-9 . _ -"))
}

/// Check one column entry.
fn column(name: &str, rc: &ColumnSpec, table: Option<&str>) -> Result<ColumnRule, String> {
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
    let kind_needed = || {
        kind.ok_or_else(|| {
            format!("action \"{action}\" needs a kind (kind = \"id_number\", \"mobile_phone\", ...)")
        })
    };
    // Options that only some actions take.
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
    only("to", rc.to.is_some(), action == "generalize", "action \"generalize\"")?;

    let parsed = match action {
        "keep" => Action::Keep,
        "drop" => Action::Drop,
        "mask" => {
            let k = kind_needed()?;
            if k == Kind::Biometric {
                return Err("biometric templates cannot be masked: seal or drop them".into());
            }
            let level = match &rc.level {
                None => MaskLevel::Standard,
                Some(l) => l
                    .parse::<MaskLevel>()
                    .map_err(|_| format!("unknown level {l:?}: strict, standard or relaxed"))?,
            };
            Action::Mask(level)
        }
        "seal" => {
            kind_needed()?;
            if table.is_none() {
                return Err(
                    "action \"seal\" needs the top-level `table` (the context it is sealed for)".into()
                );
            }
            Action::Seal
        }
        "pseudonym" | "fpe" => {
            let k = kind_needed()?;
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
                format!("action \"{action}\" needs `domain` (e.g. domain = \"analytics\"): values join within a domain")
            })?;
            let d = domain(d, "domain")?;
            if action == "fpe" { Action::Fpe(d) } else { Action::Pseudonym(d) }
        }
        "blind-index" => {
            let k = kind_needed()?;
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
                    let default = format!("{t}.{name}");
                    Domain::new(&default).map_err(|_| {
                        format!(
                            "the default index name {default:?} is not a valid name (a-z 0-9 . _ -): set `domain`"
                        )
                    })?
                }
            };
            Action::BlindIndex { name, transform, bits: bits as u8 }
        }
        "generalize" => {
            let k = kind_needed()?;
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
            Action::Generalize(fact)
        }
        _ => unreachable!("parse_action returns known names"),
    };

    let mut derived = Vec::new();
    if let Some(map) = &rc.generalize {
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
    }

    let uses =
        |f: Fact| matches!(parsed, Action::Generalize(g) if g == f) || derived.iter().any(|(g, _)| *g == f);
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
    Ok(ColumnRule { name: name.to_owned(), kind, action: parsed, derived, band_width, precision, grid_km })
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
