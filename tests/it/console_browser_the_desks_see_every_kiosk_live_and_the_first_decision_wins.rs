//! Issue 19 item 2 in a real browser: a hospital desk's console (`uketsuke console --central
//! URL --desk 受付2`) lists the open handoffs of two kiosks with their names; a third handoff
//! delivered while the page is open appears without a reload (the central database's NOTIFY,
//! heard by the console's LISTEN, pushed over the event stream); staff close one at this desk
//! and the owning kiosk's worker records it in the kiosk's own store; another desk closes one
//! first and this desk, submitting later, is told who did and changes nothing. Writes
//! console-central-queue.png and console-central-already-decided.png to
//! target/console-screenshots/.
//!
//! The kiosks are in-process stores with their delivery workers (`Worker::pass`), against a
//! throwaway PostgreSQL. With CI=true a missing chromium, chromedriver or PostgreSQL fails the
//! test; elsewhere it is skipped.

use std::time::Duration;

use uketsuke::central::worker::Worker;
use uketsuke::central::{Central, DeskOutcome};
use uketsuke::central_settings::CentralSettings;
use uketsuke::domain::{
    CheckInRecord, ClosedAs, HandoffReason, HandoffResolution, IdentityMethod, Outcome,
    PatientName, VerificationMethod,
};
use uketsuke::store::Store;

use crate::central::Postgres;
use crate::console::browser::{BrowserDesk, screenshots_dir};

fn handoff(name: &str) -> CheckInRecord {
    let now = uketsuke::cli::now();
    CheckInRecord {
        outcome: Outcome::HandedToStaff {
            reason: HandoffReason::ConfirmPortalScreen,
        },
        verification: None,
        identity: None,
        counts_toward_usage_rate: false,
        patient_name: Some(PatientName {
            name: name.to_owned(),
            kana: None,
            birth_date: None,
        }),
        ..uketsuke::fixtures::completed_card(now, now)
    }
}

fn verified_by(staff: &str) -> HandoffResolution {
    HandoffResolution {
        closed_as: ClosedAs::Verified {
            verification: VerificationMethod::PortalScreenCheckedByStaff,
            identity: Some(IdentityMethod::StaffVisualCheck),
            read_off: None,
        },
        note: String::new(),
        staff: staff.to_owned(),
        resolved_at: uketsuke::cli::now(),
    }
}

/// A kiosk beside the test: its own store and its delivery worker.
struct Kiosk {
    _dir: tempfile::TempDir,
    store: Store,
    worker: Worker,
}

impl Kiosk {
    fn new(url: &str, id: &str, name: &str) -> Kiosk {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("kiosk.db")).unwrap();
        let worker = Worker::new(store.clone(), CentralSettings::new(url, id), name);
        Kiosk {
            _dir: dir,
            store,
            worker,
        }
    }

    /// A portal-screen handoff for `name`, committed and delivered; its id at the kiosk.
    fn hand_over(&mut self, name: &str) -> i64 {
        let id = self
            .store
            .commit_check_in(&handoff(name))
            .unwrap()
            .check_in_id;
        self.worker.pass().unwrap();
        id
    }
}

fn row(kiosk: &str, id: i64) -> String {
    format!("#queue-table tr[data-kiosk='{kiosk}'][data-check-in='{id}']")
}

/// The queue table's text, read in one step (a push may replace the table at any time).
fn queue_text(browser: &crate::console::browser::Browser) -> String {
    browser
        .script("return document.getElementById('queue-table').innerText;")
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// Follows the 「対応する」 link of kiosk `kiosk`'s handoff `id`, read and followed in one
/// step each (the pushed queue may replace the row between a find and a click).
fn open_handoff(desk: &BrowserDesk, kiosk: &str, id: i64) {
    let href = desk.browser.script(&format!(
        "return document.querySelector(\"{} a\").getAttribute('href');",
        row(kiosk, id)
    ));
    assert_eq!(
        href.as_str(),
        Some(format!("/central/{kiosk}/{id}").as_str())
    );
    desk.browser.go(&format!(
        "{}{}",
        desk.base,
        href.as_str().unwrap_or_default()
    ));
}

/// Fills the portal-screen form with the numbers staff read off the screen and sends it: the
/// console reads them back before it records them (`#confirm-portal_screen`).
fn fill_portal_screen(desk: &BrowserDesk, wait: Duration) {
    let browser = &desk.browser;
    browser.type_into("#form-portal_screen input[name=insurer_number]", "01130012");
    browser.type_into("#form-portal_screen input[name=symbol]", "1234");
    browser.type_into("#form-portal_screen input[name=number]", "5678");
    browser.type_into("#form-portal_screen input[name=branch]", "01");
    browser.click("#form-portal_screen select[name=burden_ratio] option[value='30']");
    browser.click("#form-portal_screen button[type=submit]");
    browser.wait_for("#confirm-portal_screen button.record", wait);
}

#[test]
fn the_desks_see_every_kiosk_live_and_the_first_decision_wins() {
    if !BrowserDesk::available() {
        return;
    }
    let Some(pg) = Postgres::start("console_central") else {
        return;
    };
    let wait = Duration::from_secs(15);
    let mut east = Kiosk::new(&pg.url(), "entrance-1", "1F 正面玄関");
    let mut west = Kiosk::new(&pg.url(), "entrance-2", "2F 東口");
    let yamada = east.hand_over("山田 花子");
    let tanaka = west.hand_over("田中 一郎");
    // Both kiosks number their own check-ins: the same id at two kiosks is two patients.
    assert_eq!(yamada, tanaka);

    let desk = BrowserDesk::start_central(&pg.url(), "受付2");
    let browser = &desk.browser;
    browser.wait_for(&row("entrance-1", yamada), wait);
    browser.wait_for(&row("entrance-2", tanaka), wait);
    let queue = queue_text(browser);
    for shown in [
        "1F 正面玄関",
        "2F 東口",
        "山田 花子",
        "田中 一郎",
        "iPhone・スマホ",
    ] {
        assert!(queue.contains(shown), "{shown} in the queue: {queue}");
    }
    assert!(browser.text("#desk-name").contains("受付2"));

    // Delivered while the page is open: pushed, not reloaded (the marker survives).
    browser.script("window.notReloaded = true;");
    let suzuki = east.hand_over("鈴木 三郎");
    browser.wait_until(
        "the third handoff appears in the open queue",
        &format!(
            "return document.querySelector(\"{}\") !== null;",
            row("entrance-1", suzuki)
        ),
        wait,
    );
    assert_eq!(
        browser.script("return window.notReloaded === true;"),
        serde_json::Value::Bool(true),
        "the queue was pushed, not reloaded"
    );
    assert!(queue_text(browser).contains("鈴木 三郎"));
    browser.screenshot(&screenshots_dir().join("console-central-queue.png"));

    // Closed at this desk: recorded centrally, then by the owning kiosk in its own store.
    open_handoff(&desk, "entrance-2", tanaka);
    browser.wait_for("#form-portal_screen", wait);
    assert!(browser.text("#kiosk-of").contains("2F 東口"));
    assert!(
        browser
            .text("#central-left-out")
            .contains("資格確認端末への照会もできません")
    );
    fill_portal_screen(&desk, wait);
    browser.click("#confirm-portal_screen button.record");
    browser.wait_for("p.ok", wait);
    assert!(
        browser.text("p.ok").contains("2F 東口"),
        "{}",
        browser.text("body")
    );
    browser.wait_until(
        "the closed handoff leaves the queue",
        &format!(
            "return document.querySelector(\"{}\") === null;",
            row("entrance-2", tanaka)
        ),
        wait,
    );
    assert!(
        west.store
            .check_in(tanaka)
            .unwrap()
            .unwrap()
            .resolution
            .is_none()
    );
    west.worker.pass().unwrap();
    let closed = west.store.check_in(tanaka).unwrap().unwrap();
    let resolution = closed
        .resolution
        .expect("the kiosk records the desk's decision");
    assert_eq!(resolution.staff, "sato");
    assert_eq!(
        resolution.verification(),
        Some(VerificationMethod::PortalScreenCheckedByStaff)
    );
    assert_eq!(
        closed.record.patient_name, None,
        "the name is erased at the kiosk"
    );

    // Another desk decides first while this desk reads the numbers back: told who, nothing
    // changed, the refusal audited.
    open_handoff(&desk, "entrance-1", yamada);
    browser.wait_for("#form-portal_screen", wait);
    fill_portal_screen(&desk, wait);
    let settings = CentralSettings::new(&pg.url(), "desk-1");
    let mut other_desk = Central::connect(&settings).unwrap();
    assert_eq!(
        other_desk
            .resolve("entrance-1", yamada, &verified_by("suzuki"), false, "受付1")
            .unwrap(),
        DeskOutcome::Recorded
    );
    browser.click("#confirm-portal_screen button.record");
    let told = browser.wait_for("#already-decided", wait);
    assert!(!told.is_empty());
    let text = browser.text("#already-decided");
    assert!(
        text.starts_with("この受付は すでに 受付1のsuzukiさんが ")
            && text.ends_with("に 対応しました。"),
        "{text}"
    );
    browser.screenshot(&screenshots_dir().join("console-central-already-decided.png"));
    east.worker.pass().unwrap();
    let kept = east.store.check_in(yamada).unwrap().unwrap();
    assert_eq!(
        kept.resolution.expect("recorded at the kiosk").staff,
        "suzuki"
    );
    let mut client = pg.client();
    let refused: i64 = client
        .query_one(
            "SELECT count(*) FROM desk_audit WHERE action = 'handoff_resolution_refused' \
             AND actor = 'sato' AND desk = '受付2'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(refused, 1, "the second desk's try is audited");
    let the_rest = other_desk.open_handoffs().unwrap();
    assert_eq!(the_rest.len(), 1);
    assert_eq!(the_rest[0].check_in_id, suzuki);

    // The report across kiosks: each kiosk and the total.
    browser.go(&format!("{}/report", desk.base));
    browser.wait_for("#kiosks-table", wait);
    let report = browser.text("#kiosks-table");
    assert!(
        report.contains("1F 正面玄関") && report.contains("2F 東口"),
        "{report}"
    );
    assert!(browser.text("#kiosks-total").contains("合計"));
    east.store.close();
    west.store.close();
}
