//! The large Repeat (もう一度聞く) button on the screen says the screen's speech again from its
//! start, cutting off what was playing.

use uketsuke::voice::speech::{Clip, Prompt};

use crate::voice::{SpeakingKiosk, WAIT, clips_in};

#[test]
fn repeat_replays_the_welcome_prompt() {
    let SpeakingKiosk {
        kiosk, loudspeaker, ..
    } = &SpeakingKiosk::start(9_600);
    loudspeaker.pull(4_800);

    let label = if kiosk.shows("もう一度聞く") {
        "もう一度聞く"
    } else {
        "Repeat"
    };
    kiosk.press(label);
    loudspeaker.wait_for(2, WAIT);
    let said = loudspeaker.said();
    assert_eq!(clips_in(&said[1]), [("ja", Clip::Prompt(Prompt::Welcome))]);
    // The replay starts from the beginning: all of it plays, and nothing of the first.
    let after = loudspeaker.drain();
    assert_eq!(clips_in(&after), [("ja", Clip::Prompt(Prompt::Welcome))]);
    assert_eq!(after.iter().filter(|s| **s != 0.0).count(), 9_600);
}
