//! Writing an `OQSsiquc01req` eligibility query and the names of requests and their answers
//! (integration-formats.md §1.2, §1.7; SANOX road12, MC, OD2 `FindExpectedResultFile`, MR
//! `OqsFileClient`).

use std::io;

use chrono::Datelike;
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};

use super::{OqsEncoding, OqsFileError, QualificationQuery};
use crate::dates::Date;

/// `OQSsiquc01req` bytes in `encoding`, prolog `<?xml version="1.0" encoding="…" standalone="no"?>`
/// (OD2/MR write Shift_JIS with `standalone="no"`; SANOX used UTF-8: the encoding is the caller's
/// setting, §1.3).
///
/// Layout (§1.7, OQS-C): MessageHeader {QualificationConfirmationDate (`visit_date` `YYYYMMDD`),
/// MedicalInstitutionCode, ArbitraryFileIdentifier}; MessageBody/QualificationConfirmSearchInfo
/// {InsurerNumber (a 6-digit 国保 number left-padded with spaces to 8, SANOX road26, MR),
/// InsuredCardSymbol?, InsuredIdentificationNumber, InsuredBranchNumber?, Birthdate?
/// (`YYYYMMDD`), LimitApplicationCertificateRelatedConsFlg (`0`/`1`, required)}. Every text goes
/// through quick-xml's escaping writer.
///
/// Errors: [`OqsFileError::BadRequestField`] for an insurer number that is not 6 or 8 digits,
/// an empty 番号, a facility code or file identifier that is empty or longer than 50 characters;
/// [`OqsFileError::Unencodable`] naming the field whose text `encoding` cannot write (checked
/// before anything is written, §1.3 MR builder).
pub fn eligibility_request(
    query: &QualificationQuery,
    facility_code: &str,
    file_id: &str,
    visit_date: Date,
    encoding: OqsEncoding,
) -> Result<Vec<u8>, OqsFileError> {
    let insurer = query.insurer_number.trim();
    let insurer = match insurer.len() {
        8 | 6 if insurer.bytes().all(|b| b.is_ascii_digit()) => format!("{insurer:>8}"),
        _ => {
            return Err(OqsFileError::BadRequestField {
                field: "InsurerNumber",
            });
        }
    };
    let nonempty = |text: &str, field: &'static str, max: usize| {
        let ok = !text.trim().is_empty() && text.chars().count() <= max;
        ok.then_some(())
            .ok_or(OqsFileError::BadRequestField { field })
    };
    nonempty(facility_code, "MedicalInstitutionCode", 50)?;
    nonempty(file_id, "ArbitraryFileIdentifier", 50)?;
    nonempty(&query.number, "InsuredIdentificationNumber", 20)?;

    let ymd = |d: Date| format!("{:04}{:02}{:02}", d.year(), d.month(), d.day());
    let header: Vec<(&'static str, String)> = vec![
        ("QualificationConfirmationDate", ymd(visit_date)),
        ("MedicalInstitutionCode", facility_code.to_owned()),
        ("ArbitraryFileIdentifier", file_id.to_owned()),
    ];
    let mut search: Vec<(&'static str, String)> = vec![("InsurerNumber", insurer)];
    fn optional(v: &Option<String>) -> Option<&str> {
        v.as_deref().map(str::trim).filter(|t| !t.is_empty())
    }
    if let Some(symbol) = optional(&query.symbol) {
        search.push(("InsuredCardSymbol", symbol.to_owned()));
    }
    search.push((
        "InsuredIdentificationNumber",
        query.number.trim().to_owned(),
    ));
    if let Some(branch) = optional(&query.branch) {
        search.push(("InsuredBranchNumber", branch.to_owned()));
    }
    if let Some(birth) = query.birth_date {
        search.push(("Birthdate", ymd(birth)));
    }
    let flag = if query.high_cost_limit_consent {
        "1"
    } else {
        "0"
    };
    search.push(("LimitApplicationCertificateRelatedConsFlg", flag.to_owned()));

    for (field, value) in header.iter().chain(&search) {
        encoding.encode(value, field)?;
    }
    let xml = write_xml(&header, &search, encoding)
        .map_err(|_| OqsFileError::BadRequestField { field: "XmlMsg" })?;
    let text =
        String::from_utf8(xml).map_err(|_| OqsFileError::BadRequestField { field: "XmlMsg" })?;
    encoding.encode(&text, "XmlMsg")
}

fn write_xml(
    header: &[(&'static str, String)],
    search: &[(&'static str, String)],
    encoding: OqsEncoding,
) -> io::Result<Vec<u8>> {
    let mut w = Writer::new(Vec::new());
    w.write_event(Event::Decl(BytesDecl::new(
        "1.0",
        Some(encoding.label()),
        Some("no"),
    )))?;
    let leaves = |w: &mut Writer<Vec<u8>>, fields: &[(&'static str, String)]| {
        for (name, value) in fields {
            w.create_element(*name)
                .write_text_content(BytesText::new(value))?;
        }
        Ok(())
    };
    w.create_element("XmlMsg").write_inner_content(|w| {
        w.create_element("MessageHeader")
            .write_inner_content(|w| leaves(w, header))?;
        w.create_element("MessageBody").write_inner_content(|w| {
            w.create_element("QualificationConfirmSearchInfo")
                .write_inner_content(|w| leaves(w, search))?;
            Ok(())
        })?;
        Ok(())
    })?;
    Ok(w.into_inner())
}

/// `OQSsiquc01req_<yyyyMMdd><4-digit counter>.xml` (OD2 and MR: the day's date and a daily
/// counter, §1.2; that the terminal enforces it is UNCONFIRMED). Counters above 9999 are written
/// with all their digits.
pub fn request_file_name(counter: u32, date: Date) -> String {
    format!(
        "OQSsiquc01req_{:04}{:02}{:02}{counter:04}.xml",
        date.year(),
        date.month(),
        date.day()
    )
}

/// The answer's name for a request's name: `req_` → `res_` in the prefix, the suffix kept
/// (`OQSsiquc01req_202605120003.xml` → `OQSsiquc01res_202605120003.xml`; OD2
/// `FindExpectedResultFile`, MR `OqsFileClient`). The terminal's folder ignores case, so compare
/// names case-insensitively; a name without `req_` is returned unchanged.
pub fn response_file_name(request_name: &str) -> String {
    match request_name.to_ascii_lowercase().find("req_") {
        Some(at) => {
            let mut name = request_name.to_owned();
            let res = if request_name[at..].starts_with("REQ_") {
                "RES_"
            } else {
                "res_"
            };
            name.replace_range(at..at + 4, res);
            name
        }
        None => request_name.to_owned(),
    }
}

/// The name of the error file the terminal may write for a request it rejects as malformed:
/// `<request name without .xml>.err` in `res` (CS; one source, UNCONFIRMED: §1.2).
pub fn error_file_name(request_name: &str) -> String {
    let stem = match request_name.len().checked_sub(4) {
        Some(at)
            if request_name.is_char_boundary(at)
                && request_name[at..].eq_ignore_ascii_case(".xml") =>
        {
            &request_name[..at]
        }
        _ => request_name,
    };
    format!("{stem}.err")
}
