//! `keygen` and `keys …`: create and manage a protected keyring file.
//!
//! Nothing here ever prints key material: only key ids, states and counts.
//! Every change is written back with `Keyring::save`, which replaces the
//! file atomically (temporary file, fsync, rename; mode 0600 on Unix).

use std::path::PathBuf;

use clap::{Args, Subcommand};
use desensitize::Keyring;
use desensitize::keys::KeyState;
use desensitize::keys::PassphraseProvider;
use desensitize::pseudo::Domain;

use crate::common::{self, CliError, CliResult, KeyArgs};
use crate::ledger;

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
}

/// `keys` subcommands.
#[derive(Subcommand, Debug)]
pub enum KeysCommand {
    /// Add a fresh active key; the old active key becomes decrypt-only.
    /// Prints the new key id on stdout.
    Rotate(KeyArgs),
    /// List key ids, states and seal counts (never key material).
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
    (e.g. keys.dzk.seals), to which `seal` and `run` append one line per key they sealed under: \
    `dzseals1 <key id> <count> <unix seconds> <command>`. Appends are atomic between concurrent \
    commands; the file is created 0600 and never followed through a symlink. The count is an advisory \
    upper bound for the nonce budget (rotate well before 2^32 seals per key): the ledger is not \
    authenticated, and deleting it only makes the counts under-report. `keygen` starts a new ledger.";

/// A key past this many seals gets the advice to rotate (half the 2^32
/// random-nonce budget of NIST SP 800-38D).
const ROTATE_ADVICE_AT: u64 = 1 << 31;

/// Arguments of `keys list`.
#[derive(Args, Debug)]
pub struct ListArgs {
    #[command(flatten)]
    keys: KeyArgs,

    /// One JSON object per key and line: {"id","state","seal_count","seal_count_file",
    /// "seal_count_ledger","pinned","pinned_domains"}; seal_count is the sum of the two.
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
    if args.out.exists() && !args.force {
        return Err(CliError::usage(format!(
            "{} already exists; use --force to replace it (its keys would be lost)",
            args.out.display()
        )));
    }
    let pass = common::passphrase(args.passphrase_file.as_ref(), true)?;
    let provider = PassphraseProvider::new(&pass)?;
    let keyring = Keyring::generate()?;
    keyring.save(&args.out, &provider).map_err(|e| match e {
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
    if let Err(e) = ledger::remove(&args.out) {
        common::warn(&CliError::failed(format!(
            "cannot remove the old seal ledger {}: {}; `keys list` will over-report",
            ledger::path_for(&args.out).display(),
            common::io_reason(&e)
        )));
    }
    let active = keyring.active_key_id().unwrap_or(1);
    common::note(format!("created {} with active key {active}", args.out.display()));
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
    let bytes = desensitize::keys::read_keyring_file(&args.keys)
        .map_err(|e| CliError::failed(format!("cannot read the keyring {}: {e}", args.keys.display())))?;
    let stored = PassphraseProvider::stored_params(&bytes)?;
    let pass = common::passphrase(args.passphrase_file.as_ref(), false)?;
    let provider = PassphraseProvider::new(&pass)?.with_costs(stored)?;
    let mut keyring = Keyring::from_protected_bytes(&bytes, &provider)?;
    let result = change(&mut keyring)?;
    keyring.save(&args.keys, &provider)?;
    Ok(result)
}

fn rotate(args: &KeyArgs) -> CliResult {
    let id = update(args, |k| Ok(k.rotate()?))?;
    println!("{id}");
    eprintln!("rotated {}: key {id} is now active; re-seal values under older keys", args.keys.display());
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
        sealed =
            seal_counts(&args.keys.keys, k).iter().find(|c| c.id == args.key_id).map_or(0, |c| c.total());
        Ok(k.destroy(args.key_id, args.remaining)?)
    })?;
    common::note(format!(
        "destroyed key {} (it sealed at most {sealed} values); values still under it can no longer be opened",
        args.key_id
    ));
    Ok(())
}

/// One key's seal count: from the keyring file and from the ledger.
struct SealCount {
    id: u32,
    file: u64,
    ledger: u64,
}

impl SealCount {
    fn total(&self) -> u64 {
        self.file.saturating_add(self.ledger)
    }
}

/// The seal counts of every key of `keyring`, loaded from `path`, in key
/// order. A ledger that cannot be read is a warning: the file's counts remain.
fn seal_counts(path: &std::path::Path, keyring: &Keyring) -> Vec<SealCount> {
    let totals = ledger::read(path).unwrap_or_else(|e| {
        common::warn(&CliError::failed(format!(
            "cannot read the seal ledger {}: {}; seal counts are the keyring file's only",
            ledger::path_for(path).display(),
            common::io_reason(&e)
        )));
        ledger::Totals::default()
    });
    if totals.skipped > 0 {
        common::warn(&CliError::failed(format!(
            "{} unreadable lines in the seal ledger {} were ignored",
            totals.skipped,
            ledger::path_for(path).display()
        )));
    }
    keyring
        .keys()
        .iter()
        .map(|k| SealCount {
            id: k.id,
            file: k.seal_count,
            ledger: totals.seals.get(&k.id).copied().unwrap_or(0),
        })
        .collect()
}

fn list(args: &ListArgs) -> CliResult {
    let keyring = common::load_keyring(&args.keys)?;
    let keys = keyring.keys();
    let counts = seal_counts(&args.keys.keys, &keyring);
    let pins = keyring.pins();
    // Domain names pinned to each key, in key order.
    let pinned: Vec<Vec<&str>> = keys
        .iter()
        .map(|k| pins.iter().filter(|(_, id)| *id == k.id).map(|(d, _)| d.name()).collect())
        .collect();

    let mut out = String::new();
    if args.json {
        for ((k, pinned), count) in keys.iter().zip(&pinned).zip(&counts) {
            let line = serde_json::json!({
                "id": k.id,
                "state": k.state.as_str(),
                "seal_count": count.total(),
                "seal_count_file": count.file,
                "seal_count_ledger": count.ledger,
                "pinned": !pinned.is_empty(),
                "pinned_domains": pinned,
            });
            out.push_str(&line.to_string());
            out.push('\n');
        }
    } else {
        out.push_str(&format!("{:>6}  {:<12}  {:>12}  {}\n", "ID", "STATE", "SEALS", "PINNED"));
        for ((k, pinned), count) in keys.iter().zip(&pinned).zip(&counts) {
            out.push_str(&format!(
                "{:>6}  {:<12}  {:>12}  {}\n",
                k.id,
                k.state.as_str(),
                count.total(),
                if pinned.is_empty() { "-".to_owned() } else { pinned.join(",") },
            ));
        }
    }
    print!("{out}");
    for (k, count) in keys.iter().zip(&counts) {
        if k.state == KeyState::Active && count.total() >= ROTATE_ADVICE_AT {
            eprintln!(
                "desensitize: key {} has sealed {} values, past half its 2^32 nonce budget: \
                 rotate it (`desensitize keys rotate`) and re-seal",
                k.id,
                count.total()
            );
        }
    }
    Ok(())
}
