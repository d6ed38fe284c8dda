//! `desensitize` against a real database: a SQLite `users` table whose
//! personal columns are sealed, searchable by phone through a blind index,
//! listed masked, carried through a root-key rotation, and whose users can be
//! forgotten (crypto-shredding) by deleting one wrapped key.
//!
//! Run with `cargo run --release --example sqlite_store` (about a second; a
//! debug build runs the crypto unoptimized and takes about 20 seconds).
//! Options: `--keep` keeps the database file for a look with the `sqlite3`
//! shell, `--rows N` changes the number of users (default 10,000).
//!
//! The keyring is generated in memory (no Argon2). A real application loads
//! it from a protected keyring file or a KMS.

use std::path::Path;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use desensitize::fake::{FakeRecord, Faker};
use desensitize::keys::{SubjectKeyStore, SubjectRecord, WrappedKey};
use desensitize::pseudo::{BlindIndex, Domain, Planner, Transform};
use desensitize::seal::ResealProgress;
use desensitize::{
    Address, Context, Email, Error, IdNumber, Keyring, MaskLevel, MobilePhone, PersonName, Sealable, Sealed,
    Sensitive,
};
use rusqlite::{Connection, OptionalExtension, params};

type AnyResult<T> = Result<T, Box<dyn std::error::Error>>;

/// Users in the demo table, unless `--rows N` says otherwise.
const USERS: i64 = 10_000;
/// Rows per transaction when rewriting the table (re-sealing, re-indexing, re-wrapping).
const BATCH: i64 = 1_000;
/// Seed of the synthetic users: the same people on every run.
const SEED: u64 = 2024;

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

fn main() -> AnyResult<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let keep = args.iter().any(|a| a == "--keep");
    let users = match args.iter().position(|a| a == "--rows") {
        Some(at) => {
            args.get(at + 1).and_then(|n| n.parse().ok()).filter(|&n| n >= 100).ok_or("--rows N, N >= 100")?
        }
        None => USERS,
    };
    let dir = std::env::temp_dir().join(format!("desensitize-sqlite-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("users.db");

    let result = run(&path, users);

    if keep {
        println!("\nKept {} (inspect it with: sqlite3 {})", path.display(), path.display());
    } else {
        std::fs::remove_dir_all(&dir)?;
        println!("\nDeleted {} (pass --keep to keep it)", path.display());
    }
    result
}

fn run(path: &Path, users: i64) -> AnyResult<()> {
    section("1. Schema: sealed columns, a blind index, a subject key table");
    println!("  database file: {}", path.display());
    let conn = Connection::open(path)?;
    // Forgetting a user overwrites their wrapped key; with secure_delete
    // SQLite zeroes the freed bytes instead of leaving them in the page, where
    // any later copy of the file would still hold the key. (Copies made
    // before are another matter: keep subject_keys out of long-term backups,
    // or purge forgotten subjects there too.)
    conn.execute_batch("PRAGMA secure_delete = ON;")?;
    conn.execute_batch(SCHEMA)?;
    let store = SqliteSubjectStore::new(conn);

    // Demo only: real keyrings live in a protected file or a KMS.
    let mut keyring = Keyring::generate()?;

    // A blind index makes the sealed phone column searchable. Its length comes
    // from the planner: long enough that a lookup opens only a few rows, short
    // enough that several rows share every index value, so equal index values
    // prove nothing about equal phones.
    let plan = Planner::new(users as u64).recommend::<MobilePhone>(Transform::Full)?;
    let phone_index = Domain::new("users.mobile")?;
    // Pinned, so that rotating the sealing key does not silently change every
    // index value; moving the index to a new key is a deliberate step (5).
    keyring.pin(&phone_index, keyring.active_key_id().unwrap_or(1))?;
    let mut index = keyring.blind_index::<MobilePhone>(&phone_index, Transform::Full, plan.bits())?;
    println!(
        "  mobile_idx: {} bits for {users} rows: ~{:.1} rows share each index value, \
         ~{:.0} possible phones map to each",
        plan.bits(),
        plan.rows_per_index_value(),
        plan.inputs_per_index_value()
    );
    println!("  name, id_number, mobile, email: sealed per user (can be forgotten)");
    println!("  address: sealed under the keyring itself (re-sealed on rotation)");

    section("2. Insert the synthetic users in one transaction");
    let mut faker = Faker::new(SEED);
    let records: Vec<FakeRecord> = (0..users).map(|_| faker.record()).collect();
    let started = Instant::now();
    // One transaction: the rows and the subject keys that seal_for creates on
    // the way commit together, or not at all.
    in_transaction(&store, || {
        for (id, user) in (1..).zip(&records) {
            insert_user(&keyring, &store, &index, id, user)?;
        }
        Ok(())
    })?;
    let elapsed = started.elapsed();
    println!(
        "  {} rows in {:.2?}: {:.0} rows/s (5 seals per row: 4 per-subject, 1 keyring)",
        count(&store, "SELECT count(*) FROM users")?,
        elapsed,
        users as f64 / elapsed.as_secs_f64()
    );
    println!("  {} subject keys stored", count(&store, "SELECT count(*) FROM subject_keys")?);
    let row = fetch_rows(&store, 1, 1)?.remove(0);
    println!("  row 1 as stored (no plaintext anywhere):");
    println!("    name       {}", abbreviate(&row.name));
    println!("    mobile     {}", abbreviate(&row.mobile));
    println!("    mobile_idx {}", row.mobile_idx);
    println!("    address    {}", abbreviate(row.address.as_deref().unwrap_or("NULL")));

    section("3. Look a user up by phone through the blind index");
    // A user calls support and reads out their number, formatted their way.
    // Parsing normalizes it, so the index matches however it was typed.
    let target = users / 2;
    let digits = records[(target - 1) as usize].mobile.expose();
    let wanted: MobilePhone = format!("+86 {}-{}-{}", &digits[..3], &digits[3..7], &digits[7..]).parse()?;
    println!("  searching for user {target}'s phone, typed as +86 ***-****-****");
    let started = Instant::now();
    let found = find_by_mobile(&keyring, &store, &index, &wanted)?;
    println!(
        "  mobile_idx = {} returned {} candidate rows; opening them kept {} ({} false positives), in {:.2?}",
        index.compute(&wanted),
        found.candidates,
        found.matches.len(),
        found.candidates - found.matches.len(),
        started.elapsed()
    );
    for id in &found.matches {
        let user = open_user(&keyring, &store, &fetch_rows(&store, *id, 1)?[0], "support-lookup")?;
        println!("  match: user {id}: {} {} {}", user.name, user.mobile, user.id_number);
    }

    section("4. List 10 users, masked (opened in memory, never printed in clear)");
    println!("  {:>3}  {}", "id", masked_header());
    for row in fetch_rows(&store, 1, 10)? {
        let user = open_user(&keyring, &store, &row, "admin-list")?;
        println!("  {:>3}  {}", row.id, masked_line(&user));
    }

    section("5. Rotate the root key, re-seal, re-wrap, re-index, destroy the old key");
    let old = keyring.active_key_id().unwrap_or(1);
    let new = keyring.rotate()?;
    println!("  rotated: key {old} is decrypt-only, key {new} seals from now on");
    let remaining = print_remaining(&keyring, &store, old)?;
    // The keyring refuses to destroy a key that an index is pinned to, or
    // that the caller says still protects values.
    refuse_destroy(&mut keyring, old, remaining)?;

    // The blind-index key is derived from a root key too: move the index to
    // the new key and recompute every value (this opens every phone). Until
    // the batch holding a row commits, a lookup misses that row; a live
    // system would fill a second index column and switch over.
    keyring.pin(&phone_index, new)?;
    index = keyring.blind_index::<MobilePhone>(&phone_index, Transform::Full, plan.bits())?;
    let started = Instant::now();
    let reindexed = rebuild_index(&keyring, &store, &index)?;
    println!("  re-indexed {reindexed} phones under key {new} in {:.2?}", started.elapsed());
    refuse_destroy(&mut keyring, old, remaining)?;

    // Keyring-sealed values must be re-sealed: batches of 1,000 rows, each
    // its own transaction, so a crash loses at most one batch, and running
    // again resumes (values already under the active key are left as they are).
    let started = Instant::now();
    let resealed = reseal_addresses(&keyring, &store)?;
    println!("  re-sealed {resealed} addresses in {:.2?}", started.elapsed());

    // Subject-sealed values are never re-sealed: only each subject's data key
    // is unwrapped and wrapped again under the new root key. The values
    // themselves do not change.
    let started = Instant::now();
    let rewrapped = rewrap_subjects(&keyring, &store)?;
    println!("  re-wrapped {rewrapped} subject keys in {:.2?}", started.elapsed());

    let remaining = print_remaining(&keyring, &store, old)?;
    keyring.destroy(old, remaining)?;
    println!("  destroy key {old} with 0 values left: accepted");
    for k in keyring.keys() {
        println!("    key {:>2}  {:<13} seals: {}", k.id, k.state.as_str(), k.seal_count);
    }
    let started = Instant::now();
    let check = open_all(&keyring, &store)?;
    println!(
        "  every row opens under the new key: {} of {users} rows, {} failures ({:.2?})",
        check.opened,
        check.failed.len(),
        started.elapsed()
    );
    let found = find_by_mobile(&keyring, &store, &index, &wanted)?;
    println!("  the phone lookup still works: {} candidates, match {:?}", found.candidates, found.matches);

    section("6. Forget user 42: crypto-shredding, backups included");
    let victim = 42;
    // A copy of the row taken earlier: last night's backup, an export, a replica.
    let backup = fetch_rows(&store, victim, 1)?.remove(0);
    // The address is sealed under the keyring, not the subject's key, so
    // forget() cannot reach it: erase it from the live row as well, in the
    // same transaction.
    in_transaction(&store, || {
        store.forget(&subject(victim))?;
        store.db().execute("UPDATE users SET address = NULL WHERE id = ?1", [victim])?;
        Ok(())
    })?;
    let live = fetch_rows(&store, victim, 1)?.remove(0);
    println!("  live row {victim}:");
    print_open_attempts(&keyring, &store, &live);
    println!("  backup copy of row {victim}, taken before forget:");
    print_open_attempts(&keyring, &store, &backup);
    println!(
        "  -> every per-subject value is gone in every copy; the keyring-sealed address in the \
         backup still opens, which is why personal columns are sealed per subject"
    );
    let neighbour = open_user(&keyring, &store, &fetch_rows(&store, victim + 1, 1)?[0], "support")?;
    println!("  neighbour user {} still opens: {}", victim + 1, masked_line(&neighbour));
    let (wrapped, forgotten): (Option<Vec<u8>>, bool) = store.db().query_row(
        "SELECT wrapped, forgotten FROM subject_keys WHERE subject = ?1",
        [subject(victim)],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    println!(
        "  subject_keys row: wrapped = {}, forgotten = {forgotten}",
        wrapped.map_or("NULL".to_owned(), |w| format!("{} bytes", w.len()))
    );
    Ok(())
}

// ---------------------------------------------------------------------------
// The subject key store: wrapped per-user keys in a SQLite table.

/// [`SubjectKeyStore`] over the `subject_keys` table.
///
/// It owns the application's one connection, which the application borrows
/// through [`SqliteSubjectStore::db`]. One connection on purpose: `seal_for`
/// inserts a new user's key in the middle of the application's transaction,
/// so a row and the key that seals it commit (or roll back) together. A
/// second connection would wait forever on the first one's write lock.
struct SqliteSubjectStore {
    conn: Mutex<Connection>,
}

impl SqliteSubjectStore {
    fn new(conn: Connection) -> SqliteSubjectStore {
        SqliteSubjectStore { conn: Mutex::new(conn) }
    }

    /// The connection, for the application's own queries. Drop the guard
    /// before calling into the keyring: store calls would wait for it.
    fn db(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Store errors stay value-free like the crate's own: no SQL, no subject id.
fn store_error(_: rusqlite::Error) -> Error {
    Error::Key("subject key store: database error")
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
fn in_transaction<R>(store: &SqliteSubjectStore, f: impl FnOnce() -> AnyResult<R>) -> AnyResult<R> {
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

// ---------------------------------------------------------------------------
// Rows: sealing on the way in, opening on the way out.

/// The subject id of a user: whose key seals their per-subject columns.
fn subject(id: i64) -> String {
    format!("user-{id}")
}

/// Where a value belongs. The row id is bound too: an envelope copied into
/// another row or column does not open there.
fn ctx(column: &str, id: i64) -> Context {
    Context::new("users", column).with_row(&id.to_string())
}

fn insert_user(
    keyring: &Keyring,
    store: &SqliteSubjectStore,
    index: &BlindIndex<MobilePhone>,
    id: i64,
    user: &FakeRecord,
) -> AnyResult<()> {
    let name = seal_for_user(keyring, store, id, "name", &user.name)?;
    let id_number = seal_for_user(keyring, store, id, "id_number", &user.id_number)?;
    let mobile = seal_for_user(keyring, store, id, "mobile", &user.mobile)?;
    let email = seal_for_user(keyring, store, id, "email", &user.email)?;
    let address = keyring.seal_text(&user.address, &ctx("address", id))?;
    let mobile_idx = index.compute(&user.mobile).value() as i64;
    store
        .db()
        .prepare_cached(
            "INSERT INTO users (id, name, id_number, mobile, mobile_idx, email, address)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?
        .execute(params![id, name, id_number, mobile, mobile_idx, email, address])?;
    Ok(())
}

/// Seal under user `id`'s own key (created on first use) to the text form.
fn seal_for_user<T: Sealable>(
    keyring: &Keyring,
    store: &SqliteSubjectStore,
    id: i64,
    column: &str,
    value: &T,
) -> desensitize::Result<String> {
    Ok(keyring.seal_for(store, &subject(id), value, &ctx(column, id))?.to_text())
}

/// Open a per-subject column of user `id` (an audited call, for `purpose`).
fn open_for_user<T: Sealable>(
    keyring: &Keyring,
    store: &SqliteSubjectStore,
    id: i64,
    column: &str,
    text: &str,
    purpose: &str,
) -> desensitize::Result<T> {
    keyring.open_for(store, &subject(id), &text.parse::<Sealed<T>>()?, &ctx(column, id), purpose)
}

/// A `users` row as stored: envelopes only.
struct UserRow {
    id: i64,
    name: String,
    id_number: String,
    mobile: String,
    mobile_idx: i64,
    email: String,
    address: Option<String>,
}

/// Up to `limit` rows from id `from` on, in id order.
fn fetch_rows(store: &SqliteSubjectStore, from: i64, limit: i64) -> rusqlite::Result<Vec<UserRow>> {
    let db = store.db();
    let mut select = db.prepare_cached(
        "SELECT id, name, id_number, mobile, mobile_idx, email, address
         FROM users WHERE id >= ?1 ORDER BY id LIMIT ?2",
    )?;
    let rows = select.query_map([from, limit], |r| {
        Ok(UserRow {
            id: r.get(0)?,
            name: r.get(1)?,
            id_number: r.get(2)?,
            mobile: r.get(3)?,
            mobile_idx: r.get(4)?,
            email: r.get(5)?,
            address: r.get(6)?,
        })
    })?;
    rows.collect()
}

/// A user opened in memory: typed values whose `Display` is the standard mask.
struct User {
    name: PersonName,
    id_number: IdNumber,
    mobile: MobilePhone,
    email: Email,
    address: Option<Address>,
}

fn open_user(
    keyring: &Keyring,
    store: &SqliteSubjectStore,
    row: &UserRow,
    purpose: &str,
) -> desensitize::Result<User> {
    Ok(User {
        name: open_for_user(keyring, store, row.id, "name", &row.name, purpose)?,
        id_number: open_for_user(keyring, store, row.id, "id_number", &row.id_number, purpose)?,
        mobile: open_for_user(keyring, store, row.id, "mobile", &row.mobile, purpose)?,
        email: open_for_user(keyring, store, row.id, "email", &row.email, purpose)?,
        address: match &row.address {
            Some(text) => Some(keyring.open_text(text, &ctx("address", row.id), purpose)?),
            None => None,
        },
    })
}

// ---------------------------------------------------------------------------
// Search, rotation, verification.

struct Found {
    /// Rows whose index matched: the real match plus false positives.
    candidates: usize,
    /// Rows whose opened phone is the one searched for.
    matches: Vec<i64>,
}

/// Equality search over a sealed column: the index narrows the table to a
/// few candidate rows, opening their phones drops the false positives.
fn find_by_mobile(
    keyring: &Keyring,
    store: &SqliteSubjectStore,
    index: &BlindIndex<MobilePhone>,
    phone: &MobilePhone,
) -> AnyResult<Found> {
    let candidates: Vec<(i64, String)> = {
        let db = store.db(); // released before opening: open_for needs the store
        let mut select = db.prepare_cached("SELECT id, mobile FROM users WHERE mobile_idx = ?1")?;
        let rows = select.query_map([index.compute(phone).value() as i64], |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    let mut matches = Vec::new();
    for (id, sealed) in &candidates {
        match open_for_user::<MobilePhone>(keyring, store, *id, "mobile", sealed, "support-lookup") {
            Ok(candidate) if candidate == *phone => matches.push(*id),
            Ok(_) | Err(Error::SubjectForgotten) => {} // a false positive, or a forgotten user
            Err(e) => return Err(e.into()),
        }
    }
    Ok(Found { candidates: candidates.len(), matches })
}

/// Count values that still need root key `old`, print them, return the total:
/// `needs_rotation` per sealed column (reads headers only, decrypts nothing),
/// plus the subject keys still wrapped under `old`.
fn print_remaining(keyring: &Keyring, store: &SqliteSubjectStore, old: u32) -> AnyResult<u64> {
    let mut columns = [("name", 0u64), ("id_number", 0), ("mobile", 0), ("email", 0), ("address", 0)];
    {
        let db = store.db();
        let mut select = db.prepare_cached("SELECT name, id_number, mobile, email, address FROM users")?;
        let mut rows = select.query([])?;
        while let Some(r) = rows.next()? {
            columns[0].1 +=
                u64::from(needs_rotation::<PersonName>(keyring, r.get_ref(0)?.as_str_or_null()?)?);
            columns[1].1 += u64::from(needs_rotation::<IdNumber>(keyring, r.get_ref(1)?.as_str_or_null()?)?);
            columns[2].1 +=
                u64::from(needs_rotation::<MobilePhone>(keyring, r.get_ref(2)?.as_str_or_null()?)?);
            columns[3].1 += u64::from(needs_rotation::<Email>(keyring, r.get_ref(3)?.as_str_or_null()?)?);
            columns[4].1 += u64::from(needs_rotation::<Address>(keyring, r.get_ref(4)?.as_str_or_null()?)?);
        }
    }
    let keys = subject_keys_under(store, old)?;
    let listed: Vec<String> = columns.iter().map(|(c, n)| format!("{c} {n}")).collect();
    println!("  needs_rotation: {}; subject keys wrapped under key {old}: {keys}", listed.join(", "));
    Ok(columns.iter().map(|(_, n)| n).sum::<u64>() + keys)
}

fn needs_rotation<T: Sealable>(keyring: &Keyring, text: Option<&str>) -> desensitize::Result<bool> {
    match text {
        Some(text) => Ok(text.parse::<Sealed<T>>()?.needs_rotation(keyring)),
        None => Ok(false),
    }
}

/// Live subject keys still wrapped under root key `key_id`.
fn subject_keys_under(store: &SqliteSubjectStore, key_id: u32) -> rusqlite::Result<u64> {
    let db = store.db();
    let mut select = db.prepare_cached("SELECT wrapped FROM subject_keys WHERE forgotten = 0")?;
    let mut under = 0;
    for wrapped in select.query_map([], |r| r.get::<_, Vec<u8>>(0))? {
        under += u64::from(WrappedKey::from_bytes(wrapped?).wrapping_key_id() == Some(key_id));
    }
    Ok(under)
}

fn refuse_destroy(keyring: &mut Keyring, old: u32, remaining: u64) -> AnyResult<()> {
    match keyring.destroy(old, remaining) {
        Err(e) => println!("  destroy key {old} now: refused ({e})"),
        Ok(()) => return Err("BUG: destroyed a key still in use".into()),
    }
    Ok(())
}

/// Recompute `mobile_idx` for every row under `index`, in batches.
fn rebuild_index(
    keyring: &Keyring,
    store: &SqliteSubjectStore,
    index: &BlindIndex<MobilePhone>,
) -> AnyResult<usize> {
    let mut done = 0;
    let mut from = 1;
    loop {
        let rows = fetch_rows(store, from, BATCH)?;
        let Some(last) = rows.last() else { break };
        from = last.id + 1;
        in_transaction(store, || {
            for row in &rows {
                let phone: MobilePhone =
                    open_for_user(keyring, store, row.id, "mobile", &row.mobile, "reindex")?;
                let value = index.compute(&phone).value() as i64;
                store
                    .db()
                    .prepare_cached("UPDATE users SET mobile_idx = ?2 WHERE id = ?1")?
                    .execute([row.id, value])?;
            }
            Ok(())
        })?;
        done += rows.len();
    }
    Ok(done)
}

/// Re-seal the keyring-sealed `address` column under the active key, one
/// transaction per batch, with `reseal_all` reporting progress.
fn reseal_addresses(keyring: &Keyring, store: &SqliteSubjectStore) -> AnyResult<usize> {
    let mut resealed = 0;
    let mut from = 1;
    loop {
        let rows: Vec<(i64, String)> = fetch_rows(store, from, BATCH)?
            .into_iter()
            .filter_map(|row| row.address.map(|address| (row.id, address)))
            .collect();
        let (Some(first), Some(last)) = (rows.first(), rows.last()) else { break };
        let (first, last) = (first.0, last.0);
        from = last + 1;

        let items = rows
            .iter()
            .map(|(id, text)| Ok((text.parse::<Sealed<Address>>()?, ctx("address", *id))))
            .collect::<desensitize::Result<Vec<_>>>()?;
        let total = items.len();
        let mut progress = ResealProgress { done: 0, failed: 0 };
        let report = keyring.reseal_all(items, |p| progress = *p);

        let mut db = store.db();
        let tx = db.transaction()?;
        {
            let mut update = tx.prepare_cached("UPDATE users SET address = ?2 WHERE id = ?1")?;
            for ((id, _), outcome) in rows.iter().zip(&report.outcomes) {
                if let Ok(sealed) = outcome {
                    update.execute(params![id, sealed.to_text()])?;
                }
            }
        }
        tx.commit()?;
        println!(
            "    rows {first:>5}..={last:<5} {}/{total} processed: {} re-sealed, {} unchanged, {} failed",
            progress.done, report.resealed, report.unchanged, progress.failed
        );
        resealed += report.resealed;
    }
    Ok(resealed)
}

/// Re-wrap every live subject key under the active root key, in batches.
fn rewrap_subjects(keyring: &Keyring, store: &SqliteSubjectStore) -> AnyResult<usize> {
    let subjects: Vec<String> = {
        let db = store.db();
        let mut select = db.prepare_cached("SELECT subject FROM subject_keys WHERE forgotten = 0")?;
        let rows = select.query_map([], |r| r.get(0))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    for batch in subjects.chunks(BATCH as usize) {
        in_transaction(store, || {
            for subject in batch {
                keyring.rewrap_subject(store, subject)?;
            }
            Ok(())
        })?;
    }
    Ok(subjects.len())
}

struct OpenCheck {
    opened: usize,
    failed: Vec<(i64, Error)>,
}

/// Open every column of every row.
fn open_all(keyring: &Keyring, store: &SqliteSubjectStore) -> AnyResult<OpenCheck> {
    let mut check = OpenCheck { opened: 0, failed: Vec::new() };
    let mut from = 1;
    loop {
        let rows = fetch_rows(store, from, BATCH)?;
        let Some(last) = rows.last() else { break };
        from = last.id + 1;
        for row in &rows {
            match open_user(keyring, store, row, "verify-rotation") {
                Ok(_) => check.opened += 1,
                Err(e) => check.failed.push((row.id, e)),
            }
        }
    }
    Ok(check)
}

// ---------------------------------------------------------------------------
// Printing.

fn section(title: &str) {
    println!("\n== {title}");
}

fn count(store: &SqliteSubjectStore, sql: &str) -> rusqlite::Result<i64> {
    store.db().query_row(sql, [], |r| r.get(0))
}

/// The first characters of an envelope: enough to see what is stored.
fn abbreviate(text: &str) -> String {
    match text.char_indices().nth(40) {
        Some((at, _)) => format!("{}… ({} chars)", &text[..at], text.len()),
        None => text.to_owned(),
    }
}

const WIDTHS: [usize; 5] = [8, 20, 13, 24, 24];

fn masked_header() -> String {
    let cells = ["name", "id_number", "mobile", "email", "address"];
    cells.iter().zip(WIDTHS).map(|(c, w)| pad(c, w)).collect::<Vec<_>>().join(" ")
}

/// A user's columns at the standard mask level (what `Display` prints).
fn masked_line(user: &User) -> String {
    let address = user.address.as_ref().map_or("NULL".to_owned(), |a| a.mask(MaskLevel::Standard));
    let cells = [
        user.name.mask(MaskLevel::Standard),
        user.id_number.mask(MaskLevel::Standard),
        user.mobile.mask(MaskLevel::Standard),
        user.email.mask(MaskLevel::Standard),
        address,
    ];
    cells.iter().zip(WIDTHS).map(|(c, w)| pad(c, w)).collect::<Vec<_>>().join(" ")
}

/// Left-align in `width` terminal columns: CJK characters take two.
fn pad(text: &str, width: usize) -> String {
    let cols: usize = text.chars().map(|c| if c >= '\u{2E80}' { 2 } else { 1 }).sum();
    format!("{text}{}", " ".repeat(width.saturating_sub(cols)))
}

/// Try to open each column of `row`, printing the masked value or the error.
fn print_open_attempts(keyring: &Keyring, store: &SqliteSubjectStore, row: &UserRow) {
    fn show<T: Sensitive>(column: &str, result: desensitize::Result<Option<T>>) {
        let shown = match result {
            Ok(Some(value)) => format!("opens: {value}"),
            Ok(None) => "NULL".to_owned(),
            Err(e) => format!("refused: {e}"),
        };
        println!("    {column:<10} {shown}");
    }
    let id = row.id;
    let purpose = "erasure-check";
    show::<PersonName>("name", open_for_user(keyring, store, id, "name", &row.name, purpose).map(Some));
    show::<IdNumber>(
        "id_number",
        open_for_user(keyring, store, id, "id_number", &row.id_number, purpose).map(Some),
    );
    show::<MobilePhone>(
        "mobile",
        open_for_user(keyring, store, id, "mobile", &row.mobile, purpose).map(Some),
    );
    show::<Email>("email", open_for_user(keyring, store, id, "email", &row.email, purpose).map(Some));
    show::<Address>(
        "address",
        row.address.as_deref().map(|text| keyring.open_text(text, &ctx("address", id), purpose)).transpose(),
    );
}
