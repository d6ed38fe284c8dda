//! PRC motor vehicle licence plate (GA 36).

use crate::error::{Error, Invalid, Result};
use crate::kind::{Kind, check_len, text_kind};
use crate::mask::{MASK_CHAR, MaskLevel, push_keep_ends_chars};
use crate::region::Province;
use crate::secret::SecretString;

const KIND: Kind = Kind::LicensePlate;
/// Bound on raw input: 8 characters of up to 3 bytes, a separator, white space.
const MAX_INPUT: usize = 64;
/// Serial length of an ordinary plate.
const ORDINARY: usize = 5;
/// Serial length of a new-energy plate.
const NEW_ENERGY: usize = 6;
/// Characters an ordinary plate may end with instead of a letter or digit:
/// learner, police, trailer, consular, Hong Kong, Macao.
const SUFFIXES: [char; 6] = ['学', '警', '挂', '领', '港', '澳'];
/// Longest canonical plate in bytes: two 3-byte characters (province and an
/// ordinary plate's suffix) and six 1-byte ones.
const MAX_PLATE: usize = 3 + 1 + 6 * 3;

/// A PRC licence plate: province character, issuing-authority letter and a
/// serial of 5 (ordinary) or 6 (new-energy) letters and digits, stored as
/// `京A12345`.
///
/// Parsing upper-cases letters, folds full-width letters and digits, and
/// drops one separator (`·`, `•`, space or `-`) after the authority letter.
/// The serial never contains `I` or `O`; an ordinary plate may end in
/// `学`, `警`, `挂`, `领`, `港` or `澳`. Masks keep the province and
/// authority (a region, not a vehicle) and hide the serial.
///
/// ```
/// use desensitize::{LicensePlate, MaskLevel, Sensitive};
///
/// let plate: LicensePlate = "京a·12345".parse()?;
/// assert_eq!(plate.expose(), "京A12345");
/// assert_eq!(plate.province().name(), "北京市");
/// assert!(!plate.is_new_energy());
/// assert_eq!(plate.mask(MaskLevel::Strict), "京A*****");
/// assert_eq!(plate.mask(MaskLevel::Standard), "京A****5");
/// assert_eq!(plate.mask(MaskLevel::Relaxed), "京A1***5");
///
/// let ev: LicensePlate = "粤B D12345".parse()?;
/// assert!(ev.is_new_energy());
/// assert_eq!(ev.to_string(), "粤B*****5");
/// # Ok::<(), desensitize::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct LicensePlate(SecretString);

/// Full-width forms folded to ASCII, ASCII letters upper-cased.
fn fold(c: char) -> char {
    match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '\u{3000}' => ' ',
        _ => c,
    }
    .to_ascii_uppercase()
}

/// Validate the serial (letters already folded).
fn check_serial(serial: impl Iterator<Item = char>) -> Result<()> {
    let err = |reason| Err(Error::invalid(KIND, reason));
    let mut len = 0usize;
    let mut ended = false;
    for c in serial {
        let suffix = SUFFIXES.contains(&c);
        let alnum = c.is_ascii_digit() || (c.is_ascii_uppercase() && !matches!(c, 'I' | 'O'));
        if ended || !(alnum || suffix) {
            return err(Invalid::Character);
        }
        len += 1;
        if len > NEW_ENERGY {
            return err(Invalid::Length);
        }
        ended = suffix;
    }
    match len {
        ORDINARY => Ok(()),
        // A special suffix only ever ends an ordinary plate.
        NEW_ENERGY if ended => err(Invalid::Character),
        NEW_ENERGY => Ok(()),
        _ => err(Invalid::Length),
    }
}

impl LicensePlate {
    fn parse(input: &str) -> Result<LicensePlate> {
        let err = |reason| Err(Error::invalid(KIND, reason));
        check_len(KIND, input, MAX_INPUT)?;
        let mut chars = input.trim().chars().map(fold).peekable();
        let Some(first) = chars.next() else {
            return err(Invalid::Empty);
        };
        if Province::from_plate_char(first).is_none() {
            return err(Invalid::Province);
        }
        let Some(authority) = chars.next() else {
            return err(Invalid::Length);
        };
        if !authority.is_ascii_uppercase() {
            return err(Invalid::Character);
        }
        chars.next_if(|c| matches!(c, '·' | '•' | ' ' | '-'));
        check_serial(chars.clone())?;
        // Sized for the longest plate, so the buffer never reallocates and
        // leaves no unwiped copy behind.
        let mut plate = String::with_capacity(MAX_PLATE);
        plate.push(first);
        plate.push(authority);
        plate.extend(chars);
        Ok(LicensePlate(SecretString::new(plate)))
    }

    /// The plate as `京A12345`. Exposes the plaintext.
    pub fn expose(&self) -> &str {
        self.0.as_str()
    }

    /// The province-level division that issued the plate.
    pub fn province(&self) -> Province {
        // Validated at construction; the fallback is unreachable.
        self.0.as_str().chars().next().and_then(Province::from_plate_char).unwrap_or(Province::all()[0])
    }

    /// Whether this is a new-energy vehicle plate (6-character serial).
    pub fn is_new_energy(&self) -> bool {
        self.0.as_str().chars().count() == 2 + NEW_ENERGY
    }

    fn mask_at(&self, level: MaskLevel) -> String {
        let s = self.0.as_str();
        let prefix_len = s.char_indices().nth(2).map_or(s.len(), |(at, _)| at);
        let (prefix, serial) = s.split_at(prefix_len);
        let (first, last) = match level {
            MaskLevel::Strict => (0, 0),
            MaskLevel::Standard => (0, 1),
            MaskLevel::Relaxed => (1, 1),
        };
        // Mask characters are one byte: the mask is no longer than the value.
        let mut out = String::with_capacity(s.len());
        out.push_str(prefix);
        push_keep_ends_chars(&mut out, serial, first, last, MASK_CHAR);
        out
    }
}

text_kind!(LicensePlate, KIND);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Sensitive;
    use crate::kind::private::Canonical;

    fn reason(input: &str) -> Invalid {
        match input.parse::<LicensePlate>() {
            Err(Error::Invalid { kind: Kind::LicensePlate, reason }) => reason,
            other => panic!("expected an error, got {:?}", other.map(|_| ())),
        }
    }

    #[test]
    fn normalizes() {
        for ok in [
            "京A12345",
            "京a12345",
            "京A·12345",
            "京A•12345",
            "京A 12345",
            "京A-12345",
            " 京Ａ１２３４５\u{3000}",
        ] {
            let plate: LicensePlate = ok.parse().unwrap();
            assert_eq!(plate.expose(), "京A12345", "{ok}");
            assert_eq!(LicensePlate::from_canonical_bytes(plate.canonical_bytes()).unwrap(), plate);
        }
        let ev: LicensePlate = "沪ad12345".parse().unwrap();
        assert_eq!(ev.expose(), "沪AD12345");
        assert!(ev.is_new_energy());
        assert_eq!(ev.province().code(), 31);
        let learner: LicensePlate = "粤B1234学".parse().unwrap();
        assert_eq!(learner.expose(), "粤B1234学");
        assert!(!learner.is_new_energy());
        assert_eq!(learner.province().name(), "广东省");
        for ok in ["川A1234警", "冀A1234挂", "京A1234领", "粤Z1234港", "粤Z1234澳", "新AZ9Y8X"] {
            assert_eq!(ok.parse::<LicensePlate>().unwrap().expose(), ok);
        }
    }

    #[test]
    fn every_documented_error() {
        assert_eq!(reason(""), Invalid::Empty);
        assert_eq!(reason(" \u{3000} "), Invalid::Empty);
        assert_eq!(reason("A12345"), Invalid::Province);
        assert_eq!(reason("港A12345"), Invalid::Province);
        assert_eq!(reason("京"), Invalid::Length);
        assert_eq!(reason("京A"), Invalid::Length);
        assert_eq!(reason("京A1234"), Invalid::Length);
        assert_eq!(reason("京A1234567"), Invalid::Length);
        assert_eq!(reason("京112345"), Invalid::Character);
        assert_eq!(reason("京A1234I"), Invalid::Character);
        assert_eq!(reason("京AO1234"), Invalid::Character);
        assert_eq!(reason("京A·-12345"), Invalid::Character);
        assert_eq!(reason("京A123 45"), Invalid::Character);
        assert_eq!(reason("京A123学4"), Invalid::Character);
        assert_eq!(reason("京A1234学5"), Invalid::Character);
        assert_eq!(reason("京A12345学"), Invalid::Character);
        assert_eq!(reason("京A1234!"), Invalid::Character);
        assert!(matches!(reason(&"京".repeat(30)), Invalid::TooLong { .. }));
    }

    #[test]
    fn masks() {
        let plate: LicensePlate = "京A12345".parse().unwrap();
        assert_eq!(plate.mask(MaskLevel::Strict), "京A*****");
        assert_eq!(plate.mask(MaskLevel::Standard), "京A****5");
        assert_eq!(plate.mask(MaskLevel::Relaxed), "京A1***5");
        assert_eq!(plate.to_string(), "京A****5");
        assert_eq!(format!("{plate:?}"), "LicensePlate([REDACTED])");

        let ev: LicensePlate = "粤BD12345".parse().unwrap();
        assert_eq!(ev.mask(MaskLevel::Strict), "粤B******");
        assert_eq!(ev.mask(MaskLevel::Standard), "粤B*****5");
        assert_eq!(ev.mask(MaskLevel::Relaxed), "粤BD****5");
        assert_eq!(format!("{ev:?}"), "LicensePlate([REDACTED])");

        let learner: LicensePlate = "粤B1234学".parse().unwrap();
        assert_eq!(learner.mask(MaskLevel::Standard), "粤B****学");
        assert_eq!(learner.mask(MaskLevel::Relaxed), "粤B1***学");
    }
}
