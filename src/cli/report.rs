//! `uketsuke report`: the monthly count by verification method and the usage-rate share.

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
    /// The SQLite database file.
    #[arg(long)]
    pub db: PathBuf,
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
    report(&options.month, &options.db, &options.format, &rules)
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
