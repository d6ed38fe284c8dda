//! Reading a text value (a kind, a sealed value) without quoting what was
//! found instead: in a self-describing format a value of another type is
//! refused here, by its type alone. The format's own error would quote it
//! (serde_json: ``invalid type: integer `13800138000`, expected ...``), and
//! a number where a phone number belongs *is* the phone number.

use core::fmt;

use serde::de::{self, Deserializer, Expected, Visitor};

/// Read a string through `visitor`. A human-readable (self-describing)
/// format is asked for any value, so that a number, boolean or null is
/// refused by [`TextOnly`] with a message that names its type, never the
/// value; a binary format is asked for a string, as before.
pub(crate) fn deserialize_text<'de, D, V>(d: D, visitor: V) -> Result<V::Value, D::Error>
where
    D: Deserializer<'de>,
    V: Visitor<'de>,
{
    if d.is_human_readable() { d.deserialize_any(TextOnly(visitor)) } else { d.deserialize_str(visitor) }
}

/// Passes strings and bytes to the inner visitor; refuses scalars of other
/// types by their type. Lists and objects keep serde's own refusal, which
/// names only their type.
struct TextOnly<V>(V);

impl<V> TextOnly<V> {
    fn refuse<E: de::Error>(&self, found: &str) -> E
    where
        V: Expected,
    {
        E::custom(format_args!("invalid type: {found}, expected {}", &self.0 as &dyn Expected))
    }
}

impl<'de, V: Visitor<'de>> Visitor<'de> for TextOnly<V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.expecting(f)
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<V::Value, E> {
        self.0.visit_str(s)
    }

    fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<V::Value, E> {
        self.0.visit_borrowed_str(s)
    }

    fn visit_string<E: de::Error>(self, s: String) -> Result<V::Value, E> {
        self.0.visit_string(s)
    }

    fn visit_bytes<E: de::Error>(self, b: &[u8]) -> Result<V::Value, E> {
        self.0.visit_bytes(b)
    }

    fn visit_borrowed_bytes<E: de::Error>(self, b: &'de [u8]) -> Result<V::Value, E> {
        self.0.visit_borrowed_bytes(b)
    }

    fn visit_byte_buf<E: de::Error>(self, b: Vec<u8>) -> Result<V::Value, E> {
        self.0.visit_byte_buf(b)
    }

    fn visit_char<E: de::Error>(self, c: char) -> Result<V::Value, E> {
        self.0.visit_str(c.encode_utf8(&mut [0; 4]))
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<V::Value, E> {
        Err(self.refuse("boolean"))
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<V::Value, E> {
        Err(self.refuse("integer"))
    }

    fn visit_i128<E: de::Error>(self, _: i128) -> Result<V::Value, E> {
        Err(self.refuse("integer"))
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<V::Value, E> {
        Err(self.refuse("integer"))
    }

    fn visit_u128<E: de::Error>(self, _: u128) -> Result<V::Value, E> {
        Err(self.refuse("integer"))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<V::Value, E> {
        Err(self.refuse("floating point"))
    }

    fn visit_none<E: de::Error>(self) -> Result<V::Value, E> {
        Err(self.refuse("null"))
    }

    fn visit_unit<E: de::Error>(self) -> Result<V::Value, E> {
        Err(self.refuse("null"))
    }
}

/// Deserialize `T` (the stored form of a protected field: a list of sealed
/// values, a nested record) without quoting a value in an error, for
/// `#[derive(Protect)]`'s `deserialize_with`. In a human-readable format
/// every typed request becomes a request for any value, so that the format
/// hands over what it found instead of refusing it with a quote of its own
/// (serde_json: ``invalid type: integer `13800138000`, expected a
/// sequence``); an error of `T`'s visitor that quotes a scalar is replaced
/// by one that names its type. Binary formats are read as they are.
///
/// ```
/// use desensitize::protect::__private::scrubbed;
///
/// #[derive(serde::Deserialize)]
/// struct Stored {
///     #[serde(deserialize_with = "scrubbed")]
///     phones: Vec<desensitize::Sealed<desensitize::MobilePhone>>,
/// }
/// let err = serde_json::from_str::<Stored>(r#"{"phones": 13800138000}"#).err().unwrap();
/// assert_eq!(err.to_string(), "invalid type: integer, expected a sequence at line 1 column 22");
/// ```
pub fn scrubbed<'de, D: Deserializer<'de>, T: serde::Deserialize<'de>>(d: D) -> Result<T, D::Error> {
    if d.is_human_readable() { T::deserialize(Scrubbed(d)) } else { T::deserialize(d) }
}

/// A deserializer that asks its inner one for any value (options aside)
/// and hands what it finds to [`Scrub`].
struct Scrubbed<D>(D);

impl<'de, D: Deserializer<'de>> Deserializer<'de> for Scrubbed<D> {
    type Error = D::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_any(Scrub(visitor))
    }

    /// `null` or the value (self-describing formats tell them apart only here).
    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_option(Scrub(visitor))
    }

    fn is_human_readable(&self) -> bool {
        true
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf unit
        unit_struct newtype_struct seq tuple tuple_struct map struct enum identifier ignored_any
    }
}

/// Forwards every visit; an error from a number's, boolean's or
/// character's visit, and one from a string's or bytes' visit that quotes
/// them, becomes `invalid type: <its type>, expected <what V expects>`.
/// What a list, an object or an option holds is read through [`Scrubbed`]
/// or the element type's own `Deserialize`.
struct Scrub<V>(V);

/// `err` unless its text shows `value`, as it is or escaped the way serde
/// quotes a string (`Unexpected::Str` prints it with `{:?}`: a control
/// character becomes `\u{7f}`); then a refusal naming `found`.
fn scrub<E: de::Error>(err: E, value: &str, found: &str, expected: &str) -> E {
    let text = zeroize::Zeroizing::new(err.to_string());
    let escaped = zeroize::Zeroizing::new(value.escape_debug().to_string());
    if !value.is_empty() && (text.contains(value) || text.contains(escaped.as_str())) {
        E::custom(format_args!("invalid type: {found}, expected {expected}"))
    } else {
        err
    }
}

/// A number's, boolean's or character's visit: an error becomes a refusal
/// by type whatever its text (formats print numbers their own way:
/// serde_json writes `1.390013900000001e+22`), since these are never the
/// stored form of a protected field.
macro_rules! scrub_scalar {
    ($($method:ident($ty:ty) $found:literal;)*) => {$(
        fn $method<E: de::Error>(self, v: $ty) -> Result<V::Value, E> {
            let expected = self.expected();
            self.0.$method::<E>(v).map_err(|_| E::custom(format_args!("invalid type: {}, expected {expected}", $found)))
        }
    )*};
}

impl<V: Expected> Scrub<V> {
    fn expected(&self) -> String {
        (&self.0 as &dyn Expected).to_string()
    }
}

impl<'de, V: Visitor<'de>> Visitor<'de> for Scrub<V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.expecting(f)
    }

    scrub_scalar! {
        visit_bool(bool) "boolean";
        visit_i64(i64) "integer";
        visit_i128(i128) "integer";
        visit_u64(u64) "integer";
        visit_u128(u128) "integer";
        visit_f64(f64) "floating point";
        visit_char(char) "string";
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<V::Value, E> {
        let expected = self.expected();
        self.0.visit_str(s).map_err(|e| scrub(e, s, "string", &expected))
    }

    fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<V::Value, E> {
        let expected = self.expected();
        self.0.visit_borrowed_str(s).map_err(|e| scrub(e, s, "string", &expected))
    }

    fn visit_string<E: de::Error>(self, s: String) -> Result<V::Value, E> {
        let expected = self.expected();
        let shown = zeroize::Zeroizing::new(s.clone());
        self.0.visit_string(s).map_err(|e| scrub(e, &shown, "string", &expected))
    }

    fn visit_bytes<E: de::Error>(self, b: &[u8]) -> Result<V::Value, E> {
        let expected = self.expected();
        let shown = String::from_utf8_lossy(b);
        self.0.visit_bytes(b).map_err(|e| scrub(e, &shown, "bytes", &expected))
    }

    fn visit_none<E: de::Error>(self) -> Result<V::Value, E> {
        self.0.visit_none()
    }

    fn visit_unit<E: de::Error>(self) -> Result<V::Value, E> {
        self.0.visit_unit()
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
        self.0.visit_some(Scrubbed(d))
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
        self.0.visit_newtype_struct(Scrubbed(d))
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, seq: A) -> Result<V::Value, A::Error> {
        self.0.visit_seq(seq)
    }

    fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
        self.0.visit_map(map)
    }

    fn visit_enum<A: de::EnumAccess<'de>>(self, data: A) -> Result<V::Value, A::Error> {
        self.0.visit_enum(data)
    }
}
