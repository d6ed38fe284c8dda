//! [`ChainedAudit`]: the tamper-evident writer. Each event is one chained
//! line (see `chain.rs`), appended under an exclusive lock on the log file
//! after reading the last line's sequence number and MAC back, so several
//! processes appending to one log keep one chain; every `every` lines it
//! also appends a MACed checkpoint (line count + head MAC) to a separate
//! file that the log's writers need not be able to rewrite.

use std::fs::File;
use std::io::{BufRead, Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use super::chain::{AuditKeys, MAC_LEN, MAX_LINE, body_with, hex, seal_line, split_line};
use super::destination::open_log_file;
use super::{AuditError, AuditEvent, AuditLogError, AuditSink, event_json};

/// Appends tamper-evident audit lines: [`event_json`] plus `seq`,
/// `mac_key` and a `mac` chained over the previous line's MAC under a key
/// derived from the keyring ([`AuditKeys`]). Whoever can write the log but
/// not read the keyring cannot recompute a MAC, so a changed, deleted,
/// reordered or inserted line is found by
/// [`verify_chain`](super::verify_chain) (`desensitize audit verify`), and a
/// truncated tail by the checkpoints ([`ChainedAudit::with_checkpoints`]).
///
/// Processes sharing one log keep one chain: each event takes an exclusive
/// lock on the file (`flock`), reads the last line back, appends, and
/// unlocks. A log whose last line is not a chained line (an unchained
/// log, a line cut short) is refused: the event fails with
/// [`AuditError::Unavailable`] and the open returns nothing. Start a new
/// file instead. A destination that is not a regular file (a pipe, a
/// character device) cannot be read back: its chain is kept in memory,
/// from line 1, for the life of the sink.
///
/// ```
/// use std::sync::Arc;
/// use desensitize::audit::{ChainedAudit, verify_chain};
/// use desensitize::{Context, Keyring, MobilePhone};
///
/// let dir = std::env::temp_dir().join(format!("dz-chain-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir).unwrap();
/// let (log, checkpoints) = (dir.join("audit.jsonl"), dir.join("audit.checkpoints"));
///
/// let mut keyring = Keyring::generate()?;
/// let sink = ChainedAudit::open(&log, keyring.audit_keys()).unwrap().with_checkpoints(&checkpoints, 2).unwrap();
/// keyring.set_audit_sink(Arc::new(sink));
/// let ctx = Context::new("users", "phone").with_row("7");
/// let sealed = keyring.seal(&"13800138000".parse::<MobilePhone>()?, &ctx)?;
/// for _ in 0..3 {
///     keyring.open(&sealed, &ctx, "send-sms")?;
/// }
///
/// let text = std::fs::read(&log).unwrap();
/// let report = verify_chain(&text[..], &keyring.audit_keys(), Some(&std::fs::read(&checkpoints).unwrap()[..]))
///     .unwrap();
/// assert!(report.is_intact(), "{:?}", report.problems);
/// assert_eq!((report.lines, report.checkpoints), (3, 1));
///
/// // One line dropped from the middle: found, and named.
/// let kept: Vec<&str> = std::str::from_utf8(&text).unwrap().lines().enumerate()
///     .filter(|(i, _)| *i != 1).map(|(_, l)| l).collect();
/// let cut = kept.join("\n") + "\n";
/// let report = verify_chain(cut.as_bytes(), &keyring.audit_keys(), None).unwrap();
/// assert_eq!(report.problems[0].to_string(), "line 2: line 2 of the chain is missing before it (deleted)");
/// # std::fs::remove_dir_all(&dir).unwrap();
/// # Ok::<(), desensitize::Error>(())
/// ```
pub struct ChainedAudit {
    log: Mutex<Chain>,
    keys: AuditKeys,
    checkpoints: Option<(Mutex<File>, u64)>,
}

/// The log file, and for one that cannot be read back, the chain so far.
struct Chain {
    file: File,
    regular: bool,
    seq: u64,
    head: [u8; MAC_LEN],
    first: [u8; MAC_LEN],
}

/// Holds an exclusive lock on a file until dropped.
struct Locked<'a>(&'a File);

impl<'a> Locked<'a> {
    fn lock(file: &'a File) -> Result<Locked<'a>, AuditError> {
        file.lock()?;
        Ok(Locked(file))
    }
}

impl Drop for Locked<'_> {
    fn drop(&mut self) {
        // Closing the file would release it too; an error here leaves the
        // lock to the file's drop.
        let _ = self.0.unlock();
    }
}

impl core::fmt::Debug for ChainedAudit {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("ChainedAudit")
            .field("checkpoint_every", &self.checkpoints.as_ref().map(|c| c.1))
            .finish()
    }
}

impl ChainedAudit {
    /// Open (or create, mode 0600) the log at `path`, refused as
    /// [`JsonLinesAudit::open`](super::JsonLinesAudit::open) refuses (a
    /// symbolic link, a device that records nothing). Lines are MACed under
    /// `keys`' active key.
    pub fn open(path: &Path, keys: AuditKeys) -> Result<ChainedAudit, AuditLogError> {
        let file = open_log_file(path, true)?;
        let regular = file.metadata().map_err(|e| AuditLogError::Open(e.kind()))?.is_file();
        let chain = Chain { file, regular, seq: 0, head: [0; MAC_LEN], first: [0; MAC_LEN] };
        Ok(ChainedAudit { log: Mutex::new(chain), keys, checkpoints: None })
    }

    /// Also append a checkpoint (line count, head MAC, MACed) to the file at
    /// `path` after every `every`-th line of the chain (`every` 0 means 1).
    /// Keep that file where the log's writers cannot rewrite it (beside the
    /// keyring); `desensitize audit verify --checkpoints` then finds lines
    /// cut off the log's end. Opened as the log is.
    pub fn with_checkpoints(mut self, path: &Path, every: u64) -> Result<ChainedAudit, AuditLogError> {
        self.checkpoints = Some((Mutex::new(open_log_file(path, false)?), every.max(1)));
        Ok(self)
    }

    /// Where the CLI keeps the checkpoints of the logs a keyring's opens are
    /// chained into: beside the keyring file, `KEYRING.audit-checkpoints`
    /// (as its seal ledger is `KEYRING.seals`).
    ///
    /// ```
    /// use std::path::Path;
    /// use desensitize::audit::ChainedAudit;
    ///
    /// let path = ChainedAudit::checkpoints_path_for(Path::new("/etc/app/keys.dzk"));
    /// assert_eq!(path, Path::new("/etc/app/keys.dzk.audit-checkpoints"));
    /// ```
    pub fn checkpoints_path_for(keyring: &Path) -> std::path::PathBuf {
        let mut name = keyring.as_os_str().to_owned();
        name.push(".audit-checkpoints");
        name.into()
    }

    /// Append a checkpoint for the chain as it is now (its first line's
    /// MAC, line count and head), e.g. from a scheduled job: needs
    /// [`ChainedAudit::with_checkpoints`] (else [`AuditError::Unavailable`]).
    /// An empty log gets none. Returns the line count.
    pub fn checkpoint(&self) -> Result<u64, AuditError> {
        let mut chain = self.log.lock().map_err(|_| AuditError::WriterPoisoned)?;
        let chain = &mut *chain;
        let _held = if chain.regular { Some(Locked::lock(&chain.file)?) } else { None };
        let (seq, head) = if chain.regular { last_link(&chain.file)? } else { (chain.seq, chain.head) };
        if seq > 0 {
            self.write_checkpoint(chain, seq, &head)?;
        }
        Ok(seq)
    }

    /// Append a checkpoint: `first` (line 1's MAC: which chain it vouches
    /// for), `lines` and `head`. The caller holds the log's lock.
    fn write_checkpoint(&self, chain: &Chain, lines: u64, head: &[u8; MAC_LEN]) -> Result<(), AuditError> {
        let Some((file, _)) = &self.checkpoints else {
            return Err(AuditError::Unavailable("no checkpoint file was given"));
        };
        let first = if chain.regular { first_mac(&chain.file)? } else { chain.first };
        let id = self.keys.active_key_id().ok_or(AuditError::Unavailable("the keyring has no active key"))?;
        let body = body_with(
            serde_json::json!({
                "first": hex(&first), "lines": lines, "head": hex(head), "mac_key": id, "ts_ms": now_ms(),
            }),
            &[],
        );
        let mac = self.keys.checkpoint_mac(id, &[&body]).ok_or(AuditError::Unavailable("no audit key"))?;
        let file = file.lock().map_err(|_| AuditError::WriterPoisoned)?;
        let _held = Locked::lock(&file)?;
        (&*file).write_all(&seal_line(&body, &mac))?;
        (&*file).flush()?;
        Ok(())
    }
}

impl AuditSink for ChainedAudit {
    fn record(&self, event: &AuditEvent<'_>) -> Result<(), AuditError> {
        let id = self.keys.active_key_id().ok_or(AuditError::Unavailable("the keyring has no active key"))?;
        let event = event_json(event);
        let mut chain = self.log.lock().map_err(|_| AuditError::WriterPoisoned)?;
        let chain = &mut *chain;
        let _held = if chain.regular { Some(Locked::lock(&chain.file)?) } else { None };
        let (last, prev) = if chain.regular { last_link(&chain.file)? } else { (chain.seq, chain.head) };
        let seq = last.checked_add(1).ok_or(AuditError::Unavailable("the audit chain is full"))?;
        let mut extra = vec![("seq", seq.into()), ("mac_key", id.into())];
        if seq == 1 {
            // A random chain id, so that no two chains share a first MAC (the
            // chain their checkpoints name), even with identical first events.
            let nonce: [u8; 16] =
                crate::crypto::random::bytes().map_err(|_| AuditError::Unavailable("no randomness"))?;
            extra.push(("chain", hex(&nonce).into()));
        }
        let body = body_with(event, &extra);
        let mac = self.keys.line_mac(id, &prev, &[&body]).ok_or(AuditError::Unavailable("no audit key"))?;
        (&chain.file).write_all(&seal_line(&body, &mac))?;
        (&chain.file).flush()?;
        (chain.seq, chain.head) = (seq, mac);
        if seq == 1 {
            chain.first = mac;
        }
        match &self.checkpoints {
            Some((_, every)) if seq % every == 0 => self.write_checkpoint(chain, seq, &mac),
            _ => Ok(()),
        }
    }
}

/// The sequence number and MAC of the log's last line (0 and zeros for an
/// empty log), read back from its end.
fn last_link(file: &File) -> Result<(u64, [u8; MAC_LEN]), AuditError> {
    let line = last_line(file)?;
    if line.is_empty() {
        return Ok((0, [0; MAC_LEN]));
    }
    let (open, mac) =
        split_line(&line).ok_or(AuditError::Unavailable("the audit log's last line is not chained"))?;
    let body: serde_json::Value = serde_json::from_slice(&[open, b"}"].concat())
        .map_err(|_| AuditError::Unavailable("the audit log's last line is not chained"))?;
    let seq =
        body["seq"].as_u64().ok_or(AuditError::Unavailable("the audit log's last line is not chained"))?;
    Ok((seq, mac))
}

/// The MAC of the log's first line (read from its start, at most 1 MiB).
fn first_mac(mut file: &File) -> Result<[u8; MAC_LEN], AuditError> {
    file.seek(SeekFrom::Start(0))?;
    let mut line = Vec::new();
    std::io::BufReader::new(file.take(MAX_LINE as u64 + 1)).read_until(b'\n', &mut line)?;
    let line = line
        .strip_suffix(b"\n")
        .ok_or(AuditError::Unavailable("the audit log's first line is not chained"))?;
    split_line(line)
        .map(|(_, mac)| mac)
        .ok_or(AuditError::Unavailable("the audit log's first line is not chained"))
}

/// The last line of `file` without its newline (empty for an empty file).
fn last_line(mut file: &File) -> Result<Vec<u8>, AuditError> {
    let len = file.seek(SeekFrom::End(0))?;
    if len == 0 {
        return Ok(Vec::new());
    }
    let mut tail = Vec::new();
    let mut end = len;
    loop {
        let start = end.saturating_sub(8192);
        let mut chunk = vec![0u8; usize::try_from(end - start).unwrap_or(8192)];
        file.seek(SeekFrom::Start(start))?;
        file.read_exact(&mut chunk)?;
        chunk.extend_from_slice(&tail);
        tail = chunk;
        if end == len && tail.last() != Some(&b'\n') {
            return Err(AuditError::Unavailable("the audit log ends in a cut-off line"));
        }
        // The newline before the last line, past the final one.
        if let Some(nl) = tail[..tail.len() - 1].iter().rposition(|&b| b == b'\n') {
            return Ok(tail[nl + 1..tail.len() - 1].to_vec());
        }
        if start == 0 {
            return Ok(tail[..tail.len() - 1].to_vec());
        }
        if tail.len() > MAX_LINE {
            return Err(AuditError::Unavailable("the audit log's last line is too long"));
        }
        end = start;
    }
}

fn now_ms() -> u64 {
    let ms = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis()).unwrap_or(0);
    u64::try_from(ms).unwrap_or(u64::MAX)
}
