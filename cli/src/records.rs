//! Records on stdin for `seal` and `open`: CSV (with a header row) or JSON
//! Lines, where one column holds the values and another, optionally, the
//! row ids they are bound to. The same records go to stdout with the value
//! column replaced by the results, so that what `run` sealed under
//! `row_id = "user_id"` can be opened again from the command line.
//!
//! Cells are read as `run` reads them: a JSON number, boolean or null is its
//! text (`1`, `true`, empty), so row ids match; a blank value stays empty
//! (`run` writes blank cells empty). JSON Lines output has every field as a
//! string, as `run` writes it. A record that cannot be read (malformed JSON,
//! a CSV row of the wrong length) stops the command; `--on-invalid` applies
//! to values.

use std::borrow::Cow;
use std::fmt;
use std::io::{self, BufRead, BufReader, BufWriter, Write};

use clap::{Args, ValueEnum};
use serde::de::{self, Deserializer, MapAccess, Visitor};
use zeroize::{Zeroize, Zeroizing};

use crate::common::{CliError, CliResult};
use crate::input::{INVALID_MARK, OnInvalid, REPORTED_LINES};

/// The format of records on stdin and stdout.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum RecordFormat {
    /// RFC 4180 CSV with a header row.
    Csv,
    /// One JSON object per line.
    Jsonl,
}

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
    pub format: RecordFormat,
}

/// What a record operation gets: the record number (1-based, header and
/// blank lines not counted), the value, the row id when a row-id column is
/// named; it appends its result to the (cleared) output.
pub trait RecordOp: FnMut(usize, &str, Option<&str>, &mut String) -> Result<(), desensitize::Error> {}
impl<F: FnMut(usize, &str, Option<&str>, &mut String) -> Result<(), desensitize::Error>> RecordOp for F {}

/// Run `op` on the value column of every record on stdin.
pub fn each_record(
    format: RecordFormat,
    on_invalid: OnInvalid,
    value_column: &str,
    row_id_column: Option<&str>,
    op: impl RecordOp,
) -> CliResult {
    if row_id_column == Some(value_column) {
        // The row id is stored in the clear (SPEC §4) and hashed without a key
        // into the envelope's context check (§3.5): it must not be the value.
        return Err(CliError::usage(format!(
            "--row-id-column {value_column} is the value column: a row id is stored in the clear"
        )));
    }
    let columns = Columns { value: value_column, row_id: row_id_column };
    let mut invalid = Invalid { mode: on_invalid, count: 0 };
    let rows = match format {
        RecordFormat::Csv => csv_records(&columns, &mut invalid, op)?,
        RecordFormat::Jsonl => jsonl_records(&columns, &mut invalid, op)?,
    };
    if invalid.count > 0 {
        let s = if invalid.count == 1 { "" } else { "s" };
        eprintln!("desensitize: {} invalid value{s} of {rows} records, marked {INVALID_MARK}", invalid.count);
    }
    Ok(())
}

struct Columns<'a> {
    value: &'a str,
    row_id: Option<&'a str>,
}

impl Columns<'_> {
    /// Where column `name` is in the header: exactly once.
    fn index(names: &[String], name: &str, flag: &str) -> CliResult<usize> {
        let mut at = names.iter().enumerate().filter(|(_, n)| *n == name).map(|(i, _)| i);
        match (at.next(), at.next()) {
            (Some(i), None) => Ok(i),
            (Some(_), Some(_)) => Err(CliError::usage(format!("{flag} {name}: the header names it twice"))),
            (None, _) => Err(CliError::usage(format!(
                "{flag} {name}: the input has no such column (it has: {})",
                names.join(", ")
            ))),
        }
    }
}

/// Counts invalid values and decides whether they stop the command.
struct Invalid {
    mode: OnInvalid,
    count: usize,
}

impl Invalid {
    /// A value that failed: an error under `error`, else reported and marked.
    fn handle(&mut self, row: usize, column: &str, reason: &str, out: &mut String) -> CliResult {
        let message = format!("row {row}, column {column}: {reason}");
        match self.mode {
            OnInvalid::Error => Err(CliError::failed(message)),
            OnInvalid::Mark => {
                self.count += 1;
                if self.count <= REPORTED_LINES {
                    eprintln!("desensitize: {message}");
                }
                out.clear();
                out.push_str(INVALID_MARK);
                Ok(())
            }
        }
    }
}

/// Apply `op` to one cell: `out` gets the new cell (empty for a blank value).
fn cell(
    row: usize,
    value: &[u8],
    row_id: Option<&[u8]>,
    out: &mut String,
    op: &mut impl RecordOp,
) -> Result<(), Cow<'static, str>> {
    out.clear();
    let value = std::str::from_utf8(value).map_err(|_| "not valid UTF-8")?;
    if value.trim().is_empty() {
        return Ok(());
    }
    let row_id = match row_id {
        None => None,
        Some(b"") => return Err("the row id is empty".into()),
        Some(id) => Some(std::str::from_utf8(id).map_err(|_| "the row id is not valid UTF-8")?),
    };
    op(row, value, row_id, out).map_err(|e| Cow::Owned(e.to_string()))
}

fn write_failed(e: impl fmt::Display) -> CliError {
    CliError::failed(format!("cannot write the output: {e}"))
}

// ---------------------------------------------------------------------------
// CSV

fn csv_records(columns: &Columns<'_>, invalid: &mut Invalid, mut op: impl RecordOp) -> CliResult<usize> {
    let stdin = io::stdin();
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(stdin.lock());
    let stdout = io::stdout();
    let mut writer = csv::Writer::from_writer(BufWriter::with_capacity(1 << 16, stdout.lock()));
    let read_error = |row: usize| {
        move |e: csv::Error| match e.into_kind() {
            csv::ErrorKind::Io(e) => CliError::failed(format!("cannot read the input: {}", e.kind())),
            _ if row == 0 => CliError::failed("cannot read the input's header row as CSV"),
            _ => CliError::failed(format!("row {row}: cannot read as CSV")),
        }
    };
    let mut record = csv::ByteRecord::new();
    if !reader.read_byte_record(&mut record).map_err(read_error(0))? {
        return Err(CliError::usage("the input is empty: CSV records need a header row"));
    }
    let header: Vec<String> = record
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let f = if i == 0 { f.strip_prefix(b"\xef\xbb\xbf").unwrap_or(f) } else { f };
            String::from_utf8(f.to_vec())
        })
        .collect::<Result<_, _>>()
        .map_err(|_| CliError::failed("the input's header row is not valid UTF-8"))?;
    let value_at = Columns::index(&header, columns.value, "--value-column")?;
    let row_id_at = columns.row_id.map(|c| Columns::index(&header, c, "--row-id-column")).transpose()?;
    writer.write_record(&header).map_err(write_failed)?;

    let mut out = Zeroizing::new(String::with_capacity(256));
    let mut written = csv::ByteRecord::new();
    let mut row = 0usize;
    while reader.read_byte_record(&mut record).map_err(read_error(row + 1))? {
        row += 1;
        if record.len() != header.len() {
            return Err(CliError::failed(format!(
                "row {row}: {} fields where the header has {}",
                record.len(),
                header.len()
            )));
        }
        let row_id = row_id_at.and_then(|i| record.get(i));
        if let Err(why) = cell(row, &record[value_at], row_id, &mut out, &mut op) {
            writer.flush().map_err(write_failed)?;
            invalid.handle(row, columns.value, &why, &mut out)?;
        }
        written.clear();
        for (i, field) in record.iter().enumerate() {
            written.push_field(if i == value_at { out.as_bytes() } else { field });
        }
        writer.write_byte_record(&written).map_err(write_failed)?;
    }
    writer.flush().map_err(write_failed)?;
    Ok(row)
}

// ---------------------------------------------------------------------------
// JSON Lines

/// A record's fields, in order, as text; wiped when cleared or dropped.
#[derive(Default)]
struct Pairs(Vec<(String, String)>);

impl Pairs {
    fn wipe(&mut self) {
        for (k, v) in &mut self.0 {
            k.zeroize();
            v.zeroize();
        }
        self.0.clear();
    }
}

impl Drop for Pairs {
    fn drop(&mut self) {
        self.wipe();
    }
}

fn jsonl_records(columns: &Columns<'_>, invalid: &mut Invalid, mut op: impl RecordOp) -> CliResult<usize> {
    let stdin = io::stdin();
    let mut input = BufReader::with_capacity(1 << 16, stdin.lock());
    let stdout = io::stdout();
    let mut output = BufWriter::with_capacity(1 << 16, stdout.lock());
    let mut raw = Zeroizing::new(Vec::with_capacity(256));
    let mut line = Zeroizing::new(Vec::with_capacity(256));
    let mut out = Zeroizing::new(String::with_capacity(256));
    let mut pairs = Pairs::default();
    let mut row = 0usize;
    let mut first = true;
    loop {
        raw.clear();
        if input
            .read_until(b'\n', &mut raw)
            .map_err(|e| CliError::failed(format!("cannot read the input: {}", e.kind())))?
            == 0
        {
            break;
        }
        let mut bytes: &[u8] = &raw;
        if first {
            bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
            first = false;
        }
        let bytes = bytes.trim_ascii();
        if bytes.is_empty() {
            continue;
        }
        row += 1;
        pairs.wipe();
        parse_object(bytes, &mut pairs).map_err(|m| CliError::failed(format!("row {row}: {m}")))?;
        let find = |name: &str| -> CliResult<Option<usize>> {
            let mut at = pairs.0.iter().enumerate().filter(|(_, (k, _))| k == name).map(|(i, _)| i);
            let found = at.next();
            if at.next().is_some() {
                return Err(CliError::failed(format!("row {row}: key {name} appears twice")));
            }
            Ok(found)
        };
        let Some(value_at) = find(columns.value)? else {
            // Never pass a record through whose value sits under another key
            // (`Phone`, `phone `): its shape is wrong, whatever --on-invalid says.
            return Err(CliError::failed(format!(
                "row {row}: no key {} (every record needs it; null for no value)",
                columns.value
            )));
        };
        let row_id = match columns.row_id {
            None => None,
            Some(name) => Some(find(name)?.map_or(&b""[..], |i| pairs.0[i].1.as_bytes())),
        };
        if let Err(why) = cell(row, pairs.0[value_at].1.as_bytes(), row_id, &mut out, &mut op) {
            output.flush()?;
            invalid.handle(row, columns.value, &why, &mut out)?;
        }
        let slot = &mut pairs.0[value_at].1;
        slot.zeroize();
        slot.push_str(&out);
        line.clear();
        line.push(b'{');
        for (i, (k, v)) in pairs.0.iter().enumerate() {
            if i > 0 {
                line.push(b',');
            }
            serde_json::to_writer(&mut *line, k).map_err(write_failed)?;
            line.push(b':');
            serde_json::to_writer(&mut *line, v).map_err(write_failed)?;
        }
        line.extend_from_slice(b"}\n");
        output.write_all(&line)?;
    }
    output.flush()?;
    Ok(row)
}

/// Parse one JSON object of scalars into `pairs`, scalars as `run` reads them.
fn parse_object(line: &[u8], pairs: &mut Pairs) -> Result<(), String> {
    let mut de = serde_json::Deserializer::from_slice(line);
    de.deserialize_map(ObjectVisitor(pairs)).map_err(|e| json_error(&e))?;
    de.end().map_err(|e| json_error(&e))
}

/// serde_json's message without the input (its messages never quote it,
/// but the category is all a user needs).
fn json_error(e: &serde_json::Error) -> String {
    match e.classify() {
        serde_json::error::Category::Data => {
            "not a JSON object of strings, numbers, booleans or nulls".into()
        }
        serde_json::error::Category::Eof => "truncated JSON".into(),
        _ => format!("malformed JSON at column {}", e.column()),
    }
}

struct ObjectVisitor<'p>(&'p mut Pairs);

impl<'de> Visitor<'de> for ObjectVisitor<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(k) = map.next_key::<Scalar>()? {
            let v = map.next_value::<Scalar>()?;
            self.0.0.push((k.0, v.0));
        }
        Ok(())
    }
}

/// A key or scalar value as text.
struct Scalar(String);

impl<'de> de::Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ScalarVisitor)
    }
}

struct ScalarVisitor;

impl Visitor<'_> for ScalarVisitor {
    type Value = Scalar;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string, number, boolean or null")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Scalar, E> {
        Ok(Scalar(v.to_owned()))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Scalar, E> {
        Ok(Scalar(v.to_string()))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Scalar, E> {
        Ok(Scalar(v.to_string()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Scalar, E> {
        Ok(Scalar(v.to_string()))
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Scalar, E> {
        Ok(Scalar(if v { "true" } else { "false" }.to_owned()))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Scalar, E> {
        Ok(Scalar(String::new()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalars_read_as_run_reads_them() {
        let mut pairs = Pairs::default();
        parse_object(br#"{"a":"x\ny","n":1,"f":1.5,"t":true,"z":null,"neg":-3}"#, &mut pairs).unwrap();
        let got: Vec<(&str, &str)> = pairs.0.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_eq!(got, [("a", "x\ny"), ("n", "1"), ("f", "1.5"), ("t", "true"), ("z", ""), ("neg", "-3")]);
        pairs.wipe();
        assert_eq!(
            parse_object(br#"{"a":[1]}"#, &mut pairs).unwrap_err(),
            "not a JSON object of strings, numbers, booleans or nulls"
        );
        assert_eq!(parse_object(br#"{"a":"1""#, &mut pairs).unwrap_err(), "truncated JSON");
        assert!(
            parse_object(br#"{"a":"1"} x"#, &mut pairs).unwrap_err().starts_with("malformed JSON at column")
        );
    }
}
