//! Open-only vectors of the `gm` suite's key wrapping (SPEC.md §5.2 version
//! 2, §5.3, §6.4, §6.5): `tests/vectors/gm_keys.json`, written with random
//! nonces and salts, so they can be opened, not re-sealed; checked
//! independently by `scripts/ci/verify_vectors.py` (`spec_check/gm_keys.py`).
//! `DESENSITIZE_WRITE_VECTORS=1 cargo test --test crypto vectors_gm_keys` rewrites it.
//!
//! * a subject born under a `gm` root key: SM4-GCM wrap (algorithm 4), an
//!   SM4 extended-nonce envelope;
//! * a subject born under an `aes` root key and re-wrapped under a `gm` one
//!   (suites `0x03`): its value sealed before the rotation (XAES-256-GCM)
//!   and the one sealed after (SM4) both open;
//! * a passphrase keyring file (version 2) of an `aes` and a `gm` key whose
//!   data key is wrapped with SM4-GCM under HKDF-SM3 of the Argon2id KEK.

use desensitize::keys::{
    InMemorySubjectStore, KeyState, PassphraseProvider, RootKey, SubjectKeyStore, SubjectRecord, Suite,
    WrappedKey,
};
use desensitize::{Context, IdNumber, Keyring, MobilePhone, Sealed};
use serde_json::{Value, json};

const PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/gm_keys.json");
const PASSPHRASE: &str = "gm passphrase";

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

fn ctx(row: &str) -> Context {
    Context::new("users", "contact").with_row(row)
}

fn wrapped(store: &InMemorySubjectStore, subject: &str) -> String {
    match store.load(subject).unwrap() {
        Some(SubjectRecord::Active(w)) => hex(w.as_bytes()),
        _ => unreachable!(),
    }
}

fn envelope(sealed_in: &str, kind: &str, row: &str, plain: &str, text: String) -> Value {
    json!({"sealed_in": sealed_in, "kind": kind,
           "context": [["table", "users"], ["column", "contact"], ["row", row]],
           "plaintext_canonical_hex": hex(plain.as_bytes()), "envelope_text": text})
}

fn fresh() -> Value {
    let phone: MobilePhone = "13800138000".parse().unwrap();
    let id: IdNumber = "11010519491231002X".parse().unwrap();
    // Born under a gm root key.
    let mut gm = Keyring::new();
    gm.add_key_with_suite(1, RootKey::from_bytes([0x21; 32]), KeyState::Active, Suite::Gm).unwrap();
    let store = InMemorySubjectStore::new();
    let s = gm.seal_for(&store, "user-gm", &phone, &ctx("1")).unwrap();
    let born_gm = json!({"note": "subject born under a gm root key", "subject": "user-gm",
        "root_key_hex": "21".repeat(32), "key_id": 1, "suite": "gm", "wrapped_key_hex": wrapped(&store, "user-gm"),
        "envelopes": [envelope("gm", "cn.mobile_phone", "1", "13800138000", s.to_text())]});
    // Born under aes, re-wrapped under gm after a rotation.
    let mut k = Keyring::new();
    k.add_key(1, RootKey::from_bytes([0x22; 32]), KeyState::Active).unwrap();
    let store = InMemorySubjectStore::new();
    let before = k.seal_for(&store, "user-moved", &id, &ctx("2")).unwrap();
    k.add_key_with_suite(2, RootKey::from_bytes([0x23; 32]), KeyState::Active, Suite::Gm).unwrap();
    assert_eq!(k.rewrap_subjects(&store).unwrap(), 1);
    let after = k.seal_for(&store, "user-moved", &id, &ctx("3")).unwrap();
    let moved = json!({"note": "subject born under aes, re-wrapped under gm", "subject": "user-moved",
        "root_key_hex": "23".repeat(32), "key_id": 2, "suite": "gm", "wrapped_key_hex": wrapped(&store, "user-moved"),
        "envelopes": [envelope("aes", "cn.id_number", "2", "11010519491231002X", before.to_text()), envelope("gm", "cn.id_number", "3", "11010519491231002X", after.to_text())]});
    // A version-2 keyring file, data key wrapped with SM4-GCM.
    let mut ring = Keyring::new();
    ring.add_key(1, RootKey::from_bytes([0x31; 32]), KeyState::DecryptOnly).unwrap();
    ring.add_key_with_suite(2, RootKey::from_bytes([0x32; 32]), KeyState::Active, Suite::Gm).unwrap();
    let file =
        ring.to_protected_bytes(&PassphraseProvider::with_params(PASSPHRASE, 8, 1, 1).unwrap()).unwrap();
    json!({
        "format": "desensitize gm key wrapping (SPEC.md §5.2 v2, §5.3, §6.4, §6.5); random nonces and salts: open-only vectors",
        "subject_sealed": [born_gm, moved],
        "keyring_files": [{"note": "aes key 1 decrypt-only, gm key 2 active: SM4-GCM payload and data-key wrap",
            "passphrase": PASSPHRASE, "argon2id": {"m": 8, "t": 1, "p": 1}, "file_hex": hex(&file),
            "keys": listed(&ring), "root_keys_hex": {"1": "31".repeat(32), "2": "32".repeat(32)}}],
    })
}

fn listed(k: &Keyring) -> Value {
    k.keys()
        .iter()
        .map(|k| json!({"id": k.id, "state": k.state.as_str(), "suite": k.suite.as_str(), "seal_count": k.seal_count}))
        .collect()
}

fn open_subject(v: &Value) {
    let mut k = Keyring::new();
    let root: [u8; 32] = unhex(v["root_key_hex"].as_str().unwrap()).try_into().unwrap();
    let suite: Suite = v["suite"].as_str().unwrap().parse().unwrap();
    let id = u32::try_from(v["key_id"].as_u64().unwrap()).unwrap();
    k.add_key_with_suite(id, RootKey::from_bytes(root), KeyState::Active, suite).unwrap();
    let store = InMemorySubjectStore::new();
    let subject = v["subject"].as_str().unwrap();
    let blob = unhex(v["wrapped_key_hex"].as_str().unwrap());
    assert_eq!((blob.len(), blob[0], blob[1]), (67, 2, 4), "SPEC §5.2 version 2, SM4-GCM wrap");
    store.insert_if_absent(subject, WrappedKey::from_bytes(blob)).unwrap();
    for e in v["envelopes"].as_array().unwrap() {
        let row = e["context"][2][1].as_str().unwrap();
        let plain = String::from_utf8(unhex(e["plaintext_canonical_hex"].as_str().unwrap())).unwrap();
        let text = e["envelope_text"].as_str().unwrap();
        let got = match e["kind"].as_str().unwrap() {
            "cn.mobile_phone" => k
                .open_for(&store, subject, &text.parse::<Sealed<MobilePhone>>().unwrap(), &ctx(row), "v")
                .map(|v| v.expose().to_owned()),
            _ => k
                .open_for(&store, subject, &text.parse::<Sealed<IdNumber>>().unwrap(), &ctx(row), "v")
                .map(|v| v.expose().to_owned()),
        };
        assert_eq!(got.unwrap(), plain, "{}", v["note"]);
    }
}

#[test]
fn gm_key_wrapping_vectors_open() {
    if std::env::var_os("DESENSITIZE_WRITE_VECTORS").is_some() {
        std::fs::write(PATH, serde_json::to_string_pretty(&fresh()).unwrap() + "\n").unwrap();
    }
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(PATH).unwrap()).unwrap();
    for v in doc["subject_sealed"].as_array().unwrap() {
        open_subject(v);
    }
    for f in doc["keyring_files"].as_array().unwrap() {
        let a = &f["argon2id"];
        let (m, t, p) = (a["m"].as_u64().unwrap(), a["t"].as_u64().unwrap(), a["p"].as_u64().unwrap());
        let provider =
            PassphraseProvider::with_params(f["passphrase"].as_str().unwrap(), m as u32, t as u32, p as u32)
                .unwrap();
        let file = unhex(f["file_hex"].as_str().unwrap());
        let loaded = Keyring::from_protected_bytes(&file, &provider).unwrap();
        assert_eq!(listed(&loaded), f["keys"]);
        for (id, root) in f["root_keys_hex"].as_object().unwrap() {
            let id: u32 = id.parse().unwrap();
            let mut reference = Keyring::new();
            let root: [u8; 32] = unhex(root.as_str().unwrap()).try_into().unwrap();
            reference
                .add_key_with_suite(
                    id,
                    RootKey::from_bytes(root),
                    KeyState::Active,
                    loaded.suite_of(id).unwrap(),
                )
                .unwrap();
            let c = Context::new("users", "phone");
            let phone: MobilePhone = "13800138000".parse().unwrap();
            assert_eq!(loaded.open(&reference.seal(&phone, &c).unwrap(), &c, "v").unwrap(), phone);
        }
    }
}
