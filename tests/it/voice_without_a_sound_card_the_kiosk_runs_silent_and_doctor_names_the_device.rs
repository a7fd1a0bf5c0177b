//! No sound card (a device that does not open): the voice is unavailable, the kiosk still shows
//! the welcome screen and checks in, shows no Repeat button, and `uketsuke doctor` warns naming
//! the device (it does not fail: a kiosk without sound still works).

use std::process::Command;

use uketsuke::gateway::sim::Persona;
use uketsuke::ui::ScreenKind;
use uketsuke::voice::{Voice, VoiceSettings, VoiceState};

use crate::ui::UiKiosk;
use crate::voice::one_at_a_time;

/// An ALSA device no machine has.
const NO_SUCH_CARD: &str = "uketsuke-test-no-such-card";

#[test]
fn the_kiosk_reaches_welcome_and_checks_in_silently() {
    let _one = one_at_a_time();
    let settings = VoiceSettings {
        device: Some(NO_SUCH_CARD.into()),
        ..VoiceSettings::default()
    };
    let voice = Voice::open(&settings);
    match voice.state() {
        VoiceState::Unavailable(why) => assert!(why.contains(NO_SUCH_CARD), "{why}"),
        other => panic!("{other:?}"),
    }
    let kiosk = UiKiosk::new(Persona::Valid3);
    kiosk.rt.borrow_mut().set_voice(voice);
    assert_eq!(kiosk.screen(), ScreenKind::Welcome);
    assert!(!kiosk.shows("もう一度聞く") && !kiosk.shows("Repeat"));
    kiosk.tap("card");
    assert_eq!(kiosk.screen(), ScreenKind::PinEntry, "{:?}", kiosk.labels());
}

#[test]
fn doctor_warns_and_names_the_device() {
    let dir = tempfile::tempdir().unwrap();
    let facility = dir.path().join("facility.json");
    std::fs::write(
        &facility,
        format!(
            r#"{{"voice": {{"device": "{NO_SUCH_CARD}", "dir": "{}"}}}}"#,
            dir.path().display()
        ),
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_uketsuke"))
        .args(["doctor", "--json", "--only", "voice", "--facility"])
        .arg(&facility)
        .arg("--data-dir")
        .arg(dir.path())
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)));
    let check = &report["checks"][0];
    assert_eq!(check["id"], "voice", "{report}");
    assert_eq!(check["state"], "warn", "{report}");
    let detail = check["detail"].as_str().unwrap();
    assert!(detail.contains(NO_SUCH_CARD), "{detail}");
    // The empty cache is named too, with the file it lacks first.
    assert!(detail.contains("ja/welcome.wav"), "{detail}");
    assert!(out.status.success(), "a warning passes: {report}");
}
