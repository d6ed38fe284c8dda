//! Known-answer vectors of envelope v2 in both cipher suites (SPEC.md §3a,
//! §12): `tests/vectors/seal_v2.json`. Like the v1 vectors, the file is the
//! contract: the crate re-seals every vector byte for byte and opens it;
//! `scripts/ci/verify_vectors.py` rebuilds them from SPEC.md alone with
//! Python's `cryptography` (AES / SM4 block and GCM) and `hashlib` (SHA-256,
//! SM3), and the Python-written envelopes of the file's `python_sealed`
//! entries (random nonces) must open here. `DESENSITIZE_WRITE_VECTORS=1
//! cargo test --test crypto vectors_v2` rewrites the `vectors` part (only
//! ever for a new format version).

use desensitize::keys::{KeyState, RootKey, Suite};
use desensitize::{BankCard, Context, Email, IdNumber, Keyring, MobilePhone, Sealable, Sealed};
use serde_json::{Value, json};

const PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/seal_v2.json");

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

fn keyring(suite: Suite, root: [u8; 32], id: u32) -> Keyring {
    let mut k = Keyring::new();
    k.add_key_with_suite(id, RootKey::from_bytes(root), KeyState::Active, suite).unwrap();
    k
}

fn context(fields: &[(&str, &str)]) -> Context {
    fields.iter().fold(Context::none(), |c, (n, v)| c.with(n, v))
}

fn suite_of(v: &Value) -> Suite {
    v["suite"].as_str().unwrap().parse().unwrap()
}

fn context_of(v: &Value) -> Context {
    let pairs: Vec<(String, String)> = v["context"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p[0].as_str().unwrap().to_owned(), p[1].as_str().unwrap().to_owned()))
        .collect();
    pairs.iter().fold(Context::none(), |c, (n, x)| c.with(n, x))
}

struct Case {
    suite: Suite,
    root: [u8; 32],
    key_id: u32,
    context: Vec<(&'static str, &'static str)>,
    xnonce: [u8; 24],
    note: &'static str,
}

/// Seal `plain` as a `T` for `c`.
fn vector<T: Sealable + core::str::FromStr>(c: &Case, plain: &str) -> Value
where
    T::Err: core::fmt::Debug,
{
    let value: T = plain.parse().unwrap();
    let sealed =
        keyring(c.suite, c.root, c.key_id).seal_v2_with_nonce(&value, &context(&c.context), c.xnonce);
    let sealed = sealed.unwrap();
    json!({
        "note": c.note,
        "suite": c.suite.as_str(),
        "root_key_hex": hex(&c.root),
        "key_id": c.key_id,
        "kind": T::KIND.as_str(),
        "context": c.context.iter().map(|(n, v)| json!([n, v])).collect::<Vec<_>>(),
        "plaintext_canonical_hex": hex(plain.as_bytes()),
        "xnonce_hex": hex(&c.xnonce),
        "envelope_hex": hex(sealed.as_bytes()),
        "envelope_text": sealed.to_text(),
    })
}

fn vectors() -> Vec<Value> {
    let k1: [u8; 32] = core::array::from_fn(|i| i as u8);
    let ctx = vec![("table", "users"), ("column", "id_number"), ("row", "42")];
    let n1: [u8; 24] = core::array::from_fn(|i| i as u8);
    let case = |suite, key_id, context: Vec<(&'static str, &'static str)>, xnonce, note| Case {
        suite,
        root: k1,
        key_id,
        context,
        xnonce,
        note,
    };
    vec![
        vector::<IdNumber>(
            &case(Suite::Aes, 1, ctx.clone(), n1, "aes v2: ID number, row context"),
            "11010519491231002X",
        ),
        vector::<MobilePhone>(
            &case(Suite::Aes, 7, vec![("table", "users"), ("column", "phone")], [0xff; 24], "aes v2: no row"),
            "13800138000",
        ),
        vector::<IdNumber>(
            &case(Suite::Gm, 1, ctx.clone(), n1, "gm: ID number, row context"),
            "11010519491231002X",
        ),
        vector::<BankCard>(
            &case(
                Suite::Gm,
                9,
                vec![("table", "payments"), ("column", "card"), ("row", "9001"), ("tenant", "acme")],
                *b"gm-extended-nonce-24byte",
                "gm: key id 9, extra context field",
            ),
            "6222021234567894",
        ),
        vector::<Email>(&case(Suite::Gm, 2, vec![], [0; 24], "gm: empty context"), "zhangsan@163.com"),
    ]
}

/// Open `v`'s envelope (hex and text) with the keyring of its vector.
fn opens(v: &Value) {
    let k = keyring(
        suite_of(v),
        unhex(v["root_key_hex"].as_str().unwrap()).try_into().unwrap(),
        v["key_id"].as_u64().unwrap() as u32,
    );
    let ctx = context_of(v);
    let plain = unhex(v["plaintext_canonical_hex"].as_str().unwrap());
    let plain = String::from_utf8(plain).unwrap();
    let text = v["envelope_text"].as_str().unwrap();
    let bytes = unhex(v["envelope_hex"].as_str().unwrap());
    macro_rules! check {
        ($($id:literal => $t:ty),*) => {
            match v["kind"].as_str().unwrap() {
                $($id => {
                    assert_eq!(k.open_text::<$t>(text, &ctx, "vectors").unwrap().expose(), plain, "{}", v["note"]);
                    let s = Sealed::<$t>::from_bytes(&bytes).unwrap();
                    assert_eq!(k.open(&s, &ctx, "vectors").unwrap().expose(), plain);
                })*
                other => panic!("no kind {other}"),
            }
        };
    }
    check!("cn.id_number" => IdNumber, "cn.mobile_phone" => MobilePhone, "bank_card" => BankCard, "email" => Email);
}

#[test]
fn v2_vectors_reseal_byte_for_byte_and_open() {
    let fresh = vectors();
    if std::env::var_os("DESENSITIZE_WRITE_VECTORS").is_some() {
        let python = std::fs::read_to_string(PATH)
            .ok()
            .and_then(|s| serde_json::from_str::<Value>(&s).ok())
            .map(|v| v["python_sealed"].clone())
            .filter(|v| v.is_array())
            .unwrap_or(json!([]));
        let doc = json!({"format": "desensitize sealed envelope v2 (SPEC.md §3a, §12)", "vectors": fresh, "python_sealed": python});
        std::fs::write(PATH, serde_json::to_string_pretty(&doc).unwrap() + "\n").unwrap();
    }
    let published: Value = serde_json::from_str(&std::fs::read_to_string(PATH).unwrap()).unwrap();
    let vs = published["vectors"].as_array().unwrap();
    assert_eq!(vs.len(), fresh.len());
    for (p, f) in vs.iter().zip(&fresh) {
        assert_eq!(p, f, "vector {} changed: a wire-format break", p["note"]);
        opens(p);
    }
}

/// Envelopes sealed by `scripts/ci/verify_vectors.py --write-python-sealed`
/// (Python `cryptography`, random nonces): the crate opens what an
/// independent writer made from SPEC.md.
#[test]
fn envelopes_python_wrote_open() {
    let published: Value = serde_json::from_str(&std::fs::read_to_string(PATH).unwrap()).unwrap();
    let python = published["python_sealed"].as_array().unwrap();
    if python.is_empty() {
        println!("no python_sealed entries: run scripts/ci/verify_vectors.py --write-python-sealed");
        return;
    }
    let suites: Vec<Suite> = python.iter().map(suite_of).collect();
    assert!(suites.contains(&Suite::Aes) && suites.contains(&Suite::Gm));
    for v in python {
        opens(v);
    }
}
