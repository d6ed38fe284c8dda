//! Every published seal vector (`tests/vectors/seal.json`, SPEC.md §7.1)
//! opens through the `desensitize open` binary, its context given on the
//! command line: the empty context, scoped ones, and ones whose first names
//! are not `table`, `column` (SPEC.md §4).

use std::io::Write;
use std::process::{Command, Stdio};

use desensitize::Keyring;
use desensitize::keys::{KeyState, PassphraseProvider, RootKey};

const PASS: &str = "vector passphrase";

fn hex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

struct Vector {
    kind: String,
    key_id: u32,
    root: [u8; 32],
    context: Vec<(String, String)>,
    plaintext: String,
    canonical: Vec<u8>,
    envelope: String,
}

fn vectors() -> Vec<Vector> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/vectors/seal.json");
    let file: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    file["vectors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| Vector {
            kind: v["kind"].as_str().unwrap().to_owned(),
            key_id: u32::try_from(v["key_id"].as_u64().unwrap()).unwrap(),
            root: hex(v["root_key_hex"].as_str().unwrap()).try_into().unwrap(),
            context: serde_json::from_value(v["context"].clone()).unwrap(),
            plaintext: v["plaintext"].as_str().unwrap().to_owned(),
            canonical: hex(v["plaintext_canonical_hex"].as_str().unwrap()),
            envelope: v["envelope_text"].as_str().unwrap().to_owned(),
        })
        .collect()
}

/// What `open` prints for a vector: the canonical text, or for the kinds
/// whose canonical bytes are binary, the form a human writes.
fn expected(v: &Vector) -> String {
    match v.kind.as_str() {
        "geo_point" | "biometric" => v.plaintext.clone(),
        _ => String::from_utf8(v.canonical.clone()).unwrap(),
    }
}

/// The context of `v` as `--context-field`s (or `--empty-context`).
fn field_flags(v: &Vector) -> Vec<String> {
    if v.context.is_empty() {
        return vec!["--empty-context".to_owned()];
    }
    v.context.iter().flat_map(|(n, val)| ["--context-field".to_owned(), format!("{n}={val}")]).collect()
}

#[test]
fn every_seal_vector_opens_from_the_command_line() {
    let vectors = vectors();
    assert!(vectors.len() >= 17);
    assert!(vectors.iter().any(|v| v.context.is_empty()), "no empty-context vector");
    assert!(vectors.iter().any(|v| !v.context.is_empty() && v.context[0].0 != "table"), "no unscoped vector");

    // One keyring file with every vector key (decrypt-only but the last).
    let dir = std::env::temp_dir().join(format!("dz-cli-vectors-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut keyring = Keyring::new();
    let mut ids = Vec::new();
    for v in &vectors {
        if !ids.contains(&v.key_id) {
            ids.push(v.key_id);
            keyring.add_key(v.key_id, RootKey::from_bytes(v.root), KeyState::Active).unwrap();
        }
    }
    let provider = PassphraseProvider::with_params(PASS, 1024, 1, 1).unwrap();
    keyring.save(&dir.join("k"), &provider).unwrap();
    std::fs::write(dir.join("p"), format!("{PASS}\n")).unwrap();

    let open = |flags: &[String], stdin: &str| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_desensitize"));
        c.current_dir(&dir)
            .args([
                "open",
                "--purpose",
                "vectors",
                "--keys",
                "k",
                "--passphrase-file",
                "p",
                "--audit",
                "audit",
            ])
            .args(flags)
            .env_remove("DESENSITIZE_PASSPHRASE")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = c.spawn().unwrap();
        child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
        child.wait_with_output().unwrap()
    };

    let mut opened = 0;
    for (i, v) in vectors.iter().enumerate() {
        let json = serde_json::to_string(&v.context).unwrap();
        for flags in [vec!["--context-json".to_owned(), json.clone()], field_flags(v)] {
            let flags = [vec!["--kind".to_owned(), v.kind.clone()], flags].concat();
            let out = open(&flags, &format!("{}\n", v.envelope));
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(out.status.success(), "vector {i} ({flags:?}): {stderr}");
            assert_eq!(String::from_utf8(out.stdout).unwrap(), format!("{}\n", expected(v)), "vector {i}");
            opened += 1;
        }
        // A context that differs in one field is refused.
        let mut other = v.context.clone();
        other.push(("extra".to_owned(), "x".to_owned()));
        let flags = [
            "--kind".to_owned(),
            v.kind.clone(),
            "--context-json".to_owned(),
            serde_json::to_string(&other).unwrap(),
        ];
        let out = open(&flags, &format!("{}\n", v.envelope));
        assert_eq!(out.status.code(), Some(1), "vector {i} opened under another context");
        assert!(out.stdout.is_empty());
    }
    assert_eq!(opened, 2 * vectors.len());
    let audit = std::fs::read_to_string(dir.join("audit")).unwrap();
    assert_eq!(audit.lines().filter(|l| l.contains("\"outcome\":\"opened\"")).count(), opened);
    let _ = std::fs::remove_dir_all(&dir);
}
