//! The queue keeps every patient in view (issue 15 item 4): longest wait first with marks in
//! words, earlier days' open handoffs in their own section with their date, closed together with
//! a reason (each one through the resolve path, each audited), who has a resolve page open
//! (「対応中：佐藤」), where the patient waits, and the header badge's numbers (`/badge`).

use crate::console::Desk;

use chrono::{Datelike, TimeDelta as Duration};
use uketsuke::domain::{ClosedAs, HandoffReason};
use uketsuke::rules::JST;

fn position(body: &str, id: i64) -> usize {
    body.find(&format!("data-check-in=\"{id}\""))
        .unwrap_or_else(|| panic!("check-in {id} not in the queue: {body}"))
}

#[test]
fn earlier_days_are_apart_with_their_date_and_close_together_only_with_a_reason() {
    let desk = Desk::start();
    let now = uketsuke::dates::now().with_timezone(&JST);
    let three_days_ago = now - Duration::days(3);
    let old_a = desk.hand_over_at(HandoffReason::GatewayUnavailable, three_days_ago);
    let old_b = desk.hand_over_at(HandoffReason::PaperDocument, three_days_ago);
    let today = desk.hand_over(HandoffReason::PatientCalledStaff);
    let mut sato = desk.signed_in("sato");

    let queue = sato.get("/");
    assert!(
        queue.body.contains("前日以前の未対応 2件"),
        "{}",
        queue.body
    );
    let day = three_days_ago.date_naive();
    let dated = format!(
        "{}/{}-{}",
        day.month(),
        day.day(),
        old_a.reception_number.unwrap()
    );
    assert!(
        queue.body.contains(&dated),
        "numbers carry their day: {}",
        queue.body
    );
    let earlier_at = queue.body.find("id=\"earlier\"").unwrap();
    assert!(position(&queue.body, today.id) < earlier_at);
    assert!(position(&queue.body, old_a.id) > earlier_at);

    // No reason, or no tick: nothing is closed.
    let csrf = sato.csrf();
    for fields in [
        vec![("csrf", csrf.as_str()), ("note", " "), ("confirm", "yes")],
        vec![("csrf", csrf.as_str()), ("note", "前日の残り")],
    ] {
        let refused = sato.post("/handoffs/earlier/close", &fields);
        assert_eq!(refused.status, 422, "{}", refused.body);
        assert_eq!(desk.store.open_handoffs().unwrap().len(), 3);
    }
    // A forged form (no token) is refused too.
    let forged = sato.post(
        "/handoffs/earlier/close",
        &[("note", "前日の残り"), ("confirm", "yes")],
    );
    assert_ne!(forged.status, 303);
    assert_eq!(desk.store.open_handoffs().unwrap().len(), 3);

    let page = sato.get("/handoffs/earlier");
    assert!(page.body.contains("まとめて取り消す"), "{}", page.body);
    let closed = sato.post(
        "/handoffs/earlier/close",
        &[
            ("csrf", csrf.as_str()),
            ("note", "前日の残り（お帰りになった）"),
            ("confirm", "yes"),
        ],
    );
    assert_eq!(closed.status, 303, "{}", closed.body);
    assert_eq!(closed.location.as_deref(), Some("/?closed_earlier=2"));
    let open: Vec<i64> = desk
        .store
        .open_handoffs()
        .unwrap()
        .iter()
        .map(|h| h.id)
        .collect();
    assert_eq!(open, vec![today.id], "today's handoff stays open");
    for old in [&old_a, &old_b] {
        let stored = desk.store.check_in(old.id).unwrap().unwrap();
        let resolution = stored.resolution.unwrap();
        assert_eq!(resolution.closed_as, ClosedAs::Cancelled);
        assert_eq!(resolution.note, "前日の残り（お帰りになった）");
        assert_eq!(resolution.staff, "sato");
    }
    let audit = desk.store.audit_log(50).unwrap();
    for old in [&old_a, &old_b] {
        assert!(
            audit.iter().any(|e| e.action == "handoff_resolved"
                && e.actor == "sato"
                && e.check_in_id == Some(old.id)),
            "each closed check-in is audited: {audit:?}"
        );
    }
    let after = sato.get(closed.location.as_deref().unwrap());
    assert!(after.body.contains("前日以前の未対応 2件を取り消しました"));
    assert!(!after.body.contains("id=\"earlier\""));
}

#[test]
fn the_longest_wait_comes_first_marked_in_words_with_where_the_patient_waits_and_who_handles_it() {
    let desk = Desk::start();
    let now = uketsuke::dates::now().with_timezone(&JST);
    let fresh = desk.hand_over(HandoffReason::PatientCalledStaff);
    let long = desk.hand_over_at(
        HandoffReason::GatewayUnavailable,
        now - Duration::minutes(40),
    );
    let mid = desk.hand_over_at(HandoffReason::PaperDocument, now - Duration::minutes(20));
    let mut sato = desk.signed_in("sato");
    let mut tech = desk.signed_in("tech");

    let queue = tech.get("/").body;
    // Skip the rare run that straddles midnight in Japan (the older rows would be yesterday's).
    if (now - Duration::minutes(40)).date_naive() != now.date_naive() {
        return;
    }
    assert!(position(&queue, long.id) < position(&queue, mid.id));
    assert!(position(&queue, mid.id) < position(&queue, fresh.id));
    assert!(queue.contains("長時間"), "{queue}");
    assert!(queue.contains("15分以上"), "{queue}");
    let row = |id: i64| {
        let at = position(&queue, id);
        let end = queue[at..].find("</tr>").unwrap() + at;
        queue[at..end].to_owned()
    };
    assert!(row(fresh.id).contains("受付機の前"), "{}", row(fresh.id));
    assert!(row(long.id).contains("受付窓口"));
    assert!(row(long.id).contains("オンライン資格確認に接続できない"));
    assert!(row(mid.id).contains("書類：資格確認書"), "{}", row(mid.id));
    assert!(!queue.contains("対応中："));

    // 佐藤 opens the resolve page: the others see who handles it.
    assert_eq!(sato.get(&format!("/handoffs/{}", long.id)).status, 200);
    let queue = tech.get("/").body;
    let at = position(&queue, long.id);
    let end = queue[at..].find("</tr>").unwrap() + at;
    assert!(queue[at..end].contains("対応中：佐藤"), "{queue}");

    // The badge: today's count and the longest wait.
    let badge = tech.get("/badge");
    assert_eq!(badge.status, 200);
    assert!(badge.content_type.unwrap().starts_with("application/json"));
    let json: serde_json::Value = serde_json::from_str(&badge.body).unwrap();
    assert_eq!(json["open"], 3);
    let text = json["badge"].as_str().unwrap();
    assert!(text.starts_with("対応待ち 3件（最長 4"), "{text}");

    // Closed, the claim is gone with the row.
    let closed = sato.resolve(
        long.id,
        &[
            ("action", "cancel"),
            ("note", "お帰りになった"),
            ("confirm", "yes"),
        ],
    );
    assert_eq!(closed.status, 303, "{}", closed.body);
    assert!(!tech.get("/").body.contains("対応中：佐藤"));
}
