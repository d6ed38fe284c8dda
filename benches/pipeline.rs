//! The pipeline's serial stages (boundary scan, ordered write) on their
//! own, in MB/s, and its scaling with a pass-through and a CPU-heavy
//! transform at 1 and 2 worker threads.
//!
//! `cargo bench --features stream --bench pipeline` (set
//! `PIPELINE_BENCH_CSV=FILE` to also time the scan of a real file, e.g.
//! `desensitize fake` output). The scan's rate per second of CPU time is
//! printed first: on a shared machine the wall-clock rates are noisy.

use std::hint::black_box;
use std::io::{Cursor, Write};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

use desensitize::stream::parts::{Chunker, Record, write_csv_record};
use desensitize::stream::{self as pipeline, Format, Options, Row, RowTransform, TransformError, process};

/// About `bytes` of CSV shaped like `desensitize fake` output: numbers,
/// CJK names, an address quoted for its comma, a coordinate.
fn sample_csv(bytes: usize) -> Vec<u8> {
    let mut out = b"id,name,id_number,mobile,address,lat,lon\n".to_vec();
    let mut i = 0u64;
    while out.len() < bytes {
        i += 1;
        let line = format!(
            "{i},张{}三,1101051949{:08},138{:08},\"北京市朝阳区, 建国路 {} 号\",39.{:04},116.{:04}\n",
            i % 97,
            i % 100_000_000,
            (i * 7919) % 100_000_000,
            i % 500,
            i % 10_000,
            (i * 31) % 10_000
        );
        out.extend_from_slice(line.as_bytes());
    }
    out
}

/// Writes every record back unchanged (parsed and re-serialized), with
/// `work` rounds of busy arithmetic per row to stand in for a policy.
struct Dummy {
    work: u32,
}

impl RowTransform for Dummy {
    type Scratch = ();
    type Tally = u64;

    fn scratch(&self) {}

    fn tally(&self) -> u64 {
        0
    }

    fn row(
        &self,
        _: &mut (),
        tally: &mut u64,
        row: u64,
        record: Row<'_>,
        out: &mut Vec<u8>,
    ) -> Result<(), TransformError> {
        let mut h = row;
        for _ in 0..self.work {
            h = black_box(h.wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(17) ^ 0xA5A5);
        }
        *tally = tally.wrapping_add(h);
        if let Row::Csv(rec) = record {
            write_csv_record(out, rec.iter());
        }
        Ok(())
    }
}

/// `data` (no quotes in it) with every field quoted.
fn quote_every_field(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() * 5 / 4);
    for line in data.split_inclusive(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\n").unwrap_or(line);
        for (i, f) in line.split(|&b| b == b',').enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.push(b'"');
            out.extend_from_slice(f);
            out.push(b'"');
        }
        out.push(b'\n');
    }
    out
}

fn chunker(data: &[u8]) -> Chunker<Cursor<&[u8]>> {
    let mut c = Chunker::new(Cursor::new(data), Format::Csv, pipeline::BLOCK, pipeline::MAX_RECORD);
    c.csv_header(&mut Record::new()).unwrap();
    c
}

/// This thread's CPU time in nanoseconds (Linux; 0 elsewhere).
fn thread_cpu_ns() -> u64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// MB per second of this thread's CPU time for `f` over `bytes` (on a
/// shared machine, wall-clock rates depend on the neighbours; CPU-time
/// rates of a single-threaded stage do not).
fn cpu_rate(name: &str, bytes: usize, mut f: impl FnMut()) {
    f();
    let start = thread_cpu_ns();
    let rounds = 5;
    for _ in 0..rounds {
        f();
    }
    let ns = (thread_cpu_ns() - start).max(1);
    eprintln!("{name}: {:.0} MB/s of CPU time", (rounds * bytes) as f64 * 1e3 / ns as f64);
}

/// The serial boundary scan alone: the next chunk's record count (`None`
/// at the end or on an error).
fn next_chunk(chunker: &mut Chunker<Cursor<&[u8]>>, buf: &mut Vec<u8>) -> Option<u64> {
    chunker.next_chunk(buf).ok().flatten().map(|cut| cut.rows)
}

fn scan_all(data: &[u8]) -> u64 {
    let mut chunker = chunker(data);
    let mut buf = Vec::new();
    let mut rows = 0;
    while let Some(cut) = next_chunk(&mut chunker, &mut buf) {
        rows += cut;
    }
    rows
}

/// What the ordered writer does with finished chunks: plain writes.
fn write_file(path: &std::path::Path, data: &[u8]) {
    let mut f = std::fs::File::create(path).unwrap();
    for block in data.chunks(pipeline::BLOCK) {
        f.write_all(block).unwrap();
    }
    f.flush().unwrap();
}

fn serial_stages(c: &mut Criterion) {
    let data = sample_csv(64 << 20);
    let plain = sample_csv(64 << 20).into_iter().filter(|&b| b != b'"').collect::<Vec<u8>>();
    let quoted = quote_every_field(&plain);
    cpu_rate("serial scan (CPU time), fake-like rows", data.len(), || {
        black_box(scan_all(&data));
    });
    cpu_rate("serial scan (CPU time), no quotes", plain.len(), || {
        black_box(scan_all(&plain));
    });
    cpu_rate("serial scan (CPU time), every field quoted", quoted.len(), || {
        black_box(scan_all(&quoted));
    });
    // `desensitize fake` output, for the rows of scripts/bench/bench-cli.sh.
    if let Some(file) = std::env::var_os("PIPELINE_BENCH_CSV") {
        let real = std::fs::read(file).unwrap();
        cpu_rate("serial scan (CPU time), PIPELINE_BENCH_CSV", real.len(), || {
            black_box(scan_all(&real));
        });
    }
    let path = std::env::temp_dir().join(format!("desensitize-bench-{}.out", std::process::id()));
    cpu_rate("serial ordered write to a file (CPU time)", data.len(), || write_file(&path, &data));
    let mut g = c.benchmark_group("serial");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(data.len() as u64));
    // Boundary scan: read blocks from memory, cut at the last record end, count rows.
    g.bench_function("scan", |b| b.iter(|| black_box(scan_all(&data))));
    // Ordered write: chunk-sized plain writes to a file.
    g.bench_function("write", |b| b.iter(|| write_file(&path, &data)));
    let _ = std::fs::remove_file(&path);
    g.finish();
}

/// Adds the CPU time its thread spent between its making and its drop.
struct ThreadCpu<'a>(u64, &'a AtomicU64);

impl<'a> ThreadCpu<'a> {
    fn start(total: &'a AtomicU64) -> ThreadCpu<'a> {
        ThreadCpu(thread_cpu_ns(), total)
    }
}

impl Drop for ThreadCpu<'_> {
    fn drop(&mut self) {
        self.1.fetch_add(thread_cpu_ns() - self.0, Ordering::Relaxed);
    }
}

/// The input, timing the reader thread (the boundary scan's thread) from
/// its first read to the end of the input.
struct TimedInput<'a> {
    data: Cursor<&'a [u8]>,
    clock: Option<ThreadCpu<'a>>,
    total: &'a AtomicU64,
    /// Set once the header is read (on the caller's thread).
    armed: &'a AtomicBool,
}

impl std::io::Read for TimedInput<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.clock.is_none() && self.armed.load(Ordering::Relaxed) {
            self.clock = Some(ThreadCpu::start(self.total));
        }
        let n = self.data.read(buf)?;
        if n == 0 {
            self.clock = None;
        }
        Ok(n)
    }
}

/// `Dummy`, with each worker's CPU time added up.
struct TimedDummy<'a> {
    inner: Dummy,
    workers: &'a AtomicU64,
}

impl<'a> RowTransform for TimedDummy<'a> {
    type Scratch = ThreadCpu<'a>;
    type Tally = u64;

    fn scratch(&self) -> ThreadCpu<'a> {
        ThreadCpu::start(self.workers)
    }

    fn tally(&self) -> u64 {
        0
    }

    fn row(
        &self,
        _: &mut ThreadCpu<'a>,
        tally: &mut u64,
        row: u64,
        record: Row<'_>,
        out: &mut Vec<u8>,
    ) -> Result<(), TransformError> {
        self.inner.row(&mut (), tally, row, record, out)
    }
}

/// Where the CPU time of a whole pipeline run goes: reader (scan), workers,
/// writer (the caller's thread). The serial stages run on their own
/// threads, so the speed-up ceiling is total CPU / max(reader, writer),
/// whatever the machine's load.
fn cpu_split(name: &str, data: &[u8], work: u32, threads: usize) {
    let (reader, workers, writer) = (AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0));
    let armed = AtomicBool::new(false);
    let mut input = TimedInput { data: Cursor::new(data), clock: None, total: &reader, armed: &armed };
    let mut header = Record::new();
    let chunker = {
        let mut c = Chunker::new(&mut input, Format::Csv, pipeline::BLOCK, pipeline::MAX_RECORD);
        c.csv_header(&mut header).unwrap();
        c
    };
    armed.store(true, Ordering::Relaxed);
    let path = std::env::temp_dir().join(format!("desensitize-bench-split-{}.out", std::process::id()));
    let mut out = std::fs::File::create(&path).unwrap();
    let transform = TimedDummy { inner: Dummy { work }, workers: &workers };
    {
        let _clock = ThreadCpu::start(&writer);
        process(chunker, &transform, &mut out, &Options::new(threads), |_| {}).unwrap();
    }
    let _ = std::fs::remove_file(&path);
    drop(input);
    let load = |a: &AtomicU64| a.load(Ordering::Relaxed) as f64;
    let (r, w, x) = (load(&reader), load(&workers), load(&writer));
    let mb = data.len() as f64 / 1e6;
    eprintln!(
        "{name}, {threads} worker(s): CPU s reader {:.3} / workers {:.3} / writer {:.3}; per-core MB/s: reader {:.0}, \
         workers {:.0}, writer {:.0}; speed-up ceiling {:.1}x one worker",
        r / 1e9,
        w / 1e9,
        x / 1e9,
        mb / (r / 1e9),
        mb / (w / 1e9),
        mb / (x / 1e9),
        w / r.max(x),
    );
}

fn scaling(c: &mut Criterion) {
    let data = sample_csv(32 << 20);
    for threads in [1, 2] {
        cpu_split("passthrough", &data, 0, threads);
        cpu_split("heavy", &data, 2000, threads);
    }
    let mut g = c.benchmark_group("pipeline");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(data.len() as u64));
    for (name, work) in [("passthrough", 0), ("heavy", 2000)] {
        for threads in [1, 2] {
            g.bench_function(format!("{name}/{threads}"), |b| {
                b.iter(|| {
                    let totals = process(
                        chunker(&data),
                        &Dummy { work },
                        &mut std::io::sink(),
                        &Options::new(threads),
                        |_| {},
                    )
                    .unwrap();
                    black_box(totals)
                })
            });
        }
    }
    g.finish();
}

/// `rows` fake-like CSV rows made on the fly (the input never sits in memory).
struct Generated {
    rows: u64,
    next: u64,
    line: Vec<u8>,
    at: usize,
}

impl std::io::Read for Generated {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.at == self.line.len() {
            if self.next == self.rows {
                return Ok(0);
            }
            self.next += 1;
            let i = self.next;
            self.line.clear();
            writeln!(
                self.line,
                "{i},张三,1101051949{:08},138{:08},\"北京市, 建国路 {} 号\",39.9",
                i,
                i * 7,
                i % 500
            )?;
            self.at = 0;
        }
        let n = buf.len().min(self.line.len() - self.at);
        buf[..n].copy_from_slice(&self.line[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

/// The process's peak resident memory so far, in MiB (Linux).
fn peak_rss_mib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kib =
        status.lines().find_map(|l| l.strip_prefix("VmHWM:")?.trim().strip_suffix("kB")?.trim().parse().ok());
    kib.unwrap_or(0) / 1024
}

/// Peak RSS after 4 M and after 1 M rows through the pipeline (2 workers,
/// default chunks in flight): it must not grow with the input. (The second
/// run's fresh worker threads get fresh malloc arenas, which adds a few
/// MiB to the process's peak: the first figure is the clean one, and each
/// size alone peaks the same, 18 MiB here.)
fn bounded_memory(_: &mut Criterion) {
    let before = peak_rss_mib();
    for rows in [4_000_000, 1_000_000] {
        let input = Generated { rows, next: 0, line: Vec::new(), at: 0 };
        let chunker = Chunker::new(input, Format::Csv, pipeline::BLOCK, pipeline::MAX_RECORD);
        let totals =
            process(chunker, &Dummy { work: 0 }, &mut std::io::sink(), &Options::new(2), |_| {}).unwrap();
        eprintln!(
            "peak RSS after {} rows ({} MB): {} MiB (before: {before} MiB)",
            totals.rows,
            totals.bytes_in / 1_000_000,
            peak_rss_mib()
        );
    }
}

criterion_group!(benches, bounded_memory, serial_stages, scaling);
criterion_main!(benches);
