//! Issue 19: the central PostgreSQL stops for a minute (`pg_ctl stop -m immediate`, as a crash
//! or a power cut would) while three kiosks keep checking patients in. The kiosks never wait on
//! it: their check-ins go on and wait in the outbox, `doctor` fails its central check naming
//! `central.url` and says how many entries wait; when the server is back the lag drains, and
//! every check-in made during the outage arrives exactly once: nothing lost, nothing doubled.
//! Prints the counts (made during the outage, delivered after, duplicates).

use std::time::{Duration, Instant};

use crate::central::{KioskRig, Postgres, central_seqs, eventually, s, uketsuke};

const KIOSKS: usize = 3;
/// How long the server is down (issue 19: "stopped for a minute").
const OUTAGE: Duration = Duration::from_secs(60);

#[test]
fn an_outage_of_a_minute_loses_nothing_doubles_nothing_and_the_lag_drains() {
    let Some(pg) = Postgres::start("central_outage") else {
        return;
    };
    let url = pg.url();
    let kiosks: Vec<KioskRig> = (1..=KIOSKS)
        .map(|i| KioskRig::new(&format!("outage-{i}"), &url))
        .collect();
    let _workers: Vec<_> = kiosks.iter().map(KioskRig::deliver).collect();
    // Before: a few check-ins each, delivered.
    for k in &kiosks {
        assert!(k.check_in(3).0.wait().unwrap().success());
    }
    let mut client = pg.client();
    for k in &kiosks {
        let n = k.outbox_ids().len();
        eventually(
            "delivered before the outage",
            Duration::from_secs(60),
            || central_seqs(&mut client, &k.id).len() == n,
        );
    }
    drop(client);
    let before: Vec<i64> = kiosks.iter().map(KioskRig::check_in_count).collect();

    pg.stop();
    let down_at = Instant::now();
    // The kiosks keep checking in, one batch after another, until the minute is over.
    let mut rounds = 0;
    while down_at.elapsed() < OUTAGE {
        let mut running: Vec<_> = kiosks.iter().map(|k| k.check_in(2)).collect();
        for c in &mut running {
            assert!(
                c.0.wait().unwrap().success(),
                "a check-in failed while the central database was down"
            );
        }
        rounds += 1;
        if rounds == 1 {
            // doctor names the key and says how far the outbox lags.
            let k = &kiosks[0];
            let (code, out, err) = uketsuke(&[
                "doctor",
                "--only",
                "central",
                "--db",
                s(&k.db),
                "--facility",
                s(&k.facility),
            ]);
            assert_eq!(
                code,
                Some(1),
                "doctor fails while the database is down:\n{out}{err}"
            );
            assert!(
                out.contains("central.url") && out.contains("entries waiting"),
                "{out}"
            );
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    let during: Vec<i64> = kiosks
        .iter()
        .zip(&before)
        .map(|(k, b)| k.check_in_count() - b)
        .collect();
    let waiting: u64 = kiosks.iter().map(|k| k.lag().entries).sum();
    assert!(
        during.iter().all(|&d| d > 0) && waiting > 0,
        "check-ins went on during the outage ({during:?}) and waited ({waiting})"
    );

    pg.restart();
    let up_at = Instant::now();
    let mut client = pg.client();
    for k in &kiosks {
        eventually("the lag drains", Duration::from_secs(120), || {
            k.lag().entries == 0 && k.lag().audit == 0
        });
    }
    let drained = up_at.elapsed();
    let mut delivered_after = 0;
    let mut duplicates = 0;
    for (k, made) in kiosks.iter().zip(&during) {
        let local = k.outbox_ids();
        let central = central_seqs(&mut client, &k.id);
        assert_eq!(central, local, "kiosk {}: exactly once, in order", k.id);
        let check_ins: i64 = client
            .query_one(
                "SELECT count(*) FROM check_ins WHERE kiosk_id = $1",
                &[&k.id],
            )
            .unwrap()
            .get(0);
        assert_eq!(check_ins, k.check_in_count(), "kiosk {}", k.id);
        let doubled: i64 = client
            .query_one(
                "SELECT count(*) - count(DISTINCT payload->'check_in'->>'id') \
                 FROM outbox_entries WHERE kiosk_id = $1",
                &[&k.id],
            )
            .unwrap()
            .get(0);
        duplicates += doubled;
        delivered_after += made;
    }
    assert_eq!(duplicates, 0);
    println!(
        "outage of {} s: check-ins made during it {} ({:?} per kiosk), delivered after it {}, \
         duplicates {duplicates}; the lag drained {:.1} s after the server was back",
        OUTAGE.as_secs(),
        during.iter().sum::<i64>(),
        during,
        delivered_after,
        drained.as_secs_f64()
    );
    // doctor is content again.
    let k = &kiosks[0];
    let (code, out, err) = uketsuke(&[
        "doctor",
        "--only",
        "central",
        "--db",
        s(&k.db),
        "--facility",
        s(&k.facility),
    ]);
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(out.contains("0 entries waiting"), "{out}");
}
