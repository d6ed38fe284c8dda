//! A sealing cipher resolved once for one (kind, scope) under the active key:
//! what a policy column seals every row with, so the hot path neither takes
//! the scope-key cache's lock nor hashes the scope. It is used only while
//! its key is still the keyring's active key and only for its own kind and
//! scope; anything else takes the cache as before.

use aes_gcm::Aes256Gcm;

use super::Context;
use crate::error::Result;
use crate::keys::Keyring;
use crate::kind::Kind;

/// The active key's AES-256-GCM cipher for `(kind, scope)`: derived key
/// material (the cache's own copy, wiped on drop), never a value.
pub(crate) struct ScopeCipher {
    key_id: u32,
    kind: Kind,
    scope: Box<[u8]>,
    cipher: Aes256Gcm,
}

impl ScopeCipher {
    /// The cipher, if it is the one for sealing `kind` at `ctx` under key `key_id`.
    #[inline]
    pub(crate) fn matching(&self, key_id: u32, kind: Kind, ctx: &Context) -> Option<&Aes256Gcm> {
        (self.key_id == key_id && self.kind == kind && *self.scope == *ctx.scope_encoded())
            .then_some(&self.cipher)
    }
}

impl Keyring {
    /// Resolve the sealing cipher of `kind` at `ctx`'s scope under the
    /// active key, once (row fields do not change the scope).
    pub(crate) fn scope_cipher_for(&self, kind: Kind, ctx: &Context) -> Result<ScopeCipher> {
        let key = self.active()?;
        let cipher = key.with_seal_cipher(kind, ctx, Aes256Gcm::clone)?;
        Ok(ScopeCipher { key_id: key.id, kind, scope: ctx.scope_encoded().into(), cipher })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_only_its_key_kind_and_scope() {
        let keyring = Keyring::generate().unwrap();
        let ctx = Context::new("users", "id");
        let sc = keyring.scope_cipher_for(Kind::IdNumber, &ctx).unwrap();
        let id = keyring.active_key_id().unwrap();
        assert!(sc.matching(id, Kind::IdNumber, &ctx).is_some());
        assert!(sc.matching(id, Kind::IdNumber, &ctx.clone().with_row("7")).is_some());
        assert!(sc.matching(id + 1, Kind::IdNumber, &ctx).is_none());
        assert!(sc.matching(id, Kind::MobilePhone, &ctx).is_none());
        assert!(sc.matching(id, Kind::IdNumber, &Context::new("users", "other")).is_none());
        assert!(sc.matching(id, Kind::IdNumber, &Context::new("people", "id")).is_none());
    }
}
