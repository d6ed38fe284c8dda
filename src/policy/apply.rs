//! Applying a plan: one record (cells in header order in, output cells out
//! into a reusable buffer), or a column-major batch.

use std::fmt;

use super::column::{Column, RowId};
use super::plan::{Plan, PlanColumn};
use super::schema::{Minors, OnInvalid};
use super::{Reason, RowError};
use crate::IdNumber;

/// The cells of one output row (or one output column of a batch): bytes
/// and their end offsets, reused from row to row. For a column this is
/// exactly the values + offsets layout of an Arrow string array.
#[derive(Clone, Default)]
pub struct Cells {
    data: Vec<u8>,
    ends: Vec<usize>,
    /// Reused for cells written as text (a mask), so that such a cell
    /// costs no allocation of its own.
    text: String,
}

/// Lengths only: cells hold protected output, and kept values too.
impl fmt::Debug for Cells {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Cells({} cells, {} bytes)", self.ends.len(), self.data.len())
    }
}

impl Cells {
    /// No cells.
    pub fn new() -> Cells {
        Cells::default()
    }

    /// Remove every cell, keeping the allocations.
    #[inline]
    pub fn clear(&mut self) {
        self.data.clear();
        self.ends.clear();
    }

    /// Number of cells.
    #[inline]
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether there are no cells.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Cell `i` (empty past the end).
    #[inline]
    pub fn get(&self, i: usize) -> &[u8] {
        match self.ends.get(i) {
            None => b"",
            Some(&end) => &self.data[if i == 0 { 0 } else { self.ends[i - 1] }..end],
        }
    }

    /// The cells in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &[u8]> + '_ {
        (0..self.len()).map(|i| self.get(i))
    }

    /// All cells' bytes back to back (Arrow's values buffer).
    pub fn values(&self) -> &[u8] {
        &self.data
    }

    /// End offset of every cell in [`Cells::values`] (Arrow's offsets, less the leading 0).
    pub fn ends(&self) -> &[usize] {
        &self.ends
    }

    /// Append a cell.
    #[inline]
    pub fn push(&mut self, bytes: &[u8]) {
        self.data.extend_from_slice(bytes);
        self.ends.push(self.data.len());
    }

    /// Append a cell written as text by `write` (into a reused buffer).
    #[inline]
    pub(super) fn push_text(&mut self, write: impl FnOnce(&mut String)) {
        let mut text = core::mem::take(&mut self.text);
        text.clear();
        write(&mut text);
        self.push(text.as_bytes());
        self.text = text;
    }

    /// End a cell written through `fmt::Write` or the pending methods.
    pub(super) fn close(&mut self) {
        self.ends.push(self.data.len());
    }

    /// The buffer the pending cell is written into, for encoders that
    /// append to a `Vec` (end the cell with `close`).
    pub(super) fn pending_buf(&mut self) -> &mut Vec<u8> {
        &mut self.data
    }

    /// Keep the first `cells` cells (and drop a cell being written).
    #[inline]
    pub(super) fn truncate(&mut self, cells: usize) {
        self.ends.truncate(cells);
        self.data.truncate(self.ends.last().copied().unwrap_or(0));
    }
}

impl fmt::Write for Cells {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.data.extend_from_slice(s.as_bytes());
        Ok(())
    }
}

/// The fields of one input record, in header order.
pub trait Fields {
    /// Number of fields.
    fn len(&self) -> usize;
    /// Whether there are no fields.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Field `i` (empty past the end).
    fn field(&self, i: usize) -> &[u8];
    /// Field `i` as text, `None` when it is not valid UTF-8.
    fn text(&self, i: usize) -> Option<&str> {
        std::str::from_utf8(self.field(i)).ok()
    }
}

impl<S: AsRef<[u8]>> Fields for [S] {
    fn len(&self) -> usize {
        <[S]>::len(self)
    }

    fn field(&self, i: usize) -> &[u8] {
        self.get(i).map_or(b"", |f| f.as_ref())
    }
}

impl<S: AsRef<[u8]>> Fields for Vec<S> {
    fn len(&self) -> usize {
        <Vec<S>>::len(self)
    }

    fn field(&self, i: usize) -> &[u8] {
        self.get(i).map_or(b"", |f| f.as_ref())
    }
}

/// Whether a row is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Write the output cells.
    Write,
    /// The row is withheld: write nothing.
    Withheld(Withheld),
}

/// Why a row is withheld.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Withheld {
    /// A holder under 14, under `minors = "suppress"`.
    Minor,
    /// Its quasi-identifiers' class is smaller than k.
    KAnonymity,
}

/// Counts of one run (or one worker's share: [`Summary::merge`] them).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// Rows read.
    pub rows: u64,
    /// Rows written.
    pub written: u64,
    /// Cells marked invalid (under `on_invalid = "mark"`).
    pub invalid: u64,
    /// Rows of holders under 14 handled by `minors` (made strict or withheld).
    pub minors: u64,
    /// Rows withheld under `minors = "suppress"`.
    pub minors_withheld: u64,
    /// Rows whose sensitive columns were withheld for lack of consent.
    pub consent_withheld: u64,
    /// Rows suppressed by k-anonymity.
    pub k_suppressed: u64,
    /// Per input column: values processed.
    pub done: Vec<u64>,
    /// Per input column: values marked invalid.
    pub invalid_by_column: Vec<u64>,
}

impl Summary {
    /// Add another share of the counts.
    pub fn merge(&mut self, o: &Summary) {
        self.rows += o.rows;
        self.written += o.written;
        self.invalid += o.invalid;
        self.minors += o.minors;
        self.minors_withheld += o.minors_withheld;
        self.consent_withheld += o.consent_withheld;
        self.k_suppressed += o.k_suppressed;
        add(&mut self.done, &o.done);
        add(&mut self.invalid_by_column, &o.invalid_by_column);
    }
}

fn add(a: &mut Vec<u64>, b: &[u64]) {
    if a.len() < b.len() {
        a.resize(b.len(), 0);
    }
    for (x, y) in a.iter_mut().zip(b) {
        *x += y;
    }
}

#[inline]
fn bump(v: &mut Vec<u64>, i: usize) {
    if v.len() <= i {
        v.resize(i + 1, 0);
    }
    v[i] += 1;
}

/// What applying a plan produced besides the cells: counts, and the cells
/// marked invalid as (row, column, reason), in order. One per worker.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// The counts.
    pub summary: Summary,
    /// Cells marked invalid (under `on_invalid = "mark"`), never with their value.
    pub rejects: Vec<RowError>,
}

impl Report {
    /// Add another share, its rejects after these.
    pub fn merge(&mut self, mut o: Report) {
        self.summary.merge(&o.summary);
        self.rejects.append(&mut o.rejects);
    }
}

/// What the record-wide rules decided for the row being filled.
struct RowState<'a> {
    row: u64,
    /// The k-anonymity counting pass: only quasi-identifiers are written, nothing is counted.
    counting: bool,
    /// A minor's row under `minors = "strict"`.
    strict: bool,
    row_id: RowId<'a>,
}

/// One typed input column of the row being filled.
struct TypedCell<'a> {
    col: &'a dyn Column,
    input: usize,
    outputs: usize,
    /// Whether its main value is written (else only the facts the counting pass needs).
    main: bool,
}

fn push_n(cells: &mut Cells, cell: &[u8], n: usize) {
    for _ in 0..n {
        cells.push(cell);
    }
}

/// A consent flag: `true/false`, `1/0`, `yes/no`, any case.
#[inline]
fn consent(text: Option<&str>) -> Option<bool> {
    let t = text?.trim();
    for (yes, no) in [("true", "false"), ("1", "0"), ("yes", "no")] {
        if t.eq_ignore_ascii_case(yes) {
            return Some(true);
        }
        if t.eq_ignore_ascii_case(no) {
            return Some(false);
        }
    }
    None
}

impl Plan {
    /// Apply the plan to one record: its fields in header order in, the
    /// output cells (in [`Plan::output_names`] order) into `out`, which is
    /// cleared first. `row` is the caller's row number, used in
    /// [`RowError`]s and rejects. A value invalid for its kind fails the
    /// row (`on_invalid = "error"`) or is marked and reported in `report`.
    ///
    /// With k-anonymity, call [`Plan::count`] on every record and
    /// [`Plan::finish_counting`] first.
    pub fn apply<R: Fields + ?Sized>(
        &self,
        row: u64,
        record: &R,
        out: &mut Cells,
        report: &mut Report,
    ) -> Result<Verdict, RowError> {
        report.summary.rows += 1;
        if let Some(w) = self.fill(row, record, false, out, report)? {
            return Ok(Verdict::Withheld(w));
        }
        if self.rules.k_anonymity.is_some() {
            let Some(s) = self.suppression.get() else {
                return Err(RowError { row, column: None, reason: Reason::CountingUnfinished });
            };
            let qi: Vec<&[u8]> = self.quasi_identifiers.iter().map(|&q| out.get(q)).collect();
            if !s.keeps(&qi) {
                report.summary.k_suppressed += 1;
                return Ok(Verdict::Withheld(Withheld::KAnonymity));
            }
        }
        report.summary.written += 1;
        Ok(Verdict::Write)
    }

    /// A value that cannot be processed (`e`): the row fails, or `outputs`
    /// markers are written.
    fn bad(
        &self,
        e: RowError,
        outputs: usize,
        cells: &mut Cells,
        report: &mut Report,
        counting: bool,
    ) -> Result<(), RowError> {
        if self.rules.on_invalid == OnInvalid::Error {
            return Err(e);
        }
        for _ in 0..outputs {
            cells.push(&self.marker);
        }
        if !counting {
            report.summary.invalid += 1;
            if let Some(c) = e.column {
                bump(&mut report.summary.invalid_by_column, c);
            }
            report.rejects.push(e);
        }
        Ok(())
    }

    /// Write the row's cells (only the quasi-identifiers when `counting`);
    /// `Some` when the row is withheld before any cell is written.
    pub(super) fn fill<R: Fields + ?Sized>(
        &self,
        row: u64,
        fields: &R,
        counting: bool,
        cells: &mut Cells,
        report: &mut Report,
    ) -> Result<Option<Withheld>, RowError> {
        cells.clear();
        if fields.len() != self.columns.len() {
            let reason = Reason::FieldCount { fields: fields.len(), header: self.columns.len() };
            return Err(RowError { row, column: None, reason });
        }
        // Record-wide rules first: minors, then consent. The ID number the
        // minors rule parsed is kept for its column (one parse, not two).
        let (minor, parsed_id) = self.is_minor(fields);
        if minor && !counting {
            report.summary.minors += 1;
        }
        if minor && self.rules.minors == Minors::Suppress {
            if !counting {
                report.summary.minors_withheld += 1;
            }
            return Ok(Some(Withheld::Minor));
        }
        let consented = self.consented(row, fields, counting, report)?;
        if !consented && !counting {
            report.summary.consent_withheld += 1;
        }
        let at = RowState {
            row,
            counting,
            strict: minor && self.rules.minors == Minors::Strict,
            row_id: match self.row_id {
                None => RowId::None,
                Some(i) => match fields.text(i) {
                    Some(s) => RowId::Id(s),
                    None => RowId::Bad,
                },
            },
        };
        for (i, col) in self.columns.iter().enumerate() {
            match col {
                PlanColumn::Skip | PlanColumn::Plain { keep: false, .. } => {}
                PlanColumn::Pass { qi } | PlanColumn::Plain { keep: true, qi } => {
                    self.fill_kept(&at, i, *qi, fields, cells, report)?
                }
                PlanColumn::Typed { col, outputs, qi_main, qi_any, sensitive } => {
                    let (main, any) = if counting { (*qi_main, *qi_any) } else { (true, true) };
                    if !any {
                        push_n(cells, b"", *outputs);
                    } else if *sensitive && !consented {
                        let withheld: &[u8] = if self.marks_invalid() { &self.marker } else { b"" };
                        push_n(cells, withheld, *outputs);
                    } else {
                        let pre = parsed_id.as_ref().filter(|(at, _)| *at == i).map(|(_, id)| id);
                        let typed = TypedCell { col: col.as_ref(), input: i, outputs: *outputs, main };
                        self.fill_typed(&at, &typed, pre, fields, cells, report)?;
                    }
                }
            }
        }
        Ok(None)
    }

    /// Fail closed (`id_columns` is empty under `minors = "same"`): a
    /// non-empty ID number that does not parse may be a child's, so its
    /// row is a minor's (withheld under `suppress`, strict under `strict`).
    /// Also the last ID number parsed, with its input column, for that
    /// column's processor.
    fn is_minor<R: Fields + ?Sized>(&self, fields: &R) -> (bool, Option<(usize, IdNumber)>) {
        let today = self.rules.today;
        let mut parsed = None;
        let minor = self.id_columns.iter().any(|&i| {
            !fields.field(i).is_empty()
                && fields.text(i).is_none_or(|t| match IdNumber::parse_on(t, today) {
                    Ok(id) => {
                        let under_14 = id.is_under_14_on(today);
                        parsed = Some((i, id));
                        under_14
                    }
                    Err(_) => true,
                })
        });
        (minor, parsed)
    }

    /// The row's consent flag (true without a `consent_column`). Fail
    /// closed: an unreadable flag is no consent (and a row error, or a
    /// reject under `on_invalid = "mark"`).
    fn consented<R: Fields + ?Sized>(
        &self,
        row: u64,
        fields: &R,
        counting: bool,
        report: &mut Report,
    ) -> Result<bool, RowError> {
        let Some(c) = self.consent else {
            return Ok(true);
        };
        if let Some(yes) = consent(fields.text(c)) {
            return Ok(yes);
        }
        let e = RowError { row, column: Some(c), reason: Reason::ConsentFlag };
        if self.rules.on_invalid == OnInvalid::Error {
            return Err(e);
        }
        if !counting {
            report.summary.invalid += 1;
            bump(&mut report.summary.invalid_by_column, c);
            report.rejects.push(e);
        }
        Ok(false)
    }

    /// An input column copied as it is (unnamed and kept, or named without a kind).
    fn fill_kept<R: Fields + ?Sized>(
        &self,
        at: &RowState<'_>,
        i: usize,
        qi: bool,
        fields: &R,
        cells: &mut Cells,
        report: &mut Report,
    ) -> Result<(), RowError> {
        if at.counting && !qi {
            cells.push(b"");
            return Ok(());
        }
        if self.text_output && fields.text(i).is_none() {
            let e = RowError { row: at.row, column: Some(i), reason: Reason::NotUtf8 };
            return self.bad(e, 1, cells, report, at.counting);
        }
        cells.push(fields.field(i));
        if !at.counting {
            bump(&mut report.summary.done, i);
        }
        Ok(())
    }

    /// An input column with a kind: parsed and processed by its column, or
    /// refused (the row fails, or its cells are marked).
    fn fill_typed<R: Fields + ?Sized>(
        &self,
        at: &RowState<'_>,
        typed: &TypedCell<'_>,
        pre: Option<&IdNumber>,
        fields: &R,
        cells: &mut Cells,
        report: &mut Report,
    ) -> Result<(), RowError> {
        let i = typed.input;
        let start = cells.len();
        let result = match fields.text(i) {
            None => Err(Reason::NotUtf8),
            // A first byte that is ASCII and not white space cannot trim
            // away: `trim` (Unicode white space) only for the rest.
            Some(text)
                if !text.as_bytes().first().is_some_and(|b| b.is_ascii_graphic())
                    && text.trim().is_empty() =>
            {
                // An empty value stays empty, and so do its facts.
                push_n(cells, b"", typed.outputs);
                return Ok(());
            }
            Some(text) => match pre {
                Some(id) => typed.col.process_id(id, text, at.row_id, typed.main, at.strict, cells),
                None => typed.col.process(text, at.row_id, typed.main, at.strict, cells),
            },
        };
        match result {
            Ok(()) => {
                if !at.counting {
                    bump(&mut report.summary.done, i);
                }
                Ok(())
            }
            Err(why) => {
                cells.truncate(start);
                let e = RowError { row: at.row, column: Some(i), reason: why };
                self.bad(e, typed.outputs, cells, report, at.counting)
            }
        }
    }

    /// "row R, column NAME: reason" for a row error of this plan.
    pub fn describe(&self, e: &RowError) -> String {
        match e.column.and_then(|c| self.in_names.get(c)) {
            Some(name) => format!("row {}, column {name}: {}", e.row, e.reason),
            None => format!("row {}: {}", e.row, e.reason),
        }
    }
}
