//! A real PostgreSQL server for the central-database tests (issue 19): Debian's `postgresql`
//! package (`.ci/run` installs it through `scripts/deps test`), one throwaway cluster per test
//! in a temporary folder, on its own loopback port, so a test may stop and start its server
//! (the outage test) without touching another's. As root (CI) the server runs as the `postgres`
//! user, as PostgreSQL requires.
//!
//! With CI=true a missing server fails the test; elsewhere the test is skipped with a note.
//! Also: kiosks as processes (`uketsuke check-in --headless --repeat` and `uketsuke deliver`),
//! each with its own database and facility file naming the server.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::processes::Killed;

mod server;
pub use server::Postgres;

/// A patient script: a card check-in that completes (visit on `visit`).
pub fn card_script(visit: &str) -> String {
    format!(
        r#"{{"visit_time": "{visit}",
  "steps": ["tap", {{"pin": "1234"}}, {{"consent": "all"}}, {{"high_cost_limit": true}},
            {{"prescription": "electronic"}}, "ok"]}}"#
    )
}

/// One kiosk: its own folder, database and facility file naming the central database.
pub struct KioskRig {
    pub id: String,
    pub dir: tempfile::TempDir,
    pub db: PathBuf,
    pub facility: PathBuf,
    pub script: PathBuf,
}

impl KioskRig {
    /// A kiosk `id` delivering to `url`, its database made (so `deliver` can start at once).
    pub fn new(id: &str, url: &str) -> KioskRig {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("uketsuke.db");
        let facility = dir.path().join("facility.json");
        std::fs::write(
            &facility,
            serde_json::json!({
                "kiosk_name": format!("kiosk {id}"),
                "central": {
                    "url": url,
                    "kiosk_id": id,
                    "timeout_seconds": 2,
                    "retry_initial_seconds": 1,
                    "retry_max_seconds": 2
                }
            })
            .to_string(),
        )
        .unwrap();
        let script = dir.path().join("patient.json");
        std::fs::write(&script, card_script("2026-11-21T10:00:00+09:00")).unwrap();
        uketsuke::store::Store::open(&db).unwrap().close();
        KioskRig {
            id: id.to_owned(),
            dir,
            db,
            facility,
            script,
        }
    }

    /// `uketsuke check-in --headless --repeat n` with the simulated card, running.
    pub fn check_in(&self, n: u64) -> Killed {
        Killed(
            Command::new(env!("CARGO_BIN_EXE_uketsuke"))
                .args([
                    "check-in",
                    "--headless",
                    "--gateway",
                    "sim",
                    "--reader",
                    "sim:card",
                ])
                .arg("--repeat")
                .arg(n.to_string())
                .arg("--db")
                .arg(&self.db)
                .arg("--facility")
                .arg(&self.facility)
                .arg("--patient")
                .arg(&self.script)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("uketsuke check-in starts"),
        )
    }

    /// `uketsuke deliver` for this kiosk, running until killed.
    pub fn deliver(&self) -> Killed {
        Killed(
            Command::new(env!("CARGO_BIN_EXE_uketsuke"))
                .arg("deliver")
                .arg("--db")
                .arg(&self.db)
                .arg("--facility")
                .arg(&self.facility)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("uketsuke deliver starts"),
        )
    }

    /// The kiosk's outbox ids (wire v1), in order, read without writing.
    pub fn outbox_ids(&self) -> Vec<i64> {
        let conn = rusqlite::Connection::open_with_flags(
            &self.db,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        )
        .unwrap();
        conn.busy_timeout(Duration::from_secs(10)).unwrap();
        conn.prepare("SELECT id FROM outbox WHERE wire_version = 1 ORDER BY id")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    }

    /// Check-ins in the kiosk's database.
    pub fn check_in_count(&self) -> i64 {
        let conn = rusqlite::Connection::open_with_flags(
            &self.db,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        )
        .unwrap();
        conn.busy_timeout(Duration::from_secs(10)).unwrap();
        conn.query_row("SELECT count(*) FROM check_ins", [], |r| r.get(0))
            .unwrap()
    }

    /// Entries waiting for the central database.
    pub fn lag(&self) -> uketsuke::store::CentralLag {
        uketsuke::store::central_lag_of(&self.db).unwrap()
    }
}

/// The sequences (outbox ids) the central database holds for `kiosk`, in order of arrival.
pub fn central_seqs(client: &mut postgres::Client, kiosk: &str) -> Vec<i64> {
    client
        .query(
            "SELECT seq FROM outbox_entries WHERE kiosk_id = $1 ORDER BY arrival",
            &[&kiosk],
        )
        .map(|rows| rows.iter().map(|r| r.get(0)).collect())
        .unwrap_or_default()
}

/// Polls `ok` every 200 ms for up to `limit` (a generous bound, never a timing assertion).
pub fn eventually(what: &str, limit: Duration, mut ok: impl FnMut() -> bool) {
    let start = Instant::now();
    while start.elapsed() < limit {
        if ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    panic!("{what}: not within {} s", limit.as_secs());
}

/// `uketsuke ARGS`: (exit code, stdout, stderr).
pub fn uketsuke(args: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_uketsuke"))
        .args(args)
        .env_remove("UKETSUKE_LOG")
        .output()
        .expect("the uketsuke binary runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A path as &str.
pub fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}
