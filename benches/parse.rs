//! Parsing cost per kind (string in, validated typed value out), next to the
//! mask of the same value and a bare `String` copy of the input: what the
//! CLI, Python and services pay per value. Targets (issue 18): mobile phone
//! at most 25 ns, ID number at most 40 ns, validation included.

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
    let mut g = c.benchmark_group(format!("parse/{name}"));
    g.bench_function("String copy (bare)", |b| b.iter(|| black_box(input).to_owned()));
    g.bench_function("parse", |b| b.iter(|| black_box(input).parse::<T>().unwrap()));
    g.bench_function("mask standard", |b| b.iter(|| black_box(&value).mask(MaskLevel::Standard)));
    g.bench_function("parse then mask", |b| {
        b.iter(|| black_box(input).parse::<T>().unwrap().mask(MaskLevel::Standard))
    });
    g.finish();
}

fn parses(c: &mut Criterion) {
    each_kind_sample!(bench, c);
    bench::<desensitize::MobilePhone>(c, "mobile_phone (+86 138-0013-8000)", "+86 138-0013-8000");
}

criterion_group!(benches, parses);
criterion_main!(benches);
