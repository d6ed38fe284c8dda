//! What a compiled `Plan` tells about itself: inputs, outputs, the rule of
//! each input column, unnamed columns kept, the date and the invalid-value
//! mode (cargo-mutants over `src/policy/plan.rs`, tests/mutants/policy.md).
#![cfg(feature = "toml")]

use desensitize::Date;
use desensitize::policy::{Cells, ClassCounts, Plan, Policy, Reason, Report, Verdict, Withheld};

const POLICY: &str = r#"today = "2026-11-23"
unnamed_columns = "keep"
on_invalid = "mark"
[columns.phone]
kind = "mobile_phone"
action = "mask"
[columns.id]
kind = "id_number"
action = "drop"
generalize = { province = "prov" }
"#;

#[test]
fn a_plan_describes_its_inputs_and_outputs() {
    let plan =
        Plan::from_policy(&Policy::from_toml(POLICY).unwrap(), &["phone", "note", "id"], None).unwrap();
    assert_eq!(plan.input_names(), ["phone", "note", "id"]);
    assert_eq!(plan.input_index("note"), Some(1));
    assert_eq!(plan.input_index("id"), Some(2));
    assert_eq!(plan.input_index("zz"), None);
    assert_eq!(plan.output_names(), ["phone", "note", "prov"]);
    let rule_names: Vec<Option<&str>> =
        (0..4).map(|i| plan.column_rule(i).map(|r| r.name.as_str())).collect();
    assert_eq!(rule_names, [Some("phone"), None, Some("id"), None]);
    let kept: Vec<bool> = (0..4).map(|i| plan.keeps_unnamed(i)).collect();
    assert_eq!(kept, [false, true, false, false]);
    assert_eq!(plan.today(), Date::new(2026, 11, 23).unwrap());
    assert!(plan.marks_invalid());
    assert_eq!(plan.rules().columns.len(), 2);
    assert_eq!(
        format!("{plan:?}"),
        r#"Plan { inputs: ["phone", "note", "id"], outputs: ["phone", "note", "prov"] }"#
    );
}

#[test]
fn unnamed_columns_dropped_are_not_kept_and_errors_fail_the_row() {
    let text = POLICY
        .replace("unnamed_columns = \"keep\"", "unnamed_columns = \"drop\"")
        .replace("on_invalid = \"mark\"\n", "");
    let plan = Plan::from_policy(&Policy::from_toml(&text).unwrap(), &["phone", "note", "id"], None).unwrap();
    assert_eq!(plan.output_names(), ["phone", "prov"]);
    assert!(!plan.keeps_unnamed(1));
    assert!(!plan.marks_invalid());
}

/// The counting pass reads the quasi-identifier at its output place when
/// an unnamed kept column and a kept non-identifier come before it: the
/// classes are the cities only (A, A, B), so the one B row is withheld.
#[test]
fn counting_finds_the_quasi_identifier_behind_other_kept_columns() {
    let p = Policy::from_toml(
        "unnamed_columns = \"keep\"\n[columns.uid]\naction = \"keep\"\n[columns.city]\naction = \"keep\"\n\
         [k_anonymity]\nk = 2\nquasi_identifiers = [\"city\"]",
    )
    .unwrap();
    let plan = Plan::from_policy(&p, &["note", "uid", "city"], None).unwrap();
    let rows = [["n1", "u1", "A"], ["n2", "u2", "A"], ["n3", "u3", "B"]];
    let (mut cells, mut classes) = (Cells::new(), ClassCounts::new());
    for (i, r) in rows.iter().enumerate() {
        plan.count(i as u64 + 1, &r[..], &mut cells, &mut classes).unwrap();
    }
    assert_eq!(classes.classes(), 2);
    assert_eq!(plan.finish_counting(classes).unwrap().suppressed_records(), 1);
    let mut report = Report::default();
    let verdicts: Vec<Verdict> =
        rows.iter().map(|r| plan.apply(1, &r[..], &mut cells, &mut report).unwrap()).collect();
    assert_eq!(verdicts, [Verdict::Write, Verdict::Write, Verdict::Withheld(Withheld::KAnonymity)]);
}

/// The counting pass reads quasi-identifiers only: a kept column that is
/// not one is not even checked there (its bad cell fails the row in the
/// writing pass, once).
#[test]
fn counting_reads_only_the_quasi_identifiers() {
    let p = Policy::from_toml(
        "[columns.uid]\naction = \"keep\"\n[columns.city]\naction = \"keep\"\n\
         [k_anonymity]\nk = 2\nquasi_identifiers = [\"city\"]",
    )
    .unwrap();
    let plan = Plan::from_policy(&p, &["uid", "city"], None).unwrap().with_text_output(true);
    let rows: [[&[u8]; 2]; 2] = [[b"\xff", b"A"], [b"u2", b"A"]];
    let (mut cells, mut classes) = (Cells::new(), ClassCounts::new());
    for (i, r) in rows.iter().enumerate() {
        plan.count(i as u64 + 1, &r[..], &mut cells, &mut classes).unwrap();
    }
    assert_eq!(classes.classes(), 1);
    plan.finish_counting(classes).unwrap();
    let e = plan.apply(1, &rows[0][..], &mut cells, &mut Report::default()).unwrap_err();
    assert_eq!((e.column, e.reason), (Some(0), Reason::NotUtf8));
}

/// Two workers' counts merged (into an empty one, from an empty one, and
/// with each other) are the counts of the whole table.
#[test]
fn class_counts_merge_across_workers() {
    let p = Policy::from_toml(
        "[columns.city]\naction = \"keep\"\n[k_anonymity]\nk = 2\nquasi_identifiers = [\"city\"]",
    )
    .unwrap();
    let plan = Plan::from_policy(&p, &["city"], None).unwrap();
    assert!(plan.needs_counting());
    let mut cells = Cells::new();
    let count = |rows: &[&str], first: u64, cells: &mut Cells| {
        let mut c = ClassCounts::new();
        for (i, r) in rows.iter().enumerate() {
            plan.count(first + i as u64, &[*r][..], cells, &mut c).unwrap();
        }
        c
    };
    let (a, b) = (count(&["A", "B"], 1, &mut cells), count(&["A", "C"], 3, &mut cells));
    let mut all = ClassCounts::new();
    all.merge(a);
    assert_eq!(all.classes(), 2);
    all.merge(ClassCounts::new());
    assert_eq!(all.classes(), 2);
    all.merge(b);
    assert_eq!(all.classes(), 3);
    // A: 2 rows, B and C: 1 each.
    assert_eq!(plan.finish_counting(all).unwrap().suppressed_records(), 2);

    let plain =
        Plan::from_policy(&Policy::from_toml("[columns.city]\naction = \"keep\"").unwrap(), &["city"], None);
    assert!(!plain.unwrap().needs_counting());
}

/// An FPE column writes one cell: a valid mobile number of the same form,
/// not the input, the same under the same key (column.rs `fpe`).
#[test]
fn an_fpe_column_writes_a_phone_of_the_same_form() {
    let p =
        Policy::from_toml("[columns.m]\nkind = \"mobile_phone\"\naction = \"fpe\"\ndomain = \"d\"").unwrap();
    let keyring = std::sync::Arc::new(desensitize::Keyring::generate().unwrap());
    let plan = Plan::from_policy(&p, &["m"], Some(keyring)).unwrap();
    let mut cells = Cells::new();
    let mut out = Vec::new();
    for _ in 0..2 {
        plan.apply(1, &["13800138000"][..], &mut cells, &mut Report::default()).unwrap();
        assert_eq!(cells.len(), 1);
        out.push(String::from_utf8(cells.get(0).to_vec()).unwrap());
    }
    assert_eq!(out[0], out[1]);
    assert_ne!(out[0], "13800138000");
    assert!(out[0].parse::<desensitize::MobilePhone>().is_ok(), "{}", out[0]);
}

#[test]
fn cells_count_what_was_pushed_and_clear_keeps_nothing() {
    let mut cells = Cells::new();
    assert!(cells.is_empty());
    cells.push(b"");
    assert!(!cells.is_empty(), "an empty cell is still a cell");
    cells.push(b"138****8000");
    assert_eq!((cells.len(), cells.get(1)), (2, &b"138****8000"[..]));
    assert_eq!(cells.iter().collect::<Vec<_>>(), vec![&b""[..], b"138****8000"]);
    cells.clear();
    assert!(cells.is_empty());
    assert_eq!(cells.values(), b"");
}

#[test]
fn fields_count_as_their_slice_or_vec_does() {
    use desensitize::policy::Fields;
    let none: Vec<&str> = Vec::new();
    assert!(Fields::is_empty(&none) && Fields::is_empty(&none[..]));
    let one = vec![""];
    assert!(!Fields::is_empty(&one) && !Fields::is_empty(&one[..]), "one empty field is a field");
    let two = vec!["13800138000", ""];
    for fields in [Fields::len(&two), Fields::len(&two[..])] {
        assert_eq!(fields, 2);
    }
    assert_eq!(Fields::field(&two, 0), b"13800138000");
    assert_eq!(Fields::field(&two[..], 0), b"13800138000");
    assert_eq!((Fields::field(&two, 1), Fields::field(&two, 2)), (&b""[..], &b""[..]));
    assert_eq!(Fields::text(&two, 0), Some("13800138000"));
}

#[test]
fn summaries_merge_every_count() {
    use desensitize::policy::Summary;
    let share = |n: u64| {
        let mut s = Summary::default();
        (s.rows, s.written, s.invalid, s.minors) = (n, n + 1, n + 2, n + 3);
        (s.minors_withheld, s.consent_withheld, s.k_suppressed) = (n + 4, n + 5, n + 6);
        (s.done, s.invalid_by_column) = (vec![n, n], vec![n + 7]);
        s
    };
    let mut all = share(10);
    all.merge(&share(100));
    let counts = (all.rows, all.written, all.invalid, all.minors);
    assert_eq!(counts, (110, 112, 114, 116));
    let withheld = (all.minors_withheld, all.consent_withheld, all.k_suppressed);
    assert_eq!(withheld, (118, 120, 122));
    assert_eq!((all.done, all.invalid_by_column), (vec![110, 110], vec![124]));
}

/// The per-column counts of a report: values processed (typed and kept
/// columns) and values marked invalid, each at its input column; merging
/// reports adds the counts, vectors of any length, and keeps every reject
/// in order (kills the `bump`, `add` and `Report::merge` survivors).
#[test]
fn reports_count_per_column_and_merge() {
    let plan =
        Plan::from_policy(&Policy::from_toml(POLICY).unwrap(), &["phone", "note", "id"], None).unwrap();
    let rows = [
        ["13800138000", "a", "11010519491231002X"],
        ["not a phone", "b", "11010519491231002X"],
        ["13900139000", "c", "not an id"],
    ];
    let (mut first, mut second) = (Report::default(), Report::default());
    for (i, row) in rows.iter().enumerate() {
        let report = if i < 2 { &mut first } else { &mut second };
        plan.apply(i as u64, &row[..], &mut Cells::new(), report).unwrap();
    }
    assert_eq!(
        (first.summary.done.clone(), first.summary.invalid_by_column.clone()),
        (vec![1, 2, 2], vec![1])
    );
    assert_eq!(
        (second.summary.done.clone(), second.summary.invalid_by_column.clone()),
        (vec![1, 1], vec![0, 0, 1])
    );
    first.merge(second);
    let s = &first.summary;
    assert_eq!((s.rows, s.invalid), (3, 2));
    assert_eq!((s.done.clone(), s.invalid_by_column.clone()), (vec![2, 3, 2], vec![1, 0, 1]));
    let rejects: Vec<(u64, Option<usize>)> = first.rejects.iter().map(|e| (e.row, e.column)).collect();
    assert_eq!(rejects, [(1, Some(0)), (2, Some(2))]);
}

/// Under a minors rule each ID-number column writes its own value: the ID
/// parsed for the age check is handed only to the column it was read from
/// (kills `*at == i` as `!=` in `Plan::fill`, which gave the last parsed
/// ID to the other ID column).
#[test]
fn two_id_columns_under_a_minors_rule_each_write_their_own() {
    let p = Policy::from_toml(
        "today = \"2026-11-23\"\nminors = \"suppress\"\n\
         [columns.a]\nkind = \"id_number\"\naction = \"mask\"\n\
         [columns.b]\nkind = \"id_number\"\naction = \"mask\"\n",
    )
    .unwrap();
    let plan = Plan::from_policy(&p, &["a", "b"], None).unwrap();
    let mut cells = Cells::new();
    let row = ["44030119800101123X", "310104197505054561"];
    plan.apply(0, &row[..], &mut cells, &mut Report::default()).unwrap();
    let a: desensitize::IdNumber = row[0].parse().unwrap();
    let b: desensitize::IdNumber = row[1].parse().unwrap();
    use desensitize::{MaskLevel, Sensitive};
    let want = [a.mask(MaskLevel::Standard), b.mask(MaskLevel::Standard)];
    let got: Vec<&[u8]> = (0..cells.len()).map(|i| cells.get(i)).collect();
    assert_eq!(got, [want[0].as_bytes(), want[1].as_bytes()]);
    assert_ne!(want[0], want[1]);
}
