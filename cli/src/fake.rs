//! `fake`: deterministic synthetic user records (CSV or JSON Lines).

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;

use clap::Args;
use desensitize::fake::{COLUMNS, Faker};
use desensitize::stream::parts::write_csv_record;

use crate::clash::Kept;
use crate::common::{CliError, CliResult, Format};

/// Output buffer: large writes keep a million rows to a few seconds.
const BUFFER: usize = 1 << 20;

/// Arguments of `fake`.
///
/// Columns: user_id (1..=N), name, id_number, mobile, bank_card, email,
/// address, location ("lat,lon"). Every value is valid for its kind. The
/// same seed gives the same bytes with the same version of desensitize.
#[derive(Args, Debug)]
pub struct FakeArgs {
    /// How many records to write.
    #[arg(long, value_name = "N")]
    rows: u64,

    /// Seed of the generator: the same seed gives the same records.
    #[arg(long, default_value_t = 1, value_name = "S")]
    seed: u64,

    /// Output format (default: from the extension of --output, `.jsonl` /
    /// `.ndjson` for JSON Lines, else CSV).
    #[arg(long, value_enum, value_name = "FORMAT")]
    format: Option<Format>,

    /// Write to this file instead of stdout.
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<PathBuf>,
}

/// `fake`.
pub fn fake(args: FakeArgs) -> CliResult {
    let format =
        args.format.or_else(|| args.output.as_deref().and_then(Format::of_path)).unwrap_or(Format::Csv);
    let sink: Box<dyn Write> = match &args.output {
        Some(path) => {
            Kept::new().refuse("the output", path)?;
            Box::new(File::create(path)?)
        }
        None => Box::new(std::io::stdout().lock()),
    };
    let mut out = BufWriter::with_capacity(BUFFER, sink);
    let mut faker = Faker::new(args.seed);
    match format {
        Format::Csv => {
            // The library's CSV writer: the bytes `run` writes (and the csv crate).
            let mut line = Vec::with_capacity(256);
            write_csv_record(&mut line, COLUMNS.iter().map(|c| c.as_bytes()));
            out.write_all(&line)?;
            for user_id in 1..=args.rows {
                line.clear();
                let fields = faker.record().expose_fields(user_id);
                write_csv_record(&mut line, fields.iter().map(|f| f.as_bytes()));
                out.write_all(&line)?;
            }
        }
        Format::Jsonl => {
            for user_id in 1..=args.rows {
                let fields = faker.record().expose_fields(user_id);
                write!(out, "{{\"{}\":{user_id}", COLUMNS[0])?;
                for (name, value) in COLUMNS.iter().zip(&fields).skip(1) {
                    // Names and values need no escaping beyond what JSON
                    // strings need; serde_json does it.
                    write!(out, ",\"{name}\":")?;
                    serde_json::to_writer(&mut out, value).map_err(|e| CliError::failed(e.to_string()))?;
                }
                out.write_all(b"}\n")?;
            }
        }
    }
    out.flush()?;
    Ok(())
}
