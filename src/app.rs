//! The composition root: builds readers, gateways and stores from the command line's words,
//! and runs the subcommands. The only module that knows every adapter.
//!
//! Errors here are for technicians: each names the file, option or device at fault.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use time::OffsetDateTime;

use crate::domain::CheckInRecord;
use crate::flow::{CheckInFlow, ReaderOp, ReaderReply, StoreReply};
use crate::gateway::sim::{Persona, SimGateway};
use crate::headless::{Driver, PatientScript, ReaderPort, StorePort};
use crate::reader::sim::SimReader;
use crate::report::MonthReport;
use crate::rules::{FacilityConfig, Rules};
use crate::store::Store;

/// Logs go to stderr; `UKETSUKE_LOG` sets the filter (default `warn`). No personal data is
/// ever logged at any level.
pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("UKETSUKE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// The options of `uketsuke check-in`.
#[derive(Debug, clap::Args)]
pub struct CheckInOptions {
    /// Run without a screen (the only mode until the patient UI arrives).
    #[arg(long)]
    pub headless: bool,
    /// The reader: `sim:PROFILE` (card, phone, iphone, transit, resident-card, payment,
    /// unknown-device, mute; options like `sim:card,tries=2,pin=1234,remove-after=5`).
    #[arg(long, default_value = "sim:card")]
    pub reader: String,
    /// The eligibility gateway: `sim` or `sim:PERSONA`.
    #[arg(long, default_value = "sim")]
    pub gateway: String,
    /// The SQLite database file (created if missing).
    #[arg(long)]
    pub db: PathBuf,
    /// The patient script (JSON; see README).
    #[arg(long)]
    pub patient: PathBuf,
    /// National rules JSON (default: the rules built in).
    #[arg(long)]
    pub rules: Option<PathBuf>,
    /// Facility configuration JSON (default: all defaults).
    #[arg(long)]
    pub facility: Option<PathBuf>,
    /// Run the script this many times, printing one JSON line per committed check-in.
    #[arg(long, default_value_t = 1)]
    pub repeat: u64,
}

impl ReaderPort for SimReader {
    fn place(&mut self, what: Option<&str>) -> Result<(), String> {
        SimReader::place(self, what)
    }

    fn remove(&mut self) {
        SimReader::remove(self);
    }

    fn execute(&mut self, op: ReaderOp) -> ReaderReply {
        SimReader::execute(self, op)
    }
}

impl StorePort for Store {
    fn commit(&mut self, record: &CheckInRecord) -> StoreReply {
        match self.commit_check_in(record) {
            Ok(c) => StoreReply::Committed {
                check_in_id: c.check_in_id,
                reception_number: c.reception_number,
            },
            Err(e) => StoreReply::Failed(e.to_string()),
        }
    }
}

/// `--reader`: only the simulated reader exists until the PC/SC adapter arrives.
pub fn build_reader(spec: &str) -> Result<SimReader> {
    let profile = match spec.split_once(':') {
        Some(("sim", profile)) => profile,
        None if spec == "sim" => "card",
        _ => bail!(
            "--reader {spec}: unknown reader; use sim:PROFILE (card, phone, iphone, transit, \
             resident-card, payment, unknown-device, mute)"
        ),
    };
    SimReader::from_spec(profile).map_err(|e| anyhow::anyhow!("--reader {spec}: {e}"))
}

/// `--gateway`: `sim` or `sim:PERSONA`.
pub fn build_gateway(spec: &str) -> Result<SimGateway> {
    let persona = match spec.split_once(':') {
        None if spec == "sim" => Persona::Valid3,
        Some(("sim", name)) => {
            Persona::parse(name).map_err(|e| anyhow::anyhow!("--gateway {spec}: {e}"))?
        }
        _ => bail!("--gateway {spec}: unknown gateway; use sim or sim:PERSONA"),
    };
    Ok(SimGateway::new(persona))
}

pub fn load_rules(path: Option<&Path>) -> Result<Rules> {
    match path {
        None => Ok(Rules::embedded()),
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read rules file {}", path.display()))?;
            Ok(Rules::from_json(&text, &path.display().to_string())?)
        }
    }
}

pub fn load_facility(path: Option<&Path>) -> Result<FacilityConfig> {
    match path {
        None => Ok(FacilityConfig::default()),
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read facility file {}", path.display()))?;
            Ok(FacilityConfig::from_json(
                &text,
                &path.display().to_string(),
            )?)
        }
    }
}

pub fn load_script(path: &Path) -> Result<PatientScript> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read patient script {}", path.display()))?;
    PatientScript::parse(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

/// `uketsuke check-in --headless`.
pub fn check_in(options: &CheckInOptions) -> Result<()> {
    if !options.headless {
        bail!("check-in needs --headless until the patient UI arrives");
    }
    if options.repeat == 0 {
        bail!("--repeat must be at least 1");
    }
    let rules = load_rules(options.rules.as_deref())?;
    let facility = load_facility(options.facility.as_deref())?;
    let script = load_script(&options.patient)?;
    let reader = build_reader(&options.reader)?;
    let gateway = build_gateway(&options.gateway)?;
    let store = Store::open(&options.db)?;
    let start = script.visit_time.unwrap_or_else(now);
    let flow = CheckInFlow::new(rules, facility);
    let mut driver = Driver::new(flow, start, reader, gateway, store.clone());
    for n in 0..options.repeat {
        let before = driver.committed().len();
        let committed = driver.run(&script).map_err(|e| {
            // A step can fail after the kiosk already recorded a check-in: say so, since the
            // database holds it.
            let recorded: Vec<String> = driver.committed()[before..]
                .iter()
                .map(|c| format!("{} ({})", c.check_in_id, c.record.outcome.as_str()))
                .collect();
            if recorded.is_empty() {
                anyhow::anyhow!("{}: {e}", options.patient.display())
            } else {
                anyhow::anyhow!(
                    "{}: {e} (already recorded before this step: check-in {})",
                    options.patient.display(),
                    recorded.join(", ")
                )
            }
        })?;
        let stored = store
            .check_in(committed.check_in_id)?
            .context("the committed check-in cannot be read back")?;
        // Printed only after the commit returned, so a printed check-in is durable.
        let json = if options.repeat == 1 {
            serde_json::to_string_pretty(&stored)?
        } else {
            serde_json::to_string(&stored)?
        };
        println!("{json}");
        if n + 1 < options.repeat {
            // Next patient: a new visit a little later.
            driver.wait(std::time::Duration::from_secs(60));
        }
    }
    Ok(())
}

/// `uketsuke report`.
pub fn report(month: &str, db: &Path, format: &str) -> Result<()> {
    let (year, mon) = parse_month(month)?;
    if format != "table" && format != "csv" {
        bail!("--format {format}: use table or csv");
    }
    if !db.exists() {
        bail!("database {} does not exist", db.display());
    }
    let store = Store::open(db)?;
    let check_ins = store.check_ins_for_month(year, mon)?;
    let report = MonthReport::from_check_ins(month, &check_ins);
    match format {
        "csv" => print!("{}", report.csv()),
        _ => print!("{}", report.table()),
    }
    Ok(())
}

/// Parses `YYYY-MM`.
pub fn parse_month(month: &str) -> Result<(i32, u8)> {
    let bad = || anyhow::anyhow!("--month {month}: expected YYYY-MM, e.g. 2026-11");
    let (y, m) = month.split_once('-').ok_or_else(bad)?;
    let year: i32 = y.parse().map_err(|_| bad())?;
    let mon: u8 = m.parse().map_err(|_| bad())?;
    if y.len() != 4 || m.len() != 2 || !(1..=12).contains(&mon) {
        return Err(bad());
    }
    Ok((year, mon))
}

/// `uketsuke demo`: until the patient UI arrives, demonstration check-ins in the terminal.
pub fn demo(data_dir: &Path) -> Result<()> {
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("cannot create demo folder {}", data_dir.display()))?;
    let db = data_dir.join("uketsuke.db");
    let store = Store::open(&db)?;
    let visit = now();
    let demos = [
        (
            "My Number card, PIN, consent to all",
            "card",
            r#"{"steps": ["tap", {"pin": "1234"}, {"consent": "all"},
                {"high_cost_limit": true}, {"prescription": "electronic"}]}"#,
        ),
        (
            "A phone this kiosk cannot read: Mynaportal screen, staff confirm",
            "iphone",
            r#"{"steps": ["tap"]}"#,
        ),
    ];
    for (title, profile, script) in demos {
        let script = PatientScript::parse(script).map_err(|e| anyhow::anyhow!("demo: {e}"))?;
        let flow = CheckInFlow::new(Rules::embedded(), FacilityConfig::default());
        let mut driver = Driver::new(
            flow,
            visit,
            build_reader(&format!("sim:{profile}"))?,
            build_gateway("sim")?,
            store.clone(),
        );
        let committed = driver
            .run(&script)
            .map_err(|e| anyhow::anyhow!("demo: {e}"))?;
        println!("== {title}");
        for screen in &driver.screens {
            println!("   screen: {}", crate::headless::screen_name(screen));
        }
        let stored = store
            .check_in(committed.check_in_id)?
            .context("the committed check-in cannot be read back")?;
        println!("{}", serde_json::to_string_pretty(&stored)?);
    }
    let month = format!("{:04}-{:02}", visit.year(), u8::from(visit.month()));
    let (year, mon) = parse_month(&month)?;
    let report = MonthReport::from_check_ins(&month, &store.check_ins_for_month(year, mon)?);
    println!("{}", report.table());
    println!("Database: {}", db.display());
    Ok(())
}

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc().to_offset(crate::rules::JST)
}
