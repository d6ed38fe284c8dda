//! Access rules: who may see what, for which purpose, how much of it.
//!
//! [`AccessRules`] (a TOML / JSON document) define roles: per kind and per
//! `table.column`, whether a role sees `none`, a masked display (`strict`,
//! `standard`, `relaxed`) or the `full` plaintext; for which purposes; and
//! its reveal [`Budget`]. Attach them to a keyring with
//! [`Keyring::set_access`](crate::Keyring::set_access) and from then on:
//!
//! - every open without a [`Principal`] is refused
//!   ([`AccessError::NoPrincipal`]): `open`, `open_text`, `open_for`,
//!   `reidentify`, `FpeCipher::reidentify`, `columns::open_text`, derived
//!   records, the CLI and Python alike;
//! - the principal-carrying opens ([`Keyring::open_as`](crate::Keyring::open_as),
//!   [`Keyring::open_text_as`](crate::Keyring::open_text_as),
//!   [`Keyring::reidentify_as`](crate::Keyring::reidentify_as),
//!   [`columns::open_text_as`](crate::columns::open_text_as)) go through one
//!   check: the role, the purpose, the reveal for the value's kind and
//!   column, then the budget. A masked decision returns the kind's mask
//!   ([`Revealed::Masked`]): the plaintext never leaves the library;
//! - every decision (allowed, masked, refused) is an audit event naming the
//!   principal, role, OS user, purpose, kind and context; a budget crossing
//!   its warning threshold adds an alarm event (and a `tracing` warning with
//!   the `tracing` feature, and the [`Access::on_alarm`] hook). If an event
//!   cannot be recorded, nothing is returned.
//!
//! Budgets are counted by a [`RevealCounter`]: [`InMemoryCounter`] (one
//! process), [`FileCounter`] (the processes of one machine, under a file
//! lock) or, with the `sqlx` feature, `PgCounter` (a fleet, in a
//! PostgreSQL table, `desensitize_reveal_counts`). What this does and does not protect against: SECURITY.md,
//! "Access rules".
//!
//! ```
//! use std::sync::Arc;
//! use desensitize::access::{Access, AccessRules, Principal, Revealed};
//! use desensitize::{AccessError, Context, Error, IdNumber, Keyring, MobilePhone};
//!
//! let rules = AccessRules::from_toml(r#"
//!     [roles.support]
//!     purposes = ["support-ticket"]
//!     kinds = { mobile_phone = "standard", id_number = "none" }
//!     [roles.auditor]
//!     purposes = ["audit"]
//!     default = "full"
//! "#)?;
//! let mut keyring = Keyring::generate()?;
//! let ctx = Context::new("users", "phone").with_row("7");
//! let phone = keyring.seal(&"13800138000".parse::<MobilePhone>()?, &ctx)?;
//! keyring.set_access(Access::new(rules)?);
//!
//! let support = Principal::new("alice", "support");
//! let shown = keyring.open_as(&support, &phone, &ctx, "support-ticket")?;
//! assert_eq!(shown.display(), "138****8000");
//! assert!(matches!(shown, Revealed::Masked(_)));
//!
//! let auditor = Principal::new("carol", "auditor");
//! assert_eq!(keyring.open_as(&auditor, &phone, &ctx, "audit")?.into_full().unwrap().expose(), "13800138000");
//! assert_eq!(
//!     keyring.open_as(&auditor, &phone, &ctx, "marketing").unwrap_err(),
//!     Error::Access(AccessError::Purpose)
//! );
//! // Without a principal: refused.
//! assert_eq!(keyring.open(&phone, &ctx, "x").unwrap_err(), Error::Access(AccessError::NoPrincipal));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod budget;
mod error;
mod file_counter;
#[cfg(feature = "sqlx")]
mod pg_counter;
mod rules;

use std::fmt;
use std::sync::Arc;

pub use budget::{Charge, Clock, InMemoryCounter, ManualClock, RevealCounter, SystemClock, Usage};
pub use error::RulesError;
pub use file_counter::FileCounter;
#[cfg(feature = "sqlx")]
pub use pg_counter::PgCounter;
pub use rules::{AccessRules, Budget, BudgetScope, Reveal, Role};

use crate::crypto::Context;
use crate::error::{AccessError, BudgetLimit, Error, Result};
use crate::kind::{Kind, Sensitive};

/// Who is asking: a name, the role the caller maps it to, and the OS user
/// it acts as (recorded beside it, not authenticated).
///
/// ```
/// use desensitize::access::{AccessRules, Principal};
///
/// let rules = AccessRules::from_toml("[principals]\nalice = \"support\"\n[roles.support]\npurposes = [\"*\"]\n")?;
/// let alice = Principal::from_rules(&rules, "alice")?.with_os_user("alice_l");
/// assert_eq!((alice.name(), alice.role(), alice.os_user()), ("alice", "support", Some("alice_l")));
/// assert!(Principal::from_rules(&rules, "mallory").is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    name: String,
    role: String,
    os_user: Option<String>,
}

impl Principal {
    /// The principal `name` acting in `role`.
    pub fn new(name: &str, role: &str) -> Principal {
        Principal { name: name.to_owned(), role: role.to_owned(), os_user: None }
    }

    /// The principal `name` in the role the rules' `[principals]` give it;
    /// [`AccessError::UnknownPrincipal`] when they give none.
    pub fn from_rules(rules: &AccessRules, name: &str) -> Result<Principal> {
        let role = rules.role_of(name).ok_or(Error::Access(AccessError::UnknownPrincipal))?;
        Ok(Principal::new(name, role))
    }

    /// Record `user` as the operating-system user acting.
    pub fn with_os_user(mut self, user: &str) -> Principal {
        self.os_user = Some(user.to_owned());
        self
    }

    /// Record the OS user of this process, from `USER`, `LOGNAME` or
    /// `USERNAME` (unchanged when none is set).
    pub fn with_current_os_user(self) -> Principal {
        let user = ["USER", "LOGNAME", "USERNAME"].iter().find_map(|v| std::env::var(v).ok());
        match user {
            Some(u) if !u.is_empty() => self.with_os_user(&u),
            _ => self,
        }
    }

    /// The name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The role.
    pub fn role(&self) -> &str {
        &self.role
    }

    /// The OS user, when recorded.
    pub fn os_user(&self) -> Option<&str> {
        self.os_user.as_deref()
    }
}

/// What an open through access rules returns: the value, or only its mask.
///
/// ```
/// use desensitize::access::Revealed;
/// use desensitize::MobilePhone;
///
/// let full: Revealed<MobilePhone> = Revealed::Full("13800138000".parse()?);
/// assert_eq!(full.display(), "138****8000"); // what to show is still the mask
/// assert_eq!(format!("{full:?}"), "Full(MobilePhone([REDACTED]))");
/// let masked: Revealed<MobilePhone> = Revealed::Masked("*******8000".into());
/// assert!(masked.into_full().is_none());
/// # Ok::<(), desensitize::Error>(())
/// ```
pub enum Revealed<T> {
    /// The rules allowed the plaintext.
    Full(T),
    /// The rules allowed the masked display only (the kind's mask at the
    /// role's level); the plaintext was wiped inside the library.
    Masked(String),
}

impl<T: Sensitive> Revealed<T> {
    /// The value, when revealed in full.
    pub fn into_full(self) -> Option<T> {
        match self {
            Revealed::Full(v) => Some(v),
            Revealed::Masked(_) => None,
        }
    }

    /// What to show: the standard mask of a full value (its `Display`), or
    /// the masked display.
    pub fn display(&self) -> String {
        match self {
            Revealed::Full(v) => v.to_string(),
            Revealed::Masked(m) => m.clone(),
        }
    }
}

/// `Full(<kind's Debug>)` or `Masked(..)`: never the value.
impl<T: Sensitive> fmt::Debug for Revealed<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Revealed::Full(v) => write!(f, "Full({v:?})"),
            Revealed::Masked(_) => f.write_str("Masked(..)"),
        }
    }
}

/// A budget's warning threshold crossed, as given to [`Access::on_alarm`].
#[derive(Debug, Clone, Copy)]
pub struct Alarm<'a> {
    /// The principal whose reveal crossed it.
    pub principal: &'a str,
    /// Its role.
    pub role: &'a str,
    /// Which limit.
    pub limit: BudgetLimit,
    /// The count after the reveal.
    pub used: u64,
    /// The limit.
    pub max: u64,
}

type AlarmHook = Arc<dyn Fn(&Alarm<'_>) + Send + Sync>;

/// Access rules with the counter, clock and alarm hook they run with: what
/// [`Keyring::set_access`](crate::Keyring::set_access) attaches.
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use desensitize::access::{Access, AccessRules, ManualClock, Principal};
/// use desensitize::{AccessError, BudgetLimit, Context, Error, Keyring, MobilePhone};
///
/// let rules = AccessRules::from_toml(
///     "[roles.desk]\npurposes = [\"*\"]\ndefault = \"full\"\nbudget = { per_minute = 2, warn_at_percent = 50 }\n",
/// )?;
/// let alarms = Arc::new(Mutex::new(Vec::new()));
/// let seen = alarms.clone();
/// let clock = Arc::new(ManualClock::new(0));
/// let mut keyring = Keyring::generate()?;
/// let ctx = Context::new("users", "phone");
/// let sealed = keyring.seal(&"13800138000".parse::<MobilePhone>()?, &ctx)?;
/// keyring.set_access(
///     Access::new(rules)?
///         .with_clock(clock.clone())
///         .on_alarm(move |a| seen.lock().unwrap().push((a.limit, a.used, a.max))),
/// );
/// let bob = Principal::new("bob", "desk");
/// keyring.open_as(&bob, &sealed, &ctx, "ticket")?; // 1 of 2: the alarm (50%)
/// keyring.open_as(&bob, &sealed, &ctx, "ticket")?;
/// let over = keyring.open_as(&bob, &sealed, &ctx, "ticket").unwrap_err();
/// assert_eq!(over, Error::Access(AccessError::OverBudget(BudgetLimit::PerMinute)));
/// assert_eq!(*alarms.lock().unwrap(), [(BudgetLimit::PerMinute, 1, 2)]);
/// keyring.access().unwrap().lift(&bob)?; // an administrator lifts it
/// keyring.open_as(&bob, &sealed, &ctx, "ticket")?;
/// clock.advance(60); // or the window passes
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Access {
    rules: AccessRules,
    counter: Arc<dyn RevealCounter>,
    clock: Arc<dyn Clock>,
    hook: Option<AlarmHook>,
}

/// Shows the role names only.
impl fmt::Debug for Access {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Access")
            .field("roles", &self.rules.roles.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl Access {
    /// `rules` (checked again), counted in memory by the system clock.
    pub fn new(rules: AccessRules) -> core::result::Result<Access, RulesError> {
        rules.check()?;
        Ok(Access {
            rules,
            counter: Arc::new(InMemoryCounter::new()),
            clock: Arc::new(SystemClock),
            hook: None,
        })
    }

    /// Count budgets with `counter` (a [`FileCounter`] to share among processes).
    pub fn with_counter(mut self, counter: Arc<dyn RevealCounter>) -> Access {
        self.counter = counter;
        self
    }

    /// Read the time from `clock`.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Access {
        self.clock = clock;
        self
    }

    /// Call `hook` on every alarm (after its audit event is recorded).
    pub fn on_alarm(mut self, hook: impl Fn(&Alarm<'_>) + Send + Sync + 'static) -> Access {
        self.hook = Some(Arc::new(hook));
        self
    }

    /// The rules.
    pub fn rules(&self) -> &AccessRules {
        &self.rules
    }

    /// Lift `principal`'s budget refusal now (an administrator's act): its
    /// counts (or its role's, for a role-scoped budget) start again.
    pub fn lift(&self, principal: &Principal) -> Result<()> {
        let role = self.rules.roles.get(principal.role()).ok_or(Error::Access(AccessError::UnknownRole))?;
        let Some(budget) = &role.budget else { return Ok(()) };
        self.counter.lift(&owner(principal, budget)).map_err(|e| Error::Access(AccessError::Counter(e)))
    }

    /// The one decision for a reveal: the role exists, the purpose is
    /// allowed, and the reveal for the value's kind and column is not `none`.
    pub(crate) fn decide(&self, who: &Principal, kind: Kind, ctx: &Context, purpose: &str) -> Result<Reveal> {
        let role = self.rules.roles.get(who.role()).ok_or(Error::Access(AccessError::UnknownRole))?;
        if !role.allows_purpose(purpose) {
            return Err(Error::Access(AccessError::Purpose));
        }
        match role.reveal_for(kind, table_column(ctx)) {
            Reveal::None => Err(Error::Access(AccessError::Denied)),
            reveal => Ok(reveal),
        }
    }

    /// Whether `who`'s role counts distinct subjects (so a digest is needed).
    pub(crate) fn counts_subjects(&self, who: &Principal) -> bool {
        self.budget(who).is_some_and(|b| b.subjects_per_day.is_some())
    }

    fn budget(&self, who: &Principal) -> Option<&Budget> {
        self.rules.roles.get(who.role()).and_then(|r| r.budget.as_ref())
    }

    /// Count one reveal against `who`'s budget: the limits whose warning
    /// threshold this reveal crossed, or the refusal.
    pub(crate) fn charge(
        &self,
        who: &Principal,
        subject: Option<&str>,
    ) -> Result<Vec<(BudgetLimit, u64, u64)>> {
        let Some(budget) = self.budget(who) else { return Ok(Vec::new()) };
        let charge = self.counter.charge(&owner(who, budget), subject, self.clock.now(), budget);
        match charge.map_err(|e| Error::Access(AccessError::Counter(e)))? {
            Charge::Refused(limit) => Err(Error::Access(AccessError::OverBudget(limit))),
            Charge::Counted { before, after } => {
                Ok([BudgetLimit::PerMinute, BudgetLimit::PerDay, BudgetLimit::SubjectsPerDay]
                    .into_iter()
                    .filter_map(|l| {
                        let (warn, max) = (budget.warn_at(l)?, budget.limit(l)?);
                        (before.of(l) < warn && after.of(l) >= warn).then_some((l, after.of(l), max))
                    })
                    .collect())
            }
        }
    }

    /// Tell `tracing` (feature `tracing`) and the hook about a recorded alarm.
    pub(crate) fn raise(&self, alarm: &Alarm<'_>) {
        #[cfg(feature = "tracing")]
        tracing::warn!(
            target: "desensitize::access",
            principal = alarm.principal, role = alarm.role, limit = alarm.limit.as_str(),
            used = alarm.used, max = alarm.max,
            "reveal budget warning"
        );
        if let Some(hook) = &self.hook {
            hook(alarm);
        }
    }
}

/// The budget owner's key in a counter: `principal:NAME` or `role:NAME`.
fn owner(who: &Principal, budget: &Budget) -> String {
    match budget.scope {
        BudgetScope::Principal => format!("principal:{}", who.name()),
        BudgetScope::Role => format!("role:{}", who.role()),
    }
}

/// The context's `table` and `column`, when it has them.
fn table_column(ctx: &Context) -> Option<(&str, &str)> {
    let mut fields = ctx.fields();
    match (fields.next(), fields.next()) {
        (Some(("table", t)), Some(("column", c))) => Some((t, c)),
        _ => None,
    }
}
