//! The parallel file pipeline: CSV and JSON Lines records read with a
//! strict parser, processed in parallel chunks, written in input order, in
//! bounded memory (feature `stream`).
//!
//! This is what `desensitize run` (and the CLI's `seal` / `open` over a
//! column of records) is built on; a service that exports a table, or any
//! program that protects a file, can call it the same way:
//!
//! ```
//! use desensitize::policy::{Plan, Policy};
//! use desensitize::stream::{self, Format, Options};
//!
//! let policy = Policy::from_json(r#"{"columns": {
//!     "id":    {"action": "keep"},
//!     "phone": {"kind": "mobile_phone", "action": "mask"}}}"#)?;
//! let plan = Plan::from_policy(&policy, &["id", "phone"], None)?;
//!
//! let input = "id,phone\n1,13800138000\n2,+86 139-0013-9000\n";
//! let mut output = Vec::new();
//! let summary = stream::run_plan(input.as_bytes(), &mut output, Format::Csv, &plan, &Options::new(2))?;
//! assert_eq!(output, b"id,phone\n1,138****8000\n2,139****9000\n");
//! assert_eq!(summary.rows, 2);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! To write a file atomically (complete or not at all), write into an
//! [`AtomicFile`] and [`commit`](AtomicFile::commit) it.
//!
//! For more than one plan over one input (`run`'s k-anonymity counting
//! pass, a progress bar, a rejects report), or work that is not a plan:
//! [`process`] runs any [`RowTransform`] over the records, handing each
//! chunk's [`Done`] tally back in input order; the readers and writers it
//! is built from are in [`parts`].
//!
//! # Design
//!
//! ```text
//!  reader thread                 N worker threads               caller thread
//!  read 1 MiB blocks ──chunk──▶  parse records (strict CSV /  ──▶ reorder by sequence,
//!  cut at last boundary          JSON lines), transform each      write buffers in input
//!  (memchr2 quote parity),       row into the chunk's output      order (plain write_all),
//!  count rows ▲                  Vec<u8>                          merge tallies in order
//!             └───────────── free buffer pairs (in_flight of them) ◀──┘
//! ```
//!
//! Only two stages are serial, and both touch each byte once at memory
//! speed: the boundary scan (one `memchr2` pass over `"` and `\n`, keeping
//! quote parity and counting records so that each chunk knows its first
//! global row number) and the ordered write of finished buffers. Parsing,
//! the transform and serialization run on the workers. The serial stages'
//! own throughput is measured by `benches/pipeline.rs`.
//!
//! Memory is bounded: `in_flight` buffer pairs (input block + output) circulate
//! between the three stages; the reader waits for a free pair, so at most
//! `in_flight` chunks exist, whatever the input's size. A record longer than
//! a block grows its buffer, up to `max_record`. Every buffer is wiped when
//! it is dropped.
//!
//! Dedicated scoped threads with bounded channels rather than rayon tasks:
//! the reader and the writer are never queued behind transform work (with
//! rayon, the coordinating task competes with chunk tasks for the pool and
//! the serial stages stall exactly when the workers are busy), and the
//! buffer pairs give backpressure without a semaphore. Chunks are coarse
//! (megabytes), so the channel and mutex costs are per chunk, not per row.
//!
//! Malformed CSV quoting is a row error (row, column, reason; never the
//! value) that stops the pipeline: past a bad quote the record boundaries
//! are ambiguous, so nothing after it is reinterpreted. See [`Record`](parts::Record) for
//! the grammar.
//!
//! JSON Lines values: strings as they are, numbers as decimal text
//! (integers exactly, others as the shortest decimal of their `f64`: `1.50`
//! gives `1.5`), `true` / `false`, `null` as an empty value; a nested
//! object or array is a row error ([`json_scalars`](parts::json_scalars)).

mod csv;
mod drive;
mod file;
mod input;
mod json;
mod plan;
mod scan;

#[cfg(test)]
mod tests;

use std::borrow::Cow;
use std::fmt;
use std::io;

pub use self::drive::process;
pub use self::file::{AtomicFile, FileError};
pub use self::plan::run_plan;

/// The pipeline's building blocks, for a caller that drives [`process`]
/// itself: reading the column names first ([`Input`](parts::Input)),
/// several passes over one input ([`PlanRows`](parts::PlanRows) with a
/// [`Pass`](parts::Pass)), or a [`RowTransform`] that parses and writes
/// records on its own ([`json_scalars`](parts::json_scalars),
/// [`write_csv_record`](parts::write_csv_record), ...).
///
/// Most callers need only [`run_plan`].
///
/// ```
/// use desensitize::policy::{Plan, Policy};
/// use desensitize::stream::parts::{Input, Pass, PlanRows};
/// use desensitize::stream::{Format, Options, process};
///
/// let policy = Policy::from_json(r#"{"columns": {
///     "phone": {"kind": "mobile_phone", "action": "mask"}}}"#)?;
/// let input = Input::new(&b"phone\n13800138000\n"[..], Format::Csv, &Options::new(1))?;
/// let plan = Plan::from_policy(&policy, input.names().unwrap_or_default(), None)?;
///
/// let mut output = Vec::new();
/// let mut rows = 0;
/// let apply = PlanRows::new(&plan, Format::Csv, Pass::Write);
/// process(input.into_chunker(), &apply, &mut output, &Options::new(1), |done| rows += done.rows)?;
/// assert_eq!(output, b"138****8000\n");
/// assert_eq!(rows, 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub mod parts {
    pub use super::csv::{Record, write_csv_record};
    pub use super::input::Input;
    pub use super::json::{JsonScalars, json_scalars, write_json_object};
    pub use super::plan::{Pass, PlanRows, PlanTally, write_header};
    pub use super::scan::{Chunk, Chunker};
}

/// The input format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// CSV (RFC 4180, strict quoting) with a header row, `\n` or `\r\n` line ends.
    Csv,
    /// One JSON object per line; blank lines are skipped.
    JsonLines,
}

/// How the pipeline runs.
#[derive(Clone, Debug)]
pub struct Options {
    /// Worker threads (at least 1).
    pub threads: usize,
    /// Chunks alive at once (read, being processed, or waiting to be
    /// written); 0 picks `2 * threads + 2` (one being processed and one
    /// queued per worker, one being read, one being written). Peak memory
    /// is about `in_flight * (block + its output)`: 16 threads with 1 MiB
    /// blocks hold some 34 chunks, well under 100 MiB, for any input size.
    pub in_flight: usize,
    /// Bytes of input per chunk (cut at a record boundary); [`BLOCK`] by default.
    pub block: usize,
    /// The longest record accepted; [`MAX_RECORD`] by default.
    pub max_record: usize,
}

impl Options {
    /// `threads` workers, the default block size and number of chunks in flight.
    pub fn new(threads: usize) -> Options {
        Options { threads: threads.max(1), in_flight: 0, block: BLOCK, max_record: MAX_RECORD }
    }

    /// The same with `block` bytes per chunk.
    pub fn with_block(mut self, block: usize) -> Options {
        self.block = block.max(1);
        self
    }

    fn in_flight(&self) -> usize {
        if self.in_flight == 0 { 2 * self.threads.max(1) + 2 } else { self.in_flight.max(1) }
    }
}

/// The default block size: large enough that per-chunk costs (a channel
/// message, a tally) vanish against thousands of rows, small enough that
/// `2 * threads + 2` of them stay modest.
pub const BLOCK: usize = 1 << 20;

/// The longest record accepted (a runaway quote stops here).
pub const MAX_RECORD: usize = 64 << 20;

/// One input record, as a worker hands it to the transform.
pub enum Row<'a> {
    /// A CSV record's fields, unescaped.
    Csv(&'a csv::Record),
    /// A JSON Lines line (not blank; without its `\n`, a leading byte order
    /// mark removed; may end with `\r`), for [`json_scalars`](parts::json_scalars).
    JsonLine(&'a [u8]),
}

/// A row the transform cannot process: which column and why, never the value.
#[derive(Debug)]
pub struct TransformError {
    /// 0-based input column, when one is at fault.
    pub column: Option<usize>,
    /// Why (never holds the value).
    pub reason: Cow<'static, str>,
}

/// The per-row work, shared by all workers (`Sync`), with per-worker
/// scratch state and per-chunk tallies merged in input order.
///
/// [`PlanRows`](parts::PlanRows) is the one for a [`Plan`](crate::policy::Plan); a caller
/// with other work (one column through another library call, say)
/// implements its own.
pub trait RowTransform: Sync {
    /// Per-worker state (buffers, caches), made once on each worker thread.
    type Scratch;
    /// Per-chunk results (counters, rejects): made fresh for each chunk and
    /// handed to the caller, in input order, with the chunk's output.
    type Tally: Send;

    /// A worker's fresh scratch state.
    fn scratch(&self) -> Self::Scratch;

    /// A chunk's fresh tally.
    fn tally(&self) -> Self::Tally;

    /// Transform record `row` (global, 1-based) and append its output to
    /// `out` (the chunk's output buffer; whatever is appended before an
    /// error is taken back). An error stops the pipeline at this row.
    fn row(
        &self,
        scratch: &mut Self::Scratch,
        tally: &mut Self::Tally,
        row: u64,
        record: Row<'_>,
        out: &mut Vec<u8>,
    ) -> Result<(), TransformError>;
}

/// A chunk written, handed to the caller in input order.
pub struct Done<T> {
    /// Its record count (up to the failing row when the chunk failed).
    pub rows: u64,
    /// Input bytes it covers (for a progress bar).
    pub bytes: u64,
    /// What the transform tallied over the chunk.
    pub tally: T,
}

/// What a successful run went through.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    /// Records read.
    pub rows: u64,
    /// Chunks processed.
    pub chunks: u64,
    /// Input bytes in chunks (the header and a byte order mark excluded).
    pub bytes_in: u64,
    /// Output bytes written.
    pub bytes_out: u64,
}

/// Why the pipeline stopped. Never holds input bytes.
#[derive(Debug)]
#[non_exhaustive]
pub enum StreamError {
    /// The input could not be read.
    Read(io::ErrorKind),
    /// The output could not be written.
    Write(io::ErrorKind),
    /// Row `row` (0: the CSV header) is refused: malformed quoting, or the
    /// transform's error.
    Row {
        /// The row (1-based; 0 is the CSV header).
        row: u64,
        /// The 0-based input column at fault, when there is one.
        column: Option<usize>,
        /// Why (never holds the value).
        reason: Cow<'static, str>,
    },
    /// Row `row` is longer than the longest record allowed.
    TooLong {
        /// The row (0: the CSV header).
        row: u64,
    },
    /// A CSV input without even a header row.
    Empty,
    /// The CSV header row is not UTF-8.
    HeaderNotUtf8,
    /// The input's columns are not those the plan was compiled for ([`run_plan`]).
    HeaderMismatch,
    /// A worker thread stopped without its result (it panicked).
    WorkerLost,
}

impl fmt::Display for StreamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StreamError::Read(k) => write!(f, "cannot read the input: {k}"),
            StreamError::Write(k) => write!(f, "cannot write the output: {k}"),
            StreamError::Row { row: 0, column: Some(c), reason } => {
                write!(f, "the header row, column {}: {reason}", c + 1)
            }
            StreamError::Row { row: 0, column: None, reason } => write!(f, "the header row: {reason}"),
            StreamError::Row { row, column: Some(c), reason } => {
                write!(f, "row {row}, column {}: {reason}", c + 1)
            }
            StreamError::Row { row, column: None, reason } => write!(f, "row {row}: {reason}"),
            StreamError::TooLong { row } => {
                write!(f, "row {row} is longer than the longest record allowed (unbalanced quote?)")
            }
            StreamError::Empty => f.write_str("the input is empty: a CSV input needs a header row"),
            StreamError::HeaderNotUtf8 => f.write_str("the input's header row is not valid UTF-8"),
            StreamError::HeaderMismatch => {
                f.write_str("the input's columns are not those the plan was compiled for")
            }
            StreamError::WorkerLost => f.write_str("a worker thread failed"),
        }
    }
}

impl std::error::Error for StreamError {}
