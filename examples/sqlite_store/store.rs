//! The database side: the schema, the one connection, transactions on it,
//! and [`SqliteSubjectStore`], the wrapped per-user keys in `subject_keys`.
//!
//! Shared by the `sqlite_store` example and its integration test
//! (`tests/sqlite_store.rs` includes this file with `#[path]`).

use std::path::Path;
use std::sync::{Mutex, MutexGuard, PoisonError};

use desensitize::keys::{SubjectKeyStore, SubjectRecord, WrappedKey};
use desensitize::{Error, KeyError};
use rusqlite::{Connection, OptionalExtension, params};

pub type AnyResult<T> = Result<T, Box<dyn std::error::Error>>;

/// Every personal column holds a `dz1.` envelope: text that is safe to store,
/// copy and print, and that only the keyring can open.
const SCHEMA: &str = "
    CREATE TABLE users (
        id         INTEGER PRIMARY KEY,
        name       TEXT NOT NULL,    -- sealed for subject 'user-<id>'
        id_number  TEXT NOT NULL,    -- sealed for subject 'user-<id>'
        mobile     TEXT NOT NULL,    -- sealed for subject 'user-<id>'
        mobile_idx INTEGER NOT NULL, -- blind index of the phone: a few bits of HMAC
        email      TEXT NOT NULL,    -- sealed for subject 'user-<id>'
        address    TEXT,             -- sealed under the keyring's root key
        created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
    );
    CREATE INDEX users_by_mobile_idx ON users (mobile_idx);

    -- One data key per user, wrapped by the keyring. Forgetting a user
    -- erases the key and leaves a tombstone.
    CREATE TABLE subject_keys (
        subject   TEXT PRIMARY KEY,
        wrapped   BLOB,
        forgotten INTEGER NOT NULL DEFAULT 0,
        CHECK ((wrapped IS NULL) = (forgotten = 1))
    );
";

/// [`SubjectKeyStore`] over the `subject_keys` table.
///
/// It owns the application's one connection, which the application borrows
/// through [`SqliteSubjectStore::db`]. One connection on purpose: `seal_for`
/// inserts a new user's key in the middle of the application's transaction,
/// so a row and the key that seals it commit (or roll back) together. A
/// second connection would wait forever on the first one's write lock.
pub struct SqliteSubjectStore {
    conn: Mutex<Connection>,
}

impl SqliteSubjectStore {
    /// Create the database file at `path` with [`SCHEMA`].
    pub fn create(path: &Path) -> rusqlite::Result<SqliteSubjectStore> {
        let conn = Connection::open(path)?;
        // Forgetting a user overwrites their wrapped key; with secure_delete
        // SQLite zeroes the freed bytes instead of leaving them in the page,
        // where any later copy of the file would still hold the key. (Copies
        // made before are another matter: keep subject_keys out of long-term
        // backups, or purge forgotten subjects there too.)
        conn.execute_batch("PRAGMA secure_delete = ON;")?;
        conn.execute_batch(SCHEMA)?;
        Ok(SqliteSubjectStore { conn: Mutex::new(conn) })
    }

    /// The connection, for the application's own queries. Drop the guard
    /// before calling into the keyring: store calls would wait for it.
    pub fn db(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The one number `sql` selects, e.g. a `count(*)`.
    pub fn count(&self, sql: &str) -> rusqlite::Result<i64> {
        self.db().query_row(sql, [], |r| r.get(0))
    }
}

/// Store errors stay value-free like the crate's own: no SQL, no subject id.
fn store_error(_: rusqlite::Error) -> Error {
    Error::Key(KeyError::Backend("subject key store: database error"))
}

fn load_record(db: &Connection, subject: &str) -> rusqlite::Result<Option<SubjectRecord>> {
    db.prepare_cached("SELECT wrapped, forgotten FROM subject_keys WHERE subject = ?1")?
        .query_row([subject], |row| {
            let forgotten: bool = row.get(1)?;
            Ok(match row.get::<_, Option<Vec<u8>>>(0)? {
                Some(bytes) if !forgotten => SubjectRecord::Active(WrappedKey::from_bytes(bytes)),
                _ => SubjectRecord::Forgotten,
            })
        })
        .optional()
}

impl SubjectKeyStore for SqliteSubjectStore {
    fn load(&self, subject: &str) -> desensitize::Result<Option<SubjectRecord>> {
        load_record(&self.db(), subject).map_err(store_error)
    }

    fn insert_if_absent(&self, subject: &str, key: WrappedKey) -> desensitize::Result<SubjectRecord> {
        let db = self.db();
        // Atomic: if another writer stored a key first, that key stays and is returned.
        db.prepare_cached("INSERT OR IGNORE INTO subject_keys (subject, wrapped) VALUES (?1, ?2)")
            .and_then(|mut insert| insert.execute(params![subject, key.as_bytes()]))
            .map_err(store_error)?;
        load_record(&db, subject).map_err(store_error)?.ok_or(Error::UnknownSubject)
    }

    fn replace(&self, subject: &str, key: WrappedKey) -> desensitize::Result<()> {
        let db = self.db();
        // `forgotten = 0`: re-wrapping after a rotation must never revive a forgotten user.
        let changed = db
            .prepare_cached("UPDATE subject_keys SET wrapped = ?2 WHERE subject = ?1 AND forgotten = 0")
            .and_then(|mut update| update.execute(params![subject, key.as_bytes()]))
            .map_err(store_error)?;
        match (changed, load_record(&db, subject).map_err(store_error)?) {
            (1, _) => Ok(()),
            (_, Some(_)) => Err(Error::SubjectForgotten),
            (_, None) => Err(Error::UnknownSubject),
        }
    }

    fn forget(&self, subject: &str) -> desensitize::Result<()> {
        // Erase the key and keep a tombstone, so that opening says "forgotten", not "unknown".
        self.db()
            .execute(
                "INSERT INTO subject_keys (subject, wrapped, forgotten) VALUES (?1, NULL, 1)
                 ON CONFLICT (subject) DO UPDATE SET wrapped = NULL, forgotten = 1",
                [subject],
            )
            .map_err(store_error)?;
        Ok(())
    }
}

/// Run `f` in one transaction on the store's connection. Plain `BEGIN` and
/// `COMMIT` rather than `rusqlite::Transaction`, which would hold the
/// connection's lock throughout, while `seal_for`, `open_for` and
/// `rewrap_subject` inside `f` need the store (the same connection).
pub fn in_transaction<R>(store: &SqliteSubjectStore, f: impl FnOnce() -> AnyResult<R>) -> AnyResult<R> {
    store.db().execute_batch("BEGIN IMMEDIATE")?;
    match f() {
        Ok(r) => {
            store.db().execute_batch("COMMIT")?;
            Ok(r)
        }
        Err(e) => {
            let _ = store.db().execute_batch("ROLLBACK");
            Err(e)
        }
    }
}
