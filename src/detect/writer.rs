//! [`RedactWriter`]: an `io::Write` that redacts each line before passing
//! it on, for log output (a `tracing` subscriber's writer, a logger's sink).

use std::io::{self, Write};
use std::sync::Arc;

use zeroize::Zeroizing;

use super::{Detector, Redactor, Restorer, Rules};

/// The longest line held before it is redacted and written anyway.
pub const MAX_PENDING: usize = 1 << 20;

/// Wraps a writer: each complete line written through it is redacted
/// (spans found by the detector replaced as the rules say) before it reaches
/// the inner writer; a partial line waits for its end, for
/// [`flush`](Write::flush) or for the drop. Nothing unredacted reaches the
/// inner writer, and the pending bytes are wiped. Placeholders are numbered
/// once for the whole stream: the same value gets the same placeholder on
/// every line ([`RedactWriter::restorer`] holds the mapping, which grows
/// with each distinct value replaced by a placeholder: for a log that runs
/// for days, masks keep memory flat).
///
/// With `tracing-subscriber`, every formatted event goes through it:
/// `tracing_subscriber::fmt().with_writer(move || RedactWriter::new(detector.clone(), rules.clone(), io::stderr()))`.
///
/// ```
/// use std::io::Write;
/// use std::sync::Arc;
/// use desensitize::detect::{Detector, RedactWriter, Rules};
/// use desensitize::MaskLevel;
///
/// let mut out = Vec::new();
/// {
///     let mut w = RedactWriter::new(Arc::new(Detector::new()), Rules::masks(MaskLevel::Standard), &mut out);
///     write!(w, "login failed for 1380013")?;
///     writeln!(w, "8000 from 10.2.3.4")?; // a value split over two writes is still found
/// }
/// assert_eq!(String::from_utf8(out).unwrap(), "login failed for 138****8000 from 10.2.*.*\n");
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct RedactWriter<W: Write> {
    detector: Arc<Detector>,
    rules: Rules<'static>,
    inner: W,
    pending: Zeroizing<Vec<u8>>,
    /// The placeholder numbering of the whole stream, carried from line to line.
    restorer: Restorer,
}

impl<W: Write> core::fmt::Debug for RedactWriter<W> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("RedactWriter")
    }
}

impl<W: Write> RedactWriter<W> {
    /// Redact what is written through it with `detector` and `rules`, then write it to `inner`.
    pub fn new(detector: Arc<Detector>, rules: Rules<'static>, inner: W) -> RedactWriter<W> {
        RedactWriter {
            detector,
            rules,
            inner,
            pending: Zeroizing::new(Vec::new()),
            restorer: Restorer::default(),
        }
    }

    /// The placeholder mapping of everything written so far (empty unless
    /// the rules use [`Action::Placeholder`](super::Action::Placeholder)):
    /// one numbering for the whole stream, so the same value gets the same
    /// placeholder on every line.
    ///
    /// ```
    /// use std::io::Write;
    /// use std::sync::Arc;
    /// use desensitize::detect::{Detector, RedactWriter, Rules};
    ///
    /// let mut out = Vec::new();
    /// let mut w = RedactWriter::new(Arc::new(Detector::new()), Rules::placeholders(), &mut out);
    /// writeln!(w, "a 13800138000")?;
    /// writeln!(w, "b 13900139000 c 13800138000")?;
    /// assert_eq!(w.restorer().len(), 2);
    /// drop(w);
    /// assert_eq!(String::from_utf8(out).unwrap(), "a <手机号_1>\nb <手机号_2> c <手机号_1>\n");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn restorer(&self) -> &Restorer {
        &self.restorer
    }

    /// Redact and write the pending bytes up to `end`.
    fn emit(&mut self, end: usize) -> io::Result<()> {
        let text = String::from_utf8_lossy(&self.pending[..end]);
        let restorer = core::mem::take(&mut self.restorer);
        let mut redactor = Redactor::resume(&self.detector, &self.rules, restorer);
        let out = redactor.redact(&text).map_err(|e| io::Error::other(e.to_string()));
        self.restorer = redactor.finish();
        let out = out?;
        // A lossy copy (invalid UTF-8) is an owned plaintext copy: wipe it.
        if let std::borrow::Cow::Owned(copy) = text {
            drop(Zeroizing::new(copy));
        }
        self.inner.write_all(out.as_bytes())?;
        // Shift the rest down in place (no reallocation, so no unwiped copy).
        let len = self.pending.len();
        self.pending.copy_within(end..len, 0);
        let rest = len - end;
        zeroize::Zeroize::zeroize(&mut self.pending[rest..]);
        self.pending.truncate(rest);
        Ok(())
    }

    /// Grow the pending buffer through a wiped copy.
    fn reserve(&mut self, extra: usize) {
        let need = self.pending.len() + extra;
        if need > self.pending.capacity() {
            let mut bigger = Zeroizing::new(Vec::with_capacity(need.next_power_of_two()));
            bigger.extend_from_slice(&self.pending);
            self.pending = bigger;
        }
    }
}

impl<W: Write> Write for RedactWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.reserve(buf.len());
        self.pending.extend_from_slice(buf);
        while let Some(nl) = self.pending.iter().position(|&b| b == b'\n') {
            self.emit(nl + 1)?;
        }
        if self.pending.len() > MAX_PENDING {
            let len = self.pending.len();
            self.emit(len)?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if !self.pending.is_empty() {
            let len = self.pending.len();
            self.emit(len)?;
        }
        self.inner.flush()
    }
}

impl<W: Write> Drop for RedactWriter<W> {
    fn drop(&mut self) {
        let _ = self.flush();
    }
}
