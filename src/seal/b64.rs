//! Unpadded URL-safe base64 (RFC 4648 §5) of envelopes and tokens, written
//! straight into the caller's buffer.
//!
//! Envelopes and token digests are not secret (ciphertext, keyed-hash
//! output), so a table encoder is fine; key material goes through the
//! constant-time `base64ct`. The `base64` crate's general-purpose engine
//! spent ~470 instructions on a 58-byte envelope (most of a text seal's
//! overhead, per callgrind); this is one table lookup per character.
//! [`decode`] accepts exactly what `base64`'s `URL_SAFE_NO_PAD` accepts
//! (no padding, no trailing bits set, no length of 1 mod 4), proven by the
//! tests below against that crate.

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
/// Symbol pairs of every 12-bit value: one lookup writes two symbols.
const PAIRS: [[u8; 2]; 4096] = {
    let mut t = [[0u8; 2]; 4096];
    let mut i = 0;
    while i < 4096 {
        t[i] = [ALPHABET[i >> 6], ALPHABET[i & 63]];
        i += 1;
    }
    t
};
/// Reverse table: 6-bit value of an alphabet byte, `INVALID` otherwise.
const INVALID: u8 = 0xFF;
const DECODE: [u8; 256] = {
    let mut t = [INVALID; 256];
    let mut i = 0;
    while i < 64 {
        t[ALPHABET[i] as usize] = i as u8;
        i += 1;
    }
    t
};

/// Encoded length of `n` bytes: 4 characters per 3 bytes, 2 or 3 for a
/// partial group.
pub(crate) const fn encoded_len(n: usize) -> usize {
    n / 3 * 4 + [0, 2, 3][n % 3]
}

/// Encode `bytes` into `out`, which must be exactly [`encoded_len`] long.
pub(crate) fn encode_into(bytes: &[u8], out: &mut [u8]) {
    debug_assert_eq!(out.len(), encoded_len(bytes.len()));
    let sym = |v: u32| ALPHABET[(v & 63) as usize];
    let whole = bytes.len() / 3 * 4;
    let (body, tail) = out.split_at_mut(whole.min(out.len()));
    // Chunk iterators: no index arithmetic or bounds checks per symbol.
    for (g, o) in bytes.chunks_exact(3).zip(body.chunks_exact_mut(4)) {
        let v = u32::from(g[0]) << 16 | u32::from(g[1]) << 8 | u32::from(g[2]);
        o[..2].copy_from_slice(&PAIRS[(v >> 12) as usize & 0xFFF]);
        o[2..].copy_from_slice(&PAIRS[v as usize & 0xFFF]);
    }
    match (bytes.chunks_exact(3).remainder(), tail) {
        ([a], [o0, o1]) => {
            *o0 = sym(u32::from(*a) >> 2);
            *o1 = sym(u32::from(*a) << 4);
        }
        ([a, b], [o0, o1, o2]) => {
            let v = u32::from(*a) << 8 | u32::from(*b);
            *o0 = sym(v >> 10);
            *o1 = sym(v >> 4);
            *o2 = sym(v << 2);
        }
        _ => {}
    }
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
    let len = text.len() / 4 * 3 + [0, 0, 1, 2][text.len() % 4];
    if text.len() % 4 == 1 || len > buf.len() {
        return None;
    }
    let quads = text.chunks_exact(4);
    let rest = quads.remainder();
    let mut at = text.len() / 4 * 3;
    // Chunk iterators: no index arithmetic or bounds checks per symbol.
    let mut bad = 0u8;
    for (q, o) in quads.zip(buf[..at].chunks_exact_mut(3)) {
        let (a, b, c, d) =
            (DECODE[q[0] as usize], DECODE[q[1] as usize], DECODE[q[2] as usize], DECODE[q[3] as usize]);
        // Valid symbols are below 64; INVALID has the top bits set.
        bad |= a | b | c | d;
        let v = u32::from(a) << 18 | u32::from(b) << 12 | u32::from(c) << 6 | u32::from(d);
        o[0] = (v >> 16) as u8;
        o[1] = (v >> 8) as u8;
        o[2] = v as u8;
    }
    if bad & 0xC0 != 0 {
        return None;
    }
    if !rest.is_empty() {
        let mut v = 0u32;
        for &ch in rest {
            let s = DECODE[ch as usize];
            if s == INVALID {
                return None;
            }
            v = v << 6 | u32::from(s);
        }
        // 2 symbols carry 8 bits (4 spare), 3 carry 16 (2 spare): spare bits must be 0.
        let spare = 6 * rest.len() as u32 % 8;
        if v & ((1 << spare) - 1) != 0 {
            return None;
        }
        let v = v >> spare;
        let n = rest.len() - 1;
        for i in 0..n {
            buf[at + i] = (v >> (8 * (n - 1 - i))) as u8;
        }
        at += n;
    }
    Some(at)
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
