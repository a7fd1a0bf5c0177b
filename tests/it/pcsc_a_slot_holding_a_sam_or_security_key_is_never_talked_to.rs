//! Through a real pcscd with two vpcd slots: a reader whose first slot holds a card that never
//! leaves (the SAM of an ACS ACR1251/ACR1252, or a YubiKey on the same terminal) is read on its
//! other slot. The kiosk, given no reader name, checks a My Number card in on the second slot;
//! the card in the first slot receives no APDU and no connect (its own counters, and the power
//! events vpcd passes on); `doctor` lists that slot as ignored and says why. Once that card is
//! taken out, the slot is a reader like any other.

use std::process::Command;
use std::sync::{Arc, Mutex};

use crate::pcsc;

use pcsc::{
    AFTER_PIN, EVENT_WAIT, PORT, PcscKiosk, READER, SECOND_PORT, SECOND_READER, binary,
    contact_card, insert_on, reader_named, rig, simulated, view, wait_for_card_on,
};
use uketsuke::card::sim::SimulatedCard;
use uketsuke::domain::Outcome;
use uketsuke::flow::ReaderTrouble;
use uketsuke::rules::FacilityConfig;
use uketsuke::vpcd::{VirtualCard, WhenDropped, WireFaults};

/// The SAM slot of an ACS ACR1251/ACR1252 (MIFARE Plus SAM), as pcscd reports it.
const SAM_ATR: [u8; 28] = [
    0x3B, 0xDF, 0x18, 0xFF, 0x81, 0xF1, 0xFE, 0x43, 0x00, 0x3F, 0x03, 0x83, 0x4D, 0x49, 0x46, 0x41,
    0x52, 0x45, 0x20, 0x50, 0x6C, 0x75, 0x73, 0x20, 0x53, 0x41, 0x4D, 0x3B,
];
/// A YubiKey's CCID interface.
const YUBIKEY_ATR: [u8; 23] = [
    0x3B, 0xFD, 0x13, 0x00, 0x00, 0x81, 0x31, 0xFE, 0x15, 0x80, 0x73, 0xC0, 0x21, 0xC0, 0x57, 0x59,
    0x75, 0x62, 0x69, 0x4B, 0x65, 0x79, 0x40,
];

/// Puts a card that never leaves on the first slot, and waits until pcscd reports it, as it
/// would for a SAM present since power-up.
fn fixed_card_on_first_slot(atr: &[u8]) -> (Arc<Mutex<SimulatedCard>>, VirtualCard) {
    let card = contact_card(atr);
    let on_slot = insert_on(PORT, &card, WireFaults::default(), WhenDropped::StayOff);
    wait_for_card_on(READER, true);
    (card, on_slot)
}

/// `uketsuke doctor --json --only reader` (no reader name, no facility file).
fn doctor_readers() -> (Option<i32>, serde_json::Value) {
    let data = tempfile::tempdir().expect("a temporary folder");
    let out = Command::new(binary())
        .args(["doctor", "--json", "--only", "reader", "--data-dir"])
        .arg(data.path())
        .output()
        .expect("doctor runs");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)));
    let check = report["checks"][0].clone();
    assert_eq!(check["id"], "reader", "{report}");
    (out.status.code(), check)
}

fn slot<'a>(check: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    check["readers"]
        .as_array()
        .and_then(|r| r.iter().find(|r| r["name"] == name))
        .unwrap_or_else(|| panic!("doctor does not list {name}: {check}"))
}

/// The whole report for one fixed card's ATR.
fn the_kiosk_checks_in_on_the_other_slot(atr: &[u8]) {
    let Some(_rig) = rig() else { return };
    let (fixed, fixed_on_slot) = fixed_card_on_first_slot(atr);

    let (code, check) = doctor_readers();
    assert_eq!(code, Some(0), "a usable slot remains: {check}");
    assert_eq!(check["state"], "ok", "{check}");
    let first = slot(&check, READER);
    assert_eq!(first["role"], "ignored", "{check}");
    assert_eq!(
        first["why"],
        "holds a card that never leaves (a SAM or a security key); the kiosk never talks to it"
    );
    assert_eq!(
        first["card_atr"],
        uketsuke::card::apdu::hex(atr),
        "the ATR as pcscd reports it"
    );
    assert_eq!(slot(&check, SECOND_READER)["role"], "chosen", "{check}");
    assert!(
        check["detail"]
            .as_str()
            .is_some_and(|d| d.contains(SECOND_READER) && d.contains("1 slot(s) ignored")),
        "{check}"
    );

    let mut kiosk = PcscKiosk::on(reader_named(None), "valid-3", FacilityConfig::default());
    assert_eq!(
        kiosk.driver.reader.field().reader.as_deref(),
        Some(SECOND_READER),
        "the kiosk watches the slot that can hold a patient's card"
    );
    let card = simulated("card");
    let _card_on_slot = insert_on(
        SECOND_PORT,
        &card,
        WireFaults::default(),
        WhenDropped::StayOff,
    );
    kiosk.step_ok(r#""tap""#);
    kiosk.step_ok(r#"{"pin": "1234"}"#);
    let stored = kiosk.finish(AFTER_PIN);
    assert_eq!(stored.record.outcome, Outcome::Completed);
    assert_eq!(view(&card).verify_count, 1);

    let seen = view(&fixed);
    println!(
        "fixed card {}: {} APDUs, {} power events after insertion; My Number card: {} APDUs",
        uketsuke::card::apdu::hex(atr),
        seen.apdu_count,
        fixed_on_slot.power_events(),
        view(&card).apdu_count
    );
    assert_eq!(seen.apdu_count, 0, "no APDU ever reaches the fixed card");
    assert_eq!(seen.verify_count, 0);
    assert_eq!(
        fixed_on_slot.power_events(),
        0,
        "no connect: pcscd would power the card up or reset it"
    );
    assert!(fixed_on_slot.is_connected(), "still in its slot");
}

#[test]
fn a_sam_in_the_first_slot_is_ignored_and_the_card_checks_in_on_the_second() {
    the_kiosk_checks_in_on_the_other_slot(&SAM_ATR);
}

#[test]
fn a_security_key_in_the_first_slot_is_ignored_and_the_card_checks_in_on_the_second() {
    the_kiosk_checks_in_on_the_other_slot(&YUBIKEY_ATR);
}

#[test]
fn a_slot_whose_fixed_card_is_taken_out_becomes_usable() {
    let Some(_rig) = rig() else { return };
    let (fixed, fixed_on_slot) = fixed_card_on_first_slot(&SAM_ATR);
    // Told to use the first slot only, the kiosk has no reader while the SAM is there.
    let mut reader = uketsuke::reader::pcsc::PcscReader::start(Some(READER)).expect("a monitor");
    assert!(
        reader.wait_until(EVENT_WAIT, |f| f.trouble == Some(ReaderTrouble::NoReader)),
        "{:?}",
        reader.field()
    );
    let (code, check) = doctor_readers();
    assert_eq!(slot(&check, READER)["role"], "ignored", "{check}");
    assert_eq!(code, Some(0), "the second slot is still usable: {check}");

    fixed_on_slot.remove();
    assert!(
        reader.wait_until(EVENT_WAIT, |f| f.reader.as_deref() == Some(READER)
            && !f.present),
        "the emptied slot is used: {:?}",
        reader.field()
    );
    let (_, check) = doctor_readers();
    assert_eq!(slot(&check, READER)["role"], "chosen", "{check}");

    let mut kiosk = PcscKiosk::on(reader, "valid-3", FacilityConfig::default());
    let card = simulated("card");
    let _card_on_slot = insert_on(PORT, &card, WireFaults::default(), WhenDropped::StayOff);
    kiosk.step_ok(r#""tap""#);
    kiosk.step_ok(r#"{"pin": "1234"}"#);
    let stored = kiosk.finish(AFTER_PIN);
    assert_eq!(stored.record.outcome, Outcome::Completed);
    assert_eq!(view(&fixed).apdu_count, 0, "nothing reached the SAM");
}
