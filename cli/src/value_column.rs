//! Records on stdin for `seal` and `open`: CSV (with a header row) or JSON
//! Lines, where one column holds the values and another, optionally, the
//! row ids they are bound to. The same records go to stdout with the value
//! column replaced by the results, so that what `run` sealed under
//! `row_id = "user_id"` can be opened again from the command line.
//!
//! The records are read by the library's pipeline (`desensitize::stream`),
//! the strict reader `run` uses: malformed CSV quoting stops the command at
//! its row, as it stops `run`. The value column goes through a one-column
//! row transform on the pipeline's workers, output in input order.
//!
//! Cells are read as `run` reads them: a JSON number, boolean or null is its
//! text (`1`, `true`, empty), so row ids match; a blank value stays empty
//! (`run` writes blank cells empty). JSON Lines output has every field as a
//! string, as `run` writes it. A record that cannot be read (malformed JSON,
//! a CSV row of the wrong length) stops the command; `--on-invalid` applies
//! to values.

use std::borrow::Cow;
use std::io::{self, BufWriter, Write};

use clap::Args;
use desensitize::stream::parts::{Input, Record, json_scalars, write_csv_record, write_json_object};
use desensitize::stream::{self, Options, Row, RowTransform, TransformError};
use zeroize::Zeroizing;

use crate::common::{CliError, CliResult, Format};
use crate::input::{INVALID_MARK, OnInvalid, REPORTED_LINES};

/// Record input: where the values are.
#[derive(Args, Debug)]
pub struct RecordArgs {
    /// Read records (CSV with a header row, or JSON Lines) instead of one
    /// value per line; this column holds the values. The records are written
    /// to stdout with this column replaced by the results.
    #[arg(long, value_name = "NAME")]
    pub value_column: Option<String>,

    /// The format of the records on stdin and stdout (with --value-column).
    #[arg(long, value_enum, default_value = "csv", value_name = "FORMAT")]
    pub format: Format,
}

/// What a record operation gets: the value and the row id when a row-id
/// column is named; it appends its result to the (cleared) output. Called
/// on the pipeline's workers.
pub type CellOp<'a> = dyn Fn(&str, Option<&str>, &mut String) -> Result<(), desensitize::Error> + Sync + 'a;

/// Bytes of stdin per chunk: small enough that output follows input closely.
const BLOCK: usize = 64 << 10;

/// Run `op` on the value column of every record on stdin, on `threads`
/// workers (one keeps the operations in input order, as `open`'s audit
/// log needs).
pub fn each_record(
    format: Format,
    on_invalid: OnInvalid,
    value_column: &str,
    row_id_column: Option<&str>,
    threads: usize,
    op: &CellOp<'_>,
) -> CliResult {
    if row_id_column == Some(value_column) {
        // The row id is stored in the clear (SPEC §4) and hashed without a key
        // into the envelope's context check (§3.5): it must not be the value.
        return Err(CliError::usage(format!(
            "--row-id-column {value_column} is the value column: a row id is stored in the clear"
        )));
    }
    let opts = Options::new(threads).with_block(BLOCK);
    let input = Input::new(io::stdin(), format.stream(), &opts).map_err(|e| match e {
        stream::StreamError::Empty => CliError::usage("the input is empty: CSV records need a header row"),
        e => crate::run::failed(e, &[]),
    })?;
    let stdout = io::stdout();
    let mut output = BufWriter::with_capacity(1 << 16, stdout.lock());
    let (columns, names) = match (format, input.names()) {
        (Format::Csv, Some(header)) => {
            let value = index(header, value_column, "--value-column")?;
            let row_id = row_id_column.map(|c| index(header, c, "--row-id-column")).transpose()?;
            let mut line = Vec::new();
            write_csv_record(&mut line, header.iter().map(String::as_bytes));
            output.write_all(&line)?;
            (Columns::Csv { value, row_id, fields: header.len() }, header.to_vec())
        }
        _ => {
            let columns =
                Columns::Json { value: value_column.to_owned(), row_id: row_id_column.map(str::to_owned) };
            // Errors in the value name it as column 0.
            (columns, vec![value_column.to_owned()])
        }
    };
    let transform = ValueColumn { op, columns, mark: on_invalid == OnInvalid::Mark };
    let mut invalid = 0u64;
    let result = stream::process(input.into_chunker(), &transform, &mut output, &opts, |done| {
        for (row, reason) in &done.tally.reported {
            if invalid < REPORTED_LINES as u64 {
                eprintln!("desensitize: row {row}, column {value_column}: {reason}");
            }
            invalid += 1;
        }
        invalid += done.tally.more;
    });
    output.flush()?;
    let totals = result.map_err(|e| crate::run::failed(e, &names))?;
    if invalid > 0 {
        let s = if invalid == 1 { "" } else { "s" };
        eprintln!(
            "desensitize: {invalid} invalid value{s} of {} records, marked {INVALID_MARK}",
            totals.rows
        );
    }
    Ok(())
}

/// Where column `name` is in the header: exactly once.
///
/// A name not found is reported without the header's fields: the first row
/// is read as the header, and in an input without one it is a record, whose
/// values must not reach the message. A field that differs from `name` only
/// in case or surrounding spaces is named by its position.
fn index(names: &[String], name: &str, flag: &str) -> CliResult<usize> {
    let mut at = names.iter().enumerate().filter(|(_, n)| *n == name).map(|(i, _)| i);
    match (at.next(), at.next()) {
        (Some(i), None) => Ok(i),
        (Some(_), Some(_)) => Err(CliError::usage(format!("{flag} {name}: the header names it twice"))),
        (None, _) => {
            let n = names.len();
            let near = names.iter().position(|f| f.trim().eq_ignore_ascii_case(name.trim()));
            let hint = match near {
                Some(i) => format!("; field {} differs from it only in case or spaces", i + 1),
                None => String::new(),
            };
            Err(CliError::usage(format!(
                "{flag} {name}: the first row, read as the header row, has no such column \
                 ({n} field{}, not shown: without a header row they are values){hint}",
                if n == 1 { "" } else { "s" }
            )))
        }
    }
}

/// Where the value and the row id are in a record.
enum Columns {
    /// By position in the header; every record has `fields` fields.
    Csv { value: usize, row_id: Option<usize>, fields: usize },
    /// By key, in every record.
    Json { value: String, row_id: Option<String> },
}

/// The one-column transform: the value cell replaced by `op`'s result.
struct ValueColumn<'a, 'o> {
    op: &'a CellOp<'o>,
    columns: Columns,
    mark: bool,
}

/// Invalid values of one chunk under `--on-invalid mark`: the first few
/// with their reasons (reported in input order), and a count of the rest.
#[derive(Default)]
struct Marked {
    reported: Vec<(u64, String)>,
    more: u64,
}

impl RowTransform for ValueColumn<'_, '_> {
    /// The cell being written (plaintext for `open`): wiped.
    type Scratch = Zeroizing<String>;
    type Tally = Marked;

    fn scratch(&self) -> Zeroizing<String> {
        Zeroizing::new(String::with_capacity(256))
    }

    fn tally(&self) -> Marked {
        Marked::default()
    }

    fn row(
        &self,
        cell: &mut Zeroizing<String>,
        marked: &mut Marked,
        row: u64,
        record: Row<'_>,
        out: &mut Vec<u8>,
    ) -> Result<(), TransformError> {
        match (record, &self.columns) {
            (Row::Csv(record), Columns::Csv { value, row_id, fields }) => {
                if record.len() != *fields {
                    let reason = format!("{} fields where the header has {fields}", record.len());
                    return Err(TransformError { column: None, reason: reason.into() });
                }
                let id = row_id.map(|i| record.get(i).unwrap_or_default());
                self.cell(row, record.get(*value).unwrap_or_default(), id, *value, cell, marked)?;
                write_csv(out, record, *value, cell);
                Ok(())
            }
            (Row::JsonLine(line), Columns::Json { value, row_id }) => {
                self.json_line(row, line, value, row_id.as_deref(), cell, marked, out)
            }
            _ => Err(TransformError { column: None, reason: "unexpected record format".into() }),
        }
    }
}

impl ValueColumn<'_, '_> {
    /// One value through `op` into `cell` (empty for a blank value); an
    /// invalid value is marked or stops the command at its row.
    fn cell(
        &self,
        row: u64,
        value: &[u8],
        row_id: Option<&[u8]>,
        column: usize,
        cell: &mut String,
        marked: &mut Marked,
    ) -> Result<(), TransformError> {
        cell.clear();
        let Err(why) = apply(value, row_id, cell, self.op) else { return Ok(()) };
        if !self.mark {
            return Err(TransformError { column: Some(column), reason: why });
        }
        if marked.reported.len() < REPORTED_LINES {
            marked.reported.push((row, why.into_owned()));
        } else {
            marked.more += 1;
        }
        cell.clear();
        cell.push_str(INVALID_MARK);
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    fn json_line(
        &self,
        row: u64,
        line: &[u8],
        value: &str,
        row_id: Option<&str>,
        cell: &mut String,
        marked: &mut Marked,
        out: &mut Vec<u8>,
    ) -> Result<(), TransformError> {
        let fail = |reason: String| TransformError { column: None, reason: reason.into() };
        let record = json_scalars(line).map_err(fail)?;
        let pairs = record.pairs();
        // `json_scalars` already refused a record that repeats a key.
        let find = |name: &str| -> Result<Option<usize>, TransformError> {
            Ok(pairs.iter().position(|(k, _)| k == name))
        };
        let Some(value_at) = find(value)? else {
            // Never pass a record through whose value sits under another key
            // (`Phone`, `phone `): its shape is wrong, whatever --on-invalid says.
            return Err(fail(format!("no key {value} (every record needs it; null for no value)")));
        };
        let id = match row_id {
            None => None,
            Some(name) => Some(find(name)?.map_or(&b""[..], |i| pairs[i].1.as_bytes())),
        };
        // Errors name the value column as column 0 (see `each_record`).
        self.cell(row, pairs[value_at].1.as_bytes(), id, 0, cell, marked)?;
        let fields = pairs.iter().enumerate().map(|(i, (k, v))| {
            let v: &str = if i == value_at { cell } else { v };
            (k.as_ref(), v)
        });
        write_json_object(out, fields);
        Ok(())
    }
}

/// Apply `op` to one value: `cell` gets the new cell (empty for a blank value).
fn apply(
    value: &[u8],
    row_id: Option<&[u8]>,
    cell: &mut String,
    op: &CellOp<'_>,
) -> Result<(), Cow<'static, str>> {
    let value = std::str::from_utf8(value).map_err(|_| "not valid UTF-8")?;
    if value.trim().is_empty() {
        return Ok(());
    }
    let row_id = match row_id {
        None => None,
        Some(b"") => return Err("the row id is empty".into()),
        Some(id) => Some(std::str::from_utf8(id).map_err(|_| "the row id is not valid UTF-8")?),
    };
    op(value, row_id, cell).map_err(|e| Cow::Owned(e.to_string()))
}

/// The record with field `at` replaced by `cell`, as CSV.
fn write_csv(out: &mut Vec<u8>, record: &Record, at: usize, cell: &str) {
    let fields = record.iter().enumerate().map(|(i, f)| if i == at { cell.as_bytes() } else { f });
    write_csv_record(out, fields);
}
