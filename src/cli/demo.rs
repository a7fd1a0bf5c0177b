//! `uketsuke demo`: the kiosk in a desktop window beside a panel of simulated cards and phones,
//! with the staff console on this machine; or, with `--terminal`, two printed check-ins.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use super::compose::{build_gateway, build_reader};
use super::now;
use crate::console::Console;
use crate::flow::CheckInFlow;
use crate::gateway::sim::{Persona, SimGateway};
use crate::headless::{Driver, PatientScript};
use crate::reader::KioskReader;
use crate::reader::sim::SimReader;
use crate::rules::{FacilityConfig, Rules};
use crate::staff::{NewStaffAccount, Role};
use crate::store::Store;

/// The demo clinic: the defaults, with several departments (as the screenshots' clinic), so the
/// department question shows.
fn demo_facility() -> FacilityConfig {
    FacilityConfig {
        departments: crate::ui::catalogue::sample_departments()
            .into_iter()
            .take(crate::ui::catalogue::DEMO_DEPARTMENTS)
            .collect(),
        ..FacilityConfig::default()
    }
}

/// `uketsuke demo --terminal`: two demonstration check-ins printed in the terminal, for a
/// machine with no display.
pub fn demo_terminal(data_dir: &Path) -> Result<()> {
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("cannot create demo folder {}", data_dir.display()))?;
    let db = data_dir.join("uketsuke.db");
    let store = Store::open(&db)?;
    let visit = now();
    let demos = [
        (
            "My Number card, PIN, consent to all",
            "card",
            r#"{"steps": ["tap", {"pin": "1234"}, {"consent": "all"},
                {"high_cost_limit": true}, {"prescription": "electronic"}, {"department": "01"}]}"#,
        ),
        (
            "A phone this kiosk cannot read: Mynaportal screen, staff confirm",
            "iphone",
            r#"{"steps": ["tap"]}"#,
        ),
    ];
    for (title, profile, script) in demos {
        let script = PatientScript::parse(script).map_err(|e| anyhow::anyhow!("demo: {e}"))?;
        let flow = CheckInFlow::new(Rules::embedded(), demo_facility());
        let mut driver = Driver::new(
            flow,
            visit,
            build_reader(&format!("sim:{profile}"))?,
            build_gateway("sim")?,
            store.clone(),
        );
        let committed = driver
            .run(&script)
            .map_err(|e| anyhow::anyhow!("demo: {e}"))?;
        println!("== {title}");
        for screen in &driver.screens {
            println!("   screen: {}", crate::headless::screen_name(screen));
        }
        let stored = store
            .check_in(committed.check_in_id)?
            .context("the committed check-in cannot be read back")?;
        println!("{}", serde_json::to_string_pretty(&stored)?);
    }
    let month = format!(
        "{:04}-{:02}",
        chrono::Datelike::year(&visit),
        chrono::Datelike::month(&visit)
    );
    let (year, mon) = crate::report::parse_month(&month).context("the demo's month")?;
    let report = store.month_report(&month, year, mon, &crate::rules::Rules::embedded())?;
    println!("{}", report.table());
    println!("Database: {}", db.display());
    Ok(())
}

/// The options of `uketsuke demo`.
#[derive(Debug, clap::Args)]
pub struct DemoOptions {
    /// Folder for the demo database.
    #[arg(long, default_value = "uketsuke-demo")]
    pub data_dir: PathBuf,
    /// The kiosk screen's size, WIDTHxHEIGHT: 1080x1920, 1920x1080 or 1280x800. The demo panel
    /// is added to its right.
    #[arg(long, default_value = "1280x800")]
    pub size: String,
    /// The simulated gateway's first answer (the panel changes it): a persona name.
    #[arg(long, default_value = "valid-3")]
    pub gateway: String,
    /// No window: run two demonstration check-ins and print them.
    #[arg(long)]
    pub terminal: bool,
    /// Where the demo's staff console listens (this machine only by default).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub console: String,
}

/// Width of the demo panel beside the kiosk screen, in logical pixels (as in ui/app.slint).
pub const DEMO_PANEL_WIDTH: u32 = 400;

/// `WIDTHxHEIGHT`, one of the supported resolutions.
pub fn parse_size(size: &str) -> Result<(u32, u32)> {
    let parsed = size
        .split_once('x')
        .and_then(|(w, h)| Some((w.parse().ok()?, h.parse().ok()?)));
    match parsed {
        Some(wh) if crate::ui::render::RESOLUTIONS.contains(&wh) => Ok(wh),
        _ => bail!("--size {size}: use 1080x1920, 1920x1080 or 1280x800"),
    }
}

/// Says why no window can be opened, naming what is missing; `None` if a display is there.
fn missing_display() -> Option<String> {
    let has = |var: &str| std::env::var_os(var).is_some_and(|v| !v.is_empty());
    if has("DISPLAY") || has("WAYLAND_DISPLAY") {
        return None;
    }
    Some(
        "no display: neither DISPLAY nor WAYLAND_DISPLAY is set. Run the demo from a desktop \
         session, under Xvfb (xvfb-run -a uketsuke demo), or without a window with \
         `uketsuke demo --terminal`"
            .into(),
    )
}

/// `uketsuke demo`: the kiosk in a desktop window with the simulated reader panel.
pub fn demo(options: &DemoOptions) -> Result<()> {
    if options.terminal {
        return demo_terminal(&options.data_dir);
    }
    let (width, height) = parse_size(&options.size)?;
    let persona =
        Persona::parse(&options.gateway).map_err(|e| anyhow::anyhow!("--gateway: {e}"))?;
    if let Some(why) = missing_display() {
        bail!("{why}");
    }
    std::fs::create_dir_all(&options.data_dir)
        .with_context(|| format!("cannot create demo folder {}", options.data_dir.display()))?;
    let db = options.data_dir.join("uketsuke.db");
    let store = Store::open(&db)?;
    slint::BackendSelector::new()
        .renderer_name("software".into())
        .select()
        .context("cannot open a window (is a display there?)")?;
    let window = crate::ui::AppWindow::new().context("cannot open the kiosk window")?;
    use slint::ComponentHandle as _;
    window.window().set_size(slint::LogicalSize::new(
        (width + DEMO_PANEL_WIDTH) as f32,
        height as f32,
    ));
    let kiosk = window.global::<crate::ui::Kiosk>();
    kiosk.set_demo_panel(true);
    let names: Vec<slint::SharedString> = Persona::ALL.iter().map(|p| p.name().into()).collect();
    kiosk.set_personas(std::rc::Rc::new(slint::VecModel::from(names)).into());
    let console = demo_console(&store, &options.console);
    let flow = CheckInFlow::new(Rules::embedded(), demo_facility());
    let adapters = crate::ui::runtime::Adapters {
        reader: KioskReader::Sim(SimReader::new()),
        gateway: crate::gateway::KioskGateway::Sim(
            SimGateway::new(persona).with_real_latency(true),
        ),
        store,
    };
    let runtime = crate::ui::runtime::start_live(&window, flow, adapters, std::rc::Rc::new(now))?;
    runtime.borrow_mut().demo_persona(persona);
    // Voice guidance as the facility file's defaults say (silent without a sound card).
    runtime
        .borrow_mut()
        .set_voice(crate::voice::Voice::open(&Default::default()));
    eprintln!(
        "uketsuke demo: the kiosk at {width}x{height} with the simulated reader panel; data in {}",
        db.display()
    );
    let _fitting = fit_to_monitor(&window, (width + DEMO_PANEL_WIDTH, height));
    window.run().context("the kiosk window failed")?;
    drop(console);
    Ok(())
}

/// Room the desktop keeps around a window (title bar, task bar, borders), in physical pixels:
/// horizontally and vertically.
pub const MONITOR_MARGIN: (u32, u32) = (48, 96);

/// The scale at which a window of `window` logical pixels fits inside a monitor of `monitor`
/// physical pixels with [`MONITOR_MARGIN`] to spare: at most 1 (never enlarged), rounded down
/// to hundredths, the same for both directions (the kiosk keeps its proportions), and at least
/// 0.25 (a monitor smaller than that shows part of the window). E.g. 1680x800 on 1366x768:
/// 0.78, a 1310x624 window.
pub fn fit_scale(window: (u32, u32), monitor: (u32, u32)) -> f32 {
    let room = |m: u32, margin: u32, w: u32| m.saturating_sub(margin) as f32 / w.max(1) as f32;
    let fits = room(monitor.0, MONITOR_MARGIN.0, window.0)
        .min(room(monitor.1, MONITOR_MARGIN.1, window.1))
        .min(1.0);
    ((fits * 100.0).floor() / 100.0).max(0.25)
}

/// A window of `logical` pixels at `scale`, in physical pixels.
pub fn scaled(logical: (u32, u32), scale: f32) -> (u32, u32) {
    let px = |n: u32| (n as f32 * scale).round() as u32;
    (px(logical.0), px(logical.1))
}

/// Shrinks the demo window to fit the monitor it opens on, once winit has made the window and
/// can say which monitor that is: Slint's scale factor is set first, then the window's size in
/// physical pixels (a logical size would keep 1680x800 whatever the scale), and logged as
/// "window WxH at scale S on a monitor of MxN". A window that fits already is left as it is.
/// The returned timer must live until the event loop runs.
#[cfg(feature = "window")]
fn fit_to_monitor(window: &crate::ui::AppWindow, logical: (u32, u32)) -> std::rc::Rc<slint::Timer> {
    use slint::ComponentHandle as _;
    use slint::winit_030::WinitWindowAccessor as _;
    let timer = std::rc::Rc::new(slint::Timer::default());
    let weak = window.as_weak();
    let tries = std::cell::Cell::new(0u32);
    let this = std::rc::Rc::downgrade(&timer);
    let stop = move || {
        if let Some(timer) = this.upgrade() {
            timer.stop();
        }
    };
    timer.start(
        slint::TimerMode::Repeated,
        std::time::Duration::from_millis(20),
        move || {
            let Some(window) = weak.upgrade() else {
                return stop();
            };
            let monitor = window
                .window()
                .with_winit_window(|w| w.current_monitor().map(|m| m.size()))
                .flatten();
            tries.set(tries.get() + 1);
            let Some(monitor) = monitor else {
                // 5 s without a monitor: leave the window as it is.
                if tries.get() >= 250 {
                    eprintln!(
                        "uketsuke demo: the desktop does not say which monitor the window is on; \
                         the window stays {}x{}",
                        logical.0, logical.1
                    );
                    stop();
                }
                return;
            };
            stop();
            let monitor = (monitor.width, monitor.height);
            let scale = fit_scale(logical, monitor);
            let (w, h) = scaled(logical, scale);
            if scale < 1.0 {
                window
                    .window()
                    .dispatch_event(slint::platform::WindowEvent::ScaleFactorChanged {
                        scale_factor: scale,
                    });
                window.window().set_size(slint::PhysicalSize::new(w, h));
            }
            eprintln!(
                "uketsuke demo: window {w}x{h} at scale {scale} on a monitor of {}x{}",
                monitor.0, monitor.1
            );
        },
    );
    timer
}

/// Without winit (a device build) there is no desktop monitor to fit.
#[cfg(not(feature = "window"))]
fn fit_to_monitor(_window: &crate::ui::AppWindow, _logical: (u32, u32)) {}

/// The demo's staff console on this machine only, with a demo technician account when the
/// database has none. A console that cannot start (port taken) leaves the kiosk running.
fn demo_console(store: &Store, bind: &str) -> Option<Console> {
    let settings = crate::rules::ConsoleSettings {
        bind: bind.to_owned(),
        // Plain http://127.0.0.1: browsers keep Secure cookies for localhost, but not for
        // another name of this machine.
        secure_cookies: false,
        ..Default::default()
    };
    match store.staff_accounts() {
        Ok(accounts) if accounts.is_empty() => {
            let added = crate::password::hash(DEMO_PASSWORD)
                .map_err(anyhow::Error::from)
                .and_then(|password_hash| {
                    Ok(store.add_staff(&NewStaffAccount {
                        login: "demo".to_owned(),
                        display_name: "デモ Demo".to_owned(),
                        role: Role::Technician,
                        password_hash,
                        created_at: now(),
                        created_by: "demo".to_owned(),
                    })?)
                })
                .and_then(|_| {
                    let pin_hash = crate::password::hash(DEMO_KIOSK_PIN)?;
                    Ok(store.set_kiosk_pin("demo", &pin_hash, "demo", now())?)
                });
            if let Err(e) = added {
                eprintln!("uketsuke demo: cannot add the demo staff account: {e:#}");
            }
        }
        Ok(_) => {}
        Err(e) => eprintln!("uketsuke demo: cannot read staff accounts: {e}"),
    }
    match Console::start(store.clone(), Rules::embedded(), &settings) {
        Ok(console) => {
            eprintln!(
                "uketsuke demo: staff console on http://{}/ (login demo, password {DEMO_PASSWORD}); \
                 staff mode on the kiosk: tap the title 5 times quickly, kiosk PIN {DEMO_KIOSK_PIN}",
                console.addr()
            );
            Some(console)
        }
        Err(e) => {
            eprintln!("uketsuke demo: no staff console: {e}");
            None
        }
    }
}

/// The demo account's password (the demo database is for trying things out only).
const DEMO_PASSWORD: &str = "uketsuke-demo";
const DEMO_KIOSK_PIN: &str = "246810";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_window_shrinks_to_fit_a_small_monitor_and_never_grows() {
        let demo = (1280 + DEMO_PANEL_WIDTH, 800);
        // A 1366x768 laptop: the width decides, (1366 - 48) / 1680 = 0.784.
        assert_eq!(fit_scale(demo, (1366, 768)), 0.78);
        assert_eq!(scaled(demo, 0.78), (1310, 624));
        // A 1600x900 screen (where the panel was cut off): the width decides, 1552 / 1680.
        assert_eq!(fit_scale(demo, (1600, 900)), 0.92);
        // Room enough: as it is.
        assert_eq!(fit_scale(demo, (1920, 1080)), 1.0);
        assert_eq!(fit_scale(demo, (3840, 2160)), 1.0);
        // Portrait kiosk (1080x1920 + panel) on a 1920x1080 monitor: (1080 - 96) / 1920.
        assert_eq!(
            fit_scale((1080 + DEMO_PANEL_WIDTH, 1920), (1920, 1080)),
            0.51
        );
        // Nonsense sizes do not divide by zero or vanish.
        assert_eq!(fit_scale(demo, (0, 0)), 0.25);
        for (w, h) in [(1366, 768), (1600, 900), (1280, 1024), (1024, 768)] {
            let (sw, sh) = scaled(demo, fit_scale(demo, (w, h)));
            assert!(
                sw + MONITOR_MARGIN.0 <= w && sh + MONITOR_MARGIN.1 <= h,
                "{w}x{h}"
            );
        }
    }
}
