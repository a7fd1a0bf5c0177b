//! The screens `uketsuke run` shows with no facility loaded (not set up: S1; cannot start: S2)
//! draw the top bar a default kiosk draws, "Larger text" included, as `uketsuke screenshots`
//! renders them and the image's boot test compares them; the button works there too. A kiosk
//! whose part stopped (S3) keeps what its facility set.

use i_slint_backend_testing::ElementHandle;
use slint::ComponentHandle;
use slint::platform::PointerEventButton;
use uketsuke::ui::present::{OutOfOrder, show_not_set_up, show_out_of_order};
use uketsuke::ui::{AppWindow, Kiosk, ScreenKind, Theme};

use crate::ui::{init_platform, labelled};

fn window() -> AppWindow {
    init_platform();
    let app = AppWindow::new().unwrap();
    app.window().set_size(slint::PhysicalSize::new(1280, 800));
    app.show().unwrap();
    app
}

fn one(app: &AppWindow, label: &'static str) -> ElementHandle {
    let found = labelled(app, move |l| l == label);
    assert_eq!(found.len(), 1, "expected one \"{label}\"");
    found.into_iter().next().unwrap()
}

#[test]
fn the_not_set_up_screen_offers_larger_text_and_it_works() {
    let app = window();
    show_not_set_up(&app);
    assert_eq!(app.global::<Kiosk>().get_screen(), ScreenKind::NotSetUp);
    assert!(!app.global::<Theme>().get_large());
    one(&app, "文字を大きく").mock_single_click(PointerEventButton::Left);
    assert!(app.global::<Theme>().get_large());
    one(&app, "文字をもとに戻す").mock_single_click(PointerEventButton::Left);
    assert!(!app.global::<Theme>().get_large());
}

#[test]
fn the_cannot_start_screen_offers_it_and_a_stopped_part_keeps_the_facility_s_choice() {
    let app = window();
    show_out_of_order(&app, OutOfOrder::CannotStart);
    assert_eq!(app.global::<Kiosk>().get_screen(), ScreenKind::StartFailure);
    one(&app, "文字を大きく");

    // A running kiosk whose facility set "large_type": false, then a part stopped.
    let app = window();
    app.global::<Kiosk>().set_large_type_offered(false);
    show_out_of_order(&app, OutOfOrder::PartStopped);
    assert_eq!(app.global::<Kiosk>().get_screen(), ScreenKind::StartFailure);
    assert!(labelled(&app, |l| l == "文字を大きく").is_empty());
}
