//! The protected keyring file (SPEC.md §6): writing, reading, saving and
//! loading (the passphrase provider is in `passphrase_provider.rs`).

use std::io::Write;
use std::path::Path;

use aes_gcm::aead::consts::U12;
use aes_gcm::aead::{AeadInOut, KeyInit};
use aes_gcm::{AesGcm, Nonce, Tag};
use sha2::{Digest, Sha256};
use sm4::Sm4;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::crypto::aead::fresh_nonce;
use crate::crypto::material::KEY_LEN;
use crate::crypto::random;
use crate::error::{Error, KeyError, KeyringFileError, PinsError, Result};
use crate::keys::provider::{DataKey, KeyProvider, WrappedKey};
use crate::keys::{KeyState, Keyring, RootKey, Suite};
use crate::pseudo::{Domain, Namespace};

const MAGIC: &[u8; 4] = b"DZKR";
/// Version 1: every key `aes`, payload under AES-256-GCM (SPEC.md §6).
const FILE_VERSION: u8 = 1;
/// Version 2: a suite byte in the header (the payload cipher) and one per
/// key; written when any key is `gm` (SPEC.md §6.5), so files of `aes`
/// keyrings stay version 1, byte for byte.
const FILE_VERSION_2: u8 = 2;
const CHECKSUM_LEN: usize = 32;
const MAX_FILE: usize = 16 << 20;

pub(super) fn file_err(e: KeyringFileError) -> Error {
    Error::KeyringFile(e)
}

/// The GCM of `suite` under a 256-bit key: AES-256-GCM, or SM4-GCM under
/// its first 16 bytes.
enum FileGcm {
    Aes(Box<AesGcm<aes_gcm::aes::Aes256, U12>>),
    Sm4(Box<AesGcm<Sm4, U12>>),
}

fn gcm(suite: Suite, key: &[u8; KEY_LEN]) -> FileGcm {
    match suite {
        Suite::Aes => FileGcm::Aes(Box::new(AesGcm::new(key.into()))),
        Suite::Gm => {
            let mut sm4 = Zeroizing::new([0u8; 16]);
            sm4.copy_from_slice(&key[..16]);
            FileGcm::Sm4(Box::new(AesGcm::new((&*sm4).into())))
        }
    }
}

/// Encrypt `plain` with the GCM of `suite` (SM4: under the first 16 bytes
/// of `key`), a detached tag appended: `ct || tag`.
pub(super) fn encrypt_in(
    suite: Suite,
    key: &[u8; KEY_LEN],
    nonce: &[u8; 12],
    aad: &[u8],
    plain: &[u8],
) -> Result<Vec<u8>> {
    let mut buf = plain.to_vec();
    let nonce = Nonce::from(*nonce);
    let tag = match gcm(suite, key) {
        FileGcm::Aes(g) => g.encrypt_inout_detached(&nonce, aad, buf.as_mut_slice().into()),
        FileGcm::Sm4(g) => g.encrypt_inout_detached(&nonce, aad, buf.as_mut_slice().into()),
    }
    .map_err(|_| Error::Key(KeyError::KeyringTooLarge))?;
    buf.extend_from_slice(&tag);
    Ok(buf)
}

/// Decrypt `ct || tag` with the GCM of `suite` (see [`encrypt_in`]);
/// `None` if it does not authenticate.
pub(super) fn decrypt_in(
    suite: Suite,
    key: &[u8; KEY_LEN],
    nonce: &[u8],
    aad: &[u8],
    ct_tag: &[u8],
) -> Option<Zeroizing<Vec<u8>>> {
    let (ct, tag) = ct_tag.split_at(ct_tag.len().checked_sub(16)?);
    let mut buf = Zeroizing::new(ct.to_vec());
    let nonce = Nonce::try_from(nonce).ok()?;
    let tag = Tag::try_from(tag).ok()?;
    match gcm(suite, key) {
        FileGcm::Aes(g) => g.decrypt_inout_detached(&nonce, aad, buf.as_mut_slice().into(), &tag),
        FileGcm::Sm4(g) => g.decrypt_inout_detached(&nonce, aad, buf.as_mut_slice().into(), &tag),
    }
    .ok()?;
    Some(buf)
}

/// A cursor that turns every short read into `Truncated`.
pub(super) struct Reader<'a>(pub(super) &'a [u8]);

impl<'a> Reader<'a> {
    pub(super) fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        if self.0.len() < n {
            return Err(file_err(KeyringFileError::Truncated));
        }
        let (a, b) = self.0.split_at(n);
        self.0 = b;
        Ok(a)
    }
    pub(super) fn u8(&mut self) -> Result<u8> {
        Ok(self.take(1)?[0])
    }
    pub(super) fn u16(&mut self) -> Result<u16> {
        let b = self.take(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }
    pub(super) fn u32(&mut self) -> Result<u32> {
        let b = self.take(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
    pub(super) fn u64(&mut self) -> Result<u64> {
        let b = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_be_bytes(a))
    }
}

impl Keyring {
    /// Serialize and encrypt the keyring under a fresh data key wrapped by
    /// `provider` (SPEC.md §6). Destroyed keys keep their id, not material.
    ///
    /// Each key's count is every seal known of it: the file it was loaded
    /// from, its seal ledger and this process (see [`Keyring::save`]).
    pub fn to_protected_bytes(&self, provider: &dyn KeyProvider) -> Result<Vec<u8>> {
        self.protected_bytes(provider, false)
    }

    /// `own`: written over the file its ledger belongs to (see `ledger.rs`).
    fn protected_bytes(&self, provider: &dyn KeyProvider, own: bool) -> Result<Vec<u8>> {
        // Version 2 only when some key is `gm`; its payload cipher is the
        // active key's suite.
        let v2 = self.keys.iter().any(|k| k.suite == Suite::Gm);
        let file_suite = if v2 { self.active().map(|k| k.suite).unwrap_or(Suite::Gm) } else { Suite::Aes };
        let mut payload = Zeroizing::new(Vec::with_capacity(4 + self.keys.len() * 50));
        payload.extend_from_slice(&u32::try_from(self.keys.len()).unwrap_or(u32::MAX).to_be_bytes());
        for k in &self.keys {
            payload.extend_from_slice(&k.id.to_be_bytes());
            payload.push(k.state.code());
            if v2 {
                payload.push(k.suite.code());
            }
            payload.extend_from_slice(&self.saved_count(k, own).to_be_bytes());
            if let Some(root) = &k.root {
                payload.extend_from_slice(root.as_bytes());
            }
        }
        // Optional trailing section (SPEC.md §6.3): analytics domain pins.
        if !self.pins.is_empty() {
            payload.extend_from_slice(&u32::try_from(self.pins.len()).unwrap_or(u32::MAX).to_be_bytes());
            for (name, id) in &self.pins {
                payload.extend_from_slice(&u16::try_from(name.len()).unwrap_or(u16::MAX).to_be_bytes());
                payload.extend_from_slice(name.as_bytes());
                payload.extend_from_slice(&id.to_be_bytes());
            }
        }
        let dek = DataKey::generate()?;
        let wrapped = provider.wrap_in(&dek, file_suite)?;
        let pid = provider.id().as_bytes();
        let pid_len = u8::try_from(pid.len()).map_err(|_| Error::Key(KeyError::ProviderIdTooLong))?;
        let wk_len =
            u16::try_from(wrapped.as_bytes().len()).map_err(|_| Error::Key(KeyError::WrappedKeyTooLong))?;

        let mut out = Vec::with_capacity(64 + pid.len() + wrapped.as_bytes().len() + payload.len());
        out.extend_from_slice(MAGIC);
        if v2 {
            out.extend_from_slice(&[FILE_VERSION_2, file_suite.code()]);
        } else {
            out.push(FILE_VERSION);
        }
        out.push(pid_len);
        out.extend_from_slice(pid);
        out.extend_from_slice(&wk_len.to_be_bytes());
        out.extend_from_slice(wrapped.as_bytes());
        let nonce = fresh_nonce()?;
        let ct = encrypt_in(file_suite, dek.expose_bytes(), &nonce, &out, &payload)?;
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ct);
        let sum = Sha256::digest(&out);
        out.extend_from_slice(&sum);
        Ok(out)
    }

    /// Decrypt a keyring produced by [`Keyring::to_protected_bytes`].
    ///
    /// Each failure is distinct: not a keyring file, unsupported version,
    /// truncated, corrupted (checksum), another provider, wrong passphrase,
    /// tampered (authenticated decryption failed).
    pub fn from_protected_bytes(bytes: &[u8], provider: &dyn KeyProvider) -> Result<Keyring> {
        if bytes.len() > MAX_FILE {
            return Err(file_err(KeyringFileError::Malformed));
        }
        let header = file_header(bytes)?;
        let header_len = header.len;
        let mut r = Reader(&bytes[header_len..]);
        let nonce = r.take(12)?;
        if r.0.len() < 16 + CHECKSUM_LEN {
            return Err(file_err(KeyringFileError::Truncated));
        }
        let (ct, sum) = r.0.split_at(r.0.len() - CHECKSUM_LEN);
        if !bool::from(Sha256::digest(&bytes[..bytes.len() - CHECKSUM_LEN]).as_slice().ct_eq(sum)) {
            return Err(file_err(KeyringFileError::Corrupted));
        }
        if header.provider != provider.id().as_bytes() {
            return Err(file_err(KeyringFileError::ProviderMismatch));
        }
        let dek = provider.unwrap(&WrappedKey::from_bytes(header.wrapped_key.to_vec()))?;
        let payload = decrypt_in(header.suite, dek.expose_bytes(), nonce, &bytes[..header_len], ct)
            .ok_or(file_err(KeyringFileError::Tampered))?;
        parse_payload(&payload, header.version == FILE_VERSION_2)
    }

    /// Write the protected keyring to `path` atomically: a temporary file in
    /// the same directory, flushed to disk, then renamed over `path`. A crash
    /// leaves the old file or the new one, never half of one. On Unix the
    /// file is created with mode 0600.
    ///
    /// A `path` that is a symbolic link is refused
    /// ([`KeyringFileError::SymbolicLink`]) before anything is written: the
    /// rename would replace the link with a new file and leave the file it
    /// points to as it was, so that a destroyed key would live on there.
    /// Links in the directories above are followed as usual.
    ///
    /// Saved over the file it was loaded from ([`Keyring::load`]), its seals
    /// are recorded in the seal ledger first and the file keeps the counts it
    /// had; saved elsewhere, the file gets every seal known
    /// ([`Keyring::to_protected_bytes`]).
    ///
    /// The production path for a keyring: create it once, save it under a
    /// passphrase (or a [`KeyProvider`] calling a KMS), and [`load`](Self::load)
    /// it at start-up. A rotation is `load`, [`rotate`](Self::rotate), `save`.
    ///
    /// ```
    /// use desensitize::keys::PassphraseProvider;
    /// use desensitize::{Context, Keyring, MobilePhone};
    ///
    /// let dir = std::env::temp_dir().join(format!("dz-save-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir).unwrap();
    /// let path = dir.join("keys.dzk");
    ///
    /// // Real files: `PassphraseProvider::new` (Argon2id, 19 MiB, 2 passes), the
    /// // passphrase from a secret store. Small costs keep the example fast.
    /// let provider = PassphraseProvider::with_params("correct horse battery staple", 1024, 1, 1)?;
    /// let mut keyring = Keyring::generate()?;
    /// keyring.save(&path, &provider)?;
    ///
    /// let ctx = Context::new("users", "mobile").with_row("42");
    /// let phone: MobilePhone = "13800138000".parse()?;
    /// let stored = keyring.seal_text(&phone, &ctx)?;
    ///
    /// // Rotate: new seals use key 2; key 1 still opens what it sealed.
    /// let new_key = keyring.rotate()?;
    /// keyring.save(&path, &provider)?;
    /// let loaded = Keyring::load(&path, &provider)?;
    /// assert_eq!(loaded.keys(), keyring.keys());
    /// assert_eq!(loaded.active_key_id(), Some(new_key));
    /// let back: MobilePhone = loaded.open_text(&stored, &ctx, "support")?;
    /// assert_eq!(back, phone);
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), desensitize::Error>(())
    /// ```
    pub fn save(&self, path: &Path, provider: &dyn KeyProvider) -> Result<()> {
        // Over the file its ledger belongs to, this process's seals go to
        // the ledger and the file keeps its own count: nothing counts twice.
        refuse_symlink(path)?;
        let own = self.prepare_save(path)?;
        write_atomically(path, &self.protected_bytes(provider, own)?)
    }

    /// Read and decrypt a keyring file written by [`Keyring::save`], and
    /// attach its seal ledger `<path>.seals` ([`Keyring::attach_ledger`]):
    /// every value sealed through the keyring is then counted there.
    ///
    /// Fails closed, with a cause that names no key material: not a keyring
    /// file, truncated, corrupted, another provider, wrong passphrase,
    /// tampered (see [`KeyringFileError`]).
    ///
    /// ```
    /// use desensitize::keys::PassphraseProvider;
    /// use desensitize::{Error, Keyring, KeyringFileError};
    ///
    /// let dir = std::env::temp_dir().join(format!("dz-load-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir).unwrap();
    /// let path = dir.join("keys.dzk");
    /// let provider = PassphraseProvider::with_params("correct horse battery staple", 1024, 1, 1)?;
    /// Keyring::generate()?.save(&path, &provider)?;
    ///
    /// let keyring = Keyring::load(&path, &provider)?;
    /// assert_eq!(keyring.keys().len(), 1);
    ///
    /// let wrong = PassphraseProvider::with_params("Tr0ub4dor&3", 1024, 1, 1)?;
    /// let err = Keyring::load(&path, &wrong).unwrap_err();
    /// assert_eq!(err, Error::KeyringFile(KeyringFileError::WrongPassphrase));
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), desensitize::Error>(())
    /// ```
    pub fn load(path: &Path, provider: &dyn KeyProvider) -> Result<Keyring> {
        let mut keyring = Keyring::from_protected_bytes(&read_keyring_file(path)?, provider)?;
        keyring.attach_ledger(path)?;
        Ok(keyring)
    }
}

/// The bytes of the keyring file at `path`, for
/// [`Keyring::from_protected_bytes`] or [`PassphraseProvider::stored_params`](crate::keys::PassphraseProvider::stored_params).
///
/// Refuses what cannot be a keyring file before reading it whole: anything
/// but a regular file (a FIFO would block, `/dev/zero` never ends) is
/// [`KeyringFileError::NotAKeyringFile`], a file over the format's 16 MiB
/// limit (SPEC.md §6.3) is [`KeyringFileError::Malformed`].
///
/// ```
/// use desensitize::keys::read_keyring_file;
/// use desensitize::{Error, KeyringFileError};
///
/// let err = read_keyring_file(std::path::Path::new("/dev/zero")).unwrap_err();
/// assert_eq!(err, Error::KeyringFile(KeyringFileError::NotAKeyringFile));
/// ```
pub fn read_keyring_file(path: &Path) -> Result<Vec<u8>> {
    use std::io::Read;
    let io = |e: std::io::Error| Error::Io(e.kind());
    let file = std::fs::File::open(path).map_err(io)?;
    if !file.metadata().map_err(io)?.is_file() {
        return Err(file_err(KeyringFileError::NotAKeyringFile));
    }
    let mut bytes = Vec::new();
    file.take(MAX_FILE as u64 + 1).read_to_end(&mut bytes).map_err(io)?;
    if bytes.len() > MAX_FILE {
        return Err(file_err(KeyringFileError::Malformed));
    }
    Ok(bytes)
}

/// The clear header of a keyring file (SPEC.md §6.1): magic through wrapped DEK.
pub(super) struct FileHeader<'a> {
    /// [`FILE_VERSION`] or [`FILE_VERSION_2`].
    version: u8,
    /// The payload cipher (always `aes` in version 1).
    suite: Suite,
    pub(super) provider: &'a [u8],
    pub(super) wrapped_key: &'a [u8],
    /// Its length: the associated data of the payload.
    len: usize,
}

pub(super) fn file_header(bytes: &[u8]) -> Result<FileHeader<'_>> {
    let mut r = Reader(bytes);
    if r.take(4).map_err(|_| file_err(KeyringFileError::NotAKeyringFile))? != MAGIC {
        return Err(file_err(KeyringFileError::NotAKeyringFile));
    }
    let version = r.u8()?;
    let suite = match version {
        FILE_VERSION => Suite::Aes,
        FILE_VERSION_2 => Suite::from_code(r.u8()?).ok_or(file_err(KeyringFileError::Malformed))?,
        _ => return Err(file_err(KeyringFileError::UnsupportedVersion(version))),
    };
    let pid_len = r.u8()?;
    let provider = r.take(usize::from(pid_len))?;
    let wk_len = r.u16()?;
    let wrapped_key = r.take(usize::from(wk_len))?;
    Ok(FileHeader { version, suite, provider, wrapped_key, len: bytes.len() - r.0.len() })
}

fn pins_err(why: PinsError) -> Error {
    file_err(KeyringFileError::InvalidPins(why))
}

/// A pin name is `namespace:domain` with a known namespace and a valid domain.
fn check_pin_name(name: &str) -> Result<()> {
    let (ns, domain) = name.split_once(':').ok_or(pins_err(PinsError::UnknownNamespace))?;
    if ![Namespace::Pseudonym, Namespace::BlindIndex, Namespace::Fpe].iter().any(|n| n.as_str() == ns) {
        return Err(pins_err(PinsError::UnknownNamespace));
    }
    Domain::new(domain).map_err(|_| pins_err(PinsError::DomainName))?;
    Ok(())
}

/// The payload of SPEC.md §6.2, read front to back with the checks in the
/// order of §6.3 rows 10–12: each key's fields are read (`Truncated` when
/// short) and checked (`Malformed`) before the next key; the pins section is
/// read whole and the payload must end there (`Malformed`) before the pin
/// rules are applied in file order (`InvalidPins`).
/// `v2`: each key carries its suite byte after its state (SPEC.md §6.5).
fn parse_payload(payload: &[u8], v2: bool) -> Result<Keyring> {
    let malformed = || file_err(KeyringFileError::Malformed);
    let mut r = Reader(payload);
    let count = r.u32()?;
    let mut keyring = Keyring::new();
    let mut seen = Vec::new();
    let mut active = None;
    for _ in 0..count {
        let (id, state) = (r.u32()?, r.u8()?);
        let suite = if v2 { Suite::from_code(r.u8()?).ok_or_else(malformed)? } else { Suite::Aes };
        let seals = r.u64()?;
        let state = KeyState::from_code(state).ok_or_else(malformed)?;
        if id == 0 || seen.contains(&id) || (state == KeyState::Active && active.is_some()) {
            return Err(malformed());
        }
        seen.push(id);
        let root = if state == KeyState::Destroyed {
            None
        } else {
            let mut b = Zeroizing::new([0u8; KEY_LEN]);
            b.copy_from_slice(r.take(KEY_LEN)?);
            Some(RootKey::from_bytes(*b))
        };
        // Insert the active key last so that `insert` does not demote it.
        if state == KeyState::Active {
            active = Some((id, root, seals, suite));
        } else {
            keyring.insert_in(id, root, state, seals, suite).map_err(|_| malformed())?;
        }
    }
    if let Some((id, root, seals, suite)) = active {
        keyring.insert_in(id, root, KeyState::Active, seals, suite).map_err(|_| malformed())?;
    }
    // Optional pins section: present only when non-empty. Structure first.
    let mut pins: Vec<(&str, u32)> = Vec::new();
    let section = !r.0.is_empty();
    if section {
        for _ in 0..r.u32()? {
            let len = r.u16()?;
            let name = std::str::from_utf8(r.take(usize::from(len))?).map_err(|_| malformed())?;
            pins.push((name, r.u32()?));
        }
    }
    if !r.0.is_empty() {
        return Err(malformed());
    }
    // Then the rules of §6.2, in order.
    if section && pins.is_empty() {
        return Err(pins_err(PinsError::Empty));
    }
    for &(name, id) in &pins {
        check_pin_name(name)?;
        if keyring.pins.insert(name.to_owned(), id).is_some() {
            return Err(pins_err(PinsError::Duplicate));
        }
    }
    for &(_, id) in &pins {
        match keyring.keys.iter().find(|k| k.id == id) {
            None => return Err(pins_err(PinsError::MissingKey)),
            Some(k) if k.state == KeyState::Destroyed => return Err(pins_err(PinsError::DestroyedKey)),
            Some(_) => {}
        }
    }
    Ok(keyring)
}

/// Refuse a keyring path that is a symbolic link (a dangling one too):
/// renaming over it would replace the link, not the file it names.
fn refuse_symlink(path: &Path) -> Result<()> {
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() => Err(file_err(KeyringFileError::SymbolicLink)),
        _ => Ok(()),
    }
}

/// Write `bytes` to `path` through a temporary file beside it, renamed over
/// it; a symbolic link at `path` is refused (see [`Keyring::save`]).
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    refuse_symlink(path)?;
    let io = |e: std::io::Error| Error::Io(e.kind());
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = path.file_name().ok_or(Error::Io(std::io::ErrorKind::InvalidInput))?;
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(name);
    tmp_name.push(format!(".tmp{:016x}", u64::from_be_bytes(random::bytes()?)));
    let tmp = dir.join(tmp_name);
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let result = (|| {
        let mut f = opts.open(&tmp).map_err(io)?;
        f.write_all(bytes).map_err(io)?;
        f.sync_all().map_err(io)?;
        std::fs::rename(&tmp, path).map_err(io)?;
        // Persist the rename itself; not every platform can open a directory.
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}
