//! One query by insurance numbers through the eligibility terminal's shared folder, for the
//! staff console (issue 17 item 1, "Query by insurance numbers"): the request is written into
//! `req` under a temporary name and renamed in, and its answer is waited for in `res` and read
//! once complete. Only the file mechanics live here; the XML (the request's bytes, the answer's
//! parsing) is the rest of `oqs`'s, passed in. Blocking: call it off an async runtime
//! (`spawn_blocking`).
//!
//! Sources (integration-formats §1.1, §1.2, §1.7):
//! - the answer's name is the request's with `req_` → `res_` (OD2 `FindExpectedResultFile`, MR
//!   `OqsFileClient`); CS instead takes any answer whose `ArbitraryFileIdentifier` is the
//!   request's: both are accepted here (the second only for answers that appeared after the
//!   request was written);
//! - a request the terminal rejects comes back as `<basename>.err` (CS; UNCONFIRMED, one source):
//!   looked for in `res` and in `req`;
//! - the terminal has no documented temp/rename convention (UNCONFIRMED), so an answer is read
//!   only once complete: two identical reads [`Timing::settle`] apart that also parse (MR);
//! - the request is built under a name that does not match `OQSsiquc01req_*` and renamed in (MR
//!   writes `.receptionagent-*.tmp` in `req`);
//! - MR waits up to 3 minutes for an answer and never resends after a timeout: a timeout here
//!   ends the query, and the request is never written again;
//! - Windows ignores case, so folder and file names are matched case-insensitively;
//! - other programs read these folders too: nothing here moves, renames or deletes a file it did
//!   not write (only the temporary request file is renamed, by its writer).
//!
//! The request file's suffix: `yyyyMMdd` (Japan's date) and a 4-digit daily counter, as OD2 and
//! MR write it (enforcement by the terminal UNCONFIRMED). The counter is derived, not stored:
//! one more than the highest of today's counters in `req` and `res` and of the ones this process
//! gave out ([`Suffixes`]), so two consoles' restarts never reuse a name whose answer is still in
//! `res`.

use std::collections::BTreeSet;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::dates::Date;
use crate::domain::EligibilityResult;

use super::folder::{Settled, find_subfolder, read_settled};
use super::{NotUsable, OqsEncoding, QualificationQuery};

/// The name of an eligibility query by insurance numbers: `OQSsiquc01req_<suffix>.xml` (CS,
/// SANOX road12).
pub const REQUEST_PREFIX: &str = "OQSsiquc01req_";
/// Its answer: `OQSsiquc01res_<suffix>.xml` (CS, SANOX road12, OD2, MR).
pub const RESPONSE_PREFIX: &str = "OQSsiquc01res_";

/// How long a query waits by default for the terminal's answer (a facility setting, see
/// `rules::EligibilityTerminal`). MR waits 3 minutes; staff at the desk wait one.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// How a query waits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    /// How long to wait for an answer or an error file before giving up (never resending).
    pub timeout: Duration,
    /// How often `res` is listed while waiting.
    pub poll: Duration,
    /// The pause between the two reads that must agree before an answer counts as complete
    /// (MR: 300 ms).
    pub settle: Duration,
}

impl Default for Timing {
    fn default() -> Self {
        Timing {
            timeout: DEFAULT_TIMEOUT,
            poll: Duration::from_millis(200),
            settle: Duration::from_millis(300),
        }
    }
}

/// Identical reads that still do not parse, after which an answer counts as unreadable rather
/// than still being written (MR gives up after 8–12 tries).
const STABLE_BUT_UNPARSABLE: u32 = 8;

/// Why a query has no answer. `Display` is for technicians (it names the folder or file);
/// [`QueryError::japanese`] is for reception staff.
#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    #[error(
        "cannot write the request {path} into the eligibility terminal's folder (--gateway oqs:DIR, facility key gateway): {source}"
    )]
    Write { path: PathBuf, source: io::Error },
    #[error(
        "no answer to {request} in {folder} within {seconds} s; the request was not sent again (the terminal's 連携アプリ may be stopped)"
    )]
    Timeout {
        request: String,
        folder: PathBuf,
        seconds: u64,
    },
    #[error("the eligibility terminal answered {request} with the error file {path}")]
    ErrorFile { request: String, path: PathBuf },
    #[error("the eligibility terminal's answer {path} cannot be read: {reason}")]
    Unreadable { path: PathBuf, reason: String },
    #[error("the request cannot be written: {reason}")]
    Unwritable { reason: String },
}

impl QueryError {
    /// What reception staff read: what happened and that the handoff can still be resolved by
    /// hand. No file names, no codes.
    pub fn japanese(&self) -> String {
        match self {
            QueryError::Timeout { seconds, .. } => format!(
                "資格確認端末から回答がありません（{seconds}秒）。手で確認して解決できます。"
            ),
            QueryError::ErrorFile { .. } => "資格確認端末が照会を受け付けませんでした。番号と生年月日を確かめてもう一度照会するか、手で確認して解決できます。".to_owned(),
            QueryError::Unreadable { .. } => "資格確認端末の回答を読み取れませんでした。手で確認して解決できます（続くときは技術担当者へ）。".to_owned(),
            QueryError::Write { .. } => "資格確認端末のフォルダに照会を書き込めませんでした。手で確認して解決できます（技術担当者に連絡してください）。".to_owned(),
            QueryError::Unwritable { .. } => "入力された記号・番号に、資格確認端末へ送れない文字があります。画面や書類の文字を確かめて入力し直すか、手で確認して解決できます。".to_owned(),
        }
    }
}

/// An answer: the file it was read from and what it parsed to.
#[derive(Debug)]
pub struct Answer<T> {
    pub file: PathBuf,
    pub parsed: T,
}

/// The subfolder `name` of `root` (`req`, `res`), whatever its case; `root/name` if none.
pub fn subfolder(root: &Path, name: &str) -> PathBuf {
    find_subfolder(root, name).unwrap_or_else(|| root.join(name))
}

/// The names of the files in `dir` (none if it cannot be listed).
fn file_names(dir: &Path) -> Vec<(String, PathBuf)> {
    std::fs::read_dir(dir)
        .ok()
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .map(|e| (e.file_name().to_string_lossy().into_owned(), e.path()))
        .collect()
}

/// Gives out request suffixes `yyyyMMddNNNN` (see the module's note on the counter).
#[derive(Debug, Default)]
pub struct Suffixes {
    last: Mutex<Option<(Date, u32)>>,
}

impl Suffixes {
    /// The next suffix for a request written into `root` on `today` (Japan's date).
    pub fn next(&self, root: &Path, today: Date) -> String {
        let day = today.format("%Y%m%d").to_string();
        let mut highest = 0;
        for (folder, prefix) in [("req", REQUEST_PREFIX), ("res", RESPONSE_PREFIX)] {
            let prefix = format!("{prefix}{day}").to_ascii_lowercase();
            for (name, _) in file_names(&subfolder(root, folder)) {
                let lower = name.to_ascii_lowercase();
                let counter = lower
                    .strip_prefix(&prefix)
                    .and_then(|rest| rest.split('.').next())
                    .and_then(|n| n.parse::<u32>().ok());
                highest = highest.max(counter.unwrap_or(0));
            }
        }
        let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((d, n)) = *last
            && d == today
        {
            highest = highest.max(n);
        }
        let next = highest + 1;
        *last = Some((today, next));
        format!("{day}{next:04}")
    }
}

/// One query: writes `request` as `req/OQSsiquc01req_<suffix>.xml` (through a temporary name)
/// under `root`, then waits up to `timing.timeout` for its answer in `res`: the file named
/// `OQSsiquc01res_<suffix>.xml`, or any `OQSsiquc01res_*.xml` that appeared after the request
/// and whose identifier (`identifier_of`, the answer's `ArbitraryFileIdentifier`) is
/// `own_identifier`, or an error file `<basename>.err`. `parse` turns a complete file into the
/// answer (`Err`: why it cannot be read). Blocking.
///
/// Errors: the request cannot be written ([`QueryError::Write`]), no answer in time
/// ([`QueryError::Timeout`]; the request is never written again), an error file
/// ([`QueryError::ErrorFile`]), an answer that stays unparsable ([`QueryError::Unreadable`]).
pub fn ask<T>(
    root: &Path,
    suffix: &str,
    request: &[u8],
    own_identifier: &str,
    timing: &Timing,
    parse: impl Fn(&[u8]) -> Result<T, String>,
    identifier_of: impl Fn(&T) -> Option<String>,
) -> Result<Answer<T>, QueryError> {
    let req = subfolder(root, "req");
    let res = subfolder(root, "res");
    let request_name = format!("{REQUEST_PREFIX}{suffix}.xml");
    let expected = format!("{RESPONSE_PREFIX}{suffix}.xml").to_ascii_lowercase();
    let error_files = [
        format!("{REQUEST_PREFIX}{suffix}.err").to_ascii_lowercase(),
        format!("{RESPONSE_PREFIX}{suffix}.err").to_ascii_lowercase(),
        format!("{REQUEST_PREFIX}{suffix}.xml.err").to_ascii_lowercase(),
    ];
    // Answers already there belong to other requests (CS's match is for new answers only).
    let mut not_ours: BTreeSet<String> = file_names(&res)
        .into_iter()
        .map(|(name, _)| name.to_ascii_lowercase())
        .filter(|name| *name != expected)
        .collect();

    let temporary = req.join(format!(".uketsuke-{suffix}.tmp"));
    let target = req.join(&request_name);
    let written =
        std::fs::write(&temporary, request).and_then(|()| std::fs::rename(&temporary, &target));
    if let Err(source) = written {
        let _ = std::fs::remove_file(&temporary);
        return Err(QueryError::Write {
            path: target,
            source,
        });
    }

    let started = Instant::now();
    let mut unparsable: std::collections::BTreeMap<String, (u32, String)> = Default::default();
    loop {
        for folder in [&res, &req] {
            for (name, path) in file_names(folder) {
                if error_files.contains(&name.to_ascii_lowercase()) {
                    return Err(QueryError::ErrorFile {
                        request: request_name,
                        path,
                    });
                }
            }
        }
        for (name, path) in file_names(&res) {
            let lower = name.to_ascii_lowercase();
            let ours_by_name = lower == expected;
            let candidate = ours_by_name
                || (lower.starts_with(&RESPONSE_PREFIX.to_ascii_lowercase())
                    && lower.ends_with(".xml")
                    && !not_ours.contains(&lower));
            if !candidate {
                continue;
            }
            let reason = match read_settled(&path, timing.settle, 2, &parse) {
                Settled::Complete(parsed) => {
                    if ours_by_name || identifier_of(&parsed).as_deref() == Some(own_identifier) {
                        return Ok(Answer { file: path, parsed });
                    }
                    not_ours.insert(lower);
                    continue;
                }
                // Still being written, or gone.
                Settled::Changing | Settled::Unreadable(_) => continue,
                Settled::Unparsable(reason) => reason,
                Settled::TooLarge => "larger than any result file".to_owned(),
            };
            let seen = unparsable
                .entry(lower.clone())
                .or_insert((0, String::new()));
            seen.0 += 1;
            seen.1 = reason;
            if seen.0 >= STABLE_BUT_UNPARSABLE {
                if ours_by_name {
                    return Err(QueryError::Unreadable {
                        path,
                        reason: seen.1.clone(),
                    });
                }
                // Someone else's unreadable answer: not ours to report.
                not_ours.insert(lower);
            }
        }
        if started.elapsed() >= timing.timeout {
            return Err(QueryError::Timeout {
                request: request_name,
                folder: res,
                seconds: timing.timeout.as_secs(),
            });
        }
        std::thread::sleep(timing.poll);
    }
}

/// The numbers staff typed off a portal screen or a document, as the request needs them.
#[derive(Clone, PartialEq, Eq)]
pub struct NumbersQuery {
    /// 保険者番号, 6 or 8 digits.
    pub insurer_number: String,
    /// 記号, when the card has one.
    pub symbol: Option<String>,
    /// 番号, leading zeros kept.
    pub number: String,
    /// 枝番, 2 digits, when the card has one.
    pub branch: Option<String>,
    /// 生年月日 (the request's Birthdate).
    pub birth_date: Date,
}

impl std::fmt::Debug for NumbersQuery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NumbersQuery")
            .field("insurer_number", &self.insurer_number)
            .finish_non_exhaustive()
    }
}

/// Where and how the console asks the terminal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The terminal's shared folder, holding `req` and `res` (`oqs:DIR`).
    pub root: PathBuf,
    /// The facility's 10-digit 医療機関コード (the request's MedicalInstitutionCode).
    pub medical_institution_code: String,
    /// The encoding requests are written in (a terminal setting, §1.3; OD2 and MR write
    /// Shift_JIS).
    pub encoding: OqsEncoding,
    pub timing: Timing,
}

/// What staff read when the terminal answered without one usable result: the terminal's own
/// message as given (its codes left out), or what the answer means.
pub fn not_usable_japanese(why: &NotUsable) -> String {
    let said = |message: &Option<String>| {
        message
            .as_deref()
            .map(str::trim)
            .filter(|m| !m.is_empty())
            .map(|m| format!("（端末のメッセージ：{m}）"))
            .unwrap_or_default()
    };
    match why {
        NotUsable::ErrorFile { message, .. } | NotUsable::ProcessingError { message, .. } => {
            format!(
                "資格確認端末が確認できなかったと回答しました{}。番号と生年月日を確かめてもう一度照会するか、手で確認して解決できます。",
                said(message)
            )
        }
        NotUsable::SeveralResults(_) => "資格確認端末の回答に複数の資格がありました。患者さんと一緒に画面や書類で確認してください。".to_owned(),
        NotUsable::Incomplete(_) | NotUsable::NoResult | NotUsable::Validity(_) => {
            "資格確認端末の回答から資格を読み取れませんでした。手で確認して解決できます。".to_owned()
        }
    }
}

/// One query by the typed numbers (`OQSsiquc01req`, §1.7): the request written in
/// `target.encoding` with a fresh suffix and an `ArbitraryFileIdentifier` of its own
/// (`yyyyMMddHHmmss` + the suffix's counter, unique per console), then [`ask`]. The answer's
/// eligibility, or what staff read when it has none ([`not_usable_japanese`]). Blocking.
///
/// Errors: as [`ask`]; a typed text the encoding cannot write is [`QueryError::Unwritable`]
/// (nothing is written then).
pub fn by_numbers(
    target: &Target,
    suffixes: &Suffixes,
    numbers: &NumbersQuery,
    now: chrono::DateTime<chrono::FixedOffset>,
) -> Result<Answer<Result<EligibilityResult, String>>, QueryError> {
    let today = now.date_naive();
    let suffix = suffixes.next(&target.root, today);
    let file_id = format!("{}{}", now.format("%Y%m%d%H%M%S"), &suffix[8..]);
    let query = QualificationQuery {
        insurer_number: numbers.insurer_number.clone(),
        symbol: numbers.symbol.clone(),
        number: numbers.number.clone(),
        branch: numbers.branch.clone(),
        birth_date: Some(numbers.birth_date),
        // Staff at the desk ask only for eligibility; the 限度額 information needs the
        // patient's consent, which the desk does not ask here.
        high_cost_limit_consent: false,
    };
    let request = super::eligibility_request(
        &query,
        &target.medical_institution_code,
        &file_id,
        today,
        target.encoding,
    )
    .map_err(|e| QueryError::Unwritable {
        reason: e.to_string(),
    })?;
    let answer = ask(
        &target.root,
        &suffix,
        &request,
        &file_id,
        &target.timing,
        |bytes| super::read_response(bytes).map_err(|e| e.to_string()),
        |response| response.arbitrary_file_identifier().map(str::to_owned),
    )?;
    Ok(Answer {
        file: answer.file,
        parsed: answer
            .parsed
            .eligibility()
            .map_err(|why| not_usable_japanese(&why)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quick() -> Timing {
        Timing {
            timeout: Duration::from_millis(600),
            poll: Duration::from_millis(20),
            settle: Duration::from_millis(20),
        }
    }

    /// A stand-in for the answer's parser: complete when it ends with `</XmlMsg>`; the
    /// identifier is the text between `<Id>` and `</Id>`.
    fn parse(bytes: &[u8]) -> Result<String, String> {
        let text = std::str::from_utf8(bytes).map_err(|e| e.to_string())?;
        if text.trim_end().ends_with("</XmlMsg>") {
            Ok(text.to_owned())
        } else {
            Err("no closing XmlMsg".to_owned())
        }
    }

    #[allow(clippy::ptr_arg)] // the answer type of these tests is a String
    fn identifier(text: &String) -> Option<String> {
        let text = text.as_str();
        let start = text.find("<Id>")? + 4;
        let end = text.find("</Id>")?;
        Some(text[start..end].to_owned())
    }

    fn folder() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("req")).unwrap();
        std::fs::create_dir(dir.path().join("res")).unwrap();
        dir
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut n: Vec<String> = file_names(dir).into_iter().map(|(n, _)| n).collect();
        n.sort();
        n
    }

    #[test]
    fn the_answer_named_after_the_request_is_taken_whatever_its_case() {
        let dir = folder();
        // Upper-case folders and names, as a Windows share may show them.
        std::fs::rename(dir.path().join("res"), dir.path().join("RES")).unwrap();
        std::fs::write(
            dir.path().join("RES/oqssiquc01RES_202605120001.XML"),
            "<XmlMsg><Id>other</Id></XmlMsg>",
        )
        .unwrap();
        let answer = ask(
            dir.path(),
            "202605120001",
            b"<XmlMsg/>",
            "mine",
            &quick(),
            parse,
            identifier,
        )
        .unwrap();
        assert!(answer.parsed.contains("other"));
        // The request was renamed in; no temporary file is left; the answer is still there.
        assert_eq!(
            names(&dir.path().join("req")),
            ["OQSsiquc01req_202605120001.xml"]
        );
        assert_eq!(
            std::fs::read(dir.path().join("req/OQSsiquc01req_202605120001.xml")).unwrap(),
            b"<XmlMsg/>"
        );
        assert_eq!(
            names(&dir.path().join("RES")),
            ["oqssiquc01RES_202605120001.XML"]
        );
    }

    #[test]
    fn an_answer_under_another_name_is_taken_only_when_it_carries_our_identifier() {
        let dir = folder();
        // An answer that was there before the request is never ours, even with our identifier.
        std::fs::write(
            dir.path().join("res/OQSsiquc01res_old.xml"),
            "<XmlMsg><Id>mine</Id></XmlMsg>",
        )
        .unwrap();
        let root = dir.path().to_owned();
        let terminal = std::thread::spawn(move || {
            let req = root.join("req/OQSsiquc01req_202605120002.xml");
            while !req.exists() {
                std::thread::sleep(Duration::from_millis(5));
            }
            std::fs::write(
                root.join("res/OQSsiquc01res_x1.xml"),
                "<XmlMsg><Id>someone else</Id></XmlMsg>",
            )
            .unwrap();
            std::fs::write(
                root.join("res/OQSsiquc01res_x2.xml"),
                "<XmlMsg><Id>mine</Id><Answer/></XmlMsg>",
            )
            .unwrap();
        });
        let answer = ask(
            dir.path(),
            "202605120002",
            b"<XmlMsg/>",
            "mine",
            &Timing {
                timeout: Duration::from_secs(5),
                ..quick()
            },
            parse,
            identifier,
        )
        .unwrap();
        terminal.join().unwrap();
        assert!(answer.parsed.contains("<Answer/>"), "{}", answer.parsed);
        assert!(answer.file.ends_with("OQSsiquc01res_x2.xml"));
    }

    #[test]
    fn an_error_file_ends_the_query_and_says_so() {
        for (folder_name, name) in [
            ("res", "OQSsiquc01req_202605120003.err"),
            ("req", "oqssiquc01req_202605120003.ERR"),
        ] {
            let dir = folder();
            std::fs::write(dir.path().join(folder_name).join(name), "rejected").unwrap();
            let failed = ask(
                dir.path(),
                "202605120003",
                b"<XmlMsg/>",
                "mine",
                &quick(),
                parse,
                identifier,
            )
            .unwrap_err();
            assert!(
                matches!(&failed, QueryError::ErrorFile { path, .. } if path.ends_with(name)),
                "{failed}"
            );
            assert!(failed.to_string().contains(name), "{failed}");
            assert!(failed.japanese().contains("受け付けませんでした"));
        }
    }

    #[test]
    fn no_answer_in_time_is_a_timeout_and_the_request_is_written_once() {
        let dir = folder();
        // An answer of ours that was never finished.
        std::fs::write(
            dir.path().join("res/OQSsiquc01res_202605120004.xml"),
            "<XmlMsg><Id>mine</Id>",
        )
        .unwrap();
        let failed = ask(
            dir.path(),
            "202605120004",
            b"<XmlMsg/>",
            "mine",
            &Timing {
                timeout: Duration::from_millis(100),
                ..quick()
            },
            parse,
            identifier,
        )
        .unwrap_err();
        assert!(matches!(failed, QueryError::Timeout { .. }), "{failed}");
        assert!(failed.to_string().contains("res"), "{failed}");
        assert_eq!(
            failed.japanese(),
            "資格確認端末から回答がありません（0秒）。手で確認して解決できます。"
        );
        let sixty = QueryError::Timeout {
            request: String::new(),
            folder: PathBuf::new(),
            seconds: 60,
        };
        assert_eq!(
            sixty.japanese(),
            "資格確認端末から回答がありません（60秒）。手で確認して解決できます。"
        );
        assert_eq!(
            names(&dir.path().join("req")),
            ["OQSsiquc01req_202605120004.xml"]
        );
    }

    #[test]
    fn an_answer_that_stays_unparsable_is_unreadable_not_a_timeout() {
        let dir = folder();
        std::fs::write(
            dir.path().join("res/OQSsiquc01res_202605120005.xml"),
            "not xml at all",
        )
        .unwrap();
        let failed = ask(
            dir.path(),
            "202605120005",
            b"<XmlMsg/>",
            "mine",
            &Timing {
                timeout: Duration::from_secs(10),
                ..quick()
            },
            parse,
            identifier,
        )
        .unwrap_err();
        assert!(
            matches!(&failed, QueryError::Unreadable { reason, .. } if reason.contains("XmlMsg")),
            "{failed}"
        );
    }

    #[test]
    fn an_unwritable_folder_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let failed = ask(
            &dir.path().join("missing"),
            "202605120006",
            b"<XmlMsg/>",
            "mine",
            &quick(),
            parse,
            identifier,
        )
        .unwrap_err();
        assert!(matches!(failed, QueryError::Write { .. }), "{failed}");
        assert!(failed.to_string().contains("missing"), "{failed}");
    }

    #[test]
    fn suffixes_follow_todays_highest_counter_in_either_folder() {
        let dir = folder();
        let today = crate::date!(2026 - 05 - 12);
        let suffixes = Suffixes::default();
        assert_eq!(suffixes.next(dir.path(), today), "202605120001");
        assert_eq!(suffixes.next(dir.path(), today), "202605120002");
        std::fs::write(dir.path().join("res/OQSsiquc01res_202605120041.xml"), "").unwrap();
        std::fs::write(dir.path().join("req/OQSsiquc01req_202605110099.xml"), "").unwrap();
        assert_eq!(suffixes.next(dir.path(), today), "202605120042");
        // A new day starts again at 1.
        assert_eq!(
            suffixes.next(dir.path(), crate::date!(2026 - 05 - 13)),
            "202605130001"
        );
        // Another process (a restarted console) continues from the folder.
        assert_eq!(Suffixes::default().next(dir.path(), today), "202605120042");
    }
}
