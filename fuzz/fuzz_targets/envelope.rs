//! Envelope decoding (`Sealed::from_bytes`, `from_text`) and opening
//! (`Keyring::open`, `open_text`) with the keyring of the seal vectors.
//!
//! Never a panic, and never `Ok` from an open unless the envelope is
//! byte-identical to a valid one (a vector) and the context is the one it
//! was sealed for; the value is then the vector's.
//!
//! Input: a mode byte, a kind byte, then (by mode) raw envelope bytes, an
//! envelope text, mutations of a vector envelope, or context fields.
#![no_main]

use desensitize::{Context, Kind, Sealable, Sealed};
use desensitize_fuzz::vectors::{self, SealVector};
use desensitize_fuzz::{
    Bytes, FuzzKind, context, kind_selector, mutate, spec_seal, text, vector_keyring, with_sealable_kind,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut input = Bytes(data);
    let mode = input.u8();
    let selector = input.u8();
    match mode % 6 {
        0 => with_sealable_kind!(selector, decode_bytes(input.rest())),
        1 => with_sealable_kind!(selector, decode_text(&text(input.rest()))),
        5 => with_sealable_kind!(selector, open_any_plaintext(input.rest())),
        2 | 3 => {
            // A vector envelope (binary or text form), mutated.
            let all = vectors::seal();
            let v = &all[usize::from(selector) % all.len()];
            let kind: Kind = v.kind.parse().expect("vector kind");
            let (ops, binary) = (input.rest(), mode % 6 == 2);
            with_sealable_kind!(kind_selector(kind), open_mutated(v, ops, binary));
        }
        _ => {
            // A vector envelope opened in a context made of fuzzed fields.
            let all = vectors::seal();
            let v = &all[usize::from(selector) % all.len()];
            let kind: Kind = v.kind.parse().expect("vector kind");
            with_sealable_kind!(kind_selector(kind), open_elsewhere(v, input.rest()));
        }
    }
});

/// Every vector that opens as a `T`, with its context.
fn vectors_of<T: Sealable>() -> impl Iterator<Item = &'static SealVector> {
    vectors::seal().iter().filter(|v| v.kind == T::KIND.as_str())
}

/// `Ok` from an open is allowed only for a vector's exact bytes and context,
/// and must give that vector's value.
fn assert_opened_is_vector<T: FuzzKind + Sealable>(bytes: &[u8], ctx: &Context, value: &T) {
    let v = vectors_of::<T>()
        .find(|v| v.envelope == bytes && context(&v.context) == *ctx)
        .unwrap_or_else(|| panic!("{}: an envelope that is no vector opened: {bytes:02x?}", T::KIND));
    let expected: T = v.plaintext.parse().expect("vector plaintext");
    assert!(*value == expected, "{}: vector opened to another value", T::KIND);
}

/// Structure checks, then an open in every context a `T` vector uses.
fn decode_bytes<T: FuzzKind + Sealable>(bytes: &[u8]) {
    let Ok(sealed) = Sealed::<T>::from_bytes(bytes) else { return };
    assert_eq!(sealed.as_bytes(), bytes);
    assert_eq!(sealed.key_id(), u32::from_be_bytes([bytes[2], bytes[3], bytes[4], bytes[5]]));
    let text = sealed.to_text();
    let back = Sealed::<T>::from_text(&text).expect("to_text of an envelope parses");
    assert!(back == sealed, "text form round trip");
    assert_eq!(Sealed::<T>::from_vec(bytes.to_vec()).expect("from_vec agrees with from_bytes"), sealed);
    let keyring = vector_keyring();
    for v in vectors_of::<T>() {
        let ctx = context(&v.context);
        if let Ok(value) = keyring.open(&sealed, &ctx, "fuzz") {
            assert_opened_is_vector(bytes, &ctx, &value);
        }
        if let Ok(value) = keyring.open_text::<T>(&text, &ctx, "fuzz") {
            assert_opened_is_vector(bytes, &ctx, &value);
        }
    }
}

/// The text form: `from_text` and `open_text` agree, and an open succeeds
/// only on a vector's bytes.
fn decode_text<T: FuzzKind + Sealable>(text: &str) {
    let parsed = Sealed::<T>::from_text(text);
    if let Ok(sealed) = &parsed {
        // The body decodes strictly (SPEC.md §3.7), so it is the one text
        // of these bytes.
        assert_eq!(sealed.to_text(), text.trim(), "non-canonical text form accepted");
    }
    let keyring = vector_keyring();
    for v in vectors_of::<T>() {
        let ctx = context(&v.context);
        let opened = keyring.open_text::<T>(text, &ctx, "fuzz");
        match (&opened, &parsed) {
            (Ok(value), Ok(sealed)) => assert_opened_is_vector(sealed.as_bytes(), &ctx, value),
            (Ok(_), Err(e)) => panic!("{}: open_text opened a text that from_text refuses ({e})", T::KIND),
            (Err(_), _) => {}
        }
    }
}

/// A vector's envelope with a few bytes flipped, inserted or removed: any
/// actual change must fail to open.
fn open_mutated<T: FuzzKind + Sealable>(v: &SealVector, ops: &[u8], binary: bool) {
    let keyring = vector_keyring();
    let ctx = context(&v.context);
    if binary {
        let mut bytes = v.envelope.clone();
        mutate(&mut bytes, ops);
        let Ok(sealed) = Sealed::<T>::from_bytes(&bytes) else { return };
        match keyring.open(&sealed, &ctx, "fuzz") {
            Ok(value) => assert_opened_is_vector(&bytes, &ctx, &value),
            Err(e) => assert!(bytes != v.envelope, "{}: a vector does not open: {e}", T::KIND),
        }
    } else {
        let mut text = v.envelope_text.clone().into_bytes();
        mutate(&mut text, ops);
        let text = String::from_utf8_lossy(&text);
        match keyring.open_text::<T>(&text, &ctx, "fuzz") {
            Ok(value) => {
                let sealed = Sealed::<T>::from_text(&text).expect("open_text opened it, so it parses");
                assert_opened_is_vector(sealed.as_bytes(), &ctx, &value);
            }
            Err(e) => assert!(text != v.envelope_text, "{}: a vector text does not open: {e}", T::KIND),
        }
    }
}

/// A vector's envelope in a context built from fuzzed fields: it opens
/// only where that context equals the vector's.
fn open_elsewhere<T: FuzzKind + Sealable>(v: &SealVector, fields: &[u8]) {
    let text = String::from_utf8_lossy(fields);
    // Fields separated by '\n', name and value by '='; a first line
    // "none" starts from the empty context, else the first two values are
    // table and column.
    let mut lines = text.split('\n');
    let first = lines.next().unwrap_or_default();
    let mut ctx = if first == "none" {
        Context::none()
    } else {
        let (table, column) = first.split_once('=').unwrap_or((first, ""));
        Context::new(table, column)
    };
    for line in lines {
        let (name, value) = line.split_once('=').unwrap_or((line, ""));
        ctx = ctx.with(name, value);
    }
    let sealed = Sealed::<T>::from_bytes(&v.envelope).expect("vector parses");
    if let Ok(value) = vector_keyring().open(&sealed, &ctx, "fuzz") {
        assert_opened_is_vector(&v.envelope, &ctx, &value);
    }
}

/// Any plaintext, sealed as a `T` by the SPEC.md §3.4 construction: it
/// opens exactly when it is the canonical plaintext of a `T` (§3.8 check
/// 12), and then to that value; otherwise the error is `Invalid`.
fn open_any_plaintext<T: FuzzKind + Sealable>(plaintext: &[u8]) {
    let envelope = spec_seal(T::KIND, plaintext, [5; 12]);
    let sealed = Sealed::<T>::from_bytes(&envelope).expect("a SPEC envelope parses");
    match vector_keyring().open(&sealed, &Context::none(), "fuzz") {
        Ok(value) => assert_eq!(
            value.plaintext_bytes(),
            plaintext,
            "{}: opened a non-canonical plaintext {:?}",
            T::KIND,
            String::from_utf8_lossy(plaintext)
        ),
        Err(e) => {
            assert!(
                matches!(e, desensitize::Error::Invalid { kind, .. } if kind == T::KIND),
                "{}: refused plaintext with {e:?}",
                T::KIND
            );
            if let Some(v) = T::from_plaintext(plaintext) {
                assert!(
                    v.plaintext_bytes() != plaintext,
                    "{}: refused the canonical plaintext {:?} ({e})",
                    T::KIND,
                    String::from_utf8_lossy(plaintext)
                );
            }
        }
    }
}
