//! Table tests of the terminal's files, from the note's synthetic samples OQS-A, OQS-B and OQS-C
//! (integration-formats.md §3) and variants of them.

use encoding_rs::SHIFT_JIS;

use super::*;
use crate::date;
use crate::domain::{BurdenRatio, EligibilityResult, PrescriptionForm, Validity};

/// OQS-A, the text (its prolog says Shift_JIS: encode with [`sjis`] before reading).
const OQS_A: &str = r#"<?xml version="1.0" encoding="Shift_JIS" standalone="no"?>
<XmlMsg><MessageHeader><ProcessExecutionTime>20260512091533</ProcessExecutionTime>
<CharacterCodeIdentifier>1</CharacterCodeIdentifier><SegmentOfResult>1</SegmentOfResult>
<QualificationConfirmationDate>20260512</QualificationConfirmationDate><ReferenceClassification>1</ReferenceClassification>
<ArbitraryFileIdentifier>Qk3xTyZ0aLp9Wm2=</ArbitraryFileIdentifier><MedicalInstitutionCode>1399900011</MedicalInstitutionCode>
</MessageHeader><MessageBody><ResultList><ResultOfQualificationConfirmation>
<InsuredCardClassification>01</InsuredCardClassification><InsurerNumber>  139998</InsurerNumber><InsuredCardSymbol>5123</InsuredCardSymbol>
<InsuredIdentificationNumber>0707</InsuredIdentificationNumber><InsuredBranchNumber>01</InsuredBranchNumber>
<PersonalFamilyClassification>1</PersonalFamilyClassification><InsuredName>見本　花子</InsuredName><Name>見本　花子</Name>
<NameKana>ﾐﾎﾝ ﾊﾅｺ</NameKana><Sex1>2</Sex1><Birthdate>19810214</Birthdate><QualificationDate>20190401</QualificationDate>
<InsurerName>見本市</InsurerName><LimitApplicationCertificateRelatedConsFlg>0</LimitApplicationCertificateRelatedConsFlg>
<PharmacistsInfoConsFlg>1</PharmacistsInfoConsFlg><PharmacistsInfoConsTime>20260512091510</PharmacistsInfoConsTime><PharmacistsInfoAvailableTime>20260513091510</PharmacistsInfoAvailableTime>
<SpecificHealthCheckupsInfoConsFlg>0</SpecificHealthCheckupsInfoConsFlg><DiagnosisInfoConsFlg>1</DiagnosisInfoConsFlg><ReferenceNumber>40817</ReferenceNumber>
</ResultOfQualificationConfirmation></ResultList>
<ProcessingResultStatus>1</ProcessingResultStatus><QualificationValidity>1</QualificationValidity></MessageBody></XmlMsg>"#;

/// OQS-B, UTF-8.
const OQS_B: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="no"?>
<XmlMsg><MessageHeader><ProcessExecutionTime>20260512101204</ProcessExecutionTime>
<QualificationConfirmationDate>20260512</QualificationConfirmationDate><MedicalInstitutionCode>1399900011</MedicalInstitutionCode>
<ReferenceClassification>1</ReferenceClassification><SegmentOfResult>1</SegmentOfResult><CharacterCodeIdentifier>0</CharacterCodeIdentifier>
</MessageHeader><MessageBody><ProcessingResultStatus>1</ProcessingResultStatus><QualificationValidity>2</QualificationValidity>
<ResultList><ResultOfQualificationConfirmation><InsuredCardClassification>01</InsuredCardClassification>
<InsurerNumber>39139991</InsurerNumber><InsuredIdentificationNumber>00012345</InsuredIdentificationNumber><Name>架空　●一</Name>
<NameKana>ｶｸｳ ﾀｶｲﾁ</NameKana><Sex1>1</Sex1><Birthdate>19480303</Birthdate><DisqualificationDate>20260401</DisqualificationDate>
<ReasonOfLoss>99</ReasonOfLoss><InsuredCardExpirationDate>20260331</InsuredCardExpirationDate>
<InsuredPartialContributionRatio>010</InsuredPartialContributionRatio><InsurerName>架空県後期高齢者医療広域連合</InsurerName>
</ResultOfQualificationConfirmation></ResultList></MessageBody></XmlMsg>"#;

/// OQS-A's person block, for variants that move or repeat it.
const OQS_A_RESULT_START: &str = "<ResultOfQualificationConfirmation>";

fn sjis(text: &str) -> Vec<u8> {
    let (bytes, _, unmappable) = SHIFT_JIS.encode(text);
    assert!(!unmappable);
    bytes.into_owned()
}

/// `text` with `from` replaced by `to`; panics when `from` is not there (a variant that silently
/// stays the sample would test nothing).
fn edit(text: &str, from: &str, to: &str) -> String {
    assert!(text.contains(from), "sample has no {from:?}");
    text.replacen(from, to, 1)
}

fn utf8(text: &str) -> String {
    edit(text, "encoding=\"Shift_JIS\"", "encoding=\"UTF-8\"")
}

/// What OQS-A maps to.
fn oqs_a_result() -> EligibilityResult {
    EligibilityResult {
        validity: Validity::Valid,
        insurer_number: Some("139998".into()),
        symbol: Some("5123".into()),
        number: Some("0707".into()),
        branch: Some("01".into()),
        birth_date: Some(date!(1981 - 02 - 14)),
        burden_ratio: None,
        valid_from: None,
        valid_until: None,
        name_contains_black_circle: false,
        reference_number: Some("40817".into()),
        reader_consent: Some(crate::domain::ConsentAnswers {
            medical_and_drug_info: Some(true),
            health_check_info: Some(false),
            high_cost_limit_info: Some(false),
            ..Default::default()
        }),
        high_cost_limit_category: None,
        name: Some(crate::domain::PatientName {
            name: "見本　花子".into(),
            kana: Some("ﾐﾎﾝ ﾊﾅｺ".into()),
            birth_date: None,
        }),
    }
}

/// OQS-A with its elements in another order: header reversed, the body's status first, the
/// person's fields reversed.
fn shuffled() -> String {
    let header = "<MessageHeader><MedicalInstitutionCode>1399900011</MedicalInstitutionCode>\
        <ArbitraryFileIdentifier>Qk3xTyZ0aLp9Wm2=</ArbitraryFileIdentifier><ReferenceClassification>1</ReferenceClassification>\
        <QualificationConfirmationDate>20260512</QualificationConfirmationDate><SegmentOfResult>1</SegmentOfResult>\
        <CharacterCodeIdentifier>1</CharacterCodeIdentifier><ProcessExecutionTime>20260512091533</ProcessExecutionTime></MessageHeader>";
    let person = "<ResultOfQualificationConfirmation><ReferenceNumber>40817</ReferenceNumber>\
        <DiagnosisInfoConsFlg>1</DiagnosisInfoConsFlg><SpecificHealthCheckupsInfoConsFlg>0</SpecificHealthCheckupsInfoConsFlg>\
        <PharmacistsInfoConsFlg>1</PharmacistsInfoConsFlg><LimitApplicationCertificateRelatedConsFlg>0</LimitApplicationCertificateRelatedConsFlg>\
        <Birthdate>19810214</Birthdate><NameKana>ﾐﾎﾝ ﾊﾅｺ</NameKana><Name>見本　花子</Name><InsuredName>見本　花子</InsuredName>\
        <InsuredBranchNumber>01</InsuredBranchNumber><InsuredIdentificationNumber>0707</InsuredIdentificationNumber>\
        <InsuredCardSymbol>5123</InsuredCardSymbol><InsurerNumber>  139998</InsurerNumber></ResultOfQualificationConfirmation>";
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><XmlMsg><MessageBody><QualificationValidity>1</QualificationValidity>\
         <ProcessingResultStatus>1</ProcessingResultStatus><ResultList>{person}</ResultList></MessageBody>{header}</XmlMsg>"
    )
}

/// A person under 70 with only what a result must hold: no symbol, branch, kana, reference
/// number, consent flags; one optional present but empty.
fn minimal() -> String {
    "<?xml version=\"1.0\"?><XmlMsg><MessageHeader><MedicalInstitutionCode>1399900011</MedicalInstitutionCode>\
     <SegmentOfResult>1</SegmentOfResult></MessageHeader><MessageBody><ProcessingResultStatus>1</ProcessingResultStatus>\
     <QualificationValidity>1</QualificationValidity><ResultList><ResultOfQualificationConfirmation>\
     <InsurerNumber>06139990</InsurerNumber><InsuredCardSymbol></InsuredCardSymbol>\
     <InsuredIdentificationNumber>3301</InsuredIdentificationNumber><Name>架空　二郎</Name><Birthdate>19900101</Birthdate>\
     </ResultOfQualificationConfirmation></ResultList></MessageBody></XmlMsg>"
        .to_owned()
}

/// A file whose body holds a validity and an empty ResultList.
fn no_person(validity: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><XmlMsg><MessageHeader><MedicalInstitutionCode>1399900011</MedicalInstitutionCode>\
         <SegmentOfResult>1</SegmentOfResult></MessageHeader><MessageBody><ProcessingResultStatus>1</ProcessingResultStatus>\
         <QualificationValidity>{validity}</QualificationValidity><ResultList></ResultList></MessageBody></XmlMsg>"
    )
}

fn with_bom(text: &str) -> Vec<u8> {
    [b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat()
}

#[test]
fn result_files_map_to_eligibility() {
    let oqs_b = {
        let mut r = EligibilityResult {
            validity: Validity::Invalid,
            insurer_number: Some("39139991".into()),
            symbol: None,
            number: Some("00012345".into()),
            branch: None,
            birth_date: Some(date!(1948 - 03 - 03)),
            burden_ratio: Some(BurdenRatio(10)),
            valid_from: None,
            valid_until: Some(date!(2026 - 03 - 31)),
            name_contains_black_circle: true,
            reference_number: None,
            reader_consent: None,
            high_cost_limit_category: None,
            name: None,
        };
        r.name = Some(crate::domain::PatientName {
            name: "架空　●一".into(),
            kana: Some("ｶｸｳ ﾀｶｲﾁ".into()),
            birth_date: None,
        });
        r
    };
    let shuffled_a = oqs_a_result();
    let minimal_r = EligibilityResult {
        validity: Validity::Valid,
        insurer_number: Some("06139990".into()),
        symbol: None,
        number: Some("3301".into()),
        branch: None,
        birth_date: Some(date!(1990 - 01 - 01)),
        burden_ratio: None,
        valid_from: None,
        valid_until: None,
        name_contains_black_circle: false,
        reference_number: None,
        reader_consent: None,
        high_cost_limit_category: None,
        name: Some(crate::domain::PatientName {
            name: "架空　二郎".into(),
            kana: None,
            birth_date: None,
        }),
    };
    let mut toku = oqs_a_result();
    toku.name = Some(crate::domain::PatientName {
        name: "見本　德子".into(),
        kana: Some("ﾐﾎﾝ ﾊﾅｺ".into()),
        birth_date: None,
    });
    let toku_bytes = {
        let (before, after) = OQS_A.split_once("<Name>見本　花子</Name>").unwrap();
        [
            sjis(before),
            sjis("<Name>見本　"),
            vec![0xED, 0x9E],
            sjis("子</Name>"),
            sjis(after),
        ]
        .concat()
    };
    let mut elderly_70 = minimal_r.clone();
    elderly_70.burden_ratio = Some(BurdenRatio(20));
    let mut limits = minimal_r.clone();
    limits.high_cost_limit_category = Some("A03".into());
    limits.reader_consent = Some(crate::domain::ConsentAnswers {
        medical_and_drug_info: Some(false),
        surgery_info: Some(true),
        high_cost_limit_info: Some(true),
        prescription_form: Some(PrescriptionForm::Electronic),
        ..Default::default()
    });
    let mut padded = minimal_r.clone();
    padded.insurer_number = Some("139998".into());

    let cases: Vec<(&str, Vec<u8>, EligibilityResult)> = vec![
        ("OQS-A, Shift_JIS", sjis(OQS_A), oqs_a_result()),
        ("OQS-A as UTF-8", utf8(OQS_A).into_bytes(), oqs_a_result()),
        ("OQS-B, UTF-8, 後期, invalid, ●", OQS_B.as_bytes().to_vec(), oqs_b),
        ("shuffled element order", shuffled().into_bytes(), shuffled_a),
        ("optionals omitted or empty", minimal().into_bytes(), minimal_r.clone()),
        ("UTF-8 with a BOM", with_bom(&utf8(OQS_A)), oqs_a_result()),
        ("德 as CP932 ED 9E", toku_bytes, toku),
        (
            "70–74: the elderly recipient certificate's ratio",
            edit(
                &minimal(),
                "<Name>",
                "<ElderlyRecipientCertificateInfo><ElderlyRecipientCertificateDate>20250401</ElderlyRecipientCertificateDate>\
                 <ElderlyRecipientContributionRatio>020</ElderlyRecipientContributionRatio></ElderlyRecipientCertificateInfo><Name>",
            )
            .into_bytes(),
            elderly_70,
        ),
        (
            "consent flags, prescription form and 限度額 category; 公費 lists not read as the person",
            edit(
                &minimal(),
                "<Name>",
                "<DiagnosisInfoConsFlg>1</DiagnosisInfoConsFlg><PharmacistsInfoConsFlg>0</PharmacistsInfoConsFlg>\
                 <OperationInfoConsFlg>1</OperationInfoConsFlg><SpecificHealthCheckupsInfoConsFlg>3</SpecificHealthCheckupsInfoConsFlg>\
                 <LimitApplicationCertificateRelatedConsFlg>1</LimitApplicationCertificateRelatedConsFlg>\
                 <LimitApplicationCertificateRelatedInfo><LimitApplicationCertificateClassification>01</LimitApplicationCertificateClassification>\
                 <LimitApplicationCertificateClassificationFlag>A03</LimitApplicationCertificateClassificationFlag></LimitApplicationCertificateRelatedInfo>\
                 <PublicExpenseResultList><MedicalTicketInfo><InsurerNumber>12345678</InsurerNumber><Name>x</Name></MedicalTicketInfo>\
                 <MedicalTicketInfo><InsurerNumber>87654321</InsurerNumber></MedicalTicketInfo></PublicExpenseResultList>\
                 <PrescriptionIssueSelect>1</PrescriptionIssueSelect><Name>",
            )
            .into_bytes(),
            limits,
        ),
        (
            "6-digit insurer number's padding trimmed",
            edit(&minimal(), ">06139990<", ">  139998<").into_bytes(),
            padded,
        ),
        (
            "validity 4 without a person",
            no_person("4").into_bytes(),
            super::response::without_person(Validity::NoEligibility),
        ),
    ];
    for (name, bytes, want) in cases {
        let file = read_response(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        let got = file.eligibility().unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(got, want, "{name}");
        assert_eq!(got.name, want.name, "{name}: name");
    }
}

#[test]
fn header_fields_are_read_by_name() {
    let a = read_response(&sjis(OQS_A)).unwrap();
    let s = read_response(shuffled().as_bytes()).unwrap();
    for file in [&a, &s] {
        assert_eq!(file.medical_institution_code(), "1399900011");
        assert_eq!(
            file.processed_at(),
            Some(date!(2026 - 05 - 12).and_hms_opt(9, 15, 33).unwrap())
        );
        assert_eq!(file.confirmation_date(), Some(date!(2026 - 05 - 12)));
        assert_eq!(file.arbitrary_file_identifier(), Some("Qk3xTyZ0aLp9Wm2="));
        assert_eq!(file.reference_classification(), Some("1"));
        assert_eq!(file.result_count(), 1);
    }
    assert_eq!(a.encoding(), OqsEncoding::ShiftJis);
    assert_eq!(s.encoding(), OqsEncoding::Utf8);
    let other = read_response(OQS_B.replace("1399900011", "2799900022").as_bytes()).unwrap();
    assert_eq!(
        other.medical_institution_code(),
        "2799900022",
        "another facility's file is parsed; the caller compares the code"
    );
    let debug = format!("{a:?}");
    assert!(
        !debug.contains("花子") && !debug.contains("1981"),
        "{debug}"
    );
}

#[test]
fn files_that_are_not_usable_say_why() {
    let two = edit(
        &utf8(OQS_A),
        "</ResultList>",
        &format!(
            "{OQS_A_RESULT_START}<InsurerNumber>06139990</InsurerNumber><Name>別人</Name></ResultOfQualificationConfirmation></ResultList>"
        ),
    );
    let error = edit(
        OQS_B,
        "<SegmentOfResult>1</SegmentOfResult>",
        "<SegmentOfResult>9</SegmentOfResult><ErrorCode>EOQS1001</ErrorCode><ErrorMessage>資格確認に失敗しました</ErrorMessage>",
    );
    let status_2 = edit(
        OQS_B,
        "<ProcessingResultStatus>1</ProcessingResultStatus>",
        "<ProcessingResultStatus>2</ProcessingResultStatus><ProcessingResultCode>1234</ProcessingResultCode>\
         <ProcessingResultMessage>エラー です</ProcessingResultMessage>",
    );
    let no_result = no_person("1");
    let cases: Vec<(&str, String, NotUsable)> = vec![
        ("two results", two.clone(), NotUsable::SeveralResults(2)),
        (
            "SegmentOfResult 9",
            error,
            NotUsable::ErrorFile {
                segment: "9".into(),
                code: Some("EOQS1001".into()),
                message: Some("資格確認に失敗しました".into()),
            },
        ),
        (
            "ProcessingResultStatus 2",
            status_2,
            NotUsable::ProcessingError {
                status: "2".into(),
                code: Some("1234".into()),
                message: Some("エラー です".into()),
            },
        ),
        (
            "validity 6",
            edit(
                OQS_B,
                "<QualificationValidity>2<",
                "<QualificationValidity>6<",
            ),
            NotUsable::Validity(Some("6".into())),
        ),
        (
            "validity missing",
            edit(
                OQS_B,
                "<QualificationValidity>2</QualificationValidity>",
                "",
            ),
            NotUsable::Validity(None),
        ),
        ("valid but no result", no_result, NotUsable::NoResult),
        (
            "no SegmentOfResult",
            edit(OQS_B, "<SegmentOfResult>1</SegmentOfResult>", ""),
            NotUsable::Incomplete("SegmentOfResult"),
        ),
    ];
    for (name, text, want) in cases {
        let file = read_response(text.as_bytes()).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(file.eligibility(), Err(want.clone()), "{name}");
        assert!(!want.to_string().is_empty());
    }
    // Validity 5 with several people: the kiosk says "several matches", never picks one.
    let five = edit(
        &two,
        "<QualificationValidity>1<",
        "<QualificationValidity>5<",
    );
    let r = read_response(five.as_bytes())
        .unwrap()
        .eligibility()
        .unwrap();
    assert_eq!(
        (r.validity, r.name, r.number),
        (Validity::SeveralMatches, None, None)
    );
}

#[test]
fn broken_or_hostile_files_are_refused() {
    let xxe = edit(
        &utf8(OQS_A),
        "<XmlMsg>",
        "<!DOCTYPE XmlMsg [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><XmlMsg>",
    )
    .replace("<Name>見本　花子</Name>", "<Name>&x;</Name>");
    let cases: Vec<(&str, Vec<u8>, OqsFileError)> = vec![
        (
            "DOCTYPE with an external entity",
            xxe.into_bytes(),
            OqsFileError::DtdRefused,
        ),
        (
            "a duplicated InsurerNumber",
            edit(
                &utf8(OQS_A),
                "<InsurerNumber>  139998</InsurerNumber>",
                "<InsurerNumber>  139998</InsurerNumber><InsurerNumber>  139998</InsurerNumber>",
            )
            .into_bytes(),
            OqsFileError::DuplicatedField("InsurerNumber".into()),
        ),
        (
            "a duplicated Name in another place",
            edit(
                &utf8(OQS_A),
                "<ReferenceNumber>",
                "<Sub><Name>他</Name></Sub><ReferenceNumber>",
            )
            .into_bytes(),
            OqsFileError::DuplicatedField("Name".into()),
        ),
        (
            "a duplicated header field",
            edit(
                &utf8(OQS_A),
                "</MessageHeader>",
                "<MedicalInstitutionCode>2799900022</MedicalInstitutionCode></MessageHeader>",
            )
            .into_bytes(),
            OqsFileError::DuplicatedField("MedicalInstitutionCode".into()),
        ),
        (
            "prolog Shift_JIS, bytes UTF-8",
            OQS_A.as_bytes().to_vec(),
            OqsFileError::EncodingDisagrees {
                declared: "Shift_JIS",
                found: "UTF-8",
            },
        ),
        (
            "not XML",
            b"%PDF-1.4 garbage".to_vec(),
            OqsFileError::NotXml(String::new()),
        ),
        (
            "cut off mid-write",
            {
                let whole = utf8(OQS_A);
                whole.as_bytes()[..whole.find("<ProcessingResultStatus>").unwrap()].to_vec()
            },
            OqsFileError::NotXml(String::new()),
        ),
        (
            "another root",
            b"<?xml version=\"1.0\"?><Other/>".to_vec(),
            OqsFileError::Missing("XmlMsg"),
        ),
        (
            "no header",
            edit(OQS_B, "MessageHeader>", "Heading>")
                .replace("</MessageHeader>", "</Heading>")
                .into_bytes(),
            OqsFileError::Missing("MessageHeader"),
        ),
        (
            "no facility code",
            edit(
                OQS_B,
                "<MedicalInstitutionCode>1399900011</MedicalInstitutionCode>",
                "",
            )
            .into_bytes(),
            OqsFileError::Missing("MedicalInstitutionCode"),
        ),
        (
            "a birth date not YYYYMMDD",
            edit(OQS_B, "19480303", "S23.3.3").into_bytes(),
            OqsFileError::BadValue("Birthdate"),
        ),
        (
            "a ratio not digits",
            edit(OQS_B, ">010<", ">1割<").into_bytes(),
            OqsFileError::BadValue("InsuredPartialContributionRatio"),
        ),
        (
            "too large",
            vec![b' '; MAX_FILE_BYTES + 1],
            OqsFileError::TooLarge(MAX_FILE_BYTES + 1),
        ),
    ];
    for (name, bytes, want) in cases {
        let got = read_response(&bytes);
        match (&got, &want) {
            (Err(OqsFileError::NotXml(_)), OqsFileError::NotXml(_)) => {}
            _ => assert_eq!(got.as_ref().err(), Some(&want), "{name}: {got:?}"),
        }
        let shown = got.unwrap_err().to_string();
        assert!(
            !shown.contains("花子") && !shown.contains("1948"),
            "{name}: {shown}"
        );
    }
}

#[test]
fn face_file_names_give_their_time() {
    let at = |y, mo, d, h, mi, s| {
        chrono::NaiveDate::from_ymd_opt(y, mo, d).and_then(|d| d.and_hms_opt(h, mi, s))
    };
    let cases = [
        (
            "OQSsiquc01res_face_13999000118c3e0d2b91f4a07e55aa_20260512091533.xml",
            at(2026, 5, 12, 9, 15, 33),
        ),
        (
            "oqssiquc01res_FACE_x_20260512091533.XML",
            at(2026, 5, 12, 9, 15, 33),
        ),
        (
            "OQSsiquc01res_face_a_b_20261231235959.xml",
            at(2026, 12, 31, 23, 59, 59),
        ),
        ("OQSsiquc01res_face__20260512091533.xml", None),
        ("OQSsiquc01res_face_x_2026051209153.xml", None),
        ("OQSsiquc01res_face_x_20260512091533.xml.tmp", None),
        ("OQSsiquc01res_face_x_20261332091533.xml", None),
        ("OQSsiquc01res_202605120003.xml", None),
        ("OQSsiquc01req_face_x_20260512091533.xml", None),
        ("xOQSsiquc01res_face_x_20260512091533.xml", None),
    ];
    for (name, want) in cases {
        assert_eq!(face_file_time(name), want, "{name}");
        assert_eq!(is_face_file(name), want.is_some(), "{name}");
    }
}

#[test]
fn request_and_answer_names() {
    assert_eq!(
        request_file_name(3, date!(2026 - 05 - 12)),
        "OQSsiquc01req_202605120003.xml"
    );
    assert_eq!(
        request_file_name(12345, date!(2026 - 05 - 12)),
        "OQSsiquc01req_2026051212345.xml"
    );
    let cases = [
        (
            "OQSsiquc01req_202605120003.xml",
            "OQSsiquc01res_202605120003.xml",
        ),
        (
            "OQSSIQUC01REQ_202605120003.XML",
            "OQSSIQUC01RES_202605120003.XML",
        ),
        ("other.xml", "other.xml"),
    ];
    for (req, res) in cases {
        assert_eq!(response_file_name(req), res, "{req}");
    }
    assert_eq!(
        error_file_name("OQSsiquc01req_202605120003.xml"),
        "OQSsiquc01req_202605120003.err"
    );
    assert_eq!(
        error_file_name("OQSsiquc01req_1.XML"),
        "OQSsiquc01req_1.err"
    );
}

fn child_query() -> QualificationQuery {
    QualificationQuery {
        insurer_number: "06139990".into(),
        symbol: Some("ｶｸ12&<".into()),
        number: "3301".into(),
        branch: Some("02".into()),
        birth_date: Some(date!(2015 - 06 - 07)),
        high_cost_limit_consent: false,
    }
}

#[test]
fn requests_carry_every_field_in_either_encoding() {
    let mut kokuho = child_query();
    kokuho.insurer_number = "139998".into();
    kokuho.symbol = None;
    kokuho.branch = None;
    kokuho.high_cost_limit_consent = true;
    let cases = [
        (
            child_query(),
            OqsEncoding::ShiftJis,
            "06139990",
            Some("ｶｸ12&<"),
            Some("02"),
            "0",
        ),
        (kokuho, OqsEncoding::Utf8, "  139998", None, None, "1"),
    ];
    for (query, encoding, insurer, symbol, branch, flag) in cases {
        let bytes = eligibility_request(
            &query,
            "1399900011",
            "K0003",
            date!(2026 - 05 - 12),
            encoding,
        )
        .unwrap();
        let (text, enc) = super::text::decode(&bytes).unwrap();
        assert_eq!(enc, encoding);
        assert!(text.starts_with(&format!(
            "<?xml version=\"1.0\" encoding=\"{}\" standalone=\"no\"?>",
            encoding.label()
        )));
        let doc = roxmltree::Document::parse(&text).unwrap();
        let get = |name: &str| {
            doc.descendants()
                .find(|n| n.has_tag_name(name))
                .map(|n| n.text().unwrap_or("").to_owned())
        };
        let info = doc
            .descendants()
            .find(|n| n.has_tag_name("QualificationConfirmSearchInfo"))
            .unwrap();
        assert_eq!(info.parent().unwrap().tag_name().name(), "MessageBody");
        assert_eq!(doc.root_element().tag_name().name(), "XmlMsg");
        assert_eq!(
            get("QualificationConfirmationDate").as_deref(),
            Some("20260512")
        );
        assert_eq!(get("MedicalInstitutionCode").as_deref(), Some("1399900011"));
        assert_eq!(get("ArbitraryFileIdentifier").as_deref(), Some("K0003"));
        assert_eq!(get("InsurerNumber").as_deref(), Some(insurer));
        assert_eq!(get("InsuredCardSymbol").as_deref(), symbol);
        assert_eq!(get("InsuredIdentificationNumber").as_deref(), Some("3301"));
        assert_eq!(get("InsuredBranchNumber").as_deref(), branch);
        assert_eq!(get("Birthdate").as_deref(), Some("20150607"));
        assert_eq!(
            get("LimitApplicationCertificateRelatedConsFlg").as_deref(),
            Some(flag)
        );
    }
}

#[test]
fn requests_refuse_what_they_cannot_write() {
    let with = |f: fn(&mut QualificationQuery)| {
        let mut q = child_query();
        f(&mut q);
        q
    };
    let cases: Vec<(&str, QualificationQuery, OqsEncoding, OqsFileError)> = vec![
        (
            "an emoji in the symbol, Shift_JIS",
            with(|q| q.symbol = Some("😀".into())),
            OqsEncoding::ShiftJis,
            OqsFileError::Unencodable {
                field: "InsuredCardSymbol",
            },
        ),
        (
            "a 7-digit insurer number",
            with(|q| q.insurer_number = "1234567".into()),
            OqsEncoding::Utf8,
            OqsFileError::BadRequestField {
                field: "InsurerNumber",
            },
        ),
        (
            "full-width digits in the insurer number",
            with(|q| q.insurer_number = "０６１３９９９０".into()),
            OqsEncoding::Utf8,
            OqsFileError::BadRequestField {
                field: "InsurerNumber",
            },
        ),
        (
            "no 番号",
            with(|q| q.number = " ".into()),
            OqsEncoding::Utf8,
            OqsFileError::BadRequestField {
                field: "InsuredIdentificationNumber",
            },
        ),
    ];
    for (name, query, encoding, want) in cases {
        let got = eligibility_request(&query, "1399900011", "K1", date!(2026 - 05 - 12), encoding);
        assert_eq!(got, Err(want), "{name}");
    }
    assert!(
        eligibility_request(
            &child_query(),
            "1399900011",
            "",
            date!(2026 - 05 - 12),
            OqsEncoding::Utf8
        )
        .is_err()
    );
}

#[test]
fn an_answer_echoes_its_query() {
    let answer = edit(
        OQS_B,
        "<ResultList>",
        "<QualificationConfirmSearchInfo><InsurerNumber>  139998</InsurerNumber><InsuredIdentificationNumber>3301</InsuredIdentificationNumber>\
         <Birthdate>20150607</Birthdate><LimitApplicationCertificateRelatedConsFlg>1</LimitApplicationCertificateRelatedConsFlg>\
         </QualificationConfirmSearchInfo><ResultList>",
    );
    let file = read_response(answer.as_bytes()).unwrap();
    let echo = file.search_info().unwrap();
    assert_eq!(echo.insurer_number, "139998");
    assert_eq!(echo.number, "3301");
    assert_eq!(echo.birth_date, Some(date!(2015 - 06 - 07)));
    assert!(echo.high_cost_limit_consent);
    // The echo's consent flag is not the person's: OQS-B's person has none.
    assert_eq!(file.eligibility().unwrap().reader_consent, None);
    assert_eq!(file.processing_note(), None);
    let noted = edit(
        OQS_B,
        "<ProcessingResultStatus>1</ProcessingResultStatus>",
        "<ProcessingResultStatus>1</ProcessingResultStatus><ProcessingResultCode>W001</ProcessingResultCode>\
         <ProcessingResultMessage>有効期限が近づいています</ProcessingResultMessage>",
    );
    let file = read_response(noted.as_bytes()).unwrap();
    assert_eq!(
        file.processing_note(),
        Some((Some("W001"), "有効期限が近づいています"))
    );
    assert!(file.eligibility().is_ok());
}
