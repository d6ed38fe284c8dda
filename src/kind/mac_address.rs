//! Device hardware (MAC, EUI-48) address.

use crate::error::{Error, Invalid, Result};
use crate::kind::{Kind, check_len, text_kind};
use crate::mask::MaskLevel;
use crate::secret::SecretString;

const KIND: Kind = Kind::MacAddress;
/// The longest accepted form is 17 characters; allow surrounding space.
const MAX_INPUT: usize = 64;
/// Hex digits in a MAC address (6 bytes).
const HEX_DIGITS: usize = 12;
/// One masked byte of a mask, after its separator: two mask characters.
const MASKED_BYTE: &str = ":**";

/// A 48-bit MAC address, stored as upper-case `AC:DE:48:00:11:22`.
///
/// Parsing accepts hex digits in either case, separated by `:` or `-` after
/// every byte (`ac-de-48-00-11-22`), not separated at all (`acde48001122`),
/// or in Cisco's dotted groups of four (`acde.4800.1122`). Separators must be
/// one kind and in their places. Masks keep the leading bytes, the
/// manufacturer's OUI at most.
///
/// ```
/// use desensitize::{MacAddress, MaskLevel, Sensitive};
///
/// for input in ["ac:de:48:00:11:22", "AC-DE-48-00-11-22", "acde48001122", "acde.4800.1122"] {
///     let mac: MacAddress = input.parse()?;
///     assert_eq!(mac.expose(), "AC:DE:48:00:11:22");
/// }
/// let mac: MacAddress = "ac:de:48:00:11:22".parse()?;
/// assert_eq!(mac.mask(MaskLevel::Strict), "AC:**:**:**:**:**");
/// assert_eq!(mac.to_string(), "AC:DE:48:**:**:**");
/// assert!("ac:de-48:00:11:22".parse::<MacAddress>().is_err()); // mixed separators
/// # Ok::<(), desensitize::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct MacAddress(SecretString);

/// Whether `sep` sits exactly at `places` (byte offsets) and nowhere else in
/// `s`, which is `places.len() + 12` ASCII characters long.
fn separated_at(s: &[u8], sep: u8, places: &[usize]) -> bool {
    s.len() == HEX_DIGITS + places.len()
        && s.iter()
            .enumerate()
            .all(|(i, &b)| if places.contains(&i) { b == sep } else { b.is_ascii_hexdigit() })
}

impl MacAddress {
    fn parse(input: &str) -> Result<MacAddress> {
        check_len(KIND, input, MAX_INPUT)?;
        let s = input.trim();
        if s.is_empty() {
            return Err(Error::invalid(KIND, Invalid::Empty));
        }
        if !s.chars().all(|c| c.is_ascii_hexdigit() || matches!(c, ':' | '-' | '.')) {
            return Err(Error::invalid(KIND, Invalid::Character));
        }
        let b = s.as_bytes();
        if b.iter().filter(|c| c.is_ascii_hexdigit()).count() != HEX_DIGITS {
            return Err(Error::invalid(KIND, Invalid::Length));
        }
        let well_formed = b.len() == HEX_DIGITS
            || separated_at(b, b':', &[2, 5, 8, 11, 14])
            || separated_at(b, b'-', &[2, 5, 8, 11, 14])
            || separated_at(b, b'.', &[4, 9]);
        if !well_formed {
            return Err(Error::invalid(KIND, Invalid::Malformed));
        }
        let mut out = String::with_capacity(HEX_DIGITS + 5);
        for (i, c) in b.iter().filter(|c| c.is_ascii_hexdigit()).enumerate() {
            if i > 0 && i % 2 == 0 {
                out.push(':');
            }
            out.push(char::from(c.to_ascii_uppercase()));
        }
        Ok(MacAddress(SecretString::new(out)))
    }

    /// The address as `AC:DE:48:00:11:22`. Exposes the plaintext.
    pub fn expose(&self) -> &str {
        self.0.as_str()
    }

    fn mask_at(&self, level: MaskLevel) -> String {
        let keep_bytes = match level {
            MaskLevel::Strict => 1,
            MaskLevel::Standard | MaskLevel::Relaxed => 3,
        };
        // Stored as `XX:XX:XX:XX:XX:XX`: byte `i` is at `3 * i`.
        let s = self.0.as_str();
        let mut out = String::with_capacity(HEX_DIGITS + 5);
        out.push_str(s.get(..3 * keep_bytes - 1).unwrap_or_default());
        for _ in keep_bytes..HEX_DIGITS / 2 {
            out.push_str(MASKED_BYTE);
        }
        out
    }
}

text_kind!(MacAddress, KIND);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Sensitive;
    use crate::kind::private::Canonical;

    fn reason(input: &str) -> Invalid {
        match input.parse::<MacAddress>() {
            Err(Error::Invalid { kind: Kind::MacAddress, reason }) => reason,
            other => panic!("expected an error, got {:?}", other.map(|_| ())),
        }
    }

    #[test]
    fn normalizes() {
        for ok in [
            "AC:DE:48:00:11:22",
            "ac:de:48:00:11:22",
            "Ac-dE-48-00-11-22",
            "acde48001122",
            "ACDE.4800.1122",
            "  acde.4800.1122\n",
        ] {
            let mac: MacAddress = ok.parse().unwrap();
            assert_eq!(mac.expose(), "AC:DE:48:00:11:22", "{ok}");
            assert_eq!(MacAddress::from_canonical_bytes(mac.canonical_bytes()).unwrap(), mac);
        }
        assert_eq!("ff-ff-ff-ff-ff-ff".parse::<MacAddress>().unwrap().expose(), "FF:FF:FF:FF:FF:FF");
    }

    #[test]
    fn every_documented_error() {
        assert_eq!(reason(""), Invalid::Empty);
        assert_eq!(reason(" "), Invalid::Empty);
        assert_eq!(reason("ac:de:48:00:11:2g"), Invalid::Character);
        assert_eq!(reason("ac de 48 00 11 22"), Invalid::Character);
        assert_eq!(reason("ac:de:48:00:11"), Invalid::Length);
        assert_eq!(reason("ac:de:48:00:11:22:33"), Invalid::Length);
        assert_eq!(reason("acde4800112"), Invalid::Length);
        assert_eq!(reason("::::"), Invalid::Length);
        assert_eq!(reason("ac:de-48:00:11:22"), Invalid::Malformed);
        assert_eq!(reason("acd:e48:001:122"), Invalid::Malformed);
        assert_eq!(reason("ac:de:48:00:11:22:"), Invalid::Malformed);
        assert_eq!(reason("acde4800.1122"), Invalid::Malformed);
        assert_eq!(reason("ac.de.48.00.11.22"), Invalid::Malformed);
        assert_eq!(reason("acde:4800:1122"), Invalid::Malformed);
        assert!(matches!(reason(&"a".repeat(100)), Invalid::TooLong { .. }));
    }

    #[test]
    fn masks() {
        let mac: MacAddress = "ac:de:48:00:11:22".parse().unwrap();
        assert_eq!(mac.mask(MaskLevel::Strict), "AC:**:**:**:**:**");
        assert_eq!(mac.mask(MaskLevel::Standard), "AC:DE:48:**:**:**");
        assert_eq!(mac.mask(MaskLevel::Relaxed), "AC:DE:48:**:**:**");
        assert_eq!(mac.to_string(), "AC:DE:48:**:**:**");
        assert_eq!(format!("{mac:?}"), "MacAddress([REDACTED])");
    }
}
