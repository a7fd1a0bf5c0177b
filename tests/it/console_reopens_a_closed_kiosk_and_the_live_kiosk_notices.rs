//! A kiosk staff closed at the kiosk is reopened from the console: the queue's banner naming
//! the closed kiosk carries 「受付機を再開する」 (any signed-in staff member, with the form's
//! CSRF token), which removes the kiosk's pause and audits `kiosk_reopened` with
//! `from=console`; and a LIVE kiosk (the real runtime and views over the same SQLite file,
//! closed through its own staff panel) notices through its database watch and leaves the
//! closed screen for the welcome screen by itself.

use crate::console::{Desk, hidden_csrf};
use crate::ui::{self, UiKiosk};

use std::time::{Duration, Instant};

use i_slint_backend_testing::ElementHandle;
use slint::ComponentHandle as _;
use slint::platform::PointerEventButton;
use uketsuke::gateway::sim::Persona;
use uketsuke::staff::Role;
use uketsuke::ui::{Kiosk, ScreenKind, StaffScreen};

/// `actor action detail` of every audit entry about closing or reopening a kiosk, oldest first.
fn pause_audit(store: &uketsuke::store::Store) -> Vec<String> {
    store
        .audit_log(100)
        .unwrap()
        .into_iter()
        .rev()
        .filter(|e| e.action.starts_with("kiosk_paused") || e.action == "kiosk_reopened")
        .map(|e| format!("{} {} {}", e.actor, e.action, e.detail))
        .collect()
}

#[test]
fn any_clerk_reopens_a_closed_kiosk_from_the_queue_and_it_is_audited() {
    let desk = Desk::start();
    let lunch = uketsuke::datetime!(2026-11-22 12:02 +09:00);
    desk.store
        .set_kiosk_paused("entrance", "tanaka", true, lunch)
        .unwrap();
    let mut staff = desk.signed_in("sato");
    let queue = staff.get("/").body;
    assert!(
        queue.contains("受付機「entrance」は休止中です（2026-11-22 12:02、tanaka）"),
        "{queue}"
    );
    assert!(queue.contains("受付機を再開する"), "{queue}");
    assert!(
        queue.contains(r#"name="kiosk" value="entrance""#),
        "{queue}"
    );

    // Without the form's token nothing changes.
    let forged = staff.post("/kiosks/reopen", &[("kiosk", "entrance")]);
    assert_eq!(forged.status, 403, "{}", forged.body);
    assert!(desk.store.kiosk_pause("entrance").unwrap().is_some());

    let csrf = hidden_csrf(&queue);
    let reply = staff.post("/kiosks/reopen", &[("csrf", &csrf), ("kiosk", "entrance")]);
    assert_eq!(reply.status, 303, "{}", reply.body);
    assert_eq!(reply.location.as_deref(), Some("/"));
    assert_eq!(desk.store.kiosk_pause("entrance").unwrap(), None);
    let queue = staff.get("/").body;
    assert!(!queue.contains("kiosk-closed"), "{queue}");
    assert!(!queue.contains("受付機を再開する"), "{queue}");

    // A second press (another tab, another clerk) records nothing more.
    let again = staff.post("/kiosks/reopen", &[("csrf", &csrf), ("kiosk", "entrance")]);
    assert_eq!(again.status, 303);
    assert_eq!(
        pause_audit(&desk.store),
        [
            "tanaka kiosk_paused kiosk=entrance",
            "sato kiosk_reopened kiosk=entrance from=console",
        ]
    );

    // The audit page says it was done from the console, in a sentence.
    let audit = desk.signed_in("tech").get("/audit").body;
    assert!(
        audit.contains("受付機「entrance」を再開（スタッフ画面から）"),
        "{audit}"
    );
}

const PIN: &str = "135790";

/// Clicks the kiosk's hidden spot `n` times with real pointer events.
fn tap_title(k: &UiKiosk, n: usize) {
    let spot: Vec<ElementHandle> =
        ElementHandle::find_by_element_id(&k.app, "KioskArea::staff-spot").collect();
    assert_eq!(spot.len(), 1, "the hidden spot exists once");
    for _ in 0..n {
        spot[0].mock_single_click(PointerEventButton::Left);
        k.rt.borrow_mut().drain();
    }
    k.settle();
}

#[test]
fn a_kiosk_closed_at_its_panel_and_reopened_from_the_console_shows_welcome_by_itself() {
    let k = UiKiosk::new(Persona::Valid3);
    // The console beside the kiosk, on the kiosk's database file.
    let desk = Desk::start_on(&k.db);
    desk.add_account("suzuki", "鈴木 Suzuki", Role::Staff);
    k.store
        .set_kiosk_pin(
            "suzuki",
            &uketsuke::password::hash(PIN).unwrap(),
            "test",
            uketsuke::dates::now(),
        )
        .unwrap();

    // Closed for lunch at the kiosk, through its staff panel.
    tap_title(&k, 5);
    k.press("鈴木 Suzuki");
    k.type_pin(PIN, "OK");
    assert_eq!(
        k.app.global::<Kiosk>().get_staff_screen(),
        StaffScreen::Panel,
        "{:?}",
        k.labels()
    );
    k.press("受付機を休止する");
    k.press("30分後");
    assert_eq!(k.screen(), ScreenKind::Paused);

    // At the desk the queue names it, and a clerk reopens it.
    let mut clerk = desk.signed_in("sato");
    let queue = clerk.get("/").body;
    assert!(queue.contains("受付機「受付機1」は休止中です"), "{queue}");
    assert!(queue.contains("10:00ごろ再開の予定です。"), "{queue}");
    let csrf = hidden_csrf(&queue);
    let reply = clerk.post("/kiosks/reopen", &[("csrf", &csrf), ("kiosk", "kiosk-1")]);
    assert_eq!(reply.status, 303, "{}", reply.body);

    // The kiosk notices by itself (its watch sends the store's word into its inbox); nothing
    // is pressed on it. A generous cap, no timing asserted.
    let cap = Instant::now() + Duration::from_secs(20);
    while k.screen() != ScreenKind::Welcome && Instant::now() < cap {
        k.rt.borrow_mut()
            .wait_for_message(Duration::from_millis(500));
    }
    assert_eq!(
        k.screen(),
        ScreenKind::Welcome,
        "the kiosk still shows {:?}: {:?}",
        k.screen(),
        k.labels()
    );
    assert!(
        ui::labelled(&k.app, |l| l.contains("休止中")).is_empty(),
        "{:?}",
        k.labels()
    );

    // Patients check in again.
    k.tap("card");
    assert_eq!(k.screen(), ScreenKind::PinEntry, "{:?}", k.labels());
    let audit = pause_audit(&k.store);
    assert_eq!(audit.len(), 2, "{audit:?}");
    assert!(
        audit[0].starts_with("suzuki kiosk_paused kiosk=kiosk-1 reopens_at="),
        "{audit:?}"
    );
    assert_eq!(audit[1], "sato kiosk_reopened kiosk=kiosk-1 from=console");
}
