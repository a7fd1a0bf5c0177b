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

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::processes::Killed;

/// One PostgreSQL cluster, stopped (immediately) when dropped.
pub struct Postgres {
    dir: tempfile::TempDir,
    bin: PathBuf,
    port: u16,
    /// Run the server's tools as this user (`postgres` when we are root).
    run_as: Option<String>,
}

/// The newest `/usr/lib/postgresql/N/bin` that has `initdb`.
fn server_bin() -> Option<PathBuf> {
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|e| {
            let v: u32 = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((v, bin))
        })
        .collect();
    found.sort();
    found.pop().map(|(_, b)| b)
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}

impl Postgres {
    /// Starts a fresh cluster with a database `uketsuke`; `None` (skipped, with a note) when
    /// the server is not installed and CI is not set.
    pub fn start(test: &str) -> Option<Postgres> {
        let Some(bin) = server_bin() else {
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!(
                    "{test}: PostgreSQL's server is not installed (no /usr/lib/postgresql/*/bin/initdb): run `bash scripts/deps test`"
                );
            }
            eprintln!("{test}: skipped: PostgreSQL's server is not installed");
            return None;
        };
        let dir = tempfile::Builder::new()
            .prefix("uketsuke-pg-")
            .tempdir_in("/tmp")
            .expect("a temporary folder");
        let run_as = is_root().then(|| "postgres".to_owned());
        if run_as.is_some() {
            let out = Command::new("chown")
                .arg("postgres:postgres")
                .arg(dir.path())
                .output()
                .expect("chown runs");
            assert!(out.status.success(), "chown: {out:?}");
        }
        let pg = Postgres {
            dir,
            bin,
            port: free_port(),
            run_as,
        };
        let data = pg.data();
        pg.tool(
            "initdb",
            &[
                "-D",
                data.to_str().unwrap(),
                "-U",
                "postgres",
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-locale",
                "--no-sync",
            ],
        );
        pg.start_server();
        pg.psql("postgres", "CREATE DATABASE uketsuke");
        Some(pg)
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// Runs one of the server's tools (as `postgres` when root); panics with its output if it
    /// fails.
    fn tool(&self, name: &str, args: &[&str]) -> String {
        let program = self.bin.join(name);
        let mut cmd = match &self.run_as {
            Some(user) => {
                let mut c = Command::new("runuser");
                c.args(["-u", user, "--"]).arg(&program);
                c
            }
            None => Command::new(&program),
        };
        let out = cmd
            .args(args)
            .current_dir(self.dir.path())
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("{} cannot run: {e}", program.display()));
        assert!(
            out.status.success(),
            "{name} {args:?} failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn start_server(&self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c max_connections=200",
            self.port,
            self.dir.path().display()
        );
        let data = self.data();
        let log = self.dir.path().join("server.log");
        self.tool(
            "pg_ctl",
            &[
                "-D",
                data.to_str().unwrap(),
                "-l",
                log.to_str().unwrap(),
                "-o",
                &options,
                "-w",
                "-t",
                "60",
                "start",
            ],
        );
    }

    /// Stops the server at once, as a power cut or a crash would (`pg_ctl stop -m immediate`).
    pub fn stop(&self) {
        let data = self.data();
        self.tool(
            "pg_ctl",
            &[
                "-D",
                data.to_str().unwrap(),
                "-m",
                "immediate",
                "-w",
                "stop",
            ],
        );
    }

    /// Starts the stopped server again on the same port.
    pub fn restart(&self) {
        self.start_server();
    }

    /// The URL kiosks are given (no password: trust authentication on loopback).
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/uketsuke", self.port)
    }

    /// Runs SQL through `psql` against database `db`; returns its unaligned output.
    pub fn psql(&self, db: &str, sql: &str) -> String {
        let port = self.port.to_string();
        self.tool(
            "psql",
            &[
                "-h",
                "127.0.0.1",
                "-p",
                &port,
                "-U",
                "postgres",
                "-d",
                db,
                "-X",
                "-A",
                "-t",
                "-v",
                "ON_ERROR_STOP=1",
                "-c",
                sql,
            ],
        )
    }

    /// A client for the test's own queries.
    pub fn client(&self) -> postgres::Client {
        postgres::Client::connect(&self.url(), postgres::NoTls).expect("the test connects")
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        let data = self.data();
        let program = self.bin.join("pg_ctl");
        let mut cmd = match &self.run_as {
            Some(user) => {
                let mut c = Command::new("runuser");
                c.args(["-u", user, "--"]).arg(&program);
                c
            }
            None => Command::new(&program),
        };
        let _ = cmd
            .args([
                "-D",
                data.to_str().unwrap(),
                "-m",
                "immediate",
                "-w",
                "stop",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

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
