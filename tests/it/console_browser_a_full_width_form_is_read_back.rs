//! A clerk with the IME still on, in a real browser (headless Chromium over chromedriver, the
//! real `uketsuke console` over HTTPS): on a portal-screen handoff the insurer number typed
//! full-width with a wrong last digit is flagged beside the field while typing, before any
//! submit; corrected, the form (full-width digits, 枝番 "１", 和暦) is read back in large type,
//! and only the read-back's button records it. The read-back is saved as
//! target/console-screenshots/console-readback-after.png.
//!
//! With CI=true a missing chromium or chromedriver fails the test; elsewhere it is skipped.

use crate::console::browser::{BrowserDesk, screenshots_dir};

use std::time::{Duration, Instant};

use serde_json::json;

/// Waits (bounded) until the element's text contains `want`, and returns it.
fn text_within(desk: &BrowserDesk, css: &str, want: &str, limit: Duration) -> String {
    let started = Instant::now();
    loop {
        let text = desk.browser.text(css);
        if text.contains(want) {
            return text;
        }
        assert!(
            started.elapsed() < limit,
            "{css} never said {want:?}; it says {text:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn a_full_width_form_is_checked_live_read_back_and_recorded() {
    if !BrowserDesk::available() {
        return;
    }
    let desk = BrowserDesk::start();
    let browser = &desk.browser;
    desk.check_in("phone", r#"{"steps": ["tap", "ok"]}"#, "sim:iphone", "sim");
    browser.wait_for(
        "tr[data-reason=confirm_portal_screen]",
        Duration::from_secs(10),
    );
    browser.click("tr[data-reason=confirm_portal_screen] a");
    browser.wait_for("#form-portal_screen", Duration::from_secs(10));
    // The clerk can type at once: the insurer number has the focus.
    assert_eq!(
        browser.script("return document.activeElement.id;"),
        json!("portal_screen-insurer_number")
    );

    let insurer = "#portal_screen-insurer_number";
    let live = "#portal_screen-insurer_number-live";
    browser.type_into(insurer, "０１１３００１３");
    let said = text_within(
        &desk,
        live,
        "最後の1桁（検証番号）が合いません",
        Duration::from_secs(5),
    );
    assert_eq!(said, "最後の1桁（検証番号）が合いません");
    let e = browser.element(insurer);
    browser.call("POST", &format!("/element/{e}/clear"), Some(json!({})));
    browser.type_into(insurer, "０１１３００１２");
    text_within(
        &desk,
        live,
        "検証番号は合っています",
        Duration::from_secs(5),
    );

    browser.type_into("#portal_screen-symbol", "１２");
    browser.type_into("#portal_screen-number", "３４５");
    browser.type_into("#portal_screen-branch", "１");
    browser.click("#portal_screen-burden_ratio option[value='30']");
    browser.type_into("#portal_screen-valid_until", "令和９年３月３１日");
    browser.click("#form-portal_screen button[type=submit]");

    browser.wait_for("#confirm-portal_screen", Duration::from_secs(10));
    let line = browser.text(".read-back-line");
    for part in [
        "0113 0012",
        "記号 12",
        "番号 345",
        "枝番 01",
        "3割",
        "令和9年3月31日",
    ] {
        assert!(line.contains(part), "{part} not read back: {line}");
    }
    assert!(
        browser.find("p.ok").is_none(),
        "nothing recorded before the read-back is confirmed"
    );
    let shots = screenshots_dir();
    browser.screenshot(&shots.join("console-readback-after.png"));

    browser.click("#confirm-portal_screen button.record");
    browser.wait_for("p.ok", Duration::from_secs(10));
    assert!(browser.url().contains("/?closed="), "{}", browser.url());
    assert!(
        browser
            .find("tr[data-reason=confirm_portal_screen]")
            .is_none()
    );
}
