//! Retention: accounts sealed per subject, a sweep of expired subjects, and
//! a `pg_dump` taken before the sweep that no longer yields their values.

use std::process::Command;
use std::time::{Duration, SystemTime};

use desensitize::fake::Faker;
use desensitize::keys::SubjectKeyStore;
use desensitize::{Email, Error, Keyring, MobilePhone};

use crate::db::{AnyResult, connect};
use crate::subjects::{self, PgSubjectStore};

const ACCOUNTS: i64 = 300;
const SCHEMA: &str = "t_erasure";

/// Every third account is past its retention; account 2 is cancelled
/// (forgotten at once); the rest expire tomorrow or never.
fn expires(id: i64, now: SystemTime) -> Option<SystemTime> {
    match id % 3 {
        0 => Some(now - Duration::from_secs(3_600)),
        1 => Some(now + Duration::from_secs(86_400)),
        _ => None,
    }
}

fn gone(id: i64) -> bool {
    id % 3 == 0 || id == 2
}

pub async fn run(url: &str) -> AnyResult<()> {
    let pool = connect(url, SCHEMA, 4).await?;
    let store = PgSubjectStore::create(pool.clone()).await?;
    subjects::create_accounts(&pool).await?;
    let keyring = Keyring::generate()?;
    let now = SystemTime::now();
    let mut faker = Faker::new(99);
    let mut emails: Vec<(i64, Email, MobilePhone)> = Vec::new();
    for id in 1..=ACCOUNTS {
        let (email, phone) = (faker.email(), faker.mobile_phone());
        subjects::insert_account(&pool, &keyring, &store, id, &email, &phone, expires(id, now)).await?;
        emails.push((id, email, phone));
    }

    // A backup of the data, taken before the erasure, without the key table
    // (the documented pattern: subject keys stay out of long-term backups).
    let dump = pg_dump(url)?;
    assert!(dump.contains("COPY t_erasure.accounts"), "the dump holds the accounts");
    assert!(!dump.contains("subject_keys"), "the dump leaves the key table out");
    for (_, email, _) in &emails {
        assert!(!dump.contains(email.expose()), "plaintext e-mail in the dump");
    }

    // Account cancellation, then the retention sweep.
    store.forget(&subjects::subject(2))?;
    assert_eq!(store.expired(now)?.len(), (ACCOUNTS / 3) as usize);
    assert_eq!(store.forget_expired(now)?, (ACCOUNTS / 3) as usize);
    assert_eq!(store.forget_expired(now)?, 0, "a second sweep finds nothing");
    sqlx::query("VACUUM subject_keys").execute(&pool).await?;

    // The live table: the erased accounts are gone, the others open.
    let rows: Vec<(i64, String)> =
        sqlx::query_as("SELECT id, email FROM accounts ORDER BY id").fetch_all(&pool).await?;
    assert_eq!(rows.len(), ACCOUNTS as usize);
    for (id, text) in &rows {
        check(&keyring, &store, *id, text, &emails[*id as usize - 1].1)?;
    }

    // The dump from before: the same, value by value.
    let mut from_dump = 0;
    for (id, text) in dump_rows(&dump) {
        check(&keyring, &store, id, &text, &emails[id as usize - 1].1)?;
        from_dump += 1;
    }
    assert_eq!(from_dump, ACCOUNTS);

    // The phone column too, for an erased and a kept account.
    let phone: desensitize::Sealed<MobilePhone> =
        sqlx::query_scalar("SELECT phone FROM accounts WHERE id = 3").fetch_one(&pool).await?;
    let ctx = subjects::account_ctx("phone", 3);
    assert_eq!(
        keyring.open_for(&store, &subjects::subject(3), &phone, &ctx, "t"),
        Err(Error::SubjectForgotten)
    );
    Ok(())
}

fn check(keyring: &Keyring, store: &PgSubjectStore, id: i64, text: &str, email: &Email) -> AnyResult<()> {
    let opened = subjects::open_email(keyring, store, id, text);
    if gone(id) {
        assert_eq!(opened, Err(Error::SubjectForgotten), "account {id} should be erased");
    } else {
        assert_eq!(opened.as_ref(), Ok(email), "account {id} should open");
    }
    Ok(())
}

/// `pg_dump` of the data, key table excluded, as text.
fn pg_dump(url: &str) -> AnyResult<String> {
    let bin = std::env::var("DESENSITIZE_PG_DUMP").unwrap_or_else(|_| "pg_dump".to_owned());
    let out = Command::new(bin)
        .args([
            "--data-only",
            "--schema",
            SCHEMA,
            "--exclude-table",
            &format!("{SCHEMA}.subject_keys"),
            "--dbname",
            url,
        ])
        .output()?;
    if !out.status.success() {
        return Err(format!("pg_dump failed: {}", String::from_utf8_lossy(&out.stderr)).into());
    }
    Ok(String::from_utf8(out.stdout)?)
}

/// `(id, email)` of every row of the accounts COPY block.
fn dump_rows(dump: &str) -> Vec<(i64, String)> {
    let mut lines = dump.lines().skip_while(|l| !l.starts_with("COPY t_erasure.accounts"));
    let header = lines.next().unwrap_or_default();
    assert!(header.contains("(id, subject, email, phone)"), "unexpected COPY header");
    lines
        .take_while(|l| *l != "\\.")
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (f[0].parse().expect("an id"), f[2].to_owned())
        })
        .collect()
}
