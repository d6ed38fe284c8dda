//! The equivalence classes of a table: record counts per combination of
//! quasi-identifier values, and per class the counts of each sensitive
//! value. Memory grows with the number of classes and distinct values,
//! never with the number of records.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use zeroize::Zeroize;

/// Distinct values of one column, numbered in order of first sight.
#[derive(Clone, Default)]
pub(crate) struct Dict {
    ids: HashMap<Box<[u8]>, u32>,
    values: Vec<Box<[u8]>>,
}

impl Dict {
    /// The id of `value`, numbering it when new.
    #[inline]
    pub(crate) fn id(&mut self, value: &[u8]) -> u32 {
        if let Some(&id) = self.ids.get(value) {
            return id;
        }
        let id = self.values.len() as u32;
        self.ids.insert(value.into(), id);
        self.values.push(value.into());
        id
    }

    /// The id of `value`, if seen.
    pub(crate) fn get(&self, value: &[u8]) -> Option<u32> {
        self.ids.get(value).copied()
    }

    /// The value numbered `id`.
    pub(crate) fn value(&self, id: u32) -> &[u8] {
        &self.values[id as usize]
    }

    /// Distinct values.
    pub(crate) fn len(&self) -> usize {
        self.values.len()
    }
}

impl Drop for Dict {
    fn drop(&mut self) {
        for (mut k, _) in self.ids.drain() {
            k.zeroize();
        }
        for v in &mut self.values {
            v.zeroize();
        }
    }
}

/// Counts of sensitive values in a class: (value id, records), few entries.
pub(crate) type Dist = Vec<(u32, u64)>;

/// Add `n` records of value `id` to `dist`.
#[inline]
pub(crate) fn bump(dist: &mut Dist, id: u32, n: u64) {
    match dist.iter_mut().find(|(v, _)| *v == id) {
        Some((_, c)) => *c += n,
        None => dist.push((id, n)),
    }
}

/// One equivalence class: its records and, per sensitive attribute, the
/// counts of its values.
#[derive(Clone, Default)]
pub(crate) struct Class {
    pub(crate) count: u64,
    pub(crate) sensitive: Vec<Dist>,
}

/// The equivalence classes of a table over its quasi-identifiers, with the
/// distribution of each sensitive attribute inside every class.
///
/// Fill it with [`add`](Self::add) (one call per record: the
/// quasi-identifier values, then the sensitive values, in a fixed order),
/// [`merge`](Self::merge) the tables of several workers, and measure it
/// with [`RiskReport::of`](super::RiskReport::of). Memory is proportional
/// to the classes and distinct values, not the records. The values it
/// holds are wiped when it is dropped, and its `Debug` shows counts only.
///
/// ```
/// use desensitize::risk::ClassTable;
///
/// let mut table = ClassTable::new(2, 1);
/// table.add(&["female", "25-29"], &["flu"]);
/// table.add(&["female", "25-29"], &["asthma"]);
/// table.add(&["male", "30-34"], &["flu"]);
/// assert_eq!((table.records(), table.classes()), (3, 2));
/// assert_eq!(format!("{table:?}"), "ClassTable(3 records, 2 classes)");
/// ```
#[derive(Clone)]
pub struct ClassTable {
    pub(crate) quasi: Vec<Dict>,
    pub(crate) sensitive: Vec<Dict>,
    pub(crate) classes: HashMap<Box<[u32]>, Class>,
    pub(crate) records: u64,
    key: Vec<u32>,
}

impl std::fmt::Debug for ClassTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ClassTable({} records, {} classes)", self.records, self.classes.len())
    }
}

impl ClassTable {
    /// An empty table of `quasi_identifiers` and `sensitive` columns.
    pub fn new(quasi_identifiers: usize, sensitive: usize) -> ClassTable {
        ClassTable {
            quasi: vec![Dict::default(); quasi_identifiers],
            sensitive: vec![Dict::default(); sensitive],
            classes: HashMap::new(),
            records: 0,
            key: Vec::with_capacity(quasi_identifiers),
        }
    }

    /// Count one record: its quasi-identifier values and its sensitive
    /// values, each in the order the table was made with (extra values are
    /// ignored, missing ones count as empty).
    pub fn add<Q: AsRef<[u8]>, S: AsRef<[u8]>>(&mut self, quasi_identifiers: &[Q], sensitive: &[S]) {
        self.key.clear();
        for (i, dict) in self.quasi.iter_mut().enumerate() {
            let v = quasi_identifiers.get(i).map_or(&b""[..], |q| q.as_ref());
            self.key.push(dict.id(v));
        }
        let sens = self.sensitive.len();
        let class = match self.classes.get_mut(&self.key[..]) {
            Some(c) => c,
            None => self
                .classes
                .entry(self.key.clone().into_boxed_slice())
                .or_insert_with(|| Class { count: 0, sensitive: vec![Dist::new(); sens] }),
        };
        class.count += 1;
        for (i, dict) in self.sensitive.iter_mut().enumerate() {
            let v = sensitive.get(i).map_or(&b""[..], |s| s.as_ref());
            bump(&mut class.sensitive[i], dict.id(v), 1);
        }
        self.records += 1;
    }

    /// Add another table's counts (the same columns, in the same order).
    pub fn merge(&mut self, other: ClassTable) {
        let remap = |mine: &mut [Dict], theirs: &[Dict]| -> Vec<Vec<u32>> {
            mine.iter_mut().zip(theirs).map(|(m, t)| t.values.iter().map(|v| m.id(v)).collect()).collect()
        };
        let quasi = remap(&mut self.quasi, &other.quasi);
        let sens = remap(&mut self.sensitive, &other.sensitive);
        let mut other = other;
        for (key, class) in other.classes.drain() {
            let key: Box<[u32]> = key.iter().zip(&quasi).map(|(&id, m)| m[id as usize]).collect();
            let n = self.sensitive.len();
            let mine = match self.classes.entry(key) {
                Entry::Occupied(e) => e.into_mut(),
                Entry::Vacant(e) => e.insert(Class { count: 0, sensitive: vec![Dist::new(); n] }),
            };
            mine.count += class.count;
            for (i, dist) in class.sensitive.iter().enumerate() {
                for &(id, c) in dist {
                    bump(&mut mine.sensitive[i], sens[i][id as usize], c);
                }
            }
        }
        self.records += other.records;
    }

    /// Records counted.
    pub fn records(&self) -> u64 {
        self.records
    }

    /// Distinct classes.
    pub fn classes(&self) -> usize {
        self.classes.len()
    }

    /// Quasi-identifier columns.
    pub fn quasi_identifiers(&self) -> usize {
        self.quasi.len()
    }

    /// Sensitive columns.
    pub fn sensitive(&self) -> usize {
        self.sensitive.len()
    }

    /// A class's key as text: its (generalized) quasi-identifier values.
    pub(crate) fn key_text(&self, key: &[u32]) -> Vec<String> {
        key.iter().zip(&self.quasi).map(|(&id, d)| class_value(d.value(id)).into_owned()).collect()
    }
}

/// A quasi-identifier cell as a class value, injectively: UTF-8 text as it
/// is, other bytes (a GBK city, kept as it is in CSV output) as `\0` and
/// their hex, so that distinct byte strings are distinct classes (a lossy
/// decoding would merge them all into one `U+FFFD` class). Text that itself
/// starts with `\0` is hex-encoded too, so no two cells share a value.
pub(crate) fn class_value(cell: &[u8]) -> std::borrow::Cow<'_, str> {
    use std::fmt::Write;
    match std::str::from_utf8(cell) {
        Ok(s) if !s.starts_with('\0') => std::borrow::Cow::Borrowed(s),
        _ => {
            let mut hex = String::with_capacity(1 + 2 * cell.len());
            hex.push('\0');
            for b in cell {
                let _ = write!(hex, "{b:02x}");
            }
            std::borrow::Cow::Owned(hex)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_remaps_ids() {
        let mut a = ClassTable::new(1, 1);
        a.add(&["x"], &["s1"]);
        a.add(&["y"], &["s2"]);
        let mut b = ClassTable::new(1, 1);
        b.add(&["y"], &["s1"]);
        b.add(&["z"], &["s1"]);
        a.merge(b);
        assert_eq!((a.records(), a.classes()), (4, 3));
        let y = a.quasi[0].ids[&b"y"[..]];
        let class = &a.classes[&[y][..]];
        assert_eq!(class.count, 2);
        assert_eq!(class.sensitive[0].len(), 2);
        assert_eq!(a.sensitive[0].len(), 2);
    }

    #[test]
    fn missing_values_count_as_empty() {
        let mut t = ClassTable::new(2, 1);
        t.add(&["a"], &[] as &[&str]);
        t.add(&["a", ""], &[""]);
        assert_eq!(t.classes(), 1);
        assert_eq!(class_value(b"\xff"), "\0ff");
    }
}
