//! `risk`: re-identification risk of a file over its quasi-identifiers, and
//! with `--optimize` the least generalization that meets a privacy model,
//! written as a policy that `run` applies. A thin shell over
//! `desensitize::risk`.

use std::fs::File;
use std::io::BufReader;
use std::path::PathBuf;

use clap::Args;
use desensitize::Date;
use desensitize::assess::{Columns, Quasi, scan};
use desensitize::risk::{
    Builtin, Dimension, Diversity, Hierarchy, Lattice, Population, PrivacyModel, RiskError, RiskReport,
    policy_toml,
};
use desensitize::stream::Options;

use crate::clash::Kept;
use crate::common::{CliError, CliResult, Format, note};

/// Arguments of `risk`.
///
/// A quasi-identifier is `COLUMN`, or `COLUMN:HIERARCHY` measured at its
/// finest level, or `COLUMN:HIERARCHY@LEVEL`. Hierarchies: `id-age` (ID
/// number: 5/10/20-year age band), `id-region` (ID number: city,
/// province), `address` (city, province), `geohash` / `geohashN` (geohash
/// of N characters down to 1; default 8), `age` (whole years: age, 5/10/20
/// band), `date` (day, month, year), `csv` (the file given by
/// `--hierarchy COLUMN=FILE`). The last level of every hierarchy is `*`.
#[derive(Args, Debug)]
pub struct RiskArgs {
    /// The CSV or JSON Lines file.
    file: PathBuf,

    /// Quasi-identifiers, comma-separated (see above).
    #[arg(long, value_delimiter = ',', required = true, value_name = "COLUMNS")]
    quasi: Vec<String>,

    /// Sensitive columns, comma-separated: their l-diversity and t-closeness.
    #[arg(long, value_delimiter = ',', value_name = "COLUMNS")]
    sensitive: Vec<String>,

    /// Input format (default: from the extension, else CSV).
    #[arg(long, value_enum, value_name = "FORMAT")]
    format: Option<Format>,

    /// Print the report as JSON instead of a table.
    #[arg(long)]
    json: bool,

    /// Also write the report as an HTML page with a class-size histogram.
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,

    /// The share of the population the file holds, for journalist and marketer risk.
    #[arg(long, default_value_t = 1.0, value_name = "F")]
    sampling_fraction: f64,

    /// A CSV hierarchy for a `COLUMN:csv` quasi-identifier: `COLUMN=FILE`.
    #[arg(long, value_name = "COLUMN=FILE")]
    hierarchy: Vec<String>,

    /// The date ages are computed on, YYYY-MM-DD (default: today, China time).
    #[arg(long, value_name = "DATE")]
    today: Option<String>,

    /// Worker threads.
    #[arg(long, default_value_t = 2, value_name = "N")]
    threads: usize,

    /// Search the levels of the quasi-identifiers' hierarchies for the least
    /// loss that meets the model below.
    #[arg(long)]
    optimize: bool,

    /// With --optimize: the smallest class.
    #[arg(long, default_value_t = 2, value_name = "K")]
    k: u64,

    /// With --optimize: l-diversity of the sensitive columns.
    #[arg(long, value_name = "L")]
    l: Option<u64>,

    /// With --optimize: entropy l-diversity instead of distinct.
    #[arg(long)]
    entropy: bool,

    /// With --optimize: t-closeness of the sensitive columns.
    #[arg(long, value_name = "T")]
    t: Option<f64>,

    /// With --optimize: the highest prosecutor risk allowed.
    #[arg(long, value_name = "R")]
    max_risk: Option<f64>,

    /// With --optimize: the share of records that may be suppressed.
    #[arg(long, default_value_t = 0.05, value_name = "S")]
    max_suppression: f64,

    /// With --optimize: write the chosen levels as a policy (TOML) for `run`.
    #[arg(long, value_name = "FILE")]
    policy_out: Option<PathBuf>,
}

fn risk_error(e: RiskError) -> CliError {
    match e {
        RiskError::Setting { .. } | RiskError::NoColumn(_) | RiskError::Hierarchy { .. } => {
            CliError::usage(e.to_string())
        }
        e => CliError::failed(e.to_string()),
    }
}

fn parse_date(s: &str) -> CliResult<Date> {
    let bad = || CliError::usage(format!("--today {s:?}: expected a date YYYY-MM-DD"));
    let mut p = s.splitn(3, '-');
    let mut next = || p.next().and_then(|x| x.parse::<u16>().ok()).ok_or_else(bad);
    let (y, m, d) = (next()?, next()?, next()?);
    Date::new(y, m.try_into().map_err(|_| bad())?, d.try_into().map_err(|_| bad())?).ok_or_else(bad)
}

/// One `--quasi` item: the column, its hierarchy, the level asked for.
fn quasi(spec: &str, today: Date, files: &[(String, String)]) -> CliResult<(Quasi, Option<usize>)> {
    let usage = |m: String| CliError::usage(format!("--quasi {spec}: {m}"));
    let (spec, level) = match spec.rsplit_once('@') {
        Some((s, l)) => (s, Some(l.parse::<usize>().map_err(|_| usage("the level is not a number".into()))?)),
        None => (spec, None),
    };
    let (column, name) = match spec.split_once(':') {
        Some((c, h)) => (c, Some(h)),
        None => (spec, None),
    };
    let hierarchy = match name {
        None => None,
        Some("id-age") => Some(Hierarchy::Builtin(Builtin::IdAge { today })),
        Some("id-region") => Some(Hierarchy::Builtin(Builtin::IdRegion { today })),
        Some("address") => Some(Hierarchy::Builtin(Builtin::AddressRegion)),
        Some("age") => Some(Hierarchy::Builtin(Builtin::Age)),
        Some("date") => Some(Hierarchy::Builtin(Builtin::Date)),
        Some(g) if g.starts_with("geohash") => {
            let finest = if g == "geohash" { 8 } else { g[7..].parse().unwrap_or(0) };
            if !(1..=12).contains(&finest) {
                return Err(usage("geohash precision must be 1 to 12".into()));
            }
            Some(Hierarchy::Builtin(Builtin::Geohash { finest }))
        }
        Some("csv") => {
            let path = files
                .iter()
                .find(|(c, _)| c == column)
                .map(|(_, p)| p)
                .ok_or_else(|| usage(format!("no --hierarchy {column}=FILE")))?;
            let text = std::fs::read_to_string(path)
                .map_err(|e| CliError::usage(format!("--hierarchy {column}: cannot read: {}", e.kind())))?;
            Some(
                Hierarchy::from_csv(&text)
                    .map_err(|m| CliError::usage(format!("--hierarchy {column}: {m}")))?,
            )
        }
        Some(h) => return Err(usage(format!("unknown hierarchy `{h}`"))),
    };
    if let (Some(l), Some(h)) = (level, &hierarchy)
        && l >= h.levels()
    {
        return Err(usage(format!("level {l} is past `*` (level {})", h.levels() - 1)));
    }
    Ok((Quasi { column: column.to_owned(), hierarchy, level }, level))
}

/// `risk`.
pub fn risk(args: RiskArgs) -> CliResult {
    let today = args.today.as_deref().map(parse_date).transpose()?.unwrap_or_else(Date::today);
    let files: Vec<(String, String)> = args
        .hierarchy
        .iter()
        .map(|h| {
            h.split_once('=')
                .map(|(c, p)| (c.to_owned(), p.to_owned()))
                .ok_or_else(|| CliError::usage(format!("--hierarchy {h}: expected COLUMN=FILE")))
        })
        .collect::<CliResult<_>>()?;
    let mut quasi_columns = Vec::new();
    for spec in &args.quasi {
        let (mut q, _) = quasi(spec, today, &files)?;
        if args.optimize {
            // The search stores whole chains; a flat column is value, then `*`.
            q.hierarchy.get_or_insert(Hierarchy::Flat);
            q.level = None;
        } else if q.hierarchy.is_some() && q.level.is_none() {
            q.level = Some(0);
        }
        quasi_columns.push(q);
    }
    let population = Population::new(args.sampling_fraction).map_err(risk_error)?;
    let format = args.format.or_else(|| Format::of_path(&args.file)).unwrap_or(Format::Csv);
    let file =
        File::open(&args.file).map_err(|e| crate::common::file_error("the input", &args.file, &e, ""))?;
    let columns = Columns { quasi: quasi_columns, sensitive: args.sensitive.clone() };
    let started = std::time::Instant::now();
    let table = scan(BufReader::new(file), format.stream(), &columns, &Options::new(args.threads))
        .map_err(risk_error)?;
    note(format_args!(
        "desensitize risk: {} rows in {:.2} s ({} classes)",
        table.records(),
        started.elapsed().as_secs_f64(),
        table.classes()
    ));
    let (report, k_line) = if args.optimize {
        optimize(&args, &columns, table, today, population)?
    } else {
        (RiskReport::of(&table, &args.sensitive, population), args.k)
    };
    if args.json {
        let json = serde_json::to_string_pretty(&report).map_err(|e| CliError::failed(e.to_string()))?;
        println!("{json}");
    } else {
        print!("{}", report.to_text());
    }
    if let Some(path) = &args.html {
        Kept::new().file("the input", Some(&args.file)).refuse("the HTML report", path)?;
        let title = args.file.file_name().map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        std::fs::write(path, report.to_html(&title, k_line))?;
    }
    Ok(())
}

/// `--optimize`: the lattice search, its levels printed (and written as a
/// policy); the report is of the table as released at those levels.
fn optimize(
    args: &RiskArgs,
    columns: &Columns,
    table: desensitize::risk::ClassTable,
    today: Date,
    population: Population,
) -> CliResult<(RiskReport, u64)> {
    let mut model = PrivacyModel::new(args.k).map_err(risk_error)?;
    if let Some(l) = args.l {
        let d = if args.entropy { Diversity::Entropy } else { Diversity::Distinct };
        model = model.with_l(l, d).map_err(risk_error)?;
    }
    if let Some(t) = args.t {
        model = model.with_t(t).map_err(risk_error)?;
    }
    if let Some(r) = args.max_risk {
        model = model.with_max_risk(r).map_err(risk_error)?;
    }
    model = model.with_max_suppression(args.max_suppression).map_err(risk_error)?;
    if (args.l.is_some() || args.t.is_some()) && args.sensitive.is_empty() {
        return Err(CliError::usage("--l and --t need --sensitive"));
    }
    let dims: Vec<Dimension> = columns
        .quasi
        .iter()
        .map(|q| Dimension {
            column: q.column.clone(),
            hierarchy: q.hierarchy.clone().unwrap_or(Hierarchy::Flat),
        })
        .collect();
    let started = std::time::Instant::now();
    let lattice = Lattice::new(&table, &dims).map_err(risk_error)?;
    let best = lattice.optimize(&model).map_err(risk_error)?;
    let levels: Vec<String> = args
        .quasi
        .iter()
        .zip(&best.levels)
        .map(|(q, l)| format!("{}@{l}", q.split('@').next().unwrap_or(q)))
        .collect();
    note(format_args!(
        "desensitize risk --optimize: {} of {} nodes counted in {:.2} s; loss {:.4}, {} records suppressed",
        best.evaluated,
        best.nodes,
        started.elapsed().as_secs_f64(),
        best.loss,
        best.suppressed_records
    ));
    eprintln!("levels: {}", levels.join(","));
    if let Some(path) = &args.policy_out {
        Kept::new().file("the input", Some(&args.file)).refuse("the policy", path)?;
        let toml = policy_toml(&dims, &best.levels, &args.sensitive, &model, today).map_err(risk_error)?;
        std::fs::write(path, toml)?;
    }
    let released = model.check(lattice.table_at(&best.levels), &args.sensitive).map_err(risk_error)?;
    Ok((RiskReport::of(&released.into_kept(), &args.sensitive, population), model.k()))
}
