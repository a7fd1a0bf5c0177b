//! The large Repeat (もう一度聞く) button on the screen says the screen's speech again from its
//! start, cutting off what was playing.

use uketsuke::gateway::sim::Persona;
use uketsuke::voice::speech::{Clip, Prompt};

use crate::ui::UiKiosk;
use crate::voice::{Cache, RecordingSink, WAIT, clips_in, one_at_a_time};

#[test]
fn repeat_replays_the_welcome_prompt() {
    let _one = one_at_a_time();
    let cache = Cache::new(9_600);
    let loudspeaker = RecordingSink::new();
    let kiosk = UiKiosk::new(Persona::Valid3);
    kiosk
        .rt
        .borrow_mut()
        .set_voice(cache.voice(&loudspeaker, None));
    loudspeaker.wait_for(1, WAIT);
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
