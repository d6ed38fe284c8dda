//! Re-identification risk (`desensitize::risk`): measures against pyCANON,
//! the optimal search against an exhaustive one, `[privacy]` in policies,
//! and reading files. `cargo test --features stream --test risk`.

#![cfg(feature = "stream")]

#[path = "../common/skip.rs"]
mod skip;

mod lattice;
mod policy;
mod pycanon;
mod scan;

/// A deterministic generator for the tables of these tests (splitmix64).
pub struct Rng(pub u64);

impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
}
