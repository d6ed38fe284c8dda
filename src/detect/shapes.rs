//! Values with punctuation of their own: e-mail addresses, IP and MAC
//! addresses, locations (`39.9042, 116.4074`) and licence plates.

use super::Found;
use super::text::{alnum, char_at, char_before, is_word};
use crate::Kind;
use crate::region::Province;

/// Longest local part (RFC 5321) and domain (RFC 1035) scanned.
const MAX_LOCAL: usize = 64;
const MAX_DOMAIN: usize = 253;

fn local_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'%' | b'+' | b'-')
}

fn domain_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-')
}

/// The e-mail address around the `@` at `at`, if it parses.
pub(super) fn email(f: &mut Found<'_, '_>, at: usize) {
    let b = f.text.as_bytes();
    let mut start = at;
    while start > 0 && at - start < MAX_LOCAL && local_byte(b[start - 1]) {
        start -= 1;
    }
    // A local part does not start with a dot.
    while start < at && b[start] == b'.' {
        start += 1;
    }
    let mut end = at + 1;
    while end < b.len() && end - at <= MAX_DOMAIN && domain_byte(b[end]) {
        end += 1;
    }
    while end > at + 1 && matches!(b[end - 1], b'.' | b'-') {
        end -= 1;
    }
    if start == at || end == at + 1 || is_word(char_at(f.text, end)) {
        return;
    }
    f.try_kinds(start, end, &[(Kind::Email, 0.95)]);
}

fn ip_byte(b: u8) -> bool {
    b.is_ascii_hexdigit() || matches!(b, b'.' | b':' | b'-')
}

/// An IPv4, IPv6 or MAC address starting at `at`; returns where the run ends.
pub(super) fn ip_or_mac(f: &mut Found<'_, '_>, at: usize) -> usize {
    let b = f.text.as_bytes();
    if at > 0 && matches!(b[at - 1], b'.' | b':') {
        return at + 1;
    }
    // Every form has a separator within its first five characters.
    let first_sep = b[at..].iter().take(5).position(|&x| !x.is_ascii_hexdigit());
    if !first_sep.is_some_and(|p| matches!(b[at + p], b'.' | b':' | b'-')) {
        return at + 1;
    }
    let mut end = at;
    while end < b.len() && end - at < 64 && ip_byte(b[end]) {
        end += 1;
    }
    let run_end = end;
    while end > at && matches!(b[end - 1], b'.' | b':' | b'-') {
        end -= 1;
    }
    if is_word(char_at(f.text, run_end)) || (run_end < b.len() && b[run_end] == b'_') {
        return run_end;
    }
    let run = &b[at..end];
    let count = |c: u8| run.iter().filter(|&&x| x == c).count();
    let (dots, colons, dashes) = (count(b'.'), count(b':'), count(b'-'));
    // IPv6 has seven colons, or `::`; a MAC address five colons in 17 characters.
    let ipv6 = colons == 7 || run.windows(2).any(|w| w == b"::");
    let mac = colons == 5 && run.len() == 17;
    if dashes == 0 && (dots == 3 || ipv6 || mac) {
        let kinds: &[(Kind, f32)] =
            if mac { &[(Kind::MacAddress, 0.85)] } else { &[(Kind::IpAddress, ip_base(dots))] };
        if !f.try_kinds(at, end, kinds) && dots == 3 && colons == 1 {
            // `10.1.2.3:8080`: the address before the port.
            if let Some(colon) = run.iter().position(|&x| x == b':') {
                f.try_kinds(at, at + colon, &[(Kind::IpAddress, 0.8)]);
            }
        }
    } else if (dashes == 5 && dots == 0 && colons == 0 && run.len() == 17) || (dots == 2 && run.len() == 14) {
        f.try_kinds(at, end, &[(Kind::MacAddress, 0.85)]);
    }
    run_end
}

fn ip_base(dots: usize) -> f32 {
    if dots == 3 { 0.8 } else { 0.9 }
}

/// One decimal coordinate at `at` (`-39.9042`): its end, if it has at
/// least three decimals.
fn coordinate(b: &[u8], mut at: usize) -> Option<usize> {
    if b.get(at) == Some(&b'-') {
        at += 1;
    }
    let int_start = at;
    while at < b.len() && at - int_start < 3 && b[at].is_ascii_digit() {
        at += 1;
    }
    if at == int_start || b.get(at) != Some(&b'.') {
        return None;
    }
    at += 1;
    let frac_start = at;
    while at < b.len() && at - frac_start < 15 && b[at].is_ascii_digit() {
        at += 1;
    }
    (at - frac_start >= 3).then_some(at)
}

/// A latitude-longitude pair at `at`; returns where it ends (or `at + 1`).
pub(super) fn geo(f: &mut Found<'_, '_>, at: usize) -> usize {
    let b = f.text.as_bytes();
    if at > 0 && matches!(b[at - 1], b'.' | b'-') {
        return at + 1;
    }
    let Some(lat_end) = coordinate(b, at) else { return at + 1 };
    let mut p = lat_end;
    while b.get(p) == Some(&b' ') {
        p += 1;
    }
    if b.get(p) != Some(&b',') {
        return at + 1;
    }
    p += 1;
    while b.get(p) == Some(&b' ') {
        p += 1;
    }
    let Some(end) = coordinate(b, p) else { return at + 1 };
    if is_word(char_at(f.text, end)) || b.get(end) == Some(&b'.') {
        return end;
    }
    f.try_kinds(at, end, &[(Kind::GeoPoint, 0.6)]);
    end
}

/// Characters an ordinary plate may end with.
const PLATE_SUFFIXES: [char; 6] = ['学', '警', '挂', '领', '港', '澳'];

/// A licence plate starting with the province character `c` at `at`.
pub(super) fn plate(f: &mut Found<'_, '_>, at: usize, c: char) -> usize {
    let text = f.text;
    let mut p = at + c.len_utf8();
    let letter_next = char_at(text, p).and_then(alnum).is_some_and(|a| a.is_ascii_alphabetic());
    if !letter_next || !f.wants(Kind::LicensePlate) || Province::from_plate_char(c).is_none() {
        return at;
    }
    // The authority letter.
    match char_at(text, p).and_then(alnum) {
        Some(a) if a.is_ascii_alphabetic() => p += char_at(text, p).map_or(1, char::len_utf8),
        _ => return at,
    }
    if let Some(sep @ ('·' | '•' | ' ' | '-')) = char_at(text, p) {
        p += sep.len_utf8();
    }
    let mut serial = 0;
    while serial < 6 {
        match char_at(text, p) {
            Some(ch) if alnum(ch).is_some() => {
                p += ch.len_utf8();
                serial += 1;
            }
            _ => break,
        }
    }
    if serial < 5 {
        return at;
    }
    let mut ends = [p, p];
    if serial == 5
        && let Some(s) = char_at(text, p).filter(|s| PLATE_SUFFIXES.contains(s))
    {
        ends[0] = p + s.len_utf8();
    }
    if is_word(char_at(text, p)) || is_word(char_before(text, at)) {
        return p;
    }
    for end in ends {
        if f.try_kinds(at, end, &[(Kind::LicensePlate, 0.85)]) {
            return end;
        }
    }
    p
}
