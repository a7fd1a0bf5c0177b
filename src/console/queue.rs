//! The queue's helpers beside the pages: the header badge's poll (`/badge`), the claims
//! (「対応中：佐藤」) kept in memory while the console runs, and the bulk close of earlier days'
//! open handoffs (`/handoffs/earlier`), each closed through [`desk::decide`] and the store's
//! resolve path like a clerk's own 「取り消す」, so each is audited and counted the same.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};

use super::{
    AppState, BoundedForm, SignedIn, blocking, now, page, pages, store_failed, with_store,
};
use crate::desk::{self, queue as desk_queue};
use crate::domain::StoredCheckIn;
use crate::store::StoreError;

impl AppState {
    /// The open handoffs arranged for the queue at `now`, with the claims that still stand.
    pub(super) fn arrange<'a>(&self, open: &'a [StoredCheckIn]) -> desk_queue::Queue<'a> {
        let claims = self.claims().clone();
        desk_queue::arrange(open, now(), self.0.waiting_place, &claims)
    }

    fn claims(&self) -> std::sync::MutexGuard<'_, desk_queue::Claims> {
        // A panic while holding the lock leaves plain data behind: keep using it.
        self.0
            .claims
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// `staff` opened the resolve page of `check_in`: the open queues show it at once.
    pub(super) fn claim(&self, check_in: i64, staff: &str) {
        self.claims().claim(check_in, staff, now());
        self.0.claims_changed.send_modify(|n| *n += 1);
    }

    /// `check_in` was closed: nobody handles it any more.
    pub(super) fn release(&self, check_in: i64) {
        self.claims().release(check_in);
        self.0.claims_changed.send_modify(|n| *n += 1);
    }
}

/// `{"open": 12, "badge": "対応待ち 12件（最長 38分）"}`: what the header badge and the title
/// show on pages without the queue's stream (polled every few seconds by /queue.js).
pub(super) async fn badge(State(state): State<AppState>, SignedIn(_): SignedIn) -> Response {
    if state.0.central.is_some() {
        return match super::central::load_queue(&state).await {
            Err(r) => r,
            Ok(q) => {
                let queue = q.arrange(&state);
                badge_json(queue.open(), &queue.badge())
            }
        };
    }
    match with_store(&state, |store| store.open_handoffs()).await {
        Err(r) => r,
        Ok(open) => {
            let queue = state.arrange(&open);
            badge_json(queue.open(), &queue.badge())
        }
    }
}

/// The badge's JSON answer.
fn badge_json(open: usize, badge: &str) -> Response {
    let body = serde_json::json!({"open": open, "badge": badge});
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json; charset=utf-8"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        body.to_string(),
    )
        .into_response()
}

/// The earlier days' open handoffs with the bulk-close form.
pub(super) async fn close_earlier_page(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
) -> Response {
    match with_store(&state, |store| store.open_handoffs()).await {
        Err(r) => r,
        Ok(open) => page(
            StatusCode::OK,
            pages::close_earlier(&session, &state.arrange(&open), &[], ""),
        ),
    }
}

/// Closes every earlier day's open handoff as 「取り消す」 with the reason given (required, and
/// the box ticked), one by one through `desk::decide` and `Store::resolve_handoff` (one audit
/// entry each). A handoff someone closed meanwhile is skipped. Redirects to the queue with
/// `?closed_earlier=N`.
pub(super) async fn close_earlier(
    State(state): State<AppState>,
    headers: HeaderMap,
    BoundedForm(form): BoundedForm,
) -> Response {
    let session = match state.session_for_form(&headers, &form).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let open = match with_store(&state, |store| store.open_handoffs()).await {
        Err(r) => return r,
        Ok(open) => open,
    };
    let note = match desk_queue::bulk_close_reason(&form) {
        Ok(note) => note,
        Err(errors) => {
            let typed = form.get("note").cloned().unwrap_or_default();
            return page(
                StatusCode::UNPROCESSABLE_ENTITY,
                pages::close_earlier(&session, &state.arrange(&open), &errors, &typed),
            );
        }
    };
    let earlier: Vec<StoredCheckIn> = state
        .arrange(&open)
        .earlier
        .iter()
        .map(|row| row.check_in.clone())
        .collect();
    let cancel = desk_queue::bulk_cancel_form(&note);
    let mut decisions = Vec::new();
    for check_in in &earlier {
        match desk::decide(
            &state.0.rules,
            check_in,
            &cancel,
            &session.account.login,
            now(),
        ) {
            Ok(d) => decisions.push((check_in.id, d)),
            Err(errors) => {
                tracing::warn!(
                    id = check_in.id,
                    ?errors,
                    "bulk close: a check-in was refused"
                );
            }
        }
    }
    let store = state.0.store.clone();
    let closed = blocking(move || {
        let mut closed = Vec::new();
        for (id, d) in decisions {
            match store.resolve_handoff(id, &d.resolution, d.counts_toward_usage_rate) {
                Ok(()) => closed.push(id),
                Err(StoreError::AlreadyResolved { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(closed)
    })
    .await;
    match closed {
        Err(r) => r,
        Ok(Err(e)) => store_failed(&e),
        Ok(Ok(closed)) => {
            for id in &closed {
                state.release(*id);
            }
            Redirect::to(&format!("/?closed_earlier={}", closed.len())).into_response()
        }
    }
}

/// The queue's notice after a bulk close.
pub(super) fn closed_earlier_text(query: &BTreeMap<String, String>) -> Option<maud::Markup> {
    let n: usize = query.get("closed_earlier")?.parse().ok()?;
    Some(maud::html! { p.ok role="status" { "前日以前の未対応 " (n) "件を取り消しました。" } })
}
