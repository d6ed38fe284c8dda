//! `desensitize run`: apply a policy to a CSV or JSON Lines file.
//!
//! Streaming in bounded memory, in parallel, order preserved. The input is
//! read in chunks of `--chunk` records: CSV by the `csv` crate into reused
//! `ByteRecord`s, JSON Lines as lines. The rayon pool processes the chunks
//! (one task per chunk: JSON Lines parsed by `serde_json`, values protected,
//! rows serialized by `csv::Writer` or `serde_json`) while, on the side, the
//! finished chunks are written in input order and the next ones read.
//! Nothing holds more than a few chunks.
//!
//! JSON Lines values: strings as they are, numbers as decimal text
//! (integers exactly, others as the shortest decimal of their `f64`: `1.50`
//! gives `1.5`), `true` / `false`, `null` as an empty value; a nested object
//! or array stops the run at its row. Output objects hold the output columns
//! in order, every value a string.
//!
//! The output goes to a temporary file next to it, flushed and fsynced, and
//! is renamed over the final name only when everything succeeded.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::fmt::{self, Write as _};
use std::fs::{self, File};
use std::io::{self, BufRead, BufReader, BufWriter, IsTerminal, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use clap::{Args, ValueEnum};
use csv::{ByteRecord, StringRecord};
use desensitize::generalize::{AgeBand, EquivalenceClasses, Suppression, division, geohash, grid_cell};
use desensitize::pseudo::{Domain, FpeCipher, IndexValue, Pseudonymizable, Pseudonymizer, Token, Transform};
use desensitize::{
    Address, BankCard, Biometric, Context, CreditCode, Date, Email, GeoPoint, IdNumber, Imei, IpAddress,
    Keyring, Kind, Landline, LicensePlate, MacAddress, MaskLevel, MobilePhone, Passport, PersonName,
    Sealable,
};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, Serializer};

use crate::common::{CliError, CliResult, KeyArgs, load_keyring};
use crate::policy::{Action, ColumnPolicy, Fact, Layout, LayoutColumn, OnInvalid, Policy, Unnamed};

/// Apply a policy to a CSV (with a header row) or JSON Lines file.
#[derive(Args, Debug)]
pub struct RunArgs {
    /// The policy (TOML; see examples/policy.toml).
    #[arg(long, value_name = "FILE")]
    pub policy: PathBuf,

    /// The protected keyring file; required when the policy seals,
    /// pseudonymizes, uses FPE or blind indexes.
    #[arg(long = "keys", value_name = "FILE")]
    pub keys: Option<PathBuf>,

    /// Read the keyring passphrase from the first line of this file.
    #[arg(long, value_name = "FILE")]
    pub passphrase_file: Option<PathBuf>,

    /// The input file (never modified).
    #[arg(value_name = "INPUT")]
    pub input: PathBuf,

    /// The output file (written atomically: complete or not at all).
    #[arg(short, long, value_name = "FILE")]
    pub output: PathBuf,

    /// Input and output format [default: from the extensions: .csv, .jsonl, .ndjson].
    #[arg(long, value_enum)]
    pub format: Option<Format>,

    /// With on_invalid = "mark": write `row,column,reason` for every marked cell here (CSV).
    #[arg(long, value_name = "FILE")]
    pub rejects: Option<PathBuf>,

    /// Worker threads [default: all cores].
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,

    /// Records per parallel work unit.
    #[arg(long, value_name = "ROWS", default_value_t = 8192)]
    pub chunk: usize,
}

/// File format of input and output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Comma-separated values with a header row.
    Csv,
    /// JSON Lines: one object of string values per line.
    Jsonl,
}

fn format_of(path: &Path) -> Option<Format> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    match ext.as_str() {
        "csv" => Some(Format::Csv),
        "jsonl" | "ndjson" => Some(Format::Jsonl),
        _ => None,
    }
}

/// Longest record accepted: bounds memory on a runaway quote.
const MAX_RECORD: usize = 64 << 20;
/// Read buffer of the input: small enough that the records just read are
/// still in the core's cache when the csv crate parses them (faster than
/// fewer, larger reads).
const READ_SIZE: usize = 64 << 10;
const BOM: &[u8] = b"\xEF\xBB\xBF";

pub fn run(args: RunArgs, quiet: bool) -> CliResult {
    let policy = Policy::load(&args.policy)?;
    if args.chunk == 0 {
        return Err(CliError::usage("--chunk must be at least 1"));
    }
    if args.threads == Some(0) {
        return Err(CliError::usage("--threads must be at least 1"));
    }
    let in_format = args.format.or_else(|| format_of(&args.input)).or_else(|| format_of(&args.output));
    let Some(in_format) = in_format else {
        return Err(CliError::usage(
            "cannot tell the format from the file names: use --format csv or --format jsonl",
        ));
    };
    let out_format = args.format.or_else(|| format_of(&args.output)).unwrap_or(in_format);
    if args.rejects.is_some() && policy.on_invalid != OnInvalid::Mark {
        return Err(CliError::usage("--rejects needs on_invalid = \"mark\" in the policy"));
    }
    if same_file(&args.input, &args.output) {
        return Err(CliError::usage("the output is the input file: refusing to overwrite it"));
    }
    if let Some(r) = &args.rejects
        && (same_file(&args.input, r) || same_path(&args.output, r))
    {
        return Err(CliError::usage("the rejects file must differ from the input and the output"));
    }
    if args.output.is_dir() {
        return Err(CliError::usage("the output is a directory"));
    }

    // The header first: a mismatch is reported before any passphrase prompt.
    let input_len = fs::metadata(&args.input).map(|m| m.len()).unwrap_or(0);
    let (mut source, header) = Source::open(&args.input, in_format)?;
    let layout = match &header {
        Some(h) => policy.layout(h)?,
        None => {
            Layout { columns: Vec::new(), out_names: Vec::new(), row_id: None, quasi_identifiers: Vec::new() }
        }
    };
    let header = header.unwrap_or_default();

    let keyring = if policy.needs_keys() && !header.is_empty() {
        let needing = policy.columns.iter().find(|c| c.action.needs_keys()).map(|c| c.name.clone());
        let Some(keys) = args.keys.clone() else {
            return Err(CliError::usage(format!(
                "the policy needs keys (column `{}`): use --keys FILE",
                needing.unwrap_or_default()
            )));
        };
        Some(Arc::new(load_keyring(&KeyArgs { keys, passphrase_file: args.passphrase_file.clone() })?))
    } else {
        None
    };

    let engine = Engine::build(&policy, &layout, &header, keyring, in_format, out_format)?;
    // Timed from here: the keyring's passphrase hashing is not row work.
    let started = Instant::now();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.threads.unwrap_or(0))
        .build()
        .map_err(|_| CliError::failed("cannot start the worker threads"))?;
    let threads = pool.current_num_threads();
    let passes = if policy.k_anonymity.is_some() { 2 } else { 1 };
    let progress = (!quiet && io::stderr().is_terminal()).then(|| {
        let pb = ProgressBar::with_draw_target(Some(input_len * passes), ProgressDrawTarget::stderr());
        if let Ok(style) = ProgressStyle::with_template(
            "{elapsed_precise} [{wide_bar}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
        ) {
            pb.set_style(style);
        }
        pb
    });
    let driver = Driver {
        engine: &engine,
        pool: &pool,
        chunk_rows: args.chunk,
        in_flight: (threads * 4).max(2),
        progress: progress.as_ref(),
    };
    let mut stats = Stats::new(engine.columns.len());

    // k-anonymity, pass 1: count the classes of the quasi-identifiers.
    let suppression = match &policy.k_anonymity {
        None => None,
        Some(k) => {
            let mut counts: HashMap<Vec<u8>, u64> = HashMap::new();
            let mut pass1 = Stats::new(engine.columns.len());
            driver.drive(&mut source, Pass::Count, &mut pass1, &mut counts, |_| Ok(()))?;
            let mut classes = EquivalenceClasses::new();
            for (key, n) in &counts {
                let values = decode_key(key);
                for _ in 0..*n {
                    classes.add(&values);
                }
            }
            // Pass 2 reads the input again from the top.
            source = Source::open(&args.input, in_format)?.0;
            Some(classes.suppression(k.k)?)
        }
    };

    let mut out = AtomicFile::create(&args.output)?;
    let mut rejects = match &args.rejects {
        Some(p) => {
            let mut w = csv::Writer::from_writer(AtomicFile::create(p)?);
            w.write_record(["row", "column", "reason"]).map_err(csv_write_failed)?;
            Some(w)
        }
        None => None,
    };
    if out_format == Format::Csv && !header.is_empty() {
        // No output columns: an empty line, like the rows (see `Sink`).
        let line = if engine.out_names.is_empty() { b"\n".to_vec() } else { csv_row(&engine.out_names)? };
        out.write_bytes(&line)?;
    }
    {
        let out_w = &mut out;
        let mut rejects_w = rejects.as_mut();
        let names = &engine.in_names;
        driver.drive(
            &mut source,
            Pass::Write(suppression.as_ref()),
            &mut stats,
            &mut HashMap::new(),
            |o: &ChunkOut| {
                out_w.write_bytes(&o.data)?;
                if let Some(w) = rejects_w.as_mut() {
                    for (row, col, reason) in &o.rejects {
                        let row = row.to_string();
                        w.write_record([row.as_str(), &names[*col], reason]).map_err(csv_write_failed)?;
                    }
                }
                Ok(())
            },
        )?;
    }
    if let Some(w) = rejects {
        w.into_inner().map_err(|e| CliError::from(e.into_error()))?.commit()?;
    }
    out.commit()?;
    if let Some(pb) = &progress {
        pb.finish_and_clear();
    }
    if !quiet {
        eprint!(
            "{}",
            summary(&engine, &policy, &stats, suppression.as_ref(), started.elapsed().as_secs_f64(), threads)
        );
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Input: CSV records from the csv crate, JSON Lines lines for serde_json

/// Why the input stops: a record that would not fit in memory.
const TOO_LONG: &str = "a record is longer than 64 MiB (unbalanced quote in the input?)";

/// The input file past a UTF-8 byte order mark: the first bytes, peeked to
/// look for one, then the rest of the file.
type InputFile = io::Chain<io::Cursor<Vec<u8>>, File>;

/// Open the input: the stream, and the bytes skipped before it.
fn open_input(path: &Path) -> CliResult<(InputFile, u64)> {
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

fn read_failed(e: io::Error) -> CliError {
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
const UNTERMINATED: &str = "unterminated quoted field (or a stray quote in an unquoted field)";

/// The csv crate's reader over the input.
struct CsvInput {
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
fn read_line(rdr: &mut BufReader<InputFile>, buf: &mut Vec<u8>) -> CliResult<usize> {
    let n = Read::take(&mut *rdr, MAX_RECORD as u64 + 1).read_until(b'\n', buf).map_err(read_failed)?;
    if n > MAX_RECORD {
        return Err(CliError::failed("a record is longer than 64 MiB"));
    }
    Ok(n)
}

/// Reads the input a chunk of records at a time.
enum Source {
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
    fn open(path: &Path, format: Format) -> CliResult<(Source, Option<Vec<String>>)> {
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
    fn next_chunk(&mut self, rows: usize, chunk: &mut ChunkIn) -> CliResult<bool> {
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
struct ChunkIn {
    /// CSV: the records are `records[..rows]` (the rest are spare allocations).
    records: Vec<ByteRecord>,
    /// JSON Lines: whole lines (`rows` of them, blank ones included).
    lines: Vec<u8>,
    rows: usize,
    /// Input bytes covered (for the progress bar).
    bytes: u64,
}

impl Fields for ByteRecord {
    fn field(&self, i: usize) -> &[u8] {
        self.get(i).unwrap_or_default()
    }

    /// Fields are checked for UTF-8 one by one, and only those used: checking
    /// whole records costs more (names, addresses).
    fn text(&self, i: usize) -> Option<&str> {
        std::str::from_utf8(self.field(i)).ok()
    }
}

// ---------------------------------------------------------------------------
// Cells: the output values of one row, unescaped.

/// A `ByteRecord`, so that a CSV row takes the csv crate's fast path.
#[derive(Default)]
struct Cells {
    record: ByteRecord,
    /// A cell being written through `fmt::Write`, until [`Cells::close`].
    pending: Vec<u8>,
}

impl Cells {
    fn clear(&mut self) {
        self.record.clear();
        self.pending.clear();
    }

    fn push(&mut self, bytes: &[u8]) {
        self.record.push_field(bytes);
    }

    /// End a cell written through `fmt::Write`.
    fn close(&mut self) {
        self.record.push_field(&self.pending);
        self.pending.clear();
    }

    fn len(&self) -> usize {
        self.record.len()
    }

    fn truncate(&mut self, cells: usize) {
        self.record.truncate(cells);
        self.pending.clear();
    }

    fn get(&self, i: usize) -> &[u8] {
        self.record.get(i).unwrap_or_default()
    }
}

impl fmt::Write for Cells {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.pending.extend_from_slice(s.as_bytes());
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// Column processors

/// Why a value was refused (never contains the value).
type Reason = Cow<'static, str>;

fn reason(e: desensitize::Error) -> Reason {
    Cow::Owned(e.to_string())
}

/// The row id of the current row: not configured, not UTF-8, or the text.
#[derive(Clone, Copy)]
enum RowId<'a> {
    None,
    Bad,
    Id(&'a str),
}

/// A policy column with a kind: parses each value once and writes its cells.
trait Column: Send + Sync {
    /// Parse `text` and write this column's cells: the main value (only when
    /// `main`, else an empty cell) then the derived facts.
    fn process(&self, text: &str, row_id: RowId<'_>, main: bool, cells: &mut Cells) -> Result<(), Reason>;
}

struct FactOpts {
    today: Date,
    band_width: u32,
    precision: usize,
    grid_km: f64,
}

type ParseFn<T> = fn(&str, Date) -> desensitize::Result<T>;
type FactFn<T> = fn(&T, Fact, &FactOpts, &mut Cells) -> Result<(), Reason>;
type TokenFn<T> = fn(&Pseudonymizer, &T) -> Token;
type IndexFn<T> =
    fn(&Keyring, &Domain, Transform, u8) -> desensitize::Result<Box<dyn Fn(&T) -> IndexValue + Send + Sync>>;
type FpeFn<T> = fn(&FpeCipher, &T, &mut Cells) -> desensitize::Result<()>;

enum Act<T> {
    Keep,
    Drop,
    Mask(MaskLevel),
    Seal { keyring: Arc<Keyring>, base: Context, per_row: bool },
    Pseudonym(Pseudonymizer, TokenFn<T>),
    Fpe(FpeCipher, FpeFn<T>),
    Index(Box<dyn Fn(&T) -> IndexValue + Send + Sync>),
    Generalize(Fact),
}

struct Typed<T> {
    parse: ParseFn<T>,
    act: Act<T>,
    derived: Vec<Fact>,
    facts: FactFn<T>,
    opts: FactOpts,
}

impl<T: Sealable> Column for Typed<T> {
    fn process(&self, text: &str, row_id: RowId<'_>, main: bool, cells: &mut Cells) -> Result<(), Reason> {
        let v = (self.parse)(text, self.opts.today).map_err(reason)?;
        if !main {
            if !matches!(self.act, Act::Drop) {
                cells.push(b"");
            }
        } else {
            match &self.act {
                Act::Keep => cells.push(text.as_bytes()),
                Act::Drop => {}
                Act::Mask(level) => cells.push(v.mask(*level).as_bytes()),
                Act::Seal { keyring, base, per_row } => {
                    let sealed = if *per_row {
                        let id = match row_id {
                            RowId::Id("") => return Err("the row id is empty".into()),
                            RowId::Id(id) => id,
                            RowId::Bad | RowId::None => return Err("the row id is not valid UTF-8".into()),
                        };
                        keyring.seal_text(&v, &base.clone().with_row(id))
                    } else {
                        keyring.seal_text(&v, base)
                    };
                    cells.push(sealed.map_err(reason)?.as_bytes());
                }
                Act::Pseudonym(p, token) => cells.push(token(p, &v).to_text().as_bytes()),
                Act::Fpe(cipher, fpe) => fpe(cipher, &v, cells).map_err(reason)?,
                Act::Index(index) => {
                    let _ = write!(cells, "{}", index(&v));
                    cells.close();
                }
                Act::Generalize(fact) => (self.facts)(&v, *fact, &self.opts, cells)?,
            }
        }
        for f in &self.derived {
            (self.facts)(&v, *f, &self.opts, cells)?;
        }
        Ok(())
    }
}

fn parse_str<T: core::str::FromStr<Err = desensitize::Error>>(s: &str, _: Date) -> desensitize::Result<T> {
    s.parse()
}

fn parse_id(s: &str, today: Date) -> desensitize::Result<IdNumber> {
    IdNumber::parse_on(s, today)
}

fn token<T: Pseudonymizable>(p: &Pseudonymizer, v: &T) -> Token {
    p.token(v)
}

#[allow(clippy::type_complexity)]
fn index<T: Pseudonymizable>(
    keyring: &Keyring,
    name: &Domain,
    transform: Transform,
    bits: u8,
) -> desensitize::Result<Box<dyn Fn(&T) -> IndexValue + Send + Sync>> {
    let ix = keyring.blind_index::<T>(name, transform, bits)?;
    Ok(Box::new(move |v: &T| ix.compute(v)))
}

fn fpe_id(c: &FpeCipher, v: &IdNumber, cells: &mut Cells) -> desensitize::Result<()> {
    cells.push(c.pseudonymize(v)?.expose().as_bytes());
    Ok(())
}

fn fpe_mobile(c: &FpeCipher, v: &MobilePhone, cells: &mut Cells) -> desensitize::Result<()> {
    cells.push(c.pseudonymize(v)?.expose().as_bytes());
    Ok(())
}

fn fpe_card(c: &FpeCipher, v: &BankCard, cells: &mut Cells) -> desensitize::Result<()> {
    cells.push(c.pseudonymize(v)?.expose().as_bytes());
    Ok(())
}

fn no_facts<T>(_: &T, _: Fact, _: &FactOpts, _: &mut Cells) -> Result<(), Reason> {
    Err("this kind has no generalized facts".into())
}

fn id_fact(v: &IdNumber, f: Fact, o: &FactOpts, cells: &mut Cells) -> Result<(), Reason> {
    match f {
        Fact::Gender => cells.push(v.gender().as_str().as_bytes()),
        Fact::AgeBand => {
            let band = AgeBand::of(v.age_on(o.today), o.band_width).map_err(reason)?;
            push_number(cells, band.low());
            match band.high() {
                Some(h) if h == band.low() => {}
                Some(h) => {
                    cells.pending.push(b'-');
                    push_number(cells, h);
                }
                None => cells.pending.push(b'+'),
            }
            cells.close();
        }
        Fact::Province => cells.push(v.province().name().as_bytes()),
        Fact::City => {
            let city = division::lookup(v.region_code()).and_then(|d| d.city());
            cells.push(city.map_or(v.province().name(), |c| c.name()).as_bytes());
        }
        Fact::BirthYear => {
            let _ = write!(cells, "{}", v.birth_date().year());
            cells.close();
        }
        Fact::BirthMonth => {
            let _ = write!(cells, "{}", v.birth_date().to_year_month());
            cells.close();
        }
        Fact::Geohash | Fact::Grid => return Err("fact does not apply to ID numbers".into()),
    }
    Ok(())
}

/// Decimal digits of `n`, without the formatting machinery.
fn push_number(cells: &mut Cells, n: u32) {
    let mut digits = [0u8; 10];
    let mut at = digits.len();
    let mut n = n;
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    cells.pending.extend_from_slice(&digits[at..]);
}

fn address_fact(v: &Address, f: Fact, _: &FactOpts, cells: &mut Cells) -> Result<(), Reason> {
    let region = v.generalize();
    match f {
        Fact::Province => cells.push(region.map_or("", |r| r.province().name()).as_bytes()),
        Fact::City => {
            cells.push(region.map_or("", |r| r.city().map_or(r.province().name(), |c| c.name())).as_bytes())
        }
        _ => return Err("fact does not apply to addresses".into()),
    }
    Ok(())
}

fn geo_fact(v: &GeoPoint, f: Fact, o: &FactOpts, cells: &mut Cells) -> Result<(), Reason> {
    match f {
        Fact::Geohash => cells.push(geohash(v, o.precision).map_err(reason)?.as_bytes()),
        Fact::Grid => {
            let (lat, lon) = grid_cell(v, o.grid_km).map_err(reason)?.center();
            let _ = write!(cells, "{lat:.5},{lon:.5}");
            cells.close();
        }
        _ => return Err("fact does not apply to locations".into()),
    }
    Ok(())
}

/// What one kind offers beyond sealing and masking.
struct KindOps<T> {
    parse: ParseFn<T>,
    token: Option<TokenFn<T>>,
    index: Option<IndexFn<T>>,
    fpe: Option<FpeFn<T>>,
    facts: FactFn<T>,
}

impl<T: Pseudonymizable> KindOps<T> {
    fn pseudonymizable(parse: ParseFn<T>) -> KindOps<T> {
        KindOps { parse, token: Some(token::<T>), index: Some(index::<T>), fpe: None, facts: no_facts::<T> }
    }
}

struct BuildEnv<'a> {
    keyring: Option<&'a Arc<Keyring>>,
    table: Option<&'a str>,
    per_row: bool,
    today: Date,
}

fn build_column(c: &ColumnPolicy, kind: Kind, env: &BuildEnv<'_>) -> CliResult<Box<dyn Column>> {
    match kind {
        Kind::IdNumber => {
            typed(c, env, KindOps { fpe: Some(fpe_id), facts: id_fact, ..KindOps::pseudonymizable(parse_id) })
        }
        Kind::MobilePhone => typed(
            c,
            env,
            KindOps { fpe: Some(fpe_mobile), ..KindOps::pseudonymizable(parse_str::<MobilePhone>) },
        ),
        Kind::BankCard => {
            typed(c, env, KindOps { fpe: Some(fpe_card), ..KindOps::pseudonymizable(parse_str::<BankCard>) })
        }
        Kind::Address => {
            typed(c, env, KindOps { facts: address_fact, ..KindOps::pseudonymizable(parse_str::<Address>) })
        }
        Kind::GeoPoint => {
            typed(c, env, KindOps { facts: geo_fact, ..KindOps::pseudonymizable(parse_str::<GeoPoint>) })
        }
        Kind::Landline => typed(c, env, KindOps::pseudonymizable(parse_str::<Landline>)),
        Kind::Email => typed(c, env, KindOps::pseudonymizable(parse_str::<Email>)),
        Kind::PersonName => typed(c, env, KindOps::pseudonymizable(parse_str::<PersonName>)),
        Kind::IpAddress => typed(c, env, KindOps::pseudonymizable(parse_str::<IpAddress>)),
        Kind::MacAddress => typed(c, env, KindOps::pseudonymizable(parse_str::<MacAddress>)),
        Kind::Imei => typed(c, env, KindOps::pseudonymizable(parse_str::<Imei>)),
        Kind::Passport => typed(c, env, KindOps::pseudonymizable(parse_str::<Passport>)),
        Kind::LicensePlate => typed(c, env, KindOps::pseudonymizable(parse_str::<LicensePlate>)),
        Kind::CreditCode => typed(c, env, KindOps::pseudonymizable(parse_str::<CreditCode>)),
        Kind::Biometric => typed(
            c,
            env,
            KindOps {
                parse: parse_str::<Biometric>,
                token: None,
                index: None,
                fpe: None,
                facts: no_facts::<Biometric>,
            },
        ),
        other => {
            Err(CliError::usage(format!("policy: column `{}`: kind {other} cannot be processed", c.name)))
        }
    }
}

fn typed<T: Sealable>(c: &ColumnPolicy, env: &BuildEnv<'_>, ops: KindOps<T>) -> CliResult<Box<dyn Column>> {
    let col_err = |e: desensitize::Error| CliError::failed(format!("column `{}`: {e}", c.name));
    let not_for = || {
        CliError::usage(format!("policy: column `{}`: action \"{}\" does not apply", c.name, c.action.name()))
    };
    let keyring = || {
        env.keyring
            .cloned()
            .ok_or_else(|| CliError::usage(format!("column `{}` needs keys: use --keys FILE", c.name)))
    };
    let act = match &c.action {
        Action::Keep => Act::Keep,
        Action::Drop => Act::Drop,
        Action::Mask(level) => Act::Mask(*level),
        Action::Seal => {
            let table = env.table.ok_or_else(not_for)?;
            let base = Context::try_new(table, &c.name).map_err(col_err)?;
            Act::Seal { keyring: keyring()?, base, per_row: env.per_row }
        }
        Action::Pseudonym(domain) => {
            Act::Pseudonym(keyring()?.pseudonymizer(domain).map_err(col_err)?, ops.token.ok_or_else(not_for)?)
        }
        Action::Fpe(domain) => {
            Act::Fpe(keyring()?.fpe_cipher(domain).map_err(col_err)?, ops.fpe.ok_or_else(not_for)?)
        }
        Action::BlindIndex { name, transform, bits } => {
            let make = ops.index.ok_or_else(not_for)?;
            Act::Index(make(&*keyring()?, name, *transform, *bits).map_err(col_err)?)
        }
        Action::Generalize(f) => Act::Generalize(*f),
    };
    Ok(Box::new(Typed {
        parse: ops.parse,
        act,
        derived: c.derived.iter().map(|(f, _)| *f).collect(),
        facts: ops.facts,
        opts: FactOpts {
            today: env.today,
            band_width: c.band_width,
            precision: c.precision,
            grid_km: c.grid_km,
        },
    }))
}

// ---------------------------------------------------------------------------
// The engine: one row in, its cells out.

enum EngineColumn {
    /// Unnamed and dropped.
    Skip,
    /// Unnamed and kept.
    Pass { qi: bool },
    /// Named by the policy.
    Typed { col: Box<dyn Column>, outputs: usize, qi_main: bool, qi_any: bool },
    /// Named, without a kind: kept or dropped as is.
    Plain { keep: bool, qi: bool },
}

struct Engine {
    columns: Vec<EngineColumn>,
    /// Input column names.
    in_names: Vec<String>,
    /// Input column -> policy column, for the summary.
    in_policy: Vec<Option<usize>>,
    out_names: Vec<String>,
    /// CSV output: the csv crate's settings.
    csv_out: csv::WriterBuilder,
    /// JSON input: column name -> input index.
    in_index: HashMap<String, usize>,
    row_id: Option<usize>,
    quasi_identifiers: Vec<usize>,
    marker: Vec<u8>,
    on_invalid: OnInvalid,
    unnamed: Unnamed,
    in_format: Format,
    out_format: Format,
}

impl Engine {
    fn build(
        policy: &Policy,
        layout: &Layout,
        header: &[String],
        keyring: Option<Arc<Keyring>>,
        in_format: Format,
        out_format: Format,
    ) -> CliResult<Engine> {
        let env = BuildEnv {
            keyring: keyring.as_ref(),
            table: policy.table.as_deref(),
            per_row: layout.row_id.is_some(),
            today: policy.today,
        };
        let qi = &layout.quasi_identifiers;
        let mut columns = Vec::with_capacity(layout.columns.len());
        let mut in_policy = Vec::with_capacity(layout.columns.len());
        let mut out = 0usize;
        for lc in &layout.columns {
            match *lc {
                LayoutColumn::Skip => {
                    columns.push(EngineColumn::Skip);
                    in_policy.push(None);
                }
                LayoutColumn::Pass => {
                    columns.push(EngineColumn::Pass { qi: qi.contains(&out) });
                    in_policy.push(None);
                    out += 1;
                }
                LayoutColumn::Policy(p) => {
                    let c = &policy.columns[p];
                    in_policy.push(Some(p));
                    let outputs = c.outputs();
                    let qi_main = c.writes_main() && qi.contains(&out);
                    let qi_any = (out..out + outputs).any(|o| qi.contains(&o));
                    match c.kind {
                        None => columns.push(EngineColumn::Plain { keep: c.writes_main(), qi: qi_main }),
                        Some(kind) => columns.push(EngineColumn::Typed {
                            col: build_column(c, kind, &env)?,
                            outputs,
                            qi_main,
                            qi_any,
                        }),
                    }
                    out += outputs;
                }
            }
        }
        debug_assert_eq!(out, layout.out_names.len());
        let mut csv_out = csv::WriterBuilder::new();
        csv_out.buffer_capacity(64 << 10);
        Ok(Engine {
            columns,
            in_names: header.to_vec(),
            in_policy,
            out_names: layout.out_names.clone(),
            csv_out,
            in_index: header.iter().enumerate().map(|(i, h)| (h.clone(), i)).collect(),
            row_id: layout.row_id,
            quasi_identifiers: layout.quasi_identifiers.clone(),
            marker: policy.marker.as_bytes().to_vec(),
            on_invalid: policy.on_invalid,
            unnamed: policy.unnamed,
            in_format,
            out_format,
        })
    }

    /// Process one chunk of records and serialize the rows it keeps.
    /// `buf` is an output buffer to reuse.
    fn chunk(&self, input: &ChunkIn, pass: Pass<'_>, mut buf: Vec<u8>) -> ChunkOut {
        let mut out = ChunkOut::new(self.columns.len());
        buf.clear();
        if !matches!(pass, Pass::Count) {
            buf.reserve(usize::try_from(input.bytes).unwrap_or(0).saturating_mul(2));
        }
        let mut sink = match self.out_format {
            Format::Csv if !self.out_names.is_empty() => Sink::Csv(Box::new(self.csv_out.from_writer(buf))),
            _ => Sink::Raw(buf),
        };
        let mut cells = Cells::default();
        match self.in_format {
            Format::Csv => {
                for record in &input.records[..input.rows] {
                    out.rows += 1;
                    if record.len() != self.columns.len() {
                        let msg = format!("{} fields, the header has {}", record.len(), self.columns.len());
                        out.failure = Some(Failure { row: out.rows, col: None, msg: msg.into() });
                        break;
                    }
                    if let Err(f) = self.row(record, pass, &mut out, &mut cells, &mut sink) {
                        out.failure = Some(f);
                        break;
                    }
                }
            }
            Format::Jsonl => {
                let mut vals: Vec<Cow<'_, str>> = Vec::with_capacity(self.columns.len());
                for line in input.lines.split(|&b| b == b'\n') {
                    let line = line.strip_prefix(BOM).unwrap_or(line).trim_ascii();
                    if line.is_empty() {
                        continue;
                    }
                    out.rows += 1;
                    let fail = |msg: String| Failure { row: 0, col: None, msg: msg.into() };
                    let result = parse_json_line(line).map_err(fail).and_then(|pairs| {
                        vals.clear();
                        vals.resize(self.columns.len(), Cow::Borrowed(""));
                        for (k, v) in pairs {
                            match self.in_index.get(k.as_ref()) {
                                Some(&i) => vals[i] = v,
                                None if self.unnamed == Unnamed::Drop => {}
                                None => {
                                    return Err(fail(format!(
                                        "column `{k}` is not in the first record (JSON Lines columns are set by \
                                         the first record)"
                                    )));
                                }
                            }
                        }
                        self.row(&JsonFields(&vals), pass, &mut out, &mut cells, &mut sink)
                    });
                    if let Err(mut f) = result {
                        f.row = out.rows;
                        out.failure = Some(f);
                        break;
                    }
                }
            }
        }
        match sink.finish() {
            Ok(data) => out.data = data,
            Err(msg) => {
                out.failure.get_or_insert(Failure { row: out.rows, col: None, msg });
            }
        }
        out
    }

    /// Handle a value that cannot be processed.
    fn bad(
        &self,
        col: usize,
        outputs: usize,
        why: Reason,
        out: &mut ChunkOut,
        cells: &mut Cells,
        counting: bool,
    ) -> Result<(), Failure> {
        if self.on_invalid == OnInvalid::Error {
            return Err(Failure { row: out.rows, col: Some(col), msg: why });
        }
        for _ in 0..outputs {
            cells.push(&self.marker);
        }
        if !counting {
            out.invalid[col] += 1;
            out.rejects.push((out.rows, col, why));
        }
        Ok(())
    }

    fn row(
        &self,
        fields: &impl Fields,
        pass: Pass<'_>,
        out: &mut ChunkOut,
        cells: &mut Cells,
        sink: &mut Sink,
    ) -> Result<(), Failure> {
        let counting = matches!(pass, Pass::Count);
        let json_out = self.out_format == Format::Jsonl;
        cells.clear();
        let row_id = match self.row_id {
            None => RowId::None,
            Some(i) => match fields.text(i) {
                Some(s) => RowId::Id(s),
                None => RowId::Bad,
            },
        };
        for (i, col) in self.columns.iter().enumerate() {
            match col {
                EngineColumn::Skip => {}
                EngineColumn::Pass { qi } | EngineColumn::Plain { keep: true, qi } => {
                    if counting && !qi {
                        cells.push(b"");
                        continue;
                    }
                    let raw = fields.field(i);
                    if json_out && fields.text(i).is_none() {
                        self.bad(i, 1, "not valid UTF-8".into(), out, cells, counting)?;
                        continue;
                    }
                    cells.push(raw);
                    if !counting {
                        out.done[i] += 1;
                    }
                }
                EngineColumn::Plain { keep: false, .. } => {}
                EngineColumn::Typed { col, outputs, qi_main, qi_any } => {
                    let (main, any) = if counting { (*qi_main, *qi_any) } else { (true, true) };
                    if !any {
                        for _ in 0..*outputs {
                            cells.push(b"");
                        }
                        continue;
                    }
                    let start = cells.len();
                    let result = match fields.text(i) {
                        None => Err(Cow::Borrowed("not valid UTF-8")),
                        Some(text) if text.trim().is_empty() => {
                            // An empty value stays empty, and so do its facts.
                            for _ in 0..*outputs {
                                cells.push(b"");
                            }
                            continue;
                        }
                        Some(text) => col.process(text, row_id, main, cells),
                    };
                    match result {
                        Ok(()) => {
                            if !counting {
                                out.done[i] += 1;
                            }
                        }
                        Err(why) => {
                            cells.truncate(start);
                            self.bad(i, *outputs, why, out, cells, counting)?;
                        }
                    }
                }
            }
        }
        match pass {
            Pass::Count => {
                let mut key = Vec::new();
                for &q in &self.quasi_identifiers {
                    let v = cells.get(q);
                    key.extend_from_slice(&(v.len() as u32).to_le_bytes());
                    key.extend_from_slice(v);
                }
                *out.classes.entry(key).or_insert(0) += 1;
            }
            Pass::Write(suppression) => {
                if let Some(s) = suppression {
                    let qi: Vec<Cow<'_, str>> = self
                        .quasi_identifiers
                        .iter()
                        .map(|&q| String::from_utf8_lossy(cells.get(q)))
                        .collect();
                    if !s.keeps(&qi) {
                        out.suppressed += 1;
                        return Ok(());
                    }
                }
                let written = match sink {
                    Sink::Csv(w) => w.write_byte_record(&cells.record).map_err(|_| "cannot serialize CSV"),
                    Sink::Raw(data) if self.out_format == Format::Jsonl => {
                        let row = JsonRow { names: &self.out_names, cells };
                        let written =
                            serde_json::to_writer(&mut *data, &row).map_err(|_| "cannot serialize JSON");
                        data.push(b'\n');
                        written
                    }
                    Sink::Raw(data) => {
                        data.push(b'\n');
                        Ok(())
                    }
                };
                written.map_err(|msg| Failure { row: out.rows, col: None, msg: msg.into() })?;
                out.written += 1;
            }
        }
        Ok(())
    }
}

/// The fields of one input record.
trait Fields {
    fn field(&self, i: usize) -> &[u8];
    /// The field as text, `None` when it is not valid UTF-8.
    fn text(&self, i: usize) -> Option<&str>;
}

struct JsonFields<'a, 'b>(&'b [Cow<'a, str>]);

impl Fields for JsonFields<'_, '_> {
    fn field(&self, i: usize) -> &[u8] {
        self.0.get(i).map_or(b"", |v| v.as_bytes())
    }

    fn text(&self, i: usize) -> Option<&str> {
        Some(self.0.get(i).map_or("", |v| v.as_ref()))
    }
}

/// Which pass over the input.
#[derive(Clone, Copy)]
enum Pass<'a> {
    /// k-anonymity pass 1: quasi-identifiers only, counted.
    Count,
    /// The real thing, dropping the rows the suppression rejects.
    Write(Option<&'a Suppression>),
}

/// A row that stops the run: local row number (1-based), column, reason.
struct Failure {
    row: u64,
    col: Option<usize>,
    msg: Reason,
}

/// What processing one chunk produced.
struct ChunkOut {
    /// Input bytes of the chunk (for the progress bar).
    bytes: u64,
    rows: u64,
    written: u64,
    suppressed: u64,
    data: Vec<u8>,
    /// Per input column: values processed, values marked invalid.
    done: Vec<u64>,
    invalid: Vec<u64>,
    /// (row, input column, reason); rows local until the driver makes them global.
    rejects: Vec<(u64, usize, Reason)>,
    failure: Option<Failure>,
    classes: HashMap<Vec<u8>, u64>,
}

impl ChunkOut {
    fn new(columns: usize) -> ChunkOut {
        ChunkOut {
            bytes: 0,
            rows: 0,
            written: 0,
            suppressed: 0,
            data: Vec::new(),
            done: vec![0; columns],
            invalid: vec![0; columns],
            rejects: Vec::new(),
            failure: None,
            classes: HashMap::new(),
        }
    }
}

struct Stats {
    rows: u64,
    written: u64,
    suppressed: u64,
    done: Vec<u64>,
    invalid: Vec<u64>,
}

impl Stats {
    fn new(columns: usize) -> Stats {
        Stats { rows: 0, written: 0, suppressed: 0, done: vec![0; columns], invalid: vec![0; columns] }
    }
}

/// Runs the read / process / write pipeline over one pass of the input.
///
/// A coordinator on one pool thread reads chunks and spawns one task per
/// chunk (at most `in_flight` at a time), writes the results in input order
/// as they complete, and runs tasks itself while it would otherwise wait. No
/// barrier between batches: every thread stays busy to the end. With one
/// thread everything runs on it, in turn.
struct Driver<'a> {
    engine: &'a Engine,
    pool: &'a rayon::ThreadPool,
    chunk_rows: usize,
    in_flight: usize,
    progress: Option<&'a ProgressBar>,
}

/// A processed chunk on its way back to the coordinator: sequence number,
/// result, and the input buffer to reuse.
type Done = (u64, ChunkOut, ChunkIn);

impl Driver<'_> {
    fn drive(
        &self,
        source: &mut Source,
        pass: Pass<'_>,
        stats: &mut Stats,
        classes: &mut HashMap<Vec<u8>, u64>,
        mut consume: impl FnMut(&ChunkOut) -> CliResult + Send,
    ) -> CliResult {
        let engine = self.engine;
        self.pool.install(|| {
            let (tx, rx) = std::sync::mpsc::channel::<Done>();
            rayon::in_place_scope_fifo(|scope| {
                let mut free_in: Vec<ChunkIn> = Vec::new();
                let mut free_out: Vec<Vec<u8>> = Vec::new();
                let mut done: BTreeMap<u64, ChunkOut> = BTreeMap::new();
                let (mut next, mut written) = (0u64, 0u64);
                let mut eof = false;
                loop {
                    while let Ok((seq, out, input)) = rx.try_recv() {
                        done.insert(seq, out);
                        free_in.push(input);
                    }
                    while let Some(mut out) = done.remove(&written) {
                        self.finish(&mut out, stats, classes)?;
                        consume(&out)?;
                        free_out.push(std::mem::take(&mut out.data));
                        written += 1;
                    }
                    if eof && written == next {
                        return Ok(());
                    }
                    if !eof && next - written < self.in_flight as u64 {
                        let mut input = free_in.pop().unwrap_or_default();
                        if source.next_chunk(self.chunk_rows, &mut input)? {
                            let tx = tx.clone();
                            let buf = free_out.pop().unwrap_or_default();
                            let seq = next;
                            scope.spawn_fifo(move |_| {
                                let mut out = engine.chunk(&input, pass, buf);
                                out.bytes = input.bytes;
                                let _ = tx.send((seq, out, input));
                            });
                            next += 1;
                        } else {
                            eof = true;
                        }
                        continue;
                    }
                    // Enough in flight: help, or wait for a result.
                    if !matches!(rayon::yield_now(), Some(rayon::Yield::Executed))
                        && let Ok((seq, out, input)) = rx.recv_timeout(std::time::Duration::from_millis(1))
                    {
                        done.insert(seq, out);
                        free_in.push(input);
                    }
                }
            })
        })
    }

    /// Account for one chunk, in input order: its failure stops the run.
    fn finish(&self, o: &mut ChunkOut, stats: &mut Stats, classes: &mut HashMap<Vec<u8>, u64>) -> CliResult {
        if let Some(f) = o.failure.take() {
            let row = stats.rows + f.row;
            return Err(CliError::failed(match f.col {
                Some(c) => format!("row {row}, column {}: {}", self.engine.in_names[c], f.msg),
                None => format!("row {row}: {}", f.msg),
            }));
        }
        if let Some(pb) = self.progress {
            pb.inc(o.bytes);
        }
        for r in &mut o.rejects {
            r.0 += stats.rows;
        }
        stats.rows += o.rows;
        stats.written += o.written;
        stats.suppressed += o.suppressed;
        for (a, b) in stats.done.iter_mut().zip(&o.done) {
            *a += b;
        }
        for (a, b) in stats.invalid.iter_mut().zip(&o.invalid) {
            *a += b;
        }
        for (k, n) in o.classes.drain() {
            *classes.entry(k).or_insert(0) += n;
        }
        Ok(())
    }
}

/// Split a pass-1 class key back into its values.
fn decode_key(mut key: &[u8]) -> Vec<String> {
    let mut values = Vec::new();
    while key.len() >= 4 {
        let n = u32::from_le_bytes([key[0], key[1], key[2], key[3]]) as usize;
        let end = (4 + n).min(key.len());
        values.push(String::from_utf8_lossy(&key[4..end]).into_owned());
        key = &key[end..];
    }
    values
}

// ---------------------------------------------------------------------------
// Serialization: the csv crate and serde_json

/// Where a chunk's rows go.
enum Sink {
    /// CSV rows, by the csv crate (fields quoted only when they need it).
    Csv(Box<csv::Writer<Vec<u8>>>),
    /// JSON Lines, or CSV rows without columns (an empty line each: the csv
    /// crate would write `""`).
    Raw(Vec<u8>),
}

impl Sink {
    fn finish(self) -> Result<Vec<u8>, Reason> {
        match self {
            Sink::Csv(w) => w.into_inner().map_err(|_| Cow::Borrowed("cannot serialize CSV")),
            Sink::Raw(data) => Ok(data),
        }
    }
}

/// One CSV row, serialized by the csv crate.
fn csv_row<I: IntoIterator<Item = T>, T: AsRef<[u8]>>(fields: I) -> CliResult<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(fields).map_err(csv_write_failed)?;
    w.into_inner().map_err(|e| CliError::from(e.into_error()))
}

fn csv_write_failed(e: csv::Error) -> CliError {
    match e.into_kind() {
        csv::ErrorKind::Io(e) => CliError::from(e),
        _ => CliError::failed("cannot write CSV"),
    }
}

/// One JSON Lines output object: the output columns in order, every value a
/// string. Serialized by serde_json as a map built in this order (a
/// `serde_json::Map` would sort the keys).
struct JsonRow<'a> {
    names: &'a [String],
    cells: &'a Cells,
}

impl Serialize for JsonRow<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.cells.len()))?;
        for (j, name) in self.names.iter().enumerate().take(self.cells.len()) {
            // Valid UTF-8 by construction (the engine refuses other input
            // for JSON output); lossy rather than unchecked all the same.
            map.serialize_entry(name, &String::from_utf8_lossy(self.cells.get(j)))?;
        }
        map.end()
    }
}

// ---------------------------------------------------------------------------
// JSON Lines input

type JsonPairs<'a> = Vec<(Cow<'a, str>, Cow<'a, str>)>;

/// Parse one line into (key, value) pairs in document order. Messages never
/// quote the input.
fn parse_json_line(line: &[u8]) -> Result<JsonPairs<'_>, String> {
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

// ---------------------------------------------------------------------------
// Files

/// Whether two paths name the same existing file.
fn same_file(a: &Path, b: &Path) -> bool {
    match (fs::metadata(a), fs::metadata(b)) {
        (Ok(x), Ok(y)) => {
            #[cfg(unix)]
            {
                use std::os::unix::fs::MetadataExt;
                x.dev() == y.dev() && x.ino() == y.ino()
            }
            #[cfg(not(unix))]
            {
                let _ = (x, y);
                fs::canonicalize(a).ok() == fs::canonicalize(b).ok()
            }
        }
        _ => false,
    }
}

/// Whether two paths (existing or not) are the same place.
fn same_path(a: &Path, b: &Path) -> bool {
    let full = |p: &Path| {
        let dir = p.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
        fs::canonicalize(dir).ok().map(|d| d.join(p.file_name().unwrap_or_default()))
    };
    same_file(a, b) || (full(a).is_some() && full(a) == full(b))
}

/// A file written under a temporary name and renamed into place on commit;
/// dropped without commit, the temporary file is removed.
///
/// Every [`SYNC_EVERY`] bytes a background thread starts flushing what was
/// written so far to disk, so that the final fsync (which the rename waits
/// for) has little left to do.
struct AtomicFile {
    dest: PathBuf,
    tmp: PathBuf,
    file: Option<BufWriter<File>>,
    unsynced: u64,
    syncing: Option<std::thread::JoinHandle<()>>,
}

const SYNC_EVERY: u64 = 16 << 20;

impl AtomicFile {
    fn create(dest: &Path) -> CliResult<AtomicFile> {
        let name = dest
            .file_name()
            .ok_or_else(|| CliError::usage("the output path has no file name"))?
            .to_string_lossy()
            .into_owned();
        let dir = dest.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        for attempt in 0..100u32 {
            let tmp =
                dir.join(format!(".{name}.tmp{:x}{:06x}", std::process::id(), (nanos ^ attempt) & 0xff_ffff));
            match fs::OpenOptions::new().write(true).create_new(true).open(&tmp) {
                Ok(f) => {
                    return Ok(AtomicFile {
                        dest: dest.to_path_buf(),
                        tmp,
                        file: Some(BufWriter::with_capacity(1 << 20, f)),
                        unsynced: 0,
                        syncing: None,
                    });
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => {
                    return Err(CliError::failed(format!("cannot create the output file: {}", e.kind())));
                }
            }
        }
        Err(CliError::failed("cannot create a temporary output file"))
    }

    fn write_bytes(&mut self, bytes: &[u8]) -> io::Result<()> {
        let w = self.file.as_mut().expect("an uncommitted AtomicFile has its file");
        w.write_all(bytes)?;
        self.unsynced += bytes.len() as u64;
        if self.unsynced >= SYNC_EVERY && self.syncing.as_ref().is_none_or(|h| h.is_finished()) {
            self.unsynced = 0;
            w.flush()?;
            if let Ok(f) = w.get_ref().try_clone() {
                // Errors surface in the final fsync.
                self.syncing = Some(std::thread::spawn(move || {
                    let _ = f.sync_data();
                }));
            }
        }
        Ok(())
    }

    /// Flush, fsync and rename into place.
    fn commit(mut self) -> CliResult {
        let writer = self.file.take().expect("an uncommitted AtomicFile has its file");
        let file = writer.into_inner().map_err(|e| CliError::from(e.into_error()))?;
        if let Some(h) = self.syncing.take() {
            let _ = h.join();
        }
        file.sync_all()?;
        drop(file);
        fs::rename(&self.tmp, &self.dest)
            .map_err(|e| CliError::failed(format!("cannot move the output into place: {}", e.kind())))?;
        // Make the rename durable (best effort: not every platform allows it).
        if let Some(dir) = self.dest.parent() {
            let dir = if dir.as_os_str().is_empty() { Path::new(".") } else { dir };
            if let Ok(d) = File::open(dir) {
                let _ = d.sync_all();
            }
        }
        self.tmp = PathBuf::new();
        Ok(())
    }
}

/// For `csv::Writer` (the rejects report). Flushed on commit.
impl Write for AtomicFile {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.write_bytes(bytes)?;
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if !self.tmp.as_os_str().is_empty() {
            self.file.take();
            if let Some(h) = self.syncing.take() {
                let _ = h.join();
            }
            let _ = fs::remove_file(&self.tmp);
        }
    }
}

// ---------------------------------------------------------------------------
// Summary

fn summary(
    engine: &Engine,
    policy: &Policy,
    stats: &Stats,
    suppression: Option<&Suppression>,
    secs: f64,
    threads: usize,
) -> String {
    let mut s = String::new();
    let rate = if secs > 0.0 { stats.rows as f64 / secs } else { 0.0 };
    let _ = writeln!(
        s,
        "desensitize run: {} rows in, {} rows out, {:.2} s, {:.0} rows/s ({} thread{})",
        stats.rows,
        stats.written,
        secs,
        rate,
        threads,
        if threads == 1 { "" } else { "s" }
    );
    if let (Some(k), Some(sup)) = (&policy.k_anonymity, suppression) {
        let _ = writeln!(
            s,
            "  k-anonymity (k = {} on {}): {} rows suppressed in {} classes",
            k.k,
            k.quasi_identifiers.join(", "),
            stats.suppressed,
            sup.suppressed_classes()
        );
    }
    let width = engine.in_names.iter().map(|n| n.chars().count()).max().unwrap_or(6).max(6);
    let invalid_total: u64 = stats.invalid.iter().sum();
    let mut unnamed = (0usize, 0usize);
    for (i, name) in engine.in_names.iter().enumerate() {
        match (engine.in_policy[i], &engine.columns[i]) {
            (Some(p), _) => {
                let c = &policy.columns[p];
                let mut what = c.action.name().to_owned();
                if !c.derived.is_empty() {
                    let d: Vec<&str> = c.derived.iter().map(|(_, n)| n.as_str()).collect();
                    let _ = write!(what, " + {}", d.join(", "));
                }
                if c.kind.is_none() && !c.writes_main() {
                    let _ = writeln!(s, "  {name:<width$}  {what}");
                    continue;
                }
                let _ = write!(s, "  {name:<width$}  {what}: {}", stats.done[i]);
                if stats.invalid[i] > 0 {
                    let _ = write!(s, ", invalid {}", stats.invalid[i]);
                }
                s.push('\n');
            }
            (None, EngineColumn::Pass { .. }) => unnamed.0 += 1,
            (None, _) => unnamed.1 += 1,
        }
    }
    if unnamed.0 > 0 {
        let _ = writeln!(s, "  unnamed columns kept unchanged: {}", unnamed.0);
    }
    if unnamed.1 > 0 {
        let _ = writeln!(s, "  unnamed columns dropped: {}", unnamed.1);
    }
    if invalid_total > 0 {
        let _ = writeln!(s, "  invalid values marked {:?}: {invalid_total}", policy.marker);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file in a fresh temporary directory, removed on drop.
    struct TempFile(PathBuf);

    impl TempFile {
        fn new(name: &str, bytes: &[u8]) -> TempFile {
            use std::sync::atomic::{AtomicUsize, Ordering};
            static N: AtomicUsize = AtomicUsize::new(0);
            let n = N.fetch_add(1, Ordering::Relaxed);
            let dir = std::env::temp_dir().join(format!("dz-run-unit-{}-{n}", std::process::id()));
            fs::create_dir_all(&dir).unwrap();
            let path = dir.join(name);
            fs::write(&path, bytes).unwrap();
            TempFile(path)
        }
    }

    impl Drop for TempFile {
        fn drop(&mut self) {
            if let Some(dir) = self.0.parent() {
                let _ = fs::remove_dir_all(dir);
            }
        }
    }

    /// Read `input` with `Source`, pass every column through the engine
    /// (unnamed columns kept), and serialize: the whole output file.
    fn through(input: &[u8], from: Format, to: Format, chunk_rows: usize) -> String {
        let name = if from == Format::Csv { "in.csv" } else { "in.jsonl" };
        let file = TempFile::new(name, input);
        let policy = Policy::parse("unnamed_columns = \"keep\"\n[columns.id]\naction = \"keep\"\n").unwrap();
        let (mut source, header) = Source::open(&file.0, from).unwrap();
        let header = header.unwrap();
        let layout = policy.layout(&header).unwrap();
        let engine = Engine::build(&policy, &layout, &header, None, from, to).unwrap();
        let mut out = if to == Format::Csv { csv_row(&engine.out_names).unwrap() } else { Vec::new() };
        let mut chunk = ChunkIn::default();
        let mut buf = Vec::new();
        while source.next_chunk(chunk_rows, &mut chunk).unwrap() {
            let mut o = engine.chunk(&chunk, Pass::Write(None), buf);
            if let Some(f) = &o.failure {
                panic!("row {}: {}", f.row, f.msg);
            }
            out.extend_from_slice(&o.data);
            buf = std::mem::take(&mut o.data);
        }
        String::from_utf8(out).unwrap()
    }

    fn csv_records(text: &str) -> Vec<Vec<String>> {
        let mut rdr = csv::ReaderBuilder::new().has_headers(false).from_reader(text.as_bytes());
        rdr.records().map(|r| r.unwrap().iter().map(str::to_owned).collect()).collect()
    }

    /// BOM, CRLF and bare CR record ends, blank lines, quotes, embedded
    /// commas, quotes and newlines, empty and quoted-empty fields, UTF-8
    /// outside the BMP, no newline at the end.
    const TRICKY_CSV: &str = "\u{feff}id,text,note\r\n\
        1,\"a,b\",plain\r\n\
        2,\"say \"\"hi\"\"\",\r\n\
        \r\n\
        3,\"multi\nline\r\nfield\",\"\"\n\n\
        4,é中文😀𝄞,\"trailing \"\"\"\r\
        5,,\n\
        6,\"\",\"\r\"";

    #[test]
    fn tricky_csv_round_trips() {
        let expected = "id,text,note\n\
            1,\"a,b\",plain\n\
            2,\"say \"\"hi\"\"\",\n\
            3,\"multi\nline\r\nfield\",\n\
            4,é中文😀𝄞,\"trailing \"\"\"\n\
            5,,\n\
            6,,\"\r\"\n";
        for rows in [1, 2, 3, 100] {
            assert_eq!(through(TRICKY_CSV.as_bytes(), Format::Csv, Format::Csv, rows), expected);
        }
        // The records read back are the records written (the BOM aside).
        let mut input = csv_records(TRICKY_CSV.trim_start_matches('\u{feff}'));
        assert_eq!(csv_records(expected), input);
        // Twice through: a fixed point.
        assert_eq!(through(expected.as_bytes(), Format::Csv, Format::Csv, 2), expected);

        // CSV to JSON Lines: the same values, escaped by serde_json.
        let jsonl = through(TRICKY_CSV.as_bytes(), Format::Csv, Format::Jsonl, 2);
        assert_eq!(jsonl.lines().nth(2).unwrap(), r#"{"id":"3","text":"multi\nline\r\nfield","note":""}"#);
        let header = input.remove(0);
        let back: Vec<Vec<String>> = jsonl
            .lines()
            .map(|l| {
                let pairs = parse_json_line(l.as_bytes()).unwrap();
                assert_eq!(pairs.iter().map(|(k, _)| k.as_ref()).collect::<Vec<_>>(), header);
                pairs.into_iter().map(|(_, v)| v.into_owned()).collect()
            })
            .collect();
        assert_eq!(back, input);
    }

    #[test]
    fn tricky_json_lines_round_trip() {
        // Escapes, \u escapes (a surrogate pair too), keys out of order,
        // non-string scalars, blank lines, CRLF, no newline at the end.
        let input = concat!(
            "{\"id\":\"1\",\"text\":\"q \\\" b \\\\ s \\/ t \\t n \\n\",\"note\":\"\\u00e9\\u4e2d\\ud83d\\ude00\"}\n",
            "\n",
            "  {\"note\":\"x\",\"id\":2,\"text\":null}\r\n",
            "{\"text\":\"ctl \\u0001 \\b \\f\",\"id\":\"3\",\"note\":true}",
        );
        let expected = concat!(
            "{\"id\":\"1\",\"text\":\"q \\\" b \\\\ s / t \\t n \\n\",\"note\":\"é中😀\"}\n",
            "{\"id\":\"2\",\"text\":\"\",\"note\":\"x\"}\n",
            "{\"id\":\"3\",\"text\":\"ctl \\u0001 \\b \\f\",\"note\":\"true\"}\n",
        );
        for rows in [1, 2, 100] {
            assert_eq!(through(input.as_bytes(), Format::Jsonl, Format::Jsonl, rows), expected);
        }
        assert_eq!(through(expected.as_bytes(), Format::Jsonl, Format::Jsonl, 2), expected);
        // serde_json reads back the values written.
        let first: serde_json::Value = serde_json::from_str(expected.lines().next().unwrap()).unwrap();
        assert_eq!(first["text"], "q \" b \\ s / t \t n \n");
        assert_eq!(first["note"], "é中😀");
        // JSON Lines to CSV.
        assert_eq!(
            through(input.as_bytes(), Format::Jsonl, Format::Csv, 2),
            "id,text,note\n1,\"q \"\" b \\ s / t \t n \n\",é中😀\n2,,x\n3,ctl \u{1} \u{8} \u{c},true\n"
        );
    }

    #[test]
    fn csv_quoting() {
        let row = csv_row([&b"a"[..], b"b,c", b"say \"hi\"", b"", b"cr\r", b" sp "]).unwrap();
        assert_eq!(row, b"a,\"b,c\",\"say \"\"hi\"\"\",,\"cr\r\", sp \n");
        assert_eq!(csv_row([""]).unwrap(), b"\"\"\n");
    }

    #[test]
    fn json_lines() {
        let pairs = parse_json_line(br#"{"b":"x\"y","a":1,"c":null,"d":true,"e":-2.5}"#).unwrap();
        let keys: Vec<&str> = pairs.iter().map(|(k, _)| k.as_ref()).collect();
        assert_eq!(keys, ["b", "a", "c", "d", "e"]);
        let values: Vec<&str> = pairs.iter().map(|(_, v)| v.as_ref()).collect();
        assert_eq!(values, ["x\"y", "1", "", "true", "-2.5"]);
        assert!(matches!(pairs[1].1, Cow::Owned(_)));
        assert!(parse_json_line(br#"{"a":{"b":1}}"#).is_err());
        assert!(parse_json_line(br#"{"a":[1]}"#).is_err());
        assert!(parse_json_line(br#"["a"]"#).is_err());
        assert!(parse_json_line(br#"{"a":"b"} x"#).is_err());
        let secret = parse_json_line(br#"{"a":"13800138000""#).unwrap_err();
        assert!(!secret.contains("13800138000"));

        let mut cells = Cells::default();
        cells.push("a\"\\\n\u{1}é".as_bytes());
        let _ = write!(cells, "{}", 42);
        cells.close();
        let names = ["k\"1".to_owned(), "k2".to_owned()];
        let text = serde_json::to_string(&JsonRow { names: &names, cells: &cells }).unwrap();
        assert_eq!(text, r#"{"k\"1":"a\"\\\n\u0001é","k2":"42"}"#);
        cells.clear();
        assert_eq!(serde_json::to_string(&JsonRow { names: &[], cells: &cells }).unwrap(), "{}");
    }

    #[test]
    fn source_chunks_keep_quoted_newlines_together() {
        let mut text = String::from("\u{feff}h1,h2\n");
        for i in 0..100 {
            text.push_str(&format!("{i},\"multi\nline, \"\"quoted\"\"\"\n"));
        }
        text.push_str("last,row");
        let file = TempFile::new("in.csv", text.as_bytes());
        let (mut s, header) = Source::open(&file.0, Format::Csv).unwrap();
        assert_eq!(header.unwrap(), ["h1", "h2"]);
        let mut chunk = ChunkIn::default();
        let (mut rows, mut chunks, mut bytes) = (0, 0, "\u{feff}h1,h2\n".len() as u64 - 3);
        while s.next_chunk(7, &mut chunk).unwrap() {
            for r in &chunk.records[..chunk.rows] {
                assert_eq!(r.len(), 2);
                if r.field(0) != b"last" {
                    assert_eq!(r.field(1), b"multi\nline, \"quoted\"");
                }
            }
            rows += chunk.rows;
            chunks += 1;
            bytes += chunk.bytes;
        }
        assert_eq!(rows, 101);
        assert_eq!(chunks, 101usize.div_ceil(7));
        assert_eq!(bytes, text.len() as u64 - 3);

        // A last record open in quotes would swallow the rest of the input.
        let read_all = |text: &[u8]| -> CliResult<usize> {
            let file = TempFile::new("q.csv", text);
            let (mut s, _) = Source::open(&file.0, Format::Csv)?;
            let mut chunk = ChunkIn::default();
            let mut rows = 0;
            while s.next_chunk(2, &mut chunk)? {
                rows += chunk.rows;
            }
            Ok(rows)
        };
        let err = |r: CliResult<usize>| r.unwrap_err().to_string();
        assert_eq!(err(read_all(b"a,b\n1,x\n2,\"open\n3,y\n")), format!("row 2: {UNTERMINATED}"));
        assert_eq!(err(read_all(b"a,b\n1,\"x\"\"")), format!("row 1: {UNTERMINATED}"));
        assert_eq!(err(read_all(b"a,\"b\n")), format!("the input's header row: {UNTERMINATED}"));
        assert_eq!(read_all(b"a,b\n1,\"x\"\n2,\"y\nz\"\"\"\r\n\n").unwrap(), 2);
        assert_eq!(read_all(b"a,b\n1,\"x\"").unwrap(), 1);
        assert_eq!(read_all(b"a,b\n1,\"x\"tail").unwrap(), 1);
        assert_eq!(read_all(b"a,b").unwrap(), 0);

        // Empty inputs.
        let empty = TempFile::new("empty.csv", b"\xEF\xBB\xBF\n\n");
        assert!(Source::open(&empty.0, Format::Csv).is_err());
        let empty = TempFile::new("empty.jsonl", b"\n  \n");
        let (mut s, header) = Source::open(&empty.0, Format::Jsonl).unwrap();
        assert!(header.is_none());
        assert!(!s.next_chunk(7, &mut chunk).unwrap());
    }
}
