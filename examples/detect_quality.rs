//! Precision, recall and speed of `desensitize::detect` on a labelled corpus
//! (`scripts/detect/corpus.py`; `scripts/detect/quality.sh` runs both).
//!
//! ```text
//! cargo run --release --example detect_quality -- corpus.jsonl [--json | --check]
//! ```
//!
//! `--check` (CI) only checks that every validated kind reaches 0.99
//! precision and recall, and exits 1 otherwise.
//!
//! A span counts as found when the detector reports exactly its byte range
//! and kind; anything else the detector reports is a false positive.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use desensitize::Kind;
use desensitize::detect::{DETECTABLE, Detector};

#[derive(Default, Clone, Copy)]
struct Count {
    labelled: u64,
    found: u64,
    false_pos: u64,
}

struct Doc {
    text: String,
    spans: Vec<(usize, usize, Kind)>,
}

fn read(path: &str) -> Vec<Doc> {
    let data = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"));
    data.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("a JSON line");
            let spans = v["spans"]
                .as_array()
                .expect("spans")
                .iter()
                .map(|s| {
                    let kind: Kind = s[2].as_str().expect("kind").parse().expect("a kind name");
                    (s[0].as_u64().unwrap_or(0) as usize, s[1].as_u64().unwrap_or(0) as usize, kind)
                })
                .collect();
            Doc { text: v["text"].as_str().expect("text").to_owned(), spans }
        })
        .collect()
}

/// CPU seconds this thread has run (Linux: `/proc/thread-self/stat`, in
/// clock ticks of 10 ms), so that other load on the machine does not count;
/// elsewhere, wall time.
fn cpu_seconds(wall: Instant) -> f64 {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap_or_default();
    // The fields after the command name (which is in parentheses).
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<f64> = rest.split_whitespace().filter_map(|x| x.parse().ok()).collect();
    // utime and stime are fields 14 and 15 of the whole line: 11 and 12 after the name.
    match (f.get(10), f.get(11)) {
        (Some(u), Some(s)) => (u + s) / 100.0,
        _ => wall.elapsed().as_secs_f64(),
    }
}

/// Single-thread throughput of `detector` over the documents, in MB/s and
/// µs per document, per CPU second of the measuring thread.
fn speed(detector: &Detector, docs: &[Doc]) -> (f64, f64) {
    let bytes: usize = docs.iter().map(|d| d.text.len()).sum();
    let (mut rounds, start) = (0u32, Instant::now());
    let cpu_start = cpu_seconds(start);
    while start.elapsed() < Duration::from_secs(3) || rounds == 0 {
        for d in docs {
            std::hint::black_box(detector.detect(std::hint::black_box(&d.text)));
        }
        rounds += 1;
    }
    let secs = (cpu_seconds(start) - cpu_start).max(1e-3);
    let mb_s = bytes as f64 * f64::from(rounds) / secs / 1e6;
    let us_doc = secs * 1e6 / (f64::from(rounds) * docs.len() as f64);
    (mb_s, us_doc)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let path = args
        .iter()
        .find(|a| !a.starts_with("--"))
        .expect("usage: detect_quality CORPUS.jsonl [--json | --check]");
    let json = args.iter().any(|a| a == "--json");
    let check = args.iter().any(|a| a == "--check");
    let docs = read(path);
    if docs.is_empty() {
        println!("detect_quality: empty corpus (no Python Faker?); skipped");
        return;
    }
    let detector = Detector::new();
    let mut counts: BTreeMap<Kind, Count> = DETECTABLE.iter().map(|&k| (k, Count::default())).collect();
    for d in &docs {
        let found = detector.detect(&d.text);
        for &(s, e, k) in &d.spans {
            let c = counts.entry(k).or_default();
            c.labelled += 1;
            if found.iter().any(|f| (f.start, f.end, f.kind) == (s, e, k)) {
                c.found += 1;
            }
        }
        for f in &found {
            if !d.spans.contains(&(f.start, f.end, f.kind)) {
                counts.entry(f.kind).or_default().false_pos += 1;
            }
        }
    }
    if check {
        // CI: every validated kind at 0.99 precision and recall or better.
        let mut failed = false;
        for (k, c) in counts.iter().filter(|(k, _)| !matches!(k, Kind::PersonName | Kind::Address)) {
            let precision = c.found as f64 / (c.found + c.false_pos).max(1) as f64;
            let recall = c.found as f64 / c.labelled.max(1) as f64;
            if precision < 0.99 || recall < 0.99 {
                println!("{k}: precision {precision:.4}, recall {recall:.4}: below 0.99");
                failed = true;
            }
        }
        if failed {
            std::process::exit(1);
        }
        println!(
            "detect_quality: every validated kind at 0.99 precision and recall or better ({} documents)",
            docs.len()
        );
        return;
    }
    let structured: Vec<Kind> =
        DETECTABLE.into_iter().filter(|k| !matches!(k, Kind::PersonName | Kind::Address)).collect();
    let validated = Detector::builder().kinds(structured).build().expect("detectable kinds");
    let (all_mb, all_us) = speed(&detector, &docs);
    let (val_mb, val_us) = speed(&validated, &docs);
    let bytes: usize = docs.iter().map(|d| d.text.len()).sum();
    if json {
        let kinds: serde_json::Map<String, serde_json::Value> = counts
            .iter()
            .map(|(k, c)| {
                let v =
                    serde_json::json!({"labelled": c.labelled, "found": c.found, "false_pos": c.false_pos});
                (k.as_str().trim_start_matches("cn.").to_owned(), v)
            })
            .collect();
        let out = serde_json::json!({"docs": docs.len(), "bytes": bytes, "kinds": kinds,
            "all_kinds": {"mb_s": all_mb, "us_per_doc": all_us},
            "validated_kinds": {"mb_s": val_mb, "us_per_doc": val_us}});
        println!("{out}");
        return;
    }
    println!("{} documents, {} bytes\n", docs.len(), bytes);
    println!("| kind | labelled | found | false positives | precision | recall |");
    println!("|---|---:|---:|---:|---:|---:|");
    for (k, c) in &counts {
        let precision = c.found as f64 / (c.found + c.false_pos).max(1) as f64;
        let recall = c.found as f64 / c.labelled.max(1) as f64;
        println!(
            "| {} | {} | {} | {} | {precision:.4} | {recall:.4} |",
            k.as_str().trim_start_matches("cn."),
            c.labelled,
            c.found,
            c.false_pos
        );
    }
    println!("\n| detector (one thread, per CPU second) | MB/s | µs per document |");
    println!("|---|---:|---:|");
    println!("| validated kinds only | {val_mb:.1} | {val_us:.2} |");
    println!("| all kinds (with names and addresses) | {all_mb:.1} | {all_us:.2} |");
}
