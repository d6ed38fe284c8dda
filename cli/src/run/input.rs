//! Input: the file opened for the pipeline, the column names (the CSV
//! header row, or the keys of the first JSON Lines record), and JSON Lines
//! records parsed into values.

use std::borrow::Cow;
use std::fmt;
use std::fs::File;
use std::io;
use std::path::Path;

use desensitize::policy::Fields;
use serde::de::{self, Deserializer, MapAccess, Visitor};

use super::Format;
use crate::common::{self, CliError, CliResult};
use crate::pipeline::{self, Chunker, Record};

/// The input file cut into chunks of `block` bytes, and its column names
/// (`None`: a JSON Lines input without records). The CSV header is
/// consumed; the first JSON Lines record stays in the input (it is data too).
pub(super) fn open(
    path: &Path,
    format: Format,
    block: usize,
) -> CliResult<(Chunker<File>, Option<Vec<String>>)> {
    let file = File::open(path).map_err(|e| common::file_error("input file", path, &e, ""))?;
    if file.metadata().is_ok_and(|m| m.is_dir()) {
        let e = io::Error::from(io::ErrorKind::IsADirectory);
        return Err(common::file_error("input file", path, &e, ""));
    }
    let pipeline_format = match format {
        Format::Csv => pipeline::Format::Csv,
        Format::Jsonl => pipeline::Format::JsonLines,
    };
    let mut chunker = Chunker::new(file, pipeline_format, block, pipeline::MAX_RECORD);
    let names = match format {
        Format::Csv => {
            let mut header = Record::new();
            if !chunker.csv_header(&mut header).map_err(|e| super::failed(e, &[]))? {
                return Err(CliError::failed("the input is empty: a CSV input needs a header row"));
            }
            let names = header
                .iter()
                .map(|h| std::str::from_utf8(h).map(str::to_owned))
                .collect::<Result<Vec<String>, _>>()
                .map_err(|_| CliError::failed("the input's header row is not valid UTF-8"))?;
            Some(names)
        }
        Format::Jsonl => match chunker.first_json_line().map_err(|e| super::failed(e, &[]))? {
            None => None,
            Some(line) => {
                let pairs = parse_json_line(line).map_err(|m| CliError::failed(format!("row 1: {m}")))?;
                Some(pairs.into_iter().map(|(k, _)| k.into_owned()).collect())
            }
        },
    };
    Ok((chunker, names))
}

/// A CSV record as the plan reads it.
impl Fields for Record {
    fn len(&self) -> usize {
        Record::len(self)
    }

    fn is_empty(&self) -> bool {
        Record::is_empty(self)
    }

    fn field(&self, i: usize) -> &[u8] {
        self.get(i).unwrap_or_default()
    }

    /// Fields are checked for UTF-8 one by one, and only those used: checking
    /// whole records costs more (names, addresses).
    fn text(&self, i: usize) -> Option<&str> {
        std::str::from_utf8(self.field(i)).ok()
    }
}

/// A JSON Lines record's values, in header order.
pub(super) struct JsonFields<'a, 'b>(pub &'b [Cow<'a, str>]);

impl Fields for JsonFields<'_, '_> {
    fn len(&self) -> usize {
        self.0.len()
    }

    fn field(&self, i: usize) -> &[u8] {
        self.0.get(i).map_or(b"", |v| v.as_bytes())
    }

    fn text(&self, i: usize) -> Option<&str> {
        Some(self.0.get(i).map_or("", |v| v.as_ref()))
    }
}

// JSON Lines input

type JsonPairs<'a> = Vec<(Cow<'a, str>, Cow<'a, str>)>;

/// Parse one line into (key, value) pairs in document order. Messages never
/// quote the input.
pub(super) fn parse_json_line(line: &[u8]) -> Result<JsonPairs<'_>, String> {
    let mut de = serde_json::Deserializer::from_slice(line);
    let pairs = de.deserialize_map(LineVisitor).map_err(|e| json_error(&e))?;
    de.end().map_err(|e| json_error(&e))?;
    Ok(pairs)
}

fn json_error(e: &serde_json::Error) -> String {
    match e.classify() {
        serde_json::error::Category::Data => {
            "not a JSON object of strings, numbers, booleans or nulls".to_owned()
        }
        serde_json::error::Category::Eof => "truncated JSON".to_owned(),
        _ => format!("malformed JSON at column {}", e.column()),
    }
}

struct LineVisitor;

impl<'de> Visitor<'de> for LineVisitor {
    type Value = JsonPairs<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut pairs = Vec::new();
        while let Some(k) = map.next_key::<JsonText<'de>>()? {
            let v = map.next_value::<JsonText<'de>>()?;
            pairs.push((k.0, v.0));
        }
        Ok(pairs)
    }
}

/// A key or scalar value as text, borrowed when it has no escapes.
struct JsonText<'a>(Cow<'a, str>);

impl<'de> de::Deserialize<'de> for JsonText<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(TextVisitor)
    }
}

struct TextVisitor;

impl<'de> Visitor<'de> for TextVisitor {
    type Value = JsonText<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string, number, boolean or null")
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(JsonText(Cow::Borrowed(v)))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(JsonText(Cow::Owned(v.to_owned())))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(JsonText(Cow::Owned(v)))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(JsonText(Cow::Owned(v.to_string())))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(JsonText(Cow::Owned(v.to_string())))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(JsonText(Cow::Owned(v.to_string())))
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(JsonText(Cow::Borrowed(if v { "true" } else { "false" })))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(JsonText(Cow::Borrowed("")))
    }
}
