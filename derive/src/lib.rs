//! `#[derive(Protect)]` for the `desensitize` crate: a record that seals,
//! masks, pseudonymizes and generalizes itself, and refuses to compile with
//! a field nobody classified. Use it through `desensitize::Protect`; what it
//! generates is documented in `desensitize::protect`.

use proc_macro::TokenStream;
use syn::{DeriveInput, parse_macro_input};

mod attrs;
mod expand;

/// Derive the protected forms of a record: see `desensitize::protect`.
#[proc_macro_derive(Protect, attributes(protect))]
pub fn derive_protect(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    match attrs::parse(&input) {
        Ok(record) => expand::expand(&record).into(),
        Err(e) => e.to_compile_error().into(),
    }
}
