//! `#[derive(Protect)]`: one struct definition gives the stored, masked and
//! analytics forms of a record, a redacting `Debug`, and the record policy
//! that `desensitize run` applies to exported files.
//!
//!     cargo run --example derive_user
//!
//! The record and its helpers are in `user.rs`, which the tests
//! (`tests/records/derive_example.rs`) share; they also run this program
//! and check every step it prints.

mod user;

use desensitize::Keyring;
use desensitize::keys::InMemorySubjectStore;
use user::{AnyResult, analytics_view, api_view, forget, load, policy_json, sample_user, store};

fn main() -> AnyResult<()> {
    let keyring = Keyring::generate()?;
    let subjects = InMemorySubjectStore::new();
    let user = sample_user(7)?;

    println!("Debug:     {user:?}");
    let stored = store(&user, &keyring, &subjects)?;
    println!("stored:    {stored}");
    let back = load(&stored, &keyring, &subjects)?;
    println!("opened:    phone {}", back.phone);
    println!("API:       {}", api_view(&user)?);
    println!("analytics: {}", analytics_view(&user, &keyring)?);
    println!("policy:    {}", policy_json()?);
    println!("forgotten: {}", forget(user.id, &stored, &keyring, &subjects));
    Ok(())
}
