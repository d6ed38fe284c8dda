//! A lattice node's classes, regrouped from the pre-aggregated classes of
//! a finer node (the base classes) rather than from the records.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use super::measure::Domains;
use super::model::PrivacyModel;
use super::table::{Dist, bump};

/// The classes of one node: per class, a representative base value id per
/// dimension (the hierarchies are functions, so any member's generalization
/// is the class's), its records and its sensitive values.
#[derive(Default)]
pub(super) struct Agg {
    pub(super) reps: Vec<u32>,
    pub(super) counts: Vec<u64>,
    pub(super) dists: Vec<Vec<Dist>>,
}

impl Agg {
    pub(super) fn len(&self) -> usize {
        self.counts.len()
    }
}

/// A hasher for packed class keys (dense ids, never attacker-chosen bits):
/// one multiply instead of SipHash's rounds.
#[derive(Default)]
pub(super) struct PackedHasher(u64);

impl Hasher for PackedHasher {
    fn finish(&self) -> u64 {
        self.0 ^ (self.0 >> 29)
    }

    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut b = [0u8; 8];
            b[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(b));
        }
    }

    fn write_u64(&mut self, v: u64) {
        self.0 = (self.0.rotate_left(23) ^ v).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    }

    fn write_u128(&mut self, v: u128) {
        self.write_u64(v as u64);
        self.write_u64((v >> 64) as u64);
    }
}

/// Map of packed keys to class indexes.
type Index = HashMap<u128, usize, BuildHasherDefault<PackedHasher>>;

/// The classes of `from` generalized to the node whose level-`l` ids of
/// each dimension are `maps[d][base id]` (`bits[d]` wide when packed).
pub(super) fn rollup(from: &Agg, dims: usize, maps: &[&[u32]], bits: &[u32], with_sens: bool) -> Agg {
    let mut index = Index::with_capacity_and_hasher(from.len() / 2 + 1, Default::default());
    let mut out = Agg::default();
    for i in 0..from.len() {
        let reps = &from.reps[i * dims..(i + 1) * dims];
        let mut packed = 0u128;
        for ((map, &b), &rep) in maps.iter().zip(bits).zip(reps) {
            packed = (packed << b) | u128::from(map[rep as usize]);
        }
        let next = out.counts.len();
        let j = *index.entry(packed).or_insert(next);
        if j == next {
            out.reps.extend_from_slice(reps);
            out.counts.push(from.counts[i]);
            out.dists.push(if with_sens { from.dists[i].clone() } else { Vec::new() });
        } else {
            out.counts[j] += from.counts[i];
            if with_sens {
                for (mine, theirs) in out.dists[j].iter_mut().zip(&from.dists[i]) {
                    for &(v, c) in theirs {
                        bump(mine, v, c);
                    }
                }
            }
        }
    }
    out
}

/// Records of the classes of `agg` that miss `model`, or `None` when more than `budget`.
pub(super) fn failing(agg: &Agg, model: &PrivacyModel, domains: &Domains, budget: u64) -> Option<u64> {
    let mut failing = 0u64;
    for (count, dists) in agg.counts.iter().zip(&agg.dists) {
        if model.fails(*count, dists, domains).is_some() {
            failing += count;
            if failing > budget {
                return None;
            }
        }
    }
    Some(failing)
}
