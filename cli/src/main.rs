//! `desensitize`: bulk protection of personal data in CSV and JSON Lines files.
//!
//! Every subcommand reads values or records, never prints plaintext unless
//! the subcommand's job is to (`open`), and exits non-zero with a message
//! that names rows and columns, never values.

mod access_cmd;
mod audit_cmd;
mod clash;
mod common;
mod context_args;
mod db;
mod db_url;
mod fake;
mod input;
mod keys_cmd;
mod policy;
mod redact;
mod risk;
mod run;
mod scan;
mod single;
mod value_column;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Field-level protection of personal data: mask, seal, pseudonymize and
/// generalize CSV / JSON Lines files under a policy.
#[derive(Parser)]
#[command(name = "desensitize", version, about, long_about = None)]
struct Cli {
    /// No progress bar, no summary and no notes on stderr (warnings, errors
    /// and audit events still print).
    #[arg(long, short, global = true)]
    quiet: bool,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create a protected keyring file with one fresh active key.
    Keygen(keys_cmd::KeygenArgs),
    /// Manage the keys of a keyring file.
    #[command(subcommand)]
    Keys(keys_cmd::KeysCommand),
    /// Validate one value per line (stdin) and print JSON facts per line.
    Inspect(single::InspectArgs),
    /// Mask one value per line.
    Mask(single::MaskArgs),
    /// Seal one value per line, or a column of CSV / JSON Lines records.
    #[command(after_long_help = context_args::CONTEXT_HELP)]
    Seal(single::SealArgs),
    /// Open one sealed value per line, or a column of records (prints plaintext: audited).
    #[command(long_about = context_args::OPEN_LONG_ABOUT)]
    Open(single::OpenArgs),
    /// Keyed pseudonym token of one value per line.
    Pseudonym(single::PseudonymArgs),
    /// Apply a policy to a CSV or JSON Lines file.
    Run(run::RunArgs),
    /// Deterministic synthetic records with valid check digits.
    Fake(fake::FakeArgs),
    /// Check a chained audit log, or summarize one.
    #[command(subcommand)]
    Audit(audit_cmd::AuditCommand),
    /// Find personal data in free text (logs, tickets, prompts) and mask or replace it.
    Redact(redact::RedactArgs),
    /// Which columns of a CSV / JSON Lines file hold personal data; draft a policy.
    Scan(scan::ScanArgs),
    /// Re-identification risk over quasi-identifiers; `--optimize` finds the least generalization.
    Risk(risk::RiskArgs),
    /// Work on sealed columns in a database (PostgreSQL; `postgres` feature).
    #[command(subcommand)]
    Db(db::DbCommand),
    /// Access rules: lift a principal's reveal budget refusal.
    #[command(subcommand)]
    Access(access_cmd::AccessCommand),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    common::set_quiet(cli.quiet);
    let result = match cli.command {
        Command::Keygen(a) => keys_cmd::keygen(a),
        Command::Keys(c) => keys_cmd::keys(c),
        Command::Inspect(a) => single::inspect(a),
        Command::Mask(a) => single::mask(a),
        Command::Seal(a) => single::seal(a),
        Command::Open(a) => single::open(a),
        Command::Pseudonym(a) => single::pseudonym(a),
        Command::Run(a) => run::run(a, cli.quiet),
        Command::Fake(a) => fake::fake(a),
        Command::Audit(c) => audit_cmd::audit(c),
        Command::Redact(a) => redact::redact(a),
        Command::Scan(a) => scan::scan(a),
        Command::Risk(a) => risk::risk(a),
        Command::Db(c) => db::db(c),
        Command::Access(c) => access_cmd::access(c),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("desensitize: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}
