//! Prints numbers; asserts nothing about time. ORCA delivery against the fake ORCA
//! (`uketsuke-fake-orca`, a real HTTP server in its own process) through the real worker, store
//! and client:
//!
//! 1. Latency: the worker runs; check-ins are committed one at a time and each is waited for
//!    until its delivery record says registered: commit returned → registered, p50/p99.
//! 2. Throughput: N check-ins committed while the worker is stopped, then the worker started:
//!    check-ins registered per second until the last one is.
//!
//! `cargo bench --bench orca -- --quick` runs fewer; under `cargo test` it is a smoke run.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use uketsuke::delivery::State;
use uketsuke::domain::{CheckInRecord, EligibilitySummary, Validity};
use uketsuke::orca::OrcaSettings;
use uketsuke::orca::worker::Worker;
use uketsuke::store::Store;

struct Fake(Child);

impl Drop for Fake {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_fake(dir: &Path, patients: usize) -> (Fake, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_uketsuke-fake-orca"))
        .args([
            "--listen",
            "127.0.0.1:0",
            "--patients",
            &patients.to_string(),
        ])
        .arg("--state")
        .arg(dir.join("orca-state.json"))
        .stdout(Stdio::piped())
        .spawn()
        .expect("the fake ORCA starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line.trim().trim_start_matches("listening on ").to_owned();
    (Fake(child), format!("http://{addr}"))
}

fn settings(dir: &Path, url: &str) -> OrcaSettings {
    let password_file = dir.join("orca-password");
    std::fs::write(&password_file, "ormaster123\n").unwrap();
    serde_json::from_value(serde_json::json!({
        "url": url, "user": "ormaster", "password_file": password_file,
        "patient_match": "reference_number", "departments": {"01": "10001"},
    }))
    .unwrap()
}

fn record(patient: usize) -> CheckInRecord {
    let now = uketsuke::cli::now();
    CheckInRecord {
        eligibility: Some(EligibilitySummary {
            validity: Validity::Valid,
            insurer_number: Some("01130012".to_owned()),
            symbol: Some("5102034".to_owned()),
            number: Some("1234".to_owned()),
            branch: Some("00".to_owned()),
            burden_ratio: None,
            burden_ratio_source: None,
            valid_from: None,
            valid_until: None,
            name_contains_black_circle: false,
            reference_number: Some(format!("B{patient:05}")),
        }),
        kiosk: "bench".to_owned(),
        ..uketsuke::fixtures::completed_card(now, now)
    }
}

fn registered(store: &Store, id: i64) -> bool {
    store
        .orca_deliveries(vec![id])
        .unwrap()
        .first()
        .is_some_and(|d| d.progress.state == State::Registered)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn spawn_worker(
    db: &Path,
    settings: OrcaSettings,
) -> (Arc<AtomicBool>, std::thread::JoinHandle<()>) {
    let worker = Worker::new(Store::open(db).unwrap(), settings).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let (flag, db) = (Arc::clone(&stop), db.to_owned());
    let thread = std::thread::spawn(move || worker.run(&db, &flag).unwrap());
    (stop, thread)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let smoke = args.iter().any(|a| a == "--quick") || !args.iter().any(|a| a == "--bench");
    let (one_by_one, burst) = if smoke { (10, 20) } else { (100, 500) };

    let dir = tempfile::tempdir().unwrap();
    let (_fake, url) = start_fake(dir.path(), one_by_one + burst);
    let db = dir.path().join("kiosk.db");
    let store = Store::open(&db).unwrap();

    // 1. Latency, one check-in at a time.
    let (stop, thread) = spawn_worker(&db, settings(dir.path(), &url));
    let mut latencies = Vec::new();
    for patient in 1..=one_by_one {
        let start = Instant::now();
        let id = store.commit_check_in(&record(patient)).unwrap().check_in_id;
        while !registered(&store, id) {
            std::thread::sleep(Duration::from_micros(200));
            assert!(start.elapsed() < Duration::from_secs(60), "not delivered");
        }
        latencies.push(start.elapsed());
    }
    stop.store(true, Ordering::Relaxed);
    thread.join().unwrap();
    latencies.sort();
    println!(
        "orca delivery latency (commit -> registered in the fake ORCA), {} check-ins: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        latencies.len(),
        percentile(&latencies, 0.5).as_secs_f64() * 1e3,
        percentile(&latencies, 0.99).as_secs_f64() * 1e3,
        latencies.last().unwrap().as_secs_f64() * 1e3,
    );

    // 2. Throughput: a backlog delivered by a freshly started worker.
    let ids: Vec<i64> = (one_by_one + 1..=one_by_one + burst)
        .map(|p| store.commit_check_in(&record(p)).unwrap().check_in_id)
        .collect();
    let start = Instant::now();
    let (stop, thread) = spawn_worker(&db, settings(dir.path(), &url));
    let last = *ids.last().unwrap();
    while !registered(&store, last) {
        std::thread::sleep(Duration::from_millis(1));
        assert!(
            start.elapsed() < Duration::from_secs(300),
            "backlog not delivered"
        );
    }
    let elapsed = start.elapsed();
    stop.store(true, Ordering::Relaxed);
    thread.join().unwrap();
    let states = store.orca_deliveries(ids).unwrap();
    let done = states
        .iter()
        .filter(|d| d.progress.state == State::Registered)
        .count();
    println!(
        "orca delivery throughput: {done}/{burst} check-ins registered in {:.2} s = {:.0} per second",
        elapsed.as_secs_f64(),
        done as f64 / elapsed.as_secs_f64()
    );
    store.close();
}
