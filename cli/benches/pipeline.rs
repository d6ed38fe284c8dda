//! The pipeline's serial stages (boundary scan, ordered write) on their
//! own, in MB/s, and its scaling with a pass-through and a CPU-heavy
//! transform at 1 and 2 worker threads.
//!
//! `cargo bench -p desensitize-cli --bench pipeline`

use std::hint::black_box;
use std::io::{Cursor, Write};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

#[allow(dead_code)]
#[path = "../src/pipeline/mod.rs"]
mod pipeline;

use pipeline::{Chunker, Format, Options, Record, Row, RowError, RowTransform, process, write_csv_record};

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
    ) -> Result<(), RowError> {
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

fn chunker(data: &[u8]) -> Chunker<Cursor<&[u8]>> {
    let mut c = Chunker::new(Cursor::new(data), Format::Csv, pipeline::BLOCK, pipeline::MAX_RECORD);
    c.csv_header(&mut Record::new()).unwrap();
    c
}

fn serial_stages(c: &mut Criterion) {
    let data = sample_csv(64 << 20);
    let mut g = c.benchmark_group("serial");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(data.len() as u64));
    // Boundary scan: read blocks from memory, cut at the last record end, count rows.
    g.bench_function("scan", |b| {
        b.iter(|| {
            let mut chunker = chunker(&data);
            let mut buf = Vec::new();
            let mut rows = 0;
            while let Some(cut) = chunker.next_chunk_for_bench(&mut buf) {
                rows += cut;
            }
            black_box(rows)
        })
    });
    // Ordered write: chunk-sized plain writes to a file.
    let path = std::env::temp_dir().join(format!("desensitize-bench-{}.out", std::process::id()));
    g.bench_function("write", |b| {
        b.iter(|| {
            let mut f = std::fs::File::create(&path).unwrap();
            for block in data.chunks(pipeline::BLOCK) {
                f.write_all(block).unwrap();
            }
            f.flush().unwrap();
        })
    });
    let _ = std::fs::remove_file(&path);
    g.finish();
}

fn scaling(c: &mut Criterion) {
    let data = sample_csv(32 << 20);
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

criterion_group!(benches, serial_stages, scaling);
criterion_main!(benches);
