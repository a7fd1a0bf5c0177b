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
//! Card I/O runs on a thread of its own per card handle ([`CardIo`]), waited on for a bounded
//! time ([`APDU_BOUND`], [`CONNECT_BOUND`]): a call stuck inside libpcsclite (another program's
//! transaction, a wedged reader) is reported as a fault and its handle abandoned, never waited on
//! for ever and never re-sent. Reader faults with the card still on the field are counted across
//! taps; [`FAULTS_BEFORE_OUT_OF_ORDER`] in a row, or another program holding the reader, take the
//! reader out of service ([`ReaderEvent::Down`]) until it answers again.
//! Must not know: APDU bytes (the `card` module), the flow's states, the screen.

use std::ffi::CString;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use pcsc::{
    Context, Disposition, Error as PcscError, Protocols, ReaderState, Scope, ShareMode, State,
    Status,
};
use tracing::{debug, info, warn};

use super::{run_op, trouble_text};
use crate::card::apdu::check_short;
use crate::card::jpki::{ApduStats, JpkiCard};
use crate::card::{CardTransport, TransportError};
use crate::domain::Tapped;
use crate::flow::ports::{ReaderOp, ReaderReply, ReaderTrouble};

/// How long the monitor waits before asking pcscd again while it is not running. The kiosk is
/// usable again within this much of pcscd's return.
pub const SERVICE_RETRY: Duration = Duration::from_millis(200);

/// The socket pcscd listens on (named in technicians' messages).
pub const PCSCD_SOCKET: &str = "/run/pcscd/pcscd.comm";

/// How long one APDU may take before the kiosk stops waiting for it. ISO/IEC 14443-4's frame
/// waiting time is FWT = 256 × 16 / fc × 2^FWI (fc = 13.56 MHz): 2.47 s at FWI 13, which the
/// newer My Number cards declare (`3B 88 80 01 00 4B 51 FF B3 81 D1 00 0F`: protocol info
/// `B3 81 D1`, FWI = `D`), 4.95 s at FWI 14, the most a card may declare; 6 s leaves the reader
/// room for one retransmission. A transmit not back by then is reported as a reader fault, its
/// handle abandoned (the command is never sent again) and released when libpcsclite lets go.
/// The flow's own per-operation deadline (`reader_timeout_seconds`, 10 s by default) covers a
/// 2.5 s signature and the operation's other APDUs, which answer in milliseconds.
pub const APDU_BOUND: Duration = Duration::from_secs(6);

/// How long connecting to the card may take, retries included. pcsc-lite's `SCardConnect`
/// blocks for as long as another program holds a transaction on the reader
/// (`SCardBeginTransaction`), and answers `SCARD_E_SHARING_VIOLATION` at once while another
/// program is connected `EXCLUSIVE`; past this bound the reader is in use by another program.
pub const CONNECT_BOUND: Duration = Duration::from_secs(2);

/// How often a connect refused with `SCARD_E_SHARING_VIOLATION` is tried again, within
/// [`CONNECT_BOUND`].
const CONNECT_RETRY_EVERY: Duration = Duration::from_millis(100);

/// How long asking PC/SC whether the card is still there (`SCardStatus`, after a failed
/// transmit) may take.
const STATUS_BOUND: Duration = Duration::from_secs(2);

/// While another program holds the reader, how often the adapter looks whether it let go
/// (nothing in PC/SC reports the end of another program's transaction).
pub const IN_USE_RECHECK: Duration = Duration::from_secs(1);

/// Reader faults in a row (the card still on the field, no operation that worked in between,
/// counted across taps) that take the reader out of service: one is a bad tap (the patient is
/// asked to tap again), two are a reader that stopped answering.
pub const FAULTS_BEFORE_OUT_OF_ORDER: u32 = 2;

/// After a reader fault with the card "still present", how long the adapter waits for the
/// monitor to report the card leaving anyway (a card pulled away mid-command can fail the
/// transmit before the reader notices it is gone) before counting the fault.
const REMOVAL_GRACE: Duration = Duration::from_millis(600);

/// The probe of a reader: the card module's GET DATA for the UID
/// ([`crate::card::jpki::reader_get_uid`], `FF CA 00 00 00`), answered by the reader itself and
/// seen by no card application. A reader that answers it (any status word) works again.
pub fn reader_probe() -> Vec<u8> {
    crate::card::jpki::reader_get_uid().to_bytes()
}

/// Something the reader noticed on its own, in the order it happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReaderEvent {
    /// The chosen reader is there and pcscd answers; `card` is the ATR of what already lies on
    /// it (a card left there counts as placed).
    Ready {
        reader: String,
        card: Option<Vec<u8>>,
    },
    /// The kiosk cannot read cards: pcscd is not running, or no (matching) reader is attached
    /// (from the monitor); or the reader stopped answering, or another program holds it (from
    /// the adapter itself, which sends `Ready` once the reader answers again).
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

/// Opens a card I/O thread on the named reader (`direct`: without a card, to see whether the
/// reader is free). [`CardIo::start`] in the kiosk; a scripted link in this module's tests.
type Opener = Box<dyn FnMut(&CString, bool) -> std::io::Result<CardIo> + Send>;

/// A PC/SC reader and the card on it.
pub struct PcscReader {
    /// A substring of the reader's name to use; any reader otherwise (see [`choose_slot`]).
    wanted: Option<String>,
    /// `None` is a nudge: someone wants the waiting thread back (see [`Nudger`]).
    events: Receiver<Option<ReaderEvent>>,
    sender: Sender<Option<ReaderEvent>>,
    monitor: Monitor,
    field: Field,
    open: Opener,
    /// How long one APDU may take ([`APDU_BOUND`]; shorter in this module's tests).
    apdu_bound: Duration,
    /// The card session of this tap: one `Card` handle from the first APDU to the signature.
    session: Option<JpkiCard<PcscTransport>>,
    /// The field generation the last tap used: a tap waits for a newer one.
    used_generation: u64,
    /// Events the adapter raised itself (a reset card is still on the field; the reader out of
    /// order and back).
    own_events: Vec<ReaderEvent>,
    /// Reader faults with the card still on the field since the last operation that worked
    /// (see [`FAULTS_BEFORE_OUT_OF_ORDER`]).
    faults_in_a_row: u32,
    /// Why the adapter itself took the reader out of service, while it is out.
    out_of_order: Option<ReaderTrouble>,
    /// While another program holds the reader: the one connect still waiting inside
    /// libpcsclite for it to let go (never more than one), and when the reader was last looked at.
    pending_connect: Option<CardIo>,
    last_recheck: Option<Instant>,
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
            open: Box::new(|reader, direct| CardIo::start(reader.clone(), direct)),
            apdu_bound: APDU_BOUND,
            session: None,
            used_generation: 0,
            own_events: Vec::new(),
            faults_in_a_row: 0,
            out_of_order: None,
            pending_connect: None,
            last_recheck: None,
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
    ///
    /// While the adapter holds the reader out of service it looks again on each change the
    /// monitor reports (a card placed: [`reader_probe`]), and every [`IN_USE_RECHECK`] while
    /// another program holds it; once the reader answers, the event is `Ready`.
    pub fn next_event(&mut self, timeout: Option<Duration>) -> Option<ReaderEvent> {
        if !self.own_events.is_empty() {
            let event = self.own_events.remove(0);
            self.apply(&event);
            return Some(event);
        }
        let in_use = self.out_of_order == Some(ReaderTrouble::ReaderInUse);
        let wait = match timeout {
            Some(timeout) if in_use => Some(timeout.min(IN_USE_RECHECK)),
            other => other,
        };
        let received = match wait {
            None => self.events.try_recv().ok().flatten(),
            Some(wait) => self.events.recv_timeout(wait).ok().flatten(),
        };
        match received {
            Some(event) => {
                self.apply(&event);
                self.recheck(Some(event))
            }
            None if in_use => self.recheck(None),
            None => None,
        }
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
            ReaderEvent::Down(
                trouble @ (ReaderTrouble::ReaderNotAnswering | ReaderTrouble::ReaderInUse),
            ) => {
                // The adapter's own finding: the reader is still there, with what lies on it.
                self.field.trouble = Some(*trouble);
                self.session = None;
            }
            ReaderEvent::Down(trouble) => {
                self.field.trouble = Some(*trouble);
                self.field.reader = None;
                self.field.present = false;
                self.session = None;
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

    /// While the adapter holds the reader out of service: looks whether it works again after
    /// `seen` (a monitor event, already applied; `None` when a wait ran out). Answers `seen`,
    /// or `Ready` with what lies on the field once the reader answers.
    fn recheck(&mut self, seen: Option<ReaderEvent>) -> Option<ReaderEvent> {
        let Some(trouble) = self.out_of_order else {
            return seen;
        };
        let back = match (&seen, trouble) {
            // The reader vanished or came back (re-plugged, pcscd restarted): the monitor's word
            // stands, and the count starts again.
            (Some(ReaderEvent::Ready { .. } | ReaderEvent::Down(_)), _) => {
                info!(was = trouble.as_str(), "the reader went and came back");
                self.back_in_service();
                return seen;
            }
            (Some(ReaderEvent::CardPresent { .. }), ReaderTrouble::ReaderNotAnswering) => {
                self.reader_answers_probe()
            }
            (_, ReaderTrouble::ReaderInUse)
                if self
                    .last_recheck
                    .is_none_or(|at| at.elapsed() >= IN_USE_RECHECK) =>
            {
                self.reader_is_free()
            }
            _ => false,
        };
        if !back {
            return seen;
        }
        info!(
            was = trouble.as_str(),
            reader = self.field.reader.as_deref().unwrap_or_default(),
            "the card reader answers again"
        );
        self.back_in_service();
        let ready = ReaderEvent::Ready {
            reader: self.field.reader.clone().unwrap_or_default(),
            card: self.field.present.then(|| self.field.atr.clone()),
        };
        self.apply(&ready);
        Some(ready)
    }

    fn back_in_service(&mut self) {
        self.out_of_order = None;
        self.faults_in_a_row = 0;
        self.pending_connect = None;
        self.last_recheck = None;
    }

    /// Takes the reader out of service for `trouble`, once; `detail` names the reader and the
    /// PC/SC error for the log.
    fn out_of_service(&mut self, trouble: ReaderTrouble, detail: &str) {
        self.session = None;
        if self.out_of_order.is_some() {
            return;
        }
        warn!(
            trouble = trouble.as_str(),
            code = super::trouble_code(trouble),
            reader = self.field.reader.as_deref().unwrap_or_default(),
            detail,
            "{}",
            trouble_text(trouble)
        );
        self.out_of_order = Some(trouble);
        self.last_recheck = Some(Instant::now());
        self.own_events.push(ReaderEvent::Down(trouble));
    }

    /// A card is on the field: connects and sends [`reader_probe`]. True if the reader answered
    /// it with a status word.
    fn reader_answers_probe(&mut self) -> bool {
        let Some(name) = self.reader_name() else {
            return false;
        };
        let Ok(io) = (self.open)(&name, false) else {
            return false;
        };
        if !matches!(io.connected(CONNECT_BOUND), Some(Ok(_))) {
            return false;
        }
        let answer = io.call(IoJob::Probe(reader_probe()), self.apdu_bound);
        debug!(?answer, "reader probe");
        matches!(answer, Some(IoAnswer::Transmitted(Ok(ref r))) if r.len() >= 2)
    }

    /// Whether another program let go of the reader: a direct connect (which needs no card)
    /// succeeds. Keeps one connect waiting while a transaction holds the reader.
    fn reader_is_free(&mut self) -> bool {
        self.last_recheck = Some(Instant::now());
        let io = match self.pending_connect.take() {
            Some(io) => io,
            None => {
                let Some(name) = self.reader_name() else {
                    return false;
                };
                match (self.open)(&name, true) {
                    Ok(io) => io,
                    Err(_) => return false,
                }
            }
        };
        match io.connected(Duration::from_millis(200)) {
            // Still inside libpcsclite: the other program holds a transaction.
            None => {
                self.pending_connect = Some(io);
                false
            }
            Some(Err(PcscError::SharingViolation)) => false,
            Some(Ok(_)) => true,
            // The reader vanished or pcscd stopped: the monitor reports that.
            Some(Err(e)) => {
                debug!(error = %e, "in-use recheck");
                true
            }
        }
    }

    fn reader_name(&self) -> Option<CString> {
        CString::new(self.field.reader.clone()?).ok()
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
    /// retried: a failed operation is answered, not repeated. While the reader is out of
    /// service nothing is sent (a fault is answered).
    pub fn execute(&mut self, op: ReaderOp) -> ReaderReply {
        self.drain_events();
        if let Some(trouble) = self.out_of_order {
            return ReaderReply::Fault(format!(
                "{} (nothing sent while it is out of service)",
                trouble_text(trouble)
            ));
        }
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
                Err(Unopened::InUse(detail)) => {
                    self.out_of_service(ReaderTrouble::ReaderInUse, &detail);
                    return ReaderReply::Fault(detail);
                }
                Err(Unopened::Reader(detail)) => return ReaderReply::Fault(detail),
            }
        }
        let Some(session) = self.session.as_mut() else {
            return ReaderReply::CardGone;
        };
        let reply = run_op(session, op);
        let lost = session.transport().lost.clone();
        match lost {
            None => self.faults_in_a_row = 0,
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
            Some(Lost::ReaderFault(_)) if self.wait_until(REMOVAL_GRACE, |f| !f.present) => {
                // PC/SC still said "present" while the card was leaving: a removal after all.
                debug!("the card left just after the reader failed: not a reader fault");
                self.session = None;
            }
            Some(Lost::ReaderFault(detail)) => {
                self.session = None;
                self.faults_in_a_row += 1;
                warn!(
                    reader = self.field.reader.as_deref().unwrap_or_default(),
                    faults_in_a_row = self.faults_in_a_row,
                    detail,
                    "card reader fault with the card on it"
                );
                if self.faults_in_a_row >= FAULTS_BEFORE_OUT_OF_ORDER {
                    self.out_of_service(ReaderTrouble::ReaderNotAnswering, &detail);
                }
            }
            Some(Lost::InUse(detail)) => {
                self.out_of_service(ReaderTrouble::ReaderInUse, &detail);
            }
        }
        reply
    }

    /// Connects to the card on the field on a card I/O thread of its own, within
    /// [`CONNECT_BOUND`]: a connect refused because another program holds the reader
    /// exclusively is tried again meanwhile; one that does not return (another program's
    /// transaction) is left waiting and the reader reported in use.
    fn open_session(&mut self) -> Result<JpkiCard<PcscTransport>, Unopened> {
        let Some(reader) = self.field.reader.clone() else {
            return Err(Unopened::NoCard);
        };
        if !self.field.present {
            return Err(Unopened::NoCard);
        }
        let name = CString::new(reader.clone())
            .map_err(|_| Unopened::Reader(format!("reader name {reader:?} holds a NUL")))?;
        let start = Instant::now();
        loop {
            let io = (self.open)(&name, false).map_err(|e| {
                Unopened::Reader(format!("cannot start a card I/O thread for {reader}: {e}"))
            })?;
            let left = CONNECT_BOUND.saturating_sub(start.elapsed());
            match io.connected(left.max(CONNECT_RETRY_EVERY)) {
                None => {
                    self.pending_connect = Some(io);
                    return Err(Unopened::InUse(format!(
                        "connecting to the card reader {reader} did not return within {} s: \
                         another program holds a transaction on it (SCardBeginTransaction)",
                        CONNECT_BOUND.as_secs()
                    )));
                }
                Some(Ok(atr)) => {
                    let atr = if atr.is_empty() {
                        self.field.atr.clone()
                    } else {
                        atr
                    };
                    debug!(reader, atr = %crate::card::apdu::hex(&atr), "connected");
                    let transport = PcscTransport::new(io, atr, reader, self.apdu_bound);
                    return Ok(JpkiCard::new(transport));
                }
                Some(Err(PcscError::SharingViolation)) if start.elapsed() < CONNECT_BOUND => {
                    std::thread::sleep(CONNECT_RETRY_EVERY);
                }
                Some(Err(PcscError::SharingViolation)) => {
                    return Err(Unopened::InUse(format!(
                        "another program is using the card reader {reader}: connected \
                         exclusively for {} s (SCARD_E_SHARING_VIOLATION)",
                        CONNECT_BOUND.as_secs()
                    )));
                }
                Some(Err(
                    PcscError::NoSmartcard
                    | PcscError::RemovedCard
                    | PcscError::UnknownReader
                    | PcscError::ReaderUnavailable,
                )) => return Err(Unopened::NoCard),
                Some(Err(
                    PcscError::UnresponsiveCard
                    | PcscError::UnpoweredCard
                    | PcscError::UnsupportedCard,
                )) => {
                    return Err(Unopened::Unresponsive);
                }
                Some(Err(e)) if context_is_dead(e) => {
                    return Err(Unopened::Reader(format!("pcscd ({PCSCD_SOCKET}): {e}")));
                }
                Some(Err(e)) => return Err(Unopened::Reader(format!("connect to {reader}: {e}"))),
            }
        }
    }
}

#[cfg(test)]
mod fault_tests;

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
    /// Another program holds the reader; technician detail.
    InUse(String),
    Reader(String),
}

/// How the card (or the reader) was lost during an operation.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Lost {
    Removed,
    Reset,
    /// The reader failed a transmit with the card still on it, or gave no answer within
    /// [`APDU_BOUND`]; technician detail.
    ReaderFault(String),
    /// Another program took the reader (`SCARD_E_SHARING_VIOLATION` on transmit).
    InUse(String),
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

/// What the session needs of one connected card handle: `pcsc::Card` in the kiosk, a scripted
/// link in this module's tests (vpcd cannot make pcscd fail a transmit with the card still
/// present: it ejects the virtual card on every transmit error).
trait CardLink: Send + 'static {
    /// Transmits `command` once; the answer is data followed by SW1 SW2.
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, PcscError>;
    /// Whether PC/SC says a card is on the reader (`SCardStatus`).
    fn card_present(&mut self) -> Result<bool, PcscError>;
    /// Lets go of the handle: resets the card if anything was sent over it (its security state
    /// must not outlive the session), leaves it as it is otherwise.
    fn release(self, reset: bool);
}

impl CardLink for pcsc::Card {
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, PcscError> {
        // A short APDU's answer is at most 256 data bytes and SW1 SW2; extended room costs
        // nothing and turns an over-long answer into data rather than an error after the
        // command already ran.
        let mut buffer = vec![0; pcsc::MAX_BUFFER_SIZE_EXTENDED];
        pcsc::Card::transmit(self, command, &mut buffer).map(<[u8]>::to_vec)
    }

    fn card_present(&mut self) -> Result<bool, PcscError> {
        self.status2_owned()
            .map(|status| status.status().contains(Status::PRESENT))
    }

    fn release(self, reset: bool) {
        let disposition = if reset {
            Disposition::ResetCard
        } else {
            Disposition::LeaveCard
        };
        let _ = self.disconnect(disposition);
    }
}

/// Work for a card I/O thread.
#[derive(Debug)]
enum IoJob {
    Transmit(Vec<u8>),
    /// A command the reader answers itself ([`reader_probe`]): the card is left as it is when
    /// the handle is released.
    Probe(Vec<u8>),
    CardPresent,
}

/// What a card I/O thread answers, in order: `Connected` first, then one answer per job.
#[derive(Debug)]
enum IoAnswer {
    /// The ATR of the card (empty on a direct connection).
    Connected(Result<Vec<u8>, PcscError>),
    Transmitted(Result<Vec<u8>, PcscError>),
    CardPresent(Result<bool, PcscError>),
}

/// One card handle on a thread of its own, with a PC/SC context of its own: pcsc-lite blocks a
/// connect while another program holds a transaction, a transmit can block inside libpcsclite,
/// and a context serialises its calls (one stuck call blocks every other on that context). The
/// owner waits for each answer a bounded time; dropping a `CardIo` abandons the handle, which
/// the thread releases once libpcsclite returns.
pub struct CardIo {
    /// `None` once dropping: the thread's loop ends and it releases the handle.
    jobs: Option<Sender<IoJob>>,
    answers: Receiver<IoAnswer>,
}

/// How long dropping a [`CardIo`] waits for its thread to let go of the handle, so that its
/// reset cannot land on the next session's handle. A thread stuck inside libpcsclite is not
/// waited for beyond this.
const RELEASE_BOUND: Duration = Duration::from_millis(500);

impl Drop for CardIo {
    fn drop(&mut self) {
        self.jobs = None;
        let end = Instant::now() + RELEASE_BOUND;
        // The thread ends (dropping its sender) once the handle is released.
        while let Ok(_late) = self
            .answers
            .recv_timeout(end.saturating_duration_since(Instant::now()))
        {}
    }
}

impl CardIo {
    /// Connects to `reader` (shared, or `direct` without a card) on a new thread.
    fn start(reader: CString, direct: bool) -> std::io::Result<CardIo> {
        CardIo::start_with(move || {
            let context = Context::establish(Scope::User)?;
            let (mode, protocols) = if direct {
                (ShareMode::Direct, Protocols::UNDEFINED)
            } else {
                (ShareMode::Shared, Protocols::ANY)
            };
            let card = context.connect(&reader, mode, protocols)?;
            let atr = card
                .status2_owned()
                .map(|s| s.atr().to_vec())
                .unwrap_or_default();
            Ok((card, atr))
        })
    }

    fn start_with<L: CardLink>(
        connect: impl FnOnce() -> Result<(L, Vec<u8>), PcscError> + Send + 'static,
    ) -> std::io::Result<CardIo> {
        let (jobs, inbox) = mpsc::channel::<IoJob>();
        let (outbox, answers) = mpsc::channel::<IoAnswer>();
        std::thread::Builder::new()
            .name("uketsuke-pcsc-card".into())
            .spawn(move || {
                let connected = match connect() {
                    Ok((link, atr)) => link_if_wanted(link, atr, &outbox),
                    Err(e) => {
                        let _ = outbox.send(IoAnswer::Connected(Err(e)));
                        None
                    }
                };
                let Some(mut link) = connected else { return };
                let mut used = false;
                for job in inbox {
                    let answer = match job {
                        IoJob::Transmit(command) => {
                            used = true;
                            IoAnswer::Transmitted(link.transmit(&command))
                        }
                        IoJob::Probe(command) => IoAnswer::Transmitted(link.transmit(&command)),
                        IoJob::CardPresent => IoAnswer::CardPresent(link.card_present()),
                    };
                    if outbox.send(answer).is_err() {
                        break;
                    }
                }
                link.release(used);
            })?;
        Ok(CardIo {
            jobs: Some(jobs),
            answers,
        })
    }

    /// The connect's outcome, waiting at most `bound`; `None` if it has not returned.
    fn connected(&self, bound: Duration) -> Option<Result<Vec<u8>, PcscError>> {
        match self.answers.recv_timeout(bound) {
            Ok(IoAnswer::Connected(result)) => Some(result),
            Ok(other) => Some(Err(unexpected(&other))),
            Err(RecvTimeoutError::Timeout) => None,
            Err(RecvTimeoutError::Disconnected) => Some(Err(PcscError::InternalError)),
        }
    }

    /// Hands `job` to the thread and waits at most `bound` for its answer; `None` if none came.
    fn call(&self, job: IoJob, bound: Duration) -> Option<IoAnswer> {
        self.jobs.as_ref()?.send(job).ok()?;
        self.answers.recv_timeout(bound).ok()
    }
}

/// Announces a connected link; `None` (the link released untouched) if nobody waits any more.
fn link_if_wanted<L: CardLink>(link: L, atr: Vec<u8>, outbox: &Sender<IoAnswer>) -> Option<L> {
    if outbox.send(IoAnswer::Connected(Ok(atr))).is_err() {
        link.release(false);
        return None;
    }
    Some(link)
}

fn unexpected(answer: &IoAnswer) -> PcscError {
    debug!(?answer, "card I/O answered out of turn");
    PcscError::InternalError
}

/// One card handle as a [`CardTransport`]: each command is transmitted exactly once, and
/// waited for at most [`APDU_BOUND`].
pub struct PcscTransport {
    io: CardIo,
    atr: Vec<u8>,
    /// The reader's name, for technicians' messages.
    reader: String,
    /// How long one APDU may take ([`APDU_BOUND`]).
    bound: Duration,
    /// Set once the card (or the reader) is known lost; later transmits fail without touching
    /// PC/SC.
    lost: Option<Lost>,
}

impl PcscTransport {
    fn new(io: CardIo, atr: Vec<u8>, reader: String, bound: Duration) -> PcscTransport {
        PcscTransport {
            io,
            atr,
            reader,
            bound,
            lost: None,
        }
    }

    fn lose(&mut self, lost: Lost) -> TransportError {
        let error = match &lost {
            Lost::Removed => TransportError::CardRemoved,
            Lost::Reset => TransportError::CardReset,
            Lost::ReaderFault(detail) | Lost::InUse(detail) => {
                TransportError::Reader(detail.clone())
            }
        };
        self.lost = Some(lost);
        error
    }

    /// After a failed transmit: is the card still on the reader? Gone (or PC/SC says it
    /// cannot tell) is a card that left; still there is the reader's fault.
    fn card_still_present(&self) -> Option<bool> {
        match self.io.call(IoJob::CardPresent, STATUS_BOUND) {
            Some(IoAnswer::CardPresent(Ok(present))) => Some(present),
            Some(_) => Some(false),
            None => None,
        }
    }
}

impl CardTransport for PcscTransport {
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        if let Some(lost) = self.lost.clone() {
            return Err(self.lose(lost));
        }
        // Short APDUs only: refused here, before anything is sent.
        if let Err(e) = check_short(command) {
            return Err(TransportError::Reader(format!(
                "refused, nothing sent: {e}"
            )));
        }
        let outcome = match self.io.call(IoJob::Transmit(command.to_vec()), self.bound) {
            Some(IoAnswer::Transmitted(outcome)) => outcome,
            Some(other) => Err(unexpected(&other)),
            None => {
                let detail = format!(
                    "the card reader {} did not answer within {:.1} s (the command is not sent \
                     again)",
                    self.reader,
                    self.bound.as_secs_f64()
                );
                debug!("{detail}");
                return Err(self.lose(Lost::ReaderFault(detail)));
            }
        };
        match outcome {
            // Nothing at all came back, not even a status word: the card stopped answering
            // (vpcd reports a card that hung up this way; a reader whose card left the field
            // mid-command may too).
            Ok(response) if response.is_empty() => {
                debug!("transmit: no answer at all; the card is gone");
                Err(self.lose(Lost::Removed))
            }
            Ok(response) => Ok(response),
            Err(PcscError::ResetCard) => Err(self.lose(Lost::Reset)),
            Err(PcscError::SharingViolation) => {
                let detail = format!(
                    "another program is using the card reader {} (SCARD_E_SHARING_VIOLATION on \
                     transmit)",
                    self.reader
                );
                Err(self.lose(Lost::InUse(detail)))
            }
            // The reader failed the command: ask whether the card is still on it.
            Err(
                e @ (PcscError::NotTransacted
                | PcscError::UnpoweredCard
                | PcscError::UnresponsiveCard),
            ) => match self.card_still_present() {
                Some(false) => {
                    debug!(error = %e, "transmit failed and the card is gone");
                    Err(self.lose(Lost::Removed))
                }
                present => {
                    let detail = format!(
                        "the card reader {} stopped answering ({e}) with a card on it{}",
                        self.reader,
                        if present.is_none() {
                            " (its status did not come back either)"
                        } else {
                            ""
                        }
                    );
                    Err(self.lose(Lost::ReaderFault(detail)))
                }
            },
            Err(
                e @ (PcscError::RemovedCard
                | PcscError::NoSmartcard
                | PcscError::CommError
                | PcscError::NoService
                | PcscError::ServiceStopped
                | PcscError::InvalidHandle
                | PcscError::ReaderUnavailable
                | PcscError::UnknownReader),
            ) => {
                // The card left, or the reader or pcscd went (the monitor reports those).
                debug!(error = %e, "transmit: the card is gone");
                Err(self.lose(Lost::Removed))
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
            warn!(
                trouble = trouble.as_str(),
                code = super::trouble_code(trouble),
                "the kiosk cannot read cards"
            );
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
    crate::card::atr::reader_built_len(atr).is_some()
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

/// What [`probe_reader`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Probe {
    /// The reader answered its own GET DATA ([`reader_probe`]) with this status word.
    Answered([u8; 2]),
    /// Nothing on the field to connect to: the probe needs a card (or phone) on the reader.
    NoCard,
    /// The reader failed the probe with the card still on it, or did not answer within
    /// [`APDU_BOUND`]: it needs re-plugging. Technician detail.
    NotAnswering(String),
    /// Another program holds the reader. Technician detail.
    InUse(String),
    /// Something else went wrong. Technician detail.
    Failed(String),
}

/// For `uketsuke doctor`: connects to the card on `reader` and sends [`reader_probe`], which
/// the reader answers itself (no card application sees it; the card is left as it is), each
/// step within its bound ([`CONNECT_BOUND`], [`APDU_BOUND`]).
pub fn probe_reader(reader: &str) -> Probe {
    let Ok(name) = CString::new(reader) else {
        return Probe::Failed(format!("reader name {reader:?} holds a NUL"));
    };
    let io = match CardIo::start(name, false) {
        Ok(io) => io,
        Err(e) => return Probe::Failed(format!("cannot start a card I/O thread: {e}")),
    };
    match io.connected(CONNECT_BOUND) {
        Some(Ok(_)) => {}
        None => {
            return Probe::InUse(format!(
                "connecting to {reader} did not return within {} s: another program holds a \
                 transaction on it",
                CONNECT_BOUND.as_secs()
            ));
        }
        Some(Err(PcscError::SharingViolation)) => {
            return Probe::InUse(format!(
                "another program is connected to {reader} exclusively \
                 (SCARD_E_SHARING_VIOLATION)"
            ));
        }
        Some(Err(PcscError::NoSmartcard | PcscError::RemovedCard)) => return Probe::NoCard,
        Some(Err(e)) => return Probe::Failed(format!("connect to {reader}: {e}")),
    }
    match io.call(IoJob::Probe(reader_probe()), APDU_BOUND) {
        Some(IoAnswer::Transmitted(Ok(answer))) if answer.len() >= 2 => {
            let n = answer.len();
            Probe::Answered([answer[n - 2], answer[n - 1]])
        }
        Some(IoAnswer::Transmitted(Ok(_))) => Probe::NoCard,
        Some(IoAnswer::Transmitted(Err(e))) => match io.call(IoJob::CardPresent, STATUS_BOUND) {
            Some(IoAnswer::CardPresent(Ok(false))) => Probe::NoCard,
            _ => Probe::NotAnswering(format!(
                "{reader} failed its own GET DATA ({e}) with a card on it"
            )),
        },
        Some(other) => Probe::Failed(format!("{reader}: {other:?}")),
        None => Probe::NotAnswering(format!(
            "{reader} did not answer its own GET DATA within {} s",
            APDU_BOUND.as_secs()
        )),
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
