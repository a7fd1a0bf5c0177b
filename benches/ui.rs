//! Patient screen benchmark: prints numbers, asserts nothing about time.
//!
//! - frame render time per screen at 1080x1920 with the software renderer (p50 / p99);
//! - the frames drawn most often: a small change (the moving bar, a PIN digit, the countdown)
//!   redrawn as the device does, only where the screen changed;
//! - from the card-present event to the first frame of the next screens (reading, PIN pad);
//! - cold start: a fresh `uketsuke screenshots` process to its first frame written;
//! - peak RSS of this process after drawing every screen.
//!
//! `--quick` draws fewer frames (CI).

use std::cell::Cell;
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use uketsuke::flow::CheckInFlow;
use uketsuke::gateway::KioskGateway;
use uketsuke::gateway::sim::{Persona, SimGateway};
use uketsuke::reader::KioskReader;
use uketsuke::reader::sim::SimReader;
use uketsuke::rules::{FacilityConfig, Rules};
use uketsuke::store::Store;
use uketsuke::ui::catalogue::every_screen;
use uketsuke::ui::render::Headless;
use uketsuke::ui::runtime::{Adapters, Runtime};
use uketsuke::ui::{Kiosk, Language, ScreenKind};

use slint::ComponentHandle;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn peak_rss_mb() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    // `cargo bench` passes --bench; under `cargo test` this is the quick run, as a smoke run.
    let quick = args.iter().any(|a| a == "--quick") || !args.iter().any(|a| a == "--bench");
    let frames = if quick { 10 } else { 60 };
    let mut h = Headless::new(1080, 1920).expect("headless renderer");

    println!(
        "== frame render time at 1080x1920, software renderer, {frames} full frames per screen (ms)"
    );
    println!("{:<36} {:>8} {:>8}", "screen (ja)", "p50", "p99");
    let mut all = Vec::new();
    let mut worst = (String::new(), Duration::ZERO);
    for sample in every_screen() {
        h.show(&sample, Language::Japanese);
        h.render(); // layout and glyph caches warm
        let mut times: Vec<Duration> = (0..frames).map(|_| h.render()).collect();
        times.sort();
        let p99 = percentile(&times, 0.99);
        println!(
            "{:<36} {:>8.2} {:>8.2}",
            sample.name,
            ms(percentile(&times, 0.5)),
            ms(p99)
        );
        if p99 > worst.1 {
            worst = (sample.name.clone(), p99);
        }
        all.extend(times);
    }
    all.sort();
    println!(
        "all screens: p50 {:.2} ms, p99 {:.2} ms (target p99 <= 8 ms); slowest p99: {} {:.2} ms",
        ms(percentile(&all, 0.5)),
        ms(percentile(&all, 0.99)),
        worst.0,
        ms(worst.1)
    );

    // What the device draws most of the time: a small change on a screen already shown. Its KMS
    // backend double-buffers and the renderer redraws only the regions that changed.
    println!(
        "== a frame after a change, redrawing only what changed (double-buffered, as on the device), {frames} frames"
    );
    println!(
        "{:<44} {:>8} {:>8} {:>14}",
        "change", "p50 ms", "p99 ms", "pixels drawn"
    );
    let samples = every_screen();
    let sample = |name: &str| {
        samples
            .iter()
            .find(|s| s.name == name)
            .unwrap_or_else(|| panic!("no sample screen {name}"))
    };
    let views = h.app.clone_strong();
    let kiosk = views.global::<Kiosk>();
    type Change<'a> = (&'a str, &'a str, Box<dyn Fn(usize) + 'a>);
    let changes: [Change; 3] = [
        (
            "reading: the moving bar, 60 frames a second",
            "reading",
            Box::new(|_| std::thread::sleep(Duration::from_millis(16))),
        ),
        (
            "PIN pad: a digit typed",
            "pin-card",
            Box::new(|i| kiosk.set_pin_digits((i % 4 + 1) as i32)),
        ),
        (
            "idle countdown: one second less",
            "pin-countdown",
            Box::new(|i| kiosk.set_countdown_seconds(20 - (i % 20) as i32)),
        ),
    ];
    let screen_pixels = 1080.0 * 1920.0;
    for (what, screen, change) in &changes {
        h.show(sample(screen), Language::Japanese);
        h.render();
        for i in 0..2 {
            change(i);
            h.render_changes();
        }
        let mut times = Vec::new();
        let mut drawn = Vec::new();
        for i in 2..frames + 2 {
            change(i);
            let (t, pixels) = h.render_changes();
            times.push(t);
            drawn.push(pixels);
        }
        times.sort();
        drawn.sort();
        let median = drawn[drawn.len() / 2];
        println!(
            "{:<44} {:>8.3} {:>8.3} {:>8} ({:.1}%)",
            what,
            ms(percentile(&times, 0.5)),
            ms(percentile(&times, 0.99)),
            median,
            median as f64 * 100.0 / screen_pixels
        );
    }

    // Tap to screen: the live runtime with its worker threads and the simulated card.
    println!("== card-present event to the first frame of the next screen (ms)");
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("bench.db")).unwrap();
    let clock = Rc::new(Cell::new(uketsuke::datetime!(2026-11-21 09:30:00 +09:00)));
    let read = clock.clone();
    let rt = Runtime::start(
        &h.app,
        CheckInFlow::new(Rules::embedded(), FacilityConfig::default()),
        Adapters {
            reader: KioskReader::Sim(SimReader::new()),
            gateway: KioskGateway::Sim(SimGateway::new(Persona::Valid3)),
            store,
        },
        Rc::new(move || read.get()),
        Arc::new(|| {}),
    )
    .unwrap();
    let app = h.app.clone_strong();
    let kiosk = app.global::<Kiosk>();
    h.render();
    let rounds = if quick { 10 } else { 50 };
    let (mut to_reading, mut to_pin) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        rt.borrow_mut().demo_tap("card");
        // The reader thread reports what is on it, then the card-present event.
        rt.borrow_mut().wait_for_message(Duration::from_secs(5));
        let start = Instant::now();
        rt.borrow_mut().wait_for_message(Duration::from_secs(5));
        assert_eq!(kiosk.get_screen(), ScreenKind::Reading);
        h.render();
        to_reading.push(start.elapsed());
        while kiosk.get_screen() != ScreenKind::PinEntry {
            assert!(rt.borrow_mut().wait_for_message(Duration::from_secs(5)));
        }
        h.render();
        to_pin.push(start.elapsed());
        // Cancel asks first; its "stop" counts only after the question's dead time.
        kiosk.invoke_cancel();
        clock.set(clock.get() + chrono::TimeDelta::seconds(1));
        kiosk.invoke_confirm_end();
        kiosk.invoke_acknowledge();
        rt.borrow_mut().demo_remove();
        rt.borrow_mut().wait_for_message(Duration::from_secs(5));
        rt.borrow_mut().wait_for_message(Duration::from_secs(5));
        clock.set(clock.get() + chrono::TimeDelta::seconds(60));
        rt.borrow_mut().settle(Duration::from_secs(5));
    }
    to_reading.sort();
    to_pin.sort();
    println!(
        "to the reading screen: p50 {:.2} p99 {:.2}; to the PIN pad (identify + tries left read): p50 {:.2} p99 {:.2}",
        ms(percentile(&to_reading, 0.5)),
        ms(percentile(&to_reading, 0.99)),
        ms(percentile(&to_pin, 0.5)),
        ms(percentile(&to_pin, 0.99)),
    );

    println!("== cold start: a new process to its first frame on disk (ms)");
    let binary = env!("CARGO_BIN_EXE_uketsuke");
    let out = tempfile::tempdir().unwrap();
    let mut starts = Vec::new();
    for _ in 0..if quick { 3 } else { 10 } {
        let start = Instant::now();
        let status = std::process::Command::new(binary)
            .args(["screenshots", "--only", "welcome-ja-1080x1920", "--out"])
            .arg(out.path())
            .stdout(std::process::Stdio::null())
            .status()
            .expect("run uketsuke screenshots");
        assert!(status.success());
        starts.push(start.elapsed());
    }
    starts.sort();
    println!(
        "process start to the welcome screen's first frame written: p50 {:.1} ms, max {:.1} ms (target <= 500 ms)",
        ms(percentile(&starts, 0.5)),
        ms(*starts.last().unwrap())
    );
    match peak_rss_mb() {
        Some(mb) => println!(
            "== peak RSS of this process after every screen and 2 x {rounds} taps: {mb:.1} MB (target <= 60 MB)"
        ),
        None => println!("== peak RSS: /proc/self/status not readable"),
    }
}
