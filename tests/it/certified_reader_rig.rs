//! A terminal folder with the fake eligibility terminal (`uketsuke-fake-oqs-terminal`, a
//! process), and kiosks checking in through it with `uketsuke check-in --headless --gateway
//! oqs:DIR` (also processes). A kiosk's waiting marker (`DIR/.uketsuke/*-N.waiting`, see
//! `src/gateway/oqs.rs`) tells the test when its N-th wait has begun, so a file is written
//! after that moment without any sleep.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

/// The facility's 医療機関コード in these tests (a valid one: Luhn, prefecture 01).
pub const CODE: &str = "0110113719";

/// The longest any wait here may take before the test gives up (never reached when it works).
const PATIENCE: Duration = Duration::from_secs(120);

pub struct Terminal {
    pub dir: TempDir,
}

impl Terminal {
    pub fn new() -> Terminal {
        let dir = tempfile::tempdir().expect("a temporary folder");
        for sub in ["face", "req", "res"] {
            std::fs::create_dir_all(dir.path().join("oqs").join(sub)).unwrap();
        }
        Terminal { dir }
    }

    pub fn root(&self) -> PathBuf {
        self.dir.path().join("oqs")
    }

    /// Writes a facility file (`name`) for a kiosk called `kiosk` with the reader's settings.
    /// The kiosk asks one consent (診療・薬剤情報), which the fake's OQS-A person answers on
    /// the reader and the others leave to the kiosk; no limit or prescription question.
    pub fn facility(&self, name: &str, kiosk: &str, reader: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        let text = format!(
            r#"{{"kiosk_name": "{kiosk}", "asks_prescription_form": false,
                "asks_high_cost_limit": false, "consent_items": ["medical_and_drug_info"],
                "facility": {{"name": "試験クリニック", "code": "{CODE}"}},
                "certified_reader": {reader}}}"#
        );
        std::fs::write(&path, text).unwrap();
        path
    }

    /// Starts a headless kiosk: a card tapped on its reader, `repeat` patients in a row.
    pub fn kiosk(&self, facility: &Path, steps: &str, repeat: u32, db: &str) -> Child {
        let patient = self.dir.path().join(format!("{db}.patient.json"));
        std::fs::write(&patient, format!(r#"{{"steps": {steps}}}"#)).unwrap();
        Command::new(env!("CARGO_BIN_EXE_uketsuke"))
            .args([
                "check-in",
                "--headless",
                "--reader",
                "sim:card",
                "--gateway",
            ])
            .arg(format!("oqs:{}", self.root().display()))
            .arg("--facility")
            .arg(facility)
            .arg("--db")
            .arg(self.dir.path().join(format!("{db}.db")))
            .arg("--patient")
            .arg(&patient)
            .args(["--repeat", &repeat.to_string()])
            .env_remove("UKETSUKE_LOG")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the uketsuke binary starts")
    }

    /// Waits until the kiosk named `kiosk` has begun its `n`-th wait for the reader (its
    /// marker exists; a marker of a bound wait is removed, so look soon).
    pub fn await_wait(&self, kiosk: &str, n: u32, child: &mut Child) {
        let markers = self.root().join(".uketsuke");
        let suffix = format!("-{n}.waiting");
        let started = Instant::now();
        loop {
            let found = std::fs::read_dir(&markers).into_iter().flatten().any(|e| {
                e.ok().is_some_and(|e| {
                    let name = e.file_name().to_string_lossy().into_owned();
                    name.starts_with(kiosk) && name.ends_with(&suffix)
                })
            });
            if found {
                return;
            }
            if let Ok(Some(status)) = child.try_wait() {
                let mut stderr = String::new();
                if let Some(mut e) = child.stderr.take() {
                    use std::io::Read as _;
                    let _ = e.read_to_string(&mut stderr);
                }
                panic!("kiosk {kiosk} ended ({status}) before wait {n}: {stderr}");
            }
            assert!(
                started.elapsed() < PATIENCE,
                "kiosk {kiosk} never began wait {n}"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// The fake terminal writes one face file (`face --case CASE` and `extra` options); returns
    /// its path.
    pub fn face(&self, case: &str, extra: &[&str]) -> String {
        let out = Command::new(env!("CARGO_BIN_EXE_uketsuke-fake-oqs-terminal"))
            .args(["face", "--root"])
            .arg(self.root())
            .args(["--case", case, "--facility", CODE])
            .args(extra)
            .output()
            .expect("the fake terminal runs");
        assert!(
            out.status.success(),
            "fake terminal {case}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }
}

/// The check-ins a kiosk printed (one JSON per patient), once it exited; its whole stdout too.
pub fn finish(kiosk: Child) -> (Vec<serde_json::Value>, String) {
    let out = kiosk.wait_with_output().expect("the kiosk ends");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "kiosk failed: {}\n{stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    let records = serde_json::Deserializer::from_str(&stdout)
        .into_iter::<serde_json::Value>()
        .map(|v| v.expect("the kiosk prints JSON"))
        .collect();
    (records, stdout)
}

/// The reason a handed-over check-in went to staff, and its checklist's names.
pub fn handoff(record: &serde_json::Value) -> (String, Vec<String>) {
    assert_eq!(record["outcome"]["kind"], "handed_to_staff", "{record}");
    let reason = record["outcome"]["reason"].as_str().unwrap().to_owned();
    let checklist = record["checklist"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    (reason, checklist)
}
