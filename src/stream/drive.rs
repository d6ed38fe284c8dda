//! The three stages on scoped threads: the reader cuts chunks, workers
//! transform them, the caller's thread writes them in input order.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::panic::{self, AssertUnwindSafe};
use std::sync::mpsc::{Receiver, Sender, SyncSender, channel, sync_channel};
use std::sync::{Arc, Mutex};
use std::thread;

use zeroize::Zeroize;

use crate::crypto::random::ForkChecked;

use super::csv::{CsvRecords, Record};
use super::scan::{BOM, Chunker, chunk_error};
use super::{Done, Format, Options, Row, RowTransform, StreamError, Totals};

/// An input buffer and an output buffer: the unit that circulates, so that
/// at most `in_flight` chunks exist.
#[derive(Default)]
struct Slot {
    input: Vec<u8>,
    output: Vec<u8>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.input.zeroize();
        self.output.zeroize();
    }
}

/// A chunk on its way to a worker.
struct Job {
    seq: u64,
    first_row: u64,
    /// Records in the chunk, as the scan counted them.
    rows: u64,
    len: usize,
    truncated: bool,
    slot: Slot,
}

/// What comes back to the writer, by sequence number.
enum Finished<T> {
    Chunk {
        slot: Slot,
        done: Done<T>,
        error: Option<StreamError>,
    },
    /// The reader stopped here (a read error, an overlong record).
    Failed(StreamError),
    /// The input ended: there is no chunk with this sequence number or later.
    End,
}

/// Run `transform` over every record of `input` with `opts.threads`
/// workers, writing the outputs to `out` in input order and handing each
/// chunk's tally to `on_chunk` in input order. Stops at the first error in
/// input order (the rows before it are written; a failing chunk's tally
/// covers the rows before the failing one).
pub fn process<R, W, T>(
    input: Chunker<R>,
    transform: &T,
    out: &mut W,
    opts: &Options,
    mut on_chunk: impl FnMut(Done<T::Tally>),
) -> Result<Totals, StreamError>
where
    R: Read + Send,
    W: Write + ?Sized,
    T: RowTransform,
{
    let in_flight = opts.in_flight();
    let (free_tx, free_rx) = sync_channel::<Slot>(in_flight);
    for _ in 0..in_flight {
        free_tx.send(Slot::default()).expect("the receiver is alive");
    }
    let (job_tx, job_rx) = sync_channel::<Job>(in_flight);
    let job_rx = Arc::new(Mutex::new(job_rx));
    let (done_tx, done_rx) = channel::<(u64, Finished<T::Tally>)>();
    let format = input.format();
    thread::scope(|s| {
        let reader_done = done_tx.clone();
        // Named, for profiles (`perf report --comm dz-work`); like
        // `Scope::spawn`, a thread the system cannot start is a panic.
        let spawn = |name: &str| thread::Builder::new().name(name.to_owned());
        spawn("dz-read")
            .spawn_scoped(s, move || read_chunks(input, free_rx, job_tx, reader_done))
            .expect("cannot start the reader thread");
        for _ in 0..opts.threads.max(1) {
            let jobs = Arc::clone(&job_rx);
            let done = done_tx.clone();
            spawn("dz-work")
                .spawn_scoped(s, move || work(transform, format, &jobs, &done))
                .expect("cannot start a worker thread");
        }
        // Only the workers hold the job receiver: when they are gone, the
        // reader's next send fails and it stops.
        drop(job_rx);
        drop(done_tx);
        write_in_order(done_rx, free_tx, out, &mut on_chunk)
    })
}

/// The reader: cut chunks into free slots until the input ends.
fn read_chunks<R: Read, T>(
    mut input: Chunker<R>,
    free: Receiver<Slot>,
    jobs: SyncSender<Job>,
    done: Sender<(u64, Finished<T>)>,
) {
    let mut seq = 0;
    // No free slot: the writer stopped.
    while let Ok(mut slot) = free.recv() {
        let first_row = input.next_row();
        match input.next_chunk(&mut slot.input) {
            Ok(Some(cut)) => {
                let job =
                    Job { seq, first_row, rows: cut.rows, len: cut.len, truncated: cut.truncated, slot };
                if jobs.send(job).is_err() {
                    return;
                }
            }
            Ok(None) => {
                let _ = done.send((seq, Finished::End));
                return;
            }
            Err(e) => {
                let _ = done.send((seq, Finished::Failed(e)));
                return;
            }
        }
        seq += 1;
    }
}

/// A worker: transform chunks until there are no more. A panic in the
/// transform is caught and reported at its chunk, so that the writer stops
/// there instead of waiting for it forever.
fn work<T: RowTransform>(
    transform: &T,
    format: Format,
    jobs: &Mutex<Receiver<Job>>,
    done: &Sender<(u64, Finished<T::Tally>)>,
) {
    let mut scratch = transform.scratch();
    let mut record = Record::new();
    loop {
        let job = match jobs.lock() {
            Ok(rx) => rx.recv(),
            Err(_) => return,
        };
        let Ok(job) = job else { return };
        let seq = job.seq;
        let chunk = || transform_chunk(transform, format, &mut scratch, &mut record, job);
        let finished = match panic::catch_unwind(AssertUnwindSafe(chunk)) {
            Ok(finished) => finished,
            Err(_) => {
                let _ = done.send((seq, Finished::Failed(StreamError::WorkerLost)));
                return;
            }
        };
        if done.send((seq, finished)).is_err() {
            return;
        }
    }
}

/// Parse one chunk's records, transform each into the chunk's output.
fn transform_chunk<T: RowTransform>(
    transform: &T,
    format: Format,
    scratch: &mut T::Scratch,
    record: &mut Record,
    mut job: Job,
) -> Finished<T::Tally> {
    let mut tally = transform.tally();
    // One fork check per chunk, not one per sealed cell.
    let _checked = ForkChecked::enter();
    let data = &job.slot.input[..job.len];
    let out = &mut job.slot.output;
    out.clear();
    out.reserve(job.len + job.len / 2);
    let mut row = job.first_row;
    let mut error = None;
    let mut emit = |record: Row<'_>, row: u64, out: &mut Vec<u8>| {
        let mark = out.len();
        transform.row(scratch, &mut tally, row, record, out).map_err(|e| {
            out.truncate(mark);
            StreamError::Row { row, column: e.column, reason: e.reason }
        })
    };
    match format {
        Format::Csv => {
            let mut records = CsvRecords::new(data);
            loop {
                match records.next_into(record) {
                    Ok(true) => {}
                    Ok(false) => break,
                    Err(m) => {
                        error = Some(chunk_error(row, m, job.truncated));
                        break;
                    }
                }
                if let Err(e) = emit(Row::Csv(record), row, out) {
                    error = Some(e);
                    break;
                }
                row += 1;
            }
            if job.truncated && error.is_none() {
                error = Some(StreamError::TooLong { row: job.first_row });
            }
        }
        Format::JsonLines => {
            for line in lines(data) {
                if super::scan::is_blank_json_line(line) {
                    continue;
                }
                let line = line.strip_prefix(BOM).unwrap_or(line);
                if let Err(e) = emit(Row::JsonLine(line), row, out) {
                    error = Some(e);
                    break;
                }
                row += 1;
            }
        }
    }
    // The scan and the parser agree on where records end (see `scan`).
    debug_assert!(error.is_some() || job.truncated || row - job.first_row == job.rows);
    let done = Done { rows: row - job.first_row, bytes: job.len as u64, tally };
    Finished::Chunk { slot: job.slot, done, error }
}

/// The caller's side: write finished chunks in sequence order, recycle
/// their slots, stop at the first error.
fn write_in_order<W: Write + ?Sized, T>(
    done: Receiver<(u64, Finished<T>)>,
    free: SyncSender<Slot>,
    out: &mut W,
    on_chunk: &mut impl FnMut(Done<T>),
) -> Result<Totals, StreamError> {
    let mut waiting = BTreeMap::new();
    let mut next = 0u64;
    let mut totals = Totals::default();
    while let Ok((seq, finished)) = done.recv() {
        waiting.insert(seq, finished);
        while let Some(finished) = waiting.remove(&next) {
            next += 1;
            let (slot, chunk, error) = match finished {
                Finished::Failed(e) => return Err(e),
                Finished::End => return Ok(totals),
                Finished::Chunk { slot, done, error } => (slot, done, error),
            };
            out.write_all(&slot.output).map_err(|e| StreamError::Write(e.kind()))?;
            totals.rows += chunk.rows;
            totals.chunks += 1;
            totals.bytes_in += chunk.bytes;
            totals.bytes_out += slot.output.len() as u64;
            on_chunk(chunk);
            if let Some(e) = error {
                return Err(e);
            }
            // The reader may have stopped: then the slot is just dropped.
            let _ = free.send(slot);
        }
    }
    // Every sender is gone before the end: a chunk was lost with its
    // worker (or the reader), which panicked.
    Err(StreamError::WorkerLost)
}

/// The lines of `data`, without their `\n` (the last may lack one).
fn lines(data: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut start = 0;
    let mut ends = memchr::memchr_iter(b'\n', data);
    std::iter::from_fn(move || {
        if start > data.len() {
            return None;
        }
        let end = ends.next().unwrap_or(data.len());
        let line = &data[start..end];
        start = end + 1;
        Some(line)
    })
}
