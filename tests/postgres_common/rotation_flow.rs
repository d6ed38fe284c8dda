//! 100,000 users: insert, look up, rotate beside a writer, kill, resume.

use std::collections::HashMap;
use std::ops::ControlFlow;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use desensitize::db::{IndexVersions, PgRotationStore, RotationReport, count_remaining, rotate};
use desensitize::fake::{FakeRecord, Faker};
use desensitize::pseudo::{Planner, Transform};
use desensitize::{Keyring, MobilePhone, PersonName, Sealed};
use sqlx::PgPool;

use crate::db::{AnyResult, connect};
use crate::users;

const USERS: usize = 100_000;
const JOB: &str = "users-rotation";
/// Where the first run is killed.
const KILL_AFTER: u64 = 40_000;

/// What each row must hold at the end: the name and phone as last written.
type Expected = Arc<Mutex<HashMap<i64, (PersonName, MobilePhone)>>>;

pub async fn run(url: &str) -> AnyResult<()> {
    let pool = connect(url, "t_rotation", 6).await?;
    users::create_users(&pool).await?;
    let mut keyring = Keyring::generate()?;
    let bits = Planner::new(USERS as u64).recommend::<MobilePhone>(Transform::Full)?.bits();
    let old_index = users::phone_index(&mut keyring, 1, bits)?;

    // --- 100,000 users, inserted in bulk.
    let mut faker = Faker::new(users::SEED);
    let records: Vec<FakeRecord> = (0..USERS).map(|_| faker.record()).collect();
    users::insert_users(&pool, &keyring, &old_index, 1, &records).await?;
    assert_eq!(count(&pool, "SELECT count(*) FROM users").await?, USERS as i64);
    let sample: Vec<(i64, String, String)> =
        sqlx::query_as("SELECT id, name, phone FROM users WHERE id % 997 = 0 ORDER BY id")
            .fetch_all(&pool)
            .await?;
    for (id, name, phone) in &sample {
        let user = &records[*id as usize - 1];
        assert!(phone.starts_with("dz1.") && name.starts_with("dz1."));
        assert!(!phone.contains(user.mobile.expose()), "row {id}: plaintext phone stored");
        assert_eq!(phone.parse::<Sealed<MobilePhone>>()?.key_id(), 1);
    }

    // --- Lookup by phone through the blind index.
    let lookup = IndexVersions::new(vec![old_index.clone()])?;
    for id in [1i64, 12_345, 99_999] {
        let found = users::find_by_phone(&pool, &keyring, &lookup, &records[id as usize - 1].mobile).await?;
        assert!(found.contains(&id), "user {id} not found by phone: {found:?}");
    }

    // --- Rotate: new key, index re-pinned to it; writers use the new ones.
    let new_key = keyring.rotate()?;
    let new_index = users::phone_index(&mut keyring, new_key, bits)?;
    let versions = Arc::new(IndexVersions::new(vec![old_index, new_index.clone()])?);
    let plan = Arc::new(users::rotation_plan(new_index.clone())?.batch_size(2_000));
    let keyring = Arc::new(keyring);
    let expected: Expected = Arc::new(Mutex::new(
        (1..).zip(&records).map(|(id, r)| (id, (r.name.clone(), r.mobile.clone()))).collect(),
    ));

    let stop = Arc::new(AtomicBool::new(false));
    let writer = tokio::spawn(live_writer(
        pool.clone(),
        keyring.clone(),
        new_index.clone(),
        expected.clone(),
        stop.clone(),
    ));

    // --- First run, killed (task aborted) once 40,000 rows are done.
    let (killed_tx, killed_rx) = tokio::sync::oneshot::channel::<()>();
    let mut killed_tx = Some(killed_tx);
    let job = {
        let (keyring, plan, pool) = (keyring.clone(), plan.clone(), pool.clone());
        tokio::spawn(async move {
            let mut store = PgRotationStore::new(pool, &plan, JOB).await?;
            let report = rotate(&keyring, &plan, &mut store, |p| {
                if p.scanned >= KILL_AFTER
                    && let Some(tx) = killed_tx.take()
                {
                    let _ = tx.send(());
                    // Hold the job here until the kill lands at its next await.
                    tokio::task::block_in_place(|| std::thread::sleep(Duration::from_millis(500)));
                }
                ControlFlow::Continue(())
            })
            .await?;
            Ok::<RotationReport, Box<dyn std::error::Error + Send + Sync>>(report)
        })
    };
    killed_rx.await?;
    job.abort();
    assert!(job.await.expect_err("the job was killed").is_cancelled());
    let checkpoint: i64 =
        sqlx::query_scalar("SELECT last_key FROM desensitize_rotation_checkpoint WHERE job = $1")
            .bind(JOB)
            .fetch_one(&pool)
            .await?;
    assert!((KILL_AFTER as i64..USERS as i64).contains(&checkpoint), "checkpoint {checkpoint}");

    // --- Mid-rotation: rows on both sides of the checkpoint, under both
    // keys, and every one is still found by phone.
    let phones: Vec<String> = sqlx::query_scalar("SELECT phone FROM users WHERE id <= $1 ORDER BY id")
        .bind(USERS as i64)
        .fetch_all(&pool)
        .await?;
    let under = |key: u32| {
        phones.iter().filter(|p| p.parse::<Sealed<MobilePhone>>().map(|s| s.key_id()) == Ok(key)).count()
    };
    assert!(under(1) > 0 && under(new_key) > 0, "a half-rotated table");
    for id in [1i64, 500, checkpoint - 1, checkpoint, checkpoint + 1, checkpoint + 2_500, 99_000] {
        let phone = expected.lock().map_err(|_| "poisoned")?[&id].1.clone();
        let found = users::find_by_phone(&pool, &keyring, &versions, &phone).await?;
        assert!(found.contains(&id), "mid-rotation: user {id} not found by phone");
    }

    // --- Resume from the checkpoint, the writer still running.
    let mut store = PgRotationStore::new(pool.clone(), &plan, JOB).await?;
    let report = rotate(&keyring, &plan, &mut store, |_| ControlFlow::Continue(())).await?;
    assert_eq!(report.progress.resumed_from, Some(checkpoint));
    assert!(!report.stopped);
    assert_eq!(report.progress.failed, 0, "{:?}", report.failed_keys);
    assert_eq!(report.remaining_old, Some(0), "{:?}", report.progress);
    stop.store(true, Ordering::Relaxed);
    let writes = writer.await??;
    assert!(writes > 20, "the writer ran beside the job ({writes} writes)");
    assert_eq!(count_remaining(&keyring, &plan, &mut store).await?, 0);
    let left: Option<i64> =
        sqlx::query_scalar("SELECT last_key FROM desensitize_rotation_checkpoint WHERE job = $1")
            .bind(JOB)
            .fetch_optional(&pool)
            .await?;
    assert_eq!(left, None, "a finished job clears its checkpoint");

    // --- Destroy the old key: every row still opens, so every row is under
    // the new key, and holds what was last written (nothing lost).
    drop(store);
    let mut keyring = Arc::try_unwrap(keyring).map_err(|_| "keyring still shared")?;
    let plan_users = Arc::try_unwrap(plan).map_err(|_| "plan still shared")?;
    drop(plan_users);
    keyring.destroy(1, 0)?;
    // The writer is done: take the map out of its lock.
    let expected = std::mem::take(&mut *expected.lock().map_err(|_| "poisoned")?);
    assert_eq!(count(&pool, "SELECT count(*) FROM users").await?, expected.len() as i64);
    let rows: Vec<(i64, Sealed<PersonName>, Sealed<MobilePhone>, i64)> =
        sqlx::query_as("SELECT id, name, phone, phone_idx FROM users ORDER BY id").fetch_all(&pool).await?;
    assert_eq!(rows.len(), expected.len());
    for (id, name, phone, idx) in &rows {
        let (want_name, want_phone) = &expected[id];
        assert_eq!(keyring.open(name, &users::ctx("name", *id), "verify")?, *want_name, "row {id}");
        assert_eq!(keyring.open(phone, &users::ctx("phone", *id), "verify")?, *want_phone, "row {id}");
        assert_eq!(*idx, new_index.compute(want_phone).value() as i64, "row {id}: index not moved");
    }
    let id_numbers: Vec<(i64, Sealed<desensitize::IdNumber>)> =
        sqlx::query_as("SELECT id, id_number FROM users WHERE id_number IS NOT NULL ORDER BY id")
            .fetch_all(&pool)
            .await?;
    assert_eq!(id_numbers.len(), USERS);
    for (id, sealed) in id_numbers.iter().step_by(101) {
        let opened = keyring.open(sealed, &users::ctx("id_number", *id), "verify")?;
        assert_eq!(opened, records[*id as usize - 1].id_number);
    }

    let (name, phone, id_number) = users::fetch_user(&pool, 42).await?;
    let id_number = id_number.ok_or("user 42 has an ID number")?;
    assert_eq!([name.key_id(), phone.key_id(), id_number.key_id()], [new_key; 3]);

    // --- After the change only the new index version is needed.
    let only_new = IndexVersions::new(vec![new_index])?;
    for id in [2i64, 50_000, 100_000] {
        let found = users::find_by_phone(&pool, &keyring, &only_new, &expected[&id].1).await?;
        assert!(found.contains(&id), "user {id} not found under the new index");
    }
    Ok(())
}

async fn count(pool: &PgPool, sql: &'static str) -> AnyResult<i64> {
    Ok(sqlx::query_scalar(sql).fetch_one(pool).await?)
}

/// The application beside the job: inserts new users and changes phones of
/// existing ones (under the new key and index), until told to stop.
async fn live_writer(
    pool: PgPool,
    keyring: Arc<Keyring>,
    index: desensitize::pseudo::BlindIndex<MobilePhone>,
    expected: Expected,
    stop: Arc<AtomicBool>,
) -> AnyResult<u64> {
    let mut faker = Faker::new(7);
    let mut next_new = USERS as i64 + 1;
    let mut writes = 0u64;
    // Spread the updates over the whole table, ahead of and behind the job.
    let mut target = 7i64;
    while !stop.load(Ordering::Relaxed) {
        let (id, name) = if writes.is_multiple_of(3) {
            next_new += 1;
            (next_new - 1, faker.person_name())
        } else {
            target = (target * 7_919 + 13) % USERS as i64 + 1;
            let name = expected.lock().map_err(|_| "poisoned")?[&target].0.clone();
            (target, name)
        };
        let phone = faker.mobile_phone();
        users::upsert_user(&pool, &keyring, &index, id, &name, &phone).await?;
        expected.lock().map_err(|_| "poisoned")?.insert(id, (name, phone));
        writes += 1;
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    Ok(writes)
}
