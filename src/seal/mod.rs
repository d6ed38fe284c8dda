//! Sealing: authenticated encryption of a value, bound to its kind and place.
//!
//! [`Keyring::seal`](crate::Keyring::seal) turns a [`Sealable`] value into a [`Sealed<T>`]: a
//! versioned envelope (SPEC.md §3a, version 2) holding XAES-256-GCM
//! ciphertext (SM4-GCM for a `gm` key, [`Suite`](crate::keys::Suite)) under
//! a key derived for the value's kind and [`Context`] scope (table, column),
//! with a fresh random 192-bit nonce, a keyed context check, and the header
//! plus the remaining context fields (row id, ...) as associated data.
//! Version-1 envelopes (96-bit nonce, SPEC.md §3) keep opening.
//! [`Keyring::open`](crate::Keyring::open) is the one way back, and it reports an audit event.
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

pub use crate::crypto::{Context, MAX_FIELD_LEN, MAX_FIELDS};

use core::fmt;
use core::marker::PhantomData;

use crate::crypto::envelope::{self, Header};
use crate::error::{Error, Result};
use crate::kind::Sealable;

/// A sealed value of kind `T`: the binary envelope, safe to store and print.
///
/// `Display` / [`Sealed::to_text`] give the text form (`dz1.` + URL-safe
/// base64) for TEXT columns; [`Sealed::as_bytes`] the compact binary form for
/// BLOB columns. Parsing either checks the structure and that the envelope
/// holds a `T`; authenticity is checked by [`Keyring::open`](crate::Keyring::open).
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

/// Progress of [`Keyring::reseal_all`](crate::Keyring::reseal_all), reported after each value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResealProgress {
    /// Values processed so far.
    pub done: usize,
    /// Of which failed.
    pub failed: usize,
}

/// Result of [`Keyring::reseal_all`](crate::Keyring::reseal_all).
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
