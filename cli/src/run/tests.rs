//! Reading and writing through the pipeline, on tricky inputs.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::fs;
use std::path::PathBuf;

use desensitize::policy::{Cells, Plan, Policy};

use super::Format;
use super::input::{ChunkIn, Source, UNTERMINATED, parse_json_line};
use super::output::{JsonRow, csv_row};
use super::pipeline::{Engine, Pass};
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

/// Read `input` with `Source`, pass every column through the engine
/// (unnamed columns kept), and serialize: the whole output file.
fn through(input: &[u8], from: Format, to: Format, chunk_rows: usize) -> String {
    let name = if from == Format::Csv { "in.csv" } else { "in.jsonl" };
    let file = TempFile::new(name, input);
    let policy = Policy::from_toml("unnamed_columns = \"keep\"\n[columns.id]\naction = \"keep\"\n").unwrap();
    let (mut source, header) = Source::open(&file.0, from).unwrap();
    let header = header.unwrap();
    let plan = Plan::from_policy(&policy, &header, None).unwrap();
    let engine = Engine::new(plan.with_text_output(to == Format::Jsonl), from, to);
    let mut out = if to == Format::Csv { csv_row(engine.plan.output_names()).unwrap() } else { Vec::new() };
    let mut chunk = ChunkIn::default();
    let mut buf = Vec::new();
    while source.next_chunk(chunk_rows, &mut chunk).unwrap() {
        let mut o = engine.chunk(&chunk, Pass::Write, buf);
        if let Some(f) = &o.failure {
            panic!("{}", engine.plan.describe(f));
        }
        out.extend_from_slice(&o.data);
        buf = std::mem::take(&mut o.data);
    }
    String::from_utf8(out).unwrap()
}

fn csv_records(text: &str) -> Vec<Vec<String>> {
    let mut rdr = csv::ReaderBuilder::new().has_headers(false).from_reader(text.as_bytes());
    rdr.records().map(|r| r.unwrap().iter().map(str::to_owned).collect()).collect()
}

/// BOM, CRLF and bare CR record ends, blank lines, quotes, embedded
/// commas, quotes and newlines, empty and quoted-empty fields, UTF-8
/// outside the BMP, no newline at the end.
const TRICKY_CSV: &str = "\u{feff}id,text,note\r\n\
    1,\"a,b\",plain\r\n\
    2,\"say \"\"hi\"\"\",\r\n\
    \r\n\
    3,\"multi\nline\r\nfield\",\"\"\n\n\
    4,é中文😀𝄞,\"trailing \"\"\"\r\
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
    for rows in [1, 2, 3, 100] {
        assert_eq!(through(TRICKY_CSV.as_bytes(), Format::Csv, Format::Csv, rows), expected);
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
            let pairs = parse_json_line(l.as_bytes()).unwrap();
            assert_eq!(pairs.iter().map(|(k, _)| k.as_ref()).collect::<Vec<_>>(), header);
            pairs.into_iter().map(|(_, v)| v.into_owned()).collect()
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
    for rows in [1, 2, 100] {
        assert_eq!(through(input.as_bytes(), Format::Jsonl, Format::Jsonl, rows), expected);
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
    let row = csv_row([&b"a"[..], b"b,c", b"say \"hi\"", b"", b"cr\r", b" sp "]).unwrap();
    assert_eq!(row, b"a,\"b,c\",\"say \"\"hi\"\"\",,\"cr\r\", sp \n");
    assert_eq!(csv_row([""]).unwrap(), b"\"\"\n");
}

#[test]
fn json_lines() {
    let pairs = parse_json_line(br#"{"b":"x\"y","a":1,"c":null,"d":true,"e":-2.5}"#).unwrap();
    let keys: Vec<&str> = pairs.iter().map(|(k, _)| k.as_ref()).collect();
    assert_eq!(keys, ["b", "a", "c", "d", "e"]);
    let values: Vec<&str> = pairs.iter().map(|(_, v)| v.as_ref()).collect();
    assert_eq!(values, ["x\"y", "1", "", "true", "-2.5"]);
    assert!(matches!(pairs[1].1, Cow::Owned(_)));
    assert!(parse_json_line(br#"{"a":{"b":1}}"#).is_err());
    assert!(parse_json_line(br#"{"a":[1]}"#).is_err());
    assert!(parse_json_line(br#"["a"]"#).is_err());
    assert!(parse_json_line(br#"{"a":"b"} x"#).is_err());
    let secret = parse_json_line(br#"{"a":"13800138000""#).unwrap_err();
    assert!(!secret.contains("13800138000"));

    let mut cells = Cells::new();
    cells.push("a\"\\\n\u{1}é".as_bytes());
    let mut n = String::new();
    let _ = write!(n, "{}", 42);
    cells.push(n.as_bytes());
    let names = ["k\"1".to_owned(), "k2".to_owned()];
    let text = serde_json::to_string(&JsonRow { names: &names, cells: &cells }).unwrap();
    assert_eq!(text, r#"{"k\"1":"a\"\\\n\u0001é","k2":"42"}"#);
    cells.clear();
    assert_eq!(serde_json::to_string(&JsonRow { names: &[], cells: &cells }).unwrap(), "{}");
}

#[test]
fn source_chunks_keep_quoted_newlines_together() {
    let mut text = String::from("\u{feff}h1,h2\n");
    for i in 0..100 {
        text.push_str(&format!("{i},\"multi\nline, \"\"quoted\"\"\"\n"));
    }
    text.push_str("last,row");
    let file = TempFile::new("in.csv", text.as_bytes());
    let (mut s, header) = Source::open(&file.0, Format::Csv).unwrap();
    assert_eq!(header.unwrap(), ["h1", "h2"]);
    let mut chunk = ChunkIn::default();
    let (mut rows, mut chunks, mut bytes) = (0, 0, "\u{feff}h1,h2\n".len() as u64 - 3);
    while s.next_chunk(7, &mut chunk).unwrap() {
        for r in &chunk.records[..chunk.rows] {
            assert_eq!(r.len(), 2);
            if r.get(0) != Some(&b"last"[..]) {
                assert_eq!(r.get(1).unwrap(), b"multi\nline, \"quoted\"");
            }
        }
        rows += chunk.rows;
        chunks += 1;
        bytes += chunk.bytes;
    }
    assert_eq!(rows, 101);
    assert_eq!(chunks, 101usize.div_ceil(7));
    assert_eq!(bytes, text.len() as u64 - 3);

    // A last record open in quotes would swallow the rest of the input.
    let read_all = |text: &[u8]| -> CliResult<usize> {
        let file = TempFile::new("q.csv", text);
        let (mut s, _) = Source::open(&file.0, Format::Csv)?;
        let mut chunk = ChunkIn::default();
        let mut rows = 0;
        while s.next_chunk(2, &mut chunk)? {
            rows += chunk.rows;
        }
        Ok(rows)
    };
    let err = |r: CliResult<usize>| r.unwrap_err().to_string();
    assert_eq!(err(read_all(b"a,b\n1,x\n2,\"open\n3,y\n")), format!("row 2: {UNTERMINATED}"));
    assert_eq!(err(read_all(b"a,b\n1,\"x\"\"")), format!("row 1: {UNTERMINATED}"));
    assert_eq!(err(read_all(b"a,\"b\n")), format!("the input's header row: {UNTERMINATED}"));
    assert_eq!(read_all(b"a,b\n1,\"x\"\n2,\"y\nz\"\"\"\r\n\n").unwrap(), 2);
    assert_eq!(read_all(b"a,b\n1,\"x\"").unwrap(), 1);
    assert_eq!(read_all(b"a,b\n1,\"x\"tail").unwrap(), 1);
    assert_eq!(read_all(b"a,b").unwrap(), 0);

    // Empty inputs.
    let empty = TempFile::new("empty.csv", b"\xEF\xBB\xBF\n\n");
    assert!(Source::open(&empty.0, Format::Csv).is_err());
    let empty = TempFile::new("empty.jsonl", b"\n  \n");
    let (mut s, header) = Source::open(&empty.0, Format::Jsonl).unwrap();
    assert!(header.is_none());
    assert!(!s.next_chunk(7, &mut chunk).unwrap());
}
