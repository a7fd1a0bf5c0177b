//! 「受付機を再開する」: the banner the queue shows for each kiosk staff closed, with a button
//! that reopens it from the console (`POST /kiosks/reopen`). The kiosk notices within about a
//! second (its pause watch, `kiosk_staff::watch_kiosk_pause`) and shows its welcome screen.
//!
//! Owns: the banner's markup and the route. Must not know: SQL (the store), how the kiosk
//! notices. Any signed-in staff member may reopen a kiosk; the form carries the session's CSRF
//! token like every form; the store audits it as `kiosk_reopened` with `from=console`.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;
use maud::{Markup, html};

use super::pages::{clock, jst};
use super::{AppState, BoundedForm, now, problem, with_store};
use crate::rules::kiosk_label;
use crate::store::KioskPause;

/// The longest kiosk name the form accepts (bytes); names come from the facility file.
const KIOSK_NAME_BYTES: usize = 64;

pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/kiosks/reopen", post(reopen))
}

/// One banner per closed kiosk, each with its 「受付機を再開する」 form (posting the kiosk's name
/// and `csrf`, the session's form token).
pub(super) fn banners(closed_kiosks: &[KioskPause], csrf: &str) -> Markup {
    html! {
        @for p in closed_kiosks {
            div.notice.kiosk-closed data-kiosk=(p.kiosk) {
                p {
                    "受付機「" (kiosk_label(&p.kiosk)) "」は休止中です（" (jst(p.paused_at)) "、" (p.paused_by) "）。"
                    @if let Some(t) = p.reopens_at { (clock(t)) "ごろ再開の予定です。" }
                    "患者さんは受付窓口へ案内されています。"
                }
                form method="post" action="/kiosks/reopen" .kiosk-reopen {
                    input type="hidden" name="csrf" value=(csrf);
                    input type="hidden" name="kiosk" value=(p.kiosk);
                    button type="submit" { "受付機を再開する" }
                }
            }
        }
    }
}

/// The kiosk name a reopening form names: trimmed, not empty, at most [`KIOSK_NAME_BYTES`].
fn kiosk_named(form: &std::collections::BTreeMap<String, String>) -> Option<&str> {
    let name = form.get("kiosk")?.trim();
    (!name.is_empty() && name.len() <= KIOSK_NAME_BYTES).then_some(name)
}

/// Reopens the named kiosk as the signed-in staff member and goes back to the queue (303),
/// where its banner is gone. A kiosk already open (reopened meanwhile at the kiosk or by
/// another clerk) is left as it is, and nothing is recorded.
async fn reopen(
    State(state): State<AppState>,
    headers: HeaderMap,
    BoundedForm(form): BoundedForm,
) -> Response {
    let session = match state.session_for_form(&headers, &form).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let Some(kiosk) = kiosk_named(&form).map(str::to_owned) else {
        return problem(
            StatusCode::BAD_REQUEST,
            Some(&session),
            "再開する受付機が指定されていません。受付待ちの画面から操作してください。",
        );
    };
    let login = session.account.login.clone();
    let reopened = with_store(&state, move |store| {
        store.reopen_kiosk_from_console(&kiosk, &login, now())
    })
    .await;
    match reopened {
        Err(r) => r,
        Ok(_) => Redirect::to("/").into_response(),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    #[test]
    fn the_form_names_one_kiosk_of_a_sensible_length() {
        let form = |v: &str| BTreeMap::from([("kiosk".to_owned(), v.to_owned())]);
        assert_eq!(kiosk_named(&form(" kiosk-1 ")), Some("kiosk-1"));
        assert_eq!(kiosk_named(&form("  ")), None);
        assert_eq!(kiosk_named(&form(&"k".repeat(65))), None);
        assert_eq!(kiosk_named(&BTreeMap::new()), None);
    }
}
