//! `uketsuke check-in --headless`: one check-in through the kiosk's flow, the patient's actions
//! from a script.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};

use super::compose::{build_kiosk_gateway, build_reader, load_facility, load_rules, load_script};
use super::now;
use crate::flow::CheckInFlow;
use crate::headless::Driver;
use crate::store::Store;

/// The reader a headless check-in uses unless told: the simulated card where there is one.
const DEFAULT_READER: &str = if cfg!(feature = "sim") {
    "sim:card"
} else {
    "pcsc"
};
/// The gateway a headless check-in uses unless told.
const DEFAULT_GATEWAY: &str = if cfg!(feature = "sim") { "sim" } else { "none" };

/// The options of `uketsuke check-in`.
#[derive(Debug, clap::Args)]
pub struct CheckInOptions {
    /// Run without a screen (the only mode until the patient UI arrives).
    #[arg(long)]
    pub headless: bool,
    /// The reader: `sim:PROFILE` (card, phone, iphone, transit, resident-card, payment,
    /// unknown-device, mute; options like `sim:card,tries=2,pin=1234,remove-after=5`), or
    /// `pcsc` / `pcsc:NAME` for a real reader through pcscd (NAME: part of the reader's name).
    #[arg(long, default_value = DEFAULT_READER)]
    pub reader: String,
    /// The eligibility gateway: `sim` or `sim:PERSONA` (feature `sim`), `oqs:DIR` (the
    /// eligibility terminal's certified reader: its result files in `DIR/face`), or `none`.
    #[arg(long, default_value = DEFAULT_GATEWAY)]
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

/// `uketsuke check-in --headless`.
pub fn check_in(options: &CheckInOptions) -> Result<()> {
    if !options.headless {
        bail!("check-in needs --headless until the patient UI arrives");
    }
    if options.repeat == 0 {
        bail!("--repeat must be at least 1");
    }
    let rules = load_rules(options.rules.as_deref())?;
    let mut facility = load_facility(options.facility.as_deref())?;
    let script = load_script(&options.patient)?;
    let reader = build_reader(&options.reader)?;
    let gateway = build_kiosk_gateway(&options.gateway, false, &mut facility)?;
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
