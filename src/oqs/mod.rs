//! The eligibility terminal's files (資格確認端末, its 連携アプリ): the one module that knows their
//! names, their XML and their encodings.
//!
//! Owns: reading a result file (a face file the certified reader's check-in leaves in `face`, or
//! an `OQSsiquc01res_` answer in `res`) into [`OqsResponse`] and from there into
//! [`crate::domain::EligibilityResult`] or [`NotUsable`]; the file-name rules (face files and
//! their time, request and answer names); writing an `OQSsiquc01req` query.
//! Libraries it alone knows: `roxmltree` (reading), `quick-xml` (writing), `encoding_rs`.
//! Must not know: the flow, the screens, the store, the clock, the folders (the caller reads and
//! writes the files; this module turns bytes into meaning and back).
//!
//! Decisions: a file holding several ResultOfQualificationConfirmation is read (it is well-formed)
//! and its [`OqsResponse::eligibility`] is [`NotUsable::SeveralResults`]; a field given twice in
//! one place is an [`OqsFileError::DuplicatedField`] (MR refuses both and never picks the first).
//! A Shift_JIS prolog over bytes that are valid UTF-8 is refused, not decoded into wrong kanji.
//!
//! Sources: the official 外部インターフェイス仕様書 is not public; every fact here comes from
//! `shared/research/integration-formats.md` §1 (keys MR = MynaReception, OD2 = OQSDrug2, SX =
//! sikakuxml, MC = myclinic-ts onshi-result, JSW, CS, SANOX) and its synthetic samples §3
//! (OQS-A/B/C). Facts the note marks UNCONFIRMED are not decided here: the caller's settings
//! decide (the facility code to compare, the encoding of requests, how long to wait).

pub mod folder;
pub mod query;
mod request;
mod response;
mod text;

use chrono::{NaiveDate, NaiveDateTime};

use crate::dates::Date;

pub use request::{eligibility_request, error_file_name, request_file_name, response_file_name};
pub use response::{MAX_FILE_BYTES, NotUsable, OqsResponse, read_response};
pub use text::OqsEncoding;

/// What is wrong with a terminal file, for technicians. `Display` names the element, the
/// encoding or the limit, never a value that could be personal data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OqsFileError {
    #[error("the file is {0} bytes, more than a result file can be")]
    TooLarge(usize),
    #[error("the prolog names encoding {0:?}; the terminal writes only UTF-8 or Shift_JIS")]
    UnknownEncoding(String),
    #[error("the prolog says {declared} but the bytes are {found}")]
    EncodingDisagrees {
        declared: &'static str,
        found: &'static str,
    },
    #[error("the bytes are not valid {encoding}")]
    Undecodable { encoding: &'static str },
    #[error("not well-formed XML: {0}")]
    NotXml(String),
    #[error("the file declares a DTD or entities: refused (no external entity is ever read)")]
    DtdRefused,
    #[error("the file has no {0}")]
    Missing(&'static str),
    #[error("the file gives {0} more than once; one is allowed")]
    DuplicatedField(String),
    #[error("{0} is not in its format (YYYYMMDD dates, YYYYMMDDHHmmss times, 3-digit ratios)")]
    BadValue(&'static str),
    #[error("{field} holds a character the request's encoding cannot write")]
    Unencodable { field: &'static str },
    #[error("{field} is not in its format for a request")]
    BadRequestField { field: &'static str },
}

/// The insurance numbers a query asks about (`OQSsiquc01req` QualificationConfirmSearchInfo,
/// integration-formats.md §1.7, SANOX road12, MC), and the echo of them in an answer
/// ([`OqsResponse::search_info`]).
#[derive(Clone, PartialEq, Eq)]
pub struct QualificationQuery {
    /// 保険者番号: 8 digits, or 6 (国保; space-padded to 8 when written). An answer's echo has
    /// the padding trimmed.
    pub insurer_number: String,
    /// 記号 (none for 後期高齢者).
    pub symbol: Option<String>,
    /// 番号, leading zeros kept.
    pub number: String,
    /// 枝番 (2 digits), when the card has one.
    pub branch: Option<String>,
    /// 生年月日, written `YYYYMMDD`.
    pub birth_date: Option<Date>,
    /// LimitApplicationCertificateRelatedConsFlg (required in a request): the patient agreed to
    /// share their 限度額 information.
    pub high_cost_limit_consent: bool,
}

impl std::fmt::Debug for QualificationQuery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QualificationQuery")
            .field("insurer_number", &self.insurer_number)
            .field("birth_date", &self.birth_date.map(|_| "(set)"))
            .finish_non_exhaustive()
    }
}

/// The time in a face file's name: `OQSsiquc01res_face_<opaque>_<yyyyMMddHHmmss>.xml`, matched
/// case-insensitively (MR's `\AOQSsiquc01res_face_.+_(\d{14})\.xml\z`; Windows ignores case,
/// §1.1, §1.2). The time is the terminal's clock (JST), second precision. `None` for any other
/// name, or a time that is no calendar time.
pub fn face_file_time(file_name: &str) -> Option<NaiveDateTime> {
    const PREFIX: &str = "oqssiquc01res_face_";
    const SUFFIX: &str = ".xml";
    let lower = file_name.to_ascii_lowercase();
    let inner = lower.strip_prefix(PREFIX)?.strip_suffix(SUFFIX)?;
    let (opaque, stamp) = inner.rsplit_once('_')?;
    if opaque.is_empty() {
        return None;
    }
    parse_stamp14(stamp)
}

/// Whether `file_name` is a face file's name (see [`face_file_time`]).
pub fn is_face_file(file_name: &str) -> bool {
    face_file_time(file_name).is_some()
}

/// `yyyyMMddHHmmss`, exactly 14 ASCII digits.
pub(crate) fn parse_stamp14(text: &str) -> Option<NaiveDateTime> {
    if text.len() != 14 || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n = |range: std::ops::Range<usize>| text[range].parse::<u32>().ok();
    let year = i32::try_from(n(0..4)?).ok()?;
    NaiveDate::from_ymd_opt(year, n(4..6)?, n(6..8)?)?.and_hms_opt(
        n(8..10)?,
        n(10..12)?,
        n(12..14)?,
    )
}

#[cfg(test)]
mod tests;
