//! The kiosk's SQLite store: the only module that knows SQL.
//!
//! Owns: one database file (WAL journal, `synchronous=FULL`, foreign keys on), its schema and
//! migrations, and the one thread, named "store", that holds the connection. [`Store`] is a
//! cheap, cloneable handle: each call sends a request over a channel and blocks for the answer,
//! so callers on any thread share one connection and writes are serialised without locks.
//!
//! Must not know: the national rules (callers say whether a check-in counts toward the usage
//! rate), the UI, the reader or the network. Stores the minimum: there is no column for a PIN,
//! an Individual Number, a certificate, a name or a birth date, because the domain types the
//! store accepts carry none of them.

mod audit_view;
mod central;
mod codec;
mod correction;
mod db;
mod department_list;
mod kiosk_pause;
mod kiosk_pin;
mod migrations;
mod orca;
mod patient_keys;
mod staff;
mod watch;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, Sender};
use std::thread::{self, JoinHandle};

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};

use crate::dates::Date;

pub use self::audit_view::{AuditFilter, AuditRow};
pub use self::central::{
    CachedAccount, CentralBatch, CentralEntry, CentralLag, UnsentLock, central_lag_of,
};
pub use self::db::{Inspection, inspect};
pub use self::kiosk_pause::KioskPause;
pub use self::migrations::{SCHEMA_VERSION, migrate_to};
pub use self::orca::{OrcaDelivery, OrcaWork};
pub use self::staff::NewSession;
pub use self::watch::{ChangeWatch, watch_changes};
use crate::domain::{CheckInRecord, HandoffResolution, ReceptionNumber, StoredCheckIn};
use crate::staff::{AfterFailure, NewStaffAccount, StaffAccount, StaffSession};
use db::Db;
pub use department_list::CachedDepartments;

/// What failed, and in which database file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    #[error("cannot open database {}: {source}", path.display())]
    Open {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error(
        "database {} has schema version {found}, newer than this build ({supported})",
        path.display()
    )]
    TooNew {
        path: PathBuf,
        found: u32,
        supported: u32,
    },
    #[error(
        "database {}: schema version {requested} was asked for, but this build knows only up to {supported}",
        path.display()
    )]
    UnknownVersion {
        path: PathBuf,
        requested: u32,
        supported: u32,
    },
    #[error(
        "database {}: cannot use WAL journaling (journal mode is {mode:?}); is it on a network or read-only file system?",
        path.display()
    )]
    NoWal { path: PathBuf, mode: String },
    #[error("cannot migrate database {} to schema version {version}: {source}", path.display())]
    Migrate {
        path: PathBuf,
        version: u32,
        source: rusqlite::Error,
    },
    #[error("database {}: {what} failed: {source}", path.display())]
    Sql {
        path: PathBuf,
        what: &'static str,
        source: rusqlite::Error,
    },
    #[error(
        "database {}: {table}.{column} holds {value:?}, which this build does not understand",
        path.display()
    )]
    Corrupt {
        path: PathBuf,
        table: &'static str,
        column: &'static str,
        value: String,
    },
    #[error("database {}: cannot store {what}: {reason}", path.display())]
    Unstorable {
        path: PathBuf,
        what: &'static str,
        reason: String,
    },
    #[error("database {}: check-in {id} does not exist", path.display())]
    NoSuchCheckIn { path: PathBuf, id: i64 },
    #[error("database {}: check-in {id} was not handed to staff", path.display())]
    NotAHandoff { path: PathBuf, id: i64 },
    #[error("database {}: the handoff of check-in {id} is already resolved", path.display())]
    AlreadyResolved { path: PathBuf, id: i64 },
    #[error(
        "database {}: the handoff of check-in {id} is open or was changed since it was read",
        path.display()
    )]
    ResolutionChanged { path: PathBuf, id: i64 },
    #[error("database {}: there is no month {year}-{month}", path.display())]
    InvalidMonth { path: PathBuf, year: i32, month: u8 },
    #[error("database {}: a staff account named {login:?} already exists", path.display())]
    LoginTaken { path: PathBuf, login: String },
    #[error("database {}: no staff account named {login:?}", path.display())]
    NoSuchStaff { path: PathBuf, login: String },
    #[error("database {}: the store thread has stopped", path.display())]
    Stopped { path: PathBuf },
    /// The patient-key secret beside the database cannot be used (names its file).
    #[error(transparent)]
    PatientKey(#[from] crate::patient_key::KeyFileError),
    #[error("cannot start the store thread for database {}: {source}", path.display())]
    Spawn {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// A check-in durably committed: the kiosk may now tell the patient they are done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Committed {
    pub check_in_id: i64,
    /// `None` for cancelled and timed-out check-ins: nobody waits to be called.
    pub reception_number: Option<ReceptionNumber>,
}

/// One line of the append-only audit trail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub id: i64,
    #[serde(with = "crate::dates::rfc3339")]
    pub at: DateTime<FixedOffset>,
    /// "kiosk", or the staff login name.
    pub actor: String,
    /// A stable snake_case name, e.g. "check_in_committed", "handoff_resolved".
    pub action: String,
    pub check_in_id: Option<i64>,
    /// Technician-readable detail. Never personal data.
    pub detail: String,
}

/// An audit entry to append (for callers other than the store's own operations, e.g. the staff
/// console's sign-ins or the technician's `doctor`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAuditEntry {
    pub at: DateTime<FixedOffset>,
    pub actor: String,
    pub action: String,
    pub check_in_id: Option<i64>,
    pub detail: String,
}

/// Something for a later integration to deliver (written in the same transaction as the change
/// it reports).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxEntry {
    pub id: i64,
    pub check_in_id: i64,
    /// What happened (the `outbox.kind` column, the same as `payload.kind`).
    pub kind: crate::outbox::Kind,
    /// The wire message (v1) as it was written at that moment. Entries from before schema v14
    /// (unversioned) are never returned.
    pub payload: crate::outbox::OutboxMessage,
    pub created_at: DateTime<FixedOffset>,
}

/// The connection settings actually in effect, for tests and `doctor`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Durability {
    /// "wal".
    pub journal_mode: String,
    /// "full".
    pub synchronous: String,
    pub foreign_keys: bool,
    pub busy_timeout_ms: i64,
}

type Job = Box<dyn FnOnce(&mut Db) + Send>;

/// A handle to the store thread. Clone it freely; the thread (and the connection) closes when
/// the last handle is dropped.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    /// `None` only while shutting down.
    jobs: Option<Sender<Job>>,
    thread: Option<JoinHandle<()>>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        // Closing the channel ends the thread's loop; joining makes "dropped" mean "closed".
        self.jobs = None;
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            tracing::error!("store thread panicked");
        }
    }
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.inner.path)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Opens the database at `path`, creating it if needed and migrating it to
    /// [`SCHEMA_VERSION`], on a new thread named "store".
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let (ready_tx, ready_rx) = mpsc::sync_channel::<Result<(), StoreError>>(1);
        let (jobs_tx, jobs_rx) = mpsc::channel::<Job>();
        let owned = path.to_owned();
        let thread = thread::Builder::new()
            .name("store".to_owned())
            .spawn(move || run(&owned, jobs_rx, ready_tx))
            .map_err(|source| StoreError::Spawn {
                path: path.to_owned(),
                source,
            })?;
        let started = ready_rx.recv().unwrap_or_else(|_| {
            Err(StoreError::Stopped {
                path: path.to_owned(),
            })
        });
        let inner = Inner {
            path: path.to_owned(),
            jobs: Some(jobs_tx),
            thread: Some(thread),
        };
        // On failure `inner` is dropped here, which joins the thread that already returned.
        started.map(|()| Store {
            inner: Arc::new(inner),
        })
    }

    /// Drops this handle and, if it was the last one, waits until the thread has closed the
    /// database. With other handles alive the store stays open for them.
    pub fn close(self) {
        drop(self);
    }

    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// False once the store thread has ended (it ends only when every handle is gone, or by a
    /// panic): the service's watchdog asks this before each ping.
    pub fn running(&self) -> bool {
        self.inner.thread.as_ref().is_some_and(|t| !t.is_finished())
    }

    /// Runs `f` on the store thread and waits for its answer.
    fn call<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Db) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let stopped = || StoreError::Stopped {
            path: self.inner.path.clone(),
        };
        let (reply_tx, reply_rx) = mpsc::sync_channel(1);
        let job: Job = Box::new(move |db| {
            // The caller may have given up (it cannot, today: it blocks); nothing to do then.
            let _ = reply_tx.send(f(db));
        });
        self.inner
            .jobs
            .as_ref()
            .ok_or_else(stopped)?
            .send(job)
            .map_err(|_| stopped())?;
        reply_rx.recv().map_err(|_| stopped())?
    }

    /// Commits one finished check-in in a single transaction: the check-in, its consent answers,
    /// a handoff if it was handed to staff, a reception number (completed and handed-over
    /// check-ins), an audit entry and an outbox entry. Returns once the commit is fsync'd.
    pub fn commit_check_in(&self, record: &CheckInRecord) -> Result<Committed, StoreError> {
        let record = record.clone();
        self.call(move |db| db.commit_check_in(&record))
    }

    pub fn check_in(&self, id: i64) -> Result<Option<StoredCheckIn>, StoreError> {
        self.call(move |db| db.check_in(id))
    }

    /// Check-ins with a visit date in that month, by visit date then commit order.
    pub fn check_ins_for_month(
        &self,
        year: i32,
        month: u8,
    ) -> Result<Vec<StoredCheckIn>, StoreError> {
        let invalid = || StoreError::InvalidMonth {
            path: self.inner.path.clone(),
            year,
            month,
        };
        let from = Date::from_ymd_opt(year, u32::from(month), 1).ok_or_else(invalid)?;
        let to = crate::dates::last_day_of_month(year, u32::from(month)).ok_or_else(invalid)?;
        self.check_ins_between(from, to)
    }

    /// Check-ins with a visit date in `from..=to`, by visit date then commit order.
    pub fn check_ins_between(
        &self,
        from: Date,
        to: Date,
    ) -> Result<Vec<StoredCheckIn>, StoreError> {
        self.call(move |db| db.check_ins_between(from, to))
    }

    /// The pseudonymous patient key (64 hex digits) of each check-in of that month that has
    /// one, by check-in id (see [`crate::patient_key`]); check-ins without one are absent.
    pub fn patient_keys_for_month(
        &self,
        year: i32,
        month: u8,
    ) -> Result<std::collections::HashMap<i64, String>, StoreError> {
        let invalid = || StoreError::InvalidMonth {
            path: self.inner.path.clone(),
            year,
            month,
        };
        let from = Date::from_ymd_opt(year, u32::from(month), 1).ok_or_else(invalid)?;
        let to = crate::dates::last_day_of_month(year, u32::from(month)).ok_or_else(invalid)?;
        self.call(move |db| db.patient_keys_between(from, to))
    }

    /// The month's usage-rate report (`uketsuke report`, the console's report page, the demo's
    /// summary): its check-ins, each patient counted once by patient key, under `rules`.
    /// `label` is the month as `YYYY-MM`.
    pub fn month_report(
        &self,
        label: &str,
        year: i32,
        month: u8,
        rules: &crate::rules::Rules,
    ) -> Result<crate::report::MonthReport, StoreError> {
        let check_ins = self.check_ins_for_month(year, month)?;
        let keys = self.patient_keys_for_month(year, month)?;
        Ok(
            crate::report::MonthReport::from_check_ins(label, &check_ins)
                .with_people(&check_ins, &keys)
                .with_rules(rules),
        )
    }

    /// Check-ins handed to staff and not yet resolved, oldest first.
    pub fn open_handoffs(&self) -> Result<Vec<StoredCheckIn>, StoreError> {
        self.call(|db| db.open_handoffs())
    }

    /// Records how staff resolved a handoff. The check-in's verification method becomes the
    /// resolution's, and `counts_toward_usage_rate` is set to what the caller decided from the
    /// rules. Fails if the check-in was not handed to staff or is already resolved. Audited
    /// under the staff member's name.
    pub fn resolve_handoff(
        &self,
        check_in_id: i64,
        resolution: &HandoffResolution,
        counts_toward_usage_rate: bool,
    ) -> Result<(), StoreError> {
        let resolution = resolution.clone();
        self.call(move |db| db.resolve_handoff(check_in_id, &resolution, counts_toward_usage_rate))
    }

    /// Replaces the resolution of a closed handoff (a same-day correction decided by
    /// `desk::decide_correction`), if it is still the one recorded at `before_resolved_at`
    /// (else [`StoreError::ResolutionChanged`]); the audit entry (`handoff_corrected`, with the
    /// before and after and `reason`) and an outbox entry go in the same transaction.
    pub fn correct_handoff(
        &self,
        check_in_id: i64,
        before_resolved_at: DateTime<FixedOffset>,
        resolution: &HandoffResolution,
        counts_toward_usage_rate: bool,
        reason: &str,
    ) -> Result<(), StoreError> {
        let resolution = resolution.clone();
        let reason = reason.to_owned();
        self.call(move |db| {
            db.correct_handoff(
                check_in_id,
                before_resolved_at,
                &resolution,
                counts_toward_usage_rate,
                &reason,
            )
        })
    }

    /// Erases names held by open handoffs from visits before `visit_date`.
    pub fn forget_names_before(
        &self,
        visit_date: crate::dates::Date,
        now: DateTime<FixedOffset>,
    ) -> Result<usize, StoreError> {
        self.call(move |db| db.forget_names_before(visit_date, now))
    }

    pub fn add_staff(&self, new: &NewStaffAccount) -> Result<StaffAccount, StoreError> {
        let new = new.clone();
        self.call(move |db| db.add_staff(&new))
    }

    pub fn staff_accounts(&self) -> Result<Vec<StaffAccount>, StoreError> {
        self.call(|db| db.staff_accounts())
    }

    pub fn staff_by_login(&self, login: &str) -> Result<Option<StaffAccount>, StoreError> {
        let login = login.to_owned();
        self.call(move |db| db.staff_by_login(&login))
    }

    /// A wrong password from the client address `from`; a failure that locks the account
    /// also ends its sessions (same transaction).
    pub fn record_sign_in_failure(
        &self,
        account_id: i64,
        after: AfterFailure,
        from: &str,
        now: DateTime<FixedOffset>,
    ) -> Result<(), StoreError> {
        let from = from.to_owned();
        self.call(move |db| db.record_sign_in_failure(account_id, after, &from, now))
    }

    /// A sign-in refused before a password was compared; `actor` is an account's login or a
    /// placeholder, never text a stranger typed.
    pub fn record_refused_sign_in(
        &self,
        actor: &str,
        why: &str,
        now: DateTime<FixedOffset>,
    ) -> Result<(), StoreError> {
        let (actor, why) = (actor.to_owned(), why.to_owned());
        self.call(move |db| db.record_refused_sign_in(&actor, &why, now))
    }

    pub fn start_session(&self, account_id: i64, session: &NewSession) -> Result<(), StoreError> {
        let session = session.clone();
        self.call(move |db| db.start_session(account_id, &session))
    }

    pub fn session(
        &self,
        token_sha256: &str,
        now: DateTime<FixedOffset>,
    ) -> Result<Option<StaffSession>, StoreError> {
        let token = token_sha256.to_owned();
        self.call(move |db| db.session(&token, now))
    }

    pub fn end_session(
        &self,
        token_sha256: &str,
        login: &str,
        now: DateTime<FixedOffset>,
    ) -> Result<(), StoreError> {
        let (token, login) = (token_sha256.to_owned(), login.to_owned());
        self.call(move |db| db.end_session(&token, &login, now))
    }

    pub fn set_kiosk_pin(
        &self,
        login: &str,
        pin_hash: &str,
        by: &str,
        now: DateTime<FixedOffset>,
    ) -> Result<(), StoreError> {
        let (login, hash, by) = (login.to_owned(), pin_hash.to_owned(), by.to_owned());
        self.call(move |db| db.set_kiosk_pin(&login, &hash, &by, now))
    }

    pub fn kiosk_staff(&self) -> Result<Vec<crate::staff::KioskStaff>, StoreError> {
        self.call(|db| db.kiosk_staff())
    }

    pub fn kiosk_pin(&self, login: &str) -> Result<Option<crate::staff::KioskPin>, StoreError> {
        let login = login.to_owned();
        self.call(move |db| db.kiosk_pin(&login))
    }

    pub fn record_kiosk_pin_failure(
        &self,
        login: &str,
        kiosk: &str,
        after: crate::staff::AfterFailure,
        now: DateTime<FixedOffset>,
    ) -> Result<(), StoreError> {
        let (login, kiosk) = (login.to_owned(), kiosk.to_owned());
        self.call(move |db| db.record_kiosk_pin_failure(&login, &kiosk, after, now))
    }

    pub fn record_staff_mode_opened(
        &self,
        login: &str,
        kiosk: &str,
        now: DateTime<FixedOffset>,
    ) -> Result<(), StoreError> {
        let (login, kiosk) = (login.to_owned(), kiosk.to_owned());
        self.call(move |db| db.record_staff_mode_opened(&login, &kiosk, now))
    }

    pub fn record_staff_mode_closed(
        &self,
        login: &str,
        kiosk: &str,
        why: &str,
        now: DateTime<FixedOffset>,
    ) -> Result<(), StoreError> {
        let (login, kiosk, why) = (login.to_owned(), kiosk.to_owned(), why.to_owned());
        self.call(move |db| db.record_staff_mode_closed(&login, &kiosk, &why, now))
    }

    /// Closes `kiosk` to patients (`paused`; staff mode's "close this kiosk") or reopens it,
    /// audited as `login`.
    pub fn set_kiosk_paused(
        &self,
        kiosk: &str,
        login: &str,
        paused: bool,
        now: DateTime<FixedOffset>,
    ) -> Result<(), StoreError> {
        let (kiosk, login) = (kiosk.to_owned(), login.to_owned());
        self.call(move |db| db.set_kiosk_paused(&kiosk, &login, paused, None, now))
    }

    /// Closes `kiosk` to patients as `login`, saying when staff expect to reopen it
    /// (`reopens_at`; `None`: not said). Reopening is [`Store::set_kiosk_paused`] with `false`.
    pub fn pause_kiosk(
        &self,
        kiosk: &str,
        login: &str,
        reopens_at: Option<DateTime<FixedOffset>>,
        now: DateTime<FixedOffset>,
    ) -> Result<(), StoreError> {
        let (kiosk, login) = (kiosk.to_owned(), login.to_owned());
        self.call(move |db| db.set_kiosk_paused(&kiosk, &login, true, reopens_at, now))
    }

    /// Replaces the department list cached from ORCA (`system01lstv2`) with `departments`,
    /// fetched at `fetched_at`.
    pub fn save_department_list(
        &self,
        departments: Vec<crate::departments::Department>,
        fetched_at: DateTime<FixedOffset>,
    ) -> Result<(), StoreError> {
        self.call(move |db| db.save_department_list(&departments, fetched_at))
    }

    /// The department list last fetched from ORCA, if any was.
    pub fn department_list(&self) -> Result<Option<CachedDepartments>, StoreError> {
        self.call(|db| db.department_list())
    }

    pub fn kiosk_pause(&self, kiosk: &str) -> Result<Option<KioskPause>, StoreError> {
        let kiosk = kiosk.to_owned();
        self.call(move |db| db.kiosk_pause(&kiosk))
    }

    /// Every kiosk staff closed, by name.
    pub fn kiosk_pauses(&self) -> Result<Vec<KioskPause>, StoreError> {
        self.call(|db| db.kiosk_pauses())
    }

    /// Reopens `kiosk` from the console, audited as `login` (`kiosk_reopened`,
    /// `kiosk=<name> from=console`); false when it was not closed (nothing recorded).
    pub fn reopen_kiosk_from_console(
        &self,
        kiosk: &str,
        login: &str,
        now: DateTime<FixedOffset>,
    ) -> Result<bool, StoreError> {
        let (kiosk, login) = (kiosk.to_owned(), login.to_owned());
        self.call(move |db| db.reopen_kiosk_from_console(&kiosk, &login, now))
    }

    pub fn unlock_staff(
        &self,
        login: &str,
        by: &str,
        now: DateTime<FixedOffset>,
    ) -> Result<(), StoreError> {
        let (login, by) = (login.to_owned(), by.to_owned());
        self.call(move |db| db.unlock_staff(&login, &by, now))
    }

    /// The newest `limit` audit entries, newest first.
    pub fn audit_log(&self, limit: usize) -> Result<Vec<AuditEntry>, StoreError> {
        self.call(move |db| db.audit_log(limit))
    }

    /// Appends one audit entry; returns its id.
    pub fn append_audit(&self, entry: &NewAuditEntry) -> Result<i64, StoreError> {
        let entry = entry.clone();
        self.call(move |db| db.append_audit(&entry))
    }

    /// Outbox entries not yet delivered, oldest first.
    pub fn outbox_pending(&self, limit: usize) -> Result<Vec<OutboxEntry>, StoreError> {
        self.call(move |db| db.outbox_pending(limit))
    }

    /// Marks an outbox entry delivered. `Ok(false)` if it was already delivered or is unknown.
    pub fn mark_delivered(
        &self,
        outbox_id: i64,
        at: DateTime<FixedOffset>,
    ) -> Result<bool, StoreError> {
        self.call(move |db| db.mark_delivered(outbox_id, at))
    }

    /// Up to `limit` outbox entries and up to `limit` audit entries the hospital's central
    /// database has not committed yet, each in the kiosk's order (issue 19 item 1).
    pub fn central_batch(&self, limit: usize) -> Result<CentralBatch, StoreError> {
        self.call(move |db| db.central_batch(limit))
    }

    /// Records in one transaction that the central database committed these outbox entries and
    /// the audit log up to `audit_up_to`. Returns how many entries were newly marked.
    pub fn central_mark_delivered(
        &self,
        outbox_ids: Vec<i64>,
        audit_up_to: Option<i64>,
        at: DateTime<FixedOffset>,
    ) -> Result<usize, StoreError> {
        self.call(move |db| db.central_mark_delivered(&outbox_ids, audit_up_to, at))
    }

    /// The last central staff-account change copied into this store (0: none).
    pub fn staff_cursor(&self) -> Result<i64, StoreError> {
        self.call(|db| db.staff_cursor())
    }

    /// Copies central staff accounts into this store (the cached copy the console and the
    /// kiosk's staff mode check, offline too) and moves the cursor to `up_to`; audited.
    pub fn cache_central_staff(
        &self,
        accounts: Vec<CachedAccount>,
        up_to: i64,
        now: DateTime<FixedOffset>,
    ) -> Result<(), StoreError> {
        self.call(move |db| db.cache_central_staff(&accounts, up_to, now))
    }

    /// Locks made here that the central database has not been told of yet.
    pub fn unsent_staff_locks(&self) -> Result<Vec<UnsentLock>, StoreError> {
        self.call(|db| db.unsent_staff_locks())
    }

    /// How far delivery to the central database lags (count and age of what waits).
    pub fn central_lag(&self) -> Result<CentralLag, StoreError> {
        self.call(|db| db.central_lag())
    }

    /// Up to `limit` outbox entries the ORCA worker has still to work on (never tried,
    /// pending, failed and retrying), oldest first.
    pub fn orca_work(&self, limit: usize) -> Result<Vec<OrcaWork>, StoreError> {
        self.call(move |db| db.orca_work(limit))
    }

    /// Stores an entry's ORCA delivery record; when it settles, marks the entry delivered and
    /// erases the patient's match keys from its payload in the same transaction.
    pub fn orca_save(
        &self,
        outbox_id: i64,
        progress: crate::delivery::Progress,
        now: DateTime<FixedOffset>,
    ) -> Result<(), StoreError> {
        self.call(move |db| db.orca_save(outbox_id, &progress, now))
    }

    /// Claims the right to send an ORCA entry (see `Db::orca_claim`): `Ok(false)` when another
    /// worker changed the record since `before` was read.
    pub fn orca_claim(
        &self,
        outbox_id: i64,
        before: crate::delivery::Progress,
        sending: crate::delivery::Progress,
        now: DateTime<FixedOffset>,
    ) -> Result<bool, StoreError> {
        self.call(move |db| db.orca_claim(outbox_id, &before, &sending, now))
    }

    /// For the console: each ORCA-bound entry of these check-ins (a completed check-in, a
    /// handoff closed as verified) with its delivery state, oldest first.
    pub fn orca_deliveries(&self, check_in_ids: Vec<i64>) -> Result<Vec<OrcaDelivery>, StoreError> {
        self.call(move |db| db.orca_deliveries(&check_in_ids))
    }

    /// Staff's retry of an ORCA delivery (audited `orca_retry`). `Ok(false)`: nothing to retry.
    pub fn orca_retry(
        &self,
        outbox_id: i64,
        staff: &str,
        now: DateTime<FixedOffset>,
    ) -> Result<bool, StoreError> {
        let staff = staff.to_owned();
        self.call(move |db| db.orca_retry(outbox_id, &staff, now))
    }

    /// Staff registered the visit in ORCA by hand (audited `orca_done_by_hand`). `Ok(false)`:
    /// already registered or done by hand, or not an ORCA entry.
    pub fn orca_mark_done_by_hand(
        &self,
        outbox_id: i64,
        staff: &str,
        now: DateTime<FixedOffset>,
    ) -> Result<bool, StoreError> {
        let staff = staff.to_owned();
        self.call(move |db| db.orca_mark_done_by_hand(outbox_id, &staff, now))
    }

    /// `PRAGMA integrity_check`'s answer: "ok" when the file is sound.
    pub fn integrity_check(&self) -> Result<String, StoreError> {
        self.call(|db| db.integrity_check())
    }

    pub fn schema_version(&self) -> Result<u32, StoreError> {
        self.call(|db| db.schema_version())
    }

    /// The journal mode, synchronous level and other settings in effect on the connection.
    pub fn durability(&self) -> Result<Durability, StoreError> {
        self.call(|db| db.durability())
    }
}

/// The store thread: open, report readiness, then serve jobs until every handle is gone.
fn run(path: &Path, jobs: Receiver<Job>, ready: mpsc::SyncSender<Result<(), StoreError>>) {
    let mut db = match Db::open(path) {
        Ok(db) => db,
        Err(e) => {
            let _ = ready.send(Err(e));
            return;
        }
    };
    if ready.send(Ok(())).is_err() {
        return;
    }
    tracing::info!(path = %db.path().display(), version = SCHEMA_VERSION, "store open");
    for job in jobs {
        job(&mut db);
    }
    tracing::debug!("store closed");
}
