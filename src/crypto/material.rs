//! Root key material and the HKDF tree every working key comes from.

use hkdf::Hkdf;
use rand::TryRng;
use sha2::Sha256;
use sm3::Sm3;
use zeroize::{Zeroize, Zeroizing};

use super::suite::Suite;
use crate::error::{Error, KeyError, Result};

/// Length of every key in the crate: 256 bits.
pub const KEY_LEN: usize = 32;

/// HKDF-Extract salt; fixes the tree to this format version (SPEC.md §2).
pub(crate) const HKDF_SALT: &[u8] = b"desensitize/v1";

/// A 256-bit root key.
///
/// Never `Clone`, never `Debug`, wiped on drop. Build one from OS randomness
/// with [`RootKey::generate`] or from bytes you hold elsewhere.
///
/// ```
/// use desensitize::keys::RootKey;
///
/// let key = RootKey::generate()?;
/// let same = RootKey::from_bytes([7u8; 32]);
/// # let _ = (key, same);
/// # Ok::<(), desensitize::Error>(())
/// ```
pub struct RootKey(Zeroizing<[u8; KEY_LEN]>);

impl RootKey {
    /// A fresh key from the operating system's CSPRNG.
    pub fn generate() -> Result<RootKey> {
        let mut bytes = Zeroizing::new([0u8; KEY_LEN]);
        rand::rngs::SysRng.try_fill_bytes(bytes.as_mut()).map_err(|_| Error::Randomness)?;
        Ok(RootKey(bytes))
    }

    /// Wrap existing key bytes. The caller's array is copied; wipe it after.
    pub fn from_bytes(bytes: [u8; KEY_LEN]) -> RootKey {
        let mut bytes = bytes;
        let key = RootKey(Zeroizing::new(bytes));
        bytes.zeroize();
        key
    }

    /// Decode standard or URL-safe base64 of exactly 32 bytes.
    pub fn from_base64(text: &str) -> Result<RootKey> {
        use base64ct::{Base64, Base64Unpadded, Base64Url, Base64UrlUnpadded, Encoding};
        let text = Zeroizing::new(text.trim().to_owned());
        let mut out = Zeroizing::new([0u8; KEY_LEN + 3]);
        // Try each alphabet in turn; stop at the first that decodes, so the
        // buffer holds that decoder's output and no other.
        let t = text.as_bytes();
        let len = if let Ok(s) = Base64::decode(t, out.as_mut()) {
            s.len()
        } else if let Ok(s) = Base64Unpadded::decode(t, out.as_mut()) {
            s.len()
        } else if let Ok(s) = Base64Url::decode(t, out.as_mut()) {
            s.len()
        } else if let Ok(s) = Base64UrlUnpadded::decode(t, out.as_mut()) {
            s.len()
        } else {
            return Err(Error::Key(KeyError::RootKeyBase64));
        };
        if len != KEY_LEN {
            return Err(Error::Key(KeyError::RootKeyLength));
        }
        let mut bytes = [0u8; KEY_LEN];
        bytes.copy_from_slice(&out[..KEY_LEN]);
        Ok(RootKey::from_bytes(bytes))
    }

    /// Encode as standard base64 (for `DESENSITIZE_ROOT_KEY`). Exposes key material.
    pub fn expose_base64(&self) -> Zeroizing<String> {
        use base64ct::{Base64, Encoding};
        Zeroizing::new(Base64::encode_string(self.0.as_ref()))
    }

    pub(crate) fn as_bytes(&self) -> &[u8; KEY_LEN] {
        &self.0
    }

    /// Derive a working key: HKDF-SHA256(salt = `desensitize/v1`, ikm = root,
    /// info = `encode_fields(label)`), 32 bytes.
    pub(crate) fn derive(&self, label: &[&[u8]]) -> Zeroizing<[u8; KEY_LEN]> {
        derive_from(self.as_bytes(), label)
    }
}

/// HKDF-SHA256 from any 256-bit secret (root keys and subject data keys).
pub(crate) fn derive_from(secret: &[u8; KEY_LEN], label: &[&[u8]]) -> Zeroizing<[u8; KEY_LEN]> {
    derive_in(Suite::Aes, secret, label)
}

/// The suite's HKDF (SPEC.md §12.2): HKDF-SHA256 for `aes`, HKDF-SM3 for
/// `gm`, both with salt `desensitize/v1`, info `encode_fields(label)` and 32
/// bytes of output (an SM4 key is the first 16 of them).
pub(crate) fn derive_in(suite: Suite, secret: &[u8; KEY_LEN], label: &[&[u8]]) -> Zeroizing<[u8; KEY_LEN]> {
    let mut okm = Zeroizing::new([0u8; KEY_LEN]);
    let info = encode_fields(label);
    // 32 bytes is far below HKDF's 255 * 32 limit: expand cannot fail.
    let expanded = match suite {
        Suite::Aes => Hkdf::<Sha256>::new(Some(HKDF_SALT), secret).expand(&info, okm.as_mut()),
        Suite::Gm => Hkdf::<Sm3>::new(Some(HKDF_SALT), secret).expand(&info, okm.as_mut()),
    };
    if expanded.is_err() {
        unreachable!("HKDF output length is fixed and valid");
    }
    okm
}

/// Injective encoding of a list of byte strings: `u16be(count)` then
/// `u16be(len) || bytes` for each. Fields longer than 65535 bytes are
/// rejected where they enter the crate (`Context`, domains), never here.
pub(crate) fn encode_fields(fields: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::with_capacity(2 + fields.iter().map(|f| 2 + f.len()).sum::<usize>());
    push_fields(&mut out, fields);
    out
}

pub(crate) fn push_fields(out: &mut Vec<u8>, fields: &[&[u8]]) {
    out.extend_from_slice(&u16::try_from(fields.len()).unwrap_or(u16::MAX).to_be_bytes());
    for f in fields {
        out.extend_from_slice(&u16::try_from(f.len()).unwrap_or(u16::MAX).to_be_bytes());
        out.extend_from_slice(f);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_encoding_is_injective_on_boundaries() {
        assert_ne!(encode_fields(&[b"ab", b"c"]), encode_fields(&[b"a", b"bc"]));
        assert_ne!(encode_fields(&[b"abc"]), encode_fields(&[b"abc", b""]));
        assert_eq!(encode_fields(&[b"ab"]), vec![0, 1, 0, 2, b'a', b'b']);
    }

    #[test]
    fn base64_forms() {
        let k = RootKey::from_bytes([0xfb; 32]);
        let b64 = k.expose_base64();
        assert_eq!(RootKey::from_base64(&b64).unwrap().as_bytes(), &[0xfb; 32]);
        let url = b64.replace('+', "-").replace('/', "_").replace('=', "");
        assert_eq!(RootKey::from_base64(&url).unwrap().as_bytes(), &[0xfb; 32]);
        assert!(RootKey::from_base64("AAAA").is_err());
        assert!(RootKey::from_base64("not base64!").is_err());
    }

    #[test]
    fn labels_separate_keys() {
        let k = RootKey::from_bytes([1; 32]);
        assert_ne!(*k.derive(&[b"seal", b"x"]), *k.derive(&[b"pseudonym", b"x"]));
        assert_eq!(*k.derive(&[b"seal", b"x"]), *k.derive(&[b"seal", b"x"]));
    }
}
