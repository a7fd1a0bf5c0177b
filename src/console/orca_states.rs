//! Each check-in's delivery into ORCA (issue 17 item 4), in reception staff's words, on
//! 「本日の受付一覧」: 「ORCA未送信（送信待ち）」, 「ORCAに登録済み（受付番号 00007）」,
//! 「ORCAに未登録：患者が見つかりません（10）」, 「ORCAに未登録：他の端末で使用中（90）。再送します」,
//! 「手で登録済み（佐藤）」; and the two buttons 「再送する」 (the worker tries it again now) and
//! 「手で登録した」 (staff registered the visit in ORCA themselves), each CSRF-checked, audited
//! under the clerk's login by the store (`orca_retry`, `orca_done_by_hand`), and harmless on a
//! second press (the store changes nothing and audits nothing then). Shown only when the
//! facility has ORCA (`orca` in the facility file).
//!
//! Codes in parentheses are ORCA's own Api_Result (ORCA-acceptmod: 10 患者番号なし, 90 他端末使用中,
//! 16 二重登録疑い), which staff also see on ORCA's screens; the kiosk's own failure names are
//! never shown.
//!
//! Owns: the words, the buttons and their routes. Must not know: SQL, ORCA's API, what a retry
//! does (`crate::delivery`).

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;
use maud::{Markup, html};

use super::{AppState, BoundedForm, now, problem, with_store};
use crate::delivery::State as Delivery;
use crate::store::OrcaDelivery;

/// One delivery's state, as reception staff say it. `by`: the display name of whoever marked it
/// done by hand.
pub fn words(d: &OrcaDelivery, by: Option<&str>) -> String {
    let p = &d.progress;
    match p.state {
        Delivery::Pending if p.uncertain => "ORCAに送信中（届いたか確かめています）".to_owned(),
        Delivery::Pending => "ORCA未送信（送信待ち）".to_owned(),
        Delivery::Registered => format!(
            "ORCAに登録済み（受付番号 {}）",
            p.acceptance_id.as_deref().unwrap_or("—")
        ),
        Delivery::DoneByHand => format!("手で登録済み（{}）", by.unwrap_or("スタッフ")),
        Delivery::Failed => {
            let why = match p.code.as_deref() {
                Some("10") => "患者が見つかりません（10）".to_owned(),
                Some("90") => "他の端末で使用中（90）".to_owned(),
                Some("16") => "二重登録の疑い（16）。ORCAの受付一覧を確かめてください".to_owned(),
                Some("new_patient") => {
                    "新しい患者さんです。ORCAに患者登録をしてください".to_owned()
                }
                Some("several_patients") => {
                    "同じカナ氏名と生年月日の患者が複数います。ORCAで選んでください".to_owned()
                }
                Some("no_patient_key") => {
                    "患者を探す手がかり（照会番号、カナ氏名と生年月日）がありません".to_owned()
                }
                Some("no_department") => "診療科が決まっていません".to_owned(),
                Some("401") => {
                    "ORCAにログインできません（技術担当者に連絡してください）".to_owned()
                }
                Some("late") => "受付日が過ぎたため送りません".to_owned(),
                // Any other Api_Result: ORCA's own message (Japanese) and code.
                // The store keeps `ORCA answered 13: <Api_Result_Message>` (delivery's
                // `Failure::reason`): the message alone is ORCA's words.
                Some(code) if is_orca_code(code) => {
                    let prefix = format!("ORCA answered {code}: ");
                    let message = p
                        .reason
                        .as_deref()
                        .map(|r| r.strip_prefix(&prefix).unwrap_or(r).trim());
                    match message {
                        Some(m) if !m.is_empty() && !has_latin_word(m) => format!("{m}（{code}）"),
                        _ => format!("ORCAが受け付けませんでした（{code}）"),
                    }
                }
                _ => "送れませんでした（技術担当者に連絡してください）".to_owned(),
            };
            let again = if p.retrying { "。再送します" } else { "" };
            format!("ORCAに未登録：{why}{again}")
        }
    }
}

/// ORCA's Api_Result codes: two characters, digits or a capital and a digit (`00`, `10`,
/// `K1`; ORCA-acceptmod).
fn is_orca_code(code: &str) -> bool {
    code.len() == 2
        && code
            .chars()
            .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase())
}

/// Whether `text` holds a run of two Latin letters (an English sentence for technicians, which
/// staff must not be shown).
fn has_latin_word(text: &str) -> bool {
    text.chars()
        .zip(text.chars().skip(1))
        .any(|(a, b)| a.is_ascii_alphabetic() && b.is_ascii_alphabetic())
}

/// Whether staff can still act on it: retry or mark done by hand.
fn open(d: &OrcaDelivery) -> bool {
    matches!(d.progress.state, Delivery::Pending | Delivery::Failed)
}

/// The cell of one check-in on 「本日の受付一覧」: its state and, while it is not settled, the two
/// buttons (forms posting back to `/check-ins/{id}/orca/…`; `day` brings staff back to the same
/// day's list).
pub fn cell(d: &OrcaDelivery, by: Option<&str>, csrf: &str, day: &str) -> Markup {
    let id = d.check_in_id;
    html! {
        span.orca-state data-orca-state=(d.progress.state.as_str()) data-orca-code=[d.progress.code.as_deref()] {
            (words(d, by))
        }
        @if open(d) {
            @for (route, label) in [("retry", "再送する"), ("done", "手で登録した")] {
                form.orca-action method="post" action={"/check-ins/" (id) "/orca/" (route)} {
                    input type="hidden" name="csrf" value=(csrf);
                    input type="hidden" name="outbox_id" value=(d.outbox_id);
                    input type="hidden" name="day" value=(day);
                    button type="submit" data-orca-action=(route) { (label) }
                }
            }
        }
    }
}

/// The ORCA column's style (added to the page's).
pub const STYLE: &str = "
.orca-state{display:block}
.orca-state[data-orca-state=failed]{color:#a00;font-weight:bold}
.orca-state[data-orca-state=registered],.orca-state[data-orca-state=done_by_hand]{color:#070}
form.orca-action{display:inline-block;margin:.2em .4em 0 0}
";

/// What the list needs to show the column: each check-in's newest ORCA delivery, the display
/// names of logins, the session's form token and the list's day.
pub struct Column {
    pub deliveries: BTreeMap<i64, OrcaDelivery>,
    pub names: BTreeMap<String, String>,
    pub csrf: String,
    pub day: String,
}

impl Column {
    /// The cell for check-in `id` (nothing when it has no ORCA delivery: a handoff not yet
    /// closed, a cancelled check-in).
    pub fn cell(&self, id: i64) -> Markup {
        match self.deliveries.get(&id) {
            Some(d) => {
                let by = d
                    .staff
                    .as_deref()
                    .map(|login| self.names.get(login).map_or(login, String::as_str));
                cell(d, by, &self.csrf, &self.day)
            }
            None => html! {},
        }
    }
}

/// The column for these check-ins, or `None` when the facility has no ORCA.
pub(super) async fn column(
    state: &AppState,
    check_in_ids: Vec<i64>,
    csrf: &str,
    day: crate::dates::Date,
) -> Result<Option<Column>, Response> {
    if !state.0.orca {
        return Ok(None);
    }
    let (found, accounts) = with_store(state, move |store| {
        Ok((
            store.orca_deliveries(check_in_ids)?,
            store.staff_accounts()?,
        ))
    })
    .await?;
    // Oldest first: the newest entry of a check-in wins.
    let deliveries = found.into_iter().map(|d| (d.check_in_id, d)).collect();
    let names = accounts
        .into_iter()
        .map(|a| (a.login, a.display_name))
        .collect();
    Ok(Some(Column {
        deliveries,
        names,
        csrf: csrf.to_owned(),
        day: day.to_string(),
    }))
}

pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/check-ins/{id}/orca/retry", post(retry))
        .route("/check-ins/{id}/orca/done", post(done))
}

async fn retry(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    BoundedForm(form): BoundedForm,
) -> Response {
    act(state, headers, id, form, Action::Retry).await
}

async fn done(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    BoundedForm(form): BoundedForm,
) -> Response {
    act(state, headers, id, form, Action::DoneByHand).await
}

#[derive(Clone, Copy)]
enum Action {
    Retry,
    DoneByHand,
}

/// Either button: the form's token checked, the entry checked to be this check-in's, the store
/// asked (it audits a change under the clerk's login, and changes nothing for an entry already
/// registered or done by hand), then back to the day's list at the check-in's row.
async fn act(
    state: AppState,
    headers: HeaderMap,
    id: i64,
    form: BTreeMap<String, String>,
    action: Action,
) -> Response {
    let session = match state.session_for_form(&headers, &form).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let not_found = || {
        problem(
            StatusCode::NOT_FOUND,
            Some(&session),
            &format!("受付 {id} のORCAへの送信はありません。受付一覧から開き直してください。"),
        )
    };
    if !state.0.orca {
        return not_found();
    }
    let Some(outbox_id) = form
        .get("outbox_id")
        .and_then(|v| v.trim().parse::<i64>().ok())
    else {
        return not_found();
    };
    let login = session.account.login.clone();
    let at = now();
    let done = with_store(&state, move |store| {
        let found = store
            .orca_deliveries(vec![id])?
            .into_iter()
            .find(|d| d.outbox_id == outbox_id);
        let Some(found) = found else {
            return Ok(None);
        };
        // A second 「再送する」 on an entry already due changes nothing (and audits nothing).
        let p = &found.progress;
        let already_due = p.state == Delivery::Pending && p.next_attempt_at.is_none_or(|t| t <= at);
        Ok(Some(match action {
            Action::Retry if already_due => false,
            Action::Retry => store.orca_retry(outbox_id, &login, at)?,
            Action::DoneByHand => store.orca_mark_done_by_hand(outbox_id, &login, at)?,
        }))
    })
    .await;
    match done {
        Err(r) => r,
        Ok(None) => not_found(),
        Ok(Some(_changed)) => {
            let day = form
                .get("day")
                .and_then(|d| d.parse::<crate::dates::Date>().ok())
                .map(|d| format!("?day={d}"))
                .unwrap_or_default();
            Redirect::to(&format!("/check-ins{day}#check-in-{id}")).into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::delivery::Progress;

    fn delivery(f: impl FnOnce(&mut Progress)) -> OrcaDelivery {
        let mut progress = Progress::new();
        f(&mut progress);
        OrcaDelivery {
            outbox_id: 3,
            check_in_id: 7,
            kind: crate::outbox::Kind::CheckInCompleted,
            progress,
            updated_at: None,
            staff: None,
        }
    }

    #[test]
    fn each_state_reads_in_staff_words_with_orcas_code() {
        let cases: Vec<(OrcaDelivery, &str)> = vec![
            (delivery(|_| {}), "ORCA未送信（送信待ち）"),
            (
                delivery(|p| {
                    p.state = Delivery::Registered;
                    p.acceptance_id = Some("00007".to_owned());
                }),
                "ORCAに登録済み（受付番号 00007）",
            ),
            (
                delivery(|p| {
                    p.state = Delivery::Failed;
                    p.code = Some("10".to_owned());
                    p.reason = Some("patient unknown to ORCA (10)".to_owned());
                }),
                "ORCAに未登録：患者が見つかりません（10）",
            ),
            (
                delivery(|p| {
                    p.state = Delivery::Failed;
                    p.code = Some("90".to_owned());
                    p.retrying = true;
                }),
                "ORCAに未登録：他の端末で使用中（90）。再送します",
            ),
            (
                delivery(|p| {
                    p.state = Delivery::Failed;
                    p.code = Some("14".to_owned());
                    p.reason = Some("ORCA answered 14: 受付日が未来日です".to_owned());
                }),
                "ORCAに未登録：受付日が未来日です（14）",
            ),
            (
                delivery(|p| {
                    p.state = Delivery::Failed;
                    p.code = Some("new_patient".to_owned());
                    p.reason = Some("no ORCA patient with this kana".to_owned());
                }),
                "ORCAに未登録：新しい患者さんです。ORCAに患者登録をしてください",
            ),
            (
                delivery(|p| {
                    p.state = Delivery::Failed;
                    p.code = Some("transport_broke".to_owned());
                }),
                "ORCAに未登録：送れませんでした（技術担当者に連絡してください）",
            ),
        ];
        for (d, said) in cases {
            assert_eq!(words(&d, None), said);
        }
        let by_hand = delivery(|p| p.state = Delivery::DoneByHand);
        assert_eq!(words(&by_hand, Some("佐藤")), "手で登録済み（佐藤）");
    }

    #[test]
    fn only_unsettled_deliveries_offer_the_buttons() {
        for (state, buttons) in [
            (Delivery::Pending, true),
            (Delivery::Failed, true),
            (Delivery::Registered, false),
            (Delivery::DoneByHand, false),
        ] {
            let html = cell(&delivery(|p| p.state = state), None, "t", "2026-05-12").into_string();
            assert_eq!(html.contains("再送する"), buttons, "{state:?}");
            assert_eq!(html.contains("手で登録した"), buttons, "{state:?}");
        }
    }
}
