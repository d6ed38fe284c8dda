//! Analytics cost next to the raw primitive: read ratios from one run.
//!
//! `token` groups hold a bare pre-keyed HMAC-SHA256 over the same bytes next
//! to our token (target: at most 1.3x). Blind indexes, format-preserving
//! pseudonyms and ID-number generalization are measured per value.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use desensitize::pseudo::{Domain, Transform};
use desensitize::{BankCard, Date, IdNumber, Keyring, MobilePhone};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

fn tokens(c: &mut Criterion) {
    let keyring = Keyring::generate().unwrap();
    let domain = Domain::new("analytics").unwrap();
    let tokens = keyring.pseudonymizer(&domain).unwrap();
    let bare = Hmac::<Sha256>::new_from_slice(&[7u8; 32]).unwrap();
    for (name, input) in [("id_number", "11010519491231002X"), ("mobile_phone", "13800138000")] {
        let mut g = c.benchmark_group(format!("token/{name}"));
        g.bench_function(format!("HMAC-SHA256 {}B, pre-keyed (bare)", input.len()), |b| {
            b.iter(|| {
                let mut m = bare.clone();
                m.update(black_box(input.as_bytes()));
                m.finalize().into_bytes()
            })
        });
        if name == "id_number" {
            let v: IdNumber = input.parse().unwrap();
            g.bench_function("token", |b| b.iter(|| tokens.token(black_box(&v))));
            g.bench_function("token text", |b| b.iter(|| tokens.token(black_box(&v)).to_text()));
        } else {
            let v: MobilePhone = input.parse().unwrap();
            g.bench_function("token", |b| b.iter(|| tokens.token(black_box(&v))));
            g.bench_function("token text", |b| b.iter(|| tokens.token(black_box(&v)).to_text()));
        }
        g.finish();
    }
}

fn blind_index(c: &mut Criterion) {
    let keyring = Keyring::generate().unwrap();
    let name = Domain::new("users.phone").unwrap();
    let full = keyring.blind_index::<MobilePhone>(&name, Transform::Full, 18).unwrap();
    let last4 = keyring.blind_index::<MobilePhone>(&name, Transform::Last4, 8).unwrap();
    let v: MobilePhone = "13800138000".parse().unwrap();
    let mut g = c.benchmark_group("blind_index/mobile_phone");
    g.bench_function("full, 18 bits", |b| b.iter(|| full.compute(black_box(&v))));
    g.bench_function("last4, 8 bits", |b| b.iter(|| last4.compute(black_box(&v))));
    g.finish();
}

fn generalize(c: &mut Criterion) {
    let id: IdNumber = "11010519491231002X".parse().unwrap();
    let on = Date::new(2026, 11, 23).unwrap();
    let mut g = c.benchmark_group("generalize/id_number");
    g.bench_function("profile (gender, age band, province, city)", |b| {
        b.iter(|| black_box(&id).generalize(on, 5).unwrap())
    });
    g.finish();
}

fn fpe(c: &mut Criterion) {
    let keyring = Keyring::generate().unwrap();
    let domain = Domain::new("partner").unwrap();
    let id: IdNumber = "11010519491231002X".parse().unwrap();
    let phone: MobilePhone = "13800138000".parse().unwrap();
    let card: BankCard = "6222021234567894".parse().unwrap();
    let mut g = c.benchmark_group("fpe");
    g.bench_function("mobile_phone", |b| b.iter(|| keyring.fpe(black_box(&phone), &domain).unwrap()));
    g.bench_function("bank_card", |b| b.iter(|| keyring.fpe(black_box(&card), &domain).unwrap()));
    g.bench_function("id_number", |b| b.iter(|| keyring.fpe(black_box(&id), &domain).unwrap()));
    let cipher = keyring.fpe_cipher(&domain).unwrap();
    g.bench_function("mobile_phone, pre-keyed cipher", |b| {
        b.iter(|| cipher.pseudonymize(black_box(&phone)).unwrap())
    });
    g.bench_function("bank_card, pre-keyed cipher", |b| {
        b.iter(|| cipher.pseudonymize(black_box(&card)).unwrap())
    });
    g.bench_function("id_number, pre-keyed cipher", |b| {
        b.iter(|| cipher.pseudonymize(black_box(&id)).unwrap())
    });
    g.finish();
}

criterion_group!(benches, tokens, blind_index, generalize, fpe);
criterion_main!(benches);
