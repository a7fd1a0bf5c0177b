//! The done screen shows the patient's share (1割/2割/3割) only where the facility turns
//! `show_burden_ratio` on: by default the kiosk faces the waiting room and the share gives away
//! age band and income bracket (review 2026-11 row 35). The flow leaves it out of the view, so
//! no view can render it; the catalogue's `done-without-share` sample is checked by
//! `ui_every_factual_claim_has_a_source` to carry no share line. The record keeps the share
//! either way (staff see it on the console).

use crate::common;

use common::{HAPPY, Kiosk};
use uketsuke::domain::BurdenRatio;
use uketsuke::flow::Screen;
use uketsuke::rules::FacilityConfig;

fn done_screen(facility: FacilityConfig) -> (Screen, Option<BurdenRatio>) {
    let mut kiosk = Kiosk::new("card", "valid-3", Some(facility));
    let (stored, _) = kiosk.run_until_recorded(HAPPY);
    let kept = stored.record.eligibility.and_then(|e| e.burden_ratio);
    (kiosk.screen(), kept)
}

#[test]
fn done_screen_shows_the_share_only_where_the_facility_allows_it() {
    let (screen, kept) = done_screen(FacilityConfig::default());
    assert!(
        matches!(
            screen,
            Screen::Done {
                burden_ratio: None,
                reception_number: Some(_),
                certificate: None,
            }
        ),
        "off by default: {screen:?}"
    );
    assert_eq!(kept, Some(BurdenRatio(30)), "the record keeps it for staff");

    let on = FacilityConfig {
        show_burden_ratio: true,
        ..FacilityConfig::default()
    };
    let (screen, _) = done_screen(on);
    assert!(
        matches!(
            screen,
            Screen::Done {
                burden_ratio: Some(BurdenRatio(30)),
                ..
            }
        ),
        "on: {screen:?}"
    );
}
