//! The order in which the lattice's nodes are counted: binary searches
//! along chains from the lowest untagged node to the top, as ARX's Flash
//! does (Kohlmayer et al., "Flash: Efficient, Stable and Optimal
//! K-Anonymity", 2012). The model is monotone, so a node that meets it
//! tags every node above it, and one that misses it every node below;
//! every minimal node that meets it is counted.

#[derive(Clone, Copy, PartialEq, Eq)]
enum Tag {
    Unknown,
    Meets,
    Fails,
}

/// `heights[d]` levels per dimension; `nodes` every node by height then
/// levels. Counts nodes with `meets` (records suppressed when the node
/// meets the model) until every node is tagged; returns the counted nodes
/// that meet it and the number counted.
pub(super) fn search(
    heights: &[usize],
    nodes: &[Vec<usize>],
    mut meets: impl FnMut(&[usize]) -> Option<u64>,
) -> (Vec<(Vec<usize>, u64)>, usize) {
    let index = |node: &[usize]| node.iter().zip(heights).fold(0usize, |acc, (&l, &h)| acc * h + l);
    // Node index (mixed radix) -> position in `nodes`.
    let mut position = vec![0usize; nodes.len()];
    for (i, n) in nodes.iter().enumerate() {
        position[index(n)] = i;
    }
    let mut tags = vec![Tag::Unknown; nodes.len()];
    let mut meeting = Vec::new();
    let mut counted = 0;
    let below = |a: &[usize], b: &[usize]| a.iter().zip(b).all(|(x, y)| x <= y);
    while let Some(start) = tags.iter().position(|&t| t == Tag::Unknown) {
        let path = chain(heights, &nodes[start], |n| tags[position[index(n)]] == Tag::Unknown);
        let (mut lo, mut hi) = (0, path.len());
        while lo < hi {
            let mid = (lo + hi) / 2;
            let node = &path[mid];
            let at = position[index(node)];
            let ok = match tags[at] {
                Tag::Meets => true,
                Tag::Fails => false,
                Tag::Unknown => {
                    counted += 1;
                    let result = meets(node);
                    let tag = if result.is_some() { Tag::Meets } else { Tag::Fails };
                    for (i, other) in nodes.iter().enumerate() {
                        let related = if tag == Tag::Meets { below(node, other) } else { below(other, node) };
                        if related {
                            tags[i] = tag;
                        }
                    }
                    if let Some(s) = result {
                        meeting.push((node.clone(), s));
                    }
                    result.is_some()
                }
            };
            if ok {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
    }
    (meeting, counted)
}

/// A chain from `start` to the top: each step raises one dimension, the
/// first whose raised node is still `unknown` (else the first that can rise).
fn chain(heights: &[usize], start: &[usize], unknown: impl Fn(&[usize]) -> bool) -> Vec<Vec<usize>> {
    let mut path = vec![start.to_vec()];
    loop {
        let last = path.last().expect("not empty");
        let raise = |d: usize| {
            let mut n = last.clone();
            n[d] += 1;
            n
        };
        let can: Vec<usize> = (0..heights.len()).filter(|&d| last[d] + 1 < heights[d]).collect();
        let Some(&first) = can.first() else { break };
        let d = can.iter().copied().find(|&d| unknown(&raise(d))).unwrap_or(first);
        let next = raise(d);
        path.push(next);
    }
    path
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_every_minimal_node_with_few_counts() {
        // 3 x 4 x 5 nodes; a node meets the model when its levels sum to 5 or more.
        let heights = [3, 4, 5];
        let mut nodes = Vec::new();
        for a in 0..3 {
            for b in 0..4 {
                for c in 0..5 {
                    nodes.push(vec![a, b, c]);
                }
            }
        }
        nodes.sort_by_key(|n| (n.iter().sum::<usize>(), n.clone()));
        let (meeting, counted) = search(&heights, &nodes, |n| (n.iter().sum::<usize>() >= 5).then_some(0));
        let minimal: Vec<&Vec<usize>> = nodes.iter().filter(|n| n.iter().sum::<usize>() == 5).collect();
        for m in minimal {
            assert!(meeting.iter().any(|(n, _)| n == m), "{m:?} not counted");
        }
        assert!(counted < nodes.len());
    }
}
