//! `db rotate`: move the sealed columns of a PostgreSQL table to the
//! keyring's active key, resumably (the library's `desensitize::db::rotate`
//! with its sqlx store). Built with the `postgres` feature.
//!
//! Nothing printed holds a value or the URL: progress counts, row keys of
//! values that failed to open, and value-free errors (a database error
//! shows its SQLSTATE code only: server messages can quote row contents).

use clap::{Args, Subcommand};

use crate::common::{CliError, CliResult, KeyArgs};

/// `db` subcommands.
#[derive(Subcommand, Debug)]
pub enum DbCommand {
    /// Re-seal every value of the given sealed TEXT columns that is not under
    /// the keyring's active key (run `keys rotate` first), recomputing blind
    /// indexes; batched by primary key, compare-and-swap beside live writes,
    /// resumable after an interruption (checkpoint table
    /// desensitize_rotation_checkpoint). Prints a JSON summary on stdout;
    /// exits 1 while values remain under old keys.
    #[command(after_help = ROTATE_HELP)]
    Rotate(RotateArgs),
}

const ROTATE_HELP: &str = "Values must be sealed for the context table=<TABLE> column=<COLUMN> row=<primary key> \
    (what `seal --context` and the library's RotationPlan use by default). Example:\n  \
    desensitize keys rotate --keys keys.dzk\n  \
    desensitize keys pin --keys keys.dzk --domain users.phone --key-id 2\n  \
    desensitize db rotate --keys keys.dzk --url postgres://app@db/app --table users --key-column id \\\n    \
    --columns name:person_name,phone:cn.mobile_phone --index phone=phone_idx:users.phone:16 --audit rotate-audit.jsonl\n\
    Values sealed for a subject (the library's seal_for) are not re-sealed and count as remaining: \
    their subject keys must be re-wrapped by the library (RotationPlan::subject_keys) before `keys destroy`.";

/// Arguments of `db rotate`.
#[derive(Args, Debug)]
pub struct RotateArgs {
    #[command(flatten)]
    keys: KeyArgs,

    #[command(flatten)]
    url: crate::db_url::UrlArgs,

    /// The table (`name` or `schema.name`).
    #[arg(long, value_name = "TABLE")]
    table: String,

    /// Its integer primary key (keyset pagination and the checkpoint).
    #[arg(long, value_name = "COLUMN", default_value = "id")]
    key_column: String,

    /// Sealed TEXT columns as COLUMN:KIND, comma-separated or repeated
    /// (e.g. `phone:cn.mobile_phone,name:person_name`).
    #[arg(long, value_name = "COLUMN:KIND", value_delimiter = ',', required = true)]
    columns: Vec<String>,

    /// Recompute a BIGINT blind index as its column is re-sealed:
    /// COLUMN=INDEX_COLUMN:DOMAIN:BITS[:TRANSFORM] (transform full, last4,
    /// birth_year or email_domain; default full). The index is made with the
    /// key the domain is pinned to now: re-pin it to the new key first.
    #[arg(long, value_name = "SPEC")]
    index: Vec<String>,

    /// Name of the job's checkpoint (default: rotate:<TABLE>). A run
    /// interrupted under this name resumes where it stopped.
    #[arg(long, value_name = "NAME")]
    job: Option<String>,

    /// Rows per batch (one transaction each).
    #[arg(long, value_name = "ROWS", default_value_t = 2_000)]
    batch: usize,

    /// Append one JSON line per value the job opens (purpose `rotate`) to
    /// this file (created 0600; a symbolic link, a device such as /dev/null,
    /// the keyring or the passphrase file are refused). Required: a value
    /// whose open cannot be recorded is not opened, and the job stops.
    #[arg(long, value_name = "FILE")]
    audit: std::path::PathBuf,
}

/// `db` dispatch.
pub fn db(command: DbCommand) -> CliResult {
    match command {
        DbCommand::Rotate(args) => rotate(args),
    }
}

#[cfg(not(feature = "postgres"))]
fn rotate(_: RotateArgs) -> CliResult {
    Err(CliError::usage(
        "this build has no PostgreSQL support; rebuild with `cargo build -p desensitize-cli --features postgres`",
    ))
}

#[cfg(feature = "postgres")]
fn rotate(args: RotateArgs) -> CliResult {
    use crate::common;

    let url = args.url.resolve()?;
    let mut keyring = common::load_keyring(&args.keys)?;
    let audit = common::audit_log(&args.audit, &args.keys, &keyring)?;
    keyring.set_audit_sink(std::sync::Arc::new(audit));
    let plan = build_plan(&args, &keyring)?;
    let job = args.job.clone().unwrap_or_else(|| format!("rotate:{}", args.table));
    let result = run_job(&args, &keyring, &plan, &job, &url);
    // Values were sealed even if the job failed part-way: count them.
    if let Err(e) = common::record_seals(&args.keys.keys, &keyring) {
        common::warn(&e);
    }
    summarize(&job, &result?, keyring.active_key_id())
}

/// The rotation plan of `--table`, `--columns` and `--index`.
#[cfg(feature = "postgres")]
fn build_plan(args: &RotateArgs, keyring: &desensitize::Keyring) -> CliResult<desensitize::db::RotationPlan> {
    let mut plan = desensitize::db::RotationPlan::new(&args.table, &args.key_column)?.batch_size(args.batch);
    for spec in &args.columns {
        let (name, kind) = spec
            .split_once(':')
            .ok_or_else(|| CliError::usage(format!("--columns wants COLUMN:KIND, got `{spec}`")))?;
        let kind = crate::common::parse_kind(kind).map_err(CliError::usage)?;
        let column = match index_for(&args.index, name)? {
            Some(ix) => desensitize::db::indexed_column_for_kind(
                kind,
                name,
                &ix.column,
                keyring,
                &ix.domain,
                ix.transform,
                ix.bits,
            )?,
            None => desensitize::db::column_for_kind(kind, name)?,
        };
        plan = plan.boxed_column(column);
    }
    for spec in &args.index {
        let column = spec.split_once('=').map_or(spec.as_str(), |(c, _)| c);
        if !plan.column_names().contains(&column) {
            return Err(CliError::usage(format!("--index names `{column}`, which is not in --columns")));
        }
    }
    Ok(plan)
}

/// Connect and run the library's job, with a progress note every 10 batches.
#[cfg(feature = "postgres")]
fn run_job(
    args: &RotateArgs,
    keyring: &desensitize::Keyring,
    plan: &desensitize::db::RotationPlan,
    job: &str,
    url: &str,
) -> CliResult<desensitize::db::RotationReport> {
    use desensitize::db::{PgRotationStore, RotationError};

    use crate::common::note;

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::failed(format!("cannot start the async runtime: {}", e.kind())))?;
    runtime.block_on(async {
        let pool = sqlx::postgres::PgPoolOptions::new()
            .max_connections(2)
            .acquire_timeout(std::time::Duration::from_secs(10))
            .connect(url)
            .await
            .map_err(db_error)?;
        let mut store = PgRotationStore::new(pool, plan, job).await.map_err(db_error)?;
        let mut batches = 0u64;
        desensitize::db::rotate(keyring, plan, &mut store, |p| {
            batches += 1;
            if batches == 1 && p.resumed_from.is_some() {
                note(format_args!("db rotate: resuming job {job} after key {}", p.resumed_from.unwrap_or(0)));
            }
            if batches.is_multiple_of(10) {
                note(format_args!("db rotate: {} rows scanned, {} rotated", p.scanned, p.rotated));
            }
            std::ops::ControlFlow::Continue(())
        })
        .await
        .map_err(|e| match e {
            RotationError::Store(e) => db_error(e),
            RotationError::Crypto(e @ desensitize::Error::AuditFailed(_)) => CliError::failed(format!(
                "{e}: the audit log ({}) cannot be written, so the job stopped (run it again to resume)",
                args.audit.display()
            )),
            RotationError::Crypto(e) => CliError::from(e),
            _ => CliError::failed("rotation failed"),
        })
    })
}

/// Print the JSON summary; fail while anything still depends on old keys.
#[cfg(feature = "postgres")]
fn summarize(job: &str, report: &desensitize::db::RotationReport, active_key: Option<u32>) -> CliResult {
    let p = report.progress;
    let summary = serde_json::json!({
        "job": job,
        "scanned": p.scanned,
        "rotated": p.rotated,
        "current": p.current,
        "conflicts": p.conflicts,
        "failed": p.failed,
        "failed_keys": report.failed_keys,
        "subject_sealed": p.subject_sealed,
        "resumed_from": p.resumed_from,
        "remaining_old": report.remaining_old,
        "remaining_keys": report.remaining_keys,
        "active_key": active_key,
    });
    println!("{summary}");
    match report.remaining_old {
        Some(0) => Ok(()),
        Some(n) => Err(CliError::failed(format!(
            "{n} values still depend on old keys (rows holding them: {:?}{}); `keys destroy` needs 0{}",
            report.remaining_keys,
            if report.remaining_keys.len() >= 100 { ", first 100" } else { "" },
            if p.subject_sealed > 0 {
                "; subject-sealed values count until their subject keys are re-wrapped \
                 (the library's RotationPlan::subject_keys)"
            } else {
                ""
            }
        ))),
        None => Err(CliError::failed("the job stopped before the end; run it again to resume")),
    }
}

/// A parsed `--index` spec.
#[cfg(feature = "postgres")]
struct IndexSpec {
    column: String,
    domain: desensitize::pseudo::Domain,
    bits: u8,
    transform: desensitize::pseudo::Transform,
}

/// The `--index` spec for sealed column `name`, if any.
#[cfg(feature = "postgres")]
fn index_for(specs: &[String], name: &str) -> CliResult<Option<IndexSpec>> {
    use desensitize::pseudo::{Domain, Transform};
    let bad = |spec: &str| {
        CliError::usage(format!("--index wants COLUMN=INDEX_COLUMN:DOMAIN:BITS[:TRANSFORM], got `{spec}`"))
    };
    for spec in specs {
        let Some((column, rest)) = spec.split_once('=') else { return Err(bad(spec)) };
        if column != name {
            continue;
        }
        let parts: Vec<&str> = rest.split(':').collect();
        if !(3..=4).contains(&parts.len()) {
            return Err(bad(spec));
        }
        let bits = parts[2].parse::<u8>().map_err(|_| bad(spec))?;
        let transform = match parts.get(3).copied().unwrap_or("full") {
            "full" => Transform::Full,
            "last4" => Transform::Last4,
            "birth_year" => Transform::BirthYear,
            "email_domain" => Transform::EmailDomain,
            _ => return Err(bad(spec)),
        };
        let domain = Domain::new(parts[1])?;
        return Ok(Some(IndexSpec { column: parts[0].to_owned(), domain, bits, transform }));
    }
    Ok(None)
}

/// A value-free message for a database error: server messages can quote
/// row contents (a constraint's "Key (…)=(…)"), so only the SQLSTATE shows.
#[cfg(feature = "postgres")]
pub(crate) fn db_error(e: sqlx::Error) -> CliError {
    match &e {
        sqlx::Error::Database(d) => {
            CliError::failed(format!("database error (SQLSTATE {})", d.code().as_deref().unwrap_or("?")))
        }
        sqlx::Error::Configuration(_) => CliError::usage("the database URL is not valid"),
        sqlx::Error::Io(io) => CliError::failed(format!("cannot reach the database: {}", io.kind())),
        sqlx::Error::PoolTimedOut => CliError::failed("cannot reach the database: timed out"),
        sqlx::Error::Tls(_) => CliError::failed("database TLS error"),
        sqlx::Error::ColumnDecode { index, .. } => {
            CliError::failed(format!("column {index} does not hold text (sealed columns must be TEXT)"))
        }
        _ => CliError::failed("database error"),
    }
}
