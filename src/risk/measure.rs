//! The measures of a [`ClassTable`]: class sizes, re-identification risk
//! under the three attacker models, l-diversity and t-closeness.

use serde::Serialize;

use super::RiskError;
use super::table::{ClassTable, Dict, Dist};

/// Who the table's records are drawn from, for the journalist and marketer
/// risks.
///
/// The table is a uniform random sample of `sampling_fraction` of the
/// population (`1.0`, the default: the table *is* the population, as ARX's
/// prosecutor model assumes). The population size of a class of `f`
/// records is estimated as `max(f, round(f / sampling_fraction))` (the
/// naive expansion estimate of El Emam, *Guide to the De-Identification of
/// Personal Health Information*, 2013, ch. 13).
///
/// ```
/// use desensitize::risk::Population;
///
/// assert_eq!(Population::new(0.1)?.sampling_fraction(), 0.1);
/// assert!(Population::new(0.0).is_err());
/// # Ok::<(), desensitize::risk::RiskError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Population {
    sampling_fraction: f64,
}

impl Default for Population {
    fn default() -> Population {
        Population { sampling_fraction: 1.0 }
    }
}

impl Population {
    /// A sample of `sampling_fraction` (in `(0, 1]`) of the population.
    pub fn new(sampling_fraction: f64) -> Result<Population, RiskError> {
        if !(sampling_fraction > 0.0 && sampling_fraction <= 1.0) {
            return Err(RiskError::Setting { key: "sampling_fraction", reason: "must be in (0, 1]".into() });
        }
        Ok(Population { sampling_fraction })
    }

    /// The fraction of the population in the table.
    pub fn sampling_fraction(&self) -> f64 {
        self.sampling_fraction
    }

    /// Estimated population size of a class of `f` records.
    fn class_size(&self, f: u64) -> f64 {
        (f as f64 / self.sampling_fraction).round().max(f as f64)
    }
}

/// One attacker model's risk: the highest of any record, the average over
/// records, and the share of records at the highest.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Risk {
    /// The highest re-identification probability of any record.
    pub highest: f64,
    /// The average over records.
    pub average: f64,
    /// Share of records whose risk is the highest.
    pub records_at_highest: f64,
}

/// A sensitive attribute's protection: l-diversity and t-closeness.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SensitiveReport {
    /// The column's name.
    pub name: String,
    /// Distinct l-diversity: the fewest distinct values in any class.
    pub distinct_l: u64,
    /// Entropy l-diversity: the smallest `exp(entropy)` of any class (natural log).
    pub entropy_l: f64,
    /// t-closeness: the largest earth mover's distance between a class's
    /// distribution and the whole table's.
    pub t: f64,
    /// Whether `t` used the ordered distance (every value is a number) or
    /// the equal distance (categories).
    pub ordered: bool,
}

/// Classes of one size, for the histogram.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SizeCount {
    /// Records per class.
    pub size: u64,
    /// Classes of that size.
    pub classes: u64,
}

/// What a table discloses: its equivalence classes, re-identification risk
/// and the protection of its sensitive attributes. Holds no value.
///
/// Risk follows the definitions of ARX (Prasser & Kohlmayer, *Putting
/// Statistical Disclosure Control into Practice: The ARX Data
/// Anonymization Tool*, 2015) and El Emam (2013): with `f` a class's
/// records and `F` its population size ([`Population`]),
///
/// - prosecutor (the attacker knows their target is in the table): a
///   record's risk is `1/f`; highest `1/min f`, average `classes/records`;
/// - journalist (the target is somewhere in the population): `1/F`;
/// - marketer (re-identify as many as possible): the expected share of
///   records re-identified, `(1/n) Σ f/F` (`classes/records` when the table
///   is the population).
///
/// l-diversity and t-closeness follow Machanavajjhala et al. (2007) and
/// Li et al. (2007): t is the earth mover's distance with the equal ground
/// distance for categories (`½ Σ |p - q|`) and the ordered distance for
/// numbers (`1/(m-1) Σ |Σ (p - q)|` over the `m` distinct values in order),
/// as pyCANON computes them.
///
/// ```
/// use desensitize::risk::{ClassTable, Population, RiskReport};
///
/// let mut table = ClassTable::new(1, 1);
/// for (qi, s) in [("a", "flu"), ("a", "cold"), ("a", "flu"), ("b", "flu")] {
///     table.add(&[qi], &[s]);
/// }
/// let r = RiskReport::of(&table, &["diagnosis"], Population::default());
/// assert_eq!((r.records, r.classes, r.k), (4, 2, 1));
/// assert_eq!(r.unique_records, 1);
/// assert_eq!(r.prosecutor.highest, 1.0);
/// assert_eq!(r.prosecutor.average, 0.5);
/// assert_eq!(r.sensitive[0].distinct_l, 1);
/// assert_eq!(r.sensitive[0].t, 0.25);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RiskReport {
    /// Records.
    pub records: u64,
    /// Equivalence classes.
    pub classes: u64,
    /// The smallest class: the table is k-anonymous for this k (0 when empty).
    pub k: u64,
    /// The largest class.
    pub largest: u64,
    /// Records alone in their class.
    pub unique_records: u64,
    /// `unique_records / records`.
    pub unique_share: f64,
    /// Classes per size, by size.
    pub sizes: Vec<SizeCount>,
    /// The population model of the journalist and marketer risks.
    pub population: Population,
    /// Prosecutor risk.
    pub prosecutor: Risk,
    /// Journalist risk.
    pub journalist: Risk,
    /// Marketer risk: the expected share of records re-identified.
    pub marketer: f64,
    /// Each sensitive attribute, in the table's order.
    pub sensitive: Vec<SensitiveReport>,
}

impl RiskReport {
    /// Measure `table`; `sensitive` names its sensitive columns (a missing
    /// name is written as `#N`).
    pub fn of<S: AsRef<str>>(table: &ClassTable, sensitive: &[S], population: Population) -> RiskReport {
        let n = table.records;
        let mut sizes = std::collections::BTreeMap::<u64, u64>::new();
        for c in table.classes.values() {
            *sizes.entry(c.count).or_insert(0) += 1;
        }
        let k = sizes.keys().next().copied().unwrap_or(0);
        let largest = sizes.keys().next_back().copied().unwrap_or(0);
        let unique_records = sizes.get(&1).copied().unwrap_or(0);
        let share = |x: u64| if n == 0 { 0.0 } else { x as f64 / n as f64 };
        let at = |size: u64| share(size * sizes.get(&size).copied().unwrap_or(0));
        let classes = table.classes.len() as u64;
        let prosecutor = Risk {
            highest: if k == 0 { 0.0 } else { 1.0 / k as f64 },
            average: share(classes),
            records_at_highest: at(k),
        };
        let (journalist, marketer) = population_risk(&sizes, n, population);
        let domains = Domains::of(table);
        let sensitive = (0..table.sensitive.len())
            .map(|i| {
                let name = sensitive.get(i).map_or_else(|| format!("#{}", i + 1), |s| s.as_ref().to_owned());
                domains.report(i, name, table.classes.values().map(|c| (c.count, &c.sensitive[i])))
            })
            .collect();
        RiskReport {
            records: n,
            classes,
            k,
            largest,
            unique_records,
            unique_share: share(unique_records),
            sizes: sizes.into_iter().map(|(size, classes)| SizeCount { size, classes }).collect(),
            population,
            prosecutor,
            journalist,
            marketer,
            sensitive,
        }
    }
}

/// Journalist risk and marketer risk from the class sizes.
fn population_risk(
    sizes: &std::collections::BTreeMap<u64, u64>,
    n: u64,
    population: Population,
) -> (Risk, f64) {
    if n == 0 {
        return (Risk { highest: 0.0, average: 0.0, records_at_highest: 0.0 }, 0.0);
    }
    let mut highest = 0.0f64;
    let mut expected = 0.0;
    for (&f, &classes) in sizes {
        let big_f = population.class_size(f);
        highest = highest.max(1.0 / big_f);
        expected += classes as f64 * f as f64 / big_f;
    }
    let at: u64 = sizes
        .iter()
        .filter(|&(&f, _)| (1.0 / population.class_size(f) - highest).abs() < 1e-12)
        .map(|(&f, &c)| f * c)
        .sum();
    let average = expected / n as f64;
    (Risk { highest, average, records_at_highest: at as f64 / n as f64 }, average)
}

/// Per sensitive attribute: the whole table's distribution and, for
/// numbers, the rank of each value.
pub(crate) struct Domains {
    attrs: Vec<Domain>,
}

struct Domain {
    /// Share of the table per value id.
    global: Vec<f64>,
    /// Rank of each value id when every value is a number.
    ranks: Option<Vec<u32>>,
}

impl Domains {
    pub(crate) fn of(table: &ClassTable) -> Domains {
        let attrs = table
            .sensitive
            .iter()
            .enumerate()
            .map(|(i, dict)| {
                let mut counts = vec![0u64; dict.len()];
                for c in table.classes.values() {
                    for &(id, n) in &c.sensitive[i] {
                        counts[id as usize] += n;
                    }
                }
                let total = table.records.max(1) as f64;
                Domain { global: counts.iter().map(|&c| c as f64 / total).collect(), ranks: ranks(dict) }
            })
            .collect();
        Domains { attrs }
    }

    fn report<'a>(
        &self,
        i: usize,
        name: String,
        classes: impl Iterator<Item = (u64, &'a Dist)>,
    ) -> SensitiveReport {
        let mut distinct_l = u64::MAX;
        let mut entropy_l = f64::INFINITY;
        let mut t = 0.0f64;
        let mut any = false;
        for (count, dist) in classes {
            any = true;
            distinct_l = distinct_l.min(dist.len() as u64);
            entropy_l = entropy_l.min(entropy_l_of(count, dist));
            t = t.max(self.emd(i, count, dist));
        }
        if !any {
            (distinct_l, entropy_l) = (0, 0.0);
        }
        SensitiveReport { name, distinct_l, entropy_l, t, ordered: self.attrs[i].ranks.is_some() }
    }

    /// Earth mover's distance between a class of `count` records with
    /// values `dist` and the whole table, for attribute `i`.
    pub(crate) fn emd(&self, i: usize, count: u64, dist: &Dist) -> f64 {
        let d = &self.attrs[i];
        let m = d.global.len();
        let share =
            |id: u32| dist.iter().find(|(v, _)| *v == id).map_or(0.0, |&(_, c)| c as f64 / count as f64);
        match &d.ranks {
            None => {
                // Equal distance: ½ Σ |p - q|; values absent from the class contribute their global share.
                let inside: f64 = dist.iter().map(|&(id, _)| (share(id) - d.global[id as usize]).abs()).sum();
                let outside: f64 = d.global.iter().sum::<f64>()
                    - dist.iter().map(|&(id, _)| d.global[id as usize]).sum::<f64>();
                0.5 * (inside + outside.max(0.0))
            }
            Some(_) if m < 2 => 0.0,
            Some(ranks) => {
                let mut r = vec![0.0f64; m];
                for (id, &g) in d.global.iter().enumerate() {
                    r[ranks[id] as usize] -= g;
                }
                for &(id, c) in dist {
                    r[ranks[id as usize] as usize] += c as f64 / count as f64;
                }
                let (mut acc, mut sum) = (0.0f64, 0.0f64);
                for x in r {
                    acc += x;
                    sum += acc.abs();
                }
                sum / (m - 1) as f64
            }
        }
    }
}

/// `exp` of the entropy (natural log) of a class's values.
pub(crate) fn entropy_l_of(count: u64, dist: &Dist) -> f64 {
    let h: f64 = dist
        .iter()
        .map(|&(_, c)| {
            let p = c as f64 / count as f64;
            -p * p.ln()
        })
        .sum();
    h.exp()
}

/// The rank of every value when all are finite numbers.
fn ranks(dict: &Dict) -> Option<Vec<u32>> {
    if dict.len() == 0 {
        return None;
    }
    let mut nums: Vec<(f64, u32)> = Vec::with_capacity(dict.len());
    for id in 0..dict.len() as u32 {
        let v: f64 = std::str::from_utf8(dict.value(id)).ok()?.trim().parse().ok()?;
        if !v.is_finite() {
            return None;
        }
        nums.push((v, id));
    }
    nums.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut ranks = vec![0u32; dict.len()];
    for (rank, &(_, id)) in nums.iter().enumerate() {
        ranks[id as usize] = rank as u32;
    }
    Some(ranks)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(rows: &[(&str, &str)]) -> ClassTable {
        let mut t = ClassTable::new(1, 1);
        for (q, s) in rows {
            t.add(&[q], &[s]);
        }
        t
    }

    #[test]
    fn known_answers() {
        // Two classes of 3 and 1; salaries ordered 3 < 4 < 5.
        let t = table(&[("a", "3"), ("a", "4"), ("a", "5"), ("b", "5")]);
        let r = RiskReport::of(&t, &["salary"], Population::default());
        assert_eq!(r.sizes, vec![SizeCount { size: 1, classes: 1 }, SizeCount { size: 3, classes: 1 }]);
        assert_eq!(r.prosecutor.records_at_highest, 0.25);
        assert_eq!(r.marketer, 0.5);
        assert_eq!(r.journalist, r.prosecutor);
        let s = &r.sensitive[0];
        assert!(s.ordered);
        // Class b: p = (0, 0, 1), q = (1/4, 1/4, 1/2): cumulative -1/4, -1/2, 0 -> 3/4 / 2.
        assert!((s.t - 0.375).abs() < 1e-12, "{}", s.t);
        assert_eq!(s.distinct_l, 1);
        assert!((s.entropy_l - 1.0).abs() < 1e-12);
    }

    #[test]
    fn sampled_population() {
        let t = table(&[("a", "x"), ("a", "y"), ("b", "x"), ("b", "x")]);
        let r = RiskReport::of(&t, &["s"], Population::new(0.5).unwrap());
        assert_eq!(r.prosecutor.highest, 0.5);
        assert_eq!(r.journalist.highest, 0.25);
        // (1/n) Σ f/F over the classes: (2/4 + 2/4) / 4.
        assert_eq!(r.marketer, 0.25);
        // Categorical: class a is (1/2, 1/2) against (3/4, 1/4).
        assert_eq!(r.sensitive[0].t, 0.25);
        assert_eq!(r.sensitive[0].entropy_l, 1.0);
    }

    #[test]
    fn empty_table() {
        let r = RiskReport::of(&ClassTable::new(2, 1), &["s"], Population::default());
        assert_eq!((r.records, r.k, r.unique_share), (0, 0, 0.0));
        assert_eq!(r.sensitive[0].distinct_l, 0);
    }
}
