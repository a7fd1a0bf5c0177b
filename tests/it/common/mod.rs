//! The scenario harness shared by the behaviour tests: a kiosk made of the REAL simulated reader
//! (APDUs, PIN counter, RSA signatures), the REAL simulated gateway (personas, single-use
//! challenges, proof checks) and a REAL SQLite file in a temporary folder, driven by patient
//! scripts on virtual time through `uketsuke::headless::Driver`, as `check-in --headless` does.
//!
//! Each test file uses a part of it; the rest is not dead, only unused there.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use chrono::{DateTime, FixedOffset};
use tempfile::TempDir;
use uketsuke::card::sim::lock;
use uketsuke::domain::{ChecklistItem, StoredCheckIn};
use uketsuke::flow::{CheckInFlow, Input, ReaderTrouble, Screen};
use uketsuke::gateway::sim::{Persona, SimGateway};
use uketsuke::headless::{Driver, PatientScript, ScriptError};
use uketsuke::reader::sim::SimReader;
use uketsuke::rules::{FacilityConfig, Rules};
use uketsuke::store::Store;

/// The fixed visit time every scenario uses unless it says otherwise (a Saturday morning).
pub const VISIT: &str = "2026-11-21T10:00:00+09:00";

/// The card happy path after the tap: right PIN, consent to all, both questions answered.
pub const HAPPY: &str = r#"["tap", {"pin": "1234"}, {"consent": "all"}, {"high_cost_limit": true}, {"prescription": "electronic"}]"#;

/// The consent steps that follow a verified PIN with the default facility.
pub const CONSENT: &str =
    r#"[{"consent": "all"}, {"high_cost_limit": true}, {"prescription": "electronic"}]"#;

/// A script at [`VISIT`] with these steps (a JSON array).
pub fn script(steps: &str) -> String {
    script_at(VISIT, steps)
}

/// A script at `visit` (RFC 3339) with these steps (a JSON array).
pub fn script_at(visit: &str, steps: &str) -> String {
    format!(r#"{{"visit_time": "{visit}", "steps": {steps}}}"#)
}

pub fn parse_time(rfc3339: &str) -> DateTime<FixedOffset> {
    uketsuke::dates::parse_rfc3339(rfc3339).expect("test times are RFC 3339")
}

/// A simulated thing's counters as the card itself knows them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CardState {
    /// VERIFY commands carrying a PIN (attempts that could cost a try).
    pub verify_count: usize,
    pub apdu_count: usize,
    pub tries_left: u8,
}

/// One kiosk: the flow, the simulated reader and gateway, and a store on a real SQLite file.
pub struct Kiosk {
    pub driver: Driver<SimReader, SimGateway, Store>,
    /// Another handle on the same store, to read records back.
    pub store: Store,
    pub db_path: PathBuf,
    /// The name of the reader's default thing (the reader spec).
    pub reader_spec: String,
    /// Whether a script has run yet (the first script's `visit_time` sets the clock).
    started: bool,
    /// Dropped last: the store's file lives here.
    pub dir: TempDir,
}

impl Kiosk {
    /// A kiosk whose reader's default thing is `reader_spec` (e.g. `card,tries=1`), whose
    /// gateway answers as `persona` (e.g. `valid-3`), with `facility` or the defaults. The
    /// clock starts at [`VISIT`]; a script's `visit_time` moves it before the first step.
    pub fn new(reader_spec: &str, persona: &str, facility: Option<FacilityConfig>) -> Kiosk {
        let reader = SimReader::from_spec(reader_spec)
            .unwrap_or_else(|e| panic!("reader spec {reader_spec:?}: {e}"));
        let persona = Persona::parse(persona).unwrap_or_else(|e| panic!("{e}"));
        let gateway = SimGateway::new(persona);
        let dir = tempfile::tempdir().expect("a temporary folder");
        let db_path = dir.path().join("kiosk.db");
        let store = Store::open(&db_path).expect("the store opens a fresh file");
        let flow = CheckInFlow::new(Rules::embedded(), facility.unwrap_or_default());
        let driver = Driver::new(flow, parse_time(VISIT), reader, gateway, store.clone());
        Kiosk {
            driver,
            store,
            db_path,
            reader_spec: reader_spec.to_owned(),
            started: false,
            dir,
        }
    }

    /// Sets the clock from the script's `visit_time` if nothing has run yet.
    fn start(&mut self, script: &PatientScript) {
        if !self.started {
            if let Some(visit) = script.visit_time {
                self.driver.now = visit;
            }
            self.started = true;
        }
    }

    /// Runs a whole script (a JSON object) and returns the check-in it recorded, read back
    /// from the database.
    pub fn run(&mut self, script_json: &str) -> Result<StoredCheckIn, ScriptError> {
        let script = PatientScript::parse(script_json)?;
        self.start(&script);
        let committed = self.driver.run(&script)?;
        Ok(self.stored(committed.check_in_id))
    }

    /// Runs a whole script that must record a check-in.
    pub fn run_ok(&mut self, script_json: &str) -> StoredCheckIn {
        self.run(script_json)
            .unwrap_or_else(|e| panic!("script {script_json}: {e}"))
    }

    /// Takes the steps (a JSON array) one by one until a check-in is recorded, and returns it
    /// with how many steps it took. Panics if a step is refused or none is recorded.
    pub fn run_until_recorded(&mut self, steps_json: &str) -> (StoredCheckIn, usize) {
        let script = PatientScript::parse(&script(steps_json))
            .unwrap_or_else(|e| panic!("script {steps_json}: {e}"));
        self.start(&script);
        let before = self.driver.committed().len();
        for (i, step) in script.steps.iter().enumerate() {
            self.driver
                .step(step)
                .unwrap_or_else(|e| panic!("step {} of {steps_json}: {e}", i + 1));
            if self.driver.committed().len() > before {
                return (self.last_stored(), i + 1);
            }
        }
        self.driver.wait_for_machines();
        assert!(
            self.driver.committed().len() > before,
            "{steps_json}: nothing recorded; the kiosk shows {:?}",
            self.screen()
        );
        (self.last_stored(), script.steps.len())
    }

    /// Takes one step (a JSON value such as `"tap"` or `{"pin": "1234"}`).
    pub fn step(&mut self, step_json: &str) -> Result<(), ScriptError> {
        let script = PatientScript::parse(&script(&format!("[{step_json}]")))?;
        self.start(&script);
        self.driver.step(&script.steps[0])
    }

    /// Takes one step that the kiosk must accept.
    pub fn step_ok(&mut self, step_json: &str) {
        self.step(step_json)
            .unwrap_or_else(|e| panic!("step {step_json} refused at {:?}: {e}", self.screen()));
    }

    /// Feeds one input straight to the flow (one no script step makes, such as the reader
    /// going out of service), then carries out whatever the flow asks for now.
    pub fn input(&mut self, input: Input) {
        let now = self.driver.now;
        self.driver.flow.handle(now, input);
        self.driver.wait(Duration::ZERO);
    }

    /// The card reader goes out of service (as the PC/SC adapter reports it).
    pub fn reader_down(&mut self, trouble: ReaderTrouble) {
        self.input(Input::ReaderDown(trouble));
    }

    /// The card reader is back.
    pub fn reader_up(&mut self) {
        self.input(Input::ReaderUp);
    }

    /// Lets virtual time pass.
    pub fn wait(&mut self, seconds: u64) {
        self.driver.wait(Duration::from_secs(seconds));
    }

    pub fn screen(&self) -> Screen {
        self.driver.screen()
    }

    pub fn screens(&self) -> &[Screen] {
        &self.driver.screens
    }

    pub fn reader(&self) -> &SimReader {
        &self.driver.reader
    }

    /// The counters of the reader's default thing.
    pub fn card(&self) -> CardState {
        self.thing(&self.reader_spec)
    }

    /// The counters of a named thing placed on the reader at some point.
    pub fn thing(&self, name: &str) -> CardState {
        card_state(self.reader(), name)
    }

    /// How many check-ins the driver saw committed.
    pub fn committed_count(&self) -> usize {
        self.driver.committed().len()
    }

    /// A check-in read back from the database.
    pub fn stored(&self, id: i64) -> StoredCheckIn {
        self.store
            .check_in(id)
            .expect("the store answers")
            .unwrap_or_else(|| panic!("check-in {id} is in the database"))
    }

    /// The last committed check-in, read back from the database.
    pub fn last_stored(&self) -> StoredCheckIn {
        let id = self
            .driver
            .committed()
            .last()
            .expect("a check-in was committed")
            .check_in_id;
        self.stored(id)
    }

    /// Every check-in in the database for the visit month, to count rows independently of the
    /// driver.
    pub fn rows_in_month(&self, year: i32, month: u8) -> Vec<StoredCheckIn> {
        self.store
            .check_ins_for_month(year, month)
            .expect("the store answers")
    }
}

/// The counters of the named thing the reader holds.
pub fn card_state(reader: &SimReader, name: &str) -> CardState {
    let shared = reader
        .card(name)
        .unwrap_or_else(|| panic!("the reader never held {name:?}"));
    let card = lock(&shared);
    CardState {
        verify_count: card.verify_count(),
        apdu_count: card.apdu_count(),
        tries_left: card.tries_left(),
    }
}

/// One finished check-in: what was stored, every screen shown, and the kiosk (for the reader,
/// the card's counters and the store).
pub struct CheckIn {
    pub stored: StoredCheckIn,
    pub screens: Vec<Screen>,
    pub kiosk: Kiosk,
}

impl CheckIn {
    pub fn reader(&self) -> &SimReader {
        self.kiosk.reader()
    }

    /// The counters of the reader's default thing.
    pub fn card(&self) -> CardState {
        self.kiosk.card()
    }

    pub fn thing(&self, name: &str) -> CardState {
        self.kiosk.thing(name)
    }

    pub fn has(&self, item: ChecklistItem) -> bool {
        self.stored.record.checklist.contains(&item)
    }
}

/// Builds a kiosk from a reader spec, a persona and an optional facility, runs the script (a
/// JSON object) to its recorded check-in and returns it read back from the database.
pub fn check_in(
    reader_spec: &str,
    persona: &str,
    facility: Option<FacilityConfig>,
    script_json: &str,
) -> CheckIn {
    let mut kiosk = Kiosk::new(reader_spec, persona, facility);
    let stored = kiosk.run_ok(script_json);
    CheckIn {
        stored,
        screens: kiosk.screens().to_vec(),
        kiosk,
    }
}

/// The screen's name as scripts and messages use it.
pub fn screen_name(screen: &Screen) -> String {
    uketsuke::headless::screen_name(screen)
}

/// The `uketsuke` binary's output.
pub struct Cli {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Cli {
    pub fn failed(&self) -> bool {
        self.code != Some(0)
    }
}

/// Runs the `uketsuke` binary with `args` and extra environment variables.
pub fn uketsuke(args: &[&str], env: &[(&str, &str)]) -> Cli {
    let mut command = Command::new(env!("CARGO_BIN_EXE_uketsuke"));
    command.args(args).env_remove("UKETSUKE_LOG");
    for (key, value) in env {
        command.env(key, value);
    }
    let Output {
        status,
        stdout,
        stderr,
    } = command.output().expect("the uketsuke binary runs");
    Cli {
        code: status.code(),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    }
}

/// Writes `text` to `dir/name` and returns the path as a string for the command line.
pub fn write_file(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("the temporary folder is writable");
    path.to_str().expect("temporary paths are UTF-8").to_owned()
}
