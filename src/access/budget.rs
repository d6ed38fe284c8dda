//! Reveal budgets: the [`Clock`], the [`RevealCounter`] seam and its
//! in-memory implementation, and the window arithmetic every counter shares.

use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use super::Budget;
use crate::error::{BudgetLimit, CounterError};

/// The time budgets are counted in: seconds since the Unix epoch (UTC).
///
/// ```
/// use desensitize::access::{Clock, SystemClock};
///
/// assert!(SystemClock.now() > 1_700_000_000);
/// ```
pub trait Clock: Send + Sync {
    /// Now, in seconds since 1970-01-01T00:00:00Z.
    fn now(&self) -> u64;
}

/// The system's wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> u64 {
        SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
    }
}

/// A clock you set by hand (tests, replays).
///
/// ```
/// use desensitize::access::{Clock, ManualClock};
///
/// let clock = ManualClock::new(1_000);
/// clock.advance(60);
/// assert_eq!(clock.now(), 1_060);
/// ```
#[derive(Debug, Default)]
pub struct ManualClock(AtomicU64);

impl ManualClock {
    /// A clock standing at `now`.
    pub fn new(now: u64) -> ManualClock {
        ManualClock(AtomicU64::new(now))
    }

    /// Set the time.
    pub fn set(&self, now: u64) {
        self.0.store(now, Ordering::SeqCst);
    }

    /// Move the time forward by `seconds`.
    pub fn advance(&self, seconds: u64) {
        self.0.fetch_add(seconds, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// Counts in the current windows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Usage {
    /// Reveals in the current minute.
    pub minute: u64,
    /// Reveals in the current UTC day.
    pub day: u64,
    /// Distinct subjects in the current UTC day.
    pub subjects: u64,
}

impl Usage {
    /// The count `which` limits.
    pub fn of(&self, which: BudgetLimit) -> u64 {
        match which {
            BudgetLimit::PerMinute => self.minute,
            BudgetLimit::PerDay => self.day,
            BudgetLimit::SubjectsPerDay => self.subjects,
        }
    }
}

/// What a counter did with one reveal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Charge {
    /// Counted: the usage before and after this reveal.
    Counted {
        /// Before.
        before: Usage,
        /// After.
        after: Usage,
    },
    /// Not counted: it would cross this limit.
    Refused(BudgetLimit),
}

/// Counts reveals against budgets, atomically: check and count are one step,
/// so that concurrent callers (threads, processes, machines) cannot both
/// take the last reveal of a budget.
///
/// `who` is the budget's owner (`principal:NAME` or `role:NAME`); `subject`
/// an opaque keyed digest of the subject (never the subject itself), given
/// only where the budget limits distinct subjects.
///
/// ```
/// use desensitize::access::{Budget, Charge, RevealCounter};
/// use desensitize::CounterError;
///
/// /// A counter whose store is down: every reveal is refused (fail closed).
/// struct Down;
/// impl RevealCounter for Down {
///     fn charge(&self, _: &str, _: Option<&str>, _: u64, _: &Budget) -> Result<Charge, CounterError> {
///         Err(CounterError::Database)
///     }
///     fn lift(&self, _: &str) -> Result<(), CounterError> {
///         Err(CounterError::Database)
///     }
/// }
/// assert_eq!(Down.lift("principal:bob"), Err(CounterError::Database));
/// ```
pub trait RevealCounter: Send + Sync {
    /// Count one reveal at `now` unless it would cross a limit of `budget`.
    fn charge(
        &self,
        who: &str,
        subject: Option<&str>,
        now: u64,
        budget: &Budget,
    ) -> Result<Charge, CounterError>;

    /// Forget `who`'s counts (an administrator lifting a refusal).
    fn lift(&self, who: &str) -> Result<(), CounterError>;
}

/// One owner's counts in the current windows: what every counter stores.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub(crate) struct Tally {
    minute: u64,
    minute_count: u64,
    day: u64,
    day_count: u64,
    subjects: BTreeSet<String>,
}

impl Tally {
    fn usage(&self) -> Usage {
        Usage { minute: self.minute_count, day: self.day_count, subjects: self.subjects.len() as u64 }
    }

    /// Roll the windows to `now`, then count one reveal unless a limit of
    /// `budget` would be crossed.
    pub(crate) fn charge(&mut self, subject: Option<&str>, now: u64, budget: &Budget) -> Charge {
        let (minute, day) = (now / 60, now / 86_400);
        if self.minute != minute {
            (self.minute, self.minute_count) = (minute, 0);
        }
        if self.day != day {
            (self.day, self.day_count) = (day, 0);
            self.subjects.clear();
        }
        let before = self.usage();
        let new_subject = subject.is_some_and(|s| !self.subjects.contains(s));
        let after = Usage {
            minute: before.minute + 1,
            day: before.day + 1,
            subjects: before.subjects + u64::from(new_subject),
        };
        for which in [BudgetLimit::PerMinute, BudgetLimit::PerDay, BudgetLimit::SubjectsPerDay] {
            if budget.limit(which).is_some_and(|limit| after.of(which) > limit) {
                return Charge::Refused(which);
            }
        }
        self.minute_count = after.minute;
        self.day_count = after.day;
        if let (true, Some(s)) = (new_subject, subject) {
            self.subjects.insert(s.to_owned());
        }
        Charge::Counted { before, after }
    }
}

/// Counts in this process's memory: one process, many threads.
///
/// ```
/// use desensitize::access::{Budget, BudgetScope, Charge, InMemoryCounter, RevealCounter};
/// use desensitize::BudgetLimit;
///
/// let budget = Budget { per_minute: Some(1), per_day: None, subjects_per_day: None,
///                       warn_at_percent: 80, scope: BudgetScope::Principal };
/// let counter = InMemoryCounter::new();
/// assert!(matches!(counter.charge("principal:alice", None, 60, &budget)?, Charge::Counted { .. }));
/// assert_eq!(counter.charge("principal:alice", None, 61, &budget)?, Charge::Refused(BudgetLimit::PerMinute));
/// assert!(matches!(counter.charge("principal:alice", None, 120, &budget)?, Charge::Counted { .. }));
/// # Ok::<(), desensitize::CounterError>(())
/// ```
#[derive(Debug, Default)]
pub struct InMemoryCounter(Mutex<HashMap<String, Tally>>);

impl InMemoryCounter {
    /// An empty counter.
    pub fn new() -> InMemoryCounter {
        InMemoryCounter::default()
    }
}

impl RevealCounter for InMemoryCounter {
    fn charge(
        &self,
        who: &str,
        subject: Option<&str>,
        now: u64,
        budget: &Budget,
    ) -> Result<Charge, CounterError> {
        let mut map = self.0.lock().map_err(|_| CounterError::Poisoned)?;
        Ok(map.entry(who.to_owned()).or_default().charge(subject, now, budget))
    }

    fn lift(&self, who: &str) -> Result<(), CounterError> {
        self.0.lock().map_err(|_| CounterError::Poisoned)?.remove(who);
        Ok(())
    }
}
