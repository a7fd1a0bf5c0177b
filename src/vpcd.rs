//! A virtual card on a vsmartcard `vpcd` reader: a [`SimulatedCard`] made reachable through a
//! real pcscd, for tests, benchmarks and technicians' demonstrations. Never part of a kiosk:
//! vpcd listens on every interface, and whoever reaches its port can "insert" a card.
//!
//! Owns: vpcd's socket protocol (vpcd inside pcscd is the server; the card connects to it),
//! insertion (connecting) and removal (closing the socket), the socket-level faults (a slow
//! card, a short answer), and when each APDU arrived and was answered.
//! Must not know: what the APDUs mean (the simulated card answers them), PC/SC, the flow.
//!
//! The protocol: every message either way is a 2-byte big-endian length and a payload. A
//! 1-byte message from vpcd is a control: `00` power off, `01` power on, `02` reset, `04` get
//! ATR (answered with the ATR; pcscd polls presence with it every few hundred milliseconds).
//! Anything longer is a command APDU, answered with data + SW1 SW2.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tracing::debug;

use crate::card::sim::{SimulatedCard, lock};

/// Where processes that share the one virtual reader take turns (see [`ReaderTurn`]).
pub const TURN_LOCK: &str = "/tmp/uketsuke-pcscd/reader.lock";

/// One process's turn at the virtual reader: tests and benchmarks in different processes must
/// not put cards on it at the same time. Held until dropped.
pub struct ReaderTurn {
    _file: std::fs::File,
}

impl ReaderTurn {
    /// Waits for the turn (an exclusive lock on [`TURN_LOCK`]).
    pub fn take() -> io::Result<ReaderTurn> {
        let path = std::path::Path::new(TURN_LOCK);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)?;
        file.lock()?;
        Ok(ReaderTurn { _file: file })
    }
}

/// vpcd's first slot on Debian's default channel `0x8C7B`.
pub const DEFAULT_PORT: u16 = 35963;

const CTRL_OFF: u8 = 0x00;
const CTRL_ON: u8 = 0x01;
const CTRL_RESET: u8 = 0x02;
const CTRL_ATR: u8 = 0x04;

/// Faults that live on the wire rather than in the card.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WireFaults {
    /// Each APDU is answered this much later (a slow card or a weak field).
    pub delay: Duration,
    /// Answer the APDU with this 0-based index with only its first byte (a garbled answer).
    pub truncate_at: Option<usize>,
    /// Commands with this INS are answered this much later, on top of `delay`: a slow card's
    /// signature (INS `2A`, PERFORM SECURITY OPERATION; up to 2.5 s on the newer My Number
    /// cards, FWI 13), or a card that stalls past the kiosk's bound. The card has carried the
    /// command out before the wait.
    pub slow_ins: Option<(u8, Duration)>,
    /// The APDU with this 0-based index is answered this much later, on top of the rest (a
    /// card that stalls past the kiosk's bound; vpcd waits for it without a limit). The card
    /// has carried the command out before the wait.
    pub stall_at: Option<(usize, Duration)>,
}

/// When one APDU reached the card and when its answer left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApduTiming {
    pub received: Instant,
    pub answered: Instant,
    pub command_len: usize,
    pub response_len: usize,
}

/// What the card thread shares with its handle.
#[derive(Default)]
struct Shared {
    timings: Mutex<Vec<ApduTiming>>,
    /// Set by [`VirtualCard::remove`]; the thread stops instead of reconnecting.
    removing: AtomicBool,
    /// The connection now in use, so removal can close it from another thread.
    stream: Mutex<Option<TcpStream>>,
    /// Whether the card is connected to vpcd right now.
    connected: AtomicBool,
    /// Power-ups and resets after the insertion's own power-up: what a client's connect to the
    /// card (or its disconnect, which resets the card) looks like from the card.
    power_events: AtomicUsize,
}

/// A simulated card placed on a vpcd reader, answering on its own thread until removed.
pub struct VirtualCard {
    card: Arc<Mutex<SimulatedCard>>,
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

/// How a virtual card behaves when its connection ends without [`VirtualCard::remove`]
/// (pcscd stopped, or the card's own `remove_after` fault).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WhenDropped {
    /// Stay off the reader.
    StayOff,
    /// Come back after this pause, as a patient who taps again, or a card left lying on a
    /// reader whose daemon restarted. Keeps trying until removed.
    ComeBackAfter(Duration),
}

impl VirtualCard {
    /// Connects `card` to the vpcd reader at `addr` (power-up: the card is reset first) and
    /// answers vpcd on a thread named `uketsuke-vcard`. Fails if nothing listens there.
    pub fn insert(
        addr: SocketAddr,
        card: Arc<Mutex<SimulatedCard>>,
        faults: WireFaults,
        when_dropped: WhenDropped,
    ) -> io::Result<VirtualCard> {
        lock(&card).reset();
        let stream = connect_taken(addr, &card)?;
        let shared = Arc::new(Shared::default());
        shared.connected.store(true, Ordering::SeqCst);
        *lock_stream(&shared) = Some(stream.try_clone()?);
        let thread = {
            let card = Arc::clone(&card);
            let shared = Arc::clone(&shared);
            std::thread::Builder::new()
                .name("uketsuke-vcard".into())
                .spawn(move || run(addr, stream, &card, &faults, when_dropped, &shared))?
        };
        Ok(VirtualCard {
            card,
            shared,
            thread: Some(thread),
        })
    }

    /// [`VirtualCard::insert`] on 127.0.0.1 at `port`.
    pub fn insert_local(
        port: u16,
        card: Arc<Mutex<SimulatedCard>>,
        faults: WireFaults,
        when_dropped: WhenDropped,
    ) -> io::Result<VirtualCard> {
        VirtualCard::insert(
            SocketAddr::from(([127, 0, 0, 1], port)),
            card,
            faults,
            when_dropped,
        )
    }

    /// The simulated card, for its counters and APDU log.
    pub fn card(&self) -> Arc<Mutex<SimulatedCard>> {
        Arc::clone(&self.card)
    }

    /// Whether the card is connected to vpcd now.
    pub fn is_connected(&self) -> bool {
        self.shared.connected.load(Ordering::SeqCst)
    }

    /// Power-ups and resets vpcd passed on after the card was inserted: pcscd powers a card up
    /// when a client connects to it (after powering an idle card down) and resets it when the
    /// client disconnects, so 0 means no client ever connected. Power-downs are not counted
    /// (pcscd powers idle cards down by itself).
    pub fn power_events(&self) -> usize {
        self.shared.power_events.load(Ordering::SeqCst)
    }

    /// When each APDU arrived and was answered, over every connection so far.
    pub fn timings(&self) -> Vec<ApduTiming> {
        self.shared
            .timings
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Takes the card off the reader (closes the connection) and waits for its thread.
    pub fn remove(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        self.shared.removing.store(true, Ordering::SeqCst);
        if let Some(stream) = lock_stream(&self.shared).take() {
            let _ = stream.shutdown(Shutdown::Both);
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for VirtualCard {
    fn drop(&mut self) {
        self.stop();
    }
}

fn lock_stream(shared: &Shared) -> std::sync::MutexGuard<'_, Option<TcpStream>> {
    shared
        .stream
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn connect(addr: SocketAddr) -> io::Result<TcpStream> {
    let stream = TcpStream::connect_timeout(&addr, Duration::from_secs(2))?;
    stream.set_nodelay(true)?;
    Ok(stream)
}

/// How long pcscd has to power a connected card up before the card connects again.
const ACCEPT_WAIT: Duration = Duration::from_secs(2);
const ACCEPT_TRIES: usize = 3;

/// Connects and waits until pcscd has taken the card: it powers a card up (control `01`) as
/// soon as it sees it inserted. Now and then vpcd (listen backlog 0, accepting on pcscd's
/// ~400 ms presence poll) takes a connection, even answers ATR polls on it, and yet pcscd never
/// reports the card; a card that is not powered up in time connects again, as a patient taps
/// again.
fn connect_taken(addr: SocketAddr, card: &Mutex<SimulatedCard>) -> io::Result<TcpStream> {
    let mut last = String::new();
    for _ in 0..ACCEPT_TRIES {
        let mut stream = connect(addr)?;
        match wait_for_power_up(&mut stream, card) {
            Ok(()) => {
                stream.set_read_timeout(None)?;
                return Ok(stream);
            }
            Err(e) if e.kind() == io::ErrorKind::InvalidData => return Err(e),
            Err(e) => last = e.to_string(),
        }
        debug!(%last, "pcscd did not take the virtual card; connecting again");
    }
    Err(io::Error::new(
        io::ErrorKind::TimedOut,
        format!("pcscd never took the card on vpcd {addr} ({ACCEPT_TRIES} tries): {last}"),
    ))
}

/// Answers vpcd's control messages until the power-up, for at most [`ACCEPT_WAIT`].
fn wait_for_power_up(stream: &mut TcpStream, card: &Mutex<SimulatedCard>) -> io::Result<()> {
    let deadline = Instant::now() + ACCEPT_WAIT;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(io::Error::new(io::ErrorKind::TimedOut, "not powered up"));
        }
        stream.set_read_timeout(Some(left))?;
        ack_quickly(stream);
        let Some(message) = read_message(stream)? else {
            return Err(io::Error::new(
                io::ErrorKind::ConnectionAborted,
                "vpcd closed the connection",
            ));
        };
        let [byte] = message.as_slice() else {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "vpcd sent an APDU before powering the card up",
            ));
        };
        if let Some(reply) = control(card, *byte) {
            write_message(stream, &reply)?;
        }
        if *byte == CTRL_ON {
            return Ok(());
        }
    }
}

/// vpcd writes a message's length and its payload separately; without an immediate ACK, Nagle's
/// algorithm on its side holds the payload for our delayed ACK (40 ms an APDU).
fn ack_quickly(stream: &TcpStream) {
    let _ = socket2::SockRef::from(stream).set_quickack(true);
}

/// The answer to a 1-byte control message, if it has one.
fn control(card: &Mutex<SimulatedCard>, byte: u8) -> Option<Vec<u8>> {
    match byte {
        CTRL_ATR => Some(lock(card).atr().to_vec()),
        CTRL_OFF | CTRL_ON | CTRL_RESET => {
            // Power events clear the security state, as on a real card.
            lock(card).reset();
            None
        }
        _ => None,
    }
}

/// The card thread: answers vpcd until the connection ends, then stays off or comes back.
fn run(
    addr: SocketAddr,
    mut stream: TcpStream,
    card: &Mutex<SimulatedCard>,
    faults: &WireFaults,
    when_dropped: WhenDropped,
    shared: &Shared,
) {
    loop {
        let ended = serve(&mut stream, card, faults, shared);
        shared.connected.store(false, Ordering::SeqCst);
        let _ = stream.shutdown(Shutdown::Both);
        match ended {
            Ended::Closed => debug!("virtual card: connection closed"),
            Ended::LeftTheField => debug!("virtual card: left the field (remove_after)"),
            Ended::Mute => debug!("virtual card: mute, hung up"),
            Ended::Io(e) => debug!(error = %e, "virtual card: connection failed"),
        }
        let WhenDropped::ComeBackAfter(pause) = when_dropped else {
            return;
        };
        // Back on the reader after the pause, as often as it takes (pcscd may be restarting).
        loop {
            if wait_unless_removing(shared, pause) {
                return;
            }
            match connect_taken(addr, card) {
                Ok(new_stream) => {
                    let Ok(handle) = new_stream.try_clone() else {
                        continue;
                    };
                    if shared.removing.load(Ordering::SeqCst) {
                        return;
                    }
                    *lock_stream(shared) = Some(handle);
                    lock(card).reset();
                    shared.connected.store(true, Ordering::SeqCst);
                    stream = new_stream;
                    break;
                }
                Err(e) => debug!(error = %e, "virtual card: vpcd not reachable yet"),
            }
        }
    }
}

/// Sleeps up to `pause` in short steps; true if removal was asked for meanwhile.
fn wait_unless_removing(shared: &Shared, pause: Duration) -> bool {
    let end = Instant::now() + pause;
    while Instant::now() < end {
        if shared.removing.load(Ordering::SeqCst) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10).min(end - Instant::now()));
    }
    shared.removing.load(Ordering::SeqCst)
}

/// Why a connection ended.
#[derive(Debug)]
enum Ended {
    /// vpcd closed it (pcscd stopped) or removal closed it.
    Closed,
    /// The card's `remove_after` fault: it left the field before answering.
    LeftTheField,
    /// The card did not answer an APDU.
    Mute,
    Io(io::Error),
}

fn serve(
    stream: &mut TcpStream,
    card: &Mutex<SimulatedCard>,
    faults: &WireFaults,
    shared: &Shared,
) -> Ended {
    let mut index = 0usize;
    loop {
        ack_quickly(stream);
        let message = match read_message(stream) {
            Ok(Some(message)) => message,
            Ok(None) => return Ended::Closed,
            Err(e) => return Ended::Io(e),
        };
        let received = Instant::now();
        let reply = match message.as_slice() {
            [byte] => {
                if matches!(*byte, CTRL_ON | CTRL_RESET) {
                    shared.power_events.fetch_add(1, Ordering::SeqCst);
                }
                control(card, *byte)
            }
            command => {
                let mut card = lock(card);
                if card.removal_due() {
                    return Ended::LeftTheField;
                }
                let mut response = card.respond(command);
                drop(card);
                if response.is_empty() {
                    // A mute card. vpcd would wait for its answer forever (it has no timeout);
                    // a real reader gives up and reports a communication error, which is what
                    // hanging up produces.
                    return Ended::Mute;
                }
                if faults.truncate_at == Some(index) {
                    response.truncate(1);
                }
                if !faults.delay.is_zero() {
                    std::thread::sleep(faults.delay);
                }
                if let Some((ins, extra)) = faults.slow_ins
                    && command.get(1) == Some(&ins)
                {
                    std::thread::sleep(extra);
                }
                if let Some((at, extra)) = faults.stall_at
                    && at == index
                {
                    std::thread::sleep(extra);
                }
                shared
                    .timings
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .push(ApduTiming {
                        received,
                        answered: Instant::now(),
                        command_len: command.len(),
                        response_len: response.len(),
                    });
                index += 1;
                Some(response)
            }
        };
        if let Some(reply) = reply
            && let Err(e) = write_message(stream, &reply)
        {
            return Ended::Io(e);
        }
    }
}

/// Reads one length-prefixed message; `None` when the peer closed the connection cleanly.
fn read_message(stream: &mut TcpStream) -> io::Result<Option<Vec<u8>>> {
    let mut length = [0u8; 2];
    match stream.read_exact(&mut length) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e),
    }
    let mut message = vec![0u8; usize::from(u16::from_be_bytes(length))];
    stream.read_exact(&mut message)?;
    Ok(Some(message))
}

fn write_message(stream: &mut TcpStream, payload: &[u8]) -> io::Result<()> {
    let length = u16::try_from(payload.len())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "message beyond 65535 bytes"))?;
    let mut frame = Vec::with_capacity(payload.len() + 2);
    frame.extend_from_slice(&length.to_be_bytes());
    frame.extend_from_slice(payload);
    stream.write_all(&frame)
}

#[cfg(test)]
mod tests {
    use std::net::TcpListener;

    use super::*;
    use crate::card::sim::{SimOptions, SimProfile};

    /// Plays vpcd's part over a loopback socket.
    fn vpcd() -> (TcpListener, u16) {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
        let port = listener.local_addr().expect("bound").port();
        (listener, port)
    }

    fn ask(stream: &mut TcpStream, message: &[u8]) -> Vec<u8> {
        write_message(stream, message).expect("write");
        read_message(stream).expect("read").expect("an answer")
    }

    /// Takes the next card as vpcd and pcscd do: accept, ask for its ATR, power it up.
    fn accept_card(listener: &TcpListener) -> (TcpStream, Vec<u8>) {
        let (mut stream, _) = listener.accept().expect("the card connects");
        let atr = ask(&mut stream, &[CTRL_ATR]);
        write_message(&mut stream, &[CTRL_ON]).expect("power up");
        (stream, atr)
    }

    /// [`accept_card`] on another thread, for an insertion that waits to be taken.
    fn accept_card_later(listener: &TcpListener) -> std::thread::JoinHandle<(TcpStream, Vec<u8>)> {
        let listener = listener.try_clone().expect("a listener handle");
        std::thread::spawn(move || accept_card(&listener))
    }

    #[test]
    fn answers_atr_polls_and_apdus_and_records_them() {
        let (listener, port) = vpcd();
        let card = SimulatedCard::new(SimProfile::MyNumberCard, SimOptions::default()).shared();
        let vpcd = accept_card_later(&listener);
        let virtual_card = VirtualCard::insert_local(
            port,
            Arc::clone(&card),
            WireFaults::default(),
            WhenDropped::StayOff,
        )
        .expect("connects");
        let (mut vpcd, atr) = vpcd.join().expect("vpcd's part");
        assert_eq!(atr, lock(&card).atr());
        // Presence polls come at any time; power-up had no answer, so this is answered next.
        assert_eq!(ask(&mut vpcd, &[CTRL_ATR]), atr);
        let select = [
            0x00, 0xA4, 0x04, 0x0C, 0x0A, 0xD3, 0x92, 0xF0, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00,
            0x01,
        ];
        assert_eq!(ask(&mut vpcd, &select), vec![0x90, 0x00]);
        assert_eq!(virtual_card.timings().len(), 1);
        assert_eq!(lock(&card).apdu_count(), 1);
        assert!(virtual_card.is_connected());
        virtual_card.remove();
        // Removal closes the connection.
        assert!(read_message(&mut vpcd).map_or(true, |m| m.is_none()));
    }

    #[test]
    fn remove_after_closes_without_answering_and_comes_back() {
        let (listener, port) = vpcd();
        let options = SimOptions {
            remove_after: Some(1),
            ..SimOptions::default()
        };
        let card = SimulatedCard::new(SimProfile::MyNumberCard, options).shared();
        let vpcd = accept_card_later(&listener);
        let virtual_card = VirtualCard::insert_local(
            port,
            Arc::clone(&card),
            WireFaults::default(),
            WhenDropped::ComeBackAfter(Duration::from_millis(20)),
        )
        .expect("connects");
        let (mut first, _) = vpcd.join().expect("vpcd's part");
        let select_mf = [0x00, 0xA4, 0x00, 0x0C];
        assert_eq!(ask(&mut first, &select_mf).len(), 2);
        write_message(&mut first, &select_mf).expect("write");
        assert!(
            read_message(&mut first).map_or(true, |m| m.is_none()),
            "the second APDU meets an empty field"
        );
        // It comes back, fault spent.
        let (mut second, _) = accept_card(&listener);
        assert_eq!(ask(&mut second, &select_mf).len(), 2);
        assert_eq!(ask(&mut second, &select_mf).len(), 2);
        virtual_card.remove();
    }

    #[test]
    fn a_truncated_answer_is_one_byte() {
        let (listener, port) = vpcd();
        let card = SimulatedCard::new(SimProfile::MyNumberCard, SimOptions::default()).shared();
        let faults = WireFaults {
            truncate_at: Some(0),
            ..WireFaults::default()
        };
        let vpcd = accept_card_later(&listener);
        let virtual_card =
            VirtualCard::insert_local(port, card, faults, WhenDropped::StayOff).expect("connects");
        let (mut vpcd, _) = vpcd.join().expect("vpcd's part");
        assert_eq!(ask(&mut vpcd, &[0x00, 0xA4, 0x00, 0x0C]).len(), 1);
        assert_eq!(ask(&mut vpcd, &[0x00, 0xA4, 0x00, 0x0C]).len(), 2);
        drop(virtual_card);
    }

    #[test]
    fn a_card_vpcd_never_takes_connects_again() {
        let (listener, port) = vpcd();
        let card = SimulatedCard::new(SimProfile::MyNumberCard, SimOptions::default()).shared();
        let vpcd = {
            let listener = listener.try_clone().expect("a listener handle");
            std::thread::spawn(move || {
                // The kernel completes the first connection, but the card is never powered up.
                let (silent, _) = listener.accept().expect("the card connects");
                let taken = accept_card(&listener);
                drop(silent);
                taken
            })
        };
        let virtual_card =
            VirtualCard::insert_local(port, card, WireFaults::default(), WhenDropped::StayOff)
                .expect("taken on the second connection");
        let (mut vpcd, _) = vpcd.join().expect("vpcd's part");
        assert_eq!(ask(&mut vpcd, &[0x00, 0xA4, 0x00, 0x0C]).len(), 2);
        virtual_card.remove();
    }
}
