//! The checked policy: [`Policy::check`] turns the policy as written into
//! [`Rules`], with every value parsed and every combination checked. Error
//! messages name policy keys and columns, never values.

use std::collections::{HashMap, HashSet};

use super::PolicyError;
use super::column_rule::column;
use super::schema::{KAnonymitySpec, Minors, OnInvalid, Policy, PrivacySpec, Unnamed};
use crate::pseudo::{Domain, Transform};
use crate::risk::{Diversity, PrivacyModel, RiskError};
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

    pub(super) fn parse(s: &str) -> Option<Fact> {
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

/// The privacy model over output columns: `[privacy]`, or its older form
/// `[k_anonymity]` (k only, any number of rows withheld).
#[derive(Debug, Clone)]
pub struct KAnonymity {
    /// Smallest class size kept (at least 2 under `[k_anonymity]`, 1 or more under `[privacy]`).
    pub k: u64,
    /// Output column names whose values define the classes.
    pub quasi_identifiers: Vec<String>,
    /// Output column names whose values l-diversity and t-closeness protect.
    pub sensitive: Vec<String>,
    /// The whole model: k, l, t, the risk cap and the suppression budget.
    pub model: PrivacyModel,
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
        self.check_named_columns()?;

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
        let outputs = output_names(&columns)?;
        let k_anonymity = match (&self.k_anonymity, &self.privacy) {
            (None, None) => None,
            (Some(k), None) => Some(self.check_k_anonymity(k, &columns, &outputs)?),
            (None, Some(p)) => Some(self.check_privacy(p, &columns, &outputs)?),
            (Some(_), Some(_)) => {
                return Err(PolicyError::Privacy(RiskError::Setting {
                    key: "[privacy]",
                    reason: "and [k_anonymity] are both given: keep [privacy]".into(),
                }));
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

    /// `row_id` and `consent_column`: named, and not columns of personal data.
    fn check_named_columns(&self) -> Result<(), PolicyError> {
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
        Ok(())
    }

    /// `[k_anonymity]` against the output columns (`outputs`: output name ->
    /// the policy column that writes it).
    fn check_k_anonymity(
        &self,
        k: &KAnonymitySpec,
        columns: &[ColumnRule],
        outputs: &HashMap<&str, &str>,
    ) -> Result<KAnonymity, PolicyError> {
        let err = |m: String| PolicyError::KAnonymity(m);
        if k.k < 2 {
            return Err(err("k must be at least 2".into()));
        }
        self.check_class_columns(&k.quasi_identifiers, &[], columns, outputs).map_err(err)?;
        let model = PrivacyModel::new(k.k as u64)
            .and_then(|m| m.with_max_suppression(1.0))
            .map_err(|e| err(e.to_string()))?;
        Ok(KAnonymity {
            k: k.k as u64,
            quasi_identifiers: k.quasi_identifiers.clone(),
            sensitive: Vec::new(),
            model,
        })
    }

    /// `[privacy]` against the output columns.
    fn check_privacy(
        &self,
        p: &PrivacySpec,
        columns: &[ColumnRule],
        outputs: &HashMap<&str, &str>,
    ) -> Result<KAnonymity, PolicyError> {
        let err =
            |key: &'static str, reason: String| PolicyError::Privacy(RiskError::Setting { key, reason });
        self.check_class_columns(&p.quasi_identifiers, &p.sensitive, columns, outputs)
            .map_err(|m| err("quasi_identifiers", m))?;
        let k = p.k.unwrap_or(1);
        if k < 1 {
            return Err(err("k", "must be at least 1".into()));
        }
        let mut model = PrivacyModel::new(k as u64).map_err(PolicyError::Privacy)?;
        let needs_sensitive = p.l.is_some() || p.t.is_some();
        if needs_sensitive == p.sensitive.is_empty() {
            return Err(err("sensitive", "names the columns l and t protect: give both, or neither".into()));
        }
        if let Some(l) = p.l {
            let diversity = match p.diversity.as_deref() {
                None | Some("distinct") => Diversity::Distinct,
                Some("entropy") => Diversity::Entropy,
                Some(d) => return Err(err("diversity", format!("= {d:?}: expected distinct, entropy"))),
            };
            model = model.with_l(l.max(0) as u64, diversity).map_err(PolicyError::Privacy)?;
        } else if p.diversity.is_some() {
            return Err(err("diversity", "needs l".into()));
        }
        if let Some(t) = p.t {
            model = model.with_t(t).map_err(PolicyError::Privacy)?;
        }
        if let Some(r) = p.max_risk {
            model = model.with_max_risk(r).map_err(PolicyError::Privacy)?;
        }
        model =
            model.with_max_suppression(p.max_suppression.unwrap_or(0.05)).map_err(PolicyError::Privacy)?;
        if model.k() < 2 && model.l().is_none() && model.t().is_none() && model.max_risk().is_none() {
            return Err(err("k", "is 1 and nothing else is required: the model protects nothing".into()));
        }
        Ok(KAnonymity {
            k: model.k(),
            quasi_identifiers: p.quasi_identifiers.clone(),
            sensitive: p.sensitive.clone(),
            model,
        })
    }

    /// The quasi-identifiers and sensitive columns: output columns (or
    /// maybe-unnamed inputs), each named once, none sealed.
    fn check_class_columns(
        &self,
        quasi_identifiers: &[String],
        sensitive: &[String],
        columns: &[ColumnRule],
        outputs: &HashMap<&str, &str>,
    ) -> Result<(), String> {
        if quasi_identifiers.is_empty() {
            return Err("quasi_identifiers is empty".into());
        }
        let mut seen = HashSet::new();
        for (i, q) in quasi_identifiers.iter().chain(sensitive).enumerate() {
            let what = if i < quasi_identifiers.len() { "quasi-identifier" } else { "sensitive column" };
            if !seen.insert(q.as_str()) {
                return Err(if i < quasi_identifiers.len() {
                    format!("quasi_identifiers names `{q}` twice")
                } else {
                    format!("sensitive names `{q}` twice, or a quasi-identifier")
                });
            }
            match outputs.get(q.as_str()) {
                Some(source) => {
                    let col = columns.iter().find(|c| c.name == *source);
                    if let Some(c) = col
                        && c.name == *q
                        && matches!(c.action, Action::Seal)
                    {
                        return Err(format!(
                            "{what} `{q}` is sealed (randomized); it cannot define equivalence classes"
                        ));
                    }
                }
                None if self.unnamed_columns == Unnamed::Keep && !self.columns.contains_key(q) => {
                    // Maybe an unnamed input column: checked against the header.
                }
                None => return Err(format!("{what} `{q}` is not an output column")),
            }
        }
        Ok(())
    }
}

/// Output names: main values (not dropped) and derived columns, all
/// distinct. Output name -> the policy column that writes it.
fn output_names(columns: &[ColumnRule]) -> Result<HashMap<&str, &str>, PolicyError> {
    let mut outputs: HashMap<&str, &str> = HashMap::new();
    for c in columns {
        if c.writes_main() {
            outputs.insert(&c.name, &c.name);
        }
    }
    for c in columns {
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
    Ok(outputs)
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

fn parse_date(s: &str) -> Option<Date> {
    let mut parts = s.trim().splitn(3, '-');
    let y = parts.next()?.parse::<u16>().ok()?;
    let m = parts.next()?.parse::<u8>().ok()?;
    let d = parts.next()?.parse::<u8>().ok()?;
    Date::new(y, m, d)
}
