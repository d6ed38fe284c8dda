//! Record policies (`desensitize::policy`): reading, checking, compiling
//! against a header, and applying to records.
//!
//! Input: a selector byte (bit 0: JSON, else TOML; bit 1: UTF-8 text
//! output), then the policy text. The policy is read with
//! `Policy::from_json` / `from_toml`, checked, compiled with
//! `Plan::from_policy` against [`HEADER`] and the vector keyring, and applied
//! (after the k-anonymity count when it has one) to the fixed [`RECORDS`].
//!
//! Checked, besides "nothing panics":
//! * `Plan::from_policy` fails exactly when `check` does, with the same
//!   error, or else for a header or keyring reason;
//! * an accepted policy's plan has unique output names, and a written row
//!   has one cell per output name;
//! * **errors never show a record's value.** A policy error (read, check,
//!   compile, k-anonymity count) and a row error (`Err` of `apply` or
//!   `count`, each reject in the report; their `Display`, `Debug` and
//!   `Plan::describe`) contain no 4-character part of any cell value of
//!   [`RECORDS`] unless that part is also in the policy text or in the
//!   header names. That is what errors may name: policy keys, setting
//!   values and column names as the policy writes them (operator text, not
//!   records), header names, row numbers and the library's fixed texts. In
//!   a `PolicyError::Syntax` the digits of "line L column C" (a position in
//!   the policy text) are not compared.
#![no_main]

use std::collections::HashSet;

use desensitize::policy::{Cells, ClassCounts, Plan, Policy, PolicyError, Report, RowError, Verdict};
use desensitize_fuzz::{Bytes, assert_no_leak, text, vector_keyring_arc};
use libfuzzer_sys::fuzz_target;

/// The columns of `cli/tests/golden/input.csv` and a consent flag: every
/// column the seed policies name.
#[rustfmt::skip]
const HEADER: &[&str] = &[
    "user_id", "segment", "name", "name_strict", "name_relaxed", "id_number", "id_strict", "id_relaxed", "id_fpe",
    "id_token", "id_index", "id_city", "id_band", "mobile", "mobile_strict", "mobile_fpe", "mobile_index",
    "card_mask", "bank_card", "card_token", "email", "email_mask", "email_domain", "email_token", "address",
    "address_mask", "location", "location_grid", "location_mask", "location_keep", "dropped", "note", "consent",
];

/// One record's values by column family: an adult's valid row, a child's
/// row without consent, a row of invalid values, and an empty row.
/// (user_id, name, id number, mobile, bank card, e-mail, address, geo point, free text, consent)
type Values = [&'static str; 10];
const RECORDS: &[Values] = &[
    [
        "1001",
        "胡诗萱",
        "540529195407082043",
        "17158395937",
        "6225888319883298",
        "junchaoyan@foxmail.com",
        "甘肃省兰州市安宁区黄河路459号23栋5单元403室",
        "41.25342,94.22004",
        "secret-1",
        "yes",
    ],
    [
        "1002",
        "卢健明",
        "110105201506010016",
        "17075972477",
        "6259655594852747",
        "zhao_chen4990@yeah.net",
        "云南省玉溪市新平彝族傣族自治县中山路689号",
        "42.67151,98.65828",
        "secret-2",
        "no",
    ],
    [
        "1003",
        "Q",
        "540529195407082044",
        "27158395930",
        "6225888319883299",
        "q@@zz.9",
        "黄河路路路路",
        "97.25342,194.22004",
        "secret-3",
        "perhaps",
    ],
    ["", "", "", "", "", "", "", "", "", ""],
];

/// A record in `HEADER` order.
fn record(v: &Values) -> Vec<&'static str> {
    HEADER
        .iter()
        .map(|c| match *c {
            "user_id" => v[0],
            "consent" => v[9],
            "dropped" | "note" | "segment" => v[8],
            c if c.starts_with("name") => v[1],
            c if c.starts_with("id_") => v[2],
            c if c.starts_with("mobile") => v[3],
            c if c.starts_with("card") || c == "bank_card" => v[4],
            c if c.starts_with("email") => v[5],
            c if c.starts_with("address") => v[6],
            c if c.starts_with("location") => v[7],
            other => panic!("no value for header column {other}"),
        })
        .collect()
}

fuzz_target!(|data: &[u8]| {
    let mut input = Bytes(data);
    let selector = input.u8();
    let source = text(input.rest());
    let allowed = format!("{}\n{}", HEADER.join("\n"), source);
    let read = if selector & 1 == 1 { Policy::from_json(&source) } else { Policy::from_toml(&source) };
    let policy = match read {
        Ok(p) => p,
        Err(e) => return check_policy_error("read", &e, &allowed),
    };
    let checked = policy.check();
    let compiled = Plan::from_policy(&policy, HEADER, Some(vector_keyring_arc().clone()));
    let plan = match (checked, compiled) {
        (Ok(_), Ok(plan)) => plan,
        (Err(e), Err(again)) => {
            assert_eq!(e, again, "from_policy and check disagree");
            return check_policy_error("check", &e, &allowed);
        }
        (Err(e), Ok(_)) => panic!("check refused a policy that from_policy compiled: {e}"),
        (Ok(_), Err(e)) => {
            assert!(
                !matches!(e, PolicyError::Syntax(_) | PolicyError::UnknownKey { .. }),
                "from_policy refused a checked policy for a reading error: {e}"
            );
            return check_policy_error("compile", &e, &allowed);
        }
    };
    let plan = plan.with_text_output(selector & 2 == 2);
    let names = plan.output_names();
    let unique: HashSet<&String> = names.iter().collect();
    assert_eq!(unique.len(), names.len(), "duplicate output names {names:?}");
    apply_all(&plan, &allowed);
});

fn apply_all(plan: &Plan, allowed: &str) {
    let records: Vec<Vec<&str>> = RECORDS.iter().map(record).collect();
    let mut cells = Cells::new();
    if plan.needs_counting() {
        let mut classes = ClassCounts::new();
        for (i, r) in records.iter().enumerate() {
            if let Err(e) = plan.count(i as u64 + 1, &r[..], &mut cells, &mut classes) {
                check_row_error(plan, &e, allowed);
            }
        }
        if let Err(e) = plan.finish_counting(classes) {
            return check_policy_error("finish_counting", &e, allowed);
        }
    }
    let mut report = Report::default();
    for (i, r) in records.iter().enumerate() {
        match plan.apply(i as u64 + 1, &r[..], &mut cells, &mut report) {
            Ok(Verdict::Write) => {
                assert_eq!(cells.len(), plan.output_names().len(), "cells of row {}", i + 1)
            }
            Ok(Verdict::Withheld(_)) => {}
            Err(e) => check_row_error(plan, &e, allowed),
        }
    }
    for e in &report.rejects {
        check_row_error(plan, e, allowed);
    }
}

/// No 4-character part of a record's cell value in `shown` unless it is in
/// `allowed` (the header names and the policy text).
fn assert_value_free(what: &str, shown: &str, allowed: &str) {
    for values in RECORDS {
        for value in values {
            assert_no_leak(what, shown, value, allowed);
        }
    }
}

fn check_policy_error(stage: &str, e: &PolicyError, allowed: &str) {
    let what = format!("policy error ({stage})");
    let (shown, debug) = match e {
        PolicyError::Syntax(_) => (without_positions(&e.to_string()), without_positions(&format!("{e:?}"))),
        _ => (e.to_string(), format!("{e:?}")),
    };
    assert_value_free(&what, &shown, allowed);
    assert_value_free(&what, &debug, allowed);
}

/// A syntax error's "line L column C" says where in the policy text, and
/// its digits may match a value's by chance (`column 1954`): `L`, `C` become `#`.
fn without_positions(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = ["line ", "column "].iter().filter_map(|w| rest.find(w).map(|i| i + w.len())).min() {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        if digits > 0 {
            out.push('#');
        }
        rest = &rest[digits..];
    }
    out.push_str(rest);
    out
}

fn check_row_error(plan: &Plan, e: &RowError, allowed: &str) {
    assert_value_free("row error", &e.to_string(), allowed);
    assert_value_free("row error", &format!("{e:?}"), allowed);
    assert_value_free("row error", &plan.describe(e), allowed);
}
