//! Helpers shared by the CLI's end-to-end tests: a temporary working
//! directory (`Env`) that runs the `desensitize` binary, and output parsing.
//!
//! Every test works in its own temporary directory, with a passphrase file
//! (the child has no terminal). Keyring loads cost one Argon2id run each, so
//! tests that only need *a* keyring copy one made once.
#![allow(dead_code)]

pub mod data;
pub mod run_dir;

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

pub const BIN: &str = env!("CARGO_BIN_EXE_desensitize");
pub const PASSPHRASE: &str = "correct horse battery staple";
pub const ID: &str = "11010519491231002X";
pub const PHONE: &str = "13800138000";

/// A temporary working directory with a passphrase file, removed on drop.
pub struct Env {
    dir: PathBuf,
}

impl Env {
    pub fn new(name: &str) -> Env {
        let dir = std::env::temp_dir().join(format!("desensitize-cli-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("pass"), format!("{PASSPHRASE}\n")).unwrap();
        owner_only(&dir.join("pass"));
        Env { dir }
    }

    /// A directory holding a copy of a keyring generated once for all tests.
    pub fn with_keys(name: &str) -> Env {
        static TEMPLATE: OnceLock<Vec<u8>> = OnceLock::new();
        let template = TEMPLATE.get_or_init(|| {
            let env = Env::new("template");
            env.ok(&["keygen", "--out", "keys.dzk", "--passphrase-file", "pass"], "");
            std::fs::read(env.path("keys.dzk")).unwrap()
        });
        let env = Env::new(name);
        std::fs::write(env.path("keys.dzk"), template).unwrap();
        env
    }

    pub fn path(&self, file: &str) -> PathBuf {
        self.dir.join(file)
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(BIN);
        c.args(args).current_dir(&self.dir).env_remove("DESENSITIZE_PASSPHRASE");
        c
    }

    /// Run with `stdin` as standard input.
    pub fn run(&self, args: &[&str], stdin: &str) -> Output {
        run_with(self.command(args), stdin)
    }

    /// Run and require success; returns stdout.
    pub fn ok(&self, args: &[&str], stdin: &str) -> String {
        let out = self.run(args, stdin);
        assert!(out.status.success(), "{args:?} failed: {}", text(&out.stderr));
        text(&out.stdout)
    }

    /// Run a command that needs the keyring, adding `--keys` and `--passphrase-file`.
    pub fn keyed(&self, args: &[&str], stdin: &str) -> Output {
        let mut all = args.to_vec();
        all.extend(["--keys", "keys.dzk", "--passphrase-file", "pass"]);
        self.run(&all, stdin)
    }

    pub fn keyed_ok(&self, args: &[&str], stdin: &str) -> String {
        let out = self.keyed(args, stdin);
        assert!(out.status.success(), "{args:?} failed: {}", text(&out.stderr));
        text(&out.stdout)
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

pub fn run_with(mut command: Command, stdin: &str) -> Output {
    let mut child =
        command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let mut input = child.stdin.take().unwrap();
    let data = stdin.as_bytes().to_vec();
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(&data);
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    out
}

/// Make `path` owner-only (0600), as a passphrase file should be (others
/// reading it get a warning on stderr).
pub fn owner_only(path: &std::path::Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let _ = path;
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

pub fn lines(s: &str) -> Vec<&str> {
    s.lines().collect()
}

/// The longest run of characters satisfying `pred`.
pub fn longest_run(s: &str, pred: impl Fn(char) -> bool) -> usize {
    s.split(|c| !pred(c)).map(str::len).max().unwrap_or(0)
}

/// No hex or base64 run long enough to be a 256-bit key.
pub fn assert_no_key_material(s: &str) {
    assert!(longest_run(s, |c| c.is_ascii_hexdigit()) < 64, "hex run in {s:?}");
    assert!(longest_run(s, |c| c.is_ascii_alphanumeric() || "+/=-_".contains(c)) < 43, "base64 run in {s:?}");
}

pub fn json_lines(s: &str) -> Vec<serde_json::Value> {
    s.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}
