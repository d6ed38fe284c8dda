//! The versioned envelope byte layout (SPEC.md §3) and its text form.

use super::b64;
use crate::error::{EnvelopeError, Error, Result};
use crate::kind_id::Kind;

/// Version byte of v1 envelopes (SPEC.md §3): 96-bit random nonce under the
/// scope key, unkeyed context check. Opened forever; written only by the
/// test-vector hooks.
pub(crate) const VERSION_1: u8 = 1;
/// Version byte of v2 envelopes (SPEC.md §3a): 192-bit extended nonce
/// (XAES-256-GCM for `aes` keys, its SM4 analogue for `gm` keys), keyed
/// context check. Every seal writes it, root-key and subject-key (SPEC.md §5.3).
pub(crate) const VERSION_2: u8 = 2;
/// AES-256-GCM under an HKDF-SHA256 scope key derived from a keyring root key.
pub(crate) const ALG_ROOT: u8 = 1;
/// Sealed under a scope key derived from a subject data key (SPEC.md §5.3):
/// AES-256-GCM in v1, XAES-256-GCM in v2.
pub(crate) const ALG_SUBJECT: u8 = 2;
/// The GCM nonce: all of a v1 nonce, the second half of a v2 one.
pub(crate) const NONCE_LEN: usize = 12;
/// The v2 extended nonce.
pub(crate) const XNONCE_LEN: usize = super::xgcm::XNONCE_LEN;
pub(crate) const TAG_LEN: usize = 16;
/// v1: version(1) algorithm(1) key_id(4) kind(2) context_check(4) nonce(12).
pub(crate) const HEADER_LEN: usize = 24;
/// v2: version(1) algorithm(1) key_id(4) kind(2) context_check(4) nonce(24).
pub(crate) const HEADER_LEN_V2: usize = 36;
/// The header bytes before the nonce, which open the associated data.
pub(crate) const AAD_HEADER_LEN: usize = 12;
/// Prefix of the text form: `dz1.` names the text encoding (SPEC.md §3.7);
/// the version byte inside tells a v1 envelope from a v2 one.
pub(crate) const TEXT_PREFIX: &str = "dz1.";
/// Largest envelope accepted (1 MiB biometric + overhead, with room).
pub(crate) const MAX_ENVELOPE: usize = (1 << 20) + 4096;

/// The header length of envelope version `version` (1 or 2).
pub(crate) const fn header_len(version: u8) -> usize {
    if version == VERSION_2 { HEADER_LEN_V2 } else { HEADER_LEN }
}

/// The parsed, not yet authenticated, header of an envelope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Header {
    /// [`VERSION_1`] or [`VERSION_2`].
    pub version: u8,
    pub algorithm: u8,
    pub key_id: u32,
    pub kind: Kind,
    pub check: [u8; 4],
    /// v2: the first half of the extended nonce, from which the message key
    /// is derived; all zero (and not written) in v1.
    pub kdf_nonce: [u8; NONCE_LEN],
    /// The GCM nonce: v1's whole nonce, v2's second half.
    pub nonce: [u8; NONCE_LEN],
}

impl Header {
    /// A v2 root-key header with extended nonce `xnonce`.
    pub(crate) fn v2(key_id: u32, kind: Kind, check: [u8; 4], xnonce: &[u8; XNONCE_LEN]) -> Header {
        let mut kdf_nonce = [0u8; NONCE_LEN];
        let mut nonce = [0u8; NONCE_LEN];
        kdf_nonce.copy_from_slice(&xnonce[..NONCE_LEN]);
        nonce.copy_from_slice(&xnonce[NONCE_LEN..]);
        Header { version: VERSION_2, algorithm: ALG_ROOT, key_id, kind, check, kdf_nonce, nonce }
    }

    /// A v2 subject-key header (SPEC.md §5.3: algorithm 2, key id 0) with
    /// extended nonce `xnonce`.
    pub(crate) fn v2_subject(kind: Kind, check: [u8; 4], xnonce: &[u8; XNONCE_LEN]) -> Header {
        Header { algorithm: ALG_SUBJECT, key_id: 0, ..Header::v2(0, kind, check, xnonce) }
    }

    /// The length of this header in the envelope.
    pub(crate) fn len(&self) -> usize {
        header_len(self.version)
    }

    /// Write the header bytes into `out[..self.len()]`.
    pub(crate) fn write_to(&self, out: &mut [u8]) {
        out[0] = self.version;
        out[1] = self.algorithm;
        out[2..6].copy_from_slice(&self.key_id.to_be_bytes());
        out[6..8].copy_from_slice(&self.kind.code().to_be_bytes());
        out[8..12].copy_from_slice(&self.check);
        if self.version == VERSION_2 {
            out[12..24].copy_from_slice(&self.kdf_nonce);
            out[24..HEADER_LEN_V2].copy_from_slice(&self.nonce);
        } else {
            out[12..HEADER_LEN].copy_from_slice(&self.nonce);
        }
    }

    /// Parse and structurally check an envelope: length, version, algorithm,
    /// kind code (SPEC.md §3.8 checks 1–6; both versions take root and
    /// subject keys).
    pub(crate) fn parse(bytes: &[u8]) -> Result<Header> {
        if bytes.is_empty() {
            return Err(Error::Truncated);
        }
        let version = bytes[0];
        if version != VERSION_1 && version != VERSION_2 {
            return Err(Error::UnsupportedVersion(version));
        }
        let head_len = header_len(version);
        if bytes.len() < head_len + TAG_LEN {
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
        let mut kdf_nonce = [0u8; NONCE_LEN];
        if version == VERSION_2 {
            kdf_nonce.copy_from_slice(&bytes[12..24]);
        }
        let mut nonce = [0u8; NONCE_LEN];
        nonce.copy_from_slice(&bytes[head_len - NONCE_LEN..head_len]);
        Ok(Header { version, algorithm, key_id, kind, check, kdf_nonce, nonce })
    }
}

/// `dz1.` followed by unpadded URL-safe base64 of the binary envelope: one
/// allocation of the exact length, encoded straight into it.
///
/// Envelopes are ciphertext, so a fast (not constant-time) table encoder
/// ([`b64`]) writes them; key material goes through the constant-time `base64ct`.
pub(crate) fn to_text(bytes: &[u8]) -> String {
    let mut out = Vec::with_capacity(TEXT_PREFIX.len() + b64::encoded_len(bytes.len()));
    append_text(bytes, &mut out);
    // Base64 is ASCII: the check cannot fail (and would give "", never a
    // wrong envelope).
    String::from_utf8(out).unwrap_or_default()
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
