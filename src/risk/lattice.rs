//! The optimal generalization: the lattice of hierarchy levels searched
//! bottom-up with monotone pruning, each node counted once on the
//! pre-aggregated classes.

use std::collections::HashMap;

use super::flash;
use super::hierarchy::Hierarchy;
use super::measure::Domains;
use super::model::PrivacyModel;
use super::rollup::{Agg, failing, rollup};
use super::table::{Class, ClassTable, Dict, Dist, bump};
use super::{RiskError, class_value};

/// A quasi-identifier of the search: its column and its hierarchy. The
/// table's values of this quasi-identifier must be its hierarchy's chains
/// (what `desensitize::assess::scan` stores for it).
#[derive(Debug, Clone)]
pub struct Dimension {
    /// The input column.
    pub column: String,
    /// How it generalizes.
    pub hierarchy: Hierarchy,
}

/// The most nodes a lattice may have (the search's cost is capped: each
/// counted node tags the others).
pub const MAX_NODES: usize = 1 << 16;

/// The separator of the levels in a stored chain.
pub(crate) const CHAIN_SEP: char = '\u{1f}';

/// One dimension, its levels numbered: `map[level][base id]` is the id of
/// the base value's generalization at `level`.
struct Levels {
    map: Vec<Vec<u32>>,
    /// `labels[level][id]`: the generalized value.
    labels: Vec<Vec<String>>,
    /// Loss of each level (see [`Lattice`]).
    loss: Vec<f64>,
    bits: u32,
}

/// The lattice of generalizations of a [`ClassTable`] whose quasi-identifier
/// values are hierarchy chains, and the search for the best one.
///
/// The loss of a node is Iyengar's loss metric (ARX's "Loss"), averaged
/// over the quasi-identifiers: a record's value generalized to a value
/// covering `c` of the `D` distinct base values of its column loses
/// `(c - 1) / (D - 1)`; `*` loses 1. It is computed over all records
/// (suppressed ones included), so it depends on the levels only, and never
/// decreases from a node to a coarser one. Among the nodes whose table
/// meets the [`PrivacyModel`] within its suppression budget, the best has
/// the least loss, then the lowest sum of levels, then the
/// lexicographically smallest levels.
///
/// [`optimize`](Self::optimize) binary-searches chains of the lattice as
/// ARX's Flash does: the model is monotone, so a node that meets it tags
/// every node above it (which loses at least as much with a greater height:
/// never better) and one that misses it every node below, uncounted. Every
/// minimal node that meets the model is counted, so the optimum is exact.
/// A model that is not monotone ([`PrivacyModel::is_monotone`]: t or entropy
/// l with a suppression budget) has every node counted.
/// Each counted node regroups the pre-aggregated base classes once.
///
/// ```
/// use desensitize::risk::{ClassTable, Dimension, Hierarchy, Lattice, PrivacyModel};
///
/// let age = Hierarchy::from_csv("age,band\n21,20-29\n25,20-29\n33,30-39\n38,30-39\n")?;
/// let mut table = ClassTable::new(1, 0);
/// for a in ["21", "25", "33", "38"] {
///     let chain = age.chain(a.as_bytes())?.join("\u{1f}");
///     table.add(&[chain], &[] as &[&str]);
/// }
/// let lattice = Lattice::new(&table, &[Dimension { column: "age".into(), hierarchy: age }])?;
/// let best = lattice.optimize(&PrivacyModel::new(2)?)?;
/// assert_eq!(best.levels, [1]);
/// assert_eq!(best.loss, 1.0 / 3.0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Lattice {
    dims: Vec<Levels>,
    names: Vec<String>,
    base: Vec<(Box<[u32]>, u64, Vec<Dist>)>,
    sensitive: Vec<Dict>,
    domains: Domains,
    records: u64,
}

/// The generalization chosen.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Solution {
    /// The level of each quasi-identifier (0: finest; the last: `*`).
    pub levels: Vec<usize>,
    /// Its loss (0: nothing generalized, 1: everything suppressed).
    pub loss: f64,
    /// Records suppressed at these levels.
    pub suppressed_records: u64,
    /// Nodes counted by the search.
    pub evaluated: usize,
    /// Nodes in the lattice.
    pub nodes: usize,
}

impl Lattice {
    /// The lattice of `table` over `dims` (one per quasi-identifier, in the table's order).
    pub fn new(table: &ClassTable, dims: &[Dimension]) -> Result<Lattice, RiskError> {
        if dims.len() != table.quasi.len() {
            return Err(RiskError::Setting {
                key: "dimensions",
                reason: "must match the quasi-identifiers".into(),
            });
        }
        let mut levels = Vec::with_capacity(dims.len());
        let mut total_bits = 0u32;
        for (d, dict) in dims.iter().zip(&table.quasi) {
            let l = dim_levels(table, levels.len(), dict.len(), d)?;
            total_bits += l.bits;
            levels.push(l);
        }
        if total_bits > 128 {
            return Err(RiskError::TooManyValues);
        }
        let nodes = levels.iter().try_fold(1usize, |n, l| n.checked_mul(l.map.len()));
        if nodes.is_none_or(|n| n > MAX_NODES) {
            return Err(RiskError::Setting {
                key: "dimensions",
                reason: format!(
                    "make a lattice of more than {MAX_NODES} nodes: use fewer levels or quasi-identifiers"
                ),
            });
        }
        let base = table.classes.iter().map(|(k, c)| (k.clone(), c.count, c.sensitive.clone())).collect();
        Ok(Lattice {
            dims: levels,
            names: dims.iter().map(|d| d.column.clone()).collect(),
            base,
            sensitive: table.sensitive.clone(),
            domains: Domains::of(table),
            records: table.records,
        })
    }

    /// The quasi-identifiers' columns.
    pub fn columns(&self) -> &[String] {
        &self.names
    }

    /// Levels of each quasi-identifier, `*` included.
    pub fn heights(&self) -> Vec<usize> {
        self.dims.iter().map(|d| d.map.len()).collect()
    }

    /// The loss of a node.
    pub fn loss(&self, levels: &[usize]) -> f64 {
        if self.dims.is_empty() {
            return 0.0;
        }
        self.dims.iter().zip(levels).map(|(d, &l)| d.loss[l]).sum::<f64>() / self.dims.len() as f64
    }

    /// Records to suppress at `levels` for `model`, or `None` when more
    /// than its budget.
    pub fn suppressed(&self, levels: &[usize], model: &PrivacyModel) -> Option<u64> {
        let agg = self.rollup(&self.base_agg(model), levels, model);
        failing(&agg, model, &self.domains, model.budget(self.records))
    }

    /// The base classes as a node's classes.
    fn base_agg(&self, model: &PrivacyModel) -> Agg {
        let with_sens = model.needs_sensitive();
        let mut agg = Agg::default();
        for (key, count, dists) in &self.base {
            agg.reps.extend_from_slice(key);
            agg.counts.push(*count);
            agg.dists.push(if with_sens { dists.clone() } else { Vec::new() });
        }
        agg
    }

    /// `from`'s classes generalized to `levels`.
    fn rollup(&self, from: &Agg, levels: &[usize], model: &PrivacyModel) -> Agg {
        let maps: Vec<&[u32]> = self.dims.iter().zip(levels).map(|(d, &l)| &d.map[l][..]).collect();
        let bits: Vec<u32> = self.dims.iter().map(|d| d.bits).collect();
        rollup(from, self.dims.len(), &maps, &bits, model.needs_sensitive())
    }

    /// The table generalized to `levels`: its classes keyed by the
    /// generalized values, for a [`RiskReport`](super::RiskReport) or a
    /// [`PrivacyModel::check`].
    pub fn table_at(&self, levels: &[usize]) -> ClassTable {
        let mut table = ClassTable::new(self.dims.len(), self.sensitive.len());
        table.sensitive = self.sensitive.clone();
        for (d, (dim, &l)) in self.dims.iter().zip(levels).enumerate() {
            for label in &dim.labels[l] {
                table.quasi[d].id(label.as_bytes());
            }
        }
        let n = self.sensitive.len();
        for (key, count, dists) in &self.base {
            let k: Box<[u32]> = self
                .dims
                .iter()
                .zip(levels)
                .zip(key.iter())
                .map(|((d, &l), &id)| d.map[l][id as usize])
                .collect();
            let class =
                table.classes.entry(k).or_insert_with(|| Class { count: 0, sensitive: vec![Dist::new(); n] });
            class.count += count;
            for (mine, theirs) in class.sensitive.iter_mut().zip(dists) {
                for &(v, c) in theirs {
                    bump(mine, v, c);
                }
            }
        }
        table.records = self.records;
        table
    }

    /// Every node, by height then levels.
    fn nodes(&self) -> Vec<Vec<usize>> {
        let mut nodes = vec![Vec::new()];
        for d in &self.dims {
            nodes = nodes
                .into_iter()
                .flat_map(|n| {
                    (0..d.map.len()).map(move |l| {
                        let mut m = n.clone();
                        m.push(l);
                        m
                    })
                })
                .collect();
        }
        nodes.sort_by_key(|n| (n.iter().sum::<usize>(), n.clone()));
        nodes
    }

    /// The best node ([`Lattice`] says which), counting only the nodes not
    /// above one known to meet the model.
    pub fn optimize(&self, model: &PrivacyModel) -> Result<Solution, RiskError> {
        self.search(model, true)
    }

    /// The same answer as [`optimize`](Self::optimize), counting every node
    /// (for tests and small lattices).
    pub fn exhaustive(&self, model: &PrivacyModel) -> Result<Solution, RiskError> {
        self.search(model, false)
    }

    fn search(&self, model: &PrivacyModel, prune: bool) -> Result<Solution, RiskError> {
        let nodes = self.nodes();
        let total = nodes.len();
        let budget = model.budget(self.records);
        // Each counted node's classes are rolled up from the base classes
        // once (memory: the base classes and one node's).
        let base = self.base_agg(model);
        let count = |node: &[usize]| failing(&self.rollup(&base, node, model), model, &self.domains, budget);
        let (meeting, evaluated) = if prune && model.is_monotone() {
            flash::search(&self.heights(), &nodes, count)
        } else {
            let meeting: Vec<(Vec<usize>, u64)> =
                nodes.iter().filter_map(|n| count(n).map(|s| (n.clone(), s))).collect();
            (meeting, total)
        };
        let key = |n: &Vec<usize>| (self.loss(n), n.iter().sum::<usize>(), n.clone());
        let best = meeting
            .into_iter()
            .min_by(|a, b| key(&a.0).partial_cmp(&key(&b.0)).unwrap_or(std::cmp::Ordering::Equal))
            .ok_or(RiskError::NoSolution)?;
        Ok(Solution {
            loss: self.loss(&best.0),
            levels: best.0,
            suppressed_records: best.1,
            evaluated,
            nodes: total,
        })
    }
}

/// Number the levels of dimension `q` (`n` base values) of `table`.
fn dim_levels(table: &ClassTable, q: usize, n: usize, d: &Dimension) -> Result<Levels, RiskError> {
    let height = d.hierarchy.levels();
    let err = |reason: &str| RiskError::Hierarchy { column: d.column.clone(), reason: reason.into() };
    let mut ids: Vec<HashMap<String, u32>> = vec![HashMap::new(); height];
    let mut map = vec![vec![0u32; n]; height];
    for base in 0..n {
        let text = class_value(table.quasi[q].value(base as u32)).into_owned();
        let chain: Vec<&str> = text.split(CHAIN_SEP).collect();
        if chain.len() != height - 1 {
            return Err(err("a stored value is not a chain of its levels"));
        }
        for ((level_ids, level_map), v) in
            ids.iter_mut().zip(map.iter_mut()).zip(chain.into_iter().chain(["*"]))
        {
            let next = level_ids.len() as u32;
            level_map[base] = *level_ids.entry(v.to_owned()).or_insert(next);
        }
    }
    // A hierarchy is a function from each level to the next (the search
    // rolls classes up from finer nodes on that).
    for level in 0..height - 1 {
        let mut up = vec![u32::MAX; ids[level].len()];
        for (&x, &y) in map[level].iter().zip(&map[level + 1]) {
            let x = x as usize;
            if up[x] == u32::MAX {
                up[x] = y;
            } else if up[x] != y {
                return Err(err(&format!(
                    "a value of level {level} generalizes to two values of level {}",
                    level + 1
                )));
            }
        }
    }
    // Records per base value, then the loss of each level.
    let mut records = vec![0u64; n];
    for (key, c) in &table.classes {
        records[key[q] as usize] += c.count;
    }
    let total = table.records.max(1) as f64;
    let loss = (0..height)
        .map(|level| {
            if level == height - 1 {
                return 1.0;
            }
            let mut covers = vec![0u64; ids[level].len()];
            for base in 0..n {
                covers[map[level][base] as usize] += 1;
            }
            let span = (n.max(2) - 1) as f64;
            (0..n)
                .map(|b| records[b] as f64 * (covers[map[level][b] as usize] - 1) as f64 / span)
                .sum::<f64>()
                / total
        })
        .collect();
    let bits = (usize::BITS - n.max(1).leading_zeros()).max(1);
    let labels = ids
        .into_iter()
        .map(|m| {
            let mut l = vec![String::new(); m.len()];
            for (v, id) in m {
                l[id as usize] = v;
            }
            l
        })
        .collect();
    Ok(Levels { map, labels, loss, bits })
}
