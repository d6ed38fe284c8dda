//! Batch operations over slices of values, in parallel with the `rayon` feature.
//!
//! Each function is the parallel form of one per-value method
//! ([`Keyring::seal`], [`Keyring::seal_text`], [`Keyring::open_text`],
//! [`Pseudonymizer::token`]). It returns one result per input, in input order, and never
//! stops at the first failure: the caller decides what a failed row means.
//! With the `rayon` feature the work is spread over rayon's global pool (or
//! the pool you `install`); without it, it runs on the calling thread.
//!
//! ```
//! use desensitize::{batch, Context, Keyring, MobilePhone};
//! use desensitize::pseudo::Domain;
//!
//! let keyring = Keyring::generate()?;
//! let phones: Vec<MobilePhone> =
//!     ["13800138000", "13900139000"].iter().map(|p| p.parse()).collect::<Result<_, _>>()?;
//!
//! let sealed = batch::seal_text_all(&keyring, &phones, |row| {
//!     Context::new("users", "phone").with_row(&row.to_string())
//! });
//! assert!(sealed.iter().all(|s| s.as_ref().is_ok_and(|t| t.starts_with("dz1."))));
//! let opened: Vec<desensitize::Result<MobilePhone>> = batch::open_text_all(
//!     &keyring,
//!     &sealed.into_iter().collect::<Result<Vec<_>, _>>()?,
//!     |row| Context::new("users", "phone").with_row(&row.to_string()),
//!     "export",
//! );
//! assert!(opened[1].as_ref().is_ok_and(|p| p.expose() == "13900139000"));
//!
//! let tokens = batch::pseudonymize_all(&keyring.pseudonymizer(&Domain::new("analytics")?)?, &phones);
//! assert_ne!(tokens[0], tokens[1]);
//! # Ok::<(), desensitize::Error>(())
//! ```

use std::borrow::Borrow;

#[cfg(feature = "rayon")]
use rayon::prelude::*;

use crate::crypto::random::ForkChecked;
use crate::error::Result;
use crate::keys::Keyring;
use crate::kind::Sealable;
use crate::pseudo::{Pseudonymizable, Pseudonymizer, Token};
use crate::seal::{Context, Sealed};

/// Map `f` over `values` with their index, in parallel when `rayon` is on.
/// Each thread that works on the call checks for a fork once, when it
/// takes up its share ([`ForkChecked`]), not once per nonce.
fn map_indexed<T: Sync, R: Send>(values: &[T], f: impl Fn(usize, &T) -> R + Sync + Send) -> Vec<R> {
    #[cfg(feature = "rayon")]
    {
        values.par_iter().enumerate().map_init(ForkChecked::enter, |_, (i, v)| f(i, v)).collect()
    }
    #[cfg(not(feature = "rayon"))]
    {
        let _checked = ForkChecked::enter();
        values.iter().enumerate().map(|(i, v)| f(i, v)).collect()
    }
}

/// Run `f` on this thread with the open cache of a batch call: opens inside
/// `f` keep the message key of a nonce group met twice in a row, so a
/// column sealed by a batch call (SPEC.md §3a.3) and opened in order derives
/// one key per group instead of one per value. For a loop of single-value
/// opens (`Keyring::open_text`, [`crate::columns::open_text`], …) over one
/// column, such as a binding's column function.
///
/// Only opens change: seals inside `f` draw fresh 24-byte nonces with the
/// per-draw fork check, as anywhere outside a batch call, so `f` may run any
/// code. The cache holds public nonce prefixes and the ciphers derived from
/// them, on this thread only, and is wiped when `f` returns.
///
/// ```
/// use desensitize::{batch, Context, Keyring, MobilePhone};
///
/// let keyring = Keyring::generate()?;
/// let ctx = Context::new("users", "phone");
/// let phones: Vec<MobilePhone> = vec!["13800138000".parse()?; 3];
/// let sealed = batch::seal_text_all(&keyring, &phones, |_| &ctx);
/// let opened = batch::with_open_cache(|| {
///     sealed.iter().map(|s| keyring.open_text::<MobilePhone>(s.as_ref().unwrap(), &ctx, "export")).collect::<Vec<_>>()
/// });
/// assert!(opened.iter().all(|p| p.as_ref().is_ok_and(|p| p.expose() == "13800138000")));
/// # Ok::<(), desensitize::Error>(())
/// ```
pub fn with_open_cache<R>(f: impl FnOnce() -> R) -> R {
    crate::crypto::group::with_open_cache(f)
}

/// Seal every value to its binary envelope (see [`Keyring::seal`]): for
/// BLOB / BYTEA columns. `context` and the nonce groups as for
/// [`seal_text_all`].
///
/// ```
/// use desensitize::{batch, Context, Keyring, MobilePhone};
///
/// let keyring = Keyring::generate()?;
/// let phones: Vec<MobilePhone> = vec!["13800138000".parse()?; 3];
/// let ctx = Context::new("users", "phone");
/// for sealed in batch::seal_all(&keyring, &phones, |_| &ctx) {
///     assert_eq!(keyring.open(&sealed?, &ctx, "check")?.expose(), "13800138000");
/// }
/// # Ok::<(), desensitize::Error>(())
/// ```
pub fn seal_all<T: Sealable, C: Borrow<Context>>(
    keyring: &Keyring,
    values: &[T],
    context: impl Fn(usize) -> C + Sync + Send,
) -> Vec<Result<Sealed<T>>> {
    map_indexed(values, |i, v| keyring.seal(v, context(i).borrow()))
}

/// Seal every value straight to the text form (see [`Keyring::seal_text`]).
///
/// `context(i)` gives row `i`'s [`Context`], owned (a per-row context) or
/// borrowed (`|_| &ctx`: one context for every value, not cloned per row).
///
/// Inside the call the 24-byte nonces are drawn in groups: values sealed
/// under one scope key on one thread share the first 12 bytes for up to
/// 4,096 seals, so the per-message key of XAES-256-GCM is derived once
/// per group (SPEC.md §3a.3). The envelopes are the same construction as
/// [`Keyring::seal_text`]'s and open anywhere.
///
/// ```
/// use desensitize::{batch, Context, Keyring, MobilePhone};
///
/// let keyring = Keyring::generate()?;
/// let phones: Vec<MobilePhone> = vec!["13800138000".parse()?; 3];
/// let ctx = Context::new("users", "phone");
/// let sealed = batch::seal_text_all(&keyring, &phones, |_| &ctx);
/// for text in sealed {
///     assert_eq!(keyring.open_text::<MobilePhone>(&text?, &ctx, "check")?.expose(), "13800138000");
/// }
/// # Ok::<(), desensitize::Error>(())
/// ```
pub fn seal_text_all<T: Sealable, C: Borrow<Context>>(
    keyring: &Keyring,
    values: &[T],
    context: impl Fn(usize) -> C + Sync + Send,
) -> Vec<Result<String>> {
    map_indexed(values, |i, v| keyring.seal_text(v, context(i).borrow()))
}

/// Open every text-form value for `purpose` (one audit event each);
/// `context` as for [`seal_text_all`].
pub fn open_text_all<T: Sealable, S: AsRef<str> + Sync, C: Borrow<Context>>(
    keyring: &Keyring,
    texts: &[S],
    context: impl Fn(usize) -> C + Sync + Send,
    purpose: &str,
) -> Vec<Result<T>> {
    map_indexed(texts, |i, t| keyring.open_text(t.as_ref(), context(i).borrow(), purpose))
}

/// The token of every value in the pseudonymizer's domain.
pub fn pseudonymize_all<T: Pseudonymizable>(tokens: &Pseudonymizer, values: &[T]) -> Vec<Token> {
    map_indexed(values, |_, v| tokens.token(v))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::IdNumber;

    #[test]
    fn order_is_preserved_and_failures_are_per_row() {
        let keyring = Keyring::generate().unwrap();
        let ids: Vec<IdNumber> = vec!["11010519491231002X".parse().unwrap(); 300];
        let ctx = |i: usize| Context::new("t", "id").with_row(&i.to_string());
        let sealed = seal_text_all(&keyring, &ids, ctx);
        assert_eq!(sealed.len(), 300);
        // Row i opens only under row i's context: proves the order.
        let texts: Vec<String> = sealed.into_iter().map(|r| r.unwrap()).collect();
        let opened: Vec<Result<IdNumber>> = open_text_all(&keyring, &texts, ctx, "test");
        assert!(opened.iter().all(|r| r.is_ok()));
        let shifted: Vec<Result<IdNumber>> = open_text_all(&keyring, &texts, |i| ctx(i + 1), "test");
        assert!(shifted.iter().all(|r| r.is_err()));
    }

    /// Binary seals inside a batch call take the nonce groups the text
    /// seals take (one `N[0..12]` per call and thread, distinct
    /// `N[12..24]`), outside one they draw all 24 bytes, and every one opens.
    #[test]
    fn binary_seals_are_grouped_inside_a_call_only() {
        use std::collections::HashSet;
        let keyring = Keyring::generate().unwrap();
        let id: IdNumber = "11010519491231002X".parse().unwrap();
        let ctx = Context::new("t", "id");
        let in_call: Vec<Sealed<IdNumber>> = {
            let _call = ForkChecked::enter().unwrap();
            (0..64).map(|_| keyring.seal(&id, &ctx).unwrap()).collect()
        };
        let single: Vec<Sealed<IdNumber>> = (0..8).map(|_| keyring.seal(&id, &ctx).unwrap()).collect();
        let halves = |s: &[Sealed<IdNumber>], at: usize| -> usize {
            s.iter().map(|s| s.as_bytes()[at..at + 12].to_vec()).collect::<HashSet<_>>().len()
        };
        assert_eq!((halves(&in_call, 12), halves(&in_call, 24)), (1, 64));
        assert_eq!(halves(&single, 12), 8);
        // seal_all is such a call on each thread (rayon may split it into
        // a few jobs, each its own group).
        let ids = vec![id.clone(); 256];
        let all: Vec<Sealed<IdNumber>> =
            seal_all(&keyring, &ids, |_| &ctx).into_iter().map(|r| r.unwrap()).collect();
        assert!(halves(&all, 12) < 64, "grouped");
        assert_eq!(halves(&all, 24), 256);
        for s in in_call.iter().chain(&single).chain(&all) {
            assert_eq!(keyring.open(s, &ctx, "test").unwrap(), id);
        }
    }
}
