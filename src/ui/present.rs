//! The flow's [`View`] as properties of the `Kiosk` global. One function, so what a screen shows
//! is decided in one place.

use std::time::Duration;

use chrono::{DateTime, Datelike, FixedOffset, Timelike};
use slint::ComponentHandle as _;
use uketsuke_views::phrases::{keep_together, keep_words_together};

use crate::domain::{
    ConsentItem, DeclaredDocument, HandoffReason, Presented, ReceptionNumber, Tapped,
};
use crate::flow::staff_mode::{CheckQuestion, PanelNote, PinRefusal, StaffView, short_name};
use crate::flow::{CertificateNote, Credential, Ending, ReaderTrouble, Screen, View, ViewName};
use crate::rules::{FacilityConfig, WaitingPlace};

use super::{
    AppWindow, ConsentTopic, DepartmentChoice, HandoffKind, Kiosk, PaperKind, ReaderState,
    ScreenKind, StaffCheck, StaffNote, StaffProblem, StaffScreen, WrongKind,
};

/// The countdown appears when a patient-input screen is this close to being cleared.
pub const COUNTDOWN: Duration = Duration::from_secs(20);

/// Which view shows a screen.
pub fn screen_kind(screen: &Screen) -> ScreenKind {
    match screen.view_name() {
        ViewName::Welcome => ScreenKind::Welcome,
        ViewName::Reading => ScreenKind::Reading,
        ViewName::WrongCard => ScreenKind::WrongCard,
        ViewName::CardOrPhone => ScreenKind::CardOrPhone,
        ViewName::NotRead => ScreenKind::NotRead,
        ViewName::TapAgain => ScreenKind::TapAgain,
        ViewName::PinEntry => ScreenKind::PinEntry,
        ViewName::Verifying => ScreenKind::Verifying,
        ViewName::ConsentChoice => ScreenKind::ConsentChoice,
        ViewName::ConsentItem => ScreenKind::ConsentItem,
        ViewName::HighCostLimit => ScreenKind::HighCostLimit,
        ViewName::Prescription => ScreenKind::Prescription,
        ViewName::MedicalAid => ScreenKind::MedicalAid,
        ViewName::ChooseDepartment => ScreenKind::ChooseDepartment,
        ViewName::Querying => ScreenKind::Querying,
        ViewName::CertifiedReader => ScreenKind::CertifiedReader,
        ViewName::DocumentMenu => ScreenKind::DocumentMenu,
        ViewName::Saving => ScreenKind::Saving,
        ViewName::Done => ScreenKind::Done,
        ViewName::Handoff => ScreenKind::Handoff,
        ViewName::ConfirmEnd => ScreenKind::ConfirmEnd,
        ViewName::Cancelled => ScreenKind::Cancelled,
        ViewName::TimedOut => ScreenKind::TimedOut,
        ViewName::SaveFailed => ScreenKind::SaveFailed,
        ViewName::OutOfService => ScreenKind::OutOfService,
        ViewName::Paused => ScreenKind::Paused,
    }
}

pub fn handoff_kind(reason: HandoffReason) -> HandoffKind {
    match reason {
        HandoffReason::ConfirmPortalScreen => HandoffKind::ConfirmPortalScreen,
        // The patient who asked sees the same screen as the PIN guard's (the photo check).
        HandoffReason::StaffVisualCheck | HandoffReason::PatientAskedStaffToCheck => {
            HandoffKind::StaffVisualCheck
        }
        HandoffReason::CardBlocked => HandoffKind::CardBlocked,
        HandoffReason::PaperDocument => HandoffKind::PaperDocument,
        HandoffReason::EligibilityInvalid => HandoffKind::EligibilityInvalid,
        HandoffReason::NoEligibility => HandoffKind::NoEligibility,
        HandoffReason::SeveralMatches => HandoffKind::SeveralMatches,
        HandoffReason::GatewayUnavailable => HandoffKind::GatewayUnavailable,
        HandoffReason::CertificateNotAccepted => HandoffKind::CertificateNotAccepted,
        HandoffReason::CertificateExpired => HandoffKind::CertificateExpired,
        HandoffReason::PatientCalledStaff => HandoffKind::PatientCalledStaff,
        HandoffReason::ReaderOutOfService => HandoffKind::ReaderOutOfService,
        HandoffReason::ConfirmResultAtDesk => HandoffKind::ConfirmResultAtDesk,
        #[allow(unreachable_patterns)]
        _ => HandoffKind::PatientCalledStaff,
    }
}

fn consent_topic(item: ConsentItem) -> ConsentTopic {
    match item {
        ConsentItem::MedicalAndDrugInfo => ConsentTopic::MedicalAndDrugInfo,
        ConsentItem::SurgeryInfo => ConsentTopic::SurgeryInfo,
        ConsentItem::HealthCheckInfo => ConsentTopic::HealthCheckInfo,
        #[allow(unreachable_patterns)]
        _ => ConsentTopic::MedicalAndDrugInfo,
    }
}

fn paper_kind(document: Option<DeclaredDocument>) -> PaperKind {
    match document {
        None => PaperKind::None,
        Some(DeclaredDocument::EligibilityCertificate) => PaperKind::EligibilityCertificate,
        Some(DeclaredDocument::EligibilityNoticeWithCard) => PaperKind::EligibilityNoticeWithCard,
        Some(DeclaredDocument::ExpiredInsuranceCard) => PaperKind::ExpiredInsuranceCard,
        Some(DeclaredDocument::Nothing) => PaperKind::Nothing,
        #[allow(unreachable_patterns)]
        Some(_) => PaperKind::Nothing,
    }
}

/// The reception number as shown; empty when there is none (the views then hide its card).
fn number_text(number: Option<ReceptionNumber>) -> slint::SharedString {
    number.map(|n| n.to_string()).unwrap_or_default().into()
}

/// Seconds left before an input screen is cleared, when the countdown should show.
pub fn countdown(view: &View, now: DateTime<FixedOffset>) -> Option<u64> {
    let deadline = view.idle_deadline?;
    let left = deadline - now;
    if left > chrono::TimeDelta::from_std(COUNTDOWN).unwrap_or(chrono::TimeDelta::MAX) {
        return None;
    }
    // Rounded up: "1 second" until the very end, never "0" while the screen still shows.
    let millis = left.num_milliseconds().max(0) as u64;
    Some(millis.div_ceil(1000).max(1))
}

/// Whether the screen's wording is for a phone: the PIN pad for a phone's certificate, or a
/// handoff after an Android phone or a phone the kiosk cannot read was presented. The words
/// for a lock, a renewal and the visual check differ (a phone's certificate is set up again
/// in the Mynaportal app; a card's PIN is reset at the municipal office, domain.md §3).
pub fn phone_presented(screen: &Screen) -> bool {
    match screen {
        Screen::PinEntry { credential, .. }
        | Screen::TapAgain { credential, .. }
        | Screen::UseCertifiedReader { credential, .. } => *credential == Credential::Phone,
        Screen::Handoff { presented, .. } | Screen::SaveFailed { presented, .. } => matches!(
            presented,
            Some(Presented::AndroidPhone | Presented::UnreadableDevice)
        ),
        _ => false,
    }
}

/// Sets every property the current screen reads. `pin_digits` is how many digits the patient
/// has typed on the PIN pad (the digits themselves never reach the views).
pub fn present(window: &AppWindow, view: &View, now: DateTime<FixedOffset>, pin_digits: usize) {
    let kiosk = window.global::<Kiosk>();
    kiosk.set_pin_digits(pin_digits as i32);
    kiosk.set_phone_presented(phone_presented(&view.screen));
    kiosk.set_can_go_back(view.can_go_back);
    kiosk.set_wait_at_desk(view.waiting_place == WaitingPlace::AtReceptionDesk);
    kiosk.set_provisional_handling_ended(view.provisional_handling_ended);
    let department = view.department.as_ref();
    // (A name breaks only after a space or a 「・」, as on the department question.)
    kiosk.set_department_ja(
        department
            .map(|d| keep_words_together(&d.ja))
            .unwrap_or_default()
            .into(),
    );
    kiosk.set_department_en(department.map(|d| d.en.as_str()).unwrap_or_default().into());
    match &view.screen {
        Screen::OutOfService { trouble } => {
            kiosk.set_trouble_code(crate::reader::trouble_code(*trouble).into());
        }
        Screen::Paused { reopens_at } => kiosk.set_reopens_at(
            reopens_at
                .filter(|at| *at > now)
                .map(clock)
                .unwrap_or_default()
                .into(),
        ),
        Screen::WrongCard { kind } => kiosk.set_wrong_kind(match kind {
            Tapped::PaymentCard => WrongKind::PaymentCard,
            Tapped::OldResidentCard => WrongKind::OldResidentCard,
            Tapped::OtherCard => WrongKind::OtherCard,
            _ => WrongKind::TransitCard,
        }),
        Screen::TapAgain { pin_kept, .. } => kiosk.set_pin_kept(*pin_kept),
        Screen::ChooseDepartment { departments } => {
            let choices: Vec<DepartmentChoice> = departments
                .iter()
                .map(|d| DepartmentChoice {
                    code: d.code.as_str().into(),
                    // A line may break between the words of a compound name only.
                    ja: keep_words_together(&d.ja).into(),
                    en: d.en.as_str().into(),
                })
                .collect();
            kiosk.set_departments(std::rc::Rc::new(slint::VecModel::from(choices)).into());
        }
        Screen::UseCertifiedReader { reader_on_left, .. } => {
            kiosk.set_certified_reader_left(*reader_on_left);
        }
        Screen::ConfirmEnd { end } => kiosk.set_confirm_call_staff(*end == Ending::CallStaff),
        Screen::PinEntry {
            credential,
            tries_left,
            last_attempt_wrong,
        } => {
            kiosk.set_pin_for_phone(*credential == Credential::Phone);
            kiosk.set_tries_left(i32::from(*tries_left));
            kiosk.set_last_attempt_wrong(*last_attempt_wrong);
        }
        Screen::ConsentItem { item, position, of } => {
            kiosk.set_consent_topic(consent_topic(*item));
            kiosk.set_consent_position(*position as i32);
            kiosk.set_consent_of(*of as i32);
        }
        Screen::Done {
            burden_ratio,
            reception_number,
            certificate,
        } => {
            let (expiring, in_grace, date, renew_by) = match certificate {
                Some(CertificateNote::ExpiresOn { not_after }) => {
                    (true, false, Some(*not_after), None)
                }
                Some(CertificateNote::ExpiredRenewBy {
                    not_after,
                    renew_by,
                }) => (false, true, Some(*not_after), Some(*renew_by)),
                None => (false, false, None, None),
            };
            kiosk.set_certificate_expiring(expiring);
            kiosk.set_certificate_in_grace(in_grace);
            kiosk.set_certificate_date_ja(date.map(date_ja).unwrap_or_default().into());
            kiosk.set_certificate_date_en(date.map(date_en).unwrap_or_default().into());
            kiosk.set_certificate_renew_by_ja(renew_by.map(date_ja).unwrap_or_default().into());
            kiosk.set_certificate_renew_by_en(renew_by.map(date_en).unwrap_or_default().into());
            kiosk.set_burden_percent(burden_ratio.map_or(-1, |r| i32::from(r.0)));
            kiosk.set_burden_wari(
                keep_together(&burden_ratio.map(|r| r.wari()).unwrap_or_default()).into(),
            );
            kiosk.set_reception_number(number_text(*reception_number));
        }
        Screen::Handoff {
            reason,
            reception_number,
            declared,
            ..
        } => {
            kiosk.set_handoff_kind(handoff_kind(*reason));
            kiosk.set_paper_kind(paper_kind(*declared));
            kiosk.set_reception_number(number_text(*reception_number));
        }
        Screen::SaveFailed {
            kiosk: name, at, ..
        } => {
            kiosk.set_kiosk_name(name.as_str().into());
            let local = at.with_timezone(&crate::rules::JST);
            kiosk.set_ended_at(format!("{:02}:{:02}", local.hour(), local.minute()).into());
        }
        _ => {}
    }
    let countdown = countdown(view, now);
    kiosk.set_countdown_showing(countdown.is_some());
    kiosk.set_countdown_seconds(countdown.unwrap_or(0) as i32);
    // A new screen closes the language chooser (the check-in moved on, or ended).
    let kind = screen_kind(&view.screen);
    if kiosk.get_screen() != kind {
        kiosk.set_choosing_language(false);
    }
    // Last, so the new screen appears with its properties already set.
    kiosk.set_screen(kind);
}

/// A day as Japanese patients read it: 「2027年1月20日」 (kept on one line).
pub fn date_ja(day: crate::dates::Date) -> String {
    keep_together(&format!("{}年{}月{}日", day.year(), day.month(), day.day()))
}

/// A day in English, unambiguous in any country: "20 January 2027" (kept on one line).
pub fn date_en(day: crate::dates::Date) -> String {
    keep_together(&day.format("%-d %B %Y").to_string())
}

/// "13:30": the time of day in Japan, as the kiosk's screens say it.
pub fn clock(at: DateTime<FixedOffset>) -> String {
    let local = at.with_timezone(&crate::rules::JST);
    format!("{:02}:{:02}", local.hour(), local.minute())
}

/// How many waiting visual checks the staff panel lists (the newest; they come newest first).
/// The patient standing at the kiosk is almost always the newest; the console lists them all.
const STAFF_CHECK_ROWS: usize = 3;

/// Staff mode over the patient's screen: nothing when it is closed.
pub fn present_staff(
    window: &AppWindow,
    view: Option<&StaffView>,
    reader: Option<ReaderTrouble>,
    now: DateTime<FixedOffset>,
    digits_typed: usize,
) {
    let k = window.global::<Kiosk>();
    k.set_staff_reader(match reader {
        None => ReaderState::Ready,
        Some(ReaderTrouble::ServiceNotRunning) => ReaderState::ServiceNotRunning,
        Some(ReaderTrouble::NoReader) => ReaderState::NoReader,
        Some(ReaderTrouble::ReaderNotAnswering) => ReaderState::NotAnswering,
        Some(ReaderTrouble::ReaderInUse) => ReaderState::InUse,
    });
    let Some(view) = view else {
        k.set_staff_screen(StaffScreen::None);
        return;
    };
    let number = |n: Option<ReceptionNumber>| n.map_or_else(|| "-".to_owned(), |n| n.to_string());
    let mut problem = StaffProblem::None;
    let mut detail = String::new();
    match view {
        StaffView::Roster { staff, problem: p } => {
            k.set_staff_screen(StaffScreen::Roster);
            k.set_staff_loading(staff.is_none());
            let names: Vec<slint::SharedString> = staff
                .iter()
                .flatten()
                .map(|s| keep_together(&s.display_name).into())
                .collect();
            k.set_staff_names(std::rc::Rc::new(slint::VecModel::from(names)).into());
            if let Some(p) = p {
                problem = StaffProblem::Failed;
                detail = p.clone();
            }
        }
        StaffView::Pin {
            who,
            checking,
            refused,
        } => {
            k.set_staff_screen(StaffScreen::Pin);
            k.set_staff_who(keep_together(&who.display_name).into());
            k.set_staff_loading(*checking);
            k.set_staff_pin_digits(digits_typed as i32);
            match refused {
                None => {}
                Some(PinRefusal::Wrong { tries_before_lock }) => {
                    problem = StaffProblem::WrongPin;
                    k.set_staff_tries_before_lock(*tries_before_lock as i32);
                }
                Some(PinRefusal::Locked { until }) => {
                    problem = StaffProblem::Locked;
                    let local = until.with_timezone(&crate::rules::JST);
                    k.set_staff_locked_until(
                        format!("{:02}:{:02}", local.hour(), local.minute()).into(),
                    );
                }
                Some(PinRefusal::NoPin) => problem = StaffProblem::NoPin,
            }
        }
        StaffView::Panel {
            who,
            checks,
            note,
            busy,
            kiosk_paused,
            reopens_at,
            asking_reopening,
            asking,
            question,
        } => {
            k.set_staff_screen(StaffScreen::Panel);
            k.set_staff_kiosk_paused(*kiosk_paused);
            k.set_staff_reopens_at(
                reopens_at
                    .filter(|at| *at > now)
                    .map(clock)
                    .unwrap_or_default()
                    .into(),
            );
            k.set_staff_asking_reopening(*asking_reopening);
            k.set_staff_who(keep_together(&who.display_name).into());
            k.set_staff_loading(checks.is_none() || *busy);
            let waiting = checks.as_deref().unwrap_or_default();
            let shown = waiting.len().min(STAFF_CHECK_ROWS);
            k.set_staff_more_checks((waiting.len() - shown) as i32);
            let rows: Vec<StaffCheck> = waiting[..shown]
                .iter()
                .map(|c| StaffCheck {
                    id: i32::try_from(c.check_in_id).unwrap_or(i32::MAX),
                    number: number(c.reception_number).into(),
                    reason: handoff_kind(c.reason),
                    patient_asked: c.reason == HandoffReason::PatientAskedStaffToCheck,
                    minutes: (now - c.handed_over_at).num_minutes().max(0) as i32,
                    name: c
                        .name
                        .as_ref()
                        .map_or_else(String::new, |n| keep_together(&n.name))
                        .into(),
                    short_name: keep_together(
                        &c.name.as_ref().map_or_else(String::new, short_name),
                    )
                    .into(),
                })
                .collect();
            k.set_staff_checks(std::rc::Rc::new(slint::VecModel::from(rows)).into());
            k.set_staff_asking(asking.is_some());
            k.set_staff_asking_result(*question == CheckQuestion::Result);
            if let Some(c) = asking {
                k.set_staff_asking_number(number(c.reception_number).into());
                k.set_staff_asking_name(
                    c.name
                        .as_ref()
                        .map_or_else(String::new, |n| keep_together(&n.name))
                        .into(),
                );
            }
            match note {
                None => k.set_staff_note(StaffNote::None),
                Some(PanelNote::VisualCheckRecorded(n)) => {
                    k.set_staff_note(StaffNote::Recorded);
                    k.set_staff_note_number(number(*n).into());
                }
                Some(PanelNote::LeftForDesk(n)) => {
                    k.set_staff_note(StaffNote::LeftForDesk);
                    k.set_staff_note_number(number(*n).into());
                }
                Some(PanelNote::Failed(e)) => {
                    k.set_staff_note(StaffNote::Failed);
                    detail = e.clone();
                }
            }
        }
    }
    k.set_staff_problem(problem);
    k.set_staff_detail(detail.into());
}

/// Why the kiosk shows a screen of its own instead of the patient flow (`run` decides), with
/// the short code the patient tells staff. The reader's codes (`R1`..) are
/// [`crate::reader::trouble_code`]'s. What went wrong in detail goes to the journal, `systemctl
/// status` and `uketsuke doctor`, never to the screen: patients read plain words and the code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutOfOrder {
    /// No facility.json yet: `uketsuke provision` has not run (`S1`; the "not set up" screen).
    NotSetUp,
    /// The kiosk could not start (settings, database, reader spec or console; `S2`).
    CannotStart,
    /// A part of the kiosk stopped after starting; the watchdog restarts it (`S3`).
    PartStopped,
}

impl OutOfOrder {
    /// The code on the screen. Stable: a new case takes the next number, never a used one.
    pub fn code(self) -> &'static str {
        match self {
            Self::NotSetUp => "S1",
            Self::CannotStart => "S2",
            Self::PartStopped => "S3",
        }
    }
}

/// Shows `why`'s screen in the language showing now (the catalogue renders it in each).
pub fn present_out_of_order(window: &AppWindow, why: OutOfOrder) {
    let kiosk = window.global::<Kiosk>();
    kiosk.set_trouble_code(why.code().into());
    kiosk.set_countdown_showing(false);
    kiosk.set_screen(match why {
        OutOfOrder::NotSetUp => ScreenKind::NotSetUp,
        OutOfOrder::CannotStart | OutOfOrder::PartStopped => ScreenKind::StartFailure,
    });
}

/// The out-of-order screen, which `run` shows when the kiosk cannot start or a part of it
/// stopped: "please go to the reception desk" in Japanese, and the code. A kiosk that could
/// not start has no facility loaded: its top bar is a default kiosk's ("Larger text" where
/// [`FacilityConfig::default`] offers it); one whose part stopped keeps its facility's.
pub fn show_out_of_order(window: &AppWindow, why: OutOfOrder) {
    super::select_language(window, super::Language::Japanese);
    if why != OutOfOrder::PartStopped {
        offer_large_type_as_by_default(window);
    }
    present_out_of_order(window, why);
}

/// The "Larger text" button where no facility is loaded (not set up, cannot start): as a
/// default facility has it, which is what `uketsuke screenshots` draws. It works there as
/// everywhere; nothing else on those screens does anything.
fn offer_large_type_as_by_default(window: &AppWindow) {
    window
        .global::<Kiosk>()
        .set_large_type_offered(FacilityConfig::default().large_type);
}

/// The "not set up yet" screen, which `run` shows instead of the patient flow until the kiosk
/// is provisioned (no facility.json in its data folder; `run` logs where it looked).
/// Patients read "please go to the reception desk" in Japanese, the language chooser shows it
/// in another language and "Larger text" in large type; nothing else on it does anything.
pub fn show_not_set_up(window: &AppWindow) {
    let kiosk = window.global::<Kiosk>();
    super::select_language(window, super::Language::Japanese);
    offer_large_type_as_by_default(window);
    present_out_of_order(window, OutOfOrder::NotSetUp);
    let weak = window.as_weak();
    kiosk.on_choose_language(move |code| {
        if let Some(window) = weak.upgrade()
            && let Some(language) = super::Language::parse(&code)
        {
            super::select_language(&window, language);
        }
    });
}

#[cfg(test)]
mod tests {
    use uketsuke_views::phrases::keep_together;

    #[test]
    fn certificate_dates_read_as_patients_read_them() {
        let day = crate::date!(2027 - 01 - 20);
        assert_eq!(super::date_en(day), keep_together("20 January 2027"));
        assert_eq!(super::date_ja(day), keep_together("2027年1月20日"));
        let day = crate::date!(2026 - 10 - 05);
        assert_eq!(super::date_en(day), keep_together("5 October 2026"));
    }
}
