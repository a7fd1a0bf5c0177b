//! A screen change cuts off the prompt being spoken: the sound card takes no further sample of
//! it, and the next screen's prompt starts. Through the live runtime's one call on each new
//! view, into a recording fake.

use uketsuke::ui::ScreenKind;
use uketsuke::voice::speech::{Clip, Prompt};

use crate::voice::{SpeakingKiosk, WAIT, clips_in};

#[test]
fn the_welcome_prompt_stops_when_the_pin_screen_appears() {
    // One second per clip: far longer than what is pulled before the tap.
    let SpeakingKiosk {
        kiosk, loudspeaker, ..
    } = &SpeakingKiosk::start(48_000);

    let before = loudspeaker.pull(4_800);
    assert_eq!(
        clips_in(&before),
        [("ja", Clip::Prompt(Prompt::Welcome))],
        "the welcome screen speaks its prompt in Japanese"
    );

    kiosk.tap("card");
    assert_eq!(kiosk.screen(), ScreenKind::PinEntry, "{:?}", kiosk.labels());
    loudspeaker.wait_for_playing(WAIT);
    // Everything the card takes from now on: the PIN prompt alone, never the rest of the
    // welcome prompt (43,200 samples of it were left) mixed in or after it.
    let after = loudspeaker.drain();
    assert_eq!(
        clips_in(&after),
        [("ja", Clip::Prompt(Prompt::PinEntry))],
        "after the screen change only the PIN screen's prompt plays"
    );
    assert_eq!(after.iter().filter(|s| **s != 0.0).count(), 48_000);
}
