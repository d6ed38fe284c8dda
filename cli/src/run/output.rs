//! Output: JSON Lines rows for serde_json, and the files they go to
//! (written atomically, never world-readable when new).

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use desensitize::policy::Cells;
use serde::ser::{Serialize, SerializeMap, Serializer};

use crate::common::{CliError, CliResult};

pub(super) fn csv_write_failed(e: csv::Error) -> CliError {
    match e.into_kind() {
        csv::ErrorKind::Io(e) => CliError::from(e),
        _ => CliError::failed("cannot write CSV"),
    }
}

/// One JSON Lines output object: the output columns in order, every value a
/// string. Serialized by serde_json as a map built in this order (a
/// `serde_json::Map` would sort the keys).
pub(super) struct JsonRow<'a> {
    pub names: &'a [String],
    pub cells: &'a Cells,
}

impl Serialize for JsonRow<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.cells.len()))?;
        for (j, name) in self.names.iter().enumerate().take(self.cells.len()) {
            // Valid UTF-8 by construction (the engine refuses other input
            // for JSON output); lossy rather than unchecked all the same.
            map.serialize_entry(name, &String::from_utf8_lossy(self.cells.get(j)))?;
        }
        map.end()
    }
}

/// Whether two paths name the same existing file.
pub(super) fn same_file(a: &Path, b: &Path) -> bool {
    match (fs::metadata(a), fs::metadata(b)) {
        (Ok(x), Ok(y)) => {
            #[cfg(unix)]
            {
                use std::os::unix::fs::MetadataExt;
                x.dev() == y.dev() && x.ino() == y.ino()
            }
            #[cfg(not(unix))]
            {
                let _ = (x, y);
                fs::canonicalize(a).ok() == fs::canonicalize(b).ok()
            }
        }
        _ => false,
    }
}

/// Whether two paths (existing or not) are the same place.
pub(super) fn same_path(a: &Path, b: &Path) -> bool {
    let full = |p: &Path| {
        let dir = p.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
        fs::canonicalize(dir).ok().map(|d| d.join(p.file_name().unwrap_or_default()))
    };
    same_file(a, b) || (full(a).is_some() && full(a) == full(b))
}

/// A file written under a temporary name and renamed into place on commit;
/// dropped without commit, the temporary file is removed.
///
/// Every [`SYNC_EVERY`] bytes a background thread starts flushing what was
/// written so far to disk, so that the final fsync (which the rename waits
/// for) has little left to do.
pub(super) struct AtomicFile {
    dest: PathBuf,
    tmp: PathBuf,
    /// The permissions of the file being replaced, kept on commit.
    replaced: Option<fs::Permissions>,
    file: Option<BufWriter<File>>,
    unsynced: u64,
    syncing: Option<std::thread::JoinHandle<()>>,
}

const SYNC_EVERY: u64 = 16 << 20;
/// Writes at least this long skip the buffer.
const DIRECT_WRITE: usize = 64 << 10;

impl AtomicFile {
    pub(super) fn create(dest: &Path) -> CliResult<AtomicFile> {
        let name = dest
            .file_name()
            .ok_or_else(|| CliError::usage("the output path has no file name"))?
            .to_string_lossy()
            .into_owned();
        let dir = dest.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        for attempt in 0..100u32 {
            let tmp =
                dir.join(format!(".{name}.tmp{:x}{:06x}", std::process::id(), (nanos ^ attempt) & 0xff_ffff));
            let mut options = fs::OpenOptions::new();
            options.write(true).create_new(true);
            // Owner-only while it is written, and for a new output: protected
            // data is still personal data.
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            match options.open(&tmp) {
                Ok(f) => {
                    return Ok(AtomicFile {
                        dest: dest.to_path_buf(),
                        tmp,
                        replaced: fs::metadata(dest).ok().filter(|m| m.is_file()).map(|m| m.permissions()),
                        file: Some(BufWriter::with_capacity(1 << 20, f)),
                        unsynced: 0,
                        syncing: None,
                    });
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => {
                    return Err(CliError::failed(format!("cannot create the output file: {}", e.kind())));
                }
            }
        }
        Err(CliError::failed("cannot create a temporary output file"))
    }

    pub(super) fn write_bytes(&mut self, bytes: &[u8]) -> io::Result<()> {
        let w = self.file.as_mut().expect("an uncommitted AtomicFile has its file");
        if bytes.len() >= DIRECT_WRITE {
            // A pipeline chunk: straight to the file, not copied through the
            // buffer (the ordered write is a serial stage).
            w.flush()?;
            w.get_mut().write_all(bytes)?;
        } else {
            w.write_all(bytes)?;
        }
        self.unsynced += bytes.len() as u64;
        if self.unsynced >= SYNC_EVERY && self.syncing.as_ref().is_none_or(|h| h.is_finished()) {
            self.unsynced = 0;
            w.flush()?;
            if let Ok(f) = w.get_ref().try_clone() {
                // Errors surface in the final fsync.
                self.syncing = Some(std::thread::spawn(move || {
                    let _ = f.sync_data();
                }));
            }
        }
        Ok(())
    }

    /// Flush, fsync and rename into place.
    pub(super) fn commit(mut self) -> CliResult {
        let writer = self.file.take().expect("an uncommitted AtomicFile has its file");
        let file = writer.into_inner().map_err(|e| CliError::from(e.into_error()))?;
        if let Some(h) = self.syncing.take() {
            let _ = h.join();
        }
        // The file it replaces keeps its mode (0600 stays 0600).
        if let Some(p) = self.replaced.take() {
            file.set_permissions(p).map_err(|e| {
                CliError::failed(format!("cannot set the output's permissions: {}", e.kind()))
            })?;
        }
        file.sync_all()?;
        drop(file);
        fs::rename(&self.tmp, &self.dest)
            .map_err(|e| CliError::failed(format!("cannot move the output into place: {}", e.kind())))?;
        // Make the rename durable (best effort: not every platform allows it).
        if let Some(dir) = self.dest.parent() {
            let dir = if dir.as_os_str().is_empty() { Path::new(".") } else { dir };
            if let Ok(d) = File::open(dir) {
                let _ = d.sync_all();
            }
        }
        self.tmp = PathBuf::new();
        Ok(())
    }
}

/// For `csv::Writer` (the rejects report). Flushed on commit.
impl Write for AtomicFile {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.write_bytes(bytes)?;
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if !self.tmp.as_os_str().is_empty() {
            self.file.take();
            if let Some(h) = self.syncing.take() {
                let _ = h.join();
            }
            let _ = fs::remove_file(&self.tmp);
        }
    }
}
