//! Per-value cost of batch sealing and pseudonymization on 1 and 2 threads.
//! Requires the `rayon` feature (on whenever the workspace's CLI is built).

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use desensitize::pseudo::Domain;
use desensitize::{Context, IdNumber, Keyring, batch};

const N: usize = 20_000;

fn ids() -> Vec<IdNumber> {
    let weights = [7u32, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    (0..N)
        .map(|i| {
            let first17 = format!("1101051980{:02}{:02}{:03}", 1 + i % 12, 1 + i % 28, i % 1000);
            let sum: u32 = first17.bytes().zip(weights).map(|(d, w)| u32::from(d - b'0') * w).sum();
            format!("{first17}{}", char::from(b"10X98765432"[(sum % 11) as usize])).parse().unwrap()
        })
        .collect()
}

fn batch(c: &mut Criterion) {
    let keyring = Keyring::generate().unwrap();
    let tokens = keyring.pseudonymizer(&Domain::new("analytics").unwrap()).unwrap();
    let values = ids();
    let ctx = Context::new("users", "id_number");
    for threads in [1, 2] {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        let mut g =
            c.benchmark_group(format!("batch/{threads} thread{}", if threads == 1 { "" } else { "s" }));
        g.throughput(Throughput::Elements(N as u64));
        g.sample_size(20);
        g.bench_function("seal_text_all", |b| {
            b.iter(|| pool.install(|| batch::seal_text_all(&keyring, black_box(&values), |_| &ctx)))
        });
        g.bench_function("pseudonymize_all", |b| {
            b.iter(|| pool.install(|| batch::pseudonymize_all(&tokens, black_box(&values))))
        });
        g.finish();
    }
}

criterion_group!(benches, batch);
criterion_main!(benches);
