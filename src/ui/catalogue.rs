//! One example of every screen the patient can meet, for screenshots, the "nothing is cut off"
//! test and the frame benchmark. Each is a [`View`] exactly as the flow would give it.

use chrono::{DateTime, FixedOffset};

use crate::domain::{
    BurdenRatio, ConsentItem, DeclaredDocument, HandoffReason, Presented, ReceptionNumber, Tapped,
};
use crate::flow::staff_mode::{
    CheckQuestion, PanelNote, PendingVisualCheck, PinRefusal, StaffView,
};
use crate::flow::{CertificateNote, Credential, Ending, ReaderTrouble, Screen, View};
use crate::rules::WaitingPlace;
use crate::staff::KioskStaff;

use super::present::OutOfOrder;

/// A screen as a sample: its file name, the flow's view, or the screen `run` shows instead of
/// the flow.
#[derive(Debug, Clone)]
pub struct Sample {
    pub name: String,
    pub view: View,
    /// The out-of-order and "not set up yet" screens are shown by `run`, not the flow: it
    /// passes only why (the technician's detail goes to the journal, never to the screen).
    pub out_of_order: Option<OutOfOrder>,
    /// Seconds before the screen is cleared, to show the countdown.
    pub countdown: Option<i64>,
    /// Staff mode over the patient's screen.
    pub staff: Option<StaffSample>,
    /// The language chooser open over the screen.
    pub language_chooser: bool,
}

/// What staff mode shows, with the reader's state and the staff PIN digits typed so far.
#[derive(Debug, Clone)]
pub struct StaffSample {
    pub view: StaffView,
    pub reader: Option<ReaderTrouble>,
    pub digits_typed: usize,
}

/// The moment every sample is shown at.
pub fn sample_time() -> DateTime<FixedOffset> {
    crate::datetime!(2026-11-21 09:30:00 +09:00)
}

fn sample(name: &str, screen: Screen) -> Sample {
    Sample {
        name: name.to_owned(),
        view: View {
            // Every screen that can show "back" shows it in its sample, so the fit test sees it.
            can_go_back: matches!(
                screen,
                Screen::DocumentMenu
                    | Screen::ConfirmEnd { .. }
                    | Screen::ConsentItem { .. }
                    | Screen::HighCostLimit
                    | Screen::Prescription
                    | Screen::MedicalAidCertificate
                    | Screen::ChooseDepartment { .. }
            ),
            screen,
            idle_deadline: None,
            waiting_place: WaitingPlace::AtKiosk,
            provisional_handling_ended: false,
            department: None,
        },
        out_of_order: None,
        countdown: None,
        staff: None,
        language_chooser: false,
    }
}

/// Every screen, with each variant that changes its words.
pub fn every_screen() -> Vec<Sample> {
    let number = Some(ReceptionNumber(42));
    let mut all = vec![
        sample("welcome", Screen::Welcome),
        sample(
            "out-of-service",
            Screen::OutOfService {
                trouble: ReaderTrouble::NoReader,
            },
        ),
        Sample {
            out_of_order: Some(OutOfOrder::CannotStart),
            ..sample("start-failure", Screen::Welcome)
        },
        Sample {
            out_of_order: Some(OutOfOrder::NotSetUp),
            ..sample("not-set-up", Screen::Welcome)
        },
        sample("paused", Screen::Paused { reopens_at: None }),
        // Staff said when they expect to reopen it (review 2026-11 row 34).
        sample(
            "paused-reopens",
            Screen::Paused {
                reopens_at: Some(sample_time() + chrono::TimeDelta::minutes(35)),
            },
        ),
        sample("reading", Screen::Reading),
        sample(
            "wrong-card-transit",
            Screen::WrongCard {
                kind: Tapped::TransitCard,
            },
        ),
        sample(
            "wrong-card-payment",
            Screen::WrongCard {
                kind: Tapped::PaymentCard,
            },
        ),
        sample(
            "wrong-card-resident",
            Screen::WrongCard {
                kind: Tapped::OldResidentCard,
            },
        ),
        sample(
            "wrong-card-other",
            Screen::WrongCard {
                kind: Tapped::OtherCard,
            },
        ),
        sample("card-or-phone", Screen::CardOrPhone),
        sample("not-read", Screen::NotRead),
        sample(
            "tap-again",
            Screen::TapAgain {
                pin_kept: false,
                credential: Credential::Card,
            },
        ),
        sample(
            "tap-again-pin-kept",
            Screen::TapAgain {
                pin_kept: true,
                credential: Credential::Card,
            },
        ),
        sample(
            "tap-again-phone",
            Screen::TapAgain {
                pin_kept: true,
                credential: Credential::Phone,
            },
        ),
        sample(
            "pin-card",
            Screen::PinEntry {
                credential: Credential::Card,
                tries_left: 3,
                last_attempt_wrong: false,
            },
        ),
        sample(
            "pin-phone",
            Screen::PinEntry {
                credential: Credential::Phone,
                tries_left: 3,
                last_attempt_wrong: false,
            },
        ),
        sample(
            "pin-wrong",
            Screen::PinEntry {
                credential: Credential::Card,
                tries_left: 2,
                last_attempt_wrong: true,
            },
        ),
        Sample {
            countdown: Some(12),
            ..sample(
                "pin-countdown",
                Screen::PinEntry {
                    credential: Credential::Card,
                    tries_left: 3,
                    last_attempt_wrong: false,
                },
            )
        },
        sample(
            "pin-wrong-phone",
            Screen::PinEntry {
                credential: Credential::Phone,
                tries_left: 2,
                last_attempt_wrong: true,
            },
        ),
        sample("verifying", Screen::Verifying),
        sample(
            "consent-choice",
            Screen::ConsentChoice {
                items: ConsentItem::ALL.to_vec(),
            },
        ),
    ];
    for (i, item) in ConsentItem::ALL.into_iter().enumerate() {
        all.push(sample(
            &format!(
                "consent-item-{}",
                match item {
                    ConsentItem::MedicalAndDrugInfo => "medical-and-drug-info",
                    ConsentItem::SurgeryInfo => "surgery-info",
                    ConsentItem::HealthCheckInfo => "health-check-info",
                }
            ),
            Screen::ConsentItem {
                item,
                position: i + 1,
                of: ConsentItem::ALL.len(),
            },
        ));
    }
    all.extend([
        sample("high-cost-limit", Screen::HighCostLimit),
        sample("prescription", Screen::Prescription),
        // Where the facility is connected (`medical_aid_on_card`), from 2026-04-01.
        sample("medical-aid-question", Screen::MedicalAidCertificate),
        // Where the clinic lists several departments (issue 17 item 2): "department" is the
        // screenshot (6), with 2 and 12 (the most that fit without scrolling).
        department_sample("department", DEMO_DEPARTMENTS),
        department_sample("department-2", 2),
        department_sample("department-12", 12),
        sample("querying", Screen::Querying),
        // `--gateway oqs:DIR` (issue 17 item 1): the card goes to the certified reader beside
        // the kiosk; a phone too where that reader reads phones; the reader on the left.
        sample(
            "certified-reader",
            Screen::UseCertifiedReader {
                credential: Credential::Card,
                reader_on_left: false,
            },
        ),
        sample(
            "certified-reader-phone",
            Screen::UseCertifiedReader {
                credential: Credential::Phone,
                reader_on_left: false,
            },
        ),
        sample(
            "certified-reader-left",
            Screen::UseCertifiedReader {
                credential: Credential::Card,
                reader_on_left: true,
            },
        ),
        sample("document-menu", Screen::DocumentMenu),
        sample("saving", Screen::Saving),
        // With the share shown (facility `show_burden_ratio` on), and as by default.
        sample(
            "done",
            Screen::Done {
                burden_ratio: Some(BurdenRatio(30)),
                reception_number: number,
                certificate: None,
            },
        ),
        sample(
            "done-without-share",
            Screen::Done {
                burden_ratio: None,
                reception_number: number,
                certificate: None,
            },
        ),
        // The certificate's expiry at the tap (issue 16 item 1): expiring within the warning
        // window, and expired within the card's grace period (the beyond-grace handoff is
        // `handoff-certificate-expired`).
        sample(
            "certificate-expiring",
            Screen::Done {
                burden_ratio: None,
                reception_number: number,
                certificate: Some(CertificateNote::ExpiresOn {
                    not_after: crate::date!(2027 - 01 - 20),
                }),
            },
        ),
        sample(
            "certificate-grace",
            Screen::Done {
                burden_ratio: None,
                reception_number: number,
                certificate: Some(CertificateNote::ExpiredRenewBy {
                    not_after: crate::date!(2026 - 10 - 21),
                    renew_by: crate::date!(2027 - 01 - 31),
                }),
            },
        ),
    ]);
    // The done screen after the patient chose a department: 「内科で受付しました」.
    let mut done_department = sample(
        "done-with-department",
        Screen::Done {
            burden_ratio: None,
            reception_number: number,
            certificate: None,
        },
    );
    done_department.view.department = sample_departments().get(2).map(crate::departments::label);
    all.push(done_department);
    for reason in HandoffReason::ALL {
        // The patient who asked for the photo check sees the PIN guard's screen
        // (present::handoff_kind): one sample holds both.
        if reason == HandoffReason::PatientAskedStaffToCheck {
            continue;
        }
        let presented = match reason {
            HandoffReason::ConfirmPortalScreen => Some(Presented::UnreadableDevice),
            HandoffReason::PaperDocument => Some(Presented::EligibilityCertificate),
            _ => Some(Presented::MyNumberCard),
        };
        let declared = (reason == HandoffReason::PaperDocument)
            .then_some(DeclaredDocument::EligibilityCertificate);
        all.push(sample(
            &format!("handoff-{}", reason.as_str().replace('_', "-")),
            Screen::Handoff {
                reason,
                reception_number: number,
                presented,
                declared,
            },
        ));
    }
    // The handoffs whose words name the credential, after an Android phone was read.
    for reason in [
        HandoffReason::StaffVisualCheck,
        HandoffReason::CardBlocked,
        HandoffReason::CertificateNotAccepted,
        HandoffReason::CertificateExpired,
    ] {
        all.push(sample(
            &format!("handoff-{}-phone", reason.as_str().replace('_', "-")),
            Screen::Handoff {
                reason,
                reception_number: number,
                presented: Some(Presented::AndroidPhone),
                declared: None,
            },
        ));
    }
    // The called-staff screen with the facility's other waiting place.
    let mut at_desk = sample(
        "handoff-patient-called-staff-at-desk",
        Screen::Handoff {
            reason: HandoffReason::PatientCalledStaff,
            reception_number: number,
            presented: Some(Presented::MyNumberCard),
            declared: None,
        },
    );
    at_desk.view.waiting_place = WaitingPlace::AtReceptionDesk;
    // An old insurance card declared after the provisional handling ended (rules: 2026-03-31):
    // the screen says it no longer works and what to bring instead.
    let mut old_card_ended = sample(
        "handoff-paper-document-old-card-ended",
        Screen::Handoff {
            reason: HandoffReason::PaperDocument,
            reception_number: number,
            presented: Some(DeclaredDocument::ExpiredInsuranceCard.presented()),
            declared: Some(DeclaredDocument::ExpiredInsuranceCard),
        },
    );
    old_card_ended.view.provisional_handling_ended = true;
    let save_failed = |presented| Screen::SaveFailed {
        kiosk: "1F entrance".to_owned(),
        at: sample_time(),
        presented: Some(presented),
    };
    all.extend([
        at_desk,
        old_card_ended,
        sample(
            "confirm-call-staff",
            Screen::ConfirmEnd {
                end: Ending::CallStaff,
            },
        ),
        sample(
            "confirm-cancel",
            Screen::ConfirmEnd {
                end: Ending::Cancel,
            },
        ),
        sample("cancelled", Screen::Cancelled),
        sample("timed-out", Screen::TimedOut),
        sample("save-failed", save_failed(Presented::MyNumberCard)),
        sample("save-failed-phone", save_failed(Presented::AndroidPhone)),
    ]);
    all.extend(staff_screens());
    // The language chooser, opened on the welcome screen.
    all.push(Sample {
        language_chooser: true,
        ..sample("language-chooser", Screen::Welcome)
    });
    for s in &mut all {
        if let Some(left) = s.countdown {
            s.view.idle_deadline = Some(sample_time() + chrono::TimeDelta::seconds(left));
        }
    }
    all
}

/// Staff mode's screens, over the welcome screen: the roster, the kiosk-PIN pad (typing, wrong,
/// locked) and the panel (checks waiting, none, the reader in trouble).
fn staff_screens() -> Vec<Sample> {
    let sato = KioskStaff {
        login: "sato".into(),
        display_name: "佐藤 花子".into(),
    };
    let staff =
        |name: &str, view: StaffView, reader: Option<ReaderTrouble>, digits: usize| Sample {
            staff: Some(StaffSample {
                view,
                reader,
                digits_typed: digits,
            }),
            ..sample(name, Screen::Welcome)
        };
    let pin = |refused| StaffView::Pin {
        who: sato.clone(),
        checking: false,
        refused,
    };
    let waiting =
        |minutes: i64, number: u32, reason, name: Option<(&str, &str)>| PendingVisualCheck {
            check_in_id: i64::from(number),
            reception_number: Some(ReceptionNumber(number)),
            reason,
            handed_over_at: sample_time() - chrono::TimeDelta::minutes(minutes),
            name: name.map(|(name, kana)| crate::domain::PatientName {
                name: name.into(),
                kana: Some(kana.into()),
                birth_date: None,
            }),
        };
    let panel = |checks: Vec<PendingVisualCheck>, note, kiosk_paused| StaffView::Panel {
        who: sato.clone(),
        checks: Some(checks),
        note,
        busy: false,
        kiosk_paused,
        reopens_at: kiosk_paused.then(|| sample_time() + chrono::TimeDelta::minutes(35)),
        asking_reopening: false,
        asking: None,
        question: CheckQuestion::Photo,
    };
    let roster = vec![
        sato.clone(),
        KioskStaff {
            login: "tanaka".into(),
            display_name: "田中 一郎".into(),
        },
        KioskStaff {
            login: "tech".into(),
            display_name: "Technician (Kobayashi)".into(),
        },
    ];
    vec![
        staff(
            "staff-roster",
            StaffView::Roster {
                staff: Some(roster),
                problem: None,
            },
            None,
            0,
        ),
        staff("staff-pin", pin(None), None, 4),
        staff(
            "staff-pin-wrong",
            pin(Some(PinRefusal::Wrong {
                tries_before_lock: 4,
            })),
            None,
            0,
        ),
        staff(
            "staff-pin-locked",
            pin(Some(PinRefusal::Locked {
                until: sample_time() + chrono::TimeDelta::minutes(15),
            })),
            None,
            0,
        ),
        staff(
            "staff-panel",
            panel(
                vec![
                    waiting(
                        2,
                        43,
                        HandoffReason::StaffVisualCheck,
                        Some(("山田 太郎", "ヤマダ タロウ")),
                    ),
                    waiting(9, 41, HandoffReason::CardBlocked, None),
                    waiting(
                        15,
                        38,
                        HandoffReason::ReaderOutOfService,
                        Some(("試験 夏●美", "シケン ナツミ")),
                    ),
                    // Older ones beyond the panel's rows: "2 more, on the console".
                    waiting(40, 31, HandoffReason::StaffVisualCheck, None),
                    waiting(55, 27, HandoffReason::CardBlocked, None),
                ],
                Some(PanelNote::VisualCheckRecorded(Some(ReceptionNumber(40)))),
                false,
            ),
            None,
            0,
        ),
        // A card's button pressed: the question that names the patient, before anything is
        // recorded.
        staff(
            "staff-panel-confirm",
            {
                let yamada = waiting(
                    2,
                    43,
                    HandoffReason::StaffVisualCheck,
                    Some(("山田 太郎", "ヤマダ タロウ")),
                );
                StaffView::Panel {
                    who: sato.clone(),
                    checks: Some(vec![yamada.clone()]),
                    note: None,
                    busy: false,
                    kiosk_paused: false,
                    reopens_at: None,
                    asking_reopening: false,
                    asking: Some(yamada),
                    question: CheckQuestion::Photo,
                }
            },
            None,
            0,
        ),
        // "Close this kiosk" pressed: when will it reopen?
        staff(
            "staff-panel-closing",
            StaffView::Panel {
                who: sato.clone(),
                checks: Some(Vec::new()),
                note: None,
                busy: false,
                kiosk_paused: false,
                reopens_at: None,
                asking_reopening: true,
                asking: None,
                question: CheckQuestion::Photo,
            },
            None,
            0,
        ),
        // The photo matched: the second question, whether the desk's card reader showed the
        // eligibility result (nothing recorded yet).
        staff(
            "staff-panel-confirm-result",
            {
                let yamada = waiting(
                    2,
                    43,
                    HandoffReason::StaffVisualCheck,
                    Some(("山田 太郎", "ヤマダ タロウ")),
                );
                StaffView::Panel {
                    who: sato.clone(),
                    checks: Some(vec![yamada.clone()]),
                    note: None,
                    busy: false,
                    kiosk_paused: false,
                    reopens_at: None,
                    asking_reopening: false,
                    asking: Some(yamada),
                    question: CheckQuestion::Result,
                }
            },
            None,
            0,
        ),
        // No result seen: nothing recorded, left for the desk.
        staff(
            "staff-panel-left-for-desk",
            panel(
                vec![waiting(
                    3,
                    43,
                    HandoffReason::StaffVisualCheck,
                    Some(("山田 太郎", "ヤマダ タロウ")),
                )],
                Some(PanelNote::LeftForDesk(Some(ReceptionNumber(43)))),
                false,
            ),
            None,
            0,
        ),
        staff(
            "staff-panel-reader-missing",
            panel(Vec::new(), None, false),
            Some(ReaderTrouble::NoReader),
            0,
        ),
        staff(
            "staff-panel-reader-not-answering",
            panel(Vec::new(), None, false),
            Some(ReaderTrouble::ReaderNotAnswering),
            0,
        ),
        staff(
            "staff-panel-reader-in-use",
            panel(Vec::new(), None, false),
            Some(ReaderTrouble::ReaderInUse),
            0,
        ),
        staff(
            "staff-panel-kiosk-closed",
            panel(
                vec![waiting(
                    1,
                    44,
                    HandoffReason::PatientAskedStaffToCheck,
                    None,
                )],
                None,
                true,
            ),
            None,
            0,
        ),
    ]
}

/// A clinic's departments for the samples and the demo (its first six), the long names among the
/// first four so every department sample meets them: 「耳鼻咽喉科・頭頸部外科」 (with its English
/// from the facility file, as a clinic would give it) and 産婦人科, "Obstetrics and gynecology".
pub fn sample_departments() -> Vec<crate::departments::Department> {
    let d = |code: &str, name: &str, name_en: Option<&str>| crate::departments::Department {
        code: code.to_owned(),
        name: name.to_owned(),
        name_en: name_en.map(str::to_owned),
    };
    vec![
        d("01", "内科", None),
        d("09", "小児科", None),
        d(
            "27",
            "耳鼻咽喉科・頭頸部外科",
            Some("ENT, head and neck surgery"),
        ),
        d("25", "産婦人科", None),
        d("13", "皮膚科", None),
        d("10", "整形外科", None),
        d("26", "眼科", None),
        d("14", "泌尿器科", None),
        d("02", "循環器内科", None),
        d("03", "消化器内科", None),
        d("04", "心療内科", None),
        d("30", "リハビリテーション科", None),
    ]
}

/// The department question with the first `n` of [`sample_departments`].
fn department_sample(name: &str, n: usize) -> Sample {
    let departments = sample_departments()
        .iter()
        .take(n)
        .map(crate::departments::label)
        .collect();
    sample(name, Screen::ChooseDepartment { departments })
}

/// The number of departments the demo's clinic lists: as the `department` sample, so the demo
/// shows the screenshot's screen.
pub const DEMO_DEPARTMENTS: usize = 6;
