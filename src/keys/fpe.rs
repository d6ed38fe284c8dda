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
    pub(super) fn fpe_key(&self, domain: &Domain, kind: Kind) -> Result<(u32, Ff1)> {
        let (key_id, secret) = self.domain_secret(Namespace::Fpe, domain, &[kind.as_str().as_bytes()])?;
        Ok((key_id, Ff1::new_in(self.suite_of(key_id).unwrap_or_default(), &secret, 10)?))
    }

    /// Run `f` with the root key id and the FF1 key of `kind` in `domain`,
    /// cached in the keyring after first use (see `domain_keys.rs`).
    fn with_fpe_key<R>(&self, domain: &Domain, kind: Kind, f: impl FnOnce(u32, &Ff1) -> R) -> Result<R> {
        self.domain_keys.with_fpe(domain.name(), kind, || self.fpe_key(domain, kind), f)
    }

    /// The key id a domain's FPE would use, for audit events when deriving fails.
    pub(super) fn fpe_key_id(&self, domain: &Domain) -> u32 {
        self.pins.get(&domain.pin_name(Namespace::Fpe)).copied().or(self.active_key_id()).unwrap_or(0)
    }

    /// The format-preserving pseudonym of `value` in `domain`: a valid value
    /// of the same kind (see [`FormatPreserving`] for what is kept).
    /// Deterministic per domain and key version. The FF1 key is derived on
    /// first use and cached in the keyring (like [`Keyring::pseudonym`]'s).
    pub fn fpe<T: FormatPreserving>(&self, value: &T, domain: &Domain) -> Result<T> {
        self.with_fpe_key(domain, T::KIND, |_, ff1| value.ff1_map(ff1, domain.name(), Dir::Encrypt))?
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
        let result = self
            .with_fpe_key(domain, T::KIND, |id, ff1| {
                key_id = id;
                pseudo.ff1_map(ff1, domain.name(), Dir::Decrypt)
            })
            .and_then(|r| r);
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
        Ok(FpeCipher::new(key_id, domain, keys, Arc::clone(&self.audit), self.access.is_some()))
    }
}
