//! The accounts page does what a clinic needs when people come and go: a clerk who left
//! (退職) is disabled — refused at sign-in exactly like a wrong password, their open screens
//! (the live queue too) end at once, their name stays in the audit — and can be enabled again;
//! a forgotten password is reset by a technician (sessions end, the new one works); a refused
//! add comes back filled (never the password) with the refusal under its field; and each
//! account shows its last sign-in (最終ログイン).

use std::time::Duration;

use crate::console::{Desk, LiveQueue, PASSWORD, Stranger};
use uketsuke::staff::Role;

/// Generous: the console re-checks a live queue's session every second.
const CAP: Duration = Duration::from_secs(10);

/// The row of the accounts table for `login`.
fn row<'a>(page: &'a str, login: &str) -> &'a str {
    let start = page
        .find(&format!("data-login=\"{login}\""))
        .unwrap_or_else(|| panic!("no row for {login}: {page}"));
    let rest = &page[start..];
    &rest[..rest.find("</tr>").unwrap()]
}

#[test]
fn a_disabled_account_cannot_sign_in_its_screens_end_at_once_and_it_can_be_enabled_again() {
    let desk = Desk::start();
    let mut sato = desk.signed_in("sato");
    let live = LiveQueue::open(&sato);
    assert!(live.next(CAP).is_some(), "the first push");

    // A colleague without the technician role cannot disable anyone.
    desk.add_account("suzuki", "鈴木", Role::Staff);
    let mut colleague = desk.signed_in("suzuki");
    let token = colleague.csrf();
    let refused = colleague.post("/accounts/disable", &[("csrf", &token), ("login", "sato")]);
    assert_eq!(refused.status, 403);
    assert_eq!(sato.get("/").status, 200, "still signed in");

    let mut tech = desk.signed_in("tech");
    let token = tech.csrf();
    // Nobody disables their own account.
    let own = tech.post("/accounts/disable", &[("csrf", &token), ("login", "tech")]);
    assert_eq!(own.status, 422, "{}", own.body);
    assert!(own.body.contains("自分のアカウントは無効にできません"));

    let disabled = tech.post("/accounts/disable", &[("csrf", &token), ("login", "sato")]);
    assert_eq!(disabled.status, 200, "{}", disabled.body);
    assert!(row(&disabled.body, "sato").contains("無効（退職）"));
    assert!(row(&disabled.body, "sato").contains("有効に戻す"));
    live.ended_within(CAP);
    assert_eq!(sato.get("/").status, 303, "the open session ended");

    // The right password is refused exactly like a wrong one.
    let right = Stranger::at(&desk, "127.0.0.41").sign_in("sato", PASSWORD);
    let wrong = Stranger::at(&desk, "127.0.0.42").sign_in("sato", "not the password");
    assert_eq!(right.status, 401);
    assert_eq!(wrong.status, 401);
    let alert = |html: &str| {
        let at = html.find("role=\"alert\"").expect("an alert");
        let rest = &html[at..];
        rest[..rest.find("</p>").unwrap()].to_owned()
    };
    assert_eq!(alert(&right.text()), alert(&wrong.text()));
    assert!(!right.text().contains("退職"));

    // The name stays: in the accounts list and the audit.
    assert!(desk.store.staff_by_login("sato").unwrap().is_some());
    let log = desk.store.audit_log(50).unwrap();
    assert!(
        log.iter().any(|e| e.action == "account_disabled"
            && e.actor == "tech"
            && e.detail == "login=sato sessions_ended=1"),
        "{log:?}"
    );
    assert!(
        log.iter()
            .any(|e| e.action == "sign_in_refused" && e.detail.starts_with("account disabled"))
    );

    let enabled = tech.post("/accounts/enable", &[("csrf", &token), ("login", "sato")]);
    assert_eq!(enabled.status, 200, "{}", enabled.body);
    assert!(row(&enabled.body, "sato").contains("有効"));
    assert!(!row(&enabled.body, "sato").contains("無効（退職）"));
    let mut back = desk.signed_in("sato");
    assert_eq!(back.get("/").status, 200);
    assert!(
        desk.store
            .audit_log(50)
            .unwrap()
            .iter()
            .any(|e| e.action == "account_enabled" && e.detail == "login=sato")
    );
}

#[test]
fn a_password_reset_ends_the_sessions_and_the_new_password_works() {
    let desk = Desk::start();
    let mut sato = desk.signed_in("sato");
    let mut tech = desk.signed_in("tech");
    let token = tech.csrf();

    let short = tech.post(
        "/accounts/password",
        &[("csrf", &token), ("login", "sato"), ("password", "short")],
    );
    assert_eq!(short.status, 422);
    assert!(short.body.contains("10 文字以上"), "{}", short.body);
    assert_eq!(sato.get("/").status, 200, "a refused reset ends nothing");

    let reset = tech.post(
        "/accounts/password",
        &[
            ("csrf", &token),
            ("login", "sato"),
            ("password", "a brand new secret"),
        ],
    );
    assert_eq!(reset.status, 200, "{}", reset.body);
    assert!(reset.body.contains("パスワードを再設定しました"));
    assert_eq!(sato.get("/").status, 303, "the old session ended");
    assert_eq!(
        Stranger::at(&desk, "127.0.0.43")
            .sign_in("sato", PASSWORD)
            .status,
        401,
        "the old password no longer works"
    );
    let mut again = desk.client();
    assert_eq!(again.sign_in("sato", "a brand new secret").status, 303);
    assert_eq!(again.get("/").status, 200);
    assert!(
        desk.store
            .audit_log(50)
            .unwrap()
            .iter()
            .any(|e| e.action == "password_reset"
                && e.actor == "tech"
                && e.detail == "login=sato sessions_ended=1")
    );
}

#[test]
fn a_refused_add_comes_back_filled_with_the_refusal_under_its_field() {
    let desk = Desk::start();
    let mut tech = desk.signed_in("tech");
    let token = tech.csrf();
    let refused = tech.post(
        "/accounts",
        &[
            ("csrf", &token),
            ("login", "Tanaka Hanako"),
            ("display_name", "田中 花子"),
            ("role", "technician"),
            ("password", "short pw"),
        ],
    );
    assert_eq!(refused.status, 422);
    let body = &refused.body;
    assert!(body.contains("value=\"Tanaka Hanako\""), "{body}");
    assert!(body.contains("value=\"田中 花子\""), "{body}");
    assert!(
        body.contains("<option value=\"technician\" selected>"),
        "{body}"
    );
    assert!(
        !body.contains("short pw"),
        "the password is never sent back"
    );
    assert!(body.contains("data-field=\"login\""), "{body}");
    assert!(body.contains("data-field=\"password\""), "{body}");
    assert!(!body.contains("data-field=\"display_name\""), "{body}");

    // A login already in use: said under the login, the rest kept.
    let taken = tech.post(
        "/accounts",
        &[
            ("csrf", &token),
            ("login", "sato"),
            ("display_name", "佐藤 二郎"),
            ("role", "staff"),
            ("password", "correct horse battery"),
        ],
    );
    assert_eq!(taken.status, 422);
    assert!(
        taken
            .body
            .contains("ログイン名 sato はすでに使われています")
    );
    assert!(taken.body.contains("value=\"佐藤 二郎\""));
    assert!(!taken.body.contains("correct horse battery"));
    assert_eq!(desk.store.staff_accounts().unwrap().len(), 2);
}

#[test]
fn each_account_shows_its_last_sign_in() {
    let desk = Desk::start();
    let mut tech = desk.signed_in("tech");
    let before = tech.get("/accounts");
    assert!(row(&before.body, "sato").contains("まだありません"));
    let _sato = desk.signed_in("sato");
    let after = tech.get("/accounts");
    let signed_in = desk
        .store
        .staff_by_login("sato")
        .unwrap()
        .unwrap()
        .last_sign_in_at
        .expect("stored");
    let today = signed_in
        .with_timezone(&uketsuke::rules::JST)
        .date_naive()
        .to_string();
    assert!(row(&after.body, "sato").contains(&today), "{}", after.body);
    assert!(!row(&after.body, "sato").contains("まだありません"));
}
