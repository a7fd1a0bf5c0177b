//! Prints numbers; asserts nothing about time. Many kiosks through one central PostgreSQL
//! (issue 19): each kiosk is a real store (its own SQLite file) with the real central delivery
//! worker on its own thread and its own connection, against a real server (a throwaway cluster
//! of Debian's PostgreSQL, as the tests start it).
//!
//! 1. Central reachable: every kiosk commits its check-ins back to back; the workers deliver as
//!    they come. Printed: the delivery lag (the kiosk's commit returned → the row written in
//!    PostgreSQL) p50/p99/max, check-ins per second arriving centrally, and the kiosk's own
//!    commit latency p50/p99.
//! 2. Central stopped (`pg_ctl stop -m immediate`): the same load; the kiosk's commit latency
//!    again (it must not change: the kiosk never waits on the network), then the server started
//!    again and the time the backlog takes to drain.
//!
//! `cargo bench --bench central` runs 20 kiosks × 200 check-ins; `-- --quick` and the smoke run
//! under `cargo test` run 4 × 20. With CI=true a missing PostgreSQL server fails it.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use uketsuke::central::worker::Worker;
use uketsuke::central_settings::CentralSettings;
use uketsuke::domain::{CheckInRecord, EligibilitySummary, Validity};
use uketsuke::store::Store;

#[path = "../tests/it/central/server.rs"]
mod server;

fn record(kiosk: usize, patient: usize) -> CheckInRecord {
    let now = uketsuke::cli::now();
    CheckInRecord {
        eligibility: Some(EligibilitySummary {
            validity: Validity::Valid,
            insurer_number: Some("01130012".to_owned()),
            symbol: Some(format!("K{kiosk:02}")),
            number: Some(format!("{patient:05}")),
            branch: Some("00".to_owned()),
            burden_ratio: None,
            burden_ratio_source: None,
            valid_from: None,
            valid_until: None,
            name_contains_black_circle: false,
            reference_number: None,
        }),
        kiosk: format!("bench {kiosk}"),
        ..uketsuke::fixtures::completed_card(now, now)
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

struct Kiosk {
    id: String,
    db: std::path::PathBuf,
    store: Store,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Kiosk {
    fn start(dir: &std::path::Path, n: usize, url: &str) -> Kiosk {
        let id = format!("bench-{n:02}");
        let db = dir.join(format!("{id}.db"));
        let store = Store::open(&db).unwrap();
        let mut settings = CentralSettings::new(url, &id);
        settings.retry_max_seconds = 1;
        // The worker's own store handle (its own connection and thread), as `uketsuke run`
        // gives it: the kiosk's commits never queue behind the worker's reads.
        let mut worker = Worker::new(Store::open(&db).unwrap(), settings, &id);
        let stop = Arc::new(AtomicBool::new(false));
        let (flag, path) = (Arc::clone(&stop), db.clone());
        let thread = std::thread::spawn(move || worker.run(&path, &flag).unwrap());
        Kiosk {
            id,
            db,
            store,
            stop,
            thread: Some(thread),
        }
    }

    fn waiting(&self) -> u64 {
        uketsuke::store::central_lag_of(&self.db).unwrap().entries
    }
}

impl Drop for Kiosk {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Every kiosk commits `each` check-ins back to back, at once; returns each commit's latency
/// and, per (kiosk id, check-in id), the wall-clock time its commit returned.
fn load(
    kiosks: &[Kiosk],
    each: usize,
    offset: usize,
) -> (Vec<Duration>, Vec<(String, i64, SystemTime)>) {
    let latencies = Mutex::new(Vec::new());
    let committed = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for (k, kiosk) in kiosks.iter().enumerate() {
            let (latencies, committed) = (&latencies, &committed);
            scope.spawn(move || {
                let mut mine = Vec::with_capacity(each);
                let mut when = Vec::with_capacity(each);
                for p in 0..each {
                    let r = record(k, offset + p);
                    let start = Instant::now();
                    let id = kiosk.store.commit_check_in(&r).unwrap().check_in_id;
                    mine.push(start.elapsed());
                    when.push((kiosk.id.clone(), id, SystemTime::now()));
                }
                latencies.lock().unwrap().extend(mine);
                committed.lock().unwrap().extend(when);
            });
        }
    });
    let mut latencies = latencies.into_inner().unwrap();
    latencies.sort();
    (latencies, committed.into_inner().unwrap())
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let smoke = args.iter().any(|a| a == "--quick") || !args.iter().any(|a| a == "--bench");
    let (kiosk_count, each) = if smoke { (4, 20) } else { (20, 200) };
    let Some(pg) = server::Postgres::start("bench central") else {
        return;
    };
    let url = pg.url();
    let dir = tempfile::tempdir().unwrap();
    let kiosks: Vec<Kiosk> = (1..=kiosk_count)
        .map(|n| Kiosk::start(dir.path(), n, &url))
        .collect();
    let total = kiosk_count * each;

    // 1. Central reachable.
    let started = SystemTime::now();
    let (reachable, committed) = load(&kiosks, each, 0);
    let clock = Instant::now();
    while kiosks.iter().any(|k| k.waiting() > 0) {
        std::thread::sleep(Duration::from_millis(20));
        assert!(clock.elapsed() < Duration::from_secs(600), "not delivered");
    }
    let mut client = pg.client();
    let rows = client
        .query(
            "SELECT kiosk_id, check_in_id, \
             extract(epoch FROM received_at)::float8 FROM outbox_entries",
            &[],
        )
        .unwrap();
    let arrived: std::collections::HashMap<(String, i64), f64> = rows
        .iter()
        .map(|r| ((r.get(0), r.get(1)), r.get(2)))
        .collect();
    let secs = |t: SystemTime| t.duration_since(UNIX_EPOCH).unwrap().as_secs_f64();
    let mut lags: Vec<Duration> = committed
        .iter()
        .map(|(k, id, at)| {
            let central = arrived[&(k.clone(), *id)];
            Duration::from_secs_f64((central - secs(*at)).max(0.0))
        })
        .collect();
    lags.sort();
    let last_arrival = arrived.values().cloned().fold(0.0, f64::max);
    let span = last_arrival - secs(started);
    println!(
        "central, {kiosk_count} kiosks × {each} check-ins = {total}, PostgreSQL reachable:\n\
         | measure | p50 | p99 | max |\n|---|---|---|---|\n\
         | delivery lag (kiosk commit → row in PostgreSQL) | {:.1} ms | {:.1} ms | {:.1} ms |\n\
         | kiosk commit latency | {:.2} ms | {:.2} ms | {:.2} ms |\n\
         check-ins arriving centrally: {:.0} per second ({total} in {span:.2} s)",
        ms(percentile(&lags, 0.5)),
        ms(percentile(&lags, 0.99)),
        ms(*lags.last().unwrap()),
        ms(percentile(&reachable, 0.5)),
        ms(percentile(&reachable, 0.99)),
        ms(*reachable.last().unwrap()),
        total as f64 / span,
    );

    // 2. Central stopped: the kiosk's own latency must not change.
    drop(client);
    pg.stop();
    let (unreachable, _) = load(&kiosks, each, each);
    let waiting: u64 = kiosks.iter().map(Kiosk::waiting).sum();
    println!(
        "| kiosk commit latency, PostgreSQL stopped | {:.2} ms | {:.2} ms | {:.2} ms |\n\
         entries waiting in the kiosks' outboxes: {waiting}",
        ms(percentile(&unreachable, 0.5)),
        ms(percentile(&unreachable, 0.99)),
        ms(*unreachable.last().unwrap()),
    );
    pg.restart();
    let clock = Instant::now();
    while kiosks.iter().any(|k| k.waiting() > 0) {
        std::thread::sleep(Duration::from_millis(20));
        assert!(
            clock.elapsed() < Duration::from_secs(600),
            "backlog not drained"
        );
    }
    println!(
        "backlog of {waiting} drained {:.2} s after the server was started again (workers back off up to 1 s)",
        clock.elapsed().as_secs_f64()
    );
    drop(kiosks);
}
