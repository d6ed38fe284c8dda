//! `Deserialize` for every kind, through serde_json: it validates and
//! normalizes like `FromStr`, and its errors name the kind and the reason,
//! never a run of the input.

use desensitize::{
    Address, BankCard, Biometric, CreditCode, Email, GeoPoint, IdNumber, Imei, IpAddress, Landline,
    LicensePlate, MacAddress, MobilePhone, Passport, Password, PersonName, Sensitive,
};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// The serde_json error for `input` as a JSON string, checked to carry no
/// run of 4 or more characters of the input.
fn error_of<T: DeserializeOwned + Sensitive>(input: &str) -> String {
    let json = serde_json::to_string(input).unwrap();
    let err = match serde_json::from_str::<T>(&json) {
        Ok(_) => panic!("{} accepted an invalid value", T::KIND),
        Err(e) => e.to_string(),
    };
    let chars: Vec<char> = input.chars().collect();
    for w in chars.windows(4) {
        let run: String = w.iter().collect();
        assert!(!err.contains(&run), "{err:?} shows {run:?} of the input");
    }
    err
}

/// Parses through serde_json and through `FromStr`: the same canonical value.
fn same_as_from_str<T: DeserializeOwned + Sensitive + core::str::FromStr>(input: &str) -> T
where
    T::Err: core::fmt::Debug,
{
    let via_serde: T = serde_json::from_str(&serde_json::to_string(input).unwrap()).expect(input);
    let via_parse: T = input.parse().expect(input);
    assert!(via_serde == via_parse, "{}: serde and FromStr disagree", T::KIND);
    via_serde
}

#[test]
fn every_kind_deserializes_like_from_str() {
    assert_eq!(same_as_from_str::<IdNumber>("11010519491231002x").expose(), "11010519491231002X");
    assert_eq!(same_as_from_str::<MobilePhone>("+86 138-0013-8000").expose(), "13800138000");
    assert_eq!(same_as_from_str::<Landline>("(010) 6234 5678").expose(), "010-62345678");
    same_as_from_str::<BankCard>("6222 0212 3456 7894");
    same_as_from_str::<GeoPoint>("39.9042,116.4074");
    assert_eq!(same_as_from_str::<Email>("Zhang.San@Example.COM").expose(), "Zhang.San@example.com");
    same_as_from_str::<PersonName>("欧阳娜娜");
    same_as_from_str::<Address>("北京市朝阳区建国路88号");
    same_as_from_str::<IpAddress>("192.168.1.20");
    same_as_from_str::<MacAddress>("00-1A-2B-3C-4D-5E");
    same_as_from_str::<Imei>("490154203237518");
    same_as_from_str::<Passport>("E12345678");
    same_as_from_str::<LicensePlate>("京A12345");
    same_as_from_str::<CreditCode>("91110000600037341L");
    same_as_from_str::<Password>("correct horse battery staple");
    same_as_from_str::<Biometric>("AAECAwQFBgcICQoLDA0ODw==");
}

#[test]
fn errors_name_the_kind_and_reason_never_the_value() {
    assert_eq!(
        error_of::<IdNumber>("110105194912310021"),
        "invalid cn.id_number: check digit mismatch at line 1 column 20"
    );
    assert_eq!(
        error_of::<MobilePhone>("12800138000"),
        "invalid cn.mobile_phone: invalid prefix at line 1 column 13"
    );
    assert_eq!(
        error_of::<MobilePhone>("1380013800"),
        "invalid cn.mobile_phone: wrong length at line 1 column 12"
    );
    assert_eq!(
        error_of::<BankCard>("6222021234567895"),
        "invalid bank_card: Luhn check failed at line 1 column 18"
    );
    assert_eq!(error_of::<Email>("zhang.san.example.com"), "invalid email: malformed at line 1 column 23");
    // An owned string (escapes make serde_json hand one over) takes the wiping path.
    let err = serde_json::from_str::<IdNumber>(r#""11010519491231002\u0031""#).err().unwrap();
    assert_eq!(err.to_string(), "invalid cn.id_number: check digit mismatch at line 1 column 25");
}

#[test]
fn a_non_string_is_refused_by_kind() {
    // By its type, never quoted: the number is the phone number (issue 20).
    let err = serde_json::from_str::<MobilePhone>("13800138000").err().unwrap();
    assert_eq!(
        err.to_string(),
        "invalid type: integer, expected a cn.mobile_phone string at line 1 column 11"
    );
}

/// A request struct receives kinds directly and answers with their masks.
#[derive(Serialize, Deserialize)]
struct Profile {
    #[serde(with = "desensitize::serde::masked")]
    phone: MobilePhone,
    #[serde(with = "desensitize::serde::masked_strict")]
    id_number: IdNumber,
    #[serde(with = "desensitize::serde::masked_relaxed")]
    email: Email,
}

#[test]
fn masked_adapters_read_the_value_and_write_the_mask() {
    let body =
        r#"{"phone": "13800138000", "id_number": "11010519491231002X", "email": "zhangsan@example.com"}"#;
    let p: Profile = serde_json::from_str(body).unwrap();
    assert_eq!(p.phone.expose(), "13800138000");
    let out = serde_json::to_string(&p).unwrap();
    assert_eq!(
        out,
        format!(
            r#"{{"phone":"138****8000","id_number":"1****************X","email":"{}"}}"#,
            p.email.mask(desensitize::MaskLevel::Relaxed)
        )
    );
    let err = serde_json::from_str::<Profile>(r#"{"phone": "1380013800", "id_number": "", "email": ""}"#)
        .err()
        .unwrap();
    assert_eq!(err.to_string(), "invalid cn.mobile_phone: wrong length at line 1 column 22");
}
