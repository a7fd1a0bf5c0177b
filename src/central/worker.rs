//! The central delivery worker: sends the kiosk's outbox entries and audit entries to the
//! hospital's central database, batch by batch in the kiosk's order, and marks them delivered
//! in the kiosk's store only after the central transaction committed. Runs as a thread of
//! `uketsuke run` (or in `uketsuke deliver`); the kiosk never waits on it.
//!
//! A database that does not answer (stopped, the network down) is tried again after
//! `retry_initial_seconds`, doubling up to `retry_max_seconds`; meanwhile the kiosk goes on
//! checking patients in and the outbox grows ([`crate::store::Store::central_lag`]). When the
//! database answers again the backlog drains in order.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::{Applied, Central, CentralError, Delivered};
use crate::central_settings::CentralSettings;
use crate::store::{Store, StoreError};

/// Entries (and audit entries) sent per transaction.
const BATCH: usize = 200;

/// Why a pass stopped.
#[derive(Debug, thiserror::Error)]
pub enum PassError {
    #[error(transparent)]
    Central(#[from] CentralError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The worker over one kiosk's store and the central database.
#[derive(Debug)]
pub struct Worker {
    store: Store,
    settings: CentralSettings,
    kiosk_name: String,
    central: Option<Central>,
}

impl Worker {
    /// A worker for the kiosk named `kiosk_name` (the facility file's `kiosk_name`). Connects
    /// at its first pass.
    pub fn new(store: Store, settings: CentralSettings, kiosk_name: &str) -> Self {
        Self {
            store,
            settings,
            kiosk_name: kiosk_name.to_owned(),
            central: None,
        }
    }

    /// Connects (and migrates the central schema) unless connected.
    fn connected(&mut self) -> Result<&mut Central, CentralError> {
        if self.central.is_none() {
            let mut central = Central::connect(&self.settings)?;
            central.migrate()?;
            self.central = Some(central);
        }
        Ok(self.central.as_mut().expect("connected just above"))
    }

    /// Runs `f` on the connection (connecting first if need be). A connection kept from an
    /// earlier pass may have been closed by the server meanwhile (a restart): then `f` is run
    /// once more on a fresh one, which is safe because every call the worker makes is
    /// idempotent. On an error the connection is dropped, so the next call connects again.
    fn with_central<T>(
        &mut self,
        mut f: impl FnMut(&mut Central) -> Result<T, CentralError>,
    ) -> Result<T, CentralError> {
        let reused = self.central.is_some();
        let mut answer = self.connected().and_then(&mut f);
        if answer.is_err() && reused {
            self.central = None;
            answer = self.connected().and_then(&mut f);
        }
        if answer.is_err() {
            self.central = None;
        }
        answer
    }

    /// Sends everything waiting, batch after batch, until nothing waits; then records the
    /// desks' decisions on this kiosk's handoffs in the kiosk's store, and sends what that
    /// wrote. On an error what was committed before it stays delivered.
    pub fn pass(&mut self) -> Result<Delivered, PassError> {
        let mut total = Delivered::default();
        self.sync_staff()?;
        loop {
            self.deliver_all(&mut total)?;
            if self.record_resolutions()? == 0 {
                return Ok(total);
            }
        }
    }

    fn deliver_all(&mut self, total: &mut Delivered) -> Result<(), PassError> {
        loop {
            let batch = self.store.central_batch(BATCH)?;
            if batch.is_empty() {
                return Ok(());
            }
            let kiosk_id = self.settings.kiosk_id.clone();
            let kiosk_name = self.kiosk_name.clone();
            let sent = self.with_central(|c| c.deliver(&kiosk_id, &kiosk_name, &batch))?;
            let ids: Vec<i64> = batch.entries.iter().map(|e| e.outbox_id).collect();
            let audit_up_to = batch.audit.last().map(|a| a.id);
            self.store
                .central_mark_delivered(ids, audit_up_to, crate::dates::now())?;
            total.new_entries += sent.new_entries;
            total.already_there += sent.already_there;
            total.new_audit += sent.new_audit;
        }
    }

    /// Staff accounts only, for a desk's console across kiosks: the same copy a kiosk makes
    /// (locks made at this desk sent on, accounts changed centrally copied into the desk's
    /// store), without delivering anything. On an error the connection is dropped.
    pub fn copy_staff(&mut self) -> Result<(), PassError> {
        self.sync_staff()
    }

    /// `copy_staff` every `every` until `stop` is set (a desk's console, on its own thread);
    /// failures are logged once per outage, never fatal.
    pub fn copy_staff_until(&mut self, every: Duration, stop: &AtomicBool) {
        let mut failing = false;
        while !stop.load(Ordering::Relaxed) {
            match self.copy_staff() {
                Ok(()) => failing = false,
                Err(e) => {
                    if !failing {
                        tracing::warn!(error = %e, "central staff accounts not copied; signing in uses the last copy");
                    }
                    failing = true;
                }
            }
            let deadline = Instant::now() + every;
            while !stop.load(Ordering::Relaxed) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(100));
            }
        }
    }

    /// Staff accounts once (item 4): sends on the locks made here that the central database
    /// does not know (made offline, or since the last pass), then copies the accounts changed
    /// centrally since the store's cursor into the store, the cached copy the kiosk's staff
    /// mode and console check.
    fn sync_staff(&mut self) -> Result<(), PassError> {
        let kiosk_id = self.settings.kiosk_id.clone();
        for lock in self.store.unsent_staff_locks()? {
            self.with_central(|c| c.merge_staff_lock(&kiosk_id, &lock))?;
        }
        let after = self.store.staff_cursor()?;
        let (accounts, up_to) = self.with_central(|c| c.staff_changes(after))?;
        if !accounts.is_empty() {
            self.store
                .cache_central_staff(accounts, up_to, crate::dates::now())?;
        }
        Ok(())
    }

    /// Records each desk's decision on this kiosk's handoffs in the kiosk's store (audited
    /// there under the staff member's name, the name erased), then tells the central database.
    /// The kiosk owns its check-ins: a handoff staff closed at the kiosk first keeps the
    /// kiosk's resolution. A decision recorded before a kill is recognised, not recorded twice.
    /// Returns how many decisions it handled.
    fn record_resolutions(&mut self) -> Result<usize, PassError> {
        let kiosk_id = self.settings.kiosk_id.clone();
        let pending = self.with_central(|c| c.pending_resolutions(&kiosk_id))?;
        for p in &pending {
            let applied = match self.store.resolve_handoff(
                p.check_in_id,
                &p.resolution,
                p.counts_toward_usage_rate,
            ) {
                Ok(()) => Applied::Recorded,
                Err(StoreError::AlreadyResolved { .. }) => {
                    let same = self
                        .store
                        .check_in(p.check_in_id)?
                        .and_then(|c| c.resolution)
                        .is_some_and(|r| {
                            r.staff == p.resolution.staff
                                && r.resolved_at == p.resolution.resolved_at
                        });
                    if same {
                        Applied::Recorded
                    } else {
                        Applied::ClosedAtTheKioskFirst
                    }
                }
                Err(StoreError::NotAHandoff { .. } | StoreError::NoSuchCheckIn { .. }) => {
                    Applied::NotAHandoff
                }
                Err(e) => return Err(e.into()),
            };
            if applied != Applied::Recorded {
                tracing::warn!(
                    check_in_id = p.check_in_id,
                    desk = p.desk,
                    applied = applied.as_str(),
                    "a desk's decision was not recorded at this kiosk"
                );
            }
            self.with_central(|c| c.mark_applied(&kiosk_id, p.check_in_id, applied))?;
        }
        Ok(pending.len())
    }

    /// Passes until `stop` is set: at once after each commit to the kiosk's database at `db`,
    /// every second otherwise, and after a failure not before the backoff has passed.
    pub fn run(&mut self, db: &Path, stop: &AtomicBool) -> Result<(), StoreError> {
        let (tx, rx) = mpsc::sync_channel::<()>(1);
        let _watch = crate::store::watch_changes(db, Duration::from_millis(20), move || {
            let _ = tx.try_send(());
            true
        })?;
        let initial = Duration::from_secs(u64::from(self.settings.retry_initial_seconds.max(1)));
        let max = Duration::from_secs(u64::from(self.settings.retry_max_seconds.max(1)));
        let mut failures: u32 = 0;
        while !stop.load(Ordering::Relaxed) {
            let wait = match self.pass() {
                Ok(d) => {
                    if failures > 0 {
                        tracing::info!(
                            kiosk_id = self.settings.kiosk_id,
                            delivered = d.new_entries,
                            "the central database answers again; the backlog is delivered"
                        );
                    }
                    failures = 0;
                    Duration::from_secs(1)
                }
                Err(e) => {
                    failures = failures.saturating_add(1);
                    let wait = crate::delivery::backoff(failures, initial, max);
                    if failures == 1 {
                        tracing::warn!(error = %e, retry_in_s = wait.as_secs(), "central delivery failed; the kiosk keeps checking in");
                    } else {
                        tracing::debug!(error = %e, failures, "central delivery failed again");
                    }
                    wait
                }
            };
            let deadline = Instant::now() + wait;
            while !stop.load(Ordering::Relaxed) {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    break;
                }
                // A commit wakes the worker at once, but not while it backs off.
                if rx
                    .recv_timeout(left.min(Duration::from_millis(250)))
                    .is_ok()
                    && failures == 0
                {
                    break;
                }
            }
        }
        Ok(())
    }
}
