//! A patient who walks away at any screen waiting for them: after the idle timeout the screen
//! is cleared, the check-in is recorded as timed out at that step, and nothing of the patient
//! is left for the next person.

use crate::common;

use common::Kiosk;
use uketsuke::domain::{ConsentItem, Outcome, Step, Tapped};
use uketsuke::flow::{Credential, Screen};
use uketsuke::rules::FacilityConfig;

/// Steps that bring the kiosk to a patient-input screen, the screen, and its step.
fn table() -> Vec<(&'static str, &'static [&'static str], Screen, Step)> {
    vec![
        (
            "wrong card",
            &[r#"{"tap": "transit"}"#],
            Screen::WrongCard {
                kind: Tapped::TransitCard,
            },
            Step::WrongCard,
        ),
        (
            "not the My Number card",
            &[r#"{"tap": "licence"}"#],
            Screen::WrongCard {
                kind: Tapped::OtherCard,
            },
            Step::WrongCard,
        ),
        (
            "card or phone?",
            &[r#"{"tap": "passport"}"#],
            Screen::CardOrPhone,
            Step::WrongCard,
        ),
        (
            "PIN pad",
            &[r#""tap""#],
            Screen::PinEntry {
                credential: Credential::Card,
                tries_left: 3,
                last_attempt_wrong: false,
            },
            Step::PinEntry,
        ),
        (
            "tap again",
            &[r#""tap""#, r#""remove""#, r#"{"pin": "1234"}"#],
            Screen::TapAgain {
                pin_kept: true,
                credential: Credential::Card,
            },
            Step::TapAgain,
        ),
        (
            "consent choice",
            &[r#""tap""#, r#"{"pin": "1234"}"#],
            Screen::ConsentChoice {
                items: ConsentItem::ALL.to_vec(),
            },
            Step::ConsentChoice,
        ),
        (
            "consent item",
            // The script answers the first item only; the kiosk then shows the second.
            &[
                r#""tap""#,
                r#"{"pin": "1234"}"#,
                r#"{"consent": {"medical_and_drug_info": true}}"#,
            ],
            Screen::ConsentItem {
                item: ConsentItem::SurgeryInfo,
                position: 2,
                of: 3,
            },
            Step::ConsentItem,
        ),
        (
            "high-cost limit",
            &[r#""tap""#, r#"{"pin": "1234"}"#, r#"{"consent": "all"}"#],
            Screen::HighCostLimit,
            Step::HighCostLimit,
        ),
        (
            "prescription",
            &[
                r#""tap""#,
                r#"{"pin": "1234"}"#,
                r#"{"consent": "all"}"#,
                r#"{"high_cost_limit": true}"#,
            ],
            Screen::Prescription,
            Step::Prescription,
        ),
        (
            "document menu",
            &[r#""paper_documents""#],
            Screen::DocumentMenu,
            Step::DocumentMenu,
        ),
    ]
}

#[test]
fn idle_timeout_at_each_input_state_clears_the_screen_and_records() {
    let facility = FacilityConfig::default();
    let idle = u64::from(facility.idle_timeout_seconds);
    let final_screen = u64::from(facility.final_screen_seconds);
    for (name, steps, screen, step) in table() {
        let mut kiosk = Kiosk::new("card", "valid-3", Some(facility.clone()));
        for s in steps {
            // The partial item-by-item answer is refused once the unanswered item shows.
            if let Err(e) = kiosk.step(s) {
                assert_eq!(step, Step::ConsentItem, "{name}: {s}: {e}");
                assert!(e.0.contains("surgery_info"), "{name}: {e}");
            }
        }
        assert_eq!(kiosk.screen(), screen, "{name}: the input screen");
        let deadline = kiosk.driver.flow.view().idle_deadline;
        assert!(
            deadline.is_some(),
            "{name}: an input screen has a countdown"
        );

        // Just before the deadline nothing happens.
        kiosk.wait(idle - 1);
        assert_eq!(kiosk.screen(), screen, "{name}: still waiting");
        assert_eq!(kiosk.committed_count(), 0, "{name}: nothing recorded yet");

        kiosk.wait(2);
        assert_eq!(
            kiosk.committed_count(),
            1,
            "{name}: recorded at the deadline"
        );
        let stored = kiosk.last_stored();
        assert_eq!(
            stored.record.outcome,
            Outcome::TimedOut { at: step },
            "{name}"
        );
        assert_eq!(stored.reception_number, None, "{name}: nobody to call");
        assert!(!stored.record.counts_toward_usage_rate, "{name}");

        // The cleared screen carries nothing: no data, no countdown, no session.
        let view = kiosk.driver.flow.view();
        assert_eq!(view.screen, Screen::TimedOut, "{name}");
        assert_eq!(view.idle_deadline, None, "{name}");
        assert!(
            !kiosk.driver.flow.in_session(),
            "{name}: the patient is forgotten"
        );
        assert_eq!(
            serde_json::to_value(&view).expect("a view serialises"),
            serde_json::json!({"screen": "timed_out", "idle_deadline": null, "can_go_back": false}),
            "{name}"
        );

        // Then the welcome screen returns by itself.
        kiosk.wait(final_screen);
        assert_eq!(kiosk.screen(), Screen::Welcome, "{name}");
        let screens = kiosk.screens();
        let timed_out = screens
            .iter()
            .position(|s| *s == Screen::TimedOut)
            .unwrap_or_else(|| panic!("{name}: TimedOut shown: {screens:?}"));
        assert!(
            screens[timed_out + 1..].contains(&Screen::Welcome),
            "{name}: Welcome after TimedOut: {screens:?}"
        );
        assert_eq!(kiosk.committed_count(), 1, "{name}: recorded once");

        // The next tap starts from nothing: a fresh PIN pad, whatever was verified before.
        kiosk.step_ok(r#""tap""#);
        assert_eq!(
            kiosk.screen(),
            Screen::PinEntry {
                credential: Credential::Card,
                tries_left: 3,
                last_attempt_wrong: false,
            },
            "{name}: the next patient"
        );
        let card = kiosk.thing("card");
        assert_eq!(card.tries_left, 3, "{name}");
        assert!(
            card.verify_count <= 1,
            "{name}: {} VERIFYs",
            card.verify_count
        );
    }
}

#[test]
fn a_shorter_facility_idle_timeout_is_honoured() {
    let facility = FacilityConfig {
        idle_timeout_seconds: 30,
        ..FacilityConfig::default()
    };
    let mut kiosk = Kiosk::new("card", "valid-3", Some(facility));
    kiosk.step_ok(r#""tap""#);
    kiosk.wait(29);
    assert_eq!(kiosk.committed_count(), 0);
    kiosk.wait(1);
    assert_eq!(kiosk.committed_count(), 1);
    assert_eq!(
        kiosk.last_stored().record.outcome,
        Outcome::TimedOut { at: Step::PinEntry }
    );
}
