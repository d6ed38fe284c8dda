//! The one facts engine: what a value may say about its holder without
//! being the value. Two views of it, computed here only:
//!
//! - the generalized [`Fact`]s of a policy's derived columns and of
//!   `#[derive(Protect)]` analytics views (`female`, `25-29`, `北京市`,
//!   `wx4g0`, ...): [`fact_of`];
//! - the attributes `desensitize inspect` reports for a value of any kind
//!   (age, gender, province, carrier segment, e-mail domain, ...), and the
//!   mask printed beside them: [`describe`], [`describe_mask`]; how many ID
//!   numbers a mask and facts leave: [`id_number_candidates`].
//!
//! ```
//! use desensitize::generalize::{Fact, FactOptions, fact_of};
//! use desensitize::kind::AnyValue;
//! use desensitize::{Date, Kind};
//!
//! let id = AnyValue::parse(Kind::IdNumber, "11010519491231002X")?;
//! let opts = FactOptions { today: Date::new(2024, 6, 1).unwrap(), ..FactOptions::default() };
//! assert_eq!(fact_of(&id, Fact::Gender, &opts)?, "female");
//! assert_eq!(fact_of(&id, Fact::AgeBand, &opts)?, "70-74");
//! assert_eq!(fact_of(&id, Fact::Province, &opts)?, "北京市");
//! # Ok::<(), desensitize::Error>(())
//! ```

use core::fmt;

use super::{AgeBand, division, geohash, grid_cell};
use crate::date::Date;
use crate::digits::Decimal;
use crate::error::{ConfigError, Error, Result};
use crate::kind::{Address, AnyRef, AnyValue, GeoPoint, IdNumber, MobilePhone};
use crate::mask::MaskLevel;

/// A value derived from a parsed value, written to a new column (or, with
/// `action = "generalize"`, in place of the value).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Fact {
    /// `female` / `male` (ID number).
    Gender,
    /// `25-29` (ID number, `band_width` years, on `today`).
    AgeBand,
    /// Province name, e.g. `北京市` (ID number, address).
    Province,
    /// Prefecture-level city name, the province's name when unknown (ID number, address).
    City,
    /// `1949` (ID number).
    BirthYear,
    /// `1949-12` (ID number).
    BirthMonth,
    /// Geohash of `precision` characters (location).
    Geohash,
    /// Centre `lat,lon` of the `grid_km` grid cell (location).
    Grid,
}

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

/// How fine a region fact may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Regions {
    /// Down to the prefecture-level city.
    City,
    /// No finer than the province (a policy's `minors = "strict"` rows):
    /// `city` gives the province.
    Province,
}

/// The error for a fact that the value's kind does not have.
fn not_for() -> Error {
    Error::Config(ConfigError::FactKind)
}

/// The fact `fact` of `value` as text (the text a policy's derived column
/// holds). A fact the value's kind does not have (see
/// [`Fact::of_kind`](crate::policy::Fact::of_kind)) is an error.
pub fn fact_of(value: &AnyValue, fact: Fact, opts: &FactOptions) -> Result<String> {
    let mut out = String::new();
    write_fact(value.as_any_ref(), fact, opts, Regions::City, &mut out)?;
    Ok(out)
}

/// Append the fact `fact` of `value` to `out`: the one implementation
/// behind policy columns, derive analytics views and [`fact_of`]. Generic
/// over the sink so that a policy writes straight into its cells.
#[inline]
pub(crate) fn write_fact<W: fmt::Write>(
    value: AnyRef<'_>,
    fact: Fact,
    opts: &FactOptions,
    regions: Regions,
    out: &mut W,
) -> Result<()> {
    match value {
        AnyRef::IdNumber(v) => id_fact(v, fact, opts, regions, out),
        AnyRef::Address(v) => address_fact(v, fact, regions, out),
        AnyRef::GeoPoint(v) => geo_fact(v, fact, opts, out),
        _ => Err(not_for()),
    }
}

fn id_fact<W: fmt::Write>(
    v: &IdNumber,
    f: Fact,
    o: &FactOptions,
    regions: Regions,
    out: &mut W,
) -> Result<()> {
    let _ = match f {
        Fact::Gender => out.write_str(v.gender().as_str()),
        Fact::AgeBand => {
            let band = AgeBand::of(v.age_on(o.today), o.band_width)?;
            // Digits without the formatting machinery: a hot path of policies.
            let _ = out.write_str(Decimal::new(band.low()).as_str());
            match band.high() {
                Some(h) if h == band.low() => Ok(()),
                Some(h) => out.write_char('-').and_then(|()| out.write_str(Decimal::new(h).as_str())),
                None => out.write_char('+'),
            }
        }
        Fact::Province => out.write_str(v.province().name()),
        Fact::City if regions == Regions::Province => out.write_str(v.province().name()),
        Fact::City => {
            let city = division::lookup(v.region_code()).and_then(|d| d.city());
            out.write_str(city.map_or(v.province().name(), |c| c.name()))
        }
        Fact::BirthYear => write!(out, "{}", v.birth_date().year()),
        Fact::BirthMonth => write!(out, "{}", v.birth_date().to_year_month()),
        Fact::Geohash | Fact::Grid => return Err(not_for()),
    };
    Ok(())
}

fn address_fact<W: fmt::Write>(v: &Address, f: Fact, regions: Regions, out: &mut W) -> Result<()> {
    let region = v.generalize();
    let province = region.map_or("", |r| r.province().name());
    let _ = match f {
        Fact::Province => out.write_str(province),
        Fact::City if regions == Regions::Province => out.write_str(province),
        Fact::City => out.write_str(region.map_or("", |r| r.city().map_or(province, |c| c.name()))),
        _ => return Err(not_for()),
    };
    Ok(())
}

fn geo_fact<W: fmt::Write>(v: &GeoPoint, f: Fact, o: &FactOptions, out: &mut W) -> Result<()> {
    let _ = match f {
        Fact::Geohash => out.write_str(&geohash(v, o.precision)?),
        Fact::Grid => {
            let (lat, lon) = grid_cell(v, o.grid_km)?.center();
            write!(out, "{lat:.5},{lon:.5}")
        }
        _ => return Err(not_for()),
    };
    Ok(())
}

/// One attribute [`describe`] reports.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Attribute {
    /// A text (`"female"`, `"北京市"`).
    Text(String),
    /// A count or an age.
    Number(u64),
    /// A yes/no attribute (`under_14`).
    Flag(bool),
    /// Not known for this value (an address whose city is not recognized).
    Unknown,
}

impl From<&str> for Attribute {
    fn from(s: &str) -> Attribute {
        Attribute::Text(s.to_owned())
    }
}

impl<T: Into<Attribute>> From<Option<T>> for Attribute {
    fn from(v: Option<T>) -> Attribute {
        v.map_or(Attribute::Unknown, Into::into)
    }
}

/// The attributes `desensitize inspect` reports for `value`, ages computed
/// on `today`: derived facts, never the value itself, and never so fine
/// that, with the mask printed beside them ([`describe_mask`]), they leave
/// fewer than [`MIN_CANDIDATES`] values. An ID number gives its gender,
/// age, province (Chinese and English) and whether the holder is under 14 /
/// under 18 (not its birth date, region code or city: with the standard
/// mask they left one candidate); a mobile
/// number the carrier its segment was assigned to; a landline its area
/// code; a card its digit count; a location its 5-character geohash; an
/// e-mail its domain; an address its province and city; an IP address its
/// version; a licence plate its province and whether it is a new-energy
/// plate; a biometric template its size. Other kinds have none.
///
/// ```
/// use desensitize::generalize::{Attribute, describe};
/// use desensitize::kind::AnyValue;
/// use desensitize::{Date, Kind};
///
/// let phone = AnyValue::parse(Kind::MobilePhone, "13800138000")?;
/// let today = Date::new(2024, 6, 1).unwrap();
/// assert_eq!(describe(&phone, today), [("segment_carrier", Attribute::Text("China Mobile".into()))]);
/// # Ok::<(), desensitize::Error>(())
/// ```
pub fn describe(value: &AnyValue, today: Date) -> Vec<(&'static str, Attribute)> {
    use Attribute::{Flag, Number, Text};
    let count = |n: usize| Number(n as u64);
    match value {
        // No birth date, region code or city: beside the mask they
        // determined the number (see `id_number_candidates`).
        AnyValue::IdNumber(v) => vec![
            ("gender", v.gender().as_str().into()),
            ("age", Number(u64::from(v.age_on(today)))),
            ("province", v.province().name().into()),
            ("province_en", v.province().english().into()),
            ("under_14", Flag(v.is_under_14_on(today))),
            ("under_18", Flag(v.is_under_18_on(today))),
        ],
        AnyValue::MobilePhone(v) => vec![("segment_carrier", segment_carrier(v).into())],
        AnyValue::Landline(v) => vec![("area_code", v.area_code().into())],
        AnyValue::BankCard(v) => vec![("digits", count(v.expose().len()))],
        AnyValue::GeoPoint(v) => vec![("geohash5", geohash(v, 5).ok().map_or(Attribute::Unknown, Text))],
        AnyValue::Email(v) => vec![("domain", v.domain().into())],
        AnyValue::Address(v) => {
            let region = v.generalize();
            vec![
                ("province", region.map(|r| r.province().name()).into()),
                ("province_en", region.map(|r| r.province().english()).into()),
                ("city", region.and_then(|r| r.city()).map(|c| c.name()).into()),
            ]
        }
        AnyValue::IpAddress(v) => vec![("version", if v.is_ipv4() { "ipv4" } else { "ipv6" }.into())],
        AnyValue::LicensePlate(v) => vec![
            ("province", v.province().name().into()),
            ("province_en", v.province().english().into()),
            ("new_energy", Flag(v.is_new_energy())),
        ],
        AnyValue::Biometric(v) => vec![("bytes", count(v.expose().len()))],
        _ => Vec::new(),
    }
}

/// The mask printed beside [`describe`]'s attributes: the strict mask for
/// an ID number (its standard mask shows digits that the facts would
/// narrow to one number), the standard mask for every other kind, whose
/// attributes only repeat what the standard mask shows (a carrier from the
/// visible segment, a domain, an area code, a province, a digit count) or
/// are coarser than it (a 5-character geohash beside a location rounded to
/// 0.01°).
///
/// ```
/// use desensitize::generalize::describe_mask;
/// use desensitize::kind::AnyValue;
/// use desensitize::Kind;
///
/// let id = AnyValue::parse(Kind::IdNumber, "11010519491231002X")?;
/// assert_eq!(describe_mask(&id), "1****************X");
/// let phone = AnyValue::parse(Kind::MobilePhone, "13800138000")?;
/// assert_eq!(describe_mask(&phone), "138****8000");
/// # Ok::<(), desensitize::Error>(())
/// ```
pub fn describe_mask(value: &AnyValue) -> String {
    match value {
        AnyValue::IdNumber(_) => value.mask(MaskLevel::Strict),
        _ => value.mask(MaskLevel::Standard),
    }
}

/// The fewest values that a mask and the facts written beside it may leave
/// (ID numbers the parser accepts, as [`id_number_candidates`] counts
/// them): a policy that writes an ID number's mask beside facts of the same
/// column that leave fewer is refused when it is checked.
pub const MIN_CANDIDATES: u64 = 10_000;

/// About how many ID numbers give the same mask at `level` and the same
/// `facts` (ages in bands of `band_width` years), for the worst value:
/// syntactically valid numbers (any region digits under the province, every
/// date of the range, every sequence number), of which one in 11 has the
/// shown check character. Births are counted over 100 years when no fact
/// dates them; a month counts 28 days, a year 365.
///
/// Real numbers use fewer region codes (tens to hundreds per province):
/// this is an upper figure for an attacker who knows the code table, and
/// the one [`MIN_CANDIDATES`] is checked against.
///
/// ```
/// use desensitize::generalize::{Fact, id_number_candidates};
/// use desensitize::MaskLevel;
///
/// // What `inspect` prints: strict mask, province, age (one year), gender.
/// let inspect = id_number_candidates(MaskLevel::Strict, &[Fact::Province, Fact::AgeBand, Fact::Gender], 1);
/// assert_eq!(inspect, 10_000 * 365 * 500 / 11);
/// // The standard mask beside the birth month and city: a few thousand, too few.
/// assert_eq!(id_number_candidates(MaskLevel::Standard, &[Fact::BirthMonth, Fact::City], 5), 100 * 28 * 10 / 11);
/// ```
pub fn id_number_candidates(level: MaskLevel, facts: &[Fact], band_width: u32) -> u64 {
    let (first, last) = match level {
        MaskLevel::Strict => (1, 1),
        MaskLevel::Standard => (3, 3),
        MaskLevel::Relaxed => (6, 4),
    };
    let has = |f: Fact| facts.contains(&f);
    // Region: digits 1-6; a province names 2, a city 4.
    let region_known = if has(Fact::City) {
        4
    } else if has(Fact::Province) {
        2
    } else {
        0
    };
    let region = 10u64.pow(6 - first.max(region_known).min(6));
    // Birth date: digits 7-14, never shown by a mask.
    let days = if has(Fact::BirthMonth) {
        28
    } else if has(Fact::BirthYear) {
        365
    } else if has(Fact::AgeBand) {
        365 * u64::from(band_width.max(1))
    } else {
        365 * 100
    };
    // Sequence: digits 15-17 (the 17th gives the gender); the mask's last
    // `last` characters include the check character (18th).
    let hidden_seq = 3u32.saturating_sub(last - 1);
    let mut sequence = 10u64.pow(hidden_seq);
    if hidden_seq == 3 && has(Fact::Gender) {
        sequence /= 2;
    }
    region * days * sequence / 11
}

/// The carrier that was assigned the number's segment (numbers can be ported).
fn segment_carrier(v: &MobilePhone) -> &'static str {
    match v.expose().get(..3).unwrap_or_default() {
        "134" | "135" | "136" | "137" | "138" | "139" | "147" | "150" | "151" | "152" | "157" | "158"
        | "159" | "172" | "178" | "182" | "183" | "184" | "187" | "188" | "195" | "197" | "198" => {
            "China Mobile"
        }
        "130" | "131" | "132" | "145" | "155" | "156" | "166" | "167" | "171" | "175" | "176" | "185"
        | "186" | "196" => "China Unicom",
        "133" | "149" | "153" | "173" | "174" | "177" | "180" | "181" | "189" | "190" | "191" | "193"
        | "199" => "China Telecom",
        "192" => "China Broadcast Network",
        _ => "unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Kind;
    use crate::protect::__private::Facts as _;

    fn on(y: u16, m: u8, d: u8) -> FactOptions {
        FactOptions { today: Date::new(y, m, d).unwrap(), ..FactOptions::default() }
    }

    fn facts_of(kind: Kind, text: &str, opts: &FactOptions, regions: Regions) -> Vec<String> {
        let v = AnyValue::parse(kind, text).unwrap();
        crate::policy::Fact::of_kind(kind)
            .iter()
            .map(|&f| {
                let mut out = String::new();
                write_fact(v.as_any_ref(), f, opts, regions, &mut out).unwrap();
                out
            })
            .collect()
    }

    /// The outputs the three former engines (policy columns, derive views,
    /// `inspect`) gave for these values.
    #[test]
    fn facts_of_each_kind_with_facts() {
        let opts = on(2024, 6, 1);
        assert_eq!(
            facts_of(Kind::IdNumber, "11010519491231002X", &opts, Regions::City),
            ["female", "70-74", "北京市", "北京市", "1949", "1949-12"]
        );
        assert_eq!(
            facts_of(Kind::IdNumber, "440305200801010011", &opts, Regions::City),
            ["male", "15-19", "广东省", "深圳市", "2008", "2008-01"]
        );
        // A minor's row under `minors = "strict"`: the city is the province.
        assert_eq!(facts_of(Kind::IdNumber, "440305200801010011", &opts, Regions::Province)[3], "广东省");
        assert_eq!(
            facts_of(Kind::Address, "广东省深圳市南山区科技园1号", &opts, Regions::City),
            ["广东省", "深圳市"]
        );
        assert_eq!(
            facts_of(Kind::Address, "广东省深圳市南山区", &opts, Regions::Province),
            ["广东省", "广东省"]
        );
        assert_eq!(facts_of(Kind::Address, "某地某路1号", &opts, Regions::City), ["", ""]);
        assert_eq!(
            facts_of(Kind::GeoPoint, "39.9042,116.4074", &opts, Regions::City),
            ["wx4g0", "39.90029,116.40939"]
        );
        let coarse = FactOptions { precision: 2, grid_km: 200.0, ..opts };
        assert_eq!(facts_of(Kind::GeoPoint, "39.9042,116.4074", &coarse, Regions::City)[0], "wx");
    }

    #[test]
    fn open_age_band_and_single_year_bands() {
        let id = AnyValue::parse(Kind::IdNumber, "11010519491231002X").unwrap();
        let wide = FactOptions { band_width: 1, ..on(2024, 6, 1) };
        assert_eq!(fact_of(&id, Fact::AgeBand, &wide).unwrap(), "74");
        let late = on(2070, 1, 1);
        assert_eq!(fact_of(&id, Fact::AgeBand, &late).unwrap(), "100+");
    }

    #[test]
    fn every_entry_point_gives_the_same_text() {
        let opts = on(2024, 6, 1);
        let id: IdNumber = "11010519491231002X".parse().unwrap();
        let address: Address = "广东省深圳市南山区科技园1号".parse().unwrap();
        let point: GeoPoint = "39.9042,116.4074".parse().unwrap();
        for f in Fact::ALL {
            for (any, derive) in [
                (AnyValue::from(id.clone()), id.fact(f, &opts)),
                (AnyValue::from(address.clone()), address.fact(f, &opts)),
                (AnyValue::from(point.clone()), point.fact(f, &opts)),
            ] {
                assert_eq!(fact_of(&any, f, &opts).ok(), derive.ok(), "{f:?}");
            }
        }
    }

    #[test]
    fn kinds_without_a_fact_are_refused() {
        let opts = on(2024, 6, 1);
        let phone = AnyValue::parse(Kind::MobilePhone, "13800138000").unwrap();
        assert_eq!(fact_of(&phone, Fact::Gender, &opts), Err(Error::Config(ConfigError::FactKind)));
        let point = AnyValue::parse(Kind::GeoPoint, "39.9042,116.4074").unwrap();
        assert!(fact_of(&point, Fact::Province, &opts).is_err());
        let id = AnyValue::parse(Kind::IdNumber, "11010519491231002X").unwrap();
        assert!(fact_of(&id, Fact::Grid, &opts).is_err());
    }

    #[test]
    fn describe_gives_what_inspect_reports() {
        use Attribute::{Flag, Number, Text, Unknown};
        let today = Date::new(2024, 6, 1).unwrap();
        let id = AnyValue::parse(Kind::IdNumber, "11010519491231002X").unwrap();
        let text = |s: &str| Text(s.to_owned());
        assert_eq!(
            describe(&id, today),
            [
                ("gender", text("female")),
                ("age", Number(74)),
                ("province", text("北京市")),
                ("province_en", text("Beijing")),
                ("under_14", Flag(false)),
                ("under_18", Flag(false)),
            ]
        );
        let case = |kind: Kind, input: &str| describe(&AnyValue::parse(kind, input).unwrap(), today);
        assert_eq!(case(Kind::Email, "ZhangSan@163.COM"), [("domain", text("163.com"))]);
        assert_eq!(case(Kind::GeoPoint, "39.9042,116.4074"), [("geohash5", text("wx4g0"))]);
        assert_eq!(case(Kind::MobilePhone, "13012345678"), [("segment_carrier", text("China Unicom"))]);
        assert_eq!(
            case(Kind::MobilePhone, "19212345678"),
            [("segment_carrier", text("China Broadcast Network"))]
        );
        assert_eq!(case(Kind::Landline, "010-62345678"), [("area_code", text("010"))]);
        assert_eq!(case(Kind::BankCard, "6222021234567894"), [("digits", Number(16))]);
        assert_eq!(case(Kind::IpAddress, "::1"), [("version", text("ipv6"))]);
        assert_eq!(case(Kind::Biometric, "AQIDBA=="), [("bytes", Number(4))]);
        assert_eq!(
            case(Kind::Address, "某地某路1号"),
            [("province", Unknown), ("province_en", Unknown), ("city", Unknown)]
        );
        assert_eq!(
            case(Kind::LicensePlate, "京A12345"),
            [("province", text("北京市")), ("province_en", text("Beijing")), ("new_energy", Flag(false))]
        );
        assert!(case(Kind::PersonName, "欧阳娜娜").is_empty());
    }

    /// `inspect`'s output for an ID number (its mask and attributes) no
    /// longer determines it: counted by brute force over every digit it
    /// hides, with region codes restricted to the districts the table knows
    /// (fewer than the parser accepts), each candidate checked through the
    /// library's own parse, mask and `describe`.
    #[test]
    fn inspect_output_leaves_many_id_numbers() {
        let today = Date::new(2024, 6, 1).unwrap();
        let id = AnyValue::parse(Kind::IdNumber, "11010519491231002X").unwrap();
        let (mask, facts) = (describe_mask(&id), describe(&id, today));
        let regions: Vec<u32> =
            (110_000..120_000).filter(|&c| division::District::from_code(c).is_some()).collect();
        let first = today.days_since_epoch() - 366 * 76;
        let days: Vec<Date> = (first..=today.days_since_epoch())
            .map(Date::from_days_since_epoch)
            .filter(|d| d.years_until(today) == 74)
            .collect();
        assert_eq!(days.len(), 365);
        let mut count = 0u64;
        let mut text = [0u8; 18];
        for &region in &regions {
            for day in &days {
                let prefix = format!("{region:06}{:04}{:02}{:02}", day.year(), day.month(), day.day());
                text[..14].copy_from_slice(prefix.as_bytes());
                for seq in 0..1000u32 {
                    text[14..17].copy_from_slice(format!("{seq:03}").as_bytes());
                    text[17] = crate::kind::id_check_char(&text[..17]);
                    if text[17] != b'X' || seq % 2 == 1 {
                        continue; // another mask's last character, or another gender (digit 17)
                    }
                    let candidate =
                        AnyValue::parse(Kind::IdNumber, core::str::from_utf8(&text).unwrap()).unwrap();
                    if describe_mask(&candidate) == mask && describe(&candidate, today) == facts {
                        count += 1;
                    }
                }
            }
        }
        // 16 districts * 365 days * 500 sequence numbers / 11, give or take the check character.
        assert!(count >= MIN_CANDIDATES, "{count}");
        assert_eq!(count, 265_464, "{} districts", regions.len());
        let syntactic =
            id_number_candidates(MaskLevel::Strict, &[Fact::Province, Fact::AgeBand, Fact::Gender], 1);
        assert!(syntactic >= count && syntactic >= MIN_CANDIDATES);
    }

    /// The standard mask beside the facts inspect printed before issue 20
    /// left one number; the estimate agrees that such a pairing is far
    /// below the bound.
    #[test]
    fn fine_facts_beside_a_mask_are_below_the_bound() {
        use Fact::{AgeBand, BirthMonth, BirthYear, City, Gender, Province};
        use MaskLevel::{Relaxed, Standard, Strict};
        // The figures SECURITY.md gives ("Facts beside masks").
        assert_eq!(id_number_candidates(Standard, &[BirthMonth, City, Gender], 5), 2_545);
        assert_eq!(id_number_candidates(Relaxed, &[BirthYear], 5), 33);
        assert_eq!(id_number_candidates(Relaxed, &[AgeBand], 5), 165);
        assert_eq!(id_number_candidates(Standard, &[Province, AgeBand, Gender], 5), 1_659_090);
        assert_eq!(id_number_candidates(Standard, &[Province, AgeBand], 10), 3_318_181);
        assert_eq!(id_number_candidates(Standard, &[BirthYear, City], 5), 33_181);
        assert_eq!(id_number_candidates(Strict, &[Province, AgeBand, Gender], 1), 165_909_090);
        assert_eq!(id_number_candidates(Strict, &[Province, AgeBand], 1), 331_818_181);
        assert_eq!(id_number_candidates(Strict, &[], 5), 100_000 * 36_500 * 1000 / 11);
        assert_eq!(id_number_candidates(Relaxed, &[], 5), 36_500 / 11);
        // The bound sits between what policies are refused and allowed.
        const { assert!(2_545 < MIN_CANDIDATES && 33_181 >= MIN_CANDIDATES) };
    }
}
