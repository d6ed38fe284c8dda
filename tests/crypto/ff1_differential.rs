//! The crate's own FF1 (u128 halves, `src/pseudo/ff1.rs`) against the `fpe`
//! crate's FF1 (num-bigint), on random inputs in the exact shapes each kind
//! uses, with tweaks built like the kinds build them (SPEC.md §1 fields):
//!
//! - mobile phone: 8 digits under `[kind, domain, 3-digit segment]`;
//! - bank card: 5 to 12 middle digits under `[kind, domain, BIN, length]`
//!   (5 digits are cycle-walked through 6-digit FF1);
//! - ID number: the cycle walk over `days * 500` under
//!   `[kind, domain, region+year, parity]`.
//!
//! Every output must be equal, and decryption must invert. The default run
//! checks [`DEFAULT_PER_KIND`] inputs per kind; the `--ignored` test checks
//! 1,000,000 per kind (run it optimized: `cargo test --release --test
//! crypto ff1_differential -- --ignored`; `scripts/ci/ci-bench.sh` does).

use aes_gcm::aes::Aes256;
use desensitize::{ConfigError, Keyring};
use fpe::ff1::{FF1, FlexibleNumeralString};

/// Inputs per kind in the default (debug-build) run.
const DEFAULT_PER_KIND: usize = 10_000;
/// Inputs per kind in the full run.
const FULL_PER_KIND: usize = 1_000_000;
/// A fresh random key every this many inputs.
const PER_KEY: usize = 500;

use crate::split_mix::Rng;

/// SPEC.md §1 field encoding: count, then each field length-prefixed (u16 BE).
fn fields(parts: &[&[u8]]) -> Vec<u8> {
    let mut out = (parts.len() as u16).to_be_bytes().to_vec();
    for p in parts {
        out.extend_from_slice(&(p.len() as u16).to_be_bytes());
        out.extend_from_slice(p);
    }
    out
}

/// Reference FF1 over ASCII digits (n >= 6) with the `fpe` crate.
fn reference_ff1(ff1: &FF1<Aes256>, tweak: &[u8], digits: &[u8], encrypt: bool) -> Vec<u8> {
    let ns = FlexibleNumeralString::from(digits.iter().map(|d| u16::from(d - b'0')).collect::<Vec<_>>());
    let out = if encrypt { ff1.encrypt(tweak, &ns) } else { ff1.decrypt(tweak, &ns) };
    Vec::<u16>::from(out.unwrap()).into_iter().map(|n| b'0' + n as u8).collect()
}

/// Reference cycle walk: 6-digit FF1 until the result is below `size`.
fn reference_walk(ff1: &FF1<Aes256>, tweak: &[u8], x: u32, size: u32, encrypt: bool) -> u32 {
    let mut v = x;
    loop {
        let digits = format!("{v:06}");
        let out = reference_ff1(ff1, tweak, digits.as_bytes(), encrypt);
        v = std::str::from_utf8(&out).unwrap().parse().unwrap();
        if v < size {
            return v;
        }
    }
}

/// Reference for the kinds' digit step: FF1, cycle-walked below 6 digits.
fn reference_decimal(ff1: &FF1<Aes256>, tweak: &[u8], digits: &[u8], encrypt: bool) -> Vec<u8> {
    if digits.len() >= 6 {
        return reference_ff1(ff1, tweak, digits, encrypt);
    }
    let size = 10u32.pow(digits.len() as u32);
    let x = std::str::from_utf8(digits).unwrap().parse().unwrap();
    let y = reference_walk(ff1, tweak, x, size, encrypt);
    format!("{y:0width$}", width = digits.len()).into_bytes()
}

/// One kind's shape: a digit string (or walk input) and its tweak.
#[derive(Clone, Copy, Debug)]
enum Shape {
    Mobile,
    Card,
    Id,
}

/// Check `count` random inputs of `shape`; decryption is compared with the
/// reference on every 4th input and round-tripped on all.
fn check(shape: Shape, count: usize, seed: u64) {
    let mut rng = Rng(seed);
    let mut key = rng.key();
    let mut reference = FF1::<Aes256>::new(&key, 10).unwrap();
    for i in 0..count {
        if i % PER_KEY == 0 && i > 0 {
            key = rng.key();
            reference = FF1::<Aes256>::new(&key, 10).unwrap();
        }
        let domain = format!("d{}", rng.below(1000));
        let compare_decrypt = i % 4 == 0;
        match shape {
            Shape::Mobile | Shape::Card => {
                let (tweak, x) = match shape {
                    Shape::Mobile => {
                        let segment = format!("1{}{}", 3 + rng.below(7), rng.below(10));
                        (
                            fields(&[b"cn.mobile_phone", domain.as_bytes(), segment.as_bytes()]),
                            rng.digits(8).into_bytes(),
                        )
                    }
                    _ => {
                        let len = 12 + rng.below(8) as usize;
                        let bin = rng.digits(6).into_bytes();
                        let t = fields(&[b"bank_card", domain.as_bytes(), &bin, &[len as u8]]);
                        (t, rng.digits(len - 7).into_bytes())
                    }
                };
                let mut ours = x.clone();
                Keyring::ff1_decimal_for_vectors(&key, &tweak, &mut ours, true).unwrap();
                assert_eq!(
                    ours,
                    reference_decimal(&reference, &tweak, &x, true),
                    "{shape:?} encrypt, input {i}"
                );
                let mut back = ours.clone();
                Keyring::ff1_decimal_for_vectors(&key, &tweak, &mut back, false).unwrap();
                assert_eq!(back, x, "{shape:?} round trip, input {i}");
                if compare_decrypt {
                    let mut dec = x.clone();
                    Keyring::ff1_decimal_for_vectors(&key, &tweak, &mut dec, false).unwrap();
                    assert_eq!(
                        dec,
                        reference_decimal(&reference, &tweak, &x, false),
                        "{shape:?} decrypt {i}"
                    );
                }
            }
            Shape::Id => {
                let size = if rng.below(4) == 0 { 366 * 500 } else { 365 * 500 };
                let region_year = rng.digits(10).into_bytes();
                let parity = [b'0' + rng.below(2) as u8];
                let tweak = fields(&[b"cn.id_number", domain.as_bytes(), &region_year, &parity]);
                let x = rng.below(u64::from(size)) as u32;
                let ours = Keyring::ff1_walk_for_vectors(&key, &tweak, x, size, true).unwrap();
                assert_eq!(ours, reference_walk(&reference, &tweak, x, size, true), "id encrypt, input {i}");
                assert_eq!(Keyring::ff1_walk_for_vectors(&key, &tweak, ours, size, false).unwrap(), x);
                if compare_decrypt {
                    let dec = Keyring::ff1_walk_for_vectors(&key, &tweak, x, size, false).unwrap();
                    assert_eq!(dec, reference_walk(&reference, &tweak, x, size, false), "id decrypt {i}");
                }
            }
        }
    }
}

/// Every kind, split over the available cores.
fn check_all(per_kind: usize) {
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get()).clamp(1, 8);
    std::thread::scope(|s| {
        for (k, shape) in [Shape::Mobile, Shape::Card, Shape::Id].into_iter().enumerate() {
            let share = per_kind.div_ceil(threads);
            for t in 0..threads {
                let count = share.min(per_kind - (t * share).min(per_kind));
                let seed = 0xF1F1_0000 + (k * 64 + t) as u64;
                s.spawn(move || check(shape, count, seed));
            }
        }
    });
}

#[test]
fn equals_the_fpe_crate_per_kind() {
    check_all(DEFAULT_PER_KIND);
}

#[test]
#[ignore = "1,000,000 inputs per kind: run optimized (scripts/ci/ci-bench.sh does)"]
fn equals_the_fpe_crate_on_a_million_per_kind() {
    check_all(FULL_PER_KIND);
}

#[test]
fn equals_the_fpe_crate_on_long_numeral_strings() {
    // Up to 38 digits (19-digit halves, the most u128 halves hold here), any radix-10 tweak length.
    let mut rng = Rng(7);
    for n in 6..=38 {
        for t in [0usize, 1, 5, 13, 14, 15, 16, 17, 31, 40] {
            let key = rng.key();
            let tweak: Vec<u8> = (0..t).map(|_| rng.next() as u8).collect();
            let x: Vec<u16> = (0..n).map(|_| rng.below(10) as u16).collect();
            let ours = Keyring::ff1_for_vectors(&key, 10, &tweak, &x, true).unwrap();
            let reference = FF1::<Aes256>::new(&key, 10).unwrap();
            let theirs = reference.encrypt(&tweak, &FlexibleNumeralString::from(x.clone())).unwrap();
            assert_eq!(ours, Vec::<u16>::from(theirs), "n {n} t {t}");
            assert_eq!(Keyring::ff1_for_vectors(&key, 10, &tweak, &ours, false).unwrap(), x);
        }
    }
    let too_long = Keyring::ff1_for_vectors(&[0; 32], 10, b"", &[0; 39], true);
    assert!(matches!(too_long, Err(desensitize::Error::Config(ConfigError::Ff1TooLong))));
}
