//! `uketsuke doctor`: the technician's self-test. Each probe here asks the machine one thing
//! (a file, SQLite read-only, statvfs, `timedatectl`, pcscd, fontconfig, a socket,
//! `systemctl`); what the answer means is [`crate::selftest`]'s.

use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Result;

use crate::flow::ReaderTrouble;
use crate::reader::pcsc::{SlotRole, survey};
use crate::reader::trouble_text;
use crate::rules::FacilityConfig;
use crate::selftest::{self, Check, Report, State};

/// The options of `uketsuke doctor`.
#[derive(Debug, clap::Args)]
pub struct DoctorOptions {
    /// Part of the reader's name to use (default: facility.json's `reader_name`, else the
    /// kiosk's own choice: the contactless slot, never one holding a SAM or a security key).
    #[arg(long)]
    pub reader: Option<String>,
    /// Print one JSON object for scripts: {"ok": bool, "checks": [{"id", "state", "detail"}]};
    /// the reader check adds "readers": [{"name", "role", "why", "card_atr"}].
    #[arg(long)]
    pub json: bool,
    /// The kiosk's data folder (facility.json, uketsuke.db, free space).
    #[arg(long, default_value = "/var/lib/uketsuke")]
    pub data_dir: PathBuf,
    /// The database (default: DATA_DIR/uketsuke.db).
    #[arg(long)]
    pub db: Option<PathBuf>,
    /// The facility configuration (default: DATA_DIR/facility.json).
    #[arg(long)]
    pub facility: Option<PathBuf>,
    /// The time zone link to read.
    #[arg(long, default_value = "/etc/localtime")]
    pub localtime: PathBuf,
    /// Only these checks (comma-separated ids: config, database, disk, clock, time-zone,
    /// reader, fonts, console, service, orca, central, terminal, voice).
    #[arg(long, value_delimiter = ',')]
    pub only: Vec<String>,
}

/// Runs the self-test and prints it: for people, the reader's and fonts' own lines, then one
/// table; with `--json`, one object. Exits 1 if any check failed (warnings and skips pass).
pub fn command(options: &DoctorOptions) -> Result<ExitCode> {
    for id in &options.only {
        if !selftest::CHECK_IDS.contains(&id.as_str()) {
            anyhow::bail!(
                "--only {id}: no such check (checks: {})",
                selftest::CHECK_IDS.join(", ")
            );
        }
    }
    let wanted = |id: &str| options.only.is_empty() || options.only.iter().any(|o| o == id);
    let facility_path = options
        .facility
        .clone()
        .unwrap_or_else(|| options.data_dir.join("facility.json"));
    let db_path = options
        .db
        .clone()
        .unwrap_or_else(|| options.data_dir.join("uketsuke.db"));
    let (config_check, facility) = config(&facility_path);
    let facility_gateway = facility.as_ref().map(|f| f.gateway.clone());
    let voice_settings = facility
        .as_ref()
        .map(|f| (f.voice.clone(), f.languages.clone()));
    let mut report = Report::default();
    // What people read before the table: the reader's and the fonts' own lines, as before.
    let mut preamble = String::new();
    if wanted("config") {
        report.checks.push(config_check);
    }
    if wanted("database") {
        report.checks.push(database(&db_path));
    }
    if wanted("disk") {
        report.checks.push(selftest::disk(
            &options.data_dir,
            free_bytes(&options.data_dir),
        ));
    }
    if wanted("clock") {
        report.checks.push(selftest::clock(ntp_synchronized()));
    }
    if wanted("time-zone") {
        report.checks.push(time_zone(&options.localtime));
    }
    if wanted("reader") {
        let hint = options.reader.clone().or_else(|| {
            facility
                .as_ref()
                .map(|f| f.reader_name.clone())
                .filter(|n| !n.is_empty())
        });
        let (text, usable, slots) = reader_check(hint.as_deref());
        preamble.push_str(&text);
        let last = text.lines().last().unwrap_or_default().trim().to_owned();
        report.checks.push(
            Check::new(
                "reader",
                if usable { State::Ok } else { State::Fail },
                if usable {
                    last
                } else {
                    text.lines()
                        .find(|l| l.contains("NOT RUNNING") || l.contains("NO READER"))
                        .unwrap_or(&last)
                        .trim()
                        .to_owned()
                },
            )
            .with_readers(slots),
        );
    }
    if wanted("fonts") {
        let (text, ok) = font_check();
        preamble.push_str(&text);
        report.checks.push(Check::new(
            "fonts",
            if ok { State::Ok } else { State::Fail },
            text.trim().trim_start_matches("fonts: "),
        ));
    }
    let orca_settings = facility.as_ref().and_then(|f| f.orca.clone());
    let central_settings = facility.as_ref().and_then(|f| f.central.clone());
    if wanted("console") {
        let mut settings = facility.map(|f| f.console).unwrap_or_default();
        settings.data_dir = Some(options.data_dir.clone());
        report.checks.push(console(&settings));
    }
    if wanted("service") {
        report.checks.push(selftest::service(service_state()));
    }
    if wanted("orca") {
        report.checks.push(orca(orca_settings.as_ref()));
    }
    if wanted("central") {
        let settings = central_settings.as_ref();
        report.checks.push(central(settings, &db_path));
    }
    if wanted("terminal") {
        let gateway = facility_gateway.unwrap_or_default();
        let problem = gateway
            .strip_prefix("oqs:")
            .and_then(|dir| crate::gateway::oqs::TerminalFolder::find(Path::new(dir)).err());
        report.checks.push(selftest::terminal(&gateway, problem));
    }
    if wanted("voice") {
        let (settings, languages) = voice_settings.unwrap_or_else(|| {
            (
                crate::voice::VoiceSettings::default(),
                crate::rules::SCREEN_LANGUAGES.map(str::to_owned).to_vec(),
            )
        });
        report.checks.push(voice(&settings, &languages));
    }
    if options.json {
        println!("{}", report.json());
    } else {
        print!("{preamble}");
        if !preamble.is_empty() {
            println!();
        }
        print!("{}", report.table());
    }
    Ok(if report.ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// `orca`: the ORCA the facility file names answers system01lstv2 (its departments) as the
/// configured user; a failure names `orca.url` and `orca.user`. Skipped without an `orca` key.
fn orca(settings: Option<&crate::orca::OrcaSettings>) -> Check {
    let Some(settings) = settings else {
        return Check::new(
            "orca",
            State::Skip,
            "no orca key in the facility file: ORCA not used",
        );
    };
    let client = match crate::orca::OrcaClient::new(settings) {
        Ok(c) => c,
        Err(e) => return Check::new("orca", State::Fail, e),
    };
    let today = super::now().format("%Y-%m-%d").to_string();
    match client.departments(&today) {
        Ok(departments) => {
            let names: Vec<String> = departments
                .iter()
                .map(|(code, name)| format!("{code} {name}"))
                .collect();
            let missing: Vec<&String> = settings
                .departments
                .keys()
                .filter(|code| !departments.iter().any(|(c, _)| c == *code))
                .collect();
            if missing.is_empty() {
                Check::new(
                    "orca",
                    State::Ok,
                    format!(
                        "ORCA at {} answers as user {:?}; departments: {}",
                        settings.url,
                        settings.user,
                        names.join(", ")
                    ),
                )
            } else {
                Check::new(
                    "orca",
                    State::Fail,
                    format!(
                        "orca.departments names {missing:?}, which ORCA at {} does not have (it has: {})",
                        settings.url,
                        names.join(", ")
                    ),
                )
            }
        }
        Err(e) => Check::new(
            "orca",
            State::Fail,
            format!(
                "orca.url {} (orca.user {:?}): {e}",
                settings.url, settings.user
            ),
        ),
    }
}

/// `central`: the hospital's central database the facility file names answers, as this kiosk,
/// and how far delivery to it lags (entries waiting in the kiosk's outbox and the age of the
/// oldest, audit entries waiting). Fails when it does not answer, naming `central.url` and
/// `central.kiosk_id`; warns without TLS beyond this machine. Skipped without a `central` key.
fn central(settings: Option<&crate::central_settings::CentralSettings>, db: &Path) -> Check {
    let Some(settings) = settings else {
        return Check::new(
            "central",
            State::Skip,
            "no central key in the facility file: this kiosk works on its own",
        );
    };
    let lag = match crate::store::central_lag_of(db) {
        Ok(lag) => {
            let oldest = lag.oldest.map_or(String::new(), |t| {
                let age = (super::now() - t).num_seconds().max(0);
                format!(", the oldest written {age} s ago")
            });
            format!(
                "outbox lag: {} entries waiting{oldest}, {} audit entries waiting",
                lag.entries, lag.audit
            )
        }
        Err(e) => format!("outbox lag unknown: {e}"),
    };
    let named = format!(
        "central.url {} (central.kiosk_id {:?})",
        settings.url, settings.kiosk_id
    );
    if let Some((key, what)) = settings.problems().into_iter().next() {
        return Check::new("central", State::Fail, format!("{key}: {what}; {lag}"));
    }
    let version = crate::central::Central::connect(settings).and_then(|mut c| c.schema_version());
    match version {
        Ok(version) => {
            let plain = settings.ca_file.is_none() && !loopback(&settings.url);
            Check::new(
                "central",
                if plain { State::Warn } else { State::Ok },
                format!(
                    "{named} answers (central schema v{version}){}; {lag}",
                    if plain {
                        ", but without TLS: set central.ca_file to encrypt and verify it"
                    } else {
                        ""
                    }
                ),
            )
        }
        Err(e) => Check::new("central", State::Fail, format!("{named}: {e}; {lag}")),
    }
}

/// Whether a postgres:// URL names this machine.
fn loopback(url: &str) -> bool {
    let rest = url.split("://").nth(1).unwrap_or_default();
    let authority = rest.split(['/', '?']).next().unwrap_or_default();
    let host = authority.rsplit('@').next().unwrap_or_default();
    let host = host.rsplit_once(':').map_or(host, |(h, _)| h);
    matches!(host, "" | "localhost" | "127.0.0.1" | "[::1]")
}

/// `voice`: opens the sound device(s) as the kiosk would (and closes them), and looks for every
/// clip of every language of the facility in the cache.
fn voice(settings: &crate::voice::VoiceSettings, languages: &[String]) -> Check {
    let dir = settings.cache_dir();
    let missing = crate::voice::missing_clips(&dir, languages);
    let total = crate::voice::speech::Clip::all().len() * languages.len();
    let voice = crate::voice::Voice::open(settings);
    selftest::voice(voice.state(), &dir, &missing, total, voice.problems())
}

/// `config`: facility.json parses and every key is valid (each bad key named). Also returns the
/// configuration, for the checks that read it.
fn config(path: &Path) -> (Check, Option<FacilityConfig>) {
    let p = path.display();
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return (
                Check::new(
                    "config",
                    State::Fail,
                    format!("{p}: not found: this kiosk is not set up yet; run uketsuke provision"),
                ),
                None,
            );
        }
        Err(e) => {
            return (
                Check::new("config", State::Fail, format!("{p}: cannot read: {e}")),
                None,
            );
        }
    };
    match FacilityConfig::check_json(&text, &p.to_string()) {
        Ok(f) => {
            let detail = format!(
                "{p}: valid (facility {:?}, code {}, kiosk {:?})",
                f.facility.name,
                if f.facility.code.is_empty() {
                    "not set"
                } else {
                    f.facility.code.as_str()
                },
                f.kiosk_name
            );
            (Check::new("config", State::Ok, detail), Some(f))
        }
        Err(errors) => {
            let all: Vec<String> = errors.iter().map(ToString::to_string).collect();
            (Check::new("config", State::Fail, all.join("; ")), None)
        }
    }
}

/// `database`: opened read-only (never created or migrated by `doctor`).
fn database(path: &Path) -> Check {
    if !path.exists() {
        return selftest::database(
            path,
            Err("not found: run uketsuke provision (or start the kiosk once)".into()),
        );
    }
    let found = crate::store::inspect(path)
        .map(|i| selftest::DatabaseFound {
            integrity: i.integrity,
            schema_version: i.schema_version,
            supported: crate::store::SCHEMA_VERSION,
        })
        .map_err(|e| e.to_string());
    selftest::database(path, found)
}

/// Bytes available to an unprivileged writer on the file system holding `dir` (statvfs).
fn free_bytes(dir: &Path) -> Result<u64, String> {
    let s = rustix::fs::statvfs(dir).map_err(|e| e.to_string())?;
    Ok(s.f_bavail.saturating_mul(s.f_frsize))
}

/// `timedatectl show -p NTPSynchronized --value`; `None` when timedatectl is not installed.
fn ntp_synchronized() -> Option<Result<String, String>> {
    run_tool("timedatectl", &["show", "-p", "NTPSynchronized", "--value"])
}

/// `systemctl show uketsuke.service …`; `None` when not on a machine that systemd booted.
fn service_state() -> Option<Result<String, String>> {
    if !Path::new("/run/systemd/system").is_dir() {
        return None;
    }
    run_tool(
        "systemctl",
        &[
            "show",
            "uketsuke.service",
            "-p",
            "LoadState,ActiveState,SubState,NRestarts,WatchdogUSec,StatusText",
        ],
    )
}

/// Runs a tool; `None` if it is not installed, its first stderr line if it failed.
fn run_tool(program: &str, args: &[&str]) -> Option<Result<String, String>> {
    match std::process::Command::new(program).args(args).output() {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => Some(Err(e.to_string())),
        Ok(out) if out.status.success() => {
            Some(Ok(String::from_utf8_lossy(&out.stdout).into_owned()))
        }
        Ok(out) => Some(Err(String::from_utf8_lossy(&out.stderr)
            .lines()
            .next()
            .unwrap_or("failed")
            .to_owned())),
    }
}

/// `time-zone`: follows `link` (and the image's link into the data folder) to the zone file.
fn time_zone(link: &Path) -> Check {
    let mut at = link.to_path_buf();
    let mut followed = false;
    for _ in 0..8 {
        match std::fs::read_link(&at) {
            Ok(target) => {
                followed = true;
                at = if target.is_absolute() {
                    target
                } else {
                    at.parent().unwrap_or(Path::new("/")).join(target)
                };
                if at.to_string_lossy().contains("zoneinfo/") {
                    break;
                }
            }
            Err(e) if !followed => {
                let why = if e.kind() == std::io::ErrorKind::NotFound {
                    "not found".to_owned()
                } else if e.kind() == std::io::ErrorKind::InvalidInput {
                    "not a link to a zone in /usr/share/zoneinfo: cannot tell the zone".to_owned()
                } else {
                    e.to_string()
                };
                return selftest::time_zone(link, Err(why), false);
            }
            Err(_) => break,
        }
    }
    let exists = at.exists();
    selftest::time_zone(link, Ok(at), exists)
}

/// How long `doctor` waits for the console to connect and answer.
const CONSOLE_WAIT: Duration = Duration::from_secs(3);

/// `console`: something accepts a connection at the configured address and answers HTTP.
fn console(settings: &crate::rules::ConsoleSettings) -> Check {
    let Ok(mut addr) = settings.bind.parse::<SocketAddr>() else {
        return Check::new(
            "console",
            State::Fail,
            format!("console.bind {:?} is not an address", settings.bind),
        );
    };
    // A console bound to every interface answers on loopback.
    if addr.ip().is_unspecified() {
        addr.set_ip(match addr {
            SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
            SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
        });
    }
    let mut stream = match TcpStream::connect_timeout(&addr, CONSOLE_WAIT) {
        Ok(s) => s,
        Err(e) => {
            return Check::new(
                "console",
                State::Fail,
                format!(
                    "nothing answers on {addr} (console.bind {}): {e}; is uketsuke.service \
                     running?",
                    settings.bind
                ),
            );
        }
    };
    // Beyond loopback the console speaks only HTTPS: the facility's certificate, or the
    // self-signed one `provision` (or the first start) made in the data folder. Doctor reads
    // it, never makes one; staff compare the fingerprint with what their browser shows.
    let certificate = settings.tls_certificate.clone().or_else(|| {
        let bound_beyond_loopback = settings
            .bind
            .parse::<SocketAddr>()
            .is_ok_and(|a| !a.ip().is_loopback());
        settings
            .data_dir
            .as_ref()
            .map(|d| d.join(crate::console::tls::SELF_SIGNED_CERTIFICATE))
            .filter(|c| bound_beyond_loopback && c.is_file())
    });
    if let Some(certificate) = certificate {
        return match crate::console::tls::certificate_fingerprint(&certificate) {
            Ok(sha256) => Check::new(
                "console",
                State::Ok,
                format!(
                    "https://{addr}/ accepts connections; certificate {} SHA-256 {sha256}",
                    certificate.display()
                ),
            ),
            Err(e) => Check::new(
                "console",
                State::Fail,
                format!("{addr} accepts connections, but its certificate: {e}"),
            ),
        };
    }
    let _ = stream.set_read_timeout(Some(CONSOLE_WAIT));
    let _ = stream.set_write_timeout(Some(CONSOLE_WAIT));
    let request = format!("GET /login HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    let mut head = [0u8; 64];
    let answered = stream
        .write_all(request.as_bytes())
        .and_then(|()| stream.read(&mut head));
    match answered {
        Ok(n) if head[..n].starts_with(b"HTTP/1.") => {
            let line = String::from_utf8_lossy(&head[..n]);
            let status = line.lines().next().unwrap_or_default().to_owned();
            Check::new(
                "console",
                State::Ok,
                format!("http://{addr}/ answers ({status})"),
            )
        }
        Ok(_) => Check::new(
            "console",
            State::Fail,
            format!("{addr} accepts connections but does not answer HTTP: another program?"),
        ),
        Err(e) => Check::new(
            "console",
            State::Fail,
            format!("{addr} accepts connections but does not answer: {e}"),
        ),
    }
}

/// `uketsuke doctor`: what a technician needs to know about the reader, in plain words.
/// Returns the report and whether the kiosk could read cards now.
pub fn doctor(reader: Option<&str>) -> (String, bool) {
    let (text, usable, _) = reader_check(reader);
    (text, usable)
}

/// [`doctor`], and every slot pcscd lists with what the kiosk makes of it (for the `reader`
/// check's table rows and JSON).
fn reader_check(reader: Option<&str>) -> (String, bool, Vec<selftest::SlotLine>) {
    use std::fmt::Write as _;
    let mut out = String::new();
    let survey = survey(reader);
    let wanted = reader
        .map(|w| format!(" matching \"{w}\""))
        .unwrap_or_default();
    match &survey.service {
        Err(why) => {
            let _ = writeln!(out, "pcscd: NOT RUNNING: {why}");
            let _ = writeln!(out, "  {}", trouble_line(ReaderTrouble::ServiceNotRunning));
            return (out, false, Vec::new());
        }
        Ok(()) => {
            let _ = writeln!(
                out,
                "pcscd: running ({})",
                crate::reader::pcsc::PCSCD_SOCKET
            );
        }
    }
    let _ = writeln!(out, "readers: {}", survey.readers.len());
    let mut slots = Vec::new();
    for r in &survey.readers {
        let mark = if r.role == SlotRole::Chosen { "*" } else { " " };
        let field = match &r.card_atr {
            None => "empty".to_string(),
            Some(atr) => format!(
                "something on it: ATR {} ({})",
                crate::card::apdu::hex(atr),
                describe_atr(atr)
            ),
        };
        let _ = writeln!(
            out,
            "  {mark} {}: {field}; {}: {}",
            r.name,
            r.role.as_str().to_uppercase(),
            r.role.why()
        );
        slots.push(selftest::SlotLine {
            name: r.name.clone(),
            role: r.role.as_str(),
            why: r.role.why(),
            card_atr: r.card_atr.as_deref().map(crate::card::apdu::hex),
        });
    }
    let ignored = survey
        .readers
        .iter()
        .filter(|r| r.role == SlotRole::Ignored)
        .count();
    let ignoring = match ignored {
        0 => String::new(),
        n => format!(" ({n} slot(s) ignored: a card that never leaves, a SAM or a security key)"),
    };
    match &survey.chosen {
        Some(name) => {
            let _ = writeln!(out, "the kiosk uses: {name}{ignoring}");
            let card_on_it = survey
                .readers
                .iter()
                .any(|r| &r.name == name && r.card_atr.is_some());
            let usable = !card_on_it || reader_answers(&mut out, name);
            (out, usable, slots)
        }
        None => {
            let _ = writeln!(
                out,
                "the kiosk uses: NO READER{wanted}: {}{ignoring}",
                trouble_line(ReaderTrouble::NoReader)
            );
            (out, false, slots)
        }
    }
}

/// A reader trouble for technicians, with the code the kiosk's screen shows for it (what the
/// patient or staff will have read out).
fn trouble_line(trouble: ReaderTrouble) -> String {
    format!(
        "{} (the kiosk's screen shows {})",
        trouble_text(trouble),
        crate::reader::trouble_code(trouble)
    )
}

/// With a card on the chosen reader: whether the reader answers its own GET DATA
/// (`FF CA 00 00 00`; the card is left as it is). False, saying what to do, if it is wedged or
/// another program holds it.
fn reader_answers(out: &mut String, reader: &str) -> bool {
    use crate::reader::pcsc::{Probe, probe_reader};
    use std::fmt::Write as _;
    match probe_reader(reader) {
        Probe::Answered(sw) => {
            let _ = writeln!(
                out,
                "  the reader answers (its own GET DATA: {:02X}{:02X})",
                sw[0], sw[1]
            );
            true
        }
        Probe::NoCard => true,
        Probe::NotAnswering(detail) => {
            let _ = writeln!(out, "  the reader is NOT ANSWERING: {detail}");
            let _ = writeln!(out, "  {}", trouble_line(ReaderTrouble::ReaderNotAnswering));
            false
        }
        Probe::InUse(detail) => {
            let _ = writeln!(out, "  the reader is IN USE: {detail}");
            let _ = writeln!(out, "  {}", trouble_line(ReaderTrouble::ReaderInUse));
            false
        }
        Probe::Failed(detail) => {
            let _ = writeln!(out, "  the reader probe failed: {detail}");
            true
        }
    }
}

/// A technician's reading of an ATR: what kind of contactless thing it suggests. Only a hint;
/// the kiosk decides by asking the card, never by the ATR alone (except FeliCa, whose storage
/// card ATR is built by the reader).
pub fn describe_atr(atr: &[u8]) -> String {
    use crate::card::jpki::{STANDARD_FELICA, storage_card};
    match (storage_card(atr), atr) {
        (Some(s), _) if s.standard == STANDARD_FELICA => "FeliCa storage card".into(),
        (Some(s), _) => format!("storage card, standard {:02X}", s.standard),
        (None, [0x3B, t0, 0x80, 0x01, ..]) if t0 & 0xF0 == 0x80 => {
            format!("contactless ISO 14443-4, {} historical bytes", t0 & 0x0F)
        }
        _ => "not a reader-built contactless ATR".into(),
    }
}

/// `uketsuke doctor`'s font line: whether fontconfig offers a Japanese font, without which every
/// Japanese text on the patient screen is silently blank.
pub fn font_check() -> (String, bool) {
    let listed = std::process::Command::new("fc-list")
        .args([":lang=ja", "family"])
        .output();
    match listed {
        Err(e) => (
            format!("fonts: cannot run fc-list ({e}); install fontconfig and fonts-noto-cjk\n"),
            false,
        ),
        Ok(out) => {
            let families = String::from_utf8_lossy(&out.stdout);
            let mut names: Vec<&str> = families
                .lines()
                .filter_map(|l| l.split(',').next())
                .filter(|l| !l.is_empty())
                .collect();
            names.sort_unstable();
            names.dedup();
            if names.is_empty() {
                (
                    "fonts: NO JAPANESE FONT: Japanese text would be blank; install \
                     fonts-noto-cjk\n"
                        .into(),
                    false,
                )
            } else {
                let wanted = names.contains(&"Noto Sans CJK JP");
                (
                    format!(
                        "fonts: Japanese: {}{}\n",
                        names.join(", "),
                        if wanted {
                            ""
                        } else {
                            " (the views ask for Noto Sans CJK JP; another will be used)"
                        }
                    ),
                    true,
                )
            }
        }
    }
}
