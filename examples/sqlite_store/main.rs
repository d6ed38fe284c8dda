//! `desensitize` against a real database: a SQLite `users` table whose
//! personal columns are sealed, searchable by phone through a blind index,
//! listed masked, carried through a root-key rotation, and whose users can be
//! forgotten (crypto-shredding) by deleting one wrapped key.
//!
//! Run with `cargo run --release --example sqlite_store` (about a second; a
//! debug build runs the crypto unoptimized and takes about 20 seconds).
//! Options: `--keep` keeps the database file for a look with the `sqlite3`
//! shell, `--rows N` changes the number of users (default 10,000).
//!
//! The keyring is generated in memory (no Argon2). A real application loads
//! it from a protected keyring file or a KMS.
//!
//! This file is the printed tour; the table, the subject key store and the
//! rotation steps live in `store.rs`, `users.rs` and `rotation.rs`, which
//! `tests/sqlite_store.rs` runs too.

mod rotation;
mod store;
mod users;

use std::path::Path;
use std::time::Instant;

use desensitize::fake::{FakeRecord, Faker};
use desensitize::pseudo::{Planner, Transform};
use desensitize::{Keyring, MobilePhone};

use rotation::{open_all, rebuild_index, remaining, reseal_addresses, rewrap_subjects};
use store::{AnyResult, SqliteSubjectStore};
use users::{
    COLUMNS, SEED, UserRow, fetch_rows, find_by_mobile, forget_user, insert_users, masked, open_attempts,
    open_user, pin_phone_index, subject,
};

/// Users in the demo table, unless `--rows N` says otherwise.
const USERS: i64 = 10_000;

fn main() -> AnyResult<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let keep = args.iter().any(|a| a == "--keep");
    let users = match args.iter().position(|a| a == "--rows") {
        Some(at) => {
            args.get(at + 1).and_then(|n| n.parse().ok()).filter(|&n| n >= 100).ok_or("--rows N, N >= 100")?
        }
        None => USERS,
    };
    let dir = std::env::temp_dir().join(format!("desensitize-sqlite-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    let path = dir.join("users.db");

    let result = run(&path, users);

    if keep {
        println!("\nKept {} (inspect it with: sqlite3 {})", path.display(), path.display());
    } else {
        std::fs::remove_dir_all(&dir)?;
        println!("\nDeleted {} (pass --keep to keep it)", path.display());
    }
    result
}

fn run(path: &Path, users: i64) -> AnyResult<()> {
    section("1. Schema: sealed columns, a blind index, a subject key table");
    println!("  database file: {}", path.display());
    // secure_delete on: a forgotten user's key is zeroed in the file, not just unlinked.
    let store = SqliteSubjectStore::create(path)?;

    // Demo only: real keyrings live in a protected file or a KMS.
    let mut keyring = Keyring::generate()?;

    // A blind index makes the sealed phone column searchable. Its length comes
    // from the planner: long enough that a lookup opens only a few rows, short
    // enough that several rows share every index value, so equal index values
    // prove nothing about equal phones.
    let plan = Planner::new(users as u64).recommend::<MobilePhone>(Transform::Full)?;
    // Pinned to the sealing key; moving the index to a new key is step 5.
    let sealing_key = keyring.active_key_id().unwrap_or(1);
    let mut index = pin_phone_index(&mut keyring, sealing_key, plan.bits())?;
    println!(
        "  mobile_idx: {} bits for {users} rows: ~{:.1} rows share each index value, \
         ~{:.0} possible phones map to each",
        plan.bits(),
        plan.rows_per_index_value(),
        plan.inputs_per_index_value()
    );
    println!("  name, id_number, mobile, email: sealed per user (can be forgotten)");
    println!("  address: sealed under the keyring itself (re-sealed on rotation)");

    section("2. Insert the synthetic users in one transaction");
    let mut faker = Faker::new(SEED);
    let records: Vec<FakeRecord> = (0..users).map(|_| faker.record()).collect();
    let started = Instant::now();
    insert_users(&keyring, &store, &index, &records)?;
    let elapsed = started.elapsed();
    println!(
        "  {} rows in {:.2?}: {:.0} rows/s (5 seals per row: 4 per-subject, 1 keyring)",
        store.count("SELECT count(*) FROM users")?,
        elapsed,
        users as f64 / elapsed.as_secs_f64()
    );
    println!("  {} subject keys stored", store.count("SELECT count(*) FROM subject_keys")?);
    let row = fetch_rows(&store, 1, 1)?.remove(0);
    println!("  row 1 as stored (no plaintext anywhere):");
    println!("    name       {}", abbreviate(&row.name));
    println!("    mobile     {}", abbreviate(&row.mobile));
    println!("    mobile_idx {}", row.mobile_idx);
    println!("    address    {}", abbreviate(row.address.as_deref().unwrap_or("NULL")));

    section("3. Look a user up by phone through the blind index");
    // A user calls support and reads out their number, formatted their way.
    // Parsing normalizes it, so the index matches however it was typed.
    let target = users / 2;
    let digits = records[(target - 1) as usize].mobile.expose();
    let wanted: MobilePhone = format!("+86 {}-{}-{}", &digits[..3], &digits[3..7], &digits[7..]).parse()?;
    println!("  searching for user {target}'s phone, typed as +86 ***-****-****");
    let started = Instant::now();
    let found = find_by_mobile(&keyring, &store, &index, &wanted)?;
    println!(
        "  mobile_idx = {} returned {} candidate rows; opening them kept {} ({} false positives), in {:.2?}",
        index.compute(&wanted),
        found.candidates,
        found.matches.len(),
        found.candidates - found.matches.len(),
        started.elapsed()
    );
    for id in &found.matches {
        let user = open_user(&keyring, &store, &fetch_rows(&store, *id, 1)?[0], "support-lookup")?;
        println!("  match: user {id}: {} {} {}", user.name, user.mobile, user.id_number);
    }

    section("4. List 10 users, masked (opened in memory, never printed in clear)");
    println!("  {:>3}  {}", "id", table_line(&COLUMNS));
    for row in fetch_rows(&store, 1, 10)? {
        let user = open_user(&keyring, &store, &row, "admin-list")?;
        println!("  {:>3}  {}", row.id, table_line(&masked(&user)));
    }

    section("5. Rotate the root key, re-seal, re-wrap, re-index, destroy the old key");
    let old = keyring.active_key_id().unwrap_or(1);
    let new = keyring.rotate()?;
    println!("  rotated: key {old} is decrypt-only, key {new} seals from now on");
    let before = remaining(&keyring, &store, old)?;
    println!("  {}", before.describe(old));
    // The keyring refuses to destroy a key that an index is pinned to, or
    // that the caller says still protects values.
    refuse_destroy(&mut keyring, old, before.total())?;

    // The blind-index key is derived from a root key too: move the index to
    // the new key and recompute every value.
    index = pin_phone_index(&mut keyring, new, plan.bits())?;
    let started = Instant::now();
    let reindexed = rebuild_index(&keyring, &store, &index)?;
    println!("  re-indexed {reindexed} phones under key {new} in {:.2?}", started.elapsed());
    refuse_destroy(&mut keyring, old, before.total())?;

    // Keyring-sealed values must be re-sealed: batches of 1,000 rows, each
    // its own transaction, so a crash loses at most one batch, and running
    // again resumes.
    let started = Instant::now();
    let batches = reseal_addresses(&keyring, &store)?;
    let elapsed = started.elapsed();
    for batch in &batches {
        let (first, last) = batch.rows;
        let done = batch.progress.last().map_or(0, |p| p.done);
        println!(
            "    rows {first:>5}..={last:<5} {done}/{} processed: {} re-sealed, {} unchanged, {} failed",
            batch.values,
            batch.resealed,
            batch.unchanged,
            batch.failed.len()
        );
    }
    let resealed: usize = batches.iter().map(|b| b.resealed).sum();
    println!("  re-sealed {resealed} addresses in {elapsed:.2?}");

    // Subject-sealed values are never re-sealed: only the subject keys are re-wrapped.
    let started = Instant::now();
    let rewrapped = rewrap_subjects(&keyring, &store)?;
    println!("  re-wrapped {rewrapped} subject keys in {:.2?}", started.elapsed());

    let after = remaining(&keyring, &store, old)?;
    println!("  {}", after.describe(old));
    keyring.destroy(old, after.total())?;
    println!("  destroy key {old} with 0 values left: accepted");
    for k in keyring.keys() {
        println!("    key {:>2}  {:<13} seals: {}", k.id, k.state.as_str(), k.seal_count);
    }
    let started = Instant::now();
    let check = open_all(&keyring, &store)?;
    println!(
        "  every row opens under the new key: {} of {users} rows, {} failures ({:.2?})",
        check.opened,
        check.failed.len(),
        started.elapsed()
    );
    let found = find_by_mobile(&keyring, &store, &index, &wanted)?;
    println!("  the phone lookup still works: {} candidates, match {:?}", found.candidates, found.matches);

    section("6. Forget user 42: crypto-shredding, backups included");
    let victim = 42;
    // A copy of the row taken earlier: last night's backup, an export, a replica.
    let backup = fetch_rows(&store, victim, 1)?.remove(0);
    forget_user(&store, victim)?;
    let live = fetch_rows(&store, victim, 1)?.remove(0);
    println!("  live row {victim}:");
    print_open_attempts(&keyring, &store, &live);
    println!("  backup copy of row {victim}, taken before forget:");
    print_open_attempts(&keyring, &store, &backup);
    println!(
        "  -> every per-subject value is gone in every copy; the keyring-sealed address in the \
         backup still opens, which is why personal columns are sealed per subject"
    );
    let neighbour = open_user(&keyring, &store, &fetch_rows(&store, victim + 1, 1)?[0], "support")?;
    println!("  neighbour user {} still opens: {}", victim + 1, table_line(&masked(&neighbour)));
    let (wrapped, forgotten): (Option<Vec<u8>>, bool) = store.db().query_row(
        "SELECT wrapped, forgotten FROM subject_keys WHERE subject = ?1",
        [subject(victim)],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    println!(
        "  subject_keys row: wrapped = {}, forgotten = {forgotten}",
        wrapped.map_or("NULL".to_owned(), |w| format!("{} bytes", w.len()))
    );
    Ok(())
}

// ---------------------------------------------------------------------------
// Printing.

fn section(title: &str) {
    println!("\n== {title}");
}

fn refuse_destroy(keyring: &mut Keyring, old: u32, remaining: u64) -> AnyResult<()> {
    match keyring.destroy(old, remaining) {
        Err(e) => println!("  destroy key {old} now: refused ({e})"),
        Ok(()) => return Err("BUG: destroyed a key still in use".into()),
    }
    Ok(())
}

/// The first characters of an envelope: enough to see what is stored.
fn abbreviate(text: &str) -> String {
    match text.char_indices().nth(40) {
        Some((at, _)) => format!("{}… ({} chars)", &text[..at], text.len()),
        None => text.to_owned(),
    }
}

/// The five listing columns, each left-aligned in its width.
fn table_line<S: AsRef<str>>(cells: &[S; 5]) -> String {
    const WIDTHS: [usize; 5] = [8, 20, 13, 24, 24];
    cells.iter().zip(WIDTHS).map(|(c, w)| pad(c.as_ref(), w)).collect::<Vec<_>>().join(" ")
}

/// Left-align in `width` terminal columns: CJK characters take two.
fn pad(text: &str, width: usize) -> String {
    let cols: usize = text.chars().map(|c| if c >= '\u{2E80}' { 2 } else { 1 }).sum();
    format!("{text}{}", " ".repeat(width.saturating_sub(cols)))
}

/// Try to open each column of `row`, printing the masked value or the error.
fn print_open_attempts(keyring: &Keyring, store: &SqliteSubjectStore, row: &UserRow) {
    for (column, attempt) in COLUMNS.iter().zip(open_attempts(keyring, store, row, "erasure-check")) {
        let shown = match attempt {
            Ok(Some(value)) => format!("opens: {value}"),
            Ok(None) => "NULL".to_owned(),
            Err(e) => format!("refused: {e}"),
        };
        println!("    {column:<10} {shown}");
    }
}
