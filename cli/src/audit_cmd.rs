//! `audit verify` and `audit report`: thin shells over the library's
//! `audit::verify_chain` and `audit::summarize`.

use std::io::{BufReader, Write};
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};
use desensitize::audit::{AuditSummary, ChainedAudit, DIMENSIONS, DecisionCounts, summarize, verify_chain};

use crate::common::{self, CliError, CliResult, KeyArgs};

/// `audit` subcommands.
#[derive(Subcommand, Debug)]
pub enum AuditCommand {
    /// Check a chained audit log (written by `open --audit`): finds a
    /// changed, deleted, reordered or cut-off line and names it; exits 1
    /// when anything is wrong.
    Verify(VerifyArgs),
    /// Summarize an audit log: events by principal, role, purpose, kind and
    /// day (allowed / masked / refused), and its alarms.
    Report(ReportArgs),
}

/// Arguments of `audit verify`.
#[derive(Args, Debug)]
pub struct VerifyArgs {
    /// The audit log.
    #[arg(value_name = "LOG")]
    log: PathBuf,

    #[command(flatten)]
    keys: KeyArgs,

    /// The checkpoint file to hold the log against (finds a truncated
    /// tail). Default: KEYRING.audit-checkpoints, when it exists.
    #[arg(long, value_name = "FILE")]
    checkpoints: Option<PathBuf>,
}

/// Arguments of `audit report`.
#[derive(Args, Debug)]
pub struct ReportArgs {
    /// The audit log (chained or not).
    #[arg(value_name = "LOG")]
    log: PathBuf,

    /// One JSON object instead of text: {"events","total","by","alarms","alarm_count","unreadable"}.
    #[arg(long)]
    json: bool,
}

/// `audit …`.
pub fn audit(command: AuditCommand) -> CliResult {
    match command {
        AuditCommand::Verify(a) => verify(a),
        AuditCommand::Report(a) => report(a),
    }
}

fn open_log(path: &Path) -> CliResult<BufReader<std::fs::File>> {
    std::fs::File::open(path).map(BufReader::new).map_err(|e| common::file_error("audit log", path, &e, ""))
}

fn verify(args: VerifyArgs) -> CliResult {
    let log = open_log(&args.log)?;
    let keyring = common::load_keyring(&args.keys)?;
    let default = ChainedAudit::checkpoints_path_for(&args.keys.keys);
    let path = match args.checkpoints {
        Some(path) => Some(path),
        None => default.exists().then_some(default),
    };
    let checkpoints = match &path {
        Some(p) => Some(std::fs::read(p).map_err(|e| common::file_error("checkpoint file", p, &e, ""))?),
        None => None,
    };
    let report = verify_chain(log, &keyring.audit_keys(), checkpoints.as_deref())
        .map_err(|e| CliError::failed(format!("{}: {e}", args.log.display())))?;
    let mut out = std::io::stdout().lock();
    for problem in &report.problems {
        writeln!(out, "{problem}")?;
    }
    let held = match &path {
        Some(p) => format!(
            "{} checkpoint(s) of this log from {} ({} of other logs)",
            report.checkpoints,
            p.display(),
            report.other_checkpoints
        ),
        None => "no checkpoints (a truncated tail cannot be seen)".to_owned(),
    };
    if report.is_intact() {
        common::note(format!("{}: {} lines, chain intact; {held}", args.log.display(), report.lines));
        return Ok(());
    }
    Err(CliError::failed(format!(
        "{}: {} problem(s) in {} lines ({held}); the first: {}",
        args.log.display(),
        report.problems.len(),
        report.lines,
        report.problems[0]
    )))
}

fn report(args: ReportArgs) -> CliResult {
    let summary = summarize(open_log(&args.log)?)
        .map_err(|e| CliError::failed(format!("{}: {e}", args.log.display())))?;
    let mut out = std::io::stdout().lock();
    if args.json {
        let json = serde_json::to_string(&summary).map_err(|e| CliError::failed(e.to_string()))?;
        writeln!(out, "{json}")?;
    } else {
        write_text(&mut out, &summary)?;
    }
    Ok(())
}

fn counts(c: &DecisionCounts) -> String {
    format!("allowed {:>6}  masked {:>6}  refused {:>6}", c.allowed, c.masked, c.refused)
}

fn write_text(out: &mut impl Write, summary: &AuditSummary) -> std::io::Result<()> {
    writeln!(out, "events: {}  ({})", summary.events, counts(&summary.total))?;
    for dimension in DIMENSIONS {
        let Some(groups) = summary.by.get(dimension) else { continue };
        writeln!(out, "\nby {dimension}:")?;
        let width = groups.keys().map(|k| k.chars().count()).max().unwrap_or(0);
        for (value, c) in groups {
            writeln!(out, "  {value:<width$}  {}", counts(c))?;
        }
    }
    writeln!(out, "\nalarms: {}", summary.alarm_count)?;
    for alarm in &summary.alarms {
        writeln!(out, "  line {}: {}", alarm.line, alarm.event)?;
    }
    if summary.unreadable > 0 {
        writeln!(out, "\nunreadable lines (not JSON objects): {}", summary.unreadable)?;
    }
    Ok(())
}
