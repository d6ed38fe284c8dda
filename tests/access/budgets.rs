//! Budgets: windows, distinct subjects, role-wide counts, alarms (audit and
//! hook), lifting, and a counter that fails closed.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use desensitize::access::{
    Access, AccessRules, Budget, BudgetScope, Charge, FileCounter, InMemoryCounter, ManualClock, Principal,
    RevealCounter,
};
use desensitize::audit::JsonLinesAudit;
use desensitize::{AccessError, BudgetLimit, Context, CounterError, Error, MobilePhone};

use super::scenario::keyring;

fn budget(per_minute: Option<u64>, per_day: Option<u64>, subjects: Option<u64>) -> Budget {
    Budget {
        per_minute,
        per_day,
        subjects_per_day: subjects,
        warn_at_percent: 50,
        scope: BudgetScope::Principal,
    }
}

fn counted(c: Charge) -> bool {
    matches!(c, Charge::Counted { .. })
}

#[test]
fn windows_roll_and_lifting_starts_again() {
    let counter = InMemoryCounter::new();
    let b = budget(Some(2), Some(3), None);
    let t = 1_800_000_000 - 1_800_000_000 % 86_400; // the start of a UTC day
    assert!(counted(counter.charge("p", None, t, &b).unwrap()));
    assert!(counted(counter.charge("p", None, t + 1, &b).unwrap()));
    assert_eq!(counter.charge("p", None, t + 2, &b).unwrap(), Charge::Refused(BudgetLimit::PerMinute));
    assert!(counted(counter.charge("q", None, t + 2, &b).unwrap()), "another owner has its own count");
    assert!(counted(counter.charge("p", None, t + 60, &b).unwrap()));
    assert_eq!(counter.charge("p", None, t + 120, &b).unwrap(), Charge::Refused(BudgetLimit::PerDay));
    counter.lift("p").unwrap();
    assert!(counted(counter.charge("p", None, t + 121, &b).unwrap()));
    assert!(counted(counter.charge("p", None, t + 86_400 + 5, &b).unwrap()));
}

#[test]
fn distinct_subjects_count_once_each() {
    let counter = InMemoryCounter::new();
    let b = budget(None, None, Some(2));
    for s in ["a", "b", "a", "b", "a"] {
        assert!(counted(counter.charge("p", Some(s), 0, &b).unwrap()));
    }
    assert_eq!(counter.charge("p", Some("c"), 1, &b).unwrap(), Charge::Refused(BudgetLimit::SubjectsPerDay));
    let Charge::Counted { after, .. } = counter.charge("p", None, 2, &b).unwrap() else { panic!() };
    assert_eq!((after.day, after.subjects), (6, 2));
}

const RULES: &str = r#"
[roles.support]
purposes = ["*"]
default = "standard"
budget = { subjects_per_day = 2, per_minute = 4, warn_at_percent = 50 }
[roles.team]
purposes = ["*"]
default = "full"
budget = { per_day = 2, scope = "role" }
"#;

#[test]
fn subjects_are_rows_alarms_are_recorded_and_hooked_role_budgets_are_shared() {
    let mut keyring = keyring();
    let phone: MobilePhone = "13800138000".parse().unwrap();
    let ctx = |row: &str| Context::new("users", "phone").with_row(row);
    let sealed: Vec<_> = ["1", "2", "3"].iter().map(|r| keyring.seal(&phone, &ctx(r)).unwrap()).collect();
    let log = Arc::new(JsonLinesAudit::new(Vec::new()));
    keyring.set_audit_sink(log.clone());
    let alarms = Arc::new(Mutex::new(Vec::new()));
    let seen = alarms.clone();
    let access = Access::new(AccessRules::from_toml(RULES).unwrap())
        .unwrap()
        .with_clock(Arc::new(ManualClock::new(0)))
        .on_alarm(move |a| seen.lock().unwrap().push((a.principal.to_owned(), a.limit, a.used, a.max)));
    keyring.set_access(access);
    let alice = Principal::new("alice", "support");
    keyring.open_as(&alice, &sealed[0], &ctx("1"), "p").unwrap();
    keyring.open_as(&alice, &sealed[0], &ctx("1"), "p").unwrap(); // same row: one subject
    keyring.open_as(&alice, &sealed[1], &ctx("2"), "p").unwrap();
    assert_eq!(
        keyring.open_as(&alice, &sealed[2], &ctx("3"), "p").unwrap_err(),
        Error::Access(AccessError::OverBudget(BudgetLimit::SubjectsPerDay))
    );
    assert_eq!(
        *alarms.lock().unwrap(),
        [
            ("alice".to_owned(), BudgetLimit::SubjectsPerDay, 1, 2),
            ("alice".to_owned(), BudgetLimit::PerMinute, 2, 4)
        ]
    );
    let text = String::from_utf8(log.into_inner_clone()).unwrap();
    assert_eq!(text.matches(r#""decision":"alarm""#).count(), 2);

    // A role-scoped budget: two principals share one count.
    let (bob, eve) = (Principal::new("bob", "team"), Principal::new("eve", "team"));
    keyring.open_as(&bob, &sealed[0], &ctx("1"), "p").unwrap();
    keyring.open_as(&eve, &sealed[1], &ctx("2"), "p").unwrap();
    assert!(keyring.open_as(&bob, &sealed[2], &ctx("3"), "p").is_err());
    keyring.access().unwrap().lift(&eve).unwrap();
    keyring.open_as(&bob, &sealed[2], &ctx("3"), "p").unwrap();
}

#[test]
fn a_counter_that_cannot_count_refuses_and_the_file_is_never_followed() {
    let dir = std::env::temp_dir().join(format!("dz-access-corrupt-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("counts.json");
    std::fs::write(&path, "not json").unwrap();
    let mut keyring = keyring();
    let ctx = Context::new("users", "phone");
    let sealed = keyring.seal(&"13800138000".parse::<MobilePhone>().unwrap(), &ctx).unwrap();
    let rules = AccessRules::from_toml(
        "[roles.r]\npurposes = [\"*\"]\ndefault = \"full\"\nbudget = { per_day = 9 }\n",
    );
    let calls = Arc::new(AtomicUsize::new(0));
    let hook_calls = calls.clone();
    let access = Access::new(rules.unwrap())
        .unwrap()
        .with_counter(Arc::new(FileCounter::new(&path)))
        .on_alarm(move |_| _ = hook_calls.fetch_add(1, Ordering::SeqCst));
    keyring.set_access(access);
    let who = Principal::new("p", "r");
    assert_eq!(
        keyring.open_as(&who, &sealed, &ctx, "x").unwrap_err(),
        Error::Access(AccessError::Counter(CounterError::Corrupt))
    );
    #[cfg(unix)]
    {
        let link = dir.join("link.json");
        std::os::unix::fs::symlink(dir.join("elsewhere.json"), &link).unwrap();
        let err = FileCounter::new(&link).charge("p", None, 0, &budget(None, Some(1), None)).unwrap_err();
        assert!(matches!(err, CounterError::Io(_)));
        assert!(!dir.join("elsewhere.json").exists());
    }
    std::fs::write(&path, "").unwrap();
    assert!(keyring.open_as(&who, &sealed, &ctx, "x").unwrap().into_full().is_some());
    assert_eq!(calls.load(Ordering::SeqCst), 0);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn subject_sealed_values_count_their_subject_and_refuse_without_a_principal() {
    use desensitize::keys::InMemorySubjectStore;
    let mut keyring = keyring();
    let store = InMemorySubjectStore::new();
    let ctx = Context::new("users", "phone");
    let phone: MobilePhone = "13800138000".parse().unwrap();
    let sealed: Vec<_> =
        ["u1", "u2"].iter().map(|s| (*s, keyring.seal_for(&store, s, &phone, &ctx).unwrap())).collect();
    let rules = "[roles.r]\npurposes = [\"*\"]\ndefault = \"full\"\nbudget = { subjects_per_day = 1 }\n";
    keyring.set_access(Access::new(AccessRules::from_toml(rules).unwrap()).unwrap());
    let who = Principal::new("p", "r");
    let (s1, v1) = &sealed[0];
    assert_eq!(
        keyring.open_for(&store, s1, v1, &ctx, "x").unwrap_err(),
        Error::Access(AccessError::NoPrincipal)
    );
    for _ in 0..2 {
        let got = keyring.open_for_as(&who, &store, s1, v1, &ctx, "x").unwrap().into_full().unwrap();
        assert_eq!(got.expose(), "13800138000");
    }
    let (s2, v2) = &sealed[1];
    assert_eq!(
        keyring.open_for_as(&who, &store, s2, v2, &ctx, "x").unwrap_err(),
        Error::Access(AccessError::OverBudget(BudgetLimit::SubjectsPerDay))
    );
}
