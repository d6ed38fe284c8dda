//! Run an example program (`examples/NAME.rs` or `examples/NAME/`) the way a
//! reader does, `cargo run --example NAME`, so that a test checks the
//! program and its output instead of compiling the example's code into
//! itself.
//!
//! The nested cargo shares the target directory (the outer `cargo test`
//! holds no lock while tests run): after a plain `cargo test`, which builds
//! every example, this only checks freshness; under `--release` it runs the
//! release build.

use std::process::Command;

/// The standard output of `cargo run --example name -- args`; panics with
/// the program's standard error when it fails.
pub fn run(name: &str, args: &[&str]) -> String {
    let mut cargo = Command::new(env!("CARGO"));
    cargo.args(["run", "--quiet", "-p", "desensitize", "--example", name]);
    if !cfg!(debug_assertions) {
        cargo.arg("--release");
    }
    let out =
        cargo.arg("--").args(args).current_dir(env!("CARGO_MANIFEST_DIR")).output().expect("cargo runs");
    assert!(
        out.status.success(),
        "cargo run --example {name} failed ({}):\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("the example prints UTF-8")
}
