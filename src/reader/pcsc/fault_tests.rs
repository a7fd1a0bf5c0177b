//! The PC/SC adapter's session logic over a scripted card link: the faults pcscd with vpcd
//! cannot produce (a transmit failed with `SCARD_E_NOT_TRANSACTED` while the card stays on the
//! reader; vpcd ejects its virtual card on every transmit error).

use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::*;
use crate::card::sim::{SimOptions, SimProfile, SimulatedCard};
use crate::domain::Pin;
use crate::flow::ports::PinStatus;

const READER: &str = "Scripted Reader 00 00";

/// What the scripted reader does, changed by the test as it goes.
#[derive(Default)]
struct Script {
    /// Every transmit fails with `SCARD_E_NOT_TRANSACTED` (a wedged reader).
    wedged: bool,
    /// What `SCardStatus` says after a failed transmit.
    card_gone: bool,
    /// Connecting fails with this.
    refuse_connect: Option<PcscError>,
    /// A VERIFY with a PIN is answered this much late (past the bound: its fate is unknown).
    verify_stalls: Option<Duration>,
}

/// A reader with a simulated card on it; records every command that reached the wire.
#[derive(Clone)]
struct Wire {
    script: Arc<Mutex<Script>>,
    card: Arc<Mutex<SimulatedCard>>,
    sent: Arc<Mutex<Vec<Vec<u8>>>>,
}

impl Wire {
    fn new() -> Wire {
        Wire {
            script: Arc::default(),
            card: SimulatedCard::new(SimProfile::MyNumberCard, SimOptions::default()).shared(),
            sent: Arc::default(),
        }
    }

    fn script(&self) -> std::sync::MutexGuard<'_, Script> {
        lock(&self.script)
    }

    fn sent(&self) -> Vec<Vec<u8>> {
        lock(&self.sent).clone()
    }

    fn verifies(&self) -> usize {
        self.sent()
            .iter()
            .filter(|c| crate::card::apdu::is_verify_with_data(c))
            .count()
    }
}

struct ScriptedLink(Wire);

impl CardLink for ScriptedLink {
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, PcscError> {
        lock(&self.0.sent).push(command.to_vec());
        let (wedged, stall) = {
            let script = self.0.script();
            (script.wedged, script.verify_stalls)
        };
        if wedged {
            return Err(PcscError::NotTransacted);
        }
        let answer = lock(&self.0.card).respond(command);
        if let Some(stall) = stall
            && crate::card::apdu::is_verify_with_data(command)
        {
            std::thread::sleep(stall);
        }
        Ok(answer)
    }

    fn card_present(&mut self) -> Result<bool, PcscError> {
        Ok(!self.0.script().card_gone)
    }

    fn release(self, _reset: bool) {}
}

/// A PC/SC adapter whose monitor is the test (it sends the events) and whose reader is `wire`.
fn scripted(wire: &Wire) -> (PcscReader, Sender<Option<ReaderEvent>>) {
    let (sender, events) = mpsc::channel();
    let atr = lock(&wire.card).atr().to_vec();
    let opened = wire.clone();
    let reader = PcscReader {
        wanted: None,
        events,
        sender: sender.clone(),
        monitor: Monitor {
            thread: None,
            stop: None,
            context: Arc::new(Mutex::new(None)),
        },
        field: Field {
            reader: Some(READER.into()),
            trouble: None,
            present: true,
            atr: atr.clone(),
            generation: 1,
        },
        open: Box::new(move |_, _| {
            let wire = opened.clone();
            let atr = atr.clone();
            CardIo::start_with(move || {
                if let Some(e) = wire.script().refuse_connect {
                    return Err(e);
                }
                Ok((ScriptedLink(wire), atr))
            })
        }),
        apdu_bound: Duration::from_millis(300),
        session: None,
        used_generation: 1,
        own_events: Vec::new(),
        faults_in_a_row: 0,
        out_of_order: None,
        pending_connect: None,
        last_recheck: None,
    };
    (reader, sender)
}

fn fault_text(reply: &ReaderReply) -> &str {
    match reply {
        ReaderReply::Fault(detail) => detail,
        other => panic!("expected a fault, got {other:?}"),
    }
}

#[test]
fn two_failures_with_the_card_on_the_reader_take_it_out_of_service_until_it_answers_again() {
    let wire = Wire::new();
    let (mut reader, monitor) = scripted(&wire);
    wire.script().wedged = true;

    // The first failure: a bad tap. Nothing came back from the first SELECT, so the patient is
    // asked to tap again (the flow's "not read" screen).
    assert_eq!(
        reader.execute(ReaderOp::Identify),
        ReaderReply::Identified(Tapped::Mute)
    );
    assert_eq!(wire.sent().len(), 1, "the SELECT, once");
    assert_eq!(
        reader.next_event(None),
        None,
        "one fault is not yet a broken reader"
    );

    // The card still lies there; the second tap fails the same way: out of service.
    assert_eq!(
        reader.execute(ReaderOp::Identify),
        ReaderReply::Identified(Tapped::Mute)
    );
    assert_eq!(wire.sent().len(), 2);
    assert_eq!(
        reader.next_event(None),
        Some(ReaderEvent::Down(ReaderTrouble::ReaderNotAnswering))
    );
    assert_eq!(
        reader.field().trouble,
        Some(ReaderTrouble::ReaderNotAnswering)
    );
    assert_eq!(reader.field().reader.as_deref(), Some(READER));

    // While it is out of service nothing is sent.
    let reply = reader.execute(ReaderOp::Identify);
    assert!(fault_text(&reply).contains("nothing sent"));
    assert_eq!(wire.sent().len(), 2);

    // The card leaves: nothing to probe with; still out of service.
    let card = ReaderEvent::CardPresent {
        reader: READER.into(),
        atr: lock(&wire.card).atr().to_vec(),
    };
    monitor
        .send(Some(ReaderEvent::CardRemoved {
            reader: READER.into(),
        }))
        .unwrap();
    assert!(matches!(
        reader.next_event(None),
        Some(ReaderEvent::CardRemoved { .. })
    ));
    // A card comes while the reader is still wedged: probed once, still out of service.
    monitor.send(Some(card.clone())).unwrap();
    assert_eq!(reader.next_event(None), Some(card.clone()));
    assert_eq!(
        wire.sent().last().map(Vec::as_slice),
        Some(&[0xFF, 0xCA, 0x00, 0x00, 0x00][..])
    );
    assert_eq!(
        reader.field().trouble,
        Some(ReaderTrouble::ReaderNotAnswering)
    );

    // The reader answers again (re-plugged); the next card placed finds it: ready, with the
    // card on it counted as a tap.
    wire.script().wedged = false;
    monitor
        .send(Some(ReaderEvent::CardRemoved {
            reader: READER.into(),
        }))
        .unwrap();
    reader.next_event(None);
    monitor.send(Some(card)).unwrap();
    let sent_before = wire.sent().len();
    match reader.next_event(None) {
        Some(ReaderEvent::Ready { reader: name, card }) => {
            assert_eq!(name, READER);
            assert!(card.is_some(), "the card on it counts as placed");
        }
        other => panic!("expected the reader ready again, got {other:?}"),
    }
    assert_eq!(
        wire.sent()[sent_before..],
        [vec![0xFF, 0xCA, 0x00, 0x00, 0x00]]
    );
    assert_eq!(reader.field().trouble, None);
    assert!(reader.take_new_card(Duration::ZERO));
    assert_eq!(
        reader.execute(ReaderOp::Identify),
        ReaderReply::Identified(Tapped::MyNumberCard)
    );
}

#[test]
fn a_failed_transmit_after_the_card_left_is_a_removal_never_a_reader_fault() {
    let wire = Wire::new();
    let (mut reader, _monitor) = scripted(&wire);
    wire.script().wedged = true;
    wire.script().card_gone = true;
    for _ in 0..3 {
        assert_eq!(
            reader.execute(ReaderOp::Identify),
            ReaderReply::Identified(Tapped::Mute)
        );
    }
    assert_eq!(reader.next_event(None), None, "never out of service");
    assert_eq!(reader.field().trouble, None);
    assert_eq!(wire.sent().len(), 3);
}

#[test]
fn a_card_pulled_away_as_the_reader_failed_is_a_removal_not_a_reader_fault() {
    let wire = Wire::new();
    let (mut reader, monitor) = scripted(&wire);
    wire.script().wedged = true;
    for _ in 0..3 {
        // A card is placed; the transmit fails while SCardStatus still says "present", and the
        // monitor reports the card gone a moment later (a real reader's slower notice).
        reader.field.present = true;
        let late = std::thread::spawn({
            let monitor = monitor.clone();
            move || {
                std::thread::sleep(Duration::from_millis(100));
                monitor
                    .send(Some(ReaderEvent::CardRemoved {
                        reader: READER.into(),
                    }))
                    .unwrap();
            }
        });
        let reply = reader.execute(ReaderOp::Identify);
        late.join().unwrap();
        assert_eq!(reply, ReaderReply::Identified(Tapped::Mute));
    }
    assert_eq!(reader.faults_in_a_row, 0);
    assert_eq!(reader.next_event(None), None, "never out of service");
    assert_eq!(wire.sent().len(), 3);
}

#[test]
fn an_operation_that_works_between_two_faults_starts_the_count_again() {
    let wire = Wire::new();
    let (mut reader, _monitor) = scripted(&wire);
    assert_eq!(
        reader.execute(ReaderOp::Identify),
        ReaderReply::Identified(Tapped::MyNumberCard)
    );
    wire.script().wedged = true;
    let reply = reader.execute(ReaderOp::ReadPinTriesLeft);
    let text = fault_text(&reply);
    assert!(text.contains("stopped answering"), "{text}");
    assert!(text.contains(READER), "{text}");
    wire.script().wedged = false;
    assert_eq!(
        reader.execute(ReaderOp::Identify),
        ReaderReply::Identified(Tapped::MyNumberCard)
    );
    wire.script().wedged = true;
    fault_text(&reader.execute(ReaderOp::ReadPinTriesLeft));
    assert_eq!(reader.next_event(None), None, "one fault in a row, not two");
}

#[test]
fn a_verify_whose_answer_never_came_is_reported_within_the_bound_and_never_sent_again() {
    let wire = Wire::new();
    let (mut reader, _monitor) = scripted(&wire);
    wire.script().verify_stalls = Some(Duration::from_secs(2));
    assert_eq!(
        reader.execute(ReaderOp::Identify),
        ReaderReply::Identified(Tapped::MyNumberCard)
    );
    assert_eq!(
        reader.execute(ReaderOp::ReadPinTriesLeft),
        ReaderReply::PinTriesLeft(PinStatus::TriesLeft(3))
    );
    let start = Instant::now();
    let reply = reader.execute(ReaderOp::VerifyPin(Pin::parse("1234").unwrap()));
    let waited = start.elapsed();
    eprintln!("a stalled VERIFY was reported after {waited:?} (bound 300 ms, stall 2 s)");
    assert!(fault_text(&reply).contains("did not answer within"));
    assert!(
        waited < Duration::from_secs(2),
        "reported before the answer came"
    );
    assert_eq!(wire.verifies(), 1);
    // The session is abandoned: the next operation starts a new one and sends no VERIFY.
    wire.script().verify_stalls = None;
    assert_eq!(
        reader.execute(ReaderOp::Identify),
        ReaderReply::Identified(Tapped::MyNumberCard)
    );
    assert_eq!(wire.verifies(), 1, "never re-sent");
}

#[test]
fn a_command_longer_than_a_short_apdu_is_refused_before_the_wire() {
    let wire = Wire::new();
    let atr = lock(&wire.card).atr().to_vec();
    let link = wire.clone();
    let io = CardIo::start_with(move || Ok((ScriptedLink(link), atr.clone()))).unwrap();
    assert!(matches!(io.connected(Duration::from_secs(5)), Some(Ok(_))));
    let mut transport = PcscTransport::new(io, Vec::new(), READER.into(), APDU_BOUND);
    let long = vec![0u8; crate::card::apdu::MAX_SHORT_APDU + 1];
    match transport.transmit(&long) {
        Err(TransportError::Reader(detail)) => assert!(detail.contains("nothing sent"), "{detail}"),
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert!(wire.sent().is_empty());
    let longest = vec![0u8; crate::card::apdu::MAX_SHORT_APDU];
    assert!(transport.transmit(&longest).is_ok());
    assert_eq!(wire.sent().len(), 1);
}

#[test]
fn another_program_holding_the_reader_exclusively_takes_it_out_of_service_until_it_lets_go() {
    let wire = Wire::new();
    let (mut reader, _monitor) = scripted(&wire);
    wire.script().refuse_connect = Some(PcscError::SharingViolation);
    let start = Instant::now();
    let reply = reader.execute(ReaderOp::Identify);
    eprintln!("connect refused for {:?} before giving up", start.elapsed());
    assert!(fault_text(&reply).contains("another program is using the card reader"));
    assert!(start.elapsed() >= CONNECT_BOUND);
    assert_eq!(
        reader.next_event(None),
        Some(ReaderEvent::Down(ReaderTrouble::ReaderInUse))
    );
    assert!(wire.sent().is_empty());
    // Still held: the recheck finds nothing.
    assert_eq!(reader.next_event(Some(IN_USE_RECHECK * 2)), None);
    wire.script().refuse_connect = None;
    let mut event = None;
    for _ in 0..5 {
        event = reader.next_event(Some(IN_USE_RECHECK * 2));
        if event.is_some() {
            break;
        }
    }
    assert!(
        matches!(event, Some(ReaderEvent::Ready { card: Some(_), .. })),
        "{event:?}"
    );
    assert!(reader.take_new_card(Duration::ZERO));
    assert_eq!(
        reader.execute(ReaderOp::Identify),
        ReaderReply::Identified(Tapped::MyNumberCard)
    );
}
