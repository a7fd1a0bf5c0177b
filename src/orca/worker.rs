//! The ORCA delivery worker: reads the outbox entries ORCA is told of, asks
//! `crate::delivery` what to do with each, makes the calls, and stores each step before the
//! next. Runs as `uketsuke deliver` or as a thread of `uketsuke run`; the kiosk never waits on
//! it.
//!
//! Exactly once: the record says `uncertain` before every acceptmodv2 and only ORCA's answer
//! clears it; an uncertain entry is looked up in acceptlstv2 (same Patient_ID, department and
//! Acceptance_Time) before anything is sent again. A worker killed mid-send therefore finds the
//! reception on restart instead of registering it twice; an ORCA killed after registering
//! answers the list once it is back.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use chrono::{DateTime, FixedOffset};

use super::{AcceptAnswer, AcceptRequest, CallError, OrcaClient, OrcaSettings, PatientMatch};
use crate::delivery::{self, Answer, Backoff, Failure, Plan, Progress};
use crate::outbox::OutboxMessage;
use crate::rules::JST;
use crate::store::{OrcaWork, Store, StoreError};

/// Entries read per pass.
const BATCH: usize = 64;

/// The worker over one store and one ORCA.
#[derive(Debug)]
pub struct Worker {
    store: Store,
    client: OrcaClient,
    settings: OrcaSettings,
}

impl Worker {
    pub fn new(store: Store, settings: OrcaSettings) -> Result<Self, String> {
        let client = OrcaClient::new(&settings)?;
        Ok(Self {
            store,
            client,
            settings,
        })
    }

    fn backoff(&self) -> Backoff {
        Backoff {
            initial: Duration::from_secs(u64::from(self.settings.retry_initial_seconds)),
            max: Duration::from_secs(u64::from(self.settings.retry_max_seconds)),
        }
    }

    /// One pass over the entries due at `now`. Returns how many records changed.
    pub fn pass(&self, now: DateTime<FixedOffset>) -> Result<usize, StoreError> {
        let mut changed = 0;
        for w in self.store.orca_work(BATCH)? {
            if self.work_one(&w, now)? {
                changed += 1;
            }
        }
        Ok(changed)
    }

    /// Passes until `stop` is set: at once after any commit to the database at `db` (a
    /// check-in, staff's retry), and every second for retries whose time has come.
    pub fn run(&self, db: &Path, stop: &AtomicBool) -> Result<(), StoreError> {
        let (tx, rx) = mpsc::sync_channel::<()>(1);
        let _watch = crate::store::watch_changes(db, Duration::from_millis(20), move || {
            let _ = tx.try_send(());
            true
        })?;
        let mut departments = DepartmentsRefresh::default();
        while !stop.load(Ordering::Relaxed) {
            let now = crate::dates::now();
            if let Err(e) = self.pass(now) {
                tracing::warn!(error = %e, "ORCA delivery pass failed");
            }
            self.refresh_departments_if_due(now, &mut departments);
            let _ = rx.recv_timeout(Duration::from_secs(1));
        }
        Ok(())
    }

    /// Fetches ORCA's department list into the store when the cached one is a day old or
    /// missing (`department_list::refresh_due_at`), at most once an hour after a failed try, so
    /// a down ORCA is not asked every second. The kiosk reads the cache at its next start. The
    /// store is read once, on the first pass; after that `memo` knows when the list was fetched.
    fn refresh_departments_if_due(
        &self,
        now: DateTime<FixedOffset>,
        memo: &mut DepartmentsRefresh,
    ) {
        const RETRY_AFTER_FAILURE: Duration = Duration::from_secs(3600);
        let fetched_at = match memo.fetched_at {
            Some(at) => at,
            None => match self.store.department_list() {
                Ok(cached) => *memo.fetched_at.insert(cached.map(|c| c.fetched_at)),
                Err(e) => {
                    tracing::warn!(error = %e, "the cached department list cannot be read");
                    return;
                }
            },
        };
        if !super::department_list::refresh_due_at(fetched_at, now)
            || memo
                .failed_at
                .is_some_and(|t| t.elapsed() < RETRY_AFTER_FAILURE)
        {
            return;
        }
        match super::department_list::refresh(&self.client, &self.store, now) {
            // `refresh` caches the list as fetched at `now`.
            Ok(_) => {
                memo.fetched_at = Some(Some(now));
                memo.failed_at = None;
            }
            Err(_) => memo.failed_at = Some(std::time::Instant::now()),
        }
    }

    /// Works on one entry; `Ok(true)` when its record changed.
    fn work_one(&self, w: &OrcaWork, now: DateTime<FixedOffset>) -> Result<bool, StoreError> {
        let today = now.with_timezone(&JST).date_naive();
        let visit_date = crate::dates::parse_ymd(&w.message.check_in.visit_date).unwrap_or(today);
        let look_up_first = match delivery::plan(&w.progress, visit_date, today, now) {
            Plan::Wait => return Ok(false),
            Plan::GiveUp(failure) => {
                self.settle(w, &w.progress, Answer::Failed(failure), now)?;
                return Ok(true);
            }
            Plan::Work { look_up_first } => look_up_first,
        };
        let mut p = w.progress.clone();
        let request = match self.request(&w.message) {
            Ok(r) => r,
            Err(answer) => {
                self.settle(w, &p, answer, now)?;
                return Ok(true);
            }
        };
        if look_up_first {
            match self.find(&request, true) {
                Ok(Some(found)) => {
                    self.settle(w, &p, found, now)?;
                    return Ok(true);
                }
                // ORCA's list says it is not there: sending is safe again.
                Ok(None) => p.uncertain = false,
                Err(answer) => {
                    self.settle(w, &p, answer, now)?;
                    return Ok(true);
                }
            }
        }
        let sending = delivery::before_send(&p);
        if !self
            .store
            .orca_claim(w.outbox_id, w.progress.clone(), sending.clone(), now)?
        {
            // Another worker on this database is sending it.
            return Ok(false);
        }
        let answer = match self.client.accept(&request) {
            Ok(AcceptAnswer::Registered {
                acceptance_id,
                patient_id,
                code,
            }) => {
                tracing::info!(outbox_id = w.outbox_id, code, "registered in ORCA");
                Answer::Registered {
                    acceptance_id,
                    patient_id,
                }
            }
            Ok(AcceptAnswer::Duplicate) => match self.find(&request, false) {
                Ok(Some(found)) => found,
                Ok(None) => Answer::Refused(Failure::DuplicateNotFound),
                Err(_) => {
                    Answer::NoAnswer("acceptmodv2 answered 16; the list did not answer".into())
                }
            },
            Ok(AcceptAnswer::Refused { code, message }) => Answer::Refused(match code.as_str() {
                "10" => Failure::PatientUnknown,
                "90" => Failure::Busy,
                _ => Failure::Orca { code, message },
            }),
            Err(CallError::NotSent(e)) => Answer::NotSent(e),
            Err(CallError::Unauthorized { .. }) => Answer::Refused(Failure::Unauthorized),
            // No answer, or one we cannot read (a 500 may follow a registration): unknown.
            Err(e @ (CallError::NoAnswer(_) | CallError::BadAnswer(_))) => {
                Answer::NoAnswer(e.to_string())
            }
        };
        self.settle(w, &sending, answer, now)?;
        Ok(true)
    }

    fn settle(
        &self,
        w: &OrcaWork,
        p: &Progress,
        answer: Answer,
        now: DateTime<FixedOffset>,
    ) -> Result<(), StoreError> {
        if let Answer::Failed(f) | Answer::Refused(f) = &answer {
            match f {
                Failure::Unauthorized => tracing::error!(
                    outbox_id = w.outbox_id,
                    url = self.client.url(),
                    user = self.client.user(),
                    "ORCA refused the user or password (HTTP 401): check orca.user and orca.password_file"
                ),
                f => tracing::warn!(outbox_id = w.outbox_id, code = f.code(), "{}", f.reason()),
            }
        }
        let next = delivery::after(p, answer, now, self.backoff());
        self.store.orca_save(w.outbox_id, next, now)
    }

    /// The acceptmodv2 request for `m`, or why there is none.
    fn request(&self, m: &OutboxMessage) -> Result<AcceptRequest, Answer> {
        let c = &m.check_in;
        let department = match &c.department {
            Some(d) => d.clone(),
            None if self.settings.departments.len() == 1 => self
                .settings
                .departments
                .keys()
                .next()
                .cloned()
                .unwrap_or_default(),
            None => return Err(Answer::Failed(Failure::NoDepartment)),
        };
        let Some(physician) = self.settings.departments.get(&department) else {
            return Err(Answer::Failed(Failure::NoDepartment));
        };
        let patient_id = self.patient_id(m)?;
        let finished = crate::dates::parse_rfc3339(&c.finished_at)
            .ok_or_else(|| {
                Answer::Failed(Failure::Orca {
                    code: "bad_time".into(),
                    message: format!("finished_at {:?} is not RFC 3339", c.finished_at),
                })
            })?
            .with_timezone(&JST);
        Ok(AcceptRequest {
            patient_id,
            department_code: department,
            physician_code: physician.clone(),
            date: finished.format("%Y-%m-%d").to_string(),
            time: finished.format("%H:%M:%S").to_string(),
            medical_information: self.settings.medical_information.clone(),
        })
    }

    /// The patient's ORCA number by the facility's `orca.patient_match`.
    fn patient_id(&self, m: &OutboxMessage) -> Result<String, Answer> {
        match self.settings.patient_match {
            PatientMatch::ReferenceNumber => m
                .check_in
                .eligibility
                .as_ref()
                .and_then(|e| e.reference_number.clone())
                .map(|r| r.trim().to_owned())
                .filter(|r| !r.is_empty())
                .ok_or(Answer::Failed(Failure::NoPatientKey)),
            PatientMatch::KanaBirthDate => {
                let keys = m
                    .check_in
                    .patient
                    .as_ref()
                    .ok_or(Answer::Failed(Failure::NoPatientKey))?;
                let hits = self
                    .client
                    .patients_by_kana(&keys.kana, &keys.birth_date)
                    .map_err(read_error)?;
                let mut same: Vec<_> = hits
                    .into_iter()
                    .filter(|h| {
                        h.birth_date == keys.birth_date && super::same_kana(&h.kana, &keys.kana)
                    })
                    .map(|h| h.patient_id)
                    .collect();
                same.dedup();
                match same.len() {
                    0 => Err(Answer::Failed(Failure::NewPatient)),
                    1 => Ok(same.remove(0)),
                    _ => Err(Answer::Failed(Failure::SeveralPatients)),
                }
            }
        }
    }

    /// The reception in today's 受付中 list that is this request's: same patient and
    /// department, and (`same_time`) the same Acceptance_Time the kiosk sent.
    fn find(&self, r: &AcceptRequest, same_time: bool) -> Result<Option<Answer>, Answer> {
        let list = self
            .client
            .receptions(&r.date, &self.settings.empty_list_codes)
            .map_err(read_error)?;
        Ok(list
            .into_iter()
            .find(|x| {
                x.patient_id == r.patient_id
                    && x.department_code == r.department_code
                    && (!same_time || x.time == r.time)
            })
            .map(|x| Answer::Registered {
                acceptance_id: x.acceptance_id,
                patient_id: x.patient_id,
            }))
    }
}

/// A failed read (look-up, list): nothing was registered by it, so the uncertainty stays as
/// it was; 401 is a failure staff and technicians see.
fn read_error(e: CallError) -> Answer {
    match e {
        CallError::Unauthorized { .. } => Answer::Failed(Failure::Unauthorized),
        e => Answer::NotSent(e.to_string()),
    }
}

/// What the worker keeps between passes about ORCA's department list, so a pass does not read
/// the store: when the cached list was fetched, and when a refresh last failed.
#[derive(Debug, Default)]
struct DepartmentsRefresh {
    /// `None` until the store was read once; then the cached list's `fetched_at` (`Some(None)`:
    /// nothing cached).
    fetched_at: Option<Option<DateTime<FixedOffset>>>,
    /// The last failed refresh (none since the last success).
    failed_at: Option<std::time::Instant>,
}
