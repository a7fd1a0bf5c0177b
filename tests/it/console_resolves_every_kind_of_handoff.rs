//! Staff close handoffs through the console's forms: each action records the verification
//! method and the usage-rate flag from the rules (never from the form), mistakes get a clear
//! answer and change nothing, and every change is in the audit log under the staff member.

use crate::console;

use console::{Desk, MARCH_2026};
use uketsuke::domain::{ClosedAs, HandoffReason, IdentityMethod, VerificationMethod};

#[test]
fn portal_screen_confirmed_records_the_numbers_and_does_not_count() {
    let desk = Desk::start();
    let handoff = desk.hand_over(HandoffReason::ConfirmPortalScreen);
    let mut staff = desk.signed_in("sato");

    let page = staff.get(&format!("/handoffs/{}", handoff.id));
    assert_eq!(page.status, 200);
    assert!(page.body.contains("資格情報画面"), "{}", page.body);
    assert!(page.body.contains("マイナ保険証の利用率には数えない"));

    let reply = staff.resolve(
        handoff.id,
        &[
            ("action", "portal_screen"),
            ("insurer_number", "01130012"),
            ("symbol", "1234"),
            ("number", "567"),
            ("branch", "01"),
            ("burden_ratio", "30"),
            ("valid_until", ""),
            // The read-back step's button (issue 15, row 13).
            ("confirm", "yes"),
            // A form cannot make it count: the rules decide.
            ("counts_toward_usage_rate", "true"),
            ("verification", "card_via_reader"),
        ],
    );
    assert_eq!(reply.status, 303, "{}", reply.body);
    assert_eq!(
        reply.location.as_deref(),
        Some(format!("/?closed={}", handoff.id).as_str())
    );

    let stored = desk.store.check_in(handoff.id).unwrap().unwrap();
    assert_eq!(
        stored.record.verification,
        Some(VerificationMethod::PortalScreenCheckedByStaff)
    );
    assert!(!stored.record.counts_toward_usage_rate);
    let resolution = stored.resolution.unwrap();
    assert_eq!(resolution.staff, "sato");
    let ClosedAs::Verified {
        verification,
        read_off: Some(numbers),
        ..
    } = resolution.closed_as
    else {
        panic!("not verified with numbers: {:?}", resolution.closed_as);
    };
    assert_eq!(verification, VerificationMethod::PortalScreenCheckedByStaff);
    assert_eq!(numbers.insurer_number, "01130012");
    assert_eq!(numbers.symbol.as_deref(), Some("1234"));
    assert_eq!(numbers.branch.as_deref(), Some("01"));
    assert_eq!(numbers.burden_ratio.map(|r| r.0), Some(30));

    // The queue says what was recorded, and no longer lists it.
    let queue = staff.get(reply.location.as_deref().unwrap());
    assert!(
        queue
            .body
            .contains("資格情報画面（スタッフが確認）で記録しました")
    );
    assert!(
        !queue
            .body
            .contains(&format!("data-check-in=\"{}\"", handoff.id))
    );

    let audit = desk.store.audit_log(20).unwrap();
    let entry = audit
        .iter()
        .find(|e| e.action == "handoff_resolved")
        .unwrap();
    assert_eq!(entry.actor, "sato");
    assert_eq!(entry.check_in_id, Some(handoff.id));
    assert!(
        entry.detail.contains("closed_as=verified"),
        "{}",
        entry.detail
    );
}

#[test]
fn wrong_numbers_are_named_and_nothing_is_recorded() {
    let desk = Desk::start();
    let handoff = desk.hand_over(HandoffReason::ConfirmPortalScreen);
    let mut staff = desk.signed_in("sato");
    let reply = staff.resolve(
        handoff.id,
        &[
            ("action", "portal_screen"),
            ("insurer_number", "01130013"),
            ("number", ""),
            ("branch", "123"),
            ("burden_ratio", "50"),
            ("valid_until", "2026/03/31"),
        ],
    );
    assert_eq!(reply.status, 422);
    for field in [
        "insurer_number",
        "number",
        "branch",
        "burden_ratio",
        "valid_until",
    ] {
        assert!(
            reply.body.contains(&format!("data-field=\"{field}\"")),
            "{field} not named: {}",
            reply.body
        );
    }
    assert!(reply.body.contains("検証番号"));
    assert!(reply.body.contains("検証番号"));
    // What staff typed is kept for them to correct.
    assert!(reply.body.contains("value=\"01130013\""));
    let stored = desk.store.check_in(handoff.id).unwrap().unwrap();
    assert!(stored.resolution.is_none());
    assert_eq!(desk.store.open_handoffs().unwrap().len(), 1);
}

#[test]
fn visual_check_counts_as_a_card_check_in() {
    let desk = Desk::start();
    let handoff = desk.hand_over(HandoffReason::StaffVisualCheck);
    let mut staff = desk.signed_in("sato");
    let page = staff.get(&format!("/handoffs/{}", handoff.id));
    for text in [
        "顔写真と本人を見比べた",
        "受付のカードリーダーで資格確認の結果が表示された",
        "マイナ保険証（目視確認）として記録",
    ] {
        assert!(page.body.contains(text), "{text}: {}", page.body);
    }
    let seen = [
        ("action", "visual_check"),
        ("note", "photo matches"),
        ("seen_photo", "yes"),
        ("seen_result", "yes"),
    ];
    // Without the ticks (a form the browser did not check): refused, in Japanese, per tick.
    let bare = staff.resolve(
        handoff.id,
        &[("action", "visual_check"), ("confirm", "yes")],
    );
    assert_eq!(bare.status, 422, "{}", bare.body);
    for text in [
        "「顔写真と本人を見比べた」にチェックしてください",
        "「受付のカードリーダーで資格確認の結果が表示された」にチェックしてください",
    ] {
        assert!(bare.body.contains(text), "{text}: {}", bare.body);
    }
    // With the ticks: asked once more, and the confirming button names the result.
    let asked = staff.resolve(handoff.id, &seen);
    assert_eq!(asked.status, 422, "{}", asked.body);
    assert!(
        asked.body.contains("まだ記録していません"),
        "{}",
        asked.body
    );
    assert!(
        asked.body.contains("name=\"confirm\" value=\"yes\""),
        "{}",
        asked.body
    );
    assert!(
        asked
            .body
            .contains("はい、マイナ保険証（目視確認）として記録")
    );
    let stored = desk.store.check_in(handoff.id).unwrap().unwrap();
    assert!(stored.resolution.is_none() && !stored.record.counts_toward_usage_rate);

    let mut confirmed = seen.to_vec();
    confirmed.push(("confirm", "yes"));
    let reply = staff.resolve(handoff.id, &confirmed);
    assert_eq!(reply.status, 303, "{}", reply.body);
    let stored = desk.store.check_in(handoff.id).unwrap().unwrap();
    assert_eq!(
        stored.record.verification,
        Some(VerificationMethod::CardViaReader)
    );
    assert!(stored.record.counts_toward_usage_rate);
    match stored.resolution.unwrap().closed_as {
        ClosedAs::Verified { identity, .. } => {
            assert_eq!(identity, Some(IdentityMethod::StaffVisualCheck))
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn each_paper_document_records_its_method_and_none_counts() {
    let desk = Desk::start();
    let mut staff = desk.signed_in("sato");
    for (document, method) in [
        (
            "eligibility_certificate",
            VerificationMethod::EligibilityCertificate,
        ),
        (
            "notice_with_card_checked_by_staff",
            VerificationMethod::NoticeWithCardCheckedByStaff,
        ),
        (
            "self_declaration_form",
            VerificationMethod::SelfDeclarationForm,
        ),
        ("past_record", VerificationMethod::PastRecord),
    ] {
        let handoff = desk.hand_over(HandoffReason::PaperDocument);
        let reply = staff.resolve(
            handoff.id,
            &[("action", "paper_document"), ("document", document)],
        );
        assert_eq!(reply.status, 303, "{document}: {}", reply.body);
        let stored = desk.store.check_in(handoff.id).unwrap().unwrap();
        assert_eq!(stored.record.verification, Some(method), "{document}");
        assert!(!stored.record.counts_toward_usage_rate, "{document}");
    }
}

#[test]
fn an_expired_card_is_accepted_only_while_the_provisional_handling_applies() {
    let desk = Desk::start();
    let mut staff = desk.signed_in("sato");

    // Visited in March 2026: the provisional handling applied (rules: until 2026-03-31).
    let march = desk.hand_over_at(HandoffReason::PaperDocument, MARCH_2026);
    let reply = staff.resolve(
        march.id,
        &[
            ("action", "paper_document"),
            ("document", "expired_card_provisional"),
        ],
    );
    assert_eq!(reply.status, 303, "{}", reply.body);
    let stored = desk.store.check_in(march.id).unwrap().unwrap();
    assert_eq!(
        stored.record.verification,
        Some(VerificationMethod::ExpiredCardProvisional)
    );

    // Visited today, after it ended: refused with the date and what to do instead.
    let today = desk.hand_over(HandoffReason::PaperDocument);
    let page = staff.get(&format!("/handoffs/{}", today.id));
    assert!(page.body.contains("暫定的な取扱いは終了"));
    let reply = staff.resolve(
        today.id,
        &[
            ("action", "paper_document"),
            ("document", "expired_card_provisional"),
        ],
    );
    assert_eq!(reply.status, 422);
    assert!(reply.body.contains("2026-03-31"), "{}", reply.body);
    assert!(
        desk.store
            .check_in(today.id)
            .unwrap()
            .unwrap()
            .resolution
            .is_none()
    );
}

#[test]
fn cannot_resolve_needs_a_note_and_leaves_no_method() {
    let desk = Desk::start();
    let handoff = desk.hand_over(HandoffReason::ConfirmPortalScreen);
    let mut staff = desk.signed_in("sato");

    let reply = staff.resolve(handoff.id, &[("action", "unresolved"), ("note", "  ")]);
    assert_eq!(reply.status, 422);
    assert!(reply.body.contains("data-field=\"note\""));

    let reply = staff.resolve(
        handoff.id,
        &[
            ("action", "unresolved"),
            ("note", "patient left before being called"),
            ("confirm", "yes"),
        ],
    );
    assert_eq!(reply.status, 303, "{}", reply.body);
    let stored = desk.store.check_in(handoff.id).unwrap().unwrap();
    assert_eq!(stored.record.verification, None);
    assert!(!stored.record.counts_toward_usage_rate);
    let resolution = stored.resolution.unwrap();
    assert_eq!(resolution.closed_as, ClosedAs::Unresolved);
    assert_eq!(resolution.note, "patient left before being called");
}

#[test]
fn cancel_closes_it_and_a_second_resolution_is_refused() {
    let desk = Desk::start();
    let handoff = desk.hand_over(HandoffReason::PatientCalledStaff);
    let mut staff = desk.signed_in("sato");
    let reply = staff.resolve(
        handoff.id,
        &[
            ("action", "cancel"),
            ("note", "お帰りになった"),
            ("confirm", "yes"),
        ],
    );
    assert_eq!(reply.status, 303, "{}", reply.body);
    assert_eq!(
        desk.store
            .check_in(handoff.id)
            .unwrap()
            .unwrap()
            .resolution
            .unwrap()
            .closed_as,
        ClosedAs::Cancelled
    );
    let again = staff.resolve(handoff.id, &[("action", "visual_check")]);
    assert_eq!(again.status, 409);
    assert!(again.body.contains("対応済み"));
    let audit = desk.store.audit_log(50).unwrap();
    assert_eq!(
        audit
            .iter()
            .filter(|e| e.action == "handoff_resolved")
            .count(),
        1
    );
}

#[test]
fn a_refused_certificate_shows_its_checklist_and_closes_without_counting() {
    let desk = Desk::start();
    let handoff = desk.hand_over(HandoffReason::CertificateNotAccepted);
    let mut staff = desk.signed_in("sato");
    let queue = staff.get("/");
    assert!(
        queue.body.contains("電子証明書が受け付けられない"),
        "the queue names the reason: {}",
        queue.body
    );
    let page = staff.get(&format!("/handoffs/{}", handoff.id));
    assert_eq!(page.status, 200);
    for text in [
        "電子証明書が受け付けられない",
        "電子証明書の更新は市区町村の窓口で",
        "資格確認書か資格情報のお知らせを確認する",
        "マイナ保険証の利用率には数えない",
    ] {
        assert!(page.body.contains(text), "{text}: {}", page.body);
    }
    // Paper first: eligibility is confirmed another way than the card's certificate, and a
    // visual check (which would send the same certificate) is not offered.
    let paper = page.body.find("value=\"paper_document\"");
    let portal = page.body.find("value=\"portal_screen\"");
    assert!(
        paper.is_some() && paper < portal,
        "paper document offered first"
    );
    assert!(!page.body.contains("value=\"visual_check\""));
    let reply = staff.resolve(
        handoff.id,
        &[
            ("action", "paper_document"),
            ("document", "eligibility_certificate"),
        ],
    );
    assert_eq!(reply.status, 303, "{}", reply.body);
    let stored = desk.store.check_in(handoff.id).unwrap().unwrap();
    assert_eq!(
        stored.record.verification,
        Some(VerificationMethod::EligibilityCertificate)
    );
    assert!(!stored.record.counts_toward_usage_rate);
}

/// Review row 1: the eligibility system was down, so no desk reader showed a result; a forged
/// form with both ticks and the confirmation is refused and nothing changes.
#[test]
fn an_outage_is_never_recorded_as_a_card_check_even_by_a_forged_form() {
    let desk = Desk::start();
    let handoff = desk.hand_over(HandoffReason::GatewayUnavailable);
    let mut staff = desk.signed_in("sato");
    let page = staff.get(&format!("/handoffs/{}", handoff.id));
    assert_eq!(page.status, 200);
    assert!(
        !page.body.contains("value=\"visual_check\""),
        "not offered: {}",
        page.body
    );
    assert!(!page.body.contains("マイナ保険証（目視確認）として記録"));
    let forged = staff.resolve(
        handoff.id,
        &[
            ("action", "visual_check"),
            ("seen_photo", "yes"),
            ("seen_result", "yes"),
            ("confirm", "yes"),
        ],
    );
    assert_eq!(forged.status, 422, "{}", forged.body);
    assert!(
        forged
            .body
            .contains("オンライン資格確認に接続できなかった受付です"),
        "{}",
        forged.body
    );
    let stored = desk.store.check_in(handoff.id).unwrap().unwrap();
    assert!(stored.resolution.is_none());
    assert!(!stored.record.counts_toward_usage_rate);
    assert_eq!(stored.record.verification, None);
    assert!(
        desk.store
            .audit_log(50)
            .unwrap()
            .iter()
            .all(|e| e.action != "handoff_resolved")
    );
}

/// Review row 2: the kiosk verified the patient by card and PIN; staff choose the right record,
/// and the method, the identity and the count stay.
#[test]
fn several_matches_are_closed_by_choosing_the_record_and_still_count() {
    let desk = Desk::start();
    let handoff = desk.hand_over(HandoffReason::SeveralMatches);
    let mut staff = desk.signed_in("sato");
    let page = staff.get(&format!("/handoffs/{}", handoff.id));
    let choose = page.body.find("value=\"choose_among_matches\"");
    let paper = page.body.find("value=\"paper_document\"");
    assert!(choose.is_some() && choose < paper, "offered first");
    assert!(!page.body.contains("value=\"visual_check\""));
    let reply = staff.resolve(
        handoff.id,
        &[
            ("action", "choose_among_matches"),
            ("insurer_number", "01130012"),
            ("symbol", "12"),
            ("number", "345"),
            ("burden_ratio", "30"),
            ("confirm", "yes"),
        ],
    );
    assert_eq!(reply.status, 303, "{}", reply.body);
    let stored = desk.store.check_in(handoff.id).unwrap().unwrap();
    assert_eq!(
        stored.record.verification,
        Some(VerificationMethod::CardViaReader)
    );
    assert!(stored.record.counts_toward_usage_rate);
    match stored.resolution.unwrap().closed_as {
        ClosedAs::Verified {
            identity, read_off, ..
        } => {
            assert_eq!(identity, Some(IdentityMethod::PinOnCard));
            assert_eq!(read_off.unwrap().insurer_number, "01130012");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn unknown_check_ins_and_actions_get_a_clear_answer() {
    let desk = Desk::start();
    let mut staff = desk.signed_in("sato");
    assert_eq!(staff.get("/handoffs/999").status, 404);
    let handoff = desk.hand_over(HandoffReason::GatewayUnavailable);
    let reply = staff.resolve(handoff.id, &[("action", "shrug")]);
    assert_eq!(reply.status, 422);
    assert!(reply.body.contains("data-field=\"action\""));
}

#[test]
fn the_report_counts_resolutions_and_downloads_as_csv() {
    let desk = Desk::start();
    let mut staff = desk.signed_in("sato");
    let portal = desk.hand_over_at(HandoffReason::ConfirmPortalScreen, MARCH_2026);
    let visual = desk.hand_over_at(HandoffReason::StaffVisualCheck, MARCH_2026);
    staff.resolve(
        portal.id,
        &[
            ("action", "portal_screen"),
            ("insurer_number", "138065"),
            ("number", "99"),
            ("burden_ratio", "30"),
            ("confirm", "yes"),
        ],
    );
    let reply = staff.resolve(
        visual.id,
        &[
            ("action", "visual_check"),
            ("seen_photo", "yes"),
            ("seen_result", "yes"),
            ("confirm", "yes"),
        ],
    );
    assert_eq!(reply.status, 303, "{}", reply.body);

    let page = staff.get("/report?month=2026-03");
    assert_eq!(page.status, 200);
    assert!(page.body.contains("<svg"), "a chart drawn on the server");
    assert!(
        page.body
            .contains("2026年3月のマイナ保険証利用率（受付機の記録）50.0%"),
        "{}",
        page.body
    );

    let csv = staff.get("/report.csv?month=2026-03");
    assert_eq!(csv.status, 200);
    assert!(csv.content_type.unwrap().starts_with("text/csv"));
    assert!(
        csv.body.contains(
            "2026-03,portal_screen_checked_by_staff,資格情報画面をスタッフが確認,1,0,50.0"
        )
    );
    assert!(
        csv.body
            .contains("2026-03,card_via_reader,マイナ保険証（カード）,1,1,50.0")
    );

    let bad = staff.get("/report?month=March");
    assert_eq!(bad.status, 400);
}

/// A kiosk staff closed sends its patients to the desk, so the queue says which one, since
/// when and by whom (the name escaped like every value), until staff reopen it.
#[test]
fn the_queue_says_which_kiosk_staff_closed_until_it_is_reopened() {
    let desk = Desk::start();
    let mut staff = desk.signed_in("sato");
    assert!(!staff.get("/").body.contains("kiosk-closed"));
    let lunch = uketsuke::datetime!(2026-11-22 12:02 +09:00);
    desk.store
        .set_kiosk_paused("entrance <b>2F</b>", "sato", true, lunch)
        .unwrap();
    let body = staff.get("/").body;
    assert!(
        body.contains(
            "受付機「entrance &lt;b&gt;2F&lt;/b&gt;」は休止中です（2026-11-22 12:02、sato）"
        ),
        "{body}"
    );
    assert!(!body.contains("再開の予定"), "no time was said: {body}");
    // Staff at the kiosk said when they expect to reopen it: the banner says it too.
    desk.store
        .pause_kiosk(
            "entrance <b>2F</b>",
            "tanaka",
            Some(uketsuke::datetime!(2026-11-22 13:30 +09:00)),
            lunch + chrono::TimeDelta::minutes(3),
        )
        .unwrap();
    let body = staff.get("/").body;
    assert!(
        body.contains("（2026-11-22 12:02、sato）。13:30ごろ再開の予定です。"),
        "{body}"
    );
    desk.store
        .set_kiosk_paused(
            "entrance <b>2F</b>",
            "sato",
            false,
            lunch + chrono::TimeDelta::hours(1),
        )
        .unwrap();
    assert!(!staff.get("/").body.contains("kiosk-closed"));
}
