//! The built-in key provider: a passphrase stretched with Argon2id into a
//! key-encryption key (SPEC.md §6.1, §6.4).

use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::file::{Reader, file_header};
use super::file::{decrypt_in, encrypt_in, file_err};
use crate::crypto::aead::fresh_nonce;
use crate::crypto::material::{KEY_LEN, derive_in};
use crate::crypto::{Suite, labels, random};
use crate::error::{Error, KeyError, KeyringFileError, Result};
use crate::keys::CostLimits;
use crate::keys::provider::{DataKey, KeyProvider, WrappedKey};
use crate::kind::PasswordParams;

/// Bounds every file must meet (SPEC.md §6.4): beyond them a file is
/// malformed, whatever the reader's [`CostLimits`].
const MAX_M_COST_KIB: u32 = 4 << 20; // 4 GiB
const MAX_T_COST: u32 = 64;
const MAX_P_COST: u32 = 64;
const SALT_LEN: usize = 16;
const CHECK_LEN: usize = 16;
/// The first byte of a wrapped DEK that names its suite (SPEC.md §6.4):
/// `gm`'s code. A blob without it (first byte 0: `m` ≤ 2^22) is `aes`.
const GM_PREFIX: u8 = 2;

/// The suite a wrapped DEK names and the blob after that byte.
fn split_suite(blob: &[u8]) -> (Suite, &[u8]) {
    match blob.split_first() {
        Some((&GM_PREFIX, rest)) => (Suite::Gm, rest),
        _ => (Suite::Aes, blob),
    }
}

/// The built-in [`KeyProvider`]: a passphrase stretched with Argon2id into a
/// key-encryption key, which wraps the data key with AES-256-GCM, or for a
/// keyring file of the `gm` suite with SM4-GCM under HKDF-SM3
/// ([`KeyProvider::wrap_in`], SPEC.md §6.4). Argon2id stays in both suites:
/// no national standard defines a memory-hard KDF (SPEC.md §12.4).
///
/// The Argon2id parameters and salt are stored in the wrapped key, so files
/// written with stronger parameters stay readable, up to the provider's
/// [`CostLimits`] (default: 1 GiB, 10 passes, 16 lanes, 2 GiB·passes); a
/// file asking for more is refused with [`KeyringFileError::CostTooHigh`]
/// before any Argon2id work. A 16-byte check value derived from the KEK
/// tells a wrong passphrase apart from a tampered file.
///
/// Saving writes the provider's own parameters ([`PassphraseProvider::params`]).
/// To rewrite a file with the parameters it was written with, read them with
/// [`PassphraseProvider::stored_params`] and build the provider with
/// [`PassphraseProvider::with_costs`].
///
/// ```
/// use desensitize::keys::PassphraseProvider;
/// use desensitize::Keyring;
///
/// let dir = std::env::temp_dir().join(format!("dz-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir).unwrap();
/// let path = dir.join("keys.dzk");
///
/// // Small parameters keep the example fast; use `PassphraseProvider::new` for real files.
/// let provider = PassphraseProvider::with_params("correct horse battery staple", 1024, 1, 1)?;
/// let keyring = Keyring::generate()?;
/// keyring.save(&path, &provider)?;
/// let loaded = Keyring::load(&path, &provider)?;
/// assert_eq!(loaded.keys(), keyring.keys());
///
/// let wrong = PassphraseProvider::with_params("Tr0ub4dor&3", 1024, 1, 1)?;
/// assert_eq!(Keyring::load(&path, &wrong).unwrap_err().to_string(), "keyring file: wrong passphrase");
/// # std::fs::remove_dir_all(&dir).unwrap();
/// # Ok::<(), desensitize::Error>(())
/// ```
pub struct PassphraseProvider {
    passphrase: Zeroizing<String>,
    m_cost_kib: u32,
    t_cost: u32,
    p_cost: u32,
    limits: CostLimits,
}

impl PassphraseProvider {
    /// Provider identifier stored in file headers.
    pub const ID: &'static str = "passphrase-argon2id";

    /// A provider with the argon2 crate's recommended Argon2id parameters
    /// (19 MiB, 2 passes, 1 lane; OWASP's minimum).
    pub fn new(passphrase: &str) -> Result<PassphraseProvider> {
        PassphraseProvider::with_params(
            passphrase,
            argon2::Params::DEFAULT_M_COST,
            argon2::Params::DEFAULT_T_COST,
            argon2::Params::DEFAULT_P_COST,
        )
    }

    /// A provider with explicit Argon2id parameters (memory in KiB, passes,
    /// lanes), within the default [`CostLimits`] (else
    /// [`KeyringFileError::CostTooHigh`]: raise the limits with
    /// [`with_limits`](Self::with_limits), then set the costs with
    /// [`with_costs`](Self::with_costs)).
    pub fn with_params(
        passphrase: &str,
        m_cost_kib: u32,
        t_cost: u32,
        p_cost: u32,
    ) -> Result<PassphraseProvider> {
        if passphrase.is_empty() {
            return Err(Error::Key(KeyError::EmptyPassphrase));
        }
        let limits = CostLimits::DEFAULT;
        check_params(m_cost_kib, t_cost, p_cost, &limits)?;
        Ok(PassphraseProvider {
            passphrase: Zeroizing::new(passphrase.to_owned()),
            m_cost_kib,
            t_cost,
            p_cost,
            limits,
        })
    }

    /// The same provider writing files with the Argon2id costs `params`,
    /// which must be within its limits.
    ///
    /// ```
    /// use desensitize::keys::PassphraseProvider;
    /// use desensitize::{Keyring, PasswordParams};
    ///
    /// // Rewrite a file with the parameters it was written with.
    /// let written = PassphraseProvider::with_params("pw", 64, 3, 1)?;
    /// let file = Keyring::generate()?.to_protected_bytes(&written)?;
    /// let stored = PassphraseProvider::stored_params(&file)?;
    /// assert_eq!(stored, PasswordParams::new(64, 3, 1)?);
    /// let provider = PassphraseProvider::new("pw")?.with_costs(stored)?;
    /// let keyring = Keyring::from_protected_bytes(&file, &provider)?;
    /// let again = keyring.to_protected_bytes(&provider)?;
    /// assert_eq!(PassphraseProvider::stored_params(&again)?, stored);
    /// # Ok::<(), desensitize::Error>(())
    /// ```
    pub fn with_costs(mut self, params: PasswordParams) -> Result<PassphraseProvider> {
        let (m, t, p) = (params.m_cost_kib(), params.t_cost(), params.p_cost());
        check_params(m, t, p, &self.limits)?;
        (self.m_cost_kib, self.t_cost, self.p_cost) = (m, t, p);
        Ok(self)
    }

    /// The same provider with other limits on the costs it accepts from a
    /// file (see [`CostLimits`]). Refused with
    /// [`KeyringFileError::CostTooHigh`] if the provider's own parameters
    /// exceed them: it must be able to read the files it writes.
    pub fn with_limits(mut self, limits: CostLimits) -> Result<PassphraseProvider> {
        check_params(self.m_cost_kib, self.t_cost, self.p_cost, &limits)?;
        self.limits = limits;
        Ok(self)
    }

    /// The Argon2id costs this provider writes files with.
    pub fn params(&self) -> PasswordParams {
        PasswordParams::from_parts(self.m_cost_kib, self.t_cost, self.p_cost)
    }

    /// The limits this provider reads files within.
    pub fn limits(&self) -> CostLimits {
        self.limits
    }

    /// The Argon2id costs a passphrase keyring file was written with, read
    /// from its header without the passphrase and without any Argon2id work
    /// (SPEC.md §6.1, §6.4). Errors: [`KeyringFileError::NotAKeyringFile`],
    /// `UnsupportedVersion`, `Truncated`, `ProviderMismatch` (another
    /// provider's file), `Parameters` (outside SPEC's bounds). The checksum
    /// is not checked here: reading the file does that.
    pub fn stored_params(file: &[u8]) -> Result<PasswordParams> {
        let wrapped = file_header(file)?;
        if wrapped.provider != PassphraseProvider::ID.as_bytes() {
            return Err(file_err(KeyringFileError::ProviderMismatch));
        }
        let mut r = Reader(split_suite(wrapped.wrapped_key).1);
        let (m, t, p) = (r.u32()?, r.u32()?, r.u32()?);
        check_params(
            m,
            t,
            p,
            &CostLimits {
                max_m_cost_kib: u32::MAX,
                max_t_cost: u32::MAX,
                max_p_cost: u32::MAX,
                max_work: u64::MAX,
            },
        )?;
        Ok(PasswordParams::from_parts(m, t, p))
    }

    fn kek(&self, m: u32, t: u32, p: u32, salt: &[u8]) -> Result<Zeroizing<[u8; KEY_LEN]>> {
        let params = argon2::Params::new(m, t, p, Some(KEY_LEN))
            .map_err(|_| file_err(KeyringFileError::Parameters))?;
        let argon = argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params);
        let mut kek = Zeroizing::new([0u8; KEY_LEN]);
        argon
            .hash_password_into(self.passphrase.as_bytes(), salt, kek.as_mut())
            .map_err(|_| file_err(KeyringFileError::Parameters))?;
        Ok(kek)
    }
}

/// SPEC.md §6.4's bounds (`Parameters`), then the reader's limits (`CostTooHigh`).
fn check_params(m: u32, t: u32, p: u32, limits: &CostLimits) -> Result<()> {
    if !(1..=MAX_T_COST).contains(&t) || !(1..=MAX_P_COST).contains(&p) || m > MAX_M_COST_KIB || m < 8 * p {
        return Err(file_err(KeyringFileError::Parameters));
    }
    if !limits.allows(m, t, p) {
        return Err(file_err(KeyringFileError::CostTooHigh));
    }
    Ok(())
}

impl KeyProvider for PassphraseProvider {
    fn id(&self) -> &str {
        PassphraseProvider::ID
    }

    /// `m u32 | t u32 | p u32 | salt[16] | check[16] | nonce[12] | ct[32] | tag[16]`.
    fn wrap(&self, key: &DataKey) -> Result<WrappedKey> {
        self.wrap_in(key, Suite::Aes)
    }

    /// [`KeyProvider::wrap`] under `suite`'s HKDF and GCM; a `gm` blob
    /// starts with the suite's code (105 bytes), an `aes` one is unchanged.
    fn wrap_in(&self, key: &DataKey, suite: Suite) -> Result<WrappedKey> {
        let salt: [u8; SALT_LEN] = random::bytes()?;
        let kek = self.kek(self.m_cost_kib, self.t_cost, self.p_cost, &salt)?;
        let check = derive_in(suite, &kek, &[labels::KEYRING_CHECK]);
        let wrap_key = derive_in(suite, &kek, &[labels::KEYRING_WRAP]);
        let mut out = Vec::with_capacity(105);
        if suite == Suite::Gm {
            out.push(GM_PREFIX);
        }
        for v in [self.m_cost_kib, self.t_cost, self.p_cost] {
            out.extend_from_slice(&v.to_be_bytes());
        }
        out.extend_from_slice(&salt);
        out.extend_from_slice(&check[..CHECK_LEN]);
        let nonce = fresh_nonce()?;
        let ct = encrypt_in(suite, &wrap_key, &nonce, &out, key.expose_bytes())?;
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ct);
        Ok(WrappedKey::from_bytes(out))
    }

    fn unwrap(&self, wrapped: &WrappedKey) -> Result<DataKey> {
        let (suite, blob) = split_suite(wrapped.as_bytes());
        let mut r = Reader(blob);
        let (m, t, p) = (r.u32()?, r.u32()?, r.u32()?);
        // Before any Argon2id work: the file chose these costs.
        check_params(m, t, p, &self.limits)?;
        let salt = r.take(SALT_LEN)?;
        let check = r.take(CHECK_LEN)?;
        let aad_len = wrapped.as_bytes().len() - r.0.len(); // the suite byte included
        let nonce = r.take(12)?;
        let ct = r.take(KEY_LEN + 16)?;
        if !r.0.is_empty() {
            return Err(file_err(KeyringFileError::Malformed));
        }
        let kek = self.kek(m, t, p, salt)?;
        let expected = derive_in(suite, &kek, &[labels::KEYRING_CHECK]);
        if !bool::from(expected[..CHECK_LEN].ct_eq(check)) {
            return Err(file_err(KeyringFileError::WrongPassphrase));
        }
        let wrap_key = derive_in(suite, &kek, &[labels::KEYRING_WRAP]);
        let plain = decrypt_in(suite, &wrap_key, nonce, &wrapped.as_bytes()[..aad_len], ct)
            .ok_or(file_err(KeyringFileError::Tampered))?;
        let mut key = Zeroizing::new([0u8; KEY_LEN]);
        key.copy_from_slice(&plain);
        Ok(DataKey::from_bytes(key))
    }
}

#[cfg(test)]
mod suite_tests {
    use super::*;
    use crate::keys::Keyring;

    fn provider(pw: &str) -> PassphraseProvider {
        PassphraseProvider::with_params(pw, 64, 1, 1).unwrap()
    }

    /// The wrapped DEK inside a passphrase file: after magic, version, the
    /// suite byte of version 2, the provider id and its 2-byte length.
    fn wrapped_dek(file: &[u8]) -> &[u8] {
        let at = 4 + 1 + usize::from(file[4] == 2) + 1 + PassphraseProvider::ID.len();
        let len = usize::from(u16::from_be_bytes([file[at], file[at + 1]]));
        &file[at + 2..at + 2 + len]
    }

    /// A provider that never heard of suites: it keeps the trait's default
    /// `wrap_in`, as this crate did before the `gm` wrap.
    struct AesOnly(PassphraseProvider);
    impl KeyProvider for AesOnly {
        fn id(&self) -> &str {
            PassphraseProvider::ID
        }
        fn wrap(&self, key: &DataKey) -> Result<WrappedKey> {
            self.0.wrap(key)
        }
        fn unwrap(&self, wrapped: &WrappedKey) -> Result<DataKey> {
            self.0.unwrap(wrapped)
        }
    }

    #[test]
    fn a_gm_keyring_file_wraps_its_data_key_with_sm4() {
        let keyring = Keyring::generate_with(Suite::Gm).unwrap();
        let file = keyring.to_protected_bytes(&provider("pw")).unwrap();
        assert_eq!((file[4], file[5]), (2, Suite::Gm.code()), "file version 2, SM4-GCM payload");
        let blob = wrapped_dek(&file);
        assert_eq!((blob.len(), blob[0]), (105, GM_PREFIX));
        let loaded = Keyring::from_protected_bytes(&file, &provider("pw")).unwrap();
        assert_eq!(loaded.keys(), keyring.keys());
        assert_eq!(PassphraseProvider::stored_params(&file).unwrap(), provider("pw").params());
        assert_eq!(
            Keyring::from_protected_bytes(&file, &provider("other")).err(),
            Some(file_err(KeyringFileError::WrongPassphrase))
        );
        // Without its suite byte the blob reads as an `aes` one with its
        // fields shifted: out of bounds. The wrapped key itself is the tag's.
        let dek = provider("pw");
        let mut aes_read = blob.to_vec();
        aes_read[0] = 0;
        assert_eq!(
            dek.unwrap(&WrappedKey::from_bytes(aes_read)).err(),
            Some(file_err(KeyringFileError::Parameters))
        );
        let mut tampered = blob.to_vec();
        tampered[100] ^= 1;
        assert_eq!(
            dek.unwrap(&WrappedKey::from_bytes(tampered)).err(),
            Some(file_err(KeyringFileError::Tampered))
        );
        // Independently: SM4-GCM under HKDF-SM3 of the Argon2id KEK.
        let kek = dek.kek(64, 1, 1, &blob[13..29]).unwrap();
        assert_eq!(&derive_in(Suite::Gm, &kek, &[labels::KEYRING_CHECK])[..16], &blob[29..45]);
        let kwk = derive_in(Suite::Gm, &kek, &[labels::KEYRING_WRAP]);
        assert!(decrypt_in(Suite::Gm, &kwk, &blob[45..57], &blob[..45], &blob[57..]).is_some());
        assert!(decrypt_in(Suite::Aes, &kwk, &blob[45..57], &blob[..45], &blob[57..]).is_none());
    }

    #[test]
    fn aes_keyrings_and_files_written_before_keep_their_wrap() {
        // An aes keyring: version 1, the 104-byte AES-256-GCM blob.
        let file = Keyring::generate().unwrap().to_protected_bytes(&provider("pw")).unwrap();
        assert_eq!((file[4], wrapped_dek(&file).len(), wrapped_dek(&file)[0]), (1, 104, 0));
        // A gm keyring file whose DEK was wrapped with AES-256-GCM (as
        // written before the gm wrap) still opens.
        let keyring = Keyring::generate_with(Suite::Gm).unwrap();
        let old = keyring.to_protected_bytes(&AesOnly(provider("pw"))).unwrap();
        assert_eq!((old[4], wrapped_dek(&old).len()), (2, 104));
        assert_eq!(Keyring::from_protected_bytes(&old, &provider("pw")).unwrap().keys(), keyring.keys());
        assert_eq!(PassphraseProvider::stored_params(&old).unwrap(), provider("pw").params());
    }

    #[test]
    fn a_rotation_to_gm_moves_the_wrap_and_back_to_aes_moves_it_back() {
        let mut keyring = Keyring::generate().unwrap();
        keyring.rotate_to(Suite::Gm).unwrap();
        let file = keyring.to_protected_bytes(&provider("pw")).unwrap();
        assert_eq!(wrapped_dek(&file)[0], GM_PREFIX);
        keyring.rotate_to(Suite::Aes).unwrap();
        let file = keyring.to_protected_bytes(&provider("pw")).unwrap();
        // Still version 2 (a gm key remains), payload and wrap `aes`.
        assert_eq!((file[4], file[5], wrapped_dek(&file).len()), (2, 1, 104));
        assert_eq!(Keyring::from_protected_bytes(&file, &provider("pw")).unwrap().keys(), keyring.keys());
    }
}
