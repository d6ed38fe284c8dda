//! Analytics cost next to the raw primitive: read ratios from one run.
//!
//! `token` groups hold a bare pre-keyed HMAC-SHA256 over the same bytes next
//! to our token (target: at most 1.2x). `fpe` groups hold one bare AES-256
//! block encryption (FF1 needs at least 12 per value) next to FPE of a fixed
//! set of [`common::SET`] values under a fixed key: cycle-walk counts depend
//! on key and value, so only a fixed key and input set compare between runs.
//! Those benches report the time per set; `scripts/bench/bench-table.py` divides
//! by the element count (the throughput) to give the mean per value.

mod common;

use std::hint::black_box;

use aes_gcm::aes::Aes256;
use aes_gcm::aes::cipher::BlockCipherEncrypt;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use desensitize::pseudo::{Domain, FormatPreserving, FpeCipher, Pseudonymizable, Pseudonymizer, Transform};
use desensitize::{Date, IdNumber, Keyring, MobilePhone};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

fn tokens(c: &mut Criterion) {
    let keyring = common::fixed_keyring();
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
            token_rows(&mut g, &tokens, &input.parse::<IdNumber>().unwrap());
        } else {
            token_rows(&mut g, &tokens, &input.parse::<MobilePhone>().unwrap());
        }
        g.finish();
    }
}

/// Our token of `v`: binary, as text, and as text into a reused buffer.
fn token_rows<T: Pseudonymizable>(
    g: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    tokens: &Pseudonymizer,
    v: &T,
) {
    g.bench_function("token", |b| b.iter(|| tokens.token(black_box(v))));
    g.bench_function("token text", |b| b.iter(|| tokens.token(black_box(v)).to_text()));
    let mut out = String::with_capacity(64);
    g.bench_function("token text, reused buffer", |b| {
        b.iter(|| {
            out.clear();
            tokens.token(black_box(v)).push_text(&mut out);
            black_box(out.len())
        })
    });
}

fn blind_index(c: &mut Criterion) {
    let keyring = common::fixed_keyring();
    let name = Domain::new("users.phone").unwrap();
    let full = keyring.blind_index::<MobilePhone>(&name, Transform::Full, 18).unwrap();
    let last4 = keyring.blind_index::<MobilePhone>(&name, Transform::Last4, 8).unwrap();
    let v: MobilePhone = "13800138000".parse().unwrap();
    let mut g = c.benchmark_group("blind_index/mobile_phone");
    g.bench_function("full, 18 bits", |b| b.iter(|| full.compute(black_box(&v))));
    g.bench_function("last4, 8 bits", |b| b.iter(|| last4.compute(black_box(&v))));
    g.finish();
}

/// The single-value call a new user tries first, `keyring.pseudonym(..)`
/// per value, next to a kept pre-keyed pseudonymizer (the bare row) on the
/// same 100,000 phone numbers: with the keyring's cache of domain keys the
/// ratio should be near 1 (issue 18; it was 774 ns against 199 ns when
/// every call derived the key).
fn pseudonym_cache(c: &mut Criterion) {
    const N: u64 = 100_000;
    let keyring = common::fixed_keyring();
    let domain = Domain::new("analytics").unwrap();
    let tokens = keyring.pseudonymizer(&domain).unwrap();
    let phones: Vec<MobilePhone> = (0..N).map(|i| format!("138{i:08}").parse().unwrap()).collect();
    let mut g = c.benchmark_group("pseudonym/mobile_phone");
    g.throughput(Throughput::Elements(N));
    g.sample_size(10);
    g.bench_function("pre-keyed pseudonymizer, 100,000 values (bare)", |b| {
        b.iter(|| {
            for p in &phones {
                black_box(tokens.token(black_box(p)));
            }
        })
    });
    g.bench_function("keyring.pseudonym, 100,000 values", |b| {
        b.iter(|| {
            for p in &phones {
                black_box(keyring.pseudonym(black_box(p), &domain).unwrap());
            }
        })
    });
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

/// One kind's FPE over its fixed input set, next to one bare AES-256 block.
fn fpe_kind<T: FormatPreserving>(
    c: &mut Criterion,
    name: &str,
    values: &[T],
    keyring: &Keyring,
    cipher: &FpeCipher,
    domain: &Domain,
) {
    let aes = Aes256::new(&[7u8; 32].into());
    let mut g = c.benchmark_group(format!("fpe/{name}"));
    g.bench_function("AES-256 block (bare)", |b| {
        b.iter(|| {
            let mut block = black_box([5u8; 16]).into();
            aes.encrypt_block(&mut block);
            block
        })
    });
    // A whole set per iteration (milliseconds): fewer, longer samples.
    g.throughput(Throughput::Elements(values.len() as u64));
    g.sample_size(20);
    g.bench_function("pre-keyed cipher, fixed set", |b| {
        b.iter(|| {
            for v in values {
                black_box(cipher.pseudonymize(black_box(v)).unwrap());
            }
        })
    });
    g.bench_function("keyring (cached key), fixed set", |b| {
        b.iter(|| {
            for v in values {
                black_box(keyring.fpe(black_box(v), domain).unwrap());
            }
        })
    });
    g.finish();
}

fn fpe(c: &mut Criterion) {
    let keyring = common::fixed_keyring();
    let domain = Domain::new("partner").unwrap();
    let cipher = keyring.fpe_cipher(&domain).unwrap();
    fpe_kind(c, "mobile_phone", &common::phones(), &keyring, &cipher, &domain);
    fpe_kind(c, "bank_card", &common::cards(), &keyring, &cipher, &domain);
    fpe_kind(c, "id_number", &common::ids(), &keyring, &cipher, &domain);
}

criterion_group!(benches, tokens, pseudonym_cache, blind_index, generalize, fpe);
criterion_main!(benches);
