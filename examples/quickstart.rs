//! A guided tour of `desensitize`: parse a user record into typed values,
//! mask it for screens and logs, seal it for storage under an in-memory demo
//! keyring (rotation and crypto-shredding included), pseudonymize it for
//! analytics and generalize it for statistics; then do all of it for a whole
//! record with `#[derive(Protect)]`.
//!
//! Run with `cargo run --example quickstart`.

use desensitize::generalize::{EquivalenceClasses, geohash, grid_cell};
use desensitize::keys::{InMemorySubjectStore, SubjectKeyStore};
use desensitize::protect::RecordError;
use desensitize::pseudo::{Domain, Transform};
use desensitize::{
    Address, BankCard, Context, Date, Email, GeoPoint, IdNumber, Keyring, MaskLevel, MobilePhone, PersonName,
    Protect, Sealable, Sensitive,
};

/// The sample record, as it might arrive from a registration form.
const RECORD: [(&str, &str); 7] = [
    ("name", "欧阳娜娜"),
    ("id_number", "11010519491231002x"),
    ("mobile", "+86 138-0013-8000"),
    ("bank_card", "6222 0212 3456 7894"),
    ("location", "39.9042,116.4074"),
    ("email", "zhangsan@163.com"),
    ("address", "北京市朝阳区建国路88号"),
];

struct User {
    name: PersonName,
    id_number: IdNumber,
    mobile: MobilePhone,
    bank_card: BankCard,
    location: GeoPoint,
    email: Email,
    address: Address,
}

/// Step 9's record: one definition gives its stored, masked and analytics
/// forms, a redacting `Debug` and its policy. A field without
/// `#[protect(...)]` would not compile.
#[derive(Protect, serde::Deserialize)]
#[protect(table = "signups")]
struct Signup {
    #[protect(row_id)]
    id: u64,
    #[protect(seal, mask = "strict", blind_index(bits = 16))]
    mobile: MobilePhone,
    #[protect(seal, generalize(gender, age_band, province))]
    id_number: IdNumber,
    #[protect(public)]
    channel: String,
}

fn main() -> Result<(), desensitize::Error> {
    section("1. Parse: every field becomes a validated type");
    let field = |name: &str| RECORD.iter().find(|(n, _)| *n == name).map(|(_, v)| *v).unwrap_or_default();
    let user = User {
        name: field("name").parse()?,
        id_number: field("id_number").parse()?,
        mobile: field("mobile").parse()?,
        bank_card: field("bank_card").parse()?,
        location: field("location").parse()?,
        email: field("email").parse()?,
        address: field("address").parse()?,
    };
    println!("All 7 fields parsed and normalized (e.g. the +86 prefix and dashes are gone).");
    println!("Bad input is a typed error that never repeats the value:");
    for (kind, bad) in
        [("id_number", "110105194912310021"), ("mobile", "12800138000"), ("bank_card", "6222021234567895")]
    {
        let err = match kind {
            "id_number" => bad.parse::<IdNumber>().err(),
            "mobile" => bad.parse::<MobilePhone>().err(),
            _ => bad.parse::<BankCard>().err(),
        };
        println!("  {kind:<10} -> {}", err.map(|e| e.to_string()).unwrap_or_default());
    }
    println!("Debug output names the kind only: {:?}", user.id_number);

    section("2. Mask: three levels for screens and logs (Display = Standard)");
    println!("{:<10} {:<22} {:<22} {:<22}", "field", "Strict", "Standard", "Relaxed");
    mask_row("name", &user.name);
    mask_row("id_number", &user.id_number);
    mask_row("mobile", &user.mobile);
    mask_row("bank_card", &user.bank_card);
    mask_row("location", &user.location);
    mask_row("email", &user.email);
    mask_row("address", &user.address);

    section("3. Facts derived from the ID number (no plaintext needed downstream)");
    let today = Date::today();
    let id = &user.id_number;
    println!("  birth date   {}", id.birth_date());
    println!("  gender       {}", id.gender());
    println!("  age today    {}", id.age_on(today));
    println!("  region code  {} ({}, {})", id.region_code(), id.province().name(), id.province().english());
    println!("  under 14     {} (PIPL Art. 28: a child's data is sensitive)", id.is_under_14_on(today));
    println!("  category     {:?} (PIPL Art. 28 / GB/T 35273 Annex B)", id.category());
    println!("  e-mail domain {}", user.email.domain());
    println!("  address in   {}", user.address.province().map_or("(unknown province)", |p| p.name()));

    section("4. Seal: AES-256-GCM bound to kind, table, column and row");
    let mut keyring = Keyring::generate()?; // demo only: real keyrings live in a protected file or a KMS
    let row = "42";
    let sealed_id = keyring.seal_text(&user.id_number, &ctx("id_number", row))?;
    let sealed_phone = keyring.seal_text(&user.mobile, &ctx("mobile", row))?;
    seal_show(&keyring, "name", &user.name, row)?;
    println!("  {:<10} {}", "id_number", sealed_id);
    println!("  {:<10} {}", "mobile", sealed_phone);
    seal_show(&keyring, "bank_card", &user.bank_card, row)?;
    seal_show(&keyring, "location", &user.location, row)?;
    seal_show(&keyring, "email", &user.email, row)?;
    seal_show(&keyring, "address", &user.address, row)?;
    let opened: IdNumber = keyring.open_text(&sealed_id, &ctx("id_number", row), "quickstart")?;
    println!("Opened the ID number again (an audited call): equal = {}", opened == user.id_number);
    match keyring.open_text::<IdNumber>(&sealed_id, &ctx("id_number", "43"), "quickstart") {
        Err(e) => println!("Copied to row 43 it refuses to open: {e}"),
        Ok(_) => println!("BUG: opened in the wrong row"),
    }

    section("5. Rotate: new active key, re-seal, destroy the old key");
    let old = keyring.active_key_id().unwrap_or_default();
    let new = keyring.rotate()?;
    let sealed: desensitize::Sealed<IdNumber> = sealed_id.parse()?;
    println!("  key {old} -> key {new}; value needs rotation: {}", sealed.needs_rotation(&keyring));
    let resealed = keyring.reseal(&sealed, &ctx("id_number", row))?;
    println!(
        "  re-sealed under key {}; needs rotation now: {}",
        resealed.key_id(),
        resealed.needs_rotation(&keyring)
    );
    // Everything was re-sealed (here: one value), so nothing remains under the old key.
    keyring.destroy(old, 0)?;
    for k in keyring.keys() {
        println!("  key {:>2}  {:<13} seals: {}", k.id, k.state.as_str(), k.seal_count);
    }
    match keyring.open(&sealed, &ctx("id_number", row), "quickstart") {
        Err(e) => println!("  the pre-rotation copy is gone with its key: {e}"),
        Ok(_) => println!("BUG: opened under a destroyed key"),
    }

    section("6. Crypto-shredding: forget a subject, everywhere at once");
    let subjects = InMemorySubjectStore::new();
    let phone_ctx = ctx("mobile", row);
    let for_user = keyring.seal_for(&subjects, "user-42", &user.mobile, &phone_ctx)?;
    let backup = for_user.to_text(); // imagine this copy sitting in last month's backup
    println!(
        "  sealed for user-42, opens: {}",
        keyring.open_for(&subjects, "user-42", &for_user, &phone_ctx, "support")? == user.mobile
    );
    subjects.forget("user-42")?;
    let restored: desensitize::Sealed<MobilePhone> = backup.parse()?;
    match keyring.open_for(&subjects, "user-42", &restored, &phone_ctx, "support") {
        Err(e) => println!("  after forget(\"user-42\"), the backup copy: {e}"),
        Ok(_) => println!("BUG: opened after forget"),
    }

    section("7. Pseudonymize: keyed tokens for analytics, joinable inside a domain only");
    let analytics = Domain::new("analytics")?;
    let marketing = Domain::new("marketing")?;
    keyring.pin(&analytics, keyring.active_key_id().unwrap_or(1))?; // tokens survive later rotations
    let tokens = keyring.pseudonymizer(&analytics)?;
    let same_phone: MobilePhone = "13800138000".parse()?;
    println!("  id_number  {}", tokens.token(&user.id_number));
    println!("  mobile     {}", tokens.token(&user.mobile));
    println!(
        "  mobile as typed differently, same token: {}",
        tokens.token(&same_phone) == tokens.token(&user.mobile)
    );
    println!("  same mobile, marketing domain: {}", keyring.pseudonym(&user.mobile, &marketing)?);
    let index = keyring.blind_index::<MobilePhone>(&Domain::new("users.phone")?, Transform::Full, 18)?;
    println!(
        "  blind index for search over the sealed phone column (18 bits): {}",
        index.compute(&user.mobile)
    );
    let partner = Domain::new("partner")?;
    let fpe_phone = keyring.fpe(&user.mobile, &partner)?;
    let fpe_card = keyring.fpe(&user.bank_card, &partner)?;
    let fpe_id = keyring.fpe(&user.id_number, &partner)?;
    println!("  format-preserving (still valid, reversible with the key):");
    println!("    mobile     {} (carrier prefix kept)", fpe_phone.expose());
    println!("    bank_card  {} (BIN kept, Luhn valid)", fpe_card.expose());
    println!("    id_number  {} (region and birth year kept, check char valid)", fpe_id.expose());
    let back: IdNumber = keyring.reidentify(&fpe_id, &partner, "partner-dispute")?;
    println!("    reidentified (audited): {}", back == user.id_number);

    section("8. Generalize: statistics without identities");
    let profile = user.id_number.generalize(today, 5)?;
    println!("  id_number  {profile}");
    println!("  city       {}", profile.city().map_or("(unknown)", |c| c.name()));
    println!("  address    {}", user.address.generalize().map_or("(unknown)".to_owned(), |r| r.to_string()));
    println!(
        "  location   1 km cell {}, geohash-5 {}",
        grid_cell(&user.location, 1.0)?,
        geohash(&user.location, 5)?
    );
    println!("  birth date {}", user.id_number.birth_date().to_year_month());
    let cohort = [
        ("female", "25-29", "北京市"),
        ("female", "25-29", "北京市"),
        ("male", "30-34", "上海市"),
        ("female", "25-29", "北京市"),
        ("male", "30-34", "上海市"),
        (profile.gender().as_str(), "75-79", profile.province().name()),
    ];
    let mut classes = EquivalenceClasses::new();
    for (g, a, p) in &cohort {
        classes.add(&[g, a, p]);
    }
    let suppression = classes.suppression(2)?;
    println!(
        "  k-anonymity over (gender, age band, province): smallest class {}, k=2 suppresses {} of {} records",
        classes.smallest().unwrap_or(0),
        suppression.suppressed_records(),
        classes.records()
    );

    section("9. Records: #[derive(Protect)] does all of the above per struct");
    // Kinds deserialize (validated like `parse`), so a request body becomes a record.
    let body =
        r#"{"id": 42, "mobile": "+86 138-0013-8000", "id_number": "11010519491231002x", "channel": "app"}"#;
    let signup: Signup =
        serde_json::from_str(body).map_err(|e| desensitize::Error::Io(std::io::Error::from(e).kind()))?;
    println!("  Debug      {signup:?}");
    println!("  masked     {}", to_json(&signup.masked()));
    let sealed = signup.seal(&keyring).map_err(RecordError::into_error)?;
    println!("  sealed     mobile {}…, index {}", &sealed.mobile.to_text()[..24], sealed.mobile_index);
    let opened = sealed.open(&keyring, "quickstart").map_err(RecordError::into_error)?;
    println!("  opened     mobile {} (audited)", opened.mobile.expose() == signup.mobile.expose());
    println!("  analytics  {}", to_json(&signup.analytics(&keyring).map_err(RecordError::into_error)?));
    let policy = Signup::policy();
    let actions: Vec<String> = policy.columns.iter().map(|(c, s)| format!("{c}={}", s.action)).collect();
    println!("  policy     {} (the same rules for `desensitize run`)", actions.join(" "));
    println!();
    Ok(())
}

fn ctx(column: &str, row: &str) -> Context {
    Context::new("users", column).with_row(row)
}

fn section(title: &str) {
    println!("\n== {title}");
}

fn mask_row<T: Sensitive>(field: &str, value: &T) {
    let [s, m, r] = MaskLevel::ALL.map(|level| pad(&value.mask(level), 22));
    println!("{field:<10} {s} {m} {r}");
}

/// Left-align in `width` terminal columns: CJK characters take two.
fn pad(text: &str, width: usize) -> String {
    let cols: usize = text.chars().map(|c| if c >= '\u{2E80}' { 2 } else { 1 }).sum();
    format!("{text}{}", " ".repeat(width.saturating_sub(cols)))
}

fn seal_show<T: Sealable>(
    keyring: &Keyring,
    column: &str,
    value: &T,
    row: &str,
) -> Result<(), desensitize::Error> {
    println!("  {:<10} {}", column, keyring.seal_text(value, &ctx(column, row))?);
    Ok(())
}

/// JSON of the step-9 views, for printing.
fn to_json<T: serde::Serialize>(view: &T) -> String {
    serde_json::to_string(view).unwrap_or_default()
}
