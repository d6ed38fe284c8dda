//! Properties of envelope decoding and keyring-file reading that reach the
//! interesting branches: valid envelopes, mutated, must parse exactly when a
//! reference model of SPEC.md §3.8 says so, and open only when unchanged;
//! damaged keyring files with a correct checksum fail with the exact error.

use crate::common;

use std::sync::OnceLock;

use base64ct::{Base64UrlUnpadded, Encoding};
use desensitize::keys::PassphraseProvider;
use desensitize::{Context, EnvelopeError, Error, IdNumber, Keyring, KeyringFileError, Kind, Sealed};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig { cases, failure_persistence: None, ..ProptestConfig::default() }
}

fn keyring() -> &'static Keyring {
    static KEYRING: OnceLock<Keyring> = OnceLock::new();
    KEYRING.get_or_init(|| Keyring::generate().unwrap())
}

fn id() -> IdNumber {
    "11010519491231002X".parse().unwrap()
}

fn ctx(row: u32) -> Context {
    Context::new("props", "id").with_row(&row.to_string())
}

/// SPEC.md §3.8 checks 1-7 for a caller expecting an ID number.
fn expected_parse(b: &[u8]) -> Result<(), Error> {
    if b.is_empty() {
        return Err(Error::Truncated);
    }
    if b[0] != 1 && b[0] != 2 {
        return Err(Error::UnsupportedVersion(b[0]));
    }
    // v1: 24-byte header, v2: 36-byte header; a 16-byte tag after either.
    if b.len() < if b[0] == 1 { 40 } else { 52 } {
        return Err(Error::Truncated);
    }
    if b.len() > 1_052_672 {
        return Err(Error::Malformed(EnvelopeError::TooLarge));
    }
    // Root-key (1) and subject-key (2) envelopes, in both versions.
    if b[1] != 1 && b[1] != 2 {
        return Err(Error::UnsupportedAlgorithm(b[1]));
    }
    let code = u16::from_be_bytes([b[6], b[7]]);
    let kind = Kind::ALL
        .into_iter()
        .find(|k| k.code() == code)
        .ok_or(Error::Malformed(EnvelopeError::UnknownKindCode))?;
    if kind != Kind::IdNumber {
        return Err(Error::KindMismatch { expected: Kind::IdNumber, found: kind });
    }
    Ok(())
}

/// The context check a version-`version` envelope sealed at `ctx` carries:
/// v1's unkeyed one (SPEC.md §3.5), v2's keyed one (§3a.4).
fn check_for(version: u8, ctx: &Context) -> [u8; 4] {
    let keyring = keyring();
    let bytes = if version == 1 {
        keyring.seal_with_nonce(&id(), ctx, [0; 12]).unwrap().into_bytes()
    } else {
        keyring.seal(&id(), ctx).unwrap().into_bytes()
    };
    bytes[8..12].try_into().unwrap()
}

/// SPEC.md §3.8 checks 8-11 (and §3a.6 for v2) for a structurally valid
/// `b`, sealed as `original` at `sealed_at`, opened at `open_at`.
fn expected_open(b: &[u8], original: &[u8], same_place: bool, open_at: &Context) -> Result<(), Error> {
    if b[1] == 2 {
        return Err(Error::SubjectSealed);
    }
    let key_id = u32::from_be_bytes([b[2], b[3], b[4], b[5]]);
    if key_id != 1 {
        return Err(Error::UnknownKey(key_id));
    }
    // v1 checks the context before decrypting; v2 only once decryption
    // failed. Either way the unchanged envelope at its own place opens.
    if b == original && same_place {
        return Ok(());
    }
    if b[8..12] != check_for(b[0], open_at) {
        return Err(Error::ContextMismatch);
    }
    Err(Error::AuthenticationFailed)
}

#[derive(Debug, Clone)]
enum Mutation {
    Xor { at: usize, with: u8 },
    Truncate { to: usize },
    Extend { by: Vec<u8> },
    Set { at: usize, to: u8 },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(at, with)| Mutation::Xor { at, with }),
        // Header bytes most often: that is where the checks are.
        (0usize..12, any::<u8>()).prop_map(|(at, to)| Mutation::Set { at, to }),
        (0usize..16, 0u8..20).prop_map(|(at, to)| Mutation::Set { at, to }),
        any::<usize>().prop_map(|to| Mutation::Truncate { to }),
        prop::collection::vec(any::<u8>(), 0..4).prop_map(|by| Mutation::Extend { by }),
    ]
}

fn apply(bytes: &mut Vec<u8>, m: &Mutation) {
    match m {
        Mutation::Xor { at, with } => {
            let n = bytes.len();
            bytes[at % n] ^= with;
        }
        Mutation::Set { at, to } => bytes[*at] = *to,
        Mutation::Truncate { to } => bytes.truncate(to % (bytes.len() + 1)),
        Mutation::Extend { by } => bytes.extend_from_slice(by),
    }
}

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn mutated_envelopes_parse_and_open_exactly_as_spec_says(row in any::<u32>(), m in mutation(), other_row in any::<bool>()) {
        let keyring = keyring();
        let original = keyring.seal(&id(), &ctx(row)).unwrap().into_bytes();
        let mut bytes = original.clone();
        apply(&mut bytes, &m);
        let text = format!("dz1.{}", Base64UrlUnpadded::encode_string(&bytes));
        let open_ctx = if other_row { ctx(row.wrapping_add(1)) } else { ctx(row) };

        let parsed = Sealed::<IdNumber>::from_bytes(&bytes);
        prop_assert_eq!(parsed.as_ref().map(|_| ()).map_err(Clone::clone), expected_parse(&bytes));
        // The text form parses to the same envelope, or fails the same way.
        let from_text = Sealed::<IdNumber>::from_text(&text);
        prop_assert_eq!(from_text.as_ref().map(Sealed::as_bytes), parsed.as_ref().map(Sealed::as_bytes));
        // And one-step opening of the text agrees with parse-then-open.
        let one_step = keyring.open_text::<IdNumber>(&text, &open_ctx, "props").map(|_| ());
        match parsed {
            Ok(sealed) => {
                prop_assert_eq!(sealed.as_bytes(), bytes.as_slice());
                prop_assert_eq!(sealed.to_text(), text);
                prop_assert_eq!(sealed.key_id(), u32::from_be_bytes([bytes[2], bytes[3], bytes[4], bytes[5]]));
                prop_assert_eq!(sealed.is_subject_sealed(), bytes[1] == 2);
                let want = expected_open(&bytes, &original, !other_row, &open_ctx);
                let opened = keyring.open(&sealed, &open_ctx, "props");
                prop_assert_eq!(opened.as_ref().map(|_| ()).map_err(Clone::clone), want.clone());
                if let Ok(v) = opened {
                    prop_assert_eq!(v, id());
                }
                prop_assert_eq!(one_step, want);
                prop_assert_eq!(sealed.into_bytes(), bytes);
            }
            Err(e) => prop_assert_eq!(one_step, Err(e)),
        }
    }

    #[test]
    fn edited_text_forms_open_only_when_unchanged(row in any::<u32>(), at in any::<usize>(), c in "[A-Za-z0-9_\\-]") {
        let keyring = keyring();
        let text = keyring.seal_text(&id(), &ctx(row)).unwrap();
        let at = 4 + at % (text.len() - 4);
        let mut edited = text.clone();
        edited.replace_range(at..at + 1, &c);
        let opened = keyring.open_text::<IdNumber>(&edited, &ctx(row), "props");
        if edited == text {
            prop_assert_eq!(opened, Ok(id()));
        } else {
            prop_assert!(opened.is_err(), "an edited text form opened");
            // Same answer as parsing, then opening.
            let two_step = Sealed::<IdNumber>::from_text(&edited).and_then(|s| keyring.open(&s, &ctx(row), "props"));
            prop_assert_eq!(opened, two_step);
        }
    }
}

// ---------------------------------------------------------------------------
// Keyring files past the checksum.

fn provider() -> &'static PassphraseProvider {
    static PROVIDER: OnceLock<PassphraseProvider> = OnceLock::new();
    PROVIDER.get_or_init(|| PassphraseProvider::with_params("p", 64, 1, 1).unwrap())
}

fn keyring_file() -> &'static [u8] {
    static FILE: OnceLock<Vec<u8>> = OnceLock::new();
    FILE.get_or_init(|| Keyring::generate().unwrap().to_protected_bytes(provider()).unwrap())
}

/// Where the wrapped key starts and ends (SPEC.md §6.1): after magic,
/// version, provider id and the wrapped-key length.
fn wrapped_range() -> std::ops::Range<usize> {
    let start = 4 + 1 + 1 + PassphraseProvider::ID.len() + 2;
    start..start + 104
}

fn read_err(file: &[u8]) -> Result<KeyringFileError, TestCaseError> {
    match Keyring::from_protected_bytes(file, provider()) {
        Err(Error::KeyringFile(e)) => Ok(e),
        Err(other) => Err(TestCaseError::fail(format!("not a keyring file error: {other:?}"))),
        Ok(_) => Err(TestCaseError::fail("a damaged file opened")),
    }
}

proptest! {
    #![proptest_config(config(48))]

    #[test]
    fn keyring_files_with_a_good_checksum_fail_exactly(region in 0u8..4, noise in prop::collection::vec(any::<u8>(), 0..160), at in any::<usize>()) {
        let real = keyring_file();
        let wrapped = wrapped_range();
        let body_at = wrapped.end;
        let mut file = match region {
            // Another payload (nonce, ciphertext, tag) under the real header.
            0 => [&real[..body_at], &noise[..], &[0; 32]].concat(),
            // Another salt or check value: the passphrase no longer matches.
            1 => {
                let mut f = real.to_vec();
                let i = wrapped.start + 12 + at % 32;
                f[i] ^= noise.first().copied().unwrap_or(1).max(1);
                f
            }
            // Another wrapped-key nonce, ciphertext or tag: tampered.
            2 => {
                let mut f = real.to_vec();
                let i = wrapped.start + 44 + at % 60;
                f[i] ^= noise.first().copied().unwrap_or(1).max(1);
                f
            }
            // Another payload ciphertext byte.
            _ => {
                let mut f = real.to_vec();
                let i = body_at + at % (real.len() - 32 - body_at);
                f[i] ^= noise.first().copied().unwrap_or(1).max(1);
                f
            }
        };
        common::fix_checksum(&mut file);
        let want = match region {
            0 if noise.len() < 12 + 16 => KeyringFileError::Truncated,
            0 | 2 | 3 => KeyringFileError::Tampered,
            _ => KeyringFileError::WrongPassphrase,
        };
        prop_assert_eq!(read_err(&file)?, want);
    }
}
