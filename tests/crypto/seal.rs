//! Sealing: round trips, tampering, context binding, rotation, crypto-shredding,
//! protected keyring files and concurrency.

use crate::common;

use std::collections::HashSet;
use std::sync::Arc;

use desensitize::keys::{InMemorySubjectStore, KeyState, PassphraseProvider, RootKey, SubjectKeyStore};
use desensitize::{
    Context, ContextError, EnvelopeError, Error, IdNumber, KeyError, Keyring, KeyringFileError, MobilePhone,
    Sealed,
};

fn id() -> IdNumber {
    "11010519491231002X".parse().unwrap()
}

fn ctx() -> Context {
    Context::new("users", "id_number").with_row("42")
}

fn fast_provider(pass: &str) -> PassphraseProvider {
    PassphraseProvider::with_params(pass, 64, 1, 1).unwrap()
}

#[test]
fn every_kind_round_trips_in_both_forms() {
    let keyring = Keyring::generate().unwrap();
    common::visit_sealable(&mut common::RoundTrip(&keyring));
}

#[test]
fn every_bit_flip_and_truncation_is_rejected() {
    let keyring = Keyring::generate().unwrap();
    let sealed = keyring.seal(&id(), &ctx()).unwrap();
    let bytes = sealed.as_bytes().to_vec();
    for bit in 0..bytes.len() * 8 {
        let mut b = bytes.clone();
        b[bit / 8] ^= 1 << (bit % 8);
        let opened = Sealed::<IdNumber>::from_bytes(&b).and_then(|s| keyring.open(&s, &ctx(), "test"));
        assert!(opened.is_err(), "bit {bit} flipped and still opened");
    }
    for len in 0..bytes.len() {
        let opened =
            Sealed::<IdNumber>::from_bytes(&bytes[..len]).and_then(|s| keyring.open(&s, &ctx(), "t"));
        assert!(opened.is_err(), "truncated to {len} and still opened");
    }
    // Appending is tampering too.
    let mut longer = bytes.clone();
    longer.push(0);
    let s = Sealed::<IdNumber>::from_bytes(&longer).unwrap();
    assert_eq!(keyring.open(&s, &ctx(), "t"), Err(Error::AuthenticationFailed));
}

#[test]
fn each_failure_has_its_own_error() {
    let mut keyring = Keyring::generate().unwrap();
    let sealed = keyring.seal(&id(), &ctx()).unwrap();
    let mut b = sealed.as_bytes().to_vec();

    // A flipped ciphertext bit.
    let last = b.len() - 1;
    b[last] ^= 1;
    let s = Sealed::<IdNumber>::from_bytes(&b).unwrap();
    assert_eq!(keyring.open(&s, &ctx(), "t"), Err(Error::AuthenticationFailed));

    // Another context: same table and column, another row; another column.
    assert_eq!(keyring.open(&sealed, &ctx().with_row("43"), "t"), Err(Error::ContextMismatch));
    assert_eq!(
        keyring.open(&sealed, &Context::new("users", "phone").with_row("42"), "t"),
        Err(Error::ContextMismatch)
    );

    // Another kind.
    assert_eq!(
        Sealed::<MobilePhone>::from_bytes(sealed.as_bytes()).unwrap_err(),
        Error::KindMismatch { expected: desensitize::Kind::MobilePhone, found: desensitize::Kind::IdNumber }
    );

    // Truncated, bad version, bad algorithm, bad text.
    assert_eq!(Sealed::<IdNumber>::from_bytes(&sealed.as_bytes()[..39]).unwrap_err(), Error::Truncated);
    assert_eq!(Sealed::<IdNumber>::from_bytes(&[]).unwrap_err(), Error::Truncated);
    let mut v = sealed.as_bytes().to_vec();
    v[0] = 9;
    assert_eq!(Sealed::<IdNumber>::from_bytes(&v).unwrap_err(), Error::UnsupportedVersion(9));
    let mut v = sealed.as_bytes().to_vec();
    v[1] = 7;
    assert_eq!(Sealed::<IdNumber>::from_bytes(&v).unwrap_err(), Error::UnsupportedAlgorithm(7));
    assert!(matches!(
        "xx1.AAAA".parse::<Sealed<IdNumber>>(),
        Err(Error::Malformed(EnvelopeError::NotSealed))
    ));
    assert!(matches!("dz1.***".parse::<Sealed<IdNumber>>(), Err(Error::Malformed(EnvelopeError::Base64))));

    // Unknown key id (header says 99).
    let mut v = sealed.as_bytes().to_vec();
    v[2..6].copy_from_slice(&99u32.to_be_bytes());
    let s = Sealed::<IdNumber>::from_bytes(&v).unwrap();
    assert_eq!(keyring.open(&s, &ctx(), "t"), Err(Error::UnknownKey(99)));

    // Destroyed key.
    keyring.rotate().unwrap();
    keyring.destroy(1, 0).unwrap();
    assert_eq!(keyring.open(&sealed, &ctx(), "t"), Err(Error::KeyDestroyed(1)));

    // No plaintext in any of those messages.
    for e in [Error::AuthenticationFailed, Error::ContextMismatch, Error::KeyDestroyed(1)] {
        assert!(!e.to_string().contains("1101"));
    }
}

#[test]
fn text_and_binary_forms_agree() {
    let keyring = Keyring::generate().unwrap();
    let sealed = keyring.seal(&id(), &ctx()).unwrap();
    let text = sealed.to_text();
    assert_eq!(text, sealed.to_string());
    assert!(text.starts_with("dz1.") && text.len() < 100);
    assert!(text[4..].bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_'));
    let back: Sealed<IdNumber> = text.parse().unwrap();
    assert_eq!(back, sealed);
    assert_eq!(
        format!("{sealed:?}"),
        format!("Sealed<cn.id_number>(key 1, {} bytes)", sealed.as_bytes().len())
    );
    let json = serde_json::to_string(&sealed).unwrap();
    assert_eq!(json, format!("\"{text}\""));
    let from_json: Sealed<IdNumber> = serde_json::from_str(&json).unwrap();
    assert_eq!(from_json, sealed);
    assert!(serde_json::from_str::<Sealed<MobilePhone>>(&json).is_err());
}

#[test]
fn same_value_seals_differently_each_time() {
    let keyring = Keyring::generate().unwrap();
    let a = keyring.seal(&id(), &ctx()).unwrap();
    let b = keyring.seal(&id(), &ctx()).unwrap();
    assert_ne!(a, b);
}

#[test]
fn rotation_of_ten_thousand_values_loses_nothing() {
    let mut keyring = Keyring::generate().unwrap();
    let phones: Vec<MobilePhone> =
        (0..10_000u32).map(|i| format!("139{:08}", i * 7919 % 100_000_000).parse().unwrap()).collect();
    let rows: Vec<(Sealed<MobilePhone>, Context)> = phones
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let c = Context::new("users", "phone").with_row(&i.to_string());
            (keyring.seal(p, &c).unwrap(), c)
        })
        .collect();
    let contexts: Vec<Context> = rows.iter().map(|(_, c)| c.clone()).collect();
    assert_eq!(keyring.keys()[0].seal_count, 10_000);

    let new_id = keyring.rotate().unwrap();
    assert_eq!(keyring.keys()[0].state, KeyState::DecryptOnly);
    let still_old = rows.iter().filter(|(s, _)| s.needs_rotation(&keyring)).count() as u64;
    assert_eq!(keyring.destroy(1, still_old), Err(Error::KeyInUse { id: 1, remaining: 10_000 }));

    let mut last = 0;
    let report = keyring.reseal_all(rows, |p| last = p.done);
    assert_eq!((report.resealed, report.unchanged, report.failed.len(), last), (10_000, 0, 0, 10_000));
    let resealed: Vec<Sealed<MobilePhone>> = report.outcomes.into_iter().map(Result::unwrap).collect();
    let remaining = resealed.iter().filter(|s| s.needs_rotation(&keyring)).count() as u64;
    keyring.destroy(1, remaining).unwrap();
    assert_eq!(keyring.keys()[0].state, KeyState::Destroyed);

    for ((s, c), p) in resealed.iter().zip(&contexts).zip(&phones) {
        assert_eq!(s.key_id(), new_id);
        assert_eq!(&keyring.open(s, c, "verify").unwrap(), p);
    }
}

#[test]
fn reseal_all_reports_failures_and_carries_on() {
    let mut keyring = Keyring::generate().unwrap();
    let good = keyring.seal(&id(), &ctx()).unwrap();
    keyring.rotate().unwrap();
    let items = vec![(good.clone(), ctx()), (good.clone(), ctx().with_row("other")), (good, ctx())];
    let report = keyring.reseal_all(items, |_| {});
    assert_eq!(report.resealed, 2);
    assert_eq!(report.failed, vec![(1, Error::ContextMismatch)]);
}

#[test]
fn key_lifecycle_rules() {
    let mut keyring = Keyring::generate().unwrap();
    assert_eq!(keyring.destroy(1, 0), Err(Error::Key(KeyError::DestroyActive)));
    assert_eq!(keyring.set_decrypt_only(1), Err(Error::Key(KeyError::RetireActive)));
    assert_eq!(keyring.destroy(7, 0), Err(Error::UnknownKey(7)));
    assert_eq!(
        keyring.add_key(1, RootKey::from_bytes([1; 32]), KeyState::DecryptOnly),
        Err(Error::Key(KeyError::DuplicateId))
    );
    assert_eq!(
        keyring.add_key(0, RootKey::from_bytes([1; 32]), KeyState::DecryptOnly),
        Err(Error::Key(KeyError::ReservedId))
    );
    keyring.add_key(5, RootKey::from_bytes([5; 32]), KeyState::Active).unwrap();
    assert_eq!(keyring.active_key_id(), Some(5));
    assert_eq!(keyring.rotate().unwrap(), 6);
    let empty = Keyring::new();
    assert_eq!(empty.seal(&id(), &ctx()).unwrap_err(), Error::NoActiveKey);
}

#[test]
fn forgetting_a_subject_shreds_its_values() {
    let keyring = Keyring::generate().unwrap();
    let store = InMemorySubjectStore::new();
    let a = keyring.seal_for(&store, "user-1", &id(), &ctx()).unwrap();
    let b = keyring.seal_for(&store, "user-2", &id(), &ctx()).unwrap();
    assert!(a.is_subject_sealed() && !a.needs_rotation(&keyring));
    assert_eq!(keyring.open_for(&store, "user-1", &a, &ctx(), "t").unwrap(), id());
    // Another subject's key does not open it (the v2 keyed check cannot
    // tell other key material from another place, SPEC.md §5.3); plain open refuses too.
    assert_eq!(keyring.open_for(&store, "user-2", &a, &ctx(), "t"), Err(Error::ContextMismatch));
    assert_eq!(keyring.open(&a, &ctx(), "t"), Err(Error::SubjectSealed));
    assert_eq!(keyring.open_for(&store, "nobody", &a, &ctx(), "t"), Err(Error::UnknownSubject));

    // A backup copy of the envelope is dead once the subject is forgotten.
    let backup = a.to_text();
    store.forget("user-1").unwrap();
    let restored: Sealed<IdNumber> = backup.parse().unwrap();
    assert_eq!(keyring.open_for(&store, "user-1", &restored, &ctx(), "t"), Err(Error::SubjectForgotten));
    assert_eq!(keyring.seal_for(&store, "user-1", &id(), &ctx()).unwrap_err(), Error::SubjectForgotten);
    assert_eq!(keyring.open_for(&store, "user-2", &b, &ctx(), "t").unwrap(), id());
}

#[test]
fn subject_keys_survive_root_rotation_when_rewrapped() {
    let mut keyring = Keyring::generate().unwrap();
    let store = InMemorySubjectStore::new();
    let sealed = keyring.seal_for(&store, "user-1", &id(), &ctx()).unwrap();
    keyring.rotate().unwrap();
    keyring.rewrap_subject(&store, "user-1").unwrap();
    keyring.destroy(1, 0).unwrap();
    assert_eq!(keyring.open_for(&store, "user-1", &sealed, &ctx(), "t").unwrap(), id());
    store.forget("user-1").unwrap();
    assert_eq!(keyring.rewrap_subject(&store, "user-1"), Err(Error::SubjectForgotten));
}

#[test]
fn protected_keyring_file_round_trip_and_failures() {
    let dir = common::temp_dir("keyring-file");
    let path = dir.join("keys.dzk");
    let mut keyring = Keyring::generate().unwrap();
    let sealed = keyring.seal(&id(), &ctx()).unwrap();
    keyring.rotate().unwrap();
    keyring.rotate().unwrap();
    keyring.destroy(2, 0).unwrap();
    let provider = fast_provider("correct horse");
    keyring.save(&path, &provider).unwrap();
    assert!(std::fs::read_dir(&dir).unwrap().count() == 1, "temporary file left behind");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    }

    let loaded = Keyring::load(&path, &provider).unwrap();
    assert_eq!(loaded.keys(), keyring.keys());
    assert_eq!(loaded.open(&sealed, &ctx(), "t").unwrap(), id());
    assert_eq!(loaded.active_key_id(), Some(3));

    let bytes = std::fs::read(&path).unwrap();
    let file_err = |b: &[u8], p: &PassphraseProvider| match Keyring::from_protected_bytes(b, p) {
        Err(Error::KeyringFile(e)) => e,
        Err(other) => panic!("unexpected error {other}"),
        Ok(_) => panic!("opened"),
    };
    assert_eq!(file_err(&bytes, &fast_provider("wrong horse")), KeyringFileError::WrongPassphrase);
    assert_eq!(file_err(&bytes[..bytes.len() - 1], &provider), KeyringFileError::Corrupted);
    assert_eq!(file_err(&bytes[..10], &provider), KeyringFileError::Truncated);
    assert_eq!(file_err(b"PK\x03\x04 zip file", &provider), KeyringFileError::NotAKeyringFile);
    let mut v = bytes.clone();
    v[4] = 3;
    assert_eq!(file_err(&v, &provider), KeyringFileError::UnsupportedVersion(3));
    // Flip a ciphertext byte and fix up the checksum: an attacker's edit.
    let mut v = bytes.clone();
    let n = v.len();
    v[n - 40] ^= 1;
    common::fix_checksum(&mut v);
    assert_eq!(file_err(&v, &provider), KeyringFileError::Tampered);
    // Any single corrupted byte is refused (checksum or authentication).
    for i in 0..bytes.len() {
        let mut v = bytes.clone();
        v[i] ^= 0x80;
        assert!(Keyring::from_protected_bytes(&v, &provider).is_err(), "byte {i}");
    }
    // A reader with other costs (the file says 64 KiB, 1 pass, 1 lane) still
    // reads it: the parameters come from the file, not from the reader.
    let other = PassphraseProvider::with_params("correct horse", 256, 2, 2).unwrap();
    assert_eq!(Keyring::from_protected_bytes(&bytes, &other).unwrap().keys(), keyring.keys());
    assert_eq!(PassphraseProvider::stored_params(&bytes).unwrap(), provider.params());
    assert_ne!(other.params(), provider.params());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn keyring_from_environment() {
    // `std::env::set_var` is unsafe in edition 2024 (other threads may read
    // the environment), so the set-variable path runs in a child process:
    // this test binary re-executed with the variables in its environment.
    const CHILD: &str = "DZ_TEST_ENV_CHILD";
    if std::env::var(CHILD).is_ok() {
        let keyring = Keyring::from_env_vars("DZ_TEST_ROOT_KEY", "DZ_TEST_ROOT_KEY_ID").unwrap();
        assert_eq!(keyring.active_key_id(), Some(7));
        let reference = {
            let mut k = Keyring::new();
            k.add_key(7, RootKey::from_bytes([9; 32]), KeyState::Active).unwrap();
            k
        };
        let sealed = reference.seal(&id(), &ctx()).unwrap();
        assert_eq!(keyring.open(&sealed, &ctx(), "t").unwrap(), id());
        return;
    }
    let missing = Keyring::from_env_vars("DZ_TEST_UNSET_KEY", "DZ_TEST_UNSET_ID");
    assert_eq!(missing.err(), Some(Error::Key(KeyError::RootKeyEnvUnset)));
    let key = RootKey::from_bytes([9; 32]).expose_base64();
    let status = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "keyring_from_environment", "--nocapture"])
        .env(CHILD, "1")
        .env("DZ_TEST_ROOT_KEY", key.as_str())
        .env("DZ_TEST_ROOT_KEY_ID", "7")
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "child test failed");
}

#[test]
fn eight_threads_seal_with_distinct_nonces() {
    let keyring = Arc::new(Keyring::generate().unwrap());
    let handles: Vec<_> = (0..8)
        .map(|t| {
            let keyring = Arc::clone(&keyring);
            std::thread::spawn(move || {
                let c = Context::new("users", "id_number").with_row(&t.to_string());
                (0..5_000)
                    .map(|_| keyring.seal(&id(), &c).unwrap().as_bytes()[12..24].to_vec())
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut seen = HashSet::new();
    for h in handles {
        for nonce in h.join().unwrap() {
            assert!(seen.insert(nonce), "nonce repeated");
        }
    }
    assert_eq!(seen.len(), 40_000);
    assert_eq!(keyring.keys()[0].seal_count, 40_000);
}

#[test]
fn poisoned_context_fails_closed() {
    let keyring = Keyring::generate().unwrap();
    let too_long = Error::Context(ContextError::FieldTooLong);
    let bad = Context::new("users", &"x".repeat(5000));
    assert_eq!(keyring.seal(&id(), &bad).unwrap_err(), too_long);
    assert_eq!(keyring.seal_text(&id(), &bad).unwrap_err(), too_long);
    let store = InMemorySubjectStore::new();
    assert_eq!(keyring.seal_for(&store, "u", &id(), &bad).unwrap_err(), too_long);
    let ok = keyring.seal(&id(), &ctx()).unwrap();
    let bad_open = ctx().with("note", &"y".repeat(5000));
    assert_eq!(keyring.open(&ok, &bad_open, "t"), Err(too_long.clone()));
    assert_eq!(keyring.open_text::<IdNumber>(&ok.to_text(), &bad_open, "t"), Err(too_long));
}

#[test]
fn audit_sink_sees_every_open_without_values() {
    let log = Arc::new(desensitize::audit::JsonLinesAudit::new(Vec::new()));
    let mut keyring = Keyring::generate().unwrap();
    keyring.set_audit_sink(log.clone());
    let sealed = keyring.seal(&id(), &ctx()).unwrap();
    keyring.open(&sealed, &ctx(), "kyc").unwrap();
    let _ = keyring.open(&sealed, &ctx().with_row("9"), "kyc");
    let text = String::from_utf8(log.into_inner_clone()).unwrap();
    let lines: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["outcome"], "opened");
    assert_eq!(lines[0]["kind"], "cn.id_number");
    assert_eq!(lines[0]["context"]["row"], "42");
    assert_eq!(lines[0]["key_id"], 1);
    assert_eq!(lines[1]["outcome"], "refused");
    assert_eq!(lines[1]["error"], "sealed value belongs to another context");
    assert!(!text.contains("110105") && !text.contains("1949"));
}

#[test]
fn subject_store_is_shared_safely() {
    // Two threads sealing for a new subject at once must agree on one key.
    let keyring = Arc::new(Keyring::generate().unwrap());
    let store = Arc::new(InMemorySubjectStore::new());
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let (k, s) = (Arc::clone(&keyring), Arc::clone(&store));
            std::thread::spawn(move || k.seal_for(&*s, "new-user", &id(), &ctx()).unwrap())
        })
        .collect();
    for h in handles {
        let sealed = h.join().unwrap();
        assert_eq!(keyring.open_for(&*store, "new-user", &sealed, &ctx(), "t").unwrap(), id());
    }
    assert!(store.load("new-user").unwrap().is_some());
}

#[test]
fn keyring_debug_shows_no_material() {
    let mut keyring = Keyring::new();
    keyring.add_key(3, RootKey::from_bytes([0xAB; 32]), KeyState::Active).unwrap();
    let dbg = format!("{keyring:?}");
    assert_eq!(
        dbg,
        "Keyring { keys: [KeyInfo { id: 3, state: Active, seal_count: 0, ledger_seals: 0, suite: Aes }], .. }"
    );
    assert!(!dbg.to_lowercase().contains("ab") && !dbg.contains("171"));
}

#[test]
fn text_shortcuts_match_the_two_step_forms() {
    let keyring = Keyring::generate().unwrap();
    let text = keyring.seal_text(&id(), &ctx()).unwrap();
    let sealed: Sealed<IdNumber> = text.parse().unwrap();
    assert_eq!(keyring.open(&sealed, &ctx(), "t").unwrap(), id());
    assert_eq!(keyring.open_text::<IdNumber>(&text, &ctx(), "t").unwrap(), id());
    assert_eq!(keyring.open_text::<IdNumber>(&sealed.to_text(), &ctx(), "t").unwrap(), id());
    assert_eq!(
        keyring.open_text::<MobilePhone>(&text, &ctx(), "t").unwrap_err(),
        Error::KindMismatch { expected: desensitize::Kind::MobilePhone, found: desensitize::Kind::IdNumber }
    );
    assert_eq!(keyring.open_text::<IdNumber>(&text, &ctx().with_row("1"), "t"), Err(Error::ContextMismatch));
    assert_eq!(keyring.open_text::<IdNumber>(&text[..32], &ctx(), "t"), Err(Error::Truncated));
    assert!(matches!(
        keyring.open_text::<IdNumber>("dz1.!!", &ctx(), "t"),
        Err(Error::Malformed(EnvelopeError::Base64))
    ));
    // A long value (over the stack buffer) takes the heap path both ways.
    let addr: desensitize::Address = format!("北京市朝阳区{}", "建国路".repeat(40)).parse().unwrap();
    let c = Context::new("users", "address");
    let t = keyring.seal_text(&addr, &c).unwrap();
    assert_eq!(keyring.open_text::<desensitize::Address>(&t, &c, "t").unwrap(), addr);
    // Every single-character edit of the text form is refused.
    for i in 4..text.len() {
        let mut b = text.clone().into_bytes();
        b[i] = if b[i] == b'A' { b'B' } else { b'A' };
        let edited = String::from_utf8(b).unwrap();
        assert!(keyring.open_text::<IdNumber>(&edited, &ctx(), "t").is_err(), "edit at {i}");
    }
}
