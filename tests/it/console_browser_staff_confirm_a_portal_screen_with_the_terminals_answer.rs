//! Staff confirm a portal-screen handoff with the eligibility terminal's online answer, in a real
//! browser (headless Chromium over chromedriver, the real `uketsuke console --gateway oqs:DIR`
//! over HTTPS, the fake eligibility terminal process answering in that folder; issue 17 "Must
//! show"): a phone check-in hands over, staff open it, type the numbers and the birth date as a
//! clerk types them, press 「資格確認端末に照会する」, and read the fake's answer on the form
//! (「有効」, 3割, the name with ●) before choosing; then they record it, and the check-in ends resolved. The answer is saved as
//! target/console-screenshots/console-terminal-answer-after.png.
//!
//! With CI=true a missing chromium or chromedriver fails the test; elsewhere it is skipped.

use std::time::Duration;

use uketsuke::delivery::{Progress, State};

use crate::console::browser::{BrowserDesk, screenshots_dir};
use crate::console::terminal::{FakeTerminal, PERSONA_WITH_A_CIRCLE, files, terminal_folder};

#[test]
fn staff_confirm_a_portal_screen_handoff_with_the_terminals_answer() {
    if !BrowserDesk::available() {
        return;
    }
    let folder = terminal_folder();
    let _terminal = FakeTerminal::serve(folder.path(), &[]);
    let desk = BrowserDesk::start_with_terminal(folder.path());
    let browser = &desk.browser;
    desk.check_in("phone", r#"{"steps": ["tap", "ok"]}"#, "sim:iphone", "sim");
    browser.wait_for(
        "tr[data-reason=confirm_portal_screen]",
        Duration::from_secs(10),
    );
    browser.click("tr[data-reason=confirm_portal_screen] a");
    browser.wait_for("#form-portal_screen", Duration::from_secs(10));

    for (field, typed) in PERSONA_WITH_A_CIRCLE {
        browser.type_into(&format!("#portal_screen-{field}"), typed);
    }
    assert!(
        browser.find("#terminal-answer-portal_screen").is_none(),
        "no answer before the button is pressed"
    );
    browser.click("#form-portal_screen button.ask-terminal");

    browser.wait_for("#terminal-answer-portal_screen", Duration::from_secs(30));
    let answer = browser.text("#terminal-answer-portal_screen");
    for shown in ["有効", "3割", "架空　●子", "2025-04-01 〜 2029-03-31"] {
        assert!(
            answer.contains(shown),
            "{shown} not in the answer: {answer}"
        );
    }
    // The typed numbers stay in the form, and nothing was recorded yet.
    assert_eq!(
        browser.script("return document.getElementById('portal_screen-number').value;"),
        serde_json::json!("３４５")
    );
    assert!(browser.find("p.ok").is_none());
    assert_eq!(files(&folder.path().join("res")).len(), 1);
    // The page came back scrolled to the answer.
    assert_eq!(
        browser.script(
            "const r=document.getElementById('terminal-answer-portal_screen').getBoundingClientRect();\
             return r.top >= 0 && r.top < window.innerHeight;"
        ),
        serde_json::json!(true)
    );
    browser.screenshot(&screenshots_dir().join("console-terminal-answer-after.png"));

    // Staff decide with the answer in view: the ratio, then the read-back, then record.
    browser.click("#portal_screen-burden_ratio option[value='30']");
    browser.click("#form-portal_screen button[type=submit]");
    browser.wait_for("#confirm-portal_screen", Duration::from_secs(10));
    browser.click("#confirm-portal_screen button.record");
    browser.wait_for("p.ok", Duration::from_secs(10));
    assert!(
        browser
            .find("tr[data-reason=confirm_portal_screen]")
            .is_none()
    );
    let store = uketsuke::store::Store::open(&desk.db).unwrap();
    assert!(store.open_handoffs().unwrap().is_empty());

    // The day's list with each check-in's delivery into ORCA.
    desk.check_in("card-1", CARD, "sim:card", "sim");
    desk.check_in("card-2", CARD, "sim:card", "sim");
    let deliveries = store.orca_deliveries(vec![1, 2, 3]).unwrap();
    assert_eq!(deliveries.len(), 3, "{deliveries:?}");
    let now = uketsuke::dates::now();
    let mut registered = Progress::new();
    registered.state = State::Registered;
    registered.acceptance_id = Some("00007".to_owned());
    store
        .orca_save(deliveries[1].outbox_id, registered, now)
        .unwrap();
    let mut busy = Progress::new();
    busy.state = State::Failed;
    busy.code = Some("90".to_owned());
    busy.retrying = true;
    store.orca_save(deliveries[2].outbox_id, busy, now).unwrap();
    browser.go(&format!("{}/check-ins", desk.base));
    browser.wait_for("#check-ins-table", Duration::from_secs(10));
    let id = deliveries[0].check_in_id;
    browser.click(&format!(
        "tr[data-check-in='{id}'] button[data-orca-action=done]"
    ));
    browser.wait_for(
        &format!("tr[data-check-in='{id}'] .orca-state[data-orca-state=done_by_hand]"),
        Duration::from_secs(10),
    );
    let table = browser.text("#check-ins-table");
    for shown in [
        "手で登録済み（佐藤 花子）",
        "ORCAに登録済み（受付番号 00007）",
        "ORCAに未登録：他の端末で使用中（90）。再送します",
    ] {
        assert!(table.contains(shown), "{shown} not in {table}");
    }
    browser.screenshot(&screenshots_dir().join("console-delivery-states-after.png"));
}

/// A card check-in at the kiosk (completed there: ORCA is told of it).
const CARD: &str = r#"{"steps": ["tap", {"pin":"1234"}, {"consent":"all"}, {"high_cost_limit":true}, {"prescription":"paper"}]}"#;
