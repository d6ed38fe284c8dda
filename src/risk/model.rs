//! Privacy models: k-anonymity, l-diversity, t-closeness and a cap on
//! prosecutor risk, met by suppressing failing classes within a budget.

use std::collections::HashSet;

use super::measure::{Domains, entropy_l_of};
use super::table::{ClassTable, Dist};
use super::{Requirement, RiskError, Unmet};

/// Which l-diversity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Diversity {
    /// At least l distinct sensitive values per class.
    #[default]
    Distinct,
    /// Entropy of the sensitive values per class at least `ln l`.
    Entropy,
}

/// What a table must meet: every class of at least `k` records, at least
/// `l`-diverse and at most `t` from the whole table in every sensitive
/// attribute, no record's prosecutor risk above `max_risk`; the records of
/// classes that miss it are suppressed, up to `max_suppression` of the
/// table.
///
/// The optimal search prunes with the model's monotonicity
/// ([`is_monotone`](Self::is_monotone)). The t-closeness reference is the
/// whole table before suppression.
///
/// ```
/// use desensitize::risk::{ClassTable, Diversity, PrivacyModel, Requirement, RiskError};
///
/// let mut table = ClassTable::new(1, 1);
/// for (city, dx) in [("a", "flu"), ("a", "cold"), ("a", "hiv"), ("b", "hiv"), ("b", "hiv"), ("b", "hiv")] {
///     table.add(&[city], &[dx]);
/// }
/// let model = PrivacyModel::new(3)?.with_l(2, Diversity::Distinct)?;
/// // Class b is 3-anonymous but every record in it says "hiv".
/// let err = model.check(table.clone(), &["diagnosis"]).unwrap_err();
/// let RiskError::Unmet(u) = &err else { panic!() };
/// assert_eq!((u.requirement, u.class.as_slice()), (Requirement::DistinctL, &["b".to_owned()][..]));
/// assert_eq!(err.to_string(), "class (b) misses l (distinct) of `diagnosis`; 1 classes of 3 records miss the model, the suppression budget is 0 records");
///
/// // With half the table allowed to go, class b is suppressed.
/// let checked = model.with_max_suppression(0.5)?.check(table, &["diagnosis"])?;
/// assert_eq!(checked.suppressed_records(), 3);
/// assert!(checked.keeps(&["a"]) && !checked.keeps(&["b"]) && !checked.keeps(&["c"]));
/// # Ok::<(), RiskError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PrivacyModel {
    k: u64,
    l: Option<(u64, Diversity)>,
    t: Option<f64>,
    max_risk: Option<f64>,
    max_suppression: f64,
}

fn setting(key: &'static str, reason: &str) -> RiskError {
    RiskError::Setting { key, reason: reason.into() }
}

impl PrivacyModel {
    /// Classes of at least `k` records (1: no k requirement), nothing suppressed.
    pub fn new(k: u64) -> Result<PrivacyModel, RiskError> {
        if k < 1 {
            return Err(setting("k", "must be at least 1"));
        }
        Ok(PrivacyModel { k, l: None, t: None, max_risk: None, max_suppression: 0.0 })
    }

    /// And at least `l` (2 or more) distinct values, or entropy `ln l`, of
    /// every sensitive attribute in every class.
    pub fn with_l(mut self, l: u64, diversity: Diversity) -> Result<PrivacyModel, RiskError> {
        if l < 2 {
            return Err(setting("l", "must be at least 2"));
        }
        self.l = Some((l, diversity));
        Ok(self)
    }

    /// And every class's sensitive values within `t` (in `(0, 1]`) of the whole table's.
    pub fn with_t(mut self, t: f64) -> Result<PrivacyModel, RiskError> {
        if !(t > 0.0 && t <= 1.0) {
            return Err(setting("t", "must be in (0, 1]"));
        }
        self.t = Some(t);
        Ok(self)
    }

    /// And no record's prosecutor risk above `max_risk` (in `(0, 1]`).
    pub fn with_max_risk(mut self, max_risk: f64) -> Result<PrivacyModel, RiskError> {
        if !(max_risk > 0.0 && max_risk <= 1.0) {
            return Err(setting("max_risk", "must be in (0, 1]"));
        }
        self.max_risk = Some(max_risk);
        Ok(self)
    }

    /// Suppress the failing classes' records up to this share of the table (in `[0, 1]`).
    pub fn with_max_suppression(mut self, share: f64) -> Result<PrivacyModel, RiskError> {
        if !(0.0..=1.0).contains(&share) {
            return Err(setting("max_suppression", "must be in [0, 1]"));
        }
        self.max_suppression = share;
        Ok(self)
    }

    /// The k asked for.
    pub fn k(&self) -> u64 {
        self.k
    }

    /// The l asked for, if any.
    pub fn l(&self) -> Option<(u64, Diversity)> {
        self.l
    }

    /// The t asked for, if any.
    pub fn t(&self) -> Option<f64> {
        self.t
    }

    /// The highest prosecutor risk allowed, if capped.
    pub fn max_risk(&self) -> Option<f64> {
        self.max_risk
    }

    /// The share of records that may be suppressed.
    pub fn max_suppression(&self) -> f64 {
        self.max_suppression
    }

    /// Whether a coarser generalization of a table that meets the model
    /// always meets it too. k, distinct l and the risk cap are; t-closeness
    /// and entropy l are only without suppression (a class that meets them
    /// merged with a suppressed one may miss them, with more records).
    pub fn is_monotone(&self) -> bool {
        let convex_only = self.t.is_some() || matches!(self.l, Some((_, Diversity::Entropy)));
        !convex_only || self.max_suppression == 0.0
    }

    /// Whether the model looks at sensitive attributes.
    pub(crate) fn needs_sensitive(&self) -> bool {
        self.l.is_some() || self.t.is_some()
    }

    /// Records the budget allows out of `records`.
    pub(crate) fn budget(&self, records: u64) -> u64 {
        (self.max_suppression * records as f64 + 1e-9).floor() as u64
    }

    /// What a class of `count` records with sensitive values `dists`
    /// misses first (and in which attribute), if anything.
    pub(crate) fn fails(
        &self,
        count: u64,
        dists: &[Dist],
        domains: &Domains,
    ) -> Option<(Requirement, Option<usize>)> {
        if count < self.k {
            return Some((Requirement::K, None));
        }
        if self.max_risk.is_some_and(|r| 1.0 / count as f64 > r + 1e-12) {
            return Some((Requirement::MaxRisk, None));
        }
        for (i, dist) in dists.iter().enumerate() {
            match self.l {
                Some((l, Diversity::Distinct)) if (dist.len() as u64) < l => {
                    return Some((Requirement::DistinctL, Some(i)));
                }
                Some((l, Diversity::Entropy)) if entropy_l_of(count, dist) < l as f64 - 1e-9 => {
                    return Some((Requirement::EntropyL, Some(i)));
                }
                _ => {}
            }
            if self.t.is_some_and(|t| domains.emd(i, count, dist) > t + 1e-12) {
                return Some((Requirement::T, Some(i)));
            }
        }
        None
    }

    /// Check `table` (`sensitive` names its sensitive columns, for the
    /// message): the classes that miss the model are suppressed when their
    /// records fit the budget, or the largest of them is named.
    pub fn check<S: AsRef<str>>(&self, table: ClassTable, sensitive: &[S]) -> Result<Checked, RiskError> {
        let domains = Domains::of(&table);
        let mut failing = HashSet::new();
        let mut records = 0u64;
        let mut worst: Option<(u64, &[u32], Requirement, Option<usize>)> = None;
        for (key, class) in &table.classes {
            if let Some((req, attr)) = self.fails(class.count, &class.sensitive, &domains) {
                records += class.count;
                failing.insert(key.clone());
                let bigger = worst.is_none_or(|(n, k, ..)| (class.count, &key[..]) > (n, k));
                if bigger {
                    worst = Some((class.count, key, req, attr));
                }
            }
        }
        let budget = self.budget(table.records);
        if let Some((_, key, requirement, attr)) = worst
            && records > budget
        {
            return Err(RiskError::Unmet(Box::new(Unmet {
                requirement,
                class: table.key_text(key),
                attribute: attr.map(|i| {
                    sensitive.get(i).map_or_else(|| format!("#{}", i + 1), |s| s.as_ref().to_owned())
                }),
                failing_classes: failing.len() as u64,
                failing_records: records,
                budget,
            })));
        }
        Ok(Checked { suppressed_classes: failing.len() as u64, suppressed_records: records, failing, table })
    }
}

/// A table that meets its model once the failing classes are suppressed:
/// which records to keep.
#[derive(Debug)]
pub struct Checked {
    table: ClassTable,
    failing: HashSet<Box<[u32]>>,
    suppressed_classes: u64,
    suppressed_records: u64,
}

impl Checked {
    /// Whether a record of these quasi-identifier values is kept: its class
    /// was counted and meets the model (a class never counted is not kept).
    pub fn keeps<Q: AsRef<[u8]>>(&self, quasi_identifiers: &[Q]) -> bool {
        let mut key = Vec::with_capacity(self.table.quasi.len());
        for (i, dict) in self.table.quasi.iter().enumerate() {
            let v = quasi_identifiers.get(i).map_or(&b""[..], |q| q.as_ref());
            match dict.get(v) {
                Some(id) => key.push(id),
                None => return false,
            }
        }
        self.table.classes.contains_key(&key[..]) && !self.failing.contains(&key[..])
    }

    /// The classes kept: the table as released, for a
    /// [`RiskReport`](super::RiskReport).
    pub fn into_kept(self) -> ClassTable {
        let Checked { mut table, failing, suppressed_records, .. } = self;
        table.classes.retain(|k, _| !failing.contains(k));
        table.records -= suppressed_records;
        table
    }

    /// Records to suppress.
    pub fn suppressed_records(&self) -> u64 {
        self.suppressed_records
    }

    /// Classes to suppress.
    pub fn suppressed_classes(&self) -> u64 {
        self.suppressed_classes
    }

    /// Records kept.
    pub fn kept_records(&self) -> u64 {
        self.table.records - self.suppressed_records
    }

    /// The smallest class kept, if any.
    pub fn smallest_kept_class(&self) -> Option<u64> {
        self.table.classes.iter().filter(|(k, _)| !self.failing.contains(*k)).map(|(_, c)| c.count).min()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(rows: &[(&str, &str)]) -> ClassTable {
        let mut t = ClassTable::new(1, 1);
        for (q, s) in rows {
            t.add(&[q], &[s]);
        }
        t
    }

    #[test]
    fn every_requirement() {
        let rows = [("a", "1"), ("a", "2"), ("a", "3"), ("a", "3"), ("b", "1"), ("b", "1"), ("c", "9")];
        let unmet = |m: PrivacyModel| match m.check(table(&rows), &["s"]) {
            Err(RiskError::Unmet(u)) => (u.requirement, u.class[0].clone(), u.failing_records),
            other => panic!("{other:?}"),
        };
        assert_eq!(unmet(PrivacyModel::new(2).unwrap()), (Requirement::K, "c".into(), 1));
        let m = PrivacyModel::new(1).unwrap().with_max_risk(0.5).unwrap();
        assert_eq!(unmet(m), (Requirement::MaxRisk, "c".into(), 1));
        let m = PrivacyModel::new(1).unwrap().with_l(2, Diversity::Distinct).unwrap();
        assert_eq!(unmet(m), (Requirement::DistinctL, "b".into(), 3));
        let m = PrivacyModel::new(1).unwrap().with_l(3, Diversity::Entropy).unwrap();
        assert_eq!(unmet(m), (Requirement::EntropyL, "a".into(), 7));
        let m = PrivacyModel::new(1).unwrap().with_t(0.5).unwrap();
        assert_eq!(unmet(m).0, Requirement::T);
        let ok = PrivacyModel::new(2).unwrap().with_max_suppression(0.2).unwrap();
        let c = ok.check(table(&rows), &["s"]).unwrap();
        assert_eq!((c.suppressed_records(), c.kept_records(), c.smallest_kept_class()), (1, 6, Some(2)));
    }

    #[test]
    fn bad_settings() {
        assert!(PrivacyModel::new(0).is_err());
        let m = PrivacyModel::new(2).unwrap();
        assert!(m.with_l(1, Diversity::Distinct).is_err());
        assert!(m.with_t(0.0).is_err() && m.with_t(1.5).is_err());
        assert!(m.with_max_risk(0.0).is_err());
        assert!(m.with_max_suppression(-0.1).is_err() && m.with_max_suppression(f64::NAN).is_err());
    }
}
