//! The staff console: a small web server for the reception PC. The live queue of handoffs
//! (pushed with server-sent events), a form per way of closing one, the monthly report with a
//! chart and CSV, the audit log, and staff accounts.
//!
//! Owns: everything that knows axum and tokio: routes, cookies, CSRF tokens, pages; `tls.rs`
//! the only code that knows rustls and rcgen; `guard.rs` the counters that keep strangers on
//! the LAN in check. Must not know: SQL (the store), the lockout rule (`staff`), what an action
//! records (`desk`), how passwords are hashed (`password`).
//!
//! Security: served over HTTPS (rustls) whenever it listens beyond this machine; plain HTTP only
//! on a loopback address. Every route but the sign-in page and the queue's script needs a
//! signed-in session (a random 256-bit token in an `HttpOnly`, `SameSite=Strict` cookie,
//! `Secure` under TLS; the database keeps only its SHA-256). Every form carries the session's
//! CSRF token (the sign-in form: a token in its own cookie) and is refused without it. Only
//! the configured host names are answered (DNS rebinding). Sign-in tries are throttled per
//! client address before any password is hashed; only the first failure from each address
//! counts toward locking an account; unknown logins get the same answer as real ones and leave
//! only their length in the audit log. Bodies, form fields and passwords have size limits. A
//! live queue re-checks its session (and the account's lock) on every push and every second,
//! and ends when either is gone. Every change is appended to the audit log with who and when.

mod accounts;
mod audit;
mod central;
mod check_ins;
mod closed;
mod forms;
mod guard;
mod kiosk_reopen;
mod orca_states;
mod pages;
mod queue;
mod report_page;
mod staff_call;
mod terminal;
pub mod tls;

pub use central::CentralDesk;

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::connect_info::Connected;
use axum::extract::{
    ConnectInfo, DefaultBodyLimit, Form, FromRequest, FromRequestParts, Path, Query, Request, State,
};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::{DateTime, Datelike, FixedOffset};
use maud::Markup;
use tokio::sync::{oneshot, watch};

use self::guard::{Hosts, Streams, Strikes, Throttle};
use crate::desk;
use crate::domain::{Outcome, StoredCheckIn};
use crate::password;
use crate::report::MonthReport;
use crate::rules::{ConsoleSettings, JST, Rules};
use crate::staff::{self, SignInPolicy, StaffSession};
use crate::store::{ChangeWatch, NewSession, Store, StoreError, watch_changes};

const SESSION_COOKIE: &str = "uketsuke_session";
const LOGIN_CSRF_COOKIE: &str = "uketsuke_login_csrf";
/// How often the database is asked whether anything changed.
const WATCH_EVERY: Duration = Duration::from_millis(200);
/// The queue is sent again this often even without a change, so waiting times stay current.
const QUEUE_REFRESH: Duration = Duration::from_secs(30);
/// How often an open live queue asks whether its session still stands, between changes.
const SESSION_RECHECK: Duration = Duration::from_secs(1);
/// The largest request body (forms are far smaller; a bigger body is refused with 413).
const BODY_LIMIT: usize = 64 * 1024;
/// The most fields a form may have, and bytes in one field's name and value.
const FORM_FIELDS: usize = 40;
const FORM_FIELD_NAME_BYTES: usize = 64;
const FORM_FIELD_BYTES: usize = 4096;
/// The most bytes of a login name looked up (longer ones name no account).
const LOGIN_BYTES: usize = 64;
/// The only script, on every signed-in page, served as a file so the policy allows no inline
/// script. On the queue page it takes the pushed queue from the event stream; elsewhere it polls
/// `/badge` every 5 s. Either way it sets the header badge (「対応待ち 12件（最長 38分）」) and
/// the title (「(12) …」), counts 「n秒前」 since the last update, and shows
/// 「自動更新が止まっています」 when the stream errs or ends, or a poll fails.
const QUEUE_SCRIPT: &str = "(()=>{\
const q=document.getElementById('queue'),badge=document.getElementById('badge'),\
stopped=document.getElementById('live-stopped'),base=document.title;let last=Date.now();\
const show=(open,text)=>{if(badge)badge.textContent=text;document.title='('+open+') '+base;};\
const fresh=()=>{last=Date.now();if(stopped)stopped.hidden=true;tick();};\
const stop=()=>{if(stopped)stopped.hidden=false;};\
const tick=()=>{const a=document.getElementById('updated-ago');\
if(a)a.textContent=Math.floor((Date.now()-last)/1000)+'秒前';};\
setInterval(tick,1000);\
if(q){const fromPage=()=>{const b=document.getElementById('badge-source');\
if(b)show(b.dataset.open,b.dataset.badge);};fromPage();\
const s=new EventSource('/events');\
s.addEventListener('queue',e=>{q.innerHTML=e.data;fromPage();fresh();});\
s.addEventListener('error',stop);}\
else{const poll=()=>fetch('/badge',{credentials:'same-origin',cache:'no-store'})\
.then(r=>{if(!r.ok||!(r.headers.get('content-type')||'').startsWith('application/json'))throw 0;return r.json();})\
.then(d=>{show(d.open,d.badge);fresh();}).catch(stop);poll();setInterval(poll,5000);}\
})();\n";

#[derive(Debug, thiserror::Error)]
pub enum ConsoleError {
    #[error(
        "cannot serve the staff console on {bind} (key console.bind in the facility configuration): {source}"
    )]
    Bind {
        bind: String,
        source: std::io::Error,
    },
    #[error(
        "the staff console would carry passwords and patient names in plain HTTP on {addr}, which is not \
         this machine only (key console.bind): give a certificate and key (keys console.tls_certificate \
         and console.tls_key), let the kiosk make one in its data folder, or bind 127.0.0.1"
    )]
    PlainBeyondLoopback { addr: SocketAddr },
    #[error(transparent)]
    Tls(#[from] tls::TlsError),
    #[error("cannot start the staff console: {0}")]
    Start(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The running console. Dropping it stops the server.
pub struct Console {
    addr: SocketAddr,
    /// SHA-256 of the certificate served, `AB:CD:…`; `None` for plain HTTP on loopback.
    certificate_sha256: Option<String>,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
    /// True while the server's thread runs.
    alive: Arc<AtomicBool>,
    _watch: ChangeWatch,
    /// In central mode: the flag that stops the thread listening to the central database, and
    /// that thread.
    listener: Option<(Arc<AtomicBool>, JoinHandle<()>)>,
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
        let now = crate::dates::now();
        let today = now.with_timezone(&crate::rules::JST).date_naive();
        match tokio::task::spawn_blocking(move || store.forget_names_before(today, now)).await {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => tracing::warn!(error = %e, "could not erase names of stale handoffs"),
            Err(e) => tracing::warn!(error = %e, "name erasing task failed"),
        }
    }
}

/// This machine's host name (`/proc/sys/kernel/hostname`), if it can be read.
fn machine_hostname() -> Option<String> {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_ascii_lowercase())
        .filter(|h| !h.is_empty())
}

/// The console's TLS certificate as `run` would serve it: the facility's own
/// (`console.tls_certificate`), or, when bound beyond loopback, the self-signed one in
/// `settings.data_dir` (made now if missing, as `provision` does). `None`: plain HTTP on
/// loopback, or no data folder to keep a certificate in. Returns (path, SHA-256 fingerprint).
///
/// Errors: `console.bind` is not an address, or the certificate cannot be read or made.
pub fn ensure_certificate(
    settings: &ConsoleSettings,
) -> Result<Option<(std::path::PathBuf, String)>, ConsoleError> {
    if let Some(certificate) = &settings.tls_certificate {
        let sha256 = tls::certificate_fingerprint(certificate)?;
        return Ok(Some((certificate.clone(), sha256)));
    }
    let addr: SocketAddr = settings.bind.parse().map_err(|_| ConsoleError::Bind {
        bind: settings.bind.clone(),
        source: std::io::Error::new(std::io::ErrorKind::InvalidInput, "not an address"),
    })?;
    let Some(dir) = settings
        .data_dir
        .as_deref()
        .filter(|_| !addr.ip().is_loopback())
    else {
        return Ok(None);
    };
    let names = settings
        .hosts
        .clone()
        .unwrap_or_else(|| default_hosts(addr));
    let made = tls::ensure_self_signed(dir, &names)?;
    Ok(Some((made.certificate, made.sha256.to_string())))
}

/// The host names the console answers to when `console.hosts` is not set: this machine's
/// loopback names, the address it is bound to (unless every address) and its host name.
pub fn default_hosts(bound: SocketAddr) -> Vec<String> {
    let mut names = vec![
        "localhost".to_owned(),
        "127.0.0.1".to_owned(),
        "::1".to_owned(),
    ];
    if !bound.ip().is_unspecified() {
        names.push(bound.ip().to_string());
    }
    if let Some(host) = machine_hostname() {
        names.push(host);
    }
    names.dedup();
    names
}

/// How the console is served: plain HTTP (loopback only) or TLS with this configuration.
enum Transport {
    Plain,
    Tls(Arc<rustls::ServerConfig>),
}

/// Where the certificate comes from: the facility file's, the self-signed one in the data
/// folder (made now if missing and the console is bound beyond loopback), or none.
fn choose_transport(
    settings: &ConsoleSettings,
    addr: SocketAddr,
    hosts: &Hosts,
) -> Result<(Transport, Option<String>), ConsoleError> {
    if let (Some(certificate), Some(key)) = (&settings.tls_certificate, &settings.tls_key) {
        let config = tls::server_config(certificate, key)?;
        let sha256 = tls::certificate_fingerprint(certificate)?;
        return Ok((Transport::Tls(config), Some(sha256)));
    }
    if addr.ip().is_loopback() {
        return Ok((Transport::Plain, None));
    }
    let Some(dir) = &settings.data_dir else {
        return Err(ConsoleError::PlainBeyondLoopback { addr });
    };
    let made = tls::ensure_self_signed(dir, hosts.names())?;
    if made.generated {
        tracing::info!(certificate = %made.certificate.display(), sha256 = %made.sha256,
            "staff console: made a self-signed certificate");
    }
    let config = tls::server_config(&made.certificate, &made.key)?;
    Ok((Transport::Tls(config), Some(made.sha256)))
}

/// The client's address as the connection gives it (for the sign-in throttle).
#[derive(Debug, Clone, Copy)]
struct ClientAddr(SocketAddr);

impl Connected<axum::serve::IncomingStream<'_, tokio::net::TcpListener>> for ClientAddr {
    fn connect_info(stream: axum::serve::IncomingStream<'_, tokio::net::TcpListener>) -> Self {
        ClientAddr(*stream.remote_addr())
    }
}

impl Connected<axum::serve::IncomingStream<'_, tls::TlsListener>> for ClientAddr {
    fn connect_info(stream: axum::serve::IncomingStream<'_, tls::TlsListener>) -> Self {
        ClientAddr(*stream.remote_addr())
    }
}

impl Console {
    /// Binds `settings.bind` and serves on a thread of its own (tokio inside): HTTPS with the
    /// facility's certificate (`console.tls_certificate`, `console.tls_key`), or with a self-signed one kept in
    /// `settings.data_dir` when bound beyond loopback, or plain HTTP on a loopback address.
    ///
    /// Errors: the address cannot be bound (`console.bind`); plain HTTP beyond loopback (no
    /// `console.tls_certificate` and no data folder); a certificate or key that cannot be read or made.
    pub fn start(
        store: Store,
        rules: Rules,
        settings: &ConsoleSettings,
    ) -> Result<Console, ConsoleError> {
        Self::start_with_central(store, rules, settings, None)
    }

    /// As [`Console::start`]; with `central`, the console across kiosks: the queue, the
    /// handoffs and the report come from the hospital's central database, pushed again whenever
    /// it notifies (a thread of its own listens); sign-in and accounts stay in `store`.
    ///
    /// Errors: as [`Console::start`]. An unreachable central database is not one: the pages
    /// say so until it answers.
    pub fn start_with_central(
        store: Store,
        rules: Rules,
        settings: &ConsoleSettings,
        central: Option<CentralDesk>,
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

        let hosts = match &settings.hosts {
            Some(names) => Hosts::new(names, false),
            None => Hosts::new(&default_hosts(addr), addr.ip().is_unspecified()),
        };
        let (transport, certificate_sha256) = choose_transport(settings, addr, &hosts)?;
        let tls = matches!(transport, Transport::Tls(_));

        let (changes_tx, changes_rx) = watch::channel(0u64);
        let watch = watch_changes(store.path(), WATCH_EVERY, move || {
            changes_tx.send_modify(|n| *n += 1);
            true
        })?;
        // In central mode the queue changes when the central database says so, not this file.
        let (changes_rx, central_listener, central) = match central {
            None => (changes_rx, None, None),
            Some(desk) => {
                let (heard_tx, heard_rx) = watch::channel(0u64);
                let stop = Arc::new(AtomicBool::new(false));
                let (stopped, listen_settings) = (stop.clone(), desk.settings.clone());
                let thread = thread::Builder::new()
                    .name("central-listen".to_owned())
                    .spawn(move || {
                        crate::central::desk::listen(
                            &listen_settings,
                            || heard_tx.send_modify(|n| *n += 1),
                            || !stopped.load(Ordering::Acquire),
                        );
                    })
                    .map_err(|e| ConsoleError::Start(e.to_string()))?;
                (
                    heard_rx,
                    Some((stop, thread)),
                    Some(Arc::new(central::CentralState::new(desk))),
                )
            }
        };

        let policy = SignInPolicy::from_settings(settings);
        let dummy_hash =
            password::hash("no such account").map_err(|e| ConsoleError::Start(e.to_string()))?;
        let state = AppState(Arc::new(Shared {
            store,
            rules,
            policy,
            secure_cookies: tls || settings.secure_cookies,
            changes: changes_rx,
            dummy_hash,
            hosts,
            throttle: Arc::new(Throttle::default()),
            strikes: Strikes::default(),
            streams: Arc::new(Streams::default()),
            facility_name: settings.facility_name.clone(),
            waiting_place: settings.waiting_place,
            claims: std::sync::Mutex::default(),
            claims_changed: watch::channel(0u64).0,
            terminal: terminal_from(settings),
            orca: settings.orca_configured,
            central,
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
                    let app = router(state).into_make_service_with_connect_info::<ClientAddr>();
                    let served = match transport {
                        Transport::Plain => {
                            tokio::select! {
                                result = axum::serve(listener, app) => result,
                                _ = shutdown_rx => Ok(()),
                            }
                        }
                        Transport::Tls(config) => {
                            let listener = match tls::TlsListener::new(listener, config) {
                                Ok(l) => l,
                                Err(e) => {
                                    tracing::error!(error = %e, "staff console cannot listen");
                                    return;
                                }
                            };
                            tokio::select! {
                                result = axum::serve(listener, app) => result,
                                _ = shutdown_rx => Ok(()),
                            }
                        }
                    };
                    if let Err(e) = served {
                        tracing::error!(error = %e, "staff console stopped");
                    }
                });
                // Open event streams end with the runtime.
                runtime.shutdown_timeout(Duration::from_secs(1));
            })
            .map_err(|e| ConsoleError::Start(e.to_string()))?;
        tracing::info!(%addr, tls, "staff console listening");
        Ok(Console {
            addr,
            certificate_sha256,
            shutdown: Some(shutdown_tx),
            thread: Some(thread),
            alive,
            _watch: watch,
            listener: central_listener,
        })
    }

    /// The address actually bound (a port of 0 in the configuration picks a free one).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `https://ADDR/` (or `http://ADDR/` on loopback without TLS).
    pub fn url(&self) -> String {
        let scheme = if self.certificate_sha256.is_some() {
            "https"
        } else {
            "http"
        };
        format!("{scheme}://{}/", self.addr)
    }

    /// The SHA-256 fingerprint of the certificate served (`AB:CD:…`), or `None` without TLS.
    pub fn certificate_sha256(&self) -> Option<&str> {
        self.certificate_sha256.as_deref()
    }

    /// What to print for staff: `https://ADDR/ (certificate SHA-256 AB:CD:…)`, or the plain URL.
    pub fn announcement(&self) -> String {
        match &self.certificate_sha256 {
            Some(sha256) => format!("{} (certificate SHA-256 {sha256})", self.url()),
            None => self.url(),
        }
    }

    /// Whether the server's thread still runs, as a probe that outlives this borrow: it answers
    /// false once the thread has ended (dropped, or a fault). The service's watchdog asks it
    /// before each ping.
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
        if let Some((stop, thread)) = self.listener.take() {
            stop.store(true, Ordering::Release);
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
    /// Verified against when the login name is unknown or the account locked, so every
    /// refusal takes as long.
    dummy_hash: String,
    hosts: Hosts,
    throttle: Arc<Throttle>,
    strikes: Strikes,
    streams: Arc<Streams>,
    /// The facility's name for the printouts (empty: a blank to write in).
    facility_name: String,
    /// Where the kiosk tells a patient who called staff to wait (the queue's 待っている場所).
    waiting_place: crate::rules::WaitingPlace,
    /// Who has which resolve page open (「対応中：佐藤」); lost on restart, lapses by itself.
    claims: std::sync::Mutex<desk::queue::Claims>,
    /// Bumped on every claim and release, so open queues are pushed again.
    claims_changed: watch::Sender<u64>,
    /// The eligibility terminal's folder, when one is configured (「資格確認端末に照会する」).
    terminal: Option<Arc<terminal::Terminal>>,
    /// The facility has ORCA: 「本日の受付一覧」 shows each check-in's delivery into it.
    orca: bool,
    /// `uketsuke console --central`: the queue, handoffs and report of every kiosk.
    central: Option<Arc<central::CentralState>>,
}

/// The eligibility terminal the settings name (`oqs:DIR`), if any.
fn terminal_from(settings: &ConsoleSettings) -> Option<Arc<terminal::Terminal>> {
    let root = settings.eligibility_terminal.clone()?;
    Some(Arc::new(terminal::Terminal::new(
        crate::oqs::query::Target {
            root,
            medical_institution_code: settings.medical_institution_code.clone(),
            encoding: if settings.terminal_encoding == "utf8" {
                crate::oqs::OqsEncoding::Utf8
            } else {
                crate::oqs::OqsEncoding::ShiftJis
            },
            timing: crate::oqs::query::Timing {
                timeout: Duration::from_secs(u64::from(settings.terminal_answer_seconds)),
                ..crate::oqs::query::Timing::default()
            },
        },
    )))
}

#[derive(Clone)]
struct AppState(Arc<Shared>);

fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(queue))
        .route("/queue.js", get(queue_script))
        .route("/resolve.js", get(forms::script))
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
        .route("/events", get(events))
        .route("/badge", get(queue::badge))
        .route("/handoffs/earlier", get(queue::close_earlier_page))
        .route("/handoffs/earlier/close", post(queue::close_earlier))
        .route("/handoffs/{id}", get(handoff))
        .route("/handoffs/{id}/resolve", post(resolve))
        .route("/handoffs/{id}/correct", post(closed::correct))
        .route("/report", get(report))
        .route("/report.csv", get(report_csv))
        .route("/audit", get(audit::audit))
        .merge(check_ins::routes())
        .merge(terminal::routes())
        .merge(orca_states::routes())
        .merge(accounts::routes())
        .merge(kiosk_reopen::routes())
        .merge(staff_call::routes())
        .merge(central::routes())
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(axum::middleware::from_fn(announced_body_limit))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            only_our_host_names,
        ))
        .layer(axum::middleware::map_response(japanese_refusals))
        .layer(axum::middleware::map_response(security_headers))
        .with_state(state)
}

/// Refuses a request for any host name but the console's own (421): a page elsewhere whose
/// name was rebound to this machine's address must not reach the console.
async fn only_our_host_names(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let host = request
        .uri()
        .authority()
        .map(|a| a.as_str().to_owned())
        .or_else(|| {
            request
                .headers()
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .map(str::to_owned)
        })
        .unwrap_or_default();
    if state.0.hosts.allows(&host) {
        return next.run(request).await;
    }
    tracing::warn!(host = %host.chars().take(80).collect::<String>(), "staff console: request for a foreign host name refused (key console.hosts in the facility configuration)");
    // For the technician, the log line names the key: console.hosts.
    problem(
        StatusCode::MISDIRECTED_REQUEST,
        None,
        "このアドレスではスタッフ画面を開けません。いつものアドレスで開いてください（変えるときは技術担当者へ）。",
    )
}

/// Refuses a body announced larger than [`BODY_LIMIT`] (413) before reading any of it; a client
/// that sent `Expect: 100-continue` then never sends it. (Bodies without a length are cut at
/// the limit as they are read.)
async fn announced_body_limit(request: Request, next: Next) -> Response {
    let announced = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if announced.is_some_and(|n| n > BODY_LIMIT as u64) {
        let mut refused = problem(
            StatusCode::PAYLOAD_TOO_LARGE,
            None,
            pages::status_text(StatusCode::PAYLOAD_TOO_LARGE.as_u16()),
        );
        refused
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
        return refused;
    }
    next.run(request).await
}

async fn security_headers(mut response: Response) -> Response {
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
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

/// The queue page's script (no data in it, so no session needed).
async fn queue_script() -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/javascript; charset=utf-8"),
        )],
        QUEUE_SCRIPT,
    )
        .into_response()
}

fn now() -> DateTime<FixedOffset> {
    crate::dates::now().with_timezone(&JST)
}

fn page(status: StatusCode, markup: Markup) -> Response {
    (status, Html(markup.into_string())).into_response()
}

/// A refusal page: the status's Japanese heading and `japanese`, what happened.
fn problem(status: StatusCode, session: Option<&StaffSession>, japanese: &str) -> Response {
    let title = pages::status_title(status.as_u16());
    page(status, pages::problem(session, title, japanese))
}

/// Gives every refusal the web framework makes by itself (no such path, a wrong method, a form
/// it cannot read, a body over the limit: each an English line or nothing, never HTML) the
/// Japanese page for its status, keeping the status and headers such as `Allow`. Pages the
/// console renders (HTML) pass unchanged.
async fn japanese_refusals(response: Response) -> Response {
    let status = response.status();
    let html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("text/html"));
    if html || !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    let (mut parts, _) = response.into_parts();
    let markup = pages::problem(
        None,
        pages::status_title(status.as_u16()),
        pages::status_text(status.as_u16()),
    );
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, axum::body::Body::from(markup.into_string()))
}

fn store_failed(e: &StoreError) -> Response {
    tracing::error!(error = %e, "staff console: store failed");
    problem(
        StatusCode::INTERNAL_SERVER_ERROR,
        None,
        "データベースでエラーが起きました。技術担当者に連絡してください。",
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
        let at = now();
        with_store(self, move |store| {
            store.session(&password::token_hash(&token), at)
        })
        .await?
        .filter(|session| !session.account.is_locked(at))
        .ok_or_else(not_signed_in)
    }

    /// Whether the session with this token hash still stands at `now`: it exists, has not
    /// expired, and its account is not locked. A store failure counts as no.
    async fn still_signed_in(&self, token_sha256: &str) -> bool {
        let store = self.0.store.clone();
        let token = token_sha256.to_owned();
        let at = now();
        matches!(
            blocking(move || store.session(&token, at)).await,
            Ok(Ok(Some(session))) if !session.account.is_locked(at)
        )
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
    )
}

/// A form whose size is bounded: at most [`FORM_FIELDS`] fields, names of at most
/// [`FORM_FIELD_NAME_BYTES`] and values of at most [`FORM_FIELD_BYTES`] bytes (the body as a
/// whole: [`BODY_LIMIT`]). Anything larger is refused (413) before a handler sees it, so no page
/// echoes more than that back.
struct BoundedForm(BTreeMap<String, String>);

impl FromRequest<AppState> for BoundedForm {
    type Rejection = Response;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Response> {
        let Form(fields) = Form::<Vec<(String, String)>>::from_request(request, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let too_big = fields.len() > FORM_FIELDS
            || fields
                .iter()
                .any(|(k, v)| k.len() > FORM_FIELD_NAME_BYTES || v.len() > FORM_FIELD_BYTES);
        if too_big {
            return Err(problem(
                StatusCode::PAYLOAD_TOO_LARGE,
                None,
                &format!(
                    "フォームが大きすぎます（{FORM_FIELDS}項目、1項目{FORM_FIELD_BYTES}バイトまで）。メモを短くして、もう一度送ってください。"
                ),
            ));
        }
        Ok(BoundedForm(fields.into_iter().collect()))
    }
}

async fn login_page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if state.session(&headers).await.is_ok() {
        return Redirect::to("/").into_response();
    }
    login_form(&state, StatusCode::OK, &password::token(), None)
}

/// The sign-in page with the form token `csrf` (set again in its cookie). A refused sign-in
/// keeps the token it came with, so refusals for any login are the same bytes.
fn login_form(state: &AppState, status: StatusCode, csrf: &str, error: Option<&str>) -> Response {
    let mut response = page(status, pages::login(csrf, error));
    response.headers_mut().append(
        header::SET_COOKIE,
        state.set_cookie(LOGIN_CSRF_COOKIE, csrf, 3600),
    );
    response
}

/// What a sign-in came to. Every refusal but the throttle's looks the same to the browser.
enum SignIn {
    Ok(String),
    Refused,
}

/// The one answer to a wrong password, an unknown login and a locked account alike.
const REFUSED: &str = "ログイン名かパスワードが違うか、パスワードを続けて間違えたためアカウントがロックされています。\
ロックは時間がたつと解けます。技術担当者も解除できます。";

async fn login(
    State(state): State<AppState>,
    ConnectInfo(ClientAddr(client)): ConnectInfo<ClientAddr>,
    headers: HeaderMap,
    BoundedForm(form): BoundedForm,
) -> Response {
    let expected = cookie(&headers, LOGIN_CSRF_COOKIE).unwrap_or_default();
    let sent = form.get("csrf").map(String::as_str).unwrap_or_default();
    if expected.is_empty() || !password::same_token(sent, &expected) {
        return forged(None);
    }
    let typed = form.get("password").cloned().unwrap_or_default();
    if typed.len() > password::MAX_PASSWORD_BYTES {
        let message = format!(
            "パスワードは {max} バイトまでです。",
            max = password::MAX_PASSWORD_BYTES
        );
        return login_form(&state, StatusCode::BAD_REQUEST, &expected, Some(&message));
    }
    // Throttled by address before anything is looked up or hashed.
    let attempt = match state.0.throttle.begin(client.ip(), Instant::now()) {
        Ok(attempt) => attempt,
        Err(wait) => {
            let seconds = wait.as_secs_f64().ceil().max(1.0) as u64;
            let message = format!(
                "このコンピューターからのログインの失敗が続いたため、{seconds} 秒待ってからもう一度試してください。"
            );
            let mut response = login_form(
                &state,
                StatusCode::TOO_MANY_REQUESTS,
                &expected,
                Some(&message),
            );
            if let Ok(v) = HeaderValue::from_str(&seconds.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, v);
            }
            return response;
        }
    };
    let login = form
        .get("login")
        .map(|l| l.trim().to_owned())
        .unwrap_or_default();
    let shared = Arc::clone(&state.0);
    let from = client.ip().to_string();
    let outcome = blocking(move || -> Result<SignIn, StoreError> {
        let at = now();
        let store = &shared.store;
        let account = if login.len() <= LOGIN_BYTES && staff::login_problem(&login).is_none() {
            store.staff_by_login(&login)?
        } else {
            None
        };
        let Some(account) = account else {
            // Hashed all the same, so an unknown login takes as long as a real one; what was
            // typed (perhaps a password in the wrong box) is not kept, only its length.
            let _ = password::verify(&typed, &shared.dummy_hash);
            store.record_refused_sign_in(
                "(unknown login)",
                &format!(
                    "unknown login of {} characters from {from}",
                    login.chars().count().min(999)
                ),
                at,
            )?;
            return Ok(SignIn::Refused);
        };
        let right = password::verify(&typed, &account.password_hash);
        // A disabled account (its clerk left) is refused like a wrong password: no hint.
        if account.is_disabled() {
            store.record_refused_sign_in(
                &account.login,
                &format!("account disabled; from {from}"),
                at,
            )?;
            return Ok(SignIn::Refused);
        }
        if account.is_locked(at) {
            store.record_refused_sign_in(
                &account.login,
                &format!("account locked; from {from}"),
                at,
            )?;
            return Ok(SignIn::Refused);
        }
        if !right {
            // Only the first failure from each address counts toward the lock.
            let after = if shared.strikes.counts(account.id, client.ip()) {
                shared.policy.after_failure(&account, at)
            } else {
                staff::AfterFailure {
                    failed_logins: account.failed_logins,
                    locked_until: account.locked_until,
                }
            };
            let locks = after.locked_until.is_some_and(|until| until > at)
                && after.locked_until != account.locked_until;
            store.record_sign_in_failure(account.id, after, &from, at)?;
            if locks {
                shared.strikes.forget(account.id);
            }
            return Ok(SignIn::Refused);
        }
        shared.strikes.forget(account.id);
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
        Ok(Ok(SignIn::Refused)) => {
            attempt.failed(Instant::now());
            login_form(&state, StatusCode::UNAUTHORIZED, &expected, Some(REFUSED))
        }
        Ok(Ok(SignIn::Ok(token))) => {
            attempt.succeeded();
            let mut response = Redirect::to("/").into_response();
            let seconds = state.0.policy.session.num_seconds();
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
    BoundedForm(form): BoundedForm,
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
    if state.0.central.is_some() {
        return central::queue_page(&state, &session, &query).await;
    }
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
            let flash = closed
                .and_then(|c| {
                    c.resolution.as_ref().map(|r| {
                        pages::closed_banner(c.reception_number.map(|n| n.0), &r.closed_as)
                    })
                })
                .or_else(|| queue::closed_earlier_text(&query));
            let arranged = state.arrange(&open);
            page(
                StatusCode::OK,
                pages::queue(&session, &arranged, &closed_kiosks, now(), flash),
            )
        }
    }
}

/// Where a live queue stands between two pushes.
struct Live {
    state: AppState,
    changes: watch::Receiver<u64>,
    /// Claims taken or released (「対応中：佐藤」).
    claims: watch::Receiver<u64>,
    /// The session's token hash, asked after again on every push and every second.
    token_sha256: String,
    /// The session's form token, for the closed kiosks' reopening forms.
    csrf: String,
    next_refresh: tokio::time::Instant,
    first: bool,
    /// Its place among the open streams, freed when the stream ends.
    _slot: guard::StreamSlot,
}

/// The queue, pushed again after every change to the database and every half minute, for as
/// long as the session stands: before each push, and every second in between, the session is
/// looked up again, and the stream ends once it is gone (signed out, expired, removed with a
/// lock) or its account is locked. At most [`guard::STREAMS_PER_SESSION`] per session and
/// [`guard::STREAMS_IN_ALL`] in all (429 beyond).
async fn events(
    State(state): State<AppState>,
    headers: HeaderMap,
    SignedIn(session): SignedIn,
) -> Response {
    let token_sha256 = password::token_hash(&cookie(&headers, SESSION_COOKIE).unwrap_or_default());
    let Some(slot) = state.0.streams.open(&token_sha256) else {
        tracing::warn!(login = %session.account.login, "staff console: too many live queues open");
        return problem(
            StatusCode::TOO_MANY_REQUESTS,
            Some(&session),
            "開いている受付待ち画面が多すぎます。使っていないタブを閉じてください。",
        );
    };
    let live = Live {
        changes: state.0.changes.clone(),
        claims: state.0.claims_changed.subscribe(),
        state,
        token_sha256,
        csrf: session.csrf_token.clone(),
        next_refresh: tokio::time::Instant::now() + QUEUE_REFRESH,
        first: true,
        _slot: slot,
    };
    let stream = futures_util::stream::unfold(live, |mut live| async move {
        if live.first {
            live.first = false;
        } else {
            // Wait for a change or the refresh, asking after the session every second.
            loop {
                let recheck = tokio::time::sleep(SESSION_RECHECK);
                tokio::select! {
                    changed = live.changes.changed() => {
                        changed.ok()?;
                        break;
                    }
                    changed = live.claims.changed() => {
                        changed.ok()?;
                        break;
                    }
                    () = tokio::time::sleep_until(live.next_refresh) => break,
                    () = recheck => {
                        if !live.state.still_signed_in(&live.token_sha256).await {
                            return None;
                        }
                    }
                }
            }
        }
        if !live.state.still_signed_in(&live.token_sha256).await {
            return None;
        }
        live.next_refresh = tokio::time::Instant::now() + QUEUE_REFRESH;
        if live.state.0.central.is_some() {
            let q = central::load_queue(&live.state).await.ok()?;
            let html = central::queue_fragment(&live.state, &q).into_string();
            let event = Event::default().event("queue").data(html);
            return Some((Ok::<Event, Infallible>(event), live));
        }
        let store = live.state.0.store.clone();
        let (open, closed_kiosks) = blocking(move || {
            Ok::<_, crate::store::StoreError>((store.open_handoffs()?, store.kiosk_pauses()?))
        })
        .await
        .ok()?
        .ok()?;
        let html = pages::queue_fragment(
            &live.state.arrange(&open),
            &closed_kiosks,
            &live.csrf,
            now(),
        )
        .into_string();
        let event = Event::default().event("queue").data(html);
        Some((Ok::<Event, Infallible>(event), live))
    });
    Sse::new(stream)
        .keep_alive(KeepAlive::default())
        .into_response()
}

async fn handoff(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    Path(id): Path<i64>,
    Query(query): Query<BTreeMap<String, String>>,
) -> Response {
    // After a correction the closed page says so once (the redirect's `?corrected=1`).
    let mut shown = BTreeMap::new();
    if query.contains_key("corrected") {
        shown.insert(CORRECTED.to_owned(), String::new());
    }
    show_handoff(&state, &session, id, StatusCode::OK, &[], &shown).await
}

/// A key no form field has: set by [`handoff`] when a correction was just stored.
const CORRECTED: &str = " corrected";

/// The opening of every form posted to a handoff (`POST /handoffs/{id}` and its
/// `/correct`): the signed-in session the form's token belongs to, and the check-in `id` if it
/// is a handoff (open or closed). `Err`: the response to send as it is — the refusal of
/// [`AppState::session_for_form`], a store failure, or the handoff page with 404 (no such
/// check-in, or one the kiosk completed without staff).
async fn handoff_for_form(
    state: &AppState,
    headers: &HeaderMap,
    id: i64,
    form: &BTreeMap<String, String>,
) -> Result<(StaffSession, StoredCheckIn), Response> {
    let session = state.session_for_form(headers, form).await?;
    let found = with_store(state, move |store| store.check_in(id)).await?;
    match found.filter(|c| c.record.outcome.handoff_reason().is_some()) {
        Some(check_in) => Ok((session, check_in)),
        None => Err(show_handoff(state, &session, id, StatusCode::NOT_FOUND, &[], form).await),
    }
}

async fn show_handoff(
    state: &AppState,
    session: &StaffSession,
    id: i64,
    status: StatusCode,
    errors: &[desk::FieldError],
    submitted: &BTreeMap<String, String>,
) -> Response {
    let shown = if state.0.terminal.is_some() {
        terminal::TerminalBox::Ready
    } else {
        terminal::TerminalBox::NotConfigured
    };
    show_handoff_with(state, session, id, status, errors, submitted, shown).await
}

/// As [`show_handoff`], with what the resolve forms show of the eligibility terminal.
async fn show_handoff_with(
    state: &AppState,
    session: &StaffSession,
    id: i64,
    status: StatusCode,
    errors: &[desk::FieldError],
    submitted: &BTreeMap<String, String>,
    terminal: terminal::TerminalBox,
) -> Response {
    let found = match with_store(state, move |store| store.check_in(id)).await {
        Err(r) => return r,
        Ok(found) => found,
    };
    match found {
        Some(check_in) if matches!(check_in.record.outcome, Outcome::HandedToStaff { .. }) => {
            if check_in.resolution.is_none() {
                state.claim(id, &session.account.display_name);
            }
            let provisional = state
                .0
                .rules
                .provisional_handling_applies(check_in.record.visit_date);
            let body = if check_in.resolution.is_some() {
                let correctable = desk::may_correct(
                    &check_in,
                    &session.account.login,
                    session.account.role,
                    now(),
                );
                closed::page(
                    session,
                    &check_in,
                    correctable,
                    errors,
                    submitted,
                    provisional,
                    submitted.contains_key(CORRECTED),
                )
            } else {
                let no_ratio_label =
                    desk::no_ratio_shown_label(&state.0.rules, check_in.record.visit_date);
                pages::handoff(
                    session,
                    &check_in,
                    errors,
                    submitted,
                    provisional,
                    &no_ratio_label,
                    &terminal,
                )
            };
            // A closed check-in's delivery into ORCA, when the facility has ORCA.
            let orca = if check_in.resolution.is_some() {
                let day = check_in.record.visit_date;
                match orca_states::column(state, vec![id], &session.csrf_token, day).await {
                    Ok(column) => column,
                    Err(r) => return r,
                }
            } else {
                None
            };
            let body = maud::html! {
                (body)
                @if let Some(orca) = orca {
                    section #orca-delivery {
                        h2 { "ORCAへの受付登録" }
                        (orca.cell(id))
                    }
                }
            };
            page(status, pages::layout("受付の対応", Some(session), body))
        }
        _ => problem(
            StatusCode::NOT_FOUND,
            Some(session),
            &format!("スタッフ対応の受付 {id} はありません。"),
        ),
    }
}

async fn resolve(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    BoundedForm(form): BoundedForm,
) -> Response {
    let (session, check_in) = match handoff_for_form(&state, &headers, id, &form).await {
        Ok(found) => found,
        Err(r) => return r,
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
        Ok(Ok(())) => {
            state.release(id);
            Redirect::to(&format!("/?closed={id}")).into_response()
        }
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
            let today = now().date_naive();
            // A month is 1..=12.
            let (y, m) = (today.year(), today.month() as u8);
            Some((y, m, format!("{y:04}-{m:02}")))
        }
        Some(text) => {
            let (y, m) = crate::report::parse_month(text)?;
            Some((y, m, text.to_owned()))
        }
    }
}

/// The month asked for (this month by default) and the month before it.
/// In central mode: every kiosk's together, and each kiosk's `(name, report)` of the month
/// asked for (empty for one kiosk's console).
async fn load_report(
    state: &AppState,
    query: &BTreeMap<String, String>,
    session: &StaffSession,
) -> Result<(MonthReport, MonthReport, Vec<(String, MonthReport)>), Response> {
    let Some((year, month, label)) = month_of(query) else {
        return Err(problem(
            StatusCode::BAD_REQUEST,
            Some(session),
            "月は 2026-11 のように指定してください。",
        ));
    };
    let previous = crate::report::previous_month(&label).unwrap_or_default();
    let (py, pm) = crate::report::parse_month(&previous).unwrap_or((year, month));
    if state.0.central.is_some() {
        let range = |y: i32, m: u8, label: &str| {
            let first = format!("{y:04}-{m:02}-01");
            let last = crate::report::last_day(label)
                .map(|d| d.format("%Y-%m-%d").to_string())
                .unwrap_or_else(|| first.clone());
            (first, last)
        };
        let (first, last) = range(year, month, &label);
        let (pfirst, plast) = range(py, pm, &previous);
        return central::month_reports(state, label, first, last, previous, pfirst, plast).await;
    }
    let rules = state.0.rules.clone();
    with_store(state, move |store| {
        Ok((
            store.month_report(&label, year, month, &rules)?,
            store.month_report(&previous, py, pm, &rules)?,
            Vec::new(),
        ))
    })
    .await
}

/// This month and the five before it, newest first.
fn recent_months() -> Vec<String> {
    let today = now().date_naive();
    let (mut y, mut m) = (today.year(), today.month());
    let mut out = Vec::new();
    for _ in 0..6 {
        out.push(format!("{y:04}-{m:02}"));
        if m == 1 {
            y -= 1;
            m = 12;
        } else {
            m -= 1;
        }
    }
    out
}

async fn report(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    Query(query): Query<BTreeMap<String, String>>,
) -> Response {
    match load_report(&state, &query, &session).await {
        Ok((report, previous, kiosks)) => {
            // The target is rules data (dated); none in force leaves the line out.
            let target = crate::report::last_day(&report.month)
                .and_then(|day| state.0.rules.usage_rate_target(day));
            let months = recent_months();
            let this_month = months.first() == Some(&report.month);
            page(
                StatusCode::OK,
                report_page::report(
                    &session,
                    &report,
                    &previous,
                    target.as_ref(),
                    this_month,
                    &months,
                    &kiosks,
                ),
            )
        }
        Err(r) => r,
    }
}

/// The month's CSV for Excel on Japanese Windows: UTF-8 with a byte-order mark, a Japanese
/// 「確認方法」 column beside the code column.
async fn report_csv(
    State(state): State<AppState>,
    SignedIn(session): SignedIn,
    Query(query): Query<BTreeMap<String, String>>,
) -> Response {
    match load_report(&state, &query, &session).await {
        Ok((report, _, _)) => {
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
                report.csv_for_excel(),
            )
                .into_response()
        }
        Err(r) => r,
    }
}
