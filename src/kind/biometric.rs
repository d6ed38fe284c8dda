//! Biometric template: opaque face, fingerprint, iris or voice template bytes.

use core::fmt;

use base64ct::{Base64, Encoding};
use zeroize::{Zeroize, Zeroizing};

use crate::error::{Error, Invalid, Result};
use crate::kind::{Kind, Sealable, Sensitive, check_len, private};
use crate::mask::MaskLevel;
use crate::secret::SecretBytes;

const KIND: Kind = Kind::Biometric;
/// Largest template accepted, in bytes (1 MiB).
const MAX_BYTES: usize = 1 << 20;
/// Length of [`MAX_BYTES`] in padded base64.
const MAX_BASE64: usize = MAX_BYTES.div_ceil(3) * 4;
/// What every mask level shows.
const PLACEHOLDER: &str = "[biometric]";

/// A biometric template (生物识别信息): opaque bytes of 1 byte to 1 MiB.
///
/// The crate does not interpret the bytes; it keeps them in a buffer that is
/// wiped on drop and compared in constant time. No mask level shows any of
/// them: every mask, and `Display`, is `[biometric]`.
///
/// Build one from bytes with [`Biometric::from_bytes`], or parse text with
/// [`str::parse`], which expects **standard base64** (RFC 4648 alphabet
/// `A-Z a-z 0-9 + /`, with `=` padding, no line breaks; surrounding white
/// space is trimmed).
///
/// ```
/// use desensitize::{Biometric, MaskLevel, Sensitive};
///
/// let t = Biometric::from_bytes(vec![0x46, 0x4d, 0x52, 0x00])?;
/// assert_eq!(t.expose(), b"FMR\0");
/// assert_eq!(t.to_string(), "[biometric]");
/// assert_eq!(t.mask(MaskLevel::Relaxed), "[biometric]");
/// assert_eq!(format!("{t:?}"), "Biometric([REDACTED])");
///
/// let parsed: Biometric = "Rk1SAA==".parse()?;
/// assert_eq!(parsed, t);
/// assert!("not base64!".parse::<Biometric>().is_err());
/// # Ok::<(), desensitize::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Biometric(SecretBytes);

impl Biometric {
    /// Take ownership of template bytes. Errors with [`Invalid::Empty`] for
    /// no bytes and [`Invalid::TooLong`] for more than 1 MiB (the rejected
    /// buffer is wiped).
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Biometric> {
        let bytes = SecretBytes::new(bytes);
        let len = bytes.as_bytes().len();
        if len == 0 {
            return Err(Error::invalid(KIND, Invalid::Empty));
        }
        if len > MAX_BYTES {
            return Err(Error::invalid(KIND, Invalid::TooLong { max: MAX_BYTES }));
        }
        Ok(Biometric(bytes))
    }

    fn parse(input: &str) -> Result<Biometric> {
        let s = input.trim();
        check_len(KIND, s, MAX_BASE64)?;
        if s.is_empty() {
            return Err(Error::invalid(KIND, Invalid::Empty));
        }
        let mut buf = Zeroizing::new(vec![0u8; s.len() / 4 * 3 + 3]);
        let len = Base64::decode(s, &mut buf).map_err(|_| Error::invalid(KIND, Invalid::Malformed))?.len();
        buf.truncate(len);
        Biometric::from_bytes(core::mem::take(&mut *buf))
    }

    /// The template bytes. Exposes the plaintext.
    pub fn expose(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

impl fmt::Debug for Biometric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Biometric([REDACTED])")
    }
}

impl fmt::Display for Biometric {
    /// Prints `[biometric]`, the mask at every level.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(PLACEHOLDER)
    }
}

impl core::str::FromStr for Biometric {
    type Err = Error;

    /// Decodes standard, padded base64 (see the type documentation).
    fn from_str(s: &str) -> Result<Biometric> {
        Biometric::parse(s)
    }
}

impl TryFrom<&str> for Biometric {
    type Error = Error;

    /// Decodes standard, padded base64 (see the type documentation).
    fn try_from(s: &str) -> Result<Biometric> {
        Biometric::parse(s)
    }
}

impl TryFrom<String> for Biometric {
    type Error = Error;

    /// Decodes standard, padded base64 and then wipes the caller's buffer.
    fn try_from(mut s: String) -> Result<Biometric> {
        let parsed = Biometric::parse(&s);
        s.zeroize();
        parsed
    }
}

impl private::Sealed for Biometric {}

impl Sensitive for Biometric {
    const KIND: Kind = KIND;

    fn mask(&self, _level: MaskLevel) -> String {
        PLACEHOLDER.to_owned()
    }
}

impl private::Canonical for Biometric {
    fn canonical_bytes(&self) -> &[u8] {
        self.expose()
    }

    fn from_canonical_bytes(bytes: &[u8]) -> Result<Biometric> {
        if bytes.len() > MAX_BYTES {
            return Err(Error::invalid(KIND, Invalid::TooLong { max: MAX_BYTES }));
        }
        Biometric::from_bytes(bytes.to_vec())
    }
}

impl Sealable for Biometric {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kind::private::Canonical;

    fn reason(result: Result<Biometric>) -> Invalid {
        match result {
            Err(Error::Invalid { kind: Kind::Biometric, reason }) => reason,
            other => panic!("expected an error, got {:?}", other.map(|_| ())),
        }
    }

    #[test]
    fn bytes_and_base64() {
        let t = Biometric::from_bytes(vec![1, 2, 3, 4, 5]).unwrap();
        assert_eq!(t.expose(), [1, 2, 3, 4, 5]);
        let b64 = Base64::encode_string(t.expose());
        assert_eq!(b64, "AQIDBAU=");
        assert_eq!(b64.parse::<Biometric>().unwrap(), t);
        assert_eq!(" AQIDBAU=\n".parse::<Biometric>().unwrap(), t);
        assert_eq!(Biometric::try_from(String::from("AQIDBAU=")).unwrap(), t);
        assert_eq!(Biometric::from_canonical_bytes(t.canonical_bytes()).unwrap(), t);
        assert_ne!(Biometric::from_bytes(vec![1, 2, 3, 4, 6]).unwrap(), t);
        // The largest template fits, in bytes and in base64.
        let max = Biometric::from_bytes(vec![0xAB; MAX_BYTES]).unwrap();
        let b64 = Base64::encode_string(max.expose());
        assert_eq!(b64.len(), MAX_BASE64);
        assert_eq!(b64.parse::<Biometric>().unwrap(), max);
    }

    #[test]
    fn every_documented_error() {
        assert_eq!(reason(Biometric::from_bytes(Vec::new())), Invalid::Empty);
        assert_eq!(
            reason(Biometric::from_bytes(vec![0; MAX_BYTES + 1])),
            Invalid::TooLong { max: MAX_BYTES }
        );
        assert_eq!(reason(Biometric::from_canonical_bytes(&[])), Invalid::Empty);
        assert_eq!(reason("".parse()), Invalid::Empty);
        assert_eq!(reason("  ".parse()), Invalid::Empty);
        assert_eq!(reason("AQIDBAU".parse()), Invalid::Malformed); // missing padding
        assert_eq!(reason("AQID BAU=".parse()), Invalid::Malformed);
        assert_eq!(reason("AQIDBA-_".parse()), Invalid::Malformed); // URL-safe alphabet
        assert_eq!(reason("AQIDBAV=".parse()), Invalid::Malformed); // non-canonical last bits
        assert_eq!(reason("====".parse()), Invalid::Malformed);
        assert!(matches!(reason("A".repeat(MAX_BASE64 + 4).parse()), Invalid::TooLong { .. }));
    }

    #[test]
    fn masks() {
        let t = Biometric::from_bytes(b"template".to_vec()).unwrap();
        for level in MaskLevel::ALL {
            assert_eq!(t.mask(level), "[biometric]");
        }
        assert_eq!(t.to_string(), "[biometric]");
        assert_eq!(format!("{t:>12}"), " [biometric]");
        assert_eq!(format!("{t:?}"), "Biometric([REDACTED])");
    }
}
