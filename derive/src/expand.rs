//! Code generation: the three views, the redacting `Debug`, the `Protect`
//! impl, the inherent methods and the compile-time checks.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;

use crate::attrs::{Field, Protected, Record, Role};

/// The library's support module, as the generated code names it.
fn lib() -> TokenStream {
    quote!(::desensitize::protect::__private)
}

fn level(name: &str) -> TokenStream {
    match name {
        "strict" => quote!(::desensitize::MaskLevel::Strict),
        "relaxed" => quote!(::desensitize::MaskLevel::Relaxed),
        _ => quote!(::desensitize::MaskLevel::Standard),
    }
}

fn fact_variant(fact: &str) -> TokenStream {
    let v = match fact {
        "gender" => "Gender",
        "age_band" => "AgeBand",
        "province" => "Province",
        "city" => "City",
        "birth_year" => "BirthYear",
        "birth_month" => "BirthMonth",
        "geohash" => "Geohash",
        _ => "Grid",
    };
    let v = format_ident!("{v}");
    quote!(::desensitize::policy::Fact::#v)
}

fn fact_marker(fact: &str) -> TokenStream {
    let l = lib();
    let camel: String = fact
        .split('_')
        .map(|w| {
            let mut c = w.chars();
            c.next().map(|f| f.to_ascii_uppercase().to_string() + c.as_str()).unwrap_or_default()
        })
        .collect();
    let marker = format_ident!("{camel}Fact");
    quote!(#l::#marker)
}

fn subject_expr(p: &Protected, owner: TokenStream) -> TokenStream {
    match &p.subject {
        Some(s) => {
            let f = format_ident!("{}", s.value());
            quote!(::core::option::Option::Some(&*::std::string::ToString::to_string(&#owner.#f)))
        }
        None => quote!(::core::option::Option::None),
    }
}

fn fact_options(p: &Protected) -> TokenStream {
    let band = p.band_width.unwrap_or(5);
    let precision = p.precision.unwrap_or(5);
    let grid = p.grid_km.unwrap_or(1.0);
    quote!(::desensitize::protect::FactOptions {
        today: at.today(), band_width: #band, precision: #precision, grid_km: #grid
    })
}

/// Compile-time checks, spanned at the field's type so that the error
/// points at the field.
fn checks(f: &Field) -> TokenStream {
    let l = lib();
    let ty = &f.ty;
    let span = ty.span();
    let mut out = TokenStream::new();
    match &f.role {
        Role::Nested => out.extend(quote_spanned!(span=> {
            const fn nested<T: ::desensitize::protect::Protect>() {}
            nested::<#ty>();
        })),
        Role::Protected(p) => {
            out.extend(quote_spanned!(span=> #l::assert_shape::<#ty>();));
            if p.seal.is_some() {
                out.extend(quote_spanned!(span=> #l::assert_seal::<#ty>();));
            }
            if p.pseudonym.is_some() {
                out.extend(quote_spanned!(span=> #l::assert_token::<#ty>();));
            }
            if p.index.is_some() {
                out.extend(quote_spanned!(span=> #l::assert_index::<#ty>();));
            }
            for (fact, _) in &p.facts {
                let marker = fact_marker(fact);
                out.extend(quote_spanned!(span=> {
                    const fn fact<T: #marker>() {}
                    fact::<#ty>();
                }));
            }
        }
        Role::RowId | Role::Public => {}
    }
    out
}

/// The generated pieces, one list per place in the output, filled field by
/// field in declaration order.
#[derive(Default)]
struct Parts {
    /// `.field(..)` calls of the redacting `Debug`.
    debug: Vec<TokenStream>,
    /// Compile-time checks, one block per field.
    checks: Vec<TokenStream>,
    /// Fields of the sealed, masked and analytics views.
    s_fields: Vec<TokenStream>,
    m_fields: Vec<TokenStream>,
    a_fields: Vec<TokenStream>,
    /// Field initializers of `seal_at`, `open_at`, `masked` and `analytics_at`.
    s_init: Vec<TokenStream>,
    o_init: Vec<TokenStream>,
    m_init: Vec<TokenStream>,
    a_init: Vec<TokenStream>,
    /// Statements of `policy_columns`.
    policy: Vec<TokenStream>,
    /// The row id of a record and of its sealed view (`None` when no field is the row id).
    row_id: Option<(TokenStream, TokenStream)>,
    /// Whether a field is sealed under a subject key.
    has_subject: bool,
}

pub fn expand(r: &Record) -> TokenStream {
    let mut parts = Parts::default();
    for f in &r.fields {
        parts.checks.push(checks(f));
        match &f.role {
            Role::RowId | Role::Public => plain_field(&mut parts, f, &r.vis),
            Role::Nested => nested_field(&mut parts, f, &r.vis),
            Role::Protected(p) => {
                protected_views(&mut parts, f, p, &r.vis);
                parts.policy.push(protected_policy(f, p));
            }
        }
    }
    let views = views(r, &parts);
    let protect = protect_impl(r, &parts);
    let inherent = inherent_impls(r, parts.has_subject);
    quote! { #views #protect #inherent }
}

/// A row id or public field: the same in every view, a `keep` policy column.
fn plain_field(parts: &mut Parts, f: &Field, vis: &syn::Visibility) {
    let (id, ty) = (&f.ident, &f.ty);
    let fname = id.to_string();
    let doc_kept = format!("`{fname}` as it is.");
    parts.debug.push(quote!(.field(#fname, &self.#id)));
    for fields in [&mut parts.s_fields, &mut parts.m_fields, &mut parts.a_fields] {
        fields.push(quote!(#[doc = #doc_kept] #vis #id: #ty));
    }
    let clone = quote!(#id: ::core::clone::Clone::clone(&self.#id));
    parts.s_init.push(clone.clone());
    parts.m_init.push(clone.clone());
    parts.a_init.push(clone);
    parts.o_init.push(quote!(#id: ::core::clone::Clone::clone(&sealed.#id)));
    parts.policy.push(quote! {
        policy.columns.insert(
            ::std::format!("{prefix}{}", #fname),
            ::desensitize::policy::ColumnSpec { action: "keep".into(), ..::core::default::Default::default() },
        );
    });
    if matches!(f.role, Role::RowId) {
        parts.row_id = Some((
            quote!(::core::option::Option::Some(::std::string::ToString::to_string(&self.#id))),
            quote!(::core::option::Option::Some(::std::string::ToString::to_string(&sealed.#id))),
        ));
        parts.policy.push(quote! {
            if prefix.is_empty() {
                policy.row_id = ::core::option::Option::Some(#fname.into());
            }
        });
    }
}

/// A nested record: each view holds the nested record's view, placed under the field's name.
fn nested_field(parts: &mut Parts, f: &Field, vis: &syn::Visibility) {
    let (id, ty) = (&f.ident, &f.ty);
    let fname = id.to_string();
    // Errors about a field's type point at the field.
    let span = ty.span();
    let p = quote_spanned!(span=> <#ty as ::desensitize::protect::Protect>);
    parts.debug.push(quote_spanned!(span=> .field(#fname, &self.#id)));
    let doc = format!("`{fname}`, a nested record.");
    parts.s_fields.push(
        quote_spanned!(span=> #[doc = #doc] #[serde(deserialize_with = #SCRUBBED)] #vis #id: #p::Sealed),
    );
    parts.m_fields.push(quote_spanned!(span=> #[doc = #doc] #vis #id: #p::Masked));
    parts.a_fields.push(quote_spanned!(span=> #[doc = #doc] #vis #id: #p::Analytics));
    parts.s_init.push(quote_spanned!(span=> #id: #p::seal_at(&self.#id, &at.nested(#fname))?));
    parts.o_init.push(quote_spanned!(span=> #id: #p::open_at(&sealed.#id, &at.nested(#fname), purpose)?));
    parts.m_init.push(quote_spanned!(span=> #id: #p::masked(&self.#id)));
    parts.a_init.push(quote_spanned!(span=> #id: #p::analytics_at(&self.#id, &at.nested(#fname))?));
    parts
        .policy
        .push(quote_spanned!(span=> #p::policy_columns(&::std::format!("{prefix}{}.", #fname), policy);));
}

/// A protected field in the three views: sealed (and its blind index),
/// masked, and its pseudonym and facts for analytics.
fn protected_views(parts: &mut Parts, f: &Field, p: &Protected, vis: &syn::Visibility) {
    let l = lib();
    let (id, ty) = (&f.ident, &f.ty);
    let fname = id.to_string();
    let span = ty.span();
    let shape = quote_spanned!(span=> <#ty as ::desensitize::protect::Shape>);
    parts.debug.push(quote_spanned!(span=> .field(#fname, &::desensitize::protect::Redacted)));
    parts.has_subject |= p.subject.is_some();

    let doc = format!("`{fname}`, sealed.");
    parts.s_fields.push(quote_spanned!(span=> #[doc = #doc] #[serde(deserialize_with = #SCRUBBED)]
            #vis #id: #shape::Map<::desensitize::Sealed<#shape::Kind>>));
    let subj = subject_expr(p, quote_spanned!(span=> self));
    parts.s_init.push(quote_spanned!(span=> #id: #l::seal::<#ty>(&self.#id, at, #fname, #subj)?));
    let subj = subject_expr(p, quote_spanned!(span=> sealed));
    parts.o_init.push(quote_spanned!(span=> #id: #l::open::<#ty>(&sealed.#id, at, #fname, #subj, purpose)?));
    if let Some(ix) = &p.index {
        blind_index_field(parts, f, ix, vis);
    }

    let lvl = level(p.mask.as_ref().map_or("standard", |(l, _)| l.as_str()));
    let doc = format!("`{fname}`, masked.");
    parts.m_fields.push(quote_spanned!(span=> #[doc = #doc] #vis #id: #shape::Map<::std::string::String>));
    parts.m_init.push(quote_spanned!(span=> #id: #l::mask::<#ty>(&self.#id, #lvl)));

    if let Some(domain) = &p.pseudonym {
        let doc = format!("`{fname}`, as its pseudonym.");
        parts
            .a_fields
            .push(quote_spanned!(span=> #[doc = #doc] #vis #id: #shape::Map<::desensitize::pseudo::Token>));
        parts.a_init.push(quote_spanned!(span=> #id: #l::pseudonym::<#ty>(&self.#id, at, #fname, #domain)?));
    }
    fact_fields(parts, f, p, vis);
}

/// The `NAME_index` field of the sealed view.
fn blind_index_field(parts: &mut Parts, f: &Field, ix: &crate::attrs::Index, vis: &syn::Visibility) {
    let l = lib();
    let (id, ty) = (&f.ident, &f.ty);
    let fname = id.to_string();
    let span = ty.span();
    let shape = quote_spanned!(span=> <#ty as ::desensitize::protect::Shape>);
    let ix_id = format_ident!("{id}_index");
    let doc = format!("The blind index of `{fname}` (lower-case hex).");
    parts.s_fields.push(quote_spanned!(span=> #[doc = #doc] #[serde(deserialize_with = #SCRUBBED)]
        #vis #ix_id: #shape::Map<::std::string::String>));
    let (bits, tr) = (ix.bits, format_ident!("{}", ix.transform));
    let domain = match &ix.domain {
        Some(d) => quote_spanned!(span=> ::core::option::Option::Some(#d)),
        None => quote_spanned!(span=> ::core::option::Option::None),
    };
    parts.s_init.push(quote_spanned!(span=> #ix_id: #l::blind_index::<#ty>(
        &self.#id, at, #fname, #domain, ::desensitize::pseudo::Transform::#tr, #bits)?));
}

/// The `NAME_FACT` fields of the analytics view.
fn fact_fields(parts: &mut Parts, f: &Field, p: &Protected, vis: &syn::Visibility) {
    let (id, ty) = (&f.ident, &f.ty);
    let fname = id.to_string();
    let span = ty.span();
    let shape = quote_spanned!(span=> <#ty as ::desensitize::protect::Shape>);
    let opts = fact_options(p);
    for (fact, _) in &p.facts {
        let fid = format_ident!("{id}_{fact}");
        let doc = format!("The {fact} of `{fname}`.");
        let variant = fact_variant(fact);
        parts
            .a_fields
            .push(quote_spanned!(span=> #[doc = #doc] #vis #fid: #shape::Map<::std::string::String>));
        parts.a_init.push(quote_spanned!(span=> #fid: ::desensitize::protect::__private::fact::<#ty>(
            &self.#id, #fname, at, #variant, #opts)?));
    }
}

/// The policy column of a protected field: the pseudonym when there is one
/// (what an exported file shares), else the sealed value; facts derived.
fn protected_policy(f: &Field, p: &Protected) -> TokenStream {
    let (id, ty) = (&f.ident, &f.ty);
    let fname = id.to_string();
    let span = ty.span();
    let shape = quote_spanned!(span=> <#ty as ::desensitize::protect::Shape>);
    let action = if p.pseudonym.is_some() { "pseudonym" } else { "seal" };
    let domain = match &p.pseudonym {
        Some(d) => quote_spanned!(span=> ::core::option::Option::Some(#d.into())),
        None => quote_spanned!(span=> ::core::option::Option::None),
    };
    let facts: Vec<TokenStream> = p
        .facts
        .iter()
        .map(
            |(fact, _)| quote_spanned!(span=> (#fact.into(), ::std::format!("{prefix}{}_{}", #fname, #fact))),
        )
        .collect();
    let generalize = if facts.is_empty() {
        quote_spanned!(span=> ::core::option::Option::None)
    } else {
        quote_spanned!(span=> ::core::option::Option::Some([#(#facts),*].into_iter().collect()))
    };
    let opt = |v: Option<TokenStream>| match v {
        Some(v) => quote_spanned!(span=> ::core::option::Option::Some(#v)),
        None => quote_spanned!(span=> ::core::option::Option::None),
    };
    let band = opt(p.band_width.map(|w| {
        let w = i64::from(w);
        quote_spanned!(span=> #w)
    }));
    let precision = opt(p.precision.map(|v| {
        let v = v as i64;
        quote_spanned!(span=> #v)
    }));
    let grid = opt(p.grid_km.map(|v| quote_spanned!(span=> #v)));
    quote_spanned! {span=>
        ::desensitize::protect::__private::policy_column::<#ty>(
            policy,
            ::std::format!("{prefix}{}", #fname),
            ::desensitize::policy::ColumnSpec {
                action: #action.into(),
                kind: ::core::option::Option::Some(
                    <#shape::Kind as ::desensitize::Sensitive>::KIND.as_str().into()),
                domain: #domain,
                generalize: #generalize,
                band_width: #band,
                precision: #precision,
                grid_km: #grid,
                ..::core::default::Default::default()
            },
        );
    }
}

/// How the stored form reads a sealed, blind-index or nested field: errors
/// name a bad value's type, never the value (`protect::__private::scrubbed`).
const SCRUBBED: &str = "::desensitize::protect::__private::scrubbed";

/// The compile-time checks, the redacting `Debug` and the three view structs.
fn views(r: &Record, parts: &Parts) -> TokenStream {
    let l = lib();
    let (name, vis) = (&r.ident, &r.vis);
    let sealed = format_ident!("{name}Sealed");
    let masked = format_ident!("{name}Masked");
    let analytics = format_ident!("{name}Analytics");
    let serde_attr = quote!(#[serde(crate = "::desensitize::protect::__private::serde")]);
    let Parts { checks, debug, s_fields, m_fields, a_fields, .. } = parts;
    let s_doc = format!(
        "`{name}` as stored: sealed fields as `dz1.` text, blind indexes, public fields as they are."
    );
    let m_doc = format!("`{name}` with every protected field masked: to return from an API or to log.");
    let a_doc = format!("`{name}` for analytics: pseudonyms, generalized facts and public fields.");
    quote! {
        const _: () = { #(#checks)* };

        impl ::core::fmt::Debug for #name {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.debug_struct(::core::stringify!(#name)) #(#debug)* .finish()
            }
        }

        #[doc = #s_doc]
        #[derive(::core::fmt::Debug, #l::serde::Serialize, #l::serde::Deserialize)]
        #serde_attr
        #vis struct #sealed { #(#s_fields,)* }

        #[doc = #m_doc]
        #[derive(::core::fmt::Debug, #l::serde::Serialize)]
        #serde_attr
        #vis struct #masked { #(#m_fields,)* }

        #[doc = #a_doc]
        #[derive(::core::fmt::Debug, #l::serde::Serialize)]
        #serde_attr
        #vis struct #analytics { #(#a_fields,)* }
    }
}

/// `impl Protect`: the views built field by field, and the policy columns.
fn protect_impl(r: &Record, parts: &Parts) -> TokenStream {
    let (name, table) = (&r.ident, &r.table);
    let sealed = format_ident!("{name}Sealed");
    let masked = format_ident!("{name}Masked");
    let analytics = format_ident!("{name}Analytics");
    let Parts { s_init, o_init, m_init, a_init, policy, .. } = parts;
    let none = quote!(::core::option::Option::None);
    let (row_id, sealed_row_id) = parts.row_id.clone().unwrap_or_else(|| (none.clone(), none));
    quote! {
        impl ::desensitize::protect::Protect for #name {
            type Sealed = #sealed;
            type Masked = #masked;
            type Analytics = #analytics;
            const TABLE: &'static str = #table;

            fn row_id(&self) -> ::core::option::Option<::std::string::String> { #row_id }

            fn sealed_row_id(sealed: &#sealed) -> ::core::option::Option<::std::string::String> {
                #sealed_row_id
            }

            fn seal_at(&self, at: &::desensitize::protect::Place<'_>)
                -> ::core::result::Result<#sealed, ::desensitize::protect::RecordError> {
                ::core::result::Result::Ok(#sealed { #(#s_init,)* })
            }

            fn open_at(sealed: &#sealed, at: &::desensitize::protect::Place<'_>, purpose: &str)
                -> ::core::result::Result<Self, ::desensitize::protect::RecordError> {
                ::core::result::Result::Ok(#name { #(#o_init,)* })
            }

            fn masked(&self) -> #masked {
                #masked { #(#m_init,)* }
            }

            fn analytics_at(&self, at: &::desensitize::protect::Place<'_>)
                -> ::core::result::Result<#analytics, ::desensitize::protect::RecordError> {
                ::core::result::Result::Ok(#analytics { #(#a_init,)* })
            }

            fn policy_columns(prefix: &str, policy: &mut ::desensitize::policy::Policy) {
                #(#policy)*
            }
        }
    }
}

/// The inherent methods of the record (`seal`, `masked`, `analytics`,
/// `analytics_on`, `policy`) and of its sealed view (`open`).
fn inherent_impls(r: &Record, has_subject: bool) -> TokenStream {
    let (name, vis, table) = (&r.ident, &r.vis, &r.table);
    let sealed = format_ident!("{name}Sealed");
    let masked = format_ident!("{name}Masked");
    let analytics = format_ident!("{name}Analytics");
    let (store_param, store_arg) = if has_subject {
        (
            quote!(subjects: &dyn ::desensitize::keys::SubjectKeyStore,),
            quote!(::core::option::Option::Some(subjects)),
        )
    } else {
        (quote!(), quote!(::core::option::Option::None))
    };
    let seal_doc = format!(
        "Seal every protected field for storage, bound to table `{table}`, its field and the row id."
    );
    quote! {
        impl #name {
            #[doc = #seal_doc]
            #vis fn seal(&self, keyring: &::desensitize::Keyring, #store_param)
                -> ::core::result::Result<#sealed, ::desensitize::protect::RecordError> {
                let at = ::desensitize::protect::Place::new(
                    keyring, #store_arg, #table,
                    <Self as ::desensitize::protect::Protect>::row_id(self),
                    ::desensitize::Date::today(),
                );
                <Self as ::desensitize::protect::Protect>::seal_at(self, &at)
            }

            /// Every protected field masked (the level named in its attribute, else standard).
            #vis fn masked(&self) -> #masked {
                <Self as ::desensitize::protect::Protect>::masked(self)
            }

            /// Pseudonyms and generalized facts, ages computed today (China time).
            #vis fn analytics(&self, keyring: &::desensitize::Keyring)
                -> ::core::result::Result<#analytics, ::desensitize::protect::RecordError> {
                self.analytics_on(keyring, ::desensitize::Date::today())
            }

            /// Pseudonyms and generalized facts, ages computed on `today`.
            #vis fn analytics_on(&self, keyring: &::desensitize::Keyring, today: ::desensitize::Date)
                -> ::core::result::Result<#analytics, ::desensitize::protect::RecordError> {
                let at = ::desensitize::protect::Place::new(
                    keyring, ::core::option::Option::None, #table,
                    <Self as ::desensitize::protect::Protect>::row_id(self), today,
                );
                <Self as ::desensitize::protect::Protect>::analytics_at(self, &at)
            }

            /// The same rules as a record policy, for `desensitize run` and `Plan`.
            #vis fn policy() -> ::desensitize::policy::Policy {
                <Self as ::desensitize::protect::Protect>::policy()
            }
        }

        impl #sealed {
            /// Open every sealed field (each open audited, for `purpose`).
            #vis fn open(&self, keyring: &::desensitize::Keyring, #store_param purpose: &str)
                -> ::core::result::Result<#name, ::desensitize::protect::RecordError> {
                let at = ::desensitize::protect::Place::new(
                    keyring, #store_arg, #table,
                    <#name as ::desensitize::protect::Protect>::sealed_row_id(self),
                    ::desensitize::Date::today(),
                );
                <#name as ::desensitize::protect::Protect>::open_at(self, &at, purpose)
            }

            /// Open every sealed field as `who`, through the keyring's access
            /// rules (a field the role may see only masked fails the record).
            #vis fn open_as(&self, keyring: &::desensitize::Keyring, #store_param
                who: &::desensitize::access::Principal, purpose: &str)
                -> ::core::result::Result<#name, ::desensitize::protect::RecordError> {
                let at = ::desensitize::protect::Place::new(
                    keyring, #store_arg, #table,
                    <#name as ::desensitize::protect::Protect>::sealed_row_id(self),
                    ::desensitize::Date::today(),
                ).with_principal(who);
                <#name as ::desensitize::protect::Protect>::open_at(self, &at, purpose)
            }
        }
    }
}
