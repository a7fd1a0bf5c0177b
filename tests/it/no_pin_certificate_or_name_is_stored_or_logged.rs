//! Store the minimum: no PIN, no certificate, no name and no birth date reaches the database
//! file (main file and WAL), the printed record, or the logs at their most verbose; and the
//! schema has no column that could hold one.

use crate::common;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock};

use common::{CONSENT, HAPPY, Kiosk, script, uketsuke, write_file};
use uketsuke::card::sim::{SimOptions, SimProfile, SimulatedCard};
use uketsuke::domain::{ClosedAs, HandoffReason, HandoffResolution, Outcome, Pin};

/// The patient's PIN in these scenarios, and a wrong one they type first.
const PIN: &str = "4821";
const WRONG_PIN: &str = "7395";

/// The valid-3 persona's made-up name and birth date, which the gateway knows.
const PERSONA_NAME_PARTS: [&str; 3] = ["試験 一郎", "試験", "一郎"];
const PERSONA_BIRTH_DATE: &str = "1981-06-15";

// ----- what must not appear -----

fn hex_upper_spaced(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(" ")
}

fn hex_lower(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
        }
    }
    out
}

/// Byte strings that would betray the card's certificate in any usual encoding: raw DER
/// pieces (its start and a window inside the public key), hex, base64, a Rust byte-list
/// debug print, and its subject's text.
fn certificate_needles(label: &str) -> Vec<(String, Vec<u8>)> {
    let der = &uketsuke::pki::test_identity(label).certificate.0;
    assert!(der.len() > 600, "an RSA-2048 certificate");
    let head = &der[..48];
    // Well inside the subject public key (the modulus), unique to this identity.
    let middle = &der[der.len() / 2..der.len() / 2 + 32];
    let debug_list = format!(
        "{:?}",
        &der[..12].iter().map(|b| u32::from(*b)).collect::<Vec<_>>()
    );
    let debug_list = debug_list.trim_end_matches(']').to_owned();
    vec![
        ("DER head".into(), head.to_vec()),
        ("DER middle".into(), middle.to_vec()),
        ("hex head".into(), hex_upper_spaced(head).into_bytes()),
        ("hex middle".into(), hex_upper_spaced(middle).into_bytes()),
        ("hex lower head".into(), hex_lower(head).into_bytes()),
        ("hex lower middle".into(), hex_lower(middle).into_bytes()),
        ("base64 head".into(), base64(head).into_bytes()),
        ("byte list".into(), debug_list.into_bytes()),
        (
            "subject".into(),
            format!("uketsuke test holder {label}").into_bytes(),
        ),
    ]
}

fn personal_needles(pins: &[&str]) -> Vec<(String, Vec<u8>)> {
    let mut needles: Vec<(String, Vec<u8>)> = pins
        .iter()
        .map(|p| (format!("PIN {p}"), p.as_bytes().to_vec()))
        .collect();
    for part in PERSONA_NAME_PARTS {
        needles.push((format!("name {part}"), part.as_bytes().to_vec()));
    }
    needles.push(("birth date".into(), PERSONA_BIRTH_DATE.as_bytes().to_vec()));
    needles.push(("birth date (compact)".into(), b"19810615".to_vec()));
    needles.extend(certificate_needles("card"));
    needles
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn assert_absent(where_: &str, haystack: &[u8], needles: &[(String, Vec<u8>)]) {
    for (what, needle) in needles {
        if let Some(at) = find(haystack, needle) {
            let from = at.saturating_sub(80);
            let to = (at + needle.len() + 80).min(haystack.len());
            panic!(
                "{what} found in {where_} at byte {at}: …{}…",
                String::from_utf8_lossy(&haystack[from..to])
            );
        }
    }
}

/// The database file and its WAL (whichever exist), concatenated.
fn database_bytes(db: &Path) -> Vec<u8> {
    let mut bytes = std::fs::read(db).expect("the database file exists");
    let wal = db.with_extension("db-wal");
    if let Ok(more) = std::fs::read(&wal) {
        bytes.extend_from_slice(&more);
    }
    bytes
}

/// Log lines without ANSI colours and without their leading timestamps (whose digits are the
/// clock's, not the patient's).
fn without_timestamps(log: &str) -> String {
    let mut plain = String::new();
    let mut chars = log.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for d in chars.by_ref() {
                if d.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            plain.push(c);
        }
    }
    plain
        .lines()
        .map(|line| match line.split_once(' ') {
            Some((first, rest)) if first.starts_with("20") && first.ends_with('Z') => rest,
            _ => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

// ----- in process: every log line at TRACE, and the database while it is open -----

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Every event from every thread (the store has its own), at TRACE, without timestamps.
fn captured_logs() -> &'static Captured {
    static LOGS: OnceLock<Captured> = OnceLock::new();
    LOGS.get_or_init(|| {
        let logs = Captured::default();
        let writer = logs.clone();
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .without_time()
            .with_writer(move || writer.clone())
            .init();
        logs
    })
}

fn patient_card() -> SimulatedCard {
    SimulatedCard::new(
        SimProfile::MyNumberCard,
        SimOptions {
            pin: Pin::parse(PIN).expect("four digits"),
            ..SimOptions::default()
        },
    )
}

#[test]
fn nothing_personal_is_stored_or_logged_in_process() {
    let logs = captured_logs();
    tracing::info!("capture started");
    let mut kiosk = Kiosk::new("card", "valid-3", None);
    // A name for the card that says nothing about it.
    kiosk.driver.reader.insert("patient", patient_card());

    // A wrong PIN, the right one, and a completed check-in with an eligibility answer.
    let first = kiosk.run_ok(&script(&format!(
        r#"[{{"tap": "patient"}}, {{"pin": "{WRONG_PIN}"}}, {{"pin": "{PIN}"}},
            {{"consent": "all"}}, {{"high_cost_limit": true}}, {{"prescription": "electronic"}}]"#
    )));
    assert_eq!(first.record.outcome, Outcome::Completed);
    assert_eq!(first.record.wrong_pin_entries, 1);
    assert!(first.record.eligibility.is_some());

    // A second patient: the card leaves mid-way and the PIN is typed while it is away.
    kiosk.step_ok(r#""ok""#);
    kiosk.step_ok(r#"{"tap": "patient"}"#);
    kiosk.step_ok(r#""remove""#);
    kiosk.step_ok(&format!(r#"{{"pin": "{PIN}"}}"#));
    kiosk.step_ok(r#"{"tap": "patient"}"#);
    let second = kiosk.run_ok(&script(CONSENT));
    assert_eq!(second.record.outcome, Outcome::Completed);

    // A third who walks away after the PIN: the timed-out record keeps nothing either.
    kiosk.wait(60);
    kiosk.step_ok(r#"{"tap": "patient"}"#);
    kiosk.step_ok(&format!(r#"{{"pin": "{PIN}"}}"#));
    kiosk.wait(200);
    assert!(matches!(
        kiosk.last_stored().record.outcome,
        Outcome::TimedOut { .. }
    ));
    assert_eq!(kiosk.committed_count(), 3);
    assert_eq!(
        kiosk.thing("patient").verify_count,
        4,
        "the PINs did reach the card"
    );

    let needles = personal_needles(&[PIN, WRONG_PIN]);
    let log = logs
        .0
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone();
    assert!(
        String::from_utf8_lossy(&log).contains("capture started"),
        "the capture works"
    );
    assert!(
        log.len() > 1000,
        "TRACE logs were written: {} bytes",
        log.len()
    );
    assert_absent("the TRACE logs", &log, &needles);

    // The database while open: the main file and the WAL with the fresh commits.
    let bytes = database_bytes(&kiosk.db_path);
    assert!(
        find(&bytes, b"01130012").is_some(),
        "the scan sees the stored insurer number, so it would see the rest"
    );
    assert_absent("the database", &bytes, &needles);

    // And what the store gives back as JSON (the outbox payload and the CLI print this).
    for stored in kiosk.rows_in_month(2026, 11) {
        let json = serde_json::to_vec(&stored).expect("serialises");
        assert_absent("a stored check-in as JSON", &json, &needles);
    }
}

#[test]
fn the_scan_would_find_a_certificate_in_any_usual_encoding() {
    // The detector itself: each needle is found where the certificate was written down.
    let der = uketsuke::pki::test_identity("card").certificate.0.clone();
    let dumps: Vec<Vec<u8>> = vec![
        der.clone(),
        hex_upper_spaced(&der).into_bytes(),
        hex_lower(&der).into_bytes(),
        base64(&der).into_bytes(),
        format!("{der:?}").into_bytes(),
    ];
    let needles = certificate_needles("card");
    for (i, dump) in dumps.iter().enumerate() {
        assert!(
            needles.iter().any(|(_, n)| find(dump, n).is_some()),
            "dump {i} not detected"
        );
    }
    assert_eq!(base64(b"Man"), "TWFu");
    assert_eq!(base64(b"Ma"), "TWE");
    assert_eq!(
        without_timestamps("\u{1b}[2m2026-11-21T01:02:03.482100Z\u{1b}[0m DEBUG x: y=1"),
        "DEBUG x: y=1"
    );
}

// ----- through the command line, as deployed -----

fn columns(db: &Path) -> BTreeMap<String, Vec<(String, String)>> {
    let conn =
        rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .expect("the database opens read-only");
    let mut tables = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        .expect("sqlite_master");
    let names: Vec<String> = tables
        .query_map([], |row| row.get(0))
        .expect("tables")
        .collect::<Result<_, _>>()
        .expect("table names");
    names
        .into_iter()
        .map(|table| {
            let mut info = conn
                .prepare(&format!("PRAGMA table_info(\"{table}\")"))
                .expect("table_info");
            let cols: Vec<(String, String)> = info
                .query_map([], |row| Ok((row.get(1)?, row.get(2)?)))
                .expect("columns")
                .collect::<Result<_, _>>()
                .expect("column names");
            (table, cols)
        })
        .collect()
}

#[test]
fn the_schema_has_no_column_for_a_pin_a_name_a_birth_date_or_a_certificate() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let db = dir.path().join("kiosk.db");
    drop(uketsuke::store::Store::open(&db).expect("a fresh database"));
    let tables = columns(&db);
    assert!(tables.contains_key("check_ins"), "{tables:?}");
    // Counts and flags about these things are fine; values are not.
    let allowed = ["wrong_pin_entries", "name_contains_black_circle"];
    let forbidden = [
        "pin",
        "name",
        "kana",
        "birth",
        "born",
        "dob",
        "cert",
        "certificate",
        "der",
        "signature",
        "individual",
        "my_number",
        "mynumber",
        "address",
        "phone",
    ];
    for (table, cols) in &tables {
        if table == "staff_accounts" || table == "central_staff" {
            // The staff's own sign-in and display names, not a patient's; `central_staff`
            // holds only the lock ends the central database gave (`kiosk_pin_locked_until`
            // is a time, not a PIN).
            continue;
        }
        if table == "handoffs" {
            // The one place a name may stand, and only while the handoff is open: the table
            // refuses a closed handoff that still holds one (see the test below).
            let sql = table_sql(&db, "handoffs");
            for column in ["patient_name", "patient_name_kana"] {
                assert!(
                    sql.contains(&format!("CHECK ({column} IS NULL OR resolved_at IS NULL)")),
                    "{sql}"
                );
            }
        }
        for (column, kind) in cols {
            let lower = column.to_lowercase();
            let words: Vec<&str> = lower.split('_').collect();
            // Whole words, and longer stems glued to another word ("birthdate", "certder").
            let hit = forbidden
                .iter()
                .find(|f| words.contains(f) || (f.len() > 4 && lower.contains(*f)));
            if let Some(word) = hit {
                if table == "handoffs" && column.starts_with("patient_name") {
                    continue;
                }
                if table == "department_list" && column == "name" {
                    // A department's name (内科) from ORCA's list, not a person's.
                    continue;
                }
                assert!(
                    allowed.contains(&column.as_str()),
                    "{table}.{column} looks like it holds a {word}"
                );
                assert_eq!(kind, "INTEGER", "{table}.{column} is a count or a flag");
            }
        }
    }
}

fn table_sql(db: &Path, table: &str) -> String {
    let conn = rusqlite::Connection::open(db).expect("open the database");
    conn.query_row(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?1",
        [table],
        |r| r.get(0),
    )
    .expect("the table's SQL")
}

/// The newer-exists persona's made-up name: "●" and markup-like characters.
const ODD_NAME: &str = "試験 <b>夏●美</b> & \"Co\"";

#[test]
fn a_handoff_keeps_the_name_only_until_staff_close_it_and_then_not_even_in_the_wal() {
    let mut kiosk = Kiosk::new("card", "newer-exists", None);
    let (first, _) = kiosk.run_until_recorded(HAPPY);
    let (second, _) = kiosk.run_until_recorded(HAPPY);
    for stored in [&first, &second] {
        assert_eq!(
            stored.record.outcome,
            Outcome::HandedToStaff {
                reason: HandoffReason::EligibilityInvalid
            }
        );
        let name = stored
            .record
            .patient_name
            .as_ref()
            .expect("a name for staff");
        assert_eq!(name.name, ODD_NAME, "kept exactly as the result spells it");
    }
    // The scan finds the name while staff still need it, so its absence later means something.
    let needle = [("name".to_owned(), ODD_NAME.as_bytes().to_vec())];
    assert!(find(&database_bytes(&kiosk.db_path), ODD_NAME.as_bytes()).is_some());

    let resolution = |staff: &str| HandoffResolution {
        closed_as: ClosedAs::Unresolved,
        note: "patient went to the municipal office".to_owned(),
        staff: staff.to_owned(),
        resolved_at: second.record.finished_at,
    };
    kiosk
        .store
        .resolve_handoff(first.id, &resolution("sato"), false)
        .expect("resolve the first");
    assert_eq!(
        kiosk
            .store
            .check_in(first.id)
            .unwrap()
            .unwrap()
            .record
            .patient_name,
        None
    );
    assert!(
        kiosk
            .store
            .check_in(second.id)
            .unwrap()
            .unwrap()
            .record
            .patient_name
            .is_some(),
        "the other open handoff keeps its name"
    );

    // A handoff nobody closed loses the name after its visit day.
    let visit = second.record.visit_date;
    assert_eq!(
        kiosk
            .store
            .forget_names_before(visit, second.record.finished_at)
            .unwrap(),
        0,
        "not on the day itself"
    );
    let next_day = visit.succ_opt().unwrap();
    assert_eq!(
        kiosk
            .store
            .forget_names_before(next_day, second.record.finished_at)
            .unwrap(),
        1
    );
    assert_eq!(
        kiosk
            .store
            .check_in(second.id)
            .unwrap()
            .unwrap()
            .record
            .patient_name,
        None
    );
    let audit = kiosk.store.audit_log(10).unwrap();
    assert!(
        audit
            .iter()
            .any(|e| e.action == "patient_name_forgotten" && e.check_in_id == Some(second.id)),
        "{audit:?}"
    );
    assert_absent(
        "database and WAL after closing",
        &database_bytes(&kiosk.db_path),
        &needle,
    );
}

/// Another program reading the database (a backup, the console in another process) can block
/// the checkpoint that clears an erased name out of the WAL. The name then stays there only
/// until the reader is done: the next check-in, or the hourly name erasure, tries again.
#[test]
fn an_erased_name_blocked_in_the_wal_by_a_reader_is_cleared_once_the_reader_is_done() {
    let mut kiosk = Kiosk::new("card", "newer-exists", None);
    let (handoff, _) = kiosk.run_until_recorded(HAPPY);
    assert!(find(&database_bytes(&kiosk.db_path), ODD_NAME.as_bytes()).is_some());

    // A reader holds a snapshot from before the erasure.
    let reader = rusqlite::Connection::open(&kiosk.db_path).unwrap();
    reader.execute_batch("BEGIN").unwrap();
    let _: i64 = reader
        .query_row("SELECT count(*) FROM handoffs", [], |r| r.get(0))
        .unwrap();
    kiosk
        .store
        .resolve_handoff(
            handoff.id,
            &HandoffResolution {
                closed_as: ClosedAs::Unresolved,
                note: "patient went home".to_owned(),
                staff: "sato".to_owned(),
                resolved_at: handoff.record.finished_at,
            },
            false,
        )
        .expect("closing works with a reader present");
    assert!(
        find(&database_bytes(&kiosk.db_path), ODD_NAME.as_bytes()).is_some(),
        "the reader really blocked the checkpoint (else this test proves nothing)"
    );

    reader.execute_batch("COMMIT").unwrap();
    drop(reader);
    // The hourly erasure finds no stale name, but retries the checkpoint left pending.
    let visit = handoff.record.visit_date;
    assert_eq!(
        kiosk
            .store
            .forget_names_before(visit, handoff.record.finished_at)
            .unwrap(),
        0
    );
    assert_absent(
        "database and WAL once the reader is done",
        &database_bytes(&kiosk.db_path),
        &[("name".to_owned(), ODD_NAME.as_bytes().to_vec())],
    );
}

#[test]
fn the_cli_prints_and_stores_nothing_personal() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let db = dir.path().join("kiosk.db");
    let db_arg = db.to_str().expect("UTF-8 path");
    let patient = write_file(
        dir.path(),
        "patient.json",
        &script(&format!(
            r#"[{{"tap": "card,pin={PIN}"}}, {{"pin": "{WRONG_PIN}"}}, {{"pin": "{PIN}"}},
                {{"consent": "all"}}, {{"high_cost_limit": true}}, {{"prescription": "electronic"}}]"#
        )),
    );
    let cli = uketsuke(
        &[
            "check-in",
            "--headless",
            "--reader",
            "sim:card",
            "--gateway",
            "sim:valid-3",
            "--db",
            db_arg,
            "--patient",
            &patient,
        ],
        &[("UKETSUKE_LOG", "trace")],
    );
    assert_eq!(cli.code, Some(0), "{}", cli.stderr);
    let record: serde_json::Value = serde_json::from_str(&cli.stdout).expect("a JSON record");
    assert_eq!(record["outcome"]["kind"], "completed");
    assert_eq!(record["wrong_pin_entries"], 1);
    assert!(
        cli.stderr.contains("TRACE") || cli.stderr.contains("DEBUG"),
        "verbose logs on"
    );

    let needles = personal_needles(&[PIN, WRONG_PIN]);
    assert_absent("stdout", cli.stdout.as_bytes(), &needles);
    // Both the typed PINs and the PIN configured into the simulated card (`card,pin=...`).
    let in_logs = personal_needles(&[PIN, WRONG_PIN]);
    assert_absent(
        "stderr at TRACE",
        without_timestamps(&cli.stderr).as_bytes(),
        &in_logs,
    );
    let bytes = database_bytes(&db);
    assert!(
        find(&bytes, b"01130012").is_some(),
        "the scan sees stored data"
    );
    assert_absent("the database", &bytes, &personal_needles(&[PIN, WRONG_PIN]));
    for table in columns(&db).keys() {
        assert!(!table.contains("pin") && !table.contains("cert"), "{table}");
    }
}
