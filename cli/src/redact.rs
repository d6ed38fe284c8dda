//! `desensitize redact`: personal data found in free text (logs, tickets,
//! chats) replaced by masks or placeholders, line by line, through the
//! library's `detect::Redactor`.

use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Read, Write};
use std::path::PathBuf;

use clap::{Args, ValueEnum};
use desensitize::detect::{Action, DEFAULT_MIN_CONFIDENCE, DETECTABLE, Detector, Redactor, Rules};
use desensitize::stream::parts::{json_scalars, write_json_object};
use desensitize::{Kind, MaskLevel};

use crate::common::{CliError, CliResult, file_error, parse_kind};
use crate::input::MAX_LINE;

/// What replaces each value found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum RedactAction {
    /// The kind's mask at `--level` (`138****8000`).
    Mask,
    /// A numbered placeholder (`<手机号_1>`), the same for the same value.
    Placeholder,
}

#[derive(Args, Debug)]
pub struct RedactArgs {
    /// Text to redact (default: stdin). Written line by line, each line
    /// flushed as soon as it is done, so it can sit in a log pipe.
    input: Option<PathBuf>,
    /// Write here instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// What replaces each value found.
    #[arg(long, value_enum, default_value = "mask")]
    action: RedactAction,
    /// Mask level for `--action mask`: strict, standard or relaxed.
    #[arg(long, default_value = "standard", value_parser = parse_level, value_name = "LEVEL")]
    level: MaskLevel,
    /// The input is JSON Lines: redact only these fields' values (comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "FIELD,...")]
    fields: Vec<String>,
    /// Look only for these kinds (comma-separated; default: every detectable kind).
    #[arg(long, value_delimiter = ',', value_parser = parse_kind, value_name = "KIND,...")]
    kinds: Vec<Kind>,
    /// Report only values at least this sure (0 to 1).
    #[arg(long, default_value_t = DEFAULT_MIN_CONFIDENCE, value_name = "P")]
    min_confidence: f32,
}

fn parse_level(s: &str) -> Result<MaskLevel, String> {
    s.parse().map_err(|_| "one of: strict, standard, relaxed".to_owned())
}

/// The detector the flags describe (shared with `scan`).
pub fn detector(kinds: &[Kind], min_confidence: f32) -> CliResult<Detector> {
    let kinds = if kinds.is_empty() { DETECTABLE.to_vec() } else { kinds.to_vec() };
    Detector::builder()
        .kinds(kinds)
        .min_confidence(min_confidence)
        .build()
        .map_err(|e| CliError::usage(e.to_string()))
}

pub fn redact(args: RedactArgs) -> CliResult {
    let detector = detector(&args.kinds, args.min_confidence)?;
    let rules = match args.action {
        RedactAction::Mask => Rules::masks(args.level),
        RedactAction::Placeholder => Rules::all(Action::Placeholder),
    };
    let input: Box<dyn BufRead> = match &args.input {
        Some(path) => {
            Box::new(BufReader::new(File::open(path).map_err(|e| file_error("input file", path, &e, ""))?))
        }
        None => Box::new(io::stdin().lock()),
    };
    let output: Box<dyn Write> = match &args.output {
        Some(path) => Box::new(BufWriter::new(
            File::create(path)
                .map_err(|e| CliError::usage(format!("cannot create {}: {}", path.display(), e.kind())))?,
        )),
        None => Box::new(io::stdout().lock()),
    };
    let mut redactor = Redactor::new(&detector, &rules);
    if args.fields.is_empty() && args.input.is_some() && args.action == RedactAction::Mask {
        // A file, and masks (no numbering to keep consistent): blocks of lines on all cores.
        return parallel_lines(&detector, &rules, input, output);
    }
    if args.fields.is_empty() {
        redactor.redact_lines(input, output, MAX_LINE).map_err(|e| CliError::failed(e.to_string()))?;
    } else {
        json_fields(&mut redactor, input, output, &args.fields)?;
    }
    Ok(())
}

/// JSON Lines: the named fields' values redacted, the others copied (every
/// value written as a JSON string, as `run` writes them).
fn json_fields(
    redactor: &mut Redactor<'_>,
    mut input: impl BufRead,
    mut output: impl Write,
    fields: &[String],
) -> CliResult {
    let mut line = zeroize::Zeroizing::new(Vec::with_capacity(MAX_LINE + 1));
    let mut out = zeroize::Zeroizing::new(Vec::new());
    let mut row = 0u64;
    loop {
        line.clear();
        let n = input.by_ref().take(MAX_LINE as u64 + 1).read_until(b'\n', &mut line)?;
        if n == 0 {
            break;
        }
        row += 1;
        if n > MAX_LINE {
            return Err(CliError::failed(format!("line {row}: longer than {} MiB", MAX_LINE >> 20)));
        }
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let record = json_scalars(&line).map_err(|m| CliError::failed(format!("line {row}: {m}")))?;
        let mut redacted = Vec::with_capacity(record.pairs().len());
        for (k, v) in record.pairs() {
            let value = if fields.iter().any(|f| f == k) { redactor.redact(v)? } else { v.to_string() };
            redacted.push(zeroize::Zeroizing::new(value));
        }
        out.clear();
        write_json_object(
            &mut out,
            record.pairs().iter().zip(&redacted).map(|((k, _), v)| (k.as_ref(), v.as_str())),
        );
        output.write_all(&out)?;
        output.flush()?;
    }
    Ok(())
}

/// Lines per block of the parallel file mode.
const BLOCK_LINES: usize = 4096;

/// Redact a file in blocks of lines, each block's lines in parallel, written in order.
fn parallel_lines(
    detector: &Detector,
    rules: &Rules<'_>,
    mut input: impl BufRead,
    mut output: impl Write,
) -> CliResult {
    let mut lines: Vec<zeroize::Zeroizing<String>> = Vec::with_capacity(BLOCK_LINES);
    let mut row = 0u64;
    loop {
        lines.clear();
        while lines.len() < BLOCK_LINES {
            let mut raw = zeroize::Zeroizing::new(Vec::with_capacity(256));
            let n = input.by_ref().take(MAX_LINE as u64 + 1).read_until(b'\n', &mut raw)?;
            if n == 0 {
                break;
            }
            row += 1;
            if n > MAX_LINE {
                return Err(CliError::failed(format!("line {row}: longer than {} MiB", MAX_LINE >> 20)));
            }
            let text = match String::from_utf8(std::mem::take(&mut *raw)) {
                Ok(text) => text,
                Err(e) => {
                    drop(zeroize::Zeroizing::new(e.into_bytes()));
                    return Err(CliError::failed(format!("line {row}: not UTF-8")));
                }
            };
            lines.push(zeroize::Zeroizing::new(text));
        }
        if lines.is_empty() {
            break;
        }
        let texts: Vec<&str> = lines.iter().map(|l| l.as_str()).collect();
        for done in detector.redact_all(&texts, rules)? {
            output.write_all(done.text.as_bytes())?;
        }
        output.flush()?;
    }
    Ok(())
}
