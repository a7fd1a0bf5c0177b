//! When the card reader itself is out of service (the PC/SC service stopped, no reader plugged
//! in) the kiosk says so instead of inviting a tap, and goes back to welcome when the reader
//! returns. Paper documents and "call staff" need no reader and keep working. A check-in that
//! still needed the reader is handed to staff; one past its card part carries on. Nothing is
//! recorded while the kiosk merely stands out of service.

use crate::common;

use common::{CONSENT, HAPPY, Kiosk, screen_name, script};
use uketsuke::datetime;
use uketsuke::domain::{
    ChecklistItem, DeclaredDocument, HandoffReason, IdentityMethod, Outcome, Pin, Presented, Step,
    Tapped, VerificationMethod,
};
use uketsuke::flow::{
    CheckInFlow, Command, Input, PatientAction, PinStatus, ReaderOp, ReaderReply, ReaderTrouble,
    Screen, StoreReply,
};
use uketsuke::rules::{FacilityConfig, Rules};

fn out_of_service(trouble: ReaderTrouble) -> Screen {
    Screen::OutOfService { trouble }
}

#[test]
fn reader_down_at_idle_shows_out_of_service_and_up_shows_welcome() {
    let mut kiosk = Kiosk::new("card", "valid-3", None);
    assert_eq!(kiosk.screen(), Screen::Welcome);

    kiosk.reader_down(ReaderTrouble::NoReader);
    assert_eq!(kiosk.screen(), out_of_service(ReaderTrouble::NoReader));
    assert_eq!(screen_name(&kiosk.screen()), "out_of_service");
    let json = serde_json::to_value(kiosk.driver.flow.view()).unwrap();
    assert_eq!(json["trouble"], "no_reader", "{json}");
    assert_eq!(
        kiosk.driver.flow.view().idle_deadline,
        None,
        "nothing to clear"
    );
    assert!(!kiosk.driver.flow.in_session());

    // Another trouble replaces the first.
    kiosk.reader_down(ReaderTrouble::ServiceNotRunning);
    assert_eq!(
        kiosk.screen(),
        out_of_service(ReaderTrouble::ServiceNotRunning)
    );
    assert_eq!(
        ReaderTrouble::ServiceNotRunning.as_str(),
        "service_not_running"
    );
    assert_eq!(ReaderTrouble::NoReader.as_str(), "no_reader");

    // A card the (down) reader reports anyway starts nothing and reaches no card.
    kiosk.step_ok(r#""tap""#);
    assert_eq!(
        kiosk.screen(),
        out_of_service(ReaderTrouble::ServiceNotRunning)
    );
    assert_eq!(kiosk.card().apdu_count, 0);
    kiosk.step_ok(r#""remove""#);

    // Standing out of service for a long time records nothing: it is not a check-in.
    kiosk.wait(3600);
    assert_eq!(
        kiosk.screen(),
        out_of_service(ReaderTrouble::ServiceNotRunning)
    );
    assert_eq!(kiosk.committed_count(), 0);

    kiosk.reader_up();
    assert_eq!(kiosk.screen(), Screen::Welcome);

    // And cards are read again.
    let done = kiosk.run_ok(&script(HAPPY));
    assert_eq!(done.record.outcome, Outcome::Completed);
    assert!(done.record.counts_toward_usage_rate);
    assert_eq!(kiosk.rows_in_month(2026, 11).len(), 1);
}

#[test]
fn paper_documents_and_call_staff_work_while_out_of_service_and_return_to_it() {
    let down = out_of_service(ReaderTrouble::ServiceNotRunning);
    let mut kiosk = Kiosk::new("card", "valid-3", None);
    kiosk.reader_down(ReaderTrouble::ServiceNotRunning);

    // Paper documents, acknowledged.
    let paper = kiosk.run_ok(&script(
        r#"["paper_documents", {"declare": "eligibility_certificate"}]"#,
    ));
    assert_eq!(
        paper.record.outcome,
        Outcome::HandedToStaff {
            reason: HandoffReason::PaperDocument
        }
    );
    assert_eq!(
        paper.record.presented,
        Some(DeclaredDocument::EligibilityCertificate.presented())
    );
    assert_eq!(
        paper.record.expected_route,
        Some(VerificationMethod::EligibilityCertificate)
    );
    assert_eq!(paper.record.verification, None);
    assert!(paper.reception_number.is_some());
    assert!(
        matches!(
            kiosk.screen(),
            Screen::Handoff {
                reason: HandoffReason::PaperDocument,
                ..
            }
        ),
        "{:?}",
        kiosk.screen()
    );
    kiosk.step_ok(r#""ok""#);
    assert_eq!(kiosk.screen(), down);

    // Call staff, left to time out on its final screen.
    let called = kiosk.run_ok(&script(r#"["call_staff"]"#));
    assert_eq!(
        called.record.outcome,
        Outcome::HandedToStaff {
            reason: HandoffReason::PatientCalledStaff
        }
    );
    assert_eq!(
        called.record.checklist,
        vec![ChecklistItem::AskWhatTheyNeed]
    );
    kiosk.wait(60);
    assert_eq!(kiosk.screen(), down);

    // The document menu left alone times out as anywhere else, then back to out of service.
    let idle = kiosk.run_ok(&script(r#"["paper_documents", {"wait_seconds": 91}]"#));
    assert_eq!(
        idle.record.outcome,
        Outcome::TimedOut {
            at: Step::DocumentMenu
        }
    );
    // The timed-out screen stays for `ended_screen_seconds`, then out of service again.
    kiosk.wait(u64::from(
        uketsuke::rules::FacilityConfig::default().ended_screen_seconds,
    ));
    assert_eq!(kiosk.screen(), down);

    // Cancelling from the document menu, too.
    let cancelled = kiosk.run_ok(&script(r#"["paper_documents", "cancel"]"#));
    assert_eq!(
        cancelled.record.outcome,
        Outcome::Cancelled {
            at: Step::DocumentMenu
        }
    );
    kiosk.step_ok(r#""ok""#);
    assert_eq!(kiosk.screen(), down);

    assert_eq!(kiosk.committed_count(), 4);
    assert_eq!(kiosk.card().apdu_count, 0, "the reader was never used");
    kiosk.reader_up();
    assert_eq!(kiosk.screen(), Screen::Welcome);
}

#[test]
fn reader_down_before_the_card_part_is_done_hands_over_to_staff() {
    // Steps before the reader goes down, what was presented, and the screen they lead to.
    let table: [(&str, &str, Option<Presented>); 5] = [
        ("PIN pad", r#"["tap"]"#, Some(Presented::MyNumberCard)),
        (
            "PIN pad after a wrong PIN",
            r#"["tap", {"pin": "0000"}]"#,
            Some(Presented::MyNumberCard),
        ),
        (
            "tap again with the PIN kept",
            r#"["tap", "remove", {"pin": "1234"}]"#,
            Some(Presented::MyNumberCard),
        ),
        (
            "wrong card",
            r#"[{"tap": "transit"}]"#,
            Some(Presented::TransitCard),
        ),
        ("nothing read", r#"[{"tap": "mute"}]"#, None),
    ];
    for (name, steps, presented) in table {
        let mut kiosk = Kiosk::new("card", "valid-3", None);
        let script: Vec<serde_json::Value> = serde_json::from_str(steps).unwrap();
        for step in &script {
            kiosk.step_ok(&step.to_string());
        }
        assert_eq!(kiosk.committed_count(), 0, "{name}");
        let before = kiosk.card();

        kiosk.reader_down(ReaderTrouble::NoReader);

        assert_eq!(kiosk.committed_count(), 1, "{name}: committed");
        let stored = kiosk.last_stored();
        let record = &stored.record;
        assert_eq!(
            record.outcome,
            Outcome::HandedToStaff {
                reason: HandoffReason::ReaderOutOfService
            },
            "{name}"
        );
        assert_eq!(record.verification, None, "{name}: staff decide");
        assert!(!record.counts_toward_usage_rate, "{name}");
        assert_eq!(record.identity, None, "{name}");
        assert_eq!(record.presented, presented, "{name}");
        assert_eq!(record.eligibility, None, "{name}");
        for item in [
            ChecklistItem::CheckPortalEligibilityScreen,
            ChecklistItem::PastRecordOralCheck,
            ChecklistItem::SelfDeclarationForm,
            ChecklistItem::ChargeNormalShare,
            ChecklistItem::NotCountedTowardUsageRate,
        ] {
            assert!(
                record.checklist.contains(&item),
                "{name}: {item:?} in {:?}",
                record.checklist
            );
        }
        assert_eq!(
            record.checklist.contains(&ChecklistItem::CompareCardPhoto),
            presented == Some(Presented::MyNumberCard),
            "{name}: the card's holder is checked by eye"
        );
        let number = stored.reception_number.expect("staff call the number");
        assert!(
            matches!(
                kiosk.screen(),
                Screen::Handoff {
                    reason: HandoffReason::ReaderOutOfService,
                    reception_number: Some(n),
                    ..
                } if n == number
            ),
            "{name}: {:?}",
            kiosk.screen()
        );
        // Not one more APDU, and no PIN sent after the reader went down.
        let after = kiosk.card();
        assert_eq!(after.apdu_count, before.apdu_count, "{name}");
        assert_eq!(after.verify_count, before.verify_count, "{name}");
        assert!(after.tries_left >= 2, "{name}");

        kiosk.step_ok(r#""ok""#);
        assert_eq!(
            kiosk.screen(),
            out_of_service(ReaderTrouble::NoReader),
            "{name}"
        );
        kiosk.reader_up();
        assert_eq!(kiosk.screen(), Screen::Welcome, "{name}");
        assert_eq!(kiosk.committed_count(), 1, "{name}: one record");
    }
}

#[test]
fn reader_down_while_querying_the_gateway_still_completes_then_out_of_service() {
    // The slow gateway (8 s): the consent steps (each waits out the 600 ms dead time) end
    // before it answers.
    let mut kiosk = Kiosk::new("card", "slow", None);
    for step in [
        r#""tap""#,
        r#"{"pin": "1234"}"#,
        r#"{"consent": "all"}"#,
        r#"{"high_cost_limit": true}"#,
        r#"{"prescription": "electronic"}"#,
    ] {
        kiosk.step_ok(step);
    }
    assert_eq!(
        kiosk.screen(),
        Screen::Querying,
        "the answer takes eight seconds"
    );

    kiosk.reader_down(ReaderTrouble::ServiceNotRunning);
    assert_eq!(kiosk.screen(), Screen::Querying, "the card part is done");
    assert_eq!(kiosk.committed_count(), 0);

    kiosk.wait(8);
    let stored = kiosk.last_stored();
    assert_eq!(stored.record.outcome, Outcome::Completed);
    assert_eq!(
        stored.record.verification,
        Some(VerificationMethod::CardViaReader)
    );
    assert!(stored.record.counts_toward_usage_rate);
    assert_eq!(stored.record.identity, Some(IdentityMethod::PinOnCard));
    assert!(stored.record.eligibility.is_some());
    assert!(
        matches!(kiosk.screen(), Screen::Done { .. }),
        "the patient still sees the result: {:?}",
        kiosk.screen()
    );

    kiosk.step_ok(r#""ok""#);
    assert_eq!(
        kiosk.screen(),
        out_of_service(ReaderTrouble::ServiceNotRunning)
    );
    assert_eq!(kiosk.committed_count(), 1);
}

#[test]
fn reader_down_during_consent_carries_on_and_up_before_the_end_shows_welcome() {
    let mut kiosk = Kiosk::new("card", "valid-3", None);
    kiosk.step_ok(r#""tap""#);
    kiosk.step_ok(r#"{"pin": "1234"}"#);
    assert!(matches!(kiosk.screen(), Screen::ConsentChoice { .. }));

    kiosk.reader_down(ReaderTrouble::NoReader);
    assert!(matches!(kiosk.screen(), Screen::ConsentChoice { .. }));
    let steps: Vec<serde_json::Value> = serde_json::from_str(CONSENT).unwrap();
    for step in &steps {
        kiosk.step_ok(&step.to_string());
    }
    kiosk.wait(2);
    assert_eq!(kiosk.last_stored().record.outcome, Outcome::Completed);
    assert!(matches!(kiosk.screen(), Screen::Done { .. }));

    // Left alone, the final screen gives way to out of service, not welcome.
    kiosk.wait(60);
    assert_eq!(kiosk.screen(), out_of_service(ReaderTrouble::NoReader));

    // Another check-in, with the reader back before it ends: welcome afterwards.
    kiosk.reader_up();
    kiosk.step_ok(r#""tap""#);
    kiosk.step_ok(r#"{"pin": "1234"}"#);
    kiosk.reader_down(ReaderTrouble::NoReader);
    kiosk.reader_up();
    for step in &steps {
        kiosk.step_ok(&step.to_string());
    }
    kiosk.wait(2);
    assert_eq!(kiosk.last_stored().record.outcome, Outcome::Completed);
    kiosk.step_ok(r#""ok""#);
    assert_eq!(kiosk.screen(), Screen::Welcome);
    assert_eq!(kiosk.committed_count(), 2);
}

/// The flow alone, answers by hand: a reader operation under way when the reader goes down is
/// abandoned, and its late answer changes nothing.
#[test]
fn a_late_reader_answer_after_reader_down_is_ignored() {
    let t0 = datetime!(2026-11-21 10:00 +09:00);
    let mut flow = CheckInFlow::new(Rules::embedded(), FacilityConfig::default());

    // Down while identifying.
    flow.handle(t0, Input::CardPresent);
    let Some(Command::Reader(identify, ReaderOp::Identify)) = flow.poll() else {
        panic!("identify first");
    };
    flow.handle(t0, Input::ReaderDown(ReaderTrouble::ServiceNotRunning));
    let Some(Command::Persist(save, record)) = flow.poll() else {
        panic!("handed over at once");
    };
    assert_eq!(
        record.outcome,
        Outcome::HandedToStaff {
            reason: HandoffReason::ReaderOutOfService
        }
    );
    assert!(!record.counts_toward_usage_rate);
    flow.handle(
        t0,
        Input::Reader(identify, ReaderReply::Identified(Tapped::MyNumberCard)),
    );
    assert_eq!(flow.poll(), None, "the late answer asks for nothing");
    assert_eq!(flow.view().screen, Screen::Saving);
    flow.handle(
        t0,
        Input::Store(
            save,
            StoreReply::Committed {
                check_in_id: 1,
                reception_number: None,
            },
        ),
    );
    flow.handle(t0, Input::Reader(identify, ReaderReply::CardGone));
    assert!(matches!(
        flow.view().screen,
        Screen::Handoff {
            reason: HandoffReason::ReaderOutOfService,
            ..
        }
    ));
    flow.handle(t0, Input::Patient(PatientAction::Acknowledge));
    assert_eq!(
        flow.view().screen,
        out_of_service(ReaderTrouble::ServiceNotRunning)
    );
    flow.handle(t0, Input::ReaderUp);
    assert_eq!(flow.view().screen, Screen::Welcome);

    // Down while the PIN is being verified: the card's answer comes too late to count.
    flow.handle(t0, Input::CardPresent);
    let Some(Command::Reader(identify, ReaderOp::Identify)) = flow.poll() else {
        panic!("identify first");
    };
    flow.handle(
        t0,
        Input::Reader(identify, ReaderReply::Identified(Tapped::MyNumberCard)),
    );
    // A card's certificate is read for its expiry before its tries (no date: nothing to warn of).
    let mut certificate = None;
    while let Some(command) = flow.poll() {
        if let Command::Reader(t, ReaderOp::ReadCertificateExpiry) = command {
            certificate = Some(t);
        }
    }
    let certificate = certificate.expect("the certificate is read before the tries");
    flow.handle(
        t0,
        Input::Reader(certificate, ReaderReply::CertificateExpiry(None)),
    );
    let mut tries = None;
    while let Some(command) = flow.poll() {
        if let Command::Reader(t, ReaderOp::ReadPinTriesLeft) = command {
            tries = Some(t);
        }
    }
    let tries = tries.expect("tries left are read before any VERIFY");
    flow.handle(
        t0,
        Input::Reader(tries, ReaderReply::PinTriesLeft(PinStatus::TriesLeft(3))),
    );
    assert!(matches!(flow.view().screen, Screen::PinEntry { .. }));
    flow.handle(
        t0,
        Input::Patient(PatientAction::EnterPin(Pin::parse("1234").unwrap())),
    );
    let Some(Command::Reader(verify, ReaderOp::VerifyPin(_))) = flow.poll() else {
        panic!("VERIFY sent");
    };
    assert_eq!(flow.view().screen, Screen::Verifying);
    flow.handle(t0, Input::ReaderDown(ReaderTrouble::NoReader));
    let Some(Command::Persist(save, record)) = flow.poll() else {
        panic!("handed over at once");
    };
    assert_eq!(
        record.outcome,
        Outcome::HandedToStaff {
            reason: HandoffReason::ReaderOutOfService
        }
    );
    assert_eq!(record.identity, None, "the PIN's answer never came");
    assert_eq!(record.verification, None);
    assert!(!record.counts_toward_usage_rate);
    flow.handle(t0, Input::Reader(verify, ReaderReply::PinVerified));
    assert_eq!(flow.poll(), None);
    assert_eq!(flow.view().screen, Screen::Saving);
    flow.handle(
        t0,
        Input::Store(
            save,
            StoreReply::Committed {
                check_in_id: 2,
                reception_number: None,
            },
        ),
    );
    assert!(matches!(
        flow.view().screen,
        Screen::Handoff {
            reason: HandoffReason::ReaderOutOfService,
            ..
        }
    ));
    // A card tapped on the final screen while the reader is down starts nothing.
    flow.handle(t0, Input::CardPresent);
    assert_eq!(flow.poll(), None);
    assert!(!flow.in_session());
}

/// Staff closing the kiosk (staff mode's "close this kiosk") is like a reader out of service
/// that nobody can work around at the kiosk: the closed screen sends patients to the desk, and
/// neither a card, "call staff" nor paper documents start anything there. A check-in under way
/// when it closes carries on to its end, and the closed screen follows it.
#[test]
fn a_kiosk_closed_by_staff_starts_nothing_lets_a_check_in_finish_and_reopens() {
    let mut kiosk = Kiosk::new("card", "valid-3", None);
    // Staff said when they expect to reopen it: the closed screen carries the time.
    let lunch_end = uketsuke::datetime!(2026-11-22 13:30 +09:00);
    let closed = Screen::Paused {
        reopens_at: Some(lunch_end),
    };
    kiosk.input(Input::KioskPaused {
        paused: true,
        reopens_at: Some(lunch_end),
    });
    assert_eq!(kiosk.screen(), closed);
    assert_eq!(screen_name(&kiosk.screen()), "paused");
    assert_eq!(kiosk.driver.flow.view().idle_deadline, None);

    kiosk.step_ok(r#""tap""#);
    assert_eq!(kiosk.screen(), closed);
    assert_eq!(kiosk.card().apdu_count, 0, "the card is not even read");
    kiosk.step_ok(r#""remove""#);
    for action in [PatientAction::CallStaff, PatientAction::OpenDocumentMenu] {
        kiosk.input(Input::Patient(action));
        assert_eq!(kiosk.screen(), closed);
    }
    kiosk.wait(3600);
    assert_eq!(kiosk.committed_count(), 0, "a closed kiosk records nothing");

    // The reader's trouble does not show through: patients need only "go to the desk".
    kiosk.reader_down(ReaderTrouble::NoReader);
    assert_eq!(kiosk.screen(), closed);
    kiosk.reader_up();

    kiosk.input(Input::KioskPaused {
        paused: false,
        reopens_at: None,
    });
    assert_eq!(kiosk.screen(), Screen::Welcome);

    // Closed mid-way: the patient at the PIN pad finishes, then the kiosk shows it is closed.
    kiosk.step_ok(r#""tap""#);
    assert!(
        matches!(kiosk.screen(), Screen::PinEntry { .. }),
        "{:?}",
        kiosk.screen()
    );
    // Closed again without a time: no time from the last closing is left over.
    kiosk.input(Input::KioskPaused {
        paused: true,
        reopens_at: None,
    });
    assert!(matches!(kiosk.screen(), Screen::PinEntry { .. }));
    let done = kiosk.run_ok(&script(
        r#"[{"pin": "1234"}, {"consent": "all"}, {"high_cost_limit": true}, {"prescription": "electronic"}, {"wait_seconds": 60}]"#,
    ));
    assert_eq!(done.record.outcome, Outcome::Completed);
    assert!(done.record.counts_toward_usage_rate);
    assert_eq!(kiosk.screen(), Screen::Paused { reopens_at: None });
}
