//! `uketsuke report`: the monthly count by verification method and the usage-rate share, of
//! one kiosk's database (`--db`) or of every kiosk in the hospital's central database
//! (`--central`: each kiosk, then all together; issue 19 item 3).

use std::path::{Path, PathBuf};

use anyhow::{Result, bail};

use crate::rules::Rules;
use crate::store::Store;

/// The options of `uketsuke report`.
#[derive(Debug, clap::Args)]
pub struct ReportOptions {
    /// The month, YYYY-MM.
    #[arg(long)]
    pub month: String,
    /// The SQLite database file of one kiosk.
    #[arg(long, required_unless_present = "central", conflicts_with = "central")]
    pub db: Option<PathBuf>,
    /// The hospital's central database instead, e.g. postgres://uketsuke@db.hospital.lan/uketsuke
    /// (no password in it): the report of each kiosk, then of all kiosks together.
    #[arg(long)]
    pub central: Option<String>,
    /// A file holding the central database's password on its first line.
    #[arg(long, requires = "central")]
    pub central_password_file: Option<PathBuf>,
    /// A PEM file of the authority that signed the central database's certificate (TLS
    /// required then).
    #[arg(long, requires = "central")]
    pub central_ca_file: Option<PathBuf>,
    /// With --central: only this kiosk (its `central.kiosk_id`).
    #[arg(long, requires = "central")]
    pub kiosk: Option<String>,
    /// `table` for people, `csv` for spreadsheets.
    #[arg(long, default_value = "table")]
    pub format: String,
    /// The national rules (the formula and the target in force); default: the embedded ones.
    #[arg(long)]
    pub rules: Option<PathBuf>,
}

/// Prints the month's report.
pub fn command(options: &ReportOptions) -> Result<()> {
    let rules = super::compose::load_rules(options.rules.as_deref())?;
    match (&options.db, &options.central) {
        (Some(db), _) => report(&options.month, db, &options.format, &rules),
        (None, Some(url)) => central_report(options, url, &rules),
        (None, None) => bail!("give --db (one kiosk) or --central (every kiosk)"),
    }
}

/// `uketsuke report --central`: each kiosk's month (its section headed
/// `== kiosk ID (NAME) ==`), then all kiosks together (`== all kiosks (N) ==`) with the
/// people counted once across kiosks; `--kiosk` or `--format csv` print one report only (that
/// kiosk, or the total).
fn central_report(options: &ReportOptions, url: &str, rules: &Rules) -> Result<()> {
    let month = &options.month;
    let (year, mon) = crate::report::parse_month(month)
        .ok_or_else(|| anyhow::anyhow!("--month {month}: expected YYYY-MM, e.g. 2026-11"))?;
    if options.format != "table" && options.format != "csv" {
        bail!("--format {}: use table or csv", options.format);
    }
    let first = format!("{year:04}-{mon:02}-01");
    let last = crate::report::last_day(month)
        .map(|d| d.format("%Y-%m-%d").to_string())
        .unwrap_or_else(|| first.clone());
    let mut settings = crate::central_settings::CentralSettings::new(url, "report");
    settings.password_file = options.central_password_file.clone();
    settings.ca_file = options.central_ca_file.clone();
    if let Some((key, what)) = settings.problems().into_iter().next() {
        bail!("--central: {key} {what}");
    }
    let mut central = crate::central::Central::connect(&settings)?;
    let mut kiosks = central.report_rows(&first, &last)?;
    if let Some(id) = &options.kiosk {
        kiosks.retain(|k| &k.kiosk_id == id);
        if kiosks.is_empty() {
            bail!("--kiosk {id}: no kiosk with that id has delivered to {url}");
        }
    }
    let made = |rows: &[crate::report::ReportRow]| {
        crate::report::MonthReport::from_rows_with_people(month, rows).with_rules(rules)
    };
    let all: Vec<crate::report::ReportRow> =
        kiosks.iter().flat_map(|k| k.rows.iter().cloned()).collect();
    if options.format == "csv" {
        print!("{}", made(&all).csv());
        return Ok(());
    }
    if options.kiosk.is_none() {
        for k in &kiosks {
            println!("== kiosk {} ({}) ==", k.kiosk_id, k.kiosk_name);
            print!("{}", made(&k.rows).table());
            println!();
        }
        println!("== all kiosks ({}) ==", kiosks.len());
    }
    print!("{}", made(&all).table());
    Ok(())
}

/// `uketsuke report`.
pub fn report(month: &str, db: &Path, format: &str, rules: &Rules) -> Result<()> {
    let (year, mon) = crate::report::parse_month(month)
        .ok_or_else(|| anyhow::anyhow!("--month {month}: expected YYYY-MM, e.g. 2026-11"))?;
    if format != "table" && format != "csv" {
        bail!("--format {format}: use table or csv");
    }
    if !db.exists() {
        bail!("database {} does not exist", db.display());
    }
    let store = Store::open(db)?;
    let report = store.month_report(month, year, mon, rules)?;
    match format {
        "csv" => print!("{}", report.csv()),
        _ => print!("{}", report.table()),
    }
    Ok(())
}
