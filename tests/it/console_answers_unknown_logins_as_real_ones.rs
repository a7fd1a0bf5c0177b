//! Whether a login exists cannot be learned from the sign-in form: a wrong password, an unknown
//! login and a locked account get the same bytes back. And what a stranger types as a login
//! that is no account (perhaps a password in the wrong box) never reaches the audit log.

use crate::console::{Desk, PASSWORD, Stranger};

#[test]
fn unknown_wrong_and_locked_get_byte_identical_answers() {
    let desk = Desk::start();
    let stranger = Stranger::at(&desk, "127.0.0.51");
    let wrong = stranger.sign_in("sato", "not the password");
    let unknown = stranger.sign_in("nobody", "not the password");
    assert_eq!(wrong.status, 401);
    assert_eq!(wrong, unknown, "headers and body, byte for byte");

    // Locked (three computers), then the right password from a fourth.
    for from in ["127.0.0.52", "127.0.0.53", "127.0.0.54"] {
        Stranger::at(&desk, from).sign_in("sato", "a wrong password");
    }
    assert!(
        desk.store
            .staff_by_login("sato")
            .unwrap()
            .unwrap()
            .locked_until
            .is_some()
    );
    let other = Stranger::at(&desk, "127.0.0.55");
    let locked = other.sign_in("sato", PASSWORD);
    let unknown = other.sign_in("nobody", PASSWORD);
    assert_eq!(
        locked, unknown,
        "a lock does not tell that the login exists"
    );
    // The same page as a wrong password's, but for the form token each browser has.
    assert_eq!(
        locked.text().replace(&other.csrf, "TOKEN"),
        wrong.text().replace(&stranger.csrf, "TOKEN")
    );
}

#[test]
fn a_typed_login_that_is_no_account_is_not_kept() {
    let desk = Desk::start();
    let typed = [
        "my secret password 2026",
        "<script>alert(1)</script>",
        &"x".repeat(500),
    ];
    for (i, login) in typed.iter().enumerate() {
        let stranger = Stranger::at(&desk, &format!("127.0.0.{}", 60 + i));
        assert_eq!(stranger.sign_in(login, "whatever it is").status, 401);
    }
    let log = desk.store.audit_log(100).unwrap();
    let refused: Vec<_> = log
        .iter()
        .filter(|e| e.action == "sign_in_refused")
        .collect();
    assert_eq!(refused.len(), 3, "{log:?}");
    for entry in &log {
        for login in typed {
            let start = &login[..12];
            assert!(
                !entry.actor.contains(start) && !entry.detail.contains(start),
                "{entry:?} keeps what was typed"
            );
        }
    }
    for entry in refused {
        assert_eq!(entry.actor, "(unknown login)");
        assert!(entry.detail.len() < 80, "bounded: {}", entry.detail);
    }
    assert!(log.iter().any(|e| e.detail.contains("of 23 characters")));
}
