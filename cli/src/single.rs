//! `inspect`, `mask`, `seal`, `open`, `pseudonym`: one value per line on
//! stdin (or, for `seal` and `open`, a column of records read by the
//! library's pipeline; see `value_column.rs`), one result per line on
//! stdout, streaming.
//!
//! Each value is read as the library's run-time kind value (`AnyValue`) and
//! goes through the library's one dispatch (`columns`, `generalize::describe`).
//! Error and log lines name the line number and the (value-free) reason,
//! never the value.

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use clap::Args;
use desensitize::audit::{AuditLogError, StderrAudit, stderr_sink};
use desensitize::columns;
use desensitize::generalize::{Attribute, describe, describe_mask};
use desensitize::kind::AnyValue;
use desensitize::pseudo::Domain;
use desensitize::{Category, Date, Kind, MaskLevel};
use serde::Serialize;

use crate::access_cmd::AccessArgs;
use crate::common::{self, CliError, CliResult, KeyArgs};
use crate::context_args::ContextArgs;
use crate::input::{OnInvalid, each_line, each_value, on_invalid_parser};
use crate::value_column::RecordArgs;

/// What every line-by-line transformation shares.
#[derive(Args, Debug)]
pub struct LineArgs {
    /// The kind of value on each line (`id_number`, `mobile_phone`, `email`, ...).
    #[arg(long, value_name = "KIND", value_parser = common::parse_kind)]
    kind: Kind,

    /// Invalid lines: `error` stops with exit 1 at the first one (`line N:
    /// reason`); `mark` writes `#INVALID` in its place, reports the first
    /// lines and the count on stderr, and exits 0. Empty lines are invalid
    /// values like any other.
    #[arg(long, value_parser = on_invalid_parser(), default_value = "error", value_name = "MODE")]
    on_invalid: OnInvalid,
}

/// Arguments of `inspect`.
#[derive(Args, Debug)]
#[command(
    after_help = "Every line gives one JSON object: {\"line\":N,\"valid\":true,\"kind\",\"masked\",\"facts\"} \
    or {\"line\":N,\"valid\":false,\"error\"}. Invalid lines are reported, not fatal: the exit code is 0 \
    unless reading or writing fails. Facts are derived attributes (an ID number's age, gender and \
    province, beside its strict mask; an e-mail's domain; a location's geohash; the PIPL category), never \
    the value itself, and never so fine that with the mask they leave fewer than 10,000 candidates."
)]
pub struct InspectArgs {
    /// The kind of value on each line (`id_number`, `mobile_phone`, `email`, ...).
    #[arg(long, value_name = "KIND", value_parser = common::parse_kind)]
    kind: Kind,
}

/// Arguments of `mask`.
#[derive(Args, Debug)]
pub struct MaskArgs {
    #[command(flatten)]
    line: LineArgs,

    /// How much to hide: `strict`, `standard` or `relaxed`.
    #[arg(long, default_value = "standard", value_parser = parse_level, value_name = "LEVEL")]
    level: MaskLevel,
}

/// Arguments of `seal`.
#[derive(Args, Debug)]
pub struct SealArgs {
    #[command(flatten)]
    line: LineArgs,

    #[command(flatten)]
    keys: KeyArgs,

    #[command(flatten)]
    context: ContextArgs,

    #[command(flatten)]
    records: RecordArgs,
}

/// Arguments of `open`.
#[derive(Args, Debug)]
#[command(after_help = "Prints the plaintext, one value per line, in canonical form (a location as \
    lat,lon; a biometric template as base64). Every value opened or refused is recorded as one JSON audit \
    event (kind, context, key id, purpose, outcome; never the value), appended to --audit FILE when given, \
    else written to stderr. Auditing cannot be turned off, not even with --quiet.")]
pub struct OpenArgs {
    #[command(flatten)]
    line: LineArgs,

    #[command(flatten)]
    keys: KeyArgs,

    #[command(flatten)]
    context: ContextArgs,

    #[command(flatten)]
    records: RecordArgs,

    /// Why the values are opened (recorded in every audit event).
    #[arg(long, value_name = "PURPOSE")]
    purpose: String,

    /// Append the audit events (JSON lines) to this file instead of stderr.
    #[arg(long, value_name = "FILE")]
    audit: Option<PathBuf>,

    #[command(flatten)]
    access: AccessArgs,
}

/// Arguments of `pseudonym`.
#[derive(Args, Debug)]
pub struct PseudonymArgs {
    #[command(flatten)]
    line: LineArgs,

    #[command(flatten)]
    keys: KeyArgs,

    /// The analytics domain: tokens join within a domain and are unlinkable
    /// across domains (1-64 characters of a-z 0-9 . _ -).
    #[arg(long, value_name = "DOMAIN")]
    domain: String,
}

fn parse_level(s: &str) -> Result<MaskLevel, String> {
    s.parse().map_err(|_| "one of: strict, standard, relaxed".to_owned())
}

// ---------------------------------------------------------------------------
// Kinds an operation refuses

/// Why `kind` cannot go through `op`.
fn unsupported(op: &str, kind: Kind) -> CliError {
    let why = match kind {
        Kind::Password => "passwords are never stored, only hashed",
        Kind::Biometric => "biometric templates differ at every capture and must not be join keys",
        _ => "not supported",
    };
    CliError::usage(format!("cannot {op} --kind {kind}: {why}"))
}

/// `Err` for a kind `seal` and `open` refuse (passwords).
fn check_sealable(op: &str, kind: Kind) -> CliResult {
    if kind == Kind::Password { Err(unsupported(op, kind)) } else { Ok(()) }
}

/// `Err` for a kind `pseudonym` refuses (passwords, biometric templates).
fn check_tokenizable(kind: Kind) -> CliResult {
    if matches!(kind, Kind::Password | Kind::Biometric) {
        Err(unsupported("pseudonymize", kind))
    } else {
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// inspect

#[derive(Serialize)]
struct Valid<'a> {
    line: usize,
    valid: bool,
    kind: &'static str,
    masked: &'a str,
    facts: serde_json::Map<String, serde_json::Value>,
}

#[derive(Serialize)]
struct Invalid<'a> {
    line: usize,
    valid: bool,
    error: &'a str,
}

/// The JSON form of one attribute of `describe`.
fn json(attribute: Attribute) -> serde_json::Value {
    match attribute {
        Attribute::Text(t) => t.into(),
        Attribute::Number(n) => n.into(),
        Attribute::Flag(b) => b.into(),
        _ => serde_json::Value::Null,
    }
}

fn inspect_one(kind: Kind, line: usize, text: &str, today: Date, out: &mut String) -> serde_json::Result<()> {
    let json = match AnyValue::parse(kind, text) {
        Ok(value) => {
            let mut facts: serde_json::Map<String, serde_json::Value> =
                describe(&value, today).into_iter().map(|(k, v)| (k.to_owned(), json(v))).collect();
            let category = match value.category() {
                Category::Sensitive => "sensitive",
                Category::General => "general",
            };
            facts.insert("category".to_owned(), category.into());
            // The library pairs the mask with the facts so that together
            // they never name the value (the strict mask for an ID number).
            let masked = describe_mask(&value);
            serde_json::to_string(&Valid { line, valid: true, kind: kind.as_str(), masked: &masked, facts })?
        }
        Err(e) => {
            let reason = match &e {
                desensitize::Error::Invalid { reason, .. } => reason.to_string(),
                other => other.to_string(),
            };
            serde_json::to_string(&Invalid { line, valid: false, error: &reason })?
        }
    };
    out.push_str(&json);
    Ok(())
}

/// `inspect`.
pub fn inspect(args: InspectArgs) -> CliResult {
    let today = Date::today();
    // Invalid values are reported in the JSON; only a serialization failure
    // (which cannot happen for these types) would end the loop.
    each_line(OnInvalid::Error, |n, line, out| {
        inspect_one(args.kind, n, line, today, out)
            .map_err(|e| desensitize::Error::Io(std::io::Error::from(e).kind()))
    })
}

// ---------------------------------------------------------------------------
// mask

/// `mask`.
pub fn mask(args: MaskArgs) -> CliResult {
    let kind = args.line.kind;
    each_line(args.line.on_invalid, |_, line, out| {
        out.push_str(&AnyValue::parse(kind, line)?.mask(args.level));
        Ok(())
    })
}

// ---------------------------------------------------------------------------
// seal and open

/// `seal`: the seals are counted in the keyring's seal ledger, also when
/// the command stops part-way (their nonces were used).
pub fn seal(args: SealArgs) -> CliResult {
    let kind = args.line.kind;
    check_sealable("seal", kind)?;
    args.context.base()?;
    let keyring = common::load_keyring(&args.keys)?;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let result =
        each_value(&args.context, &args.records, args.line.on_invalid, threads, &|ctx, value, out| {
            out.push_str(&columns::seal_text(&keyring, &AnyValue::parse(kind, value)?, ctx)?);
            Ok(())
        });
    if let Err(e) = common::record_seals(&args.keys.keys, &keyring) {
        common::warn(&e);
    }
    result
}

/// One value opened by the library (`columns::open_text`: the kind chosen
/// at run time, audited), its canonical text appended to the line; for a
/// principal (`--as`), `columns::open_text_as`: the plaintext or the mask,
/// as the access rules decide.
fn open_one(
    keyring: &desensitize::Keyring,
    who: Option<&desensitize::access::Principal>,
    kind: Kind,
    ctx: &desensitize::Context,
    purpose: &str,
    text: &str,
    out: &mut String,
) -> Result<(), desensitize::Error> {
    match who {
        Some(who) => out.push_str(&columns::open_text_as(keyring, who, kind, text, ctx, purpose)?),
        None => out.push_str(&columns::open_text(keyring, kind, text, ctx, purpose)?),
    }
    Ok(())
}

/// `open`: the one command that prints plaintext; every value is audited.
///
/// Fail-closed: once an audit event cannot be recorded, no further value is
/// opened (nor printed), and the command exits 1 saying so.
pub fn open(args: OpenArgs) -> CliResult {
    let kind = args.line.kind;
    check_sealable("open", kind)?;
    args.context.base()?;
    if args.purpose.trim().is_empty() {
        return Err(CliError::usage("--purpose must say why the values are opened"));
    }
    let mut keyring = common::load_keyring(&args.keys)?;
    let audit_file =
        args.audit.as_deref().map(|path| common::audit_log(path, &args.keys, &keyring)).transpose()?;
    let audit_file = audit_file.map(Arc::new);
    match &audit_file {
        Some(log) => keyring.set_audit_sink(log.clone()),
        None => keyring.set_audit_sink(Arc::new(audit_stderr()?)),
    }
    let who = args.access.attach(&mut keyring)?;
    let audit_failed = OnceLock::new();
    // One worker: values are opened, and audited, in input order.
    let result = each_value(&args.context, &args.records, args.line.on_invalid, 1, &|ctx, value, out| {
        if let Some(e) = audit_failed.get() {
            return Err(desensitize::Error::clone(e));
        }
        let opened = open_one(&keyring, who.as_ref(), kind, ctx, &args.purpose, value, out);
        if let Err(e @ desensitize::Error::AuditFailed(_)) = &opened {
            out.clear();
            let _ = audit_failed.set(e.clone());
        }
        opened
    });
    if let Some(e) = audit_failed.into_inner() {
        let log = args.audit.as_ref().map_or("stderr".to_owned(), |p| p.display().to_string());
        return Err(CliError::failed(format!(
            "{e}: the audit log ({log}) cannot be written, so no value was opened from then on"
        )));
    }
    if let Some(log) = audit_file {
        common::audit_checkpoint(&log)?;
    }
    result
}

/// Standard error as the audit log (the library's checked sink), refused
/// when events written there would be lost without an error: a closed
/// descriptor (Rust's stderr reports success on it) or `/dev/null`. Then
/// `open` would print plaintext with no record of it.
fn audit_stderr() -> CliResult<StderrAudit> {
    stderr_sink().map_err(|e| {
        let what = match e {
            AuditLogError::RecordsNothing(device) => device,
            _ => "closed",
        };
        CliError::usage(format!(
            "audit events go to standard error, which is {what}: they would be lost; give --audit FILE"
        ))
    })
}

// ---------------------------------------------------------------------------
// pseudonym

/// `pseudonym`.
pub fn pseudonym(args: PseudonymArgs) -> CliResult {
    let kind = args.line.kind;
    check_tokenizable(kind)?;
    let domain = Domain::new(&args.domain).map_err(|e| CliError::usage(e.to_string()))?;
    let keyring = common::load_keyring(&args.keys)?;
    let tokens = keyring.pseudonymizer(&domain)?;
    drop(keyring);
    each_line(args.line.on_invalid, |_, line, out| {
        out.push_str(&columns::token(&tokens, &AnyValue::parse(kind, line)?)?.to_text());
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_is_refused_where_it_should() {
        for kind in Kind::ALL {
            assert_eq!(check_sealable("seal", kind).is_ok(), kind != Kind::Password);
            assert_eq!(check_tokenizable(kind).is_ok(), !matches!(kind, Kind::Password | Kind::Biometric));
        }
    }
}
