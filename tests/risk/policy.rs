//! `[privacy]` in policies: refused when the table misses the model (the
//! failing class named by its generalized key), passed after the optimal
//! search's levels are applied; `[k_anonymity]` still works.

use desensitize::Date;
use desensitize::assess::{Columns, Quasi, scan};
use desensitize::policy::{Cells, ClassCounts, Plan, Policy, PolicyError, Report, Verdict};
use desensitize::risk::{
    Builtin, Dimension, Diversity, Hierarchy, Lattice, PrivacyModel, Requirement, RiskError, policy_toml,
};
use desensitize::stream::{Format, Options};

use super::Rng;

/// Valid ID numbers (born 1950-1999 in a few districts) with a diagnosis.
fn patients(rows: usize) -> (Vec<[String; 2]>, String) {
    let areas = [
        "110105", "310104", "440305", "510107", "540102", "440106", "320102", "330106", "420106", "610113",
        "370102", "430102",
    ];
    let dx = ["flu", "asthma", "diabetes", "hiv", "cancer"];
    let mut rng = Rng(7);
    let mut out = Vec::new();
    let mut csv = String::from("id,dx\n");
    for _ in 0..rows {
        let body = format!(
            "{}{}{:02}{:02}{:03}",
            areas[rng.below(areas.len() as u64) as usize],
            1950 + rng.below(50),
            1 + rng.below(12),
            1 + rng.below(28),
            rng.below(1000)
        );
        let id = format!("{body}{}", check_digit(&body));
        let d = dx[rng.below(5) as usize].to_owned();
        csv.push_str(&format!("{id},{d}\n"));
        out.push([id, d]);
    }
    (out, csv)
}

/// GB 11643 check digit.
fn check_digit(body: &str) -> char {
    const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let s: u32 = body.chars().zip(W).map(|(c, w)| c.to_digit(10).unwrap() * w).sum();
    b"10X98765432"[(s % 11) as usize] as char
}

fn count(plan: &Plan, rows: &[[String; 2]]) -> Result<(), PolicyError> {
    let (mut cells, mut classes) = (Cells::new(), ClassCounts::new());
    for (i, r) in rows.iter().enumerate() {
        plan.count(i as u64 + 1, &r[..], &mut cells, &mut classes).unwrap();
    }
    plan.finish_counting(classes).map(|_| ())
}

#[test]
fn refused_then_passed_after_the_optimal_levels() {
    let (rows, csv) = patients(1500);
    let today = Date::new(2026, 12, 1).unwrap();
    let unsafe_policy = r#"
        unnamed_columns = "drop"
        today = "2026-12-01"
        [columns.id]
        kind = "id_number"
        action = "drop"
        generalize = { age_band = "age", city = "city" }
        [columns.dx]
        action = "keep"
        [privacy]
        k = 10
        l = 3
        quasi_identifiers = ["age", "city"]
        sensitive = ["dx"]
    "#;
    let plan = Plan::from_policy(&Policy::from_toml(unsafe_policy).unwrap(), &["id", "dx"], None).unwrap();
    let err = count(&plan, &rows).unwrap_err();
    let PolicyError::Privacy(RiskError::Unmet(u)) = &err else { panic!("{err}") };
    assert_eq!(u.requirement, Requirement::K);
    assert_eq!(u.class.len(), 2);
    assert!(u.failing_records > u.budget);

    // The search over the ID number's age and region hierarchies.
    let hierarchies =
        [Hierarchy::Builtin(Builtin::IdAge { today }), Hierarchy::Builtin(Builtin::IdRegion { today })];
    let columns = Columns {
        quasi: hierarchies
            .iter()
            .map(|h| Quasi { column: "id".into(), hierarchy: Some(h.clone()), level: None })
            .collect(),
        sensitive: vec!["dx".into()],
    };
    let table = scan(csv.as_bytes(), Format::Csv, &columns, &Options::new(2)).unwrap();
    let dims: Vec<Dimension> =
        hierarchies.iter().map(|h| Dimension { column: "id".into(), hierarchy: h.clone() }).collect();
    let model = PrivacyModel::new(10)
        .unwrap()
        .with_l(3, Diversity::Distinct)
        .unwrap()
        .with_max_suppression(0.05)
        .unwrap();
    let best = Lattice::new(&table, &dims).unwrap().optimize(&model).unwrap();
    assert_ne!(best.levels, [0, 0]);
    let toml = policy_toml(&dims, &best.levels, &["dx".to_owned()], &model, today).unwrap();
    let plan = Plan::from_policy(&Policy::from_toml(&toml).unwrap(), &["id", "dx"], None).unwrap();
    count(&plan, &rows).unwrap();
    let checked = plan.suppression().unwrap();
    assert_eq!(checked.suppressed_records(), best.suppressed_records);
    // Pass 2 writes exactly the kept rows.
    let (mut cells, mut report) = (Cells::new(), Report::default());
    let written = rows
        .iter()
        .enumerate()
        .filter(|(i, r)| {
            plan.apply(*i as u64 + 1, &r[..], &mut cells, &mut report).unwrap() == Verdict::Write
        })
        .count() as u64;
    assert_eq!(written, checked.kept_records());
}

#[test]
fn privacy_settings_are_checked() {
    let with = |privacy: &str| {
        let json = format!(
            r#"{{"columns": {{"a": {{"action": "keep"}}, "s": {{"action": "keep"}}}}, "privacy": {privacy}}}"#
        );
        Policy::from_json(&json).and_then(|p| p.check().map(|_| ())).map_err(|e| e.to_string())
    };
    assert_eq!(with(r#"{"k": 2, "quasi_identifiers": ["a"]}"#), Ok(()));
    assert_eq!(with(r#"{"k": 2, "quasi_identifiers": ["a"], "l": 2, "sensitive": ["s"], "t": 0.3}"#), Ok(()));
    assert_eq!(
        with(r#"{"k": 2, "quasi_identifiers": ["a"], "l": 2}"#).unwrap_err(),
        "privacy: sensitive names the columns l and t protect: give both, or neither"
    );
    assert_eq!(with(r#"{"k": 0, "quasi_identifiers": ["a"]}"#).unwrap_err(), "privacy: k must be at least 1");
    assert_eq!(
        with(r#"{"k": 1, "quasi_identifiers": ["a"]}"#).unwrap_err(),
        "privacy: k is 1 and nothing else is required: the model protects nothing"
    );
    assert_eq!(
        with(r#"{"quasi_identifiers": ["a"], "max_risk": 0.1, "max_suppression": 2}"#).unwrap_err(),
        "privacy: max_suppression must be in [0, 1]"
    );
    assert_eq!(
        with(r#"{"k": 2, "quasi_identifiers": ["a"], "l": 2, "sensitive": ["a"]}"#).unwrap_err(),
        "privacy: quasi_identifiers sensitive names `a` twice, or a quasi-identifier"
    );
    assert_eq!(
        with(r#"{"k": 2, "quasi_identifiers": ["b"]}"#).unwrap_err(),
        "privacy: quasi_identifiers quasi-identifier `b` is not an output column"
    );
    assert_eq!(
        with(r#"{"k": 2, "quasi_identifiers": ["a"], "diversity": "entropy"}"#).unwrap_err(),
        "privacy: diversity needs l"
    );
    assert!(
        with(r#"{"k": 2, "quasi_identifiers": ["a"], "lk": 2}"#)
            .unwrap_err()
            .contains("unknown key `lk` in [privacy]")
    );
    let both = r#"{"columns": {"a": {"action": "keep"}}, "privacy": {"k": 2, "quasi_identifiers": ["a"]},
        "k_anonymity": {"k": 2, "quasi_identifiers": ["a"]}}"#;
    assert_eq!(
        Policy::from_json(both).unwrap().check().unwrap_err().to_string(),
        "privacy: [privacy] and [k_anonymity] are both given: keep [privacy]"
    );
}

#[test]
fn k_anonymity_alias_suppresses_without_a_budget() {
    let policy = Policy::from_json(
        r#"{"columns": {"a": {"action": "keep"}}, "k_anonymity": {"k": 2, "quasi_identifiers": ["a"]}}"#,
    )
    .unwrap();
    let plan = Plan::from_policy(&policy, &["a"], None).unwrap();
    let rows: Vec<[&str; 1]> = vec![["x"], ["y"], ["z"], ["z"]];
    let (mut cells, mut classes) = (Cells::new(), ClassCounts::new());
    for (i, r) in rows.iter().enumerate() {
        plan.count(i as u64 + 1, &r[..], &mut cells, &mut classes).unwrap();
    }
    let checked = plan.finish_counting(classes).unwrap();
    assert_eq!((checked.suppressed_records(), checked.kept_records()), (2, 2));
}
