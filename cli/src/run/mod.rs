//! `desensitize run`: apply a policy to a CSV or JSON Lines file.
//!
//! Streaming in bounded memory, in parallel, order preserved, on the
//! library's chunked pipeline (`desensitize::stream`): a reader thread cuts the input
//! into blocks of about `--block-size` bytes at record boundaries (a
//! quote-aware scan for CSV), worker threads parse the records (strict
//! CSV: malformed quoting is a row error; JSON Lines by `serde_json`),
//! apply the plan and serialize the rows, and the finished blocks are
//! written in input order. Only the boundary scan and the ordered write
//! are serial. Nothing holds more than `2 * threads + 2` blocks.
//!
//! JSON Lines values are read as the library reads them
//! (`desensitize::stream::parts::json_scalars`: numbers as decimal text, `null` as
//! empty, a nested object or array stops the run at its row). Output
//! objects hold the output columns in order, every value a string.
//!
//! The output goes to a temporary file next to it, flushed and fsynced, and
//! is renamed over the final name only when everything succeeded
//! (`desensitize::stream::AtomicFile`).
//!
//! This module is the command: arguments, files, keys, progress bar,
//! summary, and messages naming columns by their header names. The plan is
//! compiled once, after the keyring is loaded.

mod summary;
#[cfg(test)]
mod tests;

use std::fs;
use std::io::{self, IsTerminal};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use clap::Args;
use desensitize::Keyring;
use desensitize::policy::{ClassCounts, OnInvalid, Plan, Rules, Summary};
use desensitize::stream::parts::{Chunker, Input, Pass, PlanRows, write_csv_record};
use desensitize::stream::{self, AtomicFile, FileError, Options, StreamError};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::clash::{Kept, same_file, same_path};
use crate::common::{self, CliError, CliResult, Format, KeyArgs, load_keyring};
use crate::policy;

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

    #[command(flatten)]
    pub pkcs11: crate::keys_cmd::Pkcs11Args,

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

pub fn run(args: RunArgs, quiet: bool) -> CliResult {
    let rules = policy::load(&args.policy)?;
    let (in_format, out_format, block) = settings(&args, &rules)?;

    // The header first: an empty or malformed input is reported before any
    // passphrase prompt.
    let input_len = fs::metadata(&args.input).map(|m| m.len()).unwrap_or(0);
    let input = open_input(&args.input, in_format, block)?;
    // A JSON Lines input without records has no columns: an empty output.
    let header = input.names().map(<[String]>::to_vec).unwrap_or_default();
    let has_columns = !header.is_empty();

    let keyring = if rules.needs_keys() && has_columns {
        let Some(keys) = args.keys.clone() else {
            return Err(CliError::usage(format!(
                "the policy needs keys (column `{}`): use --keys FILE",
                rules.first_needing_keys().unwrap_or_default()
            )));
        };
        let keyring = load_keyring(&KeyArgs {
            keys: keys.clone(),
            passphrase_file: args.passphrase_file.clone(),
            pkcs11: args.pkcs11.clone(),
        })?;
        Some((keys, Arc::new(keyring)))
    } else {
        None
    };
    // Compiled once, with the keyring when the policy needs one.
    let plan = compile(&rules, &header, in_format, keyring.as_ref().map(|(_, k)| Arc::clone(k)));
    let result = plan.and_then(|plan| {
        let plan = plan.with_text_output(out_format == Format::Jsonl);
        let job = Job { args: &args, quiet, in_format, out_format, block, input_len, has_columns };
        job.run(&plan, input)
    });
    // Sealing used nonces even when the run failed part-way: count them.
    if let Some((path, keyring)) = &keyring
        && let Err(e) = common::record_seals(path, keyring)
    {
        common::warn(&e);
    }
    result
}

/// The plan for `header`; without columns (no records) an empty one that
/// applies nothing and needs no keys. A JSON Lines header is the first
/// record's keys (data): errors name them by position.
fn compile(
    rules: &Rules,
    header: &[String],
    format: Format,
    keyring: Option<Arc<Keyring>>,
) -> CliResult<Plan> {
    if !header.is_empty() {
        return Plan::new(rules, header, keyring).map_err(|e| match format {
            Format::Jsonl => policy::failed(e.keys_by_position(header)),
            Format::Csv => policy::failed(e),
        });
    }
    let mut empty = rules.clone();
    empty.columns.clear();
    empty.unnamed = desensitize::policy::Unnamed::Drop;
    empty.row_id = None;
    empty.consent_column = None;
    empty.k_anonymity = None;
    Plan::new(&empty, header, None).map_err(policy::failed)
}

/// The formats and block size the arguments ask for, and the checks on
/// the files named that need no file opened.
fn settings(args: &RunArgs, rules: &Rules) -> CliResult<(Format, Format, usize)> {
    if args.threads == Some(0) {
        return Err(CliError::usage("--threads must be at least 1"));
    }
    let block = match (args.block_size, args.chunk) {
        (Some(b), _) => b,
        (None, Some(0)) => return Err(CliError::usage("--chunk must be at least 1")),
        // The old record count, as bytes of typical rows (8192 rows: the default block).
        (None, Some(rows)) => rows.saturating_mul(ROW_BYTES).min(MAX_BLOCK),
        (None, None) => stream::BLOCK,
    };
    let in_format =
        args.format.or_else(|| Format::of_path(&args.input)).or_else(|| Format::of_path(&args.output));
    let Some(in_format) = in_format else {
        return Err(CliError::usage(
            "cannot tell the format from the file names: use --format csv or --format jsonl",
        ));
    };
    let out_format = args.format.or_else(|| Format::of_path(&args.output)).unwrap_or(in_format);
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
    refuse_clashes(args)?;
    if args.output.is_dir() {
        return Err(CliError::usage("the output is a directory"));
    }
    Ok((in_format, out_format, block))
}

/// The input file opened for the pipeline, its column names read.
fn open_input(path: &Path, format: Format, block: usize) -> CliResult<Input<fs::File>> {
    let file = fs::File::open(path).map_err(|e| common::file_error("input file", path, &e, ""))?;
    if file.metadata().is_ok_and(|m| m.is_dir()) {
        let e = io::Error::from(io::ErrorKind::IsADirectory);
        return Err(common::file_error("input file", path, &e, ""));
    }
    Input::new(file, format.stream(), &Options::new(1).with_block(block)).map_err(|e| failed(e, &[]))
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
/// or the seal ledger (the check every writing command shares).
fn refuse_clashes(args: &RunArgs) -> CliResult {
    let kept = Kept::new()
        .keyring(args.keys.as_deref())
        .file("the passphrase file", args.passphrase_file.as_deref())
        .file("the policy", Some(&args.policy))
        .file("the input", Some(&args.input));
    kept.refuse("the output", &args.output)?;
    if let Some(rejects) = &args.rejects {
        kept.refuse("the rejects file", rejects)?;
    }
    Ok(())
}

/// Bytes per row of `desensitize fake`-like data, to read the old
/// `--chunk ROWS` as a block size.
const ROW_BYTES: usize = 128;
/// The largest block accepted (memory: `2 * threads + 2` of them in flight).
const MAX_BLOCK: usize = stream::MAX_RECORD;

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

/// The progress bar over `bytes` (the input's length, once per pass), when
/// stderr is a terminal and not `--quiet`.
fn progress_bar(quiet: bool, bytes: u64) -> Option<ProgressBar> {
    (!quiet && io::stderr().is_terminal()).then(|| {
        let pb = ProgressBar::with_draw_target(Some(bytes), ProgressDrawTarget::stderr());
        if let Ok(style) = ProgressStyle::with_template(
            "{elapsed_precise} [{wide_bar}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
        ) {
            pb.set_style(style);
        }
        pb
    })
}

/// The rejects report (`row,column,reason`), written atomically.
struct Rejects {
    file: AtomicFile,
    line: Vec<u8>,
}

impl Rejects {
    fn create(path: &Path) -> CliResult<Rejects> {
        let mut rejects = Rejects { file: AtomicFile::create(path).map_err(file_failed)?, line: Vec::new() };
        rejects.write(["row", "column", "reason"])?;
        Ok(rejects)
    }

    fn write(&mut self, fields: [&str; 3]) -> CliResult {
        self.line.clear();
        write_csv_record(&mut self.line, fields.iter().map(|f| f.as_bytes()));
        self.file.write_bytes(&self.line).map_err(CliError::from)
    }
}

impl Job<'_> {
    fn run(&self, plan: &Plan, input: Input<fs::File>) -> CliResult {
        let args = self.args;
        // Timed from here: the keyring's passphrase hashing is not row work.
        let started = Instant::now();
        let threads =
            args.threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
        let opts = Options::new(threads);
        let passes = if plan.needs_counting() { 2 } else { 1 };
        let progress = progress_bar(self.quiet, self.input_len * passes);
        let mut input = input;
        // k-anonymity, pass 1: count the classes of the quasi-identifiers.
        // Pass 2 must read the same input: same rows, same length and mtime.
        let mut counted = None;
        if plan.needs_counting() {
            counted = Some(self.count(plan, input, &opts, progress.as_ref())?);
            // Pass 2 reads the input again from the top.
            input = open_input(&args.input, self.in_format, self.block)?;
        }

        let mut out = AtomicFile::create(&args.output).map_err(file_failed)?;
        let mut rejects = args.rejects.as_deref().map(Rejects::create).transpose()?;
        if self.out_format == Format::Csv && self.has_columns {
            let mut line = Vec::new();
            stream::parts::write_header(&mut line, plan, stream::Format::Csv);
            out.write_bytes(&line)?;
        }
        let (stats, rows_written) =
            self.write(plan, input, &mut out, rejects.as_mut(), &opts, progress.as_ref())?;
        if let Some((rows, stamp)) = counted
            && (rows != rows_written || stamp != input_stamp(&args.input))
        {
            return Err(CliError::failed(format!(
                "k-anonymity: the input changed between the counting pass ({rows} rows) and the \
                 writing pass ({rows_written} rows); nothing written"
            )));
        }
        if let Some(r) = rejects {
            r.file.commit().map_err(file_failed)?;
        }
        out.commit().map_err(file_failed)?;
        if let Some(pb) = &progress {
            pb.finish_and_clear();
        }
        if !self.quiet {
            let secs = started.elapsed().as_secs_f64();
            eprint!("{}", summary::summary(plan, &stats, plan.suppression(), secs, threads));
        }
        Ok(())
    }

    /// k-anonymity's counting pass: the rows counted, and the input's stamp.
    fn count(
        &self,
        plan: &Plan,
        input: Input<fs::File>,
        opts: &Options,
        progress: Option<&ProgressBar>,
    ) -> CliResult<(u64, Option<(u64, std::time::SystemTime)>)> {
        let stamp = input_stamp(&self.args.input);
        let mut rows = 0;
        let mut classes = ClassCounts::new();
        let count = PlanRows::new(plan, self.out_format.stream(), Pass::Count);
        let chunker = skip_header(input, progress);
        stream::process(chunker, &count, &mut io::sink(), opts, |done| {
            if let Some(pb) = progress {
                pb.inc(done.bytes);
            }
            rows += done.rows;
            classes.merge(done.tally.classes);
        })
        .map_err(|e| failed(e, plan.input_names()))?;
        plan.finish_counting(classes).map_err(policy::failed)?;
        Ok((rows, stamp))
    }

    /// The writing pass: the counts, and the rows read.
    fn write(
        &self,
        plan: &Plan,
        input: Input<fs::File>,
        out: &mut AtomicFile,
        mut rejects: Option<&mut Rejects>,
        opts: &Options,
        progress: Option<&ProgressBar>,
    ) -> CliResult<(Summary, u64)> {
        let names = plan.input_names();
        let mut stats = Summary::default();
        let mut rows_written = 0;
        let mut rejects_failed = None;
        let apply = PlanRows::new(plan, self.out_format.stream(), Pass::Write);
        let chunker = skip_header(input, progress);
        stream::process(chunker, &apply, out, opts, |done| {
            if let Some(pb) = progress {
                pb.inc(done.bytes);
            }
            rows_written += done.rows;
            stats.merge(&done.tally.report.summary);
            if let Some(w) = rejects.as_deref_mut()
                && rejects_failed.is_none()
            {
                for r in &done.tally.report.rejects {
                    let row = r.row.to_string();
                    let col = r.column.and_then(|c| names.get(c)).map_or("", String::as_str);
                    if let Err(e) = w.write([row.as_str(), col, &r.reason.to_string()]) {
                        rejects_failed = Some(e);
                        break;
                    }
                }
            }
        })
        .map_err(|e| failed(e, names))?;
        match rejects_failed {
            Some(e) => Err(e),
            None => Ok((stats, rows_written)),
        }
    }
}

/// The records of `input`; its header (and a byte order mark) count as
/// done on the bar.
fn skip_header(input: Input<fs::File>, progress: Option<&ProgressBar>) -> Chunker<fs::File> {
    if let Some(pb) = progress {
        pb.inc(input.skipped_bytes());
    }
    input.into_chunker()
}

/// An output file's error as the command reports it.
fn file_failed(e: FileError) -> CliError {
    match e {
        FileError::NoFileName => CliError::usage(e.to_string()),
        e => CliError::failed(e.to_string()),
    }
}

/// The pipeline's error as the command reports it: the row, and the column
/// by its header name (`names`), never a value.
pub(crate) fn failed(e: StreamError, names: &[String]) -> CliError {
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
        StreamError::Row { row, column, reason } => {
            CliError::failed(format!("{}: {reason}", at(row, column)))
        }
        StreamError::TooLong { row } => CliError::failed(format!(
            "{}: a record is longer than {} MiB (unbalanced quote in the input?)",
            at(row, None),
            stream::MAX_RECORD >> 20
        )),
        e => CliError::failed(e.to_string()),
    }
}
