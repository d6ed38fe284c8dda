//! The output file: written beside its final name and renamed into place
//! only when complete.

use std::fmt;
use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

/// Why an [`AtomicFile`] could not be created or committed; the I/O error's
/// kind, never a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FileError {
    /// The path has no file name (`/`, `..`).
    NoFileName,
    /// The temporary file could not be created.
    Create(io::ErrorKind),
    /// No unused temporary name was found.
    NoTemporaryName,
    /// Writing or syncing failed.
    Write(io::ErrorKind),
    /// The replaced file's permissions could not be kept.
    Permissions(io::ErrorKind),
    /// The rename into place failed.
    Rename(io::ErrorKind),
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FileError::NoFileName => f.write_str("the output path has no file name"),
            FileError::Create(k) => write!(f, "cannot create the output file: {k}"),
            FileError::NoTemporaryName => f.write_str("cannot create a temporary output file"),
            FileError::Write(k) => write!(f, "I/O error: {k}"),
            FileError::Permissions(k) => write!(f, "cannot set the output's permissions: {k}"),
            FileError::Rename(k) => write!(f, "cannot move the output into place: {k}"),
        }
    }
}

impl std::error::Error for FileError {}

/// A file written under a temporary name beside its destination and
/// renamed into place on [`commit`](AtomicFile::commit): readers see the
/// old file or the complete new one, never a part. Dropped without commit,
/// the temporary file is removed.
///
/// Never written through a symbolic link: the temporary file is created
/// exclusively (`O_EXCL`, which does not follow a link), and the rename
/// replaces a link at the destination rather than the file it points to.
/// The temporary file is owner-only (0600 on Unix); on commit it takes the
/// permissions of the file it replaces, and a new file stays owner-only:
/// protected data is still personal data.
///
/// ```
/// use std::io::Write;
/// use desensitize::stream::AtomicFile;
///
/// let dir = std::env::temp_dir().join(format!("dz-atomic-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir)?;
/// let path = dir.join("out.csv");
/// let mut file = AtomicFile::create(&path)?;
/// file.write_all(b"id\n1\n")?;
/// assert!(!path.exists()); // not before the commit
/// file.commit()?;
/// assert_eq!(std::fs::read(&path)?, b"id\n1\n");
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// Every 16 MiB a background thread starts flushing what was
/// written so far to disk, so that the final fsync (which the rename waits
/// for) has little left to do.
pub struct AtomicFile {
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
    /// Create the temporary file beside `dest` (owner-only).
    pub fn create(dest: &Path) -> Result<AtomicFile, FileError> {
        let name = dest.file_name().ok_or(FileError::NoFileName)?.to_string_lossy().into_owned();
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
                Err(e) => return Err(FileError::Create(e.kind())),
            }
        }
        Err(FileError::NoTemporaryName)
    }

    /// Append `bytes` (a large write goes straight to the file).
    pub fn write_bytes(&mut self, bytes: &[u8]) -> io::Result<()> {
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
    pub fn commit(mut self) -> Result<(), FileError> {
        let writer = self.file.take().expect("an uncommitted AtomicFile has its file");
        let file = writer.into_inner().map_err(|e| FileError::Write(e.error().kind()))?;
        if let Some(h) = self.syncing.take() {
            let _ = h.join();
        }
        // The file it replaces keeps its mode (0600 stays 0600).
        if let Some(p) = self.replaced.take() {
            file.set_permissions(p).map_err(|e| FileError::Permissions(e.kind()))?;
        }
        file.sync_all().map_err(|e| FileError::Write(e.kind()))?;
        drop(file);
        fs::rename(&self.tmp, &self.dest).map_err(|e| FileError::Rename(e.kind()))?;
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

/// Writes go to the temporary file; flushed on commit.
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

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("dz-atomic-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn entries(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn dropped_without_commit_leaves_nothing_and_the_old_file_intact() {
        let dir = temp_dir("drop");
        let dest = dir.join("out.csv");
        fs::write(&dest, b"old").unwrap();
        let mut f = AtomicFile::create(&dest).unwrap();
        f.write_all(b"new, partial").unwrap();
        assert_eq!(entries(&dir).len(), 2, "the temporary file sits beside the destination");
        drop(f);
        assert_eq!(entries(&dir), ["out.csv"]);
        assert_eq!(fs::read(&dest).unwrap(), b"old");
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn commit_replaces_and_keeps_the_replaced_files_mode() {
        let dir = temp_dir("commit");
        let dest = dir.join("out.csv");
        let mut f = AtomicFile::create(&dest).unwrap();
        f.write_all(&vec![b'x'; DIRECT_WRITE + 1]).unwrap();
        f.write_all(b"tail").unwrap();
        f.commit().unwrap();
        assert_eq!(fs::read(&dest).unwrap().len(), DIRECT_WRITE + 5);
        assert_eq!(entries(&dir), ["out.csv"]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(fs::metadata(&dest).unwrap().permissions().mode() & 0o777, 0o600, "new: owner-only");
            fs::set_permissions(&dest, fs::Permissions::from_mode(0o640)).unwrap();
            let f = AtomicFile::create(&dest).unwrap();
            f.commit().unwrap();
            assert_eq!(fs::metadata(&dest).unwrap().permissions().mode() & 0o777, 0o640, "kept");
        }
        fs::remove_dir_all(&dir).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_at_the_destination_is_replaced_not_written_through() {
        let dir = temp_dir("link");
        let target = dir.join("keys.dzk");
        fs::write(&target, b"precious").unwrap();
        let dest = dir.join("out.csv");
        std::os::unix::fs::symlink(&target, &dest).unwrap();
        let mut f = AtomicFile::create(&dest).unwrap();
        f.write_all(b"rows").unwrap();
        f.commit().unwrap();
        assert_eq!(fs::read(&target).unwrap(), b"precious");
        assert!(!fs::symlink_metadata(&dest).unwrap().file_type().is_symlink());
        assert_eq!(fs::read(&dest).unwrap(), b"rows");
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn errors_name_the_step_never_a_path() {
        assert_eq!(AtomicFile::create(Path::new("/")).err(), Some(FileError::NoFileName));
        let missing = std::env::temp_dir().join("dz-atomic-no-such-dir").join("out.csv");
        let e = AtomicFile::create(&missing).err().unwrap();
        assert_eq!(e, FileError::Create(io::ErrorKind::NotFound));
        assert_eq!(e.to_string(), "cannot create the output file: entity not found");
    }
}
