//! The known-answer vectors of `tests/vectors/`, read once (compiled in, so
//! that a target runs from any directory).

use std::sync::OnceLock;

use serde_json::Value;

/// One envelope of `tests/vectors/seal.json` (SPEC.md §7.1).
pub struct SealVector {
    pub key_id: u32,
    pub root_key: [u8; 32],
    /// Kind id, e.g. `cn.id_number`.
    pub kind: String,
    pub context: Vec<(String, String)>,
    pub plaintext: String,
    pub envelope: Vec<u8>,
    pub envelope_text: String,
}

/// One file of `tests/vectors/keyring.json` `keyring_files` (SPEC.md §7.2).
pub struct KeyringFileVector {
    pub passphrase: String,
    pub file: Vec<u8>,
}

/// Lower-case or upper-case hex to bytes.
pub fn hex(text: &str) -> Vec<u8> {
    assert!(text.len().is_multiple_of(2), "odd hex length");
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex")).collect()
}

fn str_of<'a>(v: &'a Value, field: &str) -> &'a str {
    v[field].as_str().unwrap_or_else(|| panic!("vector field {field}"))
}

/// The vectors of `seal.json`.
pub fn seal() -> &'static [SealVector] {
    static SEAL: OnceLock<Vec<SealVector>> = OnceLock::new();
    SEAL.get_or_init(|| {
        let doc: Value =
            serde_json::from_str(include_str!("../../tests/vectors/seal.json")).expect("seal.json");
        doc["vectors"]
            .as_array()
            .expect("vectors")
            .iter()
            .map(|v| SealVector {
                key_id: u32::try_from(v["key_id"].as_u64().expect("key_id")).expect("u32 key id"),
                root_key: hex(str_of(v, "root_key_hex")).try_into().expect("32-byte root key"),
                kind: str_of(v, "kind").to_owned(),
                context: v["context"]
                    .as_array()
                    .expect("context")
                    .iter()
                    .map(|p| (str_of_index(p, 0), str_of_index(p, 1)))
                    .collect(),
                plaintext: str_of(v, "plaintext").to_owned(),
                envelope: hex(str_of(v, "envelope_hex")),
                envelope_text: str_of(v, "envelope_text").to_owned(),
            })
            .collect()
    })
}

fn str_of_index(pair: &Value, i: usize) -> String {
    pair[i].as_str().expect("context pair").to_owned()
}

/// The protected keyring files of `keyring.json`.
pub fn keyring_files() -> &'static [KeyringFileVector] {
    static FILES: OnceLock<Vec<KeyringFileVector>> = OnceLock::new();
    FILES.get_or_init(|| {
        let doc: Value =
            serde_json::from_str(include_str!("../../tests/vectors/keyring.json")).expect("keyring.json");
        doc["keyring_files"]
            .as_array()
            .expect("keyring_files")
            .iter()
            .map(|v| KeyringFileVector {
                passphrase: str_of(v, "passphrase").to_owned(),
                file: hex(str_of(v, "file_hex")),
            })
            .collect()
    })
}
