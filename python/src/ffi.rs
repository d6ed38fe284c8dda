//! Arrow arrays across the Arrow C data interface, as PyCapsules (the
//! `__arrow_c_array__` protocol of pyarrow ≥ 14, Polars, DuckDB...): no
//! Python object per value, and no copy of the input.
//!
//! The only `unsafe` of the package is here: reading the two structs a
//! producer hands over in its capsules, as the Arrow C data interface
//! specifies.

use std::ffi::CStr;

use arrow_array::ffi::{FFI_ArrowArray, FFI_ArrowSchema, from_ffi, to_ffi};
use arrow_array::{Array, ArrayRef, RecordBatch, StructArray, make_array};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyCapsule, PyCapsuleMethods, PyTuple};

const SCHEMA: &CStr = c"arrow_schema";
const ARRAY: &CStr = c"arrow_array";

/// Take the array behind an object with `__arrow_c_array__` (a
/// `pyarrow.Array`, a `RecordBatch` as a struct array, ...).
pub fn import_array(obj: &Bound<'_, PyAny>) -> PyResult<ArrayRef> {
    if !obj.hasattr("__arrow_c_array__")? {
        return Err(PyTypeError::new_err(
            "expected an Arrow array (an object with __arrow_c_array__, e.g. pyarrow.Array)",
        ));
    }
    let pair = obj.call_method0("__arrow_c_array__")?;
    let pair =
        pair.cast::<PyTuple>().map_err(|_| PyTypeError::new_err("__arrow_c_array__ must return a tuple"))?;
    if pair.len() != 2 {
        return Err(PyTypeError::new_err("__arrow_c_array__ must return (schema, array) capsules"));
    }
    let schema_capsule = pair.get_item(0)?;
    let array_capsule = pair.get_item(1)?;
    let schema_capsule =
        schema_capsule.cast::<PyCapsule>().map_err(|_| PyTypeError::new_err("expected a capsule"))?;
    let array_capsule =
        array_capsule.cast::<PyCapsule>().map_err(|_| PyTypeError::new_err("expected a capsule"))?;
    let schema_ptr = schema_capsule.pointer_checked(Some(SCHEMA))?.cast::<FFI_ArrowSchema>();
    let array_ptr = array_capsule.pointer_checked(Some(ARRAY))?.cast::<FFI_ArrowArray>();
    // SAFETY: the capsules are named as the Arrow PyCapsule interface
    // requires, so they point at a valid ArrowSchema and ArrowArray.
    // `from_raw` moves the array out (leaving a released struct behind for
    // the capsule's destructor); the schema is only borrowed.
    let data = unsafe {
        let array = FFI_ArrowArray::from_raw(array_ptr.as_ptr());
        from_ffi(array, schema_ptr.as_ref())
    }
    .map_err(|e| PyValueError::new_err(format!("cannot import the Arrow array: {e}")))?;
    Ok(make_array(data))
}

/// The capsules `(schema, array)` of an array, for pyarrow to import.
fn capsules<'py>(
    py: Python<'py>,
    array: &dyn Array,
) -> PyResult<(Bound<'py, PyCapsule>, Bound<'py, PyCapsule>)> {
    let (array, schema) = to_ffi(&array.to_data())
        .map_err(|e| PyValueError::new_err(format!("cannot export the Arrow array: {e}")))?;
    // The consumer moves the structs out; what is left is released, and the
    // Box drops it without calling a release callback twice.
    let schema = PyCapsule::new_with_value(py, schema, SCHEMA)?;
    let array = PyCapsule::new_with_value(py, array, ARRAY)?;
    Ok((schema, array))
}

/// A `pyarrow.Array` holding `array` (pyarrow imports it without a copy).
pub fn export_array<'py>(py: Python<'py>, array: &dyn Array) -> PyResult<Bound<'py, PyAny>> {
    let (schema, array) = capsules(py, array)?;
    py.import("pyarrow")?.getattr("Array")?.call_method1("_import_from_c_capsule", (schema, array))
}

/// A `pyarrow.RecordBatch` holding `batch`.
pub fn export_batch<'py>(py: Python<'py>, batch: RecordBatch) -> PyResult<Bound<'py, PyAny>> {
    let as_struct = StructArray::from(batch);
    let (schema, array) = capsules(py, &as_struct)?;
    py.import("pyarrow")?.getattr("RecordBatch")?.call_method1("_import_from_c_capsule", (schema, array))
}
