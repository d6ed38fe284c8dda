//! An input opened for the pipeline: its column names read first.

use std::io::Read;

use super::csv::Record;
use super::json::json_scalars;
use super::scan::Chunker;
use super::{Format, Options, StreamError};

/// An input ready for [`process`](super::process), and its column names:
/// the CSV header row (consumed), or the keys of the first JSON Lines
/// record (which stays in the input: it is data too).
///
/// ```
/// use desensitize::stream::parts::Input;
/// use desensitize::stream::{Format, Options};
///
/// let input = Input::new(&b"{\"id\": 1, \"phone\": \"13800138000\"}\n"[..], Format::JsonLines, &Options::new(1))?;
/// assert_eq!(input.names(), Some(&["id".to_owned(), "phone".to_owned()][..]));
/// # Ok::<(), desensitize::stream::StreamError>(())
/// ```
pub struct Input<R> {
    chunker: Chunker<R>,
    names: Option<Vec<String>>,
}

impl<R: Read> Input<R> {
    /// Open `reader` in `format` with `opts`' block size and longest
    /// record, reading the column names. A CSV input needs a header row
    /// ([`StreamError::Empty`]) of UTF-8 names; the first JSON Lines
    /// record must parse (row 1).
    pub fn new(reader: R, format: Format, opts: &Options) -> Result<Input<R>, StreamError> {
        let mut chunker = Chunker::new(reader, format, opts.block, opts.max_record);
        let names = match format {
            Format::Csv => {
                let mut header = Record::new();
                if !chunker.csv_header(&mut header)? {
                    return Err(StreamError::Empty);
                }
                let names = header
                    .iter()
                    .map(|h| std::str::from_utf8(h).map(str::to_owned))
                    .collect::<Result<Vec<String>, _>>()
                    .map_err(|_| StreamError::HeaderNotUtf8)?;
                Some(names)
            }
            Format::JsonLines => match chunker.first_json_line()? {
                None => None,
                Some(line) => {
                    let record = json_scalars(line).map_err(|m| StreamError::Row {
                        row: 1,
                        column: None,
                        reason: m.into(),
                    })?;
                    Some(record.pairs().iter().map(|(k, _)| k.clone().into_owned()).collect())
                }
            },
        };
        Ok(Input { chunker, names })
    }
}

impl<R> Input<R> {
    /// The column names; `None` for a JSON Lines input without records.
    pub fn names(&self) -> Option<&[String]> {
        self.names.as_deref()
    }

    /// Input bytes consumed before the records (byte order mark, CSV header).
    pub fn skipped_bytes(&self) -> u64 {
        self.chunker.skipped_bytes()
    }

    /// The records, for [`process`](super::process).
    pub fn into_chunker(self) -> Chunker<R> {
        self.chunker
    }
}
