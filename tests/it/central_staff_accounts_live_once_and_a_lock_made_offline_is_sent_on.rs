//! Issue 19 item 4: staff accounts once. A technician adds an account and its kiosk PIN to the
//! central database (`uketsuke staff add|pin --central`); every kiosk copies it into its own
//! store at its worker's next pass. With the central database stopped, a kiosk still checks
//! the PIN against its copy, and wrong PINs lock the account there; when the database is back
//! the lock is sent on (audited centrally) and reaches the other kiosk. An unlock made
//! centrally (`uketsuke staff unlock --central`) reaches both.

use std::io::Write as _;
use std::process::{Command, Stdio};

use chrono::TimeDelta;
use uketsuke::central::worker::Worker;
use uketsuke::central_settings::CentralSettings;
use uketsuke::staff::AfterFailure;
use uketsuke::store::Store;

use crate::central::Postgres;

/// `uketsuke ARGS` with `stdin` on standard input; panics unless it succeeds.
fn run(args: &[&str], stdin: &str) -> String {
    let mut child = Command::new(env!("CARGO_BIN_EXE_uketsuke"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "uketsuke {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

struct Kiosk {
    store: Store,
    worker: Worker,
    _dir: tempfile::TempDir,
}

fn kiosk(url: &str, id: &str) -> Kiosk {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("kiosk.db");
    let store = Store::open(&db).unwrap();
    let mut settings = CentralSettings::new(url, id);
    settings.timeout_seconds = 2;
    // The worker's own store handle, as `uketsuke run` gives it.
    let worker = Worker::new(Store::open(&db).unwrap(), settings, id);
    Kiosk {
        store,
        worker,
        _dir: dir,
    }
}

#[test]
fn accounts_are_copied_to_every_kiosk_and_an_offline_lock_is_sent_on() {
    let Some(pg) = Postgres::start("central_staff") else {
        return;
    };
    let url = pg.url();
    let added = run(
        &[
            "staff",
            "add",
            "--central",
            &url,
            "--login",
            "sato",
            "--name",
            "佐藤",
            "--role",
            "staff",
        ],
        "correct horse battery\n",
    );
    assert!(added.contains("central database"), "{added}");
    run(
        &["staff", "pin", "--central", &url, "--login", "sato"],
        "246810\n",
    );
    let mut a = kiosk(&url, "entrance-1");
    let mut b = kiosk(&url, "entrance-2");
    a.worker.pass().unwrap();
    b.worker.pass().unwrap();
    for k in [&a, &b] {
        let account = k.store.staff_by_login("sato").unwrap().expect("copied");
        assert_eq!(account.display_name, "佐藤");
        assert!(uketsuke::password::verify(
            "correct horse battery",
            &account.password_hash
        ));
        let pin = k.store.kiosk_pin("sato").unwrap().expect("the PIN copied");
        assert!(uketsuke::password::verify("246810", &pin.pin_hash));
        assert_eq!(pin.locked_until, None);
    }

    // Offline: the copy still answers, and wrong PINs lock the account at kiosk A.
    pg.stop();
    let pin = a.store.kiosk_pin("sato").unwrap().unwrap();
    assert!(uketsuke::password::verify("246810", &pin.pin_hash));
    assert!(!uketsuke::password::verify("135790", &pin.pin_hash));
    let now = uketsuke::cli::now();
    let until = now + TimeDelta::minutes(15);
    a.store
        .record_kiosk_pin_failure(
            "sato",
            "entrance-1",
            AfterFailure {
                failed_logins: 5,
                locked_until: Some(until),
            },
            now,
        )
        .unwrap();
    assert!(a.worker.pass().is_err(), "the central database is down");
    assert_eq!(a.store.unsent_staff_locks().unwrap().len(), 1);
    let still = a.store.kiosk_pin("sato").unwrap().unwrap();
    assert_eq!(still.locked_until, Some(until), "the lock holds offline");

    // Back: the lock is sent on, audited, and reaches kiosk B.
    pg.restart();
    a.worker.pass().unwrap();
    assert!(a.store.unsent_staff_locks().unwrap().is_empty());
    let mut client = pg.client();
    let audited: i64 = client
        .query_one(
            "SELECT count(*) FROM desk_audit WHERE action = 'staff_locked_at_kiosk' \
             AND actor = 'sato' AND desk = 'entrance-1'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(audited, 1);
    b.worker.pass().unwrap();
    let at_b = b.store.kiosk_pin("sato").unwrap().unwrap();
    let lock_b = at_b.locked_until.expect("the lock reached kiosk B");
    // PostgreSQL keeps microseconds (rounded).
    let same = |t: chrono::DateTime<chrono::FixedOffset>| {
        (t - until).num_microseconds().is_some_and(|d| d.abs() <= 1)
    };
    assert!(same(lock_b), "{lock_b} vs {until}");
    // Kiosk A keeps its lock after copying the central state back.
    let at_a = a.store.kiosk_pin("sato").unwrap().unwrap();
    assert!(
        at_a.locked_until.is_some_and(same),
        "{:?}",
        at_a.locked_until
    );

    // An unlock made centrally reaches both.
    run(
        &["staff", "unlock", "--central", &url, "--login", "sato"],
        "",
    );
    a.worker.pass().unwrap();
    b.worker.pass().unwrap();
    for k in [&a, &b] {
        assert_eq!(
            k.store.kiosk_pin("sato").unwrap().unwrap().locked_until,
            None
        );
    }
    assert!(a.store.unsent_staff_locks().unwrap().is_empty());
}
