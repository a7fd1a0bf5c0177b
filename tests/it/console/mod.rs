//! A staff console served in-process on a free port over a real SQLite file, and a small HTTP
//! client that keeps cookies like a browser (but follows no redirect, so tests see them).
#![allow(dead_code)]

use std::collections::BTreeMap;

use tempfile::TempDir;
use time::OffsetDateTime;
use time::macros::datetime;
use uketsuke::console::Console;
use uketsuke::domain::{
    CheckInRecord, ChecklistItem, ConsentAnswers, HandoffReason, Outcome, PatientName, Presented,
    StoredCheckIn, VerificationMethod,
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
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("uketsuke.db")).unwrap();
        let settings = ConsoleSettings {
            bind: "127.0.0.1:0".to_owned(),
            lockout_after_failures: 3,
            secure_cookies: false,
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

    pub fn add_account(&self, login: &str, name: &str, role: Role) {
        self.store
            .add_staff(&NewStaffAccount {
                login: login.to_owned(),
                display_name: name.to_owned(),
                role,
                password_hash: uketsuke::password::hash(PASSWORD).unwrap(),
                created_at: OffsetDateTime::now_utc(),
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
        let now = OffsetDateTime::now_utc().to_offset(uketsuke::rules::JST);
        self.hand_over_at(reason, now)
    }

    /// As [`Desk::hand_over`], with the name an eligibility result gave.
    pub fn hand_over_named(&self, reason: HandoffReason, name: &str, kana: &str) -> StoredCheckIn {
        let now = OffsetDateTime::now_utc().to_offset(uketsuke::rules::JST);
        self.commit_handoff(
            reason,
            now,
            Some(PatientName {
                name: name.to_owned(),
                kana: Some(kana.to_owned()),
            }),
        )
    }

    pub fn hand_over_at(&self, reason: HandoffReason, at: OffsetDateTime) -> StoredCheckIn {
        self.commit_handoff(reason, at, None)
    }

    fn commit_handoff(
        &self,
        reason: HandoffReason,
        at: OffsetDateTime,
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
            HandoffReason::StaffVisualCheck => (
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
            _ => (None, None, vec![ChecklistItem::AskWhatTheyNeed]),
        };
        let record = CheckInRecord {
            started_at: at - time::Duration::minutes(1),
            finished_at: at,
            visit_date: at.to_offset(uketsuke::rules::JST).date(),
            presented,
            identity: None,
            verification,
            counts_toward_usage_rate: false,
            consent: ConsentAnswers::default(),
            eligibility: None,
            outcome: Outcome::HandedToStaff { reason },
            checklist,
            wrong_pin_entries: 0,
            kiosk: "1F entrance".to_owned(),
            patient_name,
        };
        let committed = self.store.commit_check_in(&record).unwrap();
        self.store.check_in(committed.check_in_id).unwrap().unwrap()
    }
}

/// A fixed past moment for check-ins whose date matters.
pub const MARCH_2026: OffsetDateTime = datetime!(2026-03-10 10:00 +09:00);

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
    fn cookie_header(&self) -> String {
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
