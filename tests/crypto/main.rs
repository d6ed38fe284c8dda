//! Sealing, keyrings, audit and pseudonyms: envelopes, limits, keyring
//! files, tokens, blind indexes. One test binary for the area (each binary
//! links the whole crate): `cargo test --test crypto`.
//!
//! Kept apart, in binaries of their own: `no_residue` (a scanning global
//! allocator) and `fork_nonces` (forks the test process). The 1,000,000-input
//! FF1 differential test is `#[ignore]`d here and run optimized by name:
//! `cargo test --release --test crypto ff1_differential -- --ignored`.

#[path = "../common/mod.rs"]
mod common;
// The FPE tests' one input generator (same streams in both files).
#[path = "../common/split_mix.rs"]
mod split_mix;

mod audit;
mod envelope_props;
mod ff1_differential;
mod fpe;
mod keyring_limits;
mod keyring_links;
mod props_seal;
mod pseudo;
mod seal;
mod seal_limits;
mod suites;
mod vectors;
mod vectors_gm;
mod vectors_gm_keys;
mod vectors_v2;
