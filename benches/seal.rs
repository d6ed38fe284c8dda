//! Sealing cost next to the bare primitive: read the ratio from one run.
//!
//! Each group holds a bare `aes-gcm` 0.11 encrypt (or decrypt) of the same
//! number of bytes with a pre-built cipher, and our seal (or open) of a typed
//! value, in binary and in text form, under a fixed key. Targets (issue 13):
//! text form <= 1.4x, binary <= 1.25x the bare primitive. Since issue 18
//! every seal is an envelope v2: for `aes` XAES-256-GCM (targets: seal <=
//! 1.5x, open <= 1.3x bare AES-256-GCM); the `gm` groups hold bare SM4-GCM
//! (RustCrypto `sm4` under `aes-gcm`'s GCM) beside a `gm` keyring's seal and
//! open (targets 1.4x / 1.3x), `raw-gcm/*` SM4-GCM's raw cost against
//! AES-GCM's, and `token-gm/*` bare HMAC-SM3 beside a `gm` token (1.2x).
//!
//! The `(floor)` rows are an extended-nonce seal (open) built from RustCrypto
//! types alone ([`XaesFloor`]): what a per-message key costs any
//! implementation over the bare GCM, so our rows read against it. The
//! `seal-batch/*` groups hold the batch and plan paths (one fork check per
//! call, nonce groups: SPEC.md §3a.3) per value over a fixed set: the path
//! the v2 seal target is for; `open-batch/*` the batch open of batch-sealed
//! values in order (its cache derives one message key per nonce group) and
//! of values sealed one by one (a message key per value).

mod common;

use std::hint::black_box;

use aes_gcm::aead::array::Array;
use aes_gcm::aead::consts::{U12, U16};
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::aes::Aes256Enc;
use aes_gcm::aes::cipher::{BlockCipherEncrypt, BlockSizeUser, KeySizeUser};
use aes_gcm::{Aes256Gcm, AesGcm};
use std::sync::Arc;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use desensitize::batch;
use desensitize::keys::{KeyState, RootKey, Suite};
use desensitize::policy::{ColumnBatch, Plan, Policy, Report};
use desensitize::pseudo::Domain;
use desensitize::{Context, IdNumber, Keyring, MobilePhone, Sealable, Sealed};

/// The floor of an extended-nonce GCM built from RustCrypto types: what any
/// implementation pays per message over the bare GCM. The C2SP KDF's block
/// encryptions under a kept key and `K1` (two for AES-256, one for SM4),
/// then a fresh GCM cipher under the message key (its key schedule, and the
/// hash key `H`, one more block). No wiping, no header, no context check.
struct XaesFloor<B> {
    cipher: B,
    k1: [u8; 16],
}

impl<B: BlockCipherEncrypt + BlockSizeUser<BlockSize = U16> + KeyInit + KeySizeUser> XaesFloor<B> {
    fn new(key: &aes_gcm::aead::Key<B>) -> Self {
        let cipher = B::new(key);
        let mut l = Array::<u8, U16>::default();
        cipher.encrypt_block(&mut l);
        let v = u128::from_be_bytes(l.into());
        let k1 = ((v << 1) ^ if v >> 127 == 1 { 0x87 } else { 0 }).to_be_bytes();
        XaesFloor { cipher, k1 }
    }

    fn gcm(&self, n12: &[u8; 12]) -> AesGcm<B, U12> {
        let mut key = aes_gcm::aead::Key::<B>::default();
        let n = key.len() / 16;
        let mut blocks: [Array<u8, U16>; 2] = Default::default();
        for (i, block) in blocks.iter_mut().enumerate().take(n) {
            block[1] = (i + 1) as u8;
            block[2] = b'X';
            block[4..].copy_from_slice(n12);
            block.iter_mut().zip(&self.k1).for_each(|(b, k)| *b ^= k);
        }
        self.cipher.encrypt_blocks(&mut blocks[..n]);
        key.chunks_mut(16).zip(&blocks).for_each(|(k, b)| k.copy_from_slice(b));
        AesGcm::new(&key)
    }

    fn encrypt(&self, n12: &[u8; 12], nonce: &aes_gcm::Nonce<U12>, plain: &[u8]) -> Vec<u8> {
        self.gcm(n12).encrypt(nonce, Payload { msg: plain, aad: b"" }).unwrap()
    }

    fn decrypt(&self, n12: &[u8; 12], nonce: &aes_gcm::Nonce<U12>, ct: &[u8]) -> Vec<u8> {
        self.gcm(n12).decrypt(nonce, Payload { msg: ct, aad: b"" }).unwrap()
    }
}

fn bare_cipher() -> Aes256Gcm {
    Aes256Gcm::new(&[7u8; 32].into())
}

fn bench_kind<T: Sealable + std::str::FromStr>(c: &mut Criterion, name: &str, input: &str)
where
    T::Err: std::fmt::Debug,
{
    let value: T = input.parse().unwrap();
    let plain = input.as_bytes().to_vec();
    let keyring = common::fixed_keyring();
    let ctx = Context::new("users", name).with_row("1234567");
    let cipher = bare_cipher();
    let nonce = aes_gcm::Nonce::from([3u8; 12]);

    let mut g = c.benchmark_group(format!("seal/{name}"));
    g.bench_function(format!("aes-gcm encrypt {}B (bare)", plain.len()), |b| {
        b.iter(|| cipher.encrypt(&nonce, Payload { msg: black_box(&plain), aad: b"" }).unwrap())
    });
    let floor = XaesFloor::<Aes256Enc>::new(&[7u8; 32].into());
    g.bench_function("xaes-256-gcm encrypt (floor)", |b| {
        b.iter(|| floor.encrypt(&[5; 12], &nonce, black_box(&plain)))
    });
    g.bench_function("seal binary", |b| b.iter(|| keyring.seal(black_box(&value), &ctx).unwrap()));
    g.bench_function("seal text", |b| b.iter(|| keyring.seal_text(black_box(&value), &ctx).unwrap()));
    let mut reused = String::with_capacity(128);
    g.bench_function("seal text into (reused String)", |b| {
        b.iter(|| {
            reused.clear();
            keyring.seal_text_into(black_box(&value), &ctx, &mut reused).unwrap();
        })
    });
    g.bench_function("seal then to_text", |b| {
        b.iter(|| keyring.seal(black_box(&value), &ctx).unwrap().to_text())
    });
    g.finish();

    let ct = cipher.encrypt(&nonce, plain.as_slice()).unwrap();
    let sealed = keyring.seal(&value, &ctx).unwrap();
    let text = sealed.to_text();
    let mut g = c.benchmark_group(format!("open/{name}"));
    g.bench_function(format!("aes-gcm decrypt {}B (bare)", plain.len()), |b| {
        b.iter(|| cipher.decrypt(&nonce, Payload { msg: black_box(&ct), aad: b"" }).unwrap())
    });
    let floor_ct = floor.encrypt(&[5; 12], &nonce, &plain);
    g.bench_function("xaes-256-gcm decrypt (floor)", |b| {
        b.iter(|| floor.decrypt(&[5; 12], &nonce, black_box(&floor_ct)))
    });
    g.bench_function("open binary", |b| b.iter(|| keyring.open(black_box(&sealed), &ctx, "bench").unwrap()));
    g.bench_function("open text", |b| {
        b.iter(|| keyring.open_text::<T>(black_box(&text), &ctx, "bench").unwrap())
    });
    g.bench_function("from_text then open", |b| {
        b.iter(|| {
            let s: Sealed<T> = Sealed::from_text(black_box(&text)).unwrap();
            keyring.open(&s, &ctx, "bench").unwrap()
        })
    });
    g.finish();
}

/// Bare SM4-GCM and a `gm` keyring's seal and open of the same value.
fn bench_gm<T: Sealable + std::str::FromStr>(c: &mut Criterion, name: &str, input: &str)
where
    T::Err: std::fmt::Debug,
{
    type Sm4Gcm = aes_gcm::AesGcm<sm4::Sm4, U12>;
    let value: T = input.parse().unwrap();
    let plain = input.as_bytes().to_vec();
    let mut keyring = Keyring::new();
    keyring.add_key_with_suite(1, RootKey::from_bytes([0x42; 32]), KeyState::Active, Suite::Gm).unwrap();
    let ctx = Context::new("users", name).with_row("1234567");
    let sm4 = Sm4Gcm::new(&[7u8; 16].into());
    let aes = bare_cipher();
    let nonce = aes_gcm::Nonce::from([3u8; 12]);

    // SM4-GCM's raw cost per value against AES-GCM's (AES-NI).
    let mut g = c.benchmark_group(format!("raw-gcm/{name}"));
    g.bench_function(format!("aes-gcm encrypt {}B (bare)", plain.len()), |b| {
        b.iter(|| aes.encrypt(&nonce, Payload { msg: black_box(&plain), aad: b"" }).unwrap())
    });
    g.bench_function(format!("sm4-gcm encrypt {}B", plain.len()), |b| {
        b.iter(|| sm4.encrypt(&nonce, Payload { msg: black_box(&plain), aad: b"" }).unwrap())
    });
    g.finish();

    let mut g = c.benchmark_group(format!("seal-gm/{name}"));
    g.bench_function(format!("sm4-gcm encrypt {}B (bare)", plain.len()), |b| {
        b.iter(|| sm4.encrypt(&nonce, Payload { msg: black_box(&plain), aad: b"" }).unwrap())
    });
    let floor = XaesFloor::<sm4::Sm4>::new(&[7u8; 16].into());
    g.bench_function("xsm4-gcm encrypt (floor)", |b| {
        b.iter(|| floor.encrypt(&[5; 12], &nonce, black_box(&plain)))
    });
    g.bench_function("gm seal binary", |b| b.iter(|| keyring.seal(black_box(&value), &ctx).unwrap()));
    g.bench_function("gm seal text", |b| b.iter(|| keyring.seal_text(black_box(&value), &ctx).unwrap()));
    g.finish();

    let ct = sm4.encrypt(&nonce, plain.as_slice()).unwrap();
    let sealed = keyring.seal(&value, &ctx).unwrap();
    let mut g = c.benchmark_group(format!("open-gm/{name}"));
    g.bench_function(format!("sm4-gcm decrypt {}B (bare)", plain.len()), |b| {
        b.iter(|| sm4.decrypt(&nonce, Payload { msg: black_box(&ct), aad: b"" }).unwrap())
    });
    let floor_ct = floor.encrypt(&[5; 12], &nonce, &plain);
    g.bench_function("xsm4-gcm decrypt (floor)", |b| {
        b.iter(|| floor.decrypt(&[5; 12], &nonce, black_box(&floor_ct)))
    });
    g.bench_function("gm open binary", |b| {
        b.iter(|| keyring.open(black_box(&sealed), &ctx, "bench").unwrap())
    });
    g.finish();
}

/// Bare HMAC-SM3 (pre-keyed, cloned per value, over the same bytes a token
/// MACs) beside a token of a `gm` keyring (HMAC-SM3) through a pre-keyed
/// pseudonymizer; the `aes` pair is the `token/*` group of benches/pseudo.rs.
fn bench_gm_token(c: &mut Criterion) {
    use hmac::{Hmac, KeyInit as _, Mac};
    let phone: MobilePhone = "13800138000".parse().unwrap();
    let input = [&[0, 2, 0, 15][..], b"cn.mobile_phone", &[0, 11], b"13800138000"].concat();
    let sm3 = Hmac::<sm3::Sm3>::new_from_slice(&[7; 32]).unwrap();
    let mut keyring = Keyring::new();
    keyring.add_key_with_suite(1, RootKey::from_bytes([0x42; 32]), KeyState::Active, Suite::Gm).unwrap();
    let tokens = keyring.pseudonymizer(&Domain::new("analytics").unwrap()).unwrap();
    let mut g = c.benchmark_group("token-gm/mobile_phone");
    g.bench_function("hmac-sm3 (bare)", |b| {
        b.iter(|| sm3.clone().chain_update(black_box(&input)).finalize().into_bytes())
    });
    g.bench_function("token (gm keyring)", |b| b.iter(|| tokens.token(black_box(&phone))));
    g.bench_function("token text (gm keyring)", |b| b.iter(|| tokens.token(black_box(&phone)).to_text()));
    let mut out = String::with_capacity(64);
    g.bench_function("token text, reused buffer (gm keyring)", |b| {
        b.iter(|| {
            out.clear();
            tokens.token(black_box(&phone)).push_text(&mut out);
            black_box(out.len())
        })
    });
    g.finish();
}

/// The batch and plan paths (one fork check per call, the scope's keys
/// resolved once), per value over a fixed set on one thread, next to the
/// bare AES-GCM encrypt of one such value and the XAES floor:
/// `batch::seal_text_all` at a column context (no row field: its keyed
/// check is cached per scope), and a policy plan sealing a column of text
/// values (parse included), without and with `row_id` (a check per row).
fn bench_batch<T: Sealable + Sync>(c: &mut Criterion, name: &str, values: &[T], text: fn(&T) -> &str) {
    let keyring = Arc::new(common::fixed_keyring());
    let plain = text(&values[0]).as_bytes().to_vec();
    let cipher = bare_cipher();
    let floor = XaesFloor::<Aes256Enc>::new(&[7u8; 32].into());
    let nonce = aes_gcm::Nonce::from([3u8; 12]);
    let ctx = Context::new("users", name);
    let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
    let texts: Vec<String> = values.iter().map(|v| text(v).to_owned()).collect();
    let ids: Vec<String> = (0..values.len()).map(|i| i.to_string()).collect();
    let plan = |row_id: bool| {
        let rid = if row_id { r#""row_id": "rid","# } else { "" };
        let json = format!(
            r#"{{"table": "users", {rid} "columns": {{"rid": {{"action": "keep"}}, "{name}": {{"kind": "{name}", "action": "seal"}}}}}}"#
        );
        let policy = Policy::from_json(&json).unwrap();
        Plan::from_policy(&policy, &["rid", name], Some(keyring.clone())).unwrap()
    };
    let (plain_plan, row_plan) = (plan(false), plan(true));
    let mut g = c.benchmark_group(format!("seal-batch/{name}"));
    g.bench_function(format!("aes-gcm encrypt {}B (bare)", plain.len()), |b| {
        b.iter(|| cipher.encrypt(&nonce, Payload { msg: black_box(&plain), aad: b"" }).unwrap())
    });
    g.bench_function("xaes-256-gcm encrypt (floor)", |b| {
        b.iter(|| floor.encrypt(&[5; 12], &nonce, black_box(&plain)))
    });
    g.throughput(Throughput::Elements(values.len() as u64));
    g.sample_size(20);
    // The context is borrowed (`|_| &ctx`): the bench used to clone it per
    // value, which the batch and plan paths themselves never do.
    g.bench_function("seal_text_all (nonce groups), fixed set", |b| {
        b.iter(|| pool.install(|| batch::seal_text_all(&keyring, black_box(values), |_| &ctx)))
    });
    g.bench_function("seal_all, binary (nonce groups), fixed set", |b| {
        b.iter(|| pool.install(|| batch::seal_all(&keyring, black_box(values), |_| &ctx)))
    });
    g.bench_function("seal_text one by one (fresh 24-byte nonces), fixed set", |b| {
        b.iter(|| values.iter().map(|v| keyring.seal_text(black_box(v), &ctx).unwrap()).collect::<Vec<_>>())
    });
    let mut out = ColumnBatch::new();
    for (label, plan) in [("plan seal column", &plain_plan), ("plan seal column, row_id", &row_plan)] {
        g.bench_function(format!("{label} (parse included), fixed set"), |b| {
            b.iter(|| {
                let columns: [&[String]; 2] = [&ids, black_box(&texts)];
                plan.apply_columns(0, &columns, &mut out, &mut Report::default()).unwrap();
            })
        });
    }
    g.finish();
}

/// The batch path of a `gm` keyring: `batch::seal_text_all` per value at a
/// column context (its SM4-CMAC check cached per scope), next to the bare
/// SM4-GCM encrypt of one value and the XSM4 floor.
fn bench_batch_gm<T: Sealable + Sync>(c: &mut Criterion, name: &str, values: &[T], text: fn(&T) -> &str) {
    use aes_gcm::aead::consts::U12;
    let mut keyring = Keyring::new();
    keyring.add_key_with_suite(1, RootKey::from_bytes([0x42; 32]), KeyState::Active, Suite::Gm).unwrap();
    let plain = text(&values[0]).as_bytes().to_vec();
    let sm4 = AesGcm::<sm4::Sm4, U12>::new(&[7u8; 16].into());
    let floor = XaesFloor::<sm4::Sm4>::new(&[7u8; 16].into());
    let nonce = aes_gcm::Nonce::from([3u8; 12]);
    let ctx = Context::new("users", name);
    let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
    let mut g = c.benchmark_group(format!("seal-batch-gm/{name}"));
    g.bench_function(format!("sm4-gcm encrypt {}B (bare)", plain.len()), |b| {
        b.iter(|| sm4.encrypt(&nonce, Payload { msg: black_box(&plain), aad: b"" }).unwrap())
    });
    g.bench_function("xsm4-gcm encrypt (floor)", |b| {
        b.iter(|| floor.encrypt(&[5; 12], &nonce, black_box(&plain)))
    });
    g.throughput(Throughput::Elements(values.len() as u64));
    g.sample_size(10);
    g.bench_function("gm seal_text_all (nonce groups), fixed set", |b| {
        b.iter(|| pool.install(|| batch::seal_text_all(&keyring, black_box(values), |_| &ctx)))
    });
    g.finish();
}

/// `batch::open_text_all` per value over a fixed set at a column context,
/// next to the bare GCM decrypt of one value and the floor (a message key
/// derived per value): values sealed by the batch path and opened in order
/// (the open cache derives once per nonce group) and values sealed one by
/// one (a new `N[0..12]` each: a miss every time).
fn bench_open_batch<T: Sealable + Sync>(c: &mut Criterion, suite: Suite, values: &[T], text: fn(&T) -> &str) {
    let name = T::KIND.as_str().trim_start_matches("cn.");
    let mut keyring = Keyring::new();
    keyring.add_key_with_suite(1, RootKey::from_bytes([0x42; 32]), KeyState::Active, suite).unwrap();
    let plain = text(&values[0]).as_bytes().to_vec();
    let nonce = aes_gcm::Nonce::from([3u8; 12]);
    let ctx = Context::new("users", name);
    let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
    let grouped: Vec<String> = pool
        .install(|| batch::seal_text_all(&keyring, values, |_| &ctx))
        .into_iter()
        .collect::<Result<_, _>>()
        .unwrap();
    let single: Vec<String> = values.iter().map(|v| keyring.seal_text(v, &ctx).unwrap()).collect();
    let (group, prefix) = match suite {
        Suite::Aes => (format!("open-batch/{name}"), ""),
        Suite::Gm => (format!("open-batch-gm/{name}"), "gm "),
    };
    let mut g = c.benchmark_group(group);
    match suite {
        Suite::Aes => {
            let cipher = bare_cipher();
            let ct = cipher.encrypt(&nonce, plain.as_slice()).unwrap();
            g.bench_function(format!("aes-gcm decrypt {}B (bare)", plain.len()), |b| {
                b.iter(|| cipher.decrypt(&nonce, Payload { msg: black_box(&ct), aad: b"" }).unwrap())
            });
            let floor = XaesFloor::<Aes256Enc>::new(&[7u8; 32].into());
            let floor_ct = floor.encrypt(&[5; 12], &nonce, &plain);
            g.bench_function("xaes-256-gcm decrypt (floor)", |b| {
                b.iter(|| floor.decrypt(&[5; 12], &nonce, black_box(&floor_ct)))
            });
        }
        Suite::Gm => {
            let sm4 = AesGcm::<sm4::Sm4, U12>::new(&[7u8; 16].into());
            let ct = sm4.encrypt(&nonce, plain.as_slice()).unwrap();
            g.bench_function(format!("sm4-gcm decrypt {}B (bare)", plain.len()), |b| {
                b.iter(|| sm4.decrypt(&nonce, Payload { msg: black_box(&ct), aad: b"" }).unwrap())
            });
            let floor = XaesFloor::<sm4::Sm4>::new(&[7u8; 16].into());
            let floor_ct = floor.encrypt(&[5; 12], &nonce, &plain);
            g.bench_function("xsm4-gcm decrypt (floor)", |b| {
                b.iter(|| floor.decrypt(&[5; 12], &nonce, black_box(&floor_ct)))
            });
        }
    }
    g.throughput(Throughput::Elements(values.len() as u64));
    g.sample_size(20);
    for (label, texts) in
        [("batch-sealed, in order (cache hit)", &grouped), ("sealed one by one (miss)", &single)]
    {
        g.bench_function(format!("{prefix}open_text_all, {label}, fixed set"), |b| {
            b.iter(|| {
                pool.install(|| {
                    batch::open_text_all::<T, _, _>(&keyring, black_box(texts), |_| &ctx, "bench")
                })
            })
        });
    }
    g.finish();
}

fn seal(c: &mut Criterion) {
    bench_kind::<IdNumber>(c, "id_number", "11010519491231002X");
    bench_kind::<MobilePhone>(c, "mobile_phone", "13800138000");
    bench_gm::<IdNumber>(c, "id_number", "11010519491231002X");
    bench_gm::<MobilePhone>(c, "mobile_phone", "13800138000");
    bench_gm_token(c);
    bench_batch(c, "id_number", &common::ids(), IdNumber::expose);
    bench_batch(c, "mobile_phone", &common::phones(), MobilePhone::expose);
    bench_batch_gm(c, "id_number", &common::ids(), IdNumber::expose);
    bench_open_batch(c, Suite::Aes, &common::ids(), IdNumber::expose);
    bench_open_batch(c, Suite::Gm, &common::ids(), IdNumber::expose);
}

criterion_group!(benches, seal);
criterion_main!(benches);
