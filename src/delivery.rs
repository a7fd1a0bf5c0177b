//! Delivering outbox entries into ORCA exactly once: the decisions, with no I/O and no clock
//! (the worker in `crate::orca::worker` does the calls and passes `now`).
//!
//! Owns: per entry, what to do next (wait, give up, look the reception up, send), the backoff,
//! and what each answer makes of the entry's [`Progress`]. Must not know: HTTP, SQL, ORCA's
//! JSON.
//!
//! The exactly-once rule: before each send the worker stores `uncertain = true`
//! ([`before_send`]); only an answer clears it. An entry that is uncertain (a timeout, a
//! dropped connection, a worker killed mid-send) is never sent again before ORCA's reception
//! list (acceptlstv2) says it is not there ([`plan`] answers `look_up_first`).

use std::time::Duration;

use chrono::{DateTime, FixedOffset, TimeDelta};

use crate::dates::Date;

/// Where an entry stands (`orca_deliveries.state`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// To be sent, or looked up and then sent.
    Pending,
    /// ORCA holds the reception (its Acceptance_Id is known).
    Registered,
    /// ORCA refused it, or the kiosk cannot send it; `retrying` says whether the worker tries
    /// again by itself.
    Failed,
    /// Staff registered it in ORCA themselves (or decided it needs no reception).
    DoneByHand,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Registered => "registered",
            Self::Failed => "failed",
            Self::DoneByHand => "done_by_hand",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::Pending,
            Self::Registered,
            Self::Failed,
            Self::DoneByHand,
        ]
        .into_iter()
        .find(|v| v.as_str() == s)
    }
}

/// One entry's delivery record (a row of `orca_deliveries`; absent = [`Progress::new`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress {
    pub state: State,
    /// Sends tried so far (look-ups are not counted).
    pub attempts: u32,
    /// A send's outcome is unknown: look the reception up before any new send.
    pub uncertain: bool,
    /// Not before this instant (`None`: at once).
    pub next_attempt_at: Option<DateTime<FixedOffset>>,
    /// ORCA's 受付ID, once registered.
    pub acceptance_id: Option<String>,
    /// ORCA's 患者番号, once known.
    pub patient_id: Option<String>,
    /// On failure: ORCA's Api_Result (`10`, `90`, …) or the kiosk's own name for why
    /// ([`Failure::code`]).
    pub code: Option<String>,
    /// On failure: ORCA's Api_Result_Message, or the kiosk's English sentence for technicians.
    pub reason: Option<String>,
    /// On failure: whether the worker tries again by itself.
    pub retrying: bool,
    /// The last transport error (for technicians; never shown to patients).
    pub last_error: Option<String>,
}

impl Progress {
    pub fn new() -> Self {
        Self {
            state: State::Pending,
            attempts: 0,
            uncertain: false,
            next_attempt_at: None,
            acceptance_id: None,
            patient_id: None,
            code: None,
            reason: None,
            retrying: false,
            last_error: None,
        }
    }

    /// Whether the worker has nothing more to do with it (registered, by hand, or failed for
    /// good until staff press retry).
    pub fn is_settled(&self) -> bool {
        match self.state {
            State::Registered | State::DoneByHand => true,
            State::Failed => !self.retrying,
            State::Pending => false,
        }
    }
}

impl Default for Progress {
    fn default() -> Self {
        Self::new()
    }
}

/// Why an entry is not (yet) in ORCA.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// acceptmodv2 `10`: no patient with that Patient_ID.
    PatientUnknown,
    /// patientlst3v2 found nobody with that kana and birth date: a new patient, whom staff
    /// register at the desk.
    NewPatient,
    /// patientlst3v2 found several: staff choose.
    SeveralPatients,
    /// The check-in carries nothing to find the patient by (no 照会番号; no kana and birth
    /// date).
    NoPatientKey,
    /// The check-in names no department the facility file's `orca.departments` knows.
    NoDepartment,
    /// acceptmodv2 `90`: the patient is open on another ORCA terminal. Retried.
    Busy,
    /// HTTP 401. Retried (a technician fixing the password file heals it).
    Unauthorized,
    /// acceptmodv2 `16` and yet the reception list does not show it: staff check.
    DuplicateNotFound,
    /// The visit day has passed: ORCA is not given a reception for an earlier day.
    Late,
    /// Any other Api_Result, with ORCA's message.
    Orca { code: String, message: String },
}

impl Failure {
    /// The stable code stored in `orca_deliveries.code`: ORCA's own where it answered one.
    pub fn code(&self) -> String {
        match self {
            Self::PatientUnknown => "10".to_owned(),
            Self::NewPatient => "new_patient".to_owned(),
            Self::SeveralPatients => "several_patients".to_owned(),
            Self::NoPatientKey => "no_patient_key".to_owned(),
            Self::NoDepartment => "no_department".to_owned(),
            Self::Busy => "90".to_owned(),
            Self::Unauthorized => "401".to_owned(),
            Self::DuplicateNotFound => "16".to_owned(),
            Self::Late => "late".to_owned(),
            Self::Orca { code, .. } => code.clone(),
        }
    }

    /// Whether the worker tries again by itself.
    pub fn retrying(&self) -> bool {
        matches!(self, Self::Busy | Self::Unauthorized)
    }

    /// For technicians and the log (English).
    pub fn reason(&self) -> String {
        match self {
            Self::PatientUnknown => "patient unknown to ORCA (10)".to_owned(),
            Self::NewPatient => "no ORCA patient with this kana and birth date: a new patient, staff register at the desk".to_owned(),
            Self::SeveralPatients => "several ORCA patients share this kana and birth date: staff choose".to_owned(),
            Self::NoPatientKey => "the check-in carries no reference number or kana and birth date to find the patient by".to_owned(),
            Self::NoDepartment => "no department: the check-in names none and orca.departments has several".to_owned(),
            Self::Busy => "patient open on another ORCA terminal (90), retrying".to_owned(),
            Self::Unauthorized => "ORCA refused the user or password (401), retrying".to_owned(),
            Self::DuplicateNotFound => "ORCA says already registered (16) but its reception list does not show it".to_owned(),
            Self::Late => "the visit day has passed; not sent".to_owned(),
            Self::Orca { code, message } => format!("ORCA answered {code}: {message}"),
        }
    }
}

/// What the worker does with an entry now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// Nothing now (settled, or not yet time).
    Wait,
    /// Record this failure without calling ORCA.
    GiveUp(Failure),
    /// Call ORCA: first read the reception list when an earlier send's outcome is unknown.
    Work { look_up_first: bool },
}

/// The decision for one entry at `now`. `visit_date` is the check-in's; `today` the date in
/// Japan at `now`.
pub fn plan(p: &Progress, visit_date: Date, today: Date, now: DateTime<FixedOffset>) -> Plan {
    if p.is_settled() {
        return Plan::Wait;
    }
    if p.next_attempt_at.is_some_and(|t| t > now) {
        return Plan::Wait;
    }
    if visit_date < today && !p.uncertain {
        return Plan::GiveUp(Failure::Late);
    }
    Plan::Work {
        look_up_first: p.uncertain,
    }
}

/// The wait before try number `attempts + 1`: `initial · 2^(attempts-1)`, at most `max`.
pub fn backoff(attempts: u32, initial: Duration, max: Duration) -> Duration {
    let doublings = attempts.saturating_sub(1).min(20);
    initial.saturating_mul(1 << doublings).min(max)
}

/// The backoff settings (from `orca.retry_initial_seconds`, `orca.retry_max_seconds`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    pub initial: Duration,
    pub max: Duration,
}

impl Backoff {
    fn after(self, attempts: u32, now: DateTime<FixedOffset>) -> DateTime<FixedOffset> {
        let wait = backoff(attempts.max(1), self.initial, self.max);
        now + TimeDelta::from_std(wait).unwrap_or(TimeDelta::MAX)
    }
}

/// Stored right before acceptmodv2 is sent: one more attempt, outcome unknown until answered.
pub fn before_send(p: &Progress) -> Progress {
    Progress {
        state: State::Pending,
        attempts: p.attempts + 1,
        uncertain: true,
        ..p.clone()
    }
}

/// What one step of work came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// ORCA holds the reception (acceptmodv2 success, or found in the reception list).
    Registered {
        acceptance_id: String,
        patient_id: String,
    },
    /// ORCA answered the send with a refusal: not registered.
    Refused(Failure),
    /// The kiosk cannot send (no patient, no department), or a read failed for good: the
    /// uncertainty of an earlier send stays as it was.
    Failed(Failure),
    /// Nothing reached ORCA (no connection): the uncertainty stays as it was.
    NotSent(String),
    /// A send may have reached ORCA and no answer came: uncertain from now on.
    NoAnswer(String),
}

/// The entry's record after `answer`, at `now`.
pub fn after(p: &Progress, answer: Answer, now: DateTime<FixedOffset>, b: Backoff) -> Progress {
    match answer {
        Answer::Registered {
            acceptance_id,
            patient_id,
        } => Progress {
            state: State::Registered,
            uncertain: false,
            next_attempt_at: None,
            acceptance_id: Some(acceptance_id),
            patient_id: Some(patient_id),
            code: None,
            reason: None,
            retrying: false,
            ..p.clone()
        },
        Answer::Refused(failure) => failed(p, failure, false, now, b),
        Answer::Failed(failure) => failed(p, failure, p.uncertain, now, b),
        Answer::NotSent(error) => Progress {
            state: if p.state == State::Failed && p.retrying {
                State::Failed
            } else {
                State::Pending
            },
            next_attempt_at: Some(b.after(p.attempts, now)),
            last_error: Some(error),
            ..p.clone()
        },
        Answer::NoAnswer(error) => Progress {
            state: State::Pending,
            uncertain: true,
            next_attempt_at: Some(b.after(p.attempts, now)),
            last_error: Some(error),
            ..p.clone()
        },
    }
}

fn failed(
    p: &Progress,
    failure: Failure,
    uncertain: bool,
    now: DateTime<FixedOffset>,
    b: Backoff,
) -> Progress {
    let retrying = failure.retrying();
    Progress {
        state: State::Failed,
        uncertain,
        next_attempt_at: retrying.then(|| b.after(p.attempts, now)),
        code: Some(failure.code()),
        reason: Some(failure.reason()),
        retrying,
        ..p.clone()
    }
}

/// What staff's "retry" makes of an entry: pending at once, keeping the uncertainty (a retry
/// never skips the reception-list check) and the count.
pub fn retry(p: &Progress) -> Progress {
    Progress {
        state: State::Pending,
        next_attempt_at: None,
        code: None,
        reason: None,
        retrying: false,
        ..p.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{date, datetime};

    const B: Backoff = Backoff {
        initial: Duration::from_secs(5),
        max: Duration::from_secs(300),
    };

    #[test]
    fn backoff_doubles_up_to_its_cap() {
        let s = |n| backoff(n, B.initial, B.max).as_secs();
        assert_eq!(
            [s(0), s(1), s(2), s(3), s(4), s(6), s(7), s(40)],
            [5, 5, 10, 20, 40, 160, 300, 300]
        );
    }

    #[test]
    fn plan_table() {
        let now = datetime!(2026-05-12 09:20:00 +09:00);
        let today = date!(2026 - 05 - 12);
        let yesterday = date!(2026 - 05 - 11);
        let fresh = Progress::new();
        let uncertain = Progress {
            uncertain: true,
            attempts: 1,
            ..Progress::new()
        };
        let later = Progress {
            next_attempt_at: Some(datetime!(2026-05-12 09:20:05 +09:00)),
            ..Progress::new()
        };
        let due = Progress {
            next_attempt_at: Some(now),
            ..Progress::new()
        };
        let busy = after(&before_send(&fresh), Answer::Refused(Failure::Busy), now, B);
        let unknown = after(
            &before_send(&fresh),
            Answer::Refused(Failure::PatientUnknown),
            now,
            B,
        );
        let registered = after(
            &fresh,
            Answer::Registered {
                acceptance_id: "00007".into(),
                patient_id: "00417".into(),
            },
            now,
            B,
        );
        for (name, p, visit, at, expected) in [
            (
                "new entry",
                &fresh,
                today,
                now,
                Plan::Work {
                    look_up_first: false,
                },
            ),
            (
                "outcome unknown",
                &uncertain,
                today,
                now,
                Plan::Work {
                    look_up_first: true,
                },
            ),
            ("not yet time", &later, today, now, Plan::Wait),
            (
                "time has come",
                &due,
                today,
                now,
                Plan::Work {
                    look_up_first: false,
                },
            ),
            ("busy, before its backoff", &busy, today, now, Plan::Wait),
            (
                "busy, after its backoff",
                &busy,
                today,
                now + TimeDelta::seconds(5),
                Plan::Work {
                    look_up_first: false,
                },
            ),
            (
                "unknown patient stays failed",
                &unknown,
                today,
                now,
                Plan::Wait,
            ),
            ("registered", &registered, today, now, Plan::Wait),
            (
                "an earlier day",
                &fresh,
                yesterday,
                now,
                Plan::GiveUp(Failure::Late),
            ),
            (
                "an earlier day, uncertain: look it up still",
                &uncertain,
                yesterday,
                now,
                Plan::Work {
                    look_up_first: true,
                },
            ),
        ] {
            assert_eq!(plan(p, visit, today, at), expected, "{name}");
        }
    }

    #[test]
    fn a_send_is_uncertain_until_answered_and_stays_so_without_an_answer() {
        let now = datetime!(2026-05-12 09:20:00 +09:00);
        let sending = before_send(&Progress::new());
        assert!(sending.uncertain);
        assert_eq!(sending.attempts, 1);

        let timed_out = after(&sending, Answer::NoAnswer("timeout".into()), now, B);
        assert!(timed_out.uncertain);
        assert_eq!(timed_out.state, State::Pending);
        assert_eq!(
            timed_out.next_attempt_at,
            Some(datetime!(2026-05-12 09:20:05 +09:00))
        );
        // A connection refused on the look-up leaves it uncertain.
        let refused = after(&timed_out, Answer::NotSent("refused".into()), now, B);
        assert!(refused.uncertain);
        // Staff's retry never skips the look-up.
        assert!(retry(&refused).uncertain);

        let busy = after(&sending, Answer::Refused(Failure::Busy), now, B);
        assert!(!busy.uncertain, "an answer came");
        assert_eq!(
            (busy.state, busy.retrying, busy.code.as_deref()),
            (State::Failed, true, Some("90"))
        );
        let unknown = after(&sending, Answer::Refused(Failure::PatientUnknown), now, B);
        assert_eq!(
            (
                unknown.retrying,
                unknown.next_attempt_at,
                unknown.code.as_deref()
            ),
            (false, None, Some("10"))
        );
        assert!(unknown.is_settled());
        assert!(!retry(&unknown).is_settled(), "staff's retry reopens it");
    }
}
