//! The keyring's pseudonymization keys: domain pins, the domain key tree
//! (SPEC.md §2), [`Keyring::pseudonymizer`] and [`Keyring::blind_index`].
//! The token and index types live in [`crate::pseudo`].

use crate::crypto::KEY_LEN;
use crate::error::{Error, Result};
use crate::keys::Keyring;
use crate::pseudo::{BlindIndex, Domain, Namespace, Pseudonymizable, Pseudonymizer, Token, Transform};

impl Keyring {
    /// Pin an analytics domain to a root key version, so that its tokens,
    /// blind indexes and format-preserving pseudonyms stay stable across
    /// [`Keyring::rotate`]. Re-pinning to another key is how a domain is
    /// rotated on purpose. Pins are saved in the keyring file.
    pub fn pin(&mut self, domain: &Domain, key_id: u32) -> Result<()> {
        self.entry(key_id)?;
        self.domain_keys.clear();
        for ns in [Namespace::Pseudonym, Namespace::BlindIndex, Namespace::Fpe] {
            self.pins.insert(domain.pin_name(ns), key_id);
        }
        Ok(())
    }

    /// The key version `domain` is pinned to, if it is.
    pub fn pinned_key_id(&self, domain: &Domain) -> Option<u32> {
        self.pins.get(&domain.pin_name(Namespace::Pseudonym)).copied()
    }

    /// Every pinned domain with its key version, in name order.
    ///
    /// ```
    /// use desensitize::pseudo::Domain;
    /// use desensitize::Keyring;
    ///
    /// let mut keyring = Keyring::generate()?;
    /// keyring.pin(&Domain::new("analytics")?, 1)?;
    /// let pins = keyring.pins();
    /// assert_eq!(pins.len(), 1);
    /// assert_eq!((pins[0].0.name(), pins[0].1), ("analytics", 1));
    /// # Ok::<(), desensitize::Error>(())
    /// ```
    pub fn pins(&self) -> Vec<(Domain, u32)> {
        let prefix = format!("{}:", Namespace::Pseudonym.as_str());
        self.pins
            .iter()
            .filter_map(|(name, &id)| Some((Domain::new(name.strip_prefix(&prefix)?).ok()?, id)))
            .collect()
    }

    /// The key id and derived 256-bit secret for `domain` in `ns`:
    /// HKDF(root, [ns label, kind-free domain name, ...extra]).
    pub(crate) fn domain_secret(
        &self,
        ns: Namespace,
        domain: &Domain,
        extra: &[&[u8]],
    ) -> Result<(u32, zeroize::Zeroizing<[u8; KEY_LEN]>)> {
        let key_id = match self.pins.get(&domain.pin_name(ns)) {
            Some(&id) => id,
            None => self.active()?.id,
        };
        let entry = self.entry(key_id)?;
        let root = entry.root.as_ref().ok_or(Error::KeyDestroyed(key_id))?;
        let mut label: Vec<&[u8]> = vec![ns.label(), domain.name().as_bytes()];
        label.extend_from_slice(extra);
        Ok((key_id, crate::crypto::material::derive_in(entry.suite, root.as_bytes(), &label)))
    }

    /// A pre-keyed token maker for `domain` (see [`Pseudonymizer`]).
    pub fn pseudonymizer(&self, domain: &Domain) -> Result<Pseudonymizer> {
        self.with_pseudonymizer(domain, Pseudonymizer::clone)
    }

    /// The token of `value` in `domain`. The keyed domain key is derived on
    /// first use and cached in the keyring (until a key is added, rotated
    /// in or destroyed, or a domain pinned), so one call per value costs
    /// about what a kept [`Keyring::pseudonymizer`] does.
    pub fn pseudonym<T: Pseudonymizable>(&self, value: &T, domain: &Domain) -> Result<Token> {
        self.with_pseudonymizer(domain, |p| p.token(value))
    }

    /// Run `f` with the cached pseudonymizer of `domain`.
    fn with_pseudonymizer<R>(&self, domain: &Domain, f: impl FnOnce(&Pseudonymizer) -> R) -> Result<R> {
        let derive = || {
            let (key_id, secret) = self.domain_secret(Namespace::Pseudonym, domain, &[])?;
            Pseudonymizer::keyed(self.suite_of(key_id).unwrap_or_default(), key_id, &secret)
        };
        self.domain_keys.with_pseudonymizer(domain.name(), derive, f)
    }
}

impl Keyring {
    /// A blind index named `name` over `transform` of kind `T`, `bits` long
    /// (1 to 64; use [`Planner`](crate::pseudo::Planner) to choose). Its key
    /// is derived from the domain's pinned key version (else the active key)
    /// under a label that includes the kind and transform, separate from
    /// pseudonym keys. The keyed index is cached in the keyring (like
    /// [`Keyring::pseudonym`]'s key), so a call per value stays cheap.
    pub fn blind_index<T: Pseudonymizable>(
        &self,
        name: &Domain,
        transform: Transform,
        bits: u8,
    ) -> Result<BlindIndex<T>> {
        BlindIndex::<T>::check(transform, bits)?;
        let derive = || {
            let kind = T::KIND.as_str().as_bytes();
            let (key_id, secret) =
                self.domain_secret(Namespace::BlindIndex, name, &[kind, transform.as_str().as_bytes()])?;
            BlindIndex::keyed(self.suite_of(key_id).unwrap_or_default(), key_id, transform, bits, &secret)
        };
        // Cached like pseudonymizers: a clone of the keyed index is cheap.
        self.domain_keys.with_index(name.name(), (T::KIND, transform, bits), derive, BlindIndex::<T>::clone)
    }
}
