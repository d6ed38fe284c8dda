//! [`PgCounter`]: reveal counts in a PostgreSQL table, shared by a fleet
//! (feature `sqlx`).

use std::sync::Mutex;
use std::sync::mpsc::{Sender, channel};

use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::{AssertSqlSafe, Row};

use super::Budget;
use super::budget::{Charge, RevealCounter, Tally};
use crate::error::CounterError;

/// The table, created on first use: one row per budget owner, its counts as JSON text.
const TABLE: &str = "desensitize_reveal_counts";

/// What the worker thread is asked to do.
enum Job {
    Charge { who: String, subject: Option<String>, now: u64, budget: Budget, reply: Sender<Outcome> },
    Lift { who: String, reply: Sender<Outcome> },
}

type Outcome = Result<Option<Charge>, CounterError>;

/// Reveal counts in the PostgreSQL table `desensitize_reveal_counts`, shared
/// by every process and machine that connects to it (feature `sqlx`).
///
/// Each charge is one transaction that locks the owner's row
/// (`SELECT … FOR UPDATE`), counts and writes it back: concurrent reveals of
/// one owner queue on the row, so a budget is never overspent.
/// [`RevealCounter`] is synchronous: the counter runs its own connection
/// pool on a thread of its own with a single-threaded tokio runtime, and a
/// charge blocks the caller until the database answered (from async code,
/// open values inside `spawn_blocking`). A database error refuses the
/// reveal ([`CounterError::Database`]).
///
/// ```no_run
/// use std::sync::Arc;
/// use desensitize::access::{Access, AccessRules, PgCounter};
///
/// let counter = PgCounter::connect("postgres://app@db/app")?;
/// let rules = AccessRules::from_toml("[roles.support]\npurposes = [\"*\"]\nbudget = { per_day = 500 }\n")?;
/// let access = Access::new(rules)?.with_counter(Arc::new(counter));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct PgCounter {
    jobs: Mutex<Sender<Job>>,
}

impl std::fmt::Debug for PgCounter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PgCounter")
    }
}

impl PgCounter {
    /// Connect to `url` (at most 2 connections) and create the table if it
    /// does not exist.
    pub fn connect(url: &str) -> Result<PgCounter, CounterError> {
        let (jobs, inbox) = channel::<Job>();
        let (ready, started) = channel();
        let url = url.to_owned();
        std::thread::Builder::new().name("desensitize-pg-counter".into()).spawn(move || {
            let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
                Ok(r) => r,
                Err(_) => {
                    let _ = ready.send(Err(CounterError::Database));
                    return;
                }
            };
            let pool = match runtime.block_on(setup(&url)) {
                Ok(pool) => pool,
                Err(_) => {
                    let _ = ready.send(Err(CounterError::Database));
                    return;
                }
            };
            if ready.send(Ok(())).is_err() {
                return;
            }
            while let Ok(job) = inbox.recv() {
                match job {
                    Job::Charge { who, subject, now, budget, reply } => {
                        let out = runtime.block_on(charge(&pool, &who, subject.as_deref(), now, &budget));
                        let _ = reply.send(out.map(Some).map_err(|_| CounterError::Database));
                    }
                    Job::Lift { who, reply } => {
                        let out = runtime.block_on(lift(&pool, &who));
                        let _ = reply.send(out.map(|()| None).map_err(|_| CounterError::Database));
                    }
                }
            }
        })?;
        started.recv().map_err(|_| CounterError::Database)??;
        Ok(PgCounter { jobs: Mutex::new(jobs) })
    }

    fn ask(&self, job: impl FnOnce(Sender<Outcome>) -> Job) -> Outcome {
        let (reply, answer) = channel();
        self.jobs
            .lock()
            .map_err(|_| CounterError::Poisoned)?
            .send(job(reply))
            .map_err(|_| CounterError::Database)?;
        answer.recv().map_err(|_| CounterError::Database)?
    }
}

async fn setup(url: &str) -> Result<PgPool, sqlx::Error> {
    let pool = PgPoolOptions::new().max_connections(2).connect(url).await?;
    let create = format!("CREATE TABLE IF NOT EXISTS {TABLE} (who TEXT PRIMARY KEY, tally TEXT NOT NULL)");
    sqlx::query(AssertSqlSafe(create)).execute(&pool).await?;
    Ok(pool)
}

async fn charge(
    pool: &PgPool,
    who: &str,
    subject: Option<&str>,
    now: u64,
    budget: &Budget,
) -> Result<Charge, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let insert = format!("INSERT INTO {TABLE} (who, tally) VALUES ($1, '{{}}') ON CONFLICT (who) DO NOTHING");
    sqlx::query(AssertSqlSafe(insert)).bind(who).execute(&mut *tx).await?;
    let select = format!("SELECT tally FROM {TABLE} WHERE who = $1 FOR UPDATE");
    let row = sqlx::query(AssertSqlSafe(select)).bind(who).fetch_one(&mut *tx).await?;
    let text: String = row.try_get(0)?;
    let mut tally: Tally = serde_json::from_str(&text).map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
    let charged = tally.charge(subject, now, budget);
    if let Charge::Counted { .. } = charged {
        let text = serde_json::to_string(&tally).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
        let update = format!("UPDATE {TABLE} SET tally = $2 WHERE who = $1");
        sqlx::query(AssertSqlSafe(update)).bind(who).bind(text).execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(charged)
}

async fn lift(pool: &PgPool, who: &str) -> Result<(), sqlx::Error> {
    sqlx::query(AssertSqlSafe(format!("DELETE FROM {TABLE} WHERE who = $1"))).bind(who).execute(pool).await?;
    Ok(())
}

impl RevealCounter for PgCounter {
    fn charge(
        &self,
        who: &str,
        subject: Option<&str>,
        now: u64,
        budget: &Budget,
    ) -> Result<Charge, CounterError> {
        let (who, subject, budget) = (who.to_owned(), subject.map(str::to_owned), budget.clone());
        self.ask(|reply| Job::Charge { who, subject, now, budget, reply })?.ok_or(CounterError::Database)
    }

    fn lift(&self, who: &str) -> Result<(), CounterError> {
        let who = who.to_owned();
        self.ask(|reply| Job::Lift { who, reply }).map(drop)
    }
}
