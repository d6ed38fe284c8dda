//! Column processors: one per policy column with a kind. Each parses a
//! value once and writes its output cells (the main value, then the derived
//! facts); keys are resolved once, when the plan is compiled.

use std::fmt::Write as _;
use std::sync::Arc;

use super::apply::Cells;
use super::rules::{Action, ColumnRule, Fact};
use super::{PolicyError, Reason};
use crate::crypto::{ScopeCipher, envelope};
use crate::generalize::{AgeBand, division, geohash, grid_cell};
use crate::pseudo::{Domain, FpeCipher, IndexValue, Pseudonymizable, Pseudonymizer, Token, Transform};
use crate::{
    Address, BankCard, Biometric, Context, CreditCode, Date, Email, GeoPoint, IdNumber, Imei, IpAddress,
    Keyring, Kind, Landline, LicensePlate, MacAddress, MaskLevel, MobilePhone, Passport, PersonName,
    Sealable,
};

pub(super) fn reason(e: crate::Error) -> Reason {
    Reason::from(e)
}

/// The row id of the current row: not configured, not UTF-8, or the text.
#[derive(Clone, Copy)]
pub(super) enum RowId<'a> {
    None,
    Bad,
    Id(&'a str),
}

/// A policy column with a kind: parses each value once and writes its cells.
pub(super) trait Column: Send + Sync {
    /// Parse `text` and write this column's cells: the main value (only when
    /// `main`, else an empty cell) then the derived facts. `strict`: the row
    /// of a holder under 14 under `minors = "strict"`.
    fn process(
        &self,
        text: &str,
        row_id: RowId<'_>,
        main: bool,
        strict: bool,
        cells: &mut Cells,
    ) -> Result<(), Reason>;
}

struct FactOpts {
    today: Date,
    band_width: u32,
    precision: usize,
    grid_km: f64,
    /// Regions no finer than the province (`minors = "strict"`).
    coarse: bool,
}

/// Under `minors = "strict"`: geohash no finer than this (~1,250 x 625 km cells).
const MINOR_MAX_PRECISION: usize = 2;
/// Under `minors = "strict"`: grid cells at least this wide (about a province).
const MINOR_MIN_GRID_KM: f64 = 200.0;

type ParseFn<T> = fn(&str, Date) -> crate::Result<T>;
type FactFn<T> = fn(&T, Fact, &FactOpts, &mut Cells) -> Result<(), Reason>;
type TokenFn<T> = fn(&Pseudonymizer, &T) -> Token;
type IndexFn<T> =
    fn(&Keyring, &Domain, Transform, u8) -> crate::Result<Box<dyn Fn(&T) -> IndexValue + Send + Sync>>;
type FpeFn<T> = fn(&FpeCipher, &T, &mut Cells) -> crate::Result<()>;

enum Act<T> {
    Keep,
    Drop,
    Mask(MaskLevel),
    /// `resolved`: the sealing cipher, when it could be resolved at compile
    /// time (else each seal reports the key error, as the keyring does).
    Seal {
        keyring: Arc<Keyring>,
        base: Context,
        per_row: bool,
        resolved: Option<Box<ScopeCipher>>,
    },
    Pseudonym(Pseudonymizer, TokenFn<T>),
    Fpe(FpeCipher, FpeFn<T>),
    Index(Box<dyn Fn(&T) -> IndexValue + Send + Sync>),
    Generalize(Fact),
}

struct Typed<T> {
    parse: ParseFn<T>,
    act: Act<T>,
    derived: Vec<Fact>,
    facts: FactFn<T>,
    opts: FactOpts,
    /// The options for a minor's row under `minors = "strict"`.
    strict_opts: FactOpts,
}

impl<T: Sealable> Column for Typed<T> {
    fn process(
        &self,
        text: &str,
        row_id: RowId<'_>,
        main: bool,
        strict: bool,
        cells: &mut Cells,
    ) -> Result<(), Reason> {
        let v = (self.parse)(text, self.opts.today).map_err(reason)?;
        let opts = if strict { &self.strict_opts } else { &self.opts };
        if !main {
            if !matches!(self.act, Act::Drop) {
                cells.push(b"");
            }
        } else {
            match &self.act {
                Act::Keep => cells.push(text.as_bytes()),
                Act::Drop => {}
                Act::Mask(level) => {
                    cells.push(v.mask(if strict { MaskLevel::Strict } else { *level }).as_bytes())
                }
                Act::Seal { keyring, base, per_row, resolved } => {
                    let resolved = resolved.as_deref();
                    // The envelope is base64-encoded straight into the cell.
                    let into = |env: &[u8]| envelope::append_text(env, cells.pending_buf());
                    if *per_row {
                        let id = match row_id {
                            RowId::Id("") => return Err("the row id is empty".into()),
                            RowId::Id(id) => id,
                            RowId::Bad | RowId::None => return Err("the row id is not valid UTF-8".into()),
                        };
                        // Sealed for `base.with_row(id)`, without building it per row.
                        keyring.seal_envelope_by(&v, base, Some(id), resolved, into)
                    } else {
                        keyring.seal_envelope_by(&v, base, None, resolved, into)
                    }
                    .map_err(reason)?;
                    cells.close();
                }
                Act::Pseudonym(p, token) => {
                    let (text, len) = token(p, &v).text_bytes();
                    cells.push(&text[..len]);
                }
                Act::Fpe(cipher, fpe) => fpe(cipher, &v, cells).map_err(reason)?,
                Act::Index(index) => {
                    let _ = write!(cells, "{}", index(&v));
                    cells.close();
                }
                Act::Generalize(fact) => (self.facts)(&v, *fact, opts, cells)?,
            }
        }
        for f in &self.derived {
            (self.facts)(&v, *f, opts, cells)?;
        }
        Ok(())
    }
}

fn parse_str<T: core::str::FromStr<Err = crate::Error>>(s: &str, _: Date) -> crate::Result<T> {
    s.parse()
}

fn parse_id(s: &str, today: Date) -> crate::Result<IdNumber> {
    IdNumber::parse_on(s, today)
}

fn token<T: Pseudonymizable>(p: &Pseudonymizer, v: &T) -> Token {
    p.token(v)
}

#[allow(clippy::type_complexity)]
fn index<T: Pseudonymizable>(
    keyring: &Keyring,
    name: &Domain,
    transform: Transform,
    bits: u8,
) -> crate::Result<Box<dyn Fn(&T) -> IndexValue + Send + Sync>> {
    let ix = keyring.blind_index::<T>(name, transform, bits)?;
    Ok(Box::new(move |v: &T| ix.compute(v)))
}

fn fpe_id(c: &FpeCipher, v: &IdNumber, cells: &mut Cells) -> crate::Result<()> {
    cells.push(c.pseudonymize(v)?.expose().as_bytes());
    Ok(())
}

fn fpe_mobile(c: &FpeCipher, v: &MobilePhone, cells: &mut Cells) -> crate::Result<()> {
    cells.push(c.pseudonymize(v)?.expose().as_bytes());
    Ok(())
}

fn fpe_card(c: &FpeCipher, v: &BankCard, cells: &mut Cells) -> crate::Result<()> {
    cells.push(c.pseudonymize(v)?.expose().as_bytes());
    Ok(())
}

fn no_facts<T>(_: &T, _: Fact, _: &FactOpts, _: &mut Cells) -> Result<(), Reason> {
    Err("this kind has no generalized facts".into())
}

fn id_fact(v: &IdNumber, f: Fact, o: &FactOpts, cells: &mut Cells) -> Result<(), Reason> {
    match f {
        Fact::Gender => cells.push(v.gender().as_str().as_bytes()),
        Fact::AgeBand => {
            let band = AgeBand::of(v.age_on(o.today), o.band_width).map_err(reason)?;
            push_number(cells, band.low());
            match band.high() {
                Some(h) if h == band.low() => {}
                Some(h) => {
                    cells.pending_push(b'-');
                    push_number(cells, h);
                }
                None => cells.pending_push(b'+'),
            }
            cells.close();
        }
        Fact::Province => cells.push(v.province().name().as_bytes()),
        Fact::City if o.coarse => cells.push(v.province().name().as_bytes()),
        Fact::City => {
            let city = division::lookup(v.region_code()).and_then(|d| d.city());
            cells.push(city.map_or(v.province().name(), |c| c.name()).as_bytes());
        }
        Fact::BirthYear => {
            let _ = write!(cells, "{}", v.birth_date().year());
            cells.close();
        }
        Fact::BirthMonth => {
            let _ = write!(cells, "{}", v.birth_date().to_year_month());
            cells.close();
        }
        Fact::Geohash | Fact::Grid => return Err("fact does not apply to ID numbers".into()),
    }
    Ok(())
}

/// Decimal digits of `n`, without the formatting machinery.
fn push_number(cells: &mut Cells, n: u32) {
    cells.pending_extend(crate::digits::Decimal::new(n).as_bytes());
}

fn address_fact(v: &Address, f: Fact, o: &FactOpts, cells: &mut Cells) -> Result<(), Reason> {
    let region = v.generalize();
    match f {
        Fact::Province => cells.push(region.map_or("", |r| r.province().name()).as_bytes()),
        Fact::City if o.coarse => cells.push(region.map_or("", |r| r.province().name()).as_bytes()),
        Fact::City => {
            cells.push(region.map_or("", |r| r.city().map_or(r.province().name(), |c| c.name())).as_bytes())
        }
        _ => return Err("fact does not apply to addresses".into()),
    }
    Ok(())
}

fn geo_fact(v: &GeoPoint, f: Fact, o: &FactOpts, cells: &mut Cells) -> Result<(), Reason> {
    match f {
        Fact::Geohash => cells.push(geohash(v, o.precision).map_err(reason)?.as_bytes()),
        Fact::Grid => {
            let (lat, lon) = grid_cell(v, o.grid_km).map_err(reason)?.center();
            let _ = write!(cells, "{lat:.5},{lon:.5}");
            cells.close();
        }
        _ => return Err("fact does not apply to locations".into()),
    }
    Ok(())
}

/// What one kind offers beyond sealing and masking.
struct KindOps<T> {
    parse: ParseFn<T>,
    token: Option<TokenFn<T>>,
    index: Option<IndexFn<T>>,
    fpe: Option<FpeFn<T>>,
    facts: FactFn<T>,
}

impl<T: Pseudonymizable> KindOps<T> {
    fn pseudonymizable(parse: ParseFn<T>) -> KindOps<T> {
        KindOps { parse, token: Some(token::<T>), index: Some(index::<T>), fpe: None, facts: no_facts::<T> }
    }
}

pub(super) struct BuildEnv<'a> {
    pub keyring: Option<&'a Arc<Keyring>>,
    pub table: Option<&'a str>,
    pub per_row: bool,
    pub today: Date,
}

pub(super) fn build_column(
    c: &ColumnRule,
    kind: Kind,
    env: &BuildEnv<'_>,
) -> Result<Box<dyn Column>, PolicyError> {
    match kind {
        Kind::IdNumber => {
            typed(c, env, KindOps { fpe: Some(fpe_id), facts: id_fact, ..KindOps::pseudonymizable(parse_id) })
        }
        Kind::MobilePhone => typed(
            c,
            env,
            KindOps { fpe: Some(fpe_mobile), ..KindOps::pseudonymizable(parse_str::<MobilePhone>) },
        ),
        Kind::BankCard => {
            typed(c, env, KindOps { fpe: Some(fpe_card), ..KindOps::pseudonymizable(parse_str::<BankCard>) })
        }
        Kind::Address => {
            typed(c, env, KindOps { facts: address_fact, ..KindOps::pseudonymizable(parse_str::<Address>) })
        }
        Kind::GeoPoint => {
            typed(c, env, KindOps { facts: geo_fact, ..KindOps::pseudonymizable(parse_str::<GeoPoint>) })
        }
        Kind::Landline => typed(c, env, KindOps::pseudonymizable(parse_str::<Landline>)),
        Kind::Email => typed(c, env, KindOps::pseudonymizable(parse_str::<Email>)),
        Kind::PersonName => typed(c, env, KindOps::pseudonymizable(parse_str::<PersonName>)),
        Kind::IpAddress => typed(c, env, KindOps::pseudonymizable(parse_str::<IpAddress>)),
        Kind::MacAddress => typed(c, env, KindOps::pseudonymizable(parse_str::<MacAddress>)),
        Kind::Imei => typed(c, env, KindOps::pseudonymizable(parse_str::<Imei>)),
        Kind::Passport => typed(c, env, KindOps::pseudonymizable(parse_str::<Passport>)),
        Kind::LicensePlate => typed(c, env, KindOps::pseudonymizable(parse_str::<LicensePlate>)),
        Kind::CreditCode => typed(c, env, KindOps::pseudonymizable(parse_str::<CreditCode>)),
        Kind::Biometric => typed(
            c,
            env,
            KindOps {
                parse: parse_str::<Biometric>,
                token: None,
                index: None,
                fpe: None,
                facts: no_facts::<Biometric>,
            },
        ),
        other => Err(PolicyError::Column {
            column: c.name.clone(),
            reason: format!("kind {other} cannot be processed"),
        }),
    }
}

fn typed<T: Sealable>(
    c: &ColumnRule,
    env: &BuildEnv<'_>,
    ops: KindOps<T>,
) -> Result<Box<dyn Column>, PolicyError> {
    let col_err = |e: crate::Error| PolicyError::Key { column: c.name.clone(), source: e };
    let not_for = || PolicyError::Column {
        column: c.name.clone(),
        reason: format!("action \"{}\" does not apply", c.action.name()),
    };
    let keyring = || env.keyring.cloned().ok_or_else(|| PolicyError::NeedsKeys(c.name.clone()));
    let act = match &c.action {
        Action::Keep => Act::Keep,
        Action::Drop => Act::Drop,
        Action::Mask(level) => Act::Mask(*level),
        Action::Seal => {
            let table = env.table.ok_or_else(not_for)?;
            let base = Context::try_new(table, &c.name).map_err(col_err)?;
            let keyring = keyring()?;
            let resolved = keyring.scope_cipher_for(T::KIND, &base).ok().map(Box::new);
            Act::Seal { keyring, base, per_row: env.per_row, resolved }
        }
        Action::Pseudonym(domain) => {
            Act::Pseudonym(keyring()?.pseudonymizer(domain).map_err(col_err)?, ops.token.ok_or_else(not_for)?)
        }
        Action::Fpe(domain) => {
            Act::Fpe(keyring()?.fpe_cipher(domain).map_err(col_err)?, ops.fpe.ok_or_else(not_for)?)
        }
        Action::BlindIndex { name, transform, bits } => {
            let make = ops.index.ok_or_else(not_for)?;
            Act::Index(make(&*keyring()?, name, *transform, *bits).map_err(col_err)?)
        }
        Action::Generalize(f) => Act::Generalize(*f),
    };
    Ok(Box::new(Typed {
        parse: ops.parse,
        act,
        derived: c.derived.iter().map(|(f, _)| *f).collect(),
        facts: ops.facts,
        opts: FactOpts {
            today: env.today,
            band_width: c.band_width,
            precision: c.precision,
            grid_km: c.grid_km,
            coarse: false,
        },
        strict_opts: FactOpts {
            today: env.today,
            band_width: c.band_width,
            precision: c.precision.min(MINOR_MAX_PRECISION),
            grid_km: c.grid_km.max(MINOR_MIN_GRID_KM),
            coarse: true,
        },
    }))
}
