//! k, distinct and entropy l-diversity and t-closeness agree with pyCANON
//! (PyPI `pycanon`) on generated tables. Skips with one line when python3
//! or pycanon is absent (`PYCANON_PYTHON` names another interpreter).

use std::process::Command;

use desensitize::assess::{Columns, scan};
use desensitize::risk::{Population, RiskReport};
use desensitize::stream::{Format, Options};

use super::Rng;
use super::skip::skip_line;

/// A table of `rows`: two quasi-identifiers, a categorical and a numeric sensitive column.
fn table(seed: u64, rows: usize) -> String {
    let mut rng = Rng(seed);
    let mut csv = String::from("gender,band,diagnosis,salary\n");
    let dx = ["flu", "asthma", "diabetes", "hiv", "cancer"];
    for _ in 0..rows {
        let band = 20 + 10 * rng.below(3);
        // Skewed: some classes hold one diagnosis only.
        let d = if band == 40 { dx[rng.below(2) as usize] } else { dx[rng.below(5) as usize] };
        csv.push_str(&format!(
            "{},{band}-{},{d},{}\n",
            ["f", "m"][rng.below(2) as usize],
            band + 9,
            1000 * (3 + rng.below(6))
        ));
    }
    csv
}

#[test]
fn measures_agree_with_pycanon() {
    let python = std::env::var("PYCANON_PYTHON").unwrap_or_else(|_| "python3".into());
    // CI sets it: there, a missing pycanon is a failure, not a skip.
    let required = std::env::var_os("DESENSITIZE_REQUIRE_PYCANON");
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/risk/pycanon_measures.py");
    let dir = std::env::temp_dir().join(format!("dz-risk-pycanon-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (seed, rows) in [(1u64, 40usize), (2, 200), (3, 1000), (4, 7)] {
        let csv = table(seed, rows);
        let path = dir.join(format!("t{seed}.csv"));
        std::fs::write(&path, &csv).unwrap();
        let out = match Command::new(&python)
            .args([
                script,
                path.to_str().unwrap(),
                "--quasi",
                "gender,band",
                "--sensitive",
                "diagnosis,salary",
            ])
            .output()
        {
            Ok(o) if o.status.code() == Some(3) || (o.status.success() && o.stdout.is_empty()) => {
                assert!(required.is_none(), "DESENSITIZE_REQUIRE_PYCANON is set and pycanon is absent");
                return skip_line(
                    "skipping measures_agree_with_pycanon: pycanon is not installed (pip install pycanon)",
                );
            }
            Ok(o) if o.status.success() => o.stdout,
            Ok(o) => panic!("pycanon script failed: {}", String::from_utf8_lossy(&o.stderr)),
            Err(_) => {
                assert!(required.is_none(), "DESENSITIZE_REQUIRE_PYCANON is set and there is no python");
                return skip_line("skipping measures_agree_with_pycanon: no python3");
            }
        };
        let theirs: serde_json::Value = serde_json::from_slice(&out).unwrap();
        let columns = Columns::new(&["gender", "band"], &["diagnosis", "salary"]);
        let ours = scan(csv.as_bytes(), Format::Csv, &columns, &Options::new(2)).unwrap();
        let r = RiskReport::of(&ours, &["diagnosis", "salary"], Population::default());
        assert_eq!(r.k, theirs["k"].as_u64().unwrap(), "k, seed {seed}");
        for s in &r.sensitive {
            let t = &theirs["sensitive"][&s.name];
            assert_eq!(s.distinct_l, t["l"].as_u64().unwrap(), "l of {}, seed {seed}", s.name);
            assert_eq!(
                s.entropy_l.floor() as u64,
                t["entropy_l"].as_u64().unwrap(),
                "entropy l of {}",
                s.name
            );
            let dt = (s.t - t["t"].as_f64().unwrap()).abs();
            assert!(dt < 1e-9, "t of {}, seed {seed}: {} vs {}", s.name, s.t, t["t"]);
        }
        assert!(r.sensitive[1].ordered && !r.sensitive[0].ordered);
    }
    let _ = std::fs::remove_dir_all(&dir);
}
