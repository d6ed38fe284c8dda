//! Masking cost per kind, next to a bare `String` copy of the same length.
//! Target (DESIGN.md): phone and ID number under 60 ns, one allocation.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use desensitize::{MaskLevel, Sensitive};

#[macro_use]
mod common;

fn bench<T: Sensitive + std::str::FromStr>(c: &mut Criterion, name: &str, input: &str)
where
    T::Err: std::fmt::Debug,
{
    let value: T = input.parse().unwrap();
    let same_len = value.mask(MaskLevel::Standard);
    let mut g = c.benchmark_group(format!("mask/{name}"));
    g.bench_function("String copy (bare)", |b| b.iter(|| black_box(same_len.as_str()).to_owned()));
    g.bench_function("mask standard", |b| b.iter(|| black_box(&value).mask(MaskLevel::Standard)));
    g.bench_function("mask strict", |b| b.iter(|| black_box(&value).mask(MaskLevel::Strict)));
    g.finish();
}

fn masks(c: &mut Criterion) {
    each_kind_sample!(bench, c);
}

criterion_group!(benches, masks);
criterion_main!(benches);
