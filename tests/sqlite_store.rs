//! The `sqlite_store` example's flow against a real SQLite file, every step
//! asserted: sealed storage, blind-index search, masked listing, root-key
//! rotation and crypto-shredding with a `SubjectKeyStore` backed by SQLite.
//!
//! The store, the table code and the rotation steps are the example's own
//! modules, included below: what the example shows is what this checks,
//! with every intermediate state asserted (the program itself only prints
//! them). The program also runs as a reader runs it
//! (`the_example_program_runs`).

#[path = "common/example.rs"]
mod example;
#[path = "../examples/sqlite_store/rotation.rs"]
mod rotation;
#[path = "../examples/sqlite_store/store.rs"]
mod store;
#[path = "../examples/sqlite_store/users.rs"]
mod users;

use std::collections::HashMap;
use std::path::PathBuf;

use desensitize::fake::{FakeRecord, Faker};
use desensitize::keys::{KeyState, SubjectKeyStore, SubjectRecord, WrappedKey};
use desensitize::pseudo::{Planner, Transform};
use desensitize::seal::ResealProgress;
use desensitize::{Address, Error, KeyError, Keyring, MaskLevel, MobilePhone, Sealed, Sensitive};

use rotation::{
    BATCH, open_all, rebuild_index, remaining, reseal_addresses, rewrap_subjects, subject_keys_under,
};
use store::{AnyResult, SqliteSubjectStore};
use users::{
    SEED, ctx, fetch_rows, find_by_mobile, forget_user, insert_users, masked, open_attempts, open_for_user,
    open_user, pin_phone_index, subject,
};

/// 10,000 users as in the example; 2,000 in debug builds, where the
/// unoptimized crypto makes the full table take about 40 seconds.
const USERS: i64 = if cfg!(debug_assertions) { 2_000 } else { 10_000 };

/// `cargo run --example sqlite_store -- --rows 200`: each step reports what
/// the test below asserts in detail.
#[test]
fn the_example_program_runs() {
    let out = example::run("sqlite_store", &["--rows", "200"]);
    for line in [
        "200 subject keys stored",
        "destroy key 1 with 0 values left: accepted",
        "every row opens under the new key: 200 of 200 rows, 0 failures",
        "subject_keys row: wrapped = NULL, forgotten = true",
    ] {
        assert!(out.contains(line), "no {line:?} in:\n{out}");
    }
    let lookup =
        out.lines().find(|l| l.contains("the phone lookup still works")).expect("a lookup after rotation");
    assert!(lookup.ends_with("match [100]"), "{lookup}");
    // Row 42's four per-subject columns, live and in the backup copy.
    assert_eq!(out.matches("refused: subject forgotten").count(), 8);
}

#[test]
fn sealed_users_table_end_to_end() -> AnyResult<()> {
    let dir = TempDir::new("flow")?;
    let path = dir.0.join("users.db");
    let store = SqliteSubjectStore::create(&path)?;
    let mut keyring = Keyring::generate()?;
    let old = keyring.active_key_id().ok_or("no active key")?;

    let plan = Planner::new(USERS as u64).recommend::<MobilePhone>(Transform::Full)?;
    let mut index = pin_phone_index(&mut keyring, old, plan.bits())?;

    // --- Insert: one transaction, per-subject columns plus a keyring-sealed address.
    let mut faker = Faker::new(SEED);
    let records: Vec<FakeRecord> = (0..USERS).map(|_| faker.record()).collect();
    insert_users(&keyring, &store, &index, &records)?;
    assert_eq!(store.count("SELECT count(*) FROM users")?, USERS);
    assert_eq!(store.count("SELECT count(*) FROM subject_keys WHERE forgotten = 0")?, USERS);

    // --- Every sealed column is an envelope and holds no plaintext.
    let rows = fetch_rows(&store, 1, USERS)?;
    assert_eq!(rows.len() as i64, USERS);
    for (row, user) in rows.iter().zip(&records) {
        let address = row.address.as_deref().ok_or("address missing")?;
        let stored = [&row.name, &row.id_number, &row.mobile, &row.email, address];
        let plain = [
            user.name.expose(),
            user.id_number.expose(),
            user.mobile.expose(),
            user.email.expose(),
            user.address.expose(),
        ];
        for (sealed, plain) in stored.iter().zip(plain) {
            assert!(sealed.starts_with("dz1."), "row {}: not an envelope", row.id);
            assert!(!sealed.contains(plain), "row {}: plaintext in a sealed column", row.id);
        }
        assert!(row.mobile_idx >= 0 && row.mobile_idx < 1 << plan.bits());
        // Per-subject columns carry no key id; the address is under the root key.
        assert!(row.mobile.parse::<Sealed<MobilePhone>>()?.is_subject_sealed());
        assert_eq!(address.parse::<Sealed<Address>>()?.key_id(), old);
    }
    // Nor does the file itself.
    let plaintexts: Vec<&[u8]> = records
        .iter()
        .flat_map(|u| [u.name.expose(), u.id_number.expose(), u.mobile.expose(), u.email.expose()])
        .map(str::as_bytes)
        .collect();
    assert_eq!(find_any(&std::fs::read(&path)?, &plaintexts), None, "plaintext in the database file");

    // --- Blind-index lookup: the right user among a handful of candidates.
    let max_candidates = 2.0 * (USERS as f64).sqrt();
    for id in [1, 42, USERS / 2, USERS] {
        let wanted = &records[(id - 1) as usize].mobile;
        let found = find_by_mobile(&keyring, &store, &index, wanted)?;
        assert!(found.matches.contains(&id), "user {id} not found by phone");
        assert!((found.candidates as f64) < max_candidates, "{} candidates", found.candidates);
        for m in &found.matches {
            assert_eq!(records[(*m - 1) as usize].mobile, *wanted, "a false positive was kept");
        }
    }
    let unknown: MobilePhone = "19999999999".parse()?;
    assert!(records.iter().all(|r| r.mobile != unknown));
    assert!(find_by_mobile(&keyring, &store, &index, &unknown)?.matches.is_empty());

    // --- Masked listing: exactly the library's mask of the value that went in.
    for row in fetch_rows(&store, 1, 10)? {
        let user = open_user(&keyring, &store, &row, "admin-list")?;
        let original = &records[(row.id - 1) as usize];
        let expected = [
            original.name.mask(MaskLevel::Standard),
            original.id_number.mask(MaskLevel::Standard),
            original.mobile.mask(MaskLevel::Standard),
            original.email.mask(MaskLevel::Standard),
            original.address.mask(MaskLevel::Standard),
        ];
        assert_eq!(masked(&user), expected);
        assert!(!masked(&user).iter().any(|m| m.contains(original.mobile.expose())));
    }

    // --- Rotation.
    let new = keyring.rotate()?;
    let before = remaining(&keyring, &store, old)?;
    assert_eq!(before.needs_rotation, [0, 0, 0, 0, USERS as u64], "only the address needs re-sealing");
    assert_eq!(before.subject_keys, USERS as u64);
    assert_eq!(
        before.describe(old),
        format!(
            "needs_rotation: name 0, id_number 0, mobile 0, email 0, address {USERS}; \
             subject keys wrapped under key {old}: {USERS}"
        )
    );
    // Refused while the phone index is pinned to the old key...
    assert!(matches!(keyring.destroy(old, before.total()), Err(Error::Key(KeyError::DomainPinned))));
    index = pin_phone_index(&mut keyring, new, plan.bits())?;
    assert_eq!(rebuild_index(&keyring, &store, &index)?, USERS as usize);
    // ...and while values remain under it.
    assert_eq!(
        keyring.destroy(old, before.total()),
        Err(Error::KeyInUse { id: old, remaining: 2 * USERS as u64 })
    );
    // Re-sealing: batches of BATCH rows in id order, every address moved,
    // progress reported after every value.
    let batches = reseal_addresses(&keyring, &store)?;
    let ranges: Vec<(i64, i64)> = batches.iter().map(|b| b.rows).collect();
    let expected: Vec<(i64, i64)> = (0..USERS / BATCH).map(|b| (b * BATCH + 1, (b + 1) * BATCH)).collect();
    assert_eq!(ranges, expected);
    for batch in &batches {
        let (values, resealed) = (batch.values, batch.resealed);
        assert_eq!((values, resealed, batch.unchanged), (BATCH as usize, BATCH as usize, 0));
        assert_eq!(batch.failed, [], "rows {:?}", batch.rows);
        let every_value: Vec<_> = (1..=values).map(|done| ResealProgress { done, failed: 0 }).collect();
        assert_eq!(batch.progress, every_value, "progress after every value");
    }
    // A second (resumed) run finds nothing left to move.
    let again = reseal_addresses(&keyring, &store)?;
    assert_eq!(
        again.iter().map(|b| (b.resealed, b.unchanged)).collect::<Vec<_>>(),
        vec![(0, BATCH as usize); (USERS / BATCH) as usize]
    );
    assert_eq!(rewrap_subjects(&keyring, &store)?, USERS as usize);
    let after = remaining(&keyring, &store, old)?;
    assert_eq!((after.needs_rotation, after.subject_keys), ([0; 5], 0));
    assert_eq!(subject_keys_under(&store, new)?, USERS as u64);
    keyring.destroy(old, after.total())?;
    let states: Vec<_> = keyring.keys().iter().map(|k| (k.id, k.state)).collect();
    assert_eq!(states, [(old, KeyState::Destroyed), (new, KeyState::Active)]);
    // Every row opens under the new key, to the values that went in.
    let check = open_all(&keyring, &store)?;
    assert_eq!((check.opened, check.failed.len()), (USERS as usize, 0));
    for row in fetch_rows(&store, 1, USERS)? {
        let user = open_user(&keyring, &store, &row, "verify-rotation")?;
        let original = &records[(row.id - 1) as usize];
        assert!(user.name == original.name && user.id_number == original.id_number);
        assert!(user.mobile == original.mobile && user.email == original.email);
        assert_eq!(user.address.as_ref(), Some(&original.address));
    }
    let found = find_by_mobile(&keyring, &store, &index, &records[(USERS / 2 - 1) as usize].mobile)?;
    assert!(found.matches.contains(&(USERS / 2)), "lookup broken after re-indexing");

    // --- Forget user 42.
    let victim = 42;
    let backup = fetch_rows(&store, victim, 1)?.remove(0);
    let wrapped: Vec<u8> = store.db().query_row(
        "SELECT wrapped FROM subject_keys WHERE subject = ?1",
        [subject(victim)],
        |r| r.get(0),
    )?;
    forget_user(&store, victim)?;

    // Exactly that user's values fail, with SubjectForgotten.
    for row in fetch_rows(&store, 1, USERS)? {
        let phone = open_for_user::<MobilePhone>(&keyring, &store, row.id, "mobile", &row.mobile, "check");
        if row.id == victim {
            assert_eq!(phone, Err(Error::SubjectForgotten));
        } else {
            assert_eq!(phone?, records[(row.id - 1) as usize].mobile);
        }
    }
    let live = fetch_rows(&store, victim, 1)?.remove(0);
    let forgotten = || Err(Error::SubjectForgotten);
    let attempts = open_attempts(&keyring, &store, &live, "check");
    assert_eq!(attempts, [forgotten(), forgotten(), forgotten(), forgotten(), Ok(None)]);
    assert_eq!(live.address, None);
    let neighbour = open_user(&keyring, &store, &fetch_rows(&store, victim + 1, 1)?[0], "support")?;
    assert_eq!(neighbour.name, records[victim as usize].name);

    // The pre-forget copy is dead too, except the keyring-sealed address:
    // forget() reaches only what was sealed for the subject.
    let original_address = &records[(victim - 1) as usize].address;
    let attempts = open_attempts(&keyring, &store, &backup, "check");
    let shown = Ok(Some(original_address.mask(MaskLevel::Standard)));
    assert_eq!(attempts, [forgotten(), forgotten(), forgotten(), forgotten(), shown]);
    let backup_address = backup.address.as_deref().ok_or("address missing")?;
    let address: Address = keyring.open_text(backup_address, &ctx("address", victim), "check")?;
    assert_eq!(address, *original_address);

    // A forgotten subject stays forgotten: no re-wrap, no new key, no revival.
    assert_eq!(keyring.rewrap_subject(&store, &subject(victim)), Err(Error::SubjectForgotten));
    assert_eq!(
        store.replace(&subject(victim), WrappedKey::from_bytes(wrapped.clone())),
        Err(Error::SubjectForgotten)
    );
    let again = keyring.seal_for(&store, &subject(victim), &records[0].mobile, &ctx("mobile", victim));
    assert_eq!(again.err(), Some(Error::SubjectForgotten));
    assert_eq!(store.load(&subject(victim))?, Some(SubjectRecord::Forgotten));
    assert_eq!(store.replace("user-0", WrappedKey::from_bytes(wrapped.clone())), Err(Error::UnknownSubject));

    // secure_delete: the erased wrapped key is not left behind in the file.
    drop(store);
    assert_eq!(
        find_any(&std::fs::read(&path)?, &[&wrapped]),
        None,
        "forgotten key still in the database file"
    );
    Ok(())
}

#[test]
fn concurrent_first_seals_share_one_subject_key() -> AnyResult<()> {
    // insert_if_absent must be atomic: threads sealing for a new subject at
    // once all end up with the key that was stored first.
    let dir = TempDir::new("race")?;
    let store = SqliteSubjectStore::create(&dir.0.join("keys.db"))?;
    let keyring = Keyring::generate()?;
    let phone: MobilePhone = "13800138000".parse()?;
    let sealed: Vec<Sealed<MobilePhone>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|_| s.spawn(|| keyring.seal_for(&store, "user-7", &phone, &ctx("mobile", 7))))
            .collect();
        handles.into_iter().map(|h| h.join().expect("thread panicked")).collect::<desensitize::Result<_>>()
    })?;
    assert_eq!(store.count("SELECT count(*) FROM subject_keys")?, 1);
    for s in &sealed {
        assert_eq!(keyring.open_for(&store, "user-7", s, &ctx("mobile", 7), "check")?, phone);
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Utilities.

/// The first of `needles` (each at least 6 bytes) found in `haystack`, in
/// one pass: every 6-byte window is looked up by prefix, then compared in
/// full. (Searching for each needle separately takes minutes in debug builds.)
fn find_any<'a>(haystack: &[u8], needles: &[&'a [u8]]) -> Option<&'a [u8]> {
    let mut by_prefix: HashMap<[u8; 6], Vec<&'a [u8]>> = HashMap::new();
    for needle in needles {
        let prefix = needle.first_chunk::<6>().expect("needles are at least 6 bytes");
        by_prefix.entry(*prefix).or_default().push(needle);
    }
    for (at, window) in haystack.windows(6).enumerate() {
        let Some(candidates) = window.try_into().ok().and_then(|w: [u8; 6]| by_prefix.get(&w)) else {
            continue;
        };
        if let Some(found) = candidates.iter().find(|n| haystack[at..].starts_with(n)) {
            return Some(found);
        }
    }
    None
}

/// A directory under the system temp dir, removed on drop (even on failure).
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> std::io::Result<TempDir> {
        let dir = std::env::temp_dir().join(format!("desensitize-test-sqlite-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)?;
        Ok(TempDir(dir))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
