//! Switching the language speaks the screen again in the new language (and cuts off the old).

use uketsuke::gateway::sim::Persona;
use uketsuke::voice::speech::{Clip, Prompt};

use crate::ui::UiKiosk;
use crate::voice::{Cache, RecordingSink, WAIT, clips_in, one_at_a_time};

#[test]
fn english_says_the_welcome_prompt_in_english() {
    let _one = one_at_a_time();
    let cache = Cache::new(4_800);
    let loudspeaker = RecordingSink::new();
    let kiosk = UiKiosk::new(Persona::Valid3);
    kiosk
        .rt
        .borrow_mut()
        .set_voice(cache.voice(&loudspeaker, None));
    loudspeaker.wait_for(1, WAIT);

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
