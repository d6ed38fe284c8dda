//! Per-subject data keys: crypto-shredding for "delete my account".
//!
//! Each subject (a user id, say) gets its own random data key, wrapped by the
//! keyring and stored by the application in a [`SubjectKeyStore`]. Values
//! sealed with [`Keyring::seal_for`] can only be opened while that wrapped
//! key exists; [`SubjectKeyStore::forget`] deletes it, and with it every
//! copy of every value sealed for the subject, backups included (as long as
//! the key store itself is not restored from a backup: keep it out of the
//! long-term backups or purge forgotten subjects there too).
//!
//! A subject key follows the cipher suite of the root key that wraps it
//! (SPEC.md §5.2, §5.3): under a `gm` root key it is wrapped with SM4-GCM
//! and the subject's values are sealed with SM4; after a rotation across
//! suites, [`Keyring::rewrap_subjects`] moves the wrap (and later seals) to
//! the new suite while the values sealed before keep opening.
//!
//! ```
//! use desensitize::keys::{InMemorySubjectStore, SubjectKeyStore};
//! use desensitize::{Context, Error, Keyring, MobilePhone};
//!
//! let keyring = Keyring::generate()?;
//! let store = InMemorySubjectStore::new();
//! let ctx = Context::new("users", "phone").with_row("42");
//! let phone: MobilePhone = "13800138000".parse()?;
//!
//! let sealed = keyring.seal_for(&store, "user-42", &phone, &ctx)?;
//! assert_eq!(keyring.open_for(&store, "user-42", &sealed, &ctx, "support")?, phone);
//!
//! store.forget("user-42")?;
//! assert_eq!(keyring.open_for(&store, "user-42", &sealed, &ctx, "support"), Err(Error::SubjectForgotten));
//! # Ok::<(), desensitize::Error>(())
//! ```

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::SystemTime;

use crate::crypto::aead::fresh_xnonce;
use crate::crypto::envelope::{Header, VERSION_1};
use crate::crypto::material::{KEY_LEN, encode_fields};
use crate::crypto::{Context, ScopeKeys, Suite};
use crate::error::{ContextError, Error, KeyError, Result};
use crate::keys::Keyring;
use crate::keys::provider::{DataKey, WrappedKey};
use crate::kind::Sealable;
use crate::seal::Sealed;

#[path = "subject_wrap.rs"]
mod wrap;
use wrap::{SubjectKey, Suites};

const MAX_SUBJECT_LEN: usize = 256;

/// What a store holds for one subject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubjectRecord {
    /// The subject's data key, wrapped by the keyring.
    Active(WrappedKey),
    /// The subject was forgotten: the key is gone for good. Keeping this
    /// tombstone lets errors say "subject forgotten" rather than "unknown".
    Forgotten,
}

/// Where the application keeps wrapped subject keys (a table of its choice).
///
/// Implementations must make [`SubjectKeyStore::insert_if_absent`] atomic
/// (e.g. `INSERT ... ON CONFLICT DO NOTHING` then `SELECT`): two threads
/// sealing for a new subject at once must end up with the same key.
pub trait SubjectKeyStore: Send + Sync {
    /// The record for `subject`, if any.
    fn load(&self, subject: &str) -> Result<Option<SubjectRecord>>;
    /// Store `key` unless a record exists; return the record now stored.
    fn insert_if_absent(&self, subject: &str, key: WrappedKey) -> Result<SubjectRecord>;
    /// Replace an active key (re-wrapping after rotation). Must not revive a
    /// forgotten subject: return [`Error::SubjectForgotten`] instead.
    fn replace(&self, subject: &str, key: WrappedKey) -> Result<()>;
    /// Destroy the subject's key, leaving a tombstone.
    fn forget(&self, subject: &str) -> Result<()>;

    /// Set (or with `None` clear) when `subject`'s key expires: the retention
    /// deadline after which [`SubjectKeyStore::forget_expired`] destroys it.
    /// Stores that keep no expiry refuse with [`Error::Key`] (the default),
    /// so a retention promise is never silently dropped.
    fn set_expiry(&self, subject: &str, expires_at: Option<SystemTime>) -> Result<()> {
        let _ = (subject, expires_at);
        Err(Error::Key(KeyError::NoExpiry))
    }

    /// Active subjects whose key expires at or before `now`. The default is
    /// none: a store that refuses [`SubjectKeyStore::set_expiry`] has no
    /// expiring subjects.
    fn expired(&self, now: SystemTime) -> Result<Vec<String>> {
        let _ = now;
        Ok(Vec::new())
    }

    /// The retention sweep: forget every subject whose key expired at or
    /// before `now`, and return how many were forgotten. Run it on a
    /// schedule (daily, say). After it, no value sealed for those subjects
    /// opens, wherever a copy of it lives (see the module docs on backups).
    ///
    /// The default forgets [`SubjectKeyStore::expired`] one by one; a
    /// database store can override it with one statement
    /// (`UPDATE … SET wrapped = NULL, forgotten = true WHERE expires_at <= $1`).
    ///
    /// ```
    /// use std::time::{Duration, SystemTime};
    /// use desensitize::keys::{InMemorySubjectStore, SubjectKeyStore};
    /// use desensitize::{Context, Error, Keyring, MobilePhone};
    ///
    /// let keyring = Keyring::generate()?;
    /// let store = InMemorySubjectStore::new();
    /// let ctx = Context::new("users", "phone");
    /// let phone: MobilePhone = "13800138000".parse()?;
    /// let now = SystemTime::now();
    /// let sealed = keyring.seal_for(&store, "user-1", &phone, &ctx)?;
    /// keyring.seal_for(&store, "user-2", &phone, &ctx)?;
    /// store.set_expiry("user-1", Some(now - Duration::from_secs(1)))?;
    /// store.set_expiry("user-2", Some(now + Duration::from_secs(86_400)))?;
    ///
    /// assert_eq!(store.forget_expired(now)?, 1);
    /// assert_eq!(keyring.open_for(&store, "user-1", &sealed, &ctx, "support"), Err(Error::SubjectForgotten));
    /// # Ok::<(), desensitize::Error>(())
    /// ```
    fn forget_expired(&self, now: SystemTime) -> Result<usize> {
        let subjects = self.expired(now)?;
        for subject in &subjects {
            self.forget(subject)?;
        }
        Ok(subjects.len())
    }

    /// Up to `limit` active subjects with their wrapped keys, in ascending
    /// subject order, after `after` (from the first for `None`): how
    /// [`Keyring::rewrap_subjects`] and [`Keyring::subject_keys_under`] reach
    /// every key before a root key is destroyed (a database store:
    /// `SELECT subject, wrapped … WHERE subject > $1 ORDER BY subject LIMIT $2`).
    ///
    /// The default refuses with [`KeyError::NoSubjectListing`], so a store
    /// that cannot list is never taken for an empty one.
    fn active_after(&self, after: Option<&str>, limit: usize) -> Result<Vec<(String, WrappedKey)>> {
        let _ = (after, limit);
        Err(Error::Key(KeyError::NoSubjectListing))
    }
}

/// A [`SubjectKeyStore`] in memory, for tests and examples.
#[derive(Debug, Default)]
pub struct InMemorySubjectStore {
    records: Mutex<HashMap<String, SubjectRecord>>,
    expiry: Mutex<HashMap<String, SystemTime>>,
}

impl InMemorySubjectStore {
    /// An empty store.
    pub fn new() -> InMemorySubjectStore {
        InMemorySubjectStore::default()
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, HashMap<String, SubjectRecord>>> {
        self.records.lock().map_err(|_| Error::Key(KeyError::SubjectStorePoisoned))
    }

    fn lock_expiry(&self) -> Result<std::sync::MutexGuard<'_, HashMap<String, SystemTime>>> {
        self.expiry.lock().map_err(|_| Error::Key(KeyError::SubjectStorePoisoned))
    }
}

impl SubjectKeyStore for InMemorySubjectStore {
    fn load(&self, subject: &str) -> Result<Option<SubjectRecord>> {
        Ok(self.lock()?.get(subject).cloned())
    }

    fn insert_if_absent(&self, subject: &str, key: WrappedKey) -> Result<SubjectRecord> {
        Ok(self.lock()?.entry(subject.to_owned()).or_insert(SubjectRecord::Active(key)).clone())
    }

    fn replace(&self, subject: &str, key: WrappedKey) -> Result<()> {
        match self.lock()?.get_mut(subject) {
            Some(r @ SubjectRecord::Active(_)) => {
                *r = SubjectRecord::Active(key);
                Ok(())
            }
            Some(SubjectRecord::Forgotten) => Err(Error::SubjectForgotten),
            None => Err(Error::UnknownSubject),
        }
    }

    fn forget(&self, subject: &str) -> Result<()> {
        self.lock()?.insert(subject.to_owned(), SubjectRecord::Forgotten);
        self.lock_expiry()?.remove(subject);
        Ok(())
    }

    fn set_expiry(&self, subject: &str, expires_at: Option<SystemTime>) -> Result<()> {
        match self.lock()?.get(subject) {
            Some(SubjectRecord::Active(_)) => {}
            Some(SubjectRecord::Forgotten) => return Err(Error::SubjectForgotten),
            None => return Err(Error::UnknownSubject),
        }
        let mut expiry = self.lock_expiry()?;
        match expires_at {
            Some(at) => expiry.insert(subject.to_owned(), at),
            None => expiry.remove(subject),
        };
        Ok(())
    }

    fn active_after(&self, after: Option<&str>, limit: usize) -> Result<Vec<(String, WrappedKey)>> {
        let mut page: Vec<(String, WrappedKey)> = self
            .lock()?
            .iter()
            .filter(|(s, _)| after.is_none_or(|a| s.as_str() > a))
            .filter_map(|(s, r)| match r {
                SubjectRecord::Active(w) => Some((s.clone(), w.clone())),
                SubjectRecord::Forgotten => None,
            })
            .collect();
        page.sort_by(|a, b| a.0.cmp(&b.0));
        page.truncate(limit);
        Ok(page)
    }

    fn expired(&self, now: SystemTime) -> Result<Vec<String>> {
        let mut due: Vec<String> =
            self.lock_expiry()?.iter().filter(|(_, at)| **at <= now).map(|(s, _)| s.clone()).collect();
        due.sort();
        Ok(due)
    }
}

impl WrappedKey {
    /// For a subject key wrapped by a keyring (SPEC.md §5.2), the id of the
    /// root key that wraps it; `None` for any other blob. Count these to know
    /// when an old root key no longer wraps anything and can be destroyed
    /// (after [`Keyring::rewrap_subject`]).
    ///
    /// ```
    /// use desensitize::keys::{InMemorySubjectStore, SubjectKeyStore, SubjectRecord};
    /// use desensitize::{Context, Keyring, MobilePhone};
    ///
    /// let mut keyring = Keyring::generate()?;
    /// let store = InMemorySubjectStore::new();
    /// let phone: MobilePhone = "13800138000".parse()?;
    /// keyring.seal_for(&store, "user-1", &phone, &Context::new("users", "phone"))?;
    /// keyring.rotate()?;
    /// keyring.rewrap_subject(&store, "user-1")?;
    /// match store.load("user-1")? {
    ///     Some(SubjectRecord::Active(w)) => assert_eq!(w.wrapping_key_id(), Some(2)),
    ///     _ => unreachable!(),
    /// }
    /// # Ok::<(), desensitize::Error>(())
    /// ```
    pub fn wrapping_key_id(&self) -> Option<u32> {
        wrap::wrapping_key_id(self.as_bytes())
    }
}

fn check_subject(subject: &str) -> Result<()> {
    if subject.is_empty() || subject.len() > MAX_SUBJECT_LEN {
        return Err(Error::Key(KeyError::SubjectIdLength));
    }
    Ok(())
}

impl Keyring {
    fn subject_key(&self, store: &dyn SubjectKeyStore, subject: &str, create: bool) -> Result<SubjectKey> {
        check_subject(subject)?;
        let record = match store.load(subject)? {
            Some(r) => r,
            None if create => {
                let fresh = DataKey::generate()?;
                let suites = Suites::only(self.active()?.suite);
                store.insert_if_absent(subject, self.wrap_subject_key(subject, &fresh, suites)?)?
            }
            None => return Err(Error::UnknownSubject),
        };
        match record {
            SubjectRecord::Active(w) => self.unwrap_subject_key(subject, &w),
            SubjectRecord::Forgotten => Err(Error::SubjectForgotten),
        }
    }

    /// Seal `value` under `subject`'s own data key, creating the key on
    /// first use, in the suite of the root key that wraps it (SPEC.md §5.3).
    pub fn seal_for<T: Sealable>(
        &self,
        store: &dyn SubjectKeyStore,
        subject: &str,
        value: &T,
        ctx: &Context,
    ) -> Result<Sealed<T>> {
        if ctx.is_poisoned() {
            return Err(Error::Context(ContextError::FieldTooLong));
        }
        let sk = self.subject_key(store, subject, true)?;
        let keys = subject_scope_keys(sk.seals_in, &sk.dk, T::KIND, ctx);
        let header = Header::v2_subject(T::KIND, keys.check(ctx.bound_encoded()), &fresh_xnonce()?);
        let bytes =
            keys.seal_raw_with(&header, &encode_fields(&[subject.as_bytes()]), ctx, value.canonical_bytes())?;
        Ok(Sealed::from_parts(bytes, header))
    }

    /// Open a value sealed with [`Keyring::seal_for`] (audited like
    /// [`Keyring::open`]: no value unless the event was recorded).
    ///
    /// [`Error::SubjectForgotten`] once the subject's key was destroyed;
    /// [`Error::UnknownSubject`] if the store never had one.
    pub fn open_for<T: Sealable>(
        &self,
        store: &dyn SubjectKeyStore,
        subject: &str,
        sealed: &Sealed<T>,
        ctx: &Context,
        purpose: &str,
    ) -> Result<T> {
        let result = self.open_for_unaudited(store, subject, sealed, ctx);
        self.audited(T::KIND, ctx, 0, Some(subject), purpose, result)
    }

    /// [`Keyring::open_for`] without its audit event (the caller records it).
    pub(super) fn open_for_unaudited<T: Sealable>(
        &self,
        store: &dyn SubjectKeyStore,
        subject: &str,
        sealed: &Sealed<T>,
        ctx: &Context,
    ) -> Result<T> {
        if !sealed.is_subject_sealed() {
            return Err(Error::NotSubjectSealed);
        }
        if ctx.is_poisoned() {
            return Err(Error::Context(ContextError::FieldTooLong));
        }
        // v1: the unkeyed check first; v2's keyed check only if decryption fails.
        let header = sealed.header();
        if header.version == VERSION_1 && header.check != ctx.check() {
            return Err(Error::ContextMismatch);
        }
        let sk = self.subject_key(store, subject, false)?;
        let subject_aad = encode_fields(&[subject.as_bytes()]);
        // The sealing suite first, then any other the key sealed under
        // (SPEC.md §5.3): the envelope does not name its suite.
        let mut failure = None;
        for suite in sk.open_order() {
            let keys = subject_scope_keys(suite, &sk.dk, T::KIND, ctx);
            match keys.open_with(header, sealed.as_bytes(), &subject_aad, ctx.bound_encoded()) {
                Ok(plain) => return T::from_sealed(plain),
                // Any suite whose keyed check matches proves the context right.
                Err(e) if failure != Some(Error::AuthenticationFailed) => failure = Some(e),
                Err(_) => {}
            }
        }
        Err(failure.unwrap_or(Error::AuthenticationFailed))
    }

    /// Re-wrap `subject`'s data key under the active root key, so that the
    /// old root key can be destroyed. Values sealed for the subject are
    /// untouched; under a root key of another suite, the subject's later
    /// seals use that suite and its earlier values still open (SPEC.md §5.2).
    pub fn rewrap_subject(&self, store: &dyn SubjectKeyStore, subject: &str) -> Result<()> {
        let sk = self.subject_key(store, subject, false)?;
        let wrapped = self.wrap_subject_key(subject, &DataKey::from_bytes(sk.dk), sk.suites)?;
        store.replace(subject, wrapped)
    }

    /// Re-wrap every active subject key in `store` that is not under the
    /// active root key (the store must list its subjects:
    /// [`SubjectKeyStore::active_after`]); return how many were re-wrapped.
    /// A key that cannot be unwrapped (its root key destroyed, the blob
    /// damaged) stays as it is and keeps counting in
    /// [`Keyring::subject_keys_under`]; a store error stops the sweep.
    /// The rotation job ([`crate::db::RotationPlan::subject_keys`]) runs it.
    ///
    /// ```
    /// use desensitize::keys::InMemorySubjectStore;
    /// use desensitize::{Context, Error, Keyring, MobilePhone};
    ///
    /// let mut keyring = Keyring::generate()?;
    /// let store = InMemorySubjectStore::new();
    /// let ctx = Context::new("users", "phone");
    /// let phone: MobilePhone = "13800138000".parse()?;
    /// let sealed = keyring.seal_for(&store, "user-1", &phone, &ctx)?;
    /// keyring.rotate()?;
    /// // Key 1 still wraps user-1's key: destroying it would lose the value.
    /// assert_eq!(keyring.destroy_with_subjects(1, 0, &store), Err(Error::SubjectKeysInUse { id: 1, subject_keys: 1 }));
    /// assert_eq!(keyring.rewrap_subjects(&store)?, 1);
    /// keyring.destroy_with_subjects(1, 0, &store)?;
    /// assert_eq!(keyring.open_for(&store, "user-1", &sealed, &ctx, "support")?, phone);
    /// # Ok::<(), desensitize::Error>(())
    /// ```
    pub fn rewrap_subjects(&self, store: &dyn SubjectKeyStore) -> Result<u64> {
        let active = self.active()?.id;
        let mut rewrapped = 0;
        each_subject_key(store, |subject, wrapped| {
            if wrapped.wrapping_key_id() == Some(active) {
                return Ok(());
            }
            let Ok(sk) = self.unwrap_subject_key(subject, wrapped) else { return Ok(()) };
            match store
                .replace(subject, self.wrap_subject_key(subject, &DataKey::from_bytes(sk.dk), sk.suites)?)
            {
                Ok(()) => rewrapped += 1,
                Err(Error::SubjectForgotten) => {} // forgotten meanwhile: nothing to keep
                Err(e) => return Err(e),
            }
            Ok(())
        })?;
        Ok(rewrapped)
    }

    /// How many active subject keys in `store` are wrapped under root key
    /// `id`: they die with it. A blob that is not a keyring-wrapped subject
    /// key counts too (nothing is assumed about it).
    pub fn subject_keys_under(&self, store: &dyn SubjectKeyStore, id: u32) -> Result<u64> {
        count_subject_keys(store, |wrapping| wrapping.is_none_or(|w| w == id))
    }

    /// How many active subject keys in `store` are not wrapped under the
    /// active root key (what a rotation job leaves for its report).
    pub(crate) fn subject_keys_not_active(&self, store: &dyn SubjectKeyStore) -> Result<u64> {
        let active = self.active()?.id;
        count_subject_keys(store, |wrapping| wrapping != Some(active))
    }

    /// [`Keyring::destroy`], refused also while any subject key in `store`
    /// is still wrapped under key `id` ([`Error::SubjectKeysInUse`]): the
    /// way to destroy a root key when subject keys exist (see
    /// [`Keyring::rewrap_subjects`]).
    pub fn destroy_with_subjects(
        &mut self,
        id: u32,
        remaining: u64,
        store: &dyn SubjectKeyStore,
    ) -> Result<()> {
        let subject_keys = self.subject_keys_under(store, id)?;
        if subject_keys > 0 {
            return Err(Error::SubjectKeysInUse { id, subject_keys });
        }
        self.destroy(id, remaining)
    }
}

/// The keys of `(kind, ctx's scope)` under a subject data key (SPEC.md
/// §5.3): those of a root key of `suite` with `dk` as the secret. They seal
/// v2 and (`aes`) open v1 too.
fn subject_scope_keys(suite: Suite, dk: &[u8; KEY_LEN], kind: crate::kind::Kind, ctx: &Context) -> ScopeKeys {
    ScopeKeys::derive(suite, dk, kind, ctx.scope_encoded())
}

/// Subjects listed per page by [`each_subject_key`].
const LIST_PAGE: usize = 1_000;

/// Run `f` on every active subject key of `store`, page by page.
fn each_subject_key(
    store: &dyn SubjectKeyStore,
    mut f: impl FnMut(&str, &WrappedKey) -> Result<()>,
) -> Result<()> {
    let mut after: Option<String> = None;
    loop {
        let page = store.active_after(after.as_deref(), LIST_PAGE)?;
        let Some((last, _)) = page.last() else { return Ok(()) };
        let last = last.clone();
        for (subject, wrapped) in &page {
            f(subject, wrapped)?;
        }
        after = Some(last);
    }
}

/// Active subject keys whose wrapping key id (`None`: not a keyring-wrapped
/// subject key) satisfies `counts`.
fn count_subject_keys(store: &dyn SubjectKeyStore, counts: impl Fn(Option<u32>) -> bool) -> Result<u64> {
    let mut n = 0;
    each_subject_key(store, |_, wrapped| {
        n += u64::from(counts(wrapped.wrapping_key_id()));
        Ok(())
    })?;
    Ok(n)
}

#[cfg(test)]
mod expiry_tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;
    use crate::MobilePhone;

    #[test]
    fn forget_expired_forgets_only_due_subjects() {
        let keyring = Keyring::generate().unwrap();
        let store = InMemorySubjectStore::new();
        let ctx = Context::new("users", "phone");
        let phone: MobilePhone = "13800138000".parse().unwrap();
        let now = UNIX_EPOCH + Duration::from_secs(1_000_000);
        let sealed: Vec<_> =
            ["a", "b", "c", "d"].iter().map(|s| keyring.seal_for(&store, s, &phone, &ctx).unwrap()).collect();
        store.set_expiry("a", Some(now - Duration::from_secs(1))).unwrap();
        store.set_expiry("b", Some(now)).unwrap(); // due at exactly `now`
        store.set_expiry("c", Some(now + Duration::from_secs(1))).unwrap();
        store.set_expiry("d", Some(now - Duration::from_secs(5))).unwrap();
        store.set_expiry("d", None).unwrap(); // retention lifted
        assert_eq!(store.expired(now).unwrap(), ["a", "b"]);
        assert_eq!(store.forget_expired(now).unwrap(), 2);
        assert_eq!(store.forget_expired(now).unwrap(), 0, "a second sweep finds nothing");
        for (subject, sealed) in ["a", "b"].iter().zip(&sealed) {
            assert_eq!(keyring.open_for(&store, subject, sealed, &ctx, "t"), Err(Error::SubjectForgotten));
        }
        assert_eq!(keyring.open_for(&store, "c", &sealed[2], &ctx, "t").unwrap(), phone);
        assert_eq!(keyring.open_for(&store, "d", &sealed[3], &ctx, "t").unwrap(), phone);
        assert_eq!(store.set_expiry("a", Some(now)), Err(Error::SubjectForgotten));
        assert_eq!(store.set_expiry("nobody", Some(now)), Err(Error::UnknownSubject));
    }

    #[test]
    fn stores_without_expiry_refuse_to_set_one() {
        struct NoExpiry;
        impl SubjectKeyStore for NoExpiry {
            fn load(&self, _: &str) -> Result<Option<SubjectRecord>> {
                Ok(None)
            }
            fn insert_if_absent(&self, _: &str, key: WrappedKey) -> Result<SubjectRecord> {
                Ok(SubjectRecord::Active(key))
            }
            fn replace(&self, _: &str, _: WrappedKey) -> Result<()> {
                Ok(())
            }
            fn forget(&self, _: &str) -> Result<()> {
                Ok(())
            }
        }
        assert_eq!(NoExpiry.set_expiry("a", Some(SystemTime::now())), Err(Error::Key(KeyError::NoExpiry)));
        assert_eq!(NoExpiry.forget_expired(SystemTime::now()).unwrap(), 0);
    }
}

#[cfg(test)]
#[path = "subject_tests.rs"]
mod v2_tests;
