//! The package's exception: the crate's value-free messages, never a value.

use pyo3::PyErr;
use pyo3::create_exception;
use pyo3::exceptions::PyValueError;

create_exception!(
    desensitize,
    DesensitizeError,
    PyValueError,
    "A value, key or policy was refused. The message names rows, columns and reasons, never a value."
);

/// A library error as a Python exception (its message is value-free by construction).
pub fn lib_err(e: desensitize::Error) -> PyErr {
    DesensitizeError::new_err(e.to_string())
}

/// A policy error as a Python exception (it names keys and columns, never values).
pub fn policy_err(e: desensitize::policy::PolicyError) -> PyErr {
    DesensitizeError::new_err(e.to_string())
}
