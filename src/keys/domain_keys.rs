//! The keyring's cache of keyed domain keys: the pre-keyed HMAC state of
//! each domain's pseudonyms and the FF1 cipher of each (domain, kind), so
//! that [`Keyring::pseudonym`](crate::Keyring::pseudonym) and
//! [`Keyring::fpe`](crate::Keyring::fpe) on one value cost what a kept
//! [`Pseudonymizer`] or [`FpeCipher`](crate::pseudo::FpeCipher) costs, not
//! an HKDF derivation and a key schedule per call.
//!
//! Like the scope-cipher cache of `keys/mod.rs`: derived on first use,
//! served under a read lock that readers share, bounded (emptied when full),
//! and emptied whenever what a domain's key is derived from changes (a key
//! added or rotated in, a key destroyed, a domain pinned). Every cached key
//! wipes itself when dropped.

use std::collections::HashMap;
use std::sync::RwLock;

use crate::error::{Error, KeyError, Result};
use crate::kind::Kind;
use crate::pseudo::{FPE_KINDS, Ff1, Pseudonymizer};

/// At most this many domains keep cached keys; a caller using ever new
/// domains empties the cache rather than growing it without bound.
const MAX_DOMAINS: usize = 1024;

/// The keys cached for one domain.
#[derive(Default)]
struct Slots {
    pseudonymizer: Option<Pseudonymizer>,
    /// One per [`FPE_KINDS`] entry: the root key id and the FF1 cipher.
    fpe: [Option<(u32, Ff1)>; FPE_KINDS.len()],
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
        self.with(domain, |s| s.pseudonymizer.as_ref(), derive, |s, p| s.pseudonymizer.insert(p), f)
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
            |s, key| s.fpe[i].insert(key),
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
        put: impl FnOnce(&mut Slots, K) -> &K,
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
        Ok(f(put(map.entry(domain.to_owned()).or_default(), key)))
    }
}

#[cfg(test)]
mod tests {
    use crate::pseudo::Domain;
    use crate::{Keyring, MobilePhone};

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
