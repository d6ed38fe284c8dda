//! `inspect`, `mask`, `seal`, `open`, `pseudonym`: one value per line on
//! stdin (or, for `seal` and `open`, a column of records read by the
//! library's pipeline; see `value_column.rs`), one result per line on
//! stdout, streaming.
//!
//! Each operation is one generic function over the kind; a dispatcher picks
//! its instance for `--kind` once, so the per-line loop has no kind logic.
//! Error and log lines name the line number and the (value-free) reason,
//! never the value.

use std::fs::OpenOptions;
use std::path::PathBuf;
use std::str::FromStr;
use std::sync::{Arc, OnceLock};

use clap::Args;
use desensitize::audit::JsonLinesAudit;
use desensitize::generalize::division;
use desensitize::generalize::geohash;
use desensitize::pseudo::{Domain, Pseudonymizable, Pseudonymizer};
use desensitize::{
    Address, BankCard, Biometric, Category, Context, CreditCode, Date, Email, GeoPoint, IdNumber, Imei,
    IpAddress, Keyring, Kind, Landline, LicensePlate, MacAddress, MaskLevel, MobilePhone, Passport, Password,
    PersonName, Sealable, Sensitive,
};
use serde::Serialize;

use crate::common::{self, CliError, CliResult, KeyArgs};
use crate::context_args::ContextArgs;
use crate::input::{OnInvalid, each_line, each_value};
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
    #[arg(long, value_enum, default_value = "error", value_name = "MODE")]
    on_invalid: OnInvalid,
}

/// Arguments of `inspect`.
#[derive(Args, Debug)]
#[command(
    after_help = "Every line gives one JSON object: {\"line\":N,\"valid\":true,\"kind\",\"masked\",\"facts\"} \
    or {\"line\":N,\"valid\":false,\"error\"}. Invalid lines are reported, not fatal: the exit code is 0 \
    unless reading or writing fails. Facts are derived attributes (an ID number's birth date, age, gender \
    and region; an e-mail's domain; a location's geohash; the PIPL category), never the value itself."
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
// Kind dispatch

/// A kind that can be read from a line.
trait Parse: Sensitive + FromStr<Err = desensitize::Error> {}
impl<T: Sensitive + FromStr<Err = desensitize::Error>> Parse for T {}

/// Why `kind` cannot go through `op`.
fn unsupported(op: &str, kind: Kind) -> CliError {
    let why = match kind {
        Kind::Password => "passwords are never stored, only hashed",
        Kind::Biometric => "biometric templates differ at every capture and must not be join keys",
        _ => "not supported",
    };
    CliError::usage(format!("cannot {op} --kind {kind}: {why}"))
}

/// The instance of the generic function `$f` for `$kind`, as a `$ty` fn
/// pointer, among the kinds the operation supports.
macro_rules! pick {
    (@in [$($k:ident)*] $op:literal, $kind:expr, $f:ident as $ty:ty) => {
        match $kind {
            $(Kind::$k => Ok($f::<$k> as $ty),)*
            other => Err(unsupported($op, other)),
        }
    };
    (any $($rest:tt)*) => {
        pick!(@in [IdNumber MobilePhone Landline BankCard GeoPoint Email PersonName Address IpAddress
            MacAddress Imei Passport LicensePlate CreditCode Password Biometric] $($rest)*)
    };
    (sealable $($rest:tt)*) => {
        pick!(@in [IdNumber MobilePhone Landline BankCard GeoPoint Email PersonName Address IpAddress
            MacAddress Imei Passport LicensePlate CreditCode Biometric] $($rest)*)
    };
    (tokenizable $($rest:tt)*) => {
        pick!(@in [IdNumber MobilePhone Landline BankCard GeoPoint Email PersonName Address IpAddress
            MacAddress Imei Passport LicensePlate CreditCode] $($rest)*)
    };
}

// ---------------------------------------------------------------------------
// inspect

/// Cheap derived facts about a value: never the value itself.
trait Facts {
    fn facts(&self, _today: Date, _facts: &mut serde_json::Map<String, serde_json::Value>) {}
}

fn put(
    facts: &mut serde_json::Map<String, serde_json::Value>,
    key: &str,
    value: impl Into<serde_json::Value>,
) {
    facts.insert(key.to_owned(), value.into());
}

impl Facts for IdNumber {
    fn facts(&self, today: Date, f: &mut serde_json::Map<String, serde_json::Value>) {
        let region = division::lookup(self.region_code());
        put(f, "birth_date", self.birth_date().to_string());
        put(f, "gender", self.gender().as_str());
        put(f, "age", self.age_on(today));
        put(f, "region_code", format!("{:06}", self.region_code()));
        put(f, "province", self.province().name());
        put(f, "province_en", self.province().english());
        put(f, "city", region.and_then(|d| d.city()).map(|c| c.name()));
        put(f, "under_14", self.is_under_14_on(today));
        put(f, "under_18", self.is_under_18_on(today));
    }
}

impl Facts for MobilePhone {
    fn facts(&self, _: Date, f: &mut serde_json::Map<String, serde_json::Value>) {
        // The carrier that was assigned the segment (numbers can be ported).
        let carrier = match &self.expose()[..3] {
            "134" | "135" | "136" | "137" | "138" | "139" | "147" | "150" | "151" | "152" | "157" | "158"
            | "159" | "172" | "178" | "182" | "183" | "184" | "187" | "188" | "195" | "197" | "198" => {
                "China Mobile"
            }
            "130" | "131" | "132" | "145" | "155" | "156" | "166" | "167" | "171" | "175" | "176" | "185"
            | "186" | "196" => "China Unicom",
            "133" | "149" | "153" | "173" | "174" | "177" | "180" | "181" | "189" | "190" | "191" | "193"
            | "199" => "China Telecom",
            "192" => "China Broadcast Network",
            _ => "unknown",
        };
        put(f, "segment_carrier", carrier);
    }
}

impl Facts for Landline {
    fn facts(&self, _: Date, f: &mut serde_json::Map<String, serde_json::Value>) {
        put(f, "area_code", self.area_code());
    }
}

impl Facts for BankCard {
    fn facts(&self, _: Date, f: &mut serde_json::Map<String, serde_json::Value>) {
        put(f, "digits", self.expose().len());
    }
}

impl Facts for GeoPoint {
    fn facts(&self, _: Date, f: &mut serde_json::Map<String, serde_json::Value>) {
        put(f, "geohash5", geohash(self, 5).ok());
    }
}

impl Facts for Email {
    fn facts(&self, _: Date, f: &mut serde_json::Map<String, serde_json::Value>) {
        put(f, "domain", self.domain());
    }
}

impl Facts for Address {
    fn facts(&self, _: Date, f: &mut serde_json::Map<String, serde_json::Value>) {
        let region = self.generalize();
        put(f, "province", region.map(|r| r.province().name()));
        put(f, "province_en", region.map(|r| r.province().english()));
        put(f, "city", region.and_then(|r| r.city()).map(|c| c.name()));
    }
}

impl Facts for IpAddress {
    fn facts(&self, _: Date, f: &mut serde_json::Map<String, serde_json::Value>) {
        put(f, "version", if self.is_ipv4() { "ipv4" } else { "ipv6" });
    }
}

impl Facts for LicensePlate {
    fn facts(&self, _: Date, f: &mut serde_json::Map<String, serde_json::Value>) {
        put(f, "province", self.province().name());
        put(f, "province_en", self.province().english());
        put(f, "new_energy", self.is_new_energy());
    }
}

impl Facts for Biometric {
    fn facts(&self, _: Date, f: &mut serde_json::Map<String, serde_json::Value>) {
        put(f, "bytes", self.expose().len());
    }
}

impl Facts for PersonName {}
impl Facts for MacAddress {}
impl Facts for Imei {}
impl Facts for Passport {}
impl Facts for CreditCode {}
impl Facts for Password {}

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

type InspectFn = fn(usize, &str, Date, &mut String) -> serde_json::Result<()>;

fn inspect_one<T: Parse + Facts>(
    line: usize,
    text: &str,
    today: Date,
    out: &mut String,
) -> serde_json::Result<()> {
    let json = match text.parse::<T>() {
        Ok(value) => {
            let mut facts = serde_json::Map::new();
            value.facts(today, &mut facts);
            let category = match value.category() {
                Category::Sensitive => "sensitive",
                Category::General => "general",
            };
            put(&mut facts, "category", category);
            let masked = value.mask(MaskLevel::Standard);
            serde_json::to_string(&Valid {
                line,
                valid: true,
                kind: T::KIND.as_str(),
                masked: &masked,
                facts,
            })?
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
    let f: InspectFn = pick!(any "inspect", args.kind, inspect_one as InspectFn)?;
    let today = Date::today();
    // Invalid values are reported in the JSON; only a serialization failure
    // (which cannot happen for these types) would end the loop.
    each_line(OnInvalid::Error, |n, line, out| {
        f(n, line, today, out).map_err(|_| desensitize::Error::Malformed("JSON serialization failed"))
    })
}

// ---------------------------------------------------------------------------
// mask

type MaskFn = fn(&str, MaskLevel, &mut String) -> Result<(), desensitize::Error>;

fn mask_one<T: Parse>(text: &str, level: MaskLevel, out: &mut String) -> Result<(), desensitize::Error> {
    out.push_str(&text.parse::<T>()?.mask(level));
    Ok(())
}

/// `mask`.
pub fn mask(args: MaskArgs) -> CliResult {
    let f: MaskFn = pick!(any "mask", args.line.kind, mask_one as MaskFn)?;
    each_line(args.line.on_invalid, |_, line, out| f(line, args.level, out))
}

// ---------------------------------------------------------------------------
// seal and open

type SealFn = fn(&Keyring, &Context, &str, &mut String) -> Result<(), desensitize::Error>;

fn seal_one<T: Parse + Sealable>(
    keyring: &Keyring,
    ctx: &Context,
    text: &str,
    out: &mut String,
) -> Result<(), desensitize::Error> {
    out.push_str(&keyring.seal_text(&text.parse::<T>()?, ctx)?);
    Ok(())
}

/// `seal`: the seals are counted in the keyring's seal ledger, also when
/// the command stops part-way (their nonces were used).
pub fn seal(args: SealArgs) -> CliResult {
    let f: SealFn = pick!(sealable "seal", args.line.kind, seal_one as SealFn)?;
    args.context.base()?;
    let keyring = common::load_keyring(&args.keys)?;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let result =
        each_value(&args.context, &args.records, args.line.on_invalid, threads, &|ctx, value, out| {
            f(&keyring, ctx, value, out)
        });
    if let Err(e) = common::record_seals(&args.keys.keys, &keyring) {
        common::warn(&e);
    }
    result
}

/// One value opened by the library (`columns::open_text`: the kind chosen
/// at run time, audited), its canonical text appended to the line.
fn open_one(
    keyring: &Keyring,
    kind: Kind,
    ctx: &Context,
    purpose: &str,
    text: &str,
    out: &mut String,
) -> Result<(), desensitize::Error> {
    out.push_str(&desensitize::columns::open_text(keyring, kind, text, ctx, purpose)?);
    Ok(())
}

/// `open`: the one command that prints plaintext; every value is audited.
///
/// Fail-closed: once an audit event cannot be recorded, no further value is
/// opened (nor printed), and the command exits 1 saying so.
pub fn open(args: OpenArgs) -> CliResult {
    let kind = args.line.kind;
    if matches!(kind, Kind::Password) {
        return Err(unsupported("open", kind));
    }
    args.context.base()?;
    if args.purpose.trim().is_empty() {
        return Err(CliError::usage("--purpose must say why the values are opened"));
    }
    let audit_file = args.audit.as_deref().map(open_audit_log).transpose()?;
    let mut keyring = common::load_keyring(&args.keys)?;
    match audit_file {
        Some(file) => keyring.set_audit_sink(Arc::new(JsonLinesAudit::new(file))),
        None => keyring.set_audit_sink(Arc::new(JsonLinesAudit::new(audit_stderr()?))),
    }
    let audit_failed = OnceLock::new();
    // One worker: values are opened, and audited, in input order.
    let result = each_value(&args.context, &args.records, args.line.on_invalid, 1, &|ctx, value, out| {
        if let Some(e) = audit_failed.get() {
            return Err(desensitize::Error::clone(e));
        }
        let opened = open_one(&keyring, kind, ctx, &args.purpose, value, out);
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
    result
}

/// Standard error as the audit log, refused when events written there would
/// be lost without an error: Rust's stderr reports success on a closed
/// descriptor, and `/dev/null` accepts everything. Then `open` would print
/// plaintext with no record of it.
fn audit_stderr() -> CliResult<std::io::Stderr> {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::fs::MetadataExt;
        let lost = match std::fs::metadata("/proc/self/fd/2") {
            Err(_) => Some("closed"),
            Ok(m) => std::fs::metadata("/dev/null")
                .ok()
                .filter(|null| (null.dev(), null.ino()) == (m.dev(), m.ino()))
                .map(|_| "/dev/null"),
        };
        if let Some(what) = lost {
            return Err(CliError::usage(format!(
                "audit events go to standard error, which is {what}: they would be lost; give --audit FILE"
            )));
        }
    }
    Ok(std::io::stderr())
}

/// Open (or create, mode 0600) the audit log for appending. A symbolic link
/// is refused, also when it is swapped in after the check (`O_NOFOLLOW`):
/// the log must not be redirected into another file.
fn open_audit_log(path: &std::path::Path) -> CliResult<std::fs::File> {
    let refuse_link = || {
        CliError::usage(format!("--audit {} is a symbolic link; give the log file itself", path.display()))
    };
    if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
        return Err(refuse_link());
    }
    let mut options = OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600).custom_flags(libc::O_NOFOLLOW);
    }
    options.open(path).map_err(|e| {
        #[cfg(unix)]
        if e.raw_os_error() == Some(libc::ELOOP) {
            return refuse_link();
        }
        CliError::failed(format!("cannot open the audit log {}: {}", path.display(), e.kind()))
    })
}

// ---------------------------------------------------------------------------
// pseudonym

type TokenFn = fn(&Pseudonymizer, &str, &mut String) -> Result<(), desensitize::Error>;

fn token_one<T: Parse + Pseudonymizable>(
    tokens: &Pseudonymizer,
    text: &str,
    out: &mut String,
) -> Result<(), desensitize::Error> {
    out.push_str(&tokens.token(&text.parse::<T>()?).to_text());
    Ok(())
}

/// `pseudonym`.
pub fn pseudonym(args: PseudonymArgs) -> CliResult {
    let f: TokenFn = pick!(tokenizable "pseudonymize", args.line.kind, token_one as TokenFn)?;
    let domain = Domain::new(&args.domain).map_err(|e| CliError::usage(e.to_string()))?;
    let keyring = common::load_keyring(&args.keys)?;
    let tokens = keyring.pseudonymizer(&domain)?;
    drop(keyring);
    each_line(args.line.on_invalid, |_, line, out| f(&tokens, line, out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_dispatches_where_it_should() {
        for kind in Kind::ALL {
            assert!(pick!(any "inspect", kind, inspect_one as InspectFn).is_ok());
            assert_eq!(pick!(sealable "seal", kind, seal_one as SealFn).is_ok(), kind != Kind::Password);
            assert_eq!(
                pick!(tokenizable "pseudonymize", kind, token_one as TokenFn).is_ok(),
                !matches!(kind, Kind::Password | Kind::Biometric)
            );
        }
    }
}
