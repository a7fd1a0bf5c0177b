//! A live queue (`/events`) pushes patient names, so it lives only as long as its sign-in:
//! it ends within about a second of the sign-out, and of the account's lock (which also ends
//! the account's sessions), and sends nothing after.

use std::time::{Duration, Instant};

use crate::console::{Desk, LiveQueue, Stranger};
use uketsuke::domain::HandoffReason;

/// Generous: the console re-checks on every change and every second.
const CAP: Duration = Duration::from_secs(10);

#[test]
fn the_live_queue_ends_within_a_second_of_signing_out() {
    let desk = Desk::start();
    let mut sato = desk.signed_in("sato");
    let live = LiveQueue::open(&sato);
    assert!(live.next(CAP).is_some(), "the first push");
    desk.hand_over_named(
        HandoffReason::EligibilityInvalid,
        "山田 花子",
        "ヤマダ ハナコ",
    );
    live.wait_for("山田 花子", CAP);

    let csrf = sato.csrf();
    let signed_out_at = Instant::now();
    let reply = sato.post("/logout", &[("csrf", &csrf)]);
    assert_eq!(reply.status, 303);
    let ended = live.ended_within(CAP).duration_since(signed_out_at);
    eprintln!("the live queue ended {ended:?} after the sign-out");
    assert!(ended < CAP);

    // Nothing more reaches that browser.
    desk.hand_over_named(
        HandoffReason::EligibilityInvalid,
        "鈴木 一郎",
        "スズキ イチロウ",
    );
    assert!(
        live.events
            .recv_timeout(Duration::from_millis(500))
            .is_err()
    );
}

#[test]
fn the_live_queue_ends_within_a_second_of_the_accounts_lock() {
    let desk = Desk::start();
    let sato = desk.signed_in("sato");
    let live = LiveQueue::open(&sato);
    assert!(live.next(CAP).is_some(), "the first push");

    // Wrong passwords from three computers (the test desk locks after 3).
    let strangers: Vec<Stranger> = ["127.0.0.21", "127.0.0.22", "127.0.0.23"]
        .iter()
        .map(|from| Stranger::at(&desk, from))
        .collect();
    assert_eq!(strangers[0].sign_in("sato", "guess number 1").status, 401);
    assert_eq!(strangers[1].sign_in("sato", "guess number 2").status, 401);
    let locked_at = Instant::now();
    assert_eq!(strangers[2].sign_in("sato", "guess number 3").status, 401);
    let ended = live.ended_within(CAP).duration_since(locked_at);
    eprintln!("the live queue ended {ended:?} after the account's lock");
    assert!(ended < CAP);
    let account = desk.store.staff_by_login("sato").unwrap().unwrap();
    assert!(account.locked_until.is_some(), "locked");
    let mut again = sato;
    assert_eq!(
        again.get("/").status,
        303,
        "the session ended with the lock"
    );
    assert!(
        desk.store
            .audit_log(10)
            .unwrap()
            .iter()
            .any(|e| e.action == "account_locked" && e.detail.contains("sessions_ended=1")),
        "the lock says it ended the session"
    );
}
