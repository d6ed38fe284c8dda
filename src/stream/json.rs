//! JSON Lines records: one object of scalars per line, read as text the
//! way every command reads them, and objects of text written back.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, Deserializer, MapAccess, Visitor};
use zeroize::Zeroize;

use crate::policy::Fields;

/// A JSON Lines record's `(key, value)` pairs in document order, as text:
/// strings as they are, numbers as decimal text (integers exactly, others
/// as the shortest decimal of their `f64`), `true` / `false`, `null` as
/// empty. Borrowed from the line where there is no escape; what had to be
/// copied is wiped when the pairs are dropped.
pub struct JsonScalars<'a>(Vec<(Cow<'a, str>, Cow<'a, str>)>);

impl<'a> JsonScalars<'a> {
    /// The pairs, in document order.
    pub fn pairs(&self) -> &[(Cow<'a, str>, Cow<'a, str>)] {
        &self.0
    }

    /// The pairs, to move values out of (what is left is wiped on drop).
    pub(crate) fn pairs_mut(&mut self) -> &mut [(Cow<'a, str>, Cow<'a, str>)] {
        &mut self.0
    }
}

impl Drop for JsonScalars<'_> {
    fn drop(&mut self) {
        for (k, v) in &mut self.0 {
            wipe(k);
            wipe(v);
        }
    }
}

fn wipe(text: &mut Cow<'_, str>) {
    if let Cow::Owned(s) = text {
        s.zeroize();
    }
}

/// Parse one JSON Lines record (one object of strings, numbers, booleans
/// and nulls; a nested object or array is refused, and so is a key that
/// appears twice, named by its position: read as its last value it would
/// let `"consent":"false", …, "consent":"true"` count as consent). The
/// message never quotes the input.
///
/// ```
/// use desensitize::stream::parts::json_scalars;
///
/// let record = json_scalars(br#"{"id": 7, "phone": "13800138000", "vip": true, "note": null}"#)?;
/// let pairs: Vec<(&str, &str)> = record.pairs().iter().map(|(k, v)| (k.as_ref(), v.as_ref())).collect();
/// assert_eq!(pairs, [("id", "7"), ("phone", "13800138000"), ("vip", "true"), ("note", "")]);
///
/// let err = json_scalars(br#"{"phone": ["13800138000"]}"#).err().unwrap();
/// assert_eq!(err, "not a JSON object of strings, numbers, booleans or nulls");
///
/// let err = json_scalars(br#"{"consent": "false", "id": 7, "consent": "true"}"#).err().unwrap();
/// assert_eq!(err, "field 3 repeats the key of field 1 (a key may appear once in a record)");
/// # Ok::<(), String>(())
/// ```
pub fn json_scalars(line: &[u8]) -> Result<JsonScalars<'_>, String> {
    let mut de = serde_json::Deserializer::from_slice(line);
    let pairs = JsonScalars(de.deserialize_map(LineVisitor).map_err(|e| json_error(&e))?);
    de.end().map_err(|e| json_error(&e))?;
    if let Some((first, again)) = repeated_key(&pairs.0) {
        return Err(format!(
            "field {} repeats the key of field {} (a key may appear once in a record)",
            again + 1,
            first + 1
        ));
    }
    Ok(pairs)
}

/// The first key (in document order) that repeats an earlier one, as
/// `(earlier, repeat)` positions. Pairwise for the usual few keys; sorted
/// for many, so that a long line of keys costs `n log n`, not `n²`.
fn repeated_key(pairs: &[(Cow<'_, str>, Cow<'_, str>)]) -> Option<(usize, usize)> {
    const PAIRWISE: usize = 32;
    if pairs.len() <= PAIRWISE {
        return (1..pairs.len()).find_map(|j| (0..j).find(|&i| pairs[i].0 == pairs[j].0).map(|i| (i, j)));
    }
    let mut order: Vec<usize> = (0..pairs.len()).collect();
    // Stable: equal keys stay in document order, so neighbours are (earlier, later).
    order.sort_by(|&a, &b| pairs[a].0.cmp(&pairs[b].0));
    let mut found: Option<(usize, usize)> = None;
    for w in order.windows(2) {
        if pairs[w[0]].0 == pairs[w[1]].0 && found.is_none_or(|(_, j)| w[1] < j) {
            found = Some((w[0], w[1]));
        }
    }
    // The earliest occurrence of the repeated key, not its previous one.
    found.map(|(_, j)| ((0..j).find(|&i| pairs[i].0 == pairs[j].0).unwrap_or(0), j))
}

/// serde_json's error as a category and a column: its messages never quote
/// the input, but the category is all a user needs.
fn json_error(e: &serde_json::Error) -> String {
    match e.classify() {
        serde_json::error::Category::Data => {
            "not a JSON object of strings, numbers, booleans or nulls".to_owned()
        }
        serde_json::error::Category::Eof => "truncated JSON".to_owned(),
        _ => format!("malformed JSON at column {}", e.column()),
    }
}

/// A JSON Lines record's values in header order, as the policy reads them;
/// what was copied is wiped on drop.
pub(crate) struct JsonFields<'a>(pub(crate) Vec<Cow<'a, str>>);

impl Drop for JsonFields<'_> {
    fn drop(&mut self) {
        self.0.iter_mut().for_each(wipe);
    }
}

impl Fields for JsonFields<'_> {
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

/// Append one JSON object of `(name, text)` pairs, in the order given, and
/// its `\n` to `out`: every value a JSON string, no spaces (serde_json's
/// compact form).
///
/// ```
/// use desensitize::stream::parts::write_json_object;
///
/// let mut out = Vec::new();
/// write_json_object(&mut out, [("id", "7"), ("note", "say \"hi\"")]);
/// assert_eq!(out, b"{\"id\":\"7\",\"note\":\"say \\\"hi\\\"\"}\n");
/// ```
pub fn write_json_object<'a>(out: &mut Vec<u8>, pairs: impl IntoIterator<Item = (&'a str, &'a str)>) {
    out.push(b'{');
    for (i, (k, v)) in pairs.into_iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_json_string(out, k);
        out.push(b':');
        write_json_string(out, v);
    }
    out.extend_from_slice(b"}\n");
}

pub(super) fn write_json_string(out: &mut Vec<u8>, s: &str) {
    // Writing a &str into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, s);
}

type Pairs<'a> = Vec<(Cow<'a, str>, Cow<'a, str>)>;

struct LineVisitor;

impl<'de> Visitor<'de> for LineVisitor {
    type Value = Pairs<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut pairs = JsonScalars(Vec::new());
        while let Some(k) = map.next_key::<JsonText<'de>>()? {
            let v = map.next_value::<JsonText<'de>>()?;
            pairs.0.push((k.0, v.0));
        }
        Ok(std::mem::take(&mut pairs.0))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalars_read_as_text() {
        let record = json_scalars(br#"{"a":"x\ny","n":1,"f":1.50,"t":true,"z":null,"neg":-3}"#).unwrap();
        let got: Vec<(&str, &str)> = record.pairs().iter().map(|(k, v)| (k.as_ref(), v.as_ref())).collect();
        assert_eq!(got, [("a", "x\ny"), ("n", "1"), ("f", "1.5"), ("t", "true"), ("z", ""), ("neg", "-3")]);
        assert_eq!(
            json_scalars(br#"{"a":[1]}"#).err().unwrap(),
            "not a JSON object of strings, numbers, booleans or nulls"
        );
        assert_eq!(json_scalars(br#"{"a":"1""#).err().unwrap(), "truncated JSON");
        assert!(json_scalars(br#"{"a":"1"} x"#).err().unwrap().starts_with("malformed JSON at column"));
    }

    /// A repeated key is refused by position (it was read as its last
    /// value), with few keys and with many (the sorted path).
    #[test]
    fn repeated_keys_are_refused_by_position() {
        let err =
            json_scalars(br#"{"u":"1","13800138000":"false","m":"x","13800138000":"true"}"#).err().unwrap();
        assert_eq!(err, "field 4 repeats the key of field 2 (a key may appear once in a record)");
        // An escaped spelling of the same key is the same key.
        let err = json_scalars(br#"{"a":"1","a":"2"}"#).err().unwrap();
        assert_eq!(err, "field 2 repeats the key of field 1 (a key may appear once in a record)");
        for n in [33, 200] {
            let mut line = String::from("{");
            for i in 0..n {
                line.push_str(&format!("\"k{i}\":{i},"));
            }
            // Two repeats: the first in document order is named, with the key's first position.
            line.push_str("\"k7\":1,\"k3\":2,\"k3\":3}");
            let err = json_scalars(line.as_bytes()).err().unwrap();
            assert_eq!(
                err,
                format!("field {} repeats the key of field 8 (a key may appear once in a record)", n + 1)
            );
        }
        let distinct =
            format!("{{{}}}", (0..100).map(|i| format!("\"k{i}\":{i}")).collect::<Vec<_>>().join(","));
        assert_eq!(json_scalars(distinct.as_bytes()).unwrap().pairs().len(), 100);
    }

    #[test]
    fn objects_are_serde_json_compact() {
        let mut out = Vec::new();
        write_json_object(&mut out, [("k\"", "v\n\u{1}"), ("中", "文")]);
        let expected = serde_json::json!({"k\"": "v\n\u{1}", "中": "文"}).to_string() + "\n";
        assert_eq!(String::from_utf8(out).unwrap(), expected);
    }
}
