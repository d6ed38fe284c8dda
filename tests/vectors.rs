//! Known-answer vectors for the sealed envelope (SPEC.md §7).
//!
//! `tests/vectors/seal.json` is the published contract: if this test fails
//! after a change, the change broke the wire format and needs a new version
//! byte, not new vectors. `DESENSITIZE_WRITE_VECTORS=1 cargo test --test vectors`
//! rewrites the file (only ever for a new format version).

use std::str::FromStr;

use desensitize::keys::{KeyState, RootKey};
use desensitize::{
    Address, BankCard, Biometric, Context, Email, Error, GeoPoint, IdNumber, Keyring, MobilePhone,
    PersonName, Sealable, Sealed,
};
use serde_json::{Value, json};

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

struct Case {
    root_key: [u8; 32],
    key_id: u32,
    kind: &'static str,
    context: Vec<(&'static str, &'static str)>,
    plaintext: &'static str,
    nonce: [u8; 12],
    note: &'static str,
}

fn cases() -> Vec<Case> {
    let k1: [u8; 32] = core::array::from_fn(|i| i as u8);
    let k2 = [0xA5; 32];
    let ctx = |row| vec![("table", "users"), ("column", "id_number"), ("row", row)];
    vec![
        Case {
            root_key: k1,
            key_id: 1,
            kind: "cn.id_number",
            context: ctx("42"),
            plaintext: "11010519491231002X",
            nonce: [0; 12],
            note: "ID number, table/column/row context",
        },
        Case {
            root_key: k1,
            key_id: 1,
            kind: "cn.id_number",
            context: ctx("43"),
            plaintext: "11010519491231002X",
            nonce: [0; 12],
            note: "same value and nonce, other row: different ciphertext",
        },
        Case {
            root_key: k1,
            key_id: 1,
            kind: "cn.mobile_phone",
            context: vec![("table", "users"), ("column", "phone")],
            plaintext: "13800138000",
            nonce: [1; 12],
            note: "mobile phone, no row",
        },
        Case {
            root_key: k2,
            key_id: 7,
            kind: "bank_card",
            context: vec![("table", "payments"), ("column", "card"), ("row", "9001"), ("tenant", "acme")],
            plaintext: "6222021234567894",
            nonce: *b"nonce-96bits",
            note: "key id 7, extra context field",
        },
        Case {
            root_key: k2,
            key_id: 4294967295,
            kind: "email",
            context: vec![],
            plaintext: "zhangsan@163.com",
            nonce: [0xff; 12],
            note: "empty context, maximum key id",
        },
        Case {
            root_key: k1,
            key_id: 2,
            kind: "person_name",
            context: vec![("table", "users"), ("column", "name")],
            plaintext: "𠮷野家",
            nonce: [2; 12],
            note: "UTF-8 outside the BMP",
        },
        Case {
            root_key: k1,
            key_id: 2,
            kind: "address",
            context: vec![("table", "users"), ("column", "address"), ("row", "1")],
            plaintext: "北京市朝阳区建国路88号",
            nonce: [3; 12],
            note: "Chinese address",
        },
        Case {
            root_key: k1,
            key_id: 3,
            kind: "geo_point",
            context: vec![("table", "trips"), ("column", "pickup")],
            plaintext: "39.9042,116.4074",
            nonce: [4; 12],
            note: "binary canonical form: two big-endian f64",
        },
        Case {
            root_key: k1,
            key_id: 3,
            kind: "biometric",
            context: vec![("table", "faces"), ("column", "template")],
            plaintext: "AAECAwQFBgcICQ==",
            nonce: [5; 12],
            note: "opaque bytes (plaintext given in base64)",
        },
    ]
}

fn keyring(root: [u8; 32], id: u32) -> Keyring {
    let mut k = Keyring::new();
    k.add_key(id, RootKey::from_bytes(root), KeyState::Active).unwrap();
    k
}

fn context(fields: &[(&str, &str)]) -> Context {
    if fields.is_empty() {
        return Context::none();
    }
    assert_eq!((fields[0].0, fields[1].0), ("table", "column"), "vectors start with table and column");
    fields[2..].iter().fold(Context::new(fields[0].1, fields[1].1), |c, (n, v)| c.with(n, v))
}

/// The canonical plaintext bytes a vector's envelope encrypts (SPEC.md §3.3).
fn canonical_hex(c: &Case) -> String {
    match c.kind {
        "geo_point" => {
            let (lat, lon) = c.plaintext.split_once(',').unwrap();
            let mut v = lat.parse::<f64>().unwrap().to_be_bytes().to_vec();
            v.extend_from_slice(&lon.parse::<f64>().unwrap().to_be_bytes());
            hex(&v)
        }
        "biometric" => {
            use base64ct::{Base64, Encoding};
            hex(&Base64::decode_vec(c.plaintext).unwrap())
        }
        _ => hex(c.plaintext.as_bytes()),
    }
}

/// Seal `c` with its fixed nonce and describe the result as a vector.
fn seal<T: Sealable + FromStr<Err = Error>>(c: &Case) -> Value {
    let value: T = c.plaintext.parse().unwrap();
    let sealed =
        keyring(c.root_key, c.key_id).seal_with_nonce(&value, &context(&c.context), c.nonce).unwrap();
    json!({
        "note": c.note,
        "root_key_hex": hex(&c.root_key),
        "key_id": c.key_id,
        "kind": c.kind,
        "context": c.context.iter().map(|(n, v)| json!([n, v])).collect::<Vec<_>>(),
        "plaintext": c.plaintext,
        "plaintext_canonical_hex": canonical_hex(c),
        "nonce_hex": hex(&c.nonce),
        "envelope_hex": hex(sealed.as_bytes()),
        "envelope_text": sealed.to_text(),
    })
}

/// Open the published envelope of `c`, in both forms.
fn open<T: Sealable + FromStr<Err = Error>>(c: &Case, published: &Value) -> Value {
    let k = keyring(c.root_key, c.key_id);
    let ctx = context(&c.context);
    let value: T = c.plaintext.parse().unwrap();
    let from_text: Sealed<T> = published["envelope_text"].as_str().unwrap().parse().unwrap();
    let from_hex = Sealed::<T>::from_bytes(&unhex(published["envelope_hex"].as_str().unwrap())).unwrap();
    assert_eq!(k.open(&from_text, &ctx, "vectors").unwrap(), value, "{}", c.note);
    assert_eq!(k.open(&from_hex, &ctx, "vectors").unwrap(), value, "{}", c.note);
    Value::Null
}

/// Run `f::<T>` for the vector's kind.
macro_rules! by_kind {
    ($c:expr, $f:ident $(, $arg:expr)*) => {
        match $c.kind {
            "cn.id_number" => $f::<IdNumber>($c $(, $arg)*),
            "cn.mobile_phone" => $f::<MobilePhone>($c $(, $arg)*),
            "bank_card" => $f::<BankCard>($c $(, $arg)*),
            "email" => $f::<Email>($c $(, $arg)*),
            "person_name" => $f::<PersonName>($c $(, $arg)*),
            "address" => $f::<Address>($c $(, $arg)*),
            "geo_point" => $f::<GeoPoint>($c $(, $arg)*),
            "biometric" => $f::<Biometric>($c $(, $arg)*),
            other => panic!("no vector dispatch for {other}"),
        }
    };
}

const PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/seal.json");

#[test]
fn sealed_envelope_known_answers() {
    let computed: Vec<Value> = cases().iter().map(|c| by_kind!(c, seal)).collect();
    if std::env::var("DESENSITIZE_WRITE_VECTORS").is_ok() {
        let doc = json!({ "format": "desensitize sealed envelope v1 (SPEC.md)", "vectors": computed });
        std::fs::write(PATH, serde_json::to_string_pretty(&doc).unwrap() + "\n").unwrap();
        return;
    }
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(PATH).unwrap()).unwrap();
    let published = doc["vectors"].as_array().unwrap();
    assert_eq!(published.len(), computed.len());
    for ((c, got), exp) in cases().iter().zip(&computed).zip(published) {
        assert_eq!(got, exp, "vector '{}' changed: this is a wire-format break", c.note);
        by_kind!(c, open, exp);
    }
}
