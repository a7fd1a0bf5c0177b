//! The provisional handling of expired insurance cards ended on the rules' date
//! (`provisional_handling.until`, 2026-03-31). A patient who declares an old insurance card on
//! the last day is told to show it at the desk; from the day after, the screen says the card no
//! longer works and what to bring instead (the view's `provisional_handling_ended`), and the
//! desk's checklist says the route has ended. Both sides of the date, through the flow.

use crate::common::{Kiosk, script_at};
use uketsuke::domain::{ChecklistItem as C, HandoffReason, Outcome, VerificationMethod as M};
use uketsuke::flow::Screen;

#[test]
fn the_old_card_handoff_says_the_route_ended_from_the_day_after() {
    let steps = r#"["paper_documents", {"declare": "expired_insurance_card"}]"#;
    // (visit, the screen says it ended, the desk's first checklist item, expected route)
    let table = [
        (
            "2026-03-31T18:00:00+09:00",
            false,
            C::ProvisionalHandlingApplies,
            Some(M::ExpiredCardProvisional),
        ),
        (
            "2026-04-01T09:00:00+09:00",
            true,
            C::ProvisionalHandlingEnded,
            None,
        ),
        (
            "2026-11-21T10:00:00+09:00",
            true,
            C::ProvisionalHandlingEnded,
            None,
        ),
    ];
    for (visit, ended, first_item, method) in table {
        let mut kiosk = Kiosk::new("card", "valid-3", None);
        let record = kiosk.run_ok(&script_at(visit, steps)).record;
        assert_eq!(
            record.outcome,
            Outcome::HandedToStaff {
                reason: HandoffReason::PaperDocument
            },
            "{visit}"
        );
        let view = kiosk.driver.flow.view();
        assert!(
            matches!(view.screen, Screen::Handoff { .. }),
            "{visit}: {:?}",
            view.screen
        );
        assert_eq!(view.provisional_handling_ended, ended, "{visit}");
        assert_eq!(record.checklist.first(), Some(&first_item), "{visit}");
        // The ended route is never the route staff are expected to take.
        assert_eq!(record.expected_route, method, "{visit}");
        assert_eq!(record.verification, None, "{visit}: waiting for staff");
        if ended {
            assert!(
                record.checklist.contains(&C::AskForCardNextTime),
                "{visit}: what to bring next time"
            );
        }
    }
}
