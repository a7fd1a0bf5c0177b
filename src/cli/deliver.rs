//! `uketsuke deliver`: the delivery workers on their own, over the database a kiosk writes:
//! ORCA's (`crate::orca::worker`: each completed check-in, and each handoff closed as verified,
//! registered as a reception in the ORCA the facility file's `orca` key names, exactly once) and
//! the central database's (`crate::central::worker`: every outbox and audit entry, in order,
//! into the PostgreSQL the `central` key names, exactly once). Each runs on its own thread.

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
    /// The facility file whose `orca` key names the clinic's ORCA and whose `central` key names
    /// the hospital's central database (either or both).
    #[arg(long)]
    pub facility: PathBuf,
    /// One pass over what is due now, then exit. Prints how many ORCA entries changed (with an
    /// `orca` key) and `central NEW ALREADY AUDIT` (with a `central` key).
    #[arg(long)]
    pub once: bool,
}

/// `uketsuke deliver`: runs until SIGTERM or SIGINT (or one pass with `--once`).
pub fn command(options: &DeliverOptions) -> Result<()> {
    let facility = load_facility(Some(&options.facility))?;
    if facility.orca.is_none() && facility.central.is_none() {
        bail!(
            "facility file {} has neither an orca nor a central key: nothing to deliver to",
            options.facility.display()
        );
    }
    if !options.db.exists() {
        bail!("database {} does not exist", options.db.display());
    }
    let store = Store::open(&options.db)?;
    let orca =
        match facility.orca {
            Some(settings) => Some(Worker::new(store.clone(), settings).map_err(|e| {
                anyhow::anyhow!("facility file {}: {e}", options.facility.display())
            })?),
            None => None,
        };
    let central = facility.central.map(|settings| {
        crate::central::worker::Worker::new(store.clone(), settings, &facility.kiosk_name)
    });
    if options.once {
        if let Some(worker) = &orca {
            println!("{}", worker.pass(now())?);
        }
        if let Some(mut worker) = central {
            let d = worker.pass().with_context(|| {
                format!("facility file {}: central", options.facility.display())
            })?;
            println!(
                "central {} {} {}",
                d.new_entries, d.already_there, d.new_audit
            );
        }
        store.close();
        return Ok(());
    }
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
        signal_hook::flag::register(signal, Arc::clone(&stop))
            .context("cannot listen for SIGTERM")?;
    }
    let central = match central {
        Some(worker) => Some(central_thread(worker, &options.db, Arc::clone(&stop))?),
        None => None,
    };
    if let Some(worker) = orca {
        worker.run(&options.db, &stop)?;
    }
    if let Some(thread) = central {
        let _ = thread.join();
    }
    stop.store(true, Ordering::Relaxed);
    store.close();
    Ok(())
}

/// The central delivery worker on its own thread, until `stop` is set.
fn central_thread(
    mut worker: crate::central::worker::Worker,
    db: &std::path::Path,
    stop: Arc<AtomicBool>,
) -> Result<std::thread::JoinHandle<()>> {
    let db = db.to_owned();
    std::thread::Builder::new()
        .name("central-delivery".to_owned())
        .spawn(move || {
            if let Err(e) = worker.run(&db, &stop) {
                tracing::error!(error = %e, "central delivery stopped");
            }
        })
        .context("cannot start the central delivery thread")
}

/// The worker on its own thread beside the kiosk (`uketsuke run`), when the facility file
/// names an ORCA. The kiosk never waits on it: the thread has its own store handle. Dropping
/// it stops the thread (within a second) and waits for it.
pub struct BesideKiosk {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl BesideKiosk {
    /// The central delivery worker beside the kiosk; `None` when the facility file has no
    /// `central` key.
    pub fn start_central(
        db: &std::path::Path,
        settings: Option<crate::central_settings::CentralSettings>,
        kiosk_name: &str,
    ) -> Result<Option<Self>> {
        let Some(settings) = settings else {
            return Ok(None);
        };
        let store = Store::open(db)?;
        let worker = crate::central::worker::Worker::new(store, settings, kiosk_name);
        let stop = Arc::new(AtomicBool::new(false));
        let thread = central_thread(worker, db, Arc::clone(&stop))?;
        Ok(Some(Self {
            stop,
            thread: Some(thread),
        }))
    }

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
