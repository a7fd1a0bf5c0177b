//! When the PC/SC adapter finds the reader wedged (two faults in a row with the card on it) or
//! held by another program, the patient under way goes to reception with their card, the
//! handoff tells staff what brings the reader back (re-plug it; close the other program), the
//! idle screen is out of service, and the reader coming back opens the kiosk again. (The
//! adapter's side, which pcscd cannot produce, is `reader::pcsc::fault_tests`.)

use crate::common;

use common::{HAPPY, Kiosk, script};
use uketsuke::domain::{ChecklistItem, HandoffReason, Outcome};
use uketsuke::flow::{ReaderTrouble, Screen};

fn handed_over_for(trouble: ReaderTrouble, first: ChecklistItem) {
    let mut kiosk = Kiosk::new("card", "valid-3", None);
    kiosk.step_ok(r#""tap""#);
    assert!(matches!(kiosk.screen(), Screen::PinEntry { .. }));
    kiosk.reader_down(trouble);
    assert!(
        matches!(
            kiosk.screen(),
            Screen::Handoff {
                reason: HandoffReason::ReaderOutOfService,
                ..
            }
        ),
        "{:?}",
        kiosk.screen()
    );
    let stored = kiosk.last_stored();
    assert_eq!(
        stored.record.outcome,
        Outcome::HandedToStaff {
            reason: HandoffReason::ReaderOutOfService
        }
    );
    assert_eq!(stored.record.checklist.first(), Some(&first));
    assert!(
        stored
            .record
            .checklist
            .contains(&ChecklistItem::CompareCardPhoto),
        "the card was seen, its PIN not checked: {:?}",
        stored.record.checklist
    );
    assert_eq!(kiosk.card().verify_count, 0);
    kiosk.step_ok(r#""ok""#);
    assert_eq!(kiosk.screen(), Screen::OutOfService { trouble });
    kiosk.step_ok(r#""remove""#);
    kiosk.reader_up();
    assert_eq!(kiosk.screen(), Screen::Welcome);
    let done = kiosk.run_ok(&script(HAPPY));
    assert_eq!(done.record.outcome, Outcome::Completed);
}

#[test]
fn a_reader_that_stopped_answering_asks_staff_to_re_plug_it() {
    handed_over_for(
        ReaderTrouble::ReaderNotAnswering,
        ChecklistItem::RePlugCardReader,
    );
    assert_eq!(
        ReaderTrouble::ReaderNotAnswering.as_str(),
        "reader_not_answering"
    );
    assert!(uketsuke::reader::trouble_text(ReaderTrouble::ReaderNotAnswering).contains("re-plug"));
}

#[test]
fn a_reader_held_by_another_program_asks_staff_to_close_it() {
    handed_over_for(
        ReaderTrouble::ReaderInUse,
        ChecklistItem::CloseOtherReaderProgram,
    );
    assert!(
        uketsuke::reader::trouble_text(ReaderTrouble::ReaderInUse)
            .contains("another program is using the card reader")
    );
}
