//! The patient's answer to the medical-aid certificate question (受給者証) is shown to staff
//! where the check-in is shown, in Japanese: the day's list (本日の受付一覧) and the handoff's
//! page, open or closed. A check-in that was not asked shows nothing about it. Console served
//! in-process over a real SQLite file.

use uketsuke::domain::{
    CheckInRecord, ConsentAnswers, HandoffReason, Outcome, StoredCheckIn, VerificationMethod,
};
use uketsuke::rules::JST;

use crate::console::Desk;

fn commit(desk: &Desk, outcome: Outcome, medical_aid: Option<bool>) -> StoredCheckIn {
    let at = uketsuke::dates::now().with_timezone(&JST);
    let completed = outcome == Outcome::Completed;
    let record = CheckInRecord {
        started_at: at - chrono::TimeDelta::minutes(1),
        finished_at: at,
        visit_date: at.date_naive(),
        presented: None,
        identity: None,
        verification: completed.then_some(VerificationMethod::CardViaReader),
        counts_toward_usage_rate: completed,
        expected_route: None,
        consent: ConsentAnswers {
            medical_aid_certificate: medical_aid,
            ..ConsentAnswers::default()
        },
        eligibility: None,
        outcome,
        checklist: vec![],
        wrong_pin_entries: 0,
        kiosk: "kiosk-1".to_owned(),
        patient_name: None,
        department: None,
    };
    let id = desk.store.commit_check_in(&record).unwrap().check_in_id;
    let stored = desk.store.check_in(id).unwrap().unwrap();
    assert_eq!(
        stored.record.consent.medical_aid_certificate, medical_aid,
        "stored as answered"
    );
    stored
}

/// The row of check-in `id` in the list's HTML.
fn row(html: &str, id: i64) -> &str {
    let start = html
        .find(&format!("data-check-in=\"{id}\""))
        .unwrap_or_else(|| panic!("row {id} in {html}"));
    let end = html[start..]
        .find("</tr>")
        .map_or(html.len(), |e| start + e);
    &html[start..end]
}

#[test]
fn the_list_and_the_handoff_page_say_whether_the_card_stands_for_the_certificate() {
    let desk = Desk::start();
    let yes = commit(&desk, Outcome::Completed, Some(true));
    let not_asked = commit(&desk, Outcome::Completed, None);
    let no = commit(
        &desk,
        Outcome::HandedToStaff {
            reason: HandoffReason::PatientCalledStaff,
        },
        Some(false),
    );
    let mut staff = desk.signed_in("sato");

    let list = staff.get("/check-ins");
    assert_eq!(list.status, 200, "{}", list.body);
    assert!(
        row(&list.body, yes.id).contains("受給者証：マイナ保険証を受給者証として利用する"),
        "{}",
        row(&list.body, yes.id)
    );
    assert!(
        row(&list.body, no.id)
            .contains("受給者証：マイナ保険証では利用しない（紙の受給者証を確認）"),
        "{}",
        row(&list.body, no.id)
    );
    assert!(
        !row(&list.body, not_asked.id).contains("受給者証"),
        "not asked: nothing shown"
    );

    let page = staff.get(&format!("/handoffs/{}", no.id));
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains("data-medical-aid=\"false\"")
            && page.body.contains("紙の受給者証を確認"),
        "{}",
        page.body
    );
}
