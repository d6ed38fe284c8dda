//! [`summarize`]: counts the events of an audit log (chained or not) by
//! principal, role, purpose, kind and day, and lists its alarms: what
//! `desensitize audit report` prints.
//!
//! Read per line: `decision` (`allowed`, `masked` or `refused`; without it,
//! `outcome`: `opened` counts as allowed, `refused` as refused),
//! `principal`, `role`, `purpose`, `kind`, `ts_ms` (the UTC day). A line
//! with `"event": "alarm"` (or a non-null, non-false `alarm` member) is an
//! alarm and counted apart. Absent fields count under `-`; a line with
//! neither decision nor outcome counts as refused. Audit lines
//! hold no values, so neither does the summary.

use std::collections::BTreeMap;
use std::io::BufRead;

use serde::Serialize;

use super::VerifyError;
use super::chain::for_each_line;
use crate::date::Date;

/// How many events of one group were allowed, masked or refused.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct DecisionCounts {
    /// The plaintext was returned.
    pub allowed: u64,
    /// Only a masked display was returned.
    pub masked: u64,
    /// Nothing was returned.
    pub refused: u64,
}

/// One alarm line of the log.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Alarm {
    /// Its 1-based line number.
    pub line: u64,
    /// The line's JSON object, less its chain members (`seq`, `mac_key`, `mac`).
    pub event: serde_json::Value,
}

/// What [`summarize`] counted.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[non_exhaustive]
pub struct AuditSummary {
    /// Access events (alarms not included).
    pub events: u64,
    /// Their decisions, all together.
    pub total: DecisionCounts,
    /// By dimension (`principal`, `role`, `purpose`, `kind`, `day`), then by
    /// its value (`-` where a line lacks it).
    pub by: BTreeMap<String, BTreeMap<String, DecisionCounts>>,
    /// Every alarm, in log order (the first [`MAX_ALARMS`]).
    pub alarms: Vec<Alarm>,
    /// How many alarm lines the log has (also those past [`MAX_ALARMS`]).
    pub alarm_count: u64,
    /// Lines that are not a JSON object, or longer than 1 MiB (not counted).
    pub unreadable: u64,
}

/// The most alarms a summary lists; [`AuditSummary::alarm_count`] counts them all.
pub const MAX_ALARMS: usize = 10_000;

/// The dimensions of [`AuditSummary::by`].
pub const DIMENSIONS: [&str; 5] = ["principal", "role", "purpose", "kind", "day"];

/// Summarize the audit log read from `log`, one JSON object per line.
///
/// ```
/// use desensitize::audit::summarize;
///
/// let log = concat!(
///     r#"{"ts_ms":0,"kind":"cn.mobile_phone","purpose":"support","outcome":"opened","principal":"ann","role":"support","decision":"masked"}"#, "\n",
///     r#"{"ts_ms":86400000,"kind":"cn.id_number","purpose":"support","outcome":"refused"}"#, "\n",
///     r#"{"ts_ms":86400001,"event":"alarm","principal":"ann","alarm":"opened 90% of the daily budget"}"#, "\n",
/// );
/// let summary = summarize(log.as_bytes())?;
/// assert_eq!((summary.events, summary.total.masked, summary.total.refused), (2, 1, 1));
/// assert_eq!(summary.by["day"]["1970-01-02"].refused, 1);
/// assert_eq!(summary.by["principal"]["-"].refused, 1);
/// assert_eq!(summary.alarms[0].line, 3);
/// # Ok::<(), desensitize::audit::VerifyError>(())
/// ```
pub fn summarize(log: impl BufRead) -> Result<AuditSummary, VerifyError> {
    let mut summary = AuditSummary::default();
    let mut number = 0u64;
    for_each_line(log, |line| {
        number += 1;
        let Some(line) = line else {
            summary.unreadable += 1;
            return;
        };
        if line.iter().all(u8::is_ascii_whitespace) {
            return;
        }
        match serde_json::from_slice::<serde_json::Value>(line) {
            Ok(serde_json::Value::Object(mut event)) => {
                for member in ["seq", "mac_key", "mac"] {
                    event.remove(member);
                }
                summary.add(number, serde_json::Value::Object(event));
            }
            _ => summary.unreadable += 1,
        }
    })?;
    Ok(summary)
}

impl AuditSummary {
    fn add(&mut self, line: u64, event: serde_json::Value) {
        let is_alarm = event["event"] == "alarm"
            || !matches!(event["alarm"], serde_json::Value::Null | serde_json::Value::Bool(false));
        if is_alarm {
            self.alarm_count += 1;
            if self.alarms.len() < MAX_ALARMS {
                self.alarms.push(Alarm { line, event });
            }
            return;
        }
        self.events += 1;
        let decision = match (event["decision"].as_str(), event["outcome"].as_str()) {
            (Some("masked"), _) => Decision::Masked,
            (Some("refused"), _) | (None, Some("refused")) => Decision::Refused,
            (Some("allowed"), _) | (None, Some("opened")) => Decision::Allowed,
            _ => Decision::Refused,
        };
        decision.count(&mut self.total);
        for dimension in DIMENSIONS {
            let value = match dimension {
                "day" => event["ts_ms"].as_u64().map(day),
                _ => event[dimension].as_str().map(str::to_owned),
            };
            let group = self.by.entry(dimension.to_owned()).or_default();
            decision.count(group.entry(value.unwrap_or_else(|| "-".to_owned())).or_default());
        }
    }
}

#[derive(Clone, Copy)]
enum Decision {
    Allowed,
    Masked,
    Refused,
}

impl Decision {
    fn count(self, counts: &mut DecisionCounts) {
        match self {
            Decision::Allowed => counts.allowed += 1,
            Decision::Masked => counts.masked += 1,
            Decision::Refused => counts.refused += 1,
        }
    }
}

/// The UTC day of a Unix time in milliseconds, `YYYY-MM-DD`.
fn day(ts_ms: u64) -> String {
    Date::from_days_since_epoch(i64::try_from(ts_ms / 86_400_000).unwrap_or(i64::MAX)).to_string()
}
