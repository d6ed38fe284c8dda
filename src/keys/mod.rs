//! Keys: the [`Keyring`] of root keys, their states, the HKDF tree, the
//! protected keyring file, per-subject keys and the [`KeyProvider`] seam.
//!
//! Every working key is derived from a 256-bit root key with the HKDF of
//! its [`Suite`] (HKDF-SHA256, or HKDF-SM3 for `gm`) under a distinct,
//! length-prefixed label (SPEC.md §2, §12), so sealing keys,
//! blind-index keys and pseudonym keys never coincide. Derived keys are
//! cached with their AES key schedules expanded, so the hot path never
//! re-derives or re-expands a key.
//!
//! Lifecycle of a root key (see `SECURITY.md`):
//! [`Keyring::rotate`] adds a new active key and makes the old one
//! decrypt-only; re-seal everything ([`Keyring::reseal`],
//! [`Keyring::reseal_all`]); then [`Keyring::destroy`] the old key, which is
//! refused while you report values still under it.

mod access;
mod audit_keys;
#[cfg(test)]
mod canonical_tests;
mod domain_keys;
mod file;
mod fpe;
#[cfg(feature = "hazmat")]
mod hazmat;
mod ledger;
mod passphrase;
mod passphrase_provider;
#[cfg(feature = "pkcs11")]
mod pkcs11;
mod provider;
mod pseudonym;
mod seal;
mod subject;
mod suites;

pub use crate::crypto::{CostLimits, KEY_LEN, RootKey, Suite};
pub use file::read_keyring_file;
pub use ledger::{GM_NONCE_BUDGET, GM_NONCE_WARN_AT, Ledger, NONCE_BUDGET, NONCE_WARN_AT, NonceBudget};
pub use passphrase::{PassphraseError, PassphraseSource, PassphraseWarning};
pub use passphrase_provider::PassphraseProvider;
#[cfg(feature = "pkcs11")]
pub use pkcs11::{PKCS11_PROVIDER_ID, Pkcs11Error, Pkcs11Provider};
pub use provider::{DataKey, KeyProvider, WrappedKey};
pub use subject::{InMemorySubjectStore, SubjectKeyStore, SubjectRecord};

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, OnceLock, RwLock};

use crate::audit::{AuditSink, NoAudit};
use crate::crypto::Context;
use crate::crypto::ScopeKeys;
use crate::error::{Error, KeyError, Result};
use crate::kind::Kind;

/// Environment variable read by [`Keyring::from_env`]: base64 of a 32-byte root key.
pub const ROOT_KEY_ENV: &str = "DESENSITIZE_ROOT_KEY";
/// Environment variable with the root key's id (default `1`).
pub const ROOT_KEY_ID_ENV: &str = "DESENSITIZE_ROOT_KEY_ID";

/// What a root key may still be used for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyState {
    /// Seals new values and opens old ones. Exactly one key is active.
    Active,
    /// Opens values sealed under it; never seals.
    DecryptOnly,
    /// Material erased. The id is remembered so that opening a value under it
    /// says "key destroyed" rather than "unknown key".
    Destroyed,
}

impl KeyState {
    /// `active`, `decrypt-only` or `destroyed`.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyState::Active => "active",
            KeyState::DecryptOnly => "decrypt-only",
            KeyState::Destroyed => "destroyed",
        }
    }

    pub(crate) fn code(self) -> u8 {
        match self {
            KeyState::Active => 1,
            KeyState::DecryptOnly => 2,
            KeyState::Destroyed => 3,
        }
    }

    pub(crate) fn from_code(code: u8) -> Option<KeyState> {
        [KeyState::Active, KeyState::DecryptOnly, KeyState::Destroyed].into_iter().find(|s| s.code() == code)
    }
}

/// Public facts about one root key: never its material.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyInfo {
    /// The key id written into envelope headers.
    pub id: u32,
    /// Its state.
    pub state: KeyState,
    /// Values sealed under it by this process, plus the count saved in the
    /// keyring file it was loaded from and the sums of its seal [`Ledger`].
    /// The budget counts it against the limit of the key's suite
    /// ([`NonceBudget::limits`]: 2^48 for `gm`, none a counter reaches
    /// for `aes`; `SECURITY.md`, "Nonce budget").
    pub seal_count: u64,
    /// The part of `seal_count` read from the seal ledger at load.
    pub ledger_seals: u64,
    /// Its cipher suite (SPEC.md §12): `aes` unless it was made `gm`.
    pub suite: Suite,
}

impl KeyInfo {
    /// Where the key stands against its suite's nonce budget
    /// ([`NonceBudget::of_suite`]).
    pub fn nonce_budget(&self) -> NonceBudget {
        NonceBudget::of_suite(self.suite, self.seal_count)
    }
}

/// Identity hasher for the cipher cache: keys are already SipHash outputs.
#[derive(Default)]
pub(crate) struct PrehashedHasher(u64);

impl Hasher for PrehashedHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 ^= n;
    }
}

type CipherBucket = Vec<(Kind, Box<[u8]>, ScopeKeys)>;
type CipherCache = HashMap<u64, CipherBucket, BuildHasherDefault<PrehashedHasher>>;

/// Scopes per key served without a lock ([`KeyEntry::fast`]).
const FAST_SLOTS: usize = 16;
/// At most this many further (kind, scope) ciphers stay cached per root key
/// (about 3 KiB each): a caller sealing under ever new scopes (a column name
/// per tenant, say) would otherwise grow the cache without bound. When it is
/// full it is emptied (the ciphers are wiped on drop) and refills on use.
const MAX_LOCKED_SCOPES: usize = 4096;
/// One lock-free cache slot: set once, read with one atomic load.
type FastSlot = OnceLock<(Kind, Box<[u8]>, ScopeKeys)>;

pub(crate) struct KeyEntry {
    pub(crate) id: u32,
    pub(crate) state: KeyState,
    /// The primitives its working keys use.
    pub(crate) suite: Suite,
    pub(crate) root: Option<RootKey>,
    pub(crate) seals: AtomicU64,
    /// Its nonce budget in terms of `seals` (see `ledger.rs`).
    pub(crate) budget: ledger::Budget,
    /// The first [`FAST_SLOTS`] (kind, scope) ciphers used under this key,
    /// open-addressed by scope hash: a hit is an atomic load and a compare,
    /// no lock and no shared write, so threads sealing at once do not
    /// contend on a lock word. Slots are only ever set, never replaced,
    /// until [`Keyring::destroy`] empties them all (it holds `&mut`).
    fast: [FastSlot; FAST_SLOTS],
    /// Every further scope, behind a lock.
    ciphers: RwLock<CipherCache>,
}

impl KeyEntry {
    fn new(id: u32, root: Option<RootKey>, state: KeyState, seals: u64, suite: Suite) -> KeyEntry {
        KeyEntry {
            id,
            state,
            suite,
            root,
            seals: AtomicU64::new(seals),
            budget: ledger::Budget::new(suite, 0, false),
            fast: std::array::from_fn(|_| OnceLock::new()),
            ciphers: RwLock::new(HashMap::default()),
        }
    }

    /// Run `f` with the [`ScopeKeys`] of `(kind, context scope)`,
    /// derived and expanded on first use, then served from the cache:
    /// lock-free for the first [`FAST_SLOTS`] scopes, else under the
    /// cache's read lock, which readers share.
    pub(crate) fn with_seal_cipher<R>(
        &self,
        kind: Kind,
        ctx: &Context,
        f: impl FnOnce(&ScopeKeys) -> R,
    ) -> Result<R> {
        let slot = ctx.scope_hash() ^ u64::from(kind.code()).rotate_left(48);
        let scope = ctx.scope_encoded();
        let start = (slot % FAST_SLOTS as u64) as usize;
        let probe = || (0..FAST_SLOTS).map(move |i| &self.fast[(start + i) % FAST_SLOTS]);
        let is_ours = |e: &(Kind, Box<[u8]>, ScopeKeys)| e.0 == kind && *e.1 == *scope;
        // Slots fill in probe order and are never emptied while shared, so
        // the first empty slot ends the search.
        for s in probe() {
            match s.get() {
                Some(e) if is_ours(e) => return Ok(f(&e.2)),
                Some(_) => {}
                None => break,
            }
        }
        let find = |bucket: &CipherBucket| bucket.iter().position(|(k, s, _)| *k == kind && &**s == scope);
        {
            let cache = self.ciphers.read().map_err(|_| Error::Key(KeyError::CachePoisoned))?;
            if let Some(bucket) = cache.get(&slot)
                && let Some(i) = find(bucket)
            {
                return Ok(f(&bucket[i].2));
            }
        }
        let root = self.root.as_ref().ok_or(Error::KeyDestroyed(self.id))?;
        let mut entry =
            (kind, Box::<[u8]>::from(scope), ScopeKeys::derive(self.suite, root.as_bytes(), kind, scope));
        for s in probe() {
            match s.set(entry) {
                Ok(()) => {
                    let e = s.get().ok_or(Error::Key(KeyError::CacheInconsistent))?;
                    return Ok(f(&e.2));
                }
                // Taken: by this scope (another thread was first; ours is
                // dropped, and wiped) or by another one (try the next slot).
                Err(back) => match s.get() {
                    Some(e) if is_ours(e) => return Ok(f(&e.2)),
                    _ => entry = back,
                },
            }
        }
        let mut cache = self.ciphers.write().map_err(|_| Error::Key(KeyError::CachePoisoned))?;
        if cache.len() >= MAX_LOCKED_SCOPES && !cache.contains_key(&slot) {
            cache.clear();
        }
        let bucket = cache.entry(slot).or_default();
        if find(bucket).is_none() {
            bucket.push(entry);
        }
        let i = find(bucket).ok_or(Error::Key(KeyError::CacheInconsistent))?;
        Ok(f(&bucket[i].2))
    }
}

/// A set of 256-bit root keys with ids and states, and the caches of the
/// working keys derived from them.
///
/// A `Keyring` is `Send + Sync`: share one behind an `Arc` and seal from as
/// many threads as you like. It is deliberately not `Clone`, and its `Debug`
/// shows only key ids, states and seal counts.
///
/// ```
/// use desensitize::{Context, IdNumber, Keyring, keys::KeyState};
///
/// let mut keyring = Keyring::generate()?;
/// let id: IdNumber = "11010519491231002X".parse()?;
/// let ctx = Context::new("users", "id_number").with_row("42");
///
/// let sealed = keyring.seal(&id, &ctx)?;
/// assert_eq!(keyring.open(&sealed, &ctx, "kyc-review")?, id);
///
/// // Rotate: a new active key; the old one can still open.
/// let new_id = keyring.rotate()?;
/// assert!(sealed.needs_rotation(&keyring));
/// let resealed = keyring.reseal(&sealed, &ctx)?;
/// assert_eq!(resealed.key_id(), new_id);
/// keyring.destroy(1, 0)?; // nothing is left under key 1
/// assert!(keyring.open(&sealed, &ctx, "kyc-review").is_err());
/// # Ok::<(), desensitize::Error>(())
/// ```
pub struct Keyring {
    pub(crate) keys: Vec<KeyEntry>,
    pub(crate) audit: Arc<dyn AuditSink>,
    /// Analytics domains pinned to a key version (`namespace:domain` -> key id).
    pub(crate) pins: std::collections::BTreeMap<String, u32>,
    /// The seal ledger of the file it was loaded from.
    pub(crate) ledger: Option<Ledger>,
    /// Set by [`Keyring::allow_over_budget`].
    pub(crate) over_budget: bool,
    /// Access rules ([`Keyring::set_access`]): every open then needs a principal.
    pub(crate) access: Option<Arc<crate::access::Access>>,
    /// Keyed pseudonym and FPE keys per domain (`domain_keys.rs`).
    pub(crate) domain_keys: domain_keys::DomainKeys,
}

/// Prints key ids, states and seal counts: never key material.
impl core::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Keyring").field("keys", &self.keys()).finish_non_exhaustive()
    }
}

impl Default for Keyring {
    fn default() -> Keyring {
        Keyring::new()
    }
}

impl Keyring {
    /// An empty keyring: add keys with [`Keyring::add_key`].
    pub fn new() -> Keyring {
        Keyring {
            keys: Vec::new(),
            audit: Arc::new(NoAudit),
            pins: std::collections::BTreeMap::new(),
            ledger: None,
            over_budget: false,
            access: None,
            domain_keys: domain_keys::DomainKeys::default(),
        }
    }

    /// A keyring with one fresh active key (id 1) from OS randomness.
    pub fn generate() -> Result<Keyring> {
        let mut k = Keyring::new();
        k.add_key(1, RootKey::generate()?, KeyState::Active)?;
        Ok(k)
    }

    /// A keyring with one active root key from [`ROOT_KEY_ENV`] (base64 of
    /// 32 bytes) and its id from [`ROOT_KEY_ID_ENV`] (default 1).
    pub fn from_env() -> Result<Keyring> {
        Keyring::from_env_vars(ROOT_KEY_ENV, ROOT_KEY_ID_ENV)
    }

    /// Like [`Keyring::from_env`] with variable names of your choosing.
    pub fn from_env_vars(key_var: &str, id_var: &str) -> Result<Keyring> {
        let value = zeroize::Zeroizing::new(
            std::env::var(key_var).map_err(|_| Error::Key(KeyError::RootKeyEnvUnset))?,
        );
        let id = match std::env::var(id_var) {
            Ok(s) => s.trim().parse::<u32>().map_err(|_| Error::Key(KeyError::RootKeyId))?,
            Err(_) => 1,
        };
        let mut k = Keyring::new();
        k.add_key(id, RootKey::from_base64(&value)?, KeyState::Active)?;
        Ok(k)
    }

    /// Add a root key. Adding an `Active` key makes the current active key
    /// decrypt-only. Key id 0 is reserved; ids must be unique.
    pub fn add_key(&mut self, id: u32, key: RootKey, state: KeyState) -> Result<()> {
        self.insert(id, Some(key), state, 0)
    }

    pub(crate) fn insert(
        &mut self,
        id: u32,
        key: Option<RootKey>,
        state: KeyState,
        seals: u64,
    ) -> Result<()> {
        self.insert_in(id, key, state, seals, Suite::Aes)
    }

    /// [`Keyring::insert`] of a key of `suite`.
    pub(crate) fn insert_in(
        &mut self,
        id: u32,
        key: Option<RootKey>,
        state: KeyState,
        seals: u64,
        suite: Suite,
    ) -> Result<()> {
        if id == 0 {
            return Err(Error::Key(KeyError::ReservedId));
        }
        if self.keys.iter().any(|k| k.id == id) {
            return Err(Error::Key(KeyError::DuplicateId));
        }
        if (state == KeyState::Destroyed) != key.is_none() {
            return Err(Error::Key(KeyError::NoMaterial));
        }
        if state == KeyState::Active {
            for k in &mut self.keys {
                if k.state == KeyState::Active {
                    k.state = KeyState::DecryptOnly;
                }
            }
        }
        self.domain_keys.clear(); // the active key may change
        let mut entry = KeyEntry::new(id, key, state, seals, suite);
        entry.budget = ledger::Budget::new(suite, 0, self.over_budget_allowed());
        self.keys.push(entry);
        Ok(())
    }

    /// Add a fresh random key as the active key (id = highest id + 1), of
    /// the active key's suite (`aes` when there is none); the previous
    /// active key becomes decrypt-only. Returns the new id. To change
    /// suite, [`Keyring::rotate_to`].
    pub fn rotate(&mut self) -> Result<u32> {
        let suite = self.active().map(|k| k.suite).unwrap_or_default();
        self.rotate_to(suite)
    }

    /// Make a non-active key decrypt-only (e.g. to undo nothing: it is the
    /// state `rotate` leaves old keys in). The active key is refused: rotate.
    pub fn set_decrypt_only(&mut self, id: u32) -> Result<()> {
        let k = self.entry_mut(id)?;
        match k.state {
            KeyState::Active => Err(Error::Key(KeyError::RetireActive)),
            KeyState::Destroyed => Err(Error::KeyDestroyed(id)),
            KeyState::DecryptOnly => Ok(()),
        }
    }

    /// Erase a key's material, keeping its id as `Destroyed`.
    ///
    /// `remaining` is how many values the caller still holds under this key
    /// (from a `needs_rotation` scan or a `reseal_all` report): destruction
    /// is refused unless it is 0, always refused for the active key, and
    /// refused while an analytics domain is pinned to the key.
    ///
    /// Per-subject keys ([`Keyring::seal_for`]) are wrapped under a root key
    /// too, and every value sealed for those subjects dies with it: where a
    /// [`SubjectKeyStore`] exists, use [`Keyring::destroy_with_subjects`],
    /// which also refuses while any subject key is still wrapped under `id`
    /// (or include them in `remaining`, as [`crate::db::rotate`]'s report does).
    pub fn destroy(&mut self, id: u32, remaining: u64) -> Result<()> {
        if self.pins.values().any(|&pinned| pinned == id) {
            return Err(Error::Key(KeyError::DomainPinned));
        }
        let k = self.entry_mut(id)?;
        if k.state == KeyState::Active {
            return Err(Error::Key(KeyError::DestroyActive));
        }
        if remaining > 0 {
            return Err(Error::KeyInUse { id, remaining });
        }
        k.state = KeyState::Destroyed;
        k.root = None; // RootKey wipes itself on drop.
        // ScopeKeys wipes its key schedule on drop.
        for slot in &mut k.fast {
            drop(slot.take());
        }
        if let Ok(mut cache) = k.ciphers.write() {
            cache.clear();
        }
        self.domain_keys.clear();
        Ok(())
    }

    /// Ids, states and seal counts of every key, in id order. Never material.
    pub fn keys(&self) -> Vec<KeyInfo> {
        let mut v: Vec<KeyInfo> = self
            .keys
            .iter()
            .map(|k| KeyInfo {
                id: k.id,
                state: k.state,
                seal_count: k.total_seals(),
                ledger_seals: k.budget.ledgered,
                suite: k.suite,
            })
            .collect();
        v.sort_by_key(|k| k.id);
        v
    }

    /// The id of the active key, if any.
    pub fn active_key_id(&self) -> Option<u32> {
        self.keys.iter().find(|k| k.state == KeyState::Active).map(|k| k.id)
    }

    /// Install the sink that receives an event for every open.
    pub fn set_audit_sink(&mut self, sink: Arc<dyn AuditSink>) {
        self.audit = sink;
    }

    pub(crate) fn entry(&self, id: u32) -> Result<&KeyEntry> {
        let k = self.keys.iter().find(|k| k.id == id).ok_or(Error::UnknownKey(id))?;
        if k.state == KeyState::Destroyed {
            return Err(Error::KeyDestroyed(id));
        }
        Ok(k)
    }

    fn entry_mut(&mut self, id: u32) -> Result<&mut KeyEntry> {
        self.keys.iter_mut().find(|k| k.id == id).ok_or(Error::UnknownKey(id))
    }

    pub(crate) fn active(&self) -> Result<&KeyEntry> {
        self.keys.iter().find(|k| k.state == KeyState::Active).ok_or(Error::NoActiveKey)
    }

    /// A working key for another module (blind index, pseudonyms), derived
    /// from the active root key under `label`.
    #[allow(dead_code)]
    pub(crate) fn derive_active(&self, label: &[&[u8]]) -> Result<(u32, zeroize::Zeroizing<[u8; KEY_LEN]>)> {
        let k = self.active()?;
        let root = k.root.as_ref().ok_or(Error::KeyDestroyed(k.id))?;
        Ok((k.id, crate::crypto::material::derive_in(k.suite, root.as_bytes(), label)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MobilePhone;

    fn keyring() -> Keyring {
        let mut k = Keyring::new();
        k.add_key(1, RootKey::from_bytes([0x42; 32]), KeyState::Active).unwrap();
        k
    }

    /// The envelope of a fixed value at `ctx` with a fixed nonce.
    fn envelope(k: &Keyring, ctx: &Context) -> Vec<u8> {
        let v: MobilePhone = "13800138000".parse().unwrap();
        k.seal_at_xnonce(&v, ctx, &[5; 24]).unwrap().into_bytes()
    }

    #[test]
    fn every_scope_gets_its_own_key_past_the_lock_free_slots() {
        // 3x the lock-free slots, filled from 4 threads at once in different
        // orders: each scope's envelope must equal the one a fresh keyring
        // (one scope, one slot) makes, so no scope is served another's key.
        let scopes: Vec<Context> = (0..3 * FAST_SLOTS).map(|i| Context::new("t", &format!("c{i}"))).collect();
        let shared = keyring();
        let got: Vec<Vec<Vec<u8>>> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..4)
                .map(|t| {
                    let (shared, scopes) = (&shared, &scopes);
                    s.spawn(move || {
                        let mut order: Vec<usize> = (0..scopes.len()).collect();
                        order.rotate_left(t * 7);
                        let mut out = vec![Vec::new(); scopes.len()];
                        for i in order {
                            out[i] = envelope(shared, &scopes[i]);
                        }
                        out
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        for (i, ctx) in scopes.iter().enumerate() {
            let want = envelope(&keyring(), ctx);
            assert!(got.iter().all(|per_thread| per_thread[i] == want), "scope {i}");
        }
        let entry = shared.entry(1).unwrap();
        assert!(entry.fast.iter().all(|s| s.get().is_some()), "the lock-free slots filled first");
        assert_eq!(entry.ciphers.read().unwrap().values().map(Vec::len).sum::<usize>(), 2 * FAST_SLOTS);
    }

    #[test]
    fn the_scope_cache_stays_bounded_and_every_scope_keeps_its_key() {
        let k = keyring();
        let scopes: Vec<Context> =
            (0..FAST_SLOTS + MAX_LOCKED_SCOPES + 10).map(|i| Context::new("t", &format!("c{i}"))).collect();
        let first: Vec<Vec<u8>> = scopes.iter().map(|ctx| envelope(&k, ctx)).collect();
        let entry = k.entry(1).unwrap();
        assert!(entry.ciphers.read().unwrap().len() <= MAX_LOCKED_SCOPES);
        // After the cache was emptied, every scope derives the same key again.
        for (ctx, want) in scopes.iter().zip(&first).step_by(97) {
            assert_eq!(&envelope(&k, ctx), want);
        }
        assert_eq!(envelope(&k, &scopes[5]), envelope(&keyring(), &scopes[5]));
    }

    #[test]
    fn destroy_empties_every_cache() {
        let mut k = keyring();
        for i in 0..FAST_SLOTS + 3 {
            envelope(&k, &Context::new("t", &format!("c{i}")));
        }
        k.rotate().unwrap();
        k.destroy(1, 0).unwrap();
        let entry = k.keys.iter().find(|e| e.id == 1).unwrap();
        assert!(entry.fast.iter().all(|s| s.get().is_none()));
        assert!(entry.ciphers.read().unwrap().is_empty());
        assert!(entry.root.is_none());
    }
}
