//! "Did you mean" suggestions for configuration keys (policies, access
//! rules): the valid name nearest to a typo. A leaf: imports nothing.

/// The valid name nearest to `key`, when it is close enough to be a typo.
pub(crate) fn nearest(key: &str, valid: &[&'static str]) -> Option<&'static str> {
    let limit = (key.chars().count() / 3).clamp(1, 3);
    valid
        .iter()
        .map(|v| (edit_distance(key, v), *v))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, v)| v)
}

/// Edit distance over characters (optimal string alignment: insertions,
/// deletions, substitutions and swaps of neighbours count 1).
pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    strsim::osa_distance(a, b)
}
