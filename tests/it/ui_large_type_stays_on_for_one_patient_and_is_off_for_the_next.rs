//! Large type and high contrast (issue 18 item 3): the top bar's "Larger text" (文字を大きく)
//! button makes every text about 1.5 times as large, in pure black on white; it stays on for
//! the whole of that patient's check-in, through the final screen, and is off again when the
//! kiosk goes back to the welcome screen for the next patient: after a finished check-in and
//! after the idle timeout. Pressed again ("Normal text") it switches back at once.

use slint::ComponentHandle;
use uketsuke::gateway::sim::Persona;
use uketsuke::ui::{Kiosk, ScreenKind, Theme};

use crate::ui::UiKiosk;

fn large(kiosk: &UiKiosk) -> bool {
    kiosk.app.global::<Theme>().get_large()
}

/// Presses "Larger text" (or "Normal text") in whichever of Japanese and English shows.
fn press_either(kiosk: &UiKiosk, ja: &str, en: &str) {
    if kiosk.shows(ja) {
        kiosk.press(ja);
    } else {
        kiosk.press(en);
    }
}

#[test]
fn large_type_lasts_one_check_in_and_the_next_patient_starts_at_normal_size() {
    let kiosk = UiKiosk::new(Persona::Valid3);
    assert_eq!(kiosk.screen(), ScreenKind::Welcome);
    assert!(!large(&kiosk));
    // Every kiosk offers it unless the facility sets `"large_type": false`.
    assert!(kiosk.shows("文字を大きく"), "{:?}", kiosk.labels());
    let theme = kiosk.app.global::<Theme>();
    let (body, heading, ink) = (theme.get_body(), theme.get_heading(), theme.get_ink());

    kiosk.press("文字を大きく");
    assert!(large(&kiosk));
    let ratio = theme.get_body() / body;
    assert!((1.4..=1.5).contains(&ratio), "body grew {ratio} times");
    assert!((1.4..=1.5).contains(&(theme.get_heading() / heading)));
    // High contrast: pure black ink, no grey, and thicker lines.
    assert_ne!(theme.get_ink(), ink);
    assert_eq!(theme.get_ink(), slint::Color::from_rgb_u8(0, 0, 0));
    assert_eq!(theme.get_muted(), theme.get_ink());
    // While on, the button offers the way back, in plain words.
    assert!(kiosk.shows("文字をもとに戻す"), "{:?}", kiosk.labels());
    assert!(!kiosk.shows("文字を大きく"));

    // A language switch keeps it; the button speaks the new language.
    kiosk.to_english();
    assert!(large(&kiosk));
    assert!(kiosk.shows("Normal text"), "{:?}", kiosk.labels());

    kiosk.tap("card");
    assert_eq!(kiosk.screen(), ScreenKind::PinEntry, "{:?}", kiosk.labels());
    assert!(large(&kiosk), "large type stays on for the same patient");
    kiosk.type_pin("1234", "OK");
    assert_eq!(kiosk.screen(), ScreenKind::ConsentChoice);
    kiosk.press("Agree to all");
    kiosk.settle();
    kiosk.press("Yes, I agree");
    kiosk.press("Electronic prescription");
    kiosk.settle();
    assert_eq!(kiosk.screen(), ScreenKind::Done, "{:?}", kiosk.labels());
    assert!(large(&kiosk), "the final screen is read in large type too");
    assert!(kiosk.shows("Normal text"));

    kiosk.press("Finish");
    assert_eq!(kiosk.screen(), ScreenKind::Welcome);
    assert!(!large(&kiosk), "the next patient starts at normal size");
    assert_eq!(theme.get_body(), body);
    assert_eq!(theme.get_ink(), ink);
    assert!(kiosk.shows("文字を大きく"), "{:?}", kiosk.labels());
    assert_eq!(kiosk.app.global::<Kiosk>().get_language(), "ja");

    // A patient who walks away: the idle timeout ends the check-in, the timed-out screen is
    // still large, the welcome screen after it is not.
    press_either(&kiosk, "文字を大きく", "Larger text");
    kiosk.tap("card");
    assert_eq!(kiosk.screen(), ScreenKind::PinEntry);
    kiosk.advance(91);
    assert_eq!(kiosk.screen(), ScreenKind::TimedOut, "{:?}", kiosk.labels());
    assert!(large(&kiosk));
    kiosk.advance(31);
    assert_eq!(kiosk.screen(), ScreenKind::Welcome, "{:?}", kiosk.labels());
    assert!(!large(&kiosk));

    // On and off again by the button alone.
    press_either(&kiosk, "文字を大きく", "Larger text");
    assert!(large(&kiosk));
    press_either(&kiosk, "文字をもとに戻す", "Normal text");
    assert!(!large(&kiosk));
    assert_eq!(theme.get_body(), body);
}

#[test]
fn a_facility_that_sets_large_type_false_has_no_larger_text_button() {
    let kiosk = UiKiosk::with_facility(Persona::Valid3, r#"{"large_type": false}"#);
    assert_eq!(kiosk.screen(), ScreenKind::Welcome);
    assert!(
        !kiosk.shows("文字を大きく"),
        "offered though the facility set large_type false: {:?}",
        kiosk.labels()
    );
    kiosk.to_english();
    assert!(!kiosk.shows("Larger text"), "{:?}", kiosk.labels());
    assert!(kiosk.shows("Language"), "{:?}", kiosk.labels());
}
