//! A stranger on the LAN who types wrong passwords for `tech` is slowed down by address (after
//! three failures: 1 s, 2 s, 4 s … before the next try is even looked at), and one address
//! never locks the account: the technician signs in from the reception PC meanwhile. Wrong
//! passwords from as many computers as the lockout count do lock it (and end its sessions);
//! the machine's owner lifts the lock with `uketsuke staff unlock` on the command line.

use std::process::Command;
use std::time::Duration;

use crate::console::{Desk, PASSWORD, Stranger};

#[test]
fn one_address_is_throttled_and_never_locks_the_account() {
    let desk = Desk::start();
    let mut tech = desk.signed_in("tech");
    let stranger = Stranger::at(&desk, "127.0.0.31");
    for attempt in 1..=3 {
        let reply = stranger.sign_in("tech", &format!("guess number {attempt}"));
        assert_eq!(reply.status, 401, "attempt {attempt}: {}", reply.text());
    }
    let throttled = stranger.sign_in("tech", "guess number 4");
    assert_eq!(throttled.status, 429, "{}", throttled.text());
    assert_eq!(throttled.header("retry-after"), Some("1"));
    assert!(
        throttled.text().contains("1 秒待って"),
        "{}",
        throttled.text()
    );
    std::thread::sleep(Duration::from_millis(1100));
    assert_eq!(stranger.sign_in("tech", "guess number 5").status, 401);
    let throttled = stranger.sign_in("tech", "guess number 6");
    assert_eq!(throttled.status, 429);
    assert_eq!(
        throttled.header("retry-after"),
        Some("2"),
        "the wait doubles"
    );

    // Four wrong passwords answered, three more than the lockout count, and yet:
    let account = desk.store.staff_by_login("tech").unwrap().unwrap();
    assert_eq!(account.locked_until, None, "one address locks nothing");
    assert_eq!(account.failed_logins, 1, "one address counts once");
    // The technician's session still stands, and a new sign-in from their own PC works.
    assert_eq!(tech.get("/accounts").status, 200);
    let again = desk.signed_in("tech");
    drop(again);
    // The throttled tries left nothing in the audit log; the answered ones say where from.
    let failures: Vec<_> = desk
        .store
        .audit_log(50)
        .unwrap()
        .into_iter()
        .filter(|e| e.action == "sign_in_failed")
        .collect();
    assert_eq!(failures.len(), 4);
    assert!(failures.iter().all(|e| e.detail.contains("127.0.0.31")));
}

#[test]
fn a_lock_from_many_addresses_is_lifted_on_the_command_line() {
    let desk = Desk::start();
    let mut tech = desk.signed_in("tech");
    for from in ["127.0.0.41", "127.0.0.42", "127.0.0.43"] {
        let reply = Stranger::at(&desk, from).sign_in("tech", "a wrong password");
        assert_eq!(reply.status, 401);
    }
    let account = desk.store.staff_by_login("tech").unwrap().unwrap();
    assert!(account.locked_until.is_some(), "three addresses lock it");
    assert_eq!(
        tech.get("/accounts").status,
        303,
        "the lock ended the session"
    );
    let refused = desk.client().sign_in("tech", PASSWORD);
    assert_eq!(refused.status, 401, "locked: even the right password");

    let unlock = |login: &str| {
        Command::new(env!("CARGO_BIN_EXE_uketsuke"))
            .args(["staff", "unlock", "--login", login])
            .arg("--db")
            .arg(desk.store.path())
            .output()
            .unwrap()
    };
    let unknown = unlock("nobody");
    assert!(!unknown.status.success());
    let said = String::from_utf8_lossy(&unknown.stderr);
    assert!(said.contains("--login nobody"), "{said}");

    let unlocked = unlock("tech");
    assert!(
        unlocked.status.success(),
        "{}",
        String::from_utf8_lossy(&unlocked.stderr)
    );
    assert!(String::from_utf8_lossy(&unlocked.stdout).contains("unlocked tech"));
    assert_eq!(desk.client().sign_in("tech", PASSWORD).status, 303);
    assert!(
        desk.store
            .audit_log(10)
            .unwrap()
            .iter()
            .any(|e| e.action == "account_unlocked"
                && e.actor == "cli"
                && e.detail == "login=tech"),
        "the unlock is audited"
    );
}
