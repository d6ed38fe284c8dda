//! String columns in (borrowed from the Arrow buffers) and out (built into
//! Arrow's values + offsets layout, handed over without a copy).

use std::sync::Arc;

use arrow_array::cast::AsArray;
use arrow_array::{Array, ArrayRef, StringArray};
use arrow_buffer::{Buffer, NullBuffer, OffsetBuffer, ScalarBuffer};
use arrow_schema::DataType;

/// A column's values as text, null slots as `""`, and its null mask.
pub fn column(array: &ArrayRef) -> Result<(Vec<&str>, Option<NullBuffer>), String> {
    fn gather<'a>(n: usize, nulls: Option<&NullBuffer>, value: impl Fn(usize) -> &'a str) -> Vec<&'a str> {
        match nulls {
            None => (0..n).map(value).collect(),
            Some(nulls) => (0..n).map(|i| if nulls.is_null(i) { "" } else { value(i) }).collect(),
        }
    }
    let nulls = array.logical_nulls().filter(|n| n.null_count() > 0);
    let n = array.len();
    let values = match array.data_type() {
        DataType::Utf8 => {
            let a = array.as_string::<i32>();
            gather(n, nulls.as_ref(), |i| a.value(i))
        }
        DataType::LargeUtf8 => {
            let a = array.as_string::<i64>();
            gather(n, nulls.as_ref(), |i| a.value(i))
        }
        DataType::Utf8View => {
            let a = array.as_string_view();
            gather(n, nulls.as_ref(), |i| a.value(i))
        }
        DataType::Null => vec![""; n],
        other => return Err(format!("expected a string array, got {other}")),
    };
    Ok((values, nulls))
}

/// A string array straight from a column of cells (Arrow's layout already),
/// with `nulls`.
pub fn from_cells(cells: &desensitize::policy::Cells, nulls: Option<NullBuffer>) -> Result<ArrayRef, String> {
    let mut offsets = Vec::with_capacity(cells.len() + 1);
    offsets.push(0i32);
    for &end in cells.ends() {
        offsets.push(i32::try_from(end).map_err(|_| "output column over 2 GiB: use smaller batches")?);
    }
    let offsets = OffsetBuffer::new(ScalarBuffer::from(offsets));
    let array =
        StringArray::try_new(offsets, Buffer::from(cells.values()), nulls).map_err(|e| e.to_string())?;
    Ok(Arc::new(array))
}

/// A column's values as text, `None` for nulls.
pub fn texts(array: &ArrayRef) -> Result<Vec<Option<&str>>, String> {
    Ok(match array.data_type() {
        DataType::Utf8 => array.as_string::<i32>().iter().collect(),
        DataType::LargeUtf8 => array.as_string::<i64>().iter().collect(),
        DataType::Utf8View => array.as_string_view().iter().collect(),
        DataType::Null => vec![None; array.len()],
        other => return Err(format!("expected a string array, got {other}")),
    })
}

/// A string column under construction: cells and which are null.
#[derive(Default)]
pub struct StringOut {
    data: Vec<u8>,
    offsets: Vec<i32>,
    valid: Vec<bool>,
    nulls: usize,
}

impl StringOut {
    pub fn with_capacity(rows: usize, bytes: usize) -> StringOut {
        let mut offsets = Vec::with_capacity(rows + 1);
        offsets.push(0);
        StringOut { data: Vec::with_capacity(bytes), offsets, valid: Vec::with_capacity(rows), nulls: 0 }
    }

    #[inline]
    pub fn push(&mut self, bytes: &[u8]) -> Result<(), String> {
        self.data.extend_from_slice(bytes);
        let end =
            i32::try_from(self.data.len()).map_err(|_| "output column over 2 GiB: use smaller batches")?;
        self.offsets.push(end);
        self.valid.push(true);
        Ok(())
    }

    #[inline]
    pub fn push_null(&mut self) {
        self.offsets.push(self.offsets.last().copied().unwrap_or(0));
        self.valid.push(false);
        self.nulls += 1;
    }

    pub fn finish(self) -> Result<ArrayRef, String> {
        let nulls = (self.nulls > 0).then(|| NullBuffer::from(self.valid));
        let offsets = OffsetBuffer::new(ScalarBuffer::from(self.offsets));
        let array =
            StringArray::try_new(offsets, Buffer::from_vec(self.data), nulls).map_err(|e| e.to_string())?;
        Ok(Arc::new(array))
    }
}
