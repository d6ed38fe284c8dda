//! Generalization of known values, and k-anonymity on a synthetic dataset.

use desensitize::generalize::{AgeBand, EquivalenceClasses, division, geohash, grid_cell};
use desensitize::{Address, Date, Gender, GeoPoint, IdNumber};

#[test]
fn known_id_number() {
    let id: IdNumber = "11010519491231002X".parse().unwrap();
    assert_eq!(id.gender(), Gender::Female, "17th digit 2 is even");
    assert_eq!(id.birth_date(), Date::new(1949, 12, 31).unwrap());
    let p = id.generalize(Date::new(2026, 11, 23).unwrap(), 5).unwrap();
    assert_eq!(p.gender(), Gender::Female);
    assert_eq!(p.age_band().to_string(), "75-79");
    assert_eq!(p.province().name(), "北京市");
    assert_eq!(p.province().english(), "Beijing");
    assert_eq!(p.city().unwrap().name(), "北京市");
    let d = division::lookup(id.region_code()).unwrap();
    assert_eq!(id.region_code(), 110105);
    assert_eq!(d.district().unwrap().name(), "朝阳区");
    // Wider bands on request; the day before the 75th birthday is still 74.
    let day_before = id.generalize(Date::new(2024, 12, 30).unwrap(), 10).unwrap();
    assert_eq!(day_before.age_band().to_string(), "70-79");
    assert_eq!(id.generalize(Date::new(2024, 12, 30).unwrap(), 1).unwrap().age_band().to_string(), "74");
}

#[test]
fn historical_codes_fall_back_to_the_province() {
    // 440524: the old Chaoyang county of Shantou, gone from current tables.
    let id: IdNumber = "440524188001010014".parse().unwrap();
    let p = id.generalize(Date::new(2026, 1, 1).unwrap(), 5).unwrap();
    assert_eq!(p.province().name(), "广东省");
    assert_eq!(p.age_band().to_string(), "100+");
    // A code unknown below the province still generalizes.
    let id: IdNumber = {
        let first17 = "11019919900101001";
        let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
        let sum: u32 = first17.bytes().zip(weights).map(|(d, w)| u32::from(d - b'0') * w).sum();
        format!("{first17}{}", char::from(b"10X98765432"[(sum % 11) as usize])).parse().unwrap()
    };
    let p = id.generalize(Date::new(2026, 1, 1).unwrap(), 5).unwrap();
    assert_eq!(p.province().name(), "北京市");
}

#[test]
fn age_bands() {
    assert_eq!(AgeBand::of(0, 5).unwrap().to_string(), "0-4");
    assert_eq!(AgeBand::of(29, 5).unwrap().to_string(), "25-29");
    assert_eq!(AgeBand::of(99, 7).unwrap().to_string(), "98-99");
    assert_eq!(AgeBand::of(100, 5).unwrap().to_string(), "100+");
    assert!(AgeBand::of(30, 0).is_err());
    assert!(AgeBand::of(30, 51).is_err());
}

#[test]
fn addresses_and_dates() {
    let a: Address = "北京市朝阳区建国路88号".parse().unwrap();
    assert_eq!(a.generalize().unwrap().to_string(), "北京市");
    let b: Address = "浙江省杭州市西湖区文三路1号".parse().unwrap();
    let r = b.generalize().unwrap();
    assert_eq!((r.province().name(), r.city().unwrap().name()), ("浙江省", "杭州市"));
    let c: Address = "123 Main Street".parse().unwrap();
    assert!(c.generalize().is_none());
    assert_eq!(Date::new(1949, 12, 31).unwrap().to_year_month().to_string(), "1949-12");
}

#[test]
fn locations() {
    let p: GeoPoint = "39.9042,116.4074".parse().unwrap();
    assert_eq!(geohash(&p, 5).unwrap(), "wx4g0");
    let near: GeoPoint = "39.9050,116.4080".parse().unwrap();
    assert_eq!(grid_cell(&p, 2.0).unwrap(), grid_cell(&near, 2.0).unwrap());
    assert_eq!(geohash(&p, 6).unwrap(), geohash(&near, 6).unwrap());
}

#[test]
fn k_anonymity_on_generalized_ids() {
    // 2,000 synthetic ID numbers across a few districts and birth years,
    // generalized to (gender, 10-year band, province), then made 5-anonymous.
    let regions = ["110105", "310104", "440305", "510107", "540102"];
    let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let on = Date::new(2026, 11, 23).unwrap();
    let mut ids = Vec::new();
    for i in 0..2000u32 {
        // Tibet (54) is rare: only 3 people.
        let region = if i < 3 { regions[4] } else { regions[(i % 4) as usize] };
        let year = 1950 + (i * 7) % 60;
        let first17 = format!("{region}{year}0{}15{:03}", 1 + i % 9, i % 1000);
        let sum: u32 = first17.bytes().zip(weights).map(|(d, w)| u32::from(d - b'0') * w).sum();
        let id: IdNumber =
            format!("{first17}{}", char::from(b"10X98765432"[(sum % 11) as usize])).parse().unwrap();
        ids.push(id);
    }
    let qi = |id: &IdNumber| {
        let p = id.generalize(on, 10).unwrap();
        [p.gender().to_string(), p.age_band().to_string(), p.province().name().to_owned()]
    };
    let mut classes = EquivalenceClasses::new();
    for id in &ids {
        classes.add(&qi(id));
    }
    assert!(!classes.is_k_anonymous(5));
    let s = classes.suppression(5).unwrap();
    assert!(s.suppressed_records() >= 3 && s.suppressed_records() < 100, "{}", s.suppressed_records());
    let kept: Vec<_> = ids.iter().filter(|id| s.keeps(&qi(id))).collect();
    assert_eq!(kept.len() as u64, s.kept_records());
    assert!(kept.iter().all(|id| id.province().code() != 54), "the rare province is suppressed");
    let mut after = EquivalenceClasses::new();
    for id in &kept {
        after.add(&qi(id));
    }
    assert!(after.is_k_anonymous(5));
}
