//! Column processors: one per policy column with a kind. Each parses a
//! value once and writes its output cells (the main value, then the derived
//! facts); keys are resolved once, when the plan is compiled.

use std::any::Any;
use std::fmt::Write as _;
use std::sync::Arc;

use zeroize::Zeroizing;

use super::apply::Cells;
use super::rules::{Action, ColumnRule, Fact};
use super::{PolicyError, Reason};
use crate::columns::{Visit, visit};
use crate::crypto::{ScopeCipher, envelope};
use crate::generalize::{FactOptions, Regions, write_fact};
use crate::kind::{AnyRef, KindValue};
use crate::pseudo::{
    Domain, FormatPreserving, FpeCipher, IndexValue, Pseudonymizable, Pseudonymizer, Token, Transform,
};
use crate::{Context, Date, IdNumber, Keyring, Kind, MaskLevel, Sealable};

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

    /// [`Column::process`] of `text` already parsed as `id` (by the
    /// minors rule, on the same date): the value is used when this column
    /// is of kind ID number, else `text` is parsed.
    fn process_id(
        &self,
        id: &IdNumber,
        text: &str,
        row_id: RowId<'_>,
        main: bool,
        strict: bool,
        cells: &mut Cells,
    ) -> Result<(), Reason>;
}

/// The facts' settings and how fine their regions may be.
struct FactOpts {
    opts: FactOptions,
    /// Regions no finer than the province under `minors = "strict"`.
    regions: Regions,
}

/// Under `minors = "strict"`: geohash no finer than this (~1,250 x 625 km cells).
const MINOR_MAX_PRECISION: usize = 2;
/// Under `minors = "strict"`: grid cells at least this wide (about a province).
const MINOR_MIN_GRID_KM: f64 = 200.0;

type TokenFn<T> = fn(&Pseudonymizer, &T) -> Token;
type IndexFn<T> = Box<dyn Fn(&T) -> IndexValue + Send + Sync>;
type MakeIndexFn<T> = fn(&Keyring, &Domain, Transform, u8) -> crate::Result<IndexFn<T>>;
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
    Index(IndexFn<T>),
    Generalize(Fact),
}

struct Typed<T> {
    act: Act<T>,
    derived: Vec<Fact>,
    opts: FactOpts,
    /// The options for a minor's row under `minors = "strict"`.
    strict_opts: FactOpts,
}

impl<T: Sealable + KindValue> Column for Typed<T> {
    fn process(
        &self,
        text: &str,
        row_id: RowId<'_>,
        main: bool,
        strict: bool,
        cells: &mut Cells,
    ) -> Result<(), Reason> {
        let v = T::parse_on(text, self.opts.opts.today).map_err(reason)?;
        self.write(&v, text, row_id, main, strict, cells)
    }

    fn process_id(
        &self,
        id: &IdNumber,
        text: &str,
        row_id: RowId<'_>,
        main: bool,
        strict: bool,
        cells: &mut Cells,
    ) -> Result<(), Reason> {
        match (id as &dyn Any).downcast_ref::<T>() {
            Some(v) => self.write(v, text, row_id, main, strict, cells),
            None => self.process(text, row_id, main, strict, cells),
        }
    }
}

impl<T: Sealable + KindValue> Typed<T> {
    /// Write the cells of `v` (parsed from `text`). Inlined into both
    /// callers: the common one, `process`, then costs no call.
    #[inline(always)]
    fn write(
        &self,
        v: &T,
        text: &str,
        row_id: RowId<'_>,
        main: bool,
        strict: bool,
        cells: &mut Cells,
    ) -> Result<(), Reason> {
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
                    let level = if strict { MaskLevel::Strict } else { *level };
                    cells.push_text(|out| push_mask(v, level, out))
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
                        keyring.seal_envelope_by(v, base, Some(id), resolved, into)
                    } else {
                        keyring.seal_envelope_by(v, base, None, resolved, into)
                    }
                    .map_err(reason)?;
                    cells.close();
                }
                Act::Pseudonym(p, token) => {
                    let (text, len) = token(p, v).text_bytes();
                    cells.push(&text[..len]);
                }
                Act::Fpe(cipher, fpe) => fpe(cipher, v, cells).map_err(reason)?,
                Act::Index(index) => {
                    let _ = write!(cells, "{}", index(v));
                    cells.close();
                }
                Act::Generalize(fact) => fact_cell(v, *fact, opts, cells)?,
            }
        }
        for f in &self.derived {
            fact_cell(v, *f, opts, cells)?;
        }
        Ok(())
    }
}

/// The mask of `v` at `level`, appended to `out`: the kinds whose mask is
/// written in place (the numbers of the bench policy) without a `String`
/// of their own; the others through [`Sensitive::mask`](crate::Sensitive::mask).
#[inline]
fn push_mask<T: KindValue>(v: &T, level: MaskLevel, out: &mut String) {
    match v.as_any_ref() {
        AnyRef::MobilePhone(p) => p.push_mask(level, out),
        AnyRef::IdNumber(id) => id.push_mask(level, out),
        AnyRef::BankCard(card) => card.push_mask(level, out),
        _ => out.push_str(&v.mask(level)),
    }
}

/// One derived cell: the fact, from the one facts engine.
#[inline]
fn fact_cell<T: KindValue>(v: &T, fact: Fact, o: &FactOpts, cells: &mut Cells) -> Result<(), Reason> {
    write_fact(v.as_any_ref(), fact, &o.opts, o.regions, cells).map_err(reason)?;
    cells.close();
    Ok(())
}

fn token<T: Pseudonymizable>(p: &Pseudonymizer, v: &T) -> Token {
    p.token(v)
}

fn fpe<T: FormatPreserving + KindValue>(c: &FpeCipher, v: &T, cells: &mut Cells) -> crate::Result<()> {
    let mut text = Zeroizing::new(String::new());
    c.pseudonymize(v)?.canonical_text_into(&mut text);
    cells.push(text.as_bytes());
    Ok(())
}

fn index<T: Pseudonymizable>(
    keyring: &Keyring,
    name: &Domain,
    transform: Transform,
    bits: u8,
) -> crate::Result<IndexFn<T>> {
    let ix = keyring.blind_index::<T>(name, transform, bits)?;
    Ok(Box::new(move |v: &T| ix.compute(v)))
}

/// What one kind offers beyond sealing and masking.
struct KindOps<T> {
    token: Option<TokenFn<T>>,
    index: Option<MakeIndexFn<T>>,
    fpe: Option<FpeFn<T>>,
}

pub(super) struct BuildEnv<'a> {
    pub keyring: Option<&'a Arc<Keyring>>,
    pub table: Option<&'a str>,
    pub per_row: bool,
    pub today: Date,
}

/// The column processor for `c`, of `kind`: the typed [`Typed`] for the
/// kind, chosen by the one run-time dispatch ([`visit`]).
pub(super) fn build_column(
    c: &ColumnRule,
    kind: Kind,
    env: &BuildEnv<'_>,
) -> Result<Box<dyn Column>, PolicyError> {
    struct Build<'a>(&'a ColumnRule, &'a BuildEnv<'a>);
    type Out = Result<Box<dyn Column>, PolicyError>;
    impl Visit for Build<'_> {
        type Out = Out;
        fn hashed(self, kind: Kind) -> Out {
            Err(PolicyError::Column {
                column: self.0.name.clone(),
                reason: format!("kind {kind} cannot be processed"),
            })
        }
        fn sealable<T: Sealable + KindValue>(self) -> Out {
            typed::<T>(self.0, self.1, KindOps { token: None, index: None, fpe: None })
        }
        fn pseudonymizable<T: Pseudonymizable + KindValue>(self) -> Out {
            typed::<T>(
                self.0,
                self.1,
                KindOps { token: Some(token::<T>), index: Some(index::<T>), fpe: None },
            )
        }
        fn format_preserving<T: FormatPreserving + KindValue>(self) -> Out {
            typed::<T>(
                self.0,
                self.1,
                KindOps { token: Some(token::<T>), index: Some(index::<T>), fpe: Some(fpe::<T>) },
            )
        }
    }
    visit(kind, Build(c, env))
}

fn typed<T: Sealable + KindValue>(
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
    let opts = FactOptions {
        today: env.today,
        band_width: c.band_width,
        precision: c.precision,
        grid_km: c.grid_km,
    };
    let strict = FactOptions {
        precision: c.precision.min(MINOR_MAX_PRECISION),
        grid_km: c.grid_km.max(MINOR_MIN_GRID_KM),
        ..opts
    };
    Ok(Box::new(Typed {
        act,
        derived: c.derived.iter().map(|(f, _)| *f).collect(),
        opts: FactOpts { opts, regions: Regions::City },
        strict_opts: FactOpts { opts: strict, regions: Regions::Province },
    }))
}
