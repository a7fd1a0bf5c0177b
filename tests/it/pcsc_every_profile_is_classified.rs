//! Through a real pcscd: every kind of thing a patient may tap is recognised from what it
//! answers and the shape of its ATR (never from a list of ATRs), with the fewest APDUs; the
//! virtual card's own counters say how many APDUs reached it and that no VERIFY did.

use crate::pcsc;

use pcsc::{insert, reader, rig, simulated, view};
use uketsuke::domain::Tapped;
use uketsuke::flow::{ReaderOp, ReaderReply};

#[test]
fn every_profile_is_classified_through_pcscd() {
    let Some(_rig) = rig() else { return };
    let mut reader = reader();
    // (profile, what the kiosk must conclude, APDUs it may spend deciding)
    let table = [
        ("card", Tapped::MyNumberCard, 3),
        ("phone", Tapped::AndroidPhone, 3),
        ("resident-card", Tapped::OldResidentCard, 3),
        // FeliCa: the reader-built storage-card ATR says it all.
        ("transit", Tapped::TransitCard, 0),
        // No JPKI AP; answers the EMV payment directory.
        ("payment", Tapped::PaymentCard, 2),
        // An iPhone or other device: no JPKI AP a generic reader can select; no historical
        // bytes and a random UID (the reader's GET DATA, FF CA).
        ("iphone", Tapped::UnreadableDevice, 3),
        ("unknown-device", Tapped::UnreadableDevice, 3),
        // Answers nothing: asked to tap again.
        ("mute", Tapped::Mute, 1),
        // Type B without JPKI and without a payment directory: a card.
        ("licence", Tapped::OtherCard, 2),
        // An Android HCE app: a non-ISO status word says "an app" at once...
        ("hce-app", Tapped::UnreadableDevice, 1),
        // ... and 6F 00 with a random UID and no historical bytes says "a phone".
        ("hce-app-6f00", Tapped::UnreadableDevice, 3),
        // Type A with a fixed UID: a card.
        ("pki-card", Tapped::OtherCard, 3),
        // Type A, random UID, historical bytes: the patient is asked.
        ("passport", Tapped::CardOrPhone, 3),
    ];
    assert_eq!(
        table.len(),
        uketsuke::reader::SIM_PROFILE_NAMES.len(),
        "every named profile is in the table"
    );
    for (profile, expected, apdus) in table {
        let card = simulated(profile);
        let on_reader = insert(&card);
        assert!(
            reader.take_new_card(pcsc::EVENT_WAIT),
            "{profile}: pcscd never reported it present"
        );
        assert_eq!(
            reader.execute(ReaderOp::Identify),
            ReaderReply::Identified(expected),
            "{profile}"
        );
        assert_eq!(view(&card).apdu_count, apdus, "{profile}: APDUs sent");
        assert_eq!(
            view(&card).verify_count,
            0,
            "{profile}: no VERIFY while identifying"
        );
        on_reader.remove();
        assert!(
            reader.wait_for_removal(pcsc::EVENT_WAIT),
            "{profile}: pcscd never reported it gone"
        );
    }
}

#[test]
fn an_empty_reader_answers_card_gone_and_sends_nothing() {
    let Some(_rig) = rig() else { return };
    let mut reader = reader();
    assert!(!reader.field().present);
    assert_eq!(reader.execute(ReaderOp::Identify), ReaderReply::CardGone);
}
