//! Display masking: levels for typed kinds and a fail-closed rule API for free text.
//!
//! Every typed kind masks itself through [`Sensitive::mask`](crate::Sensitive::mask)
//! at one of three [`MaskLevel`]s, modelled on the Ant Design data-format spec
//! (high / mid / low exposure). For text that has no kind, [`Rule`] offers
//! the usual operations (keep the ends, mask a range, mask before or after a
//! character), always counting Unicode code points and always failing
//! *closed*: input that is too short for the rule comes back fully masked.
//!
//! ```
//! use desensitize::mask::Rule;
//!
//! let rule = Rule::keep(1, 1);
//! assert_eq!(rule.apply("𠮷野家"), "𠮷*家");
//! assert_eq!(rule.apply("ab"), "**"); // too short to keep both ends: all masked
//! ```

use crate::error::{Error, MaskRuleError, Result};

/// The character used for masked positions unless a rule says otherwise.
pub const MASK_CHAR: char = '*';

/// Fixed run used where a mask must not reveal the value's length.
pub(crate) const FIXED_RUN: &str = "****";

/// How much of a value a mask may show.
///
/// `Standard` is what `Display` prints for every kind.
///
/// ```
/// use desensitize::{MaskLevel, MobilePhone, Sensitive};
///
/// let phone: MobilePhone = "13800138000".parse()?;
/// assert_eq!(phone.mask(MaskLevel::Strict), "*******8000");
/// assert_eq!(phone.mask(MaskLevel::Standard), "138****8000");
/// assert_eq!(phone.to_string(), "138****8000");
/// # Ok::<(), desensitize::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum MaskLevel {
    /// Least exposure (Ant Design "high" masking): for public screens and logs.
    Strict,
    /// The default: enough to recognise one's own value.
    #[default]
    Standard,
    /// Most exposure (Ant Design "low" masking): for staff who verify identity.
    Relaxed,
}

impl MaskLevel {
    /// All levels, strictest first.
    pub const ALL: [MaskLevel; 3] = [MaskLevel::Strict, MaskLevel::Standard, MaskLevel::Relaxed];

    /// Lower-case name: `strict`, `standard`, `relaxed`.
    pub fn as_str(self) -> &'static str {
        match self {
            MaskLevel::Strict => "strict",
            MaskLevel::Standard => "standard",
            MaskLevel::Relaxed => "relaxed",
        }
    }
}

impl core::str::FromStr for MaskLevel {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "strict" | "high" => Ok(MaskLevel::Strict),
            "standard" | "mid" | "medium" => Ok(MaskLevel::Standard),
            "relaxed" | "low" => Ok(MaskLevel::Relaxed),
            _ => Err(Error::InvalidRule(MaskRuleError::UnknownLevel)),
        }
    }
}

/// Reduce `(first, last)` so that at least a quarter of the value (and at
/// least 3 characters, or all of a value that short) stays hidden. Shrinks
/// the kept prefix before the suffix: suffixes are what people recognise.
pub(crate) fn fail_safe_ends(len: usize, first: usize, last: usize) -> (usize, usize) {
    let min_hidden = if len <= 3 { len } else { (len / 4).max(3) };
    let budget = len - min_hidden;
    let last = last.min(budget);
    let first = first.min(budget - last);
    (first, last)
}

/// Keep the first `first` and last `last` bytes of an ASCII string, masking
/// the rest. One allocation; callers guarantee `s` is ASCII.
pub(crate) fn keep_ends_ascii(s: &str, first: usize, last: usize) -> String {
    let mut out = String::with_capacity(s.len());
    push_keep_ends_ascii(&mut out, s, first, last);
    out
}

/// [`keep_ends_ascii`], appended to `out` (no intermediate `String`).
pub(crate) fn push_keep_ends_ascii(out: &mut String, s: &str, first: usize, last: usize) {
    debug_assert!(s.is_ascii());
    let len = s.len();
    let (first, last) = fail_safe_ends(len, first, last);
    out.push_str(&s[..first]);
    push_mask_run(out, len - last - first);
    out.push_str(&s[len - last..]);
}

/// Append `n` [`MASK_CHAR`]s.
pub(crate) fn push_mask_run(out: &mut String, n: usize) {
    const RUN: &str = "****************";
    let mut left = n;
    while left > 0 {
        let k = left.min(RUN.len());
        out.push_str(&RUN[..k]);
        left -= k;
    }
}

/// Append `v` in decimal, without leading zeros.
pub(crate) fn push_decimal(out: &mut String, v: u32) {
    out.push_str(crate::digits::Decimal::new(v).as_str());
}

/// Append `v` in lower-case hexadecimal, without leading zeros.
pub(crate) fn push_hex(out: &mut String, v: u16) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let digits = (16 - v.leading_zeros()).div_ceil(4).max(1);
    for i in (0..digits).rev() {
        out.push(char::from(HEX[usize::from((v >> (4 * i)) as u8 & 0xF)]));
    }
}

/// The mask of identifier codes (passport numbers, credit codes): first 1 and
/// last 1 (Strict), first 2 and last 3 (Standard), first 4 and last 3
/// (Relaxed), with the fail-safe minimum of [`keep_ends_ascii`].
pub(crate) fn mask_code(s: &str, level: MaskLevel) -> String {
    let (first, last) = match level {
        MaskLevel::Strict => (1, 1),
        MaskLevel::Standard => (2, 3),
        MaskLevel::Relaxed => (4, 3),
    };
    keep_ends_ascii(s, first, last)
}

/// Keep the first `first` and last `last` *characters*, masking the rest with
/// `mask`. Unlike [`keep_ends_ascii`] this applies no minimum; callers choose.
pub(crate) fn keep_ends_chars(s: &str, first: usize, last: usize, mask: char) -> String {
    let mut out = String::with_capacity(s.len() + s.len() * mask.len_utf8());
    push_keep_ends_chars(&mut out, s, first, last, mask);
    out
}

/// [`keep_ends_chars`], appended to `out` (no intermediate `String`).
pub(crate) fn push_keep_ends_chars(out: &mut String, s: &str, first: usize, last: usize, mask: char) {
    let count = s.chars().count();
    let all = first + last >= count;
    for (i, c) in s.chars().enumerate() {
        if !all && (i < first || i >= count - last) {
            out.push(c);
        } else {
            out.push(mask);
        }
    }
}

fn mask_all(s: &str, mask: char) -> String {
    core::iter::repeat_n(mask, s.chars().count()).collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Keep { first: usize, last: usize },
    Range { start: usize, end: usize },
    Before(char),
    After(char),
    Fixed(usize),
}

/// A masking rule for text that has no kind of its own.
///
/// Positions count Unicode code points (never bytes or UTF-16 units), and
/// every rule fails closed: when the text is too short for the rule, or the
/// character a rule anchors on is missing, the whole text is masked.
///
/// ```
/// use desensitize::mask::Rule;
///
/// assert_eq!(Rule::keep(3, 4).apply("13800138000"), "138****8000");
/// assert_eq!(Rule::range(2, 5)?.apply("abcdefg"), "ab***fg");
/// assert_eq!(Rule::before('@').apply("zhangsan@163.com"), "********@163.com");
/// assert_eq!(Rule::after('-').apply("ORD-2024-77"), "ORD-*******");
/// assert_eq!(Rule::fixed(6).apply("secret"), "******");
/// assert_eq!(Rule::keep(1, 0).with_mask_char('•').apply("王小明"), "王••");
///
/// // Fail closed: the anchor is missing, so nothing is shown.
/// assert_eq!(Rule::before('@').apply("no-at-sign"), "**********");
/// # Ok::<(), desensitize::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    op: Op,
    mask: char,
}

impl Rule {
    /// Keep the first `first` and last `last` characters, mask the middle.
    /// Text of `first + last` characters or fewer is masked completely.
    pub const fn keep(first: usize, last: usize) -> Rule {
        Rule { op: Op::Keep { first, last }, mask: MASK_CHAR }
    }

    /// Mask characters `start..end` (zero-based, end exclusive). Text shorter
    /// than `end` is masked completely. Errors if the range is empty.
    pub fn range(start: usize, end: usize) -> Result<Rule> {
        if start >= end {
            return Err(Error::InvalidRule(MaskRuleError::RangeOrder));
        }
        Ok(Rule { op: Op::Range { start, end }, mask: MASK_CHAR })
    }

    /// Mask everything before the first `anchor`; mask all if there is none.
    pub const fn before(anchor: char) -> Rule {
        Rule { op: Op::Before(anchor), mask: MASK_CHAR }
    }

    /// Mask everything after the first `anchor`; mask all if there is none.
    pub const fn after(anchor: char) -> Rule {
        Rule { op: Op::After(anchor), mask: MASK_CHAR }
    }

    /// Replace the whole text with `len` mask characters, whatever its
    /// length, so that the output does not reveal how long the input was.
    pub const fn fixed(len: usize) -> Rule {
        Rule { op: Op::Fixed(len), mask: MASK_CHAR }
    }

    /// Use `mask` instead of `*` for masked positions.
    pub const fn with_mask_char(mut self, mask: char) -> Rule {
        self.mask = mask;
        self
    }

    /// Apply the rule to `text`.
    pub fn apply(&self, text: &str) -> String {
        let m = self.mask;
        match self.op {
            Op::Keep { first, last } => keep_ends_chars(text, first, last, m),
            Op::Range { start, end } => {
                if text.chars().count() < end {
                    return mask_all(text, m);
                }
                text.chars().enumerate().map(|(i, c)| if (start..end).contains(&i) { m } else { c }).collect()
            }
            Op::Before(anchor) => match text.find(anchor) {
                Some(at) => {
                    let mut out = mask_all(&text[..at], m);
                    out.push_str(&text[at..]);
                    out
                }
                None => mask_all(text, m),
            },
            Op::After(anchor) => match text.find(anchor) {
                Some(at) => {
                    let split = at + anchor.len_utf8();
                    let mut out = text[..split].to_owned();
                    out.push_str(&mask_all(&text[split..], m));
                    out
                }
                None => mask_all(text, m),
            },
            Op::Fixed(len) => core::iter::repeat_n(m, len).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fail_safe_ends_hides_enough() {
        assert_eq!(fail_safe_ends(11, 3, 4), (3, 4));
        assert_eq!(fail_safe_ends(18, 6, 4), (6, 4));
        assert_eq!(fail_safe_ends(16, 6, 6), (6, 6));
        assert_eq!(fail_safe_ends(12, 6, 4), (5, 4));
        assert_eq!(fail_safe_ends(5, 2, 3), (0, 2));
        assert_eq!(fail_safe_ends(3, 1, 1), (0, 0));
        assert_eq!(fail_safe_ends(0, 1, 1), (0, 0));
    }

    #[test]
    fn keep_counts_code_points() {
        assert_eq!(Rule::keep(1, 1).apply("𠮷野家"), "𠮷*家");
        assert_eq!(Rule::keep(0, 0).apply("abc"), "***");
        assert_eq!(Rule::keep(2, 2).apply("abcd"), "****");
        assert_eq!(Rule::keep(2, 2).apply(""), "");
    }

    #[test]
    fn range_fails_closed() {
        let r = Rule::range(1, 3).unwrap();
        assert_eq!(r.apply("abcd"), "a**d");
        assert_eq!(r.apply("ab"), "**");
        assert_eq!(Rule::range(3, 3), Err(Error::InvalidRule(MaskRuleError::RangeOrder)));
    }

    #[test]
    fn anchors() {
        assert_eq!(Rule::before('@').apply("@x"), "@x");
        assert_eq!(Rule::after('@').apply("a@"), "a@");
        assert_eq!(Rule::after('·').apply("阿依·古丽"), "阿依·**");
        assert_eq!(Rule::after('@').apply("nothing"), "*******");
    }

    #[test]
    fn levels_parse() {
        assert_eq!("Strict".parse::<MaskLevel>().unwrap(), MaskLevel::Strict);
        assert_eq!("low".parse::<MaskLevel>().unwrap(), MaskLevel::Relaxed);
        assert!("loose".parse::<MaskLevel>().is_err());
    }
}
