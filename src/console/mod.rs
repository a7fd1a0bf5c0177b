//! The staff console: a small web server for the reception PC. The live queue of handoffs
//! (pushed with server-sent events), a form per way of closing one, the monthly report with a
//! chart and CSV, the audit log, and staff accounts.
//!
//! Owns: everything that knows axum, tokio and argon2: routes, cookies, CSRF tokens, pages.
//! Must not know: SQL (the store), the lockout rule (`staff`), what an action records (`desk`).
//!
//! Security: every route but the sign-in page needs a signed-in session (a random 256-bit token
//! in an `HttpOnly`, `SameSite=Strict` cookie; the database keeps only its SHA-256). Every form
//! carries the session's CSRF token (the sign-in form: a token in its own cookie) and is refused
//! without it. Wrong passwords lock an account as `staff::SignInPolicy` says. Every change is
//! appended to the audit log with who and when.

mod pages;

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use axum::Router;
use axum::extract::{Form, FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use maud::Markup;
use time::{Month, OffsetDateTime};
use tokio::sync::{oneshot, watch};

use crate::desk;
use crate::domain::Outcome;
use crate::password;
use crate::report::MonthReport;
use crate::rules::{ConsoleSettings, JST, Rules};
use crate::staff::{self, NewStaffAccount, Role, SignInPolicy, StaffSession};
use crate::store::{ChangeWatch, NewSession, Store, StoreError, watch_changes};

const SESSION_COOKIE: &str = "uketsuke_session";
const LOGIN_CSRF_COOKIE: &str = "uketsuke_login_csrf";
/// How often the database is asked whether anything changed.
const WATCH_EVERY: Duration = Duration::from_millis(200);
/// The queue is sent again this often even without a change, so waiting times stay current.
const QUEUE_REFRESH: Duration = Duration::from_secs(30);

#[derive(Debug, thiserror::Error)]
pub enum ConsoleError {
    #[error(
        "cannot serve the staff console on {bind} (key console.bind in the facility configuration): {source}"
    )]
    Bind {
        bind: String,
        source: std::io::Error,
    },
    #[error("cannot start the staff console: {0}")]
    Start(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The running console. Dropping it stops the server.
pub struct Console {
    addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
    /// True while the server's thread runs.
    alive: Arc<AtomicBool>,
    _watch: ChangeWatch,
}

/// Clears its flag when dropped: held by the server's thread for as long as it runs.
struct RunningFlag(Arc<AtomicBool>);

impl Drop for RunningFlag {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}

/// Names on handoffs nobody closed are erased once their visit day is over: at start, then
/// hourly.
async fn forget_stale_names(store: Store) {
    let mut every_hour = tokio::time::interval(std::time::Duration::from_secs(3600));
    loop {
        every_hour.tick().await;
        let store = store.clone();
        let now = OffsetDateTime::now_utc();
        let today = now.to_offset(crate::rules::JST).date();
        match tokio::task::spawn_blocking(move || store.forget_names_before(today, now)).await {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "could not erase names of stale handoffs"),
            Err(e) => tracing::warn!(error = %e, "name erasing task failed"),
        }
    }
}

impl Console {
    /// Binds `settings.bind` and serves on a thread of its own (tokio inside).
    pub fn start(
        store: Store,
        rules: Rules,
        settings: &ConsoleSettings,
    ) -> Result<Console, ConsoleError> {
        let listener =
            std::net::TcpListener::bind(&settings.bind).map_err(|source| ConsoleError::Bind {
                bind: settings.bind.clone(),
                source,
            })?;
        let bind_err = |source| ConsoleError::Bind {
            bind: settings.bind.clone(),
            source,
        };
        let addr = listener.local_addr().map_err(bind_err)?;
        listener.set_nonblocking(true).map_err(bind_err)?;

        let (changes_tx, changes_rx) = watch::channel(0u64);
        let watch = watch_changes(store.path(), WATCH_EVERY, move || {
            changes_tx.send_modify(|n| *n += 1);
            true
        })?;

        let policy = SignInPolicy::from_settings(settings);
        let dummy_hash =
            password::hash("no such account").map_err(|e| ConsoleError::Start(e.to_string()))?;
        let state = AppState(Arc::new(Shared {
            store,
            rules,
            policy,
            secure_cookies: settings.secure_cookies,
            changes: changes_rx,
            dummy_hash,
        }));

        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("console")
            .enable_all()
            .build()
            .map_err(|e| ConsoleError::Start(e.to_string()))?;
        let (shutdown_tx, shutdown_rx) = oneshot::channel::<()>();
        let alive = Arc::new(AtomicBool::new(true));
        let running = RunningFlag(alive.clone());
        let thread = thread::Builder::new()
            .name("console".to_owned())
            .spawn(move || {
                // Cleared when this thread ends, however it ends (a panic unwinds through it).
                let _running = running;
                runtime.block_on(async move {
                    let listener = match tokio::net::TcpListener::from_std(listener) {
                        Ok(l) => l,
                        Err(e) => {
                            tracing::error!(error = %e, "staff console cannot listen");
                            return;
                        }
                    };
                    tokio::spawn(forget_stale_names(state.0.store.clone()));
                    let server = axum::serve(listener, router(state));
                    tokio::select! {
                        result = server => {
                            if let Err(e) = result {
                                tracing::error!(error = %e, "staff console stopped");
                            }
                        }
                        _ = shutdown_rx => {}
                    }
                });
                // Open event streams end with the runtime.
                runtime.shutdown_timeout(Duration::from_secs(1));
            })
            .map_err(|e| ConsoleError::Start(e.to_string()))?;
        tracing::info!(%addr, "staff console listening");
        Ok(Console {
            addr,
            shutdown: Some(shutdown_tx),
            thread: Some(thread),
            alive,
            _watch: watch,
        })
    }

    /// The address actually bound (a port of 0 in the configuration picks a free one).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// False once the server's thread has ended (it ends only when dropped, or by a fault): the
    /// service's watchdog asks this before each ping.
    pub fn running(&self) -> bool {
        self.thread.as_ref().is_some_and(|t| !t.is_finished())
    }

    /// [`Console::running`] as a probe that outlives this borrow: it answers false once the
    /// server's thread has ended.
    pub fn running_probe(&self) -> impl Fn() -> bool + use<> {
        let alive = self.alive.clone();
        move || alive.load(Ordering::Acquire)
    }

    /// Blocks until the server stops (for `uketsuke console`, which serves until killed).
    pub fn wait(mut self) {
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Console {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

struct Shared {
    store: Store,
    rules: Rules,
    policy: SignInPolicy,
    secure_cookies: bool,
    changes: watch::Receiver<u64>,
    /// Verified against when the login name is unknown, so both answers take as long.
    dummy_hash: String,
}

#[derive(Clone)]
struct AppState(Arc<Shared>);

fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(queue))
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
        .route("/events", get(events))
        .route("/handoffs/{id}", get(handoff))
        .route("/handoffs/{id}/resolve", post(resolve))
        .route("/report", get(report))
        .route("/report.csv", get(report_csv))
        .route("/audit", get(audit))
        .route("/accounts", get(accounts).post(add_account))
        .route("/accounts/unlock", post(unlock_account))
        .layer(axum::middleware::map_response(security_headers))
        .with_state(state)
}

async fn security_headers(mut response: Response) -> Response {
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; \
             frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
        ),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc().to_offset(JST)
}

fn page(status: StatusCode, markup: Markup) -> Response {
    (status, Html(markup.into_string())).into_response()
}

fn problem(
    status: StatusCode,
    session: Option<&StaffSession>,
    japanese: &str,
    english: &str,
) -> Response {
    let title = status.canonical_reason().unwrap_or("Error");
    page(status, pages::problem(session, title, japanese, english))
}

fn store_failed(e: &StoreError) -> Response {
    tracing::error!(error = %e, "staff console: store failed");
    problem(
        StatusCode::INTERNAL_SERVER_ERROR,
        None,
        "データベースでエラーが起きました。技術担当者に連絡してください。",
        &format!("The database failed (for the technician: {e})."),
    )
}

/// Runs blocking work (the store, argon2) off the async threads.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, Response> {
    tokio::task::spawn_blocking(f).await.map_err(|e| {
        tracing::error!(error = %e, "staff console task failed");
        problem(
            StatusCode::INTERNAL_SERVER_ERROR,
            None,
            "内部エラーが起きました。",
            "An internal error occurred.",
        )
    })
}

/// Runs `f` with the store off the async threads; a store failure becomes the technician's
/// error page.
async fn with_store<T: Send + 'static>(
    state: &AppState,
    f: impl FnOnce(&Store) -> Result<T, StoreError> + Send + 'static,
) -> Result<T, Response> {
    let store = state.0.store.clone();
    blocking(move || f(&store))
        .await?
        .map_err(|e| store_failed(&e))
}

fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

impl AppState {
    fn set_cookie(&self, name: &str, value: &str, max_age_seconds: i64) -> HeaderValue {
        let secure = if self.0.secure_cookies {
            "; Secure"
        } else {
            ""
        };
        HeaderValue::from_str(&format!(
            "{name}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age_seconds}{secure}"
        ))
        .unwrap_or_else(|_| HeaderValue::from_static(""))
    }

    /// The signed-in session, or the response for a browser that is not signed in.
    async fn session(&self, headers: &HeaderMap) -> Result<StaffSession, Response> {
        let not_signed_in = || Redirect::to("/login").into_response();
        let token = cookie(headers, SESSION_COOKIE).ok_or_else(not_signed_in)?;
        with_store(self, move |store| {
            store.session(&password::token_hash(&token), now())
        })
        .await?
        .ok_or_else(not_signed_in)
    }

    /// The session, if the form carries its CSRF token.
    async fn session_for_form(
        &self,
        headers: &HeaderMap,
        form: &BTreeMap<String, String>,
    ) -> Result<StaffSession, Response> {
        let session = self.session(headers).await?;
        let sent = form.get("csrf").map(String::as_str).unwrap_or_default();
        if password::same_token(sent, &session.csrf_token) {
            Ok(session)
        } else {
            tracing::warn!(login = %session.account.login, "form refused: CSRF token missing or wrong");
            Err(forged(Some(&session)))
        }
    }
}

/// A signed-in staff member, taken from the session cookie; anyone else is sent to the sign-in
/// page before the handler runs.
struct SignedIn(StaffSession);

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        state.session(&parts.headers).await.map(SignedIn)
    }
}

fn forged(session: Option<&StaffSession>) -> Response {
    problem(
        StatusCode::FORBIDDEN,
        session,
        "このフォームは受け付けられません（期限切れか、このコンソールから送られたものではありません）。ページを読み込み直して、もう一度操作してください。",
        "This form was refused: it expired or did not come from this console. Reload the page and try again.",
    )
}

async fn login_page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if state.session(&headers).await.is_ok() {
        return Redirect::to("/").into_response();
    }
    login_form(&state, StatusCode::OK, None)
}

fn login_form(state: &AppState, status: StatusCode, error: Option<&str>) -> Response {
    let csrf = password::token();
    let mut response = page(status, pages::login(&csrf, error));
    response.headers_mut().append(
        header::SET_COOKIE,
        state.set_cookie(LOGIN_CSRF_COOKIE, &csrf, 3600),
    );
    response
}

enum SignIn {
    Ok(String),
    Wrong,
    Locked(OffsetDateTime),
}

async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<BTreeMap<String, String>>,
) -> Response {
    let expected = cookie(&headers, LOGIN_CSRF_COOKIE).unwrap_or_default();
    let sent = form.get("csrf").map(String::as_str).unwrap_or_default();
    if expected.is_empty() || !password::same_token(sent, &expected) {
        return forged(None);
    }
    let login: String = form
        .get("login")
        .map(|l| l.trim().chars().take(64).collect())
        .unwrap_or_default();
    let typed = form.get("password").cloned().unwrap_or_default();
    let shared = Arc::clone(&state.0);
    let outcome = blocking(move || -> Result<SignIn, StoreError> {
        let at = now();
        let store = &shared.store;
        let Some(account) = store.staff_by_login(&login)? else {
            let _ = password::verify(&typed, &shared.dummy_hash);
            store.record_refused_sign_in(&login, "unknown login", at)?;
            return Ok(SignIn::Wrong);
        };
        if account.is_locked(at) {
            store.record_refused_sign_in(&login, "account locked", at)?;
            return Ok(SignIn::Locked(account.locked_until.unwrap_or(at)));
        }
        if !password::verify(&typed, &account.password_hash) {
            let after = shared.policy.after_failure(&account, at);
            store.record_sign_in_failure(account.id, after, at)?;
            return Ok(match after.locked_until {
                Some(until) if until > at => SignIn::Locked(until),
                _ => SignIn::Wrong,
            });
        }
        let token = password::token();
        store.start_session(
            account.id,
            &NewSession {
                token_sha256: password::token_hash(&token),
                csrf_token: password::token(),
                created_at: at,
                expires_at: at + shared.policy.session,
            },
        )?;
        Ok(SignIn::Ok(token))
    })
    .await;
    match outcome {
        Err(response) => response,
        Ok(Err(e)) => store_failed(&e),
        Ok(Ok(SignIn::Wrong)) => login_form(
            &state,
            StatusCode::UNAUTHORIZED,
            Some("ログイン名かパスワードが違います。 The login or password is wrong."),
        ),
        Ok(Ok(SignIn::Locked(until))) => {
            let until = until.to_offset(JST);
            let message = format!(
                "パスワードを続けて間違えたため、このアカウントは {:02}:{:02} までロックされています。技術担当者はロックを解除できます。 This account is locked until {:02}:{:02} after repeated wrong passwords; a technician can unlock it.",
                until.hour(),
                until.minute(),
                until.hour(),
                until.minute()
            );
            login_form(&state, StatusCode::FORBIDDEN, Some(&message))
        }
        Ok(Ok(SignIn::Ok(token))) => {
            let mut response = Redirect::to("/").into_response();
            let seconds = state.0.policy.session.whole_seconds();
            let h = response.headers_mut();
            h.append(
                header::SET_COOKIE,
                state.set_cookie(SESSION_COOKIE, &token, seconds),
            );
            h.append(
                header::SET_COOKIE,
                state.set_cookie(LOGIN_CSRF_COOKIE, "", 0),
            );
            response
        }
    }
}

async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<BTreeMap<String, String>>,
) -> Response {
    let session = match state.session_for_form(&headers, &form).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let token = cookie(&headers, SESSION_COOKIE).unwrap_or_default();
    let login = session.account.login.clone();
    let ended = with_store(&state, move |store| {
        store.end_session(&password::token_hash(&token), &login, now())
    })
    .await;
    match ended {
        Err(r) => r,
        Ok(()) => {
            let mut response = Redirect::to("/login").into_response();
            response
                .headers_mut()
                .append(header::SET_COOKIE, state.set_cookie(SESSION_COOKIE, "", 0));
            response
        }
    }
}

async fn queue(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    Query(query): Query<BTreeMap<String, String>>,
) -> Response {
    let closed: Option<i64> = query.get("closed").and_then(|c| c.parse().ok());
    let loaded = with_store(&state, move |store| {
        let open = store.open_handoffs()?;
        let closed = closed.map(|id| store.check_in(id)).transpose()?.flatten();
        Ok((open, store.kiosk_pauses()?, closed))
    })
    .await;
    match loaded {
        Err(r) => r,
        Ok((open, closed_kiosks, closed)) => {
            let flash = closed.and_then(|c| {
                c.resolution
                    .as_ref()
                    .map(|r| pages::closed_text(c.reception_number.map(|n| n.0), &r.closed_as))
            });
            page(
                StatusCode::OK,
                pages::queue(&session, &open, &closed_kiosks, now(), flash.as_deref()),
            )
        }
    }
}

/// The queue, pushed again after every change to the database and every half minute.
async fn events(State(state): State<AppState>, SignedIn(session): SignedIn) -> Response {
    let changes = state.0.changes.clone();
    let stream = futures_util::stream::unfold(
        (state, changes, session.expires_at, true),
        |(state, mut changes, expires_at, first)| async move {
            if !first {
                tokio::select! {
                    changed = changes.changed() => changed.ok()?,
                    () = tokio::time::sleep(QUEUE_REFRESH) => {}
                }
            }
            if now() >= expires_at {
                return None;
            }
            let store = state.0.store.clone();
            let (open, closed_kiosks) = blocking(move || {
                Ok::<_, crate::store::StoreError>((store.open_handoffs()?, store.kiosk_pauses()?))
            })
            .await
            .ok()?
            .ok()?;
            let html = pages::queue_fragment(&open, &closed_kiosks, now()).into_string();
            let event = Event::default().event("queue").data(html);
            Some((
                Ok::<Event, Infallible>(event),
                (state, changes, expires_at, false),
            ))
        },
    );
    Sse::new(stream)
        .keep_alive(KeepAlive::default())
        .into_response()
}

async fn handoff(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    Path(id): Path<i64>,
) -> Response {
    show_handoff(&state, &session, id, StatusCode::OK, &[], &BTreeMap::new()).await
}

async fn show_handoff(
    state: &AppState,
    session: &StaffSession,
    id: i64,
    status: StatusCode,
    errors: &[desk::FieldError],
    submitted: &BTreeMap<String, String>,
) -> Response {
    let found = match with_store(state, move |store| store.check_in(id)).await {
        Err(r) => return r,
        Ok(found) => found,
    };
    match found {
        Some(check_in) if matches!(check_in.record.outcome, Outcome::HandedToStaff { .. }) => {
            let provisional = state
                .0
                .rules
                .provisional_handling_applies(check_in.record.visit_date);
            let body = pages::handoff(session, &check_in, errors, submitted, provisional);
            page(
                status,
                pages::layout("受付の対応 Resolve", Some(session), body),
            )
        }
        _ => problem(
            StatusCode::NOT_FOUND,
            Some(session),
            &format!("スタッフ対応の受付 {id} はありません。"),
            &format!("There is no check-in {id} handed to staff."),
        ),
    }
}

async fn resolve(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(form): Form<BTreeMap<String, String>>,
) -> Response {
    let session = match state.session_for_form(&headers, &form).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let found = match with_store(&state, move |store| store.check_in(id)).await {
        Err(r) => return r,
        Ok(found) => found,
    };
    let Some(check_in) = found.filter(|c| c.record.outcome.handoff_reason().is_some()) else {
        return show_handoff(&state, &session, id, StatusCode::NOT_FOUND, &[], &form).await;
    };
    if check_in.resolution.is_some() {
        return show_handoff(&state, &session, id, StatusCode::CONFLICT, &[], &form).await;
    }
    let decision = match desk::decide(
        &state.0.rules,
        &check_in,
        &form,
        &session.account.login,
        now(),
    ) {
        Ok(d) => d,
        Err(errors) => {
            return show_handoff(
                &state,
                &session,
                id,
                StatusCode::UNPROCESSABLE_ENTITY,
                &errors,
                &form,
            )
            .await;
        }
    };
    let store = state.0.store.clone();
    let stored = blocking(move || {
        store.resolve_handoff(id, &decision.resolution, decision.counts_toward_usage_rate)
    })
    .await;
    match stored {
        Err(r) => r,
        Ok(Err(StoreError::AlreadyResolved { .. })) => {
            show_handoff(&state, &session, id, StatusCode::CONFLICT, &[], &form).await
        }
        Ok(Err(e)) => store_failed(&e),
        Ok(Ok(())) => Redirect::to(&format!("/?closed={id}")).into_response(),
    }
}

/// `YYYY-MM` from the query, or this month in Japan.
fn month_of(query: &BTreeMap<String, String>) -> Option<(i32, u8, String)> {
    match query
        .get("month")
        .map(|m| m.trim())
        .filter(|m| !m.is_empty())
    {
        None => {
            let today = now().date();
            let (y, m) = (today.year(), today.month() as u8);
            Some((y, m, format!("{y:04}-{m:02}")))
        }
        Some(text) => {
            let (y, m) = crate::report::parse_month(text)?;
            Some((y, m, text.to_owned()))
        }
    }
}

async fn load_report(
    state: &AppState,
    query: &BTreeMap<String, String>,
    session: &StaffSession,
) -> Result<MonthReport, Response> {
    let Some((year, month, label)) = month_of(query) else {
        return Err(problem(
            StatusCode::BAD_REQUEST,
            Some(session),
            "月は 2026-11 のように指定してください。",
            "Give the month as YYYY-MM, e.g. 2026-11.",
        ));
    };
    let check_ins = with_store(state, move |store| store.check_ins_for_month(year, month)).await?;
    Ok(MonthReport::from_check_ins(&label, &check_ins))
}

/// This month and the five before it, newest first.
fn recent_months() -> Vec<String> {
    let today = now().date();
    let (mut y, mut m) = (today.year(), today.month());
    let mut out = Vec::new();
    for _ in 0..6 {
        out.push(format!("{y:04}-{:02}", m as u8));
        if m == Month::January {
            y -= 1;
        }
        m = m.previous();
    }
    out
}

async fn report(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    Query(query): Query<BTreeMap<String, String>>,
) -> Response {
    match load_report(&state, &query, &session).await {
        Ok(report) => page(
            StatusCode::OK,
            pages::report(&session, &report, &recent_months()),
        ),
        Err(r) => r,
    }
}

async fn report_csv(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    Query(query): Query<BTreeMap<String, String>>,
) -> Response {
    match load_report(&state, &query, &session).await {
        Ok(report) => {
            let disposition = format!("attachment; filename=\"uketsuke-{}.csv\"", report.month);
            (
                [
                    (
                        header::CONTENT_TYPE,
                        HeaderValue::from_static("text/csv; charset=utf-8"),
                    ),
                    (
                        header::CONTENT_DISPOSITION,
                        HeaderValue::from_str(&disposition)
                            .unwrap_or_else(|_| HeaderValue::from_static("attachment")),
                    ),
                ],
                report.csv(),
            )
                .into_response()
        }
        Err(r) => r,
    }
}

async fn audit(State(state): State<AppState>, SignedIn(session): SignedIn) -> Response {
    match with_store(&state, |store| store.audit_log(200)).await {
        Err(r) => r,
        Ok(entries) => page(StatusCode::OK, pages::audit(&session, &entries)),
    }
}

fn technicians_only(session: &StaffSession) -> Option<Response> {
    (!session.account.role.manages_accounts()).then(|| {
        problem(
            StatusCode::FORBIDDEN,
            Some(session),
            "アカウントの管理は技術担当者だけができます。",
            "Only a technician can manage accounts.",
        )
    })
}

async fn accounts(State(state): State<AppState>, SignedIn(session): SignedIn) -> Response {
    if let Some(refused) = technicians_only(&session) {
        return refused;
    }
    accounts_page(&state, &session, StatusCode::OK, None, None).await
}

async fn accounts_page(
    state: &AppState,
    session: &StaffSession,
    status: StatusCode,
    message: Option<&str>,
    error: Option<&str>,
) -> Response {
    match with_store(state, |store| store.staff_accounts()).await {
        Err(r) => r,
        Ok(list) => page(
            status,
            pages::accounts(session, &list, now(), message, error),
        ),
    }
}

async fn add_account(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<BTreeMap<String, String>>,
) -> Response {
    let session = match state.session_for_form(&headers, &form).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    if let Some(refused) = technicians_only(&session) {
        return refused;
    }
    let field = |name: &str| {
        form.get(name)
            .map(|v| v.trim().to_owned())
            .unwrap_or_default()
    };
    let login = field("login");
    let display_name = field("display_name");
    let typed = form.get("password").cloned().unwrap_or_default();
    let role = Role::parse(&field("role"));
    let problem_text = staff::login_problem(&login)
        .map(str::to_owned)
        .or_else(|| staff::password_problem(&typed))
        .or_else(|| {
            (display_name.is_empty() || display_name.chars().count() > 64)
                .then(|| "a display name has 1 to 64 characters".to_owned())
        })
        .or_else(|| {
            role.is_none()
                .then(|| "choose staff or technician".to_owned())
        });
    let (Some(role), None) = (role, problem_text.as_deref()) else {
        let text = problem_text.unwrap_or_default();
        return accounts_page(
            &state,
            &session,
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
            Some(&format!("追加できません。 Not added: {text}.")),
        )
        .await;
    };
    let store = state.0.store.clone();
    let by = session.account.login.clone();
    let added = blocking(move || {
        let password_hash = match password::hash(&typed) {
            Ok(h) => h,
            Err(e) => return Err(e.to_string()),
        };
        store
            .add_staff(&NewStaffAccount {
                login,
                display_name,
                role,
                password_hash,
                created_at: now(),
                created_by: by,
            })
            .map_err(|e| match e {
                StoreError::LoginTaken { login, .. } => {
                    format!("ログイン名 {login} は使われています。 The login {login} is taken.")
                }
                other => other.to_string(),
            })
    })
    .await;
    match added {
        Err(r) => r,
        Ok(Err(text)) => {
            accounts_page(
                &state,
                &session,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                Some(&text),
            )
            .await
        }
        Ok(Ok(account)) => {
            let message = format!(
                "{} を追加しました。 Added {}.",
                account.login, account.login
            );
            accounts_page(&state, &session, StatusCode::OK, Some(&message), None).await
        }
    }
}

async fn unlock_account(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<BTreeMap<String, String>>,
) -> Response {
    let session = match state.session_for_form(&headers, &form).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    if let Some(refused) = technicians_only(&session) {
        return refused;
    }
    let login = form.get("login").cloned().unwrap_or_default();
    let store = state.0.store.clone();
    let by = session.account.login.clone();
    let target = login.clone();
    match blocking(move || store.unlock_staff(&target, &by, now())).await {
        Err(r) => r,
        Ok(Err(e)) => {
            accounts_page(
                &state,
                &session,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
                Some(&e.to_string()),
            )
            .await
        }
        Ok(Ok(())) => {
            let message = format!("{login} のロックを解除しました。 Unlocked {login}.");
            accounts_page(&state, &session, StatusCode::OK, Some(&message), None).await
        }
    }
}
