//! On the PIN screen the loudspeaker says a tick and the count typed so far ("2 of 4"), never a
//! digit; a digit is said only on the facility's private headphone output, if it has one.

use uketsuke::gateway::sim::Persona;
use uketsuke::ui::ScreenKind;
use uketsuke::voice::speech::{Clip, PinKey, Prompt, pin_key_speech};

use crate::ui::UiKiosk;
use crate::voice::{Cache, RecordingSink, WAIT, clips_in, one_at_a_time};

/// Every key (ten digits, erase) at every count, with and without a headphone output.
#[test]
fn no_key_press_says_a_digit_on_the_loudspeaker() {
    let keys: Vec<PinKey> = (0..=9).map(PinKey::Digit).chain([PinKey::Erase]).collect();
    for headphone in [false, true] {
        for typed in 0..=4usize {
            for &key in &keys {
                let said = pin_key_speech(key, typed, headphone);
                let after = match key {
                    PinKey::Digit(_) => (typed + 1).min(4),
                    PinKey::Erase => typed.saturating_sub(1),
                };
                assert_eq!(
                    said.loudspeaker,
                    [Clip::Tick, Clip::Typed(after as u8)],
                    "{key:?} after {typed} digits, headphone {headphone}"
                );
                let private = match key {
                    PinKey::Digit(d) if headphone && typed < 4 => vec![Clip::Digit(d)],
                    _ => vec![],
                };
                assert_eq!(
                    said.headphone, private,
                    "{key:?} after {typed} digits, headphone {headphone}"
                );
            }
        }
    }
}

/// What each speech handed to one output said, in order.
type Said = Vec<Vec<(&'static str, Clip)>>;

/// Typing on the real PIN pad of the live kiosk: what the loudspeaker and the headphone said.
fn type_on_the_pad(headphone: bool) -> (Said, Said) {
    let cache = Cache::new(480);
    let loudspeaker = RecordingSink::new();
    let phones = RecordingSink::new();
    let kiosk = UiKiosk::new(Persona::Valid3);
    kiosk
        .rt
        .borrow_mut()
        .set_voice(cache.voice(&loudspeaker, if headphone { Some(&phones) } else { None }));
    kiosk.tap("card");
    assert_eq!(kiosk.screen(), ScreenKind::PinEntry, "{:?}", kiosk.labels());
    loudspeaker.wait_for_playing(WAIT);
    let erase = if kiosk.shows("消す") {
        "消す"
    } else {
        "Erase"
    };
    let (mut loud, mut private) = (loudspeaker.handed(), 0);
    // Each key's speech is handed over before the next key is pressed (a newer one would cut
    // an older one off before it was handed over).
    for (key, says_a_digit) in [
        ("7", true),
        ("3", true),
        (erase, false),
        ("9", true),
        ("0", true),
        ("5", true),
    ] {
        kiosk.press(key);
        loud += 1;
        loudspeaker.wait_for(loud, WAIT);
        if headphone && says_a_digit {
            private += 1;
            phones.wait_for(private, WAIT);
        }
    }
    let clips = |sink: &RecordingSink| sink.said().iter().map(|s| clips_in(s)).collect();
    (clips(&loudspeaker), clips(&phones))
}

#[test]
fn the_pad_ticks_and_counts_aloud_and_whispers_digits_only_in_the_headphone() {
    let _one = one_at_a_time();
    for headphone in [false, true] {
        let (loud, private) = type_on_the_pad(headphone);
        let keys: Vec<&Vec<(&str, Clip)>> = loud
            .iter()
            .skip_while(|s| !s.contains(&("ja", Clip::Prompt(Prompt::PinEntry))))
            .skip(1)
            .collect();
        let counts: Vec<Vec<(&str, Clip)>> = [1u8, 2, 1, 2, 3, 4]
            .iter()
            .map(|n| vec![("ja", Clip::Tick), ("ja", Clip::Typed(*n))])
            .collect();
        assert_eq!(
            keys,
            counts.iter().collect::<Vec<_>>(),
            "headphone {headphone}: a tick and the count per key"
        );
        assert!(
            loud.iter()
                .flatten()
                .all(|(_, c)| !matches!(c, Clip::Digit(_))),
            "the loudspeaker said a digit: {loud:?}"
        );
        let digits: Vec<Vec<(&str, Clip)>> = if headphone {
            [7, 3, 9, 0, 5]
                .iter()
                .map(|d| vec![("ja", Clip::Digit(*d))])
                .collect()
        } else {
            vec![]
        };
        assert_eq!(private, digits, "headphone {headphone}");
    }
}
