//! The per-process keyring cache: it saves the Argon2id work of opening a
//! keyring file again (a Spark executor opens it once, not per task), and
//! never the check of the secret (issue 20, item 5).
//!
//! An entry is served only to a caller who proves what the load proved:
//!
//! - a passphrase-protected file: the passphrase presented *now* (read from
//!   its file or variable on every `Keyring.open`) must have the same
//!   HMAC-SHA256, under a random key drawn once per process, as the
//!   passphrase that opened this version of the file. The HMAC key never
//!   leaves the process, so the digest tells nothing about the passphrase,
//!   and two passphrases share one with negligible probability (HMAC is a
//!   PRF): a hit proves the caller holds the passphrase Argon2id accepted;
//! - a file whose keys a key provider unwraps: the very provider object that
//!   unwrapped them (held by the entry, compared by identity): another
//!   object, even with the same `id`, is asked to unwrap again;
//! - keys from the environment are never cached: reading them is the load.
//!
//! One entry per source: a new proof replaces the old entry, so the cache
//! stays as small as the set of keyrings the process uses.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::SystemTime;

use desensitize::Keyring;
use hmac::{Hmac, KeyInit, Mac};
use pyo3::prelude::*;
use rand::TryRng;
use sha2::Sha256;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::error::DesensitizeError;

/// Where a keyring came from: what it pickles as, and its cache key.
#[derive(Clone, PartialEq, Eq, Hash)]
pub(crate) enum Source {
    File {
        path: PathBuf,
        passphrase_file: Option<PathBuf>,
        passphrase_env: Option<String>,
        audit_log: Option<PathBuf>,
    },
    Env {
        key_var: String,
        id_var: String,
        audit_log: Option<PathBuf>,
    },
    /// A file protected by a Python key provider (a KMS).
    Provider {
        path: PathBuf,
        provider_id: String,
        audit_log: Option<PathBuf>,
    },
}

/// What a caller shows for a cached keyring: the same as the load checked.
pub(crate) enum Proof {
    /// HMAC-SHA256 of the passphrase under the process's cache key.
    Passphrase([u8; 32]),
    /// The provider object that unwrapped the keys.
    Provider(Py<PyAny>),
}

impl Proof {
    /// The proof of holding `passphrase`.
    pub(crate) fn passphrase(passphrase: &str) -> PyResult<Proof> {
        let mut mac = Hmac::<Sha256>::new_from_slice(process_key()?.as_ref())
            .map_err(|_| DesensitizeError::new_err("the keyring cache key was refused"))?;
        mac.update(passphrase.as_bytes());
        let mut digest = [0u8; 32];
        digest.copy_from_slice(&mac.finalize().into_bytes());
        Ok(Proof::Passphrase(digest))
    }

    /// Whether `self` (shown now) matches `stored` (shown at the load).
    fn matches(&self, stored: &Proof) -> bool {
        match (self, stored) {
            (Proof::Passphrase(now), Proof::Passphrase(then)) => bool::from(now.ct_eq(then)),
            (Proof::Provider(now), Proof::Provider(then)) => now.as_ptr() == then.as_ptr(),
            _ => false,
        }
    }
}

/// The random HMAC key of this process's passphrase digests.
fn process_key() -> PyResult<&'static Zeroizing<[u8; 32]>> {
    static KEY: OnceLock<Zeroizing<[u8; 32]>> = OnceLock::new();
    if let Some(key) = KEY.get() {
        return Ok(key);
    }
    let mut key = Zeroizing::new([0u8; 32]);
    rand::rngs::SysRng
        .try_fill_bytes(key.as_mut())
        .map_err(|_| DesensitizeError::new_err("no randomness for the keyring cache"))?;
    Ok(KEY.get_or_init(|| key))
}

/// What identifies one version of a keyring file: a rotation, `keys pin` or
/// `keys destroy` rewrites it (temp file + rename), which changes these.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct FileStamp {
    len: u64,
    modified: Option<SystemTime>,
    #[cfg(unix)]
    inode: u64,
}

impl FileStamp {
    /// The stamp of the file a source reads, or `None` (environment keys,
    /// or a file that cannot be read: the load reports why).
    pub(crate) fn of(source: &Source) -> Option<FileStamp> {
        let path = match source {
            Source::File { path, .. } | Source::Provider { path, .. } => path,
            Source::Env { .. } => return None,
        };
        let meta = std::fs::metadata(path).ok()?;
        Some(FileStamp {
            len: meta.len(),
            modified: meta.modified().ok(),
            #[cfg(unix)]
            inode: std::os::unix::fs::MetadataExt::ino(&meta),
        })
    }
}

/// One loaded keyring: the version of its file, the proof its load
/// checked, the keys.
struct Entry {
    stamp: Option<FileStamp>,
    proof: Proof,
    keyring: Arc<Keyring>,
}

/// Keyrings loaded by this process, one per source.
static CACHE: Mutex<Option<HashMap<Source, Entry>>> = Mutex::new(None);

/// The cached keyring of `source`, when its file is still the version it
/// was read from and `proof` matches the proof its load checked.
pub(crate) fn lookup(source: &Source, stamp: Option<FileStamp>, proof: &Proof) -> Option<Arc<Keyring>> {
    let cache = CACHE.lock().unwrap_or_else(|p| p.into_inner());
    let entry = cache.as_ref()?.get(source)?;
    (entry.stamp == stamp && proof.matches(&entry.proof)).then(|| Arc::clone(&entry.keyring))
}

/// Keep `keyring`, just loaded from `source` (at `stamp`) with `proof`.
pub(crate) fn insert(source: Source, stamp: Option<FileStamp>, proof: Proof, keyring: Arc<Keyring>) {
    CACHE
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get_or_insert_with(HashMap::new)
        .insert(source, Entry { stamp, proof, keyring });
}
