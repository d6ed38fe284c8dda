//! The summary printed on stderr after a run: rows, rates, and per column
//! what was done (counts only, never values).

use std::fmt::Write as _;

use desensitize::policy::{Minors, Plan, Summary};
use desensitize::risk::Checked;

pub(super) fn summary(
    plan: &Plan,
    stats: &Summary,
    suppression: Option<&Checked>,
    secs: f64,
    threads: usize,
) -> String {
    let rules = plan.rules();
    let mut s = String::new();
    let rate = if secs > 0.0 { stats.rows as f64 / secs } else { 0.0 };
    let _ = writeln!(
        s,
        "desensitize run: {} rows in, {} rows out, {:.2} s, {:.0} rows/s ({} thread{})",
        stats.rows,
        stats.written,
        secs,
        rate,
        threads,
        if threads == 1 { "" } else { "s" }
    );
    if let (Some(k), Some(sup)) = (&rules.k_anonymity, suppression) {
        let _ = writeln!(
            s,
            "  k-anonymity (k = {} on {}): {} rows suppressed in {} classes",
            k.k,
            k.quasi_identifiers.join(", "),
            stats.k_suppressed,
            sup.suppressed_classes()
        );
    }
    match rules.minors {
        Minors::Same => {}
        Minors::Strict => {
            let _ = writeln!(s, "  minors (under 14): {} rows masked strictly", stats.minors);
        }
        Minors::Suppress => {
            let _ = writeln!(s, "  minors (under 14): {} rows withheld", stats.minors_withheld);
        }
    }
    if let Some(c) = &rules.consent_column {
        let _ = writeln!(s, "  consent ({c}): sensitive columns withheld in {} rows", stats.consent_withheld);
    }
    let names = plan.input_names();
    let width = names.iter().map(|n| n.chars().count()).max().unwrap_or(6).max(6);
    let count = |v: &[u64], i: usize| v.get(i).copied().unwrap_or(0);
    let mut unnamed = (0usize, 0usize);
    for (i, name) in names.iter().enumerate() {
        match plan.column_rule(i) {
            Some(c) => {
                let mut what = c.action.name().to_owned();
                if !c.derived.is_empty() {
                    let d: Vec<&str> = c.derived.iter().map(|(_, n)| n.as_str()).collect();
                    let _ = write!(what, " + {}", d.join(", "));
                }
                if c.kind.is_none() && !c.writes_main() {
                    let _ = writeln!(s, "  {name:<width$}  {what}");
                    continue;
                }
                let _ = write!(s, "  {name:<width$}  {what}: {}", count(&stats.done, i));
                let invalid = count(&stats.invalid_by_column, i);
                if invalid > 0 {
                    let _ = write!(s, ", invalid {invalid}");
                }
                s.push('\n');
            }
            None if plan.keeps_unnamed(i) => unnamed.0 += 1,
            None => unnamed.1 += 1,
        }
    }
    if unnamed.0 > 0 {
        let _ = writeln!(s, "  unnamed columns kept unchanged: {}", unnamed.0);
    }
    if unnamed.1 > 0 {
        let _ = writeln!(s, "  unnamed columns dropped: {}", unnamed.1);
    }
    if stats.invalid > 0 {
        let _ = writeln!(s, "  invalid values marked {:?}: {}", rules.marker, stats.invalid);
    }
    s
}
