//! The serial front: read the input in large blocks and cut each at its
//! last record boundary, counting the records so that every chunk knows
//! the global number of its first row.
//!
//! CSV: a `\n` is a boundary when an even number of `"` precedes it since
//! the chunk's start (which is itself a boundary). One `memchr2` pass over
//! `"` and `\n`; a line of nothing but `\r` is an empty line, not a record
//! (as the parser skips it). Quote parity equals the strict parser's state
//! up to the first malformed byte (the parser refuses any quote that does
//! not open or close a field), so every cut before it is a true record
//! boundary and the row numbers are exact; the worker that meets the
//! malformed record reports it and the pipeline stops there.
//!
//! JSON Lines: every `\n` is a boundary; a line that is blank (ASCII
//! whitespace, a byte order mark) is not a record.

use std::io::{self, Read};

use zeroize::Zeroize;

use super::csv::{CsvRecords, Malformed, MalformedKind, Record};
use super::{Format, StreamError};

/// A UTF-8 byte order mark, skipped at the start of the input (and at the
/// start of a JSON Lines line).
pub(crate) const BOM: &[u8] = b"\xEF\xBB\xBF";

/// A chunk cut out of the input by [`Chunker::next_chunk`]: `buf[..len]`
/// (the buffer is reused and may be longer).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Chunk {
    /// The chunk's length in bytes.
    pub len: usize,
    /// Records in the chunk (as the scan counts them).
    pub rows: u64,
    /// The chunk is one record that outgrew the longest record allowed:
    /// the worker reports it (as malformed quoting when it finds some).
    pub truncated: bool,
}

/// The input, cut into chunks at record boundaries: the serial front of
/// [`process`](super::process), on its own for a caller that distributes
/// chunks itself.
///
/// ```
/// use desensitize::stream::Format;
/// use desensitize::stream::parts::{Chunker, Record};
///
/// let input = "name,city\n\"Li, Lei\",\"Bei\njing\"\nWang,Shanghai\n";
/// let mut chunks = Chunker::new(input.as_bytes(), Format::Csv, 16, 1 << 20);
/// let mut header = Record::new();
/// assert!(chunks.csv_header(&mut header)?);
/// let mut buf = Vec::new();
/// let mut rows = 0;
/// while let Some(chunk) = chunks.next_chunk(&mut buf)? {
///     rows += chunk.rows; // never cut inside the quoted newline
/// }
/// assert_eq!(rows, 2);
/// # Ok::<(), desensitize::stream::StreamError>(())
/// ```
pub struct Chunker<R> {
    reader: R,
    format: Format,
    block: usize,
    max_record: usize,
    /// Bytes read and not yet handed out; they start at a boundary.
    carry: Vec<u8>,
    /// Global number of the first record in `carry`.
    next_row: u64,
    eof: bool,
    /// Input bytes before the first chunk (a byte order mark, the header).
    skipped: u64,
    started: bool,
}

impl<R: Read> Chunker<R> {
    /// Cut `reader` in chunks of about `block` bytes; a record may grow a
    /// chunk up to `max_record` bytes. The first record is row 1 (for a
    /// CSV input, call [`Chunker::csv_header`] first: the header is row 0).
    pub fn new(reader: R, format: Format, block: usize, max_record: usize) -> Chunker<R> {
        Chunker {
            reader,
            format,
            block: block.max(1),
            max_record: max_record.max(1),
            carry: Vec::new(),
            next_row: 1,
            eof: false,
            skipped: 0,
            started: false,
        }
    }

    /// Read more into `carry` (at least one byte unless at the end).
    fn fill_carry(&mut self, want: usize) -> Result<(), StreamError> {
        let start = self.carry.len();
        self.carry.resize(start + want.max(1), 0);
        let n = read_some(&mut self.reader, &mut self.carry[start..])?;
        self.carry.truncate(start + n);
        if n == 0 {
            self.eof = true;
        }
        self.skip_bom();
        Ok(())
    }

    /// Drop a byte order mark at the very start of the input.
    fn skip_bom(&mut self) {
        if self.started || (self.carry.len() < BOM.len() && !self.eof) {
            return;
        }
        self.started = true;
        if self.carry.starts_with(BOM) {
            self.carry.drain(..BOM.len());
            self.skipped += BOM.len() as u64;
        }
    }

    /// Read and consume a CSV input's header (its first record) into
    /// `header`: `Ok(false)` for an empty input. Malformed quoting in the
    /// header is reported as row 0.
    pub fn csv_header(&mut self, header: &mut Record) -> Result<bool, StreamError> {
        self.start()?;
        let mut scan = CsvScan::default();
        loop {
            if scan.scan(&self.carry, true) || self.eof {
                break;
            }
            if self.carry.len() > self.max_record {
                // A stray quote is the likely cause: name it if it is one.
                return match CsvRecords::new(&self.carry).next_into(header) {
                    Err(m) if m.kind != MalformedKind::Unterminated => Err(malformed(0, m)),
                    _ => Err(StreamError::TooLong { row: 0 }),
                };
            }
            self.fill_carry(self.block.min(64 << 10))?;
        }
        let end = if scan.rows > 0 { scan.cut } else { self.carry.len() };
        let mut records = CsvRecords::new(&self.carry[..end]);
        let found = records.next_into(header).map_err(|m| malformed(0, m))?;
        self.skipped += end as u64;
        self.carry.drain(..end);
        Ok(found)
    }

    /// Peek at a JSON Lines input's first record (its first non-blank
    /// line, without the line end), which stays in the input as row 1:
    /// `None` when there is none.
    pub(crate) fn first_json_line(&mut self) -> Result<Option<&[u8]>, StreamError> {
        self.start()?;
        let mut from = 0;
        let (start, end) = 'found: loop {
            while let Some(nl) = memchr::memchr(b'\n', &self.carry[from..]) {
                if !is_blank_json_line(&self.carry[from..from + nl]) {
                    break 'found (from, from + nl);
                }
                from += nl + 1;
            }
            if self.eof {
                if is_blank_json_line(&self.carry[from..]) {
                    return Ok(None);
                }
                break (from, self.carry.len());
            }
            if self.carry.len() - from > self.max_record {
                return Err(StreamError::TooLong { row: 1 });
            }
            self.fill_carry(self.block.min(64 << 10))?;
        };
        let line = &self.carry[start..end];
        Ok(Some(line.strip_prefix(BOM).unwrap_or(line)))
    }

    /// The global row number of the next chunk's first record.
    pub(crate) fn next_row(&self) -> u64 {
        self.next_row
    }

    /// Cut the next chunk into `buf` (reused: only `buf[..cut.len]` is the
    /// chunk); `None` at the end of the input.
    pub fn next_chunk(&mut self, buf: &mut Vec<u8>) -> Result<Option<Chunk>, StreamError> {
        self.start()?;
        let mut len = self.carry.len();
        // A block (or the carry, if longer): a buffer grown for a long
        // record keeps its capacity but goes back to block-sized chunks.
        let target = len.max(self.block);
        if buf.len() < target {
            buf.resize(target, 0);
        } else {
            buf.truncate(target);
        }
        buf[..len].copy_from_slice(&self.carry);
        self.carry.clear();
        let mut csv = CsvScan::default();
        let mut json = JsonScan::default();
        loop {
            // Fill the buffer up to its length (a block, or more for a long record).
            while len < buf.len() && !self.eof {
                let n = read_some(&mut self.reader, &mut buf[len..])?;
                self.eof = n == 0;
                len += n;
            }
            let data = &buf[..len];
            // Where the last complete record ends, how many there are, and
            // where the last (unterminated) line starts.
            let (cut, rows, line) = match self.format {
                Format::Csv => {
                    csv.scan(data, false);
                    (csv.cut, csv.rows, csv.line)
                }
                Format::JsonLines => {
                    json.scan(data);
                    (json.cut, json.rows, json.line)
                }
            };
            if self.eof {
                if len == 0 {
                    return Ok(None);
                }
                let tail = &data[line..];
                let last = match self.format {
                    Format::Csv => !is_blank_csv_line(tail),
                    Format::JsonLines => !is_blank_json_line(tail),
                };
                let rows = rows + u64::from(last);
                self.next_row += rows;
                return Ok(Some(Chunk { len, rows, truncated: false }));
            }
            if cut > 0 {
                self.carry.extend_from_slice(&data[cut..]);
                self.next_row += rows;
                return Ok(Some(Chunk { len: cut, rows, truncated: false }));
            }
            // One record fills the buffer: grow it, up to the longest record.
            if len > self.max_record {
                return match self.format {
                    Format::Csv => {
                        self.eof = true;
                        Ok(Some(Chunk { len, rows: 1, truncated: true }))
                    }
                    Format::JsonLines => Err(StreamError::TooLong { row: self.next_row }),
                };
            }
            let grown = (buf.len() * 2).min(self.max_record + self.block);
            buf.resize(grown.max(len + 1), 0);
        }
    }

    /// Read the first bytes, and drop a byte order mark there.
    fn start(&mut self) -> Result<(), StreamError> {
        while !self.started {
            self.fill_carry(self.block.min(64 << 10))?;
        }
        Ok(())
    }
}

impl<R> Chunker<R> {
    /// The input format.
    pub(crate) fn format(&self) -> Format {
        self.format
    }

    /// Input bytes consumed before the chunks (byte order mark, header).
    pub(crate) fn skipped_bytes(&self) -> u64 {
        self.skipped
    }
}

impl<R> Drop for Chunker<R> {
    fn drop(&mut self) {
        self.carry.zeroize();
    }
}

/// Whether a JSON Lines line holds no record (run's rule: a leading byte
/// order mark, then ASCII whitespace only).
pub(crate) fn is_blank_json_line(line: &[u8]) -> bool {
    match line.first() {
        None => true,
        Some(b) if !b.is_ascii_whitespace() && *b != BOM[0] => false,
        Some(_) => line.strip_prefix(BOM).unwrap_or(line).trim_ascii().is_empty(),
    }
}

/// Whether a CSV line (without its `\n`) is empty: nothing but `\r`s,
/// which the parser skips.
fn is_blank_csv_line(line: &[u8]) -> bool {
    match line.first() {
        None => true,
        Some(b'\r') => line.iter().all(|&b| b == b'\r'),
        Some(_) => false,
    }
}

/// The malformed-quoting row error.
pub(crate) fn malformed(row: u64, m: Malformed) -> StreamError {
    StreamError::Row { row, column: Some(m.column), reason: m.kind.reason() }
}

/// `read`, retried when interrupted.
fn read_some<R: Read>(reader: &mut R, buf: &mut [u8]) -> Result<usize, StreamError> {
    loop {
        match reader.read(buf) {
            Ok(n) => return Ok(n),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(StreamError::Read(e.kind())),
        }
    }
}

/// Quote-parity scan of a CSV chunk, resumable when the chunk grows.
#[derive(Default)]
pub(crate) struct CsvScan {
    /// Bytes scanned.
    pos: usize,
    in_quotes: bool,
    /// Start of the current line.
    line: usize,
    /// Records ended so far, and where the last one ends.
    pub rows: u64,
    pub cut: usize,
}

impl CsvScan {
    /// Scan `data` from where the last call stopped; with `first`, stop at
    /// the first record's end (`true` when found).
    pub fn scan(&mut self, data: &[u8], first: bool) -> bool {
        let mut pos = self.pos;
        loop {
            if self.in_quotes {
                // Inside quotes only the next quote matters (newlines are data).
                let Some(q) = memchr::memchr(b'"', &data[pos..]) else {
                    pos = data.len();
                    break;
                };
                pos += q + 1;
                self.in_quotes = false;
                // The quote that follows a closing one most often (`""`
                // inside a field, `,"` for the next field) opens again:
                // take it here rather than through another search.
                match (data.get(pos), data.get(pos + 1)) {
                    (Some(b'"'), _) => {
                        self.in_quotes = true;
                        pos += 1;
                    }
                    (Some(b','), Some(b'"')) => {
                        self.in_quotes = true;
                        pos += 2;
                    }
                    _ => {}
                }
                continue;
            }
            let Some(i) = memchr::memchr2(b'"', b'\n', &data[pos..]) else {
                pos = data.len();
                break;
            };
            let i = pos + i;
            pos = i + 1;
            if data[i] == b'"' {
                self.in_quotes = true;
                continue;
            }
            let line = &data[self.line..i];
            self.line = i + 1;
            if !is_blank_csv_line(line) {
                self.rows += 1;
                self.cut = i + 1;
                if first {
                    self.pos = pos;
                    return true;
                }
            }
        }
        self.pos = pos;
        false
    }
}

/// Line scan of a JSON Lines chunk, resumable when the chunk grows.
#[derive(Default)]
struct JsonScan {
    pos: usize,
    line: usize,
    rows: u64,
    cut: usize,
}

impl JsonScan {
    fn scan(&mut self, data: &[u8]) {
        for i in memchr::memchr_iter(b'\n', &data[self.pos..]) {
            let i = self.pos + i;
            if !is_blank_json_line(&data[self.line..i]) {
                self.rows += 1;
            }
            self.line = i + 1;
            self.cut = i + 1;
        }
        self.pos = data.len();
    }
}

/// The error for a chunk's malformed or overlong record.
pub(crate) fn chunk_error(row: u64, m: Malformed, truncated: bool) -> StreamError {
    if truncated && m.kind == MalformedKind::Unterminated {
        StreamError::TooLong { row }
    } else {
        malformed(row, m)
    }
}
