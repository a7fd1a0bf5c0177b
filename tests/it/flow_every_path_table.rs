//! Table-driven tests of the check-in flow on a fake clock, with a fake card (a behavioural
//! model of the JPKI PIN counter, no cryptography), a fake gateway and an in-memory store.
//! Each row: what is on the reader, what the gateway says, what the patient does, and what must
//! be recorded.

use std::time::Duration;

use chrono::{DateTime, FixedOffset};
use uketsuke::domain::{
    BurdenRatio, CardProof, Certificate, Challenge, CheckInRecord, ChecklistItem, ConsentMode,
    DeclaredDocument, EligibilityResult, HandoffReason, IdentityMethod, Outcome, PatientName,
    Presented, ReceptionNumber, Signature, Step, Tapped, Validity, VerificationMethod,
};
use uketsuke::flow::{
    CheckInFlow, Ending, Input, PatientAction, PinStatus, ReaderOp, ReaderReply, ReaderTrouble,
    Screen, StoreReply,
};
use uketsuke::gateway::{Gateway, GatewayError};
use uketsuke::headless::{Committed, Driver, PatientScript, ReaderPort, ScriptError, StorePort};
use uketsuke::rules::{FacilityConfig, Rules};
use uketsuke::{date, datetime};

/// A behavioural card: a PIN counter and a security state, no bytes.
#[derive(Clone)]
struct FakeCard {
    kind: Tapped,
    pin: &'static str,
    tries: u8,
    verified: bool,
}

struct FakeReader {
    default: FakeCard,
    on_field: Option<FakeCard>,
    /// Operations after which the card is gone (counted over the whole run).
    remove_after_ops: Option<usize>,
    ops: usize,
    verify_count: usize,
}

impl FakeReader {
    fn new(card: FakeCard) -> FakeReader {
        FakeReader {
            default: card,
            on_field: None,
            remove_after_ops: None,
            ops: 0,
            verify_count: 0,
        }
    }
}

impl ReaderPort for FakeReader {
    fn place(&mut self, what: Option<&str>) -> Result<(), String> {
        let mut card = self.default.clone();
        match what {
            None => {}
            Some("transit") => card.kind = Tapped::TransitCard,
            Some("card") => card.kind = Tapped::MyNumberCard,
            Some("payment") => card.kind = Tapped::PaymentCard,
            Some("licence") => card.kind = Tapped::OtherCard,
            Some("unsure") => card.kind = Tapped::CardOrPhone,
            Some(other) => return Err(format!("no fake {other}")),
        }
        card.verified = false;
        self.on_field = Some(card);
        Ok(())
    }

    fn remove(&mut self) -> Result<(), String> {
        if let Some(card) = self.on_field.take() {
            self.default.tries = card.tries;
        }
        Ok(())
    }

    fn execute(&mut self, op: ReaderOp) -> ReaderReply {
        if self.remove_after_ops.is_some_and(|n| self.ops >= n) {
            // One removal; the patient then taps again.
            self.remove_after_ops = None;
            let _ = self.remove();
        }
        self.ops += 1;
        let Some(card) = self.on_field.as_mut() else {
            return ReaderReply::CardGone;
        };
        match op {
            ReaderOp::Identify => ReaderReply::Identified(card.kind),
            // A fake certificate: no date to read (the flow goes on as for a valid one).
            ReaderOp::ReadCertificateExpiry => ReaderReply::CertificateExpiry(None),
            ReaderOp::ReadPinTriesLeft if card.tries == 0 => {
                ReaderReply::PinTriesLeft(PinStatus::Blocked)
            }
            ReaderOp::ReadPinTriesLeft => {
                ReaderReply::PinTriesLeft(PinStatus::TriesLeft(card.tries))
            }
            ReaderOp::VerifyPin(pin) => {
                self.verify_count += 1;
                assert!(card.tries > 1, "VERIFY sent with {} tries left", card.tries);
                if pin.ascii() == card.pin.as_bytes() {
                    card.tries = 3;
                    card.verified = true;
                    ReaderReply::PinVerified
                } else {
                    card.tries -= 1;
                    ReaderReply::PinRejected {
                        tries_left: card.tries,
                    }
                }
            }
            ReaderOp::Authenticate { challenge } => {
                assert!(card.verified, "signing without a verified PIN");
                ReaderReply::Authenticated {
                    certificate: Certificate(b"fake cert".to_vec()),
                    signature: Signature(challenge.0),
                    expiry: None,
                }
            }
        }
    }
}

struct FakeGateway {
    challenge_fails: bool,
    result: Result<EligibilityResult, String>,
    latency: Duration,
    queries: usize,
}

impl Gateway for FakeGateway {
    fn challenge(&mut self) -> Result<Challenge, GatewayError> {
        if self.challenge_fails {
            return Err(GatewayError::Unavailable("fake outage".into()));
        }
        Ok(Challenge(vec![7; 32]))
    }

    fn query(&mut self, proof: &CardProof) -> Result<EligibilityResult, GatewayError> {
        self.queries += 1;
        assert_eq!(
            proof.signature.0, proof.challenge.0,
            "proof signs the challenge"
        );
        // "refused: ..." is a refused proof; any other error an outage.
        self.result
            .clone()
            .map_err(|e| match e.strip_prefix("refused: ") {
                Some(why) => GatewayError::ProofRejected(why.to_owned()),
                None => GatewayError::Unavailable(e),
            })
    }

    fn simulated_latency(&self) -> Option<Duration> {
        Some(self.latency)
    }
}

#[derive(Default)]
struct MemoryStore {
    records: Vec<CheckInRecord>,
}

impl StorePort for MemoryStore {
    fn commit(&mut self, record: &CheckInRecord) -> StoreReply {
        self.records.push(record.clone());
        StoreReply::Committed {
            check_in_id: self.records.len() as i64,
            reception_number: Some(ReceptionNumber(self.records.len() as u32)),
        }
    }
}

fn result(validity: Validity) -> EligibilityResult {
    EligibilityResult {
        validity,
        insurer_number: Some("06130012".into()),
        symbol: Some("記号".into()),
        number: Some("567".into()),
        branch: Some("01".into()),
        birth_date: Some(date!(1980 - 05 - 05)),
        burden_ratio: None,
        valid_from: Some(date!(2020 - 04 - 01)),
        valid_until: None,
        name_contains_black_circle: false,
        reference_number: None,
        reader_consent: None,
        high_cost_limit_category: None,
        name: Some(PatientName {
            name: "試験 <花子> & ●".into(),
            kana: Some("シケン ハナコ".into()),
            birth_date: None,
        }),
    }
}

struct Case {
    name: &'static str,
    card: Tapped,
    tries: u8,
    remove_after_ops: Option<usize>,
    reads_phones: bool,
    visit: DateTime<FixedOffset>,
    challenge_fails: bool,
    gateway: Result<EligibilityResult, String>,
    latency: Duration,
    script: &'static str,
    /// The reader goes out of service after this many script steps.
    reader_down_after: Option<usize>,
    // expectations
    outcome: Outcome,
    verification: Option<VerificationMethod>,
    counts: bool,
    identity: Option<IdentityMethod>,
    presented: Option<Presented>,
    verifies: usize,
    wrong_pins: u8,
}

const VISIT: DateTime<FixedOffset> = datetime!(2026-11-21 10:00 +09:00);

fn case(name: &'static str, script: &'static str) -> Case {
    Case {
        name,
        card: Tapped::MyNumberCard,
        tries: 3,
        remove_after_ops: None,
        reads_phones: true,
        visit: VISIT,
        challenge_fails: false,
        gateway: Ok(result(Validity::Valid)),
        // Longer than the consent steps take on virtual time (each answer waits out the
        // screen's dead time, 600 ms), so the answer arrives at "querying", as before.
        latency: Duration::from_secs(3),
        script,
        reader_down_after: None,
        outcome: Outcome::Completed,
        verification: Some(VerificationMethod::CardViaReader),
        counts: true,
        identity: Some(IdentityMethod::PinOnCard),
        presented: Some(Presented::MyNumberCard),
        verifies: 1,
        wrong_pins: 0,
    }
}

impl Case {
    fn handoff(mut self, reason: HandoffReason) -> Case {
        self.outcome = Outcome::HandedToStaff { reason };
        self
    }
    fn unverified(mut self) -> Case {
        self.verification = None;
        self.counts = false;
        self
    }
    fn no_identity(mut self, verifies: usize) -> Case {
        self.identity = None;
        self.verifies = verifies;
        self
    }
    fn method(mut self, m: VerificationMethod, counts: bool) -> Case {
        self.verification = Some(m);
        self.counts = counts;
        self
    }
}

const HAPPY: &str = r#"["tap", {"pin":"1234"}, {"consent":"all"}, {"high_cost_limit":true}, {"prescription":"electronic"}]"#;

fn cases() -> Vec<Case> {
    use HandoffReason as H;
    use VerificationMethod as M;
    vec![
        case("card happy path", HAPPY),
        Case {
            wrong_pins: 1,
            verifies: 2,
            ..case(
                "wrong PIN then right",
                r#"["tap", {"pin":"0000"}, {"pin":"1234"}, {"consent":"all"}, {"high_cost_limit":false}, {"prescription":"paper"}]"#,
            )
        },
        Case {
            tries: 1,
            ..case("guard at one try left: no PIN pad", r#"["tap"]"#)
                .handoff(H::StaffVisualCheck)
                .unverified()
                .no_identity(0)
        },
        Case {
            wrong_pins: 2,
            ..case("two wrong PINs stop before the last try", r#"["tap", {"pin":"0000"}, {"pin":"9999"}]"#)
                .handoff(H::StaffVisualCheck)
                .unverified()
                .no_identity(2)
        },
        Case {
            tries: 0,
            ..case("blocked card", r#"["tap"]"#)
                .handoff(H::CardBlocked)
                .unverified()
                .no_identity(0)
        },
        Case {
            card: Tapped::UnreadableDevice,
            presented: Some(Presented::UnreadableDevice),
            ..case("phone unreadable goes to the portal screen", r#"["tap"]"#)
                .handoff(H::ConfirmPortalScreen)
                .method(M::PortalScreenCheckedByStaff, false)
                .no_identity(0)
        },
        Case {
            card: Tapped::AndroidPhone,
            presented: Some(Presented::AndroidPhone),
            identity: Some(IdentityMethod::PinOnPhone),
            ..case("android phone readable", HAPPY).method(M::SmartphoneViaReader, true)
        },
        Case {
            card: Tapped::AndroidPhone,
            presented: Some(Presented::AndroidPhone),
            identity: Some(IdentityMethod::PinOnPhone),
            ..case(
                "android phone put down while typing the PIN, held again",
                r#"["tap", "remove", {"pin":"1234"}, "tap", {"consent":"all"}, {"high_cost_limit":true}, {"prescription":"electronic"}]"#,
            )
            .method(M::SmartphoneViaReader, true)
        },
        Case {
            card: Tapped::AndroidPhone,
            reads_phones: false,
            presented: Some(Presented::AndroidPhone),
            ..case("phones switched off: portal screen", r#"["tap"]"#)
                .handoff(H::ConfirmPortalScreen)
                .method(M::PortalScreenCheckedByStaff, false)
                .no_identity(0)
        },
        case(
            "transit card, then the right card",
            r#"[{"tap":"transit"}, "remove", {"tap":"card"}, {"pin":"1234"}, {"consent":"all"}, {"high_cost_limit":true}, {"prescription":"electronic"}]"#,
        ),
        Case {
            presented: Some(Presented::TransitCard),
            outcome: Outcome::TimedOut { at: Step::WrongCard },
            ..case("transit card then nothing", r#"[{"tap":"transit"}, {"wait_seconds": 91}]"#)
                .unverified()
                .no_identity(0)
        },
        case(
            "another card (a driving licence), then the My Number card in the same check-in",
            r#"[{"tap":"licence"}, "remove", {"tap":"card"}, {"pin":"1234"}, {"consent":"all"}, {"high_cost_limit":true}, {"prescription":"electronic"}]"#,
        ),
        Case {
            presented: Some(Presented::OtherCard),
            outcome: Outcome::TimedOut { at: Step::WrongCard },
            ..case("another card then nothing", r#"[{"tap":"licence"}, {"wait_seconds": 91}]"#)
                .unverified()
                .no_identity(0)
        },
        Case {
            presented: Some(Presented::EligibilityCertificate),
            ..case("another card, then paper documents", r#"[{"tap":"licence"}, "paper_documents", {"declare":"eligibility_certificate"}]"#)
                .handoff(H::PaperDocument)
                .method(M::EligibilityCertificate, false)
                .no_identity(0)
        },
        Case {
            presented: Some(Presented::UnreadableDevice),
            ..case("card or phone? a phone: the portal screen", r#"[{"tap":"unsure"}, "this_is_my_phone"]"#)
                .handoff(H::ConfirmPortalScreen)
                .method(M::PortalScreenCheckedByStaff, false)
                .no_identity(0)
        },
        Case {
            presented: Some(Presented::OtherCard),
            outcome: Outcome::TimedOut { at: Step::WrongCard },
            ..case("card or phone? a card: named, then nothing", r#"[{"tap":"unsure"}, "this_is_a_card", {"wait_seconds": 91}]"#)
                .unverified()
                .no_identity(0)
        },
        case(
            "card or phone? a card, then the My Number card",
            r#"[{"tap":"unsure"}, "this_is_a_card", "remove", {"tap":"card"}, {"pin":"1234"}, {"consent":"all"}, {"high_cost_limit":true}, {"prescription":"electronic"}]"#,
        ),
        Case {
            presented: None,
            outcome: Outcome::TimedOut { at: Step::WrongCard },
            ..case("card or phone? no answer", r#"[{"tap":"unsure"}, {"wait_seconds": 91}]"#)
                .unverified()
                .no_identity(0)
        },
        Case {
            presented: Some(Presented::UnreadableDevice),
            ..case("document menu: only the phone's Mynaportal screen", r#"["paper_documents", "this_is_my_phone"]"#)
                .handoff(H::ConfirmPortalScreen)
                .method(M::PortalScreenCheckedByStaff, false)
                .no_identity(0)
        },
        Case {
            presented: Some(Presented::UnreadableDevice),
            ..case("payment card that is really a phone", r#"[{"tap":"payment"}, "this_is_my_phone"]"#)
                .handoff(H::ConfirmPortalScreen)
                .method(M::PortalScreenCheckedByStaff, false)
                .no_identity(0)
        },
        case(
            "card removed before the PIN, tapped again: PIN kept and sent once",
            r#"["tap", "remove", {"pin":"1234"}, "tap", {"consent":"all"}, {"high_cost_limit":true}, {"prescription":"electronic"}]"#,
        ),
        Case {
            // Identify, the certificate's expiry, tries, then the card is gone at VERIFY:
            // nothing was sent.
            remove_after_ops: Some(3),
            verifies: 1,
            ..case(
                "card removed mid-read, tapped again",
                r#"["tap", {"pin":"1234"}, "tap", {"pin":"1234"}, {"consent":"all"}, {"high_cost_limit":true}, {"prescription":"electronic"}]"#,
            )
        },
        Case {
            gateway: Ok(result(Validity::Invalid)),
            ..case("eligibility invalid", HAPPY).handoff(H::EligibilityInvalid).unverified()
        },
        Case {
            gateway: Ok(result(Validity::NoEligibility)),
            ..case("no eligibility", HAPPY).handoff(H::NoEligibility).unverified()
        },
        Case {
            gateway: Ok(result(Validity::SeveralMatches)),
            ..case("several matches", HAPPY).handoff(H::SeveralMatches)
        },
        Case {
            gateway: Err("down".into()),
            ..case("gateway outage on the query", HAPPY).handoff(H::GatewayUnavailable).unverified()
        },
        Case {
            gateway: Err("refused: certificate revoked".into()),
            ..case("gateway refuses the card's proof", HAPPY)
                .handoff(H::CertificateNotAccepted)
                .unverified()
        },
        Case {
            challenge_fails: true,
            ..case("gateway outage before the PIN is typed", r#"["tap"]"#)
                .handoff(H::GatewayUnavailable)
                .unverified()
                .no_identity(0)
        },
        Case {
            latency: Duration::from_secs(8),
            ..case("slow gateway within the timeout", HAPPY)
        },
        Case {
            latency: Duration::from_secs(120),
            ..case("gateway timeout", HAPPY).handoff(H::GatewayUnavailable).unverified()
        },
        Case {
            outcome: Outcome::Cancelled { at: Step::PinEntry },
            ..case("cancel at the PIN pad", r#"["tap", "cancel"]"#).unverified().no_identity(0)
        },
        Case {
            presented: None,
            ..case("call staff from the welcome screen", r#"["call_staff"]"#)
                .handoff(H::PatientCalledStaff)
                .unverified()
                .no_identity(0)
        },
        case("call staff mid-consent", r#"["tap", {"pin":"1234"}, "call_staff"]"#)
            .handoff(H::PatientCalledStaff)
            .unverified(),
        // The patient's choice is recorded apart from the PIN guard's (rows above).
        case("ask staff to check instead of a PIN", r#"["tap", "ask_staff_to_check"]"#)
            .handoff(H::PatientAskedStaffToCheck)
            .unverified()
            .no_identity(0),
        Case {
            reader_down_after: Some(1),
            ..case("reader out of service at the PIN pad", r#"["tap"]"#)
                .handoff(H::ReaderOutOfService)
                .unverified()
                .no_identity(0)
        },
        Case {
            reader_down_after: Some(3),
            ..case(
                "reader out of service while asking for another tap",
                r#"["tap", "remove", {"pin":"1234"}]"#,
            )
            .handoff(H::ReaderOutOfService)
            .unverified()
            .no_identity(0)
        },
        Case {
            reader_down_after: Some(2),
            ..case("reader out of service mid-consent: the check-in carries on", HAPPY)
        },
        Case {
            reader_down_after: Some(5),
            ..case("reader out of service while querying: the check-in carries on", HAPPY)
        },
        case(
            "do not consent: every item refused, the check-in goes on",
            r#"["tap", {"pin":"1234"}, {"consent":"none"}, {"high_cost_limit":false}, {"prescription":"paper"}]"#,
        ),
        case(
            "back at a consent item: the last item is asked again",
            r#"["tap", {"pin":"1234"}, {"consent":{"medical_and_drug_info":true,"surgery_info":true,"health_check_info":true}}, "back", {"consent":{"health_check_info":false}}, {"high_cost_limit":false}, {"prescription":"paper"}]"#,
        ),
        case(
            "back at the high-cost limit: the consent choice again, then no consent",
            r#"["tap", {"pin":"1234"}, {"consent":"all"}, "back", {"consent":"none"}, {"high_cost_limit":false}, {"prescription":"paper"}]"#,
        ),
        case(
            "back at the prescription: the limit question again",
            r#"["tap", {"pin":"1234"}, {"consent":"all"}, {"high_cost_limit":true}, "back", {"high_cost_limit":false}, {"prescription":"paper"}]"#,
        ),
        case(
            "back on the document menu opened from welcome, then the card",
            r#"["paper_documents", "back", "tap", {"pin":"1234"}, {"consent":"all"}, {"high_cost_limit":true}, {"prescription":"electronic"}]"#,
        ),
        Case {
            presented: Some(Presented::EligibilityCertificate),
            ..case(
                "another card, the document menu, back, then the menu again",
                r#"[{"tap":"licence"}, "paper_documents", "back", "paper_documents", {"declare":"eligibility_certificate"}]"#,
            )
            .handoff(H::PaperDocument)
            .method(M::EligibilityCertificate, false)
            .no_identity(0)
        },
        Case {
            reader_down_after: Some(0),
            presented: Some(Presented::Nothing),
            ..case(
                "paper documents while the reader is out of service",
                r#"["paper_documents", {"declare":"nothing"}]"#,
            )
            .handoff(H::PaperDocument)
            .unverified()
            .no_identity(0)
        },
        Case {
            reader_down_after: Some(0),
            presented: None,
            ..case("call staff while the reader is out of service", r#"["call_staff"]"#)
                .handoff(H::PatientCalledStaff)
                .unverified()
                .no_identity(0)
        },
    ]
}

/// Runs the script, with the reader going out of service after `down_after` steps (no script
/// step says that: it is fed to the flow as the PC/SC adapter would).
fn run_with_reader_down<R: ReaderPort, G: Gateway, S: StorePort>(
    driver: &mut Driver<R, G, S>,
    script: &PatientScript,
    down_after: usize,
) -> Result<Committed, ScriptError> {
    let before = driver.committed().len();
    for i in 0..=script.steps.len() {
        if i == down_after {
            let now = driver.now;
            driver
                .flow
                .handle(now, Input::ReaderDown(ReaderTrouble::NoReader));
            driver.wait(Duration::ZERO);
        }
        if let Some(step) = script.steps.get(i) {
            driver.step(step)?;
        }
    }
    driver.wait_for_machines();
    driver
        .committed()
        .get(before..)
        .and_then(|c| c.last())
        .cloned()
        .ok_or_else(|| ScriptError(format!("nothing recorded; {:?}", driver.screen())))
}

fn driver(c: &Case) -> Driver<FakeReader, FakeGateway, MemoryStore> {
    let facility = FacilityConfig {
        reads_smartphones: c.reads_phones,
        ..FacilityConfig::default()
    };
    let flow = CheckInFlow::new(Rules::embedded(), facility);
    let mut reader = FakeReader::new(FakeCard {
        kind: c.card,
        pin: "1234",
        tries: c.tries,
        verified: false,
    });
    reader.remove_after_ops = c.remove_after_ops;
    let gateway = FakeGateway {
        challenge_fails: c.challenge_fails,
        result: c.gateway.clone(),
        latency: c.latency,
        queries: 0,
    };
    Driver::new(flow, c.visit, reader, gateway, MemoryStore::default())
}

fn run(c: &Case) -> (CheckInRecord, FakeReader, FakeGateway) {
    let mut driver = driver(c);
    let script = PatientScript::parse(&format!(r#"{{"steps": {}}}"#, c.script)).unwrap();
    let committed = match c.reader_down_after {
        None => driver.run(&script),
        Some(n) => run_with_reader_down(&mut driver, &script, n),
    }
    .unwrap_or_else(|e| panic!("{}: {e}", c.name));
    assert_eq!(
        driver.store.records.len(),
        1,
        "{}: one record per check-in",
        c.name
    );
    (committed.record, driver.reader, driver.gateway)
}

#[test]
fn every_path_ends_recorded_as_expected() {
    for c in cases() {
        let (record, reader, _) = run(&c);
        assert_eq!(record.outcome, c.outcome, "{}: outcome", c.name);
        // The name is kept for staff only when the gateway answered and staff must act.
        let staff_need_name =
            record.eligibility.is_some() && matches!(record.outcome, Outcome::HandedToStaff { .. });
        assert_eq!(
            record.patient_name.is_some(),
            staff_need_name,
            "{}: name kept",
            c.name
        );
        // A case's method is, on a handoff, only the route the kiosk expects staff to take: the
        // method is known when staff close it, and nothing counts until then (issue 16 item 4;
        // the check-in core issue's "method on the handed-over record" was wrong).
        let handoff = matches!(record.outcome, Outcome::HandedToStaff { .. });
        let (method, route, counts) = if handoff {
            (None, c.verification, false)
        } else {
            (c.verification, None, c.counts)
        };
        assert_eq!(record.verification, method, "{}: verification", c.name);
        assert_eq!(record.expected_route, route, "{}: expected route", c.name);
        assert_eq!(
            record.counts_toward_usage_rate, counts,
            "{}: counts",
            c.name
        );
        assert_eq!(record.identity, c.identity, "{}: identity", c.name);
        assert_eq!(record.presented, c.presented, "{}: presented", c.name);
        assert_eq!(reader.verify_count, c.verifies, "{}: VERIFY count", c.name);
        assert_eq!(
            record.wrong_pin_entries, c.wrong_pins,
            "{}: wrong PINs",
            c.name
        );
        assert!(
            reader.default.tries > 0 || c.tries == 0,
            "{}: card locked by us",
            c.name
        );
        if let Outcome::HandedToStaff { .. } = record.outcome {
            assert!(
                !record.checklist.is_empty(),
                "{}: handoff without checklist",
                c.name
            );
        }
    }
}

#[test]
fn portal_screen_handoff_tells_staff_it_does_not_count() {
    let c = Case {
        card: Tapped::UnreadableDevice,
        ..case("portal", r#"["tap"]"#)
    };
    let (record, _, gateway) = run(&c);
    assert!(
        record
            .checklist
            .contains(&ChecklistItem::CheckPortalEligibilityScreen)
    );
    assert!(
        record
            .checklist
            .contains(&ChecklistItem::NotCountedTowardUsageRate)
    );
    assert!(record.checklist.contains(&ChecklistItem::ChargeNormalShare));
    assert_eq!(gateway.queries, 0);
}

#[test]
fn consent_item_by_item_records_each_answer() {
    let c = case(
        "items",
        r#"["tap", {"pin":"1234"}, {"consent":{"medical_and_drug_info":true,"surgery_info":false,"health_check_info":true}}, {"high_cost_limit":false}, {"prescription":"paper"}]"#,
    );
    let (record, _, _) = run(&c);
    assert_eq!(record.consent.mode, Some(ConsentMode::ItemByItem));
    assert_eq!(record.consent.medical_and_drug_info, Some(true));
    assert_eq!(record.consent.surgery_info, Some(false));
    assert_eq!(record.consent.health_check_info, Some(true));
    assert_eq!(record.consent.high_cost_limit_info, Some(false));
}

#[test]
fn no_consent_and_back_record_the_answers_finally_given() {
    let consent = |script: &'static str| run(&case("consent", script)).0.consent;
    let none = consent(
        r#"["tap", {"pin":"1234"}, {"consent":"none"}, {"high_cost_limit":true}, {"prescription":"paper"}]"#,
    );
    assert_eq!(none.mode, Some(ConsentMode::Refused));
    assert_eq!(none.medical_and_drug_info, Some(false));
    assert_eq!(none.surgery_info, Some(false));
    assert_eq!(none.health_check_info, Some(false));
    assert_eq!(none.high_cost_limit_info, Some(true), "asked on its own");
    let item_back = consent(
        r#"["tap", {"pin":"1234"}, {"consent":{"medical_and_drug_info":true,"surgery_info":true,"health_check_info":true}}, "back", {"consent":{"health_check_info":false}}, {"high_cost_limit":false}, {"prescription":"paper"}]"#,
    );
    assert_eq!(item_back.mode, Some(ConsentMode::ItemByItem));
    assert_eq!(item_back.medical_and_drug_info, Some(true));
    assert_eq!(item_back.surgery_info, Some(true));
    assert_eq!(
        item_back.health_check_info,
        Some(false),
        "the answer after back"
    );
    let choice_back = consent(
        r#"["tap", {"pin":"1234"}, {"consent":"all"}, "back", {"consent":"none"}, {"high_cost_limit":false}, {"prescription":"paper"}]"#,
    );
    assert_eq!(choice_back.mode, Some(ConsentMode::Refused));
    assert_eq!(choice_back.medical_and_drug_info, Some(false));
    let limit_back = consent(
        r#"["tap", {"pin":"1234"}, {"consent":"all"}, {"high_cost_limit":true}, "back", {"high_cost_limit":false}, {"prescription":"paper"}]"#,
    );
    assert_eq!(
        limit_back.high_cost_limit_info,
        Some(false),
        "the answer after back"
    );
    assert_eq!(limit_back.mode, Some(ConsentMode::All), "not undone twice");
}

#[test]
fn burden_ratio_comes_from_the_result_or_from_age() {
    let (record, _, _) = run(&case("derived", HAPPY));
    assert_eq!(
        record.eligibility.unwrap().burden_ratio,
        Some(BurdenRatio(30))
    );
    let mut elderly = result(Validity::Valid);
    elderly.burden_ratio = Some(BurdenRatio(10));
    let (record, _, _) = run(&Case {
        gateway: Ok(elderly),
        ..case("explicit", HAPPY)
    });
    assert_eq!(
        record.eligibility.unwrap().burden_ratio,
        Some(BurdenRatio(10))
    );
}

#[test]
fn black_circle_in_the_name_completes_and_flags() {
    let mut r = result(Validity::Valid);
    r.name_contains_black_circle = true;
    let (record, _, _) = run(&Case {
        gateway: Ok(r),
        ..case("●", HAPPY)
    });
    assert_eq!(record.outcome, Outcome::Completed);
    assert!(record.eligibility.unwrap().name_contains_black_circle);
}

#[test]
fn timeout_at_every_input_state_clears_and_records() {
    let table: [(&str, Step); 10] = [
        (r#"[{"tap":"transit"}]"#, Step::WrongCard),
        (r#"[{"tap":"licence"}]"#, Step::WrongCard),
        (r#"[{"tap":"unsure"}]"#, Step::WrongCard),
        (r#"["tap"]"#, Step::PinEntry),
        (r#"["tap", "remove", {"pin":"1234"}]"#, Step::TapAgain),
        (r#"["tap", {"pin":"1234"}]"#, Step::ConsentChoice),
        (
            r#"["tap", {"pin":"1234"}, {"consent":{"medical_and_drug_info":true}}]"#,
            Step::ConsentItem,
        ),
        (
            r#"["tap", {"pin":"1234"}, {"consent":"all"}]"#,
            Step::HighCostLimit,
        ),
        (
            r#"["tap", {"pin":"1234"}, {"consent":"all"}, {"high_cost_limit":true}]"#,
            Step::Prescription,
        ),
        (r#"["paper_documents"]"#, Step::DocumentMenu),
    ];
    for (steps, step) in table {
        let with_wait = format!("{}, {{\"wait_seconds\": 91}}]", &steps[..steps.len() - 1]);
        let facility = FacilityConfig::default();
        let flow = CheckInFlow::new(Rules::embedded(), facility);
        let reader = FakeReader::new(FakeCard {
            kind: Tapped::MyNumberCard,
            pin: "1234",
            tries: 3,
            verified: false,
        });
        let gateway = FakeGateway {
            challenge_fails: false,
            result: Ok(result(Validity::Valid)),
            latency: Duration::ZERO,
            queries: 0,
        };
        let mut driver = Driver::new(flow, VISIT, reader, gateway, MemoryStore::default());
        let script = PatientScript::parse(&format!(r#"{{"steps": {with_wait}}}"#)).unwrap();
        // An item-by-item consent step with a missing item stops at that item: run it by hand.
        let outcome = match driver.run(&script) {
            Ok(c) => {
                assert!(
                    c.record.eligibility.is_none(),
                    "{steps}: numbers kept after a timeout"
                );
                c.record.outcome
            }
            Err(e) if step == Step::ConsentItem => {
                assert!(e.0.contains("surgery_info"), "{e}");
                driver.wait(Duration::from_secs(91));
                driver.committed().last().expect("timed out").record.outcome
            }
            Err(e) => panic!("{steps}: {e}"),
        };
        assert_eq!(outcome, Outcome::TimedOut { at: step }, "{steps}");
        let screens = &driver.screens;
        assert!(
            screens.contains(&uketsuke::flow::Screen::TimedOut),
            "{steps}: {screens:?}"
        );
    }
}

#[test]
fn declared_documents_hand_over_with_the_right_checklist() {
    use ChecklistItem as C;
    use DeclaredDocument as D;
    use VerificationMethod as M;
    let before_end = datetime!(2026-03-31 10:00 +09:00);
    let table = [
        (
            D::EligibilityCertificate,
            VISIT,
            Some(M::EligibilityCertificate),
            C::CheckCertificateValidity,
        ),
        (
            D::EligibilityNoticeWithCard,
            VISIT,
            Some(M::NoticeWithCardCheckedByStaff),
            C::CompareCardPhoto,
        ),
        (
            D::ExpiredInsuranceCard,
            before_end,
            Some(M::ExpiredCardProvisional),
            C::ProvisionalHandlingApplies,
        ),
        (
            D::ExpiredInsuranceCard,
            VISIT,
            None,
            C::ProvisionalHandlingEnded,
        ),
        (D::Nothing, VISIT, None, C::SelfDeclarationForm),
    ];
    for (doc, visit, method, item) in table {
        let name = serde_json::to_string(&doc).unwrap();
        let script: &'static str =
            Box::leak(format!(r#"[{{"declare": {name}}}]"#).into_boxed_str());
        let c = Case {
            visit,
            presented: Some(doc.presented()),
            ..case("declared", script)
                .handoff(HandoffReason::PaperDocument)
                .unverified()
                .no_identity(0)
        };
        let (record, _, _) = run(&c);
        assert_eq!(record.expected_route, method, "{doc:?}");
        assert_eq!(
            record.verification, None,
            "{doc:?}: staff have not closed it"
        );
        assert!(!record.counts_toward_usage_rate, "{doc:?}");
        assert!(
            record.checklist.contains(&item),
            "{doc:?}: {:?}",
            record.checklist
        );
        assert_eq!(record.visit_date, visit.date_naive(), "{doc:?}");
    }
}

#[test]
fn visit_date_is_the_date_in_japan() {
    let c = Case {
        visit: datetime!(2026-11-30 16:30 UTC), // 01:30 on 1 December in Japan
        ..case("late", HAPPY)
    };
    let (record, _, _) = run(&c);
    assert_eq!(record.visit_date, date!(2026 - 12 - 01));
}

#[test]
fn a_late_gateway_answer_never_reaches_the_next_patient() {
    let c = Case {
        latency: Duration::from_secs(120),
        ..case("late", HAPPY)
    };
    let flow = CheckInFlow::new(Rules::embedded(), FacilityConfig::default());
    let reader = FakeReader::new(FakeCard {
        kind: c.card,
        pin: "1234",
        tries: 3,
        verified: false,
    });
    let gateway = FakeGateway {
        challenge_fails: false,
        result: Ok(result(Validity::Valid)),
        latency: c.latency,
        queries: 0,
    };
    let mut driver = Driver::new(flow, VISIT, reader, gateway, MemoryStore::default());
    let first = PatientScript::parse(&format!(r#"{{"steps": {HAPPY}}}"#)).unwrap();
    let r1 = driver.run(&first).unwrap();
    assert_eq!(
        r1.record.outcome,
        Outcome::HandedToStaff {
            reason: HandoffReason::GatewayUnavailable
        }
    );
    // Next patient starts while the first answer is still on its way.
    let second =
        PatientScript::parse(r#"{"steps": ["ok", {"declare": "nothing"}, {"wait_seconds": 200}]}"#)
            .unwrap();
    driver.run(&second).unwrap();
    assert_eq!(driver.store.records.len(), 2);
    assert!(driver.store.records[1].eligibility.is_none());
}

#[test]
fn no_pin_or_certificate_reaches_the_record() {
    let (record, _, _) = run(&case("privacy", HAPPY));
    let json = serde_json::to_string(&record).unwrap();
    assert!(!json.contains("1234"), "{json}");
    assert!(!json.contains("fake cert"), "{json}");
    let _ = PinStatus::Blocked; // the flow's vocabulary, not the record's
}

/// "Call staff" and "cancel" during a check-in ask first (review 2026-11 row 13, cross-screen
/// 4). Each row: the script up to a screen, what the patient presses there (each after the
/// milliseconds given since the one before, on the virtual clock), then either what is recorded
/// or, for "back", the script that finishes from the very screen left and what it records.
#[test]
fn call_staff_and_cancel_end_the_check_in_only_once_confirmed() {
    use PatientAction as A;
    let dead = u64::from(FacilityConfig::default().consent_dead_time_ms);
    let idle = u64::from(FacilityConfig::default().idle_timeout_seconds) * 1000;
    enum Then {
        /// Recorded at once, with this outcome.
        Recorded(Outcome),
        /// Nothing recorded: this screen shows.
        Shows(Screen),
        /// The screen before the presses is back, exactly; this script then finishes and records
        /// a completed check-in with these wrong PINs and this consent mode.
        Back(&'static str, u8, ConsentMode),
    }
    let handed = Outcome::HandedToStaff {
        reason: HandoffReason::PatientCalledStaff,
    };
    /// A row's name, the script before, the presses (ms after the one before, what) and after.
    type Row = (&'static str, &'static str, Vec<(u64, PatientAction)>, Then);
    let rows: Vec<Row> = vec![
        (
            "call staff at the PIN pad, confirmed: handed over",
            r#"["tap"]"#,
            vec![(0, A::CallStaff), (dead, A::ConfirmEnd)],
            Then::Recorded(handed),
        ),
        (
            "call staff mid-consent, confirmed: handed over",
            r#"["tap", {"pin":"1234"}]"#,
            vec![(0, A::CallStaff), (dead, A::ConfirmEnd)],
            Then::Recorded(handed),
        ),
        (
            "call staff, then back: the PIN pad with its wrong try kept",
            r#"["tap", {"pin":"0000"}]"#,
            vec![(0, A::CallStaff), (100, A::Back)],
            Then::Back(
                r#"[{"pin":"1234"}, {"consent":"all"}, {"high_cost_limit":true}, {"prescription":"paper"}]"#,
                1,
                ConsentMode::All,
            ),
        ),
        (
            "cancel, then back: the consents given are kept",
            r#"["tap", {"pin":"1234"}, {"consent":"none"}]"#,
            vec![(0, A::Cancel), (dead, A::Back)],
            Then::Back(
                r#"[{"high_cost_limit":true}, {"prescription":"paper"}]"#,
                0,
                ConsentMode::Refused,
            ),
        ),
        (
            "cancel at the PIN pad, confirmed: cancelled at the PIN pad",
            r#"["tap"]"#,
            vec![(0, A::Cancel), (dead, A::ConfirmEnd)],
            Then::Recorded(Outcome::Cancelled { at: Step::PinEntry }),
        ),
        (
            "cancel on the consent screen, confirmed: cancelled there",
            r#"["tap", {"pin":"1234"}]"#,
            vec![(0, A::Cancel), (dead, A::ConfirmEnd)],
            Then::Recorded(Outcome::Cancelled {
                at: Step::ConsentChoice,
            }),
        ),
        (
            "a double tap on call staff: the second tap within the dead time is ignored",
            r#"["tap"]"#,
            vec![(0, A::CallStaff), (dead / 4, A::ConfirmEnd)],
            Then::Shows(Screen::ConfirmEnd {
                end: Ending::CallStaff,
            }),
        ),
        (
            "cancel, then the top bar's call staff: the question changes, nothing ends",
            r#"["tap"]"#,
            vec![(0, A::Cancel), (dead, A::CallStaff)],
            Then::Shows(Screen::ConfirmEnd {
                end: Ending::CallStaff,
            }),
        ),
        (
            "nobody answers the question: timed out at the step underneath",
            r#"["tap"]"#,
            vec![(0, A::CallStaff), (idle, A::StillHere)],
            Then::Recorded(Outcome::TimedOut { at: Step::PinEntry }),
        ),
        (
            "nobody answers the cancel question mid-consent: timed out there",
            r#"["tap", {"pin":"1234"}, {"consent":"all"}]"#,
            vec![(0, A::Cancel), (idle, A::StillHere)],
            Then::Recorded(Outcome::TimedOut {
                at: Step::HighCostLimit,
            }),
        ),
    ];
    let script = |text: &str| PatientScript::parse(&format!(r#"{{"steps": {text}}}"#)).unwrap();
    for (name, before, presses, then) in rows {
        let mut driver = driver(&case(name, before));
        for step in &script(before).steps {
            driver.step(step).unwrap_or_else(|e| panic!("{name}: {e}"));
        }
        driver.wait_for_machines();
        let underneath = driver.screen();
        for (after_ms, action) in presses {
            driver.wait(Duration::from_millis(after_ms));
            let now = driver.now;
            driver.flow.handle(now, Input::Patient(action));
            driver.wait(Duration::ZERO);
        }
        let records = driver.store.records.len();
        match then {
            Then::Recorded(outcome) => {
                assert_eq!(records, 1, "{name}: one record");
                assert_eq!(driver.store.records[0].outcome, outcome, "{name}");
            }
            Then::Shows(screen) => {
                assert_eq!(records, 0, "{name}: nothing ended");
                assert_eq!(driver.screen(), screen, "{name}");
            }
            Then::Back(rest, wrong_pins, mode) => {
                assert_eq!(records, 0, "{name}: nothing ended");
                assert_eq!(driver.screen(), underneath, "{name}: the same screen");
                let record = driver
                    .run(&script(rest))
                    .unwrap_or_else(|e| panic!("{name}: {e}"))
                    .record;
                assert_eq!(record.outcome, Outcome::Completed, "{name}");
                assert_eq!(record.wrong_pin_entries, wrong_pins, "{name}: wrong PINs");
                assert_eq!(record.consent.mode, Some(mode), "{name}: consent");
                assert_eq!(driver.store.records.len(), 1, "{name}: one record");
            }
        }
        println!("{name}: ok (dead time {dead} ms)");
    }
}
