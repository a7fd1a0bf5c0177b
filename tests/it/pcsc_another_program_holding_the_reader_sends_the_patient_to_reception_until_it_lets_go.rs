//! Through a real pcscd, with a second real PC/SC client in the test: while another program
//! holds the reader (connected `EXCLUSIVE`, or inside `SCardBeginTransaction`, where pcsc-lite's
//! connect blocks), the live kiosk never blocks: after its bounded connect it sends the patient
//! to reception, records the handoff with "close the other program" on the staff checklist
//! (the console's queue), shows the idle screen out of service, and checks the next patient in
//! once the other program lets go. No VERIFY is sent
//! while the reader is held; one PIN, one VERIFY after.

use crate::pcsc;
use crate::ui;

use std::ffi::CString;
use std::time::{Duration, Instant};

use ::pcsc::{Context, Protocols, Scope, ShareMode};
use uketsuke::domain::{ChecklistItem, HandoffReason, Outcome};
use uketsuke::gateway::sim::Persona;
use uketsuke::reader::KioskReader;
use uketsuke::reader::pcsc::{CONNECT_BOUND, PcscReader};
use uketsuke::ui::ScreenKind;

use ui::UiKiosk;

/// Waits (real time, generous cap) for the live kiosk to show `screen`.
fn wait_for(kiosk: &UiKiosk, screen: ScreenKind, cap: Duration) {
    let start = Instant::now();
    while kiosk.screen() != screen {
        assert!(
            start.elapsed() < cap,
            "never reached {screen:?}; on {:?}: {:?}",
            kiosk.screen(),
            kiosk.labels()
        );
        kiosk
            .rt
            .borrow_mut()
            .wait_for_message(Duration::from_millis(200));
    }
}

const CAP: Duration = Duration::from_secs(20);

fn kiosk() -> UiKiosk {
    let reader = PcscReader::start(Some(pcsc::READER)).expect("the monitor thread starts");
    let kiosk = UiKiosk::with_reader(
        Persona::Valid3,
        KioskReader::Pcsc(Box::new(reader)),
        1080,
        1920,
    );
    kiosk.to_english();
    kiosk
}

/// The patient under way is sent to reception, the handoff is recorded with its checklist, and
/// the idle screen is out of service.
fn sent_to_reception(kiosk: &UiKiosk, card: &pcsc::CardView, held_since: Instant) {
    wait_for(kiosk, ScreenKind::Handoff, CAP);
    eprintln!(
        "the patient was sent to reception {:?} after the reader was taken",
        held_since.elapsed()
    );
    assert!(
        kiosk.shows(
            "This is not a problem with your card. Please go to the reception desk with it."
        ),
        "{:?}",
        kiosk.labels()
    );
    assert_eq!(card.verify_count, 0);
    let handoffs = kiosk.store.open_handoffs().expect("the store reads");
    assert_eq!(handoffs.len(), 1, "{handoffs:?}");
    let record = &handoffs[0].record;
    assert_eq!(
        record.outcome,
        Outcome::HandedToStaff {
            reason: HandoffReason::ReaderOutOfService
        }
    );
    assert_eq!(
        record.checklist.first(),
        Some(&ChecklistItem::CloseOtherReaderProgram),
        "{:?}",
        record.checklist
    );
    // The final screen times out to the idle screen, which says the kiosk cannot read cards.
    kiosk.advance(60);
    wait_for(kiosk, ScreenKind::OutOfService, CAP);
}

/// `uketsuke doctor`'s reader lines (its probe: the reader's own GET DATA on the card).
fn doctor() -> String {
    let doctor = std::process::Command::new(pcsc::binary())
        .args(["doctor", "--reader", pcsc::READER])
        .output()
        .expect("uketsuke doctor runs");
    String::from_utf8_lossy(&doctor.stdout).into_owned()
}

/// While the reader is held, doctor says so and what to do (within its connect bound).
fn doctor_says_in_use() {
    let out = doctor();
    assert!(out.contains("the reader is IN USE"), "{out}");
    assert!(out.contains("the kiosk's screen shows R4"), "{out}");
    assert!(
        out.contains("another program is using the card reader"),
        "{out}"
    );
}

/// Once the other program let go: the card on the reader starts a check-in that completes with
/// one VERIFY.
fn checks_in_after_release(
    kiosk: &UiKiosk,
    card: &std::sync::Arc<std::sync::Mutex<uketsuke::card::sim::SimulatedCard>>,
) {
    let released = Instant::now();
    wait_for(kiosk, ScreenKind::PinEntry, CAP);
    eprintln!(
        "the kiosk read the card {:?} after the other program let go",
        released.elapsed()
    );
    // A new patient: the kiosk starts in Japanese again.
    kiosk.to_english();
    kiosk.type_pin("1234", "OK");
    wait_for(kiosk, ScreenKind::ConsentChoice, CAP);
    kiosk.press("Agree to all");
    kiosk.press("Yes, I agree");
    kiosk.press("Electronic prescription");
    wait_for(kiosk, ScreenKind::Done, CAP);
    let seen = pcsc::view(card);
    assert_eq!(seen.verify_count, 1, "one PIN, one VERIFY");
    assert_eq!(seen.tries_left, 3);
}

#[test]
fn a_program_connected_exclusively_sends_the_patient_to_reception_until_it_disconnects() {
    let Some(_rig) = pcsc::rig() else { return };
    let card = pcsc::simulated("card");
    let _on_reader = pcsc::insert(&card);
    let name = CString::new(pcsc::READER).expect("no NUL");
    let other = Context::establish(Scope::User).expect("a second PC/SC context");
    // The card must be there for an exclusive connect: pcscd polls vpcd.
    let start = Instant::now();
    let exclusive = loop {
        match other.connect(&name, ShareMode::Exclusive, Protocols::ANY) {
            Ok(card) => break card,
            Err(e) => {
                assert!(start.elapsed() < CAP, "cannot connect exclusively: {e}");
                std::thread::sleep(Duration::from_millis(100));
            }
        }
    };
    let held = Instant::now();
    let kiosk = kiosk();
    sent_to_reception(&kiosk, &pcsc::view(&card), held);
    assert!(
        held.elapsed() >= CONNECT_BOUND,
        "the connect was tried for its bound"
    );
    assert_eq!(pcsc::view(&card).apdu_count, 0, "nothing reached the card");
    doctor_says_in_use();
    drop(exclusive);
    checks_in_after_release(&kiosk, &card);
    let apdus = pcsc::view(&card).apdu_count;
    let out = doctor();
    assert!(out.contains("the reader answers"), "{out}");
    assert_eq!(
        pcsc::view(&card).apdu_count,
        apdus + 1,
        "doctor's probe is one GET DATA (vpcd hands it to the card)"
    );
}

#[test]
fn a_program_holding_a_transaction_sends_the_patient_to_reception_until_it_ends_it() {
    let Some(_rig) = pcsc::rig() else { return };
    let card = pcsc::simulated("card");
    let _on_reader = pcsc::insert(&card);
    let name = CString::new(pcsc::READER).expect("no NUL");
    let other = Context::establish(Scope::User).expect("a second PC/SC context");
    let start = Instant::now();
    let mut shared = loop {
        match other.connect(&name, ShareMode::Shared, Protocols::ANY) {
            Ok(card) => break card,
            Err(e) => {
                assert!(start.elapsed() < CAP, "cannot connect: {e}");
                std::thread::sleep(Duration::from_millis(100));
            }
        }
    };
    {
        let transaction = shared.transaction().expect("SCardBeginTransaction");
        let held = Instant::now();
        let kiosk = kiosk();
        sent_to_reception(&kiosk, &pcsc::view(&card), held);
        assert_eq!(pcsc::view(&card).apdu_count, 0, "nothing reached the card");
        doctor_says_in_use();
        // The UI thread was never blocked: it went on drawing and answering throughout.
        drop(transaction);
        checks_in_after_release(&kiosk, &card);
    }
}
