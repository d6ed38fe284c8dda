//! Coarsening precise locations: grid cells and geohashes.

use core::fmt;

use crate::error::{ConfigError, Error, Result};
use crate::kind::GeoPoint;

/// Mean length of one degree of latitude, in kilometres.
const KM_PER_DEG_LAT: f64 = 111.32;

/// A cell of an approximately square grid of a chosen size in kilometres.
///
/// Rows are bands of equal latitude height; each row is cut into columns as
/// wide, in kilometres, as the row is high (measured at the row's centre),
/// so cells stay roughly square away from the poles. Two points in one cell
/// generalize to the same [`GridCell`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GridCell {
    size_km: f64,
    row: i64,
    col: i64,
    center: (f64, f64),
}

impl GridCell {
    /// Row index (latitude band) and column index within the row.
    pub fn index(&self) -> (i64, i64) {
        (self.row, self.col)
    }

    /// The cell's centre, the point to publish instead of the original.
    pub fn center(&self) -> (f64, f64) {
        self.center
    }

    /// The configured cell size.
    pub fn size_km(&self) -> f64 {
        self.size_km
    }
}

impl Eq for GridCell {}

impl core::hash::Hash for GridCell {
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        (self.size_km.to_bits(), self.row, self.col).hash(state);
    }
}

/// `km<size>:<row>:<col>`, e.g. `km1:...` for a 1 km grid.
impl fmt::Display for GridCell {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "km{}:{}:{}", self.size_km, self.row, self.col)
    }
}

/// The grid cell of `size_km` (0.01 to 1000 km) holding `point`.
///
/// ```
/// use desensitize::generalize::grid_cell;
/// use desensitize::GeoPoint;
///
/// let tiananmen: GeoPoint = "39.9087,116.3975".parse()?;
/// let nearby: GeoPoint = "39.9090,116.3980".parse()?;
/// let cell = grid_cell(&tiananmen, 1.0)?;
/// assert_eq!(cell, grid_cell(&nearby, 1.0)?);
/// let (lat, lon) = cell.center();
/// assert!((lat - 39.9087).abs() < 0.01 && (lon - 116.3975).abs() < 0.01);
/// # Ok::<(), desensitize::Error>(())
/// ```
pub fn grid_cell(point: &GeoPoint, size_km: f64) -> Result<GridCell> {
    if !size_km.is_finite() || !(0.01..=1000.0).contains(&size_km) {
        return Err(Error::Config(ConfigError::GridCellSize));
    }
    let (lat, lon) = point.expose();
    let dlat = size_km / KM_PER_DEG_LAT;
    let row = ((lat + 90.0) / dlat).floor();
    let center_lat = (-90.0 + (row + 0.5) * dlat).clamp(-90.0, 90.0);
    // Column width in degrees at the row's centre; capped near the poles.
    let dlon = (size_km / (KM_PER_DEG_LAT * center_lat.to_radians().cos().max(1e-6))).min(360.0);
    let col = ((lon + 180.0) / dlon).floor();
    let center_lon = (-180.0 + (col + 0.5) * dlon).clamp(-180.0, 180.0);
    Ok(GridCell { size_km, row: row as i64, col: col as i64, center: (center_lat, center_lon) })
}

const GEOHASH_ALPHABET: &[u8; 32] = b"0123456789bcdefghjkmnpqrstuvwxyz";

/// The geohash of `point` with `precision` characters (1 to 12).
///
/// Precision 5 is a cell of about 4.9 km x 4.9 km, 6 about 1.2 km x 0.6 km,
/// 7 about 150 m. (Gustavo Niemeyer's public-domain geohash.)
///
/// ```
/// use desensitize::generalize::geohash;
/// use desensitize::GeoPoint;
///
/// let p: GeoPoint = "57.64911,10.40744".parse()?;
/// assert_eq!(geohash(&p, 11)?, "u4pruydqqvj");
/// assert_eq!(geohash(&p, 5)?, "u4pru");
/// # Ok::<(), desensitize::Error>(())
/// ```
pub fn geohash(point: &GeoPoint, precision: usize) -> Result<String> {
    if !(1..=12).contains(&precision) {
        return Err(Error::Config(ConfigError::GeohashPrecision));
    }
    let (lat, lon) = point.expose();
    let (mut lat_lo, mut lat_hi) = (-90.0f64, 90.0f64);
    let (mut lon_lo, mut lon_hi) = (-180.0f64, 180.0f64);
    let mut out = String::with_capacity(precision);
    let mut even = true; // bits alternate, longitude first
    for _ in 0..precision {
        let mut idx = 0usize;
        for _ in 0..5 {
            let (lo, hi, v) =
                if even { (&mut lon_lo, &mut lon_hi, lon) } else { (&mut lat_lo, &mut lat_hi, lat) };
            let mid = (*lo + *hi) / 2.0;
            idx <<= 1;
            if v >= mid {
                idx |= 1;
                *lo = mid;
            } else {
                *hi = mid;
            }
            even = !even;
        }
        out.push(char::from(GEOHASH_ALPHABET[idx]));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> GeoPoint {
        s.parse().unwrap()
    }

    #[test]
    fn geohash_known_answers() {
        assert_eq!(geohash(&p("42.6,-5.6"), 5).unwrap(), "ezs42");
        assert_eq!(geohash(&p("39.9042,116.4074"), 6).unwrap(), "wx4g0b");
        assert_eq!(geohash(&p("-90,-180"), 3).unwrap(), "000");
        assert_eq!(geohash(&p("90,180"), 3).unwrap(), "zzz");
        assert!(geohash(&p("0,0"), 0).is_err());
        assert!(geohash(&p("0,0"), 13).is_err());
    }

    #[test]
    fn grid_cells_are_about_the_right_size() {
        // Points 0.8 km apart north-south: same 10 km cell, mostly different 0.1 km cells.
        let a = p("31.2304,121.4737");
        let b = p("31.2376,121.4737");
        assert_eq!(grid_cell(&a, 10.0).unwrap().index().0, grid_cell(&b, 10.0).unwrap().index().0);
        assert_ne!(grid_cell(&a, 0.1).unwrap(), grid_cell(&b, 0.1).unwrap());
        // The centre is within half a diagonal of the point.
        for size in [0.5, 1.0, 5.0, 50.0] {
            let c = grid_cell(&a, size).unwrap();
            let (clat, clon) = c.center();
            let dy = (clat - 31.2304) * KM_PER_DEG_LAT;
            let dx = (clon - 121.4737) * KM_PER_DEG_LAT * 31.2304f64.to_radians().cos();
            assert!((dx * dx + dy * dy).sqrt() <= size * 0.75, "size {size}");
        }
        assert!(grid_cell(&a, 0.0).is_err());
        assert!(grid_cell(&a, f64::NAN).is_err());
        // Poles and the antimeridian do not panic.
        for s in ["90,180", "-90,-180", "89.9999,179.9999"] {
            grid_cell(&p(s), 1.0).unwrap();
        }
    }
}
