//! Where `inspect`, `mask`, `seal`, `open` and `pseudonym` get their
//! values: one per line of stdin, or (`seal`, `open`) the value column of
//! CSV / JSON Lines records; and what they do with invalid ones.

use std::io::{BufRead, BufReader, BufWriter, Write};

use clap::ValueEnum;
use desensitize::Context;
use zeroize::Zeroizing;

use crate::common::{CliError, CliResult};
use crate::context_args::ContextArgs;
use crate::records::{self, RecordArgs};

/// How many invalid lines `--on-invalid mark` reports one by one on stderr.
pub const REPORTED_LINES: usize = 10;
/// What `--on-invalid mark` writes in place of a result.
pub const INVALID_MARK: &str = "#INVALID";

/// What to do with a line that is not a valid value (or, for `open`, that
/// does not open).
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum OnInvalid {
    /// Stop at the first invalid line and exit 1 with `line N: <reason>`
    /// (the results of the lines before it are already written).
    Error,
    /// Write `#INVALID` on that output line and go on; at the end report the
    /// count on stderr and exit 0.
    Mark,
}

// ---------------------------------------------------------------------------
// The line loop

/// Run `op` on every line of stdin, writing one output line per input line
/// to stdout. `op` appends its result to the (cleared) output buffer or
/// returns the value-free reason the line is invalid.
pub fn each_line(
    on_invalid: OnInvalid,
    mut op: impl FnMut(usize, &str, &mut String) -> Result<(), desensitize::Error>,
) -> CliResult {
    let stdin = std::io::stdin();
    let mut input = BufReader::with_capacity(1 << 16, stdin.lock());
    let stdout = std::io::stdout();
    let mut output = BufWriter::with_capacity(1 << 16, stdout.lock());
    // Lines hold plaintext (and `open` output too): wiped when done.
    let mut raw = Zeroizing::new(Vec::with_capacity(256));
    let mut out = Zeroizing::new(String::with_capacity(256));
    let mut line_no = 0usize;
    let mut invalid = 0usize;
    loop {
        raw.clear();
        if input.read_until(b'\n', &mut raw)? == 0 {
            break;
        }
        line_no += 1;
        let mut bytes: &[u8] = &raw;
        if let Some(rest) = bytes.strip_suffix(b"\n") {
            bytes = rest;
        }
        if let Some(rest) = bytes.strip_suffix(b"\r") {
            bytes = rest;
        }
        out.clear();
        let result = match std::str::from_utf8(bytes) {
            Ok(line) => op(line_no, line, &mut out).map_err(|e| e.to_string()),
            Err(_) => Err("not valid UTF-8".to_owned()),
        };
        match result {
            Ok(()) => output.write_all(out.as_bytes())?,
            Err(reason) => match on_invalid {
                OnInvalid::Error => {
                    output.flush()?;
                    return Err(CliError::failed(format!("line {line_no}: {reason}")));
                }
                OnInvalid::Mark => {
                    invalid += 1;
                    if invalid <= REPORTED_LINES {
                        eprintln!("desensitize: line {line_no}: {reason}");
                    }
                    output.write_all(INVALID_MARK.as_bytes())?;
                }
            },
        }
        output.write_all(b"\n")?;
    }
    output.flush()?;
    if invalid > 0 {
        let s = if invalid == 1 { "" } else { "s" };
        eprintln!("desensitize: {invalid} invalid line{s} of {line_no}, marked {INVALID_MARK}");
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Lines or records

/// Run `op(value, context, out)` on every value of stdin: one per line, or
/// the value column of CSV / JSON Lines records (with `--value-column`),
/// each under its context (the base one, plus its row id when asked).
pub fn each_value(
    context: &ContextArgs,
    records: &RecordArgs,
    on_invalid: OnInvalid,
    mut op: impl FnMut(&Context, &str, &mut String) -> Result<(), desensitize::Error>,
) -> CliResult {
    let base = context.base()?;
    match &records.value_column {
        Some(column) => {
            let row_id_column = context.row_id_column.as_deref();
            records::each_record(records.format, on_invalid, column, row_id_column, |_, value, row, out| {
                op(&ContextArgs::for_row(&base, row), value, out)
            })
        }
        None => {
            let per_line = context.per_row();
            each_line(on_invalid, |n, line, out| {
                let row = per_line.then(|| n.to_string());
                op(&ContextArgs::for_row(&base, row.as_deref()), line, out)
            })
        }
    }
}
