//! Generalized facts of a value, written exactly as a policy's derived
//! columns are (`female`, `25-29`, `北京市`, `wx4g0`, ...).

use crate::generalize::{Regions, write_fact};
use crate::kind::KindValue;
use crate::policy::Fact;
use crate::{Address, Error, GeoPoint, IdNumber, Sensitive};

pub use crate::generalize::FactOptions;

/// A kind with generalized facts.
pub trait Facts: Sensitive {
    /// The fact `fact` of the value.
    fn fact(&self, fact: Fact, opts: &FactOptions) -> Result<String, Error>;
}

/// The fact through the one facts engine ([`crate::generalize::fact_of`]).
fn from_engine<T: KindValue>(value: &T, fact: Fact, opts: &FactOptions) -> Result<String, Error> {
    let mut out = String::new();
    write_fact(value.as_any_ref(), fact, opts, Regions::City, &mut out)?;
    Ok(out)
}

// One impl each (not a macro): the derive's compile errors list them.
impl Facts for IdNumber {
    fn fact(&self, fact: Fact, opts: &FactOptions) -> Result<String, Error> {
        from_engine(self, fact, opts)
    }
}

impl Facts for Address {
    fn fact(&self, fact: Fact, opts: &FactOptions) -> Result<String, Error> {
        from_engine(self, fact, opts)
    }
}

impl Facts for GeoPoint {
    fn fact(&self, fact: Fact, opts: &FactOptions) -> Result<String, Error> {
        from_engine(self, fact, opts)
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
