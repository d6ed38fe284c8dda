//! Access rules on the command line: `open --as NAME --access RULES`
//! (the library's `desensitize::access`, attached to the keyring) and
//! `desensitize access lift`, an administrator lifting a budget refusal.

use std::path::{Path, PathBuf};
use std::process::Command as Process;
use std::sync::Arc;

use clap::{Args, Subcommand};
use desensitize::Keyring;
use desensitize::access::{Access, AccessRules, Alarm, FileCounter, Principal};

use crate::common::{self, CliError, CliResult};

/// Who opens, under which rules, counted where.
#[derive(Args, Debug)]
pub struct AccessArgs {
    /// The principal opening (its role comes from the rules' [principals];
    /// the OS user is recorded beside it in every audit event).
    #[arg(long = "as", value_name = "NAME", requires = "access")]
    principal: Option<String>,

    /// Access rules (TOML, or JSON for a .json file): what each role may
    /// reveal (none, a mask level, full), for which purposes, within which budget.
    #[arg(long, value_name = "RULES", requires = "principal")]
    access: Option<PathBuf>,

    /// The reveal counter file shared by every process on this machine
    /// (needed when the rules set budgets).
    #[arg(long, value_name = "FILE", requires = "access")]
    counter: Option<PathBuf>,

    /// Run this shell command on every budget alarm, with DZ_ALARM_PRINCIPAL,
    /// DZ_ALARM_ROLE, DZ_ALARM_LIMIT, DZ_ALARM_USED and DZ_ALARM_MAX set.
    #[arg(long, value_name = "COMMAND", requires = "access")]
    alarm_command: Option<String>,
}

/// `desensitize access ...`.
#[derive(Subcommand, Debug)]
pub enum AccessCommand {
    /// Lift a principal's budget refusal now (an administrator's act).
    Lift(LiftArgs),
}

/// Arguments of `access lift`.
#[derive(Args, Debug)]
pub struct LiftArgs {
    /// The principal whose counts start again.
    #[arg(long = "as", value_name = "NAME")]
    principal: String,

    /// The access rules (they say whether the budget is the principal's or its role's).
    #[arg(long, value_name = "RULES")]
    access: PathBuf,

    /// The reveal counter file.
    #[arg(long, value_name = "FILE")]
    counter: PathBuf,
}

/// Read access rules: JSON for a `.json` file, else TOML.
fn read_rules(path: &Path) -> CliResult<AccessRules> {
    let text = std::fs::read_to_string(path).map_err(|e| common::file_error("access rules", path, &e, ""))?;
    let rules = match path.extension().and_then(|e| e.to_str()) {
        Some("json") => AccessRules::from_json(&text),
        _ => AccessRules::from_toml(&text),
    };
    rules.map_err(|e| CliError::usage(format!("access rules {}: {e}", path.display())))
}

fn principal(rules: &AccessRules, name: &str, path: &Path) -> CliResult<Principal> {
    Principal::from_rules(rules, name).map(Principal::with_current_os_user).map_err(|_| {
        CliError::usage(format!("--as {name}: no such principal in [principals] of {}", path.display()))
    })
}

impl AccessArgs {
    /// Attach the rules to `keyring` and return the principal, or `None`
    /// when no rules were given.
    pub fn attach(&self, keyring: &mut Keyring) -> CliResult<Option<Principal>> {
        let (Some(name), Some(path)) = (&self.principal, &self.access) else { return Ok(None) };
        let rules = read_rules(path)?;
        let who = principal(&rules, name, path)?;
        let budgets = rules.roles.values().any(|r| r.budget.is_some());
        let mut access = Access::new(rules).map_err(|e| CliError::usage(e.to_string()))?;
        match &self.counter {
            Some(file) => access = access.with_counter(Arc::new(FileCounter::new(file))),
            None if budgets => {
                return Err(CliError::usage(
                    "the access rules set budgets: give --counter FILE, the count shared by every process",
                ));
            }
            None => {}
        }
        if let Some(command) = self.alarm_command.clone() {
            access = access.on_alarm(move |alarm| run_hook(&command, alarm));
        }
        keyring.set_access(access);
        Ok(Some(who))
    }
}

/// The alarm hook: the audit event is already recorded, so a failing hook
/// only warns.
fn run_hook(command: &str, alarm: &Alarm<'_>) {
    let status = Process::new("sh")
        .args(["-c", command])
        .env("DZ_ALARM_PRINCIPAL", alarm.principal)
        .env("DZ_ALARM_ROLE", alarm.role)
        .env("DZ_ALARM_LIMIT", alarm.limit.as_str())
        .env("DZ_ALARM_USED", alarm.used.to_string())
        .env("DZ_ALARM_MAX", alarm.max.to_string())
        .status();
    match status {
        Ok(s) if s.success() => {}
        Ok(s) => eprintln!("desensitize: warning: --alarm-command exited with {s}"),
        Err(e) => eprintln!("desensitize: warning: --alarm-command could not run: {}", e.kind()),
    }
}

/// `desensitize access ...`.
pub fn access(command: AccessCommand) -> CliResult {
    match command {
        AccessCommand::Lift(args) => {
            let rules = read_rules(&args.access)?;
            let who = principal(&rules, &args.principal, &args.access)?;
            let access = Access::new(rules)
                .map_err(|e| CliError::usage(e.to_string()))?
                .with_counter(Arc::new(FileCounter::new(&args.counter)));
            access.lift(&who)?;
            common::note(format!("lifted the reveal budget of {}", args.principal));
            Ok(())
        }
    }
}
