//! Reading and writing through the pipeline, on tricky inputs.

use std::borrow::Cow;
use std::fs;
use std::path::PathBuf;

use desensitize::policy::{Plan, Policy};
use desensitize::stream::parts::{Pass, PlanRows, json_scalars, write_csv_record};
use desensitize::stream::{Options, process};

use super::{Format, failed, open_input as open};
use crate::common::CliResult;

/// A file in a fresh temporary directory, removed on drop.
struct TempFile(PathBuf);

impl TempFile {
    fn new(name: &str, bytes: &[u8]) -> TempFile {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static N: AtomicUsize = AtomicUsize::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("dz-run-unit-{}-{n}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        fs::write(&path, bytes).unwrap();
        TempFile(path)
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if let Some(dir) = self.0.parent() {
            let _ = fs::remove_dir_all(dir);
        }
    }
}

/// Read `input` in blocks of `block` bytes, pass every column through the
/// plan (unnamed columns kept) on two workers, and serialize: the whole
/// output file, or the error as `run` reports it.
fn try_through(input: &[u8], from: Format, to: Format, block: usize) -> CliResult<String> {
    let name = if from == Format::Csv { "in.csv" } else { "in.jsonl" };
    let file = TempFile::new(name, input);
    let policy = Policy::from_toml("unnamed_columns = \"keep\"\n[columns.id]\naction = \"keep\"\n").unwrap();
    let input = open(&file.0, from, block)?;
    let header = input.names().unwrap().to_vec();
    let plan = Plan::from_policy(&policy, &header, None).unwrap().with_text_output(to == Format::Jsonl);
    let mut out = Vec::new();
    if to == Format::Csv {
        write_csv_record(&mut out, plan.output_names().iter().map(String::as_bytes));
    }
    let apply = PlanRows::new(&plan, to.stream(), Pass::Write);
    process(input.into_chunker(), &apply, &mut out, &Options::new(2), |_| {})
        .map_err(|e| failed(e, plan.input_names()))?;
    Ok(String::from_utf8(out).unwrap())
}

fn through(input: &[u8], from: Format, to: Format, block: usize) -> String {
    try_through(input, from, to, block).unwrap_or_else(|e| panic!("{e}"))
}

fn csv_records(text: &str) -> Vec<Vec<String>> {
    let mut rdr = csv::ReaderBuilder::new().has_headers(false).from_reader(text.as_bytes());
    rdr.records().map(|r| r.unwrap().iter().map(str::to_owned).collect()).collect()
}

/// BOM, CRLF record ends, blank lines, quotes, embedded
/// commas, quotes and newlines, empty and quoted-empty fields, UTF-8
/// outside the BMP, no newline at the end.
const TRICKY_CSV: &str = "\u{feff}id,text,note\r\n\
    1,\"a,b\",plain\r\n\
    2,\"say \"\"hi\"\"\",\r\n\
    \r\n\
    3,\"multi\nline\r\nfield\",\"\"\n\n\
    4,é中文😀𝄞,\"trailing \"\"\"\r\n\
    5,,\n\
    6,\"\",\"\r\"";

#[test]
fn tricky_csv_round_trips() {
    let expected = "id,text,note\n\
        1,\"a,b\",plain\n\
        2,\"say \"\"hi\"\"\",\n\
        3,\"multi\nline\r\nfield\",\n\
        4,é中文😀𝄞,\"trailing \"\"\"\n\
        5,,\n\
        6,,\"\r\"\n";
    for block in [1, 7, 64, 1 << 20] {
        assert_eq!(through(TRICKY_CSV.as_bytes(), Format::Csv, Format::Csv, block), expected);
    }
    // The records read back are the records written (the BOM aside).
    let mut input = csv_records(TRICKY_CSV.trim_start_matches('\u{feff}'));
    assert_eq!(csv_records(expected), input);
    // Twice through: a fixed point.
    assert_eq!(through(expected.as_bytes(), Format::Csv, Format::Csv, 2), expected);

    // CSV to JSON Lines: the same values, escaped by serde_json.
    let jsonl = through(TRICKY_CSV.as_bytes(), Format::Csv, Format::Jsonl, 2);
    assert_eq!(jsonl.lines().nth(2).unwrap(), r#"{"id":"3","text":"multi\nline\r\nfield","note":""}"#);
    let header = input.remove(0);
    let back: Vec<Vec<String>> = jsonl
        .lines()
        .map(|l| {
            let record = json_scalars(l.as_bytes()).unwrap();
            assert_eq!(record.pairs().iter().map(|(k, _)| k.as_ref()).collect::<Vec<_>>(), header);
            record.pairs().iter().map(|(_, v)| v.to_string()).collect()
        })
        .collect();
    assert_eq!(back, input);
}

#[test]
fn tricky_json_lines_round_trip() {
    // Escapes, \u escapes (a surrogate pair too), keys out of order,
    // non-string scalars, blank lines, CRLF, no newline at the end.
    let input = concat!(
        "{\"id\":\"1\",\"text\":\"q \\\" b \\\\ s \\/ t \\t n \\n\",\"note\":\"\\u00e9\\u4e2d\\ud83d\\ude00\"}\n",
        "\n",
        "  {\"note\":\"x\",\"id\":2,\"text\":null}\r\n",
        "{\"text\":\"ctl \\u0001 \\b \\f\",\"id\":\"3\",\"note\":true}",
    );
    let expected = concat!(
        "{\"id\":\"1\",\"text\":\"q \\\" b \\\\ s / t \\t n \\n\",\"note\":\"é中😀\"}\n",
        "{\"id\":\"2\",\"text\":\"\",\"note\":\"x\"}\n",
        "{\"id\":\"3\",\"text\":\"ctl \\u0001 \\b \\f\",\"note\":\"true\"}\n",
    );
    for block in [1, 7, 64, 1 << 20] {
        assert_eq!(through(input.as_bytes(), Format::Jsonl, Format::Jsonl, block), expected);
    }
    assert_eq!(through(expected.as_bytes(), Format::Jsonl, Format::Jsonl, 2), expected);
    // serde_json reads back the values written.
    let first: serde_json::Value = serde_json::from_str(expected.lines().next().unwrap()).unwrap();
    assert_eq!(first["text"], "q \" b \\ s / t \t n \n");
    assert_eq!(first["note"], "é中😀");
    // JSON Lines to CSV.
    assert_eq!(
        through(input.as_bytes(), Format::Jsonl, Format::Csv, 2),
        "id,text,note\n1,\"q \"\" b \\ s / t \t n \n\",é中😀\n2,,x\n3,ctl \u{1} \u{8} \u{c},true\n"
    );
}

#[test]
fn csv_quoting() {
    let fields = [&b"a"[..], b"b,c", b"say \"hi\"", b"", b"cr\r", b" sp "];
    let mut row = Vec::new();
    write_csv_record(&mut row, fields);
    assert_eq!(row, b"a,\"b,c\",\"say \"\"hi\"\"\",,\"cr\r\", sp \n");
    // The bytes of the csv crate's writer (what `run` wrote before).
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(fields).unwrap();
    assert_eq!(row, w.into_inner().unwrap());
    row.clear();
    write_csv_record(&mut row, [&b""[..]]);
    assert_eq!(row, b"\"\"\n");
}

#[test]
fn json_lines() {
    let record = json_scalars(br#"{"b":"x\"y","a":1,"c":null,"d":true,"e":-2.5}"#).unwrap();
    let pairs = record.pairs();
    let keys: Vec<&str> = pairs.iter().map(|(k, _)| k.as_ref()).collect();
    assert_eq!(keys, ["b", "a", "c", "d", "e"]);
    let values: Vec<&str> = pairs.iter().map(|(_, v)| v.as_ref()).collect();
    assert_eq!(values, ["x\"y", "1", "", "true", "-2.5"]);
    assert!(matches!(pairs[1].1, Cow::Owned(_)));
    assert!(json_scalars(br#"{"a":{"b":1}}"#).is_err());
    assert!(json_scalars(br#"{"a":[1]}"#).is_err());
    assert!(json_scalars(br#"["a"]"#).is_err());
    assert!(json_scalars(br#"{"a":"b"} x"#).is_err());
    let secret = json_scalars(br#"{"a":"13800138000""#).err().unwrap();
    assert!(!secret.contains("13800138000"));
}

#[test]
fn quoted_newlines_stay_in_their_record() {
    let mut text = String::from("\u{feff}id,h2\n");
    for i in 0..100 {
        text.push_str(&format!("{i},\"multi\nline, \"\"quoted\"\"\"\n"));
    }
    text.push_str("last,row");
    let expected = format!("{}\n", text.trim_start_matches('\u{feff}'));
    for block in [1, 5, 40, 1 << 20] {
        assert_eq!(through(text.as_bytes(), Format::Csv, Format::Csv, block), expected);
    }
}

#[test]
fn malformed_quoting_is_a_row_error_naming_the_column() {
    let err = |text: &[u8]| try_through(text, Format::Csv, Format::Csv, 4).unwrap_err().to_string();
    let unterminated = "malformed quoting: unterminated quoted field";
    assert_eq!(err(b"id,b\n1,x\n2,\"open\n3,y\n"), format!("row 2, column b: {unterminated}"));
    assert_eq!(err(b"id,b\n1,\"x\"\""), format!("row 1, column b: {unterminated}"));
    assert_eq!(err(b"id,\"b\n"), format!("the input's header row, field 2: {unterminated}"));
    // A quote that closes mid-field: never read as two fields.
    assert_eq!(
        err(b"id,city,lat,lon\n1,\"Beijing,\"39.9,116.4\n"),
        "row 1, column city: malformed quoting: a quoted field's closing quote is followed by more text"
    );
    assert_eq!(
        err(b"id,b\n1,ab\"c\n"),
        "row 1, column b: malformed quoting: a quote inside an unquoted field"
    );
    // A field past the header's columns is named by its position.
    assert_eq!(
        err(b"id,b\n1,2,x\"y\n"),
        "row 1, field 3: malformed quoting: a quote inside an unquoted field"
    );
    let ok = |text: &[u8]| try_through(text, Format::Csv, Format::Csv, 4).unwrap();
    assert_eq!(ok(b"id,b\n1,\"x\"\n2,\"y\nz\"\"\"\r\n\n"), "id,b\n1,x\n2,\"y\nz\"\"\"\n");
    assert_eq!(ok(b"id,b\n1,\"x\""), "id,b\n1,x\n");
    assert_eq!(ok(b"id,b"), "id,b\n");

    // Empty inputs.
    let empty = TempFile::new("empty.csv", b"\xEF\xBB\xBF\n\n");
    let e = open(&empty.0, Format::Csv, 4).err().unwrap();
    assert_eq!(e.to_string(), "the input is empty: a CSV input needs a header row");
    let empty = TempFile::new("empty.jsonl", b"\n  \n");
    assert!(open(&empty.0, Format::Jsonl, 4).unwrap().names().is_none());
}
