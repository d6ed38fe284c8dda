//! Sealing cost next to the bare primitive: read the ratio from one run.
//!
//! Each group holds a bare `aes-gcm` 0.11 encrypt (or decrypt) of the same
//! number of bytes with a pre-built cipher, and our seal (or open) of a typed
//! value, in binary and in text form, under a fixed key. Targets (issue 13):
//! text form <= 1.4x, binary <= 1.25x the bare primitive.

mod common;

use std::hint::black_box;

use aes_gcm::Aes256Gcm;
use aes_gcm::aead::{Aead, KeyInit, Payload};
use criterion::{Criterion, criterion_group, criterion_main};
use desensitize::{Context, IdNumber, MobilePhone, Sealable, Sealed};

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

fn seal(c: &mut Criterion) {
    bench_kind::<IdNumber>(c, "id_number", "11010519491231002X");
    bench_kind::<MobilePhone>(c, "mobile_phone", "13800138000");
}

criterion_group!(benches, seal);
criterion_main!(benches);
