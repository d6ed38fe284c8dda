//! The parallel pipeline: chunks of records read in order, processed by
//! the plan on the rayon pool (parsed, protected, serialized), and written
//! back in input order.

use std::borrow::Cow;
use std::collections::BTreeMap;

use desensitize::policy::{Cells, ClassCounts, Plan, Report, RowError, Summary, Unnamed, Verdict};
use indicatif::ProgressBar;

use super::Format;
use super::input::{BOM, ChunkIn, CsvFields, JsonFields, Source, parse_json_line};
use super::output::Sink;
use crate::common::{CliError, CliResult};

/// The plan and the formats around it.
pub(super) struct Engine {
    pub plan: Plan,
    pub in_format: Format,
    pub out_format: Format,
    /// CSV output: the csv crate's settings.
    pub csv_out: csv::WriterBuilder,
}

/// Which pass over the input.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Pass {
    /// k-anonymity pass 1: quasi-identifiers only, counted.
    Count,
    /// The real thing.
    Write,
}

/// What processing one chunk produced.
#[derive(Default)]
pub(super) struct ChunkOut {
    /// Input bytes of the chunk (for the progress bar).
    pub bytes: u64,
    /// Records of the chunk (non-blank lines for JSON Lines).
    pub rows: u64,
    pub data: Vec<u8>,
    /// Counts and rejects, rows local to the chunk until the driver makes them global.
    pub report: Report,
    /// The row that stops the run (local row number).
    pub failure: Option<RowError>,
    pub classes: ClassCounts,
}

impl Engine {
    pub fn new(plan: Plan, in_format: Format, out_format: Format) -> Engine {
        let mut csv_out = csv::WriterBuilder::new();
        csv_out.buffer_capacity(64 << 10);
        Engine { plan, in_format, out_format, csv_out }
    }

    /// Process one chunk of records and serialize the rows it keeps.
    /// `buf` is an output buffer to reuse.
    pub fn chunk(&self, input: &ChunkIn, pass: Pass, mut buf: Vec<u8>) -> ChunkOut {
        let mut out = ChunkOut::default();
        buf.clear();
        if pass == Pass::Write {
            buf.reserve(usize::try_from(input.bytes).unwrap_or(0).saturating_mul(2));
        }
        let mut sink = match self.out_format {
            Format::Csv if !self.plan.output_names().is_empty() => {
                Sink::Csv(Box::new(self.csv_out.from_writer(buf)))
            }
            _ => Sink::Raw(buf),
        };
        let mut cells = Cells::new();
        let mut record = csv::ByteRecord::new();
        match self.in_format {
            Format::Csv => {
                for input_record in &input.records[..input.rows] {
                    out.rows += 1;
                    if let Err(f) =
                        self.row(&CsvFields(input_record), pass, &mut out, &mut cells, &mut record, &mut sink)
                    {
                        out.failure = Some(f);
                        break;
                    }
                }
            }
            Format::Jsonl => {
                let columns = self.plan.input_names().len();
                let mut vals: Vec<Cow<'_, str>> = Vec::with_capacity(columns);
                for line in input.lines.split(|&b| b == b'\n') {
                    let line = line.strip_prefix(BOM).unwrap_or(line).trim_ascii();
                    if line.is_empty() {
                        continue;
                    }
                    out.rows += 1;
                    let row = out.rows;
                    let fail = |msg: String| RowError { row, column: None, reason: msg.into() };
                    let result = parse_json_line(line).map_err(fail).and_then(|pairs| {
                        vals.clear();
                        vals.resize(columns, Cow::Borrowed(""));
                        for (k, v) in pairs {
                            match self.plan.input_index(&k) {
                                Some(i) => vals[i] = v,
                                None if self.plan.rules().unnamed == Unnamed::Drop => {}
                                None => {
                                    return Err(fail(format!(
                                        "column `{k}` is not in the first record (JSON Lines columns are set by \
                                         the first record)"
                                    )));
                                }
                            }
                        }
                        self.row(&JsonFields(&vals), pass, &mut out, &mut cells, &mut record, &mut sink)
                    });
                    if let Err(f) = result {
                        out.failure = Some(f);
                        break;
                    }
                }
            }
        }
        match sink.finish() {
            Ok(data) => out.data = data,
            Err(reason) => {
                out.failure.get_or_insert(RowError { row: out.rows, column: None, reason });
            }
        }
        out
    }

    fn row(
        &self,
        fields: &impl desensitize::policy::Fields,
        pass: Pass,
        out: &mut ChunkOut,
        cells: &mut Cells,
        record: &mut csv::ByteRecord,
        sink: &mut Sink,
    ) -> Result<(), RowError> {
        let row = out.rows;
        if pass == Pass::Count {
            return self.plan.count(row, fields, cells, &mut out.classes);
        }
        if self.plan.apply(row, fields, cells, &mut out.report)? != Verdict::Write {
            return Ok(());
        }
        let written = match sink {
            Sink::Csv(w) => {
                // Through a `ByteRecord`: the csv crate's fast path.
                record.clear();
                for c in cells.iter() {
                    record.push_field(c);
                }
                w.write_byte_record(record).map_err(|_| "cannot serialize CSV")
            }
            Sink::Raw(data) if self.out_format == Format::Jsonl => {
                let json = super::output::JsonRow { names: self.plan.output_names(), cells };
                let written = serde_json::to_writer(&mut *data, &json).map_err(|_| "cannot serialize JSON");
                data.push(b'\n');
                written
            }
            Sink::Raw(data) => {
                data.push(b'\n');
                Ok(())
            }
        };
        written.map_err(|msg| RowError { row, column: None, reason: msg.into() })
    }
}

/// Runs the read / process / write pipeline over one pass of the input.
///
/// A coordinator on one pool thread reads chunks and spawns one task per
/// chunk (at most `in_flight` at a time), writes the results in input order
/// as they complete, and runs tasks itself while it would otherwise wait. No
/// barrier between batches: every thread stays busy to the end. With one
/// thread everything runs on it, in turn.
pub(super) struct Driver<'a> {
    pub engine: &'a Engine,
    pub pool: &'a rayon::ThreadPool,
    pub chunk_rows: usize,
    pub in_flight: usize,
    pub progress: Option<&'a ProgressBar>,
}

/// A processed chunk on its way back to the coordinator: sequence number,
/// result, and the input buffer to reuse.
type Done = (u64, ChunkOut, ChunkIn);

impl Driver<'_> {
    pub fn drive(
        &self,
        source: &mut Source,
        pass: Pass,
        stats: &mut Summary,
        classes: &mut ClassCounts,
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
    fn finish(&self, o: &mut ChunkOut, stats: &mut Summary, classes: &mut ClassCounts) -> CliResult {
        let base = stats.rows;
        if let Some(mut f) = o.failure.take() {
            f.row += base;
            return Err(CliError::failed(self.engine.plan.describe(&f)));
        }
        if let Some(pb) = self.progress {
            pb.inc(o.bytes);
        }
        // Rejects numbered in the whole input, for the consumer of the chunk.
        for r in &mut o.report.rejects {
            r.row += base;
        }
        // Rows of the chunk: counted by the plan in pass 2, by the reader in pass 1.
        o.report.summary.rows = o.rows;
        stats.merge(&o.report.summary);
        classes.merge(std::mem::take(&mut o.classes));
        Ok(())
    }
}
