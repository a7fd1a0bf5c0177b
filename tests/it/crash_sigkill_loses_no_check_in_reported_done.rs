//! A child process runs check-ins back to back and prints each one only after its commit
//! returned. We kill it with SIGKILL at random points, hundreds of times. After every kill the
//! database must pass `PRAGMA integrity_check`, and every check-in the child reported done must
//! be there, whole.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use rand::{Rng, SeedableRng};
use rusqlite::Connection;

const KILLS: usize = 200;

const SCRIPT_CARD: &str = r#"{"visit_time": "2026-11-21T10:00:00+09:00",
  "steps": ["tap", {"pin": "1234"}, {"consent": "all"}, {"high_cost_limit": true},
            {"prescription": "electronic"}, "ok"]}"#;
const SCRIPT_PHONE: &str = r#"{"visit_time": "2026-11-21T10:00:00+09:00", "steps": ["tap", "ok"]}"#;

fn spawn(db: &std::path::Path, script: &std::path::Path, reader: &str) -> Child {
    Command::new(env!("CARGO_BIN_EXE_uketsuke"))
        .args([
            "check-in",
            "--headless",
            "--gateway",
            "sim",
            "--repeat",
            "1000000",
        ])
        .arg("--reader")
        .arg(reader)
        .arg("--db")
        .arg(db)
        .arg("--patient")
        .arg(script)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the uketsuke binary starts")
}

/// Check-in ids the child printed, delivered as they come.
fn reported_ids(child: &mut Child) -> mpsc::Receiver<i64> {
    let stdout = child.stdout.take().expect("stdout is piped");
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            // A line cut by the kill is not a report.
            if let Ok(value) = serde_json::from_str::<serde_json::Value>(&line)
                && let Some(id) = value.get("id").and_then(|v| v.as_i64())
                && tx.send(id).is_err()
            {
                break;
            }
        }
    });
    rx
}

#[test]
fn sigkill_at_random_points_loses_no_check_in_reported_done() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("kiosk.db");
    let card = dir.path().join("card.json");
    let phone = dir.path().join("phone.json");
    std::fs::write(&card, SCRIPT_CARD).unwrap();
    std::fs::write(&phone, SCRIPT_PHONE).unwrap();
    let seed: u64 = std::env::var("CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20261121);
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let mut reported: BTreeSet<i64> = BTreeSet::new();
    let mut read_after_kill = 0;

    for kill in 0..KILLS {
        let (script, reader) = if kill % 2 == 0 {
            (&card, "sim:card")
        } else {
            (&phone, "sim:iphone")
        };
        let mut child = spawn(&db, script, reader);
        let ids = reported_ids(&mut child);
        // Let a random number of check-ins be reported, then kill a random moment later, so
        // kills land before, during and between commits.
        let wait_for = rng.gen_range(0..4);
        let mut seen = 0;
        while seen < wait_for {
            match ids.recv_timeout(Duration::from_secs(60)) {
                Ok(id) => {
                    reported.insert(id);
                    seen += 1;
                }
                Err(e) => panic!("kill {kill}: child stopped reporting: {e}"),
            }
        }
        thread::sleep(Duration::from_micros(rng.gen_range(0..20_000)));
        child.kill().expect("SIGKILL");
        child.wait().unwrap();
        // Everything printed before death was reported done.
        while let Ok(id) = ids.recv_timeout(Duration::from_millis(200)) {
            reported.insert(id);
            read_after_kill += 1;
        }

        let conn = Connection::open(&db).unwrap();
        let integrity: String = conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(integrity, "ok", "kill {kill}: integrity_check");
        let present: BTreeSet<i64> = conn
            .prepare("SELECT id FROM check_ins")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let lost: Vec<_> = reported.difference(&present).collect();
        assert!(
            lost.is_empty(),
            "kill {kill}: reported done but lost: {lost:?}"
        );
        // Whole, not half: every reported check-in has its consent row and audit entry.
        for id in &reported {
            let audited: i64 = conn
                .query_row(
                    "SELECT COUNT(*) FROM audit_log WHERE check_in_id = ?1",
                    [id],
                    |r| r.get(0),
                )
                .unwrap();
            assert!(
                audited >= 1,
                "kill {kill}: check-in {id} has no audit entry"
            );
        }
    }

    let store = uketsuke::store::Store::open(&db).unwrap();
    assert_eq!(store.integrity_check().unwrap(), "ok");
    let total = reported.len();
    assert!(
        total >= KILLS / 2,
        "too few check-ins to mean anything: {total}"
    );
    println!(
        "crash test: survived {KILLS} SIGKILLs (seed {seed}); {total} check-ins reported done, \
         all present ({read_after_kill} of them read from the pipe after the kill); integrity ok"
    );
}
