//! The audit log in a real browser (issue 15, review row 19): after a clerk resolves a
//! portal-screen handoff, the audit page says so in a Japanese sentence with her name, links to
//! the check-in, and narrows to one reception number through its filter form. Writes
//! console-audit-after.png to target/console-screenshots/.
//!
//! With CI=true a missing chromium or chromedriver fails the test; elsewhere it is skipped.

use std::time::Duration;

use crate::console::browser::{BrowserDesk, screenshots_dir};

#[test]
fn the_audit_reads_as_sentences_in_a_real_browser() {
    if !BrowserDesk::available() {
        return;
    }
    let desk = BrowserDesk::start_as("hanako", "受付 花子", "staff");
    let browser = &desk.browser;
    let wait = Duration::from_secs(10);
    desk.check_in("phone", r#"{"steps": ["tap", "ok"]}"#, "sim:iphone", "sim");
    browser.wait_for("tr[data-reason=confirm_portal_screen]", wait);
    browser.click("tr[data-reason=confirm_portal_screen] a");
    browser.wait_for("#form-portal_screen", wait);
    browser.type_into("#form-portal_screen input[name=insurer_number]", "01130012");
    browser.type_into("#form-portal_screen input[name=symbol]", "1234");
    browser.type_into("#form-portal_screen input[name=number]", "5678");
    browser.type_into("#form-portal_screen input[name=branch]", "01");
    browser.click("#form-portal_screen select[name=burden_ratio] option[value='30']");
    browser.click("#form-portal_screen button[type=submit]");
    // The numbers are read back first; the read-back's button records them.
    browser.wait_for("#confirm-portal_screen button.record", wait);
    browser.click("#confirm-portal_screen button.record");
    browser.wait_for("p.ok", wait);
    desk.check_in(
        "card",
        r#"{"steps": ["tap", {"pin": "1234"}, {"consent": "all"}, {"high_cost_limit": true}, "ok"]}"#,
        "sim:card",
        "sim:several-matches",
    );
    browser.wait_for("tr[data-reason=several_matches]", wait);

    browser.go(&format!("{}/audit", desk.base));
    browser.wait_for("#audit-table", wait);
    let table = browser.text("#audit-table");
    assert!(
        table.contains(
            "受付 1 を『資格情報画面をスタッフが確認』で記録（利用率に数えない）― 受付 花子"
        ),
        "{table}"
    );
    assert!(table.contains("受付 2 を受付機から受付へ引き継ぎ（理由：資格が複数該当）― 受付機"));
    assert!(table.contains("ログイン ― 受付 花子"));
    browser.screenshot(&screenshots_dir().join("console-audit-after.png"));

    // The filter form narrows to one reception number.
    browser.type_into("#audit-filter input[name=number]", "２");
    browser.click("#audit-filter button[type=submit]");
    // The old page has a table too: wait for the new address, then for its table.
    browser.wait_for_url("number=", wait);
    browser.wait_for("#audit-table", wait);
    let narrowed = browser.text("#audit-table");
    assert!(narrowed.contains("受付 2 を"), "{narrowed}");
    assert!(!narrowed.contains("受付 1 を"), "{narrowed}");
    browser.click("#audit-table a.check-in");
    browser.wait_for_url("/handoffs/", wait);
}
