//! A completed check-in becomes exactly one reception in ORCA (issue 17 Must show): delivered
//! by `uketsuke deliver` to the fake ORCA over real HTTP, whatever is killed in between. ORCA
//! killed after registering and before answering, then restarted; the worker killed while
//! waiting for that answer, then restarted: either way ORCA holds one reception and was asked
//! to register it once (the worker reads ORCA's reception list before sending again).

use uketsuke::delivery::State;

use crate::orca::{
    FakeOrca, PASSWORD, check_in, deliver, deliver_once, eventually, facility, progress,
};

/// The simulated gateway's patient (its 照会番号 is the clinic's Patient_ID).
const PATIENT: &str = "P-000123";

#[test]
fn a_check_in_is_registered_once_and_a_second_pass_sends_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let orca = FakeOrca::start(dir.path(), &[]);
    let facility = facility(dir.path(), &orca.url(), PASSWORD, serde_json::json!({}));
    let db = dir.path().join("kiosk.db");
    let id = check_in(&db, &facility, "sim");

    let (code, stdout, stderr) = deliver_once(&db, &facility);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(stdout.trim(), "1", "one entry changed");
    let p = progress(&db, id);
    assert_eq!(p.state, State::Registered);
    assert_eq!(p.acceptance_id.as_deref(), Some("00001"));
    assert_eq!(p.patient_id.as_deref(), Some(PATIENT));
    assert_eq!(p.attempts, 1);
    assert!(!p.uncertain);

    let (_, stdout, _) = deliver_once(&db, &facility);
    assert_eq!(stdout.trim(), "0", "nothing left to deliver");
    assert_eq!(orca.receptions_of(PATIENT), 1);
    assert_eq!(orca.register_calls(PATIENT), 1);
    let state = orca.state();
    let reception = &state["receptions"][0];
    assert_eq!(reception["department"], "01");
    assert_eq!(reception["physician"], "10001");
}

#[test]
fn orca_killed_after_registering_and_restarted_holds_one_reception() {
    let dir = tempfile::tempdir().unwrap();
    let mut orca = FakeOrca::start(dir.path(), &["--hang-after-register"]);
    let addr = orca.addr.clone();
    let facility = facility(dir.path(), &orca.url(), PASSWORD, serde_json::json!({}));
    let db = dir.path().join("kiosk.db");
    let id = check_in(&db, &facility, "sim");

    let _worker = deliver(&db, &facility);
    // ORCA registered it and keeps the worker waiting for an answer that never comes.
    eventually("ORCA registers the visit", || {
        orca.receptions_of(PATIENT) == 1
    });
    orca.kill();
    eventually("the worker knows the outcome is unknown", || {
        let p = progress(&db, id);
        p.state == State::Pending && p.uncertain && p.last_error.is_some()
    });
    let orca = FakeOrca::start_at(dir.path(), &addr, &[]);
    eventually("the worker finds the reception in ORCA's list", || {
        progress(&db, id).state == State::Registered
    });
    assert_eq!(orca.receptions_of(PATIENT), 1, "registered once");
    assert_eq!(
        orca.register_calls(PATIENT),
        1,
        "never sent again: the list answered first"
    );
    assert_eq!(progress(&db, id).acceptance_id.as_deref(), Some("00001"));
}

#[test]
fn the_worker_killed_mid_delivery_and_restarted_sends_nothing_twice() {
    let dir = tempfile::tempdir().unwrap();
    let mut orca = FakeOrca::start(dir.path(), &["--hang-after-register"]);
    let addr = orca.addr.clone();
    let facility = facility(dir.path(), &orca.url(), PASSWORD, serde_json::json!({}));
    let db = dir.path().join("kiosk.db");
    let id = check_in(&db, &facility, "sim");

    let worker = deliver(&db, &facility);
    eventually("ORCA registers the visit", || {
        orca.receptions_of(PATIENT) == 1
    });
    // The worker is killed while it waits for ORCA's answer: it stored that it was sending.
    drop(worker);
    let p = progress(&db, id);
    assert!(p.uncertain && p.state == State::Pending, "{p:?}");
    orca.kill();
    let orca = FakeOrca::start_at(dir.path(), &addr, &[]);

    let (code, _, stderr) = deliver_once(&db, &facility);
    assert_eq!(code, Some(0), "{stderr}");
    let p = progress(&db, id);
    assert_eq!(p.state, State::Registered, "{p:?}");
    assert_eq!(p.acceptance_id.as_deref(), Some("00001"));
    assert_eq!(orca.receptions_of(PATIENT), 1);
    assert_eq!(
        orca.register_calls(PATIENT),
        1,
        "the restarted worker only looked"
    );
}
