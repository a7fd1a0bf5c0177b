//! A mistake at the desk is caught and corrected in a real browser (headless Chromium against
//! the real `uketsuke console` over HTTPS): on a portal-screen handoff from an iPhone, the
//! resolve page opens the usual form and keeps the others under 「その他の対応」; 取り消す needs
//! a reason (the browser will not send it without one) and a second press; the clerk records
//! the portal screen instead, then finds the patient had shown the 資格確認書: the closed page
//! shows what was saved and 「記録を訂正する」 changes it the same day, with a reason, and the
//! month's report follows (review 2026-11 rows 5 and 15). Screenshots go to
//! target/console-screenshots/ (console-resolve-portal-screen-after.png,
//! console-closed-after.png, console-correct-after.png).

use crate::console::browser::{Browser, BrowserDesk, screenshots_dir};

use std::time::Duration;

const WAIT: Duration = Duration::from_secs(10);

/// The check-ins of a method in the month's report (0 when the method has no row).
fn report_count(browser: &Browser, method: &str) -> String {
    let row = format!("tr[data-method={method}] td.count");
    match browser.find(&row) {
        Some(_) => browser.text(&row),
        None => "0".to_owned(),
    }
}

#[test]
fn a_cancel_asks_for_a_reason_and_a_second_press_and_a_wrong_record_is_corrected_the_same_day() {
    if !BrowserDesk::available() {
        return;
    }
    let desk = BrowserDesk::start();
    let browser = &desk.browser;
    let shots = screenshots_dir();

    desk.check_in("phone", r#"{"steps": ["tap", "ok"]}"#, "sim:iphone", "sim");
    browser.wait_for("tr[data-reason=confirm_portal_screen] a", WAIT);
    browser.click("tr[data-reason=confirm_portal_screen] a");
    browser.wait_for("#form-portal_screen", WAIT);
    let handoff = browser.url();
    assert!(
        browser
            .text("#form-portal_screen button[type=submit]")
            .contains("資格情報画面の内容で記録")
    );
    assert_eq!(
        browser.script("return document.querySelector('#other-actions').open;"),
        serde_json::json!(false),
        "the other actions wait, collapsed"
    );
    browser.screenshot(&shots.join("console-resolve-portal-screen-after.png"));

    // 取り消す: without a reason the browser does not send it; with one, a second press.
    browser.click("#other-actions summary");
    browser.click("#form-cancel button[type=submit]");
    assert!(
        browser.find("p.confirm-step").is_none(),
        "sent without a reason"
    );
    browser.type_into("#form-cancel textarea[name=note]", "お帰りになった");
    browser.click("#form-cancel button[type=submit]");
    browser.wait_for("#form-cancel input[name=confirm]", WAIT);
    assert!(
        browser
            .text("p.confirm-step")
            .contains("まだ取り消していません")
    );
    assert!(
        browser
            .text("#form-cancel button[type=submit]")
            .contains("はい、取り消す（お帰りになった）")
    );

    // The patient was still there: the clerk records the screen instead.
    browser.type_into("#form-portal_screen input[name=insurer_number]", "01130012");
    browser.type_into("#form-portal_screen input[name=symbol]", "1234");
    browser.type_into("#form-portal_screen input[name=number]", "5678");
    browser.type_into("#form-portal_screen input[name=branch]", "01");
    browser.click("#form-portal_screen select[name=burden_ratio] option[value='30']");
    browser.click("#form-portal_screen button[type=submit]");
    // The numbers are read back first; the read-back's button records them.
    browser.wait_for("#confirm-portal_screen button.record", WAIT);
    browser.click("#confirm-portal_screen button.record");
    browser.wait_for("p.ok", WAIT);
    assert!(
        browser
            .text("p.ok")
            .contains("資格情報画面（スタッフが確認）で記録しました")
    );

    browser.go(&format!("{}/report", desk.base));
    browser.wait_for("#report-table", WAIT);
    assert_eq!(report_count(browser, "portal_screen_checked_by_staff"), "1");
    assert_eq!(report_count(browser, "eligibility_certificate"), "0");

    // The closed page shows what was saved.
    browser.go(&handoff);
    browser.wait_for("#saved", WAIT);
    let saved = browser.text("#saved");
    for what in [
        "資格情報画面（スタッフが確認）",
        "01130012",
        "1234",
        "5678",
        "3割",
        "sato",
    ] {
        assert!(saved.contains(what), "{what}: {saved}");
    }
    assert!(
        !saved.contains("お帰りになった"),
        "the cancel's reason stayed in the cancel form: {saved}"
    );
    browser.screenshot(&shots.join("console-closed-after.png"));

    // It was the 資格確認書: corrected the same day, with a reason.
    browser.click("#correct summary");
    browser.click("#correct #form-paper_document input[value=eligibility_certificate]");
    browser.type_into(
        "#correct #form-paper_document input[name=correction_reason]",
        "資格確認書を見ていた（対応の選び間違い）",
    );
    browser.screenshot(&shots.join("console-correct-after.png"));
    browser.click("#correct #form-paper_document button[type=submit]");
    browser.wait_for("#corrected", WAIT);
    assert!(browser.text("#saved-how").contains("資格確認書"));

    browser.go(&format!("{}/report", desk.base));
    browser.wait_for("#report-table", WAIT);
    assert_eq!(report_count(browser, "portal_screen_checked_by_staff"), "0");
    assert_eq!(report_count(browser, "eligibility_certificate"), "1");
}
