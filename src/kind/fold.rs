//! Folding raw input to the ASCII text digit kinds validate, on the stack.
//!
//! Every kind that folds bounds its input first (`check_len`, at most
//! [`STACK`] bytes), and folding never lengthens text, so the folded copy
//! lives in a fixed stack buffer: no heap allocation per parse. Longer input
//! (a kind with a higher bound) falls back to a heap buffer of fixed
//! capacity. Either copy is wiped on drop, up to the furthest byte ever
//! written, including when a character is refused halfway.

use zeroize::{Zeroize, Zeroizing};

use crate::secret::SecretString;

/// Stack capacity: the largest `MAX_INPUT` of a kind that folds.
const STACK: usize = 128;

/// The folded ASCII text of one input, wiped on drop.
pub(crate) struct Folded {
    stack: [u8; STACK],
    /// Used instead of `stack` when the input is longer than [`STACK`];
    /// sized once, never reallocated (a reallocation would leave a copy).
    heap: Option<Zeroizing<Vec<u8>>>,
    len: usize,
    /// Bytes that folding may have written (the input's length): what
    /// drop wipes, whatever was refused, retained or overwritten.
    room: usize,
}

impl Folded {
    fn with_room(room: usize) -> Folded {
        let heap = (room > STACK).then(|| Zeroizing::new(vec![0u8; room]));
        Folded { stack: [0u8; STACK], heap, len: 0, room }
    }

    fn storage(&mut self) -> &mut [u8] {
        match &mut self.heap {
            Some(h) => h.as_mut_slice(),
            None => &mut self.stack,
        }
    }

    /// The folded bytes (ASCII only).
    pub(crate) fn as_bytes(&self) -> &[u8] {
        match &self.heap {
            Some(h) => &h[..self.len],
            None => &self.stack[..self.len],
        }
    }

    /// The folded text.
    pub(crate) fn as_str(&self) -> &str {
        // Only ASCII is ever pushed (see `fold_ascii`).
        core::str::from_utf8(self.as_bytes()).unwrap_or("")
    }

    /// Upper-case ASCII letters in place.
    pub(crate) fn make_ascii_uppercase(&mut self) {
        let len = self.len;
        self.storage()[..len].make_ascii_uppercase();
    }

    /// Keep only the bytes for which `keep` holds, in place.
    pub(crate) fn retain(&mut self, keep: impl Fn(u8) -> bool) {
        let len = self.len;
        let buf = self.storage();
        let mut to = 0;
        for from in 0..len {
            let b = buf[from];
            if keep(b) {
                buf[to] = b;
                to += 1;
            }
        }
        // The bytes past `to` are stale copies: wiped on drop (`room`).
        self.len = to;
    }

    /// The wiped-on-drop heap copy a kind keeps, of `bytes` (a part of this
    /// text), allocated at its exact length.
    pub(crate) fn secret_of(bytes: &[u8]) -> SecretString {
        // ASCII (see `fold_ascii`): the check cannot fail. `to_owned`
        // allocates exactly once, at the final length.
        SecretString::new(core::str::from_utf8(bytes).unwrap_or("").to_owned())
    }

    /// The whole folded text as a kind's heap copy.
    pub(crate) fn to_secret(&self) -> SecretString {
        Folded::secret_of(self.as_bytes())
    }
}

impl Drop for Folded {
    fn drop(&mut self) {
        let room = self.room.min(STACK);
        self.stack[..room].zeroize();
        // `heap` is `Zeroizing`: wiped when it drops.
    }
}

/// Trim, drop common separators and fold full-width digits and letters to
/// ASCII. Returns `None` on any other character, and on any character that
/// is not ASCII after folding. The output is what digit kinds validate; it
/// is wiped on drop, and so is the partial output when a character is
/// refused.
pub(crate) fn fold_ascii(input: &str, keep: impl Fn(char) -> bool) -> Option<Folded> {
    if input.is_ascii() {
        return fold_plain_ascii(input.as_bytes(), keep);
    }
    let input = input.trim();
    let mut out = Folded::with_room(input.len());
    let buf = out.storage();
    let mut len = 0;
    for c in input.chars() {
        let c = match c {
            // Full-width forms U+FF01..U+FF5E map onto ASCII 0x21..0x7E.
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0)?,
            '\u{3000}' => ' ',
            _ => c,
        };
        if matches!(c, ' ' | '-' | '\t') {
            continue;
        }
        if !c.is_ascii() || !keep(c) {
            return None;
        }
        // Folding never lengthens: `out` has room for every byte of `input`.
        buf[len] = c as u8;
        len += 1;
    }
    out.len = len;
    Some(out)
}

/// [`fold_ascii`] of ASCII input (the common case): nothing to fold, one
/// byte per character, and `str::trim` is the trim of ASCII white space
/// (`\t`, `\n`, `\x0B`, `\x0C`, `\r`, space).
fn fold_plain_ascii(input: &[u8], keep: impl Fn(char) -> bool) -> Option<Folded> {
    let is_space = |b: &u8| matches!(b, b'\t'..=b'\r' | b' ');
    let start = input.iter().position(|b| !is_space(b)).unwrap_or(input.len());
    let end = input.iter().rposition(|b| !is_space(b)).map_or(start, |i| i + 1);
    let input = &input[start..end];
    let mut out = Folded::with_room(input.len());
    let buf = &mut out.storage()[..input.len()];
    let mut len = 0;
    for &b in input {
        if matches!(b, b' ' | b'-' | b'\t') {
            continue;
        }
        if !keep(char::from(b)) {
            return None;
        }
        buf[len] = b;
        len += 1;
    }
    out.len = len;
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_on_the_stack_and_on_the_heap() {
        let f = fold_ascii(" １３８-0013 8000 ", |c| c.is_ascii_digit()).unwrap();
        assert_eq!(f.as_str(), "13800138000");
        assert!(f.heap.is_none());
        assert!(fold_ascii("13a", |c| c.is_ascii_digit()).is_none());
        let long = "12 ".repeat(100);
        let f = fold_ascii(&long, |c| c.is_ascii_digit()).unwrap();
        assert!(f.heap.is_some());
        assert_eq!(f.as_str(), "12".repeat(100));
    }

    #[test]
    fn ascii_path_trims_like_str_trim() {
        // The same outcome as folding `str::trim`'s output char by char.
        let any = |c: char| c != '!';
        for s in ["\x0B12\r\n", " \t1 2\x0C", "\n\n", "", "1\n2", "\x1C1", "-1-", "1!", " ! "] {
            let reference: Option<String> = s
                .trim()
                .chars()
                .filter(|c| !matches!(c, ' ' | '-' | '\t'))
                .map(|c| any(c).then_some(c))
                .collect();
            assert_eq!(fold_ascii(s, any).map(|f| f.as_str().to_owned()), reference, "{s:?}");
        }
    }

    #[test]
    fn refuses_what_is_not_ascii_after_folding() {
        assert!(fold_ascii("１２é", |_| true).is_none());
        assert_eq!(fold_ascii("ａｂ", |_| true).unwrap().as_str(), "ab");
    }

    #[test]
    fn retain_and_uppercase_in_place() {
        let mut f = fold_ascii("(010)x", |c| c.is_ascii_alphanumeric() || "()".contains(c)).unwrap();
        f.retain(|b| !matches!(b, b'(' | b')'));
        f.make_ascii_uppercase();
        assert_eq!(f.as_str(), "010X");
        assert_eq!(f.room, 6);
        assert_eq!(f.to_secret().as_str(), "010X");
    }
}
