//! One check-in without a screen: the patient's actions come from a script, time is virtual.
//!
//! Owns: the patient-script format, and [`Driver`], a discrete-event loop that carries the
//! flow's commands to a reader, a gateway and a store and feeds their answers back. Time only
//! moves when the script waits or when something is due (a slow gateway's answer, a timeout),
//! so a two-minute timeout takes microseconds and tests never sleep.
//! Must not know: which reader, gateway or store it drives (ports below).

use std::fmt;
use std::time::Duration;

use chrono::{DateTime, FixedOffset};
use serde_json::Value;

use crate::domain::{
    CheckInRecord, ConsentItem, DeclaredDocument, Pin, PrescriptionForm, ReceptionNumber,
};
use crate::flow::{
    CheckInFlow, Command, GatewayOp, Input, PatientAction, ReaderOp, ReaderReply, Screen,
    StoreReply,
};
use crate::gateway::Gateway;

/// The reader as the driver sees it: a field things can be placed on and taken from.
pub trait ReaderPort {
    /// Places the default thing (`None`) or a named simulated thing on the field. A real
    /// reader waits for a new card to come onto it instead.
    fn place(&mut self, what: Option<&str>) -> Result<(), String>;
    /// Takes the thing off the field. A real reader waits for the card to leave.
    fn remove(&mut self) -> Result<(), String>;
    fn execute(&mut self, op: ReaderOp) -> ReaderReply;
}

/// Where finished check-ins go.
pub trait StorePort {
    fn commit(&mut self, record: &CheckInRecord) -> StoreReply;
}

/// One thing the patient does, parsed from the script.
#[derive(Debug, Clone, PartialEq)]
pub enum ScriptStep {
    Tap(Option<String>),
    Remove,
    Pin(String),
    AskStaffToCheck,
    ConsentAll,
    /// "Do not agree" on the first consent screen.
    ConsentNone,
    /// "Back" on the document menu or a consent, limit or prescription screen.
    Back,
    /// Item by item: the answer for each item the kiosk asks.
    ConsentItems(Vec<(ConsentItem, bool)>),
    HighCostLimit(bool),
    Prescription(PrescriptionForm),
    /// The medical-aid certificate (受給者証) question: use the card as the certificate today.
    MedicalAid(bool),
    /// The department question: the code of the department chosen (e.g. "01").
    Department(String),
    PaperDocuments,
    Declare(DeclaredDocument),
    ThisIsMyPhone,
    /// "It is a card" on the "card or phone?" question.
    ThisIsACard,
    CallStaff,
    Cancel,
    Ok,
    Wait(Duration),
}

impl ScriptStep {
    fn name(&self) -> &'static str {
        match self {
            ScriptStep::Tap(_) => "tap",
            ScriptStep::Remove => "remove",
            ScriptStep::Pin(_) => "pin",
            ScriptStep::AskStaffToCheck => "ask_staff_to_check",
            ScriptStep::ConsentAll | ScriptStep::ConsentNone | ScriptStep::ConsentItems(_) => {
                "consent"
            }
            ScriptStep::Back => "back",
            ScriptStep::HighCostLimit(_) => "high_cost_limit",
            ScriptStep::Prescription(_) => "prescription",
            ScriptStep::MedicalAid(_) => "medical_aid",
            ScriptStep::Department(_) => "department",
            ScriptStep::PaperDocuments => "paper_documents",
            ScriptStep::Declare(_) => "declare",
            ScriptStep::ThisIsMyPhone => "this_is_my_phone",
            ScriptStep::ThisIsACard => "this_is_a_card",
            ScriptStep::CallStaff => "call_staff",
            ScriptStep::Cancel => "cancel",
            ScriptStep::Ok => "ok",
            ScriptStep::Wait(_) => "wait_seconds",
        }
    }
}

/// A patient script: when the visit happens and what the patient does.
#[derive(Debug, Clone, PartialEq)]
pub struct PatientScript {
    pub visit_time: Option<DateTime<FixedOffset>>,
    pub steps: Vec<ScriptStep>,
}

/// A script that cannot be run, or a step the kiosk cannot take at that moment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptError(pub String);

impl fmt::Display for ScriptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ScriptError {}

const SIMPLE_STEPS: &str = "\"tap\", \"remove\", \"ask_staff_to_check\", \"paper_documents\", \
\"this_is_my_phone\", \"this_is_a_card\", \"back\", \"call_staff\", \"cancel\", \"ok\"";
const OBJECT_STEPS: &str = "{\"tap\": PROFILE}, {\"pin\": \"1234\"}, {\"consent\": \"all\", \"none\" or \
{ITEM: true|false, ...}}, {\"high_cost_limit\": bool}, {\"prescription\": \"electronic\"|\"paper\"}, \
{\"medical_aid\": bool}, {\"department\": CODE}, {\"declare\": DOCUMENT}, {\"wait_seconds\": N}";

impl PatientScript {
    /// Parses a script; errors say which step and what was expected.
    pub fn parse(text: &str) -> Result<PatientScript, ScriptError> {
        let err = |m: String| ScriptError(m);
        let value: Value =
            serde_json::from_str(text).map_err(|e| err(format!("not valid JSON: {e}")))?;
        let Value::Object(top) = value else {
            return Err(err("the script must be a JSON object with \"steps\"".into()));
        };
        for key in top.keys() {
            if key != "steps" && key != "visit_time" {
                return Err(err(format!(
                    "unknown key \"{key}\"; a script has \"visit_time\" (optional) and \"steps\""
                )));
            }
        }
        let visit_time = match top.get("visit_time") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => {
                Some(chrono::DateTime::parse_from_rfc3339(s).map_err(|e| {
                    err(format!(
                        "visit_time \"{s}\" is not an RFC 3339 time such as \
                             2026-11-21T09:30:00+09:00: {e}"
                    ))
                })?)
            }
            Some(other) => return Err(err(format!("visit_time must be a string, not {other}"))),
        };
        let Some(Value::Array(raw_steps)) = top.get("steps") else {
            return Err(err("\"steps\" must be a list of actions".into()));
        };
        let steps = raw_steps
            .iter()
            .enumerate()
            .map(|(i, v)| parse_step(v).map_err(|m| err(format!("step {}: {m}", i + 1))))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(PatientScript { visit_time, steps })
    }
}

fn parse_step(value: &Value) -> Result<ScriptStep, String> {
    match value {
        Value::String(s) => match s.as_str() {
            "tap" => Ok(ScriptStep::Tap(None)),
            "remove" => Ok(ScriptStep::Remove),
            "ask_staff_to_check" => Ok(ScriptStep::AskStaffToCheck),
            "paper_documents" => Ok(ScriptStep::PaperDocuments),
            "this_is_my_phone" => Ok(ScriptStep::ThisIsMyPhone),
            "this_is_a_card" => Ok(ScriptStep::ThisIsACard),
            "back" => Ok(ScriptStep::Back),
            "call_staff" => Ok(ScriptStep::CallStaff),
            "cancel" => Ok(ScriptStep::Cancel),
            "ok" => Ok(ScriptStep::Ok),
            other => Err(format!(
                "unknown action \"{other}\"; expected one of {SIMPLE_STEPS}, or {OBJECT_STEPS}"
            )),
        },
        Value::Object(map) if map.len() == 1 => {
            let (key, arg) = map.iter().next().ok_or("empty action")?;
            parse_object_step(key, arg)
        }
        other => Err(format!(
            "an action is a string or an object with one key, not {other}; expected {SIMPLE_STEPS}, or {OBJECT_STEPS}"
        )),
    }
}

fn parse_object_step(key: &str, arg: &Value) -> Result<ScriptStep, String> {
    let as_bool = |what: &str| {
        arg.as_bool()
            .ok_or_else(|| format!("\"{what}\" takes true or false, not {arg}"))
    };
    let as_str = |what: &str| {
        arg.as_str()
            .ok_or_else(|| format!("\"{what}\" takes a string, not {arg}"))
    };
    match key {
        "tap" => Ok(ScriptStep::Tap(Some(as_str("tap")?.to_owned()))),
        "pin" => {
            let pin = as_str("pin")?;
            // Checked here so a typo is a script error, not a silent wrong PIN.
            if Pin::parse(pin).is_none() {
                return Err(format!("\"pin\" must be exactly 4 digits, not \"{pin}\""));
            }
            Ok(ScriptStep::Pin(pin.to_owned()))
        }
        "consent" => match arg {
            Value::String(s) if s == "all" => Ok(ScriptStep::ConsentAll),
            Value::String(s) if s == "none" => Ok(ScriptStep::ConsentNone),
            Value::Object(items) => {
                let mut answers = Vec::new();
                for (name, answer) in items {
                    let item: ConsentItem = serde_json::from_value(Value::String(name.clone()))
                        .map_err(|_| {
                            format!(
                                "unknown consent item \"{name}\"; expected medical_and_drug_info, surgery_info, health_check_info"
                            )
                        })?;
                    let answer = answer
                        .as_bool()
                        .ok_or_else(|| format!("consent item \"{name}\" takes true or false"))?;
                    answers.push((item, answer));
                }
                Ok(ScriptStep::ConsentItems(answers))
            }
            other => Err(format!(
                "\"consent\" takes \"all\", \"none\" or an object of item answers, not {other}"
            )),
        },
        "high_cost_limit" => Ok(ScriptStep::HighCostLimit(as_bool("high_cost_limit")?)),
        "medical_aid" => Ok(ScriptStep::MedicalAid(as_bool("medical_aid")?)),
        "department" => Ok(ScriptStep::Department(as_str("department")?.to_owned())),
        "prescription" => {
            let form = serde_json::from_value(arg.clone()).map_err(|_| {
                format!("\"prescription\" takes \"electronic\" or \"paper\", not {arg}")
            })?;
            Ok(ScriptStep::Prescription(form))
        }
        "declare" => {
            let doc = serde_json::from_value(arg.clone()).map_err(|_| {
                format!(
                    "\"declare\" takes eligibility_certificate, eligibility_notice_with_card, expired_insurance_card or nothing, not {arg}"
                )
            })?;
            Ok(ScriptStep::Declare(doc))
        }
        "wait_seconds" => {
            let secs = arg
                .as_f64()
                .filter(|s| s.is_finite() && *s >= 0.0 && *s <= 86_400.0)
                .ok_or_else(|| format!("\"wait_seconds\" takes 0 to 86400 seconds, not {arg}"))?;
            Ok(ScriptStep::Wait(Duration::from_secs_f64(secs)))
        }
        other => Err(format!(
            "unknown action \"{other}\"; expected one of {SIMPLE_STEPS}, or {OBJECT_STEPS}"
        )),
    }
}

/// A committed check-in as the driver saw it.
#[derive(Debug, Clone, PartialEq)]
pub struct Committed {
    pub check_in_id: i64,
    pub reception_number: Option<ReceptionNumber>,
    pub record: CheckInRecord,
}

/// Runs the flow against a reader, a gateway and a store, on virtual time.
pub struct Driver<R, G, S> {
    pub flow: CheckInFlow,
    pub now: DateTime<FixedOffset>,
    pub reader: R,
    pub gateway: G,
    pub store: S,
    /// Answers not delivered yet (a slow gateway's), by due time.
    due: Vec<(DateTime<FixedOffset>, Input)>,
    committed: Vec<Committed>,
    /// Every screen shown, in order (for tests).
    pub screens: Vec<Screen>,
    /// Every input fed to the flow with its time, when recording (for benchmarks: a recorded
    /// check-in replays through a fresh flow with no adapter in the way).
    pub recorded_inputs: Option<Vec<(DateTime<FixedOffset>, Input)>>,
}

impl<R: ReaderPort, G: Gateway, S: StorePort> Driver<R, G, S> {
    pub fn new(
        flow: CheckInFlow,
        now: DateTime<FixedOffset>,
        reader: R,
        gateway: G,
        store: S,
    ) -> Driver<R, G, S> {
        let screens = vec![flow.view().screen];
        Driver {
            flow,
            now,
            reader,
            gateway,
            store,
            due: Vec::new(),
            committed: Vec::new(),
            screens,
            recorded_inputs: None,
        }
    }

    /// Starts recording every input fed to the flow.
    pub fn record_inputs(&mut self) {
        self.recorded_inputs = Some(Vec::new());
    }

    fn feed(&mut self, input: Input) {
        if let Some(log) = self.recorded_inputs.as_mut() {
            log.push((self.now, input.clone()));
        }
        self.flow.handle(self.now, input);
        // Every screen the patient would see, even for a moment (reading, verifying, saving).
        self.note_screen();
    }

    /// Check-ins committed so far, in order.
    pub fn committed(&self) -> &[Committed] {
        &self.committed
    }

    pub fn screen(&self) -> Screen {
        self.flow.view().screen
    }

    fn input(&mut self, input: Input) {
        self.feed(input);
        self.settle();
    }

    /// Carries out every command and delivers every answer that is due now.
    fn settle(&mut self) {
        loop {
            while let Some(command) = self.flow.poll() {
                self.carry_out(command);
            }
            self.note_screen();
            let Some(i) = self.due.iter().position(|(at, _)| *at <= self.now) else {
                break;
            };
            let (_, input) = self.due.remove(i);
            self.feed(input);
        }
    }

    fn note_screen(&mut self) {
        let screen = self.flow.view().screen;
        if self.screens.last() != Some(&screen) {
            self.screens.push(screen);
        }
    }

    fn carry_out(&mut self, command: Command) {
        match command {
            Command::Reader(ticket, op) => {
                let reply = self.reader.execute(op);
                self.feed(Input::Reader(ticket, reply));
            }
            Command::Gateway(ticket, op) => {
                // Only a query takes the simulated time; a challenge is immediate.
                let latency = match op {
                    GatewayOp::Query(_) => self.gateway.simulated_latency().unwrap_or_default(),
                    GatewayOp::RequestChallenge | GatewayOp::AwaitCertifiedReader => Duration::ZERO,
                };
                // The certified reader's result comes in real time (a file the terminal
                // writes): the wait blocks here, and virtual time moves by as long as it took.
                let started = std::time::Instant::now();
                let waits = matches!(op, GatewayOp::AwaitCertifiedReader);
                let reply = crate::gateway::answer(&mut self.gateway, op);
                let latency = if waits { started.elapsed() } else { latency };
                self.due
                    .push((self.now + latency, Input::Gateway(ticket, reply)));
            }
            Command::Persist(ticket, record) => {
                let reply = self.store.commit(&record);
                if let StoreReply::Committed {
                    check_in_id,
                    reception_number,
                } = &reply
                {
                    self.committed.push(Committed {
                        check_in_id: *check_in_id,
                        reception_number: *reception_number,
                        record: *record,
                    });
                }
                self.feed(Input::Store(ticket, reply));
            }
        }
    }

    /// Lets `duration` of virtual time pass, delivering what falls due on the way.
    pub fn wait(&mut self, duration: Duration) {
        let end = self.now + duration;
        loop {
            let next_due = self.due.iter().map(|(at, _)| *at).min();
            let next = [next_due, self.flow.next_deadline()]
                .into_iter()
                .flatten()
                .filter(|at| *at <= end)
                .min();
            match next {
                Some(at) => {
                    self.now = self.now.max(at);
                    self.input(Input::Tick);
                }
                None => break,
            }
        }
        self.now = end;
        self.input(Input::Tick);
    }

    /// Waits for answers still on their way (a slow gateway), but no longer than the flow's
    /// own deadlines allow. Does not wait out a patient-input screen.
    pub fn wait_for_machines(&mut self) {
        for _ in 0..64 {
            if self.due.is_empty() || self.flow.view().idle_deadline.is_some() {
                return;
            }
            let next_due = self.due.iter().map(|(at, _)| *at).min();
            let next = [next_due, self.flow.next_deadline()]
                .into_iter()
                .flatten()
                .min();
            let Some(at) = next else { return };
            self.now = self.now.max(at);
            self.input(Input::Tick);
        }
    }

    /// A patient reads a consent or prescription question before answering: lets virtual time
    /// pass to the end of the screen's dead time (`consent_dead_time_ms`), if it is not over.
    fn read_question(&mut self) {
        if let Some(from) = self.flow.answers_taken_from()
            && from > self.now
        {
            self.wait((from - self.now).abs().to_std().unwrap_or_default());
        }
    }

    /// Performs one script step, or says why the kiosk cannot take it now.
    pub fn step(&mut self, step: &ScriptStep) -> Result<(), ScriptError> {
        // Anything still on its way arrives before the patient's next move, as in real life
        // where the patient watches the screen.
        self.wait_for_machines();
        let screen = self.screen();
        let refuse = |expected: &str| {
            Err(ScriptError(format!(
                "\"{}\" cannot be done now: the kiosk shows {}, {expected}",
                step.name(),
                screen_name(&screen)
            )))
        };
        let action = |a: PatientAction| Input::Patient(a);
        match step {
            ScriptStep::Tap(what) => {
                self.reader.place(what.as_deref()).map_err(ScriptError)?;
                self.input(Input::CardPresent);
            }
            ScriptStep::Remove => {
                self.reader.remove().map_err(ScriptError)?;
                self.input(Input::CardRemoved);
            }
            ScriptStep::Pin(digits) => {
                let Screen::PinEntry { .. } = screen else {
                    return refuse("not the PIN pad");
                };
                let pin = Pin::parse(digits)
                    .ok_or_else(|| ScriptError(format!("\"{digits}\" is not 4 digits")))?;
                self.input(action(PatientAction::EnterPin(pin)));
            }
            ScriptStep::AskStaffToCheck => {
                let Screen::PinEntry { .. } = screen else {
                    return refuse("not the PIN pad");
                };
                self.input(action(PatientAction::AskStaffToCheck));
            }
            ScriptStep::ConsentAll => {
                let Screen::ConsentChoice { .. } = screen else {
                    return refuse("not the consent screen");
                };
                self.read_question();
                self.input(action(PatientAction::ConsentAll));
            }
            ScriptStep::ConsentNone => {
                let Screen::ConsentChoice { .. } = screen else {
                    return refuse("not the consent screen");
                };
                self.read_question();
                self.input(action(PatientAction::DoNotConsent));
            }
            ScriptStep::Back => {
                let view = self.flow.view();
                if !view.can_go_back {
                    return refuse("no screen with a \"back\" button");
                }
                self.read_question();
                self.input(action(PatientAction::Back));
            }
            ScriptStep::ConsentItems(answers) => {
                // From the first consent screen ("choose item by item"), or from an item screen
                // (after "back") for the items still asked.
                match screen {
                    Screen::ConsentChoice { .. } => {
                        self.read_question();
                        self.input(action(PatientAction::ConsentItemByItem));
                    }
                    Screen::ConsentItem { .. } => {}
                    _ => return refuse("not the consent screen"),
                }
                while let Screen::ConsentItem { item, .. } = self.screen() {
                    let Some((_, answer)) = answers.iter().find(|(i, _)| *i == item) else {
                        return Err(ScriptError(format!(
                            "the kiosk asks about {} but the \"consent\" step has no answer for it",
                            serde_json::to_value(item)
                                .ok()
                                .and_then(|v| v.as_str().map(str::to_owned))
                                .unwrap_or_default()
                        )));
                    };
                    self.read_question();
                    self.input(action(PatientAction::AnswerConsentItem(item, *answer)));
                }
            }
            ScriptStep::HighCostLimit(answer) => {
                let Screen::HighCostLimit = screen else {
                    return refuse("not the high-cost limit question");
                };
                self.read_question();
                self.input(action(PatientAction::AnswerHighCostLimit(*answer)));
            }
            ScriptStep::Prescription(form) => {
                let Screen::Prescription = screen else {
                    return refuse("not the prescription question");
                };
                self.read_question();
                self.input(action(PatientAction::ChoosePrescription(*form)));
            }
            ScriptStep::MedicalAid(answer) => {
                let Screen::MedicalAidCertificate = screen else {
                    return refuse("not the medical-aid certificate question");
                };
                self.read_question();
                self.input(action(PatientAction::AnswerMedicalAid(*answer)));
            }
            ScriptStep::Department(code) => {
                let Screen::ChooseDepartment { departments } = &screen else {
                    return refuse("not the department question");
                };
                if !departments.iter().any(|d| &d.code == code) {
                    let listed: Vec<&str> = departments.iter().map(|d| d.code.as_str()).collect();
                    return Err(ScriptError(format!(
                        "\"department\": {code:?} is not on the screen; it lists {}",
                        listed.join(", ")
                    )));
                }
                self.read_question();
                self.input(action(PatientAction::ChooseDepartment(code.clone())));
            }
            ScriptStep::PaperDocuments => {
                self.input(action(PatientAction::OpenDocumentMenu));
                if self.screen() != Screen::DocumentMenu {
                    return refuse("where the paper-documents button is not shown");
                }
            }
            ScriptStep::Declare(document) => {
                if matches!(screen, Screen::Welcome | Screen::OutOfService { .. }) {
                    self.input(action(PatientAction::OpenDocumentMenu));
                }
                if self.screen() != Screen::DocumentMenu {
                    return refuse("not the paper-documents menu");
                }
                self.input(action(PatientAction::DeclareDocument(*document)));
            }
            ScriptStep::ThisIsMyPhone => {
                let (Screen::WrongCard { .. } | Screen::CardOrPhone | Screen::DocumentMenu) =
                    screen
                else {
                    return refuse(
                        "not the wrong-card screen, the card-or-phone question or the document menu",
                    );
                };
                self.input(action(PatientAction::ItIsMyPhone));
            }
            ScriptStep::ThisIsACard => {
                let Screen::CardOrPhone = screen else {
                    return refuse("not the card-or-phone question");
                };
                self.input(action(PatientAction::ItIsACard));
            }
            ScriptStep::CallStaff | ScriptStep::Cancel => {
                let end = if *step == ScriptStep::CallStaff {
                    PatientAction::CallStaff
                } else {
                    PatientAction::Cancel
                };
                self.input(action(end));
                // During a check-in the kiosk asks first; a script's "call_staff" or "cancel"
                // answers yes once the question's dead time is over, as a patient reads first.
                if let Screen::ConfirmEnd { .. } = self.screen() {
                    self.read_question();
                    self.input(action(PatientAction::ConfirmEnd));
                }
            }
            ScriptStep::Ok => self.input(action(PatientAction::Acknowledge)),
            ScriptStep::Wait(duration) => self.wait(*duration),
        }
        Ok(())
    }

    /// Runs a whole script and returns the check-in it produced. A script that ends while the
    /// kiosk still waits for the patient is an error naming the screen.
    pub fn run(&mut self, script: &PatientScript) -> Result<Committed, ScriptError> {
        let before = self.committed.len();
        for (i, step) in script.steps.iter().enumerate() {
            self.step(step)
                .map_err(|e| ScriptError(format!("step {} ({}): {}", i + 1, step.name(), e.0)))?;
        }
        self.wait_for_machines();
        match self.committed.get(before..).and_then(|c| c.last()) {
            Some(committed) => Ok(committed.clone()),
            None => Err(ScriptError(format!(
                "the script ended while the kiosk shows {} and no check-in was recorded; \
                 add the patient's next step, or {{\"wait_seconds\": N}} to let it time out",
                screen_name(&self.screen())
            ))),
        }
    }
}

/// A screen's name as scripts and messages use it.
pub fn screen_name(screen: &Screen) -> String {
    serde_json::to_value(screen)
        .ok()
        .and_then(|v| v.get("screen").and_then(|s| s.as_str()).map(str::to_owned))
        .unwrap_or_else(|| format!("{screen:?}"))
}
