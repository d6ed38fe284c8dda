//! `desensitize run`: apply a policy to a CSV or JSON Lines file.
//!
//! Streaming in bounded memory, in parallel, order preserved, on the
//! chunked pipeline of [`crate::pipeline`]: a reader thread cuts the input
//! into blocks of about `--block-size` bytes at record boundaries (a
//! quote-aware scan for CSV), worker threads parse the records (strict
//! CSV: malformed quoting is a row error; JSON Lines by `serde_json`),
//! apply the plan and serialize the rows, and the finished blocks are
//! written in input order. Only the boundary scan and the ordered write
//! are serial. Nothing holds more than `2 * threads + 2` blocks.
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
mod summary;
#[cfg(test)]
mod tests;
mod transform;

use std::fs;
use std::io::{self, IsTerminal};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use clap::{Args, ValueEnum};
use desensitize::policy::{ClassCounts, OnInvalid, Plan, Summary};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::common::{self, CliError, CliResult, KeyArgs, load_keyring};
use crate::pipeline::{self, Chunker, Options, PipelineError, write_csv_record};
use crate::policy;
use output::{AtomicFile, csv_write_failed, same_file, same_path};
use transform::{Apply, Pass};

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

    /// Worker threads, besides one that reads and one that writes
    /// [default: all cores].
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,

    /// Bytes of input per parallel work unit (cut at a record boundary;
    /// suffixes K and M) [default: 1M]. Memory holds about
    /// `2 * threads + 2` blocks and their output.
    #[arg(long, value_name = "BYTES", value_parser = parse_block_size)]
    pub block_size: Option<usize>,

    /// Deprecated: records per work unit, now read as a block of
    /// ROWS x 128 bytes (use --block-size).
    #[arg(long, value_name = "ROWS", hide = true, conflicts_with = "block_size")]
    pub chunk: Option<usize>,
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
    if args.threads == Some(0) {
        return Err(CliError::usage("--threads must be at least 1"));
    }
    let block = match (args.block_size, args.chunk) {
        (Some(b), _) => b,
        (None, Some(0)) => return Err(CliError::usage("--chunk must be at least 1")),
        // The old record count, as bytes of typical rows (8192 rows: the default block).
        (None, Some(rows)) => rows.saturating_mul(ROW_BYTES).min(MAX_BLOCK),
        (None, None) => pipeline::BLOCK,
    };
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
    refuse_clashes(&args)?;
    if args.output.is_dir() {
        return Err(CliError::usage("the output is a directory"));
    }

    // The header first: a mismatch is reported before any passphrase prompt.
    let input_len = fs::metadata(&args.input).map(|m| m.len()).unwrap_or(0);
    let (chunker, header) = input::open(&args.input, in_format, block)?;
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
        let keyring =
            load_keyring(&KeyArgs { keys: keys.clone(), passphrase_file: args.passphrase_file.clone() })?;
        Some((keys, Arc::new(keyring)))
    } else {
        None
    };

    let plan = if has_columns {
        Plan::new(&rules, &header, keyring.as_ref().map(|(_, k)| Arc::clone(k))).map_err(policy::failed)?
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
    let job = Job { args: &args, quiet, in_format, out_format, block, input_len, has_columns };
    let result = job.run(&plan, chunker);
    // Sealing used nonces even when the run failed part-way: count them.
    if let Some((path, keyring)) = &keyring
        && let Err(e) = common::record_seals(path, keyring)
    {
        common::warn(&e);
    }
    result
}

/// The input's length and modification time, to tell that the two
/// k-anonymity passes read the same file (`None`: not a regular file, as a
/// FIFO, which cannot be read twice).
fn input_stamp(input: &Path) -> Option<(u64, std::time::SystemTime)> {
    let m = fs::metadata(input).ok().filter(fs::Metadata::is_file)?;
    Some((m.len(), m.modified().ok()?))
}

/// Refuses an output or rejects path that is one of the run's other files:
/// writing it would destroy the keys, the passphrase, the policy, the input
/// or the seal ledger.
fn refuse_clashes(args: &RunArgs) -> CliResult {
    let ledger = args.keys.as_deref().map(desensitize::keys::Ledger::path_for);
    let kept = [
        ("the keyring (--keys)", args.keys.as_deref()),
        ("the seal ledger of the keyring", ledger.as_deref()),
        ("the passphrase file", args.passphrase_file.as_deref()),
        ("the policy", args.policy.as_path().into()),
        ("the input", args.input.as_path().into()),
    ];
    let written =
        [("the output", Some(args.output.as_path())), ("the rejects file", args.rejects.as_deref())];
    for (what, path) in written {
        let Some(path) = path else { continue };
        for (other, kept) in kept {
            if kept.is_some_and(|k| same_path(path, k)) {
                return Err(CliError::usage(format!("{what} is {other}: refusing to overwrite it")));
            }
        }
    }
    Ok(())
}

/// Bytes per row of `desensitize fake`-like data, to read the old
/// `--chunk ROWS` as a block size.
const ROW_BYTES: usize = 128;
/// The largest block accepted (memory: `2 * threads + 2` of them in flight).
const MAX_BLOCK: usize = pipeline::MAX_RECORD;

/// `--block-size`: bytes, or with a `K`/`KiB` or `M`/`MiB` suffix (powers of 2).
fn parse_block_size(s: &str) -> Result<usize, String> {
    let t = s.trim();
    let digits = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (n, unit) = t.split_at(digits);
    let n: usize =
        n.parse().map_err(|_| "expected a number of bytes, like 1048576, 512K or 4M".to_owned())?;
    let scale = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kib" | "kb" => 1 << 10,
        "m" | "mib" | "mb" => 1 << 20,
        _ => return Err("expected a number of bytes, like 1048576, 512K or 4M".to_owned()),
    };
    match n.checked_mul(scale) {
        Some(b) if (1..=MAX_BLOCK).contains(&b) => Ok(b),
        _ => Err(format!("the block size must be between 1 byte and {} MiB", MAX_BLOCK >> 20)),
    }
}

/// One run, once the plan is compiled.
struct Job<'a> {
    args: &'a RunArgs,
    quiet: bool,
    in_format: Format,
    out_format: Format,
    block: usize,
    input_len: u64,
    has_columns: bool,
}

impl Job<'_> {
    fn run(&self, plan: &Plan, mut chunker: Chunker<fs::File>) -> CliResult {
        let args = self.args;
        // Timed from here: the keyring's passphrase hashing is not row work.
        let started = Instant::now();
        let threads =
            args.threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
        let opts = Options::new(threads);
        let passes = if plan.needs_counting() { 2 } else { 1 };
        let progress = (!self.quiet && io::stderr().is_terminal()).then(|| {
            let pb =
                ProgressBar::with_draw_target(Some(self.input_len * passes), ProgressDrawTarget::stderr());
            if let Ok(style) = ProgressStyle::with_template(
                "{elapsed_precise} [{wide_bar}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
            ) {
                pb.set_style(style);
            }
            pb
        });
        let names = plan.input_names();
        // The header (and a byte order mark) count as done on the bar.
        let skipped = |c: &Chunker<fs::File>| {
            if let Some(pb) = &progress {
                pb.inc(c.skipped_bytes());
            }
        };

        // k-anonymity, pass 1: count the classes of the quasi-identifiers.
        // Pass 2 must read the same input: same rows, same length and mtime.
        let mut counted = None;
        if plan.needs_counting() {
            let stamp = input_stamp(&args.input);
            let mut rows = 0;
            let mut classes = ClassCounts::new();
            let count = Apply { plan, out_format: self.out_format, pass: Pass::Count };
            skipped(&chunker);
            pipeline::process(chunker, &count, &mut io::sink(), &opts, |done| {
                if let Some(pb) = &progress {
                    pb.inc(done.bytes);
                }
                rows += done.rows;
                classes.merge(done.tally.classes);
            })
            .map_err(|e| failed(e, names))?;
            counted = Some((rows, stamp));
            plan.finish_counting(classes).map_err(policy::failed)?;
            // Pass 2 reads the input again from the top.
            chunker = input::open(&args.input, self.in_format, self.block)?.0;
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
        if self.out_format == Format::Csv && self.has_columns {
            let names = plan.output_names();
            let mut line = Vec::new();
            if names.is_empty() {
                // No output columns: an empty line, like the rows.
                line.push(b'\n');
            } else {
                write_csv_record(&mut line, names.iter().map(String::as_bytes));
            }
            out.write_bytes(&line)?;
        }
        let mut stats = Summary::default();
        let mut rows_written = 0;
        let mut rejects_failed = None;
        let apply = Apply { plan, out_format: self.out_format, pass: Pass::Write };
        skipped(&chunker);
        pipeline::process(chunker, &apply, &mut out, &opts, |done| {
            if let Some(pb) = &progress {
                pb.inc(done.bytes);
            }
            rows_written += done.rows;
            stats.merge(&done.tally.report.summary);
            if let Some(w) = rejects.as_mut()
                && rejects_failed.is_none()
            {
                for r in &done.tally.report.rejects {
                    let row = r.row.to_string();
                    let col = r.column.and_then(|c| names.get(c)).map_or("", String::as_str);
                    if let Err(e) = w.write_record([row.as_str(), col, &r.reason]) {
                        rejects_failed = Some(csv_write_failed(e));
                        break;
                    }
                }
            }
        })
        .map_err(|e| failed(e, names))?;
        if let Some(e) = rejects_failed {
            return Err(e);
        }
        if let Some((rows, stamp)) = counted
            && (rows != rows_written || stamp != input_stamp(&args.input))
        {
            return Err(CliError::failed(format!(
                "k-anonymity: the input changed between the counting pass ({rows} rows) and the \
                 writing pass ({rows_written} rows); nothing written"
            )));
        }
        if let Some(w) = rejects {
            w.into_inner().map_err(|e| CliError::from(e.into_error()))?.commit()?;
        }
        out.commit()?;
        if let Some(pb) = &progress {
            pb.finish_and_clear();
        }
        if !self.quiet {
            let secs = started.elapsed().as_secs_f64();
            eprint!("{}", summary::summary(plan, &stats, plan.suppression(), secs, threads));
        }
        Ok(())
    }
}

/// The pipeline's error as the command reports it: the row, and the column
/// by its header name (`names`), never a value.
pub(super) fn failed(e: PipelineError, names: &[String]) -> CliError {
    let at = |row: u64, column: Option<usize>| {
        let row = if row == 0 { "the input's header row".to_owned() } else { format!("row {row}") };
        match column {
            Some(c) => match names.get(c) {
                Some(name) => format!("{row}, column {name}"),
                None => format!("{row}, field {}", c + 1),
            },
            None => row,
        }
    };
    match e {
        PipelineError::Row { row, column, reason } => {
            CliError::failed(format!("{}: {reason}", at(row, column)))
        }
        PipelineError::TooLong { row } => CliError::failed(format!(
            "{}: a record is longer than {} MiB (unbalanced quote in the input?)",
            at(row, None),
            pipeline::MAX_RECORD >> 20
        )),
        PipelineError::Read(kind) => CliError::failed(format!("cannot read the input: {kind}")),
        PipelineError::Write(kind) => CliError::failed(format!("cannot write the output: {kind}")),
        PipelineError::WorkerLost => CliError::failed("a worker thread failed"),
    }
}
