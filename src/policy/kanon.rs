//! The privacy model (`[privacy]`, or `[k_anonymity]`) as the plan's
//! optional two-pass step: pass 1 counts the classes of the
//! quasi-identifiers and the sensitive values in each ([`Plan::count`] on
//! every record, [`ClassCounts::merge`] across workers,
//! [`Plan::finish_counting`], which refuses a table that misses the model
//! beyond its suppression budget); pass 2 ([`Plan::apply`]) withholds the
//! rows of the classes that miss it.

use super::apply::{Cells, Fields, Report};
use super::plan::Plan;
use super::{PolicyError, RowError};
use crate::risk::{Checked, ClassTable, RiskError};

/// Class sizes of the quasi-identifiers (and sensitive values per class),
/// counted in pass 1: a [`ClassTable`].
#[derive(Clone, Default)]
pub struct ClassCounts {
    table: Option<ClassTable>,
}

/// The number of classes only: the keys are (generalized) personal data.
impl std::fmt::Debug for ClassCounts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ClassCounts({} classes)", self.classes())
    }
}

impl ClassCounts {
    /// No rows counted.
    pub fn new() -> ClassCounts {
        ClassCounts::default()
    }

    /// Add another worker's counts.
    pub fn merge(&mut self, other: ClassCounts) {
        match (&mut self.table, other.table) {
            (_, None) => {}
            (None, t) => self.table = t,
            (Some(mine), Some(theirs)) => mine.merge(theirs),
        }
    }

    /// Number of classes seen.
    pub fn classes(&self) -> usize {
        self.table.as_ref().map_or(0, ClassTable::classes)
    }
}

impl Plan {
    /// Whether the plan has a privacy-model step (two passes over the input).
    pub fn needs_counting(&self) -> bool {
        self.rules.k_anonymity.is_some()
    }

    /// Pass 1 of the privacy model: count the record's class (and its
    /// sensitive values). Only the quasi-identifiers and sensitive columns
    /// are computed (into `scratch`). Rows withheld as minors are not
    /// counted; invalid values fail the row as in [`Plan::apply`] (and are
    /// reported in pass 2).
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
        let table = classes
            .table
            .get_or_insert_with(|| ClassTable::new(self.quasi_identifiers.len(), self.sensitive.len()));
        let qi: Vec<&[u8]> = self.quasi_identifiers.iter().map(|&q| scratch.get(q)).collect();
        let sens: Vec<&[u8]> = self.sensitive.iter().map(|&s| scratch.get(s)).collect();
        table.add(&qi, &sens);
        Ok(())
    }

    /// End pass 1: the classes that miss the model are to be withheld in
    /// pass 2; when their rows exceed the suppression budget, the table is
    /// refused ([`PolicyError::Privacy`] with
    /// [`RiskError::Unmet`](crate::risk::RiskError::Unmet), naming the
    /// largest failing class by its generalized key).
    ///
    /// ```
    /// use desensitize::policy::{Cells, ClassCounts, Plan, Policy, PolicyError};
    ///
    /// let policy = Policy::from_json(r#"{"columns": {"city": {"action": "keep"}, "dx": {"action": "keep"}},
    ///     "privacy": {"k": 2, "quasi_identifiers": ["city"], "l": 2, "sensitive": ["dx"]}}"#)?;
    /// let plan = Plan::from_policy(&policy, &["city", "dx"], None)?;
    /// let (mut cells, mut classes) = (Cells::new(), ClassCounts::new());
    /// for (i, r) in [["Beijing", "flu"], ["Beijing", "cold"], ["Lhasa", "hiv"], ["Lhasa", "hiv"]].iter().enumerate() {
    ///     plan.count(i as u64 + 1, &r[..], &mut cells, &mut classes)?;
    /// }
    /// let err = plan.finish_counting(classes).unwrap_err();
    /// assert!(matches!(err, PolicyError::Privacy(_)));
    /// assert!(err.to_string().starts_with("privacy: class (Lhasa) misses l (distinct) of `dx`"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn finish_counting(&self, classes: ClassCounts) -> Result<&Checked, PolicyError> {
        let k = self
            .rules
            .k_anonymity
            .as_ref()
            .ok_or_else(|| PolicyError::KAnonymity("the policy has no k_anonymity step".into()))?;
        let table = classes
            .table
            .unwrap_or_else(|| ClassTable::new(self.quasi_identifiers.len(), self.sensitive.len()));
        let checked = k.model.check(table, &k.sensitive).map_err(|e| match e {
            e @ RiskError::Unmet(_) => PolicyError::Privacy(e),
            e => PolicyError::KAnonymity(e.to_string()),
        })?;
        // A second call keeps the first counts.
        Ok(self.suppression.get_or_init(|| checked))
    }

    /// The suppression computed by [`Plan::finish_counting`].
    pub fn suppression(&self) -> Option<&Checked> {
        self.suppression.get()
    }
}
