//! A keyring saved through a symbolic link (issue 20, item 2): refused with
//! nothing written, so that `destroy` can never leave the linked file, and
//! its keys, as they were.

use desensitize::keys::PassphraseProvider;
use desensitize::{Error, Keyring, KeyringFileError};

fn fast() -> PassphraseProvider {
    PassphraseProvider::with_params("correct horse battery staple", 64, 1, 1).unwrap()
}

#[cfg(unix)]
#[test]
fn save_through_a_symlink_is_refused_and_writes_nothing() {
    let dir = std::env::temp_dir().join(format!("dz-keyring-links-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("secure")).unwrap();
    let (real, link) = (dir.join("secure/real.dzk"), dir.join("keys.dzk"));
    let provider = fast();
    let keyring = Keyring::generate().unwrap();
    keyring.save(&real, &provider).unwrap();
    std::os::unix::fs::symlink("secure/real.dzk", &link).unwrap();
    let before = std::fs::read(&real).unwrap();

    // Loaded through the link, rotated, key 1 destroyed, saved back: refused.
    let mut loaded = Keyring::load(&link, &provider).unwrap();
    loaded.rotate().unwrap();
    loaded.destroy(1, 0).unwrap();
    let err = loaded.save(&link, &provider).unwrap_err();
    assert_eq!(err, Error::KeyringFile(KeyringFileError::SymbolicLink));
    assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink(), "link replaced");
    assert_eq!(std::fs::read(&real).unwrap(), before, "the linked file changed");

    // A dangling link is not created through either.
    let dangling = dir.join("dangling.dzk");
    std::os::unix::fs::symlink("secure/absent.dzk", &dangling).unwrap();
    assert_eq!(keyring.save(&dangling, &provider).unwrap_err(), err);
    assert!(!dir.join("secure/absent.dzk").exists());

    // The file itself saves; a link in a directory above is followed.
    loaded.save(&real, &provider).unwrap();
    std::os::unix::fs::symlink("secure", dir.join("via")).unwrap();
    loaded.save(&dir.join("via/real.dzk"), &provider).unwrap();
    assert_eq!(Keyring::load(&real, &provider).unwrap().keys(), loaded.keys());
    let _ = std::fs::remove_dir_all(&dir);
}
