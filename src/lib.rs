//! # desensitize
//!
//! Typed, leak-proof personal information for Rust: every kind of personal
//! data (ID numbers, phone numbers, bank cards, locations, ...) is its own
//! validated type that can be **masked** for screens and logs, **sealed** for
//! storage, **pseudonymized** and **generalized** for analytics.
//!
//! No `Debug`, `Display`, error or panic path prints a value: `Display` shows
//! the standard mask, `Debug` shows only the kind, errors never contain the
//! input, and the plaintext is reached only through a method named `expose`.
//!
//! ```
//! use desensitize::{IdNumber, MaskLevel, MobilePhone, PersonName, Sensitive};
//!
//! let id: IdNumber = "11010519491231002X".parse()?;
//! let phone: MobilePhone = "+86 138-0013-8000".parse()?;
//! let name: PersonName = "欧阳娜娜".parse()?;
//!
//! // Display is the standard mask; Debug names the kind only.
//! assert_eq!(format!("{name} {phone} {id}"), "欧**娜 138****8000 110************02X");
//! assert_eq!(format!("{id:?}"), "IdNumber([REDACTED])");
//!
//! // Stricter or more relaxed masks on request.
//! assert_eq!(id.mask(MaskLevel::Strict), "1****************X");
//!
//! // Errors say what is wrong, never what the input was.
//! let err = "11010519491231002".parse::<IdNumber>().unwrap_err();
//! assert_eq!(err.to_string(), "invalid cn.id_number: wrong length");
//! # Ok::<(), desensitize::Error>(())
//! ```
//!
//! Where to go next:
//!
//! - [`guide`]: a tutorial and a cookbook (services, files, Spark,
//!   PostgreSQL, keyring files); start there.
//! - [`kind`]: every kind, its validation and canonical form; [`mask`]: masking rules.
//! - [`seal`] and [`keys`]: envelopes bound to their place, keyrings, rotation,
//!   per-subject keys; [`audit`]: every open is recorded, or returns nothing.
//! - [`pseudo`] and [`generalize`]: tokens, blind indexes, format-preserving
//!   pseudonyms, age bands, regions, geo cells, k-anonymity.
//! - [`db`]: sealed columns in PostgreSQL (features `sqlx`, `diesel`) and
//!   key rotation over whole tables, resumable and safe beside live writes.
//! - [`policy`]: one policy for whole records (the rules `desensitize run`
//!   applies to files), compiled once into a [`policy::Plan`] and applied to
//!   rows or column-major batches.
//! - [`access`]: roles, principals and reveal budgets over every open:
//!   full, masked or nothing, for named purposes, every decision audited.
//! - [`protect`]: `#[derive(Protect)]` records that seal, mask and
//!   generalize themselves, with the same rules as a policy.
//! - [`detect`]: find personal data in free text (logs, tickets, prompts)
//!   and unnamed columns; redact it, and restore placeholders.
//!
//! Features: `toml` and `derive` (default), `rayon`, `sqlx`, `diesel`,
//! `diesel-libpq`, `tracing`, and `hazmat`: test-vector hooks only
//! (`Keyring::seal_with_nonce`, `Keyring::ff1_*_for_vectors`), for
//! known-answer tests and fuzzing; never enable it in production.

// Module layers, bottom up: a module uses only modules on the lines above
// its own (CI checks it: `scripts/tools/module_graph.py` fails on a cycle, and on a
// reach into another module's non-`pub` submodule).
//
//   kind_id, digits, date, region, secret,   the kind ids; leaf helpers
//   suggest
//   error                                    the one error type
//   crypto (private), mask                   nonces, envelope, AEAD, HKDF tree,
//                                            scope ciphers, Context; masking rules
//   audit, kind                              audit sinks; the validated kinds
//   access                                   access rules, principals, reveal budgets
//   seal, pseudo, generalize                 Sealed; tokens, blind indexes, FPE
//   keys, serde, fake                        the Keyring and all its methods
//   batch, columns, db, policy               what runs over many values
//   protect                                  derived records
//   detect                                   free text: detection, redaction

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod access;
#[cfg(feature = "stream")]
pub mod assess;
pub mod audit;
pub mod batch;
pub mod columns;
mod crypto;
mod date;
pub mod db;
pub mod detect;
mod digits;
mod error;
pub mod fake;
pub mod generalize;
pub mod guide;
pub mod keys;
pub mod kind;
mod kind_id;
pub mod mask;
pub mod policy;
pub mod protect;
pub mod pseudo;
pub mod region;
pub mod risk;
pub mod seal;
mod secret;
pub mod serde;
#[cfg(feature = "stream")]
pub mod stream;
mod suggest;

pub use date::Date;
/// `#[derive(Protect)]`: see [`protect`] for what it generates.
#[cfg(feature = "derive")]
pub use desensitize_derive::Protect;
pub use error::{
    AccessError, BudgetLimit, ConfigError, ContextError, CounterError, DomainError, EnvelopeError, Error,
    Invalid, KeyError, KeyringFileError, MaskRuleError, PasswordHashError, PinsError, Result,
};
pub use keys::Keyring;
pub use kind::{
    Address, BankCard, Biometric, Category, CreditCode, Email, Gender, GeoPoint, IdNumber, Imei, IpAddress,
    Kind, Landline, LicensePlate, MacAddress, MobilePhone, Passport, Password, PasswordHash, PasswordParams,
    PersonName, Sealable, Sensitive,
};
pub use mask::MaskLevel;
pub use protect::Protect;
pub use seal::{Context, Sealed};

// Compile and run the README's Rust examples as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
