//! Seal contexts on the command line (issue 9): any fields in any order, the
//! empty context, and row ids bound from a column of CSV and JSON Lines records.

use crate::common;

use common::{Env, PHONE, json_lines, lines, text};

#[test]
fn contexts_of_any_fields_in_any_order_and_the_empty_one() {
    let env = Env::with_keys("contexts");
    let seal_with = |ctx: &[&str]| {
        env.keyed_ok(&[&["seal", "--kind", "mobile_phone"][..], ctx].concat(), &format!("{PHONE}\n"))
    };
    let open_with = |ctx: &[&str], sealed: &str| {
        env.keyed(&[&["open", "--kind", "mobile_phone", "--purpose", "p"][..], ctx].concat(), sealed)
    };
    let opens = |ctx: &[&str], sealed: &str| {
        let out = open_with(ctx, sealed);
        out.status.success() && text(&out.stdout) == format!("{PHONE}\n")
    };

    // The empty context, in both spellings.
    let sealed = seal_with(&["--empty-context"]);
    assert!(opens(&["--context-json", "[]"], &sealed));
    assert!(opens(&["--empty-context"], &sealed));
    assert!(!opens(&["--table", "t", "--column", "c"], &sealed));

    // Fields in order; another order is another context.
    let sealed = seal_with(&["--context-field", "tenant=acme", "--context-field", "purpose=billing"]);
    assert!(opens(&["--context-json", r#"[["tenant","acme"],["purpose","billing"]]"#], &sealed));
    assert!(!opens(&["--context-field", "purpose=billing", "--context-field", "tenant=acme"], &sealed));
    assert!(!opens(&["--context-field", "tenant=acme"], &sealed));

    // table/column as fields is the same context as the flags; extra fields follow.
    let sealed =
        seal_with(&["--table", "t", "--column", "c", "--context-field", "row=7", "--context-field", "x=a=b"]);
    assert!(opens(&["--context-json", r#"[["table","t"],["column","c"],["row","7"],["x","a=b"]]"#], &sealed));
    assert!(opens(
        &[
            "--context-field",
            "table=t",
            "--context-field",
            "column=c",
            "--context-field",
            "row=7",
            "--context-field",
            "x=a=b"
        ],
        &sealed
    ));
    // Names with `=` only through JSON.
    let sealed = seal_with(&["--context-json", r#"[["a=b","c"]]"#]);
    assert!(opens(&["--context-json", r#"[["a=b","c"]]"#], &sealed));
    assert!(!opens(&["--context-field", "a=b=c"], &sealed));

    // Usage errors, before any key is needed.
    for (ctx, expected) in [
        (&[][..], "say where the values live"),
        (&["--table", "t"][..], "--column"),
        (&["--context-field", "noequals"][..], "expected NAME=VALUE"),
        (&["--empty-context", "--row-id-from-line"][..], "cannot be used with"),
        (&["--context-json", "{\"a\":1}"][..], "--context-json: expected a JSON list"),
        (&["--context-json", "[]", "--table", "t", "--column", "c"][..], "cannot be used with"),
    ] {
        let out = open_with(ctx, "x\n");
        assert_eq!(out.status.code(), Some(2), "{ctx:?}");
        assert!(text(&out.stderr).contains(expected), "{ctx:?}: {}", text(&out.stderr));
    }
    let long = format!("f={}", "x".repeat(1025));
    let out = open_with(&["--context-field", &long], "x\n");
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("context field too long"), "{}", text(&out.stderr));
}

#[test]
fn records_bind_row_ids_from_a_column_csv_and_jsonl() {
    let env = Env::with_keys("records");
    let ctx = ["--table", "users", "--column", "phone", "--row-id-column", "uid", "--value-column", "phone"];
    let csv_in = format!("uid,phone,note\n7f1c-aa,{PHONE},\"a, b\"\n9e2d-bb,,x\nc3,13900139000,\n");
    let sealed = env.keyed_ok(&[&["seal", "--kind", "mobile_phone"][..], &ctx].concat(), &csv_in);
    let rows: Vec<&str> = lines(&sealed);
    assert_eq!(rows[0], "uid,phone,note");
    assert!(rows[1].starts_with("7f1c-aa,dz1.") && rows[1].ends_with(",\"a, b\""), "{sealed}");
    assert_eq!(rows[2], "9e2d-bb,,x", "a blank value stays blank");
    assert!(!sealed.contains(PHONE));

    let open =
        [&["open", "--kind", "mobile_phone", "--purpose", "p", "--audit", "audit.jsonl"][..], &ctx].concat();
    assert_eq!(env.keyed_ok(&open, &sealed), csv_in, "the same records, the values opened");
    let audit = json_lines(&std::fs::read_to_string(env.path("audit.jsonl")).unwrap());
    assert_eq!(audit.len(), 2);
    assert_eq!(audit[0]["context"]["row"], "7f1c-aa");

    // Swapped row ids: refused (row and column named, never the value); marked with --on-invalid mark.
    let swapped = sealed.replace("7f1c-aa,", "TMP,").replace("c3,", "7f1c-aa,").replace("TMP,", "c3,");
    let out = env.keyed(&open, &swapped);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("row 1, column phone: "), "{}", text(&out.stderr));
    assert!(!text(&out.stderr).contains(PHONE));
    let marked = env.keyed_ok(&[&open[..], &["--on-invalid", "mark"]].concat(), &swapped);
    assert_eq!(lines(&marked)[1], "c3,#INVALID,\"a, b\"");

    // JSON Lines: numbers are row ids as `run` reads them; fields come back as strings.
    let jsonl = format!("{{\"uid\":42,\"phone\":\"{PHONE}\"}}\n\n{{\"phone\":null,\"uid\":43}}\n");
    let j = ["--format", "jsonl"];
    let sealed = env.keyed_ok(&[&["seal", "--kind", "mobile_phone"][..], &ctx, &j].concat(), &jsonl);
    let rows = json_lines(&sealed);
    assert_eq!(rows.len(), 2);
    assert!(rows[0]["phone"].as_str().unwrap().starts_with("dz1."));
    assert_eq!(rows[1], serde_json::json!({"phone": "", "uid": "43"}));
    let opened = env.keyed_ok(&[&open[..], &j].concat(), &sealed);
    assert_eq!(
        opened,
        format!("{{\"uid\":\"42\",\"phone\":\"{PHONE}\"}}\n{{\"phone\":\"\",\"uid\":\"43\"}}\n")
    );
    let ctx42 = ["--table", "users", "--column", "phone", "--context-field", "row=42"];
    let one = rows[0]["phone"].as_str().unwrap();
    assert_eq!(
        env.keyed_ok(
            &[&["open", "--kind", "mobile_phone", "--purpose", "p"][..], &ctx42].concat(),
            &format!("{one}\n")
        ),
        format!("{PHONE}\n")
    );

    // Structure errors name the row or the column.
    for (args, input, expected) in [
        (
            &ctx[..],
            "id,phone\n1,2\n",
            "--row-id-column uid: the first row, read as the header row, has no such column (2 fields,",
        ),
        (&ctx[..], "uid,phone\n1\n", "row 1: 1 fields where the header has 2"),
        (&ctx[..], "uid,phone,phone\n1,2,3\n", "--value-column phone: the header names it twice"),
        (&ctx[..], "", "the input is empty"),
        (&[&ctx[..], &j].concat()[..], "{\"uid\":1,\"phone\":[1]}\n", "row 1: not a JSON object"),
        (
            &[&ctx[..], &j].concat()[..],
            "{\"uid\":1,\"phone\":\"1\",\"phone\":\"2\"}\n",
            "row 1: field 3 repeats the key of field 2",
        ),
        (
            &[&ctx[..], &j].concat()[..],
            "{\"phone\":\"13800138000\"}\n",
            "row 1, column phone: the row id is empty",
        ),
    ] {
        let out = env.keyed(&[&["seal", "--kind", "mobile_phone"][..], args].concat(), input);
        assert!(!out.status.success());
        assert!(text(&out.stderr).contains(expected), "{}", text(&out.stderr));
        assert!(!text(&out.stderr).contains(PHONE));
    }
    // --row-id-column needs --value-column.
    let out = env.keyed(
        &["seal", "--kind", "mobile_phone", "--table", "t", "--column", "c", "--row-id-column", "uid"],
        "",
    );
    assert_eq!(out.status.code(), Some(2));
}

/// Record mode fails closed on shapes that would leave a value in the
/// clear or expose it: a JSON record without the value key (its value may
/// sit under `Phone` or `phone `) and a row id taken from the value itself
/// (a row id is stored in the clear and hashed without a key, SPEC §3.5).
#[test]
fn records_refuse_a_missing_value_key_and_the_value_as_row_id() {
    let env = Env::with_keys("records-shape");
    let seal = ["seal", "--kind", "mobile_phone", "--table", "users", "--column", "phone"];
    let records = ["--value-column", "phone", "--format", "jsonl"];
    let input = "{\"uid\":\"1\",\"phone\":\"13800138000\"}\n{\"uid\":\"2\",\"Phone\":\"13900139000\"}\n";
    for mode in ["error", "mark"] {
        let out = env.keyed(&[&seal[..], &records, &["--on-invalid", mode]].concat(), input);
        let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
        assert_eq!(out.status.code(), Some(1), "{mode}: {stderr}");
        assert!(!stdout.contains("13900139000"), "{mode}: passed through in clear: {stdout}");
        assert!(stderr.contains("row 2: no key phone"), "{mode}: {stderr}");
        assert!(!stderr.contains("13900139000"), "{stderr}");
    }

    let csv = "phone\n13800138000\n";
    let same = ["--value-column", "phone", "--row-id-column", "phone"];
    let out = env.keyed(&[&seal[..], &same].concat(), csv);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "");
    assert!(text(&out.stderr).contains("is the value column"), "{}", text(&out.stderr));
}

/// `seal --value-column` reads records with `run`'s strict reader: a file
/// that `run` refuses (malformed quoting, a bare carriage return) is
/// refused by `seal` at the same row and column, with the same reason,
/// after the rows before it; the lenient reader it replaces read
/// `"138"00138000` as `13800138000`.
#[test]
fn records_and_run_refuse_the_same_malformed_csv() {
    let env = Env::with_keys("records-strict");
    std::fs::write(
        env.path("policy.toml"),
        "[columns.uid]\naction = \"keep\"\n[columns.phone]\nkind = \"mobile_phone\"\naction = \"mask\"\n",
    )
    .unwrap();
    let seal = [
        "seal",
        "--kind",
        "mobile_phone",
        "--table",
        "users",
        "--column",
        "phone",
        "--value-column",
        "phone",
    ];
    for (input, reason) in [
        (
            "uid,phone\n1,13800138000\n2,\"139\"00139000\n",
            "row 2, column phone: malformed quoting: a quoted field's closing quote is followed by more text",
        ),
        (
            "uid,phone\n1,13800138000\n2,139\"00139000\n",
            "row 2, column phone: malformed quoting: a quote inside an unquoted field",
        ),
        (
            "uid,phone\n1,13800138000\n2,13900139000\r3,13700137000\n",
            "row 2, column phone: malformed CSV: a carriage return outside quotes that does not end a line",
        ),
    ] {
        std::fs::write(env.path("in.csv"), input).unwrap();
        let run = env.run(&["run", "--policy", "policy.toml", "in.csv", "-o", "out.csv"], "");
        assert_eq!(run.status.code(), Some(1));
        assert!(text(&run.stderr).contains(reason), "run: {}", text(&run.stderr));

        let out = env.keyed(&seal, input);
        let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert!(stderr.contains(reason), "seal: {stderr}");
        assert!(!stderr.contains("139") && !stdout.contains("139"), "{stderr} {stdout}");
        // The rows before it are written, sealed.
        let rows = lines(&stdout);
        assert_eq!(rows.len(), 2, "{stdout}");
        assert_eq!(rows[0], "uid,phone");
        assert!(rows[1].starts_with("1,") && !rows[1].contains(PHONE), "{stdout}");
    }
}

/// Records spanning many pipeline chunks (seal runs on several workers):
/// every row comes back in input order and opens to its value under its
/// own row id; invalid values are reported in input order.
#[test]
fn many_records_keep_their_order_through_seal_and_open() {
    let env = Env::with_keys("records-many");
    let rows = 6000u64;
    let mut input = String::from("uid,phone,note\n");
    for i in 0..rows {
        let phone = if i == 4 || i == 4999 { "12345".to_owned() } else { (13800000000 + i).to_string() };
        input.push_str(&format!("{i},{phone},\"n, {i}\"\n"));
    }
    let ctx = ["--table", "users", "--column", "phone", "--row-id-column", "uid", "--value-column", "phone"];
    let out =
        env.keyed(&[&["seal", "--kind", "mobile_phone", "--on-invalid", "mark"][..], &ctx].concat(), &input);
    let (sealed, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "{stderr}");
    let reported: Vec<&str> = stderr.lines().filter(|l| l.contains("column phone")).collect();
    assert_eq!(
        reported,
        [
            "desensitize: row 5, column phone: invalid cn.mobile_phone: wrong length",
            "desensitize: row 5000, column phone: invalid cn.mobile_phone: wrong length"
        ]
    );
    assert!(stderr.contains("2 invalid values of 6000 records, marked #INVALID"), "{stderr}");
    assert_eq!(lines(&sealed).len() as u64, rows + 1);
    assert!(!sealed.contains("13800000007"));

    let open =
        [&["open", "--kind", "mobile_phone", "--purpose", "test", "--on-invalid", "mark"][..], &ctx].concat();
    let audit = ["--audit", "audit.jsonl"];
    let opened = env.keyed_ok(&[&open[..], &audit].concat(), &sealed);
    let expected = input.replace(",12345,", ",#INVALID,");
    assert_eq!(opened, expected);
}
