//! Reading classes from CSV and JSON Lines files through the pipeline.

use desensitize::Date;
use desensitize::assess::{Columns, Quasi, scan};
use desensitize::risk::{Builtin, Hierarchy, Population, RiskError, RiskReport};
use desensitize::stream::{Format, Options};

#[test]
fn csv_and_json_lines_give_the_same_classes() {
    let csv = "g,city,dx\nf,a,flu\nf,a,hiv\nm,b,flu\nf,a,flu\n";
    let jsonl = "{\"g\":\"f\",\"city\":\"a\",\"dx\":\"flu\"}\n{\"g\":\"f\",\"city\":\"a\",\"dx\":\"hiv\"}\n\
                 {\"g\":\"m\",\"city\":\"b\",\"dx\":\"flu\"}\n{\"g\":\"f\",\"city\":\"a\",\"dx\":\"flu\"}\n";
    let cols = Columns::new(&["g", "city"], &["dx"]);
    // Tiny blocks: many chunks, merged in order.
    let opts = Options::new(3).with_block(8);
    let a = RiskReport::of(
        &scan(csv.as_bytes(), Format::Csv, &cols, &opts).unwrap(),
        &["dx"],
        Population::default(),
    );
    let b = RiskReport::of(
        &scan(jsonl.as_bytes(), Format::JsonLines, &cols, &opts).unwrap(),
        &["dx"],
        Population::default(),
    );
    assert_eq!(a, b);
    assert_eq!((a.records, a.classes, a.k, a.unique_records), (4, 2, 1, 1));
    assert_eq!(a.sensitive[0].distinct_l, 1);
}

#[test]
fn errors_name_columns_and_rows_never_values() {
    let csv = "id,dx\n11010519491231002X,flu\n110105194912310021,flu\n";
    let err = scan(csv.as_bytes(), Format::Csv, &Columns::new(&["nope"], &[]), &Options::new(1)).unwrap_err();
    assert_eq!(err, RiskError::NoColumn("nope".into()));
    let today = Date::new(2024, 12, 31).unwrap();
    let cols = Columns {
        quasi: vec![Quasi {
            column: "id".into(),
            hierarchy: Some(Hierarchy::Builtin(Builtin::IdAge { today })),
            level: Some(0),
        }],
        sensitive: vec![],
    };
    let msg = scan(csv.as_bytes(), Format::Csv, &cols, &Options::new(1)).unwrap_err().to_string();
    assert_eq!(msg, "row 2, column 1: invalid cn.id_number: check digit mismatch");
    assert!(!msg.contains("1101"));
}

#[test]
fn hierarchy_levels_are_measured() {
    let csv = "id\n11010519491231002X\n11010519491231002X\n";
    let today = Date::new(2024, 12, 31).unwrap();
    for (level, k) in [(0, 2), (2, 2)] {
        let cols = Columns {
            quasi: vec![Quasi {
                column: "id".into(),
                hierarchy: Some(Hierarchy::Builtin(Builtin::IdRegion { today })),
                level: Some(level),
            }],
            sensitive: vec![],
        };
        let t = scan(csv.as_bytes(), Format::Csv, &cols, &Options::new(1)).unwrap();
        assert_eq!(RiskReport::of(&t, &[] as &[&str], Population::default()).k, k);
    }
}
