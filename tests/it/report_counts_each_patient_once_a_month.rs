//! The usage rate per person (issue 16 item 2) on a scripted month in November 2026, through the
//! real flow (the binary's headless check-ins and the in-process driver, simulated card and
//! gateway personas as different patients), staff resolutions with typed numbers, and a real
//! SQLite file: the same patient three times by card counts once; a patient by card and then by
//! the portal screen (numbers typed full-width at the desk) is one card user; patients only on
//! paper count only in the bottom; cancelled and unresolved check-ins are not countable; exact
//! numbers, the threshold line and the CSV from `uketsuke report`. The facility's secret never
//! reaches the database file or the logs, and the new column holds only keys, never numbers.

use crate::common::{uketsuke, write_file};

use uketsuke::cli::compose::{build_gateway, build_reader};
use uketsuke::domain::{ClosedAs, HandoffResolution, InsuranceNumbers, VerificationMethod};
use uketsuke::flow::CheckInFlow;
use uketsuke::headless::{Driver, PatientScript};
use uketsuke::patient_key::key_file_for;
use uketsuke::rules::{FacilityConfig, Rules};
use uketsuke::store::Store;
use uketsuke::{date, datetime};

const CARD: &str = r#"["tap", {"pin":"1234"}, {"consent":"all"}, {"high_cost_limit":true}, {"prescription":"paper"}]"#;
const PAPER: &str = r#"[{"declare":"eligibility_certificate"}]"#;

fn check_in(store: &Store, reader: &str, gateway: &str, steps: &str, day: u8) -> i64 {
    let visit =
        chrono::Datelike::with_day(&datetime!(2026-11-01 09:00 +09:00), u32::from(day)).unwrap();
    let flow = CheckInFlow::new(Rules::embedded(), FacilityConfig::default());
    let mut driver = Driver::new(
        flow,
        visit,
        build_reader(reader).unwrap(),
        build_gateway(gateway).unwrap(),
        store.clone(),
    );
    let script = PatientScript::parse(&format!(r#"{{"steps": {steps}}}"#)).unwrap();
    driver.run(&script).unwrap().check_in_id
}

/// Staff close handoff `id`: confirmed by `method` with the numbers they typed, or not.
fn close(store: &Store, id: i64, closed_as: ClosedAs) {
    let counts = match &closed_as {
        ClosedAs::Verified { verification, .. } => {
            Rules::embedded().counts_toward_usage_rate(*verification, date!(2026 - 11 - 20))
        }
        _ => false,
    };
    let resolution = HandoffResolution {
        closed_as,
        note: "受付で確認".into(),
        staff: "suzuki".into(),
        resolved_at: datetime!(2026-11-20 11:00 +09:00),
    };
    store.resolve_handoff(id, &resolution, counts).unwrap();
}

fn typed(
    method: VerificationMethod,
    insurer: &str,
    symbol: Option<&str>,
    number: &str,
    branch: Option<&str>,
) -> ClosedAs {
    ClosedAs::Verified {
        verification: method,
        identity: None,
        read_off: Some(InsuranceNumbers {
            insurer_number: insurer.into(),
            symbol: symbol.map(Into::into),
            number: number.into(),
            branch: branch.map(Into::into),
            burden_ratio: None,
            valid_until: None,
        }),
    }
}

fn certificate(insurer: &str, number: &str) -> ClosedAs {
    typed(
        VerificationMethod::EligibilityCertificate,
        insurer,
        None,
        number,
        None,
    )
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn each_patient_counts_once_and_the_report_says_how_far_the_target_is() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("kiosk.db");
    let db_arg = db.to_str().unwrap();
    let mut logs = String::new();

    // Patient A (valid-3) three times by card, patient B (elderly-70) once, through the binary
    // with its most verbose logs. The first open of the new database makes the key file.
    for (gateway, repeat, day) in [("sim:valid-3", "3", "02"), ("sim:elderly-70", "1", "03")] {
        let patient = write_file(
            dir.path(),
            "card.json",
            &format!(r#"{{"visit_time": "2026-11-{day}T09:00:00+09:00", "steps": {CARD}}}"#),
        );
        let cli = uketsuke(
            &[
                "check-in",
                "--headless",
                "--reader",
                "sim:card",
                "--gateway",
                gateway,
                "--db",
                db_arg,
                "--patient",
                &patient,
                "--repeat",
                repeat,
            ],
            &[("UKETSUKE_LOG", "trace")],
        );
        assert_eq!(cli.code, Some(0), "{}", cli.stderr);
        logs.push_str(&cli.stdout);
        logs.push_str(&cli.stderr);
    }
    let key_file = key_file_for(&db);
    assert!(
        logs.contains("patient key file created") && logs.contains(key_file.to_str().unwrap()),
        "the log names the new key file: {logs}"
    );

    let store = Store::open(&db).unwrap();
    // B again with an iPhone: staff type B's numbers from the portal screen, full-width and
    // with a one-digit 枝番, as clerks do. One person, a card user.
    let portal = check_in(&store, "sim:iphone", "sim", r#"["tap"]"#, 10);
    close(
        &store,
        portal,
        typed(
            VerificationMethod::PortalScreenCheckedByStaff,
            "１３８２２２",
            Some("２３"),
            "４５６７８９０",
            Some("0"),
        ),
    );
    // C twice on paper (the numbers typed two ways), and E, F, G, H once each: bottom only.
    let c1 = check_in(&store, "sim:card", "sim", PAPER, 11);
    close(&store, c1, certificate("06132013", "52"));
    let c2 = check_in(&store, "sim:card", "sim", PAPER, 18);
    close(&store, c2, certificate("0613 2013", " 52 "));
    for (day, number) in [(12, "101"), (13, "102"), (16, "103"), (17, "104")] {
        let id = check_in(&store, "sim:card", "sim", PAPER, day);
        close(&store, id, certificate("39139998", number));
    }
    // Not countable: cancelled at the kiosk, closed as cancelled, closed unresolved.
    check_in(&store, "sim:card", "sim", r#"["tap", "cancel"]"#, 19);
    let gone = check_in(&store, "sim:card", "sim", PAPER, 19);
    close(&store, gone, ClosedAs::Cancelled);
    let unknown = check_in(&store, "sim:card", "sim", PAPER, 19);
    close(&store, unknown, ClosedAs::Unresolved);
    // Still waiting for staff: in neither count yet.
    check_in(&store, "sim:card", "sim", PAPER, 20);

    let keys = store.patient_keys_for_month(2026, 11).unwrap();
    store.close();

    let report = |format: &str| {
        let cli = uketsuke(
            &[
                "report", "--month", "2026-11", "--format", format, "--db", db_arg,
            ],
            &[("UKETSUKE_LOG", "trace")],
        );
        assert_eq!(cli.code, Some(0), "{}", cli.stderr);
        (cli.stdout, cli.stderr)
    };
    let (csv, csv_log) = report("csv");
    assert_eq!(
        csv,
        "\
month,category,確認方法,check_ins,counted_toward_usage_rate,share_percent
2026-11,card_via_reader,マイナ保険証（カード）,4,4,36.4
2026-11,smartphone_via_reader,マイナ保険証（スマホ）,0,0,0.0
2026-11,portal_screen_checked_by_staff,資格情報画面をスタッフが確認,1,0,9.1
2026-11,notice_with_card_checked_by_staff,カードと資格情報のお知らせをスタッフが確認,0,0,0.0
2026-11,eligibility_certificate,資格確認書,6,0,54.5
2026-11,expired_card_provisional,期限切れ保険証（暫定的な取扱い）,0,0,0.0
2026-11,self_declaration_form,被保険者資格申立書,0,0,0.0
2026-11,past_record,受付歴と口頭確認,0,0,0.0
2026-11,waiting_for_staff,対応待ち（利用率の計算に含めない）,1,0,
2026-11,unresolved_by_staff,確認できず,1,0,
2026-11,cancelled,取消,2,0,
2026-11,timed_out,時間切れ,0,0,
2026-11,usage_rate,マイナ保険証利用率（受付機の記録）,11,4,36.4
2026-11,usage_rate_per_person,人数で数えた利用率（マイナ保険証を使った人 ÷ 受付した人）,7,2,28.6
2026-11,not_countable,人数に数えられない受付,3,0,
2026-11,usage_rate_target,目標（電子的診療情報連携体制整備加算）,1,,30
"
    );
    let (table, table_log) = report("table");
    println!("{table}");
    for line in [
        "My Number usage-rate share: 4 / 11 = 36.4%",
        "My Number usage rate per person: 2 / 7 people = 28.6%  (the national formula for this month)",
        "a stand-in for receipts (レセプト件数), which only the receipt software knows",
        "not countable (no patient key)               3",
        "threshold 30% (電子的診療情報連携体制整備加算, from 2026-06-01): 1 more person using the card this month would reach it",
    ] {
        assert!(table.contains(line), "{line}\n{table}");
    }
    logs.push_str(&csv_log);
    logs.push_str(&table_log);

    // The secret is in its owner-only file and nowhere else: not in the database (main file
    // and WAL), not in any output or log, raw or as hex.
    let secret_hex = std::fs::read_to_string(&key_file).unwrap();
    let secret_hex = secret_hex.trim_end();
    assert_eq!(secret_hex.len(), 64);
    let secret: Vec<u8> = (0..32)
        .map(|i| u8::from_str_radix(&secret_hex[2 * i..2 * i + 2], 16).unwrap())
        .collect();
    let mut stored = std::fs::read(&db).unwrap();
    if let Ok(wal) = std::fs::read(dir.path().join("kiosk.db-wal")) {
        stored.extend(wal);
    }
    for (what, bytes) in [("database", &stored[..]), ("logs", logs.as_bytes())] {
        assert!(!contains(bytes, &secret), "raw secret in the {what}");
        assert!(
            !contains(bytes, secret_hex.as_bytes()),
            "hex secret in the {what}"
        );
        assert!(
            !contains(bytes, secret_hex.to_uppercase().as_bytes()),
            "hex secret in the {what}"
        );
    }
    assert!(contains(&stored, b"01130012"), "the scan sees stored data");

    // The keys: one per confirmed or closed check-in with numbers, 64 hex digits, never the
    // numbers themselves; A's three visits share one key, and B's card and portal visits too.
    let mut distinct: Vec<&String> = keys.values().collect();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), 7, "A, B, C, E, F, G, H: {keys:?}");
    for key in keys.values() {
        assert_eq!(key.len(), 64);
        assert!(
            key.bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        );
        for number in ["01130012", "138222", "4567890", "06132013", "39139998"] {
            assert!(!key.contains(number), "{key} holds {number}");
        }
    }
}

#[test]
fn a_database_with_keys_refuses_to_start_without_its_key_file() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("kiosk.db");
    let store = Store::open(&db).unwrap();
    check_in(&store, "sim:card", "sim", CARD, 2);
    store.close();
    let key_file = key_file_for(&db);
    std::fs::rename(&key_file, dir.path().join("elsewhere")).unwrap();

    let err = Store::open(&db).unwrap_err().to_string();
    assert!(
        err.contains(key_file.to_str().unwrap())
            && err.contains("count every returning patient twice"),
        "{err}"
    );
    assert!(
        !key_file.exists(),
        "no new secret is made for a database with keys"
    );
}
