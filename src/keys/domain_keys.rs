//! The keyring's cache of keyed domain keys: the pre-keyed HMAC state of
//! each domain's pseudonyms and blind indexes and the FF1 cipher of each
//! (domain, kind), so that [`Keyring::pseudonym`](crate::Keyring::pseudonym),
//! [`Keyring::fpe`](crate::Keyring::fpe) and
//! [`Keyring::blind_index`](crate::Keyring::blind_index) on one value cost
//! what a kept [`Pseudonymizer`], [`FpeCipher`](crate::pseudo::FpeCipher)
//! or [`BlindIndex`](crate::pseudo::BlindIndex) costs, not an HKDF
//! derivation and a key schedule per call.
//!
//! Like the scope-cipher cache of `keys/mod.rs`: derived on first use,
//! served under a read lock that readers share, bounded (emptied when full),
//! and emptied whenever what a domain's key is derived from changes (a key
//! added or rotated in, a key destroyed, a domain pinned). Every cached key
//! wipes itself when dropped.

use std::any::Any;
use std::collections::HashMap;
use std::sync::RwLock;

use crate::error::{Error, KeyError, Result};
use crate::kind::Kind;
use crate::pseudo::{FPE_KINDS, Ff1, Pseudonymizer, Transform};

/// At most this many domains keep cached keys; a caller using ever new
/// domains empties the cache rather than growing it without bound.
const MAX_DOMAINS: usize = 1024;
/// At most this many blind indexes (kind, transform, length) per domain.
const MAX_INDEXES: usize = 64;

/// Which blind index of a domain: its kind, transform and length in bits.
pub(crate) type IndexTag = (Kind, Transform, u8);
/// A cached `BlindIndex<T>` of the kind in its tag.
type AnyIndex = Box<dyn Any + Send + Sync>;

/// The keys cached for one domain.
#[derive(Default)]
struct Slots {
    pseudonymizer: Option<Pseudonymizer>,
    /// One per [`FPE_KINDS`] entry: the root key id and the FF1 cipher.
    fpe: [Option<(u32, Ff1)>; FPE_KINDS.len()],
    /// Keyed blind indexes, by tag.
    indexes: Vec<(IndexTag, AnyIndex)>,
}

/// Cached keyed domain keys, by domain name.
#[derive(Default)]
pub(crate) struct DomainKeys(RwLock<HashMap<String, Slots>>);

const POISONED: Error = Error::Key(KeyError::CachePoisoned);

impl DomainKeys {
    /// Drop (and wipe) every cached key: called by every `&mut Keyring`
    /// change of which key a domain uses or whether it still exists.
    pub(crate) fn clear(&mut self) {
        match self.0.get_mut() {
            Ok(map) => map.clear(),
            Err(poisoned) => poisoned.into_inner().clear(),
        }
    }

    /// Run `f` with the pseudonymizer of `domain`, from `derive` on first use.
    pub(crate) fn with_pseudonymizer<R>(
        &self,
        domain: &str,
        derive: impl FnOnce() -> Result<Pseudonymizer>,
        f: impl FnOnce(&Pseudonymizer) -> R,
    ) -> Result<R> {
        self.with(domain, |s| s.pseudonymizer.as_ref(), derive, |s, p| Some(s.pseudonymizer.insert(p)), f)
    }

    /// Run `f` with the blind index `tag` of `domain` (a `BlindIndex<T>`
    /// of the tag's kind), from `derive` on first use.
    pub(crate) fn with_index<K: Any + Send + Sync, R>(
        &self,
        domain: &str,
        tag: IndexTag,
        derive: impl FnOnce() -> Result<K>,
        f: impl FnOnce(&K) -> R,
    ) -> Result<R> {
        self.with(domain, |s| index_get(s, tag), derive, |s, key| index_put(s, tag, key), f)
    }

    /// Run `f` with the root key id and FF1 cipher of `(domain, kind)`, from
    /// `derive` on first use. Kinds without format-preserving pseudonyms are
    /// derived every time (their FPE call refuses them anyway).
    pub(crate) fn with_fpe<R>(
        &self,
        domain: &str,
        kind: Kind,
        derive: impl FnOnce() -> Result<(u32, Ff1)>,
        f: impl FnOnce(u32, &Ff1) -> R,
    ) -> Result<R> {
        let Some(i) = FPE_KINDS.iter().position(|&k| k == kind) else {
            let (id, ff1) = derive()?;
            return Ok(f(id, &ff1));
        };
        self.with(
            domain,
            |s| s.fpe[i].as_ref(),
            derive,
            |s, key| Some(s.fpe[i].insert(key)),
            |(id, ff1)| f(*id, ff1),
        )
    }

    /// The one lookup: a hit under the read lock, else derive outside any
    /// lock and store under the write lock.
    fn with<K, R>(
        &self,
        domain: &str,
        get: impl FnOnce(&Slots) -> Option<&K>,
        derive: impl FnOnce() -> Result<K>,
        put: impl FnOnce(&mut Slots, K) -> Option<&K>,
        f: impl FnOnce(&K) -> R,
    ) -> Result<R> {
        {
            let map = self.0.read().map_err(|_| POISONED)?;
            if let Some(key) = map.get(domain).and_then(get) {
                return Ok(f(key));
            }
        }
        let key = derive()?;
        let mut map = self.0.write().map_err(|_| POISONED)?;
        if map.len() >= MAX_DOMAINS && !map.contains_key(domain) {
            map.clear();
        }
        // A key another thread stored meanwhile is the same key: replacing
        // it drops (and wipes) that copy.
        let key = put(map.entry(domain.to_owned()).or_default(), key);
        Ok(f(key.ok_or(Error::Key(KeyError::CacheInconsistent))?))
    }
}

/// The cached blind index `tag` of a domain.
fn index_get<K: Any>(s: &Slots, tag: IndexTag) -> Option<&K> {
    s.indexes.iter().find(|(t, _)| *t == tag).and_then(|(_, k)| k.downcast_ref::<K>())
}

/// Cache the blind index `tag` of a domain (bounded: emptied when full).
fn index_put<K: Any + Send + Sync>(s: &mut Slots, tag: IndexTag, key: K) -> Option<&K> {
    s.indexes.retain(|(t, _)| *t != tag);
    if s.indexes.len() >= MAX_INDEXES {
        s.indexes.clear();
    }
    s.indexes.push((tag, Box::new(key)));
    s.indexes.last().and_then(|(_, k)| k.downcast_ref::<K>())
}

#[cfg(test)]
mod tests {
    use crate::pseudo::{Domain, Transform};
    use crate::{BankCard, Keyring, MobilePhone};

    fn cached(keyring: &Keyring) -> usize {
        keyring.domain_keys.0.read().unwrap().len()
    }

    #[test]
    fn cached_keys_give_the_derived_keys_and_follow_rotation_pins_and_destroy() {
        let mut keyring = Keyring::generate().unwrap();
        let d = Domain::new("analytics").unwrap();
        let phone: MobilePhone = "13800138000".parse().unwrap();
        let first = keyring.pseudonym(&phone, &d).unwrap();
        let fpe = keyring.fpe(&phone, &d).unwrap();
        assert_eq!(cached(&keyring), 1);
        // Served from the cache: the same as a freshly keyed pseudonymizer / cipher.
        assert_eq!(keyring.pseudonym(&phone, &d).unwrap(), first);
        assert_eq!(keyring.fpe(&phone, &d).unwrap(), fpe);
        assert_eq!(keyring.fpe_cipher(&d).unwrap().pseudonymize(&phone).unwrap(), fpe);
        assert_eq!(keyring.reidentify(&fpe, &d, "test").unwrap(), phone);

        // Rotation changes the unpinned domain's key: nothing stale is served.
        keyring.rotate().unwrap();
        assert_eq!(cached(&keyring), 0);
        let second = keyring.pseudonym(&phone, &d).unwrap();
        assert_eq!(second.key_id(), 2);
        assert_ne!(second, first);
        assert_ne!(keyring.fpe(&phone, &d).unwrap(), fpe);

        // Pinning back to key 1 gives key 1's pseudonyms again.
        keyring.pin(&d, 1).unwrap();
        assert_eq!(cached(&keyring), 0);
        assert_eq!(keyring.pseudonym(&phone, &d).unwrap(), first);
        assert_eq!(keyring.fpe(&phone, &d).unwrap(), fpe);

        // Destroying a key wipes every cached domain key.
        keyring.pin(&d, 2).unwrap();
        assert_eq!(keyring.pseudonym(&phone, &d).unwrap(), second);
        assert_eq!(cached(&keyring), 1);
        keyring.destroy(1, 0).unwrap();
        assert_eq!(cached(&keyring), 0);
    }

    #[test]
    fn cached_blind_indexes_are_per_kind_transform_and_length() {
        let mut keyring = Keyring::generate().unwrap();
        let d = Domain::new("users.phone").unwrap();
        let phone: MobilePhone = "13800138000".parse().unwrap();
        let full = keyring.blind_index::<MobilePhone>(&d, Transform::Full, 16).unwrap().compute(&phone);
        let last4 = keyring.blind_index::<MobilePhone>(&d, Transform::Last4, 8).unwrap().compute(&phone);
        let wide = keyring.blind_index::<MobilePhone>(&d, Transform::Full, 24).unwrap().compute(&phone);
        let card: BankCard = "6222021234567894".parse().unwrap();
        let card_index = keyring.blind_index::<BankCard>(&d, Transform::Full, 16).unwrap().compute(&card);
        assert_eq!(cached(&keyring), 1);
        assert_eq!(keyring.domain_keys.0.read().unwrap()["users.phone"].indexes.len(), 4);
        // Served from the cache: the same values again, each under its own tag.
        assert_eq!(
            keyring.blind_index::<MobilePhone>(&d, Transform::Full, 16).unwrap().compute(&phone),
            full
        );
        assert_eq!(
            keyring.blind_index::<MobilePhone>(&d, Transform::Last4, 8).unwrap().compute(&phone),
            last4
        );
        assert_eq!(
            keyring.blind_index::<MobilePhone>(&d, Transform::Full, 24).unwrap().compute(&phone),
            wide
        );
        assert_eq!(
            keyring.blind_index::<BankCard>(&d, Transform::Full, 16).unwrap().compute(&card),
            card_index
        );
        assert_ne!(full, wide);
        // A rotation gives the new key's index.
        keyring.rotate().unwrap();
        let rotated = keyring.blind_index::<MobilePhone>(&d, Transform::Full, 16).unwrap();
        assert_eq!(rotated.key_id(), 2);
        assert_ne!(rotated.compute(&phone), full);
    }

    #[test]
    fn the_cache_stays_bounded() {
        let keyring = Keyring::generate().unwrap();
        let phone: MobilePhone = "13800138000".parse().unwrap();
        for i in 0..=super::MAX_DOMAINS {
            keyring.pseudonym(&phone, &Domain::new(&format!("d{i}")).unwrap()).unwrap();
        }
        assert_eq!(cached(&keyring), 1, "emptied when full, then refilled");
        let d0 = Domain::new("d0").unwrap();
        assert_eq!(
            keyring.pseudonym(&phone, &d0).unwrap(),
            keyring.pseudonymizer(&d0).unwrap().token(&phone)
        );
    }
}
