//! What the kiosk commits is what the store gives back, field for field, on a real SQLite file:
//! every outcome, every verification method, consent given all at once, item by item or not
//! asked, eligibility present or not. Reception numbers count 1, 2, 3 per visit date.

use std::collections::BTreeSet;
use std::path::Path;

use chrono::{DateTime, FixedOffset, TimeDelta as Duration};
use uketsuke::dates::Date;
use uketsuke::domain::{
    BurdenRatio, CheckInRecord, ChecklistItem, ClosedAs, ConsentAnswers, ConsentMode,
    EligibilitySummary, HandoffReason, HandoffResolution, IdentityMethod, Outcome,
    PrescriptionForm, Presented, RatioSource, ReceptionNumber, Step, StoredCheckIn, Validity,
    VerificationMethod,
};
use uketsuke::outbox::{Kind, OutboxMessage};
use uketsuke::store::{Store, StoreError};
use uketsuke::{date, datetime};

const PRESENTED: [Presented; 10] = [
    Presented::MyNumberCard,
    Presented::AndroidPhone,
    Presented::UnreadableDevice,
    Presented::OldResidentCard,
    Presented::TransitCard,
    Presented::PaymentCard,
    Presented::EligibilityCertificate,
    Presented::EligibilityNoticeWithCard,
    Presented::ExpiredInsuranceCard,
    Presented::Nothing,
];

fn at(day: Date, minute: i64) -> DateTime<FixedOffset> {
    day.and_hms_opt(9, 0, 0)
        .expect("09:00 exists")
        .and_local_timezone(uketsuke::rules::JST)
        .unwrap()
        + Duration::minutes(minute)
}

/// A card check-in; only a completed one has a method when committed (issue 16 item 4).
fn record(day: Date, minute: i64, outcome: Outcome) -> CheckInRecord {
    let completed = outcome == Outcome::Completed;
    CheckInRecord {
        started_at: at(day, minute),
        finished_at: at(day, minute) + Duration::seconds(75) + Duration::milliseconds(250),
        visit_date: day,
        presented: Some(Presented::MyNumberCard),
        identity: Some(IdentityMethod::PinOnCard),
        verification: completed.then_some(VerificationMethod::CardViaReader),
        counts_toward_usage_rate: completed,
        expected_route: None,
        consent: ConsentAnswers::default(),
        eligibility: None,
        outcome,
        checklist: Vec::new(),
        wrong_pin_entries: 0,
        kiosk: "kiosk-1".to_owned(),
        patient_name: None,
        department: None,
    }
}

fn full_eligibility() -> EligibilitySummary {
    EligibilitySummary {
        validity: Validity::Valid,
        insurer_number: Some("06139999".to_owned()),
        symbol: Some("記号１２".to_owned()),
        number: Some("3456".to_owned()),
        branch: Some("01".to_owned()),
        burden_ratio: Some(BurdenRatio(30)),
        burden_ratio_source: Some(RatioSource::DerivedFromAge),
        valid_from: Some(date!(2025 - 04 - 01)),
        valid_until: Some(date!(2027 - 03 - 31)),
        name_contains_black_circle: true,
        reference_number: Some("P-000123".to_owned()),
    }
}

fn sparse_eligibility(validity: Validity) -> EligibilitySummary {
    EligibilitySummary {
        validity,
        insurer_number: None,
        symbol: None,
        number: None,
        branch: None,
        burden_ratio: None,
        burden_ratio_source: None,
        valid_from: None,
        valid_until: None,
        name_contains_black_circle: false,
        reference_number: None,
    }
}

fn consent_all() -> ConsentAnswers {
    ConsentAnswers {
        mode: Some(ConsentMode::All),
        medical_and_drug_info: Some(true),
        surgery_info: Some(true),
        health_check_info: Some(true),
        high_cost_limit_info: Some(true),
        prescription_form: Some(PrescriptionForm::Electronic),
        medical_aid_certificate: None,
    }
}

fn consent_item_by_item() -> ConsentAnswers {
    ConsentAnswers {
        mode: Some(ConsentMode::ItemByItem),
        medical_and_drug_info: Some(true),
        surgery_info: Some(false),
        health_check_info: None,
        high_cost_limit_info: Some(false),
        prescription_form: Some(PrescriptionForm::Paper),
        medical_aid_certificate: None,
    }
}

/// A varied set of records for one day: every outcome, every handoff reason, every verification
/// method and none, every presented document, all consent shapes and eligibility shapes.
fn varied_records(day: Date) -> Vec<CheckInRecord> {
    let mut out = Vec::new();
    let mut minute = 0;
    let mut next = |outcome| {
        minute += 3;
        record(day, minute, outcome)
    };

    for (i, method) in VerificationMethod::ALL.into_iter().enumerate() {
        let mut r = next(Outcome::Completed);
        r.verification = Some(method);
        r.counts_toward_usage_rate = matches!(
            method,
            VerificationMethod::CardViaReader | VerificationMethod::SmartphoneViaReader
        );
        r.presented = Some(PRESENTED[i % PRESENTED.len()]);
        r.identity = [
            Some(IdentityMethod::PinOnCard),
            Some(IdentityMethod::PinOnPhone),
            Some(IdentityMethod::StaffVisualCheck),
            None,
        ][i % 4];
        r.consent = match i % 3 {
            0 => consent_all(),
            1 => consent_item_by_item(),
            _ => ConsentAnswers::default(),
        };
        r.eligibility = match i % 3 {
            0 => Some(full_eligibility()),
            1 => Some(sparse_eligibility(Validity::Valid)),
            _ => None,
        };
        r.wrong_pin_entries = (i % 3) as u8;
        out.push(r);
    }

    for (i, reason) in HandoffReason::ALL.into_iter().enumerate() {
        let mut r = next(Outcome::HandedToStaff { reason });
        r.verification = None;
        r.counts_toward_usage_rate = false;
        // Every route staff may be expected to take, and none, comes back.
        r.expected_route = VerificationMethod::ALL.get(i).copied();
        r.presented = Some(PRESENTED[(i + 3) % PRESENTED.len()]);
        r.identity = None;
        r.eligibility = match reason {
            HandoffReason::EligibilityInvalid => {
                Some(sparse_eligibility(Validity::InvalidNewerExists))
            }
            HandoffReason::NoEligibility => Some(sparse_eligibility(Validity::NoEligibility)),
            HandoffReason::SeveralMatches => Some(sparse_eligibility(Validity::SeveralMatches)),
            _ => None,
        };
        r.checklist = vec![
            ChecklistItem::CheckPortalEligibilityScreen,
            ChecklistItem::RecordInsuranceNumbers,
            ChecklistItem::NotCountedTowardUsageRate,
        ];
        if i % 2 == 0 {
            r.checklist.push(ChecklistItem::ChargeNormalShare);
            r.wrong_pin_entries = 2;
        }
        out.push(r);
    }

    let mut everything = next(Outcome::HandedToStaff {
        reason: HandoffReason::PaperDocument,
    });
    everything.verification = None;
    everything.counts_toward_usage_rate = false;
    everything.checklist = vec![
        ChecklistItem::CheckPortalEligibilityScreen,
        ChecklistItem::RecordInsuranceNumbers,
        ChecklistItem::CompareCardPhoto,
        ChecklistItem::CheckCertificateValidity,
        ChecklistItem::ElderlyCertificateProvisional,
        ChecklistItem::ElderlyCertificateDependsOnInsurer,
        ChecklistItem::QueryOnlineByNumbers,
        ChecklistItem::ProvisionalHandlingApplies,
        ChecklistItem::ProvisionalHandlingEnded,
        ChecklistItem::PastRecordOralCheck,
        ChecklistItem::SelfDeclarationForm,
        ChecklistItem::ChargeNormalShare,
        ChecklistItem::AskForCardNextTime,
        ChecklistItem::PinResetAtMunicipalOffice,
        ChecklistItem::ChooseAmongMatches,
        ChecklistItem::AskForNewerDocument,
        ChecklistItem::NotCountedTowardUsageRate,
        ChecklistItem::AskWhatTheyNeed,
    ];
    out.push(everything);

    for step in [
        Step::Welcome,
        Step::PinEntry,
        Step::ConsentItem,
        Step::Querying,
    ] {
        let mut r = next(Outcome::Cancelled { at: step });
        r.verification = None;
        r.counts_toward_usage_rate = false;
        r.consent = ConsentAnswers {
            medical_and_drug_info: Some(true),
            ..ConsentAnswers::default()
        };
        out.push(r);
    }
    for step in [
        Step::Reading,
        Step::TapAgain,
        Step::HighCostLimit,
        Step::Prescription,
        Step::DocumentMenu,
        Step::WrongCard,
        Step::Verifying,
        Step::ConsentChoice,
    ] {
        let mut r = next(Outcome::TimedOut { at: step });
        r.presented = None;
        r.identity = None;
        r.verification = None;
        r.counts_toward_usage_rate = false;
        r.wrong_pin_entries = 1;
        out.push(r);
    }
    out
}

fn open(dir: &Path) -> Store {
    Store::open(&dir.join("uketsuke.db")).expect("a fresh database opens")
}

#[test]
fn every_field_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let day = date!(2026 - 04 - 01);
    let records = varied_records(day);

    let mut committed = Vec::new();
    for r in &records {
        let c = store.commit_check_in(r).unwrap();
        committed.push(c);
        let back = store
            .check_in(c.check_in_id)
            .unwrap()
            .expect("just committed");
        assert_eq!(
            back,
            StoredCheckIn {
                id: c.check_in_id,
                reception_number: c.reception_number,
                record: r.clone(),
                resolution: None,
            }
        );
        // Offsets survive too (DateTime<FixedOffset> equality alone compares instants).
        assert_eq!(back.record.started_at.offset(), r.started_at.offset());
    }

    let ids: BTreeSet<i64> = committed.iter().map(|c| c.check_in_id).collect();
    assert_eq!(ids.len(), records.len(), "ids are distinct");
    assert_eq!(store.check_in(i64::MAX).unwrap(), None);

    // Every verification method, and none, came back.
    let all = store.check_ins_between(day, day).unwrap();
    assert_eq!(all.len(), records.len());
    let methods: BTreeSet<Option<VerificationMethod>> =
        all.iter().map(|s| s.record.verification).collect();
    assert_eq!(methods.len(), VerificationMethod::ALL.len() + 1);

    // Reopening the file gives the same answers: the data is on disk, not in a cache.
    store.close();
    let store = open(dir.path());
    assert_eq!(store.check_ins_between(day, day).unwrap(), all);
    assert_eq!(store.integrity_check().unwrap(), "ok");
}

#[test]
fn reception_numbers_count_per_day_and_skip_abandoned_check_ins() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let day1 = date!(2026 - 04 - 30);
    let day2 = date!(2026 - 05 - 01);
    let handed = Outcome::HandedToStaff {
        reason: HandoffReason::ConfirmPortalScreen,
    };
    let cancelled = Outcome::Cancelled { at: Step::PinEntry };
    let timed_out = Outcome::TimedOut {
        at: Step::ConsentChoice,
    };

    let number = |day, minute, outcome| {
        store
            .commit_check_in(&record(day, minute, outcome))
            .unwrap()
            .reception_number
            .map(|n| n.0)
    };
    assert_eq!(number(day1, 0, Outcome::Completed), Some(1));
    assert_eq!(number(day1, 1, cancelled), None);
    assert_eq!(number(day1, 2, handed), Some(2));
    assert_eq!(number(day1, 3, timed_out), None);
    assert_eq!(number(day1, 4, Outcome::Completed), Some(3));
    assert_eq!(
        number(day2, 0, Outcome::Completed),
        Some(1),
        "a new day starts at 1"
    );
    assert_eq!(number(day2, 1, handed), Some(2));
    // A late commit for the previous day continues that day's numbering.
    assert_eq!(number(day1, 5, Outcome::Completed), Some(4));

    let april = store.check_ins_for_month(2026, 4).unwrap();
    let may = store.check_ins_for_month(2026, 5).unwrap();
    assert_eq!(april.len(), 6);
    assert_eq!(may.len(), 2);
    assert!(april.iter().all(|s| s.record.visit_date == day1));
    assert_eq!(
        april.iter().map(|s| s.reception_number).collect::<Vec<_>>(),
        [Some(1), None, Some(2), None, Some(3), Some(4)].map(|n| n.map(ReceptionNumber))
    );
    assert!(store.check_ins_for_month(2026, 6).unwrap().is_empty());
    assert_eq!(store.check_ins_between(day1, day2).unwrap().len(), 8);
    assert!(matches!(
        store.check_ins_for_month(2026, 13),
        Err(StoreError::InvalidMonth { month: 13, .. })
    ));
}

#[test]
fn clones_on_many_threads_share_one_numbering() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let day = date!(2026 - 06 - 15);
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let store = store.clone();
            std::thread::spawn(move || {
                (0..10)
                    .map(|i| {
                        store
                            .commit_check_in(&record(day, t * 10 + i, Outcome::Completed))
                            .unwrap()
                            .reception_number
                            .expect("completed check-ins get a number")
                            .0
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut numbers: Vec<u32> = threads
        .into_iter()
        .flat_map(|t| t.join().unwrap())
        .collect();
    numbers.sort_unstable();
    assert_eq!(numbers, (1..=40).collect::<Vec<_>>());
}

#[test]
fn handoffs_are_listed_until_resolved() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let day = date!(2026 - 07 - 01);

    let mut portal = record(
        day,
        0,
        Outcome::HandedToStaff {
            reason: HandoffReason::ConfirmPortalScreen,
        },
    );
    portal.presented = Some(Presented::UnreadableDevice);
    portal.identity = None;
    portal.verification = None;
    portal.counts_toward_usage_rate = false;
    portal.checklist = vec![ChecklistItem::CheckPortalEligibilityScreen];
    let portal_id = store.commit_check_in(&portal).unwrap().check_in_id;

    let paper = CheckInRecord {
        presented: Some(Presented::EligibilityCertificate),
        verification: None,
        counts_toward_usage_rate: false,
        expected_route: Some(VerificationMethod::EligibilityCertificate),
        ..record(
            day,
            1,
            Outcome::HandedToStaff {
                reason: HandoffReason::PaperDocument,
            },
        )
    };
    let paper_id = store.commit_check_in(&paper).unwrap().check_in_id;
    let done_id = store
        .commit_check_in(&record(day, 2, Outcome::Completed))
        .unwrap()
        .check_in_id;

    let open_ids = |store: &Store| -> Vec<i64> {
        store
            .open_handoffs()
            .unwrap()
            .iter()
            .map(|s| s.id)
            .collect()
    };
    assert_eq!(open_ids(&store), [portal_id, paper_id], "oldest first");

    let resolution = HandoffResolution {
        closed_as: ClosedAs::Verified {
            verification: VerificationMethod::PortalScreenCheckedByStaff,
            identity: Some(IdentityMethod::StaffVisualCheck),
            read_off: None,
        },
        note: "portal screen: 協会けんぽ, 3割".to_owned(),
        staff: "sato".to_owned(),
        resolved_at: datetime!(2026-07-01 09:20:00.5 +09:00),
    };
    store.resolve_handoff(portal_id, &resolution, true).unwrap();
    assert_eq!(open_ids(&store), [paper_id]);

    let back = store.check_in(portal_id).unwrap().unwrap();
    assert_eq!(back.resolution.as_ref(), Some(&resolution));
    assert_eq!(
        back.record.verification,
        Some(VerificationMethod::PortalScreenCheckedByStaff),
        "the check-in's final method is the resolution's"
    );
    assert!(
        back.record.counts_toward_usage_rate,
        "as the caller decided"
    );
    assert_eq!(
        back.record.outcome, portal.outcome,
        "the outcome is history"
    );
    assert_eq!(back.record.checklist, portal.checklist);

    assert!(matches!(
        store.resolve_handoff(portal_id, &resolution, true),
        Err(StoreError::AlreadyResolved { id, .. }) if id == portal_id
    ));
    assert!(matches!(
        store.resolve_handoff(done_id, &resolution, true),
        Err(StoreError::NotAHandoff { id, .. }) if id == done_id
    ));
    assert!(matches!(
        store.resolve_handoff(9999, &resolution, true),
        Err(StoreError::NoSuchCheckIn { id: 9999, .. })
    ));

    let certificate = HandoffResolution {
        closed_as: ClosedAs::Verified {
            verification: VerificationMethod::EligibilityCertificate,
            identity: None,
            read_off: None,
        },
        note: String::new(),
        staff: "suzuki".to_owned(),
        resolved_at: datetime!(2026-07-01 09:31:00 +09:00),
    };
    store
        .resolve_handoff(paper_id, &certificate, false)
        .unwrap();
    assert!(open_ids(&store).is_empty());
    let back = store.check_in(paper_id).unwrap().unwrap();
    assert_eq!(back.resolution, Some(certificate));
    assert!(!back.record.counts_toward_usage_rate);
    assert_eq!(
        (back.record.verification, back.record.expected_route),
        (
            Some(VerificationMethod::EligibilityCertificate),
            Some(VerificationMethod::EligibilityCertificate)
        ),
        "the method staff chose; the route the kiosk expected is kept beside it"
    );

    // Integrations hear of both the commit and the resolution.
    let kinds: Vec<(i64, &str)> = store
        .outbox_pending(100)
        .unwrap()
        .into_iter()
        .map(|e| (e.check_in_id, e.kind.as_str()))
        .collect();
    assert_eq!(
        kinds,
        [
            (portal_id, "handoff_opened"),
            (paper_id, "handoff_opened"),
            (done_id, "check_in_completed"),
            (portal_id, "handoff_closed"),
            (paper_id, "handoff_closed"),
        ]
    );
}

#[test]
fn outbox_carries_the_check_in_as_wire_v1_until_delivered() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    let mut r = record(date!(2026 - 08 - 03), 0, Outcome::Completed);
    r.eligibility = Some(full_eligibility());
    r.consent = consent_all();
    let c = store.commit_check_in(&r).unwrap();

    let pending = store.outbox_pending(10).unwrap();
    assert_eq!(pending.len(), 1);
    let entry = &pending[0];
    let stored = store.check_in(c.check_in_id).unwrap().unwrap();
    assert_eq!(
        entry.payload,
        OutboxMessage::new(Kind::CheckInCompleted, &stored, None),
        "the wire message built from the check-in as committed"
    );
    assert_eq!(entry.payload.v, 1);
    assert_eq!(entry.created_at, r.finished_at);

    let delivered_at = datetime!(2026-08-03 10:00 +09:00);
    assert!(store.mark_delivered(entry.id, delivered_at).unwrap());
    assert!(!store.mark_delivered(entry.id, delivered_at).unwrap());
    assert!(store.outbox_pending(10).unwrap().is_empty());
}

#[test]
fn the_file_is_durable_and_sound() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(dir.path());
    store
        .commit_check_in(&record(date!(2026 - 04 - 01), 0, Outcome::Completed))
        .unwrap();

    let d = store.durability().unwrap();
    assert_eq!(d.journal_mode, "wal");
    assert_eq!(d.synchronous, "full");
    assert!(d.foreign_keys);
    assert!(d.busy_timeout_ms > 0);
    assert_eq!(store.integrity_check().unwrap(), "ok");
    assert_eq!(
        store.schema_version().unwrap(),
        uketsuke::store::SCHEMA_VERSION
    );

    // WAL is a property of the file: a second connection sees it too.
    let raw = rusqlite::Connection::open(dir.path().join("uketsuke.db")).unwrap();
    let mode: String = raw
        .pragma_query_value(None, "journal_mode", |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
}

#[test]
fn an_unknown_name_in_a_column_is_an_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("uketsuke.db");
    let store = Store::open(&path).unwrap();
    let id = store
        .commit_check_in(&record(date!(2026 - 04 - 01), 0, Outcome::Completed))
        .unwrap()
        .check_in_id;

    let raw = rusqlite::Connection::open(&path).unwrap();
    raw.execute(
        "UPDATE check_ins SET presented = 'floppy_disk' WHERE id = ?1",
        [id],
    )
    .unwrap();
    let err = store.check_in(id).unwrap_err();
    let message = err.to_string();
    assert!(
        matches!(
            &err,
            StoreError::Corrupt { table: "check_ins", column: "presented", value, .. }
                if value == "floppy_disk"
        ),
        "{message}"
    );
    assert!(message.contains(&path.display().to_string()), "{message}");
    assert!(message.contains("check_ins.presented"), "{message}");

    raw.execute(
        "UPDATE check_ins SET presented = 'my_number_card', checklist = '[\"shrug\"]' WHERE id = ?1",
        [id],
    )
    .unwrap();
    assert!(matches!(
        store.check_in(id),
        Err(StoreError::Corrupt {
            column: "checklist",
            ..
        })
    ));
}

#[test]
fn opening_where_no_file_can_be_made_names_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("missing-folder").join("uketsuke.db");
    let err = Store::open(&path).unwrap_err();
    let message = err.to_string();
    assert!(
        message.starts_with(&format!("cannot open database {}", path.display())),
        "{message}"
    );

    let garbage = dir.path().join("garbage.db");
    std::fs::write(&garbage, vec![0x5a; 8192]).unwrap();
    let message = Store::open(&garbage).unwrap_err().to_string();
    assert!(
        message.contains(&garbage.display().to_string()),
        "{message}"
    );
}
