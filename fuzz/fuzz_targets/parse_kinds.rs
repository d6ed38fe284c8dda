//! Every kind's parser: no panic, value-free errors, redacted `Debug`,
//! `Display` = standard mask, canonical round trip, seal/open round trip.
//!
//! Input: one selector byte (which parser), then the text to parse.
#![no_main]

use desensitize::{Biometric, Context, Error, PasswordHash, Sealable};
use desensitize_fuzz::{
    Bytes, FuzzKind, check_parse, check_password, spec_seal, text, vector_keyring, with_sealable_kind,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut input = Bytes(data);
    let selector = input.u8();
    let rest = input.rest();
    match selector % 18 {
        15 => check_password(&text(rest)),
        16 => check_password_hash(&text(rest)),
        17 => check_biometric_bytes(rest),
        k => with_sealable_kind!(k, parse_and_seal(&text(rest))),
    }
});

/// Parse, then seal and open the value: it comes back equal.
fn parse_and_seal<T: FuzzKind + Sealable>(input: &str) {
    let Some(value) = check_parse::<T>(input) else { return };
    let keyring = vector_keyring();
    let ctx = Context::new("fuzz", T::KIND.as_str()).with_row("1");
    let sealed = keyring.seal_with_nonce(&value, &ctx, [7; 12]).expect("a parsed value seals");
    let opened = keyring.open(&sealed, &ctx, "fuzz").expect("a sealed value opens");
    assert!(opened == value, "{}: seal/open changed {input:?}", T::KIND);
    let text = keyring.seal_text(&value, &ctx).expect("a parsed value seals to text");
    let opened = keyring.open_text::<T>(&text, &ctx, "fuzz").expect("a sealed text opens");
    assert!(opened == value, "{}: seal_text/open_text changed {input:?}", T::KIND);
    // The crate's envelope is the one SPEC.md §3.3-§3.5 describes.
    let nonce = [3; 12];
    let sealed = keyring.seal_with_nonce(&value, &Context::none(), nonce).expect("seals");
    let spec = spec_seal(T::KIND, &value.plaintext_bytes(), nonce);
    assert_eq!(sealed.as_bytes(), &spec[..], "{}: envelope differs from SPEC.md for {input:?}", T::KIND);
}

/// A PHC string is not plaintext (it is what is stored), so only
/// structure is checked; `verify` is not called (a PHC string sets the
/// Argon2 cost).
fn check_password_hash(input: &str) {
    match input.parse::<PasswordHash>() {
        Ok(hash) => {
            assert_eq!(hash.as_str(), input.trim(), "PasswordHash keeps the trimmed PHC string");
            let again: PasswordHash = hash.as_str().parse().expect("a parsed PHC string parses again");
            assert!(again == hash, "PasswordHash round trip");
        }
        Err(e) => assert!(matches!(e, Error::PasswordHash(_)), "PasswordHash parse error {e:?}"),
    }
}

/// Raw template bytes: accepted iff 1 byte to 1 MiB, kept as given.
fn check_biometric_bytes(bytes: &[u8]) {
    match Biometric::from_bytes(bytes.to_vec()) {
        Ok(t) => {
            assert_eq!(t.expose(), bytes);
            assert_eq!(format!("{t:?}"), "Biometric([REDACTED])");
            assert_eq!(t.to_string(), "[biometric]");
            let again: Biometric = t.canonical_text().parse().expect("base64 of a template parses");
            assert!(again == t, "Biometric base64 round trip");
        }
        Err(e) => {
            assert!(bytes.is_empty(), "Biometric refused {} bytes: {e}", bytes.len());
            assert_eq!(
                e,
                Error::Invalid { kind: desensitize::Kind::Biometric, reason: desensitize::Invalid::Empty }
            );
        }
    }
}
