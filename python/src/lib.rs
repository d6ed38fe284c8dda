//! The extension module `desensitize._desensitize`: the crate's column
//! functions and record policies over Apache Arrow arrays, for Python and
//! Spark (`mapInArrow`). Data crosses through the Arrow C data interface
//! (no Python object per value) and the GIL is released while Rust works.
//! The Python package `desensitize` (python/python/desensitize/) re-exports it.

mod cache;
mod column_fns;
mod detect_fns;
mod error;
mod ffi;
mod keyring;
mod protect;
mod text;

use pyo3::prelude::*;

#[pymodule]
fn _desensitize(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("DesensitizeError", m.py().get_type::<error::DesensitizeError>())?;
    m.add_class::<keyring::PyKeyring>()?;
    m.add_class::<protect::PyPolicy>()?;
    m.add_function(wrap_pyfunction!(keyring::_load_keyring, m)?)?;
    m.add_function(wrap_pyfunction!(protect::_load_policy, m)?)?;
    m.add_function(wrap_pyfunction!(protect::protect, m)?)?;
    m.add_function(wrap_pyfunction!(column_fns::validate, m)?)?;
    m.add_function(wrap_pyfunction!(column_fns::mask, m)?)?;
    m.add_function(wrap_pyfunction!(column_fns::seal, m)?)?;
    m.add_function(wrap_pyfunction!(column_fns::open, m)?)?;
    m.add_function(wrap_pyfunction!(column_fns::pseudonym, m)?)?;
    m.add_function(wrap_pyfunction!(column_fns::blind_index, m)?)?;
    m.add_function(wrap_pyfunction!(column_fns::fpe, m)?)?;
    m.add_function(wrap_pyfunction!(column_fns::reidentify, m)?)?;
    m.add_function(wrap_pyfunction!(column_fns::generalize, m)?)?;
    m.add_function(wrap_pyfunction!(detect_fns::detect, m)?)?;
    m.add_function(wrap_pyfunction!(detect_fns::redact, m)?)?;
    Ok(())
}
