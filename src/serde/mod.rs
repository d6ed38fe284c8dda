//! serde support: kinds received from requests, sealed values as their text
//! form, and masking adapters.
//!
//! Every kind implements `Deserialize`, validating and normalizing exactly
//! like its `FromStr`, so a request struct can receive one directly. The
//! error names the kind and the reason, never the value:
//!
//! ```
//! use desensitize::{IdNumber, MobilePhone};
//! use serde::Deserialize;
//!
//! #[derive(Deserialize)]
//! struct SignupRequest { id_number: IdNumber, mobile: MobilePhone }
//!
//! let req: SignupRequest =
//!     serde_json::from_str(r#"{"id_number": "11010519491231002x", "mobile": "+86 138-0013-8000"}"#)?;
//! assert_eq!((req.id_number.expose(), req.mobile.expose()), ("11010519491231002X", "13800138000"));
//!
//! let err = serde_json::from_str::<SignupRequest>(r#"{"id_number": "110105194912310021", "mobile": ""}"#)
//!     .err().unwrap();
//! assert_eq!(err.to_string(), "invalid cn.id_number: check digit mismatch at line 1 column 34");
//! # Ok::<(), serde_json::Error>(())
//! ```
//!
//! Raw kinds deliberately do **not** implement `Serialize`: a struct holding
//! an [`IdNumber`](crate::IdNumber) cannot be turned into JSON by accident.
//! Choose what leaves the process per field. The adapters' `deserialize`
//! reads the full value, so one struct can receive a value and answer with
//! its mask:
//!
//! ```
//! use desensitize::{IdNumber, MobilePhone};
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Serialize, Deserialize)]
//! struct UserView {
//!     #[serde(with = "desensitize::serde::masked")]
//!     phone: MobilePhone,
//!     #[serde(with = "desensitize::serde::masked_strict")]
//!     id_number: IdNumber,
//! }
//!
//! let view: UserView =
//!     serde_json::from_str(r#"{"phone": "13800138000", "id_number": "11010519491231002X"}"#)?;
//! assert_eq!(view.phone.expose(), "13800138000");
//! assert_eq!(
//!     serde_json::to_string(&view)?,
//!     r#"{"phone":"138****8000","id_number":"1****************X"}"#
//! );
//! # Ok::<(), serde_json::Error>(())
//! ```
//!
//! [`Sealed<T>`](crate::Sealed) serializes as its `dz1.` text form and
//! deserializes from it (structure and kind checked; authenticity is checked
//! when you open it).

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::kind::Sealable;
use crate::seal::Sealed;

mod kinds;
mod text;

/// Reads a field of a stored form without quoting a value (for the derive's
/// list, index and nested fields; re-exported in `protect::__private`): not a public API.
#[doc(hidden)]
pub use text::scrubbed;

impl<T> Serialize for Sealed<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&crate::crypto::envelope::to_text(self.as_bytes_any()))
    }
}

/// Reads `dz1.` text; anything else is refused by its type, never quoted
/// (a plaintext number where a sealed value belongs is the value).
impl<'de, T: Sealable> Deserialize<'de> for Sealed<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Sealed<T>, D::Error> {
        text::deserialize_text(d, SealedText(core::marker::PhantomData))
    }
}

/// Visits `dz1.` text and reads the envelope.
struct SealedText<T>(core::marker::PhantomData<fn() -> T>);

impl<T: Sealable> serde::de::Visitor<'_> for SealedText<T> {
    type Value = Sealed<T>;

    fn expecting(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("a sealed value (dz1. text)")
    }

    fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Sealed<T>, E> {
        Sealed::from_text(s).map_err(E::custom)
    }

    /// UTF-8 bytes, as some formats send strings.
    fn visit_bytes<E: serde::de::Error>(self, b: &[u8]) -> Result<Sealed<T>, E> {
        let text =
            core::str::from_utf8(b).map_err(|_| E::custom("a sealed value is dz1. text, not binary"))?;
        self.visit_str(text)
    }
}

/// Write a kind as its `Standard` mask, and read it in full: `#[serde(with = "desensitize::serde::masked")]`.
pub mod masked {
    use crate::{MaskLevel, Sensitive};

    /// Write `value.mask(MaskLevel::Standard)`.
    pub fn serialize<T: Sensitive, S: serde::Serializer>(value: &T, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&value.mask(MaskLevel::Standard))
    }

    /// Read the full value (not a mask), validated like the kind's `FromStr`.
    pub fn deserialize<'de, T: Sensitive + serde::Deserialize<'de>, D: serde::Deserializer<'de>>(
        d: D,
    ) -> Result<T, D::Error> {
        T::deserialize(d)
    }
}

/// Write a kind as its `Strict` mask, and read it in full: `#[serde(with = "desensitize::serde::masked_strict")]`.
pub mod masked_strict {
    use crate::{MaskLevel, Sensitive};

    /// Write `value.mask(MaskLevel::Strict)`.
    pub fn serialize<T: Sensitive, S: serde::Serializer>(value: &T, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&value.mask(MaskLevel::Strict))
    }

    /// Read the full value (not a mask), validated like the kind's `FromStr`.
    pub fn deserialize<'de, T: Sensitive + serde::Deserialize<'de>, D: serde::Deserializer<'de>>(
        d: D,
    ) -> Result<T, D::Error> {
        T::deserialize(d)
    }
}

/// Write a kind as its `Relaxed` mask, and read it in full: `#[serde(with = "desensitize::serde::masked_relaxed")]`.
pub mod masked_relaxed {
    use crate::{MaskLevel, Sensitive};

    /// Write `value.mask(MaskLevel::Relaxed)`.
    pub fn serialize<T: Sensitive, S: serde::Serializer>(value: &T, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&value.mask(MaskLevel::Relaxed))
    }

    /// Read the full value (not a mask), validated like the kind's `FromStr`.
    pub fn deserialize<'de, T: Sensitive + serde::Deserialize<'de>, D: serde::Deserializer<'de>>(
        d: D,
    ) -> Result<T, D::Error> {
        T::deserialize(d)
    }
}
