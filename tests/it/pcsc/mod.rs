//! The rig for tests through a real pcscd: the daemon (started by `scripts/pcscd`), its vpcd
//! reader "Virtual JPKI Reader" with two slots ([`READER`] on [`PORT`], [`SECOND_READER`] on
//! [`SECOND_PORT`]), virtual cards that connect to them, and a kiosk whose reader is the PC/SC
//! adapter. Each test starts with both slots empty.
//!
//! With `CI=true`, a missing pcscd or vpcd fails the test; elsewhere the test says loudly that
//! it did not run.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use tempfile::TempDir;
use uketsuke::card::sim::{SimOptions, SimProfile, SimulatedCard, lock};
use uketsuke::domain::StoredCheckIn;
use uketsuke::flow::{CheckInFlow, Screen};
use uketsuke::gateway::sim::{Persona, SimGateway};
use uketsuke::headless::{Committed, Driver, PatientScript, ScriptStep};
use uketsuke::reader::SimSpec;
use uketsuke::reader::pcsc::{PcscReader, Survey, survey};
use uketsuke::rules::{FacilityConfig, Rules};
use uketsuke::store::Store;
use uketsuke::vpcd::{DEFAULT_PORT, ReaderTurn, VirtualCard, WhenDropped, WireFaults};

/// Part of the vpcd reader's name; pcscd adds " 00 00" for the slot on port 35963.
pub const READER: &str = "Virtual JPKI Reader 00 00";
pub const PORT: u16 = DEFAULT_PORT;
/// vpcd's second slot on the same reader.conf entry, listed after the first (port 35964).
pub const SECOND_READER: &str = "Virtual JPKI Reader 00 01";
pub const SECOND_PORT: u16 = DEFAULT_PORT + 1;
/// How long a test waits for something pcscd reports (vpcd is polled every ~400 ms).
pub const EVENT_WAIT: Duration = Duration::from_secs(10);

/// Tests in one binary share the one virtual reader: they take turns.
static TURN: Mutex<()> = Mutex::new(());

/// This test's turn at the reader. Dropping it plugs the reader back in if a test took it.
pub struct Rig {
    _turn: MutexGuard<'static, ()>,
    /// Other processes (test binaries, benchmarks) wait too.
    _process_turn: ReaderTurn,
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs `scripts/pcscd ACTION`; panics with its output if it fails.
pub fn pcscd(action: &str) {
    let output = Command::new("bash")
        .arg(root().join("scripts/pcscd"))
        .arg(action)
        .output()
        .expect("bash runs scripts/pcscd");
    assert!(
        output.status.success(),
        "scripts/pcscd {action} failed: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Takes this test's turn and makes sure pcscd runs with the vpcd reader. `None` (after saying
/// so on stderr) when pcscd cannot run here and this is not CI.
pub fn rig() -> Option<Rig> {
    uketsuke::cli::init_tracing();
    let turn = TURN.lock().unwrap_or_else(PoisonError::into_inner);
    let process_turn = ReaderTurn::take().expect("the reader's turn lock");
    let start = Command::new("bash")
        .arg(root().join("scripts/pcscd"))
        .arg("plug")
        .output();
    let why_not = match start {
        Ok(out) if out.status.success() => {
            let survey = survey(None);
            let listed = |name: &str| survey.readers.iter().any(|r| r.name == name);
            match (&survey.service, listed(READER) && listed(SECOND_READER)) {
                (Ok(()), true) => {
                    // The previous test's cards may still be leaving: pcscd polls vpcd.
                    let left = wait_for_survey(|s| s.readers.iter().all(|r| r.card_atr.is_none()));
                    // Not a missing rig: a test cannot run with a stranger's card on its reader.
                    assert!(
                        left.is_none(),
                        "something stays on a vpcd slot: another virtual card (is an \
                         uketsuke-virtual-card process still running?): {left:?}"
                    );
                    None
                }
                (Err(e), _) => Some(e.clone()),
                (Ok(()), false) => Some(format!(
                    "pcscd does not list both vpcd slots ({READER}, {SECOND_READER})"
                )),
            }
        }
        Ok(out) => Some(format!(
            "scripts/pcscd plug failed: {}",
            String::from_utf8_lossy(&out.stderr)
        )),
        Err(e) => Some(format!("cannot run scripts/pcscd: {e}")),
    };
    match why_not {
        None => Some(Rig {
            _turn: turn,
            _process_turn: process_turn,
        }),
        Some(why) if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("CI=true and the PC/SC test rig is missing: {why}")
        }
        Some(why) => {
            eprintln!("NOT RUN (no pcscd + vpcd here, and CI is not set): {why}");
            None
        }
    }
}

impl Drop for Rig {
    fn drop(&mut self) {
        // Leave the reader as the next test expects it, even after a failed test.
        let _ = Command::new("bash")
            .arg(root().join("scripts/pcscd"))
            .arg("plug")
            .output();
    }
}

/// Asks pcscd (a [`survey`] every 50 ms) until `done` holds, for at most [`EVENT_WAIT`]: `None`
/// when it did, else the last survey. Only the rig and tests poll: the kiosk waits on pcscd.
pub fn wait_for_survey(done: impl Fn(&Survey) -> bool) -> Option<Survey> {
    let end = Instant::now() + EVENT_WAIT;
    loop {
        let now = survey(None);
        if done(&now) {
            return None;
        }
        if Instant::now() >= end {
            return Some(now);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Waits until pcscd reports a card on `reader` (or, with `present` false, none).
pub fn wait_for_card_on(reader: &str, present: bool) {
    let left = wait_for_survey(|s| {
        s.readers
            .iter()
            .any(|r| r.name == reader && r.card_atr.is_some() == present)
    });
    assert!(
        left.is_none(),
        "pcscd never reported {reader} {}: {left:?}",
        if present { "holding a card" } else { "empty" }
    );
}

/// A simulated thing as the command line describes it (`card,tries=1`).
pub fn simulated(spec: &str) -> Arc<Mutex<SimulatedCard>> {
    let spec: SimSpec = spec.parse().unwrap_or_else(|e| panic!("{e}"));
    SimulatedCard::new(spec.profile, spec.options).shared()
}

/// Puts a simulated card on the vpcd reader; it stays off once its connection ends.
pub fn insert(card: &Arc<Mutex<SimulatedCard>>) -> VirtualCard {
    insert_with(card, WireFaults::default(), WhenDropped::StayOff)
}

pub fn insert_with(
    card: &Arc<Mutex<SimulatedCard>>,
    faults: WireFaults,
    when_dropped: WhenDropped,
) -> VirtualCard {
    insert_on(PORT, card, faults, when_dropped)
}

/// Puts a simulated card on the vpcd slot listening on `port` ([`PORT`], [`SECOND_PORT`]).
pub fn insert_on(
    port: u16,
    card: &Arc<Mutex<SimulatedCard>>,
    faults: WireFaults,
    when_dropped: WhenDropped,
) -> VirtualCard {
    // The virtual card itself connects again if pcscd does not take it (see `uketsuke::vpcd`).
    VirtualCard::insert_local(port, Arc::clone(card), faults, when_dropped)
        .unwrap_or_else(|e| panic!("the virtual card cannot reach vpcd on port {port}: {e}"))
}

/// A card that lives in a contact slot and never leaves it (a SAM, a security key): answers
/// `6A 82` to every SELECT, counts every APDU, and sends `atr`.
pub fn contact_card(atr: &[u8]) -> Arc<Mutex<SimulatedCard>> {
    SimulatedCard::new(SimProfile::UnknownDevice, SimOptions::default())
        .with_atr(atr.to_vec())
        .shared()
}

/// A PC/SC reader on the vpcd reader, ready (its reader seen).
pub fn reader() -> PcscReader {
    reader_named(Some(READER))
}

/// A PC/SC reader on a reader whose name contains `wanted` (the kiosk's own choice if `None`),
/// ready (its reader seen).
pub fn reader_named(wanted: Option<&str>) -> PcscReader {
    let mut reader = PcscReader::start(wanted).expect("the monitor thread starts");
    assert!(
        reader.wait_until(EVENT_WAIT, |f| f.reader.is_some()),
        "the vpcd reader never showed up: {:?}",
        reader.field()
    );
    reader
}

/// What a simulated card saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardView {
    pub apdu_count: usize,
    pub verify_count: usize,
    pub tries_left: u8,
}

pub fn view(card: &Arc<Mutex<SimulatedCard>>) -> CardView {
    let card = lock(card);
    CardView {
        apdu_count: card.apdu_count(),
        verify_count: card.verify_count(),
        tries_left: card.tries_left(),
    }
}

pub const VISIT: &str = "2026-11-21T09:30:00+09:00";

/// A kiosk whose reader is the PC/SC adapter on the vpcd reader.
pub struct PcscKiosk {
    pub driver: Driver<PcscReader, SimGateway, Store>,
    pub store: Store,
    _dir: TempDir,
}

impl PcscKiosk {
    pub fn new(persona: &str) -> PcscKiosk {
        PcscKiosk::with_facility(persona, FacilityConfig::default())
    }

    pub fn with_facility(persona: &str, facility: FacilityConfig) -> PcscKiosk {
        PcscKiosk::on(reader(), persona, facility)
    }

    /// A kiosk on a PC/SC reader the test started itself.
    pub fn on(reader: PcscReader, persona: &str, facility: FacilityConfig) -> PcscKiosk {
        let persona = Persona::parse(persona).unwrap_or_else(|e| panic!("{e}"));
        PcscKiosk::on_with_gateway(reader, SimGateway::new(persona), facility)
    }

    /// A kiosk whose gateway is this simulator (e.g. one that demands the test CA).
    pub fn with_gateway(gateway: SimGateway, facility: FacilityConfig) -> PcscKiosk {
        PcscKiosk::on_with_gateway(reader(), gateway, facility)
    }

    fn on_with_gateway(
        reader: PcscReader,
        gateway: SimGateway,
        facility: FacilityConfig,
    ) -> PcscKiosk {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let store = Store::open(&dir.path().join("kiosk.db")).expect("a fresh store");
        let visit = uketsuke::dates::parse_rfc3339(VISIT).expect("an RFC 3339 time");
        let driver = Driver::new(
            CheckInFlow::new(Rules::embedded(), facility),
            visit,
            reader,
            gateway,
            store.clone(),
        );
        PcscKiosk {
            driver,
            store,
            _dir: dir,
        }
    }

    /// One script step given as JSON (`"tap"`, `{"pin": "1234"}`); panics naming the screens.
    pub fn step_ok(&mut self, step: &str) {
        let script = PatientScript::parse(&format!(r#"{{"steps": [{step}]}}"#))
            .unwrap_or_else(|e| panic!("{step}: {e}"));
        let [step_parsed]: [ScriptStep; 1] = script.steps.try_into().expect("one step");
        if let Err(e) = self.driver.step(&step_parsed) {
            panic!("{step}: {e}; screens {:?}", self.driver.screens);
        }
    }

    pub fn screen(&self) -> Screen {
        self.driver.screen()
    }

    /// Runs the rest of a script (JSON list of steps) and reads the check-in back.
    pub fn finish(&mut self, steps: &str) -> StoredCheckIn {
        let script = PatientScript::parse(&format!(r#"{{"steps": {steps}}}"#))
            .unwrap_or_else(|e| panic!("{steps}: {e}"));
        let committed: Committed = self
            .driver
            .run(&script)
            .unwrap_or_else(|e| panic!("{e}; screens {:?}", self.driver.screens));
        self.store
            .check_in(committed.check_in_id)
            .expect("the store reads")
            .expect("the committed check-in is there")
    }

    pub fn committed_count(&self) -> usize {
        self.driver.committed().len()
    }
}

/// The steps after the PIN on a clean check-in with the default facility.
pub const AFTER_PIN: &str =
    r#"[{"consent": "all"}, {"high_cost_limit": true}, {"prescription": "electronic"}]"#;

/// The `uketsuke` binary built for this test run.
pub fn binary() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_uketsuke"))
}
