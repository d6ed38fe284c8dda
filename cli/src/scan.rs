//! `desensitize scan`: which columns of a CSV / JSON Lines file hold which
//! kinds of personal data (counts and shares, never a value), and a draft
//! policy for `desensitize run`, through the library's `detect::scan_columns`.

use std::fs::File;
use std::io::BufReader;
use std::path::PathBuf;

use clap::Args;
use desensitize::Kind;
use desensitize::detect::{DEFAULT_MIN_CONFIDENCE, draft_policy, scan_columns};
use desensitize::stream::Options;

use crate::common::{CliError, CliResult, Format, file_error, note, parse_kind};

#[derive(Args, Debug)]
pub struct ScanArgs {
    /// The CSV (with a header row) or JSON Lines file to scan.
    input: PathBuf,
    /// The input format (default: from the file name, else CSV).
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// Also write a draft policy (TOML) for `desensitize run` here.
    #[arg(long, value_name = "POLICY.toml")]
    draft_policy: Option<PathBuf>,
    /// The `table` of the draft policy (sealing context).
    #[arg(long, default_value = "scanned")]
    table: String,
    /// Look only for these kinds (comma-separated; default: every detectable kind).
    #[arg(long, value_delimiter = ',', value_parser = parse_kind, value_name = "KIND,...")]
    kinds: Vec<Kind>,
    /// Count only values at least this sure (0 to 1).
    #[arg(long, default_value_t = DEFAULT_MIN_CONFIDENCE, value_name = "P")]
    min_confidence: f32,
    /// Worker threads (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
}

pub fn scan(args: ScanArgs) -> CliResult {
    let detector = crate::redact::detector(&args.kinds, args.min_confidence)?;
    let format = args.format.or_else(|| Format::of_path(&args.input)).unwrap_or(Format::Csv);
    let file = File::open(&args.input).map_err(|e| file_error("input file", &args.input, &e, ""))?;
    let threads = args.threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let stats = scan_columns(BufReader::new(file), format.stream(), &detector, &Options::new(threads))
        .map_err(|e| CliError::failed(e.to_string()))?;
    println!(
        "{:<24} {:>8}  {:<20} {:>8} {:>7}  inside free text",
        "column", "values", "kind", "valid", "share"
    );
    for c in &stats {
        let (kind, valid, share) = match c.suggested() {
            Some((k, share)) => {
                let n = (share * c.values as f64).round() as u64;
                (k.as_str().to_owned(), n.to_string(), format!("{:.1}%", share * 100.0))
            }
            None => ("-".to_owned(), "-".to_owned(), "-".to_owned()),
        };
        let inside: Vec<String> = c.inside_kinds().map(|(k, n)| format!("{} {n}", k.as_str())).collect();
        let inside = if inside.is_empty() { "-".to_owned() } else { inside.join(", ") };
        println!("{:<24} {:>8}  {kind:<20} {valid:>8} {share:>7}  {inside}", c.name, c.values);
    }
    if let Some(path) = &args.draft_policy {
        std::fs::write(path, draft_policy(&args.table, &stats))
            .map_err(|e| CliError::usage(format!("cannot write {}: {}", path.display(), e.kind())))?;
        note(format!("draft policy written to {}: review the REVIEW columns before use", path.display()));
    }
    Ok(())
}
