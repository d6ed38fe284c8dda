//! Column-major batches: the shape of Arrow record batches.

use super::apply::{Cells, Fields, Report, Verdict};
use super::plan::Plan;
use super::{Reason, RowError};
use crate::crypto::random::ForkChecked;

/// The output of [`Plan::apply_columns`]: one [`Cells`] per output column
/// (Arrow's values + offsets layout), for the rows written.
#[derive(Debug, Clone, Default)]
pub struct ColumnBatch {
    columns: Vec<Cells>,
    rows: Vec<u64>,
}

impl ColumnBatch {
    /// An empty batch (its buffers grow on first use and are reused).
    pub fn new() -> ColumnBatch {
        ColumnBatch::default()
    }

    /// The output columns, in [`Plan::output_names`] order.
    pub fn columns(&self) -> &[Cells] {
        &self.columns
    }

    /// The row numbers of the rows written (withheld rows are left out).
    pub fn rows(&self) -> &[u64] {
        &self.rows
    }
}

/// Row `r` across the input columns.
struct RowView<'a, S> {
    columns: &'a [&'a [S]],
    r: usize,
}

impl<S: AsRef<[u8]>> Fields for RowView<'_, S> {
    fn len(&self) -> usize {
        self.columns.len()
    }

    fn field(&self, i: usize) -> &[u8] {
        self.columns.get(i).and_then(|c| c.get(self.r)).map_or(b"", |v| v.as_ref())
    }
}

impl Plan {
    /// Apply the plan to a column-major batch: `columns` holds one slice of
    /// values per input column (header order), all of the same length; row
    /// `i` is numbered `first_row + i`. `out` receives one column of cells
    /// per output column, holding the rows written.
    ///
    /// Rows are evaluated one at a time inside (minors, consent and the row
    /// id make a row's cells depend on each other); values are gathered
    /// from the input columns and the cells scattered into the output
    /// columns, with no allocation per row once the buffers have grown.
    ///
    /// ```
    /// use desensitize::policy::{ColumnBatch, Plan, Policy, Report};
    ///
    /// let policy = Policy::from_json(
    ///     r#"{"columns": {"id": {"action": "keep"}, "phone": {"kind": "mobile_phone", "action": "mask"}}}"#,
    /// )?;
    /// let plan = Plan::from_policy(&policy, &["id", "phone"], None)?;
    /// let ids = ["1", "2"];
    /// let phones = ["13800138000", "13900139000"];
    /// let mut batch = ColumnBatch::new();
    /// plan.apply_columns(1, &[&ids[..], &phones[..]], &mut batch, &mut Report::default())?;
    /// let masked = &batch.columns()[1];
    /// assert_eq!(masked.values(), b"138****8000139****9000");
    /// assert_eq!(masked.ends(), [11, 22]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn apply_columns<S: AsRef<[u8]>>(
        &self,
        first_row: u64,
        columns: &[&[S]],
        out: &mut ColumnBatch,
        report: &mut Report,
    ) -> Result<(), RowError> {
        let rows = columns.first().map_or(0, |c| c.len());
        if columns.len() != self.in_names.len() || columns.iter().any(|c| c.len() != rows) {
            return Err(RowError {
                row: first_row,
                column: None,
                reason: Reason::BatchShape { columns: columns.len(), header: self.in_names.len() },
            });
        }
        out.columns.resize_with(self.out_names.len(), Cells::new);
        for c in &mut out.columns {
            c.clear();
        }
        out.rows.clear();
        let mut cells = Cells::new();
        // One fork check for the whole call, not one per sealed cell.
        let _checked = ForkChecked::enter();
        for r in 0..rows {
            let row = first_row + r as u64;
            if self.apply(row, &RowView { columns, r }, &mut cells, report)? == Verdict::Write {
                for (j, col) in out.columns.iter_mut().enumerate() {
                    col.push(cells.get(j));
                }
                out.rows.push(row);
            }
        }
        Ok(())
    }
}
