//! The record of the `derive_user` example (every `#[protect]` attribute:
//! row_id, seal, subject, blind_index, pseudonym, mask, generalize, public,
//! nested, Option, Vec) and its helpers: one file for the example program
//! (`main.rs`) and the tests (`tests/records/derive_example.rs`), which
//! also run the program (`the_example_program_shows_each_step`).

use desensitize::keys::SubjectKeyStore;
use desensitize::protect::RecordError;
use desensitize::{Address, Email, GeoPoint, IdNumber, Keyring, MobilePhone, Protect};

/// Where a user lives: a record nested in `User` (sealed under the user's
/// table and row, as `home.address`, `home.location`).
#[derive(Protect)]
#[protect(table = "users")]
pub struct Home {
    /// Sealed; the province and city are analytics facts.
    #[protect(seal, generalize(province, city))]
    pub address: Address,
    /// Optional; a 6-character geohash for analytics.
    #[protect(seal, generalize(geohash(precision = 6)))]
    pub location: Option<GeoPoint>,
}

/// A user as the service holds it. Every field says what it is: a field
/// without `#[protect(...)]` would not compile.
#[derive(Protect)]
#[protect(table = "users")]
pub struct User {
    /// The surrogate key, bound into every sealed value of the row.
    #[protect(row_id)]
    pub id: u64,
    /// Sealed, searchable by a 16-bit blind index, masked strictly.
    #[protect(seal, blind_index(bits = 16), mask = "strict")]
    pub phone: MobilePhone,
    /// Sealed under the user's own key: forgetting the user shreds it.
    #[protect(seal, subject = "id")]
    pub id_number: IdNumber,
    /// Sealed; shared with analytics as a keyed pseudonym.
    #[protect(seal, pseudonym = "analytics", mask = "strict")]
    pub email: Email,
    /// A second ID number (a guardian's, say): sealed, and generalized for analytics.
    #[protect(seal, generalize(gender, age_band(width = 10), province))]
    pub guardian_id: IdNumber,
    /// Any number of backup phones, each sealed in its place in the list.
    #[protect(seal)]
    pub backup_phones: Vec<MobilePhone>,
    /// A nested record.
    #[protect(nested)]
    pub home: Home,
    /// Not personal data: stored and shown as it is.
    #[protect(public)]
    pub plan: String,
}

/// Result of the example's steps.
pub type AnyResult<T> = Result<T, Box<dyn std::error::Error>>;

/// A sample user.
pub fn sample_user(id: u64) -> AnyResult<User> {
    Ok(User {
        id,
        phone: "+86 138-0013-8000".parse()?,
        id_number: "11010519491231002X".parse()?,
        email: "zhangsan@example.com".parse()?,
        guardian_id: "440305199003078155".parse()?,
        backup_phones: vec!["13900139000".parse()?, "13700137000".parse()?],
        home: Home {
            address: "北京市朝阳区建国路88号".parse()?,
            location: Some("39.9087,116.3975".parse()?),
        },
        plan: "pro".into(),
    })
}

/// Store a user: the sealed form as JSON (for a document column or a queue).
pub fn store(user: &User, keyring: &Keyring, subjects: &dyn SubjectKeyStore) -> AnyResult<String> {
    Ok(serde_json::to_string(&user.seal(keyring, subjects)?)?)
}

/// Load a stored user and open it (every field's open is audited).
pub fn load(json: &str, keyring: &Keyring, subjects: &dyn SubjectKeyStore) -> AnyResult<User> {
    let sealed: UserSealed = serde_json::from_str(json)?;
    Ok(sealed.open(keyring, subjects, "account-page")?)
}

/// Forget a user (PIPL Art. 47): their per-subject key is destroyed, so
/// their sealed ID number no longer opens, anywhere.
pub fn forget(user_id: u64, json: &str, keyring: &Keyring, subjects: &dyn SubjectKeyStore) -> RecordError {
    subjects.forget(&user_id.to_string()).expect("forget");
    let sealed: UserSealed = serde_json::from_str(json).expect("stored JSON");
    match sealed.open(keyring, subjects, "account-page") {
        Ok(_) => panic!("a forgotten user's record opened"),
        Err(e) => e,
    }
}

/// What an API returns or a log line shows.
pub fn api_view(user: &User) -> AnyResult<String> {
    Ok(serde_json::to_string(&user.masked())?)
}

/// What goes to the analytics warehouse.
pub fn analytics_view(user: &User, keyring: &Keyring) -> AnyResult<String> {
    Ok(serde_json::to_string(&user.analytics(keyring)?)?)
}

/// The record policy for exported files, as TOML-equivalent JSON.
pub fn policy_json() -> AnyResult<String> {
    Ok(serde_json::to_string_pretty(&User::policy())?)
}
