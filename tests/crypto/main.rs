//! Sealing, keyrings, audit and pseudonyms: envelopes, limits, keyring
//! files, tokens, blind indexes. One test binary for the area (each binary
//! links the whole crate): `cargo test --test crypto`.
//!
//! Kept apart, in binaries of their own: `no_residue` (a scanning global
//! allocator), `fork_nonces` (forks the test process), `vectors`, `fpe` and
//! `ff1_differential` (known-answer and differential tests run by name).

#[path = "../common/mod.rs"]
mod common;

mod audit;
mod envelope_props;
mod keyring_limits;
mod props_seal;
mod pseudo;
mod seal;
mod seal_limits;
