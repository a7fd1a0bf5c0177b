//! One example of every screen the patient can meet, for screenshots, the "nothing is cut off"
//! test and the frame benchmark. Each is a [`View`] exactly as the flow would give it.

use time::OffsetDateTime;

use crate::domain::{
    BurdenRatio, ConsentItem, DeclaredDocument, HandoffReason, Presented, ReceptionNumber, Tapped,
};
use crate::flow::{Credential, ReaderTrouble, Screen, View};

/// A screen as a sample: its file name, the flow's view, and what the out-of-service screen
/// tells technicians.
#[derive(Debug, Clone)]
pub struct Sample {
    pub name: String,
    pub view: View,
    /// The start-up failure screen is shown by the app, not the flow; `technician_detail` is
    /// its reason (the out-of-service screen's comes from the reader trouble in the view).
    pub start_failure: bool,
    pub technician_detail: String,
    /// Seconds before the screen is cleared, to show the countdown.
    pub countdown: Option<i64>,
}

/// The moment every sample is shown at.
pub fn sample_time() -> OffsetDateTime {
    time::macros::datetime!(2026-11-21 09:30:00 +09:00)
}

fn sample(name: &str, screen: Screen) -> Sample {
    Sample {
        name: name.to_owned(),
        view: View {
            screen,
            idle_deadline: None,
        },
        start_failure: false,
        technician_detail: String::new(),
        countdown: None,
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
            start_failure: true,
            technician_detail:
                "cannot open database /var/lib/uketsuke/uketsuke.db: Permission denied".into(),
            ..sample("start-failure", Screen::Welcome)
        },
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
        sample("not-read", Screen::NotRead),
        sample("tap-again", Screen::TapAgain { pin_kept: false }),
        sample("tap-again-pin-kept", Screen::TapAgain { pin_kept: true }),
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
        sample("querying", Screen::Querying),
        sample("document-menu", Screen::DocumentMenu),
        sample("saving", Screen::Saving),
        sample(
            "done",
            Screen::Done {
                burden_ratio: Some(BurdenRatio(30)),
                reception_number: number,
            },
        ),
    ]);
    for reason in HandoffReason::ALL {
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
    all.extend([
        sample("cancelled", Screen::Cancelled),
        sample("timed-out", Screen::TimedOut),
        sample("save-failed", Screen::SaveFailed),
    ]);
    for s in &mut all {
        if let Some(left) = s.countdown {
            s.view.idle_deadline = Some(sample_time() + time::Duration::seconds(left));
        }
    }
    all
}
