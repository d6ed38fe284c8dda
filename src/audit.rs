//! Audit events: who opened what, where, why, and whether it worked.
//!
//! Every [`Keyring::open`](crate::Keyring::open) (and every other path that
//! turns protected data back into plaintext) reports one [`AuditEvent`] to the
//! keyring's [`AuditSink`]. Events carry the kind, context, key id, subject,
//! the caller's purpose and the outcome: never the value.
//!
//! ```
//! use std::sync::{Arc, Mutex};
//! use desensitize::audit::JsonLinesAudit;
//! use desensitize::{Context, Keyring, MobilePhone};
//!
//! let log = Arc::new(JsonLinesAudit::new(Vec::new()));
//! let mut keyring = Keyring::generate()?;
//! keyring.set_audit_sink(log.clone());
//!
//! let ctx = Context::new("users", "phone").with_row("7");
//! let sealed = keyring.seal(&"13800138000".parse::<MobilePhone>()?, &ctx)?;
//! keyring.open(&sealed, &ctx, "send-sms")?;
//!
//! let line = String::from_utf8(log.into_inner_clone()).unwrap();
//! assert!(line.contains(r#""purpose":"send-sms""#) && line.contains(r#""outcome":"opened""#));
//! assert!(!line.contains("13800138000"));
//! # Ok::<(), desensitize::Error>(())
//! ```

use std::io::Write;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::error::Error;
use crate::kind::Kind;
use crate::seal::Context;

/// What happened to one attempt to reach plaintext.
#[derive(Debug, Clone, Copy)]
pub enum Outcome<'a> {
    /// The value was opened and returned to the caller.
    Opened,
    /// The attempt failed with this (value-free) error.
    Refused(&'a Error),
}

/// One access to protected plaintext. Holds no part of the value.
#[derive(Debug, Clone, Copy)]
pub struct AuditEvent<'a> {
    /// Kind of the value.
    pub kind: Kind,
    /// Where the value lives.
    pub context: &'a Context,
    /// Root key id from the envelope (0 for subject-sealed values).
    pub key_id: u32,
    /// The subject, for per-subject sealed values.
    pub subject: Option<&'a str>,
    /// Why the caller opened it, in the caller's words.
    pub purpose: &'a str,
    /// Whether it worked.
    pub outcome: Outcome<'a>,
}

/// Receives audit events. Implementations must not block for long: they run
/// on the caller's thread, inside `open`.
pub trait AuditSink: Send + Sync {
    /// Record one event.
    fn record(&self, event: &AuditEvent<'_>);
}

/// The default sink: discards events.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoAudit;

impl AuditSink for NoAudit {
    fn record(&self, _: &AuditEvent<'_>) {}
}

/// Writes one JSON object per event and line to a writer (a file, stderr, a pipe).
///
/// Fields: `ts_ms`, `kind`, `context` (object of the context fields),
/// `key_id`, `subject` (or null), `purpose`, `outcome` (`opened`/`refused`)
/// and `error` (the error message, or null). Write errors are ignored: an
/// audit failure must not turn into a plaintext-returning retry loop; wrap
/// the writer if you need to fail hard.
#[derive(Debug)]
pub struct JsonLinesAudit<W> {
    out: Mutex<W>,
}

impl<W: Write + Send> JsonLinesAudit<W> {
    /// A sink writing to `out`.
    pub fn new(out: W) -> Self {
        JsonLinesAudit { out: Mutex::new(out) }
    }
}

impl<W: Write + Send + Clone> JsonLinesAudit<W> {
    /// A copy of the writer (e.g. the `Vec<u8>` collected so far, in tests).
    pub fn into_inner_clone(&self) -> W {
        match self.out.lock() {
            Ok(g) => g.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }
}

/// The JSON object for one event, as written by [`JsonLinesAudit`].
pub fn event_json(event: &AuditEvent<'_>) -> serde_json::Value {
    let ts = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis()).unwrap_or(0);
    let context: serde_json::Map<String, serde_json::Value> =
        event.context.fields().map(|(k, v)| (k.to_owned(), v.into())).collect();
    let (outcome, error) = match event.outcome {
        Outcome::Opened => ("opened", serde_json::Value::Null),
        Outcome::Refused(e) => ("refused", e.to_string().into()),
    };
    serde_json::json!({
        "ts_ms": u64::try_from(ts).unwrap_or(u64::MAX),
        "kind": event.kind.as_str(),
        "context": context,
        "key_id": event.key_id,
        "subject": event.subject,
        "purpose": event.purpose,
        "outcome": outcome,
        "error": error,
    })
}

impl<W: Write + Send> AuditSink for JsonLinesAudit<W> {
    fn record(&self, event: &AuditEvent<'_>) {
        let mut line = event_json(event).to_string();
        line.push('\n');
        let mut out = match self.out.lock() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        let _ = out.write_all(line.as_bytes()).and_then(|_| out.flush());
    }
}
