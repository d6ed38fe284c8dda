//! `detect` and `redact` over Arrow string arrays: the library's
//! `desensitize::detect`, one text per row (usable in Spark's `mapInArrow`).

use std::sync::Arc;

use arrow_array::{Array, ArrayRef, Float32Array, ListArray, StringArray, StructArray, UInt32Array};
use arrow_buffer::{NullBuffer, OffsetBuffer, ScalarBuffer};
use arrow_schema::{DataType, Field, Fields};
use desensitize::detect::{Action, DETECTABLE, Detector, Rules, Span};
use desensitize::{Kind, MaskLevel};
use pyo3::prelude::*;

use crate::error::{DesensitizeError, lib_err};
use crate::ffi::{export_array, import_array};
use crate::text::{StringOut, texts};

fn detector(kinds: Option<Vec<String>>, min_confidence: f32) -> PyResult<Detector> {
    let kinds = match kinds {
        None => DETECTABLE.to_vec(),
        Some(names) => names.iter().map(|n| n.parse::<Kind>()).collect::<Result<_, _>>().map_err(lib_err)?,
    };
    Detector::builder()
        .kinds(kinds)
        .min_confidence(min_confidence)
        .build()
        .map_err(|e| DesensitizeError::new_err(e.to_string()))
}

fn err(e: String) -> PyErr {
    DesensitizeError::new_err(e)
}

/// Each text with the personal data found in it masked (`action="mask"`,
/// at `level`) or replaced by numbered placeholders (`action="placeholder"`,
/// numbered per row); nulls stay null.
#[pyfunction]
#[pyo3(signature = (values, *, action="mask", level="standard", kinds=None, min_confidence=0.5))]
pub fn redact(
    py: Python<'_>,
    values: &Bound<'_, PyAny>,
    action: &str,
    level: &str,
    kinds: Option<Vec<String>>,
    min_confidence: f32,
) -> PyResult<Py<PyAny>> {
    let detector = detector(kinds, min_confidence)?;
    let rules = match action {
        "mask" => Rules::masks(level.parse::<MaskLevel>().map_err(lib_err)?),
        "placeholder" => Rules::all(Action::Placeholder),
        _ => return Err(err("action must be \"mask\" or \"placeholder\"".to_owned())),
    };
    let array = import_array(values)?;
    let cells = texts(&array).map_err(err)?;
    let present: Vec<&str> = cells.iter().map(|c| c.unwrap_or("")).collect();
    let done = py
        .detach(|| present.iter().map(|t| detector.redact(t, &rules)).collect::<Result<Vec<_>, _>>())
        .map_err(lib_err)?;
    let bytes = done.iter().map(|d| d.text.len()).sum();
    let mut out = StringOut::with_capacity(cells.len(), bytes);
    for (cell, d) in cells.iter().zip(&done) {
        match cell {
            Some(_) => out.push(d.text.as_bytes()).map_err(err)?,
            None => out.push_null(),
        }
    }
    let array = out.finish().map_err(err)?;
    Ok(export_array(py, array.as_ref())?.unbind())
}

/// The spans found in each text: a list per row of structs `start`, `end`
/// (character offsets, Python `str` indices), `kind` and `confidence`;
/// null for a null text. Never a value.
#[pyfunction]
#[pyo3(signature = (values, *, kinds=None, min_confidence=0.5))]
pub fn detect(
    py: Python<'_>,
    values: &Bound<'_, PyAny>,
    kinds: Option<Vec<String>>,
    min_confidence: f32,
) -> PyResult<Py<PyAny>> {
    let detector = detector(kinds, min_confidence)?;
    let array = import_array(values)?;
    let cells = texts(&array).map_err(err)?;
    let found: Vec<Vec<Span>> =
        py.detach(|| cells.iter().map(|c| detector.detect(c.unwrap_or(""))).collect());
    let (mut starts, mut ends, mut kinds, mut conf) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut offsets = vec![0i32];
    for (cell, spans) in cells.iter().zip(&found) {
        let text = cell.unwrap_or("");
        for s in spans {
            starts.push(char_offset(text, s.start));
            ends.push(char_offset(text, s.end));
            kinds.push(s.kind.as_str());
            conf.push(s.confidence);
        }
        offsets.push(
            i32::try_from(starts.len()).map_err(|_| err("too many spans: use smaller batches".into()))?,
        );
    }
    let fields = Fields::from(vec![
        Field::new("start", DataType::UInt32, false),
        Field::new("end", DataType::UInt32, false),
        Field::new("kind", DataType::Utf8, false),
        Field::new("confidence", DataType::Float32, false),
    ]);
    let columns: Vec<ArrayRef> = vec![
        Arc::new(UInt32Array::from(starts)),
        Arc::new(UInt32Array::from(ends)),
        Arc::new(StringArray::from(kinds)),
        Arc::new(Float32Array::from(conf)),
    ];
    let spans = StructArray::try_new(fields.clone(), columns, None).map_err(|e| err(e.to_string()))?;
    let nulls = NullBuffer::from(cells.iter().map(Option::is_some).collect::<Vec<bool>>());
    let nulls = (nulls.null_count() > 0).then_some(nulls);
    let item = Arc::new(Field::new("item", DataType::Struct(fields), false));
    let list =
        ListArray::try_new(item, OffsetBuffer::new(ScalarBuffer::from(offsets)), Arc::new(spans), nulls)
            .map_err(|e| err(e.to_string()))?;
    Ok(export_array(py, &list as &dyn Array)?.unbind())
}

/// The character index of byte offset `at` (a char boundary) in `text`.
fn char_offset(text: &str, at: usize) -> u32 {
    u32::try_from(text[..at].chars().count()).unwrap_or(u32::MAX)
}
