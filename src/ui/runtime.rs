//! The live kiosk: the check-in flow on the UI thread, and worker threads for everything that
//! can block (the reader, the gateway, the store).
//!
//! The flow answers in microseconds, so it runs on the UI thread; every command it gives goes
//! to a worker over a channel, and every answer comes back through one inbox, whose waker
//! asks the event loop to drain it. The UI thread never waits on the reader, the gateway or the
//! disk. Deadlines and the idle countdown are one single-shot `slint::Timer`.

use std::cell::RefCell;
use std::rc::{Rc, Weak};
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, Sender};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use chrono::{DateTime, FixedOffset};
use slint::ComponentHandle as _;

use crate::domain::{CheckInRecord, DeclaredDocument, Pin, PrescriptionForm};
use crate::flow::staff_mode::{StaffCommand, StaffInput, StaffMode, StaffView};
use crate::flow::{
    CheckInFlow, GatewayOp, Input, PatientAction, ReaderOp, Screen, StoreReply, Ticket, View,
};
use crate::gateway::KioskGateway;
#[cfg(feature = "sim")]
use crate::gateway::sim::Persona;
use crate::headless::StorePort;
use crate::kiosk_staff::KioskStaffDesk;
use crate::reader::KioskReader;
use crate::reader::pcsc::{Nudger, PcscReader, ReaderEvent};
use crate::staff::{KIOSK_PIN_DIGITS, StaffPin};
use crate::store::Store;

use super::present::{COUNTDOWN, present, present_staff};
use super::{AppWindow, Kiosk, Language, PaperKind, select_language};

/// What the worker threads send to the UI thread.
#[derive(Debug)]
pub enum Inbound {
    /// Something for the flow.
    Flow(Input),
    /// What lies on a simulated reader now (the demo panel shows it).
    OnReader(String),
    /// An answer for staff mode.
    Staff(StaffInput),
    /// News for staff mode that answers no command (the pause watch's reading).
    StaffNotice(StaffInput),
}

/// Wakes the UI thread when something arrived in the inbox. Live: asks the Slint event loop to
/// drain it. Tests: nothing (they drain it themselves).
pub type Waker = Arc<dyn Fn() + Send + Sync>;

/// The sending side of the inbox, given to every worker.
#[derive(Clone)]
pub struct Outbox {
    sender: Sender<Inbound>,
    waker: Waker,
}

impl Outbox {
    fn send(&self, message: Inbound) {
        if self.sender.send(message).is_ok() {
            (self.waker)();
        }
    }
}

/// Work for the reader thread.
#[derive(Debug)]
pub enum ReaderJob {
    Op(Ticket, ReaderOp),
    /// Demo: put a simulated thing (`sim:` profile words) on the reader.
    Place(String),
    /// Demo: take it away.
    Remove,
}

/// Work for the gateway thread.
pub enum GatewayJob {
    Op(Ticket, GatewayOp),
    /// Demo: answer as this persona from now on.
    #[cfg(feature = "sim")]
    Persona(Persona),
}

/// Where the time comes from: the system clock live, a hand-moved one in tests.
pub type Clock = Rc<dyn Fn() -> DateTime<FixedOffset>>;

/// The way to the reader's thread. A PC/SC reader thread waits for pcscd's events, so a job
/// for it also nudges it awake.
pub struct ReaderLine {
    jobs: Sender<ReaderJob>,
    nudger: Option<Nudger>,
}

impl ReaderLine {
    /// False if the reader thread is gone.
    fn send(&self, job: ReaderJob) -> bool {
        let sent = self.jobs.send(job).is_ok();
        if let Some(nudger) = &self.nudger {
            nudger.nudge();
        }
        sent
    }
}

/// Starts the reader's thread. A simulated reader waits for jobs; a PC/SC reader also turns
/// pcscd's events into flow inputs.
pub fn spawn_reader(
    reader: KioskReader,
    outbox: Outbox,
) -> std::io::Result<(ReaderLine, JoinHandle<()>)> {
    let (jobs, inbox) = mpsc::channel::<ReaderJob>();
    match reader {
        #[cfg(feature = "sim")]
        KioskReader::Sim(mut sim) => {
            let thread = thread::Builder::new()
                .name("uketsuke-reader".into())
                .spawn(move || {
                    for job in inbox {
                        match job {
                            ReaderJob::Op(ticket, op) => {
                                let reply = sim.execute(op);
                                outbox.send(Inbound::Flow(Input::Reader(ticket, reply)));
                            }
                            ReaderJob::Place(what) => {
                                sim.remove();
                                match sim.try_place(what.as_str()) {
                                    Ok(_) => {
                                        outbox.send(Inbound::OnReader(what));
                                        outbox.send(Inbound::Flow(Input::CardPresent));
                                    }
                                    Err(e) => tracing::warn!("demo reader: {e}"),
                                }
                            }
                            ReaderJob::Remove => {
                                if sim.remove().is_some() {
                                    outbox.send(Inbound::OnReader(String::new()));
                                    outbox.send(Inbound::Flow(Input::CardRemoved));
                                }
                            }
                        }
                    }
                })?;
            Ok((ReaderLine { jobs, nudger: None }, thread))
        }
        KioskReader::Pcsc(mut pcsc) => {
            let nudger = pcsc.nudger();
            let thread = thread::Builder::new()
                .name("uketsuke-reader".into())
                .spawn(move || pcsc_loop(&mut pcsc, &inbox, &outbox))?;
            let line = ReaderLine {
                jobs,
                nudger: Some(nudger),
            };
            Ok((line, thread))
        }
    }
}

fn pcsc_loop(reader: &mut PcscReader, jobs: &Receiver<ReaderJob>, outbox: &Outbox) {
    loop {
        loop {
            match jobs.try_recv() {
                Ok(ReaderJob::Op(ticket, op)) => {
                    let reply = reader.execute(op);
                    outbox.send(Inbound::Flow(Input::Reader(ticket, reply)));
                }
                Ok(ReaderJob::Place(_) | ReaderJob::Remove) => {
                    tracing::warn!("a real reader cannot be tapped from the demo panel");
                }
                Err(mpsc::TryRecvError::Empty) => break,
                Err(mpsc::TryRecvError::Disconnected) => return,
            }
        }
        let Some(event) = reader.next_event(Some(Duration::from_secs(60))) else {
            continue;
        };
        match event {
            ReaderEvent::Ready { card, .. } => {
                outbox.send(Inbound::Flow(Input::ReaderUp));
                if card.is_some() && reader.take_new_card(Duration::ZERO) {
                    outbox.send(Inbound::Flow(Input::CardPresent));
                }
            }
            ReaderEvent::Down(trouble) => outbox.send(Inbound::Flow(Input::ReaderDown(trouble))),
            ReaderEvent::CardPresent { .. } => {
                if reader.take_new_card(Duration::ZERO) {
                    outbox.send(Inbound::Flow(Input::CardPresent));
                }
            }
            ReaderEvent::CardRemoved { .. } => {
                outbox.send(Inbound::Flow(Input::CardRemoved));
            }
        }
    }
}

/// Starts the gateway's thread. A simulated gateway sleeps its persona's latency here, never on
/// the UI thread.
pub fn spawn_gateway(
    mut gateway: KioskGateway,
    outbox: Outbox,
) -> std::io::Result<(Sender<GatewayJob>, JoinHandle<()>)> {
    let (jobs, inbox) = mpsc::channel::<GatewayJob>();
    let thread = thread::Builder::new()
        .name("uketsuke-gateway".into())
        .spawn(move || {
            for job in inbox {
                let (ticket, op) = match job {
                    #[cfg(feature = "sim")]
                    GatewayJob::Persona(p) => {
                        if let KioskGateway::Sim(sim) = &mut gateway {
                            sim.set_persona(p);
                        }
                        continue;
                    }
                    GatewayJob::Op(ticket, op) => (ticket, op),
                };
                let reply = crate::gateway::answer(&mut gateway, op);
                outbox.send(Inbound::Flow(Input::Gateway(ticket, reply)));
            }
        })?;
    Ok((jobs, thread))
}

/// The way to the store worker: each record with the ticket its answer carries.
pub type StoreJobs = Sender<(Ticket, Box<CheckInRecord>)>;
/// The way to the staff-mode worker: each command with the time it was given.
pub type StaffJobs = Sender<(StaffCommand, DateTime<FixedOffset>)>;

/// Starts the store's thread: each check-in is committed (fsync'd) before the flow hears so.
pub fn spawn_store(
    mut store: impl StorePort + Send + 'static,
    outbox: Outbox,
) -> std::io::Result<(StoreJobs, JoinHandle<()>)> {
    let (jobs, inbox) = mpsc::channel::<(Ticket, Box<CheckInRecord>)>();
    let thread = thread::Builder::new()
        .name("uketsuke-store".into())
        .spawn(move || {
            for (ticket, record) in inbox {
                let reply = store.commit(&record);
                if let StoreReply::Failed(e) = &reply {
                    tracing::error!("cannot record a check-in: {e}");
                }
                outbox.send(Inbound::Flow(Input::Store(ticket, reply)));
            }
        })?;
    Ok((jobs, thread))
}

/// Starts the staff mode's thread: PIN checks (argon2) and store calls happen here.
pub fn spawn_staff_desk(
    desk: KioskStaffDesk,
    outbox: Outbox,
) -> std::io::Result<(StaffJobs, JoinHandle<()>)> {
    let (jobs, inbox) = mpsc::channel::<(StaffCommand, DateTime<FixedOffset>)>();
    let thread = thread::Builder::new()
        .name("uketsuke-staff".into())
        .spawn(move || {
            for (command, now) in inbox {
                outbox.send(Inbound::Staff(desk.answer(command, now)));
            }
        })?;
    Ok((jobs, thread))
}

/// The adapters a live kiosk runs with.
pub struct Adapters {
    pub reader: KioskReader,
    pub gateway: KioskGateway,
    pub store: Store,
}

/// The live kiosk on the UI thread.
pub struct Runtime {
    flow: CheckInFlow,
    window: slint::Weak<AppWindow>,
    clock: Clock,
    inbox: Receiver<Inbound>,
    reader: ReaderLine,
    gateway: Sender<GatewayJob>,
    /// Set before each new gateway operation: a wait for the certified reader's result that
    /// the flow has left (the patient cancelled) ends at once instead of holding the gateway's
    /// thread, and the next patient's wait, until its timeout. `None` for gateways that never wait.
    gateway_abandon: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
    store: Sender<(Ticket, Box<CheckInRecord>)>,
    staff: StaffMode,
    staff_desk: Sender<(StaffCommand, DateTime<FixedOffset>)>,
    /// Digits typed on the staff PIN pad, kept here until OK and never shown.
    staff_typed: String,
    /// Commands sent to workers and not answered yet.
    outstanding: usize,
    /// Digits typed on the PIN pad, kept here until OK and never shown.
    typed: String,
    language: Language,
    shown: Option<View>,
    timer: slint::Timer,
    /// The worker threads, by name (`uketsuke-reader`, …), for the watchdog and for shutdown.
    workers: Vec<(&'static str, JoinHandle<()>)>,
    /// Tells staff mode when the store says this kiosk was closed or reopened elsewhere.
    pause_watch: Option<crate::store::ChangeWatch>,
    /// Voice guidance: speaks each new screen (silent until [`Runtime::set_voice`]).
    voice: crate::voice::Voice,
    me: Weak<RefCell<Runtime>>,
}

impl Runtime {
    /// Builds the live kiosk around `window`: starts the workers and answers every callback of
    /// the views. `waker` is called from worker threads whenever something arrived.
    pub fn start(
        window: &AppWindow,
        flow: CheckInFlow,
        adapters: Adapters,
        clock: Clock,
        waker: Waker,
    ) -> std::io::Result<Rc<RefCell<Runtime>>> {
        let (sender, inbox) = mpsc::channel();
        let outbox = Outbox { sender, waker };
        let (staff_desk, staff_thread) = spawn_staff_desk(
            KioskStaffDesk::new(
                adapters.store.clone(),
                flow.rules().clone(),
                flow.facility(),
            ),
            outbox.clone(),
        )?;
        let mut staff = StaffMode::new(flow.facility().staff_mode);
        // Started before the read below, so no change between the two goes unseen.
        let notices = outbox.clone();
        let pause_watch = crate::kiosk_staff::watch_kiosk_pause(
            adapters.store.clone(),
            &flow.facility().kiosk_name,
            move |paused, reopens_at| {
                notices.send(Inbound::StaffNotice(StaffInput::KioskPauseSeen {
                    paused,
                    reopens_at,
                }));
            },
        )
        .inspect_err(
            |e| tracing::error!(error = %e, "cannot watch whether staff closed this kiosk"),
        )
        .ok();
        // A kiosk staff closed stays closed after a restart (read once, before the first frame).
        match adapters.store.kiosk_pause(&flow.facility().kiosk_name) {
            Ok(pause) => staff.start_paused(pause.is_some(), pause.and_then(|p| p.reopens_at)),
            Err(e) => {
                tracing::error!(error = %e, "cannot read whether staff closed this kiosk; it opens")
            }
        }
        let (reader, reader_thread) = spawn_reader(adapters.reader, outbox.clone())?;
        let gateway_abandon = adapters.gateway.abandon_signal();
        let (gateway, gateway_thread) = spawn_gateway(adapters.gateway, outbox.clone())?;
        let (store, store_thread) = spawn_store(adapters.store, outbox)?;
        let workers = vec![
            ("uketsuke-reader", reader_thread),
            ("uketsuke-gateway", gateway_thread),
            ("uketsuke-store", store_thread),
            ("uketsuke-staff", staff_thread),
        ];
        let runtime = Rc::new_cyclic(|me| {
            RefCell::new(Runtime {
                flow,
                window: window.as_weak(),
                clock,
                inbox,
                reader,
                gateway,
                gateway_abandon,
                store,
                staff,
                staff_desk,
                staff_typed: String::new(),
                outstanding: 0,
                typed: String::new(),
                language: Language::Japanese,
                shown: None,
                timer: slint::Timer::default(),
                workers,
                pause_watch,
                voice: crate::voice::Voice::off(),
                me: me.clone(),
            })
        });
        wire_callbacks(window, &runtime);
        select_language(window, Language::Japanese);
        window
            .global::<Kiosk>()
            .set_large_type_offered(runtime.borrow().flow.facility().large_type);
        runtime.borrow_mut().after_change();
        Ok(runtime)
    }

    pub fn view(&self) -> View {
        self.flow.view()
    }

    /// The worker threads' names, for the service's liveness checks.
    pub fn worker_names(&self) -> Vec<&'static str> {
        self.workers.iter().map(|(name, _)| *name).collect()
    }

    /// Whether the worker of this name still runs. Workers end only at [`Runtime::shutdown`];
    /// one that ended before (a panic) leaves every later check-in without its part.
    pub fn worker_running(&self, name: &str) -> bool {
        self.workers
            .iter()
            .any(|(n, thread)| *n == name && !thread.is_finished())
    }

    /// Stops answering: the inbox is no longer drained and no deadline fires, so nothing
    /// changes the screen the caller shows next (the out-of-order screen after a part of the
    /// kiosk stopped). The workers are left as they are; systemd's restart ends them.
    pub fn halt(&mut self) {
        LIVE.with(|live| live.borrow_mut().take());
        self.timer.stop();
    }

    /// Stops the kiosk cleanly (SIGTERM): no new work is taken, each worker finishes what it is
    /// doing (the store its transaction) and ends, and this waits for them. The reader thread
    /// drops the PC/SC reader, which releases the card and the context.
    pub fn shutdown(runtime: Rc<RefCell<Runtime>>) {
        let mut rt = runtime.borrow_mut();
        rt.halt();
        rt.pause_watch = None;
        // Replacing each sender with one whose receiver is gone drops the worker's last sender,
        // so its loop ends after the job in hand.
        let old_reader = std::mem::replace(
            &mut rt.reader,
            ReaderLine {
                jobs: mpsc::channel().0,
                nudger: None,
            },
        );
        let ReaderLine { jobs, nudger } = old_reader;
        drop(jobs);
        if let Some(nudger) = nudger {
            nudger.nudge();
        }
        rt.gateway = mpsc::channel().0;
        rt.store = mpsc::channel().0;
        rt.staff_desk = mpsc::channel().0;
        let workers = std::mem::take(&mut rt.workers);
        drop(rt);
        for (name, thread) in workers {
            if thread.join().is_err() {
                tracing::error!(worker = name, "worker thread had panicked");
            }
        }
    }

    pub fn language(&self) -> Language {
        self.language
    }

    /// Speaks through `voice` from now on (the screen shown now first), and shows the Repeat
    /// button while it is on.
    pub fn set_voice(&mut self, voice: crate::voice::Voice) {
        self.voice = voice;
        if let Some(window) = self.window.upgrade() {
            window.global::<Kiosk>().set_voice_on(self.voice.is_on());
        }
        if let Some(view) = &self.shown {
            self.voice.present(view, self.language.code());
        }
    }

    /// Commands sent to the reader, gateway or store that have not answered yet.
    pub fn outstanding(&self) -> usize {
        self.outstanding
    }

    fn now(&self) -> DateTime<FixedOffset> {
        (self.clock)()
    }

    /// Gives the flow one input and carries out what it asks.
    pub fn feed(&mut self, input: Input) {
        let now = self.now();
        self.flow.handle(now, input);
        self.after_change();
    }

    /// Feeds everything the workers sent.
    pub fn drain(&mut self) {
        let mut fed = false;
        while let Ok(message) = self.inbox.try_recv() {
            self.receive(message);
            fed = true;
        }
        if fed {
            self.after_change();
        }
    }

    fn receive(&mut self, message: Inbound) {
        match message {
            Inbound::Flow(input) => {
                if matches!(
                    input,
                    Input::Reader(..) | Input::Gateway(..) | Input::Store(..)
                ) {
                    self.outstanding = self.outstanding.saturating_sub(1);
                }
                let now = self.now();
                self.flow.handle(now, input);
            }
            Inbound::OnReader(what) => {
                if let Some(w) = self.window.upgrade() {
                    w.global::<Kiosk>().set_on_reader(what.into());
                }
            }
            Inbound::Staff(answer) => {
                self.outstanding = self.outstanding.saturating_sub(1);
                let now = self.now();
                let busy = self.flow.in_session();
                self.staff.handle(now, answer, busy);
            }
            Inbound::StaffNotice(notice) => {
                let now = self.now();
                let busy = self.flow.in_session();
                self.staff.handle(now, notice, busy);
            }
        }
    }

    /// Lets time pass: deadlines fall due.
    pub fn tick(&mut self) {
        let now = self.now();
        let busy = self.flow.in_session();
        self.staff.handle(now, StaffInput::Tick, busy);
        self.feed(Input::Tick);
    }

    /// What staff mode shows over the patient's screen, if it is open.
    pub fn staff_view(&self) -> Option<StaffView> {
        self.staff.view()
    }

    fn staff_input(&mut self, input: StaffInput) {
        let now = self.now();
        let busy = self.flow.in_session();
        self.staff.handle(now, input, busy);
        self.after_change();
    }

    fn staff_pin_digit(&mut self, digit: i32) {
        if !matches!(
            self.staff.view(),
            Some(StaffView::Pin {
                checking: false,
                ..
            })
        ) {
            return;
        }
        if self.staff_typed.len() < *KIOSK_PIN_DIGITS.end()
            && let Some(c) = char::from_digit(digit as u32, 10)
        {
            self.staff_typed.push(c);
        }
        self.staff_input(StaffInput::Touch);
    }

    fn staff_pin_erase(&mut self) {
        self.staff_typed.pop();
        self.staff_input(StaffInput::Touch);
    }

    fn staff_pin_submit(&mut self) {
        match StaffPin::parse(&self.staff_typed) {
            Ok(pin) => {
                self.staff_typed.clear();
                self.staff_input(StaffInput::SubmitPin(pin));
            }
            // Too few digits: nothing is sent; the dots show how many there are.
            Err(_) => self.staff_input(StaffInput::Touch),
        }
    }

    /// Tests: waits (on this thread) until the workers have answered everything asked of them,
    /// or `timeout` passed. False on timeout.
    pub fn settle(&mut self, timeout: Duration) -> bool {
        let end = Instant::now() + timeout;
        loop {
            self.drain();
            if self.outstanding == 0 {
                return true;
            }
            if !self.wait_for_message(end.saturating_duration_since(Instant::now())) {
                return false;
            }
        }
    }

    /// Tests: waits for the next message from a worker (a demo tap is answered this way). News
    /// nobody asked for (the pause watch's) is taken on the way but not counted, so a test that
    /// waits for a worker's messages gets them whenever the watch speaks.
    pub fn wait_for_message(&mut self, timeout: Duration) -> bool {
        let end = Instant::now() + timeout;
        loop {
            match self
                .inbox
                .recv_timeout(end.saturating_duration_since(Instant::now()))
            {
                Ok(message) => {
                    let notice = matches!(message, Inbound::StaffNotice(_));
                    self.receive(message);
                    self.after_change();
                    if !notice {
                        return true;
                    }
                }
                Err(_) => return false,
            }
        }
    }

    /// Sends the flow's commands to the workers, shows the new view and sets the timer.
    fn after_change(&mut self) {
        // What staff mode says about the kiosk, told to the flow when it changes.
        let staff_open = self.staff.is_open();
        if staff_open != self.flow.staff_at_kiosk() {
            let now = self.now();
            self.flow.handle(now, Input::StaffAtKiosk(staff_open));
        }
        let (paused, reopens_at) = (self.staff.kiosk_paused(), self.staff.kiosk_reopens_at());
        if (paused, reopens_at) != (self.flow.kiosk_paused(), self.flow.kiosk_reopens_at()) {
            let now = self.now();
            self.flow
                .handle(now, Input::KioskPaused { paused, reopens_at });
        }
        if !matches!(
            self.staff.view(),
            Some(StaffView::Pin {
                checking: false,
                ..
            })
        ) {
            self.staff_typed.clear();
        }
        while let Some(command) = self.staff.poll() {
            // Every staff command is answered, so tests can wait for it like any other.
            if self.staff_desk.send((command, self.now())).is_ok() {
                self.outstanding += 1;
            }
        }
        while let Some(command) = self.flow.poll() {
            self.outstanding += 1;
            let sent = match command {
                crate::flow::Command::Reader(t, op) => self.reader.send(ReaderJob::Op(t, op)),
                crate::flow::Command::Gateway(t, op) => {
                    if let Some(abandon) = &self.gateway_abandon {
                        abandon.store(true, std::sync::atomic::Ordering::SeqCst);
                    }
                    self.gateway.send(GatewayJob::Op(t, op)).is_ok()
                }
                crate::flow::Command::Persist(t, record) => self.store.send((t, record)).is_ok(),
            };
            if !sent {
                // A worker thread is gone: its deadline in the flow will hand over to staff.
                self.outstanding -= 1;
                tracing::error!("a worker thread has stopped; the flow's timeout will act");
            }
        }
        let view = self.flow.view();
        let was_in_session = self.shown.as_ref().is_some_and(|v| !idle(&v.screen));
        let screen_changed = self.shown.as_ref().map(|v| &v.screen) != Some(&view.screen);
        if screen_changed {
            // A PIN typed on one pad never carries over to another screen or attempt.
            self.typed.clear();
            tracing::info!(
                screen = crate::headless::screen_name(&view.screen).as_str(),
                "screen"
            );
        }
        if was_in_session && idle(&view.screen) {
            if self.language != Language::Japanese {
                self.set_language(Language::Japanese);
            }
            // Large type was for the patient who asked for it: the next starts at normal size.
            if let Some(window) = self.window.upgrade() {
                window.global::<super::Theme>().set_large(false);
            }
        }
        if let Some(window) = self.window.upgrade() {
            present(&window, &view, self.now(), self.typed.len());
            present_staff(
                &window,
                self.staff.view().as_ref(),
                self.flow.reader_trouble(),
                self.now(),
                self.staff_typed.len(),
            );
        }
        self.voice.present(&view, self.language.code());
        self.schedule(&view);
        self.shown = Some(view);
    }

    /// One single-shot timer for the next deadline, or the next second of the countdown.
    fn schedule(&mut self, view: &View) {
        let now = self.now();
        let mut wake = match (self.flow.next_deadline(), self.staff.next_deadline()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        // The closed screen drops its "reopens at about 13:30" once that time has passed.
        if let Screen::Paused {
            reopens_at: Some(at),
        } = view.screen
            && at > now
        {
            wake = Some(wake.map_or(at, |w| w.min(at)));
        }
        if let Some(idle) = view.idle_deadline {
            let countdown_from = idle - COUNTDOWN;
            let next = if now < countdown_from {
                countdown_from
            } else {
                // The next whole second before the deadline, so the number steps evenly.
                let left_ms = (idle - now).num_milliseconds().max(0);
                now + chrono::TimeDelta::milliseconds((left_ms - 1) % 1000 + 1)
            };
            wake = Some(wake.map_or(next, |w| w.min(next)));
        }
        let Some(at) = wake else {
            self.timer.stop();
            return;
        };
        let delay = (at - now).to_std().unwrap_or(Duration::ZERO);
        let me = self.me.clone();
        self.timer
            .start(slint::TimerMode::SingleShot, delay, move || {
                if let Some(rt) = me.upgrade() {
                    rt.borrow_mut().tick();
                }
            });
    }

    fn set_language(&mut self, language: Language) {
        self.language = language;
        if let Some(window) = self.window.upgrade() {
            select_language(&window, language);
        }
    }

    fn patient(&mut self, action: PatientAction) {
        self.feed(Input::Patient(action));
    }

    fn pin_digit(&mut self, digit: i32) {
        if !matches!(self.flow.view().screen, Screen::PinEntry { .. }) {
            return;
        }
        let key = crate::voice::speech::PinKey::Digit(digit.clamp(0, 9) as u8);
        self.voice
            .pin_key(key, self.typed.len(), self.language.code());
        if self.typed.len() < 4
            && let Some(c) = char::from_digit(digit as u32, 10)
        {
            self.typed.push(c);
        }
        // Typing is activity: the screen is not cleared under the patient's fingers.
        self.patient(PatientAction::StillHere);
    }

    fn pin_erase(&mut self) {
        let key = crate::voice::speech::PinKey::Erase;
        self.voice
            .pin_key(key, self.typed.len(), self.language.code());
        self.typed.pop();
        self.patient(PatientAction::StillHere);
    }

    fn pin_submit(&mut self) {
        let Some(pin) = Pin::parse(&self.typed) else {
            // Fewer than 4 digits: nothing is sent; the dots show how many are missing.
            self.patient(PatientAction::StillHere);
            return;
        };
        self.typed.clear();
        self.patient(PatientAction::EnterPin(pin));
    }

    fn answer_consent(&mut self, yes: bool) {
        if let Screen::ConsentItem { item, .. } = self.flow.view().screen {
            self.patient(PatientAction::AnswerConsentItem(item, yes));
        }
    }

    fn declare(&mut self, paper: PaperKind) {
        let document = match paper {
            PaperKind::EligibilityCertificate => DeclaredDocument::EligibilityCertificate,
            PaperKind::EligibilityNoticeWithCard => DeclaredDocument::EligibilityNoticeWithCard,
            PaperKind::ExpiredInsuranceCard => DeclaredDocument::ExpiredInsuranceCard,
            PaperKind::Nothing | PaperKind::None => DeclaredDocument::Nothing,
        };
        self.patient(PatientAction::DeclareDocument(document));
    }

    /// Demo panel: put something on the simulated reader.
    pub fn demo_tap(&mut self, what: &str) {
        self.reader.send(ReaderJob::Place(what.to_owned()));
    }

    /// Demo panel: take it away.
    pub fn demo_remove(&mut self) {
        self.reader.send(ReaderJob::Remove);
    }

    /// Demo panel: the simulated gateway answers as `persona` from now on.
    #[cfg(feature = "sim")]
    pub fn demo_persona(&mut self, persona: Persona) {
        let _ = self.gateway.send(GatewayJob::Persona(persona));
        if let Some(window) = self.window.upgrade() {
            let index = Persona::ALL.iter().position(|p| *p == persona).unwrap_or(0);
            window.global::<Kiosk>().set_persona_index(index as i32);
        }
    }
}

/// The screens shown while nobody is checking in.
fn idle(screen: &Screen) -> bool {
    matches!(
        screen,
        Screen::Welcome | Screen::OutOfService { .. } | Screen::Paused { .. }
    )
}

/// Answers every callback of the views by calling the runtime.
fn wire_callbacks(window: &AppWindow, runtime: &Rc<RefCell<Runtime>>) {
    let kiosk = window.global::<Kiosk>();
    macro_rules! on {
        ($setter:ident, |$rt:ident $(, $arg:ident : $ty:ty)*| $body:expr) => {{
            let weak = Rc::downgrade(runtime);
            kiosk.$setter(move |$($arg: $ty),*| {
                if let Some(rc) = weak.upgrade() {
                    let $rt = &mut *rc.borrow_mut();
                    $body;
                }
            });
        }};
    }
    on!(on_choose_language, |rt, code: slint::SharedString| {
        if let Some(language) = Language::parse(&code) {
            rt.set_language(language);
        }
        rt.patient(PatientAction::StillHere);
    });
    on!(on_call_staff, |rt| rt.patient(PatientAction::CallStaff));
    on!(on_repeat_speech, |rt| rt.voice.repeat());
    on!(on_cancel, |rt| rt.patient(PatientAction::Cancel));
    on!(on_confirm_end, |rt| rt.patient(PatientAction::ConfirmEnd));
    on!(on_still_here, |rt| rt.patient(PatientAction::StillHere));
    on!(on_acknowledge, |rt| rt.patient(PatientAction::Acknowledge));
    on!(on_paper_documents, |rt| rt
        .patient(PatientAction::OpenDocumentMenu));
    on!(on_declare, |rt, paper: PaperKind| rt.declare(paper));
    on!(on_pin_digit, |rt, digit: i32| rt.pin_digit(digit));
    on!(on_pin_erase, |rt| rt.pin_erase());
    on!(on_pin_submit, |rt| rt.pin_submit());
    on!(on_ask_staff_to_check, |rt| rt
        .patient(PatientAction::AskStaffToCheck));
    on!(on_consent_all, |rt| rt.patient(PatientAction::ConsentAll));
    on!(on_consent_item_by_item, |rt| rt
        .patient(PatientAction::ConsentItemByItem));
    on!(on_do_not_consent, |rt| rt
        .patient(PatientAction::DoNotConsent));
    on!(on_back, |rt| rt.patient(PatientAction::Back));
    on!(on_answer_consent, |rt, yes: bool| rt.answer_consent(yes));
    on!(on_answer_high_cost_limit, |rt, yes: bool| rt
        .patient(PatientAction::AnswerHighCostLimit(yes)));
    on!(on_answer_medical_aid, |rt, yes: bool| rt
        .patient(PatientAction::AnswerMedicalAid(yes)));
    on!(on_choose_department, |rt, code: slint::SharedString| rt
        .patient(PatientAction::ChooseDepartment(code.into())));
    on!(on_choose_prescription, |rt, electronic: bool| rt.patient(
        PatientAction::ChoosePrescription(if electronic {
            PrescriptionForm::Electronic
        } else {
            PrescriptionForm::Paper
        })
    ));
    on!(on_it_is_my_phone, |rt| rt
        .patient(PatientAction::ItIsMyPhone));
    on!(on_it_is_a_card, |rt| rt.patient(PatientAction::ItIsACard));
    on!(on_staff_corner, |rt| rt.staff_input(StaffInput::CornerTap));
    on!(on_staff_choose, |rt, index: i32| rt
        .staff_input(StaffInput::Choose(index.max(0) as usize)));
    on!(on_staff_back, |rt| rt.staff_input(StaffInput::Back));
    on!(on_staff_pin_digit, |rt, digit: i32| rt
        .staff_pin_digit(digit));
    on!(on_staff_pin_erase, |rt| rt.staff_pin_erase());
    on!(on_staff_pin_submit, |rt| rt.staff_pin_submit());
    on!(on_staff_confirm, |rt, id: i32| rt
        .staff_input(StaffInput::ConfirmVisualCheck(i64::from(id))));
    on!(on_staff_confirm_yes, |rt| rt
        .staff_input(StaffInput::ConfirmAsked));
    on!(on_staff_result_not_shown, |rt| rt
        .staff_input(StaffInput::ResultNotShown));
    on!(on_staff_close, |rt| rt.staff_input(StaffInput::Close));
    on!(on_staff_set_kiosk_paused, |rt, paused: bool| rt
        .staff_input(StaffInput::SetKioskPaused(paused)));
    on!(on_staff_close_kiosk_for, |rt, minutes: i32| rt.staff_input(
        StaffInput::CloseKioskFor(u32::try_from(minutes).ok().filter(|m| *m > 0))
    ));
    on!(on_staff_touch, |rt| rt.staff_input(StaffInput::Touch));
    on!(on_demo_tap, |rt, what: slint::SharedString| rt
        .demo_tap(&what));
    on!(on_demo_remove, |rt| rt.demo_remove());
    #[cfg(feature = "sim")]
    on!(on_demo_persona, |rt, index: i32| {
        if let Some(p) = Persona::ALL.get(index as usize) {
            rt.demo_persona(*p);
        }
    });
}

thread_local! {
    /// The live kiosk of the UI thread, for the waker's drain.
    static LIVE: RefCell<Option<Rc<RefCell<Runtime>>>> = const { RefCell::new(None) };
}

/// Makes `runtime` the one the live waker drains.
fn install_live(runtime: &Rc<RefCell<Runtime>>) {
    LIVE.with(|live| *live.borrow_mut() = Some(runtime.clone()));
}

/// Starts the kiosk for a real event loop: the given clock, the live waker, and this runtime as
/// the one the waker drains.
pub fn start_live(
    window: &AppWindow,
    flow: CheckInFlow,
    adapters: Adapters,
    clock: Clock,
) -> std::io::Result<Rc<RefCell<Runtime>>> {
    let runtime = Runtime::start(window, flow, adapters, clock, live_waker())?;
    install_live(&runtime);
    Ok(runtime)
}

/// A waker for a running Slint event loop: drains the live runtime's inbox on the UI thread.
fn live_waker() -> Waker {
    Arc::new(|| {
        let _ = slint::invoke_from_event_loop(|| {
            LIVE.with(|live| {
                if let Some(rt) = live.borrow().as_ref() {
                    rt.borrow_mut().drain();
                }
            })
        });
    })
}
