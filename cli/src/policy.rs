//! The `run` policy file: read and checked by the library
//! (`desensitize::policy`); this module maps its errors to exit codes.

use std::path::Path;

use desensitize::policy::{Policy, PolicyError, Rules};

use crate::common::{CliError, CliResult};

/// Read and check a policy file (TOML; `.json` files as JSON).
pub fn load(path: &Path) -> CliResult<Rules> {
    let text =
        std::fs::read_to_string(path).map_err(|e| crate::common::file_error("policy file", path, &e, ""))?;
    let json = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("json"));
    let policy = if json { Policy::from_json(&text) } else { Policy::from_toml(&text) };
    policy.and_then(|p| p.check()).map_err(usage)
}

/// A policy that does not fit (the policy itself, or against the header): exit 2.
pub fn usage(e: PolicyError) -> CliError {
    CliError::usage(format!("policy: {e}"))
}

/// A key the keyring refused, or k-anonymity that cannot be reached: exit 1.
pub fn failed(e: PolicyError) -> CliError {
    match e {
        PolicyError::Key { .. } | PolicyError::KAnonymity(_) | PolicyError::Privacy(_) => {
            CliError::failed(format!("policy: {e}"))
        }
        e => usage(e),
    }
}
