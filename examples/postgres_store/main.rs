//! Sealed columns in PostgreSQL, lookup by blind index, key rotation over
//! the whole table, and erasure by expiry.
//!
//! ```text
//! scripts/ci/ci-postgres.sh -- cargo run --features sqlx --example postgres_store
//! DESENSITIZE_PG_URL=postgres://… cargo run --release --features sqlx --example postgres_store -- bench 100000
//! ```
//!
//! Without `DESENSITIZE_PG_URL` it prints one line saying how to run it.

mod db;
mod subjects;
mod users;

use std::ops::ControlFlow;
use std::time::{Duration, Instant, SystemTime};

use desensitize::db::{IndexVersions, PgRotationStore, rotate};
use desensitize::fake::Faker;
use desensitize::keys::SubjectKeyStore;
use desensitize::pseudo::Planner;
use desensitize::{Error, Keyring, MobilePhone};

use db::{AnyResult, SKIP, connect, server_url};

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> AnyResult<()> {
    let Some(url) = server_url() else {
        println!("{SKIP}");
        return Ok(());
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("bench") {
        let rows = args.get(1).and_then(|n| n.parse().ok()).unwrap_or(100_000);
        let rate = bench_rotation(&url, rows).await?;
        println!("rotation: {rows} rows, {rate:.0} rows/s");
        return Ok(());
    }
    demo(&url).await
}

/// The whole flow on 10,000 users.
async fn demo(url: &str) -> AnyResult<()> {
    let pool = connect(url, "desensitize_example", 4).await?;
    users::create_users(&pool).await?;
    let mut keyring = Keyring::generate()?;
    let bits = Planner::new(10_000).recommend::<MobilePhone>(desensitize::pseudo::Transform::Full)?.bits();
    let old_index = users::phone_index(&mut keyring, 1, bits)?;

    let mut faker = Faker::new(users::SEED);
    let records: Vec<_> = (0..10_000).map(|_| faker.record()).collect();
    users::insert_users(&pool, &keyring, &old_index, 1, &records).await?;
    let lookup = IndexVersions::new(vec![old_index.clone()])?;
    let found = users::find_by_phone(&pool, &keyring, &lookup, &records[41].mobile).await?;
    println!("user 42's phone is {} (masked): rows {found:?}", records[41].mobile);

    // Rotate: a new key, the index moved to it, every row re-sealed.
    let new_key = keyring.rotate()?;
    let new_index = users::phone_index(&mut keyring, new_key, bits)?;
    let plan = users::rotation_plan(new_index.clone())?;
    let mut store = PgRotationStore::new(pool.clone(), &plan, "example").await?;
    let report = rotate(&keyring, &plan, &mut store, |p| {
        if p.scanned.is_multiple_of(5_000) {
            println!("rotation: {} rows scanned", p.scanned);
        }
        ControlFlow::Continue(())
    })
    .await?;
    let remaining = report.remaining_old.unwrap_or(u64::MAX);
    println!("rotated {} rows; {remaining} values left under old keys", report.progress.rotated);
    keyring.destroy(1, remaining)?;

    // The application writes with the new key and index; every column opens.
    let phone = faker.mobile_phone();
    users::upsert_user(&pool, &keyring, &new_index, 42, &records[41].name, &phone).await?;
    let (name, sealed_phone, _) = users::fetch_user(&pool, 42).await?;
    assert_eq!((name.key_id(), sealed_phone.key_id()), (new_key, new_key));
    let lookup = IndexVersions::new(vec![new_index])?;
    assert_eq!(users::find_by_phone(&pool, &keyring, &lookup, &phone).await?, [42]);

    // Erasure: accounts sealed per subject, some past their retention.
    let store = subjects::PgSubjectStore::create(pool.clone()).await?;
    subjects::create_accounts(&pool).await?;
    let now = SystemTime::now();
    for id in 1..=10 {
        let expiry =
            if id % 2 == 0 { now - Duration::from_secs(60) } else { now + Duration::from_secs(86_400) };
        subjects::insert_account(
            &pool,
            &keyring,
            &store,
            id,
            &faker.email(),
            &faker.mobile_phone(),
            Some(expiry),
        )
        .await?;
    }
    println!("retention sweep forgot {} subjects", store.forget_expired(now)?);
    let text: String = sqlx::query_scalar("SELECT email FROM accounts WHERE id = 2").fetch_one(&pool).await?;
    assert_eq!(subjects::open_email(&keyring, &store, 2, &text), Err(Error::SubjectForgotten));
    Ok(())
}

/// Insert `rows` users, rotate them all, and return rows per second of the rotation.
pub async fn bench_rotation(url: &str, rows: usize) -> AnyResult<f64> {
    let pool = connect(url, "desensitize_bench", 4).await?;
    users::create_users(&pool).await?;
    let mut keyring = Keyring::generate()?;
    let index = users::phone_index(&mut keyring, 1, 16)?;
    let mut faker = Faker::new(users::SEED);
    let records: Vec<_> = (0..rows).map(|_| faker.record()).collect();
    users::insert_users(&pool, &keyring, &index, 1, &records).await?;
    sqlx::query("VACUUM ANALYZE users").execute(&pool).await?;

    let new_key = keyring.rotate()?;
    let plan = users::rotation_plan(users::phone_index(&mut keyring, new_key, 16)?)?;
    let mut store = PgRotationStore::new(pool.clone(), &plan, "bench").await?;
    let started = Instant::now();
    let report = rotate(&keyring, &plan, &mut store, |_| ControlFlow::Continue(())).await?;
    let seconds = started.elapsed().as_secs_f64();
    if report.progress.rotated != rows as u64 || report.remaining_old != Some(0) {
        return Err(format!("rotation incomplete: {:?}", report.progress).into());
    }
    Ok(rows as f64 / seconds)
}
