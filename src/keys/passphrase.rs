//! Where a keyring file's passphrase comes from: a file or an environment
//! variable. One reader for the CLI and the Python package (the CLI keeps
//! its terminal prompt on top).

use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

/// Where to read a keyring passphrase from; give what it reads to
/// [`PassphraseProvider::new`](crate::keys::PassphraseProvider::new), then
/// [`Keyring::load`](crate::Keyring::load) the file.
///
/// ```
/// use desensitize::keys::{PassphraseError, PassphraseSource};
///
/// let dir = std::env::temp_dir().join(format!("dz-doc-pass-{}", std::process::id()));
/// std::fs::create_dir_all(&dir).unwrap();
/// let file = dir.join("pass");
/// std::fs::write(&file, "correct horse\nignored\n").unwrap();
/// assert_eq!(PassphraseSource::File(file.clone()).read()?.as_str(), "correct horse");
///
/// std::fs::write(&file, "\nsecond line\n").unwrap();
/// assert_eq!(PassphraseSource::File(file).read().unwrap_err(), PassphraseError::EmptyFile);
/// let unset = PassphraseSource::Env("DZ_DOC_SURELY_UNSET".into());
/// assert_eq!(unset.read().unwrap_err(), PassphraseError::EnvNotSet);
/// # std::fs::remove_dir_all(&dir).unwrap();
/// # Ok::<(), PassphraseError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PassphraseSource {
    /// The first line of this file (without its line ending); it must not
    /// be empty.
    File(PathBuf),
    /// The value of this environment variable; it must be set and not empty.
    Env(String),
}

/// Why a passphrase could not be read. Never carries the passphrase, nor
/// any part of the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum PassphraseError {
    /// The passphrase file could not be read (its I/O error kind).
    #[error("cannot read the passphrase file: {0}")]
    Unreadable(std::io::ErrorKind),
    /// The passphrase file is not UTF-8 text.
    #[error("the passphrase file is not UTF-8 text")]
    NotText,
    /// The passphrase file's first line is empty.
    #[error("the passphrase file is empty: write the passphrase on its first line")]
    EmptyFile,
    /// The environment variable is not set, or not Unicode.
    #[error("the passphrase environment variable is not set")]
    EnvNotSet,
    /// The environment variable is set but empty.
    #[error("the passphrase environment variable is empty")]
    EnvEmpty,
}

/// Something about where a passphrase came from that deserves a warning:
/// never fatal, never the passphrase. The CLI prints it on stderr; a
/// program shows or logs it ([`PassphraseSource::read_checked`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum PassphraseWarning {
    /// The passphrase file can be read by its group or by others (Unix; its
    /// permission bits, e.g. `0o644`): whoever reads it can open the
    /// keyring. Make it owner-only (`chmod 600`).
    #[error(
        "the passphrase file can be read by its group or by others (mode {0:04o}): make it owner-only (chmod 600)"
    )]
    ReadableByOthers(u32),
}

impl PassphraseSource {
    /// Read the passphrase (wiped from memory when dropped).
    pub fn read(&self) -> core::result::Result<Zeroizing<String>, PassphraseError> {
        self.read_checked().map(|(passphrase, _)| passphrase)
    }

    /// Read the passphrase, with a warning about its source when there is
    /// one: a passphrase file readable by users other than its owner
    /// ([`PassphraseWarning::ReadableByOthers`], read from the file opened).
    ///
    /// ```
    /// use desensitize::keys::{PassphraseSource, PassphraseWarning};
    ///
    /// let dir = std::env::temp_dir().join(format!("dz-doc-pass-mode-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir).unwrap();
    /// let file = dir.join("pass");
    /// std::fs::write(&file, "correct horse\n").unwrap();
    /// # #[cfg(unix)] {
    /// use std::os::unix::fs::PermissionsExt;
    /// std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    /// let (pass, warning) = PassphraseSource::File(file.clone()).read_checked()?;
    /// assert_eq!((pass.as_str(), warning), ("correct horse", Some(PassphraseWarning::ReadableByOthers(0o644))));
    /// std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    /// assert_eq!(PassphraseSource::File(file).read_checked()?.1, None);
    /// # }
    /// # std::fs::remove_dir_all(&dir).unwrap();
    /// # Ok::<(), desensitize::keys::PassphraseError>(())
    /// ```
    pub fn read_checked(
        &self,
    ) -> core::result::Result<(Zeroizing<String>, Option<PassphraseWarning>), PassphraseError> {
        match self {
            PassphraseSource::File(path) => first_line(path),
            PassphraseSource::Env(var) => match std::env::var(var) {
                Ok(v) if v.is_empty() => Err(PassphraseError::EnvEmpty),
                Ok(v) => Ok((Zeroizing::new(v), None)),
                Err(_) => Err(PassphraseError::EnvNotSet),
            },
        }
    }
}

/// Largest capacity reserved up front for a passphrase file (it grows past
/// it; the reservation only avoids copies of a normal file).
const RESERVE: u64 = 1 << 16;

fn first_line(
    path: &Path,
) -> core::result::Result<(Zeroizing<String>, Option<PassphraseWarning>), PassphraseError> {
    let unreadable = |e: std::io::Error| PassphraseError::Unreadable(e.kind());
    let mut file = std::fs::File::open(path).map_err(unreadable)?;
    let meta = file.metadata().map_err(unreadable)?;
    // Sized up front so that reading leaves no unwiped smaller copies.
    let mut bytes = Zeroizing::new(Vec::with_capacity(meta.len().min(RESERVE) as usize + 1));
    std::io::Read::read_to_end(&mut file, &mut bytes).map_err(unreadable)?;
    let text = std::str::from_utf8(&bytes).map_err(|_| PassphraseError::NotText)?;
    let line = text.lines().next().unwrap_or("");
    if line.is_empty() {
        return Err(PassphraseError::EmptyFile);
    }
    Ok((Zeroizing::new(line.to_owned()), mode_warning(&meta)))
}

/// A warning for a file others can read (Unix permission bits).
fn mode_warning(_meta: &std::fs::Metadata) -> Option<PassphraseWarning> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = _meta.permissions().mode() & 0o7777;
        if mode & 0o044 != 0 {
            return Some(PassphraseWarning::ReadableByOthers(mode));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_typed_and_never_hold_the_passphrase() {
        let d = std::env::temp_dir().join(format!("dz-pass-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        let file = d.join("p");
        std::fs::write(&file, b"s3cret\xff\n").unwrap();
        let e = PassphraseSource::File(file.clone()).read().unwrap_err();
        assert_eq!(e, PassphraseError::NotText);
        assert!(!format!("{e} {e:?}").contains("s3cret"));
        std::fs::write(&file, "s3cret\r\nnext").unwrap();
        assert_eq!(PassphraseSource::File(file.clone()).read().unwrap().as_str(), "s3cret");
        let missing = PassphraseSource::File(d.join("missing")).read().unwrap_err();
        assert_eq!(missing, PassphraseError::Unreadable(std::io::ErrorKind::NotFound));
        let _ = std::fs::remove_dir_all(&d);
    }

    #[cfg(unix)]
    #[test]
    fn a_file_others_can_read_gives_a_warning_and_still_the_passphrase() {
        use std::os::unix::fs::PermissionsExt;
        let d = std::env::temp_dir().join(format!("dz-pass-mode-{}", std::process::id()));
        std::fs::create_dir_all(&d).unwrap();
        let file = d.join("p");
        std::fs::write(&file, "s3cret\n").unwrap();
        let source = PassphraseSource::File(file.clone());
        for (mode, warned) in [(0o600, false), (0o400, false), (0o640, true), (0o604, true), (0o644, true)] {
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(mode)).unwrap();
            let (pass, warning) = source.read_checked().unwrap();
            assert_eq!(pass.as_str(), "s3cret");
            assert_eq!(warning, warned.then_some(PassphraseWarning::ReadableByOthers(mode)), "{mode:o}");
            assert!(!format!("{warning:?}").contains("s3cret"));
        }
        let env = PassphraseSource::Env("DZ_PASS_MODE_SURELY_UNSET".into());
        assert_eq!(env.read_checked().unwrap_err(), PassphraseError::EnvNotSet);
        let _ = std::fs::remove_dir_all(&d);
    }
}
