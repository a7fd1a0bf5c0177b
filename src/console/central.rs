//! The console across kiosks (issue 19 item 2; `uketsuke console --central`): the queue of
//! every kiosk's open handoffs from the hospital's central database, pushed again whenever a
//! kiosk delivers or a desk decides (PostgreSQL `LISTEN`, heard on a thread of its own by
//! [`crate::central::desk::listen`]); each handoff's page with the local console's forms and
//! decisions ([`desk::decide`]), posted to [`Central::resolve`] so the first desk wins and a
//! second is told who did; the month report per kiosk and in total.
//!
//! Sign-in, sessions and staff accounts stay in this desk's own SQLite (`--db`) for now: item 4
//! moves accounts to the central database, and then only [`AppState::session`] and the
//! accounts pages change.
//!
//! Owns: the routes `/central/{kiosk}/{id}` and `.../resolve`, the central queue's markup, the
//! one connection the console's requests share. Must not know: SQL (`crate::central`). Every
//! call to the central database runs in `spawn_blocking`, never on the async threads.

use std::collections::BTreeMap;
use std::sync::Mutex;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::{DateTime, FixedOffset};
use maud::{Markup, html};

use super::{AppState, BoundedForm, SignedIn, blocking, now, page, pages, problem};
use crate::central::desk::{DecidedBy, DeskHandoff};
use crate::central::{Central, CentralError, DeskOutcome, OpenHandoff};
use crate::central_settings::CentralSettings;
use crate::desk::queue::{self as desk_queue, Claims, Queue, WaitMark};
use crate::desk::{self, FieldError};
use crate::domain::{
    CheckInRecord, ConsentAnswers, HandoffReason, Outcome, PatientName, ReceptionNumber,
    StoredCheckIn,
};
use crate::rules::JST;
use crate::staff::StaffSession;

/// What `uketsuke console --central` hands the console: the central database and this desk's
/// name (`--desk`, e.g. `desk-2`; recorded with every decision and told to a second desk).
#[derive(Debug, Clone)]
pub struct CentralDesk {
    pub settings: CentralSettings,
    pub desk: String,
}

/// The console's side of the central database: one connection its requests take turns on
/// (opened on first use, dropped after an error so the next request connects again).
pub(super) struct CentralState {
    pub(super) settings: CentralSettings,
    pub(super) desk: String,
    connection: Mutex<Option<Central>>,
}

impl CentralState {
    pub(super) fn new(desk: CentralDesk) -> Self {
        Self {
            settings: desk.settings,
            desk: desk.desk,
            connection: Mutex::new(None),
        }
    }

    /// Runs `f` on the shared connection. Blocks: call it from `spawn_blocking` only.
    fn run<T>(
        &self,
        f: impl FnOnce(&mut Central) -> Result<T, CentralError>,
    ) -> Result<T, CentralError> {
        let mut held = self
            .connection
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let central = match &mut *held {
            Some(c) => c,
            None => held.insert(Central::connect(&self.settings)?),
        };
        let result = f(central);
        if result.is_err() {
            *held = None;
        }
        result
    }
}

/// Runs `f` with the central database off the async threads; a failure becomes the
/// technician's error page (the log names the URL).
pub(super) async fn with_central<T: Send + 'static>(
    state: &AppState,
    f: impl FnOnce(&mut Central) -> Result<T, CentralError> + Send + 'static,
) -> Result<T, Response> {
    let Some(central) = state.0.central.clone() else {
        return Err(problem(
            StatusCode::NOT_FOUND,
            None,
            "この画面は中央のデータベースにつながったコンソールでだけ使えます。",
        ));
    };
    blocking(move || central.run(f)).await?.map_err(|e| {
        tracing::error!(error = %e, "desk console: central database failed (--central)");
        problem(
            StatusCode::SERVICE_UNAVAILABLE,
            None,
            "中央のデータベースにつながりません。しばらくしてから読み込み直してください。続くときは技術担当者に連絡してください。",
        )
    })
}

/// Every kiosk's open handoffs, each also as a check-in the queue's rules read: its `id` is
/// its place in `open` (ids repeat across kiosks), its kiosk the kiosk's name.
pub(super) struct CentralQueue {
    open: Vec<OpenHandoff>,
    stored: Vec<StoredCheckIn>,
}

impl CentralQueue {
    fn new(open: Vec<OpenHandoff>) -> Self {
        let stored = open
            .iter()
            .enumerate()
            .filter_map(|(i, h)| {
                let reason = h.reason.as_deref().and_then(HandoffReason::parse)?;
                let finished = DateTime::parse_from_rfc3339(&h.finished_at).ok()?;
                let number = h
                    .reception_number
                    .and_then(|n| u32::try_from(n).ok())
                    .map(ReceptionNumber);
                let name = h.name.clone().map(|name| PatientName {
                    name,
                    kana: h.kana.clone(),
                    birth_date: None,
                });
                Some(as_stored(
                    i64::try_from(i).ok()?,
                    number,
                    reason,
                    finished,
                    finished,
                    &h.kiosk_name,
                    name,
                    None,
                ))
            })
            .collect();
        Self { open, stored }
    }

    pub(super) fn arrange(&self, state: &AppState) -> Queue<'_> {
        desk_queue::arrange(
            &self.stored,
            now(),
            state.0.waiting_place,
            &Claims::default(),
        )
    }

    /// The handoff behind a row (the row's check-in id is its index).
    fn handoff(&self, row: &desk_queue::Row) -> Option<&OpenHandoff> {
        usize::try_from(row.check_in.id)
            .ok()
            .and_then(|i| self.open.get(i))
    }
}

/// A check-in as much as the central database knows of it: what the kiosk keeps to itself
/// (the checklist, the eligibility answer, what the patient presented, the PIN count) is
/// absent.
#[allow(clippy::too_many_arguments)]
fn as_stored(
    id: i64,
    number: Option<ReceptionNumber>,
    reason: HandoffReason,
    started_at: DateTime<FixedOffset>,
    finished_at: DateTime<FixedOffset>,
    kiosk: &str,
    patient_name: Option<PatientName>,
    department: Option<String>,
) -> StoredCheckIn {
    StoredCheckIn {
        id,
        reception_number: number,
        record: CheckInRecord {
            started_at,
            finished_at,
            visit_date: finished_at.with_timezone(&JST).date_naive(),
            presented: None,
            identity: None,
            verification: None,
            counts_toward_usage_rate: false,
            expected_route: None,
            consent: ConsentAnswers::default(),
            eligibility: None,
            outcome: Outcome::HandedToStaff { reason },
            checklist: Vec::new(),
            wrong_pin_entries: 0,
            kiosk: kiosk.to_owned(),
            patient_name,
            department,
        },
        resolution: None,
    }
}

/// A desk's handoff as a check-in the resolve forms and [`desk::decide`] read; `None` when the
/// stored check-in is not a handoff this build knows.
fn handoff_as_stored(h: &DeskHandoff) -> Option<StoredCheckIn> {
    let c = &h.check_in;
    let reason = c.handoff_reason.as_deref().and_then(HandoffReason::parse)?;
    let started = DateTime::parse_from_rfc3339(&c.started_at).ok()?;
    let finished = DateTime::parse_from_rfc3339(&c.finished_at).ok()?;
    let name = h.name.clone().map(|name| PatientName {
        name,
        kana: h.kana.clone(),
        birth_date: None,
    });
    Some(as_stored(
        c.id,
        c.reception_number.map(ReceptionNumber),
        reason,
        started,
        finished,
        &h.kiosk_name,
        name,
        c.department.clone(),
    ))
}

/// The open handoffs of every kiosk, arranged for the queue.
pub(super) async fn load_queue(state: &AppState) -> Result<CentralQueue, Response> {
    with_central(state, |c| c.open_handoffs())
        .await
        .map(CentralQueue::new)
}

/// The part of the queue page the server pushes again: one table of every kiosk's open
/// handoffs, longest wait first, the kiosk's name in the first column.
pub(super) fn queue_fragment(state: &AppState, q: &CentralQueue) -> Markup {
    let queue = q.arrange(state);
    let at = now();
    let rows: Vec<_> = queue.today.iter().chain(queue.earlier.iter()).collect();
    html! {
        p.hint #updated data-at=(at.timestamp()) { "更新 " span #updated-ago { "0秒前" } "（" (at.format("%H:%M")) "）・すべての受付機・待ち時間の長い順" }
        span #badge-source hidden data-open=(queue.open()) data-badge=(queue.badge()) {}
        @if rows.is_empty() {
            p.empty { "どの受付機にも、対応待ちの受付はありません。" }
        } @else {
            table #queue-table .central {
                thead { tr {
                    th { "受付機" }
                    th { "受付番号" }
                    th { "内容" }
                    th { "待ち時間" }
                    th { "待っている場所" }
                    th { "対応" }
                } }
                tbody {
                    @for row in rows {
                        @if let Some(h) = q.handoff(row) {
                            tr.(row.mark.class()) data-kiosk=(h.kiosk_id) data-check-in=(h.check_in_id)
                                data-reason=(h.reason.as_deref().unwrap_or_default()) {
                                td.kiosk { (h.kiosk_name) }
                                td.num { (row.number) }
                                td.content {
                                    span.content-label { (row.content) }
                                    @if let Some(name) = &h.name {
                                        br; span.patient-name lang="ja" { (name) }
                                        @if let Some(kana) = &h.kana { br; small.kana lang="ja" { (kana) } }
                                    }
                                }
                                td.wait {
                                    (row.waited_minutes) "分"
                                    @if row.mark != WaitMark::Normal { br; span.wait-mark { (row.mark.text()) } }
                                }
                                td.place { (row.place.japanese()) }
                                td { a href={"/central/" (h.kiosk_id) "/" (h.check_in_id)} { "対応する" } }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// `GET /` in central mode: the queue of every kiosk, live.
pub(super) async fn queue_page(
    state: &AppState,
    session: &StaffSession,
    query: &BTreeMap<String, String>,
) -> Response {
    let q = match load_queue(state).await {
        Ok(q) => q,
        Err(r) => return r,
    };
    let desk_name = state
        .0
        .central
        .as_ref()
        .map(|c| c.desk.clone())
        .unwrap_or_default();
    // After a decision here: `?kiosk=K&recorded=ID`, told as the central database holds it.
    let recorded = query
        .get("kiosk")
        .cloned()
        .zip(query.get("recorded").and_then(|id| id.parse::<i64>().ok()));
    let flash = match recorded {
        None => None,
        Some((kiosk, id)) => match with_central(state, move |c| c.desk_handoff(&kiosk, id)).await {
            Ok(Some(h)) if h.decided.as_ref().is_some_and(|d| d.desk.is_some()) => {
                let number = h
                    .check_in
                    .reception_number
                    .map_or_else(|| "-".to_owned(), |n| n.to_string());
                Some(
                    html! { p.ok role="status" { (h.kiosk_name) " の受付番号 " (number) " の対応を記録しました。受付機にも記録されます。" } },
                )
            }
            Ok(_) => None,
            Err(r) => return r,
        },
    };
    page(
        StatusCode::OK,
        pages::layout(
            "受付待ち（全受付機）",
            Some(session),
            html! {
                h1 { "スタッフ対応待ち（すべての受付機）" }
                p.hint #desk-name { "この受付：" (desk_name) }
                @if let Some(flash) = flash { (flash) }
                div #queue aria-live="polite" { (queue_fragment(state, &q)) }
                noscript { p.notice { "ブラウザーのスクリプトが無効なため自動更新されません。再読み込みしてください。" } }
            },
        ),
    )
}

/// 「この受付は すでに 受付2の佐藤さんが 10:42に 対応しました。」: who decided first.
pub fn already_decided_text(by: &DecidedBy, kiosk_name: &str) -> String {
    let at = DateTime::parse_from_rfc3339(&by.at)
        .map(|t| t.with_timezone(&JST).format("%H:%M").to_string())
        .unwrap_or_else(|_| by.at.clone());
    match &by.desk {
        Some(desk) => format!(
            "この受付は すでに {desk}の{}さんが {at}に 対応しました。",
            by.staff
        ),
        None => format!(
            "この受付は すでに 受付機（{kiosk_name}）で {}さんが {at}に 対応しました。",
            by.staff
        ),
    }
}

/// The page of a handoff someone else decided first (nothing changed).
fn decided_page(
    session: &StaffSession,
    status: StatusCode,
    h: &DeskHandoff,
    by: &DecidedBy,
) -> Response {
    let number = h
        .check_in
        .reception_number
        .map_or_else(|| "-".to_owned(), |n| n.to_string());
    page(
        status,
        pages::layout(
            "受付の対応",
            Some(session),
            html! {
                h1 { "受付番号 " (number) "（" (h.kiosk_name) "）" }
                p.notice #already-decided role="alert" { (already_decided_text(by, &h.kiosk_name)) }
                p { "この画面からは何も変更していません。 " a href="/" { "受付待ちに戻る" } }
            },
        ),
    )
}

/// What the central handoff page leaves out, said plainly.
const LEFT_OUT: &str = "中央の画面では、受付機にだけある記録（確認すること・資格確認の結果・暗証番号の誤り）は表示されず、資格確認端末への照会もできません。必要なときは、その受付機のコンソールで確認してください。";

/// The handoff's page: open → the local console's forms, posting here; decided → who did.
async fn show(
    state: &AppState,
    session: &StaffSession,
    kiosk: String,
    id: i64,
    status: StatusCode,
    errors: &[FieldError],
    submitted: &BTreeMap<String, String>,
) -> Response {
    let k = kiosk.clone();
    let found = match with_central(state, move |c| c.desk_handoff(&k, id)).await {
        Ok(found) => found,
        Err(r) => return r,
    };
    let Some(h) = found else {
        return not_found(session, &kiosk, id);
    };
    if let Some(by) = &h.decided {
        let status = if status == StatusCode::OK {
            StatusCode::OK
        } else {
            StatusCode::CONFLICT
        };
        return decided_page(session, status, &h, by);
    }
    let Some(stored) = handoff_as_stored(&h) else {
        return not_found(session, &kiosk, id);
    };
    let rules = &state.0.rules;
    let provisional = rules.provisional_handling_applies(stored.record.visit_date);
    let no_ratio_label = desk::no_ratio_shown_label(rules, stored.record.visit_date);
    let forms = pages::handoff(
        session,
        &stored,
        errors,
        submitted,
        provisional,
        &no_ratio_label,
        &super::terminal::TerminalBox::NotConfigured,
    )
    .into_string();
    // The local forms post to /handoffs/{id}/resolve; here they post to this kiosk's handoff.
    let forms = forms.replace(
        &format!("\"/handoffs/{id}/resolve\""),
        &format!("\"/central/{kiosk}/{id}/resolve\""),
    );
    let body = html! {
        p #kiosk-of .notice { "受付機「" (h.kiosk_name) "」の受付です。" }
        p #central-left-out .small { (LEFT_OUT) }
        (maud::PreEscaped(forms))
    };
    page(status, pages::layout("受付の対応", Some(session), body))
}

fn not_found(session: &StaffSession, kiosk: &str, id: i64) -> Response {
    problem(
        StatusCode::NOT_FOUND,
        Some(session),
        &format!("受付機 {kiosk} に、スタッフ対応の受付 {id} はありません。"),
    )
}

async fn handoff(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    Path((kiosk, id)): Path<(String, i64)>,
) -> Response {
    show(
        &state,
        &session,
        kiosk,
        id,
        StatusCode::OK,
        &[],
        &BTreeMap::new(),
    )
    .await
}

/// `POST /central/{kiosk}/{id}/resolve`: the form read by [`desk::decide`] as at the local
/// console, then [`Central::resolve`]: recorded → the queue with a note; another desk (or the
/// kiosk) first → who did (409), nothing changed, the refusal audited centrally.
async fn resolve(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((kiosk, id)): Path<(String, i64)>,
    BoundedForm(form): BoundedForm,
) -> Response {
    let session = match state.session_for_form(&headers, &form).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let k = kiosk.clone();
    let found = match with_central(&state, move |c| c.desk_handoff(&k, id)).await {
        Ok(found) => found,
        Err(r) => return r,
    };
    let Some(h) = found else {
        return not_found(&session, &kiosk, id);
    };
    let Some(stored) = handoff_as_stored(&h) else {
        return not_found(&session, &kiosk, id);
    };
    // A complete decision goes to the central database even when this page already knows
    // another desk was first: there the refusal is audited under this desk and its staff.
    let decision = match desk::decide(
        &state.0.rules,
        &stored,
        &form,
        &session.account.login,
        now(),
    ) {
        Ok(d) => d,
        Err(_) if h.decided.is_some() => {
            return show(
                &state,
                &session,
                kiosk,
                id,
                StatusCode::CONFLICT,
                &[],
                &BTreeMap::new(),
            )
            .await;
        }
        Err(errors) => {
            return show(
                &state,
                &session,
                kiosk,
                id,
                StatusCode::UNPROCESSABLE_ENTITY,
                &errors,
                &form,
            )
            .await;
        }
    };
    let desk_name = state
        .0
        .central
        .as_ref()
        .map(|c| c.desk.clone())
        .unwrap_or_default();
    let k = kiosk.clone();
    let outcome = with_central(&state, move |c| {
        c.resolve(
            &k,
            id,
            &decision.resolution,
            decision.counts_toward_usage_rate,
            &desk_name,
        )
    })
    .await;
    match outcome {
        Err(r) => r,
        Ok(DeskOutcome::Recorded) => {
            Redirect::to(&format!("/?kiosk={kiosk}&recorded={id}")).into_response()
        }
        Ok(DeskOutcome::AlreadyDecided { staff, desk, at }) => {
            let by = DecidedBy {
                staff,
                desk: Some(desk),
                at,
            };
            decided_page(&session, StatusCode::CONFLICT, &h, &by)
        }
        Ok(DeskOutcome::NotOpen) => {
            show(
                &state,
                &session,
                kiosk,
                id,
                StatusCode::CONFLICT,
                &[],
                &BTreeMap::new(),
            )
            .await
        }
    }
}

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/central/{kiosk}/{id}", get(handoff))
        .route("/central/{kiosk}/{id}/resolve", post(resolve))
}

/// The month's report across kiosks: (all kiosks together, the month before together, each
/// kiosk's `(name, report)`), as `uketsuke report --central` counts them.
pub(super) async fn month_reports(
    state: &AppState,
    month: String,
    first: String,
    last: String,
    previous: String,
    previous_first: String,
    previous_last: String,
) -> Result<
    (
        crate::report::MonthReport,
        crate::report::MonthReport,
        Vec<(String, crate::report::MonthReport)>,
    ),
    Response,
> {
    let rules = state.0.rules.clone();
    with_central(state, move |c| {
        let kiosks = c.report_rows(&first, &last)?;
        let before = c.report_rows(&previous_first, &previous_last)?;
        let made = |m: &str, rows: &[crate::report::ReportRow]| {
            crate::report::MonthReport::from_rows_with_people(m, rows).with_rules(&rules)
        };
        let all: Vec<_> = kiosks.iter().flat_map(|k| k.rows.iter().cloned()).collect();
        let all_before: Vec<_> = before.iter().flat_map(|k| k.rows.iter().cloned()).collect();
        let each = kiosks
            .iter()
            .map(|k| (k.kiosk_name.clone(), made(&month, &k.rows)))
            .collect();
        Ok((made(&month, &all), made(&previous, &all_before), each))
    })
    .await
}
