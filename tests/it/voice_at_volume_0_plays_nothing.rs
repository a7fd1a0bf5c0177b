//! `voice.volume` 0 in the facility file: the kiosk is silent. No sound device is opened,
//! nothing is handed to the sound card on any screen, key or Repeat, and no Repeat button shows.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use uketsuke::gateway::sim::Persona;
use uketsuke::ui::ScreenKind;
use uketsuke::voice::player::Outputs;
use uketsuke::voice::speech::PinKey;
use uketsuke::voice::{Voice, VoiceSettings, VoiceState};

use crate::ui::UiKiosk;
use crate::voice::{Cache, RecordingSink, one_at_a_time};

#[test]
fn a_silent_kiosk_opens_no_device_and_says_nothing() {
    let _one = one_at_a_time();
    let cache = Cache::new(480);
    let settings = VoiceSettings {
        volume: 0,
        ..cache.settings()
    };
    assert!(
        uketsuke::rules::FacilityConfig::from_json(r#"{"voice": {"volume": 0}}"#, "facility.json")
            .is_ok()
    );
    let opened = Arc::new(AtomicBool::new(false));
    let sink = RecordingSink::new();
    let voice = {
        let (opened, sink) = (opened.clone(), sink.clone());
        Voice::start(&settings, move || {
            opened.store(true, Ordering::SeqCst);
            Ok(Outputs {
                loudspeaker: Box::new(sink),
                headphone: None,
                device: "recording fake".into(),
                problems: Vec::new(),
            })
        })
    };
    assert_eq!(*voice.state(), VoiceState::Off);
    assert!(!voice.is_on());

    let kiosk = UiKiosk::new(Persona::Valid3);
    kiosk.rt.borrow_mut().set_voice(voice);
    assert!(!kiosk.shows("もう一度聞く") && !kiosk.shows("Repeat"));
    kiosk.tap("card");
    assert_eq!(kiosk.screen(), ScreenKind::PinEntry);
    kiosk.press("1");
    let mut voice = Voice::start(&settings, || Err("never opened".into()));
    voice.repeat();
    voice.pin_key(PinKey::Digit(1), 0, "ja");

    assert!(!opened.load(Ordering::SeqCst), "a device was opened");
    assert_eq!(sink.handed(), 0, "something was handed to the sound card");
}
