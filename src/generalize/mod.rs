//! Generalization: coarse values for statistics.
//!
//! Privacy policies promise analysts "female, 25-29 years old, located in
//! Beijing", never the ID number. This module produces exactly that kind of
//! value: age bands, province and prefecture-level city from the embedded
//! GB/T 2260 table ([`division`]), year or year-month dates, grid cells and
//! geohashes for locations, and a k-anonymity check with suppression of
//! small classes.
//!
//! ```
//! use desensitize::{Date, IdNumber};
//!
//! let id: IdNumber = "11010519491231002X".parse()?;
//! let profile = id.generalize(Date::new(2024, 12, 31).unwrap(), 5)?;
//! assert_eq!(profile.to_string(), "female, 75-79, 北京市 (Beijing)");
//! assert_eq!(profile.city().map(|c| c.name()), Some("北京市"));
//! # Ok::<(), desensitize::Error>(())
//! ```
//!
//! Generalizing one field does not anonymize a record, and coarsening one
//! location does not anonymize a trace: see `SECURITY.md`.

pub mod division;
mod facts;
mod gbt2260;
mod geo;
mod kanon;

pub use division::{City, District, Division};
pub use facts::{
    Attribute, Fact, FactOptions, MIN_CANDIDATES, describe, describe_mask, fact_of, id_number_candidates,
};
pub(crate) use facts::{Regions, write_fact};
pub use geo::{GridCell, geohash, grid_cell};
pub use kanon::{EquivalenceClasses, Suppression};

use core::fmt;

use crate::date::Date;
use crate::error::{ConfigError, Error, Result};
use crate::kind::{Address, Gender, IdNumber};
use crate::region::Province;

/// An age range `low..=high`, e.g. 25-29. The last band is open (`100+`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AgeBand {
    low: u32,
    high: Option<u32>,
}

/// Ages from this one on share one open band: very old ages are rare enough
/// to identify people on their own.
pub const OPEN_BAND_FROM: u32 = 100;

impl AgeBand {
    /// The band of `width` years (1 to 50) holding `age`; bands start at
    /// multiples of `width` (0-4, 5-9, ...) and ages from
    /// [`OPEN_BAND_FROM`] on share the band `100+`.
    ///
    /// ```
    /// use desensitize::generalize::AgeBand;
    ///
    /// assert_eq!(AgeBand::of(27, 5)?.to_string(), "25-29");
    /// assert_eq!(AgeBand::of(27, 10)?.to_string(), "20-29");
    /// assert_eq!(AgeBand::of(103, 5)?.to_string(), "100+");
    /// # Ok::<(), desensitize::Error>(())
    /// ```
    pub fn of(age: u32, width: u32) -> Result<AgeBand> {
        if !(1..=50).contains(&width) {
            return Err(Error::Config(ConfigError::AgeBandWidth));
        }
        if age >= OPEN_BAND_FROM {
            return Ok(AgeBand { low: OPEN_BAND_FROM, high: None });
        }
        let low = age / width * width;
        Ok(AgeBand { low, high: Some((low + width - 1).min(OPEN_BAND_FROM - 1)) })
    }

    /// Lowest age in the band.
    pub fn low(&self) -> u32 {
        self.low
    }

    /// Highest age in the band (`None` for the open band).
    pub fn high(&self) -> Option<u32> {
        self.high
    }
}

impl fmt::Display for AgeBand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.high {
            Some(h) if h == self.low => write!(f, "{}", self.low),
            Some(h) => write!(f, "{}-{}", self.low, h),
            None => write!(f, "{}+", self.low),
        }
    }
}

/// What statistics may keep of an ID number: gender, age band, province and
/// prefecture-level city.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct IdProfile {
    gender: Gender,
    age_band: AgeBand,
    province: Province,
    city: Option<City>,
}

impl IdProfile {
    /// Gender.
    pub fn gender(&self) -> Gender {
        self.gender
    }

    /// Age band on the date given.
    pub fn age_band(&self) -> AgeBand {
        self.age_band
    }

    /// Province of registration.
    pub fn province(&self) -> Province {
        self.province
    }

    /// Prefecture-level city of registration, when the code is in the table.
    pub fn city(&self) -> Option<City> {
        self.city
    }
}

/// `female, 75-79, 北京市 (Beijing)`.
impl fmt::Display for IdProfile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}, {}, {} ({})",
            self.gender,
            self.age_band,
            self.province.name(),
            self.province.english()
        )
    }
}

impl IdNumber {
    /// Generalize to gender, age band (of `band_width` years, on `on`),
    /// province and city. Unknown historical region codes fall back to the
    /// province.
    pub fn generalize(&self, on: Date, band_width: u32) -> Result<IdProfile> {
        let age_band = AgeBand::of(self.age_on(on), band_width)?;
        let division = division::lookup(self.region_code());
        Ok(IdProfile {
            gender: self.gender(),
            age_band,
            province: self.province(),
            city: division.and_then(|d| d.city()),
        })
    }
}

/// A date cut to its year and month, e.g. `1949-12`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct YearMonth {
    year: u16,
    month: u8,
}

impl YearMonth {
    /// The year.
    pub fn year(&self) -> u16 {
        self.year
    }

    /// The month, 1 to 12.
    pub fn month(&self) -> u8 {
        self.month
    }
}

impl fmt::Display for YearMonth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl Date {
    /// The date cut to year and month.
    ///
    /// ```
    /// use desensitize::Date;
    ///
    /// let d = Date::new(1949, 12, 31).unwrap();
    /// assert_eq!(d.to_year_month().to_string(), "1949-12");
    /// assert_eq!(d.year(), 1949);
    /// ```
    pub fn to_year_month(self) -> YearMonth {
        YearMonth { year: self.year(), month: self.month() }
    }
}

/// The province and city an address is in, as far as its prefix tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AddressRegion {
    province: Province,
    city: Option<City>,
}

impl AddressRegion {
    /// Province.
    pub fn province(&self) -> Province {
        self.province
    }

    /// Prefecture-level city, when recognized.
    pub fn city(&self) -> Option<City> {
        self.city
    }
}

impl fmt::Display for AddressRegion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.city {
            Some(c) if c.name() != self.province.name() => write!(f, "{}{}", self.province.name(), c.name()),
            _ => f.write_str(self.province.name()),
        }
    }
}

impl Address {
    /// Generalize to province and city; `None` if no province is recognized.
    ///
    /// ```
    /// use desensitize::Address;
    ///
    /// let a: Address = "广东省深圳市南山区科技园1号".parse()?;
    /// assert_eq!(a.generalize().unwrap().to_string(), "广东省深圳市");
    /// # Ok::<(), desensitize::Error>(())
    /// ```
    pub fn generalize(&self) -> Option<AddressRegion> {
        if let Some(d) = division::find_in_text(self.expose()) {
            return Some(AddressRegion { province: d.province(), city: d.city() });
        }
        self.province().map(|province| AddressRegion { province, city: None })
    }
}
