//! Where a sealed value lives: bound into its envelope as associated data.

use core::fmt;
use core::hash::Hasher;
use std::sync::Arc;

use sha2::{Digest, Sha256};

use super::material::push_fields;
use crate::error::{ContextError, Error, Result};

/// Longest name or value a context field may have, in bytes.
pub const MAX_FIELD_LEN: usize = 1024;
/// Most fields a context may have.
pub const MAX_FIELDS: usize = 16;

/// The place a sealed value belongs to: for example table, column and row id.
///
/// A `Context` is bound into every envelope, so a sealed value copied to
/// another column or row fails to open. Its *scope* fields (table and column)
/// select the derived sealing key, which binds them and spreads the nonce
/// budget over many keys (see `SECURITY.md`); row ids and other fields are
/// bound as AES-GCM associated data. Both use an injective length-prefixed
/// encoding (SPEC.md §4).
///
/// A context names a *place*, not a person: it is stored next to the value,
/// printed in audit events and fingerprinted (32 bits: keyed in v2
/// envelopes, unkeyed in v1 ones) in the envelope header, so it must not
/// contain personal data. Use surrogate row ids, not phone numbers.
///
/// ```
/// use desensitize::Context;
///
/// let ctx = Context::new("users", "id_number").with_row("42");
/// assert_eq!(ctx.to_string(), "table=users column=id_number row=42");
/// let other_row = Context::new("users", "id_number").with_row("43");
/// assert_ne!(ctx, other_row);
/// ```
#[derive(Clone)]
pub struct Context {
    /// Table and column (or nothing): shared, so per-row contexts built from
    /// one column's context cost a reference count, not a copy.
    scope: Arc<Scope>,
    /// Fields after the scope (row id, ...), bound as associated data.
    extra: Vec<(String, String)>,
    /// `enc` of all fields: the input of the context check.
    encoded: Vec<u8>,
    /// `enc` of the extra fields: the associated data.
    bound_encoded: Vec<u8>,
    check: [u8; 4],
    poisoned: bool,
}

struct Scope {
    fields: Vec<(String, String)>,
    encoded: Vec<u8>,
    hash: u64,
}

impl Context {
    /// A context whose key scope is `table` + `column`.
    ///
    /// Names over [`MAX_FIELD_LEN`] bytes give a *poisoned* context that
    /// every seal and open refuses (fail closed); use [`Context::try_new`] to
    /// get the error up front.
    pub fn new(table: &str, column: &str) -> Context {
        Context::try_new(table, column).unwrap_or_else(|_| Context::poisoned())
    }

    fn poisoned() -> Context {
        let mut c = Context::build(Vec::new());
        c.poisoned = true;
        c
    }

    /// Like [`Context::new`], but errors on names over [`MAX_FIELD_LEN`] bytes.
    pub fn try_new(table: &str, column: &str) -> Result<Context> {
        check_field(table)?;
        check_field(column)?;
        Ok(Context::build(vec![("table".into(), table.into()), ("column".into(), column.into())]))
    }

    /// The empty context: binds a value to its kind only. Prefer a real one.
    pub fn none() -> Context {
        Context::build(Vec::new())
    }

    /// Bind to a row id as well (does not change the derived key).
    ///
    /// Cheap enough per row: the table/column part is shared with `self`.
    pub fn with_row(self, row: &str) -> Context {
        self.with("row", row)
    }

    /// Bind an extra named field (does not change the derived key). A field
    /// over the limits poisons the context so that sealing and opening with
    /// it fail; [`Context::try_with`] reports the error at once instead.
    pub fn with(self, name: &str, value: &str) -> Context {
        self.try_with(name, value).unwrap_or_else(|_| Context::poisoned())
    }

    /// Bind an extra named field, or error if it breaks the limits.
    pub fn try_with(mut self, name: &str, value: &str) -> Result<Context> {
        check_field(name)?;
        check_field(value)?;
        if self.scope.fields.len() + self.extra.len() >= MAX_FIELDS {
            return Err(Error::Context(ContextError::TooManyFields));
        }
        if self.poisoned {
            return Err(Error::Context(ContextError::FieldTooLong));
        }
        self.extra.push((name.into(), value.into()));
        // A context without scope that now starts with `table`, `column` gains
        // a scope (SPEC.md §4): rebuild. Otherwise extend the encodings.
        if self.scope.fields.is_empty() && self.extra.len() == 2 && is_scope(&self.extra) {
            return Ok(Context::build(self.extra));
        }
        append_pair(&mut self.encoded, name, value);
        append_pair(&mut self.bound_encoded, name, value);
        self.check = context_check(&self.encoded);
        Ok(self)
    }

    /// The scope is a function of the fields (SPEC.md §4): the first two
    /// pairs when they are named `table` and `column`, else empty. So
    /// `Context::none().with("table", t).with("column", c)` is the very same
    /// context as `Context::new(t, c)`.
    fn build(mut fields: Vec<(String, String)>) -> Context {
        let extra = if is_scope(&fields) { fields.split_off(2) } else { core::mem::take(&mut fields) };
        let flat = |fs: &[(String, String)]| {
            let parts: Vec<&[u8]> = fs.iter().flat_map(|(n, v)| [n.as_bytes(), v.as_bytes()]).collect();
            let mut out = Vec::new();
            push_fields(&mut out, &parts);
            out
        };
        let scope_encoded = flat(&fields);
        let mut h = std::collections::hash_map::DefaultHasher::new();
        h.write(&scope_encoded);
        let all: Vec<(String, String)> = fields.iter().chain(&extra).cloned().collect();
        let encoded = flat(&all);
        let bound_encoded = flat(&extra);
        let check = context_check(&encoded);
        Context {
            scope: Arc::new(Scope { fields, encoded: scope_encoded, hash: h.finish() }),
            extra,
            encoded,
            bound_encoded,
            check,
            poisoned: false,
        }
    }

    pub(crate) fn is_poisoned(&self) -> bool {
        self.poisoned
    }

    /// The fields, in order, as `(name, value)` pairs.
    pub fn fields(&self) -> impl Iterator<Item = (&str, &str)> {
        self.scope.fields.iter().chain(&self.extra).map(|(n, v)| (n.as_str(), v.as_str()))
    }

    /// The injective encoding of all fields (input of the context check).
    #[cfg(test)]
    pub(crate) fn encoded(&self) -> &[u8] {
        &self.encoded
    }

    /// The encoding of the non-scope fields, bound as associated data; the
    /// scope fields are bound through the derived key instead (SPEC.md §4).
    pub(crate) fn bound_encoded(&self) -> &[u8] {
        &self.bound_encoded
    }

    pub(crate) fn scope_encoded(&self) -> &[u8] {
        &self.scope.encoded
    }

    pub(crate) fn scope_hash(&self) -> u64 {
        self.scope.hash
    }

    /// The unkeyed 4-byte context check of v1 envelope headers (SPEC.md
    /// §3.5); v2's keyed check is the scope keys' (`ScopeKeys::check`).
    pub(crate) fn check(&self) -> [u8; 4] {
        self.check
    }

    /// Run `f` on the associated data (bound fields) of
    /// `self.clone().with_row(row)` without building that context (no
    /// allocation for the usual sizes): sealing with a row id per row is
    /// the policy engine's hot path. Fails as sealing with that context
    /// would: a row id over the limits, too many fields or a poisoned
    /// context give the poisoned context's error.
    pub(crate) fn row_binding<R>(&self, row: &str, f: impl FnOnce(&[u8]) -> R) -> Result<R> {
        const NAME: &[u8] = b"row";
        let poisoned = Error::Context(ContextError::FieldTooLong);
        if row.len() > MAX_FIELD_LEN
            || self.scope.fields.len() + self.extra.len() >= MAX_FIELDS
            || self.poisoned
        {
            return Err(poisoned);
        }
        // (`with` rebuilds a scope-less context whose fields come to start
        // with `table`, `column`: never the case after a `row` field.)
        // The encoding after `append_pair(.., "row", row)`: the field count
        // bumped by two, then the two length-prefixed fields.
        let bumped =
            |encoded: &[u8]| u16::from_be_bytes([encoded[0], encoded[1]]).saturating_add(2).to_be_bytes();
        let row_len = u16::try_from(row.len()).unwrap_or(u16::MAX).to_be_bytes();
        let name_len = u16::try_from(NAME.len()).unwrap_or(u16::MAX).to_be_bytes();
        let bound_len = self.bound_encoded.len() + 4 + NAME.len() + row.len();
        let write = |buf: &mut [u8]| {
            let base = &self.bound_encoded[2..];
            buf[..2].copy_from_slice(&bumped(&self.bound_encoded));
            let mut at = 2;
            for part in [base, &name_len, NAME, &row_len, row.as_bytes()] {
                buf[at..at + part.len()].copy_from_slice(part);
                at += part.len();
            }
            f(buf)
        };
        Ok(if bound_len <= 96 {
            write(&mut [0u8; 96][..bound_len])
        } else {
            write(&mut vec![0u8; bound_len])
        })
    }
}

fn is_scope(fields: &[(String, String)]) -> bool {
    fields.len() >= 2 && fields[0].0 == "table" && fields[1].0 == "column"
}

/// The domain tag of the context check.
const CHECK_TAG: &[u8] = b"desensitize.context.v1";

/// SHA-256("desensitize.context.v1" || enc(all fields))[..4] (SPEC.md §3.5).
fn context_check(encoded: &[u8]) -> [u8; 4] {
    let digest = Sha256::new().chain_update(CHECK_TAG).chain_update(encoded).finalize();
    let mut check = [0u8; 4];
    check.copy_from_slice(&digest[..4]);
    check
}

/// Append one `(name, value)` pair to a field encoding in place: bump the
/// field count by two and push both length-prefixed fields. Limits checked
/// by the caller keep every length and count within `u16`.
fn append_pair(encoded: &mut Vec<u8>, name: &str, value: &str) {
    let count = u16::from_be_bytes([encoded[0], encoded[1]]).saturating_add(2);
    encoded[..2].copy_from_slice(&count.to_be_bytes());
    for f in [name.as_bytes(), value.as_bytes()] {
        encoded.extend_from_slice(&u16::try_from(f.len()).unwrap_or(u16::MAX).to_be_bytes());
        encoded.extend_from_slice(f);
    }
}

fn check_field(s: &str) -> Result<()> {
    if s.len() > MAX_FIELD_LEN {
        return Err(Error::Context(ContextError::FieldTooLong));
    }
    Ok(())
}

impl PartialEq for Context {
    fn eq(&self, other: &Context) -> bool {
        self.encoded == other.encoded
            && self.scope.encoded == other.scope.encoded
            && self.poisoned == other.poisoned
    }
}

impl Eq for Context {}

impl Default for Context {
    fn default() -> Context {
        Context::none()
    }
}

impl fmt::Display for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (n, v)) in self.fields().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            write!(f, "{n}={v}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Context({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoding_is_injective() {
        let a = Context::new("users", "idnumber");
        let b = Context::new("usersid", "number");
        assert_ne!(a.encoded(), b.encoded());
        let c = Context::new("t", "c").with("a", "bc");
        let d = Context::new("t", "c").with("ab", "c");
        assert_ne!(c.encoded(), d.encoded());
        assert_ne!(c.check(), d.check());
    }

    #[test]
    fn row_binding_is_with_row() {
        let long = "9".repeat(MAX_FIELD_LEN);
        let bases = [
            Context::new("users", "id_number"),
            Context::none(),
            Context::none().with("table", "users"),
            Context::new("t", "c").with("tenant", "acme"),
        ];
        for base in &bases {
            for row in ["", "1", "0f8fad5b-d9cb-469f-a165-70867728950e", long.as_str()] {
                let full = base.clone().with_row(row);
                let bound = base.row_binding(row, |b| b.to_vec()).unwrap();
                assert_eq!(bound, full.bound_encoded());
            }
        }
        let too_long = "9".repeat(MAX_FIELD_LEN + 1);
        let err = bases[0].row_binding(&too_long, |_| ()).unwrap_err();
        assert!(matches!(err, Error::Context(ContextError::FieldTooLong)));
        assert!(bases[0].clone().with_row(&too_long).is_poisoned());
        let poisoned = Context::new(&too_long, "c");
        assert!(matches!(poisoned.row_binding("1", |_| ()), Err(Error::Context(ContextError::FieldTooLong))));
        let mut full = Context::new("t", "c");
        for i in 0..MAX_FIELDS - 2 {
            full = full.with("f", &i.to_string());
        }
        assert!(full.clone().with_row("1").is_poisoned());
        assert!(matches!(full.row_binding("1", |_| ()), Err(Error::Context(ContextError::FieldTooLong))));
    }

    #[test]
    fn scope_ignores_row() {
        let a = Context::new("users", "phone").with_row("1");
        let b = Context::new("users", "phone").with_row("2");
        assert_eq!(a.scope_encoded(), b.scope_encoded());
        assert_eq!(a.scope_hash(), b.scope_hash());
        assert_ne!(a.encoded(), b.encoded());
        assert_eq!(a.bound_encoded(), [0, 2, 0, 3, b'r', b'o', b'w', 0, 1, b'1']);
        assert_eq!(Context::new("users", "phone").bound_encoded(), [0, 0]);
    }

    #[test]
    fn scope_is_a_function_of_the_fields() {
        let built = Context::none().with("table", "users").with("column", "phone").with_row("1");
        let direct = Context::new("users", "phone").with_row("1");
        assert_eq!(built, direct);
        assert_eq!(built.scope_encoded(), direct.scope_encoded());
        assert_eq!(built.bound_encoded(), direct.bound_encoded());
        // Other leading names give an empty scope: everything is bound as AAD.
        let other = Context::none().with("tenant", "acme").with("table", "users");
        assert_eq!(other.scope_encoded(), [0, 0]);
        assert_eq!(other.bound_encoded(), other.encoded());
    }

    #[test]
    fn incremental_encodings_equal_a_rebuild() {
        let inc = Context::new("users", "phone").with_row("42").with("tenant", "acme");
        let fields: Vec<(String, String)> = inc.fields().map(|(n, v)| (n.to_owned(), v.to_owned())).collect();
        let rebuilt = Context::build(fields);
        assert_eq!(inc.encoded(), rebuilt.encoded());
        assert_eq!(inc.bound_encoded(), rebuilt.bound_encoded());
        assert_eq!(inc.scope_encoded(), rebuilt.scope_encoded());
        assert_eq!(inc.check(), rebuilt.check());
        assert_eq!(inc, rebuilt);
        let unscoped = Context::none().with("tenant", "acme").with("row", "1");
        let fields: Vec<(String, String)> =
            unscoped.fields().map(|(n, v)| (n.to_owned(), v.to_owned())).collect();
        assert_eq!(unscoped.encoded(), Context::build(fields).encoded());
    }

    #[test]
    fn limits() {
        let long = "x".repeat(MAX_FIELD_LEN + 1);
        assert!(Context::try_new(&long, "c").is_err());
        assert!(Context::new("t", "c").try_with("row", &long).is_err());
        assert!(Context::new("t", "c").with("row", &long).is_poisoned());
        let mut c = Context::new("t", "c");
        for i in 0..MAX_FIELDS - 2 {
            c = c.try_with("f", &i.to_string()).unwrap();
        }
        assert!(c.try_with("f", "x").is_err());
    }
}
