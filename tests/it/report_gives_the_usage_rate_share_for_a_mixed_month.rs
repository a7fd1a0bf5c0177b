//! A month seeded with check-ins of every verification method (through the real flow, simulated
//! card and gateway, and a real SQLite file, plus staff resolutions) gives exact counts and the
//! right usage-rate share, as a table and as CSV.

use std::process::Command;

use time::macros::datetime;
use uketsuke::cli::compose::{build_gateway, build_reader};
use uketsuke::domain::{ClosedAs, HandoffResolution, VerificationMethod};
use uketsuke::flow::CheckInFlow;
use uketsuke::headless::{Driver, PatientScript};
use uketsuke::rules::{FacilityConfig, Rules};
use uketsuke::store::Store;

const CARD: &str = r#"["tap", {"pin":"1234"}, {"consent":"all"}, {"high_cost_limit":true}, {"prescription":"paper"}]"#;

fn check_in(store: &Store, reader: &str, steps: &str, visit: time::OffsetDateTime) -> i64 {
    let flow = CheckInFlow::new(Rules::embedded(), FacilityConfig::default());
    let mut driver = Driver::new(
        flow,
        visit,
        build_reader(reader).unwrap(),
        build_gateway("sim").unwrap(),
        store.clone(),
    );
    let script = PatientScript::parse(&format!(r#"{{"steps": {steps}}}"#)).unwrap();
    driver.run(&script).unwrap().check_in_id
}

fn resolve(store: &Store, id: i64, method: VerificationMethod) {
    let resolution = HandoffResolution {
        closed_as: ClosedAs::Verified {
            verification: method,
            identity: None,
            read_off: None,
        },
        note: "confirmed at the desk".into(),
        staff: "suzuki".into(),
        resolved_at: datetime!(2026-03-10 11:00 +09:00),
    };
    let counts =
        Rules::embedded().counts_toward_usage_rate(method, time::macros::date!(2026 - 03 - 10));
    store.resolve_handoff(id, &resolution, counts).unwrap();
}

#[test]
fn report_counts_every_method_and_the_share() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("kiosk.db");
    let store = Store::open(&db).unwrap();
    let march = datetime!(2026-03-10 09:00 +09:00);

    check_in(&store, "sim:card", CARD, march);
    check_in(&store, "sim:card", CARD, march);
    check_in(&store, "sim:phone", CARD, march);
    check_in(&store, "sim:iphone", r#"["tap"]"#, march);
    check_in(
        &store,
        "sim:card",
        r#"[{"declare":"eligibility_notice_with_card"}]"#,
        march,
    );
    check_in(
        &store,
        "sim:card",
        r#"[{"declare":"eligibility_certificate"}]"#,
        march,
    );
    // Still inside the provisional handling (until 2026-03-31).
    check_in(
        &store,
        "sim:card",
        r#"[{"declare":"expired_insurance_card"}]"#,
        march,
    );
    let past = check_in(&store, "sim:card", r#"[{"declare":"nothing"}]"#, march);
    let form = check_in(&store, "sim:card", r#"[{"declare":"nothing"}]"#, march);
    let _pending = check_in(&store, "sim:card", r#"[{"declare":"nothing"}]"#, march);
    check_in(&store, "sim:card", r#"["tap", "cancel"]"#, march);
    check_in(
        &store,
        "sim:card",
        r#"["tap", {"wait_seconds": 120}]"#,
        march,
    );
    // Another month: not in the report.
    check_in(&store, "sim:card", CARD, datetime!(2026-04-01 09:00 +09:00));
    resolve(&store, past, VerificationMethod::PastRecord);
    resolve(&store, form, VerificationMethod::SelfDeclarationForm);
    store.close();

    let run = |format: &str| {
        let out = Command::new(env!("CARGO_BIN_EXE_uketsuke"))
            .args(["report", "--month", "2026-03", "--format", format, "--db"])
            .arg(&db)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };

    let csv = run("csv");
    let expected = "\
month,category,check_ins,counted_toward_usage_rate,share_percent
2026-03,card_via_reader,2,2,22.2
2026-03,smartphone_via_reader,1,1,11.1
2026-03,portal_screen_checked_by_staff,1,0,11.1
2026-03,notice_with_card_checked_by_staff,1,0,11.1
2026-03,eligibility_certificate,1,0,11.1
2026-03,expired_card_provisional,1,0,11.1
2026-03,self_declaration_form,1,0,11.1
2026-03,past_record,1,0,11.1
2026-03,pending_staff_decision,1,0,
2026-03,unresolved_by_staff,0,0,
2026-03,cancelled,1,0,
2026-03,timed_out,1,0,
2026-03,usage_rate,9,3,33.3
";
    assert_eq!(csv, expected);

    let table = run("table");
    println!("{table}");
    assert!(
        table.contains("My Number usage-rate share: 3 / 9 = 33.3%"),
        "{table}"
    );
    assert!(table.contains("pending staff decision"), "{table}");
}

#[test]
fn report_rejects_a_bad_month_and_a_missing_database() {
    let out = Command::new(env!("CARGO_BIN_EXE_uketsuke"))
        .args([
            "report",
            "--month",
            "2026-13",
            "--db",
            "/nonexistent/kiosk.db",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--month 2026-13"), "{stderr}");

    let out = Command::new(env!("CARGO_BIN_EXE_uketsuke"))
        .args([
            "report",
            "--month",
            "2026-03",
            "--db",
            "/nonexistent/kiosk.db",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("/nonexistent/kiosk.db"), "{stderr}");
}
