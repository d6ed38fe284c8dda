//! The `users` table: sealed columns, a blind index on the phone, bulk
//! insert, lookup under every live index version, and the rotation plan.
//!
//! Shared by the `postgres_store` example and its integration test.

use desensitize::db::{IndexVersions, RotationPlan, SealedColumn};
use desensitize::fake::FakeRecord;
use desensitize::pseudo::{BlindIndex, Domain, Transform};
use desensitize::{Context, IdNumber, Keyring, MobilePhone, PersonName, Sealable, Sealed};
use sqlx::PgPool;

use crate::db::AnyResult;

/// Seed of the synthetic users: the same people on every run.
pub const SEED: u64 = 2026;
/// Purpose recorded when the application opens a value.
pub const PURPOSE: &str = "support-lookup";

/// The blind index's domain (pinned to a key version, see [`phone_index`]).
pub fn phone_domain() -> Domain {
    Domain::new("users.phone").expect("a valid domain name")
}

/// Where a value belongs: table, column and row id. An envelope copied
/// into another row or column does not open there. (The rotation job's
/// default context is the same.)
pub fn ctx(column: &str, id: i64) -> Context {
    Context::new("users", column).with_row(&id.to_string())
}

/// The schema: sealed columns are TEXT, the blind index BIGINT.
pub async fn create_users(pool: &PgPool) -> AnyResult<()> {
    sqlx::query(
        "CREATE TABLE users (id BIGINT PRIMARY KEY, name TEXT NOT NULL, phone TEXT NOT NULL, \
         phone_idx BIGINT NOT NULL, id_number TEXT)",
    )
    .execute(pool)
    .await?;
    sqlx::query("CREATE INDEX users_phone_idx ON users (phone_idx)").execute(pool).await?;
    Ok(())
}

/// The phone index under the key version `key_id`: pin the domain, derive.
/// Pinned, so rotating the sealing key does not silently change every index
/// value; moving the index to a new key is a deliberate, re-indexed step.
pub fn phone_index(
    keyring: &mut Keyring,
    key_id: u32,
    bits: u8,
) -> desensitize::Result<BlindIndex<MobilePhone>> {
    keyring.pin(&phone_domain(), key_id)?;
    keyring.blind_index::<MobilePhone>(&phone_domain(), Transform::Full, bits)
}

/// Seal one column of many rows to text, under the active key.
fn seal_column<T: Sealable>(
    keyring: &Keyring,
    column: &str,
    rows: impl Iterator<Item = (i64, T)>,
) -> AnyResult<Vec<String>> {
    Ok(rows.map(|(id, v)| keyring.seal_text(&v, &ctx(column, id))).collect::<Result<_, _>>()?)
}

/// Insert `records` as users `first_id`, `first_id + 1`, ...: one
/// multi-row `INSERT … SELECT FROM unnest(…)` per 10,000 rows.
pub async fn insert_users(
    pool: &PgPool,
    keyring: &Keyring,
    index: &BlindIndex<MobilePhone>,
    first_id: i64,
    records: &[FakeRecord],
) -> AnyResult<()> {
    for (n, chunk) in records.chunks(10_000).enumerate() {
        let start = first_id + (n * 10_000) as i64;
        let ids: Vec<i64> = (start..).take(chunk.len()).collect();
        let names = seal_column(keyring, "name", ids.iter().zip(chunk).map(|(&i, r)| (i, r.name.clone())))?;
        let phones =
            seal_column(keyring, "phone", ids.iter().zip(chunk).map(|(&i, r)| (i, r.mobile.clone())))?;
        let id_numbers =
            seal_column(keyring, "id_number", ids.iter().zip(chunk).map(|(&i, r)| (i, r.id_number.clone())))?;
        let idx: Vec<i64> = chunk.iter().map(|r| index.compute(&r.mobile).value() as i64).collect();
        sqlx::query(
            "INSERT INTO users (id, name, phone, phone_idx, id_number) \
             SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[], $5::text[])",
        )
        .bind(&ids)
        .bind(&names)
        .bind(&phones)
        .bind(&idx)
        .bind(&id_numbers)
        .execute(pool)
        .await?;
    }
    Ok(())
}

/// Insert or replace one user (what the application's writer does).
pub async fn upsert_user(
    pool: &PgPool,
    keyring: &Keyring,
    index: &BlindIndex<MobilePhone>,
    id: i64,
    name: &PersonName,
    phone: &MobilePhone,
) -> AnyResult<()> {
    let name_sealed = keyring.seal(name, &ctx("name", id))?;
    let phone_sealed = keyring.seal(phone, &ctx("phone", id))?;
    // The column types: Sealed<T> binds as TEXT, IndexValue as BIGINT.
    sqlx::query(
        "INSERT INTO users (id, name, phone, phone_idx) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (id) DO UPDATE SET name = excluded.name, phone = excluded.phone, phone_idx = excluded.phone_idx",
    )
    .bind(id)
    .bind(&name_sealed)
    .bind(&phone_sealed)
    .bind(index.compute(phone))
    .execute(pool)
    .await?;
    Ok(())
}

/// The ids of the users with this phone: search the index under every live
/// version, open the candidates, drop the false positives.
pub async fn find_by_phone(
    pool: &PgPool,
    keyring: &Keyring,
    index: &IndexVersions<MobilePhone>,
    phone: &MobilePhone,
) -> AnyResult<Vec<i64>> {
    let rows: Vec<(i64, Sealed<MobilePhone>)> =
        sqlx::query_as("SELECT id, phone FROM users WHERE phone_idx = ANY($1) ORDER BY id")
            .bind(index.candidates(phone))
            .fetch_all(pool)
            .await?;
    let mut found = Vec::new();
    for (id, sealed) in rows {
        if keyring.open(&sealed, &ctx("phone", id), PURPOSE)? == *phone {
            found.push(id);
        }
    }
    Ok(found)
}

/// One user's sealed columns, decoded (structure and kind checked).
pub type SealedUser = (Sealed<PersonName>, Sealed<MobilePhone>, Option<Sealed<IdNumber>>);

/// Read one user's sealed columns.
pub async fn fetch_user(pool: &PgPool, id: i64) -> AnyResult<SealedUser> {
    Ok(sqlx::query_as("SELECT name, phone, id_number FROM users WHERE id = $1")
        .bind(id)
        .fetch_one(pool)
        .await?)
}

/// The rotation job's view of `users`: three sealed columns, the phone
/// re-indexed with `new_index` as it is re-sealed.
pub fn rotation_plan(new_index: BlindIndex<MobilePhone>) -> desensitize::Result<RotationPlan> {
    Ok(RotationPlan::new("users", "id")?
        .column(SealedColumn::<PersonName>::new("name")?)
        .column(SealedColumn::<MobilePhone>::new("phone")?.with_index("phone_idx", new_index)?)
        .column(SealedColumn::<IdNumber>::new("id_number")?))
}
