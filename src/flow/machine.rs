//! The check-in state machine.
//!
//! `handle(now, Input)` feeds it; `poll()` drains what it wants done; `view()` says what the
//! patient sees; `next_deadline()` says when it wants to be woken with `Input::Tick`.
//! It never does I/O, never reads a clock and never blocks, so scenario tests run it on virtual
//! time, and every adapter is replaceable.

use std::collections::VecDeque;
use std::time::Duration;

use chrono::{DateTime, FixedOffset};

use crate::dates::Date;
use tracing::{debug, info};

use super::ports::{
    Command, GatewayOp, GatewayReply, Input, PatientAction, PinStatus, ReaderOp, ReaderReply,
    ReaderTrouble, StoreReply, Ticket,
};
use super::screen::{CertificateNote, Credential, Ending, Screen, View};
use crate::departments::{DepartmentLabel, DepartmentQuestion};
use crate::domain::{
    CardProof, CertificateExpiry, CertificateHolder, Challenge, CheckInRecord, ChecklistItem,
    ConsentAnswers, ConsentItem, ConsentMode, DeclaredDocument, EligibilityResult,
    EligibilitySummary, HandoffReason, IdentityMethod, Outcome, Pin, Presented, RatioSource,
    ReceptionNumber, Step, Tapped, UnboundFaceResult, Validity, VerificationMethod,
};
use crate::expiry::{CertificateStatus, certificate_status};
use crate::rules::{FacilityConfig, JST, Rules};

/// What lies on the reader, as far as the flow knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Empty,
    /// Present, not identified in this card session yet.
    Present,
    Identified(Tapped),
}

#[derive(Debug)]
enum ChallengeState {
    NotRequested,
    Waiting(Ticket),
    Ready(Challenge),
    Failed,
}

#[derive(Debug)]
enum QueryState {
    NotStarted,
    Waiting {
        ticket: Ticket,
        deadline: DateTime<FixedOffset>,
    },
    Answered(EligibilityResult),
}

/// Everything known about the patient in front of the kiosk. Dropped whole when the check-in
/// ends, which is the privacy reset.
#[derive(Debug)]
struct Session {
    started_at: DateTime<FixedOffset>,
    last_activity: DateTime<FixedOffset>,
    presented: Option<Presented>,
    declared: Option<DeclaredDocument>,
    credential: Option<Credential>,
    /// Tries left as read from the card now on the field; forgotten when it leaves.
    pin_status: Option<PinStatus>,
    /// Typed but not yet sent (the card was away). Sent at most once, then dropped.
    pending_pin: Option<Pin>,
    identity: Option<IdentityMethod>,
    /// The method, if the kiosk completes the check-in; on a handoff only the route staff are
    /// expected to take (recorded as `expected_route`, never as the method: issue 16 item 4).
    verification: Option<VerificationMethod>,
    wrong_pin_entries: u8,
    last_attempt_wrong: bool,
    /// Taps whose tries probe answered `90 00` (tries unknown): the second goes to staff.
    tries_unknown_taps: u8,
    challenge: ChallengeState,
    query: QueryState,
    consent: ConsentAnswers,
    /// The consent-step answers in the order given, so "back" can undo the last one.
    answered: Vec<Answered>,
    /// Where the document menu's "back" returns to, while the menu is open.
    menu_from: Option<MenuFrom>,
    /// The user-authentication certificate's status at this visit, once its expiry was read (a
    /// card's before the PIN, a phone's after it). Only the dates, never the certificate.
    certificate: Option<CertificateStatus>,
    /// The department (診療科) code the patient chose on `Screen::ChooseDepartment`.
    department: Option<String>,
    /// Why the certified reader's result was not bound to this check-in, once known.
    unbound: Option<UnboundFaceResult>,
    /// What the patient answered on the certified reader, as its result file says: those
    /// questions are not asked again on the kiosk.
    reader_consent: Option<ConsentAnswers>,
}

/// One answer on the consent steps, as "back" undoes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Answered {
    /// The first consent screen (all, item by item, or none): undoing it clears the mode and
    /// every item.
    Choice,
    Item(ConsentItem),
    HighCostLimit,
    Prescription,
    MedicalAid,
    Department,
}

/// The screen the document menu was opened from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MenuFrom {
    /// The welcome screen: "back" ends the session unrecorded (nothing happened yet).
    Welcome,
    WrongCard(Tapped),
    NotRead,
    TapAgain,
}

impl Session {
    fn new(now: DateTime<FixedOffset>) -> Session {
        Session {
            started_at: now,
            last_activity: now,
            presented: None,
            declared: None,
            credential: None,
            pin_status: None,
            pending_pin: None,
            identity: None,
            verification: None,
            wrong_pin_entries: 0,
            last_attempt_wrong: false,
            tries_unknown_taps: 0,
            challenge: ChallengeState::NotRequested,
            query: QueryState::NotStarted,
            consent: ConsentAnswers::default(),
            answered: Vec::new(),
            menu_from: None,
            certificate: None,
            department: None,
            unbound: None,
            reader_consent: None,
        }
    }

    /// Undoes the last consent-step answer, if any; `false` when there was none.
    fn undo_last_answer(&mut self) -> bool {
        let Some(last) = self.answered.pop() else {
            return false;
        };
        let consent = &mut self.consent;
        match last {
            Answered::Choice => {
                consent.mode = None;
                consent.medical_and_drug_info = None;
                consent.surgery_info = None;
                consent.health_check_info = None;
            }
            Answered::Item(ConsentItem::MedicalAndDrugInfo) => consent.medical_and_drug_info = None,
            Answered::Item(ConsentItem::SurgeryInfo) => consent.surgery_info = None,
            Answered::Item(ConsentItem::HealthCheckInfo) => consent.health_check_info = None,
            Answered::HighCostLimit => consent.high_cost_limit_info = None,
            Answered::Prescription => consent.prescription_form = None,
            Answered::MedicalAid => consent.medical_aid_certificate = None,
            Answered::Department => self.department = None,
        }
        true
    }

    /// When the eligibility answer is due, while one is awaited.
    fn query_deadline(&self) -> Option<DateTime<FixedOffset>> {
        match &self.query {
            QueryState::Waiting { deadline, .. } => Some(*deadline),
            _ => None,
        }
    }

    /// How eligibility was confirmed when the card or phone itself was read.
    fn via_reader(&self) -> VerificationMethod {
        match self.credential {
            Some(Credential::Phone) => VerificationMethod::SmartphoneViaReader,
            _ => VerificationMethod::CardViaReader,
        }
    }

    fn tries_left(&self) -> u8 {
        match self.pin_status {
            Some(PinStatus::TriesLeft(n)) => n,
            _ => 0,
        }
    }
}

#[derive(Debug)]
enum State {
    /// Nobody at the kiosk: the welcome screen, or the out-of-service screen while the reader
    /// is down.
    Welcome,
    /// A reader operation is under way.
    Reader {
        ticket: Ticket,
        deadline: DateTime<FixedOffset>,
        op: ReaderStep,
    },
    WrongCard(Tapped),
    /// "Is this a card or a phone?": nothing it answered told which.
    CardOrPhone,
    NotRead,
    TapAgain,
    PinEntry,
    /// The PIN is verified; the gateway's challenge has not arrived yet.
    WaitingForChallenge,
    ConsentChoice,
    ConsentItem(ConsentItem),
    HighCostLimit,
    Prescription,
    /// The medical-aid certificate (受給者証) question, after the consent questions.
    MedicalAidCertificate,
    /// The department choice, after the other questions (facility `departments`).
    ChooseDepartment,
    Querying,
    /// The patient was sent to the certified reader beside the kiosk; its result file is
    /// awaited (the session's query, with `face_result_timeout_seconds` as its deadline).
    CertifiedReader,
    DocumentMenu,
    Saving {
        ticket: Ticket,
        record: Box<CheckInRecord>,
        /// What the done screen tells about the certificate's expiry (dates only).
        certificate: Option<CertificateNote>,
    },
    Final {
        record: Box<CheckInRecord>,
        reception_number: Option<ReceptionNumber>,
        until: DateTime<FixedOffset>,
        certificate: Option<CertificateNote>,
    },
    SaveFailed {
        until: DateTime<FixedOffset>,
        /// When the save failed: shown with the kiosk's name for the clerk to match.
        at: DateTime<FixedOffset>,
        presented: Option<Presented>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ReaderStep {
    Identify,
    /// A card's certificate expiry, before any PIN.
    ReadCertificate,
    ReadTries,
    Verify,
    Authenticate,
}

/// The check-in flow of one kiosk: one patient at a time.
pub struct CheckInFlow {
    rules: Rules,
    facility: FacilityConfig,
    next_ticket: u64,
    field: Field,
    /// Why the reader cannot be used, while it cannot. Outlives check-ins.
    reader_trouble: Option<ReaderTrouble>,
    /// The staff panel is open over the idle screen.
    staff_at_kiosk: bool,
    /// Staff closed the kiosk to patients. Outlives check-ins.
    paused: bool,
    /// When staff expect to reopen the closed kiosk, if they said.
    reopens_at: Option<DateTime<FixedOffset>>,
    state: State,
    session: Option<Session>,
    out: VecDeque<Command>,
    /// The screen shown after the last input, and since when: answers on the consent and
    /// prescription screens within `consent_dead_time_ms` of it are ignored.
    last_screen: Screen,
    screen_since: DateTime<FixedOffset>,
    /// "Call staff?" / "Stop this check-in?" asked over the check-in under way (an overlay, not
    /// a state: reader and gateway answers carry on underneath, and "back" finds the screen
    /// underneath as it was). Cleared when the check-in ends by any road.
    confirm_end: Option<Ending>,
}

impl CheckInFlow {
    pub fn new(rules: Rules, facility: FacilityConfig) -> CheckInFlow {
        CheckInFlow {
            rules,
            facility,
            next_ticket: 0,
            field: Field::Empty,
            reader_trouble: None,
            staff_at_kiosk: false,
            paused: false,
            reopens_at: None,
            state: State::Welcome,
            session: None,
            out: VecDeque::new(),
            last_screen: Screen::Welcome,
            screen_since: crate::dates::UNIX_EPOCH,
            confirm_end: None,
        }
    }

    /// The next thing the flow wants done, if any.
    pub fn poll(&mut self) -> Option<Command> {
        self.out.pop_front()
    }

    /// Whether a check-in is under way (a patient is at the kiosk).
    pub fn in_session(&self) -> bool {
        self.session.is_some() || matches!(self.state, State::Saving { .. })
    }

    pub fn rules(&self) -> &Rules {
        &self.rules
    }

    pub fn facility(&self) -> &FacilityConfig {
        &self.facility
    }

    /// Why the reader cannot be used now, if it cannot.
    pub fn reader_trouble(&self) -> Option<ReaderTrouble> {
        self.reader_trouble
    }

    /// Whether the flow was told the staff panel is open over the idle screen.
    pub fn staff_at_kiosk(&self) -> bool {
        self.staff_at_kiosk
    }

    /// Whether the flow was told staff closed the kiosk.
    pub fn kiosk_paused(&self) -> bool {
        self.paused
    }

    /// When the flow was told staff expect to reopen the closed kiosk.
    pub fn kiosk_reopens_at(&self) -> Option<DateTime<FixedOffset>> {
        self.reopens_at
    }

    /// What the patient sees now.
    pub fn view(&self) -> View {
        View {
            screen: self.screen(),
            idle_deadline: self.idle_deadline(),
            can_go_back: self.can_go_back(),
            waiting_place: self.facility.waiting_place,
            provisional_handling_ended: match &self.state {
                State::Final { record, .. } => {
                    !self.rules.provisional_handling_applies(record.visit_date)
                }
                _ => false,
            },
            department: match &self.state {
                State::Final { record, .. } => self.chosen_department_label(record),
                _ => None,
            },
        }
    }

    /// When the flow next wants an `Input::Tick`, if it is waiting for time to pass.
    pub fn next_deadline(&self) -> Option<DateTime<FixedOffset>> {
        let state_deadline = match &self.state {
            State::Reader { deadline, .. } => Some(*deadline),
            State::Final { until, .. } | State::SaveFailed { until, .. } => Some(*until),
            _ => self.idle_deadline(),
        };
        let query_deadline = self.session.as_ref().and_then(Session::query_deadline);
        match (state_deadline, query_deadline) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    pub fn handle(&mut self, now: DateTime<FixedOffset>, input: Input) {
        // Time first: an input that arrives after a deadline finds the deadline already acted on.
        self.expire(now);
        match input {
            Input::Tick => {}
            Input::CardPresent => self.on_card_present(now),
            Input::CardRemoved => self.on_card_removed(now),
            Input::Patient(action) => self.on_patient(now, action),
            Input::Reader(ticket, reply) => self.on_reader(now, ticket, reply),
            Input::Gateway(ticket, reply) => self.on_gateway(now, ticket, reply),
            Input::Store(ticket, reply) => self.on_store(now, ticket, reply),
            Input::ReaderDown(trouble) => self.on_reader_down(now, trouble),
            Input::ReaderUp => self.on_reader_up(),
            Input::StaffAtKiosk(present) => self.staff_at_kiosk = present,
            Input::KioskPaused { paused, reopens_at } => {
                info!(paused, ?reopens_at, "staff closed or reopened the kiosk");
                self.paused = paused;
                self.reopens_at = reopens_at.filter(|_| paused);
            }
        }
        if self.confirm_end.is_some() && !self.can_end() {
            // The check-in ended underneath (a handoff, a save, a timeout): nothing to ask.
            self.confirm_end = None;
        }
        let screen = self.screen();
        if screen != self.last_screen {
            self.last_screen = screen;
            self.screen_since = now;
        }
    }

    /// On a consent, high-cost limit or prescription screen, or the "call staff?" / "stop this
    /// check-in?" question: the first instant its answers are taken (the end of the facility's
    /// `consent_dead_time_ms` after it appeared). `None` on other screens. Drivers on virtual
    /// time wait until then, as a patient reads first.
    pub fn answers_taken_from(&self) -> Option<DateTime<FixedOffset>> {
        let answers = self.confirm_end.is_some()
            || matches!(
                self.state,
                State::ConsentChoice
                    | State::ConsentItem(_)
                    | State::HighCostLimit
                    | State::Prescription
                    | State::MedicalAidCertificate
                    | State::ChooseDepartment
            );
        let dead = Duration::from_millis(u64::from(self.facility.consent_dead_time_ms));
        answers.then(|| self.screen_since + dead)
    }

    /// Whether "back" does something on the screen shown now.
    fn can_go_back(&self) -> bool {
        if self.confirm_end.is_some() {
            return true;
        }
        match &self.state {
            State::DocumentMenu => true,
            State::ConsentItem(_)
            | State::HighCostLimit
            | State::Prescription
            | State::MedicalAidCertificate
            | State::ChooseDepartment => self
                .session
                .as_ref()
                .is_some_and(|s| !s.answered.is_empty()),
            _ => false,
        }
    }

    /// Within the dead time after a consent, high-cost limit or prescription screen appeared
    /// (a double tap on the screen before must not answer it).
    fn in_dead_time(&self, now: DateTime<FixedOffset>) -> bool {
        self.answers_taken_from().is_some_and(|from| now < from)
    }

    /// A patient action while "call staff?" / "stop this check-in?" is asked: only its two
    /// answers (and the countdown's "still here") count; the screen underneath is covered.
    fn on_confirm_end(&mut self, now: DateTime<FixedOffset>, end: Ending, action: PatientAction) {
        use PatientAction as A;
        match action {
            A::ConfirmEnd if self.in_dead_time(now) => info!(
                ms = (now - self.screen_since).num_milliseconds(),
                "end not confirmed: the tap came within the dead time after the question appeared"
            ),
            A::ConfirmEnd => {
                self.confirm_end = None;
                match end {
                    Ending::CallStaff => self.hand_over(now, HandoffReason::PatientCalledStaff),
                    Ending::Cancel => {
                        let step = self.current_step();
                        self.finish(now, Outcome::Cancelled { at: step }, Vec::new());
                    }
                }
            }
            A::Back => {
                self.touch(now);
                self.confirm_end = None;
            }
            A::StillHere => self.touch(now),
            // The top bar's other ending: the question changes to it (it is no confirmation).
            A::CallStaff => self.confirm_end = Some(Ending::CallStaff),
            A::Cancel => self.confirm_end = Some(Ending::Cancel),
            other => debug!(
                ?other,
                "ignored: the call-staff or cancel question is showing"
            ),
        }
    }

    // ----- time -----

    fn idle_deadline(&self) -> Option<DateTime<FixedOffset>> {
        if !self.is_input_state() {
            return None;
        }
        let session = self.session.as_ref()?;
        Some(session.last_activity + secs(self.facility.idle_timeout_seconds))
    }

    /// A screen waiting for the patient: it has an idle deadline. The "call staff?" question
    /// is one whatever lies underneath (a patient who walked away must not hold the kiosk).
    fn is_input_state(&self) -> bool {
        self.confirm_end.is_some() || self.screen_underneath().input_step().is_some()
    }

    /// Whether a check-in is under way that "call staff" or "cancel" would end: the
    /// confirmation is asked only then.
    fn can_end(&self) -> bool {
        self.session.is_some()
            && !matches!(
                self.state,
                State::Welcome
                    | State::Saving { .. }
                    | State::Final { .. }
                    | State::SaveFailed { .. }
            )
    }

    fn expire(&mut self, now: DateTime<FixedOffset>) {
        if let Some(deadline) = self.session.as_ref().and_then(Session::query_deadline)
            && now >= deadline
        {
            if matches!(self.state, State::CertifiedReader) {
                info!("no result from the certified reader in time");
                return self.not_bound(now, UnboundFaceResult::NoneInTime);
            }
            info!("eligibility gateway did not answer in time");
            self.hand_over(now, HandoffReason::GatewayUnavailable);
            return;
        }
        match &self.state {
            State::Reader { deadline, .. } if now >= *deadline => {
                info!("reader operation timed out");
                self.card_lost(now);
            }
            State::Final { until, .. } | State::SaveFailed { until, .. } if now >= *until => {
                self.back_to_idle();
            }
            _ => {
                if let Some(deadline) = self.idle_deadline()
                    && now >= deadline
                {
                    // Under the "call staff?" question: the step the patient left.
                    let step = self.current_step();
                    info!(step = step.as_str(), "idle timeout: clearing the screen");
                    self.finish(now, Outcome::TimedOut { at: step }, Vec::new());
                }
            }
        }
    }

    // ----- inputs -----

    fn on_card_present(&mut self, now: DateTime<FixedOffset>) {
        if self.reader_trouble.is_some() {
            // A reader that is down reports nothing; if one does, nothing can be read anyway.
            debug!("card present while the reader is out of service: ignored");
            return;
        }
        self.field = Field::Present;
        if (self.staff_at_kiosk || self.paused) && !self.in_session() {
            debug!(
                staff_at_kiosk = self.staff_at_kiosk,
                paused = self.paused,
                "card present under the staff panel or on a closed kiosk: no check-in starts"
            );
            return;
        }
        match self.state {
            State::Welcome | State::Final { .. } | State::SaveFailed { .. } => {
                self.back_to_idle();
                self.session = Some(Session::new(now));
                self.identify(now);
            }
            // From the document menu: the patient found their card after all.
            State::WrongCard(_)
            | State::CardOrPhone
            | State::NotRead
            | State::TapAgain
            | State::PinEntry
            | State::DocumentMenu => {
                self.touch(now);
                self.identify(now);
            }
            _ => {}
        }
    }

    fn on_card_removed(&mut self, now: DateTime<FixedOffset>) {
        self.field = Field::Empty;
        if let Some(session) = self.session.as_mut() {
            // Tries left belong to the card session that just ended.
            session.pin_status = None;
            if matches!(
                self.state,
                State::PinEntry | State::WrongCard(_) | State::CardOrPhone | State::NotRead
            ) {
                session.last_activity = now;
            }
        }
        // A reader operation under way will answer CardGone; nothing else to do here.
    }

    fn on_reader_down(&mut self, now: DateTime<FixedOffset>, trouble: ReaderTrouble) {
        info!(trouble = trouble.as_str(), "card reader out of service");
        self.reader_trouble = Some(trouble);
        // Whatever lay on the field is out of reach with the reader; a card session is over.
        self.field = Field::Empty;
        if let Some(session) = self.session.as_mut() {
            session.pin_status = None;
        }
        if self.needs_reader() {
            // A reader operation under way is abandoned: its ticket is no longer awaited.
            self.hand_over(now, HandoffReason::ReaderOutOfService);
        }
        // Otherwise: idle or final screens show out of service once nobody is at the kiosk;
        // a check-in past its card part (or on paper) carries on.
    }

    fn on_reader_up(&mut self) {
        if let Some(trouble) = self.reader_trouble.take() {
            info!(was = trouble.as_str(), "card reader back in service");
        }
    }

    /// Whether the check-in under way still needs the reader: its card part is not done.
    fn needs_reader(&self) -> bool {
        match self.state {
            State::Reader { .. }
            | State::WrongCard(_)
            | State::CardOrPhone
            | State::NotRead
            | State::TapAgain
            | State::PinEntry
            | State::WaitingForChallenge => true,
            // Idle, paper documents, consent and questions (the card was read and signed),
            // waiting for the gateway, saving, final screens.
            State::Welcome
            | State::DocumentMenu
            | State::ConsentChoice
            | State::ConsentItem(_)
            | State::HighCostLimit
            | State::Prescription
            | State::MedicalAidCertificate
            | State::ChooseDepartment
            | State::Querying
            | State::CertifiedReader
            | State::Saving { .. }
            | State::Final { .. }
            | State::SaveFailed { .. } => false,
        }
    }

    fn on_patient(&mut self, now: DateTime<FixedOffset>, action: PatientAction) {
        use PatientAction as A;
        if self.paused && !self.in_session() && action != A::Acknowledge {
            // The closed screen offers nothing: the desk is where the patient goes. (A final
            // screen still takes its OK.)
            return;
        }
        if let Some(end) = self.confirm_end {
            return self.on_confirm_end(now, end, action);
        }
        match action {
            A::CallStaff if self.can_end() => {
                self.touch(now);
                self.confirm_end = Some(Ending::CallStaff);
                return;
            }
            A::Cancel if self.can_end() => {
                self.touch(now);
                self.confirm_end = Some(Ending::Cancel);
                return;
            }
            A::CallStaff => {
                // No check-in under way (welcome, out of service): nothing to lose, no question.
                if matches!(
                    self.state,
                    State::Saving { .. } | State::Final { .. } | State::SaveFailed { .. }
                ) {
                    return;
                }
                self.session.get_or_insert_with(|| Session::new(now));
                self.hand_over(now, HandoffReason::PatientCalledStaff);
                return;
            }
            A::Cancel => {
                if self.session.is_some() && !matches!(self.state, State::Saving { .. }) {
                    let step = self.current_step();
                    self.finish(now, Outcome::Cancelled { at: step }, Vec::new());
                }
                return;
            }
            A::Acknowledge => {
                if matches!(self.state, State::Final { .. } | State::SaveFailed { .. }) {
                    self.back_to_idle();
                }
                return;
            }
            A::ConfirmEnd => return,
            A::StillHere => {
                // The countdown's "I'm still here": only a screen waiting for the patient has
                // an idle deadline to push back.
                if self.is_input_state() {
                    self.touch(now);
                }
                return;
            }
            _ => {}
        }
        if self.in_dead_time(now) {
            info!(
                ?action,
                ms = (now - self.screen_since).num_milliseconds(),
                "answer ignored: it came within the dead time after the screen changed"
            );
            return;
        }
        match (&self.state, action) {
            (State::Welcome, A::OpenDocumentMenu) => {
                let mut session = Session::new(now);
                session.menu_from = Some(MenuFrom::Welcome);
                self.session = Some(session);
                self.state = State::DocumentMenu;
            }
            (State::WrongCard(_) | State::NotRead | State::TapAgain, A::OpenDocumentMenu) => {
                self.touch(now);
                let from = match self.state {
                    State::WrongCard(kind) => MenuFrom::WrongCard(kind),
                    State::NotRead => MenuFrom::NotRead,
                    _ => MenuFrom::TapAgain,
                };
                if let Some(session) = self.session.as_mut() {
                    session.menu_from = Some(from);
                }
                self.state = State::DocumentMenu;
            }
            (State::DocumentMenu, A::Back) => {
                self.touch(now);
                let from = self.session.as_mut().and_then(|s| s.menu_from.take());
                self.state = match from {
                    Some(MenuFrom::WrongCard(kind)) => State::WrongCard(kind),
                    Some(MenuFrom::NotRead) => State::NotRead,
                    Some(MenuFrom::TapAgain) => State::TapAgain,
                    Some(MenuFrom::Welcome) | None => return self.back_to_idle(),
                };
            }
            (
                State::ConsentItem(_)
                | State::HighCostLimit
                | State::Prescription
                | State::MedicalAidCertificate
                | State::ChooseDepartment,
                A::Back,
            ) => {
                self.touch(now);
                if self.session.as_mut().is_some_and(Session::undo_last_answer) {
                    self.next_consent_step(now);
                }
            }
            (State::DocumentMenu, A::DeclareDocument(document)) => {
                self.touch(now);
                self.declare(now, document);
            }
            // "It is my phone" on the payment-card screen or the card-or-phone question, or "my
            // phone's Mynaportal screen" on the document menu: the portal-screen check.
            (
                State::WrongCard(Tapped::PaymentCard) | State::CardOrPhone | State::DocumentMenu,
                A::ItIsMyPhone,
            ) => {
                self.touch(now);
                self.portal_screen(now, Presented::UnreadableDevice);
            }
            (State::CardOrPhone, A::ItIsACard) => {
                self.touch(now);
                self.identified(now, Tapped::OtherCard);
            }
            (State::PinEntry, A::EnterPin(pin)) => {
                self.touch(now);
                self.pin_entered(now, pin);
            }
            (State::PinEntry, A::AskStaffToCheck) => {
                self.touch(now);
                // The patient's own choice, not the PIN guard: recorded as such.
                self.hand_over(now, HandoffReason::PatientAskedStaffToCheck);
            }
            (State::ConsentChoice, A::ConsentAll) => {
                self.touch(now);
                let items = self.asked_consent_items();
                if let Some(session) = self.session.as_mut() {
                    session.consent.mode = Some(ConsentMode::All);
                    for item in items {
                        session.consent.set_item(item, true);
                    }
                    session.answered.push(Answered::Choice);
                }
                self.next_consent_step(now);
            }
            (State::ConsentChoice, A::ConsentItemByItem) => {
                self.touch(now);
                if let Some(session) = self.session.as_mut() {
                    session.consent.mode = Some(ConsentMode::ItemByItem);
                    session.answered.push(Answered::Choice);
                }
                self.next_consent_step(now);
            }
            (State::ConsentChoice, A::DoNotConsent) => {
                self.touch(now);
                let items = self.asked_consent_items();
                if let Some(session) = self.session.as_mut() {
                    session.consent.mode = Some(ConsentMode::Refused);
                    for item in items {
                        session.consent.set_item(item, false);
                    }
                    session.answered.push(Answered::Choice);
                }
                self.next_consent_step(now);
            }
            (State::ConsentItem(shown), A::AnswerConsentItem(item, answer)) if *shown == item => {
                self.touch(now);
                if let Some(session) = self.session.as_mut() {
                    session.consent.set_item(item, answer);
                    session.answered.push(Answered::Item(item));
                }
                self.next_consent_step(now);
            }
            (State::HighCostLimit, A::AnswerHighCostLimit(answer)) => {
                self.touch(now);
                if let Some(session) = self.session.as_mut() {
                    session.consent.high_cost_limit_info = Some(answer);
                    session.answered.push(Answered::HighCostLimit);
                }
                self.next_consent_step(now);
            }
            (State::Prescription, A::ChoosePrescription(form)) => {
                self.touch(now);
                if let Some(session) = self.session.as_mut() {
                    session.consent.prescription_form = Some(form);
                    session.answered.push(Answered::Prescription);
                }
                self.next_consent_step(now);
            }
            (State::MedicalAidCertificate, A::AnswerMedicalAid(answer)) => {
                self.touch(now);
                if let Some(session) = self.session.as_mut() {
                    session.consent.medical_aid_certificate = Some(answer);
                    session.answered.push(Answered::MedicalAid);
                }
                self.next_consent_step(now);
            }
            (State::ChooseDepartment, A::ChooseDepartment(code)) => {
                let DepartmentQuestion::Ask(listed) = self.facility.department_question() else {
                    return;
                };
                if !listed.iter().any(|d| d.code == code) {
                    debug!(%code, "department not on the screen: ignored");
                    return;
                }
                self.touch(now);
                if let Some(session) = self.session.as_mut() {
                    session.department = Some(code);
                    session.answered.push(Answered::Department);
                }
                self.next_consent_step(now);
            }
            (state, action) => {
                debug!(?state, ?action, "patient action ignored in this state");
            }
        }
    }

    fn on_reader(&mut self, now: DateTime<FixedOffset>, ticket: Ticket, reply: ReaderReply) {
        let step = match &self.state {
            State::Reader {
                ticket: expected,
                op,
                ..
            } if *expected == ticket => *op,
            _ => {
                debug!(?ticket, "late reader answer ignored");
                return;
            }
        };
        match (step, reply) {
            (_, ReaderReply::CardGone) => self.card_lost(now),
            (_, ReaderReply::Fault(detail)) => {
                info!(%detail, "reader fault");
                self.card_lost(now);
            }
            (ReaderStep::Identify, ReaderReply::Identified(tapped)) => {
                self.field = Field::Identified(tapped);
                self.identified(now, tapped);
            }
            (ReaderStep::ReadCertificate, ReaderReply::CertificateExpiry(expiry)) => {
                self.card_certificate_read(now, expiry);
            }
            (ReaderStep::ReadTries, ReaderReply::PinTriesLeft(status)) => {
                self.tries_read(now, status);
            }
            (ReaderStep::Verify, ReaderReply::PinVerified) => self.pin_verified(now),
            (ReaderStep::Verify, ReaderReply::PinRejected { tries_left }) => {
                self.pin_rejected(now, tries_left);
            }
            (ReaderStep::ReadTries | ReaderStep::Verify, ReaderReply::PinBlocked) => {
                self.hand_over(now, HandoffReason::CardBlocked);
            }
            (
                ReaderStep::Authenticate,
                ReaderReply::Authenticated {
                    certificate,
                    signature,
                    expiry,
                },
            ) => self.authenticated(now, certificate, signature, expiry),
            (step, reply) => {
                info!(
                    ?step,
                    ?reply,
                    "reader answered out of turn; asking for another tap"
                );
                self.card_lost(now);
            }
        }
    }

    fn on_gateway(&mut self, now: DateTime<FixedOffset>, ticket: Ticket, reply: GatewayReply) {
        let Some(session) = self.session.as_mut() else {
            debug!(?ticket, "gateway answer after the check-in ended: ignored");
            return;
        };
        let is_challenge = matches!(session.challenge, ChallengeState::Waiting(t) if t == ticket);
        let is_query =
            matches!(session.query, QueryState::Waiting { ticket: t, .. } if t == ticket);
        match reply {
            GatewayReply::Challenge(challenge) if is_challenge => {
                session.challenge = ChallengeState::Ready(challenge);
                if matches!(self.state, State::WaitingForChallenge) {
                    self.authenticate(now);
                }
            }
            GatewayReply::Unavailable(detail) | GatewayReply::ProofRefused(detail)
                if is_challenge =>
            {
                info!(%detail, "gateway gave no challenge");
                session.challenge = ChallengeState::Failed;
                // Stop before the patient types a PIN for nothing; never interrupt a card
                // operation under way (its answer decides what the card did).
                if !matches!(self.state, State::Reader { .. }) {
                    self.hand_over(now, HandoffReason::GatewayUnavailable);
                }
            }
            GatewayReply::Answered(result) if is_query => self.answered(now, result),
            GatewayReply::ProofRefused(detail) if is_query => {
                // The card's proof, not the connection: its own reason, never an outage.
                info!(%detail, "the gateway refused the card's proof");
                self.hand_over(now, HandoffReason::CertificateNotAccepted);
            }
            GatewayReply::Unavailable(detail) if is_query => {
                info!(%detail, "eligibility query failed");
                self.hand_over(now, HandoffReason::GatewayUnavailable);
            }
            GatewayReply::NotBound(cause) if is_query => {
                info!(
                    cause = cause.as_str(),
                    "the certified reader's result was not bound to this check-in"
                );
                self.not_bound(now, cause);
            }
            other => debug!(?ticket, ?other, "gateway answer not expected: ignored"),
        }
    }

    fn on_store(&mut self, now: DateTime<FixedOffset>, ticket: Ticket, reply: StoreReply) {
        let State::Saving {
            ticket: expected, ..
        } = &self.state
        else {
            debug!(?ticket, "store answer not expected: ignored");
            return;
        };
        if *expected != ticket {
            debug!(?ticket, "store answer for another request: ignored");
            return;
        }
        let State::Saving {
            record,
            certificate,
            ..
        } = std::mem::replace(&mut self.state, State::Welcome)
        else {
            unreachable!("matched Saving just above");
        };
        match reply {
            StoreReply::Committed {
                check_in_id,
                reception_number,
            } => {
                info!(
                    check_in_id,
                    outcome = record.outcome.as_str(),
                    "check-in recorded"
                );
                // How long depends on what the screen asks of the patient (issue 14 item 3).
                let seconds = self.facility.final_screen_seconds_for(Some(record.outcome));
                self.state = State::Final {
                    record,
                    reception_number,
                    until: now + secs(seconds),
                    certificate,
                };
            }
            StoreReply::Failed(detail) => {
                // The kiosk's name and the time are what the clerk matches this patient by:
                // no number was stored. The same words go to the journal.
                tracing::error!(
                    %detail,
                    kiosk = %self.facility.kiosk_name,
                    at = %now,
                    "check-in could not be recorded"
                );
                self.state = State::SaveFailed {
                    until: now + secs(self.facility.final_screen_seconds_for(None)),
                    at: now,
                    presented: record.presented,
                };
            }
        }
    }

    // ----- steps -----

    fn touch(&mut self, now: DateTime<FixedOffset>) {
        if let Some(session) = self.session.as_mut() {
            session.last_activity = now;
        }
    }

    fn ticket(&mut self) -> Ticket {
        self.next_ticket += 1;
        Ticket(self.next_ticket)
    }

    fn reader(&mut self, now: DateTime<FixedOffset>, step: ReaderStep, op: ReaderOp) {
        let ticket = self.ticket();
        self.out.push_back(Command::Reader(ticket, op));
        self.state = State::Reader {
            ticket,
            deadline: now + secs(self.facility.reader_timeout_seconds),
            op: step,
        };
    }

    fn identify(&mut self, now: DateTime<FixedOffset>) {
        self.reader(now, ReaderStep::Identify, ReaderOp::Identify);
    }

    fn identified(&mut self, now: DateTime<FixedOffset>, tapped: Tapped) {
        let certified = self.facility.certified_reader.enabled;
        // With the certified reader, a phone goes there only if that reader reads phones
        // (UNCONFIRMED per model: a setting); the kiosk's own reader never asks a phone's PIN.
        let reads_phones = if certified {
            self.facility.certified_reader.reads_phones
        } else {
            self.facility.reads_smartphones
        };
        let Some(session) = self.session.as_mut() else {
            return;
        };
        session.last_activity = now;
        let credential = match tapped {
            Tapped::MyNumberCard => Credential::Card,
            Tapped::AndroidPhone if reads_phones => Credential::Phone,
            Tapped::AndroidPhone => {
                return self.portal_screen(now, Presented::AndroidPhone);
            }
            Tapped::UnreadableDevice => {
                return self.portal_screen(now, Presented::UnreadableDevice);
            }
            Tapped::OldResidentCard
            | Tapped::TransitCard
            | Tapped::PaymentCard
            | Tapped::OtherCard => {
                // Nothing is recorded as a check: a re-tap with the right card carries on in
                // this check-in.
                if session.credential.is_none() {
                    session.presented = Some(presented_of(tapped));
                }
                self.state = State::WrongCard(tapped);
                return;
            }
            Tapped::CardOrPhone => {
                self.state = State::CardOrPhone;
                return;
            }
            Tapped::Mute => {
                self.state = State::NotRead;
                return;
            }
        };
        if session.credential != Some(credential) {
            // Another credential than before: nothing typed for the old one may be sent to it.
            session.pending_pin = None;
            session.identity = None;
        }
        session.credential = Some(credential);
        session.presented = Some(presented_of(tapped));
        // A card's certificate is readable without a PIN: its expiry is known before one is
        // asked (issue 16 item 1), once per check-in. A phone's is read after its PIN.
        let read_certificate = credential == Credential::Card && session.certificate.is_none();
        if certified {
            // No PIN and no signing on the kiosk's reader: the certified reader does both. A
            // card's certificate expiry is still read at the tap (beyond grace: as today).
            return if read_certificate {
                self.reader(
                    now,
                    ReaderStep::ReadCertificate,
                    ReaderOp::ReadCertificateExpiry,
                )
            } else {
                self.await_certified_reader(now)
            };
        }
        if matches!(session.challenge, ChallengeState::NotRequested) {
            let ticket = self.ticket();
            self.out
                .push_back(Command::Gateway(ticket, GatewayOp::RequestChallenge));
            if let Some(session) = self.session.as_mut() {
                session.challenge = ChallengeState::Waiting(ticket);
            }
        }
        if read_certificate {
            self.reader(
                now,
                ReaderStep::ReadCertificate,
                ReaderOp::ReadCertificateExpiry,
            );
        } else {
            self.reader(now, ReaderStep::ReadTries, ReaderOp::ReadPinTriesLeft);
        }
    }

    /// The certificate's status at this visit for `holder`, by the rules in force that day.
    /// A date that could not be read is `Valid`: the gateway judges the certificate then.
    fn certificate_status_of(
        &self,
        now: DateTime<FixedOffset>,
        expiry: Option<CertificateExpiry>,
        holder: CertificateHolder,
    ) -> CertificateStatus {
        let today = visit_date(now);
        match (expiry, self.rules.certificate_expiry_rule(today)) {
            (Some(expiry), Some(rule)) => certificate_status(expiry, today, holder, rule),
            _ => CertificateStatus::Valid,
        }
    }

    /// A card's certificate expiry, read before the PIN: beyond the grace period no PIN is
    /// asked (it could only cost a try and cannot succeed); otherwise on to the tries probe.
    fn card_certificate_read(
        &mut self,
        now: DateTime<FixedOffset>,
        expiry: Option<CertificateExpiry>,
    ) {
        let status = self.certificate_status_of(now, expiry, CertificateHolder::Card);
        if let Some(session) = self.session.as_mut() {
            session.certificate = Some(status);
        }
        if let CertificateStatus::ExpiredBeyondGrace { not_after } = status {
            info!(%not_after, "card certificate expired beyond the grace period: no PIN asked");
            return self.hand_over(now, HandoffReason::CertificateExpired);
        }
        if self.facility.certified_reader.enabled {
            return self.await_certified_reader(now);
        }
        self.reader(now, ReaderStep::ReadTries, ReaderOp::ReadPinTriesLeft);
    }

    /// Sends the patient to the certified reader beside the kiosk and asks the gateway for the
    /// result file it writes (issue 17 item 1). The wait ends with the result, a "not bound"
    /// with its cause, or the facility's `face_result_timeout_seconds`.
    fn await_certified_reader(&mut self, now: DateTime<FixedOffset>) {
        let timeout = secs(self.facility.certified_reader.face_result_timeout_seconds);
        let ticket = self.ticket();
        let Some(session) = self.session.as_mut() else {
            return;
        };
        self.out
            .push_back(Command::Gateway(ticket, GatewayOp::AwaitCertifiedReader));
        session.query = QueryState::Waiting {
            ticket,
            deadline: now + timeout,
        };
        session.last_activity = now;
        self.state = State::CertifiedReader;
    }

    /// The certified reader's result could not be bound to this check-in: staff confirm it on
    /// the terminal. Expected route: the card (or phone) at a reader, as the patient used one.
    fn not_bound(&mut self, now: DateTime<FixedOffset>, cause: UnboundFaceResult) {
        if let Some(session) = self.session.as_mut() {
            session.unbound = Some(cause);
            session.verification = Some(session.via_reader());
        }
        self.hand_over(now, HandoffReason::ConfirmResultAtDesk);
    }

    fn tries_read(&mut self, now: DateTime<FixedOffset>, status: PinStatus) {
        let Some(session) = self.session.as_mut() else {
            return;
        };
        session.pin_status = Some(status);
        match status {
            PinStatus::TriesLeft(n) if n >= 2 => {
                if let Some(pin) = session.pending_pin.take() {
                    self.verify(now, pin);
                } else {
                    self.enter_pin_entry(now);
                }
            }
            // The PIN guard: with one try left a wrong PIN would lock the card. Never offer it.
            PinStatus::TriesLeft(1) => self.hand_over(now, HandoffReason::StaffVisualCheck),
            PinStatus::TriesLeft(_) | PinStatus::Blocked => {
                self.hand_over(now, HandoffReason::CardBlocked)
            }
            PinStatus::TriesUnknown => {
                // The probe answered 90 00: the tries are unknown, so no VERIFY may be sent
                // (the PIN guard needs a known count). A typed PIN is dropped, never sent. One
                // fresh tap (a power-up) is asked for; a card that answers so again goes to
                // staff, who check the photo by eye as at one try left: no endless loop.
                session.pending_pin = None;
                session.tries_unknown_taps = session.tries_unknown_taps.saturating_add(1);
                if session.tries_unknown_taps >= 2 {
                    info!("card again gave no PIN tries after a fresh tap; staff check by eye");
                    self.hand_over(now, HandoffReason::StaffVisualCheck);
                } else {
                    info!(
                        "card gave no PIN tries (empty VERIFY answered 90 00); asking for a re-tap"
                    );
                    self.state = State::NotRead;
                }
            }
        }
    }

    fn enter_pin_entry(&mut self, now: DateTime<FixedOffset>) {
        if matches!(
            self.session.as_ref().map(|s| &s.challenge),
            Some(ChallengeState::Failed)
        ) {
            return self.hand_over(now, HandoffReason::GatewayUnavailable);
        }
        self.touch(now);
        self.state = State::PinEntry;
    }

    fn pin_entered(&mut self, now: DateTime<FixedOffset>, pin: Pin) {
        let known_tries = self.session.as_ref().map(|s| s.pin_status);
        match (self.field, known_tries) {
            (Field::Identified(_), Some(Some(PinStatus::TriesLeft(n)))) if n >= 2 => {
                self.verify(now, pin);
            }
            (Field::Identified(_) | Field::Present, _) => {
                // Tries unknown for the card now on the field: ask it before any VERIFY.
                if let Some(session) = self.session.as_mut() {
                    session.pending_pin = Some(pin);
                }
                self.identify(now);
            }
            (Field::Empty, _) => {
                if let Some(session) = self.session.as_mut() {
                    session.pending_pin = Some(pin);
                }
                self.state = State::TapAgain;
            }
        }
    }

    fn verify(&mut self, now: DateTime<FixedOffset>, pin: Pin) {
        // Invariant: only reached with more than one try known for this card session.
        debug_assert!(self.session.as_ref().is_some_and(|s| s.tries_left() >= 2));
        self.reader(now, ReaderStep::Verify, ReaderOp::VerifyPin(pin));
    }

    fn pin_verified(&mut self, now: DateTime<FixedOffset>) {
        let Some(session) = self.session.as_mut() else {
            return;
        };
        session.identity = Some(match session.credential {
            Some(Credential::Phone) => IdentityMethod::PinOnPhone,
            _ => IdentityMethod::PinOnCard,
        });
        session.last_attempt_wrong = false;
        // A right PIN resets the card's counter; re-read it before any later VERIFY.
        session.pin_status = None;
        match session.challenge {
            ChallengeState::Ready(_) => self.authenticate(now),
            ChallengeState::Failed => self.hand_over(now, HandoffReason::GatewayUnavailable),
            ChallengeState::Waiting(_) | ChallengeState::NotRequested => {
                self.state = State::WaitingForChallenge;
            }
        }
    }

    fn pin_rejected(&mut self, now: DateTime<FixedOffset>, tries_left: u8) {
        let Some(session) = self.session.as_mut() else {
            return;
        };
        session.wrong_pin_entries = session.wrong_pin_entries.saturating_add(1);
        session.last_attempt_wrong = true;
        session.pin_status = Some(PinStatus::TriesLeft(tries_left));
        match tries_left {
            0 => self.hand_over(now, HandoffReason::CardBlocked),
            1 => self.hand_over(now, HandoffReason::StaffVisualCheck),
            _ => self.enter_pin_entry(now),
        }
    }

    fn authenticate(&mut self, now: DateTime<FixedOffset>) {
        let Some(challenge) = self.session.as_ref().and_then(|s| match &s.challenge {
            ChallengeState::Ready(c) => Some(c.clone()),
            _ => None,
        }) else {
            self.state = State::WaitingForChallenge;
            return;
        };
        self.reader(
            now,
            ReaderStep::Authenticate,
            ReaderOp::Authenticate { challenge },
        );
    }

    fn authenticated(
        &mut self,
        now: DateTime<FixedOffset>,
        certificate: crate::domain::Certificate,
        signature: crate::domain::Signature,
        expiry: Option<CertificateExpiry>,
    ) {
        // A phone's certificate is known only now; it has no grace period: expired, it is
        // handed over before the gateway is asked (the card's was judged before the PIN).
        if self
            .session
            .as_ref()
            .is_some_and(|s| s.credential == Some(Credential::Phone) && s.certificate.is_none())
        {
            let status = self.certificate_status_of(now, expiry, CertificateHolder::Phone);
            if let Some(session) = self.session.as_mut() {
                session.certificate = Some(status);
            }
            if let CertificateStatus::ExpiredBeyondGrace { not_after } = status {
                info!(%not_after, "phone certificate expired: handed to staff");
                return self.hand_over(now, HandoffReason::CertificateExpired);
            }
        }
        let gateway_timeout = secs(self.facility.gateway_timeout_seconds);
        let ticket = self.ticket();
        let Some(session) = self.session.as_mut() else {
            return;
        };
        let ChallengeState::Ready(challenge) =
            std::mem::replace(&mut session.challenge, ChallengeState::NotRequested)
        else {
            return self.card_lost(now);
        };
        // The proof goes to the gateway and is not kept: no certificate is ever stored.
        self.out.push_back(Command::Gateway(
            ticket,
            GatewayOp::Query(CardProof {
                certificate,
                challenge,
                signature,
            }),
        ));
        session.query = QueryState::Waiting {
            ticket,
            deadline: now + gateway_timeout,
        };
        session.last_activity = now;
        // The card is done: consent is asked while the gateway answers.
        self.next_consent_step(now);
    }

    /// The consent items this check-in asks (see [`Self::consent_items_for`]).
    fn asked_consent_items(&self) -> Vec<ConsentItem> {
        self.session
            .as_ref()
            .map_or_else(Vec::new, |s| self.consent_items_for(s))
    }

    /// Moves to the next unanswered consent question, or on to the result.
    fn next_consent_step(&mut self, now: DateTime<FixedOffset>) {
        let Some(session) = self.session.as_ref() else {
            return;
        };
        let consent = &session.consent;
        let items = self.consent_items_for(session);
        let items = &items;
        self.state = if !items.is_empty() && consent.mode.is_none() {
            State::ConsentChoice
        } else if let Some(item) = items.iter().find(|i| consent.item(**i).is_none()) {
            State::ConsentItem(*item)
        } else if self.facility.asks_high_cost_limit && consent.high_cost_limit_info.is_none() {
            State::HighCostLimit
        } else if self.facility.asks_prescription_form && consent.prescription_form.is_none() {
            State::Prescription
        } else if consent.medical_aid_certificate.is_none()
            && self
                .facility
                .asks_medical_aid_certificate(&self.rules, visit_date(session.started_at))
        {
            // Only card and phone check-ins reach the consent steps (after the card signed):
            // the 受給者証 on the card needs the card's own eligibility check.
            State::MedicalAidCertificate
        } else if session.department.is_none()
            && matches!(
                self.facility.department_question(),
                DepartmentQuestion::Ask(_)
            )
        {
            // Last, once the insurance questions are answered (issue 17 item 2). Only card and
            // phone check-ins come here; a handoff is never asked: staff choose at the desk.
            State::ChooseDepartment
        } else {
            return self.consent_done(now);
        };
    }

    /// The consent items asked at this check-in: none while the certificate is in its grace
    /// period, when the card confirms eligibility only and no medical information can be shared
    /// (a question whose answer cannot take effect is not asked; the done screen says why).
    fn consent_items_for(&self, session: &Session) -> Vec<ConsentItem> {
        if matches!(
            session.certificate,
            Some(CertificateStatus::ExpiredInGrace { .. })
        ) {
            return Vec::new();
        }
        // The certified reader asks the information-sharing consents on its own screen; those
        // its result file answers are not asked twice (a file that does not say: asked here).
        if let Some(reader) = &session.reader_consent {
            return self
                .facility
                .consent_items
                .iter()
                .copied()
                .filter(|i| reader.item(*i).is_none())
                .collect();
        }
        self.facility.consent_items.clone()
    }

    fn consent_done(&mut self, now: DateTime<FixedOffset>) {
        match self.session.as_ref().map(|s| &s.query) {
            Some(QueryState::Answered(_)) => self.complete(now),
            _ => self.state = State::Querying,
        }
    }

    fn answered(&mut self, now: DateTime<FixedOffset>, result: EligibilityResult) {
        let Some(session) = self.session.as_mut() else {
            return;
        };
        match result.validity {
            Validity::Valid => {
                if matches!(self.state, State::CertifiedReader)
                    && let Some(reader) = &result.reader_consent
                {
                    take_reader_answers(&mut session.consent, reader);
                    session.reader_consent = Some(reader.clone());
                }
                session.query = QueryState::Answered(result);
                match self.state {
                    State::Querying => self.complete(now),
                    // The card is done at the certified reader: on to the kiosk's own questions
                    // (prescription, medical aid), if the facility asks them.
                    State::CertifiedReader => self.next_consent_step(now),
                    _ => {}
                }
            }
            Validity::SeveralMatches => {
                session.verification = Some(session.via_reader());
                session.query = QueryState::Answered(result);
                self.hand_over(now, HandoffReason::SeveralMatches);
            }
            Validity::Invalid | Validity::InvalidNewerExists => {
                session.query = QueryState::Answered(result);
                self.hand_over(now, HandoffReason::EligibilityInvalid);
            }
            Validity::NoEligibility => {
                session.query = QueryState::Answered(result);
                self.hand_over(now, HandoffReason::NoEligibility);
            }
        }
    }

    /// Ends a check-in whose valid eligibility answer is already in the session.
    fn complete(&mut self, now: DateTime<FixedOffset>) {
        let Some(session) = self.session.as_mut() else {
            return;
        };
        session.verification = Some(session.via_reader());
        // Staff see the certificate's state with the check-in (a note, never the certificate).
        let note = match session.certificate {
            Some(CertificateStatus::ExpiringSoon { .. }) => {
                vec![ChecklistItem::CertificateExpiresSoon]
            }
            Some(CertificateStatus::ExpiredInGrace { .. }) => {
                vec![ChecklistItem::CertificateExpiredInGrace]
            }
            _ => Vec::new(),
        };
        self.finish(now, Outcome::Completed, note);
    }

    fn portal_screen(&mut self, now: DateTime<FixedOffset>, presented: Presented) {
        if let Some(session) = self.session.as_mut() {
            session.presented = Some(presented);
            session.verification = Some(VerificationMethod::PortalScreenCheckedByStaff);
        }
        self.hand_over(now, HandoffReason::ConfirmPortalScreen);
    }

    fn declare(&mut self, now: DateTime<FixedOffset>, document: DeclaredDocument) {
        let visit_date = visit_date(now);
        let provisional = self.rules.provisional_handling_applies(visit_date);
        if let Some(session) = self.session.as_mut() {
            session.declared = Some(document);
            session.presented = Some(document.presented());
            session.verification = match document {
                DeclaredDocument::EligibilityCertificate => {
                    Some(VerificationMethod::EligibilityCertificate)
                }
                DeclaredDocument::EligibilityNoticeWithCard => {
                    Some(VerificationMethod::NoticeWithCardCheckedByStaff)
                }
                DeclaredDocument::ExpiredInsuranceCard if provisional => {
                    Some(VerificationMethod::ExpiredCardProvisional)
                }
                // Staff decide between past record and the self-declaration form.
                DeclaredDocument::ExpiredInsuranceCard | DeclaredDocument::Nothing => None,
            };
        }
        self.hand_over(now, HandoffReason::PaperDocument);
    }

    /// The card left (or the reader failed) during a card operation: ask for another tap,
    /// keeping what the patient already confirmed.
    fn card_lost(&mut self, _now: DateTime<FixedOffset>) {
        if let Some(session) = self.session.as_mut() {
            // A VERIFY that may or may not have reached the card is never sent again.
            session.pending_pin = None;
            session.pin_status = None;
            // The card's security state is gone with its session.
            if session.identity.is_some() && matches!(session.query, QueryState::NotStarted) {
                session.identity = None;
            }
        }
        if matches!(self.field, Field::Identified(_)) {
            self.field = Field::Present;
        }
        self.state = State::TapAgain;
    }

    fn hand_over(&mut self, now: DateTime<FixedOffset>, reason: HandoffReason) {
        let checklist = self.checklist(now, reason);
        self.finish(now, Outcome::HandedToStaff { reason }, checklist);
    }

    fn checklist(&self, now: DateTime<FixedOffset>, reason: HandoffReason) -> Vec<ChecklistItem> {
        use ChecklistItem as C;
        let visit_date = visit_date(now);
        let declared = self.session.as_ref().and_then(|s| s.declared);
        match reason {
            HandoffReason::ConfirmPortalScreen => vec![
                C::CheckPortalEligibilityScreen,
                C::RecordInsuranceNumbers,
                C::ChargeNormalShare,
                C::NotCountedTowardUsageRate,
                C::AskForCardNextTime,
            ],
            // The PIN guard's two causes are kept apart in the record, from the patient's own
            // request (its own reason): the console warns not to let the PIN be typed.
            HandoffReason::StaffVisualCheck => {
                match self.session.as_ref().and_then(|s| s.pin_status) {
                    Some(PinStatus::TriesLeft(1)) => {
                        vec![C::NoPinAtDeskOneTryLeft, C::CompareCardPhoto]
                    }
                    Some(PinStatus::TriesUnknown) => {
                        vec![C::NoPinAtDeskTriesUnknown, C::CompareCardPhoto]
                    }
                    _ => vec![C::CompareCardPhoto],
                }
            }
            HandoffReason::PatientAskedStaffToCheck => vec![C::CompareCardPhoto],
            HandoffReason::CardBlocked => vec![C::CompareCardPhoto, C::PinResetAtMunicipalOffice],
            HandoffReason::PaperDocument => match declared {
                Some(DeclaredDocument::EligibilityCertificate) => {
                    let mut items = vec![C::CheckCertificateValidity, C::QueryOnlineByNumbers];
                    // Until the rules' date every 75+ patient has one; from the day after, it
                    // depends on the insurer (rules `elderly_eligibility_certificate`).
                    items.push(if self.rules.elderly_certificate_applies(visit_date) {
                        C::ElderlyCertificateProvisional
                    } else {
                        C::ElderlyCertificateDependsOnInsurer
                    });
                    items.push(C::NotCountedTowardUsageRate);
                    items
                }
                Some(DeclaredDocument::EligibilityNoticeWithCard) => vec![
                    C::CompareCardPhoto,
                    C::RecordInsuranceNumbers,
                    C::NotCountedTowardUsageRate,
                ],
                Some(DeclaredDocument::ExpiredInsuranceCard)
                    if self.rules.provisional_handling_applies(visit_date) =>
                {
                    vec![
                        C::ProvisionalHandlingApplies,
                        C::QueryOnlineByNumbers,
                        C::ChargeNormalShare,
                        C::AskForCardNextTime,
                    ]
                }
                Some(DeclaredDocument::ExpiredInsuranceCard) => vec![
                    C::ProvisionalHandlingEnded,
                    C::PastRecordOralCheck,
                    C::SelfDeclarationForm,
                    C::ChargeNormalShare,
                    C::AskForCardNextTime,
                ],
                Some(DeclaredDocument::Nothing) | None => vec![
                    C::PastRecordOralCheck,
                    C::SelfDeclarationForm,
                    C::ChargeNormalShare,
                    C::AskForCardNextTime,
                ],
            },
            HandoffReason::EligibilityInvalid | HandoffReason::NoEligibility => vec![
                C::AskForNewerDocument,
                C::PastRecordOralCheck,
                C::SelfDeclarationForm,
                C::ChargeNormalShare,
            ],
            HandoffReason::SeveralMatches => vec![C::ChooseAmongMatches],
            HandoffReason::GatewayUnavailable => vec![
                C::PastRecordOralCheck,
                C::SelfDeclarationForm,
                C::ChargeNormalShare,
            ],
            // Identity was proven by the PIN; the certificate is what failed. Eligibility is
            // confirmed another way, and the patient renews the certificate.
            HandoffReason::CertificateNotAccepted => vec![
                C::RenewCertificateAtMunicipalOffice,
                C::AskForNewerDocument,
                C::CheckPortalEligibilityScreen,
                C::PastRecordOralCheck,
                C::SelfDeclarationForm,
                C::ChargeNormalShare,
                C::NotCountedTowardUsageRate,
            ],
            // Beyond the grace period the card confirms nothing online, at the desk's reader
            // either; no PIN was asked. The insurer posts a 資格確認書: confirm by its numbers,
            // or as without a document today; the patient renews at the municipal office.
            HandoffReason::CertificateExpired => vec![
                C::QueryOnlineByNumbers,
                C::PastRecordOralCheck,
                C::SelfDeclarationForm,
                C::ChargeNormalShare,
                C::RenewCertificateAtMunicipalOffice,
                C::NotCountedTowardUsageRate,
            ],
            HandoffReason::PatientCalledStaff => vec![C::AskWhatTheyNeed],
            HandoffReason::ConfirmResultAtDesk => {
                let cause = self.session.as_ref().and_then(|s| s.unbound);
                let mut items: Vec<C> = cause
                    .map(UnboundFaceResult::checklist_item)
                    .into_iter()
                    .collect();
                items.push(C::CheckResultOnTerminal);
                items
            }
            HandoffReason::ReaderOutOfService => {
                // The card was seen but its PIN not checked: identity by eye.
                let unchecked_card = self.session.as_ref().is_some_and(|s| {
                    s.presented == Some(Presented::MyNumberCard) && s.identity.is_none()
                });
                let mut items = Vec::new();
                // What brings the reader back, when staff can do it.
                match self.reader_trouble {
                    Some(ReaderTrouble::ReaderNotAnswering) => items.push(C::RePlugCardReader),
                    Some(ReaderTrouble::ReaderInUse) => items.push(C::CloseOtherReaderProgram),
                    Some(ReaderTrouble::ServiceNotRunning | ReaderTrouble::NoReader) | None => {}
                }
                if unchecked_card {
                    items.push(C::CompareCardPhoto);
                }
                items.extend([
                    C::CheckPortalEligibilityScreen,
                    C::RecordInsuranceNumbers,
                    C::PastRecordOralCheck,
                    C::SelfDeclarationForm,
                    C::ChargeNormalShare,
                    C::NotCountedTowardUsageRate,
                ]);
                items
            }
        }
    }

    /// Ends the check-in: builds the record, asks the store to commit it, and forgets the
    /// patient. The final screen appears only once the store says the record is durable.
    fn finish(
        &mut self,
        now: DateTime<FixedOffset>,
        outcome: Outcome,
        checklist: Vec<ChecklistItem>,
    ) {
        let Some(session) = self.session.take() else {
            self.back_to_idle();
            return;
        };
        let certificate = match (outcome, session.certificate) {
            (Outcome::Completed, Some(CertificateStatus::ExpiringSoon { not_after })) => {
                Some(CertificateNote::ExpiresOn { not_after })
            }
            (
                Outcome::Completed,
                Some(CertificateStatus::ExpiredInGrace {
                    not_after,
                    renew_by,
                }),
            ) => Some(CertificateNote::ExpiredRenewBy {
                not_after,
                renew_by,
            }),
            _ => None,
        };
        let record = self.record(now, session, outcome, checklist);
        let ticket = self.ticket();
        self.out
            .push_back(Command::Persist(ticket, Box::new(record.clone())));
        self.state = State::Saving {
            ticket,
            record: Box::new(record),
            certificate,
        };
    }

    fn record(
        &self,
        now: DateTime<FixedOffset>,
        session: Session,
        outcome: Outcome,
        checklist: Vec<ChecklistItem>,
    ) -> CheckInRecord {
        let visit_date = visit_date(session.started_at);
        // Only a handoff keeps the name: staff call the patient by it until they close it.
        let patient_name = match (&session.query, outcome) {
            (QueryState::Answered(result), Outcome::HandedToStaff { .. }) => result.name.clone(),
            // Where ORCA matches by kana and birth date, a completed check-in carries them to
            // the outbox (and no further: the store keeps no name of a completed check-in).
            (QueryState::Answered(result), Outcome::Completed) if self.orca_matches_by_kana() => {
                result.name.clone().map(|name| crate::domain::PatientName {
                    birth_date: result.birth_date,
                    ..name
                })
            }
            _ => None,
        };
        // An abandoned check-in keeps no insurance numbers: nobody will claim with them.
        let eligibility = match (session.query, outcome) {
            (QueryState::Answered(_), Outcome::Cancelled { .. } | Outcome::TimedOut { .. }) => None,
            (QueryState::Answered(result), _) => Some(self.summary(result, visit_date)),
            _ => None,
        };
        // Only a check-in the kiosk completed has a method now; a handoff's is known when staff
        // close it, so until then the record carries the expected route alone (issue 16 item 4).
        let (verification, expected_route) = match outcome {
            Outcome::Completed => (session.verification, None),
            Outcome::HandedToStaff { .. } => (None, session.verification),
            Outcome::Cancelled { .. } | Outcome::TimedOut { .. } => (None, None),
        };
        CheckInRecord {
            started_at: session.started_at,
            finished_at: now,
            visit_date,
            presented: session.presented,
            identity: session.identity,
            verification,
            counts_toward_usage_rate: verification
                .is_some_and(|m| self.rules.counts_toward_usage_rate(m, visit_date)),
            expected_route,
            consent: session.consent,
            eligibility,
            outcome,
            checklist,
            wrong_pin_entries: session.wrong_pin_entries,
            kiosk: self.facility.kiosk_name.clone(),
            patient_name,
            department: session
                .department
                .or_else(|| match self.facility.department_question() {
                    DepartmentQuestion::Fixed(code) => Some(code),
                    DepartmentQuestion::Ask(_) | DepartmentQuestion::NoDepartment => None,
                }),
        }
    }

    /// Whether the facility's ORCA finds patients by kana and birth date (issue 17 item 2).
    fn orca_matches_by_kana(&self) -> bool {
        self.facility
            .orca
            .as_ref()
            .is_some_and(|o| o.patient_match == crate::orca_settings::PatientMatch::KanaBirthDate)
    }

    /// The names of the department the patient chose on the question screen, for the done
    /// screen; `None` when none was asked (one or a fixed department: nothing to confirm).
    fn chosen_department_label(&self, record: &CheckInRecord) -> Option<DepartmentLabel> {
        let DepartmentQuestion::Ask(listed) = self.facility.department_question() else {
            return None;
        };
        let code = record.department.as_deref()?;
        listed.into_iter().find(|d| d.code == code)
    }

    fn summary(&self, result: EligibilityResult, visit_date: Date) -> EligibilitySummary {
        let (burden_ratio, burden_ratio_source) = match (result.burden_ratio, result.birth_date) {
            (Some(ratio), _) => (Some(ratio), Some(RatioSource::Result)),
            (None, Some(born)) => match self.rules.burden_ratio_by_age(born, visit_date) {
                Some(ratio) => (Some(ratio), Some(RatioSource::DerivedFromAge)),
                None => (None, None),
            },
            (None, None) => (None, None),
        };
        EligibilitySummary {
            validity: result.validity,
            insurer_number: result.insurer_number,
            symbol: result.symbol,
            number: result.number,
            branch: result.branch,
            burden_ratio,
            burden_ratio_source,
            valid_from: result.valid_from,
            valid_until: result.valid_until,
            name_contains_black_circle: result.name_contains_black_circle,
            reference_number: result.reference_number,
        }
    }

    /// Forgets the patient and shows the idle screen: welcome, or out of service while the
    /// reader is down.
    fn back_to_idle(&mut self) {
        self.session = None;
        self.state = State::Welcome;
    }

    /// The step the check-in is at (under the "call staff?" question: the screen underneath).
    fn current_step(&self) -> Step {
        if let Some(step) = self.screen_underneath().input_step() {
            return step;
        }
        match &self.state {
            State::Reader {
                op: ReaderStep::Identify | ReaderStep::ReadCertificate,
                ..
            } => Step::Reading,
            State::Reader { .. } | State::WaitingForChallenge => Step::Verifying,
            State::Querying | State::CertifiedReader => Step::Querying,
            _ => Step::Welcome,
        }
    }

    /// What the patient sees: the "call staff?" question over the check-in, or its screen.
    fn screen(&self) -> Screen {
        match self.confirm_end {
            Some(end) => Screen::ConfirmEnd { end },
            None => self.screen_underneath(),
        }
    }

    /// The check-in's own screen, under the "call staff?" question if it is asked.
    fn screen_underneath(&self) -> Screen {
        let session = self.session.as_ref();
        match &self.state {
            State::Welcome if self.paused => Screen::Paused {
                reopens_at: self.reopens_at,
            },
            State::Welcome => match self.reader_trouble {
                Some(trouble) => Screen::OutOfService { trouble },
                None => Screen::Welcome,
            },
            State::Reader {
                op: ReaderStep::Identify | ReaderStep::ReadCertificate,
                ..
            } => Screen::Reading,
            State::Reader { .. } | State::WaitingForChallenge => Screen::Verifying,
            State::WrongCard(kind) => Screen::WrongCard { kind: *kind },
            State::CardOrPhone => Screen::CardOrPhone,
            State::NotRead => Screen::NotRead,
            State::TapAgain => Screen::TapAgain {
                pin_kept: session.is_some_and(|s| s.pending_pin.is_some()),
                credential: session
                    .and_then(|s| s.credential)
                    .unwrap_or(Credential::Card),
            },
            State::PinEntry => Screen::PinEntry {
                credential: session
                    .and_then(|s| s.credential)
                    .unwrap_or(Credential::Card),
                tries_left: session.map_or(0, Session::tries_left),
                last_attempt_wrong: session.is_some_and(|s| s.last_attempt_wrong),
            },
            State::ConsentChoice => Screen::ConsentChoice {
                items: self.asked_consent_items(),
            },
            State::ConsentItem(item) => {
                let items = &self.asked_consent_items();
                Screen::ConsentItem {
                    item: *item,
                    position: items.iter().position(|i| i == item).map_or(1, |p| p + 1),
                    of: items.len(),
                }
            }
            State::HighCostLimit => Screen::HighCostLimit,
            State::Prescription => Screen::Prescription,
            State::MedicalAidCertificate => Screen::MedicalAidCertificate,
            State::ChooseDepartment => Screen::ChooseDepartment {
                departments: match self.facility.department_question() {
                    DepartmentQuestion::Ask(listed) => listed,
                    _ => Vec::new(),
                },
            },
            State::Querying => Screen::Querying,
            State::CertifiedReader => Screen::UseCertifiedReader {
                credential: session
                    .and_then(|s| s.credential)
                    .unwrap_or(Credential::Card),
                reader_on_left: self.facility.certified_reader.side
                    == crate::rules::ReaderSide::Left,
            },
            State::DocumentMenu => Screen::DocumentMenu,
            State::Saving { .. } => Screen::Saving,
            State::Final {
                record,
                reception_number,
                certificate,
                ..
            } => match record.outcome {
                Outcome::Completed => Screen::Done {
                    certificate: *certificate,
                    // Shown only where the facility allows it (review 2026-11 row 35).
                    burden_ratio: record
                        .eligibility
                        .as_ref()
                        .and_then(|e| e.burden_ratio)
                        .filter(|_| self.facility.show_burden_ratio),
                    reception_number: *reception_number,
                },
                Outcome::HandedToStaff { reason } => Screen::Handoff {
                    reason,
                    reception_number: *reception_number,
                    presented: record.presented,
                    declared: declared_of(record.presented),
                },
                Outcome::Cancelled { .. } => Screen::Cancelled,
                Outcome::TimedOut { .. } => Screen::TimedOut,
            },
            State::SaveFailed { at, presented, .. } => Screen::SaveFailed {
                kiosk: self.facility.kiosk_name.clone(),
                at: *at,
                presented: *presented,
            },
        }
    }
}

/// Copies what the patient answered on the certified reader into the check-in's answers (a
/// question the file does not answer stays open, for the kiosk to ask).
fn take_reader_answers(answers: &mut ConsentAnswers, reader: &ConsentAnswers) {
    for item in ConsentItem::ALL {
        if let Some(answer) = reader.item(item) {
            answers.set_item(item, answer);
        }
    }
    answers.mode = answers.mode.or(reader.mode);
    answers.high_cost_limit_info = answers.high_cost_limit_info.or(reader.high_cost_limit_info);
    answers.prescription_form = answers.prescription_form.or(reader.prescription_form);
    answers.medical_aid_certificate = answers
        .medical_aid_certificate
        .or(reader.medical_aid_certificate);
}

/// The visit date in Japan, which every dated rule is read at.
pub fn visit_date(at: DateTime<FixedOffset>) -> Date {
    at.with_timezone(&JST).date_naive()
}

fn secs(seconds: u32) -> Duration {
    Duration::from_secs(u64::from(seconds))
}

fn presented_of(tapped: Tapped) -> Presented {
    match tapped {
        Tapped::MyNumberCard => Presented::MyNumberCard,
        Tapped::AndroidPhone => Presented::AndroidPhone,
        Tapped::OldResidentCard => Presented::OldResidentCard,
        Tapped::TransitCard => Presented::TransitCard,
        Tapped::PaymentCard => Presented::PaymentCard,
        Tapped::OtherCard => Presented::OtherCard,
        // Never recorded as such: the patient's answer decides (a card, or a phone).
        Tapped::UnreadableDevice | Tapped::CardOrPhone | Tapped::Mute => {
            Presented::UnreadableDevice
        }
    }
}

fn declared_of(presented: Option<Presented>) -> Option<DeclaredDocument> {
    DeclaredDocument::ALL
        .into_iter()
        .find(|d| Some(d.presented()) == presented)
}
