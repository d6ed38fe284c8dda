//! Redaction: each detected span replaced as its kind's rule says.

use std::io::{BufRead, Write};

use super::restore::Restorer;
use super::{Detector, Span};
use crate::kind::AnyValue;
use crate::pseudo::Pseudonymizer;
use crate::{Context, Error, Keyring, Kind, MaskLevel, Result, columns};

/// What replaces a detected value of one kind.
#[derive(Clone, Copy)]
#[non_exhaustive]
pub enum Action<'k> {
    /// Leave the value as it is.
    Keep,
    /// The kind's mask at this level (`138****8000`).
    Mask(MaskLevel),
    /// A numbered placeholder (`<手机号_1>`), the same for the same text
    /// within a document, that a [`Restorer`] reverses.
    Placeholder,
    /// The value's keyed token (`tk1.…`), through [`columns::token`].
    Token(&'k Pseudonymizer),
    /// The value sealed under the keyring in the context (`dz1.…`),
    /// through [`columns::seal_text`].
    Seal(&'k Keyring, &'k Context),
}

impl core::fmt::Debug for Action<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Action::Keep => f.write_str("Keep"),
            Action::Mask(level) => write!(f, "Mask({level:?})"),
            Action::Placeholder => f.write_str("Placeholder"),
            Action::Token(_) => f.write_str("Token"),
            Action::Seal(..) => f.write_str("Seal"),
        }
    }
}

/// One [`Action`] per kind: what [`Detector::redact`] does with each span.
///
/// ```
/// use desensitize::detect::{Action, Detector, Rules};
/// use desensitize::{Kind, MaskLevel};
///
/// let rules = Rules::masks(MaskLevel::Standard).set(Kind::Email, Action::Placeholder);
/// let out = Detector::new().redact("手机 13800138000，邮箱 li@example.com", &rules)?;
/// assert_eq!(out.text, "手机 138****8000，邮箱 <邮箱_1>");
/// # Ok::<(), desensitize::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Rules<'k> {
    actions: [Action<'k>; Kind::ALL.len()],
}

impl<'k> Rules<'k> {
    /// The same action for every kind.
    pub fn all(action: Action<'k>) -> Rules<'k> {
        Rules { actions: [action; Kind::ALL.len()] }
    }

    /// Every kind masked at `level`.
    pub fn masks(level: MaskLevel) -> Rules<'k> {
        Rules::all(Action::Mask(level))
    }

    /// Every kind replaced by a placeholder.
    pub fn placeholders() -> Rules<'k> {
        Rules::all(Action::Placeholder)
    }

    /// `kind` gets `action`.
    pub fn set(mut self, kind: Kind, action: Action<'k>) -> Rules<'k> {
        self.actions[slot(kind)] = action;
        self
    }

    /// The action for `kind`.
    pub fn action(&self, kind: Kind) -> Action<'k> {
        self.actions[slot(kind)]
    }
}

fn slot(kind: Kind) -> usize {
    Kind::ALL.iter().position(|&k| k == kind).unwrap_or(0)
}

/// A redacted text and the mapping that reverses its placeholders.
/// `Debug` shows only the counts (kept values stay in the text).
pub struct Redaction {
    /// The text with every detected value replaced.
    pub text: String,
    /// The originals behind the placeholders (empty if none were used).
    pub restorer: Restorer,
    /// How many spans were replaced (kept ones not counted).
    pub replaced: usize,
}

impl core::fmt::Debug for Redaction {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "Redaction {{ bytes: {}, replaced: {}, {:?} }}",
            self.text.len(),
            self.replaced,
            self.restorer
        )
    }
}

/// Redacts text piece by piece with one [`Restorer`], so placeholders stay
/// consistent over a whole document or stream.
///
/// ```
/// use desensitize::detect::{Detector, Redactor, Rules};
///
/// let detector = Detector::new();
/// let rules = Rules::placeholders();
/// let mut r = Redactor::new(&detector, &rules);
/// assert_eq!(r.redact("from 13800138000")?, "from <手机号_1>");
/// assert_eq!(r.redact("to 13800138000")?, "to <手机号_1>");
/// assert_eq!(r.finish().restore("<手机号_1>").as_str(), "13800138000");
/// # Ok::<(), desensitize::Error>(())
/// ```
#[derive(Debug)]
pub struct Redactor<'a> {
    detector: &'a Detector,
    rules: &'a Rules<'a>,
    restorer: Restorer,
    replaced: usize,
}

impl<'a> Redactor<'a> {
    /// A redactor with an empty placeholder mapping.
    pub fn new(detector: &'a Detector, rules: &'a Rules<'a>) -> Redactor<'a> {
        Redactor::resume(detector, rules, Restorer::default())
    }

    /// A redactor that continues the numbering of `restorer` (a stream's
    /// state kept between pieces by its owner).
    pub(super) fn resume(detector: &'a Detector, rules: &'a Rules<'a>, restorer: Restorer) -> Redactor<'a> {
        Redactor { detector, rules, restorer, replaced: 0 }
    }

    /// `text` redacted; placeholders continue the numbering of earlier calls.
    pub fn redact(&mut self, text: &str) -> Result<String> {
        let spans = self.detector.detect(text);
        let mut out = String::with_capacity(text.len());
        let mut at = 0;
        for span in spans {
            out.push_str(&text[at..span.start]);
            self.replace(&text[span.start..span.end], span, &mut out)?;
            at = span.end;
        }
        out.push_str(&text[at..]);
        Ok(out)
    }

    fn replace(&mut self, original: &str, span: Span, out: &mut String) -> Result<()> {
        let action = self.rules.action(span.kind);
        if matches!(action, Action::Keep) {
            out.push_str(original);
            return Ok(());
        }
        self.replaced += 1;
        if matches!(action, Action::Placeholder) {
            out.push_str(&self.restorer.placeholder(span.kind, original));
            return Ok(());
        }
        let value = AnyValue::parse(span.kind, original)?;
        match action {
            Action::Mask(level) => out.push_str(&value.mask(level)),
            Action::Token(tokens) => out.push_str(&columns::token(tokens, &value)?.to_string()),
            Action::Seal(keyring, ctx) => out.push_str(&columns::seal_text(keyring, &value, ctx)?),
            Action::Keep | Action::Placeholder => {}
        }
        Ok(())
    }

    /// Redact lines from `input` to `output` until the end, flushing after
    /// each line (so it can sit in a log pipe). No detected value spans a
    /// line break, so cutting the stream at line ends loses none, and
    /// placeholders stay consistent over the whole stream. Memory is bounded by the
    /// longest line, capped at `max_line` bytes: a longer line is an error
    /// ([`Error::Io`] with `InvalidData`), as is text that is not UTF-8.
    /// Returns how many lines were written.
    ///
    /// ```
    /// use desensitize::detect::{Detector, Redactor, Rules};
    /// use desensitize::MaskLevel;
    ///
    /// let input = "a 13800138000\nb 11010519491231002X\n";
    /// let (detector, rules) = (Detector::new(), Rules::masks(MaskLevel::Strict));
    /// let mut out = Vec::new();
    /// let lines = Redactor::new(&detector, &rules).redact_lines(input.as_bytes(), &mut out, 1 << 20)?;
    /// assert_eq!(lines, 2);
    /// assert_eq!(String::from_utf8(out).unwrap(), "a *******8000\nb 1****************X\n");
    /// # Ok::<(), desensitize::Error>(())
    /// ```
    pub fn redact_lines(
        &mut self,
        input: impl BufRead,
        mut output: impl Write,
        max_line: usize,
    ) -> Result<u64> {
        let io = |e: std::io::Error| Error::Io(e.kind());
        let mut input = input.take(0);
        // Sized once: growing would leave unwiped copies of a line.
        let mut line = zeroize::Zeroizing::new(Vec::with_capacity(max_line.saturating_add(1)));
        let mut count = 0;
        loop {
            line.clear();
            input.set_limit(max_line as u64 + 1);
            let n = input.read_until(b'\n', &mut line).map_err(io)?;
            if n == 0 {
                break;
            }
            if n > max_line {
                return Err(Error::Io(std::io::ErrorKind::InvalidData));
            }
            let text = core::str::from_utf8(&line).map_err(|_| Error::Io(std::io::ErrorKind::InvalidData))?;
            output.write_all(self.redact(text)?.as_bytes()).map_err(io)?;
            output.flush().map_err(io)?;
            count += 1;
        }
        Ok(count)
    }

    /// The placeholder mapping of everything redacted so far.
    pub fn finish(self) -> Restorer {
        self.restorer
    }

    /// How many spans were replaced so far.
    pub fn replaced(&self) -> usize {
        self.replaced
    }
}

impl Detector {
    /// `text` with every detected value replaced as `rules` say, and the
    /// mapping that puts placeholders back.
    ///
    /// ```
    /// use desensitize::detect::{Detector, Rules};
    ///
    /// let prompt = "帮我查一下 13800138000 的话费，身份证 11010519491231002X";
    /// let out = Detector::new().redact(prompt, &Rules::placeholders())?;
    /// assert_eq!(out.text, "帮我查一下 <手机号_1> 的话费，身份证 <身份证号_1>");
    /// assert_eq!(out.replaced, 2);
    /// assert_eq!(out.restorer.restore(&out.text).as_str(), prompt);
    /// # Ok::<(), desensitize::Error>(())
    /// ```
    pub fn redact(&self, text: &str, rules: &Rules<'_>) -> Result<Redaction> {
        let mut r = Redactor::new(self, rules);
        let text = r.redact(text)?;
        let replaced = r.replaced;
        Ok(Redaction { text, restorer: r.finish(), replaced })
    }
}

/// `text` redacted by a [`Detector::new`] as `rules` say.
///
/// ```
/// use desensitize::detect::{redact, Rules};
/// use desensitize::MaskLevel;
///
/// let out = redact("user 13800138000 failed login", &Rules::masks(MaskLevel::Standard))?;
/// assert_eq!(out.text, "user 138****8000 failed login");
/// # Ok::<(), desensitize::Error>(())
/// ```
pub fn redact(text: &str, rules: &Rules<'_>) -> Result<Redaction> {
    static DEFAULT: std::sync::OnceLock<Detector> = std::sync::OnceLock::new();
    DEFAULT.get_or_init(Detector::new).redact(text, rules)
}

#[cfg(feature = "rayon")]
impl Detector {
    /// Each text redacted on its own (placeholders numbered per text, one
    /// restorer each), in parallel on all cores (feature `rayon`): for many
    /// documents, or the lines of a large file cut into blocks. The results
    /// are in input order; the first error in input order is returned.
    ///
    /// ```
    /// use desensitize::detect::{Detector, Rules};
    /// use desensitize::MaskLevel;
    ///
    /// let docs = ["a 13800138000", "b a@b.cn", "c nothing"];
    /// let out = Detector::new().redact_all(&docs, &Rules::masks(MaskLevel::Strict))?;
    /// let texts: Vec<&str> = out.iter().map(|r| r.text.as_str()).collect();
    /// assert_eq!(texts, ["a *******8000", "b ***@b.cn", "c nothing"]);
    /// # Ok::<(), desensitize::Error>(())
    /// ```
    pub fn redact_all<T: AsRef<str> + Sync>(&self, texts: &[T], rules: &Rules<'_>) -> Result<Vec<Redaction>> {
        use rayon::prelude::*;
        texts.par_iter().map(|t| self.redact(t.as_ref(), rules)).collect()
    }
}
