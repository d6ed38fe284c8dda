//! Parsing cost per kind (string in, validated typed value out), next to the
//! mask of the same value and a bare `String` copy of the input: what the
//! CLI, Python and services pay per value. Targets (issue 18): mobile phone
//! at most 25 ns, ID number at most 40 ns, validation included.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use desensitize::{
    Address, BankCard, CreditCode, Email, GeoPoint, IdNumber, Imei, IpAddress, Landline, LicensePlate,
    MacAddress, MaskLevel, MobilePhone, Passport, PersonName, Sensitive,
};

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
    bench::<MobilePhone>(c, "mobile_phone", "13800138000");
    bench::<MobilePhone>(c, "mobile_phone (+86 138-0013-8000)", "+86 138-0013-8000");
    bench::<IdNumber>(c, "id_number", "11010519491231002X");
    bench::<BankCard>(c, "bank_card", "6222021234567894");
    bench::<PersonName>(c, "person_name", "欧阳娜娜");
    bench::<Email>(c, "email", "zhangsan@163.com");
    bench::<Address>(c, "address", "北京市朝阳区建国路88号");
    bench::<GeoPoint>(c, "geo_point", "39.9042,116.4074");
    bench::<IpAddress>(c, "ip_address", "10.1.2.3");
    bench::<MacAddress>(c, "mac_address", "AC:DE:48:00:11:22");
    bench::<Imei>(c, "imei", "490154203237518");
    bench::<Landline>(c, "landline", "010-62345678");
    bench::<LicensePlate>(c, "license_plate", "京A12345");
    bench::<Passport>(c, "passport", "E12345678");
    bench::<CreditCode>(c, "credit_code", "91350100M000100Y43");
}

criterion_group!(benches, parses);
criterion_main!(benches);
