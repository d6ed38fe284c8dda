//! proptest strategies for valid values of every kind, with check digits
//! computed independently of the library.

use std::net::{Ipv4Addr, Ipv6Addr};

use desensitize::Date;
use desensitize::region::Province;
use proptest::prelude::*;

// ---------------------------------------------------------------------------
// Check digits, computed independently of the library.

/// GB 11643 (ISO 7064 MOD 11-2) check character of 17 digits.
pub fn id_check(first17: &str) -> char {
    const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = first17.bytes().zip(W).map(|(d, w)| u32::from(d - b'0') * w).sum();
    char::from(b"10X98765432"[(sum % 11) as usize])
}

/// Luhn check digit to append to `payload`.
pub fn luhn_digit(payload: &str) -> char {
    let sum: u32 = payload
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, d)| {
            let v = u32::from(d - b'0');
            if i % 2 == 0 {
                let v = v * 2;
                if v > 9 { v - 9 } else { v }
            } else {
                v
            }
        })
        .sum();
    char::from(b'0' + ((10 - sum % 10) % 10) as u8)
}

pub const CREDIT_ALPHABET: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";

/// GB 32100 check character of 17 code characters.
pub fn credit_check(first17: &str) -> char {
    const W: [u32; 17] = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
    let value = |c: char| CREDIT_ALPHABET.find(c).unwrap() as u32;
    let sum: u32 = first17.chars().zip(W).map(|(c, w)| value(c) * w).sum();
    CREDIT_ALPHABET.as_bytes()[((31 - sum % 31) % 31) as usize] as char
}

// ---------------------------------------------------------------------------
// Strategies for valid values. Each yields the input text; the canonical
// form (`expose()`) is what the parsed value is compared with.

pub fn id_number() -> impl Strategy<Value = String> {
    let provinces: Vec<u8> = Province::all().iter().map(|p| p.code()).collect();
    (prop::sample::select(provinces), 0u32..10_000, 1900u16..=2020, 1u8..=12, 1u8..=31, 0u32..1000).prop_map(
        |(province, rest, year, month, day, seq)| {
            let mut day = day;
            while Date::new(year, month, day).is_none() {
                day -= 1;
            }
            let first17 = format!("{province:02}{rest:04}{year:04}{month:02}{day:02}{seq:03}");
            format!("{first17}{}", id_check(&first17))
        },
    )
}

pub fn mobile_phone() -> impl Strategy<Value = String> {
    "1[3-9][0-9]{9}"
}

pub fn bank_card() -> impl Strategy<Value = String> {
    "[0-9]{11,18}".prop_map(|p| format!("{p}{}", luhn_digit(&p)))
}

pub fn imei() -> impl Strategy<Value = String> {
    "[0-9]{14}".prop_map(|p| format!("{p}{}", luhn_digit(&p)))
}

pub fn credit_code() -> impl Strategy<Value = String> {
    "[0-9A-HJ-NP-RTUW-Y]{17}".prop_map(|p| format!("{p}{}", credit_check(&p)))
}

pub fn email() -> impl Strategy<Value = String> {
    "[a-z0-9][a-z0-9._+-]{0,15}@([a-z0-9]([a-z0-9-]{0,6}[a-z0-9])?\\.){1,3}[a-z]{2,6}"
}

/// 2 to 6 CJK characters, some outside the BMP (U+20BB7 and Extension B).
pub fn person_name() -> impl Strategy<Value = String> {
    let c = prop_oneof![
        4 => 0x4E00u32..=0x9FA5,
        1 => Just(0x20BB7u32),
        1 => 0x20000u32..=0x2A6D6,
    ]
    .prop_map(|u| char::from_u32(u).unwrap());
    prop::collection::vec(c, 2..=6).prop_map(|v| v.into_iter().collect())
}

/// CJK characters that occur in no province name and are no city or
/// district suffix, so that an address is recognized exactly as built.
pub fn plain_cjk() -> Vec<char> {
    let names: String = Province::all().iter().flat_map(|p| [p.name(), p.short_name()]).collect();
    "春夏秋冬花草木森石桥溪月星园坊街朝阳建国光明和平中华兴业长乐永宁福寿金银玉"
        .chars()
        .filter(|c| !names.contains(*c) && !"市州盟地区县旗".contains(*c))
        .collect()
}

/// A recognizable PRC address and the parts of it: `(text, province as
/// written, province + city + district as written, street)`.
#[derive(Debug, Clone)]
pub struct Addr {
    pub text: String,
    pub province: String,
    pub district: String,
    pub street: String,
}

pub fn address() -> impl Strategy<Value = Addr> {
    let provinces: Vec<Province> = Province::all().iter().copied().filter(|p| p.code() != 83).collect();
    let word = |n: std::ops::RangeInclusive<usize>| {
        prop::collection::vec(prop::sample::select(plain_cjk()), n)
            .prop_map(|v| v.into_iter().collect::<String>())
    };
    (prop::sample::select(provinces), any::<bool>(), word(2..=4), word(2..=3), word(2..=4), 1u32..1000)
        .prop_map(|(p, full, city, district, road, number)| {
            let province = if full { p.name() } else { p.short_name() }.to_owned();
            // A municipality has no city level.
            let city = if p.is_municipality() { String::new() } else { format!("{city}市") };
            let district = format!("{province}{city}{district}区");
            let street = format!("{road}路{number}号");
            Addr { text: format!("{district}{street}"), province, district, street }
        })
}

pub fn ipv4() -> impl Strategy<Value = String> {
    any::<[u8; 4]>().prop_map(|o| Ipv4Addr::from(o).to_string())
}

pub fn ipv6() -> impl Strategy<Value = String> {
    let group = prop_oneof![Just(0u16), any::<u16>()];
    prop::array::uniform8(group).prop_map(|g| Ipv6Addr::from(g).to_string())
}

/// A MAC address in one of the accepted spellings, with its canonical form.
pub fn mac_address() -> impl Strategy<Value = (String, String)> {
    (any::<[u8; 6]>(), 0..4usize, any::<bool>()).prop_map(|(b, style, lower)| {
        let hex: Vec<String> = b.iter().map(|x| format!("{x:02X}")).collect();
        let canonical = hex.join(":");
        let joined = hex.concat();
        let input = match style {
            0 => canonical.clone(),
            1 => hex.join("-"),
            2 => joined,
            _ => format!("{}.{}.{}", &joined[..4], &joined[4..8], &joined[8..]),
        };
        (if lower { input.to_lowercase() } else { input }, canonical)
    })
}

pub fn passport() -> impl Strategy<Value = String> {
    prop_oneof!["[EGDSP][0-9]{8}", "[A-Za-z0-9]{5,20}"]
}

pub fn license_plate() -> impl Strategy<Value = String> {
    let provinces: Vec<char> =
        "京津冀晋蒙辽吉黑沪苏浙皖闽赣鲁豫鄂湘粤桂琼渝川贵云藏陕甘青宁新".chars().collect();
    assert!(provinces.iter().all(|&c| Province::from_plate_char(c).is_some()));
    let serial =
        prop_oneof!["[A-HJ-NP-Z0-9]{5}", "[DF][A-HJ-NP-Z0-9]{5}", "[A-HJ-NP-Z0-9]{4}[学警挂领港澳]",];
    (prop::sample::select(provinces), "[A-Z]", serial).prop_map(|(p, a, s)| format!("{p}{a}{s}"))
}

/// `(area, local, extension)`.
pub fn landline() -> impl Strategy<Value = (String, String, Option<String>)> {
    let area = prop_oneof![Just("010".to_owned()), "02[0-9]", "0[3-9][0-9]{2}", "01[1-9][0-9]"];
    (area, "[2-9][0-9]{6,7}", prop::option::of("[0-9]{1,6}"))
}

pub fn landline_text((area, local, ext): &(String, String, Option<String>)) -> String {
    match ext {
        Some(ext) => format!("{area}-{local}-{ext}"),
        None => format!("{area}-{local}"),
    }
}

pub fn geo_point() -> impl Strategy<Value = (f64, f64)> {
    prop_oneof![
        (-90.0f64..=90.0, -180.0f64..=180.0),
        (-900_000i32..=900_000, -1_800_000i32..=1_800_000)
            .prop_map(|(a, b)| (a as f64 / 1e4, b as f64 / 1e4)),
        (-90i32..=90, -180i32..=180).prop_map(|(a, b)| (a as f64, b as f64)),
    ]
}

pub fn biometric() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<u8>(), 1..200)
}

pub fn password() -> impl Strategy<Value = String> {
    "[ -~]{0,3}[!-~][ -~]{0,40}"
}
