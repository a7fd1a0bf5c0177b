//! The console's pages, rendered on the server. maud escapes every value it interpolates, so a
//! name or note holding markup is shown as the characters it is, never run.
//!
//! Japanese only, in the words reception staff use: no English and no raw code in visible text
//! (codes stay in attributes such as `data-reason`; the report's CSV keeps its code columns).

use chrono::{DateTime, Datelike, FixedOffset, Timelike};
use maud::{DOCTYPE, Markup, PreEscaped, html};

use super::forms;
use crate::desk::queue::{self as desk_queue, Queue, Row, WaitMark};
use crate::desk::{self, DeskAction, FieldError, actions_for, confirmation_prompt, offer};
use crate::domain::{
    ChecklistItem, ClosedAs, HandoffReason, IdentityMethod, PatientName, StoredCheckIn, Validity,
    VerificationMethod,
};
use crate::rules::{JST, kiosk_label};
use crate::staff::StaffSession;
use crate::store::KioskPause;

const STYLE: &str = "
body{font-family:'Noto Sans CJK JP','Noto Sans JP',sans-serif;margin:0;color:#111;background:#f6f6f4;font-size:17px}
header{background:#123;color:#fff;padding:.6em 1em;display:flex;gap:1.2em;align-items:center;flex-wrap:wrap}
header a{color:#fff}header .who{margin-left:auto}
header form{display:inline}
main{padding:1em 1.5em;max-width:70em}
h1{font-size:1.5em}h2{font-size:1.2em}
table{border-collapse:collapse;background:#fff}th,td{border:1px solid #bbb;padding:.4em .6em;text-align:left;vertical-align:top}
.num{font-size:1.6em;font-weight:bold}
.hint{color:#555;font-size:.85em}
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
pub(super) fn clock(t: DateTime<FixedOffset>) -> String {
    let t = t.with_timezone(&JST);
    format!("{:02}:{:02}", t.hour(), t.minute())
}

pub(super) fn jst(t: DateTime<FixedOffset>) -> String {
    let t = t.with_timezone(&JST);
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}",
        t.year(),
        t.month(),
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
                title { (title) "｜受付スタッフ画面" }
                style { (PreEscaped(STYLE)) (PreEscaped(forms::STYLE)) (PreEscaped(super::terminal::STYLE)) (PreEscaped(super::orca_states::STYLE)) }
            }
            body {
                header {
                    strong { "受付スタッフ画面" }
                    @if let Some(session) = session {
                        a href="/" { "受付待ち" }
                        a href="/check-ins" { "本日の受付一覧" }
                        a href="/report" { "月次レポート" }
                        a href="/audit" { "監査ログ" }
                        @if session.account.role.manages_accounts() {
                            a href="/accounts" { "アカウント" }
                        }
                        // Filled and kept current by /queue.js (the queue's stream, elsewhere a
                        // small poll of /badge): 「対応待ち 12件（最長 38分）」.
                        a #badge href="/" aria-live="polite" {}
                        span.who {
                            (session.account.display_name) " (" (session.account.login) ") "
                            form method="post" action="/logout" {
                                input type="hidden" name="csrf" value=(session.csrf_token);
                                button type="submit" { "ログアウト" }
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
        "ログイン",
        None,
        html! {
            h1 { "スタッフのログイン" }
            @if let Some(error) = error {
                p.errors role="alert" { (error) }
            }
            form method="post" action="/login" {
                input type="hidden" name="csrf" value=(csrf);
                label { "ログイン名" br; input name="login" autocomplete="username" required autofocus; }
                label { "パスワード" br; input name="password" type="password" autocomplete="current-password" required; }
                button type="submit" { "ログイン" }
            }
        },
    )
}

/// Why a check-in was handed to staff, as reception staff say it (目視確認, オンライン資格確認,
/// 資格情報画面). Only pages show it; records, the audit log and the CSV keep the reason's code
/// (`HandoffReason::as_str`).
pub fn reason_text(reason: HandoffReason) -> &'static str {
    match reason {
        HandoffReason::ConfirmPortalScreen => "マイナポータルの資格情報画面を確認",
        HandoffReason::StaffVisualCheck => "目視確認（顔写真と本人を見比べる）",
        HandoffReason::PatientAskedStaffToCheck => {
            "目視確認（顔写真と本人を見比べる）・患者さんの希望"
        }
        HandoffReason::CardBlocked => "暗証番号ロック",
        HandoffReason::PaperDocument => "書類の確認",
        HandoffReason::EligibilityInvalid => "資格無効",
        HandoffReason::NoEligibility => "資格情報なし",
        HandoffReason::SeveralMatches => "資格が複数該当",
        HandoffReason::GatewayUnavailable => {
            "オンライン資格確認に接続できない（回線・システム障害）"
        }
        HandoffReason::CertificateNotAccepted => {
            "電子証明書が受け付けられない（失効・期限切れなど）"
        }
        HandoffReason::CertificateExpired => {
            "電子証明書の有効期限切れ（猶予期間も過ぎている・暗証番号は聞いていない）"
        }
        HandoffReason::PatientCalledStaff => "患者さんがスタッフを呼んだ",
        HandoffReason::ReaderOutOfService => "カードリーダー停止中",
        HandoffReason::ConfirmResultAtDesk => {
            "顔認証付きカードリーダーの結果を受付機で受け取れなかった（資格確認端末で確認する）"
        }
    }
}

/// One thing to check for a handoff, in Japanese (the record keeps the item's code).
pub fn checklist_text(item: ChecklistItem) -> &'static str {
    match item {
        ChecklistItem::CheckPortalEligibilityScreen => {
            "患者さんのスマホでマイナポータルの資格情報画面を見る"
        }
        ChecklistItem::RecordInsuranceNumbers => "保険者番号・記号・番号・枝番を控える",
        ChecklistItem::CompareCardPhoto => "カードの顔写真と本人を見比べる",
        ChecklistItem::NoPinAtDeskOneTryLeft => {
            "暗証番号の残りは1回：受付でも暗証番号は入力させない（目視確認モード）"
        }
        ChecklistItem::NoPinAtDeskTriesUnknown => {
            "暗証番号の残り回数が読めないカード：受付でも暗証番号は入力させない（目視確認モード）"
        }
        ChecklistItem::CheckCertificateValidity => "資格確認書の有効期限を確認する",
        ChecklistItem::ElderlyCertificateProvisional => {
            "75歳以上の方には全員に資格確認書が届いている期間（暫定的な運用）"
        }
        ChecklistItem::ElderlyCertificateDependsOnInsurer => {
            "75歳以上でも資格確認書が届くとは限らない（保険者により異なる）：有効期限を確認する"
        }
        ChecklistItem::QueryOnlineByNumbers => "書類の番号でオンライン資格確認をする",
        ChecklistItem::ProvisionalHandlingApplies => "期限切れ保険証の暫定的な取扱い期間中",
        ChecklistItem::ProvisionalHandlingEnded => {
            "暫定的な取扱いは終了：期限切れの保険証だけでは確認できない"
        }
        ChecklistItem::PastRecordOralCheck => "再診：受付歴と口頭で確認",
        ChecklistItem::SelfDeclarationForm => "初診：被保険者資格申立書を書いてもらう",
        ChecklistItem::ChargeNormalShare => "通常の負担割合で（10割にしない）",
        ChecklistItem::AskForCardNextTime => "次回はカードか資格確認書を持ってきてもらう",
        ChecklistItem::PinResetAtMunicipalOffice => "暗証番号の再設定は市区町村の窓口で",
        ChecklistItem::RenewCertificateAtMunicipalOffice => {
            "電子証明書の更新は市区町村の窓口で（本人に案内する）"
        }
        ChecklistItem::CertificateExpiresSoon => {
            "電子証明書の有効期限が近い（本人には期限日と更新方法を案内済み）"
        }
        ChecklistItem::CertificateExpiredInGrace => {
            "電子証明書の有効期限切れ・猶予期間中：資格確認のみ（診療情報の提供はできない）。本人には更新の期限を案内済み"
        }
        ChecklistItem::ChooseAmongMatches => "該当する資格を患者さんと一緒に選ぶ",
        ChecklistItem::CheckResultOnTerminal => {
            "資格確認端末の画面で、この患者さんの資格確認の結果を確認する"
        }
        ChecklistItem::FaceResultSeveralFiles => {
            "待っている間に結果が2件以上届いたため、どれがこの患者さんのものか受付機では決めなかった"
        }
        ChecklistItem::FaceResultOtherFacility => {
            "届いた結果の医療機関コードが、この医療機関のものと違っていた"
        }
        ChecklistItem::FaceResultStale => {
            "届いた結果が古かった（今日のものでない、または受付機が待ち始める前のもの）"
        }
        ChecklistItem::FaceResultNoneInTime => "待ち時間のうちに結果が届かなかった",
        ChecklistItem::FaceResultUnreadable => {
            "結果のファイルを最後まで読めなかった（途中で消えた・壊れている）"
        }
        ChecklistItem::FaceResultError => "資格確認端末がエラーの結果を返した",
        ChecklistItem::FaceResultOtherSessionMayOwn => {
            "ほかの患者さんの結果の可能性があった（別の受付機も待っていた、または前の患者さんの結果が遅れて届く時間帯だった）"
        }
        ChecklistItem::FaceResultNotUsable => {
            "結果に資格が複数入っているなど、受付機では決められない内容だった"
        }
        ChecklistItem::AskForNewerDocument => "資格確認書か資格情報のお知らせを確認する",
        ChecklistItem::NotCountedTowardUsageRate => "マイナ保険証の利用率には数えない",
        ChecklistItem::AskWhatTheyNeed => "ご用件を伺う",
        ChecklistItem::RePlugCardReader => {
            "カードリーダーのUSBケーブルを抜いて挿し直す（応答しなくなっています）"
        }
        ChecklistItem::CloseOtherReaderProgram => {
            "カードリーダーを使っている別のプログラムを終了する"
        }
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
            @if earlier { td.day { (h.record.visit_date.month()) "月" (h.record.visit_date.day()) "日" } }
            td.content {
                span.content-label.content-warning[warn] { (row.content) }
                @if h.record.patient_name.is_some() { br; (patient_name(h.record.patient_name.as_ref())) }
            }
            td.wait { (waiting(row)) }
            td.place { (row.place.japanese()) }
            td { (kiosk_label(&h.record.kiosk)) }
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
/// `csrf`: the session's form token, for each closed kiosk's 「受付機を再開する」 form.
pub fn queue_fragment(
    queue: &Queue,
    closed_kiosks: &[KioskPause],
    csrf: &str,
    now: DateTime<FixedOffset>,
) -> Markup {
    html! {
        // A kiosk staff closed sends patients to the desk: the desk should know, and may reopen it.
        (super::kiosk_reopen::banners(closed_kiosks, csrf))
        // 「受付機でスタッフを呼んでいます」: shown and chimed by /chime.js.
        (super::staff_call::calls(queue))
        p.hint #updated data-at=(now.timestamp()) { "更新 " span #updated-ago { "0秒前" } "（" (jst(now)) "）・待ち時間の長い順" }
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
    now: DateTime<FixedOffset>,
    flash: Option<Markup>,
) -> Markup {
    layout(
        "受付待ち",
        Some(session),
        html! {
            h1 { "スタッフ対応待ち" }
            @if let Some(flash) = flash { (flash) }
            (super::staff_call::player())
            div #queue aria-live="polite" { (queue_fragment(queue, closed_kiosks, &session.csrf_token, now)) }
            noscript { p.notice { "ブラウザーのスクリプトが無効なため自動更新されません。再読み込みしてください。" } }
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
                    br; small.black-circle { "●は表示できない文字です（そのまま扱う）" }
                }
            }
            None => span.hint { "—" },
        }
    }
}

pub(super) fn summary_rows(h: &StoredCheckIn) -> Markup {
    let r = &h.record;
    html! {
        table {
            tr { th { "受付番号" } td.num { (h.reception_number.map_or_else(|| "-".to_owned(), |n| n.to_string())) } }
            @if r.patient_name.is_some() {
                tr { th { "氏名" } td { (patient_name(r.patient_name.as_ref())) } }
            }
            tr { th { "受付" } td { (jst(r.started_at)) "〜" (jst(r.finished_at)) } }
            tr { th { "端末" } td { (kiosk_label(&r.kiosk)) } }
            @if let Some(reason) = r.outcome.handoff_reason() {
                tr { th { "理由" } td { (reason_text(reason)) } }
            }
            @if let Some(method) = r.verification {
                tr { th { "確認方法" } td { (method.japanese()) } }
            } @else if let Some(route) = r.expected_route.filter(|_| h.resolution.is_none()) {
                // Before staff close it, the kiosk knows only the route it expects them to take.
                tr { th { "予定の確認方法" } td { (route.japanese()) } }
            }
            @if r.wrong_pin_entries > 0 {
                tr { th { "暗証番号の誤り" } td { (r.wrong_pin_entries) "回" } }
            }
            @if let Some(aid) = r.consent.medical_aid_certificate {
                tr { th { "受給者証" } td #medical-aid data-medical-aid=(aid) { (medical_aid_text(aid)) } }
            }
            @if let Some(e) = &r.eligibility {
                tr { th { "資格" } td {
                    (validity_text(e.validity))
                    @if let Some(n) = &e.insurer_number { br; "保険者番号 " (n) }
                    @if let Some(ratio) = e.burden_ratio { br; "負担割合 " (ratio.wari()) }
                    @if e.name_contains_black_circle {
                        br; strong { "氏名に「●」があります（エラーではありません。表示のまま扱ってください）。" }
                    }
                } }
            }
        }
    }
}

/// The patient's answer to 「医療費助成の各種受給者証を利用しますか」 at the kiosk, in staff's
/// words (asked only where the facility file says `medical_aid_on_card`, from the rules' date).
pub fn medical_aid_text(uses_card: bool) -> &'static str {
    if uses_card {
        "マイナ保険証を受給者証として利用する"
    } else {
        "マイナ保険証では利用しない（紙の受給者証を確認）"
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
        Validity::Valid => "有効",
        Validity::Invalid => "無効",
        Validity::InvalidNewerExists => "無効（新しい資格あり）",
        Validity::NoEligibility => "該当なし",
        Validity::SeveralMatches => "複数該当",
    }
}

/// One check-in handed to staff: its checklist, and a form for each way to close it.
pub fn handoff(
    session: &StaffSession,
    h: &StoredCheckIn,
    errors: &[FieldError],
    submitted: &std::collections::BTreeMap<String, String>,
    provisional_applies: bool,
    no_ratio_label: &str,
    terminal: &super::terminal::TerminalBox,
) -> Markup {
    let only_confirm = !errors.is_empty() && errors.iter().all(|e| e.field == "confirm");
    // The read-back step: the numbers as they will be stored, shown and filled back.
    let read_back = only_confirm
        .then(|| desk::numbers_to_read_back(submitted, h.record.visit_date))
        .flatten();
    let stored = read_back.as_ref().map(forms::stored_values);
    let value = |name: &str| {
        stored
            .as_ref()
            .and_then(|s| s.get(name))
            .or(submitted.get(name))
            .cloned()
            .unwrap_or_default()
    };
    let reason = h.record.outcome.handoff_reason();
    let actions = reason.map(|r| (r, actions_for(r)));
    html! {
        h1 { "受付番号 " (h.reception_number.map_or_else(|| "-".to_owned(), |n| n.to_string())) " の対応" }
        (pin_warning(h))
        (summary_rows(h))
        @if !h.record.checklist.is_empty() {
            h2 { "確認すること" }
            ul #checklist {
                @for item in &h.record.checklist {
                    li { (checklist_text(*item)) }
                }
            }
        }
        @if only_confirm && read_back.is_some() {
        } @else if only_confirm {
            p.notice.confirm-step role="alert" { @for e in errors { (e.japanese) } }
        } @else if !errors.is_empty() {
            div.errors role="alert" {
                p { "入力を確認してください。" }
                ul { @for e in errors { li data-field=(e.field) { (e.japanese) } } }
            }
        }
        @if h.resolution.is_none() {
            @if let Some((reason, actions)) = actions {
                @let forms = ResolveForms {
                    session,
                    id: h.id,
                    reason,
                    provisional_applies,
                    errors,
                    submitted,
                    value: &value,
                    read_back: read_back.as_ref(),
                    no_ratio_label,
                    declared: desk::declared_document(h),
                    declared_text: desk::declared_text(h),
                    terminal,
                };
                @let submitted_other = actions.iter().skip(1).any(|a| value("action") == a.as_str());
                // The action that usually fits is open; the others wait under one heading.
                @for action in actions.iter().take(1) {
                    (forms.form(0, *action))
                }
                @if actions.len() > 1 {
                    details #other-actions open[submitted_other] {
                        summary { "その他の対応" }
                        @for (i, action) in actions.iter().enumerate().skip(1) {
                            (forms.form(i, *action))
                        }
                    }
                }
            }
            script src="/resolve.js" defer {}
        }
    }
}

/// The forms for the actions on an open handoff, and what each needs.
struct ResolveForms<'a> {
    session: &'a StaffSession,
    id: i64,
    reason: HandoffReason,
    provisional_applies: bool,
    errors: &'a [FieldError],
    submitted: &'a std::collections::BTreeMap<String, String>,
    value: &'a dyn Fn(&str) -> String,
    /// The numbers to read back (the last submission lacked only its confirmation).
    read_back: Option<&'a crate::domain::InsuranceNumbers>,
    no_ratio_label: &'a str,
    declared: Option<desk::PaperSeen>,
    declared_text: Option<&'a str>,
    /// The eligibility terminal's button and answer (portal-screen and paper forms).
    terminal: &'a super::terminal::TerminalBox,
}

impl ResolveForms<'_> {
    /// The `i`-th action's form (the first holds the focus on a fresh page), preceded by the
    /// read-back step when it was this form that was sent with typed numbers. Only the form
    /// that was sent shows its faults under its fields.
    fn form(&self, i: usize, action: DeskAction) -> Markup {
        let only_confirm =
            !self.errors.is_empty() && self.errors.iter().all(|e| e.field == "confirm");
        let sent = (self.value)("action") == action.as_str();
        let confirming = only_confirm && sent;
        let typed_here = |name: &str| {
            if sent {
                (self.value)(name)
            } else {
                String::new()
            }
        };
        let at = FormAt {
            post_to: format!("/handoffs/{}/resolve", self.id),
            reason: self.reason,
            action,
            confirming: confirming && self.read_back.is_none(),
            extra: super::terminal::fields(
                action,
                self.terminal,
                &typed_here,
                if sent { self.errors } else { &[] },
            ),
            after: super::terminal::button(self.id, action, self.terminal),
            fields: Some(forms::FormFacts {
                errors: if sent && !only_confirm {
                    self.errors
                } else {
                    &[]
                },
                focus: if self.errors.is_empty() {
                    i == 0
                } else {
                    sent && !only_confirm
                },
                no_ratio_label: self.no_ratio_label,
                declared: self.declared,
                declared_text: self.declared_text,
            }),
        };
        html! {
            @if confirming {
                @if let Some(numbers) = self.read_back {
                    (forms::read_back_form(self.session, self.id, action, numbers, self.submitted))
                }
            }
            (action_form_to(self.session, at, self.value, self.provisional_applies))
        }
    }
}

/// Where an action's form posts and what it adds.
pub(super) struct FormAt<'a> {
    /// e.g. `/handoffs/12/resolve`.
    pub post_to: String,
    pub reason: HandoffReason,
    pub action: DeskAction,
    /// This form asks for the second press.
    pub confirming: bool,
    /// Fields before the note (the correction's reason).
    pub extra: Markup,
    /// Buttons after the form's own submit button (「資格確認端末に照会する」).
    pub after: Markup,
    /// Faults under fields, focus, the ratio label and the declared document; None: none of
    /// them (the correction forms).
    pub fields: Option<forms::FormFacts<'a>>,
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
        after,
        fields,
    } = at;
    let facts = fields.unwrap_or_default();
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
    let fields = forms::Fields {
        action,
        value,
        errors: facts.errors,
        focus: facts.focus,
        no_ratio_label: facts.no_ratio_label,
    };
    let title = match action {
        DeskAction::ChooseAmongMatches => action.japanese(),
        DeskAction::PortalScreen => "資格情報画面を確認した",
        DeskAction::VisualCheck => {
            "目視確認（顔写真と本人を見比べる）をして、受付のカードリーダーで資格確認した"
        }
        DeskAction::PaperDocument => "書類で確認した",
        DeskAction::Unresolved => "確認できなかった",
        DeskAction::Cancel => "取り消す（誤操作・お帰りになった）",
    };
    html! {
        form.resolve method="post" action=(post_to) id={"form-" (action.as_str())} data-action=(action.as_str()) {
            h2 { (title) }
            input type="hidden" name="csrf" value=(session.csrf_token);
            input type="hidden" name="action" value=(action.as_str());
            @if confirming { input type="hidden" name="confirm" value="yes"; }
            @match action {
                DeskAction::ChooseAmongMatches => {
                    p { "受付機でカードと暗証番号による本人確認は済んでいます。患者さんと一緒に正しい資格を選び、その保険者番号・記号・番号を入力してください。" }
                    (forms::number_fields(&fields, true))
                    p.notice { "この受付はマイナ保険証（カードと暗証番号）としてマイナ保険証の利用率に数えます。" }
                }
                DeskAction::VisualCheck => {
                    p { "見たことにチェックしてください（両方とも必要です）。" }
                    label { input type="checkbox" name="seen_photo" value="yes" required checked[value("seen_photo") == "yes"]; " 顔写真と本人を見比べた" }
                    label { input type="checkbox" name="seen_result" value="yes" required checked[value("seen_result") == "yes"]; " 受付のカードリーダーで資格確認の結果が表示された" }
                    p.notice { "この受付はマイナ保険証（目視確認）としてマイナ保険証の利用率に数えます。" }
                }
                DeskAction::PortalScreen => {
                    p { "患者さんのスマホに表示された内容をそのまま入力してください。" }
                    (forms::number_fields(&fields, true))
                    p.notice { "この受付はマイナ保険証の利用率に数えません。" }
                }
                DeskAction::PaperDocument => {
                    (forms::paper_fields(&fields, facts.declared, facts.declared_text, provisional_applies))
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
            @for e in facts.errors.iter().filter(|e| e.field == "note") {
                p.field-error data-field="note" { (e.japanese) }
            }
            @if confirming { p.notice role="alert" { (confirmation_prompt(action)) } }
            button type="submit" { @if confirming { "はい、" } (offer(reason, action).button) }
            (after)
        }
    }
}

/// A plain page for refusals (forged form, no such page, no permission, a form the server
/// cannot read): `title` from [`status_title`], and what happened in Japanese.
pub fn problem(session: Option<&StaffSession>, title: &str, japanese: &str) -> Markup {
    layout(
        title,
        session,
        html! {
            h1 { (title) }
            p.errors role="alert" { (japanese) }
            p { a href="/" { "受付待ちに戻る" } }
        },
    )
}

/// The heading of a refusal page for HTTP status `status`, in the words the review asked for
/// (「アクセスできません」「見つかりません」「入力を確認してください」).
pub fn status_title(status: u16) -> &'static str {
    match status {
        400 | 411 | 413 | 415 | 422 => "入力を確認してください",
        404 | 405 => "見つかりません",
        409 => "対応済みです",
        429 => "しばらく待ってください",
        500..=599 => "エラーが起きました",
        _ => "アクセスできません",
    }
}

/// What a refusal the web framework makes by itself means for the clerk (it carries only an
/// English line for developers, or nothing), by status.
pub fn status_text(status: u16) -> &'static str {
    match status {
        404 => "このページはありません。受付待ちから開き直してください。",
        405 => "このアドレスは直接開けません。受付待ちから開き直してください。",
        413 => "送られた内容が大きすぎます。メモを短くして、もう一度送ってください。",
        400 | 411 | 415 | 422 => {
            "送られた内容を読み取れませんでした。ページを読み込み直して、もう一度操作してください。"
        }
        429 => "操作が続いたため、少し待ってからもう一度試してください。",
        500..=599 => "内部エラーが起きました。技術担当者に連絡してください。",
        _ => "このページは開けません。",
    }
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

/// How a closed handoff's eligibility was confirmed, as reception staff say it: the method's
/// name (`VerificationMethod::japanese`), except a card checked by eye (「マイナ保険証（目視確認）」)
/// and the portal screen, said as a noun (「資格情報画面（スタッフが確認）」) because it stands
/// before 「で記録しました」 in the queue's banner and on the closed page.
pub(super) fn closed_method_text(
    verification: VerificationMethod,
    identity: Option<IdentityMethod>,
) -> &'static str {
    match (verification, identity) {
        (VerificationMethod::CardViaReader, Some(IdentityMethod::StaffVisualCheck)) => {
            "マイナ保険証（目視確認）"
        }
        (VerificationMethod::PortalScreenCheckedByStaff, _) => "資格情報画面（スタッフが確認）",
        (method, _) => method.japanese(),
    }
}
