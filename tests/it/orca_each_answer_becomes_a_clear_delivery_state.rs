//! Each of ORCA's answers becomes a state staff and technicians can act on (issue 17 item 2):
//! `90` (open on another terminal) is retried until it goes through; `10` (unknown patient)
//! stops (code 10, not retried); a kana and birth-date match finds the one patient, and
//! hands several to staff; a wrong password (401) names the ORCA user for the technician and
//! keeps retrying. Real processes, the fake ORCA over real HTTP.

use uketsuke::delivery::State;

use crate::orca::{FakeOrca, PASSWORD, check_in, deliver_once, eventually, facility, progress};

#[test]
fn busy_90_is_retried_until_registered() {
    let dir = tempfile::tempdir().unwrap();
    let orca = FakeOrca::start(dir.path(), &["--busy", "1"]);
    let facility = facility(dir.path(), &orca.url(), PASSWORD, serde_json::json!({}));
    let db = dir.path().join("kiosk.db");
    let id = check_in(&db, &facility, "sim");

    deliver_once(&db, &facility);
    let p = progress(&db, id);
    assert_eq!(
        (p.state, p.code.as_deref(), p.retrying),
        (State::Failed, Some("90"), true)
    );
    // The retry waits its backoff (1 s here); poll the worker until it has gone through.
    eventually("the retry registers it", || {
        deliver_once(&db, &facility);
        progress(&db, id).state == State::Registered
    });
    assert_eq!(orca.receptions_of("P-000123"), 1);
    assert_eq!(
        orca.register_calls("P-000123"),
        2,
        "the refused try and the good one"
    );
}

#[test]
fn unknown_patient_10_stops_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let orca = FakeOrca::start(dir.path(), &[]);
    let facility = facility(dir.path(), &orca.url(), PASSWORD, serde_json::json!({}));
    let db = dir.path().join("kiosk.db");
    // The child persona's 照会番号 P-000457 is not an ORCA patient.
    let id = check_in(&db, &facility, "sim:child");

    deliver_once(&db, &facility);
    let p = progress(&db, id);
    assert_eq!(
        (p.state, p.code.as_deref(), p.retrying),
        (State::Failed, Some("10"), false)
    );
    deliver_once(&db, &facility);
    assert_eq!(orca.register_calls("P-000457"), 1, "not retried by itself");
}

#[test]
fn kana_and_birth_date_find_the_one_patient_and_hand_several_to_staff() {
    let dir = tempfile::tempdir().unwrap();
    let orca = FakeOrca::start(dir.path(), &[]);
    let kana = serde_json::json!({"patient_match": "kana_birth_date"});
    let facility = facility(dir.path(), &orca.url(), PASSWORD, kana.clone());
    let db = dir.path().join("kiosk.db");
    // ｼｹﾝ ｲﾁﾛｳ (half-width, as the terminal gives it) born 1981-06-15 is ORCA's シケン　イチロウ.
    let id = check_in(&db, &facility, "sim");
    deliver_once(&db, &facility);
    let p = progress(&db, id);
    assert_eq!(p.state, State::Registered, "{p:?}");
    assert_eq!(p.patient_id.as_deref(), Some("P-000123"));
    // The kana and birth date rode in the outbox for the match only: erased once registered.
    let payload: String = rusqlite::Connection::open(&db)
        .unwrap()
        .query_row(
            "SELECT payload FROM outbox WHERE check_in_id = ?1",
            [id],
            |r| r.get(0),
        )
        .unwrap();
    assert!(payload.contains(r#""patient":null"#), "{payload}");
    assert!(
        !payload.contains("ｼｹﾝ") && !payload.contains("1981-06-15"),
        "{payload}"
    );

    let twins_dir = tempfile::tempdir().unwrap();
    let twins = FakeOrca::start(twins_dir.path(), &["--twin"]);
    let facility = crate::orca::facility(twins_dir.path(), &twins.url(), PASSWORD, kana);
    let db = twins_dir.path().join("kiosk.db");
    let id = check_in(&db, &facility, "sim");
    deliver_once(&db, &facility);
    let p = progress(&db, id);
    assert_eq!(
        (p.state, p.code.as_deref(), p.retrying),
        (State::Failed, Some("several_patients"), false)
    );
    assert_eq!(
        twins.state()["register_calls"],
        serde_json::json!({}),
        "nothing sent"
    );
}

#[test]
fn a_wrong_password_names_the_orca_user_and_keeps_retrying() {
    let dir = tempfile::tempdir().unwrap();
    let orca = FakeOrca::start(dir.path(), &[]);
    let facility = facility(
        dir.path(),
        &orca.url(),
        "not-the-password",
        serde_json::json!({}),
    );
    let db = dir.path().join("kiosk.db");
    let id = check_in(&db, &facility, "sim");

    let (code, _, stderr) = deliver_once(&db, &facility);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stderr.contains("HTTP 401")
            && stderr.contains(crate::orca::USER)
            && stderr.contains(&orca.url())
            && stderr.contains("orca.password_file"),
        "the technician is told which user, where, and what to check: {stderr}"
    );
    assert!(!stderr.contains("not-the-password"), "{stderr}");
    let p = progress(&db, id);
    assert_eq!(
        (p.state, p.code.as_deref(), p.retrying),
        (State::Failed, Some("401"), true)
    );
    assert_eq!(orca.receptions_of("P-000123"), 0);
}
