//! `desensitize run`: a policy over whole files (the golden files, row ids,
//! actions, invalid values, outputs, parallel blocks, hardening). One test
//! binary for the command: `cargo test -p desensitize-cli --test run`.

#[path = "../common/mod.rs"]
mod common;

mod golden;
mod row_id;
mod run_actions;
mod run_hardening;
mod run_invalid;
mod run_jsonl_keys;
mod run_mask_facts;
mod run_outputs;
mod run_parallel;
mod run_policies;
