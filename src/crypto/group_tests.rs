//! Nonce groups: envelopes of one batch call share `N[0..12]` for at most
//! [`GROUP_MAX`] seals, are plain XAES-256-GCM (or its SM4 analogue) to any
//! reader, and no group crosses a thread or a call.

use std::collections::HashSet;

use aes_gcm::aead::AeadInOut;
use aes_gcm::aes::Aes256Enc;

use super::*;
use crate::MobilePhone;
use crate::crypto::envelope::{self, HEADER_LEN_V2, TAG_LEN};
use crate::crypto::random::ForkChecked;
use crate::crypto::{Context, RootKey, Suite, labels, material};
use crate::error::Error;
use crate::keys::{KeyState, Keyring};

const ROOT: [u8; 32] = [0x42; 32];

fn keyring(suite: Suite) -> Keyring {
    let mut k = Keyring::new();
    k.add_key_with_suite(1, RootKey::from_bytes(ROOT), KeyState::Active, suite).unwrap();
    k
}

fn phone() -> MobilePhone {
    "13800138000".parse().unwrap()
}

/// The binary envelope of a text form.
fn bytes(text: &str) -> Vec<u8> {
    envelope::from_text(text).unwrap()
}

fn prefix(text: &str) -> [u8; 12] {
    bytes(text)[12..24].try_into().unwrap()
}

fn tail(text: &str) -> [u8; 12] {
    bytes(text)[24..36].try_into().unwrap()
}

/// `n` seals of one phone at `ctx` inside one batch call on this thread.
fn sealed_in_one_call(k: &Keyring, ctx: &Context, n: usize) -> Vec<String> {
    let _call = ForkChecked::enter().unwrap();
    (0..n).map(|_| k.seal_text(&phone(), ctx).unwrap()).collect()
}

#[test]
fn one_group_shares_the_first_half_and_draws_the_second() {
    for suite in [Suite::Aes, Suite::Gm] {
        let k = keyring(suite);
        let sealed = sealed_in_one_call(&k, &Context::new("users", "phone"), 50);
        assert!(sealed.iter().all(|t| prefix(t) == prefix(&sealed[0])), "{suite}");
        let tails: HashSet<_> = sealed.iter().map(|t| tail(t)).collect();
        assert_eq!(tails.len(), 50, "{suite}: the GCM nonces must all differ");
    }
}

#[test]
fn single_value_seals_draw_all_24_bytes() {
    let k = keyring(Suite::Aes);
    let ctx = Context::new("users", "phone");
    let prefixes: HashSet<_> = (0..20).map(|_| prefix(&k.seal_text(&phone(), &ctx).unwrap())).collect();
    assert_eq!(prefixes.len(), 20);
    GROUPS.with_borrow(|g| assert!(g.is_none(), "no group outside a batch call"));
}

#[test]
fn a_group_never_exceeds_its_bound() {
    let k = keyring(Suite::Aes);
    let sealed = sealed_in_one_call(&k, &Context::new("users", "phone"), GROUP_MAX as usize + 1);
    let first = prefix(&sealed[0]);
    let (last, rest) = sealed.split_last().unwrap();
    assert!(rest.iter().all(|t| prefix(t) == first), "the first G seals share one prefix");
    assert_ne!(prefix(last), first, "seal G + 1 starts a new group");
}

#[test]
fn each_scope_key_has_its_own_group() {
    let k = keyring(Suite::Aes);
    let (a, b) = (Context::new("users", "phone"), Context::new("users", "phone2"));
    let _call = ForkChecked::enter().unwrap();
    let seal = |ctx: &Context| k.seal_text(&phone(), ctx).unwrap();
    let (a1, b1, a2, b2) = (seal(&a), seal(&b), seal(&a), seal(&b));
    assert_eq!(prefix(&a1), prefix(&a2));
    assert_eq!(prefix(&b1), prefix(&b2));
    assert_ne!(prefix(&a1), prefix(&b1));
}

#[test]
fn calls_and_threads_never_share_a_prefix() {
    let k = keyring(Suite::Aes);
    let ctx = Context::new("users", "phone");
    let prefixes = |texts: Vec<String>| texts.iter().map(|t| prefix(t)).collect::<HashSet<_>>();
    let first = prefixes(sealed_in_one_call(&k, &ctx, 10));
    let second = prefixes(sealed_in_one_call(&k, &ctx, 10));
    assert!(first.is_disjoint(&second), "two calls on one thread");
    GROUPS.with_borrow(|g| assert!(g.is_none(), "a call's groups end with it"));
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(|| prefixes(sealed_in_one_call(&k, &ctx, 10)));
        let b = s.spawn(|| prefixes(sealed_in_one_call(&k, &ctx, 10)));
        (a.join().unwrap(), b.join().unwrap())
    });
    assert_eq!((a.len(), b.len()), (1, 1));
    assert!(a.is_disjoint(&b), "two threads");
    assert!(a.is_disjoint(&first) && b.is_disjoint(&first));
}

/// Open one v2 envelope with the plain C2SP construction (a fresh KDF and
/// message key from the scope's derived `K_seal`, no cache), as any other
/// reader would.
fn open_plain(suite: Suite, kind: &str, ctx: &Context, envelope: &[u8]) -> Vec<u8> {
    let k_seal = material::derive_in(suite, &ROOT, &[labels::SEAL_V2, kind.as_bytes(), ctx.scope_encoded()]);
    let (head, rest) = envelope.split_at(HEADER_LEN_V2);
    let (ct, tag) = rest.split_at(rest.len() - TAG_LEN);
    let aad = [&head[..12], ctx.bound_encoded()].concat();
    let mut buf = ct.to_vec();
    let n12: [u8; 12] = head[12..24].try_into().unwrap();
    let nonce = aes_gcm::Nonce::try_from(&head[24..36]).unwrap();
    let tag = aes_gcm::Tag::try_from(tag).unwrap();
    let ok = match suite {
        Suite::Aes => ExtKdf::<Aes256Enc>::new((&*k_seal).into())
            .message_cipher(&n12)
            .decrypt_inout_detached(&nonce, &aad, buf.as_mut_slice().into(), &tag),
        Suite::Gm => {
            let key: [u8; 16] = k_seal[..16].try_into().unwrap();
            ExtKdf::<Sm4>::new((&key).into()).message_cipher(&n12).decrypt_inout_detached(
                &nonce,
                &aad,
                buf.as_mut_slice().into(),
                &tag,
            )
        }
    };
    ok.expect("a grouped envelope is a plain extended-nonce GCM envelope");
    buf
}

#[test]
fn grouped_envelopes_open_singly_and_by_the_plain_construction() {
    let ids = ["13800138000", "13900139000"];
    for suite in [Suite::Aes, Suite::Gm] {
        let k = keyring(suite);
        let ctx = |i: usize| Context::new("users", "phone").with_row(&i.to_string());
        let values: Vec<MobilePhone> = (0..40).map(|i| ids[i % 2].parse().unwrap()).collect();
        let sealed = crate::batch::seal_text_all(&k, &values, ctx);
        let texts: Vec<String> = sealed.into_iter().map(Result::unwrap).collect();
        assert!(texts.windows(2).any(|w| prefix(&w[0]) == prefix(&w[1])), "{suite}: grouped");
        for (i, t) in texts.iter().enumerate() {
            let opened: MobilePhone = k.open_text(t, &ctx(i), "test").unwrap();
            assert_eq!(opened.expose(), ids[i % 2]);
            assert_eq!(open_plain(suite, "cn.mobile_phone", &ctx(i), &bytes(t)), ids[i % 2].as_bytes());
        }
    }
}

#[test]
fn the_open_cache_gives_the_right_cipher_whatever_the_order() {
    for suite in [Suite::Aes, Suite::Gm] {
        let k = keyring(suite);
        let ctx = Context::new("users", "phone");
        let grouped = sealed_in_one_call(&k, &ctx, 3);
        let single: Vec<String> = (0..3).map(|_| k.seal_text(&phone(), &ctx).unwrap()).collect();
        let mut tampered = bytes(&grouped[1]);
        tampered[30] ^= 1;
        let tampered = envelope::to_text(&tampered);
        let _call = ForkChecked::enter().unwrap();
        // In order (hits), interleaved with other prefixes (misses), twice.
        for t in grouped.iter().chain(&single).chain(&grouped).chain([&single[0], &grouped[2]]) {
            assert_eq!(k.open_text::<MobilePhone>(t, &ctx, "t").unwrap().expose(), "13800138000");
        }
        let err = k.open_text::<MobilePhone>(&tampered, &ctx, "t").unwrap_err();
        assert!(matches!(err, Error::AuthenticationFailed), "{suite}: {err:?}");
        let other = Context::new("users", "phone").with_row("7");
        let err = k.open_text::<MobilePhone>(&grouped[0], &other, "t").unwrap_err();
        assert!(matches!(err, Error::ContextMismatch), "{suite}: {err:?}");
        // The cache holds the prefix last opened: the grouped one.
        GROUPS.with_borrow(|g| {
            let g = g.as_ref().unwrap();
            let open = |p: Option<&[u8; 12]>| p.copied();
            let last = match suite {
                Suite::Aes => open(g.aes[0].open.as_ref().map(|d| &d.prefix)),
                Suite::Gm => open(g.gm[0].open.as_ref().map(|d| &d.prefix)),
            };
            assert_eq!(last, Some(prefix(&grouped[0])));
        });
    }
}

/// `tests/vectors/seal_v2_grouped.json`: envelopes of one batch call per
/// suite (one nonce group each), which `scripts/ci/verify_vectors.py` opens
/// with its own implementation of SPEC.md §3a. Written afresh with
/// `DESENSITIZE_WRITE_GROUPED_VECTORS=1 cargo test -p desensitize --lib grouped_vectors`.
const GROUPED_VECTORS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/seal_v2_grouped.json");

fn grouped_vectors() -> serde_json::Value {
    let mut envelopes = Vec::new();
    for (group, suite) in [Suite::Aes, Suite::Gm].into_iter().enumerate() {
        let k = keyring(suite);
        let ctx = |i: usize| Context::new("users", "phone").with_row(&i.to_string());
        let sealed = crate::batch::seal_text_all(&k, &vec![phone(); 4], ctx);
        for (i, text) in sealed.into_iter().enumerate() {
            let text = text.unwrap();
            envelopes.push(serde_json::json!({
                "group": group,
                "suite": suite.as_str(),
                "kind": "cn.mobile_phone",
                "key_id": 1,
                "root_key_hex": hex(&ROOT),
                "context": [["table", "users"], ["column", "phone"], ["row", i.to_string()]],
                "plaintext_canonical_hex": hex(b"13800138000"),
                "envelope_hex": hex(&bytes(&text)),
                "envelope_text": text,
            }));
        }
    }
    serde_json::json!({
        "format": "desensitize sealed envelope v2, nonce groups (SPEC.md §3a.3): one batch call per suite",
        "envelopes": envelopes,
    })
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[test]
fn grouped_vectors_open_and_share_their_group_prefix() {
    if std::env::var_os("DESENSITIZE_WRITE_GROUPED_VECTORS").is_some() {
        let text = serde_json::to_string_pretty(&grouped_vectors()).unwrap() + "\n";
        std::fs::write(GROUPED_VECTORS, text).unwrap();
    }
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(GROUPED_VECTORS).unwrap()).unwrap();
    let envelopes = doc["envelopes"].as_array().unwrap();
    assert_eq!(envelopes.len(), 8);
    for group in envelopes.chunk_by(|a, b| a["group"] == b["group"]) {
        let suite: Suite = group[0]["suite"].as_str().unwrap().parse().unwrap();
        let k = keyring(suite);
        let text = |v: &serde_json::Value| v["envelope_text"].as_str().unwrap().to_owned();
        let tails: HashSet<_> = group.iter().map(|v| tail(&text(v))).collect();
        assert_eq!(tails.len(), group.len());
        for (i, v) in group.iter().enumerate() {
            assert_eq!(prefix(&text(v)), prefix(&text(&group[0])), "{suite}: one group");
            assert_eq!(hex(&bytes(&text(v))), v["envelope_hex"].as_str().unwrap());
            let ctx = Context::new("users", "phone").with_row(&i.to_string());
            assert_eq!(k.open_text::<MobilePhone>(&text(v), &ctx, "t").unwrap().expose(), "13800138000");
            assert_eq!(open_plain(suite, "cn.mobile_phone", &ctx, &bytes(&text(v))), b"13800138000");
        }
    }
}
