//! What every subcommand shares: errors, keyring loading, kinds, the
//! `--quiet` switch, file-error messages and seal accounting.

use std::fmt;
use std::io::{self, IsTerminal};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use clap::Args;
use desensitize::keys::PassphraseProvider;
use desensitize::{Keyring, Kind};
use zeroize::Zeroizing;

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
}

/// The passphrase: `--passphrase-file`, else `DESENSITIZE_PASSPHRASE`, else
/// a prompt on the terminal (no echo). `confirm` asks twice (for keygen).
pub fn passphrase(file: Option<&PathBuf>, confirm: bool) -> CliResult<Zeroizing<String>> {
    if let Some(path) = file {
        let text = Zeroizing::new(std::fs::read_to_string(path).map_err(|e| {
            let hint = format!("write the passphrase on its first line, or set {PASSPHRASE_ENV} instead");
            file_error("passphrase file", path, &e, &hint)
        })?);
        let line = text.lines().next().unwrap_or("");
        if line.is_empty() {
            return Err(CliError::usage(format!(
                "the passphrase file {} is empty: write the passphrase on its first line",
                path.display()
            )));
        }
        return Ok(Zeroizing::new(line.to_owned()));
    }
    if let Ok(p) = std::env::var(PASSPHRASE_ENV) {
        if p.is_empty() {
            return Err(CliError::usage(format!("{PASSPHRASE_ENV} is empty")));
        }
        return Ok(Zeroizing::new(p));
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

/// Load and decrypt the keyring of `args`, and remember its seal counts so
/// that [`record_seals`] can later record only this process's seals.
///
/// A missing keyring file is reported (with how to create one) before any
/// passphrase is asked for.
pub fn load_keyring(args: &KeyArgs) -> CliResult<Keyring> {
    check_keyring_file(&args.keys)?;
    let provider = provider(args, false)?;
    let keyring = read_keyring(&args.keys, &provider)?;
    let counts = keyring.keys().iter().map(|k| (k.id, k.seal_count)).collect();
    SEALS_SEEN.lock().unwrap_or_else(|p| p.into_inner()).push((args.keys.clone(), counts));
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

/// `Keyring::load`, with errors that name the file.
pub fn read_keyring(path: &Path, provider: &PassphraseProvider) -> CliResult<Keyring> {
    Keyring::load(path, provider).map_err(|e| match e {
        desensitize::Error::Io(kind) => keyring_error(path, &io::Error::from(kind)),
        other => CliError::failed(format!("keyring file {}: {other}", path.display())),
    })
}

fn keyring_error(path: &Path, e: &io::Error) -> CliError {
    let hint = format!("create one with `desensitize keygen --out {}`", path.display());
    file_error("keyring file", path, e, &hint)
}

/// Seal counts per keyring file already accounted for: the file's own at
/// load, then what [`record_seals`] recorded.
type SealCounts = Vec<(PathBuf, Vec<(u32, u64)>)>;
static SEALS_SEEN: Mutex<SealCounts> = Mutex::new(Vec::new());

/// Record in the seal ledger (`<keys_path>.seals`, see `ledger.rs`) the values
/// `keyring` sealed since it was loaded from `keys_path` by [`load_keyring`]
/// (or since the last call): one appended line per key id, atomic between
/// concurrent processes. Call it once a data-plane command is done sealing,
/// also when it fails part-way (the nonces were used).
///
/// An error names the ledger and says that the counts under-report; the
/// commands print it as a warning and keep their exit code, so that a
/// keyring on a read-only mount still works.
pub fn record_seals(keys_path: &Path, keyring: &Keyring) -> CliResult {
    let now: Vec<(u32, u64)> = keyring.keys().iter().map(|k| (k.id, k.seal_count)).collect();
    let mut seen = SEALS_SEEN.lock().unwrap_or_else(|p| p.into_inner());
    let Some((_, before)) = seen.iter_mut().find(|(p, _)| p == keys_path) else {
        return Err(CliError::failed(format!(
            "cannot record seals: keyring {} was not loaded by this command",
            keys_path.display()
        )));
    };
    let delta: Vec<(u32, u64)> = now
        .iter()
        .map(|&(id, n)| {
            let was = before.iter().find(|(b, _)| *b == id).map_or(0, |&(_, c)| c);
            (id, n.saturating_sub(was))
        })
        .collect();
    crate::ledger::append(keys_path, command_name(), &delta).map_err(|e| {
        let total: u64 = delta.iter().map(|(_, n)| n).sum();
        CliError::failed(format!(
            "could not record {total} seals in {}: {}; `keys list` under-reports them",
            crate::ledger::path_for(keys_path).display(),
            io_reason(&e)
        ))
    })?;
    *before = now;
    Ok(())
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
