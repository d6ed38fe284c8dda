//! The other subcommands: one value per line (`mask`, `seal`, `open`,
//! `pseudonym`, `inspect`) and their contexts, `keys`, `fake`, the seal
//! ledger, the audit log and the seal vectors. One test binary for them:
//! `cargo test -p desensitize-cli --test commands`. `db rotate` (feature
//! `postgres`, a server) keeps its own binary, `db_rotate`.

#[path = "../common/mod.rs"]
mod common;

mod access;
mod audit;
mod contexts;
mod fake;
mod files;
mod keys;
mod ledger;
mod pkcs11;
mod redact;
mod risk;
mod scan;
mod seal_vectors;
mod single_values;
mod suites;
