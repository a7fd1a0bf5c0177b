//! A staff console served in-process on a free port over a real SQLite file, and a small HTTP
//! client that keeps cookies like a browser (but follows no redirect, so tests see them).
#![allow(dead_code)]

pub mod browser;
pub mod terminal;

use std::collections::BTreeMap;
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use socket2::{Domain, Socket, Type};

use chrono::{DateTime, FixedOffset};
use tempfile::TempDir;
use uketsuke::console::Console;
use uketsuke::datetime;
use uketsuke::domain::{
    CheckInRecord, ChecklistItem, ConsentAnswers, HandoffReason, IdentityMethod, Outcome,
    PatientName, Presented, StoredCheckIn, VerificationMethod,
};
use uketsuke::rules::{ConsoleSettings, Rules};
use uketsuke::staff::{NewStaffAccount, Role};
use uketsuke::store::Store;

pub const PASSWORD: &str = "correct horse battery";

pub struct Desk {
    pub console: Console,
    pub store: Store,
    pub base: String,
    _dir: TempDir,
}

impl Desk {
    pub fn start() -> Desk {
        Self::start_with(Rules::embedded())
    }

    pub fn start_with(rules: Rules) -> Desk {
        Self::start_named(rules, "")
    }

    /// As [`Desk::start_with`], for a facility of this name (printed on the slip and forms).
    pub fn start_named(rules: Rules, facility_name: &str) -> Desk {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("uketsuke.db")).unwrap();
        let settings = ConsoleSettings {
            bind: "127.0.0.1:0".to_owned(),
            lockout_after_failures: 3,
            secure_cookies: false,
            facility_name: facility_name.to_owned(),
            ..ConsoleSettings::default()
        };
        let console = Console::start(store.clone(), rules, &settings).unwrap();
        let base = format!("http://{}", console.addr());
        let desk = Desk {
            console,
            store,
            base,
            _dir: dir,
        };
        desk.add_account("sato", "佐藤", Role::Staff);
        desk.add_account("tech", "技術", Role::Technician);
        desk
    }

    /// As [`Desk::start`], with the eligibility terminal's shared folder `folder` (holding `req`
    /// and `res`; the console's `--gateway oqs:DIR`) for the facility 1319990014, waiting
    /// `answer_seconds` for an answer.
    pub fn start_with_terminal(folder: &std::path::Path, answer_seconds: u32) -> Desk {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("uketsuke.db")).unwrap();
        let settings = ConsoleSettings {
            bind: "127.0.0.1:0".to_owned(),
            lockout_after_failures: 3,
            secure_cookies: false,
            eligibility_terminal: Some(folder.to_owned()),
            medical_institution_code: "1319990014".to_owned(),
            terminal_answer_seconds: answer_seconds,
            ..ConsoleSettings::default()
        };
        let console = Console::start(store.clone(), Rules::embedded(), &settings).unwrap();
        let base = format!("http://{}", console.addr());
        let desk = Desk {
            console,
            store,
            base,
            _dir: dir,
        };
        desk.add_account("sato", "佐藤", Role::Staff);
        desk.add_account("tech", "技術", Role::Technician);
        desk
    }

    /// As [`Desk::start`], for a facility with ORCA (`orca` in the facility file): the check-in
    /// list shows each check-in's delivery into it.
    pub fn start_with_orca() -> Desk {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("uketsuke.db")).unwrap();
        let settings = ConsoleSettings {
            bind: "127.0.0.1:0".to_owned(),
            lockout_after_failures: 3,
            secure_cookies: false,
            orca_configured: true,
            ..ConsoleSettings::default()
        };
        let console = Console::start(store.clone(), Rules::embedded(), &settings).unwrap();
        let base = format!("http://{}", console.addr());
        let desk = Desk {
            console,
            store,
            base,
            _dir: dir,
        };
        desk.add_account("sato", "佐藤", Role::Staff);
        desk.add_account("tech", "技術", Role::Technician);
        desk
    }

    /// A console over an existing database file (a kiosk's), as a console process beside the
    /// kiosk would serve it: its own store connection, the usual two accounts added.
    pub fn start_on(db: &std::path::Path) -> Desk {
        let store = Store::open(db).unwrap();
        let settings = ConsoleSettings {
            bind: "127.0.0.1:0".to_owned(),
            lockout_after_failures: 3,
            secure_cookies: false,
            ..ConsoleSettings::default()
        };
        let console = Console::start(store.clone(), Rules::embedded(), &settings).unwrap();
        let base = format!("http://{}", console.addr());
        let desk = Desk {
            console,
            store,
            base,
            _dir: tempfile::tempdir().unwrap(),
        };
        desk.add_account("sato", "佐藤", Role::Staff);
        desk.add_account("tech", "技術", Role::Technician);
        desk
    }

    pub fn add_account(&self, login: &str, name: &str, role: Role) {
        self.store
            .add_staff(&NewStaffAccount {
                login: login.to_owned(),
                display_name: name.to_owned(),
                role,
                password_hash: uketsuke::password::hash(PASSWORD).unwrap(),
                created_at: uketsuke::dates::now(),
                created_by: "test".to_owned(),
            })
            .unwrap();
    }

    pub fn client(&self) -> Client {
        Client {
            agent: ureq::AgentBuilder::new().redirects(0).build(),
            base: self.base.clone(),
            cookies: BTreeMap::new(),
        }
    }

    /// A client signed in as `login`.
    pub fn signed_in(&self, login: &str) -> Client {
        let mut client = self.client();
        let reply = client.sign_in(login, PASSWORD);
        assert_eq!(reply.status, 303, "{}", reply.body);
        assert_eq!(reply.location.as_deref(), Some("/"));
        client
    }

    /// Commits a check-in handed to staff for `reason`, as the kiosk would, visited today.
    pub fn hand_over(&self, reason: HandoffReason) -> StoredCheckIn {
        let now = uketsuke::dates::now().with_timezone(&uketsuke::rules::JST);
        self.hand_over_at(reason, now)
    }

    /// As [`Desk::hand_over`], with the name an eligibility result gave.
    pub fn hand_over_named(&self, reason: HandoffReason, name: &str, kana: &str) -> StoredCheckIn {
        let now = uketsuke::dates::now().with_timezone(&uketsuke::rules::JST);
        self.commit_handoff(
            reason,
            now,
            Some(PatientName {
                name: name.to_owned(),
                kana: Some(kana.to_owned()),
                birth_date: None,
            }),
        )
    }

    pub fn hand_over_at(&self, reason: HandoffReason, at: DateTime<FixedOffset>) -> StoredCheckIn {
        self.commit_handoff(reason, at, None)
    }

    fn commit_handoff(
        &self,
        reason: HandoffReason,
        at: DateTime<FixedOffset>,
        patient_name: Option<PatientName>,
    ) -> StoredCheckIn {
        let (presented, verification, checklist) = match reason {
            HandoffReason::ConfirmPortalScreen => (
                Some(Presented::UnreadableDevice),
                Some(VerificationMethod::PortalScreenCheckedByStaff),
                vec![
                    ChecklistItem::CheckPortalEligibilityScreen,
                    ChecklistItem::RecordInsuranceNumbers,
                    ChecklistItem::NotCountedTowardUsageRate,
                ],
            ),
            HandoffReason::StaffVisualCheck | HandoffReason::PatientAskedStaffToCheck => (
                Some(Presented::MyNumberCard),
                None,
                vec![ChecklistItem::CompareCardPhoto],
            ),
            HandoffReason::PaperDocument => (
                Some(Presented::EligibilityCertificate),
                None,
                vec![
                    ChecklistItem::CheckCertificateValidity,
                    ChecklistItem::QueryOnlineByNumbers,
                ],
            ),
            HandoffReason::CertificateNotAccepted => (
                Some(Presented::MyNumberCard),
                None,
                vec![
                    ChecklistItem::RenewCertificateAtMunicipalOffice,
                    ChecklistItem::AskForNewerDocument,
                    ChecklistItem::CheckPortalEligibilityScreen,
                    ChecklistItem::PastRecordOralCheck,
                    ChecklistItem::SelfDeclarationForm,
                    ChecklistItem::ChargeNormalShare,
                    ChecklistItem::NotCountedTowardUsageRate,
                ],
            ),
            HandoffReason::SeveralMatches => (
                Some(Presented::MyNumberCard),
                Some(VerificationMethod::CardViaReader),
                vec![ChecklistItem::ChooseAmongMatches],
            ),
            _ => (None, None, vec![ChecklistItem::AskWhatTheyNeed]),
        };
        let several = reason == HandoffReason::SeveralMatches;
        let record = CheckInRecord {
            started_at: at - chrono::TimeDelta::minutes(1),
            finished_at: at,
            visit_date: at.with_timezone(&uketsuke::rules::JST).date_naive(),
            presented,
            // Several matches: the kiosk read the card and checked the PIN before the query.
            identity: several.then_some(IdentityMethod::PinOnCard),
            // As the kiosk commits a handoff: the route staff are expected to take, no method
            // and nothing counted until they close it (issue 16 item 4).
            verification: None,
            counts_toward_usage_rate: false,
            expected_route: verification,
            consent: ConsentAnswers::default(),
            eligibility: None,
            outcome: Outcome::HandedToStaff { reason },
            checklist,
            wrong_pin_entries: 0,
            kiosk: "1F entrance".to_owned(),
            patient_name,
            department: None,
        };
        let committed = self.store.commit_check_in(&record).unwrap();
        self.store.check_in(committed.check_in_id).unwrap().unwrap()
    }
}

/// A fixed past moment for check-ins whose date matters.
pub const MARCH_2026: DateTime<FixedOffset> = datetime!(2026-03-10 10:00 +09:00);

pub struct Reply {
    pub status: u16,
    pub location: Option<String>,
    pub content_type: Option<String>,
    pub body: String,
}

pub struct Client {
    agent: ureq::Agent,
    pub base: String,
    pub cookies: BTreeMap<String, String>,
}

impl Client {
    pub fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn finish(&mut self, result: Result<ureq::Response, ureq::Error>) -> Reply {
        let response = match result {
            Ok(r) => r,
            Err(ureq::Error::Status(_, r)) => r,
            Err(e) => panic!("request failed: {e}"),
        };
        for set in response.all("set-cookie") {
            let pair = set.split(';').next().unwrap_or_default();
            if let Some((k, v)) = pair.split_once('=') {
                let expired = set.contains("Max-Age=0");
                if expired || v.is_empty() {
                    self.cookies.remove(k);
                } else {
                    self.cookies.insert(k.to_owned(), v.to_owned());
                }
            }
        }
        Reply {
            status: response.status(),
            location: response.header("location").map(str::to_owned),
            content_type: response.header("content-type").map(str::to_owned),
            body: response.into_string().unwrap_or_default(),
        }
    }

    pub fn get(&mut self, path: &str) -> Reply {
        let request = self
            .agent
            .get(&format!("{}{path}", self.base))
            .set("Cookie", &self.cookie_header());
        let result = request.call();
        self.finish(result)
    }

    pub fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Reply {
        let request = self
            .agent
            .post(&format!("{}{path}", self.base))
            .set("Cookie", &self.cookie_header());
        let result = request.send_form(fields);
        self.finish(result)
    }

    /// Signs in through the sign-in form, with the token it hands out.
    pub fn sign_in(&mut self, login: &str, password: &str) -> Reply {
        let page = self.get("/login");
        assert_eq!(page.status, 200);
        let csrf = hidden_csrf(&page.body);
        self.post(
            "/login",
            &[("csrf", &csrf), ("login", login), ("password", password)],
        )
    }

    /// This session's form token, read from a page as a browser would.
    pub fn csrf(&mut self) -> String {
        let page = self.get("/");
        assert_eq!(page.status, 200, "{}", page.body);
        hidden_csrf(&page.body)
    }

    /// Submits a resolve form for `id` with this session's token.
    pub fn resolve(&mut self, id: i64, fields: &[(&str, &str)]) -> Reply {
        let csrf = self.csrf();
        let mut all = vec![("csrf", csrf.as_str())];
        all.extend_from_slice(fields);
        self.post(&format!("/handoffs/{id}/resolve"), &all)
    }
}

/// The value of the first hidden `csrf` input on a page.
pub fn hidden_csrf(html: &str) -> String {
    let at = html
        .find(r#"name="csrf" value=""#)
        .unwrap_or_else(|| panic!("no csrf field in {html}"));
    let rest = &html[at + r#"name="csrf" value=""#.len()..];
    rest[..rest.find('"').unwrap()].to_owned()
}

/// A raw HTTP/1.1 exchange from the client address `from` (any 127.x.y.z is this machine's
/// loopback, so each stands for another computer on the LAN), as bytes: the console's answer
/// exactly as it was sent.
pub fn raw_exchange(from: IpAddr, to: SocketAddr, request: &[u8]) -> Vec<u8> {
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    socket
        .bind(&SocketAddr::new(from, 0).into())
        .unwrap_or_else(|e| panic!("bind the client to {from}: {e}"));
    socket.connect(&to.into()).unwrap();
    let mut stream: std::net::TcpStream = socket.into();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    stream.write_all(request).unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).unwrap();
    answer
}

/// An answer read off the wire.
#[derive(Clone, PartialEq, Eq)]
pub struct RawReply {
    pub status: u16,
    /// Header lines as sent (name lower-cased), in order, without `date`.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl std::fmt::Debug for RawReply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let text = self.text();
        f.debug_struct("RawReply")
            .field("status", &self.status)
            .field("headers", &self.headers)
            .field("body", &text.chars().take(2000).collect::<String>())
            .finish()
    }
}

impl RawReply {
    pub fn parse(bytes: &[u8]) -> RawReply {
        let end = bytes
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .unwrap_or_else(|| panic!("no header end in {:?}", String::from_utf8_lossy(bytes)));
        let head = std::str::from_utf8(&bytes[..end]).unwrap();
        let mut lines = head.split("\r\n");
        let status_line = lines.next().unwrap();
        let status = status_line.split(' ').nth(1).unwrap().parse().unwrap();
        let headers = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .filter(|(k, _)| k != "date")
            .collect();
        RawReply {
            status,
            headers,
            body: bytes[end + 4..].to_vec(),
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Someone at another computer: plain HTTP requests from their own address, with the sign-in
/// form's token and cookie, and nothing else.
pub struct Stranger {
    pub from: IpAddr,
    pub to: SocketAddr,
    pub csrf: String,
}

impl Stranger {
    /// Fetches the sign-in page from `from` for its form token.
    pub fn at(desk: &Desk, from: &str) -> Stranger {
        let from: IpAddr = from.parse().unwrap();
        let to = desk.console.addr();
        let page = RawReply::parse(&raw_exchange(
            from,
            to,
            format!("GET /login HTTP/1.1\r\nHost: {to}\r\nConnection: close\r\n\r\n").as_bytes(),
        ));
        assert_eq!(page.status, 200);
        let csrf = hidden_csrf(&page.text());
        Stranger { from, to, csrf }
    }

    /// Posts the sign-in form with `login` and `password`.
    pub fn sign_in(&self, login: &str, password: &str) -> RawReply {
        let body = form_body(&[
            ("csrf", &self.csrf),
            ("login", login),
            ("password", password),
        ]);
        self.post("/login", &body)
    }

    /// Posts a form body. A body over 64 KiB is announced with `Expect: 100-continue` and sent
    /// only if the console asks for it, as HTTP clients do with large bodies.
    pub fn post(&self, path: &str, body: &str) -> RawReply {
        let large = body.len() > 64 * 1024;
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: {to}\r\nConnection: close\r\n\
             Cookie: uketsuke_login_csrf={csrf}\r\n{expect}\
             Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len}\r\n\r\n",
            to = self.to,
            csrf = self.csrf,
            expect = if large {
                "Expect: 100-continue\r\n"
            } else {
                ""
            },
            len = body.len()
        );
        if large {
            let answer = raw_exchange(self.from, self.to, head.as_bytes());
            let reply = RawReply::parse(&answer);
            assert_ne!(reply.status, 100, "the console asked for the large body");
            return reply;
        }
        RawReply::parse(&raw_exchange(
            self.from,
            self.to,
            format!("{head}{body}").as_bytes(),
        ))
    }
}

/// `application/x-www-form-urlencoded`.
pub fn form_body(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            b' ' => "+".to_owned(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A live queue (`/events`) opened by `client`, read on a thread of its own: each event's data,
/// and when the console ended the stream.
pub struct LiveQueue {
    pub events: mpsc::Receiver<Option<(Instant, String)>>,
}

impl LiveQueue {
    pub fn open(client: &Client) -> LiveQueue {
        let agent = ureq::AgentBuilder::new().redirects(0).build();
        let response = agent
            .get(&format!("{}/events", client.base))
            .set("Cookie", &client.cookie_header())
            .call()
            .expect("the live queue opens");
        assert_eq!(
            response.header("content-type"),
            Some("text/event-stream"),
            "a live queue"
        );
        let (tx, events) = mpsc::channel();
        std::thread::spawn(move || {
            let reader = BufReader::new(response.into_reader());
            for line in reader.lines() {
                match line {
                    Ok(line) => {
                        if let Some(data) = line.strip_prefix("data:") {
                            let _ = tx.send(Some((Instant::now(), data.trim().to_owned())));
                        }
                    }
                    Err(_) => break,
                }
            }
            // The console ended the stream.
            let _ = tx.send(None);
        });
        LiveQueue { events }
    }

    /// The next event's data within `limit`, or `None` if the stream ended first.
    pub fn next(&self, limit: Duration) -> Option<String> {
        match self.events.recv_timeout(limit) {
            Ok(Some((_, data))) => Some(data),
            Ok(None) => None,
            Err(e) => panic!("no event and no end within {limit:?}: {e}"),
        }
    }

    /// The first event within `limit` whose data holds `text` (earlier pushes, e.g. for the
    /// sign-in's own audit entry, are skipped).
    pub fn wait_for(&self, text: &str, limit: Duration) -> String {
        let deadline = Instant::now() + limit;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.events.recv_timeout(left) {
                Ok(Some((_, data))) if data.contains(text) => return data,
                Ok(Some(_)) => continue,
                Ok(None) => panic!("the live queue ended before {text:?} arrived"),
                Err(e) => panic!("no push with {text:?} within {limit:?}: {e}"),
            }
        }
    }

    /// Waits up to `limit` for the stream to end, skipping events; returns when it ended.
    pub fn ended_within(&self, limit: Duration) -> Instant {
        let deadline = Instant::now() + limit;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.events.recv_timeout(left) {
                Ok(Some(_)) => continue,
                Ok(None) | Err(mpsc::RecvTimeoutError::Disconnected) => return Instant::now(),
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    panic!("the live queue was still open after {limit:?}")
                }
            }
        }
    }
}

/// A `ureq` agent for HTTPS that trusts exactly one certificate: the one whose SHA-256 is
/// `sha256` (`AB:CD:…`), as staff who compared the fingerprint would.
pub fn pinned_agent(sha256: &str) -> ureq::Agent {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .unwrap()
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(Pinned {
            sha256: sha256.to_owned(),
            provider,
        }))
        .with_no_client_auth();
    ureq::AgentBuilder::new()
        .redirects(0)
        .tls_config(Arc::new(config))
        .build()
}

#[derive(Debug)]
struct Pinned {
    sha256: String,
    provider: Arc<rustls::crypto::CryptoProvider>,
}

impl rustls::client::danger::ServerCertVerifier for Pinned {
    fn verify_server_cert(
        &self,
        end_entity: &rustls::pki_types::CertificateDer<'_>,
        _intermediates: &[rustls::pki_types::CertificateDer<'_>],
        _server_name: &rustls::pki_types::ServerName<'_>,
        _ocsp_response: &[u8],
        _now: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        use sha2::Digest as _;
        let seen = sha2::Sha256::digest(end_entity.as_ref())
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect::<Vec<_>>()
            .join(":");
        if seen == self.sha256 {
            Ok(rustls::client::danger::ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::General(format!(
                "certificate {seen} is not the pinned {}",
                self.sha256
            )))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}
