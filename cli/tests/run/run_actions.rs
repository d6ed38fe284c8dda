//! `desensitize run` end to end: every action on one file, CSV and JSON Lines,
//! each output cell checked against the library.

use crate::common;

use common::data::{bank_card, csv_rows, id_number};
use common::run_dir::{Dir, ok, stderr};
use desensitize::generalize::{division, geohash};
use desensitize::pseudo::{Domain, Transform};
use desensitize::{
    Address, BankCard, Context, Date, Email, GeoPoint, IdNumber, Keyring, MaskLevel, MobilePhone, Sensitive,
};

/// Every action on one file.
const ALL_ACTIONS: &str = r#"
table = "users"
row_id = "user_id"
today = "2026-11-23"

[columns.user_id]
action = "keep"
[columns.name]
action = "drop"
[columns.id_number]
kind = "id_number"
action = "seal"
generalize = { gender = "gender", age_band = "age_band", province = "province", city = "city", birth_year = "born" }
band_width = 10
[columns.mobile]
kind = "mobile_phone"
action = "mask"
level = "strict"
[columns.mobile2]
kind = "mobile_phone"
action = "fpe"
domain = "testing"
[columns.bank_card]
kind = "bank_card"
action = "pseudonym"
domain = "analytics"
[columns.email]
kind = "email"
action = "blind-index"
bits = 12
[columns.address]
kind = "address"
action = "generalize"
to = "province"
[columns.location]
kind = "geo_point"
action = "keep"
generalize = { geohash = "cell" }
precision = 6
"#;

struct Person {
    user_id: String,
    id: String,
    mobile: String,
    card: String,
    email: String,
    address: String,
    location: String,
}

fn people() -> Vec<Person> {
    vec![
        Person {
            user_id: "17".into(),
            id: "11010519491231002X".into(),
            mobile: "13800138000".into(),
            card: "6222021234567894".into(),
            email: "Li.Na@Example.COM".into(),
            address: "广东省深圳市南山区科技园1号".into(),
            location: "39.9087,116.3975".into(),
        },
        Person {
            user_id: "18".into(),
            id: id_number("440305", "19900615", 123),
            mobile: "+86 139-0013-9000".into(),
            card: bank_card(42),
            email: "wang@163.com".into(),
            address: "上海市浦东新区世纪大道100号".into(),
            location: "31.2304,121.4737".into(),
        },
    ]
}

fn people_csv() -> String {
    let mut s = String::from("user_id,name,id_number,mobile,mobile2,bank_card,email,address,location\n");
    for p in people() {
        s.push_str(&format!(
            "{},张三,{},{},{},{},{},{},\"{}\"\n",
            p.user_id, p.id, p.mobile, p.mobile, p.card, p.email, p.address, p.location
        ));
    }
    s
}

fn people_jsonl() -> String {
    let mut s = String::new();
    for p in people() {
        // Keys in a deliberate order, written by hand to keep it.
        s.push_str(&format!(
            "{{\"user_id\":{},\"name\":\"张三\",\"id_number\":{:?},\"mobile\":{:?},\"mobile2\":{:?},\
             \"bank_card\":{:?},\"email\":{:?},\"address\":{:?},\"location\":{:?}}}\n",
            p.user_id, p.id, p.mobile, p.mobile, p.card, p.email, p.address, p.location
        ));
    }
    s
}

const OUT_HEADER: [&str; 14] = [
    "user_id",
    "id_number",
    "gender",
    "age_band",
    "province",
    "city",
    "born",
    "mobile",
    "mobile2",
    "bank_card",
    "email",
    "address",
    "location",
    "cell",
];

/// Check one output row against the library, cell by cell.
fn check_row(keyring: &Keyring, p: &Person, row: &[String]) {
    let today = Date::new(2026, 11, 23).unwrap();
    let cell = |name: &str| row[OUT_HEADER.iter().position(|h| *h == name).unwrap()].as_str();
    assert_eq!(cell("user_id"), p.user_id);

    let id: IdNumber = p.id.parse().unwrap();
    let ctx = Context::new("users", "id_number").with_row(&p.user_id);
    assert!(cell("id_number").starts_with("dz1."));
    let opened: IdNumber = keyring.open_text(cell("id_number"), &ctx, "test").unwrap();
    assert_eq!(opened, id);
    let other_row = Context::new("users", "id_number").with_row("999");
    assert!(keyring.open_text::<IdNumber>(cell("id_number"), &other_row, "test").is_err());

    let profile = id.generalize(today, 10).unwrap();
    assert_eq!(cell("gender"), profile.gender().as_str());
    assert_eq!(cell("age_band"), profile.age_band().to_string());
    assert_eq!(cell("province"), profile.province().name());
    let city = division::lookup(id.region_code()).and_then(|d| d.city()).unwrap();
    assert_eq!(cell("city"), city.name());
    assert_eq!(cell("born"), id.birth_date().year().to_string());

    let phone: MobilePhone = p.mobile.parse().unwrap();
    assert_eq!(cell("mobile"), phone.mask(MaskLevel::Strict));
    let testing = Domain::new("testing").unwrap();
    let fpe = keyring.fpe(&phone, &testing).unwrap();
    assert_eq!(cell("mobile2"), fpe.expose());
    assert_eq!(&cell("mobile2")[..3], &phone.expose()[..3]);
    assert!(cell("mobile2").parse::<MobilePhone>().is_ok());

    let card: BankCard = p.card.parse().unwrap();
    let token = keyring.pseudonymizer(&Domain::new("analytics").unwrap()).unwrap().token(&card);
    assert_eq!(cell("bank_card"), token.to_text());

    let email: Email = p.email.parse().unwrap();
    let index =
        keyring.blind_index::<Email>(&Domain::new("users.email").unwrap(), Transform::Full, 12).unwrap();
    assert_eq!(cell("email"), index.compute(&email).to_string());

    let address: Address = p.address.parse().unwrap();
    assert_eq!(cell("address"), address.generalize().unwrap().province().name());

    let point: GeoPoint = p.location.parse().unwrap();
    assert_eq!(cell("location"), p.location);
    assert_eq!(cell("cell"), geohash(&point, 6).unwrap());
}

#[test]
fn every_action_in_csv() {
    let d = Dir::new("actions");
    d.write("policy.toml", ALL_ACTIONS);
    d.write("in.csv", &people_csv());
    let o = d.run("in.csv", "out.csv", &[]);
    ok(&o);
    let rows = csv_rows(&d.read("out.csv"));
    assert_eq!(rows[0], OUT_HEADER);
    assert_eq!(rows.len(), 3);
    let keyring = d.keyring();
    for (p, row) in people().iter().zip(&rows[1..]) {
        check_row(&keyring, p, row);
    }
    // The summary names columns and counts, never values.
    let err = stderr(&o);
    assert!(err.contains("2 rows in, 2 rows out"), "{err}");
    assert!(err.contains("id_number") && err.contains("seal"), "{err}");
    assert!(!err.contains("13800138000"));
    // The seals are counted in the keyring's ledger, for `keys list`.
    assert_eq!(d.names(), ["in.csv", "k", "k.seals", "out.csv", "p", "policy.toml"]);
    assert!(d.read("k.seals").lines().all(|l| l.starts_with("dzseals1 ") && l.ends_with(" run")));
}

#[test]
fn json_lines_in_and_out() {
    let d = Dir::new("jsonl");
    d.write("policy.toml", ALL_ACTIONS);
    d.write("in.jsonl", &people_jsonl());
    ok(&d.run("in.jsonl", "out.jsonl", &[]));
    let keyring = d.keyring();
    let text = d.read("out.jsonl");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2);
    for (p, line) in people().iter().zip(&lines) {
        // Keys in CSV column order, all values strings.
        let keys: Vec<String> = line
            .trim_start_matches('{')
            .split(",\"")
            .map(|kv| kv.trim_start_matches('"').split('"').next().unwrap().to_owned())
            .collect();
        assert_eq!(keys, OUT_HEADER);
        let v: serde_json::Map<String, serde_json::Value> = serde_json::from_str(line).unwrap();
        let row: Vec<String> = OUT_HEADER.iter().map(|h| v[*h].as_str().unwrap().to_owned()).collect();
        check_row(&keyring, p, &row);
    }

    // CSV in, JSON Lines out (formats from the extensions), and --format.
    d.write("in.csv", &people_csv());
    ok(&d.run("in.csv", "conv.jsonl", &[]));
    assert_eq!(d.read("conv.jsonl").lines().count(), 2);
    ok(&d.run("in.jsonl", "out.txt", &["--format", "jsonl"]));
    assert_eq!(d.read("out.txt").lines().count(), 2);
}
