//! The live kiosk on a real reader: the runtime's PC/SC thread turns pcscd's events into taps
//! and runs the reader operations the screens ask for, through a real pcscd and a virtual card.

use crate::pcsc;
use crate::ui;

use std::time::Instant;

use uketsuke::gateway::sim::Persona;
use uketsuke::reader::KioskReader;
use uketsuke::reader::pcsc::PcscReader;
use uketsuke::ui::ScreenKind;

use ui::UiKiosk;

fn wait_for(kiosk: &UiKiosk, screen: ScreenKind) {
    let start = Instant::now();
    while kiosk.screen() != screen {
        assert!(
            start.elapsed() < pcsc::EVENT_WAIT,
            "never reached {screen:?}; on {:?}",
            kiosk.screen()
        );
        kiosk.rt.borrow_mut().wait_for_message(pcsc::EVENT_WAIT);
    }
}

#[test]
fn a_card_on_the_real_reader_checks_in_through_the_screens() {
    let Some(_rig) = pcsc::rig() else { return };
    let reader = PcscReader::start(Some(pcsc::READER)).expect("the monitor thread starts");
    let kiosk = UiKiosk::with_reader(
        Persona::Valid3,
        KioskReader::Pcsc(Box::new(reader)),
        1080,
        1920,
    );
    kiosk.to_english();
    let card = pcsc::simulated("card");
    let _on_reader = pcsc::insert(&card);
    wait_for(&kiosk, ScreenKind::PinEntry);
    assert!(kiosk.shows("Tries left: 3"), "{:?}", kiosk.labels());
    // OK sends the VERIFY on the reader thread; the screen answers while it runs.
    kiosk.type_pin("1234", "OK");
    wait_for(&kiosk, ScreenKind::ConsentChoice);
    kiosk.press("Agree to all");
    kiosk.press("Yes, I agree");
    kiosk.press("Electronic prescription");
    wait_for(&kiosk, ScreenKind::Done);
    let seen = pcsc::view(&card);
    assert_eq!(seen.verify_count, 1);
    assert_eq!(seen.apdu_count, 12);
    assert_eq!(seen.tries_left, 3);
}
