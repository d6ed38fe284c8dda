//! Pseudonym tokens and blind indexes: determinism, domain separation,
//! canonical-form equivalence, key-version pinning.

use desensitize::keys::{KeyState, PassphraseProvider, RootKey};
use desensitize::pseudo::{Domain, Token, Transform};
use desensitize::{DomainError, Email, EnvelopeError, Error, IdNumber, KeyError, Keyring, MobilePhone};

fn domain(name: &str) -> Domain {
    Domain::new(name).unwrap()
}

fn fixed_keyring() -> Keyring {
    let mut k = Keyring::new();
    k.add_key(1, RootKey::from_bytes([0x11; 32]), KeyState::Active).unwrap();
    k
}

#[test]
fn tokens_are_deterministic_and_canonical() {
    let keyring = fixed_keyring();
    let d = domain("analytics");
    let forms = ["13800138000", "+86 138 0013 8000", "0086-138-0013-8000", "１３８００１３８０００"];
    let tokens: Vec<Token> =
        forms.iter().map(|f| keyring.pseudonym(&f.parse::<MobilePhone>().unwrap(), &d).unwrap()).collect();
    assert!(tokens.windows(2).all(|w| w[0] == w[1]));
    // Lower- and upper-case x in an ID number are one person.
    let a = keyring.pseudonym(&"11010519491231002x".parse::<IdNumber>().unwrap(), &d).unwrap();
    let b = keyring.pseudonym(&"11010519491231002X".parse::<IdNumber>().unwrap(), &d).unwrap();
    assert_eq!(a, b);
    // Different people, different tokens.
    let other = keyring.pseudonym(&"13800138001".parse::<MobilePhone>().unwrap(), &d).unwrap();
    assert_ne!(tokens[0], other);
}

#[test]
fn domains_are_unlinkable_and_kinds_separated() {
    let keyring = fixed_keyring();
    let phone: MobilePhone = "13800138000".parse().unwrap();
    let a = keyring.pseudonym(&phone, &domain("analytics")).unwrap();
    let m = keyring.pseudonym(&phone, &domain("marketing")).unwrap();
    assert_ne!(a.digest(), m.digest());
    // The same digits as another kind are another input.
    let p = keyring.pseudonymizer(&domain("analytics")).unwrap();
    let id: IdNumber = "11010519491231002X".parse().unwrap();
    assert_ne!(p.token(&id).digest(), p.token(&phone).digest());
}

#[test]
fn token_known_answer() {
    // Pins the token construction (SPEC.md §2 label, §1 input encoding):
    // HMAC-SHA256(HKDF(root=0x11..., ["desensitize.pseudonym", "analytics"]),
    //             enc(["cn.mobile_phone", "13800138000"]))[..16].
    let keyring = fixed_keyring();
    let t = keyring.pseudonym(&"13800138000".parse::<MobilePhone>().unwrap(), &domain("analytics")).unwrap();
    assert_eq!(t.to_string(), include_str!("../vectors/token.txt").trim());
}

#[test]
fn token_text_round_trips_and_rejects_garbage() {
    let keyring = fixed_keyring();
    let t = keyring.pseudonym(&"a@b.cn".parse::<Email>().unwrap(), &domain("analytics")).unwrap();
    let text = t.to_string();
    assert!(text.starts_with("tk1.1.") && text.len() == 6 + 22);
    assert_eq!(text.parse::<Token>().unwrap(), t);
    assert_eq!(format!("{t:?}"), format!("Token({text})"));
    assert_eq!(serde_json::to_string(&t).unwrap(), format!("\"{text}\""));
    assert_eq!(serde_json::from_str::<Token>(&format!("\"{text}\"")).unwrap(), t);
    for bad in [
        "",
        "tk1.",
        "tk1.1.",
        "tk2.1.AAAAAAAAAAAAAAAAAAAAAA",
        "tk1.x.AAAAAAAAAAAAAAAAAAAAAA",
        "tk1.1.AAAA",
        "tk1.99999999999.AAAAAAAAAAAAAAAAAAAAAA",
    ] {
        assert!(bad.parse::<Token>().is_err(), "{bad}");
    }
    assert_eq!(Token::from_parts(t.key_id(), *t.digest()), t);
    for id in [0, 7, 10, 4_294_967_295] {
        let t = Token::from_parts(id, [0xAB; 16]);
        assert_eq!(t.to_text(), format!("tk1.{id}.q6urq6urq6urq6urq6urqw"));
        assert_eq!(t.to_text().parse::<Token>().unwrap(), t);
    }
}

#[test]
fn pinned_domains_survive_rotation_until_repinned() {
    let mut keyring = fixed_keyring();
    let d = domain("analytics");
    let phone: MobilePhone = "13800138000".parse().unwrap();
    keyring.pin(&d, 1).unwrap();
    let before = keyring.pseudonym(&phone, &d).unwrap();
    let new_key = keyring.rotate().unwrap();
    assert_eq!(keyring.pseudonym(&phone, &d).unwrap(), before, "rotation changed a pinned domain");
    // An unpinned domain follows the active key, and says so.
    assert_eq!(keyring.pseudonym(&phone, &domain("adhoc")).unwrap().key_id(), new_key);
    // The pinned key cannot be destroyed.
    assert_eq!(keyring.destroy(1, 0), Err(Error::Key(KeyError::DomainPinned)));
    // Rotating the domain on purpose: re-pin, tokens change, old key can go.
    keyring.pin(&d, new_key).unwrap();
    let after = keyring.pseudonym(&phone, &d).unwrap();
    assert_eq!(after.key_id(), new_key);
    assert_ne!(after.digest(), before.digest());
    keyring.destroy(1, 0).unwrap();
    assert_eq!(keyring.pin(&d, 1), Err(Error::KeyDestroyed(1)));
    assert_eq!(keyring.pin(&d, 77), Err(Error::UnknownKey(77)));
}

#[test]
fn pins_are_saved_in_the_keyring_file() {
    let mut keyring = fixed_keyring();
    let d = domain("analytics");
    keyring.pin(&d, 1).unwrap();
    keyring.rotate().unwrap();
    let provider = PassphraseProvider::with_params("pins", 64, 1, 1).unwrap();
    let loaded =
        Keyring::from_protected_bytes(&keyring.to_protected_bytes(&provider).unwrap(), &provider).unwrap();
    assert_eq!(loaded.pinned_key_id(&d), Some(1));
    let phone: MobilePhone = "13800138000".parse().unwrap();
    assert_eq!(loaded.pseudonym(&phone, &d).unwrap(), keyring.pseudonym(&phone, &d).unwrap());
}

#[test]
fn domain_names_are_validated() {
    for bad in ["", "Analytics", "with space", "ümlaut", &"x".repeat(65)] {
        assert!(matches!(Domain::new(bad), Err(Error::Domain(DomainError::Name))), "{bad:?}");
    }
    for good in ["analytics", "users.phone", "partner-a_2024"] {
        assert_eq!(Domain::new(good).unwrap().name(), good);
    }
}

#[test]
fn blind_index_finds_candidates_among_many_rows() {
    // 20,000 rows with a planned index: a lookup returns the true row plus a
    // handful of false positives, never zero rows and never thousands.
    let keyring = Keyring::generate().unwrap();
    let rows = 20_000u64;
    let plan = desensitize::pseudo::Planner::new(rows).recommend::<MobilePhone>(Transform::Full).unwrap();
    let index =
        keyring.blind_index::<MobilePhone>(&domain("users.phone"), Transform::Full, plan.bits()).unwrap();
    let phones: Vec<MobilePhone> =
        (0..rows).map(|i| format!("139{:08}", i * 7_919 % 100_000_000).parse().unwrap()).collect();
    let indexed: Vec<u64> = phones.iter().map(|p| index.compute(p).value()).collect();
    let target = index.compute(&phones[1234]).value();
    let hits: Vec<usize> =
        indexed.iter().enumerate().filter(|(_, v)| **v == target).map(|(i, _)| i).collect();
    assert!(hits.contains(&1234));
    assert!(hits.len() < 2 * (rows as f64).sqrt() as usize, "{} candidates", hits.len());
    let mut distinct = indexed.clone();
    distinct.sort_unstable();
    distinct.dedup();
    assert!((distinct.len() as u64) < rows, "a planned index must collide");
}

#[test]
fn blind_index_known_answer() {
    // SPEC.md §9.3, computed independently by scripts/ci/verify_vectors.py.
    let keyring = fixed_keyring();
    let index = keyring.blind_index::<MobilePhone>(&domain("users.phone"), Transform::Full, 18).unwrap();
    let v = index.compute(&"13800138000".parse().unwrap());
    assert_eq!(v.to_string(), include_str!("../vectors/blind_index.txt").trim());
    assert_eq!(v.bits(), 18);
}

/// SPEC.md §9.2: the text is `decimal(key_id)` with no white space, so each
/// token has exactly one text (`tk1.01.` and ` tk1.1.` used to parse too).
#[test]
fn token_text_is_strict_canonical_decimal_without_white_space() {
    let b64 = "q6urq6urq6urq6urq6urqw";
    assert_eq!(format!("tk1.1.{b64}").parse::<Token>().unwrap(), Token::from_parts(1, [0xAB; 16]));
    assert_eq!(format!("tk1.0.{b64}").parse::<Token>().unwrap(), Token::from_parts(0, [0xAB; 16]));
    for id in ["01", "00", "001", "0000000001", "0999999999"] {
        assert_eq!(
            format!("tk1.{id}.{b64}").parse::<Token>().unwrap_err(),
            Error::Malformed(EnvelopeError::TokenKeyIdLeadingZero),
            "{id}"
        );
    }
    for text in [
        format!(" tk1.1.{b64}"),
        format!("tk1.1.{b64} "),
        format!("tk1.1.{b64}\n"),
        format!("\ttk1.1.{b64}"),
        format!("tk1. 1.{b64}"),
        format!("tk1.+1.{b64}"),
        format!("tk1.1. {b64}"),
    ] {
        assert_eq!(text.parse::<Token>().unwrap_err(), Error::Malformed(EnvelopeError::NotToken), "{text:?}");
    }
}
