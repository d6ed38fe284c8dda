//! k-anonymity as the plan's optional two-pass step: pass 1 counts the
//! classes of the quasi-identifiers ([`Plan::count`] on every record,
//! [`ClassCounts::merge`] across workers, [`Plan::finish_counting`]); pass 2
//! ([`Plan::apply`]) withholds the rows of classes smaller than k.

use std::collections::HashMap;

use super::apply::{Cells, Fields, Report};
use super::plan::Plan;
use super::{PolicyError, RowError};
use crate::generalize::{EquivalenceClasses, Suppression};

/// Class sizes of the quasi-identifiers, counted in pass 1.
#[derive(Clone, Default)]
pub struct ClassCounts {
    /// Length-prefixed quasi-identifier values -> rows.
    counts: HashMap<Vec<u8>, u64>,
}

/// The number of classes only: the keys are (generalized) personal data.
impl std::fmt::Debug for ClassCounts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ClassCounts({} classes)", self.counts.len())
    }
}

impl ClassCounts {
    /// No rows counted.
    pub fn new() -> ClassCounts {
        ClassCounts::default()
    }

    /// Add another worker's counts.
    pub fn merge(&mut self, other: ClassCounts) {
        for (k, n) in other.counts {
            *self.counts.entry(k).or_insert(0) += n;
        }
    }

    /// Number of classes seen.
    pub fn classes(&self) -> usize {
        self.counts.len()
    }
}

/// Split a class key back into its values.
fn decode_key(mut key: &[u8]) -> Vec<String> {
    let mut values = Vec::new();
    while key.len() >= 4 {
        let n = u32::from_le_bytes([key[0], key[1], key[2], key[3]]) as usize;
        let end = (4 + n).min(key.len());
        values.push(class_value(&key[4..end]).into_owned());
        key = &key[end..];
    }
    values
}

/// A quasi-identifier cell as a class value, injectively: UTF-8 text as it
/// is, other bytes (a GBK city, kept as it is in CSV output) as `\0` and
/// their hex, so that distinct byte strings are distinct classes (a lossy
/// decoding would merge them all into one `U+FFFD` class). Text that itself
/// starts with `\0` is hex-encoded too, so no two cells share a value.
pub(super) fn class_value(cell: &[u8]) -> std::borrow::Cow<'_, str> {
    use std::fmt::Write;
    match std::str::from_utf8(cell) {
        Ok(s) if !s.starts_with('\0') => std::borrow::Cow::Borrowed(s),
        _ => {
            let mut hex = String::with_capacity(1 + 2 * cell.len());
            hex.push('\0');
            for b in cell {
                let _ = write!(hex, "{b:02x}");
            }
            std::borrow::Cow::Owned(hex)
        }
    }
}

impl Plan {
    /// Whether the plan has a k-anonymity step (two passes over the input).
    pub fn needs_counting(&self) -> bool {
        self.rules.k_anonymity.is_some()
    }

    /// Pass 1 of k-anonymity: count the record's class. Only the
    /// quasi-identifiers are computed (into `scratch`). Rows withheld as
    /// minors are not counted; invalid values fail the row as in
    /// [`Plan::apply`] (and are reported in pass 2).
    ///
    /// ```
    /// use desensitize::policy::{Cells, ClassCounts, Plan, Policy, Report, Verdict, Withheld};
    ///
    /// let policy = Policy::from_json(r#"{"columns": {"city": {"action": "keep"}},
    ///     "k_anonymity": {"k": 2, "quasi_identifiers": ["city"]}}"#)?;
    /// let plan = Plan::from_policy(&policy, &["city"], None)?;
    /// let rows = [["Beijing"], ["Beijing"], ["Lhasa"]];
    /// let (mut cells, mut classes) = (Cells::new(), ClassCounts::new());
    /// for (i, r) in rows.iter().enumerate() {
    ///     plan.count(i as u64 + 1, &r[..], &mut cells, &mut classes)?;
    /// }
    /// plan.finish_counting(classes)?;
    /// let mut report = Report::default();
    /// assert_eq!(plan.apply(3, &rows[2][..], &mut cells, &mut report)?, Verdict::Withheld(Withheld::KAnonymity));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn count<R: Fields + ?Sized>(
        &self,
        row: u64,
        record: &R,
        scratch: &mut Cells,
        classes: &mut ClassCounts,
    ) -> Result<(), RowError> {
        let mut report = Report::default();
        if self.fill(row, record, true, scratch, &mut report)?.is_some() {
            return Ok(());
        }
        let mut key = Vec::new();
        for &q in &self.quasi_identifiers {
            let v = scratch.get(q);
            key.extend_from_slice(&(v.len() as u32).to_le_bytes());
            key.extend_from_slice(v);
        }
        *classes.counts.entry(key).or_insert(0) += 1;
        Ok(())
    }

    /// End pass 1: the classes smaller than k are to be suppressed in pass 2.
    pub fn finish_counting(&self, classes: ClassCounts) -> Result<&Suppression, PolicyError> {
        let k = self
            .rules
            .k_anonymity
            .as_ref()
            .ok_or_else(|| PolicyError::KAnonymity("the policy has no k_anonymity step".into()))?;
        let mut all = EquivalenceClasses::new();
        for (key, n) in &classes.counts {
            let values = decode_key(key);
            for _ in 0..*n {
                all.add(&values);
            }
        }
        let s = all.suppression(k.k).map_err(|e| PolicyError::KAnonymity(e.to_string()))?;
        // A second call keeps the first counts.
        Ok(self.suppression.get_or_init(|| s))
    }

    /// The suppression computed by [`Plan::finish_counting`].
    pub fn suppression(&self) -> Option<&Suppression> {
        self.suppression.get()
    }
}
