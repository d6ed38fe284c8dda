//! Property tests of the parsers: total (never panic) on any input, clean
//! errors, and canonical forms that are fixed points.

use crate::common;

use base64ct::{Base64, Encoding};
use common::prop_checks::{Canon, TestResult, check_debug, check_invalid, config, keyring};
use common::strategies::{
    address, bank_card, biometric, credit_code, email, geo_point, id_number, imei, ipv4, ipv6, landline,
    landline_text, license_plate, mac_address, mobile_phone, passport, person_name,
};
use desensitize::{
    Address, BankCard, Biometric, Context, CreditCode, Email, GeoPoint, IdNumber, Imei, IpAddress, Kind,
    Landline, LicensePlate, MacAddress, MaskLevel, MobilePhone, Passport, Password, PersonName, Sealed,
};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

use MaskLevel::Standard;

// ---------------------------------------------------------------------------
// 4. Never panics; canonical forms are fixed points.

/// Parse `input` as `T`. On success the value masks, prints only its kind
/// in `Debug` and re-parses from its canonical form to an equal value with
/// the same canonical form. On failure the error is a clean `Invalid`.
fn total<T: Canon>(input: &str) -> TestResult {
    match input.parse::<T>() {
        Ok(v) => {
            let _ = MaskLevel::ALL.map(|level| v.mask(level));
            prop_assert_eq!(v.to_string(), v.mask(Standard));
            check_debug(&v)?;
            let canon = v.canon();
            match canon.parse::<T>() {
                Ok(again) => {
                    prop_assert!(
                        again == v,
                        "{} {input:?}: canonical {canon:?} parses to another value",
                        T::KIND
                    );
                    prop_assert_eq!(
                        again.canon(),
                        canon,
                        "{} {:?}: canonical form is not a fixed point",
                        T::KIND,
                        input
                    );
                }
                Err(e) => {
                    return Err(TestCaseError::fail(format!(
                        "{} {input:?} parses, but its canonical form {canon:?} does not: {e}",
                        T::KIND
                    )));
                }
            }
        }
        Err(e) => {
            check_invalid(T::KIND, input, &e)?;
        }
    }
    Ok(())
}

fn total_all(input: &str) -> TestResult {
    if let Ok(p) = input.parse::<GeoPoint>() {
        let (lat, lon) = p.expose();
        prop_assert_eq!(GeoPoint::new(lat, lon).ok(), Some(p));
    }
    total::<IdNumber>(input)?;
    total::<MobilePhone>(input)?;
    total::<Landline>(input)?;
    total::<BankCard>(input)?;
    total::<GeoPoint>(input)?;
    total::<Email>(input)?;
    total::<PersonName>(input)?;
    total::<Address>(input)?;
    total::<IpAddress>(input)?;
    total::<MacAddress>(input)?;
    total::<Imei>(input)?;
    total::<Passport>(input)?;
    total::<LicensePlate>(input)?;
    total::<CreditCode>(input)?;
    total::<Password>(input)?;
    total::<Biometric>(input)?;

    if let Ok(kind) = input.parse::<Kind>() {
        prop_assert_eq!(kind.as_str().parse::<Kind>().ok(), Some(kind));
    }
    if let Ok(level) = input.parse::<MaskLevel>() {
        prop_assert_eq!(level.as_str().parse::<MaskLevel>().ok(), Some(level));
    }
    match Sealed::<IdNumber>::from_text(input) {
        Ok(sealed) => {
            prop_assert_eq!(Sealed::<IdNumber>::from_bytes(sealed.as_bytes()).ok(), Some(sealed.clone()));
            let ctx = Context::new("props", "any");
            prop_assert!(keyring().open(&sealed, &ctx, "props").is_err());
        }
        Err(e) => {
            let text = format!("{e} {e:?}");
            if input.len() >= 12 {
                prop_assert!(!text.contains(input), "sealed-text error repeats its input");
            }
        }
    }
    Ok(())
}

/// Strings that look like the kinds' inputs: digits, full-width digits and
/// letters, separators, markers, control and white-space characters.
fn near_miss() -> impl Strategy<Value = String> {
    "[0-9０-９xXａ-ｆＡ-Ｆa-fA-F +\\-()#.,:@·•转extdz1_/=\u{3000}\t\n\u{0}\u{7}\u{1b}\u{ff0e}京粤A-Z北京市朝阳区𠮷张]{0,48}"
}

/// Near-valid values with one character changed, dropped or doubled.
fn mutated() -> impl Strategy<Value = String> {
    let valid = prop_oneof![
        id_number(),
        mobile_phone(),
        bank_card(),
        imei(),
        credit_code(),
        email(),
        person_name(),
        address().prop_map(|a| a.text),
        ipv4(),
        ipv6(),
        mac_address().prop_map(|m| m.0),
        passport(),
        license_plate(),
        landline().prop_map(|l| landline_text(&l)),
        geo_point().prop_map(|(a, b)| format!("{a},{b}")),
        biometric().prop_map(|b| Base64::encode_string(&b)),
    ];
    let with = prop_oneof![
        prop::char::range('0', '9'),
        Just('X'),
        Just('-'),
        Just(' '),
        Just('\u{3000}'),
        Just('＋'),
        Just('８'),
        Just('.'),
        Just(':'),
        Just('\u{0}'),
        any::<char>(),
    ];
    (valid, any::<usize>(), with, 0..3usize).prop_map(|(s, at, c, op)| {
        let mut chars: Vec<char> = s.chars().collect();
        let at = at % chars.len().max(1);
        match op {
            0 if !chars.is_empty() => chars[at] = c,
            1 if !chars.is_empty() => {
                chars.remove(at);
            }
            _ => chars.insert(at, c),
        }
        chars.into_iter().collect()
    })
}

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn parsers_are_total_on_any_string(s in any::<String>()) {
        total_all(&s)?;
    }

    #[test]
    fn parsers_are_total_on_dot_star(s in ".*") {
        total_all(&s)?;
    }

    #[test]
    fn parsers_are_total_on_near_misses(s in near_miss()) {
        total_all(&s)?;
    }

    #[test]
    fn parsers_are_total_on_mutated_values(s in mutated()) {
        total_all(&s)?;
    }

    #[test]
    fn kind_and_level_names(k in prop::sample::select(Kind::ALL.to_vec()), upper in any::<bool>(), pad in "[ \t]{0,2}") {
        let name = k.as_str();
        let short = name.strip_prefix("cn.").unwrap_or(name).replace('_', "-");
        for s in [name.to_owned(), short] {
            let s = if upper { s.to_uppercase() } else { s };
            prop_assert_eq!(format!("{pad}{s}{pad}").parse::<Kind>().ok(), Some(k));
        }
        prop_assert_eq!(Kind::from_code(k.code()), Some(k));
    }
}

proptest! {
    #![proptest_config(config(32))]

    #[test]
    fn parsers_are_total_on_long_strings(
        s in prop_oneof![
            prop::collection::vec(any::<char>(), 0..10_000).prop_map(|v| v.into_iter().collect::<String>()),
            "[0-9 \\-]{0,10000}",
            "[A-Za-z0-9+/]{0,10000}={0,2}",
            "[北京市朝阳区路号1]{0,3000}",
        ],
    ) {
        total_all(&s)?;
    }
}
