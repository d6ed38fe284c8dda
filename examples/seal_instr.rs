//! Instruction counts of the hot paths, for callgrind: run one operation
//! `N` times after its setup, then subtract two runs to remove the setup.
//!
//!     cargo build --profile bench --example seal_instr
//!     for n in 1000 11000; do valgrind --tool=callgrind --callgrind-out-file=/tmp/cg.$n \
//!         target/release/examples/seal_instr batch-seal-aes $n; done
//!     # (instructions at 11000 - at 1000) / 10000 = instructions per value
//!
//! Operations: batch-seal-aes, batch-seal-gm, batch-seal-binary, plan-seal, seal-text,
//! open-batch-hit, open-batch-miss, open-text, open-batch-hit-gm,
//! open-batch-miss-gm, token-text, token-text-gm, bare-gcm, bare-sm4-gcm.

use std::hint::black_box;
use std::sync::Arc;

use aes_gcm::aead::consts::U12;
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, AesGcm};
use desensitize::keys::{KeyState, RootKey, Suite};
use desensitize::policy::{ColumnBatch, Plan, Policy, Report};
use desensitize::pseudo::Domain;
use desensitize::{Context, Keyring, MobilePhone, batch};

fn keyring(suite: Suite) -> Keyring {
    let mut k = Keyring::new();
    k.add_key_with_suite(1, RootKey::from_bytes([0x42; 32]), KeyState::Active, suite).unwrap();
    k
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (op, n) = (args[1].as_str(), args[2].parse::<usize>().unwrap());
    let phone: MobilePhone = "13800138000".parse().unwrap();
    let phones = vec![phone.clone(); n];
    let ctx = Context::new("users", "phone");
    let suite = if op.ends_with("-gm") { Suite::Gm } else { Suite::Aes };
    let k = keyring(suite);
    let plain = b"13800138000";
    let nonce = aes_gcm::Nonce::from([3u8; 12]);
    let sealed_batch = || -> Vec<String> {
        batch::seal_text_all(&k, &phones, |_| &ctx).into_iter().map(Result::unwrap).collect()
    };
    let sealed_single = || -> Vec<String> { (0..n).map(|_| k.seal_text(&phone, &ctx).unwrap()).collect() };
    match op {
        "batch-seal-aes" | "batch-seal-gm" => {
            black_box(sealed_batch());
        }
        "batch-seal-binary" => {
            black_box(batch::seal_all(&k, &phones, |_| &ctx));
        }
        "plan-seal" => {
            let policy = Policy::from_json(
                r#"{"table": "users", "columns": {"phone": {"kind": "mobile_phone", "action": "seal"}}}"#,
            )
            .unwrap();
            let plan = Plan::from_policy(&policy, &["phone"], Some(Arc::new(keyring(Suite::Aes)))).unwrap();
            let texts = vec!["13800138000"; n];
            let mut out = ColumnBatch::new();
            plan.apply_columns(0, &[&texts[..]], &mut out, &mut Report::default()).unwrap();
            black_box(out);
        }
        "seal-text" => {
            black_box(sealed_single());
        }
        "open-batch-hit" | "open-batch-hit-gm" | "open-batch-miss" | "open-batch-miss-gm" | "open-text" => {
            let texts = if op.contains("hit") { sealed_batch() } else { sealed_single() };
            // Subtract the setup too: the same seals with and without the opens.
            if std::env::var_os("SETUP_ONLY").is_some() {
                black_box(texts);
            } else if op == "open-text" {
                for t in &texts {
                    black_box(k.open_text::<MobilePhone>(t, &ctx, "bench").unwrap());
                }
            } else {
                black_box(batch::open_text_all::<MobilePhone, _, _>(&k, &texts, |_| &ctx, "bench"));
            }
        }
        "token-text" | "token-text-gm" => {
            let tokens = k.pseudonymizer(&Domain::new("analytics").unwrap()).unwrap();
            for p in &phones {
                black_box(tokens.token(black_box(p)).to_text());
            }
        }
        "bare-gcm" => {
            let c = Aes256Gcm::new(&[7u8; 32].into());
            for _ in 0..n {
                black_box(c.encrypt(&nonce, Payload { msg: black_box(plain), aad: b"" }).unwrap());
            }
        }
        "bare-sm4-gcm" => {
            let c = AesGcm::<sm4::Sm4, U12>::new(&[7u8; 16].into());
            for _ in 0..n {
                black_box(c.encrypt(&nonce, Payload { msg: black_box(plain), aad: b"" }).unwrap());
            }
        }
        _ => panic!("unknown operation {op}"),
    }
}
