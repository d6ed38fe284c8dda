//! Every sealing path through a keyring loaded from a file is counted in its
//! seal ledger (`keys/ledger.rs`): a policy `Plan` in a service, a
//! `#[derive(Protect)]` record, and the `db::rotate` job over an in-memory
//! store. (The CLI's `seal`/`run` are in cli/tests/commands/ledger.rs, Python in
//! python/tests/test_ledger.py, concurrent processes in the unit tests.)
#![cfg(all(feature = "toml", feature = "derive"))]

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use desensitize::db::{RotationPlan, RotationStore, RowUpdate, SealedColumn, StoredRow, rotate};
use desensitize::keys::{Ledger, PassphraseProvider};
use desensitize::policy::{Cells, Plan, Policy, Report};
use desensitize::{Context, Keyring, MobilePhone, Protect};

fn provider() -> PassphraseProvider {
    PassphraseProvider::with_params("ledger paths", 8, 1, 1).unwrap()
}

/// A fresh keyring file in its own directory.
fn keyring_file(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("dz-ledger-paths-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("keys.dzk");
    Keyring::generate().unwrap().save(&path, &provider()).unwrap();
    path
}

/// Seals of key `id` known to a fresh load of `path` (file + ledger).
fn seals(path: &Path, id: u32) -> u64 {
    let k = Keyring::load(path, &provider()).unwrap();
    k.keys().iter().find(|k| k.id == id).map_or(0, |k| k.seal_count)
}

fn ledger_lines(path: &Path) -> usize {
    std::fs::read_to_string(Ledger::path_for(path)).map_or(0, |t| t.lines().count())
}

#[test]
fn a_plan_in_a_service_is_counted() {
    let path = keyring_file("plan");
    let keyring = Arc::new(Keyring::load(&path, &provider()).unwrap());
    let rules = Policy::from_toml(
        "table = \"users\"\n[columns.id]\naction = \"keep\"\n[columns.phone]\nkind = \"mobile_phone\"\naction = \"seal\"\n",
    )
    .unwrap()
    .check()
    .unwrap();
    let header = ["id".to_owned(), "phone".to_owned()];
    let plan = Plan::new(&rules, &header, Some(Arc::clone(&keyring))).unwrap();
    let mut report = Report::default();
    for row in 1..=5u64 {
        plan.apply(row, &[&row.to_string(), "13800138000"][..], &mut Cells::new(), &mut report).unwrap();
    }
    // A service records now and then; the rest goes when the keyring drops.
    assert_eq!(keyring.record_seals().unwrap(), 5);
    plan.apply(6, &["6", "13800138000"][..], &mut Cells::new(), &mut report).unwrap();
    drop(plan);
    drop(keyring);
    assert_eq!(seals(&path, 1), 6);
    assert_eq!(ledger_lines(&path), 2);
}

#[derive(Protect)]
#[protect(table = "users")]
struct User {
    #[protect(row_id)]
    id: u64,
    #[protect(seal)]
    phone: MobilePhone,
    #[protect(seal)]
    backup: Vec<MobilePhone>,
}

#[test]
fn a_derived_record_is_counted() {
    let path = keyring_file("derive");
    let keyring = Keyring::load(&path, &provider()).unwrap();
    let phone: MobilePhone = "13800138000".parse().unwrap();
    let user = User { id: 1, phone: phone.clone(), backup: vec![phone.clone(), phone] };
    user.seal(&keyring).unwrap();
    drop(keyring);
    assert_eq!(seals(&path, 1), 3);
}

/// Rows in memory, compare-and-swap as `RotationStore` asks.
#[derive(Default)]
struct Mem {
    rows: Vec<StoredRow>,
    checkpoint: Option<i64>,
}

impl RotationStore for Mem {
    type Error = std::io::Error;

    async fn fetch_after(&mut self, after: Option<i64>, limit: usize) -> Result<Vec<StoredRow>, Self::Error> {
        Ok(self.rows.iter().filter(|r| after.is_none_or(|a| r.key > a)).take(limit).cloned().collect())
    }

    async fn apply(&mut self, updates: &[RowUpdate], checkpoint: i64) -> Result<u64, Self::Error> {
        for u in updates {
            let row = self.rows.iter_mut().find(|r| r.key == u.key).unwrap();
            if row.values == u.expected {
                row.values.clone_from(&u.values);
            }
        }
        self.checkpoint = Some(checkpoint);
        Ok(updates.len() as u64)
    }

    async fn load_checkpoint(&mut self) -> Result<Option<i64>, Self::Error> {
        Ok(self.checkpoint)
    }

    async fn clear_checkpoint(&mut self) -> Result<(), Self::Error> {
        self.checkpoint = None;
        Ok(())
    }
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    let mut f = std::pin::pin!(f);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    loop {
        if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
    }
}

#[test]
fn the_db_rotation_job_is_counted() {
    let path = keyring_file("rotate");
    let mut keyring = Keyring::load(&path, &provider()).unwrap();
    let phone: MobilePhone = "13800138000".parse().unwrap();
    let mut store = Mem::default();
    for key in 1..=4 {
        let ctx = Context::new("users", "phone").with_row(&key.to_string());
        store.rows.push(StoredRow { key, values: vec![Some(keyring.seal_text(&phone, &ctx).unwrap())] });
    }
    let new_key = keyring.rotate().unwrap();
    let plan =
        RotationPlan::new("users", "id").unwrap().column(SealedColumn::<MobilePhone>::new("phone").unwrap());
    let report = block_on(rotate(&keyring, &plan, &mut store, |_| ControlFlow::Continue(()))).unwrap();
    assert_eq!(report.progress.rotated, 4);
    // Saved over its own file (the rotation), then dropped: nothing twice.
    keyring.save(&path, &provider()).unwrap();
    drop(keyring);
    assert_eq!((seals(&path, 1), seals(&path, new_key)), (4, 4));
}
