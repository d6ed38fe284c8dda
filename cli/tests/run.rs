//! `desensitize run` end to end: the binary on small files in temporary directories.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use desensitize::generalize::{division, geohash};
use desensitize::keys::PassphraseProvider;
use desensitize::pseudo::{Domain, Transform};
use desensitize::{
    Address, BankCard, Context, Date, Email, GeoPoint, IdNumber, Keyring, MaskLevel, MobilePhone, Sensitive,
};

const PASS: &str = "correct horse battery staple";

/// A fresh directory with a keyring (`k`, cheap Argon2 parameters: the
/// loader reads them from the file) and its passphrase file (`p`).
struct Dir {
    path: PathBuf,
}

impl Dir {
    fn new(name: &str) -> Dir {
        let path = std::env::temp_dir().join(format!("dz-run-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&path);
        fs::create_dir_all(&path).unwrap();
        let provider = PassphraseProvider::with_params(PASS, 1024, 1, 1).unwrap();
        Keyring::generate().unwrap().save(&path.join("k"), &provider).unwrap();
        fs::write(path.join("p"), format!("{PASS}\n")).unwrap();
        Dir { path }
    }

    fn join(&self, name: &str) -> PathBuf {
        self.path.join(name)
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.join(name);
        fs::write(&p, text).unwrap();
        p
    }

    fn read(&self, name: &str) -> String {
        fs::read_to_string(self.join(name)).unwrap()
    }

    fn keyring(&self) -> Keyring {
        let provider = PassphraseProvider::with_params(PASS, 1024, 1, 1).unwrap();
        Keyring::load(&self.join("k"), &provider).unwrap()
    }

    /// Names in the directory (to spot leftover temporary files).
    fn names(&self) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(&self.path)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    /// `desensitize run --policy policy.toml --keys k --passphrase-file p IN -o OUT [extra]`.
    fn run(&self, input: &str, output: &str, extra: &[&str]) -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_desensitize"));
        cmd.current_dir(&self.path)
            .args([
                "run",
                "--policy",
                "policy.toml",
                "--keys",
                "k",
                "--passphrase-file",
                "p",
                input,
                "-o",
                output,
            ])
            .args(extra)
            .env_remove("DESENSITIZE_PASSPHRASE");
        cmd.output().unwrap()
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.path);
    }
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn ok(o: &Output) {
    assert!(o.status.success(), "run failed: {}", stderr(o));
}

fn fails_with(o: &Output, code: i32, needle: &str) {
    assert_eq!(o.status.code(), Some(code), "stderr: {}", stderr(o));
    assert!(stderr(o).contains(needle), "stderr lacks {needle:?}: {}", stderr(o));
}

/// A valid 18-digit ID number: region, birth date (YYYYMMDD), sequence.
fn id_number(region: &str, birth: &str, seq: u32) -> String {
    const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let body = format!("{region}{birth}{seq:03}");
    let sum: u32 = body.bytes().zip(W).map(|(b, w)| u32::from(b - b'0') * w).sum();
    let check = b"10X98765432"[(sum % 11) as usize] as char;
    format!("{body}{check}")
}

/// A Luhn-valid 16-digit card number.
fn bank_card(n: u64) -> String {
    let payload = format!("622202{n:09}");
    let mut sum = 0;
    for (i, b) in payload.bytes().rev().enumerate() {
        let mut d = u32::from(b - b'0');
        if i % 2 == 0 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    format!("{payload}{}", (10 - sum % 10) % 10)
}

fn csv_rows(text: &str) -> Vec<Vec<String>> {
    let mut rdr = csv::ReaderBuilder::new().has_headers(false).from_reader(text.as_bytes());
    rdr.records().map(|r| r.unwrap().iter().map(str::to_owned).collect()).collect()
}

const TODAY: &str = "2026-11-23";

/// Every action on one file.
const ALL_ACTIONS: &str = r#"
table = "users"
row_id = "user_id"
today = "2026-11-23"

[columns.user_id]
action = "keep"
[columns.name]
action = "drop"
[columns.id_number]
kind = "id_number"
action = "seal"
generalize = { gender = "gender", age_band = "age_band", province = "province", city = "city", birth_year = "born" }
band_width = 10
[columns.mobile]
kind = "mobile_phone"
action = "mask"
level = "strict"
[columns.mobile2]
kind = "mobile_phone"
action = "fpe"
domain = "testing"
[columns.bank_card]
kind = "bank_card"
action = "pseudonym"
domain = "analytics"
[columns.email]
kind = "email"
action = "blind-index"
bits = 12
[columns.address]
kind = "address"
action = "generalize"
to = "province"
[columns.location]
kind = "geo_point"
action = "keep"
generalize = { geohash = "cell" }
precision = 6
"#;

struct Person {
    user_id: String,
    id: String,
    mobile: String,
    card: String,
    email: String,
    address: String,
    location: String,
}

fn people() -> Vec<Person> {
    vec![
        Person {
            user_id: "17".into(),
            id: "11010519491231002X".into(),
            mobile: "13800138000".into(),
            card: "6222021234567894".into(),
            email: "Li.Na@Example.COM".into(),
            address: "广东省深圳市南山区科技园1号".into(),
            location: "39.9087,116.3975".into(),
        },
        Person {
            user_id: "18".into(),
            id: id_number("440305", "19900615", 123),
            mobile: "+86 139-0013-9000".into(),
            card: bank_card(42),
            email: "wang@163.com".into(),
            address: "上海市浦东新区世纪大道100号".into(),
            location: "31.2304,121.4737".into(),
        },
    ]
}

fn people_csv() -> String {
    let mut s = String::from("user_id,name,id_number,mobile,mobile2,bank_card,email,address,location\n");
    for p in people() {
        s.push_str(&format!(
            "{},张三,{},{},{},{},{},{},\"{}\"\n",
            p.user_id, p.id, p.mobile, p.mobile, p.card, p.email, p.address, p.location
        ));
    }
    s
}

fn people_jsonl() -> String {
    let mut s = String::new();
    for p in people() {
        // Keys in a deliberate order, written by hand to keep it.
        s.push_str(&format!(
            "{{\"user_id\":{},\"name\":\"张三\",\"id_number\":{:?},\"mobile\":{:?},\"mobile2\":{:?},\
             \"bank_card\":{:?},\"email\":{:?},\"address\":{:?},\"location\":{:?}}}\n",
            p.user_id, p.id, p.mobile, p.mobile, p.card, p.email, p.address, p.location
        ));
    }
    s
}

const OUT_HEADER: [&str; 14] = [
    "user_id",
    "id_number",
    "gender",
    "age_band",
    "province",
    "city",
    "born",
    "mobile",
    "mobile2",
    "bank_card",
    "email",
    "address",
    "location",
    "cell",
];

/// Check one output row against the library, cell by cell.
fn check_row(keyring: &Keyring, p: &Person, row: &[String]) {
    let today = Date::new(2026, 11, 23).unwrap();
    let cell = |name: &str| row[OUT_HEADER.iter().position(|h| *h == name).unwrap()].as_str();
    assert_eq!(cell("user_id"), p.user_id);

    let id: IdNumber = p.id.parse().unwrap();
    let ctx = Context::new("users", "id_number").with_row(&p.user_id);
    assert!(cell("id_number").starts_with("dz1."));
    let opened: IdNumber = keyring.open_text(cell("id_number"), &ctx, "test").unwrap();
    assert_eq!(opened, id);
    let other_row = Context::new("users", "id_number").with_row("999");
    assert!(keyring.open_text::<IdNumber>(cell("id_number"), &other_row, "test").is_err());

    let profile = id.generalize(today, 10).unwrap();
    assert_eq!(cell("gender"), profile.gender().as_str());
    assert_eq!(cell("age_band"), profile.age_band().to_string());
    assert_eq!(cell("province"), profile.province().name());
    let city = division::lookup(id.region_code()).and_then(|d| d.city()).unwrap();
    assert_eq!(cell("city"), city.name());
    assert_eq!(cell("born"), id.birth_date().year().to_string());

    let phone: MobilePhone = p.mobile.parse().unwrap();
    assert_eq!(cell("mobile"), phone.mask(MaskLevel::Strict));
    let testing = Domain::new("testing").unwrap();
    let fpe = keyring.fpe(&phone, &testing).unwrap();
    assert_eq!(cell("mobile2"), fpe.expose());
    assert_eq!(&cell("mobile2")[..3], &phone.expose()[..3]);
    assert!(cell("mobile2").parse::<MobilePhone>().is_ok());

    let card: BankCard = p.card.parse().unwrap();
    let token = keyring.pseudonymizer(&Domain::new("analytics").unwrap()).unwrap().token(&card);
    assert_eq!(cell("bank_card"), token.to_text());

    let email: Email = p.email.parse().unwrap();
    let index =
        keyring.blind_index::<Email>(&Domain::new("users.email").unwrap(), Transform::Full, 12).unwrap();
    assert_eq!(cell("email"), index.compute(&email).to_string());

    let address: Address = p.address.parse().unwrap();
    assert_eq!(cell("address"), address.generalize().unwrap().province().name());

    let point: GeoPoint = p.location.parse().unwrap();
    assert_eq!(cell("location"), p.location);
    assert_eq!(cell("cell"), geohash(&point, 6).unwrap());
}

#[test]
fn every_action_in_csv() {
    let d = Dir::new("actions");
    d.write("policy.toml", ALL_ACTIONS);
    d.write("in.csv", &people_csv());
    let o = d.run("in.csv", "out.csv", &[]);
    ok(&o);
    let rows = csv_rows(&d.read("out.csv"));
    assert_eq!(rows[0], OUT_HEADER);
    assert_eq!(rows.len(), 3);
    let keyring = d.keyring();
    for (p, row) in people().iter().zip(&rows[1..]) {
        check_row(&keyring, p, row);
    }
    // The summary names columns and counts, never values.
    let err = stderr(&o);
    assert!(err.contains("2 rows in, 2 rows out"), "{err}");
    assert!(err.contains("id_number") && err.contains("seal"), "{err}");
    assert!(!err.contains("13800138000"));
    // The seals are counted in the keyring's ledger, for `keys list`.
    assert_eq!(d.names(), ["in.csv", "k", "k.seals", "out.csv", "p", "policy.toml"]);
    assert!(d.read("k.seals").lines().all(|l| l.starts_with("dzseals1 ") && l.ends_with(" run")));
}

#[test]
fn json_lines_in_and_out() {
    let d = Dir::new("jsonl");
    d.write("policy.toml", ALL_ACTIONS);
    d.write("in.jsonl", &people_jsonl());
    ok(&d.run("in.jsonl", "out.jsonl", &[]));
    let keyring = d.keyring();
    let text = d.read("out.jsonl");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2);
    for (p, line) in people().iter().zip(&lines) {
        // Keys in CSV column order, all values strings.
        let keys: Vec<String> = line
            .trim_start_matches('{')
            .split(",\"")
            .map(|kv| kv.trim_start_matches('"').split('"').next().unwrap().to_owned())
            .collect();
        assert_eq!(keys, OUT_HEADER);
        let v: serde_json::Map<String, serde_json::Value> = serde_json::from_str(line).unwrap();
        let row: Vec<String> = OUT_HEADER.iter().map(|h| v[*h].as_str().unwrap().to_owned()).collect();
        check_row(&keyring, p, &row);
    }

    // CSV in, JSON Lines out (formats from the extensions), and --format.
    d.write("in.csv", &people_csv());
    ok(&d.run("in.csv", "conv.jsonl", &[]));
    assert_eq!(d.read("conv.jsonl").lines().count(), 2);
    ok(&d.run("in.jsonl", "out.txt", &["--format", "jsonl"]));
    assert_eq!(d.read("out.txt").lines().count(), 2);
}

const SMALL: &str = "user_id,mobile,note\n1,13800138000,hello\n2,13900139000,\"a, b\"\n";

#[test]
fn unnamed_columns() {
    let d = Dir::new("unnamed");
    d.write("in.csv", SMALL);
    let base = "[columns.user_id]\naction = \"keep\"\n[columns.mobile]\nkind = \"mobile_phone\"\naction = \"mask\"\n";

    d.write("policy.toml", base);
    let o = d.run("in.csv", "out.csv", &[]);
    fails_with(&o, 2, "input column `note` not in the policy");
    assert!(!d.join("out.csv").exists());

    d.write("policy.toml", &format!("unnamed_columns = \"drop\"\n{base}"));
    ok(&d.run("in.csv", "out.csv", &[]));
    assert_eq!(d.read("out.csv"), "user_id,mobile\n1,138****8000\n2,139****9000\n");

    d.write("policy.toml", &format!("unnamed_columns = \"keep\"\n{base}"));
    ok(&d.run("in.csv", "out.csv", &[]));
    assert_eq!(d.read("out.csv"), "user_id,mobile,note\n1,138****8000,hello\n2,139****9000,\"a, b\"\n");

    // No keys needed for a policy that only masks.
    let o = Command::new(env!("CARGO_BIN_EXE_desensitize"))
        .current_dir(&d.path)
        .args(["-q", "run", "--policy", "policy.toml", "in.csv", "-o", "nokeys.csv"])
        .output()
        .unwrap();
    ok(&o);
    assert!(o.stderr.is_empty(), "--quiet prints nothing: {}", stderr(&o));
}

const ID_POLICY: &str = r##"
table = "t"
row_id = "user_id"
on_invalid = "ON_INVALID"
marker = "#BAD"
[columns.user_id]
action = "keep"
[columns.id_number]
kind = "id_number"
action = "seal"
generalize = { gender = "g" }
[columns.mobile]
kind = "mobile_phone"
action = "mask"
"##;

fn bad_rows() -> String {
    let good = id_number("110105", "19800101", 5);
    let mut bad = good.clone();
    bad.replace_range(17..18, if good.ends_with('0') { "1" } else { "0" });
    format!(
        "user_id,id_number,mobile\n1,{good},13800138000\n2,{good},12345\n3,{bad},13800138000\n4,,13800138000\n"
    )
}

#[test]
fn invalid_values_stop_the_run_naming_row_and_column() {
    let d = Dir::new("invalid-error");
    d.write("policy.toml", &ID_POLICY.replace("ON_INVALID", "error"));
    let input = bad_rows();
    d.write("in.csv", &input);
    fs::write(d.join("out.csv"), "previous output\n").unwrap();
    let o = d.run("in.csv", "out.csv", &[]);
    fails_with(&o, 1, "row 2, column mobile: invalid cn.mobile_phone");
    assert!(!stderr(&o).contains("12345"), "{}", stderr(&o));
    // Atomic output: the old file is untouched and no temporary file is left.
    assert_eq!(d.read("out.csv"), "previous output\n");
    // Row 1 was sealed before row 2 failed: its seal is in the ledger.
    assert_eq!(d.names(), ["in.csv", "k", "k.seals", "out.csv", "p", "policy.toml"]);
    assert_eq!(d.read("in.csv"), input);

    // The check digit row, on its own.
    let lines: Vec<&str> = input.lines().collect();
    d.write("in2.csv", &format!("{}\n{}\n{}\n", lines[0], lines[1], lines[3]));
    let o = d.run("in2.csv", "out2.csv", &[]);
    fails_with(&o, 1, "row 2, column id_number: invalid cn.id_number: check digit mismatch");
    let bad_id = lines[3].split(',').nth(1).unwrap();
    assert!(!stderr(&o).contains(bad_id));
    assert!(!d.join("out2.csv").exists());
}

#[test]
fn invalid_values_are_marked_and_reported() {
    let d = Dir::new("invalid-mark");
    d.write("policy.toml", &ID_POLICY.replace("ON_INVALID", "mark"));
    d.write("in.csv", &bad_rows());
    let o = d.run("in.csv", "out.csv", &["--rejects", "rejects.csv"]);
    ok(&o);
    let rows = csv_rows(&d.read("out.csv"));
    assert_eq!(rows[0], ["user_id", "id_number", "g", "mobile"]);
    assert_eq!(rows.len(), 5);
    assert!(rows[1][1].starts_with("dz1.") && rows[1][3] == "138****8000");
    assert_eq!(rows[2][3], "#BAD");
    assert!(rows[2][1].starts_with("dz1."));
    assert_eq!(&rows[3][1..3], ["#BAD", "#BAD"], "the derived cell is marked too");
    assert_eq!(&rows[4][1..3], ["", ""], "an empty value stays empty");
    assert_eq!(
        d.read("rejects.csv"),
        "row,column,reason\n2,mobile,invalid cn.mobile_phone: wrong length\n\
         3,id_number,invalid cn.id_number: check digit mismatch\n"
    );
    let err = stderr(&o);
    assert!(err.contains("invalid 1"), "{err}");

    // --rejects only makes sense when marking.
    d.write("policy.toml", &ID_POLICY.replace("ON_INVALID", "error"));
    fails_with(&d.run("in.csv", "x.csv", &["--rejects", "r.csv"]), 2, "--rejects needs on_invalid");
}

#[test]
fn k_anonymity_suppresses_small_classes() {
    let d = Dir::new("kanon");
    d.write(
        "policy.toml",
        r#"
today = "2026-11-23"
[columns.user_id]
action = "keep"
[columns.id_number]
kind = "id_number"
action = "drop"
generalize = { gender = "gender", age_band = "age_band", province = "province" }
[k_anonymity]
k = 3
quasi_identifiers = ["gender", "age_band", "province"]
"#,
    );
    let mut text = String::from("user_id,id_number\n");
    let mut n = 0;
    // Ten women born 1990 in Beijing, two men born 1950 in Shanghai, one Tibetan.
    for seq in 0..10 {
        n += 1;
        text.push_str(&format!("{n},{}\n", id_number("110105", "19900301", seq * 2)));
    }
    for seq in 0..2 {
        n += 1;
        text.push_str(&format!("{n},{}\n", id_number("310101", "19500301", seq * 2 + 1)));
    }
    n += 1;
    text.push_str(&format!("{n},{}\n", id_number("540102", "19700301", 3)));
    d.write("in.csv", &text);
    let o = d.run("in.csv", "out.csv", &[]);
    ok(&o);
    let rows = csv_rows(&d.read("out.csv"));
    assert_eq!(rows.len(), 11);
    assert!(rows[1..].iter().all(|r| r[1] == "female" && r[3] == "北京市"));
    assert!(stderr(&o).contains("3 rows suppressed in 2 classes"), "{}", stderr(&o));
    assert!(stderr(&o).contains("13 rows in, 10 rows out"), "{}", stderr(&o));

    // JSON Lines input takes the same two passes.
    let mut jsonl = String::new();
    for row in csv_rows(&text).iter().skip(1) {
        jsonl.push_str(&format!("{{\"user_id\":\"{}\",\"id_number\":\"{}\"}}\n", row[0], row[1]));
    }
    d.write("in.jsonl", &jsonl);
    ok(&d.run("in.jsonl", "out.jsonl", &[]));
    assert_eq!(d.read("out.jsonl").lines().count(), 10);
}

#[test]
fn order_is_preserved_across_threads_and_blocks() {
    let d = Dir::new("order");
    d.write(
        "policy.toml",
        "table = \"users\"\nrow_id = \"user_id\"\n[columns.user_id]\naction = \"keep\"\n\
         [columns.id_number]\nkind = \"id_number\"\naction = \"seal\"\n",
    );
    let mut text = String::from("user_id,id_number\n");
    let ids: Vec<String> = (0..101).map(|i| id_number("110105", "19850505", i)).collect();
    for (i, id) in ids.iter().enumerate() {
        text.push_str(&format!("u{i},{id}\n"));
    }
    d.write("in.csv", &text);
    ok(&d.run("in.csv", "out.csv", &["--threads", "2", "--block-size", "200"]));
    let rows = csv_rows(&d.read("out.csv"));
    assert_eq!(rows.len(), 102);
    let keyring = d.keyring();
    for (i, row) in rows[1..].iter().enumerate() {
        assert_eq!(row[0], format!("u{i}"));
        // Opens only under its own row: the row ids and values stayed together.
        let ctx = Context::new("users", "id_number").with_row(&row[0]);
        let id: IdNumber = keyring.open_text(&row[1], &ctx, "test").unwrap();
        assert_eq!(id.expose(), ids[i]);
    }
}

#[test]
fn output_is_atomic_and_never_the_input() {
    let d = Dir::new("atomic");
    d.write("policy.toml", "[columns.user_id]\naction = \"keep\"\n[columns.mobile]\nkind = \"mobile_phone\"\naction = \"mask\"\n");
    // Row 2 has a field too many: a structural error after a good row.
    d.write("in.csv", "user_id,mobile\n1,13800138000\n2,13800138000,extra\n");
    let o = d.run("in.csv", "out.csv", &[]);
    fails_with(&o, 1, "row 2: 3 fields, the header has 2");
    assert!(!d.join("out.csv").exists());
    assert_eq!(d.names(), ["in.csv", "k", "p", "policy.toml"]);

    d.write("in.csv", "user_id,mobile\n1,13800138000\n");
    fails_with(&d.run("in.csv", "in.csv", &[]), 2, "the output is the input");
    fails_with(&d.run("in.csv", "./in.csv", &[]), 2, "the output is the input");
    assert_eq!(d.read("in.csv"), "user_id,mobile\n1,13800138000\n");
}

/// Issue 8, defect 7: a replaced output keeps its mode (0600 stays 0600,
/// likewise the rejects file); a new output is created owner-only.
#[cfg(unix)]
#[test]
fn outputs_keep_their_mode_and_new_ones_are_private() {
    use std::os::unix::fs::PermissionsExt;
    let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let d = Dir::new("mode");
    d.write(
        "policy.toml",
        "on_invalid = \"mark\"\n[columns.user_id]\naction = \"keep\"\n[columns.mobile]\nkind = \"mobile_phone\"\naction = \"mask\"\n",
    );
    d.write("in.csv", "user_id,mobile\n1,13800138000\n2,123\n");

    // New files: 0600 (not world- or group-readable), whatever the umask allows.
    ok(&d.run("in.csv", "new.csv", &["--rejects", "new-rejects.csv"]));
    assert_eq!(mode(&d.join("new.csv")), 0o600);
    assert_eq!(mode(&d.join("new-rejects.csv")), 0o600);

    // Existing files keep their mode: a private one stays private, a shared one stays shared.
    for (out, rejects, m) in [("a.csv", "a-rejects.csv", 0o600), ("b.csv", "b-rejects.csv", 0o640)] {
        for name in [out, rejects] {
            let p = d.write(name, "old\n");
            fs::set_permissions(&p, fs::Permissions::from_mode(m)).unwrap();
        }
        ok(&d.run("in.csv", out, &["--rejects", rejects]));
        assert_eq!(mode(&d.join(out)), m, "{out}");
        assert_eq!(mode(&d.join(rejects)), m, "{rejects}");
        assert_eq!(d.read(out), "user_id,mobile\n1,138****8000\n2,#INVALID\n");
        assert!(d.read(rejects).contains("2,mobile,"));
    }
}

#[test]
fn policies_are_checked_up_front() {
    let d = Dir::new("policy");
    d.write("in.csv", "user_id,mobile,email\n1,13800138000,a@b.cn\n");
    let cases: &[(&str, &str)] = &[
        ("[columns.mobile]\naction = \"shred\"", "column `mobile`: unknown action \"shred\""),
        (
            "[columns.mobile]\nkind = \"shoe_size\"\naction = \"mask\"",
            "column `mobile`: kind = \"shoe_size\": unknown kind",
        ),
        (
            "[columns.mobile]\nkind = \"mobile_phone\"\naction = \"mask\"\nlevel = \"extreme\"",
            "unknown level \"extreme\"",
        ),
        (
            "[columns.email]\nkind = \"email\"\naction = \"fpe\"\ndomain = \"x\"",
            "action \"fpe\" does not apply to kind email",
        ),
        (
            "[columns.email]\nkind = \"email\"\naction = \"blind-index\"\nbits = 40\ndomain = \"e\"",
            "bits = 40",
        ),
        (
            "[columns.email]\nkind = \"email\"\naction = \"blind-index\"\nbits = 8\ntransform = \"last4\"\ndomain = \"e\"",
            "transform \"last4\" does not apply to kind email",
        ),
        ("[columns.mobile]\nkind = \"mobile_phone\"\naction = \"seal\"", "needs the top-level `table`"),
        ("[columns.mobile]\nkind = \"mobile_phone\"\naction = \"pseudonym\"", "needs `domain`"),
        (
            "[columns.mobile]\nkind = \"mobile_phone\"\naction = \"mask\"\ndomain = \"x\"",
            "`domain` only applies",
        ),
        (
            "[columns.mobile]\nkind = \"mobile_phone\"\naction = \"mask\"\ngeneralize = { gender = \"g\" }",
            "`generalize` does not apply to kind mobile_phone",
        ),
        (
            "[columns.user_id]\naction = \"keep\"\n[columns.email]\nkind = \"id_number\"\naction = \"drop\"\ngeneralize = { gender = \"user_id\" }",
            "clashes with the column of that name",
        ),
        (
            "[columns.mobile]\naction = \"keep\"\n[k_anonymity]\nk = 2\nquasi_identifiers = [\"gender\"]",
            "quasi-identifier `gender` is not an output column",
        ),
        (
            "[columns.mobile]\naction = \"keep\"\n[k_anonymity]\nk = 1\nquasi_identifiers = [\"mobile\"]",
            "k must be at least 2",
        ),
        ("unnamed_columns = \"sometimes\"", "unnamed_columns = \"sometimes\""),
        (
            "[columns.mobile]\naction = \"keep\"\nlevle = \"strict\"",
            "unknown key `levle` in [columns.mobile]: did you mean `level`?",
        ),
        // Against the header.
        ("row_id = \"uid\"\nunnamed_columns = \"drop\"", "row_id column `uid` is not in the input header"),
        (
            "unnamed_columns = \"drop\"\n[columns.phone]\naction = \"keep\"",
            "policy column `phone` not in the input header",
        ),
        (
            "table = \"t\"\nunnamed_columns = \"drop\"\n[columns.mobile]\nkind = \"mobile_phone\"\naction = \"seal\"",
            "--keys",
        ),
    ];
    for (policy, needle) in cases {
        d.write("policy.toml", policy);
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_desensitize"));
        cmd.current_dir(&d.path).args(["run", "--policy", "policy.toml", "in.csv", "-o", "out.csv"]);
        let o = cmd.output().unwrap();
        assert_eq!(o.status.code(), Some(2), "{policy}: {}", stderr(&o));
        assert!(stderr(&o).contains(needle), "{policy}: stderr lacks {needle:?}: {}", stderr(&o));
        assert!(!d.join("out.csv").exists());
    }
}

#[test]
fn the_example_policy_runs() {
    let d = Dir::new("example");
    let policy = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/policy.toml");
    let text = fs::read_to_string(&policy).unwrap();
    d.write("policy.toml", &text.replace("# today = \"2026-11-23\"", &format!("today = \"{TODAY}\"")));
    let mut csv = String::from("user_id,name,id_number,mobile,bank_card,email,address,location\n");
    for i in 0..12u32 {
        csv.push_str(&format!(
            "{i},李四,{},1380013{i:04},{},u{i}@example.com,北京市朝阳区建国路{i}号,\"39.9{i},116.4\"\n",
            id_number("110105", "19900101", i * 2),
            bank_card(u64::from(i)),
        ));
    }
    d.write("in.csv", &csv);
    let o = d.run("in.csv", "out.csv", &[]);
    ok(&o);
    let rows = csv_rows(&d.read("out.csv"));
    assert_eq!(
        rows[0],
        [
            "user_id",
            "name",
            "id_number",
            "gender",
            "age_band",
            "province",
            "mobile",
            "bank_card",
            "email",
            "address",
            "location"
        ]
    );
    assert_eq!(rows.len(), 13);
    assert_eq!(rows[1][5], "北京市");
}

/// `minors` and `consent_column` through `run`: rows withheld, sensitive
/// columns emptied, and the summary counting both. A `.json` policy is read as JSON.
#[test]
fn minors_and_consent_in_run() {
    let d = Dir::new("minors");
    d.write(
        "policy.json",
        r#"{"today": "2026-11-23", "minors": "suppress", "consent_column": "ok",
            "columns": {"user_id": {"action": "keep"}, "ok": {"action": "drop"},
                        "id": {"kind": "id_number", "action": "drop", "generalize": {"province": "province"}},
                        "mobile": {"kind": "mobile_phone", "action": "mask"}}}"#,
    );
    let child = id_number("440305", "20121124", 4);
    let adult = id_number("440305", "19900615", 123);
    d.write(
        "in.csv",
        &format!("user_id,ok,id,mobile\n1,yes,{adult},13800138000\n2,yes,{child},13800138000\n3,No,{adult},13800138000\n"),
    );
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_desensitize"));
    cmd.current_dir(&d.path).args(["run", "--policy", "policy.json", "in.csv", "-o", "out.csv"]);
    let o = cmd.output().unwrap();
    ok(&o);
    assert_eq!(d.read("out.csv"), "user_id,province,mobile\n1,广东省,138****8000\n3,,138****8000\n");
    let summary = stderr(&o);
    assert!(summary.contains("3 rows in, 2 rows out"), "{summary}");
    assert!(summary.contains("minors (under 14): 1 rows withheld"), "{summary}");
    assert!(summary.contains("consent (ok): sensitive columns withheld in 1 rows"), "{summary}");
}
