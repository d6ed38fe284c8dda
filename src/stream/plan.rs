//! A [`Plan`] over the pipeline: each record through the plan, the output
//! row serialized into the chunk's buffer.

use std::borrow::Cow;
use std::io::{Read, Write};

use super::csv::write_csv_record;
use super::csv::write_csv_values;
use super::input::Input;
use super::json::{JsonFields, json_scalars, write_json_string};
use super::{Format, Options, Row, RowTransform, StreamError, TransformError, process};
use crate::policy::{Cells, ClassCounts, Fields, Plan, Report, Summary, Unnamed, Verdict};

/// Which pass over the input a [`PlanRows`] makes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pass {
    /// k-anonymity's first pass: the quasi-identifiers counted
    /// ([`PlanTally::classes`]), nothing written. Then
    /// [`Plan::finish_counting`] and the [`Pass::Write`] pass.
    Count,
    /// The rows applied and written.
    Write,
}

/// A [`Plan`] as the pipeline's row transform: CSV records or JSON Lines
/// objects (columns in the order of the first record) in, output rows in
/// `output`'s format out (a JSON Lines plan is compiled
/// [`with_text_output(true)`](Plan::with_text_output)).
pub struct PlanRows<'a> {
    plan: &'a Plan,
    output: Format,
    pass: Pass,
}

impl<'a> PlanRows<'a> {
    /// `plan`'s pass `pass`, writing rows in `output`'s format.
    pub fn new(plan: &'a Plan, output: Format, pass: Pass) -> PlanRows<'a> {
        PlanRows { plan, output, pass }
    }
}

/// What one chunk produced besides its output bytes: counts and rejects
/// (global row numbers), and in the counting pass the classes counted.
#[derive(Default)]
pub struct PlanTally {
    /// Counts and cells marked invalid.
    pub report: Report,
    /// The classes of the quasi-identifiers ([`Pass::Count`]).
    pub classes: ClassCounts,
}

impl RowTransform for PlanRows<'_> {
    type Scratch = Cells;
    type Tally = PlanTally;

    fn scratch(&self) -> Cells {
        Cells::new()
    }

    fn tally(&self) -> PlanTally {
        PlanTally::default()
    }

    fn row(
        &self,
        cells: &mut Cells,
        tally: &mut PlanTally,
        row: u64,
        record: Row<'_>,
        out: &mut Vec<u8>,
    ) -> Result<(), TransformError> {
        match record {
            Row::Csv(fields) => self.fields(row, fields, cells, tally, out),
            Row::JsonLine(line) => self.json_line(row, line, cells, tally, out),
        }
    }
}

impl PlanRows<'_> {
    fn fields<F: Fields + ?Sized>(
        &self,
        row: u64,
        fields: &F,
        cells: &mut Cells,
        tally: &mut PlanTally,
        out: &mut Vec<u8>,
    ) -> Result<(), TransformError> {
        let failed =
            |e: crate::policy::RowError| TransformError { column: e.column, reason: e.reason.into() };
        if self.pass == Pass::Count {
            return self.plan.count(row, fields, cells, &mut tally.classes).map_err(failed);
        }
        if self.plan.apply(row, fields, cells, &mut tally.report).map_err(failed)? != Verdict::Write {
            return Ok(());
        }
        let names = self.plan.output_names();
        match self.output {
            // No output columns: an empty line (a record of one empty field would be `""`).
            Format::Csv if names.is_empty() => out.push(b'\n'),
            Format::Csv => write_csv_values(out, cells.values(), cells.ends()),
            Format::JsonLines => {
                out.push(b'{');
                for (j, name) in names.iter().enumerate().take(cells.len()) {
                    if j > 0 {
                        out.push(b',');
                    }
                    write_json_string(out, name);
                    out.push(b':');
                    // Valid UTF-8 by construction (a text-output plan refuses
                    // other input); lossy rather than unchecked all the same.
                    write_json_string(out, &String::from_utf8_lossy(cells.get(j)));
                }
                out.extend_from_slice(b"}\n");
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
        cells: &mut Cells,
        tally: &mut PlanTally,
        out: &mut Vec<u8>,
    ) -> Result<(), TransformError> {
        let fail = |reason: String| TransformError { column: None, reason: reason.into() };
        let mut record = json_scalars(line).map_err(fail)?;
        let mut values = JsonFields(vec![Cow::Borrowed(""); self.plan.input_names().len()]);
        for (position, (k, v)) in record.pairs_mut().iter_mut().enumerate() {
            match self.plan.input_index(k) {
                Some(i) => values.0[i] = std::mem::take(v),
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
        self.fields(row, &values, cells, tally, out)
    }
}

/// The output's header line for `plan`: the output column names as a CSV
/// record (an empty line when there are none); nothing for JSON Lines.
pub fn write_header(out: &mut Vec<u8>, plan: &Plan, output: Format) {
    if output == Format::JsonLines {
        return;
    }
    let names = plan.output_names();
    if names.is_empty() {
        out.push(b'\n');
    } else {
        write_csv_record(out, names.iter().map(String::as_bytes));
    }
}

/// Apply `plan` to every record of `input` (in `format`, columns as the
/// plan was compiled for) and write the output rows, header first, in the
/// same format to `output`, on `opts.threads` workers: what `desensitize
/// run` does, without the files. Returns the counts.
///
/// Stops at the first row error in input order (the rows before it are
/// written). A plan with k-anonymity must have finished its counting pass
/// ([`Pass::Count`], [`Plan::finish_counting`]); this one pass cannot.
/// See the [module](super) example.
pub fn run_plan<R, W>(
    input: R,
    output: &mut W,
    format: Format,
    plan: &Plan,
    opts: &Options,
) -> Result<Summary, StreamError>
where
    R: Read + Send,
    W: Write + ?Sized,
{
    let input = Input::new(input, format, opts)?;
    let Some(names) = input.names() else {
        // A JSON Lines input without records: nothing to write.
        return Ok(Summary::default());
    };
    if names != plan.input_names() {
        return Err(StreamError::HeaderMismatch);
    }
    let mut header = Vec::new();
    write_header(&mut header, plan, format);
    output.write_all(&header).map_err(|e| StreamError::Write(e.kind()))?;
    let rows = PlanRows::new(plan, format, Pass::Write);
    let mut summary = Summary::default();
    process(input.into_chunker(), &rows, output, opts, |done| summary.merge(&done.tally.report.summary))?;
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::Policy;

    fn plan(json: &str, header: &[&str]) -> Plan {
        Plan::from_policy(&Policy::from_json(json).unwrap(), header, None).unwrap()
    }

    const MASK: &str =
        r#"{"columns": {"id": {"action": "keep"}, "phone": {"kind": "mobile_phone", "action": "mask"}}}"#;

    #[test]
    fn run_plan_writes_what_the_plan_gives_in_both_formats() {
        let p = plan(MASK, &["id", "phone"]);
        let mut out = Vec::new();
        let input = "id,phone\n1,13800138000\n2,\n3,\"139 0013 9000\"\n";
        let summary =
            run_plan(input.as_bytes(), &mut out, Format::Csv, &p, &Options::new(3).with_block(8)).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "id,phone\n1,138****8000\n2,\n3,139****9000\n");
        assert_eq!((summary.rows, summary.written), (3, 3));

        let p = p.with_text_output(true);
        let mut out = Vec::new();
        let input = "{\"id\": 1, \"phone\": \"13800138000\"}\n\n{\"phone\": null, \"id\": \"2\"}\n";
        run_plan(input.as_bytes(), &mut out, Format::JsonLines, &p, &Options::new(2)).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "{\"id\":\"1\",\"phone\":\"138****8000\"}\n{\"id\":\"2\",\"phone\":\"\"}\n"
        );
        let mut out = Vec::new();
        assert_eq!(run_plan(&b"\n"[..], &mut out, Format::JsonLines, &p, &Options::new(1)).unwrap().rows, 0);
        assert!(out.is_empty());
    }

    #[test]
    fn run_plan_refuses_other_columns_and_stops_at_a_bad_row() {
        let p = plan(MASK, &["id", "phone"]);
        let mut out = Vec::new();
        let e = run_plan(&b"phone,id\n"[..], &mut out, Format::Csv, &p, &Options::new(1)).unwrap_err();
        assert!(matches!(e, StreamError::HeaderMismatch), "{e}");
        assert!(out.is_empty());

        let input = "id,phone\n1,13800138000\n2,12345\n3,13900139000\n";
        let e = run_plan(input.as_bytes(), &mut out, Format::Csv, &p, &Options::new(2)).unwrap_err();
        assert_eq!(e.to_string(), "row 2, column 2: invalid cn.mobile_phone: wrong length");
        assert_eq!(String::from_utf8(out).unwrap(), "id,phone\n1,138****8000\n", "the rows before it, only");
    }

    #[test]
    fn counting_pass_then_writing_pass() {
        let json = r#"{"columns": {"city": {"action": "keep"}}, "k_anonymity": {"k": 2, "quasi_identifiers": ["city"]}}"#;
        let p = plan(json, &["city"]);
        let input = "city\nA\nB\nA\n";
        let mut out = Vec::new();
        // Without the counting pass, the writing pass refuses.
        assert!(run_plan(input.as_bytes(), &mut out, Format::Csv, &p, &Options::new(1)).is_err());
        let counted = Input::new(input.as_bytes(), Format::Csv, &Options::new(1)).unwrap();
        let mut classes = ClassCounts::new();
        let count = PlanRows::new(&p, Format::Csv, Pass::Count);
        process(counted.into_chunker(), &count, &mut std::io::sink(), &Options::new(2), |d| {
            classes.merge(d.tally.classes)
        })
        .unwrap();
        p.finish_counting(classes).unwrap();
        let mut out = Vec::new();
        let summary = run_plan(input.as_bytes(), &mut out, Format::Csv, &p, &Options::new(2)).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "city\nA\nA\n");
        assert_eq!(summary.k_suppressed, 1);
    }
}
