//! The protected keyring file (SPEC.md §6): `Keyring::from_protected_bytes`.
//!
//! Modes (first byte):
//! * raw file bytes, read with the passphrase provider;
//! * the same with the trailing SHA-256 checksum recomputed, so that
//!   mutations get past it to the provider (Argon2id, §6.4) and the tag;
//! * a fuzzed *payload* (§6.2), encrypted here under a data key that a
//!   test provider hands out as is, so that mutations reach the payload
//!   parser. A payload the crate accepts must be valid by SPEC §6.2 and
//!   must be written back with the same keys and pins.
//!
//! The passphrase provider takes the Argon2id cost from the file, within
//! the caller-set [`LIMITS`] (`PassphraseProvider::with_limits`): the
//! library refuses a file that asks for more with `CostTooHigh` before any
//! Argon2id work, so the fuzzer never spends its time (or the machine's
//! memory) in Argon2id. The harness reads the cost itself (§6.1, §6.4) and
//! cross-checks that refusal.
#![no_main]

use std::collections::BTreeMap;

use aes_gcm::aead::{AeadInOut, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use desensitize::keys::{CostLimits, DataKey, KeyProvider, KeyState, PassphraseProvider, WrappedKey};
use desensitize::{Error, KeyError, Keyring, KeyringFileError};
use desensitize_fuzz::{Bytes, vectors};
use libfuzzer_sys::fuzz_target;
use sha2::{Digest, Sha256};

/// Largest Argon2id cost a fuzzed file may ask for (test-only parameters):
/// at most 64 KiB × 2 passes, a few milliseconds.
const LIMITS: CostLimits = CostLimits { max_m_cost_kib: 64, max_t_cost: 2, max_p_cost: 4, max_work: 128 };

fuzz_target!(|data: &[u8]| {
    let mut input = Bytes(data);
    match input.u8() % 3 {
        0 => read_with_passphrase(input.rest().to_vec()),
        1 => {
            let mut file = input.rest().to_vec();
            if file.len() >= 32 {
                fix_checksum(&mut file);
            }
            read_with_passphrase(file);
        }
        _ => read_payload(input.rest()),
    }
});

fn fix_checksum(file: &mut [u8]) {
    let n = file.len() - 32;
    let sum = Sha256::digest(&file[..n]);
    file[n..].copy_from_slice(&sum);
}

/// The Argon2id `(m, t, p)` a passphrase file asks for (SPEC.md §6.1: magic
/// 4, version 1, provider id length `P` 1, provider id, wrapped-key length
/// 2, wrapped key; §6.4: the wrapped key opens with `m`, `t`, `p`, u32be).
/// `None` when the wrapped key (as long as its length field says) ends
/// before them (then no Argon2id runs).
fn argon2_cost(file: &[u8]) -> Option<(u32, u32, u32)> {
    let p = usize::from(*file.get(5)?);
    let len = usize::from(u16::from_be_bytes(file.get(6 + p..8 + p)?.try_into().ok()?));
    let wrapped = file.get(8 + p..8 + p + len)?;
    let word = |i: usize| Some(u32::from_be_bytes(wrapped.get(i..i + 4)?.try_into().ok()?));
    Some((word(0)?, word(4)?, word(8)?))
}

/// Within SPEC.md §6.4's bounds (`1 <= t <= 64`, `1 <= p <= 64`,
/// `8p <= m <= 4 GiB`): beyond them the file is malformed (`Parameters`),
/// whatever the reader's limits.
fn within_spec(m: u32, t: u32, p: u32) -> bool {
    (1..=64).contains(&t) && (1..=64).contains(&p) && m <= 4 << 20 && m >= 8 * p
}

/// The passphrase provider, and whether `unwrap` was called (the file got
/// past the header, the checksum and the provider id).
struct Observed {
    inner: PassphraseProvider,
    reached: std::cell::Cell<bool>,
}

impl KeyProvider for Observed {
    fn id(&self) -> &str {
        self.inner.id()
    }
    fn wrap(&self, key: &DataKey) -> desensitize::Result<WrappedKey> {
        self.inner.wrap(key)
    }
    fn unwrap(&self, wrapped: &WrappedKey) -> desensitize::Result<DataKey> {
        self.reached.set(true);
        self.inner.unwrap(wrapped)
    }
}

fn read_with_passphrase(file: Vec<u8>) {
    let vector = &vectors::keyring_files()[0];
    let inner = PassphraseProvider::with_params(&vector.passphrase, 8, 1, 1)
        .and_then(|p| p.with_limits(LIMITS))
        .expect("provider within its limits");
    assert_eq!(inner.limits(), LIMITS);
    let provider = Observed { inner, reached: std::cell::Cell::new(false) };
    let result = Keyring::from_protected_bytes(&file, &provider);
    // A file that reaches the provider asking for more than LIMITS (within
    // SPEC's bounds) is refused with CostTooHigh: the provider checks the
    // cost before any Argon2id work. (Were Argon2id run, a cost up to 4 GiB
    // would also trip the smoke run's -rss_limit_mb and -timeout.)
    if provider.reached.get()
        && let Some((m, t, p)) = argon2_cost(&file)
        && within_spec(m, t, p)
        && !LIMITS.allows(m, t, p)
    {
        assert_eq!(
            result.as_ref().err(),
            Some(&Error::KeyringFile(KeyringFileError::CostTooHigh)),
            "an over-limit file ({m} KiB, {t} passes, {p} lanes) reached the provider"
        );
    }
    match result {
        Ok(keyring) => {
            // Only the vector file itself can authenticate.
            assert!(
                vectors::keyring_files().iter().any(|v| v.file == file),
                "a keyring file that is no vector was accepted: {file:02x?}"
            );
            let _ = keyring.keys();
        }
        Err(e) => {
            assert!(matches!(e, Error::KeyringFile(_)), "keyring file error {e:?}");
            assert!(file != vector.file, "the keyring vector does not open: {e}");
        }
    }
}

/// Hands out the data key as the wrapped key (no protection: tests only),
/// so that the harness can encrypt and decrypt payloads itself.
struct PlainProvider;

impl KeyProvider for PlainProvider {
    fn id(&self) -> &str {
        "fuzz-plain"
    }
    fn wrap(&self, key: &DataKey) -> desensitize::Result<WrappedKey> {
        Ok(WrappedKey::from_bytes(key.expose_bytes().to_vec()))
    }
    fn unwrap(&self, wrapped: &WrappedKey) -> desensitize::Result<DataKey> {
        let bytes: [u8; 32] =
            wrapped.as_bytes().try_into().map_err(|_| Error::Key(KeyError::BadWrappedKey))?;
        Ok(DataKey::from_bytes(bytes.into()))
    }
}

const DEK: [u8; 32] = [0x42; 32];

/// A complete §6 file around `payload`, for `PlainProvider`.
fn file_of(payload: &[u8]) -> Vec<u8> {
    let pid = PlainProvider.id().as_bytes();
    let mut file = b"DZKR\x01".to_vec();
    file.push(pid.len() as u8);
    file.extend_from_slice(pid);
    file.extend_from_slice(&32u16.to_be_bytes());
    file.extend_from_slice(&DEK);
    let nonce = [9u8; 12];
    let mut ct = payload.to_vec();
    let tag = Aes256Gcm::new(&DEK.into())
        .encrypt_inout_detached(&Nonce::from(nonce), &file, ct.as_mut_slice().into())
        .expect("encrypt");
    file.extend_from_slice(&nonce);
    file.extend_from_slice(&ct);
    file.extend_from_slice(&tag);
    let sum = Sha256::digest(&file);
    file.extend_from_slice(&sum);
    file
}

/// The payload of a file written for `PlainProvider` (its DEK is in the clear).
fn payload_of(file: &[u8]) -> Vec<u8> {
    let p = usize::from(file[5]);
    let header_len = 8 + p + 32;
    let dek: [u8; 32] = file[8 + p..header_len].try_into().expect("dek");
    let nonce = Nonce::try_from(&file[header_len..header_len + 12]).expect("nonce");
    let body = &file[header_len + 12..file.len() - 32];
    let (ct, tag) = body.split_at(body.len() - 16);
    let mut buf = ct.to_vec();
    Aes256Gcm::new(&dek.into())
        .decrypt_inout_detached(
            &nonce,
            &file[..header_len],
            buf.as_mut_slice().into(),
            tag.try_into().expect("tag"),
        )
        .expect("the crate wrote a file that does not decrypt");
    buf
}

/// A payload read strictly by SPEC.md §6.2: keys by id (state, seal count,
/// material) and pins by name. `None` if the payload is not valid.
#[allow(clippy::type_complexity)]
fn spec_payload(payload: &[u8]) -> Option<(BTreeMap<u32, (u8, u64, Vec<u8>)>, BTreeMap<String, u32>)> {
    let mut r = Bytes(payload);
    let u32_of = |r: &mut Bytes| -> Option<u32> { Some(u32::from_be_bytes(r.take(4).try_into().ok()?)) };
    let count = u32_of(&mut r)?;
    let mut keys = BTreeMap::new();
    let mut active = 0;
    for _ in 0..count {
        let id = u32_of(&mut r)?;
        let state = *r.take(1).first()?;
        let seals = u64::from_be_bytes(r.take(8).try_into().ok()?);
        let material = match state {
            1 | 2 => r.take(32),
            3 => &[][..],
            _ => return None,
        };
        if material.len() != if state == 3 { 0 } else { 32 } || id == 0 {
            return None;
        }
        active += usize::from(state == 1);
        if keys.insert(id, (state, seals, material.to_vec())).is_some() {
            return None;
        }
    }
    if active > 1 {
        return None;
    }
    let mut pins = BTreeMap::new();
    if !r.0.is_empty() {
        let n = u32_of(&mut r)?;
        for _ in 0..n {
            let len = usize::from(u16::from_be_bytes(r.take(2).try_into().ok()?));
            let name = r.take(len);
            if name.len() != len {
                return None;
            }
            let name = std::str::from_utf8(name).ok()?.to_owned();
            let id = u32_of(&mut r)?;
            pins.insert(name, id);
        }
    }
    if !r.0.is_empty() {
        return None;
    }
    Some((keys, pins))
}

fn read_payload(payload: &[u8]) {
    let file = file_of(payload);
    let keyring = match Keyring::from_protected_bytes(&file, &PlainProvider) {
        Ok(k) => k,
        Err(e) => {
            assert!(matches!(e, Error::KeyringFile(_)), "keyring payload error {e:?}");
            assert!(
                !matches!(
                    e,
                    Error::KeyringFile(
                        KeyringFileError::Corrupted
                            | KeyringFileError::Tampered
                            | KeyringFileError::ProviderMismatch
                    )
                ),
                "a well-formed file around the payload was refused as {e}"
            );
            return;
        }
    };
    let Some((keys, pins)) = spec_payload(payload) else {
        panic!("the crate accepted a payload that SPEC.md §6.2 does not allow: {payload:02x?}");
    };
    let active = keys.iter().find(|(_, (state, _, _))| *state == 1).map(|(id, _)| *id);
    assert_eq!(keyring.active_key_id(), active);
    let infos = keyring.keys();
    assert_eq!(infos.len(), keys.len());
    for info in &infos {
        let (state, seals, _) = &keys[&info.id];
        let expected = match state {
            1 => KeyState::Active,
            2 => KeyState::DecryptOnly,
            _ => KeyState::Destroyed,
        };
        assert_eq!((info.state, info.seal_count), (expected, *seals), "key {}", info.id);
    }
    // Written back: the same keys (material included) and pins, in any order.
    let written = keyring.to_protected_bytes(&PlainProvider).expect("an accepted keyring is written back");
    let back =
        spec_payload(&payload_of(&written)).expect("the crate wrote a payload SPEC.md §6.2 does not allow");
    assert_eq!(back.0, keys, "keys changed on the way through the crate");
    assert_eq!(back.1, pins, "pins changed on the way through the crate");
}
