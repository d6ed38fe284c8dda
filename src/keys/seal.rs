//! Sealing and opening with the keyring: [`Keyring::seal`], [`Keyring::open`]
//! and their text, in-place and re-sealing forms, built on the crypto core's
//! envelope.

use crate::crypto::aead::with_scratch;
use crate::crypto::envelope::{self, ALG_ROOT, Header, TAG_LEN, VERSION_1};
use crate::crypto::{Context, ScopeCipher, ScopeKeys};
use crate::error::{ContextError, Error, Result};
use crate::keys::Keyring;
use crate::kind::{Kind, Sealable};
use crate::seal::{ResealProgress, ResealReport, Sealed};

impl<T: Sealable> Sealed<T> {
    /// Whether the value is under a key other than the keyring's active key,
    /// or is a v1 envelope (SPEC.md §3), which re-sealing rewrites as v2.
    /// Reads only the header; decrypts nothing. Subject-sealed values never
    /// need it: rotate their wrapped keys with [`Keyring::rewrap_subject`].
    pub fn needs_rotation(&self, keyring: &Keyring) -> bool {
        !self.is_subject_sealed()
            && (keyring.active_key_id() != Some(self.header().key_id) || self.header().version == VERSION_1)
    }
}

impl Keyring {
    /// Seal `value` for the place `ctx` under the active key.
    ///
    /// The envelope is built on the stack and copied once into the result
    /// (the path [`Keyring::seal_text`] takes), so inside a batch call
    /// ([`crate::batch::seal_all`]) its nonce comes from this thread's nonce
    /// group like a text seal's (SPEC.md §3a.3).
    pub fn seal<T: Sealable>(&self, value: &T, ctx: &Context) -> Result<Sealed<T>> {
        Sealed::from_vec(self.seal_envelope_with(value, ctx, <[u8]>::to_vec)?)
    }

    /// Seal a v2 envelope under the active key with extended nonce `xnonce`:
    /// the test-vector hooks' fixed nonces.
    #[cfg(any(test, feature = "hazmat"))]
    pub(super) fn seal_at_xnonce<T: Sealable>(
        &self,
        value: &T,
        ctx: &Context,
        xnonce: &[u8; envelope::XNONCE_LEN],
    ) -> Result<Sealed<T>> {
        self.seal_header(value, ctx, |id, keys| {
            Header::v2(id, T::KIND, keys.check(ctx.bound_encoded()), xnonce)
        })
    }

    /// Seal a v1 envelope (SPEC.md §3) under the active key with `nonce`:
    /// only the test-vector hooks write v1 now.
    #[cfg(any(test, feature = "hazmat"))]
    pub(super) fn seal_v1_at_nonce<T: Sealable>(
        &self,
        value: &T,
        ctx: &Context,
        nonce: [u8; envelope::NONCE_LEN],
    ) -> Result<Sealed<T>> {
        use envelope::NONCE_LEN;
        self.seal_header(value, ctx, |key_id, _| Header {
            version: VERSION_1,
            algorithm: ALG_ROOT,
            key_id,
            kind: T::KIND,
            check: ctx.check(),
            kdf_nonce: [0; NONCE_LEN],
            nonce,
        })
    }

    /// Seal under the active key with the header `header(key id, keys)` makes.
    #[cfg(any(test, feature = "hazmat"))]
    fn seal_header<T: Sealable>(
        &self,
        value: &T,
        ctx: &Context,
        header: impl FnOnce(u32, &ScopeKeys) -> Header,
    ) -> Result<Sealed<T>> {
        if ctx.is_poisoned() {
            return Err(Error::Context(ContextError::FieldTooLong));
        }
        let key = self.active()?;
        // Counted before sealing: a refused budget seals nothing.
        key.count_seal()?;
        let (bytes, header) = key.with_seal_cipher(T::KIND, ctx, |keys| {
            let header = header(key.id, keys);
            keys.seal_raw(&header, ctx, value.canonical_bytes()).map(|b| (b, header))
        })??;
        Ok(Sealed::from_parts(bytes, header))
    }

    /// Open a sealed value that belongs at `ctx`, for the stated `purpose`
    /// (recorded in the audit event, e.g. `"kyc-review"`).
    ///
    /// Errors, each distinct: [`Error::UnknownKey`], [`Error::KeyDestroyed`],
    /// [`Error::ContextMismatch`] (sealed for another place),
    /// [`Error::AuthenticationFailed`] (tampered), [`Error::SubjectSealed`]
    /// (use [`Keyring::open_for`]). Another kind is refused when the envelope
    /// is parsed ([`Error::KindMismatch`]), truncation too ([`Error::Truncated`]).
    ///
    /// Every call records one event, opened or refused; if the audit sink
    /// cannot record it, the result is [`Error::AuditFailed`] and the value
    /// is dropped unseen (see [`crate::audit`]).
    pub fn open<T: Sealable>(&self, sealed: &Sealed<T>, ctx: &Context, purpose: &str) -> Result<T> {
        let result = self.open_unaudited(sealed, ctx);
        self.audited(T::KIND, ctx, sealed.key_id(), None, purpose, result)
    }

    pub(super) fn open_unaudited<T: Sealable>(&self, sealed: &Sealed<T>, ctx: &Context) -> Result<T> {
        self.open_parsed(sealed.header(), sealed.as_bytes(), ctx)
    }

    fn open_parsed<T: Sealable>(&self, header: &Header, bytes: &[u8], ctx: &Context) -> Result<T> {
        if header.algorithm != ALG_ROOT {
            return Err(Error::SubjectSealed);
        }
        if ctx.is_poisoned() {
            return Err(Error::Context(ContextError::FieldTooLong));
        }
        let key = self.entry(header.key_id)?;
        // v1: the unkeyed check first (SPEC.md §3.8 check 10); v2's keyed
        // check runs only if decryption fails (SPEC.md §3a.6).
        if header.version == VERSION_1 && header.check != ctx.check() {
            return Err(Error::ContextMismatch);
        }
        let plain = key.with_seal_cipher(T::KIND, ctx, |k| k.open(header, bytes, ctx.bound_encoded()))??;
        T::from_sealed(plain)
    }

    /// Seal straight to the text form (`dz1.…`) for a TEXT column: the same
    /// envelope as `seal(..)?.to_text()`, built on the stack with one
    /// allocation (the returned string).
    pub fn seal_text<T: Sealable>(&self, value: &T, ctx: &Context) -> Result<String> {
        self.seal_envelope_with(value, ctx, envelope::to_text)
    }

    /// Seal to the text form (`dz1.…`) appended to `out`: what
    /// [`Keyring::seal_text`] returns, without allocating when `out` has
    /// room (reuse one `String` across values). On an error `out` is left
    /// as it was.
    ///
    /// ```
    /// use desensitize::{Context, Keyring, MobilePhone, Sealed};
    ///
    /// let keyring = Keyring::generate()?;
    /// let ctx = Context::new("users", "phone");
    /// let mut out = String::with_capacity(128);
    /// for phone in ["13800138000", "13900139000"] {
    ///     out.clear();
    ///     keyring.seal_text_into(&phone.parse::<MobilePhone>()?, &ctx, &mut out)?;
    ///     let sealed: Sealed<MobilePhone> = out.parse()?;
    ///     assert_eq!(keyring.open(&sealed, &ctx, "test")?.expose(), phone);
    /// }
    /// # Ok::<(), desensitize::Error>(())
    /// ```
    pub fn seal_text_into<T: Sealable>(&self, value: &T, ctx: &Context, out: &mut String) -> Result<()> {
        self.seal_envelope_with(value, ctx, |bytes| envelope::push_text(bytes, out))
    }

    /// Seal `value` under the active key with a fresh nonce into a stack
    /// buffer (for the usual sizes) and run `f` on the finished binary
    /// envelope (ciphertext only); `f` does not run on an error.
    pub(crate) fn seal_envelope_with<T: Sealable, R>(
        &self,
        value: &T,
        ctx: &Context,
        f: impl FnOnce(&[u8]) -> R,
    ) -> Result<R> {
        self.seal_envelope_by(value, ctx, None, None, f)
    }

    /// [`Keyring::seal_envelope_with`], with the cipher resolved earlier for
    /// this kind and scope when it still matches the active key (no cache
    /// lock); otherwise the cipher comes from the cache. With `row`, the
    /// value is sealed for `ctx.clone().with_row(row)` (the same envelope
    /// bytes) without building that per-row context (see
    /// [`Context::row_binding`]).
    pub(crate) fn seal_envelope_by<T: Sealable, R>(
        &self,
        value: &T,
        ctx: &Context,
        row: Option<&str>,
        resolved: Option<&ScopeCipher>,
        f: impl FnOnce(&[u8]) -> R,
    ) -> Result<R> {
        if ctx.is_poisoned() {
            return Err(Error::Context(ContextError::FieldTooLong));
        }
        match row {
            None => self.seal_bound(value, ctx, ctx.bound_encoded(), resolved, f),
            Some(row) => ctx.row_binding(row, |bound| self.seal_bound(value, ctx, bound, resolved, f))?,
        }
    }

    /// Seal at `ctx`'s scope with the given associated data (a v2
    /// envelope: its keyed context check is computed here from `bound`).
    /// Inside a batch or plan call the nonce comes from this thread's nonce
    /// group (SPEC.md §3a.3); a single call draws all 24 bytes.
    fn seal_bound<T: Sealable, R>(
        &self,
        value: &T,
        ctx: &Context,
        bound: &[u8],
        resolved: Option<&ScopeCipher>,
        f: impl FnOnce(&[u8]) -> R,
    ) -> Result<R> {
        let key = self.active()?;
        key.count_seal()?;
        let plain = value.canonical_bytes();
        let len = envelope::HEADER_LEN_V2 + plain.len() + TAG_LEN;
        // The nonce is drawn inside: inside a batch call its first half is
        // this thread's nonce group's (SPEC.md §3a.3).
        let seal = |keys: &ScopeKeys, buf: &mut [u8]| keys.seal_v2_into(key.id, T::KIND, bound, plain, buf);
        let out = with_scratch::<160, _>(len, |buf| {
            match resolved.and_then(|r| r.matching(key.id, T::KIND, ctx)) {
                Some(keys) => seal(keys, buf)?,
                None => key.with_seal_cipher(T::KIND, ctx, |keys| seal(keys, buf))??,
            }
            Ok::<_, Error>(f(buf))
        })?;
        Ok(out)
    }

    /// Open a text-form envelope (`dz1.…`) in one step: what
    /// `open(&text.parse()?, ctx, purpose)` does, without the intermediate
    /// [`Sealed`] buffer. Audited like [`Keyring::open`], and a text that
    /// does not parse (malformed, truncated, another version or kind) is
    /// recorded as refused too, with key id 0 when no header could be read.
    pub fn open_text<T: Sealable>(&self, text: &str, ctx: &Context, purpose: &str) -> Result<T> {
        let mut key_id = 0;
        let result = self.open_text_unaudited::<T>(text, ctx, &mut key_id);
        self.audited(T::KIND, ctx, key_id, None, purpose, result)
    }

    pub(super) fn open_text_unaudited<T: Sealable>(
        &self,
        text: &str,
        ctx: &Context,
        key_id: &mut u32,
    ) -> Result<T> {
        let mut stack = [0u8; 160];
        let decoded;
        let bytes: &[u8] = match envelope::decode_text_into(text, &mut stack) {
            Some(n) => &stack[..n],
            None => {
                decoded = envelope::from_text(text)?;
                &decoded
            }
        };
        let header = Header::parse(bytes)?;
        *key_id = header.key_id;
        if header.kind != T::KIND {
            return Err(Error::KindMismatch { expected: T::KIND, found: header.kind });
        }
        self.open_parsed::<T>(&header, bytes, ctx)
    }

    /// Move a value to the active key: opens (audited, purpose `reseal`) and
    /// seals again. A value already under the active key is returned as is.
    pub fn reseal<T: Sealable>(&self, sealed: &Sealed<T>, ctx: &Context) -> Result<Sealed<T>> {
        if !sealed.needs_rotation(self) {
            return Ok(sealed.clone());
        }
        let value = self.open(sealed, ctx, "reseal")?;
        self.seal(&value, ctx)
    }

    /// Re-seal many values, reporting progress after each and collecting
    /// failures instead of stopping at the first one.
    ///
    /// ```
    /// use desensitize::{Context, Keyring, MobilePhone};
    ///
    /// let mut keyring = Keyring::generate()?;
    /// let phone: MobilePhone = "13800138000".parse()?;
    /// let rows: Vec<_> = (0..3)
    ///     .map(|i| {
    ///         let ctx = Context::new("users", "phone").with_row(&i.to_string());
    ///         (keyring.seal(&phone, &ctx).unwrap(), ctx)
    ///     })
    ///     .collect();
    /// keyring.rotate()?;
    /// let report = keyring.reseal_all(rows, |p| assert!(p.done <= 3));
    /// assert_eq!((report.resealed, report.failed.len()), (3, 0));
    /// keyring.destroy(1, report.failed.len() as u64)?;
    /// # Ok::<(), desensitize::Error>(())
    /// ```
    pub fn reseal_all<T, I>(&self, items: I, mut progress: impl FnMut(&ResealProgress)) -> ResealReport<T>
    where
        T: Sealable,
        I: IntoIterator<Item = (Sealed<T>, Context)>,
    {
        let mut report = ResealReport { outcomes: Vec::new(), resealed: 0, unchanged: 0, failed: Vec::new() };
        for (i, (sealed, ctx)) in items.into_iter().enumerate() {
            let was_current = !sealed.needs_rotation(self);
            match self.reseal(&sealed, &ctx) {
                Ok(s) => {
                    if was_current {
                        report.unchanged += 1;
                    } else {
                        report.resealed += 1;
                    }
                    report.outcomes.push(Ok(s));
                }
                Err(e) => {
                    report.failed.push((i, e.clone()));
                    report.outcomes.push(Err(e));
                }
            }
            progress(&ResealProgress { done: i + 1, failed: report.failed.len() });
        }
        report
    }
}

impl Keyring {
    /// Resolve the sealing cipher of `kind` at `ctx`'s scope under the
    /// active key, once (row fields do not change the scope).
    pub(crate) fn scope_cipher_for(&self, kind: Kind, ctx: &Context) -> Result<ScopeCipher> {
        let key = self.active()?;
        let keys = key.with_seal_cipher(kind, ctx, ScopeKeys::clone)?;
        Ok(ScopeCipher::new(key.id, kind, ctx, keys))
    }
}
