//! A closed handoff stays reachable at /handoffs/{id} and shows what was saved (the method in
//! staff words, 保険者番号・記号・番号・枝番, the ratio, the note, who and when). On the day it
//! was recorded, the person who recorded it (or a technician) can correct it with a reason: the
//! desk decides the new record as a first one (so the count follows the rules), and the store
//! writes it with an audit entry holding the before and after. Cancelling and 「確認できなかった」
//! need a reason and a second press; a cancellation's banner is not green (review 2026-11 rows
//! 5 and 15).

use crate::console;

use chrono::TimeDelta as Duration;
use console::{Client, Desk};
use uketsuke::domain::{ClosedAs, HandoffReason, HandoffResolution, VerificationMethod};

fn correct(staff: &mut Client, id: i64, fields: &[(&str, &str)]) -> console::Reply {
    let csrf = staff.csrf();
    let mut all = vec![("csrf", csrf.as_str())];
    all.extend_from_slice(fields);
    staff.post(&format!("/handoffs/{id}/correct"), &all)
}

const PORTAL: [(&str, &str); 7] = [
    ("action", "portal_screen"),
    ("insurer_number", "01130012"),
    ("symbol", "1234"),
    ("number", "567"),
    ("branch", "01"),
    ("burden_ratio", "30"),
    // The read-back step's button (typed numbers are read back first).
    ("confirm", "yes"),
];

#[test]
fn the_resolve_page_opens_the_first_form_and_names_each_outcome_on_its_button() {
    let desk = Desk::start();
    let handoff = desk.hand_over(HandoffReason::ConfirmPortalScreen);
    let mut staff = desk.signed_in("sato");
    let page = staff.get(&format!("/handoffs/{}", handoff.id)).body;
    let at = |needle: &str| {
        page.find(needle)
            .unwrap_or_else(|| panic!("{needle} not on the page"))
    };
    assert!(at("id=\"form-portal_screen\"") < at("<details id=\"other-actions\""));
    assert!(at("<details id=\"other-actions\"") < at("id=\"form-cancel\""));
    assert!(!page.contains("<details id=\"other-actions\" open"));
    assert!(page.contains("<summary>その他の対応</summary>"));
    for label in [
        "資格情報画面の内容で記録",
        "確認できなかったとして記録",
        "取り消す（お帰りになった）",
        "確認した書類で記録",
    ] {
        assert!(page.contains(label), "{label}");
    }
    assert!(!page.contains("記録する Record"));
}

#[test]
fn cancel_needs_a_reason_and_a_second_press_and_its_banner_is_not_green() {
    let desk = Desk::start();
    let handoff = desk.hand_over(HandoffReason::ConfirmPortalScreen);
    let mut staff = desk.signed_in("sato");
    let open = || desk.store.check_in(handoff.id).unwrap().unwrap().resolution;

    let no_reason = staff.resolve(handoff.id, &[("action", "cancel")]);
    assert_eq!(no_reason.status, 422);
    assert!(no_reason.body.contains("data-field=\"note\""));
    let first = staff.resolve(
        handoff.id,
        &[("action", "cancel"), ("note", "お帰りになった")],
    );
    assert_eq!(first.status, 422);
    assert!(first.body.contains("confirm-step"));
    assert!(first.body.contains("まだ取り消していません"));
    assert!(first.body.contains("はい、取り消す（お帰りになった）"));
    // The collapsed section opens where the submitted form waits for its second press.
    assert!(first.body.contains("<details id=\"other-actions\" open"));
    assert!(open().is_none(), "nothing stored on the first press");

    let unresolved = staff.resolve(
        handoff.id,
        &[("action", "unresolved"), ("note", "画面が開けない")],
    );
    assert_eq!(unresolved.status, 422);
    assert!(unresolved.body.contains("はい、確認できなかったとして記録"));
    assert!(open().is_none());

    let second = staff.resolve(
        handoff.id,
        &[
            ("action", "cancel"),
            ("note", "お帰りになった"),
            ("confirm", "yes"),
        ],
    );
    assert_eq!(second.status, 303, "{}", second.body);
    let queue = staff.get(second.location.as_deref().unwrap()).body;
    assert!(queue.contains("class=\"neutral\""), "{queue}");
    assert!(queue.contains("取り消しました"));
    assert!(
        !queue.contains("class=\"ok\""),
        "a cancellation is not a success"
    );
    assert_eq!(open().unwrap().closed_as, ClosedAs::Cancelled);
}

#[test]
fn the_closed_page_shows_what_was_saved_and_a_same_day_correction_is_audited_and_recounted() {
    let desk = Desk::start();
    let handoff = desk.hand_over(HandoffReason::ConfirmPortalScreen);
    let mut sato = desk.signed_in("sato");
    let mut fields = PORTAL.to_vec();
    fields.push(("note", "スマホの画面で確認"));
    assert_eq!(sato.resolve(handoff.id, &fields).status, 303);

    let path = format!("/handoffs/{}", handoff.id);
    let closed = sato.get(&path);
    assert_eq!(closed.status, 200);
    for saved in [
        "資格情報画面（スタッフが確認）",
        "01130012",
        "1234",
        "567",
        "<td id=\"saved-branch\">01</td>",
        "<td id=\"saved-ratio\">3割</td>",
        "<td id=\"saved-counts\">数えない</td>",
        "スマホの画面で確認",
        "<td id=\"saved-staff\">sato</td>",
    ] {
        assert!(closed.body.contains(saved), "{saved}: {}", closed.body);
    }
    assert!(!closed.body.contains("（cancelled）") && !closed.body.contains("（verified）"));
    assert!(closed.body.contains("記録を訂正する"));
    assert!(closed.body.contains("action=\"/handoffs/"));

    // No reason: refused, nothing changes.
    let no_reason = correct(&mut sato, handoff.id, &PORTAL);
    assert_eq!(no_reason.status, 422);
    assert!(no_reason.body.contains("data-field=\"correction_reason\""));
    let before = desk.store.check_in(handoff.id).unwrap().unwrap();

    // Another clerk may not; the technician may.
    desk.add_account("suzuki", "鈴木", uketsuke::staff::Role::Staff);
    let mut suzuki = desk.signed_in("suzuki");
    assert!(
        suzuki
            .get(&path)
            .body
            .contains("訂正できるのは記録した人（sato）")
    );
    let mut reasoned = PORTAL.to_vec();
    reasoned.push(("correction_reason", "枝番の打ち間違い"));
    reasoned.retain(|(k, _)| *k != "branch");
    reasoned.push(("branch", "02"));
    assert_eq!(correct(&mut suzuki, handoff.id, &reasoned).status, 403);
    assert_eq!(desk.store.check_in(handoff.id).unwrap().unwrap(), before);

    let done = correct(&mut sato, handoff.id, &reasoned);
    assert_eq!(done.status, 303, "{}", done.body);
    assert_eq!(
        done.location.as_deref(),
        Some(format!("{path}?corrected=1").as_str())
    );
    let page = sato.get(done.location.as_deref().unwrap()).body;
    assert!(page.contains("記録を訂正しました"));
    assert!(page.contains("<td id=\"saved-branch\">02</td>"), "{page}");
    let after = desk.store.check_in(handoff.id).unwrap().unwrap();
    let ClosedAs::Verified {
        read_off: Some(numbers),
        ..
    } = &after.resolution.as_ref().unwrap().closed_as
    else {
        panic!("{:?}", after.resolution);
    };
    assert_eq!(numbers.branch.as_deref(), Some("02"));
    let audit = desk.store.audit_log(50).unwrap();
    let entry = audit
        .iter()
        .find(|e| e.action == "handoff_corrected")
        .expect("the correction is audited");
    assert_eq!(entry.actor, "sato");
    assert_eq!(entry.check_in_id, Some(handoff.id));
    assert!(
        entry.detail.contains("reason=枝番の打ち間違い"),
        "{}",
        entry.detail
    );
    assert!(
        entry
            .detail
            .contains("counts_toward_usage_rate=false->false"),
        "{}",
        entry.detail
    );

    // A card check that could not be confirmed, corrected to the visual check that was done:
    // the count follows the rules, as a first resolution would.
    let card = desk.hand_over(HandoffReason::StaffVisualCheck);
    assert_eq!(
        sato.resolve(
            card.id,
            &[
                ("action", "unresolved"),
                ("note", "結果が出なかった"),
                ("confirm", "yes")
            ],
        )
        .status,
        303
    );
    let mut tech = desk.signed_in("tech");
    let recount = correct(
        &mut tech,
        card.id,
        &[
            ("action", "visual_check"),
            ("seen_photo", "yes"),
            ("seen_result", "yes"),
            ("confirm", "yes"),
            ("correction_reason", "再読み取りで結果が出た"),
            ("counts_toward_usage_rate", "false"),
        ],
    );
    assert_eq!(recount.status, 303, "{}", recount.body);
    let stored = desk.store.check_in(card.id).unwrap().unwrap();
    assert!(stored.record.counts_toward_usage_rate);
    assert_eq!(
        stored.record.verification,
        Some(VerificationMethod::CardViaReader)
    );
    assert_eq!(stored.resolution.unwrap().staff, "tech");
    let audit = desk.store.audit_log(50).unwrap();
    assert!(audit.iter().any(|e| e.action == "handoff_corrected"
        && e.check_in_id == Some(card.id)
        && e.detail.contains("counts_toward_usage_rate=false->true")
        && e.detail.contains("staff=sato->tech")));
}

#[test]
fn a_record_from_another_day_cannot_be_corrected() {
    let desk = Desk::start();
    let yesterday = uketsuke::dates::now().with_timezone(&uketsuke::rules::JST) - Duration::days(1);
    let handoff = desk.hand_over_at(HandoffReason::PatientCalledStaff, yesterday);
    desk.store
        .resolve_handoff(
            handoff.id,
            &HandoffResolution {
                closed_as: ClosedAs::Unresolved,
                note: "お帰りになった".to_owned(),
                staff: "sato".to_owned(),
                resolved_at: yesterday,
            },
            false,
        )
        .unwrap();
    let mut sato = desk.signed_in("sato");
    let page = sato.get(&format!("/handoffs/{}", handoff.id));
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("訂正できるのは記録した日"),
        "{}",
        page.body
    );
    assert!(!page.body.contains("/correct\""));
    let refused = correct(
        &mut sato,
        handoff.id,
        &[
            ("action", "cancel"),
            ("note", "x"),
            ("confirm", "yes"),
            ("correction_reason", "r"),
        ],
    );
    assert_eq!(refused.status, 403);
    assert_eq!(
        desk.store
            .check_in(handoff.id)
            .unwrap()
            .unwrap()
            .resolution
            .unwrap()
            .closed_as,
        ClosedAs::Unresolved
    );
}
