//! The accounts page as a 管理者 sees it, in a real browser (issue 15 item 7): the manager's
//! account is made with `uketsuke staff add --role manager`, as a technician does; the page
//! offers only the スタッフ role to add, buttons on the clerk's row, none on the technician's.
//! Writes console-accounts-after.png to target/console-screenshots/.
//!
//! With CI=true a missing chromium or chromedriver fails the test; elsewhere it is skipped.

use std::time::Duration;

use crate::console::browser::{BrowserDesk, add_account, screenshots_dir};

#[test]
fn a_manager_sees_only_what_they_may_do_on_the_accounts_page() {
    if !BrowserDesk::available() {
        return;
    }
    let desk = BrowserDesk::start_as("kanri", "管理 恵子", "manager");
    add_account(&desk.db, "sato", "佐藤 花子", "staff");
    add_account(&desk.db, "tech", "技術 太郎", "technician");
    let browser = &desk.browser;
    browser.click("header a[href='/accounts']");
    browser.wait_for("#accounts-table", Duration::from_secs(10));

    assert_eq!(browser.text("select[name=role]"), "スタッフ");
    assert!(browser.text("tr[data-login=kanri]").contains("管理者"));
    let tech = browser.text("tr[data-login=tech]");
    assert!(tech.contains("技術担当者が変更します"), "{tech}");
    assert!(
        browser.find("tr[data-login=tech] form").is_none(),
        "no button on the technician's row"
    );
    browser.element("tr[data-login=sato] form[action='/accounts/password']");
    browser.element("tr[data-login=sato] form[action='/accounts/disable']");
    browser.screenshot(&screenshots_dir().join("console-accounts-after.png"));
}
