//! The column functions: one `pyarrow` string array in, one out (plus the
//! reasons of the values refused). Every function but `open` and
//! `reidentify` is a one-column policy compiled into the library's
//! [`Plan`], so a column function gives exactly the bytes `desensitize
//! run` writes for the same column rule.

use std::sync::Arc;

use arrow_array::{ArrayRef, new_null_array};
use arrow_buffer::{BooleanBufferBuilder, NullBuffer};
use arrow_schema::DataType;
use desensitize::policy::Reason;
use desensitize::policy::{ColumnBatch, Plan, Policy, Report};
use desensitize::pseudo::Domain;
use desensitize::{Context, Keyring, Kind};
use desensitize::{ContextError, columns};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use serde_json::{Map, Value, json};

use crate::error::{DesensitizeError, lib_err, policy_err};
use crate::ffi::{export_array, import_array};
use crate::keyring::PyKeyring;
use crate::text::{self, StringOut, texts};

/// The header name of the row-id column in a one-column plan.
const ROW_ID: &str = "__desensitize_row_id";

/// What becomes of an invalid value.
#[derive(Clone, Copy, PartialEq)]
enum OnInvalid {
    /// Null, and its reason in the parallel reasons array.
    Null,
    /// Raise `DesensitizeError("row N: reason")` at the first one.
    Raise,
}

fn on_invalid(s: &str) -> PyResult<OnInvalid> {
    match s {
        "null" => Ok(OnInvalid::Null),
        "raise" => Ok(OnInvalid::Raise),
        _ => Err(PyValueError::new_err("on_invalid must be \"null\" or \"raise\"")),
    }
}

/// A column function's result before it goes back to Python.
struct Outcome {
    values: ArrayRef,
    reasons: ArrayRef,
    first_bad: Option<(usize, String)>,
}

impl Outcome {
    fn into_py(self, py: Python<'_>, mode: OnInvalid) -> PyResult<Py<PyAny>> {
        match (mode, self.first_bad) {
            (OnInvalid::Raise, Some((row, reason))) => {
                Err(DesensitizeError::new_err(format!("row {row}: {reason}")))
            }
            (OnInvalid::Raise, None) => Ok(export_array(py, &*self.values)?.unbind()),
            (OnInvalid::Null, _) => {
                let values = export_array(py, &*self.values)?;
                let reasons = export_array(py, &*self.reasons)?;
                Ok((values, reasons).into_pyobject(py)?.into_any().unbind())
            }
        }
    }
}

/// Collects the output cells and reasons row by row.
struct Collect {
    out: StringOut,
    reasons: StringOut,
    first_bad: Option<(usize, String)>,
}

impl Collect {
    fn new(rows: usize, bytes: usize) -> Collect {
        Collect {
            out: StringOut::with_capacity(rows, bytes),
            reasons: StringOut::with_capacity(rows, 0),
            first_bad: None,
        }
    }

    fn ok(&mut self, bytes: &[u8]) -> Result<(), String> {
        self.reasons.push_null();
        self.out.push(bytes)
    }

    fn null(&mut self) {
        self.out.push_null();
        self.reasons.push_null();
    }

    fn bad(&mut self, row: usize, reason: &str) -> Result<(), String> {
        self.out.push_null();
        self.reasons.push(reason.as_bytes())?;
        if self.first_bad.is_none() {
            self.first_bad = Some((row, reason.to_owned()));
        }
        Ok(())
    }

    fn finish(self) -> Result<Outcome, String> {
        Ok(Outcome { values: self.out.finish()?, reasons: self.reasons.finish()?, first_bad: self.first_bad })
    }
}

/// A one-column policy: `rule` for `column`, invalid values marked (and
/// reported) rather than failing, `row_ids` bound into sealed values.
fn one_column_plan(
    column: &str,
    rule: Value,
    settings: &[(&str, Option<&str>)],
    row_ids: bool,
    keyring: Option<Arc<Keyring>>,
) -> PyResult<Plan> {
    if column == ROW_ID {
        return Err(PyValueError::new_err("this column name is reserved"));
    }
    let mut columns = Map::new();
    columns.insert(column.to_owned(), rule);
    let mut policy = Map::new();
    policy.insert("on_invalid".into(), json!("mark"));
    // Refused cells stay empty (and become nulls).
    policy.insert("marker".into(), json!(""));
    for (key, value) in settings {
        if let Some(v) = value {
            policy.insert((*key).into(), json!(v));
        }
    }
    let header: Vec<&str> = if row_ids {
        columns.insert(ROW_ID.into(), json!({"action": "drop"}));
        policy.insert("row_id".into(), json!(ROW_ID));
        vec![column, ROW_ID]
    } else {
        vec![column]
    };
    policy.insert("columns".into(), Value::Object(columns));
    let policy = Policy::from_json(&Value::Object(policy).to_string()).map_err(policy_err)?;
    Ok(Plan::from_policy(&policy, &header, keyring).map_err(policy_err)?.with_text_output(true))
}

/// Apply a one-column plan to `values` (and the row ids). The plan's
/// output column is already Arrow's layout: it becomes the result as it
/// is, with the null mask of the nulls and the values refused (whose cells
/// are empty: the marker is "").
fn run_plan(plan: &Plan, values: &ArrayRef, row_ids: Option<&ArrayRef>) -> Result<Outcome, String> {
    let (column, nulls) = text::column(values)?;
    let ids = match row_ids {
        None => None,
        Some(ids) => {
            let (ids, _) = text::column(ids)?;
            if ids.len() != column.len() {
                return Err(format!("row_ids has {} values, the column {}", ids.len(), column.len()));
            }
            // A row id is stored in the clear (it is the caller's column):
            // one that is the row's own value would keep that value in the
            // clear beside its envelope. The CLI refuses the value column as
            // its own --row-id-column; here the arrays are compared per row.
            if let Some(row) = column.iter().zip(&ids).position(|(v, id)| !v.trim().is_empty() && v == id) {
                return Err(format!(
                    "row {row}: the row id is the value itself; a row id is stored in the clear, \
                     so give row_ids from another column (a primary key)"
                ));
            }
            Some(ids)
        }
    };
    let mut inputs: Vec<&[&str]> = vec![&column];
    if let Some(ids) = &ids {
        inputs.push(ids);
    }
    let (mut batch, mut report) = (ColumnBatch::new(), Report::default());
    plan.apply_columns(0, &inputs, &mut batch, &mut report).map_err(|e| plan.describe(&e))?;
    let cells = &batch.columns()[0];
    if cells.len() != column.len() {
        return Err("a one-column plan withheld a row".into());
    }
    let is_null = |i: usize| nulls.as_ref().is_some_and(|n| n.is_null(i));
    // Refused: the plan's rejects, and empty values (which a policy keeps empty).
    let mut bad: Vec<(usize, Reason)> =
        report.rejects.into_iter().map(|r| (r.row as usize, r.reason)).collect();
    bad.extend(
        column
            .iter()
            .enumerate()
            .filter(|&(i, v)| v.trim().is_empty() && !is_null(i))
            .map(|(i, _)| (i, Reason::EmptyValue)),
    );
    bad.sort_by_key(|(i, _)| *i);
    let n = column.len();
    let (out_nulls, reasons) = if bad.is_empty() {
        (nulls, new_null_array(&DataType::Utf8, n))
    } else {
        let mut valid = BooleanBufferBuilder::new(n);
        valid.append_n(n, true);
        for i in (0..n).filter(|&i| is_null(i)) {
            valid.set_bit(i, false);
        }
        let mut reasons = StringOut::with_capacity(n, 0);
        let mut next = bad.iter().peekable();
        for i in 0..n {
            match next.next_if(|(r, _)| *r == i) {
                Some((_, why)) => {
                    valid.set_bit(i, false);
                    reasons.push(why.to_string().as_bytes())?;
                }
                None => reasons.push_null(),
            }
        }
        (Some(NullBuffer::new(valid.finish())), reasons.finish()?)
    };
    let first_bad = bad.first().map(|(i, why)| (*i, why.to_string()));
    Ok(Outcome { values: text::from_cells(cells, out_nulls)?, reasons, first_bad })
}

/// Compile, then run outside the GIL.
fn plan_column(
    py: Python<'_>,
    values: &Bound<'_, PyAny>,
    row_ids: Option<&Bound<'_, PyAny>>,
    plan: Plan,
    mode: &str,
) -> PyResult<Py<PyAny>> {
    let mode = on_invalid(mode)?;
    let values = import_array(values)?;
    let row_ids = row_ids.map(import_array).transpose()?;
    let outcome =
        py.detach(|| run_plan(&plan, &values, row_ids.as_ref())).map_err(DesensitizeError::new_err)?;
    outcome.into_py(py, mode)
}

/// A one-column rule over `values` (no table, no row ids): what every
/// column function but `seal`, `open` and `reidentify` is.
fn rule_column(
    py: Python<'_>,
    values: &Bound<'_, PyAny>,
    rule: Value,
    settings: &[(&str, Option<&str>)],
    keyring: Option<&PyKeyring>,
    mode: &str,
) -> PyResult<Py<PyAny>> {
    let plan = one_column_plan("value", rule, settings, false, keyring.map(|k| k.inner.clone()))?;
    plan_column(py, values, None, plan, mode)
}

/// Valid values as they are; invalid ones null, with their reasons.
#[pyfunction]
#[pyo3(signature = (values, kind, *, today=None, on_invalid="null"))]
pub fn validate(
    py: Python<'_>,
    values: &Bound<'_, PyAny>,
    kind: &str,
    today: Option<&str>,
    on_invalid: &str,
) -> PyResult<Py<PyAny>> {
    rule_column(py, values, json!({"kind": kind, "action": "keep"}), &[("today", today)], None, on_invalid)
}

/// Masked values (`level`: strict, standard or relaxed).
#[pyfunction]
#[pyo3(signature = (values, kind, *, level="standard", on_invalid="null"))]
pub fn mask(
    py: Python<'_>,
    values: &Bound<'_, PyAny>,
    kind: &str,
    level: &str,
    on_invalid: &str,
) -> PyResult<Py<PyAny>> {
    rule_column(py, values, json!({"kind": kind, "action": "mask", "level": level}), &[], None, on_invalid)
}

/// Sealed `dz1.` envelopes bound to table + column (+ the row's id).
#[pyfunction]
#[pyo3(signature = (values, kind, keyring, *, table, column, row_ids=None, on_invalid="null"))]
#[allow(clippy::too_many_arguments)]
pub fn seal(
    py: Python<'_>,
    values: &Bound<'_, PyAny>,
    kind: &str,
    keyring: &PyKeyring,
    table: &str,
    column: &str,
    row_ids: Option<&Bound<'_, PyAny>>,
    on_invalid: &str,
) -> PyResult<Py<PyAny>> {
    let rule = json!({"kind": kind, "action": "seal"});
    let plan = one_column_plan(
        column,
        rule,
        &[("table", Some(table))],
        row_ids.is_some(),
        Some(keyring.inner.clone()),
    )?;
    let out = plan_column(py, values, row_ids, plan, on_invalid);
    // Counted also when the column failed part-way: the nonces were used.
    keyring.record_seals(py)?;
    out
}

/// Keyed `tk1.` tokens, equal for equal values within `domain`.
#[pyfunction]
#[pyo3(signature = (values, kind, keyring, *, domain, on_invalid="null"))]
pub fn pseudonym(
    py: Python<'_>,
    values: &Bound<'_, PyAny>,
    kind: &str,
    keyring: &PyKeyring,
    domain: &str,
    on_invalid: &str,
) -> PyResult<Py<PyAny>> {
    let rule = json!({"kind": kind, "action": "pseudonym", "domain": domain});
    rule_column(py, values, rule, &[], Some(keyring), on_invalid)
}

/// Truncated keyed blind indexes (lower-case hex) in `domain`, as a
/// policy's `blind-index` rule. `name` is the deprecated spelling of
/// `domain` (a `DeprecationWarning`).
#[pyfunction]
#[pyo3(signature = (values, kind, keyring, *, bits, domain=None, transform="full", on_invalid="null", name=None))]
#[allow(clippy::too_many_arguments)]
pub fn blind_index(
    py: Python<'_>,
    values: &Bound<'_, PyAny>,
    kind: &str,
    keyring: &PyKeyring,
    bits: u8,
    domain: Option<&str>,
    transform: &str,
    on_invalid: &str,
    name: Option<&str>,
) -> PyResult<Py<PyAny>> {
    let domain = match (domain, name) {
        (Some(domain), None) => domain,
        (None, Some(name)) => {
            let category = py.get_type::<pyo3::exceptions::PyDeprecationWarning>();
            PyErr::warn(py, &category, c"blind_index(name=...) is deprecated: use domain=...", 1)?;
            name
        }
        (Some(_), Some(_)) => {
            return Err(PyTypeError::new_err("blind_index() takes domain= or its old name name=, not both"));
        }
        (None, None) => {
            return Err(PyTypeError::new_err("blind_index() missing required keyword argument: 'domain'"));
        }
    };
    let rule = json!({"kind": kind, "action": "blind-index", "domain": domain, "bits": bits, "transform": transform});
    rule_column(py, values, rule, &[], Some(keyring), on_invalid)
}

/// Format-preserving pseudonyms (id_number, mobile_phone, bank_card).
#[pyfunction]
#[pyo3(signature = (values, kind, keyring, *, domain, on_invalid="null"))]
pub fn fpe(
    py: Python<'_>,
    values: &Bound<'_, PyAny>,
    kind: &str,
    keyring: &PyKeyring,
    domain: &str,
    on_invalid: &str,
) -> PyResult<Py<PyAny>> {
    let rule = json!({"kind": kind, "action": "fpe", "domain": domain});
    rule_column(py, values, rule, &[], Some(keyring), on_invalid)
}

/// One generalized fact of each value (gender, age_band, province, city,
/// birth_year, birth_month, geohash, grid), ages judged on `today`.
#[pyfunction]
#[pyo3(signature = (values, kind, fact, *, today=None, band_width=5, precision=5, grid_km=1.0, on_invalid="null"))]
#[allow(clippy::too_many_arguments)]
pub fn generalize(
    py: Python<'_>,
    values: &Bound<'_, PyAny>,
    kind: &str,
    fact: &str,
    today: Option<&str>,
    band_width: u32,
    precision: u32,
    grid_km: f64,
    on_invalid: &str,
) -> PyResult<Py<PyAny>> {
    // Each setting only with the fact it applies to (the policy refuses the rest).
    let rule = match fact {
        "age_band" => json!({"kind": kind, "action": "generalize", "to": fact, "band_width": band_width}),
        "geohash" => json!({"kind": kind, "action": "generalize", "to": fact, "precision": precision}),
        "grid" => json!({"kind": kind, "action": "generalize", "to": fact, "grid_km": grid_km}),
        _ => json!({"kind": kind, "action": "generalize", "to": fact}),
    };
    rule_column(py, values, rule, &[("today", today)], None, on_invalid)
}

/// Per-value opening (audited): `open` and `reidentify`.
fn per_value(
    py: Python<'_>,
    values: &Bound<'_, PyAny>,
    row_ids: Option<&Bound<'_, PyAny>>,
    mode: &str,
    op: impl Fn(&str, Option<&str>) -> desensitize::Result<zeroize::Zeroizing<String>> + Send + Sync,
) -> PyResult<Py<PyAny>> {
    let mode = on_invalid(mode)?;
    let values = import_array(values)?;
    let row_ids = row_ids.map(import_array).transpose()?;
    let run = || -> Result<Result<Outcome, String>, desensitize::Error> {
        let vals = match texts(&values) {
            Ok(v) => v,
            Err(e) => return Ok(Err(e)),
        };
        let ids = match row_ids.as_ref().map(texts).transpose() {
            Ok(ids) => ids,
            Err(e) => return Ok(Err(e)),
        };
        if ids.as_ref().is_some_and(|ids| ids.len() != vals.len()) {
            return Ok(Err("row_ids and the column differ in length".into()));
        }
        let mut collect = Collect::new(vals.len(), 0);
        for (i, v) in vals.iter().enumerate() {
            let Some(v) = v else {
                collect.null();
                continue;
            };
            let id = ids.as_ref().map(|ids| ids[i].unwrap_or(""));
            let step = match op(v, id) {
                Ok(text) => collect.ok(text.as_bytes()),
                // Fail closed: an open that cannot be audited returns nothing.
                Err(e @ desensitize::Error::AuditFailed(_)) => return Err(e),
                Err(e) => collect.bad(i, &e.to_string()),
            };
            if let Err(e) = step {
                return Ok(Err(e));
            }
        }
        Ok(collect.finish())
    };
    let outcome = py.detach(run).map_err(lib_err)?.map_err(DesensitizeError::new_err)?;
    outcome.into_py(py, mode)
}

fn purpose_required(purpose: &str) -> PyResult<()> {
    if purpose.trim().is_empty() {
        return Err(PyValueError::new_err("purpose must say why the values are opened"));
    }
    Ok(())
}

/// The plaintext of sealed values, for `purpose`: one audit event per value.
#[pyfunction]
#[pyo3(signature = (values, kind, keyring, *, table, column, purpose, row_ids=None, on_invalid="null", principal=None))]
#[allow(clippy::too_many_arguments)]
pub fn open(
    py: Python<'_>,
    values: &Bound<'_, PyAny>,
    kind: &str,
    keyring: &PyKeyring,
    table: &str,
    column: &str,
    purpose: &str,
    row_ids: Option<&Bound<'_, PyAny>>,
    on_invalid: &str,
    principal: Option<&str>,
) -> PyResult<Py<PyAny>> {
    let kind: Kind = kind.parse().map_err(lib_err)?;
    purpose_required(purpose)?;
    let base = Context::try_new(table, column).map_err(lib_err)?;
    let who = keyring.principal(principal)?;
    let keyring = &keyring.inner;
    let open = |text: &str, ctx: &Context| match &who {
        Some(who) => columns::open_text_as(keyring, who, kind, text, ctx, purpose),
        None => columns::open_text(keyring, kind, text, ctx, purpose),
    };
    // The opens of a column sealed in order share each nonce group's
    // message key.
    desensitize::batch::with_open_cache(|| {
        per_value(py, values, row_ids, on_invalid, |text, id| match id {
            None => open(text, &base),
            Some("") => Err(desensitize::Error::Context(ContextError::EmptyRowId)),
            Some(id) => open(text, &base.clone().with_row(id)),
        })
    })
}

/// The originals of format-preserving pseudonyms made in `domain`, for
/// `purpose`: one audit event per value.
#[pyfunction]
#[pyo3(signature = (values, kind, keyring, *, domain, purpose, on_invalid="null", principal=None))]
#[allow(clippy::too_many_arguments)]
pub fn reidentify(
    py: Python<'_>,
    values: &Bound<'_, PyAny>,
    kind: &str,
    keyring: &PyKeyring,
    domain: &str,
    purpose: &str,
    on_invalid: &str,
    principal: Option<&str>,
) -> PyResult<Py<PyAny>> {
    let kind: Kind = kind.parse().map_err(lib_err)?;
    if !matches!(kind, Kind::IdNumber | Kind::MobilePhone | Kind::BankCard) {
        return Err(DesensitizeError::new_err(
            "only id_number, mobile_phone and bank_card have format-preserving pseudonyms",
        ));
    }
    purpose_required(purpose)?;
    let domain = Domain::new(domain).map_err(lib_err)?;
    let who = keyring.principal(principal)?;
    let keyring = &keyring.inner;
    per_value(py, values, None, on_invalid, |text, _| match &who {
        Some(who) => columns::reidentify_text_as(keyring, who, kind, text, &domain, purpose),
        None => columns::reidentify_text(keyring, kind, text, &domain, purpose),
    })
}
