//! PostgreSQL through sqlx: the rotation job's store (the column types are
//! in `sqlx_columns`).
//!
//! sqlx 0.9 wants dynamic SQL marked: every statement here is built from
//! constants and from names that passed [`check_identifier`] and are
//! quoted, hence the `AssertSqlSafe`s.
//!
//! [`check_identifier`]: super::check_identifier

use std::sync::Arc;

use sqlx::postgres::PgPool;
use sqlx::{AssertSqlSafe, Row};

use super::column::quote;
use super::rotate::{RotationPlan, RotationStore, RowUpdate, StoredRow};

/// [`RotationStore`] for a PostgreSQL table through a sqlx pool.
///
/// Sealed columns are TEXT; the primary key is BIGINT (or INTEGER); blind
/// indexes are BIGINT. Each batch is one statement
/// (`UPDATE … FROM unnest(…)`, compare-and-swap column by column: a column
/// and its index move only if the column still holds what was read) plus
/// the checkpoint upsert, in one transaction. Checkpoints live in the
/// table `desensitize_rotation_checkpoint`, created on first use.
///
/// ```no_run
/// use std::ops::ControlFlow;
/// use desensitize::db::{PgRotationStore, RotationPlan, SealedColumn, rotate};
/// use desensitize::{Keyring, MobilePhone};
///
/// # async fn run(pool: sqlx::PgPool, keyring: Keyring) -> Result<(), Box<dyn std::error::Error>> {
/// let plan = RotationPlan::new("users", "id")?.column(SealedColumn::<MobilePhone>::new("phone")?);
/// let mut store = PgRotationStore::new(pool, &plan, "users-2026").await?;
/// let report = rotate(&keyring, &plan, &mut store, |p| {
///     eprintln!("{} rows", p.scanned);
///     ControlFlow::Continue(())
/// })
/// .await?;
/// assert_eq!(report.remaining_old, Some(0));
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct PgRotationStore {
    pool: PgPool,
    job: String,
    columns: usize,
    indexed: Vec<usize>,
    select_first: Arc<str>,
    select_after: Arc<str>,
    update: Arc<str>,
}

const CHECKPOINT_TABLE: &str = "desensitize_rotation_checkpoint";

impl PgRotationStore {
    /// A store for `plan`'s table; `job` names its checkpoint (one per
    /// rotation you run, e.g. `"users-2026-q1"`). Creates the checkpoint
    /// table if it does not exist.
    pub async fn new(pool: PgPool, plan: &RotationPlan, job: &str) -> Result<PgRotationStore, sqlx::Error> {
        sqlx::query(AssertSqlSafe(format!(
            "CREATE TABLE IF NOT EXISTS {CHECKPOINT_TABLE} (job TEXT PRIMARY KEY, last_key BIGINT NOT NULL, \
             updated_at TIMESTAMPTZ NOT NULL DEFAULT now())"
        )))
        .execute(&pool)
        .await?;
        let table = quote(plan.table());
        let key = quote(plan.key_column());
        let cols: Vec<String> = plan.columns().iter().map(|c| quote(c.name())).collect();
        let select = format!("SELECT {key}::bigint, {} FROM {table}", cols.join(", "));
        let select_first = format!("{select} ORDER BY {key} LIMIT $1");
        let select_after = format!("{select} WHERE {key} > $2 ORDER BY {key} LIMIT $1");

        let indexed: Vec<usize> = plan
            .columns()
            .iter()
            .enumerate()
            .filter(|(_, c)| c.index_column().is_some())
            .map(|(i, _)| i)
            .collect();
        // Column-level compare and swap: each column (and its index) moves
        // only if it still holds what was read, so a writer that changed one
        // column does not hold back the others.
        let swap = |i: usize| format!("t.{} IS NOT DISTINCT FROM v.o{i}", cols[i]);
        let mut sets: Vec<String> = cols
            .iter()
            .enumerate()
            .map(|(i, c)| format!("{c} = CASE WHEN {} THEN v.n{i} ELSE t.{c} END", swap(i)))
            .collect();
        let mut args = vec!["$1::bigint[]".to_owned()];
        let mut names = vec!["k".to_owned()];
        for i in 0..cols.len() {
            args.push(format!("${}::text[]", args.len() + 1));
            names.push(format!("o{i}"));
            args.push(format!("${}::text[]", args.len() + 1));
            names.push(format!("n{i}"));
        }
        for &i in &indexed {
            let idx = quote(plan.columns()[i].index_column().unwrap_or_default());
            args.push(format!("${}::bigint[]", args.len() + 1));
            names.push(format!("i{i}"));
            sets.push(format!(
                "{idx} = CASE WHEN {} THEN COALESCE(v.i{i}, t.{idx}) ELSE t.{idx} END",
                swap(i)
            ));
        }
        let any: Vec<String> = (0..cols.len()).map(swap).collect();
        // After SET, t.c is the new value: the row swapped in full when
        // every column now holds what the job wrote.
        let full: Vec<String> =
            cols.iter().enumerate().map(|(i, c)| format!("t.{c} IS NOT DISTINCT FROM v.n{i}")).collect();
        let update = format!(
            "UPDATE {table} AS t SET {} FROM unnest({}) AS v({}) WHERE t.{key} = v.k AND ({}) RETURNING ({})",
            sets.join(", "),
            args.join(", "),
            names.join(", "),
            any.join(" OR "),
            full.join(" AND ")
        );
        Ok(PgRotationStore {
            pool,
            job: job.to_owned(),
            columns: cols.len(),
            indexed,
            select_first: select_first.into(),
            select_after: select_after.into(),
            update: update.into(),
        })
    }
}

impl RotationStore for PgRotationStore {
    type Error = sqlx::Error;

    async fn fetch_after(&mut self, after: Option<i64>, limit: usize) -> Result<Vec<StoredRow>, sqlx::Error> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = match after {
            None => {
                sqlx::query(AssertSqlSafe(self.select_first.clone()))
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?
            }
            Some(a) => {
                sqlx::query(AssertSqlSafe(self.select_after.clone()))
                    .bind(limit)
                    .bind(a)
                    .fetch_all(&self.pool)
                    .await?
            }
        };
        rows.iter()
            .map(|row| {
                let values = (1..=self.columns)
                    .map(|i| row.try_get::<Option<String>, _>(i))
                    .collect::<Result<_, _>>()?;
                Ok(StoredRow { key: row.try_get(0)?, values })
            })
            .collect()
    }

    async fn apply(&mut self, updates: &[RowUpdate], checkpoint: i64) -> Result<u64, sqlx::Error> {
        let mut tx = self.pool.begin().await?;
        let mut applied = 0;
        if !updates.is_empty() {
            let mut q = sqlx::query(AssertSqlSafe(self.update.clone()))
                .bind(updates.iter().map(|u| u.key).collect::<Vec<i64>>());
            for i in 0..self.columns {
                q = q.bind(updates.iter().map(|u| u.expected[i].clone()).collect::<Vec<Option<String>>>());
                q = q.bind(updates.iter().map(|u| u.values[i].clone()).collect::<Vec<Option<String>>>());
            }
            for &i in &self.indexed {
                q = q.bind(updates.iter().map(|u| u.indexes[i]).collect::<Vec<Option<i64>>>());
            }
            let full: Vec<bool> =
                q.fetch_all(&mut *tx).await?.iter().map(|r| r.try_get(0)).collect::<Result<_, _>>()?;
            applied = full.iter().filter(|&&f| f).count() as u64;
        }
        sqlx::query(AssertSqlSafe(format!(
            "INSERT INTO {CHECKPOINT_TABLE} (job, last_key) VALUES ($1, $2) \
             ON CONFLICT (job) DO UPDATE SET last_key = excluded.last_key, updated_at = now()"
        )))
        .bind(&self.job)
        .bind(checkpoint)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(applied)
    }

    async fn load_checkpoint(&mut self) -> Result<Option<i64>, sqlx::Error> {
        sqlx::query_scalar(AssertSqlSafe(format!("SELECT last_key FROM {CHECKPOINT_TABLE} WHERE job = $1")))
            .bind(&self.job)
            .fetch_optional(&self.pool)
            .await
    }

    async fn clear_checkpoint(&mut self) -> Result<(), sqlx::Error> {
        sqlx::query(AssertSqlSafe(format!("DELETE FROM {CHECKPOINT_TABLE} WHERE job = $1")))
            .bind(&self.job)
            .execute(&self.pool)
            .await
            .map(|_| ())
    }
}
