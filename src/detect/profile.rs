//! What kinds of personal data the columns of a CSV / JSON Lines file hold
//! (feature `stream`): [`scan_columns`], read with the pipeline's strict
//! reader, and a draft policy for `desensitize run` ([`draft_policy`]).

use std::io::Read;

use super::{DETECTABLE, Detector, words};
use crate::Kind;
use crate::stream::parts::{Input, json_scalars};
use crate::stream::{Format, Options, Row, RowTransform, StreamError, TransformError, process};

/// Share of a column's values that must be one kind for the draft policy to name it.
pub const SUGGEST_SHARE: f64 = 0.5;

/// What one column holds, counted over its non-empty values. Holds no value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnStats {
    /// The column (CSV header name or JSON key).
    pub name: String,
    /// Non-empty values seen.
    pub values: u64,
    /// Per kind (in [`DETECTABLE`] order): values that are wholly one valid value of the kind.
    pub whole: [u64; DETECTABLE.len()],
    /// Per kind: values with at least one value of the kind inside other text.
    pub inside: [u64; DETECTABLE.len()],
}

impl ColumnStats {
    fn new(name: &str) -> ColumnStats {
        ColumnStats {
            name: name.to_owned(),
            values: 0,
            whole: [0; DETECTABLE.len()],
            inside: [0; DETECTABLE.len()],
        }
    }

    /// The kind most of the column's values are, with its share of the
    /// non-empty values, if at least [`SUGGEST_SHARE`].
    ///
    /// ```
    /// use desensitize::detect::{Detector, scan_columns};
    /// use desensitize::stream::{Format, Options};
    /// use desensitize::Kind;
    ///
    /// let csv = "c1,c2\n13800138000,hello\n13900139000,\n";
    /// let stats = scan_columns(csv.as_bytes(), Format::Csv, &Detector::new(), &Options::new(1))?;
    /// assert_eq!(stats[0].suggested(), Some((Kind::MobilePhone, 1.0)));
    /// assert_eq!(stats[1].suggested(), None);
    /// # Ok::<(), desensitize::stream::StreamError>(())
    /// ```
    pub fn suggested(&self) -> Option<(Kind, f64)> {
        let (i, &n) = self.whole.iter().enumerate().max_by_key(|(_, n)| **n)?;
        let share = n as f64 / self.values.max(1) as f64;
        (n > 0 && share >= SUGGEST_SHARE).then_some((DETECTABLE[i], share))
    }

    /// The kinds found inside free-text values, with how many values held each.
    pub fn inside_kinds(&self) -> impl Iterator<Item = (Kind, u64)> + '_ {
        DETECTABLE.iter().zip(self.inside).filter(|(_, n)| *n > 0).map(|(k, n)| (*k, n))
    }

    fn count(&mut self, detector: &Detector, value: &str) {
        let value = value.trim();
        if value.is_empty() {
            return;
        }
        self.values += 1;
        let mut spans = detector.detect_with_context(value, &self.name);
        // A whole value that validates counts whatever its confidence: the
        // column's other values are its context.
        if let [only] = spans.as_slice()
            && only.start == 0
            && only.end == value.len()
        {
            self.whole[slot(only.kind)] += 1;
            return;
        }
        spans.retain(|s| s.confidence >= detector.min_confidence);
        if spans.is_empty() && detector.detects(Kind::PersonName) && words::bare_name(value) {
            self.whole[slot(Kind::PersonName)] += 1;
            return;
        }
        let mut seen = [false; DETECTABLE.len()];
        for s in spans {
            seen[slot(s.kind)] = true;
        }
        for (n, hit) in self.inside.iter_mut().zip(seen) {
            *n += u64::from(hit);
        }
    }

    fn merge(&mut self, other: &ColumnStats) {
        self.values += other.values;
        for i in 0..DETECTABLE.len() {
            self.whole[i] += other.whole[i];
            self.inside[i] += other.inside[i];
        }
    }
}

fn slot(kind: Kind) -> usize {
    DETECTABLE.iter().position(|&k| k == kind).unwrap_or(0)
}

/// The counting of [`scan_columns`], value by value, for rows that do not
/// come from a file: a database table read by the caller. Each value is
/// counted as [`scan_columns`] counts it (its column name as context); no
/// value is kept.
///
/// ```
/// use desensitize::detect::{ColumnScan, Detector};
/// use desensitize::Kind;
///
/// let detector = Detector::new();
/// let mut scan = ColumnScan::new(&detector, ["c7", "note"]);
/// for (c7, note) in [("11010519491231002X", "call 13800138000"), ("110105491231002", "")] {
///     scan.count(0, c7);
///     scan.count(1, note);
/// }
/// scan.count(2, "13800138000"); // no third column: not counted
/// let stats = scan.finish();
/// assert_eq!(stats.len(), 2);
/// assert_eq!((stats[0].values, stats[0].suggested()), (2, Some((Kind::IdNumber, 1.0))));
/// assert_eq!(stats[1].values, 1); // the empty note is not a value
/// assert_eq!(stats[1].inside_kinds().collect::<Vec<_>>(), [(Kind::MobilePhone, 1)]);
/// ```
#[derive(Debug)]
pub struct ColumnScan<'d> {
    detector: &'d Detector,
    stats: Vec<ColumnStats>,
}

impl<'d> ColumnScan<'d> {
    /// Counts for the columns `names`, in that order.
    pub fn new<S: AsRef<str>>(detector: &'d Detector, names: impl IntoIterator<Item = S>) -> ColumnScan<'d> {
        ColumnScan { detector, stats: names.into_iter().map(|n| ColumnStats::new(n.as_ref())).collect() }
    }

    /// Count `value` of column `column` (its index in `names`); an empty
    /// value (after trimming) is not counted, nor is a column index out of range.
    pub fn count(&mut self, column: usize, value: &str) {
        if let Some(stats) = self.stats.get_mut(column) {
            stats.count(self.detector, value);
        }
    }

    /// The counts, one per column, in the order of `names`.
    pub fn finish(self) -> Vec<ColumnStats> {
        self.stats
    }
}

/// The per-row work of [`scan_columns`].
struct Scan<'a> {
    detector: &'a Detector,
    names: &'a [String],
}

fn stats_for<'t>(tally: &'t mut Vec<ColumnStats>, name: &str) -> &'t mut ColumnStats {
    let at = match tally.iter().position(|c| c.name == name) {
        Some(at) => at,
        None => {
            tally.push(ColumnStats::new(name));
            tally.len() - 1
        }
    };
    &mut tally[at]
}

impl RowTransform for Scan<'_> {
    type Scratch = ();
    type Tally = Vec<ColumnStats>;

    fn scratch(&self) {}

    fn tally(&self) -> Vec<ColumnStats> {
        self.names.iter().map(|n| ColumnStats::new(n)).collect()
    }

    fn row(
        &self,
        _: &mut (),
        tally: &mut Vec<ColumnStats>,
        _: u64,
        record: Row<'_>,
        _: &mut Vec<u8>,
    ) -> Result<(), TransformError> {
        match record {
            Row::Csv(fields) => {
                for (i, field) in fields.iter().enumerate() {
                    let Ok(text) = core::str::from_utf8(field) else {
                        return Err(TransformError { column: Some(i), reason: "not UTF-8".into() });
                    };
                    let name = self.names.get(i).map_or("", String::as_str);
                    stats_for(tally, name).count(self.detector, text);
                }
            }
            Row::JsonLine(line) => {
                let record =
                    json_scalars(line).map_err(|m| TransformError { column: None, reason: m.into() })?;
                for (k, v) in record.pairs() {
                    stats_for(tally, k).count(self.detector, v);
                }
            }
        }
        Ok(())
    }
}

/// Count, per column of a CSV (with header) or JSON Lines input, the kinds
/// of personal data its values are or contain; the columns in input order
/// (JSON keys in order of first appearance). The column name serves as a
/// context word for its values. No value is kept or reported.
///
/// ```
/// use desensitize::detect::{Detector, scan_columns};
/// use desensitize::stream::{Format, Options};
/// use desensitize::Kind;
///
/// let jsonl = "{\"c7\": \"11010519491231002X\", \"note\": \"call 13800138000\"}\n";
/// let stats = scan_columns(jsonl.as_bytes(), Format::JsonLines, &Detector::new(), &Options::new(1))?;
/// assert_eq!(stats[0].suggested(), Some((Kind::IdNumber, 1.0)));
/// assert_eq!(stats[1].inside_kinds().collect::<Vec<_>>(), [(Kind::MobilePhone, 1)]);
/// # Ok::<(), desensitize::stream::StreamError>(())
/// ```
pub fn scan_columns<R: Read + Send>(
    reader: R,
    format: Format,
    detector: &Detector,
    opts: &Options,
) -> Result<Vec<ColumnStats>, StreamError> {
    let input = Input::new(reader, format, opts)?;
    let names: Vec<String> = match format {
        Format::Csv => input.names().unwrap_or_default().to_vec(),
        Format::JsonLines => Vec::new(),
    };
    let scan = Scan { detector, names: &names };
    let mut all: Vec<ColumnStats> = names.iter().map(|n| ColumnStats::new(n)).collect();
    process(input.into_chunker(), &scan, &mut std::io::sink(), opts, |done| {
        for c in &done.tally {
            stats_for(&mut all, &c.name).merge(c);
        }
    })?;
    Ok(all)
}

fn toml_key(name: &str) -> String {
    let bare = !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if bare { name.to_owned() } else { format!("{:?}", name) }
}

/// A `desensitize run` policy (TOML) for the scanned columns: each column
/// whose values are mostly one kind is masked as that kind (invalid values
/// marked, not fatal); a column with personal data inside free text is
/// dropped; every other column is kept. Each entry has a comment with what
/// the scan found, and the columns a human must look at say `REVIEW`.
///
/// ```
/// use desensitize::detect::{Detector, draft_policy, scan_columns};
/// use desensitize::policy::Policy;
/// use desensitize::stream::{Format, Options};
///
/// let csv = "c1,c2,c3\n13800138000,x,call 13900139000\n";
/// let stats = scan_columns(csv.as_bytes(), Format::Csv, &Detector::new(), &Options::new(1))?;
/// let draft = draft_policy("scanned", &stats);
/// assert!(draft.contains("[columns.c1]\n# 1 of 1 values are valid cn.mobile_phone (100.0%)\nkind = \"mobile_phone\"\naction = \"mask\""));
/// Policy::from_toml(&draft)?; // a policy `desensitize run` accepts
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn draft_policy(table: &str, stats: &[ColumnStats]) -> String {
    let mut out = String::new();
    out.push_str("# Draft written by `desensitize scan`: review every column before use.\n");
    out.push_str(&format!("table = {table:?}\nunnamed_columns = \"refuse\"\non_invalid = \"mark\"\n"));
    for c in stats {
        out.push_str(&format!("\n[columns.{}]\n", toml_key(&c.name)));
        let inside: Vec<String> = c.inside_kinds().map(|(k, n)| format!("{} in {n}", k.as_str())).collect();
        match c.suggested() {
            Some((kind, share)) => {
                let n = c.whole[slot(kind)];
                out.push_str(&format!(
                    "# {n} of {} values are valid {} ({:.1}%)\n",
                    c.values,
                    kind.as_str(),
                    share * 100.0
                ));
                let short = kind.as_str().strip_prefix("cn.").unwrap_or(kind.as_str());
                out.push_str(&format!("kind = \"{short}\"\naction = \"mask\"\n"));
            }
            None if !inside.is_empty() => {
                out.push_str(&format!(
                    "# REVIEW: free text with personal data inside ({} of {} values); dropped here,\n\
                     # or keep it and run `desensitize redact --fields` over the output\n",
                    inside.join(", "),
                    c.values
                ));
                out.push_str("action = \"drop\"\n");
            }
            None => {
                out.push_str(&format!("# REVIEW: no personal data recognized in {} values\n", c.values));
                out.push_str("action = \"keep\"\n");
            }
        }
    }
    out
}
