//! The private crypto core: everything the crate does with key material and
//! nonces, below every module that handles values.
//!
//! - [`random`]: fork-safe random bytes (nonces, salts);
//! - [`material`]: root keys, the HKDF tree and its field encoding;
//! - [`suite`]: the cipher suites (`aes`, `gm`) a root key may use;
//! - [`labels`]: the HKDF label of every key family;
//! - [`limits`]: the Argon2id cost a reader accepts from stored data;
//! - [`context`]: where a value belongs ([`Context`]) and its associated-data encoding;
//! - [`envelope`] and [`b64`]: the versioned envelope layout and its text form;
//! - [`aead`]: GCM over an envelope;
//! - [`xgcm`]: the extended-nonce construction of v2 envelopes (XAES-256-GCM);
//! - [`group`]: nonce groups (one derived key per up to 2^12 seals) inside a batch call;
//! - [`check`]: the keyed context check of v2 envelopes;
//! - [`mac`]: the suite's HMAC (tokens, blind indexes, the audit chain);
//! - [`scoped`]: the keys of one (kind, scope), sealing and opening with them.
//!
//! It depends only on [`crate::error`] and the kind identifiers
//! ([`crate::kind_id`]); `seal`, `pseudo`, `audit`, `kind` and `keys` build on
//! it. The module is private to the crate: `pub` here means crate-visible,
//! and the public types among these ([`Context`], [`RootKey`],
//! [`CostLimits`]) are re-exported where users find them (`seal`, `keys`).

pub mod aead;
pub mod b64;
pub mod check;
pub mod context;
pub mod envelope;
pub mod group;
pub mod labels;
pub mod limits;
pub mod mac;
pub mod material;
pub mod random;
pub mod scoped;
pub mod suite;
pub mod xgcm;

pub use context::{Context, MAX_FIELD_LEN, MAX_FIELDS};
pub use limits::CostLimits;
pub use material::{KEY_LEN, RootKey};
pub(crate) use scoped::{ScopeCipher, ScopeKeys};
pub use suite::Suite;
