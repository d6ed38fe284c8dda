//! `#[derive(Protect)]` at run time, on the record of the `derive_user`
//! example (`examples/derive_user/user.rs`, shared with the program: every
//! attribute: row_id, seal, subject, blind_index, pseudonym, mask,
//! generalize, public, nested, Option, Vec): the round trip, the masked and
//! analytics views against the per-value API, the redacting `Debug`, and
//! `User::policy()` applied by the library's `Plan`. The example itself runs
//! as a program, and its output is checked step by step.

use crate::common;
use crate::derive_fixture;

use std::sync::Arc;

use derive_fixture::{Home, User, UserSealed, analytics_view, api_view, forget, load, sample_user, store};
use desensitize::generalize::geohash;
use desensitize::keys::InMemorySubjectStore;
use desensitize::policy::{Cells, Plan, Policy, Report, Verdict};
use desensitize::pseudo::{Domain, Transform};
use desensitize::{Context, Date, Error, Keyring, MaskLevel, MobilePhone, Sealed, Sensitive};
use proptest::prelude::*;
use serde_json::{Value, json};

fn keys() -> (Arc<Keyring>, InMemorySubjectStore) {
    (Arc::new(Keyring::generate().unwrap()), InMemorySubjectStore::new())
}

/// `cargo run --example derive_user`, as a reader would: every step it
/// prints, checked.
#[test]
fn the_example_program_shows_each_step() {
    let out = common::example::run("derive_user", &[]);
    let step = |name: &str| -> String {
        let start = out.find(&format!("{name}:")).unwrap_or_else(|| panic!("no step {name} in:\n{out}"));
        let rest = out[start + name.len() + 1..].trim_start();
        let end =
            ["\nDebug:", "\nstored:", "\nopened:", "\nAPI:", "\nanalytics:", "\npolicy:", "\nforgotten:"]
                .iter()
                .filter_map(|m| rest.find(m))
                .min()
                .unwrap_or(rest.len());
        rest[..end].trim().to_owned()
    };
    assert_eq!(
        step("Debug"),
        "User { id: 7, phone: [REDACTED], id_number: [REDACTED], email: [REDACTED], guardian_id: [REDACTED], \
         backup_phones: [REDACTED], home: Home { address: [REDACTED], location: [REDACTED] }, plan: \"pro\" }"
    );
    let stored: Value = serde_json::from_str(&step("stored")).unwrap();
    for column in ["phone", "id_number", "email", "guardian_id"] {
        assert!(stored[column].as_str().unwrap().starts_with("dz1."), "{column}: {}", stored[column]);
    }
    for plain in ["13800138000", "11010519491231002X", "zhangsan", "440305199003078155", "建国路"] {
        assert!(!out.contains(plain), "the example prints {plain}");
    }
    assert_eq!(step("opened"), "phone 138****8000");
    let api: Value = serde_json::from_str(&step("API")).unwrap();
    assert_eq!(
        (api["phone"].as_str(), api["id_number"].as_str()),
        (Some("*******8000"), Some("110************02X"))
    );
    let analytics: Value = serde_json::from_str(&step("analytics")).unwrap();
    assert!(analytics["email"].as_str().unwrap().starts_with("tk1."));
    assert_eq!(analytics["guardian_id_province"], "广东省");
    assert_eq!(analytics["home"]["location_geohash"], "wx4g09");
    assert_eq!(Policy::from_json(&step("policy")).unwrap(), derive_fixture::User::policy());
    assert_eq!(step("forgotten"), "field id_number: subject forgotten");
}

#[test]
fn seal_then_open_gives_every_field_back() {
    let (keyring, subjects) = keys();
    let user = sample_user(7).unwrap();
    let stored = store(&user, &keyring, &subjects).unwrap();
    let back = load(&stored, &keyring, &subjects).unwrap();
    assert_eq!(back.id, 7);
    assert_eq!(back.phone, user.phone);
    assert_eq!(back.id_number, user.id_number);
    assert_eq!(back.email, user.email);
    assert_eq!(back.guardian_id, user.guardian_id);
    assert_eq!(back.backup_phones, user.backup_phones);
    assert_eq!(back.home.address, user.home.address);
    assert_eq!(back.home.location, user.home.location);
    assert_eq!(back.plan, "pro");

    // The stored form: no plaintext, sealed text, the blind index beside it.
    for plain in
        ["13800138000", "11010519491231002X", "zhangsan", "440305199003078155", "13900139000", "建国路"]
    {
        assert!(!stored.contains(plain), "stored JSON shows {plain}");
    }
    let v: Value = serde_json::from_str(&stored).unwrap();
    assert!(v["phone"].as_str().unwrap().starts_with("dz1."));
    assert!(v["home"]["location"].as_str().unwrap().starts_with("dz1."));
    assert_eq!(v["backup_phones"].as_array().unwrap().len(), 2);
    let index = keyring
        .blind_index::<MobilePhone>(&Domain::new("users.phone").unwrap(), Transform::Full, 16)
        .unwrap();
    assert_eq!(v["phone_index"], index.compute(&user.phone).to_string());

    // Each value is bound to table + field (+ row id): sealed at the
    // expected context, it opens with the per-value API.
    let sealed: Sealed<MobilePhone> = v["phone"].as_str().unwrap().parse().unwrap();
    let ctx = Context::new("users", "phone").with_row("7");
    assert_eq!(keyring.open(&sealed, &ctx, "test").unwrap(), user.phone);
    let ctx = Context::new("users", "backup_phones").with_row("7").with("item", "1");
    let sealed: Sealed<MobilePhone> = v["backup_phones"][1].as_str().unwrap().parse().unwrap();
    assert_eq!(keyring.open(&sealed, &ctx, "test").unwrap(), user.backup_phones[1]);
}

#[test]
fn a_value_moved_to_another_row_field_or_position_does_not_open() {
    let (keyring, subjects) = keys();
    let stored = store(&sample_user(7).unwrap(), &keyring, &subjects).unwrap();
    let reopen = |edit: &dyn Fn(&mut Value)| {
        let mut v: Value = serde_json::from_str(&stored).unwrap();
        edit(&mut v);
        let sealed: UserSealed = serde_json::from_value(v).unwrap();
        let err = sealed.open(&keyring, &subjects, "test").expect_err("opened a moved value");
        (err.field().to_owned(), err.error().clone())
    };
    assert_eq!(reopen(&|v| v["id"] = json!(8)), ("phone".to_owned(), Error::ContextMismatch));
    assert_eq!(
        reopen(&|v| v["backup_phones"].as_array_mut().unwrap().swap(0, 1)),
        ("backup_phones[0]".to_owned(), Error::ContextMismatch)
    );
    let other_phone = |v: &mut Value| v["phone"] = v["backup_phones"][0].clone();
    assert_eq!(reopen(&other_phone), ("phone".to_owned(), Error::ContextMismatch));
    // A sealed value of another kind is refused when the JSON is read.
    let mut v: Value = serde_json::from_str(&stored).unwrap();
    v["phone"] = v["email"].clone();
    let err = serde_json::from_value::<UserSealed>(v).err().unwrap();
    assert_eq!(err.to_string(), "sealed value holds email, not cn.mobile_phone");
}

#[test]
fn a_forgotten_subject_no_longer_opens() {
    let (keyring, subjects) = keys();
    let user = sample_user(9).unwrap();
    let stored = store(&user, &keyring, &subjects).unwrap();
    let err = forget(9, &stored, &keyring, &subjects);
    assert_eq!(err.field(), "id_number");
    assert_eq!(err.error(), &Error::SubjectForgotten);
    assert_eq!(err.to_string(), "field id_number: subject forgotten");
}

#[test]
fn masked_json_is_the_per_value_masks() {
    let user = sample_user(7).unwrap();
    let got: Value = serde_json::from_str(&api_view(&user).unwrap()).unwrap();
    let expected = json!({
        "id": 7,
        "phone": user.phone.mask(MaskLevel::Strict),
        "id_number": user.id_number.mask(MaskLevel::Standard),
        "email": user.email.mask(MaskLevel::Strict),
        "guardian_id": user.guardian_id.mask(MaskLevel::Standard),
        "backup_phones": user.backup_phones.iter().map(|p| p.mask(MaskLevel::Standard)).collect::<Vec<_>>(),
        "home": {
            "address": user.home.address.mask(MaskLevel::Standard),
            "location": user.home.location.as_ref().unwrap().mask(MaskLevel::Standard),
        },
        "plan": "pro",
    });
    assert_eq!(got, expected);
    assert_eq!(got["phone"], "*******8000");
}

#[test]
fn analytics_json_is_the_per_value_pseudonyms_and_facts() {
    let (keyring, _) = keys();
    let user = sample_user(7).unwrap();
    let got: Value = serde_json::from_str(&analytics_view(&user, &keyring).unwrap()).unwrap();
    let profile = user.guardian_id.generalize(Date::today(), 10).unwrap();
    let region = user.home.address.generalize().unwrap();
    let expected = json!({
        "id": 7,
        "email": keyring.pseudonym(&user.email, &Domain::new("analytics").unwrap()).unwrap().to_string(),
        "guardian_id_gender": profile.gender().as_str(),
        "guardian_id_age_band": profile.age_band().to_string(),
        "guardian_id_province": profile.province().name(),
        "home": {
            "address_province": region.province().name(),
            "address_city": region.city().unwrap().name(),
            "location_geohash": geohash(user.home.location.as_ref().unwrap(), 6).unwrap(),
        },
        "plan": "pro",
    });
    assert_eq!(got, expected);
    assert_eq!(got["guardian_id_province"], "广东省");
    // A fixed day gives a fixed band.
    let on = user.analytics_on(&keyring, Date::new(2026, 1, 1).unwrap()).unwrap();
    assert_eq!(on.guardian_id_age_band, "30-39");
}

/// `User::policy()` applied by the library's `Plan` to the record's cells
/// gives what the derive gives: the same pseudonyms, facts and kept
/// columns, and sealed cells that `UserSealed::open` opens.
#[test]
fn the_policy_applied_by_a_plan_agrees_with_the_derive() {
    let (keyring, subjects) = keys();
    let user = sample_user(7).unwrap();
    let policy = User::policy();
    policy.check().unwrap();
    // As a file for `desensitize run` (JSON here; the TOML keys are the same), read back unchanged.
    let file = derive_fixture::policy_json().unwrap();
    assert_eq!(desensitize::policy::Policy::from_json(&file).unwrap(), policy);
    let header =
        ["id", "phone", "id_number", "email", "guardian_id", "home.address", "home.location", "plan"];
    assert_eq!(policy.columns.keys().map(String::as_str).collect::<Vec<_>>(), {
        let mut h = header.to_vec();
        h.sort();
        h
    });
    let plan = Plan::from_policy(&policy, &header, Some(keyring.clone())).unwrap();
    let row = [
        "7",
        user.phone.expose(),
        user.id_number.expose(),
        user.email.expose(),
        user.guardian_id.expose(),
        user.home.address.expose(),
        "39.9087,116.3975",
        "pro",
    ];
    let (mut cells, mut report) = (Cells::new(), Report::default());
    assert_eq!(plan.apply(1, &row[..], &mut cells, &mut report).unwrap(), Verdict::Write);
    let out: std::collections::HashMap<&str, String> = plan
        .output_names()
        .iter()
        .enumerate()
        .map(|(i, n)| (n.as_str(), String::from_utf8(cells.get(i).to_vec()).unwrap()))
        .collect();

    // Deterministic columns: equal to UserAnalytics.
    let analytics = user.analytics(&keyring).unwrap();
    assert_eq!(out["id"], "7");
    assert_eq!(out["plan"], analytics.plan);
    assert_eq!(out["email"], analytics.email.to_string());
    assert_eq!(out["guardian_id_gender"], analytics.guardian_id_gender);
    assert_eq!(out["guardian_id_age_band"], analytics.guardian_id_age_band);
    assert_eq!(out["guardian_id_province"], analytics.guardian_id_province);
    assert_eq!(out["home.address_province"], analytics.home.address_province);
    assert_eq!(out["home.address_city"], analytics.home.address_city);
    assert_eq!(out["home.location_geohash"], analytics.home.location_geohash.clone().unwrap());

    // Sealed columns: the plan's cells, put into UserSealed, open through
    // the derive (same table, field name and row id).
    let mut sealed: Value = serde_json::to_value(user.seal(&keyring, &subjects).unwrap()).unwrap();
    sealed["phone"] = json!(out["phone"]);
    sealed["guardian_id"] = json!(out["guardian_id"]);
    sealed["home"]["address"] = json!(out["home.address"]);
    sealed["home"]["location"] = json!(out["home.location"]);
    let back =
        serde_json::from_value::<UserSealed>(sealed).unwrap().open(&keyring, &subjects, "test").unwrap();
    assert_eq!((back.phone, back.guardian_id), (user.phone.clone(), user.guardian_id.clone()));
    assert_eq!(
        (back.home.address, back.home.location),
        (user.home.address.clone(), user.home.location.clone())
    );
    // The per-subject ID number is sealed by the plan under the root key:
    // a policy cannot name per-subject keys, so the derive does not open it.
    assert!(out["id_number"].starts_with("dz1."));
}

#[test]
fn a_record_without_a_location_has_no_location_fact() {
    let (keyring, subjects) = keys();
    let mut user = sample_user(3).unwrap();
    user.home = Home { location: None, ..user.home };
    let a = user.analytics(&keyring).unwrap();
    assert_eq!(a.home.location_geohash, None);
    let v: Value = serde_json::to_value(user.seal(&keyring, &subjects).unwrap()).unwrap();
    assert_eq!(v["home"]["location"], Value::Null);
    let back = serde_json::from_value::<UserSealed>(v).unwrap().open(&keyring, &subjects, "t").unwrap();
    assert_eq!(back.home.location, None);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// `Debug` prints no run of 4 characters of any protected value.
    #[test]
    fn debug_shows_no_plaintext(
        phone in common::strategies::mobile_phone(),
        id in common::strategies::id_number(),
        email in common::strategies::email(),
        backups in prop::collection::vec(common::strategies::mobile_phone(), 0..3),
    ) {
        let mut user = sample_user(1).unwrap();
        user.phone = phone.parse().unwrap();
        user.id_number = id.parse().unwrap();
        user.guardian_id = id.parse().unwrap();
        user.email = email.parse().unwrap();
        user.backup_phones = backups.iter().map(|p| p.parse().unwrap()).collect();
        let debug = format!("{user:?} {:?}", user.masked());
        let shown = format!("{user:?}");
        // The Debug text every record shares (field names such as `location`):
        // a run of a value found there is structure, not a leak (an e-mail
        // `0@a.loca` shares `loca` with it).
        let skeleton = format!("{:?}", sample_user(1).unwrap());
        for value in [user.phone.expose(), user.id_number.expose(), user.email.expose()]
            .into_iter()
            .chain(user.backup_phones.iter().map(|p| p.expose()))
        {
            let chars: Vec<char> = value.chars().collect();
            for w in chars.windows(4) {
                let run: String = w.iter().collect();
                prop_assert!(!shown.contains(&run) || skeleton.contains(&run), "Debug shows {:?}", run);
            }
        }
        prop_assert!(debug.contains("phone: [REDACTED]"));
    }
}

/// Two blind indexes in one named domain: `blind_index(domain = ...)` names
/// the index's `pseudo::Domain`, as a policy's `domain` does (the old key
/// `name` still reads the same); without it the domain is `<table>.<field>`.
#[derive(desensitize::Protect)]
#[protect(table = "contacts")]
struct Contact {
    #[protect(seal, blind_index(bits = 12, domain = "shared.phone"))]
    phone: MobilePhone,
    #[protect(seal, blind_index(bits = 12, name = "shared.phone"))]
    backup: MobilePhone,
    #[protect(seal, blind_index(bits = 12))]
    office: MobilePhone,
}

#[test]
fn blind_index_domain_names_the_index() {
    let keyring = Keyring::generate().unwrap();
    let phone: MobilePhone = "13800138000".parse().unwrap();
    let contact = Contact { phone: phone.clone(), backup: phone.clone(), office: phone.clone() };
    let v = serde_json::to_value(contact.seal(&keyring).unwrap()).unwrap();
    let index = |domain: &str| {
        let index =
            keyring.blind_index::<MobilePhone>(&Domain::new(domain).unwrap(), Transform::Full, 12).unwrap();
        Value::from(index.compute(&phone).to_string())
    };
    assert_eq!(v["phone_index"], index("shared.phone"));
    assert_eq!(v["backup_index"], index("shared.phone"));
    assert_eq!(v["office_index"], index("contacts.office"));
    assert_ne!(index("shared.phone"), index("contacts.office"));
}
