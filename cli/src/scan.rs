//! `desensitize scan`: which columns of a CSV / JSON Lines file, or of a
//! PostgreSQL table (feature `postgres`), hold which kinds of personal data
//! (counts and shares, never a value), and a draft policy for `desensitize
//! run`, through the library's `detect::scan_columns` / `detect::ColumnScan`.

use std::fs::File;
use std::io::BufReader;
use std::path::PathBuf;

use clap::Args;
use desensitize::Kind;
use desensitize::detect::{ColumnStats, DEFAULT_MIN_CONFIDENCE, Detector, draft_policy, scan_columns};
use desensitize::stream::Options;

use crate::common::{CliError, CliResult, Format, file_error, note, parse_kind};

#[derive(Args, Debug)]
#[command(after_help = SCAN_HELP)]
pub struct ScanArgs {
    /// The CSV (with a header row) or JSON Lines file to scan (without it:
    /// the PostgreSQL table --table).
    #[arg(required_unless_present = "table")]
    input: Option<PathBuf>,
    /// The input format (default: from the file name, else CSV).
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// Also write a draft policy (TOML) for `desensitize run` here.
    #[arg(long, value_name = "POLICY.toml")]
    draft_policy: Option<PathBuf>,
    /// Without FILE: the PostgreSQL table to scan (`name` or `schema.name`;
    /// feature `postgres`), its text columns only. Also the `table` of the
    /// draft policy (sealing context; default `scanned`).
    #[arg(long, value_name = "TABLE")]
    table: Option<String>,
    /// Without FILE: scan at most this many rows of the table (the first
    /// ones the server returns), the first 65,536 characters of each value,
    /// in a read-only transaction.
    #[arg(long, value_name = "ROWS", default_value_t = 100_000, requires = "table")]
    limit: u64,
    #[command(flatten)]
    url: crate::db_url::UrlArgs,
    /// Look only for these kinds (comma-separated; default: every detectable kind).
    #[arg(long, value_delimiter = ',', value_parser = parse_kind, value_name = "KIND,...")]
    kinds: Vec<Kind>,
    /// Count only values at least this sure (0 to 1).
    #[arg(long, default_value_t = DEFAULT_MIN_CONFIDENCE, value_name = "P")]
    min_confidence: f32,
    /// Worker threads (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
}

const SCAN_HELP: &str = "Examples:\n  \
    desensitize scan legacy.csv --draft-policy policy.toml\n  \
    DESENSITIZE_PG_URL=postgres://app@db/app desensitize scan --table crm.customers --limit 50000";

pub fn scan(args: ScanArgs) -> CliResult {
    let detector = crate::redact::detector(&args.kinds, args.min_confidence)?;
    let stats = match &args.input {
        Some(path) => scan_file(&args, path, &detector)?,
        None => scan_table(&args, &detector)?,
    };
    print_report(&stats);
    if let Some(path) = &args.draft_policy {
        let table = args.table.as_deref().unwrap_or("scanned");
        std::fs::write(path, draft_policy(table, &stats))
            .map_err(|e| CliError::usage(format!("cannot write {}: {}", path.display(), e.kind())))?;
        note(format!("draft policy written to {}: review the REVIEW columns before use", path.display()));
    }
    Ok(())
}

fn scan_file(args: &ScanArgs, path: &std::path::Path, detector: &Detector) -> CliResult<Vec<ColumnStats>> {
    let format = args.format.or_else(|| Format::of_path(path)).unwrap_or(Format::Csv);
    let file = File::open(path).map_err(|e| file_error("input file", path, &e, ""))?;
    let threads = args.threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    scan_columns(BufReader::new(file), format.stream(), detector, &Options::new(threads))
        .map_err(|e| CliError::failed(e.to_string()))
}

#[cfg(not(feature = "postgres"))]
fn scan_table(_: &ScanArgs, _: &Detector) -> CliResult<Vec<ColumnStats>> {
    Err(CliError::usage(
        "scanning a table needs PostgreSQL support; rebuild with `cargo build -p desensitize-cli --features postgres`",
    ))
}

#[cfg(feature = "postgres")]
fn scan_table(args: &ScanArgs, detector: &Detector) -> CliResult<Vec<ColumnStats>> {
    let table = args.table.as_deref().unwrap_or_default();
    let url = args.url.resolve()?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::failed(format!("cannot start the async runtime: {}", e.kind())))?;
    runtime.block_on(pg::scan(&url, table, args.limit, detector))
}

/// The per-column table on stdout: counts and shares, never a value.
fn print_report(stats: &[ColumnStats]) {
    println!(
        "{:<24} {:>8}  {:<20} {:>8} {:>7}  inside free text",
        "column", "values", "kind", "valid", "share"
    );
    for c in stats {
        let (kind, valid, share) = match c.suggested() {
            Some((k, share)) => {
                let n = (share * c.values as f64).round() as u64;
                (k.as_str().to_owned(), n.to_string(), format!("{:.1}%", share * 100.0))
            }
            None => ("-".to_owned(), "-".to_owned(), "-".to_owned()),
        };
        let inside: Vec<String> = c.inside_kinds().map(|(k, n)| format!("{} {n}", k.as_str())).collect();
        let inside = if inside.is_empty() { "-".to_owned() } else { inside.join(", ") };
        println!("{:<24} {:>8}  {kind:<20} {valid:>8} {share:>7}  {inside}", c.name, c.values);
    }
}

/// Reading a bounded sample of a table's text columns.
#[cfg(feature = "postgres")]
mod pg {
    use desensitize::detect::{ColumnScan, ColumnStats, Detector};
    use sqlx::{Connection, Row};
    use zeroize::Zeroizing;

    use crate::common::{CliError, CliResult};
    use crate::db::db_error;

    /// Rows fetched per round trip: what is held in memory at once.
    const BATCH: u64 = 1_000;
    const FETCH: &str = "FETCH 1000 FROM desensitize_scan";
    /// Characters of one value read (the rest is not scanned): a sample's
    /// memory is bounded by rows x columns x this, whatever the table holds.
    const MAX_CHARS: u32 = 65_536;

    /// The table's name as the server quotes it, and its text columns
    /// (string category: text, varchar, char, name, citext, ...), each as
    /// (quoted, name), in column order. The name the user gave is resolved
    /// by the server (`regclass`), never pasted into SQL.
    const COLUMNS: &str = "SELECT $1::regclass::text, quote_ident(a.attname), a.attname::text \
        FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid \
        WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped AND t.typcategory = 'S' \
        ORDER BY a.attnum";

    pub async fn scan(
        url: &str,
        table: &str,
        limit: u64,
        detector: &Detector,
    ) -> CliResult<Vec<ColumnStats>> {
        let mut conn = sqlx::PgConnection::connect(url).await.map_err(db_error)?;
        let columns = sqlx::query(COLUMNS).bind(table).fetch_all(&mut conn).await.map_err(|e| match &e {
            sqlx::Error::Database(d) if d.code().as_deref() == Some("42P01") => {
                CliError::usage(format!("no table {table} in that database"))
            }
            _ => db_error(e),
        })?;
        if columns.is_empty() {
            return Err(CliError::usage(format!("table {table} has no text columns to scan")));
        }
        let from: String = columns[0].try_get(0).map_err(db_error)?;
        let mut quoted = Vec::with_capacity(columns.len());
        let mut names = Vec::with_capacity(columns.len());
        for row in &columns {
            let column: String = row.try_get(1).map_err(db_error)?;
            quoted.push(format!("left({column}::text, {MAX_CHARS})"));
            names.push(row.try_get::<String, _>(2).map_err(db_error)?);
        }
        let mut scan = ColumnScan::new(detector, &names);
        let mut tx = conn.begin().await.map_err(db_error)?;
        sqlx::query("SET TRANSACTION READ ONLY").execute(&mut *tx).await.map_err(db_error)?;
        let declare = format!(
            "DECLARE desensitize_scan NO SCROLL CURSOR FOR SELECT {} FROM {from} LIMIT {limit}",
            quoted.join(", ")
        );
        // Identifiers quoted by the server (`regclass`, `quote_ident`), a number: nothing the user typed.
        sqlx::query(sqlx::AssertSqlSafe(declare)).execute(&mut *tx).await.map_err(db_error)?;
        loop {
            let rows = sqlx::query(FETCH).fetch_all(&mut *tx).await.map_err(db_error)?;
            for row in &rows {
                for i in 0..names.len() {
                    let value: Option<String> = row.try_get(i).map_err(db_error)?;
                    if let Some(value) = value.map(Zeroizing::new) {
                        scan.count(i, &value);
                    }
                }
            }
            if (rows.len() as u64) < BATCH {
                break;
            }
        }
        // Read-only: nothing to keep.
        tx.rollback().await.map_err(db_error)?;
        Ok(scan.finish())
    }
}
