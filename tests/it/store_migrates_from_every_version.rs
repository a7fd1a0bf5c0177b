//! A kiosk updated in the field opens whatever file the previous build left: an empty file, or a
//! database at any earlier schema version, with rows in it. Nothing already committed may be
//! lost, and the first check-in after the update must commit. A file from a newer build is
//! refused, untouched, with a message a technician can act on.
//!
//! The rows below are written with the SQL each old version understood, not through today's
//! `Store`, because that is how they were written in the field.

use std::path::Path;

use rusqlite::Connection;
use uketsuke::domain::{
    BurdenRatio, CheckInRecord, ChecklistItem, ClosedAs, ConsentAnswers, ConsentMode,
    EligibilitySummary, HandoffReason, HandoffResolution, Outcome, PrescriptionForm, Presented,
    ReceptionNumber, Step, StoredCheckIn, Validity, VerificationMethod,
};
use uketsuke::outbox::Kind;
use uketsuke::store::{SCHEMA_VERSION, Store, StoreError, migrate_to};
use uketsuke::{date, datetime};

/// The old rows every seeded version starts with, as (id, record) pairs.
fn v1_rows() -> Vec<(i64, CheckInRecord)> {
    let completed = CheckInRecord {
        eligibility: Some(EligibilitySummary {
            validity: Validity::Valid,
            insurer_number: Some("06130012".to_owned()),
            symbol: Some("12".to_owned()),
            number: Some("345".to_owned()),
            branch: Some("00".to_owned()),
            burden_ratio: Some(BurdenRatio(30)),
            burden_ratio_source: Some(uketsuke::domain::RatioSource::DerivedFromAge),
            valid_from: Some(date!(2025 - 04 - 01)),
            valid_until: None,
            name_contains_black_circle: true,
            reference_number: None,
        }),
        wrong_pin_entries: 1,
        kiosk: String::new(),
        ..uketsuke::fixtures::completed_card(
            datetime!(2026-03-02 09:00:00 +09:00),
            datetime!(2026-03-02 09:01:10.5 +09:00),
        )
    };
    let handed = CheckInRecord {
        started_at: datetime!(2026-03-02 09:05:00 +09:00),
        finished_at: datetime!(2026-03-02 09:06:00 +09:00),
        presented: Some(Presented::UnreadableDevice),
        identity: None,
        verification: None,
        counts_toward_usage_rate: false,
        expected_route: None,
        eligibility: None,
        outcome: Outcome::HandedToStaff {
            reason: HandoffReason::ConfirmPortalScreen,
        },
        checklist: vec![
            ChecklistItem::CheckPortalEligibilityScreen,
            ChecklistItem::RecordInsuranceNumbers,
        ],
        wrong_pin_entries: 0,
        kiosk: String::new(),
        patient_name: None,
        ..completed.clone()
    };
    let timed_out = CheckInRecord {
        started_at: datetime!(2026-03-02 09:10:00 +09:00),
        finished_at: datetime!(2026-03-02 09:12:00 +09:00),
        presented: None,
        identity: None,
        verification: None,
        counts_toward_usage_rate: false,
        expected_route: None,
        eligibility: None,
        outcome: Outcome::TimedOut { at: Step::PinEntry },
        wrong_pin_entries: 0,
        kiosk: String::new(),
        patient_name: None,
        ..completed.clone()
    };
    vec![(1, completed), (2, handed), (3, timed_out)]
}

/// Writes the v1 rows with v1's SQL.
fn seed_v1(conn: &Connection) {
    conn.execute_batch(
        "INSERT INTO check_ins (id, started_at, finished_at, visit_date, presented, identity,
             verification, counts_toward_usage_rate, outcome_kind, handoff_reason, outcome_step,
             eligibility_validity, insurer_number, insured_symbol, insured_number, insured_branch,
             burden_ratio, burden_ratio_source, eligibility_valid_from, eligibility_valid_until,
             name_contains_black_circle, reference_number, wrong_pin_entries, checklist)
         VALUES
         (1, '2026-03-02T09:00:00+09:00', '2026-03-02T09:01:10.5+09:00', '2026-03-02',
          'my_number_card', 'pin_on_card', 'card_via_reader', 1, 'completed', NULL, NULL,
          'valid', '06130012', '12', '345', '00', 30, 'derived_from_age', '2025-04-01', NULL,
          1, NULL, 1, '[]'),
         (2, '2026-03-02T09:05:00+09:00', '2026-03-02T09:06:00+09:00', '2026-03-02',
          'unreadable_device', NULL, NULL, 0, 'handed_to_staff', 'confirm_portal_screen', NULL,
          NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0,
          '[\"check_portal_eligibility_screen\",\"record_insurance_numbers\"]'),
         (3, '2026-03-02T09:10:00+09:00', '2026-03-02T09:12:00+09:00', '2026-03-02',
          NULL, NULL, NULL, 0, 'timed_out', NULL, 'pin_entry',
          NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0, '[]');
         INSERT INTO audit_log (at, actor, action, check_in_id, detail) VALUES
         ('2026-03-02T09:01:10.5+09:00', 'kiosk', 'check_in_committed', 1, 'outcome=completed'),
         ('2026-03-02T09:06:00+09:00', 'kiosk', 'check_in_committed', 2, 'outcome=handed_to_staff'),
         ('2026-03-02T09:12:00+09:00', 'kiosk', 'check_in_committed', 3, 'outcome=timed_out');",
    )
    .unwrap();
}

/// What v2 added to a v1 database: a check-in with consent answers and a resolved handoff.
fn v2_rows() -> Vec<(i64, CheckInRecord, Option<HandoffResolution>)> {
    let record = CheckInRecord {
        started_at: datetime!(2026-03-03 10:00:00 +09:00),
        finished_at: datetime!(2026-03-03 10:02:00 +09:00),
        visit_date: date!(2026 - 03 - 03),
        presented: Some(Presented::EligibilityCertificate),
        identity: None,
        verification: Some(VerificationMethod::EligibilityCertificate),
        counts_toward_usage_rate: false,
        expected_route: None,
        consent: ConsentAnswers {
            mode: Some(ConsentMode::ItemByItem),
            medical_and_drug_info: Some(true),
            surgery_info: Some(false),
            health_check_info: None,
            high_cost_limit_info: Some(true),
            prescription_form: Some(PrescriptionForm::Paper),
            medical_aid_certificate: None,
        },
        eligibility: None,
        outcome: Outcome::HandedToStaff {
            reason: HandoffReason::PaperDocument,
        },
        checklist: vec![ChecklistItem::CheckCertificateValidity],
        wrong_pin_entries: 0,
        kiosk: String::new(),
        patient_name: None,
        department: None,
    };
    let resolution = HandoffResolution {
        closed_as: ClosedAs::Verified {
            verification: VerificationMethod::EligibilityCertificate,
            identity: None,
            read_off: None,
        },
        note: "資格確認書 valid until 2026-07-31".to_owned(),
        staff: "ito".to_owned(),
        resolved_at: datetime!(2026-03-03 10:05:00 +09:00),
    };
    vec![(4, record, Some(resolution))]
}

/// Writes the v2 rows with v2's SQL.
fn seed_v2(conn: &Connection) {
    conn.execute_batch(
        "INSERT INTO check_ins (id, started_at, finished_at, visit_date, presented, identity,
             verification, counts_toward_usage_rate, outcome_kind, handoff_reason, outcome_step,
             wrong_pin_entries, checklist)
         VALUES (4, '2026-03-03T10:00:00+09:00', '2026-03-03T10:02:00+09:00', '2026-03-03',
             'eligibility_certificate', NULL, 'eligibility_certificate', 0, 'handed_to_staff',
             'paper_document', NULL, 0, '[\"check_certificate_validity\"]');
         INSERT INTO consent_answers (check_in_id, mode, medical_and_drug_info, surgery_info,
             health_check_info, high_cost_limit_info, prescription_form)
         VALUES (4, 'item_by_item', 1, 0, NULL, 1, 'paper');
         INSERT INTO handoffs (check_in_id, reason, verification, identity, note, staff,
             resolved_at)
         VALUES (4, 'paper_document', 'eligibility_certificate', NULL,
             '資格確認書 valid until 2026-07-31', 'ito', '2026-03-03T10:05:00+09:00');
         INSERT INTO audit_log (at, actor, action, check_in_id, detail) VALUES
         ('2026-03-03T10:02:00+09:00', 'kiosk', 'check_in_committed', 4, 'outcome=handed_to_staff'),
         ('2026-03-03T10:05:00+09:00', 'ito', 'handoff_resolved', 4, 'verification=eligibility_certificate');",
    )
    .unwrap();
}

/// Writes a row at v3 with v3's SQL.
fn seed_v3(conn: &Connection) {
    conn.execute_batch(
        "INSERT INTO check_ins (id, started_at, finished_at, visit_date, presented, identity,
             verification, counts_toward_usage_rate, outcome_kind, wrong_pin_entries, checklist,
             reception_number)
         VALUES (5, '2026-03-04T08:30:00+09:00', '2026-03-04T08:31:00+09:00', '2026-03-04',
             'android_phone', 'pin_on_phone', 'smartphone_via_reader', 1, 'completed', 0, '[]',
             1);
         INSERT INTO outbox (check_in_id, kind, payload, created_at)
         VALUES (5, 'check_in_committed', '{}', '2026-03-04T08:31:00+09:00');",
    )
    .unwrap();
}

/// Writes a staff account at v4 with v4's SQL (v5 adds its kiosk-PIN columns).
fn seed_v4(conn: &Connection) {
    conn.execute_batch(
        "INSERT INTO staff_accounts (login, display_name, role, password_hash, created_at)
         VALUES ('tanaka', '田中', 'staff', '$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA',
             '2026-03-05T09:00:00+09:00');",
    )
    .unwrap();
}

/// Closes a kiosk at v6 with v6's SQL (v7 adds when staff expect to reopen it).
fn seed_v6(conn: &Connection) {
    conn.execute_batch(
        "INSERT INTO kiosk_pauses (kiosk, paused_at, paused_by)
         VALUES ('kiosk-2', '2026-03-06T12:00:00+09:00', 'tanaka');",
    )
    .unwrap();
}

/// The token hash of the session seeded at v8.
const V8_SESSION: &str = "5e55105e55105e55105e55105e55105e55105e55105e55105e55105e55105e55";

/// Writes, at v8 with v8's SQL, an account with everything an account row can hold by then (a
/// kiosk PIN with failures, a last sign-in) and a live session referring to it: v10 rebuilds
/// both tables.
fn seed_v8(conn: &Connection) {
    conn.execute_batch(&format!(
        "INSERT INTO staff_accounts (login, display_name, role, password_hash, created_at,
             kiosk_pin_hash, kiosk_pin_failures, last_sign_in_at)
         VALUES ('suzuki', '鈴木', 'technician', '$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA',
             '2026-03-07T09:00:00+09:00', '$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$cGlu', 2,
             '2026-03-07T09:30:00Z');
         INSERT INTO staff_sessions (token_sha256, account_id, csrf_token, created_at, expires_at)
         SELECT '{V8_SESSION}', id, '{csrf}', '2026-03-07T09:30:00Z', '2999-01-01T00:00:00Z'
         FROM staff_accounts WHERE login = 'suzuki';",
        csrf = "c".repeat(32)
    ))
    .unwrap();
}

/// Writes, with v10's SQL, an open handoff as a v10 kiosk left it: several records matched after
/// the card was read, and the kiosk wrote the card as the method and counted it before staff
/// had chosen the record (issue 16 item 4; v11 moves the label to `expected_route`).
fn seed_v10(conn: &Connection) {
    conn.execute_batch(
        "INSERT INTO check_ins (id, started_at, finished_at, visit_date, presented, identity,
             verification, counts_toward_usage_rate, outcome_kind, handoff_reason,
             wrong_pin_entries, checklist, reception_number, kiosk)
         VALUES (6, '2026-03-09T09:00:00+09:00', '2026-03-09T09:01:00+09:00', '2026-03-09',
             'my_number_card', 'pin_on_card', 'card_via_reader', 1, 'handed_to_staff',
             'several_matches', 0, '[\"choose_among_matches\"]', 1, 'kiosk-1');
         INSERT INTO handoffs (check_in_id, reason) VALUES (6, 'several_matches');",
    )
    .unwrap();
}

/// Builds a database at version `k` with representative rows for every version up to `k`.
fn database_at(path: &Path, k: u32) {
    if k == 0 {
        // An empty file, as a provisioning script's `touch` leaves it.
        std::fs::write(path, b"").unwrap();
        return;
    }
    // Each version's rows are written by that version's schema, then the file moves on, as a
    // kiosk updated build by build would.
    type Seed = fn(&Connection);
    let seeds: [(u32, Seed); 7] = [
        (1, seed_v1),
        (2, seed_v2),
        (3, seed_v3),
        (4, seed_v4),
        (6, seed_v6),
        (8, seed_v8),
        (10, seed_v10),
    ];
    for (version, seed) in seeds.into_iter().filter(|(v, _)| *v <= k) {
        migrate_to(path, version).unwrap();
        let conn = Connection::open(path).unwrap();
        conn.pragma_update(None, "foreign_keys", true).unwrap();
        seed(&conn);
    }
    migrate_to(path, k).unwrap();
    let conn = Connection::open(path).unwrap();
    let version: u32 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .unwrap();
    assert_eq!(version, k);
}

fn schema(path: &Path) -> Vec<String> {
    let conn = Connection::open(path).unwrap();
    let mut stmt = conn
        .prepare(
            "SELECT type || ' ' || name || ': ' || COALESCE(sql, '') FROM sqlite_schema
             WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name",
        )
        .unwrap();
    stmt.query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

fn new_check_in() -> CheckInRecord {
    CheckInRecord {
        consent: ConsentAnswers {
            mode: Some(ConsentMode::All),
            medical_and_drug_info: Some(true),
            surgery_info: Some(true),
            health_check_info: Some(true),
            high_cost_limit_info: None,
            prescription_form: Some(PrescriptionForm::Electronic),
            // v13: the medical-aid certificate answer goes in and comes back after any upgrade.
            medical_aid_certificate: Some(true),
        },
        kiosk: "kiosk-1".to_owned(),
        // v15: the department goes in and comes back after any upgrade.
        department: Some("01".to_owned()),
        ..uketsuke::fixtures::completed_card(
            datetime!(2026-03-02 11:00:00 +09:00),
            datetime!(2026-03-02 11:01:00 +09:00),
        )
    }
}

#[test]
fn every_earlier_version_opens_keeps_its_rows_and_takes_new_check_ins() {
    let fresh_dir = tempfile::tempdir().unwrap();
    let fresh = fresh_dir.path().join("fresh.db");
    Store::open(&fresh).unwrap().close();

    for k in 0..SCHEMA_VERSION {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(format!("at-v{k}.db"));
        database_at(&path, k);

        let store = Store::open(&path).unwrap_or_else(|e| panic!("opening a v{k} database: {e}"));
        assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION, "from v{k}");
        assert_eq!(store.integrity_check().unwrap(), "ok", "from v{k}");

        // Old rows survive, field for field.
        if k >= 1 {
            for (id, record) in v1_rows() {
                let back = store.check_in(id).unwrap().expect("v1 row kept");
                assert_eq!(
                    back,
                    StoredCheckIn {
                        id,
                        // No number was shown to patients before v3.
                        reception_number: None,
                        record,
                        resolution: None,
                    },
                    "v1 row {id} from v{k}"
                );
            }
        }
        if k >= 2 {
            for (id, record, resolution) in v2_rows() {
                let back = store.check_in(id).unwrap().expect("v2 row kept");
                assert_eq!(
                    back,
                    StoredCheckIn {
                        id,
                        reception_number: None,
                        record,
                        resolution,
                    },
                    "v2 row {id} from v{k}"
                );
            }
        }
        if k >= 4 {
            let tanaka = store
                .staff_by_login("tanaka")
                .unwrap()
                .expect("v4 account kept");
            assert_eq!(tanaka.display_name, "田中");
            assert_eq!(
                tanaka.disabled_at, None,
                "an account from v{k} stays in use"
            );
            assert_eq!(
                tanaka.last_sign_in_at, None,
                "no sign-in recorded before v8"
            );
            assert_eq!(store.kiosk_pin("tanaka").unwrap(), None, "no kiosk PIN yet");
            let with_pins: Vec<String> = store
                .kiosk_staff()
                .unwrap()
                .into_iter()
                .map(|s| s.login)
                .collect();
            assert_eq!(with_pins, if k >= 8 { vec!["suzuki"] } else { vec![] });
        }
        if k >= 8 {
            // The v10 rebuild keeps every column of the account and the session referring to it.
            let suzuki = store
                .staff_by_login("suzuki")
                .unwrap()
                .expect("v8 account kept");
            assert_eq!(suzuki.role, uketsuke::staff::Role::Technician);
            assert_eq!(
                suzuki.last_sign_in_at,
                Some(datetime!(2026-03-07 09:30:00 UTC))
            );
            let pin = store.kiosk_pin("suzuki").unwrap().expect("kiosk PIN kept");
            assert_eq!(pin.failures, 2);
            assert!(pin.pin_hash.ends_with("$cGlu"));
            let session = store
                .session(V8_SESSION, datetime!(2026-03-07 10:00:00 UTC))
                .unwrap()
                .expect("still signed in after the upgrade");
            assert_eq!(session.account.id, suzuki.id);
        }
        let old_audit = store.audit_log(100).unwrap().len();
        assert_eq!(
            old_audit,
            [0, 3, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5][k as usize],
            "audit entries from v{k}"
        );

        // No kiosk was closed by staff before v6; closing one works after the upgrade.
        assert_eq!(store.kiosk_pause("kiosk-1").unwrap(), None, "from v{k}");
        // A kiosk closed at v6 stays closed, with no reopening time said.
        let closed_at_v6 = store.kiosk_pause("kiosk-2").unwrap();
        if k >= 6 {
            let pause = closed_at_v6.expect("the v6 pause is kept");
            assert_eq!(pause.paused_at, datetime!(2026-03-06 12:00:00 +09:00));
            assert_eq!(pause.reopens_at, None);
        } else {
            assert_eq!(closed_at_v6, None, "from v{k}");
        }

        // A v10 kiosk's open handoff labelled with the card it read: waiting, the card only the
        // expected route, nothing counted, until staff choose the record.
        if k >= 10 {
            let several = store.check_in(6).unwrap().expect("v10 row kept");
            assert_eq!(several.record.verification, None, "from v{k}");
            assert_eq!(
                several.record.expected_route,
                Some(VerificationMethod::CardViaReader),
                "from v{k}"
            );
            assert!(!several.record.counts_toward_usage_rate, "from v{k}");
            assert_eq!(several.confirmed_verification(), None);
        }
        let v10_open: Vec<i64> = if k >= 10 { vec![6] } else { vec![] };

        // A v1 handoff had no way to be resolved, so it is open after the upgrade.
        let open: Vec<i64> = store
            .open_handoffs()
            .unwrap()
            .iter()
            .map(|s| s.id)
            .collect();
        let mut expected_open = if k >= 1 { vec![2] } else { vec![] };
        expected_open.extend(&v10_open);
        assert_eq!(open, expected_open, "from v{k}");
        if k >= 1 {
            store
                .resolve_handoff(
                    2,
                    &HandoffResolution {
                        closed_as: ClosedAs::Verified {
                            verification: VerificationMethod::PortalScreenCheckedByStaff,
                            identity: None,
                            read_off: None,
                        },
                        note: "portal: 3割".to_owned(),
                        staff: "ito".to_owned(),
                        resolved_at: datetime!(2026-03-02 11:30:00 +09:00),
                    },
                    true,
                )
                .unwrap();
            let left: Vec<i64> = store
                .open_handoffs()
                .unwrap()
                .iter()
                .map(|s| s.id)
                .collect();
            assert_eq!(left, v10_open);
        }
        // Rows from before v10 carry no patient key (SQL cannot make one; the report lists them
        // as not countable), and the upgrade makes the key file beside the database.
        assert!(
            store.patient_keys_for_month(2026, 3).unwrap().is_empty(),
            "from v{k}"
        );
        assert!(
            uketsuke::patient_key::key_file_for(&path).exists(),
            "from v{k}"
        );

        // The first check-in after the update commits, and today's numbering starts at 1.
        let committed = store.commit_check_in(&new_check_in()).unwrap();
        assert_eq!(
            committed.reception_number,
            Some(ReceptionNumber(1)),
            "from v{k}"
        );
        let back = store.check_in(committed.check_in_id).unwrap().unwrap();
        assert_eq!(back.record, new_check_in());
        let newest_old_id = [0, 3, 4, 5, 5, 5, 5, 5, 5, 5, 6, 6, 6, 6, 6, 6][k as usize];
        assert!(committed.check_in_id > newest_old_id, "ids are not reused");
        // v14: an outbox row from before the wire format (v3's `{}` for check-in 5) is never
        // handed to a reader; what the upgraded kiosk writes is wire v1.
        let pending: Vec<(i64, Kind, u32)> = store
            .outbox_pending(100)
            .unwrap()
            .into_iter()
            .map(|e| (e.check_in_id, e.kind, e.payload.v))
            .collect();
        let mut expected = if k >= 1 {
            vec![(2, Kind::HandoffClosed, 1)]
        } else {
            vec![]
        };
        expected.push((
            committed.check_in_id,
            Kind::of_commit(&new_check_in().outcome),
            1,
        ));
        assert_eq!(pending, expected, "outbox from v{k}");
        assert!(store.audit_log(100).unwrap().len() > old_audit);
        // v15: no department list was cached before; one saved after the upgrade comes back.
        assert_eq!(store.department_list().unwrap(), None, "from v{k}");
        let listed = vec![uketsuke::departments::Department {
            code: "01".to_owned(),
            name: "内科".to_owned(),
            name_en: None,
        }];
        let fetched_at = datetime!(2026-03-02 06:00:00 +09:00);
        store
            .save_department_list(listed.clone(), fetched_at)
            .unwrap();
        let cached = store.department_list().unwrap().expect("saved");
        assert_eq!(
            (cached.departments, cached.fetched_at),
            (listed, fetched_at)
        );
        // A 管理者 account can be added after the upgrade, whatever the version before.
        store
            .add_staff(&uketsuke::staff::NewStaffAccount {
                login: "kanri".to_owned(),
                display_name: "管理".to_owned(),
                role: uketsuke::staff::Role::Manager,
                password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".to_owned(),
                created_at: datetime!(2026-03-08 09:00:00 +09:00),
                created_by: "cli".to_owned(),
            })
            .unwrap_or_else(|e| panic!("a manager from v{k}: {e}"));
        assert_eq!(
            store.staff_by_login("kanri").unwrap().unwrap().role,
            uketsuke::staff::Role::Manager
        );
        store.close();

        // The upgraded schema is exactly what a fresh install has.
        assert_eq!(
            schema(&path),
            schema(&fresh),
            "schema after upgrade from v{k}"
        );
    }
}

#[test]
fn migrations_can_stop_at_each_version_and_continue() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("stepwise.db");
    for k in 0..=SCHEMA_VERSION {
        migrate_to(&path, k).unwrap();
        let conn = Connection::open(&path).unwrap();
        let version: u32 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(version, k);
    }
    // Asking again for the version the file has is a no-op; going back is refused.
    migrate_to(&path, SCHEMA_VERSION).unwrap();
    assert!(matches!(
        migrate_to(&path, 1),
        Err(StoreError::TooNew { found, .. }) if found == SCHEMA_VERSION
    ));
    assert!(matches!(
        migrate_to(&path, SCHEMA_VERSION + 1),
        Err(StoreError::UnknownVersion { .. })
    ));
}

#[test]
fn a_database_from_a_newer_build_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("future.db");
    database_at(&path, SCHEMA_VERSION);
    let future = SCHEMA_VERSION + 6;
    {
        let conn = Connection::open(&path).unwrap();
        conn.pragma_update(None, "user_version", future).unwrap();
    }
    let before = std::fs::read(&path).unwrap();

    let err = Store::open(&path).unwrap_err();
    assert!(matches!(err, StoreError::TooNew { found, supported, .. }
        if found == future && supported == SCHEMA_VERSION));
    assert_eq!(
        err.to_string(),
        format!(
            "database {} has schema version {future}, newer than this build ({SCHEMA_VERSION})",
            path.display()
        )
    );

    // Not migrated, not switched to WAL, not written at all.
    assert_eq!(std::fs::read(&path).unwrap(), before);
    assert!(!dir.path().join("future.db-wal").exists());
}
