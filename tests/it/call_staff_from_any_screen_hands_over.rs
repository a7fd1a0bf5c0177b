//! "Call staff" works from every screen a patient can be stuck at: the check-in is handed over
//! with a reception number and a checklist that asks staff what the patient needs. On a final
//! screen there is nothing left to hand over.

use crate::common;

use common::{HAPPY, Kiosk, script};
use uketsuke::domain::{ChecklistItem, HandoffReason, IdentityMethod, Outcome, Presented};
use uketsuke::flow::Screen;

#[test]
fn call_staff_from_any_screen_hands_over() {
    // Steps before "call_staff", what was presented, and whether the PIN was verified.
    let table: [(&str, &str, Option<Presented>, bool); 11] = [
        ("welcome", r#"[]"#, None, false),
        (
            "wrong card",
            r#"[{"tap": "transit"}]"#,
            Some(Presented::TransitCard),
            false,
        ),
        ("nothing read", r#"[{"tap": "mute"}]"#, None, false),
        (
            "tap again",
            r#"["tap", "remove", {"pin": "1234"}]"#,
            Some(Presented::MyNumberCard),
            false,
        ),
        (
            "PIN pad",
            r#"["tap"]"#,
            Some(Presented::MyNumberCard),
            false,
        ),
        (
            "PIN pad after a wrong PIN",
            r#"["tap", {"pin": "0000"}]"#,
            Some(Presented::MyNumberCard),
            false,
        ),
        (
            "consent choice",
            r#"["tap", {"pin": "1234"}]"#,
            Some(Presented::MyNumberCard),
            true,
        ),
        (
            "high-cost limit",
            r#"["tap", {"pin": "1234"}, {"consent": "all"}]"#,
            Some(Presented::MyNumberCard),
            true,
        ),
        (
            "prescription",
            r#"["tap", {"pin": "1234"}, {"consent": "all"}, {"high_cost_limit": false}]"#,
            Some(Presented::MyNumberCard),
            true,
        ),
        ("document menu", r#"["paper_documents"]"#, None, false),
        (
            "payment card",
            r#"[{"tap": "payment"}]"#,
            Some(Presented::PaymentCard),
            false,
        ),
    ];
    for (name, before, presented, verified) in table {
        let mut kiosk = Kiosk::new("card", "valid-3", None);
        let inner = before.trim_start_matches('[').trim_end_matches(']').trim();
        let steps = if inner.is_empty() {
            r#"["call_staff"]"#.to_owned()
        } else {
            format!(r#"[{inner}, "call_staff"]"#)
        };
        let stored = kiosk
            .run(&script(&steps))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let record = &stored.record;
        assert_eq!(
            record.outcome,
            Outcome::HandedToStaff {
                reason: HandoffReason::PatientCalledStaff
            },
            "{name}"
        );
        assert_eq!(
            record.checklist,
            vec![ChecklistItem::AskWhatTheyNeed],
            "{name}"
        );
        assert_eq!(record.presented, presented, "{name}");
        assert_eq!(
            record.identity,
            verified.then_some(IdentityMethod::PinOnCard),
            "{name}"
        );
        assert_eq!(record.verification, None, "{name}: staff decide");
        assert!(!record.counts_toward_usage_rate, "{name}");
        let number = stored.reception_number.expect("staff call the number");
        assert!(
            matches!(
                kiosk.screen(),
                Screen::Handoff {
                    reason: HandoffReason::PatientCalledStaff,
                    reception_number: Some(n),
                    ..
                } if n == number
            ),
            "{name}: {:?}",
            kiosk.screen()
        );
        assert_eq!(kiosk.committed_count(), 1, "{name}");
        let card = kiosk.thing("card");
        assert!(card.tries_left >= 2, "{name}");
    }
}

#[test]
fn call_staff_on_a_final_screen_adds_no_second_record() {
    let mut kiosk = Kiosk::new("card", "valid-3", None);
    let done = kiosk.run_ok(&script(HAPPY));
    assert_eq!(done.record.outcome, Outcome::Completed);
    kiosk.step_ok(r#""call_staff""#);
    assert!(
        matches!(kiosk.screen(), Screen::Done { .. }),
        "{:?}",
        kiosk.screen()
    );
    assert_eq!(kiosk.committed_count(), 1);
    assert_eq!(kiosk.rows_in_month(2026, 11).len(), 1);
    assert_eq!(kiosk.last_stored().record.outcome, Outcome::Completed);
}
