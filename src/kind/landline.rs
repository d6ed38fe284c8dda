//! PRC fixed-line (landline) telephone number.

use crate::error::{Error, Invalid, Result};
use crate::kind::{Kind, check_len, text_kind};
use crate::mask::{FIXED_RUN, MaskLevel, push_keep_ends_ascii};
use crate::secret::SecretString;

const KIND: Kind = Kind::Landline;
/// Generous bound on raw input (prefix, separators, full-width digits, extension).
const MAX_INPUT: usize = 96;
/// Longest extension accepted.
const MAX_EXT: usize = 6;

/// A PRC fixed-line number, stored as `0AA(A)-NNNNNNN(N)` plus `-EXT` if any.
///
/// The area code has 3 digits for `010` and `020`-`029` and 4 digits
/// otherwise (that rule splits an unseparated `01062345678`); the local
/// number has 7 or 8 digits and does not start with `0` or `1`.
///
/// Parsing accepts the `+86` and `0086` country prefixes (after which the
/// area code's leading `0` may be left out), spaces, dashes, parentheses
/// around the area code and full-width digits. An extension of 1 to 6 digits
/// may follow `转`, `ext`, `ext.`, `x`, `#` or a final `-`. Masks never show
/// the extension.
///
/// ```
/// use desensitize::{Landline, MaskLevel, Sensitive};
///
/// for input in ["010-62345678", "(010) 6234 5678", "+86 10 62345678", "01062345678"] {
///     let tel: Landline = input.parse()?;
///     assert_eq!(tel.expose(), "010-62345678");
/// }
/// let tel: Landline = "0755-8765432 转 801".parse()?;
/// assert_eq!(tel.expose(), "0755-8765432-801");
/// assert_eq!(tel.area_code(), "0755");
/// assert_eq!(tel.mask(MaskLevel::Strict), "0755-****");
/// assert_eq!(tel.mask(MaskLevel::Standard), "0755-*****32");
/// assert_eq!(tel.mask(MaskLevel::Relaxed), "0755-***5432");
/// assert!("010-12345678".parse::<Landline>().is_err()); // local starts with 1
/// # Ok::<(), desensitize::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Landline(SecretString);

/// Map one input character onto the small ASCII alphabet the parser reads:
/// full-width forms folded, letters lower-cased, `转` as `#`. `None` for a
/// character a landline never contains.
fn normalize_char(c: char) -> Option<char> {
    let c = match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0)?,
        '\u{3000}' => ' ',
        '转' => '#',
        _ => c,
    };
    let c = c.to_ascii_lowercase();
    match c {
        '0'..='9' | ' ' | '\t' | '-' | '(' | ')' | '+' | '#' | '.' | 'e' | 'x' | 't' => Some(c),
        _ => None,
    }
}

/// 1 to 6 ASCII digits.
fn is_extension(ext: &str) -> bool {
    (1..=MAX_EXT).contains(&ext.len()) && ext.bytes().all(|b| b.is_ascii_digit())
}

/// The main part's digits (country prefix removed, area code's `0`
/// restored) and, if its last digit group followed a `-`, where that group
/// starts: it may be an extension. `trailing_dash` if a `-` follows the
/// last digit.
struct Digits {
    national: SecretString,
    dash_group: Option<usize>,
    trailing_dash: bool,
}

fn main_digits(main: &str) -> Result<Digits> {
    let mut digits = String::with_capacity(main.len());
    let mut plus = false;
    let mut dash_pending = false;
    let mut in_group = false;
    let mut dash_group = None;
    for c in main.chars() {
        match c {
            '0'..='9' => {
                if !in_group {
                    dash_group = if dash_pending && !digits.is_empty() { Some(digits.len()) } else { None };
                    dash_pending = false;
                    in_group = true;
                }
                digits.push(c);
            }
            '+' if !plus && digits.is_empty() => plus = true,
            ' ' | '\t' | '(' | ')' | '-' => {
                in_group = false;
                dash_pending |= c == '-';
            }
            _ => {
                let _wipe = SecretString::new(digits);
                return Err(Error::invalid(KIND, Invalid::Character));
            }
        }
    }
    let trailing_dash = dash_pending && !digits.is_empty();
    let digits = SecretString::new(digits);
    let d = digits.as_str();
    let (rest, international) = if plus {
        match d.strip_prefix("86") {
            Some(rest) => (rest, true),
            None => return Err(Error::invalid(KIND, Invalid::Prefix)),
        }
    } else if let Some(rest) = d.strip_prefix("0086") {
        (rest, true)
    } else {
        (d, false)
    };
    let cut = d.len() - rest.len();
    let add_zero = international && !rest.is_empty() && !rest.starts_with('0');
    let mut national = String::with_capacity(rest.len() + 1);
    if add_zero {
        national.push('0');
    }
    national.push_str(rest);
    let shift = |at: usize| if add_zero { at - cut + 1 } else { at - cut };
    let dash_group = dash_group.filter(|&at| at > cut).map(shift);
    Ok(Digits { national: SecretString::new(national), dash_group, trailing_dash })
}

/// Validate `area + local` digits; returns the area code's length.
fn split_number(digits: &str) -> Result<usize> {
    let err = |reason| Err(Error::invalid(KIND, reason));
    let b = digits.as_bytes();
    if b.len() < 3 {
        return err(Invalid::Length);
    }
    // `00` starts an international call, never an area code.
    if b[0] != b'0' || b[1] == b'0' {
        return err(Invalid::Prefix);
    }
    let area = if (b[1] == b'1' && b[2] == b'0') || b[1] == b'2' { 3 } else { 4 };
    let local = b.get(area..).unwrap_or_default();
    if !(7..=8).contains(&local.len()) {
        return err(Invalid::Length);
    }
    if matches!(local[0], b'0' | b'1') {
        return err(Invalid::Prefix);
    }
    Ok(area)
}

impl Landline {
    fn parse(input: &str) -> Result<Landline> {
        check_len(KIND, input, MAX_INPUT)?;
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(Error::invalid(KIND, Invalid::Empty));
        }
        let mut norm = String::with_capacity(trimmed.len());
        for c in trimmed.chars() {
            match normalize_char(c) {
                Some(c) => norm.push(c),
                None => {
                    let _wipe = SecretString::new(norm);
                    return Err(Error::invalid(KIND, Invalid::Character));
                }
            }
        }
        let norm = SecretString::new(norm);
        let s = norm.as_str();

        // An explicit extension marker: `ext.`, `ext`, `x` or `#` (`转`).
        let marker = s.find(['x', '#']).map(|at| {
            let start = if s[..at].ends_with('e') && s[at..].starts_with("xt") { at - 1 } else { at };
            let rest = &s[at..];
            let len = if rest.starts_with("xt.") {
                3
            } else if rest.starts_with("xt") {
                2
            } else {
                1
            };
            (start, at + len)
        });
        let (main, explicit_ext) = match marker {
            Some((start, end)) => (&s[..start], Some(s[end..].trim())),
            None => (s, None),
        };
        if explicit_ext.is_some_and(|ext| !is_extension(ext)) {
            return Err(Error::invalid(KIND, Invalid::Malformed));
        }

        let Digits { national, dash_group, trailing_dash } = main_digits(main)?;
        // `010-62345678-` announces an extension and gives none.
        if trailing_dash && explicit_ext.is_none() {
            return Err(Error::invalid(KIND, Invalid::Malformed));
        }
        let n = national.as_str();
        // A final `-` group of 1-6 digits is an extension when what precedes
        // it is a whole number: `010-62345678-123`.
        let dashed = match (explicit_ext, dash_group) {
            (None, Some(at)) if is_extension(&n[at..]) => {
                split_number(&n[..at]).ok().map(|area| (area, &n[..at], Some(&n[at..])))
            }
            _ => None,
        };
        let (area, number, ext) = match dashed {
            Some(found) => found,
            None => (split_number(n)?, n, explicit_ext),
        };

        let mut out = String::with_capacity(number.len() + 2 + MAX_EXT);
        out.push_str(&number[..area]);
        out.push('-');
        out.push_str(&number[area..]);
        if let Some(ext) = ext {
            out.push('-');
            out.push_str(ext);
        }
        Ok(Landline(SecretString::new(out)))
    }

    /// The canonical number `0AA(A)-NNNNNNN(N)[-EXT]`. Exposes the plaintext.
    pub fn expose(&self) -> &str {
        self.0.as_str()
    }

    /// The area code, with its leading `0` (`010`, `0755`).
    pub fn area_code(&self) -> &str {
        let s = self.0.as_str();
        s.split('-').next().unwrap_or(s)
    }

    /// The local number, without area code or extension.
    fn local(&self) -> &str {
        self.0.as_str().split('-').nth(1).unwrap_or_default()
    }

    fn mask_at(&self, level: MaskLevel) -> String {
        let area = self.area_code();
        let local = self.local();
        let mut out = String::with_capacity(area.len() + 1 + local.len().max(FIXED_RUN.len()));
        out.push_str(area);
        out.push('-');
        match level {
            MaskLevel::Strict => out.push_str(FIXED_RUN),
            MaskLevel::Standard => push_keep_ends_ascii(&mut out, local, 0, 2),
            MaskLevel::Relaxed => push_keep_ends_ascii(&mut out, local, 0, 4),
        }
        out
    }
}

text_kind!(Landline, KIND);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Sensitive;
    use crate::kind::private::Canonical;

    fn reason(input: &str) -> Invalid {
        match input.parse::<Landline>() {
            Err(Error::Invalid { kind: Kind::Landline, reason }) => reason,
            other => panic!("expected an error, got {:?}", other.map(|_| ())),
        }
    }

    fn canon(input: &str) -> String {
        input.parse::<Landline>().unwrap().expose().to_owned()
    }

    #[test]
    fn normalizes() {
        for ok in [
            "010-62345678",
            "01062345678",
            "010 6234 5678",
            "(010)62345678",
            "(010) 6234-5678",
            "+86 10 62345678",
            "+86-10-62345678",
            "+86 (0)10 62345678",
            "+8601062345678",
            "0086 10 62345678",
            "008601062345678",
            "０１０－６２３４５６７８",
            "\u{3000}010 62345678\u{3000}",
        ] {
            assert_eq!(canon(ok), "010-62345678", "{ok}");
        }
        assert_eq!(canon("02162345678"), "021-62345678");
        assert_eq!(canon("0296234567"), "029-6234567");
        assert_eq!(canon("07556234567"), "0755-6234567");
        assert_eq!(canon("075562345678"), "0755-62345678");
        assert_eq!(canon("+86 571 8888 6666"), "0571-88886666");
        assert_eq!(canon("0106234567"), "010-6234567");
    }

    #[test]
    fn extensions() {
        for ok in [
            "010-62345678-123",
            "010-62345678 转 123",
            "010-62345678转123",
            "010-62345678 ext 123",
            "010-62345678 ext. 123",
            "010-62345678 EXT.123",
            "010-62345678x123",
            "010-62345678 X 123",
            "010-62345678#123",
            "01062345678#123",
            "+86 10 6234 5678 - 123",
            "010 6234 5678-123",
            "０１０－６２３４５６７８＃１２３",
        ] {
            assert_eq!(canon(ok), "010-62345678-123", "{ok}");
        }
        assert_eq!(canon("0755-6234567-123456"), "0755-6234567-123456");
        assert_eq!(canon("010-62345678-1"), "010-62345678-1");
        assert_eq!(canon("010-62345678 - #123"), "010-62345678-123");
        // A final dashed digit after a 7-digit local is an extension, not an
        // eighth local digit.
        assert_eq!(canon("010-6234567-8"), "010-6234567-8");
        // Dashes inside the local number are not extensions.
        assert_eq!(canon("010-6234-5678"), "010-62345678");
        assert_eq!(canon("0755-876-5432"), "0755-8765432");
        let t: Landline = "010-62345678-123".parse().unwrap();
        assert_eq!(t.area_code(), "010");
        assert_eq!(t.local(), "62345678");
    }

    #[test]
    fn canonical_round_trip() {
        for s in ["010-62345678", "0755-6234567-8", "029-6234567-123456"] {
            let t: Landline = s.parse().unwrap();
            assert_eq!(t.expose(), s);
            let back = Landline::from_canonical_bytes(t.canonical_bytes()).unwrap();
            assert_eq!(back, t);
        }
    }

    #[test]
    fn every_documented_error() {
        assert_eq!(reason(""), Invalid::Empty);
        assert_eq!(reason(" \t "), Invalid::Empty);
        assert_eq!(reason("010-6234567a"), Invalid::Character);
        assert_eq!(reason("010/62345678"), Invalid::Character);
        assert_eq!(reason("010-62345678 ext 1e"), Invalid::Malformed);
        assert_eq!(reason("010 te 62345678"), Invalid::Character);
        assert_eq!(reason("010+62345678"), Invalid::Character);
        assert_eq!(reason("010-123456"), Invalid::Length);
        assert_eq!(reason("010-623456789"), Invalid::Length);
        assert_eq!(reason("0755-623456789"), Invalid::Length);
        assert_eq!(reason("01"), Invalid::Length);
        assert_eq!(reason("010-62345678-6234567"), Invalid::Length);
        assert_eq!(reason("62345678"), Invalid::Prefix);
        assert_eq!(reason("00623456789"), Invalid::Prefix);
        assert_eq!(reason("010-02345678"), Invalid::Prefix);
        assert_eq!(reason("010-12345678"), Invalid::Prefix);
        assert_eq!(reason("+86 10 12345678"), Invalid::Prefix);
        assert_eq!(reason("010-62345678-"), Invalid::Malformed);
        assert_eq!(reason("010-62345678 - "), Invalid::Malformed);
        assert_eq!(reason("+1 212 5550123"), Invalid::Prefix);
        assert_eq!(reason("010-62345678#"), Invalid::Malformed);
        assert_eq!(reason("010-62345678 ext"), Invalid::Malformed);
        assert_eq!(reason("010-62345678#6234567"), Invalid::Malformed);
        assert_eq!(reason("010-62345678#12#3"), Invalid::Malformed);
        assert_eq!(reason("010-62345678 x 1-2"), Invalid::Malformed);
        assert!(matches!(reason(&"1".repeat(200)), Invalid::TooLong { .. }));
    }

    #[test]
    fn masks() {
        let t: Landline = "010-62345678-123".parse().unwrap();
        assert_eq!(t.mask(MaskLevel::Strict), "010-****");
        assert_eq!(t.mask(MaskLevel::Standard), "010-******78");
        assert_eq!(t.mask(MaskLevel::Relaxed), "010-****5678");
        assert_eq!(t.to_string(), "010-******78");
        let t: Landline = "0755-8765432".parse().unwrap();
        assert_eq!(t.mask(MaskLevel::Strict), "0755-****");
        assert_eq!(t.mask(MaskLevel::Standard), "0755-*****32");
        assert_eq!(t.mask(MaskLevel::Relaxed), "0755-***5432");
        assert_eq!(format!("{t:?}"), "Landline([REDACTED])");
    }
}
