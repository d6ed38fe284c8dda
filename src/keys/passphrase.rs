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

impl PassphraseSource {
    /// Read the passphrase (wiped from memory when dropped).
    pub fn read(&self) -> core::result::Result<Zeroizing<String>, PassphraseError> {
        match self {
            PassphraseSource::File(path) => first_line(path),
            PassphraseSource::Env(var) => match std::env::var(var) {
                Ok(v) if v.is_empty() => Err(PassphraseError::EnvEmpty),
                Ok(v) => Ok(Zeroizing::new(v)),
                Err(_) => Err(PassphraseError::EnvNotSet),
            },
        }
    }
}

fn first_line(path: &Path) -> core::result::Result<Zeroizing<String>, PassphraseError> {
    let bytes = Zeroizing::new(std::fs::read(path).map_err(|e| PassphraseError::Unreadable(e.kind()))?);
    let text = std::str::from_utf8(&bytes).map_err(|_| PassphraseError::NotText)?;
    let line = text.lines().next().unwrap_or("");
    if line.is_empty() {
        return Err(PassphraseError::EmptyFile);
    }
    Ok(Zeroizing::new(line.to_owned()))
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
}
