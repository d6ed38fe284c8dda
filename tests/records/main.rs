//! Whole records: policies (parsing, errors, plans) and `#[derive(Protect)]`
//! (its run-time behavior and its compile errors), and the seal ledger of every
//! path that seals through a keyring file. One test binary for the
//! area (each binary links the whole crate): `cargo test --test records`.

#[path = "../common/mod.rs"]
mod common;

mod derive_example;
// The example's record and helpers, shared with the program itself.
#[path = "../../examples/derive_user/user.rs"]
mod derive_fixture;
mod derive_ui;
mod fuzz_regressions;
mod ledger_paths;
mod policy;
mod policy_bounds;
mod policy_errors;
mod policy_plan;
mod policy_rules;
mod protect_errors;
