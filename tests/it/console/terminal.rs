//! A stand-in for the eligibility terminal's 連携アプリ on a real folder, for the console's
//! 「資格確認端末に照会する」 tests.
#![allow(dead_code)]

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// The terminal's shared folder, with `req` and `res` as a Linux share shows them.
pub fn terminal_folder() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("req")).unwrap();
    std::fs::create_dir(dir.path().join("res")).unwrap();
    dir
}

pub fn files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// The text between `<tag>` and `</tag>` in `text`.
pub fn element<'a>(text: &'a str, tag: &str) -> Option<&'a str> {
    let open = format!("<{tag}>");
    let start = text.find(&open)? + open.len();
    let end = text[start..].find(&format!("</{tag}>"))? + start;
    Some(&text[start..end])
}

/// A stand-in for the terminal's 連携アプリ on a real folder: answers every
/// `OQSsiquc01req_<suffix>.xml` in `req` with `OQSsiquc01res_<suffix>.xml` in `res` (UTF-8, the
/// request's ArbitraryFileIdentifier echoed): a valid 後期高齢者 result, 1割, a name with ●.
/// Stops when dropped.
pub struct Answering {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

const ANSWER: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="no"?>
<XmlMsg><MessageHeader><ProcessExecutionTime>20260512101204</ProcessExecutionTime>
<QualificationConfirmationDate>20260512</QualificationConfirmationDate><MedicalInstitutionCode>1399900011</MedicalInstitutionCode>
<ArbitraryFileIdentifier>ID</ArbitraryFileIdentifier><ReferenceClassification>2</ReferenceClassification>
<SegmentOfResult>1</SegmentOfResult><CharacterCodeIdentifier>0</CharacterCodeIdentifier></MessageHeader>
<MessageBody><ProcessingResultStatus>1</ProcessingResultStatus><QualificationValidity>1</QualificationValidity>
<ResultList><ResultOfQualificationConfirmation><InsuredCardClassification>01</InsuredCardClassification>
<InsurerNumber>01130012</InsurerNumber><InsuredIdentificationNumber>345</InsuredIdentificationNumber>
<Name>架空　●一</Name><NameKana>ｶｸｳ ﾀｶｲﾁ</NameKana><Sex1>1</Sex1><Birthdate>19480303</Birthdate>
<InsuredCardValidDate>20250801</InsuredCardValidDate><InsuredCardExpirationDate>20270731</InsuredCardExpirationDate>
<InsuredPartialContributionRatio>010</InsuredPartialContributionRatio><InsurerName>架空県後期高齢者医療広域連合</InsurerName>
</ResultOfQualificationConfirmation></ResultList></MessageBody></XmlMsg>
"#;

impl Answering {
    pub fn start(root: &Path) -> Answering {
        let stop = Arc::new(AtomicBool::new(false));
        let (req, res) = (root.join("req"), root.join("res"));
        let stopping = stop.clone();
        let thread = std::thread::spawn(move || {
            let mut answered = std::collections::BTreeSet::new();
            while !stopping.load(Ordering::Relaxed) {
                for name in files(&req) {
                    let Some(suffix) = name
                        .strip_prefix("OQSsiquc01req_")
                        .and_then(|n| n.strip_suffix(".xml"))
                    else {
                        continue;
                    };
                    if !answered.insert(name.clone()) {
                        continue;
                    }
                    let request = std::fs::read(req.join(&name)).unwrap();
                    let request = String::from_utf8_lossy(&request);
                    let id = element(&request, "ArbitraryFileIdentifier").unwrap_or_default();
                    let answer = ANSWER.replace(
                        "<ArbitraryFileIdentifier>ID<",
                        &format!("<ArbitraryFileIdentifier>{id}<"),
                    );
                    let at = res.join(format!("OQSsiquc01res_{suffix}.xml"));
                    std::fs::write(&at, answer).unwrap();
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        });
        Answering {
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for Answering {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
