//! The PC/SC reader: a real NFC reader through pcscd, the only module that knows the `pcsc`
//! crate.
//!
//! Owns: the PC/SC contexts (rebuilt after pcscd goes away: an old context looks valid but is
//! dead for good), the choice of reader (every slot is watched; a slot holding a SAM or a
//! security key from the start is ignored and never talked to; the contactless slot is
//! preferred), the monitor thread that turns `SCardGetStatusChange` into the chosen reader's
//! card present/removed and reader up/down events (woken by `SCardCancel` to stop; no
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
    /// A substring of the reader's name to use; any reader otherwise (see [`choose_slot`]).
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
    /// Starts watching pcscd for a reader whose name contains `wanted` (any reader if `None`;
    /// the choice among several: [`choose_slot`]).
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

/// Flags of a reader pcscd lists but that cannot be used now (being removed, or in trouble).
fn unusable(state: State) -> bool {
    state.intersects(State::UNKNOWN | State::IGNORE | State::UNAVAILABLE)
}

/// Whether `atr` has the shape PC/SC part 3 (3.1.3.2.3) gives the ATR a contactless reader
/// builds for what answered on its field: `3B 8n 80 01 …` (ISO 14443-4 cards and phones, and
/// storage cards such as FeliCa alike). A card in a contact slot (a SAM, a security key) sends
/// its own ATR, which has another shape. For choosing slots only, and looser on purpose than
/// [`crate::card::atr::contactless_kind`] (which also checks the length and TCK): a slot is
/// given up only for an ATR that is plainly not reader-built. What a tapped thing is, is the
/// `card` module's to tell.
pub fn reader_built_contactless(atr: &[u8]) -> bool {
    matches!(atr, [0x3B, t0, 0x80, 0x01, ..] if t0 & 0xF0 == 0x80)
}

/// Whether a slot holding `card` when first seen is ignored for as long as that card stays:
/// something is there, with an ATR no contactless reader builds. A mute thing (no ATR) is not a
/// reason to give up a slot.
fn ignored_at_first_sight(card: Option<&[u8]>) -> bool {
    card.is_some_and(|atr| !atr.is_empty() && !reader_built_contactless(atr))
}

/// Whether a reader's name says it is the contactless slot of its device (ACS readers list a
/// `PICC` and a `SAM` slot; others say "Contactless").
fn named_contactless(name: &str) -> bool {
    name.contains("PICC") || name.to_ascii_lowercase().contains("contactless")
}

/// The slot the kiosk reads cards on, as an index into `slots` (name, ignored), given in
/// pcscd's order: among the slots not ignored whose name contains `wanted` (any if `None`), the
/// first named as contactless, else the first. `None` if no slot qualifies.
pub fn choose_slot(slots: &[(&str, bool)], wanted: Option<&str>) -> Option<usize> {
    let candidates = || {
        slots
            .iter()
            .enumerate()
            .filter(|(_, (name, ignored))| !ignored && wanted.is_none_or(|w| name.contains(w)))
    };
    candidates()
        .find(|(_, (name, _))| named_contactless(name))
        .or_else(|| candidates().next())
        .map(|(index, _)| index)
}

/// What the monitor knows of one slot pcscd lists.
#[derive(Debug, Clone, PartialEq, Eq)]
enum SlotSeen {
    /// No status yet (just listed).
    NotYet,
    /// Listed, but pcscd says it cannot be used now.
    Unusable,
    /// Usable. `card`: the ATR of what is on it; `ignored`: the ATR of the card it held when
    /// first seen, while that card stays (nothing is ever sent to it).
    Usable {
        card: Option<Vec<u8>>,
        ignored: Option<Vec<u8>>,
    },
}

impl SlotSeen {
    /// The next state after pcscd reported `state` with `atr`.
    fn next(&self, name: &str, state: State, atr: &[u8]) -> SlotSeen {
        if unusable(state) {
            return SlotSeen::Unusable;
        }
        let card = state.contains(State::PRESENT).then(|| atr.to_vec());
        let ignored = match self {
            // First sight (or back after being unusable: a reader plugged in again).
            SlotSeen::NotYet | SlotSeen::Unusable => {
                let ignored = ignored_at_first_sight(card.as_deref()).then(|| card.clone());
                if let Some(Some(atr)) = &ignored {
                    info!(
                        reader = name,
                        atr = %crate::card::apdu::hex(atr),
                        "slot ignored: it holds a card that never leaves (a SAM or a security key)"
                    );
                }
                ignored.flatten()
            }
            SlotSeen::Usable { ignored, .. } => match ignored {
                Some(held) if card.as_ref() == Some(held) => Some(held.clone()),
                Some(_) => {
                    info!(
                        reader = name,
                        "the card that kept this slot ignored left it; it may be used now"
                    );
                    None
                }
                None => None,
            },
        };
        SlotSeen::Usable { card, ignored }
    }

    fn is_ignored(&self) -> bool {
        matches!(
            self,
            SlotSeen::Usable {
                ignored: Some(_),
                ..
            }
        )
    }
}

/// One slot the monitor watches.
struct Slot {
    name: String,
    seen: SlotSeen,
}

/// The readers pcscd lists, in its order; none is not an error.
fn list_readers(context: &Context) -> Result<Vec<CString>, PcscError> {
    match context.list_readers_owned() {
        Ok(readers) => Ok(readers),
        Err(PcscError::NoReadersAvailable) => Ok(Vec::new()),
        Err(e) => Err(e),
    }
}

/// Rebuilds the watch list from pcscd's list `names`: slots still listed keep what is known of
/// them (and their state, so no change is missed); new ones start unaware.
fn relist(names: Vec<CString>, slots: &mut Vec<Slot>, states: &mut Vec<ReaderState>) {
    let mut old_states = std::mem::take(states).into_iter();
    let pnp = old_states
        .next()
        .unwrap_or_else(|| ReaderState::new(pcsc::PNP_NOTIFICATION(), State::UNAWARE));
    let mut old: Vec<(Slot, ReaderState)> =
        std::mem::take(slots).into_iter().zip(old_states).collect();
    states.push(pnp);
    for name in names {
        let text = name.to_string_lossy().into_owned();
        match old.iter().position(|(slot, _)| slot.name == text) {
            Some(at) => {
                let (slot, state) = old.swap_remove(at);
                slots.push(slot);
                states.push(state);
            }
            None => {
                debug!(reader = text, "reader listed");
                slots.push(Slot {
                    name: text,
                    seen: SlotSeen::NotYet,
                });
                states.push(ReaderState::new(name, State::UNAWARE));
            }
        }
    }
}

/// Watches one context with one `SCardGetStatusChange` over the PnP pseudo-reader (readers
/// coming and going) and every reader pcscd lists, so that each slot is judged by what it held
/// when first seen (see [`choose_slot`]). Only the chosen reader's field becomes events; if it
/// vanishes, another is chosen. Returns `Ok` when told to stop, `Err` when the context died.
fn watch_context(
    context: &Context,
    wanted: Option<&str>,
    reporter: &mut Reporter<'_>,
    stopped: &Receiver<()>,
) -> Result<(), PcscError> {
    // states[0] is the PnP pseudo-reader; states[i + 1] is slots[i].
    let mut states = vec![ReaderState::new(pcsc::PNP_NOTIFICATION(), State::UNAWARE)];
    let mut slots: Vec<Slot> = Vec::new();
    let mut chosen: Option<String> = None;
    let mut listed = false;
    loop {
        if !listed {
            listed = true;
            relist(list_readers(context)?, &mut slots, &mut states);
        }
        // Choose once every slot's first status is known: a slot is judged at first sight.
        if chosen.is_none() && slots.iter().all(|s| s.seen != SlotSeen::NotYet) {
            let judged: Vec<(&str, bool)> = slots
                .iter()
                .map(|s| {
                    let usable = matches!(s.seen, SlotSeen::Usable { .. });
                    (s.name.as_str(), !usable || s.seen.is_ignored())
                })
                .collect();
            match choose_slot(&judged, wanted) {
                Some(at) => {
                    let slot = &slots[at];
                    let card = match &slot.seen {
                        SlotSeen::Usable { card, .. } => card.as_deref(),
                        _ => None,
                    };
                    reporter.ready(&slot.name, card);
                    chosen = Some(slot.name.clone());
                }
                None => reporter.down(ReaderTrouble::NoReader),
            }
        }
        if stopping(stopped) {
            return Ok(());
        }
        match context.get_status_change(None, &mut states) {
            Ok(()) => {}
            Err(PcscError::Cancelled) if stopping(stopped) => return Ok(()),
            Err(PcscError::Cancelled | PcscError::Timeout) => continue,
            // A reader vanished between listing and waiting.
            Err(PcscError::UnknownReader) => {
                listed = false;
                if let Some(name) = chosen.take() {
                    info!(reader = name, "reader gone");
                    reporter.card_gone();
                }
                continue;
            }
            Err(e) => return Err(e),
        }
        if stopping(stopped) {
            return Ok(());
        }
        if states[0].event_state().contains(State::CHANGED) {
            // A reader came or went: list them again after this round.
            listed = false;
        }
        for (slot, state) in slots.iter_mut().zip(&states[1..]) {
            slot.seen = slot.seen.next(&slot.name, state.event_state(), state.atr());
            if chosen.as_deref() != Some(slot.name.as_str()) {
                continue;
            }
            match &slot.seen {
                SlotSeen::Usable {
                    card: Some(atr), ..
                } => reporter.card_present(&slot.name, atr),
                SlotSeen::Usable { card: None, .. } => reporter.card_gone(),
                SlotSeen::NotYet | SlotSeen::Unusable => {
                    info!(reader = slot.name, "reader gone");
                    reporter.card_gone();
                    chosen = None;
                }
            }
        }
        for state in &mut states {
            state.sync_current_state();
        }
        if !listed && let Some(name) = &chosen {
            // Relisting drops a chosen reader that is no longer listed.
            let names = list_readers(context)?;
            if !names.iter().any(|n| n.to_string_lossy() == name.as_str()) {
                info!(reader = name, "reader gone");
                reporter.card_gone();
                chosen = None;
            }
            relist(names, &mut slots, &mut states);
            listed = true;
        }
    }
}

/// What the kiosk makes of one slot pcscd lists (shown by `uketsuke doctor`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlotRole {
    /// The slot the kiosk reads cards on.
    Chosen,
    /// Could be used; another slot is preferred.
    Candidate,
    /// Its name does not contain the wanted name (`--reader pcsc:NAME`, facility.json's
    /// `reader_name`).
    OtherName,
    /// Held a card no contactless reader builds an ATR for (a SAM, a security key) when first
    /// seen: nothing is ever sent to it while that card stays.
    Ignored,
    /// Listed, but pcscd says it cannot be used now.
    Unavailable,
}

impl SlotRole {
    /// Stable, for scripts: `chosen`, `candidate`, `other-name`, `ignored`, `unavailable`.
    pub fn as_str(self) -> &'static str {
        match self {
            SlotRole::Chosen => "chosen",
            SlotRole::Candidate => "candidate",
            SlotRole::OtherName => "other-name",
            SlotRole::Ignored => "ignored",
            SlotRole::Unavailable => "unavailable",
        }
    }

    /// Why, in a technician's words.
    pub fn why(self) -> &'static str {
        match self {
            SlotRole::Chosen => "the kiosk reads cards here",
            SlotRole::Candidate => "could read cards; the kiosk prefers another slot",
            SlotRole::OtherName => "its name does not contain the reader name asked for",
            SlotRole::Ignored => {
                "holds a card that never leaves (a SAM or a security key); the kiosk never \
                 talks to it"
            }
            SlotRole::Unavailable => "pcscd lists it but cannot use it now: re-plug the reader",
        }
    }
}

/// What `uketsuke doctor` reports about PC/SC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Survey {
    /// `Err` says why pcscd could not be reached.
    pub service: Result<(), String>,
    /// Every reader pcscd lists, in its order.
    pub readers: Vec<SurveyedReader>,
    /// The reader the kiosk would use.
    pub chosen: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SurveyedReader {
    pub name: String,
    /// `None`: empty field; `Some(atr)`: something is on it.
    pub card_atr: Option<Vec<u8>>,
    /// What a kiosk starting now would make of it (the rules of [`choose_slot`]).
    pub role: SlotRole,
}

/// Asks pcscd, once and without waiting, which readers there are, what is on them, and which
/// one a kiosk starting now would use (the monitor's rules: see [`choose_slot`]).
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
    let names = match list_readers(&context) {
        Ok(names) => names,
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
    let seen: Vec<(String, SlotSeen)> = states
        .iter()
        .map(|s| {
            let name = s.name().to_string_lossy().into_owned();
            let seen = SlotSeen::NotYet.next(&name, s.event_state(), s.atr());
            (name, seen)
        })
        .collect();
    let judged: Vec<(&str, bool)> = seen
        .iter()
        .map(|(name, seen)| {
            let usable = matches!(seen, SlotSeen::Usable { .. });
            (name.as_str(), !usable || seen.is_ignored())
        })
        .collect();
    let chosen = choose_slot(&judged, wanted);
    let readers = seen
        .iter()
        .enumerate()
        .map(|(at, (name, seen))| {
            let role = match seen {
                _ if chosen == Some(at) => SlotRole::Chosen,
                SlotSeen::NotYet | SlotSeen::Unusable => SlotRole::Unavailable,
                SlotSeen::Usable {
                    ignored: Some(_), ..
                } => SlotRole::Ignored,
                SlotSeen::Usable { .. } if wanted.is_some_and(|w| !name.contains(w)) => {
                    SlotRole::OtherName
                }
                SlotSeen::Usable { .. } => SlotRole::Candidate,
            };
            SurveyedReader {
                name: name.clone(),
                card_atr: match seen {
                    SlotSeen::Usable { card, .. } => card.clone(),
                    _ => None,
                },
                role,
            }
        })
        .collect::<Vec<_>>();
    Survey {
        service: Ok(()),
        chosen: chosen.map(|at| readers[at].name.clone()),
        readers,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAM: [u8; 28] = [
        0x3B, 0xDF, 0x18, 0xFF, 0x81, 0xF1, 0xFE, 0x43, 0x00, 0x3F, 0x03, 0x83, 0x4D, 0x49, 0x46,
        0x41, 0x52, 0x45, 0x20, 0x50, 0x6C, 0x75, 0x73, 0x20, 0x53, 0x41, 0x4D, 0x3B,
    ];
    const YUBIKEY: [u8; 23] = [
        0x3B, 0xFD, 0x13, 0x00, 0x00, 0x81, 0x31, 0xFE, 0x15, 0x80, 0x73, 0xC0, 0x21, 0xC0, 0x57,
        0x59, 0x75, 0x62, 0x69, 0x4B, 0x65, 0x79, 0x40,
    ];
    const MY_NUMBER: [u8; 13] = [
        0x3B, 0x88, 0x80, 0x01, 0x00, 0x4B, 0x51, 0xFF, 0xB3, 0x81, 0xD1, 0x00, 0x0F,
    ];
    const FELICA: [u8; 20] = [
        0x3B, 0x8F, 0x80, 0x01, 0x80, 0x4F, 0x0C, 0xA0, 0x00, 0x00, 0x03, 0x06, 0x11, 0x00, 0x3B,
        0x00, 0x00, 0x00, 0x00, 0x42,
    ];

    #[test]
    fn only_reader_built_contactless_atrs_keep_a_slot_at_first_sight() {
        assert!(ignored_at_first_sight(Some(&SAM)));
        assert!(ignored_at_first_sight(Some(&YUBIKEY)));
        assert!(!ignored_at_first_sight(Some(&MY_NUMBER)));
        assert!(!ignored_at_first_sight(Some(&FELICA)));
        assert!(!ignored_at_first_sight(Some(&[
            0x3B, 0x80, 0x80, 0x01, 0x01
        ])));
        assert!(!ignored_at_first_sight(Some(&[])), "mute: not a reason");
        assert!(!ignored_at_first_sight(None));
        // The card module's full reading agrees on each (it is stricter, never looser).
        use crate::card::atr::{AtrKind, contactless_kind};
        for atr in [&SAM[..], &YUBIKEY] {
            assert_eq!(contactless_kind(atr), AtrKind::Contact);
        }
        for atr in [&MY_NUMBER[..], &FELICA] {
            assert_ne!(contactless_kind(atr), AtrKind::Contact);
        }
    }

    #[test]
    fn the_contactless_slot_is_preferred_and_ignored_slots_never_chosen() {
        let acs = [
            (
                "ACS ACR1252 1S CL Reader [ACR1252 1S CL Reader SAM] 00 01",
                false,
            ),
            (
                "ACS ACR1252 1S CL Reader [ACR1252 1S CL Reader PICC] 00 00",
                false,
            ),
        ];
        assert_eq!(
            choose_slot(&acs, None),
            Some(1),
            "PICC before pcscd's order"
        );
        let sam_first = [
            ("Virtual JPKI Reader 00 00", true),
            ("Virtual JPKI Reader 00 01", false),
        ];
        assert_eq!(choose_slot(&sam_first, None), Some(1));
        assert_eq!(
            choose_slot(&sam_first, Some("00 00")),
            None,
            "never the ignored one"
        );
        let plain = [("A 00 00", false), ("B Contactless 00 00", false)];
        assert_eq!(choose_slot(&plain, None), Some(1));
        assert_eq!(choose_slot(&plain, Some("A")), Some(0));
        assert_eq!(choose_slot(&[("A", false), ("B", false)], None), Some(0));
        assert_eq!(choose_slot(&[], None), None);
    }

    #[test]
    fn an_ignored_slot_stays_ignored_until_its_card_leaves() {
        let name = "SAM slot";
        let present = State::PRESENT;
        let first = SlotSeen::NotYet.next(name, present, &YUBIKEY);
        assert!(first.is_ignored());
        let again = first.next(name, present | State::INUSE, &YUBIKEY);
        assert!(again.is_ignored(), "the same card, still there");
        let emptied = again.next(name, State::EMPTY, &[]);
        assert!(!emptied.is_ignored());
        // A card put there later is a tap, not a SAM left from the start.
        assert!(!emptied.next(name, present, &YUBIKEY).is_ignored());
        // Another card in its place without an empty field seen in between.
        assert!(!first.next(name, present, &SAM).is_ignored());
        // A reader that goes away and comes back is seen anew.
        let back = again
            .next(name, State::UNAVAILABLE, &[])
            .next(name, present, &YUBIKEY);
        assert!(back.is_ignored());
        assert!(
            !SlotSeen::NotYet
                .next(name, present, &MY_NUMBER)
                .is_ignored()
        );
    }
}
