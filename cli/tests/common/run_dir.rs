//! `desensitize run` in a fresh directory with a keyring `k` (cheap Argon2
//! parameters: the loader reads them from the file) and its passphrase file `p`.

use std::fs;
use std::path::PathBuf;
use std::process::{Command, Output};

use desensitize::Keyring;
use desensitize::keys::PassphraseProvider;

use super::PASSPHRASE as PASS;

/// A fresh directory with a keyring (`k`, cheap Argon2 parameters: the
/// loader reads them from the file) and its passphrase file (`p`).
pub struct Dir {
    pub path: PathBuf,
}

impl Dir {
    pub fn new(name: &str) -> Dir {
        let path = std::env::temp_dir().join(format!("dz-run-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&path);
        fs::create_dir_all(&path).unwrap();
        let provider = PassphraseProvider::with_params(PASS, 1024, 1, 1).unwrap();
        Keyring::generate().unwrap().save(&path.join("k"), &provider).unwrap();
        fs::write(path.join("p"), format!("{PASS}\n")).unwrap();
        Dir { path }
    }

    pub fn join(&self, name: &str) -> PathBuf {
        self.path.join(name)
    }

    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.join(name);
        fs::write(&p, text).unwrap();
        p
    }

    pub fn read(&self, name: &str) -> String {
        fs::read_to_string(self.join(name)).unwrap()
    }

    pub fn keyring(&self) -> Keyring {
        let provider = PassphraseProvider::with_params(PASS, 1024, 1, 1).unwrap();
        Keyring::load(&self.join("k"), &provider).unwrap()
    }

    /// Names in the directory (to spot leftover temporary files).
    pub fn names(&self) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(&self.path)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    /// `desensitize run --policy policy.toml --keys k --passphrase-file p IN -o OUT [extra]`.
    pub fn run(&self, input: &str, output: &str, extra: &[&str]) -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_desensitize"));
        cmd.current_dir(&self.path)
            .args([
                "run",
                "--policy",
                "policy.toml",
                "--keys",
                "k",
                "--passphrase-file",
                "p",
                input,
                "-o",
                output,
            ])
            .args(extra)
            .env_remove("DESENSITIZE_PASSPHRASE");
        cmd.output().unwrap()
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.path);
    }
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn ok(o: &Output) {
    assert!(o.status.success(), "run failed: {}", stderr(o));
}

pub fn fails_with(o: &Output, code: i32, needle: &str) {
    assert_eq!(o.status.code(), Some(code), "stderr: {}", stderr(o));
    assert!(stderr(o).contains(needle), "stderr lacks {needle:?}: {}", stderr(o));
}
