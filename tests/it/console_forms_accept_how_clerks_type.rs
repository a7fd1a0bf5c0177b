//! The resolve page's forms take numbers and dates the way reception staff type them (the IME
//! left on, 枝番 "1", 和暦, slashes), read them back in large type before anything is stored,
//! redirect after the record (a reload cannot record twice), name each fault under its field,
//! and pre-select the document the patient declared at the kiosk.

use crate::console;

use console::{Client, Desk};
use uketsuke::domain::{BurdenRatio, ClosedAs, HandoffReason, InsuranceNumbers, StoredCheckIn};

/// The hidden inputs of the form with this id, as (name, value), in order.
fn hidden_inputs(html: &str, form_id: &str) -> Vec<(String, String)> {
    let start = html
        .find(&format!("id=\"{form_id}\""))
        .unwrap_or_else(|| panic!("no form {form_id} in {html}"));
    let form = &html[start..start + html[start..].find("</form>").unwrap()];
    let attr = |tag: &str, name: &str| {
        let key = format!(" {name}=\"");
        let at = tag.find(&key)? + key.len();
        Some(tag[at..at + tag[at..].find('"')?].to_owned())
    };
    form.split("<input")
        .skip(1)
        .map(|t| &t[..t.find('>').unwrap()])
        .filter(|t| t.contains("type=\"hidden\""))
        .map(|t| {
            (
                attr(t, "name").unwrap(),
                attr(t, "value").unwrap_or_default(),
            )
        })
        .collect()
}

/// Presses the read-back step's button: posts exactly what that form carries.
fn confirm_read_back(staff: &mut Client, id: i64, page: &str, action: &str) -> console::Reply {
    let fields = hidden_inputs(page, &format!("confirm-{action}"));
    let borrowed: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    staff.post(&format!("/handoffs/{id}/resolve"), &borrowed)
}

fn numbers(stored: &StoredCheckIn) -> InsuranceNumbers {
    match &stored.resolution.as_ref().expect("resolved").closed_as {
        ClosedAs::Verified {
            read_off: Some(n), ..
        } => n.clone(),
        other => panic!("no numbers: {other:?}"),
    }
}

/// The opening tag of the element with this id.
fn tag_with_id<'a>(html: &'a str, id: &str) -> &'a str {
    let at = html
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no #{id}"));
    let open = html[..at].rfind('<').unwrap();
    &html[open..at + html[at..].find('>').unwrap()]
}

#[test]
fn full_width_digits_a_one_digit_branch_and_the_era_are_read_back_then_recorded_once() {
    let desk = Desk::start();
    let handoff = desk.hand_over(HandoffReason::ConfirmPortalScreen);
    let mut staff = desk.signed_in("sato");

    let page = staff.get(&format!("/handoffs/{}", handoff.id));
    // The first field has the focus; the date's example sits below the box, not inside it.
    assert!(tag_with_id(&page.body, "portal_screen-insurer_number").contains("autofocus"));
    assert!(page.body.contains("例：2027-03-31"));
    assert!(!page.body.contains("placeholder"));
    assert!(page.body.contains("src=\"/resolve.js\""));

    let asked = staff.resolve(
        handoff.id,
        &[
            ("action", "portal_screen"),
            ("insurer_number", "０１１３　００１２"),
            ("symbol", "１２"),
            ("number", "３４５"),
            ("branch", "１"),
            ("burden_ratio", "30"),
            ("valid_until", "令和９年３月３１日"),
            ("note", "IMEのまま"),
        ],
    );
    // Not recorded yet: the numbers as they will be stored, in large type, and one button.
    assert!(
        desk.store
            .check_in(handoff.id)
            .unwrap()
            .unwrap()
            .resolution
            .is_none()
    );
    let body = &asked.body;
    let line_at = body.find("class=\"read-back-line\"").expect(body);
    let line = &body[line_at..line_at + body[line_at..].find("</p>").unwrap()];
    for part in [
        "保険者番号",
        "<strong>0113 0012</strong>",
        "記号",
        "<strong>12</strong>",
        "番号",
        "<strong>345</strong>",
        "枝番",
        "<strong>01</strong>",
        "<strong>3割</strong>",
        "2027-03-31（令和9年3月31日）",
    ] {
        assert!(line.contains(part), "{part} not read back: {line}");
    }
    assert!(body.contains("この内容で記録"));
    // The form to correct them is filled with the same, folded values.
    assert!(tag_with_id(body, "portal_screen-branch").contains("value=\"01\""));

    let recorded = confirm_read_back(&mut staff, handoff.id, body, "portal_screen");
    // Redirect after the POST: a reload shows the queue, it cannot post again.
    assert_eq!(recorded.status, 303, "{}", recorded.body);
    let location = recorded.location.unwrap();
    assert_eq!(location, format!("/?closed={}", handoff.id));
    let queue = staff.get(&location);
    assert_eq!(queue.status, 200);
    assert!(queue.body.contains("受付番号"), "{}", queue.body);

    let stored = desk.store.check_in(handoff.id).unwrap().unwrap();
    let n = numbers(&stored);
    assert_eq!(n.insurer_number, "01130012");
    assert_eq!(n.symbol.as_deref(), Some("12"));
    assert_eq!(n.number, "345");
    assert_eq!(n.branch.as_deref(), Some("01"));
    assert_eq!(n.burden_ratio, Some(BurdenRatio(30)));
    assert_eq!(n.valid_until, Some(uketsuke::date!(2027 - 03 - 31)));
    assert_eq!(stored.resolution.unwrap().note, "IMEのまま");
}

#[test]
fn slashes_and_the_era_letter_are_dates() {
    let desk = Desk::start();
    let mut staff = desk.signed_in("sato");
    for typed in ["2027/3/31", "2027/03/31", "R9.3.31", "令和9/3/31"] {
        let handoff = desk.hand_over(HandoffReason::ConfirmPortalScreen);
        let asked = staff.resolve(
            handoff.id,
            &[
                ("action", "portal_screen"),
                ("insurer_number", "01130012"),
                ("number", "1"),
                ("burden_ratio", "30"),
                ("valid_until", typed),
            ],
        );
        assert!(
            asked.body.contains("2027-03-31（令和9年3月31日）"),
            "{typed}: {}",
            asked.body
        );
        let recorded = confirm_read_back(&mut staff, handoff.id, &asked.body, "portal_screen");
        assert_eq!(recorded.status, 303, "{typed}");
        let n = numbers(&desk.store.check_in(handoff.id).unwrap().unwrap());
        assert_eq!(n.valid_until, Some(uketsuke::date!(2027 - 03 - 31)));
    }
}

#[test]
fn each_fault_is_named_under_its_field_and_only_the_sent_form_is_filled_back() {
    let desk = Desk::start();
    let handoff = desk.hand_over(HandoffReason::ConfirmPortalScreen);
    let mut staff = desk.signed_in("sato");
    let reply = staff.resolve(
        handoff.id,
        &[
            ("action", "portal_screen"),
            // Eight digits typed full-width, the last one wrong.
            ("insurer_number", "０１１３００１３"),
            ("number", "345"),
            ("branch", "123"),
            ("burden_ratio", "30"),
            ("valid_until", "2027-02-30"),
            ("note", "一度だけ書いたメモ"),
        ],
    );
    assert_eq!(reply.status, 422);
    let body = &reply.body;
    let under = |field: &str| {
        let id = format!("portal_screen-{field}-error");
        let tag = tag_with_id(body, &id);
        assert!(tag.starts_with("<p"), "{tag}");
        let at = body.find(&format!("id=\"{id}\"")).unwrap();
        let text = &body[at..at + body[at..].find("</p>").unwrap()];
        let input = tag_with_id(body, &format!("portal_screen-{field}"));
        assert!(input.contains("aria-invalid=\"true\""), "{input}");
        assert!(input.contains(&id), "described by its fault: {input}");
        text.to_owned()
    };
    // The right message: the digits are 8, the last one is wrong.
    assert!(under("insurer_number").contains("最後の1桁（検証番号）が合いません"));
    assert!(!body.contains("6桁（国民健康保険）か8桁です。入力されたのは"));
    assert!(under("branch").contains("枝番は2桁です。入力されたのは3桁です"));
    assert!(under("valid_until").contains("2027年2月30日という日はありません"));
    assert!(!tag_with_id(body, "portal_screen-number").contains("aria-invalid"));
    // The focus goes to the first field at fault.
    assert!(tag_with_id(body, "portal_screen-insurer_number").contains("autofocus"));
    assert_eq!(body.matches("autofocus").count(), 1);
    // The note is filled back in the form that was sent, and in no other.
    assert_eq!(body.matches("一度だけ書いたメモ").count(), 1, "{body}");
    assert!(desk.store.open_handoffs().unwrap().len() == 1);
}

#[test]
fn a_screen_without_a_ratio_is_recorded_as_none_shown() {
    let desk = Desk::start();
    let handoff = desk.hand_over(HandoffReason::ConfirmPortalScreen);
    let mut staff = desk.signed_in("sato");
    let page = staff.get(&format!("/handoffs/{}", handoff.id));
    assert!(
        page.body
            .contains("表示なし（年齢で判断：70歳未満3割、未就学2割）")
    );
    let asked = staff.resolve(
        handoff.id,
        &[
            ("action", "portal_screen"),
            ("insurer_number", "138065"),
            ("number", "7"),
            ("burden_ratio", "none"),
        ],
    );
    assert!(
        asked.body.contains("表示なし（年齢で判断）"),
        "{}",
        asked.body
    );
    let recorded = confirm_read_back(&mut staff, handoff.id, &asked.body, "portal_screen");
    assert_eq!(recorded.status, 303, "{}", recorded.body);
    let n = numbers(&desk.store.check_in(handoff.id).unwrap().unwrap());
    assert_eq!(n.burden_ratio, None);
}

#[test]
fn the_declared_document_is_pre_selected_and_the_notice_numbers_can_be_copied() {
    let desk = Desk::start();
    // The harness's paper handoff: the patient declared a 資格確認書 at the kiosk.
    let handoff = desk.hand_over(HandoffReason::PaperDocument);
    let mut staff = desk.signed_in("sato");
    let page = staff.get(&format!("/handoffs/{}", handoff.id));
    let body = &page.body;
    let radio = |value: &str| {
        let at = body.find(&format!("value=\"{value}\"")).unwrap();
        let open = body[..at].rfind('<').unwrap();
        body[open..at + body[at..].find('>').unwrap()].to_owned()
    };
    assert!(radio("eligibility_certificate").contains("checked"));
    assert!(!radio("past_record").contains("checked"));
    let label_at = body.find("value=\"eligibility_certificate\"").unwrap();
    let label = &body[label_at..label_at + body[label_at..].find("</label>").unwrap()];
    assert!(label.contains("（患者さんの申告）"), "{label}");
    assert!(body.contains("患者さんの申告（受付機）"));
    // The paper form has (optional) number fields.
    assert!(body.contains("id=\"paper_document-insurer_number\""));

    // The notice with the card, numbers copied: read back, then stored with the document.
    let asked = staff.resolve(
        handoff.id,
        &[
            ("action", "paper_document"),
            ("document", "notice_with_card_checked_by_staff"),
            ("insurer_number", "０１１３００１２"),
            ("number", "５"),
            ("branch", "2"),
            ("burden_ratio", "30"),
        ],
    );
    assert!(
        asked.body.contains("<strong>0113 0012</strong>"),
        "{}",
        asked.body
    );
    let recorded = confirm_read_back(&mut staff, handoff.id, &asked.body, "paper_document");
    assert_eq!(recorded.status, 303, "{}", recorded.body);
    let stored = desk.store.check_in(handoff.id).unwrap().unwrap();
    let n = numbers(&stored);
    assert_eq!(n.branch.as_deref(), Some("02"));
    assert_eq!(
        stored.record.verification,
        Some(uketsuke::domain::VerificationMethod::NoticeWithCardCheckedByStaff)
    );
}

#[test]
fn the_live_check_digit_script_is_served() {
    let desk = Desk::start();
    let mut staff = desk.signed_in("sato");
    let script = staff.get("/resolve.js");
    assert_eq!(script.status, 200);
    assert!(script.content_type.unwrap().starts_with("text/javascript"));
    assert!(script.body.contains("最後の1桁（検証番号）が合いません"));
}
