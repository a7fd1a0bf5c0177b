//! The PC/SC reader: a real NFC reader through pcscd, the only module that knows the `pcsc`
//! crate.
//!
//! Owns: the PC/SC contexts (rebuilt after pcscd goes away: an old context looks valid but is
//! dead for good), the choice of reader, the monitor thread that turns `SCardGetStatusChange`
//! into card present/removed and reader up/down events (woken by `SCardCancel` to stop; no
//! polling sleeps), and the one card handle kept from the first APDU of a tap to its signature
//! (dropping a `Card` resets the card and loses the verified PIN).
//! Must not know: APDU bytes (the `card` module), the flow's states, the screen.

use std::ffi::CString;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use pcsc::{Context, Error as PcscError, Protocols, ReaderState, Scope, ShareMode, State};
use tracing::{debug, info, warn};

use super::run_op;
use crate::card::jpki::{ApduStats, JpkiCard};
use crate::card::{CardTransport, TransportError};
use crate::domain::Tapped;
use crate::flow::ports::{ReaderOp, ReaderReply, ReaderTrouble};

/// How long the monitor waits before asking pcscd again while it is not running. The kiosk is
/// usable again within this much of pcscd's return.
pub const SERVICE_RETRY: Duration = Duration::from_millis(200);

/// The socket pcscd listens on (named in technicians' messages).
pub const PCSCD_SOCKET: &str = "/run/pcscd/pcscd.comm";

/// Something the reader noticed on its own, in the order it happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReaderEvent {
    /// The chosen reader is there and pcscd answers; `card` is the ATR of what already lies on
    /// it (a card left there counts as placed).
    Ready {
        reader: String,
        card: Option<Vec<u8>>,
    },
    /// The kiosk cannot read cards: pcscd is not running, or no (matching) reader is attached.
    Down(ReaderTrouble),
    /// Something came onto the field.
    CardPresent { reader: String, atr: Vec<u8> },
    /// The field is empty again (also sent when the reader or pcscd vanished under a card).
    CardRemoved { reader: String },
}

/// What the kiosk knows about its reader's field, kept up to date from the events.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Field {
    /// The reader in use, once one is there.
    pub reader: Option<String>,
    /// Why the kiosk cannot read cards, if it cannot.
    pub trouble: Option<ReaderTrouble>,
    pub present: bool,
    pub atr: Vec<u8>,
    /// Counts the things placed on the field (and resets of the card by another program), so a
    /// tap can tell a new card from the one already used.
    pub generation: u64,
}

/// Wakes the thread waiting for a reader's next event (see [`PcscReader::nudger`]).
#[derive(Clone)]
pub struct Nudger(Sender<Option<ReaderEvent>>);

impl Nudger {
    pub fn nudge(&self) {
        let _ = self.0.send(None);
    }
}

/// A PC/SC reader and the card on it.
pub struct PcscReader {
    /// A substring of the reader's name to use; the first reader pcscd lists otherwise.
    wanted: Option<String>,
    /// `None` is a nudge: someone wants the waiting thread back (see [`Nudger`]).
    events: Receiver<Option<ReaderEvent>>,
    sender: Sender<Option<ReaderEvent>>,
    monitor: Monitor,
    field: Field,
    /// Context for connecting to cards; rebuilt when pcscd went away.
    context: Option<Context>,
    /// The card session of this tap: one `Card` handle from the first APDU to the signature.
    session: Option<JpkiCard<PcscTransport>>,
    /// The field generation the last tap used: a tap waits for a newer one.
    used_generation: u64,
    /// Events the adapter raised itself (a reset card is still on the field).
    own_events: Vec<ReaderEvent>,
}

impl PcscReader {
    /// Starts watching pcscd for a reader whose name contains `wanted` (any reader if `None`).
    /// Never fails: if pcscd or the reader is missing, the first events say so, and the reader
    /// becomes usable as soon as they appear.
    pub fn start(wanted: Option<&str>) -> std::io::Result<PcscReader> {
        let (sender, events) = mpsc::channel();
        let monitor = Monitor::spawn(wanted.map(str::to_owned), sender.clone())?;
        Ok(PcscReader {
            wanted: wanted.map(str::to_owned),
            events,
            sender,
            monitor,
            field: Field::default(),
            context: None,
            session: None,
            used_generation: 0,
            own_events: Vec::new(),
        })
    }

    /// The reader's field as the events so far describe it.
    pub fn field(&self) -> &Field {
        &self.field
    }

    /// The reader-name filter given at start.
    pub fn wanted(&self) -> Option<&str> {
        self.wanted.as_deref()
    }

    /// Wakes a thread waiting in [`PcscReader::next_event`] from another thread, so one thread
    /// can wait for both reader events and its own work without polling.
    pub fn nudger(&self) -> Nudger {
        Nudger(self.sender.clone())
    }

    /// The next event, waiting up to `timeout` (`None`: do not wait). Keeps [`PcscReader::field`]
    /// current, and closes the card session when its card leaves. `None` when the time is up or
    /// a [`Nudger`] woke the wait.
    pub fn next_event(&mut self, timeout: Option<Duration>) -> Option<ReaderEvent> {
        let event = if !self.own_events.is_empty() {
            Some(self.own_events.remove(0))
        } else {
            match timeout {
                None => self.events.try_recv().ok().flatten(),
                Some(timeout) => self.events.recv_timeout(timeout).ok().flatten(),
            }
        }?;
        self.apply(&event);
        Some(event)
    }

    fn apply(&mut self, event: &ReaderEvent) {
        match event {
            ReaderEvent::Ready { reader, card } => {
                self.field.reader = Some(reader.clone());
                self.field.trouble = None;
                if let Some(atr) = card {
                    self.field.present = true;
                    self.field.atr = atr.clone();
                    self.field.generation += 1;
                }
            }
            ReaderEvent::Down(trouble) => {
                self.field.trouble = Some(*trouble);
                self.field.reader = None;
                self.field.present = false;
                self.session = None;
                // A context from before pcscd went away is dead for good.
                self.context = None;
            }
            ReaderEvent::CardPresent { atr, .. } => {
                self.field.present = true;
                self.field.atr = atr.clone();
                self.field.generation += 1;
            }
            ReaderEvent::CardRemoved { .. } => {
                self.field.present = false;
                self.field.atr.clear();
                self.session = None;
            }
        }
    }

    /// Applies every event already waiting.
    fn drain_events(&mut self) {
        while self.next_event(None).is_some() {}
    }

    /// Waits until `done(field)` holds, for at most `timeout`; false if it never did.
    pub fn wait_until(&mut self, timeout: Duration, done: impl Fn(&Field) -> bool) -> bool {
        let end = Instant::now() + timeout;
        self.drain_events();
        loop {
            if done(&self.field) {
                return true;
            }
            let left = end.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            self.next_event(Some(left));
        }
    }

    /// Waits for a card this kiosk has not used yet to be on the field, and makes it the one
    /// the next operations talk to. False if none came within `timeout`.
    pub fn take_new_card(&mut self, timeout: Duration) -> bool {
        let used = self.used_generation;
        if !self.wait_until(timeout, |f| f.present && f.generation > used) {
            return false;
        }
        self.used_generation = self.field.generation;
        self.session = None;
        true
    }

    /// Waits for the field to be empty. False if the card was still there after `timeout`.
    pub fn wait_for_removal(&mut self, timeout: Duration) -> bool {
        let removed = self.wait_until(timeout, |f| !f.present);
        if removed {
            self.session = None;
        }
        removed
    }

    /// APDU counts of the current card session.
    pub fn stats(&self) -> Option<ApduStats> {
        self.session.as_ref().map(JpkiCard::stats)
    }

    /// Runs one operation on the card on the field, over the tap's one card handle. Never
    /// retried: a failed operation is answered, not repeated.
    pub fn execute(&mut self, op: ReaderOp) -> ReaderReply {
        self.drain_events();
        let identifying = matches!(op, ReaderOp::Identify);
        if self.session.is_none() {
            match self.open_session() {
                Ok(session) => self.session = Some(session),
                Err(Unopened::NoCard) => return ReaderReply::CardGone,
                // Something is on the field but cannot be talked to at all.
                Err(Unopened::Unresponsive) if identifying => {
                    return ReaderReply::Identified(Tapped::Mute);
                }
                Err(Unopened::Unresponsive) => return ReaderReply::CardGone,
                Err(Unopened::Reader(detail)) => return ReaderReply::Fault(detail),
            }
        }
        let Some(session) = self.session.as_mut() else {
            return ReaderReply::CardGone;
        };
        let reply = run_op(session, op);
        let lost = session.transport().lost;
        match lost {
            None => {}
            Some(Lost::Reset) => {
                // Another program reset the card; it is still on the field but has forgotten
                // its selection and PIN. Start over with it as if tapped again.
                info!("the card was reset by another program; treating it as a new tap");
                self.session = None;
                self.own_events.push(ReaderEvent::CardPresent {
                    reader: self.field.reader.clone().unwrap_or_default(),
                    atr: self.field.atr.clone(),
                });
            }
            Some(Lost::Removed) => {
                self.session = None;
            }
        }
        reply
    }

    fn open_session(&mut self) -> Result<JpkiCard<PcscTransport>, Unopened> {
        let Some(reader) = self.field.reader.clone() else {
            return Err(Unopened::NoCard);
        };
        if !self.field.present {
            return Err(Unopened::NoCard);
        }
        let name = CString::new(reader.clone())
            .map_err(|_| Unopened::Reader(format!("reader name {reader:?} holds a NUL")))?;
        let mut last = None;
        // One retry only when the context itself turned out dead (pcscd restarted): no APDU has
        // been sent yet, so nothing can be sent twice.
        for _ in 0..2 {
            let context = match self.context.clone() {
                Some(context) => context,
                None => {
                    let context = Context::establish(Scope::User)
                        .map_err(|e| Unopened::Reader(format!("pcscd ({PCSCD_SOCKET}): {e}")))?;
                    self.context = Some(context.clone());
                    context
                }
            };
            match context.connect(&name, ShareMode::Shared, Protocols::ANY) {
                Ok(card) => {
                    let atr = card
                        .status2_owned()
                        .map(|s| s.atr().to_vec())
                        .unwrap_or_else(|_| self.field.atr.clone());
                    debug!(reader, atr = %crate::card::apdu::hex(&atr), "connected");
                    return Ok(JpkiCard::new(PcscTransport::new(card, atr)));
                }
                Err(e) if context_is_dead(e) => {
                    self.context = None;
                    last = Some(e);
                }
                Err(
                    PcscError::NoSmartcard
                    | PcscError::RemovedCard
                    | PcscError::UnknownReader
                    | PcscError::ReaderUnavailable,
                ) => return Err(Unopened::NoCard),
                Err(
                    PcscError::UnresponsiveCard
                    | PcscError::UnpoweredCard
                    | PcscError::UnsupportedCard,
                ) => {
                    return Err(Unopened::Unresponsive);
                }
                Err(e) => return Err(Unopened::Reader(format!("connect to {reader}: {e}"))),
            }
        }
        Err(Unopened::Reader(format!(
            "pcscd ({PCSCD_SOCKET}): {}",
            last.map_or_else(|| "unreachable".to_string(), |e| e.to_string())
        )))
    }
}

impl Drop for PcscReader {
    fn drop(&mut self) {
        // The card first: its handle belongs to a context the monitor does not share.
        self.session = None;
        self.monitor.stop();
    }
}

/// Why no card session could be opened.
enum Unopened {
    NoCard,
    Unresponsive,
    Reader(String),
}

/// How the card was lost during an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lost {
    Removed,
    Reset,
}

/// Errors after which a context is dead and must be established again.
fn context_is_dead(error: PcscError) -> bool {
    matches!(
        error,
        PcscError::NoService
            | PcscError::ServiceStopped
            | PcscError::InvalidHandle
            | PcscError::CommError
    )
}

/// One card handle as a [`CardTransport`]: each command is transmitted exactly once.
pub struct PcscTransport {
    card: pcsc::Card,
    atr: Vec<u8>,
    buffer: Vec<u8>,
    /// Set once the card is known lost; later transmits fail without touching PC/SC.
    lost: Option<Lost>,
}

impl PcscTransport {
    fn new(card: pcsc::Card, atr: Vec<u8>) -> PcscTransport {
        PcscTransport {
            card,
            atr,
            // A short APDU's answer is at most 256 data bytes and SW1 SW2; extended room costs
            // nothing and turns an over-long answer into data rather than an error after the
            // command already ran.
            buffer: vec![0; pcsc::MAX_BUFFER_SIZE_EXTENDED],
            lost: None,
        }
    }
}

impl CardTransport for PcscTransport {
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        match self.lost {
            Some(Lost::Removed) => return Err(TransportError::CardRemoved),
            Some(Lost::Reset) => return Err(TransportError::CardReset),
            None => {}
        }
        match self.card.transmit(command, &mut self.buffer) {
            // Nothing at all came back, not even a status word: the card stopped answering
            // (vpcd reports a card that hung up this way; a reader whose card left the field
            // mid-command may too).
            Ok([]) => {
                debug!("transmit: no answer at all; the card is gone");
                self.lost = Some(Lost::Removed);
                Err(TransportError::CardRemoved)
            }
            Ok(response) => Ok(response.to_vec()),
            Err(PcscError::ResetCard) => {
                self.lost = Some(Lost::Reset);
                Err(TransportError::CardReset)
            }
            Err(
                e @ (PcscError::RemovedCard
                | PcscError::NoSmartcard
                | PcscError::NotTransacted
                | PcscError::UnpoweredCard
                | PcscError::UnresponsiveCard
                | PcscError::CommError
                | PcscError::NoService
                | PcscError::ServiceStopped
                | PcscError::InvalidHandle
                | PcscError::ReaderUnavailable
                | PcscError::UnknownReader),
            ) => {
                debug!(error = %e, "transmit: the card is gone");
                self.lost = Some(Lost::Removed);
                Err(TransportError::CardRemoved)
            }
            // The command may have run; the caller decides, and never resends.
            Err(e) => Err(TransportError::Reader(format!("transmit: {e}"))),
        }
    }

    fn atr(&self) -> Vec<u8> {
        self.atr.clone()
    }
}

/// The monitor thread and the means to stop it.
struct Monitor {
    thread: Option<JoinHandle<()>>,
    stop: Option<Sender<()>>,
    /// The monitor's current context, so `stop` can cancel its wait.
    context: Arc<Mutex<Option<Context>>>,
}

impl Monitor {
    fn spawn(
        wanted: Option<String>,
        events: Sender<Option<ReaderEvent>>,
    ) -> std::io::Result<Monitor> {
        let (stop, stopped) = mpsc::channel();
        let context = Arc::new(Mutex::new(None));
        let thread = {
            let context = Arc::clone(&context);
            std::thread::Builder::new()
                .name("uketsuke-pcsc-monitor".into())
                .spawn(move || watch(wanted.as_deref(), &events, &stopped, &context))?
        };
        Ok(Monitor {
            thread: Some(thread),
            stop: Some(stop),
            context,
        })
    }

    fn stop(&mut self) {
        // Dropping the sender tells the thread to stop; cancel wakes its wait. A cancel that
        // lands just before the thread starts waiting is lost, so cancel until it has ended.
        self.stop.take();
        let Some(thread) = self.thread.take() else {
            return;
        };
        while !thread.is_finished() {
            if let Some(context) = lock(&self.context).as_ref() {
                let _ = context.cancel();
            }
            std::thread::park_timeout(Duration::from_millis(5));
        }
        let _ = thread.join();
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// True once the kiosk asked the monitor to stop.
fn stopping(stopped: &Receiver<()>) -> bool {
    matches!(
        stopped.try_recv(),
        Err(mpsc::TryRecvError::Disconnected) | Ok(())
    )
}

/// The monitor: establishes a context, picks the reader, and reports every change until told
/// to stop. pcscd going away ends the inner loop; the outer loop waits for its return.
fn watch(
    wanted: Option<&str>,
    events: &Sender<Option<ReaderEvent>>,
    stopped: &Receiver<()>,
    slot: &Mutex<Option<Context>>,
) {
    let mut reporter = Reporter::new(events);
    loop {
        if stopping(stopped) {
            return;
        }
        let context = match Context::establish(Scope::User) {
            Ok(context) => context,
            Err(e) => {
                debug!(error = %e, "pcscd not reachable");
                reporter.down(ReaderTrouble::ServiceNotRunning);
                // pcscd gives no signal when it comes back: ask again shortly.
                match stopped.recv_timeout(SERVICE_RETRY) {
                    Err(RecvTimeoutError::Timeout) => continue,
                    Ok(()) | Err(RecvTimeoutError::Disconnected) => return,
                }
            }
        };
        *lock(slot) = Some(context.clone());
        if stopping(stopped) {
            return;
        }
        let ended = watch_context(&context, wanted, &mut reporter, stopped);
        *lock(slot) = None;
        match ended {
            Ok(()) => return,
            Err(e) => {
                info!(error = %e, "pcscd connection lost; reconnecting");
                reporter.down(ReaderTrouble::ServiceNotRunning);
            }
        }
    }
}

/// Sends events, never the same trouble twice in a row, and a removal for a card on the field
/// when the reader or pcscd vanishes under it.
struct Reporter<'a> {
    events: &'a Sender<Option<ReaderEvent>>,
    trouble: Option<ReaderTrouble>,
    ready: Option<String>,
    card_on: Option<String>,
}

impl<'a> Reporter<'a> {
    fn new(events: &'a Sender<Option<ReaderEvent>>) -> Self {
        Reporter {
            events,
            trouble: None,
            ready: None,
            card_on: None,
        }
    }

    fn send(&self, event: ReaderEvent) {
        // The kiosk went away: nothing left to tell.
        let _ = self.events.send(Some(event));
    }

    fn down(&mut self, trouble: ReaderTrouble) {
        self.card_gone();
        self.ready = None;
        if self.trouble != Some(trouble) {
            warn!(trouble = trouble.as_str(), "the kiosk cannot read cards");
            self.trouble = Some(trouble);
            self.send(ReaderEvent::Down(trouble));
        }
    }

    /// The reader is there, with `card` (its ATR) on it or not: one event, so nobody sees the
    /// reader without knowing what is on it.
    fn ready(&mut self, reader: &str, card: Option<&[u8]>) {
        if self.ready.as_deref() != Some(reader) {
            info!(reader, card = card.is_some(), "reader ready");
            self.trouble = None;
            self.ready = Some(reader.to_owned());
            self.card_on = card.map(|_| reader.to_owned());
            self.send(ReaderEvent::Ready {
                reader: reader.to_owned(),
                card: card.map(<[u8]>::to_vec),
            });
        }
    }

    fn card_present(&mut self, reader: &str, atr: &[u8]) {
        if self.card_on.is_none() {
            self.card_on = Some(reader.to_owned());
            self.send(ReaderEvent::CardPresent {
                reader: reader.to_owned(),
                atr: atr.to_vec(),
            });
        }
    }

    fn card_gone(&mut self) {
        if let Some(reader) = self.card_on.take() {
            self.send(ReaderEvent::CardRemoved { reader });
        }
    }
}

/// Watches one context: the PnP pseudo-reader for readers coming and going, and the chosen
/// reader's field. Returns `Ok` when told to stop, `Err` when the context died.
fn watch_context(
    context: &Context,
    wanted: Option<&str>,
    reporter: &mut Reporter<'_>,
    stopped: &Receiver<()>,
) -> Result<(), PcscError> {
    let mut states = vec![ReaderState::new(pcsc::PNP_NOTIFICATION(), State::UNAWARE)];
    // A reader just chosen is announced once its first status (what lies on it) is known.
    let mut unannounced = false;
    loop {
        if states.len() == 1 {
            match choose_reader(context, wanted) {
                Ok(Some(name)) => {
                    states.push(ReaderState::new(name, State::UNAWARE));
                    unannounced = true;
                }
                Ok(None) => reporter.down(ReaderTrouble::NoReader),
                Err(e) => return Err(e),
            }
        }
        if stopping(stopped) {
            return Ok(());
        }
        match context.get_status_change(None, &mut states) {
            Ok(()) => {}
            Err(PcscError::Cancelled) if stopping(stopped) => return Ok(()),
            Err(PcscError::Cancelled | PcscError::Timeout) => continue,
            // The chosen reader vanished between listing and waiting.
            Err(PcscError::UnknownReader) => {
                states.truncate(1);
                reporter.card_gone();
                continue;
            }
            Err(e) => return Err(e),
        }
        if stopping(stopped) {
            return Ok(());
        }
        if let Some(reader) = states.get(1) {
            let event = reader.event_state();
            let name = reader.name().to_string_lossy().into_owned();
            let gone = event.intersects(State::UNKNOWN | State::IGNORE | State::UNAVAILABLE);
            if unannounced && !gone {
                unannounced = false;
                let card = event.contains(State::PRESENT).then(|| reader.atr());
                reporter.ready(&name, card);
            }
            if gone {
                info!(reader = name, "reader gone");
                reporter.card_gone();
                states.truncate(1);
            } else if event.contains(State::PRESENT) {
                reporter.card_present(&name, reader.atr());
            } else if event.contains(State::EMPTY) {
                reporter.card_gone();
            }
        }
        for state in &mut states {
            state.sync_current_state();
        }
    }
}

/// The first reader whose name contains `wanted` (any reader if `None`).
fn choose_reader(context: &Context, wanted: Option<&str>) -> Result<Option<CString>, PcscError> {
    let readers = match context.list_readers_owned() {
        Ok(readers) => readers,
        Err(PcscError::NoReadersAvailable) => return Ok(None),
        Err(e) => return Err(e),
    };
    Ok(readers
        .into_iter()
        .find(|name| wanted.is_none_or(|w| name.to_string_lossy().contains(w))))
}

/// What `uketsuke doctor` reports about PC/SC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Survey {
    /// `Err` says why pcscd could not be reached.
    pub service: Result<(), String>,
    pub readers: Vec<SurveyedReader>,
    /// The reader the kiosk would use.
    pub chosen: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SurveyedReader {
    pub name: String,
    /// `None`: empty field; `Some(atr)`: something is on it.
    pub card_atr: Option<Vec<u8>>,
}

/// Asks pcscd, once and without waiting, which readers there are and what is on them.
pub fn survey(wanted: Option<&str>) -> Survey {
    let context = match Context::establish(Scope::User) {
        Ok(context) => context,
        Err(e) => {
            return Survey {
                service: Err(format!("cannot reach pcscd at {PCSCD_SOCKET}: {e}")),
                readers: Vec::new(),
                chosen: None,
            };
        }
    };
    let names = match context.list_readers_owned() {
        Ok(names) => names,
        Err(PcscError::NoReadersAvailable) => Vec::new(),
        Err(e) => {
            return Survey {
                service: Err(format!("pcscd at {PCSCD_SOCKET} cannot list readers: {e}")),
                readers: Vec::new(),
                chosen: None,
            };
        }
    };
    let mut states: Vec<ReaderState> = names
        .iter()
        .map(|n| ReaderState::new(n.clone(), State::UNAWARE))
        .collect();
    if !states.is_empty() {
        // With UNAWARE, pcscd answers at once with the current state.
        let _ = context.get_status_change(Duration::from_millis(500), &mut states);
    }
    let readers = states
        .iter()
        .map(|s| SurveyedReader {
            name: s.name().to_string_lossy().into_owned(),
            card_atr: s
                .event_state()
                .contains(State::PRESENT)
                .then(|| s.atr().to_vec()),
        })
        .collect::<Vec<_>>();
    let chosen = readers
        .iter()
        .find(|r| wanted.is_none_or(|w| r.name.contains(w)))
        .map(|r| r.name.clone());
    Survey {
        service: Ok(()),
        readers,
        chosen,
    }
}
