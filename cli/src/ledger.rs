//! The seal ledger: how many values the data-plane commands sealed under
//! each key of a keyring file.
//!
//! `seal` and `run` never write the keyring file back (it is encrypted
//! under a passphrase and replaced atomically; two concurrent runs would
//! lose each other's counts). Instead each command appends one short line
//! per key id it sealed under to `<keyring>.seals`, next to the keyring:
//!
//! ```text
//! dzseals1 <key id> <count> <unix seconds> <command>
//! ```
//!
//! A line is written by one `write(2)` on a file opened with `O_APPEND`, so
//! lines of concurrent processes never interleave or overwrite each other.
//! The file is created 0600 and never opened through a symlink. `keys list`
//! adds the ledger's sums to the counts saved in the keyring file.
//!
//! The ledger is advisory: it is not authenticated, so whoever can write it
//! can inflate the counts, and deleting it only makes them under-report. Its
//! sums are an upper bound on the seals of the commands that recorded them,
//! which is what the nonce budget (2^32 seals per key) needs.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};

/// First word of every ledger line (format version 1).
const TAG: &str = "dzseals1";
/// Longest line the reader considers; longer ones are skipped.
const MAX_LINE: u64 = 256;

/// The ledger of the keyring file `keys`: `<keys>.seals`.
pub fn path_for(keys: &Path) -> PathBuf {
    let mut name = keys.as_os_str().to_owned();
    name.push(".seals");
    PathBuf::from(name)
}

/// Append one line per `(key id, count)` with a non-zero count, in one
/// write. `by` names the command (one word).
pub fn append(keys: &Path, by: &str, counts: &[(u32, u64)]) -> io::Result<()> {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let mut lines = String::new();
    for &(id, n) in counts.iter().filter(|(_, n)| *n > 0) {
        lines.push_str(&format!("{TAG} {id} {n} {now} {by}\n"));
    }
    if lines.is_empty() {
        return Ok(());
    }
    let mut options = OpenOptions::new();
    options.append(true).create(true);
    let mut file = open_no_follow(&path_for(keys), &mut options)?;
    // One write call: O_APPEND makes it land whole at the end of the file.
    let written = file.write(lines.as_bytes())?;
    if written != lines.len() {
        return Err(io::Error::new(io::ErrorKind::WriteZero, "short write"));
    }
    Ok(())
}

/// What a ledger holds.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Totals {
    /// Seals per key id (saturating sums).
    pub seals: BTreeMap<u32, u64>,
    /// Lines that are not ledger lines (torn, edited): ignored.
    pub skipped: u64,
}

/// Sum the ledger of the keyring file `keys`; an absent ledger is empty.
pub fn read(keys: &Path) -> io::Result<Totals> {
    let mut options = OpenOptions::new();
    options.read(true);
    let file = match open_no_follow(&path_for(keys), &mut options) {
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

/// Remove the ledger (a new keyring starts from zero); absent is fine.
pub fn remove(keys: &Path) -> io::Result<()> {
    match std::fs::remove_file(path_for(keys)) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
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
mod tests {
    use super::*;

    fn dir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("dz-ledger-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn appends_sum_and_skip_foreign_lines() {
        let d = dir("sum");
        let keys = d.join("keys.dzk");
        assert_eq!(read(&keys).unwrap(), Totals::default());
        append(&keys, "seal", &[(1, 3), (2, 0)]).unwrap();
        append(&keys, "run", &[(1, 4), (7, u64::MAX)]).unwrap();
        append(&keys, "run", &[(7, 5)]).unwrap();
        let mut f = OpenOptions::new().append(true).open(path_for(&keys)).unwrap();
        f.write_all(b"garbage\ndzseals1 x 5\ndzseals1 1\n").unwrap();
        f.write_all(&[b'9'; 300]).unwrap();
        f.write_all(b"\ndzseals1 1 1 0 seal\n").unwrap();
        let t = read(&keys).unwrap();
        assert_eq!(t.seals, BTreeMap::from([(1, 8), (7, u64::MAX)]));
        assert_eq!(t.skipped, 4);
        let text = std::fs::read_to_string(path_for(&keys)).unwrap();
        assert!(text.starts_with("dzseals1 1 3 "), "{text}");
        assert!(text.lines().next().unwrap().ends_with(" seal"));
        remove(&keys).unwrap();
        remove(&keys).unwrap();
        assert!(!path_for(&keys).exists());
        let _ = std::fs::remove_dir_all(&d);
    }

    #[cfg(unix)]
    #[test]
    fn created_0600_and_symlinks_refused() {
        use std::os::unix::fs::PermissionsExt;
        let d = dir("mode");
        let keys = d.join("keys.dzk");
        append(&keys, "seal", &[(1, 1)]).unwrap();
        let mode = std::fs::metadata(path_for(&keys)).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);

        let other = d.join("other.dzk");
        let target = d.join("target");
        std::fs::write(&target, "").unwrap();
        std::os::unix::fs::symlink(&target, path_for(&other)).unwrap();
        let e = append(&other, "seal", &[(1, 1)]).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
        assert_eq!(std::fs::read(&target).unwrap(), b"", "wrote through a symlink");
        assert_eq!(read(&other).unwrap_err().kind(), io::ErrorKind::InvalidInput);
        // No empty append creates a file.
        append(&d.join("none.dzk"), "seal", &[(1, 0)]).unwrap();
        assert!(!path_for(&d.join("none.dzk")).exists());
        let _ = std::fs::remove_dir_all(&d);
    }
}
