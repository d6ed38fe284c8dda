//! The masking table, cell by cell: every kind at every level, plus the
//! fail-closed cases. The expectations are the specification; they are not
//! adjusted to whatever the library happens to print.

use crate::common;

use std::str::FromStr;

use desensitize::{
    Address, BankCard, Biometric, CreditCode, Email, Error, GeoPoint, IdNumber, Imei, IpAddress, Landline,
    LicensePlate, MacAddress, MaskLevel, MobilePhone, Passport, Password, PersonName, Sealable, Sensitive,
};

use MaskLevel::{Relaxed, Standard, Strict};

fn parse<T: FromStr<Err = Error>>(input: &str) -> T {
    input.parse().unwrap_or_else(|e| panic!("{input:?} must parse: {e}"))
}

/// Check one row: `[strict, standard, relaxed]`, and that `Display` is the
/// `Standard` mask.
fn row<T: Sensitive + FromStr<Err = Error>>(input: &str, want: [&str; 3]) {
    let v: T = parse(input);
    for (level, want) in [Strict, Standard, Relaxed].into_iter().zip(want) {
        assert_eq!(v.mask(level), want, "{} {input:?} at {level:?}", T::KIND);
    }
    assert_eq!(v.to_string(), want[1], "{} {input:?}: Display must be the Standard mask", T::KIND);
}

#[test]
fn id_number() {
    row::<IdNumber>("11010519491231002X", ["1****************X", "110************02X", "110105********002X"]);
}

#[test]
fn mobile_phone() {
    row::<MobilePhone>("13800138000", ["*******8000", "138****8000", "138****8000"]);
}

#[test]
fn bank_card() {
    row::<BankCard>("6222021234567894", ["************7894", "622202******7894", "622202****567894"]);
}

#[test]
fn person_name() {
    row::<PersonName>("张三", ["张*", "张*", "张*"]);
    row::<PersonName>("张三丰", ["张**", "张*丰", "张*丰"]);
    row::<PersonName>("欧阳娜娜", ["欧***", "欧**娜", "欧**娜"]);
}

#[test]
fn email() {
    row::<Email>("zhangsan@163.com", ["z***@163.com", "zha***@163.com", "zha***@163.com"]);
}

#[test]
fn address() {
    row::<Address>("北京市朝阳区建国路88号", ["北京市****", "北京市朝阳区****", "北京市朝阳区****"]);
}

#[test]
fn geo_point() {
    row::<GeoPoint>("39.9042,116.4074", ["39.9,116.4", "39.90,116.40", "39.904,116.407"]);
    // Truncated, never rounded: rounding would give 40.0 / 117.0.
    row::<GeoPoint>("39.9999,116.9999", ["39.9,116.9", "39.99,116.99", "39.999,116.999"]);
}

#[test]
fn ip_address() {
    row::<IpAddress>("10.1.2.3", ["10.*.*.*", "10.1.*.*", "10.1.2.*"]);
    // IPv6 keeps 1, 2, 3 groups (and writes all eight, so `::` is not revealed).
    row::<IpAddress>(
        "2001:db8:85a3::8a2e:370:7334",
        ["2001:*:*:*:*:*:*:*", "2001:db8:*:*:*:*:*:*", "2001:db8:85a3:*:*:*:*:*"],
    );
}

#[test]
fn mac_address() {
    row::<MacAddress>("AC:DE:48:00:11:22", ["AC:**:**:**:**:**", "AC:DE:48:**:**:**", "AC:DE:48:**:**:**"]);
}

#[test]
fn imei() {
    row::<Imei>("490154203237518", ["49015420*******"; 3]);
}

#[test]
fn landline() {
    // Strict: area code and a fixed run; Standard: area code and the last 2
    // digits; Relaxed: area code and the last 4 digits.
    row::<Landline>("010-62345678", ["010-****", "010-******78", "010-****5678"]);
}

#[test]
fn license_plate() {
    row::<LicensePlate>("京A12345", ["京A*****", "京A****5", "京A1***5"]);
}

#[test]
fn passport() {
    let p: Passport = parse("E12345678");
    // Strict: first 1, last 1. Standard: first 2, last 3.
    assert_eq!(p.mask(Strict), "E*******8");
    assert_eq!(p.mask(Standard), "E1****678");
    assert_eq!(p.to_string(), "E1****678");
    // Relaxed: first 4, last 3 would hide only 2 of 9 characters; the
    // library may keep fewer so that at least 3 stay hidden (it prints
    // `E12***678`). Check the shape rather than one particular trade-off.
    let relaxed = p.mask(Relaxed);
    let value = "E12345678";
    assert_eq!(relaxed.len(), value.len(), "{relaxed}");
    let first = relaxed.find('*').expect("something is hidden");
    let last = relaxed.len() - relaxed.rfind('*').unwrap() - 1;
    assert!(first <= 4 && last <= 3, "{relaxed}: keeps more than first 4 / last 3");
    assert_eq!(&relaxed[..first], &value[..first], "{relaxed}");
    assert_eq!(&relaxed[relaxed.len() - last..], &value[value.len() - last..], "{relaxed}");
    assert!(relaxed[first..relaxed.len() - last].bytes().all(|b| b == b'*'), "{relaxed}");
    assert!(value.len() - first - last >= 3, "{relaxed}: hides fewer than 3 characters");
    assert_eq!(last, 3, "{relaxed}: the suffix should be kept in full");
}

#[test]
fn credit_code() {
    row::<CreditCode>(
        "91350100M000100Y43",
        ["9****************3", "91*************Y43", "9135***********Y43"],
    );
}

#[test]
fn password() {
    for input in ["hunter2", "x", "correct horse battery staple", " 密码 😀 ", &"p".repeat(1024)] {
        row::<Password>(input, ["******"; 3]);
    }
}

#[test]
fn biometric() {
    for input in ["AAECAwQFBgcICQ==", "3q2+7w==", "Rk1SAA==", "AA=="] {
        row::<Biometric>(input, ["[biometric]"; 3]);
    }
    let raw = Biometric::from_bytes(b"FMR\0 template".to_vec()).unwrap();
    for level in MaskLevel::ALL {
        assert_eq!(raw.mask(level), "[biometric]");
    }
    assert_eq!(raw.to_string(), "[biometric]");
}

#[test]
fn one_character_name_masks_fully() {
    for name in ["李", "𠮷", "A"] {
        row::<PersonName>(name, ["*"; 3]);
    }
}

#[test]
fn short_email_local_part_keeps_at_most_one_character() {
    for (input, local) in [("ab@163.com", "ab"), ("张三@example.cn", "张三")] {
        let e: Email = parse(input);
        for level in MaskLevel::ALL {
            let m = e.mask(level);
            let (shown, domain) = m.split_once('@').unwrap();
            assert_eq!(domain, input.split_once('@').unwrap().1, "{input} {level:?}");
            let kept: String = shown.chars().take_while(|&c| c != '*').collect();
            assert!(kept.chars().count() <= 1, "{input} {level:?}: {m}");
            assert!(local.starts_with(&kept), "{input} {level:?}: {m}");
            assert!(!m.contains(local), "{input} {level:?}: {m}");
        }
    }
    row::<Email>("ab@163.com", ["a***@163.com", "a***@163.com", "a***@163.com"]);
    // One character: nothing of the local part is shown.
    row::<Email>("a@x.cn", ["***@x.cn"; 3]);
}

#[test]
fn address_without_province_is_fixed_run() {
    for input in ["123 Main St, Springfield", "朝阳区建国路88号", "建国路", "x"] {
        row::<Address>(input, ["****"; 3]);
    }
}

/// `Display` equals the `Standard` mask for every sample of every kind.
#[test]
fn display_is_standard_for_every_kind() {
    struct DisplayIsStandard(usize);
    impl common::Visitor for DisplayIsStandard {
        fn visit<T: Sealable + FromStr<Err = Error>>(&mut self, samples: &[&str]) {
            for s in samples {
                let v: T = parse(s);
                assert_eq!(v.to_string(), v.mask(Standard), "{} {s:?}", T::KIND);
                assert_eq!(format!("{v}"), v.mask(MaskLevel::default()), "{} {s:?}", T::KIND);
                self.0 += 1;
            }
        }
    }
    let mut check = DisplayIsStandard(0);
    common::visit_sealable(&mut check);
    assert!(check.0 >= 15);
    let p: Password = parse("hunter2");
    assert_eq!(p.to_string(), p.mask(Standard));
}
