//! Parallel input/output for `run`: chunked, order-preserving, bounded.
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
//! own throughput is measured by `cli/benches/pipeline.rs`.
//!
//! Memory is bounded: `in_flight` buffer pairs (input block + output) circulate
//! between the three stages; the reader waits for a free pair, so at most
//! `in_flight` chunks exist, whatever the input's size. A record longer than
//! a block grows its buffer, up to `max_record`.
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
//! are ambiguous, so nothing after it is reinterpreted. See [`csv`].

mod csv;
mod drive;
mod scan;

#[cfg(test)]
mod tests;

use std::borrow::Cow;
use std::fmt;
use std::io;

pub use self::csv::{Record, write_csv_record};
// Used by `run`; the pipeline bench compiles this module without it.
#[allow(unused_imports)]
pub use self::csv::write_csv_values;
pub use self::drive::process;
pub use self::scan::Chunker;

/// The input format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// CSV (RFC 4180, strict quoting), `\n` or `\r\n` line ends.
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
}

impl Options {
    /// `threads` workers and the default number of chunks in flight.
    pub fn new(threads: usize) -> Options {
        Options { threads: threads.max(1), in_flight: 0 }
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
    Csv(&'a Record),
    /// A JSON Lines line (not blank; without its `\n`, a leading byte order
    /// mark removed; may end with `\r`), for the caller's JSON parser.
    JsonLine(&'a [u8]),
}

/// A row the transform cannot process: which column and why, never the value.
#[derive(Debug)]
pub struct RowError {
    /// 0-based input column, when one is at fault.
    pub column: Option<usize>,
    pub reason: Cow<'static, str>,
}

/// The per-row work, shared by all workers (`Sync`), with per-worker
/// scratch state and per-chunk tallies merged in input order.
pub trait RowTransform: Sync {
    /// Per-worker state (buffers, caches), made once on each worker thread.
    type Scratch;
    /// Per-chunk results (counters, rejects): made fresh for each chunk and
    /// handed to the caller, in input order, with the chunk's output.
    type Tally: Send;

    fn scratch(&self) -> Self::Scratch;

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
    ) -> Result<(), RowError>;
}

/// A chunk written, handed to the caller in input order.
pub struct Done<T> {
    /// Its record count (up to the failing row when the chunk failed).
    pub rows: u64,
    /// Input bytes it covers (for a progress bar).
    pub bytes: u64,
    pub tally: T,
}

/// What a successful run went through.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Totals {
    pub rows: u64,
    pub chunks: u64,
    /// Input bytes in chunks (the header and a byte order mark excluded),
    /// and output bytes written.
    pub bytes_in: u64,
    pub bytes_out: u64,
}

/// Why the pipeline stopped. Never holds input bytes.
#[derive(Debug)]
pub enum PipelineError {
    /// The input could not be read.
    Read(io::ErrorKind),
    /// The output could not be written.
    Write(io::ErrorKind),
    /// Row `row` (0: the CSV header) is refused: malformed quoting, or the
    /// transform's error.
    Row { row: u64, column: Option<usize>, reason: Cow<'static, str> },
    /// Row `row` is longer than the longest record allowed.
    TooLong { row: u64 },
    /// A worker thread stopped without its result (it panicked).
    WorkerLost,
}

impl fmt::Display for PipelineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PipelineError::Read(k) => write!(f, "cannot read the input: {k}"),
            PipelineError::Write(k) => write!(f, "cannot write the output: {k}"),
            PipelineError::Row { row: 0, column: Some(c), reason } => {
                write!(f, "the header row, column {}: {reason}", c + 1)
            }
            PipelineError::Row { row: 0, column: None, reason } => write!(f, "the header row: {reason}"),
            PipelineError::Row { row, column: Some(c), reason } => {
                write!(f, "row {row}, column {}: {reason}", c + 1)
            }
            PipelineError::Row { row, column: None, reason } => write!(f, "row {row}: {reason}"),
            PipelineError::TooLong { row } => {
                write!(f, "row {row} is longer than the longest record allowed (unbalanced quote?)")
            }
            PipelineError::WorkerLost => f.write_str("a worker thread failed"),
        }
    }
}

impl std::error::Error for PipelineError {}
