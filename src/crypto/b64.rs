//! Unpadded URL-safe base64 (RFC 4648 §5) of envelopes and tokens, written
//! straight into the caller's buffer by the `base64` crate's engine.
//!
//! Envelopes and token digests are not secret (ciphertext, keyed-hash
//! output), so the general-purpose engine is fine; key material goes
//! through the constant-time `base64ct`. The engine's `encode_slice` and
//! `decode_slice` write into buffers sized here, so a text seal makes one
//! allocation. [`decode`] refuses padding, set trailing bits and a length
//! of 1 mod 4 (the engine's `URL_SAFE_NO_PAD` configuration), so every
//! value has exactly one text form.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// Encoded length of `n` bytes: 4 characters per 3 bytes, 2 or 3 for a
/// partial group.
pub(crate) const fn encoded_len(n: usize) -> usize {
    n / 3 * 4 + [0, 2, 3][n % 3]
}

/// Encode `bytes` into `out`, which must be exactly [`encoded_len`] long.
pub(crate) fn encode_into(bytes: &[u8], out: &mut [u8]) {
    debug_assert_eq!(out.len(), encoded_len(bytes.len()));
    let written = URL_SAFE_NO_PAD.encode_slice(bytes, out);
    debug_assert_eq!(written.ok(), Some(out.len()));
}

/// Append the encoding of `bytes` to `out`.
pub(crate) fn push_encoded(bytes: &[u8], out: &mut Vec<u8>) {
    let start = out.len();
    out.resize(start + encoded_len(bytes.len()), 0);
    encode_into(bytes, &mut out[start..]);
}

/// Decode `text` into the front of `buf`; the decoded length, or `None` if
/// `text` is not canonical unpadded URL-safe base64 or does not fit.
pub(crate) fn decode(text: &[u8], buf: &mut [u8]) -> Option<usize> {
    // The exact decoded length, checked here so that a text too long for
    // `buf` is refused before the engine runs.
    let len = text.len() / 4 * 3 + [0, 0, 1, 2][text.len() % 4];
    if text.len() % 4 == 1 || len > buf.len() {
        return None;
    }
    let n = URL_SAFE_NO_PAD.decode_slice(text, &mut buf[..len]).ok()?;
    (n == len).then_some(n)
}

#[cfg(test)]
mod tests {
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn rfc_4648_examples_unpadded() {
        for (plain, enc) in [
            ("", ""),
            ("f", "Zg"),
            ("fo", "Zm8"),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg"),
            ("fooba", "Zm9vYmE"),
            ("foobar", "Zm9vYmFy"),
        ] {
            let mut out = vec![0; encoded_len(plain.len())];
            encode_into(plain.as_bytes(), &mut out);
            assert_eq!(out, enc.as_bytes());
            let mut buf = [0u8; 8];
            assert_eq!(decode(enc.as_bytes(), &mut buf), Some(plain.len()));
            assert_eq!(&buf[..plain.len()], plain.as_bytes());
        }
        // URL-safe symbols, padding, trailing bits, a lone symbol, no room.
        let mut buf = [0u8; 8];
        assert_eq!(decode(b"-_8", &mut buf), Some(2));
        assert_eq!(&buf[..2], &[0xFB, 0xFF]);
        for bad in [&b"Zg=="[..], b"Zh", b"Z", b"+/8", b"Zm9v\n", b"Zm 9"] {
            assert_eq!(decode(bad, &mut buf), None, "{bad:?}");
        }
        assert_eq!(decode(b"Zm9vYmFy", &mut [0u8; 5]), None);
    }

    proptest! {
        #[test]
        fn encodes_like_the_base64_crate(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let mut out = Vec::new();
            push_encoded(&bytes, &mut out);
            prop_assert_eq!(out, URL_SAFE_NO_PAD.encode(&bytes).into_bytes());
        }

        #[test]
        fn decodes_exactly_what_the_base64_crate_decodes(text in "[A-Za-z0-9_=+/ -]{0,40}") {
            let mut buf = [0u8; 64];
            let ours = decode(text.as_bytes(), &mut buf).map(|n| buf[..n].to_vec());
            prop_assert_eq!(ours, URL_SAFE_NO_PAD.decode(text.as_bytes()).ok());
        }

        #[test]
        fn decodes_what_it_encodes(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let mut text = Vec::new();
            push_encoded(&bytes, &mut text);
            // An exactly sized buffer is enough.
            let mut exact = vec![0u8; bytes.len()];
            prop_assert_eq!(decode(&text, &mut exact), Some(bytes.len()));
            prop_assert_eq!(&exact[..], &bytes[..]);
            let mut buf = [0u8; 200];
            let n = decode(&text, &mut buf);
            prop_assert_eq!(n, Some(bytes.len()));
            prop_assert_eq!(&buf[..bytes.len()], &bytes[..]);
            // Every one-symbol change either fails or decodes to other bytes.
            if !text.is_empty() {
                let i = bytes.len() % text.len();
                text[i] = if text[i] == b'A' { b'B' } else { b'A' };
                if let Some(m) = decode(&text, &mut buf) {
                    prop_assert!(m != bytes.len() || buf[..m] != bytes[..]);
                }
            }
        }
    }
}
