//! End-to-end tests of the `desensitize` binary: key management, the
//! one-value-per-line commands and `fake`.
//!
//! Every test works in its own temporary directory, with a passphrase file
//! (the child has no terminal). Keyring loads cost one Argon2id run each, so
//! tests that only need *a* keyring copy one made once.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

use desensitize::{Address, BankCard, Email, GeoPoint, IdNumber, MobilePhone, PersonName};

const BIN: &str = env!("CARGO_BIN_EXE_desensitize");
const PASSPHRASE: &str = "correct horse battery staple";
const ID: &str = "11010519491231002X";
const PHONE: &str = "13800138000";

/// A temporary working directory with a passphrase file, removed on drop.
struct Env {
    dir: PathBuf,
}

impl Env {
    fn new(name: &str) -> Env {
        let dir = std::env::temp_dir().join(format!("desensitize-cli-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("pass"), format!("{PASSPHRASE}\n")).unwrap();
        Env { dir }
    }

    /// A directory holding a copy of a keyring generated once for all tests.
    fn with_keys(name: &str) -> Env {
        static TEMPLATE: OnceLock<Vec<u8>> = OnceLock::new();
        let template = TEMPLATE.get_or_init(|| {
            let env = Env::new("template");
            env.ok(&["keygen", "--out", "keys.dzk", "--passphrase-file", "pass"], "");
            std::fs::read(env.path("keys.dzk")).unwrap()
        });
        let env = Env::new(name);
        std::fs::write(env.path("keys.dzk"), template).unwrap();
        env
    }

    fn path(&self, file: &str) -> PathBuf {
        self.dir.join(file)
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(BIN);
        c.args(args).current_dir(&self.dir).env_remove("DESENSITIZE_PASSPHRASE");
        c
    }

    /// Run with `stdin` as standard input.
    fn run(&self, args: &[&str], stdin: &str) -> Output {
        run_with(self.command(args), stdin)
    }

    /// Run and require success; returns stdout.
    fn ok(&self, args: &[&str], stdin: &str) -> String {
        let out = self.run(args, stdin);
        assert!(out.status.success(), "{args:?} failed: {}", text(&out.stderr));
        text(&out.stdout)
    }

    /// Run a command that needs the keyring, adding `--keys` and `--passphrase-file`.
    fn keyed(&self, args: &[&str], stdin: &str) -> Output {
        let mut all = args.to_vec();
        all.extend(["--keys", "keys.dzk", "--passphrase-file", "pass"]);
        self.run(&all, stdin)
    }

    fn keyed_ok(&self, args: &[&str], stdin: &str) -> String {
        let out = self.keyed(args, stdin);
        assert!(out.status.success(), "{args:?} failed: {}", text(&out.stderr));
        text(&out.stdout)
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn run_with(mut command: Command, stdin: &str) -> Output {
    let mut child =
        command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let mut input = child.stdin.take().unwrap();
    let data = stdin.as_bytes().to_vec();
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(&data);
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    out
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

fn lines(s: &str) -> Vec<&str> {
    s.lines().collect()
}

/// The longest run of characters satisfying `pred`.
fn longest_run(s: &str, pred: impl Fn(char) -> bool) -> usize {
    s.split(|c| !pred(c)).map(str::len).max().unwrap_or(0)
}

/// No hex or base64 run long enough to be a 256-bit key.
fn assert_no_key_material(s: &str) {
    assert!(longest_run(s, |c| c.is_ascii_hexdigit()) < 64, "hex run in {s:?}");
    assert!(longest_run(s, |c| c.is_ascii_alphanumeric() || "+/=-_".contains(c)) < 43, "base64 run in {s:?}");
}

fn json_lines(s: &str) -> Vec<serde_json::Value> {
    s.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

// ---------------------------------------------------------------------------
// keygen and keys

#[test]
fn keygen_creates_refuses_to_overwrite_and_forces() {
    let env = Env::new("keygen");
    let args = ["keygen", "--out", "keys.dzk", "--passphrase-file", "pass"];
    let out = env.run(&args, "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("created keys.dzk with active key 1"));
    assert!(out.stdout.is_empty());
    let first = std::fs::read(env.path("keys.dzk")).unwrap();

    let again = env.run(&args, "");
    assert_eq!(again.status.code(), Some(2));
    assert!(text(&again.stderr).contains("--force"));
    assert_eq!(std::fs::read(env.path("keys.dzk")).unwrap(), first, "refused keygen changed the file");

    // --force, with the passphrase from the environment this time.
    let mut forced = env.command(&["keygen", "--out", "keys.dzk", "--force"]);
    forced.env("DESENSITIZE_PASSPHRASE", "another passphrase");
    let out = run_with(forced, "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_ne!(std::fs::read(env.path("keys.dzk")).unwrap(), first);

    // The old passphrase no longer opens it; the new one does.
    let wrong = env.keyed(&["keys", "list"], "");
    assert!(!wrong.status.success());
    assert!(text(&wrong.stderr).contains("wrong passphrase"), "{}", text(&wrong.stderr));
    let mut list = env.command(&["keys", "list", "--keys", "keys.dzk"]);
    list.env("DESENSITIZE_PASSPHRASE", "another passphrase");
    assert!(run_with(list, "").status.success());
}

#[test]
fn no_passphrase_without_terminal_is_a_usage_error() {
    let env = Env::new("nopass");
    let out = env.run(&["keygen", "--out", "keys.dzk"], "");
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("no passphrase"), "{}", text(&out.stderr));
    assert!(!env.path("keys.dzk").exists());
}

#[test]
fn keys_list_text_and_json_never_show_key_material() {
    let env = Env::with_keys("list");
    let table = env.keyed_ok(&["keys", "list"], "");
    let rows = lines(&table);
    assert_eq!(rows.len(), 2, "{table}");
    assert!(rows[0].contains("ID") && rows[0].contains("STATE") && rows[0].contains("SEALS"));
    assert!(rows[1].split_whitespace().eq(["1", "active", "0", "-"]), "{table}");
    assert_no_key_material(&table);

    let json = env.keyed_ok(&["keys", "list", "--json"], "");
    let keys = json_lines(&json);
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0]["id"], 1);
    assert_eq!(keys[0]["state"], "active");
    assert_eq!(keys[0]["seal_count"], 0);
    assert_no_key_material(&json);
}

#[test]
fn rotate_pin_and_the_destroy_guard() {
    let env = Env::with_keys("rotate");
    let out = env.keyed(&["keys", "rotate"], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout).trim(), "2");
    assert_no_key_material(&text(&out.stderr));

    let keys = json_lines(&env.keyed_ok(&["keys", "list", "--json"], ""));
    let states: Vec<(u64, &str)> =
        keys.iter().map(|k| (k["id"].as_u64().unwrap(), k["state"].as_str().unwrap())).collect();
    assert_eq!(states, [(1, "decrypt-only"), (2, "active")]);

    // The active key: refused.
    let out = env.keyed(&["keys", "destroy", "--key-id", "2", "--remaining", "0"], "");
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("active key"), "{}", text(&out.stderr));

    env.keyed_ok(&["keys", "pin", "--domain", "analytics", "--key-id", "1"], "");
    let keys = json_lines(&env.keyed_ok(&["keys", "list", "--json"], ""));
    assert_eq!((keys[0]["pinned"].as_bool(), keys[1]["pinned"].as_bool()), (Some(true), Some(false)));
    assert_eq!(keys[0]["pinned_domains"], serde_json::json!(["analytics"]));

    // Pinned: refused.
    let out = env.keyed(&["keys", "destroy", "--key-id", "1", "--remaining", "0"], "");
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("pinned"), "{}", text(&out.stderr));

    // Re-pinned, but values remain: refused.
    env.keyed_ok(&["keys", "pin", "--domain", "analytics", "--key-id", "2"], "");
    let out = env.keyed(&["keys", "destroy", "--key-id", "1", "--remaining", "3"], "");
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("still protects 3 values"), "{}", text(&out.stderr));

    // --remaining is required.
    assert_eq!(env.keyed(&["keys", "destroy", "--key-id", "1"], "").status.code(), Some(2));

    env.keyed_ok(&["keys", "destroy", "--key-id", "1", "--remaining", "0"], "");
    let table = env.keyed_ok(&["keys", "list"], "");
    assert!(lines(&table)[1].split_whitespace().eq(["1", "destroyed", "0", "-"]), "{table}");
    assert!(lines(&table)[2].split_whitespace().eq(["2", "active", "0", "analytics"]), "{table}");
    assert_no_key_material(&table);
}

#[test]
fn wrong_passphrase_is_reported_as_such() {
    let env = Env::with_keys("wrongpass");
    std::fs::write(env.path("wrong"), "not the passphrase\n").unwrap();
    let args = ["seal", "--kind", "id_number", "--table", "t", "--column", "c"];
    let keys = ["--keys", "keys.dzk", "--passphrase-file", "wrong"];
    let out = env.run(&[&args[..], &keys].concat(), &format!("{ID}\n"));
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("wrong passphrase"), "{}", text(&out.stderr));
    assert!(out.stdout.is_empty());
    assert!(!text(&out.stderr).contains(ID));
}

// ---------------------------------------------------------------------------
// inspect and mask

#[test]
fn inspect_reports_facts_and_errors_without_plaintext() {
    let env = Env::new("inspect");
    let input = format!("{ID}\n110105194912310021\n\n{PHONE}\n");
    let out = env.run(&["inspect", "--kind", "cn.id_number"], &input);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let rows = json_lines(&stdout);
    assert_eq!(rows.len(), 4);

    assert_eq!(rows[0]["line"], 1);
    assert_eq!(rows[0]["valid"], true);
    assert_eq!(rows[0]["kind"], "cn.id_number");
    assert_eq!(rows[0]["masked"], "110************02X");
    let facts = &rows[0]["facts"];
    assert_eq!(facts["birth_date"], "1949-12-31");
    assert_eq!(facts["gender"], "female");
    assert_eq!(facts["region_code"], "110105");
    assert_eq!(facts["province"], "北京市");
    assert_eq!(facts["province_en"], "Beijing");
    assert_eq!(facts["city"], "北京市");
    assert_eq!(facts["under_14"], false);
    assert_eq!(facts["category"], "sensitive");
    assert!(facts["age"].as_u64().unwrap() >= 76);

    assert_eq!(rows[1], serde_json::json!({"line": 2, "valid": false, "error": "check digit mismatch"}));
    assert_eq!(rows[2], serde_json::json!({"line": 3, "valid": false, "error": "empty"}));
    assert_eq!(rows[3], serde_json::json!({"line": 4, "valid": false, "error": "wrong length"}));

    assert!(!stdout.contains(ID) && !stdout.contains("110105194912310021") && !stdout.contains(PHONE));
    assert!(out.stderr.is_empty());

    let out = env.run(&["inspect", "--kind", "email"], "ZhangSan@163.COM\nnot-an-email\n");
    let rows = json_lines(&text(&out.stdout));
    assert_eq!(rows[0]["facts"]["domain"], "163.com");
    assert_eq!(rows[0]["facts"]["category"], "general");
    assert_eq!(rows[1]["error"], "malformed");
    assert!(!text(&out.stdout).contains("ZhangSan"));

    let out = env.run(&["inspect", "--kind", "geo_point"], "39.9042,116.4074\n");
    let rows = json_lines(&text(&out.stdout));
    assert_eq!(rows[0]["facts"]["geohash5"], "wx4g0");
    assert!(!text(&out.stdout).contains("39.9042"));
}

#[test]
fn mask_at_each_level() {
    let env = Env::new("mask");
    let input = format!("{ID}\n");
    for (level, expected) in [
        ("strict", "1****************X"),
        ("standard", "110************02X"),
        ("relaxed", "110105********002X"),
    ] {
        assert_eq!(
            env.ok(&["mask", "--kind", "id_number", "--level", level], &input),
            format!("{expected}\n")
        );
    }
    // Default level is standard; inputs are normalized first.
    assert_eq!(env.ok(&["mask", "--kind", "mobile_phone"], "+86 138-0013-8000\r\n"), "138****8000\n");
    assert_eq!(
        env.ok(&["mask", "--kind", "mobile_phone", "--level", "strict"], &format!("{PHONE}\n")),
        "*******8000\n"
    );
    assert_eq!(env.run(&["mask", "--kind", "id_number", "--level", "loose"], "").status.code(), Some(2));
}

#[test]
fn on_invalid_error_stops_and_mark_continues() {
    let env = Env::new("oninvalid");
    let input = format!("{PHONE}\n12345\n\n13900139000\n");

    // Default: error at line 2, exit 1, earlier results already written.
    let out = env.run(&["mask", "--kind", "mobile_phone"], &input);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stdout), "138****8000\n");
    let stderr = text(&out.stderr);
    assert!(stderr.contains("line 2: invalid cn.mobile_phone: wrong length"), "{stderr}");
    assert!(!stderr.contains("12345"));

    // mark: one output line per input line, exit 0, count on stderr.
    let out = env.run(&["mask", "--kind", "mobile_phone", "--on-invalid", "mark"], &input);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(lines(&text(&out.stdout)), ["138****8000", "#INVALID", "#INVALID", "139****9000"]);
    let stderr = text(&out.stderr);
    assert!(stderr.contains("line 2: invalid cn.mobile_phone: wrong length"), "{stderr}");
    assert!(stderr.contains("line 3: invalid cn.mobile_phone: empty"), "{stderr}");
    assert!(stderr.contains("2 invalid lines"), "{stderr}");
    assert!(!stderr.contains("12345"));

    // Bytes that are not UTF-8 are an invalid line, not a crash.
    let mut c = env.command(&["mask", "--kind", "email", "--on-invalid", "mark"]);
    c.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = c.spawn().unwrap();
    child.stdin.take().unwrap().write_all(b"zhangsan@b.cn\n\xff\xfe@x.cn\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    assert_eq!(lines(&text(&out.stdout)), ["zha***@b.cn", "#INVALID"]);
    assert!(text(&out.stderr).contains("line 2: not valid UTF-8"));
}

// ---------------------------------------------------------------------------
// seal, open, pseudonym

#[test]
fn seal_then_open_through_a_pipe_with_audit() {
    let env = Env::with_keys("seal");
    let phones = format!("{PHONE}\n+86 139-0013-9000\n");
    let ctx = ["--table", "users", "--column", "phone", "--row-id-from-line"];
    let keys = ["--keys", "keys.dzk", "--passphrase-file", "pass"];

    let mut seal = env.command(&[&["seal", "--kind", "mobile_phone"][..], &ctx, &keys].concat());
    seal.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut sealer = seal.spawn().unwrap();
    sealer.stdin.take().unwrap().write_all(phones.as_bytes()).unwrap();

    let mut open = env.command(
        &[
            &["open", "--kind", "mobile_phone", "--purpose", "support-call", "--audit", "audit.jsonl"][..],
            &ctx,
            &keys,
        ]
        .concat(),
    );
    open.stdin(Stdio::from(sealer.stdout.take().unwrap())).stdout(Stdio::piped()).stderr(Stdio::piped());
    let opened = open.spawn().unwrap().wait_with_output().unwrap();
    let sealed = sealer.wait_with_output().unwrap();
    assert!(sealed.status.success(), "{}", text(&sealed.stderr));
    assert!(opened.status.success(), "{}", text(&opened.stderr));
    assert_eq!(lines(&text(&opened.stdout)), [PHONE, "13900139000"]);
    assert!(opened.stderr.is_empty(), "audit went to the file, not stderr");

    let audit = std::fs::read_to_string(env.path("audit.jsonl")).unwrap();
    let events = json_lines(&audit);
    assert_eq!(events.len(), 2);
    for (i, e) in events.iter().enumerate() {
        assert_eq!(e["purpose"], "support-call");
        assert_eq!(e["outcome"], "opened");
        assert_eq!(e["kind"], "cn.mobile_phone");
        assert_eq!(e["context"]["row"], (i + 1).to_string());
    }
    assert!(!audit.contains(PHONE) && !audit.contains("13900139000"));

    // Sealed text is dz1 envelopes, never plaintext; each seal is fresh.
    let sealed = env.keyed_ok(&[&["seal", "--kind", "mobile_phone"][..], &ctx].concat(), &phones);
    let envelopes = lines(&sealed);
    assert_eq!(envelopes.len(), 2);
    assert!(envelopes.iter().all(|e| e.starts_with("dz1.")));
    assert!(!sealed.contains(PHONE));

    // Another table: refused per line with a value-free reason; audited on stderr.
    let wrong = ["--table", "orders", "--column", "phone", "--row-id-from-line"];
    let out =
        env.keyed(&[&["open", "--kind", "mobile_phone", "--purpose", "x"][..], &wrong].concat(), &sealed);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let stderr = text(&out.stderr);
    assert!(stderr.contains("line 1: "), "{stderr}");
    assert!(stderr.contains("\"outcome\":\"refused\""), "{stderr}");
    assert!(!stderr.contains(PHONE) && !stderr.contains(envelopes[0]), "{stderr}");

    // Another line (row id): refused too.
    let swapped = format!("{}\n{}\n", envelopes[1], envelopes[0]);
    let out =
        env.keyed(&[&["open", "--kind", "mobile_phone", "--purpose", "x"][..], &ctx].concat(), &swapped);
    assert_eq!(out.status.code(), Some(1));

    // --purpose is required.
    let out = env.keyed(&[&["open", "--kind", "mobile_phone"][..], &ctx].concat(), &sealed);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn seal_open_round_trip_of_other_kinds_and_open_marks_failures() {
    let env = Env::with_keys("kinds");
    let ctx = ["--table", "t", "--column", "c"];
    for (kind, input, canonical) in [
        ("geo_point", "39.9042, 116.4074", "39.9042,116.4074"),
        ("biometric", "Rk1SAA==", "Rk1SAA=="),
        ("email", " ZhangSan@163.COM", "ZhangSan@163.com"),
        ("id_number", "11010519491231002x", ID),
    ] {
        let sealed = env.keyed_ok(&[&["seal", "--kind", kind][..], &ctx].concat(), &format!("{input}\n"));
        let stdin = format!("{sealed}not-a-seal\n");
        let out = env.keyed(
            &[&["open", "--kind", kind, "--purpose", "test", "--on-invalid", "mark"][..], &ctx].concat(),
            &stdin,
        );
        assert!(out.status.success(), "{kind}: {}", text(&out.stderr));
        assert_eq!(lines(&text(&out.stdout)), [canonical, "#INVALID"], "{kind}");
        let stderr = text(&out.stderr);
        assert!(stderr.contains("line 2: "), "{stderr}");
        assert!(!stderr.contains(canonical), "{stderr}");
    }
}

#[test]
fn password_and_unsupported_kinds_are_refused_up_front() {
    let env = Env::new("password");
    // No keyring exists: the kind is refused before any key is needed.
    let out = env.keyed(&["seal", "--kind", "password", "--table", "t", "--column", "c"], "hunter2\n");
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("cannot seal --kind password"), "{stderr}");
    assert!(!stderr.contains("hunter2"));

    let out = env.keyed(&["pseudonym", "--kind", "biometric", "--domain", "d"], "Rk1SAA==\n");
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("cannot pseudonymize --kind biometric"));

    let out = env.run(&["mask", "--kind", "shoe_size"], "");
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("unknown kind"));
}

#[test]
fn pseudonyms_are_deterministic_and_domain_separated() {
    let env = Env::with_keys("pseudonym");
    let input = format!("{PHONE}\n+86 138 0013 8000\n13900139000\n");
    let first = env.keyed_ok(&["pseudonym", "--kind", "mobile_phone", "--domain", "analytics"], &input);
    let again = env.keyed_ok(&["pseudonym", "--kind", "mobile_phone", "--domain", "analytics"], &input);
    assert_eq!(first, again);
    let tokens = lines(&first);
    assert_eq!(tokens.len(), 3);
    assert!(tokens.iter().all(|t| t.starts_with("tk1.1.")));
    assert_eq!(tokens[0], tokens[1], "same number, same token");
    assert_ne!(tokens[0], tokens[2]);

    let other = env.keyed_ok(&["pseudonym", "--kind", "mobile_phone", "--domain", "marketing"], &input);
    assert!(lines(&other).iter().zip(&tokens).all(|(a, b)| a != b));
    assert!(!first.contains(PHONE));

    let out = env.keyed(&["pseudonym", "--kind", "mobile_phone", "--domain", "Bad Domain"], &input);
    assert_eq!(out.status.code(), Some(2));
}

// ---------------------------------------------------------------------------
// fake

#[test]
fn fake_is_deterministic_and_valid() {
    let env = Env::new("fake");
    let a = env.ok(&["fake", "--rows", "300", "--seed", "5"], "");
    let b = env.ok(&["fake", "--rows", "300", "--seed", "5"], "");
    let c = env.ok(&["fake", "--rows", "300", "--seed", "6"], "");
    assert_eq!(a, b);
    assert_ne!(a, c);

    let mut reader = csv::Reader::from_reader(a.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_owned).collect();
    assert_eq!(header, desensitize::fake::COLUMNS);
    let mut n = 0u64;
    for record in reader.records() {
        let r = record.unwrap();
        n += 1;
        assert_eq!(r[0].parse::<u64>().unwrap(), n);
        r[1].parse::<PersonName>().unwrap();
        r[2].parse::<IdNumber>().unwrap();
        r[3].parse::<MobilePhone>().unwrap();
        r[4].parse::<BankCard>().unwrap();
        r[5].parse::<Email>().unwrap();
        r[6].parse::<Address>().unwrap();
        r[7].parse::<GeoPoint>().unwrap();
    }
    assert_eq!(n, 300);

    // JSON Lines by extension, the same records.
    env.ok(&["fake", "--rows", "300", "--seed", "5", "-o", "users.jsonl"], "");
    let rows = json_lines(&std::fs::read_to_string(env.path("users.jsonl")).unwrap());
    assert_eq!(rows.len(), 300);
    let first_csv = a.lines().nth(1).unwrap();
    assert_eq!(rows[0]["user_id"], 1);
    assert!(first_csv.contains(rows[0]["id_number"].as_str().unwrap()));
    assert!(first_csv.contains(rows[0]["email"].as_str().unwrap()));

    // CSV to a file equals CSV on stdout.
    env.ok(&["fake", "--rows", "300", "--seed", "5", "-o", "users.csv"], "");
    assert_eq!(std::fs::read_to_string(env.path("users.csv")).unwrap(), a);
    assert!(Path::new(&env.path("users.csv")).exists());
}

// --- cli (issues 8, 9) ---

/// `keys list --json` of `env`, as (seal_count, seal_count_file, seal_count_ledger) of key `id`.
fn seal_counts(env: &Env, id: u64) -> (u64, u64, u64) {
    let keys = json_lines(&env.keyed_ok(&["keys", "list", "--json"], ""));
    let k = keys.iter().find(|k| k["id"] == id).unwrap();
    let n = |f: &str| k[f].as_u64().unwrap();
    (n("seal_count"), n("seal_count_file"), n("seal_count_ledger"))
}

#[test]
fn seals_are_counted_in_the_ledger_also_by_concurrent_commands() {
    let env = Env::with_keys("ledger");
    const N: usize = 7;
    let input: String = (0..N).map(|i| format!("1380013{:04}\n", 8000 + i)).collect();
    let seal = ["seal", "--kind", "mobile_phone", "--table", "users", "--column", "phone"];
    assert_eq!(seal_counts(&env, 1), (0, 0, 0));
    env.keyed_ok(&seal, &input);
    env.keyed_ok(&seal, &input);
    assert_eq!(seal_counts(&env, 1), (2 * N as u64, 0, 2 * N as u64));

    // Two processes at once: neither count is lost.
    let spawn = || {
        let mut all = seal.to_vec();
        all.extend(["--keys", "keys.dzk", "--passphrase-file", "pass"]);
        let mut c = env.command(&all);
        c.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
        c.spawn().unwrap()
    };
    let (mut a, mut b) = (spawn(), spawn());
    for child in [&mut a, &mut b] {
        child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    }
    for child in [a, b] {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert_eq!(lines(&text(&out.stdout)).len(), N);
    }
    assert_eq!(seal_counts(&env, 1).0, 4 * N as u64);

    // A seal that stops part-way still counts what it sealed.
    let out = env.keyed(&seal, &format!("{PHONE}\n{PHONE}\nnot a phone\n{PHONE}\n"));
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(seal_counts(&env, 1).0, 4 * N as u64 + 2);

    // One line per command, in the documented format; opens count nothing.
    let ledger = std::fs::read_to_string(env.path("keys.dzk.seals")).unwrap();
    assert_eq!(ledger.lines().count(), 5, "{ledger}");
    for line in ledger.lines() {
        let words: Vec<&str> = line.split(' ').collect();
        assert_eq!((words[0], words[1], words[4]), ("dzseals1", "1", "seal"), "{line}");
    }
    let sealed = env.keyed_ok(&seal, &format!("{PHONE}\n"));
    env.keyed_ok(
        &["open", "--kind", "mobile_phone", "--table", "users", "--column", "phone", "--purpose", "t"],
        &sealed,
    );
    assert_eq!(seal_counts(&env, 1).0, 4 * N as u64 + 3);
    let table = env.keyed_ok(&["keys", "list"], "");
    assert!(
        lines(&table)[1].split_whitespace().eq(["1", "active", &(4 * N + 3).to_string(), "-"]),
        "{table}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(env.path("keys.dzk.seals")).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

#[test]
fn the_ledger_is_per_key_advisory_and_reset_by_keygen() {
    let env = Env::with_keys("ledger-keys");
    env.keyed_ok(&["keys", "rotate"], "");
    env.keyed_ok(&["seal", "--kind", "email", "--empty-context"], "a@b.cn\nc@d.cn\n");
    assert_eq!((seal_counts(&env, 1).0, seal_counts(&env, 2).0), (0, 2));

    // Past half the nonce budget: advice to rotate. Foreign lines: ignored, reported.
    let mut f = std::fs::OpenOptions::new().append(true).open(env.path("keys.dzk.seals")).unwrap();
    f.write_all(b"dzseals1 2 3000000000 0 run\nnot a ledger line\n").unwrap();
    let out = env.keyed(&["keys", "list"], "");
    assert!(out.status.success());
    assert!(lines(&text(&out.stdout))[2].split_whitespace().eq(["2", "active", "3000000002", "-"]));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("key 2 has sealed 3000000002 values") && stderr.contains("rotate"), "{stderr}");
    assert!(stderr.contains("1 unreadable lines in the seal ledger keys.dzk.seals"), "{stderr}");

    // Destroy reports the upper bound of what the key sealed.
    std::fs::write(env.path("keys.dzk.seals"), "dzseals1 1 5 0 seal\n").unwrap();
    let out = env.keyed(&["keys", "destroy", "--key-id", "1", "--remaining", "0"], "");
    assert!(
        text(&out.stderr).contains("destroyed key 1 (it sealed at most 5 values)"),
        "{}",
        text(&out.stderr)
    );

    // A new keyring starts from zero: keygen removes the old ledger.
    let out = env.run(&["keygen", "--out", "keys.dzk", "--passphrase-file", "pass", "--force"], "");
    assert!(out.status.success());
    assert!(!env.path("keys.dzk.seals").exists());
    assert_eq!(seal_counts(&env, 1), (0, 0, 0));
}

#[cfg(unix)]
#[test]
fn a_symlinked_ledger_is_refused_and_sealing_still_works() {
    let env = Env::with_keys("ledger-link");
    std::fs::write(env.path("target"), "").unwrap();
    std::os::unix::fs::symlink(env.path("target"), env.path("keys.dzk.seals")).unwrap();
    let out = env
        .keyed(&["seal", "--kind", "mobile_phone", "--table", "t", "--column", "c"], &format!("{PHONE}\n"));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).starts_with("dz1."));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("warning: could not record 1 seals in keys.dzk.seals: is a symlink"), "{stderr}");
    assert_eq!(std::fs::read(env.path("target")).unwrap(), b"", "wrote through the symlink");
    let out = env.keyed(&["keys", "list"], "");
    assert!(text(&out.stderr).contains("cannot read the seal ledger keys.dzk.seals: is a symlink"));
}

#[test]
fn missing_files_are_named_with_what_to_do() {
    let env = Env::new("missing");
    let seal = ["seal", "--kind", "mobile_phone", "--table", "t", "--column", "c"];
    let stdin = format!("{PHONE}\n");
    let check = |out: Output, expected: &str| {
        assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
        let stderr = text(&out.stderr);
        assert!(stderr.contains(expected), "{stderr}");
        assert!(!stderr.contains("entity not found") && !stderr.contains(PHONE), "{stderr}");
        assert!(out.stdout.is_empty());
    };
    let keyring_hint = "keyring file keys.dzk not found; create one with `desensitize keygen --out keys.dzk`";
    check(env.keyed(&seal, &stdin), keyring_hint);
    check(env.keyed(&["keys", "list"], ""), keyring_hint);
    check(
        env.keyed(&["open", "--kind", "mobile_phone", "--empty-context", "--purpose", "p"], "x\n"),
        keyring_hint,
    );
    check(env.keyed(&["pseudonym", "--kind", "mobile_phone", "--domain", "d"], &stdin), keyring_hint);
    std::fs::create_dir(env.path("dir.dzk")).unwrap();
    let args = [&seal[..], &["--keys", "dir.dzk", "--passphrase-file", "pass"]].concat();
    check(env.run(&args, &stdin), "keyring file dir.dzk is a directory");

    check(
        env.run(&["keygen", "--out", "keys.dzk", "--passphrase-file", "nopass"], ""),
        "passphrase file nopass not found; write the passphrase on its first line, or set DESENSITIZE_PASSPHRASE",
    );
    std::fs::write(env.path("empty"), "\n").unwrap();
    check(
        env.run(&["keygen", "--out", "keys.dzk", "--passphrase-file", "empty"], ""),
        "the passphrase file empty is empty",
    );
    env.ok(&["keygen", "--out", "keys.dzk", "--passphrase-file", "pass"], "");
    check(
        env.run(&[&seal[..], &["--keys", "keys.dzk", "--passphrase-file", "nopass"]].concat(), &stdin),
        "passphrase file nopass not found",
    );
    let out = env.run(&["keygen", "--out", "no/such/dir/keys.dzk", "--passphrase-file", "pass"], "");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr)
            .contains("cannot write keyring file no/such/dir/keys.dzk: its directory does not exist"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn quiet_keygen_prints_nothing() {
    let env = Env::new("quiet");
    for args in [
        &["-q", "keygen", "--out", "a.dzk", "--passphrase-file", "pass"][..],
        &["keygen", "--quiet", "--out", "b.dzk", "--passphrase-file", "pass"],
    ] {
        let out = env.run(args, "");
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert!(out.stderr.is_empty() && out.stdout.is_empty(), "{}", text(&out.stderr));
    }
    assert!(env.path("a.dzk").exists() && env.path("b.dzk").exists());
}

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
            "--row-id-column uid: the input has no such column (it has: id, phone)",
        ),
        (&ctx[..], "uid,phone\n1\n", "row 1: 1 fields where the header has 2"),
        (&ctx[..], "uid,phone,phone\n1,2,3\n", "--value-column phone: the header names it twice"),
        (&ctx[..], "", "the input is empty"),
        (&[&ctx[..], &j].concat()[..], "{\"uid\":1,\"phone\":[1]}\n", "row 1: not a JSON object"),
        (
            &[&ctx[..], &j].concat()[..],
            "{\"uid\":1,\"phone\":\"1\",\"phone\":\"2\"}\n",
            "row 1: key phone appears twice",
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

// --- audit (issue 8) ---

/// `count` phone numbers sealed for users.phone, one per line (row = line).
fn sealed_phones(env: &Env, count: usize) -> String {
    let phones: String = (0..count).map(|i| format!("1380013800{i}\n")).collect();
    env.keyed_ok(
        &["seal", "--kind", "mobile_phone", "--table", "users", "--column", "phone", "--row-id-from-line"],
        &phones,
    )
}

fn open_args<'a>(audit: &'a str, on_invalid: &'a str) -> Vec<&'a str> {
    let mut args = vec!["open", "--kind", "mobile_phone", "--purpose", "support", "--table", "users"];
    args.extend(["--column", "phone", "--row-id-from-line", "--on-invalid", on_invalid]);
    if !audit.is_empty() {
        args.extend(["--audit", audit]);
    }
    args
}

#[cfg(target_os = "linux")]
#[test]
fn open_prints_no_plaintext_when_the_audit_log_cannot_be_written() {
    let env = Env::with_keys("audit-full");
    let sealed = sealed_phones(&env, 3);
    for mode in ["error", "mark"] {
        let out = env.keyed(&open_args("/dev/full", mode), &sealed);
        let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
        assert_eq!(out.status.code(), Some(1), "{mode}: {stderr}");
        assert!(!stdout.contains("1380013800"), "{mode}: plaintext printed: {stdout}");
        assert!(
            stderr.contains("audit event not recorded") && stderr.contains("/dev/full"),
            "{mode}: unclear message: {stderr}"
        );
        assert!(!stderr.contains("1380013800"), "{stderr}");
    }
}

#[cfg(unix)]
#[test]
fn the_audit_log_is_private_and_never_a_symlink() {
    use std::os::unix::fs::PermissionsExt;
    let env = Env::with_keys("audit-file");
    let sealed = sealed_phones(&env, 1);
    env.keyed_ok(&open_args("audit.jsonl", "error"), &sealed);
    let mode = std::fs::metadata(env.path("audit.jsonl")).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "audit log mode {mode:o}");
    assert_eq!(json_lines(&std::fs::read_to_string(env.path("audit.jsonl")).unwrap()).len(), 1);

    // A symlink, dangling or not, is refused before anything is opened.
    std::fs::write(env.path("elsewhere"), "").unwrap();
    std::os::unix::fs::symlink(env.path("elsewhere"), env.path("link.jsonl")).unwrap();
    std::os::unix::fs::symlink(env.path("missing"), env.path("dangling.jsonl")).unwrap();
    for link in ["link.jsonl", "dangling.jsonl"] {
        let out = env.keyed(&open_args(link, "error"), &sealed);
        assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
        assert!(out.stdout.is_empty());
        assert!(text(&out.stderr).contains("symbolic link"), "{}", text(&out.stderr));
    }
    assert_eq!(std::fs::read_to_string(env.path("elsewhere")).unwrap(), "");
    assert!(!env.path("missing").exists());
}

#[test]
fn refused_envelopes_are_audited_before_the_error() {
    let env = Env::with_keys("audit-refused");
    let out = env.keyed(&open_args("audit.jsonl", "mark"), "not sealed\ndz1.AQ\ndz1.!!\n\n");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(lines(&text(&out.stdout)), ["#INVALID"; 4]);
    let events = json_lines(&std::fs::read_to_string(env.path("audit.jsonl")).unwrap());
    let errors: Vec<&str> = events.iter().map(|e| e["error"].as_str().unwrap()).collect();
    assert_eq!(
        errors,
        [
            "malformed sealed value: not a dz1 sealed value",
            "sealed value is truncated",
            "malformed sealed value: invalid base64 in sealed value",
            "malformed sealed value: not a dz1 sealed value",
        ]
    );
    assert!(events.iter().all(|e| e["outcome"] == "refused" && e["purpose"] == "support"));
}

#[test]
fn key_changes_keep_the_files_argon2_parameters() {
    use desensitize::keys::PassphraseProvider;
    use desensitize::{Keyring, PasswordParams};
    let env = Env::new("keep-params");
    // Distinct from the defaults (19 MiB, 2 passes, 1 lane) and cheap.
    let written = PasswordParams::new(1024, 3, 2).unwrap();
    let provider = PassphraseProvider::new(PASSPHRASE).unwrap().with_costs(written).unwrap();
    Keyring::generate().unwrap().save(&env.path("keys.dzk"), &provider).unwrap();
    let stored = || PassphraseProvider::stored_params(&std::fs::read(env.path("keys.dzk")).unwrap()).unwrap();

    env.keyed_ok(&["keys", "rotate"], "");
    assert_eq!(stored(), written, "rotate reset the parameters");
    env.keyed_ok(&["keys", "pin", "--domain", "sales", "--key-id", "2"], "");
    assert_eq!(stored(), written, "pin reset the parameters");
    env.keyed_ok(&["keys", "destroy", "--key-id", "1", "--remaining", "0"], "");
    assert_eq!(stored(), written, "destroy reset the parameters");
    let keys = json_lines(&env.keyed_ok(&["keys", "list", "--json"], ""));
    assert_eq!(keys.len(), 2);
}

#[test]
fn keys_pin_help_names_the_three_namespaces() {
    let env = Env::new("pin-help");
    let help = env.ok(&["keys", "pin", "--help"], "");
    for ns in ["pseudonym", "blind", "FPE"] {
        assert!(help.contains(ns), "{ns} missing from: {help}");
    }
    assert!(help.contains("three"), "{help}");
}
