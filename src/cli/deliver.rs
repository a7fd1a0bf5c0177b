//! `uketsuke deliver`: the ORCA delivery worker on its own (`crate::orca::worker`), over the
//! database a kiosk writes. Registers each completed check-in (and each handoff closed as
//! verified) as a reception in the ORCA the facility file's `orca` key names, exactly once.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{Context, Result, bail};

use super::compose::load_facility;
use super::now;
use crate::orca::worker::Worker;
use crate::store::Store;

/// The options of `uketsuke deliver`.
#[derive(Debug, clap::Args)]
pub struct DeliverOptions {
    /// The kiosk's SQLite database.
    #[arg(long)]
    pub db: PathBuf,
    /// The facility file whose `orca` key names the clinic's ORCA.
    #[arg(long)]
    pub facility: PathBuf,
    /// One pass over what is due now, then exit (prints how many entries changed).
    #[arg(long)]
    pub once: bool,
}

/// `uketsuke deliver`: runs until SIGTERM or SIGINT (or one pass with `--once`).
pub fn command(options: &DeliverOptions) -> Result<()> {
    let facility = load_facility(Some(&options.facility))?;
    let Some(settings) = facility.orca else {
        bail!(
            "facility file {} has no orca key: nothing to deliver to",
            options.facility.display()
        );
    };
    if !options.db.exists() {
        bail!("database {} does not exist", options.db.display());
    }
    let store = Store::open(&options.db)?;
    let worker = Worker::new(store.clone(), settings)
        .map_err(|e| anyhow::anyhow!("facility file {}: {e}", options.facility.display()))?;
    if options.once {
        let changed = worker.pass(now())?;
        println!("{changed}");
        store.close();
        return Ok(());
    }
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
        signal_hook::flag::register(signal, Arc::clone(&stop))
            .context("cannot listen for SIGTERM")?;
    }
    worker.run(&options.db, &stop)?;
    stop.store(true, Ordering::Relaxed);
    store.close();
    Ok(())
}

/// The worker on its own thread beside the kiosk (`uketsuke run`), when the facility file
/// names an ORCA. The kiosk never waits on it: the thread has its own store handle. Dropping
/// it stops the thread (within a second) and waits for it.
pub struct BesideKiosk {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl BesideKiosk {
    /// `None` when `settings` is `None` (no ORCA configured).
    pub fn start(
        db: &std::path::Path,
        settings: Option<crate::orca::OrcaSettings>,
    ) -> Result<Option<Self>> {
        let Some(settings) = settings else {
            return Ok(None);
        };
        let store = Store::open(db)?;
        let worker = Worker::new(store, settings).map_err(|e| anyhow::anyhow!("{e}"))?;
        let stop = Arc::new(AtomicBool::new(false));
        let (db, flag) = (db.to_owned(), Arc::clone(&stop));
        let thread = std::thread::Builder::new()
            .name("orca-delivery".to_owned())
            .spawn(move || {
                if let Err(e) = worker.run(&db, &flag) {
                    tracing::error!(error = %e, "ORCA delivery stopped");
                }
            })
            .context("cannot start the ORCA delivery thread")?;
        Ok(Some(Self {
            stop,
            thread: Some(thread),
        }))
    }
}

impl Drop for BesideKiosk {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
