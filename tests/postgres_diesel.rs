//! The diesel column types against a real PostgreSQL server: `Sealed<T>`
//! as `Text` and `Binary`, `Token` as `Text`, value-free decode errors.
//!
//! Needs `--features diesel-libpq` (diesel's `PgConnection`, which links
//! libpq) and `DESENSITIZE_PG_URL` (`scripts/ci/ci-postgres.sh` has both);
//! otherwise each test prints one line saying how to run it and passes.

#[cfg(not(feature = "diesel-libpq"))]
#[test]
fn postgres_diesel_needs_the_diesel_libpq_feature() {
    skip_line(
        "skipped: build with --features diesel-libpq and set DESENSITIZE_PG_URL, or run scripts/ci/ci-postgres.sh",
    );
}

#[path = "common/skip.rs"]
mod skip;
use skip::skip_line;

#[cfg(feature = "diesel-libpq")]
mod with_server {
    use desensitize::pseudo::{Domain, Token};
    use desensitize::{Context, IdNumber, Keyring, MobilePhone, Sealed};
    use diesel::prelude::*;

    use super::skip_line;

    diesel::table! {
        contacts (id) {
            id -> BigInt,
            phone -> Text,
            phone_bin -> Binary,
            token -> Nullable<Text>,
        }
    }

    const PHONE: &str = "13800138000";

    /// An error's message and every source's, as one line.
    trait Chain {
        fn chain(&self) -> String;
    }

    impl Chain for diesel::result::Error {
        fn chain(&self) -> String {
            let mut out = self.to_string();
            let mut source = std::error::Error::source(self);
            while let Some(e) = source {
                out.push_str(": ");
                out.push_str(&e.to_string());
                source = e.source();
            }
            out
        }
    }

    fn connect(schema: &str) -> Option<PgConnection> {
        let Some(url) = std::env::var("DESENSITIZE_PG_URL").ok().filter(|u| !u.is_empty()) else {
            skip_line(
                "skipped: no PostgreSQL server (set DESENSITIZE_PG_URL, or run scripts/ci/ci-postgres.sh)",
            );
            return None;
        };
        let mut conn = PgConnection::establish(&url).expect("connect");
        for sql in [
            format!("DROP SCHEMA IF EXISTS {schema} CASCADE"),
            format!("CREATE SCHEMA {schema}"),
            format!("SET search_path TO {schema}"),
            "CREATE TABLE contacts (id BIGINT PRIMARY KEY, phone TEXT NOT NULL, phone_bin BYTEA NOT NULL, token TEXT)"
                .to_owned(),
        ] {
            diesel::sql_query(sql).execute(&mut conn).expect("schema");
        }
        Some(conn)
    }

    #[test]
    fn sealed_columns_and_tokens_round_trip_through_diesel() {
        let Some(mut conn) = connect("t_diesel") else { return };
        let keyring = Keyring::generate().unwrap();
        let phone: MobilePhone = PHONE.parse().unwrap();
        let ctx = Context::new("contacts", "phone").with_row("1");
        let sealed = keyring.seal(&phone, &ctx).unwrap();
        let token = keyring.pseudonym(&phone, &Domain::new("analytics").unwrap()).unwrap();
        diesel::insert_into(contacts::table)
            .values((
                contacts::id.eq(1i64),
                contacts::phone.eq(&sealed),
                contacts::phone_bin.eq(&sealed),
                contacts::token.eq(Some(token)),
            ))
            .execute(&mut conn)
            .unwrap();

        // Stored as the text form and the binary form.
        let (text, bytes): (String, Vec<u8>) =
            contacts::table.select((contacts::phone, contacts::phone_bin)).first(&mut conn).unwrap();
        assert_eq!(text, sealed.to_text());
        assert_eq!(bytes, sealed.as_bytes());

        // Typed back.
        let (a, b, t): (Sealed<MobilePhone>, Sealed<MobilePhone>, Option<Token>) = contacts::table
            .select((contacts::phone, contacts::phone_bin, contacts::token))
            .first(&mut conn)
            .unwrap();
        assert_eq!((&a, &b, t), (&sealed, &sealed, Some(token)));
        assert_eq!(keyring.open(&a, &ctx, "test").unwrap(), phone);
        assert_eq!(keyring.open(&b, &ctx, "test").unwrap(), phone);

        // Filter by a sealed value (exact envelope match).
        let n: i64 =
            contacts::table.filter(contacts::phone.eq(&sealed)).count().get_result(&mut conn).unwrap();
        assert_eq!(n, 1);
    }

    #[test]
    fn diesel_decode_errors_carry_no_value() {
        let Some(mut conn) = connect("t_diesel_err") else { return };
        let keyring = Keyring::generate().unwrap();
        let id: IdNumber = "11010519491231002X".parse().unwrap();
        let sealed_id = keyring.seal(&id, &Context::new("contacts", "phone")).unwrap();
        diesel::sql_query(format!(
            "INSERT INTO contacts VALUES (1, '{PHONE}', '\\x00', 'tk1.x'), (2, '{}', '\\x01', NULL)",
            sealed_id.to_text()
        ))
        .execute(&mut conn)
        .unwrap();

        let err = contacts::table
            .filter(contacts::id.eq(1i64))
            .select(contacts::phone)
            .first::<Sealed<MobilePhone>>(&mut conn)
            .expect_err("plaintext is not an envelope")
            .chain();
        assert!(err.contains("malformed sealed value") && !err.contains(PHONE), "{err}");
        let err = contacts::table
            .filter(contacts::id.eq(1i64))
            .select(contacts::phone_bin)
            .first::<Sealed<MobilePhone>>(&mut conn)
            .expect_err("one byte is not an envelope")
            .chain();
        assert!(err.contains("unsupported sealed format version 0"), "{err}");
        let err = contacts::table
            .filter(contacts::id.eq(2i64))
            .select(contacts::phone)
            .first::<Sealed<MobilePhone>>(&mut conn)
            .expect_err("an ID number is not a phone")
            .chain();
        assert!(err.contains("sealed value holds cn.id_number, not cn.mobile_phone"), "{err}");
        let err = contacts::table
            .filter(contacts::id.eq(1i64))
            .select(contacts::token)
            .first::<Option<Token>>(&mut conn)
            .expect_err("not a token")
            .chain();
        assert!(err.contains("not a tk1 token"), "{err}");
    }
}
