//! Strict CSV records: a parser that refuses malformed quoting instead of
//! reinterpreting it, and the matching serializer.
//!
//! The grammar is RFC 4180 with `,` between fields and `\n` or `\r\n` after
//! a record (the last record may end without one). A field is either
//! unquoted (no `"`, no bare `\r`) or wholly quoted (`""` is one quote
//! inside). Empty lines between records are skipped, as the csv crate
//! does. Anything else is [`Malformed`]: a quote that closes mid-field
//! (`"Beijing,"39.9`), a quote inside an unquoted field (`ab"c`), a bare
//! `\r` outside quotes, a quoted field still open at the end of the input.
//! On well-formed input the records are exactly those of the csv crate
//! (`tests::prop_records_match_csv_crate`).

use std::borrow::Cow;

use zeroize::Zeroize;

use crate::policy::Fields;

/// One parsed CSV record: its fields, unescaped, in one buffer that a
/// worker reuses from record to record (and wipes when it is dropped).
///
/// The grammar is RFC 4180 with `,` between fields and `\n` or `\r\n`
/// after a record; a field is unquoted (no `"`, no bare `\r`) or wholly
/// quoted (`""` is one quote inside); empty lines are skipped. Anything else
/// is a row error. As the policy's [`Fields`], each field is checked
/// for UTF-8 only when it is read as text.
#[derive(Default)]
pub struct Record {
    data: Vec<u8>,
    ends: Vec<usize>,
}

impl Record {
    /// An empty record.
    pub fn new() -> Record {
        Record::default()
    }

    /// The number of fields.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether the record has no fields.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Field `i` (0-based), unescaped.
    pub fn get(&self, i: usize) -> Option<&[u8]> {
        let end = *self.ends.get(i)?;
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        Some(&self.data[start..end])
    }

    /// The fields in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &[u8]> + '_ {
        (0..self.len()).map(|i| self.get(i).unwrap_or_default())
    }

    fn clear(&mut self) {
        self.data.clear();
        self.ends.clear();
    }
}

/// A CSV record as the plan reads it.
impl Fields for Record {
    fn len(&self) -> usize {
        Record::len(self)
    }

    fn is_empty(&self) -> bool {
        Record::is_empty(self)
    }

    fn field(&self, i: usize) -> &[u8] {
        self.get(i).unwrap_or_default()
    }

    /// Fields are checked for UTF-8 one by one, and only those used: checking
    /// whole records costs more (names, addresses).
    fn text(&self, i: usize) -> Option<&str> {
        std::str::from_utf8(self.field(i)).ok()
    }
}

impl Drop for Record {
    fn drop(&mut self) {
        self.data.zeroize();
    }
}

/// Why a record is refused; names the field (0-based column), never its bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Malformed {
    /// The 0-based index of the field where the quoting goes wrong.
    pub column: usize,
    /// What goes wrong.
    pub kind: MalformedKind,
}

/// The kinds of malformed quoting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum MalformedKind {
    /// A quoted field's closing quote is followed by something other than
    /// `,`, a line end or the end of the input.
    QuoteClosesMidField,
    /// A `"` inside a field that does not start with one.
    QuoteInUnquotedField,
    /// A `\r` outside quotes that is not part of a `\r\n` line end.
    BareCarriageReturn,
    /// A quoted field still open at the end of the input (or of the
    /// longest record allowed).
    Unterminated,
}

impl MalformedKind {
    /// The reason, for messages (never holds input bytes).
    pub(crate) fn reason(self) -> Cow<'static, str> {
        Cow::Borrowed(match self {
            MalformedKind::QuoteClosesMidField => {
                "malformed quoting: a quoted field's closing quote is followed by more text"
            }
            MalformedKind::QuoteInUnquotedField => "malformed quoting: a quote inside an unquoted field",
            MalformedKind::BareCarriageReturn => {
                "malformed CSV: a carriage return outside quotes that does not end a line"
            }
            MalformedKind::Unterminated => "malformed quoting: unterminated quoted field",
        })
    }
}

/// Bytes that end an unquoted run: delimiter, quote, line ends.
const SPECIAL: [bool; 256] = {
    let mut t = [false; 256];
    t[b',' as usize] = true;
    t[b'"' as usize] = true;
    t[b'\n' as usize] = true;
    t[b'\r' as usize] = true;
    t
};

/// The index of the first [`SPECIAL`] byte of `data` at or after `from`
/// (`data.len()` when there is none). Eight bytes at a time (SWAR): the
/// profile of `run` showed the byte-at-a-time loop as the parser's main
/// cost; fields of `fake`-like data are 10 to 60 bytes long.
#[inline]
pub(super) fn find_special(data: &[u8], from: usize) -> usize {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    // High bit set in each byte of `w` equal to `b`; bits above the first
    // match may be spurious (borrows), the lowest set bit is exact.
    #[inline(always)]
    fn eq(w: u64, b: u8) -> u64 {
        let x = w ^ (LO * u64::from(b));
        x.wrapping_sub(LO) & !x & HI
    }
    let mut i = from;
    while let Some(bytes) = data.get(i..i + 8) {
        let w = u64::from_le_bytes(bytes.try_into().expect("8 bytes"));
        let m = eq(w, b',') | eq(w, b'"') | eq(w, b'\n') | eq(w, b'\r');
        if m != 0 {
            return i + (m.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while i < data.len() && !SPECIAL[data[i] as usize] {
        i += 1;
    }
    i
}

/// Reads strict CSV records out of a byte slice (a chunk cut at record
/// boundaries, or a whole input).
pub(crate) struct CsvRecords<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> CsvRecords<'a> {
    /// Records of `data`, from its start.
    pub(crate) fn new(data: &'a [u8]) -> CsvRecords<'a> {
        CsvRecords { data, pos: 0 }
    }

    /// Read the next record into `rec` (cleared first): `Ok(false)` at the end.
    pub(crate) fn next_into(&mut self, rec: &mut Record) -> Result<bool, Malformed> {
        rec.clear();
        let data = self.data;
        // Empty lines (`\n`, `\r\n`, stray `\r`s before a line end) are skipped.
        while self.pos < data.len() && matches!(data[self.pos], b'\n' | b'\r') {
            if data[self.pos] == b'\r' && !matches!(data.get(self.pos + 1), Some(b'\n' | b'\r') | None) {
                return Err(Malformed { column: 0, kind: MalformedKind::BareCarriageReturn });
            }
            self.pos += 1;
        }
        if self.pos == data.len() {
            return Ok(false);
        }
        loop {
            let column = rec.ends.len();
            let bad = |kind| Malformed { column, kind };
            if data.get(self.pos) == Some(&b'"') {
                self.pos += 1;
                loop {
                    let Some(q) = memchr::memchr(b'"', &data[self.pos..]) else {
                        return Err(bad(MalformedKind::Unterminated));
                    };
                    rec.data.extend_from_slice(&data[self.pos..self.pos + q]);
                    self.pos += q + 1;
                    if data.get(self.pos) == Some(&b'"') {
                        rec.data.push(b'"');
                        self.pos += 1;
                    } else {
                        break;
                    }
                }
                match data.get(self.pos) {
                    Some(b',' | b'\n' | b'\r') | None => {}
                    Some(_) => return Err(bad(MalformedKind::QuoteClosesMidField)),
                }
            } else {
                let start = self.pos;
                let end = find_special(data, start);
                if data.get(end) == Some(&b'"') {
                    return Err(bad(MalformedKind::QuoteInUnquotedField));
                }
                rec.data.extend_from_slice(&data[start..end]);
                self.pos = end;
            }
            rec.ends.push(rec.data.len());
            // The field ends at a delimiter, a line end or the end of the input.
            match data.get(self.pos) {
                Some(b',') => self.pos += 1,
                Some(b'\n') => {
                    self.pos += 1;
                    return Ok(true);
                }
                Some(b'\r') => match data.get(self.pos + 1) {
                    Some(b'\n') => {
                        self.pos += 2;
                        return Ok(true);
                    }
                    None => {
                        self.pos += 1;
                        return Ok(true);
                    }
                    Some(_) => return Err(bad(MalformedKind::BareCarriageReturn)),
                },
                None => return Ok(true),
                Some(_) => unreachable!("a field ends only at a special byte"),
            }
        }
    }
}

/// Append one CSV record and its `\n` to `out`, quoting a field only when
/// it holds `,`, `"`, `\r` or `\n` (and a lone empty field, so that the
/// record is not an empty line): the bytes the csv crate's writer gives.
///
/// ```
/// use desensitize::stream::parts::write_csv_record;
///
/// let mut out = Vec::new();
/// write_csv_record(&mut out, [&b"a"[..], b"b,c", b"say \"hi\""]);
/// assert_eq!(out, b"a,\"b,c\",\"say \"\"hi\"\"\"\n");
/// ```
pub fn write_csv_record<'a>(out: &mut Vec<u8>, fields: impl IntoIterator<Item = &'a [u8]>) {
    let start = out.len();
    let mut n = 0;
    for field in fields {
        if n > 0 {
            out.push(b',');
        }
        n += 1;
        write_csv_field(out, field);
    }
    if n <= 1 && out.len() == start {
        out.extend_from_slice(b"\"\"");
    }
    out.push(b'\n');
}

/// [`write_csv_record`] for fields stored back to back in `values`, field
/// `i` ending at `ends[i]` (the layout of the policy's output cells): the
/// same bytes. When no field needs quoting (one scan over all of them,
/// eight bytes at a time, instead of one per short field) the fields are
/// copied with commas between, into room reserved once.
pub(crate) fn write_csv_values(out: &mut Vec<u8>, values: &[u8], ends: &[usize]) {
    if ends.len() < 2 || ends.last() != Some(&values.len()) || find_special(values, 0) != values.len() {
        let mut start = 0;
        let fields = ends.iter().map(|&end| {
            let field = values.get(start..end).unwrap_or_default();
            start = end;
            field
        });
        return write_csv_record(out, fields);
    }
    out.reserve(values.len() + ends.len());
    let mut start = 0;
    for &end in ends {
        out.extend_from_slice(&values[start..end]);
        out.push(b',');
        start = end;
    }
    // The last comma becomes the record's line end.
    if let Some(last) = out.last_mut() {
        *last = b'\n';
    }
}

/// Append one field, quoted when it needs to be (no delimiter, no terminator).
pub(crate) fn write_csv_field(out: &mut Vec<u8>, field: &[u8]) {
    if find_special(field, 0) == field.len() {
        out.extend_from_slice(field);
        return;
    }
    out.push(b'"');
    let mut rest = field;
    while let Some(q) = memchr::memchr(b'"', rest) {
        out.extend_from_slice(&rest[..=q]);
        out.push(b'"');
        rest = &rest[q + 1..];
    }
    out.extend_from_slice(rest);
    out.push(b'"');
}
