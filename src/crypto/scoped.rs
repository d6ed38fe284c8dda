//! A sealing cipher resolved once for one (kind, scope) under the active key:
//! what a policy column seals every row with, so the hot path neither takes
//! the scope-key cache's lock nor hashes the scope. It is used only while
//! its key is still the keyring's active key and only for its own kind and
//! scope; anything else takes the cache as before.

use aes_gcm::Aes256Gcm;
use aes_gcm::aead::KeyInit;

use super::context::Context;
use super::labels;
use super::material::{KEY_LEN, derive_from};
use crate::kind_id::Kind;

/// The active key's AES-256-GCM cipher for `(kind, scope)`: derived key
/// material (the cache's own copy, wiped on drop), never a value.
pub(crate) struct ScopeCipher {
    key_id: u32,
    kind: Kind,
    scope: Box<[u8]>,
    cipher: Aes256Gcm,
}

impl ScopeCipher {
    /// Key `key_id`'s cipher for `kind` at `ctx`'s scope.
    pub(crate) fn new(key_id: u32, kind: Kind, ctx: &Context, cipher: Aes256Gcm) -> ScopeCipher {
        ScopeCipher { key_id, kind, scope: ctx.scope_encoded().into(), cipher }
    }

    /// The cipher, if it is the one for sealing `kind` at `ctx` under key `key_id`.
    #[inline]
    pub(crate) fn matching(&self, key_id: u32, kind: Kind, ctx: &Context) -> Option<&Aes256Gcm> {
        (self.key_id == key_id && self.kind == kind && *self.scope == *ctx.scope_encoded())
            .then_some(&self.cipher)
    }
}

/// HKDF label of a sealing key: `["desensitize.seal", kind id, scope encoding]`.
pub(crate) fn scope_cipher(secret: &[u8; KEY_LEN], kind: Kind, scope: &[u8]) -> Aes256Gcm {
    let key = derive_from(secret, &[labels::SEAL, kind.as_str().as_bytes(), scope]);
    Aes256Gcm::new((&*key).into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::Keyring;

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
