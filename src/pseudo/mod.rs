//! Pseudonymization: keyed, deterministic, domain-separated tokens.
//!
//! A [`Token`] is HMAC-SHA256 (truncated to 128 bits) under a key derived for
//! one [`Domain`] ("analytics", "marketing", ...) from a root key, over the
//! value's kind and canonical form. The same person gets the same token
//! inside a domain, so datasets join; tokens of different domains are
//! unlinkable without the keys. No unkeyed hash is offered anywhere.
//!
//! Tokens must not change when sealing keys rotate, so a domain uses the key
//! it is *pinned* to ([`Keyring::pin`](crate::Keyring::pin)); an unpinned domain uses the active
//! key. Every token says which key version made it ([`Token::key_id`]), and
//! [`Keyring::destroy`](crate::Keyring::destroy) refuses a key that a domain is pinned to.
//!
//! ```
//! use desensitize::pseudo::Domain;
//! use desensitize::{Keyring, MobilePhone};
//!
//! let mut keyring = Keyring::generate()?;
//! let analytics = Domain::new("analytics")?;
//! keyring.pin(&analytics, 1)?;
//!
//! let a: MobilePhone = "+86 138 0013 8000".parse()?;
//! let b: MobilePhone = "13800138000".parse()?;
//! let t = keyring.pseudonym(&a, &analytics)?;
//! assert_eq!(t, keyring.pseudonym(&b, &analytics)?); // same person, same token
//! assert!(t.to_string().starts_with("tk1.1."));
//!
//! let marketing = Domain::new("marketing")?;
//! assert_ne!(t.digest(), keyring.pseudonym(&a, &marketing)?.digest()); // unlinkable
//!
//! keyring.rotate()?; // sealing moves on; the pinned domain does not
//! assert_eq!(keyring.pseudonym(&a, &analytics)?, t);
//! # Ok::<(), desensitize::Error>(())
//! ```

mod blind_index;
mod ff1;
mod fpe;

/// The MAC behind tokens and blind indexes (in the crypto core: the audit
/// log's MACs use it too).
pub(crate) use crate::crypto::mac::SuiteMac;
pub use crate::kind::Pseudonymizable;
pub use blind_index::{BlindIndex, IndexPlan, IndexValue, Planner, Transform};
pub(crate) use ff1::{Dir, Ff1};
pub(crate) use fpe::{FPE_KINDS, audit_context};
pub use fpe::{FormatPreserving, FpeCipher};

use core::fmt;
use zeroize::Zeroize;

use crate::crypto::{KEY_LEN, Suite};
use crate::crypto::{b64, labels};
use crate::error::{DomainError, EnvelopeError, Error, Result};
use crate::kind::Sealable;

/// Bytes of HMAC output kept in a token: 128 bits.
pub const TOKEN_LEN: usize = 16;
const TOKEN_PREFIX: &str = "tk1.";
const MAX_DOMAIN_LEN: usize = 64;

/// A named pseudonymization domain: tokens are joinable inside one domain
/// and unlinkable across domains.
///
/// Names are 1 to 64 characters of `a-z`, `0-9`, `.`, `_`, `-`, so that a
/// domain cannot be confused with another by case or white space.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Domain {
    name: String,
}

impl Domain {
    /// A domain, validated.
    pub fn new(name: &str) -> Result<Domain> {
        let ok = !name.is_empty()
            && name.len() <= MAX_DOMAIN_LEN
            && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b));
        if !ok {
            return Err(Error::Domain(DomainError::Name));
        }
        Ok(Domain { name: name.to_owned() })
    }

    /// The name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The pin-table key of this domain for a purpose namespace.
    pub(crate) fn pin_name(&self, namespace: Namespace) -> String {
        format!("{}:{}", namespace.as_str(), self.name)
    }
}

impl fmt::Display for Domain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.name)
    }
}

/// Which family of analytics keys a domain name refers to. Each has its own
/// HKDF label, so a token key never equals a blind-index or FPE key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Namespace {
    Pseudonym,
    BlindIndex,
    Fpe,
}

impl Namespace {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Namespace::Pseudonym => "pseudonym",
            Namespace::BlindIndex => "blind_index",
            Namespace::Fpe => "fpe",
        }
    }

    /// HKDF label prefix (SPEC.md §2).
    pub(crate) fn label(self) -> &'static [u8] {
        match self {
            Namespace::Pseudonym => labels::PSEUDONYM,
            Namespace::BlindIndex => labels::BLIND_INDEX,
            Namespace::Fpe => labels::FPE,
        }
    }
}

/// Longest token text: "tk1." + up to 10 digits + "." + 22 characters.
const TOKEN_TEXT_MAX: usize = 4 + 10 + 1 + 22;

/// A keyed pseudonym: 128 bits of HMAC-SHA256 and the id of the root key
/// version that made it.
///
/// Text form: `tk1.<key id>.<22 characters of URL-safe base64>`, the key id
/// in canonical decimal; parsing accepts only that one text (no white space,
/// no leading zero: SPEC.md §9.2).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Token {
    key_id: u32,
    digest: [u8; TOKEN_LEN],
}

impl Token {
    /// The root key version the token was made with.
    pub fn key_id(&self) -> u32 {
        self.key_id
    }

    /// The 16 token bytes (for a BINARY(16) column).
    pub fn digest(&self) -> &[u8; TOKEN_LEN] {
        &self.digest
    }

    /// Rebuild a token from its parts (as stored in binary columns).
    pub fn from_parts(key_id: u32, digest: [u8; TOKEN_LEN]) -> Token {
        Token { key_id, digest }
    }

    /// The text form `tk1.<key id>.<base64url>`, built without the
    /// formatting machinery (the same string as `to_string()`, faster).
    pub fn to_text(&self) -> String {
        let (buf, len) = self.text_bytes();
        // Digits, dots and base64: ASCII, so the check passes; one allocation.
        core::str::from_utf8(&buf[..len]).unwrap_or_default().to_owned()
    }

    /// Append the text form to `out`: what [`Token::to_text`] returns,
    /// without a new `String` per token when `out` is reused (a column
    /// writer, a response buffer).
    ///
    /// ```
    /// use desensitize::{Keyring, MobilePhone, pseudo::Domain};
    ///
    /// let keyring = Keyring::generate()?;
    /// let tokens = keyring.pseudonymizer(&Domain::new("analytics")?)?;
    /// let mut line = String::new();
    /// for phone in ["13800138000", "13912345678"] {
    ///     line.clear();
    ///     let token = tokens.token(&phone.parse::<MobilePhone>()?);
    ///     token.push_text(&mut line);
    ///     assert_eq!(line, token.to_text());
    /// }
    /// # Ok::<(), desensitize::Error>(())
    /// ```
    pub fn push_text(&self, out: &mut String) {
        let (buf, len) = self.text_bytes();
        // Digits, dots and base64: ASCII, so the check passes.
        out.push_str(core::str::from_utf8(&buf[..len]).unwrap_or_default());
    }

    /// The text form's bytes on the stack, and their length: for writers
    /// that append it to their own buffer without an intermediate `String`.
    pub(crate) fn text_bytes(&self) -> ([u8; TOKEN_TEXT_MAX], usize) {
        let mut buf = [0u8; TOKEN_TEXT_MAX];
        buf[..4].copy_from_slice(TOKEN_PREFIX.as_bytes());
        let digits = crate::digits::Decimal::new(self.key_id);
        let len = digits.as_bytes().len();
        buf[4..4 + len].copy_from_slice(digits.as_bytes());
        let mut at = 4 + len;
        buf[at] = b'.';
        at += 1;
        let b64_len = b64::encoded_len(TOKEN_LEN);
        b64::encode_into(&self.digest, &mut buf[at..at + b64_len]);
        (buf, at + b64_len)
    }
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (buf, len) = self.text_bytes();
        // base64 and digits: ASCII.
        f.write_str(core::str::from_utf8(&buf[..len]).unwrap_or(""))
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Token({self})")
    }
}

impl core::str::FromStr for Token {
    type Err = Error;

    fn from_str(s: &str) -> Result<Token> {
        let bad = || Error::Malformed(EnvelopeError::NotToken);
        // Strict (SPEC.md §9.2): one text per token, so no white space and
        // the key id in canonical decimal ("tk1.01." is not "tk1.1.").
        let rest = s.strip_prefix(TOKEN_PREFIX).ok_or_else(bad)?;
        let (id, b64) = rest.split_once('.').ok_or_else(bad)?;
        if id.is_empty() || id.len() > 10 || !id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        if id.len() > 1 && id.starts_with('0') {
            return Err(Error::Malformed(EnvelopeError::TokenKeyIdLeadingZero));
        }
        let key_id = id.parse::<u32>().map_err(|_| bad())?;
        let mut digest = [0u8; TOKEN_LEN];
        if b64.len() != 22 || b64::decode(b64.as_bytes(), &mut digest) != Some(TOKEN_LEN) {
            return Err(bad());
        }
        Ok(Token { key_id, digest })
    }
}

impl serde::Serialize for Token {
    fn serialize<S: serde::Serializer>(&self, s: S) -> core::result::Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Token {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> core::result::Result<Token, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// Feed `enc([kind id, canonical bytes])` (SPEC.md §1) into a MAC without
/// allocating: for the usual sizes in one update from a stack copy (wiped
/// after), since each update pays the hash's block buffering.
pub(crate) fn mac_value<T: Sealable>(mac: &mut SuiteMac, value: &T) {
    const STACK: usize = 96;
    let kind = T::KIND.as_str().as_bytes();
    let bytes = value.canonical_bytes();
    let len = 6 + kind.len() + bytes.len();
    if len <= STACK {
        let mut buf = [0u8; STACK];
        // Both lengths are under STACK, so they fit in u16.
        buf[..2].copy_from_slice(&2u16.to_be_bytes());
        buf[2..4].copy_from_slice(&(kind.len() as u16).to_be_bytes());
        buf[4..4 + kind.len()].copy_from_slice(kind);
        let at = 4 + kind.len();
        buf[at..at + 2].copy_from_slice(&(bytes.len() as u16).to_be_bytes());
        buf[at + 2..len].copy_from_slice(bytes);
        mac.update(&buf[..len]);
        buf[..len].zeroize();
        return;
    }
    mac.update(&2u16.to_be_bytes());
    mac.update(&u16::try_from(kind.len()).unwrap_or(u16::MAX).to_be_bytes());
    mac.update(kind);
    mac.update(&u16::try_from(bytes.len()).unwrap_or(u16::MAX).to_be_bytes());
    mac.update(bytes);
}

/// A pre-keyed token maker for one domain: derive once, then make tokens
/// with no key work at all. `Send + Sync`; share it across threads.
///
/// ```
/// use desensitize::pseudo::Domain;
/// use desensitize::{IdNumber, Keyring};
///
/// let keyring = Keyring::generate()?;
/// let tokens = keyring.pseudonymizer(&Domain::new("analytics")?)?;
/// let id: IdNumber = "11010519491231002X".parse()?;
/// assert_eq!(tokens.token(&id), keyring.pseudonym(&id, &Domain::new("analytics")?)?);
/// # Ok::<(), desensitize::Error>(())
/// ```
#[derive(Clone)]
pub struct Pseudonymizer {
    key_id: u32,
    mac: SuiteMac,
}

impl fmt::Debug for Pseudonymizer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Pseudonymizer(key {})", self.key_id)
    }
}

impl Pseudonymizer {
    /// The token of `value` in this domain.
    pub fn token<T: Pseudonymizable>(&self, value: &T) -> Token {
        let mut mac = self.mac.clone();
        mac_value(&mut mac, value);
        let out = mac.finalize_bytes();
        let mut digest = [0u8; TOKEN_LEN];
        digest.copy_from_slice(&out[..TOKEN_LEN]);
        Token { key_id: self.key_id, digest }
    }

    /// A pseudonymizer keyed with `secret`, the domain key of root key `key_id`.
    /// The MAC is the suite's: HMAC-SHA256 (`aes`) or HMAC-SM3 (`gm`).
    pub(crate) fn keyed(suite: Suite, key_id: u32, secret: &[u8; KEY_LEN]) -> Result<Pseudonymizer> {
        Ok(Pseudonymizer { key_id, mac: SuiteMac::new(suite, secret)? })
    }

    /// The key version this pseudonymizer makes tokens with.
    pub fn key_id(&self) -> u32 {
        self.key_id
    }
}
