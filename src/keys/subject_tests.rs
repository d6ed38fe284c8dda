//! Subject-sealed envelopes: fresh seals are v2 (SPEC.md §5.3), v1 ones
//! keep opening.

use super::*;
use crate::MobilePhone;
use crate::crypto::envelope::{ALG_SUBJECT, HEADER_LEN_V2, TAG_LEN, VERSION_2};
use crate::error::EnvelopeError;
use crate::kind::Sensitive;

/// The phone's canonical plaintext (SPEC.md §3.3): its 11 digits.
const PHONE: &[u8] = b"13800138000";

fn phone() -> MobilePhone {
    "13800138000".parse().unwrap()
}

#[test]
fn a_fresh_subject_seal_is_v2_and_opens() {
    for suite in [Suite::Aes, Suite::Gm] {
        let keyring = Keyring::generate_with(suite).unwrap();
        let store = InMemorySubjectStore::new();
        let ctx = Context::new("users", "phone").with_row("42");
        let sealed = keyring.seal_for(&store, "user-42", &phone(), &ctx).unwrap();
        let bytes = sealed.as_bytes();
        assert_eq!((bytes[0], bytes[1]), (VERSION_2, ALG_SUBJECT));
        assert_eq!(sealed.key_id(), 0);
        assert_eq!(bytes.len(), HEADER_LEN_V2 + "13800138000".len() + TAG_LEN);
        assert!(sealed.is_subject_sealed() && !sealed.needs_rotation(&keyring));
        // Through the text form and back.
        let parsed: Sealed<MobilePhone> = sealed.to_text().parse().unwrap();
        assert_eq!(keyring.open_for(&store, "user-42", &parsed, &ctx, "t").unwrap(), phone());
        // Another row: the keyed check names the cause.
        let other = Context::new("users", "phone").with_row("43");
        assert_eq!(keyring.open_for(&store, "user-42", &sealed, &other, "t"), Err(Error::ContextMismatch));
        // Another subject's key does not open it; a root-key open refuses it.
        keyring.seal_for(&store, "user-43", &phone(), &ctx).unwrap();
        assert!(keyring.open_for(&store, "user-43", &sealed, &ctx, "t").is_err());
        assert_eq!(keyring.open(&sealed, &ctx, "t"), Err(Error::SubjectSealed));
        // Two seals of one value differ (fresh 192-bit nonces).
        let again = keyring.seal_for(&store, "user-42", &phone(), &ctx).unwrap();
        assert_ne!(again.as_bytes(), sealed.as_bytes());
    }
}

#[test]
fn subject_values_open_after_a_rewrap_under_another_suite() {
    let mut keyring = Keyring::generate().unwrap();
    let store = InMemorySubjectStore::new();
    let ctx = Context::new("users", "phone");
    let sealed = keyring.seal_for(&store, "user-1", &phone(), &ctx).unwrap();
    keyring.rotate_to(Suite::Gm).unwrap();
    assert_eq!(keyring.rewrap_subjects(&store).unwrap(), 1);
    keyring.destroy_with_subjects(1, 0, &store).unwrap();
    assert_eq!(keyring.open_for(&store, "user-1", &sealed, &ctx, "t").unwrap(), phone());
}

/// The v1 subject envelope of SPEC.md §5.3 as it was written before v2:
/// AES-256-GCM under `derive(DK, ["desensitize.seal", kind, scope])`.
fn seal_v1(
    keyring: &Keyring,
    store: &InMemorySubjectStore,
    subject: &str,
    ctx: &Context,
) -> Sealed<MobilePhone> {
    let dk = keyring.subject_key(store, subject, true).unwrap().dk;
    let header = Header {
        version: VERSION_1,
        algorithm: ALG_SUBJECT,
        key_id: 0,
        kind: MobilePhone::KIND,
        check: ctx.check(),
        kdf_nonce: [0; 12],
        nonce: [5; 12],
    };
    let aad = encode_fields(&[subject.as_bytes()]);
    let bytes = subject_scope_keys(Suite::Aes, &dk, MobilePhone::KIND, ctx)
        .seal_raw_with(&header, &aad, ctx, PHONE)
        .unwrap();
    // Independently: the v1 cipher over the same associated data.
    let cipher = crate::crypto::scoped::scope_cipher(&dk, MobilePhone::KIND, ctx.scope_encoded());
    let mut out = vec![0u8; bytes.len()];
    crate::crypto::aead::seal_into(&cipher, &header, &aad, ctx.bound_encoded(), PHONE, &mut out).unwrap();
    assert_eq!(out, bytes);
    Sealed::from_parts(bytes, header)
}

#[test]
fn a_v1_subject_envelope_still_opens() {
    let keyring = Keyring::generate().unwrap();
    let store = InMemorySubjectStore::new();
    let ctx = Context::new("users", "phone").with_row("7");
    let v1 = seal_v1(&keyring, &store, "user-7", &ctx);
    let parsed: Sealed<MobilePhone> = v1.to_text().parse().unwrap();
    assert_eq!(parsed.as_bytes()[0], VERSION_1);
    assert_eq!(keyring.open_for(&store, "user-7", &parsed, &ctx, "t").unwrap(), phone());
    // v1's unkeyed check still refuses another place before decrypting.
    let other = Context::new("users", "phone").with_row("8");
    assert_eq!(keyring.open_for(&store, "user-7", &parsed, &other, "t"), Err(Error::ContextMismatch));
    // A fresh seal for the same subject is v2; both open.
    let v2 = keyring.seal_for(&store, "user-7", &phone(), &ctx).unwrap();
    assert_eq!(v2.as_bytes()[0], VERSION_2);
    assert_eq!(keyring.open_for(&store, "user-7", &v2, &ctx, "t").unwrap(), phone());
}

/// The stored blob of `subject`.
fn blob(store: &InMemorySubjectStore, subject: &str) -> Vec<u8> {
    match store.load(subject).unwrap() {
        Some(SubjectRecord::Active(w)) => w.as_bytes().to_vec(),
        other => panic!("no active key: {other:?}"),
    }
}

/// Whether `sealed` opens under `subject`'s data key with `suite`'s keys alone.
fn opens_in(
    keyring: &Keyring,
    store: &InMemorySubjectStore,
    subject: &str,
    sealed: &Sealed<MobilePhone>,
    ctx: &Context,
    suite: Suite,
) -> bool {
    let dk = keyring.subject_key(store, subject, false).unwrap().dk;
    let keys = subject_scope_keys(suite, &dk, MobilePhone::KIND, ctx);
    let aad = encode_fields(&[subject.as_bytes()]);
    keys.open_with(sealed.header(), sealed.as_bytes(), &aad, ctx.bound_encoded()).is_ok_and(|p| *p == PHONE)
}

#[test]
fn a_gm_root_key_wraps_with_sm4_and_its_subjects_seal_gm() {
    let keyring = Keyring::generate_with(Suite::Gm).unwrap();
    let store = InMemorySubjectStore::new();
    let ctx = Context::new("users", "phone").with_row("1");
    let sealed = keyring.seal_for(&store, "u", &phone(), &ctx).unwrap();
    let b = blob(&store, "u");
    // Version 2, algorithm 4 (SM4-GCM), key 1, sealed under gm only.
    assert_eq!((b.len(), b[0], b[1], &b[2..6], b[6]), (67, 2, 4, &[0, 0, 0, 1][..], 0x02));
    assert!(opens_in(&keyring, &store, "u", &sealed, &ctx, Suite::Gm));
    assert!(!opens_in(&keyring, &store, "u", &sealed, &ctx, Suite::Aes));
    // The wrap is SM4-GCM under HKDF-SM3 of the root key, the AAD head || enc(subject).
    let root = keyring.active().unwrap().root.as_ref().unwrap().as_bytes();
    let wk = crate::crypto::material::derive_in(Suite::Gm, root, &[crate::crypto::labels::WRAP, b"subject"]);
    let sm4 = <aes_gcm::AesGcm<sm4::Sm4, aes_gcm::aead::consts::U12> as aes_gcm::aead::KeyInit>::new(
        (&wk[..16]).try_into().unwrap(),
    );
    let aad = [&b[..19], &encode_fields(&[b"u"])[..]].concat();
    let nonce = aes_gcm::Nonce::try_from(&b[7..19]).unwrap();
    let dk = aes_gcm::aead::Aead::decrypt(&sm4, &nonce, aes_gcm::aead::Payload { msg: &b[19..], aad: &aad })
        .unwrap();
    assert_eq!(dk.as_slice(), keyring.subject_key(&store, "u", false).unwrap().dk.as_slice());
}

#[test]
fn an_aes_keyring_still_writes_version_1_wrapped_keys() {
    let keyring = Keyring::generate().unwrap();
    let store = InMemorySubjectStore::new();
    keyring.seal_for(&store, "u", &phone(), &Context::new("users", "phone")).unwrap();
    let b = blob(&store, "u");
    assert_eq!((b.len(), b[0], b[1]), (66, 1, 3));
}

#[test]
fn a_rotation_from_aes_to_gm_moves_wraps_and_new_seals_to_gm() {
    let mut keyring = Keyring::generate().unwrap();
    let store = InMemorySubjectStore::new();
    let ctx = Context::new("users", "phone").with_row("9");
    let old = keyring.seal_for(&store, "born-aes", &phone(), &ctx).unwrap();
    keyring.rotate_to(Suite::Gm).unwrap();
    // Before the rewrap, seals follow the wrapping (aes) key.
    let before = keyring.seal_for(&store, "born-aes", &phone(), &ctx).unwrap();
    assert!(opens_in(&keyring, &store, "born-aes", &before, &ctx, Suite::Aes));
    let born_gm = keyring.seal_for(&store, "born-gm", &phone(), &ctx).unwrap();
    assert_eq!(keyring.rewrap_subjects(&store).unwrap(), 1);
    let b = blob(&store, "born-aes");
    assert_eq!((b.len(), b[0], b[1], b[6]), (67, 2, 4, 0x03), "SM4-GCM wrap of a key that sealed aes and gm");
    assert_eq!(blob(&store, "born-gm")[6], 0x02);
    keyring.destroy_with_subjects(1, 0, &store).unwrap();
    let new = keyring.seal_for(&store, "born-aes", &phone(), &ctx).unwrap();
    assert!(opens_in(&keyring, &store, "born-aes", &new, &ctx, Suite::Gm));
    for (s, v) in [("born-aes", &old), ("born-aes", &before), ("born-aes", &new), ("born-gm", &born_gm)] {
        assert_eq!(keyring.open_for(&store, s, v, &ctx, "t").unwrap(), phone());
        // Both refusals keep their cause whichever suite sealed it.
        let other = Context::new("users", "phone").with_row("10");
        assert_eq!(keyring.open_for(&store, s, v, &other, "t"), Err(Error::ContextMismatch));
        let mut bytes = v.as_bytes().to_vec();
        *bytes.last_mut().unwrap() ^= 1;
        let tampered = Sealed::<MobilePhone>::from_parts(bytes, *v.header());
        assert_eq!(keyring.open_for(&store, s, &tampered, &ctx, "t"), Err(Error::AuthenticationFailed));
    }
    // And back to aes: the wrap is AES-256-GCM again, version 2 (it sealed gm).
    keyring.rotate_to(Suite::Aes).unwrap();
    assert_eq!(keyring.rewrap_subjects(&store).unwrap(), 2);
    let b = blob(&store, "born-gm");
    assert_eq!((b.len(), b[0], b[1], b[6]), (67, 2, 3, 0x03));
    keyring.destroy_with_subjects(2, 0, &store).unwrap();
    assert_eq!(keyring.open_for(&store, "born-gm", &born_gm, &ctx, "t").unwrap(), phone());
    assert_eq!(keyring.open_for(&store, "born-aes", &new, &ctx, "t").unwrap(), phone());
}

#[test]
fn malformed_wrapped_keys_are_refused_before_any_decryption() {
    let keyring = Keyring::generate_with(Suite::Gm).unwrap();
    let store = InMemorySubjectStore::new();
    keyring.seal_for(&store, "u", &phone(), &Context::new("users", "phone")).unwrap();
    let good = blob(&store, "u");
    let refused = |b: Vec<u8>| keyring.unwrap_subject_key("u", &WrappedKey::from_bytes(b)).err();
    let not_wrapped = Some(Error::Malformed(EnvelopeError::NotWrappedSubjectKey));
    let edit = |at: usize, v: u8| {
        let mut b = good.clone();
        b[at] = v;
        b
    };
    assert_eq!(refused(edit(6, 0)), not_wrapped, "no suite");
    assert_eq!(refused(edit(6, 0x04)), not_wrapped, "unknown suite bit");
    assert_eq!(refused(edit(6, 0x01)), not_wrapped, "the wrapping suite is not among them");
    assert_eq!(refused(edit(1, 5)), not_wrapped, "unknown algorithm");
    assert_eq!(refused(edit(1, 3)), not_wrapped, "an AES wrap under a gm root key");
    assert_eq!(refused(good[..66].to_vec()), not_wrapped, "short");
    assert_eq!(refused(edit(6, 0x03)), Some(Error::AuthenticationFailed), "the suites byte is authenticated");
    assert_eq!(refused(edit(40, good[40] ^ 1)), Some(Error::AuthenticationFailed));
    assert_eq!(
        keyring.unwrap_subject_key("v", &WrappedKey::from_bytes(good.clone())).err(),
        Some(Error::AuthenticationFailed)
    );
    assert_eq!(WrappedKey::from_bytes(good).wrapping_key_id(), Some(1));
}
