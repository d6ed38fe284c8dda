//! GCM over an envelope: the header and the bound context fields as
//! associated data (SPEC.md §3.4), sealed in place, opened into a buffer
//! that wipes itself. Generic over the GCM cipher: AES-256-GCM (v1, and
//! v2's per-message key) or SM4-GCM (`gm` keys).

use aes_gcm::aead::consts::{U12, U16};
use aes_gcm::aead::{AeadCore, AeadInOut};
use aes_gcm::{Nonce, Tag};
use zeroize::{Zeroize, Zeroizing};

use super::envelope::{AAD_HEADER_LEN, Header, NONCE_LEN, TAG_LEN, header_len};
use super::random;
use crate::error::{EnvelopeError, Error, Result};

/// Run `f` over the associated data `header[..12] || extra || bound context
/// fields` (SPEC.md §3.4) without allocating for small inputs. The nonce is
/// left out: GCM authenticates it intrinsically (it determines the tag mask).
/// `bound`: the context's associated data ([`Context::bound_encoded`](super::context::Context::bound_encoded)).
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
pub(crate) fn with_scratch<const N: usize, R>(len: usize, f: impl FnOnce(&mut [u8]) -> R) -> R {
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

/// A fresh 192-bit extended nonce for a v2 envelope (see [`random`]).
pub(crate) fn fresh_xnonce() -> Result<[u8; super::envelope::XNONCE_LEN]> {
    random::bytes()
}

/// A GCM cipher with a 96-bit nonce and a 128-bit tag.
pub(crate) trait Gcm: AeadInOut + AeadCore<NonceSize = U12, TagSize = U16> {}
impl<C: AeadInOut + AeadCore<NonceSize = U12, TagSize = U16>> Gcm for C {}

/// Write the envelope of `plaintext` into `out`, which must be exactly
/// `header.len() + plaintext.len() + TAG_LEN` bytes.
pub(crate) fn seal_into(
    cipher: &impl Gcm,
    header: &Header,
    extra_aad: &[u8],
    bound: &[u8],
    plaintext: &[u8],
    out: &mut [u8],
) -> Result<()> {
    let head_len = header.len();
    out[head_len..head_len + plaintext.len()].copy_from_slice(plaintext);
    seal_in_place(cipher, header, extra_aad, bound, out)
}

/// Seal `out = [header space | plaintext | tag space]` in place: write the
/// header, encrypt the body, write the tag. On an error `out` is wiped.
fn seal_in_place(
    cipher: &impl Gcm,
    header: &Header,
    extra_aad: &[u8],
    bound: &[u8],
    out: &mut [u8],
) -> Result<()> {
    let (head, rest) = out.split_at_mut(header.len());
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
            Err(Error::Malformed(EnvelopeError::ValueTooLong))
        }
    }
}

/// Authenticate and decrypt a structurally valid envelope (of either
/// version: the GCM nonce is the last 12 bytes of its header) bound to the
/// context fields encoded as `bound`.
pub(crate) fn open_bound(
    cipher: &impl Gcm,
    bytes: &[u8],
    extra_aad: &[u8],
    bound: &[u8],
) -> Result<Zeroizing<Vec<u8>>> {
    let head_len = header_len(*bytes.first().ok_or(Error::Truncated)?);
    if bytes.len() < head_len + TAG_LEN {
        return Err(Error::Truncated);
    }
    let (head, rest) = bytes.split_at(head_len);
    let (ct, tag) = rest.split_at(rest.len() - TAG_LEN);
    let tag = Tag::try_from(tag).map_err(|_| Error::Truncated)?;
    let nonce = Nonce::try_from(&head[head_len - NONCE_LEN..]).map_err(|_| Error::Truncated)?;
    let mut buf = Zeroizing::new(ct.to_vec());
    with_aad(head, extra_aad, bound, |aad| {
        cipher.decrypt_inout_detached(&nonce, aad, buf.as_mut_slice().into(), &tag)
    })
    .map_err(|_| Error::AuthenticationFailed)?;
    Ok(buf)
}
