//! Cipher suites and envelope v2 (issue 18): a `gm` keyring seals and opens
//! through every sealing path, saves and loads, and a keyring moves from
//! `aes` to `gm` by rotation; v1 envelopes keep opening and are rewritten as
//! v2; the keyed context check tells "another place" from "tampered".

use desensitize::keys::{KeyState, PassphraseProvider, RootKey, Suite};
use desensitize::{Context, Error, IdNumber, Keyring, KeyringFileError, MobilePhone, Sealed};

fn phone() -> MobilePhone {
    "13800138000".parse().unwrap()
}

fn ctx(row: &str) -> Context {
    Context::new("users", "phone").with_row(row)
}

fn provider() -> PassphraseProvider {
    PassphraseProvider::with_params("correct horse", 64, 1, 1).unwrap()
}

#[test]
fn a_gm_keyring_seals_and_opens_on_every_path() {
    let keyring = Keyring::generate_with(Suite::Gm).unwrap();
    let sealed = keyring.seal(&phone(), &ctx("1")).unwrap();
    assert_eq!(sealed.as_bytes()[0], 2, "v2 envelope");
    assert_eq!(keyring.open(&sealed, &ctx("1"), "t").unwrap(), phone());
    let text = keyring.seal_text(&phone(), &ctx("2")).unwrap();
    assert_eq!(keyring.open_text::<MobilePhone>(&text, &ctx("2"), "t").unwrap(), phone());
    // Another row: the keyed (SM4-CMAC) check names the cause.
    assert_eq!(keyring.open(&sealed, &ctx("9"), "t"), Err(Error::ContextMismatch));
    // The same key bytes as an `aes` key open nothing a `gm` key sealed.
    let mut aes = Keyring::new();
    let mut gm = Keyring::new();
    aes.add_key(1, RootKey::from_bytes([7; 32]), KeyState::Active).unwrap();
    gm.add_key_with_suite(1, RootKey::from_bytes([7; 32]), KeyState::Active, Suite::Gm).unwrap();
    let under_gm = gm.seal(&phone(), &ctx("1")).unwrap();
    assert!(aes.open(&under_gm, &ctx("1"), "t").is_err());
    assert!(gm.open(&aes.seal(&phone(), &ctx("1")).unwrap(), &ctx("1"), "t").is_err());
}

#[test]
fn gm_keyrings_save_and_load_with_their_suites() {
    let mut keyring = Keyring::generate().unwrap();
    let old = keyring.seal(&phone(), &ctx("1")).unwrap();
    let gm_id = keyring.rotate_to(Suite::Gm).unwrap();
    let new = keyring.seal(&phone(), &ctx("1")).unwrap();
    let bytes = keyring.to_protected_bytes(&provider()).unwrap();
    assert_eq!(&bytes[..6], b"DZKR\x02\x02", "version 2, payload under SM4-GCM");
    let loaded = Keyring::from_protected_bytes(&bytes, &provider()).unwrap();
    assert_eq!(loaded.keys(), keyring.keys());
    assert_eq!(loaded.suite_of(1), Some(Suite::Aes));
    assert_eq!(loaded.suite_of(gm_id), Some(Suite::Gm));
    assert_eq!(loaded.open(&old, &ctx("1"), "t").unwrap(), phone());
    assert_eq!(loaded.open(&new, &ctx("1"), "t").unwrap(), phone());
    // A plain rotation keeps the active key's suite.
    let mut again = loaded;
    let next = again.rotate().unwrap();
    assert_eq!(again.suite_of(next), Some(Suite::Gm));
    // A tampered version-2 file is refused like a version-1 one.
    let mut bad = bytes.clone();
    let at = bad.len() - 40;
    bad[at] ^= 1;
    assert!(matches!(
        Keyring::from_protected_bytes(&bad, &provider()),
        Err(Error::KeyringFile(KeyringFileError::Corrupted))
    ));
    // An `aes`-only keyring still writes version 1 files.
    let aes = Keyring::generate().unwrap().to_protected_bytes(&provider()).unwrap();
    assert_eq!(&aes[..5], b"DZKR\x01");
}

#[test]
fn rotation_moves_values_from_aes_v1_to_gm_v2() {
    let mut keyring = Keyring::new();
    keyring.add_key(1, RootKey::from_bytes([3; 32]), KeyState::Active).unwrap();
    let v1 = keyring.seal_with_nonce(&phone(), &ctx("1"), [1; 12]).unwrap();
    assert_eq!(v1.as_bytes()[0], 1);
    // A v1 envelope under the active key is rewritten as v2.
    assert!(v1.needs_rotation(&keyring));
    let v2 = keyring.reseal(&v1, &ctx("1")).unwrap();
    assert_eq!((v2.as_bytes()[0], v2.key_id()), (2, 1));
    assert!(!v2.needs_rotation(&keyring));
    let gm = keyring.rotate_to(Suite::Gm).unwrap();
    let report = keyring.reseal_all(vec![(v1, ctx("1")), (v2, ctx("1"))], |_| {});
    assert_eq!((report.resealed, report.failed.len()), (2, 0));
    keyring.destroy(1, 0).unwrap();
    for moved in report.outcomes {
        let moved = moved.unwrap();
        assert_eq!(moved.key_id(), gm);
        assert_eq!(keyring.open(&moved, &ctx("1"), "t").unwrap(), phone());
    }
}

#[test]
fn the_keyed_check_tells_another_place_from_tampering() {
    for suite in [Suite::Aes, Suite::Gm] {
        let keyring = Keyring::generate_with(suite).unwrap();
        let sealed = keyring.seal(&phone(), &ctx("1")).unwrap();
        let mut bytes = sealed.as_bytes().to_vec();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        let tampered = Sealed::<MobilePhone>::from_vec(bytes).unwrap();
        assert_eq!(keyring.open(&tampered, &ctx("1"), "t"), Err(Error::AuthenticationFailed), "{suite}");
        assert_eq!(keyring.open(&sealed, &ctx("2"), "t"), Err(Error::ContextMismatch), "{suite}");
        let other_column = Context::new("users", "phone2").with_row("1");
        assert_eq!(keyring.open(&sealed, &other_column, "t"), Err(Error::ContextMismatch), "{suite}");
        // The check is keyed: another keyring's key 1 cannot recompute it,
        // so the header alone does not confirm a guessed row id.
        let other = Keyring::generate_with(suite).unwrap();
        let guess = other.seal(&phone(), &ctx("1")).unwrap();
        assert_ne!(guess.as_bytes()[8..12], sealed.as_bytes()[8..12], "{suite}");
    }
}

#[test]
fn v2_envelopes_of_every_length_round_trip_in_both_suites() {
    let id: IdNumber = "11010519491231002X".parse().unwrap();
    for suite in [Suite::Aes, Suite::Gm] {
        let keyring = Keyring::generate_with(suite).unwrap();
        let sealed = keyring.seal(&id, &Context::none()).unwrap();
        assert_eq!(sealed.as_bytes().len(), 36 + 18 + 16);
        assert_eq!(keyring.open(&sealed, &Context::none(), "t").unwrap(), id);
        let text: Sealed<IdNumber> = sealed.to_text().parse().unwrap();
        assert_eq!(text, sealed);
    }
}

/// `#[derive(Protect)]` needs nothing for `gm`: it goes through the one core,
/// so a `gm` keyring's record seals (SM4-GCM, v2), opens, and its analytics
/// view carries HMAC-SM3 tokens.
#[test]
fn derived_records_under_a_gm_keyring() {
    use desensitize::{Email, Protect};

    #[derive(Protect)]
    #[protect(table = "users")]
    struct User {
        #[protect(row_id)]
        id: u64,
        #[protect(seal, blind_index(bits = 16))]
        phone: MobilePhone,
        #[protect(seal, pseudonym = "analytics")]
        email: Email,
    }

    let gm = Keyring::generate_with(Suite::Gm).unwrap();
    let user = User { id: 7, phone: phone(), email: "zhangsan@example.com".parse().unwrap() };
    let sealed = user.seal(&gm).unwrap();
    let stored = serde_json::to_value(&sealed).unwrap();
    let text = stored["phone"].as_str().unwrap();
    assert!(text.starts_with("dz1.Ag"), "a v2 envelope: {text}");
    let back = sealed.open(&gm, "t").unwrap();
    assert_eq!((back.id, back.phone, back.email.expose()), (7, phone(), "zhangsan@example.com"));
    // Its analytics token is the gm keyring's (HMAC-SM3), not an aes one.
    let facts = serde_json::to_value(user.analytics(&gm).unwrap()).unwrap();
    let d = desensitize::pseudo::Domain::new("analytics").unwrap();
    let token = gm.pseudonym(&user.email, &d).unwrap().to_string();
    assert_eq!(facts["email"], token.as_str(), "{facts}");
}
