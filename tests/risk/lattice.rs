//! The pruned search finds the same optimum as the exhaustive one, and the
//! optimum meets the model.

use desensitize::risk::{ClassTable, Dimension, Diversity, Hierarchy, Lattice, PrivacyModel, RiskError};
use proptest::prelude::*;

/// A hierarchy over the values `0..n`: level 1 `v / 2`, level 2 `v / 4`.
fn hierarchy(n: u64) -> Hierarchy {
    let mut csv = String::from("v,half,quarter\n");
    for v in 0..n {
        csv.push_str(&format!("{v},h{},q{}\n", v / 2, v / 4));
    }
    Hierarchy::from_csv(&csv).unwrap()
}

fn lattice(rows: &[(Vec<u64>, u64)], dims: usize, n: u64) -> (Lattice, ClassTable) {
    let h = hierarchy(n);
    let mut table = ClassTable::new(dims, 1);
    for (values, s) in rows {
        let chains: Vec<String> =
            values.iter().map(|v| h.chain(v.to_string().as_bytes()).unwrap().join("\u{1f}")).collect();
        table.add(&chains, &[s.to_string()]);
    }
    let dims: Vec<Dimension> =
        (0..dims).map(|i| Dimension { column: format!("q{i}"), hierarchy: h.clone() }).collect();
    (Lattice::new(&table, &dims).unwrap(), table)
}

fn model() -> impl Strategy<Value = PrivacyModel> {
    (2u64..6, prop::option::of(2u64..4), any::<bool>(), prop::option::of(0.2f64..0.9), 0.0f64..0.3).prop_map(
        |(k, l, entropy, t, s)| {
            let mut m = PrivacyModel::new(k).unwrap().with_max_suppression(s).unwrap();
            if let Some(l) = l {
                m = m.with_l(l, if entropy { Diversity::Entropy } else { Diversity::Distinct }).unwrap();
            }
            if let Some(t) = t {
                m = m.with_t(t).unwrap();
            }
            m
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn pruned_search_finds_the_exhaustive_optimum(
        dims in 1usize..4,
        rows in prop::collection::vec((prop::collection::vec(0u64..8, 3), 0u64..4), 1..80),
        model in model(),
    ) {
        let rows: Vec<(Vec<u64>, u64)> = rows.into_iter().map(|(v, s)| (v[..dims].to_vec(), s)).collect();
        let (lattice, _) = lattice(&rows, dims, 8);
        let pruned = lattice.optimize(&model);
        let full = lattice.exhaustive(&model);
        match (&pruned, &full) {
            (Ok(p), Ok(f)) => {
                prop_assert_eq!(&p.levels, &f.levels);
                prop_assert_eq!(p.loss, f.loss);
                prop_assert_eq!(p.suppressed_records, f.suppressed_records);
                prop_assert!(p.evaluated <= f.evaluated);
                // The optimum meets the model within its budget.
                let checked = model.check(lattice.table_at(&p.levels), &["s"]);
                prop_assert!(checked.is_ok(), "{:?}", checked.err());
            }
            (Err(RiskError::NoSolution), Err(RiskError::NoSolution)) => {}
            other => prop_assert!(false, "{:?}", other),
        }
    }
}

#[test]
fn known_optimum_and_pruning() {
    // q0 in 0..8 spread evenly, q1 constant: k = 2 needs q0 at halves.
    let rows: Vec<(Vec<u64>, u64)> = (0..16).map(|i| (vec![i % 8, 0], i % 3)).collect();
    let (lattice, _) = lattice(&rows, 2, 8);
    let best = lattice.optimize(&PrivacyModel::new(2).unwrap()).unwrap();
    assert_eq!(best.levels, [0, 0]);
    let best = lattice.optimize(&PrivacyModel::new(4).unwrap()).unwrap();
    assert_eq!(best.levels, [1, 0]);
    // Loss: each half covers 2 of 8 values: (2 - 1) / 7, averaged with q1's 0.
    assert!((best.loss - 1.0 / 14.0).abs() < 1e-12);
    assert_eq!(lattice.heights(), [4, 4]);
    assert!(best.evaluated < best.nodes);
}

#[test]
fn a_hierarchy_must_be_a_function_of_each_level() {
    // Level 1 `x` generalizes to both `p` and `q` at level 2.
    let h = Hierarchy::from_csv("v,a,b\n1,x,p\n2,x,q\n").unwrap();
    let mut table = ClassTable::new(1, 0);
    for v in ["1", "2"] {
        table.add(&[h.chain(v.as_bytes()).unwrap().join("\u{1f}")], &[] as &[&str]);
    }
    let err = Lattice::new(&table, &[Dimension { column: "v".into(), hierarchy: h }]).err().unwrap();
    assert_eq!(err.to_string(), "hierarchy of `v`: a value of level 1 generalizes to two values of level 2");
}

#[test]
fn the_lattice_is_capped() {
    // 8 flat dimensions of 2 levels: 256 nodes, fine; 17: 131072, refused.
    for (dims, ok) in [(8usize, true), (17, false)] {
        let mut table = ClassTable::new(dims, 0);
        table.add(&vec!["x"; dims], &[] as &[&str]);
        let d: Vec<Dimension> =
            (0..dims).map(|i| Dimension { column: format!("q{i}"), hierarchy: Hierarchy::Flat }).collect();
        let r = Lattice::new(&table, &d);
        assert_eq!(r.is_ok(), ok);
        if let Err(e) = r {
            assert_eq!(
                e.to_string(),
                "dimensions make a lattice of more than 65536 nodes: use fewer levels or quasi-identifiers"
            );
        }
    }
}
