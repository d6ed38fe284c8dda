//! Precise location: a WGS-84 latitude/longitude pair.

use core::fmt;
use core::hash::{Hash, Hasher};

use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::error::{Error, Invalid, Result};
use crate::kind::{Kind, Sealable, Sensitive, check_len, private};
use crate::mask::MaskLevel;

const KIND: Kind = Kind::GeoPoint;
/// Generous bound on raw text input (`"-89.123456789012345, -179.123..."`).
const MAX_INPUT: usize = 128;
/// Length of the canonical form: latitude then longitude, big-endian `f64` bits.
const CANONICAL_LEN: usize = 16;

/// A precise location (精准定位): WGS-84 latitude and longitude in degrees.
///
/// Latitude must lie in `[-90, 90]` and longitude in `[-180, 180]`; NaN and
/// infinities are rejected. Text input is `"lat,lon"` with optional spaces
/// around either number. `-0.0` is stored as `0.0`, so equal points compare
/// and hash equal.
///
/// Masks truncate both coordinates toward zero (never round, which could
/// move the point) to 1, 2 or 3 decimals for `Strict`, `Standard` and
/// `Relaxed`: roughly 11 km, 1.1 km and 110 m of latitude.
///
/// ```
/// use desensitize::{GeoPoint, MaskLevel, Sensitive};
///
/// let p: GeoPoint = "39.9042, 116.4074".parse()?;
/// assert_eq!(p.expose(), (39.9042, 116.4074));
/// assert_eq!(p.mask(MaskLevel::Strict), "39.9,116.4");
/// assert_eq!(p.to_string(), "39.90,116.40");
/// assert_eq!(p.mask(MaskLevel::Relaxed), "39.904,116.407");
/// assert_eq!(format!("{p:?}"), "GeoPoint([REDACTED])");
///
/// assert_eq!(GeoPoint::new(-33.8688, 151.2093)?.to_string(), "-33.86,151.20");
/// assert!(GeoPoint::new(91.0, 0.0).is_err());
/// # Ok::<(), desensitize::Error>(())
/// ```
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct GeoPoint {
    /// Canonical form: latitude then longitude as big-endian `f64` bits.
    bytes: [u8; CANONICAL_LEN],
}

/// `-0.0` becomes `0.0` so that equal points have equal bytes.
fn positive_zero(v: f64) -> f64 {
    if v == 0.0 { 0.0 } else { v }
}

impl GeoPoint {
    /// A point from latitude and longitude in degrees.
    ///
    /// Errors with [`Invalid::NotFinite`] for NaN or infinite coordinates and
    /// [`Invalid::OutOfRange`] when latitude is outside `[-90, 90]` or
    /// longitude outside `[-180, 180]`.
    pub fn new(lat: f64, lon: f64) -> Result<GeoPoint> {
        if !lat.is_finite() || !lon.is_finite() {
            return Err(Error::invalid(KIND, Invalid::NotFinite));
        }
        if !(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lon) {
            return Err(Error::invalid(KIND, Invalid::OutOfRange));
        }
        let mut bytes = [0u8; CANONICAL_LEN];
        bytes[..8].copy_from_slice(&positive_zero(lat).to_bits().to_be_bytes());
        bytes[8..].copy_from_slice(&positive_zero(lon).to_bits().to_be_bytes());
        Ok(GeoPoint { bytes })
    }

    fn parse(input: &str) -> Result<GeoPoint> {
        check_len(KIND, input, MAX_INPUT)?;
        let s = input.trim();
        if s.is_empty() {
            return Err(Error::invalid(KIND, Invalid::Empty));
        }
        let malformed = || Error::invalid(KIND, Invalid::Malformed);
        let (lat, lon) = s.split_once(',').ok_or_else(malformed)?;
        let lat: f64 = lat.trim().parse().map_err(|_| malformed())?;
        let lon: f64 = lon.trim().parse().map_err(|_| malformed())?;
        GeoPoint::new(lat, lon)
    }

    /// `(latitude, longitude)` in degrees. Exposes the plaintext.
    pub fn expose(&self) -> (f64, f64) {
        (self.coordinate(0), self.coordinate(8))
    }

    fn coordinate(&self, at: usize) -> f64 {
        let mut word = [0u8; 8];
        word.copy_from_slice(&self.bytes[at..at + 8]);
        f64::from_bits(u64::from_be_bytes(word))
    }

    fn mask_at(&self, level: MaskLevel) -> String {
        let decimals = match level {
            MaskLevel::Strict => 1,
            MaskLevel::Standard => 2,
            MaskLevel::Relaxed => 3,
        };
        let (lat, lon) = self.expose();
        // "-180.123,-180.123": 17 bytes at most, written on the stack and
        // copied once into the exact-size String.
        let mut buf = [0u8; 17];
        let mut at = write_truncated(&mut buf, 0, lat, decimals);
        buf[at] = b',';
        at = write_truncated(&mut buf, at + 1, lon, decimals);
        // Digits, '-', '.' and ',': ASCII, so the check passes.
        core::str::from_utf8(&buf[..at]).unwrap_or_default().to_owned()
    }
}

/// Write `v` (a coordinate, `|v| <= 180`) truncated toward zero to exactly
/// `decimals` (1 to 3) decimals into `buf` at `at`; the end position.
///
/// The digits are those of the shortest decimal representation of `v` (what
/// `Display` prints), truncated: so `4.35` gives `4.35`, not the `4.34` that
/// `(4.35 * 100.0).trunc()` would give. That truncation is the largest `c`
/// with `c / 10^decimals <= S` (`S` the shortest representation), which is
/// the largest `c` whose correctly rounded value `fl(c / 10^decimals)` is at
/// most `|v|`: a multiple of 10^-3 that rounds to `v` is itself the
/// shortest representation, as no rounding interval of a value this small
/// is 10^-3 wide. A result of zero is printed without sign.
fn write_truncated(buf: &mut [u8; 17], mut at: usize, v: f64, decimals: usize) -> usize {
    let decimals = decimals.clamp(1, 3);
    let scale = [1u32, 10, 100, 1000][decimals];
    let a = v.abs().min(180.0);
    // Below 2^-10 (< 0.001) nothing survives truncation; above, `a` is
    // `mant * 2^-k` with 45 <= k <= 62, and `fl(c / scale) <= a` holds iff
    // `c / scale` lies below the midpoint `(mant + 1/2) * 2^-k` between `a`
    // and the next double (or on it, when ties-to-even rounds to `a`): in
    // integers, `c * 2^(k+1)` against `scale * (2 mant + 1)`. Exact, and no
    // division.
    let mut c = 0;
    if a >= 1.0 / 1024.0 {
        let bits = a.to_bits();
        let mant = (bits & ((1 << 52) - 1)) | 1 << 52;
        let k = 1075 - (bits >> 52) as u32;
        // scale * (2 mant + 1) < 1000 * 2^54 < 2^64; a `c * 2^(k+1)` of 64
        // bits or more is past it.
        let limit = u64::from(scale) * (2 * mant + 1);
        let fits = |c: u32| {
            let c = u64::from(c);
            let lhs = c << (k + 1);
            c >> (63 - k) == 0 && (lhs < limit || (lhs == limit && mant & 1 == 0))
        };
        // `a * scale` is within an ulp or two of the answer: adjust by steps.
        c = (a * f64::from(scale)) as u32;
        while c > 0 && !fits(c) {
            c -= 1;
        }
        while fits(c + 1) {
            c += 1;
        }
    }
    if v.is_sign_negative() && c != 0 {
        buf[at] = b'-';
        at += 1;
    }
    let int = c / scale;
    let int_digits = if int >= 100 {
        3
    } else if int >= 10 {
        2
    } else {
        1
    };
    let mut rest = c;
    // Fractional digits, then '.', then the integer digits, right to left.
    let end = at + int_digits + 1 + decimals;
    for d in buf[at + int_digits + 1..end].iter_mut().rev() {
        *d = b'0' + (rest % 10) as u8;
        rest /= 10;
    }
    buf[at + int_digits] = b'.';
    for d in buf[at..at + int_digits].iter_mut().rev() {
        *d = b'0' + (rest % 10) as u8;
        rest /= 10;
    }
    end
}

impl fmt::Debug for GeoPoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("GeoPoint([REDACTED])")
    }
}

impl fmt::Display for GeoPoint {
    /// Prints the `Standard` mask.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.mask_at(MaskLevel::Standard))
    }
}

impl PartialEq for GeoPoint {
    fn eq(&self, other: &Self) -> bool {
        self.bytes.ct_eq(&other.bytes).into()
    }
}

impl Eq for GeoPoint {}

impl Hash for GeoPoint {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.bytes.hash(state);
    }
}

impl core::str::FromStr for GeoPoint {
    type Err = Error;

    /// Parses `"lat,lon"` in degrees, e.g. `"39.9042, 116.4074"`.
    fn from_str(s: &str) -> Result<GeoPoint> {
        GeoPoint::parse(s)
    }
}

impl TryFrom<&str> for GeoPoint {
    type Error = Error;

    fn try_from(s: &str) -> Result<GeoPoint> {
        GeoPoint::parse(s)
    }
}

impl TryFrom<String> for GeoPoint {
    type Error = Error;

    /// Parses and then wipes the caller's buffer.
    fn try_from(mut s: String) -> Result<GeoPoint> {
        let parsed = GeoPoint::parse(&s);
        s.zeroize();
        parsed
    }
}

impl private::Sealed for GeoPoint {}

impl Sensitive for GeoPoint {
    const KIND: Kind = KIND;

    fn mask(&self, level: MaskLevel) -> String {
        self.mask_at(level)
    }
}

impl private::Canonical for GeoPoint {
    fn canonical_bytes(&self) -> &[u8] {
        &self.bytes
    }

    fn from_canonical_bytes(bytes: &[u8]) -> Result<GeoPoint> {
        let Ok(bytes) = <[u8; CANONICAL_LEN]>::try_from(bytes) else {
            return Err(Error::invalid(KIND, Invalid::Length));
        };
        let raw = GeoPoint { bytes };
        let (lat, lon) = raw.expose();
        let point = GeoPoint::new(lat, lon)?;
        // `new` turns -0.0 into +0.0: an opened -0.0 is refused, not normalized.
        if point.bytes != raw.bytes {
            return Err(Error::invalid(KIND, Invalid::NonCanonical));
        }
        Ok(point)
    }
}

impl Sealable for GeoPoint {}

impl crate::kind::Pseudonymizable for GeoPoint {}

#[cfg(test)]
mod tests {
    use super::*;

    /// The mask digits of one coordinate, as a `String`.
    fn truncated(v: f64, decimals: usize) -> String {
        let mut buf = [0u8; 17];
        let end = write_truncated(&mut buf, 0, v, decimals);
        String::from_utf8(buf[..end].to_vec()).unwrap()
    }

    /// The formatting implementation `write_truncated` replaced: truncate
    /// the `Display` text. The reference for the differential test.
    fn truncated_via_display(v: f64, decimals: usize) -> String {
        let full = v.to_string();
        let (negative, digits) = match full.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, full.as_str()),
        };
        let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
        let mut out = String::new();
        let zero = int.bytes().all(|b| b == b'0') && frac.bytes().take(decimals).all(|b| b == b'0');
        if negative && !zero {
            out.push('-');
        }
        out.push_str(int);
        out.push('.');
        let kept: String = frac.chars().take(decimals).collect();
        out.push_str(&kept);
        for _ in kept.len()..decimals {
            out.push('0');
        }
        out
    }

    #[test]
    fn truncation_matches_the_display_text_everywhere() {
        // Random coordinates, and the hard cases: every multiple of 10^-3
        // up to 180 (both signs) and its neighbours a few ulps either side.
        let mut seed = 0x2545_F491_4F6C_DD1Du64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let mut values = Vec::new();
        for _ in 0..200_000 {
            let unit = (next() >> 11) as f64 / (1u64 << 53) as f64;
            values.push(unit * 360.0 - 180.0);
            values.push((unit * 1e-3) * if next() % 2 == 0 { 1.0 } else { -1.0 });
        }
        for c in 0..=180_000u32 {
            let m = f64::from(c) / 1000.0;
            for v in [m, -m] {
                let mut up = v;
                let mut down = v;
                for _ in 0..3 {
                    up = f64::from_bits(up.to_bits() + 1);
                    down = f64::from_bits(down.to_bits().saturating_sub(1));
                    values.extend([up, down]);
                }
                values.push(v);
            }
        }
        values.extend([0.0, -0.0, 1e-7, -1e-7, 5e-324, 90.0, -90.0, 180.0, -180.0, 179.9999999999999]);
        for v in values.into_iter().filter(|v| v.abs() <= 180.0) {
            for d in 1..=3 {
                assert_eq!(truncated(v, d), truncated_via_display(v, d), "{v:?} to {d}");
            }
        }
    }

    use crate::kind::private::Canonical;

    fn reason(input: &str) -> Invalid {
        match input.parse::<GeoPoint>() {
            Err(Error::Invalid { kind: Kind::GeoPoint, reason }) => reason,
            other => panic!("expected an error, got {:?}", other.map(|_| ())),
        }
    }

    fn new_reason(lat: f64, lon: f64) -> Invalid {
        match GeoPoint::new(lat, lon) {
            Err(Error::Invalid { kind: Kind::GeoPoint, reason }) => reason,
            other => panic!("expected an error, got {:?}", other.map(|_| ())),
        }
    }

    #[test]
    fn parses_text() {
        for ok in ["39.9042,116.4074", " 39.9042 , 116.4074 ", "39.9042,\t116.4074", "+39.9042,116.4074"] {
            assert_eq!(ok.parse::<GeoPoint>().unwrap().expose(), (39.9042, 116.4074), "{ok}");
        }
        assert_eq!("-90,180".parse::<GeoPoint>().unwrap().expose(), (-90.0, 180.0));
        assert_eq!(GeoPoint::try_from(String::from("1.5,2")).unwrap().expose(), (1.5, 2.0));
    }

    #[test]
    fn negative_zero_is_normalized() {
        let a = GeoPoint::new(-0.0, -0.0).unwrap();
        let b = GeoPoint::new(0.0, 0.0).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.canonical_bytes(), [0u8; 16]);
        assert!(a.expose().0.is_sign_positive());
        assert_eq!(a.to_string(), "0.00,0.00");
    }

    #[test]
    fn every_documented_error() {
        assert_eq!(reason(""), Invalid::Empty);
        assert_eq!(reason("   "), Invalid::Empty);
        assert_eq!(reason("39.9042"), Invalid::Malformed);
        assert_eq!(reason("39.9042;116.4074"), Invalid::Malformed);
        assert_eq!(reason("39.9042,116.4074,5"), Invalid::Malformed);
        assert_eq!(reason("39.9°N,116.4°E"), Invalid::Malformed);
        assert_eq!(reason(",116.4"), Invalid::Malformed);
        assert_eq!(reason("NaN,116.4"), Invalid::NotFinite);
        assert_eq!(reason("39.9,inf"), Invalid::NotFinite);
        assert_eq!(reason("90.0001,0"), Invalid::OutOfRange);
        assert_eq!(reason("0,-180.5"), Invalid::OutOfRange);
        assert!(matches!(reason(&"1".repeat(500)), Invalid::TooLong { .. }));
        assert_eq!(new_reason(f64::NAN, 0.0), Invalid::NotFinite);
        assert_eq!(new_reason(0.0, f64::NEG_INFINITY), Invalid::NotFinite);
        assert_eq!(new_reason(-91.0, 0.0), Invalid::OutOfRange);
        assert_eq!(new_reason(0.0, 181.0), Invalid::OutOfRange);
    }

    #[test]
    fn canonical_round_trip() {
        let p = GeoPoint::new(39.9042, 116.4074).unwrap();
        let bytes = p.canonical_bytes();
        assert_eq!(bytes.len(), 16);
        assert_eq!(&bytes[..8], 39.9042f64.to_bits().to_be_bytes());
        assert_eq!(GeoPoint::from_canonical_bytes(bytes).unwrap(), p);
        assert!(matches!(
            GeoPoint::from_canonical_bytes(&bytes[..15]),
            Err(Error::Invalid { reason: Invalid::Length, .. })
        ));
        let mut bad = [0u8; 16];
        bad[..8].copy_from_slice(&f64::NAN.to_bits().to_be_bytes());
        assert!(matches!(
            GeoPoint::from_canonical_bytes(&bad),
            Err(Error::Invalid { reason: Invalid::NotFinite, .. })
        ));
        bad[..8].copy_from_slice(&100.0f64.to_bits().to_be_bytes());
        assert!(matches!(
            GeoPoint::from_canonical_bytes(&bad),
            Err(Error::Invalid { reason: Invalid::OutOfRange, .. })
        ));
    }

    #[test]
    fn masks() {
        let p = GeoPoint::new(39.9042, 116.4074).unwrap();
        assert_eq!(p.mask(MaskLevel::Strict), "39.9,116.4");
        assert_eq!(p.mask(MaskLevel::Standard), "39.90,116.40");
        assert_eq!(p.mask(MaskLevel::Relaxed), "39.904,116.407");
        assert_eq!(p.to_string(), "39.90,116.40");
        assert_eq!(format!("{p:>14}"), "  39.90,116.40");
        assert_eq!(format!("{p:?}"), "GeoPoint([REDACTED])");
    }

    #[test]
    fn truncation_is_toward_zero_and_exact() {
        assert_eq!(truncated(4.35, 2), "4.35"); // 4.35 * 100.0 == 434.99999999999994
        assert_eq!(truncated(4.35, 3), "4.350");
        assert_eq!(truncated(-33.8688, 2), "-33.86");
        assert_eq!(truncated(-33.8688, 1), "-33.8");
        assert_eq!(truncated(-0.05, 1), "0.0");
        assert_eq!(truncated(-0.05, 2), "-0.05");
        assert_eq!(truncated(-0.0004, 3), "0.000");
        assert_eq!(truncated(1e-7, 3), "0.000");
        assert_eq!(truncated(-180.0, 1), "-180.0");
        assert_eq!(truncated(90.0, 3), "90.000");
        assert_eq!(truncated(0.999_999, 2), "0.99");
        let p = GeoPoint::new(-0.05, -0.0009).unwrap();
        assert_eq!(p.mask(MaskLevel::Strict), "0.0,0.0");
        assert_eq!(p.mask(MaskLevel::Relaxed), "-0.050,0.000");
    }

    proptest::proptest! {
        #[test]
        fn parsing_is_total_and_canonical(s in "[0-9.,\\- +eEinfNa]{0,30}", any in ".{0,40}") {
            for input in [&s, &any] {
                if let Ok(v) = input.parse::<GeoPoint>() {
                    for level in MaskLevel::ALL {
                        let _ = crate::Sensitive::mask(&v, level);
                    }
                    let bytes = crate::kind::private::Canonical::canonical_bytes(&v);
                    let back = <GeoPoint as crate::kind::private::Canonical>::from_canonical_bytes(bytes);
                    proptest::prop_assert!(back.as_ref() == Ok(&v));
                }
            }
        }
    }
}
