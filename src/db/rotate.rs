//! The table-scale re-seal and re-index job over a [`RotationStore`].

use core::fmt;
use core::future::Future;
use core::ops::ControlFlow;
use std::sync::Arc;

use super::column::{ColumnRotation, check_column, check_identifier};
use crate::crypto::envelope::{ALG_SUBJECT, Header, from_text};
use crate::crypto::random::ForkChecked;
use crate::error::{ConfigError, Error, Result};
use crate::keys::{Keyring, SubjectKeyStore};
use crate::seal::Context;

type ContextFn = Arc<dyn Fn(&str, i64) -> Context + Send + Sync>;

/// Which table, key column and sealed columns a rotation job covers, and
/// the context each value was sealed for.
///
/// Values are expected to be sealed for
/// `Context::new(table, column).with_row(&key.to_string())` (the table
/// without its schema, the row's primary key in decimal); give another rule
/// with [`RotationPlan::with_context`].
///
/// Values sealed for a subject ([`Keyring::seal_for`]) are not re-sealed:
/// their subject key is wrapped under a root key instead. Give the plan the
/// [`SubjectKeyStore`] with [`RotationPlan::subject_keys`] and the job
/// re-wraps every subject key under the active key; without it, every
/// subject-sealed value counts as still depending on an old key, so that
/// [`Keyring::destroy`] refuses.
///
/// Columns are TEXT (the `dz1.…` form): a BYTEA column cannot be rotated by
/// the job (re-seal it with [`Keyring::reseal`] in your own batches).
pub struct RotationPlan {
    pub(crate) table: String,
    pub(crate) key_column: String,
    pub(crate) columns: Vec<Box<dyn ColumnRotation>>,
    pub(crate) batch_size: usize,
    context: ContextFn,
    subjects: Option<Arc<dyn SubjectKeyStore>>,
}

impl fmt::Debug for RotationPlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RotationPlan")
            .field("table", &self.table)
            .field("key_column", &self.key_column)
            .field("columns", &self.column_names())
            .field("batch_size", &self.batch_size)
            .field("subject_keys", &self.subjects.is_some())
            .finish_non_exhaustive()
    }
}

impl RotationPlan {
    /// A plan for `table`, paginated by its integer primary key `key_column`.
    pub fn new(table: &str, key_column: &str) -> Result<RotationPlan> {
        check_identifier(table)?;
        check_column(key_column)?;
        let t = table.rsplit('.').next().unwrap_or(table).to_owned();
        let context: ContextFn =
            Arc::new(move |column: &str, key: i64| Context::new(&t, column).with_row(&key.to_string()));
        Ok(RotationPlan {
            table: table.to_owned(),
            key_column: key_column.to_owned(),
            columns: Vec::new(),
            batch_size: 2_000,
            context,
            subjects: None,
        })
    }

    /// Add a sealed column ([`super::SealedColumn`] or [`super::column_for_kind`]).
    pub fn column(mut self, column: impl ColumnRotation + 'static) -> RotationPlan {
        self.columns.push(Box::new(column));
        self
    }

    /// Add a sealed column chosen at run time.
    pub fn boxed_column(mut self, column: Box<dyn ColumnRotation>) -> RotationPlan {
        self.columns.push(column);
        self
    }

    /// Rows per batch (one fetch, one transaction); default 2,000, at least 1.
    pub fn batch_size(mut self, rows: usize) -> RotationPlan {
        self.batch_size = rows.max(1);
        self
    }

    /// The context a value in `column` of the row with primary key `key` was
    /// sealed for (the default binds table, column and row id).
    pub fn with_context(mut self, f: impl Fn(&str, i64) -> Context + Send + Sync + 'static) -> RotationPlan {
        self.context = Arc::new(f);
        self
    }

    /// The store of the subject keys that the table's subject-sealed values
    /// depend on: at the end of a pass the job re-wraps each of them under
    /// the active key ([`Keyring::rewrap_subjects`]; the store must list its
    /// subjects) and counts those it could not in
    /// [`RotationReport::remaining_old`].
    pub fn subject_keys(mut self, store: Arc<dyn SubjectKeyStore>) -> RotationPlan {
        self.subjects = Some(store);
        self
    }

    /// The table.
    pub fn table(&self) -> &str {
        &self.table
    }

    /// The primary-key column.
    pub fn key_column(&self) -> &str {
        &self.key_column
    }

    /// The sealed columns, in order.
    pub fn column_names(&self) -> Vec<&str> {
        self.columns.iter().map(|c| c.name()).collect()
    }

    /// The sealed columns.
    pub fn columns(&self) -> &[Box<dyn ColumnRotation>] {
        &self.columns
    }

    /// The context of `column` in row `key`.
    pub fn context(&self, column: &str, key: i64) -> Context {
        (self.context)(column, key)
    }
}

/// One row as read: its primary key and each sealed column's text envelope
/// (in [`RotationPlan::column_names`] order; `None` for NULL).
///
/// ```
/// use desensitize::db::StoredRow;
/// let row = StoredRow { key: 7, values: vec![Some("dz1.AQEAAAAB…".into()), None] };
/// assert_eq!(format!("{row:?}"), "StoredRow(key 7, 2 columns)"); // no envelopes in logs
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct StoredRow {
    /// The primary key.
    pub key: i64,
    /// The envelopes, one per plan column.
    pub values: Vec<Option<String>>,
}

/// Prints the key and how many columns: not the envelopes.
impl fmt::Debug for StoredRow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "StoredRow(key {}, {} columns)", self.key, self.values.len())
    }
}

/// One compare-and-swap update of row `key`: each plan column takes its new
/// value (and its index column the new index) only if it still holds
/// exactly what was read (`expected`); columns a writer changed meanwhile
/// keep the writer's value.
#[derive(Clone, PartialEq, Eq)]
pub struct RowUpdate {
    /// The primary key.
    pub key: i64,
    /// What the job read, column by column: the update applies only if the
    /// row still holds these (else a concurrent writer won, and keeps it).
    pub expected: Vec<Option<String>>,
    /// The new envelopes, column by column (unchanged columns repeat `expected`).
    pub values: Vec<Option<String>>,
    /// New blind-index values for plan columns that have an index column
    /// (`None`: leave the index as it is).
    pub indexes: Vec<Option<i64>>,
}

/// Prints the key only.
impl fmt::Debug for RowUpdate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RowUpdate(key {})", self.key)
    }
}

/// Where the rows live: the job's only view of the database.
///
/// `PgRotationStore` (feature `sqlx`) implements
/// it for PostgreSQL; implement it yourself for another database.
pub trait RotationStore {
    /// The store's error (value-free: it must not carry row contents).
    type Error: std::error::Error + Send + Sync + 'static;

    /// Up to `limit` rows with primary key greater than `after` (all rows
    /// for `None`), in ascending key order.
    fn fetch_after(
        &mut self,
        after: Option<i64>,
        limit: usize,
    ) -> impl Future<Output = core::result::Result<Vec<StoredRow>, Self::Error>> + Send;

    /// Apply `updates` with compare-and-swap, column by column, and record
    /// `checkpoint` (the last key of the batch) in the same transaction;
    /// return how many updates applied in full (every column swapped).
    fn apply(
        &mut self,
        updates: &[RowUpdate],
        checkpoint: i64,
    ) -> impl Future<Output = core::result::Result<u64, Self::Error>> + Send;

    /// The checkpoint an interrupted job left, if any.
    fn load_checkpoint(
        &mut self,
    ) -> impl Future<Output = core::result::Result<Option<i64>, Self::Error>> + Send;

    /// Forget the checkpoint (the job finished a full pass).
    fn clear_checkpoint(&mut self) -> impl Future<Output = core::result::Result<(), Self::Error>> + Send;
}

/// Where a job stands, reported after every batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RotationProgress {
    /// Rows read in this run (a resumed run counts from the checkpoint).
    pub scanned: u64,
    /// Rows whose update applied in full: every value not under the active
    /// key moved to it. A row with a value that fails to open gets no update.
    pub rotated: u64,
    /// Rows already entirely under the active key (or NULL, or subject-sealed).
    pub current: u64,
    /// Rows a concurrent writer changed between read and update: the columns
    /// it changed keep what it wrote, the others moved.
    pub conflicts: u64,
    /// Values that could not be opened (tampered, wrong context, destroyed
    /// key), counted one by one: their rows are left as they are (every
    /// column), and counted by [`count_remaining`].
    pub failed: u64,
    /// Subject-sealed values read ([`Keyring::seal_for`]): not re-sealed;
    /// their subject keys are re-wrapped when the plan has the store
    /// ([`RotationPlan::subject_keys`]), else they count as remaining.
    pub subject_sealed: u64,
    /// The last primary key done (the checkpoint).
    pub last_key: Option<i64>,
    /// The run started from a checkpoint left by an interrupted run.
    pub resumed_from: Option<i64>,
}

/// What a finished job did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RotationReport {
    /// The counters at the end of the pass.
    pub progress: RotationProgress,
    /// Whether the job was stopped by the progress callback before the end
    /// (the checkpoint is kept: run it again to resume).
    pub stopped: bool,
    /// What still depends on a key other than the active one after the
    /// pass (a fresh scan; only when the pass finished): values under an old
    /// key, plus subject keys not yet re-wrapped under the active key (or,
    /// when the plan has no subject key store, every subject-sealed value).
    /// Pass it to [`Keyring::destroy`] as `remaining`.
    pub remaining_old: Option<u64>,
    /// Primary keys of rows with a value that failed to open in this run (first 100).
    pub failed_keys: Vec<i64>,
    /// Primary keys of rows still holding a value counted in
    /// `remaining_old` (first 100; from the final scan, so rows before a
    /// resumed run's checkpoint are named too).
    pub remaining_keys: Vec<i64>,
    /// Subject keys re-wrapped under the active key by this pass.
    pub rewrapped_subject_keys: u64,
}

/// Why a job stopped with an error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RotationError<E: std::error::Error + 'static> {
    /// The store failed (the checkpoint holds the last batch that committed).
    #[error("rotation store: {0}")]
    Store(#[source] E),
    /// The keyring cannot seal (no active key) or the plan is unusable.
    #[error("rotation: {0}")]
    Crypto(#[source] Error),
}

/// Re-seal every value of `plan`'s columns that is not under the keyring's
/// active key, and recompute its blind index; batched by ascending primary
/// key from the store's checkpoint (if an earlier run was interrupted),
/// each batch one compare-and-swap transaction that also moves the
/// checkpoint. `progress` runs after every batch; return
/// `ControlFlow::Break(())` to stop (the checkpoint is kept).
///
/// Safe beside live writes: a column changed between read and update is
/// left as the writer wrote it (count: `conflicts`). At the end the checkpoint is
/// cleared and the remaining values under old keys are counted afresh.
/// Each open is audited with purpose [`super::ROTATE_PURPOSE`] through the
/// keyring's audit sink; an event that cannot be recorded stops the job
/// with [`Error::AuditFailed`] before its batch is written.
///
/// ```
/// # use desensitize::db::*;
/// # use desensitize::{Context, Keyring, MobilePhone};
/// # use std::ops::ControlFlow;
/// # #[derive(Default)] struct Mem { rows: Vec<StoredRow>, checkpoint: Option<i64> }
/// # impl RotationStore for Mem {
/// #     type Error = std::io::Error;
/// #     async fn fetch_after(&mut self, after: Option<i64>, limit: usize) -> Result<Vec<StoredRow>, Self::Error> {
/// #         Ok(self.rows.iter().filter(|r| after.is_none_or(|a| r.key > a)).take(limit).cloned().collect())
/// #     }
/// #     async fn apply(&mut self, updates: &[RowUpdate], checkpoint: i64) -> Result<u64, Self::Error> {
/// #         let mut n = 0;
/// #         for u in updates {
/// #             let row = self.rows.iter_mut().find(|r| r.key == u.key).unwrap();
/// #             let mut full = true;
/// #             for i in 0..row.values.len() {
/// #                 if row.values[i] == u.expected[i] { row.values[i] = u.values[i].clone() } else { full = false }
/// #             }
/// #             n += u64::from(full);
/// #         }
/// #         self.checkpoint = Some(checkpoint);
/// #         Ok(n)
/// #     }
/// #     async fn load_checkpoint(&mut self) -> Result<Option<i64>, Self::Error> { Ok(self.checkpoint) }
/// #     async fn clear_checkpoint(&mut self) -> Result<(), Self::Error> { self.checkpoint = None; Ok(()) }
/// # }
/// # fn block_on<F: std::future::Future>(f: F) -> F::Output {
/// #     let mut f = std::pin::pin!(f);
/// #     let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
/// #     loop { if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) { return v; } }
/// # }
/// let mut keyring = Keyring::generate()?;
/// let phone: MobilePhone = "13800138000".parse()?;
/// let mut store = Mem::default(); // a RotationStore (yours, or PgRotationStore)
/// for key in 1..=5 {
///     let ctx = Context::new("users", "phone").with_row(&key.to_string());
///     store.rows.push(StoredRow { key, values: vec![Some(keyring.seal_text(&phone, &ctx)?)] });
/// }
/// keyring.rotate()?;
/// let plan = RotationPlan::new("users", "id")?.column(SealedColumn::<MobilePhone>::new("phone")?).batch_size(2);
/// let report = block_on(rotate(&keyring, &plan, &mut store, |_| ControlFlow::Continue(()))).unwrap();
/// assert_eq!((report.progress.rotated, report.remaining_old), (5, Some(0)));
/// keyring.destroy(1, report.remaining_old.unwrap())?;
/// # Ok::<(), desensitize::Error>(())
/// ```
pub async fn rotate<S, F>(
    keyring: &Keyring,
    plan: &RotationPlan,
    store: &mut S,
    mut progress: F,
) -> core::result::Result<RotationReport, RotationError<S::Error>>
where
    S: RotationStore + Send,
    F: FnMut(&RotationProgress) -> ControlFlow<()> + Send,
{
    if plan.columns.is_empty() {
        return Err(RotationError::Crypto(Error::Config(ConfigError::EmptyRotation)));
    }
    keyring.active_key_id().ok_or(RotationError::Crypto(Error::NoActiveKey))?;
    let start = store.load_checkpoint().await.map_err(RotationError::Store)?;
    let mut p = RotationProgress { last_key: start, resumed_from: start, ..RotationProgress::default() };
    let mut failed_keys = Vec::new();
    loop {
        let rows = store.fetch_after(p.last_key, plan.batch_size).await.map_err(RotationError::Store)?;
        let Some(last) = rows.last().map(|r| r.key) else { break };
        let updates =
            plan_updates(keyring, plan, &rows, &mut p, &mut failed_keys).map_err(RotationError::Crypto)?;
        let applied = store.apply(&updates, last).await.map_err(RotationError::Store)?;
        p.scanned += rows.len() as u64;
        p.rotated += applied;
        p.conflicts += updates.len() as u64 - applied.min(updates.len() as u64);
        p.last_key = Some(last);
        if progress(&p).is_break() {
            return Ok(RotationReport {
                progress: p,
                stopped: true,
                remaining_old: None,
                failed_keys,
                remaining_keys: Vec::new(),
                rewrapped_subject_keys: 0,
            });
        }
    }
    // Before the checkpoint goes: a failed sweep resumes at the end of the table.
    let rewrapped_subject_keys = match &plan.subjects {
        Some(subjects) => keyring.rewrap_subjects(subjects.as_ref()).map_err(RotationError::Crypto)?,
        None => 0,
    };
    store.clear_checkpoint().await.map_err(RotationError::Store)?;
    let (remaining, remaining_keys) = scan_remaining(keyring, plan, store).await?;
    Ok(RotationReport {
        progress: p,
        stopped: false,
        remaining_old: Some(remaining),
        failed_keys,
        remaining_keys,
        rewrapped_subject_keys,
    })
}

/// The compare-and-swap updates for one batch; counts current rows and
/// failed values. An open whose audit event cannot be recorded stops the
/// job ([`Error::AuditFailed`]): no open goes unrecorded, and no batch is
/// written after one.
///
/// One batch is one batch call (as [`crate::batch`]'s): synchronous, on
/// this thread, one fork check for it, its re-seals drawn from nonce groups
/// and its opens through the open cache (SPEC.md §3a.3). The guard lives in
/// this function only, never across the job's `await`s.
fn plan_updates(
    keyring: &Keyring,
    plan: &RotationPlan,
    rows: &[StoredRow],
    p: &mut RotationProgress,
    failed_keys: &mut Vec<i64>,
) -> Result<Vec<RowUpdate>> {
    let _call = ForkChecked::enter();
    let mut updates = Vec::new();
    for row in rows {
        let mut values = row.values.clone();
        let mut indexes = vec![None; plan.columns.len()];
        let mut changed = false;
        let mut failed = 0;
        for (i, column) in plan.columns.iter().enumerate() {
            let Some(Some(text)) = row.values.get(i) else { continue };
            if is_subject_sealed(text) {
                p.subject_sealed += 1;
                continue;
            }
            let outcome = column.needs_rotation(keyring, text).and_then(|needs| {
                if !needs {
                    return Ok(None);
                }
                column.rotate(keyring, text, &plan.context(column.name(), row.key)).map(Some)
            });
            match outcome {
                Ok(None) => {}
                Ok(Some(r)) => {
                    values[i] = Some(r.envelope);
                    indexes[i] = r.index;
                    changed = true;
                }
                Err(e @ Error::AuditFailed(_)) => return Err(e),
                Err(_) => failed += 1, // value-free, and the row stays as it is
            }
        }
        if failed > 0 {
            // The whole row stays: `rotated` then means every value moved.
            p.failed += failed;
            if failed_keys.len() < 100 {
                failed_keys.push(row.key);
            }
        } else if changed {
            updates.push(RowUpdate { key: row.key, expected: row.values.clone(), values, indexes });
        } else {
            p.current += 1;
        }
    }
    Ok(updates)
}

/// Whether a TEXT envelope was sealed for a subject (header only).
fn is_subject_sealed(text: &str) -> bool {
    from_text(text).and_then(|b| Header::parse(&b)).is_ok_and(|h| h.algorithm == ALG_SUBJECT)
}

/// Count what still depends on a key other than the keyring's active one
/// (a full scan reading headers only): values of `plan`'s columns under an
/// old key (values that do not parse count too), and subject keys: with the
/// plan's subject key store, those in it not wrapped under the active key;
/// without one, every subject-sealed value (the job cannot tell which root
/// key wraps its subject's key). NULLs do not count. [`rotate`] runs it at
/// the end of a pass; run it alone before [`Keyring::destroy`] when writers
/// may have used an old keyring meanwhile:
/// `keyring.destroy(old, count_remaining(&keyring, &plan, &mut store).await?)`.
pub async fn count_remaining<S: RotationStore + Send>(
    keyring: &Keyring,
    plan: &RotationPlan,
    store: &mut S,
) -> core::result::Result<u64, RotationError<S::Error>> {
    Ok(scan_remaining(keyring, plan, store).await?.0)
}

/// [`count_remaining`], and the keys of the first 100 rows it counted.
async fn scan_remaining<S: RotationStore + Send>(
    keyring: &Keyring,
    plan: &RotationPlan,
    store: &mut S,
) -> core::result::Result<(u64, Vec<i64>), RotationError<S::Error>> {
    let mut remaining = match &plan.subjects {
        Some(subjects) => {
            keyring.subject_keys_not_active(subjects.as_ref()).map_err(RotationError::Crypto)?
        }
        None => 0,
    };
    let mut keys = Vec::new();
    let mut after = None;
    loop {
        let rows =
            store.fetch_after(after, plan.batch_size.max(5_000)).await.map_err(RotationError::Store)?;
        let Some(last) = rows.last().map(|r| r.key) else { break };
        for row in &rows {
            let mut counted = false;
            for (column, value) in plan.columns.iter().zip(&row.values) {
                let Some(text) = value else { continue };
                let depends = if is_subject_sealed(text) {
                    plan.subjects.is_none()
                } else {
                    column.needs_rotation(keyring, text).unwrap_or(true)
                };
                if depends {
                    remaining += 1;
                    counted = true;
                }
            }
            if counted && keys.len() < 100 {
                keys.push(row.key);
            }
        }
        after = Some(last);
    }
    Ok((remaining, keys))
}
