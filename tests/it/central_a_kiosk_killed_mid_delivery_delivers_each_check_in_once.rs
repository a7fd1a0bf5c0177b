//! Issue 19: a kiosk's delivery worker is killed with SIGKILL again and again in the middle of
//! delivering a backlog (before, during and after the central commit, and before the kiosk
//! marked the batch delivered). After each restart it goes on where the kiosk's store says;
//! in the end every outbox entry is in the central database exactly once and in order, each
//! check-in in its latest state, and nothing is left waiting.

use std::time::Duration;

use rand::{Rng, SeedableRng};

use crate::central::{KioskRig, Postgres, central_seqs, eventually, s, uketsuke};

const CHECK_INS: u64 = 400;
const KILLS: usize = 25;

#[test]
fn a_worker_killed_mid_delivery_sends_each_entry_exactly_once() {
    let Some(pg) = Postgres::start("central_kill") else {
        return;
    };
    let k = KioskRig::new("killed-1", &pg.url());
    // A backlog: the check-ins are made with no worker running.
    assert!(k.check_in(CHECK_INS).0.wait().unwrap().success());
    let local = k.outbox_ids();
    assert_eq!(local.len() as u64, CHECK_INS);
    let mut client = pg.client();
    let mut rng = rand::rngs::StdRng::seed_from_u64(20261201);
    let mut partial = 0;
    let mut kills = 0;
    let mut mid_backlog = 0;
    for _ in 0..KILLS {
        let mut worker = k.deliver();
        // Long enough to connect and be somewhere in a batch of 200 at times, short enough to
        // be killed before the backlog is gone.
        std::thread::sleep(Duration::from_millis(rng.gen_range(10..200)));
        worker.0.kill().expect("SIGKILL");
        worker.0.wait().unwrap();
        kills += 1;
        let there = central_seqs(&mut client, &k.id);
        // Whatever was committed is a prefix of the kiosk's order, without gaps.
        assert_eq!(
            there[..],
            local[..there.len()],
            "after a kill: a prefix, in order"
        );
        // The kiosk never marks delivered what the central database does not hold.
        let waiting = k.lag().entries as usize;
        assert!(
            local.len() - waiting <= there.len(),
            "the kiosk marked {} delivered, the central database holds {}",
            local.len() - waiting,
            there.len()
        );
        if there.len() > local.len() - waiting {
            // Committed centrally, not yet marked at the kiosk: will be sent again.
            partial += 1;
        }
        if there.len() == local.len() {
            break;
        }
        if !there.is_empty() {
            mid_backlog += 1;
        }
    }
    // Restarted for good: the rest is delivered, each entry once.
    let (code, out, err) = uketsuke(&[
        "deliver",
        "--once",
        "--db",
        s(&k.db),
        "--facility",
        s(&k.facility),
    ]);
    assert_eq!(code, Some(0), "{out}{err}");
    let _worker = k.deliver();
    eventually("the backlog drains", Duration::from_secs(120), || {
        k.lag().entries == 0
    });
    assert_eq!(
        central_seqs(&mut client, &k.id),
        local,
        "exactly once, in order"
    );
    let check_ins: i64 = client
        .query_one(
            "SELECT count(*) FROM check_ins WHERE kiosk_id = $1",
            &[&k.id],
        )
        .unwrap()
        .get(0);
    assert_eq!(check_ins as u64, CHECK_INS);
    println!(
        "{CHECK_INS} check-ins delivered exactly once across {kills} kills ({mid_backlog} with part \
         of the backlog delivered, {partial} between the central commit and the kiosk's mark); \
         last pass: {}",
        out.trim()
    );
}
