//! The context flags of `seal` and `open`: every context SPEC.md §4 allows.
//!
//! A context is a list of `(name, value)` pairs in order. The flags build it
//! in this order: `--table`, `--column` (the usual key scope), then each
//! `--context-field NAME=VALUE` as given; or the whole list from
//! `--context-json`; or nothing (`--empty-context`). A per-row id
//! (`--row-id-from-line`, `--row-id-column`) is bound last, as field `row`,
//! which is the context `run` seals under (`Context::new(T, C).with_row(id)`).
//! The scope rule (the first two names `table`, `column` select the derived
//! key) is the library's: `--context-field table=t --context-field column=c`
//! is the same context as `--table t --column c`.

use clap::Args;
use desensitize::Context;

use crate::common::{CliError, CliResult};

/// Where the sealed values live: bound into every envelope.
#[derive(Args, Debug)]
pub struct ContextArgs {
    /// Table name bound into the envelope (with --column: selects the derived key).
    #[arg(long, value_name = "NAME", requires = "column")]
    table: Option<String>,

    /// Column name bound into the envelope (with --table: selects the derived key).
    #[arg(long, value_name = "NAME", requires = "table")]
    column: Option<String>,

    /// One more context field, after --table/--column, in the order given
    /// (repeatable; the first `=` separates name and value). Contexts are
    /// stored in the clear: never personal data.
    #[arg(long = "context-field", value_name = "NAME=VALUE", value_parser = parse_field)]
    context_fields: Vec<(String, String)>,

    /// The whole context as JSON pairs in order, `[["table","users"],["column","phone"]]`
    /// (the form of tests/vectors/seal.json; `[]` is the empty context).
    #[arg(
        long,
        value_name = "JSON",
        conflicts_with_all = ["table", "column", "context_fields", "empty_context"]
    )]
    context_json: Option<String>,

    /// The empty context: values are bound to their kind only. Prefer a real one.
    #[arg(long, conflicts_with_all = ["table", "column", "context_fields", "row_id_from_line", "row_id_column"])]
    empty_context: bool,

    /// Bind each value to its line number as the row id (1-based), as the
    /// last field `row`. Values then open only at the same line number.
    #[arg(long, conflicts_with = "row_id_column")]
    row_id_from_line: bool,

    /// Bind each value to the row id in this column of the record (needs
    /// --value-column), as the last field `row`: what `run` does with
    /// `row_id = "NAME"`.
    #[arg(long, value_name = "NAME", requires = "value_column")]
    pub row_id_column: Option<String>,
}

/// `NAME=VALUE` -> `(NAME, VALUE)`.
fn parse_field(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((name, value)) => Ok((name.to_owned(), value.to_owned())),
        None => Err("expected NAME=VALUE (use --context-json for names with `=`)".to_owned()),
    }
}

impl ContextArgs {
    /// Whether each value gets its own row id.
    pub fn per_row(&self) -> bool {
        self.row_id_from_line || self.row_id_column.is_some()
    }

    /// The context without the row id; checked against the limits (with
    /// room for the row field when one is added).
    pub fn base(&self) -> CliResult<Context> {
        let bad = |e: desensitize::Error| CliError::usage(format!("context: {e}"));
        let ctx = if let Some(json) = &self.context_json {
            let pairs: Vec<(String, String)> = serde_json::from_str(json).map_err(|_| {
                CliError::usage("--context-json: expected a JSON list of [name, value] string pairs")
            })?;
            let mut ctx = Context::none();
            for (name, value) in &pairs {
                ctx = ctx.try_with(name, value).map_err(bad)?;
            }
            ctx
        } else if self.empty_context {
            Context::none()
        } else {
            let mut ctx = match (&self.table, &self.column) {
                (Some(t), Some(c)) => Context::try_new(t, c).map_err(bad)?,
                _ if self.context_fields.is_empty() => {
                    return Err(CliError::usage(
                        "say where the values live: --table and --column, --context-field NAME=VALUE, \
                         --context-json, or --empty-context",
                    ));
                }
                _ => Context::none(),
            };
            for (name, value) in &self.context_fields {
                ctx = ctx.try_with(name, value).map_err(bad)?;
            }
            ctx
        };
        if self.per_row() {
            // Room for the row field: refuse up front, not on every line.
            ctx.clone().try_with("row", "").map_err(bad)?;
        }
        Ok(ctx)
    }

    /// The context of one value: `base`, with `row` bound last when given.
    pub fn for_row<'a>(base: &'a Context, row: Option<&str>) -> std::borrow::Cow<'a, Context> {
        match row {
            Some(id) => std::borrow::Cow::Owned(base.clone().with_row(id)),
            None => std::borrow::Cow::Borrowed(base),
        }
    }
}

/// How `seal` and `open` build contexts and read records (their `--help`).
macro_rules! context_help {
    () => {
        "The context bound into each envelope is, in order: --table, --column, each \
    --context-field NAME=VALUE as given (or the whole list from --context-json; or none with \
    --empty-context), then the row id as field `row` when --row-id-from-line or --row-id-column is given \
    (the context `run` seals under with `row_id`). A value opens only under the very same context. \
    With --value-column, stdin holds CSV (header row) or JSON Lines records and stdout the same records \
    with that column replaced; blank values stay blank. Every seal is counted in KEYRING.seals (see \
    `keys list --help`)."
    };
}

/// `seal --help`: after the options.
pub const CONTEXT_HELP: &str = context_help!();
/// `open --help`: before the options (after them comes the audit note).
pub const OPEN_LONG_ABOUT: &str = concat!(
    "Open one sealed value per line, or a column of records (prints plaintext: audited).\n\n",
    context_help!()
);
