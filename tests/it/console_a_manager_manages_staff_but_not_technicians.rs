//! A 管理者 (manager) looks after reception staff's accounts without being a technician
//! (issue 15 item 7): the accounts page shows them only what they may do (the スタッフ role to
//! add, buttons on スタッフ rows only); they add a clerk and reset her password, audited under
//! their login; a technician's account is refused them with a Japanese reason and stays as it
//! was. A technician may add a manager; a clerk still has no accounts page. A manager corrects
//! a record another clerk closed (the same day), which another clerk may not.

use crate::console::{Desk, PASSWORD, Stranger};
use uketsuke::domain::HandoffReason;
use uketsuke::staff::Role;

/// The row of the accounts table for `login`.
fn row<'a>(page: &'a str, login: &str) -> &'a str {
    let start = page
        .find(&format!("data-login=\"{login}\""))
        .unwrap_or_else(|| panic!("no row for {login}: {page}"));
    let rest = &page[start..];
    &rest[..rest.find("</tr>").unwrap()]
}

/// The add form's role choices, as `value` codes.
fn role_choices(page: &str) -> Vec<&str> {
    let start = page.find("<select name=\"role\">").expect("a role choice");
    let select = &page[start..start + page[start..].find("</select>").unwrap()];
    select
        .split("<option value=\"")
        .skip(1)
        .map(|o| &o[..o.find('"').unwrap()])
        .collect()
}

#[test]
fn a_manager_adds_a_clerk_resets_her_password_and_is_refused_on_a_technician() {
    let desk = Desk::start();
    desk.add_account("kanri", "管理 恵子", Role::Manager);
    let mut kanri = desk.signed_in("kanri");
    assert!(
        kanri.get("/").body.contains("href=\"/accounts\""),
        "the link"
    );

    // The page as a manager sees it: roles in Japanese, only スタッフ to add, no buttons on
    // the technician's row.
    let page = kanri.get("/accounts");
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(row(&page.body, "kanri").contains("管理者"));
    assert!(row(&page.body, "tech").contains("技術担当"));
    assert!(row(&page.body, "sato").contains("スタッフ"));
    assert_eq!(role_choices(&page.body), ["staff"]);
    assert!(!row(&page.body, "tech").contains("<form"), "{}", page.body);
    assert!(row(&page.body, "tech").contains("技術担当者が変更します"));
    assert!(row(&page.body, "sato").contains("action=\"/accounts/password\""));
    assert!(row(&page.body, "sato").contains("action=\"/accounts/disable\""));
    assert!(
        !row(&page.body, "kanri").contains("action=\"/accounts/disable\""),
        "never their own"
    );

    // A new clerk.
    let token = kanri.csrf();
    let added = kanri.post(
        "/accounts",
        &[
            ("csrf", &token),
            ("login", "tanaka"),
            ("display_name", "田中 花子"),
            ("role", "staff"),
            ("password", PASSWORD),
        ],
    );
    assert_eq!(added.status, 200, "{}", added.body);
    assert!(added.body.contains("田中 花子（tanaka）を追加しました"));
    let tanaka = desk.store.staff_by_login("tanaka").unwrap().unwrap();
    assert_eq!(tanaka.role, Role::Staff);

    // Her forgotten password, reset by the manager: the new one works.
    let reset = kanri.post(
        "/accounts/password",
        &[
            ("csrf", &token),
            ("login", "tanaka"),
            ("password", "a brand new secret"),
        ],
    );
    assert_eq!(reset.status, 200, "{}", reset.body);
    assert!(
        reset
            .body
            .contains("田中 花子 のパスワードを再設定しました")
    );
    let mut her = desk.client();
    assert_eq!(her.sign_in("tanaka", "a brand new secret").status, 303);

    // The technician's account is not the manager's to change; nor is adding one.
    for (path, extra) in [
        (
            "/accounts/password",
            Some(("password", "a brand new secret")),
        ),
        ("/accounts/disable", None),
    ] {
        let mut fields = vec![("csrf", token.as_str()), ("login", "tech")];
        fields.extend(extra);
        let refused = kanri.post(path, &fields);
        assert_eq!(refused.status, 422, "{path}: {}", refused.body);
        assert!(
            refused
                .body
                .contains("管理者と技術担当のアカウントは、技術担当者だけが変更できます。"),
            "{path}: {}",
            refused.body
        );
    }
    let tech = desk.store.staff_by_login("tech").unwrap().unwrap();
    assert!(!tech.is_disabled());
    assert_eq!(
        Stranger::at(&desk, "127.0.0.51")
            .sign_in("tech", PASSWORD)
            .status,
        303,
        "the technician's password is unchanged"
    );
    let promoted = kanri.post(
        "/accounts",
        &[
            ("csrf", &token),
            ("login", "yamada"),
            ("display_name", "山田"),
            ("role", "technician"),
            ("password", PASSWORD),
        ],
    );
    assert_eq!(promoted.status, 422, "{}", promoted.body);
    assert!(
        promoted
            .body
            .contains("管理者と技術担当のアカウントは、技術担当者だけが追加できます。")
    );
    assert!(promoted.body.contains("data-field=\"role\""));
    assert!(desk.store.staff_by_login("yamada").unwrap().is_none());

    // Every change names who did it.
    let log = desk.store.audit_log(50).unwrap();
    let by_kanri = |action: &str, detail: &str| {
        log.iter()
            .any(|e| e.action == action && e.actor == "kanri" && e.detail == detail)
    };
    assert!(
        by_kanri("staff_account_created", "login=tanaka role=staff"),
        "{log:?}"
    );
    assert!(
        by_kanri("password_reset", "login=tanaka sessions_ended=0"),
        "{log:?}"
    );
    assert!(
        !log.iter()
            .any(|e| e.actor == "kanri" && e.detail.starts_with("login=tech ")),
        "nothing changed on the technician's account: {log:?}"
    );
}

#[test]
fn a_technician_adds_a_manager_and_a_clerk_has_no_accounts_page() {
    let desk = Desk::start();
    let mut tech = desk.signed_in("tech");
    let page = tech.get("/accounts");
    assert_eq!(role_choices(&page.body), ["staff", "manager", "technician"]);
    assert!(page.body.contains(">管理者</option>"), "{}", page.body);
    let token = tech.csrf();
    let added = tech.post(
        "/accounts",
        &[
            ("csrf", &token),
            ("login", "kanri"),
            ("display_name", "管理 恵子"),
            ("role", "manager"),
            ("password", PASSWORD),
        ],
    );
    assert_eq!(added.status, 200, "{}", added.body);
    assert!(row(&added.body, "kanri").contains("管理者"));
    assert_eq!(
        desk.store.staff_by_login("kanri").unwrap().unwrap().role,
        Role::Manager
    );
    // The technician may change the manager's account.
    assert!(row(&added.body, "kanri").contains("action=\"/accounts/disable\""));

    let mut sato = desk.signed_in("sato");
    assert!(!sato.get("/").body.contains("href=\"/accounts\""));
    let refused = sato.get("/accounts");
    assert_eq!(refused.status, 403);
    assert!(
        refused
            .body
            .contains("アカウントの管理は管理者か技術担当者だけができます。")
    );
}

#[test]
fn a_manager_corrects_a_record_another_clerk_closed_the_same_day() {
    let desk = Desk::start();
    desk.add_account("kanri", "管理 恵子", Role::Manager);
    desk.add_account("suzuki", "鈴木", Role::Staff);
    let handoff = desk.hand_over(HandoffReason::ConfirmPortalScreen);
    let portal = [
        ("action", "portal_screen"),
        ("insurer_number", "01130012"),
        ("symbol", "1234"),
        ("number", "567"),
        ("branch", "01"),
        ("burden_ratio", "30"),
        ("confirm", "yes"),
        ("note", "スマホの画面で確認"),
    ];
    let mut sato = desk.signed_in("sato");
    assert_eq!(sato.resolve(handoff.id, &portal).status, 303);

    let mut corrected = portal.to_vec();
    corrected.retain(|(k, _)| *k != "branch");
    corrected.extend([("branch", "02"), ("correction_reason", "枝番の打ち間違い")]);
    let correct = |client: &mut crate::console::Client| {
        let csrf = client.csrf();
        let mut all = vec![("csrf", csrf.as_str())];
        all.extend_from_slice(&corrected);
        client.post(&format!("/handoffs/{}/correct", handoff.id), &all)
    };
    let mut suzuki = desk.signed_in("suzuki");
    assert_eq!(correct(&mut suzuki).status, 403, "another clerk may not");

    let mut kanri = desk.signed_in("kanri");
    let page = kanri.get(&format!("/handoffs/{}", handoff.id)).body;
    assert!(page.contains("記録を訂正する"), "{page}");
    let done = correct(&mut kanri);
    assert_eq!(done.status, 303, "{}", done.body);
    let after = desk.store.check_in(handoff.id).unwrap().unwrap();
    assert_eq!(after.resolution.unwrap().staff, "kanri");
    assert!(
        desk.store
            .audit_log(50)
            .unwrap()
            .iter()
            .any(|e| e.action == "handoff_corrected" && e.actor == "kanri"),
        "audited under the manager's login"
    );
}
