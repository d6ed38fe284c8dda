//! Property tests of sealing: values of every kind round-trip through both
//! stored forms, bound to their row; envelope and keyring-file decoders are
//! total and refuse damaged input.

use crate::common;

use std::sync::OnceLock;

use base64ct::{Base64, Encoding};
use common::prop_checks::{Canon, TestResult, config, keyring, parse_ok};
use common::strategies::{
    address, bank_card, biometric, credit_code, email, geo_point, id_number, license_plate, mobile_phone,
    person_name,
};
use desensitize::keys::PassphraseProvider;
use desensitize::{
    Address, BankCard, Biometric, Context, CreditCode, Email, Error, GeoPoint, IdNumber, Keyring,
    LicensePlate, MobilePhone, PersonName, Sealable, Sealed,
};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

// ---------------------------------------------------------------------------
// 3. Sealed round trip.

fn seal_round_trip<T: Canon + Sealable>(input: &str, row: u32) -> TestResult {
    let v: T = parse_ok(input)?;
    let keyring = keyring();
    let ctx = Context::new("props", T::KIND.as_str()).with_row(&row.to_string());
    let sealed = keyring.seal(&v, &ctx).map_err(|e| TestCaseError::fail(format!("seal: {e}")))?;
    let opened =
        keyring.open(&sealed, &ctx, "props").map_err(|e| TestCaseError::fail(format!("open: {e}")))?;
    prop_assert!(opened == v, "{} did not round-trip", T::KIND);
    // Both stored forms parse back and open to the value.
    let text = sealed.to_text();
    let from_text: Sealed<T> = text.parse().map_err(|e| TestCaseError::fail(format!("from_text: {e}")))?;
    prop_assert!(keyring.open(&from_text, &ctx, "props").ok() == Some(v.clone()));
    let from_bytes = Sealed::<T>::from_bytes(sealed.as_bytes()).unwrap();
    prop_assert!(keyring.open(&from_bytes, &ctx, "props").ok() == Some(v.clone()));
    // Bound to its row.
    let elsewhere = Context::new("props", T::KIND.as_str()).with_row(&(u64::from(row) + 1).to_string());
    prop_assert!(keyring.open(&sealed, &elsewhere, "props").is_err());
    // The plaintext is nowhere in the sealed forms.
    let plain = v.canon();
    prop_assert!(!text.contains(&plain), "{} sealed text contains the plaintext", T::KIND);
    prop_assert!(!sealed.to_string().contains(&plain));
    let debug = format!("{sealed:?}");
    prop_assert!(!debug.contains(&plain), "{} sealed Debug {:?}", T::KIND, debug);
    let pb = plain.as_bytes();
    if pb.len() >= 4 {
        prop_assert!(
            !sealed.as_bytes().windows(pb.len()).any(|w| w == pb),
            "{} envelope holds the plaintext",
            T::KIND
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(48))]

    #[test]
    fn sealed_round_trip(
        id in id_number(),
        phone in mobile_phone(),
        card in bank_card(),
        mail in email(),
        name in person_name(),
        addr in address(),
        (lat, lon) in geo_point(),
        bio in biometric(),
        plate in license_plate(),
        code in credit_code(),
        row in any::<u32>(),
    ) {
        seal_round_trip::<IdNumber>(&id, row)?;
        seal_round_trip::<MobilePhone>(&phone, row)?;
        seal_round_trip::<BankCard>(&card, row)?;
        seal_round_trip::<Email>(&mail, row)?;
        seal_round_trip::<PersonName>(&name, row)?;
        seal_round_trip::<Address>(&addr.text, row)?;
        seal_round_trip::<GeoPoint>(&format!("{lat},{lon}"), row)?;
        seal_round_trip::<Biometric>(&Base64::encode_string(&bio), row)?;
        seal_round_trip::<LicensePlate>(&plate, row)?;
        seal_round_trip::<CreditCode>(&code, row)?;
    }
}

/// A structurally plausible envelope: version, algorithm, key id, kind code,
/// then random bytes.
fn envelope_like() -> impl Strategy<Value = Vec<u8>> {
    (0u8..3, 0u8..4, any::<u32>(), 0u16..20, prop::collection::vec(any::<u8>(), 0..120)).prop_map(
        |(version, alg, key, kind, rest)| {
            let mut b = vec![version, alg];
            b.extend_from_slice(&key.to_be_bytes());
            b.extend_from_slice(&kind.to_be_bytes());
            b.extend_from_slice(&rest);
            b
        },
    )
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn sealed_from_bytes_is_total(
        bytes in prop_oneof![prop::collection::vec(any::<u8>(), 0..200), envelope_like()],
    ) {
        let ctx = Context::new("props", "any");
        match Sealed::<IdNumber>::from_bytes(&bytes) {
            Ok(sealed) => {
                prop_assert_eq!(sealed.as_bytes(), bytes.as_slice());
                let _ = (sealed.key_id(), sealed.is_subject_sealed(), sealed.needs_rotation(keyring()));
                let again: Sealed<IdNumber> = sealed.to_text().parse().unwrap();
                prop_assert_eq!(&again, &sealed);
                prop_assert!(keyring().open(&sealed, &ctx, "props").is_err());
            }
            Err(e) => {
                let _ = format!("{e} {e:?}");
            }
        }
        // The text form of the same bytes behaves the same.
        let text = format!("dz1.{}", base64ct::Base64UrlUnpadded::encode_string(&bytes));
        prop_assert_eq!(
            Sealed::<IdNumber>::from_text(&text).map(|s| s.into_bytes()),
            Sealed::<IdNumber>::from_bytes(&bytes).map(|s| s.into_bytes())
        );
    }

    #[test]
    fn sealed_from_text_is_total(s in prop_oneof![".*", "dz1\\.[A-Za-z0-9_\\-+/=]{0,80}", " ?dz1\\.[A-Za-z0-9_\\-]{0,120} ?"]) {
        if let Ok(sealed) = Sealed::<IdNumber>::from_text(&s) {
            prop_assert!(keyring().open(&sealed, &Context::new("props", "any"), "props").is_err());
        }
    }
}

// ---------------------------------------------------------------------------
// Protected keyring files: arbitrary bytes and damaged real files.

fn provider() -> &'static PassphraseProvider {
    static PROVIDER: OnceLock<PassphraseProvider> = OnceLock::new();
    PROVIDER.get_or_init(|| PassphraseProvider::with_params("p", 64, 1, 1).unwrap())
}

fn keyring_file() -> &'static [u8] {
    static FILE: OnceLock<Vec<u8>> = OnceLock::new();
    FILE.get_or_init(|| {
        let mut keyring = Keyring::generate().unwrap();
        keyring.rotate().unwrap();
        let file = keyring.to_protected_bytes(provider()).unwrap();
        // Sanity: the file as written reads back.
        assert_eq!(Keyring::from_protected_bytes(&file, provider()).unwrap().keys(), keyring.keys());
        file
    })
}

/// Byte range of the Argon2id cost parameters (m, t, p) in a file written
/// by the passphrase provider: magic(4) version(1) id-length(1) id then the
/// wrapped-key length(2). A file may name costs up to 4 GiB; this test does
/// not ask the machine for that much memory.
fn cost_bytes() -> std::ops::Range<usize> {
    let start = 4 + 1 + 1 + PassphraseProvider::ID.len() + 2;
    start..start + 12
}

proptest! {
    #![proptest_config(config(64))]

    #[test]
    fn keyring_from_arbitrary_bytes_is_total(
        bytes in prop_oneof![
            prop::collection::vec(any::<u8>(), 0..300),
            prop::collection::vec(any::<u8>(), 0..300).prop_map(|rest| [b"DZKR\x01".as_slice(), &rest].concat()),
        ],
    ) {
        prop_assert!(Keyring::from_protected_bytes(&bytes, provider()).is_err());
    }

    #[test]
    fn damaged_keyring_files_are_rejected(at in any::<usize>(), flip in 1u8..=255, fix in any::<bool>(), cut in any::<bool>()) {
        let mut file = keyring_file().to_vec();
        let costs = cost_bytes();
        let mut at = at % file.len();
        if fix && !cut {
            // A flip inside the checksum would be undone by fixing it.
            at %= file.len() - 32;
            if costs.contains(&at) {
                at = costs.end;
            }
        }
        if cut {
            file.truncate(at);
        } else {
            file[at] ^= flip;
        }
        if fix && file.len() >= 32 {
            common::fix_checksum(&mut file);
        }
        let result = Keyring::from_protected_bytes(&file, provider());
        prop_assert!(result.is_err(), "damaged file (byte {}, cut {}, checksum fixed {}) still loads", at, cut, fix);
        let e = result.err().unwrap();
        prop_assert!(matches!(e, Error::KeyringFile(_)), "{e:?}");
    }
}
