//! The reception desk's side of a handoff: what staff can do with one, the checks on what they
//! type, and what each action records.
//!
//! Owns: the actions offered per handoff reason, the validation of the numbers staff read off a
//! patient's eligibility screen, and the verification method each action records, with the
//! usage-rate flag from the rules (never from the form). Must not know: HTTP, HTML, SQL, the
//! clock (`now` is given).

pub mod queue;
pub mod typed;

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset};

use crate::dates::Date;

use crate::domain::{
    ClosedAs, HandoffReason, HandoffResolution, IdentityMethod, InsuranceNumbers, Presented,
    StoredCheckIn, VerificationMethod,
};
use crate::rules::Rules;
use crate::staff::Role;

mod kiosk_panel;
pub use kiosk_panel::{KioskAnswers, KioskVisualCheck, kiosk_visual_check};

/// What staff did about a handoff.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeskAction {
    /// Several eligibility records matched a patient the kiosk already verified by card (or
    /// phone) and PIN: staff chose the right record (保険者番号・記号・番号) with the patient.
    ChooseAmongMatches,
    /// Looked at Mynaportal's eligibility screen (資格情報画面) on the patient's phone.
    PortalScreen,
    /// Compared the card's photo with the patient (目視確認), then saw the eligibility result
    /// of the card at the desk's certified reader.
    VisualCheck,
    /// Saw a paper document (or used the past record / a self-declaration).
    PaperDocument,
    /// Could not confirm eligibility (the note says why).
    Unresolved,
    /// Opened by mistake, or the patient withdrew.
    Cancel,
}

impl DeskAction {
    pub const ALL: [DeskAction; 6] = [
        Self::ChooseAmongMatches,
        Self::PortalScreen,
        Self::VisualCheck,
        Self::PaperDocument,
        Self::Unresolved,
        Self::Cancel,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::ChooseAmongMatches => "choose_among_matches",
            Self::PortalScreen => "portal_screen",
            Self::VisualCheck => "visual_check",
            Self::PaperDocument => "paper_document",
            Self::Unresolved => "unresolved",
            Self::Cancel => "cancel",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == s)
    }

    /// The action's name as reception staff say it.
    pub fn japanese(self) -> &'static str {
        match self {
            Self::ChooseAmongMatches => "資格を選んで確定した（カードと暗証番号で本人確認済み）",
            Self::PortalScreen => "資格情報画面を確認した",
            Self::VisualCheck => "目視確認をして、受付のカードリーダーで資格確認した",
            Self::PaperDocument => "書類で確認した",
            Self::Unresolved => "確認できなかった",
            Self::Cancel => "取り消す（誤操作・お帰りになった）",
        }
    }
}

/// The verification method an action records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Records {
    /// Always this method (and, for a visual check, the identity `StaffVisualCheck`).
    Method(VerificationMethod),
    /// The card or phone the kiosk read, with the identity the kiosk checked (PIN): unchanged.
    AsTheKioskRead,
    /// The method of the document staff choose ([`PaperSeen::verification`]).
    ChosenDocument,
    /// No method: the check-in is closed unverified.
    Nothing,
}

/// Whether an action fits a handoff reason, what it records and what staff must do first.
/// Whether it counts is never here: [`Rules::counts_toward_usage_rate`] decides from the method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Offer {
    /// Offered on the resolve page and accepted by [`decide`].
    pub allowed: bool,
    /// Why not, in Japanese, when `allowed` is false (shown when a forged form is refused).
    pub why_not: &'static str,
    pub records: Records,
    /// Staff tick 「顔写真と本人を見比べた」 and 「受付のカードリーダーで資格確認の結果が表示された」.
    pub needs_what_was_seen: bool,
    /// Staff confirm a second time (a page that names the result) before it is stored.
    pub needs_confirmation: bool,
    /// The button's words: the outcome it records (「資格情報画面の内容で記録」), so the page
    /// and this table agree.
    pub button: &'static str,
}

/// The reason × action table. A visual check records a card check that counts, so it is offered
/// only where the desk's reader can really show a result for the card in front of staff.
pub fn offer(reason: HandoffReason, action: DeskAction) -> Offer {
    use HandoffReason as R;
    let records = match action {
        DeskAction::ChooseAmongMatches => Records::AsTheKioskRead,
        DeskAction::PortalScreen => Records::Method(VerificationMethod::PortalScreenCheckedByStaff),
        DeskAction::VisualCheck => Records::Method(VerificationMethod::CardViaReader),
        DeskAction::PaperDocument => Records::ChosenDocument,
        DeskAction::Unresolved | DeskAction::Cancel => Records::Nothing,
    };
    let why_not: &'static str = match action {
        DeskAction::ChooseAmongMatches => match reason {
            R::SeveralMatches => "",
            _ => "資格が複数該当した受付だけで選べます。",
        },
        DeskAction::VisualCheck => match reason {
            R::StaffVisualCheck
            | R::PatientAskedStaffToCheck
            | R::CardBlocked
            | R::PatientCalledStaff
            | R::ReaderOutOfService
            | R::ConfirmResultAtDesk => "",
            R::GatewayUnavailable => {
                "オンライン資格確認に接続できなかった受付です。受付のカードリーダーでも資格確認の結果は出ません。"
            }
            R::ConfirmPortalScreen => {
                "受付機で読めないスマートフォンの受付です。カードが出されていないので、受付のカードリーダーでの資格確認はできません。"
            }
            R::PaperDocument => {
                "書類を申告した受付です。カードをお持ちなら、受付機に置いてもらってください（暗証番号で確認し、利用率に数えます）。"
            }
            R::EligibilityInvalid | R::NoEligibility => {
                "カードでの資格確認はすでに結果（無効・該当なし）が出ています。同じカードで確認しても変わりません。"
            }
            R::SeveralMatches => {
                "カードと暗証番号で本人確認済みです。目視確認ではなく、資格を選んで確定してください。"
            }
            R::CertificateNotAccepted => {
                "カードの電子証明書が受け付けられなかった受付です。受付のカードリーダーでも同じ証明書を使うので確認できません。"
            }
            R::CertificateExpired => {
                "電子証明書の有効期限が切れ、猶予期間も過ぎたカードです。受付のカードリーダーでも資格確認はできません。資格確認書か、番号でのオンライン資格確認で確認してください。"
            }
        },
        _ => "",
    };
    let allowed = why_not.is_empty();
    Offer {
        allowed,
        why_not,
        records,
        needs_what_was_seen: action == DeskAction::VisualCheck,
        // The typed numbers are read back before they are stored (a paper document too, when
        // staff copy its numbers: [`decide`] asks then).
        needs_confirmation: matches!(
            action,
            DeskAction::VisualCheck
                | DeskAction::ChooseAmongMatches
                | DeskAction::PortalScreen
                | DeskAction::Unresolved
                | DeskAction::Cancel
        ),
        button: button(action),
    }
}

/// What an action's button says: the outcome it records.
fn button(action: DeskAction) -> &'static str {
    match action {
        DeskAction::ChooseAmongMatches => "選んだ資格で記録（マイナ保険証・暗証番号）",
        DeskAction::PortalScreen => "資格情報画面の内容で記録",
        DeskAction::VisualCheck => "マイナ保険証（目視確認）として記録",
        DeskAction::PaperDocument => "確認した書類で記録",
        DeskAction::Unresolved => "確認できなかったとして記録",
        DeskAction::Cancel => "取り消す（お帰りになった）",
    }
}

/// What the confirmation step says before the second press: nothing is stored yet, and what
/// the second press will store.
pub fn confirmation_prompt(action: DeskAction) -> &'static str {
    match action {
        DeskAction::VisualCheck => {
            "まだ記録していません。チェックした内容でよければ、もう一度押してください（利用率に数える記録です）。"
        }
        DeskAction::ChooseAmongMatches => {
            "まだ記録していません。入力した資格でよければ、もう一度押してください（利用率に数える記録です）。"
        }
        DeskAction::Unresolved => {
            "まだ記録していません。資格を確認できなかったとして記録します。メモの理由でよければ、もう一度押してください。"
        }
        DeskAction::Cancel => {
            "まだ取り消していません。この受付を取り消します（利用率にも件数にも数えません）。メモの理由でよければ、もう一度押してください。"
        }
        DeskAction::PortalScreen | DeskAction::PaperDocument => {
            "まだ記録していません。内容を確かめて、もう一度押してください。"
        }
    }
}

/// The actions offered for a reason, the one that usually fits first. Every allowed action
/// stays available: a patient handed over for one reason may end up showing something else.
pub fn actions_for(reason: HandoffReason) -> Vec<DeskAction> {
    use DeskAction::*;
    let order = match reason {
        HandoffReason::SeveralMatches => [
            ChooseAmongMatches,
            PaperDocument,
            PortalScreen,
            VisualCheck,
            Unresolved,
            Cancel,
        ],
        HandoffReason::ConfirmPortalScreen => [
            PortalScreen,
            PaperDocument,
            VisualCheck,
            ChooseAmongMatches,
            Unresolved,
            Cancel,
        ],
        HandoffReason::StaffVisualCheck
        | HandoffReason::PatientAskedStaffToCheck
        | HandoffReason::CardBlocked
        | HandoffReason::ReaderOutOfService => [
            VisualCheck,
            PortalScreen,
            PaperDocument,
            ChooseAmongMatches,
            Unresolved,
            Cancel,
        ],
        _ => [
            PaperDocument,
            VisualCheck,
            PortalScreen,
            ChooseAmongMatches,
            Unresolved,
            Cancel,
        ],
    };
    order
        .into_iter()
        .filter(|a| offer(reason, *a).allowed)
        .collect()
}

/// The paper documents (and fallbacks) staff can record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PaperSeen {
    /// 資格確認書.
    EligibilityCertificate,
    /// 資格情報のお知らせ with the My Number card.
    NoticeWithCard,
    /// An expired insurance card (or the notice alone), while the provisional handling applies.
    ExpiredCardProvisional,
    /// 被保険者資格申立書 (first visit, nothing else works).
    SelfDeclarationForm,
    /// A returning patient: the past record and an oral check.
    PastRecord,
}

impl PaperSeen {
    pub const ALL: [PaperSeen; 5] = [
        Self::EligibilityCertificate,
        Self::NoticeWithCard,
        Self::ExpiredCardProvisional,
        Self::SelfDeclarationForm,
        Self::PastRecord,
    ];

    pub fn as_str(self) -> &'static str {
        self.verification().as_str()
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == s)
    }

    pub fn verification(self) -> VerificationMethod {
        match self {
            Self::EligibilityCertificate => VerificationMethod::EligibilityCertificate,
            Self::NoticeWithCard => VerificationMethod::NoticeWithCardCheckedByStaff,
            Self::ExpiredCardProvisional => VerificationMethod::ExpiredCardProvisional,
            Self::SelfDeclarationForm => VerificationMethod::SelfDeclarationForm,
            Self::PastRecord => VerificationMethod::PastRecord,
        }
    }
}

/// A field staff must correct, in Japanese and English.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The form field's name.
    pub field: &'static str,
    pub japanese: String,
    pub english: String,
}

fn error(field: &'static str, japanese: &str, english: &str) -> FieldError {
    FieldError {
        field,
        japanese: japanese.to_owned(),
        english: english.to_owned(),
    }
}

/// What to store: the resolution, and whether the check-in now counts toward the usage rate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub resolution: HandoffResolution,
    pub counts_toward_usage_rate: bool,
}

/// Turns a submitted resolve form into what to store, or the fields to correct.
pub fn decide(
    rules: &Rules,
    check_in: &StoredCheckIn,
    form: &BTreeMap<String, String>,
    staff: &str,
    now: DateTime<FixedOffset>,
) -> Result<Decision, Vec<FieldError>> {
    let field = |name: &str| form.get(name).map(|v| v.trim()).unwrap_or_default();
    let note = field("note");
    let mut errors = Vec::new();
    if note.chars().count() > 500 {
        errors.push(error(
            "note",
            "メモは500文字までです。",
            "The note has at most 500 characters.",
        ));
    }
    let visit_date = check_in.record.visit_date;
    let reason = check_in.record.outcome.handoff_reason();
    let action = DeskAction::parse(field("action"));
    // What the table says of this action for this handoff (looked up once).
    let offered = reason.zip(action).map(|(r, a)| offer(r, a));
    if let (Some(reason), Some(action), Some(offer)) = (reason, action, offered) {
        if !offer.allowed {
            return Err(vec![FieldError {
                field: "action",
                japanese: format!("「{}」は選べません。{}", action.japanese(), offer.why_not),
                english: format!(
                    "'{}' is not offered for a {} handoff.",
                    action.as_str(),
                    reason.as_str()
                ),
            }]);
        }
        if offer.needs_what_was_seen {
            if field("seen_photo") != "yes" {
                errors.push(error(
                    "seen_photo",
                    "「顔写真と本人を見比べた」にチェックしてください。見比べていなければ、この対応では記録できません。",
                    "Tick 'compared the photo with the patient'; without it this cannot be recorded.",
                ));
            }
            if field("seen_result") != "yes" {
                errors.push(error(
                    "seen_result",
                    "「受付のカードリーダーで資格確認の結果が表示された」にチェックしてください。結果が出ていなければ、書類などほかの対応を選んでください。",
                    "Tick 'the desk's card reader showed the eligibility result'; if it did not, choose another action.",
                ));
            }
        }
    }
    let closed_as = match action {
        None => {
            errors.push(error(
                "action",
                "どの対応をしたか選んでください。",
                "Choose what you did.",
            ));
            None
        }
        Some(DeskAction::PortalScreen) => {
            read_numbers(form, visit_date, &mut errors).map(|numbers| ClosedAs::Verified {
                verification: VerificationMethod::PortalScreenCheckedByStaff,
                identity: None,
                read_off: Some(numbers),
            })
        }
        Some(DeskAction::ChooseAmongMatches) => {
            // The card or phone the kiosk read before several records matched: its expected
            // route, confirmed only now that staff choose the record.
            let read = check_in.record.expected_route.filter(|m| {
                matches!(
                    m,
                    VerificationMethod::CardViaReader | VerificationMethod::SmartphoneViaReader
                )
            });
            match read {
                None => {
                    errors.push(error(
                        "action",
                        "受付機がカードもスマートフォンも読んでいない受付です。書類など、ほかの対応を選んでください。",
                        "The kiosk read no card or phone for this check-in; choose another action.",
                    ));
                    None
                }
                Some(verification) => {
                    read_numbers(form, visit_date, &mut errors).map(|numbers| ClosedAs::Verified {
                        verification,
                        identity: check_in.record.identity,
                        read_off: Some(numbers),
                    })
                }
            }
        }
        Some(DeskAction::VisualCheck) => Some(ClosedAs::Verified {
            verification: VerificationMethod::CardViaReader,
            identity: Some(IdentityMethod::StaffVisualCheck),
            read_off: None,
        }),
        Some(DeskAction::PaperDocument) => match PaperSeen::parse(field("document")) {
            None => {
                errors.push(error(
                    "document",
                    "確認した書類を選んでください。",
                    "Choose the document you saw.",
                ));
                None
            }
            Some(PaperSeen::ExpiredCardProvisional)
                if !rules.provisional_handling_applies(visit_date) =>
            {
                let until = rules.provisional_handling_until();
                errors.push(FieldError {
                    field: "document",
                    japanese: format!(
                        "期限切れの保険証での暫定的な取扱いは{until}で終わりました。資格確認書か、受付歴と口頭確認、または被保険者資格申立書で確認してください。"
                    ),
                    english: format!(
                        "The provisional handling of expired insurance cards ended on {until}. Use the eligibility certificate, the past record with an oral check, or the self-declaration form."
                    ),
                });
                None
            }
            Some(paper) => {
                let read_off = if numbers_typed(form) {
                    read_numbers(form, visit_date, &mut errors)
                } else {
                    None
                };
                Some(ClosedAs::Verified {
                    verification: paper.verification(),
                    identity: None,
                    read_off,
                })
            }
        },
        Some(DeskAction::Unresolved) => {
            if note.is_empty() {
                errors.push(error(
                    "note",
                    "確認できなかった理由をメモに書いてください。",
                    "Write in the note why eligibility could not be confirmed.",
                ));
            }
            Some(ClosedAs::Unresolved)
        }
        Some(DeskAction::Cancel) => {
            if note.is_empty() {
                errors.push(error(
                    "note",
                    "取り消す理由をメモに書いてください（例：お帰りになった、誤って呼んだ）。",
                    "Write in the note why the check-in is cancelled.",
                ));
            }
            Some(ClosedAs::Cancelled)
        }
    };
    let typed_numbers = matches!(
        &closed_as,
        Some(ClosedAs::Verified {
            read_off: Some(_),
            ..
        })
    );
    let needs_confirmation = offered.is_some_and(|o| o.needs_confirmation) || typed_numbers;
    if let Some(action) = action
        && needs_confirmation
        && errors.is_empty()
        && field("confirm") != "yes"
    {
        errors.push(if typed_numbers {
            error(
                "confirm",
                "まだ記録していません。番号を画面と見比べてから記録してください。",
                "Not recorded yet: compare the numbers with the screen, then record.",
            )
        } else {
            error(
                "confirm",
                confirmation_prompt(action),
                "Not recorded yet: check and press the button again.",
            )
        });
    }
    match closed_as {
        Some(closed_as) if errors.is_empty() => {
            let counts_toward_usage_rate = match &closed_as {
                ClosedAs::Verified { verification, .. } => {
                    rules.counts_toward_usage_rate(*verification, visit_date)
                }
                ClosedAs::Unresolved | ClosedAs::Cancelled => false,
            };
            Ok(Decision {
                resolution: HandoffResolution {
                    closed_as,
                    note: note.to_owned(),
                    staff: staff.to_owned(),
                    resolved_at: now,
                },
                counts_toward_usage_rate,
            })
        }
        _ => Err(errors),
    }
}

/// A same-day correction of a closed handoff (「記録を訂正する」): the resolution to store in
/// place of `before`, counted again by the rules, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Correction {
    /// The new resolution (by the person correcting, at `now`) and its usage-rate flag, both
    /// decided by [`decide`] as for a first resolution.
    pub decision: Decision,
    /// What was stored before (the store refuses the correction if it changed meanwhile).
    pub before: HandoffResolution,
    /// Whether the check-in counted before.
    pub counted_before: bool,
    /// Why it is corrected, in the corrector's words (required, at most 200 characters).
    pub reason: String,
}

/// Whether `login` (with `role`) may correct the closed handoff `check_in` at `now`: only on
/// the day it was recorded (Japan time), and only by the person who recorded it, a manager
/// (管理者: who answers for the month's records) or a technician. Err: why not, in Japanese.
///
/// Same day for everyone, managers too: a correction is decided by today's rules and would
/// silently change a day whose figures staff have already seen; mistakes found at month end
/// are a separate, dated change (not built).
pub fn may_correct(
    check_in: &StoredCheckIn,
    login: &str,
    role: Role,
    now: DateTime<FixedOffset>,
) -> Result<(), String> {
    let Some(resolution) = &check_in.resolution else {
        return Err(
            "まだ対応していない受付です。訂正ではなく、対応を記録してください。".to_owned(),
        );
    };
    let recorded_on = resolution
        .resolved_at
        .with_timezone(&crate::rules::JST)
        .date_naive();
    if now.with_timezone(&crate::rules::JST).date_naive() != recorded_on {
        return Err(format!(
            "訂正できるのは記録した日（{recorded_on}）のうちだけです。"
        ));
    }
    if resolution.staff != login && !role.corrects_others_records() {
        return Err(format!(
            "訂正できるのは記録した人（{}）か管理者・技術担当だけです。",
            resolution.staff
        ));
    }
    Ok(())
}

/// Turns a submitted correction form (a resolve form, plus `correction_reason`) into the
/// correction to store, or the fields to fix. The new resolution is decided exactly as a first
/// one ([`decide`]: the same offers, ticks, confirmations and usage-rate rules), so a correction
/// can never set the count by hand. A refusal of [`may_correct`] is one error on the field
/// `correction`.
pub fn decide_correction(
    rules: &Rules,
    check_in: &StoredCheckIn,
    form: &BTreeMap<String, String>,
    login: &str,
    role: Role,
    now: DateTime<FixedOffset>,
) -> Result<Correction, Vec<FieldError>> {
    if let Err(why) = may_correct(check_in, login, role, now) {
        return Err(vec![FieldError {
            field: "correction",
            japanese: why,
            english: "This record cannot be corrected.".to_owned(),
        }]);
    }
    let Some(before) = check_in.resolution.clone() else {
        unreachable!("may_correct refuses an open handoff");
    };
    let reason = form
        .get("correction_reason")
        .map(|v| v.trim())
        .unwrap_or_default();
    let mut errors = Vec::new();
    if reason.is_empty() {
        errors.push(error(
            "correction_reason",
            "訂正する理由を書いてください（例：番号の打ち間違い）。",
            "Write why the record is corrected.",
        ));
    } else if reason.chars().count() > 200 || reason.chars().any(char::is_control) {
        errors.push(error(
            "correction_reason",
            "訂正の理由は200文字までです（改行なし）。",
            "The reason has at most 200 characters.",
        ));
    }
    let reopened = StoredCheckIn {
        resolution: None,
        ..check_in.clone()
    };
    match decide(rules, &reopened, form, login, now) {
        Ok(decision) if errors.is_empty() => Ok(Correction {
            decision,
            before,
            counted_before: check_in.record.counts_toward_usage_rate,
            reason: reason.to_owned(),
        }),
        Ok(_) => Err(errors),
        Err(more) => {
            // The reason first; a confirmation is asked only once everything else is right.
            if errors.is_empty() {
                Err(more)
            } else {
                errors.extend(more.into_iter().filter(|e| e.field != "confirm"));
                Err(errors)
            }
        }
    }
}

/// The number fields of the resolve forms.
pub const NUMBER_FIELDS: [&str; 6] = [
    "insurer_number",
    "symbol",
    "number",
    "branch",
    "burden_ratio",
    "valid_until",
];

/// Whether staff typed anything into the number fields (optional on the paper form).
fn numbers_typed(form: &BTreeMap<String, String>) -> bool {
    NUMBER_FIELDS
        .iter()
        .any(|f| form.get(*f).is_some_and(|v| !v.trim().is_empty()))
}

/// The numbers staff typed, as they will be stored (width folded, 枝番 padded, dates read),
/// when the form holds numbers and all of them can be stored: what the read-back step shows.
pub fn numbers_to_read_back(
    form: &BTreeMap<String, String>,
    visit_date: Date,
) -> Option<InsuranceNumbers> {
    if !numbers_typed(form) {
        return None;
    }
    let mut errors = Vec::new();
    read_numbers(form, visit_date, &mut errors).filter(|_| errors.is_empty())
}

/// The read-back line, in the order of the eligibility screen: 「保険者番号 0113 0012／記号 12／
/// 番号 345／枝番 01／3割」, with the validity when one was typed. Each part is (label, value).
pub fn read_back(numbers: &InsuranceNumbers) -> Vec<(&'static str, String)> {
    let mut parts = vec![(
        "保険者番号",
        typed::grouped_insurer_number(&numbers.insurer_number),
    )];
    if let Some(symbol) = &numbers.symbol {
        parts.push(("記号", symbol.clone()));
    }
    parts.push(("番号", numbers.number.clone()));
    if let Some(branch) = &numbers.branch {
        parts.push(("枝番", branch.clone()));
    }
    parts.push((
        "負担割合",
        numbers
            .burden_ratio
            .map_or_else(|| "表示なし（年齢で判断）".to_owned(), |r| r.wari()),
    ));
    if let Some(until) = numbers.valid_until {
        let wareki = typed::wareki(until).map_or_else(String::new, |w| format!("（{w}）"));
        parts.push(("有効期限", format!("{until}{wareki}")));
    }
    parts
}

/// The label of the 負担割合 choice for a screen that shows no ratio, with the rule from the
/// rules' ratio table in force on `visit_date`: 「表示なし（年齢で判断：70歳未満3割、未就学2割）」.
pub fn no_ratio_shown_label(rules: &Rules, visit_date: Date) -> String {
    match rules.ratio_rule_below_elderly(visit_date) {
        Some(rule) => format!(
            "表示なし（年齢で判断：{}歳未満{}、未就学{}）",
            rule.elderly_from_age,
            rule.ratio.wari(),
            rule.preschool.wari()
        ),
        None => "表示なし（年齢で判断）".to_owned(),
    }
}

/// The paper document the patient declared at the kiosk, as the paper form's choice: pre-selected
/// and marked 「（患者さんの申告）」. None when the patient declared none of them (or nothing).
pub fn declared_document(check_in: &StoredCheckIn) -> Option<PaperSeen> {
    match check_in.record.presented? {
        Presented::EligibilityCertificate => Some(PaperSeen::EligibilityCertificate),
        Presented::EligibilityNoticeWithCard => Some(PaperSeen::NoticeWithCard),
        Presented::ExpiredInsuranceCard => Some(PaperSeen::ExpiredCardProvisional),
        _ => None,
    }
}

/// What the patient declared at the kiosk, in the words the paper form shows, when it was a
/// document or nothing at all.
pub fn declared_text(check_in: &StoredCheckIn) -> Option<&'static str> {
    match check_in.record.presented? {
        Presented::EligibilityCertificate => Some("資格確認書"),
        Presented::EligibilityNoticeWithCard => Some("資格情報のお知らせとマイナンバーカード"),
        Presented::ExpiredInsuranceCard => Some("期限切れの保険証"),
        Presented::Nothing => Some("何も持っていない"),
        _ => None,
    }
}

fn refused(field: &'static str, r: typed::Refusal) -> FieldError {
    FieldError {
        field,
        japanese: r.japanese,
        english: r.english,
    }
}

/// Reads the number fields as clerks type them ([`typed`]); each fault is pushed on `errors`
/// under its field.
fn read_numbers(
    form: &BTreeMap<String, String>,
    visit_date: Date,
    errors: &mut Vec<FieldError>,
) -> Option<InsuranceNumbers> {
    let raw = |name: &str| form.get(name).map(String::as_str).unwrap_or_default();
    let before = errors.len();
    fn take<T>(
        errors: &mut Vec<FieldError>,
        field: &'static str,
        result: Result<T, typed::Refusal>,
    ) -> Option<T> {
        result.map_err(|r| errors.push(refused(field, r))).ok()
    }
    let insurer_number = take(
        errors,
        "insurer_number",
        typed::insurer_number(raw("insurer_number")),
    );
    let symbol = take(
        errors,
        "symbol",
        typed::text_as_shown(raw("symbol"), "記号"),
    );
    let number = take(
        errors,
        "number",
        typed::text_as_shown(raw("number"), "番号").and_then(|n| {
            n.ok_or_else(|| typed::Refusal {
                japanese: "番号を入力してください。".to_owned(),
                english: "Enter the number (番号).".to_owned(),
            })
        }),
    );
    let branch = take(errors, "branch", typed::branch(raw("branch")));
    let burden_ratio = take(
        errors,
        "burden_ratio",
        typed::burden_ratio(raw("burden_ratio")),
    );
    let valid_until = match raw("valid_until").trim() {
        "" => Some(None),
        text => take(
            errors,
            "valid_until",
            typed::date(text)
                .map_err(|r| typed::Refusal {
                    japanese: format!("有効期限：{}", r.japanese),
                    english: format!("Valid until: {}", r.english),
                })
                .and_then(|date| {
                    if date < visit_date {
                        Err(typed::Refusal {
                            japanese: format!(
                                "有効期限{date}は受付日{visit_date}より前です。画面をもう一度確認してください。"
                            ),
                            english: format!(
                                "The validity ended on {date}, before the visit on {visit_date}."
                            ),
                        })
                    } else {
                        Ok(Some(date))
                    }
                }),
        ),
    };
    if errors.len() > before {
        return None;
    }
    Some(InsuranceNumbers {
        insurer_number: insurer_number?,
        symbol: symbol?,
        number: number?,
        branch: branch?,
        burden_ratio: burden_ratio?,
        valid_until: valid_until?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One cell of the reason × action table: "-" not offered; otherwise the method recorded
    /// (`card`, `card-or-phone as read`, `portal`, `document`, `none`), `+1` when it counts
    /// toward the usage rate under the embedded rules on 2026-11-30 (`+0` when not), and
    /// ` seen+confirm` / ` confirm` when staff tick what they saw and confirm a second time.
    fn cell(rules: &Rules, reason: HandoffReason, action: DeskAction) -> String {
        let day = crate::date!(2026 - 11 - 30);
        let o = offer(reason, action);
        if !o.allowed {
            assert!(!o.why_not.is_empty(), "{reason:?} {action:?} says why not");
            return "-".to_owned();
        }
        let counts = |m| u8::from(rules.counts_toward_usage_rate(m, day));
        let (method, counts) = match o.records {
            Records::Method(VerificationMethod::CardViaReader) => {
                ("card", counts(VerificationMethod::CardViaReader))
            }
            Records::Method(VerificationMethod::PortalScreenCheckedByStaff) => (
                "portal",
                counts(VerificationMethod::PortalScreenCheckedByStaff),
            ),
            Records::Method(other) => panic!("{other:?}"),
            Records::AsTheKioskRead => {
                let card = counts(VerificationMethod::CardViaReader);
                assert_eq!(card, counts(VerificationMethod::SmartphoneViaReader));
                ("as-read", card)
            }
            Records::ChosenDocument => {
                let any = PaperSeen::ALL
                    .into_iter()
                    .map(|p| counts(p.verification()))
                    .max()
                    .unwrap();
                ("document", any)
            }
            Records::Nothing => ("none", 0),
        };
        let extra = match (o.needs_what_was_seen, o.needs_confirmation) {
            (true, true) => " seen+confirm",
            (false, true) => " confirm",
            (false, false) => "",
            (true, false) => panic!("what was seen is always confirmed"),
        };
        format!("{method}+{counts}{extra}")
    }

    #[test]
    fn every_reason_offers_only_the_actions_that_can_be_true() {
        use HandoffReason as R;
        let rules = Rules::embedded();
        // Columns: ChooseAmongMatches, PortalScreen, VisualCheck, PaperDocument, Unresolved,
        // Cancel.
        let visual = "card+1 seen+confirm";
        let (portal, paper, none) = ("portal+0 confirm", "document+0", "none+0 confirm");
        let table: [(R, [&str; 6]); 14] = [
            (
                R::ConfirmPortalScreen,
                ["-", portal, "-", paper, none, none],
            ),
            (
                R::StaffVisualCheck,
                ["-", portal, visual, paper, none, none],
            ),
            (
                R::PatientAskedStaffToCheck,
                ["-", portal, visual, paper, none, none],
            ),
            (R::CardBlocked, ["-", portal, visual, paper, none, none]),
            (R::PaperDocument, ["-", portal, "-", paper, none, none]),
            (R::EligibilityInvalid, ["-", portal, "-", paper, none, none]),
            (R::NoEligibility, ["-", portal, "-", paper, none, none]),
            (
                R::SeveralMatches,
                ["as-read+1 confirm", portal, "-", paper, none, none],
            ),
            (R::GatewayUnavailable, ["-", portal, "-", paper, none, none]),
            (
                R::CertificateNotAccepted,
                ["-", portal, "-", paper, none, none],
            ),
            // Beyond the grace period the card confirms nothing, at the desk's reader either:
            // the 資格確認書 the insurer posts, or the numbers; no visual check that counts.
            (R::CertificateExpired, ["-", portal, "-", paper, none, none]),
            (
                R::PatientCalledStaff,
                ["-", portal, visual, paper, none, none],
            ),
            (
                R::ReaderOutOfService,
                ["-", portal, visual, paper, none, none],
            ),
            // The patient used the certified reader; staff see its result on the terminal (or
            // read the card at the desk) and record the card check, which counts.
            (
                R::ConfirmResultAtDesk,
                ["-", portal, visual, paper, none, none],
            ),
        ];
        assert_eq!(
            table.map(|(r, _)| r),
            HandoffReason::ALL,
            "every reason, in order"
        );
        for (reason, expected) in table {
            for (action, want) in DeskAction::ALL.into_iter().zip(expected) {
                assert_eq!(
                    cell(&rules, reason, action),
                    want,
                    "{reason:?} × {action:?}"
                );
            }
            let offered = actions_for(reason);
            let allowed: Vec<DeskAction> = DeskAction::ALL
                .into_iter()
                .filter(|a| offer(reason, *a).allowed)
                .collect();
            assert_eq!(offered.len(), allowed.len(), "{reason:?}");
            assert!(allowed.iter().all(|a| offered.contains(a)), "{reason:?}");
        }
        assert_eq!(
            actions_for(R::SeveralMatches)[0],
            DeskAction::ChooseAmongMatches,
            "several matches: choosing the record comes first"
        );
    }

    fn handed_over(reason: HandoffReason) -> StoredCheckIn {
        let at = crate::datetime!(2026-11-30 10:00 +09:00);
        let several = reason == HandoffReason::SeveralMatches;
        StoredCheckIn {
            id: 1,
            reception_number: None,
            record: crate::domain::CheckInRecord {
                started_at: at,
                finished_at: at,
                visit_date: at.date_naive(),
                presented: Some(crate::domain::Presented::MyNumberCard),
                identity: several.then_some(IdentityMethod::PinOnCard),
                verification: None,
                counts_toward_usage_rate: false,
                expected_route: several.then_some(VerificationMethod::CardViaReader),
                consent: Default::default(),
                eligibility: None,
                outcome: crate::domain::Outcome::HandedToStaff { reason },
                checklist: vec![],
                wrong_pin_entries: 0,
                kiosk: "1F".to_owned(),
                patient_name: None,
                department: None,
            },
            resolution: None,
        }
    }

    fn form(fields: &[(&str, &str)]) -> BTreeMap<String, String> {
        fields
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn a_counting_action_is_recorded_only_with_both_ticks_and_a_confirmation() {
        let rules = Rules::embedded();
        let now = crate::datetime!(2026-11-30 10:05 +09:00);
        let h = handed_over(HandoffReason::StaffVisualCheck);
        let fields = |ticks: &[(&'static str, &'static str)]| {
            let mut f = vec![("action", "visual_check")];
            f.extend_from_slice(ticks);
            form(&f)
        };
        let refused = |f| decide(&rules, &h, &f, "sato", now).unwrap_err();
        let none = refused(fields(&[("confirm", "yes")]));
        let named: Vec<&str> = none.iter().map(|e| e.field).collect();
        assert_eq!(named, ["seen_photo", "seen_result"]);
        assert!(none[0].japanese.contains("顔写真と本人を見比べた"));
        let one = refused(fields(&[("seen_photo", "yes"), ("confirm", "yes")]));
        assert_eq!(
            one.iter().map(|e| e.field).collect::<Vec<_>>(),
            ["seen_result"]
        );
        let unconfirmed = refused(fields(&[("seen_photo", "yes"), ("seen_result", "yes")]));
        assert_eq!(unconfirmed[0].field, "confirm");
        let done = decide(
            &rules,
            &h,
            &fields(&[
                ("seen_photo", "yes"),
                ("seen_result", "yes"),
                ("confirm", "yes"),
            ]),
            "sato",
            now,
        )
        .unwrap();
        assert!(done.counts_toward_usage_rate);

        let outage = handed_over(HandoffReason::GatewayUnavailable);
        let forged = fields(&[
            ("seen_photo", "yes"),
            ("seen_result", "yes"),
            ("confirm", "yes"),
        ]);
        let errors = decide(&rules, &outage, &forged, "sato", now).unwrap_err();
        assert_eq!(errors[0].field, "action");
        assert!(
            errors[0]
                .japanese
                .contains("オンライン資格確認に接続できなかった")
        );
    }

    #[test]
    fn choosing_among_matches_keeps_the_card_and_pin_and_the_count() {
        let rules = Rules::embedded();
        let now = crate::datetime!(2026-11-30 10:05 +09:00);
        let h = handed_over(HandoffReason::SeveralMatches);
        let done = decide(
            &rules,
            &h,
            &form(&[
                ("action", "choose_among_matches"),
                ("insurer_number", "01130012"),
                ("symbol", "12"),
                ("number", "345"),
                ("burden_ratio", "30"),
                ("confirm", "yes"),
            ]),
            "sato",
            now,
        )
        .unwrap();
        assert!(done.counts_toward_usage_rate);
        match done.resolution.closed_as {
            ClosedAs::Verified {
                verification,
                identity,
                read_off,
            } => {
                assert_eq!(verification, VerificationMethod::CardViaReader);
                assert_eq!(identity, Some(IdentityMethod::PinOnCard));
                assert_eq!(read_off.unwrap().insurer_number, "01130012");
            }
            other => panic!("{other:?}"),
        }
    }

    fn insurer_number_problem(typed: &str) -> Option<typed::Refusal> {
        typed::insurer_number(typed).err()
    }

    #[test]
    fn every_button_names_its_outcome_and_cancel_and_unresolved_ask_for_a_reason_and_a_second_press()
     {
        let rules = Rules::embedded();
        let now = crate::datetime!(2026-11-30 10:05 +09:00);
        let h = handed_over(HandoffReason::ConfirmPortalScreen);
        let buttons: Vec<&str> = DeskAction::ALL
            .into_iter()
            .map(|a| offer(HandoffReason::ConfirmPortalScreen, a).button)
            .collect();
        assert!(buttons.contains(&"資格情報画面の内容で記録"));
        assert!(buttons.contains(&"取り消す（お帰りになった）"));
        assert!(buttons.contains(&"確認できなかったとして記録"));
        let distinct: std::collections::BTreeSet<&str> = buttons.iter().copied().collect();
        assert_eq!(
            distinct.len(),
            buttons.len(),
            "no two actions share a button"
        );
        for action in ["cancel", "unresolved"] {
            let no_reason = decide(&rules, &h, &form(&[("action", action)]), "sato", now);
            assert_eq!(no_reason.unwrap_err()[0].field, "note", "{action}");
            let first = decide(
                &rules,
                &h,
                &form(&[("action", action), ("note", "お帰りになった")]),
                "sato",
                now,
            )
            .unwrap_err();
            assert_eq!(first.len(), 1, "{action}");
            assert_eq!(first[0].field, "confirm", "{action}");
            let second = decide(
                &rules,
                &h,
                &form(&[
                    ("action", action),
                    ("note", "お帰りになった"),
                    ("confirm", "yes"),
                ]),
                "sato",
                now,
            )
            .unwrap();
            assert!(!second.counts_toward_usage_rate);
        }
    }

    /// A portal-screen handoff closed by sato at 10:05 as 「確認できなかった」.
    fn closed_unresolved() -> StoredCheckIn {
        let mut h = handed_over(HandoffReason::StaffVisualCheck);
        h.resolution = Some(HandoffResolution {
            closed_as: ClosedAs::Unresolved,
            note: "リーダーに結果が出なかった".to_owned(),
            staff: "sato".to_owned(),
            resolved_at: crate::datetime!(2026-11-30 10:05 +09:00),
        });
        h
    }

    fn visual_check_correction(reason: &str) -> BTreeMap<String, String> {
        form(&[
            ("action", "visual_check"),
            ("seen_photo", "yes"),
            ("seen_result", "yes"),
            ("confirm", "yes"),
            ("correction_reason", reason),
        ])
    }

    #[test]
    fn a_closed_handoff_is_corrected_the_same_day_by_its_recorder_or_a_technician_and_counted_again()
     {
        let rules = Rules::embedded();
        let h = closed_unresolved();
        let later = crate::datetime!(2026-11-30 17:55 +09:00);
        let done = decide_correction(
            &rules,
            &h,
            &visual_check_correction("再読み取りで結果が出た"),
            "sato",
            Role::Staff,
            later,
        )
        .unwrap();
        assert!(!done.counted_before);
        assert!(
            done.decision.counts_toward_usage_rate,
            "counted again by the rules"
        );
        assert_eq!(done.before.closed_as, ClosedAs::Unresolved);
        assert_eq!(done.decision.resolution.staff, "sato");
        assert_eq!(done.decision.resolution.resolved_at, later);
        assert_eq!(done.reason, "再読み取りで結果が出た");
        // The count follows the method the rules count, never a field of the form.
        let forged = {
            let mut f = visual_check_correction("理由");
            f.insert("action".into(), "portal_screen".into());
            f.insert("insurer_number".into(), "01130012".into());
            f.insert("number".into(), "345".into());
            f.insert("burden_ratio".into(), "30".into());
            f.insert("counts_toward_usage_rate".into(), "true".into());
            f
        };
        let portal = decide_correction(&rules, &h, &forged, "sato", Role::Staff, later).unwrap();
        assert!(!portal.decision.counts_toward_usage_rate);

        let by_technician = decide_correction(
            &rules,
            &h,
            &visual_check_correction("理由"),
            "tech",
            Role::Technician,
            later,
        );
        assert!(by_technician.is_ok());
    }

    #[test]
    fn a_correction_is_refused_another_day_by_another_clerk_or_without_a_reason() {
        let rules = Rules::embedded();
        let h = closed_unresolved();
        let same_day = crate::datetime!(2026-11-30 23:59 +09:00);
        // 2026-12-01 00:01 in Japan, still 2026-11-30 in UTC.
        let next_day = crate::datetime!(2026-11-30 15:01 UTC);
        let field = |r: Result<Correction, Vec<FieldError>>| r.unwrap_err()[0].field;
        let other_day = decide_correction(
            &rules,
            &h,
            &visual_check_correction("理由"),
            "sato",
            Role::Staff,
            next_day,
        );
        let errors = other_day.unwrap_err();
        assert_eq!(errors[0].field, "correction");
        assert!(errors[0].japanese.contains("記録した日"));
        let other_person = decide_correction(
            &rules,
            &h,
            &visual_check_correction("理由"),
            "suzuki",
            Role::Staff,
            same_day,
        );
        assert_eq!(field(other_person), "correction");
        let no_reason = decide_correction(
            &rules,
            &h,
            &visual_check_correction("  "),
            "sato",
            Role::Staff,
            same_day,
        );
        assert_eq!(field(no_reason), "correction_reason");
        let open = handed_over(HandoffReason::StaffVisualCheck);
        assert!(may_correct(&open, "sato", Role::Technician, same_day).is_err());
        assert!(may_correct(&h, "sato", Role::Staff, same_day).is_ok());
    }

    /// Role × (recorded by them or by another) × day → may correct. A manager corrects
    /// anyone's record, like a technician; nobody corrects another day's.
    #[test]
    fn a_manager_corrects_anyones_record_the_same_day_and_nobody_another_day() {
        let h = closed_unresolved();
        let same_day = crate::datetime!(2026-11-30 23:59 +09:00);
        let next_day = crate::datetime!(2026-12-01 09:00 +09:00);
        let table = [
            (Role::Staff, "sato", same_day, true),
            (Role::Staff, "suzuki", same_day, false),
            (Role::Manager, "sato", same_day, true),
            (Role::Manager, "kanri", same_day, true),
            (Role::Technician, "tech", same_day, true),
            (Role::Staff, "sato", next_day, false),
            (Role::Manager, "kanri", next_day, false),
            (Role::Technician, "tech", next_day, false),
        ];
        for (role, login, at, allowed) in table {
            let got = may_correct(&h, login, role, at);
            assert_eq!(got.is_ok(), allowed, "{role:?} {login} at {at}: {got:?}");
        }
        let refused = may_correct(&h, "suzuki", Role::Staff, same_day).unwrap_err();
        assert!(refused.contains("管理者"), "{refused}");
    }

    #[test]
    fn insurer_check_digits() {
        // 協会けんぽ 東京支部.
        assert!(insurer_number_problem("01130012").is_none());
        assert!(insurer_number_problem("01130013").is_some());
        // The MHLW's number for unknown eligibility comes in a form that passes the check
        // (77777779) and one receipt software may refuse (77777777).
        assert!(insurer_number_problem("77777779").is_none());
        assert!(insurer_number_problem("77777777").is_some());
        assert!(insurer_number_problem("1234").is_some());
        // Typed full-width (IME on), the same number.
        assert!(insurer_number_problem("０１１３００１２").is_none());
    }

    #[test]
    fn typed_numbers_are_read_back_before_they_are_stored_as_folded() {
        let rules = Rules::embedded();
        let now = crate::datetime!(2026-11-30 10:05 +09:00);
        let h = handed_over(HandoffReason::ConfirmPortalScreen);
        let typed = [
            ("action", "portal_screen"),
            ("insurer_number", "０１１３　００１２"),
            ("symbol", "１２"),
            ("number", "３４５"),
            ("branch", "1"),
            ("burden_ratio", "30"),
            ("valid_until", "令和9年3月31日"),
        ];
        // First the read-back step: nothing stored yet.
        let asked = decide(&rules, &h, &form(&typed), "sato", now).unwrap_err();
        assert_eq!(
            asked.iter().map(|e| e.field).collect::<Vec<_>>(),
            ["confirm"]
        );
        let numbers = numbers_to_read_back(&form(&typed), h.record.visit_date).unwrap();
        let line: Vec<String> = read_back(&numbers)
            .into_iter()
            .map(|(label, value)| format!("{label} {value}"))
            .collect();
        assert_eq!(
            line.join("／"),
            "保険者番号 0113 0012／記号 12／番号 345／枝番 01／負担割合 3割／有効期限 2027-03-31（令和9年3月31日）"
        );
        let mut confirmed = typed.to_vec();
        confirmed.push(("confirm", "yes"));
        let done = decide(&rules, &h, &form(&confirmed), "sato", now).unwrap();
        assert!(!done.counts_toward_usage_rate);
        let ClosedAs::Verified { read_off, .. } = done.resolution.closed_as else {
            panic!("not verified");
        };
        assert_eq!(read_off, Some(numbers));
    }

    #[test]
    fn each_fault_is_refused_under_its_own_field() {
        let rules = Rules::embedded();
        let now = crate::datetime!(2026-11-30 10:05 +09:00);
        let h = handed_over(HandoffReason::ConfirmPortalScreen);
        let errors = decide(
            &rules,
            &h,
            &form(&[
                ("action", "portal_screen"),
                ("insurer_number", "０１１３００１３"),
                ("number", ""),
                ("branch", "123"),
                ("valid_until", "2026/11/29"),
            ]),
            "sato",
            now,
        )
        .unwrap_err();
        let by_field: BTreeMap<&str, &str> = errors
            .iter()
            .map(|e| (e.field, e.japanese.as_str()))
            .collect();
        assert_eq!(
            by_field["insurer_number"],
            "最後の1桁（検証番号）が合いません。画面の番号をもう一度確認してください。"
        );
        assert_eq!(by_field["number"], "番号を入力してください。");
        assert_eq!(
            by_field["branch"],
            "枝番は2桁です。入力されたのは3桁です（ない場合は空欄）。"
        );
        assert_eq!(
            by_field["burden_ratio"],
            "負担割合を選んでください（画面に表示がなければ「表示なし」）。"
        );
        assert_eq!(
            by_field["valid_until"],
            "有効期限2026-11-29は受付日2026-11-30より前です。画面をもう一度確認してください。"
        );
        let unreadable = decide(
            &rules,
            &h,
            &form(&[
                ("action", "portal_screen"),
                ("insurer_number", "01130012"),
                ("number", "1"),
                ("burden_ratio", "30"),
                ("valid_until", "来年3月"),
            ]),
            "sato",
            now,
        )
        .unwrap_err();
        assert_eq!(unreadable[0].field, "valid_until");
        assert!(
            unreadable[0]
                .japanese
                .starts_with("有効期限：日付は 2027-03-31")
        );
    }

    #[test]
    fn no_ratio_shown_is_a_choice_with_the_rule_from_the_rules_file() {
        let rules = Rules::embedded();
        let day = crate::date!(2026 - 11 - 30);
        assert_eq!(
            no_ratio_shown_label(&rules, day),
            "表示なし（年齢で判断：70歳未満3割、未就学2割）"
        );
        let now = crate::datetime!(2026-11-30 10:05 +09:00);
        let h = handed_over(HandoffReason::ConfirmPortalScreen);
        let done = decide(
            &rules,
            &h,
            &form(&[
                ("action", "portal_screen"),
                ("insurer_number", "138065"),
                ("number", "7"),
                ("burden_ratio", typed::NO_RATIO_SHOWN),
                ("confirm", "yes"),
            ]),
            "sato",
            now,
        )
        .unwrap();
        let ClosedAs::Verified {
            read_off: Some(n), ..
        } = done.resolution.closed_as
        else {
            panic!("no numbers");
        };
        assert_eq!(n.burden_ratio, None);
        assert!(read_back(&n).contains(&("負担割合", "表示なし（年齢で判断）".to_owned())));
    }

    #[test]
    fn the_declared_document_is_the_paper_forms_choice_and_its_numbers_are_optional() {
        let rules = Rules::embedded();
        let now = crate::datetime!(2026-11-30 10:05 +09:00);
        let mut h = handed_over(HandoffReason::PaperDocument);
        for (presented, paper) in [
            (
                Presented::EligibilityCertificate,
                Some(PaperSeen::EligibilityCertificate),
            ),
            (
                Presented::EligibilityNoticeWithCard,
                Some(PaperSeen::NoticeWithCard),
            ),
            (
                Presented::ExpiredInsuranceCard,
                Some(PaperSeen::ExpiredCardProvisional),
            ),
            (Presented::Nothing, None),
            (Presented::MyNumberCard, None),
        ] {
            h.record.presented = Some(presented);
            assert_eq!(declared_document(&h), paper, "{presented:?}");
        }
        h.record.presented = Some(Presented::Nothing);
        assert_eq!(declared_text(&h), Some("何も持っていない"));
        let notice = [
            ("action", "paper_document"),
            ("document", "notice_with_card_checked_by_staff"),
        ];
        // Without numbers: recorded at once, as before.
        let done = decide(&rules, &h, &form(&notice), "sato", now).unwrap();
        assert!(matches!(
            done.resolution.closed_as,
            ClosedAs::Verified { read_off: None, .. }
        ));
        // With the numbers copied: read back first, then stored with the document.
        let mut with = notice.to_vec();
        with.extend([
            ("insurer_number", "０１１３００１２"),
            ("number", "5"),
            ("burden_ratio", "30"),
        ]);
        let asked = decide(&rules, &h, &form(&with), "sato", now).unwrap_err();
        assert_eq!(asked[0].field, "confirm");
        with.push(("confirm", "yes"));
        let done = decide(&rules, &h, &form(&with), "sato", now).unwrap();
        match done.resolution.closed_as {
            ClosedAs::Verified {
                verification,
                read_off: Some(n),
                ..
            } => {
                assert_eq!(
                    verification,
                    VerificationMethod::NoticeWithCardCheckedByStaff
                );
                assert_eq!(n.insurer_number, "01130012");
            }
            other => panic!("{other:?}"),
        }
    }
}
