//! `desensitize db rotate` against a real PostgreSQL server: a table sealed
//! under key 1 is moved to key 2 with its blind index, through the CLI,
//! with `keys rotate` / `keys pin` before and the keyring file after.
//!
//! Needs the CLI's `postgres` feature, `DESENSITIZE_PG_URL` and `psql`
//! (`scripts/ci/ci-postgres.sh` has all three); otherwise each test prints one
//! line saying how to run it and passes.

mod common;

use std::io::Write;
use std::process::{Command, Stdio};

use common::{Env, PASSPHRASE, text};
use desensitize::keys::PassphraseProvider;
use desensitize::pseudo::{Domain, Transform};
use desensitize::{Context, Keyring, MobilePhone, PersonName, Sealed};

const SKIP: &str =
    "skipped: needs --features postgres, DESENSITIZE_PG_URL and psql (run scripts/ci/ci-postgres.sh)";

/// The server URL when this build and machine can run the test; else
/// print the skip line.
fn server() -> Option<String> {
    let url = std::env::var("DESENSITIZE_PG_URL").ok().filter(|u| !u.is_empty());
    let psql = Command::new("psql").arg("--version").output().is_ok_and(|o| o.status.success());
    match url {
        Some(u) if cfg!(feature = "postgres") && psql => Some(u),
        _ => {
            let _ = writeln!(std::io::stderr(), "{SKIP}");
            None
        }
    }
}

fn psql(url: &str, sql: &str) -> String {
    let out = Command::new("psql").args([url, "-v", "ON_ERROR_STOP=1", "-qAt", "-c", sql]).output().unwrap();
    assert!(out.status.success(), "psql: {}", text(&out.stderr));
    text(&out.stdout)
}

fn load(env: &Env) -> Keyring {
    Keyring::load(&env.path("keys.dzk"), &PassphraseProvider::new(PASSPHRASE).unwrap()).unwrap()
}

fn ctx(column: &str, id: i64) -> Context {
    Context::new("people", column).with_row(&id.to_string())
}

const ROWS: i64 = 500;

/// Create `schema.people` and fill it with `rows` people sealed under the
/// keyring file's key 1, the phone indexed in domain `people.phone`.
fn fill_table(env: &Env, url: &str, schema: &str, rows: i64) -> Vec<(PersonName, MobilePhone)> {
    psql(
        url,
        &format!(
            "DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}; \
             CREATE TABLE {schema}.people (id BIGINT PRIMARY KEY, name TEXT, phone TEXT, phone_idx BIGINT)"
        ),
    );
    let domain = Domain::new("people.phone").unwrap();
    let mut faker = desensitize::fake::Faker::new(5);
    let people: Vec<(PersonName, MobilePhone)> =
        (0..rows).map(|_| (faker.person_name(), faker.mobile_phone())).collect();
    let keyring = load(env);
    let index = keyring.blind_index::<MobilePhone>(&domain, Transform::Full, 8).unwrap();
    let mut copy = String::new();
    for (id, (name, phone)) in (1..).zip(&people) {
        let n = keyring.seal_text(name, &ctx("name", id)).unwrap();
        let p = keyring.seal_text(phone, &ctx("phone", id)).unwrap();
        copy.push_str(&format!("{id}\t{n}\t{p}\t{}\n", index.compute(phone).value()));
    }
    let file = env.path("people.tsv");
    std::fs::write(&file, copy).unwrap();
    psql(url, &format!("\\copy {schema}.people FROM '{}'", file.display()));
    people
}

#[test]
fn db_rotate_moves_a_table_and_its_index_to_the_new_key() {
    let Some(url) = server() else { return };
    let env = Env::with_keys("db-rotate");
    let people = fill_table(&env, &url, "t_cli", ROWS);
    let domain = Domain::new("people.phone").unwrap();
    env.keyed_ok(&["keys", "rotate"], "");
    env.keyed_ok(&["keys", "pin", "--domain", "people.phone", "--key-id", "2"], "");
    let args = [
        "db",
        "rotate",
        "--table",
        "t_cli.people",
        "--columns",
        "name:person_name,phone:cn.mobile_phone",
        "--index",
        "phone=phone_idx:people.phone:8",
        "--batch",
        "64",
        "--audit",
        "audit.jsonl",
    ];
    let out = env.keyed(&args, "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let summary: serde_json::Value = serde_json::from_str(text(&out.stdout).trim()).unwrap();
    assert_eq!(summary["scanned"], ROWS);
    assert_eq!(summary["rotated"], ROWS);
    assert_eq!(summary["remaining_old"], 0);
    assert_eq!(summary["active_key"], 2);
    assert_eq!(summary["job"], "rotate:t_cli.people");
    // Every open was recorded (two columns per row), in a 0600 log.
    let events = common::json_lines(&std::fs::read_to_string(env.path("audit.jsonl")).unwrap());
    assert_eq!(events.len() as i64, 2 * ROWS);
    assert!(events.iter().all(|e| e["purpose"] == "rotate" && e["outcome"] == "opened"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(env.path("audit.jsonl")).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    // Every value opens with key 1 destroyed, and the index is key 2's.
    let mut keyring = load(&env);
    keyring.destroy(1, 0).unwrap();
    let index = keyring.blind_index::<MobilePhone>(&domain, Transform::Full, 8).unwrap();
    let rows = psql(&url, "SELECT id, name, phone, phone_idx FROM t_cli.people ORDER BY id");
    let mut n = 0;
    for line in rows.lines() {
        let f: Vec<&str> = line.split('|').collect();
        let id: i64 = f[0].parse().unwrap();
        let (name, phone) = &people[id as usize - 1];
        let sealed_name: Sealed<PersonName> = f[1].parse().unwrap();
        let sealed_phone: Sealed<MobilePhone> = f[2].parse().unwrap();
        assert_eq!(&keyring.open(&sealed_name, &ctx("name", id), "t").unwrap(), name);
        assert_eq!(&keyring.open(&sealed_phone, &ctx("phone", id), "t").unwrap(), phone);
        assert_eq!(f[3].parse::<u64>().unwrap(), index.compute(phone).value(), "row {id}: index not moved");
        n += 1;
    }
    assert_eq!(n, ROWS);

    // A second run finds nothing to do.
    let again = env.keyed(&args, "");
    assert!(again.status.success(), "{}", text(&again.stderr));
    let summary: serde_json::Value = serde_json::from_str(text(&again.stdout).trim()).unwrap();
    assert_eq!((summary["rotated"].as_u64(), summary["current"].as_u64()), (Some(0), Some(ROWS as u64)));
}

#[test]
fn db_rotate_killed_with_sigkill_resumes_from_its_checkpoint() {
    let Some(url) = server() else { return };
    let env = Env::with_keys("db-rotate-kill");
    const MANY: i64 = 20_000;
    fill_table(&env, &url, "t_cli_kill", MANY);
    env.keyed_ok(&["keys", "rotate"], "");
    let mut args: Vec<&str> = vec!["db", "rotate", "--table", "t_cli_kill.people", "--columns"];
    args.extend(["name:person_name,phone:cn.mobile_phone", "--batch", "20", "--audit", "audit.jsonl"]);
    args.extend(["--keys", "keys.dzk", "--passphrase-file", "pass"]);
    let checkpoint = "SELECT coalesce(max(last_key), 0) FROM desensitize_rotation_checkpoint \
                      WHERE job = 'rotate:t_cli_kill.people'";

    // Kill -9 once a few batches have committed.
    let mut child = env.command(&args).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    let mut at = 0;
    for _ in 0..3_000 {
        at = psql(&url, checkpoint).trim().parse::<i64>().unwrap_or(0);
        if at >= 200 || child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    child.kill().unwrap(); // SIGKILL: no cleanup runs
    child.wait().unwrap();
    let at = psql(&url, checkpoint).trim().parse::<i64>().unwrap().max(at);
    assert!((200..MANY).contains(&at), "killed midway: checkpoint {at}");
    let moved = psql(&url, "SELECT count(*) FROM t_cli_kill.people WHERE phone LIKE 'dz1.AgEAAAAC%'");
    assert!(moved.trim().parse::<i64>().unwrap() >= at, "rows up to the checkpoint are under key 2");

    // Run again: it resumes after the checkpoint and finishes.
    let out = env.run(&args, "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let summary: serde_json::Value = serde_json::from_str(text(&out.stdout).trim()).unwrap();
    let resumed = summary["resumed_from"].as_i64().unwrap();
    assert!(resumed >= at, "resumed from {resumed}, checkpoint was {at}");
    assert_eq!(summary["scanned"].as_i64(), Some(MANY - resumed));
    assert_eq!(summary["remaining_old"], 0);
    let under_1 = psql(&url, "SELECT count(*) FROM t_cli_kill.people WHERE phone NOT LIKE 'dz1.AgEAAAAC%'");
    assert_eq!(under_1.trim(), "0");
}

#[test]
fn db_rotate_refuses_bad_specs_and_never_prints_the_url() {
    let Some(_) = server() else { return };
    let env = Env::with_keys("db-rotate-usage");
    let out =
        env.keyed(&["db", "rotate", "--table", "people", "--columns", "phone", "--audit", "a.jsonl"], "");
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("--columns wants COLUMN:KIND"), "{}", text(&out.stderr));

    let out = env
        .keyed(&["db", "rotate", "--table", "people", "--columns", "pw:password", "--audit", "a.jsonl"], "");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("passwords are hashed"), "{}", text(&out.stderr));

    let out = rotate_at(&env, "postgres://app:hunter2-secret@127.0.0.1:1/nowhere", "a.jsonl");
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("cannot reach the database"), "{stderr}");
    assert!(!stderr.contains("hunter2") && !text(&out.stdout).contains("hunter2"), "the URL leaked");
}

#[test]
fn db_rotate_names_the_rows_still_under_old_keys_after_a_resumed_run() {
    let Some(url) = server() else { return };
    let env = Env::with_keys("db-rotate-remaining");
    fill_table(&env, &url, "t_cli_rest", 20);
    // Row 3 holds row 4's phone: it belongs elsewhere and never opens.
    psql(
        &url,
        "UPDATE t_cli_rest.people SET phone = (SELECT phone FROM t_cli_rest.people WHERE id = 4) WHERE id = 3",
    );
    env.keyed_ok(&["keys", "rotate"], "");
    // An interrupted run's checkpoint after row 10: row 3 lies before it.
    psql(
        &url,
        "CREATE TABLE IF NOT EXISTS desensitize_rotation_checkpoint (job TEXT PRIMARY KEY, \
         last_key BIGINT NOT NULL, updated_at TIMESTAMPTZ NOT NULL DEFAULT now()); \
         INSERT INTO desensitize_rotation_checkpoint (job, last_key) VALUES ('rotate:t_cli_rest.people', 10) \
         ON CONFLICT (job) DO UPDATE SET last_key = 10",
    );
    let args = [
        "db",
        "rotate",
        "--table",
        "t_cli_rest.people",
        "--columns",
        "name:person_name,phone:cn.mobile_phone",
    ];
    let out = env.keyed(&[&args[..], &["--audit", "audit.jsonl"]].concat(), "");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let summary: serde_json::Value = serde_json::from_str(text(&out.stdout).trim()).unwrap();
    assert_eq!(summary["resumed_from"], 10);
    // Rows 1..=10 were not read by this run; the final scan still finds all of them.
    assert_eq!(summary["remaining_old"], 20);
    assert_eq!(summary["remaining_keys"].as_array().unwrap().len(), 10);
    assert!(text(&out.stderr).contains("rows holding them: [1, 2, 3,"), "{}", text(&out.stderr));
    // A full pass moves all but row 3's unopenable phone (and its name: the row stays).
    let out = env.keyed(&[&args[..], &["--audit", "audit.jsonl"]].concat(), "");
    let summary: serde_json::Value = serde_json::from_str(text(&out.stdout).trim()).unwrap();
    assert_eq!((summary["failed"].as_u64(), summary["remaining_old"].as_u64()), (Some(1), Some(2)));
    assert!(text(&out.stderr).contains("rows holding them: [3])"), "{}", text(&out.stderr));
}

/// `db rotate` with `--url` pointing nowhere and `--audit` set to `audit`
/// (issue 20, item 10: the audit sink is checked before anything is read).
fn rotate_with_audit(env: &Env, audit: &str) -> std::process::Output {
    rotate_at(env, "postgres://app@127.0.0.1:1/nowhere", audit)
}

/// `db rotate` of `people.phone` at `url`, audited to `audit`.
/// Issue 18: `keys rotate --suite gm`, then `db rotate`, moves a table sealed
/// under an `aes` key to the `gm` key (SM4 envelopes v2, its index under
/// HMAC-SM3); with the `aes` key destroyed every value opens.
#[test]
fn db_rotate_moves_an_aes_table_to_a_gm_key() {
    let Some(url) = server() else { return };
    let env = Env::with_keys("db-rotate-gm");
    let people = fill_table(&env, &url, "t_cli_gm", 40);
    env.keyed_ok(&["keys", "rotate", "--suite", "gm"], "");
    env.keyed_ok(&["keys", "pin", "--domain", "people.phone", "--key-id", "2"], "");
    let columns = ["--table", "t_cli_gm.people", "--columns", "name:person_name,phone:cn.mobile_phone"];
    let index = ["--index", "phone=phone_idx:people.phone:8", "--audit", "audit.jsonl"];
    let out = env.keyed(&[&["db", "rotate"][..], &columns, &index].concat(), "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let summary: serde_json::Value = serde_json::from_str(text(&out.stdout).trim()).unwrap();
    assert_eq!((summary["rotated"].as_u64(), summary["remaining_old"].as_u64()), (Some(40), Some(0)));
    let mut keyring = load(&env);
    assert_eq!(keyring.suite_of(2), Some(desensitize::keys::Suite::Gm));
    keyring.destroy(1, 0).unwrap();
    let domain = Domain::new("people.phone").unwrap();
    let idx = keyring.blind_index::<MobilePhone>(&domain, Transform::Full, 8).unwrap();
    for line in psql(&url, "SELECT id, name, phone, phone_idx FROM t_cli_gm.people ORDER BY id").lines() {
        let f: Vec<&str> = line.split('|').collect();
        let id: i64 = f[0].parse().unwrap();
        let (name, phone) = &people[id as usize - 1];
        let sealed_phone: Sealed<MobilePhone> = f[2].parse().unwrap();
        assert!(f[2].starts_with("dz1.Ag") && sealed_phone.key_id() == 2, "row {id}: {}", f[2]);
        assert_eq!(
            &keyring.open(&f[1].parse::<Sealed<PersonName>>().unwrap(), &ctx("name", id), "t").unwrap(),
            name
        );
        assert_eq!(&keyring.open(&sealed_phone, &ctx("phone", id), "t").unwrap(), phone);
        assert_eq!(f[3].parse::<u64>().unwrap(), idx.compute(phone).value(), "row {id}: index not moved");
    }
}

fn rotate_at(env: &Env, url: &str, audit: &str) -> std::process::Output {
    let columns = ["--table", "people", "--columns", "phone:cn.mobile_phone"];
    let args = [&["db", "rotate", "--url", url][..], &columns, &["--audit", audit]].concat();
    env.keyed(&args, "")
}

#[test]
fn db_rotate_requires_an_audit_log() {
    let env = Env::with_keys("db-rotate-audit-required");
    let out = env.keyed(&["db", "rotate", "--table", "people", "--columns", "phone:cn.mobile_phone"], "");
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("--audit <FILE>"), "{}", text(&out.stderr));
}

#[test]
fn db_rotate_refuses_audit_logs_that_record_nothing_or_clobber_a_key_file() {
    if !cfg!(feature = "postgres") {
        let _ = writeln!(std::io::stderr(), "{SKIP}");
        return;
    }
    let env = Env::with_keys("db-rotate-audit-sinks");
    for (audit, why) in [
        ("/dev/null", "records nothing"),
        ("keys.dzk", "is the keyring (--keys): refusing to overwrite it"),
        ("pass", "is the passphrase file: refusing to overwrite it"),
    ] {
        let before = std::fs::read(env.path("keys.dzk")).unwrap();
        let out = rotate_with_audit(&env, audit);
        assert_eq!(out.status.code(), Some(2), "{audit}: {}", text(&out.stderr));
        assert!(text(&out.stderr).contains(why), "{audit}: {}", text(&out.stderr));
        assert_eq!(std::fs::read(env.path("keys.dzk")).unwrap(), before, "{audit}: the keyring changed");
    }
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(env.path("elsewhere.jsonl"), env.path("link.jsonl")).unwrap();
        let out = rotate_with_audit(&env, "link.jsonl");
        assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
        assert!(text(&out.stderr).contains("is a symbolic link"), "{}", text(&out.stderr));
        assert!(!env.path("elsewhere.jsonl").exists(), "the link's target was created");
    }
    // A good log passes the checks (the job then fails to reach the server).
    let out = rotate_with_audit(&env, "audit.jsonl");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("cannot reach the database"), "{}", text(&out.stderr));
}
