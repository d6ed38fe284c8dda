//! Generalization hierarchies: for one quasi-identifier, the chain of ever
//! coarser values a raw value generalizes to, up to the suppressed `*`.

use std::collections::HashMap;

use crate::generalize::{AgeBand, Fact, FactOptions, fact_of};
use crate::kind::AnyValue;
use crate::{Date, Kind};

/// A hierarchy built in for the crate's kinds. Each level is computed by
/// the same code as a policy's derived column (so a chosen level is written
/// by `run` exactly as it was measured).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Builtin {
    /// An ID number's age on `today`: 5-, 10-, 20-year band (the policy's
    /// `age_band` with `band_width` 5, 10, 20).
    IdAge {
        /// The date ages are computed on.
        today: Date,
    },
    /// An ID number's region: prefecture-level city, province (GB/T 2260).
    IdRegion {
        /// The date ID numbers are judged valid on.
        today: Date,
    },
    /// An address's region: city, province.
    AddressRegion,
    /// A geographic point (`lat,lon`): geohash of `finest` characters down to 1.
    Geohash {
        /// The finest precision (1 to 12).
        finest: usize,
    },
    /// An age in whole years: the age, 5-, 10-, 20-year band.
    Age,
    /// A date `YYYY-MM-DD`: the day, the month, the year.
    Date,
}

/// The width of the age band at each level of [`Builtin::IdAge`].
pub(crate) const ID_AGE_WIDTHS: [u32; 3] = [5, 10, 20];

/// How one quasi-identifier generalizes: a chain of levels, the last one
/// always `*` (suppressed). Level 0 is the finest.
///
/// ```
/// use desensitize::risk::{Builtin, Hierarchy};
///
/// let h = Hierarchy::from_csv("age,band,decade\n27,25-29,20-29\n31,30-34,30-39\n")?;
/// assert_eq!(h.levels(), 4);
/// assert_eq!(h.chain(b"27")?, ["27", "25-29", "20-29"]);
/// assert_eq!(Hierarchy::Builtin(Builtin::Age).chain(b"27")?, ["27", "25-29", "20-29", "20-39"]);
/// assert_eq!(Hierarchy::Builtin(Builtin::Date).chain(b"2024-03-09")?, ["2024-03-09", "2024-03", "2024"]);
/// assert!(h.chain(b"99").is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum Hierarchy {
    /// The value, then `*`.
    Flat,
    /// A built-in hierarchy.
    Builtin(Builtin),
    /// A user's table: value → level 1 → level 2 …, every row as long.
    Table(TableHierarchy),
}

/// A user's hierarchy, read from CSV.
#[derive(Clone, PartialEq)]
pub struct TableHierarchy {
    rows: HashMap<String, Vec<String>>,
    width: usize,
}

/// Sizes only: the rows are values.
impl std::fmt::Debug for TableHierarchy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TableHierarchy({} values, {} levels)", self.rows.len(), self.width)
    }
}

impl Hierarchy {
    /// A hierarchy from CSV text: a header row, then one row per value:
    /// the value, then its generalization at each level, coarsest last
    /// (`*` is added on top). Quoting is not supported: a cell holds no
    /// comma. Errors name the line, never a value.
    pub fn from_csv(text: &str) -> Result<Hierarchy, String> {
        let mut lines = text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty());
        let width = match lines.next() {
            Some((_, header)) => header.split(',').count(),
            None => return Err("is empty".into()),
        };
        let mut rows = HashMap::new();
        for (i, line) in lines {
            let cells: Vec<String> = line.trim_end_matches('\r').split(',').map(str::to_owned).collect();
            if cells.len() != width {
                return Err(format!("line {} has {} cells, the header {width}", i + 1, cells.len()));
            }
            if rows.insert(cells[0].clone(), cells).is_some() {
                return Err(format!("line {}: the value is listed twice", i + 1));
            }
        }
        if rows.is_empty() {
            return Err("has no rows".into());
        }
        Ok(Hierarchy::Table(TableHierarchy { rows, width }))
    }

    /// Levels, `*` included.
    pub fn levels(&self) -> usize {
        match self {
            Hierarchy::Flat => 2,
            Hierarchy::Table(t) => t.width + 1,
            Hierarchy::Builtin(b) => match b {
                Builtin::IdAge { .. } => ID_AGE_WIDTHS.len() + 1,
                Builtin::IdRegion { .. } | Builtin::AddressRegion => 3,
                Builtin::Geohash { finest } => finest + 1,
                Builtin::Age => 5,
                Builtin::Date => 4,
            },
        }
    }

    /// The generalizations of `raw` at every level but `*`, finest first.
    /// An empty value stays empty at every level. Errors never hold the value.
    pub fn chain(&self, raw: &[u8]) -> Result<Vec<String>, String> {
        let n = self.levels() - 1;
        if raw.is_empty() {
            return Ok(vec![String::new(); n]);
        }
        let text = std::str::from_utf8(raw).map_err(|_| "not UTF-8".to_owned())?;
        match self {
            Hierarchy::Flat => Ok(vec![text.to_owned()]),
            Hierarchy::Table(t) => {
                t.rows.get(text).cloned().ok_or_else(|| "a value not in the hierarchy".to_owned())
            }
            Hierarchy::Builtin(b) => builtin_chain(*b, text),
        }
    }
}

fn builtin_chain(b: Builtin, text: &str) -> Result<Vec<String>, String> {
    let fact = |kind: Kind, today: Date, facts: &[(Fact, u32, usize)]| -> Result<Vec<String>, String> {
        let value = AnyValue::parse_on(kind, text, today).map_err(|e| e.to_string())?;
        facts
            .iter()
            .map(|&(f, band_width, precision)| {
                let opts = FactOptions { today, band_width, precision, grid_km: 1.0 };
                fact_of(&value, f, &opts).map_err(|e| e.to_string())
            })
            .collect()
    };
    match b {
        Builtin::IdAge { today } => {
            let facts: Vec<_> = ID_AGE_WIDTHS.iter().map(|&w| (Fact::AgeBand, w, 5)).collect();
            fact(Kind::IdNumber, today, &facts)
        }
        Builtin::IdRegion { today } => {
            fact(Kind::IdNumber, today, &[(Fact::City, 5, 5), (Fact::Province, 5, 5)])
        }
        Builtin::AddressRegion => {
            fact(Kind::Address, Date::today(), &[(Fact::City, 5, 5), (Fact::Province, 5, 5)])
        }
        Builtin::Geohash { finest } => {
            if !(1..=12).contains(&finest) {
                return Err("geohash precision must be 1 to 12".into());
            }
            let facts: Vec<_> = (1..=finest).rev().map(|p| (Fact::Geohash, 5, p)).collect();
            fact(Kind::GeoPoint, Date::today(), &facts)
        }
        Builtin::Age => {
            let age: u32 = text.trim().parse().map_err(|_| "not an age in whole years".to_owned())?;
            let mut chain = vec![age.to_string()];
            for w in [5, 10, 20] {
                chain.push(AgeBand::of(age, w).map_err(|e| e.to_string())?.to_string());
            }
            Ok(chain)
        }
        Builtin::Date => {
            let t = text.trim();
            let ok = t.len() == 10
                && t.bytes()
                    .enumerate()
                    .all(|(i, c)| if i == 4 || i == 7 { c == b'-' } else { c.is_ascii_digit() });
            if !ok {
                return Err("not a date YYYY-MM-DD".into());
            }
            Ok(vec![t.to_owned(), t[..7].to_owned(), t[..4].to_owned()])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_number_chains_match_policy_facts() {
        let today = Date::new(2024, 12, 31).unwrap();
        let id = b"11010519491231002X";
        assert_eq!(
            Hierarchy::Builtin(Builtin::IdAge { today }).chain(id).unwrap(),
            ["75-79", "70-79", "60-79"]
        );
        assert_eq!(Hierarchy::Builtin(Builtin::IdRegion { today }).chain(id).unwrap(), ["北京市", "北京市"]);
        let err = Hierarchy::Builtin(Builtin::IdAge { today }).chain(b"110105194912310021").unwrap_err();
        assert!(!err.contains("1101"), "{err}");
        assert_eq!(Hierarchy::Builtin(Builtin::IdAge { today }).chain(b"").unwrap(), ["", "", ""]);
    }

    #[test]
    fn geohash_and_csv_errors() {
        let g = Hierarchy::Builtin(Builtin::Geohash { finest: 3 });
        let chain = g.chain(b"39.9042,116.4074").unwrap();
        assert_eq!(chain.len(), 3);
        assert!(chain[0].starts_with(&chain[1]) && chain[1].starts_with(&chain[2]));
        assert_eq!(Hierarchy::from_csv("a,b\n1,x\n1,y\n").unwrap_err(), "line 3: the value is listed twice");
        assert_eq!(Hierarchy::from_csv("a,b\n1\n").unwrap_err(), "line 2 has 1 cells, the header 2");
        assert_eq!(Hierarchy::from_csv("").unwrap_err(), "is empty");
        assert!(Hierarchy::Builtin(Builtin::Date).chain(b"2024/03/09").is_err());
    }
}
