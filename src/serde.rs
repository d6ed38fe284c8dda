//! serde support: sealed values as their text form, and masking adapters.
//!
//! Raw kinds deliberately do **not** implement `Serialize`: a struct holding
//! an [`IdNumber`](crate::IdNumber) cannot be turned into JSON by accident.
//! Choose what leaves the process per field:
//!
//! ```
//! use desensitize::{IdNumber, MobilePhone, Sealed};
//! use serde::Serialize;
//!
//! #[derive(Serialize)]
//! struct UserView {
//!     #[serde(serialize_with = "desensitize::serde::masked::serialize")]
//!     phone: MobilePhone,
//!     #[serde(with = "desensitize::serde::masked_strict")]
//!     id_number: IdNumber,
//! }
//!
//! let view = UserView { phone: "13800138000".parse()?, id_number: "11010519491231002X".parse()? };
//! assert_eq!(
//!     serde_json::to_string(&view).unwrap(),
//!     r#"{"phone":"138****8000","id_number":"1****************X"}"#
//! );
//! # Ok::<(), desensitize::Error>(())
//! ```
//!
//! [`Sealed<T>`](crate::Sealed) serializes as its `dz1.` text form and
//! deserializes from it (structure and kind checked; authenticity is checked
//! when you open it).

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::kind::Sealable;
use crate::seal::Sealed;

impl<T> Serialize for Sealed<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&crate::seal::envelope::to_text(self.as_bytes_any()))
    }
}

impl<'de, T: Sealable> Deserialize<'de> for Sealed<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Sealed<T>, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Sealed::from_text(&text).map_err(D::Error::custom)
    }
}

/// Serialize a kind as its `Standard` mask: `#[serde(with = "desensitize::serde::masked")]`.
pub mod masked {
    use crate::{MaskLevel, Sensitive};

    /// Write `value.mask(MaskLevel::Standard)`.
    pub fn serialize<T: Sensitive, S: serde::Serializer>(value: &T, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&value.mask(MaskLevel::Standard))
    }
}

/// Serialize a kind as its `Strict` mask: `#[serde(with = "desensitize::serde::masked_strict")]`.
pub mod masked_strict {
    use crate::{MaskLevel, Sensitive};

    /// Write `value.mask(MaskLevel::Strict)`.
    pub fn serialize<T: Sensitive, S: serde::Serializer>(value: &T, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&value.mask(MaskLevel::Strict))
    }
}

/// Serialize a kind as its `Relaxed` mask: `#[serde(with = "desensitize::serde::masked_relaxed")]`.
pub mod masked_relaxed {
    use crate::{MaskLevel, Sensitive};

    /// Write `value.mask(MaskLevel::Relaxed)`.
    pub fn serialize<T: Sensitive, S: serde::Serializer>(value: &T, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&value.mask(MaskLevel::Relaxed))
    }
}
