//! The eligibility terminal's certified reader as the kiosk's gateway (`--gateway oqs:DIR`,
//! issue 17 item 1): waits for the one result file the terminal writes into `DIR/face` for the
//! patient the kiosk just sent to the reader, and binds it to that check-in only when nothing
//! else could own it.
//!
//! Owns: the face-folder watch (the only module that knows `notify`), reading a file to its end,
//! the waiting markers shared by kiosks, and the binding rules. The file format is
//! [`crate::oqs`]'s (parsing, file names); this module never parses XML itself.
//! Must not know: the flow's states, the screen, the database.
//!
//! # Folders (integration-formats.md §1.1, MR, OD2, SX)
//! DIR holds `req`, `res` and `face`, matched case-insensitively (the terminal runs Windows).
//! Files are only ever opened read-only and copied into memory: never moved, renamed or deleted
//! (an EMR or another watcher reads the same files, §1.1 MR FaceCapture, JSW).
//!
//! # Binding rules
//! A wait starts at T (this process's clock) when the flow shows the certified-reader screen.
//! - **Candidates**: face files (`oqs::is_face_file`) whose names were not in `face` at T, seen
//!   before the timeout (`face_result_timeout_seconds`). Files already there at T never count.
//! - **Bound** only when exactly one candidate came, it was read completely, it parses, its name
//!   time (terminal clock, JST, seconds: §1.2 MR) is today and no earlier than T minus
//!   `clock_skew_seconds`, its MedicalInstitutionCode is the facility's (`facility.code`), no
//!   other kiosk waited on the same folder meanwhile, and the wait did not start in a quiet
//!   period. Anything else hands the check-in to staff with the cause
//!   ([`UnboundFaceResult`]), never a guess.
//! - **Late files**: a wait that ends without binding (a timeout, or no usable file) opens a
//!   quiet period of `late_file_quiet_seconds`: a file arriving when nobody waits is bound to
//!   nobody, and a new wait that starts within the quiet period hands any file that arrives
//!   before the period ends to staff (`OtherSessionMayOwn`): it may be the earlier patient's.
//!   A file arriving after the period is the new patient's as usual.
//! - **Several kiosks on one folder**: each waiting kiosk creates one marker file with
//!   `O_EXCL` in `certified_reader.marker_dir` (default `DIR/.uketsuke`), named after the kiosk,
//!   its process and the wait. A marker counts as "waiting" from its creation until its owner
//!   removes it after a bound result, or for `face_result_timeout_seconds +
//!   late_file_quiet_seconds` after its modification time when its wait ended unbound (a crashed
//!   kiosk's marker expires the same way). A kiosk that sees another kiosk's live marker at the
//!   start of its wait or when a file arrives binds nothing (`OtherSessionMayOwn`). The terminal
//!   names no reader in its files (§1.1, UNCONFIRMED), so kiosks sharing a folder must take
//!   turns; a clinic with two readers and two kiosks does best with two terminal folders.
//!
//! # Completeness (§1.2 MR)
//! The terminal has no documented temp-name convention: a file is read until two reads
//! `READ_INTERVAL` apart are identical and parse, at most `MAX_READS` times; a file that
//! vanishes or keeps changing is unreadable.
//!
//! # Watching
//! inotify through `notify` wakes the wait at once; every wake-up (and every `POLL` without one)
//! re-lists the folder, so a missed or coalesced event only costs time. When the watch cannot
//! be set up (a network share, too many watches), the adapter polls every `POLL`.
//!
//! # Blocking
//! [`OqsGateway::await_certified_reader`] blocks its thread (the runtime's gateway thread, or
//! the headless driver, which moves virtual time by the real time it took) until a result, a
//! cause, or the timeout. A check-in cancelled meanwhile is not told: the wait runs to its end
//! and its answer is ignored by its ticket (bound to nobody).

use std::collections::BTreeSet;
use std::fs::{self, File, OpenOptions};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant, SystemTime};

use chrono::{DateTime, FixedOffset, NaiveDateTime, TimeDelta};
use tracing::{debug, info, warn};

use crate::domain::{EligibilityResult, UnboundFaceResult};
use crate::flow::GatewayReply;
use crate::oqs::folder::{Settled, find_subfolder, read_settled};
use crate::rules::{CertifiedReaderSettings, FacilityConfig, JST};

/// Time between two reads of a new file: equal reads this far apart mean it is complete
/// (MR re-reads 300 ms apart; 120 ms keeps the file-to-screen latency under 300 ms).
pub const READ_INTERVAL: Duration = Duration::from_millis(120);
/// Reads of one file before it counts as unreadable (MR: 8-12 tries).
pub const MAX_READS: u32 = 12;
/// How often the folder is listed when no event wakes the wait.
pub const POLL: Duration = Duration::from_millis(100);

/// What the kiosk needs from one face file, as [`crate::oqs`] parsed it.
#[derive(Debug, Clone, PartialEq)]
pub struct FaceFile {
    /// The header's MedicalInstitutionCode.
    pub facility_code: String,
    /// The result, or why the kiosk never decides it alone (error file, several results).
    pub eligibility: Result<EligibilityResult, UnboundFaceResult>,
}

/// Everything the binding decision looks at, gathered by the watcher.
#[derive(Debug, Clone, PartialEq)]
pub struct Facts {
    /// Candidate files seen in the window so far (including this one).
    pub candidates: usize,
    /// Another kiosk's live waiting marker was seen, at the start or at the file's arrival.
    pub other_kiosk_waiting: bool,
    /// This wait started within the quiet period of an earlier unbound wait, and the file
    /// arrived before that period ended.
    pub in_quiet_period: bool,
    /// The time in the file's name (terminal clock, JST), if it has one.
    pub name_time: Option<NaiveDateTime>,
    /// When the wait started, in JST.
    pub waiting_since: NaiveDateTime,
    pub clock_skew: TimeDelta,
    /// The facility's 医療機関コード.
    pub facility_code: String,
    /// The file read to its end and parsed; `Err` when it could not be.
    pub file: Result<FaceFile, UnboundFaceResult>,
}

/// The binding decision: the result for this check-in, or why it is not bound. Pure; the
/// checks run in the order of the module's rules (who else may own the file first).
pub fn decide(facts: Facts) -> Result<EligibilityResult, UnboundFaceResult> {
    if facts.candidates > 1 {
        return Err(UnboundFaceResult::SeveralFiles);
    }
    if facts.other_kiosk_waiting || facts.in_quiet_period {
        return Err(UnboundFaceResult::OtherSessionMayOwn);
    }
    let Some(name_time) = facts.name_time else {
        return Err(UnboundFaceResult::Stale);
    };
    if name_time.date() != facts.waiting_since.date()
        || name_time < facts.waiting_since - facts.clock_skew
    {
        return Err(UnboundFaceResult::Stale);
    }
    let file = facts.file?;
    if file.facility_code.trim() != facts.facility_code {
        return Err(UnboundFaceResult::OtherFacility);
    }
    file.eligibility
}

/// How the adapter learns of new files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WatchMode {
    Inotify,
    Polling,
}

impl WatchMode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Inotify => "inotify",
            Self::Polling => "polling",
        }
    }
}

/// The terminal's folder: `DIR` and its subfolders as they are spelled on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TerminalFolder {
    pub root: PathBuf,
    pub req: PathBuf,
    pub res: PathBuf,
    pub face: PathBuf,
}

impl TerminalFolder {
    /// Finds `req`, `res` and `face` under `root`, in any case. The error names the path and
    /// what is missing, for technicians (also `doctor`'s check).
    pub fn find(root: &Path) -> Result<TerminalFolder, String> {
        fs::read_dir(root).map_err(|e| {
            format!(
                "the eligibility terminal's folder {} cannot be read: {e} (option --gateway \
                 oqs:DIR, or key \"gateway\" in the facility file)",
                root.display()
            )
        })?;
        let find = |want: &str| {
            find_subfolder(root, want).ok_or_else(|| {
                format!(
                    "the eligibility terminal's folder {} has no {want} folder (it holds \
                     req, res and face, in any case)",
                    root.display()
                )
            })
        };
        let folder = TerminalFolder {
            root: root.to_owned(),
            req: find("req")?,
            res: find("res")?,
            face: find("face")?,
        };
        fs::read_dir(&folder.face).map_err(|e| {
            format!(
                "the terminal's face folder {} cannot be read: {e}",
                folder.face.display()
            )
        })?;
        Ok(folder)
    }
}

/// The certified reader's result files as an eligibility gateway.
pub struct OqsGateway {
    folder: TerminalFolder,
    settings: CertifiedReaderSettings,
    facility_code: String,
    marker_dir: PathBuf,
    /// This process's marker prefix: kiosk name and process id.
    marker_prefix: String,
    waits: u64,
    /// The end of the quiet period after the last unbound wait.
    quiet_until: Option<SystemTime>,
    events: Option<(notify::RecommendedWatcher, Receiver<()>)>,
    /// Set by the runtime when the flow sends a new gateway operation: a wait under way then
    /// belongs to a check-in that ended (cancelled, called staff), and stops within [`POLL`].
    abandon: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl OqsGateway {
    /// Opens the terminal folder `root` for `facility` (its 医療機関コード and
    /// `certified_reader` settings) and starts watching `face`. Errors name the path or key.
    pub fn open(root: &Path, facility: &FacilityConfig) -> Result<OqsGateway, String> {
        let folder = TerminalFolder::find(root)?;
        let code = facility.facility.code.trim().to_owned();
        if let Some(problem) = crate::rules::medical_institution_code_problem(&code) {
            return Err(format!(
                "--gateway oqs:{} needs the facility's 医療機関コード (key facility.code in the \
                 facility file) to check each result file: {problem}",
                root.display()
            ));
        }
        let settings = facility.certified_reader.clone();
        let marker_dir = settings
            .marker_dir
            .clone()
            .unwrap_or_else(|| folder.root.join(".uketsuke"));
        fs::create_dir_all(&marker_dir).map_err(|e| {
            format!(
                "cannot create the waiting-marker folder {} (key certified_reader.marker_dir): {e}",
                marker_dir.display()
            )
        })?;
        let kiosk: String = facility
            .kiosk_name
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        let events = watch(&folder.face);
        if events.is_none() {
            warn!(
                face = %folder.face.display(),
                "cannot watch the terminal's face folder: polling it instead"
            );
        }
        Ok(OqsGateway {
            folder,
            settings,
            facility_code: code,
            marker_dir,
            marker_prefix: format!("{kiosk}-{}-", std::process::id()),
            waits: 0,
            quiet_until: None,
            events,
            abandon: Default::default(),
        })
    }

    /// What the runtime sets when the flow moves on to a new gateway operation (the check-in
    /// this wait belonged to ended): the wait stops within [`POLL`], as unbound, and its quiet
    /// period begins, so a file the departed patient's tap still brings is given to nobody. Each
    /// new wait clears it first (the runtime sets it before sending the job that starts it).
    pub fn abandon_signal(&self) -> std::sync::Arc<std::sync::atomic::AtomicBool> {
        std::sync::Arc::clone(&self.abandon)
    }

    /// Whether new files are noticed through inotify or by polling.
    pub fn watch_mode(&self) -> WatchMode {
        if self.events.is_some() {
            WatchMode::Inotify
        } else {
            WatchMode::Polling
        }
    }

    pub fn folder(&self) -> &TerminalFolder {
        &self.folder
    }

    /// Face files in `face` now (names as on disk).
    fn face_files(&self) -> BTreeSet<String> {
        match fs::read_dir(&self.folder.face) {
            Ok(entries) => entries
                .filter_map(|e| e.ok())
                .filter_map(|e| e.file_name().into_string().ok())
                .filter(|n| crate::oqs::is_face_file(n))
                .collect(),
            Err(e) => {
                warn!(face = %self.folder.face.display(), %e, "cannot list the face folder");
                BTreeSet::new()
            }
        }
    }

    /// Other kiosks' live waiting markers (see the module's rules).
    fn other_kiosk_waiting(&self, now: SystemTime) -> bool {
        let live = secs(self.settings.face_result_timeout_seconds)
            + secs(self.settings.late_file_quiet_seconds);
        let Ok(entries) = fs::read_dir(&self.marker_dir) else {
            return false;
        };
        entries.filter_map(|e| e.ok()).any(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            if !name.ends_with(".waiting") || name.starts_with(&self.marker_prefix) {
                return false;
            }
            let modified = e.metadata().and_then(|m| m.modified()).unwrap_or(now);
            now.duration_since(modified).unwrap_or_default() < live
        })
    }

    /// Removes this process's markers whose quiet period is over.
    fn tidy_own_markers(&self, now: SystemTime) {
        let live = secs(self.settings.face_result_timeout_seconds)
            + secs(self.settings.late_file_quiet_seconds);
        let Ok(entries) = fs::read_dir(&self.marker_dir) else {
            return;
        };
        for e in entries.filter_map(|e| e.ok()) {
            let name = e.file_name().to_string_lossy().into_owned();
            if !name.starts_with(&self.marker_prefix) {
                continue;
            }
            let modified = e.metadata().and_then(|m| m.modified()).unwrap_or(now);
            if now.duration_since(modified).unwrap_or_default() >= live {
                let _ = fs::remove_file(e.path());
            }
        }
    }

    fn wait(&mut self) -> GatewayReply {
        self.abandon
            .store(false, std::sync::atomic::Ordering::SeqCst);
        let started = Instant::now();
        let t = SystemTime::now();
        let since = jst(t);
        let timeout = secs(self.settings.face_result_timeout_seconds);
        self.tidy_own_markers(t);
        self.waits += 1;
        let marker = self
            .marker_dir
            .join(format!("{}{}.waiting", self.marker_prefix, self.waits));
        if let Err(e) = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&marker)
        {
            return GatewayReply::Unavailable(format!(
                "cannot create the waiting marker {}: {e}",
                marker.display()
            ));
        }
        let before = self.face_files();
        let other_at_start = self.other_kiosk_waiting(t);
        let quiet_until = self.quiet_until.filter(|q| *q > t);
        // Drain wake-ups from before this wait.
        if let Some((_, rx)) = &self.events {
            while rx.try_recv().is_ok() {}
        }
        let mut seen: Vec<String> = Vec::new();
        let reply = loop {
            if self.abandon.load(std::sync::atomic::Ordering::SeqCst) {
                info!("certified reader wait abandoned: its check-in ended");
                break GatewayReply::NotBound(UnboundFaceResult::NoneInTime);
            }
            let new: Vec<String> = self
                .face_files()
                .into_iter()
                .filter(|n| !before.contains(n) && !seen.contains(n))
                .collect();
            if let Some(first) = new.first().cloned() {
                let arrived = SystemTime::now();
                seen.extend(new);
                let file = read_complete(&self.folder.face.join(&first));
                // Files that came while this one was read are candidates too.
                let more: Vec<String> = self
                    .face_files()
                    .into_iter()
                    .filter(|n| !before.contains(n) && !seen.contains(n))
                    .collect();
                seen.extend(more);
                let facts = Facts {
                    candidates: seen.len(),
                    other_kiosk_waiting: other_at_start
                        || self.other_kiosk_waiting(SystemTime::now()),
                    in_quiet_period: quiet_until.is_some_and(|q| arrived < q),
                    name_time: crate::oqs::face_file_time(&first),
                    waiting_since: since,
                    clock_skew: TimeDelta::seconds(i64::from(self.settings.clock_skew_seconds)),
                    facility_code: self.facility_code.clone(),
                    file,
                };
                debug!(file = %first, candidates = facts.candidates, "face file arrived");
                break match decide(facts) {
                    Ok(result) => GatewayReply::Answered(result),
                    Err(cause) => GatewayReply::NotBound(cause),
                };
            }
            let left = timeout.saturating_sub(started.elapsed());
            if left.is_zero() {
                break GatewayReply::NotBound(UnboundFaceResult::NoneInTime);
            }
            let nap = left.min(POLL);
            match &self.events {
                Some((_, rx)) => match rx.recv_timeout(nap) {
                    Ok(()) | Err(RecvTimeoutError::Timeout) => {}
                    Err(RecvTimeoutError::Disconnected) => std::thread::sleep(nap),
                },
                None => std::thread::sleep(nap),
            }
        };
        match &reply {
            GatewayReply::Answered(_) => {
                let _ = fs::remove_file(&marker);
            }
            other => {
                // The marker stays (others see it until the quiet period is over); this kiosk
                // keeps its own quiet period too.
                info!(?other, "certified reader wait ended unbound");
                let now = SystemTime::now();
                let _ = File::options().write(true).open(&marker);
                self.quiet_until = Some(now + secs(self.settings.late_file_quiet_seconds));
            }
        }
        reply
    }
}

impl super::Gateway for OqsGateway {
    fn challenge(&mut self) -> Result<crate::domain::Challenge, super::GatewayError> {
        Err(super::GatewayError::Unavailable(
            "with --gateway oqs:DIR the certified reader checks the card; the kiosk signs nothing"
                .into(),
        ))
    }

    fn query(
        &mut self,
        _proof: &crate::domain::CardProof,
    ) -> Result<EligibilityResult, super::GatewayError> {
        Err(super::GatewayError::Unavailable(
            "with --gateway oqs:DIR the certified reader checks the card; the kiosk sends no proof"
                .into(),
        ))
    }

    fn await_certified_reader(&mut self) -> GatewayReply {
        self.wait()
    }
}

/// Sets up an inotify watch on `face`; each event is a wake-up. `None` when it cannot be set.
fn watch(face: &Path) -> Option<(notify::RecommendedWatcher, Receiver<()>)> {
    use notify::Watcher;
    let (tx, rx) = mpsc::channel();
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        if event.is_ok() {
            let _ = tx.send(());
        }
    })
    .ok()?;
    watcher
        .watch(face, notify::RecursiveMode::NonRecursive)
        .ok()?;
    Some((watcher, rx))
}

/// Reads `path` until two reads `READ_INTERVAL` apart are identical and parse (MR), at most
/// `MAX_READS` times. Read-only; the file is never moved or removed.
pub fn read_complete(path: &Path) -> Result<FaceFile, UnboundFaceResult> {
    match read_settled(path, READ_INTERVAL, MAX_READS, parse) {
        Settled::Complete(file) => Ok(file),
        Settled::Unreadable(e) => {
            info!(file = %path.display(), %e, "face file vanished or cannot be read");
            Err(UnboundFaceResult::Unreadable)
        }
        Settled::TooLarge => {
            info!(file = %path.display(), "face file is larger than any result file");
            Err(UnboundFaceResult::Unreadable)
        }
        Settled::Unparsable(why) => {
            info!(file = %path.display(), "face file never parsed");
            Err(why)
        }
        Settled::Changing => {
            info!(file = %path.display(), "face file kept changing");
            Err(UnboundFaceResult::Unreadable)
        }
    }
}

/// The format's part ([`crate::oqs`]): the facility code and the result, or why not.
fn parse(bytes: &[u8]) -> Result<FaceFile, UnboundFaceResult> {
    let response = crate::oqs::read_response(bytes).map_err(|e| {
        info!(%e, "face file is not a readable result");
        UnboundFaceResult::Unreadable
    })?;
    Ok(FaceFile {
        facility_code: response.medical_institution_code().to_owned(),
        eligibility: response.eligibility().map_err(|e| {
            info!(
                ?e,
                "face file holds a result the kiosk does not decide alone"
            );
            not_usable_cause(&e)
        }),
    })
}

/// The cause a handoff records for a result the kiosk does not use alone.
fn not_usable_cause(why: &crate::oqs::NotUsable) -> UnboundFaceResult {
    use crate::oqs::NotUsable as N;
    match why {
        N::ErrorFile { .. } | N::ProcessingError { .. } | N::Incomplete(_) => {
            UnboundFaceResult::ErrorFile
        }
        N::NoResult | N::SeveralResults(_) | N::Validity(_) => UnboundFaceResult::NotUsable,
    }
}

fn jst(at: SystemTime) -> NaiveDateTime {
    let utc: DateTime<chrono::Utc> = at.into();
    let local: DateTime<FixedOffset> = utc.with_timezone(&JST);
    local.naive_local()
}

fn secs(seconds: u32) -> Duration {
    Duration::from_secs(u64::from(seconds))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Validity;

    fn valid() -> EligibilityResult {
        EligibilityResult {
            validity: Validity::Valid,
            insurer_number: Some("06139999".into()),
            symbol: None,
            number: Some("1".into()),
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

    fn at(h: u32, m: u32, s: u32) -> NaiveDateTime {
        crate::date!(2026 - 11 - 30).and_hms_opt(h, m, s).unwrap()
    }

    fn facts() -> Facts {
        Facts {
            candidates: 1,
            other_kiosk_waiting: false,
            in_quiet_period: false,
            name_time: Some(at(10, 0, 5)),
            waiting_since: at(10, 0, 0),
            clock_skew: TimeDelta::seconds(2),
            facility_code: "0110113719".into(),
            file: Ok(FaceFile {
                facility_code: "0110113719".into(),
                eligibility: Ok(valid()),
            }),
        }
    }

    #[test]
    fn binds_only_one_fresh_complete_file_of_this_facility_when_nobody_else_waits() {
        use UnboundFaceResult as U;
        type Change = fn(&mut Facts);
        let table: [(&str, Change, Result<(), U>); 14] = [
            ("one fresh file", |_| {}, Ok(())),
            (
                "name time within the skew",
                |f| f.name_time = Some(at(9, 59, 58)),
                Ok(()),
            ),
            (
                "name time before the skew",
                |f| f.name_time = Some(at(9, 59, 57)),
                Err(U::Stale),
            ),
            (
                "yesterday's name",
                |f| f.name_time = Some(at(10, 0, 5) - TimeDelta::days(1)),
                Err(U::Stale),
            ),
            ("no time in the name", |f| f.name_time = None, Err(U::Stale)),
            ("two candidates", |f| f.candidates = 2, Err(U::SeveralFiles)),
            (
                "two candidates, one stale: still two",
                |f| {
                    f.candidates = 2;
                    f.name_time = Some(at(9, 0, 0));
                },
                Err(U::SeveralFiles),
            ),
            (
                "another kiosk waiting",
                |f| f.other_kiosk_waiting = true,
                Err(U::OtherSessionMayOwn),
            ),
            (
                "in a quiet period",
                |f| f.in_quiet_period = true,
                Err(U::OtherSessionMayOwn),
            ),
            (
                "another facility",
                |f| {
                    if let Ok(file) = &mut f.file {
                        file.facility_code = "1310000007".into();
                    }
                },
                Err(U::OtherFacility),
            ),
            (
                "unreadable",
                |f| f.file = Err(U::Unreadable),
                Err(U::Unreadable),
            ),
            (
                "error file",
                |f| {
                    if let Ok(file) = &mut f.file {
                        file.eligibility = Err(U::ErrorFile);
                    }
                },
                Err(U::ErrorFile),
            ),
            (
                "several results",
                |f| {
                    if let Ok(file) = &mut f.file {
                        file.eligibility = Err(U::NotUsable);
                    }
                },
                Err(U::NotUsable),
            ),
            (
                "stale and unreadable: stale first (nobody reads an old file's content)",
                |f| {
                    f.name_time = Some(at(8, 0, 0));
                    f.file = Err(U::Unreadable);
                },
                Err(U::Stale),
            ),
        ];
        for (what, change, want) in table {
            let mut f = facts();
            change(&mut f);
            assert_eq!(decide(f).map(|_| ()), want, "{what}");
        }
    }

    #[test]
    fn a_file_that_settles_is_read_and_one_that_vanishes_is_unreadable() {
        let dir = tempfile::tempdir().unwrap();
        let gone = dir.path().join("gone.xml");
        assert_eq!(read_complete(&gone), Err(UnboundFaceResult::Unreadable));
        let garbage = dir.path().join("garbage.xml");
        fs::write(&garbage, b"not xml at all").unwrap();
        assert_eq!(read_complete(&garbage), Err(UnboundFaceResult::Unreadable));
    }

    #[test]
    fn the_terminal_folder_is_found_in_any_case_and_a_missing_part_is_named() {
        let dir = tempfile::tempdir().unwrap();
        for sub in ["REQ", "Res", "face"] {
            fs::create_dir(dir.path().join(sub)).unwrap();
        }
        let folder = TerminalFolder::find(dir.path()).unwrap();
        assert!(folder.req.ends_with("REQ"));
        assert!(folder.res.ends_with("Res"));
        fs::remove_dir(dir.path().join("face")).unwrap();
        let error = TerminalFolder::find(dir.path()).unwrap_err();
        assert!(error.contains("no face folder"), "{error}");
        assert!(error.contains(&dir.path().display().to_string()), "{error}");
    }

    #[test]
    fn a_wait_its_check_in_left_ends_when_abandoned_and_starts_the_quiet_period() {
        let dir = tempfile::tempdir().unwrap();
        for sub in ["req", "res", "face"] {
            fs::create_dir(dir.path().join(sub)).unwrap();
        }
        let mut facility = FacilityConfig::default();
        facility.facility.code = "1319990014".into();
        facility.certified_reader.face_result_timeout_seconds = 600;
        let mut gateway = OqsGateway::open(dir.path(), &facility).unwrap();
        let abandon = gateway.abandon_signal();
        // Set before the wait starts: a new wait clears it (the runtime sets it before sending
        // the job that starts the wait), so this one runs.
        abandon.store(true, std::sync::atomic::Ordering::SeqCst);
        let setter = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(300));
            abandon.store(true, std::sync::atomic::Ordering::SeqCst);
        });
        let started = Instant::now();
        let reply = gateway.wait();
        setter.join().unwrap();
        assert_eq!(reply, GatewayReply::NotBound(UnboundFaceResult::NoneInTime));
        // Far below the 600 s timeout: the wait ended because it was abandoned.
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "{:?}",
            started.elapsed()
        );
        assert!(started.elapsed() >= Duration::from_millis(300));
        assert!(
            gateway.quiet_until.is_some(),
            "a late file after it is nobody's"
        );
    }
}
