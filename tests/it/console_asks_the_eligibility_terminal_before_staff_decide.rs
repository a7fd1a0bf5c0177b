//! 「資格確認端末に照会する」 on a portal-screen handoff (issue 17 item 1, "Query by insurance
//! numbers"), in-process over a real SQLite file and a real folder served by the fake
//! eligibility terminal process (`uketsuke-fake-oqs-terminal serve`, Shift_JIS): the typed
//! numbers and birth date go to the terminal as an `OQSsiquc01req` file in `req`; the answer it
//! writes into `res` is shown on the form (validity in staff words, the ratio, the name exactly
//! as given with its ●, the insurer's dates) while the handoff stays open; staff then resolve it
//! as before. An error file, or no answer in time, says so in staff words and the handoff is
//! still resolved by hand; the request is never written twice. A forged form asks nothing.
//! Every query is audited without the name. Without a terminal folder the form says why there
//! is no button.

use uketsuke::domain::HandoffReason;

use crate::console::Desk;
use crate::console::terminal::{
    FakeTerminal, PERSONA_WITH_A_CIRCLE as NUMBERS, element, files, terminal_folder,
};

fn ask(
    staff: &mut crate::console::Client,
    id: i64,
    extra: &[(&str, &str)],
) -> crate::console::Reply {
    let csrf = staff.csrf();
    let mut fields = vec![("csrf", csrf.as_str()), ("action", "portal_screen")];
    fields.extend_from_slice(&NUMBERS);
    fields.extend_from_slice(extra);
    staff.post(&format!("/handoffs/{id}/terminal"), &fields)
}

fn resolve_by_hand(desk: &Desk, staff: &mut crate::console::Client, id: i64) {
    let reply = staff.resolve(
        id,
        &[
            ("action", "portal_screen"),
            ("insurer_number", "01130012"),
            ("number", "345"),
            ("burden_ratio", "10"),
            ("confirm", "yes"),
        ],
    );
    assert_eq!(reply.status, 303, "{}", reply.body);
    let closed = desk.store.check_in(id).unwrap().unwrap();
    assert!(closed.resolution.is_some());
}

fn terminal_audits(desk: &Desk, id: i64) -> Vec<String> {
    desk.store
        .audit_log(50)
        .unwrap()
        .into_iter()
        .filter(|e| e.action == "terminal_queried" && e.check_in_id == Some(id))
        .map(|e| format!("{} {}", e.actor, e.detail))
        .collect()
}

#[test]
fn the_terminals_answer_is_shown_on_the_form_and_staff_then_decide() {
    let folder = terminal_folder();
    let _terminal = FakeTerminal::serve(folder.path(), &[]);
    let desk = Desk::start_with_terminal(folder.path(), 20);
    let handoff = desk.hand_over(HandoffReason::ConfirmPortalScreen);
    let mut staff = desk.signed_in("sato");

    let page = staff.get(&format!("/handoffs/{}", handoff.id));
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains(&format!(
            r#"formaction="/handoffs/{}/terminal#terminal-answer-portal_screen""#,
            handoff.id
        )),
        "{}",
        page.body
    );
    assert!(page.body.contains("資格確認端末に照会する"));
    assert!(page.body.contains(r#"id="portal_screen-birth_date""#));

    let reply = ask(&mut staff, handoff.id, &[]);
    assert_eq!(reply.status, 200, "{}", reply.body);
    let body = &reply.body;
    assert!(
        body.contains(r#"id="terminal-answer-portal_screen""#),
        "{body}"
    );
    for shown in [
        r#"data-validity="有効""#,
        "<strong>有効</strong>",
        "3割（回答に記載なし。生年月日から）",
        "架空　●子",
        "ｶｸｳ ﾖｼｺ",
        "1977-07-07",
        "2025-04-01 〜 2029-03-31",
        "「●」は国のシステムで表せない文字です",
    ] {
        assert!(body.contains(shown), "{shown} not shown: {body}");
    }
    // What staff typed stays in the form.
    assert!(body.contains(r#"value="昭和52年7月7日""#), "{body}");

    // One answer, named after the request (the terminal took the request away), echoing the
    // typed numbers as the terminal read them, and left in place.
    let answers = files(&folder.path().join("res"));
    assert_eq!(answers.len(), 1, "{answers:?}");
    assert!(
        answers[0].starts_with("OQSsiquc01res_") && answers[0].ends_with("0001.xml"),
        "{answers:?}"
    );
    let answer = std::fs::read(folder.path().join("res").join(&answers[0])).unwrap();
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.contains(r#"encoding="Shift_JIS""#), "{answer}");
    assert_eq!(element(&answer, "InsurerNumber"), Some("01130012"));
    assert_eq!(element(&answer, "InsuredIdentificationNumber"), Some("345"));
    assert_eq!(element(&answer, "InsuredBranchNumber"), Some("01"));
    assert_eq!(element(&answer, "Birthdate"), Some("19770707"));
    assert_eq!(
        element(&answer, "MedicalInstitutionCode"),
        Some("1319990014")
    );

    // Nothing was decided: the handoff is open, the query audited without the name.
    assert!(
        desk.store
            .check_in(handoff.id)
            .unwrap()
            .unwrap()
            .resolution
            .is_none()
    );
    let audits = terminal_audits(&desk, handoff.id);
    assert_eq!(audits.len(), 1, "{audits:?}");
    assert!(
        audits[0].starts_with("sato outcome=answered validity=valid"),
        "{audits:?}"
    );
    assert!(!audits[0].contains("架空"), "{audits:?}");

    resolve_by_hand(&desk, &mut staff, handoff.id);
}

#[test]
fn an_error_file_says_the_terminal_refused_and_the_handoff_stays_open() {
    let folder = terminal_folder();
    let _terminal = FakeTerminal::serve(folder.path(), &["--error-file"]);
    let desk = Desk::start_with_terminal(folder.path(), 20);
    let handoff = desk.hand_over(HandoffReason::PaperDocument);
    let mut staff = desk.signed_in("sato");

    let csrf = staff.csrf();
    let mut fields = vec![("csrf", csrf.as_str()), ("action", "paper_document")];
    fields.extend_from_slice(&NUMBERS);
    let reply = staff.post(&format!("/handoffs/{}/terminal", handoff.id), &fields);
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(
        reply
            .body
            .contains(r#"id="terminal-answer-paper_document""#),
        "{}",
        reply.body
    );
    assert!(
        reply
            .body
            .contains("資格確認端末が照会を受け付けませんでした。"),
        "{}",
        reply.body
    );
    assert_eq!(
        terminal_audits(&desk, handoff.id),
        ["sato outcome=error_file"]
    );
    assert!(
        desk.store
            .check_in(handoff.id)
            .unwrap()
            .unwrap()
            .resolution
            .is_none()
    );
}

#[test]
fn no_answer_in_time_says_so_and_the_handoff_is_still_resolved_by_hand() {
    let folder = terminal_folder();
    let desk = Desk::start_with_terminal(folder.path(), 1);
    let handoff = desk.hand_over(HandoffReason::ConfirmPortalScreen);
    let mut staff = desk.signed_in("sato");

    let reply = ask(&mut staff, handoff.id, &[]);
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(
        reply
            .body
            .contains("資格確認端末から回答がありません（1秒）。手で確認して解決できます。"),
        "{}",
        reply.body
    );
    assert!(!reply.body.contains("data-validity"), "{}", reply.body);
    // Written once, never again.
    assert_eq!(files(&folder.path().join("req")).len(), 1);
    let audits = terminal_audits(&desk, handoff.id);
    assert_eq!(audits, ["sato outcome=timeout"]);

    resolve_by_hand(&desk, &mut staff, handoff.id);
    assert_eq!(files(&folder.path().join("req")).len(), 1);
}

#[test]
fn a_forged_or_incomplete_form_asks_nothing() {
    let folder = terminal_folder();
    let desk = Desk::start_with_terminal(folder.path(), 1);
    let handoff = desk.hand_over(HandoffReason::ConfirmPortalScreen);
    let mut staff = desk.signed_in("sato");

    let mut forged = vec![("csrf", "not the token"), ("action", "portal_screen")];
    forged.extend_from_slice(&NUMBERS);
    let reply = staff.post(&format!("/handoffs/{}/terminal", handoff.id), &forged);
    assert_eq!(reply.status, 403, "{}", reply.body);

    // No birth date: the fault under its field, nothing written.
    let reply = ask(&mut staff, handoff.id, &[("birth_date", "")]);
    assert_eq!(reply.status, 422, "{}", reply.body);
    assert!(
        reply
            .body
            .contains("資格確認端末に照会するには生年月日を入力してください。"),
        "{}",
        reply.body
    );
    assert!(
        reply
            .body
            .contains(r#"aria-describedby="portal_screen-birth_date-error""#)
            || reply.body.contains(r#"data-field="birth_date""#),
        "{}",
        reply.body
    );
    assert!(files(&folder.path().join("req")).is_empty());
    assert!(terminal_audits(&desk, handoff.id).is_empty());
}

#[test]
fn without_a_terminal_folder_the_form_says_why_there_is_no_button() {
    let desk = Desk::start();
    let handoff = desk.hand_over(HandoffReason::ConfirmPortalScreen);
    let mut staff = desk.signed_in("sato");
    let page = staff.get(&format!("/handoffs/{}", handoff.id));
    assert_eq!(page.status, 200);
    assert!(
        page.body
            .contains("この受付機には資格確認端末のフォルダが設定されていません"),
        "{}",
        page.body
    );
    assert!(!page.body.contains("資格確認端末に照会する"));
    assert!(!page.body.contains("/terminal"));
}
