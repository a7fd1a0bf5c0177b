//! The words of the reception desk: what a patient presents, how identity and eligibility were
//! verified, what they consented to, what the eligibility system answered, and how the check-in
//! ended.
//!
//! Owns: plain data types shared by the flow and every adapter.
//! Must not know: SQL, PC/SC, Slint, HTTP, the clock.

use std::fmt;

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};

use crate::dates::Date;

/// What the reader found on its field after one tap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Tapped {
    /// JPKI token `JPKIAPICCTOKEN2`.
    MyNumberCard,
    /// JPKI token `JPKIAPGPSETOKEN`: an Android phone carrying the smartphone certificate.
    AndroidPhone,
    /// JPKI token `JPKIAPICCTOKEN`: the old Basic Resident Registration card (住基カード).
    OldResidentCard,
    /// FeliCa transit or shopping IC card (Suica, PASMO, ...).
    TransitCard,
    /// A contactless payment card (answers the EMV payment directory).
    PaymentCard,
    /// Answers, but has no JPKI application: an iPhone or another phone or device we cannot read.
    UnreadableDevice,
    /// A card that is not the My Number card (a driving licence, a residence card, a clinic's
    /// card with a chip, an HPKI card): it has no JPKI application and is no phone.
    OtherCard,
    /// No JPKI application, and nothing it answered tells a card from a phone: ask the patient.
    CardOrPhone,
    /// Nothing usable came back: ask for another tap.
    Mute,
}

/// What the patient presented, by tap or by declaring a paper document on screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Presented {
    MyNumberCard,
    AndroidPhone,
    /// A phone or contactless device this kiosk cannot read (or any phone, where the facility
    /// does not read phones).
    UnreadableDevice,
    OldResidentCard,
    TransitCard,
    PaymentCard,
    /// A card that is not the My Number card (driving licence, residence card, ...).
    OtherCard,
    /// 資格確認書.
    EligibilityCertificate,
    /// 資格情報のお知らせ together with the My Number card.
    EligibilityNoticeWithCard,
    /// An old health insurance card, expired on 2025-12-01.
    ExpiredInsuranceCard,
    /// The patient has nothing with them.
    Nothing,
}

/// A paper document (or none) the patient declares on the kiosk screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeclaredDocument {
    EligibilityCertificate,
    EligibilityNoticeWithCard,
    ExpiredInsuranceCard,
    Nothing,
}

impl DeclaredDocument {
    pub const ALL: [DeclaredDocument; 4] = [
        Self::EligibilityCertificate,
        Self::EligibilityNoticeWithCard,
        Self::ExpiredInsuranceCard,
        Self::Nothing,
    ];

    pub fn presented(self) -> Presented {
        match self {
            Self::EligibilityCertificate => Presented::EligibilityCertificate,
            Self::EligibilityNoticeWithCard => Presented::EligibilityNoticeWithCard,
            Self::ExpiredInsuranceCard => Presented::ExpiredInsuranceCard,
            Self::Nothing => Presented::Nothing,
        }
    }
}

/// How the person in front of the kiosk was shown to be the card's holder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdentityMethod {
    PinOnCard,
    PinOnPhone,
    StaffVisualCheck,
}

/// How eligibility was confirmed. This is what the usage-rate report counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VerificationMethod {
    CardViaReader,
    SmartphoneViaReader,
    PortalScreenCheckedByStaff,
    NoticeWithCardCheckedByStaff,
    EligibilityCertificate,
    ExpiredCardProvisional,
    SelfDeclarationForm,
    PastRecord,
}

impl VerificationMethod {
    pub const ALL: [VerificationMethod; 8] = [
        Self::CardViaReader,
        Self::SmartphoneViaReader,
        Self::PortalScreenCheckedByStaff,
        Self::NoticeWithCardCheckedByStaff,
        Self::EligibilityCertificate,
        Self::ExpiredCardProvisional,
        Self::SelfDeclarationForm,
        Self::PastRecord,
    ];

    /// The stable name used in JSON, the database and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CardViaReader => "card_via_reader",
            Self::SmartphoneViaReader => "smartphone_via_reader",
            Self::PortalScreenCheckedByStaff => "portal_screen_checked_by_staff",
            Self::NoticeWithCardCheckedByStaff => "notice_with_card_checked_by_staff",
            Self::EligibilityCertificate => "eligibility_certificate",
            Self::ExpiredCardProvisional => "expired_card_provisional",
            Self::SelfDeclarationForm => "self_declaration_form",
            Self::PastRecord => "past_record",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == s)
    }

    /// The method's one Japanese name, in reception staff's words (「マイナ保険証（カード）」,
    /// 「資格情報画面をスタッフが確認」, …). Used on the console's pages, in the audit log's
    /// sentences (`audit::sentence`) and in the month report and its CSV (`report`), so staff
    /// read the same words everywhere; `as_str` is the code for programs.
    pub fn japanese(self) -> &'static str {
        match self {
            Self::CardViaReader => "マイナ保険証（カード）",
            Self::SmartphoneViaReader => "マイナ保険証（スマホ）",
            Self::PortalScreenCheckedByStaff => "資格情報画面をスタッフが確認",
            Self::NoticeWithCardCheckedByStaff => "カードと資格情報のお知らせをスタッフが確認",
            Self::EligibilityCertificate => "資格確認書",
            Self::ExpiredCardProvisional => "期限切れ保険証（暫定的な取扱い）",
            Self::SelfDeclarationForm => "被保険者資格申立書",
            Self::PastRecord => "受付歴と口頭確認",
        }
    }
}

/// The three information items offered on one screen ("all" or item by item).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsentItem {
    /// 診療・薬剤情報.
    MedicalAndDrugInfo,
    /// 手術情報.
    SurgeryInfo,
    /// 特定健診等情報.
    HealthCheckInfo,
}

impl ConsentItem {
    pub const ALL: [ConsentItem; 3] = [
        Self::MedicalAndDrugInfo,
        Self::SurgeryInfo,
        Self::HealthCheckInfo,
    ];
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PrescriptionForm {
    Electronic,
    Paper,
}

/// How the three information items were answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConsentMode {
    All,
    ItemByItem,
    /// "Do not agree" on the first consent screen: every item is recorded as refused (`false`).
    /// Care is the same without consent (review 2026-11 row 8).
    Refused,
}

/// The patient's consent answers. `None` means the question was not asked (facility setting,
/// or the check-in ended before it).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentAnswers {
    pub mode: Option<ConsentMode>,
    pub medical_and_drug_info: Option<bool>,
    pub surgery_info: Option<bool>,
    pub health_check_info: Option<bool>,
    /// 限度額適用認定証 / 特定疾病 information.
    pub high_cost_limit_info: Option<bool>,
    pub prescription_form: Option<PrescriptionForm>,
    /// The medical-aid question (「医療費助成の各種受給者証を利用しますか」, from the date in
    /// `config/rules.json` `medical_aid_certificate_question`, only where the facility file says
    /// `medical_aid_on_card`): `Some(true)` the patient uses the card as the children's or
    /// single-parent medical subsidy certificate (受給者証) today, `Some(false)` not (they hand
    /// in the paper one), `None` not asked.
    #[serde(default)]
    pub medical_aid_certificate: Option<bool>,
}

impl ConsentAnswers {
    pub fn item(&self, item: ConsentItem) -> Option<bool> {
        match item {
            ConsentItem::MedicalAndDrugInfo => self.medical_and_drug_info,
            ConsentItem::SurgeryInfo => self.surgery_info,
            ConsentItem::HealthCheckInfo => self.health_check_info,
        }
    }

    pub fn set_item(&mut self, item: ConsentItem, answer: bool) {
        let slot = match item {
            ConsentItem::MedicalAndDrugInfo => &mut self.medical_and_drug_info,
            ConsentItem::SurgeryInfo => &mut self.surgery_info,
            ConsentItem::HealthCheckInfo => &mut self.health_check_info,
        };
        *slot = Some(answer);
    }

    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// `QualificationValidity` of an eligibility result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Validity {
    /// 1: valid.
    Valid,
    /// 2: invalid.
    Invalid,
    /// 3: invalid, but a newer eligibility exists.
    InvalidNewerExists,
    /// 4: no matching eligibility.
    NoEligibility,
    /// 5: several matches.
    SeveralMatches,
}

/// The patient's share of the cost, in percent (10 = 1割, 20 = 2割, 30 = 3割).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct BurdenRatio(pub u8);

impl BurdenRatio {
    /// "3割" style, as printed on Japanese documents.
    pub fn wari(self) -> String {
        if self.0.is_multiple_of(10) {
            format!("{}割", self.0 / 10)
        } else {
            format!("{}%", self.0)
        }
    }
}

impl fmt::Display for BurdenRatio {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}%", self.0)
    }
}

/// Where the burden ratio in a record came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RatioSource {
    /// Carried by the eligibility result (75+, or the 70–74 elderly recipient certificate).
    Result,
    /// Derived from the age at the visit date with the rules table.
    DerivedFromAge,
}

/// What an eligibility gateway answers. Carries the birth date only so the flow can derive the
/// burden ratio; the flow never stores it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EligibilityResult {
    pub validity: Validity,
    pub insurer_number: Option<String>,
    /// 記号.
    pub symbol: Option<String>,
    /// 番号.
    pub number: Option<String>,
    /// 枝番 (2 digits).
    pub branch: Option<String>,
    pub birth_date: Option<Date>,
    /// The ratio when the result carries one (75+, 70–74).
    pub burden_ratio: Option<BurdenRatio>,
    pub valid_from: Option<Date>,
    pub valid_until: Option<Date>,
    /// "●" stands in the name: characters the national system cannot represent. Not an error.
    pub name_contains_black_circle: bool,
    /// 照会番号: the clinic's own patient number registered against the person.
    pub reference_number: Option<String>,
    /// What the patient already answered on the certified face-authentication reader, when the
    /// result came from the eligibility terminal's face file (`src/oqs`): 診療・薬剤情報,
    /// 手術情報, 特定健診等情報, 限度額 information and the prescription form, each `None` when
    /// the file does not say. `None` for gateways where the kiosk asks (integration-formats.md
    /// §1.5 consent flags, §1.6 OQSCD016/OQSCD017).
    #[serde(default)]
    pub reader_consent: Option<ConsentAnswers>,
    /// 限度額適用認定証 category as the result gives it (OQSCD012 code, `A01`…`A06`, `B01`…`B10`;
    /// integration-formats.md §1.6), present only when the patient agreed to share it.
    #[serde(default)]
    pub high_cost_limit_category: Option<String>,
    /// The name as the result spells it, "●" and all. Kept only while a handoff is open, so
    /// staff can call the patient; never serialized.
    #[serde(skip)]
    pub name: Option<PatientName>,
}

/// A patient's name exactly as the eligibility result gives it: "●" where the national system
/// cannot represent a character, and whatever else the text holds (never substituted, never
/// interpreted). Debug output hides it, so logs never carry a name.
#[derive(Clone, PartialEq, Eq)]
pub struct PatientName {
    pub name: String,
    /// The reading (カナ氏名), when the result carries one.
    pub kana: Option<String>,
    /// The birth date, set by the flow only on a completed check-in where ORCA matches
    /// patients by kana and birth date (`orca.patient_match = kana_birth_date`): it travels in
    /// the outbox payload for that match and is erased once delivered. Never in a column.
    pub birth_date: Option<Date>,
}

impl PatientName {
    /// Whether the name carries the "●" placeholder.
    pub fn has_black_circle(&self) -> bool {
        name_contains_black_circle(&self.name)
    }
}

impl fmt::Debug for PatientName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PatientName({} chars)", self.name.chars().count())
    }
}

/// Whether a name from an eligibility result carries the "●" placeholder.
pub fn name_contains_black_circle(name: &str) -> bool {
    name.contains('●')
}

/// What the kiosk keeps of an eligibility result: no name, no birth date, no address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EligibilitySummary {
    pub validity: Validity,
    pub insurer_number: Option<String>,
    pub symbol: Option<String>,
    pub number: Option<String>,
    pub branch: Option<String>,
    pub burden_ratio: Option<BurdenRatio>,
    pub burden_ratio_source: Option<RatioSource>,
    pub valid_from: Option<Date>,
    pub valid_until: Option<Date>,
    pub name_contains_black_circle: bool,
    pub reference_number: Option<String>,
}

/// Why a person at reception must act.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum HandoffReason {
    /// A phone the kiosk cannot read: the patient shows Mynaportal's 資格情報画面.
    ConfirmPortalScreen,
    /// The PIN guard stopped PIN entry: one try left (a wrong PIN would lock the card), or a
    /// card that twice hid its tries count. Staff compare the card photo by eye.
    StaffVisualCheck,
    /// The patient asked on the PIN pad ("I don't know my PIN, or my card has no PIN": a
    /// PIN-less face-authentication card issued since 2023-12, a forgotten PIN). Staff compare
    /// the card photo by eye, as for `StaffVisualCheck`; kept apart so the staff panel and the
    /// console can say why.
    PatientAskedStaffToCheck,
    /// The card's PIN is blocked.
    CardBlocked,
    /// The patient declared a paper document (or nothing).
    PaperDocument,
    EligibilityInvalid,
    NoEligibility,
    SeveralMatches,
    /// The eligibility gateway failed or did not answer in time.
    GatewayUnavailable,
    /// The gateway refused the card's proof: its certificate was not accepted (revoked,
    /// expired, not from a known CA) or its signature did not verify. Not an outage; the
    /// certified readers' equivalent is "the certificate is revoked or expired".
    CertificateNotAccepted,
    /// The card's user-authentication certificate expired beyond its grace period (a phone's:
    /// any expiry), read before the PIN on a card: no PIN was asked, the card cannot confirm
    /// eligibility. Not counted (issue 16 item 1).
    CertificateExpired,
    /// The patient pressed "call staff".
    PatientCalledStaff,
    /// The card reader went out of service (PC/SC service stopped, no reader) before the card
    /// part of the check-in was done: staff confirm identity and eligibility by hand.
    ReaderOutOfService,
    /// The patient verified at the certified face-authentication reader beside the kiosk
    /// (`--gateway oqs:DIR`), but the kiosk could not bind one result file to this check-in
    /// for certain ([`UnboundFaceResult`] says why, in the checklist): staff confirm the result
    /// on the eligibility terminal. Never a guess (issue 17 item 1).
    ConfirmResultAtDesk,
}

impl HandoffReason {
    /// Whether the handoff screen asks the patient to do something before staff can help
    /// (open Mynaportal and log in, take out a document, a card or a phone and show it), so
    /// it stays for `action_screen_seconds`: the portal screen, a paper document, the visual
    /// check, a locked card, invalid or missing eligibility, a certificate not accepted. The
    /// rest only send the patient to the desk or ask them to wait (issue 14 Build item 3).
    pub fn patient_must_act(self) -> bool {
        match self {
            Self::ConfirmPortalScreen
            | Self::PaperDocument
            | Self::StaffVisualCheck
            | Self::PatientAskedStaffToCheck
            | Self::CardBlocked
            | Self::EligibilityInvalid
            | Self::NoEligibility
            | Self::CertificateNotAccepted
            | Self::CertificateExpired => true,
            Self::SeveralMatches
            | Self::GatewayUnavailable
            | Self::PatientCalledStaff
            | Self::ReaderOutOfService
            | Self::ConfirmResultAtDesk => false,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::ConfirmPortalScreen => "confirm_portal_screen",
            Self::StaffVisualCheck => "staff_visual_check",
            Self::PatientAskedStaffToCheck => "patient_asked_staff_to_check",
            Self::CardBlocked => "card_blocked",
            Self::PaperDocument => "paper_document",
            Self::EligibilityInvalid => "eligibility_invalid",
            Self::NoEligibility => "no_eligibility",
            Self::SeveralMatches => "several_matches",
            Self::GatewayUnavailable => "gateway_unavailable",
            Self::CertificateNotAccepted => "certificate_not_accepted",
            Self::CertificateExpired => "certificate_expired",
            Self::PatientCalledStaff => "patient_called_staff",
            Self::ReaderOutOfService => "reader_out_of_service",
            Self::ConfirmResultAtDesk => "confirm_result_at_desk",
        }
    }

    pub const ALL: [HandoffReason; 14] = [
        Self::ConfirmPortalScreen,
        Self::StaffVisualCheck,
        Self::PatientAskedStaffToCheck,
        Self::CardBlocked,
        Self::PaperDocument,
        Self::EligibilityInvalid,
        Self::NoEligibility,
        Self::SeveralMatches,
        Self::GatewayUnavailable,
        Self::CertificateNotAccepted,
        Self::CertificateExpired,
        Self::PatientCalledStaff,
        Self::ReaderOutOfService,
        Self::ConfirmResultAtDesk,
    ];

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// One thing staff should do or check for a handoff. The text lives with the views.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ChecklistItem {
    /// Look at the 資格情報画面 the patient opens in Mynaportal on their phone.
    CheckPortalEligibilityScreen,
    /// Copy insurer number, symbol, number and branch from the screen or document.
    RecordInsuranceNumbers,
    /// Compare the card's photo with the patient.
    CompareCardPhoto,
    /// The PIN guard handed over with one PIN try left: a wrong PIN at the desk's reader would
    /// lock the card too, so staff check by eye (目視確認モード) and never let the patient type
    /// the PIN (review 2026-11 row 6).
    NoPinAtDeskOneTryLeft,
    /// The card twice hid its PIN tries count: the PIN is never sent to it, at the desk either.
    NoPinAtDeskTriesUnknown,
    /// Check the 資格確認書's validity period.
    CheckCertificateValidity,
    /// A person 75+ may show the provisionally issued 資格確認書 (rules: end date).
    ElderlyCertificateProvisional,
    /// After the blanket 75+ 資格確認書 ended (rules `elderly_eligibility_certificate.until`):
    /// whether a 75+ patient has a 資格確認書 depends on the insurer (at least one sends it to
    /// 85+ only; others by whether the patient holds a マイナ保険証), so staff do not assume one.
    ElderlyCertificateDependsOnInsurer,
    /// Query eligibility online by the document's numbers.
    QueryOnlineByNumbers,
    /// Provisional handling for expired cards and notices applies (until the rules' end date).
    ProvisionalHandlingApplies,
    /// Provisional handling has ended: the expired card alone no longer confirms eligibility.
    ProvisionalHandlingEnded,
    /// Returning patient: confirm from past records with an oral check.
    PastRecordOralCheck,
    /// First visit: the self-declaration form (被保険者資格申立書).
    SelfDeclarationForm,
    /// Charge the normal share, never 10割.
    ChargeNormalShare,
    /// Ask the patient to bring the card or 資格確認書 next time.
    AskForCardNextTime,
    /// The PIN is locked: reset at the municipal office.
    PinResetAtMunicipalOffice,
    /// The card's certificate was not accepted: the patient renews it at the municipal office
    /// (電子証明書の更新).
    RenewCertificateAtMunicipalOffice,
    /// A completed check-in whose certificate expires within the warning window: the patient
    /// was told the date and how to renew (issue 16 item 1).
    CertificateExpiresSoon,
    /// A completed check-in whose certificate has expired, within the grace period: eligibility
    /// only (no medical information shared); the patient was told by when to renew.
    CertificateExpiredInGrace,
    /// Several eligibility records matched: choose the right one with the patient.
    ChooseAmongMatches,
    /// Eligibility came back invalid: ask for the 資格確認書 or the notice.
    AskForNewerDocument,
    /// Not counted toward the My Number usage rate.
    NotCountedTowardUsageRate,
    /// Ask the patient what they need.
    AskWhatTheyNeed,
    /// The card reader stopped answering with a card on it: unplug its USB cable and plug it
    /// in again (the kiosk notices by itself once it answers).
    RePlugCardReader,
    /// Another program holds the card reader: close it (the kiosk notices by itself once the
    /// reader is free).
    CloseOtherReaderProgram,
    /// The certified reader's result was not bound to this check-in: look up this patient's
    /// result on the eligibility terminal's screen (資格確認端末) and confirm it there.
    CheckResultOnTerminal,
    /// Why it was not bound ([`UnboundFaceResult`]): two result files in the waiting window.
    FaceResultSeveralFiles,
    /// The result file names another facility's 医療機関コード.
    FaceResultOtherFacility,
    /// The result file is stale: its name's date is not today, or its time is before the
    /// kiosk started waiting.
    FaceResultStale,
    /// No result file came before the kiosk's timeout (`face_result_timeout_seconds`).
    FaceResultNoneInTime,
    /// The result file could not be read completely (it vanished, stayed incomplete, or is
    /// not well-formed or safe XML).
    FaceResultUnreadable,
    /// The terminal wrote an error result (SegmentOfResult or ProcessingResultStatus not 1).
    FaceResultError,
    /// The result is one the kiosk never decides alone (several results, a duplicated field).
    FaceResultNotUsable,
    /// Another patient's check-in may own the file: another kiosk waited on the same folder,
    /// or an earlier patient's result could still arrive late (the quiet period).
    FaceResultOtherSessionMayOwn,
}

/// Why the kiosk did not bind a result file of the certified reader to the check-in in front
/// of it (issue 17 item 1, conservative binding; integration-formats.md §1.1, §1.2, §1.6, MR):
/// each becomes a [`HandoffReason::ConfirmResultAtDesk`] with its own [`ChecklistItem`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnboundFaceResult {
    /// Two or more candidate files in the waiting window: never pick one.
    SeveralFiles,
    /// The file's MedicalInstitutionCode (or name) is another facility's.
    OtherFacility,
    /// The name's date is not today (JST), or its time is before the kiosk started waiting.
    Stale,
    /// Nothing came in time.
    NoneInTime,
    /// The file could not be read completely, or is not well-formed, safe XML.
    Unreadable,
    /// The terminal's own error result.
    ErrorFile,
    /// Several results or a duplicated field: staff decide (MR).
    NotUsable,
    /// Another kiosk waited on the same folder, or the file came in the quiet period after an
    /// earlier patient's unbound wait: it may be someone else's.
    OtherSessionMayOwn,
}

impl UnboundFaceResult {
    /// The stable name used in logs and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SeveralFiles => "several_files",
            Self::OtherFacility => "other_facility",
            Self::Stale => "stale",
            Self::NoneInTime => "none_in_time",
            Self::Unreadable => "unreadable",
            Self::ErrorFile => "error_file",
            Self::NotUsable => "not_usable",
            Self::OtherSessionMayOwn => "other_session_may_own",
        }
    }

    /// The checklist item that keeps this cause for staff and technicians.
    pub fn checklist_item(self) -> ChecklistItem {
        match self {
            Self::SeveralFiles => ChecklistItem::FaceResultSeveralFiles,
            Self::OtherFacility => ChecklistItem::FaceResultOtherFacility,
            Self::Stale => ChecklistItem::FaceResultStale,
            Self::NoneInTime => ChecklistItem::FaceResultNoneInTime,
            Self::Unreadable => ChecklistItem::FaceResultUnreadable,
            Self::ErrorFile => ChecklistItem::FaceResultError,
            Self::NotUsable => ChecklistItem::FaceResultNotUsable,
            Self::OtherSessionMayOwn => ChecklistItem::FaceResultOtherSessionMayOwn,
        }
    }
}

/// How a check-in ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Outcome {
    Completed,
    HandedToStaff { reason: HandoffReason },
    Cancelled { at: Step },
    TimedOut { at: Step },
}

impl Outcome {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Completed => "completed",
            Self::HandedToStaff { .. } => "handed_to_staff",
            Self::Cancelled { .. } => "cancelled",
            Self::TimedOut { .. } => "timed_out",
        }
    }

    pub fn handoff_reason(&self) -> Option<HandoffReason> {
        match self {
            Self::HandedToStaff { reason } => Some(*reason),
            _ => None,
        }
    }
}

/// Where in the check-in the patient was; used to record where a timeout or cancel happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Step {
    Welcome,
    Reading,
    WrongCard,
    TapAgain,
    PinEntry,
    Verifying,
    ConsentChoice,
    ConsentItem,
    HighCostLimit,
    Prescription,
    /// The medical-aid certificate (受給者証) question.
    MedicalAidCertificate,
    /// The department choice (診療科), after the other questions.
    ChooseDepartment,
    Querying,
    DocumentMenu,
}

impl Step {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Welcome => "welcome",
            Self::Reading => "reading",
            Self::WrongCard => "wrong_card",
            Self::TapAgain => "tap_again",
            Self::PinEntry => "pin_entry",
            Self::Verifying => "verifying",
            Self::ConsentChoice => "consent_choice",
            Self::ConsentItem => "consent_item",
            Self::HighCostLimit => "high_cost_limit",
            Self::Prescription => "prescription",
            Self::MedicalAidCertificate => "medical_aid_certificate",
            Self::ChooseDepartment => "choose_department",
            Self::Querying => "querying",
            Self::DocumentMenu => "document_menu",
        }
    }
}

/// Everything the kiosk records about one check-in. The minimum: no birth date, no PIN, no
/// Individual Number, no certificate, and a name only for a handoff while it is open.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckInRecord {
    #[serde(with = "crate::dates::rfc3339")]
    pub started_at: DateTime<FixedOffset>,
    #[serde(with = "crate::dates::rfc3339")]
    pub finished_at: DateTime<FixedOffset>,
    /// The visit date in Japan (JST), which all dated rules are read at.
    pub visit_date: Date,
    pub presented: Option<Presented>,
    pub identity: Option<IdentityMethod>,
    /// How eligibility was confirmed, once that is known: set by the kiosk only on a check-in
    /// it completed, and on a handoff only when staff close it with a method (the store writes
    /// it then). `None` on every check-in the kiosk hands over (issue 16 item 4: an open
    /// handoff is waiting for staff, never verified) and on cancelled or timed-out ones.
    pub verification: Option<VerificationMethod>,
    /// `verification` counts toward the usage rate under the rules of the visit date; `false`
    /// whenever `verification` is `None`.
    pub counts_toward_usage_rate: bool,
    /// On a handoff only: the route the kiosk expects staff to take (the portal screen for an
    /// unreadable phone, the declared document, the card the kiosk read when several records
    /// matched), a hint for the desk, never a confirmation; `None` when the kiosk cannot
    /// tell. Kept after staff close the handoff, whatever they chose.
    #[serde(default)]
    pub expected_route: Option<VerificationMethod>,
    pub consent: ConsentAnswers,
    pub eligibility: Option<EligibilitySummary>,
    pub outcome: Outcome,
    pub checklist: Vec<ChecklistItem>,
    /// Wrong PINs entered at this kiosk during this check-in (never the PIN itself).
    pub wrong_pin_entries: u8,
    /// Which kiosk it happened at (the facility configuration's `kiosk_name`).
    #[serde(default)]
    pub kiosk: String,
    /// For a handoff only: the name from the eligibility result, so staff can call the
    /// patient. The store erases it when the handoff is closed; never serialized.
    #[serde(skip)]
    pub patient_name: Option<PatientName>,
    /// The department (診療科) code the visit is for, as the facility file or ORCA lists it
    /// (e.g. "01"): chosen by the patient, or fixed by the facility (`department`, or its one
    /// department). `None`: no department configured, or not chosen (a handoff before the
    /// question, a cancel, a timeout: staff ask at the desk).
    #[serde(default)]
    pub department: Option<String>,
}

/// What staff recorded when they closed a handoff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HandoffResolution {
    pub closed_as: ClosedAs,
    /// What staff noted, in their words (e.g. "patient left before being called").
    pub note: String,
    /// Who closed it (staff login name).
    pub staff: String,
    #[serde(with = "crate::dates::rfc3339")]
    pub resolved_at: DateTime<FixedOffset>,
}

impl HandoffResolution {
    /// The verification method staff confirmed, if they confirmed eligibility at all.
    pub fn verification(&self) -> Option<VerificationMethod> {
        match &self.closed_as {
            ClosedAs::Verified { verification, .. } => Some(*verification),
            ClosedAs::Unresolved | ClosedAs::Cancelled => None,
        }
    }
}

/// How staff closed a handoff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum ClosedAs {
    /// Eligibility confirmed this way (the usage-rate flag follows from the method and the rules).
    Verified {
        verification: VerificationMethod,
        identity: Option<IdentityMethod>,
        /// The numbers staff read off the patient's screen or document, when they typed them.
        read_off: Option<InsuranceNumbers>,
    },
    /// Staff could not confirm eligibility (the note says why).
    Unresolved,
    /// Opened by mistake, or the patient withdrew.
    Cancelled,
}

impl ClosedAs {
    /// The stable name used in the database and the audit log.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Verified { .. } => "verified",
            Self::Unresolved => "unresolved",
            Self::Cancelled => "cancelled",
        }
    }
}

/// The insurance numbers staff type from the eligibility screen (資格情報画面) or a document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InsuranceNumbers {
    /// 保険者番号: 6 digits (国保) or 8 digits.
    pub insurer_number: String,
    /// 記号 (none for 後期高齢者).
    pub symbol: Option<String>,
    /// 番号.
    pub number: String,
    /// 枝番, 2 digits (none for 後期高齢者).
    pub branch: Option<String>,
    /// 負担割合 as shown; none when the screen shows no ratio (under-70s: staff judge it by
    /// age, domain.md, UNCONFIRMED whether results carry it).
    #[serde(default)]
    pub burden_ratio: Option<BurdenRatio>,
    /// 有効期限, when the screen shows one.
    pub valid_until: Option<Date>,
}

/// A short number the patient is shown and staff call out (受付番号).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ReceptionNumber(pub u32);

impl fmt::Display for ReceptionNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A check-in as the store holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredCheckIn {
    pub id: i64,
    pub reception_number: Option<ReceptionNumber>,
    #[serde(flatten)]
    pub record: CheckInRecord,
    pub resolution: Option<HandoffResolution>,
}

impl StoredCheckIn {
    /// How eligibility was confirmed, once that is known, or `None`.
    ///
    /// A check-in the kiosk completed: the kiosk's method. A handoff: the method staff chose
    /// when they closed it, and nothing while it is open, whatever route the kiosk expected
    /// staff to take (an open portal-screen, notice-with-card or certificate handoff is not a
    /// confirmed eligibility: review 2026-11 row 3). Cancelled, timed out, and handoffs staff
    /// closed as unresolved or cancelled: `None`. The report's denominator and the check-in
    /// list read this, never `record.verification` alone.
    pub fn confirmed_verification(&self) -> Option<VerificationMethod> {
        match self.record.outcome {
            Outcome::Completed => self.record.verification,
            Outcome::HandedToStaff { .. } => self
                .resolution
                .as_ref()
                .and_then(HandoffResolution::verification),
            Outcome::Cancelled { .. } | Outcome::TimedOut { .. } => None,
        }
    }

    /// Whether this is a handoff nobody has closed yet (it is in the queue).
    pub fn is_open_handoff(&self) -> bool {
        matches!(self.record.outcome, Outcome::HandedToStaff { .. }) && self.resolution.is_none()
    }
}

/// A 4-digit PIN typed on the kiosk. Never printed, never stored; wiped when dropped.
#[derive(Clone, PartialEq, Eq)]
pub struct Pin([u8; 4]);

impl Pin {
    /// Accepts exactly four ASCII digits.
    pub fn parse(s: &str) -> Option<Pin> {
        let bytes = s.as_bytes();
        if bytes.len() != 4 || !bytes.iter().all(u8::is_ascii_digit) {
            return None;
        }
        Some(Pin([bytes[0], bytes[1], bytes[2], bytes[3]]))
    }

    /// The ASCII digits, for the VERIFY command's data field only.
    pub fn ascii(&self) -> &[u8; 4] {
        &self.0
    }
}

impl Drop for Pin {
    fn drop(&mut self) {
        // Best effort without unsafe: overwrite before the memory is released.
        self.0 = [0; 4];
        std::hint::black_box(&self.0);
    }
}

impl fmt::Debug for Pin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Pin(****)")
    }
}

/// When the user-authentication certificate on a card or phone expires: its last valid day
/// (`notAfter` in Japan time). Only this date is kept from the certificate, never its body
/// (read by [`crate::expiry::certificate_not_after`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CertificateExpiry {
    pub not_after: crate::dates::Date,
}

/// What carries the certificate: the expiry rules differ (a card has a grace period after
/// expiry, a phone none).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CertificateHolder {
    Card,
    Phone,
}

/// A certificate read from a card (DER). Held in memory only for the eligibility query.
#[derive(Clone, PartialEq, Eq)]
pub struct Certificate(pub Vec<u8>);

impl fmt::Debug for Certificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Certificate({} bytes)", self.0.len())
    }
}

/// A fresh random challenge from the eligibility gateway.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge(pub Vec<u8>);

/// The card's signature over the challenge, made with its user-authentication key.
#[derive(Clone, PartialEq, Eq)]
pub struct Signature(pub Vec<u8>);

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Signature({} bytes)", self.0.len())
    }
}

/// Proof that a PIN-verified card is present: its certificate and its signature over a
/// gateway challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardProof {
    pub certificate: Certificate,
    pub challenge: Challenge,
    pub signature: Signature,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_verification_method_has_its_own_japanese_name() {
        let names: std::collections::BTreeSet<&str> = VerificationMethod::ALL
            .into_iter()
            .map(VerificationMethod::japanese)
            .collect();
        assert_eq!(names.len(), VerificationMethod::ALL.len(), "{names:?}");
        for name in names {
            assert!(!name.is_ascii() && !name.contains('_'), "{name}");
        }
    }

    #[test]
    fn pin_accepts_only_four_digits() {
        assert!(Pin::parse("1234").is_some());
        for bad in ["", "123", "12345", "12a4", "１２３４", " 123"] {
            assert!(Pin::parse(bad).is_none(), "{bad:?}");
        }
        assert_eq!(format!("{:?}", Pin::parse("1234").unwrap()), "Pin(****)");
    }

    #[test]
    fn burden_ratio_reads_in_wari() {
        assert_eq!(BurdenRatio(30).wari(), "3割");
        assert_eq!(BurdenRatio(10).wari(), "1割");
    }

    #[test]
    fn names_round_trip() {
        for m in VerificationMethod::ALL {
            assert_eq!(VerificationMethod::parse(m.as_str()), Some(m));
            assert_eq!(serde_json::to_value(m).unwrap(), m.as_str());
        }
        for r in HandoffReason::ALL {
            assert_eq!(HandoffReason::parse(r.as_str()), Some(r));
            assert_eq!(serde_json::to_value(r).unwrap(), r.as_str());
        }
    }
}
