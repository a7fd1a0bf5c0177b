//! The audit trail can only grow: the kiosk's commits and staff resolutions each add an entry,
//! and the database itself refuses to change or remove one, whoever asks.

use std::path::Path;

use uketsuke::domain::{
    BurdenRatio, CheckInRecord, ClosedAs, ConsentAnswers, EligibilitySummary, HandoffReason,
    HandoffResolution, IdentityMethod, Outcome, Presented, Step, Validity, VerificationMethod,
};
use uketsuke::store::{AuditEntry, NewAuditEntry, Store};
use uketsuke::{date, datetime};

fn record(minute: u8, outcome: Outcome) -> CheckInRecord {
    let started_at = datetime!(2026-04-01 09:00 +09:00) + chrono::TimeDelta::minutes(minute.into());
    CheckInRecord {
        started_at,
        finished_at: started_at + chrono::TimeDelta::seconds(40),
        visit_date: date!(2026 - 04 - 01),
        presented: Some(Presented::MyNumberCard),
        identity: Some(IdentityMethod::PinOnCard),
        verification: None,
        counts_toward_usage_rate: false,
        expected_route: None,
        consent: ConsentAnswers::default(),
        eligibility: Some(EligibilitySummary {
            validity: Validity::Valid,
            insurer_number: Some("01130012".to_owned()),
            symbol: Some("ｱｲｳ".to_owned()),
            number: Some("987654".to_owned()),
            branch: Some("02".to_owned()),
            burden_ratio: Some(BurdenRatio(30)),
            burden_ratio_source: None,
            valid_from: None,
            valid_until: None,
            name_contains_black_circle: false,
            reference_number: Some("REF-4242".to_owned()),
        }),
        outcome,
        checklist: Vec::new(),
        wrong_pin_entries: 0,
        kiosk: "kiosk-1".to_owned(),
        patient_name: None,
        department: None,
    }
}

fn raw(path: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open(path).unwrap()
}

fn all_entries(store: &Store) -> Vec<AuditEntry> {
    store.audit_log(1000).unwrap()
}

#[test]
fn commits_and_resolutions_are_audited() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("kiosk.db")).unwrap();

    let handed = record(
        0,
        Outcome::HandedToStaff {
            reason: HandoffReason::StaffVisualCheck,
        },
    );
    let handed_id = store.commit_check_in(&handed).unwrap().check_in_id;
    let cancelled = record(
        5,
        Outcome::Cancelled {
            at: Step::ConsentChoice,
        },
    );
    let cancelled_id = store.commit_check_in(&cancelled).unwrap().check_in_id;
    let resolution = HandoffResolution {
        closed_as: ClosedAs::Verified {
            verification: VerificationMethod::CardViaReader,
            identity: Some(IdentityMethod::StaffVisualCheck),
            read_off: None,
        },
        note: "photo matches".to_owned(),
        staff: "tanaka".to_owned(),
        resolved_at: datetime!(2026-04-01 09:12 +09:00),
    };
    store.resolve_handoff(handed_id, &resolution, true).unwrap();
    let console_id = store
        .append_audit(&NewAuditEntry {
            at: datetime!(2026-04-01 09:30 +09:00),
            actor: "tanaka".to_owned(),
            action: "console_sign_in".to_owned(),
            check_in_id: None,
            detail: "from 192.0.2.10".to_owned(),
        })
        .unwrap();

    let entries = all_entries(&store);
    let summary: Vec<(&str, &str, Option<i64>)> = entries
        .iter()
        .map(|e| (e.actor.as_str(), e.action.as_str(), e.check_in_id))
        .collect();
    assert_eq!(
        summary,
        [
            ("tanaka", "console_sign_in", None),
            ("tanaka", "handoff_resolved", Some(handed_id)),
            ("kiosk", "check_in_committed", Some(cancelled_id)),
            ("kiosk", "check_in_committed", Some(handed_id)),
        ],
        "newest first"
    );
    assert_eq!(entries[0].id, console_id);
    assert!(entries.windows(2).all(|w| w[0].id > w[1].id));
    assert_eq!(entries[1].at, resolution.resolved_at);
    assert_eq!(entries[3].at, handed.finished_at);
    assert!(
        entries[1].detail.contains("card_via_reader"),
        "{}",
        entries[1].detail
    );
    assert!(
        entries[3].detail.contains("handed_to_staff"),
        "{}",
        entries[3].detail
    );
    assert_eq!(store.audit_log(2).unwrap(), entries[..2]);

    // Details are for technicians: no insurance numbers, no staff notes.
    for e in &entries {
        for personal in ["01130012", "987654", "ｱｲｳ", "REF-4242", "photo matches"] {
            assert!(!e.detail.contains(personal), "{e:?}");
        }
    }
}

#[test]
fn the_database_refuses_to_change_or_remove_entries() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kiosk.db");
    let store = Store::open(&path).unwrap();
    store
        .commit_check_in(&record(0, Outcome::Completed))
        .unwrap();
    store
        .commit_check_in(&record(1, Outcome::Completed))
        .unwrap();
    let before = all_entries(&store);
    assert_eq!(before.len(), 2);

    // A second connection, as a technician's shell or a bug elsewhere would have, while the
    // store is open.
    let conn = raw(&path);
    let attempts = [
        "UPDATE audit_log SET detail = 'nothing happened'",
        "UPDATE audit_log SET actor = 'someone else' WHERE id = 1",
        "DELETE FROM audit_log WHERE id = 1",
        "DELETE FROM audit_log",
        "INSERT OR REPLACE INTO audit_log (id, at, actor, action, detail) \
         VALUES (1, '2026-01-01T00:00:00Z', 'x', 'y', 'z')",
    ];
    for sql in attempts {
        let err = conn.execute(sql, []).expect_err(sql);
        assert!(err.to_string().contains("append-only"), "{sql}: {err}");
    }
    drop(conn);
    assert_eq!(all_entries(&store), before);

    // Still refused after the store is closed and with only the raw connection open.
    store.close();
    let conn = raw(&path);
    assert!(conn.execute("DELETE FROM audit_log", []).is_err());
    let count: i64 = conn
        .query_row("SELECT COUNT(*) FROM audit_log", [], |r| r.get(0))
        .unwrap();
    assert_eq!(count, 2);
    // Appending stays possible.
    conn.execute(
        "INSERT INTO audit_log (at, actor, action, detail) \
         VALUES ('2026-04-01T10:00:00+09:00', 'technician', 'doctor_run', 'ok')",
        [],
    )
    .unwrap();
    drop(conn);

    let store = Store::open(&path).unwrap();
    let entries = all_entries(&store);
    assert_eq!(entries.len(), 3);
    assert_eq!(entries[0].action, "doctor_run");
    assert_eq!(entries[1..], before[..]);
}

#[test]
fn an_audit_entry_must_name_a_real_check_in() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("kiosk.db")).unwrap();
    let err = store
        .append_audit(&NewAuditEntry {
            at: datetime!(2026-04-01 09:30 +09:00),
            actor: "tanaka".to_owned(),
            action: "note_added".to_owned(),
            check_in_id: Some(12345),
            detail: String::new(),
        })
        .unwrap_err();
    assert!(err.to_string().contains("FOREIGN KEY"), "{err}");
    assert!(all_entries(&store).is_empty());
}
