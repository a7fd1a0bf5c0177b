//! The reception desk's side of a handoff: what staff can do with one, the checks on what they
//! type, and what each action records.
//!
//! Owns: the actions offered per handoff reason, the validation of the numbers staff read off a
//! patient's eligibility screen, and the verification method each action records, with the
//! usage-rate flag from the rules (never from the form). Must not know: HTTP, HTML, SQL, the
//! clock (`now` is given).

pub mod queue;

use std::collections::BTreeMap;

use time::{Date, OffsetDateTime};

use crate::domain::{
    BurdenRatio, ClosedAs, HandoffReason, HandoffResolution, IdentityMethod, InsuranceNumbers,
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
            | R::ReaderOutOfService => "",
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
        },
        _ => "",
    };
    let allowed = why_not.is_empty();
    Offer {
        allowed,
        why_not,
        records,
        needs_what_was_seen: action == DeskAction::VisualCheck,
        needs_confirmation: matches!(
            action,
            DeskAction::VisualCheck
                | DeskAction::ChooseAmongMatches
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
    now: OffsetDateTime,
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
            let read = check_in.record.verification.filter(|m| {
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
            Some(paper) => Some(ClosedAs::Verified {
                verification: paper.verification(),
                identity: None,
                read_off: None,
            }),
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
    if let (Some(action), Some(offer)) = (action, offered)
        && offer.needs_confirmation
        && errors.is_empty()
        && field("confirm") != "yes"
    {
        errors.push(error(
            "confirm",
            confirmation_prompt(action),
            "Not recorded yet: check and press the button again.",
        ));
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
/// the day it was recorded (Japan time), and only by the person who recorded it or by someone
/// who manages accounts (the technician). Err: why not, in Japanese.
pub fn may_correct(
    check_in: &StoredCheckIn,
    login: &str,
    role: Role,
    now: OffsetDateTime,
) -> Result<(), String> {
    let Some(resolution) = &check_in.resolution else {
        return Err(
            "まだ対応していない受付です。訂正ではなく、対応を記録してください。".to_owned(),
        );
    };
    let recorded_on = resolution.resolved_at.to_offset(crate::rules::JST).date();
    if now.to_offset(crate::rules::JST).date() != recorded_on {
        return Err(format!(
            "訂正できるのは記録した日（{recorded_on}）のうちだけです。"
        ));
    }
    if resolution.staff != login && !role.manages_accounts() {
        return Err(format!(
            "訂正できるのは記録した人（{}）か技術担当者だけです。",
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
    now: OffsetDateTime,
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

fn read_numbers(
    form: &BTreeMap<String, String>,
    visit_date: Date,
    errors: &mut Vec<FieldError>,
) -> Option<InsuranceNumbers> {
    let field = |name: &str| form.get(name).map(|v| v.trim()).unwrap_or_default();
    let before = errors.len();
    let insurer_number = field("insurer_number");
    if let Some(problem) = insurer_number_problem(insurer_number) {
        errors.push(problem);
    }
    let optional = |v: &str| (!v.is_empty()).then(|| v.to_owned());
    let symbol = field("symbol");
    if symbol.chars().count() > 20 || symbol.chars().any(char::is_control) {
        errors.push(error(
            "symbol",
            "記号は20文字までです。",
            "The symbol has at most 20 characters.",
        ));
    }
    let number = field("number");
    if number.is_empty() {
        errors.push(error(
            "number",
            "番号を入力してください。",
            "Enter the number (番号).",
        ));
    } else if number.chars().count() > 20 || number.chars().any(char::is_control) {
        errors.push(error(
            "number",
            "番号は20文字までです。",
            "The number has at most 20 characters.",
        ));
    }
    let branch = field("branch");
    let two_digits = branch.len() == 2 && branch.bytes().all(|b| b.is_ascii_digit());
    if !branch.is_empty() && !two_digits {
        errors.push(error(
            "branch",
            "枝番は2桁の数字です（ない場合は空欄）。",
            "The branch number is 2 digits (leave it empty if there is none).",
        ));
    }
    let burden_ratio = match field("burden_ratio") {
        "10" => Some(BurdenRatio(10)),
        "20" => Some(BurdenRatio(20)),
        "30" => Some(BurdenRatio(30)),
        _ => {
            errors.push(error(
                "burden_ratio",
                "負担割合（1割・2割・3割）を選んでください。",
                "Choose the burden ratio (10%, 20% or 30%).",
            ));
            None
        }
    };
    let valid_until = match field("valid_until") {
        "" => None,
        text => match Date::parse(
            text,
            time::macros::format_description!("[year]-[month]-[day]"),
        ) {
            Ok(date) if date < visit_date => {
                errors.push(FieldError {
                    field: "valid_until",
                    japanese: format!(
                        "有効期限{date}は受付日{visit_date}より前です。画面をもう一度確認してください。"
                    ),
                    english: format!(
                        "The validity ended on {date}, before the visit on {visit_date}. Check the screen again."
                    ),
                });
                None
            }
            Ok(date) => Some(date),
            Err(_) => {
                errors.push(error(
                    "valid_until",
                    "有効期限は 2027-03-31 のように入力してください（ない場合は空欄）。",
                    "Enter the validity as 2027-03-31 (leave it empty if none is shown).",
                ));
                None
            }
        },
    };
    if errors.len() > before {
        return None;
    }
    Some(InsuranceNumbers {
        insurer_number: insurer_number.to_owned(),
        symbol: optional(symbol),
        number: number.to_owned(),
        branch: optional(branch),
        burden_ratio: burden_ratio?,
        valid_until,
    })
}

/// Checks an insurer number (保険者番号): 6 digits (国民健康保険) or 8, the last being a check
/// digit (検証番号): the other digits weighted 2, 1, 2, … from the right, the digits of the
/// products summed, and 10 minus the last digit of the sum (0 when that is 0).
fn insurer_number_problem(insurer_number: &str) -> Option<FieldError> {
    let digits: Vec<u32> = insurer_number
        .chars()
        .filter_map(|c| c.to_digit(10))
        .collect();
    if digits.len() != insurer_number.chars().count() || ![6, 8].contains(&digits.len()) {
        return Some(error(
            "insurer_number",
            "保険者番号は6桁（国民健康保険）か8桁の数字です。",
            "The insurer number is 6 digits (national health insurance) or 8 digits.",
        ));
    }
    let (body, check) = digits.split_at(digits.len() - 1);
    if check[0] != check_digit(body) {
        return Some(error(
            "insurer_number",
            "保険者番号の最後の桁（検証番号）が合いません。画面の番号をもう一度確認してください。",
            "The insurer number's last digit (check digit) does not match. Check the number on the screen again.",
        ));
    }
    None
}

fn check_digit(body: &[u32]) -> u32 {
    let sum: u32 = body
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| {
            let p = if i % 2 == 0 { d * 2 } else { *d };
            p / 10 + p % 10
        })
        .sum();
    (10 - sum % 10) % 10
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One cell of the reason × action table: "-" not offered; otherwise the method recorded
    /// (`card`, `card-or-phone as read`, `portal`, `document`, `none`), `+1` when it counts
    /// toward the usage rate under the embedded rules on 2026-11-30 (`+0` when not), and
    /// ` seen+confirm` / ` confirm` when staff tick what they saw and confirm a second time.
    fn cell(rules: &Rules, reason: HandoffReason, action: DeskAction) -> String {
        let day = time::macros::date!(2026 - 11 - 30);
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
        let (portal, paper, none) = ("portal+0", "document+0", "none+0 confirm");
        let table: [(R, [&str; 6]); 12] = [
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
            (
                R::PatientCalledStaff,
                ["-", portal, visual, paper, none, none],
            ),
            (
                R::ReaderOutOfService,
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
        let at = time::macros::datetime!(2026-11-30 10:00 +09:00);
        let several = reason == HandoffReason::SeveralMatches;
        StoredCheckIn {
            id: 1,
            reception_number: None,
            record: crate::domain::CheckInRecord {
                started_at: at,
                finished_at: at,
                visit_date: at.date(),
                presented: Some(crate::domain::Presented::MyNumberCard),
                identity: several.then_some(IdentityMethod::PinOnCard),
                verification: several.then_some(VerificationMethod::CardViaReader),
                counts_toward_usage_rate: several,
                consent: Default::default(),
                eligibility: None,
                outcome: crate::domain::Outcome::HandedToStaff { reason },
                checklist: vec![],
                wrong_pin_entries: 0,
                kiosk: "1F".to_owned(),
                patient_name: None,
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
        let now = time::macros::datetime!(2026-11-30 10:05 +09:00);
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
        let now = time::macros::datetime!(2026-11-30 10:05 +09:00);
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

    #[test]
    fn every_button_names_its_outcome_and_cancel_and_unresolved_ask_for_a_reason_and_a_second_press()
     {
        let rules = Rules::embedded();
        let now = time::macros::datetime!(2026-11-30 10:05 +09:00);
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
            resolved_at: time::macros::datetime!(2026-11-30 10:05 +09:00),
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
        let later = time::macros::datetime!(2026-11-30 17:55 +09:00);
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
        let same_day = time::macros::datetime!(2026-11-30 23:59 +09:00);
        // 2026-12-01 00:01 in Japan, still 2026-11-30 in UTC.
        let next_day = time::macros::datetime!(2026-11-30 15:01 UTC);
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
        assert!(insurer_number_problem("０１１３００１２").is_some());
    }
}
