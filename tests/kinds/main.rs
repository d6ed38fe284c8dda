//! Kinds: parsing, validation, masks, facts, generalization and serde of
//! every kind. One test binary for the area (each binary links the whole
//! crate): `cargo test --test kinds`.

#[path = "../common/mod.rs"]
mod common;

mod derive_serde_kinds;
mod generalize;
mod id_boundaries;
mod mask_table;
mod props_kinds;
mod props_mask_rule;
mod props_parsers;
