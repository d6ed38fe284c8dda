//! Runs of digits and letters: ID numbers, phone numbers, card numbers,
//! IMEIs, credit codes and passport numbers.
//!
//! A run is one or more groups of letters and digits (ASCII or full-width)
//! joined by single spaces or dashes (`138 0013 8000`), optionally after
//! `+` or inside `(...)` (`(010) 6234 5678`). Candidate values are whole
//! groups, longest first from the left, in groupings people write for the
//! kind; each is handed to the kind's own parser.

use super::Found;
use super::text::{alnum, char_at, char_before, is_word, number_continues, number_precedes};
use crate::Kind;

/// At most this many groups are joined into one run.
const MAX_GROUPS: usize = 8;
/// Candidates longer than this many letters and digits are not tried.
const MAX_CHARS: usize = 20;
/// Shortest candidate worth a parse (a passport number).
const MIN_CHARS: usize = 7;

/// One group of letters and digits.
#[derive(Clone, Copy, Default)]
struct Group {
    start: usize,
    end: usize,
    /// Letters and digits in the group.
    len: usize,
    /// Letters, not counting a final `X` after digits only.
    letters: usize,
    /// The group's first folded byte.
    first: u8,
}

/// Read the group starting at `at`: its end and counts.
fn group(text: &str, at: usize) -> Group {
    let mut g = Group { start: at, end: at, ..Group::default() };
    for c in text[at..].chars() {
        let Some(a) = alnum(c) else { break };
        if g.len == 0 {
            g.first = a;
        }
        g.len += 1;
        if a.is_ascii_alphabetic() {
            g.letters += 1;
        }
        g.end += c.len_utf8();
    }
    // `...X` closing an ID number is a digit of its own.
    let last = text[..g.end].chars().next_back().and_then(alnum);
    if g.letters == 1 && matches!(last, Some(b'X' | b'x')) {
        g.letters = 0;
    }
    g
}

/// Where the group after a separator at `at` starts, if one does: one
/// space, dash, ideographic space or full-width dash, or `)` and at most one space.
fn after_separator(text: &str, at: usize) -> Option<usize> {
    let c = char_at(text, at)?;
    let mut next = at + c.len_utf8();
    match c {
        ' ' | '-' | '\u{3000}' | '－' => {}
        ')' | '）' => {
            if char_at(text, next) == Some(' ') {
                next += 1;
            }
        }
        _ => return None,
    }
    alnum(char_at(text, next)?).map(|_| next)
}

/// Where the word at `at` ends.
fn word_end(text: &str, at: usize) -> usize {
    let rest = &text[at..];
    at + rest.find(|c: char| alnum(c).is_none()).unwrap_or(rest.len()).max(1)
}

/// Scan the run that starts at `at` (a word start); returns where it ends.
pub(super) fn scan(f: &mut Found<'_, '_>, at: usize) -> usize {
    let text = f.text;
    let c = char_at(text, at).unwrap_or('\0');
    // `沪U-07975`, `ID-13800138000`: the rest of a hyphenated word.
    if let Some(sep @ ('-' | '·' | '/' | '_')) = char_before(text, at)
        && is_word(char_before(text, at - sep.len_utf8()))
    {
        return word_end(text, at);
    }
    // A `+` or `(` opens a run only right before a digit.
    let first = if matches!(c, '+' | '＋' | '(' | '（') { at + c.len_utf8() } else { at };
    if char_at(text, first).and_then(alnum).is_none() {
        return at + c.len_utf8();
    }
    let mut groups = [Group::default(); MAX_GROUPS];
    let mut n = 0;
    let mut pos = first;
    loop {
        let g = group(text, pos);
        // A group with letters stands alone.
        if g.letters > 0 && n > 0 {
            break;
        }
        groups[n] = g;
        n += 1;
        if g.letters > 0 || n == MAX_GROUPS {
            break;
        }
        match after_separator(text, g.end) {
            Some(next) => pos = next,
            None => break,
        }
    }
    let run_end = groups[n - 1].end;
    let mut groups = &groups[..n];
    // Digits glued to a decimal point or a time separator belong to a larger number.
    if number_continues(text, run_end) {
        groups = &groups[..n - 1];
    }
    if number_precedes(text, first) && !groups.is_empty() {
        groups = &groups[1..];
    }
    let prefix = (first != at && groups.first().is_some_and(|g| g.start == first)).then_some(at);
    let paren_closed = matches!(c, '(' | '（') && groups.len() > 1;
    let prefix = if matches!(c, '(' | '（') && !paren_closed { None } else { prefix };
    evaluate(f, groups, prefix);
    run_end
}

/// Try the group-aligned candidates of a run, longest first from the left.
fn evaluate(f: &mut Found<'_, '_>, groups: &[Group], prefix: Option<usize>) {
    let mut i = 0;
    while i < groups.len() {
        let mut next = i + 1;
        for j in (i..groups.len()).rev() {
            let chunk = &groups[i..=j];
            let len: usize = chunk.iter().map(|g| g.len).sum();
            if !(MIN_CHARS..=MAX_CHARS).contains(&len) {
                continue;
            }
            if try_chunk(f, chunk, if i == 0 { prefix } else { None }) {
                next = j + 1;
                break;
            }
        }
        i = next;
    }
}

/// Lengths of the groups, for the grouping checks.
fn lens(chunk: &[Group]) -> impl Iterator<Item = usize> + '_ {
    chunk.iter().map(|g| g.len)
}

fn grouped_as(chunk: &[Group], pattern: &[usize]) -> bool {
    chunk.len() == pattern.len() && lens(chunk).eq(pattern.iter().copied())
}

/// Card numbers are written in fours (the last group may be shorter).
fn in_fours(chunk: &[Group]) -> bool {
    let n = chunk.len();
    chunk.iter().enumerate().all(|(k, g)| if k + 1 < n { g.len == 4 } else { g.len <= 4 })
}

/// Base confidence of a value that only a context word makes likely
/// enough: below [`DEFAULT_MIN_CONFIDENCE`](super::DEFAULT_MIN_CONFIDENCE)
/// alone, above it with the word.
const NEEDS_CONTEXT: f32 = 0.45;
/// Base confidence of a 15-digit ID number (a date and a province, no check digit).
const LEGACY_ID: f32 = 0.45;

/// Phone numbers are written as one run, area code and number, or with
/// the number split in two; never with a short last group (a date).
fn landline_grouping(chunk: &[Group]) -> bool {
    chunk.len() <= 3 && chunk.last().is_some_and(|g| g.len >= 4)
}

/// Parse one candidate as the kinds its length and grouping allow.
fn try_chunk(f: &mut Found<'_, '_>, chunk: &[Group], prefix: Option<usize>) -> bool {
    let (start, end) = (chunk[0].start, chunk[chunk.len() - 1].end);
    let len: usize = lens(chunk).sum();
    let single = chunk.len() == 1;
    let letters = chunk[0].letters;
    let mut kinds: [(Kind, f32); 4] = [(Kind::Password, 0.0); 4];
    let mut k = 0;
    let mut add = |kind: Kind, base: f32| {
        if k < kinds.len() {
            kinds[k] = (kind, base);
            k += 1;
        }
    };
    if letters > 0 {
        // Letters: a credit code, or a passport number (1 or 2 letters, then digits).
        if len == 18 {
            add(Kind::CreditCode, 0.9);
        }
        if matches!(len, 8 | 9)
            && chunk[0].first.is_ascii_alphabetic()
            && letters <= 2
            && leading_letters(f, chunk[0])
        {
            add(Kind::Passport, 0.45);
        }
    } else {
        if len == 18 || len == 15 {
            if single
                || grouped_as(chunk, &[6, 8, 4])
                || grouped_as(chunk, &[6, 4, 4, 4])
                || grouped_as(chunk, &[6, 6, 3])
            {
                // The legacy 15-digit form has no check digit: only after a context word.
                add(Kind::IdNumber, if len == 18 { 0.95 } else { LEGACY_ID });
            }
            if len == 18 && single {
                // All digits: as likely an order number that happens to check.
                add(Kind::CreditCode, NEEDS_CONTEXT);
            }
        }
        if len == 15
            && (single
                || grouped_as(chunk, &[2, 6, 6, 1])
                || grouped_as(chunk, &[8, 6, 1])
                || grouped_as(chunk, &[8, 7]))
        {
            // Any 15-digit Luhn number would do: only after a context word.
            add(Kind::Imei, NEEDS_CONTEXT);
        }
        if (12..=19).contains(&len) && (single || in_fours(chunk)) {
            // Issued card lengths (16, 19) and issuer ranges (3 to 6); other
            // Luhn-valid runs only after a context word.
            let strong = matches!(len, 16 | 19) && matches!(chunk[0].first, b'3'..=b'6');
            add(Kind::BankCard, if strong { 0.85 } else { NEEDS_CONTEXT });
        }
    }
    let other = f.best(start, end, &kinds[..k]);
    // Phone numbers may carry their `+` or `(`.
    let s = prefix.unwrap_or(start);
    // Mobile numbers start with 1 (or 86, 0086); landlines with 0 (or 86): a
    // `+` or `(` may open either.
    let first = chunk[0].first;
    let phones: &[(Kind, f32)] = match (prefix.is_some(), first) {
        (true, _) | (_, b'8') => &[(Kind::MobilePhone, 0.85), (Kind::Landline, 0.75)],
        (_, b'1') => &[(Kind::MobilePhone, 0.85)],
        (_, b'0') => &[(Kind::Landline, 0.75), (Kind::MobilePhone, 0.85)],
        _ => &[],
    };
    let phone = if letters == 0 && (10..=15).contains(&len) { f.best(s, end, phones) } else { None };
    let pick = match (phone, other) {
        (Some(p), Some(o)) if o.1 > p.1 => Some((start, o)),
        (Some(p), _) if landline_grouping(chunk) || p.0 == Kind::MobilePhone => Some((s, p)),
        (_, Some(o)) => Some((start, o)),
        _ => None,
    };
    match pick {
        Some((from, (kind, confidence))) => {
            f.spans.push(super::Span { start: from, end, kind, confidence });
            true
        }
        None => false,
    }
}

/// Whether the group's letters all come first (`E12345678`, `PE1234567`).
fn leading_letters(f: &Found<'_, '_>, g: Group) -> bool {
    let mut seen_digit = false;
    for c in f.text[g.start..g.end].chars() {
        let a = alnum(c).unwrap_or(b'0');
        if a.is_ascii_digit() {
            seen_digit = true;
        } else if seen_digit {
            return false;
        }
    }
    true
}
