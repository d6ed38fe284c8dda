//! Where audit events go: the one opener of an audit log file and the
//! checked standard-error sink, shared by the CLI's `open` and Python's
//! `Keyring` (issue 20), so both refuse the same destinations.
//!
//! A destination is refused when events written there would be lost
//! without an error: a symbolic link (the log must not be redirected into
//! another file), a device that discards what is written to it
//! (`/dev/null`, `/dev/zero`, `/dev/random`, `/dev/urandom`, matched by
//! device number so a copy made with `mknod` is refused too), and a closed
//! standard error. A terminal, a pipe, a socket and `/dev/full` (whose
//! writes fail, so the open fails closed) are accepted.

use std::fs::{File, Metadata, OpenOptions};
use std::io::Write;
use std::path::Path;
use std::sync::Mutex;

use super::{AuditError, AuditEvent, AuditSink, JsonLinesAudit, event_json};

/// Why an audit destination cannot be used. Value-free; the caller names
/// the path (it is the caller's, not a value).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum AuditLogError {
    /// The path is a symbolic link (dangling or not): refused, never followed.
    #[error("the audit log is a symbolic link; give the log file itself")]
    SymbolicLink,
    /// The destination is this device, which discards what is written to it.
    #[error("the audit log is {0}, which records nothing")]
    RecordsNothing(&'static str),
    /// Standard error is closed: events written there would be lost.
    #[error("standard error is closed")]
    StderrClosed,
    /// The file could not be opened (only the I/O error kind is kept).
    #[error("cannot open the audit log: {0}")]
    Open(std::io::ErrorKind),
}

impl JsonLinesAudit<File> {
    /// Open (or create, mode 0600) the audit log at `path` for appending.
    ///
    /// Refused: a symbolic link, also one swapped in after a check
    /// (`O_NOFOLLOW`; a dangling link's target is not created), and a device
    /// that records nothing, such as `/dev/null` (see [`AuditLogError`]). An
    /// existing file keeps its mode; events are appended to it.
    ///
    /// ```
    /// use desensitize::audit::{AuditLogError, JsonLinesAudit};
    ///
    /// let dir = std::env::temp_dir().join(format!("dz-audit-doc-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir).unwrap();
    /// let log = JsonLinesAudit::open(&dir.join("audit.jsonl"))?;
    /// # #[cfg(unix)]
    /// assert_eq!(
    ///     JsonLinesAudit::open(std::path::Path::new("/dev/null")).unwrap_err(),
    ///     AuditLogError::RecordsNothing("/dev/null")
    /// );
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), AuditLogError>(())
    /// ```
    pub fn open(path: &Path) -> Result<Self, AuditLogError> {
        open_log_file(path, false).map(JsonLinesAudit::new)
    }
}

/// The one opener of an audit log (and of a checkpoint file): created
/// 0600, appended to, never through a symbolic link, never a device that
/// records nothing; also readable when `read` (the chained writer reads
/// the last line back).
pub(super) fn open_log_file(path: &Path, read: bool) -> Result<File, AuditLogError> {
    if std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
        return Err(AuditLogError::SymbolicLink);
    }
    let mut options = OpenOptions::new();
    options.create(true).append(true).read(read);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600).custom_flags(libc::O_NOFOLLOW);
    }
    let file = options.open(path).map_err(|e| {
        // O_NOFOLLOW on a link swapped in after the check fails with ELOOP.
        #[cfg(unix)]
        if e.raw_os_error() == Some(libc::ELOOP) {
            return AuditLogError::SymbolicLink;
        }
        AuditLogError::Open(e.kind())
    })?;
    let meta = file.metadata().map_err(|e| AuditLogError::Open(e.kind()))?;
    if let Some(device) = discarding_device(&meta) {
        return Err(AuditLogError::RecordsNothing(device));
    }
    Ok(file)
}

/// The device `meta` describes when it is one that discards writes.
#[cfg(unix)]
fn discarding_device(meta: &Metadata) -> Option<&'static str> {
    use std::os::unix::fs::{FileTypeExt, MetadataExt};
    use std::sync::OnceLock;
    /// The discarding devices of this system, by device number.
    static DEVICES: OnceLock<Vec<(u64, &'static str)>> = OnceLock::new();
    if !meta.file_type().is_char_device() {
        return None;
    }
    let devices = DEVICES.get_or_init(|| {
        ["/dev/null", "/dev/zero", "/dev/random", "/dev/urandom"]
            .into_iter()
            .filter_map(|name| {
                let m = std::fs::metadata(name).ok()?;
                m.file_type().is_char_device().then(|| (m.rdev(), name))
            })
            .collect()
    });
    devices.iter().find(|(rdev, _)| *rdev == meta.rdev()).map(|(_, name)| *name)
}

#[cfg(not(unix))]
fn discarding_device(_: &Metadata) -> Option<&'static str> {
    None
}

/// Writes one JSON line per event to standard error, as [`JsonLinesAudit`]
/// does, but checks standard error on **every** event: when it is closed
/// or a device that records nothing (`/dev/null`), the event fails with
/// [`AuditError::Unavailable`] and the open returns nothing. Rust's own
/// `std::io::stderr()` reports success on a closed descriptor, so a plain
/// `JsonLinesAudit::new(std::io::stderr())` would lose events silently.
///
/// Checking per event (a `dup` and an `fstat`) keeps the guarantee in a
/// long-lived process whose standard error is closed or redirected after
/// the sink was made. Elsewhere than Unix, events go to standard error
/// unchecked.
///
/// ```
/// use std::sync::Arc;
/// use desensitize::audit::{StderrAudit, stderr_sink};
///
/// let mut keyring = desensitize::Keyring::generate()?;
/// // Refuse now, before anything is opened, when stderr records nothing:
/// if let Ok(sink) = stderr_sink() {
///     keyring.set_audit_sink(Arc::new(sink));
/// }
/// // Or check at each event only:
/// keyring.set_audit_sink(Arc::new(StderrAudit));
/// # Ok::<(), desensitize::Error>(())
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct StderrAudit;

/// Serializes this process's audit lines on standard error.
static STDERR_LINES: Mutex<()> = Mutex::new(());

impl StderrAudit {
    /// Whether standard error records what is written to it now: `Err` when
    /// it is closed or a discarding device such as `/dev/null`.
    pub fn check() -> Result<(), AuditLogError> {
        check_stderr()
    }
}

/// A [`StderrAudit`], or why standard error would lose its events (checked
/// now, and again at every event).
pub fn stderr_sink() -> Result<StderrAudit, AuditLogError> {
    StderrAudit::check()?;
    Ok(StderrAudit)
}

/// A duplicate of file descriptor 2, when it records what is written.
#[cfg(unix)]
fn stderr_file() -> Result<File, AuditLogError> {
    use std::os::fd::AsFd;
    let fd = std::io::stderr().as_fd().try_clone_to_owned().map_err(|_| AuditLogError::StderrClosed)?;
    let file = File::from(fd);
    let meta = file.metadata().map_err(|_| AuditLogError::StderrClosed)?;
    match discarding_device(&meta) {
        Some(device) => Err(AuditLogError::RecordsNothing(device)),
        None => Ok(file),
    }
}

#[cfg(unix)]
fn check_stderr() -> Result<(), AuditLogError> {
    stderr_file().map(drop)
}

#[cfg(not(unix))]
fn check_stderr() -> Result<(), AuditLogError> {
    Ok(())
}

impl AuditSink for StderrAudit {
    fn record(&self, event: &AuditEvent<'_>) -> Result<(), AuditError> {
        let mut line = event_json(event).to_string();
        line.push('\n');
        let _serial = STDERR_LINES.lock().map_err(|_| AuditError::WriterPoisoned)?;
        #[cfg(unix)]
        {
            let mut out = stderr_file().map_err(|e| match e {
                AuditLogError::StderrClosed => AuditError::Unavailable("standard error is closed"),
                _ => AuditError::Unavailable("standard error records nothing"),
            })?;
            // Behind Rust's own stderr lock, so lines do not interleave with its writes.
            let _std = std::io::stderr().lock();
            out.write_all(line.as_bytes())?;
            out.flush()?;
        }
        #[cfg(not(unix))]
        {
            let mut out = std::io::stderr().lock();
            out.write_all(line.as_bytes())?;
            out.flush()?;
        }
        Ok(())
    }
}

#[cfg(all(test, unix))]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn scratch(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("dz-audit-dest-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn a_new_log_is_private_and_appended_to() {
        let dir = scratch("new");
        let path = dir.join("audit.jsonl");
        drop(JsonLinesAudit::open(&path).unwrap());
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        std::fs::write(&path, "earlier\n").unwrap();
        let log = JsonLinesAudit::open(&path).unwrap();
        log.out.lock().unwrap().write_all(b"later\n").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "earlier\nlater\n");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn links_are_refused_and_never_followed() {
        let dir = scratch("links");
        std::fs::write(dir.join("elsewhere"), "").unwrap();
        std::os::unix::fs::symlink(dir.join("elsewhere"), dir.join("link")).unwrap();
        std::os::unix::fs::symlink(dir.join("missing"), dir.join("dangling")).unwrap();
        for link in ["link", "dangling"] {
            assert_eq!(JsonLinesAudit::open(&dir.join(link)).unwrap_err(), AuditLogError::SymbolicLink);
        }
        assert!(!dir.join("missing").exists(), "a dangling link's target was created");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn devices_that_discard_are_refused_and_dev_full_is_not() {
        for device in ["/dev/null", "/dev/zero", "/dev/urandom"] {
            let err = JsonLinesAudit::open(Path::new(device)).unwrap_err();
            assert_eq!(err, AuditLogError::RecordsNothing(device));
            assert_eq!(err.to_string(), format!("the audit log is {device}, which records nothing"));
        }
        // Its writes fail, so every open through it fails closed.
        assert!(JsonLinesAudit::open(Path::new("/dev/full")).is_ok());
        // A regular file and a directory are no discarding devices.
        assert_eq!(discarding_device(&std::fs::metadata("/dev").unwrap()), None);
    }

    #[test]
    fn a_directory_is_an_open_error_that_names_no_path() {
        let dir = scratch("dir");
        let err = JsonLinesAudit::open(&dir).unwrap_err();
        assert!(matches!(err, AuditLogError::Open(_)), "{err:?}");
        assert!(!err.to_string().contains("dz-audit-dest"), "{err}");
        std::fs::remove_dir_all(dir).unwrap();
    }
}
