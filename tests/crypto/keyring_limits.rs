//! Bounded work for hostile keyring files and PHC strings, the parameters a
//! file keeps, and valid pins (issue 8, defects 5, 6, 9 and SPEC §6.2).

use crate::common;

use std::time::{Duration, Instant};

use desensitize::keys::{CostLimits, DataKey, KeyProvider, PassphraseProvider, WrappedKey};
use desensitize::pseudo::Domain;
use desensitize::{
    Error, Keyring, KeyringFileError, PasswordHash, PasswordHashError, PasswordParams, PinsError,
};

/// Offset of the Argon2id parameters in a passphrase keyring file: magic,
/// version, provider id length, `"passphrase-argon2id"`, wrapped key length.
const PARAMS_AT: usize = 4 + 1 + 1 + PassphraseProvider::ID.len() + 2;

fn fast(pass: &str) -> PassphraseProvider {
    PassphraseProvider::with_params(pass, 64, 1, 1).unwrap()
}

fn file_err(bytes: &[u8], provider: &PassphraseProvider) -> KeyringFileError {
    match Keyring::from_protected_bytes(bytes, provider) {
        Err(Error::KeyringFile(e)) => e,
        Err(other) => panic!("unexpected error {other}"),
        Ok(_) => panic!("opened"),
    }
}

/// A valid file whose Argon2id parameters were then edited (checksum fixed).
fn with_costs(m: u32, t: u32, p: u32) -> Vec<u8> {
    let mut bytes = Keyring::generate().unwrap().to_protected_bytes(&fast("pw")).unwrap();
    for (i, v) in [m, t, p].into_iter().enumerate() {
        bytes[PARAMS_AT + 4 * i..PARAMS_AT + 4 * i + 4].copy_from_slice(&v.to_be_bytes());
    }
    common::fix_checksum(&mut bytes);
    bytes
}

#[test]
fn hostile_costs_are_refused_before_any_argon2_work() {
    let provider = fast("pw");
    let limits = CostLimits::default();
    let cases = [
        (4 << 20, 1, 1),                               // 4 GiB: accepted before the caps
        (limits.max_m_cost_kib + 1, 1, 1),             // just over the memory cap
        (64, limits.max_t_cost + 1, 1),                // just over the passes cap
        (64 * 64, 1, limits.max_p_cost + 1),           // just over the lanes cap
        (limits.max_m_cost_kib, limits.max_t_cost, 1), // each within, the product over
        (1 << 20, 64, 64),
    ];
    for (m, t, p) in cases {
        let bytes = with_costs(m, t, p);
        let started = Instant::now();
        assert_eq!(file_err(&bytes, &provider), KeyringFileError::CostTooHigh, "m={m} t={t} p={p}");
        assert!(started.elapsed() < Duration::from_secs(1), "m={m} t={t} p={p} took {:?}", started.elapsed());
    }
    // Impossible parameters stay a distinct error.
    assert_eq!(file_err(&with_costs(64, 0, 1), &provider), KeyringFileError::Parameters);
    assert_eq!(file_err(&with_costs(4, 1, 1), &provider), KeyringFileError::Parameters);
}

#[test]
fn the_caller_sets_the_cap() {
    let file = Keyring::generate().unwrap().to_protected_bytes(&fast("pw")).unwrap();
    // The default caps accept the default parameters and these.
    let d = PasswordParams::default();
    assert!(CostLimits::default().allows(d.m_cost_kib(), d.t_cost(), d.p_cost()));
    assert!(Keyring::from_protected_bytes(&file, &fast("pw")).is_ok());

    let tight = CostLimits { max_m_cost_kib: 32, ..CostLimits::default() };
    let reader = PassphraseProvider::with_params("pw", 16, 1, 1).unwrap().with_limits(tight).unwrap();
    assert_eq!(file_err(&file, &reader), KeyringFileError::CostTooHigh);
    // A provider never takes limits that its own parameters break.
    assert_eq!(fast("pw").with_limits(tight).err(), Some(Error::KeyringFile(KeyringFileError::CostTooHigh)));
    assert_eq!(
        PassphraseProvider::with_params("pw", (1 << 20) + 1, 1, 1).err(),
        Some(Error::KeyringFile(KeyringFileError::CostTooHigh))
    );
    // Raised limits let a provider write (and read) stronger files.
    let wide = CostLimits { max_t_cost: 20, max_work: 64 * 20, ..CostLimits::default() };
    let strong = fast("pw").with_limits(wide).unwrap();
    let strong = strong.with_costs(PasswordParams::new(64, 20, 1).unwrap()).unwrap();
    let bytes = Keyring::generate().unwrap().to_protected_bytes(&strong).unwrap();
    assert_eq!(file_err(&bytes, &fast("pw")), KeyringFileError::CostTooHigh);
    assert!(Keyring::from_protected_bytes(&bytes, &strong).is_ok());
}

#[test]
fn a_file_tells_its_parameters_and_saving_can_keep_them() {
    let provider = PassphraseProvider::with_params("pw", 96, 3, 2).unwrap();
    assert_eq!(provider.params(), PasswordParams::new(96, 3, 2).unwrap());
    let bytes = Keyring::generate().unwrap().to_protected_bytes(&provider).unwrap();
    let stored = PassphraseProvider::stored_params(&bytes).unwrap();
    assert_eq!(stored, PasswordParams::new(96, 3, 2).unwrap());

    // Reading does not need the file's parameters (they come from the file)...
    let reader = fast("pw");
    let keyring = Keyring::from_protected_bytes(&bytes, &reader).unwrap();
    // ...but saving with the reader would write the reader's; keep the file's.
    let keeper = PassphraseProvider::new("pw").unwrap().with_costs(stored).unwrap();
    let again = keyring.to_protected_bytes(&keeper).unwrap();
    assert_eq!(PassphraseProvider::stored_params(&again).unwrap(), stored);

    assert_eq!(
        PassphraseProvider::stored_params(b"DZKR\x01").unwrap_err(),
        Error::KeyringFile(KeyringFileError::Truncated)
    );
    assert_eq!(
        PassphraseProvider::stored_params(b"PK\x03\x04....").unwrap_err(),
        Error::KeyringFile(KeyringFileError::NotAKeyringFile)
    );
}

#[test]
fn phc_strings_with_absurd_costs_are_refused_on_parse() {
    let salt_and_hash = "c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaA";
    let phc = |params: &str| format!("$argon2id$v=19${params}${salt_and_hash}");
    let too_costly = Error::PasswordHash(PasswordHashError::CostAboveLimits);
    for params in ["m=256,t=4294967295,p=1", "m=4194304,t=1,p=1", "m=2048,t=1,p=64", "m=1048576,t=10,p=1"] {
        let started = Instant::now();
        assert_eq!(phc(params).parse::<PasswordHash>().unwrap_err(), too_costly, "{params}");
        assert!(started.elapsed() < Duration::from_secs(1));
    }
    assert!(phc("m=19456,t=2,p=1").parse::<PasswordHash>().is_ok());
    // Hashing refuses what parsing would, so every hash made parses back.
    let p: desensitize::Password = "pw".parse().unwrap();
    assert_eq!(p.hash_with(&PasswordParams::new(256, 11, 1).unwrap()).unwrap_err(), too_costly);
    // A caller who needs more says so.
    let wide = CostLimits { max_t_cost: 100, max_work: 256 * 100, ..CostLimits::default() };
    let parsed = PasswordHash::parse_with_limits(&phc("m=256,t=100,p=1"), &wide).unwrap();
    assert_eq!(parsed.params().t_cost(), 100);
}

/// A provider that stores the data key as is: lets a test write any payload.
struct Plain;

impl KeyProvider for Plain {
    fn id(&self) -> &str {
        "test-plain"
    }
    fn wrap(&self, key: &DataKey) -> desensitize::Result<WrappedKey> {
        Ok(WrappedKey::from_bytes(key.expose_bytes().to_vec()))
    }
    fn unwrap(&self, w: &WrappedKey) -> desensitize::Result<DataKey> {
        let mut k = zeroize::Zeroizing::new([0u8; 32]);
        k.copy_from_slice(w.as_bytes());
        Ok(DataKey::from_bytes(k))
    }
}

/// A keyring file (SPEC.md §6.1) with keys 1 (decrypt-only), 2 (active) and
/// 3 (destroyed), followed by a pins section of `pins` announcing `count`.
fn file_with_pins(pins: &[(&str, u32)], count: Option<u32>) -> Vec<u8> {
    use aes_gcm::aead::{AeadInOut, KeyInit};
    let mut payload = 3u32.to_be_bytes().to_vec();
    for (id, state) in [(1u32, 2u8), (2, 1), (3, 3)] {
        payload.extend_from_slice(&id.to_be_bytes());
        payload.push(state);
        payload.extend_from_slice(&0u64.to_be_bytes());
        if state != 3 {
            payload.extend_from_slice(&[id as u8; 32]);
        }
    }
    payload.extend_from_slice(&count.unwrap_or(pins.len() as u32).to_be_bytes());
    for (name, id) in pins {
        payload.extend_from_slice(&(name.len() as u16).to_be_bytes());
        payload.extend_from_slice(name.as_bytes());
        payload.extend_from_slice(&id.to_be_bytes());
    }
    let dek = [7u8; 32];
    let mut file = b"DZKR\x01".to_vec();
    file.push(Plain.id().len() as u8);
    file.extend_from_slice(Plain.id().as_bytes());
    file.extend_from_slice(&32u16.to_be_bytes());
    file.extend_from_slice(&dek);
    let nonce = [9u8; 12];
    let tag = aes_gcm::Aes256Gcm::new(&dek.into())
        .encrypt_inout_detached(&nonce.into(), &file, payload.as_mut_slice().into())
        .unwrap();
    file.extend_from_slice(&nonce);
    file.extend_from_slice(&payload);
    file.extend_from_slice(&tag);
    file.extend_from_slice(&[0; 32]);
    common::fix_checksum(&mut file);
    file
}

fn pins_err(pins: &[(&str, u32)], count: Option<u32>) -> KeyringFileError {
    match Keyring::from_protected_bytes(&file_with_pins(pins, count), &Plain) {
        Err(Error::KeyringFile(e)) => e,
        Err(other) => panic!("unexpected error {other}"),
        Ok(_) => panic!("opened"),
    }
}

#[test]
fn pins_must_be_what_spec_allows() {
    let good = [("blind_index:sales", 1), ("fpe:sales", 1), ("pseudonym:sales", 1)];
    let keyring = Keyring::from_protected_bytes(&file_with_pins(&good, None), &Plain).unwrap();
    assert_eq!(keyring.pinned_key_id(&Domain::new("sales").unwrap()), Some(1));

    let refused = pins_err;
    assert_eq!(refused(&[], None), KeyringFileError::InvalidPins(PinsError::Empty));
    assert_eq!(
        refused(&[("pseudonym:sales", 9)], None),
        KeyringFileError::InvalidPins(PinsError::MissingKey)
    );
    assert_eq!(
        refused(&[("pseudonym:sales", 3)], None),
        KeyringFileError::InvalidPins(PinsError::DestroyedKey)
    );
    assert_eq!(
        refused(&[("tokens:sales", 1)], None),
        KeyringFileError::InvalidPins(PinsError::UnknownNamespace)
    );
    assert_eq!(refused(&[("sales", 1)], None), KeyringFileError::InvalidPins(PinsError::UnknownNamespace));
    assert_eq!(
        refused(&[("pseudonym:Sales!", 1)], None),
        KeyringFileError::InvalidPins(PinsError::DomainName)
    );
    assert_eq!(
        refused(&[("fpe:sales", 1), ("fpe:sales", 2)], None),
        KeyringFileError::InvalidPins(PinsError::Duplicate)
    );
    assert_eq!(refused(&[("fpe:sales", 1)], Some(2)), KeyringFileError::Truncated);
    // Rule 4 in file order (SPEC §6.3 row 12), not in name order.
    assert_eq!(
        refused(&[("pseudonym:sales", 9), ("fpe:sales", 3)], None),
        KeyringFileError::InvalidPins(PinsError::MissingKey)
    );
    assert_eq!(
        refused(&[("pseudonym:sales", 3), ("fpe:sales", 9)], None),
        KeyringFileError::InvalidPins(PinsError::DestroyedKey)
    );
    // Rules 2-3 for every pin before rule 4 for any.
    assert_eq!(
        refused(&[("fpe:sales", 9), ("tokens:sales", 1)], None),
        KeyringFileError::InvalidPins(PinsError::UnknownNamespace)
    );
}

/// `Keyring::load` refuses what cannot be a keyring file before reading it
/// whole: a device that never ends, a file over the 16 MiB format limit.
#[test]
fn load_reads_only_a_bounded_regular_file() {
    use desensitize::keys::read_keyring_file;
    let file_err = |r: desensitize::Result<Vec<u8>>| match r {
        Err(Error::KeyringFile(e)) => e,
        other => panic!("unexpected {:?}", other.map(|b| b.len())),
    };
    assert_eq!(
        file_err(read_keyring_file(std::path::Path::new("/dev/zero"))),
        KeyringFileError::NotAKeyringFile
    );
    let dir = std::env::temp_dir().join(format!("dz-keyring-size-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let big = dir.join("big.dzk");
    std::fs::write(&big, vec![0u8; (16 << 20) + 1]).unwrap();
    assert_eq!(file_err(read_keyring_file(&big)), KeyringFileError::Malformed);
    assert!(matches!(Keyring::load(&big, &Plain), Err(Error::KeyringFile(KeyringFileError::Malformed))));
    std::fs::write(&big, b"DZKR").unwrap();
    assert_eq!(read_keyring_file(&big).unwrap(), b"DZKR");
    std::fs::remove_dir_all(&dir).unwrap();
}
