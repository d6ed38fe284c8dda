//! Nonces stay unique across `fork()` on the batch path too (issue 18):
//! a plan call checks for a fork once when it starts, not at every nonce,
//! so a child that starts a new call after the fork must still reseed.
//!
//! One test in this file on purpose: it forks, and a forked child of a
//! process running other test threads could inherit their locks. The plan
//! path is used (not `batch::*_all`, which may run on a rayon pool whose
//! threads a child does not have).
#![cfg(unix)]

#[path = "common/fork.rs"]
mod fork;

use std::collections::HashSet;
use std::sync::Arc;

use desensitize::policy::{ColumnBatch, Plan, Policy, Report};
use desensitize::{Keyring, MobilePhone, Sealed};

const ROWS: usize = 64;

/// The nonces of one plan call that seals `ROWS` phone numbers.
fn draw(plan: &Plan) -> Vec<u8> {
    let phones = vec!["13800138000"; ROWS];
    let mut batch = ColumnBatch::new();
    plan.apply_columns(1, &[&phones[..]], &mut batch, &mut Report::default()).unwrap();
    let sealed = &batch.columns()[0];
    assert_eq!(sealed.len(), ROWS);
    // The whole 24-byte extended nonce: inside one call the first half is
    // shared by the call's nonce group (SPEC.md §3a.3), the second is drawn.
    let mut out = Vec::with_capacity(ROWS * 24);
    for cell in sealed.iter() {
        let text = std::str::from_utf8(cell).unwrap();
        let bytes = Sealed::<MobilePhone>::from_text(text).unwrap().into_bytes();
        out.extend_from_slice(&bytes[12..36]);
    }
    out
}

fn nonces(drawn: &[u8]) -> HashSet<Vec<u8>> {
    drawn.chunks(24).map(<[u8]>::to_vec).collect()
}

#[test]
fn parent_and_child_plan_calls_draw_different_nonces_after_fork() {
    let policy = Policy::from_json(
        r#"{"table": "users", "columns": {"phone": {"kind": "mobile_phone", "action": "seal"}}}"#,
    )
    .unwrap();
    let keyring = Arc::new(Keyring::generate().unwrap());
    let plan = Plan::from_policy(&policy, &["phone"], Some(keyring)).unwrap();
    // Use the generator in a batch call before forking: the child inherits live state.
    let before = draw(&plan);

    let (parent, child) = fork::parent_and_child(|| draw(&plan));

    let (parent, child, before) = (nonces(&parent), nonces(&child), nonces(&before));
    assert_eq!(parent.len(), ROWS, "a nonce repeated within the parent");
    assert_eq!(child.len(), ROWS, "a nonce repeated within the child");
    let shared = parent.intersection(&child).count();
    assert_eq!(shared, 0, "parent and child sealed with {shared} identical nonces");
    assert_eq!(child.intersection(&before).count(), 0);
    // Each call starts its own nonce group: no N[0..12] crosses the fork.
    let prefixes = |n: &HashSet<Vec<u8>>| n.iter().map(|x| x[..12].to_vec()).collect::<HashSet<_>>();
    assert!(prefixes(&parent).is_disjoint(&prefixes(&child)), "a nonce group crossed the fork");
    assert!(prefixes(&child).is_disjoint(&prefixes(&before)), "the child reused the parent's group");
}
