//! [`RedactFields`]: a `tracing-subscriber` field formatter that redacts
//! detected personal data in each event's message and fields, and in span
//! fields, before the fmt layer writes them (feature `tracing-redact`).

use core::fmt::{self, Write as _};
use std::sync::Arc;

use tracing::field::{Field, Visit};
use tracing_subscriber::field::RecordFields;
use tracing_subscriber::fmt::FormatFields;
use tracing_subscriber::fmt::format::Writer;
use zeroize::Zeroizing;

use super::{Detector, Redactor, Rules};
use crate::MaskLevel;

/// What replaces a field value whose redaction failed (a token or seal
/// action that could not be applied): never the value itself.
pub const REDACTION_FAILED: &str = "<redaction failed>";

/// A field formatter for `tracing_subscriber::fmt` that runs a
/// [`Detector`] over the message and over every field value (strings,
/// numbers, `Debug` and `Display` values, errors) and replaces what it
/// finds as its [`Rules`] say, before anything is written: the formatter
/// and the writer never see a detected value. Field names stay as they
/// are, and help as context words (`phone=` does not, but `手机` in a
/// message does).
///
/// Fields are written as `tracing-subscriber`'s default formatter writes
/// them: the message first, then `name=value` pairs (strings quoted),
/// with control characters in the message escaped. Placeholders
/// ([`Action::Placeholder`](super::Action::Placeholder)) are numbered per
/// event. This formats the event and span fields of the default (`Full`)
/// and `Compact` formats. The `Pretty` and JSON formats write an event's
/// fields themselves, past any field formatter: with them, wrap the writer
/// in a [`RedactWriter`](super::RedactWriter) instead.
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use desensitize::detect::{Detector, RedactFields};
///
/// let out = Arc::new(Mutex::new(Vec::new()));
/// let sink = out.clone();
/// let subscriber = tracing_subscriber::fmt()
///     .fmt_fields(RedactFields::new(Detector::new()))
///     .with_writer(move || Sink(sink.clone()))
///     .with_ansi(false)
///     .without_time()
///     .with_target(false)
///     .finish();
/// tracing::subscriber::with_default(subscriber, || {
///     tracing::info!(phone = "13800138000", attempts = 3, "login failed for 11010519491231002X");
/// });
/// let text = String::from_utf8(out.lock().unwrap().clone()).unwrap();
/// assert_eq!(text, " INFO login failed for 110************02X phone=\"138****8000\" attempts=3\n");
///
/// struct Sink(Arc<Mutex<Vec<u8>>>);
/// impl std::io::Write for Sink {
///     fn write(&mut self, b: &[u8]) -> std::io::Result<usize> { self.0.lock().unwrap().write(b) }
///     fn flush(&mut self) -> std::io::Result<()> { Ok(()) }
/// }
/// ```
#[derive(Debug, Clone)]
pub struct RedactFields {
    detector: Arc<Detector>,
    rules: Rules<'static>,
}

impl RedactFields {
    /// Redact what `detector` finds with each kind's mask at
    /// [`MaskLevel::Standard`] (`138****8000`).
    pub fn new(detector: impl Into<Arc<Detector>>) -> RedactFields {
        RedactFields { detector: detector.into(), rules: Rules::masks(MaskLevel::Standard) }
    }

    /// Replace what is found as `rules` say instead.
    ///
    /// ```
    /// use desensitize::detect::{Detector, RedactFields, Rules};
    /// use desensitize::MaskLevel;
    ///
    /// let fields = RedactFields::new(Detector::new()).with_rules(Rules::masks(MaskLevel::Strict));
    /// let _subscriber = tracing_subscriber::fmt().fmt_fields(fields).finish();
    /// ```
    pub fn with_rules(mut self, rules: Rules<'static>) -> RedactFields {
        self.rules = rules;
        self
    }
}

impl<'writer> FormatFields<'writer> for RedactFields {
    fn format_fields<R: RecordFields>(&self, writer: Writer<'writer>, fields: R) -> fmt::Result {
        let mut visitor = Visitor {
            redactor: Redactor::new(&self.detector, &self.rules),
            writer,
            scratch: Zeroizing::new(String::with_capacity(256)),
            empty: true,
            result: Ok(()),
        };
        fields.record(&mut visitor);
        visitor.result
    }
}

/// Writes one event's (or span's) fields, each value redacted first.
struct Visitor<'a, 'w> {
    redactor: Redactor<'a>,
    writer: Writer<'w>,
    /// The value as text before redaction: wiped when done.
    scratch: Zeroizing<String>,
    empty: bool,
    result: fmt::Result,
}

impl Visitor<'_, '_> {
    /// Write field `field` whose plain text is in `self.scratch`, redacted;
    /// `quote` writes the redacted text as a Rust string literal.
    fn emit(&mut self, field: &Field, quote: bool) {
        if self.result.is_err() {
            return;
        }
        let redacted = match self.redactor.redact(&self.scratch) {
            Ok(text) => Zeroizing::new(text),
            Err(_) => Zeroizing::new(REDACTION_FAILED.to_owned()),
        };
        zeroize::Zeroize::zeroize(&mut *self.scratch);
        let name = field.name();
        self.result = self.write(name, &redacted, quote);
    }

    fn write(&mut self, name: &str, value: &str, quote: bool) -> fmt::Result {
        if !self.empty {
            self.writer.write_char(' ')?;
        }
        self.empty = false;
        if name == "message" {
            for c in value.chars() {
                if c.is_control() && c != '\t' {
                    write!(self.writer, "{}", c.escape_default())?;
                } else {
                    self.writer.write_char(c)?;
                }
            }
            return Ok(());
        }
        let name = name.strip_prefix("r#").unwrap_or(name);
        if quote { write!(self.writer, "{name}={value:?}") } else { write!(self.writer, "{name}={value}") }
    }
}

impl Visit for Visitor<'_, '_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.scratch.clear();
        self.scratch.push_str(value);
        self.emit(field, field.name() != "message");
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.scratch.clear();
        let _ = write!(self.scratch, "{value}");
        let mut source = value.source();
        while let Some(s) = source {
            let _ = write!(self.scratch, ": {s}");
            source = s.source();
        }
        self.emit(field, false);
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.scratch.clear();
        let _ = write!(self.scratch, "{value:?}");
        self.emit(field, false);
    }
}
