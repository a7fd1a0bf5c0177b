//! Through a real pcscd: the reader comes back by itself after pcscd restarts (within 2 s of
//! its return) and after the reader is unplugged and plugged back; with no pcscd or no reader
//! the kiosk says which, and `uketsuke doctor` reports it.

use crate::pcsc;

use std::process::Command;
use std::time::{Duration, Instant};

use pcsc::{AFTER_PIN, EVENT_WAIT, PcscKiosk, READER, insert_with, pcscd, rig, simulated};
use uketsuke::domain::Outcome;
use uketsuke::flow::ReaderTrouble;
use uketsuke::reader::pcsc::{PcscReader, ReaderEvent};
use uketsuke::vpcd::{WhenDropped, WireFaults};

/// Waits for the next event matching `wanted`; panics naming what came instead.
fn expect_event(reader: &mut PcscReader, wanted: impl Fn(&ReaderEvent) -> bool) -> ReaderEvent {
    let end = Instant::now() + EVENT_WAIT;
    let mut seen = Vec::new();
    while Instant::now() < end {
        if let Some(event) = reader.next_event(Some(end - Instant::now())) {
            if wanted(&event) {
                return event;
            }
            seen.push(event);
        }
    }
    panic!("the expected event never came; saw {seen:?}");
}

#[test]
fn the_reader_is_usable_within_two_seconds_of_pcscd_returning() {
    let Some(_rig) = rig() else { return };
    // A card left lying on the reader: it comes back whenever vpcd is there again.
    let card = simulated("card");
    let _on_reader = insert_with(
        &card,
        WireFaults::default(),
        WhenDropped::ComeBackAfter(Duration::from_millis(100)),
    );
    let mut reader = pcsc::reader();
    assert!(reader.take_new_card(EVENT_WAIT), "the card is seen");

    pcscd("stop");
    expect_event(&mut reader, |e| {
        *e == ReaderEvent::Down(ReaderTrouble::ServiceNotRunning)
    });
    assert!(!reader.field().present, "a card on a dead pcscd is no card");
    pcscd("start");
    let back = Instant::now();
    expect_event(&mut reader, |e| matches!(e, ReaderEvent::Ready { .. }));
    let ready_after = back.elapsed();
    assert!(
        reader.take_new_card(EVENT_WAIT),
        "the card on the reader is seen again"
    );
    let card_after = back.elapsed();
    eprintln!(
        "pcscd restart: reader ready {} ms and card seen {} ms after pcscd was back",
        ready_after.as_millis(),
        card_after.as_millis()
    );
    assert!(
        ready_after <= Duration::from_secs(2),
        "reader ready {ready_after:?} after pcscd's return"
    );
    drop(reader);

    // And a whole check-in works on the new pcscd.
    let mut kiosk = PcscKiosk::new("valid-3");
    kiosk.step_ok(r#""tap""#);
    kiosk.step_ok(r#"{"pin": "1234"}"#);
    assert_eq!(kiosk.finish(AFTER_PIN).record.outcome, Outcome::Completed);
}

#[test]
fn an_unplugged_reader_is_out_of_service_until_plugged_back() {
    let Some(_rig) = rig() else { return };
    let mut reader = pcsc::reader();
    pcscd("unplug");
    expect_event(&mut reader, |e| {
        *e == ReaderEvent::Down(ReaderTrouble::NoReader)
    });
    assert_eq!(reader.field().trouble, Some(ReaderTrouble::NoReader));
    pcscd("plug");
    let event = expect_event(&mut reader, |e| matches!(e, ReaderEvent::Ready { .. }));
    assert_eq!(
        event,
        ReaderEvent::Ready {
            reader: READER.to_string(),
            card: None
        }
    );
    assert_eq!(reader.field().trouble, None);
}

#[test]
fn with_no_reader_at_start_the_kiosk_and_doctor_say_why() {
    let Some(_rig) = rig() else { return };
    pcscd("unplug");
    let mut reader = PcscReader::start(Some(READER)).expect("the monitor starts");
    assert!(reader.wait_until(EVENT_WAIT, |f| f.trouble == Some(ReaderTrouble::NoReader)));
    drop(reader);
    let doctor = Command::new(pcsc::binary())
        .arg("doctor")
        .output()
        .expect("uketsuke doctor runs");
    let out = String::from_utf8_lossy(&doctor.stdout);
    assert!(!doctor.status.success(), "{out}");
    assert!(out.contains("pcscd: running"), "{out}");
    assert!(out.contains("NO READER"), "{out}");
    // The code the patient reads out from the screen is on doctor's line too.
    assert!(out.contains("the kiosk's screen shows R2"), "{out}");
    assert!(out.contains("plugged in"), "{out}");
    let dir = tempfile::tempdir().expect("a temporary folder");
    let script = dir.path().join("tap.json");
    std::fs::write(&script, r#"{"steps": ["tap"]}"#).expect("the script is written");
    let check_in = Command::new(pcsc::binary())
        .args(["check-in", "--headless", "--reader", "pcsc", "--db"])
        .arg(dir.path().join("kiosk.db"))
        .arg("--patient")
        .arg(&script)
        .output()
        .expect("uketsuke check-in runs");
    let err = String::from_utf8_lossy(&check_in.stderr);
    assert!(!check_in.status.success());
    assert!(err.contains("no matching reader"), "{err}");

    pcscd("stop");
    let mut reader = PcscReader::start(Some(READER)).expect("the monitor starts");
    assert!(reader.wait_until(EVENT_WAIT, |f| {
        f.trouble == Some(ReaderTrouble::ServiceNotRunning)
    }));
    drop(reader);
    let doctor = Command::new(pcsc::binary())
        .arg("doctor")
        .output()
        .expect("uketsuke doctor runs");
    let out = String::from_utf8_lossy(&doctor.stdout);
    assert!(!doctor.status.success(), "{out}");
    assert!(out.contains("NOT RUNNING"), "{out}");
    assert!(out.contains("the kiosk's screen shows R1"), "{out}");
    assert!(out.contains("/run/pcscd/pcscd.comm"), "{out}");
    // The rig plugs the reader back and starts pcscd for the next test.
}
