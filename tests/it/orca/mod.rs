//! The ORCA harness: the fake ORCA (`uketsuke-fake-orca`, a real HTTP server in its own
//! process), facility files naming it, headless check-ins and the delivery worker
//! (`uketsuke deliver`) as real processes, and what the fake and the database say afterwards.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use uketsuke::delivery::Progress;
use uketsuke::store::Store;

/// The fake's user and password (its defaults).
pub const USER: &str = "ormaster";
pub const PASSWORD: &str = "ormaster123";

/// The card check-in the simulated reader and gateway complete (persona valid3: 照会番号
/// P-000123, kana ｼｹﾝ ｲﾁﾛｳ, born 1981-06-15). No visit time: today, as ORCA registers it.
pub const CARD_SCRIPT: &str = r#"{"steps": ["tap", {"pin": "1234"}, {"consent": "all"},
  {"high_cost_limit": true}, {"prescription": "electronic"}, "ok"]}"#;

/// The fake ORCA process; killed (SIGKILL) when dropped.
pub struct FakeOrca {
    child: Option<Child>,
    pub addr: String,
    pub state_file: PathBuf,
}

impl FakeOrca {
    /// Starts the fake on a free port with its state in `dir/orca-state.json`.
    pub fn start(dir: &Path, flags: &[&str]) -> FakeOrca {
        Self::start_at(dir, "127.0.0.1:0", flags)
    }

    /// Starts the fake at `addr` (a restart keeps the port and the state file).
    pub fn start_at(dir: &Path, addr: &str, flags: &[&str]) -> FakeOrca {
        let state_file = dir.join("orca-state.json");
        let mut child = Command::new(env!("CARGO_BIN_EXE_uketsuke-fake-orca"))
            .args(["--listen", addr, "--state"])
            .arg(&state_file)
            .args(flags)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the fake ORCA starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("piped"))
            .read_line(&mut line)
            .expect("the fake ORCA says where it listens");
        let addr = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line from the fake ORCA: {line:?}"))
            .to_owned();
        FakeOrca {
            child: Some(child),
            addr,
            state_file,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// SIGKILL, as a power cut or `kill -9` would.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// `GET /fake/state`: `{"receptions": [...], "register_calls": {Patient_ID: n}}`.
    pub fn state(&self) -> Value {
        ureq::get(&format!("{}/fake/state", self.url()))
            .call()
            .expect("the fake ORCA answers its state")
            .into_json()
            .expect("JSON")
    }

    /// How many receptions ORCA holds for `patient_id`.
    pub fn receptions_of(&self, patient_id: &str) -> usize {
        receptions_in(&self.state(), patient_id)
    }

    /// How many acceptmodv2 register calls came for `patient_id`.
    pub fn register_calls(&self, patient_id: &str) -> u64 {
        self.state()["register_calls"][patient_id]
            .as_u64()
            .unwrap_or(0)
    }
}

pub fn receptions_in(state: &Value, patient_id: &str) -> usize {
    state["receptions"].as_array().map_or(0, |r| {
        r.iter().filter(|r| r["patient_id"] == patient_id).count()
    })
}

impl Drop for FakeOrca {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Writes a facility file naming the ORCA at `url` (timeouts and retries short for tests)
/// with `extra` keys merged into `orca`, and the password file beside it.
pub fn facility(dir: &Path, url: &str, password: &str, extra: Value) -> PathBuf {
    let password_file = dir.join("orca-password");
    std::fs::write(&password_file, format!("{password}\n")).unwrap();
    let mut orca = serde_json::json!({
        "url": url,
        "user": USER,
        "password_file": password_file,
        "timeout_seconds": 2,
        "patient_match": "reference_number",
        "departments": {"01": "10001"},
        "retry_initial_seconds": 1,
        "retry_max_seconds": 2,
    });
    if let Value::Object(extra) = extra {
        for (k, v) in extra {
            orca[k] = v;
        }
    }
    let path = dir.join("facility.json");
    std::fs::write(&path, serde_json::json!({ "orca": orca }).to_string()).unwrap();
    path
}

/// One headless card check-in into `db` with the facility file; returns its id.
pub fn check_in(db: &Path, facility: &Path, gateway: &str) -> i64 {
    let dir = db.parent().unwrap();
    let script = dir.join("card.json");
    std::fs::write(&script, CARD_SCRIPT).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_uketsuke"))
        .args([
            "check-in",
            "--headless",
            "--reader",
            "sim:card",
            "--gateway",
            gateway,
        ])
        .arg("--db")
        .arg(db)
        .arg("--facility")
        .arg(facility)
        .arg("--patient")
        .arg(&script)
        .env_remove("UKETSUKE_LOG")
        .output()
        .expect("the uketsuke binary runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "check-in failed: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line: Value = serde_json::from_str(&stdout).expect("the check-in as JSON");
    assert!(line["outcome"].to_string().contains("completed"), "{line}");
    line["id"].as_i64().expect("the check-in's id")
}

/// `uketsuke deliver --once`: (exit code, stdout, stderr).
pub fn deliver_once(db: &Path, facility: &Path) -> (Option<i32>, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_uketsuke"))
        .arg("deliver")
        .arg("--db")
        .arg(db)
        .arg("--facility")
        .arg(facility)
        .arg("--once")
        .env_remove("UKETSUKE_LOG")
        .output()
        .expect("the uketsuke binary runs");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// `uketsuke deliver` running until killed (SIGKILL when dropped).
pub fn deliver(db: &Path, facility: &Path) -> crate::processes::Killed {
    crate::processes::Killed(
        Command::new(env!("CARGO_BIN_EXE_uketsuke"))
            .arg("deliver")
            .arg("--db")
            .arg(db)
            .arg("--facility")
            .arg(facility)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("uketsuke deliver starts"),
    )
}

/// The check-in's delivery record as the store holds it (a fresh read each time).
pub fn progress(db: &Path, check_in_id: i64) -> Progress {
    let store = Store::open(db).unwrap();
    let mut d = store.orca_deliveries(vec![check_in_id]).unwrap();
    store.close();
    assert_eq!(d.len(), 1, "one ORCA entry for check-in {check_in_id}");
    d.remove(0).progress
}

/// Polls `ok` every 100 ms for up to 60 s (a generous bound, never a timing assertion).
pub fn eventually(what: &str, mut ok: impl FnMut() -> bool) {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(60) {
        if ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("not within 60 s: {what}");
}
