//! Where `inspect`, `mask`, `seal`, `open` and `pseudonym` get their
//! values: one per line of stdin, or (`seal`, `open`) the value column of
//! CSV / JSON Lines records; and what they do with invalid ones.

use std::io::{BufRead, BufReader, BufWriter, Write};

use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use desensitize::Context;
use zeroize::Zeroizing;

use crate::common::{CliError, CliResult};
use crate::context_args::ContextArgs;
use crate::value_column::{self, RecordArgs};

/// How many invalid lines `--on-invalid mark` reports one by one on stderr.
pub const REPORTED_LINES: usize = 10;
/// What `--on-invalid mark` writes in place of a result.
pub const INVALID_MARK: &str = "#INVALID";

/// What to do with a line that is not a valid value (or, for `open`, that
/// does not open): the policy's `on_invalid`, the same two choices.
pub use desensitize::policy::OnInvalid;

/// `--on-invalid MODE`, parsed into the library's [`OnInvalid`] (a type of
/// another crate cannot derive clap's `ValueEnum`), with the help of each value.
pub fn on_invalid_parser() -> impl TypedValueParser<Value = OnInvalid> {
    PossibleValuesParser::new([
        PossibleValue::new("error").help(
            "Stop at the first invalid line and exit 1 with `line N: <reason>` \
             (the results of the lines before it are already written)",
        ),
        PossibleValue::new("mark").help(
            "Write `#INVALID` on that output line and go on; at the end report the count on stderr and exit 0",
        ),
    ])
    .map(|mode| if mode == "mark" { OnInvalid::Mark } else { OnInvalid::Error })
}

// ---------------------------------------------------------------------------
// The line loop

/// The longest line read (a value is far shorter; a runaway input stops here).
pub const MAX_LINE: usize = 1 << 20;

/// Read the next line of `input` into `line` (cleared first, without its
/// line end): `Ok(false)` at the end. A line longer than [`MAX_LINE`] is
/// an error. The buffer grows by copying into a larger one and wiping the
/// old (a plain `Vec` would leave copies of the line in freed memory).
fn read_line(input: &mut impl BufRead, line: &mut Zeroizing<Vec<u8>>, line_no: usize) -> CliResult<bool> {
    line.clear();
    let mut found = false;
    loop {
        let available = input.fill_buf()?;
        if available.is_empty() {
            break;
        }
        let (take, end) = match memchr::memchr(b'\n', available) {
            Some(i) => (i + 1, true),
            None => (available.len(), false),
        };
        if line.len() + take > MAX_LINE + 1 {
            return Err(CliError::failed(format!("line {line_no}: longer than {} MiB", MAX_LINE >> 20)));
        }
        if line.len() + take > line.capacity() {
            let mut grown = Zeroizing::new(Vec::with_capacity((line.len() + take).next_power_of_two()));
            grown.extend_from_slice(line);
            // The old buffer is wiped as it is dropped.
            *line = grown;
        }
        line.extend_from_slice(&available[..take]);
        input.consume(take);
        found = true;
        if end {
            break;
        }
    }
    if line.last() == Some(&b'\n') {
        line.pop();
    }
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    Ok(found)
}

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
        let read = read_line(&mut input, &mut raw, line_no + 1);
        if let Err(e) = read {
            output.flush()?;
            return Err(e);
        }
        if !read? {
            break;
        }
        line_no += 1;
        out.clear();
        let result = match std::str::from_utf8(&raw) {
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

/// Run `op(context, value, out)` on every value of stdin: one per line, or
/// the value column of CSV / JSON Lines records (with `--value-column`, on
/// `threads` workers of the library's pipeline), each under its context
/// (the base one, plus its row id when asked).
pub fn each_value(
    context: &ContextArgs,
    records: &RecordArgs,
    on_invalid: OnInvalid,
    threads: usize,
    op: &(dyn Fn(&Context, &str, &mut String) -> Result<(), desensitize::Error> + Sync),
) -> CliResult {
    let base = context.base()?;
    match &records.value_column {
        Some(column) => {
            let row_id_column = context.row_id_column.as_deref();
            let cell = |value: &str, row: Option<&str>, out: &mut String| {
                op(&ContextArgs::for_row(&base, row), value, out)
            };
            value_column::each_record(records.format, on_invalid, column, row_id_column, threads, &cell)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(input: &[u8]) -> Vec<Result<Vec<u8>, String>> {
        let mut reader = BufReader::with_capacity(7, input);
        let mut line = Zeroizing::new(Vec::new());
        let mut got = Vec::new();
        loop {
            match read_line(&mut reader, &mut line, got.len() + 1) {
                Ok(true) => got.push(Ok(line.to_vec())),
                Ok(false) => return got,
                Err(e) => {
                    got.push(Err(e.to_string()));
                    return got;
                }
            }
        }
    }

    #[test]
    fn lines_lose_their_line_ends_only() {
        let got = lines(b"a\r\nlonger than the buffer\n\n\rx\ry\r\nlast");
        let want: Vec<Result<Vec<u8>, String>> = ["a", "longer than the buffer", "", "\rx\ry", "last"]
            .iter()
            .map(|l| Ok(l.as_bytes().to_vec()))
            .collect();
        assert_eq!(got, want);
        assert!(lines(b"").is_empty());
    }

    #[test]
    fn a_line_past_the_cap_stops() {
        let mut input = vec![b'1'; MAX_LINE];
        input.extend_from_slice(b"\nok\n");
        assert_eq!(lines(&input).len(), 2, "a line of exactly the cap is read");
        let long = vec![b'1'; MAX_LINE + 2];
        assert_eq!(lines(&long), [Err("line 1: longer than 1 MiB".to_owned())]);
    }
}
