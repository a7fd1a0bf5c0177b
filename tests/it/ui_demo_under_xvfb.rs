//! `uketsuke demo` as a person meets it: the real binary in a real X window (Xvfb) on a
//! 1366x768 laptop screen, where the 1680x800 demo (kiosk + panel) must shrink to fit, clicked
//! with the real mouse (xdotool) through the demo panel and the kiosk screen, to a stored
//! check-in. Where to click comes from the same views laid out headlessly at the same logical
//! size, times the scale the demo chose.
//! With CI=true a missing Xvfb or xdotool fails the test; elsewhere it is skipped with a note.

use crate::processes;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use processes::{Killed, have};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use slint::ComponentHandle;
use uketsuke::domain::{Outcome, VerificationMethod};
use uketsuke::gateway::sim::Persona;
use uketsuke::store::Store;
use uketsuke::ui::catalogue::every_screen;
use uketsuke::ui::render::Headless;
use uketsuke::ui::{Kiosk, Language};

const KIOSK: (u32, u32) = (1280, 800);
/// A small laptop's screen: 1680x800 does not fit it.
const MONITOR: (u32, u32) = (1366, 768);

/// Starts Xvfb on a display it chooses itself (`-displayfd 1`: the server takes the first free
/// number, clearing lock files left by dead servers, and prints it once it listens), so stale
/// sockets from earlier killed runs in `/tmp/.X11-unix` can never exhaust a fixed range.
fn start_xvfb() -> (Killed, String) {
    let mut child = Command::new("Xvfb")
        .args([
            "-displayfd",
            "1",
            "-screen",
            "0",
            &format!("{}x{}x24", MONITOR.0, MONITOR.1),
            "-nolisten",
            "tcp",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start Xvfb");
    let stdout = child.stdout.take().expect("Xvfb's stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = tx.send(line);
    });
    let child = Killed(child);
    let line = rx
        .recv_timeout(Duration::from_secs(10))
        .expect("Xvfb did not say its display within 10 s");
    let display: u32 = line
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("Xvfb printed {line:?}, not a display number"));
    (child, format!(":{display}"))
}

/// Centre of the element labelled `label` when the views show `sample` in Japanese at the demo
/// window's size.
fn centre(twin: &mut Headless, sample: &str, label: &str) -> (i32, i32) {
    let sample = every_screen()
        .into_iter()
        .find(|s| s.name == sample)
        .unwrap_or_else(|| panic!("no sample {sample}"));
    twin.show(&sample, Language::Japanese);
    twin.render();
    let found = {
        let label = label.to_owned();
        crate::ui::labelled(&twin.app, move |l| l == label)
    };
    assert_eq!(found.len(), 1, "one \"{label}\" on {}", sample.name);
    let (p, s) = (found[0].absolute_position(), found[0].size());
    ((p.x + s.width / 2.0) as i32, (p.y + s.height / 2.0) as i32)
}

/// Follows the demo's log of screens.
struct Screens {
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
    /// The demo's line saying how its window fits the monitor, once it came.
    fit: Option<String>,
}

impl Screens {
    fn wait_for(&mut self, screen: &str) {
        let end = Instant::now() + Duration::from_secs(30);
        loop {
            if self.seen.last().is_some_and(|s| s == screen) {
                return;
            }
            let left = end.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => self.note(line),
                Err(_) => panic!(
                    "the demo never showed {screen}; screens so far: {:?}",
                    self.seen
                ),
            }
        }
    }

    /// The demo's "window WxH at scale S on a monitor of MxN": (W, H, S, M, N).
    fn wait_for_fit(&mut self) -> (u32, u32, f32, u32, u32) {
        let end = Instant::now() + Duration::from_secs(30);
        let line = loop {
            if let Some(line) = self.fit.take() {
                break line;
            }
            let left = end.saturating_duration_since(Instant::now());
            let line = self.lines.recv_timeout(left).unwrap_or_else(|_| {
                panic!(
                    "the demo never said how it fits the monitor: {:?}",
                    self.seen
                )
            });
            self.note(line);
        };
        let rest = line.split("uketsuke demo: window ").nth(1).unwrap();
        let n: Vec<&str> = rest
            .split(|c: char| !(c.is_ascii_digit() || c == '.'))
            .filter(|w| !w.is_empty())
            .collect();
        let [w, h, s, m, n] = n[..] else {
            panic!("unexpected: {line}")
        };
        (
            w.parse().unwrap(),
            h.parse().unwrap(),
            s.parse().unwrap(),
            m.parse().unwrap(),
            n.parse().unwrap(),
        )
    }

    fn note(&mut self, line: String) {
        if line.contains("uketsuke demo: window ") {
            self.fit = Some(line);
        } else if let Some(rest) = line.split("screen=").nth(1) {
            let name = rest
                .split_whitespace()
                .next()
                .unwrap_or("")
                .trim_matches('"');
            self.seen.push(name.to_owned());
        } else if line.contains("uketsuke:") {
            self.seen.push(line);
        }
    }
}

/// The window's position and size on the screen, from `xdotool getwindowgeometry`.
fn geometry(display: &str, window: &str) -> (i32, i32, u32, u32) {
    let out = xdotool(display, &["getwindowgeometry", window]);
    let field = |name: &str| {
        let line = out.lines().find(|l| l.contains(name)).unwrap_or_else(|| {
            panic!("no {name} in {out}");
        });
        let numbers: Vec<i64> = line
            .split(|c: char| !(c.is_ascii_digit() || c == '-'))
            .filter_map(|w| w.parse().ok())
            .collect();
        (numbers[0], numbers[1])
    };
    let (x, y) = field("Position:");
    let (w, h) = field("Geometry:");
    (x as i32, y as i32, w as u32, h as u32)
}

fn xdotool(display: &str, args: &[&str]) -> String {
    let out = Command::new("xdotool")
        .args(args)
        .env("DISPLAY", display)
        .output()
        .expect("run xdotool");
    assert!(
        out.status.success(),
        "xdotool {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn click(display: &str, window: &str, (x, y): (i32, i32)) {
    let (x, y) = (x.to_string(), y.to_string());
    xdotool(
        display,
        &["mousemove", "--window", window, &x, &y, "click", "1"],
    );
    // A person's pace; winit needs the motion before the click.
    std::thread::sleep(Duration::from_millis(150));
}

#[test]
fn demo_window_reaches_welcome_and_the_panel_completes_a_check_in() {
    if !(have("Xvfb") && have("xdotool")) {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI=true but Xvfb or xdotool is missing (scripts/deps test installs them)"
        );
        eprintln!("skipped: Xvfb or xdotool missing (install with scripts/deps test)");
        return;
    }
    let (_xvfb, display) = start_xvfb();
    let data = tempfile::tempdir().unwrap();
    let mut demo = Command::new(env!("CARGO_BIN_EXE_uketsuke"))
        .args([
            "demo",
            "--size",
            &format!("{}x{}", KIOSK.0, KIOSK.1),
            "--data-dir",
        ])
        .arg(data.path())
        .env("DISPLAY", &display)
        .env_remove("WAYLAND_DISPLAY")
        .env("UKETSUKE_LOG", "uketsuke::ui=info")
        .env("NO_COLOR", "1")
        .stderr(Stdio::piped())
        .spawn()
        .expect("start uketsuke demo");
    let stderr = demo.stderr.take().unwrap();
    let _demo = Killed(demo);
    let (tx, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            eprintln!("demo: {line}");
            let _ = tx.send(line);
        }
    });
    let mut screens = Screens {
        lines,
        seen: Vec::new(),
        fit: None,
    };
    screens.wait_for("welcome");

    let window = xdotool(
        &display,
        &["search", "--sync", "--onlyvisible", "--name", "^uketsuke$"],
    )
    .lines()
    .next()
    .expect("the demo's window")
    .to_owned();
    let width = KIOSK.0 + uketsuke::cli::demo::DEMO_PANEL_WIDTH;
    let (fit_w, fit_h, scale, monitor_w, monitor_h) = screens.wait_for_fit();
    println!(
        "demo window {fit_w}x{fit_h} at scale {scale} on a monitor of {monitor_w}x{monitor_h}"
    );
    assert_eq!((monitor_w, monitor_h), MONITOR, "the monitor winit reports");
    assert!(scale < 1.0, "1680x800 does not fit 1366x768 unscaled");
    // The kiosk keeps its proportions: one scale for both directions.
    assert_eq!(
        (fit_w, fit_h),
        (
            (width as f32 * scale).round() as u32,
            (KIOSK.1 as f32 * scale).round() as u32
        )
    );
    // X applies the new size a moment later.
    let start = Instant::now();
    let (x, y, w, h) = loop {
        let g = geometry(&display, &window);
        if (g.2, g.3) == (fit_w, fit_h) || start.elapsed() > Duration::from_secs(10) {
            break g;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!((w, h), (fit_w, fit_h), "the window's size on the screen");
    assert!(
        x >= 0 && y >= 0 && x as u32 + w <= MONITOR.0 && y as u32 + h <= MONITOR.1,
        "the window {w}x{h} at {x},{y} is inside the {}x{} screen",
        MONITOR.0,
        MONITOR.1
    );
    // Where to click: the logical layout, times the scale.
    let at = |(x, y): (i32, i32)| {
        (
            (x as f32 * scale).round() as i32,
            (y as f32 * scale).round() as i32,
        )
    };

    // The same views at the same size tell where each button is.
    let mut twin = Headless::new(width, KIOSK.1).unwrap();
    let kiosk = twin.app.global::<Kiosk>();
    kiosk.set_demo_panel(true);
    let names: Vec<slint::SharedString> = Persona::ALL.iter().map(|p| p.name().into()).collect();
    kiosk.set_personas(std::rc::Rc::new(slint::VecModel::from(names)).into());

    click(
        &display,
        &window,
        at(centre(&mut twin, "welcome", "Tap a My Number card")),
    );
    screens.wait_for("pin_entry");
    for key in ["1", "2", "3", "4", "OK"] {
        click(&display, &window, at(centre(&mut twin, "pin-card", key)));
    }
    screens.wait_for("consent_choice");
    // A person reads the question first (the flow ignores taps for 600 ms after a change).
    std::thread::sleep(Duration::from_secs(1));
    click(
        &display,
        &window,
        at(centre(&mut twin, "consent-choice", "すべてに同意する")),
    );
    screens.wait_for("high_cost_limit");
    // A person reads the question first (the flow ignores taps for 600 ms after a change).
    std::thread::sleep(Duration::from_secs(1));
    click(
        &display,
        &window,
        at(centre(&mut twin, "high-cost-limit", "同意する")),
    );
    screens.wait_for("prescription");
    // A person reads the question first (the flow ignores taps for 600 ms after a change).
    std::thread::sleep(Duration::from_secs(1));
    click(
        &display,
        &window,
        at(centre(&mut twin, "prescription", "電子処方箋")),
    );
    // The demo clinic lists several departments (as the `department` sample): the question.
    screens.wait_for("choose_department");
    std::thread::sleep(Duration::from_secs(1));
    click(
        &display,
        &window,
        at(centre(&mut twin, "department", "内科")),
    );
    screens.wait_for("done");

    let store = Store::open(&data.path().join("uketsuke.db")).unwrap();
    let today = uketsuke::dates::now().with_timezone(&uketsuke::rules::JST);
    let check_ins = store
        .check_ins_for_month(
            chrono::Datelike::year(&today),
            chrono::Datelike::month(&today) as u8,
        )
        .unwrap();
    assert_eq!(check_ins.len(), 1, "{check_ins:?}");
    assert_eq!(check_ins[0].record.outcome, Outcome::Completed);
    assert_eq!(
        check_ins[0].record.verification,
        Some(VerificationMethod::CardViaReader)
    );
    assert_eq!(check_ins[0].record.department.as_deref(), Some("01"));
    click(&display, &window, at(centre(&mut twin, "done", "終わる")));
    screens.wait_for("welcome");
    println!("screens: {:?}", screens.seen);
}
