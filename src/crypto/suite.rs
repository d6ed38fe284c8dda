//! Cipher suites (SPEC.md §12): which primitives a root key's working keys
//! use. Chosen per root key, so that a keyring moves from one suite to the
//! other by rotation.

use core::fmt;
use core::str::FromStr;

use crate::error::{Error, KeyError};

/// The cipher suite of a root key: every primitive its working keys use.
///
/// | | [`Suite::Aes`] (default) | [`Suite::Gm`] (国密) |
/// |---|---|---|
/// | envelopes (v2) | XAES-256-GCM | SM4-GCM with the same extended nonce (KDF over SM4-CMAC) |
/// | key derivation | HKDF-SHA256 | HKDF-SM3 |
/// | context check | AES-256-CMAC | SM4-CMAC |
/// | tokens, blind indexes | HMAC-SHA256 | HMAC-SM3 |
/// | FF1 pseudonyms | FF1-AES-256 | FF1 over SM4 |
///
/// Every envelope names its key id, and the key its suite: the envelope
/// itself does not repeat it. A keyring moves to `gm` by rotation
/// ([`Keyring::rotate_to`](crate::Keyring::rotate_to)); values re-sealed
/// after that are under the `gm` key.
///
/// ```
/// use desensitize::keys::Suite;
///
/// assert_eq!("gm".parse::<Suite>()?, Suite::Gm);
/// assert_eq!(Suite::default(), Suite::Aes);
/// assert_eq!(Suite::Gm.to_string(), "gm");
/// assert!("sm4".parse::<Suite>().is_err());
/// # Ok::<(), desensitize::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Suite {
    /// AES-256 and SHA-256 (NIST): the default.
    #[default]
    Aes,
    /// SM4 (GB/T 32907) and SM3 (GB/T 32905): China's commercial
    /// cryptography standards, for systems assessed under GB/T 39786.
    Gm,
}

impl Suite {
    /// `aes` or `gm`.
    pub fn as_str(self) -> &'static str {
        match self {
            Suite::Aes => "aes",
            Suite::Gm => "gm",
        }
    }

    /// Its code in the keyring file (SPEC.md §6.2): 1 `aes`, 2 `gm`.
    pub(crate) fn code(self) -> u8 {
        match self {
            Suite::Aes => 1,
            Suite::Gm => 2,
        }
    }

    pub(crate) fn from_code(code: u8) -> Option<Suite> {
        [Suite::Aes, Suite::Gm].into_iter().find(|s| s.code() == code)
    }
}

impl fmt::Display for Suite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Suite {
    type Err = Error;
    fn from_str(s: &str) -> Result<Suite, Error> {
        match s {
            "aes" => Ok(Suite::Aes),
            "gm" => Ok(Suite::Gm),
            _ => Err(Error::Key(KeyError::UnknownSuite)),
        }
    }
}
