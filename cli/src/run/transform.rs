//! The per-row work of `run` on the pipeline's workers: a record (a parsed
//! CSV record, or a JSON Lines line parsed here) through the plan, and the
//! output row serialized into the chunk's buffer.

use std::borrow::Cow;

use desensitize::policy::{Cells, ClassCounts, Fields, Plan, Report, Unnamed, Verdict};

use super::Format;
use super::input::{JsonFields, parse_json_line};
use super::output::JsonRow;
use crate::pipeline::{Row, RowError, RowTransform, write_csv_values};

/// Which pass over the input.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Pass {
    /// k-anonymity pass 1: quasi-identifiers only, counted; nothing written.
    Count,
    /// The real thing.
    Write,
}

/// The plan, the output format, and the pass.
pub(super) struct Apply<'a> {
    pub plan: &'a Plan,
    pub out_format: Format,
    pub pass: Pass,
}

/// A worker's reused buffers.
pub(super) struct Scratch {
    cells: Cells,
}

/// What one chunk produced besides its output bytes, merged in input order
/// by the caller: counts and rejects (global row numbers), and the classes
/// counted in pass 1.
#[derive(Default)]
pub(super) struct Tally {
    pub report: Report,
    pub classes: ClassCounts,
}

impl RowTransform for Apply<'_> {
    type Scratch = Scratch;
    type Tally = Tally;

    fn scratch(&self) -> Scratch {
        Scratch { cells: Cells::new() }
    }

    fn tally(&self) -> Tally {
        Tally::default()
    }

    fn row(
        &self,
        scratch: &mut Scratch,
        tally: &mut Tally,
        row: u64,
        record: Row<'_>,
        out: &mut Vec<u8>,
    ) -> Result<(), RowError> {
        match record {
            Row::Csv(fields) => self.fields(row, fields, scratch, tally, out),
            Row::JsonLine(line) => self.json_line(row, line, scratch, tally, out),
        }
    }
}

impl Apply<'_> {
    fn fields<F: Fields + ?Sized>(
        &self,
        row: u64,
        fields: &F,
        scratch: &mut Scratch,
        tally: &mut Tally,
        out: &mut Vec<u8>,
    ) -> Result<(), RowError> {
        let failed =
            |e: desensitize::policy::RowError| RowError { column: e.column, reason: e.reason.into() };
        if self.pass == Pass::Count {
            return self.plan.count(row, fields, &mut scratch.cells, &mut tally.classes).map_err(failed);
        }
        if self.plan.apply(row, fields, &mut scratch.cells, &mut tally.report).map_err(failed)?
            != Verdict::Write
        {
            return Ok(());
        }
        let cells = &scratch.cells;
        match self.out_format {
            // No output columns: an empty line (a record of one empty field would be `""`).
            Format::Csv if self.plan.output_names().is_empty() => out.push(b'\n'),
            Format::Csv => write_csv_values(out, cells.values(), cells.ends()),
            Format::Jsonl => {
                let json = JsonRow { names: self.plan.output_names(), cells };
                serde_json::to_writer(&mut *out, &json)
                    .map_err(|_| RowError { column: None, reason: "cannot serialize JSON".into() })?;
                out.push(b'\n');
            }
        }
        Ok(())
    }

    /// A JSON Lines record: its values put in header order (the columns are
    /// the keys of the first record).
    fn json_line(
        &self,
        row: u64,
        line: &[u8],
        scratch: &mut Scratch,
        tally: &mut Tally,
        out: &mut Vec<u8>,
    ) -> Result<(), RowError> {
        let fail = |reason: String| RowError { column: None, reason: reason.into() };
        let pairs = parse_json_line(line).map_err(fail)?;
        let columns = self.plan.input_names().len();
        let mut values: Vec<Cow<'_, str>> = vec![Cow::Borrowed(""); columns];
        for (position, (k, v)) in pairs.into_iter().enumerate() {
            match self.plan.input_index(&k) {
                Some(i) => values[i] = v,
                None if self.plan.rules().unnamed == Unnamed::Drop => {}
                None => {
                    // Named by position: a key can itself be personal data.
                    return Err(fail(format!(
                        "field {} is not a column of the first record (JSON Lines columns are set by the first record)",
                        position + 1
                    )));
                }
            }
        }
        self.fields(row, &JsonFields(&values), scratch, tally, out)
    }
}
