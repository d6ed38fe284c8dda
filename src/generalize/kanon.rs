//! k-anonymity over quasi-identifiers: equivalence classes and suppression.

use std::collections::{HashMap, HashSet};

use crate::error::{ConfigError, Error, Result};

/// Counts of records per combination of quasi-identifier values.
///
/// Linear time and memory proportional to the number of *classes*, not
/// records, so it works on streams: pass 1 [`add`](Self::add)s every
/// record's quasi-identifiers, then [`suppression`](Self::suppression) says,
/// in pass 2, which records to drop.
///
/// ```
/// use desensitize::generalize::EquivalenceClasses;
///
/// let rows = [
///     ["female", "25-29", "北京市"],
///     ["female", "25-29", "北京市"],
///     ["male", "30-34", "上海市"],
///     ["female", "25-29", "北京市"],
/// ];
/// let mut classes = EquivalenceClasses::new();
/// for r in &rows {
///     classes.add(r);
/// }
/// assert_eq!(classes.smallest(), Some(1));
/// assert!(!classes.is_k_anonymous(2));
///
/// let s = classes.suppression(2)?;
/// assert_eq!(s.suppressed_records(), 1);
/// let kept: Vec<_> = rows.iter().filter(|r| s.keeps(*r)).collect();
/// assert_eq!(kept.len(), 3);
/// # Ok::<(), desensitize::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct EquivalenceClasses {
    counts: HashMap<Vec<String>, u64>,
    records: u64,
}

impl EquivalenceClasses {
    /// No records yet.
    pub fn new() -> EquivalenceClasses {
        EquivalenceClasses::default()
    }

    /// Count one record by its quasi-identifier values (in a fixed order).
    pub fn add<S: AsRef<str>>(&mut self, quasi_identifiers: &[S]) {
        let key: Vec<String> = quasi_identifiers.iter().map(|s| s.as_ref().to_owned()).collect();
        *self.counts.entry(key).or_insert(0) += 1;
        self.records += 1;
    }

    /// Records counted.
    pub fn records(&self) -> u64 {
        self.records
    }

    /// Distinct classes.
    pub fn classes(&self) -> usize {
        self.counts.len()
    }

    /// Size of the smallest class: the `k` the data set achieves as it is.
    pub fn smallest(&self) -> Option<u64> {
        self.counts.values().copied().min()
    }

    /// Size of the class of `quasi_identifiers` (0 if unseen).
    pub fn class_size<S: AsRef<str>>(&self, quasi_identifiers: &[S]) -> u64 {
        let key: Vec<String> = quasi_identifiers.iter().map(|s| s.as_ref().to_owned()).collect();
        self.counts.get(&key).copied().unwrap_or(0)
    }

    /// Whether every class has at least `k` records.
    pub fn is_k_anonymous(&self, k: u64) -> bool {
        self.smallest().is_none_or(|m| m >= k)
    }

    /// The classes smaller than `k`, to be suppressed. `k` must be at least 2.
    pub fn suppression(&self, k: u64) -> Result<Suppression> {
        if k < 2 {
            return Err(Error::Config(ConfigError::KAnonymity));
        }
        // An allow-list: a class not counted at least k times (also one
        // never counted, as when the input changed between the passes) is
        // suppressed.
        let kept: HashSet<Vec<String>> =
            self.counts.iter().filter(|&(_, &n)| n >= k).map(|(key, _)| key.clone()).collect();
        let suppressed_classes = self.counts.len() - kept.len();
        let suppressed_records = self.counts.iter().filter(|&(_, &n)| n < k).map(|(_, &n)| n).sum();
        let kept_min = self.counts.values().copied().filter(|&n| n >= k).min();
        Ok(Suppression {
            k,
            kept,
            suppressed_classes,
            suppressed_records,
            kept_records: self.records - suppressed_records,
            kept_min,
        })
    }
}

/// Which records to drop so that what remains is k-anonymous.
#[derive(Debug, Clone)]
pub struct Suppression {
    k: u64,
    /// The classes counted at least k times: only these are kept.
    kept: HashSet<Vec<String>>,
    suppressed_classes: usize,
    suppressed_records: u64,
    kept_records: u64,
    kept_min: Option<u64>,
}

impl Suppression {
    /// Whether a record with these quasi-identifiers is kept: only when its
    /// class was counted at least k times (a class never counted is not).
    pub fn keeps<S: AsRef<str>>(&self, quasi_identifiers: &[S]) -> bool {
        let key: Vec<String> = quasi_identifiers.iter().map(|s| s.as_ref().to_owned()).collect();
        self.kept.contains(&key)
    }

    /// The `k` asked for.
    pub fn k(&self) -> u64 {
        self.k
    }

    /// Records that will be dropped.
    pub fn suppressed_records(&self) -> u64 {
        self.suppressed_records
    }

    /// Classes that will be dropped.
    pub fn suppressed_classes(&self) -> usize {
        self.suppressed_classes
    }

    /// Records that remain.
    pub fn kept_records(&self) -> u64 {
        self.kept_records
    }

    /// Smallest class that remains (at least `k`), if any remains.
    pub fn smallest_kept_class(&self) -> Option<u64> {
        self.kept_min
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn synthetic_dataset() {
        // 1,000 synthetic people: gender x 10 age bands x 5 provinces, with a
        // deliberately rare tail.
        let genders = ["female", "male"];
        let provinces = ["北京市", "上海市", "广东省", "四川省", "西藏自治区"];
        let mut rows = Vec::new();
        for i in 0..1000u32 {
            let g = genders[(i % 2) as usize];
            let band = format!("{}-{}", 20 + (i % 10) * 5, 24 + (i % 10) * 5);
            // Tibet gets only the first 7 records, each its own class.
            let p = if i < 7 { provinces[4] } else { provinces[(i % 4) as usize] };
            rows.push([g.to_owned(), band, p.to_owned()]);
        }
        let mut classes = EquivalenceClasses::new();
        for r in &rows {
            classes.add(r);
        }
        assert_eq!(classes.records(), 1000);
        assert_eq!(classes.smallest(), Some(1));
        let s = classes.suppression(5).unwrap();
        assert_eq!(s.suppressed_records(), 7);
        assert_eq!(s.suppressed_classes(), 7);
        assert_eq!(s.kept_records(), 993);
        let kept: Vec<_> = rows.iter().filter(|r| s.keeps(*r)).collect();
        assert_eq!(kept.len(), 993);
        let mut after = EquivalenceClasses::new();
        for r in &kept {
            after.add(*r);
        }
        assert!(after.is_k_anonymous(5));
        assert_eq!(after.smallest(), s.smallest_kept_class());
        assert!(classes.suppression(1).is_err());
        // A class that was not in the counted data is suppressed.
        assert!(!s.keeps(&["female", "20-24", "海南省"]));
    }

    #[test]
    fn empty_and_trivial() {
        let c = EquivalenceClasses::new();
        assert_eq!(c.smallest(), None);
        assert!(c.is_k_anonymous(10));
        let s = c.suppression(2).unwrap();
        // Fail closed: a class never counted is not kept.
        assert!(!s.keeps(&["x"]));
        assert_eq!(s.smallest_kept_class(), None);
    }
}
