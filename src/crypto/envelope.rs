//! The versioned envelope byte layout (SPEC.md §3) and its text form.

use super::b64;
use crate::error::{EnvelopeError, Error, Result};
use crate::kind_id::Kind;

/// Format version byte of every envelope this crate writes.
pub(crate) const VERSION: u8 = 1;
/// AES-256-GCM under an HKDF-SHA256 scope key derived from a keyring root key.
pub(crate) const ALG_ROOT: u8 = 1;
/// AES-256-GCM under an HKDF-SHA256 scope key derived from a subject data key.
pub(crate) const ALG_SUBJECT: u8 = 2;
pub(crate) const NONCE_LEN: usize = 12;
pub(crate) const TAG_LEN: usize = 16;
/// version(1) algorithm(1) key_id(4) kind(2) context_check(4) nonce(12).
pub(crate) const HEADER_LEN: usize = 24;
/// The header bytes before the nonce, which open the associated data.
pub(crate) const AAD_HEADER_LEN: usize = 12;
/// Prefix of the text form: `dz` + format version + `.`.
pub(crate) const TEXT_PREFIX: &str = "dz1.";
/// Largest envelope accepted (1 MiB biometric + overhead, with room).
pub(crate) const MAX_ENVELOPE: usize = (1 << 20) + 4096;

/// The parsed, not yet authenticated, header of an envelope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Header {
    pub algorithm: u8,
    pub key_id: u32,
    pub kind: Kind,
    pub check: [u8; 4],
    pub nonce: [u8; NONCE_LEN],
}

impl Header {
    /// Write the 24 header bytes into `out[..HEADER_LEN]`.
    pub(crate) fn write_to(&self, out: &mut [u8]) {
        out[0] = VERSION;
        out[1] = self.algorithm;
        out[2..6].copy_from_slice(&self.key_id.to_be_bytes());
        out[6..8].copy_from_slice(&self.kind.code().to_be_bytes());
        out[8..12].copy_from_slice(&self.check);
        out[12..HEADER_LEN].copy_from_slice(&self.nonce);
    }

    /// Parse and structurally check an envelope: length, version, algorithm, kind code.
    pub(crate) fn parse(bytes: &[u8]) -> Result<Header> {
        if bytes.is_empty() {
            return Err(Error::Truncated);
        }
        if bytes[0] != VERSION {
            return Err(Error::UnsupportedVersion(bytes[0]));
        }
        if bytes.len() < HEADER_LEN + TAG_LEN {
            return Err(Error::Truncated);
        }
        if bytes.len() > MAX_ENVELOPE {
            return Err(Error::Malformed(EnvelopeError::TooLarge));
        }
        let algorithm = bytes[1];
        if algorithm != ALG_ROOT && algorithm != ALG_SUBJECT {
            return Err(Error::UnsupportedAlgorithm(algorithm));
        }
        let key_id = u32::from_be_bytes([bytes[2], bytes[3], bytes[4], bytes[5]]);
        let code = u16::from_be_bytes([bytes[6], bytes[7]]);
        let kind = Kind::from_code(code).ok_or(Error::Malformed(EnvelopeError::UnknownKindCode))?;
        let mut check = [0u8; 4];
        check.copy_from_slice(&bytes[8..12]);
        let mut nonce = [0u8; NONCE_LEN];
        nonce.copy_from_slice(&bytes[12..HEADER_LEN]);
        Ok(Header { algorithm, key_id, kind, check, nonce })
    }
}

/// `dz1.` followed by unpadded URL-safe base64 of the binary envelope: one
/// allocation of the exact length, encoded straight into it.
///
/// Envelopes are ciphertext, so a fast (not constant-time) table encoder
/// ([`b64`]) writes them; key material goes through the constant-time `base64ct`.
pub(crate) fn to_text(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(TEXT_PREFIX.len() + b64::encoded_len(bytes.len()));
    push_text(bytes, &mut out);
    out
}

/// Append the text form of `bytes` to `out` (see [`to_text`]).
pub(crate) fn push_text(bytes: &[u8], out: &mut String) {
    out.reserve(TEXT_PREFIX.len() + b64::encoded_len(bytes.len()));
    out.push_str(TEXT_PREFIX);
    // Through a stack buffer, 192 input bytes (256 symbols) at a time:
    // `String` takes bytes only as checked UTF-8 (base64 always is).
    let mut chunk = [0u8; 256];
    for part in bytes.chunks(192) {
        let n = b64::encoded_len(part.len());
        b64::encode_into(part, &mut chunk[..n]);
        out.push_str(core::str::from_utf8(&chunk[..n]).unwrap_or_default());
    }
}

/// Append the text form of `bytes` to `out` as bytes (see [`to_text`]).
pub(crate) fn append_text(bytes: &[u8], out: &mut Vec<u8>) {
    out.reserve(TEXT_PREFIX.len() + b64::encoded_len(bytes.len()));
    out.extend_from_slice(TEXT_PREFIX.as_bytes());
    b64::push_encoded(bytes, out);
}

/// Decode a text form into `buf` when it fits; `None` if it does not fit or
/// is not well formed (the caller then takes the allocating path, which
/// reports the precise error).
pub(crate) fn decode_text_into(text: &str, buf: &mut [u8]) -> Option<usize> {
    let body = text.trim().strip_prefix(TEXT_PREFIX)?;
    b64::decode(body.as_bytes(), buf)
}

pub(crate) fn from_text(text: &str) -> Result<Vec<u8>> {
    let body = text.trim().strip_prefix(TEXT_PREFIX).ok_or(Error::Malformed(EnvelopeError::NotSealed))?;
    if body.len() > MAX_ENVELOPE * 4 / 3 + 4 {
        return Err(Error::Malformed(EnvelopeError::TooLarge));
    }
    let mut out = vec![0u8; body.len() / 4 * 3 + 2];
    let n = b64::decode(body.as_bytes(), &mut out).ok_or(Error::Malformed(EnvelopeError::Base64))?;
    out.truncate(n);
    Ok(out)
}
