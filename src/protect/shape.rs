//! Field shapes: a kind, an `Option` of one or a `Vec` of them. Each
//! transformation maps the shape's values and keeps the shape, so a
//! `Vec<MobilePhone>` seals to a `Vec<Sealed<MobilePhone>>`.

use super::{Place, RecordError};
use crate::error::{AccessError, Error};
use crate::pseudo::{Domain, Pseudonymizable, Token, Transform};
use crate::{MaskLevel, Sealable, Sealed, Sensitive};

/// A field type the derive can protect: a kind `K`, `Option<K>` or `Vec<K>`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a kind of personal data (nor an Option or Vec of one)",
    label = "not a kind",
    note = "protect a kind (MobilePhone, IdNumber, ...), mark a record `#[protect(nested)]`, or mark the field `#[protect(public)]`"
)]
pub trait Shape: Sized {
    /// The kind of the values.
    type Kind: Sensitive;
    /// The same shape holding `U`s.
    type Map<U>;
    /// Whether a flat file (one value per cell) can hold the field.
    const FLAT: bool;

    /// Map every value (with its position in a `Vec`), stopping at the first error.
    fn try_map<U, E>(
        &self,
        f: impl FnMut(&Self::Kind, Option<usize>) -> Result<U, E>,
    ) -> Result<Self::Map<U>, E>;

    /// Rebuild the field from a mapped shape.
    fn try_unmap<U, E>(
        mapped: &Self::Map<U>,
        f: impl FnMut(&U, Option<usize>) -> Result<Self::Kind, E>,
    ) -> Result<Self, E>;
}

/// A kind of personal data, as a field type. Implemented per kind (not for
/// every `Sensitive`) so that the error for another type says what to do.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a kind of personal data (nor an Option or Vec of one)",
    label = "not a kind",
    note = "protect a kind (MobilePhone, IdNumber, ...), mark a record `#[protect(nested)]`, or mark the field `#[protect(public)]`"
)]
pub trait KindField: Sensitive {}

macro_rules! kind_fields {
    ($($kind:ident),* $(,)?) => {$( impl KindField for crate::$kind {} )*};
}

crate::kind::for_each_kind!(kind_fields);

impl<K: KindField> Shape for K {
    type Kind = K;
    type Map<U> = U;
    const FLAT: bool = true;

    fn try_map<U, E>(&self, mut f: impl FnMut(&K, Option<usize>) -> Result<U, E>) -> Result<U, E> {
        f(self, None)
    }

    fn try_unmap<U, E>(mapped: &U, mut f: impl FnMut(&U, Option<usize>) -> Result<K, E>) -> Result<K, E> {
        f(mapped, None)
    }
}

impl<K: KindField> Shape for Option<K> {
    type Kind = K;
    type Map<U> = Option<U>;
    const FLAT: bool = true;

    fn try_map<U, E>(&self, f: impl FnMut(&K, Option<usize>) -> Result<U, E>) -> Result<Option<U>, E> {
        self.as_ref().map(|v| v.try_map(f)).transpose()
    }

    fn try_unmap<U, E>(
        mapped: &Option<U>,
        f: impl FnMut(&U, Option<usize>) -> Result<K, E>,
    ) -> Result<Option<K>, E> {
        mapped.as_ref().map(|m| K::try_unmap(m, f)).transpose()
    }
}

impl<K: KindField> Shape for Vec<K> {
    type Kind = K;
    type Map<U> = Vec<U>;
    const FLAT: bool = false;

    fn try_map<U, E>(&self, mut f: impl FnMut(&K, Option<usize>) -> Result<U, E>) -> Result<Vec<U>, E> {
        self.iter().enumerate().map(|(i, v)| f(v, Some(i))).collect()
    }

    fn try_unmap<U, E>(
        mapped: &Vec<U>,
        mut f: impl FnMut(&U, Option<usize>) -> Result<K, E>,
    ) -> Result<Vec<K>, E> {
        mapped.iter().enumerate().map(|(i, m)| f(m, Some(i))).collect()
    }
}

/// A shape whose kind can be sealed.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be sealed",
    label = "`seal` needs a sealable kind",
    note = "every kind but Password can be sealed (a password is only ever hashed); \
            a field that is not personal data is `#[protect(public)]`"
)]
pub trait SealShape: Shape<Kind: Sealable> {}
impl<S: Shape<Kind: Sealable>> SealShape for S {}

/// A shape whose kind can be pseudonymized.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be pseudonymized",
    label = "`pseudonym` needs a kind that can be a join key",
    note = "every sealable kind but Biometric (templates differ at every capture) has pseudonyms"
)]
pub trait TokenShape: Shape<Kind: Pseudonymizable> {}
impl<S: Shape<Kind: Pseudonymizable>> TokenShape for S {}

/// A shape whose kind can be blind-indexed.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be blind-indexed",
    label = "`blind_index` needs a kind that can be a join key",
    note = "every sealable kind but Biometric (templates differ at every capture) has blind indexes"
)]
pub trait IndexShape: Shape<Kind: Pseudonymizable> {}
impl<S: Shape<Kind: Pseudonymizable>> IndexShape for S {}

/// Compile-time check that a field is a protectable shape.
pub const fn assert_shape<S: Shape>() {}
/// Compile-time check that a field can be sealed.
pub const fn assert_seal<S: SealShape>() {}
/// Compile-time check that a field can be pseudonymized.
pub const fn assert_token<S: TokenShape>() {}
/// Compile-time check that a field can be blind-indexed.
pub const fn assert_index<S: IndexShape>() {}

/// `field[i]` for the `i`-th value of a `Vec` field, else `field`.
fn item_path(path: &str, item: Option<usize>) -> String {
    match item {
        Some(i) => format!("{path}[{i}]"),
        None => path.to_owned(),
    }
}

/// Every value masked at `level`.
pub fn mask<S: Shape>(value: &S, level: MaskLevel) -> S::Map<String> {
    match value.try_map(|v, _| Ok::<_, core::convert::Infallible>(v.mask(level))) {
        Ok(m) => m,
        Err(never) => match never {},
    }
}

/// The context of one value: the field's, plus `item = i` for the `i`-th
/// value of a `Vec` (so values cannot be swapped within the list either).
fn value_context(at: &Place<'_>, field: &str, item: Option<usize>) -> Result<crate::Context, RecordError> {
    let ctx = at.context(field)?;
    match item {
        Some(i) => ctx
            .try_with("item", &i.to_string())
            .map_err(|e| RecordError::new(&item_path(&at.path(field), item), e)),
        None => Ok(ctx),
    }
}

/// Seal every value at table + field path + row id; under the subject's
/// own key when `subject` is given.
pub fn seal<S: SealShape>(
    value: &S,
    at: &Place<'_>,
    field: &str,
    subject: Option<&str>,
) -> Result<S::Map<Sealed<S::Kind>>, RecordError> {
    let path = at.path(field);
    value.try_map(|v, item| {
        let ctx = value_context(at, field, item)?;
        let err = |e| RecordError::new(&item_path(&path, item), e);
        match subject {
            None => at.keyring().seal(v, &ctx).map_err(err),
            Some(s) => at.keyring().seal_for(at.subjects(field)?, s, v, &ctx).map_err(err),
        }
    })
}

/// Open every sealed value of a field (each open audited).
pub fn open<S: SealShape>(
    sealed: &S::Map<Sealed<S::Kind>>,
    at: &Place<'_>,
    field: &str,
    subject: Option<&str>,
    purpose: &str,
) -> Result<S, RecordError> {
    let path = at.path(field);
    S::try_unmap(sealed, |s, item| {
        let ctx = value_context(at, field, item)?;
        let err = |e| RecordError::new(&item_path(&path, item), e);
        let keyring = at.keyring();
        let revealed = match (subject, at.principal()) {
            (None, None) => return keyring.open(s, &ctx, purpose).map_err(err),
            (Some(subj), None) => {
                return keyring.open_for(at.subjects(field)?, subj, s, &ctx, purpose).map_err(err);
            }
            (None, Some(who)) => keyring.open_as(who, s, &ctx, purpose),
            (Some(subj), Some(who)) => keyring.open_for_as(who, at.subjects(field)?, subj, s, &ctx, purpose),
        };
        revealed.and_then(|r| r.into_full().ok_or(Error::Access(AccessError::MaskedOnly))).map_err(err)
    })
}

/// Every value's keyed pseudonym in `domain`.
pub fn pseudonym<S: TokenShape>(
    value: &S,
    at: &Place<'_>,
    field: &str,
    domain: &str,
) -> Result<S::Map<Token>, RecordError> {
    let path = at.path(field);
    let tokens = Domain::new(domain)
        .and_then(|d| at.keyring().pseudonymizer(&d))
        .map_err(|e| RecordError::new(&path, e))?;
    value.try_map(|v, _| Ok(tokens.token(v)))
}

/// Every value's blind index (lower-case hex, as `desensitize run` writes it)
/// in `domain`, by default `<table>.<field path>` like a policy's.
pub fn blind_index<S: IndexShape>(
    value: &S,
    at: &Place<'_>,
    field: &str,
    domain: Option<&str>,
    transform: Transform,
    bits: u8,
) -> Result<S::Map<String>, RecordError> {
    let path = at.path(field);
    let default_domain = format!("{}.{path}", at.table());
    let index = Domain::new(domain.unwrap_or(&default_domain))
        .and_then(|d| at.keyring().blind_index::<S::Kind>(&d, transform, bits))
        .map_err(|e| RecordError::new(&path, e))?;
    value.try_map(|v, _| Ok(index.compute(v).to_string()))
}
