//! `desensitize risk`: the report (table, JSON, HTML) of a `fake` table,
//! and `--optimize` writing a `[privacy]` policy that `run` applies where
//! the hand-written one is refused.

use crate::common;

use common::{Env, text};

/// `fake` records with a diagnosis column (deterministic).
fn patients(env: &Env, rows: u64) -> Vec<String> {
    let csv = env.ok(&["fake", "--rows", &rows.to_string(), "--seed", "3"], "");
    let dx = ["flu", "asthma", "diabetes", "hiv", "cancer", "gout"];
    let mut out = String::new();
    let mut ids = Vec::new();
    for (i, line) in csv.lines().enumerate() {
        if i == 0 {
            out.push_str(&format!("{line},diagnosis\n"));
            continue;
        }
        let mut r = csv::ReaderBuilder::new().has_headers(false).from_reader(line.as_bytes());
        ids.push(r.records().next().unwrap().unwrap()[2].to_owned());
        out.push_str(&format!("{line},{}\n", dx[(i * 7 + i / 3) % dx.len()]));
    }
    std::fs::write(env.path("patients.csv"), out).unwrap();
    ids
}

#[test]
fn report_table_json_and_html() {
    let env = Env::new("risk-report");
    let ids = patients(&env, 1500);
    let quasi = "id_number:id-age,id_number:id-region";
    let args =
        ["risk", "patients.csv", "--quasi", quasi, "--sensitive", "diagnosis", "--today", "2026-12-01"];
    let table = env.ok(&args, "");
    assert!(table.contains("records                      1500"), "{table}");
    assert!(table.contains("prosecutor") && table.contains("diagnosis"));

    let mut json_args = args.to_vec();
    json_args.extend(["--json", "--html", "report.html"]);
    let json: serde_json::Value = serde_json::from_str(&env.ok(&json_args, "")).unwrap();
    assert_eq!(json["records"], 1500);
    let sizes = json["sizes"].as_array().unwrap();
    let total: u64 = sizes.iter().map(|s| s["size"].as_u64().unwrap() * s["classes"].as_u64().unwrap()).sum();
    assert_eq!(total, 1500);
    assert_eq!(json["k"], sizes[0]["size"]);
    let p = json["prosecutor"]["highest"].as_f64().unwrap();
    assert_eq!(p, 1.0 / json["k"].as_f64().unwrap());
    assert_eq!(json["sensitive"][0]["name"], "diagnosis");

    let html = std::fs::read_to_string(env.path("report.html")).unwrap();
    assert!(html.contains("<svg") && html.contains("Re-identification risk: patients.csv"));
    assert!(!html.contains("<script"));
    for id in &ids {
        assert!(!html.contains(id.as_str()) && !table.contains(id.as_str()), "an ID number in the report");
    }
    // The refusal names columns, not values.
    let out = env.run(&["risk", "patients.csv", "--quasi", "nope"], "");
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(text(&out.stderr).trim(), "desensitize: no column `nope` in the input");
}

#[test]
fn optimize_writes_a_policy_that_run_applies() {
    let env = Env::new("risk-optimize");
    patients(&env, 3000);
    let unsafe_policy = r#"
unnamed_columns = "drop"
today = "2026-12-01"
[columns.id_number]
kind = "id_number"
action = "drop"
generalize = { age_band = "age", city = "city" }
[columns.diagnosis]
action = "keep"
[privacy]
k = 10
l = 3
quasi_identifiers = ["age", "city"]
sensitive = ["diagnosis"]
"#;
    std::fs::write(env.path("unsafe.toml"), unsafe_policy).unwrap();
    let out = env.run(&["run", "--policy", "unsafe.toml", "patients.csv", "-o", "out.csv"], "");
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("desensitize: policy: privacy: class ("), "{err}");
    assert!(err.contains("misses k"), "{err}");
    assert!(!env.path("out.csv").exists());

    let stderr = env.run(
        &[
            "risk",
            "patients.csv",
            "--quasi",
            "id_number:id-age,id_number:id-region",
            "--sensitive",
            "diagnosis",
            "--today",
            "2026-12-01",
            "--optimize",
            "--k",
            "10",
            "--l",
            "3",
            "--policy-out",
            "safe.toml",
        ],
        "",
    );
    assert!(stderr.status.success(), "{}", text(&stderr.stderr));
    assert!(text(&stderr.stderr).contains("levels: id_number:id-age@"));
    let policy = std::fs::read_to_string(env.path("safe.toml")).unwrap();
    assert!(policy.contains("[privacy]\nk = 10\n"), "{policy}");
    env.ok(&["run", "--policy", "safe.toml", "patients.csv", "-o", "safe.csv"], "");

    // The written table meets the model.
    let header = std::fs::read_to_string(env.path("safe.csv")).unwrap();
    let quasi: Vec<&str> = header.lines().next().unwrap().split(',').filter(|c| *c != "diagnosis").collect();
    let json =
        env.ok(&["risk", "safe.csv", "--quasi", &quasi.join(","), "--sensitive", "diagnosis", "--json"], "");
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert!(json["k"].as_u64().unwrap() >= 10, "{json}");
    assert!(json["sensitive"][0]["distinct_l"].as_u64().unwrap() >= 3);
    assert!(json["records"].as_u64().unwrap() >= 2850);
}
