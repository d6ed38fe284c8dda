//! Audit events: who opened what, where, why, and whether it worked.
//!
//! Every [`Keyring::open`](crate::Keyring::open) (and every other path that
//! turns protected data back into plaintext) reports one [`AuditEvent`] to the
//! keyring's [`AuditSink`], refusals included (an envelope that does not even
//! parse is recorded as refused). Events carry the kind, context, key id,
//! subject, the caller's purpose and the outcome: never the value.
//!
//! Audit is **fail-closed**: when the sink reports that it could not record
//! the event ([`AuditError`]), the open returns
//! [`Error::AuditFailed`] and the plaintext is
//! dropped (wiped) unseen.
//!
//! Where events go: [`JsonLinesAudit::open`] opens a log file (created
//! 0600, appended to, never through a symbolic link) and [`StderrAudit`]
//! writes to standard error; both refuse a destination that records
//! nothing (`/dev/null`, a closed standard error): see [`AuditLogError`].
//!
//! Tamper-evident: [`ChainedAudit`] appends lines that carry a MAC chained
//! over the previous line under a key derived from the keyring
//! ([`Keyring::audit_keys`](crate::Keyring::audit_keys)), one chain across
//! the processes that share the log, with MACed checkpoints in a separate
//! file; [`verify_chain`] names the line that was changed, deleted,
//! reordered or cut off, and [`summarize`] counts the events by
//! principal, role, purpose, kind and day (`desensitize audit verify` and
//! `audit report`).
//!
//! ```
//! use std::sync::Arc;
//! use desensitize::audit::{AuditError, JsonLinesAudit};
//! use desensitize::{Context, Error, Keyring, MobilePhone};
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
//!
//! // A log that cannot be written: nothing is revealed.
//! struct Full;
//! impl std::io::Write for Full {
//!     fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
//!         Err(std::io::ErrorKind::StorageFull.into())
//!     }
//!     fn flush(&mut self) -> std::io::Result<()> { Ok(()) }
//! }
//! keyring.set_audit_sink(Arc::new(JsonLinesAudit::new(Full)));
//! assert_eq!(
//!     keyring.open(&sealed, &ctx, "send-sms"),
//!     Err(Error::AuditFailed(AuditError::Write(std::io::ErrorKind::StorageFull)))
//! );
//! # Ok::<(), desensitize::Error>(())
//! ```

use std::io::Write;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

pub use crate::error::AuditError;
pub use chain::AuditKeys;
pub use destination::{AuditLogError, StderrAudit, stderr_sink};
pub use report::{Alarm, AuditSummary, DIMENSIONS, DecisionCounts, MAX_ALARMS, summarize};
pub use verify::{ChainProblem, ChainReport, MAX_PROBLEMS, VerifyError, verify_chain};
pub use writer::ChainedAudit;

mod chain;
mod destination;
mod report;
mod verify;
mod writer;

use crate::crypto::Context;
use crate::error::{BudgetLimit, Error, Result};
use crate::kind_id::Kind;

/// What happened to one attempt to reach plaintext.
#[derive(Debug, Clone, Copy)]
pub enum Outcome<'a> {
    /// The value was opened and returned to the caller.
    Opened,
    /// The attempt failed with this (value-free) error.
    Refused(&'a Error),
}

/// One access to protected plaintext. Holds no part of the value.
///
/// The last four fields are filled where the keyring has access rules
/// ([`crate::access`]) or the caller named a principal; they are `None`
/// otherwise, and [`event_json`] then leaves them out of the line.
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
    /// Who asked: the name of the [`Principal`](crate::access::Principal).
    pub principal: Option<&'a str>,
    /// The principal's role in the access rules.
    pub role: Option<&'a str>,
    /// What the access rules decided.
    pub decision: Option<Decision>,
    /// The operating-system user the principal was acting as (recorded, not
    /// authenticated: see SECURITY.md, "Access rules").
    pub os_user: Option<&'a str>,
}

impl<'a> AuditEvent<'a> {
    /// An event without access facts (no principal, role, decision or OS user).
    ///
    /// ```
    /// use desensitize::audit::{AuditEvent, Decision, Outcome, event_json};
    /// use desensitize::{Context, Kind};
    ///
    /// let ctx = Context::new("users", "phone");
    /// let event = AuditEvent::new(Kind::MobilePhone, &ctx, 1, None, "support", Outcome::Opened)
    ///     .with_access(Some("alice"), Some("support"), Decision::Masked, Some("alice"));
    /// let json = event_json(&event);
    /// assert_eq!(json["decision"], "masked");
    /// assert_eq!(json["principal"], "alice");
    /// ```
    pub fn new(
        kind: Kind,
        context: &'a Context,
        key_id: u32,
        subject: Option<&'a str>,
        purpose: &'a str,
        outcome: Outcome<'a>,
    ) -> AuditEvent<'a> {
        AuditEvent {
            kind,
            context,
            key_id,
            subject,
            purpose,
            outcome,
            principal: None,
            role: None,
            decision: None,
            os_user: None,
        }
    }

    /// The same event with the access facts: who asked, in which role, as
    /// which OS user, and what the rules decided.
    pub fn with_access(
        mut self,
        principal: Option<&'a str>,
        role: Option<&'a str>,
        decision: Decision,
        os_user: Option<&'a str>,
    ) -> AuditEvent<'a> {
        self.principal = principal;
        self.role = role;
        self.decision = Some(decision);
        self.os_user = os_user;
        self
    }
}

/// What the access rules ([`crate::access`]) decided about one reveal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// The plaintext was revealed.
    Allowed,
    /// Only the masked display was revealed; the plaintext stayed inside.
    Masked,
    /// Nothing was revealed.
    Refused,
    /// Not a reveal: the principal's budget crossed its warning threshold
    /// on this limit (an extra event, before the reveal's own).
    Alarm(BudgetLimit),
}

impl Decision {
    /// `allowed`, `masked`, `refused` or `alarm`.
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Allowed => "allowed",
            Decision::Masked => "masked",
            Decision::Refused => "refused",
            Decision::Alarm(_) => "alarm",
        }
    }
}

/// Receives audit events. Implementations must not block for long: they run
/// on the caller's thread, inside `open`.
///
/// Return `Ok(())` only once the event is recorded as durably as your policy
/// requires. An `Err` makes the open that reported it fail with
/// [`Error::AuditFailed`] and discard the plaintext: a reveal that cannot be
/// accounted for does not happen.
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use desensitize::audit::{AuditError, AuditEvent, AuditSink, event_json};
///
/// /// Keeps events in memory, up to a bound; refuses once full.
/// struct Bounded(Mutex<Vec<serde_json::Value>>);
///
/// impl AuditSink for Bounded {
///     fn record(&self, event: &AuditEvent<'_>) -> Result<(), AuditError> {
///         let mut events = self.0.lock().map_err(|_| AuditError::Unavailable("lock poisoned"))?;
///         if events.len() >= 1000 {
///             return Err(AuditError::Unavailable("buffer full"));
///         }
///         events.push(event_json(event));
///         Ok(())
///     }
/// }
/// let mut keyring = desensitize::Keyring::generate()?;
/// keyring.set_audit_sink(Arc::new(Bounded(Mutex::new(Vec::new()))));
/// # Ok::<(), desensitize::Error>(())
/// ```
pub trait AuditSink: Send + Sync {
    /// Record one event, or say why it could not be recorded.
    fn record(&self, event: &AuditEvent<'_>) -> Result<(), AuditError>;
}

/// The default sink: discards events (and so never fails).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoAudit;

impl AuditSink for NoAudit {
    fn record(&self, _: &AuditEvent<'_>) -> Result<(), AuditError> {
        Ok(())
    }
}

/// Writes one JSON object per event and line to a writer (a file, stderr, a pipe).
///
/// Fields: `ts_ms`, `kind`, `context` (object of the context fields),
/// `key_id`, `subject` (or null), `purpose`, `outcome` (`opened`/`refused`)
/// and `error` (the error message, or null). A failed write or flush is
/// reported as [`AuditError::Write`], so the open fails closed. The line is
/// flushed on every event: give it an unbuffered writer (a `File`) or one
/// whose `flush` reaches durable storage.
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
///
/// Events with access facts ([`AuditEvent::with_access`]) also carry
/// `principal`, `role`, `decision` (`allowed`, `masked`, `refused`,
/// `alarm`) and `os_user`; an alarm's `outcome` is `alarm` and its `limit`
/// names the budget limit (`per_minute`, `per_day`, `subjects_per_day`).
pub fn event_json(event: &AuditEvent<'_>) -> serde_json::Value {
    let ts = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis()).unwrap_or(0);
    let context: serde_json::Map<String, serde_json::Value> =
        event.context.fields().map(|(k, v)| (k.to_owned(), v.into())).collect();
    let (mut outcome, error) = match event.outcome {
        Outcome::Opened => ("opened", serde_json::Value::Null),
        Outcome::Refused(e) => ("refused", e.to_string().into()),
    };
    if let Some(Decision::Alarm(_)) = event.decision {
        outcome = "alarm";
    }
    let mut json = serde_json::json!({
        "ts_ms": u64::try_from(ts).unwrap_or(u64::MAX),
        "kind": event.kind.as_str(),
        "context": context,
        "key_id": event.key_id,
        "subject": event.subject,
        "purpose": event.purpose,
        "outcome": outcome,
        "error": error,
    });
    if let (Some(decision), Some(object)) = (event.decision, json.as_object_mut()) {
        object.insert("principal".into(), event.principal.into());
        object.insert("role".into(), event.role.into());
        object.insert("decision".into(), decision.as_str().into());
        object.insert("os_user".into(), event.os_user.into());
        if let Decision::Alarm(limit) = decision {
            object.insert("limit".into(), limit.as_str().into());
        }
    }
    json
}

impl<W: Write + Send> AuditSink for JsonLinesAudit<W> {
    fn record(&self, event: &AuditEvent<'_>) -> Result<(), AuditError> {
        let mut line = event_json(event).to_string();
        line.push('\n');
        // A writer poisoned by a panic mid-line may hold half an event: refuse.
        let mut out = self.out.lock().map_err(|_| AuditError::WriterPoisoned)?;
        out.write_all(line.as_bytes())?;
        out.flush()?;
        Ok(())
    }
}

/// Emits every audit event as a `tracing` event (feature `tracing`), on
/// target `desensitize::audit`: `INFO` for opened, `WARN` for refused, with
/// the fields of [`event_json`] (`kind`, `context`, `key_id`, `subject`,
/// `purpose`, `outcome`, `error`) and never the value.
///
/// A tracing subscriber cannot say whether it recorded the event, so this
/// sink never fails: where the audit trail must be durable, record to a
/// [`JsonLinesAudit`] (or your own fail-closed sink) and forward to tracing
/// from there, e.g. by calling [`TracingAudit::emit`] in your sink.
///
/// ```
/// use std::sync::Arc;
/// use desensitize::audit::TracingAudit;
/// use desensitize::{Context, Keyring, MobilePhone};
///
/// let mut keyring = Keyring::generate()?;
/// keyring.set_audit_sink(Arc::new(TracingAudit));
/// let ctx = Context::new("users", "phone").with_row("7");
/// let sealed = keyring.seal(&"13800138000".parse::<MobilePhone>()?, &ctx)?;
/// keyring.open(&sealed, &ctx, "send-sms")?; // one INFO event, target desensitize::audit
/// # Ok::<(), desensitize::Error>(())
/// ```
#[cfg(feature = "tracing")]
#[derive(Debug, Clone, Copy, Default)]
pub struct TracingAudit;

#[cfg(feature = "tracing")]
impl TracingAudit {
    /// Emit `event` as a tracing event (what [`AuditSink::record`] does).
    pub fn emit(event: &AuditEvent<'_>) {
        let kind = event.kind.as_str();
        let context = tracing::field::display(event.context);
        let subject = event.subject.unwrap_or("");
        match event.outcome {
            Outcome::Opened => tracing::info!(
                target: "desensitize::audit",
                kind, %context, key_id = event.key_id, subject, purpose = event.purpose,
                outcome = "opened",
                "open"
            ),
            Outcome::Refused(e) => tracing::warn!(
                target: "desensitize::audit",
                kind, %context, key_id = event.key_id, subject, purpose = event.purpose,
                outcome = "refused", error = %e,
                "open"
            ),
        }
    }
}

#[cfg(feature = "tracing")]
impl AuditSink for TracingAudit {
    fn record(&self, event: &AuditEvent<'_>) -> Result<(), AuditError> {
        TracingAudit::emit(event);
        Ok(())
    }
}

/// Record the event of one attempt to reach plaintext and pass its result
/// on, or return [`Error::AuditFailed`] when `sink` could not record it: the
/// plaintext in `result` is then dropped (the kinds wipe themselves on drop).
pub(crate) fn fail_closed<T>(
    sink: &dyn AuditSink,
    kind: Kind,
    context: &Context,
    key_id: u32,
    subject: Option<&str>,
    purpose: &str,
    result: Result<T>,
) -> Result<T> {
    record_result(sink, AuditEvent::new(kind, context, key_id, subject, purpose, Outcome::Opened), result)
}

/// [`fail_closed`] for an event built by the caller (with access facts):
/// its outcome is set from `result`, and a refusal's decision becomes
/// [`Decision::Refused`].
pub(crate) fn record_result<T>(sink: &dyn AuditSink, event: AuditEvent<'_>, result: Result<T>) -> Result<T> {
    let outcome = match &result {
        Ok(_) => Outcome::Opened,
        Err(e) => Outcome::Refused(e),
    };
    let decision = match (&result, event.decision) {
        (Err(_), Some(_)) => Some(Decision::Refused),
        (_, decision) => decision,
    };
    match sink.record(&AuditEvent { outcome, decision, ..event }) {
        Ok(()) => result,
        Err(e) => Err(Error::AuditFailed(e)),
    }
}
