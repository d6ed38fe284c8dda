//! Column types in SQLite through sqlx (feature `sqlx`): sealed values as
//! TEXT and BLOB, tokens as TEXT, blind indexes as INTEGER; value-free
//! decode errors; a tampered envelope refused. An in-memory database: no
//! server, so these run wherever the feature is on.
//!
//! Without `--features sqlx` one test prints how to run them and passes.

#[cfg(not(feature = "sqlx"))]
#[test]
fn sqlite_columns_need_the_sqlx_feature() {
    use std::io::Write;
    let _ = writeln!(
        std::io::stderr(),
        "skipped: build with --features sqlx (cargo test -p desensitize --features sqlx --test sqlite_sqlx)"
    );
}

#[cfg(feature = "sqlx")]
mod in_memory {
    use desensitize::db::Binary;
    use desensitize::pseudo::{Domain, Token, Transform};
    use desensitize::{Context, EnvelopeError, Error, IdNumber, Keyring, MobilePhone, Sealed};
    use sqlx::{Connection, SqliteConnection};

    type AnyResult<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

    const PHONE: &str = "13800138000";
    const ID: &str = "11010519491231002X";

    async fn memory() -> AnyResult<SqliteConnection> {
        let mut conn = SqliteConnection::connect("sqlite::memory:").await?;
        sqlx::query("CREATE TABLE c (id INTEGER PRIMARY KEY, t TEXT, b BLOB, tok TEXT, idx INTEGER)")
            .execute(&mut conn)
            .await?;
        Ok(conn)
    }

    /// The library error inside a column decode error, and the whole
    /// message, after checking that neither value shows in it.
    fn decode_error(err: sqlx::Error) -> (Option<Error>, String) {
        let text = err.to_string();
        assert!(!text.contains(PHONE) && !text.contains("00138000"), "a phone leaked: {text}");
        assert!(!text.contains("1101051949") && !text.contains("1231002X"), "an ID leaked: {text}");
        match err {
            sqlx::Error::ColumnDecode { source, .. } => (source.downcast_ref::<Error>().cloned(), text),
            other => panic!("not a column decode error: {other}"),
        }
    }

    #[tokio::test]
    async fn sealed_values_tokens_and_indexes_round_trip() -> AnyResult<()> {
        let mut conn = memory().await?;
        let keyring = Keyring::generate()?;
        let phone: MobilePhone = PHONE.parse()?;
        let ctx = Context::new("c", "phone").with_row("1");
        let sealed = keyring.seal(&phone, &ctx)?;
        let token = keyring.pseudonym(&phone, &Domain::new("analytics")?)?;
        let index = keyring.blind_index::<MobilePhone>(&Domain::new("c.phone")?, Transform::Full, 24)?;
        sqlx::query("INSERT INTO c VALUES (1, ?, ?, ?, ?)")
            .bind(&sealed)
            .bind(Binary(sealed.clone()))
            .bind(token)
            .bind(index.compute(&phone))
            .execute(&mut conn)
            .await?;

        // What SQLite holds: the text form, the binary form, the token text,
        // the index, each in its storage class.
        let (t, b, tok, idx): (String, Vec<u8>, String, i64) =
            sqlx::query_as("SELECT t, b, tok, idx FROM c").fetch_one(&mut conn).await?;
        assert_eq!(t, sealed.to_text());
        assert_eq!(b, sealed.as_bytes());
        assert_eq!(tok, token.to_text());
        assert_eq!(idx, index.compute(&phone).value() as i64);
        assert!(!t.contains(PHONE) && !b.windows(PHONE.len()).any(|w| w == PHONE.as_bytes()));
        let classes: (String, String, String, String) =
            sqlx::query_as("SELECT typeof(t), typeof(b), typeof(tok), typeof(idx) FROM c")
                .fetch_one(&mut conn)
                .await?;
        assert_eq!(classes, ("text".into(), "blob".into(), "text".into(), "integer".into()));

        // Typed back, from either column.
        let (from_text, from_blob, bin_from_text, bin_from_blob, tok_back): (
            Sealed<MobilePhone>,
            Sealed<MobilePhone>,
            Binary<MobilePhone>,
            Binary<MobilePhone>,
            Token,
        ) = sqlx::query_as("SELECT t, b, t, b, tok FROM c").fetch_one(&mut conn).await?;
        for s in [&from_text, &from_blob, &bin_from_text.0, &bin_from_blob.0] {
            assert_eq!(s, &sealed);
            assert_eq!(keyring.open(s, &ctx, "test")?, phone);
        }
        assert_eq!(tok_back, token);

        // A lookup by blind index finds the row.
        let found: Vec<i64> = sqlx::query_scalar("SELECT id FROM c WHERE idx = ?")
            .bind(index.compute(&phone))
            .fetch_all(&mut conn)
            .await?;
        assert_eq!(found, [1]);

        // NULL is Option::None.
        sqlx::query("INSERT INTO c (id) VALUES (2)").execute(&mut conn).await?;
        let none: (Option<Sealed<MobilePhone>>, Option<Binary<MobilePhone>>, Option<Token>) =
            sqlx::query_as("SELECT t, b, tok FROM c WHERE id = 2").fetch_one(&mut conn).await?;
        assert_eq!(none, (None, None, None));
        Ok(())
    }

    #[tokio::test]
    async fn decode_errors_say_what_is_wrong_and_carry_no_value() -> AnyResult<()> {
        let mut conn = memory().await?;
        let keyring = Keyring::generate()?;
        let id: IdNumber = ID.parse()?;
        let sealed_id = keyring.seal(&id, &Context::new("c", "id"))?;

        // Plaintext where an envelope belongs, in TEXT and in a BLOB.
        let err = sqlx::query_scalar::<_, Sealed<MobilePhone>>("SELECT ?")
            .bind(PHONE)
            .fetch_one(&mut conn)
            .await
            .expect_err("plaintext is not an envelope");
        assert_eq!(
            decode_error(err),
            (
                Some(Error::Malformed(EnvelopeError::NotSealed)),
                "error occurred while decoding column 0: malformed sealed value: not a dz1 sealed value"
                    .into()
            )
        );
        let err = sqlx::query_scalar::<_, Binary<MobilePhone>>("SELECT ?")
            .bind(PHONE.as_bytes())
            .fetch_one(&mut conn)
            .await
            .expect_err("plaintext bytes are not an envelope");
        assert_eq!(
            decode_error(err),
            (
                Some(Error::UnsupportedVersion(b'1')),
                "error occurred while decoding column 0: unsupported sealed format version 49".into()
            )
        );

        // Another kind's envelope.
        let err = sqlx::query_scalar::<_, Sealed<MobilePhone>>("SELECT ?")
            .bind(&sealed_id)
            .fetch_one(&mut conn)
            .await
            .expect_err("an ID number is not a phone");
        assert_eq!(
            decode_error(err),
            (
                Some(Error::KindMismatch {
                    expected: desensitize::Kind::MobilePhone,
                    found: desensitize::Kind::IdNumber
                }),
                "error occurred while decoding column 0: sealed value holds cn.id_number, not cn.mobile_phone"
                    .into()
            )
        );

        // A truncated binary form.
        let err = sqlx::query_scalar::<_, Binary<IdNumber>>("SELECT ?")
            .bind(&sealed_id.as_bytes()[..20])
            .fetch_one(&mut conn)
            .await
            .expect_err("truncated");
        assert_eq!(
            decode_error(err),
            (
                Some(Error::Truncated),
                "error occurred while decoding column 0: sealed value is truncated".into()
            )
        );

        // A token column holding something else.
        let err = sqlx::query_scalar::<_, Token>("SELECT ?")
            .bind(ID)
            .fetch_one(&mut conn)
            .await
            .expect_err("not a token");
        assert_eq!(
            decode_error(err),
            (
                Some(Error::Malformed(EnvelopeError::NotToken)),
                "error occurred while decoding column 0: malformed sealed value: not a tk1 token".into()
            )
        );

        // An INTEGER where an envelope belongs: refused by type, value unread.
        let err = sqlx::query_scalar::<_, Sealed<MobilePhone>>("SELECT 13800138000")
            .fetch_one(&mut conn)
            .await
            .expect_err("an integer is not an envelope");
        let (inner, text) = decode_error(err);
        assert_eq!(inner, None);
        let rust_type = std::any::type_name::<Sealed<MobilePhone>>();
        assert_eq!(
            text,
            format!(
                "error occurred while decoding column 0: mismatched types; Rust type `{rust_type}` \
                 (as SQL type `TEXT`) is not compatible with SQL type `INTEGER`"
            )
        );
        Ok(())
    }

    #[tokio::test]
    async fn a_tampered_or_misplaced_envelope_does_not_open() -> AnyResult<()> {
        let mut conn = memory().await?;
        let keyring = Keyring::generate()?;
        let phone: MobilePhone = PHONE.parse()?;
        let ctx = |row: i64| Context::new("c", "phone").with_row(&row.to_string());
        for row in [1i64, 2] {
            let sealed = keyring.seal(&phone, &ctx(row))?;
            sqlx::query("INSERT INTO c (id, t, b) VALUES (?, ?, ?)")
                .bind(row)
                .bind(&sealed)
                .bind(Binary(sealed.clone()))
                .execute(&mut conn)
                .await?;
        }

        // One ciphertext bit flipped in the BLOB, one character changed in
        // the middle of the TEXT: both still parse, neither authenticates.
        let (t, mut b): (String, Vec<u8>) =
            sqlx::query_as("SELECT t, b FROM c WHERE id = 1").fetch_one(&mut conn).await?;
        let last = b.len() - 1;
        b[last] ^= 0x01;
        let mut t = t.into_bytes();
        let mid = t.len() - 12;
        t[mid] = if t[mid] == b'A' { b'B' } else { b'A' };
        let t = String::from_utf8(t)?;
        sqlx::query("UPDATE c SET t = ?, b = ? WHERE id = 1").bind(t).bind(b).execute(&mut conn).await?;
        let (from_text, from_blob): (Sealed<MobilePhone>, Binary<MobilePhone>) =
            sqlx::query_as("SELECT t, b FROM c WHERE id = 1").fetch_one(&mut conn).await?;
        assert_eq!(keyring.open(&from_text, &ctx(1), "test"), Err(Error::AuthenticationFailed));
        assert_eq!(keyring.open(&from_blob.0, &ctx(1), "test"), Err(Error::AuthenticationFailed));

        // Row 2's intact envelope copied into row 1: it belongs elsewhere.
        sqlx::query("UPDATE c SET t = (SELECT t FROM c WHERE id = 2) WHERE id = 1")
            .execute(&mut conn)
            .await?;
        let moved: Sealed<MobilePhone> =
            sqlx::query_scalar("SELECT t FROM c WHERE id = 1").fetch_one(&mut conn).await?;
        assert_eq!(keyring.open(&moved, &ctx(1), "test"), Err(Error::ContextMismatch));
        assert_eq!(keyring.open(&moved, &ctx(2), "test")?, phone);
        Ok(())
    }
}
