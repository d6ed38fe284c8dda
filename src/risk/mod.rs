//! Re-identification risk: measure how identifying a table is, require a
//! privacy model of it, and find the least generalization that meets one.
//!
//! GB/T 37964 (de-identification guide) and GB/T 42460 (assessing
//! de-identification) ask that a shared table be *shown* safe. This module
//! measures a table over its quasi-identifiers (the columns an attacker can
//! link on: age band, region, gender):
//!
//! - [`ClassTable`]: the equivalence classes (records per combination of
//!   quasi-identifier values, and the sensitive values inside each), in
//!   memory proportional to the classes, not the records;
//! - [`RiskReport`]: k, the class size distribution, the share of unique
//!   records, prosecutor / journalist / marketer risk (as ARX and El Emam
//!   define them, under a stated [`Population`] model), distinct and
//!   entropy l-diversity and t-closeness of each sensitive attribute;
//!   [`RiskReport::to_text`] and [`RiskReport::to_html`] render it, and it
//!   serializes to JSON;
//! - [`PrivacyModel`]: k, l, t, a cap on risk and a suppression budget, as
//!   a policy's `[privacy]` section requires them;
//! - [`Lattice`]: the optimal generalization over [`Hierarchy`]s (built in
//!   for ages, ID numbers, regions, dates and geohashes, or a CSV), with
//!   monotone pruning; `desensitize::assess::scan` (feature `stream`)
//!   reads a file's classes through `desensitize::stream`.
//!
//! Values never appear in a report: class keys are the (generalized)
//! quasi-identifier values the table itself holds, and a report shows them
//! only where a class fails a model.
//!
//! ```
//! use desensitize::risk::{ClassTable, Population, RiskReport};
//!
//! let mut table = ClassTable::new(2, 0);
//! for (gender, band) in [("female", "25-29"), ("female", "25-29"), ("male", "30-34")] {
//!     table.add(&[gender, band], &[] as &[&str]);
//! }
//! let report = RiskReport::of(&table, &[] as &[&str], Population::default());
//! assert_eq!(report.k, 1);
//! assert_eq!(report.unique_records, 1);
//! assert!(report.to_text().contains("prosecutor"));
//! ```

mod emit;
mod error;
mod flash;
mod hierarchy;
mod lattice;
mod measure;
mod model;
mod render;
mod rollup;
mod table;

pub use emit::policy_toml;
pub use error::{Requirement, RiskError, Unmet};
pub use hierarchy::{Builtin, Hierarchy};
#[cfg(feature = "stream")]
pub(crate) use lattice::CHAIN_SEP;
pub use lattice::{Dimension, Lattice, MAX_NODES, Solution};
pub use measure::{Population, Risk, RiskReport, SensitiveReport, SizeCount};
pub use model::{Checked, Diversity, PrivacyModel};
pub use table::ClassTable;
pub(crate) use table::class_value;
