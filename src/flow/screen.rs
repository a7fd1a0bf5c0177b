//! What the patient sees, as data. The UI adapter turns a [`View`] into pixels and words; the
//! flow decides which screen it is.

use chrono::{DateTime, FixedOffset};
use serde::Serialize;

use crate::domain::{
    BurdenRatio, ConsentItem, DeclaredDocument, HandoffReason, Presented, ReceptionNumber, Step,
    Tapped,
};

use super::ports::ReaderTrouble;
use crate::rules::WaitingPlace;

/// Which credential's PIN is being asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Credential {
    /// The My Number card's user-authentication PIN.
    Card,
    /// The Android phone's smartphone-certificate PIN.
    Phone,
}

/// What the done screen tells about the user-authentication certificate's expiry. Dates are
/// days in Japan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "certificate")]
pub enum CertificateNote {
    /// Expires within the warning window; valid through `not_after`.
    ExpiresOn { not_after: crate::dates::Date },
    /// Expired after `not_after`; the card confirms eligibility (only) through `renew_by`.
    ExpiredRenewBy {
        not_after: crate::dates::Date,
        renew_by: crate::dates::Date,
    },
}

/// How the patient asked to end a check-in under way, while the kiosk asks "are you sure?"
/// (review 2026-11 row 13, cross-screen 4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Ending {
    /// "Call staff" (top bar, or the not-read screen's body): hands the check-in to staff.
    CallStaff,
    /// "Cancel" (top bar): records the check-in as cancelled.
    Cancel,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "screen")]
#[non_exhaustive]
pub enum Screen {
    /// Tap a card or phone; buttons for paper documents and calling staff.
    Welcome,
    /// Shown instead of the welcome screen while the card reader is out of service: cards
    /// cannot be read now, please go to reception. The paper-documents and call-staff buttons
    /// still work (they need no reader). Not a patient-input screen: nothing to clear or time
    /// out, no check-in is under way.
    OutOfService {
        trouble: ReaderTrouble,
    },
    /// Shown instead of the welcome screen while staff have closed the kiosk (for lunch, for
    /// cleaning): please go to the reception desk. Nothing on it starts a check-in; not a
    /// patient-input screen. `reopens_at`: when staff expect to reopen it, if they said
    /// (review 2026-11 row 34: "reopens at about 13:30"); the screen shows it only while it
    /// is still ahead.
    Paused {
        #[serde(with = "crate::dates::rfc3339::option")]
        reopens_at: Option<DateTime<FixedOffset>>,
    },
    /// "Keep it still": the reader is working.
    Reading,
    /// A transit card, payment card, old resident card or another card that is not the My
    /// Number card (`Tapped::OtherCard`): say what it is and what to tap.
    WrongCard {
        kind: Tapped,
    },
    /// "Is this a card or a phone?": two buttons (`ItIsACard`, `ItIsMyPhone`).
    CardOrPhone,
    /// Nothing could be read: tap again.
    NotRead,
    /// The card left the reader mid-way: tap again; what was confirmed is kept. `credential`
    /// is what was presented (a card until a phone is known), so the words name it.
    TapAgain {
        pin_kept: bool,
        credential: Credential,
    },
    PinEntry {
        credential: Credential,
        tries_left: u8,
        last_attempt_wrong: bool,
    },
    /// Checking the PIN and signing: keep the card still.
    Verifying,
    ConsentChoice {
        items: Vec<ConsentItem>,
    },
    ConsentItem {
        item: ConsentItem,
        /// 1-based position among the items asked, and how many there are.
        position: usize,
        of: usize,
    },
    HighCostLimit,
    Prescription,
    /// 「医療費助成の各種受給者証を利用しますか」: whether the card stands for the patient's
    /// medical subsidy certificate (受給者証) today. Asked after the consent questions of a card
    /// or phone check-in, only where the facility is connected (`medical_aid_on_card`) and from
    /// the rules' date (`medical_aid_certificate_question`). Answers wait out the dead time.
    MedicalAidCertificate,
    /// 「受診する診療科を選んでください」: one large button per department (facility
    /// `departments` or ORCA's list), after the other questions of a card or phone check-in,
    /// only where the clinic has two or more departments and the facility fixes none. Answers
    /// wait out the dead time; "back" undoes the last answer.
    ChooseDepartment {
        departments: Vec<crate::departments::DepartmentLabel>,
    },
    /// Waiting for the eligibility answer.
    Querying,
    /// 「マイナ保険証を、となりの顔認証付きカードリーダーに置いてください」: the kiosk's reader
    /// told a card (or, where that reader reads phones, a phone) and the certified reader beside
    /// the kiosk confirms identity (face or PIN there) and eligibility (`--gateway oqs:DIR`,
    /// issue 17 item 1). The kiosk waits for the terminal's result file; no PIN here. Not a
    /// patient-input screen: its deadline is `certified_reader.face_result_timeout_seconds`.
    UseCertifiedReader {
        credential: Credential,
        /// The reader stands to the kiosk's left (`certified_reader.side`): the picture's
        /// arrow points left.
        reader_on_left: bool,
    },
    /// Which paper document the patient has.
    DocumentMenu,
    /// Recording the check-in.
    Saving,
    Done {
        burden_ratio: Option<BurdenRatio>,
        reception_number: Option<ReceptionNumber>,
        /// The certificate expires soon or has expired (in its grace period): the date and how
        /// to renew (issue 16 item 1).
        certificate: Option<CertificateNote>,
    },
    Handoff {
        reason: HandoffReason,
        reception_number: Option<ReceptionNumber>,
        presented: Option<Presented>,
        declared: Option<DeclaredDocument>,
    },
    /// "Call staff?" or "Stop this check-in?", over the screen the patient was on: nothing
    /// has ended yet. `PatientAction::ConfirmEnd` ends it (not within `consent_dead_time_ms`
    /// of this screen appearing: a double tap must not confirm); `PatientAction::Back`
    /// returns to the screen underneath as it was. Reader and gateway answers carry on
    /// underneath.
    ConfirmEnd {
        end: Ending,
    },
    Cancelled,
    /// The screen was cleared for privacy after nobody touched it.
    TimedOut,
    /// The check-in could not be recorded: go to reception. No number was stored, so the
    /// screen shows what the clerk can match the patient by: this kiosk's name and the time
    /// (review 2026-11 row 14); `presented` words it for a card or a phone.
    SaveFailed {
        kiosk: String,
        #[serde(with = "crate::dates::rfc3339")]
        at: DateTime<FixedOffset>,
        presented: Option<Presented>,
    },
}

impl Screen {
    /// The view that shows this screen. A wrong card the kiosk cannot name (a mute or unknown
    /// thing never gets here: the flow asks for another tap) shows as "not read", the honest
    /// answer.
    pub fn view_name(&self) -> ViewName {
        match self {
            Screen::Welcome => ViewName::Welcome,
            Screen::OutOfService { .. } => ViewName::OutOfService,
            Screen::Paused { .. } => ViewName::Paused,
            Screen::Reading => ViewName::Reading,
            Screen::WrongCard { kind } => match kind {
                Tapped::TransitCard
                | Tapped::PaymentCard
                | Tapped::OldResidentCard
                | Tapped::OtherCard => ViewName::WrongCard,
                _ => ViewName::NotRead,
            },
            Screen::CardOrPhone => ViewName::CardOrPhone,
            Screen::NotRead => ViewName::NotRead,
            Screen::TapAgain { .. } => ViewName::TapAgain,
            Screen::PinEntry { .. } => ViewName::PinEntry,
            Screen::Verifying => ViewName::Verifying,
            Screen::ConsentChoice { .. } => ViewName::ConsentChoice,
            Screen::ConsentItem { .. } => ViewName::ConsentItem,
            Screen::HighCostLimit => ViewName::HighCostLimit,
            Screen::Prescription => ViewName::Prescription,
            Screen::MedicalAidCertificate => ViewName::MedicalAid,
            Screen::ChooseDepartment { .. } => ViewName::ChooseDepartment,
            Screen::Querying => ViewName::Querying,
            Screen::UseCertifiedReader { .. } => ViewName::CertifiedReader,
            Screen::DocumentMenu => ViewName::DocumentMenu,
            Screen::Saving => ViewName::Saving,
            Screen::Done { .. } => ViewName::Done,
            Screen::Handoff { .. } => ViewName::Handoff,
            Screen::ConfirmEnd { .. } => ViewName::ConfirmEnd,
            Screen::Cancelled => ViewName::Cancelled,
            Screen::TimedOut => ViewName::TimedOut,
            Screen::SaveFailed { .. } => ViewName::SaveFailed,
        }
    }

    /// The step a patient-input screen belongs to; `None` for screens that wait on a machine.
    pub fn input_step(&self) -> Option<Step> {
        Some(match self {
            Screen::WrongCard { .. } | Screen::CardOrPhone | Screen::NotRead => Step::WrongCard,
            Screen::TapAgain { .. } => Step::TapAgain,
            Screen::PinEntry { .. } => Step::PinEntry,
            Screen::ConsentChoice { .. } => Step::ConsentChoice,
            Screen::ConsentItem { .. } => Step::ConsentItem,
            Screen::HighCostLimit => Step::HighCostLimit,
            Screen::Prescription => Step::Prescription,
            Screen::MedicalAidCertificate => Step::MedicalAidCertificate,
            Screen::ChooseDepartment { .. } => Step::ChooseDepartment,
            Screen::DocumentMenu => Step::DocumentMenu,
            _ => return None,
        })
    }
}

/// Which view shows a [`Screen`], without the screen's data: one name per patient view. The UI
/// draws the view of this name and the voice speaks the prompt of this name
/// (`voice::speech::Prompt` is this type), so what is seen and what is heard always agree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ViewName {
    Welcome,
    Reading,
    WrongCard,
    CardOrPhone,
    NotRead,
    TapAgain,
    PinEntry,
    Verifying,
    ConsentChoice,
    ConsentItem,
    HighCostLimit,
    Prescription,
    MedicalAid,
    ChooseDepartment,
    Querying,
    CertifiedReader,
    DocumentMenu,
    Saving,
    Done,
    Handoff,
    ConfirmEnd,
    Cancelled,
    TimedOut,
    SaveFailed,
    OutOfService,
    Paused,
}

impl ViewName {
    /// Every view name, in screen order.
    pub const ALL: [ViewName; 26] = [
        ViewName::Welcome,
        ViewName::Reading,
        ViewName::WrongCard,
        ViewName::CardOrPhone,
        ViewName::NotRead,
        ViewName::TapAgain,
        ViewName::PinEntry,
        ViewName::Verifying,
        ViewName::ConsentChoice,
        ViewName::ConsentItem,
        ViewName::HighCostLimit,
        ViewName::Prescription,
        ViewName::MedicalAid,
        ViewName::ChooseDepartment,
        ViewName::Querying,
        ViewName::CertifiedReader,
        ViewName::DocumentMenu,
        ViewName::Saving,
        ViewName::Done,
        ViewName::Handoff,
        ViewName::ConfirmEnd,
        ViewName::Cancelled,
        ViewName::TimedOut,
        ViewName::SaveFailed,
        ViewName::OutOfService,
        ViewName::Paused,
    ];

    /// The kebab-case name: the Slint `ScreenKind`'s, the voice clip's file stem in the cache and
    /// the `Voice` global's property (`ui/voice.slint`).
    pub fn id(self) -> &'static str {
        match self {
            ViewName::Welcome => "welcome",
            ViewName::Reading => "reading",
            ViewName::WrongCard => "wrong-card",
            ViewName::CardOrPhone => "card-or-phone",
            ViewName::NotRead => "not-read",
            ViewName::TapAgain => "tap-again",
            ViewName::PinEntry => "pin-entry",
            ViewName::Verifying => "verifying",
            ViewName::ConsentChoice => "consent-choice",
            ViewName::ConsentItem => "consent-item",
            ViewName::HighCostLimit => "high-cost-limit",
            ViewName::Prescription => "prescription",
            ViewName::MedicalAid => "medical-aid",
            ViewName::ChooseDepartment => "choose-department",
            ViewName::Querying => "querying",
            ViewName::CertifiedReader => "certified-reader",
            ViewName::DocumentMenu => "document-menu",
            ViewName::Saving => "saving",
            ViewName::Done => "done",
            ViewName::Handoff => "handoff",
            ViewName::ConfirmEnd => "confirm-end",
            ViewName::Cancelled => "cancelled",
            ViewName::TimedOut => "timed-out",
            ViewName::SaveFailed => "save-failed",
            ViewName::OutOfService => "out-of-service",
            ViewName::Paused => "paused",
        }
    }
}

/// The screen and, at patient-input screens, when it will be cleared if nobody touches it (the
/// UI shows a countdown near the end).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct View {
    #[serde(flatten)]
    pub screen: Screen,
    #[serde(with = "crate::dates::rfc3339::option")]
    pub idle_deadline: Option<DateTime<FixedOffset>>,
    /// The screen shows a "back" button (`PatientAction::Back`): the document menu, and a
    /// consent item, high-cost limit or prescription screen with an earlier answer to undo.
    pub can_go_back: bool,
    /// Where the called-staff handoff asks the patient to wait (the facility's
    /// `waiting_place`). Not in the JSON view: a setting, not what the flow decided.
    #[serde(skip)]
    pub waiting_place: WaitingPlace,
    /// On the final screen of a check-in whose visit date is after the provisional handling of
    /// expired insurance cards ended (rules `provisional_handling.until`): the paper-document
    /// handoff for an old insurance card says the card no longer works and what to bring
    /// instead, rather than "show your old card". False on every other screen.
    #[serde(skip)]
    pub provisional_handling_ended: bool,
    /// On the done screen of a check-in whose patient chose a department: its names, for
    /// 「内科で受付しました」. `None` on every other screen.
    #[serde(skip)]
    pub department: Option<crate::departments::DepartmentLabel>,
}
