//! The console's pages, rendered on the server. maud escapes every value it interpolates, so a
//! name or note holding markup is shown as the characters it is, never run.
//!
//! Japanese first for reception staff, English beside it for everyone else.

use maud::{DOCTYPE, Markup, PreEscaped, html};
use time::OffsetDateTime;

use crate::desk::queue::{self as desk_queue, Queue, Row, WaitMark};
use crate::desk::{DeskAction, FieldError, PaperSeen, actions_for, confirmation_prompt, offer};
use crate::domain::{
    ChecklistItem, ClosedAs, HandoffReason, IdentityMethod, PatientName, StoredCheckIn, Validity,
    VerificationMethod,
};
use crate::rules::JST;
use crate::staff::{Role, StaffAccount, StaffSession};
use crate::store::KioskPause;

const STYLE: &str = "
body{font-family:'Noto Sans CJK JP','Noto Sans JP',sans-serif;margin:0;color:#111;background:#f6f6f4;font-size:17px}
header{background:#123;color:#fff;padding:.6em 1em;display:flex;gap:1.2em;align-items:center;flex-wrap:wrap}
header a{color:#fff}header .en{color:#cde}header .who{margin-left:auto}
header form{display:inline}
main{padding:1em 1.5em;max-width:70em}
h1{font-size:1.5em}h2{font-size:1.2em}
table{border-collapse:collapse;background:#fff}th,td{border:1px solid #bbb;padding:.4em .6em;text-align:left;vertical-align:top}
.num{font-size:1.6em;font-weight:bold}
.en{color:#555;font-size:.85em}
.errors{border:2px solid #b00;background:#fee;padding:.5em 1em}
.notice{border:2px solid #960;background:#ffe;padding:.5em 1em}
.ok{border:2px solid #070;background:#efe;padding:.5em 1em}
.neutral{border:2px solid #888;background:#f0f0f0;padding:.5em 1em}
#other-actions>summary{font-size:1.1em;cursor:pointer;padding:.4em 0}
table.saved th{background:#f0f0ee;white-space:nowrap}
form.resolve{background:#fff;border:1px solid #bbb;padding:.8em 1em;margin:.8em 0}
label{display:block;margin:.4em 0}
input,select,textarea,button{font-size:1em}
button{padding:.4em 1em}
.empty{color:#555}
#badge{background:#fff;color:#123;font-weight:bold;padding:.15em .6em;border-radius:.3em;text-decoration:none}
#live-stopped{margin:0;border:3px solid #b00;background:#fee;color:#900;font-weight:bold;padding:.6em 1.5em}
tr.wait-long td.wait{font-weight:bold}
tr.wait-very-long{background:#fdd}tr.wait-very-long td.wait{font-weight:bold;color:#900;border-left:8px solid #c00}
.content-warning{color:#900;font-weight:bold}
.claim{display:block;font-weight:bold;color:#036}
.warning{border:4px solid #c00;background:#fee;padding:.6em 1em;font-size:1.15em}
section#earlier{margin-top:1.5em;border-top:3px solid #960;padding-top:.5em}
.headline{font-size:1.6em;margin:.3em 0}
.small{font-size:.85em}
.filters label{display:inline-block;margin:0 1em .4em 0;vertical-align:bottom}
@media print{header,nav,form,button,.no-print{display:none!important}body{background:#fff;font-size:11pt}main{padding:0;max-width:none}a{color:#000;text-decoration:none}}
";

/// "13:30": the time of day in Japan.
fn clock(t: OffsetDateTime) -> String {
    let t = t.to_offset(JST);
    format!("{:02}:{:02}", t.hour(), t.minute())
}

pub(super) fn jst(t: OffsetDateTime) -> String {
    let t = t.to_offset(JST);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}",
        t.year(),
        t.month() as u8,
        t.day(),
        t.hour(),
        t.minute()
    )
}

/// A page with the navigation for a signed-in member of staff (or none, for the sign-in page).
pub fn layout(title: &str, session: Option<&StaffSession>, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="ja" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " — uketsuke" }
                style { (PreEscaped(STYLE)) }
            }
            body {
                header {
                    strong { "uketsuke 受付" }
                    @if let Some(session) = session {
                        a href="/" { "受付待ち " span.en { "Queue" } }
                        a href="/check-ins" { "本日の受付一覧" }
                        a href="/report" { "月次レポート " span.en { "Report" } }
                        a href="/audit" { "監査ログ " span.en { "Audit log" } }
                        @if session.account.role.manages_accounts() {
                            a href="/accounts" { "アカウント " span.en { "Accounts" } }
                        }
                        // Filled and kept current by /queue.js (the queue's stream, elsewhere a
                        // small poll of /badge): 「対応待ち 12件（最長 38分）」.
                        a #badge href="/" aria-live="polite" {}
                        span.who {
                            (session.account.display_name) " (" (session.account.login) ") "
                            form method="post" action="/logout" {
                                input type="hidden" name="csrf" value=(session.csrf_token);
                                button type="submit" { "ログアウト Sign out" }
                            }
                        }
                    }
                }
                @if session.is_some() {
                    p #live-stopped.no-print role="alert" hidden { "自動更新が止まっています。再読み込みしてください。" }
                }
                main { (body) }
                @if session.is_some() { script src="/queue.js" defer {} }
            }
        }
    }
}

pub fn login(csrf: &str, error: Option<&str>) -> Markup {
    layout(
        "ログイン Sign in",
        None,
        html! {
            h1 { "スタッフ ログイン " span.en { "Staff sign-in" } }
            @if let Some(error) = error {
                p.errors role="alert" { (error) }
            }
            form method="post" action="/login" {
                input type="hidden" name="csrf" value=(csrf);
                label { "ログイン名 " span.en { "Login" } br; input name="login" autocomplete="username" required autofocus; }
                label { "パスワード " span.en { "Password" } br; input name="password" type="password" autocomplete="current-password" required; }
                button type="submit" { "ログイン Sign in" }
            }
        },
    )
}

pub fn reason_text(reason: HandoffReason) -> (&'static str, &'static str) {
    match reason {
        HandoffReason::ConfirmPortalScreen => (
            "スマホの資格情報画面を目で確認",
            "Check the Mynaportal eligibility screen on the phone",
        ),
        HandoffReason::StaffVisualCheck => {
            ("本人確認（目視）", "Visual identity check with the card")
        }
        HandoffReason::PatientAskedStaffToCheck => (
            "本人確認（目視）・患者さんの希望",
            "Visual identity check with the card (the patient asked)",
        ),
        HandoffReason::CardBlocked => ("暗証番号ロック", "PIN locked"),
        HandoffReason::PaperDocument => ("書類の確認", "Paper document to check"),
        HandoffReason::EligibilityInvalid => ("資格無効", "Eligibility invalid"),
        HandoffReason::NoEligibility => ("資格情報なし", "No eligibility found"),
        HandoffReason::SeveralMatches => ("資格が複数該当", "Several eligibility records"),
        HandoffReason::GatewayUnavailable => (
            "資格確認システムに接続できない",
            "Eligibility system unavailable",
        ),
        HandoffReason::CertificateNotAccepted => (
            "電子証明書が受け付けられない（失効・期限切れなど）",
            "Card certificate not accepted (revoked or expired)",
        ),
        HandoffReason::PatientCalledStaff => ("患者さんがスタッフを呼んだ", "Patient called staff"),
        HandoffReason::ReaderOutOfService => ("カードリーダー停止中", "Card reader out of service"),
    }
}

pub fn checklist_text(item: ChecklistItem) -> (&'static str, &'static str) {
    match item {
        ChecklistItem::CheckPortalEligibilityScreen => (
            "患者さんのスマホでマイナポータルの資格情報画面を見る",
            "Look at the eligibility screen in Mynaportal on the patient's phone",
        ),
        ChecklistItem::RecordInsuranceNumbers => (
            "保険者番号・記号・番号・枝番を控える",
            "Record the insurer number, symbol, number and branch",
        ),
        ChecklistItem::CompareCardPhoto => (
            "カードの顔写真と本人を見比べる",
            "Compare the card photo with the patient",
        ),
        ChecklistItem::NoPinAtDeskOneTryLeft => (
            "暗証番号の残りは1回：受付でも暗証番号は入力させない（目視確認モード）",
            "",
        ),
        ChecklistItem::NoPinAtDeskTriesUnknown => (
            "暗証番号の残り回数が読めないカード：受付でも暗証番号は入力させない（目視確認モード）",
            "",
        ),
        ChecklistItem::CheckCertificateValidity => (
            "資格確認書の有効期限を確認する",
            "Check the eligibility certificate's validity",
        ),
        ChecklistItem::ElderlyCertificateProvisional => (
            "75歳以上の方の暫定的な資格確認書",
            "Provisional eligibility certificate for a person aged 75+",
        ),
        ChecklistItem::QueryOnlineByNumbers => (
            "書類の番号でオンライン資格確認をする",
            "Query eligibility online by the document's numbers",
        ),
        ChecklistItem::ProvisionalHandlingApplies => (
            "期限切れ保険証の暫定的な取扱い期間中",
            "Provisional handling of expired cards applies",
        ),
        ChecklistItem::ProvisionalHandlingEnded => (
            "暫定的な取扱いは終了：期限切れの保険証だけでは確認できない",
            "Provisional handling has ended: an expired card alone does not confirm eligibility",
        ),
        ChecklistItem::PastRecordOralCheck => (
            "再診：受付歴と口頭で確認",
            "Returning patient: past record and an oral check",
        ),
        ChecklistItem::SelfDeclarationForm => (
            "初診：被保険者資格申立書を書いてもらう",
            "First visit: the self-declaration form",
        ),
        ChecklistItem::ChargeNormalShare => (
            "通常の負担割合で（10割にしない）",
            "Charge the normal share, never 100%",
        ),
        ChecklistItem::AskForCardNextTime => (
            "次回はカードか資格確認書を持ってきてもらう",
            "Ask for the card or certificate next time",
        ),
        ChecklistItem::PinResetAtMunicipalOffice => (
            "暗証番号の再設定は市区町村の窓口で",
            "The PIN is reset at the municipal office",
        ),
        ChecklistItem::RenewCertificateAtMunicipalOffice => (
            "電子証明書の更新は市区町村の窓口で（本人に案内する）",
            "Tell the patient to renew the card's certificate at the municipal office",
        ),
        ChecklistItem::ChooseAmongMatches => (
            "該当する資格を患者さんと一緒に選ぶ",
            "Choose the right eligibility record with the patient",
        ),
        ChecklistItem::AskForNewerDocument => (
            "資格確認書か資格情報のお知らせを確認する",
            "Ask for the eligibility certificate or the notice",
        ),
        ChecklistItem::NotCountedTowardUsageRate => (
            "マイナ保険証の利用率には数えない",
            "Not counted toward the My Number usage rate",
        ),
        ChecklistItem::AskWhatTheyNeed => ("ご用件を伺う", "Ask what they need"),
        ChecklistItem::RePlugCardReader => (
            "カードリーダーのUSBケーブルを抜いて挿し直す（応答しなくなっています）",
            "Re-plug the card reader: unplug its USB cable and plug it in again (it stopped answering)",
        ),
        ChecklistItem::CloseOtherReaderProgram => (
            "カードリーダーを使っている別のプログラムを終了する",
            "Close the other program that is using the card reader",
        ),
    }
}

pub fn method_text(method: VerificationMethod) -> (&'static str, &'static str) {
    match method {
        VerificationMethod::CardViaReader => ("マイナ保険証（カード）", "My Number card, read"),
        VerificationMethod::SmartphoneViaReader => ("マイナ保険証（スマホ）", "Smartphone, read"),
        VerificationMethod::PortalScreenCheckedByStaff => (
            "資格情報画面をスタッフが確認",
            "Portal screen checked by staff",
        ),
        VerificationMethod::NoticeWithCardCheckedByStaff => (
            "カードと資格情報のお知らせをスタッフが確認",
            "Card and notice checked by staff",
        ),
        VerificationMethod::EligibilityCertificate => ("資格確認書", "Eligibility certificate"),
        VerificationMethod::ExpiredCardProvisional => (
            "期限切れ保険証（暫定的な取扱い）",
            "Expired card, provisional handling",
        ),
        VerificationMethod::SelfDeclarationForm => ("被保険者資格申立書", "Self-declaration form"),
        VerificationMethod::PastRecord => ("受付歴と口頭確認", "Past record, oral check"),
    }
}

/// 「38分」 and, past 15 and 30 minutes, 「! 15分以上」 or 「! 長時間」: in words as well as colour.
fn waiting(row: &Row) -> Markup {
    html! {
        (row.waited_minutes) "分"
        @if row.mark != WaitMark::Normal { br; span.wait-mark { (row.mark.text()) } }
    }
}

/// One open handoff: number, what it is about (and the name, when there is one), the wait,
/// where the patient waits, the kiosk, and who is handling it.
fn queue_row(row: &Row, earlier: bool) -> Markup {
    let h = row.check_in;
    let reason = h.record.outcome.handoff_reason();
    let warn = desk_queue::one_try_left(h);
    html! {
        tr.(row.mark.class()) .one-try-left[warn] data-check-in=(h.id) data-reason=(reason.map_or("", |r| r.as_str()))
            data-place=(row.place.as_str()) {
            td.num { (row.number) }
            @if earlier { td.day { (h.record.visit_date.month() as u8) "月" (h.record.visit_date.day()) "日" } }
            td.content {
                span.content-label.content-warning[warn] { (row.content) }
                @if h.record.patient_name.is_some() { br; (patient_name(h.record.patient_name.as_ref())) }
            }
            td.wait { (waiting(row)) }
            td.place { (row.place.japanese()) }
            td { (h.record.kiosk) }
            td {
                @if let Some(who) = &row.handled_by { span.claim { "対応中：" (who) } }
                a href={"/handoffs/" (h.id)} { "対応する" }
            }
        }
    }
}

fn queue_table(id: &str, rows: &[Row], earlier: bool) -> Markup {
    html! {
        table id=(id) {
            thead { tr {
                th { "受付番号" }
                @if earlier { th { "受付日" } }
                th { "内容" }
                th { "待ち時間" }
                th { "待っている場所" }
                th { "端末" }
                th { "対応" }
            } }
            tbody { @for row in rows { (queue_row(row, earlier)) } }
        }
    }
}

/// The open handoffs, longest wait first, earlier days' in their own section: the part of the
/// queue page the server pushes again. `badge-source` carries the header badge's words.
pub fn queue_fragment(queue: &Queue, closed_kiosks: &[KioskPause], now: OffsetDateTime) -> Markup {
    html! {
        // A kiosk staff closed sends patients to the desk: the desk should know.
        @for p in closed_kiosks {
            p.notice.kiosk-closed data-kiosk=(p.kiosk) {
                "受付機「" (p.kiosk) "」は休止中です（" (jst(p.paused_at)) "、" (p.paused_by) "）。"
                @if let Some(t) = p.reopens_at { (clock(t)) "ごろ再開の予定です。" }
                "再開は受付機のスタッフモードで。 "
                span.en {
                    "Kiosk " (p.kiosk) " is closed (since " (jst(p.paused_at)) ", by " (p.paused_by) ")"
                    @if let Some(t) = p.reopens_at { "; expected to reopen at about " (clock(t)) }
                    "; reopen it in staff mode at the kiosk."
                }
            }
        }
        p.en #updated data-at=(now.unix_timestamp()) { "更新 " span #updated-ago { "0秒前" } "（" (jst(now)) "）・待ち時間の長い順" }
        span #badge-source hidden data-open=(queue.open()) data-badge=(queue.badge()) {}
        @if queue.today.is_empty() {
            p.empty { "本日の対応待ちの受付はありません。" }
        } @else {
            (queue_table("queue-table", &queue.today, false))
        }
        @if !queue.earlier.is_empty() {
            section #earlier {
                h2 { "前日以前の未対応 " (queue.earlier.len()) "件" }
                p { "受付番号は日ごとに振り直されます。呼ぶときは日付も確かめてください。 "
                    a #close-earlier href="/handoffs/earlier" { "まとめて取り消す" } }
                (queue_table("earlier-table", &queue.earlier, true))
            }
        }
    }
}

pub fn queue(
    session: &StaffSession,
    queue: &Queue,
    closed_kiosks: &[KioskPause],
    now: OffsetDateTime,
    flash: Option<Markup>,
) -> Markup {
    layout(
        "受付待ち Queue",
        Some(session),
        html! {
            h1 { "スタッフ対応待ち " span.en { "Check-ins waiting for staff" } }
            @if let Some(flash) = flash { (flash) }
            div #queue aria-live="polite" { (queue_fragment(queue, closed_kiosks, now)) }
            noscript { p.notice { "JavaScript が無効なため自動更新されません。再読み込みしてください。 " span.en { "Without JavaScript the queue does not update itself: reload the page." } } }
        },
    )
}

/// The earlier days' open handoffs and the form that closes them all as 「取り消す」, with a
/// reason and a tick (each goes through the resolve path, so each is audited).
pub fn close_earlier(
    session: &StaffSession,
    queue: &Queue,
    errors: &[FieldError],
    note: &str,
) -> Markup {
    layout(
        "前日以前の未対応をまとめて取り消す",
        Some(session),
        html! {
            h1 { "前日以前の未対応をまとめて取り消す" }
            @if !errors.is_empty() {
                div.errors role="alert" {
                    p { "入力を確認してください。" }
                    ul { @for e in errors { li data-field=(e.field) { (e.japanese) } } }
                }
            }
            @if queue.earlier.is_empty() {
                p.empty { "前日以前の未対応はありません。" }
            } @else {
                p { "次の " (queue.earlier.len()) "件を「取り消し」として記録します。一件ずつ監査ログに残ります。" }
                (queue_table("earlier-table", &queue.earlier, true))
                form.resolve #form-close-earlier method="post" action="/handoffs/earlier/close" {
                    input type="hidden" name="csrf" value=(session.csrf_token);
                    label { "理由（必須） " br;
                        textarea name="note" rows="2" cols="50" required { (note) }
                    }
                    label { input type="checkbox" name="confirm" value="yes" required; " 前日以前の未対応 " (queue.earlier.len()) "件をすべて取り消す" }
                    button type="submit" { "まとめて取り消す" }
                }
            }
            p { a href="/" { "受付待ちに戻る" } }
        },
    )
}

/// A name exactly as the eligibility result spells it, "●" included; maud escapes it like
/// every other value, so markup-like characters show as themselves.
fn patient_name(name: Option<&PatientName>) -> Markup {
    html! {
        @match name {
            Some(n) => {
                span.patient-name lang="ja" { (n.name) }
                @if let Some(kana) = &n.kana { br; small.kana lang="ja" { (kana) } }
                @if n.has_black_circle() {
                    br; small.black-circle { "●は表示できない文字です（そのまま扱う）" span.en { " ● = a character the national system cannot show; keep it as is" } }
                }
            }
            None => span.en { "—" },
        }
    }
}

pub(super) fn summary_rows(h: &StoredCheckIn) -> Markup {
    let r = &h.record;
    html! {
        table {
            tr { th { "受付番号 No." } td.num { (h.reception_number.map_or_else(|| "-".to_owned(), |n| n.to_string())) } }
            @if r.patient_name.is_some() {
                tr { th { "氏名 Name" } td { (patient_name(r.patient_name.as_ref())) } }
            }
            tr { th { "受付 Checked in" } td { (jst(r.started_at)) " – " (jst(r.finished_at)) } }
            tr { th { "端末 Kiosk" } td { (r.kiosk) } }
            @if let Some(reason) = r.outcome.handoff_reason() {
                @let (ja, en) = reason_text(reason);
                tr { th { "理由 Reason" } td { (ja) br; span.en { (en) } } }
            }
            @if let Some(method) = r.verification {
                @let (ja, en) = method_text(method);
                tr { th { "確認方法 Method" } td { (ja) br; span.en { (en) } } }
            }
            @if r.wrong_pin_entries > 0 {
                tr { th { "暗証番号の誤り Wrong PINs" } td { (r.wrong_pin_entries) } }
            }
            @if let Some(e) = &r.eligibility {
                tr { th { "資格 Eligibility" } td {
                    (validity_text(e.validity))
                    @if let Some(n) = &e.insurer_number { br; "保険者番号 " (n) }
                    @if let Some(ratio) = e.burden_ratio { br; "負担割合 " (ratio.wari()) }
                    @if e.name_contains_black_circle {
                        br; strong { "氏名に「●」があります（エラーではありません。表示のまま扱ってください）。" }
                        br; span.en { "The name contains \u{25cf}: not an error, use it as shown." }
                    }
                } }
            }
        }
    }
}

/// The PIN guard's handoff says so first: a wrong PIN at the desk's reader would lock the card
/// (review 2026-11 row 6).
fn pin_warning(h: &StoredCheckIn) -> Markup {
    let unknown = h.record.outcome.handoff_reason() == Some(HandoffReason::StaffVisualCheck)
        && h.record
            .checklist
            .contains(&ChecklistItem::NoPinAtDeskTriesUnknown);
    html! {
        @if desk_queue::one_try_left(h) {
            div.warning #one-try-left role="alert" {
                strong { "暗証番号の残りが1回です。" }
                "受付でも暗証番号は入力させず、目視確認モードで確認してください。"
            }
        } @else if unknown {
            div.warning #tries-unknown role="alert" {
                strong { "このカードは暗証番号の残り回数を示しません。" }
                "受付でも暗証番号は入力させず、目視確認モードで確認してください。"
            }
        }
    }
}

fn validity_text(v: Validity) -> &'static str {
    match v {
        Validity::Valid => "有効 valid",
        Validity::Invalid => "無効 invalid",
        Validity::InvalidNewerExists => "無効（新しい資格あり） invalid, a newer one exists",
        Validity::NoEligibility => "該当なし none",
        Validity::SeveralMatches => "複数該当 several matches",
    }
}

/// One check-in handed to staff: its checklist, and a form for each way to close it.
pub fn handoff(
    session: &StaffSession,
    h: &StoredCheckIn,
    errors: &[FieldError],
    submitted: &std::collections::BTreeMap<String, String>,
    provisional_applies: bool,
) -> Markup {
    let value = |name: &str| submitted.get(name).cloned().unwrap_or_default();
    let reason = h.record.outcome.handoff_reason();
    let actions = reason.map(|r| (r, actions_for(r)));
    html! {
        h1 { "受付番号 " (h.reception_number.map_or_else(|| "-".to_owned(), |n| n.to_string())) " の対応 " span.en { "Resolve check-in" } }
        (pin_warning(h))
        (summary_rows(h))
        @if !h.record.checklist.is_empty() {
            h2 { "確認すること " span.en { "Checklist" } }
            ul #checklist {
                @for item in &h.record.checklist {
                    @let (ja, en) = checklist_text(*item);
                    li { (ja) " " span.en { (en) } }
                }
            }
        }
        @let only_confirm = !errors.is_empty() && errors.iter().all(|e| e.field == "confirm");
        @if only_confirm {
            p.notice.confirm-step role="alert" { @for e in errors { (e.japanese) } }
        } @else if !errors.is_empty() {
            div.errors role="alert" {
                p { "入力を確認してください。 " span.en { "Please correct the following." } }
                ul { @for e in errors { li data-field=(e.field) { (e.japanese) " " span.en { (e.english) } } } }
            }
        }
        @if h.resolution.is_none() {
            @if let Some((reason, actions)) = actions {
                @let submitted_other = actions.iter().skip(1).any(|a| value("action") == a.as_str());
                // The action that usually fits is open; the others wait under one heading.
                @for action in actions.iter().take(1) {
                    (action_form(session, h.id, reason, *action, &value, provisional_applies, only_confirm))
                }
                @if actions.len() > 1 {
                    details #other-actions open[submitted_other] {
                        summary { "その他の対応" }
                        @for action in actions.iter().skip(1) {
                            (action_form(session, h.id, reason, *action, &value, provisional_applies, only_confirm))
                        }
                    }
                }
            }
        }
    }
}

/// The form for one action on an open handoff. `confirm_step`: the last submission lacked only
/// its confirmation (the form of the submitted action then asks for the second press).
fn action_form(
    session: &StaffSession,
    id: i64,
    reason: HandoffReason,
    action: DeskAction,
    value: &dyn Fn(&str) -> String,
    provisional_applies: bool,
    confirm_step: bool,
) -> Markup {
    let confirming = confirm_step && value("action") == action.as_str();
    let at = FormAt {
        post_to: format!("/handoffs/{id}/resolve"),
        reason,
        action,
        confirming,
        extra: html! {},
    };
    action_form_to(session, at, value, provisional_applies)
}

/// Where an action's form posts and what it adds.
pub(super) struct FormAt {
    /// e.g. `/handoffs/12/resolve`.
    pub post_to: String,
    pub reason: HandoffReason,
    pub action: DeskAction,
    /// This form asks for the second press.
    pub confirming: bool,
    /// Fields before the note (the correction's reason).
    pub extra: Markup,
}

/// One action's form.
pub(super) fn action_form_to(
    session: &StaffSession,
    at: FormAt,
    value: &dyn Fn(&str) -> String,
    provisional_applies: bool,
) -> Markup {
    let FormAt {
        post_to,
        reason,
        action,
        confirming,
        extra,
    } = at;
    // What was typed belongs to the form it was typed in: a cancel's reason must never
    // reappear as another form's note.
    let value = |name: &str| {
        if value("action") == action.as_str() {
            value(name)
        } else {
            String::new()
        }
    };
    let value: &dyn Fn(&str) -> String = &value;
    let (title_ja, title_en) = match action {
        DeskAction::ChooseAmongMatches => (
            action.japanese(),
            "Eligibility record chosen (identity already checked by card and PIN)",
        ),
        DeskAction::PortalScreen => ("資格情報画面を確認した", "Portal screen confirmed"),
        DeskAction::VisualCheck => (
            "目視確認（顔写真と本人を見比べる）をして、受付のカードリーダーで資格確認した",
            "Visual identity check done, eligibility confirmed with the card at the desk",
        ),
        DeskAction::PaperDocument => ("書類で確認した", "Paper document seen"),
        DeskAction::Unresolved => ("確認できなかった", "Cannot resolve"),
        DeskAction::Cancel => (
            "取り消す（誤操作・お帰りになった）",
            "Cancel (mistake, patient left)",
        ),
    };
    html! {
        form.resolve method="post" action=(post_to) id={"form-" (action.as_str())} data-action=(action.as_str()) {
            h2 { (title_ja) " " span.en { (title_en) } }
            input type="hidden" name="csrf" value=(session.csrf_token);
            input type="hidden" name="action" value=(action.as_str());
            @if confirming { input type="hidden" name="confirm" value="yes"; }
            @match action {
                DeskAction::ChooseAmongMatches => {
                    p { "受付機でカードと暗証番号による本人確認は済んでいます。患者さんと一緒に正しい資格を選び、その保険者番号・記号・番号を入力してください。 " span.en { "The kiosk already verified the patient by card and PIN: choose the right record with the patient and type its numbers." } }
                    (number_fields(value))
                    p.notice { "この受付はマイナ保険証（カードと暗証番号）としてマイナ保険証の利用率に数えます。 " span.en { "This check-in counts toward the My Number usage rate (card and PIN)." } }
                }
                DeskAction::VisualCheck => {
                    p { "見たことにチェックしてください（両方とも必要です）。 " span.en { "Tick what you saw (both are required)." } }
                    label { input type="checkbox" name="seen_photo" value="yes" required checked[value("seen_photo") == "yes"]; " 顔写真と本人を見比べた" }
                    label { input type="checkbox" name="seen_result" value="yes" required checked[value("seen_result") == "yes"]; " 受付のカードリーダーで資格確認の結果が表示された" }
                    p.notice { "この受付はマイナ保険証（目視確認）としてマイナ保険証の利用率に数えます。 " span.en { "This check-in counts toward the My Number usage rate." } }
                }
                DeskAction::PortalScreen => {
                    p { "患者さんのスマホに表示された内容をそのまま入力してください。 " span.en { "Type what the patient's screen shows." } }
                    (number_fields(value))
                    p.notice { "この受付はマイナ保険証の利用率に数えません。 " span.en { "This check-in does not count toward the My Number usage rate." } }
                }
                DeskAction::PaperDocument => {
                    @for paper in PaperSeen::ALL {
                        @let available = paper != PaperSeen::ExpiredCardProvisional || provisional_applies;
                        @let (ja, en) = method_text(paper.verification());
                        label {
                            input type="radio" name="document" value=(paper.as_str()) disabled[!available];
                            " " (ja) " " span.en { (en) }
                            @if !available { " " span.en { "（暫定的な取扱いは終了 provisional handling has ended）" } }
                        }
                    }
                }
                _ => {}
            }
            (extra)
            @let reason_required = matches!(action, DeskAction::Unresolved | DeskAction::Cancel);
            label {
                @match action {
                    DeskAction::Cancel => "取り消す理由（必須：お帰りになった、誤って呼んだ など）",
                    DeskAction::Unresolved => "確認できなかった理由（必須）",
                    _ => "メモ",
                }
                br;
                textarea name="note" rows="2" cols="50" required[reason_required] { (value("note")) }
            }
            @if confirming { p.notice role="alert" { (confirmation_prompt(action)) } }
            button type="submit" { @if confirming { "はい、" } (offer(reason, action).button) }
        }
    }
}

/// The numbers read off an eligibility screen or chosen among several matches.
fn number_fields(value: &dyn Fn(&str) -> String) -> Markup {
    html! {
                    label { "保険者番号 " span.en { "Insurer number (6 or 8 digits)" } br; input name="insurer_number" inputmode="numeric" value=(value("insurer_number")) required; }
                    label { "記号 " span.en { "Symbol" } br; input name="symbol" value=(value("symbol")); }
                    label { "番号 " span.en { "Number" } br; input name="number" value=(value("number")) required; }
                    label { "枝番 " span.en { "Branch (2 digits)" } br; input name="branch" inputmode="numeric" value=(value("branch")); }
                    label { "負担割合 " span.en { "Burden ratio" } br;
                        select name="burden_ratio" required {
                            option value="" { "選択 choose" }
                            @for (v, text) in [("10", "1割 (10%)"), ("20", "2割 (20%)"), ("30", "3割 (30%)")] {
                                option value=(v) selected[value("burden_ratio") == v] { (text) }
                            }
                        }
                    }
                    label { "有効期限（表示があれば） " span.en { "Valid until, if shown (YYYY-MM-DD)" } br; input name="valid_until" placeholder="2027-03-31" value=(value("valid_until")); }
    }
}

pub fn accounts(
    session: &StaffSession,
    accounts: &[StaffAccount],
    now: OffsetDateTime,
    message: Option<&str>,
    error: Option<&str>,
) -> Markup {
    layout(
        "アカウント Accounts",
        Some(session),
        html! {
            h1 { "スタッフアカウント " span.en { "Staff accounts" } }
            @if let Some(m) = message { p.ok role="status" { (m) } }
            @if let Some(e) = error { p.errors role="alert" { (e) } }
            table #accounts-table {
                thead { tr { th { "ログイン名 Login" } th { "名前 Name" } th { "役割 Role" } th { "状態 State" } th { "" } } }
                tbody {
                    @for a in accounts {
                        tr {
                            td { (a.login) }
                            td { (a.display_name) }
                            td { (a.role.as_str()) }
                            td {
                                @if a.is_locked(now) {
                                    "ロック中 locked until " (a.locked_until.map(jst).unwrap_or_default())
                                } @else { "有効 active" }
                            }
                            td {
                                @if a.is_locked(now) {
                                    form method="post" action="/accounts/unlock" {
                                        input type="hidden" name="csrf" value=(session.csrf_token);
                                        input type="hidden" name="login" value=(a.login);
                                        button type="submit" { "ロック解除 Unlock" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            h2 { "アカウントを追加 " span.en { "Add an account" } }
            form method="post" action="/accounts" {
                input type="hidden" name="csrf" value=(session.csrf_token);
                label { "ログイン名 " span.en { "Login (a-z 0-9 . _ -)" } br; input name="login" required; }
                label { "名前 " span.en { "Display name" } br; input name="display_name" required; }
                label { "役割 " span.en { "Role" } br;
                    select name="role" { @for r in Role::ALL { option value=(r.as_str()) { (r.as_str()) } } }
                }
                label { "初期パスワード " span.en { "Initial password (10+ characters)" } br; input name="password" type="password" autocomplete="new-password" required; }
                button type="submit" { "追加 Add" }
            }
        },
    )
}

/// A plain page for refusals (forged form, no such check-in, no permission).
pub fn problem(
    session: Option<&StaffSession>,
    title: &str,
    japanese: &str,
    english: &str,
) -> Markup {
    layout(
        title,
        session,
        html! {
            h1 { (title) }
            p.errors role="alert" { (japanese) br; span.en { (english) } }
            p { a href="/" { "受付待ちに戻る " span.en { "Back to the queue" } } }
        },
    )
}

/// The queue's banner after a handoff was closed: what was recorded (green), or a neutral
/// grey line for a cancellation (nothing was confirmed, nothing to celebrate).
pub fn closed_banner(number: Option<u32>, closed_as: &ClosedAs) -> Markup {
    let number = number.map_or_else(|| "-".to_owned(), |n| n.to_string());
    html! {
        @match closed_as {
            ClosedAs::Verified { verification, identity, .. } => {
                p.ok role="status" data-closed-as="verified" {
                    "受付番号 " (number) "：" (closed_method_text(*verification, *identity)) "で記録しました。"
                }
            }
            ClosedAs::Unresolved => {
                p.ok role="status" data-closed-as="unresolved" {
                    "受付番号 " (number) "：資格を確認できなかったと記録しました（利用率に数えません）。"
                }
            }
            ClosedAs::Cancelled => {
                p.neutral role="status" data-closed-as="cancelled" {
                    "受付番号 " (number) "：取り消しました（件数に数えません）。"
                }
            }
        }
    }
}

/// How a closed handoff's eligibility was confirmed, as reception staff say it.
pub(super) fn closed_method_text(
    verification: VerificationMethod,
    identity: Option<IdentityMethod>,
) -> &'static str {
    match (verification, identity) {
        (VerificationMethod::CardViaReader, Some(IdentityMethod::StaffVisualCheck)) => {
            "マイナ保険証（目視確認）"
        }
        (VerificationMethod::PortalScreenCheckedByStaff, _) => "資格情報画面（スタッフが確認）",
        (method, _) => method_text(method).0,
    }
}
