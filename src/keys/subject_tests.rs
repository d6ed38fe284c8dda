//! Subject-sealed envelopes: fresh seals are v2 (SPEC.md §5.3), v1 ones
//! keep opening.

use super::*;
use crate::MobilePhone;
use crate::crypto::envelope::{ALG_SUBJECT, HEADER_LEN_V2, TAG_LEN, VERSION_2};
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
    let dk = keyring.subject_key(store, subject, true).unwrap();
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
    let bytes =
        subject_scope_keys(&dk, MobilePhone::KIND, ctx).seal_raw_with(&header, &aad, ctx, PHONE).unwrap();
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
