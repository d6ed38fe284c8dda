//! The `run` policy: a TOML file that says, column by column, what each
//! value becomes. See `examples/policy.toml` for the documented format.
//!
//! Everything is checked before the first row is read: the policy on its own
//! when it is loaded ([`Policy::load`]), and against the input's header
//! before any output is written ([`Policy::layout`]). Error messages name
//! policy keys and columns, never values.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use desensitize::pseudo::{Domain, Transform};
use desensitize::{Date, Kind, MaskLevel};
use serde::Deserialize;

use crate::common::{CliError, CliResult, parse_kind};

/// What happens to an input column that the policy does not name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unnamed {
    /// Stop before writing anything (the default: nothing leaks by omission).
    Refuse,
    /// Leave it out of the output.
    Drop,
    /// Copy it to the output unchanged.
    Keep,
}

/// What happens to a row with a value that is not valid for its kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnInvalid {
    /// Stop with an error naming the row and column (the default).
    Error,
    /// Write the marker in its place, count it and report it in `--rejects`.
    Mark,
}

/// A value derived from a parsed value, written to a new column (or, with
/// `action = "generalize"`, in place of the value).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Fact {
    /// `female` / `male` (ID number).
    Gender,
    /// `25-29` (ID number, `band_width` years, on `today`).
    AgeBand,
    /// Province name, e.g. `北京市` (ID number, address).
    Province,
    /// Prefecture-level city name, the province's name when unknown (ID number, address).
    City,
    /// `1949` (ID number).
    BirthYear,
    /// `1949-12` (ID number).
    BirthMonth,
    /// Geohash of `precision` characters (location).
    Geohash,
    /// Centre `lat,lon` of the `grid_km` grid cell (location).
    Grid,
}

impl Fact {
    /// In the order derived columns are written.
    const ALL: [Fact; 8] = [
        Fact::Gender,
        Fact::AgeBand,
        Fact::Province,
        Fact::City,
        Fact::BirthYear,
        Fact::BirthMonth,
        Fact::Geohash,
        Fact::Grid,
    ];

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
#[derive(Debug, Clone)]
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
    BlindIndex { name: Domain, transform: Transform, bits: u8 },
}

impl Action {
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
pub struct ColumnPolicy {
    /// The input column name (also the output name of its main value).
    pub name: String,
    /// The kind its values are parsed as; `None` only for keep and drop.
    pub kind: Option<Kind>,
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

impl ColumnPolicy {
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
    pub k: u64,
    pub quasi_identifiers: Vec<String>,
}

/// A checked policy.
#[derive(Debug, Clone)]
pub struct Policy {
    /// Context table for seal (and the default blind-index name prefix).
    pub table: Option<String>,
    /// Column whose value is the row id in seal contexts.
    pub row_id: Option<String>,
    pub unnamed: Unnamed,
    pub on_invalid: OnInvalid,
    pub marker: String,
    /// The date ages are computed on and ID numbers' "not in the future" is judged against.
    pub today: Date,
    /// By column name.
    pub columns: Vec<ColumnPolicy>,
    pub k_anonymity: Option<KAnonymity>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    table: Option<String>,
    row_id: Option<String>,
    unnamed_columns: Option<String>,
    on_invalid: Option<String>,
    marker: Option<String>,
    today: Option<String>,
    #[serde(default)]
    columns: BTreeMap<String, RawColumn>,
    k_anonymity: Option<RawKAnonymity>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawColumn {
    action: String,
    kind: Option<String>,
    level: Option<String>,
    domain: Option<String>,
    bits: Option<i64>,
    transform: Option<String>,
    to: Option<String>,
    generalize: Option<BTreeMap<String, String>>,
    band_width: Option<i64>,
    precision: Option<i64>,
    grid_km: Option<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawKAnonymity {
    k: i64,
    quasi_identifiers: Vec<String>,
}

fn err(message: impl Into<String>) -> CliError {
    CliError::usage(format!("policy: {}", message.into()))
}

const ACTIONS: &str = "keep, drop, mask, seal, pseudonym, fpe, generalize, blind-index";
const DEFAULT_BAND_WIDTH: u32 = 5;
const DEFAULT_PRECISION: usize = 5;
const DEFAULT_GRID_KM: f64 = 1.0;
/// Longest output column name (keeps derived names sane).
const MAX_NAME_LEN: usize = 256;

impl Policy {
    /// Read and check a policy file.
    pub fn load(path: &Path) -> CliResult<Policy> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| CliError::usage(format!("cannot read the policy file: {}", e.kind())))?;
        Policy::parse(&text)
    }

    /// Parse and check policy text.
    pub fn parse(text: &str) -> CliResult<Policy> {
        let raw: RawPolicy = toml::from_str(text).map_err(|e| err(e.to_string().trim_end().to_owned()))?;
        let unnamed = match raw.unnamed_columns.as_deref().map(str::trim) {
            None | Some("refuse") => Unnamed::Refuse,
            Some("drop") => Unnamed::Drop,
            Some("keep") => Unnamed::Keep,
            Some(other) => {
                return Err(err(format!("unnamed_columns = {other:?}: expected refuse, drop or keep")));
            }
        };
        let on_invalid = match raw.on_invalid.as_deref().map(str::trim) {
            None | Some("error") => OnInvalid::Error,
            Some("mark") => OnInvalid::Mark,
            Some(other) => return Err(err(format!("on_invalid = {other:?}: expected error or mark"))),
        };
        let marker = raw.marker.unwrap_or_else(|| "#INVALID".to_owned());
        if marker.contains(['\n', '\r']) {
            return Err(err("marker must be one line"));
        }
        let today = match raw.today.as_deref() {
            None => Date::today(),
            Some(s) => {
                parse_date(s).ok_or_else(|| err(format!("today = {s:?}: expected a date YYYY-MM-DD")))?
            }
        };
        if let Some(t) = &raw.table
            && (t.is_empty() || t.len() > desensitize::seal::MAX_FIELD_LEN)
        {
            return Err(err("table must be 1 to 1024 bytes"));
        }
        if let Some(r) = &raw.row_id {
            if r.is_empty() {
                return Err(err("row_id is empty"));
            }
            if let Some(c) = raw.columns.get(r)
                && c.kind.is_some()
            {
                return Err(err(format!(
                    "row_id column `{r}` has a kind: contexts are stored in the clear and must not hold \
                     personal data; use a surrogate key column"
                )));
            }
        }

        let mut columns = Vec::with_capacity(raw.columns.len());
        for (name, rc) in &raw.columns {
            columns.push(
                column(name, rc, raw.table.as_deref()).map_err(|m| err(format!("column `{name}`: {m}")))?,
            );
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
                    return Err(err(format!(
                        "column `{}`: generalize.{} = {out:?} clashes with {what}",
                        c.name,
                        fact.as_str()
                    )));
                }
            }
        }

        let k_anonymity = match raw.k_anonymity {
            None => None,
            Some(k) => {
                if k.k < 2 {
                    return Err(err("k_anonymity.k must be at least 2"));
                }
                if k.quasi_identifiers.is_empty() {
                    return Err(err("k_anonymity.quasi_identifiers is empty"));
                }
                let mut seen = HashSet::new();
                for q in &k.quasi_identifiers {
                    if !seen.insert(q.as_str()) {
                        return Err(err(format!("k_anonymity.quasi_identifiers names `{q}` twice")));
                    }
                    match outputs.get(q.as_str()) {
                        Some(source) => {
                            let col = columns.iter().find(|c| c.name == *source);
                            if let Some(c) = col
                                && c.name == *q
                                && matches!(c.action, Action::Seal)
                            {
                                return Err(err(format!(
                                    "k_anonymity: quasi-identifier `{q}` is sealed (randomized); \
                                     it cannot define equivalence classes"
                                )));
                            }
                        }
                        None if unnamed == Unnamed::Keep && !raw.columns.contains_key(q) => {
                            // Maybe an unnamed input column: checked against the header.
                        }
                        None => {
                            return Err(err(format!(
                                "k_anonymity: quasi-identifier `{q}` is not an output column"
                            )));
                        }
                    }
                }
                Some(KAnonymity { k: k.k as u64, quasi_identifiers: k.quasi_identifiers })
            }
        };

        Ok(Policy {
            table: raw.table,
            row_id: raw.row_id,
            unnamed,
            on_invalid,
            marker,
            today,
            columns,
            k_anonymity,
        })
    }

    /// Whether any column needs the keyring.
    pub fn needs_keys(&self) -> bool {
        self.columns.iter().any(|c| c.action.needs_keys())
    }

    /// Check the policy against the input's column names and lay out the output.
    pub fn layout(&self, header: &[String]) -> CliResult<Layout> {
        let mut index: HashMap<&str, usize> = HashMap::with_capacity(header.len());
        for (i, h) in header.iter().enumerate() {
            if index.insert(h.as_str(), i).is_some() {
                return Err(CliError::usage(format!("the input header has column `{h}` twice")));
            }
        }
        let missing: Vec<String> = self
            .columns
            .iter()
            .filter(|c| !index.contains_key(c.name.as_str()))
            .map(|c| format!("`{}`", c.name))
            .collect();
        if !missing.is_empty() {
            return Err(CliError::usage(format!(
                "policy column{} {} not in the input header",
                if missing.len() > 1 { "s" } else { "" },
                missing.join(", ")
            )));
        }
        let by_name: HashMap<&str, usize> =
            self.columns.iter().enumerate().map(|(i, c)| (c.name.as_str(), i)).collect();
        let unnamed: Vec<&String> = header.iter().filter(|h| !by_name.contains_key(h.as_str())).collect();
        if self.unnamed == Unnamed::Refuse && !unnamed.is_empty() {
            let names: Vec<String> = unnamed.iter().map(|h| format!("`{h}`")).collect();
            return Err(CliError::usage(format!(
                "input column{} {} not in the policy (unnamed_columns = \"refuse\"): add {} to the policy, \
                 or set unnamed_columns = \"drop\" or \"keep\"",
                if names.len() > 1 { "s" } else { "" },
                names.join(", "),
                if names.len() > 1 { "them" } else { "it" },
            )));
        }
        let row_id =
            match &self.row_id {
                None => None,
                Some(r) => Some(*index.get(r.as_str()).ok_or_else(|| {
                    CliError::usage(format!("row_id column `{r}` is not in the input header"))
                })?),
            };

        let mut columns = Vec::with_capacity(header.len());
        let mut out_names: Vec<String> = Vec::new();
        let mut seen: HashMap<String, usize> = HashMap::new();
        let mut add = |name: &str, out_names: &mut Vec<String>| -> CliResult {
            if seen.insert(name.to_owned(), out_names.len()).is_some() {
                return Err(CliError::usage(format!(
                    "output column `{name}` would appear twice (a derived column clashes with an unnamed \
                     input column kept by unnamed_columns = \"keep\")"
                )));
            }
            out_names.push(name.to_owned());
            Ok(())
        };
        for h in header {
            match by_name.get(h.as_str()) {
                Some(&p) => {
                    let c = &self.columns[p];
                    if c.writes_main() {
                        add(&c.name, &mut out_names)?;
                    }
                    for (_, d) in &c.derived {
                        add(d, &mut out_names)?;
                    }
                    columns.push(LayoutColumn::Policy(p));
                }
                None if self.unnamed == Unnamed::Keep => {
                    add(h, &mut out_names)?;
                    columns.push(LayoutColumn::Pass);
                }
                None => columns.push(LayoutColumn::Skip),
            }
        }
        let quasi_identifiers = match &self.k_anonymity {
            None => Vec::new(),
            Some(k) => k
                .quasi_identifiers
                .iter()
                .map(|q| {
                    out_names.iter().position(|n| n == q).ok_or_else(|| {
                        CliError::usage(format!(
                            "policy: k_anonymity: quasi-identifier `{q}` is not an output column"
                        ))
                    })
                })
                .collect::<CliResult<Vec<usize>>>()?,
        };
        Ok(Layout { columns, out_names, row_id, quasi_identifiers })
    }
}

/// How the input columns map to output columns.
#[derive(Debug, Clone)]
pub struct Layout {
    /// One per input column, in input order.
    pub columns: Vec<LayoutColumn>,
    /// Output column names, in output order.
    pub out_names: Vec<String>,
    /// Input index of the row id column.
    pub row_id: Option<usize>,
    /// Output indexes of the quasi-identifiers.
    pub quasi_identifiers: Vec<usize>,
}

/// What one input column is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LayoutColumn {
    /// Named by the policy (index into [`Policy::columns`]).
    Policy(usize),
    /// Unnamed, kept unchanged.
    Pass,
    /// Unnamed, dropped.
    Skip,
}

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
fn column(name: &str, rc: &RawColumn, table: Option<&str>) -> Result<ColumnPolicy, String> {
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
    Ok(ColumnPolicy { name: name.to_owned(), kind, action: parsed, derived, band_width, precision, grid_km })
}

fn fact_list(facts: &[Fact]) -> String {
    facts.iter().map(|f| f.as_str()).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(text: &str) -> String {
        Policy::parse(text).unwrap_err().to_string()
    }

    #[test]
    fn example_policy_parses() {
        let text = include_str!("../../examples/policy.toml");
        let p = Policy::parse(text).unwrap();
        assert_eq!(p.table.as_deref(), Some("users"));
        assert!(p.needs_keys());
        assert!(p.k_anonymity.is_some());
    }

    #[test]
    fn errors_are_precise() {
        let base = "table = \"users\"\n[columns.c]\n";
        assert!(msg(&format!("{base}action = \"shred\"")).contains("unknown action \"shred\""));
        assert!(msg(&format!("{base}action = \"mask\"\nkind = \"shoe\"")).contains("unknown kind"));
        assert!(
            msg(&format!("{base}action = \"mask\"\nkind = \"email\"\nlevel = \"max\""))
                .contains("unknown level")
        );
        assert!(msg(&format!("{base}action = \"fpe\"\nkind = \"email\"\ndomain = \"x\"")).contains("fpe"));
        assert!(
            msg(&format!("{base}action = \"blind-index\"\nkind = \"mobile_phone\"\nbits = 40"))
                .contains("bits = 40")
        );
        assert!(msg(&format!("{base}action = \"seal\"")).contains("needs a kind"));
        assert!(msg(&format!("{base}action = \"seal\"\nkind = \"email\"\nlevle = 1")).contains("levle"));
        let clash = "[columns.a]\naction = \"keep\"\n[columns.id]\nkind = \"id_number\"\naction = \"drop\"\n\
                     generalize = { gender = \"a\" }";
        assert!(msg(clash).contains("clashes"));
        let qi = "[columns.a]\naction = \"keep\"\n[k_anonymity]\nk = 2\nquasi_identifiers = [\"b\"]";
        assert!(msg(qi).contains("quasi-identifier `b`"));
    }

    #[test]
    fn layout_follows_the_header() {
        let p = Policy::parse(
            "unnamed_columns = \"keep\"\n[columns.id]\nkind = \"id_number\"\naction = \"drop\"\n\
             generalize = { province = \"p\", gender = \"g\" }",
        )
        .unwrap();
        let l = p.layout(&["x".into(), "id".into(), "y".into()]).unwrap();
        assert_eq!(l.out_names, ["x", "g", "p", "y"]);
        assert!(p.layout(&["x".into()]).unwrap_err().to_string().contains("`id`"));
    }
}
