//! Property tests of `mask::Rule`: it keeps the shape of its input.

use crate::common;

use common::prop_checks::{TestResult, config};
use desensitize::Error;
use desensitize::mask::Rule;
use proptest::prelude::*;

// ---------------------------------------------------------------------------
// 5. mask::Rule keeps the shape of its input.

fn rule_text() -> impl Strategy<Value = String> {
    prop_oneof![any::<String>(), "[a-c@\\-·𠮷张*]{0,16}"]
}

fn rule_mask() -> impl Strategy<Value = char> {
    prop_oneof![Just('*'), Just('•'), Just('#'), Just('𠮷'), any::<char>()]
}

/// `out` has `input`'s length in chars, the mask char where `hidden(i)`
/// says, and `input`'s char everywhere else.
fn check_shape(input: &str, out: &str, m: char, hidden: impl Fn(usize) -> bool) -> TestResult {
    let a: Vec<char> = input.chars().collect();
    let b: Vec<char> = out.chars().collect();
    prop_assert_eq!(a.len(), b.len(), "{:?} -> {:?}", input, out);
    for (i, (&x, &y)) in a.iter().zip(&b).enumerate() {
        if hidden(i) {
            prop_assert_eq!(y, m, "position {} of {:?} -> {:?} must be masked", i, input, out);
        } else {
            prop_assert_eq!(y, x, "position {} of {:?} -> {:?} must be kept", i, input, out);
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn rule_keep(text in rule_text(), first in 0usize..8, last in 0usize..8, m in rule_mask()) {
        let n = text.chars().count();
        let out = Rule::keep(first, last).with_mask_char(m).apply(&text);
        if n <= first + last {
            check_shape(&text, &out, m, |_| true)?;
        } else {
            check_shape(&text, &out, m, |i| i >= first && i < n - last)?;
        }
        // The default mask char is `*`.
        let plain = Rule::keep(first, last).apply(&text);
        prop_assert_eq!(plain.chars().count(), n);
    }

    #[test]
    fn rule_range(text in rule_text(), start in 0usize..10, len in 0usize..10, m in rule_mask()) {
        let end = start + len;
        match Rule::range(start, end) {
            Err(e) => {
                prop_assert!(len == 0, "range({start}, {end}) refused");
                prop_assert!(matches!(e, Error::InvalidRule(_)));
            }
            Ok(rule) => {
                prop_assert!(len > 0, "empty range({start}, {end}) accepted");
                let n = text.chars().count();
                let out = rule.with_mask_char(m).apply(&text);
                if n < end {
                    check_shape(&text, &out, m, |_| true)?;
                } else {
                    check_shape(&text, &out, m, |i| (start..end).contains(&i))?;
                }
            }
        }
    }

    #[test]
    fn rule_before_after(text in rule_text(), anchor in prop_oneof![Just('@'), Just('-'), Just('·'), Just('𠮷'), any::<char>()], m in rule_mask()) {
        let at = text.chars().position(|c| c == anchor);
        let before = Rule::before(anchor).with_mask_char(m).apply(&text);
        let after = Rule::after(anchor).with_mask_char(m).apply(&text);
        match at {
            Some(p) => {
                check_shape(&text, &before, m, |i| i < p)?;
                check_shape(&text, &after, m, |i| i > p)?;
            }
            None => {
                check_shape(&text, &before, m, |_| true)?;
                check_shape(&text, &after, m, |_| true)?;
            }
        }
    }

    #[test]
    fn rule_fixed_hides_length(text in rule_text(), len in 0usize..12, m in rule_mask()) {
        let out = Rule::fixed(len).with_mask_char(m).apply(&text);
        prop_assert_eq!(out, m.to_string().repeat(len));
    }
}
