//! A policy compiled against a header and a keyring: every check done and
//! every key resolved before the first row.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use super::PolicyError;
use super::column::{BuildEnv, Column, build_column};
use super::rules::{ColumnRule, Rules};
use super::schema::{Minors, OnInvalid, Policy, Unnamed};
use crate::risk::Checked;
use crate::{Category, Date, Keyring, Kind};

/// What one input column becomes.
pub(super) enum PlanColumn {
    /// Unnamed and dropped.
    Skip,
    /// Unnamed and kept.
    Pass { qi: bool },
    /// Named by the policy, with a kind.
    Typed {
        col: Box<dyn Column>,
        outputs: usize,
        qi_main: bool,
        qi_any: bool,
        /// Its kind is [`Category::Sensitive`] (withheld without consent).
        sensitive: bool,
    },
    /// Named, without a kind: kept or dropped as is.
    Plain { keep: bool, qi: bool },
}

/// A policy compiled against a header (the input's column names) and a
/// keyring. Everything is checked when it is built: columns missing from
/// the header, unnamed columns (refused unless the policy says otherwise),
/// duplicate output names, keys the policy needs. Every per-column key
/// (pseudonymizer, FPE cipher, blind index, sealing context) is resolved
/// once. `Send + Sync`: share one plan (in an `Arc` or by reference) among
/// worker threads, each with its own [`Cells`](super::Cells) and
/// [`Report`](super::Report).
///
/// The keyring is held as an `Arc` because sealing draws on it for every
/// row; an owned handle lets a plan outlive the scope that built it (a
/// Python object, a Spark task).
///
/// ```
/// use std::sync::Arc;
/// use desensitize::policy::{Cells, Plan, Policy, PolicyError, Report};
///
/// let policy = Policy::from_json(r#"{"columns": {"phone": {"kind": "mobile_phone", "action": "mask"}}}"#)?;
/// // Checked against the header before the first record.
/// let err = Plan::from_policy(&policy, &["phone", "note"], None).unwrap_err();
/// assert_eq!(err, PolicyError::Unnamed(vec!["note".into()]));
///
/// let plan = Arc::new(Plan::from_policy(&policy, &["phone"], None)?);
/// let worker = {
///     let plan = Arc::clone(&plan);
///     std::thread::spawn(move || {
///         let (mut cells, mut report) = (Cells::new(), Report::default());
///         plan.apply(1, &["13800138000"][..], &mut cells, &mut report).map(|_| cells.get(0).to_vec())
///     })
/// };
/// assert_eq!(worker.join().unwrap().unwrap(), b"138****8000");
/// # Ok::<(), PolicyError>(())
/// ```
pub struct Plan {
    pub(super) columns: Vec<PlanColumn>,
    pub(super) rules: Rules,
    pub(super) in_names: Vec<String>,
    pub(super) in_index: HashMap<String, usize>,
    /// Input column -> policy column.
    pub(super) in_policy: Vec<Option<usize>>,
    pub(super) out_names: Vec<String>,
    pub(super) row_id: Option<usize>,
    pub(super) consent: Option<usize>,
    /// Input columns of kind id_number, read for ages under `minors`.
    pub(super) id_columns: Vec<usize>,
    pub(super) quasi_identifiers: Vec<usize>,
    /// Output index of each sensitive column of the privacy model.
    pub(super) sensitive: Vec<usize>,
    pub(super) marker: Vec<u8>,
    /// Every output cell must be UTF-8 (JSON, Arrow strings).
    pub(super) text_output: bool,
    pub(super) suppression: OnceLock<Checked>,
}

impl PlanColumn {
    /// Output cells it writes per row.
    fn outputs(&self) -> usize {
        match self {
            PlanColumn::Skip | PlanColumn::Plain { keep: false, .. } => 0,
            PlanColumn::Pass { .. } | PlanColumn::Plain { keep: true, .. } => 1,
            PlanColumn::Typed { outputs, .. } => *outputs,
        }
    }
}

impl std::fmt::Debug for Plan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Plan").field("inputs", &self.in_names).field("outputs", &self.out_names).finish()
    }
}

impl Plan {
    /// Compile checked rules against a header. `keyring` is needed when a
    /// column seals, pseudonymizes, uses FPE or a blind index.
    pub fn new<S: AsRef<str>>(
        rules: &Rules,
        header: &[S],
        keyring: Option<Arc<Keyring>>,
    ) -> Result<Plan, PolicyError> {
        let header: Vec<String> = header.iter().map(|h| h.as_ref().to_owned()).collect();
        let index = header_index(&header)?;
        let missing: Vec<String> =
            rules.columns.iter().filter(|c| !index.contains_key(&c.name)).map(|c| c.name.clone()).collect();
        if !missing.is_empty() {
            return Err(PolicyError::NotInHeader(missing));
        }
        let by_name: HashMap<&str, usize> =
            rules.columns.iter().enumerate().map(|(i, c)| (c.name.as_str(), i)).collect();
        let unnamed: Vec<String> =
            header.iter().filter(|h| !by_name.contains_key(h.as_str())).cloned().collect();
        if rules.unnamed == Unnamed::Refuse && !unnamed.is_empty() {
            return Err(PolicyError::Unnamed(unnamed));
        }
        let row_id = named(&index, "row_id", &rules.row_id)?;
        let consent = named(&index, "consent_column", &rules.consent_column)?;
        let (in_policy, out_names) = outputs(rules, &header, &by_name)?;
        let quasi_identifiers = class_columns(rules, &out_names, false)?;
        let sensitive = class_columns(rules, &out_names, true)?;
        let counted: Vec<usize> = quasi_identifiers.iter().chain(&sensitive).copied().collect();
        let env = BuildEnv {
            keyring: keyring.as_ref(),
            table: rules.table.as_deref(),
            per_row: row_id.is_some(),
            today: rules.today,
        };
        let columns = plan_columns(rules, &in_policy, &counted, &env)?;
        debug_assert_eq!(columns.iter().map(PlanColumn::outputs).sum::<usize>(), out_names.len());
        let id_columns = if rules.minors == Minors::Same {
            Vec::new()
        } else {
            in_policy
                .iter()
                .enumerate()
                .filter(|(_, p)| p.is_some_and(|p| rules.columns[p].kind == Some(Kind::IdNumber)))
                .map(|(i, _)| i)
                .collect()
        };
        Ok(Plan {
            columns,
            rules: rules.clone(),
            in_index: index,
            in_names: header,
            in_policy,
            out_names,
            row_id,
            consent,
            id_columns,
            quasi_identifiers,
            sensitive,
            marker: rules.marker.as_bytes().to_vec(),
            text_output: false,
            suppression: OnceLock::new(),
        })
    }

    /// Check `policy` and compile it against `header` in one step.
    pub fn from_policy<S: AsRef<str>>(
        policy: &Policy,
        header: &[S],
        keyring: Option<Arc<Keyring>>,
    ) -> Result<Plan, PolicyError> {
        Plan::new(&policy.check()?, header, keyring)
    }

    /// Require every output cell to be UTF-8 text (for JSON or Arrow string
    /// output): a kept value that is not counts as an invalid value.
    pub fn with_text_output(mut self, text: bool) -> Plan {
        self.text_output = text;
        self
    }

    /// The checked rules the plan was compiled from.
    pub fn rules(&self) -> &Rules {
        &self.rules
    }

    /// The input column names (the header).
    pub fn input_names(&self) -> &[String] {
        &self.in_names
    }

    /// The index of an input column.
    pub fn input_index(&self, name: &str) -> Option<usize> {
        self.in_index.get(name).copied()
    }

    /// The output column names, in output order.
    pub fn output_names(&self) -> &[String] {
        &self.out_names
    }

    /// The policy column of an input column (`None`: unnamed).
    pub fn column_rule(&self, input: usize) -> Option<&ColumnRule> {
        self.in_policy.get(input).copied().flatten().map(|p| &self.rules.columns[p])
    }

    /// Whether an unnamed input column is copied to the output.
    pub fn keeps_unnamed(&self, input: usize) -> bool {
        matches!(self.columns.get(input), Some(PlanColumn::Pass { .. }))
    }

    /// The date ages are computed on.
    pub fn today(&self) -> Date {
        self.rules.today
    }

    /// Whether invalid values are marked (else they fail their row).
    pub fn marks_invalid(&self) -> bool {
        self.rules.on_invalid == OnInvalid::Mark
    }
}

/// Header name -> index, refusing a name given twice.
fn header_index(header: &[String]) -> Result<HashMap<String, usize>, PolicyError> {
    let mut index: HashMap<String, usize> = HashMap::with_capacity(header.len());
    for (i, h) in header.iter().enumerate() {
        if index.insert(h.clone(), i).is_some() {
            return Err(PolicyError::DuplicateHeader(h.clone()));
        }
    }
    Ok(index)
}

/// The input column a setting (`key`) names, which the header must have.
fn named(
    index: &HashMap<String, usize>,
    key: &'static str,
    name: &Option<String>,
) -> Result<Option<usize>, PolicyError> {
    match name {
        None => Ok(None),
        Some(c) => index
            .get(c)
            .map(|&i| Some(i))
            .ok_or_else(|| PolicyError::SettingNotInHeader { key, column: c.clone() }),
    }
}

/// Per input column its policy column (`None`: unnamed), and the output
/// names in header order: main value, then derived columns, all distinct.
fn outputs(
    rules: &Rules,
    header: &[String],
    by_name: &HashMap<&str, usize>,
) -> Result<(Vec<Option<usize>>, Vec<String>), PolicyError> {
    let mut out_names: Vec<String> = Vec::new();
    let mut seen: HashMap<String, ()> = HashMap::new();
    let mut add = |name: &str, out_names: &mut Vec<String>| -> Result<(), PolicyError> {
        if seen.insert(name.to_owned(), ()).is_some() {
            return Err(PolicyError::DuplicateOutput(name.to_owned()));
        }
        out_names.push(name.to_owned());
        Ok(())
    };
    let mut in_policy = Vec::with_capacity(header.len());
    for h in header {
        match by_name.get(h.as_str()) {
            Some(&p) => {
                let c = &rules.columns[p];
                if c.writes_main() {
                    add(&c.name, &mut out_names)?;
                }
                for (_, d) in &c.derived {
                    add(d, &mut out_names)?;
                }
                in_policy.push(Some(p));
            }
            None => {
                if rules.unnamed == Unnamed::Keep {
                    add(h, &mut out_names)?;
                }
                in_policy.push(None);
            }
        }
    }
    Ok((in_policy, out_names))
}

/// The output index of every quasi-identifier (or, with `sensitive`, every
/// sensitive column) of the privacy model.
fn class_columns(rules: &Rules, out_names: &[String], sensitive: bool) -> Result<Vec<usize>, PolicyError> {
    let Some(k) = &rules.k_anonymity else {
        return Ok(Vec::new());
    };
    let (names, what) = if sensitive {
        (&k.sensitive, "sensitive column")
    } else {
        (&k.quasi_identifiers, "quasi-identifier")
    };
    names
        .iter()
        .map(|q| {
            out_names
                .iter()
                .position(|n| n == q)
                .ok_or_else(|| PolicyError::KAnonymity(format!("{what} `{q}` is not an output column")))
        })
        .collect()
}

/// What every input column becomes, its processor built (keys resolved) when it has a kind.
fn plan_columns(
    rules: &Rules,
    in_policy: &[Option<usize>],
    qi: &[usize],
    env: &BuildEnv<'_>,
) -> Result<Vec<PlanColumn>, PolicyError> {
    let mut columns = Vec::with_capacity(in_policy.len());
    let mut out = 0usize;
    for p in in_policy {
        match *p {
            None if rules.unnamed == Unnamed::Keep => {
                columns.push(PlanColumn::Pass { qi: qi.contains(&out) });
                out += 1;
            }
            None => columns.push(PlanColumn::Skip),
            Some(p) => {
                let c: &ColumnRule = &rules.columns[p];
                let outputs = c.outputs();
                let qi_main = c.writes_main() && qi.contains(&out);
                let qi_any = (out..out + outputs).any(|o| qi.contains(&o));
                match c.kind {
                    None => columns.push(PlanColumn::Plain { keep: c.writes_main(), qi: qi_main }),
                    Some(kind) => columns.push(PlanColumn::Typed {
                        col: build_column(c, kind, env)?,
                        outputs,
                        qi_main,
                        qi_any,
                        sensitive: kind.category() == Category::Sensitive,
                    }),
                }
                out += outputs;
            }
        }
    }
    Ok(columns)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn _assert_send_sync() {
        fn is<T: Send + Sync>() {}
        is::<Plan>();
    }
}
