//! Record policies: what every column of a record becomes.
//!
//! A [`Policy`] is the TOML / JSON document of `examples/policy.toml` (the
//! same one `desensitize run` reads). [`Policy::check`] validates it into
//! [`Rules`]; [`Plan::new`] compiles the rules against a header (the
//! records' column names) and a keyring, checking everything before the
//! first row and resolving every key once. A plan is `Send + Sync`: share
//! it among threads, each applying it to its records with its own reusable
//! [`Cells`] and [`Report`].
//!
//! - [`Plan::apply`]: one record, fields in header order, into [`Cells`];
//! - [`Plan::apply_columns`]: a column-major batch (Arrow's layout);
//! - [`Plan::count`] / [`Plan::finish_counting`]: the k-anonymity pass.
//!
//! Record-wide rules besides the columns:
//!
//! - `unnamed_columns`: a column the policy does not name is refused
//!   (default), dropped or kept;
//! - `on_invalid`: a value invalid for its kind fails its row (default) or
//!   is replaced by `marker` and reported as (row, column, reason), never
//!   with the value;
//! - `minors = "same" | "strict" | "suppress"`: for a row whose ID number
//!   shows a holder under 14 on `today` (PIPL Art. 28 treats a child's
//!   data as sensitive), `strict` masks every masked column at
//!   [`MaskLevel::Strict`](crate::MaskLevel) and generalizes no finer than
//!   the province (cities become provinces, geohashes at most 2
//!   characters, grid cells at least 200 km); `suppress` withholds the row.
//!   Under both, a non-empty ID number that does not parse fails closed:
//!   its row is treated (and counted) as a minor's;
//! - `consent_column = "NAME"`: the seam for the operator's consent
//!   records. A column of `true/false`, `1/0` or `yes/no` (any case); where
//!   it is false, every column whose kind is
//!   [`Category::Sensitive`](crate::Category) is written empty (the marker
//!   under `on_invalid = "mark"`), derived facts included. Any other value
//!   is a row error (under `mark`: reported, and the row treated as without
//!   consent);
//! - `privacy`: the privacy model the output meets (k, l-diversity and
//!   t-closeness of `sensitive` columns, `max_risk`, within a
//!   `max_suppression` budget): rows of classes that miss it are withheld,
//!   and beyond the budget the table is refused, naming the failing class
//!   ([`crate::risk`]); `k_anonymity` (k and quasi-identifiers, any number
//!   of rows withheld) is its older form.
//!
//! ```
//! use std::sync::Arc;
//! use desensitize::Keyring;
//! use desensitize::policy::{Cells, Plan, Policy, Report, Verdict};
//!
//! let policy = Policy::from_json(r#"{
//!     "table": "users",
//!     "today": "2026-11-23",
//!     "minors": "strict",
//!     "columns": {
//!         "user_id": {"action": "keep"},
//!         "phone": {"kind": "mobile_phone", "action": "mask"},
//!         "id": {"kind": "id_number", "action": "seal", "generalize": {"province": "province"}}
//!     }
//! }"#)?;
//! let keyring = Arc::new(Keyring::generate()?);
//! let plan = Plan::from_policy(&policy, &["user_id", "phone", "id"], Some(keyring.clone()))?;
//! assert_eq!(plan.output_names(), ["user_id", "phone", "id", "province"]);
//!
//! // One reusable output buffer and report per worker thread.
//! let (mut cells, mut report) = (Cells::new(), Report::default());
//! let record = ["17", "13800138000", "11010519491231002X"];
//! assert_eq!(plan.apply(1, &record[..], &mut cells, &mut report)?, Verdict::Write);
//! assert_eq!(cells.get(1), b"138****8000");
//! assert!(cells.get(2).starts_with(b"dz1."));
//! assert_eq!(cells.get(3), "北京市".as_bytes());
//!
//! // A child's row: the strict mask.
//! let child = ["18", "13800138000", "110105201506010016"];
//! plan.apply(2, &child[..], &mut cells, &mut report)?;
//! assert_eq!(cells.get(1), b"*******8000");
//! assert_eq!(report.summary.minors, 1);
//!
//! // An invalid value fails its row, naming the column, never the value.
//! let bad = ["19", "12345", "11010519491231002X"];
//! let err = plan.apply(3, &bad[..], &mut cells, &mut report).unwrap_err();
//! assert_eq!(plan.describe(&err), "row 3, column phone: invalid cn.mobile_phone: wrong length");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod apply;
mod batch;
mod column;
mod column_rule;
mod error;
mod kanon;
mod plan;
mod rules;
mod schema;

pub use apply::{Cells, Fields, Report, Summary, Verdict, Withheld};
pub use batch::ColumnBatch;
pub use error::{PolicyError, Reason, RowError};
pub use kanon::ClassCounts;
pub use plan::Plan;
pub use rules::{Action, ColumnRule, Fact, KAnonymity, Rules};
pub use schema::{ColumnSpec, KAnonymitySpec, Minors, OnInvalid, Policy, PrivacySpec, Unnamed};
