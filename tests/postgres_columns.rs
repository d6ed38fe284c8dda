//! Column types against a real PostgreSQL server (feature `sqlx`): sealed
//! values as TEXT and BYTEA, tokens as TEXT, blind indexes as BIGINT;
//! value-free decode errors; and the rotation job's failure count, stop
//! and resume on a small table; subject-sealed cells through rotate-then-destroy;
//! a table moved from an `aes` keyring to a `gm` one (issue 18).
//!
//! Without `--features sqlx` and `DESENSITIZE_PG_URL` each test prints one
//! line saying how to run it (`scripts/ci/ci-postgres.sh`) and passes.

#[cfg(not(feature = "sqlx"))]
#[test]
fn postgres_columns_need_the_sqlx_feature() {
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
mod with_server {
    use std::ops::ControlFlow;
    use std::sync::Arc;

    use desensitize::db::{Binary, PgRotationStore, RotationPlan, SealedColumn, rotate};
    use desensitize::keys::InMemorySubjectStore;
    use desensitize::pseudo::{Domain, Token, Transform};
    use desensitize::{Context, Error, IdNumber, Keyring, MobilePhone, PersonName, Sealed};

    use super::db::{AnyResult, SKIP, connect, server_url};
    use super::skip_line;

    const PHONE: &str = "13800138000";

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sealed_values_tokens_and_indexes_round_trip() -> AnyResult<()> {
        let Some(url) = server_url() else {
            skip_line(SKIP);
            return Ok(());
        };
        let pool = connect(&url, "t_columns", 2).await?;
        sqlx::query("CREATE TABLE c (id BIGINT PRIMARY KEY, t TEXT, b BYTEA, tok TEXT, idx BIGINT)")
            .execute(&pool)
            .await?;
        let keyring = Keyring::generate()?;
        let phone: MobilePhone = PHONE.parse()?;
        let ctx = Context::new("c", "phone").with_row("1");
        let sealed = keyring.seal(&phone, &ctx)?;
        let token = keyring.pseudonym(&phone, &Domain::new("analytics")?)?;
        let index = keyring.blind_index::<MobilePhone>(&Domain::new("c.phone")?, Transform::Full, 20)?;
        sqlx::query("INSERT INTO c VALUES (1, $1, $2, $3, $4)")
            .bind(&sealed)
            .bind(Binary(sealed.clone()))
            .bind(token)
            .bind(index.compute(&phone))
            .execute(&pool)
            .await?;

        // What the server holds: the text form, the binary form, the token text, the index.
        let (t, b, tok, idx): (String, Vec<u8>, String, i64) =
            sqlx::query_as("SELECT t, b, tok, idx FROM c").fetch_one(&pool).await?;
        assert_eq!(t, sealed.to_text());
        assert_eq!(b, sealed.as_bytes());
        assert_eq!(tok, token.to_text());
        assert_eq!(idx, index.compute(&phone).value() as i64);
        assert!(!t.contains(PHONE) && !b.windows(11).any(|w| w == PHONE.as_bytes()));

        // Typed back, from either column type.
        let (from_text, from_bytea, bin_from_text, bin_from_bytea, tok_back): (
            Sealed<MobilePhone>,
            Sealed<MobilePhone>,
            Binary<MobilePhone>,
            Binary<MobilePhone>,
            Token,
        ) = sqlx::query_as("SELECT t, b, t, b, tok FROM c").fetch_one(&pool).await?;
        for s in [&from_text, &from_bytea, &bin_from_text.0, &bin_from_bytea.0] {
            assert_eq!(s, &sealed);
            assert_eq!(keyring.open(s, &ctx, "test")?, phone);
        }
        assert_eq!(tok_back, token);

        // NULL is Option::None.
        sqlx::query("INSERT INTO c (id) VALUES (2)").execute(&pool).await?;
        let none: Option<Sealed<MobilePhone>> =
            sqlx::query_scalar("SELECT t FROM c WHERE id = 2").fetch_one(&pool).await?;
        assert_eq!(none, None);
        Ok(())
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn decode_errors_say_what_is_wrong_and_carry_no_value() -> AnyResult<()> {
        let Some(url) = server_url() else {
            skip_line(SKIP);
            return Ok(());
        };
        let pool = connect(&url, "t_decode", 2).await?;
        let keyring = Keyring::generate()?;
        let id: IdNumber = "11010519491231002X".parse()?;
        let sealed_id = keyring.seal(&id, &Context::new("c", "id"))?;

        // Plaintext where an envelope belongs.
        let err = sqlx::query_scalar::<_, Sealed<MobilePhone>>("SELECT $1::text")
            .bind(PHONE)
            .fetch_one(&pool)
            .await
            .expect_err("plaintext is not an envelope");
        let text = err.to_string();
        assert!(matches!(err, sqlx::Error::ColumnDecode { .. }), "{text}");
        assert!(text.contains("malformed sealed value"), "{text}");
        assert!(!text.contains(PHONE) && !text.contains("00138000"), "the value leaked into the error");

        // Another kind's envelope.
        let err = sqlx::query_scalar::<_, Sealed<MobilePhone>>("SELECT $1::text")
            .bind(&sealed_id)
            .fetch_one(&pool)
            .await
            .expect_err("an ID number is not a phone");
        assert!(err.to_string().contains("sealed value holds cn.id_number, not cn.mobile_phone"), "{err}");

        // Truncated binary form.
        let err = sqlx::query_scalar::<_, Binary<IdNumber>>("SELECT $1::bytea")
            .bind(&sealed_id.as_bytes()[..20])
            .fetch_one(&pool)
            .await
            .expect_err("truncated");
        assert!(err.to_string().contains("sealed value is truncated"), "{err}");

        // A token column holding something else.
        let err = sqlx::query_scalar::<_, Token>("SELECT $1::text")
            .bind("11010519491231002X")
            .fetch_one(&pool)
            .await
            .expect_err("not a token");
        assert!(err.to_string().contains("not a tk1 token") && !err.to_string().contains("1101051949"));
        Ok(())
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn rotation_counts_what_fails_stops_on_request_and_resumes() -> AnyResult<()> {
        let Some(url) = server_url() else {
            skip_line(SKIP);
            return Ok(());
        };
        let pool = connect(&url, "t_rotate_small", 2).await?;
        sqlx::query("CREATE TABLE people (pid BIGINT PRIMARY KEY, phone TEXT)").execute(&pool).await?;
        let mut keyring = Keyring::generate()?;
        let phone: MobilePhone = PHONE.parse()?;
        let ctx = |row: i64| Context::new("people", "phone").with_row(&row.to_string());
        for row in 1..=50i64 {
            let value = (row != 20).then(|| keyring.seal(&phone, &ctx(row))).transpose()?;
            sqlx::query("INSERT INTO people VALUES ($1, $2)").bind(row).bind(value).execute(&pool).await?;
        }
        // Row 7 holds row 8's envelope: it belongs elsewhere and must not open.
        sqlx::query("UPDATE people SET phone = (SELECT phone FROM people WHERE pid = 8) WHERE pid = 7")
            .execute(&pool)
            .await?;
        keyring.rotate()?;
        let plan = RotationPlan::new("people", "pid")?
            .column(SealedColumn::<MobilePhone>::new("phone")?)
            .batch_size(10);
        let mut store = PgRotationStore::new(pool.clone(), &plan, "small").await?;

        // Stop after the first batch: the checkpoint stays at its last key.
        let report = rotate(&keyring, &plan, &mut store, |_| ControlFlow::Break(())).await?;
        assert!(report.stopped);
        assert_eq!(
            (report.progress.scanned, report.progress.last_key, report.remaining_old),
            (10, Some(10), None)
        );
        assert_eq!(
            (report.progress.rotated, report.progress.failed, report.failed_keys.clone()),
            (9, 1, vec![7])
        );

        // Resume: rows 11..=50 (row 20 is NULL, so current).
        let mut batches = 0;
        let report = rotate(&keyring, &plan, &mut store, |_| {
            batches += 1;
            ControlFlow::Continue(())
        })
        .await?;
        assert_eq!(report.progress.resumed_from, Some(10));
        assert_eq!((report.progress.scanned, report.progress.rotated, report.progress.current), (40, 39, 1));
        assert_eq!((batches, report.progress.failed, report.progress.conflicts), (4, 0, 0));
        // The misplaced envelope is still under key 1: destroying it is refused.
        assert_eq!(report.remaining_old, Some(1));
        assert_eq!(keyring.destroy(1, 1), Err(Error::KeyInUse { id: 1, remaining: 1 }));

        // A full second pass reports the failure again, and nothing else to do.
        let report = rotate(&keyring, &plan, &mut store, |_| ControlFlow::Continue(())).await?;
        assert_eq!(
            (report.progress.resumed_from, report.progress.rotated, report.progress.current),
            (None, 0, 49)
        );
        assert_eq!((report.failed_keys, report.remaining_old), (vec![7], Some(1)));
        Ok(())
    }

    /// `people (pid, phone, name)` with `rows` rows: the phone sealed under
    /// a new keyring's root key, the name under each row's subject key
    /// (subject `u<pid>`), contexts [`people_ctx`].
    async fn people_table(pool: &sqlx::PgPool, rows: i64) -> AnyResult<(Keyring, Arc<InMemorySubjectStore>)> {
        sqlx::query("CREATE TABLE people (pid BIGINT PRIMARY KEY, phone TEXT, name TEXT)")
            .execute(pool)
            .await?;
        let keyring = Keyring::generate()?;
        let subjects = Arc::new(InMemorySubjectStore::new());
        let (phone, name): (MobilePhone, PersonName) = (PHONE.parse()?, "张三".parse()?);
        for row in 1..=rows {
            let p = keyring.seal(&phone, &people_ctx("phone", row))?;
            let n =
                keyring.seal_for(subjects.as_ref(), &format!("u{row}"), &name, &people_ctx("name", row))?;
            let insert = "INSERT INTO people VALUES ($1, $2, $3)";
            sqlx::query(insert).bind(row).bind(p).bind(n).execute(pool).await?;
        }
        Ok((keyring, subjects))
    }

    /// The context of `people.column` at row `row`.
    fn people_ctx(column: &str, row: i64) -> Context {
        Context::new("people", column).with_row(&row.to_string())
    }

    /// Issue 20, item 9: the documented rotate-then-destroy steps on a table
    /// whose `name` cells are sealed per subject lose nothing.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn rotate_then_destroy_keeps_every_subject_sealed_value() -> AnyResult<()> {
        let Some(url) = server_url() else {
            skip_line(SKIP);
            return Ok(());
        };
        let pool = connect(&url, "t_rotate_subjects", 2).await?;
        let (mut keyring, subjects) = people_table(&pool, 30).await?;
        let (phone, name): (MobilePhone, PersonName) = (PHONE.parse()?, "张三".parse()?);
        keyring.rotate()?;
        let plan = RotationPlan::new("people", "pid")?
            .column(SealedColumn::<MobilePhone>::new("phone")?)
            .column(SealedColumn::<PersonName>::new("name")?)
            .batch_size(7);

        // Without the subject key store the job cannot vouch for them: destroy refuses.
        let mut store = PgRotationStore::new(pool.clone(), &plan, "subjects").await?;
        let report = rotate(&keyring, &plan, &mut store, |_| ControlFlow::Continue(())).await?;
        assert_eq!((report.progress.rotated, report.progress.subject_sealed), (30, 30));
        assert_eq!(report.remaining_old, Some(30));
        assert_eq!(keyring.destroy(1, 30), Err(Error::KeyInUse { id: 1, remaining: 30 }));

        // With it, the job re-wraps every subject key, and destroy goes through.
        let plan = plan.subject_keys(subjects.clone());
        let report = rotate(&keyring, &plan, &mut store, |_| ControlFlow::Continue(())).await?;
        assert_eq!((report.rewrapped_subject_keys, report.remaining_old), (30, Some(0)));
        keyring.destroy_with_subjects(1, 0, subjects.as_ref())?;
        let rows: Vec<(i64, String, String)> =
            sqlx::query_as("SELECT pid, phone, name FROM people ORDER BY pid").fetch_all(&pool).await?;
        assert_eq!(rows.len(), 30);
        for (row, p, n) in rows {
            let p: Sealed<MobilePhone> = p.parse()?;
            let n: Sealed<PersonName> = n.parse()?;
            assert_eq!(keyring.open(&p, &people_ctx("phone", row), "t")?, phone);
            assert_eq!(
                keyring.open_for(subjects.as_ref(), &format!("u{row}"), &n, &people_ctx("name", row), "t")?,
                name
            );
        }
        Ok(())
    }

    /// Issue 18: a table sealed under an `aes` keyring (root-key and
    /// subject-key cells) moves to a `gm` key by `rotate_to(Gm)` and the
    /// rotation job: every root-key cell is re-sealed under the `gm` key
    /// (envelope v2), every subject key re-wrapped with SM4-GCM (SPEC §5.2
    /// algorithm 4), and with the `aes` key destroyed everything opens.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_table_moves_from_aes_to_gm() -> AnyResult<()> {
        use desensitize::keys::{SubjectKeyStore, SubjectRecord, Suite};
        let Some(url) = server_url() else {
            skip_line(SKIP);
            return Ok(());
        };
        let pool = connect(&url, "t_rotate_gm", 2).await?;
        let (mut keyring, subjects) = people_table(&pool, 20).await?;
        let (phone, name): (MobilePhone, PersonName) = (PHONE.parse()?, "张三".parse()?);
        let gm = keyring.rotate_to(Suite::Gm)?;
        let plan = RotationPlan::new("people", "pid")?
            .column(SealedColumn::<MobilePhone>::new("phone")?)
            .column(SealedColumn::<PersonName>::new("name")?)
            .subject_keys(subjects.clone())
            .batch_size(6);
        let mut store = PgRotationStore::new(pool.clone(), &plan, "to_gm").await?;
        let report = rotate(&keyring, &plan, &mut store, |_| ControlFlow::Continue(())).await?;
        assert_eq!((report.progress.rotated, report.progress.subject_sealed), (20, 20));
        assert_eq!((report.rewrapped_subject_keys, report.remaining_old), (20, Some(0)));
        keyring.destroy_with_subjects(1, 0, subjects.as_ref())?;
        let rows: Vec<(i64, String, String)> =
            sqlx::query_as("SELECT pid, phone, name FROM people ORDER BY pid").fetch_all(&pool).await?;
        assert_eq!(rows.len(), 20);
        for (row, p, n) in rows {
            let p: Sealed<MobilePhone> = p.parse()?;
            assert_eq!((p.key_id(), keyring.suite_of(p.key_id()), p.as_bytes()[0]), (gm, Some(Suite::Gm), 2));
            assert_eq!(keyring.open(&p, &people_ctx("phone", row), "t")?, phone);
            let subject = format!("u{row}");
            match subjects.load(&subject)? {
                Some(SubjectRecord::Active(w)) => assert_eq!((w.as_bytes()[0], w.as_bytes()[1]), (2, 4)),
                other => panic!("subject key of row {row}: {other:?}"),
            }
            let n: Sealed<PersonName> = n.parse()?;
            assert_eq!(
                keyring.open_for(subjects.as_ref(), &subject, &n, &people_ctx("name", row), "t")?,
                name
            );
            // New subject seals follow the gm wrap.
            let fresh = keyring.seal_for(subjects.as_ref(), &subject, &name, &people_ctx("name", row))?;
            assert_eq!(
                keyring.open_for(subjects.as_ref(), &subject, &fresh, &people_ctx("name", row), "t")?,
                name
            );
        }
        Ok(())
    }
}
