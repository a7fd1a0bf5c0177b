//! A kiosk on Slint's testing backend with the software renderer: the real views, driven by
//! their accessible labels with real pointer clicks, over the live runtime with real worker
//! threads, a simulated reader, the simulated gateway and a real SQLite file. Time is a hand-
//! moved clock, so timeouts take no waiting.
#![allow(dead_code)]

pub mod labels;
pub mod po;

use std::cell::{Cell, RefCell};
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, FixedOffset};
use i_slint_backend_testing::{ElementHandle, TestingBackend, TestingBackendOptions};
use slint::ComponentHandle;
use slint::platform::PointerEventButton;

use uketsuke::flow::CheckInFlow;
use uketsuke::gateway::KioskGateway;
use uketsuke::gateway::sim::{Persona, SimGateway};
use uketsuke::reader::KioskReader;
use uketsuke::reader::sim::SimReader;
use uketsuke::rules::{FacilityConfig, Rules};
use uketsuke::store::Store;
use uketsuke::ui::runtime::{Adapters, Runtime};
use uketsuke::ui::{AppWindow, Kiosk, ScreenKind};
use uketsuke_views::phrases::unjoined;

/// How long a test waits for the worker threads (the reader signs with RSA; the slow gateway
/// takes 8 s).
pub const WORKERS: Duration = Duration::from_secs(20);

thread_local! {
    static PLATFORM: Cell<bool> = const { Cell::new(false) };
}

pub fn init_platform() {
    PLATFORM.with(|done| {
        if !done.get() {
            slint::platform::set_platform(Box::new(TestingBackend::new(TestingBackendOptions {
                mock_time: true,
                threading: false,
                renderer_name: Some("software".into()),
            })))
            .expect("the testing backend installs once per thread");
            done.set(true);
        }
    });
}

/// The elements of `app` laid out with a size whose label satisfies `wanted`, in tree order.
/// Japanese labels carry word joiners between a phrase's characters: `wanted` sees the label
/// without them.
pub fn labelled(app: &AppWindow, wanted: impl Fn(&str) -> bool + 'static) -> Vec<ElementHandle> {
    i_slint_backend_testing::ElementRoot::root_element(app)
        .query_descendants()
        .match_predicate(move |e| e.accessible_label().is_some_and(|l| wanted(&unjoined(&l))))
        .find_all()
        .into_iter()
        .filter(|e| e.is_valid() && e.size().width > 0.0 && e.size().height > 0.0)
        .collect()
}

pub struct UiKiosk {
    pub app: AppWindow,
    pub rt: Rc<RefCell<Runtime>>,
    clock: Rc<Cell<DateTime<FixedOffset>>>,
    pub store: Store,
    pub db: PathBuf,
    _dir: tempfile::TempDir,
}

impl UiKiosk {
    pub fn new(persona: Persona) -> UiKiosk {
        Self::with_size(persona, 1080, 1920)
    }

    pub fn with_size(persona: Persona, width: u32, height: u32) -> UiKiosk {
        Self::with_reader(persona, KioskReader::Sim(SimReader::new()), width, height)
    }

    pub fn with_reader(persona: Persona, reader: KioskReader, width: u32, height: u32) -> UiKiosk {
        init_platform();
        let dir = tempfile::tempdir().unwrap();
        Self::start(
            dir,
            persona,
            reader,
            width,
            height,
            FacilityConfig::default(),
        )
    }

    /// A kiosk set up by the facility file `facility` (JSON, as `uketsuke run --facility`
    /// reads it), portrait 1080x1920.
    #[allow(dead_code)]
    pub fn with_facility(persona: Persona, facility: &str) -> UiKiosk {
        init_platform();
        let dir = tempfile::tempdir().unwrap();
        let facility = FacilityConfig::from_json(facility, "facility.json").unwrap();
        let reader = KioskReader::Sim(SimReader::new());
        Self::start(dir, persona, reader, 1080, 1920, facility)
    }

    /// The kiosk restarted: a new runtime and views on the same database file, at the same time.
    #[allow(dead_code)]
    pub fn restarted(self, persona: Persona) -> UiKiosk {
        let (width, height) = {
            let size = self.app.window().size();
            (size.width, size.height)
        };
        let now = self.clock.get();
        let UiKiosk { _dir: dir, .. } = self;
        let k = Self::start(
            dir,
            persona,
            KioskReader::Sim(SimReader::new()),
            width,
            height,
            FacilityConfig::default(),
        );
        k.clock.set(now);
        k
    }

    fn start(
        dir: tempfile::TempDir,
        persona: Persona,
        reader: KioskReader,
        width: u32,
        height: u32,
        facility: FacilityConfig,
    ) -> UiKiosk {
        let db = dir.path().join("kiosk.db");
        let store = Store::open(&db).unwrap();
        let app = AppWindow::new().unwrap();
        app.window()
            .set_size(slint::PhysicalSize::new(width, height));
        app.show().unwrap();
        let clock = Rc::new(Cell::new(uketsuke::datetime!(2026-11-21 09:30:00 +09:00)));
        let read = clock.clone();
        let rt = Runtime::start(
            &app,
            CheckInFlow::new(Rules::embedded(), facility),
            Adapters {
                reader,
                gateway: KioskGateway::Sim(SimGateway::new(persona).with_real_latency(true)),
                store: store.clone(),
            },
            Rc::new(move || read.get()),
            Arc::new(|| {}),
        )
        .unwrap();
        UiKiosk {
            app,
            rt,
            clock,
            store,
            db,
            _dir: dir,
        }
    }

    pub fn screen(&self) -> ScreenKind {
        self.app.global::<Kiosk>().get_screen()
    }

    /// The elements labelled exactly `label` that are on screen now (see [`labelled`]).
    pub fn find(&self, label: &str) -> Vec<ElementHandle> {
        let label = label.to_owned();
        labelled(&self.app, move |l| l == label)
    }

    pub fn shows(&self, label: &str) -> bool {
        !self.find(label).is_empty()
    }

    /// Every accessible label on screen (for failure messages).
    pub fn labels(&self) -> Vec<String> {
        i_slint_backend_testing::ElementQuery::from_root(&self.app)
            .match_descendants()
            .find_all()
            .into_iter()
            .filter_map(|e| e.accessible_label().map(|l| unjoined(&l)))
            .filter(|l| !l.is_empty())
            .collect()
    }

    /// Clicks the one element labelled `label`, then waits for whatever it set going (the
    /// reader, the gateway, the store) to answer.
    pub fn press(&self, label: &str) {
        self.touch(label);
        self.settle();
    }

    /// Clicks the one element labelled `label` with a real pointer press and release, and
    /// takes in only what has already arrived: never waits.
    pub fn touch(&self, label: &str) {
        // A patient reads a consent or prescription question (or "call staff?") before answering
        // it: the clock
        // moves past the flow's dead time after the screen changed (consent_dead_time_ms).
        if matches!(
            self.screen(),
            ScreenKind::ConsentChoice
                | ScreenKind::ConsentItem
                | ScreenKind::HighCostLimit
                | ScreenKind::Prescription
                | ScreenKind::MedicalAid
                | ScreenKind::ChooseDepartment
                | ScreenKind::ConfirmEnd
        ) {
            self.clock
                .set(self.clock.get() + chrono::TimeDelta::milliseconds(1_000));
        }
        let found = self.find(label);
        assert_eq!(
            found.len(),
            1,
            "expected one \"{label}\" on {:?}; labels: {:?}",
            self.screen(),
            self.labels()
        );
        found[0].mock_single_click(PointerEventButton::Left);
        self.rt.borrow_mut().drain();
    }

    /// Waits for the reader, gateway and store to answer everything asked of them.
    pub fn settle(&self) {
        assert!(
            self.rt.borrow_mut().settle(WORKERS),
            "the workers did not answer within {WORKERS:?} (screen {:?})",
            self.screen()
        );
    }

    /// Puts a simulated thing on the reader from the demo panel, and lets the kiosk read it.
    pub fn tap(&self, what: &str) {
        self.rt.borrow_mut().demo_tap(what);
        // The reader thread answers with what is on it, then "card present".
        for _ in 0..2 {
            assert!(
                self.rt.borrow_mut().wait_for_message(WORKERS),
                "no tap came"
            );
        }
        self.settle();
    }

    pub fn remove(&self) {
        self.rt.borrow_mut().demo_remove();
        for _ in 0..2 {
            assert!(
                self.rt.borrow_mut().wait_for_message(WORKERS),
                "no removal came"
            );
        }
        self.settle();
    }

    /// Types a PIN on the pad and presses OK, by the keys' labels.
    pub fn type_pin(&self, pin: &str, ok: &str) {
        for digit in pin.chars() {
            self.touch(&digit.to_string());
        }
        self.press(ok);
    }

    /// Moves the clock on and lets deadlines fall due.
    pub fn advance(&self, seconds: i64) {
        self.clock
            .set(self.clock.get() + chrono::TimeDelta::seconds(seconds));
        self.rt.borrow_mut().tick();
        self.settle();
    }

    /// Opens the language chooser with the top bar's "Language" button and chooses the
    /// language named `own_name` (in its own script, e.g. "日本語").
    /// A screen change (a card arriving while the chooser is open) closes the chooser, as it
    /// should: then the button opens it again.
    pub fn choose_language(&self, own_name: &str) {
        for _ in 0..3 {
            self.touch("Language");
            let name = own_name.to_owned();
            if labelled(&self.app, move |l| l == name).len() == 1 {
                self.press(own_name);
                return;
            }
        }
        panic!("the language chooser did not stay open to choose {own_name}");
    }

    pub fn to_english(&self) {
        self.choose_language("English");
        assert_eq!(self.app.global::<Kiosk>().get_language(), "en");
    }
}
