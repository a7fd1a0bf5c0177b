//! Switching the language speaks the screen again in the new language (and cuts off the old).

use uketsuke::voice::speech::{Clip, Prompt};

use crate::voice::{SpeakingKiosk, WAIT, clips_in};

#[test]
fn english_says_the_welcome_prompt_in_english() {
    let SpeakingKiosk {
        kiosk, loudspeaker, ..
    } = &SpeakingKiosk::start(4_800);

    kiosk.to_english();
    loudspeaker.wait_for(2, WAIT);
    let said = loudspeaker.said();
    assert_eq!(said.len(), 2, "one speech per language, no more");
    assert_eq!(clips_in(&said[0]), [("ja", Clip::Prompt(Prompt::Welcome))]);
    assert_eq!(clips_in(&said[1]), [("en", Clip::Prompt(Prompt::Welcome))]);
    assert_eq!(
        clips_in(&loudspeaker.drain()),
        [("en", Clip::Prompt(Prompt::Welcome))],
        "only the English prompt still plays"
    );
}
