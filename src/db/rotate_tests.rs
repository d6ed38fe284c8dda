//! The rotation job over an in-memory store: compare and swap against a
//! writer that strikes between read and update, checkpoints, stop, resume;
//! subject-sealed cells and the counters (issue 20, items 9 and 11).

use crate::error::{ConfigError, KeyError};
use crate::keys::{InMemorySubjectStore, SubjectKeyStore, SubjectRecord, WrappedKey};
use core::ops::ControlFlow;
use std::collections::BTreeMap;
use std::sync::Arc;

use super::*;
use crate::pseudo::{Domain, Transform};
use crate::{Context, Error, Keyring, MobilePhone, PersonName, Sealed};

/// Each row's envelopes and its first column's index, by key.
type Rows = BTreeMap<i64, (Vec<Option<String>>, Option<i64>)>;
/// A writer that strikes between a batch's read and its update.
type Writer = Box<dyn FnMut(&mut Rows) + Send>;

/// Rows by key; `on_apply` runs before each batch is applied (the writer).
#[derive(Default)]
struct Mem {
    rows: Rows,
    checkpoint: Option<i64>,
    on_apply: Option<Writer>,
}

impl RotationStore for Mem {
    type Error = std::io::Error;

    async fn fetch_after(&mut self, after: Option<i64>, limit: usize) -> Result<Vec<StoredRow>, Self::Error> {
        Ok(self
            .rows
            .range(after.map_or(i64::MIN, |a| a + 1)..)
            .take(limit)
            .map(|(&key, (values, _))| StoredRow { key, values: values.clone() })
            .collect())
    }

    async fn apply(&mut self, updates: &[RowUpdate], checkpoint: i64) -> Result<u64, Self::Error> {
        if let Some(f) = self.on_apply.as_mut() {
            f(&mut self.rows);
        }
        let mut full = 0;
        for u in updates {
            let (values, index) = self.rows.get_mut(&u.key).expect("row");
            let mut all = true;
            for (i, value) in values.iter_mut().enumerate() {
                if *value == u.expected[i] {
                    *value = u.values[i].clone();
                    if i == 0 && u.indexes[0].is_some() {
                        *index = u.indexes[0];
                    }
                } else {
                    all = false;
                }
            }
            full += u64::from(all);
        }
        self.checkpoint = Some(checkpoint);
        Ok(full)
    }

    async fn load_checkpoint(&mut self) -> Result<Option<i64>, Self::Error> {
        Ok(self.checkpoint)
    }

    async fn clear_checkpoint(&mut self) -> Result<(), Self::Error> {
        self.checkpoint = None;
        Ok(())
    }
}

fn block_on<F: core::future::Future>(f: F) -> F::Output {
    let mut f = core::pin::pin!(f);
    let mut cx = core::task::Context::from_waker(core::task::Waker::noop());
    loop {
        if let core::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
    }
}

fn ctx(column: &str, key: i64) -> Context {
    Context::new("users", column).with_row(&key.to_string())
}

#[test]
fn writes_between_read_and_update_win_column_by_column() {
    let mut keyring = Keyring::generate().unwrap();
    let phone: MobilePhone = "13800138000".parse().unwrap();
    let name: PersonName = "张三".parse().unwrap();
    let mut store = Mem::default();
    for key in 1..=30 {
        let values = vec![
            Some(keyring.seal_text(&phone, &ctx("phone", key)).unwrap()),
            Some(keyring.seal_text(&name, &ctx("name", key)).unwrap()),
        ];
        store.rows.insert(key, (values, Some(0)));
    }
    keyring.rotate().unwrap();
    let index =
        keyring.blind_index::<MobilePhone>(&Domain::new("users.phone").unwrap(), Transform::Full, 8).unwrap();
    let expected_index = index.compute(&phone).value() as i64;

    // The writer changes row 5's phone (under the new key) while the first
    // batch is in flight: its phone must stay as written, its name must move.
    let written =
        keyring.seal_text(&"13900139000".parse::<MobilePhone>().unwrap(), &ctx("phone", 5)).unwrap();
    let w = written.clone();
    store.on_apply = Some(Box::new(move |rows| {
        if let Some(row) = rows.get_mut(&5)
            && row.0[0].as_deref() != Some(w.as_str())
        {
            row.0[0] = Some(w.clone());
            row.1 = Some(-1);
        }
    }));
    let plan = RotationPlan::new("users", "id")
        .unwrap()
        .column(SealedColumn::<MobilePhone>::new("phone").unwrap().with_index("phone_idx", index).unwrap())
        .column(SealedColumn::<PersonName>::new("name").unwrap())
        .batch_size(8);
    let mut seen = Vec::new();
    let report = block_on(rotate(&keyring, &plan, &mut store, |p| {
        seen.push(p.last_key);
        ControlFlow::Continue(())
    }))
    .unwrap();
    assert_eq!(seen, [Some(8), Some(16), Some(24), Some(30)], "one callback per batch, keyset order");
    let p = report.progress;
    assert_eq!((p.scanned, p.rotated, p.conflicts, p.failed, p.current), (30, 29, 1, 0, 0));
    assert_eq!(report.remaining_old, Some(0));
    assert_eq!(store.checkpoint, None, "a finished pass clears the checkpoint");
    let (row5, idx5) = &store.rows[&5];
    assert_eq!(row5[0].as_deref(), Some(written.as_str()), "the writer's phone stays");
    assert_eq!(*idx5, Some(-1), "and so does the index it wrote");
    let name5: Sealed<PersonName> = row5[1].as_deref().unwrap().parse().unwrap();
    assert_eq!(name5.key_id(), 2, "the other column moved");
    for (key, (values, idx)) in store.rows.iter().filter(|(k, _)| **k != 5) {
        let sealed: Sealed<MobilePhone> = values[0].as_deref().unwrap().parse().unwrap();
        assert_eq!(keyring.open(&sealed, &ctx("phone", *key), "t").unwrap(), phone);
        assert_eq!((sealed.key_id(), *idx), (2, Some(expected_index)));
    }
}

/// Each batch of the job is one batch call: its re-seals share a nonce
/// group (one `N[0..12]` per column and batch, distinct `N[12..24]`), and
/// every one opens.
/// A one-column table of the same phone at `keys`, sealed under key 1,
/// and the keyring rotated to key 2; and the plan over it in batches of
/// `batch` rows.
fn phone_table(keys: impl IntoIterator<Item = i64>, batch: usize) -> (Keyring, Mem, RotationPlan) {
    let mut keyring = Keyring::generate().unwrap();
    let mut store = Mem::default();
    for key in keys {
        store.rows.insert(key, (vec![Some(keyring.seal_text(&phone(), &ctx("phone", key)).unwrap())], None));
    }
    keyring.rotate().unwrap();
    let plan = RotationPlan::new("users", "id")
        .unwrap()
        .column(SealedColumn::<MobilePhone>::new("phone").unwrap())
        .batch_size(batch);
    (keyring, store, plan)
}

fn phone() -> MobilePhone {
    "13800138000".parse().unwrap()
}

#[test]
fn each_batch_reseals_in_nonce_groups() {
    let (keyring, mut store, plan) = phone_table(1..=40, 20);
    let report = block_on(rotate(&keyring, &plan, &mut store, |_| ControlFlow::Continue(()))).unwrap();
    assert_eq!((report.progress.rotated, report.remaining_old), (40, Some(0)));
    let half = |key: i64, at: usize| {
        let bytes = crate::crypto::envelope::from_text(store.rows[&key].0[0].as_deref().unwrap()).unwrap();
        bytes[at..at + 12].to_vec()
    };
    let prefixes: std::collections::HashSet<_> = (1..=40).map(|k| half(k, 12)).collect();
    let tails: std::collections::HashSet<_> = (1..=40).map(|k| half(k, 24)).collect();
    assert_eq!((prefixes.len(), tails.len()), (2, 40), "one group per batch of 20");
    assert_eq!(half(1, 12), half(20, 12));
    for key in 1..=40 {
        let sealed: Sealed<MobilePhone> = store.rows[&key].0[0].as_deref().unwrap().parse().unwrap();
        assert_eq!(keyring.open(&sealed, &ctx("phone", key), "t").unwrap(), phone());
    }
}

#[test]
fn a_stopped_job_resumes_after_its_checkpoint() {
    let (keyring, mut store, plan) = phone_table((10..=200).step_by(10), 5);
    let mut batches = 0;
    let report = block_on(rotate(&keyring, &plan, &mut store, |_| {
        batches += 1;
        if batches == 2 { ControlFlow::Break(()) } else { ControlFlow::Continue(()) }
    }))
    .unwrap();
    assert!(report.stopped);
    assert_eq!(
        (report.progress.scanned, report.progress.last_key, report.remaining_old),
        (10, Some(100), None)
    );
    assert_eq!(store.checkpoint, Some(100));
    assert_eq!(block_on(count_remaining(&keyring, &plan, &mut store)).unwrap(), 10);

    let report = block_on(rotate(&keyring, &plan, &mut store, |_| ControlFlow::Continue(()))).unwrap();
    assert_eq!(report.progress.resumed_from, Some(100));
    assert_eq!((report.progress.scanned, report.progress.rotated), (10, 10));
    assert_eq!(report.remaining_old, Some(0));
}

#[test]
fn plans_without_columns_or_keyrings_without_an_active_key_are_refused() {
    let keyring = Keyring::generate().unwrap();
    let plan = RotationPlan::new("users", "id").unwrap();
    let err =
        block_on(rotate(&keyring, &plan, &mut Mem::default(), |_| ControlFlow::Continue(()))).unwrap_err();
    assert!(matches!(err, RotationError::Crypto(Error::Config(ConfigError::EmptyRotation))));
    let plan = plan.column(SealedColumn::<MobilePhone>::new("phone").unwrap());
    let err = block_on(rotate(&Keyring::new(), &plan, &mut Mem::default(), |_| ControlFlow::Continue(())))
        .unwrap_err();
    assert!(matches!(err, RotationError::Crypto(Error::NoActiveKey)));
    let _ = keyring;
}

/// A table of `rows` rows: a phone sealed under the keyring, and a name
/// sealed for subject `user-<key>` (issue 20, item 9).
fn mixed_table(keyring: &Keyring, subjects: &InMemorySubjectStore, rows: i64) -> Mem {
    let phone: MobilePhone = "13800138000".parse().unwrap();
    let name: PersonName = "张三".parse().unwrap();
    let mut store = Mem::default();
    for key in 1..=rows {
        let subject = format!("user-{key}");
        let values = vec![
            Some(keyring.seal_text(&phone, &ctx("phone", key)).unwrap()),
            Some(keyring.seal_for(subjects, &subject, &name, &ctx("name", key)).unwrap().to_text()),
        ];
        store.rows.insert(key, (values, None));
    }
    store
}

fn mixed_plan() -> RotationPlan {
    RotationPlan::new("users", "id")
        .unwrap()
        .column(SealedColumn::<MobilePhone>::new("phone").unwrap())
        .column(SealedColumn::<PersonName>::new("name").unwrap())
        .batch_size(4)
}

#[test]
fn the_documented_procedure_with_subject_keys_loses_no_subject_sealed_value() {
    let mut keyring = Keyring::generate().unwrap();
    let subjects = Arc::new(InMemorySubjectStore::new());
    let mut store = mixed_table(&keyring, &subjects, 10);
    keyring.rotate().unwrap();
    let plan = mixed_plan().subject_keys(subjects.clone());
    let report = block_on(rotate(&keyring, &plan, &mut store, |_| ControlFlow::Continue(()))).unwrap();
    let p = report.progress;
    assert_eq!((p.rotated, p.subject_sealed, p.failed), (10, 10, 0));
    assert_eq!((report.rewrapped_subject_keys, report.remaining_old), (10, Some(0)));
    assert_eq!(keyring.subject_keys_under(subjects.as_ref(), 1).unwrap(), 0);
    keyring.destroy_with_subjects(1, report.remaining_old.unwrap(), subjects.as_ref()).unwrap();
    let name: PersonName = "张三".parse().unwrap();
    for (key, (values, _)) in &store.rows {
        let sealed: Sealed<PersonName> = values[1].as_deref().unwrap().parse().unwrap();
        let opened =
            keyring.open_for(subjects.as_ref(), &format!("user-{key}"), &sealed, &ctx("name", *key), "t");
        assert_eq!(opened.unwrap(), name, "row {key}'s subject-sealed name survives key 1");
    }
}

#[test]
fn without_the_subject_key_store_nothing_is_destroyed() {
    let mut keyring = Keyring::generate().unwrap();
    let subjects = InMemorySubjectStore::new();
    let mut store = mixed_table(&keyring, &subjects, 6);
    keyring.rotate().unwrap();
    let plan = mixed_plan();
    let report = block_on(rotate(&keyring, &plan, &mut store, |_| ControlFlow::Continue(()))).unwrap();
    // Every subject-sealed value may depend on key 1: the job counts them.
    assert_eq!(report.remaining_old, Some(6));
    assert_eq!(report.remaining_keys, (1..=6).collect::<Vec<i64>>());
    assert_eq!(
        keyring.destroy(1, report.remaining_old.unwrap()),
        Err(Error::KeyInUse { id: 1, remaining: 6 })
    );
    assert_eq!(
        keyring.destroy_with_subjects(1, 0, &subjects),
        Err(Error::SubjectKeysInUse { id: 1, subject_keys: 6 })
    );
    assert_eq!(keyring.rewrap_subjects(&subjects).unwrap(), 6);
    assert_eq!(keyring.rewrap_subjects(&subjects).unwrap(), 0, "a second sweep has nothing to do");
    keyring.destroy_with_subjects(1, 0, &subjects).unwrap();
}

#[test]
fn a_store_that_cannot_list_its_subjects_fails_the_job_closed() {
    struct Unlisted(InMemorySubjectStore);
    impl SubjectKeyStore for Unlisted {
        fn load(&self, s: &str) -> crate::Result<Option<SubjectRecord>> {
            self.0.load(s)
        }
        fn insert_if_absent(&self, s: &str, k: WrappedKey) -> crate::Result<SubjectRecord> {
            self.0.insert_if_absent(s, k)
        }
        fn replace(&self, s: &str, k: WrappedKey) -> crate::Result<()> {
            self.0.replace(s, k)
        }
        fn forget(&self, s: &str) -> crate::Result<()> {
            self.0.forget(s)
        }
    }
    let mut keyring = Keyring::generate().unwrap();
    let subjects = Arc::new(Unlisted(InMemorySubjectStore::new()));
    let mut store = mixed_table(&keyring, &subjects.0, 2);
    keyring.rotate().unwrap();
    let plan = mixed_plan().subject_keys(subjects.clone());
    let err = block_on(rotate(&keyring, &plan, &mut store, |_| ControlFlow::Continue(()))).unwrap_err();
    assert!(matches!(err, RotationError::Crypto(Error::Key(KeyError::NoSubjectListing))));
    assert!(keyring.destroy_with_subjects(1, 0, subjects.as_ref()).is_err());
}

#[test]
fn counters_count_failed_values_and_rows_with_one_stay_out_of_rotated() {
    let mut keyring = Keyring::generate().unwrap();
    let phone: MobilePhone = "13800138000".parse().unwrap();
    let name: PersonName = "张三".parse().unwrap();
    let mut store = Mem::default();
    for key in 1..=6 {
        // Row 2's values are sealed for another row: neither opens here;
        // row 5's phone opens, its name does not.
        let at = if key == 2 { 99 } else { key };
        let values = vec![
            Some(keyring.seal_text(&phone, &ctx("phone", at)).unwrap()),
            Some(
                keyring.seal_text(&name, &ctx("name", if key == 2 || key == 5 { 99 } else { key })).unwrap(),
            ),
        ];
        store.rows.insert(key, (values, None));
    }
    let plan = mixed_plan().batch_size(3);
    keyring.rotate().unwrap();
    let mut batches = 0;
    let report = block_on(rotate(&keyring, &plan, &mut store, |_| {
        batches += 1;
        if batches == 1 { ControlFlow::Break(()) } else { ControlFlow::Continue(()) }
    }))
    .unwrap();
    assert_eq!((report.progress.rotated, report.progress.failed), (2, 2), "row 2: two values failed");
    let report = block_on(rotate(&keyring, &plan, &mut store, |_| ControlFlow::Continue(()))).unwrap();
    let p = report.progress;
    assert_eq!((p.scanned, p.rotated, p.failed, p.current), (3, 2, 1, 0), "row 5 is not rotated");
    assert_eq!(report.failed_keys, [5]);
    // Row 2 lies before the checkpoint of the resumed run: named all the same.
    assert_eq!((report.remaining_old, report.remaining_keys), (Some(4), vec![2, 5]));
    let row5: Sealed<MobilePhone> = store.rows[&5].0[0].as_deref().unwrap().parse().unwrap();
    assert_eq!(row5.key_id(), 1, "a row with a failed value is left as it is");
}

#[test]
fn an_open_that_cannot_be_audited_stops_the_job_before_its_batch() {
    struct Refuse;
    impl crate::audit::AuditSink for Refuse {
        fn record(
            &self,
            _: &crate::audit::AuditEvent<'_>,
        ) -> core::result::Result<(), crate::audit::AuditError> {
            Err(crate::audit::AuditError::Unavailable("disk full"))
        }
    }
    let mut keyring = Keyring::generate().unwrap();
    let phone: MobilePhone = "13800138000".parse().unwrap();
    let mut store = Mem::default();
    for key in 1..=3 {
        store.rows.insert(key, (vec![Some(keyring.seal_text(&phone, &ctx("phone", key)).unwrap())], None));
    }
    let before = store.rows.clone();
    keyring.rotate().unwrap();
    keyring.set_audit_sink(Arc::new(Refuse));
    let plan =
        RotationPlan::new("users", "id").unwrap().column(SealedColumn::<MobilePhone>::new("phone").unwrap());
    let err = block_on(rotate(&keyring, &plan, &mut store, |_| ControlFlow::Continue(()))).unwrap_err();
    assert!(matches!(err, RotationError::Crypto(Error::AuditFailed(_))), "{err}");
    assert_eq!((store.rows, store.checkpoint), (before, None), "nothing was written");
}
