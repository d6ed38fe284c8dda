//! ID numbers at their edges: the minor thresholds (`is_under_18_on`,
//! `is_under_14_on`) at adults, the exact birthday and the day before, and
//! leap-day births; birth dates from 1800-01-01 to today; legacy 15-digit
//! input; and `MaskLevel::as_str`.
//!
//! Expected values are computed here independently of the library.

use desensitize::{Date, Error, IdNumber, Invalid, Kind, MaskLevel};
use proptest::prelude::*;

/// GB 11643 (ISO 7064 MOD 11-2) check character of 17 digits.
fn id_check(first17: &str) -> char {
    const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = first17.bytes().zip(W).map(|(d, w)| u32::from(d - b'0') * w).sum();
    char::from(b"10X98765432"[(sum % 11) as usize])
}

/// An 18-digit number of a Beijing (110105) holder born on `y-m-d`.
fn born(y: u16, m: u8, d: u8) -> String {
    let first17 = format!("110105{y:04}{m:02}{d:02}123");
    format!("{first17}{}", id_check(&first17))
}

fn date(y: u16, m: u8, d: u8) -> Date {
    Date::new(y, m, d).unwrap()
}

/// Parsed against a fixed "today" far enough ahead for every birth here.
fn id(y: u16, m: u8, d: u8) -> IdNumber {
    IdNumber::parse_on(&born(y, m, d), date(2100, 1, 1)).unwrap()
}

fn reason(input: &str, today: Date) -> Invalid {
    match IdNumber::parse_on(input, today) {
        Err(Error::Invalid { kind: Kind::IdNumber, reason }) => reason,
        other => panic!("expected an ID number error, got {:?}", other.map(|_| ())),
    }
}

#[test]
fn minors_at_the_exact_birthday() {
    let child = id(2010, 6, 15);
    // 14th birthday: under 14 the day before, not on the day.
    assert!(child.is_under_14_on(date(2024, 6, 14)));
    assert!(!child.is_under_14_on(date(2024, 6, 15)));
    assert!(!child.is_under_14_on(date(2024, 6, 16)));
    // 18th birthday likewise; between them a minor who is not under 14.
    assert!(child.is_under_18_on(date(2028, 6, 14)));
    assert!(!child.is_under_18_on(date(2028, 6, 15)));
    assert!(child.is_under_18_on(date(2024, 6, 15)));
    // Month boundaries count: a later month of the same year is past the birthday.
    assert!(!child.is_under_18_on(date(2028, 7, 1)));
    assert!(child.is_under_18_on(date(2028, 5, 31)));
    // Before birth the age is 0: under both.
    assert!(child.is_under_14_on(date(2000, 1, 1)));
    assert!(child.is_under_18_on(date(2000, 1, 1)));
}

#[test]
fn adults_are_not_minors() {
    let adult = id(1949, 12, 31);
    for on in [date(1967, 12, 31), date(1968, 1, 1), date(2026, 11, 23)] {
        assert!(!adult.is_under_18_on(on), "{on:?}");
        assert!(!adult.is_under_14_on(on), "{on:?}");
    }
    assert!(adult.is_under_18_on(date(1967, 12, 30)));
    assert!(!adult.is_under_14_on(date(1963, 12, 31)));
    assert!(adult.is_under_14_on(date(1963, 12, 30)));
    assert_eq!(adult.age_on(date(2026, 11, 23)), 76);
    let oldest = id(1800, 1, 1);
    assert!(!oldest.is_under_18_on(date(2026, 1, 1)));
    assert_eq!(oldest.age_on(date(1817, 12, 31)), 17);
    assert_eq!(oldest.age_on(date(1818, 1, 1)), 18);
}

#[test]
fn leap_day_births_come_of_age_on_march_first_in_common_years() {
    let leap = id(2008, 2, 29);
    // 2026 is a common year: 18 is reached on 1 March, not on 28 February.
    assert!(leap.is_under_18_on(date(2026, 2, 28)));
    assert!(!leap.is_under_18_on(date(2026, 3, 1)));
    // 2022 likewise for 14.
    assert!(leap.is_under_14_on(date(2022, 2, 28)));
    assert!(!leap.is_under_14_on(date(2022, 3, 1)));
    // A leap-year birthday is the day itself.
    let leap14 = id(2000, 2, 29);
    assert!(leap14.is_under_14_on(date(2014, 2, 28)));
    assert!(!leap14.is_under_18_on(date(2018, 3, 1)));
    let leap_now = id(2012, 2, 29);
    assert!(leap_now.is_under_14_on(date(2026, 2, 28)));
    assert!(!leap_now.is_under_14_on(date(2026, 3, 1)));
    assert!(leap_now.is_under_18_on(date(2030, 2, 28)));
    assert!(!leap_now.is_under_18_on(date(2030, 3, 1)));
    assert!(leap_now.is_under_18_on(date(2028, 2, 29)));
    assert_eq!(leap_now.age_on(date(2028, 2, 29)), 16);
    assert_eq!(leap_now.age_on(date(2028, 2, 28)), 15);
}

#[test]
fn birth_date_window_is_1800_to_today() {
    let today = date(2026, 11, 23);
    assert_eq!(IdNumber::parse_on(&born(1800, 1, 1), today).unwrap().birth_date(), date(1800, 1, 1));
    assert_eq!(reason(&born(1799, 12, 31), today), Invalid::BirthDate);
    assert_eq!(reason(&born(1000, 1, 1), today), Invalid::BirthDate);
    assert_eq!(reason(&born(0, 1, 1), today), Invalid::BirthDate);
    assert_eq!(IdNumber::parse_on(&born(2026, 11, 23), today).unwrap().birth_date(), today);
    assert_eq!(reason(&born(2026, 11, 24), today), Invalid::BirthDateInFuture);
    assert_eq!(reason(&born(2027, 1, 1), today), Invalid::BirthDateInFuture);
    assert_eq!(reason(&born(9999, 12, 31), today), Invalid::BirthDateInFuture);
    // Real dates only.
    assert_eq!(reason(&born(2023, 2, 29), today), Invalid::BirthDate);
    assert!(IdNumber::parse_on(&born(2024, 2, 29), today).is_ok());
    assert!(IdNumber::parse_on(&born(2000, 2, 29), today).is_ok());
    assert_eq!(reason(&born(1900, 2, 29), today), Invalid::BirthDate);
    assert_eq!(reason(&born(2001, 4, 31), today), Invalid::BirthDate);
    assert_eq!(reason(&born(2001, 13, 1), today), Invalid::BirthDate);
    assert_eq!(reason(&born(2001, 0, 1), today), Invalid::BirthDate);
    assert_eq!(reason(&born(2001, 1, 0), today), Invalid::BirthDate);
    assert_eq!(reason(&born(2001, 12, 32), today), Invalid::BirthDate);
    assert!(IdNumber::parse_on(&born(2001, 12, 31), today).is_ok());
    // The clock-reading parser accepts today's births and refuses none of the past.
    let now = Date::today();
    assert!(born(now.year(), now.month(), now.day()).parse::<IdNumber>().is_ok());
    assert!(born(1800, 1, 1).parse::<IdNumber>().is_ok());
}

#[test]
fn province_and_check_character_rules() {
    let today = date(2026, 11, 23);
    for (province, ok) in [
        ("11", true),
        ("65", true),
        ("71", true),
        ("81", true),
        ("82", true),
        ("10", false),
        ("19", false),
        ("00", false),
        ("99", false),
    ] {
        let first17 = format!("{province}0105194912310{}", "02");
        let input = format!("{first17}{}", id_check(&first17));
        match IdNumber::parse_on(&input, today) {
            Ok(_) => assert!(ok, "{province} accepted"),
            Err(e) => {
                assert!(!ok, "{province} refused");
                assert!(matches!(e, Error::Invalid { kind: Kind::IdNumber, reason: Invalid::Province }));
            }
        }
    }
    // Every wrong check character is refused; the right one is accepted.
    let first17 = "11010519491231002";
    for c in "0123456789X".chars() {
        let input = format!("{first17}{c}");
        let got = IdNumber::parse_on(&input, today);
        if c == id_check(first17) {
            assert_eq!(got.unwrap().expose(), input);
        } else {
            assert_eq!(reason(&input, today), Invalid::CheckDigit, "{c}");
        }
    }
}

#[test]
fn mask_level_names() {
    assert_eq!(MaskLevel::Strict.as_str(), "strict");
    assert_eq!(MaskLevel::Standard.as_str(), "standard");
    assert_eq!(MaskLevel::Relaxed.as_str(), "relaxed");
    for level in MaskLevel::ALL {
        assert_eq!(level.as_str().parse::<MaskLevel>().unwrap(), level);
    }
}

/// Days from 1800-01-01 to `d`, independently of the library (Julian day numbers).
fn days(y: u16, m: u8, d: u8) -> i64 {
    let (y, m, d) = (i64::from(y), i64::from(m), i64::from(d));
    let a = (14 - m) / 12;
    let (y2, m2) = (y + 4800 - a, m + 12 * a - 3);
    d + (153 * m2 + 2) / 5 + 365 * y2 + y2 / 4 - y2 / 100 + y2 / 400 - 32045
}

fn is_leap(y: u16) -> bool {
    (y.is_multiple_of(4) && !y.is_multiple_of(100)) || y.is_multiple_of(400)
}

fn month_len(y: u16, m: u8) -> u8 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Whether someone born on `b` is under `n` years on `on` (birthday on
/// 1 March in common years for a 29 February birth).
fn under(b: (u16, u8, u8), n: u16, on: (u16, u8, u8)) -> bool {
    let year = b.0 + n;
    let birthday = if (b.1, b.2) == (2, 29) && !is_leap(year) { (year, 3, 1) } else { (year, b.1, b.2) };
    days(on.0, on.1, on.2) < days(birthday.0, birthday.1, birthday.2)
}

/// A birth date from 1800-01-01 up to `today`, often at the ends.
fn birth(today: (u16, u8, u8)) -> impl Strategy<Value = (u16, u8, u8)> {
    prop_oneof![
        1 => Just((1800, 1, 1)),
        1 => Just(today),
        1 => Just((2008, 2, 29)),
        6 => (1800u16..=today.0, 1u8..=12, 1u8..=31),
    ]
    .prop_map(move |(y, m, d)| {
        let d = d.min(month_len(y, m));
        if (y, m, d) > today { today } else { (y, m, d) }
    })
}

/// 15-digit legacy numbers are for births in 1900-1999.
fn legacy() -> impl Strategy<Value = (u8, u8, u8, u16)> {
    (0u8..=99, 1u8..=12, 1u8..=31, 0u16..1000)
        .prop_map(|(yy, m, d, seq)| (yy, m, d.min(month_len(1900 + u16::from(yy), m)), seq))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn every_birth_date_from_1800_to_today(b in birth((2026, 11, 23)), ahead in 0i64..40 * 366) {
        let today = date(2026, 11, 23);
        let input = born(b.0, b.1, b.2);
        let id = IdNumber::parse_on(&input, today).unwrap();
        prop_assert_eq!(id.expose(), input.as_str());
        prop_assert_eq!(id.birth_date(), date(b.0, b.1, b.2));
        // A reference date from the birth onwards.
        let on = Date::from_days_since_epoch(date(b.0, b.1, b.2).days_since_epoch() + ahead);
        let on_t = (on.year(), on.month(), on.day());
        prop_assert_eq!(id.is_under_14_on(on), under(b, 14, on_t), "14 on {:?}", on_t);
        prop_assert_eq!(id.is_under_18_on(on), under(b, 18, on_t), "18 on {:?}", on_t);
    }

    #[test]
    fn fifteen_digit_numbers_upgrade(l in legacy()) {
        let (yy, m, d, seq) = l;
        let input = format!("110105{yy:02}{m:02}{d:02}{seq:03}");
        let first17 = format!("11010519{yy:02}{m:02}{d:02}{seq:03}");
        let want = format!("{first17}{}", id_check(&first17));
        let id = IdNumber::parse_on(&input, date(2026, 11, 23)).unwrap();
        prop_assert_eq!(id.expose(), want.as_str());
        prop_assert_eq!(id.birth_date(), date(1900 + u16::from(yy), m, d));
        // Separators and full-width digits fold the same way.
        let spaced = format!("{} {}-{}", &input[..6], &input[6..12], &input[12..]);
        let folded = IdNumber::parse_on(&spaced, date(2026, 11, 23)).unwrap();
        prop_assert_eq!(folded.expose(), want.as_str());
        // A 15-digit number never carries a check character.
        let with_x = format!("{}X", &input[..14]);
        prop_assert_eq!(reason(&with_x, date(2026, 11, 23)), Invalid::Character);
    }
}
