//! Known-answer vectors for the sealed envelope (SPEC.md §7).
//!
//! `tests/vectors/seal.json` is the published contract: if this test fails
//! after a change, the change broke the wire format and needs a new version
//! byte, not new vectors. `DESENSITIZE_WRITE_VECTORS=1 cargo test --test crypto vectors`
//! rewrites the file (only ever for a new format version).

use std::str::FromStr;

use desensitize::keys::{
    InMemorySubjectStore, KeyState, PassphraseProvider, RootKey, SubjectKeyStore, WrappedKey,
};
use desensitize::{
    Address, BankCard, Biometric, Context, CreditCode, Email, Error, GeoPoint, IdNumber, Imei, IpAddress,
    Keyring, Landline, LicensePlate, MacAddress, MobilePhone, Passport, PersonName, Sealable, Sealed,
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
        Case {
            root_key: k1,
            key_id: 1,
            kind: "cn.landline",
            context: vec![("table", "shops"), ("column", "phone"), ("row", "7")],
            plaintext: "010-62345678-123",
            nonce: [6; 12],
            note: "landline with extension",
        },
        Case {
            root_key: k1,
            key_id: 1,
            kind: "ip_address",
            context: vec![("table", "logins"), ("column", "ip")],
            plaintext: "2001:db8::1",
            nonce: [7; 12],
            note: "IPv6 canonical text",
        },
        Case {
            root_key: k1,
            key_id: 1,
            kind: "mac_address",
            context: vec![("table", "devices"), ("column", "mac")],
            plaintext: "AC:DE:48:00:11:22",
            nonce: [8; 12],
            note: "MAC address",
        },
        Case {
            root_key: k1,
            key_id: 1,
            kind: "imei",
            context: vec![("table", "devices"), ("column", "imei")],
            plaintext: "490154203237518",
            nonce: [9; 12],
            note: "IMEI",
        },
        Case {
            root_key: k1,
            key_id: 1,
            kind: "passport",
            context: vec![("table", "travellers"), ("column", "passport")],
            plaintext: "E12345678",
            nonce: [10; 12],
            note: "passport number",
        },
        Case {
            root_key: k1,
            key_id: 1,
            kind: "cn.license_plate",
            context: vec![("table", "cars"), ("column", "plate")],
            plaintext: "粤BD12345",
            nonce: [11; 12],
            note: "new-energy licence plate",
        },
        Case {
            root_key: k1,
            key_id: 1,
            kind: "cn.credit_code",
            context: vec![("table", "companies"), ("column", "uscc")],
            plaintext: "91350100M000100Y43",
            nonce: [12; 12],
            note: "unified social credit code",
        },
        Case {
            root_key: k2,
            key_id: 9,
            kind: "cn.mobile_phone",
            context: vec![("tenant", "acme"), ("purpose", "billing")],
            plaintext: "13800138000",
            nonce: [13; 12],
            note: "empty scope with extra fields: all bound as AAD",
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
    fields.iter().fold(Context::none(), |c, (n, v)| c.with(n, v))
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
            "cn.landline" => $f::<Landline>($c $(, $arg)*),
            "ip_address" => $f::<IpAddress>($c $(, $arg)*),
            "mac_address" => $f::<MacAddress>($c $(, $arg)*),
            "imei" => $f::<Imei>($c $(, $arg)*),
            "passport" => $f::<Passport>($c $(, $arg)*),
            "cn.license_plate" => $f::<LicensePlate>($c $(, $arg)*),
            "cn.credit_code" => $f::<CreditCode>($c $(, $arg)*),
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

const KEYRING_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/keyring.json");

/// Open-only vectors (random nonces and salts) for subject-sealed values and
/// a passphrase-protected keyring file, produced from SPEC.md (§5, §6).
#[test]
fn subject_and_keyring_file_vectors_open() {
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(KEYRING_PATH).unwrap()).unwrap();

    for v in doc["subject_sealed"].as_array().unwrap() {
        let root: [u8; 32] = unhex(v["root_key_hex"].as_str().unwrap()).try_into().unwrap();
        let k = keyring(root, u32::try_from(v["key_id"].as_u64().unwrap()).unwrap());
        let store = InMemorySubjectStore::new();
        let subject = v["subject"].as_str().unwrap();
        store
            .insert_if_absent(subject, WrappedKey::from_bytes(unhex(v["wrapped_key_hex"].as_str().unwrap())))
            .unwrap();
        let fields: Vec<(&str, &str)> = v["context"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| (p[0].as_str().unwrap(), p[1].as_str().unwrap()))
            .collect();
        let ctx = context(&fields);
        let plain = String::from_utf8(unhex(v["plaintext_canonical_hex"].as_str().unwrap())).unwrap();
        let text = v["envelope_text"].as_str().unwrap();
        match v["kind"].as_str().unwrap() {
            "cn.mobile_phone" => {
                let s: Sealed<MobilePhone> = text.parse().unwrap();
                assert_eq!(k.open_for(&store, subject, &s, &ctx, "vectors").unwrap().expose(), plain);
            }
            "cn.id_number" => {
                let s: Sealed<IdNumber> = text.parse().unwrap();
                assert_eq!(k.open_for(&store, subject, &s, &ctx, "vectors").unwrap().expose(), plain);
            }
            other => panic!("no subject vector dispatch for {other}"),
        }
    }

    for f in doc["keyring_files"].as_array().unwrap() {
        let provider = PassphraseProvider::with_params(f["passphrase"].as_str().unwrap(), 64, 1, 1).unwrap();
        let loaded =
            Keyring::from_protected_bytes(&unhex(f["file_hex"].as_str().unwrap()), &provider).unwrap();
        let listed: Vec<Value> = loaded
            .keys()
            .iter()
            .map(|k| json!({"id": k.id, "state": k.state.as_str(), "seal_count": k.seal_count}))
            .collect();
        assert_eq!(Value::from(listed), f["keys"]);
        // The root keys are the listed ones: a value sealed under each opens.
        for (id, hexkey) in f["root_keys_hex"].as_object().unwrap() {
            let id: u32 = id.parse().unwrap();
            let reference = keyring(unhex(hexkey.as_str().unwrap()).try_into().unwrap(), id);
            let ctx = Context::new("users", "phone");
            let phone: MobilePhone = "13800138000".parse().unwrap();
            let sealed = reference.seal(&phone, &ctx).unwrap();
            assert_eq!(loaded.open(&sealed, &ctx, "vectors").unwrap(), phone);
        }
    }
}
