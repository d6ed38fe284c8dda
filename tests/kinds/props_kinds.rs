//! Property tests of every kind: random valid values parse and never leak
//! through `Debug`, `Display`, masks or errors; corrupted values give clean
//! errors; decorated spellings normalize to the canonical form.

use crate::common;

use std::net::Ipv6Addr;

use base64ct::{Base64, Encoding};
use common::prop_checks::{
    assert_absent, check_ascii_kind, check_corrupted, check_keep_ends, config, masks, other, parse_ok,
    replace_at, slice, star,
};
use common::strategies::{
    CREDIT_ALPHABET, address, bank_card, biometric, credit_code, email, geo_point, id_number, imei, ipv4,
    ipv6, landline, landline_text, license_plate, mac_address, mobile_phone, passport, password, person_name,
};
use desensitize::{
    Address, BankCard, Biometric, CreditCode, Email, GeoPoint, IdNumber, Imei, IpAddress, Kind, Landline,
    LicensePlate, MacAddress, MobilePhone, Passport, Password, PersonName,
};
use proptest::prelude::*;

// ---------------------------------------------------------------------------
// 1 + 2. Valid values parse; nothing leaks; corrupted values give clean errors.

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn id_number_no_leak(id in id_number(), pick in any::<usize>()) {
        check_ascii_kind::<IdNumber>(&id, &id, [(1, 1), (3, 3), (6, 4)])?;
        // Lower-case x and separators are accepted; the canonical form is the same.
        let v: IdNumber = parse_ok(&format!(" {} {} ", &id[..6], id[6..].to_lowercase()))?;
        prop_assert_eq!(v.expose(), &id);
        let last = id.chars().last().unwrap();
        check_corrupted::<IdNumber>(&replace_at(&id, 17, other("0123456789X", last, pick)), "CheckDigit")?;
    }

    #[test]
    fn mobile_phone_no_leak(phone in mobile_phone(), pick in any::<usize>()) {
        check_ascii_kind::<MobilePhone>(&phone, &phone, [(0, 4), (3, 4), (3, 4)])?;
        let v: MobilePhone = parse_ok(&format!("+86 {}-{}-{}", &phone[..3], &phone[3..7], &phone[7..]))?;
        prop_assert_eq!(v.expose(), &phone);
        check_corrupted::<MobilePhone>(&replace_at(&phone, 1, other("012", 'x', pick)), "Prefix")?;
    }

    #[test]
    fn bank_card_no_leak(card in bank_card(), pick in any::<usize>()) {
        check_ascii_kind::<BankCard>(&card, &card, [(0, 4), (6, 4), (6, 6)])?;
        let last = card.chars().last().unwrap();
        let bad = replace_at(&card, card.len() - 1, other("0123456789", last, pick));
        check_corrupted::<BankCard>(&bad, "Luhn")?;
    }

    #[test]
    fn imei_no_leak(imei in imei(), pick in any::<usize>()) {
        check_ascii_kind::<Imei>(&imei, &imei, [(8, 0); 3])?;
        let last = imei.chars().last().unwrap();
        check_corrupted::<Imei>(&replace_at(&imei, 14, other("0123456789", last, pick)), "Luhn")?;
    }

    #[test]
    fn credit_code_no_leak(code in credit_code(), pick in any::<usize>()) {
        check_ascii_kind::<CreditCode>(&code, &code, [(1, 1), (2, 3), (4, 3)])?;
        let v: CreditCode = parse_ok(&code.to_lowercase())?;
        prop_assert_eq!(v.expose(), &code);
        let last = code.chars().last().unwrap();
        check_corrupted::<CreditCode>(&replace_at(&code, 17, other(CREDIT_ALPHABET, last, pick)), "CheckDigit")?;
    }

    #[test]
    fn passport_no_leak(input in passport(), at in any::<usize>()) {
        let want = input.to_ascii_uppercase();
        check_ascii_kind::<Passport>(&input, &want, [(1, 1), (2, 3), (4, 3)])?;
        check_corrupted::<Passport>(&replace_at(&input, at, '-'), "Character")?;
    }

    #[test]
    fn email_no_leak(input in email(), pick in any::<usize>()) {
        let v: Email = parse_ok(&input)?;
        prop_assert_eq!(v.expose(), &input);
        let m = masks(&v)?;
        let (local, domain) = input.split_once('@').unwrap();
        let n = local.chars().count();
        for (masked, want) in m.iter().zip([1, 3, 3]) {
            let keep = want.min(n / 2);
            prop_assert_eq!(masked, &format!("{}***@{domain}", slice(local, 0..keep)));
        }
        // The local part beyond the Standard prefix is hidden everywhere.
        let keep = 3.min(n / 2);
        let allowed = format!("{}*@{domain}", slice(local, 0..keep));
        for (out, what) in [(format!("{v:?}"), "Debug"), (v.to_string(), "Display"), (m[0].clone(), "Strict")] {
            assert_absent(Kind::Email, &out, &slice(local, keep..n), &allowed, what)?;
        }
        let bad = input.replacen('@', ["#", "%", "!"][pick % 3], 1);
        check_corrupted::<Email>(&bad, "Malformed")?;
    }

    #[test]
    fn person_name_no_leak(name in person_name(), at in any::<usize>(), digit in 0u32..10) {
        let v: PersonName = parse_ok(&name)?;
        prop_assert_eq!(v.expose(), &name);
        let m = masks(&v)?;
        let n = name.chars().count();
        let first = slice(&name, 0..1);
        let last = slice(&name, n - 1..n);
        prop_assert_eq!(&m[0], &format!("{first}{}", "*".repeat(n - 1)));
        let standard = if n >= 3 { format!("{first}{}{last}", "*".repeat(n - 2)) } else { format!("{first}*") };
        prop_assert_eq!(&m[1], &standard);
        prop_assert_eq!(&m[2], &standard);
        if n >= 3 {
            let middle = slice(&name, 1..n - 1);
            let allowed = star(&name, 1..n - 1);
            for (out, what) in [(format!("{v:?}"), "Debug"), (v.to_string(), "Display"), (m[0].clone(), "Strict")] {
                assert_absent(Kind::PersonName, &out, &middle, &allowed, what)?;
            }
        }
        let bad = replace_at(&name, at, char::from_digit(digit, 10).unwrap());
        check_corrupted::<PersonName>(&bad, "Character")?;
    }

    #[test]
    fn address_no_leak(a in address(), at in any::<usize>()) {
        let v: Address = parse_ok(&a.text)?;
        prop_assert_eq!(v.expose(), &a.text);
        let m = masks(&v)?;
        prop_assert_eq!(&m[0], &format!("{}****", a.province));
        prop_assert_eq!(&m[1], &format!("{}****", a.district));
        prop_assert_eq!(&m[2], &format!("{}****", a.district));
        for (out, what) in [(format!("{v:?}"), "Debug"), (v.to_string(), "Display"), (m[0].clone(), "Strict")] {
            assert_absent(Kind::Address, &out, &a.street, &a.district, what)?;
        }
        let below_province = &a.text[a.province.len()..];
        assert_absent(Kind::Address, &m[0], below_province, &a.province, "Strict")?;
        check_corrupted::<Address>(&replace_at(&a.text, at, '\u{7}'), "Character")?;
    }

    #[test]
    fn ip_address_no_leak(v4 in ipv4(), v6 in ipv6(), at in any::<usize>()) {
        for (input, sep) in [(&v4, '.'), (&v6, ':')] {
            let v: IpAddress = parse_ok(input)?;
            prop_assert_eq!(v.expose(), input.as_str());
            let m = masks(&v)?;
            let parts: Vec<String> = if sep == '.' {
                v4.split('.').map(str::to_owned).collect()
            } else {
                let ip: Ipv6Addr = input.parse().unwrap();
                ip.segments().iter().map(|g| format!("{g:x}")).collect()
            };
            for (masked, keep) in m.iter().zip([1, 2, 3]) {
                let want: Vec<&str> =
                    parts.iter().enumerate().map(|(i, p)| if i < keep { p.as_str() } else { "*" }).collect();
                prop_assert_eq!(masked, &want.join(&sep.to_string()));
            }
        }
        let bad = replace_at(&v4, at, 'g');
        check_corrupted::<IpAddress>(&bad, "Character")?;
    }

    #[test]
    fn mac_address_no_leak((input, canonical) in mac_address(), at in any::<usize>()) {
        let v: MacAddress = parse_ok(&input)?;
        prop_assert_eq!(v.expose(), &canonical);
        let m = masks(&v)?;
        let bytes: Vec<&str> = canonical.split(':').collect();
        for (masked, keep) in m.iter().zip([1, 3, 3]) {
            let want: Vec<&str> = bytes.iter().enumerate().map(|(i, b)| if i < keep { *b } else { "**" }).collect();
            prop_assert_eq!(masked, &want.join(":"));
        }
        let hex_at = input.char_indices().filter(|(_, c)| c.is_ascii_hexdigit()).map(|(i, _)| i).nth(at % 12).unwrap();
        check_corrupted::<MacAddress>(&replace_at(&input, hex_at, 'G'), "Character")?;
    }

    #[test]
    fn license_plate_no_leak(plate in license_plate(), pick in any::<usize>()) {
        let v: LicensePlate = parse_ok(&plate)?;
        prop_assert_eq!(v.expose(), &plate);
        let m = masks(&v)?;
        let prefix = slice(&plate, 0..2);
        let serial = slice(&plate, 2..plate.chars().count());
        let s = serial.chars().count();
        let last = slice(&serial, s - 1..s);
        prop_assert_eq!(&m[0], &format!("{prefix}{}", "*".repeat(s)));
        prop_assert_eq!(&m[1], &format!("{prefix}{}{last}", "*".repeat(s - 1)));
        prop_assert_eq!(&m[2], &format!("{prefix}{}{}{last}", slice(&serial, 0..1), "*".repeat(s - 2)));
        let bad = replace_at(&plate, 0, ['X', '港', '中', '1'][pick % 4]);
        check_corrupted::<LicensePlate>(&bad, "Province")?;
    }

    #[test]
    fn landline_no_leak(parts in landline()) {
        let text = landline_text(&parts);
        let (area, local, _ext) = &parts;
        let v: Landline = parse_ok(&text)?;
        prop_assert_eq!(v.expose(), &text);
        let m = masks(&v)?;
        prop_assert_eq!(&m[0], &format!("{area}-****"));
        for (masked, last) in m[1..].iter().zip([2, 4]) {
            let local_mask = masked.strip_prefix(&format!("{area}-")).unwrap_or("<no area code>");
            // The extension is never shown: nothing follows the local part.
            check_keep_ends(Kind::Landline, local, local_mask, 0, last)?;
        }
        let bad = format!("1{}", &text[1..]);
        check_corrupted::<Landline>(&bad, "Prefix")?;
    }

    #[test]
    fn geo_point_no_leak((lat, lon) in geo_point(), pick in any::<usize>()) {
        let text = format!("{lat},{lon}");
        let v: GeoPoint = parse_ok(&text)?;
        let zero = |x: f64| if x == 0.0 { 0.0 } else { x };
        prop_assert_eq!(v.expose(), (zero(lat), zero(lon)));
        let m = masks(&v)?;
        for (masked, decimals) in m.iter().zip([1, 2, 3]) {
            prop_assert_eq!(masked, &format!("{},{}", truncated(lat, decimals), truncated(lon, decimals)));
        }
        let bad = text.replacen(',', [";", " ", "/"][pick % 3], 1);
        check_corrupted::<GeoPoint>(&bad, "Malformed")?;
    }

    #[test]
    fn biometric_no_leak(bytes in biometric(), at in any::<usize>()) {
        let text = Base64::encode_string(&bytes);
        let v: Biometric = parse_ok(&text)?;
        prop_assert_eq!(v.expose(), bytes.as_slice());
        prop_assert_eq!(&Biometric::from_bytes(bytes.clone()).unwrap(), &v);
        let m = masks(&v)?;
        prop_assert_eq!(m, ["[biometric]"; 3].map(String::from));
        check_corrupted::<Biometric>(&replace_at(&text, at, '!'), "Malformed")?;
    }

    #[test]
    fn password_no_leak(input in password(), at in any::<usize>()) {
        let v: Password = parse_ok(&input)?;
        prop_assert_eq!(v.expose(), &input);
        let m = masks(&v)?;
        prop_assert_eq!(m, ["******"; 3].map(String::from));
        let mut bad: Vec<char> = input.chars().collect();
        bad.insert(at % (bad.len() + 1), '\n');
        check_corrupted::<Password>(&bad.into_iter().collect::<String>(), "Character")?;
    }
}

/// `v` truncated toward zero to `decimals` decimals, from its shortest
/// decimal form: an independent oracle for the `GeoPoint` masks.
fn truncated(v: f64, decimals: usize) -> String {
    let full = v.to_string();
    let (negative, digits) = match full.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, full.as_str()),
    };
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let frac: String = frac.chars().chain(std::iter::repeat('0')).take(decimals).collect();
    let is_zero = int.bytes().all(|b| b == b'0') && frac.bytes().all(|b| b == b'0');
    format!("{}{int}.{frac}", if negative && !is_zero { "-" } else { "" })
}

// ---------------------------------------------------------------------------
// Decorated spellings (country prefixes, separators, full-width digits,
// extension markers) normalize to the canonical form.

/// ASCII digits to full-width digits.
fn full_width(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_ascii_digit() { char::from_u32(c as u32 + 0xFEE0).unwrap() } else { c })
        .collect()
}

fn groups(s: &str, size: usize, sep: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    chars.chunks(size).map(|c| c.iter().collect::<String>()).collect::<Vec<_>>().join(sep)
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn decorated_inputs_normalize(
        phone in mobile_phone(),
        card in bank_card(),
        id in id_number(),
        line in landline(),
        prefix in 0..5usize,
        sep in prop::sample::select(vec!["", " ", "-", "\u{3000}", "\t"]),
        wide in any::<bool>(),
        marker in prop::sample::select(vec!["-", " - ", "转", " 转 ", "ext", " ext ", "ext.", " EXT. ", "x", " X ", "#"]),
        paren in any::<bool>(),
        drop_zero in any::<bool>(),
    ) {
        let w = |s: String| if wide { full_width(&s) } else { s };

        let p = ["", "+86 ", "0086", "86", "(+86)"][prefix];
        let input = w(format!("{p}{}{sep}{}{sep}{}", &phone[..3], &phone[3..7], &phone[7..]));
        prop_assert_eq!(parse_ok::<MobilePhone>(&input)?.expose().to_owned(), phone, "{:?}", input);

        let input = w(format!(" {} ", groups(&card, 4, sep)));
        prop_assert_eq!(parse_ok::<BankCard>(&input)?.expose().to_owned(), card, "{:?}", input);

        let input = w(format!("{}{sep}{}{sep}{}", &id[..6], &id[6..14], id[14..].to_lowercase()));
        prop_assert_eq!(parse_ok::<IdNumber>(&input)?.expose().to_owned(), id, "{:?}", input);

        let (area, local, ext) = &line;
        let (intl, area_in) = match prefix {
            1 | 2 if drop_zero => (["", "+86 ", "0086 "][prefix], &area[1..]),
            1 | 2 => (["", "+86 ", "0086 "][prefix], &area[..]),
            _ => ("", &area[..]),
        };
        let area_in = if paren { format!("({area_in})") } else { area_in.to_owned() };
        // A dash may split the local number after 4 digits: what precedes it
        // is then too short to be a number, so the rest is no extension.
        let local_in = groups(local, 4, if sep == "-" { "-" } else { " " });
        let ext_in = ext.as_ref().map(|e| format!("{marker}{e}")).unwrap_or_default();
        let input = w(format!("{intl}{area_in}{sep}{local_in}{ext_in}"));
        let v: Landline = parse_ok(&input)?;
        prop_assert_eq!(v.expose(), landline_text(&line), "{:?}", input);
        prop_assert_eq!(v.area_code(), area.as_str());
    }
}
