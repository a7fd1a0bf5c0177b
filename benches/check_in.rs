//! Prints numbers; asserts nothing about time.
//!
//! 1. Flow CPU per check-in: a card check-in recorded once (real simulated card and gateway),
//!    then its inputs replayed through fresh flows: only `handle`/`poll`/`view` are timed.
//! 2. A whole headless check-in with the simulated card (RSA signature) and gateway (signature
//!    check), excluding the store (a no-op store).
//! 3. Commit latency with `synchronous=FULL` on a real SQLite file, p50/p99.
//!
//! `cargo bench --bench check_in -- --quick` runs fewer iterations; under `cargo test` it is a
//! smoke run.

use std::hint::black_box;
use std::time::{Duration, Instant};

use uketsuke::cli::compose::{build_gateway, build_reader};
use uketsuke::datetime;
use uketsuke::domain::CheckInRecord;
use uketsuke::flow::{CheckInFlow, StoreReply};
use uketsuke::headless::{Driver, PatientScript, StorePort};
use uketsuke::rules::{FacilityConfig, Rules};
use uketsuke::store::Store;

const CARD: &str = r#"{"steps": ["tap", {"pin":"1234"}, {"consent":"all"}, {"high_cost_limit":true}, {"prescription":"electronic"}, "ok"]}"#;
const PHONE_UNREADABLE: &str = r#"{"steps": ["tap", "ok"]}"#;

struct NoStore(i64);

impl StorePort for NoStore {
    fn commit(&mut self, _record: &CheckInRecord) -> StoreReply {
        self.0 += 1;
        StoreReply::Committed {
            check_in_id: self.0,
            reception_number: None,
        }
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn summary(name: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let mean = samples.iter().sum::<Duration>() / samples.len() as u32;
    println!(
        "{name:<52} n={:<6} mean={:>10.1?} p50={:>10.1?} p99={:>10.1?} max={:>10.1?}",
        samples.len(),
        mean,
        percentile(&samples, 0.50),
        percentile(&samples, 0.99),
        samples[samples.len() - 1]
    );
}

type SimKiosk = Driver<uketsuke::reader::KioskReader, uketsuke::gateway::sim::SimGateway, NoStore>;

/// A kiosk with the simulated reader and gateway and no store, at a fixed visit time.
fn simulated_kiosk(reader: &str) -> SimKiosk {
    Driver::new(
        CheckInFlow::new(Rules::embedded(), FacilityConfig::default()),
        datetime!(2026-11-21 10:00 +09:00),
        build_reader(reader).expect("reader"),
        build_gateway("sim").expect("gateway"),
        NoStore(0),
    )
}

fn flow_cpu(label: &str, reader: &str, script: &str, iterations: usize) {
    let script = PatientScript::parse(script).expect("bench script");
    let mut driver = simulated_kiosk(reader);
    driver.record_inputs();
    driver.run(&script).expect("recorded check-in");
    let inputs = driver.recorded_inputs.take().unwrap_or_default();

    let rules = Rules::embedded();
    let facility = FacilityConfig::default();
    let mut samples = Vec::with_capacity(iterations);
    for _ in 0..iterations {
        // Building the flow (rules, config) is part of a check-in's cost here, conservatively.
        let start = Instant::now();
        let mut flow = CheckInFlow::new(rules.clone(), facility.clone());
        for (now, input) in &inputs {
            flow.handle(*now, input.clone());
            while let Some(command) = flow.poll() {
                black_box(command);
            }
            black_box(flow.view());
        }
        samples.push(start.elapsed());
    }
    summary(
        &format!("flow CPU per check-in, {label} ({} inputs)", inputs.len()),
        samples,
    );
}

fn whole_check_in(label: &str, reader: &str, script: &str, iterations: usize) {
    let script = PatientScript::parse(script).expect("bench script");
    let mut driver = simulated_kiosk(reader);
    driver.run(&script).expect("warm-up check-in"); // keys generated here, not timed
    let mut samples = Vec::with_capacity(iterations);
    for _ in 0..iterations {
        let start = Instant::now();
        driver.run(&script).expect("check-in");
        samples.push(start.elapsed());
    }
    summary(&format!("whole check-in without store, {label}"), samples);
}

fn commit_latency(iterations: usize) {
    let dir = tempfile_dir();
    let db = dir.join("bench.db");
    let store = Store::open(&db).expect("store");
    let script = PatientScript::parse(CARD).expect("bench script");
    let mut driver = simulated_kiosk("sim:card");
    let record = driver.run(&script).expect("record").record;
    let mut samples = Vec::with_capacity(iterations);
    for _ in 0..iterations {
        let start = Instant::now();
        store.commit_check_in(&record).expect("commit");
        samples.push(start.elapsed());
    }
    let durability = store.durability().expect("pragmas");
    summary(
        &format!(
            "commit latency (journal={}, synchronous={})",
            durability.journal_mode, durability.synchronous
        ),
        samples,
    );
    store.close();
    let _ = std::fs::remove_dir_all(&dir);
}

fn tempfile_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("uketsuke-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("bench temp dir");
    dir
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    // `cargo bench` passes --bench; under `cargo test` this is only a smoke run.
    let benching = args.iter().any(|a| a == "--bench");
    let quick = args.iter().any(|a| a == "--quick");
    let (n, mode) = match (benching, quick) {
        (false, _) => (10, "smoke run under cargo test: numbers not meaningful"),
        (true, true) => (200, "quick"),
        (true, false) => (5000, "full"),
    };
    println!("uketsuke check-in benchmark ({mode})");
    println!("targets: flow <= 200 us per check-in; commit p99 <= 20 ms");
    flow_cpu("card with PIN", "sim:card", CARD, n);
    flow_cpu("unreadable phone", "sim:iphone", PHONE_UNREADABLE, n);
    whole_check_in("card with PIN", "sim:card", CARD, (n / 10).max(1));
    whole_check_in(
        "unreadable phone",
        "sim:iphone",
        PHONE_UNREADABLE,
        (n / 10).max(1),
    );
    commit_latency(n.clamp(10, 1000));
}
