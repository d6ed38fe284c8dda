//! Per-value cost of the batch API (`desensitize::batch`) on one thread:
//! parse, then pseudonymize (token text) or seal (`dz1.` text), for the
//! mobile numbers in a file, one per line. `scripts/bench/bench-python.sh` puts
//! the Python package's cost on the same values next to it.
//!
//!     cargo run --release --example batch_cost -- phones.txt

use std::time::Instant;

use desensitize::pseudo::Domain;
use desensitize::{Context, Keyring, MobilePhone, batch};

/// Best of 3, in nanoseconds per value.
fn best_ns(values: usize, mut f: impl FnMut() -> usize) -> f64 {
    (0..3)
        .map(|_| {
            let t = Instant::now();
            assert_eq!(f(), values);
            t.elapsed().as_nanos() as f64 / values as f64
        })
        .fold(f64::INFINITY, f64::min)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args().nth(1).ok_or("usage: batch_cost FILE (one mobile number per line)")?;
    let text = std::fs::read_to_string(path)?;
    let lines: Vec<&str> = text.lines().collect();
    let keyring = Keyring::generate()?;
    let tokens = keyring.pseudonymizer(&Domain::new("analytics")?)?;
    let ctx = Context::new("users", "mobile");

    let parse = || lines.iter().map(|l| l.parse()).collect::<Result<Vec<MobilePhone>, _>>();
    let pseudonym = best_ns(lines.len(), || {
        let phones = parse().expect("valid numbers");
        let texts: Vec<String> =
            batch::pseudonymize_all(&tokens, &phones).iter().map(|t| t.to_text()).collect();
        std::hint::black_box(texts).len()
    });
    let seal = best_ns(lines.len(), || {
        let phones = parse().expect("valid numbers");
        let sealed = batch::seal_text_all(&keyring, &phones, |_| &ctx);
        std::hint::black_box(sealed).iter().filter(|s| s.is_ok()).count()
    });
    println!("rust_pseudonym_ns {pseudonym:.1}");
    println!("rust_seal_ns {seal:.1}");
    Ok(())
}
