//! The keyed MAC of a cipher suite ([`SuiteMac`]): HMAC-SHA256 under `aes`
//! keys, HMAC-SM3 under `gm` keys. Tokens and blind indexes (`pseudo`,
//! SPEC.md §9.2, §12) and the chained audit log's MACs (`audit`, §11.2)
//! all use it.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use sm3::Sm3;

use super::material::KEY_LEN;
use super::suite::Suite;
use crate::error::{Error, KeyError, Result};

/// The suite's HMAC, pre-keyed and cloned per value. Key material: never
/// `Debug`, wiped on drop.
#[derive(Clone)]
pub(crate) enum SuiteMac {
    Sha256(Hmac<Sha256>),
    Sm3(Hmac<Sm3>),
}

impl SuiteMac {
    /// The suite's HMAC under `key`.
    pub(crate) fn new(suite: Suite, key: &[u8; KEY_LEN]) -> Result<SuiteMac> {
        let rejected = |_| Error::Key(KeyError::HmacKeyRejected);
        Ok(match suite {
            Suite::Aes => SuiteMac::Sha256(Hmac::new_from_slice(key).map_err(rejected)?),
            Suite::Gm => SuiteMac::Sm3(Hmac::new_from_slice(key).map_err(rejected)?),
        })
    }

    pub(crate) fn update(&mut self, data: &[u8]) {
        match self {
            SuiteMac::Sha256(m) => m.update(data),
            SuiteMac::Sm3(m) => m.update(data),
        }
    }

    /// The 32-byte MAC (both hashes give 32 bytes).
    pub(crate) fn finalize_bytes(self) -> [u8; 32] {
        let mut out = [0u8; 32];
        match self {
            SuiteMac::Sha256(m) => out.copy_from_slice(&m.finalize().into_bytes()),
            SuiteMac::Sm3(m) => out.copy_from_slice(&m.finalize().into_bytes()),
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 4231 test case 2 shape with a 32-byte key: HMAC-SHA256 and
    /// HMAC-SM3 differ, and each matches its hash's HMAC.
    #[test]
    fn each_suite_macs_with_its_hash() {
        let key = [0x0b; KEY_LEN];
        let mac = |suite| {
            let mut m = SuiteMac::new(suite, &key).unwrap();
            m.update(b"Hi ");
            m.update(b"There");
            m.finalize_bytes()
        };
        let mut sha = <Hmac<Sha256> as KeyInit>::new_from_slice(&key).unwrap();
        sha.update(b"Hi There");
        let mut sm3 = <Hmac<Sm3> as KeyInit>::new_from_slice(&key).unwrap();
        sm3.update(b"Hi There");
        assert_eq!(mac(Suite::Aes), <[u8; 32]>::from(sha.finalize().into_bytes()));
        assert_eq!(mac(Suite::Gm), <[u8; 32]>::from(sm3.finalize().into_bytes()));
        assert_ne!(mac(Suite::Aes), mac(Suite::Gm));
    }
}
