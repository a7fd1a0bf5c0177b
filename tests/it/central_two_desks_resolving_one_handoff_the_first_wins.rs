//! Issue 19 item 2: a kiosk's open handoff reaches the central database with the patient's
//! name (so any desk can call the patient); two desks close it at the same moment: one records,
//! the other is told who decided first, and both are audited centrally. The kiosk, which owns
//! the check-in, then records the winning decision in its own store (audited there under the
//! staff member's name), and the name is erased everywhere: centrally in the winning commit,
//! at the kiosk when it records it. A handoff staff closed at the kiosk first keeps the
//! kiosk's resolution, and the desk's late decision is audited as not recorded.

use std::sync::{Arc, Barrier};

use uketsuke::central::worker::Worker;
use uketsuke::central::{Central, DeskOutcome};
use uketsuke::central_settings::CentralSettings;
use uketsuke::domain::{
    CheckInRecord, ClosedAs, HandoffReason, HandoffResolution, IdentityMethod, Outcome,
    PatientName, VerificationMethod,
};
use uketsuke::store::Store;

use crate::central::Postgres;

fn handoff(name: &str) -> CheckInRecord {
    let now = uketsuke::cli::now();
    CheckInRecord {
        outcome: Outcome::HandedToStaff {
            reason: HandoffReason::ConfirmPortalScreen,
        },
        verification: None,
        identity: None,
        counts_toward_usage_rate: false,
        patient_name: Some(PatientName {
            name: name.to_owned(),
            kana: Some("ﾔﾏﾀﾞ ﾊﾅｺ".to_owned()),
            birth_date: None,
        }),
        ..uketsuke::fixtures::completed_card(now, now)
    }
}

fn verified_by(staff: &str) -> HandoffResolution {
    HandoffResolution {
        closed_as: ClosedAs::Verified {
            verification: VerificationMethod::PortalScreenCheckedByStaff,
            identity: Some(IdentityMethod::StaffVisualCheck),
            read_off: None,
        },
        note: String::new(),
        staff: staff.to_owned(),
        resolved_at: uketsuke::cli::now(),
    }
}

fn count(client: &mut postgres::Client, sql: &str) -> i64 {
    client.query_one(sql, &[]).unwrap().get(0)
}

#[test]
fn two_desks_at_once_one_wins_the_other_is_told_and_the_kiosk_records_the_winner() {
    let Some(pg) = Postgres::start("central_two_desks") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("kiosk.db");
    let store = Store::open(&db).unwrap();
    let settings = CentralSettings::new(&pg.url(), "entrance-1");
    let mut worker = Worker::new(store.clone(), settings.clone(), "1F entrance");
    let id = store
        .commit_check_in(&handoff("山田 花子"))
        .unwrap()
        .check_in_id;
    worker.pass().unwrap();

    // Any desk sees the handoff, with the name to call.
    let mut desk = Central::connect(&settings).unwrap();
    let queue = desk.open_handoffs().unwrap();
    assert_eq!(queue.len(), 1);
    assert_eq!(
        (
            queue[0].check_in_id,
            queue[0].name.as_deref(),
            queue[0].kiosk_name.as_str()
        ),
        (id, Some("山田 花子"), "1F entrance")
    );
    assert_eq!(queue[0].reason.as_deref(), Some("confirm_portal_screen"));

    // Two desks decide at the same moment.
    let barrier = Arc::new(Barrier::new(2));
    let outcomes: Vec<DeskOutcome> = std::thread::scope(|scope| {
        let handles: Vec<_> = [("sato", "desk-1"), ("suzuki", "desk-2")]
            .into_iter()
            .map(|(staff, desk_name)| {
                let (barrier, settings) = (Arc::clone(&barrier), settings.clone());
                scope.spawn(move || {
                    let mut c = Central::connect(&settings).unwrap();
                    barrier.wait();
                    c.resolve("entrance-1", id, &verified_by(staff), false, desk_name)
                        .unwrap()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let recorded: Vec<usize> = (0..2)
        .filter(|&i| outcomes[i] == DeskOutcome::Recorded)
        .collect();
    assert_eq!(recorded.len(), 1, "exactly one desk records: {outcomes:?}");
    let winner = ["sato", "suzuki"][recorded[0]];
    let (winner_desk, loser) = if winner == "sato" {
        ("desk-1", 1)
    } else {
        ("desk-2", 0)
    };
    match &outcomes[loser] {
        DeskOutcome::AlreadyDecided { staff, desk, at } => {
            assert_eq!((staff.as_str(), desk.as_str()), (winner, winner_desk));
            assert!(at.ends_with("+09:00"), "{at}");
        }
        other => panic!("the second desk is told who decided: {other:?}"),
    }
    let mut client = pg.client();
    // Both audited; the name is gone centrally in the winning commit; the queue is empty.
    assert_eq!(
        count(
            &mut client,
            "SELECT count(*) FROM desk_audit WHERE action = 'handoff_resolved'"
        ),
        1
    );
    assert_eq!(
        count(
            &mut client,
            "SELECT count(*) FROM desk_audit WHERE action = 'handoff_resolution_refused' \
             AND detail LIKE 'already decided by %'"
        ),
        1
    );
    assert_eq!(count(&mut client, "SELECT count(*) FROM handoff_names"), 0);
    assert!(desk.open_handoffs().unwrap().is_empty());

    // The kiosk records the winner's decision, erases the name, and sends the closed state up.
    worker.pass().unwrap();
    let local = store.check_in(id).unwrap().unwrap();
    let resolution = local.resolution.expect("closed at the kiosk");
    assert_eq!(resolution.staff, winner);
    assert_eq!(
        local.record.patient_name, None,
        "the name is erased at the kiosk"
    );
    let audited = store
        .audit_log(50)
        .unwrap()
        .into_iter()
        .any(|a| a.check_in_id == Some(id) && a.actor == winner);
    assert!(audited, "the kiosk audits it under {winner}");
    assert_eq!(
        count(
            &mut client,
            "SELECT count(*) FROM resolutions WHERE applied_as = 'recorded'"
        ),
        1
    );
    let open: bool = client
        .query_one(
            "SELECT open_handoff FROM check_ins WHERE kiosk_id = 'entrance-1' AND check_in_id = $1",
            &[&id],
        )
        .unwrap()
        .get(0);
    assert!(!open, "the central copy is closed by the kiosk's own entry");
    // A third desk, later: told, not recorded.
    let late = desk
        .resolve("entrance-1", id, &verified_by("tanaka"), false, "desk-3")
        .unwrap();
    assert!(
        matches!(late, DeskOutcome::AlreadyDecided { .. }),
        "{late:?}"
    );

    // Closed at the kiosk first: the kiosk's resolution stands, the desk's is audited as not
    // recorded there.
    let second = store
        .commit_check_in(&handoff("佐藤 一郎"))
        .unwrap()
        .check_in_id;
    worker.pass().unwrap();
    store
        .resolve_handoff(second, &verified_by("kiosk-staff"), false)
        .unwrap();
    // The desk decides before the kiosk's closing entry arrived.
    assert_eq!(
        desk.resolve("entrance-1", second, &verified_by("sato"), false, "desk-1")
            .unwrap(),
        DeskOutcome::Recorded
    );
    worker.pass().unwrap();
    let kept = store.check_in(second).unwrap().unwrap().resolution.unwrap();
    assert_eq!(kept.staff, "kiosk-staff");
    assert_eq!(
        count(
            &mut client,
            "SELECT count(*) FROM desk_audit WHERE action = 'handoff_resolution_not_recorded' \
             AND detail = 'closed_at_the_kiosk_first'"
        ),
        1
    );
    assert_eq!(count(&mut client, "SELECT count(*) FROM handoff_names"), 0);

    // A handoff of an earlier day that nobody closed keeps no name centrally, as at the kiosk.
    let yesterday = uketsuke::cli::now() - chrono::TimeDelta::days(1);
    let old = CheckInRecord {
        started_at: yesterday,
        finished_at: yesterday,
        visit_date: yesterday.with_timezone(&uketsuke::rules::JST).date_naive(),
        ..handoff("鈴木 次郎")
    };
    let old_id = store.commit_check_in(&old).unwrap().check_in_id;
    worker.pass().unwrap();
    let names: i64 = client
        .query_one(
            "SELECT count(*) FROM handoff_names WHERE check_in_id = $1",
            &[&old_id],
        )
        .unwrap()
        .get(0);
    assert_eq!(names, 0, "no name is kept past its visit day");
    store.close();
}
