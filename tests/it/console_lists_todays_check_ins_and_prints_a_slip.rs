//! 「本日の受付一覧」 lists the day's check-ins with their status, finds one by 受付番号 or name
//! (typed as clerks type: full-width digits too), filters by kiosk, status and day, and links
//! each row to its page; the patient's slip and a pre-filled 被保険者資格申立書 print with the
//! number and the facility's name; the report answers in one line with last month beside it
//! (and the target only when the rules data has one); the CSV opens in Excel on Japanese
//! Windows (a BOM, a Japanese 「確認方法」 column). Console served in-process over a real SQLite
//! file.

use chrono::{DateTime, FixedOffset};
use uketsuke::domain::{
    CheckInRecord, ClosedAs, HandoffReason, HandoffResolution, Outcome, PatientName, Step,
    StoredCheckIn, VerificationMethod,
};
use uketsuke::rules::{JST, Rules};

use crate::console::Desk;

const FACILITY: &str = "さくら内科クリニック";

fn now() -> DateTime<FixedOffset> {
    uketsuke::dates::now().with_timezone(&JST)
}

/// Commits a check-in as a kiosk named `kiosk` would, at `at`.
fn commit(
    desk: &Desk,
    at: DateTime<FixedOffset>,
    outcome: Outcome,
    kiosk: &str,
    name: Option<(&str, &str)>,
) -> StoredCheckIn {
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
        consent: Default::default(),
        eligibility: None,
        outcome,
        checklist: vec![],
        wrong_pin_entries: 0,
        kiosk: kiosk.to_owned(),
        patient_name: name.map(|(name, kana)| PatientName {
            name: name.to_owned(),
            kana: Some(kana.to_owned()),
            birth_date: None,
        }),
        department: None,
    };
    let id = desk.store.commit_check_in(&record).unwrap().check_in_id;
    desk.store.check_in(id).unwrap().unwrap()
}

fn handed(reason: HandoffReason) -> Outcome {
    Outcome::HandedToStaff { reason }
}

/// `%XX` for every byte but ASCII letters and digits.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b == b'-' {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// The check-in ids of the list's rows, in page order.
fn rows(body: &str) -> Vec<i64> {
    body.split("<tr data-check-in=\"")
        .skip(1)
        .map(|rest| rest[..rest.find('"').unwrap()].parse().unwrap())
        .collect()
}

#[test]
fn the_list_finds_and_filters_the_days_check_ins_and_links_each_row() {
    let desk = Desk::start_named(Rules::embedded(), FACILITY);
    let today = now();
    let card = commit(&desk, today, Outcome::Completed, "受付機1", None);
    let named = commit(
        &desk,
        today,
        handed(HandoffReason::EligibilityInvalid),
        "2階 受付機",
        Some(("山田 花子", "ヤマダ ハナコ")),
    );
    let portal = commit(
        &desk,
        today,
        handed(HandoffReason::ConfirmPortalScreen),
        "受付機1",
        None,
    );
    desk.store
        .resolve_handoff(
            portal.id,
            &HandoffResolution {
                closed_as: ClosedAs::Cancelled,
                note: "お帰りになった".to_owned(),
                staff: "sato".to_owned(),
                resolved_at: today,
            },
            false,
        )
        .unwrap();
    let walked_away = commit(
        &desk,
        today,
        Outcome::TimedOut { at: Step::PinEntry },
        "受付機1",
        None,
    );
    let yesterday = today - chrono::TimeDelta::days(1);
    let earlier = commit(&desk, yesterday, Outcome::Completed, "受付機1", None);

    let mut staff = desk.signed_in("sato");
    let queue = staff.get("/");
    assert!(
        queue.body.contains("href=\"/check-ins\""),
        "linked from the header"
    );

    let list = staff.get("/check-ins");
    assert_eq!(list.status, 200, "{}", list.body);
    assert!(list.body.contains("本日（"), "{}", list.body);
    assert_eq!(
        rows(&list.body),
        vec![walked_away.id, portal.id, named.id, card.id],
        "today's check-ins, newest first; not yesterday's"
    );
    for (id, status, word) in [
        (card.id, "completed", "完了"),
        (named.id, "waiting", "対応待ち"),
        (portal.id, "cancelled", "取消"),
        (walked_away.id, "timed_out", "時間切れ"),
    ] {
        let row = format!("<tr data-check-in=\"{id}\" data-status=\"{status}\">");
        let at = list.body.find(&row).unwrap_or_else(|| panic!("{row}"));
        let cell = &list.body[at..at + list.body[at..].find("</tr>").unwrap()];
        assert!(
            cell.contains(&format!("<td class=\"status\">{word}</td>")),
            "{cell}"
        );
    }
    // Each handoff row opens its page, open or closed.
    for id in [named.id, portal.id] {
        assert!(list.body.contains(&format!("href=\"/handoffs/{id}\"")));
        assert_eq!(staff.get(&format!("/handoffs/{id}")).status, 200);
    }

    let number = named.reception_number.unwrap().0;
    let full_width: String = number
        .to_string()
        .chars()
        .map(|c| char::from_u32(c as u32 + 0xfee0).unwrap())
        .collect();
    for (query, expected) in [
        (format!("q={number}"), vec![named.id]),
        (format!("q={}", encode(&full_width)), vec![named.id]),
        (format!("q={}", encode("山田花子")), vec![named.id]),
        (format!("q={}", encode("ハナコ")), vec![named.id]),
        (format!("kiosk={}", encode("2階 受付機")), vec![named.id]),
        ("status=completed".to_owned(), vec![card.id]),
        (format!("day={}", yesterday.date_naive()), vec![earlier.id]),
        (
            format!("day={}&status=waiting", yesterday.date_naive()),
            vec![],
        ),
    ] {
        let page = staff.get(&format!("/check-ins?{query}"));
        assert_eq!(page.status, 200, "{query}: {}", page.body);
        assert_eq!(rows(&page.body), expected, "{query}");
    }
    let bad = staff.get(&format!("/check-ins?day={}", encode("きのう")));
    assert_eq!(bad.status, 400);
    assert!(
        bad.body.contains("日付「きのう」が読めません"),
        "{}",
        bad.body
    );
}

#[test]
fn the_slip_and_the_declaration_print_with_the_number_and_the_facility() {
    let desk = Desk::start_named(Rules::embedded(), FACILITY);
    let today = now();
    let outage = commit(
        &desk,
        today,
        handed(HandoffReason::GatewayUnavailable),
        "受付機1",
        Some(("山田 花子", "ヤマダ ハナコ")),
    );
    let walked_away = commit(
        &desk,
        today,
        Outcome::Cancelled { at: Step::Welcome },
        "受付機1",
        None,
    );
    let number = outage.reception_number.unwrap().0;
    let mut staff = desk.signed_in("sato");

    let slip = staff.get(&format!("/check-ins/{}/slip", outage.id));
    assert_eq!(slip.status, 200, "{}", slip.body);
    assert!(
        slip.body.contains(&format!(
            "<p class=\"number\" id=\"slip-number\">{number}</p>"
        )),
        "{}",
        slip.body
    );
    assert!(slip.body.contains(FACILITY));
    assert!(
        slip.body
            .contains("次回はマイナ保険証（マイナンバーカード）か資格確認書をお持ちください。")
    );
    assert!(slip.body.contains("data-print"), "a print button");
    assert!(slip.body.contains("<script src=\"/print.js\""));
    assert!(slip.body.contains("@media print"));

    let form = staff.get(&format!("/check-ins/{}/declaration", outage.id));
    assert_eq!(form.status, 200, "{}", form.body);
    for filled in [
        "被保険者資格申立書",
        "山田 花子",
        "ヤマダ ハナコ",
        FACILITY,
        &format!("<td id=\"declaration-number\">{number}</td>"),
        "オンライン資格確認に接続できなかった（回線・システム障害）",
        "生年月日",
        "勤務先の名称",
    ] {
        assert!(form.body.contains(filled), "{filled}: {}", form.body);
    }

    let script = staff.get("/print.js");
    assert_eq!(script.status, 200);
    assert!(script.body.contains("window.print()"));

    // A check-in the patient cancelled at the kiosk has no number to print.
    assert_eq!(
        staff
            .get(&format!("/check-ins/{}/slip", walked_away.id))
            .status,
        404
    );
    // Not signed in: nothing.
    let mut stranger = desk.client();
    for path in [
        "/check-ins".to_owned(),
        format!("/check-ins/{}/slip", outage.id),
        format!("/check-ins/{}/declaration", outage.id),
    ] {
        let reply = stranger.get(&path);
        assert_eq!(reply.status, 303, "{path}");
        assert!(!reply.body.contains("山田"), "{path}");
    }
}

#[test]
fn the_report_answers_in_one_line_and_its_csv_opens_in_excel() {
    let desk = Desk::start();
    let today = now();
    commit(&desk, today, Outcome::Completed, "受付機1", None);
    commit(&desk, today, Outcome::Completed, "受付機1", None);
    // Handed over expecting the portal-screen route, not yet closed: waiting, not confirmed.
    let mut portal = desk.hand_over(HandoffReason::ConfirmPortalScreen);
    assert_eq!(
        portal.record.expected_route,
        Some(VerificationMethod::PortalScreenCheckedByStaff)
    );
    assert_eq!(portal.record.verification, None);
    let mut staff = desk.signed_in("sato");

    let page = staff.get("/report");
    assert_eq!(page.status, 200, "{}", page.body);
    for line in [
        "今月のマイナ保険証利用率（受付機の記録）100.0%",
        "先月 記録なし",
        "対応待ち 1件（利用率の計算に含めない）",
        "加算の判定には支払基金から届くレセプト件数ベースの利用率を使います（この数字は参考値）",
        "data-print",
        "@media print",
    ] {
        assert!(page.body.contains(line), "{line}: {}", page.body);
    }
    // The embedded rules data's target (issue 16 item 2), drawn on the rate chart.
    assert!(
        page.body
            .contains("目標 30%（電子的診療情報連携体制整備加算）"),
        "{}",
        page.body
    );

    // Last month beside it.
    let first = chrono::Datelike::with_day(&today, 1).unwrap();
    let last_month = first - chrono::TimeDelta::days(1);
    commit(&desk, last_month, Outcome::Completed, "受付機1", None);
    portal = commit(
        &desk,
        last_month,
        handed(HandoffReason::PaperDocument),
        "受付機1",
        None,
    );
    desk.store
        .resolve_handoff(
            portal.id,
            &HandoffResolution {
                closed_as: ClosedAs::Verified {
                    verification: VerificationMethod::EligibilityCertificate,
                    identity: None,
                    read_off: None,
                },
                note: String::new(),
                staff: "sato".to_owned(),
                resolved_at: last_month,
            },
            false,
        )
        .unwrap();
    let page = staff.get("/report");
    assert!(page.body.contains("先月 50.0%"), "{}", page.body);

    // An empty month says so in a sentence.
    let empty = staff.get("/report?month=2019-01");
    assert!(
        empty
            .body
            .contains("2019年1月の受付機の記録はまだありません。"),
        "{}",
        empty.body
    );

    let csv = staff.get("/report.csv");
    assert_eq!(csv.status, 200);
    assert!(
        csv.body.starts_with('\u{feff}'),
        "a BOM, so Excel reads UTF-8"
    );
    assert!(
        csv.body.contains(
            "month,category,確認方法,check_ins,counted_toward_usage_rate,share_percent\n"
        )
    );
    assert!(
        csv.body
            .contains(",card_via_reader,マイナ保険証（カード）,2,2,100.0\n")
    );
    assert!(
        csv.body
            .contains(",waiting_for_staff,対応待ち（利用率の計算に含めない）,1,0,\n")
    );
}

#[test]
fn the_target_line_shows_only_when_the_rules_data_has_a_dated_target() {
    let mut rules: serde_json::Value =
        serde_json::from_str(include_str!("../../config/rules.json")).unwrap();
    rules["usage_rate_targets"] = serde_json::json!([{
        "from": "2020-01-01", "percent": 30, "name": "テスト用の目標", "source": "this test"
    }]);
    let desk = Desk::start_with(Rules::from_json(&rules.to_string(), "test").unwrap());
    commit(&desk, now(), Outcome::Completed, "受付機1", None);
    let mut staff = desk.signed_in("sato");
    let page = staff.get("/report");
    assert!(page.body.contains("目標 30%：達成"), "{}", page.body);
    let before = staff.get("/report?month=2019-12");
    assert!(!before.body.contains("目標"), "not before its date");
}
