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

mod common;

use std::hint::black_box;

use aes_gcm::Aes256Gcm;
use aes_gcm::aead::{Aead, KeyInit, Payload};
use criterion::{Criterion, criterion_group, criterion_main};
use desensitize::keys::{KeyState, RootKey, Suite};
use desensitize::pseudo::Domain;
use desensitize::{Context, IdNumber, Keyring, MobilePhone, Sealable, Sealed};

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
    use aes_gcm::aead::consts::U12;
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
    g.bench_function("gm seal binary", |b| b.iter(|| keyring.seal(black_box(&value), &ctx).unwrap()));
    g.bench_function("gm seal text", |b| b.iter(|| keyring.seal_text(black_box(&value), &ctx).unwrap()));
    g.finish();

    let ct = sm4.encrypt(&nonce, plain.as_slice()).unwrap();
    let sealed = keyring.seal(&value, &ctx).unwrap();
    let mut g = c.benchmark_group(format!("open-gm/{name}"));
    g.bench_function(format!("sm4-gcm decrypt {}B (bare)", plain.len()), |b| {
        b.iter(|| sm4.decrypt(&nonce, Payload { msg: black_box(&ct), aad: b"" }).unwrap())
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
    g.bench_function("token text (gm keyring)", |b| b.iter(|| tokens.token(black_box(&phone)).to_string()));
    g.finish();
}

fn seal(c: &mut Criterion) {
    bench_kind::<IdNumber>(c, "id_number", "11010519491231002X");
    bench_kind::<MobilePhone>(c, "mobile_phone", "13800138000");
    bench_gm::<IdNumber>(c, "id_number", "11010519491231002X");
    bench_gm::<MobilePhone>(c, "mobile_phone", "13800138000");
    bench_gm_token(c);
}

criterion_group!(benches, seal);
criterion_main!(benches);
