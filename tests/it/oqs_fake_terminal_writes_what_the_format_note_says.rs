//! The fake eligibility terminal (tests/fakes/oqs_terminal.rs, built from the format note) and
//! the kiosk's parser (src/oqs, built from the same note) agree: every face-file case and every
//! answer of `serve` reads back as the note says it should.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use uketsuke::date;
use uketsuke::domain::{BurdenRatio, Validity};
use uketsuke::oqs::{
    NotUsable, OqsEncoding, OqsFileError, QualificationQuery, eligibility_request, face_file_time,
    read_response, request_file_name, response_file_name,
};

const FAKE: &str = env!("CARGO_BIN_EXE_uketsuke-fake-oqs-terminal");
const STAMP: &str = "20261130101500";

fn fake_face(root: &Path, case: &str, extra: &[&str]) -> PathBuf {
    let out = Command::new(FAKE)
        .args(["face", "--root"])
        .arg(root)
        .args(["--case", case, "--stamp", STAMP])
        .args(extra)
        .output()
        .expect("the fake terminal runs");
    assert!(
        out.status.success(),
        "{case}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    PathBuf::from(String::from_utf8(out.stdout).unwrap().trim())
}

enum Expect {
    Usable {
        validity: Validity,
        insurer: &'static str,
        number: &'static str,
        name: &'static str,
        ratio: Option<u8>,
        encoding: OqsEncoding,
    },
    Unusable(fn(&NotUsable) -> bool),
    Refused(fn(&OqsFileError) -> bool),
}

#[test]
fn every_face_file_case_reads_back_as_the_note_says() {
    use Expect::*;
    let hanako = |encoding| Usable {
        validity: Validity::Valid,
        insurer: "139998",
        number: "0707",
        name: "見本　花子",
        ratio: None,
        encoding,
    };
    let cases: Vec<(&str, Expect)> = vec![
        ("valid-sjis", hanako(OqsEncoding::ShiftJis)),
        ("valid-utf8-bom", hanako(OqsEncoding::Utf8)),
        ("shuffled", hanako(OqsEncoding::Utf8)),
        ("minimal", hanako(OqsEncoding::Utf8)),
        (
            "elderly-75",
            Usable {
                validity: Validity::Valid,
                insurer: "39139991",
                number: "00012345",
                name: "架空　一郎",
                ratio: Some(10),
                encoding: OqsEncoding::Utf8,
            },
        ),
        (
            "elderly-70",
            Usable {
                validity: Validity::Valid,
                insurer: "06139990",
                number: "7001",
                name: "架空　次郎",
                ratio: Some(20),
                encoding: OqsEncoding::ShiftJis,
            },
        ),
        (
            "invalid",
            Usable {
                validity: Validity::Invalid,
                insurer: "39139991",
                number: "00012346",
                name: "架空　●一",
                ratio: Some(10),
                encoding: OqsEncoding::Utf8,
            },
        ),
        (
            "kanji-level3",
            Usable {
                validity: Validity::Valid,
                insurer: "139998",
                number: "0707",
                name: "見本　德子",
                ratio: None,
                encoding: OqsEncoding::ShiftJis,
            },
        ),
        (
            "two-results",
            Unusable(|e| *e == NotUsable::SeveralResults(2)),
        ),
        (
            "error",
            Unusable(|e| {
                matches!(e, NotUsable::ErrorFile { segment, code, message }
                    if segment == "9" && code.as_deref() == Some("EOQS0001") && message.is_some())
            }),
        ),
        (
            "duplicated-field",
            Refused(|e| *e == OqsFileError::DuplicatedField("InsurerNumber".into())),
        ),
        ("xxe", Refused(|e| *e == OqsFileError::DtdRefused)),
        ("garbage", Refused(|e| matches!(e, OqsFileError::NotXml(_)))),
    ];
    let dir = tempfile::tempdir().unwrap();
    for (case, expect) in cases {
        let path = fake_face(dir.path(), case, &[]);
        let name = path.file_name().unwrap().to_str().unwrap();
        assert_eq!(path.parent().unwrap(), dir.path().join("face"), "{case}");
        assert!(
            name.starts_with("OQSsiquc01res_face_1399900011"),
            "{case}: {name}"
        );
        assert_eq!(
            face_file_time(name),
            Some(date!(2026 - 11 - 30).and_hms_opt(10, 15, 0).unwrap()),
            "{case}: {name}"
        );
        let parsed = read_response(&fs::read(&path).unwrap());
        match expect {
            Usable {
                validity,
                insurer,
                number,
                name,
                ratio,
                encoding,
            } => {
                let file = parsed.unwrap_or_else(|e| panic!("{case}: {e}"));
                assert_eq!(file.encoding(), encoding, "{case}");
                assert_eq!(file.medical_institution_code(), "1399900011", "{case}");
                let r = file.eligibility().unwrap_or_else(|e| panic!("{case}: {e}"));
                assert_eq!(r.validity, validity, "{case}");
                assert_eq!(r.insurer_number.as_deref(), Some(insurer), "{case}");
                assert_eq!(r.number.as_deref(), Some(number), "{case}");
                assert_eq!(
                    r.name.as_ref().map(|n| n.name.as_str()),
                    Some(name),
                    "{case}"
                );
                assert_eq!(r.name_contains_black_circle, name.contains('●'), "{case}");
                assert_eq!(r.burden_ratio, ratio.map(BurdenRatio), "{case}");
            }
            Unusable(is) => {
                let file = parsed.unwrap_or_else(|e| panic!("{case}: {e}"));
                let e = file.eligibility().expect_err(case);
                assert!(is(&e), "{case}: {e}");
            }
            Refused(is) => {
                let e = parsed.expect_err(case);
                assert!(is(&e), "{case}: {e}");
            }
        }
    }
    // OQS-A's person carries the reader's answers: 診療・薬剤情報 yes, 特定健診 no, 照会番号.
    let path = fake_face(dir.path(), "valid-sjis", &[]);
    let r = read_response(&fs::read(path).unwrap())
        .unwrap()
        .eligibility()
        .unwrap();
    let consent = r.reader_consent.expect("consents in OQS-A");
    assert_eq!(
        (consent.medical_and_drug_info, consent.health_check_info),
        (Some(true), Some(false))
    );
    assert_eq!(r.reference_number.as_deref(), Some("40817"));
}

#[test]
fn another_facility_and_a_file_taken_away_are_written_as_asked() {
    let dir = tempfile::tempdir().unwrap();
    let path = fake_face(dir.path(), "valid-sjis", &["--facility", "2799900022"]);
    let name = path.file_name().unwrap().to_str().unwrap().to_owned();
    assert!(name.starts_with("OQSsiquc01res_face_2799900022"), "{name}");
    let file = read_response(&fs::read(&path).unwrap()).unwrap();
    assert_eq!(file.medical_institution_code(), "2799900022");

    let path = fake_face(dir.path(), "minimal", &["--vanish-after-ms", "1"]);
    assert!(!path.exists(), "moved away after the pause");
    let moved = dir.path().join("trash").join(path.file_name().unwrap());
    assert!(read_response(&fs::read(moved).unwrap()).is_ok());

    let path = fake_face(dir.path(), "valid-utf8-bom", &["--slow-ms", "2"]);
    assert!(read_response(&fs::read(path).unwrap()).is_ok());
}

/// The `serve` child, killed when the test ends.
struct Terminal(Child);

impl Drop for Terminal {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve(root: &Path, extra: &[&str]) -> Terminal {
    Terminal(
        Command::new(FAKE)
            .args(["serve", "--root"])
            .arg(root)
            .args(extra)
            .stdout(Stdio::null())
            .spawn()
            .expect("the fake terminal starts"),
    )
}

/// Drops a request into `req` the way MR does (written elsewhere, renamed in) and waits for a
/// file named `answer` in `res`. The deadline only bounds a broken fake; it is never what passes.
fn ask(root: &Path, request_name: &str, bytes: &[u8], answer: &str) -> Vec<u8> {
    let tmp = root.join(format!("{request_name}.tmp"));
    fs::write(&tmp, bytes).unwrap();
    fs::rename(&tmp, root.join("req").join(request_name)).unwrap();
    let path = root.join("res").join(answer);
    let deadline = Instant::now() + Duration::from_secs(30);
    while !path.exists() {
        assert!(
            Instant::now() < deadline,
            "no {answer} from the fake terminal"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(
        !root.join("req").join(request_name).exists(),
        "the terminal takes the request away"
    );
    fs::read(path).unwrap()
}

fn query(insurer: &str, number: &str, birth: chrono::NaiveDate) -> QualificationQuery {
    QualificationQuery {
        insurer_number: insurer.into(),
        symbol: None,
        number: number.into(),
        branch: None,
        birth_date: Some(birth),
        high_cost_limit_consent: false,
    }
}

#[test]
fn queries_are_answered_from_the_persona_table() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    fs::create_dir_all(root.join("req")).unwrap();
    let _terminal = serve(root, &["--encoding", "sjis"]);
    let day = date!(2026 - 11 - 30);
    let cases = [
        (
            query("06139990", "3301", date!(1985 - 06 - 07)),
            Validity::Valid,
            Some("架空　●美"),
            None,
        ),
        (
            query("39139991", "00012345", date!(1948 - 03 - 03)),
            Validity::Valid,
            Some("架空　一郎"),
            Some(BurdenRatio(10)),
        ),
        (
            query("139998", "0707", date!(1981 - 02 - 14)),
            Validity::Valid,
            Some("見本　花子"),
            None,
        ),
        (
            query("06139990", "9999", date!(1990 - 09 - 09)),
            Validity::Invalid,
            Some("架空　失子"),
            None,
        ),
        (
            query("06139990", "3301", date!(1985 - 06 - 08)),
            Validity::NoEligibility,
            None,
            None,
        ),
        (
            query("12345678", "1", date!(1970 - 01 - 01)),
            Validity::NoEligibility,
            None,
            None,
        ),
    ];
    for (counter, (query, validity, name, ratio)) in (1..).zip(cases) {
        let file_id = format!("K{counter:04}");
        let request =
            eligibility_request(&query, "1399900011", &file_id, day, OqsEncoding::Utf8).unwrap();
        let request_name = request_file_name(counter, day);
        let bytes = ask(
            root,
            &request_name,
            &request,
            &response_file_name(&request_name),
        );
        let file = read_response(&bytes).unwrap();
        assert_eq!(file.encoding(), OqsEncoding::ShiftJis);
        assert_eq!(file.arbitrary_file_identifier(), Some(file_id.as_str()));
        assert_eq!(file.reference_classification(), Some("2"));
        assert_eq!(file.confirmation_date(), Some(day));
        let echo = file.search_info().expect("the search info is echoed");
        assert_eq!(
            (
                echo.insurer_number.as_str(),
                echo.number.as_str(),
                echo.birth_date
            ),
            (
                query.insurer_number.as_str(),
                query.number.as_str(),
                query.birth_date
            )
        );
        let r = file
            .eligibility()
            .unwrap_or_else(|e| panic!("{file_id}: {e}"));
        assert_eq!(r.validity, validity, "{file_id}");
        assert_eq!(r.name.as_ref().map(|n| n.name.as_str()), name, "{file_id}");
        assert_eq!(r.burden_ratio, ratio, "{file_id}");
    }
}

#[test]
fn a_request_the_terminal_rejects_gets_an_error_file() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    fs::create_dir_all(root.join("req")).unwrap();
    let _terminal = serve(root, &["--error-file"]);
    let day = date!(2026 - 11 - 30);
    let request = eligibility_request(
        &query("06139990", "3301", date!(1985 - 06 - 07)),
        "1399900011",
        "K0001",
        day,
        OqsEncoding::ShiftJis,
    )
    .unwrap();
    let bytes = ask(
        root,
        "OQSsiquc01req_202611300001.xml",
        &request,
        "OQSsiquc01req_202611300001.err",
    );
    assert!(!bytes.is_empty());
    assert!(
        !root
            .join("res")
            .join("OQSsiquc01res_202611300001.xml")
            .exists()
    );
}
