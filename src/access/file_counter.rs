//! [`FileCounter`]: reveal counts in one file, shared by every process on a
//! machine under an exclusive lock.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use super::Budget;
use super::budget::{Charge, RevealCounter, Tally};
use crate::error::CounterError;

/// The largest counter file read (an untrusted size is capped).
const MAX_FILE: u64 = 16 << 20;

/// Reveal counts in a JSON file that several processes on one machine share.
///
/// Every [`RevealCounter::charge`] opens the file (created 0600, never
/// through a symbolic link), takes an exclusive lock
/// ([`File::lock`]), reads, counts, rewrites and syncs it, and unlocks: the
/// check and the count are one step for all processes. A file that is not
/// what this crate writes is [`CounterError::Corrupt`], so reveals fail
/// closed rather than start again from zero. The file holds budget owners
/// (`principal:NAME`) and keyed subject digests, never values.
///
/// ```
/// use desensitize::access::{Budget, BudgetScope, Charge, FileCounter, RevealCounter};
///
/// let dir = std::env::temp_dir().join(format!("dz-counter-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir).unwrap();
/// let counter = FileCounter::new(dir.join("reveals.json"));
/// let budget = Budget { per_minute: None, per_day: Some(2), subjects_per_day: None,
///                       warn_at_percent: 50, scope: BudgetScope::Principal };
/// for _ in 0..2 {
///     assert!(matches!(counter.charge("principal:bob", None, 0, &budget)?, Charge::Counted { .. }));
/// }
/// // Another process (here: another handle) sees the same counts.
/// let other = FileCounter::new(dir.join("reveals.json"));
/// assert!(matches!(other.charge("principal:bob", None, 1, &budget)?, Charge::Refused(_)));
/// other.lift("principal:bob")?;
/// assert!(matches!(counter.charge("principal:bob", None, 2, &budget)?, Charge::Counted { .. }));
/// # std::fs::remove_dir_all(&dir).unwrap();
/// # Ok::<(), desensitize::CounterError>(())
/// ```
#[derive(Debug, Clone)]
pub struct FileCounter {
    path: PathBuf,
}

type Tallies = BTreeMap<String, Tally>;

impl FileCounter {
    /// A counter in the file at `path` (created on first use).
    pub fn new(path: impl Into<PathBuf>) -> FileCounter {
        FileCounter { path: path.into() }
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Run `f` on the counts under the file's exclusive lock; write them back
    /// when `f` says they changed.
    fn with_locked<R>(&self, f: impl FnOnce(&mut Tallies) -> (R, bool)) -> Result<R, CounterError> {
        let mut file = open_no_follow(&self.path)?;
        file.lock()?;
        let result = (|| {
            let mut text = String::new();
            (&mut file).take(MAX_FILE + 1).read_to_string(&mut text).map_err(|_| CounterError::Corrupt)?;
            if text.len() as u64 > MAX_FILE {
                return Err(CounterError::Corrupt);
            }
            let mut tallies: Tallies = if text.trim().is_empty() {
                Tallies::new()
            } else {
                serde_json::from_str(&text).map_err(|_| CounterError::Corrupt)?
            };
            let (out, changed) = f(&mut tallies);
            if changed {
                let bytes = serde_json::to_vec(&tallies).map_err(|_| CounterError::Corrupt)?;
                file.seek(SeekFrom::Start(0))?;
                file.set_len(0)?;
                file.write_all(&bytes)?;
                file.sync_data()?;
            }
            Ok(out)
        })();
        let unlocked = file.unlock();
        let out = result?;
        unlocked?;
        Ok(out)
    }
}

fn open_no_follow(path: &Path) -> Result<File, CounterError> {
    let mut options = OpenOptions::new();
    options.read(true).write(true).create(true).truncate(false);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600).custom_flags(libc::O_NOFOLLOW);
    }
    Ok(options.open(path)?)
}

impl RevealCounter for FileCounter {
    fn charge(
        &self,
        who: &str,
        subject: Option<&str>,
        now: u64,
        budget: &Budget,
    ) -> Result<Charge, CounterError> {
        self.with_locked(|tallies| {
            let charge = tallies.entry(who.to_owned()).or_default().charge(subject, now, budget);
            (charge, matches!(charge, Charge::Counted { .. }))
        })
    }

    fn lift(&self, who: &str) -> Result<(), CounterError> {
        self.with_locked(|tallies| ((), tallies.remove(who).is_some()))
    }
}
