//! One check for every command that writes a file (`run`'s output and
//! rejects, `open --audit`, `keygen --out`, `fake --output`): the file
//! written is never one the command reads or keeps (its keyring, the
//! keyring's seal ledger, the passphrase file, the policy, the input), and
//! never any keyring file or seal ledger at all, named or not. Writing one
//! would destroy keys or the counts the nonce budget needs.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use desensitize::keys::Ledger;

use crate::common::{CliError, CliResult};

/// The files a command keeps: each with its role in messages.
#[derive(Default)]
pub struct Kept {
    files: Vec<(&'static str, PathBuf)>,
}

impl Kept {
    pub fn new() -> Kept {
        Kept::default()
    }

    /// A file the command reads (absent: nothing to keep).
    pub fn file(mut self, what: &'static str, path: Option<&Path>) -> Kept {
        if let Some(path) = path {
            self.files.push((what, path.to_owned()));
        }
        self
    }

    /// The keyring (`--keys`) and its seal ledger.
    pub fn keyring(self, keys: Option<&Path>) -> Kept {
        let ledger = keys.map(Ledger::path_for);
        self.file("the keyring (--keys)", keys).file("the seal ledger of the keyring", ledger.as_deref())
    }

    /// Refuse to write `written` (its role: `what`) when it is one of the
    /// kept files, a keyring file or a seal ledger (usage error, exit 2).
    pub fn refuse(&self, what: &str, written: &Path) -> CliResult {
        self.refuse_kept(what, written)?;
        if let Some(other) = precious(written) {
            return Err(CliError::usage(format!("{what} is {other}: refusing to overwrite it")));
        }
        Ok(())
    }
}

impl Kept {
    /// Refuse to write `written` when it is one of the kept files only
    /// (`keygen --force` replaces a keyring file on purpose).
    pub fn refuse_kept(&self, what: &str, written: &Path) -> CliResult {
        for (other, kept) in &self.files {
            if same_path(written, kept) {
                return Err(CliError::usage(format!("{what} is {other}: refusing to overwrite it")));
            }
        }
        Ok(())
    }
}

/// Refuse a keyring path that is a symbolic link before any passphrase is
/// asked for (`Keyring::save` refuses it too): saving replaces the file,
/// and over a link that would leave the linked file, and its keys, as they
/// were.
pub fn refuse_symlink(path: &Path) -> CliResult {
    if fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
        return Err(CliError::usage(format!(
            "the keyring {} is a symbolic link: give the keyring file itself (the command rewrites it)",
            path.display()
        )));
    }
    Ok(())
}

/// The first bytes of a keyring file (SPEC.md §6.1).
const KEYRING_MAGIC: &[u8] = b"DZKR";

/// What an existing file at `path` is when it must never be written over
/// by another command: a keyring file (its magic bytes) or a seal ledger
/// (its first word). Only a regular file is read; nothing else is.
fn precious(path: &Path) -> Option<&'static str> {
    if !fs::metadata(path).is_ok_and(|m| m.is_file()) {
        return None;
    }
    let mut head = [0u8; 9];
    let mut file = fs::File::open(path).ok()?;
    let mut n = 0;
    while n < head.len() {
        match file.read(&mut head[n..]) {
            Ok(0) | Err(_) => break,
            Ok(k) => n += k,
        }
    }
    if head[..n].starts_with(KEYRING_MAGIC) {
        Some("a keyring file")
    } else if head[..n] == *b"dzseals1 " {
        Some("a seal ledger")
    } else {
        None
    }
}

/// Whether two paths name the same existing file.
pub fn same_file(a: &Path, b: &Path) -> bool {
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
pub fn same_path(a: &Path, b: &Path) -> bool {
    let full = |p: &Path| {
        let dir = p.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
        fs::canonicalize(dir).ok().map(|d| d.join(p.file_name().unwrap_or_default()))
    };
    same_file(a, b) || (full(a).is_some() && full(a) == full(b))
}
