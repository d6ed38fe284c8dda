//! Retention and erasure: per-subject keys in PostgreSQL with an expiry,
//! the `forget_expired` sweep, and the `accounts` table sealed per subject.
//!
//! Shared by the `postgres_store` example and its integration test.
//!
//! The pattern: values of a subject are sealed with that subject's own key
//! (`Keyring::seal_for`); the wrapped keys live in `subject_keys`, which is
//! kept out of long-term backups (`pg_dump --exclude-table=subject_keys`,
//! or a separate database with short retention). Forgetting a subject
//! destroys the key, so every copy of their values (the live table, the
//! dumps taken before) stops opening. Run `VACUUM subject_keys` after a
//! sweep so the old key bytes do not linger in dead tuples.

use std::future::Future;
use std::time::{SystemTime, UNIX_EPOCH};

use desensitize::keys::{SubjectKeyStore, SubjectRecord, WrappedKey};
use desensitize::{Context, Email, Error, KeyError, Keyring, MobilePhone, Sealed};
use sqlx::PgPool;

use crate::db::AnyResult;

/// The subject id of account `id`.
pub fn subject(id: i64) -> String {
    format!("acct-{id}")
}

/// Where an account value belongs.
pub fn account_ctx(column: &str, id: i64) -> Context {
    Context::new("accounts", column).with_row(&id.to_string())
}

/// Seconds since the Unix epoch (the `expires_at` column).
pub fn unix_seconds(t: SystemTime) -> i64 {
    t.duration_since(UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

/// A [`SubjectKeyStore`] over the `subject_keys` table. The trait is
/// synchronous, sqlx is not: each call runs the query on the current tokio
/// runtime (which must be multi-threaded) with `block_in_place`.
pub struct PgSubjectStore {
    pool: PgPool,
}

/// Value-free store errors: the text names the step, never a subject's data.
fn store_err(_: sqlx::Error) -> Error {
    Error::Key(KeyError::Backend("subject key table unavailable"))
}

impl PgSubjectStore {
    /// Create `subject_keys` and return a store over it.
    pub async fn create(pool: PgPool) -> AnyResult<PgSubjectStore> {
        sqlx::query(
            "CREATE TABLE subject_keys (subject TEXT PRIMARY KEY, wrapped BYTEA, \
             forgotten BOOLEAN NOT NULL DEFAULT false, expires_at BIGINT, \
             CHECK (forgotten = (wrapped IS NULL)))",
        )
        .execute(&pool)
        .await?;
        Ok(PgSubjectStore { pool })
    }

    fn block<T>(&self, f: impl Future<Output = Result<T, sqlx::Error>>) -> desensitize::Result<T> {
        tokio::task::block_in_place(|| tokio::runtime::Handle::current().block_on(f)).map_err(store_err)
    }
}

fn record(row: Option<(Option<Vec<u8>>, bool)>) -> Option<SubjectRecord> {
    match row? {
        (_, true) | (None, _) => Some(SubjectRecord::Forgotten),
        (Some(w), false) => Some(SubjectRecord::Active(WrappedKey::from_bytes(w))),
    }
}

impl SubjectKeyStore for PgSubjectStore {
    fn load(&self, subject: &str) -> desensitize::Result<Option<SubjectRecord>> {
        let row = self.block(
            sqlx::query_as("SELECT wrapped, forgotten FROM subject_keys WHERE subject = $1")
                .bind(subject)
                .fetch_optional(&self.pool),
        )?;
        Ok(record(row))
    }

    fn insert_if_absent(&self, subject: &str, key: WrappedKey) -> desensitize::Result<SubjectRecord> {
        self.block(
            sqlx::query("INSERT INTO subject_keys (subject, wrapped) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                .bind(subject)
                .bind(key.as_bytes())
                .execute(&self.pool),
        )?;
        self.load(subject)?.ok_or(Error::UnknownSubject)
    }

    fn replace(&self, subject: &str, key: WrappedKey) -> desensitize::Result<()> {
        let done = self.block(
            sqlx::query("UPDATE subject_keys SET wrapped = $2 WHERE subject = $1 AND NOT forgotten")
                .bind(subject)
                .bind(key.as_bytes())
                .execute(&self.pool),
        )?;
        if done.rows_affected() == 1 { Ok(()) } else { Err(Error::SubjectForgotten) }
    }

    fn forget(&self, subject: &str) -> desensitize::Result<()> {
        self.block(
            sqlx::query(
                "INSERT INTO subject_keys (subject, wrapped, forgotten) VALUES ($1, NULL, true) \
                 ON CONFLICT (subject) DO UPDATE SET wrapped = NULL, forgotten = true, expires_at = NULL",
            )
            .bind(subject)
            .execute(&self.pool),
        )?;
        Ok(())
    }

    fn set_expiry(&self, subject: &str, expires_at: Option<SystemTime>) -> desensitize::Result<()> {
        let done = self.block(
            sqlx::query("UPDATE subject_keys SET expires_at = $2 WHERE subject = $1 AND NOT forgotten")
                .bind(subject)
                .bind(expires_at.map(unix_seconds))
                .execute(&self.pool),
        )?;
        if done.rows_affected() == 1 { Ok(()) } else { Err(Error::UnknownSubject) }
    }

    fn expired(&self, now: SystemTime) -> desensitize::Result<Vec<String>> {
        self.block(
            sqlx::query_scalar(
                "SELECT subject FROM subject_keys WHERE NOT forgotten AND expires_at <= $1 ORDER BY subject",
            )
            .bind(unix_seconds(now))
            .fetch_all(&self.pool),
        )
    }

    /// One statement: every due key destroyed at once.
    fn forget_expired(&self, now: SystemTime) -> desensitize::Result<usize> {
        let done = self.block(
            sqlx::query(
                "UPDATE subject_keys SET wrapped = NULL, forgotten = true, expires_at = NULL \
                 WHERE NOT forgotten AND expires_at <= $1",
            )
            .bind(unix_seconds(now))
            .execute(&self.pool),
        )?;
        Ok(done.rows_affected() as usize)
    }
}

/// The `accounts` table: e-mail and phone sealed for the account's subject.
pub async fn create_accounts(pool: &PgPool) -> AnyResult<()> {
    sqlx::query("CREATE TABLE accounts (id BIGINT PRIMARY KEY, subject TEXT NOT NULL, email TEXT NOT NULL, phone TEXT NOT NULL)")
        .execute(pool)
        .await?;
    Ok(())
}

/// Open an account (uses `tokio::task::block_in_place` through the store).
pub async fn insert_account(
    pool: &PgPool,
    keyring: &Keyring,
    store: &PgSubjectStore,
    id: i64,
    email: &Email,
    phone: &MobilePhone,
    expires_at: Option<SystemTime>,
) -> AnyResult<()> {
    let s = subject(id);
    let email_sealed = keyring.seal_for(store, &s, email, &account_ctx("email", id))?;
    let phone_sealed = keyring.seal_for(store, &s, phone, &account_ctx("phone", id))?;
    store.set_expiry(&s, expires_at)?;
    sqlx::query("INSERT INTO accounts (id, subject, email, phone) VALUES ($1, $2, $3, $4)")
        .bind(id)
        .bind(&s)
        .bind(&email_sealed)
        .bind(&phone_sealed)
        .execute(pool)
        .await?;
    Ok(())
}

/// Open an account's e-mail from its sealed text, wherever that text came from.
pub fn open_email(
    keyring: &Keyring,
    store: &PgSubjectStore,
    id: i64,
    text: &str,
) -> desensitize::Result<Email> {
    let sealed: Sealed<Email> = text.parse()?;
    keyring.open_for(store, &subject(id), &sealed, &account_ctx("email", id), "account-support")
}
