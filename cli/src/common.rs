//! What every subcommand shares: errors, keyring loading, kinds.

use std::fmt;
use std::io::IsTerminal;
use std::path::PathBuf;

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
        let text = Zeroizing::new(std::fs::read_to_string(path)?);
        let line = text.lines().next().unwrap_or("");
        if line.is_empty() {
            return Err(CliError::usage("the passphrase file is empty"));
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

/// Load and decrypt the keyring of `args`.
pub fn load_keyring(args: &KeyArgs) -> CliResult<Keyring> {
    let provider = provider(args, false)?;
    Ok(Keyring::load(&args.keys, &provider)?)
}

/// Parse a kind name (`id_number`, `cn.id_number`, `mobile-phone`, ...).
pub fn parse_kind(s: &str) -> Result<Kind, String> {
    s.parse::<Kind>().map_err(|_| {
        let names: Vec<&str> = Kind::ALL.iter().map(|k| k.as_str()).collect();
        format!("unknown kind; one of: {}", names.join(", "))
    })
}
