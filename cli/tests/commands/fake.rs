//! `desensitize fake`: deterministic, valid synthetic records.

use crate::common;

use std::path::Path;

use common::{Env, json_lines};
use desensitize::{Address, BankCard, Email, GeoPoint, IdNumber, MobilePhone, PersonName};

#[test]
fn fake_is_deterministic_and_valid() {
    let env = Env::new("fake");
    let a = env.ok(&["fake", "--rows", "300", "--seed", "5"], "");
    let b = env.ok(&["fake", "--rows", "300", "--seed", "5"], "");
    let c = env.ok(&["fake", "--rows", "300", "--seed", "6"], "");
    assert_eq!(a, b);
    assert_ne!(a, c);

    let mut reader = csv::Reader::from_reader(a.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_owned).collect();
    assert_eq!(header, desensitize::fake::COLUMNS);
    let mut n = 0u64;
    for record in reader.records() {
        let r = record.unwrap();
        n += 1;
        assert_eq!(r[0].parse::<u64>().unwrap(), n);
        r[1].parse::<PersonName>().unwrap();
        r[2].parse::<IdNumber>().unwrap();
        r[3].parse::<MobilePhone>().unwrap();
        r[4].parse::<BankCard>().unwrap();
        r[5].parse::<Email>().unwrap();
        r[6].parse::<Address>().unwrap();
        r[7].parse::<GeoPoint>().unwrap();
    }
    assert_eq!(n, 300);

    // JSON Lines by extension, the same records.
    env.ok(&["fake", "--rows", "300", "--seed", "5", "-o", "users.jsonl"], "");
    let rows = json_lines(&std::fs::read_to_string(env.path("users.jsonl")).unwrap());
    assert_eq!(rows.len(), 300);
    let first_csv = a.lines().nth(1).unwrap();
    assert_eq!(rows[0]["user_id"], 1);
    assert!(first_csv.contains(rows[0]["id_number"].as_str().unwrap()));
    assert!(first_csv.contains(rows[0]["email"].as_str().unwrap()));

    // CSV to a file equals CSV on stdout.
    env.ok(&["fake", "--rows", "300", "--seed", "5", "-o", "users.csv"], "");
    assert_eq!(std::fs::read_to_string(env.path("users.csv")).unwrap(), a);
    assert!(Path::new(&env.path("users.csv")).exists());
}
