//! The seal ledger of a keyring file, and the nonce budget it enforces:
//! see [`Ledger`].

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::Ordering;

use crate::error::{Error, Result};
use crate::keys::{KeyEntry, Keyring, Suite};

/// Seals per key that random 96-bit nonces allow (NIST SP 800-38D): the
/// limit of **envelope v1** (AES-256-GCM), which no root key writes any
/// more. Kept as that figure; the enforced limits are per suite
/// ([`NonceBudget::limits`]).
pub const NONCE_BUDGET: u64 = 1 << 32;
/// Half of [`NONCE_BUDGET`]: envelope v1's warning share.
pub const NONCE_WARN_AT: u64 = 1 << 31;
/// Seals per `gm` root key (SPEC.md §3a.6: SM4's 128-bit per-message keys
/// keep a multi-key search at ≥ 2^80 work up to 2^48 of them): sealing
/// under a `gm` key whose count reached it is refused.
pub const GM_NONCE_BUDGET: u64 = 1 << 48;
/// Half of [`GM_NONCE_BUDGET`]: a `gm` key past it should be rotated soon.
pub const GM_NONCE_WARN_AT: u64 = 1 << 47;

/// First word of every ledger line (format version 1).
const TAG: &str = "dzseals1";
/// Longest line the reader considers; longer ones are skipped.
const MAX_LINE: u64 = 256;

/// Where a key stands against the nonce budget of its suite
/// ([`NonceBudget::limits`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NonceBudget {
    /// Below the warning share (always, for an `aes` key).
    Within,
    /// At least the warning share (half the budget): rotate soon.
    Warning,
    /// The whole budget or more: sealing is refused; rotate.
    Exhausted,
}

impl NonceBudget {
    /// The state of a key with `seals` seals in all against envelope v1's
    /// figures ([`NONCE_WARN_AT`], [`NONCE_BUDGET`]). Root keys are held to
    /// their suite's budget instead: [`NonceBudget::of_suite`].
    ///
    /// ```
    /// use desensitize::keys::{NONCE_BUDGET, NonceBudget};
    /// assert_eq!(NonceBudget::of(NONCE_BUDGET), NonceBudget::Exhausted);
    /// ```
    pub fn of(seals: u64) -> NonceBudget {
        NonceBudget::against(NONCE_WARN_AT, NONCE_BUDGET, seals)
    }

    /// The state of a root key of `suite` with `seals` seals in all: what
    /// [`KeyInfo::nonce_budget`](crate::keys::KeyInfo::nonce_budget), the
    /// refusal to seal and `desensitize keys list` go by.
    ///
    /// ```
    /// use desensitize::keys::{GM_NONCE_BUDGET, GM_NONCE_WARN_AT, NonceBudget, Suite};
    ///
    /// // XAES-256-GCM: 2^80 seals, past anything a u64 counter reaches.
    /// assert_eq!(NonceBudget::of_suite(Suite::Aes, u64::MAX), NonceBudget::Within);
    /// assert_eq!(NonceBudget::of_suite(Suite::Gm, GM_NONCE_WARN_AT - 1), NonceBudget::Within);
    /// assert_eq!(NonceBudget::of_suite(Suite::Gm, GM_NONCE_WARN_AT), NonceBudget::Warning);
    /// assert_eq!(NonceBudget::of_suite(Suite::Gm, GM_NONCE_BUDGET), NonceBudget::Exhausted);
    /// ```
    pub fn of_suite(suite: Suite, seals: u64) -> NonceBudget {
        match NonceBudget::limits(suite) {
            Some((warn, budget)) => NonceBudget::against(warn, budget, seals),
            None => NonceBudget::Within,
        }
    }

    /// The enforced limits of a root key of `suite`, `(warn at, refuse at)`
    /// in seals (SECURITY.md, "Nonce budget"): `(2^47, 2^48)` for `gm`;
    /// `None` for `aes`, whose 2^80 (XAES-256-GCM) no u64 counter reaches.
    ///
    /// ```
    /// use desensitize::keys::{GM_NONCE_BUDGET, GM_NONCE_WARN_AT, NonceBudget, Suite};
    /// assert_eq!(NonceBudget::limits(Suite::Gm), Some((GM_NONCE_WARN_AT, GM_NONCE_BUDGET)));
    /// assert_eq!(NonceBudget::limits(Suite::Aes), None);
    /// ```
    pub fn limits(suite: Suite) -> Option<(u64, u64)> {
        match suite {
            Suite::Aes => None,
            Suite::Gm => Some((GM_NONCE_WARN_AT, GM_NONCE_BUDGET)),
        }
    }

    fn against(warn: u64, budget: u64, seals: u64) -> NonceBudget {
        match seals {
            n if n >= budget => NonceBudget::Exhausted,
            n if n >= warn => NonceBudget::Warning,
            _ => NonceBudget::Within,
        }
    }
}

/// A key's limits, in terms of its counter (file count + this process's
/// seals), computed when its ledger count is known: the hot path compares
/// the counter against them and nothing else.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Budget {
    /// Seals of this key in the ledger when it was read.
    pub(crate) ledgered: u64,
    /// Sealing is refused once the counter is at least this.
    refuse_at: u64,
    /// The seal that takes the counter from this value warns.
    warn_at: u64,
}

impl Budget {
    /// The limits of a key of `suite` with `ledgered` seals in its ledger
    /// (no limit for a suite without one, [`NonceBudget::limits`]).
    pub(crate) fn new(suite: Suite, ledgered: u64, allow_over: bool) -> Budget {
        let Some((warn, budget)) = NonceBudget::limits(suite) else {
            return Budget { ledgered, refuse_at: u64::MAX, warn_at: u64::MAX };
        };
        Budget {
            ledgered,
            refuse_at: if allow_over { u64::MAX } else { budget.saturating_sub(ledgered) },
            warn_at: (warn - 1).checked_sub(ledgered).unwrap_or(u64::MAX),
        }
    }
}

impl KeyEntry {
    /// Count one seal under this key, before it is made: refused (and not
    /// counted) once the key's budget is spent. One atomic add, as before
    /// the budget existed, and two compares.
    #[inline]
    pub(crate) fn count_seal(&self) -> Result<()> {
        let before = self.seals.fetch_add(1, Ordering::Relaxed);
        if before >= self.budget.refuse_at {
            self.seals.fetch_sub(1, Ordering::Relaxed);
            return Err(Error::NonceBudgetExhausted(self.id));
        }
        if before == self.budget.warn_at {
            warn_share_crossed(self.id, self.suite);
        }
        Ok(())
    }

    /// This key's seals in all: keyring file, ledger and this process.
    pub(crate) fn total_seals(&self) -> u64 {
        self.seals.load(Ordering::Relaxed).saturating_add(self.budget.ledgered)
    }
}

#[cold]
fn warn_share_crossed(_id: u32, _suite: Suite) {
    #[cfg(feature = "tracing")]
    if let Some((warn, budget)) = NonceBudget::limits(_suite) {
        tracing::warn!(
            key_id = _id,
            suite = _suite.as_str(),
            "desensitize: key is past half its nonce budget (2^{} of 2^{} seals for a `{}` key): rotate it and re-seal",
            warn.trailing_zeros(),
            budget.trailing_zeros(),
            _suite,
        );
    }
}

/// The seal ledger of a keyring file, and the nonce budget it enforces.
///
/// A keyring file is encrypted and replaced atomically, so processes that
/// seal under it never write it back (two of them would lose each other's
/// counts). Instead a [`Keyring`] loaded from a file ([`Keyring::load`])
/// carries a [`Ledger`]: the file `<keyring>.seals`, to which it appends
/// one line per key it sealed under, when its seals are recorded:
///
/// ```text
/// dzseals1 <key id> <count> <unix seconds> <label>
/// ```
///
/// A record is one `write(2)` on a file opened with `O_APPEND`, so the lines
/// of concurrent processes never interleave or overwrite each other. The file
/// is created 0600 and never opened through a symlink. Every sealing path
/// (`seal`, `seal_text`, a policy `Plan`, the derive, `db::rotate`, the
/// Python package) already counts its seals in the key's counter; recording
/// appends what was counted since the last record:
/// [`Keyring::record_seals`], and on drop of the keyring (best effort).
///
/// At load, the ledger's sums are added to the counts saved in the keyring
/// file: [`KeyInfo::seal_count`](crate::keys::KeyInfo::seal_count) is that total plus
/// this process's seals. Each key is held to the budget of its suite
/// ([`NonceBudget::limits`]; every root-key seal writes envelope v2): a
/// `gm` key whose total reaches [`GM_NONCE_BUDGET`] (2^48) refuses to seal
/// ([`Error::NonceBudgetExhausted`]) until it is rotated, unless the
/// keyring is told otherwise ([`Keyring::allow_over_budget`]); past
/// [`GM_NONCE_WARN_AT`] (2^47) it warns (a `tracing` event with the
/// `tracing` feature, and [`NonceBudget::Warning`] in
/// [`KeyInfo::nonce_budget`](crate::keys::KeyInfo::nonce_budget)). An `aes`
/// key (XAES-256-GCM, 2^80 seals) keeps counting but has no limit a u64
/// counter can reach: it never warns or refuses.
///
/// The ledger is advisory: it is not authenticated, so whoever can write it
/// can inflate the counts, and deleting it only makes them under-report.
pub struct Ledger {
    path: PathBuf,
    keys_path: PathBuf,
    label: String,
    skipped: u64,
    /// Per key id, the count saved in the keyring file.
    file_counts: Vec<(u32, u64)>,
    /// Per key id, the counter value already durable (in the keyring file
    /// or recorded in the ledger).
    recorded: Mutex<Vec<(u32, u64)>>,
}

/// Shows the paths and label: a ledger holds no secret.
impl core::fmt::Debug for Ledger {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Ledger").field("path", &self.path).field("label", &self.label).finish_non_exhaustive()
    }
}

impl Ledger {
    /// The ledger of the keyring file `keys`: `<keys>.seals`.
    ///
    /// ```
    /// use desensitize::keys::Ledger;
    /// let path = Ledger::path_for(std::path::Path::new("/etc/dz/keys.dzk"));
    /// assert_eq!(path, std::path::Path::new("/etc/dz/keys.dzk.seals"));
    /// ```
    pub fn path_for(keys: &Path) -> PathBuf {
        let mut name = keys.as_os_str().to_owned();
        name.push(".seals");
        PathBuf::from(name)
    }

    /// Remove the ledger of the keyring file `keys` (a new keyring saved
    /// there starts from zero seals); an absent ledger is fine.
    pub fn remove(keys: &Path) -> io::Result<()> {
        match std::fs::remove_file(Ledger::path_for(keys)) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }

    /// The ledger file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Lines of the ledger that were not ledger lines (torn, edited) when it
    /// was read: ignored.
    pub fn skipped_lines(&self) -> u64 {
        self.skipped
    }
}

impl Keyring {
    /// Attach the seal ledger of the keyring file `keys_path` (what
    /// [`Keyring::load`] does): its sums join the keys' seal counts, the
    /// nonce budget takes them into account, and the seals made from now on
    /// are appended to it by [`Keyring::record_seals`] and on drop.
    ///
    /// Errors: [`Error::Io`] when the ledger exists but cannot be read (a
    /// symlink or anything but a regular file is `InvalidInput`), or when
    /// a ledger attached before cannot take its pending seals.
    pub fn attach_ledger(&mut self, keys_path: &Path) -> Result<()> {
        // Attached again: what the old ledger has not recorded goes there first.
        self.record_seals()?;
        let path = Ledger::path_for(keys_path);
        let totals = read(&path).map_err(|e| Error::Io(e.kind()))?;
        let allow_over = self.over_budget_allowed();
        for k in &mut self.keys {
            let ledgered = totals.seals.get(&k.id).copied().unwrap_or(0);
            k.budget = Budget::new(k.suite, ledgered, allow_over);
            if NonceBudget::of_suite(k.suite, k.total_seals()) != NonceBudget::Within {
                warn_share_crossed(k.id, k.suite);
            }
        }
        let recorded: Vec<(u32, u64)> =
            self.keys.iter().map(|k| (k.id, k.seals.load(Ordering::Relaxed))).collect();
        self.ledger = Some(Ledger {
            file_counts: recorded.clone(),
            path,
            keys_path: keys_path.to_owned(),
            label: "lib".to_owned(),
            skipped: totals.skipped,
            recorded: Mutex::new(recorded),
        });
        Ok(())
    }

    /// The seal ledger this keyring records to, if it was loaded from a file.
    pub fn ledger(&self) -> Option<&Ledger> {
        self.ledger.as_ref()
    }

    /// Name the program in the ledger lines this keyring appends (one word
    /// of `a-z`, `0-9`, `-`, `_`, at most 32; anything else is written as
    /// `lib`, the default). The CLI writes its subcommand, Python `python`.
    pub fn set_ledger_label(&mut self, label: &str) {
        let ok = (1..=32).contains(&label.len())
            && label.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
        if let Some(ledger) = &mut self.ledger {
            ledger.label = if ok { label } else { "lib" }.to_owned();
        }
    }

    /// Append to the ledger the seals made since the keyring was loaded (or
    /// since the last record): one line per key, in one write. Returns how
    /// many seals were recorded; `Ok(0)` without a ledger.
    ///
    /// Call it when a job is done sealing, also when it failed part-way (the
    /// nonces were used); a long-running service calls it now and then. It
    /// also runs, best effort, when the keyring is dropped. On error the
    /// seals stay pending for the next record.
    ///
    /// ```
    /// use desensitize::keys::{Ledger, PassphraseProvider};
    /// use desensitize::{Context, Keyring, MobilePhone};
    ///
    /// let dir = std::env::temp_dir().join(format!("dz-doc-ledger-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir).unwrap();
    /// let path = dir.join("keys.dzk");
    /// // Small parameters keep the example fast; use `PassphraseProvider::new` for real files.
    /// let provider = PassphraseProvider::with_params("correct horse battery staple", 8, 1, 1)?;
    /// Keyring::generate()?.save(&path, &provider)?;
    ///
    /// let keyring = Keyring::load(&path, &provider)?; // with its ledger, keys.dzk.seals
    /// let phone: MobilePhone = "13800138000".parse()?;
    /// keyring.seal(&phone, &Context::new("users", "phone"))?;
    /// assert_eq!(keyring.record_seals()?, 1);
    /// let line = std::fs::read_to_string(Ledger::path_for(&path)).unwrap();
    /// assert!(line.starts_with("dzseals1 1 1 ") && line.ends_with(" lib\n"));
    ///
    /// // Another process (or this one, later) sees the seal.
    /// assert_eq!(Keyring::load(&path, &provider)?.keys()[0].seal_count, 1);
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), desensitize::Error>(())
    /// ```
    pub fn record_seals(&self) -> Result<u64> {
        let Some(ledger) = &self.ledger else { return Ok(0) };
        let mut recorded = ledger.recorded.lock().unwrap_or_else(|p| p.into_inner());
        let now: Vec<(u32, u64)> =
            self.keys.iter().map(|k| (k.id, k.seals.load(Ordering::Relaxed))).collect();
        let delta: Vec<(u32, u64)> = now
            .iter()
            .map(|&(id, n)| {
                let was = recorded.iter().find(|(r, _)| *r == id).map_or(0, |&(_, c)| c);
                (id, n.saturating_sub(was))
            })
            .collect();
        append(&ledger.path, &ledger.label, &delta).map_err(|e| Error::Io(e.kind()))?;
        *recorded = now;
        Ok(delta.iter().map(|(_, n)| n).fold(0, |a, n| a.saturating_add(*n)))
    }

    /// Let keys seal past their suite's nonce budget ([`GM_NONCE_BUDGET`]
    /// seals for a `gm` key, counted with the ledger; `aes` keys have no
    /// enforced budget): **dangerous**. Past 2^48 seals, a generic search
    /// against the SM4 per-message keys of one sealing key costs less than
    /// 2^80 work, and each key found opens (and forges) the message it
    /// sealed. Use it only to finish a job already under way, then rotate
    /// (`desensitize keys rotate`) and re-seal. `false` restores the refusal.
    ///
    /// ```
    /// use desensitize::keys::{GM_NONCE_BUDGET, Ledger, PassphraseProvider, Suite};
    /// use desensitize::{Context, Error, Keyring, MobilePhone};
    ///
    /// let dir = std::env::temp_dir().join(format!("dz-doc-budget-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir).unwrap();
    /// let path = dir.join("keys.dzk");
    /// let provider = PassphraseProvider::with_params("correct horse battery staple", 8, 1, 1)?;
    /// Keyring::generate_with(Suite::Gm)?.save(&path, &provider)?;
    /// // The ledger says key 1 (`gm`) has sealed its whole budget.
    /// std::fs::write(Ledger::path_for(&path), format!("dzseals1 1 {GM_NONCE_BUDGET} 0 run\n")).unwrap();
    ///
    /// let mut keyring = Keyring::load(&path, &provider)?;
    /// let (phone, ctx): (MobilePhone, _) = ("13800138000".parse()?, Context::new("users", "phone"));
    /// assert_eq!(keyring.seal(&phone, &ctx).unwrap_err(), Error::NonceBudgetExhausted(1));
    /// keyring.allow_over_budget(true); // to finish a job under way: see above
    /// keyring.seal(&phone, &ctx)?;
    /// keyring.allow_over_budget(false);
    /// keyring.rotate()?; // the way out: a new active key, with its own budget
    /// keyring.seal(&phone, &ctx)?;
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), desensitize::Error>(())
    /// ```
    pub fn allow_over_budget(&mut self, allow: bool) {
        self.over_budget = allow;
        for k in &mut self.keys {
            k.budget = Budget::new(k.suite, k.budget.ledgered, allow);
        }
    }

    pub(crate) fn over_budget_allowed(&self) -> bool {
        self.over_budget
    }

    /// Before the keyring is saved at `path`: when that is the file its
    /// ledger belongs to, record every pending seal in the ledger and return
    /// `true`: the file is then written with the counts it was loaded with
    /// ([`Keyring::saved_count`]), so that no seal is counted twice and none
    /// is lost to a seal racing the save.
    pub(crate) fn prepare_save(&self, path: &Path) -> Result<bool> {
        match &self.ledger {
            Some(ledger) if same_file(&ledger.keys_path, path) => {
                self.record_seals()?;
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    /// The count of `k` to write into a keyring file: the count it was
    /// loaded with when saved over its own file (`own`, after
    /// [`Keyring::prepare_save`]), else every seal known (file, ledger and
    /// this process), so that a copy elsewhere starts from the total.
    pub(crate) fn saved_count(&self, k: &KeyEntry, own: bool) -> u64 {
        match &self.ledger {
            Some(ledger) if own => {
                ledger.file_counts.iter().find(|(id, _)| *id == k.id).map_or(0, |&(_, n)| n)
            }
            _ => k.total_seals(),
        }
    }
}

/// Best effort: a keyring loaded from a file records its seals when dropped.
impl Drop for Keyring {
    fn drop(&mut self) {
        if let Err(_e) = self.record_seals() {
            #[cfg(feature = "tracing")]
            tracing::warn!(error = %_e, "desensitize: seals not recorded in the seal ledger");
        }
    }
}

fn same_file(a: &Path, b: &Path) -> bool {
    a == b || matches!((a.canonicalize(), b.canonicalize()), (Ok(x), Ok(y)) if x == y)
}

/// Append one line per `(key id, count)` with a non-zero count to the
/// ledger file `path`, in one write.
fn append(path: &Path, label: &str, counts: &[(u32, u64)]) -> io::Result<()> {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let mut lines = String::new();
    for &(id, n) in counts.iter().filter(|(_, n)| *n > 0) {
        lines.push_str(&format!("{TAG} {id} {n} {now} {label}\n"));
    }
    if lines.is_empty() {
        return Ok(());
    }
    let mut options = OpenOptions::new();
    options.append(true).create(true);
    let mut file = open_no_follow(path, &mut options)?;
    // One write call: O_APPEND makes it land whole at the end of the file.
    let written = file.write(lines.as_bytes())?;
    if written != lines.len() {
        return Err(io::Error::new(io::ErrorKind::WriteZero, "short write"));
    }
    Ok(())
}

/// What a ledger file holds.
#[derive(Debug, Default, PartialEq, Eq)]
struct Totals {
    /// Seals per key id (saturating sums).
    seals: BTreeMap<u32, u64>,
    /// Lines that are not ledger lines (torn, edited): ignored.
    skipped: u64,
}

/// Sum the ledger file `path`; an absent ledger is empty.
fn read(path: &Path) -> io::Result<Totals> {
    let mut options = OpenOptions::new();
    options.read(true);
    let file = match open_no_follow(path, &mut options) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Totals::default()),
        Err(e) => return Err(e),
    };
    let mut totals = Totals::default();
    let mut reader = BufReader::new(file);
    let mut line = Vec::with_capacity(64);
    loop {
        line.clear();
        let n = Read::take(&mut reader, MAX_LINE).read_until(b'\n', &mut line)?;
        if n == 0 {
            break;
        }
        if line.last() != Some(&b'\n') && n as u64 == MAX_LINE {
            // Overlong: skip to the end of the line.
            totals.skipped += 1;
            let mut rest = Vec::new();
            reader.read_until(b'\n', &mut rest)?;
            continue;
        }
        match parse_line(&line) {
            Some((id, count)) => {
                let sum = totals.seals.entry(id).or_default();
                *sum = sum.saturating_add(count);
            }
            None => totals.skipped += 1,
        }
    }
    Ok(totals)
}

/// `dzseals1 <id> <count> ...` -> `(id, count)`.
fn parse_line(line: &[u8]) -> Option<(u32, u64)> {
    let text = std::str::from_utf8(line).ok()?;
    let mut words = text.split_ascii_whitespace();
    if words.next()? != TAG {
        return None;
    }
    let id = words.next()?.parse().ok()?;
    let count = words.next()?.parse().ok()?;
    Some((id, count))
}

/// Open `path` with `options`, refusing a symlink (`O_NOFOLLOW`) and
/// anything but a regular file (a FIFO would block; `O_NONBLOCK` keeps the
/// open itself from blocking). Created files get mode 0600.
fn open_no_follow(path: &Path, options: &mut OpenOptions) -> io::Result<File> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600).custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    }
    #[cfg(not(unix))]
    if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "is a symlink"));
    }
    let file = options.open(path).map_err(|e| {
        // O_NOFOLLOW on a symlink fails with ELOOP: say what it means.
        #[cfg(unix)]
        if e.raw_os_error() == Some(libc::ELOOP) {
            return io::Error::new(io::ErrorKind::InvalidInput, "is a symlink");
        }
        e
    })?;
    if !file.metadata()?.is_file() {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "not a regular file"));
    }
    Ok(file)
}

#[cfg(test)]
#[path = "ledger_tests.rs"]
mod tests;
