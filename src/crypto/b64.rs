//! Unpadded URL-safe base64 (RFC 4648 §5) of envelopes and tokens, written
//! straight into the caller's buffer.
//!
//! Envelopes and token digests are not secret (ciphertext, keyed-hash
//! output), so table lookups indexed by their bytes are fine; key material
//! goes through the constant-time `base64ct`. The tables are built at
//! compile time from the 64-symbol alphabet:
//!
//! - encoding looks up two symbols per 12 bits ([`PAIRS`], 8 KiB): two
//!   loads per 3 input bytes, where a symbol-at-a-time encoder (the
//!   `base64` crate's) needs four loads and the bit work around them; on a
//!   `dz1.` envelope of a phone number (63 bytes) that is about a third of
//!   the instructions;
//! - decoding looks up each symbol already shifted into its place in the
//!   24-bit group ([`SHIFTED`]), with an invalid symbol setting bit 31, so
//!   a group is four loads and three `or`s and validity is one test at the
//!   end.
//!
//! [`decode`] refuses padding, set trailing bits, a length of 1 mod 4 and
//! any symbol outside the URL-safe alphabet, so every value has exactly one
//! text form. The tests check both directions against the `base64` crate.

/// The URL-safe alphabet (RFC 4648 §5, Table 2).
const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// The two symbols of every 12-bit value as a little-endian `u16` (the
/// symbol of the high six bits in the low byte, so that it is written first).
static PAIRS: [u16; 4096] = {
    let mut t = [0u16; 4096];
    let mut i = 0;
    while i < 4096 {
        t[i] = u16::from_le_bytes([ALPHABET[i >> 6], ALPHABET[i & 63]]);
        i += 1;
    }
    t
};

/// The symbols of the 12 bits of `n` from bit `at` up, as a `u64`.
#[inline(always)]
fn pair(n: u64, at: u32) -> u64 {
    u64::from(PAIRS[(n >> at) as usize & 0xfff])
}

/// Set in a [`SHIFTED`] entry of a byte outside the alphabet.
const INVALID: u32 = 1 << 31;

/// `SHIFTED[k][c]`: the six bits of symbol `c` at position `k` (0 to 3) of
/// a 4-symbol group, shifted to their place in its 24 bits; [`INVALID`]
/// for a byte outside the alphabet.
static SHIFTED: [[u32; 256]; 4] = {
    let mut t = [[INVALID; 256]; 4];
    let mut v = 0;
    while v < 64 {
        let c = ALPHABET[v] as usize;
        let mut k = 0;
        while k < 4 {
            t[k][c] = (v as u32) << (18 - 6 * k);
            k += 1;
        }
        v += 1;
    }
    t
};

/// Encoded length of `n` bytes: 4 characters per 3 bytes, 2 or 3 for a
/// partial group.
pub(crate) const fn encoded_len(n: usize) -> usize {
    n / 3 * 4 + [0, 2, 3][n % 3]
}

/// Encode `bytes` into `out`, which must be exactly [`encoded_len`] long
/// (a shorter `out` panics: every caller sizes it from `bytes`).
pub(crate) fn encode_into(bytes: &[u8], out: &mut [u8]) {
    assert_eq!(out.len(), encoded_len(bytes.len()), "b64 output sized by encoded_len");
    // Six bytes (48 bits, four pairs) into one 8-symbol word at a time.
    let mut ins = bytes.chunks_exact(6);
    let mut outs = out.chunks_exact_mut(8);
    for (i, o) in (&mut ins).zip(&mut outs) {
        let n = u64::from_be_bytes([0, 0, i[0], i[1], i[2], i[3], i[4], i[5]]);
        let word = pair(n, 36) | pair(n, 24) << 16 | pair(n, 12) << 32 | pair(n, 0) << 48;
        o.copy_from_slice(&word.to_le_bytes());
    }
    // What is left: up to five bytes, a full group of three first.
    let (rest, o) = (ins.remainder(), outs.into_remainder());
    let (group, tail) = rest.split_at(rest.len() / 3 * 3);
    let (o, o_tail) = o.split_at_mut(group.len() / 3 * 4);
    if let [a, b, c] = *group {
        let n = u64::from(a) << 16 | u64::from(b) << 8 | u64::from(c);
        o.copy_from_slice(&(pair(n, 12) | pair(n, 0) << 16).to_le_bytes()[..4]);
    }
    match *tail {
        [a] => o_tail.copy_from_slice(&PAIRS[usize::from(a) << 4].to_le_bytes()),
        [a, b] => {
            let n = (u64::from(a) << 8 | u64::from(b)) << 2;
            o_tail.copy_from_slice(
                &(pair(n, 6) | u64::from(ALPHABET[n as usize & 63]) << 16).to_le_bytes()[..3],
            );
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
/// `text` is not canonical unpadded URL-safe base64 or does not fit. On
/// `None` the front of `buf` may hold part of the decoding.
pub(crate) fn decode(text: &[u8], buf: &mut [u8]) -> Option<usize> {
    // The exact decoded length, checked here so that a text too long for
    // `buf` is refused before anything is written.
    let len = text.len() / 4 * 3 + [0, 0, 1, 2][text.len() % 4];
    if text.len() % 4 == 1 || len > buf.len() {
        return None;
    }
    let [s0, s1, s2, s3] = &SHIFTED;
    let group = |i: &[u8]| {
        s0[usize::from(i[0])] | s1[usize::from(i[1])] | s2[usize::from(i[2])] | s3[usize::from(i[3])]
    };
    let mut bad = 0u32;
    // Eight symbols (two groups) into six bytes at a time.
    let mut ins = text.chunks_exact(8);
    let mut outs = buf[..len].chunks_exact_mut(6);
    for (i, o) in (&mut ins).zip(&mut outs) {
        let (hi, lo) = (group(&i[..4]), group(&i[4..]));
        bad |= hi | lo;
        let word = u64::from(hi) << 24 | u64::from(lo);
        o.copy_from_slice(&word.to_be_bytes()[2..]);
    }
    let (rest, o) = (ins.remainder(), outs.into_remainder());
    let mut ins = rest.chunks_exact(4);
    let mut outs = o.chunks_exact_mut(3);
    for (i, o) in (&mut ins).zip(&mut outs) {
        let n = group(i);
        bad |= n;
        o.copy_from_slice(&n.to_be_bytes()[1..]);
    }
    let (rest, o) = (ins.remainder(), outs.into_remainder());
    match *rest {
        [a, b] => {
            let n = s0[usize::from(a)] | s1[usize::from(b)];
            // The last symbol's low four bits are padding: they must be 0.
            bad |= n | u32::from(n & 0xf000 != 0) << 31;
            o[0] = (n >> 16) as u8;
        }
        [a, b, c] => {
            let n = s0[usize::from(a)] | s1[usize::from(b)] | s2[usize::from(c)];
            // The last symbol's low two bits are padding: they must be 0.
            bad |= n | u32::from(n & 0xc0 != 0) << 31;
            o.copy_from_slice(&n.to_be_bytes()[1..3]);
        }
        _ => {}
    }
    (bad & INVALID == 0).then_some(len)
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

    /// Every input of up to two bytes encodes as the `base64` crate does,
    /// and every text of two or three symbols (every tail a decoder meets)
    /// and every byte in every position of a longer text decodes (or is
    /// refused) exactly as the crate decodes it.
    #[test]
    fn every_short_input_and_tail_agrees_with_the_base64_crate() {
        for n in 0..=0xFFFFusize {
            for bytes in [&[n as u8][..], &(n as u16).to_be_bytes()[..]] {
                let mut out = [0u8; 3];
                let out = &mut out[..encoded_len(bytes.len())];
                encode_into(bytes, out);
                assert_eq!(&*out, URL_SAFE_NO_PAD.encode(bytes).as_bytes());
            }
        }
        let symbols: Vec<u8> = (0..=255u8).collect();
        let mut buf = [0u8; 3];
        for &a in &symbols {
            for &b in &symbols {
                let text = [a, b];
                let want = URL_SAFE_NO_PAD.decode(text).ok();
                assert_eq!(decode(&text, &mut buf).map(|n| buf[..n].to_vec()), want, "{text:?}");
            }
        }
        for a in ALPHABET.iter().step_by(7) {
            for b in ALPHABET {
                for &c in &symbols {
                    let text = [*a, *b, c];
                    let want = URL_SAFE_NO_PAD.decode(text).ok();
                    assert_eq!(decode(&text, &mut buf).map(|n| buf[..n].to_vec()), want, "{text:?}");
                }
            }
        }
        // Two symbols of eight, a group of four and a tail of three: a
        // byte in each position of each path.
        let mut long = [0u8; 11];
        for at in 0..15 {
            for &c in &symbols {
                let mut text = *b"Zm9vYmFyZm9vYmE";
                text[at] = c;
                let want = URL_SAFE_NO_PAD.decode(text).ok();
                assert_eq!(decode(&text, &mut long).map(|n| long[..n].to_vec()), want, "{text:?}");
            }
        }
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
