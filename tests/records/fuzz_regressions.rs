//! What the `derive_record` and `stream_policy` fuzz targets found (issue
//! 20, test strength), kept as plain tests: a value of the wrong JSON type
//! where a kind, a sealed value, a list of sealed values or a nested record
//! belongs was quoted in the error (serde_json's ``invalid type: integer
//! `13800138000`, ...``), and a number where a phone number belongs *is*
//! the phone number. Each error now names the type found, never the value.

use crate::derive_fixture::{UserSealed, sample_user, store};

use desensitize::keys::InMemorySubjectStore;
use desensitize::{Keyring, MobilePhone, Sealed};
use serde_json::{Value, json};

/// The sample user's sealed JSON with `field` (`home.address` for a nested
/// one) replaced by `value`.
fn stored_with(field: &str, value: Value) -> String {
    let keyring = Keyring::generate().unwrap();
    let stored = store(&sample_user(7).unwrap(), &keyring, &InMemorySubjectStore::new()).unwrap();
    let mut doc: Value = serde_json::from_str(&stored).unwrap();
    match field.split_once('.') {
        Some((outer, inner)) => doc[outer][inner] = value,
        None => doc[field] = value,
    }
    doc.to_string()
}

fn error_reading(json: &str) -> String {
    match serde_json::from_str::<UserSealed>(json) {
        Ok(_) => panic!("read a stored record with a plaintext field"),
        Err(e) => format!("{e} | {e:?}"),
    }
}

#[test]
fn a_plaintext_number_in_a_sealed_field_is_refused_by_type() {
    for field in ["phone", "id_number", "email", "guardian_id", "home.address", "home.location"] {
        let err = error_reading(&stored_with(field, json!(13800138000u64)));
        assert!(!err.contains("13800138000"), "{field}: {err}");
        assert!(err.contains("invalid type: integer, expected a sealed value (dz1. text)"), "{field}: {err}");
    }
    let err = error_reading(&stored_with("phone", json!(1.5e3)));
    assert!(err.contains("invalid type: floating point, expected a sealed value"), "{err}");
    assert!(!err.contains("1500"), "{err}");
    let err = error_reading(&stored_with("email", json!(true)));
    assert!(err.contains("invalid type: boolean, expected a sealed value"), "{err}");
}

#[test]
fn a_plaintext_value_in_a_list_index_or_nested_field_is_refused_by_type() {
    let cases = [
        ("backup_phones", json!(13900139000u64), "invalid type: integer, expected a sequence"),
        ("backup_phones", json!("13900139000"), "invalid type: string, expected a sequence"),
        ("backup_phones", json!([13900139000u64]), "invalid type: integer, expected a sealed value"),
        ("phone_index", json!(13900139000u64), "invalid type: integer, expected a string"),
        // A float serde prints in exponent form (`1.390013900000001e22`): scrubbed too.
        ("phone_index", json!(13900139000000010000000.0), "invalid type: floating point, expected a string"),
        ("home", json!(13900139000u64), "invalid type: integer, expected struct HomeSealed"),
        ("home", json!("13900139000"), "invalid type: string, expected struct HomeSealed"),
        // serde quotes a string escaped (`\u{7f}`): the escaped form is caught too.
        ("home", json!("1390\u{7f}0139000"), "invalid type: string, expected struct HomeSealed"),
        ("home", json!({"address": 13900139000u64}), "invalid type: integer, expected a sealed value"),
    ];
    for (field, value, expected) in cases {
        let err = error_reading(&stored_with(field, value.clone()));
        assert!(!err.contains("13900139000") && !err.contains("1.390013"), "{field} = {value}: {err}");
        assert!(!err.contains("1390\\u{7f}") && !err.contains("0139000"), "{field} = {value}: {err}");
        assert!(err.contains(expected), "{field} = {value}: {err}");
    }
}

#[test]
fn sealed_text_still_reads_and_a_bad_envelope_keeps_its_reason() {
    let keyring = Keyring::generate().unwrap();
    let stored = store(&sample_user(7).unwrap(), &keyring, &InMemorySubjectStore::new()).unwrap();
    let sealed: UserSealed = serde_json::from_str(&stored).unwrap();
    assert_eq!(serde_json::to_string(&sealed).unwrap(), stored, "the stored form reads back unchanged");
    // A string that is not an envelope: the envelope's own (value-free) reason.
    let err = serde_json::from_str::<Sealed<MobilePhone>>("\"13800138000\"").err().unwrap().to_string();
    assert!(!err.contains("13800138000") && !err.contains("invalid type"), "{err}");
    // Binary formats and value trees (not the JSON reader) take the same paths.
    let value: Value = serde_json::from_str(&stored).unwrap();
    assert!(serde_json::from_value::<UserSealed>(value).is_ok());
}

#[test]
fn a_kind_read_from_another_type_names_the_type_only() {
    let cases = [
        ("13800138000", "invalid type: integer, expected a cn.mobile_phone string at line 1 column 11"),
        ("-13800138000", "invalid type: integer, expected a cn.mobile_phone string at line 1 column 12"),
        (
            "13800138000.5",
            "invalid type: floating point, expected a cn.mobile_phone string at line 1 column 13",
        ),
        ("true", "invalid type: boolean, expected a cn.mobile_phone string at line 1 column 4"),
        ("null", "invalid type: null, expected a cn.mobile_phone string at line 1 column 4"),
        ("[\"13800138000\"]", "invalid type: sequence, expected a cn.mobile_phone string at line 1 column 1"),
    ];
    for (input, expected) in cases {
        let err = serde_json::from_str::<MobilePhone>(input).err().unwrap();
        assert_eq!(err.to_string(), expected, "{input}");
    }
    // `Option<kind>` still reads `null` as `None`.
    assert!(serde_json::from_str::<Option<MobilePhone>>("null").unwrap().is_none());
    let phone: Option<MobilePhone> = serde_json::from_str("\"13800138000\"").unwrap();
    assert_eq!(phone.unwrap().expose(), "13800138000");
}
