//! 「スタッフを呼ぶ」 at a kiosk chimes at the desk, in a real browser (issue 18 item 5): the
//! queue page, signed in, receives the call over its live queue, shows 「受付機でスタッフを呼んで
//! います」 with the reception number and plays the console's chime (the page's
//! `HTMLMediaElement.prototype.play` is instrumented to record what it was asked to play); a
//! handoff of another kind neither chimes nor shows the banner; 「確認しました」 hides the banner,
//! records nothing (the handoff stays open in the queue) and a reload does not bring it back.
//! Logs the time from the press (the stored check-in's end) to `play()`. Screenshot:
//! console-staff-call-banner.png in target/console-screenshots/.

use crate::console::browser::{BrowserDesk, screenshots_dir};

use std::time::Duration;

use serde_json::Value;
use uketsuke::domain::HandoffReason;
use uketsuke::store::Store;

/// Records every `play()` on the page (the element's source and `Date.now()`), then plays.
const INSTRUMENT_PLAY: &str = "window.__plays=[];const play=HTMLMediaElement.prototype.play;\
HTMLMediaElement.prototype.play=function(){window.__plays.push({src:this.currentSrc||this.src,\
at:Date.now()});return play.apply(this,arguments);};return true;";

#[test]
fn a_patients_call_chimes_and_shows_a_banner_until_a_clerk_acknowledges_it() {
    if !BrowserDesk::available() {
        return;
    }
    let desk = BrowserDesk::start();
    let browser = &desk.browser;
    // The chime is served by the console and the page's audio element has loaded it (1.1 s).
    browser.wait_until(
        "the chime loading",
        "const a=document.getElementById('chime');\
         return !!a && a.src.endsWith('/chime.wav') && a.duration > 1 && a.duration < 2;",
        Duration::from_secs(10),
    );
    assert_eq!(browser.script(INSTRUMENT_PLAY), Value::Bool(true));

    // Another kind of handoff reaches the queue without a chime or a banner.
    desk.check_in("phone", r#"{"steps": ["tap", "ok"]}"#, "sim:iphone", "sim");
    browser.wait_for(
        "tr[data-reason=confirm_portal_screen]",
        Duration::from_secs(15),
    );
    assert_eq!(browser.script("return window.__plays.length;"), 0);
    assert!(browser.find("#staff-calls .staff-call").is_none());

    // A patient presses 「スタッフを呼ぶ」 at the kiosk.
    desk.check_in("call", r#"{"steps": ["call_staff"]}"#, "sim:card", "sim");
    let banner = "#staff-calls .staff-call";
    browser.wait_for(banner, Duration::from_secs(10));
    browser.wait_until(
        "the chime",
        "return window.__plays.length > 0;",
        Duration::from_secs(10),
    );
    let plays = browser.script("return window.__plays;");
    let plays = plays.as_array().unwrap();
    assert_eq!(plays.len(), 1, "one call, one chime: {plays:?}");
    let src = plays[0]["src"].as_str().unwrap();
    assert_eq!(src, format!("{}/chime.wav", desk.base), "{plays:?}");

    let store = Store::open(&desk.db).unwrap();
    let call = store
        .open_handoffs()
        .unwrap()
        .into_iter()
        .find(|h| h.record.outcome.handoff_reason() == Some(HandoffReason::PatientCalledStaff))
        .expect("the call is an open handoff");
    let number = call.reception_number.expect("a reception number").0;
    let text = browser.text(banner);
    assert!(text.contains("受付機でスタッフを呼んでいます"), "{text}");
    assert!(text.contains(&format!("受付番号 {number}番")), "{text}");
    let played_at = plays[0]["at"].as_i64().unwrap();
    eprintln!(
        "call staff → chime: {} ms from the kiosk's handoff to play() (sound {})",
        played_at - call.record.finished_at.timestamp_millis(),
        if browser.script("return document.getElementById('sound-off').hidden;")
            == Value::Bool(true)
        {
            "allowed"
        } else {
            "refused: the page shows its enable button"
        }
    );
    browser.screenshot(&screenshots_dir().join("console-staff-call-banner.png"));

    // 「確認しました」 hides the banner; the handoff stays open, in the queue.
    browser.click(&format!("{banner} button.acknowledge"));
    browser.wait_until(
        "the banner going",
        "return document.querySelector('#staff-calls .staff-call') === null;",
        Duration::from_secs(5),
    );
    assert!(
        browser
            .find("tr[data-reason=patient_called_staff]")
            .is_some()
    );
    assert!(
        store
            .check_in(call.id)
            .unwrap()
            .is_some_and(|c| c.is_open_handoff())
    );
    // A reload shows the queue without the acknowledged banner, and without a chime.
    browser.go(&format!("{}/", desk.base));
    browser.wait_for(
        "tr[data-reason=patient_called_staff]",
        Duration::from_secs(10),
    );
    assert!(browser.find(banner).is_none(), "{}", browser.text("body"));
}
