//! 「本日の受付一覧」 shows each check-in's delivery into ORCA in staff words (issue 17 item 4),
//! in-process over a real SQLite file: waiting, registered with ORCA's reception number, refused
//! with ORCA's code (10: patient unknown; 90: open on another terminal, retried), done by hand
//! with the clerk's name. 「再送する」 and 「手で登録した」 are CSRF-checked, audited under the
//! clerk's login, and change nothing on a second press. A closed check-in's own page shows its
//! state too. Without ORCA the list shows none of it.

use uketsuke::delivery::{Progress, State};
use uketsuke::domain::HandoffReason;

use crate::console::{Client, Desk};

/// A handoff closed as verified at the desk: the check-in ORCA is told of. Its outbox entry id.
fn verified_check_in(desk: &Desk, staff: &mut Client) -> (i64, i64) {
    let handoff = desk.hand_over(HandoffReason::ConfirmPortalScreen);
    let reply = staff.resolve(
        handoff.id,
        &[
            ("action", "portal_screen"),
            ("insurer_number", "01130012"),
            ("number", "345"),
            ("burden_ratio", "30"),
            ("confirm", "yes"),
        ],
    );
    assert_eq!(reply.status, 303, "{}", reply.body);
    let deliveries = desk.store.orca_deliveries(vec![handoff.id]).unwrap();
    assert_eq!(deliveries.len(), 1, "{deliveries:?}");
    (handoff.id, deliveries[0].outbox_id)
}

fn save(desk: &Desk, outbox_id: i64, f: impl FnOnce(&mut Progress)) {
    let mut p = Progress::new();
    f(&mut p);
    desk.store
        .orca_save(outbox_id, p, uketsuke::dates::now())
        .unwrap();
}

/// The ORCA cell of check-in `id` on the list.
fn cell(list: &str, id: i64) -> String {
    let row = &list[list
        .find(&format!(r#"<tr data-check-in="{id}""#))
        .unwrap_or_else(|| panic!("no row {id}: {list}"))..];
    let row = &row[..row.find("</tr>").unwrap()];
    let cell = &row[row.find(r#"<td class="orca">"#).expect("an ORCA cell")..];
    cell[..cell.find("</td>").unwrap()].to_owned()
}

fn audits(desk: &Desk, action: &str, id: i64) -> Vec<String> {
    desk.store
        .audit_log(100)
        .unwrap()
        .into_iter()
        .filter(|e| e.action == action && e.check_in_id == Some(id))
        .map(|e| e.actor)
        .collect()
}

fn press(staff: &mut Client, id: i64, outbox_id: i64, route: &str) -> u16 {
    let csrf = staff.csrf();
    let day = uketsuke::dates::now()
        .with_timezone(&uketsuke::rules::JST)
        .date_naive()
        .to_string();
    let reply = staff.post(
        &format!("/check-ins/{id}/orca/{route}"),
        &[
            ("csrf", &csrf),
            ("outbox_id", &outbox_id.to_string()),
            ("day", &day),
        ],
    );
    if reply.status == 303 {
        assert_eq!(
            reply.location.as_deref(),
            Some(format!("/check-ins?day={day}#check-in-{id}").as_str())
        );
    }
    reply.status
}

#[test]
fn each_delivery_state_reads_in_staff_words_and_both_buttons_are_audited_once() {
    let desk = Desk::start_with_orca();
    let mut staff = desk.signed_in("sato");
    let (waiting, _) = verified_check_in(&desk, &mut staff);
    let (registered, registered_entry) = verified_check_in(&desk, &mut staff);
    let (unknown, unknown_entry) = verified_check_in(&desk, &mut staff);
    let (busy, busy_entry) = verified_check_in(&desk, &mut staff);
    save(&desk, registered_entry, |p| {
        p.state = State::Registered;
        p.acceptance_id = Some("00007".to_owned());
        p.attempts = 1;
    });
    save(&desk, unknown_entry, |p| {
        p.state = State::Failed;
        p.code = Some("10".to_owned());
        p.reason = Some("patient unknown to ORCA (10)".to_owned());
        p.attempts = 1;
    });
    save(&desk, busy_entry, |p| {
        p.state = State::Failed;
        p.code = Some("90".to_owned());
        p.retrying = true;
        p.attempts = 2;
    });

    let list = staff.get("/check-ins");
    assert_eq!(list.status, 200);
    assert!(list.body.contains("<th>ORCA</th>"), "{}", list.body);
    for (id, said, buttons) in [
        (waiting, "ORCA未送信（送信待ち）", true),
        (registered, "ORCAに登録済み（受付番号 00007）", false),
        (unknown, "ORCAに未登録：患者が見つかりません（10）", true),
        (
            busy,
            "ORCAに未登録：他の端末で使用中（90）。再送します",
            true,
        ),
    ] {
        let cell = cell(&list.body, id);
        assert!(cell.contains(said), "{said} not in {cell}");
        assert_eq!(cell.contains("再送する"), buttons, "{cell}");
        assert_eq!(cell.contains("手で登録した"), buttons, "{cell}");
    }

    // The check-in's own page says the same.
    let page = staff.get(&format!("/handoffs/{registered}"));
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("ORCAに登録済み（受付番号 00007）"),
        "{}",
        page.body
    );
    let page = staff.get(&format!("/handoffs/{busy}"));
    assert!(
        page.body.contains("他の端末で使用中（90）"),
        "{}",
        page.body
    );
    assert!(page.body.contains("再送する"), "{}", page.body);

    // 「手で登録した」: recorded under the clerk's name, audited once, a second press changes nothing.
    assert_eq!(press(&mut staff, unknown, unknown_entry, "done"), 303);
    let list = staff.get("/check-ins");
    assert!(
        cell(&list.body, unknown).contains("手で登録済み（佐藤）"),
        "{}",
        cell(&list.body, unknown)
    );
    assert!(!cell(&list.body, unknown).contains("再送する"));
    assert_eq!(press(&mut staff, unknown, unknown_entry, "done"), 303);
    assert_eq!(audits(&desk, "orca_done_by_hand", unknown), ["sato"]);

    // 「再送する」: the refused entry waits to be sent again at once, audited once.
    assert_eq!(press(&mut staff, busy, busy_entry, "retry"), 303);
    let list = staff.get("/check-ins");
    assert!(
        cell(&list.body, busy).contains("ORCA未送信（送信待ち）"),
        "{}",
        cell(&list.body, busy)
    );
    assert_eq!(press(&mut staff, busy, busy_entry, "retry"), 303);
    assert_eq!(audits(&desk, "orca_retry", busy), ["sato"]);
    // Neither button undoes a registration.
    assert_eq!(press(&mut staff, registered, registered_entry, "done"), 303);
    assert!(audits(&desk, "orca_done_by_hand", registered).is_empty());
    let list = staff.get("/check-ins");
    assert!(cell(&list.body, registered).contains("ORCAに登録済み（受付番号 00007）"));

    // An entry of another check-in, or a forged form, changes nothing.
    assert_eq!(press(&mut staff, waiting, busy_entry, "done"), 404);
    let forged = staff.post(
        &format!("/check-ins/{waiting}/orca/done"),
        &[("csrf", "forged"), ("outbox_id", "1")],
    );
    assert_eq!(forged.status, 403);
    assert!(audits(&desk, "orca_done_by_hand", waiting).is_empty());
}

#[test]
fn without_orca_the_list_shows_no_delivery_and_the_buttons_are_refused() {
    let desk = Desk::start();
    let mut staff = desk.signed_in("sato");
    let (id, entry) = verified_check_in(&desk, &mut staff);
    let list = staff.get("/check-ins");
    assert_eq!(list.status, 200);
    assert!(!list.body.contains("ORCA"), "{}", list.body);
    assert_eq!(press(&mut staff, id, entry, "done"), 404);
    assert!(audits(&desk, "orca_done_by_hand", id).is_empty());
}
