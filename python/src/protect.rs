//! `Policy` and `protect`: the library's compiled plan applied to a record
//! batch, the body of Spark's `mapInArrow`.

use std::sync::{Arc, Mutex};

use arrow_array::cast::AsArray;
use arrow_array::{Array, ArrayRef, RecordBatch};
use arrow_buffer::{BooleanBufferBuilder, NullBuffer};
use arrow_schema::{DataType, Field, Schema};
use desensitize::policy::{ColumnBatch, Plan, Policy, Report, Rules};
use desensitize::risk::Diversity;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};

use crate::error::{DesensitizeError, policy_err};
use crate::ffi::{export_batch, import_array};
use crate::keyring::PyKeyring;
use crate::text;

/// Compiled plans of one policy, by header and keyring.
type PlanCache = Vec<(Vec<String>, usize, Arc<Plan>)>;

/// A record policy (the TOML or JSON of `desensitize run --policy`),
/// checked when it is read. Pickles as its text.
#[pyclass(name = "Policy", module = "desensitize", frozen)]
pub struct PyPolicy {
    text: String,
    json: bool,
    rules: Rules,
    plans: Mutex<PlanCache>,
}

impl PyPolicy {
    fn read(text: &str, json: bool) -> PyResult<PyPolicy> {
        let policy =
            if json { Policy::from_json(text) } else { Policy::from_toml(text) }.map_err(policy_err)?;
        let rules = policy.check().map_err(policy_err)?;
        Ok(PyPolicy { text: text.to_owned(), json, rules, plans: Mutex::new(Vec::new()) })
    }

    /// The plan for `header` and `keyring`, compiled once per process.
    fn plan(&self, header: &[String], keyring: Option<&PyKeyring>) -> PyResult<Arc<Plan>> {
        let key = keyring.map_or(0, |k| Arc::as_ptr(&k.inner) as usize);
        let mut plans = self.plans.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((_, _, p)) = plans.iter().find(|(h, k, _)| h == header && *k == key) {
            return Ok(Arc::clone(p));
        }
        let plan = Plan::new(&self.rules, header, keyring.map(|k| Arc::clone(&k.inner)))
            .map_err(policy_err)?
            .with_text_output(true);
        let plan = Arc::new(plan);
        plans.push((header.to_vec(), key, Arc::clone(&plan)));
        Ok(plan)
    }
}

#[pymethods]
impl PyPolicy {
    /// Read and check a TOML policy.
    #[staticmethod]
    fn from_toml(text: &str) -> PyResult<PyPolicy> {
        PyPolicy::read(text, false)
    }

    /// Read and check a JSON policy.
    #[staticmethod]
    fn from_json(text: &str) -> PyResult<PyPolicy> {
        PyPolicy::read(text, true)
    }

    /// `(k, quasi_identifiers)` of the policy's k-anonymity step, or None.
    #[getter]
    fn k_anonymity(&self) -> Option<(u64, Vec<String>)> {
        self.rules.k_anonymity.as_ref().map(|k| (k.k, k.quasi_identifiers.clone()))
    }

    /// The `[privacy]` model as keyword arguments of
    /// `desensitize.privacy.enforce_privacy`, or None (no model, or the
    /// older `[k_anonymity]`, which `k_anonymize` applies).
    #[getter]
    fn privacy<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyDict>>> {
        let Some(k) = &self.rules.k_anonymity else { return Ok(None) };
        let m = &k.model;
        if m.max_suppression() >= 1.0 && k.sensitive.is_empty() && m.max_risk().is_none() {
            return Ok(None);
        }
        let d = PyDict::new(py);
        d.set_item("quasi_identifiers", k.quasi_identifiers.clone())?;
        d.set_item("k", m.k())?;
        if let Some((l, diversity)) = m.l() {
            d.set_item("l", l)?;
            d.set_item("diversity", if diversity == Diversity::Entropy { "entropy" } else { "distinct" })?;
        }
        d.set_item("sensitive", k.sensitive.clone())?;
        d.set_item("t", m.t())?;
        d.set_item("max_risk", m.max_risk())?;
        d.set_item("max_suppression", m.max_suppression())?;
        Ok(Some(d))
    }

    /// The same policy without its k-anonymity step: what `protect` applies
    /// per batch before a cluster-wide k-anonymity job.
    fn without_k_anonymity(&self) -> PyPolicy {
        let mut rules = self.rules.clone();
        rules.k_anonymity = None;
        PyPolicy { text: self.text.clone(), json: self.json, rules, plans: Mutex::new(Vec::new()) }
    }

    /// The output column names for an input header.
    #[pyo3(signature = (header, keyring=None))]
    fn output_names(&self, header: Vec<String>, keyring: Option<&PyKeyring>) -> PyResult<Vec<String>> {
        Ok(self.plan(&header, keyring)?.output_names().to_vec())
    }

    fn __repr__(&self) -> String {
        let table = self.rules.table.as_deref().map_or("None".to_owned(), |t| format!("{t:?}"));
        format!("Policy(columns={}, table={table})", self.rules.columns.len())
    }

    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<(Bound<'py, PyAny>, Bound<'py, PyTuple>)> {
        let py = slf.py();
        let this = slf.get();
        let loader = py.import("desensitize._desensitize")?.getattr("_load_policy")?;
        let without_k = this.rules.k_anonymity.is_none()
            && (this.text.contains("k_anonymity") || this.text.contains("privacy"));
        Ok((loader, (this.text.clone(), this.json, without_k).into_pyobject(py)?))
    }
}

/// The unpickler of [`PyPolicy`].
#[pyfunction]
pub fn _load_policy(text: &str, json: bool, without_k_anonymity: bool) -> PyResult<PyPolicy> {
    let policy = PyPolicy::read(text, json)?;
    Ok(if without_k_anonymity { policy.without_k_anonymity() } else { policy })
}

/// A value refused under `on_invalid = "mark"`: (row, column, reason).
type Rejected = (u64, String, String);

/// Apply the plan to a batch's string columns; empty output cells are null.
fn protect_batch(
    plan: &Plan,
    columns: &[ArrayRef],
    first_row: u64,
) -> Result<(RecordBatch, Vec<Rejected>), String> {
    let values: Vec<Vec<&str>> = columns
        .iter()
        .zip(plan.input_names())
        .map(|(c, name)| text::column(c).map(|(v, _)| v).map_err(|e| format!("column {name}: {e}")))
        .collect::<Result<_, _>>()?;
    let inputs: Vec<&[&str]> = values.iter().map(|v| v.as_slice()).collect();
    let (mut out, mut report) = (ColumnBatch::new(), Report::default());
    plan.apply_columns(first_row, &inputs, &mut out, &mut report).map_err(|e| plan.describe(&e))?;
    let rows = out.rows().len();
    let mut arrays: Vec<ArrayRef> = Vec::with_capacity(out.columns().len());
    for cells in out.columns() {
        // Empty cells (empty or null input, withheld values) become nulls.
        let mut valid = BooleanBufferBuilder::new(rows);
        let mut start = 0;
        for &end in cells.ends() {
            valid.append(end > start);
            start = end;
        }
        let valid = NullBuffer::new(valid.finish());
        let nulls = (valid.null_count() > 0).then_some(valid);
        arrays.push(text::from_cells(cells, nulls)?);
    }
    let fields: Vec<Field> =
        plan.output_names().iter().map(|n| Field::new(n, DataType::Utf8, true)).collect();
    let options = arrow_array::RecordBatchOptions::new().with_row_count(Some(rows));
    let batch = RecordBatch::try_new_with_options(Arc::new(Schema::new(fields)), arrays, &options)
        .map_err(|e| e.to_string())?;
    let rejects = report
        .rejects
        .iter()
        .map(|r| {
            let column = r.column.and_then(|c| plan.input_names().get(c)).cloned().unwrap_or_default();
            (r.row, column, r.reason.to_string())
        })
        .collect();
    Ok((batch, rejects))
}

/// Apply `policy` to a `pyarrow.RecordBatch` of string columns (its
/// header: the column names) and return the protected batch: the
/// library's compiled plan, checked and keyed once per process, run outside
/// the GIL. Withheld rows (minors under `suppress`) are left out; empty
/// cells come back null. Rows are numbered from `first_row` in messages.
/// A policy with a k-anonymity step is refused: use
/// `policy.without_k_anonymity()` and `desensitize.spark.k_anonymize`.
/// With `rejects=True`, returns `(batch, [(row, column, reason), ...])`.
#[pyfunction]
#[pyo3(signature = (batch, policy, keyring=None, *, first_row=1, rejects=false))]
pub fn protect(
    py: Python<'_>,
    batch: &Bound<'_, PyAny>,
    policy: &PyPolicy,
    keyring: Option<&PyKeyring>,
    first_row: u64,
    rejects: bool,
) -> PyResult<Py<PyAny>> {
    if policy.rules.k_anonymity.is_some() {
        return Err(PyValueError::new_err(
            "protect works batch by batch and cannot count k-anonymity classes: apply \
             policy.without_k_anonymity() and then desensitize.spark.k_anonymize",
        ));
    }
    let array = import_array(batch)?;
    let DataType::Struct(fields) = array.data_type() else {
        return Err(PyValueError::new_err("expected a record batch"));
    };
    let header: Vec<String> = fields.iter().map(|f| f.name().clone()).collect();
    let columns: Vec<ArrayRef> = array.as_struct().columns().to_vec();
    let plan = policy.plan(&header, keyring)?;
    let done = py.detach(|| protect_batch(&plan, &columns, first_row));
    if let Some(k) = keyring {
        k.record_seals(py)?; // the batch's seals, in the keyring file's ledger
    }
    let (out, rejected) = done.map_err(DesensitizeError::new_err)?;
    let out = export_batch(py, out)?;
    if rejects { Ok((out, rejected).into_pyobject(py)?.into_any().unbind()) } else { Ok(out.unbind()) }
}
