//! The flow with the certified reader beside the kiosk (`--gateway oqs:DIR`, issue 17 item 1),
//! driven input by input on virtual time: what the kiosk's own reader still does, where the
//! card goes, and how each answer of the gateway ends the check-in.

use chrono::{DateTime, FixedOffset, TimeDelta};

use super::{CheckInFlow, Command, GatewayOp, GatewayReply, Input, ReaderOp, ReaderReply};
use crate::domain::{
    CertificateExpiry, CheckInRecord, ChecklistItem, ConsentAnswers, EligibilityResult,
    HandoffReason, Outcome, Presented, Tapped, UnboundFaceResult, Validity, VerificationMethod,
};
use crate::flow::{Credential, Screen, StoreReply};
use crate::rules::{FacilityConfig, Rules};

fn start() -> DateTime<FixedOffset> {
    crate::datetime!(2026 - 11 - 30 01:00 UTC)
}

fn facility(reads_phones: bool) -> FacilityConfig {
    let mut f = FacilityConfig {
        asks_prescription_form: false,
        ..FacilityConfig::default()
    };
    f.certified_reader.enabled = true;
    f.certified_reader.reads_phones = reads_phones;
    f.certified_reader.face_result_timeout_seconds = 120;
    f
}

fn result(validity: Validity) -> EligibilityResult {
    EligibilityResult {
        validity,
        insurer_number: Some("06139999".into()),
        symbol: Some("12".into()),
        number: Some("3456".into()),
        branch: Some("01".into()),
        birth_date: Some(crate::date!(1980 - 04 - 01)),
        burden_ratio: None,
        valid_from: None,
        valid_until: None,
        name_contains_black_circle: false,
        reference_number: None,
        reader_consent: Some(reader_answers()),
        high_cost_limit_category: None,
        name: None,
    }
}

/// What the patient answered on the certified reader (its result file says).
fn reader_answers() -> ConsentAnswers {
    ConsentAnswers {
        medical_and_drug_info: Some(true),
        surgery_info: Some(false),
        health_check_info: Some(true),
        high_cost_limit_info: Some(true),
        ..ConsentAnswers::default()
    }
}

/// Every command the flow issued, and the flow, after a tap of `tapped` (a card's certificate
/// read answers `expiry`).
struct Run {
    flow: CheckInFlow,
    now: DateTime<FixedOffset>,
    commands: Vec<Command>,
    await_ticket: Option<super::Ticket>,
}

impl Run {
    fn tap(reads_phones: bool, tapped: Tapped, expiry: Option<CertificateExpiry>) -> Run {
        let mut run = Run {
            flow: CheckInFlow::new(Rules::embedded(), facility(reads_phones)),
            now: start(),
            commands: Vec::new(),
            await_ticket: None,
        };
        run.input(Input::CardPresent);
        for _ in 0..4 {
            let Some(Command::Reader(ticket, op)) = run.commands.last().cloned() else {
                break;
            };
            let reply = match op {
                ReaderOp::Identify => ReaderReply::Identified(tapped),
                ReaderOp::ReadCertificateExpiry => ReaderReply::CertificateExpiry(expiry),
                other => panic!("the kiosk's reader was asked {other:?}"),
            };
            run.input(Input::Reader(ticket, reply));
        }
        run
    }

    fn input(&mut self, input: Input) {
        self.flow.handle(self.now, input);
        while let Some(command) = self.flow.poll() {
            if let Command::Gateway(ticket, GatewayOp::AwaitCertifiedReader) = &command {
                self.await_ticket = Some(*ticket);
            }
            self.commands.push(command);
        }
    }

    fn answer(&mut self, reply: GatewayReply) {
        self.now += TimeDelta::seconds(30);
        let ticket = self.await_ticket.expect("the certified reader was awaited");
        self.input(Input::Gateway(ticket, reply));
    }

    /// The record the flow asked to persist (and commits it).
    fn persisted(&mut self) -> CheckInRecord {
        let (ticket, record) = self
            .commands
            .iter()
            .find_map(|c| match c {
                Command::Persist(t, r) => Some((*t, (**r).clone())),
                _ => None,
            })
            .expect("the check-in was persisted");
        self.input(Input::Store(
            ticket,
            StoreReply::Committed {
                check_in_id: 1,
                reception_number: None,
            },
        ));
        record
    }
}

#[test]
fn a_card_is_sent_to_the_certified_reader_without_pin_or_challenge() {
    let run = Run::tap(false, Tapped::MyNumberCard, None);
    assert_eq!(
        run.flow.view().screen,
        Screen::UseCertifiedReader {
            credential: Credential::Card,
            reader_on_left: false,
        }
    );
    assert!(run.await_ticket.is_some(), "{:?}", run.commands);
    // The kiosk's reader told the card and read its certificate expiry, nothing more.
    let reader_ops: Vec<_> = run
        .commands
        .iter()
        .filter_map(|c| match c {
            Command::Reader(_, op) => Some(op.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(
        reader_ops,
        vec![ReaderOp::Identify, ReaderOp::ReadCertificateExpiry]
    );
    assert!(
        !run.commands
            .iter()
            .any(|c| matches!(c, Command::Gateway(_, GatewayOp::RequestChallenge))),
        "no challenge: nothing is signed on the kiosk"
    );
    assert_eq!(
        run.flow.view().idle_deadline,
        None,
        "the timeout is the reader's"
    );
}

#[test]
fn each_answer_of_the_certified_reader_ends_the_check_in_as_it_should() {
    use UnboundFaceResult as U;
    let handed = |reason| Outcome::HandedToStaff { reason };
    // (answer, outcome, verification recorded, expected route, checklist)
    let mut table: Vec<(
        GatewayReply,
        Outcome,
        Option<VerificationMethod>,
        Vec<ChecklistItem>,
    )> = vec![
        (
            GatewayReply::Answered(result(Validity::Valid)),
            Outcome::Completed,
            Some(VerificationMethod::CardViaReader),
            vec![],
        ),
        (
            GatewayReply::Answered(result(Validity::Invalid)),
            handed(HandoffReason::EligibilityInvalid),
            None,
            vec![
                ChecklistItem::AskForNewerDocument,
                ChecklistItem::PastRecordOralCheck,
                ChecklistItem::SelfDeclarationForm,
                ChecklistItem::ChargeNormalShare,
            ],
        ),
        (
            GatewayReply::Unavailable("the folder is gone".into()),
            handed(HandoffReason::GatewayUnavailable),
            None,
            vec![
                ChecklistItem::PastRecordOralCheck,
                ChecklistItem::SelfDeclarationForm,
                ChecklistItem::ChargeNormalShare,
            ],
        ),
    ];
    for cause in [
        U::SeveralFiles,
        U::OtherFacility,
        U::Stale,
        U::NoneInTime,
        U::Unreadable,
        U::ErrorFile,
        U::NotUsable,
        U::OtherSessionMayOwn,
    ] {
        table.push((
            GatewayReply::NotBound(cause),
            handed(HandoffReason::ConfirmResultAtDesk),
            None,
            vec![cause.checklist_item(), ChecklistItem::CheckResultOnTerminal],
        ));
    }
    for (reply, outcome, verification, checklist) in table {
        let what = format!("{reply:?}");
        let mut run = Run::tap(false, Tapped::MyNumberCard, None);
        run.answer(reply);
        let record = run.persisted();
        assert_eq!(record.outcome, outcome, "{what}");
        assert_eq!(record.verification, verification, "{what}");
        assert_eq!(
            record.counts_toward_usage_rate,
            verification.is_some(),
            "{what}"
        );
        if outcome == handed(HandoffReason::ConfirmResultAtDesk) {
            assert_eq!(
                record.expected_route,
                Some(VerificationMethod::CardViaReader),
                "{what}: staff are expected to confirm the card's result"
            );
        }
        assert_eq!(record.checklist, checklist, "{what}");
        // The reader's answers are taken with a valid result, never asked again.
        let want = if outcome == Outcome::Completed {
            reader_answers()
        } else {
            ConsentAnswers::default()
        };
        assert_eq!(record.consent, want, "{what}");
        assert_eq!(record.presented, Some(Presented::MyNumberCard), "{what}");
    }
}

#[test]
fn no_file_in_time_hands_over_as_none_in_time() {
    let mut run = Run::tap(false, Tapped::MyNumberCard, None);
    let deadline = run.flow.next_deadline().expect("a deadline");
    assert_eq!(deadline, start() + TimeDelta::seconds(120));
    run.now = deadline;
    run.input(Input::Tick);
    let record = run.persisted();
    assert_eq!(
        record.outcome,
        Outcome::HandedToStaff {
            reason: HandoffReason::ConfirmResultAtDesk
        }
    );
    assert_eq!(
        record.checklist,
        vec![
            ChecklistItem::FaceResultNoneInTime,
            ChecklistItem::CheckResultOnTerminal
        ]
    );
    // A result after that is for nobody.
    run.answer(GatewayReply::Answered(result(Validity::Valid)));
    assert!(matches!(run.flow.view().screen, Screen::Handoff { .. }));
}

#[test]
fn a_phone_goes_to_the_certified_reader_only_where_it_reads_phones() {
    let mut portal = Run::tap(false, Tapped::AndroidPhone, None);
    assert!(portal.await_ticket.is_none());
    let record = portal.persisted();
    assert_eq!(
        record.outcome,
        Outcome::HandedToStaff {
            reason: HandoffReason::ConfirmPortalScreen
        },
        "exactly as today"
    );
    assert!(!record.counts_toward_usage_rate);

    let mut phone = Run::tap(true, Tapped::AndroidPhone, None);
    assert_eq!(
        phone.flow.view().screen,
        Screen::UseCertifiedReader {
            credential: Credential::Phone,
            reader_on_left: false,
        }
    );
    phone.answer(GatewayReply::Answered(result(Validity::Valid)));
    let record = phone.persisted();
    assert_eq!(
        record.verification,
        Some(VerificationMethod::SmartphoneViaReader)
    );
    assert!(record.counts_toward_usage_rate);
}

#[test]
fn a_card_expired_beyond_grace_never_goes_to_the_certified_reader() {
    let expiry = CertificateExpiry {
        not_after: crate::date!(2026 - 03 - 01),
    };
    let mut run = Run::tap(false, Tapped::MyNumberCard, Some(expiry));
    assert!(run.await_ticket.is_none(), "{:?}", run.commands);
    let record = run.persisted();
    assert_eq!(
        record.outcome,
        Outcome::HandedToStaff {
            reason: HandoffReason::CertificateExpired
        }
    );
}

#[test]
fn a_wrong_card_is_told_as_today() {
    let run = Run::tap(false, Tapped::TransitCard, None);
    assert_eq!(
        run.flow.view().screen,
        Screen::WrongCard {
            kind: Tapped::TransitCard
        }
    );
    assert!(run.await_ticket.is_none());
}

#[test]
fn cancel_while_waiting_asks_first_and_records_a_cancel_at_the_query_step() {
    let mut run = Run::tap(false, Tapped::MyNumberCard, None);
    run.input(Input::Patient(super::PatientAction::Cancel));
    assert!(matches!(run.flow.view().screen, Screen::ConfirmEnd { .. }));
    run.now += TimeDelta::seconds(5);
    run.input(Input::Patient(super::PatientAction::ConfirmEnd));
    let record = run.persisted();
    assert_eq!(
        record.outcome,
        Outcome::Cancelled {
            at: crate::domain::Step::Querying
        }
    );
}

#[test]
fn questions_the_reader_did_not_answer_are_asked_on_the_kiosk() {
    let mut run = Run::tap(false, Tapped::MyNumberCard, None);
    let mut partly = result(Validity::Valid);
    partly.reader_consent = Some(ConsentAnswers {
        medical_and_drug_info: Some(true),
        ..ConsentAnswers::default()
    });
    run.answer(GatewayReply::Answered(partly));
    assert_eq!(
        run.flow.view().screen,
        Screen::ConsentChoice {
            items: vec![
                crate::domain::ConsentItem::SurgeryInfo,
                crate::domain::ConsentItem::HealthCheckInfo
            ]
        },
        "only the two the reader's file leaves open"
    );

    // A file that says nothing of consent: the kiosk asks as it does for its own reader.
    let mut run = Run::tap(false, Tapped::MyNumberCard, None);
    let mut silent = result(Validity::Valid);
    silent.reader_consent = None;
    run.answer(GatewayReply::Answered(silent));
    assert!(matches!(
        run.flow.view().screen,
        Screen::ConsentChoice { ref items } if items.len() == 3
    ));
}
