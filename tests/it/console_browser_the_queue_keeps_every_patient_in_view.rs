//! The queue keeps every patient in view, in a real browser (issue 15 items 2 and 4): a
//! one-PIN-try-left handoff says 「暗証番号 残り1回」 on the queue and warns on its resolve
//! page; an earlier day's open handoff sits in its own dated section and is closed with the
//! bulk close; the header badge and the title follow a new handoff while the clerk is on a
//! resolve page; and once the console stops, the page says the updates have stopped.
//! Screenshots: console-queue-after.png and console-resolve-one-try-left-after.png in
//! target/console-screenshots/.

use crate::console::browser::{Browser, BrowserDesk, screenshots_dir};

use std::time::Duration;

use serde_json::Value;
use uketsuke::domain::{
    CheckInRecord, ChecklistItem, ConsentAnswers, HandoffReason, Outcome, Presented,
};
use uketsuke::rules::JST;
use uketsuke::store::Store;

/// Clicks `css` inside the live queue in one script step: the queue's contents are replaced on
/// every push, so a WebDriver element found first may be gone by the click.
fn click_live(browser: &Browser, css: &str) {
    let clicked = browser.script(&format!(
        "const e=document.querySelector({css:?}); if(!e) return false; e.click(); return true;"
    ));
    assert_eq!(
        clicked,
        Value::Bool(true),
        "no {css}: {}",
        browser.text("body")
    );
}

#[test]
fn one_try_left_earlier_days_the_badge_and_a_frozen_update_are_all_in_view() {
    if !BrowserDesk::available() {
        return;
    }
    let mut desk = BrowserDesk::start();
    // An expired-card handoff two days ago that nobody closed, as the kiosk commits it.
    let two_days_ago = uketsuke::dates::now().with_timezone(&JST) - chrono::TimeDelta::days(2);
    let store = Store::open(&desk.db).unwrap();
    store
        .commit_check_in(&CheckInRecord {
            started_at: two_days_ago,
            finished_at: two_days_ago,
            visit_date: two_days_ago.date_naive(),
            presented: Some(Presented::ExpiredInsuranceCard),
            identity: None,
            verification: None,
            counts_toward_usage_rate: false,
            expected_route: None,
            consent: ConsentAnswers::default(),
            eligibility: None,
            outcome: Outcome::HandedToStaff {
                reason: HandoffReason::PaperDocument,
            },
            checklist: vec![ChecklistItem::ProvisionalHandlingApplies],
            wrong_pin_entries: 0,
            kiosk: "受付機1".to_owned(),
            patient_name: None,
            department: None,
        })
        .unwrap();
    drop(store);
    // A card with one PIN try left: the PIN guard hands it to staff.
    desk.check_in(
        "one-try",
        r#"{"steps": ["tap", "ok"]}"#,
        "sim:card,tries=1",
        "sim",
    );
    let browser = &desk.browser;
    let shots = screenshots_dir();

    let row = "tr.one-try-left[data-reason=staff_visual_check]";
    browser.wait_for(row, Duration::from_secs(15));
    assert!(
        browser.text(row).contains("暗証番号 残り1回"),
        "{}",
        browser.text(row)
    );
    browser.wait_for("#earlier", Duration::from_secs(10));
    let earlier = browser.text("#earlier");
    assert!(earlier.contains("前日以前の未対応 1件"), "{earlier}");
    let day = two_days_ago.date_naive();
    assert!(
        earlier.contains(&format!(
            "{}/{}-",
            chrono::Datelike::month(&day),
            chrono::Datelike::day(&day)
        )),
        "{earlier}"
    );
    assert!(earlier.contains("書類：期限切れ保険証"), "{earlier}");
    browser.wait_until(
        "the badge",
        "return document.getElementById('badge').textContent.startsWith('対応待ち 1件（最長')\
         && document.title.startsWith('(2) ');",
        Duration::from_secs(10),
    );
    assert!(browser.text("#updated-ago").ends_with("秒前"));
    browser.screenshot(&shots.join("console-queue-after.png"));

    // The resolve page warns before anything else.
    // The queue is replaced on every push: click inside it in one script step (no stale element).
    click_live(browser, &format!("{row} a[href^='/handoffs/']"));
    browser.wait_for("#one-try-left", Duration::from_secs(10));
    assert!(
        browser.text("#one-try-left").contains(
            "暗証番号の残りが1回です。受付でも暗証番号は入力させず、目視確認モードで確認してください。"
        ),
        "{}",
        browser.text("#one-try-left")
    );
    browser.screenshot(&shots.join("console-resolve-one-try-left-after.png"));

    // A new handoff arrives while the clerk is on the resolve page: the badge and title follow.
    browser.wait_until(
        "the badge on the resolve page",
        "return document.getElementById('badge').textContent.startsWith('対応待ち 1件');",
        Duration::from_secs(10),
    );
    desk.check_in("phone", r#"{"steps": ["tap", "ok"]}"#, "sim:iphone", "sim");
    browser.wait_until(
        "the badge counting the new handoff",
        "return document.getElementById('badge').textContent.startsWith('対応待ち 2件')\
         && document.title.startsWith('(3) ');",
        Duration::from_secs(20),
    );
    assert!(
        browser.find("#one-try-left").is_some(),
        "still on the resolve page"
    );

    // The earlier day's handoff is closed with the bulk close.
    browser.go(&format!("{}/", desk.base));
    browser.wait_for("#close-earlier", Duration::from_secs(10));
    click_live(browser, "#close-earlier");
    browser.wait_for("#form-close-earlier", Duration::from_secs(10));
    browser.type_into(
        "#form-close-earlier textarea[name=note]",
        "前日以前の残り（お帰りになった）",
    );
    browser.click("#form-close-earlier input[name=confirm]");
    browser.click("#form-close-earlier button[type=submit]");
    browser.wait_for("p.ok", Duration::from_secs(10));
    assert!(
        browser
            .text("p.ok")
            .contains("前日以前の未対応 1件を取り消しました")
    );
    assert!(browser.find("#earlier").is_none());
    assert!(browser.find(row).is_some(), "today's handoffs stay");

    // The console stops: the page says its updates have stopped.
    browser.wait_for("#updated-ago", Duration::from_secs(5));
    assert!(browser.find("#live-stopped:not([hidden])").is_none());
    desk.stop_console();
    let browser = &desk.browser;
    browser.wait_for("#live-stopped:not([hidden])", Duration::from_secs(15));
    assert!(
        browser
            .text("#live-stopped")
            .contains("自動更新が止まっています。再読み込みしてください")
    );
}
