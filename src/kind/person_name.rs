//! Personal name, in any script.

use zeroize::Zeroizing;

use crate::error::{Error, Invalid, Result};
use crate::kind::{Kind, check_len, text_kind};
use crate::mask::{MASK_CHAR, MaskLevel};
use crate::secret::SecretString;

const KIND: Kind = Kind::PersonName;
/// Longest name, in code points, after normalization.
const MAX_CHARS: usize = 64;
/// Generous bound on raw input (white space runs, 4-byte characters).
const MAX_INPUT: usize = 512;
/// The separator in transliterated names (`阿依·古丽`).
const MIDDLE_DOT: char = '\u{B7}';

/// A personal name (姓名), in any script.
///
/// Parsing trims the name, collapses every inner run of white space to one
/// space, and folds the look-alike dots `•` (U+2022), `・` (U+30FB), `‧`
/// (U+2027) and `．` (U+FF0E) to the middle dot `·` (U+00B7). The result
/// must be 1 to 64 code points of letters (any script, including CJK outside
/// the Basic Multilingual Plane such as `𠮷`), spaces, `·`, `'`, `-` and
/// `.`; digits and other symbols are rejected.
///
/// Masks count code points. `Strict` keeps only the first character;
/// `Standard` and `Relaxed` keep the first and, for names of three or more
/// characters, the last. A one-character name is fully masked at every level.
///
/// ```
/// use desensitize::{MaskLevel, PersonName, Sensitive};
///
/// let name: PersonName = "欧阳娜娜".parse()?;
/// assert_eq!(name.mask(MaskLevel::Strict), "欧***");
/// assert_eq!(name.to_string(), "欧**娜");
/// assert_eq!(format!("{name:?}"), "PersonName([REDACTED])");
///
/// let name: PersonName = "  阿依•古丽 ".parse()?;
/// assert_eq!(name.expose(), "阿依·古丽");
/// assert!("张3".parse::<PersonName>().is_err());
/// # Ok::<(), desensitize::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PersonName(SecretString);

impl PersonName {
    fn parse(input: &str) -> Result<PersonName> {
        check_len(KIND, input, MAX_INPUT)?;
        // Normalization never lengthens the text, so this never reallocates.
        let mut out = Zeroizing::new(String::with_capacity(input.len()));
        let mut count = 0usize;
        let mut gap = false;
        for c in input.trim().chars() {
            if c.is_whitespace() {
                gap = true;
                continue;
            }
            let c = match c {
                '\u{2022}' | '\u{30FB}' | '\u{2027}' | '\u{FF0E}' => MIDDLE_DOT,
                _ => c,
            };
            if !(c.is_alphabetic() || matches!(c, MIDDLE_DOT | '\'' | '-' | '.')) {
                return Err(Error::invalid(KIND, Invalid::Character));
            }
            if gap {
                out.push(' ');
                count += 1;
                gap = false;
            }
            out.push(c);
            count += 1;
        }
        if count == 0 {
            return Err(Error::invalid(KIND, Invalid::Empty));
        }
        if count > MAX_CHARS {
            return Err(Error::invalid(KIND, Invalid::TooLong { max: MAX_CHARS }));
        }
        Ok(PersonName(SecretString::new(core::mem::take(&mut *out))))
    }

    /// The normalized name. Exposes the plaintext.
    pub fn expose(&self) -> &str {
        self.0.as_str()
    }

    fn mask_at(&self, level: MaskLevel) -> String {
        let name = self.expose();
        let n = name.chars().count();
        let keep_last = match level {
            MaskLevel::Strict => false,
            MaskLevel::Standard | MaskLevel::Relaxed => n >= 3,
        };
        let mut out = String::with_capacity(name.len() + n);
        for (i, c) in name.chars().enumerate() {
            // A one-character name shows nothing.
            if n > 1 && (i == 0 || (keep_last && i == n - 1)) {
                out.push(c);
            } else {
                out.push(MASK_CHAR);
            }
        }
        out
    }
}

text_kind!(PersonName, KIND);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Sensitive;

    fn reason(input: &str) -> Invalid {
        match input.parse::<PersonName>() {
            Err(Error::Invalid { kind: Kind::PersonName, reason }) => reason,
            other => panic!("expected an error, got {:?}", other.map(|_| ())),
        }
    }

    fn name(s: &str) -> PersonName {
        s.parse().unwrap()
    }

    #[test]
    fn normalizes() {
        for (input, want) in [
            ("张三", "张三"),
            ("  张三\u{3000}", "张三"),
            ("John   Ronald\t\nTolkien", "John Ronald Tolkien"),
            ("阿依•古丽", "阿依·古丽"),
            ("阿依・古丽", "阿依·古丽"),
            ("阿依‧古丽", "阿依·古丽"),
            ("阿依．古丽", "阿依·古丽"),
            ("阿依·古丽", "阿依·古丽"),
            ("O'Brien-Smith Jr.", "O'Brien-Smith Jr."),
            ("𠮷野家", "𠮷野家"),
            ("Zoë Ångström", "Zoë Ångström"),
        ] {
            assert_eq!(name(input).expose(), want, "{input}");
        }
        // The limit counts code points, not bytes: 64 four-byte characters.
        assert_eq!(name(&"𠮷".repeat(64)).expose().chars().count(), 64);
    }

    #[test]
    fn every_documented_error() {
        assert_eq!(reason(""), Invalid::Empty);
        assert_eq!(reason(" \u{3000}\t"), Invalid::Empty);
        assert_eq!(reason("张3"), Invalid::Character);
        assert_eq!(reason("张三!"), Invalid::Character);
        assert_eq!(reason("张_三"), Invalid::Character);
        assert_eq!(reason("张\u{0}三"), Invalid::Character);
        assert_eq!(reason("张三😀"), Invalid::Character);
        assert_eq!(reason(&"a".repeat(65)), Invalid::TooLong { max: 64 });
        assert_eq!(reason(&"a b".repeat(22)), Invalid::TooLong { max: 64 });
        assert!(matches!(reason(&"a".repeat(600)), Invalid::TooLong { max: 512 }));
    }

    #[test]
    fn masks() {
        let n = name("张三丰");
        assert_eq!(n.mask(MaskLevel::Strict), "张**");
        assert_eq!(n.mask(MaskLevel::Standard), "张*丰");
        assert_eq!(n.mask(MaskLevel::Relaxed), "张*丰");
        assert_eq!(n.to_string(), "张*丰");
        assert_eq!(format!("{n:?}"), "PersonName([REDACTED])");

        let n = name("张三");
        assert_eq!(n.mask(MaskLevel::Strict), "张*");
        assert_eq!(n.mask(MaskLevel::Standard), "张*");
        assert_eq!(n.mask(MaskLevel::Relaxed), "张*");

        let n = name("欧阳娜娜");
        assert_eq!(n.mask(MaskLevel::Strict), "欧***");
        assert_eq!(n.mask(MaskLevel::Standard), "欧**娜");

        let n = name("𠮷野家");
        assert_eq!(n.mask(MaskLevel::Strict), "𠮷**");
        assert_eq!(n.mask(MaskLevel::Standard), "𠮷*家");

        let n = name("李");
        for level in MaskLevel::ALL {
            assert_eq!(n.mask(level), "*");
        }
    }

    proptest::proptest! {
        #[test]
        fn parsing_is_total_and_canonical(s in "[a-zA-Z张三𠮷 ·•・‧．\'\\-.1_\\u{0}\\u{3000}\\t]{0,40}", any in ".{0,40}") {
            for input in [&s, &any] {
                if let Ok(v) = input.parse::<PersonName>() {
                    for level in MaskLevel::ALL {
                        let _ = crate::Sensitive::mask(&v, level);
                    }
                    let bytes = crate::kind::private::Canonical::canonical_bytes(&v);
                    let back = <PersonName as crate::kind::private::Canonical>::from_canonical_bytes(bytes);
                    proptest::prop_assert!(back.as_ref() == Ok(&v));
                }
            }
        }
    }
}
