//! The audit page reads as Japanese sentences with the person's name and the note, each entry
//! linked to its check-in, filtered by 日付, スタッフ and 受付番号, fifty entries to a page with
//! every older entry reachable (issue 15, review row 19).

use uketsuke::domain::{ClosedAs, HandoffReason, HandoffResolution};
use uketsuke::staff::Role;
use uketsuke::store::NewAuditEntry;

use crate::console::Desk;

fn rows(body: &str) -> usize {
    body.matches("<tr data-action=").count()
}

#[test]
fn the_audit_reads_as_sentences_with_filters_and_pages() {
    let desk = Desk::start();
    desk.add_account("hanako", "受付 花子", Role::Staff);
    let now = uketsuke::dates::now();
    let outage = desk.hand_over(HandoffReason::GatewayUnavailable);
    let called = desk.hand_over(HandoffReason::PatientCalledStaff);
    let close = |id: i64, closed_as: ClosedAs, note: &str, staff: &str| {
        desk.store
            .resolve_handoff(
                id,
                &HandoffResolution {
                    closed_as,
                    note: note.to_owned(),
                    staff: staff.to_owned(),
                    resolved_at: now,
                },
                false,
            )
            .unwrap();
    };
    close(
        outage.id,
        ClosedAs::Unresolved,
        "電話でも確認できず",
        "hanako",
    );
    close(called.id, ClosedAs::Cancelled, "", "sato");
    let (n1, n2) = (
        outage.reception_number.unwrap(),
        called.reception_number.unwrap(),
    );

    let mut client = desk.signed_in("hanako");
    let page = client.get("/audit");
    assert_eq!(page.status, 200, "{}", page.body);
    let b = &page.body;
    for said in [
        format!("受付 {n1} を「確認できなかった」と記録。メモ：「電話でも確認できず」― 受付 花子"),
        format!("受付 {n2} を取り消し ― 佐藤"),
        format!(
            "受付 {n1} を受付機から受付へ引き継ぎ（理由：オンライン資格確認に接続できない）― 受付機"
        ),
        "ログイン ― 受付 花子".to_owned(),
    ] {
        assert!(b.contains(&said), "{said} missing from {b}");
    }
    assert!(
        b.contains(&format!("href=\"/handoffs/{}\"", outage.id)),
        "each entry links to its check-in"
    );
    assert!(!b.contains("closed_as="), "no raw detail on the page");

    // スタッフ: only 佐藤's entries.
    let sato = client.get("/audit?staff=sato").body;
    assert!(sato.contains(&format!("受付 {n2} を取り消し ― 佐藤")));
    assert!(!sato.contains("受付 花子</td>") && !sato.contains("― 受付 花子"));
    // 受付番号 (typed full width, as with the IME on): only that patient's entries.
    let wide: String = n1
        .to_string()
        .chars()
        .map(|c| char::from_u32(c as u32 - '0' as u32 + '０' as u32).unwrap())
        .collect();
    let one = client.get(&format!("/audit?number={wide}")).body;
    assert!(one.contains(&format!("受付 {n1} を「確認できなかった」と記録")));
    assert!(!one.contains(&format!("受付 {n2} を")));
    assert_eq!(rows(&one), 2, "its hand-over and its closing");
    // 日付: today has them, a day long ago none.
    let today = now.with_timezone(&uketsuke::rules::JST).date_naive();
    assert!(rows(&client.get(&format!("/audit?day={today}")).body) >= 4);
    let long_ago = client.get("/audit?day=2001-01-01").body;
    assert_eq!(rows(&long_ago), 0);
    assert!(long_ago.contains("この条件に合う記録はありません"));

    // Paging: a busy day's entries, fifty to a page, every one reachable.
    for _ in 0..220 {
        desk.store
            .append_audit(&NewAuditEntry {
                at: now,
                actor: "sato".into(),
                action: "signed_in".into(),
                check_in_id: None,
                detail: String::new(),
            })
            .unwrap();
    }
    let total = desk.store.audit_log(100_000).unwrap().len();
    assert!(total > 200, "more than the old page's 200 limit: {total}");
    let mut seen = 0;
    let mut page_no = 1;
    loop {
        let body = client.get(&format!("/audit?page={page_no}")).body;
        let n = rows(&body);
        assert!(n <= 50);
        seen += n;
        if !body.contains("rel=\"next\"") {
            assert!(
                body.contains("アカウント sato（スタッフ）を追加"),
                "the oldest entry is on the last page"
            );
            break;
        }
        assert_eq!(n, 50);
        page_no += 1;
    }
    // The page's own sign-ins came after `total` was read.
    assert!(seen >= total, "{seen} of {total} reachable");
    assert!(page_no >= 5);
}
