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

mod input;
mod output;
mod pipeline;
mod summary;
#[cfg(test)]
mod tests;

use std::fs;
use std::io::{self, IsTerminal};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use clap::{Args, ValueEnum};
use desensitize::policy::{ClassCounts, OnInvalid, Plan, Summary};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::common::{CliError, CliResult, KeyArgs, load_keyring};
use crate::policy;
use input::Source;
use output::{AtomicFile, csv_row, csv_write_failed, same_file, same_path};
use pipeline::{ChunkOut, Driver, Engine, Pass};

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

pub fn run(args: RunArgs, quiet: bool) -> CliResult {
    let rules = policy::load(&args.policy)?;
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
    if args.rejects.is_some() && rules.on_invalid != OnInvalid::Mark {
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
    // A JSON Lines input without records has no columns: an empty output.
    let header = header.unwrap_or_default();
    let has_columns = !header.is_empty();
    // Checked against the header before any key is loaded.
    if has_columns {
        Plan::new(&rules, &header, None).map(drop).or_else(|e| match e {
            desensitize::policy::PolicyError::NeedsKeys(_) => Ok(()),
            e => Err(policy::usage(e)),
        })?;
    }

    let keyring = if rules.needs_keys() && has_columns {
        let Some(keys) = args.keys.clone() else {
            return Err(CliError::usage(format!(
                "the policy needs keys (column `{}`): use --keys FILE",
                rules.first_needing_keys().unwrap_or_default()
            )));
        };
        Some(Arc::new(load_keyring(&KeyArgs { keys, passphrase_file: args.passphrase_file.clone() })?))
    } else {
        None
    };

    let plan = if has_columns {
        Plan::new(&rules, &header, keyring).map_err(policy::failed)?
    } else {
        // No records: nothing to apply (and no keys needed).
        let mut empty = rules.clone();
        empty.columns.clear();
        empty.unnamed = desensitize::policy::Unnamed::Drop;
        empty.row_id = None;
        empty.consent_column = None;
        empty.k_anonymity = None;
        Plan::new(&empty, &header, None).map_err(policy::failed)?
    };
    let plan = plan.with_text_output(out_format == Format::Jsonl);
    let engine = Engine::new(plan, in_format, out_format);
    // Timed from here: the keyring's passphrase hashing is not row work.
    let started = Instant::now();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.threads.unwrap_or(0))
        .build()
        .map_err(|_| CliError::failed("cannot start the worker threads"))?;
    let threads = pool.current_num_threads();
    let passes = if engine.plan.needs_counting() { 2 } else { 1 };
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
    let mut stats = Summary::default();

    // k-anonymity, pass 1: count the classes of the quasi-identifiers.
    if engine.plan.needs_counting() {
        let mut classes = ClassCounts::new();
        driver.drive(&mut source, Pass::Count, &mut Summary::default(), &mut classes, |_| Ok(()))?;
        engine.plan.finish_counting(classes).map_err(policy::failed)?;
        // Pass 2 reads the input again from the top.
        source = Source::open(&args.input, in_format)?.0;
    }

    let mut out = AtomicFile::create(&args.output)?;
    let mut rejects = match &args.rejects {
        Some(p) => {
            let mut w = csv::Writer::from_writer(AtomicFile::create(p)?);
            w.write_record(["row", "column", "reason"]).map_err(csv_write_failed)?;
            Some(w)
        }
        None => None,
    };
    if out_format == Format::Csv && has_columns {
        // No output columns: an empty line, like the rows (see `Sink`).
        let names = engine.plan.output_names();
        let line = if names.is_empty() { b"\n".to_vec() } else { csv_row(names)? };
        out.write_bytes(&line)?;
    }
    {
        let out_w = &mut out;
        let mut rejects_w = rejects.as_mut();
        let names = engine.plan.input_names();
        driver.drive(&mut source, Pass::Write, &mut stats, &mut ClassCounts::new(), |o: &ChunkOut| {
            out_w.write_bytes(&o.data)?;
            if let Some(w) = rejects_w.as_mut() {
                for r in &o.report.rejects {
                    let row = r.row.to_string();
                    let col = r.column.and_then(|c| names.get(c)).map_or("", String::as_str);
                    w.write_record([row.as_str(), col, &r.reason]).map_err(csv_write_failed)?;
                }
            }
            Ok(())
        })?;
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
            summary::summary(
                &engine.plan,
                &stats,
                engine.plan.suppression(),
                started.elapsed().as_secs_f64(),
                threads
            )
        );
    }
    Ok(())
}
