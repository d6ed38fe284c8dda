//! `keygen` and `keys …`: create and manage a protected keyring file.
//!
//! Nothing here ever prints key material: only key ids, states and counts.
//! Every change is written back with `Keyring::save`, which replaces the
//! file atomically (temporary file, fsync, rename; mode 0600 on Unix).

use std::path::PathBuf;

use clap::{Args, Subcommand};
use desensitize::Keyring;
use desensitize::keys::{KeyInfo, KeyProvider, KeyState, Ledger, NonceBudget, PassphraseProvider, Suite};
use desensitize::pseudo::Domain;

use crate::clash::{self, Kept};
use crate::common::{self, CliError, CliResult, KeyArgs};

/// Arguments of `keygen`.
#[derive(Args, Debug)]
pub struct KeygenArgs {
    /// The keyring file to create.
    #[arg(long, short = 'o', value_name = "FILE")]
    out: PathBuf,

    /// Read the passphrase from the first line of this file (else
    /// DESENSITIZE_PASSPHRASE, else a prompt that asks twice).
    #[arg(long, value_name = "FILE")]
    passphrase_file: Option<PathBuf>,

    /// Replace an existing file (its keys are lost for good).
    #[arg(long)]
    force: bool,

    #[command(flatten)]
    pkcs11: Pkcs11Args,

    /// The cipher suite of the key: `aes` (AES-256, SHA-256) or `gm`
    /// (SM4, SM3: China's commercial cryptography standards).
    #[arg(long, value_name = "SUITE", default_value = "aes", value_parser = parse_suite)]
    suite: Suite,
}

/// `--suite aes|gm`.
fn parse_suite(s: &str) -> Result<Suite, String> {
    s.parse().map_err(|_| format!("unknown suite `{s}`: expected `aes` or `gm`"))
}

/// Arguments of `keys rotate`.
#[derive(Args, Debug)]
pub struct RotateArgs {
    #[command(flatten)]
    keys: KeyArgs,

    /// The new key's cipher suite (`aes` or `gm`); default: the active
    /// key's. `--suite gm` moves an `aes` keyring to `gm`: re-seal
    /// afterwards (`desensitize db rotate`).
    #[arg(long, value_name = "SUITE", value_parser = parse_suite)]
    suite: Option<Suite>,
}

/// Environment variable with the PKCS#11 token's user PIN.
#[cfg(feature = "pkcs11")]
pub const PKCS11_PIN_ENV: &str = "DESENSITIZE_PKCS11_PIN";

/// A keyring file wrapped by an AES key inside a PKCS#11 token (an HSM,
/// SoftHSM2) instead of a passphrase: needs the `pkcs11` feature.
#[derive(Args, Debug, Default, Clone)]
pub struct Pkcs11Args {
    /// The token's PKCS#11 module (e.g. /usr/lib/softhsm/libsofthsm2.so): the keyring file is wrapped
    /// by a key in the token, not by a passphrase. The user PIN comes from --pkcs11-pin-file or
    /// DESENSITIZE_PKCS11_PIN, never from the command line.
    #[arg(long, value_name = "FILE", requires_all = ["token", "key_label"], conflicts_with = "passphrase_file")]
    pub pkcs11_module: Option<PathBuf>,

    /// The label of the PKCS#11 token.
    #[arg(long, value_name = "LABEL", requires = "pkcs11_module")]
    pub token: Option<String>,

    /// The label of the AES key in the token (`keygen` creates it, sensitive and not extractable,
    /// when the token has none).
    #[arg(long, value_name = "LABEL", requires = "pkcs11_module")]
    pub key_label: Option<String>,

    /// Read the token's user PIN from the first line of this file (else DESENSITIZE_PKCS11_PIN).
    #[arg(long, value_name = "FILE", requires = "pkcs11_module")]
    pub pkcs11_pin_file: Option<PathBuf>,
}

impl Pkcs11Args {
    /// The token's key provider when --pkcs11-module is given; `create`:
    /// generate the key when the token has none with the label (keygen).
    pub fn provider(&self, create: bool) -> CliResult<Option<Box<dyn KeyProvider>>> {
        let Some(module) = &self.pkcs11_module else { return Ok(None) };
        open_token(module, self, create).map(Some)
    }
}

#[cfg(feature = "pkcs11")]
fn open_token(module: &std::path::Path, args: &Pkcs11Args, create: bool) -> CliResult<Box<dyn KeyProvider>> {
    use desensitize::keys::{PassphraseSource, Pkcs11Provider};
    let source = match &args.pkcs11_pin_file {
        Some(path) => PassphraseSource::File(path.clone()),
        None => PassphraseSource::Env(PKCS11_PIN_ENV.to_owned()),
    };
    let pin = source.read().map_err(|e| {
        CliError::usage(format!("the PKCS#11 PIN: {e} (give --pkcs11-pin-file or set {PKCS11_PIN_ENV})"))
    })?;
    let (token, label) = (args.token.as_deref().unwrap_or(""), args.key_label.as_deref().unwrap_or(""));
    let open = if create { Pkcs11Provider::open_or_create } else { Pkcs11Provider::open };
    let hsm = open(module, token, &pin, label).map_err(|e| {
        CliError::failed(format!("{e} (module {}, token {token:?}, key {label:?})", module.display()))
    })?;
    Ok(Box::new(hsm))
}

#[cfg(not(feature = "pkcs11"))]
fn open_token(_: &std::path::Path, _: &Pkcs11Args, _: bool) -> CliResult<Box<dyn KeyProvider>> {
    Err(CliError::usage("--pkcs11-module: this desensitize was built without the `pkcs11` feature"))
}

/// `keys` subcommands.
#[derive(Subcommand, Debug)]
pub enum KeysCommand {
    /// Add a fresh active key; the old active key becomes decrypt-only.
    /// Prints the new key id on stdout.
    Rotate(RotateArgs),
    /// List key ids, states, seal counts, pins and cipher suites (never key material).
    #[command(after_help = LEDGER_HELP)]
    List(ListArgs),
    /// Pin an analytics domain to a key in all three namespaces at once
    /// (pseudonym tokens, blind indexes and format-preserving pseudonyms), so
    /// that its tokens, indexes and FPE values survive rotation.
    Pin(PinArgs),
    /// Erase a decrypt-only key. Refused for the active key, for a key an
    /// analytics domain is pinned to, and while --remaining is not 0.
    Destroy(DestroyArgs),
}

/// How seal counts are kept.
const LEDGER_HELP: &str = "SEALS is the count saved in the keyring file plus the seal ledger KEYRING.seals \
    (e.g. keys.dzk.seals), to which `seal`, `run`, `db rotate` and the library append one line per \
    key they sealed under: \
    `dzseals1 <key id> <count> <unix seconds> <command>`. Appends are atomic between concurrent \
    commands; the file is created 0600 and never followed through a symlink. The count is an advisory \
    upper bound for the nonce budget of the key's suite: a `gm` key is flagged past 2^47 seals \
    (rotate it) and refuses to seal at 2^48 until rotated; an `aes` key (XAES-256-GCM, 2^80) has no \
    limit a counter reaches. The ledger is not authenticated, and deleting it only makes the counts \
    under-report. `keygen` starts a new ledger.";

/// Arguments of `keys list`.
#[derive(Args, Debug)]
pub struct ListArgs {
    #[command(flatten)]
    keys: KeyArgs,

    /// One JSON object per key and line: {"id","state","seal_count","seal_count_file",
    /// "seal_count_ledger","nonce_budget","pinned","pinned_domains"}; seal_count is the sum
    /// of the two; nonce_budget is "within", "warning" (past half the suite's budget: rotate)
    /// or "exhausted" (a `gm` key at 2^48 seals; an `aes` key is always "within").
    #[arg(long)]
    json: bool,
}

/// Arguments of `keys pin`.
///
/// One `--domain` pins three namespaces to the key: `pseudonym:<domain>`
/// (tokens), `blind_index:<domain>` (blind indexes) and `fpe:<domain>`
/// (format-preserving pseudonyms). The key must exist and not be destroyed.
#[derive(Args, Debug)]
pub struct PinArgs {
    #[command(flatten)]
    keys: KeyArgs,

    /// The analytics domain (1-64 characters of a-z 0-9 . _ -). Pins its
    /// pseudonym, blind-index and FPE namespaces, all three.
    #[arg(long, value_name = "DOMAIN")]
    domain: String,

    /// The key the domain's tokens, blind indexes and FPE values are made
    /// with from now on.
    #[arg(long, value_name = "ID")]
    key_id: u32,
}

/// Arguments of `keys destroy`.
#[derive(Args, Debug)]
pub struct DestroyArgs {
    #[command(flatten)]
    keys: KeyArgs,

    /// The key to destroy.
    #[arg(long, value_name = "ID")]
    key_id: u32,

    /// How many values are still sealed under this key (from your re-seal
    /// report). Destruction is refused unless this is 0. `keys list` shows
    /// how many were ever sealed under it (an upper bound, not what remains).
    #[arg(long, value_name = "COUNT")]
    remaining: u64,
}

/// `keygen`: a new keyring with one active key, saved under a passphrase.
pub fn keygen(args: KeygenArgs) -> CliResult {
    clash::refuse_symlink(&args.out)?;
    Kept::new()
        .file("the passphrase file", args.passphrase_file.as_deref())
        .refuse_kept("--out", &args.out)?;
    if args.out.exists() && !args.force {
        return Err(CliError::usage(format!(
            "{} already exists; use --force to replace it (its keys would be lost)",
            args.out.display()
        )));
    }
    let provider: Box<dyn KeyProvider> = match args.pkcs11.provider(true)? {
        Some(hsm) => hsm,
        None => Box::new(PassphraseProvider::new(&common::passphrase(args.passphrase_file.as_ref(), true)?)?),
    };
    let keyring = Keyring::generate_with(args.suite)?;
    keyring.save(&args.out, &*provider).map_err(|e| match e {
        desensitize::Error::Io(kind) => CliError::failed(format!(
            "cannot write keyring file {}: {}",
            args.out.display(),
            if kind == std::io::ErrorKind::NotFound {
                "its directory does not exist".to_owned()
            } else {
                kind.to_string()
            }
        )),
        other => other.into(),
    })?;
    // A new keyring starts from zero seals: a ledger left by a replaced
    // keyring would count its keys' seals against the new ones.
    if let Err(e) = Ledger::remove(&args.out) {
        common::warn(&CliError::failed(format!(
            "cannot remove the old seal ledger {}: {}; `keys list` will over-report",
            Ledger::path_for(&args.out).display(),
            common::io_reason(&e)
        )));
    }
    let active = keyring.active_key_id().unwrap_or(1);
    common::note(format!("created {} with active key {active} ({})", args.out.display(), args.suite));
    Ok(())
}

/// `keys …`.
pub fn keys(command: KeysCommand) -> CliResult {
    match command {
        KeysCommand::Rotate(args) => rotate(&args),
        KeysCommand::List(args) => list(&args),
        KeysCommand::Pin(args) => pin(&args),
        KeysCommand::Destroy(args) => destroy(&args),
    }
}

/// Load the keyring, apply `change`, save it with the same passphrase and
/// the Argon2id parameters the file was written with (never weaker
/// defaults: a file made with stronger ones stays as strong).
fn update<R>(args: &KeyArgs, change: impl FnOnce(&mut Keyring) -> CliResult<R>) -> CliResult<R> {
    clash::refuse_symlink(&args.keys)?;
    let bytes = desensitize::keys::read_keyring_file(&args.keys)
        .map_err(|e| CliError::failed(format!("cannot read the keyring {}: {e}", args.keys.display())))?;
    let provider: Box<dyn KeyProvider> = match args.pkcs11.provider(false)? {
        Some(hsm) => hsm,
        None => {
            let stored = PassphraseProvider::stored_params(&bytes)?;
            let pass = common::passphrase(args.passphrase_file.as_ref(), false)?;
            Box::new(PassphraseProvider::new(&pass)?.with_costs(stored)?)
        }
    };
    let mut keyring = Keyring::from_protected_bytes(&bytes, &*provider)?;
    // With its ledger: counts shown are totals, and saving over the file
    // keeps the file's counts apart from the ledger's.
    common::attach_ledger(&mut keyring, &args.keys)?;
    let result = change(&mut keyring)?;
    keyring.save(&args.keys, &*provider)?;
    Ok(result)
}

fn rotate(args: &RotateArgs) -> CliResult {
    let mut suite = Suite::Aes;
    let id = update(&args.keys, |k| {
        let id = match args.suite {
            Some(s) => k.rotate_to(s)?,
            None => k.rotate()?,
        };
        suite = k.suite_of(id).unwrap_or_default();
        Ok(id)
    })?;
    println!("{id}");
    eprintln!(
        "rotated {}: key {id} ({suite}) is now active; re-seal values under older keys",
        args.keys.keys.display()
    );
    Ok(())
}

fn pin(args: &PinArgs) -> CliResult {
    let domain = Domain::new(&args.domain)?;
    update(&args.keys, |k| Ok(k.pin(&domain, args.key_id)?))?;
    eprintln!(
        "pinned domain {0} to key {1} (pseudonym:{0}, blind_index:{0}, fpe:{0})",
        domain.name(),
        args.key_id
    );
    Ok(())
}

fn destroy(args: &DestroyArgs) -> CliResult {
    let mut sealed = 0;
    update(&args.keys, |k| {
        sealed = k.keys().iter().find(|c| c.id == args.key_id).map_or(0, |c| c.seal_count);
        Ok(k.destroy(args.key_id, args.remaining)?)
    })?;
    common::note(format!(
        "destroyed key {} (it sealed at most {sealed} values); values still under it can no longer be opened",
        args.key_id
    ));
    Ok(())
}

/// `within`, `warning` or `exhausted`.
fn budget_name(k: &KeyInfo) -> &'static str {
    match k.nonce_budget() {
        NonceBudget::Within => "within",
        NonceBudget::Warning => "warning",
        NonceBudget::Exhausted => "exhausted",
    }
}

fn list(args: &ListArgs) -> CliResult {
    let keyring = common::load_keyring(&args.keys)?;
    let keys = keyring.keys();
    let skipped = keyring.ledger().map_or(0, |l| l.skipped_lines());
    if skipped > 0 {
        common::warn(&CliError::failed(format!(
            "{skipped} unreadable lines in the seal ledger {} were ignored",
            Ledger::path_for(&args.keys.keys).display()
        )));
    }
    let pins = keyring.pins();
    // Domain names pinned to each key, in key order.
    let pinned: Vec<Vec<&str>> = keys
        .iter()
        .map(|k| pins.iter().filter(|(_, id)| *id == k.id).map(|(d, _)| d.name()).collect())
        .collect();

    let mut out = String::new();
    if args.json {
        for (k, pinned) in keys.iter().zip(&pinned) {
            let line = serde_json::json!({
                "id": k.id,
                "state": k.state.as_str(),
                "seal_count": k.seal_count,
                "seal_count_file": k.seal_count.saturating_sub(k.ledger_seals),
                "seal_count_ledger": k.ledger_seals,
                "nonce_budget": budget_name(k),
                "pinned": !pinned.is_empty(),
                "pinned_domains": pinned,
                "suite": k.suite.as_str(),
            });
            out.push_str(&line.to_string());
            out.push('\n');
        }
    } else {
        out.push_str(&format!(
            "{:>6}  {:<12}  {:>12}  {:<6}  {}\n",
            "ID", "STATE", "SEALS", "PINNED", "SUITE"
        ));
        for (k, pinned) in keys.iter().zip(&pinned) {
            out.push_str(&format!(
                "{:>6}  {:<12}  {:>12}  {:<6}  {}\n",
                k.id,
                k.state.as_str(),
                k.seal_count,
                if pinned.is_empty() { "-".to_owned() } else { pinned.join(",") },
                k.suite,
            ));
        }
    }
    print!("{out}");
    for k in keys.iter().filter(|k| k.state == KeyState::Active) {
        budget_warning(k);
    }
    Ok(())
}

/// Advice on stderr for a key past half its suite's nonce budget, naming
/// the suite's figure.
fn budget_warning(k: &KeyInfo) {
    let Some((_, budget)) = NonceBudget::limits(k.suite) else { return };
    let figure = format!("2^{} nonce budget of a `{}` key", budget.trailing_zeros(), k.suite);
    match k.nonce_budget() {
        NonceBudget::Within => {}
        NonceBudget::Warning => eprintln!(
            "desensitize: key {} has sealed {} values, past half its {figure}: \
             rotate it (`desensitize keys rotate`) and re-seal",
            k.id, k.seal_count
        ),
        NonceBudget::Exhausted => eprintln!(
            "desensitize: key {} has sealed {} values, its whole {figure}: it refuses \
             to seal; rotate it (`desensitize keys rotate`) and re-seal",
            k.id, k.seal_count
        ),
    }
}
