//! The pipeline against the csv crate, at every block size, and its
//! malformed-quoting, ordering and memory guarantees.

use std::io::{self, Cursor, Read};
use std::sync::atomic::{AtomicUsize, Ordering};

use proptest::prelude::*;

use super::csv::{CsvRecords, MalformedKind, Record, write_csv_record};
use super::scan::Chunker;
use super::{Done, Format, Options, Row, RowTransform, StreamError, TransformError, process};

/// Writes each record back as CSV (JSON lines as they are), prefixed with
/// its row number; tallies the rows it saw.
struct Echo {
    /// Fail at this row, on this column.
    fail_at: Option<(u64, usize)>,
}

impl RowTransform for Echo {
    type Scratch = Vec<u8>;
    type Tally = Vec<u64>;

    fn scratch(&self) -> Vec<u8> {
        Vec::new()
    }

    fn tally(&self) -> Vec<u64> {
        Vec::new()
    }

    fn row(
        &self,
        num: &mut Vec<u8>,
        tally: &mut Vec<u64>,
        row: u64,
        record: Row<'_>,
        out: &mut Vec<u8>,
    ) -> Result<(), TransformError> {
        num.clear();
        num.extend_from_slice(row.to_string().as_bytes());
        out.extend_from_slice(b"partial");
        if self.fail_at.is_some_and(|(r, _)| r == row) {
            return Err(TransformError { column: self.fail_at.map(|(_, c)| c), reason: "refused".into() });
        }
        out.truncate(out.len() - b"partial".len());
        tally.push(row);
        match record {
            Row::Csv(rec) => write_csv_record(out, std::iter::once(&num[..]).chain(rec.iter())),
            Row::JsonLine(line) => {
                out.extend_from_slice(num);
                out.push(b' ');
                out.extend_from_slice(line);
                out.push(b'\n');
            }
        }
        Ok(())
    }
}

/// The header's fields, the output, the rows seen (in the order the
/// tallies came back).
type CsvRun = (Vec<Vec<u8>>, Vec<u8>, Vec<u64>);

/// Run `Echo` over a CSV input (header read first) and return the header,
/// the output and the rows in the order the tallies arrived.
fn run_csv(input: &[u8], block: usize, opts: &Options) -> Result<CsvRun, StreamError> {
    let mut chunker = Chunker::new(Cursor::new(input.to_vec()), Format::Csv, block, 1 << 20);
    let mut header = Record::new();
    chunker.csv_header(&mut header)?;
    let header = header.iter().map(<[u8]>::to_vec).collect();
    let mut out = Vec::new();
    let mut rows = Vec::new();
    process(chunker, &Echo { fail_at: None }, &mut out, opts, |d: Done<Vec<u64>>| rows.extend(d.tally))?;
    Ok((header, out, rows))
}

/// The records of `input` as the csv crate reads it.
fn csv_crate_records(input: &[u8]) -> Vec<Vec<Vec<u8>>> {
    let mut rdr = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(input);
    rdr.byte_records().map(|r| r.unwrap().iter().map(<[u8]>::to_vec).collect()).collect()
}

/// The records of `input` cut by the chunker at `block` bytes, each chunk
/// parsed on its own; checks the chunker's row counts on the way.
fn chunked_records(input: &[u8], block: usize) -> Vec<Vec<Vec<u8>>> {
    let mut chunker = Chunker::new(Cursor::new(input.to_vec()), Format::Csv, block, 1 << 20);
    let mut buf = Vec::new();
    let mut all = Vec::new();
    let mut rec = Record::new();
    while let Some(cut) = chunker.next_chunk(&mut buf).unwrap() {
        assert!(!cut.truncated);
        let mut records = CsvRecords::new(&buf[..cut.len]);
        let before = all.len();
        while records.next_into(&mut rec).unwrap() {
            all.push(rec.iter().map(<[u8]>::to_vec).collect());
        }
        assert_eq!((all.len() - before) as u64, cut.rows, "the scan counts the records the parser finds");
        assert_eq!(chunker.next_row(), all.len() as u64 + 1);
    }
    all
}

fn field() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(prop::sample::select(b"ab,\"\n\r \xc3\xa9".to_vec()), 0..6)
}

prop_compose! {
    /// Well-formed CSV from the csv crate's writer: fields with quotes,
    /// commas and line ends, `\n` or `\r\n`, quoted always or when needed,
    /// blank lines between records, with or without a final line end.
    fn well_formed()(
        records in prop::collection::vec(prop::collection::vec(field(), 1..4), 0..8),
        crlf in any::<bool>(),
        always in any::<bool>(),
        blank in prop::collection::vec(any::<bool>(), 8),
        last_newline in any::<bool>(),
    ) -> Vec<u8> {
        let term = if crlf { csv::Terminator::CRLF } else { csv::Terminator::Any(b'\n') };
        let style = if always { csv::QuoteStyle::Always } else { csv::QuoteStyle::Necessary };
        let mut out = Vec::new();
        for (i, r) in records.iter().enumerate() {
            let mut w = csv::WriterBuilder::new().terminator(term).quote_style(style).flexible(true).from_writer(vec![]);
            w.write_record(r).unwrap();
            out.extend(w.into_inner().unwrap());
            if blank[i] {
                out.extend_from_slice(if crlf { b"\r\n" } else { b"\n" });
            }
        }
        if !last_newline {
            let term: &[u8] = if crlf { b"\r\n" } else { b"\n" };
            if out.ends_with(term) {
                out.truncate(out.len() - term.len());
            }
        }
        out
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// The bulk writer of back-to-back cells gives the per-field writer's bytes
    /// (fields with and without bytes that need quoting, 0 to 8 of them).
    #[test]
    fn prop_write_csv_values_is_write_csv_record(
        fields in prop::collection::vec(prop_oneof![field(), prop::collection::vec(prop::sample::select(b"ab9-*".to_vec()), 0..20)], 0..8),
    ) {
        use super::csv::write_csv_values;
        let mut values = Vec::new();
        let mut ends = Vec::new();
        for f in &fields {
            values.extend_from_slice(f);
            ends.push(values.len());
        }
        let (mut bulk, mut each) = (b"x".to_vec(), b"x".to_vec());
        write_csv_values(&mut bulk, &values, &ends);
        write_csv_record(&mut each, fields.iter().map(Vec::as_slice));
        prop_assert_eq!(bulk, each);
    }

    #[test]
    fn prop_records_match_csv_crate(input in well_formed()) {
        let expected = csv_crate_records(&input);
        let mut whole = Vec::new();
        let mut records = CsvRecords::new(&input);
        let mut rec = Record::new();
        while records.next_into(&mut rec).unwrap() {
            whole.push(rec.iter().map(<[u8]>::to_vec).collect::<Vec<_>>());
        }
        prop_assert_eq!(&whole, &expected);
        for block in 1..=64 {
            prop_assert_eq!(&chunked_records(&input, block), &expected, "block size {}", block);
        }
    }

    /// Any bytes: the strict parse of the whole input either refuses it or
    /// reads exactly the csv crate's records (no reinterpretation), and the
    /// pipeline, at any block size, gives the same records or the same
    /// first error (row, column, reason).
    #[test]
    fn prop_any_input_strict_or_same_as_csv_crate(
        input in prop::collection::vec(prop::sample::select(b"a,,\"\"\n\r".to_vec()), 0..40)
    ) {
        let mut records = CsvRecords::new(&input);
        let mut rec = Record::new();
        let mut whole = Vec::new();
        let mut echo = Vec::new();
        let whole_error = loop {
            match records.next_into(&mut rec) {
                Ok(true) => {
                    whole.push(rec.iter().map(<[u8]>::to_vec).collect::<Vec<_>>());
                    let row = whole.len().to_string();
                    write_csv_record(&mut echo, std::iter::once(row.as_bytes()).chain(rec.iter()));
                }
                Ok(false) => break None,
                Err(m) => break Some((whole.len() as u64 + 1, m)),
            }
        };
        if whole_error.is_none() {
            prop_assert_eq!(&whole, &csv_crate_records(&input));
        }
        for block in [1, 2, 3, 5, 8, 13, 64] {
            let chunker = Chunker::new(Cursor::new(input.clone()), Format::Csv, block, 1 << 20);
            let mut out = Vec::new();
            let result = process(chunker, &Echo { fail_at: None }, &mut out, &Options::new(2), |_| {});
            match (&whole_error, result) {
                (None, Ok(totals)) => {
                    prop_assert_eq!(totals.rows, whole.len() as u64);
                    prop_assert_eq!(&out, &echo);
                }
                (Some((row, m)), Err(StreamError::Row { row: r, column, reason })) => {
                    prop_assert_eq!((r, column, reason), (*row, Some(m.column), m.kind.reason()));
                }
                (expected, got) => prop_assert!(false, "block {}: whole input {:?}, pipeline {:?}", block, expected, got.map(|_| ())),
            }
        }
    }

    #[test]
    fn prop_writer_matches_csv_crate(records in prop::collection::vec(prop::collection::vec(field(), 0..4), 0..6)) {
        let mut w = csv::WriterBuilder::new().flexible(true).from_writer(vec![]);
        let mut ours = Vec::new();
        for r in &records {
            w.write_record(r).unwrap();
            write_csv_record(&mut ours, r.iter().map(Vec::as_slice));
        }
        prop_assert_eq!(ours, w.into_inner().unwrap());
    }
}

#[test]
fn newline_inside_quotes_across_every_block_edge() {
    let input = b"id,note\n1,\"line one\nline two, \"\"quoted\"\"\r\nthree\"\r\n2,plain\n3,\"\"\n";
    let expected = csv_crate_records(input);
    assert_eq!(expected[1][1], b"line one\nline two, \"quoted\"\r\nthree");
    for block in 1..=input.len() + 1 {
        assert_eq!(chunked_records(input, block), expected, "block size {block}");
    }
}

#[test]
fn header_with_quotes_then_rows_in_order() {
    let input = b"\xEF\xBB\xBF\"id, no\",\"say \"\"hi\"\"\"\r\n1,a\r\n\r\n2,\"b\nc\"\r\n3,d";
    for block in [1, 2, 5, 64, 1 << 20] {
        let (header, out, rows) = run_csv(input, block, &Options::new(3)).unwrap();
        assert_eq!(header, [b"id, no".to_vec(), b"say \"hi\"".to_vec()]);
        assert_eq!(out, b"1,1,a\n2,2,\"b\nc\"\n3,3,d\n");
        assert_eq!(rows, [1, 2, 3]);
    }
}

#[test]
fn empty_input() {
    for input in [&b""[..], b"\xEF\xBB\xBF", b"\n\r\n"] {
        let mut chunker = Chunker::new(Cursor::new(input.to_vec()), Format::Csv, 4, 64);
        assert!(!chunker.csv_header(&mut Record::new()).unwrap());
        let mut out = Vec::new();
        let totals = process(chunker, &Echo { fail_at: None }, &mut out, &Options::new(2), |_| {}).unwrap();
        assert_eq!((totals.rows, out.len()), (0, 0));
    }
    let (header, out, _) = run_csv(b"a,b", 2, &Options::new(1)).unwrap();
    assert_eq!((header.len(), out.len()), (2, 0));
}

/// Run `Echo` on a CSV input and return the error.
fn csv_error(input: &[u8], block: usize, max_record: usize) -> StreamError {
    let mut chunker = Chunker::new(Cursor::new(input.to_vec()), Format::Csv, block, max_record);
    if let Err(e) = chunker.csv_header(&mut Record::new()) {
        return e;
    }
    process(chunker, &Echo { fail_at: None }, &mut Vec::new(), &Options::new(2), |_| {}).unwrap_err()
}

fn assert_row_error(e: StreamError, row: u64, column: usize, kind: MalformedKind) {
    match e {
        StreamError::Row { row: r, column: c, reason } => {
            assert_eq!((r, c, reason), (row, Some(column), kind.reason()));
        }
        other => panic!("expected a row error, got {other:?}"),
    }
}

#[test]
fn quote_closing_mid_field_is_a_row_error_not_a_reinterpretation() {
    // The csv crate reads `Beijing,39.9` into the second field.
    let input = b"id,city,lat,lon\n0,x,1,2\n1,\"Beijing,\"39.9,116.4\"\n2,y,3,4\n";
    assert_eq!(csv_crate_records(input)[2], [b"1".to_vec(), b"Beijing,39.9".to_vec(), b"116.4\"".to_vec()]);
    for block in [1, 7, 16, 1 << 20] {
        let e = csv_error(input, block, 1 << 20);
        assert_eq!(
            e.to_string(),
            format!("row 2, column 2: {}", MalformedKind::QuoteClosesMidField.reason())
        );
        assert_row_error(e, 2, 1, MalformedKind::QuoteClosesMidField);
    }
}

#[test]
fn other_malformed_quoting() {
    let cases: [(&[u8], u64, usize, MalformedKind); 6] = [
        (b"a,b\n1,ab\"c\n", 1, 1, MalformedKind::QuoteInUnquotedField),
        (b"a,b\n1,2\n3,\"open\n4,5\n", 2, 1, MalformedKind::Unterminated),
        (b"a,b\n1,2\r3,4\n", 1, 1, MalformedKind::BareCarriageReturn),
        (b"a,b\n1,\"x\"\ry\n", 1, 1, MalformedKind::BareCarriageReturn),
        (b"a,\"b\"c\n1,2\n", 0, 1, MalformedKind::QuoteClosesMidField),
        (b"a,b\n1,\"x\" \n", 1, 1, MalformedKind::QuoteClosesMidField),
    ];
    for (input, row, column, kind) in cases {
        for block in [1, 3, 1 << 20] {
            assert_row_error(csv_error(input, block, 1 << 20), row, column, kind);
        }
    }
}

#[test]
fn record_longer_than_a_block_grows_and_longer_than_the_limit_stops() {
    let long = "x".repeat(300);
    let input = format!("a,b\n1,\"{long}\n{long}\"\n2,{long}\n");
    let (_, out, rows) = run_csv(input.as_bytes(), 8, &Options::new(2)).unwrap();
    assert_eq!(rows, [1, 2]);
    assert_eq!(out, format!("1,1,\"{long}\n{long}\"\n2,2,{long}\n").as_bytes());
    assert!(matches!(csv_error(input.as_bytes(), 8, 200), StreamError::TooLong { row: 1 }));
    // A stray quote makes the scan see one endless record: the worker names
    // the row and the column, not a length.
    let stray = format!("a,b\n1,ab\"c\n{}", "2,x\n".repeat(200));
    assert_row_error(csv_error(stray.as_bytes(), 8, 100), 1, 1, MalformedKind::QuoteInUnquotedField);
    let stray_header = format!("a,b\"c\n{}", "2,x\n".repeat(200));
    assert_row_error(csv_error(stray_header.as_bytes(), 8, 100), 0, 1, MalformedKind::QuoteInUnquotedField);
    let long_header = format!("a,\"{long}\"\n1,2\n");
    assert!(matches!(csv_error(long_header.as_bytes(), 8, 200), StreamError::TooLong { row: 0 }));
}

#[test]
fn order_and_row_numbers_hold_with_many_threads() {
    let mut input = b"n\n".to_vec();
    let mut expected = Vec::new();
    for i in 1..=5000u64 {
        input.extend_from_slice(format!("v{i}\n").as_bytes());
        expected.extend_from_slice(format!("{i},v{i}\n").as_bytes());
    }
    for (threads, block) in [(1, 64), (8, 64), (16, 1000), (4, 1 << 20)] {
        let (_, out, rows) = run_csv(&input, block, &Options::new(threads)).unwrap();
        assert!(out == expected, "{threads} threads, block {block}");
        assert_eq!(rows, (1..=5000).collect::<Vec<_>>());
    }
}

#[test]
fn transform_error_stops_at_its_global_row() {
    let mut input = b"n\n".to_vec();
    for i in 1..=1000 {
        input.extend_from_slice(format!("{i}\n").as_bytes());
    }
    let chunker = {
        let mut c = Chunker::new(Cursor::new(input), Format::Csv, 32, 1 << 20);
        c.csv_header(&mut Record::new()).unwrap();
        c
    };
    let mut out = Vec::new();
    let mut last = 0;
    let e = process(
        chunker,
        &Echo { fail_at: Some((700, 0)) },
        &mut out,
        &Options::new(4),
        |d: Done<Vec<u64>>| last = d.tally.last().copied().unwrap_or(last),
    )
    .unwrap_err();
    assert!(matches!(e, StreamError::Row { row: 700, column: Some(0), .. }));
    assert_eq!(last, 699);
    assert!(out.ends_with(b"699,699\n") && !out.windows(7).any(|w| w == b"partial"));
}

/// Counts the chunks alive (tally made, not yet handed back) and keeps the
/// highest count.
struct Gauge {
    live: AtomicUsize,
    peak: AtomicUsize,
}

impl RowTransform for Gauge {
    type Scratch = ();
    type Tally = ();

    fn scratch(&self) {}

    fn tally(&self) {
        let now = self.live.fetch_add(1, Ordering::SeqCst) + 1;
        self.peak.fetch_max(now, Ordering::SeqCst);
    }

    fn row(
        &self,
        _: &mut (),
        _: &mut (),
        _: u64,
        _: Row<'_>,
        out: &mut Vec<u8>,
    ) -> Result<(), TransformError> {
        out.push(b'.');
        Ok(())
    }
}

/// Counts the bytes read from the input.
struct Metered<'a>(Cursor<Vec<u8>>, &'a AtomicUsize);

impl Read for Metered<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.0.read(buf)?;
        self.1.fetch_add(n, Ordering::SeqCst);
        Ok(n)
    }
}

#[test]
fn chunks_in_flight_stay_bounded_behind_a_slow_writer() {
    let input = "0123456789abcde\n".repeat(20_000).into_bytes();
    let read = AtomicUsize::new(0);
    let gauge = Gauge { live: AtomicUsize::new(0), peak: AtomicUsize::new(0) };
    let chunker = Chunker::new(Metered(Cursor::new(input.clone()), &read), Format::Csv, 1024, 1 << 20);
    let opts = Options { in_flight: 5, ..Options::new(4) };
    let ahead = std::sync::Mutex::new(0usize);
    let mut written = 0usize;
    let totals = process(chunker, &gauge, &mut io::sink(), &opts, |d: Done<()>| {
        written += d.bytes as usize;
        // The reader is never more than the slots ahead of the writer.
        let mut a = ahead.lock().unwrap();
        *a = (*a).max(read.load(Ordering::SeqCst) - written);
        gauge.live.fetch_sub(1, Ordering::SeqCst);
        std::thread::sleep(std::time::Duration::from_micros(200));
    })
    .unwrap();
    assert_eq!(totals.rows, 20_000);
    assert!(gauge.peak.load(Ordering::SeqCst) <= 5, "peak {}", gauge.peak.load(Ordering::SeqCst));
    let ahead = *ahead.lock().unwrap();
    assert!(ahead <= 6 * 1024, "the reader ran {ahead} bytes ahead");
}

/// A reader that fails after its first bytes.
struct Broken(usize);

impl Read for Broken {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.0 == 0 {
            return Err(io::Error::new(io::ErrorKind::PermissionDenied, "secret path"));
        }
        let n = buf.len().min(self.0);
        buf[..n].fill(b'\n');
        self.0 -= n;
        Ok(n)
    }
}

#[test]
fn read_error_stops_the_pipeline() {
    let chunker = Chunker::new(Broken(5000), Format::Csv, 64, 1 << 20);
    let e = process(chunker, &Echo { fail_at: None }, &mut Vec::new(), &Options::new(2), |_| {}).unwrap_err();
    assert!(matches!(e, StreamError::Read(io::ErrorKind::PermissionDenied)));
}

#[test]
fn json_lines_rows_skip_blank_lines() {
    let input = b"\xEF\xBB\xBF\n  \n{\"a\":1}\r\n\n{\"a\":\"x\\ny\"}\n \t\n{\"a\":3}";
    for block in [1, 4, 9, 1 << 20] {
        let mut chunker = Chunker::new(Cursor::new(input.to_vec()), Format::JsonLines, block, 1 << 20);
        assert_eq!(chunker.first_json_line().unwrap(), Some(&b"{\"a\":1}\r"[..]));
        let mut out = Vec::new();
        let mut rows = Vec::new();
        let totals =
            process(chunker, &Echo { fail_at: None }, &mut out, &Options::new(3), |d: Done<Vec<u64>>| {
                rows.extend(d.tally)
            })
            .unwrap();
        assert_eq!(out, b"1 {\"a\":1}\r\n2 {\"a\":\"x\\ny\"}\n3 {\"a\":3}\n", "block {block}");
        assert_eq!((rows, totals.rows), (vec![1, 2, 3], 3));
    }
    let mut empty = Chunker::new(Cursor::new(b"\n \n".to_vec()), Format::JsonLines, 2, 64);
    assert_eq!(empty.first_json_line().unwrap(), None);
    let long = Chunker::new(
        Cursor::new(format!("{{}}\n{}\n", "x".repeat(100)).into_bytes()),
        Format::JsonLines,
        8,
        50,
    );
    let e = process(long, &Echo { fail_at: None }, &mut Vec::new(), &Options::new(1), |_| {}).unwrap_err();
    assert!(matches!(e, StreamError::TooLong { row: 2 }));
}

/// Panics at row 50.
struct Panics;

impl RowTransform for Panics {
    type Scratch = ();
    type Tally = ();

    fn scratch(&self) {}

    fn tally(&self) {}

    fn row(
        &self,
        _: &mut (),
        _: &mut (),
        row: u64,
        _: Row<'_>,
        _: &mut Vec<u8>,
    ) -> Result<(), TransformError> {
        assert_ne!(row, 50, "the transform gives up");
        Ok(())
    }
}

#[test]
fn a_panicking_transform_stops_the_pipeline_without_hanging() {
    let input = "1\n".repeat(1000).into_bytes();
    let chunker = Chunker::new(Cursor::new(input), Format::Csv, 16, 1 << 20);
    let mut rows = 0;
    let e = process(
        chunker,
        &Panics,
        &mut Vec::new(),
        &Options { in_flight: 4, ..Options::new(3) },
        |d: Done<()>| rows += d.rows,
    )
    .unwrap_err();
    assert!(matches!(e, StreamError::WorkerLost));
    assert!(rows < 50);
}

proptest! {
    /// The eight-bytes-at-a-time search finds the first special byte, as a
    /// byte-by-byte search does, wherever it is (before, in and after words).
    #[test]
    fn find_special_matches_a_bytewise_search(
        data in proptest::collection::vec(prop_oneof![
            1 => Just(b','), 1 => Just(b'"'), 1 => Just(b'\n'), 1 => Just(b'\r'), 30 => Just(b'a'), 3 => Just(0x80u8),
            3 => Just(0xFFu8), 3 => Just(0u8), 3 => Just(0x2Bu8), 3 => Just(0x2Du8), 3 => Just(0x0Bu8), 3 => Just(0x21u8),
        ], 0..40),
        from in 0usize..40,
    ) {
        let from = from.min(data.len());
        let naive = data[from..].iter().position(|b| matches!(b, b',' | b'"' | b'\n' | b'\r'))
            .map_or(data.len(), |i| from + i);
        prop_assert_eq!(super::csv::find_special(&data, from), naive);
    }
}
