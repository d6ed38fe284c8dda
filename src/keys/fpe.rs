//! The keyring's format-preserving pseudonyms: FF1 keys per domain and kind,
//! [`Keyring::fpe`], [`Keyring::reidentify`] (audited) and
//! [`Keyring::fpe_cipher`]. What each kind keeps is described at
//! [`FormatPreserving`]; the cipher itself lives in [`crate::pseudo`].

use std::sync::Arc;

use crate::error::Result;
use crate::keys::Keyring;
use crate::kind::Kind;
use crate::pseudo::{Dir, Domain, FPE_KINDS, Ff1, FormatPreserving, FpeCipher, Namespace, audit_context};

impl Keyring {
    /// The FF1 key of `kind` in `domain`, and the root key id it comes from.
    fn fpe_key(&self, domain: &Domain, kind: Kind) -> Result<(u32, Ff1)> {
        let (key_id, secret) = self.domain_secret(Namespace::Fpe, domain, &[kind.as_str().as_bytes()])?;
        Ok((key_id, Ff1::new_in(self.suite_of(key_id).unwrap_or_default(), &secret, 10)?))
    }

    /// The key id a domain's FPE would use, for audit events when deriving fails.
    fn fpe_key_id(&self, domain: &Domain) -> u32 {
        self.pins.get(&domain.pin_name(Namespace::Fpe)).copied().or(self.active_key_id()).unwrap_or(0)
    }

    /// The format-preserving pseudonym of `value` in `domain`: a valid value
    /// of the same kind (see [`FormatPreserving`] for what is kept).
    /// Deterministic per domain and key version. Derives the key on every
    /// call; for many values keep a [`Keyring::fpe_cipher`].
    pub fn fpe<T: FormatPreserving>(&self, value: &T, domain: &Domain) -> Result<T> {
        let (_, ff1) = self.fpe_key(domain, T::KIND)?;
        value.ff1_map(&ff1, domain.name(), Dir::Encrypt)
    }

    /// The original of a format-preserving pseudonym made by [`Keyring::fpe`]
    /// (or [`FpeCipher::pseudonymize`]) in `domain`, for the stated `purpose`.
    ///
    /// Audited like [`Keyring::open`]: one event per call, success or not,
    /// with the kind, the context `fpe_domain=<domain>`, the key id and the
    /// purpose. FPE carries no integrity check: any valid value maps to some
    /// valid value.
    pub fn reidentify<T: FormatPreserving>(&self, pseudo: &T, domain: &Domain, purpose: &str) -> Result<T> {
        let mut key_id = self.fpe_key_id(domain);
        let result = self.fpe_key(domain, T::KIND).and_then(|(id, ff1)| {
            key_id = id;
            pseudo.ff1_map(&ff1, domain.name(), Dir::Decrypt)
        });
        self.audited(T::KIND, &audit_context(domain), key_id, None, purpose, result)
    }

    /// A pre-keyed format-preserving cipher for `domain` (see [`FpeCipher`]).
    pub fn fpe_cipher(&self, domain: &Domain) -> Result<FpeCipher> {
        let mut key_id = 0;
        let mut keys = Vec::with_capacity(FPE_KINDS.len());
        for kind in FPE_KINDS {
            let (id, ff1) = self.fpe_key(domain, kind)?;
            key_id = id;
            keys.push(ff1);
        }
        Ok(FpeCipher::new(key_id, domain, keys, Arc::clone(&self.audit)))
    }
}
