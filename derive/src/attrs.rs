//! Reading `#[protect(...)]` attributes into a checked model of the record.

use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::{Data, DeriveInput, Error, Fields, Ident, LitFloat, LitInt, LitStr, Result, Type, Visibility};

pub const FIELD_KEYS: &[&str] =
    &["seal", "subject", "blind_index", "pseudonym", "mask", "generalize", "public", "row_id", "nested"];
const FACTS: &[&str] =
    &["gender", "age_band", "province", "city", "birth_year", "birth_month", "geohash", "grid"];
const TRANSFORMS: &[(&str, &str)] =
    &[("full", "Full"), ("last4", "Last4"), ("birth_year", "BirthYear"), ("email_domain", "EmailDomain")];

pub struct Record {
    pub ident: Ident,
    pub vis: Visibility,
    pub table: String,
    pub fields: Vec<Field>,
}

pub struct Field {
    pub ident: Ident,
    pub ty: Type,
    pub role: Role,
}

pub enum Role {
    RowId,
    Public,
    Nested,
    Protected(Box<Protected>),
}

#[derive(Default)]
pub struct Protected {
    pub seal: Option<Span>,
    pub subject: Option<LitStr>,
    pub index: Option<Index>,
    pub pseudonym: Option<LitStr>,
    pub mask: Option<(String, Span)>,
    pub facts: Vec<(String, Span)>,
    pub band_width: Option<u32>,
    pub precision: Option<usize>,
    pub grid_km: Option<f64>,
}

pub struct Index {
    pub span: Span,
    pub bits: u8,
    /// The `Transform` variant name.
    pub transform: &'static str,
    /// The index's `pseudo::Domain` (`domain = "..."`).
    pub domain: Option<String>,
}

/// The valid name nearest to `key`, when it looks like a typo.
fn nearest(key: &str, valid: &[&'static str]) -> Option<&'static str> {
    let limit = (key.chars().count() / 3).clamp(1, 3);
    valid
        .iter()
        .map(|v| (distance(key, v), *v))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, v)| v)
}

/// Edit distance with swaps of neighbours counting 1 (`sael` is 1 from
/// `seal`): optimal string alignment, as the policy parser's suggestions.
fn distance(a: &str, b: &str) -> usize {
    strsim::osa_distance(a, b)
}

fn unknown(what: &str, key: &str, valid: &[&'static str], span: Span) -> Error {
    let hint = match nearest(key, valid) {
        Some(v) => format!("did you mean `{v}`? "),
        None => String::new(),
    };
    Error::new(span, format!("unknown {what} `{key}`: {hint}expected one of {}", valid.join(", ")))
}

pub fn parse(input: &DeriveInput) -> Result<Record> {
    if !input.generics.params.is_empty() {
        return Err(Error::new(input.generics.span(), "#[derive(Protect)] does not support generic records"));
    }
    let named = match &input.data {
        Data::Struct(s) => match &s.fields {
            Fields::Named(n) => &n.named,
            _ => {
                return Err(Error::new(
                    input.ident.span(),
                    "#[derive(Protect)] needs a struct with named fields",
                ));
            }
        },
        _ => {
            return Err(Error::new(
                input.ident.span(),
                "#[derive(Protect)] needs a struct with named fields",
            ));
        }
    };
    let table = parse_table(input)?;
    let mut errors: Option<Error> = None;
    let mut push = |e: Error| match &mut errors {
        Some(all) => all.combine(e),
        None => errors = Some(e),
    };
    let mut fields = Vec::new();
    for f in named {
        let ident = f.ident.clone().expect("named field");
        match parse_field(f, &ident) {
            Ok(role) => fields.push(Field { ident, ty: f.ty.clone(), role }),
            Err(e) => push(e),
        }
    }
    let record = Record { ident: input.ident.clone(), vis: input.vis.clone(), table, fields };
    if let Err(e) = check(&record) {
        push(e);
    }
    match errors {
        Some(e) => Err(e),
        None => Ok(record),
    }
}

fn parse_table(input: &DeriveInput) -> Result<String> {
    let mut table = None;
    for attr in input.attrs.iter().filter(|a| a.path().is_ident("protect")) {
        attr.parse_nested_meta(|meta| {
            let key = meta.path.get_ident().map(|i| i.to_string()).unwrap_or_default();
            if key != "table" {
                return Err(unknown("record key", &key, &["table"], meta.path.span()));
            }
            let lit: LitStr = meta.value()?.parse()?;
            if lit.value().is_empty() || lit.value().len() > 255 {
                return Err(Error::new(lit.span(), "the table name is 1 to 255 bytes"));
            }
            table = Some(lit.value());
            Ok(())
        })?;
    }
    table.ok_or_else(|| {
        Error::new(
            input.ident.span(),
            "add #[protect(table = \"...\")] to the record: sealed values are bound to a table name",
        )
    })
}

fn parse_field(f: &syn::Field, ident: &Ident) -> Result<Role> {
    let attrs: Vec<_> = f.attrs.iter().filter(|a| a.path().is_ident("protect")).collect();
    if attrs.is_empty() {
        return Err(Error::new(
            ident.span(),
            format!(
                "field `{ident}` is not classified: add #[protect(seal)] (with mask, pseudonym, blind_index, \
                 generalize as needed) for personal data, #[protect(public)] for data that is not, \
                 #[protect(row_id)] for the row id or #[protect(nested)] for a record"
            ),
        ));
    }
    let mut role: Option<Role> = None;
    let mut p = Protected::default();
    let mut seen: Vec<String> = Vec::new();
    for attr in attrs {
        attr.parse_nested_meta(|meta| {
            let span = meta.path.span();
            let key = meta.path.get_ident().map(|i| i.to_string()).unwrap_or_default();
            if !FIELD_KEYS.contains(&key.as_str()) {
                return Err(unknown("protect key", &key, FIELD_KEYS, span));
            }
            if seen.contains(&key) {
                return Err(Error::new(span, format!("`{key}` is given twice")));
            }
            seen.push(key.clone());
            match key.as_str() {
                "row_id" => role = Some(Role::RowId),
                "public" => role = Some(Role::Public),
                "nested" => role = Some(Role::Nested),
                "seal" => p.seal = Some(span),
                "subject" => p.subject = Some(meta.value()?.parse()?),
                "pseudonym" => p.pseudonym = Some(meta.value()?.parse()?),
                "mask" => p.mask = Some((parse_mask_level(&meta)?, span)),
                "blind_index" => p.index = Some(parse_index(&meta, span)?),
                "generalize" => parse_facts(&meta, &mut p)?,
                _ => unreachable!("checked against FIELD_KEYS"),
            }
            Ok(())
        })?;
    }
    match role {
        Some(r) => {
            if seen.len() > 1 {
                let alone =
                    seen.iter().find(|k| ["row_id", "public", "nested"].contains(&k.as_str())).unwrap();
                return Err(Error::new(
                    ident.span(),
                    format!("`{alone}` stands alone: remove the other protect keys of `{ident}`"),
                ));
            }
            Ok(r)
        }
        None => {
            if p.seal.is_none() {
                return Err(Error::new(
                    ident.span(),
                    format!(
                        "field `{ident}` is not sealed: the sealed record stores every field so that `open` can \
                         give the record back; add `seal` to its #[protect(...)], or use #[protect(public)] if it \
                         is not personal data"
                    ),
                ));
            }
            Ok(Role::Protected(Box::new(p)))
        }
    }
}

/// `mask` (the standard level) or `mask = "strict" | "standard" | "relaxed"`.
fn parse_mask_level(meta: &syn::meta::ParseNestedMeta<'_>) -> Result<String> {
    if !meta.input.peek(syn::Token![=]) {
        return Ok("standard".to_owned());
    }
    let lit: LitStr = meta.value()?.parse()?;
    if !["strict", "standard", "relaxed"].contains(&lit.value().as_str()) {
        return Err(Error::new(
            lit.span(),
            format!("unknown mask level {:?}: expected strict, standard or relaxed", lit.value()),
        ));
    }
    Ok(lit.value())
}

fn parse_index(meta: &syn::meta::ParseNestedMeta<'_>, span: Span) -> Result<Index> {
    let mut index = Index { span, bits: 0, transform: "Full", domain: None };
    let mut bits = None;
    if meta.input.peek(syn::token::Paren) {
        meta.parse_nested_meta(|m| {
            let key = m.path.get_ident().map(|i| i.to_string()).unwrap_or_default();
            match key.as_str() {
                "bits" => {
                    let lit: LitInt = m.value()?.parse()?;
                    match lit.base10_parse::<u8>() {
                        Ok(b) if (1..=64).contains(&b) => bits = Some(b),
                        _ => return Err(Error::new(lit.span(), "blind index bits must be 1 to 64")),
                    }
                }
                "transform" => {
                    let lit: LitStr = m.value()?.parse()?;
                    let names: Vec<&'static str> = TRANSFORMS.iter().map(|(n, _)| *n).collect();
                    index.transform = TRANSFORMS
                        .iter()
                        .find(|(n, _)| *n == lit.value())
                        .map(|(_, v)| *v)
                        .ok_or_else(|| unknown("transform", &lit.value(), &names, lit.span()))?;
                }
                // `name` is the key's old spelling, still read (undocumented).
                "domain" | "name" => index.domain = Some(m.value()?.parse::<LitStr>()?.value()),
                other => {
                    return Err(unknown(
                        "blind_index key",
                        other,
                        &["bits", "transform", "domain"],
                        m.path.span(),
                    ));
                }
            }
            Ok(())
        })?;
    }
    index.bits = bits.ok_or_else(|| {
        Error::new(span, "give the index length: blind_index(bits = N), see desensitize::pseudo::Planner")
    })?;
    Ok(index)
}

fn parse_facts(meta: &syn::meta::ParseNestedMeta<'_>, p: &mut Protected) -> Result<()> {
    meta.parse_nested_meta(|m| {
        let span = m.path.span();
        let fact = m.path.get_ident().map(|i| i.to_string()).unwrap_or_default();
        if !FACTS.contains(&fact.as_str()) {
            return Err(unknown("fact", &fact, FACTS, span));
        }
        if p.facts.iter().any(|(f, _)| *f == fact) {
            return Err(Error::new(span, format!("fact `{fact}` is given twice")));
        }
        if m.input.peek(syn::token::Paren) {
            m.parse_nested_meta(|o| {
                let key = o.path.get_ident().map(|i| i.to_string()).unwrap_or_default();
                match (fact.as_str(), key.as_str()) {
                    ("age_band", "width") => {
                        let lit: LitInt = o.value()?.parse()?;
                        match lit.base10_parse::<u32>() {
                            Ok(w) if (1..=50).contains(&w) => p.band_width = Some(w),
                            _ => return Err(Error::new(lit.span(), "age band width must be 1 to 50 years")),
                        }
                    }
                    ("geohash", "precision") => {
                        let lit: LitInt = o.value()?.parse()?;
                        match lit.base10_parse::<usize>() {
                            Ok(v) if (1..=12).contains(&v) => p.precision = Some(v),
                            _ => return Err(Error::new(lit.span(), "geohash precision must be 1 to 12")),
                        }
                    }
                    ("grid", "km") => {
                        let lit: LitFloat = o.value()?.parse()?;
                        match lit.base10_parse::<f64>() {
                            Ok(v) if (0.01..=1000.0).contains(&v) => p.grid_km = Some(v),
                            _ => return Err(Error::new(lit.span(), "grid cell size must be 0.01 to 1000 km")),
                        }
                    }
                    _ => {
                        return Err(Error::new(
                            o.path.span(),
                            "unknown fact option: expected age_band(width = N), geohash(precision = N) or grid(km = F)",
                        ));
                    }
                }
                Ok(())
            })?;
        }
        p.facts.push((fact, span));
        Ok(())
    })
}

/// Record-wide checks: one row id, subjects that exist, no clashing output names.
fn check(r: &Record) -> Result<()> {
    let mut errors: Vec<Error> = Vec::new();
    let mut row_id: Option<&Ident> = None;
    for f in &r.fields {
        if matches!(f.role, Role::RowId) {
            match row_id {
                Some(first) => errors.push(Error::new(
                    f.ident.span(),
                    format!("a record has one row id, and `{first}` is already it: remove #[protect(row_id)] from one"),
                )),
                None => row_id = Some(&f.ident),
            }
        }
    }
    let names: Vec<String> = r.fields.iter().map(|f| f.ident.to_string()).collect();
    for f in &r.fields {
        let Role::Protected(p) = &f.role else { continue };
        if let Some(s) = &p.subject {
            match r.fields.iter().find(|g| g.ident == s.value()).map(|g| &g.role) {
                Some(Role::RowId | Role::Public) => {}
                Some(_) => errors.push(Error::new(
                    s.span(),
                    format!(
                        "subject = {:?}: the subject id is stored in the clear to find the subject's key, so it \
                         must be the row id or a public field",
                        s.value()
                    ),
                )),
                None => errors.push(Error::new(s.span(), format!("subject = {:?}: no such field", s.value()))),
            }
        }
        for lit in p.pseudonym.iter() {
            check_domain(lit, &mut errors);
        }
        let mut extra: Vec<(String, Span)> = Vec::new();
        if let Some(ix) = &p.index {
            extra.push((format!("{}_index", f.ident), ix.span));
        }
        for (fact, span) in &p.facts {
            extra.push((format!("{}_{fact}", f.ident), *span));
        }
        for (name, span) in extra {
            if names.contains(&name) {
                errors.push(Error::new(
                    span,
                    format!("this adds the output field `{name}`, which the record already has: rename one"),
                ));
            }
        }
    }
    let mut errors = errors.into_iter();
    match errors.next() {
        None => Ok(()),
        Some(mut first) => {
            first.extend(errors);
            Err(first)
        }
    }
}

/// A pseudonym domain must be a valid `desensitize::pseudo::Domain` name.
fn check_domain(lit: &LitStr, errors: &mut Vec<Error>) {
    let name = lit.value();
    let ok = !name.is_empty()
        && name.len() <= 64
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b));
    if !ok {
        errors.push(Error::new(lit.span(), "a pseudonym domain is 1-64 characters of a-z 0-9 . _ -"));
    }
}
