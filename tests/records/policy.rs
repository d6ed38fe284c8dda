//! `desensitize::policy` on crafted records: minors, consent, k-anonymity,
//! column-major batches, threads. (The golden comparison of the same policy
//! through `Plan` and through `desensitize run` is in cli/tests/run/golden.rs.)
#![cfg(feature = "toml")]

use std::sync::Arc;

use desensitize::generalize::{geohash, grid_cell};
use desensitize::policy::{
    Cells, ClassCounts, ColumnBatch, Plan, Policy, Reason, Report, RowError, Verdict, Withheld,
};
use desensitize::{Address, Date, GeoPoint, IdNumber, Keyring, MaskLevel, MobilePhone, Sensitive};

const TODAY: (u16, u8, u8) = (2026, 11, 23);
/// Born 2012-11-24: 13 on 2026-11-23.
const CHILD: &str = "440305201211240049";
/// Born 2012-11-23: 14 that day.
const TEEN: &str = "440305201211230051";
const ADULT: &str = "440305199006151231";

fn today() -> Date {
    Date::new(TODAY.0, TODAY.1, TODAY.2).unwrap()
}

const HEADER: [&str; 6] = ["uid", "consent", "id", "phone", "addr", "loc"];

fn policy(extra: &str) -> Policy {
    Policy::from_toml(&format!(
        r#"today = "2026-11-23"
{extra}
[columns.uid]
action = "keep"
[columns.consent]
action = "drop"
[columns.id]
kind = "id_number"
action = "mask"
generalize = {{ city = "city", province = "province" }}
[columns.phone]
kind = "mobile_phone"
action = "mask"
level = "relaxed"
[columns.addr]
kind = "address"
action = "generalize"
to = "city"
[columns.loc]
kind = "geo_point"
action = "generalize"
precision = 6
generalize = {{ grid = "cell" }}
"#
    ))
    .unwrap()
}

fn row<'a>(uid: &'a str, consent: &'a str, id: &'a str) -> [&'a str; 6] {
    [uid, consent, id, "13800138000", "广东省深圳市南山区科技园1号", "22.5431,113.9298"]
}

fn apply(plan: &Plan, r: &[&str], report: &mut Report) -> (Verdict, Vec<String>) {
    let mut cells = Cells::new();
    let v = plan.apply(1, r, &mut cells, report).unwrap();
    (v, cells.iter().map(|c| String::from_utf8(c.to_vec()).unwrap()).collect())
}

fn grid(p: &GeoPoint, km: f64) -> String {
    let (lat, lon) = grid_cell(p, km).unwrap().center();
    format!("{lat:.5},{lon:.5}")
}

#[test]
fn minors_same_strict_suppress() {
    let point: GeoPoint = "22.5431,113.9298".parse().unwrap();
    let phone: MobilePhone = "13800138000".parse().unwrap();
    let child = IdNumber::parse_on(CHILD, today()).unwrap();
    assert!(child.is_under_14_on(today()));
    assert!(!IdNumber::parse_on(TEEN, today()).unwrap().is_under_14_on(today()));

    // Standard output: what an adult's row (and, by default, a child's) gets.
    let standard = |id: &str| {
        let id = IdNumber::parse_on(id, today()).unwrap();
        vec![
            "1".to_owned(),
            id.mask(MaskLevel::Standard),
            "广东省".into(),
            "深圳市".into(),
            phone.mask(MaskLevel::Relaxed),
            "深圳市".into(),
            geohash(&point, 6).unwrap(),
            grid(&point, 1.0),
        ]
    };
    let same = Plan::from_policy(&policy(""), &HEADER, None).unwrap();
    assert_eq!(same.output_names(), ["uid", "id", "province", "city", "phone", "addr", "loc", "cell"]);
    let mut report = Report::default();
    assert_eq!(apply(&same, &row("1", "", CHILD), &mut report), (Verdict::Write, standard(CHILD)));
    assert_eq!(report.summary.minors, 0);

    // Strict: the strict mask on every masked column, regions no finer than the province.
    let strict = Plan::from_policy(&policy("minors = \"strict\""), &HEADER, None).unwrap();
    let mut report = Report::default();
    let expected = vec![
        "1".to_owned(),
        child.mask(MaskLevel::Strict),
        "广东省".into(),
        "广东省".into(),
        phone.mask(MaskLevel::Strict),
        "广东省".into(),
        geohash(&point, 2).unwrap(),
        grid(&point, 200.0),
    ];
    assert_eq!(apply(&strict, &row("1", "", CHILD), &mut report), (Verdict::Write, expected));
    // 14 on the day: an ordinary row; an adult too.
    assert_eq!(apply(&strict, &row("1", "", TEEN), &mut report), (Verdict::Write, standard(TEEN)));
    assert_eq!(apply(&strict, &row("1", "", ADULT), &mut report), (Verdict::Write, standard(ADULT)));
    assert_eq!((report.summary.minors, report.summary.minors_withheld, report.summary.written), (1, 0, 3));

    // Suppress: the row is withheld, nothing computed.
    let suppress = Plan::from_policy(&policy("minors = \"suppress\""), &HEADER, None).unwrap();
    let mut report = Report::default();
    let mut cells = Cells::new();
    let v = suppress.apply(1, &row("1", "", CHILD)[..], &mut cells, &mut report).unwrap();
    assert_eq!(v, Verdict::Withheld(Withheld::Minor));
    assert!(cells.is_empty());
    assert_eq!(apply(&suppress, &row("2", "", ADULT), &mut report).0, Verdict::Write);
    let s = &report.summary;
    assert_eq!((s.rows, s.written, s.minors, s.minors_withheld), (2, 1, 1, 1));
}

#[test]
fn consent_withholds_sensitive_columns() {
    let plan = Plan::from_policy(&policy("consent_column = \"consent\""), &HEADER, None).unwrap();
    let mut report = Report::default();
    for yes in ["true", "TRUE", "1", "yes", " Yes "] {
        let (_, cells) = apply(&plan, &row("1", yes, ADULT), &mut report);
        assert!(cells.iter().all(|c| !c.is_empty()), "{yes}");
    }
    for no in ["false", "False", "0", "no", "NO"] {
        let (v, cells) = apply(&plan, &row("1", no, ADULT), &mut report);
        assert_eq!(v, Verdict::Write);
        // ID number (and its facts) and location are sensitive; phone and address are not.
        let phone = "13800138000".parse::<MobilePhone>().unwrap().mask(MaskLevel::Relaxed);
        assert_eq!(cells, ["1", "", "", "", phone.as_str(), "深圳市", "", ""], "{no}");
    }
    assert_eq!(report.summary.consent_withheld, 5);

    // Anything else is a row error, naming the column, never the value.
    for bad in ["", "maybe", "2", "y"] {
        let e = plan.apply(4, &row("1", bad, ADULT)[..], &mut Cells::new(), &mut report).unwrap_err();
        assert_eq!(
            e,
            RowError {
                row: 4,
                column: Some(1),
                reason: "consent flag is not true/false, 1/0 or yes/no".into()
            }
        );
    }

    // Under mark: the marker in the withheld cells, and an unreadable flag is no consent.
    let plan = Plan::from_policy(
        &policy("consent_column = \"consent\"\non_invalid = \"mark\"\nmarker = \"#X\""),
        &HEADER,
        None,
    )
    .unwrap();
    let mut report = Report::default();
    let (_, no) = apply(&plan, &row("1", "no", ADULT), &mut report);
    assert_eq!(no[1], "#X");
    assert_eq!(no[7], "#X");
    let (_, maybe) = apply(&plan, &row("1", "maybe", ADULT), &mut report);
    assert_eq!(maybe, no);
    assert_eq!(report.rejects.len(), 1);
    assert_eq!(report.rejects[0].column, Some(1));
    assert_eq!(report.summary.consent_withheld, 2);
    // The unreadable flag is counted as one invalid value, at its column.
    assert_eq!((report.summary.invalid, report.summary.invalid_by_column.get(1).copied()), (1, Some(1)));
}

#[test]
fn toml_and_json_give_the_same_policy() {
    let t =
        Policy::from_toml("table = \"t\"\n[columns.a]\nkind = \"email\"\naction = \"blind-index\"\nbits = 8")
            .unwrap();
    let j = Policy::from_json(
        r#"{"table":"t","columns":{"a":{"kind":"email","action":"blind-index","bits":8}}}"#,
    )
    .unwrap();
    assert_eq!(t, j);
    // And the serde form reads back.
    assert_eq!(Policy::from_json(&serde_json::to_string(&t).unwrap()).unwrap(), t);
    let example = Policy::from_toml(include_str!("../../examples/policy.toml")).unwrap();
    assert!(example.check().unwrap().needs_keys());
}

#[test]
fn k_anonymity_two_passes() {
    let p = Policy::from_toml(
        "today = \"2026-11-23\"\n[columns.uid]\naction = \"keep\"\n[columns.id]\nkind = \"id_number\"\n\
         action = \"drop\"\ngeneralize = { gender = \"g\" }\n[k_anonymity]\nk = 2\nquasi_identifiers = [\"g\"]",
    )
    .unwrap();
    let plan = Plan::from_policy(&p, &["uid", "id"], None).unwrap();
    // Two women, one man.
    let rows = [["1", "11010519491231002X"], ["2", "110105194912310046"], ["3", ADULT]];
    let mut cells = Cells::new();
    let e = plan.apply(1, &rows[0][..], &mut cells, &mut Report::default()).unwrap_err();
    assert_eq!(e.reason, Reason::CountingUnfinished);
    assert_eq!(e.reason.to_string(), "k-anonymity: the counting pass was not finished");
    let mut classes = ClassCounts::new();
    for (i, r) in rows.iter().enumerate() {
        plan.count(i as u64 + 1, &r[..], &mut cells, &mut classes).unwrap();
    }
    assert_eq!(classes.classes(), 2);
    // Debug shows no quasi-identifier value.
    assert_eq!(format!("{classes:?}"), "ClassCounts(2 classes)");
    let mut probe = Cells::new();
    probe.push(b"13800138000");
    assert_eq!(format!("{probe:?}"), "Cells(1 cells, 11 bytes)");
    assert_eq!(plan.finish_counting(classes).unwrap().suppressed_records(), 1);
    let mut report = Report::default();
    let verdicts: Vec<Verdict> =
        rows.iter().map(|r| plan.apply(1, &r[..], &mut cells, &mut report).unwrap()).collect();
    assert_eq!(verdicts, [Verdict::Write, Verdict::Write, Verdict::Withheld(Withheld::KAnonymity)]);
    assert_eq!((report.summary.written, report.summary.k_suppressed), (2, 1));
}

#[test]
fn column_major_batches_leave_withheld_rows_out() {
    let plan = Plan::from_policy(&policy("minors = \"suppress\""), &HEADER, None).unwrap();
    let rows = [row("1", "", ADULT), row("2", "", CHILD), row("3", "", TEEN)];
    let columns: Vec<Vec<&str>> = (0..HEADER.len()).map(|c| rows.iter().map(|r| r[c]).collect()).collect();
    let slices: Vec<&[&str]> = columns.iter().map(Vec::as_slice).collect();
    let mut batch = ColumnBatch::new();
    let mut report = Report::default();
    plan.apply_columns(10, &slices, &mut batch, &mut report).unwrap();
    assert_eq!(batch.rows(), [10, 12]);
    assert_eq!(batch.columns().len(), 8);
    assert_eq!(batch.columns()[0].iter().collect::<Vec<_>>(), [b"1", b"3"]);
    let addr: Address = "广东省深圳市南山区科技园1号".parse().unwrap();
    assert_eq!(addr.generalize().unwrap().city().unwrap().name(), "深圳市");
    assert_eq!(batch.columns()[5].values(), "深圳市深圳市".as_bytes());
    assert_eq!(batch.columns()[5].ends(), [9, 18]);
    assert_eq!(report.summary.minors_withheld, 1);
    // Ragged columns are refused.
    let ragged: Vec<&[&str]> = vec![&["1"], &[], &[], &[], &[], &[]];
    let e = plan.apply_columns(1, &ragged, &mut batch, &mut report).unwrap_err();
    assert_eq!(e.reason, Reason::BatchShape { columns: 6, header: 6 });
    assert_eq!(e.reason.to_string(), "the batch has 6 columns of unequal or wrong lengths; the header has 6");
}

#[test]
fn one_plan_many_threads_same_output() {
    let p = Policy::from_toml(
        "table = \"users\"\n[columns.uid]\naction = \"keep\"\n[columns.m]\nkind = \"mobile_phone\"\n\
         action = \"fpe\"\ndomain = \"d\"\n[columns.t]\nkind = \"mobile_phone\"\naction = \"pseudonym\"\ndomain = \"d\"",
    )
    .unwrap();
    let plan = Arc::new(
        Plan::from_policy(&p, &["uid", "m", "t"], Some(Arc::new(Keyring::generate().unwrap()))).unwrap(),
    );
    let records: Vec<[String; 3]> =
        (0..400).map(|i| [i.to_string(), format!("1380013{i:04}"), format!("1390013{i:04}")]).collect();
    let run = |part: &[[String; 3]]| -> Vec<Vec<u8>> {
        let (mut cells, mut report) = (Cells::new(), Report::default());
        part.iter()
            .map(|r| {
                plan.apply(0, &r[..], &mut cells, &mut report).unwrap();
                cells.values().to_vec()
            })
            .collect()
    };
    let serial = run(&records);
    let parallel: Vec<Vec<u8>> = std::thread::scope(|s| {
        let handles: Vec<_> = records.chunks(100).map(|c| s.spawn(move || run(c))).collect();
        handles.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(serial, parallel);
}

/// Sealed cells are written straight into the output buffer with the
/// column's cipher resolved at compile time: each opens at its place (and
/// per-row values only at their row), every nonce is fresh, and a keyring
/// left without an active key fails each value with the keyring's error.
#[test]
fn sealed_cells_open_at_their_place() {
    use desensitize::{Context, Sealed};
    let seal_policy = |extra: &str| {
        Policy::from_toml(&format!(
            "table = \"users\"\ntoday = \"2026-11-23\"\n{extra}\n[columns.uid]\naction = \"keep\"\n\
             [columns.id]\nkind = \"id_number\"\naction = \"seal\"\n"
        ))
        .unwrap()
    };
    let keyring = Arc::new(Keyring::generate().unwrap());
    for per_row in [false, true] {
        let policy = seal_policy(if per_row { "row_id = \"uid\"" } else { "" });
        let plan = Plan::from_policy(&policy, &["uid", "id"], Some(keyring.clone())).unwrap();
        let mut cells = Cells::new();
        let mut seen = Vec::new();
        for uid in ["7", "8"] {
            let v = plan.apply(1, &[uid, ADULT][..], &mut cells, &mut Report::default()).unwrap();
            assert_eq!(v, Verdict::Write);
            let text = std::str::from_utf8(cells.get(1)).unwrap().to_owned();
            let base = Context::new("users", "id");
            let ctx = if per_row { base.clone().with_row(uid) } else { base.clone() };
            let sealed: Sealed<IdNumber> = text.parse().unwrap();
            assert_eq!(keyring.open(&sealed, &ctx, "test").unwrap().expose(), ADULT);
            if per_row {
                let other = base.with_row(if uid == "7" { "8" } else { "7" });
                assert_eq!(
                    keyring.open(&sealed, &other, "test").unwrap_err(),
                    desensitize::Error::ContextMismatch
                );
            }
            seen.push(text);
        }
        assert_ne!(seen[0], seen[1], "the same value sealed twice must differ (fresh nonces)");
    }

    // No active key: the plan compiles as before and every value fails.
    let mut retired = Keyring::new();
    retired
        .add_key(1, desensitize::keys::RootKey::from_bytes([7; 32]), desensitize::keys::KeyState::DecryptOnly)
        .unwrap();
    let plan = Plan::from_policy(&seal_policy(""), &["uid", "id"], Some(Arc::new(retired))).unwrap();
    let err = plan.apply(1, &["7", ADULT][..], &mut Cells::new(), &mut Report::default()).unwrap_err();
    assert_eq!(err.column, Some(1));
    assert_eq!(err.reason, Reason::Error(desensitize::Error::NoActiveKey));
    assert_eq!(err.reason.to_string(), desensitize::Error::NoActiveKey.to_string());
}
