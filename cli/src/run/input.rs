//! Input: CSV records from the csv crate, JSON Lines lines for serde_json,
//! read a chunk of records at a time.

use std::borrow::Cow;
use std::fmt;
use std::fs::{self, File};
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use csv::{ByteRecord, StringRecord};
use desensitize::policy::Fields;
use serde::de::{self, Deserializer, MapAccess, Visitor};

use super::Format;
use crate::common::{CliError, CliResult};

/// Longest record accepted: bounds memory on a runaway quote.
pub(super) const MAX_RECORD: usize = 64 << 20;
/// Read buffer of the input: small enough that the records just read are
/// still in the core's cache when the csv crate parses them (faster than
/// fewer, larger reads).
pub(super) const READ_SIZE: usize = 64 << 10;
pub(super) const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Why the input stops: a record that would not fit in memory.
pub(super) const TOO_LONG: &str = "a record is longer than 64 MiB (unbalanced quote in the input?)";

/// The input file past a UTF-8 byte order mark: the first bytes, peeked to
/// look for one, then the rest of the file.
type InputFile = io::Chain<io::Cursor<Vec<u8>>, File>;

/// Open the input: the stream, and the bytes skipped before it.
pub(super) fn open_input(path: &Path) -> CliResult<(InputFile, u64)> {
    let mut file =
        File::open(path).map_err(|e| CliError::usage(format!("cannot open the input: {}", e.kind())))?;
    let mut head = Vec::with_capacity(BOM.len());
    Read::take(&mut file, BOM.len() as u64).read_to_end(&mut head).map_err(read_failed)?;
    let skipped = if head == BOM {
        head.clear();
        BOM.len() as u64
    } else {
        0
    };
    Ok((io::Cursor::new(head).chain(file), skipped))
}

pub(super) fn read_failed(e: io::Error) -> CliError {
    CliError::failed(format!("cannot read the input: {}", e.kind()))
}

/// The input as the csv crate reads it. It refuses to read more than
/// [`MAX_RECORD`] bytes (and one buffer) past the start of the record being
/// read, so that a runaway quote cannot fill memory.
struct Limited {
    inner: InputFile,
    /// Bytes read so far.
    read: u64,
    /// Where the record being read starts (set before each record).
    record_start: u64,
    /// A read was refused.
    too_long: bool,
}

impl Read for Limited {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let room = (self.record_start + (MAX_RECORD + READ_SIZE) as u64).saturating_sub(self.read);
        if room == 0 {
            self.too_long = true;
            return Err(io::Error::other(TOO_LONG));
        }
        let want = buf.len().min(usize::try_from(room).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..want])?;
        self.read += n as u64;
        Ok(n)
    }
}

/// Why the input is refused when its last record ends inside quotes.
pub(super) const UNTERMINATED: &str = "unterminated quoted field (or a stray quote in an unquoted field)";

/// The csv crate's reader over the input.
pub(super) struct CsvInput {
    rdr: csv::Reader<Limited>,
    path: PathBuf,
    /// Bytes of the file before the stream (a byte order mark).
    skipped: u64,
    /// Records read (the header row included), and where the last one starts.
    records: u64,
    last_start: u64,
    /// The end of the input was reached and checked.
    done: bool,
}

impl CsvInput {
    /// Read one record into `record` (its allocation is reused); `false` at
    /// the end of the input.
    fn read(&mut self, record: &mut ByteRecord) -> CliResult<bool> {
        if self.done {
            return Ok(false);
        }
        let start = self.rdr.position().byte();
        self.rdr.get_mut().record_start = start;
        let more = self.rdr.read_byte_record(record).map_err(|e| {
            if self.rdr.get_ref().too_long {
                return CliError::failed(TOO_LONG);
            }
            match e.into_kind() {
                csv::ErrorKind::Io(e) => read_failed(e),
                // Not expected (flexible byte records), and never quoted: it could hold a value.
                _ => CliError::failed("cannot read the input as CSV"),
            }
        })?;
        if more {
            self.records += 1;
            self.last_start = start;
        } else {
            self.done = true;
            self.check_last_record()?;
        }
        Ok(more)
    }

    /// Refuse a last record that ends inside a quoted field: the csv crate
    /// puts everything up to the end of the input into that field (lines
    /// merged into one value, which a kept column would write in the
    /// clear). The record is read again with a line after it, which it
    /// swallows too if, and only if, its quotes are open. Only a regular
    /// file can be read again: other inputs go unchecked.
    fn check_last_record(&self) -> CliResult {
        if self.records == 0 || !fs::metadata(&self.path).is_ok_and(|m| m.is_file()) {
            return Ok(());
        }
        let mut file = File::open(&self.path).map_err(read_failed)?;
        file.seek(SeekFrom::Start(self.skipped + self.last_start)).map_err(read_failed)?;
        let mut raw = Vec::new();
        Read::take(&mut file, (MAX_RECORD + 2 * READ_SIZE) as u64)
            .read_to_end(&mut raw)
            .map_err(read_failed)?;
        raw.extend_from_slice(b"\nend");
        let mut rdr = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(&raw[..]);
        let mut record = ByteRecord::new();
        let mut records = 0;
        while rdr
            .read_byte_record(&mut record)
            .map_err(|_| CliError::failed("cannot read the input as CSV"))?
        {
            records += 1;
        }
        match (records, self.records) {
            (2.., _) => Ok(()),
            (_, 1) => Err(CliError::failed(format!("the input's header row: {UNTERMINATED}"))),
            (_, n) => Err(CliError::failed(format!("row {}: {UNTERMINATED}", n - 1))),
        }
    }
}

/// Append one JSON Lines line (with its newline) to `buf`: its length, 0 at
/// the end of the input. A record cannot span lines (JSON escapes newlines
/// in strings), so lines are records.
pub(super) fn read_line(rdr: &mut BufReader<InputFile>, buf: &mut Vec<u8>) -> CliResult<usize> {
    let n = Read::take(&mut *rdr, MAX_RECORD as u64 + 1).read_until(b'\n', buf).map_err(read_failed)?;
    if n > MAX_RECORD {
        return Err(CliError::failed("a record is longer than 64 MiB"));
    }
    Ok(n)
}

/// Reads the input a chunk of records at a time.
pub(super) enum Source {
    /// The csv crate's reader: RFC 4180 with `\n`, `\r\n` or `\r` record
    /// ends, blank lines skipped, text after a closing quote kept, records
    /// of any length (checked against the header by the engine, which names
    /// the row).
    Csv(Box<CsvInput>),
    /// JSON Lines, with the first record (read for the column names) still
    /// to deliver.
    Jsonl { rdr: BufReader<InputFile>, first: Vec<u8> },
}

impl Source {
    /// Open the input and read its column names: the CSV header row
    /// (consumed), or the keys of the first JSON Lines record (left in
    /// place: it is data too). `None` for a JSON Lines input without records.
    pub(super) fn open(path: &Path, format: Format) -> CliResult<(Source, Option<Vec<String>>)> {
        let (input, skipped) = open_input(path)?;
        match format {
            Format::Csv => {
                let limited = Limited { inner: input, read: 0, record_start: 0, too_long: false };
                let rdr = csv::ReaderBuilder::new()
                    .has_headers(false)
                    .flexible(true)
                    .buffer_capacity(READ_SIZE)
                    .from_reader(limited);
                let mut csv = Box::new(CsvInput {
                    rdr,
                    path: path.to_path_buf(),
                    skipped,
                    records: 0,
                    last_start: 0,
                    done: false,
                });
                let mut record = ByteRecord::new();
                if !csv.read(&mut record)? {
                    return Err(CliError::failed("the input is empty: a CSV input needs a header row"));
                }
                let header = StringRecord::from_byte_record(record)
                    .map_err(|_| CliError::failed("the input's header row is not valid UTF-8"))?;
                Ok((Source::Csv(csv), Some(header.iter().map(str::to_owned).collect())))
            }
            Format::Jsonl => {
                let mut rdr = BufReader::with_capacity(READ_SIZE, input);
                let mut first = Vec::new();
                loop {
                    first.clear();
                    if read_line(&mut rdr, &mut first)? == 0 {
                        return Ok((Source::Jsonl { rdr, first }, None));
                    }
                    let line = first.strip_prefix(BOM).unwrap_or(&first).trim_ascii();
                    if !line.is_empty() {
                        let pairs =
                            parse_json_line(line).map_err(|m| CliError::failed(format!("row 1: {m}")))?;
                        let header = pairs.into_iter().map(|(k, _)| k.into_owned()).collect();
                        return Ok((Source::Jsonl { rdr, first }, Some(header)));
                    }
                }
            }
        }
    }

    /// Read up to `rows` records into `chunk`, reusing its buffers; `false`
    /// at the end of the input.
    pub(super) fn next_chunk(&mut self, rows: usize, chunk: &mut ChunkIn) -> CliResult<bool> {
        chunk.rows = 0;
        chunk.lines.clear();
        match self {
            Source::Csv(csv) => {
                let start = csv.rdr.position().byte();
                while chunk.rows < rows {
                    if chunk.records.len() == chunk.rows {
                        chunk.records.push(ByteRecord::new());
                    }
                    if !csv.read(&mut chunk.records[chunk.rows])? {
                        break;
                    }
                    chunk.rows += 1;
                }
                chunk.bytes = csv.rdr.position().byte() - start;
            }
            Source::Jsonl { rdr, first } => {
                chunk.bytes = first.len() as u64;
                if !first.is_empty() {
                    chunk.lines.append(first);
                    chunk.rows += 1;
                }
                while chunk.rows < rows {
                    let n = read_line(rdr, &mut chunk.lines)?;
                    if n == 0 {
                        break;
                    }
                    chunk.bytes += n as u64;
                    chunk.rows += 1;
                }
            }
        }
        Ok(chunk.rows > 0)
    }
}

/// One chunk of input records. Its buffers are reused from chunk to chunk.
#[derive(Default)]
pub(super) struct ChunkIn {
    /// CSV: the records are `records[..rows]` (the rest are spare allocations).
    pub records: Vec<ByteRecord>,
    /// JSON Lines: whole lines (`rows` of them, blank ones included).
    pub lines: Vec<u8>,
    pub rows: usize,
    /// Input bytes covered (for the progress bar).
    pub bytes: u64,
}

/// A CSV record as the plan reads it.
pub(super) struct CsvFields<'a>(pub &'a ByteRecord);

impl Fields for CsvFields<'_> {
    fn len(&self) -> usize {
        self.0.len()
    }

    fn field(&self, i: usize) -> &[u8] {
        self.0.get(i).unwrap_or_default()
    }

    /// Fields are checked for UTF-8 one by one, and only those used: checking
    /// whole records costs more (names, addresses).
    fn text(&self, i: usize) -> Option<&str> {
        std::str::from_utf8(self.field(i)).ok()
    }
}

/// A JSON Lines record's values, in header order.
pub(super) struct JsonFields<'a, 'b>(pub &'b [Cow<'a, str>]);

impl Fields for JsonFields<'_, '_> {
    fn len(&self) -> usize {
        self.0.len()
    }

    fn field(&self, i: usize) -> &[u8] {
        self.0.get(i).map_or(b"", |v| v.as_bytes())
    }

    fn text(&self, i: usize) -> Option<&str> {
        Some(self.0.get(i).map_or("", |v| v.as_ref()))
    }
}

// JSON Lines input

type JsonPairs<'a> = Vec<(Cow<'a, str>, Cow<'a, str>)>;

/// Parse one line into (key, value) pairs in document order. Messages never
/// quote the input.
pub(super) fn parse_json_line(line: &[u8]) -> Result<JsonPairs<'_>, String> {
    let mut de = serde_json::Deserializer::from_slice(line);
    let pairs = de.deserialize_map(LineVisitor).map_err(|e| json_error(&e))?;
    de.end().map_err(|e| json_error(&e))?;
    Ok(pairs)
}

fn json_error(e: &serde_json::Error) -> String {
    match e.classify() {
        serde_json::error::Category::Data => {
            "not a JSON object of strings, numbers, booleans or nulls".to_owned()
        }
        serde_json::error::Category::Eof => "truncated JSON".to_owned(),
        _ => format!("malformed JSON at column {}", e.column()),
    }
}

struct LineVisitor;

impl<'de> Visitor<'de> for LineVisitor {
    type Value = JsonPairs<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut pairs = Vec::new();
        while let Some(k) = map.next_key::<JsonText<'de>>()? {
            let v = map.next_value::<JsonText<'de>>()?;
            pairs.push((k.0, v.0));
        }
        Ok(pairs)
    }
}

/// A key or scalar value as text, borrowed when it has no escapes.
struct JsonText<'a>(Cow<'a, str>);

impl<'de> de::Deserialize<'de> for JsonText<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(TextVisitor)
    }
}

struct TextVisitor;

impl<'de> Visitor<'de> for TextVisitor {
    type Value = JsonText<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string, number, boolean or null")
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(JsonText(Cow::Borrowed(v)))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(JsonText(Cow::Owned(v.to_owned())))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(JsonText(Cow::Owned(v)))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(JsonText(Cow::Owned(v.to_string())))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(JsonText(Cow::Owned(v.to_string())))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(JsonText(Cow::Owned(v.to_string())))
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(JsonText(Cow::Borrowed(if v { "true" } else { "false" })))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(JsonText(Cow::Borrowed("")))
    }
}
