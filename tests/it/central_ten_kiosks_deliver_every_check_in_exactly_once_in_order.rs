//! Issue 19: ten kiosk processes check patients in at once, each with its own SQLite database
//! and its own delivery worker (`uketsuke deliver`), against one real PostgreSQL server. Every
//! outbox entry arrives exactly once, in each kiosk's order; the central database holds each
//! check-in's latest state; and the report across kiosks gives, for each kiosk, the same
//! figures `uketsuke report` gives from that kiosk's own database, and their sum in total.

use std::time::Duration;

use crate::central::{KioskRig, Postgres, central_seqs, eventually, s, uketsuke};

const KIOSKS: usize = 10;
const EACH: u64 = 12;

#[test]
fn ten_kiosks_deliver_every_check_in_exactly_once_in_each_kiosks_order() {
    let Some(pg) = Postgres::start("central_ten_kiosks") else {
        return;
    };
    let url = pg.url();
    let kiosks: Vec<KioskRig> = (1..=KIOSKS)
        .map(|i| KioskRig::new(&format!("k{i:02}"), &url))
        .collect();
    // Workers first, so delivery runs while the kiosks check in.
    let workers: Vec<_> = kiosks.iter().map(KioskRig::deliver).collect();
    let mut checking_in: Vec<_> = kiosks.iter().map(|k| k.check_in(EACH)).collect();
    for c in &mut checking_in {
        let status = c.0.wait().unwrap();
        assert!(status.success(), "a kiosk's check-ins failed: {status}");
    }
    let mut client = pg.client();
    for k in &kiosks {
        assert_eq!(k.check_in_count(), EACH as i64, "kiosk {}", k.id);
        let local = k.outbox_ids();
        assert!(!local.is_empty());
        eventually(
            &format!("kiosk {} delivered everything", k.id),
            Duration::from_secs(120),
            || central_seqs(&mut client, &k.id).len() >= local.len() && k.lag().entries == 0,
        );
        let central = central_seqs(&mut client, &k.id);
        // Exactly once (no entry missing, none extra) and in the kiosk's order of arrival.
        assert_eq!(
            central, local,
            "kiosk {}: central entries in arrival order",
            k.id
        );
        let lag = k.lag();
        assert_eq!((lag.entries, lag.oldest), (0, None), "kiosk {}", k.id);
    }
    drop(workers);
    // Each check-in once, in its latest state; the audit log arrived too.
    let total: i64 = client
        .query_one("SELECT count(*) FROM check_ins", &[])
        .unwrap()
        .get(0);
    assert_eq!(total, (KIOSKS as u64 * EACH) as i64);
    let audited: i64 = client
        .query_one("SELECT count(DISTINCT kiosk_id) FROM audit_entries", &[])
        .unwrap()
        .get(0);
    assert_eq!(audited, KIOSKS as i64, "every kiosk's audit log arrived");
    // The match keys for ORCA never leave the kiosk.
    let with_keys: i64 = client
        .query_one(
            "SELECT count(*) FROM outbox_entries WHERE payload->'check_in'->'patient' <> 'null'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(with_keys, 0);

    // The report: per kiosk the same table as the kiosk's own, and the total.
    let (code, across, err) = uketsuke(&["report", "--month", "2026-11", "--central", &url]);
    assert_eq!(code, Some(0), "{err}");
    for k in &kiosks {
        let (code, own, err) = uketsuke(&["report", "--month", "2026-11", "--db", s(&k.db)]);
        assert_eq!(code, Some(0), "{err}");
        let (code, one, err) = uketsuke(&[
            "report",
            "--month",
            "2026-11",
            "--central",
            &url,
            "--kiosk",
            &k.id,
        ]);
        assert_eq!(code, Some(0), "{err}");
        assert_eq!(one, own, "kiosk {}: central report = the kiosk's own", k.id);
        assert!(
            across.contains(&format!("== kiosk {} (kiosk {}) ==\n{own}", k.id, k.id)),
            "kiosk {}'s section in:\n{across}",
            k.id
        );
    }
    let total_section = across
        .split(&format!("== all kiosks ({KIOSKS}) ==\n"))
        .nth(1)
        .expect("a total section");
    let (_, csv, _) = uketsuke(&[
        "report",
        "--month",
        "2026-11",
        "--central",
        &url,
        "--format",
        "csv",
    ]);
    let checked_in = (KIOSKS as u64 * EACH).to_string();
    assert!(
        total_section.contains(&checked_in) && csv.contains(&checked_in),
        "the total counts {checked_in} check-ins:\n{total_section}\n{csv}"
    );
}
