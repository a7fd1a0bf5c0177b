//! One result file of the eligibility terminal (a face file or an `OQSsiquc01res_` answer), read
//! by element name and mapped to [`EligibilityResult`] (integration-formats.md §1.3–1.6).

use std::fmt;

use chrono::NaiveDateTime;
use roxmltree::{Document, Node, ParsingOptions};

use super::text::{self, OqsEncoding};
use super::{OqsFileError, QualificationQuery, parse_stamp14};
use crate::dates::Date;
use crate::domain::{
    BurdenRatio, ConsentAnswers, EligibilityResult, PatientName, PrescriptionForm, Validity,
    name_contains_black_circle,
};

/// Files larger than this are refused before parsing: real result files are a few kilobytes.
pub const MAX_FILE_BYTES: usize = 1024 * 1024;

/// Element nodes a file may hold (roxmltree's `nodes_limit`): a bound on memory for a hostile file.
const MAX_NODES: u32 = 20_000;

/// Lists inside a result whose entries repeat their own fields (certificates, 公費): the person's
/// fields are never looked for inside them, and their repetition is not a duplicate
/// (§1.4: SpecificDiseasesCertificateList/SpecificDiseasesCertificateInfo*,
/// PublicExpenseResultList/MedicalTicketInfo*).
const REPEATING_LISTS: [&str; 4] = [
    "SpecificDiseasesCertificateList",
    "SpecificDiseasesCertificateInfo",
    "PublicExpenseResultList",
    "MedicalTicketInfo",
];

/// Parts of MessageBody whose fields are not the body's own: the results, and the echo of a
/// query (which has its own `LimitApplicationCertificateRelatedConsFlg`).
const BODY_PARTS: [&str; 3] = [
    "ResultList",
    "ResultOfQualificationConfirmation",
    "QualificationConfirmSearchInfo",
];

/// One parsed result file. Holds a patient's name and birth date: `Debug` shows neither.
#[derive(Clone, PartialEq, Eq)]
pub struct OqsResponse {
    encoding: OqsEncoding,
    medical_institution_code: String,
    processed_at: Option<NaiveDateTime>,
    confirmation_date: Option<Date>,
    arbitrary_file_identifier: Option<String>,
    reference_classification: Option<String>,
    segment_of_result: Option<String>,
    error_code: Option<String>,
    error_message: Option<String>,
    processing_result_status: Option<String>,
    processing_result_code: Option<String>,
    processing_result_message: Option<String>,
    qualification_validity: Option<String>,
    prescription_issue_select: Option<String>,
    search_info: Option<QualificationQuery>,
    results: Vec<Person>,
}

/// The fields of one ResultOfQualificationConfirmation the kiosk uses.
#[derive(Clone, PartialEq, Eq)]
struct Person {
    insurer_number: Option<String>,
    symbol: Option<String>,
    number: Option<String>,
    branch: Option<String>,
    birth_date: Option<Date>,
    name: Option<String>,
    kana: Option<String>,
    /// 75+ (後期): InsuredPartialContributionRatio.
    partial_ratio: Option<BurdenRatio>,
    /// 70–74: ElderlyRecipientCertificateInfo/ElderlyRecipientContributionRatio.
    elderly_ratio: Option<BurdenRatio>,
    valid_from: Option<Date>,
    valid_until: Option<Date>,
    reference_number: Option<String>,
    prescription_issue_select: Option<String>,
    pharmacists_cons: Option<String>,
    diagnosis_cons: Option<String>,
    operation_cons: Option<String>,
    health_checkups_cons: Option<String>,
    limit_cons: Option<String>,
    limit_category: Option<String>,
}

/// Why a well-formed result file gives no eligibility the kiosk may use: the check-in goes to
/// staff. `Display` is for technicians and staff; it holds codes and the terminal's own messages
/// as given, never personal data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotUsable {
    /// SegmentOfResult other than 1 (OQSCD003: 2 処理中, 9 異常終了), with ErrorCode and
    /// ErrorMessage shown as-is (§1.5).
    #[error(
        "the terminal reports an error (SegmentOfResult {segment}): {} {}",
        code.as_deref().unwrap_or("(no ErrorCode)"),
        message.as_deref().unwrap_or("(no ErrorMessage)")
    )]
    ErrorFile {
        segment: String,
        code: Option<String>,
        message: Option<String>,
    },
    /// ProcessingResultStatus 2 (OQSCD004 エラー), with ProcessingResultCode and
    /// ProcessingResultMessage shown as-is.
    #[error(
        "the eligibility check failed (ProcessingResultStatus {status}): {} {}",
        code.as_deref().unwrap_or("(no ProcessingResultCode)"),
        message.as_deref().unwrap_or("(no ProcessingResultMessage)")
    )]
    ProcessingError {
        status: String,
        code: Option<String>,
        message: Option<String>,
    },
    /// SegmentOfResult or ProcessingResultStatus is missing: the outcome is unknown.
    #[error("the file has no {0}: its outcome is unknown")]
    Incomplete(&'static str),
    /// No ResultOfQualificationConfirmation although the file reports a person.
    #[error("the file holds no ResultOfQualificationConfirmation")]
    NoResult,
    /// More than one ResultOfQualificationConfirmation: never pick one (MR, §1.6).
    #[error("the file holds {0} ResultOfQualificationConfirmation elements; staff must choose")]
    SeveralResults(usize),
    /// QualificationValidity missing, 6 (有効（未登録）, medical aid only) or an unknown code.
    #[error("QualificationValidity {} is not one the kiosk can use", .0.as_deref().unwrap_or("(missing)"))]
    Validity(Option<String>),
}

/// Reads one result file. `bytes` is the whole file as read from the terminal's folder.
///
/// Errors ([`OqsFileError`]): too large, the encoding (see [`text::decode`]), not XML, a DTD
/// (refused, so no external entity is ever resolved), a root other than XmlMsg, no
/// MessageHeader/MessageBody/MedicalInstitutionCode, a field given twice where one is allowed,
/// a date, time or ratio that is not digits of its format.
pub fn read_response(bytes: &[u8]) -> Result<OqsResponse, OqsFileError> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(OqsFileError::TooLarge(bytes.len()));
    }
    let (text, encoding) = text::decode(bytes)?;
    let options = ParsingOptions {
        allow_dtd: false,
        nodes_limit: MAX_NODES,
        entity_resolver: None,
    };
    let doc = Document::parse_with_options(&text, options).map_err(|e| match e {
        roxmltree::Error::DtdDetected => OqsFileError::DtdRefused,
        other => OqsFileError::NotXml(other.to_string()),
    })?;
    let root = doc.root_element();
    // roxmltree lets an empty `<!DOCTYPE XmlMsg>` through; the terminal writes none.
    if text[..root.range().start].contains("<!DOCTYPE") {
        return Err(OqsFileError::DtdRefused);
    }
    if root.tag_name().name() != "XmlMsg" {
        return Err(OqsFileError::Missing("XmlMsg"));
    }
    let header =
        one_element(root, "MessageHeader")?.ok_or(OqsFileError::Missing("MessageHeader"))?;
    let body = one_element(root, "MessageBody")?.ok_or(OqsFileError::Missing("MessageBody"))?;

    let h = |name: &'static str| field(header, name, &[]);
    let b = |name: &'static str| field(body, name, &BODY_PARTS);
    let medical_institution_code =
        h("MedicalInstitutionCode")?.ok_or(OqsFileError::Missing("MedicalInstitutionCode"))?;
    let processed_at = h("ProcessExecutionTime")?
        .map(|t| parse_stamp14(&t).ok_or(OqsFileError::BadValue("ProcessExecutionTime")))
        .transpose()?;
    let confirmation_date = date(
        h("QualificationConfirmationDate")?,
        "QualificationConfirmationDate",
    )?;

    let search_info = one_element(body, "QualificationConfirmSearchInfo")?
        .map(search_info)
        .transpose()?;
    let results = body
        .descendants()
        .filter(|n| n.has_tag_name("ResultOfQualificationConfirmation"))
        .map(person)
        .collect::<Result<Vec<_>, _>>()?;

    Ok(OqsResponse {
        encoding,
        medical_institution_code,
        processed_at,
        confirmation_date,
        arbitrary_file_identifier: h("ArbitraryFileIdentifier")?,
        reference_classification: h("ReferenceClassification")?,
        segment_of_result: h("SegmentOfResult")?,
        error_code: h("ErrorCode")?,
        error_message: raw(header, "ErrorMessage", &[])?,
        processing_result_status: b("ProcessingResultStatus")?,
        processing_result_code: b("ProcessingResultCode")?,
        processing_result_message: raw(body, "ProcessingResultMessage", &BODY_PARTS)?,
        qualification_validity: b("QualificationValidity")?,
        prescription_issue_select: b("PrescriptionIssueSelect")?,
        search_info,
        results,
    })
}

impl OqsResponse {
    /// MedicalInstitutionCode (10 digits on real files, kept as given): the caller compares it
    /// with the facility's own code.
    pub fn medical_institution_code(&self) -> &str {
        &self.medical_institution_code
    }

    /// ProcessExecutionTime, the terminal's clock (JST, second precision; §1.2, §1.5).
    pub fn processed_at(&self) -> Option<NaiveDateTime> {
        self.processed_at
    }

    /// QualificationConfirmationDate: the day the eligibility was checked for.
    pub fn confirmation_date(&self) -> Option<Date> {
        self.confirmation_date
    }

    /// ArbitraryFileIdentifier: the request's own value echoed in an `OQSsiquc01res_` answer; an
    /// opaque token in a face file (§1.5).
    pub fn arbitrary_file_identifier(&self) -> Option<&str> {
        self.arbitrary_file_identifier.as_deref()
    }

    /// ReferenceClassification (OQSCD002): `1` card (face files), `2` insurance numbers (answers).
    pub fn reference_classification(&self) -> Option<&str> {
        self.reference_classification.as_deref()
    }

    /// The encoding the prolog declared.
    pub fn encoding(&self) -> OqsEncoding {
        self.encoding
    }

    /// The echo of a query's QualificationConfirmSearchInfo (answers to `OQSsiquc01req`), so the
    /// caller can check the answer is to its question.
    pub fn search_info(&self) -> Option<&QualificationQuery> {
        self.search_info.as_ref()
    }

    /// ProcessingResultCode and ProcessingResultMessage of a successful file, when the terminal
    /// adds a note (e.g. the card expires within 3 months): for staff, shown as-is (OQSCD004,
    /// §1.5). `None` when there is no message. On ProcessingResultStatus 2 they are in
    /// [`NotUsable::ProcessingError`] instead.
    pub fn processing_note(&self) -> Option<(Option<&str>, &str)> {
        if self.processing_result_status.as_deref() != Some("1") {
            return None;
        }
        let message = self.processing_result_message.as_deref()?;
        Some((self.processing_result_code.as_deref(), message))
    }

    /// How many ResultOfQualificationConfirmation elements the file holds.
    pub fn result_count(&self) -> usize {
        self.results.len()
    }

    /// The eligibility the file gives, or why it gives none (then staff take over).
    ///
    /// Usable: SegmentOfResult 1, ProcessingResultStatus 1 and exactly one
    /// ResultOfQualificationConfirmation, QualificationValidity 1–5 mapped to [`Validity`] (MC
    /// `isValid`, §1.6). Two cases carry no person, so they map without one rather than to
    /// [`NotUsable`]: validity 4 (該当資格なし) with no result, and validity 5 (複数該当) with any
    /// number of results (the results are not read: the kiosk never picks one).
    ///
    /// Mapping: insurer number without its padding spaces (`␣␣139998` → `139998`, §1.5, §1.8);
    /// 記号/番号/枝番 as given, zeros kept; Birthdate `YYYYMMDD`; burden ratio from
    /// InsuredPartialContributionRatio (75+, `010` → 10%) or else
    /// ElderlyRecipientContributionRatio (70–74), none under 70 (the flow derives it from the age,
    /// §1.5 "Burden ratio"); InsuredCardValidDate/InsuredCardExpirationDate; Name exactly ("●"
    /// kept, §1.8) with NameKana; ReferenceNumber; the reader's consent answers
    /// ([`EligibilityResult::reader_consent`]) and the 限度額 category.
    pub fn eligibility(&self) -> Result<EligibilityResult, NotUsable> {
        let segment = self
            .segment_of_result
            .as_deref()
            .ok_or(NotUsable::Incomplete("SegmentOfResult"))?;
        if segment != "1" {
            return Err(NotUsable::ErrorFile {
                segment: segment.to_owned(),
                code: self.error_code.clone(),
                message: self.error_message.clone(),
            });
        }
        let status = self
            .processing_result_status
            .as_deref()
            .ok_or(NotUsable::Incomplete("ProcessingResultStatus"))?;
        if status != "1" {
            return Err(NotUsable::ProcessingError {
                status: status.to_owned(),
                code: self.processing_result_code.clone(),
                message: self.processing_result_message.clone(),
            });
        }
        let validity = match self.qualification_validity.as_deref() {
            Some("1") => Validity::Valid,
            Some("2") => Validity::Invalid,
            Some("3") => Validity::InvalidNewerExists,
            Some("4") => Validity::NoEligibility,
            Some("5") => Validity::SeveralMatches,
            other => return Err(NotUsable::Validity(other.map(str::to_owned))),
        };
        match (validity, self.results.as_slice()) {
            (Validity::SeveralMatches, _) | (Validity::NoEligibility, []) => {
                Ok(without_person(validity))
            }
            (_, []) => Err(NotUsable::NoResult),
            (_, [person]) => {
                Ok(person.to_result(validity, self.prescription_issue_select.as_deref()))
            }
            (_, several) => Err(NotUsable::SeveralResults(several.len())),
        }
    }
}

impl fmt::Debug for OqsResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OqsResponse")
            .field("encoding", &self.encoding)
            .field("medical_institution_code", &self.medical_institution_code)
            .field("processed_at", &self.processed_at)
            .field("segment_of_result", &self.segment_of_result)
            .field("processing_result_status", &self.processing_result_status)
            .field("qualification_validity", &self.qualification_validity)
            .field("results", &self.results.len())
            .finish_non_exhaustive()
    }
}

pub(super) fn without_person(validity: Validity) -> EligibilityResult {
    EligibilityResult {
        validity,
        insurer_number: None,
        symbol: None,
        number: None,
        branch: None,
        birth_date: None,
        burden_ratio: None,
        valid_from: None,
        valid_until: None,
        name_contains_black_circle: false,
        reference_number: None,
        reader_consent: None,
        high_cost_limit_category: None,
        name: None,
    }
}

impl Person {
    fn to_result(&self, validity: Validity, body_prescription: Option<&str>) -> EligibilityResult {
        let name = self.name.as_ref().map(|name| PatientName {
            name: name.clone(),
            kana: self.kana.clone(),
            birth_date: None,
        });
        let prescription = body_prescription.or(self.prescription_issue_select.as_deref());
        let consent = ConsentAnswers {
            mode: None,
            medical_and_drug_info: both(
                consent_flag(self.diagnosis_cons.as_deref()),
                consent_flag(self.pharmacists_cons.as_deref()),
            ),
            surgery_info: consent_flag(self.operation_cons.as_deref()),
            health_check_info: consent_flag(self.health_checkups_cons.as_deref()),
            high_cost_limit_info: consent_flag(self.limit_cons.as_deref()),
            prescription_form: match prescription {
                Some("1") => Some(PrescriptionForm::Electronic),
                Some("2") => Some(PrescriptionForm::Paper),
                _ => None,
            },
            medical_aid_certificate: None,
        };
        EligibilityResult {
            validity,
            insurer_number: self.insurer_number.clone(),
            symbol: self.symbol.clone(),
            number: self.number.clone(),
            branch: self.branch.clone(),
            birth_date: self.birth_date,
            burden_ratio: self.partial_ratio.or(self.elderly_ratio),
            valid_from: self.valid_from,
            valid_until: self.valid_until,
            name_contains_black_circle: self
                .name
                .as_deref()
                .is_some_and(name_contains_black_circle),
            reference_number: self.reference_number.clone(),
            reader_consent: (!consent.is_empty()).then_some(consent),
            high_cost_limit_category: self.limit_category.clone(),
            name,
        }
    }
}

/// OQSCD016: `1` あり → yes; `0` なし and `2` 期限切れ → no; `3` 取得困難 and unknown codes → not
/// known (§1.6).
fn consent_flag(code: Option<&str>) -> Option<bool> {
    match code? {
        "1" => Some(true),
        "0" | "2" => Some(false),
        _ => None,
    }
}

/// 診療・薬剤情報 is one question on the kiosk and two flags in the file (DiagnosisInfoConsFlg,
/// PharmacistsInfoConsFlg): yes only when every flag given says yes.
fn both(a: Option<bool>, b: Option<bool>) -> Option<bool> {
    match (a, b) {
        (None, None) => None,
        (Some(x), None) | (None, Some(x)) => Some(x),
        (Some(x), Some(y)) => Some(x && y),
    }
}

fn person(node: Node) -> Result<Person, OqsFileError> {
    let f = |name: &'static str| field(node, name, &REPEATING_LISTS);
    let elderly = one_element(node, "ElderlyRecipientCertificateInfo")?;
    let limit = one_element(node, "LimitApplicationCertificateRelatedInfo")?;
    Ok(Person {
        insurer_number: f("InsurerNumber")?,
        symbol: f("InsuredCardSymbol")?,
        number: f("InsuredIdentificationNumber")?,
        branch: f("InsuredBranchNumber")?,
        birth_date: date(f("Birthdate")?, "Birthdate")?,
        name: raw(node, "Name", &REPEATING_LISTS)?,
        kana: raw(node, "NameKana", &REPEATING_LISTS)?,
        partial_ratio: ratio(
            f("InsuredPartialContributionRatio")?,
            "InsuredPartialContributionRatio",
        )?,
        elderly_ratio: match elderly {
            Some(e) => ratio(
                field(e, "ElderlyRecipientContributionRatio", &[])?,
                "ElderlyRecipientContributionRatio",
            )?,
            None => None,
        },
        valid_from: date(f("InsuredCardValidDate")?, "InsuredCardValidDate")?,
        valid_until: date(f("InsuredCardExpirationDate")?, "InsuredCardExpirationDate")?,
        reference_number: f("ReferenceNumber")?,
        prescription_issue_select: f("PrescriptionIssueSelect")?,
        pharmacists_cons: f("PharmacistsInfoConsFlg")?,
        diagnosis_cons: f("DiagnosisInfoConsFlg")?,
        operation_cons: f("OperationInfoConsFlg")?,
        health_checkups_cons: f("SpecificHealthCheckupsInfoConsFlg")?,
        limit_cons: f("LimitApplicationCertificateRelatedConsFlg")?,
        limit_category: match limit {
            Some(l) => field(l, "LimitApplicationCertificateClassificationFlag", &[])?,
            None => None,
        },
    })
}

fn search_info(node: Node) -> Result<QualificationQuery, OqsFileError> {
    let f = |name: &'static str| field(node, name, &[]);
    Ok(QualificationQuery {
        insurer_number: f("InsurerNumber")?.unwrap_or_default(),
        symbol: f("InsuredCardSymbol")?,
        number: f("InsuredIdentificationNumber")?.unwrap_or_default(),
        branch: f("InsuredBranchNumber")?,
        birth_date: date(f("Birthdate")?, "Birthdate")?,
        high_cost_limit_consent: f("LimitApplicationCertificateRelatedConsFlg")?.as_deref()
            == Some("1"),
    })
}

/// The elements named `name` under `scope` (at any depth), not looking inside elements named in
/// `skip` nor inside a match.
fn elements<'a, 'i>(scope: Node<'a, 'i>, name: &str, skip: &[&str]) -> Vec<Node<'a, 'i>> {
    scope
        .descendants()
        .filter(|n| n.is_element() && n.tag_name().name() == name && *n != scope)
        .filter(|n| {
            !n.ancestors()
                .skip(1)
                .take_while(|a| *a != scope)
                .any(|a| a.tag_name().name() == name || skip.contains(&a.tag_name().name()))
        })
        .collect()
}

/// The one element named `name` under `scope`, if any. Errors: it is there twice.
fn one_element<'a, 'i>(
    scope: Node<'a, 'i>,
    name: &str,
) -> Result<Option<Node<'a, 'i>>, OqsFileError> {
    let mut found = elements(scope, name, &[]);
    if found.len() > 1 {
        return Err(OqsFileError::DuplicatedField(name.to_owned()));
    }
    Ok(found.pop())
}

/// A field's text exactly as written (a name: spaces and "●" kept); empty = absent (§1.4).
fn raw(scope: Node, name: &'static str, skip: &[&str]) -> Result<Option<String>, OqsFileError> {
    let found = elements(scope, name, skip);
    let node = match found.as_slice() {
        [] => return Ok(None),
        [one] => *one,
        _ => return Err(OqsFileError::DuplicatedField(name.to_owned())),
    };
    let text: String = node
        .children()
        .filter(Node::is_text)
        .filter_map(|t| t.text())
        .collect();
    Ok((!text.trim().is_empty()).then_some(text))
}

/// A code, number or date field: its text without surrounding ASCII spaces (the padding of a
/// 6-digit insurer number, §1.5), leading zeros kept; empty = absent.
fn field(scope: Node, name: &'static str, skip: &[&str]) -> Result<Option<String>, OqsFileError> {
    Ok(raw(scope, name, skip)?
        .map(|t| t.trim_matches(|c: char| c.is_ascii_whitespace()).to_owned()))
}

/// `YYYYMMDD` (Western calendar, §1.5).
fn date(text: Option<String>, name: &'static str) -> Result<Option<Date>, OqsFileError> {
    text.map(|t| {
        let ok = t.len() == 8 && t.bytes().all(|b| b.is_ascii_digit());
        ok.then(|| chrono::NaiveDate::parse_from_str(&t, "%Y%m%d").ok())
            .flatten()
            .ok_or(OqsFileError::BadValue(name))
    })
    .transpose()
}

/// A share in percent, 3 digits (`010` = 10% = 1割, §1.5), 1–100.
fn ratio(text: Option<String>, name: &'static str) -> Result<Option<BurdenRatio>, OqsFileError> {
    text.map(|t| {
        let ok = !t.is_empty() && t.len() <= 3 && t.bytes().all(|b| b.is_ascii_digit());
        ok.then(|| t.parse::<u8>().ok())
            .flatten()
            .filter(|p| (1..=100).contains(p))
            .map(BurdenRatio)
            .ok_or(OqsFileError::BadValue(name))
    })
    .transpose()
}
