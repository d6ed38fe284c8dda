//! [`Pkcs11Provider`] (feature `pkcs11`): a [`KeyProvider`] whose wrapping
//! key is an AES-256 key inside a PKCS#11 token (an HSM, a cloud HSM,
//! SoftHSM2), created sensitive and non-extractable, so it never leaves the
//! token. The keyring file's data key is encrypted by the token with
//! `CKM_AES_GCM`; the root keys are under that data key (SPEC.md §6).

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::{Error as CkError, RvError};
use cryptoki::mechanism::Mechanism;
use cryptoki::mechanism::aead::GcmParams;
use cryptoki::object::{Attribute, AttributeType, KeyType, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, UserType};
use cryptoki::types::AuthPin;
use zeroize::Zeroizing;

use crate::crypto::KEY_LEN;
use crate::error::{Error, KeyError, Result};
use crate::keys::{DataKey, KeyProvider, WrappedKey};

/// The provider id written into the keyring file header.
pub const PKCS11_PROVIDER_ID: &str = "pkcs11-aes-gcm";
/// Format byte of a wrapped key: `1 || iv (12) || ciphertext (32) || tag (16)`.
const FORMAT: u8 = 1;
const IV_LEN: usize = 12;
const TAG_LEN: usize = 16;
/// Associated data of the token's AES-GCM: binds the wrapped key to this use.
const AAD: &[u8] = b"desensitize.pkcs11.keyring-data-key.v1";

/// Why a PKCS#11 token could not be used. Value-free: the PIN, the module's
/// messages and key material are never in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Pkcs11Error {
    /// The PKCS#11 module (a shared library) could not be loaded.
    #[error("cannot load the PKCS#11 module")]
    Module,
    /// The module refused to initialize, or to list its slots.
    #[error("the PKCS#11 module failed to initialize")]
    Initialize,
    /// No slot holds a token with this label.
    #[error("no PKCS#11 token with that label")]
    TokenNotFound,
    /// A session on the token could not be opened.
    #[error("cannot open a session on the PKCS#11 token")]
    Session,
    /// The token refused the user PIN (wrong, locked, or not initialized).
    #[error("the PKCS#11 token refused the PIN")]
    Login,
    /// The token has no AES secret key with this label.
    #[error("the PKCS#11 token has no AES key with that label")]
    KeyNotFound,
    /// The token has more than one secret key with this label.
    #[error("the PKCS#11 token has several keys with that label")]
    KeyAmbiguous,
    /// The key with that label could leave the token (`CKA_EXTRACTABLE`, or
    /// not `CKA_SENSITIVE`): refused, since its value could be read out.
    #[error("the PKCS#11 key with that label is extractable or not sensitive")]
    KeyExtractable,
    /// The token could not generate the key.
    #[error("the PKCS#11 token could not generate the key")]
    KeyGeneration,
}

/// Wraps the keyring file's data key with an AES-256 key that never leaves
/// a PKCS#11 token. Open it with the module path, the token's label, the
/// user PIN (read from the environment or a file: never a command line)
/// and the key's label; [`Pkcs11Provider::open_or_create`] creates the key
/// (`CKA_SENSITIVE`, not `CKA_EXTRACTABLE`, `CKA_TOKEN`) when the token has
/// none with that label. A key that could leave the token (extractable, or
/// not sensitive) is refused ([`Pkcs11Error::KeyExtractable`]).
///
/// Tested against SoftHSM2 (`tests/pkcs11_softhsm.rs`, run by
/// `scripts/ci/ci-softhsm.sh`); that test skips when no token is set up.
///
/// ```no_run
/// use desensitize::keys::Pkcs11Provider;
/// use desensitize::Keyring;
///
/// let pin = zeroize::Zeroizing::new(std::env::var("DESENSITIZE_PKCS11_PIN").unwrap());
/// let hsm = Pkcs11Provider::open_or_create(
///     "/usr/lib/softhsm/libsofthsm2.so".as_ref(), "desensitize", &pin, "keyring-wrap",
/// )?;
/// let keyring = Keyring::generate()?;
/// keyring.save("keys.dzk".as_ref(), &hsm)?;
/// let back = Keyring::load("keys.dzk".as_ref(), &hsm)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Pkcs11Provider {
    session: Mutex<Session>,
    key: ObjectHandle,
}

impl core::fmt::Debug for Pkcs11Provider {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Pkcs11Provider").finish_non_exhaustive()
    }
}

impl Pkcs11Provider {
    /// Log in to the token labelled `token` of the module at `module` with
    /// the user `pin`, and use its AES key labelled `key_label`.
    pub fn open(
        module: &Path,
        token: &str,
        pin: &str,
        key_label: &str,
    ) -> std::result::Result<Pkcs11Provider, Pkcs11Error> {
        let session = login(module, token, pin)?;
        let key = find_key(&session, key_label)?.ok_or(Pkcs11Error::KeyNotFound)?;
        Ok(Pkcs11Provider { session: Mutex::new(session), key })
    }

    /// [`Pkcs11Provider::open`], generating the AES-256 key in the token
    /// first when it has none labelled `key_label`.
    pub fn open_or_create(
        module: &Path,
        token: &str,
        pin: &str,
        key_label: &str,
    ) -> std::result::Result<Pkcs11Provider, Pkcs11Error> {
        let session = login(module, token, pin)?;
        let key = match find_key(&session, key_label)? {
            Some(key) => key,
            None => generate_key(&session, key_label)?,
        };
        Ok(Pkcs11Provider { session: Mutex::new(session), key })
    }

    fn session(&self) -> Result<std::sync::MutexGuard<'_, Session>> {
        self.session.lock().map_err(|_| Error::Key(KeyError::ProviderFailed))
    }
}

/// The module at `path`, loaded and initialized once per process (PKCS#11
/// wants one initialization per application; threads then share it).
fn module(path: &Path) -> std::result::Result<Pkcs11, Pkcs11Error> {
    static MODULES: Mutex<Vec<(PathBuf, Pkcs11)>> = Mutex::new(Vec::new());
    let mut modules = MODULES.lock().map_err(|_| Pkcs11Error::Initialize)?;
    if let Some((_, pkcs11)) = modules.iter().find(|(p, _)| p == path) {
        return Ok(pkcs11.clone());
    }
    let pkcs11 = Pkcs11::new(path).map_err(|_| Pkcs11Error::Module)?;
    match pkcs11.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)) {
        Ok(()) | Err(CkError::Pkcs11(RvError::CryptokiAlreadyInitialized, _)) => {}
        Err(_) => return Err(Pkcs11Error::Initialize),
    }
    modules.push((path.to_owned(), pkcs11.clone()));
    Ok(pkcs11)
}

/// Load the module, find the token, open a read-write session, log in.
/// A token this process is already logged in to (through another
/// provider's session) is used as it is.
fn login(module_path: &Path, token: &str, pin: &str) -> std::result::Result<Session, Pkcs11Error> {
    let pkcs11 = module(module_path)?;
    let slots = pkcs11.get_slots_with_token().map_err(|_| Pkcs11Error::Initialize)?;
    let slot = slots
        .into_iter()
        .find(|s| pkcs11.get_token_info(*s).is_ok_and(|info| info.label().trim_end() == token))
        .ok_or(Pkcs11Error::TokenNotFound)?;
    let session = pkcs11.open_rw_session(slot).map_err(|_| Pkcs11Error::Session)?;
    let pin = AuthPin::new(pin.into());
    match session.login(UserType::User, Some(&pin)) {
        Ok(()) | Err(CkError::Pkcs11(RvError::UserAlreadyLoggedIn, _)) => Ok(session),
        Err(_) => Err(Pkcs11Error::Login),
    }
}

/// The one AES secret key labelled `label`, if any; refused when it is
/// extractable or not sensitive.
fn find_key(session: &Session, label: &str) -> std::result::Result<Option<ObjectHandle>, Pkcs11Error> {
    let template = [
        Attribute::Class(ObjectClass::SECRET_KEY),
        Attribute::KeyType(KeyType::AES),
        Attribute::Label(label.as_bytes().to_vec()),
    ];
    let found = session.find_objects(&template).map_err(|_| Pkcs11Error::Session)?;
    let key = match found.as_slice() {
        [] => return Ok(None),
        [key] => *key,
        _ => return Err(Pkcs11Error::KeyAmbiguous),
    };
    let attributes = session
        .get_attributes(key, &[AttributeType::Sensitive, AttributeType::Extractable])
        .map_err(|_| Pkcs11Error::Session)?;
    let sensitive = attributes.contains(&Attribute::Sensitive(true));
    let extractable = !attributes.contains(&Attribute::Extractable(false));
    if !sensitive || extractable {
        return Err(Pkcs11Error::KeyExtractable);
    }
    Ok(Some(key))
}

/// A new AES-256 token key: sensitive, never extractable, for encrypt and decrypt only.
fn generate_key(session: &Session, label: &str) -> std::result::Result<ObjectHandle, Pkcs11Error> {
    let template = [
        Attribute::Token(true),
        Attribute::Private(true),
        Attribute::Sensitive(true),
        Attribute::Extractable(false),
        Attribute::Encrypt(true),
        Attribute::Decrypt(true),
        Attribute::Wrap(false),
        Attribute::Unwrap(false),
        Attribute::ValueLen((KEY_LEN as u64).into()),
        Attribute::Label(label.as_bytes().to_vec()),
    ];
    session.generate_key(&Mechanism::AesKeyGen, &template).map_err(|_| Pkcs11Error::KeyGeneration)
}

impl KeyProvider for Pkcs11Provider {
    fn id(&self) -> &str {
        PKCS11_PROVIDER_ID
    }

    fn wrap(&self, key: &DataKey) -> Result<WrappedKey> {
        let iv: [u8; IV_LEN] = crate::crypto::random::bytes()?;
        let mut iv_param = iv;
        let params = GcmParams::new(&mut iv_param, AAD, ((TAG_LEN * 8) as u64).into())
            .map_err(|_| Error::Key(KeyError::ProviderFailed))?;
        let sealed = self
            .session()?
            .encrypt(&Mechanism::AesGcm(params), self.key, key.expose_bytes())
            .map_err(|_| Error::Key(KeyError::ProviderFailed))?;
        if sealed.len() != KEY_LEN + TAG_LEN {
            return Err(Error::Key(KeyError::ProviderFailed));
        }
        let mut out = Vec::with_capacity(1 + IV_LEN + sealed.len());
        out.push(FORMAT);
        out.extend_from_slice(&iv);
        out.extend_from_slice(&sealed);
        Ok(WrappedKey::from_bytes(out))
    }

    fn unwrap(&self, wrapped: &WrappedKey) -> Result<DataKey> {
        let bytes = wrapped.as_bytes();
        if bytes.len() != 1 + IV_LEN + KEY_LEN + TAG_LEN || bytes[0] != FORMAT {
            return Err(Error::Key(KeyError::BadWrappedKey));
        }
        let mut iv = [0u8; IV_LEN];
        iv.copy_from_slice(&bytes[1..=IV_LEN]);
        let params = GcmParams::new(&mut iv, AAD, ((TAG_LEN * 8) as u64).into())
            .map_err(|_| Error::Key(KeyError::ProviderFailed))?;
        let plain = Zeroizing::new(
            self.session()?
                .decrypt(&Mechanism::AesGcm(params), self.key, &bytes[1 + IV_LEN..])
                .map_err(|_| Error::Key(KeyError::BadWrappedKey))?,
        );
        let mut key = Zeroizing::new([0u8; KEY_LEN]);
        if plain.len() != KEY_LEN {
            return Err(Error::Key(KeyError::ProviderKeyLength));
        }
        key.copy_from_slice(&plain);
        Ok(DataKey::from_bytes(key))
    }
}
