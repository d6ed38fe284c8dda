//! Sealing: authenticated encryption of a value, bound to its kind and place.
//!
//! [`Keyring::seal`] turns a [`Sealable`] value into a [`Sealed<T>`]: a
//! versioned envelope (SPEC.md §3) holding AES-256-GCM ciphertext under a
//! key derived for the value's kind and [`Context`] scope (table, column),
//! with a fresh random 96-bit nonce, and the header plus the remaining
//! context fields (row id, ...) as associated data.
//! [`Keyring::open`] is the one way back, and it reports an audit event.
//!
//! ```
//! use desensitize::{Context, Keyring, MobilePhone, Sealed};
//!
//! let keyring = Keyring::generate()?;
//! let phone: MobilePhone = "13800138000".parse()?;
//! let ctx = Context::new("users", "phone").with_row("7");
//!
//! let text = keyring.seal(&phone, &ctx)?.to_text(); // for a TEXT column
//! assert!(text.starts_with("dz1."));
//! let sealed: Sealed<MobilePhone> = text.parse()?;
//! assert_eq!(keyring.open(&sealed, &ctx, "send-sms")?.expose(), "13800138000");
//!
//! // Moved to another row: refused.
//! let elsewhere = Context::new("users", "phone").with_row("8");
//! assert!(keyring.open(&sealed, &elsewhere, "send-sms").is_err());
//! # Ok::<(), desensitize::Error>(())
//! ```

pub(crate) mod b64;
mod context;
pub(crate) mod envelope;
pub(crate) mod random;
mod scoped;

pub use context::{Context, MAX_FIELD_LEN, MAX_FIELDS};
pub(crate) use scoped::ScopeCipher;

use core::fmt;
use core::marker::PhantomData;

use aes_gcm::aead::AeadInOut;
use aes_gcm::{Aes256Gcm, Nonce, Tag};
use zeroize::{Zeroize, Zeroizing};

use crate::error::{Error, Result};
use crate::keys::Keyring;
use crate::kind::Sealable;
use envelope::{AAD_HEADER_LEN, ALG_ROOT, HEADER_LEN, Header, NONCE_LEN, TAG_LEN};

/// A sealed value of kind `T`: the binary envelope, safe to store and print.
///
/// `Display` / [`Sealed::to_text`] give the text form (`dz1.` + URL-safe
/// base64) for TEXT columns; [`Sealed::as_bytes`] the compact binary form for
/// BLOB columns. Parsing either checks the structure and that the envelope
/// holds a `T`; authenticity is checked by [`Keyring::open`].
pub struct Sealed<T> {
    bytes: Vec<u8>,
    header: Header,
    _kind: PhantomData<fn() -> T>,
}

impl<T: Sealable> Sealed<T> {
    /// Parse a binary envelope, checking its structure and that it holds a `T`.
    pub fn from_bytes(bytes: &[u8]) -> Result<Sealed<T>> {
        Sealed::from_vec(bytes.to_vec())
    }

    /// Like [`Sealed::from_bytes`], taking ownership of the buffer.
    pub fn from_vec(bytes: Vec<u8>) -> Result<Sealed<T>> {
        let header = Header::parse(&bytes)?;
        if header.kind != T::KIND {
            return Err(Error::KindMismatch { expected: T::KIND, found: header.kind });
        }
        Ok(Sealed { bytes, header, _kind: PhantomData })
    }

    /// Parse the text form (`dz1.…`).
    pub fn from_text(text: &str) -> Result<Sealed<T>> {
        Sealed::from_vec(envelope::from_text(text)?)
    }

    /// The binary envelope.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The binary envelope, by value.
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }

    /// The text form: `dz1.` followed by unpadded URL-safe base64.
    pub fn to_text(&self) -> String {
        envelope::to_text(&self.bytes)
    }

    /// The id of the key the value was sealed under (0 for subject-sealed values).
    pub fn key_id(&self) -> u32 {
        self.header.key_id
    }

    /// Whether the value was sealed under a per-subject key.
    pub fn is_subject_sealed(&self) -> bool {
        self.header.algorithm == envelope::ALG_SUBJECT
    }

    /// Whether the value is under a key other than the keyring's active key.
    /// Reads only the header; decrypts nothing. Subject-sealed values never
    /// need it: rotate their wrapped keys with [`Keyring::rewrap_subject`].
    pub fn needs_rotation(&self, keyring: &Keyring) -> bool {
        !self.is_subject_sealed() && keyring.active_key_id() != Some(self.header.key_id)
    }

    pub(crate) fn header(&self) -> &Header {
        &self.header
    }

    pub(crate) fn from_parts(bytes: Vec<u8>, header: Header) -> Sealed<T> {
        Sealed { bytes, header, _kind: PhantomData }
    }
}

impl<T> Sealed<T> {
    pub(crate) fn as_bytes_any(&self) -> &[u8] {
        &self.bytes
    }
}

impl<T> Clone for Sealed<T> {
    fn clone(&self) -> Self {
        Sealed { bytes: self.bytes.clone(), header: self.header, _kind: PhantomData }
    }
}

impl<T> PartialEq for Sealed<T> {
    fn eq(&self, other: &Self) -> bool {
        self.bytes == other.bytes
    }
}

impl<T> Eq for Sealed<T> {}

impl<T> core::hash::Hash for Sealed<T> {
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        self.bytes.hash(state);
    }
}

impl<T> fmt::Debug for Sealed<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Sealed<{}>(key {}, {} bytes)", self.header.kind, self.header.key_id, self.bytes.len())
    }
}

impl<T> fmt::Display for Sealed<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&envelope::to_text(&self.bytes))
    }
}

impl<T: Sealable> core::str::FromStr for Sealed<T> {
    type Err = Error;
    fn from_str(s: &str) -> Result<Sealed<T>> {
        Sealed::from_text(s)
    }
}

/// Run `f` over the associated data `header[..12] || extra || bound context
/// fields` (SPEC.md §3.4) without allocating for small inputs. The nonce is
/// left out: GCM authenticates it intrinsically (it determines the tag mask).
/// `bound`: the context's associated data ([`Context::bound_encoded`]).
fn with_aad<R>(header: &[u8], extra: &[u8], bound: &[u8], f: impl FnOnce(&[u8]) -> R) -> R {
    let parts = [&header[..AAD_HEADER_LEN], extra, bound];
    let len: usize = parts.iter().map(|p| p.len()).sum();
    with_scratch::<96, R>(len, |buf| {
        let mut at = 0;
        for p in parts {
            buf[at..at + p.len()].copy_from_slice(p);
            at += p.len();
        }
        f(buf)
    })
}

/// Run `f` on a zeroed scratch buffer of `len` bytes, on the stack when it
/// fits in `N` bytes (the common case), else on the heap.
fn with_scratch<const N: usize, R>(len: usize, f: impl FnOnce(&mut [u8]) -> R) -> R {
    if len <= N {
        let mut stack = [0u8; N];
        f(&mut stack[..len])
    } else {
        f(&mut vec![0u8; len])
    }
}

/// A fresh 96-bit nonce, unique across threads and `fork()` (see [`random`]).
pub(crate) fn fresh_nonce() -> Result<[u8; NONCE_LEN]> {
    random::bytes()
}

/// Encrypt `plaintext` into a complete envelope under `cipher`.
pub(crate) fn seal_raw(
    cipher: &Aes256Gcm,
    header: &Header,
    extra_aad: &[u8],
    ctx: &Context,
    plaintext: &[u8],
) -> Result<Vec<u8>> {
    // Built by appending: no zero-fill of the buffer before it is written.
    let mut out = Vec::with_capacity(HEADER_LEN + plaintext.len() + TAG_LEN);
    out.extend_from_slice(&[0; HEADER_LEN]);
    out.extend_from_slice(plaintext);
    out.extend_from_slice(&[0; TAG_LEN]);
    seal_in_place(cipher, header, extra_aad, ctx.bound_encoded(), &mut out)?;
    Ok(out)
}

/// Write the envelope of `plaintext` into `out`, which must be exactly
/// `HEADER_LEN + plaintext.len() + TAG_LEN` bytes.
fn seal_into(
    cipher: &Aes256Gcm,
    header: &Header,
    extra_aad: &[u8],
    bound: &[u8],
    plaintext: &[u8],
    out: &mut [u8],
) -> Result<()> {
    out[HEADER_LEN..HEADER_LEN + plaintext.len()].copy_from_slice(plaintext);
    seal_in_place(cipher, header, extra_aad, bound, out)
}

/// Seal `out = [header space | plaintext | tag space]` in place: write the
/// header, encrypt the body, write the tag. On an error `out` is wiped.
fn seal_in_place(
    cipher: &Aes256Gcm,
    header: &Header,
    extra_aad: &[u8],
    bound: &[u8],
    out: &mut [u8],
) -> Result<()> {
    let (head, rest) = out.split_at_mut(HEADER_LEN);
    let (body, tag_out) = rest.split_at_mut(rest.len() - TAG_LEN);
    header.write_to(head);
    let nonce = Nonce::from(header.nonce);
    match with_aad(head, extra_aad, bound, |aad| cipher.encrypt_inout_detached(&nonce, aad, body.into())) {
        Ok(tag) => {
            tag_out.copy_from_slice(&tag);
            Ok(())
        }
        Err(_) => {
            out.zeroize();
            Err(Error::Malformed("value too long to seal"))
        }
    }
}

/// Authenticate and decrypt a structurally valid envelope.
pub(crate) fn open_raw(
    cipher: &Aes256Gcm,
    bytes: &[u8],
    extra_aad: &[u8],
    ctx: &Context,
) -> Result<Zeroizing<Vec<u8>>> {
    let (head, rest) = bytes.split_at(HEADER_LEN);
    let (ct, tag) = rest.split_at(rest.len() - TAG_LEN);
    let tag = Tag::try_from(tag).map_err(|_| Error::Truncated)?;
    let nonce = Nonce::try_from(&head[12..HEADER_LEN]).map_err(|_| Error::Truncated)?;
    let mut buf = Zeroizing::new(ct.to_vec());
    with_aad(head, extra_aad, ctx.bound_encoded(), |aad| {
        cipher.decrypt_inout_detached(&nonce, aad, buf.as_mut_slice().into(), &tag)
    })
    .map_err(|_| Error::AuthenticationFailed)?;
    Ok(buf)
}

impl Keyring {
    /// Seal `value` for the place `ctx` under the active key.
    pub fn seal<T: Sealable>(&self, value: &T, ctx: &Context) -> Result<Sealed<T>> {
        self.seal_with_nonce(value, ctx, fresh_nonce()?)
    }

    /// Sealing with a caller-chosen nonce. Only for known-answer vectors:
    /// reusing a nonce under one key destroys confidentiality and integrity.
    #[doc(hidden)]
    pub fn seal_with_nonce<T: Sealable>(
        &self,
        value: &T,
        ctx: &Context,
        nonce: [u8; NONCE_LEN],
    ) -> Result<Sealed<T>> {
        if ctx.is_poisoned() {
            return Err(Error::Context("context field too long"));
        }
        let key = self.active()?;
        key.count_seal()?;
        let header = Header { algorithm: ALG_ROOT, key_id: key.id, kind: T::KIND, check: ctx.check(), nonce };
        let bytes =
            key.with_seal_cipher(T::KIND, ctx, |c| seal_raw(c, &header, &[], ctx, value.canonical_bytes()))??;
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

    fn open_unaudited<T: Sealable>(&self, sealed: &Sealed<T>, ctx: &Context) -> Result<T> {
        self.open_parsed(sealed.header(), sealed.as_bytes(), ctx)
    }

    fn open_parsed<T: Sealable>(&self, header: &Header, bytes: &[u8], ctx: &Context) -> Result<T> {
        if header.algorithm != ALG_ROOT {
            return Err(Error::SubjectSealed);
        }
        if ctx.is_poisoned() {
            return Err(Error::Context("context field too long"));
        }
        let key = self.entry(header.key_id)?;
        if header.check != ctx.check() {
            return Err(Error::ContextMismatch);
        }
        let plain = key.with_seal_cipher(T::KIND, ctx, |c| open_raw(c, bytes, &[], ctx))??;
        T::from_sealed(plain)
    }

    /// Record the event of an open and return its result, or
    /// [`Error::AuditFailed`] (dropping, and so wiping, the plaintext) when
    /// the sink could not record it.
    pub(crate) fn audited<T>(
        &self,
        kind: crate::Kind,
        ctx: &Context,
        key_id: u32,
        subject: Option<&str>,
        purpose: &str,
        result: Result<T>,
    ) -> Result<T> {
        crate::audit::fail_closed(&*self.audit, kind, ctx, key_id, subject, purpose, result)
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
            return Err(Error::Context("context field too long"));
        }
        match row {
            None => self.seal_bound(value, ctx, ctx.check(), ctx.bound_encoded(), resolved, f),
            Some(row) => {
                ctx.row_binding(row, |check, bound| self.seal_bound(value, ctx, check, bound, resolved, f))?
            }
        }
    }

    /// Seal at `ctx`'s scope with the given context check and associated data.
    fn seal_bound<T: Sealable, R>(
        &self,
        value: &T,
        ctx: &Context,
        check: [u8; 4],
        bound: &[u8],
        resolved: Option<&ScopeCipher>,
        f: impl FnOnce(&[u8]) -> R,
    ) -> Result<R> {
        let key = self.active()?;
        key.count_seal()?;
        let plain = value.canonical_bytes();
        let header =
            Header { algorithm: ALG_ROOT, key_id: key.id, kind: T::KIND, check, nonce: fresh_nonce()? };
        let len = HEADER_LEN + plain.len() + TAG_LEN;
        let out = with_scratch::<128, _>(len, |buf| {
            match resolved.and_then(|r| r.matching(key.id, T::KIND, ctx)) {
                Some(c) => seal_into(c, &header, &[], bound, plain, buf)?,
                None => {
                    key.with_seal_cipher(T::KIND, ctx, |c| seal_into(c, &header, &[], bound, plain, buf))??
                }
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

    fn open_text_unaudited<T: Sealable>(&self, text: &str, ctx: &Context, key_id: &mut u32) -> Result<T> {
        let mut stack = [0u8; 128];
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

/// Progress of [`Keyring::reseal_all`], reported after each value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResealProgress {
    /// Values processed so far.
    pub done: usize,
    /// Of which failed.
    pub failed: usize,
}

/// Result of [`Keyring::reseal_all`].
#[derive(Debug)]
pub struct ResealReport<T> {
    /// One outcome per input, in input order: the value to store back, or why not.
    pub outcomes: Vec<Result<Sealed<T>>>,
    /// Values moved to the active key.
    pub resealed: usize,
    /// Values that were already under the active key.
    pub unchanged: usize,
    /// Input positions that failed, with the (value-free) error.
    pub failed: Vec<(usize, Error)>,
}
