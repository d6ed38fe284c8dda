//! The `sqlite_store` example's flow against a real SQLite file, every step
//! asserted: sealed storage, blind-index search, masked listing, root-key
//! rotation and crypto-shredding with a `SubjectKeyStore` backed by SQLite.
//!
//! Self-contained (a test cannot import an example): the small store and the
//! row helpers are re-implemented here.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard, PoisonError};

use desensitize::fake::{FakeRecord, Faker};
use desensitize::keys::{KeyState, SubjectKeyStore, SubjectRecord, WrappedKey};
use desensitize::pseudo::{BlindIndex, Domain, Planner, Transform};
use desensitize::{
    Address, Context, Email, Error, IdNumber, Keyring, MaskLevel, MobilePhone, PersonName, Sealable, Sealed,
    Sensitive,
};
use rusqlite::{Connection, OptionalExtension, params};

type AnyResult<T> = Result<T, Box<dyn std::error::Error>>;

/// 10,000 users as in the example; 2,000 in debug builds, where the
/// unoptimized crypto makes the full table take about 40 seconds.
const USERS: i64 = if cfg!(debug_assertions) { 2_000 } else { 10_000 };
const BATCH: i64 = 1_000;
const SEED: u64 = 2024;

const SCHEMA: &str = "
    CREATE TABLE users (
        id         INTEGER PRIMARY KEY,
        name       TEXT NOT NULL,
        id_number  TEXT NOT NULL,
        mobile     TEXT NOT NULL,
        mobile_idx INTEGER NOT NULL,
        email      TEXT NOT NULL,
        address    TEXT,
        created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
    );
    CREATE INDEX users_by_mobile_idx ON users (mobile_idx);
    CREATE TABLE subject_keys (
        subject   TEXT PRIMARY KEY,
        wrapped   BLOB,
        forgotten INTEGER NOT NULL DEFAULT 0,
        CHECK ((wrapped IS NULL) = (forgotten = 1))
    );
";

#[test]
fn sealed_users_table_end_to_end() -> AnyResult<()> {
    let dir = TempDir::new("flow")?;
    let path = dir.0.join("users.db");
    let conn = Connection::open(&path)?;
    conn.execute_batch("PRAGMA secure_delete = ON;")?;
    conn.execute_batch(SCHEMA)?;
    let store = SqliteSubjectStore { conn: Mutex::new(conn) };
    let mut keyring = Keyring::generate()?;
    let old = keyring.active_key_id().ok_or("no active key")?;

    let plan = Planner::new(USERS as u64).recommend::<MobilePhone>(Transform::Full)?;
    let phone_index = Domain::new("users.mobile")?;
    keyring.pin(&phone_index, old)?;
    let mut index = keyring.blind_index::<MobilePhone>(&phone_index, Transform::Full, plan.bits())?;

    // --- Insert: one transaction, per-subject columns plus a keyring-sealed address.
    let mut faker = Faker::new(SEED);
    let records: Vec<FakeRecord> = (0..USERS).map(|_| faker.record()).collect();
    in_transaction(&store, || {
        for (id, user) in (1..).zip(&records) {
            insert_user(&keyring, &store, &index, id, user)?;
        }
        Ok(())
    })?;
    assert_eq!(count(&store, "SELECT count(*) FROM users")?, USERS);
    assert_eq!(count(&store, "SELECT count(*) FROM subject_keys WHERE forgotten = 0")?, USERS);

    // --- Every sealed column is an envelope and holds no plaintext.
    let rows = fetch_rows(&store, 1, USERS)?;
    assert_eq!(rows.len() as i64, USERS);
    for (row, user) in rows.iter().zip(&records) {
        let address = row.address.as_deref().ok_or("address missing")?;
        let stored = [&row.name, &row.id_number, &row.mobile, &row.email, address];
        let plain = [
            user.name.expose(),
            user.id_number.expose(),
            user.mobile.expose(),
            user.email.expose(),
            user.address.expose(),
        ];
        for (sealed, plain) in stored.iter().zip(plain) {
            assert!(sealed.starts_with("dz1."), "row {}: not an envelope", row.id);
            assert!(!sealed.contains(plain), "row {}: plaintext in a sealed column", row.id);
        }
        assert!(row.mobile_idx >= 0 && row.mobile_idx < 1 << plan.bits());
        // Per-subject columns carry no key id; the address is under the root key.
        assert!(row.mobile.parse::<Sealed<MobilePhone>>()?.is_subject_sealed());
        assert_eq!(address.parse::<Sealed<Address>>()?.key_id(), old);
    }
    // Nor does the file itself.
    let plaintexts: Vec<&[u8]> = records
        .iter()
        .flat_map(|u| [u.name.expose(), u.id_number.expose(), u.mobile.expose(), u.email.expose()])
        .map(str::as_bytes)
        .collect();
    assert_eq!(find_any(&std::fs::read(&path)?, &plaintexts), None, "plaintext in the database file");

    // --- Blind-index lookup: the right user among a handful of candidates.
    let max_candidates = 2.0 * (USERS as f64).sqrt();
    for id in [1, 42, USERS / 2, USERS] {
        let wanted = &records[(id - 1) as usize].mobile;
        let found = find_by_mobile(&keyring, &store, &index, wanted)?;
        assert!(found.matches.contains(&id), "user {id} not found by phone");
        assert!((found.candidates as f64) < max_candidates, "{} candidates", found.candidates);
        for m in &found.matches {
            assert_eq!(records[(*m - 1) as usize].mobile, *wanted, "a false positive was kept");
        }
    }
    let unknown: MobilePhone = "19999999999".parse()?;
    assert!(records.iter().all(|r| r.mobile != unknown));
    assert!(find_by_mobile(&keyring, &store, &index, &unknown)?.matches.is_empty());

    // --- Masked listing: exactly the library's mask of the value that went in.
    for row in fetch_rows(&store, 1, 10)? {
        let user = open_user(&keyring, &store, &row, "admin-list")?;
        let original = &records[(row.id - 1) as usize];
        let expected = [
            original.name.mask(MaskLevel::Standard),
            original.id_number.mask(MaskLevel::Standard),
            original.mobile.mask(MaskLevel::Standard),
            original.email.mask(MaskLevel::Standard),
            original.address.mask(MaskLevel::Standard),
        ];
        assert_eq!(masked(&user), expected);
        assert!(!masked(&user).iter().any(|m| m.contains(original.mobile.expose())));
    }

    // --- Rotation.
    let new = keyring.rotate()?;
    let before = remaining(&keyring, &store, old)?;
    assert_eq!(before.needs_rotation, [0, 0, 0, 0, USERS as u64], "only the address needs re-sealing");
    assert_eq!(before.subject_keys, USERS as u64);
    // Refused while the phone index is pinned to the old key...
    assert!(matches!(keyring.destroy(old, before.total()), Err(Error::Key(_))));
    keyring.pin(&phone_index, new)?;
    index = keyring.blind_index::<MobilePhone>(&phone_index, Transform::Full, plan.bits())?;
    assert_eq!(rebuild_index(&keyring, &store, &index)?, USERS as usize);
    // ...and while values remain under it.
    assert_eq!(
        keyring.destroy(old, before.total()),
        Err(Error::KeyInUse { id: old, remaining: 2 * USERS as u64 })
    );
    let (resealed, failed) = reseal_addresses(&keyring, &store)?;
    assert_eq!((resealed, failed), (USERS as usize, 0));
    assert_eq!(rewrap_subjects(&keyring, &store)?, USERS as usize);
    let after = remaining(&keyring, &store, old)?;
    assert_eq!((after.needs_rotation, after.subject_keys), ([0; 5], 0));
    assert_eq!(subject_keys_under(&store, new)?, USERS as u64);
    keyring.destroy(old, after.total())?;
    let states: Vec<_> = keyring.keys().iter().map(|k| (k.id, k.state)).collect();
    assert_eq!(states, [(old, KeyState::Destroyed), (new, KeyState::Active)]);
    // Every row opens under the new key, to the values that went in.
    for row in fetch_rows(&store, 1, USERS)? {
        let user = open_user(&keyring, &store, &row, "verify-rotation")?;
        let original = &records[(row.id - 1) as usize];
        assert!(user.name == original.name && user.id_number == original.id_number);
        assert!(user.mobile == original.mobile && user.email == original.email);
        assert_eq!(user.address.as_ref(), Some(&original.address));
    }
    let found = find_by_mobile(&keyring, &store, &index, &records[(USERS / 2 - 1) as usize].mobile)?;
    assert!(found.matches.contains(&(USERS / 2)), "lookup broken after re-indexing");

    // --- Forget user 42.
    let victim = 42;
    let backup = fetch_rows(&store, victim, 1)?.remove(0);
    let wrapped: Vec<u8> = store.db().query_row(
        "SELECT wrapped FROM subject_keys WHERE subject = ?1",
        [subject(victim)],
        |r| r.get(0),
    )?;
    in_transaction(&store, || {
        store.forget(&subject(victim))?;
        store.db().execute("UPDATE users SET address = NULL WHERE id = ?1", [victim])?;
        Ok(())
    })?;

    // Exactly that user's values fail, with SubjectForgotten.
    for row in fetch_rows(&store, 1, USERS)? {
        let phone = open_for_user::<MobilePhone>(&keyring, &store, row.id, "mobile", &row.mobile, "check");
        if row.id == victim {
            assert_eq!(phone, Err(Error::SubjectForgotten));
        } else {
            assert_eq!(phone?, records[(row.id - 1) as usize].mobile);
        }
    }
    let live = fetch_rows(&store, victim, 1)?.remove(0);
    assert_subject_columns_forgotten(&keyring, &store, &live);
    assert_eq!(live.address, None);
    let neighbour = open_user(&keyring, &store, &fetch_rows(&store, victim + 1, 1)?[0], "support")?;
    assert_eq!(neighbour.name, records[victim as usize].name);

    // The pre-forget copy is dead too, except the keyring-sealed address:
    // forget() reaches only what was sealed for the subject.
    assert_subject_columns_forgotten(&keyring, &store, &backup);
    let backup_address = backup.address.as_deref().ok_or("address missing")?;
    let address: Address = keyring.open_text(backup_address, &ctx("address", victim), "check")?;
    assert_eq!(address, records[(victim - 1) as usize].address);

    // A forgotten subject stays forgotten: no re-wrap, no new key, no revival.
    assert_eq!(keyring.rewrap_subject(&store, &subject(victim)), Err(Error::SubjectForgotten));
    assert_eq!(
        store.replace(&subject(victim), WrappedKey::from_bytes(wrapped.clone())),
        Err(Error::SubjectForgotten)
    );
    let again = keyring.seal_for(&store, &subject(victim), &records[0].mobile, &ctx("mobile", victim));
    assert_eq!(again.err(), Some(Error::SubjectForgotten));
    assert_eq!(store.load(&subject(victim))?, Some(SubjectRecord::Forgotten));
    assert_eq!(store.replace("user-0", WrappedKey::from_bytes(wrapped.clone())), Err(Error::UnknownSubject));

    // secure_delete: the erased wrapped key is not left behind in the file.
    drop(store);
    assert_eq!(
        find_any(&std::fs::read(&path)?, &[&wrapped]),
        None,
        "forgotten key still in the database file"
    );
    Ok(())
}

fn assert_subject_columns_forgotten(keyring: &Keyring, store: &SqliteSubjectStore, row: &UserRow) {
    let (id, purpose) = (row.id, "check");
    let errors = [
        open_for_user::<PersonName>(keyring, store, id, "name", &row.name, purpose).err(),
        open_for_user::<IdNumber>(keyring, store, id, "id_number", &row.id_number, purpose).err(),
        open_for_user::<MobilePhone>(keyring, store, id, "mobile", &row.mobile, purpose).err(),
        open_for_user::<Email>(keyring, store, id, "email", &row.email, purpose).err(),
    ];
    assert_eq!(errors, [const { Some(Error::SubjectForgotten) }; 4], "row {id}");
}

#[test]
fn concurrent_first_seals_share_one_subject_key() -> AnyResult<()> {
    // insert_if_absent must be atomic: threads sealing for a new subject at
    // once all end up with the key that was stored first.
    let dir = TempDir::new("race")?;
    let conn = Connection::open(dir.0.join("keys.db"))?;
    conn.execute_batch(SCHEMA)?;
    let store = SqliteSubjectStore { conn: Mutex::new(conn) };
    let keyring = Keyring::generate()?;
    let phone: MobilePhone = "13800138000".parse()?;
    let sealed: Vec<Sealed<MobilePhone>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|_| s.spawn(|| keyring.seal_for(&store, "user-7", &phone, &ctx("mobile", 7))))
            .collect();
        handles.into_iter().map(|h| h.join().expect("thread panicked")).collect::<desensitize::Result<_>>()
    })?;
    assert_eq!(count(&store, "SELECT count(*) FROM subject_keys")?, 1);
    for s in &sealed {
        assert_eq!(keyring.open_for(&store, "user-7", s, &ctx("mobile", 7), "check")?, phone);
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// SqliteSubjectStore (as in examples/sqlite_store.rs).

/// Wrapped subject keys in `subject_keys`, on the application's one
/// connection (so rows and the keys that seal them commit together).
struct SqliteSubjectStore {
    conn: Mutex<Connection>,
}

impl SqliteSubjectStore {
    fn db(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

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
        db.prepare_cached("INSERT OR IGNORE INTO subject_keys (subject, wrapped) VALUES (?1, ?2)")
            .and_then(|mut insert| insert.execute(params![subject, key.as_bytes()]))
            .map_err(store_error)?;
        load_record(&db, subject).map_err(store_error)?.ok_or(Error::UnknownSubject)
    }

    fn replace(&self, subject: &str, key: WrappedKey) -> desensitize::Result<()> {
        let db = self.db();
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

/// One transaction on the shared connection, without holding its lock
/// (the keyring calls inside `f` use the store).
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
// Rows.

fn subject(id: i64) -> String {
    format!("user-{id}")
}

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

fn seal_for_user<T: Sealable>(
    keyring: &Keyring,
    store: &SqliteSubjectStore,
    id: i64,
    column: &str,
    value: &T,
) -> desensitize::Result<String> {
    Ok(keyring.seal_for(store, &subject(id), value, &ctx(column, id))?.to_text())
}

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

struct UserRow {
    id: i64,
    name: String,
    id_number: String,
    mobile: String,
    mobile_idx: i64,
    email: String,
    address: Option<String>,
}

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

/// The listing: each column at the standard mask level.
fn masked(user: &User) -> [String; 5] {
    [
        user.name.mask(MaskLevel::Standard),
        user.id_number.mask(MaskLevel::Standard),
        user.mobile.mask(MaskLevel::Standard),
        user.email.mask(MaskLevel::Standard),
        user.address.as_ref().map_or("NULL".to_owned(), |a| a.mask(MaskLevel::Standard)),
    ]
}

// ---------------------------------------------------------------------------
// Search and rotation.

struct Found {
    candidates: usize,
    matches: Vec<i64>,
}

fn find_by_mobile(
    keyring: &Keyring,
    store: &SqliteSubjectStore,
    index: &BlindIndex<MobilePhone>,
    phone: &MobilePhone,
) -> AnyResult<Found> {
    let candidates: Vec<(i64, String)> = {
        let db = store.db();
        let mut select = db.prepare_cached("SELECT id, mobile FROM users WHERE mobile_idx = ?1")?;
        let rows = select.query_map([index.compute(phone).value() as i64], |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    let mut matches = Vec::new();
    for (id, sealed) in &candidates {
        match open_for_user::<MobilePhone>(keyring, store, *id, "mobile", sealed, "support-lookup") {
            Ok(candidate) if candidate == *phone => matches.push(*id),
            Ok(_) | Err(Error::SubjectForgotten) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(Found { candidates: candidates.len(), matches })
}

struct Remaining {
    /// `needs_rotation` counts for name, id_number, mobile, email, address.
    needs_rotation: [u64; 5],
    /// Subject keys wrapped under the key in question.
    subject_keys: u64,
}

impl Remaining {
    fn total(&self) -> u64 {
        self.needs_rotation.iter().sum::<u64>() + self.subject_keys
    }
}

fn remaining(keyring: &Keyring, store: &SqliteSubjectStore, old: u32) -> AnyResult<Remaining> {
    let mut needs = [0u64; 5];
    for row in fetch_rows(store, 1, i64::MAX)? {
        needs[0] += u64::from(row.name.parse::<Sealed<PersonName>>()?.needs_rotation(keyring));
        needs[1] += u64::from(row.id_number.parse::<Sealed<IdNumber>>()?.needs_rotation(keyring));
        needs[2] += u64::from(row.mobile.parse::<Sealed<MobilePhone>>()?.needs_rotation(keyring));
        needs[3] += u64::from(row.email.parse::<Sealed<Email>>()?.needs_rotation(keyring));
        if let Some(address) = &row.address {
            needs[4] += u64::from(address.parse::<Sealed<Address>>()?.needs_rotation(keyring));
        }
    }
    Ok(Remaining { needs_rotation: needs, subject_keys: subject_keys_under(store, old)? })
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

/// Re-seal the address column in batches, one transaction each; returns
/// (re-sealed, failed).
fn reseal_addresses(keyring: &Keyring, store: &SqliteSubjectStore) -> AnyResult<(usize, usize)> {
    let (mut resealed, mut failed) = (0, 0);
    let mut from = 1;
    loop {
        let rows: Vec<(i64, String)> = fetch_rows(store, from, BATCH)?
            .into_iter()
            .filter_map(|row| row.address.map(|address| (row.id, address)))
            .collect();
        let Some(&(last, _)) = rows.last() else { break };
        from = last + 1;
        let items = rows
            .iter()
            .map(|(id, text)| Ok((text.parse::<Sealed<Address>>()?, ctx("address", *id))))
            .collect::<desensitize::Result<Vec<_>>>()?;
        let mut progress = Vec::new();
        let report = keyring.reseal_all(items, |p| progress.push(p.done));
        assert_eq!(progress, (1..=rows.len()).collect::<Vec<_>>(), "progress after every value");

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
        resealed += report.resealed;
        failed += report.failed.len();
    }
    Ok((resealed, failed))
}

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

// ---------------------------------------------------------------------------
// Utilities.

fn count(store: &SqliteSubjectStore, sql: &str) -> rusqlite::Result<i64> {
    store.db().query_row(sql, [], |r| r.get(0))
}

/// The first of `needles` (each at least 6 bytes) found in `haystack`, in
/// one pass: every 6-byte window is looked up by prefix, then compared in
/// full. (Searching for each needle separately takes minutes in debug builds.)
fn find_any<'a>(haystack: &[u8], needles: &[&'a [u8]]) -> Option<&'a [u8]> {
    let mut by_prefix: HashMap<[u8; 6], Vec<&'a [u8]>> = HashMap::new();
    for needle in needles {
        let prefix = needle.first_chunk::<6>().expect("needles are at least 6 bytes");
        by_prefix.entry(*prefix).or_default().push(needle);
    }
    for (at, window) in haystack.windows(6).enumerate() {
        let Some(candidates) = window.try_into().ok().and_then(|w: [u8; 6]| by_prefix.get(&w)) else {
            continue;
        };
        if let Some(found) = candidates.iter().find(|n| haystack[at..].starts_with(n)) {
            return Some(found);
        }
    }
    None
}

/// A directory under the system temp dir, removed on drop (even on failure).
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> std::io::Result<TempDir> {
        let dir = std::env::temp_dir().join(format!("desensitize-test-sqlite-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)?;
        Ok(TempDir(dir))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
