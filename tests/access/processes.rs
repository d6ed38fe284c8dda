//! Several processes (this test binary, run again) share one counter file:
//! together they reveal exactly the budget, no more.

use std::process::{Command, Stdio};

use desensitize::BudgetLimit;
use desensitize::access::{Budget, BudgetScope, Charge, FileCounter, RevealCounter};

const FILE_VAR: &str = "DZ_ACCESS_COUNTER_FILE";
const PER_PROCESS: u64 = 20;
const PROCESSES: u64 = 4;
const LIMIT: u64 = 50;

fn budget() -> Budget {
    Budget {
        per_minute: None,
        per_day: Some(LIMIT),
        subjects_per_day: None,
        warn_at_percent: 80,
        scope: BudgetScope::Role,
    }
}

/// The child: charges the shared file `PER_PROCESS` times, prints how many counted.
#[test]
#[ignore = "run by processes_share_one_file_counter as a child process"]
fn child_charges_the_shared_file() {
    let path = std::env::var(FILE_VAR).expect("run by processes_share_one_file_counter");
    let counter = FileCounter::new(path);
    let mut counted = 0;
    for _ in 0..PER_PROCESS {
        match counter.charge("role:support", None, 1_000, &budget()).unwrap() {
            Charge::Counted { .. } => counted += 1,
            Charge::Refused(limit) => assert_eq!(limit, BudgetLimit::PerDay),
        }
    }
    println!("counted {counted}");
}

#[test]
fn processes_share_one_file_counter() {
    let dir = std::env::temp_dir().join(format!("dz-access-procs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("counts.json");
    let exe = std::env::current_exe().unwrap();
    let children: Vec<_> = (0..PROCESSES)
        .map(|_| {
            Command::new(&exe)
                .args(["--ignored", "--exact", "processes::child_charges_the_shared_file", "--nocapture"])
                .env(FILE_VAR, &file)
                .stdout(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut total = 0;
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success());
        let text = String::from_utf8(out.stdout).unwrap();
        let line = text.lines().find_map(|l| l.strip_prefix("counted ")).expect("the child's count");
        total += line.trim().parse::<u64>().unwrap();
    }
    assert_eq!(total, LIMIT, "{PROCESSES} processes x {PER_PROCESS} tries against one budget of {LIMIT}");
    let after = FileCounter::new(&file).charge("role:support", None, 1_001, &budget()).unwrap();
    assert_eq!(after, Charge::Refused(BudgetLimit::PerDay));
    std::fs::remove_dir_all(&dir).unwrap();
}
