//! Connecting: the server URL from the environment, one schema per run.
//!
//! Shared by the `postgres_store` example and its integration test.

use sqlx::AssertSqlSafe;
use sqlx::postgres::{PgPool, PgPoolOptions};

/// The environment variable holding the server's URL.
pub const URL_ENV: &str = "DESENSITIZE_PG_URL";

/// The one line printed when there is no server.
pub const SKIP: &str =
    "skipped: no PostgreSQL server (set DESENSITIZE_PG_URL, or run scripts/ci/ci-postgres.sh)";

/// Errors of the example: every library error is value-free, and so is
/// every sqlx error this code can produce (it never formats row contents).
pub type AnyResult<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// The server URL, or `None` (print [`SKIP`]) when it is not set.
pub fn server_url() -> Option<String> {
    std::env::var(URL_ENV).ok().filter(|u| !u.is_empty())
}

/// A pool whose connections all work in `schema` (created afresh), so that
/// runs and tests never see each other's tables.
pub async fn connect(url: &str, schema: &str, connections: u32) -> AnyResult<PgPool> {
    desensitize::db::check_identifier(schema)?;
    let admin = PgPoolOptions::new().max_connections(1).connect(url).await?;
    // `schema` passed check_identifier: no quote can end the quoted name.
    sqlx::query(AssertSqlSafe(format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE"))).execute(&admin).await?;
    sqlx::query(AssertSqlSafe(format!("CREATE SCHEMA \"{schema}\""))).execute(&admin).await?;
    admin.close().await;
    let set_path = format!("SET search_path TO \"{schema}\"");
    let pool = PgPoolOptions::new()
        .max_connections(connections)
        .after_connect(move |conn, _| {
            let set_path = set_path.clone();
            Box::pin(async move {
                sqlx::query(AssertSqlSafe(set_path)).execute(conn).await?;
                Ok(())
            })
        })
        .connect(url)
        .await?;
    Ok(pool)
}
