//! Root-key rotation over the `users` table: count what still needs the old
//! key, re-index the phones, re-seal the keyring-sealed addresses, re-wrap
//! the subject keys, and check that every row still opens.
//!
//! Each rewrite runs in batches of [`BATCH`] rows, one transaction each, so a
//! crash loses at most one batch and running again resumes.
//!
//! Shared by the `sqlite_store` example and its integration test.

use desensitize::keys::WrappedKey;
use desensitize::pseudo::BlindIndex;
use desensitize::seal::ResealProgress;
use desensitize::{Address, Email, Error, IdNumber, Keyring, MobilePhone, PersonName, Sealable, Sealed};
use rusqlite::params;

use crate::store::{AnyResult, SqliteSubjectStore, in_transaction};
use crate::users::{COLUMNS, ctx, fetch_rows, open_for_user, open_user};

/// Rows per transaction when rewriting the table (re-sealing, re-indexing, re-wrapping).
pub const BATCH: i64 = 1_000;

/// What still needs a root key before it can be destroyed.
pub struct Remaining {
    /// `needs_rotation` counts per sealed column, in [`COLUMNS`] order.
    pub needs_rotation: [u64; 5],
    /// Live subject keys wrapped under the key in question.
    pub subject_keys: u64,
}

impl Remaining {
    /// Everything together: the count `Keyring::destroy` asks for.
    pub fn total(&self) -> u64 {
        self.needs_rotation.iter().sum::<u64>() + self.subject_keys
    }

    /// One line: the count per column, then the subject keys under `old`.
    pub fn describe(&self, old: u32) -> String {
        let listed: Vec<String> =
            COLUMNS.iter().zip(self.needs_rotation).map(|(c, n)| format!("{c} {n}")).collect();
        format!(
            "needs_rotation: {}; subject keys wrapped under key {old}: {}",
            listed.join(", "),
            self.subject_keys
        )
    }
}

/// Count the values that still need root key `old`: `needs_rotation` per
/// sealed column (reads headers only, decrypts nothing), plus the subject
/// keys still wrapped under `old`.
pub fn remaining(keyring: &Keyring, store: &SqliteSubjectStore, old: u32) -> AnyResult<Remaining> {
    let mut needs = [0u64; 5];
    {
        let db = store.db();
        let mut select = db.prepare_cached("SELECT name, id_number, mobile, email, address FROM users")?;
        let mut rows = select.query([])?;
        while let Some(r) = rows.next()? {
            needs[0] += u64::from(needs_rotation::<PersonName>(keyring, r.get_ref(0)?.as_str_or_null()?)?);
            needs[1] += u64::from(needs_rotation::<IdNumber>(keyring, r.get_ref(1)?.as_str_or_null()?)?);
            needs[2] += u64::from(needs_rotation::<MobilePhone>(keyring, r.get_ref(2)?.as_str_or_null()?)?);
            needs[3] += u64::from(needs_rotation::<Email>(keyring, r.get_ref(3)?.as_str_or_null()?)?);
            needs[4] += u64::from(needs_rotation::<Address>(keyring, r.get_ref(4)?.as_str_or_null()?)?);
        }
    }
    Ok(Remaining { needs_rotation: needs, subject_keys: subject_keys_under(store, old)? })
}

fn needs_rotation<T: Sealable>(keyring: &Keyring, text: Option<&str>) -> desensitize::Result<bool> {
    match text {
        Some(text) => Ok(text.parse::<Sealed<T>>()?.needs_rotation(keyring)),
        None => Ok(false),
    }
}

/// Live subject keys still wrapped under root key `key_id`.
pub fn subject_keys_under(store: &SqliteSubjectStore, key_id: u32) -> rusqlite::Result<u64> {
    let db = store.db();
    let mut select = db.prepare_cached("SELECT wrapped FROM subject_keys WHERE forgotten = 0")?;
    let mut under = 0;
    for wrapped in select.query_map([], |r| r.get::<_, Vec<u8>>(0))? {
        under += u64::from(WrappedKey::from_bytes(wrapped?).wrapping_key_id() == Some(key_id));
    }
    Ok(under)
}

/// Recompute `mobile_idx` for every row under `index`, in batches. This
/// opens every phone. Until the batch holding a row commits, a lookup misses
/// that row; a live system would fill a second index column and switch over.
pub fn rebuild_index(
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

/// One batch of [`reseal_addresses`].
pub struct ResealBatch {
    /// The first and last row id in the batch.
    pub rows: (i64, i64),
    /// Addresses in the batch (rows with a NULL address are skipped).
    pub values: usize,
    /// Every progress report `reseal_all` made, in order.
    pub progress: Vec<ResealProgress>,
    /// Addresses moved to the active key.
    pub resealed: usize,
    /// Addresses already under the active key.
    pub unchanged: usize,
    /// Rows whose address did not re-seal (left as they were), with why.
    pub failed: Vec<(i64, Error)>,
}

/// Re-seal the keyring-sealed `address` column under the active key, one
/// transaction per batch, with `reseal_all` reporting progress. Values
/// already under the active key are left as they are.
pub fn reseal_addresses(keyring: &Keyring, store: &SqliteSubjectStore) -> AnyResult<Vec<ResealBatch>> {
    let mut batches = Vec::new();
    let mut from = 1;
    loop {
        let rows: Vec<(i64, String)> = fetch_rows(store, from, BATCH)?
            .into_iter()
            .filter_map(|row| row.address.map(|address| (row.id, address)))
            .collect();
        let (Some(&(first, _)), Some(&(last, _))) = (rows.first(), rows.last()) else { break };
        from = last + 1;

        let items = rows
            .iter()
            .map(|(id, text)| Ok((text.parse::<Sealed<Address>>()?, ctx("address", *id))))
            .collect::<desensitize::Result<Vec<_>>>()?;
        let mut progress = Vec::new();
        let report = keyring.reseal_all(items, |p| progress.push(*p));

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
        batches.push(ResealBatch {
            rows: (first, last),
            values: rows.len(),
            progress,
            resealed: report.resealed,
            unchanged: report.unchanged,
            failed: report.failed.into_iter().map(|(at, e)| (rows[at].0, e)).collect(),
        });
    }
    Ok(batches)
}

/// Re-wrap every live subject key under the active root key, in batches.
/// Subject-sealed values are never re-sealed: only each subject's data key
/// is unwrapped and wrapped again. The values themselves do not change.
pub fn rewrap_subjects(keyring: &Keyring, store: &SqliteSubjectStore) -> AnyResult<usize> {
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

/// Result of [`open_all`].
pub struct OpenCheck {
    /// Rows whose every column opened.
    pub opened: usize,
    /// Rows where some column did not, with the first error.
    pub failed: Vec<(i64, Error)>,
}

/// Open every column of every row.
pub fn open_all(keyring: &Keyring, store: &SqliteSubjectStore) -> AnyResult<OpenCheck> {
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
