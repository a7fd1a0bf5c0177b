//! The technician's self-test (`uketsuke doctor`) as data: each check is an id, a state (ok,
//! warn, fail, skip) and one plain line naming the file, key or device at fault; the decisions
//! are pure functions of what a probe found, so every threshold and every wording is tested
//! without the machine being in that state.
//!
//! Owns: the checks' ids, the thresholds (free space, time zone), how `systemctl`'s and
//! `timedatectl`'s answers are read, the people's table and the scripts' JSON, the exit rule.
//! Must not know: how a probe is made (statvfs, a process, a socket, SQLite): `cli::doctor`
//! makes them and passes their results in.

use std::fmt::Write as _;
use std::path::Path;

use serde::Serialize;

/// How a check came out. Only `Fail` makes `doctor` exit non-zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    Ok,
    /// Works now, but a technician should look (e.g. a time zone other than Japan's).
    Warn,
    /// The kiosk cannot work as it should until this is fixed.
    Fail,
    /// Does not apply here (e.g. the service's state when not on the device).
    Skip,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Ok => "ok",
            State::Warn => "warn",
            State::Fail => "fail",
            State::Skip => "skip",
        }
    }
}

/// One line of the self-test.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    /// Stable, for scripts: `config`, `database`, `disk`, `clock`, `time-zone`, `reader`,
    /// `fonts`, `console`, `service`, `orca`, `terminal`, `voice`.
    pub id: &'static str,
    pub state: State,
    /// One line for a person, naming the file, key or device.
    pub detail: String,
    /// The `reader` check only: every slot pcscd lists and what the kiosk makes of it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub readers: Vec<SlotLine>,
}

/// One reader slot as `doctor` shows it: `{"name", "role", "why", "card_atr"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SlotLine {
    /// The reader's name as pcscd lists it.
    pub name: String,
    /// `chosen`, `candidate`, `other-name`, `ignored` or `unavailable`.
    pub role: &'static str,
    /// Why, in a technician's words.
    pub why: &'static str,
    /// The ATR of what is on it (hex, spaced), `null` when empty.
    pub card_atr: Option<String>,
}

impl Check {
    pub fn new(id: &'static str, state: State, detail: impl Into<String>) -> Check {
        Check {
            id,
            state,
            detail: detail.into(),
            readers: Vec::new(),
        }
    }

    /// The same check with its reader slots (the `reader` check).
    pub fn with_readers(mut self, readers: Vec<SlotLine>) -> Check {
        self.readers = readers;
        self
    }
}

/// Every check's id, in the order `doctor` runs and prints them.
pub const CHECK_IDS: [&str; 13] = [
    "config",
    "database",
    "disk",
    "clock",
    "time-zone",
    "reader",
    "fonts",
    "console",
    "service",
    "orca",
    "central",
    "terminal",
    "voice",
];

/// The whole self-test.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    pub checks: Vec<Check>,
}

impl Report {
    /// True unless some check failed (warnings and skips pass).
    pub fn ok(&self) -> bool {
        self.checks.iter().all(|c| c.state != State::Fail)
    }

    /// `{"ok": bool, "checks": [{"id", "state", "detail"}]}`, for scripts; the `reader` check
    /// adds `"readers": [{"name", "role", "why", "card_atr"}]` (see [`SlotLine`]).
    pub fn json(&self) -> serde_json::Value {
        serde_json::json!({ "ok": self.ok(), "checks": self.checks })
    }

    /// The people's table: check, state, detail; a last line counting failures and warnings.
    /// States are upper-case words, so no meaning rests on colour.
    pub fn table(&self) -> String {
        let width = self
            .checks
            .iter()
            .map(|c| c.id.len())
            .chain(["check".len()])
            .max()
            .unwrap_or(5);
        let mut out = String::new();
        let _ = writeln!(out, "{:width$}  {:5}  detail", "check", "state");
        for c in &self.checks {
            let _ = writeln!(
                out,
                "{:width$}  {:5}  {}",
                c.id,
                c.state.as_str().to_uppercase(),
                c.detail
            );
            for slot in &c.readers {
                let _ = writeln!(
                    out,
                    "{:width$}  {:5}    {}: {}: {}",
                    "",
                    "",
                    slot.name,
                    slot.role.to_uppercase(),
                    slot.why
                );
            }
        }
        let count = |s: State| self.checks.iter().filter(|c| c.state == s).count();
        let (failed, warned) = (count(State::Fail), count(State::Warn));
        let _ = match (failed, warned) {
            (0, 0) => writeln!(out, "doctor: all checks passed"),
            (0, w) => writeln!(out, "doctor: passed with {w} warning(s)"),
            (f, w) => writeln!(out, "doctor: {f} failed, {w} warning(s)"),
        };
        out
    }
}

/// Free space on the data partition under which `doctor` warns: check-ins and the journal still
/// fit, but not for long.
pub const DISK_WARN_BYTES: u64 = 200 * 1024 * 1024;
/// Free space under which `doctor` fails: SQLite needs room for the WAL and a checkpoint, and a
/// check-in that cannot commit becomes a handoff for every patient.
pub const DISK_FAIL_BYTES: u64 = 50 * 1024 * 1024;

/// `disk`: the bytes available to the kiosk on the data partition holding `dir` (statvfs:
/// `f_bavail * f_frsize`), or why they could not be read.
pub fn disk(dir: &Path, available: Result<u64, String>) -> Check {
    let mb = |b: u64| b / (1024 * 1024);
    match available {
        Err(why) => Check::new(
            "disk",
            State::Fail,
            format!("{}: cannot read free space: {why}", dir.display()),
        ),
        Ok(b) if b < DISK_FAIL_BYTES => Check::new(
            "disk",
            State::Fail,
            format!(
                "{}: {} MB free, under {} MB: check-ins may fail to save; free space or \
                 enlarge the data partition",
                dir.display(),
                mb(b),
                mb(DISK_FAIL_BYTES)
            ),
        ),
        Ok(b) if b < DISK_WARN_BYTES => Check::new(
            "disk",
            State::Warn,
            format!(
                "{}: {} MB free, under {} MB",
                dir.display(),
                mb(b),
                mb(DISK_WARN_BYTES)
            ),
        ),
        Ok(b) => Check::new(
            "disk",
            State::Ok,
            format!("{}: {} MB free", dir.display(), mb(b)),
        ),
    }
}

/// The time zone the kiosk expects: its day is Japan's day.
pub const EXPECTED_ZONE: &str = "Asia/Tokyo";

/// `time-zone`: where `link` (normally /etc/localtime) points. The zone is the part of the
/// target after `zoneinfo/` (following the image's link into the data partition is the
/// caller's job: pass the final target). A zone other than Asia/Tokyo is a warning, not a
/// failure: the kiosk dates check-ins in Japan's time whatever the system says, but the
/// journal and `timedatectl` would show other hours. A missing or dangling link fails.
pub fn time_zone(
    link: &Path,
    target: Result<std::path::PathBuf, String>,
    target_exists: bool,
) -> Check {
    let target = match target {
        Err(why) => {
            return Check::new(
                "time-zone",
                State::Fail,
                format!(
                    "{}: {why}; set the time zone with uketsuke provision (\"time_zone\")",
                    link.display()
                ),
            );
        }
        Ok(t) => t,
    };
    let text = target.to_string_lossy();
    let zone = text
        .rsplit_once("zoneinfo/")
        .map(|(_, z)| z.to_owned())
        .unwrap_or_else(|| text.clone().into_owned());
    if !target_exists {
        Check::new(
            "time-zone",
            State::Fail,
            format!(
                "{} points to {}, which does not exist",
                link.display(),
                target.display()
            ),
        )
    } else if zone == EXPECTED_ZONE {
        Check::new(
            "time-zone",
            State::Ok,
            format!("{}: {zone}", link.display()),
        )
    } else {
        Check::new(
            "time-zone",
            State::Warn,
            format!(
                "{}: {zone}, not {EXPECTED_ZONE}: logs will show other hours than the clinic's",
                link.display()
            ),
        )
    }
}

/// `clock`: `timedatectl show -p NTPSynchronized --value`'s answer (`yes`/`no`), or why it
/// could not be asked (`None`: timedatectl is not installed).
pub fn clock(answer: Option<Result<String, String>>) -> Check {
    match answer {
        None => Check::new(
            "clock",
            State::Warn,
            "timedatectl not found: cannot tell whether the clock is synchronised",
        ),
        Some(Err(why)) => Check::new(
            "clock",
            State::Warn,
            format!("timedatectl: {why}: cannot tell whether the clock is synchronised"),
        ),
        Some(Ok(a)) if a.trim() == "yes" => {
            Check::new("clock", State::Ok, "synchronised (NTPSynchronized=yes)")
        }
        Some(Ok(a)) => Check::new(
            "clock",
            State::Warn,
            format!(
                "not synchronised (NTPSynchronized={}): check the NTP server in \
                 timesyncd.conf and the network; visit dates come from this clock",
                a.trim()
            ),
        ),
    }
}

/// What `doctor` read from the database file (read-only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatabaseFound {
    /// `PRAGMA integrity_check`'s lines joined; "ok" when sound.
    pub integrity: String,
    pub schema_version: u32,
    /// The newest version this build knows.
    pub supported: u32,
}

/// `database`: the file at `path`, or why it could not be opened or read.
pub fn database(path: &Path, found: Result<DatabaseFound, String>) -> Check {
    let p = path.display();
    match found {
        Err(why) => Check::new("database", State::Fail, format!("{p}: {why}")),
        Ok(f) if f.integrity != "ok" => {
            let first = f.integrity.lines().next().unwrap_or_default();
            let more = f.integrity.lines().count().saturating_sub(1);
            Check::new(
                "database",
                State::Fail,
                format!(
                    "{p}: integrity check failed: {first}{}; restore it from a backup",
                    if more > 0 {
                        format!(" (and {more} more)")
                    } else {
                        String::new()
                    }
                ),
            )
        }
        Ok(f) if f.schema_version > f.supported => Check::new(
            "database",
            State::Fail,
            format!(
                "{p}: schema version {} is newer than this build's {}: install the newer \
                 uketsuke",
                f.schema_version, f.supported
            ),
        ),
        Ok(f) if f.schema_version < f.supported => Check::new(
            "database",
            State::Ok,
            format!(
                "{p}: integrity ok, schema version {} (the kiosk migrates it to {} when it \
                 starts)",
                f.schema_version, f.supported
            ),
        ),
        Ok(f) => Check::new(
            "database",
            State::Ok,
            format!("{p}: integrity ok, schema version {}", f.schema_version),
        ),
    }
}

/// `terminal`: with `gateway` `oqs:DIR` (the eligibility terminal's certified reader), whether
/// DIR exists and holds readable `req`, `res` and `face` (`problem`: what is wrong, naming the
/// path); skipped for any other gateway.
pub fn terminal(gateway: &str, problem: Option<String>) -> Check {
    match (gateway.strip_prefix("oqs:"), problem) {
        (None, _) => Check::new(
            "terminal",
            State::Skip,
            "no eligibility terminal folder configured (gateway is not oqs:DIR)",
        ),
        (Some(dir), None) => Check::new(
            "terminal",
            State::Ok,
            format!("{dir}: req, res and face are there and readable"),
        ),
        (Some(_), Some(problem)) => Check::new("terminal", State::Fail, problem),
    }
}

/// `service`: `systemctl show uketsuke.service -p LoadState,ActiveState,SubState,NRestarts,
/// WatchdogUSec,StatusText` as `KEY=value` lines, or `None` when not on the device (no systemd
/// as init, or no systemctl): then the check is skipped, not failed.
pub fn service(answer: Option<Result<String, String>>) -> Check {
    let text = match answer {
        None => {
            return Check::new(
                "service",
                State::Skip,
                "not on the device (systemd is not running here): service state not checked",
            );
        }
        Some(Err(why)) => {
            return Check::new("service", State::Warn, format!("systemctl: {why}"));
        }
        Some(Ok(text)) => text,
    };
    let get = |key: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(key)?.strip_prefix('='))
            .unwrap_or("")
            .trim()
            .to_owned()
    };
    if get("LoadState") == "not-found" {
        return Check::new(
            "service",
            State::Skip,
            "uketsuke.service is not installed here: not on the device",
        );
    }
    let (active, sub) = (get("ActiveState"), get("SubState"));
    let restarts: u64 = get("NRestarts").parse().unwrap_or(0);
    let watchdog = get("WatchdogUSec");
    let status = get("StatusText");
    let watchdog_text = if watchdog.is_empty() || watchdog == "0" || watchdog == "infinity" {
        "watchdog off".to_owned()
    } else {
        format!("watchdog {watchdog}")
    };
    let summary = format!(
        "uketsuke.service {active} ({sub}), {watchdog_text}, {restarts} restart(s){}",
        if status.is_empty() {
            String::new()
        } else {
            format!(", status: {status}")
        }
    );
    if active != "active" {
        Check::new(
            "service",
            State::Fail,
            format!("{summary}: see journalctl -u uketsuke"),
        )
    } else if watchdog_text == "watchdog off" {
        Check::new(
            "service",
            State::Warn,
            format!("{summary}: a hung kiosk would not be restarted"),
        )
    } else if restarts > 0 {
        Check::new(
            "service",
            State::Warn,
            format!("{summary}: it restarted; see journalctl -u uketsuke"),
        )
    } else {
        Check::new("service", State::Ok, summary)
    }
}

/// `voice`: whether the sound device opened (`state`), the cache at `dir` holds every clip of
/// every language (`missing` of `total` files), and what else did not open (a declared
/// headphone output). Never fails: a kiosk without sound still checks patients in; it warns,
/// naming the device or the first missing file. `voice.volume` 0: skipped.
pub fn voice(
    state: &crate::voice::VoiceState,
    dir: &Path,
    missing: &[std::path::PathBuf],
    total: usize,
    problems: &[String],
) -> Check {
    use crate::voice::VoiceState;
    let mut trouble: Vec<String> = Vec::new();
    let device = match state {
        VoiceState::Off => {
            return Check::new(
                "voice",
                State::Skip,
                "voice.volume is 0 in the facility file: the kiosk is silent",
            );
        }
        VoiceState::Unavailable(why) => {
            trouble.push(format!("voice unavailable, the kiosk runs silent: {why}"));
            None
        }
        VoiceState::On { device } => Some(device.as_str()),
    };
    if let Some(first) = missing.first() {
        trouble.push(format!(
            "the voice cache {} lacks {} of {total} clips, e.g. {} (run `uketsuke voice-cache`, \
             or set voice.dir)",
            dir.display(),
            missing.len(),
            first.display()
        ));
    }
    trouble.extend(problems.iter().cloned());
    if trouble.is_empty() {
        Check::new(
            "voice",
            State::Ok,
            format!(
                "speaking through ALSA device {:?}; the cache {} holds all {total} clips",
                device.unwrap_or_default(),
                dir.display()
            ),
        )
    } else {
        Check::new("voice", State::Warn, trouble.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    #[test]
    fn voice_states() {
        use crate::voice::VoiceState;
        let dir = Path::new("/usr/share/uketsuke/voice");
        let on = VoiceState::On {
            device: "default".into(),
        };
        let ok = voice(&on, dir, &[], 86, &[]);
        assert_eq!(ok.state, State::Ok);
        assert!(ok.detail.contains("\"default\"") && ok.detail.contains("86"));
        assert_eq!(
            voice(&VoiceState::Off, dir, &[], 86, &[]).state,
            State::Skip
        );
        let no_card = voice(
            &VoiceState::Unavailable("no sound output: ALSA device \"default\"".into()),
            dir,
            &[],
            86,
            &[],
        );
        assert_eq!(no_card.state, State::Warn);
        assert!(
            no_card.detail.contains("ALSA device \"default\""),
            "{}",
            no_card.detail
        );
        let missing = [dir.join("ja/welcome.wav")];
        let gap = voice(&on, dir, &missing, 86, &[]);
        assert_eq!(gap.state, State::Warn);
        assert!(gap.detail.contains("ja/welcome.wav") && gap.detail.contains("1 of 86"));
    }

    #[test]
    fn disk_thresholds() {
        let dir = Path::new("/var/lib/uketsuke");
        let mb = 1024 * 1024;
        assert_eq!(disk(dir, Ok(500 * mb)).state, State::Ok);
        assert_eq!(disk(dir, Ok(199 * mb)).state, State::Warn);
        assert_eq!(disk(dir, Ok(200 * mb)).state, State::Ok);
        let fail = disk(dir, Ok(49 * mb));
        assert_eq!(fail.state, State::Fail);
        assert!(
            fail.detail.contains("/var/lib/uketsuke") && fail.detail.contains("under 50 MB"),
            "{}",
            fail.detail
        );
        assert_eq!(disk(dir, Err("gone".into())).state, State::Fail);
    }

    #[test]
    fn time_zone_reads_the_link_target() {
        let link = Path::new("/etc/localtime");
        let tokyo = PathBuf::from("/usr/share/zoneinfo/Asia/Tokyo");
        assert_eq!(time_zone(link, Ok(tokyo.clone()), true).state, State::Ok);
        let ny = time_zone(
            link,
            Ok(PathBuf::from("../usr/share/zoneinfo/America/New_York")),
            true,
        );
        assert_eq!(ny.state, State::Warn);
        assert!(ny.detail.contains("America/New_York"), "{}", ny.detail);
        assert_eq!(time_zone(link, Ok(tokyo), false).state, State::Fail);
        assert_eq!(
            time_zone(link, Err("missing".into()), false).state,
            State::Fail
        );
    }

    #[test]
    fn clock_answers() {
        assert_eq!(clock(Some(Ok("yes\n".into()))).state, State::Ok);
        assert_eq!(clock(Some(Ok("no\n".into()))).state, State::Warn);
        assert_eq!(clock(None).state, State::Warn);
    }

    #[test]
    fn service_states() {
        assert_eq!(service(None).state, State::Skip);
        let shown = |active: &str, watchdog: &str, restarts: u32| {
            format!(
                "LoadState=loaded\nActiveState={active}\nSubState=running\nNRestarts={restarts}\n\
                 WatchdogUSec={watchdog}\nStatusText=ready\n"
            )
        };
        let ok = service(Some(Ok(shown("active", "10s", 0))));
        assert_eq!(ok.state, State::Ok, "{}", ok.detail);
        assert!(ok.detail.contains("watchdog 10s") && ok.detail.contains("ready"));
        assert_eq!(
            service(Some(Ok(shown("active", "10s", 2)))).state,
            State::Warn
        );
        assert_eq!(
            service(Some(Ok(shown("active", "0", 0)))).state,
            State::Warn
        );
        assert_eq!(
            service(Some(Ok(shown("failed", "10s", 5)))).state,
            State::Fail
        );
        let absent = service(Some(Ok(
            "LoadState=not-found\nActiveState=inactive\n".into()
        )));
        assert_eq!(absent.state, State::Skip);
    }

    #[test]
    fn database_states() {
        let p = Path::new("/d/uketsuke.db");
        let found = |integrity: &str, v| {
            Ok(DatabaseFound {
                integrity: integrity.into(),
                schema_version: v,
                supported: 6,
            })
        };
        assert_eq!(database(p, found("ok", 6)).state, State::Ok);
        assert_eq!(database(p, found("ok", 5)).state, State::Ok);
        assert_eq!(database(p, found("ok", 7)).state, State::Fail);
        let bad = database(p, found("*** in database main ***\nPage 2: bad", 6));
        assert_eq!(bad.state, State::Fail);
        assert!(
            bad.detail.contains("integrity check failed"),
            "{}",
            bad.detail
        );
    }

    #[test]
    fn report_exit_rule_and_json() {
        let mut r = Report {
            checks: vec![
                Check::new("disk", State::Ok, "fine"),
                Check::new("clock", State::Warn, "hmm"),
                Check::new("service", State::Skip, "n/a"),
            ],
        };
        assert!(r.ok());
        assert!(r.table().contains("passed with 1 warning"));
        r.checks.push(Check::new("database", State::Fail, "bad"));
        assert!(!r.ok());
        let j = r.json();
        assert_eq!(j["ok"], false);
        assert_eq!(j["checks"][3]["state"], "fail");
        assert_eq!(j["checks"][3]["id"], "database");
        assert!(r.table().contains("FAIL"));
    }
}
