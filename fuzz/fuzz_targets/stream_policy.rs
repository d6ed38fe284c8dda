//! The policy engine over adversarial records: CSV and JSON Lines input
//! through `desensitize::stream`'s readers ([`Input`], the chunker, the
//! workers of [`process`]) and a compiled [`Plan`] ([`PlanRows`], both
//! passes when the policy has k-anonymity).
//!
//! Input: a selector byte, then the input file (see [`Setup`] for the
//! selector's bits: format, one of four fixed policies, whether the harness
//! writes the header row / first record itself, block size, threads, the
//! longest record). The bytes are the fuzzer's: repeated keys, invalid
//! UTF-8, huge cells, nested or odd JSON, CSV quoting at its edges.
//!
//! Checked, besides "nothing panics" (no worker is lost either):
//! * **errors never show a record's bytes.** Every error (reading the
//!   header, compiling the plan against it, a row error, the k-anonymity
//!   count, each reject of the report; `Display`, `Debug` and
//!   `Plan::describe`) contains no part of a value-like token of the input
//!   (7 digits in a row, 3 non-ASCII characters, 6 characters around an
//!   `@`) nor any 4-character part of the fixed sample values, unless that
//!   part is also in the policy text or among the column names (which
//!   errors may name). "line L column C" positions are not compared.
//! * a written CSV row has one field per output column (the output parses
//!   back with the library's own reader).
#![no_main]

use desensitize::policy::{ClassCounts, Plan, Policy, PolicyError, RowError};
use desensitize::stream::parts::{Input, Pass, PlanRows};
use desensitize::stream::{BLOCK, Format, Options, StreamError, process};
use desensitize_fuzz::{Bytes, assert_no_leak, vector_keyring_arc};
use libfuzzer_sys::fuzz_target;

/// The column names of the fixed policies, in the header the harness writes.
const HEADER: &[&str] =
    &["user_id", "name", "id_number", "mobile", "email", "bank_card", "location", "note", "consent"];

/// Values that must never appear in an error (the seeds' cells).
const SAMPLES: &[&str] = &[
    "胡诗萱",
    "540529195407082043",
    "110105201506010016",
    "17158395937",
    "6225888319883298",
    "junchaoyan@foxmail.com",
    "甘肃省兰州市安宁区黄河路459号",
    "41.25342,94.22004",
    "secret-1",
];

/// Four policies over [`HEADER`]: invalid cells marked (consent, minors,
/// keyed actions); refused with unnamed columns refused; k-anonymity with
/// unnamed columns dropped; every column kept or masked, unnamed kept.
const POLICIES: [&str; 4] = [
    r##"{"table": "users", "row_id": "user_id", "unnamed_columns": "keep", "on_invalid": "mark",
        "marker": "#BAD", "today": "2026-11-23", "minors": "suppress", "consent_column": "consent",
        "columns": {"user_id": {"action": "keep"}, "consent": {"action": "keep"},
        "name": {"kind": "person_name", "action": "mask"},
        "id_number": {"kind": "id_number", "action": "seal", "generalize": {"age_band": "band", "province": "province"}},
        "mobile": {"kind": "mobile_phone", "action": "fpe", "domain": "golden"},
        "email": {"kind": "email", "action": "pseudonym", "domain": "analytics"},
        "bank_card": {"kind": "bank_card", "action": "blind-index", "bits": 8},
        "location": {"kind": "geo_point", "action": "generalize", "precision": 4},
        "note": {"action": "drop"}}}"##,
    r##"{"table": "users", "unnamed_columns": "refuse", "today": "2026-11-23",
        "columns": {"user_id": {"action": "keep"}, "name": {"kind": "person_name", "action": "mask", "level": "strict"},
        "id_number": {"kind": "id_number", "action": "generalize", "to": "city"},
        "mobile": {"kind": "mobile_phone", "action": "mask"}, "email": {"kind": "email", "action": "mask"},
        "bank_card": {"kind": "bank_card", "action": "seal"}, "location": {"kind": "geo_point", "action": "mask"},
        "note": {"action": "keep"}, "consent": {"action": "keep"}}}"##,
    r##"{"table": "users", "unnamed_columns": "drop", "on_invalid": "mark", "today": "2026-11-23",
        "columns": {"user_id": {"action": "keep"},
        "id_number": {"kind": "id_number", "action": "drop", "generalize": {"gender": "gender", "age_band": "age_band"}, "band_width": 20},
        "mobile": {"kind": "mobile_phone", "action": "mask"}, "email": {"kind": "email", "action": "blind-index", "bits": 12}},
        "k_anonymity": {"k": 2, "quasi_identifiers": ["gender", "age_band"]}}"##,
    r##"{"unnamed_columns": "keep", "on_invalid": "mark",
        "columns": {"name": {"kind": "person_name", "action": "mask"}, "mobile": {"kind": "mobile_phone", "action": "mask"},
        "id_number": {"kind": "id_number", "action": "mask", "level": "relaxed"}}}"##,
];

/// What the selector byte picks.
struct Setup {
    format: Format,
    policy: &'static str,
    /// The harness writes the header row (CSV) or a first record (JSON
    /// Lines) before the fuzzer's bytes, so that the plan compiles.
    header: bool,
    opts: Options,
}

impl Setup {
    fn new(selector: u8) -> Setup {
        let format = if selector & 1 == 0 { Format::Csv } else { Format::JsonLines };
        let block = [1, 7, 64, BLOCK][usize::from(selector >> 4 & 3)];
        let threads = if selector & 0x40 == 0 { 1 } else { 3 };
        let max_record = if selector & 0x80 == 0 { 4096 } else { 48 };
        let opts = Options { threads, in_flight: 0, block, max_record };
        let policy = POLICIES[usize::from(selector >> 1 & 3)];
        Setup { format, policy, header: selector & 8 == 0, opts }
    }

    fn prefix(&self) -> String {
        match (self.header, self.format) {
            (false, _) => String::new(),
            (true, Format::Csv) => format!("{}\n", HEADER.join(",")),
            (true, Format::JsonLines) => {
                let fields: Vec<String> = HEADER.iter().map(|h| format!("\"{h}\": \"\"")).collect();
                format!("{{{}}}\n", fields.join(", "))
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let mut bytes = Bytes(data);
    let setup = Setup::new(bytes.u8());
    let rest = bytes.rest();
    let mut file = setup.prefix().into_bytes();
    file.extend_from_slice(rest);
    let mut leaks = Leaks::new(rest, setup.policy);

    let input = match Input::new(&file[..], setup.format, &setup.opts) {
        Ok(input) => input,
        Err(e) => return leaks.check_stream("reading the header", &e),
    };
    let Some(names) = input.names().map(<[String]>::to_vec) else { return };
    leaks.allow(&names.join("\n"));
    let policy = Policy::from_json(setup.policy).expect("the fixed policies read");
    let plan = match Plan::from_policy(&policy, &names, Some(vector_keyring_arc().clone())) {
        Ok(plan) => plan.with_text_output(setup.format == Format::JsonLines),
        Err(e) => return leaks.check_policy("compile", &e),
    };
    if plan.needs_counting() && !count(&plan, input, &setup, &leaks) {
        return;
    }
    let input = match Input::new(&file[..], setup.format, &setup.opts) {
        Ok(input) => input,
        Err(e) => panic!("the second reading of the header failed: {e}"),
    };
    let mut output = Vec::new();
    let mut rejects: Vec<RowError> = Vec::new();
    let apply = PlanRows::new(&plan, setup.format, Pass::Write);
    match process(input.into_chunker(), &apply, &mut output, &setup.opts, |done| {
        rejects.extend(done.tally.report.rejects)
    }) {
        Ok(_) => check_csv_output(&plan, setup.format, &output),
        Err(e) => leaks.check_stream("write pass", &e),
    }
    for e in &rejects {
        leaks.check_row(&plan, e);
    }
});

/// k-anonymity's counting pass; false when it stopped with an error.
fn count(plan: &Plan, input: Input<&[u8]>, setup: &Setup, leaks: &Leaks) -> bool {
    let mut classes = ClassCounts::new();
    let counting = PlanRows::new(plan, setup.format, Pass::Count);
    if let Err(e) = process(input.into_chunker(), &counting, &mut std::io::sink(), &setup.opts, |done| {
        classes.merge(done.tally.classes)
    }) {
        leaks.check_stream("count pass", &e);
        return false;
    }
    if let Err(e) = plan.finish_counting(classes) {
        leaks.check_policy("finish_counting", &e);
        return false;
    }
    true
}

/// Every CSV row written has one field per output column.
fn check_csv_output(plan: &Plan, format: Format, output: &[u8]) {
    if format != Format::Csv || plan.output_names().is_empty() {
        return;
    }
    let mut header = plan.output_names().join(",");
    header.push('\n');
    let mut again = header.into_bytes();
    again.extend_from_slice(output);
    let opts = Options::new(1);
    let reread = Input::new(&again[..], Format::Csv, &opts).expect("the output's header reads");
    assert_eq!(reread.names().map(<[String]>::len), Some(plan.output_names().len()));
    let mut widths = Vec::new();
    let collect = Widths;
    process(reread.into_chunker(), &collect, &mut std::io::sink(), &opts, |done| widths.extend(done.tally))
        .expect("the output reads back as CSV");
    assert!(widths.iter().all(|w| *w == plan.output_names().len()), "output row widths {widths:?}");
}

/// A transform that only counts each CSV record's fields.
struct Widths;

impl desensitize::stream::RowTransform for Widths {
    type Scratch = ();
    type Tally = Vec<usize>;
    fn scratch(&self) {}
    fn tally(&self) -> Vec<usize> {
        Vec::new()
    }
    fn row(
        &self,
        _: &mut (),
        tally: &mut Vec<usize>,
        _: u64,
        record: desensitize::stream::Row<'_>,
        _: &mut Vec<u8>,
    ) -> Result<(), desensitize::stream::TransformError> {
        if let desensitize::stream::Row::Csv(fields) = record {
            tally.push(fields.len());
        }
        Ok(())
    }
}

/// What an error may not show: value-like parts of the input and the
/// sample values, unless the policy text or a column name has them too.
struct Leaks {
    secrets: Vec<String>,
    allowed: String,
}

impl Leaks {
    fn new(input: &[u8], policy: &str) -> Leaks {
        let text = String::from_utf8_lossy(input);
        let mut secrets: Vec<String> = SAMPLES.iter().flat_map(|s| windows(s, 4)).collect();
        for token in text.split(|c: char| !(c.is_alphanumeric() || "@._-+".contains(c))) {
            let chars: Vec<char> = token.chars().collect();
            if chars.iter().filter(|c| c.is_ascii_digit()).count() >= 7 {
                secrets.extend(digit_runs(&chars, 7));
            }
            secrets.extend(windows_where(&chars, 3, |w| w.iter().all(|c| !c.is_ascii())));
            secrets.extend(windows_where(&chars, 6, |w| w.contains(&'@')));
        }
        secrets.sort();
        secrets.dedup();
        Leaks { secrets, allowed: policy.to_owned() }
    }

    fn allow(&mut self, text: &str) {
        self.allowed.push('\n');
        self.allowed.push_str(text);
    }

    fn check(&self, what: &str, shown: &str) {
        let shown = without_positions(shown);
        for secret in &self.secrets {
            assert!(
                !shown.contains(secret.as_str()) || self.allowed.contains(secret.as_str()),
                "{what} shows {secret:?} of the input: {shown:?}"
            );
        }
        for sample in SAMPLES {
            assert_no_leak(what, &shown, sample, &self.allowed);
        }
    }

    fn check_stream(&self, stage: &str, e: &StreamError) {
        assert!(!matches!(e, StreamError::WorkerLost), "{stage}: a worker was lost (it panicked)");
        self.check(stage, &e.to_string());
        self.check(stage, &format!("{e:?}"));
    }

    fn check_policy(&self, stage: &str, e: &PolicyError) {
        self.check(stage, &e.to_string());
        self.check(stage, &format!("{e:?}"));
    }

    fn check_row(&self, plan: &Plan, e: &RowError) {
        self.check("reject", &e.to_string());
        self.check("reject", &format!("{e:?}"));
        self.check("reject", &plan.describe(e));
    }
}

/// Every `n`-character window of `s`.
fn windows(s: &str, n: usize) -> Vec<String> {
    let chars: Vec<char> = s.chars().collect();
    windows_where(&chars, n, |_| true)
}

fn windows_where(chars: &[char], n: usize, keep: impl Fn(&[char]) -> bool) -> Vec<String> {
    chars.windows(n).filter(|w| keep(w)).map(|w| w.iter().collect()).collect()
}

/// Every window of `n` consecutive ASCII digits.
fn digit_runs(chars: &[char], n: usize) -> Vec<String> {
    windows_where(chars, n, |w| w.iter().all(char::is_ascii_digit))
}

/// "line L column C" / "column C" positions (in the input or policy) become `#`.
fn without_positions(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = ["line ", "column ", "row ", "field ", "line: ", "column: ", "row: "]
        .iter()
        .filter_map(|w| rest.find(w).map(|i| i + w.len()))
        .min()
    {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit() || c == '#').len();
        if digits > 0 {
            out.push('#');
        }
        rest = &rest[digits..];
    }
    out.push_str(rest);
    out
}
