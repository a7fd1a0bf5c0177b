//! The empty VERIFY (`00 20 00 80`) is a tries probe, never proof of a verified PIN. A card
//! that answers it `90 00` has told nothing about its counter: the kiosk sends no VERIFY, asks
//! for one fresh tap, and hands a card that answers so again to staff (no endless loop). Real
//! JPKI cards answer `63 Cx` even right after a good VERIFY, which the simulated card now does
//! by default; `probe=ok` keeps the other behaviour tested.

use crate::common;

use common::{HAPPY, Kiosk, check_in, script};
use uketsuke::domain::{ChecklistItem, HandoffReason, Outcome};
use uketsuke::flow::Screen;

#[test]
fn a_card_whose_probe_answers_90_00_gets_one_re_tap_then_staff_and_no_verify() {
    let run = check_in(
        "card,probe=always-ok",
        "valid-3",
        None,
        &script(r#"["tap", "remove", "tap"]"#),
    );
    let record = &run.stored.record;
    assert_eq!(
        record.outcome,
        Outcome::HandedToStaff {
            reason: HandoffReason::StaffVisualCheck
        },
        "screens {:?}",
        run.screens
    );
    // Told apart from one try left in the record: the console says the tries are unknown.
    assert_eq!(
        record.checklist,
        vec![
            ChecklistItem::NoPinAtDeskTriesUnknown,
            ChecklistItem::CompareCardPhoto
        ]
    );
    assert_eq!(
        record.identity, None,
        "a 90 00 probe is never a verified PIN"
    );
    assert!(!record.counts_toward_usage_rate);
    let not_read = run
        .screens
        .iter()
        .filter(|s| matches!(s, Screen::NotRead))
        .count();
    assert_eq!(not_read, 1, "one fresh tap asked for: {:?}", run.screens);
    assert!(
        !run.screens
            .iter()
            .any(|s| matches!(s, Screen::PinEntry { .. })),
        "the PIN pad is never offered on unknown tries: {:?}",
        run.screens
    );
    let card = run.card();
    assert_eq!(card.verify_count, 0, "no VERIFY with data reached the card");
    assert_eq!(card.tries_left, 3);
    let probes = run
        .reader()
        .card("card,probe=always-ok")
        .map(|c| uketsuke::card::sim::lock(&c).probe_count());
    assert_eq!(probes, Some(2), "one probe per tap");
}

#[test]
fn the_first_unknown_answer_asks_for_a_tap_and_the_card_is_read_again() {
    let mut kiosk = Kiosk::new("card,probe=always-ok", "valid-3", None);
    kiosk.step_ok(r#""tap""#);
    assert_eq!(kiosk.screen(), Screen::NotRead, "{:?}", kiosk.screens());
    assert_eq!(kiosk.committed_count(), 0, "still the same check-in");
    assert_eq!(kiosk.card().verify_count, 0);
}

#[test]
fn a_card_that_says_90_00_only_after_a_good_verify_checks_in_as_usual() {
    // The kiosk never probes after a good VERIFY, so this card behaves as any other.
    let run = check_in("card,probe=ok", "valid-3", None, &script(HAPPY));
    assert_eq!(run.stored.record.outcome, Outcome::Completed);
    assert_eq!(run.card().verify_count, 1);
}

#[test]
fn a_real_cards_probe_tells_the_tries_even_after_a_good_verify() {
    // The default simulated card is the real card: a probe after a VERIFY says 63 C3.
    let run = check_in("card", "valid-3", None, &script(HAPPY));
    assert_eq!(run.stored.record.outcome, Outcome::Completed);
    let card = run
        .reader()
        .card("card")
        .expect("the reader holds the card");
    let mut card = uketsuke::card::sim::lock(&card);
    assert!(card.is_verified(), "the check-in verified the PIN");
    // The signature left EF 0017 selected: select the PIN EF and ask as the kiosk would.
    assert_eq!(
        card.respond(&[0x00, 0xA4, 0x02, 0x0C, 0x02, 0x00, 0x18]),
        [0x90, 0x00]
    );
    let answer = card.respond(&[0x00, 0x20, 0x00, 0x80]);
    assert_eq!(answer, [0x63, 0xC3]);
}
