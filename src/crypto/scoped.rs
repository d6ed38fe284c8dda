//! The keys of one (kind, scope) under one root key, and the sealing and
//! opening of envelopes with them ([`ScopeKeys`]); and [`ScopeCipher`], those
//! keys resolved once for one (kind, scope) under the active key: what a
//! policy column seals every row with, so the hot path neither takes the
//! scope-key cache's lock nor hashes the scope. It is used only while its
//! key is still the keyring's active key and only for its own kind and
//! scope; anything else takes the cache as before.

use aes_gcm::Aes256Gcm;
use aes_gcm::aead::KeyInit;
use aes_gcm::aes::Aes256Enc;
use sm4::Sm4;
use zeroize::Zeroizing;

use super::aead::{self, Gcm};
use super::check::{CHECK_LEN, CheckKey};
use super::context::Context;
use super::envelope::{Header, VERSION_2, XNONCE_LEN};
use super::group;
use super::labels;
use super::material::{KEY_LEN, derive_from, derive_in};
use super::suite::Suite;
use super::xgcm::ExtKdf;
use crate::error::{Error, Result};
use crate::kind_id::Kind;

/// Every key of one (kind, scope) under one root key: its suite's sealing
/// keys and the keyed context check. Derived key material, wiped on drop;
/// crate-private, never `Debug`.
#[derive(Clone)]
pub(crate) struct ScopeKeys {
    seal: SealKeys,
    /// The suite's CMAC under `derive(R, [CONTEXT_CHECK, kind, scope])`.
    check: CheckKey,
    /// The check of a context with no field beyond its scope ([`NO_FIELDS`]),
    /// computed once: a function of the key and the (empty) bound fields
    /// only, so every seal at such a context (a policy column without
    /// `row_id`, a plain `Context::new(table, column)`) skips the CMAC.
    no_fields_check: [u8; CHECK_LEN],
}

/// The associated-data encoding of a context with no field beyond its
/// scope: `enc([])`, a zero field count (SPEC.md §1).
pub(crate) const NO_FIELDS: &[u8] = &[0, 0];

#[derive(Clone)]
enum SealKeys {
    Aes {
        /// AES-256-GCM under `derive(R, [SEAL, kind, scope])`: opens v1
        /// envelopes (SPEC.md §3.4).
        v1: Box<Aes256Gcm>,
        /// XAES-256-GCM under `derive(R, [SEAL_V2, kind, scope])` (SPEC.md §3a).
        x: Box<ExtKdf<Aes256Enc>>,
    },
    /// SM4 under the first 16 bytes of `derive_sm3(R, [SEAL_V2, kind,
    /// scope])` (SPEC.md §12.3); a `gm` key never had v1 envelopes.
    Gm { x: ExtKdf<Sm4> },
}

impl ScopeKeys {
    /// The keys of `(kind, scope)` under the 256-bit root key `secret` of `suite`.
    pub(crate) fn derive(suite: Suite, secret: &[u8; KEY_LEN], kind: Kind, scope: &[u8]) -> ScopeKeys {
        let id = kind.as_str().as_bytes();
        let v2 = derive_in(suite, secret, &[labels::SEAL_V2, id, scope]);
        let check = derive_in(suite, secret, &[labels::CONTEXT_CHECK, id, scope]);
        let seal = match suite {
            Suite::Aes => SealKeys::Aes {
                v1: Box::new(scope_cipher(secret, kind, scope)),
                x: Box::new(ExtKdf::new((&*v2).into())),
            },
            Suite::Gm => {
                let mut sm4 = Zeroizing::new([0u8; 16]);
                sm4.copy_from_slice(&v2[..16]);
                SealKeys::Gm { x: ExtKdf::new((&*sm4).into()) }
            }
        };
        let check = CheckKey::new(suite, &check);
        let no_fields_check = check.check(NO_FIELDS);
        ScopeKeys { seal, check, no_fields_check }
    }

    /// The keyed context check of v2 envelopes over `bound` (SPEC.md §3a.4):
    /// the cached one for [`NO_FIELDS`], else one CMAC.
    #[inline]
    pub(crate) fn check(&self, bound: &[u8]) -> [u8; CHECK_LEN] {
        if bound == NO_FIELDS { self.no_fields_check } else { self.check.check(bound) }
    }

    /// Run `f` with the GCM cipher of an envelope with this `header`; a v1
    /// envelope under a `gm` key cannot authenticate (`gm` keys only ever
    /// sealed v2). v2 inside a batch call may reuse this thread's cipher for
    /// the same `N[0..12]` ([`group::opening`]).
    fn with_gcm<R>(&self, header: &Header, f: impl FnOnce(&dyn GcmOps) -> Result<R>) -> Result<R> {
        match (&self.seal, header.version == VERSION_2) {
            (SealKeys::Aes { x, .. }, true) => group::opening(x, &header.kdf_nonce, |g| f(g)),
            (SealKeys::Aes { v1, .. }, false) => f(&**v1),
            (SealKeys::Gm { x }, true) => group::opening(x, &header.kdf_nonce, |g| f(g)),
            (SealKeys::Gm { .. }, false) => Err(Error::AuthenticationFailed),
        }
    }

    /// Write a v2 root-key envelope of `plain` bound to `bound` into `out`
    /// (exactly `HEADER_LEN_V2 + plain.len() + TAG_LEN` bytes) under key
    /// `key_id`, with a fresh nonce: inside a batch call on this thread its
    /// first half is the thread's nonce group's, else all 24 bytes are new
    /// ([`group::sealing`]).
    pub(crate) fn seal_v2_into(
        &self,
        key_id: u32,
        kind: Kind,
        bound: &[u8],
        plain: &[u8],
        out: &mut [u8],
    ) -> Result<()> {
        let check = self.check(bound);
        let mut seal = |xnonce: &[u8; XNONCE_LEN], g: &dyn GcmOps| {
            g.seal_into(&Header::v2(key_id, kind, check, xnonce), &[], bound, plain, out)
        };
        match &self.seal {
            SealKeys::Aes { x, .. } => group::sealing(x, |n, g| seal(n, g))?,
            SealKeys::Gm { x } => group::sealing(x, |n, g| seal(n, g))?,
        }
    }

    /// The envelope of `plain` at `ctx` with `header` (the test-vector
    /// hooks' fixed nonces).
    #[cfg(any(test, feature = "hazmat"))]
    pub(crate) fn seal_raw(&self, header: &Header, ctx: &Context, plain: &[u8]) -> Result<Vec<u8>> {
        self.seal_raw_with(header, &[], ctx, plain)
    }

    /// [`ScopeKeys::seal_raw`] with `extra` in the associated data after
    /// the header (a subject envelope's encoded subject id, SPEC.md §5.3).
    pub(crate) fn seal_raw_with(
        &self,
        header: &Header,
        extra: &[u8],
        ctx: &Context,
        plain: &[u8],
    ) -> Result<Vec<u8>> {
        let mut out = vec![0u8; header.len() + plain.len() + super::envelope::TAG_LEN];
        self.with_gcm(header, |g| g.seal_into(header, extra, ctx.bound_encoded(), plain, &mut out))?;
        Ok(out)
    }

    /// Authenticate and decrypt `bytes` (parsed as `header`) bound to
    /// `bound`. A v2 envelope that fails is told apart by its keyed check:
    /// [`Error::ContextMismatch`] when it was sealed for another place,
    /// else [`Error::AuthenticationFailed`]. (v1's unkeyed check is the
    /// caller's, before decryption, SPEC.md §3.8.)
    pub(crate) fn open(&self, header: &Header, bytes: &[u8], bound: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
        self.open_with(header, bytes, &[], bound)
    }

    /// [`ScopeKeys::open`] with `extra` in the associated data after the
    /// header (see [`ScopeKeys::seal_raw_with`]).
    pub(crate) fn open_with(
        &self,
        header: &Header,
        bytes: &[u8],
        extra: &[u8],
        bound: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>> {
        let result = self.with_gcm(header, |g| g.open(bytes, extra, bound));
        match result {
            Err(Error::AuthenticationFailed)
                if header.version == VERSION_2 && !self.check.matches(bound, &header.check) =>
            {
                Err(Error::ContextMismatch)
            }
            other => other,
        }
    }
}

/// The two operations on a GCM cipher, object-safe so that v1's cached
/// cipher and v2's per-message one take one path.
trait GcmOps {
    fn seal_into(
        &self,
        header: &Header,
        extra: &[u8],
        bound: &[u8],
        plain: &[u8],
        out: &mut [u8],
    ) -> Result<()>;
    fn open(&self, bytes: &[u8], extra: &[u8], bound: &[u8]) -> Result<Zeroizing<Vec<u8>>>;
}

impl<C: Gcm> GcmOps for C {
    fn seal_into(
        &self,
        header: &Header,
        extra: &[u8],
        bound: &[u8],
        plain: &[u8],
        out: &mut [u8],
    ) -> Result<()> {
        aead::seal_into(self, header, extra, bound, plain, out)
    }
    fn open(&self, bytes: &[u8], extra: &[u8], bound: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
        aead::open_bound(self, bytes, extra, bound)
    }
}

/// The active key's [`ScopeKeys`] for `(kind, scope)`: derived key material
/// (a copy of the cache's, wiped on drop), never a value.
pub(crate) struct ScopeCipher {
    key_id: u32,
    kind: Kind,
    scope: Box<[u8]>,
    keys: ScopeKeys,
}

impl ScopeCipher {
    /// Key `key_id`'s keys for `kind` at `ctx`'s scope.
    pub(crate) fn new(key_id: u32, kind: Kind, ctx: &Context, keys: ScopeKeys) -> ScopeCipher {
        ScopeCipher { key_id, kind, scope: ctx.scope_encoded().into(), keys }
    }

    /// The keys, if they are the ones for sealing `kind` at `ctx` under key `key_id`.
    #[inline]
    pub(crate) fn matching(&self, key_id: u32, kind: Kind, ctx: &Context) -> Option<&ScopeKeys> {
        (self.key_id == key_id && self.kind == kind && *self.scope == *ctx.scope_encoded())
            .then_some(&self.keys)
    }
}

/// The v1 sealing cipher (SPEC.md §3.4): AES-256-GCM under
/// `derive(secret, ["desensitize.seal", kind id, scope encoding])`.
pub(crate) fn scope_cipher(secret: &[u8; KEY_LEN], kind: Kind, scope: &[u8]) -> Aes256Gcm {
    let key = derive_from(secret, &[labels::SEAL, kind.as_str().as_bytes(), scope]);
    Aes256Gcm::new((&*key).into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::Keyring;

    /// The cached check is the CMAC's, and [`NO_FIELDS`] is what a context
    /// without extra fields binds (else the cache would never be used).
    #[test]
    fn the_cached_check_is_the_computed_one() {
        assert_eq!(Context::new("users", "id").bound_encoded(), NO_FIELDS);
        assert_ne!(Context::new("users", "id").with_row("1").bound_encoded(), NO_FIELDS);
        for suite in [Suite::Aes, Suite::Gm] {
            let keys = ScopeKeys::derive(suite, &[9; KEY_LEN], Kind::IdNumber, b"scope");
            assert_eq!(keys.check(NO_FIELDS), keys.check.check(NO_FIELDS));
            let row = Context::new("users", "id").with_row("1");
            assert_eq!(keys.check(row.bound_encoded()), keys.check.check(row.bound_encoded()));
            assert_ne!(keys.check(NO_FIELDS), keys.check(row.bound_encoded()));
        }
    }

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
