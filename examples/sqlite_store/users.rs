//! The `users` table: sealing on the way in, opening on the way out, the
//! phone lookup through the blind index, and forgetting a user.
//!
//! Shared by the `sqlite_store` example and its integration test.

use desensitize::fake::FakeRecord;
use desensitize::keys::SubjectKeyStore;
use desensitize::pseudo::{BlindIndex, Domain, Transform};
use desensitize::{
    Address, Context, Email, Error, IdNumber, Keyring, MaskLevel, MobilePhone, PersonName, Sealable, Sealed,
    Sensitive,
};
use rusqlite::params;

use crate::store::{AnyResult, SqliteSubjectStore, in_transaction};

/// Seed of the synthetic users: the same people on every run.
pub const SEED: u64 = 2024;

/// The subject id of a user: whose key seals their per-subject columns.
pub fn subject(id: i64) -> String {
    format!("user-{id}")
}

/// Where a value belongs. The row id is bound too: an envelope copied into
/// another row or column does not open there.
pub fn ctx(column: &str, id: i64) -> Context {
    Context::new("users", column).with_row(&id.to_string())
}

/// Pin the phone index's domain to root key `key_id` and derive the index
/// from it. Pinned, so that rotating the sealing key does not silently change
/// every index value: moving the index to a new key is a deliberate step.
pub fn pin_phone_index(
    keyring: &mut Keyring,
    key_id: u32,
    bits: u8,
) -> desensitize::Result<BlindIndex<MobilePhone>> {
    let domain = Domain::new("users.mobile")?;
    keyring.pin(&domain, key_id)?;
    keyring.blind_index::<MobilePhone>(&domain, Transform::Full, bits)
}

/// Insert `records` as users 1, 2, ... in one transaction: the rows and the
/// subject keys that `seal_for` creates on the way commit together, or not at all.
pub fn insert_users(
    keyring: &Keyring,
    store: &SqliteSubjectStore,
    index: &BlindIndex<MobilePhone>,
    records: &[FakeRecord],
) -> AnyResult<()> {
    in_transaction(store, || {
        for (id, user) in (1..).zip(records) {
            insert_user(keyring, store, index, id, user)?;
        }
        Ok(())
    })
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
pub fn open_for_user<T: Sealable>(
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
pub struct UserRow {
    pub id: i64,
    pub name: String,
    pub id_number: String,
    pub mobile: String,
    pub mobile_idx: i64,
    pub email: String,
    pub address: Option<String>,
}

/// Up to `limit` rows from id `from` on, in id order.
pub fn fetch_rows(store: &SqliteSubjectStore, from: i64, limit: i64) -> rusqlite::Result<Vec<UserRow>> {
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
pub struct User {
    pub name: PersonName,
    pub id_number: IdNumber,
    pub mobile: MobilePhone,
    pub email: Email,
    pub address: Option<Address>,
}

/// Open every column of `row` (audited calls, for `purpose`).
pub fn open_user(
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

/// The listing: each column of `user` at the standard mask level, "NULL"
/// for a missing address.
pub fn masked(user: &User) -> [String; 5] {
    [
        user.name.mask(MaskLevel::Standard),
        user.id_number.mask(MaskLevel::Standard),
        user.mobile.mask(MaskLevel::Standard),
        user.email.mask(MaskLevel::Standard),
        user.address.as_ref().map_or("NULL".to_owned(), |a| a.mask(MaskLevel::Standard)),
    ]
}

/// The column names of [`masked`], in its order.
pub const COLUMNS: [&str; 5] = ["name", "id_number", "mobile", "email", "address"];

/// Try to open each column of `row` on its own, in [`COLUMNS`] order: the
/// masked value, `None` for a NULL, or why it does not open.
pub fn open_attempts(
    keyring: &Keyring,
    store: &SqliteSubjectStore,
    row: &UserRow,
    purpose: &str,
) -> [desensitize::Result<Option<String>>; 5] {
    fn shown<T: Sensitive>(opened: desensitize::Result<T>) -> desensitize::Result<Option<String>> {
        opened.map(|value| Some(value.mask(MaskLevel::Standard)))
    }
    let id = row.id;
    [
        shown(open_for_user::<PersonName>(keyring, store, id, "name", &row.name, purpose)),
        shown(open_for_user::<IdNumber>(keyring, store, id, "id_number", &row.id_number, purpose)),
        shown(open_for_user::<MobilePhone>(keyring, store, id, "mobile", &row.mobile, purpose)),
        shown(open_for_user::<Email>(keyring, store, id, "email", &row.email, purpose)),
        match row.address.as_deref() {
            Some(text) => shown(keyring.open_text::<Address>(text, &ctx("address", id), purpose)),
            None => Ok(None),
        },
    ]
}

/// What a phone lookup found.
pub struct Found {
    /// Rows whose index matched: the real match plus false positives.
    pub candidates: usize,
    /// Rows whose opened phone is the one searched for.
    pub matches: Vec<i64>,
}

/// Equality search over a sealed column: the index narrows the table to a
/// few candidate rows, opening their phones drops the false positives.
pub fn find_by_mobile(
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

/// Forget user `id`: erase their subject key (every per-subject value, in
/// every copy, stops opening). The address is sealed under the keyring, not
/// the subject's key, so `forget` cannot reach it: it is erased from the live
/// row as well, in the same transaction.
pub fn forget_user(store: &SqliteSubjectStore, id: i64) -> AnyResult<()> {
    in_transaction(store, || {
        store.forget(&subject(id))?;
        store.db().execute("UPDATE users SET address = NULL WHERE id = ?1", [id])?;
        Ok(())
    })
}
