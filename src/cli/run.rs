//! `uketsuke run`: the kiosk full-screen on the device (DRM/KMS, feature `device`).

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::time::Duration;

use anyhow::{Context, Result};

use super::compose::{build_kiosk_gateway, build_reader, load_facility, load_rules};
use super::now;
use crate::console::Console;
use crate::flow::{CheckInFlow, Screen};
use crate::reader::KioskReader;
use crate::reader::pcsc::PcscReader;
use crate::service::{Liveness, Notifier};
use crate::store::Store;
use crate::ui::AppWindow;
use crate::ui::present::{OutOfOrder, show_out_of_order};
use crate::ui::runtime::Runtime;
use slint::ComponentHandle as _;

/// The options of `uketsuke run`.
#[derive(Debug, clap::Args)]
pub struct RunOptions {
    /// The SQLite database file (created if missing).
    #[arg(long, default_value = "/var/lib/uketsuke/uketsuke.db")]
    pub db: PathBuf,
    /// The reader: `pcsc`, `pcsc:NAME`, or `sim:PROFILE` for a bench test (feature `sim`).
    /// Default: `pcsc:` the facility file's `reader_name`, or the first reader.
    #[arg(long)]
    pub reader: Option<String>,
    /// The eligibility gateway: `none` (the desk confirms eligibility), or `sim` / `sim:PERSONA`
    /// in builds with the simulators (feature `sim`, never on a kiosk image). Default: the
    /// facility file's `gateway`, or `none`.
    #[arg(long)]
    pub gateway: Option<String>,
    /// National rules JSON (default: the rules built in).
    #[arg(long)]
    pub rules: Option<PathBuf>,
    /// The facility configuration `uketsuke provision` wrote (default: facility.json beside the
    /// database). Until it exists the kiosk shows "not set up yet", and starts by itself once
    /// it appears.
    #[arg(long)]
    pub facility: Option<PathBuf>,
}

impl RunOptions {
    /// The facility file this kiosk runs with.
    fn facility_file(&self) -> PathBuf {
        self.facility.clone().unwrap_or_else(|| {
            self.db
                .parent()
                .unwrap_or(Path::new("."))
                .join(super::provision::FACILITY_FILE)
        })
    }
}

/// `uketsuke run`: the kiosk full-screen on the device, as systemd's `uketsuke.service`.
///
/// Boot order: the display first (so every later failure has a screen to say it on), then the
/// kiosk's parts ([`start_kiosk`]), then the service's duties: `READY=1` once the first frame
/// is on the display, a check every `WatchdogSec/2` that feeds the watchdog only while every
/// registered part runs, `STATUS=` with what the kiosk is doing, and SIGTERM ending the event
/// loop so that [`Kiosk::stop`] runs. A start-up failure after the display is up shows the
/// out-of-order screen with a short code (the reason goes to the journal and `STATUS=`),
/// instead of a black screen.
pub fn run(options: &RunOptions) -> Result<()> {
    let notifier = Rc::new(Notifier::from_env());
    notifier.status("starting");
    let window = open_device_window()?;
    let mut liveness = Liveness::new();
    let facility_file = options.facility_file();
    let set_up = facility_file.is_file();
    let kiosk = match set_up.then(|| start_kiosk(options, &facility_file, &window)) {
        None => {
            tracing::warn!(file = %facility_file.display(), "not set up yet");
            notifier.status("not set up (S1): run uketsuke provision");
            crate::ui::present::show_not_set_up(&window);
            None
        }
        Some(Ok(kiosk)) => {
            kiosk.watch(&mut liveness);
            Some(kiosk)
        }
        Some(Err(e)) => {
            let detail = format!("{e:#}");
            eprintln!("uketsuke: cannot start (S2 on the screen): {detail}");
            notifier.status(&format!("out of order (S2): {detail}"));
            show_out_of_order(&window, OutOfOrder::CannotStart);
            None
        }
    };
    let runtime = kiosk.as_ref().map(|k| Rc::downgrade(&k.runtime));
    // The backend draws after the timers of a loop round (calloop_backend.rs in Slint's
    // linuxkms backend): a zero timer set from a zero timer fires after the first frame.
    let ready = notifier.clone();
    slint::Timer::single_shot(Duration::ZERO, move || {
        slint::Timer::single_shot(Duration::ZERO, move || ready.ready());
    });
    let check = slint::Timer::default();
    let watchdog = notifier.clone();
    let display = window.as_weak();
    let halted = std::cell::Cell::new(false);
    let provisioned_since = Rc::new(std::cell::Cell::new(false));
    let restart = provisioned_since.clone();
    check.start(
        slint::TimerMode::Repeated,
        notifier.check_every(),
        move || {
            if !set_up && facility_file.is_file() {
                // Provisioned while waiting: end, and systemd (Restart=always) starts the
                // kiosk again with its configuration.
                tracing::info!("provisioned: restarting to start the kiosk");
                restart.set(true);
                let _ = slint::quit_event_loop();
                return;
            }
            if halted.get() {
                // No more pings: systemd restarts the kiosk after WatchdogSec.
                return;
            }
            if let Some(part) = liveness.first_stopped() {
                halted.set(true);
                let detail = format!("part of the kiosk stopped unexpectedly: {part}");
                tracing::error!(
                    part,
                    "a part of the kiosk stopped; the watchdog will restart it"
                );
                watchdog.status(&format!("out of order (S3): {detail}"));
                if let Some(rt) = runtime.as_ref().and_then(std::rc::Weak::upgrade) {
                    rt.borrow_mut().halt();
                }
                if let Some(window) = display.upgrade() {
                    show_out_of_order(&window, OutOfOrder::PartStopped);
                }
                return;
            }
            if let Some(rt) = runtime.as_ref().and_then(std::rc::Weak::upgrade) {
                watchdog.status(&status_line(&rt.borrow().view().screen));
            }
            watchdog.ping();
        },
    );
    crate::service::on_terminate(|| {
        let _ = slint::invoke_from_event_loop(|| {
            let _ = slint::quit_event_loop();
        });
    })
    .context("cannot handle SIGTERM")?;
    window.run().context("the kiosk display failed")?;
    notifier.stopping(if provisioned_since.get() {
        "restarting with the new configuration"
    } else {
        "stopping"
    });
    drop(check);
    if let Some(kiosk) = kiosk {
        kiosk.stop();
    }
    Ok(())
}

/// What `systemctl status uketsuke` says the kiosk is doing.
fn status_line(screen: &Screen) -> String {
    match screen {
        Screen::Welcome => "ready".into(),
        Screen::OutOfService { trouble } => {
            format!(
                "out of service ({}): {}",
                crate::reader::trouble_code(*trouble),
                crate::reader::trouble_text(*trouble)
            )
        }
        Screen::Paused { .. } => "paused: closed by staff".into(),
        _ => "in use: a check-in is under way".into(),
    }
}

/// The running kiosk. Its fields are in shutdown order: the patient side first (each worker
/// finishes what it holds, the store worker its transaction; the reader thread releases the
/// card and the PC/SC context), then the console, then the last handle to the store, whose
/// thread closes the database.
struct Kiosk {
    runtime: Rc<RefCell<Runtime>>,
    console: Console,
    store: Store,
    /// The ORCA delivery thread (facility file `orca`), stopped when dropped.
    orca: Option<super::deliver::BesideKiosk>,
    /// The central delivery thread (facility file `central`), stopped when dropped.
    central: Option<super::deliver::BesideKiosk>,
}

impl Kiosk {
    /// Registers every long-lived part with the service's liveness checks.
    fn watch(&self, liveness: &mut Liveness) {
        for name in self.runtime.borrow().worker_names() {
            let runtime = Rc::downgrade(&self.runtime);
            liveness.watch(name, move || {
                runtime
                    .upgrade()
                    .is_some_and(|rt| rt.borrow().worker_running(name))
            });
        }
        let store = self.store.clone();
        liveness.watch("store", move || store.running());
        let console = self.console.running_probe();
        liveness.watch("console", console);
    }

    fn stop(self) {
        let Kiosk {
            runtime,
            console,
            store,
            orca,
            central,
        } = self;
        Runtime::shutdown(runtime);
        drop(console);
        drop(orca);
        drop(central);
        store.close();
    }
}

/// Builds the kiosk in dependency order: settings, the store, the adapters, the console, the
/// flow and its runtime.
fn start_kiosk(options: &RunOptions, facility_file: &Path, window: &AppWindow) -> Result<Kiosk> {
    // 1. Settings: the national rules and the facility's configuration.
    let rules = load_rules(options.rules.as_deref())?;
    let mut facility = load_facility(Some(facility_file))?;
    // 2. The store: the database on the data partition.
    if let Some(dir) = options.db.parent() {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the data folder {}", dir.display()))?;
    }
    let store = Store::open(&options.db)?;
    // 3. The eligibility gateway and the reader. The reader may be missing at start: the kiosk
    //    shows "out of service" and recovers when it appears, so only the spec is checked here.
    let gateway_spec = match &options.gateway {
        Some(spec) => spec.clone(),
        None if !facility.gateway.is_empty() => facility.gateway.clone(),
        None => "none".to_owned(),
    };
    let gateway = build_kiosk_gateway(&gateway_spec, true, &mut facility)?;
    let reader_spec = match &options.reader {
        Some(spec) => spec.clone(),
        None if !facility.reader_name.is_empty() => format!("pcsc:{}", facility.reader_name),
        None => "pcsc".to_owned(),
    };
    let reader = match reader_spec.split_once(':') {
        None if reader_spec == "pcsc" => KioskReader::Pcsc(Box::new(PcscReader::start(None)?)),
        Some(("pcsc", name)) if !name.is_empty() => {
            KioskReader::Pcsc(Box::new(PcscReader::start(Some(name))?))
        }
        _ => build_reader(&reader_spec)?,
    };
    // 4. The staff console beside the kiosk.
    let mut console_settings = facility.console.clone();
    console_settings.facility_name = facility.facility.name.clone();
    console_settings.waiting_place = facility.waiting_place;
    // The eligibility terminal the desk may ask (`oqs:DIR`), and whether ORCA is delivered to.
    console_settings.eligibility_terminal = super::compose::terminal_folder(&gateway_spec);
    console_settings.medical_institution_code = facility.facility.code.clone();
    console_settings.orca_configured = facility.orca.is_some();
    // A self-signed certificate, when the console serves the LAN, lives on the data partition.
    console_settings.data_dir = options.db.parent().map(Path::to_path_buf);
    let console = Console::start(store.clone(), rules.clone(), &console_settings)?;
    eprintln!("uketsuke: {}", console.announcement());
    // 5. ORCA delivery beside the kiosk, when the facility file names an ORCA.
    let orca = super::deliver::BesideKiosk::start(&options.db, facility.orca.clone())?;
    // 5b. Delivery to the hospital's central database, when the facility file names one: the
    // kiosk never waits on it.
    let central = super::deliver::BesideKiosk::start_central(
        &options.db,
        facility.central.clone(),
        &facility.kiosk_name,
    )?;
    // 6. The flow and the runtime that carries its commands to the adapters. Where ORCA gives
    // the departments, the list cached in the store (never ORCA itself: the kiosk starts while
    // ORCA is down).
    let facility = crate::orca::department_list::with_cached_departments(facility, &store);
    let voice = facility.voice.clone();
    let flow = CheckInFlow::new(rules, facility);
    let adapters = crate::ui::runtime::Adapters {
        reader,
        gateway,
        store: store.clone(),
    };
    let runtime = crate::ui::runtime::start_live(window, flow, adapters, Rc::new(now))?;
    // 7. Voice guidance (no sound card: silent, logged; `doctor` says so).
    runtime
        .borrow_mut()
        .set_voice(crate::voice::Voice::open(&voice));
    Ok(Kiosk {
        runtime,
        console,
        store,
        orca,
        central,
    })
}

/// The device's display: DRM/KMS with the software renderer (feature `device`).
#[cfg(feature = "device")]
fn open_device_window() -> Result<crate::ui::AppWindow> {
    slint::BackendSelector::new()
        .backend_name("linuxkms".into())
        .renderer_name("software".into())
        .select()
        .context(
            "cannot open the display through DRM/KMS: is there a /dev/dri/card* this user may \
             open (group video) and /dev/input/event* (group input)?",
        )?;
    crate::ui::AppWindow::new().context("cannot build the kiosk screen")
}

#[cfg(not(feature = "device"))]
fn open_device_window() -> Result<crate::ui::AppWindow> {
    anyhow::bail!(
        "this build has no DRM/KMS display support: build with `cargo build --release \
         --features device` (needs libudev-dev libinput-dev libxkbcommon-dev), or try the \
         kiosk in a window with `uketsuke demo`"
    )
}
