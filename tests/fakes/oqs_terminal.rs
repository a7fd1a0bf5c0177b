//! A fake eligibility terminal (資格確認端末 with its 連携アプリ) for tests: it writes the files
//! the real one writes into its shared folder, built from the format note
//! (`shared/research/integration-formats.md` §1 and the samples OQS-A/B/C of §3), never from
//! uketsuke's own parser (`uketsuke::oqs`), so the two check each other against the note.
//! Test-only (feature `sim`): never in the device image.
//!
//! # Usage
//! ```text
//! uketsuke-fake-oqs-terminal face --root DIR --case CASE [--facility CODE] [--stamp yyyyMMddHHmmss]
//!                                 [--slow-ms N] [--vanish-after-ms N]
//! uketsuke-fake-oqs-terminal serve --root DIR [--facility CODE] [--encoding sjis|utf8] [--delay-ms N]
//!                                  [--never-answer] [--error-file]
//! ```
//! Both create `DIR/face`, `DIR/req`, `DIR/res` when absent (lowercase: §1.1).
//!
//! `face` writes ONE face file, `DIR/face/OQSsiquc01res_face_<facility><20 hex>_<stamp>.xml`
//! (§1.2: 10-digit code + 20 hex + 14-digit terminal time; stamp default: now in JST), prints its
//! path on stdout and exits. By default the file is written under a temporary name in `DIR` and
//! renamed in (whole at once); `--slow-ms N` writes it in place in three chunks over N ms (a
//! slowly written file: §1.2 "no documented temp/rename convention"); `--vanish-after-ms N`
//! moves it to `DIR/trash` N ms after writing (an EMR taking it, §1.1 MR FaceCapture). Cases:
//!
//! | case | file |
//! |---|---|
//! | `valid-sjis` | OQS-A: Shift_JIS, valid, 国保 `␣␣139998`, 見本　花子 born 1981-02-14 (3割 derived), ReferenceNumber 40817, consents |
//! | `valid-utf8-bom` | the same person, UTF-8 with a BOM |
//! | `shuffled` | the same person, UTF-8, header and person fields in another order, the body's status first |
//! | `minimal` | valid, UTF-8, every optional omitted (no symbol, branch, kana, consents, reference number) |
//! | `elderly-75` | valid, 後期 39139991, born 1948-03-03, InsuredPartialContributionRatio `010` (1割) |
//! | `elderly-70` | valid, 06139990, born 1954-08-01, ElderlyRecipientContributionRatio `020` (2割) |
//! | `invalid` | OQS-B: QualificationValidity 2, 架空　●一 (a ●), 1割 |
//! | `kanji-level3` | valid, Shift_JIS, Name 見本　德子 with 德 written as CP932 `ED 9E` (§1.8, SANOX road19) |
//! | `two-results` | valid, two ResultOfQualificationConfirmation |
//! | `duplicated-field` | valid, InsurerNumber given twice |
//! | `xxe` | a DOCTYPE declaring an external entity used in Name |
//! | `error` | SegmentOfResult 9 with ErrorCode and ErrorMessage, no result |
//! | `garbage` | not XML |
//!
//! `serve` runs until killed: every 20 ms it takes each `DIR/req/OQSsiquc01req_*.xml` (names
//! compared case-insensitively), removes it (the 連携アプリ takes requests away, SANOX road13),
//! waits `--delay-ms`, and writes `DIR/res/OQSsiquc01res_<same suffix>.xml` (§1.2) through a
//! temporary name: header echoing ArbitraryFileIdentifier and QualificationConfirmationDate,
//! ReferenceClassification 2, SegmentOfResult 1; body ProcessingResultStatus 1,
//! QualificationValidity, the echo of QualificationConfirmSearchInfo and the person (MC
//! result.test.ts, §1.7). `--encoding` (default `sjis`) is the terminal's setting (§1.3).
//! `--error-file` writes `DIR/res/<request name without .xml>.err` instead (CS; UNCONFIRMED,
//! §1.2); `--never-answer` takes requests and never answers. A request without InsurerNumber
//! or InsuredIdentificationNumber is answered with a `.err` file too.
//!
//! Persona table of `serve`, keyed by InsurerNumber (padding spaces trimmed) + number; a given
//! Birthdate must match, else validity 4:
//!
//! | insurer | number | answer |
//! |---|---|---|
//! | `06139990` | `3301` | valid, 記号 ｶｸ12 枝番 02, 架空　●美 (a ●), born 1985-06-07: under 70, 3割 derived |
//! | `39139991` | `00012345` | valid, 後期, 架空　一郎 born 1948-03-03, `010` = 1割 |
//! | `139998` | `0707` | valid, OQS-A's 見本　花子, born 1981-02-14 |
//! | `06139990` | `9999` | QualificationValidity 2 (invalid), 架空　失子 |
//! | `01130012` | `345` | valid, 記号 12 枝番 01, 架空　●子 (a ●), born 1977-07-07: under 70, 3割 derived; an insurer number whose check digit holds, as the staff console checks it when staff type it |
//! | anything else | | QualificationValidity 4 (該当資格なし), no result |
#![forbid(unsafe_code)]

use std::collections::hash_map::RandomState;
use std::fs;
use std::hash::{BuildHasher, Hasher};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::thread::sleep;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use encoding_rs::{SHIFT_JIS, UTF_8};

const DEFAULT_FACILITY: &str = "1399900011";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("face") => Options::parse(&args[1..]).and_then(|o| face(&o)),
        Some("serve") => Options::parse(&args[1..]).and_then(|o| serve(&o)),
        _ => Err("usage: uketsuke-fake-oqs-terminal face|serve --root DIR ...".into()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("uketsuke-fake-oqs-terminal: {e}");
            ExitCode::from(2)
        }
    }
}

#[derive(Default)]
struct Options {
    root: Option<PathBuf>,
    case: Option<String>,
    facility: Option<String>,
    stamp: Option<String>,
    slow_ms: Option<u64>,
    vanish_after_ms: Option<u64>,
    sjis: bool,
    delay_ms: u64,
    never_answer: bool,
    error_file: bool,
}

impl Options {
    fn parse(args: &[String]) -> Result<Options, String> {
        let mut o = Options {
            sjis: true,
            ..Options::default()
        };
        let mut it = args.iter();
        while let Some(flag) = it.next() {
            let mut value = || {
                it.next()
                    .cloned()
                    .ok_or_else(|| format!("{flag} needs a value"))
            };
            let ms = |v: String| {
                v.parse::<u64>()
                    .map_err(|_| format!("{flag}: not a number"))
            };
            match flag.as_str() {
                "--root" => o.root = Some(PathBuf::from(value()?)),
                "--case" => o.case = Some(value()?),
                "--facility" => o.facility = Some(value()?),
                "--stamp" => o.stamp = Some(value()?),
                "--slow-ms" => o.slow_ms = Some(ms(value()?)?),
                "--vanish-after-ms" => o.vanish_after_ms = Some(ms(value()?)?),
                "--delay-ms" => o.delay_ms = ms(value()?)?,
                "--encoding" => {
                    o.sjis = match value()?.as_str() {
                        "sjis" => true,
                        "utf8" => false,
                        other => return Err(format!("--encoding {other}: sjis or utf8")),
                    }
                }
                "--never-answer" => o.never_answer = true,
                "--error-file" => o.error_file = true,
                other => return Err(format!("unknown option {other}")),
            }
        }
        Ok(o)
    }

    fn root(&self) -> Result<&Path, String> {
        let root = self.root.as_deref().ok_or("--root DIR is required")?;
        for sub in ["face", "req", "res"] {
            fs::create_dir_all(root.join(sub)).map_err(|e| format!("{}: {e}", root.display()))?;
        }
        Ok(root)
    }
}

// ---------------------------------------------------------------------------------------------
// People and their result XML (§1.4, §1.5)

#[derive(Clone)]
struct Person {
    insurer: &'static str,
    symbol: Option<&'static str>,
    number: &'static str,
    branch: Option<&'static str>,
    name: &'static str,
    kana: Option<&'static str>,
    sex: &'static str,
    birth: &'static str,
    /// Further fields written as they are (ratios, consents, reference number).
    extra: &'static str,
}

const HANAKO: Person = Person {
    insurer: "  139998",
    symbol: Some("5123"),
    number: "0707",
    branch: Some("01"),
    name: "見本　花子",
    kana: Some("ﾐﾎﾝ ﾊﾅｺ"),
    sex: "2",
    birth: "19810214",
    extra: "<InsurerName>見本市</InsurerName><LimitApplicationCertificateRelatedConsFlg>0</LimitApplicationCertificateRelatedConsFlg>\
<PharmacistsInfoConsFlg>1</PharmacistsInfoConsFlg><PharmacistsInfoConsTime>20260512091510</PharmacistsInfoConsTime>\
<PharmacistsInfoAvailableTime>20260513091510</PharmacistsInfoAvailableTime>\
<SpecificHealthCheckupsInfoConsFlg>0</SpecificHealthCheckupsInfoConsFlg><DiagnosisInfoConsFlg>1</DiagnosisInfoConsFlg>\
<ReferenceNumber>40817</ReferenceNumber>",
};

const ICHIRO_75: Person = Person {
    insurer: "39139991",
    symbol: None,
    number: "00012345",
    branch: None,
    name: "架空　一郎",
    kana: Some("ｶｸｳ ｲﾁﾛｳ"),
    sex: "1",
    birth: "19480303",
    extra: "<InsuredPartialContributionRatio>010</InsuredPartialContributionRatio>\
<InsurerName>架空県後期高齢者医療広域連合</InsurerName>",
};

const JIRO_70: Person = Person {
    insurer: "06139990",
    symbol: Some("ｶｸ12"),
    number: "7001",
    branch: Some("00"),
    name: "架空　次郎",
    kana: Some("ｶｸｳ ｼﾞﾛｳ"),
    sex: "1",
    birth: "19540801",
    extra: "<ElderlyRecipientCertificateInfo><ElderlyRecipientCertificateDate>20240801</ElderlyRecipientCertificateDate>\
<ElderlyRecipientValidStartDate>20240901</ElderlyRecipientValidStartDate>\
<ElderlyRecipientContributionRatio>020</ElderlyRecipientContributionRatio></ElderlyRecipientCertificateInfo>",
};

const TAKAICHI_INVALID: Person = Person {
    insurer: "39139991",
    symbol: None,
    number: "00012346",
    branch: None,
    name: "架空　●一",
    kana: Some("ｶｸｳ ﾀｶｲﾁ"),
    sex: "1",
    birth: "19480303",
    extra: "<DisqualificationDate>20260401</DisqualificationDate><ReasonOfLoss>99</ReasonOfLoss>\
<InsuredCardExpirationDate>20260331</InsuredCardExpirationDate>\
<InsuredPartialContributionRatio>010</InsuredPartialContributionRatio>",
};

const MIKA_CIRCLE: Person = Person {
    insurer: "06139990",
    symbol: Some("ｶｸ12"),
    number: "3301",
    branch: Some("02"),
    name: "架空　●美",
    kana: Some("ｶｸｳ ﾐｶ"),
    sex: "2",
    birth: "19850607",
    extra: "<InsuredCardValidDate>20200401</InsuredCardValidDate>",
};

const SHITSUKO_INVALID: Person = Person {
    insurer: "06139990",
    symbol: Some("ｶｸ12"),
    number: "9999",
    branch: Some("00"),
    name: "架空　失子",
    kana: Some("ｶｸｳ ｼﾂｺ"),
    sex: "2",
    birth: "19900909",
    extra: "<DisqualificationDate>20260331</DisqualificationDate><ReasonOfLoss>03</ReasonOfLoss>",
};

const YOSHIKO_DESK: Person = Person {
    insurer: "01130012",
    symbol: Some("12"),
    number: "345",
    branch: Some("01"),
    name: "架空　●子",
    kana: Some("ｶｸｳ ﾖｼｺ"),
    sex: "2",
    birth: "19770707",
    extra: "<InsuredCardValidDate>20250401</InsuredCardValidDate>\
<InsuredCardExpirationDate>20290331</InsuredCardExpirationDate>",
};

/// The persona table of `serve` (see the module docs): validity and person.
fn persona(insurer: &str, number: &str) -> Option<(&'static str, Person)> {
    [
        ("1", MIKA_CIRCLE),
        ("1", ICHIRO_75),
        ("1", HANAKO),
        ("2", SHITSUKO_INVALID),
        ("1", YOSHIKO_DESK),
    ]
    .into_iter()
    .find(|(_, p)| p.insurer.trim() == insurer && p.number == number)
}

/// One ResultOfQualificationConfirmation in the observed order (§3 OQS-A), or shuffled.
fn result_xml(p: &Person, shuffled: bool) -> String {
    let mut fields = vec![
        "<InsuredCardClassification>01</InsuredCardClassification>".to_owned(),
        format!("<InsurerNumber>{}</InsurerNumber>", p.insurer),
    ];
    if let Some(s) = p.symbol {
        fields.push(format!(
            "<InsuredCardSymbol>{}</InsuredCardSymbol>",
            escape(s)
        ));
    }
    fields.push(format!(
        "<InsuredIdentificationNumber>{}</InsuredIdentificationNumber>",
        p.number
    ));
    if let Some(b) = p.branch {
        fields.push(format!("<InsuredBranchNumber>{b}</InsuredBranchNumber>"));
    }
    fields.push("<PersonalFamilyClassification>1</PersonalFamilyClassification>".to_owned());
    fields.push(format!("<Name>{}</Name>", p.name));
    if let Some(k) = p.kana {
        fields.push(format!("<NameKana>{k}</NameKana>"));
    }
    fields.push(format!("<Sex1>{}</Sex1>", p.sex));
    fields.push(format!("<Birthdate>{}</Birthdate>", p.birth));
    fields.push(p.extra.to_owned());
    if shuffled {
        fields.reverse();
    }
    format!(
        "<ResultOfQualificationConfirmation>{}</ResultOfQualificationConfirmation>",
        fields.concat()
    )
}

struct Header<'a> {
    stamp: &'a str,
    facility: &'a str,
    file_id: &'a str,
    classification: &'a str,
    segment: &'a str,
    sjis: bool,
    error: Option<(&'a str, &'a str)>,
    confirmation_date: Option<&'a str>,
}

fn header_xml(h: &Header, shuffled: bool) -> String {
    let date = h.confirmation_date.unwrap_or(&h.stamp[..8]);
    // The observed real order (MC sample, SX; §1.4).
    let mut fields = vec![
        format!("<ProcessExecutionTime>{}</ProcessExecutionTime>", h.stamp),
        format!(
            "<CharacterCodeIdentifier>{}</CharacterCodeIdentifier>",
            if h.sjis { "1" } else { "0" }
        ),
        format!("<SegmentOfResult>{}</SegmentOfResult>", h.segment),
        format!("<QualificationConfirmationDate>{date}</QualificationConfirmationDate>"),
        format!(
            "<ReferenceClassification>{}</ReferenceClassification>",
            h.classification
        ),
        format!(
            "<ArbitraryFileIdentifier>{}</ArbitraryFileIdentifier>",
            escape(h.file_id)
        ),
        format!(
            "<MedicalInstitutionCode>{}</MedicalInstitutionCode>",
            escape(h.facility)
        ),
    ];
    if let Some((code, message)) = h.error {
        fields.push(format!(
            "<ErrorCode>{code}</ErrorCode><ErrorMessage>{message}</ErrorMessage>"
        ));
    }
    if shuffled {
        fields.reverse();
    }
    format!("<MessageHeader>{}</MessageHeader>", fields.concat())
}

fn prolog(sjis: bool) -> &'static str {
    if sjis {
        "<?xml version=\"1.0\" encoding=\"Shift_JIS\" standalone=\"no\"?>\r\n"
    } else {
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\r\n"
    }
}

fn encode(text: &str, sjis: bool) -> Vec<u8> {
    let (bytes, _, _) = if sjis {
        SHIFT_JIS.encode(text)
    } else {
        UTF_8.encode(text)
    };
    bytes.into_owned()
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

// ---------------------------------------------------------------------------------------------
// face

/// The bytes of a face-file case.
fn face_case(case: &str, facility: &str, stamp: &str) -> Result<Vec<u8>, String> {
    let file_id = token();
    let header =
        |sjis: bool, segment: &'static str, error: Option<(&'static str, &'static str)>| Header {
            stamp,
            facility,
            file_id: &file_id,
            classification: "1",
            segment,
            sjis,
            error,
            confirmation_date: None,
        };
    let body = |results: &[String], validity: &str, status_first: bool| {
        let list = format!("<ResultList>{}</ResultList>", results.concat());
        let status = format!(
            "<ProcessingResultStatus>1</ProcessingResultStatus><QualificationValidity>{validity}</QualificationValidity>"
        );
        if status_first {
            format!("<MessageBody>{status}{list}</MessageBody>")
        } else {
            format!("<MessageBody>{list}{status}</MessageBody>")
        }
    };
    let doc = |sjis: bool, header: String, body: String| {
        encode(
            &format!("{}<XmlMsg>{header}{body}</XmlMsg>", prolog(sjis)),
            sjis,
        )
    };
    let valid = |sjis: bool, person: &Person| {
        doc(
            sjis,
            header_xml(&header(sjis, "1", None), false),
            body(&[result_xml(person, false)], "1", false),
        )
    };
    Ok(match case {
        "valid-sjis" => valid(true, &HANAKO),
        "valid-utf8-bom" => [b"\xEF\xBB\xBF".as_slice(), &valid(false, &HANAKO)].concat(),
        "shuffled" => doc(
            false,
            header_xml(&header(false, "1", None), true),
            body(&[result_xml(&HANAKO, true)], "1", true),
        ),
        "minimal" => {
            let bare = Person {
                symbol: None,
                branch: None,
                kana: None,
                extra: "",
                ..HANAKO
            };
            let text = format!(
                "{}<XmlMsg><MessageHeader><ProcessExecutionTime>{stamp}</ProcessExecutionTime>\
                 <SegmentOfResult>1</SegmentOfResult><MedicalInstitutionCode>{facility}</MedicalInstitutionCode>\
                 </MessageHeader>{}</XmlMsg>",
                prolog(false),
                body(&[result_xml(&bare, false)], "1", true)
            );
            encode(&text, false)
        }
        "elderly-75" => valid(false, &ICHIRO_75),
        "elderly-70" => valid(true, &JIRO_70),
        "invalid" => doc(
            false,
            header_xml(&header(false, "1", None), false),
            body(&[result_xml(&TAKAICHI_INVALID, false)], "2", true),
        ),
        "kanji-level3" => {
            let person = Person {
                name: "見本　@TOKU@子",
                ..HANAKO
            };
            let bytes = valid(true, &person);
            // 德 is written as the NEC-selected IBM extension code ED 9E, as a CP932 terminal
            // would; encoding_rs's encoder would pick the IBM row (FA/FB) instead.
            let marker = b"@TOKU@";
            let at = bytes
                .windows(marker.len())
                .position(|w| w == marker)
                .ok_or("marker lost")?;
            [
                &bytes[..at],
                b"\xED\x9E".as_slice(),
                &bytes[at + marker.len()..],
            ]
            .concat()
        }
        "two-results" => doc(
            false,
            header_xml(&header(false, "1", None), false),
            body(
                &[result_xml(&HANAKO, false), result_xml(&MIKA_CIRCLE, false)],
                "1",
                false,
            ),
        ),
        "duplicated-field" => {
            let text = String::from_utf8(valid(false, &HANAKO)).map_err(|e| e.to_string())?;
            let once = "<InsurerNumber>  139998</InsurerNumber>";
            text.replacen(
                once,
                &format!("{once}<InsurerNumber>  139999</InsurerNumber>"),
                1,
            )
            .into_bytes()
        }
        "xxe" => {
            let person = Person {
                name: "&xxe;",
                ..HANAKO
            };
            let text = String::from_utf8(valid(false, &person)).map_err(|e| e.to_string())?;
            text.replacen(
                "<XmlMsg>",
                "<!DOCTYPE XmlMsg [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]><XmlMsg>",
                1,
            )
            .into_bytes()
        }
        "error" => doc(
            true,
            header_xml(
                &header(
                    true,
                    "9",
                    Some(("EOQS0001", "資格確認処理でエラーが発生しました")),
                ),
                false,
            ),
            "<MessageBody></MessageBody>".to_owned(),
        ),
        "garbage" => b"\x00\x01PK\x03\x04 not xml <XmlMsg".to_vec(),
        other => return Err(format!("unknown case {other}")),
    })
}

fn face(o: &Options) -> Result<(), String> {
    let root = o.root()?;
    let case = o.case.as_deref().ok_or("--case CASE is required")?;
    let facility = o.facility.as_deref().unwrap_or(DEFAULT_FACILITY);
    let stamp = match &o.stamp {
        Some(s) if s.len() == 14 && s.bytes().all(|b| b.is_ascii_digit()) => s.clone(),
        Some(_) => return Err("--stamp must be yyyyMMddHHmmss".into()),
        None => jst_stamp(),
    };
    let bytes = face_case(case, facility, &stamp)?;
    let hex = format!("{:016x}{:016x}", random(), random());
    let name = format!("OQSsiquc01res_face_{facility}{}_{stamp}.xml", &hex[..20]);
    let path = root.join("face").join(&name);
    let io = |e: std::io::Error| format!("{}: {e}", path.display());
    match o.slow_ms {
        Some(ms) => {
            let mut file = fs::File::create(&path).map_err(io)?;
            let third = bytes.len().div_ceil(3).max(1);
            for (i, chunk) in bytes.chunks(third).enumerate() {
                if i > 0 {
                    sleep(Duration::from_millis(ms / 2));
                }
                file.write_all(chunk).map_err(io)?;
                file.flush().map_err(io)?;
                file.sync_data().map_err(io)?;
            }
        }
        None => write_then_rename(root, &path, &bytes).map_err(io)?,
    }
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", path.display()).map_err(|e| e.to_string())?;
    out.flush().map_err(|e| e.to_string())?;
    drop(out);
    if let Some(ms) = o.vanish_after_ms {
        sleep(Duration::from_millis(ms));
        let trash = root.join("trash");
        fs::create_dir_all(&trash).map_err(io)?;
        fs::rename(&path, trash.join(&name)).map_err(io)?;
    }
    Ok(())
}

/// Writes `bytes` under a temporary name in `root` (not in the watched folder), then renames it
/// to `path`: the file appears whole.
fn write_then_rename(root: &Path, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = root.join(format!(".fake-oqs-{:016x}.tmp", random()));
    let mut file = fs::File::create(&tmp)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    drop(file);
    fs::rename(&tmp, path)
}

// ---------------------------------------------------------------------------------------------
// serve

fn serve(o: &Options) -> Result<(), String> {
    let root = o.root()?;
    let req = root.join("req");
    loop {
        let mut names: Vec<String> = fs::read_dir(&req)
            .map_err(|e| format!("{}: {e}", req.display()))?
            .filter_map(|e| e.ok())
            .filter_map(|e| e.file_name().into_string().ok())
            .filter(|n| {
                let lower = n.to_ascii_lowercase();
                lower.starts_with("oqssiquc01req_") && lower.ends_with(".xml")
            })
            .collect();
        names.sort();
        for name in names {
            let path = req.join(&name);
            let Ok(bytes) = fs::read(&path) else { continue };
            // The 連携アプリ takes the request away.
            let _ = fs::remove_file(&path);
            if o.never_answer {
                continue;
            }
            if o.delay_ms > 0 {
                sleep(Duration::from_millis(o.delay_ms));
            }
            let stem = &name[..name.len() - ".xml".len()];
            let answer = if o.error_file {
                None
            } else {
                answer(&bytes, o)
            };
            let written = match answer {
                Some(bytes) => {
                    let res_name = format!("OQSsiquc01res_{}", &name["OQSsiquc01req_".len()..]);
                    write_then_rename(root, &root.join("res").join(res_name), &bytes)
                }
                None => write_then_rename(
                    root,
                    &root.join("res").join(format!("{stem}.err")),
                    &encode("XMLフォーマットエラー\r\n", o.sjis),
                ),
            };
            written.map_err(|e| format!("{}: {e}", root.display()))?;
        }
        sleep(Duration::from_millis(20));
    }
}

/// The answer to one request, or `None` when it is not a request the fake can read.
fn answer(bytes: &[u8], o: &Options) -> Option<Vec<u8>> {
    let text = decode(bytes)?;
    let get = |name: &str| element_text(&text, name);
    let insurer_raw = get("InsurerNumber")?;
    let insurer = insurer_raw.trim().to_owned();
    let number = get("InsuredIdentificationNumber")?;
    let birth = get("Birthdate");
    let file_id = get("ArbitraryFileIdentifier").unwrap_or_default();
    let facility = o
        .facility
        .clone()
        .or_else(|| get("MedicalInstitutionCode"))
        .unwrap_or_else(|| DEFAULT_FACILITY.to_owned());
    let found =
        persona(&insurer, &number).filter(|(_, p)| birth.as_deref().is_none_or(|b| b == p.birth));
    let (validity, results) = match &found {
        Some((validity, person)) => (*validity, result_xml(person, false)),
        None => ("4", String::new()),
    };
    let mut echo = format!("<InsurerNumber>{}</InsurerNumber>", escape(&insurer_raw));
    for name in [
        "InsuredCardSymbol",
        "InsuredIdentificationNumber",
        "InsuredBranchNumber",
        "Birthdate",
        "LimitApplicationCertificateRelatedConsFlg",
        "ArbitraryIdentifier",
    ] {
        if let Some(v) = get(name) {
            echo.push_str(&format!("<{name}>{}</{name}>", escape(&v)));
        }
    }
    let stamp = jst_stamp();
    let confirmation_date = get("QualificationConfirmationDate");
    let header = header_xml(
        &Header {
            stamp: &stamp,
            facility: &facility,
            file_id: &file_id,
            classification: "2",
            segment: "1",
            sjis: o.sjis,
            error: None,
            confirmation_date: confirmation_date.as_deref(),
        },
        false,
    );
    let text = format!(
        "{}<XmlMsg>{header}<MessageBody><ProcessingResultStatus>1</ProcessingResultStatus>\
         <QualificationValidity>{validity}</QualificationValidity>\
         <QualificationConfirmSearchInfo>{echo}</QualificationConfirmSearchInfo>\
         <ResultList>{results}</ResultList></MessageBody></XmlMsg>",
        prolog(o.sjis)
    );
    Some(encode(&text, o.sjis))
}

/// A request's text: UTF-8 (a BOM accepted) or Shift_JIS as its prolog says (§1.3).
fn decode(bytes: &[u8]) -> Option<String> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(100)]).to_ascii_lowercase();
    let encoding =
        if head.contains("encoding=\"shift_jis\"") || head.contains("encoding='shift_jis'") {
            SHIFT_JIS
        } else {
            UTF_8
        };
    encoding
        .decode_without_bom_handling_and_without_replacement(bytes)
        .map(|t| t.into_owned())
}

/// The text of the first `<name>…</name>` (requests are flat and written by one program).
fn element_text(text: &str, name: &str) -> Option<String> {
    let open = format!("<{name}>");
    let close = format!("</{name}>");
    let start = text.find(&open)? + open.len();
    let end = start + text[start..].find(&close)?;
    let value = unescape(&text[start..end]);
    (!value.trim().is_empty()).then_some(value)
}

// ---------------------------------------------------------------------------------------------
// time and randomness, from std only

/// Now on the terminal's clock (JST, +09:00), `yyyyMMddHHmmss`.
fn jst_stamp() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
        + 9 * 3600;
    let (days, rem) = (secs / 86_400, secs % 86_400);
    let (y, m, d) = civil_from_days(days as i64);
    format!(
        "{y:04}{m:02}{d:02}{:02}{:02}{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Days since 1970-01-01 to a proleptic Gregorian date (H. Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

fn random() -> u64 {
    let mut h = RandomState::new().build_hasher();
    h.write_u128(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0),
    );
    h.write_u32(std::process::id());
    h.finish()
}

/// A face file's ArbitraryFileIdentifier: an opaque 16-character token ending `=` (§1.5, SX).
fn token() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut bits = random();
    (0..15)
        .map(|_| {
            let c = ALPHABET[(bits % 64) as usize] as char;
            bits /= 64;
            if bits == 0 {
                bits = random();
            }
            c
        })
        .chain(std::iter::once('='))
        .collect()
}
