//! `keygen` and `keys …`: create and manage a protected keyring file.
//!
//! Nothing here ever prints key material: only key ids, states and counts.
//! Every change is written back with `Keyring::save`, which replaces the
//! file atomically (temporary file, fsync, rename; mode 0600 on Unix).

use std::path::PathBuf;

use clap::{Args, Subcommand};
use desensitize::Keyring;
use desensitize::keys::PassphraseProvider;
use desensitize::pseudo::Domain;

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
}

/// `keys` subcommands.
#[derive(Subcommand, Debug)]
pub enum KeysCommand {
    /// Add a fresh active key; the old active key becomes decrypt-only.
    /// Prints the new key id on stdout.
    Rotate(KeyArgs),
    /// List key ids, states and seal counts (never key material).
    List(ListArgs),
    /// Pin an analytics domain to a key in all three namespaces at once
    /// (pseudonym tokens, blind indexes and format-preserving pseudonyms), so
    /// that its tokens, indexes and FPE values survive rotation.
    Pin(PinArgs),
    /// Erase a decrypt-only key. Refused for the active key, for a key an
    /// analytics domain is pinned to, and while --remaining is not 0.
    Destroy(DestroyArgs),
}

/// Arguments of `keys list`.
#[derive(Args, Debug)]
pub struct ListArgs {
    #[command(flatten)]
    keys: KeyArgs,

    /// One JSON object per key and line: {"id","state","seal_count","pinned","pinned_domains"}.
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
    /// report). Destruction is refused unless this is 0.
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
    keyring.save(&args.out, &provider)?;
    let active = keyring.active_key_id().unwrap_or(1);
    eprintln!("created {} with active key {active}", args.out.display());
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
    let bytes = std::fs::read(&args.keys).map_err(|e| {
        CliError::failed(format!("cannot read the keyring {}: {}", args.keys.display(), e.kind()))
    })?;
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
    update(&args.keys, |k| Ok(k.destroy(args.key_id, args.remaining)?))?;
    eprintln!("destroyed key {}; values still under it can no longer be opened", args.key_id);
    Ok(())
}

fn list(args: &ListArgs) -> CliResult {
    let keyring = common::load_keyring(&args.keys)?;
    let keys = keyring.keys();
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
                "pinned": !pinned.is_empty(),
                "pinned_domains": pinned,
            });
            out.push_str(&line.to_string());
            out.push('\n');
        }
    } else {
        out.push_str(&format!("{:>6}  {:<12}  {:>12}  {}\n", "ID", "STATE", "SEALS", "PINNED"));
        for (k, pinned) in keys.iter().zip(&pinned) {
            out.push_str(&format!(
                "{:>6}  {:<12}  {:>12}  {}\n",
                k.id,
                k.state.as_str(),
                k.seal_count,
                if pinned.is_empty() { "-".to_owned() } else { pinned.join(",") },
            ));
        }
    }
    print!("{out}");
    Ok(())
}
