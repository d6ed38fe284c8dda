//! The seam for external key management: wrap and unwrap a data key.

use rand::TryRng;
use zeroize::Zeroizing;

use crate::crypto::{KEY_LEN, Suite};
use crate::error::{Error, Result};

/// A 256-bit data key, generated here and wrapped by a [`KeyProvider`].
/// Never `Clone`, never `Debug`, wiped on drop.
pub struct DataKey(Zeroizing<[u8; KEY_LEN]>);

impl DataKey {
    /// A fresh data key from the OS CSPRNG.
    pub fn generate() -> Result<DataKey> {
        let mut k = Zeroizing::new([0u8; KEY_LEN]);
        rand::rngs::SysRng.try_fill_bytes(k.as_mut()).map_err(|_| Error::Randomness)?;
        Ok(DataKey(k))
    }

    /// Wrap bytes returned by a provider's unwrap (e.g. a KMS `Decrypt`).
    pub fn from_bytes(bytes: Zeroizing<[u8; KEY_LEN]>) -> DataKey {
        DataKey(bytes)
    }

    /// The key bytes, to hand to a KMS `Encrypt`. Exposes key material.
    pub fn expose_bytes(&self) -> &[u8; KEY_LEN] {
        &self.0
    }
}

/// An opaque wrapped key, as stored next to what it protects.
#[derive(Clone, PartialEq, Eq)]
pub struct WrappedKey(Vec<u8>);

impl WrappedKey {
    /// Wrap stored bytes.
    pub fn from_bytes(bytes: Vec<u8>) -> WrappedKey {
        WrappedKey(bytes)
    }

    /// The stored bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl core::fmt::Debug for WrappedKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "WrappedKey({} bytes)", self.0.len())
    }
}

/// Protects the data key that encrypts a keyring file.
///
/// The built-in implementation is [`PassphraseProvider`](crate::keys::PassphraseProvider)
/// (Argon2id, then AES-256-GCM, or SM4-GCM for a `gm` keyring: see
/// [`KeyProvider::wrap_in`]). An external KMS plugs in here:
///
/// * **AWS KMS**: `wrap` calls `Encrypt` (or use `GenerateDataKey` and
///   ignore our generated key) with `KeyId` = your CMK and an encryption
///   context such as `{"app": "desensitize"}`; store the returned
///   `CiphertextBlob` as the [`WrappedKey`]. `unwrap` calls `Decrypt` with the
///   same encryption context and returns the plaintext as a [`DataKey`].
/// * **Vault Transit**: `wrap` posts the base64 key to
///   `transit/encrypt/<name>` and stores the `vault:v1:…` ciphertext;
///   `unwrap` posts it to `transit/decrypt/<name>`. Vault's key rotation then
///   only needs `transit/rewrap`.
///
/// `id` names the provider in the file header so that a file is never
/// handed to the wrong provider; keep it stable (`"aws-kms"`, `"vault-transit"`).
///
/// ```
/// use desensitize::keys::{DataKey, KeyProvider, WrappedKey};
/// use desensitize::{Error, KeyError, Result};
///
/// /// A toy provider for tests: XOR is NOT protection. Real ones call a KMS.
/// struct Xor(u8);
/// impl KeyProvider for Xor {
///     fn id(&self) -> &str { "test-xor" }
///     fn wrap(&self, key: &DataKey) -> Result<WrappedKey> {
///         Ok(WrappedKey::from_bytes(key.expose_bytes().iter().map(|b| b ^ self.0).collect()))
///     }
///     fn unwrap(&self, w: &WrappedKey) -> Result<DataKey> {
///         let mut k = zeroize::Zeroizing::new([0u8; 32]);
///         if w.as_bytes().len() != 32 { return Err(Error::Key(KeyError::BadWrappedKey)); }
///         for (o, b) in k.iter_mut().zip(w.as_bytes()) { *o = b ^ self.0; }
///         Ok(DataKey::from_bytes(k))
///     }
/// }
/// let keyring = desensitize::Keyring::generate()?;
/// let bytes = keyring.to_protected_bytes(&Xor(0x5a))?;
/// let back = desensitize::Keyring::from_protected_bytes(&bytes, &Xor(0x5a))?;
/// assert_eq!(back.keys(), keyring.keys());
/// # Ok::<(), desensitize::Error>(())
/// ```
pub trait KeyProvider {
    /// Stable identifier written into the keyring file header.
    fn id(&self) -> &str;
    /// Protect `key`.
    fn wrap(&self, key: &DataKey) -> Result<WrappedKey>;
    /// Protect `key` for a keyring file whose payload cipher is `suite`
    /// (SPEC.md §6.5: the active key's suite). The default ignores the suite
    /// and calls [`KeyProvider::wrap`]; the built-in
    /// [`PassphraseProvider`](crate::keys::PassphraseProvider) wraps with the
    /// suite's cipher (SM4-GCM under HKDF-SM3 for `gm`, SPEC.md §6.4). A
    /// provider for a `gm` deployment overrides it to wrap under an SM4 key
    /// of its KMS or HSM. Its [`KeyProvider::unwrap`] must read what this writes.
    ///
    /// ```
    /// use desensitize::keys::{DataKey, KeyProvider, PassphraseProvider, Suite};
    ///
    /// let provider = PassphraseProvider::with_params("pw", 64, 1, 1)?;
    /// let key = DataKey::generate()?;
    /// let wrapped = provider.wrap_in(&key, Suite::Gm)?;
    /// assert_eq!(wrapped.as_bytes()[0], 2); // names its cipher: SM4-GCM
    /// assert_eq!(provider.unwrap(&wrapped)?.expose_bytes(), key.expose_bytes());
    /// # Ok::<(), desensitize::Error>(())
    /// ```
    fn wrap_in(&self, key: &DataKey, suite: Suite) -> Result<WrappedKey> {
        let _ = suite;
        self.wrap(key)
    }
    /// Recover a key protected by [`KeyProvider::wrap`].
    fn unwrap(&self, wrapped: &WrappedKey) -> Result<DataKey>;
}
