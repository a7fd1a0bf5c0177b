//! Through a real pcscd: a card's security state never carries from one check-in to the next.
//! The cards here answer the tries probe `90 00` while verified (`probe=ok`), so a card that
//! was NOT reset would say "verified" and the kiosk would not ask for the PIN: asking for it
//! again shows the card really started unverified. Counters are the virtual card's own.

use crate::pcsc;

use pcsc::{AFTER_PIN, PcscKiosk, insert, rig, simulated, view};
use uketsuke::card::sim::lock;
use uketsuke::domain::Outcome;
use uketsuke::flow::Screen;

fn resets_and_probes(
    card: &std::sync::Arc<std::sync::Mutex<uketsuke::card::sim::SimulatedCard>>,
) -> (usize, usize) {
    let card = lock(card);
    (card.reset_count(), card.probe_count())
}

#[test]
fn a_card_verified_then_cancelled_and_tapped_again_is_asked_for_its_pin_again() {
    let Some(_rig) = rig() else { return };
    let card = simulated("card,probe=ok");
    let on_reader = insert(&card);
    let mut kiosk = PcscKiosk::new("valid-3");
    kiosk.step_ok(r#""tap""#);
    kiosk.step_ok(r#"{"pin": "1234"}"#);
    assert!(
        lock(&card).is_verified(),
        "the first check-in verified the PIN"
    );
    kiosk.step_ok(r#""cancel""#);
    assert_eq!(kiosk.committed_count(), 1);
    let (resets_before, probes_before) = resets_and_probes(&card);
    assert_eq!(probes_before, 1);

    // The patient lifts the card and taps it again.
    on_reader.remove();
    kiosk.step_ok(r#""remove""#);
    let _on_reader = insert(&card);
    kiosk.step_ok(r#""tap""#);
    let (resets_after, probes_after) = resets_and_probes(&card);
    println!("resets/power-ups seen by the card: {resets_before} then {resets_after}");
    assert!(
        resets_after > resets_before,
        "the card was powered up afresh"
    );
    assert_eq!(
        probes_after, 2,
        "the kiosk read the tries with the probe again"
    );
    assert!(
        matches!(kiosk.screen(), Screen::PinEntry { tries_left: 3, .. }),
        "a fresh session asks for the PIN: {:?}",
        kiosk.screen()
    );
    kiosk.step_ok(r#"{"pin": "1234"}"#);
    let stored = kiosk.finish(AFTER_PIN);
    assert_eq!(stored.record.outcome, Outcome::Completed);
    let seen = view(&card);
    assert_eq!(
        seen.verify_count, 2,
        "one VERIFY per check-in, none repeated"
    );
    assert_eq!(seen.tries_left, 3);
}

#[test]
fn the_kiosk_letting_go_of_a_card_resets_it_on_the_reader() {
    let Some(_rig) = rig() else { return };
    let card = simulated("card,probe=ok");
    let on_reader = insert(&card);
    {
        let mut kiosk = PcscKiosk::new("valid-3");
        kiosk.step_ok(r#""tap""#);
        kiosk.step_ok(r#"{"pin": "1234"}"#);
        kiosk.step_ok(r#""cancel""#);
        assert!(lock(&card).is_verified());
        let resets = lock(&card).reset_count();
        // The kiosk stops (a restart, say) with the card still lying on the reader: its
        // handle is disconnected with SCARD_RESET_CARD, and the reset reaches the card before
        // the disconnect returns.
        drop(kiosk);
        let after = lock(&card).reset_count();
        println!("resets seen by the card: {resets} before the kiosk let go, {after} after");
        assert!(after > resets, "SCardDisconnect reset the card");
        assert!(!lock(&card).is_verified(), "no PIN stays verified");
    }
    assert!(on_reader.is_connected(), "the card never left the reader");

    // The next kiosk (the next patient) finds the card on the reader, unverified.
    let mut kiosk = PcscKiosk::new("valid-3");
    kiosk.step_ok(r#""tap""#);
    assert!(
        matches!(kiosk.screen(), Screen::PinEntry { tries_left: 3, .. }),
        "{:?}",
        kiosk.screen()
    );
    assert_eq!(view(&card).verify_count, 1);
}
