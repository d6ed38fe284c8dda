//! Character helpers of the scanners: folding full-width forms, word
//! boundaries and char-boundary arithmetic, all without allocating.

/// The ASCII letter or digit that `c` is or folds to (full-width forms
/// U+FF10..U+FF19, U+FF21..U+FF3A, U+FF41..U+FF5A), if any.
pub(super) fn alnum(c: char) -> Option<u8> {
    let folded = match c {
        '\u{FF10}'..='\u{FF19}' | '\u{FF21}'..='\u{FF3A}' | '\u{FF41}'..='\u{FF5A}' => {
            char::from_u32(c as u32 - 0xFEE0)?
        }
        _ => c,
    };
    folded.is_ascii_alphanumeric().then_some(folded as u8)
}

/// The character starting at byte `i`, if `i` is inside the text.
pub(super) fn char_at(text: &str, i: usize) -> Option<char> {
    text.get(i..)?.chars().next()
}

/// The character ending at byte `i`.
pub(super) fn char_before(text: &str, i: usize) -> Option<char> {
    text.get(..i)?.chars().next_back()
}

/// Whether `c` continues a word: an ASCII or full-width letter or digit, or `_`.
pub(super) fn is_word(c: Option<char>) -> bool {
    c.is_some_and(|c| c == '_' || alnum(c).is_some())
}

/// The largest char boundary of `text` at or below `i`.
pub(super) fn floor_boundary(text: &str, mut i: usize) -> usize {
    if i >= text.len() {
        return text.len();
    }
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Whether `c` is a CJK unified ideograph (the Basic Multilingual Plane
/// block and extension A).
pub(super) fn is_han(c: char) -> bool {
    matches!(c, '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}')
}

/// Whether a decimal point or a time separator followed by a digit comes
/// right after byte `i`: the digits before it are part of a larger number
/// (an amount, a time, a version), not a value of their own.
pub(super) fn number_continues(text: &str, i: usize) -> bool {
    let b = text.as_bytes();
    matches!(b.get(i), Some(b'.' | b':')) && b.get(i + 1).is_some_and(u8::is_ascii_digit)
}

/// Whether a digit and a decimal point or time separator come right before
/// byte `i` (the mirror of [`number_continues`]).
pub(super) fn number_precedes(text: &str, i: usize) -> bool {
    let b = text.as_bytes();
    i >= 2 && matches!(b[i - 1], b'.' | b':') && b[i - 2].is_ascii_digit()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_full_width_letters_and_digits_only() {
        assert_eq!(alnum('１'), Some(b'1'));
        assert_eq!(alnum('Ｘ'), Some(b'X'));
        assert_eq!(alnum('ｘ'), Some(b'x'));
        assert_eq!(alnum('7'), Some(b'7'));
        assert_eq!(alnum('＋'), None);
        assert_eq!(alnum('中'), None);
        assert_eq!(alnum('é'), None);
    }

    #[test]
    fn boundaries() {
        let t = "手机13800";
        assert_eq!(floor_boundary(t, 4), 3);
        assert_eq!(floor_boundary(t, 99), t.len());
        assert_eq!(char_before(t, 6), Some('机'));
        assert_eq!(char_at(t, 6), Some('1'));
        assert!(is_word(Some('ａ')) && !is_word(Some('机')) && !is_word(None));
        assert!(number_continues("12.5", 2) && !number_continues("12. ", 2));
        assert!(number_precedes("1:23", 2) && !number_precedes(":23", 1));
    }
}
