//! The provisioning file (`provision.json`): what a technician writes once per kiosk, checked
//! whole (every bad key named, all at once) and turned into what the data folder should hold:
//! the facility configuration's keys, the time zone, the NTP servers and the first technician.
//!
//! Owns: the file's keys and their rules, the merge into an existing `facility.json` (keys the
//! file omits keep their values), which keys changed, the `timesyncd.conf` text.
//! Must not know: files, the database, the clock: whether a time zone exists, a TLS file is
//! readable or a gateway is known is asked through [`Environment`]; `cli::provision` does the
//! writing.
//!
//! # The file
//! Every key is optional except, on the first provisioning of a data folder, `facility.name`,
//! `facility.code` and (while the database has no technician) `technician`:
//!
//! ```json
//! {
//!   "facility": { "name": "さくら内科クリニック", "code": "1310000000" },
//!   "kiosk_name": "1F entrance",
//!   "console": { "bind": "0.0.0.0:8080",
//!                "tls_certificate": "/var/lib/uketsuke/console.crt",
//!                "tls_key": "/var/lib/uketsuke/console.key" },
//!   "reader_name": "ACS",
//!   "gateway": "sim",
//!   "languages": ["ja", "en"],
//!   "idle_timeout_seconds": 90, "gateway_timeout_seconds": 15,
//!   "reader_timeout_seconds": 10, "final_screen_seconds": 60,
//!   "action_screen_seconds": 90, "ended_screen_seconds": 20,
//!   "show_burden_ratio": false, "waiting_place": "at_kiosk",
//!   "medical_aid_on_card": false,
//!   "time_zone": "Asia/Tokyo",
//!   "ntp": ["ntp.nict.jp"],
//!   "technician": { "login": "tech", "name": "技術担当" }
//! }
//! ```
//!
//! `time_zone`, `ntp` and `technician` are the machine's, not the facility file's; every other
//! key is copied to the same dotted key of `facility.json` ([`crate::rules::FacilityConfig`]).

use serde_json::{Map, Value};

use crate::rules::medical_institution_code_problem;

/// One bad key: the dotted key as written in the file, and what is wrong, in plain words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub key: String,
    pub detail: String,
}

impl Problem {
    pub fn new(key: impl Into<String>, detail: impl Into<String>) -> Problem {
        Problem {
            key: key.into(),
            detail: detail.into(),
        }
    }
}

/// What the checks ask of the machine (or of other modules), passed in by the caller.
pub struct Environment<'a> {
    /// Whether `/usr/share/zoneinfo/ZONE` exists.
    pub zone_exists: &'a dyn Fn(&str) -> bool,
    /// Why the file at this path cannot be read, or `None`.
    pub file_problem: &'a dyn Fn(&str) -> Option<String>,
    /// Why this gateway spec is not usable, or `None`.
    pub gateway_problem: &'a dyn Fn(&str) -> Option<String>,
}

/// The first technician, created in the database unless an account with this login exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Technician {
    pub login: String,
    pub display_name: String,
}

/// A checked provisioning file.
#[derive(Debug, Clone, PartialEq)]
pub struct Provisioning {
    /// `facility.json`'s keys this file sets, dotted ("console.bind"), in key order.
    pub facility: Vec<(String, Value)>,
    pub time_zone: Option<String>,
    pub ntp: Option<Vec<String>>,
    pub technician: Option<Technician>,
    /// Allowed, but worth a technician's second look (a time zone other than Japan's).
    pub warnings: Vec<String>,
}

/// The languages the kiosk's screens are in; `languages` lists some of them, the first shown
/// first.
pub const LANGUAGES: [&str; 9] = crate::rules::SCREEN_LANGUAGES;

/// The time zone a kiosk in Japan has.
pub const JAPAN_ZONE: &str = "Asia/Tokyo";

/// The keys a first provisioning must give (the data folder holds no facility.json yet).
pub const REQUIRED_FIRST: [&str; 2] = ["facility.name", "facility.code"];

type Rule = fn(&Value, &Environment<'_>) -> Result<Value, String>;

/// Where each key goes and its rule.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Target {
    Facility,
    TimeZone,
    Ntp,
    TechnicianLogin,
    TechnicianName,
}

/// Every key of the file: dotted name, where it goes, its rule.
const KEYS: &[(&str, Target, Rule)] = &[
    ("facility.name", Target::Facility, |v, _| text(v, 1, 100)),
    ("facility.code", Target::Facility, |v, _| facility_code(v)),
    ("kiosk_name", Target::Facility, |v, _| text(v, 1, 64)),
    ("console.bind", Target::Facility, |v, _| socket_address(v)),
    ("console.tls_certificate", Target::Facility, readable_file),
    ("console.tls_key", Target::Facility, readable_file),
    ("reader_name", Target::Facility, |v, _| text(v, 0, 64)),
    ("gateway", Target::Facility, gateway),
    ("languages", Target::Facility, |v, _| languages(v)),
    ("idle_timeout_seconds", Target::Facility, |v, _| {
        seconds(v, 10, 600)
    }),
    ("gateway_timeout_seconds", Target::Facility, |v, _| {
        seconds(v, 5, 120)
    }),
    ("reader_timeout_seconds", Target::Facility, |v, _| {
        seconds(v, 1, 60)
    }),
    ("final_screen_seconds", Target::Facility, |v, _| {
        seconds_in(v, crate::rules::FINAL_SCREEN_SECONDS)
    }),
    ("action_screen_seconds", Target::Facility, |v, _| {
        seconds_in(v, crate::rules::ACTION_SCREEN_SECONDS)
    }),
    ("ended_screen_seconds", Target::Facility, |v, _| {
        seconds_in(v, crate::rules::ENDED_SCREEN_SECONDS)
    }),
    ("show_burden_ratio", Target::Facility, |v, _| flag(v)),
    ("medical_aid_on_card", Target::Facility, |v, _| flag(v)),
    ("waiting_place", Target::Facility, |v, _| waiting_place(v)),
    ("orca", Target::Facility, orca),
    ("central", Target::Facility, central),
    ("voice", Target::Facility, |v, _| voice(v)),
    ("time_zone", Target::TimeZone, time_zone),
    ("ntp", Target::Ntp, |v, _| ntp_servers(v)),
    ("technician.login", Target::TechnicianLogin, |v, _| login(v)),
    ("technician.name", Target::TechnicianName, |v, _| {
        text(v, 1, 64)
    }),
];

/// The objects that group keys.
const GROUPS: [&str; 3] = ["facility", "console", "technician"];

/// Reads and checks a provisioning file. Every problem is reported, not just the first.
///
/// Errors: one [`Problem`] per bad key (wrong type, out of range, unknown key, the file not
/// JSON at all: key `(file)`).
pub fn parse(text: &str, env: &Environment<'_>) -> Result<Provisioning, Vec<Problem>> {
    let root: Value = serde_json::from_str(text)
        .map_err(|e| vec![Problem::new("(file)", format!("not valid JSON: {e}"))])?;
    let Value::Object(root) = root else {
        return Err(vec![Problem::new(
            "(file)",
            "must be a JSON object ({ ... })",
        )]);
    };
    let mut problems = Vec::new();
    let mut leaves: Vec<(String, &Value)> = Vec::new();
    for (key, value) in &root {
        if GROUPS.contains(&key.as_str()) {
            match value {
                Value::Object(inner) => {
                    for (k, v) in inner {
                        leaves.push((format!("{key}.{k}"), v));
                    }
                }
                _ => problems.push(Problem::new(key, "must be an object ({ ... })")),
            }
        } else {
            leaves.push((key.clone(), value));
        }
    }
    let mut out = Provisioning {
        facility: Vec::new(),
        time_zone: None,
        ntp: None,
        technician: None,
        warnings: Vec::new(),
    };
    let (mut tech_login, mut tech_name) = (None, None);
    for (key, value) in leaves {
        let Some((_, target, rule)) = KEYS.iter().find(|(k, _, _)| *k == key) else {
            problems.push(Problem::new(&key, unknown_key_detail()));
            continue;
        };
        let value = match rule(value, env) {
            Ok(v) => v,
            Err(detail) => {
                problems.push(Problem::new(&key, detail));
                continue;
            }
        };
        let as_text = || value.as_str().unwrap_or_default().to_owned();
        match target {
            Target::Facility => out.facility.push((key, value)),
            Target::TimeZone => {
                let zone = as_text();
                if zone != JAPAN_ZONE {
                    out.warnings.push(format!(
                        "key \"time_zone\": {zone} is not Japan's time zone ({JAPAN_ZONE}); \
                         accepted, but logs will show other hours than the clinic's"
                    ));
                }
                out.time_zone = Some(zone);
            }
            Target::Ntp => {
                out.ntp = Some(
                    value
                        .as_array()
                        .map(|a| {
                            a.iter()
                                .filter_map(|s| s.as_str().map(str::to_owned))
                                .collect()
                        })
                        .unwrap_or_default(),
                );
            }
            Target::TechnicianLogin => tech_login = Some(as_text()),
            Target::TechnicianName => tech_name = Some(as_text()),
        }
    }
    match (tech_login, tech_name, root.contains_key("technician")) {
        (Some(login), Some(display_name), _) => {
            out.technician = Some(Technician {
                login,
                display_name,
            });
        }
        (None, _, true) if !problems.iter().any(|p| p.key == "technician.login") => {
            problems.push(Problem::new(
                "technician.login",
                "required with \"technician\"",
            ));
        }
        (_, None, true) if !problems.iter().any(|p| p.key == "technician.name") => {
            problems.push(Problem::new(
                "technician.name",
                "required with \"technician\"",
            ));
        }
        _ => {}
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(problems)
    }
}

/// The dotted keys a file gives (whatever their values), e.g. "facility.code", "technician";
/// empty if it is not a JSON object.
pub fn keys_in(text: &str) -> Vec<String> {
    let Ok(Value::Object(root)) = serde_json::from_str::<Value>(text) else {
        return Vec::new();
    };
    let mut keys = Vec::new();
    for (key, value) in &root {
        keys.push(key.clone());
        if let Value::Object(inner) = value {
            keys.extend(inner.keys().map(|k| format!("{key}.{k}")));
        }
    }
    keys
}

fn unknown_key_detail() -> String {
    let known: Vec<&str> = KEYS.iter().map(|(k, _, _)| *k).collect();
    format!("unknown key (the keys are: {})", known.join(", "))
}

fn text(v: &Value, min: usize, max: usize) -> Result<Value, String> {
    let Some(s) = v.as_str() else {
        return Err("must be a text in quotes".into());
    };
    let s = s.trim();
    let n = s.chars().count();
    if n < min || n > max {
        return Err(if min == 0 {
            format!("at most {max} characters")
        } else {
            format!("must have {min} to {max} characters")
        });
    }
    if s.chars().any(char::is_control) {
        return Err("must not contain control characters".into());
    }
    Ok(Value::String(s.to_owned()))
}

fn facility_code(v: &Value) -> Result<Value, String> {
    let Some(s) = v.as_str() else {
        return Err(
            "must be the 10-digit 医療機関コード as text in quotes (a number would lose its \
             leading zero)"
                .into(),
        );
    };
    match medical_institution_code_problem(s) {
        Some(p) => Err(p),
        None => Ok(Value::String(s.to_owned())),
    }
}

fn socket_address(v: &Value) -> Result<Value, String> {
    match v.as_str().map(|s| s.parse::<std::net::SocketAddr>()) {
        Some(Ok(_)) => Ok(v.clone()),
        _ => Err("must be an address and port such as 0.0.0.0:8080 or 127.0.0.1:8080".into()),
    }
}

fn readable_file(v: &Value, env: &Environment<'_>) -> Result<Value, String> {
    let Some(s) = v.as_str() else {
        return Err("must be a file path in quotes".into());
    };
    if !s.starts_with('/') {
        return Err("must be an absolute path (starting with /) on the kiosk".into());
    }
    match (env.file_problem)(s) {
        Some(p) => Err(format!("{s}: {p}")),
        None => Ok(v.clone()),
    }
}

fn gateway(v: &Value, env: &Environment<'_>) -> Result<Value, String> {
    let Some(s) = v.as_str() else {
        return Err("must be a gateway in quotes, e.g. \"sim\"".into());
    };
    match (env.gateway_problem)(s) {
        Some(p) => Err(p),
        None => Ok(v.clone()),
    }
}

fn languages(v: &Value) -> Result<Value, String> {
    let list = v
        .as_array()
        .ok_or("must be a list such as [\"ja\", \"en\"]")?;
    if list.is_empty() {
        return Err("must list at least one language".into());
    }
    let mut seen: Vec<&str> = Vec::new();
    for item in list {
        match item.as_str() {
            Some(code) if LANGUAGES.contains(&code) => {
                if seen.contains(&code) {
                    return Err(format!("{code} is listed twice"));
                }
                seen.push(code);
            }
            _ => {
                return Err(format!(
                    "{item} is not a language of the kiosk (known: {})",
                    LANGUAGES.join(", ")
                ));
            }
        }
    }
    Ok(v.clone())
}

fn seconds(v: &Value, min: u64, max: u64) -> Result<Value, String> {
    match v.as_u64() {
        Some(n) if (min..=max).contains(&n) => Ok(v.clone()),
        _ => Err(format!(
            "must be a whole number of seconds from {min} to {max}"
        )),
    }
}

/// Seconds within the facility file's own range for the key (one range, in `rules`).
fn seconds_in(v: &Value, range: std::ops::RangeInclusive<u32>) -> Result<Value, String> {
    seconds(v, u64::from(*range.start()), u64::from(*range.end()))
}

fn flag(v: &Value) -> Result<Value, String> {
    match v {
        Value::Bool(_) => Ok(v.clone()),
        _ => Err("must be true or false".into()),
    }
}

fn waiting_place(v: &Value) -> Result<Value, String> {
    let known = [
        crate::rules::WaitingPlace::AtKiosk,
        crate::rules::WaitingPlace::AtReceptionDesk,
    ];
    match v.as_str() {
        Some(s) if known.iter().any(|p| p.as_str() == s) => Ok(v.clone()),
        _ => Err(format!(
            "must be one of {}",
            known.map(|p| format!("\"{}\"", p.as_str())).join(", ")
        )),
    }
}

fn time_zone(v: &Value, env: &Environment<'_>) -> Result<Value, String> {
    let Some(zone) = v.as_str() else {
        return Err("must be a time zone in quotes, e.g. \"Asia/Tokyo\"".into());
    };
    let shape_ok = !zone.is_empty()
        && !zone.starts_with('/')
        && zone
            .split('/')
            .all(|part| !part.is_empty() && part != "." && part != "..")
        && zone
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/_+-".contains(c));
    if !shape_ok || !(env.zone_exists)(zone) {
        return Err(format!(
            "{zone:?} is not a time zone in /usr/share/zoneinfo (e.g. \"{JAPAN_ZONE}\")"
        ));
    }
    Ok(v.clone())
}

fn ntp_servers(v: &Value) -> Result<Value, String> {
    let list = v
        .as_array()
        .ok_or("must be a list of NTP servers such as [\"ntp.nict.jp\"]")?;
    if list.is_empty() || list.len() > 8 {
        return Err("must list 1 to 8 NTP servers".into());
    }
    for item in list {
        let ok = item.as_str().is_some_and(|s| {
            !s.is_empty()
                && s.len() <= 253
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || ".-:".contains(c))
        });
        if !ok {
            return Err(format!("{item} is not a host name or IP address"));
        }
    }
    Ok(v.clone())
}

fn login(v: &Value) -> Result<Value, String> {
    let Some(s) = v.as_str() else {
        return Err("must be a login name in quotes".into());
    };
    match crate::staff::login_problem(s) {
        Some(p) => Err(p.to_owned()),
        None => Ok(v.clone()),
    }
}

/// `existing` (facility.json as found, or an empty object) with the file's keys set. Returns
/// the merged object and the dotted keys whose value changed.
pub fn merge(
    existing: &Map<String, Value>,
    provisioning: &Provisioning,
) -> (Map<String, Value>, Vec<String>) {
    let mut merged = existing.clone();
    let mut changed = Vec::new();
    for (key, value) in &provisioning.facility {
        let (group, leaf) = match key.split_once('.') {
            Some((g, l)) => (Some(g), l),
            None => (None, key.as_str()),
        };
        let slot = match group {
            None => &mut merged,
            Some(g) => {
                let entry = merged
                    .entry(g.to_owned())
                    .or_insert_with(|| Value::Object(Map::new()));
                if !entry.is_object() {
                    *entry = Value::Object(Map::new());
                }
                match entry.as_object_mut() {
                    Some(m) => m,
                    None => continue,
                }
            }
        };
        if slot.get(leaf) != Some(value) {
            slot.insert(leaf.to_owned(), value.clone());
            changed.push(key.clone());
        }
    }
    (merged, changed)
}

/// `facility.json`'s bytes: pretty JSON with keys in a fixed order and a final newline, so the
/// same content is always the same bytes.
pub fn facility_json(merged: &Map<String, Value>) -> String {
    let sorted: std::collections::BTreeMap<&String, &Value> = merged.iter().collect();
    let mut text = serde_json::to_string_pretty(&sorted).unwrap_or_else(|_| "{}".into());
    text.push('\n');
    text
}

/// `orca`: the clinic's ORCA, checked as the facility file checks it (each bad key named under
/// `orca.`), and its password file readable.
fn orca(v: &Value, env: &Environment<'_>) -> Result<Value, String> {
    let settings: crate::orca_settings::OrcaSettings = serde_json::from_value(v.clone())
        .map_err(|e| format!("not ORCA settings ({{url, user, password_file, patient_match, departments, ...}}): {e}"))?;
    let mut problems: Vec<String> = settings
        .problems()
        .into_iter()
        .map(|(key, detail)| format!("{key}: {detail}"))
        .collect();
    if let Some(file) = settings.password_file.to_str()
        && let Some(problem) = (env.file_problem)(file)
    {
        problems.push(format!("orca.password_file: {problem}"));
    }
    if problems.is_empty() {
        Ok(v.clone())
    } else {
        Err(problems.join("; "))
    }
}

/// `central`: the hospital's central database, checked as the facility file checks it (each
/// bad key named under `central.`), and its password and CA files readable.
fn central(v: &Value, env: &Environment<'_>) -> Result<Value, String> {
    let settings: crate::central_settings::CentralSettings = serde_json::from_value(v.clone())
        .map_err(|e| {
            format!("not central database settings ({{url, kiosk_id, password_file, ca_file, ...}}): {e}")
        })?;
    let mut problems: Vec<String> = settings
        .problems()
        .into_iter()
        .map(|(key, detail)| format!("{key}: {detail}"))
        .collect();
    for (key, file) in [
        ("central.password_file", &settings.password_file),
        ("central.ca_file", &settings.ca_file),
    ] {
        if let Some(file) = file.as_ref().and_then(|f| f.to_str())
            && let Some(problem) = (env.file_problem)(file)
        {
            problems.push(format!("{key}: {problem}"));
        }
    }
    if problems.is_empty() {
        Ok(v.clone())
    } else {
        Err(problems.join("; "))
    }
}

/// `voice`: voice guidance, checked as the facility file checks it (each bad key named under
/// `voice.`).
fn voice(v: &Value) -> Result<Value, String> {
    let settings: crate::voice::VoiceSettings = serde_json::from_value(v.clone()).map_err(|e| {
        format!("not voice settings ({{volume 0-100, dir, device, headphone}}): {e}")
    })?;
    let problems: Vec<String> = settings
        .problems()
        .into_iter()
        .map(|(key, detail)| format!("{key}: {detail}"))
        .collect();
    if problems.is_empty() {
        Ok(v.clone())
    } else {
        Err(problems.join("; "))
    }
}

/// `timesyncd.conf`'s text for these servers (the image links
/// /etc/systemd/timesyncd.conf.d/uketsuke.conf to it); with none, systemd-timesyncd's own
/// fallback servers stay in use.
pub fn timesyncd_conf(servers: Option<&[String]>) -> String {
    match servers {
        Some(s) if !s.is_empty() => format!(
            "# Written by uketsuke provision (key \"ntp\").\n[Time]\nNTP={}\n",
            s.join(" ")
        ),
        _ => "# Written by uketsuke provision: no \"ntp\" key, so systemd-timesyncd's \
              FallbackNTP servers are used.\n[Time]\n"
            .to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env() -> Environment<'static> {
        Environment {
            zone_exists: &|z| ["Asia/Tokyo", "America/New_York"].contains(&z),
            file_problem: &|p| (!p.ends_with(".pem")).then(|| "no such file".to_owned()),
            gateway_problem: &|g| (g != "sim").then(|| format!("unknown gateway {g}")),
        }
    }

    #[test]
    fn a_voice_key_is_checked_key_by_key() {
        let good = r#"{"voice": {"volume": 40, "headphone": "plughw:CARD=Headset,DEV=0"}}"#;
        assert_eq!(parse(good, &env()).unwrap().facility[0].0, "voice");
        let bad = r#"{"voice": {"volume": 120}}"#;
        let problems = parse(bad, &env()).unwrap_err();
        assert_eq!(problems[0].key, "voice");
        assert!(problems[0].detail.contains("voice.volume"), "{problems:?}");
        let unknown = r#"{"voice": {"loudness": 3}}"#;
        assert!(
            parse(unknown, &env()).unwrap_err()[0]
                .detail
                .contains("loudness")
        );
    }

    #[test]
    fn an_orca_key_is_checked_key_by_key() {
        let good = r#"{"orca": {"url": "http://192.168.1.10:8000", "user": "ormaster",
            "password_file": "/etc/uketsuke/orca.pem", "patient_match": "reference_number",
            "departments": {"01": "10001"}}}"#;
        let p = parse(good, &env()).unwrap();
        assert_eq!(p.facility[0].0, "orca");
        let bad = r#"{"orca": {"url": "192.168.1.10", "user": "ormaster",
            "password_file": "/nowhere", "patient_match": "reference_number",
            "departments": {}}}"#;
        let problems = parse(bad, &env()).unwrap_err();
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].key, "orca");
        for part in [
            "orca.url",
            "orca.departments",
            "orca.password_file: no such file",
        ] {
            assert!(
                problems[0].detail.contains(part),
                "{part}: {}",
                problems[0].detail
            );
        }
    }

    #[test]
    fn a_central_key_is_checked_key_by_key() {
        let good = r#"{"central": {"url": "postgres://uketsuke@db.hospital.lan/uketsuke",
            "kiosk_id": "entrance-1", "password_file": "/etc/uketsuke/orca.pem"}}"#;
        let p = parse(good, &env()).unwrap();
        assert_eq!(p.facility[0].0, "central");
        let bad = r#"{"central": {"url": "postgres://u:pw@db/x", "kiosk_id": "entrance 1",
            "ca_file": "/nowhere"}}"#;
        let problems = parse(bad, &env()).unwrap_err();
        assert_eq!(problems[0].key, "central");
        for part in [
            "central.url",
            "central.kiosk_id",
            "central.ca_file: no such file",
        ] {
            assert!(
                problems[0].detail.contains(part),
                "{part}: {}",
                problems[0].detail
            );
        }
    }

    #[test]
    fn a_full_file_is_read() {
        let p = parse(
            r#"{"facility": {"name": " さくら内科 ", "code": "0110113719"},
                "kiosk_name": "1F", "console": {"bind": "0.0.0.0:8080"},
                "languages": ["ja", "en"], "time_zone": "Asia/Tokyo", "ntp": ["ntp.nict.jp"],
                "technician": {"login": "tech", "name": "技術担当"}}"#,
            &env(),
        )
        .unwrap();
        assert!(
            p.facility
                .contains(&("facility.name".into(), "さくら内科".into())),
            "{:?}",
            p.facility
        );
        assert_eq!(p.time_zone.as_deref(), Some("Asia/Tokyo"));
        assert_eq!(p.ntp, Some(vec!["ntp.nict.jp".to_owned()]));
        assert_eq!(p.technician.unwrap().login, "tech");
        assert!(p.warnings.is_empty());
    }

    #[test]
    fn every_bad_key_is_named_at_once() {
        let problems = parse(
            r#"{"facility": {"code": 110113719}, "kiosk_name": "", "languages": ["fr"],
                "time_zone": "Mars/Olympus", "colour": "red", "console": {"bind": "x"},
                "technician": {"login": "Tech"}}"#,
            &env(),
        )
        .unwrap_err();
        let keys: Vec<&str> = problems.iter().map(|p| p.key.as_str()).collect();
        for k in [
            "facility.code",
            "kiosk_name",
            "languages",
            "time_zone",
            "colour",
            "console.bind",
            "technician.login",
            "technician.name",
        ] {
            assert!(keys.contains(&k), "{k} missing from {problems:?}");
        }
    }

    #[test]
    fn the_medical_aid_setting_is_a_flag_named_when_bad() {
        let problems = parse(r#"{"medical_aid_on_card": "yes"}"#, &env()).unwrap_err();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert_eq!(problems[0].key, "medical_aid_on_card");
        assert!(problems[0].detail.contains("true or false"), "{problems:?}");
        let p = parse(r#"{"medical_aid_on_card": true}"#, &env()).unwrap();
        assert!(
            p.facility
                .iter()
                .any(|(k, v)| k == "medical_aid_on_card" && v == &Value::Bool(true)),
            "{:?}",
            p.facility
        );
    }

    #[test]
    fn another_time_zone_is_a_warning() {
        let p = parse(r#"{"time_zone": "America/New_York"}"#, &env()).unwrap();
        assert!(p.warnings[0].contains("Asia/Tokyo"), "{:?}", p.warnings);
    }

    #[test]
    fn merge_keeps_omitted_keys_and_names_changes() {
        let existing: Map<String, Value> = serde_json::from_str(
            r#"{"kiosk_name": "old", "console": {"bind": "127.0.0.1:8080", "secure_cookies": false},
                "reads_smartphones": false}"#,
        )
        .unwrap();
        let p = parse(
            r#"{"kiosk_name": "old", "console": {"bind": "0.0.0.0:8080"}}"#,
            &env(),
        )
        .unwrap();
        let (merged, changed) = merge(&existing, &p);
        assert_eq!(changed, vec!["console.bind".to_owned()]);
        assert_eq!(merged["console"]["secure_cookies"], false);
        assert_eq!(merged["reads_smartphones"], false);
        let (again, none) = merge(&merged, &p);
        assert!(none.is_empty());
        assert_eq!(facility_json(&again), facility_json(&merged));
    }
}
