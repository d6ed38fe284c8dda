//! Why a key, keyring or key-provider operation was refused.

/// Why a key, keyring, key-provider or subject-key operation was refused
/// ([`Error::Key`](crate::Error::Key)). Value-free: no variant holds key
/// material, a subject id or any other input.
///
/// ```
/// use desensitize::keys::{KeyState, RootKey};
/// use desensitize::{Error, KeyError, Keyring};
///
/// let mut keyring = Keyring::generate()?;
/// let err = keyring.add_key(0, RootKey::from_bytes([1; 32]), KeyState::DecryptOnly).unwrap_err();
/// assert_eq!(err, Error::Key(KeyError::ReservedId));
/// assert_eq!(err.to_string(), "key error: key id 0 is reserved");
/// # Ok::<(), Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// A key was given id 0, which the envelope format reserves.
    #[error("key id 0 is reserved")]
    ReservedId,
    /// Two keys were given the same id.
    #[error("duplicate key id")]
    DuplicateId,
    /// Rotation found no free key id above the highest one (`u32::MAX` used).
    #[error("key ids exhausted")]
    IdsExhausted,
    /// `destroy` was asked for the key that seals new values.
    #[error("the active key cannot be destroyed; rotate first")]
    DestroyActive,
    /// `retire` (decrypt-only) was asked for the key that seals new values.
    #[error("the active key cannot be made decrypt-only; rotate first")]
    RetireActive,
    /// `destroy` was asked for a key that an analytics domain is pinned to.
    #[error("an analytics domain is pinned to this key; re-pin it first")]
    DomainPinned,
    /// A key other than a destroyed one came without its material (or a
    /// destroyed one with it).
    #[error("only destroyed keys lack material")]
    NoMaterial,
    /// The keyring's cipher cache lost an entry it had just stored (a bug).
    #[error("key cache inconsistent")]
    CacheInconsistent,
    /// The keyring's cipher cache lock was poisoned by a panicking thread.
    #[error("key cache lock poisoned")]
    CachePoisoned,
    /// The root key's environment variable is not set (`Keyring::from_env`).
    #[error("root key environment variable not set")]
    RootKeyEnvUnset,
    /// The root key id's environment variable is not a `u32`.
    #[error("root key id is not a u32")]
    RootKeyId,
    /// The root key text is not valid base64.
    #[error("root key is not valid base64")]
    RootKeyBase64,
    /// The root key does not decode to exactly 32 bytes.
    #[error("root key must be exactly 32 bytes")]
    RootKeyLength,
    /// The HMAC implementation refused a derived key (cannot happen with
    /// 32-byte keys; kept so that it fails closed).
    #[error("HMAC key rejected")]
    HmacKeyRejected,
    /// The keyring holds no format-preserving key for the requested kind.
    #[error("no FPE key for this kind")]
    NoFpeKey,
    /// A keyring file was to be written or read with an empty passphrase.
    #[error("empty passphrase")]
    EmptyPassphrase,
    /// The keyring is too large for the keyring file format.
    #[error("keyring too large to encrypt")]
    KeyringTooLarge,
    /// The key provider's id does not fit the keyring file format.
    #[error("provider id too long")]
    ProviderIdTooLong,
    /// A wrapped key does not fit the keyring file format.
    #[error("wrapped key too long")]
    WrappedKeyTooLong,
    /// A key provider was given a wrapped key it cannot unwrap.
    #[error("bad wrapped key")]
    BadWrappedKey,
    /// A key provider (a KMS, an HSM, a Python object) failed to wrap or
    /// unwrap a key.
    #[error("the key provider failed")]
    ProviderFailed,
    /// A key provider returned a data key that is not 32 bytes long.
    #[error("the key provider did not return 32 bytes")]
    ProviderKeyLength,
    /// A subject id is empty or longer than 256 bytes.
    #[error("subject id must be 1 to 256 bytes")]
    SubjectIdLength,
    /// Wrapping a new subject key under the keyring failed.
    #[error("subject key wrap failed")]
    SubjectWrapFailed,
    /// The in-memory subject key store's lock was poisoned by a panicking thread.
    #[error("subject store lock poisoned")]
    SubjectStorePoisoned,
    /// An expiry was asked of a subject key store that keeps none.
    #[error("this subject key store keeps no expiry")]
    NoExpiry,
    /// A subject key store that cannot list its subjects was asked to (to
    /// re-wrap or count their keys before a root key is destroyed).
    #[error("this subject key store cannot list its subjects")]
    NoSubjectListing,
    /// A cipher suite name other than `aes` or `gm` ([`Suite`](crate::keys::Suite)).
    #[error("unknown cipher suite (expected `aes` or `gm`)")]
    UnknownSuite,
    /// A key provider or subject key store implemented outside this crate
    /// failed; its value-free text says why (for example "subject key
    /// table unavailable"). The crate itself never returns this variant.
    #[error("{0}")]
    Backend(&'static str),
}

/// Why the analytics pins section of a keyring file was refused (SPEC.md
/// §6.2), in [`KeyringFileError::InvalidPins`](crate::KeyringFileError::InvalidPins).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum PinsError {
    /// A pin's name is not `tokens:DOMAIN` or `index:DOMAIN`.
    #[error("unknown pin namespace")]
    UnknownNamespace,
    /// A pin's domain is not a valid analytics domain name.
    #[error("invalid domain name")]
    DomainName,
    /// The section is present but holds no pin.
    #[error("empty pins section")]
    Empty,
    /// The same name is pinned twice.
    #[error("duplicate pin")]
    Duplicate,
    /// A pin names a key id the keyring does not hold.
    #[error("pin to a missing key")]
    MissingKey,
    /// A pin names a destroyed key.
    #[error("pin to a destroyed key")]
    DestroyedKey,
}
