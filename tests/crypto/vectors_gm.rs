//! Known-answer vectors of the `gm` suite's derivation and analytics
//! (SPEC.md §12.2, §12.3): one HKDF-SM3 output, HMAC-SM3 tokens and blind
//! indexes under HKDF-SM3 keys, and FF1 with SM4 as its block cipher: `tests/vectors/gm_analytics.json`, checked
//! independently by `scripts/ci/verify_vectors.py`.
//! `DESENSITIZE_WRITE_VECTORS=1 cargo test --test crypto vectors_gm` rewrites it.

use desensitize::keys::{KeyState, RootKey, Suite};
use desensitize::pseudo::{Domain, Transform};
use desensitize::{IdNumber, Keyring, MobilePhone};
use serde_json::{Value, json};

const PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/gm_analytics.json");

fn gm_keyring() -> Keyring {
    let mut k = Keyring::new();
    k.add_key_with_suite(1, RootKey::from_bytes([0x11; 32]), KeyState::Active, Suite::Gm).unwrap();
    k
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn digits(s: &str) -> Vec<u16> {
    s.bytes().map(|b| u16::from(b - b'0')).collect()
}

fn vectors() -> Value {
    let k = gm_keyring();
    let phone: MobilePhone = "13800138000".parse().unwrap();
    let token = k.pseudonym(&phone, &Domain::new("analytics").unwrap()).unwrap();
    let index =
        k.blind_index::<MobilePhone>(&Domain::new("users.phone").unwrap(), Transform::Full, 18).unwrap();
    let key: [u8; 16] = core::array::from_fn(|i| i as u8);
    let ff1 = |tweak: &[u8], pt: &str| {
        let out = Keyring::ff1_sm4_for_vectors(&key, 10, tweak, &digits(pt), true).unwrap();
        let back = Keyring::ff1_sm4_for_vectors(&key, 10, tweak, &out, false).unwrap();
        assert_eq!(back, digits(pt));
        out.iter().map(|d| char::from(b'0' + *d as u8)).collect::<String>()
    };
    let labels: [&[u8]; 3] = [b"desensitize.seal.v2", b"cn.mobile_phone", &[0, 0]];
    let okm = Keyring::derive_for_vectors(Suite::Gm, &[0x11; 32], &labels);
    json!({
        "hkdf_sm3": {"ikm_hex": "11".repeat(32), "labels_hex": labels.iter().map(|l| hex(l)).collect::<Vec<_>>(), "okm_hex": hex(&okm)},
        "root_key_hex": "11".repeat(32),
        "key_id": 1,
        "token": {"domain": "analytics", "kind": "cn.mobile_phone", "value": "13800138000", "token": token.to_string()},
        "blind_index": {"name": "users.phone", "kind": "cn.mobile_phone", "transform": "full", "bits": 18,
                        "value": "13800138000", "index": index.compute(&phone).to_string()},
        "ff1_sm4": [
            {"key_hex": "000102030405060708090a0b0c0d0e0f", "radix": 10, "tweak_hex": "", "pt": "0123456789", "ct": ff1(b"", "0123456789")},
            {"key_hex": "000102030405060708090a0b0c0d0e0f", "radix": 10, "tweak_hex": "39383736353433323130", "pt": "110105194912310021", "ct": ff1(b"9876543210", "110105194912310021")},
        ],
    })
}

#[test]
fn gm_analytics_vectors() {
    let fresh = vectors();
    if std::env::var_os("DESENSITIZE_WRITE_VECTORS").is_some() {
        std::fs::write(PATH, serde_json::to_string_pretty(&fresh).unwrap() + "\n").unwrap();
    }
    let published: Value = serde_json::from_str(&std::fs::read_to_string(PATH).unwrap()).unwrap();
    assert_eq!(published, fresh, "a gm analytics vector changed: a format break");
}

#[test]
fn gm_tokens_indexes_and_fpe_differ_from_aes_and_round_trip() {
    let gm = gm_keyring();
    let mut aes = Keyring::new();
    aes.add_key(1, RootKey::from_bytes([0x11; 32]), KeyState::Active).unwrap();
    let d = Domain::new("analytics").unwrap();
    let phone: MobilePhone = "13800138000".parse().unwrap();
    assert_ne!(gm.pseudonym(&phone, &d).unwrap(), aes.pseudonym(&phone, &d).unwrap());
    assert_eq!(gm.pseudonym(&phone, &d).unwrap(), gm.pseudonymizer(&d).unwrap().token(&phone));
    let id: IdNumber = "11010519491231002X".parse().unwrap();
    let p = gm.fpe(&id, &d).unwrap();
    assert_ne!(p, aes.fpe(&id, &d).unwrap());
    assert_eq!(gm.reidentify(&p, &d, "t").unwrap(), id);
    assert_eq!(gm.fpe_cipher(&d).unwrap().pseudonymize(&id).unwrap(), p);
}
