//! The `postgres_store` example's flow against a real PostgreSQL server,
//! at table scale: 100,000 users with sealed columns and a blind index,
//! lookup by phone, rotation of every row beside a live writer, killed
//! midway and resumed, and erasure by expiry that reaches a `pg_dump`
//! taken before it.
//!
//! Needs `--features sqlx` and a server in `DESENSITIZE_PG_URL`
//! (`scripts/ci/ci-postgres.sh` starts one and runs these); without them each
//! test prints one line saying so and passes.

#[cfg(not(feature = "sqlx"))]
#[test]
fn postgres_store_needs_the_sqlx_feature() {
    skip_line(
        "skipped: build with --features sqlx and set DESENSITIZE_PG_URL, or run scripts/ci/ci-postgres.sh",
    );
}

#[path = "common/skip.rs"]
mod skip;
use skip::skip_line;

#[cfg(feature = "sqlx")]
#[path = "../examples/postgres_store/db.rs"]
mod db;
#[cfg(feature = "sqlx")]
#[path = "postgres_common/erasure_flow.rs"]
mod erasure_flow;
#[cfg(feature = "sqlx")]
#[path = "postgres_common/rotation_flow.rs"]
mod rotation_flow;
#[cfg(feature = "sqlx")]
#[path = "../examples/postgres_store/subjects.rs"]
mod subjects;
#[cfg(feature = "sqlx")]
#[path = "../examples/postgres_store/users.rs"]
mod users;

#[cfg(feature = "sqlx")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_table_rotates_beside_a_live_writer_and_resumes_after_a_kill() -> db::AnyResult<()> {
    let Some(url) = db::server_url() else {
        skip_line(db::SKIP);
        return Ok(());
    };
    rotation_flow::run(&url).await
}

#[cfg(feature = "sqlx")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expired_subjects_stop_opening_in_the_table_and_in_an_older_dump() -> db::AnyResult<()> {
    let Some(url) = db::server_url() else {
        skip_line(db::SKIP);
        return Ok(());
    };
    erasure_flow::run(&url).await
}
