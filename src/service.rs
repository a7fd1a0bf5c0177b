//! The kiosk as a systemd service (`systemd/uketsuke.service`, `Type=notify`): it says when it
//! is ready, feeds the watchdog only while every part of it is alive, says what it is doing,
//! and stops cleanly on SIGTERM.
//!
//! Owns: the only code that knows `sd-notify` (the notification protocol, `sd_notify(3)`) and
//! `signal-hook` (SIGTERM/SIGINT). Must not know: Slint, the flow, what the parts are.
//!
//! Outside systemd (no `NOTIFY_SOCKET` in the environment: the demo, tests, a technician's shell)
//! every notification is a no-op and there is no watchdog; the liveness checks still run.

use std::cell::RefCell;
use std::time::Duration;

use sd_notify::NotifyState;

/// How often liveness is checked when systemd asks for no watchdog.
pub const CHECK_WITHOUT_WATCHDOG: Duration = Duration::from_secs(1);

/// Tells systemd about the service. Create it once, on the UI thread.
#[derive(Debug)]
pub struct Notifier {
    /// `WatchdogSec=` as systemd passed it (`WATCHDOG_USEC`), when it expects pings from us.
    watchdog: Option<Duration>,
    /// The last `STATUS=` sent, so an unchanged status is not sent again.
    status: RefCell<String>,
}

impl Notifier {
    /// Reads `WATCHDOG_USEC`/`WATCHDOG_PID` (sd_watchdog_enabled(3)); the environment is left
    /// as it is, so child processes see the same.
    pub fn from_env() -> Notifier {
        let mut usec = 0_u64;
        let watchdog = sd_notify::watchdog_enabled(false, &mut usec)
            .then(|| Duration::from_micros(usec))
            .filter(|d| !d.is_zero());
        Notifier {
            watchdog,
            status: RefCell::new(String::new()),
        }
    }

    /// `WatchdogSec=`, if systemd expects pings.
    pub fn watchdog(&self) -> Option<Duration> {
        self.watchdog
    }

    /// How often to check liveness and ping: half of `WatchdogSec=` (as sd_watchdog_enabled(3)
    /// advises), or [`CHECK_WITHOUT_WATCHDOG`].
    pub fn check_every(&self) -> Duration {
        self.watchdog.map_or(CHECK_WITHOUT_WATCHDOG, |w| w / 2)
    }

    /// `READY=1`: the first frame is on the display.
    pub fn ready(&self) {
        self.send(&[NotifyState::Ready]);
    }

    /// `WATCHDOG=1`: every part is alive. Call only on evidence of that.
    pub fn ping(&self) {
        if self.watchdog.is_some() {
            self.send(&[NotifyState::Watchdog]);
        }
    }

    /// `STATUS=…`: one line for `systemctl status` (ready / out of service: reason / …). Sent
    /// only when it changed.
    pub fn status(&self, text: &str) {
        if *self.status.borrow() == text {
            return;
        }
        *self.status.borrow_mut() = text.to_owned();
        self.send(&[NotifyState::Status(text)]);
    }

    /// `STOPPING=1` with a status saying why.
    pub fn stopping(&self, why: &str) {
        self.send(&[NotifyState::Stopping, NotifyState::Status(why)]);
    }

    fn send(&self, states: &[NotifyState<'_>]) {
        if let Err(e) = sd_notify::notify(false, states) {
            tracing::warn!(error = %e, "cannot notify systemd");
        }
    }
}

/// A long-lived part of the kiosk (a thread, a server), by name, and how to tell it still runs.
struct Part {
    name: String,
    running: Box<dyn Fn() -> bool>,
}

/// Every long-lived part of the kiosk, registered by name. A part that stops while the kiosk
/// runs is a fault no tap can cure: the kiosk goes out of order and stops feeding the watchdog,
/// so systemd restarts it (the tacd pattern: watched tasks, the first exit is fatal).
#[derive(Default)]
pub struct Liveness {
    parts: Vec<Part>,
}

impl std::fmt::Debug for Liveness {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.parts.iter().map(|p| &p.name))
            .finish()
    }
}

impl Liveness {
    pub fn new() -> Liveness {
        Liveness::default()
    }

    /// Registers a part: `running` answers whether it still runs (e.g. a thread's
    /// `!is_finished()`); it is asked on the UI thread at every check, so it must not block.
    pub fn watch(&mut self, name: impl Into<String>, running: impl Fn() -> bool + 'static) {
        self.parts.push(Part {
            name: name.into(),
            running: Box::new(running),
        });
    }

    /// The names registered, in order.
    pub fn names(&self) -> Vec<&str> {
        self.parts.iter().map(|p| p.name.as_str()).collect()
    }

    /// The first part that has stopped, if any.
    pub fn first_stopped(&self) -> Option<&str> {
        self.parts
            .iter()
            .find(|p| !(p.running)())
            .map(|p| p.name.as_str())
    }
}

/// Calls `stop` once, on a thread named `uketsuke-signals`, when SIGTERM (systemd's stop) or
/// SIGINT (Ctrl-C) arrives. A second signal while stopping is ignored: systemd sends SIGKILL
/// after `TimeoutStopSec=` anyway.
///
/// Errors: the signal handlers cannot be installed, or the thread cannot start.
pub fn on_terminate(stop: impl FnOnce() + Send + 'static) -> std::io::Result<()> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let mut signals = signal_hook::iterator::Signals::new([SIGTERM, SIGINT])?;
    std::thread::Builder::new()
        .name("uketsuke-signals".into())
        .spawn(move || {
            if let Some(signal) = signals.forever().next() {
                tracing::info!(signal, "stopping");
                stop();
            }
        })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;
    use std::rc::Rc;

    use super::*;

    #[test]
    fn the_first_stopped_part_is_named_in_registration_order() {
        let store = Rc::new(Cell::new(true));
        let console = Rc::new(Cell::new(true));
        let mut liveness = Liveness::new();
        let s = store.clone();
        liveness.watch("store", move || s.get());
        let c = console.clone();
        liveness.watch("console", move || c.get());
        assert_eq!(liveness.first_stopped(), None);
        console.set(false);
        assert_eq!(liveness.first_stopped(), Some("console"));
        store.set(false);
        assert_eq!(liveness.first_stopped(), Some("store"));
        assert_eq!(liveness.names(), ["store", "console"]);
    }

    #[test]
    fn a_finished_thread_is_a_stopped_part() {
        let worker = std::thread::spawn(|| {});
        while !worker.is_finished() {
            std::thread::yield_now();
        }
        let mut liveness = Liveness::new();
        liveness.watch("worker", move || !worker.is_finished());
        assert_eq!(liveness.first_stopped(), Some("worker"));
    }

    #[test]
    fn outside_systemd_there_is_no_watchdog_and_checks_run_every_second() {
        // The test process has no WATCHDOG_USEC for its own pid.
        let notifier = Notifier::from_env();
        assert_eq!(notifier.watchdog(), None);
        assert_eq!(notifier.check_every(), CHECK_WITHOUT_WATCHDOG);
        notifier.ping();
        notifier.status("ready");
        notifier.ready();
    }
}
