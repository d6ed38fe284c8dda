//! The guide: a tutorial, then a cookbook of recipes for each place personal
//! data goes. Documentation only: this module has no items of its own.
//!
//! - [`tutorial`]: one record from start to end: kinds, masks, sealing with a
//!   keyring file, pseudonyms, generalization, and a whole-record policy
//!   compiled into a [`Plan`](crate::policy::Plan). Mirrors
//!   `examples/quickstart.rs` (`cargo run --example quickstart`).
//! - [`cookbook`]: short, complete recipes for
//!   [services](cookbook::services) (`#[derive(Protect)]` and `Plan`),
//!   [files](cookbook::files) (the `desensitize` command line),
//!   [Spark](cookbook::spark) (the Python package),
//!   [PostgreSQL and SQLite](cookbook::postgres) (sealed columns, rotation,
//!   erasure), and [keyring files](cookbook::keyring_files).
//!
//! Every Rust snippet in the guide is a doctest (`cargo test --doc`); each
//! recipe names the example program it mirrors, which runs the same steps
//! at full size.
//!
//! The envelope, key derivation and keyring file formats are specified in
//! `SPEC.md`; what is and is not protected is in `SECURITY.md`.
//!
//! # Keys and storage at a glance
//!
//! - `Keyring`: 256-bit root keys with ids and states (active, decrypt-only,
//!   destroyed). Working keys are derived with HKDF-SHA256 per kind and
//!   table/column and cached with their AES key schedules expanded.
//! - Keyrings come from `Keyring::generate()`, the `DESENSITIZE_ROOT_KEY`
//!   environment variable (base64 of 32 bytes), or a protected file
//!   (`Keyring::save`/`load` with a `PassphraseProvider`: Argon2id + AES-256-GCM,
//!   atomic writes). `KeyProvider` is the seam for AWS KMS or Vault Transit.
//! - Rotation: `rotate()` → `reseal` / `reseal_all` → `destroy(old, remaining)`;
//!   `needs_rotation` reads only the envelope header.
//! - Crypto-shredding: `seal_for(store, subject, ..)` and `store.forget(subject)`.
//! - Audit: every open reports kind, context, key id, purpose and outcome (never
//!   the value) to an `AuditSink`; `JsonLinesAudit` writes JSON lines.
//! - serde: `Sealed<T>` serializes as its text form;
//!   `#[serde(serialize_with = "desensitize::serde::masked::serialize")]` masks a
//!   raw kind in an API response.
//!
//! # Analytics at a glance
//!
//! - **Tokens**: `keyring.pseudonym(&value, &Domain::new("analytics")?)` gives a
//!   keyed 128-bit token (`tk1.1.…`), the same for every spelling of a value,
//!   joinable inside a domain and unlinkable across domains. Pin a domain to a
//!   key version (`keyring.pin`) so that rotating sealing keys never changes it.
//! - **Blind indexes** for equality search over sealed columns, with a planner
//!   that picks the bit length (`pseudo::Planner`), and transforms for partial
//!   search (last 4 digits, birth year, e-mail domain).
//! - **Format-preserving pseudonyms** (FF1): a phone stays a valid phone with
//!   its carrier prefix, a card keeps its BIN and a valid Luhn digit, an ID
//!   number keeps region, birth year and gender; reversible with the key
//!   (`reidentify`, audited).
//! - **Generalization**: `id.generalize(today, 5)` → `female, 75-79, 北京市
//!   (Beijing)`, with the city from an embedded GB/T 2260 table; grid cells and
//!   geohashes for locations; year-month dates; k-anonymity with suppression.

#[doc = include_str!("tutorial.md")]
pub mod tutorial {}

pub mod cookbook;
