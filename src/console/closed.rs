//! A closed handoff: the page that shows what was saved (method, numbers, ratio, note, who and
//! when) and, on the day it was recorded, the forms of 「記録を訂正する」; and the handler that
//! stores a correction.
//!
//! Owns: the closed page's markup and `POST /handoffs/{id}/correct`. Must not know: who may
//! correct or what counts (`desk::may_correct`, `desk::decide_correction`), SQL (the store).

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};

use super::pages::{FormAt, action_form_to, closed_method_text, jst, summary_rows};
use super::{AppState, BoundedForm, blocking, handoff_for_form, now, show_handoff, store_failed};
use crate::desk::{self, FieldError, actions_for};
use crate::domain::{ClosedAs, HandoffResolution, StoredCheckIn};
use crate::staff::StaffSession;
use crate::store::StoreError;

/// The closed page's body. `correctable`: whether the signed-in person may correct it now
/// (`Err`: why not, in Japanese); `errors`/`submitted`: the last correction attempt;
/// `corrected`: a correction was just stored.
pub(super) fn page(
    session: &StaffSession,
    h: &StoredCheckIn,
    correctable: Result<(), String>,
    errors: &[FieldError],
    submitted: &BTreeMap<String, String>,
    provisional_applies: bool,
    corrected: bool,
) -> Markup {
    let value = |name: &str| submitted.get(name).cloned().unwrap_or_default();
    let number = h
        .reception_number
        .map_or_else(|| "-".to_owned(), |n| n.to_string());
    let reason = h.record.outcome.handoff_reason();
    let only_confirm = !errors.is_empty() && errors.iter().all(|e| e.field == "confirm");
    html! {
        h1 { "受付番号 " (number) "（対応済み）" }
        @if corrected {
            p.ok role="status" #corrected { "記録を訂正しました。訂正前と訂正後は監査ログに残ります。" }
        }
        @if let Some(resolution) = &h.resolution {
            h2 { "記録した内容" }
            (saved(resolution, h.record.counts_toward_usage_rate))
        }
        p { a href="/audit" { "監査ログで記録の履歴を見る" } " ・ " a href="/" { "受付待ちに戻る" } }
        (summary_rows(h))
        h2 { "記録を訂正する" }
        @match (correctable, reason) {
            (Ok(()), Some(reason)) => {
                @if only_confirm {
                    p.notice.confirm-step role="alert" { @for e in errors { (e.japanese) } }
                } @else if !errors.is_empty() {
                    div.errors role="alert" {
                        p { "入力を確認してください。" }
                        ul { @for e in errors { li data-field=(e.field) { (e.japanese) } } }
                    }
                }
                details #correct open[!errors.is_empty()] {
                    summary { "記録を訂正する（記録した日のうちだけ）" }
                    p { "訂正の理由と正しい対応を入力してください。利用率に数えるかどうかは、選んだ対応から決まります。訂正前と訂正後は監査ログに残ります。" }
                    @for action in actions_for(reason) {
                        @let confirming = only_confirm && value("action") == action.as_str();
                        @let at = FormAt {
                            post_to: format!("/handoffs/{}/correct", h.id),
                            reason,
                            action,
                            confirming,
                            extra: html! {
                                label { "訂正の理由（必須）" br;
                                    input name="correction_reason" required maxlength="200" size="50" value=(value("correction_reason"));
                                }
                            },
                            after: html! {},
                            fields: None,
                        };
                        (action_form_to(session, at, &value, provisional_applies))
                    }
                }
            }
            (Err(why), _) => { p.notice #not-correctable { (why) } }
            (Ok(()), None) => {}
        }
    }
}

/// What was saved, one row per item, in reception staff's words.
fn saved(r: &HandoffResolution, counted: bool) -> Markup {
    let (how, read_off) = match &r.closed_as {
        ClosedAs::Verified {
            verification,
            identity,
            read_off,
        } => (
            closed_method_text(*verification, *identity),
            read_off.as_ref(),
        ),
        ClosedAs::Unresolved => ("確認できなかった", None),
        ClosedAs::Cancelled => ("取り消し", None),
    };
    let or_none = |v: Option<&str>| v.map_or_else(|| "（なし）".to_owned(), str::to_owned);
    html! {
        table.saved #saved data-closed-as=(r.closed_as.as_str()) {
            tr { th { "対応" } td #saved-how { (how) } }
            @if let Some(n) = read_off {
                tr { th { "保険者番号" } td #saved-insurer-number { (n.insurer_number) } }
                tr { th { "記号" } td #saved-symbol { (or_none(n.symbol.as_deref())) } }
                tr { th { "番号" } td #saved-number { (n.number) } }
                tr { th { "枝番" } td #saved-branch { (or_none(n.branch.as_deref())) } }
                tr { th { "負担割合" } td #saved-ratio { (n.burden_ratio.map_or_else(|| "表示なし（年齢で判断）".to_owned(), |r| r.wari())) } }
                tr { th { "有効期限" } td { (n.valid_until.map_or_else(|| "（表示なし）".to_owned(), |d| d.to_string())) } }
            }
            tr { th { "マイナ保険証の利用率" } td #saved-counts { @if counted { "数える" } @else { "数えない" } } }
            tr { th { "メモ" } td #saved-note { (if r.note.is_empty() { "（なし）" } else { r.note.as_str() }) } }
            tr { th { "対応した人" } td #saved-staff { (r.staff) } }
            tr { th { "記録した日時" } td #saved-at { (jst(r.resolved_at)) } }
        }
    }
}

/// `POST /handoffs/{id}/correct`: a same-day correction, decided by the desk and stored with
/// its audit entry in one transaction; then the closed page again (with its banner).
pub(super) async fn correct(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    BoundedForm(form): BoundedForm,
) -> Response {
    let (session, check_in) = match handoff_for_form(&state, &headers, id, &form).await {
        Ok(found) => found,
        Err(r) => return r,
    };
    let correction = match desk::decide_correction(
        &state.0.rules,
        &check_in,
        &form,
        &session.account.login,
        session.account.role,
        now(),
    ) {
        Ok(c) => c,
        Err(errors) => {
            let status = if errors.iter().any(|e| e.field == "correction") {
                StatusCode::FORBIDDEN
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            return show_handoff(&state, &session, id, status, &errors, &form).await;
        }
    };
    let store = state.0.store.clone();
    let stored = blocking(move || {
        store.correct_handoff(
            id,
            correction.before.resolved_at,
            &correction.decision.resolution,
            correction.decision.counts_toward_usage_rate,
            &correction.reason,
        )
    })
    .await;
    match stored {
        Err(r) => r,
        Ok(Err(StoreError::ResolutionChanged { .. })) => {
            let changed = [FieldError {
                field: "correction",
                japanese: "この記録は、読み込んだ後にほかの人が変更しました。いまの内容を確かめてから、もう一度訂正してください。".to_owned(),
                english: "The record changed meanwhile.".to_owned(),
            }];
            show_handoff(
                &state,
                &session,
                id,
                StatusCode::CONFLICT,
                &changed,
                &BTreeMap::new(),
            )
            .await
        }
        Ok(Err(e)) => store_failed(&e),
        Ok(Ok(())) => Redirect::to(&format!("/handoffs/{id}?corrected=1")).into_response(),
    }
}
