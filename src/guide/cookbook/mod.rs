//! Recipes, one page per place personal data goes. Each page says which
//! example program runs the same steps (`examples/`), and every Rust snippet
//! is a doctest.
//!
//! | page | for | mirrors |
//! |---|---|---|
//! | [`services`] | records in a service: `#[derive(Protect)]`, a policy compiled into a `Plan` | `examples/derive_user/` |
//! | [`files`] | CSV and JSON Lines files: `desensitize run`, `seal`, `open`, `keys` | `examples/policy.toml` |
//! | [`spark`] | Spark and Arrow through the Python package | `examples/spark_protect.py`, `examples/batch_cost.rs` |
//! | [`postgres`] | sealed columns in PostgreSQL and SQLite, blind-index lookup, rotation, erasure | `examples/postgres_store/`, `examples/sqlite_store/` |
//! | [`detect`] | personal data in free text and unknown columns: detect, redact, restore; `desensitize redact` and `scan` | `examples/detect_quality.rs` |
//! | [`risk`] | re-identification risk, `[privacy]` policies, the least generalization that is safe | `cli/tests/commands/risk.rs` |
//! | [`keyring_files`] | create, save, load and rotate a keyring file | `desensitize keygen`, [`Keyring::save`](crate::Keyring::save) |

#[doc = include_str!("services.md")]
pub mod services {}

#[doc = include_str!("files.md")]
pub mod files {}

#[doc = include_str!("spark.md")]
pub mod spark {}

#[doc = include_str!("postgres.md")]
pub mod postgres {}

#[doc = include_str!("keyring_files.md")]
pub mod keyring_files {}

#[doc = include_str!("detect.md")]
pub mod detect {}
#[doc = include_str!("risk.md")]
pub mod risk {}
