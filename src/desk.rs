//! The reception desk's side of a handoff: what staff can do with one, the checks on what they
//! type, and what each action records.
//!
//! Owns: the actions offered per handoff reason, the validation of the numbers staff read off a
//! patient's eligibility screen, and the verification method each action records, with the
//! usage-rate flag from the rules (never from the form). Must not know: HTTP, HTML, SQL, the
//! clock (`now` is given).

use std::collections::BTreeMap;

use time::{Date, OffsetDateTime};

use crate::domain::{
    BurdenRatio, ClosedAs, HandoffReason, HandoffResolution, IdentityMethod, InsuranceNumbers,
    StoredCheckIn, VerificationMethod,
};
use crate::rules::Rules;

/// What staff did about a handoff.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeskAction {
    /// Looked at Mynaportal's eligibility screen (資格情報画面) on the patient's phone.
    PortalScreen,
    /// Compared the card's photo with the patient, then confirmed eligibility with the card at
    /// the reception reader.
    VisualCheck,
    /// Saw a paper document (or used the past record / a self-declaration).
    PaperDocument,
    /// Could not confirm eligibility (the note says why).
    Unresolved,
    /// Opened by mistake, or the patient withdrew.
    Cancel,
}

impl DeskAction {
    pub const ALL: [DeskAction; 5] = [
        Self::PortalScreen,
        Self::VisualCheck,
        Self::PaperDocument,
        Self::Unresolved,
        Self::Cancel,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
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
}

/// The actions offered for a reason, the one that usually fits first. Every action stays
/// available: a patient handed over for one reason may end up showing something else.
pub fn actions_for(reason: HandoffReason) -> [DeskAction; 5] {
    use DeskAction::*;
    match reason {
        HandoffReason::ConfirmPortalScreen => {
            [PortalScreen, PaperDocument, VisualCheck, Unresolved, Cancel]
        }
        HandoffReason::StaffVisualCheck
        | HandoffReason::PatientAskedStaffToCheck
        | HandoffReason::CardBlocked
        | HandoffReason::ReaderOutOfService => {
            [VisualCheck, PortalScreen, PaperDocument, Unresolved, Cancel]
        }
        _ => [PaperDocument, VisualCheck, PortalScreen, Unresolved, Cancel],
    }
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
    let closed_as = match DeskAction::parse(field("action")) {
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
        Some(DeskAction::Cancel) => Some(ClosedAs::Cancelled),
    };
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
