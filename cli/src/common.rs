//! What every subcommand shares: errors, keyring loading, kinds, the
//! `--quiet` switch, file-error messages and seal accounting.

use std::fmt;
use std::io::{self, IsTerminal};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use clap::{Args, ValueEnum};
use desensitize::audit::{AuditLogError, ChainedAudit};
use desensitize::keys::{Ledger, PassphraseError, PassphraseProvider, PassphraseSource};
use desensitize::stream;
use desensitize::{Keyring, Kind};
use zeroize::Zeroizing;

/// The file format of records: `run`'s input and output, `fake`'s output,
/// and stdin/stdout of `seal`/`open`/... with `--value-column`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// CSV (RFC 4180) with a header row.
    Csv,
    /// JSON Lines: one object per line.
    Jsonl,
}

impl Format {
    /// The format a file name says: `.csv`, or `.jsonl` / `.ndjson` (any case).
    pub fn of_path(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "csv" => Some(Format::Csv),
            "jsonl" | "ndjson" => Some(Format::Jsonl),
            _ => None,
        }
    }

    /// The library's name for it.
    pub fn stream(self) -> stream::Format {
        match self {
            Format::Csv => stream::Format::Csv,
            Format::Jsonl => stream::Format::JsonLines,
        }
    }
}

/// Environment variable holding the keyring passphrase, for automation.
pub const PASSPHRASE_ENV: &str = "DESENSITIZE_PASSPHRASE";

/// A command failure: a message that never contains a value, and an exit code.
#[derive(Debug)]
pub struct CliError {
    message: String,
    code: u8,
}

impl CliError {
    /// A usage or input problem (exit code 2).
    pub fn usage(message: impl Into<String>) -> CliError {
        CliError { message: message.into(), code: 2 }
    }

    /// A failure while processing data (exit code 1).
    pub fn failed(message: impl Into<String>) -> CliError {
        CliError { message: message.into(), code: 1 }
    }

    pub fn exit_code(&self) -> u8 {
        self.code
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// Library errors are value-free by construction, so they pass through.
impl From<desensitize::Error> for CliError {
    fn from(e: desensitize::Error) -> CliError {
        CliError::failed(e.to_string())
    }
}

impl From<std::io::Error> for CliError {
    fn from(e: std::io::Error) -> CliError {
        CliError::failed(format!("I/O error: {}", e.kind()))
    }
}

pub type CliResult<T = ()> = Result<T, CliError>;

/// The global `--quiet` switch, set once by `main`.
static QUIET: AtomicBool = AtomicBool::new(false);

/// Set by `main` from `--quiet`.
pub fn set_quiet(quiet: bool) {
    QUIET.store(quiet, Ordering::Relaxed);
}

/// A progress note on stderr ("created ...", "destroyed ..."), silenced by
/// `--quiet`. Warnings and errors are not notes: they always print.
pub fn note(message: impl fmt::Display) {
    if !QUIET.load(Ordering::Relaxed) {
        eprintln!("{message}");
    }
}

/// A message for a file that could not be opened or read: names the file
/// and its role, says what is wrong, and what to do when `hint` helps.
/// `what` is the role ("keyring file", "passphrase file", "input file").
pub fn file_error(what: &str, path: &Path, e: &io::Error, hint: &str) -> CliError {
    let shown = path.display();
    let message = match e.kind() {
        io::ErrorKind::NotFound => format!("{what} {shown} not found"),
        io::ErrorKind::PermissionDenied => format!("cannot read {what} {shown}: permission denied"),
        io::ErrorKind::IsADirectory => format!("{what} {shown} is a directory, not a file"),
        kind => format!("cannot read {what} {shown}: {kind}"),
    };
    if hint.is_empty() || e.kind() != io::ErrorKind::NotFound {
        CliError::usage(message)
    } else {
        CliError::usage(format!("{message}; {hint}"))
    }
}

/// Where the keyring file and its passphrase come from. The passphrase is
/// never a plain argument (it would show in `ps` and shell history).
#[derive(Args, Debug, Clone)]
pub struct KeyArgs {
    /// The protected keyring file.
    #[arg(long = "keys", value_name = "FILE")]
    pub keys: PathBuf,

    /// Read the passphrase from the first line of this file.
    #[arg(long, value_name = "FILE")]
    pub passphrase_file: Option<PathBuf>,

    #[command(flatten)]
    pub pkcs11: crate::keys_cmd::Pkcs11Args,
}

/// The passphrase: `--passphrase-file`, else `DESENSITIZE_PASSPHRASE`, else
/// a prompt on the terminal (no echo). `confirm` asks twice (for keygen).
/// The file and the variable are read by the library ([`PassphraseSource`]).
pub fn passphrase(file: Option<&PathBuf>, confirm: bool) -> CliResult<Zeroizing<String>> {
    if let Some(path) = file {
        let (pass, warning) = PassphraseSource::File(path.clone()).read_checked().map_err(|e| match e {
            PassphraseError::Unreadable(kind) => {
                let hint = format!("write the passphrase on its first line, or set {PASSPHRASE_ENV} instead");
                file_error("passphrase file", path, &io::Error::from(kind), &hint)
            }
            PassphraseError::NotText => {
                file_error("passphrase file", path, &io::Error::from(io::ErrorKind::InvalidData), "")
            }
            _ => CliError::usage(format!(
                "the passphrase file {} is empty: write the passphrase on its first line",
                path.display()
            )),
        })?;
        if let Some(warning) = warning {
            warn(&CliError::failed(format!("{}: {warning}", path.display())));
        }
        return Ok(pass);
    }
    match PassphraseSource::Env(PASSPHRASE_ENV.to_owned()).read() {
        Ok(p) => return Ok(p),
        Err(PassphraseError::EnvEmpty) => return Err(CliError::usage(format!("{PASSPHRASE_ENV} is empty"))),
        Err(_) => {}
    }
    if !std::io::stdin().is_terminal() && !std::io::stderr().is_terminal() {
        return Err(CliError::usage(format!(
            "no passphrase: use --passphrase-file or {PASSPHRASE_ENV} when not on a terminal"
        )));
    }
    let first = Zeroizing::new(rpassword::prompt_password("Keyring passphrase: ")?);
    if first.is_empty() {
        return Err(CliError::usage("empty passphrase"));
    }
    if confirm {
        let again = Zeroizing::new(rpassword::prompt_password("Repeat passphrase: ")?);
        if *again != *first {
            return Err(CliError::usage("the passphrases differ"));
        }
    }
    Ok(first)
}

/// The passphrase provider for `args`.
pub fn provider(args: &KeyArgs, confirm: bool) -> CliResult<PassphraseProvider> {
    let pass = passphrase(args.passphrase_file.as_ref(), confirm)?;
    Ok(PassphraseProvider::new(&pass)?)
}

/// Load and decrypt the keyring of `args` with its seal ledger attached
/// (`Keyring::load`), so that every value it seals is counted there, under
/// this subcommand's name.
///
/// A missing keyring file is reported (with how to create one) before any
/// passphrase is asked for.
pub fn load_keyring(args: &KeyArgs) -> CliResult<Keyring> {
    check_keyring_file(&args.keys)?;
    let mut keyring = match args.pkcs11.provider(false)? {
        Some(hsm) => read_keyring(&args.keys, &*hsm)?,
        None => read_keyring(&args.keys, &provider(args, false)?)?,
    };
    keyring.set_ledger_label(command_name());
    Ok(keyring)
}

/// Refuse a keyring path that is missing or not a file, with a message that
/// names it and says how to create one: call it before asking for the
/// passphrase.
pub fn check_keyring_file(path: &Path) -> CliResult {
    match std::fs::metadata(path) {
        Ok(m) if m.is_dir() => Err(keyring_error(path, &io::Error::from(io::ErrorKind::IsADirectory))),
        Ok(_) => Ok(()),
        Err(e) => Err(keyring_error(path, &e)),
    }
}

/// `Keyring::load` (the keyring file, then its seal ledger), with errors
/// that name the file they are about.
pub fn read_keyring(path: &Path, provider: &dyn desensitize::keys::KeyProvider) -> CliResult<Keyring> {
    let bytes = desensitize::keys::read_keyring_file(path).map_err(|e| keyring_file_error(path, e))?;
    let mut keyring =
        Keyring::from_protected_bytes(&bytes, provider).map_err(|e| keyring_file_error(path, e))?;
    attach_ledger(&mut keyring, path)?;
    Ok(keyring)
}

/// Attach the seal ledger of the keyring file `path` (what `Keyring::load`
/// does); a ledger that cannot be read is refused: the nonce budget needs it.
pub fn attach_ledger(keyring: &mut Keyring, path: &Path) -> CliResult {
    keyring.attach_ledger(path).map_err(|e| {
        let why = match e {
            desensitize::Error::Io(io::ErrorKind::InvalidInput) => {
                "a symlink or not a regular file".to_owned()
            }
            desensitize::Error::Io(kind) => kind.to_string(),
            other => other.to_string(),
        };
        CliError::failed(format!(
            "cannot read the seal ledger {}: {why}; the nonce budget needs its counts",
            Ledger::path_for(path).display()
        ))
    })
}

fn keyring_file_error(path: &Path, e: desensitize::Error) -> CliError {
    match e {
        desensitize::Error::Io(kind) => keyring_error(path, &io::Error::from(kind)),
        other => CliError::failed(format!("keyring file {}: {other}", path.display())),
    }
}

fn keyring_error(path: &Path, e: &io::Error) -> CliError {
    let hint = format!("create one with `desensitize keygen --out {}`", path.display());
    file_error("keyring file", path, e, &hint)
}

/// Record in the seal ledger (`<keys_path>.seals`) the values `keyring`
/// sealed since it was loaded by [`load_keyring`] (`Keyring::record_seals`):
/// one appended line per key id, atomic between concurrent processes. Call
/// it once a data-plane command is done sealing, also when it fails
/// part-way (the nonces were used).
///
/// An error names the ledger and says that the counts under-report; the
/// commands print it as a warning and keep their exit code, so that a
/// keyring on a read-only mount still works.
pub fn record_seals(keys_path: &Path, keyring: &Keyring) -> CliResult {
    keyring.record_seals().map(drop).map_err(|e| {
        let why = match e {
            desensitize::Error::Io(kind) => kind.to_string(),
            other => other.to_string(),
        };
        CliError::failed(format!(
            "could not record this command's seals in {}: {why}; `keys list` under-reports them",
            Ledger::path_for(keys_path).display()
        ))
    })
}

/// Print a value-free warning on stderr (never silenced by `--quiet`).
pub fn warn(e: &CliError) {
    eprintln!("desensitize: warning: {e}");
}

/// The subcommand name for ledger lines (`seal`, `run`, ...).
fn command_name() -> &'static str {
    static NAME: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    NAME.get_or_init(|| {
        // The first word that is not a flag (`desensitize -q seal ...`).
        let arg = std::env::args().skip(1).find(|a| !a.starts_with('-')).unwrap_or_default();
        if !arg.is_empty() && arg.bytes().all(|b| b.is_ascii_lowercase() || b == b'-') {
            arg
        } else {
            "cli".to_owned()
        }
    })
}

/// An I/O error in words: its message for our own errors (`is a symlink`),
/// else its kind.
pub fn io_reason(e: &io::Error) -> String {
    match e.get_ref() {
        Some(inner) => inner.to_string(),
        None => e.kind().to_string(),
    }
}

/// Parse a kind name (`id_number`, `cn.id_number`, `mobile-phone`, ...).
pub fn parse_kind(s: &str) -> Result<Kind, String> {
    s.parse::<Kind>().map_err(|_| {
        let names: Vec<&str> = Kind::ALL.iter().map(|k| k.as_str()).collect();
        format!("unknown kind; one of: {}", names.join(", "))
    })
}

/// Lines between two checkpoints of a chained audit log (and one more at
/// the end of each command).
pub const CHECKPOINT_EVERY: u64 = 1000;

/// The `--audit` log of `open` and `db rotate`: never the keyring, its seal
/// ledger or the passphrase file (nor any keyring file or ledger), opened by
/// the library's one opener: created 0600, appended to, never through a
/// symbolic link, never a device that records nothing. Its lines are
/// chained under the keyring's audit keys, with checkpoints beside the
/// keyring (`KEYRING.audit-checkpoints`).
pub fn audit_log(path: &Path, keys: &KeyArgs, keyring: &Keyring) -> CliResult<ChainedAudit> {
    let checkpoints = ChainedAudit::checkpoints_path_for(&keys.keys);
    let kept = crate::clash::Kept::new().keyring(Some(&keys.keys));
    let kept = kept.file("the passphrase file", keys.passphrase_file.as_deref());
    let kept = kept.file("the audit checkpoints of the keyring", Some(&checkpoints));
    kept.refuse("the audit log (--audit)", path)?;
    let log =
        ChainedAudit::open(path, keyring.audit_keys()).map_err(|e| audit_log_error("--audit", path, e))?;
    log.with_checkpoints(&checkpoints, CHECKPOINT_EVERY)
        .map_err(|e| audit_log_error("the audit checkpoints", &checkpoints, e))
}

/// The checkpoint a command appends when done with a chained audit log.
pub fn audit_checkpoint(log: &ChainedAudit) -> CliResult {
    log.checkpoint().map(drop).map_err(|e| {
        CliError::failed(format!(
            "{e}: the audit checkpoint could not be written (the events are in the log)"
        ))
    })
}

fn audit_log_error(what: &str, path: &Path, e: AuditLogError) -> CliError {
    match e {
        AuditLogError::SymbolicLink => {
            CliError::usage(format!("{what} {} is a symbolic link; give the log file itself", path.display()))
        }
        AuditLogError::RecordsNothing(device) => CliError::usage(format!(
            "{what} {}: {device} records nothing, so no open could be accounted for; give a log file",
            path.display()
        )),
        AuditLogError::Open(kind) => CliError::failed(format!(
            "cannot open {} {}: {kind}",
            if what == "--audit" { "the audit log" } else { what },
            path.display()
        )),
        other => CliError::failed(format!("{what} {}: {other}", path.display())),
    }
}
