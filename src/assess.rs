//! Assessing a file (feature `stream`): the equivalence classes of a CSV or
//! JSON Lines file read through [`crate::stream`], in parallel and in
//! bounded memory, for [`crate::risk`]'s measures, privacy models and
//! optimal search. `desensitize risk` is built on it.
//!
//! Its own module, above both: [`crate::policy`] uses `risk`'s models and
//! `stream` runs policies, so `risk` itself does not read files.

use std::collections::HashMap;
use std::io::Read;

use crate::risk::{CHAIN_SEP, ClassTable, Hierarchy, RiskError};
use crate::stream::parts::{Input, json_scalars};
use crate::stream::{Format, Options, Row, RowTransform, TransformError, process};

/// A quasi-identifier column as [`scan`] stores it.
#[derive(Debug, Clone)]
pub struct Quasi {
    /// The input column.
    pub column: String,
    /// Its hierarchy (`None`: the value as it is).
    pub hierarchy: Option<Hierarchy>,
    /// With a hierarchy: the level stored (`None`: the whole chain, for
    /// [`Lattice`](crate::risk::Lattice)).
    pub level: Option<usize>,
}

/// Which columns [`scan`] reads: the quasi-identifiers and the sensitive
/// attributes.
#[derive(Debug, Clone, Default)]
pub struct Columns {
    /// Quasi-identifier columns.
    pub quasi: Vec<Quasi>,
    /// Sensitive columns.
    pub sensitive: Vec<String>,
}

impl Columns {
    /// Quasi-identifiers as they are, and sensitive columns.
    pub fn new<S: AsRef<str>>(quasi: &[S], sensitive: &[S]) -> Columns {
        Columns {
            quasi: quasi
                .iter()
                .map(|q| Quasi { column: q.as_ref().to_owned(), hierarchy: None, level: None })
                .collect(),
            sensitive: sensitive.iter().map(|s| s.as_ref().to_owned()).collect(),
        }
    }
}

struct ScanRows<'a> {
    columns: &'a Columns,
    /// Input index of each quasi-identifier, then each sensitive column.
    index: Vec<usize>,
    names: &'a [String],
}

#[derive(Default)]
struct Scratch {
    values: Vec<Vec<u8>>,
    /// Per quasi-identifier: raw value -> what is stored for it (ages,
    /// dates, codes repeat), at most [`CACHE`] entries, wiped when cleared.
    stored: Vec<HashMap<Vec<u8>, Vec<u8>>>,
}

/// Entries per hierarchy cache before it is cleared.
const CACHE: usize = 1 << 16;

fn wipe(cache: &mut HashMap<Vec<u8>, Vec<u8>>) {
    use zeroize::Zeroize;
    for (mut k, mut v) in cache.drain() {
        k.zeroize();
        v.zeroize();
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        use zeroize::Zeroize;
        for v in &mut self.values {
            v.zeroize();
        }
        self.stored.iter_mut().for_each(wipe);
    }
}

impl RowTransform for ScanRows<'_> {
    type Scratch = Scratch;
    type Tally = ClassTable;

    fn scratch(&self) -> Scratch {
        Scratch {
            values: vec![Vec::new(); self.index.len()],
            stored: vec![HashMap::new(); self.columns.quasi.len()],
        }
    }

    fn tally(&self) -> ClassTable {
        ClassTable::new(self.columns.quasi.len(), self.columns.sensitive.len())
    }

    fn row(
        &self,
        scratch: &mut Scratch,
        table: &mut ClassTable,
        _row: u64,
        record: Row<'_>,
        _out: &mut Vec<u8>,
    ) -> Result<(), TransformError> {
        for v in &mut scratch.values {
            v.clear();
        }
        match record {
            Row::Csv(fields) => {
                for (slot, &i) in scratch.values.iter_mut().zip(&self.index) {
                    slot.extend_from_slice(fields.get(i).unwrap_or(b""));
                }
            }
            Row::JsonLine(line) => {
                let fail = |reason: String| TransformError { column: None, reason: reason.into() };
                let record = json_scalars(line).map_err(fail)?;
                for (k, v) in record.pairs() {
                    if let Some(p) = self.names.iter().position(|n| n == k)
                        && let Some(j) = self.index.iter().position(|&i| i == p)
                    {
                        scratch.values[j].extend_from_slice(v.as_bytes());
                    }
                }
            }
        }
        let q = self.columns.quasi.len();
        for (j, quasi) in self.columns.quasi.iter().enumerate() {
            let Some(h) = &quasi.hierarchy else { continue };
            let cache = &mut scratch.stored[j];
            if let Some(stored) = cache.get(&scratch.values[j]) {
                scratch.values[j].clear();
                scratch.values[j].extend_from_slice(stored);
                continue;
            }
            let chain = h
                .chain(&scratch.values[j])
                .map_err(|reason| TransformError { column: Some(self.index[j]), reason: reason.into() })?;
            let stored = match quasi.level {
                None => chain.join(&CHAIN_SEP.to_string()),
                Some(l) => chain.get(l).cloned().unwrap_or_else(|| "*".to_owned()),
            };
            if cache.len() >= CACHE {
                wipe(cache);
            }
            let raw = std::mem::replace(&mut scratch.values[j], stored.into_bytes());
            cache.insert(raw, scratch.values[j].clone());
        }
        table.add(&scratch.values[..q], &scratch.values[q..]);
        Ok(())
    }
}

/// The classes of a CSV (with a header row) or JSON Lines input over
/// `columns`, read with `opts.threads` workers in bounded memory: each
/// chunk's classes are counted on a worker and merged in order. Errors
/// name rows and columns, never values.
///
/// ```
/// use desensitize::assess::{Columns, scan};
/// use desensitize::risk::{Population, RiskReport};
/// use desensitize::stream::{Format, Options};
///
/// let csv = "gender,age,city,dx\nf,30,Beijing,flu\nf,30,Beijing,cold\nm,41,Lhasa,flu\n";
/// let table = scan(csv.as_bytes(), Format::Csv, &Columns::new(&["gender", "age", "city"], &["dx"]), &Options::new(2))?;
/// let report = RiskReport::of(&table, &["dx"], Population::default());
/// assert_eq!((report.records, report.classes, report.k), (3, 2, 1));
/// # Ok::<(), desensitize::risk::RiskError>(())
/// ```
pub fn scan<R: Read + Send>(
    reader: R,
    format: Format,
    columns: &Columns,
    opts: &Options,
) -> Result<ClassTable, RiskError> {
    let input = Input::new(reader, format, opts).map_err(|e| RiskError::Input(e.to_string()))?;
    let names: Vec<String> = input.names().unwrap_or_default().to_vec();
    let wanted = columns.quasi.iter().map(|q| &q.column).chain(&columns.sensitive);
    let index = wanted
        .map(|w| names.iter().position(|n| n == w).ok_or_else(|| RiskError::NoColumn(w.clone())))
        .collect::<Result<Vec<usize>, _>>()?;
    let rows = ScanRows { columns, index, names: &names };
    let mut table = rows.tally();
    process(input.into_chunker(), &rows, &mut std::io::sink(), opts, |done| table.merge(done.tally))
        .map_err(|e| RiskError::Input(e.to_string()))?;
    Ok(table)
}
