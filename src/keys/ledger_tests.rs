use super::*;
use crate::keys::{KeyState, PassphraseProvider};
use crate::{Context, MobilePhone};

fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("dz-libledger-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Cheap Argon2id parameters: the tests are about counting, not stretching.
fn provider() -> PassphraseProvider {
    PassphraseProvider::with_params("ledger test", 8, 1, 1).unwrap()
}

fn phone() -> MobilePhone {
    "13800138000".parse().unwrap()
}

fn seal_n(k: &Keyring, n: u64) {
    for _ in 0..n {
        k.seal(&phone(), &Context::new("t", "c")).unwrap();
    }
}

/// A fresh keyring file (id 1 active) at `dir/keys.dzk` with `file_count` seals saved in it.
fn keyring_file(dir: &Path, file_count: u64) -> PathBuf {
    keyring_file_of(dir, file_count, Suite::Aes)
}

/// [`keyring_file`] with key 1 of `suite`.
fn keyring_file_of(dir: &Path, file_count: u64, suite: Suite) -> PathBuf {
    let path = dir.join("keys.dzk");
    let mut k = Keyring::new();
    let root = Some(crate::keys::RootKey::from_bytes([7; 32]));
    k.insert_in(1, root, KeyState::Active, file_count, suite).unwrap();
    k.save(&path, &provider()).unwrap();
    path
}

#[test]
fn appends_sum_and_skip_foreign_lines() {
    let d = dir("sum");
    let ledger = d.join("keys.dzk.seals");
    assert_eq!(read(&ledger).unwrap(), Totals::default());
    append(&ledger, "seal", &[(1, 3), (2, 0)]).unwrap();
    append(&ledger, "run", &[(1, 4), (7, u64::MAX)]).unwrap();
    append(&ledger, "run", &[(7, 5)]).unwrap();
    let mut f = OpenOptions::new().append(true).open(&ledger).unwrap();
    f.write_all(b"garbage\ndzseals1 x 5\ndzseals1 1\n").unwrap();
    f.write_all(&[b'9'; 300]).unwrap();
    f.write_all(b"\ndzseals1 1 1 0 seal\n").unwrap();
    let t = read(&ledger).unwrap();
    assert_eq!(t.seals, BTreeMap::from([(1, 8), (7, u64::MAX)]));
    assert_eq!(t.skipped, 4);
    let text = std::fs::read_to_string(&ledger).unwrap();
    assert!(text.starts_with("dzseals1 1 3 "), "{text}");
    assert!(text.lines().next().unwrap().ends_with(" seal"));
    Ledger::remove(&d.join("keys.dzk")).unwrap();
    Ledger::remove(&d.join("keys.dzk")).unwrap();
    assert!(!ledger.exists());
    let _ = std::fs::remove_dir_all(&d);
}

#[cfg(unix)]
#[test]
fn created_0600_and_symlinks_refused() {
    use std::os::unix::fs::PermissionsExt;
    let d = dir("mode");
    let ledger = d.join("keys.dzk.seals");
    append(&ledger, "seal", &[(1, 1)]).unwrap();
    let mode = std::fs::metadata(&ledger).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);

    let other = d.join("other.dzk.seals");
    let target = d.join("target");
    std::fs::write(&target, "").unwrap();
    std::os::unix::fs::symlink(&target, &other).unwrap();
    let e = append(&other, "seal", &[(1, 1)]).unwrap_err();
    assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
    assert_eq!(std::fs::read(&target).unwrap(), b"", "wrote through a symlink");
    assert_eq!(read(&other).unwrap_err().kind(), io::ErrorKind::InvalidInput);
    // No empty append creates a file.
    append(&d.join("none.dzk.seals"), "seal", &[(1, 0)]).unwrap();
    assert!(!d.join("none.dzk.seals").exists());
    // A keyring whose ledger is a symlink does not load (fail closed).
    let sub = d.join("sub");
    std::fs::create_dir(&sub).unwrap();
    let keys = keyring_file(&sub, 0);
    std::os::unix::fs::symlink(&target, Ledger::path_for(&keys)).unwrap();
    let e = Keyring::load(&keys, &provider()).unwrap_err();
    assert_eq!(e, Error::Io(io::ErrorKind::InvalidInput));
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn a_loaded_keyring_records_its_seals_once() {
    let d = dir("record");
    let keys = keyring_file(&d, 5);
    {
        let mut k = Keyring::load(&keys, &provider()).unwrap();
        k.set_ledger_label("unit-test");
        seal_n(&k, 3);
        assert_eq!(k.record_seals().unwrap(), 3);
        assert_eq!(k.record_seals().unwrap(), 0, "nothing new to record");
        seal_n(&k, 2);
        // Dropped here: the last 2 are recorded on drop.
    }
    let text = std::fs::read_to_string(Ledger::path_for(&keys)).unwrap();
    assert_eq!(text.lines().count(), 2, "{text}");
    assert!(text.lines().all(|l| l.starts_with("dzseals1 1 ") && l.ends_with(" unit-test")), "{text}");
    let k = Keyring::load(&keys, &provider()).unwrap();
    let info = k.keys()[0];
    assert_eq!((info.seal_count, info.ledger_seals), (10, 5));
    assert_eq!(k.ledger().unwrap().path(), Ledger::path_for(&keys));
    assert_eq!(k.ledger().unwrap().skipped_lines(), 0);
    drop(k);
    // A keyring not loaded from a file has no ledger and records nothing.
    let fresh = Keyring::generate().unwrap();
    seal_n(&fresh, 1);
    assert_eq!(fresh.record_seals().unwrap(), 0);
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn saving_over_its_own_file_does_not_count_twice() {
    let d = dir("save");
    let keys = keyring_file(&d, 0);
    let mut k = Keyring::load(&keys, &provider()).unwrap();
    seal_n(&k, 4);
    k.record_seals().unwrap();
    seal_n(&k, 3);
    k.rotate().unwrap();
    // The 3 pending go to the ledger; the file keeps its 0.
    k.save(&keys, &provider()).unwrap();
    seal_n(&k, 1);
    drop(k);
    let k = Keyring::load(&keys, &provider()).unwrap();
    let one = k.keys()[0];
    assert_eq!((one.id, one.seal_count, one.ledger_seals), (1, 7, 7));
    assert_eq!(k.keys()[1].seal_count, 1, "sealed under the new key after the save");
    // Saved elsewhere, a copy starts from the total.
    let copy = d.join("copy.dzk");
    k.save(&copy, &provider()).unwrap();
    let c = Keyring::load(&copy, &provider()).unwrap();
    assert_eq!((c.keys()[0].seal_count, c.keys()[0].ledger_seals), (7, 0));
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn a_gm_key_refuses_the_seal_after_its_last_and_can_be_overridden() {
    let d = dir("budget");
    let keys = keyring_file_of(&d, 0, Suite::Gm);
    append(&Ledger::path_for(&keys), "test", &[(1, GM_NONCE_BUDGET - 1)]).unwrap();
    let mut k = Keyring::load(&keys, &provider()).unwrap();
    assert_eq!(k.keys()[0].suite, Suite::Gm);
    assert_eq!(k.keys()[0].nonce_budget(), NonceBudget::Warning);
    let ctx = Context::new("t", "c");
    k.seal(&phone(), &ctx).unwrap();
    assert_eq!(k.keys()[0].seal_count, GM_NONCE_BUDGET);
    assert_eq!(k.keys()[0].nonce_budget(), NonceBudget::Exhausted);
    assert_eq!(k.seal(&phone(), &ctx).unwrap_err(), Error::NonceBudgetExhausted(1));
    assert_eq!(k.seal_text(&phone(), &ctx).unwrap_err(), Error::NonceBudgetExhausted(1));
    let message = k.seal(&phone(), &ctx).unwrap_err().to_string();
    assert!(message.contains("rotate") && message.contains("2^48"), "{message}");
    assert_eq!(k.keys()[0].seal_count, GM_NONCE_BUDGET, "refused seals are not counted");
    k.allow_over_budget(true);
    k.seal(&phone(), &ctx).unwrap();
    k.allow_over_budget(false);
    assert_eq!(k.seal(&phone(), &ctx).unwrap_err(), Error::NonceBudgetExhausted(1));
    // Rotation gives a fresh key (of the same suite) with its own budget.
    let new_id = k.rotate().unwrap();
    assert_eq!(k.suite_of(new_id), Some(Suite::Gm));
    assert_eq!(k.seal(&phone(), &ctx).unwrap().key_id(), new_id);
    drop(k);
    // The seals made were recorded: 2 under key 1, 1 under the new key.
    let k = Keyring::load(&keys, &provider()).unwrap();
    assert_eq!(k.keys()[0].seal_count, GM_NONCE_BUDGET + 1);
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn an_aes_key_past_the_v1_figures_still_seals() {
    let d = dir("budget-aes");
    let keys = keyring_file(&d, 0);
    // Past envelope v1's 2^32 and even gm's 2^48: XAES-256-GCM's 2^80 is out of reach.
    for ledgered in [NONCE_BUDGET, GM_NONCE_BUDGET] {
        std::fs::write(Ledger::path_for(&keys), format!("dzseals1 1 {ledgered} 0 run\n")).unwrap();
        let k = Keyring::load(&keys, &provider()).unwrap();
        assert_eq!(k.keys()[0].nonce_budget(), NonceBudget::Within);
        let sealed = k.seal(&phone(), &Context::new("t", "c")).unwrap();
        assert_eq!(k.open(&sealed, &Context::new("t", "c"), "test").unwrap(), phone());
        assert_eq!(k.keys()[0].seal_count, ledgered + 1);
    }
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn the_warning_share_and_budget_states() {
    // Envelope v1's figures, kept for `NonceBudget::of`.
    assert_eq!(NonceBudget::of(0), NonceBudget::Within);
    assert_eq!(NonceBudget::of(NONCE_WARN_AT - 1), NonceBudget::Within);
    assert_eq!(NonceBudget::of(NONCE_WARN_AT), NonceBudget::Warning);
    assert_eq!(NonceBudget::of(NONCE_BUDGET - 1), NonceBudget::Warning);
    assert_eq!(NonceBudget::of(NONCE_BUDGET), NonceBudget::Exhausted);
    // Per suite: gm at 2^47 / 2^48, aes never.
    assert_eq!((GM_NONCE_WARN_AT, GM_NONCE_BUDGET), (1 << 47, 1 << 48));
    assert_eq!(NonceBudget::of_suite(Suite::Gm, NONCE_BUDGET), NonceBudget::Within);
    assert_eq!(NonceBudget::of_suite(Suite::Gm, GM_NONCE_WARN_AT - 1), NonceBudget::Within);
    assert_eq!(NonceBudget::of_suite(Suite::Gm, GM_NONCE_WARN_AT), NonceBudget::Warning);
    assert_eq!(NonceBudget::of_suite(Suite::Gm, GM_NONCE_BUDGET - 1), NonceBudget::Warning);
    assert_eq!(NonceBudget::of_suite(Suite::Gm, GM_NONCE_BUDGET), NonceBudget::Exhausted);
    assert_eq!(NonceBudget::of_suite(Suite::Aes, GM_NONCE_BUDGET), NonceBudget::Within);
    assert_eq!(NonceBudget::of_suite(Suite::Aes, u64::MAX), NonceBudget::Within);
    let b = Budget::new(Suite::Gm, GM_NONCE_WARN_AT - 3, false);
    assert_eq!((b.warn_at, b.refuse_at), (2, GM_NONCE_BUDGET - GM_NONCE_WARN_AT + 3));
    let b = Budget::new(Suite::Gm, GM_NONCE_BUDGET + 9, false);
    assert_eq!((b.warn_at, b.refuse_at), (u64::MAX, 0));
    assert_eq!(Budget::new(Suite::Gm, GM_NONCE_BUDGET + 9, true).refuse_at, u64::MAX);
    let b = Budget::new(Suite::Aes, GM_NONCE_BUDGET + 9, false);
    assert_eq!((b.warn_at, b.refuse_at), (u64::MAX, u64::MAX));
}

/// Seals per child process in the concurrency test.
const CHILD_SEALS: u64 = 150;
const CHILD_ENV: &str = "DZ_LEDGER_TEST_CHILD";

/// Not a test on its own: the child of `concurrent_processes_sum_exactly`,
/// which runs this test binary with [`CHILD_ENV`] naming the keyring file.
#[test]
#[ignore = "the child process of concurrent_processes_sum_exactly"]
fn child_process_seals() {
    let Some(keys) = std::env::var_os(CHILD_ENV) else { return };
    let keyring = std::sync::Arc::new(Keyring::load(Path::new(&keys), &provider()).unwrap());
    std::thread::scope(|s| {
        for _ in 0..3 {
            let k = std::sync::Arc::clone(&keyring);
            s.spawn(move || {
                seal_n(&k, CHILD_SEALS / 6);
                k.record_seals().unwrap();
                seal_n(&k, CHILD_SEALS / 6);
            });
        }
    });
    // The rest is recorded when the last `Arc` drops the keyring.
}

#[test]
fn concurrent_processes_sum_exactly() {
    let d = dir("procs");
    let keys = keyring_file(&d, 0);
    let exe = std::env::current_exe().unwrap();
    let children: Vec<_> = (0..6)
        .map(|_| {
            std::process::Command::new(&exe)
                .args(["--exact", "keys::ledger::tests::child_process_seals", "--ignored", "-q"])
                .env(CHILD_ENV, &keys)
                .stdout(std::process::Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut c in children {
        assert!(c.wait().unwrap().success());
    }
    let totals = read(&Ledger::path_for(&keys)).unwrap();
    assert_eq!(totals.skipped, 0, "a torn or interleaved line");
    assert_eq!(totals.seals, BTreeMap::from([(1, 6 * CHILD_SEALS)]));
    let k = Keyring::load(&keys, &provider()).unwrap();
    assert_eq!(k.keys()[0].seal_count, 6 * CHILD_SEALS);
    let _ = std::fs::remove_dir_all(&d);
}
