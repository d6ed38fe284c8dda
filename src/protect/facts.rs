//! Generalized facts of a value, written exactly as a policy's derived
//! columns are (`female`, `25-29`, `北京市`, `wx4g0`, ...).

use crate::generalize::{AgeBand, division, geohash, grid_cell};
use crate::policy::Fact;
use crate::{Address, Date, Error, GeoPoint, IdNumber, Sensitive};

/// The settings of the facts: age band width, geohash precision, grid size
/// (the defaults of a policy column: 5 years, 5 characters, 1 km).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FactOptions {
    /// The date ages are computed on.
    pub today: Date,
    /// Age band width in years.
    pub band_width: u32,
    /// Geohash precision in characters.
    pub precision: usize,
    /// Grid cell size in km.
    pub grid_km: f64,
}

impl Default for FactOptions {
    fn default() -> FactOptions {
        FactOptions { today: Date::today(), band_width: 5, precision: 5, grid_km: 1.0 }
    }
}

/// A kind with generalized facts.
pub trait Facts: Sensitive {
    /// The fact `fact` of the value.
    fn fact(&self, fact: Fact, opts: &FactOptions) -> Result<String, Error>;
}

fn not_for(_: Fact) -> Error {
    Error::Config("fact does not apply to this kind")
}

impl Facts for IdNumber {
    fn fact(&self, fact: Fact, o: &FactOptions) -> Result<String, Error> {
        Ok(match fact {
            Fact::Gender => self.gender().as_str().to_owned(),
            Fact::AgeBand => AgeBand::of(self.age_on(o.today), o.band_width)?.to_string(),
            Fact::Province => self.province().name().to_owned(),
            Fact::City => {
                let city = division::lookup(self.region_code()).and_then(|d| d.city());
                city.map_or(self.province().name(), |c| c.name()).to_owned()
            }
            Fact::BirthYear => self.birth_date().year().to_string(),
            Fact::BirthMonth => self.birth_date().to_year_month().to_string(),
            other => return Err(not_for(other)),
        })
    }
}

impl Facts for Address {
    fn fact(&self, fact: Fact, _: &FactOptions) -> Result<String, Error> {
        let region = self.generalize();
        Ok(match fact {
            Fact::Province => region.map_or("", |r| r.province().name()).to_owned(),
            Fact::City => {
                region.map_or("", |r| r.city().map_or(r.province().name(), |c| c.name())).to_owned()
            }
            other => return Err(not_for(other)),
        })
    }
}

impl Facts for GeoPoint {
    fn fact(&self, fact: Fact, o: &FactOptions) -> Result<String, Error> {
        Ok(match fact {
            Fact::Geohash => geohash(self, o.precision)?,
            Fact::Grid => {
                let (lat, lon) = grid_cell(self, o.grid_km)?.center();
                format!("{lat:.5},{lon:.5}")
            }
            other => return Err(not_for(other)),
        })
    }
}

/// One marker trait per fact, for a compile error that names the fact and
/// the kinds that have it (`on_unimplemented` takes literals only).
macro_rules! fact_marker {
    ($name:ident, $doc:literal, $msg:literal, $label:literal, $note:literal, [$($kind:ty),+]) => {
        #[doc = $doc]
        #[diagnostic::on_unimplemented(message = $msg, label = $label, note = $note)]
        pub trait $name {}
        $(impl $name for $kind {}
          impl $name for Option<$kind> {}
          impl $name for Vec<$kind> {})+
    };
}

fact_marker!(
    GenderFact,
    "A kind with the `gender` fact.",
    "`{Self}` has no `gender` fact",
    "`generalize(gender)` does not apply to this field",
    "`gender` is a fact of IdNumber",
    [IdNumber]
);
fact_marker!(
    AgeBandFact,
    "A kind with the `age_band` fact.",
    "`{Self}` has no `age_band` fact",
    "`generalize(age_band)` does not apply to this field",
    "`age_band` is a fact of IdNumber",
    [IdNumber]
);
fact_marker!(
    BirthYearFact,
    "A kind with the `birth_year` fact.",
    "`{Self}` has no `birth_year` fact",
    "`generalize(birth_year)` does not apply to this field",
    "`birth_year` is a fact of IdNumber",
    [IdNumber]
);
fact_marker!(
    BirthMonthFact,
    "A kind with the `birth_month` fact.",
    "`{Self}` has no `birth_month` fact",
    "`generalize(birth_month)` does not apply to this field",
    "`birth_month` is a fact of IdNumber",
    [IdNumber]
);
fact_marker!(
    ProvinceFact,
    "A kind with the `province` fact.",
    "`{Self}` has no `province` fact",
    "`generalize(province)` does not apply to this field",
    "`province` is a fact of IdNumber and Address",
    [IdNumber, Address]
);
fact_marker!(
    CityFact,
    "A kind with the `city` fact.",
    "`{Self}` has no `city` fact",
    "`generalize(city)` does not apply to this field",
    "`city` is a fact of IdNumber and Address",
    [IdNumber, Address]
);
fact_marker!(
    GeohashFact,
    "A kind with the `geohash` fact.",
    "`{Self}` has no `geohash` fact",
    "`generalize(geohash)` does not apply to this field",
    "`geohash` is a fact of GeoPoint",
    [GeoPoint]
);
fact_marker!(
    GridFact,
    "A kind with the `grid` fact.",
    "`{Self}` has no `grid` fact",
    "`generalize(grid)` does not apply to this field",
    "`grid` is a fact of GeoPoint",
    [GeoPoint]
);
