//! `access::PgCounter` against a real PostgreSQL server: two counters (two
//! pools, as two machines would have) charging one budget from several
//! threads at once reveal exactly the budget; lifting starts it again.
//!
//! Needs `--features sqlx` and a server in `DESENSITIZE_PG_URL`
//! (`scripts/ci/ci-postgres.sh` starts one and runs this); without them the
//! test prints one line saying so and passes.

#[path = "common/skip.rs"]
mod skip;
use skip::skip_line;

const SKIP: &str =
    "skipped: build with --features sqlx and set DESENSITIZE_PG_URL, or run scripts/ci/ci-postgres.sh";

#[cfg(not(feature = "sqlx"))]
#[test]
fn postgres_access_needs_the_sqlx_feature() {
    skip_line(SKIP);
}

#[cfg(feature = "sqlx")]
#[test]
fn a_fleet_shares_one_budget_in_postgres() {
    use std::sync::Arc;

    use desensitize::BudgetLimit;
    use desensitize::access::{Budget, BudgetScope, Charge, PgCounter, RevealCounter};

    let Ok(url) = std::env::var("DESENSITIZE_PG_URL") else {
        skip_line(SKIP);
        return;
    };
    let budget = Budget {
        per_minute: None,
        per_day: Some(30),
        subjects_per_day: Some(25),
        warn_at_percent: 80,
        scope: BudgetScope::Role,
    };
    let who = format!("role:pg-test-{}", std::process::id());
    let machines: Vec<Arc<PgCounter>> = (0..2).map(|_| Arc::new(PgCounter::connect(&url).unwrap())).collect();
    machines[0].lift(&who).unwrap();
    let counted: u64 = std::thread::scope(|s| {
        let workers: Vec<_> = (0..4)
            .map(|t| {
                let (counter, who, budget) = (Arc::clone(&machines[t % 2]), &who, &budget);
                s.spawn(move || {
                    let mut n = 0;
                    for i in 0..10 {
                        let subject = format!("s{}", (t * 10 + i) % 20);
                        match counter.charge(who, Some(&subject), 1_000, budget).unwrap() {
                            Charge::Counted { .. } => n += 1,
                            Charge::Refused(limit) => assert_eq!(limit, BudgetLimit::PerDay),
                        }
                    }
                    n
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).sum()
    });
    assert_eq!(counted, 30, "4 threads x 10 tries on 2 pools against one budget of 30");
    let Charge::Refused(limit) = machines[1].charge(&who, Some("s1"), 1_001, &budget).unwrap() else {
        panic!("over budget")
    };
    assert_eq!(limit, BudgetLimit::PerDay);
    machines[1].lift(&who).unwrap();
    let Charge::Counted { after, .. } = machines[0].charge(&who, Some("s1"), 1_002, &budget).unwrap() else {
        panic!("lifted")
    };
    assert_eq!((after.day, after.subjects), (1, 1));
    machines[0].lift(&who).unwrap();
    // The next day starts again on its own.
    assert!(matches!(
        machines[0].charge(&who, None, 1_000 + 86_400, &budget).unwrap(),
        Charge::Counted { .. }
    ));
    machines[0].lift(&who).unwrap();
}
