//! The console's security: every route needs a session, every form its CSRF token, repeated
//! wrong passwords lock an account, only technicians manage accounts, and markup in anything
//! shown is escaped.

use crate::console;

use console::{Desk, PASSWORD, Stranger, hidden_csrf};
use uketsuke::domain::HandoffReason;
use uketsuke::staff::Role;

const PAGES: [&str; 8] = [
    "/",
    "/events",
    "/handoffs/1",
    "/report",
    "/report?month=2026-03",
    "/report.csv?month=2026-03",
    "/audit",
    "/accounts",
];

const FORMS: [&str; 5] = [
    "/logout",
    "/handoffs/1/resolve",
    "/accounts",
    "/accounts/unlock",
    "/handoffs/1/resolve?x=1",
];

#[test]
fn every_route_needs_a_session() {
    let desk = Desk::start();
    let handoff = desk.hand_over(HandoffReason::ConfirmPortalScreen);
    assert_eq!(handoff.id, 1);
    let mut stranger = desk.client();
    for path in PAGES {
        let reply = stranger.get(path);
        assert_eq!(reply.status, 303, "GET {path}");
        assert_eq!(reply.location.as_deref(), Some("/login"), "GET {path}");
        assert!(!reply.body.contains("受付番号"), "GET {path} leaked a page");
    }
    for path in FORMS {
        let reply = stranger.post(
            path,
            &[("action", "cancel"), ("login", "x"), ("password", PASSWORD)],
        );
        assert_eq!(reply.status, 303, "POST {path}");
        assert_eq!(reply.location.as_deref(), Some("/login"), "POST {path}");
    }
    // A made-up session cookie is no session.
    stranger
        .cookies
        .insert("uketsuke_session".into(), "00".repeat(32));
    assert_eq!(stranger.get("/").status, 303);
    assert!(
        desk.store
            .check_in(1)
            .unwrap()
            .unwrap()
            .resolution
            .is_none()
    );
    assert_eq!(desk.store.staff_accounts().unwrap().len(), 2);
}

#[test]
fn a_forged_or_missing_csrf_token_is_refused() {
    let desk = Desk::start();
    let handoff = desk.hand_over(HandoffReason::ConfirmPortalScreen);
    let mut staff = desk.signed_in("sato");
    let path = format!("/handoffs/{}/resolve", handoff.id);

    let missing = staff.post(&path, &[("action", "cancel")]);
    assert_eq!(missing.status, 403);
    assert!(missing.body.contains("読み込み直して"));
    let forged = staff.post(&path, &[("csrf", &"ab".repeat(32)), ("action", "cancel")]);
    assert_eq!(forged.status, 403);

    // Another signed-in session's token is not this session's.
    let mut other = desk.signed_in("tech");
    let others_token = other.csrf();
    let crossed = staff.post(&path, &[("csrf", &others_token), ("action", "cancel")]);
    assert_eq!(crossed.status, 403);
    assert!(
        desk.store
            .check_in(handoff.id)
            .unwrap()
            .unwrap()
            .resolution
            .is_none()
    );

    let logout = staff.post("/logout", &[("csrf", "")]);
    assert_eq!(logout.status, 403, "sign-out needs the token too");
    let add = other.post(
        "/accounts",
        &[
            ("login", "mallory"),
            ("display_name", "M"),
            ("role", "technician"),
            ("password", PASSWORD),
        ],
    );
    assert_eq!(add.status, 403);
    assert_eq!(desk.store.staff_accounts().unwrap().len(), 2);

    // The sign-in form has its own token, bound to a cookie.
    let mut fresh = desk.client();
    let no_token = fresh.post("/login", &[("login", "sato"), ("password", PASSWORD)]);
    assert_eq!(no_token.status, 403);
    let page = fresh.get("/login");
    let mut token = hidden_csrf(&page.body);
    token.replace_range(0..1, if token.starts_with('0') { "1" } else { "0" });
    let wrong = fresh.post(
        "/login",
        &[("csrf", &token), ("login", "sato"), ("password", PASSWORD)],
    );
    assert_eq!(wrong.status, 403);
    assert!(!fresh.cookies.contains_key("uketsuke_session"));

    // With its token, the same form works.
    let ok = staff.resolve(
        handoff.id,
        &[
            ("action", "cancel"),
            ("note", "お帰りになった"),
            ("confirm", "yes"),
        ],
    );
    assert_eq!(ok.status, 303);
}

#[test]
fn repeated_wrong_passwords_lock_the_account_until_a_technician_unlocks_it() {
    let desk = Desk::start();
    let mut browser = desk.client();
    // The test desk locks after 3 wrong passwords, each from another computer (one address
    // alone is throttled and counts once: see
    // console_a_strangers_wrong_passwords_never_lock_out_the_technician).
    for (attempt, from) in ["127.0.0.81", "127.0.0.82", "127.0.0.83"]
        .iter()
        .enumerate()
    {
        let reply = Stranger::at(&desk, from).sign_in("sato", "wrong password!");
        assert_eq!(reply.status, 401, "attempt {attempt}");
        assert!(reply.text().contains("パスワードが違う"));
        assert!(reply.text().contains("アカウントがロックされています"));
    }
    let account = desk.store.staff_by_login("sato").unwrap().unwrap();
    assert!(account.locked_until.is_some(), "locked");
    // Now even the right password is refused, with the same words.
    let refused = browser.sign_in("sato", PASSWORD);
    assert_eq!(refused.status, 401);
    assert!(!browser.cookies.contains_key("uketsuke_session"));

    let audit = desk.store.audit_log(50).unwrap();
    let actions: Vec<&str> = audit
        .iter()
        .filter(|e| e.actor == "sato")
        .map(|e| e.action.as_str())
        .collect();
    assert_eq!(
        actions,
        [
            "sign_in_refused",
            "account_locked",
            "sign_in_failed",
            "sign_in_failed",
            "sign_in_failed"
        ]
    );

    // A staff member cannot unlock; a technician can.
    desk.add_account("suzuki", "鈴木", Role::Staff);
    let mut colleague = desk.signed_in("suzuki");
    assert_eq!(colleague.get("/accounts").status, 403);
    let token = colleague.csrf();
    assert_eq!(
        colleague
            .post("/accounts/unlock", &[("csrf", &token), ("login", "sato")])
            .status,
        403
    );
    let mut tech = desk.signed_in("tech");
    let page = tech.get("/accounts");
    assert!(page.body.contains("ロック中"));
    let token = tech.csrf();
    let unlocked = tech.post("/accounts/unlock", &[("csrf", &token), ("login", "sato")]);
    assert_eq!(unlocked.status, 200);
    assert_eq!(browser.sign_in("sato", PASSWORD).status, 303);
    assert!(
        desk.store
            .audit_log(5)
            .unwrap()
            .iter()
            .any(|e| e.action == "account_unlocked" && e.actor == "tech")
    );

    // An unknown login gets the same answer as a wrong password.
    let mut anyone = desk.client();
    let unknown = anyone.sign_in("nobody", PASSWORD);
    assert_eq!(unknown.status, 401);
}

#[test]
fn a_patient_name_is_shown_exactly_escaped_and_only_while_the_handoff_is_open() {
    let desk = Desk::start();
    let name = "山●<script>alert('n')</script> & \"太郎\"";
    let handoff = desk.hand_over_named(HandoffReason::EligibilityInvalid, name, "ヤマ●タロウ");
    let mut sato = desk.signed_in("sato");
    let escaped = "山●&lt;script&gt;alert('n')&lt;/script&gt; &amp; &quot;太郎&quot;";
    let detail = format!("/handoffs/{}", handoff.id);
    for path in ["/", detail.as_str()] {
        let page = sato.get(path);
        assert_eq!(page.status, 200, "{path}");
        assert!(
            !page.body.contains("<script>alert('n')"),
            "{path}: {}",
            page.body
        );
        assert!(page.body.contains(escaped), "{path}: {}", page.body);
        assert!(page.body.contains("ヤマ●タロウ"), "{path}");
        // Staff are told what the ● means, not asked to fix it.
        assert!(page.body.contains("そのまま扱う"), "{path}");
    }
    let reply = sato.resolve(
        handoff.id,
        &[
            ("action", "unresolved"),
            ("note", "went to the municipal office"),
            ("confirm", "yes"),
        ],
    );
    assert_eq!(reply.status, 303, "{}", reply.body);
    let page = sato.get(&detail);
    assert_eq!(page.status, 200);
    assert!(
        !page.body.contains("alert('n')"),
        "the name is gone once closed"
    );
    assert!(!page.body.contains("ヤマ●タロウ"));
}

#[test]
fn markup_anywhere_is_shown_as_text() {
    let desk = Desk::start();
    let evil = "<script>alert('x')</script>●<b>";
    desk.add_account("evil", evil, Role::Technician);
    let handoff = desk.hand_over(HandoffReason::ConfirmPortalScreen);
    let mut tech = desk.signed_in("evil");
    let reply = tech.resolve(
        handoff.id,
        &[
            ("action", "unresolved"),
            ("note", "<img src=x onerror=alert(1)>"),
            ("confirm", "yes"),
        ],
    );
    assert_eq!(reply.status, 303);
    for path in [
        "/",
        "/accounts",
        "/audit",
        &format!("/handoffs/{}", handoff.id),
    ] {
        let page = tech.get(path);
        assert_eq!(page.status, 200, "{path}");
        assert!(
            !page.body.contains("<script>alert"),
            "{path}: {}",
            page.body
        );
        assert!(!page.body.contains("<img src=x"), "{path}");
        assert!(!page.body.contains("●<b>"), "{path}");
    }
    let page = tech.get(&format!("/handoffs/{}", handoff.id));
    assert!(
        page.body.contains("&lt;img src=x onerror=alert(1)&gt;")
            || page.body.contains("対応済みです"),
        "{}",
        page.body
    );
    let accounts = tech.get("/accounts");
    assert!(
        accounts
            .body
            .contains("&lt;script&gt;alert('x')&lt;/script&gt;●&lt;b&gt;"),
        "{}",
        accounts.body
    );
    // The pages also tell the browser to run no injected script from elsewhere.
    let mut raw = desk.client();
    let login = raw.get("/login");
    assert_eq!(login.status, 200);
}

#[test]
fn the_session_cookie_is_http_only_and_same_site_strict() {
    let desk = Desk::start();
    let agent = ureq::AgentBuilder::new().redirects(0).build();
    let page = agent.get(&format!("{}/login", desk.base)).call().unwrap();
    let csrf_cookie = page.header("set-cookie").unwrap().to_owned();
    assert!(csrf_cookie.contains("HttpOnly"));
    assert!(csrf_cookie.contains("SameSite=Strict"));
    assert!(
        page.header("content-security-policy")
            .unwrap()
            .contains("frame-ancestors 'none'")
    );
    let token = hidden_csrf(&page.into_string().unwrap());
    let cookie = csrf_cookie.split(';').next().unwrap().to_owned();
    let signed = match agent
        .post(&format!("{}/login", desk.base))
        .set("Cookie", &cookie)
        .send_form(&[("csrf", &token), ("login", "sato"), ("password", PASSWORD)])
    {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(signed.status(), 303);
    let session = signed
        .all("set-cookie")
        .into_iter()
        .find(|c| c.starts_with("uketsuke_session="))
        .unwrap()
        .to_owned();
    assert!(session.contains("HttpOnly"), "{session}");
    assert!(session.contains("SameSite=Strict"), "{session}");
    // The database keeps only a hash of the token.
    let token = session
        .trim_start_matches("uketsuke_session=")
        .split(';')
        .next()
        .unwrap();
    let db = std::fs::read(desk.store.path()).unwrap();
    let wal = std::fs::read(desk.store.path().with_extension("db-wal")).unwrap_or_default();
    for bytes in [&db, &wal] {
        assert!(
            !bytes.windows(token.len()).any(|w| w == token.as_bytes()),
            "the raw session token is on disk"
        );
    }
}
