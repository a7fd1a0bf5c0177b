//! 「本日の受付一覧」 and the printouts: the list of a day's check-ins with search and filters
//! (`/check-ins`), the patient's slip (`/check-ins/{id}/slip`), a pre-filled 被保険者資格申立書
//! (`/check-ins/{id}/declaration`), and the script behind every 「印刷」 button (`/print.js`).
//!
//! Owns: these routes and their markup. Must not know: SQL (the store), what a query means or
//! what status a check-in has (`check_in_list`). Every text is Japanese, in reception staff's
//! words; codes appear only in attributes and links.

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::Timelike;
use maud::{DOCTYPE, Markup, PreEscaped, html};

use super::{AppState, SignedIn, now, page, pages, problem, with_store};
use crate::check_in_list::{self, ListQuery, Status, date_japanese};
use crate::domain::{HandoffReason, StoredCheckIn, VerificationMethod};
use crate::rules::{JST, kiosk_label};
use crate::staff::StaffSession;

/// The only script of the print buttons: served as a file, as the policy allows no inline
/// script.
const PRINT_SCRIPT: &str = "document.querySelectorAll('[data-print]').forEach(b=>\
b.addEventListener('click',()=>window.print()));\n";

/// The style of the printouts (A4 or A5 paper; the screen shows them the same way).
const PRINT_STYLE: &str = "
body{font-family:'Noto Sans CJK JP','Noto Sans JP',sans-serif;margin:0;color:#000;background:#fff;font-size:16px}
main{padding:1.5em;max-width:48em}
.bar{padding:.6em 1.5em;background:#eee;display:flex;gap:1em;align-items:center}
.bar button{font-size:1em;padding:.4em 1.2em}
h1{font-size:1.5em;margin:.2em 0 .6em}
.slip{border:2px solid #000;padding:1em 1.5em;max-width:26em}
.slip .number{font-size:4em;font-weight:bold;line-height:1.1;margin:.1em 0 .3em}
.slip .facility{font-size:1.2em;font-weight:bold}
table{border-collapse:collapse;width:100%}th,td{border:1px solid #000;padding:.5em .6em;text-align:left;vertical-align:top}
th{width:12em;background:#f4f4f4;font-weight:normal}
td.blank{height:2.2em}
.box{display:inline-block;margin-right:1.2em}
.statement{margin:1.2em 0;font-size:1.05em}
.sign{margin-top:1.5em}
.small{font-size:.85em}
@media print{.bar,nav,form,button{display:none!important}main{padding:0}body{font-size:12pt}}
";

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/check-ins", get(list))
        .route("/check-ins/{id}/slip", get(slip))
        .route("/check-ins/{id}/declaration", get(declaration))
        .route("/print.js", get(print_script))
}

async fn print_script() -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/javascript; charset=utf-8"),
        )],
        PRINT_SCRIPT,
    )
        .into_response()
}

/// A 「印刷」 button (hidden on paper) and the script that makes it print.
pub(super) fn print_button() -> Markup {
    html! {
        button.print type="button" data-print { "印刷" }
        script src="/print.js" defer {}
    }
}

async fn list(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    Query(query): Query<BTreeMap<String, String>>,
) -> Response {
    let today = now().date_naive();
    let parsed = ListQuery::parse(&query, today);
    let day = parsed.as_ref().map_or(today, |q| q.day);
    let day_check_ins =
        match with_store(&state, move |store| store.check_ins_between(day, day)).await {
            Ok(c) => c,
            Err(r) => return r,
        };
    let ids = day_check_ins.iter().map(|c| c.id).collect();
    let orca = match super::orca_states::column(&state, ids, &session.csrf_token, day).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let orca = orca.as_ref();
    let (status, body) = match &parsed {
        Ok(q) => (
            StatusCode::OK,
            list_body(&session, &query, q, &day_check_ins, today, None, orca),
        ),
        Err(message) => {
            let fallback = ListQuery {
                day,
                kiosk: None,
                status: None,
                search: check_in_list::Search::Anything,
            };
            (
                StatusCode::BAD_REQUEST,
                list_body(
                    &session,
                    &query,
                    &fallback,
                    &day_check_ins,
                    today,
                    Some(message),
                    orca,
                ),
            )
        }
    };
    let title = if day == today {
        "本日の受付一覧".to_owned()
    } else {
        format!("{}の受付一覧", date_japanese(day))
    };
    page(status, pages::layout(&title, Some(&session), body))
}

fn list_body(
    _session: &StaffSession,
    typed: &BTreeMap<String, String>,
    query: &ListQuery,
    day_check_ins: &[StoredCheckIn],
    today: crate::dates::Date,
    error: Option<&str>,
    orca: Option<&super::orca_states::Column>,
) -> Markup {
    let typed = |name: &str| typed.get(name).cloned().unwrap_or_default();
    let shown: Vec<&StoredCheckIn> = day_check_ins
        .iter()
        .filter(|c| query.matches(c))
        .rev()
        .collect();
    let kiosks = check_in_list::kiosks(day_check_ins);
    let day_text = if query.day == today {
        format!("本日（{}）", date_japanese(query.day))
    } else {
        date_japanese(query.day)
    };
    html! {
        h1 { (day_text) "の受付一覧" }
        @if let Some(error) = error { p.errors role="alert" { (error) } }
        form #check-in-search .filters method="get" action="/check-ins" {
            label { "受付番号・氏名で探す" br;
                input type="search" name="q" value=(typed("q")) autofocus placeholder="例：12 または 山田";
            }
            label { "日付" br;
                input type="date" name="day" value=(query.day.to_string());
            }
            label { "受付機" br;
                select name="kiosk" {
                    option value="" { "すべて" }
                    @for k in &kiosks {
                        option value=(k) selected[query.kiosk.as_deref() == Some(k.as_str())] { (kiosk_label(k)) }
                    }
                }
            }
            label { "状態" br;
                select name="status" {
                    option value="" { "すべて" }
                    @for s in Status::ALL {
                        option value=(s.as_str()) selected[query.status == Some(s)] { (s.japanese()) }
                    }
                }
            }
            button type="submit" { "表示する" }
            " "
            a href="/check-ins" { "本日に戻す" }
        }
        p #check-in-count { (shown.len()) "件（この日の受付 " (day_check_ins.len()) "件）" }
        p.small { "氏名は、資格確認の結果に氏名があり、まだ対応中の受付にだけ残っています。" }
        @if shown.is_empty() {
            p.empty { "該当する受付はありません。" }
        } @else {
            table #check-ins-table {
                thead { tr {
                    th { "受付番号" } th { "時刻" } th { "状態" } th { "内容" } th { "氏名" } th { "受付機" }
                    @if orca.is_some() { th { "ORCA" } }
                    th { "" }
                } }
                tbody {
                    @for c in &shown {
                        @let status = Status::of(c);
                        tr data-check-in=(c.id) data-status=(status.as_str()) {
                            td.num id={"check-in-" (c.id)} { (number_text(c)) }
                            td { (time_text(c)) }
                            td.status { (status.japanese()) }
                            td {
                                (what_text(c))
                                @if let Some(aid) = c.record.consent.medical_aid_certificate {
                                    br; small.medical-aid data-medical-aid=(aid) { "受給者証：" (pages::medical_aid_text(aid)) }
                                }
                            }
                            td { @if let Some(n) = &c.record.patient_name { span.patient-name lang="ja" { (n.name) } } }
                            td { (kiosk_label(&c.record.kiosk)) }
                            @if let Some(orca) = orca { td.orca { (orca.cell(c.id)) } }
                            td {
                                @if c.record.outcome.handoff_reason().is_some() {
                                    a href={"/handoffs/" (c.id)} {
                                        @if status == Status::Waiting { "対応する" } @else { "記録を見る" }
                                    }
                                    " "
                                }
                                @if c.reception_number.is_some() {
                                    a href={"/check-ins/" (c.id) "/slip"} { "控えを印刷" }
                                    @if c.record.outcome.handoff_reason().is_some() {
                                        " "
                                        a href={"/check-ins/" (c.id) "/declaration"} { "申立書" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn number_text(c: &StoredCheckIn) -> String {
    c.reception_number
        .map_or_else(|| "—".to_owned(), |n| n.to_string())
}

fn time_text(c: &StoredCheckIn) -> String {
    let t = c.record.finished_at.with_timezone(&JST);
    format!("{:02}:{:02}", t.hour(), t.minute())
}

/// What happened, in one phrase: the reason for a handoff, the method once confirmed.
fn what_text(c: &StoredCheckIn) -> String {
    let method = c.confirmed_verification().map(VerificationMethod::japanese);
    match (c.record.outcome.handoff_reason(), method) {
        (Some(reason), Some(method)) => format!("{}（{method}）", pages::reason_text(reason)),
        (Some(reason), None) => pages::reason_text(reason).to_owned(),
        (None, Some(method)) => method.to_owned(),
        (None, None) => String::new(),
    }
}

/// The check-in `id`, if it has a reception number to print; otherwise the page saying so.
async fn numbered(
    state: &AppState,
    session: &StaffSession,
    id: i64,
) -> Result<StoredCheckIn, Response> {
    let found = with_store(state, move |store| store.check_in(id)).await?;
    found
        .filter(|c| c.reception_number.is_some())
        .ok_or_else(|| {
            problem(
                StatusCode::NOT_FOUND,
                Some(session),
                &format!("受付番号のある受付 {id} はありません。"),
            )
        })
}

/// A printout's page: its own plain layout with a bar (back link and 「印刷」) that paper
/// leaves out.
fn printout(title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="ja" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) "｜受付スタッフ画面" }
                style { (PreEscaped(PRINT_STYLE)) }
            }
            body {
                nav.bar {
                    a href="/check-ins" { "受付一覧に戻る" }
                    (print_button())
                }
                main { (body) }
            }
        }
    }
}

async fn slip(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    Path(id): Path<i64>,
) -> Response {
    let c = match numbered(&state, &session, id).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let facility = state.0.facility_name.clone();
    let at = c.record.finished_at.with_timezone(&JST);
    let body = html! {
        div.slip #slip data-check-in=(c.id) {
            @if !facility.is_empty() { p.facility { (facility) } }
            p { "受付番号" }
            p.number #slip-number { (number_text(&c)) }
            p { "受付日時 " (date_japanese(at.date_naive())) " " (time_text(&c)) }
            p #next-time { strong { "次回のご来院のときに" } br; (check_in_list::next_time(&c)) }
            p.small { "番号をお呼びするまで、待合室でお待ちください。" }
        }
    };
    page(StatusCode::OK, printout("受付番号の控え", body))
}

async fn declaration(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    Path(id): Path<i64>,
) -> Response {
    let c = match numbered(&state, &session, id).await {
        Ok(c) => c,
        Err(r) => return r,
    };
    let facility = state.0.facility_name.clone();
    let page_body = declaration_body(&c, &facility);
    page(StatusCode::OK, printout("被保険者資格申立書", page_body))
}

/// 被保険者資格申立書, filled with what the check-in knows (the visit day, the facility, the
/// 受付番号, the name and reading when the eligibility result gave them, the numbers when it
/// carried them, why online eligibility could not be confirmed) and blank for the patient to
/// write the rest: date of birth, address, telephone, insurance type, insurer, employer,
/// signature. The fields follow what the claim's remarks (摘要欄) need (MHLW 医療保険部会
/// No.200, 2025-10-16: kana name, insurance type, insurer name, employer name, address, contact
/// details; notes in ../shared/research/domain-notes.md). The Individual Number is never asked.
fn declaration_body(c: &StoredCheckIn, facility: &str) -> Markup {
    let name = c.record.patient_name.as_ref();
    let eligibility = c.record.eligibility.as_ref();
    let numbers = eligibility.map(|e| {
        [
            e.symbol.as_deref(),
            e.number.as_deref(),
            e.branch.as_deref(),
        ]
        .iter()
        .map(|p| p.unwrap_or("　"))
        .collect::<Vec<_>>()
        .join("・")
    });
    let reason = c
        .record
        .outcome
        .handoff_reason()
        .map(|r| reason_for_form(r).to_owned());
    html! {
        h1 #declaration { "被保険者資格申立書" }
        p { "マイナ保険証（マイナンバーカード）などで資格を確認できなかったため、加入している医療保険について申し立てます。わかる範囲でご記入ください。" }
        table {
            tr { th { "申立日" } td #declaration-day { (date_japanese(c.record.visit_date)) } }
            tr { th { "フリガナ" } td.blank { @if let Some(kana) = name.and_then(|n| n.kana.as_deref()) { (kana) } } }
            tr { th { "氏名" } td.blank #declaration-name { @if let Some(n) = name { (n.name) } } }
            tr { th { "生年月日" } td.blank { "　　　　年　　月　　日" } }
            tr { th { "住所" } td.blank {} }
            tr { th { "電話番号" } td.blank {} }
            tr { th { "加入している医療保険" } td {
                @for kind in ["国民健康保険", "後期高齢者医療制度", "健康保険（協会けんぽ・健康保険組合）", "共済組合", "その他（　　　　）", "わからない"] {
                    span.box { "□ " (kind) }
                }
            } }
            tr { th { "保険者名" } td.blank {} }
            tr { th { "保険者番号" } td.blank { @if let Some(n) = eligibility.and_then(|e| e.insurer_number.as_deref()) { (n) } } }
            tr { th { "記号・番号・枝番" } td.blank { @if let Some(n) = &numbers { (n) } } }
            tr { th { "勤務先の名称（会社などの健康保険の方）" } td.blank {} }
        }
        p.statement { "私は、上記の医療保険の被保険者（被扶養者）の資格があることを申し立てます。" }
        p.sign { "署名　＿＿＿＿＿＿＿＿＿＿＿＿＿＿＿＿" }
        h2 { "医療機関記入欄" }
        table {
            tr { th { "医療機関名" } td.blank #declaration-facility { (facility) } }
            tr { th { "受診日" } td { (date_japanese(c.record.visit_date)) } }
            tr { th { "受付番号" } td #declaration-number { (number_text(c)) } }
            tr { th { "資格を確認できなかった理由" } td.blank { @if let Some(r) = &reason { (r) } } }
            tr { th { "確認したスタッフ" } td.blank {} }
        }
        p.small { "この申立書は、支払いが確認できるまで医療機関で保管します。" }
    }
}

/// Why online eligibility could not be confirmed, as the form's facility part says it.
fn reason_for_form(reason: HandoffReason) -> &'static str {
    match reason {
        HandoffReason::GatewayUnavailable => {
            "オンライン資格確認に接続できなかった（回線・システム障害）"
        }
        HandoffReason::ReaderOutOfService => "カードリーダーが使えなかった",
        HandoffReason::CardBlocked => "マイナンバーカードの暗証番号がロックされていた",
        HandoffReason::CertificateNotAccepted => "マイナンバーカードの電子証明書が使えなかった",
        HandoffReason::CertificateExpired => {
            "マイナンバーカードの電子証明書の有効期限が切れていた（猶予期間も過ぎていた）"
        }
        HandoffReason::EligibilityInvalid => "オンライン資格確認で資格が無効と表示された",
        HandoffReason::NoEligibility => "オンライン資格確認で資格情報が見つからなかった",
        _ => pages::reason_text(reason),
    }
}
