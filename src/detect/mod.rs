//! Find personal data in free text: log lines, tickets, chats, prompts.
//!
//! A [`Detector`] is built once (which kinds, a minimum confidence, extra
//! context words) and scans UTF-8 text in one pass, yielding [`Span`]s: byte
//! ranges on char boundaries, never overlapping, in text order. Every kind
//! with a structure is reported only where the kind's own parser accepts
//! the text ([`AnyValue::parse`]): an 18-character run is an ID number only
//! if its GB 11643 check character and birth date hold, a card number only
//! if its Luhn digit does. The forms people write are found: full-width
//! digits, `+86` / `0086`, spaces and dashes inside numbers, the legacy
//! 15-digit ID. A value inside a longer run of letters or digits (an order
//! number that contains a valid phone number) is not reported.
//!
//! Names and addresses have no check digit: names are found only after a
//! context word (`姓名`, `联系人`, ...) or before a title (`先生`, `女士`),
//! addresses where a GB/T 2260 province or city name starts a run that
//! ends in a street pattern (`路`, `号`, `室`, ...); both with lower
//! confidence. Context words before a value (`身份证`, `手机`, `卡号`, ...)
//! raise its confidence. No network, no model.
//!
//! ```
//! use desensitize::detect::Detector;
//! use desensitize::Kind;
//!
//! let detector = Detector::new();
//! let text = "用户 138 0013 8000 登录失败，订单号 913800138000123，身份证 11010519491231002X";
//! let spans = detector.detect(text);
//! let found: Vec<(Kind, &str)> = spans.iter().map(|s| (s.kind, &text[s.start..s.end])).collect();
//! assert_eq!(
//!     found,
//!     [(Kind::MobilePhone, "138 0013 8000"), (Kind::IdNumber, "11010519491231002X")]
//! );
//! assert!(spans[1].confidence > spans[0].confidence); // a check character and a context word
//! ```

mod context;
#[cfg(feature = "tracing-redact")]
mod fields;
mod numbers;
#[cfg(feature = "stream")]
mod profile;
mod redact;
mod restore;
mod shapes;
mod text;
mod words;
mod writer;

use crate::Kind;
use crate::kind::AnyValue;

#[cfg(feature = "tracing-redact")]
pub use fields::{REDACTION_FAILED, RedactFields};
#[cfg(feature = "stream")]
pub use profile::{ColumnScan, ColumnStats, SUGGEST_SHARE, draft_policy, scan_columns};
pub use redact::{Action, Redaction, Redactor, Rules, redact};
pub use restore::Restorer;
pub use writer::{MAX_PENDING, RedactWriter};

/// The kinds a [`Detector`] can find: every kind except passwords and
/// biometric templates, which never appear as text of their own.
pub const DETECTABLE: [Kind; 14] = {
    // `Kind::ALL` without the two: a new kind fails to compile here until
    // someone decides whether the detector finds it.
    let mut out = [Kind::IdNumber; 14];
    let (mut i, mut n) = (0, 0);
    while i < Kind::ALL.len() {
        if !matches!(Kind::ALL[i], Kind::Password | Kind::Biometric) {
            out[n] = Kind::ALL[i];
            n += 1;
        }
        i += 1;
    }
    out
};

/// The default minimum confidence of a [`Detector`].
pub const DEFAULT_MIN_CONFIDENCE: f32 = 0.5;

/// One piece of personal data found in a text: the byte range
/// `start..end` (on char boundaries), its kind and how sure the detector
/// is, from 0 to 1. Holds no character of the value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Span {
    /// Byte offset of the first byte.
    pub start: usize,
    /// Byte offset just past the last byte.
    pub end: usize,
    /// What the span holds.
    pub kind: Kind,
    /// How sure the detector is: about 0.85 to 0.99 for a validated kind
    /// (check digits, then context words), 0.6 to 0.85 for names,
    /// addresses, locations, and passports after a context word.
    pub confidence: f32,
}

/// Why a [`DetectorBuilder`] setting cannot work. Value-free.
///
/// ```
/// use desensitize::detect::{DetectError, Detector};
/// use desensitize::Kind;
///
/// let err = Detector::builder().kinds([Kind::Password]).build().unwrap_err();
/// assert_eq!(err, DetectError::NotDetectable(Kind::Password));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DetectError {
    /// The kind never appears as text of its own (passwords, biometric templates).
    #[error("{0} cannot be detected in text")]
    NotDetectable(Kind),
    /// A minimum confidence outside 0..=1 (or NaN).
    #[error("minimum confidence must be between 0 and 1")]
    Confidence,
    /// An empty context word, or one longer than the look-back window.
    #[error("context word must be 1 to 32 bytes")]
    ContextWord,
    /// No kind to look for.
    #[error("no kind to detect")]
    NoKinds,
}

/// Finds personal data in text; build once, use from any thread.
///
/// ```
/// use desensitize::detect::Detector;
/// use desensitize::Kind;
///
/// let detector = Detector::builder()
///     .kinds([Kind::BankCard, Kind::Passport])
///     .context_word(Kind::Passport, "旅行证件")
///     .min_confidence(0.6)
///     .build()?;
/// let text = "旅行证件 E12345678，卡号 6222 0212 3456 7894";
/// let spans = detector.detect(text);
/// assert_eq!(spans.len(), 2);
/// assert_eq!((spans[0].kind, &text[spans[0].start..spans[0].end]), (Kind::Passport, "E12345678"));
/// assert_eq!(spans[1].kind, Kind::BankCard);
/// // Without its context word a passport number is too uncertain.
/// assert_eq!(detector.detect("编号 E12345678").len(), 0);
/// # Ok::<(), desensitize::detect::DetectError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Detector {
    kinds: u32,
    min_confidence: f32,
    words: Vec<(Kind, Box<str>)>,
}

/// Settings of a [`Detector`]; see [`Detector::builder`].
#[derive(Debug, Clone)]
pub struct DetectorBuilder {
    kinds: Vec<Kind>,
    min_confidence: f32,
    words: Vec<(Kind, String)>,
}

fn bit(kind: Kind) -> u32 {
    Kind::ALL.iter().position(|&k| k == kind).map_or(0, |i| 1 << i)
}

impl Default for Detector {
    fn default() -> Detector {
        Detector::new()
    }
}

impl Detector {
    /// Every [detectable](DETECTABLE) kind, the built-in context words,
    /// minimum confidence [`DEFAULT_MIN_CONFIDENCE`].
    ///
    /// ```
    /// use desensitize::detect::Detector;
    ///
    /// let spans = Detector::new().detect("write to zhangsan@example.com");
    /// assert_eq!((spans[0].start, spans[0].end), (9, 29));
    /// ```
    pub fn new() -> Detector {
        Detector {
            kinds: DETECTABLE.iter().fold(0, |acc, &k| acc | bit(k)),
            min_confidence: DEFAULT_MIN_CONFIDENCE,
            words: default_words(),
        }
    }

    /// Settings to build a detector from.
    pub fn builder() -> DetectorBuilder {
        DetectorBuilder {
            kinds: DETECTABLE.to_vec(),
            min_confidence: DEFAULT_MIN_CONFIDENCE,
            words: Vec::new(),
        }
    }

    /// Whether the detector looks for `kind`.
    ///
    /// ```
    /// use desensitize::detect::Detector;
    /// use desensitize::Kind;
    ///
    /// assert!(Detector::new().detects(Kind::IdNumber));
    /// assert!(!Detector::new().detects(Kind::Password));
    /// ```
    pub fn detects(&self, kind: Kind) -> bool {
        self.kinds & bit(kind) != 0
    }

    /// The spans of personal data in `text`, in text order, never
    /// overlapping, each at least the minimum confidence.
    ///
    /// ```
    /// use desensitize::detect::Detector;
    /// use desensitize::Kind;
    ///
    /// // Full-width digits and a country prefix; a valid phone inside a longer digit run is not one.
    /// let text = "电话：＋８６ １３８００１３８０００，单号 SF13800138000";
    /// let spans = Detector::new().detect(text);
    /// assert_eq!(spans.len(), 1);
    /// assert_eq!(spans[0].kind, Kind::MobilePhone);
    /// assert!(text[spans[0].start..spans[0].end].starts_with('＋'));
    /// ```
    pub fn detect(&self, text: &str) -> Vec<Span> {
        let mut spans = self.candidates(text);
        spans.retain(|s| s.confidence >= self.min_confidence);
        spans
    }

    /// Every span found, whatever its confidence (resolved, in order).
    fn candidates(&self, text: &str) -> Vec<Span> {
        let mut found = Found { text, det: self, spans: Vec::new(), address_until: 0 };
        found.scan();
        resolve(found.spans)
    }

    /// Every candidate span, whatever its confidence, as if `context` came
    /// right before `text` (a column name: `phone`, `身份证号`).
    #[cfg(feature = "stream")]
    fn detect_with_context(&self, text: &str, context: &str) -> Vec<Span> {
        let context = &context[..text::floor_boundary(context, context::WINDOW - 1)];
        let mut joined = zeroize::Zeroizing::new(String::with_capacity(context.len() + 1 + text.len()));
        joined.push_str(context);
        joined.push('\n');
        joined.push_str(text);
        let skip = context.len() + 1;
        let mut spans = self.candidates(&joined);
        spans.retain(|s| s.start >= skip);
        for s in &mut spans {
            s.start -= skip;
            s.end -= skip;
        }
        spans
    }

    /// `base` raised by a context word for `kind` in the window before `start`.
    /// Only words after byte `after` count.
    fn score(&self, text: &str, after: usize, start: usize, kind: Kind, base: f32) -> f32 {
        let from = text::floor_boundary(text, start.saturating_sub(context::WINDOW)).max(after);
        let window = &text[from..start];
        let hit = self.words.iter().any(|(k, w)| *k == kind && context::contains_word(window, w));
        if hit { (base + context::BOOST).min(context::MAX_CONFIDENCE) } else { base }
    }
}

fn default_words() -> Vec<(Kind, Box<str>)> {
    context::DEFAULT_WORDS.iter().flat_map(|(k, ws)| ws.iter().map(move |w| (*k, Box::from(*w)))).collect()
}

impl DetectorBuilder {
    /// Look only for these kinds (default: every [detectable](DETECTABLE) kind).
    pub fn kinds(mut self, kinds: impl IntoIterator<Item = Kind>) -> DetectorBuilder {
        self.kinds = kinds.into_iter().collect();
        self
    }

    /// Report only spans at least this sure (0 to 1; default
    /// [`DEFAULT_MIN_CONFIDENCE`]).
    pub fn min_confidence(mut self, min: f32) -> DetectorBuilder {
        self.min_confidence = min;
        self
    }

    /// Add a word that, just before a value of `kind`, raises its
    /// confidence (besides the built-in ones).
    pub fn context_word(mut self, kind: Kind, word: &str) -> DetectorBuilder {
        self.words.push((kind, word.to_owned()));
        self
    }

    /// The detector, or what is wrong with the settings.
    pub fn build(self) -> Result<Detector, DetectError> {
        if !(0.0..=1.0).contains(&self.min_confidence) {
            return Err(DetectError::Confidence);
        }
        if self.kinds.is_empty() {
            return Err(DetectError::NoKinds);
        }
        let mut kinds = 0;
        for kind in self.kinds {
            if !DETECTABLE.contains(&kind) {
                return Err(DetectError::NotDetectable(kind));
            }
            kinds |= bit(kind);
        }
        let mut words = default_words();
        for (kind, word) in self.words {
            if word.is_empty() || word.len() > context::WINDOW {
                return Err(DetectError::ContextWord);
            }
            if !DETECTABLE.contains(&kind) {
                return Err(DetectError::NotDetectable(kind));
            }
            words.push((kind, word.into_boxed_str()));
        }
        Ok(Detector { kinds, min_confidence: self.min_confidence, words })
    }
}

/// The candidates of one scan.
struct Found<'t, 'd> {
    text: &'t str,
    det: &'d Detector,
    spans: Vec<Span>,
    /// The end of the last address found: no other address starts inside it.
    address_until: usize,
}

impl Found<'_, '_> {
    fn wants(&self, kind: Kind) -> bool {
        self.det.detects(kind)
    }

    /// The most confident of `kinds` (with base confidences) that
    /// `text[start..end]` parses as.
    fn best(&self, start: usize, end: usize, kinds: &[(Kind, f32)]) -> Option<(Kind, f32)> {
        let candidate = self.text.get(start..end)?;
        // A context word speaks for the next value only: not across one found before.
        let after = self.spans.iter().rev().take(4).map(|s| s.end).filter(|&e| e <= start).max().unwrap_or(0);
        let mut best: Option<(Kind, f32)> = None;
        for &(kind, base) in kinds {
            if self.wants(kind) && AnyValue::parse(kind, candidate).is_ok() {
                let c = self.det.score(self.text, after, start, kind, base);
                if best.is_none_or(|(_, b)| c > b) {
                    best = Some((kind, c));
                }
            }
        }
        best
    }

    /// Record the most confident of `kinds` that `text[start..end]` parses as.
    fn try_kinds(&mut self, start: usize, end: usize, kinds: &[(Kind, f32)]) -> bool {
        let best = self.best(start, end, kinds);
        if let Some((kind, confidence)) = best {
            self.spans.push(Span { start, end, kind, confidence });
        }
        best.is_some()
    }

    /// The one pass: each position is looked at once; a scanner that
    /// consumed a run resumes the pass after it.
    fn scan(&mut self) {
        let text = self.text;
        let bytes = text.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            let next = if b == b'@' {
                shapes::email(self, i);
                i + 1
            } else if b < 0x80 {
                self.scan_ascii(i)
            } else {
                self.scan_wide(i)
            };
            i = next.max(i + 1);
            while !text.is_char_boundary(i) {
                i += 1;
            }
        }
    }

    fn scan_ascii(&mut self, i: usize) -> usize {
        let b = self.text.as_bytes()[i];
        if !(b.is_ascii_alphanumeric() || matches!(b, b'+' | b'(' | b'-')) {
            return i + 1;
        }
        if text::is_word(text::char_before(self.text, i)) {
            return i + 1;
        }
        let mut end = i + 1;
        if b.is_ascii_hexdigit() {
            end = end.max(shapes::ip_or_mac(self, i));
        }
        if b.is_ascii_digit() || b == b'-' {
            end = end.max(shapes::geo(self, i));
        }
        if b != b'-' {
            end = end.max(numbers::scan(self, i));
        }
        end
    }

    fn scan_wide(&mut self, i: usize) -> usize {
        let Some(c) = text::char_at(self.text, i) else { return i + 1 };
        if text::alnum(c).is_some() || c == '＋' {
            if text::is_word(text::char_before(self.text, i)) {
                return i + c.len_utf8();
            }
            return numbers::scan(self, i).max(i + c.len_utf8());
        }
        if !text::is_han(c) {
            return i + c.len_utf8();
        }
        // Each scanner only records; the pass resumes right after this
        // character, as a name or a phone number may start inside what a
        // plate or an address scan looked at.
        shapes::plate(self, i, c);
        if i >= self.address_until {
            self.address_until = words::address(self, i, c);
        }
        words::name(self, i, c);
        i + c.len_utf8()
    }
}

/// Overlapping candidates: the longer one stays (the higher confidence
/// when equally long). The result is sorted and disjoint.
fn resolve(mut spans: Vec<Span>) -> Vec<Span> {
    spans.sort_by(|a, b| a.start.cmp(&b.start).then(b.end.cmp(&a.end)));
    let mut out: Vec<Span> = Vec::with_capacity(spans.len());
    for s in spans {
        match out.last_mut() {
            Some(last) if s.start < last.end => {
                let (ls, ss) = (last.end - last.start, s.end - s.start);
                if ss > ls || (ss == ls && s.confidence > last.confidence) {
                    *last = s;
                }
            }
            _ => out.push(s),
        }
    }
    out
}

#[cfg(test)]
mod tests;
