//! The names of simulated things shared with the command line (`card,tries=1`, `phone`,
//! `transit`, ...). Feature `sim` only: a kiosk image cannot name a simulated device.

use std::str::FromStr;

use thiserror::Error;

use crate::card::sim::{MAX_TRIES, ProbeAnswer, SimOptions, SimProfile};
use crate::domain::Pin;

/// The command line's names for simulated things. The first name of a profile is canonical.
pub const SIM_PROFILE_NAMES: [(&str, SimProfile); 13] = [
    ("card", SimProfile::MyNumberCard),
    ("phone", SimProfile::AndroidPhone),
    // An iPhone: ISO-DEP without a JPKI AP a generic reader can select.
    ("iphone", SimProfile::UnknownDevice),
    ("transit", SimProfile::TransitCard),
    ("resident-card", SimProfile::OldResidentCard),
    ("payment", SimProfile::PaymentCard),
    ("unknown-device", SimProfile::UnknownDevice),
    ("mute", SimProfile::Mute),
    // A Japanese driving licence (Type B, no JPKI AP).
    ("licence", SimProfile::DrivingLicence),
    // Android phones whose HCE app is not JPKI, answering `00 00` or `6F 00`.
    ("hce-app", SimProfile::HceApp { sw: 0x0000 }),
    ("hce-app-6f00", SimProfile::HceApp { sw: 0x6F00 }),
    ("pki-card", SimProfile::PkiCard),
    // Type A, random UID, historical bytes: the kiosk asks "card or phone?".
    ("passport", SimProfile::Passport),
];

/// The canonical command-line name of a profile.
pub fn sim_profile_name(profile: SimProfile) -> &'static str {
    SIM_PROFILE_NAMES
        .iter()
        .find(|(_, p)| *p == profile)
        .map_or("unknown-device", |(name, _)| name)
}

/// A simulated thing as the command line describes it: a profile name, then comma-separated
/// options `pin=NNNN`, `tries=N` (0..=3), `remove-after=N`, `probe=tries|ok|always-ok` (how the
/// empty VERIFY is answered, see [`ProbeAnswer`]; default `tries`, as real cards), and the auth
/// certificate's last valid day: `not-after=YYYY-MM-DD`, or counted from today in Japan
/// `cert-expired-days=N` (N days ago) / `cert-expires-in-days=N` (default: 2041-01-01).
/// Example: `card,tries=1`; `card,cert-expired-days=200`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimSpec {
    pub profile: SimProfile,
    pub options: SimOptions,
}

/// A simulated-thing description that did not parse; `part` is the offending piece.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("simulated device `{part}`: {reason}")]
pub struct SimSpecError {
    pub part: String,
    pub reason: String,
}

impl SimSpecError {
    fn new(part: &str, reason: impl Into<String>) -> Self {
        SimSpecError {
            part: part.to_string(),
            reason: reason.into(),
        }
    }
}

impl FromStr for SimSpec {
    type Err = SimSpecError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut parts = s.split(',').map(str::trim);
        let name = parts.next().unwrap_or_default();
        let profile = SIM_PROFILE_NAMES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, p)| *p)
            .ok_or_else(|| {
                let known: Vec<&str> = SIM_PROFILE_NAMES.iter().map(|(n, _)| *n).collect();
                SimSpecError::new(name, format!("unknown; one of {}", known.join(", ")))
            })?;
        let mut options = SimOptions::default();
        for part in parts {
            let Some((key, value)) = part.split_once('=') else {
                return Err(SimSpecError::new(part, "expected key=value"));
            };
            match key.trim() {
                "pin" => {
                    options.pin = Pin::parse(value.trim())
                        .ok_or_else(|| SimSpecError::new(part, "the PIN is four digits"))?;
                }
                "tries" => {
                    options.tries_left = value
                        .trim()
                        .parse::<u8>()
                        .ok()
                        .filter(|&t| t <= MAX_TRIES)
                        .ok_or_else(|| {
                            SimSpecError::new(part, format!("tries is 0 to {MAX_TRIES}"))
                        })?;
                }
                "remove-after" => {
                    let n = value.trim().parse::<usize>().map_err(|_| {
                        SimSpecError::new(part, "remove-after is a number of APDUs")
                    })?;
                    options.remove_after = Some(n);
                }
                "probe" => {
                    options.probe = match value.trim() {
                        "tries" => ProbeAnswer::TriesLeft,
                        "ok" => ProbeAnswer::OkWhenVerified,
                        "always-ok" => ProbeAnswer::AlwaysOk,
                        _ => {
                            return Err(SimSpecError::new(part, "probe is tries, ok or always-ok"));
                        }
                    };
                }
                "not-after" => {
                    let day = crate::dates::parse_ymd(value.trim()).ok_or_else(|| {
                        SimSpecError::new(part, "not-after is a date, YYYY-MM-DD")
                    })?;
                    options.not_after = Some(day);
                }
                key @ ("cert-expired-days" | "cert-expires-in-days") => {
                    let days = value
                        .trim()
                        .parse::<u16>()
                        .ok()
                        .filter(|&d| d <= 3650)
                        .ok_or_else(|| {
                            SimSpecError::new(part, format!("{key} is 0 to 3650 days"))
                        })?;
                    let days = chrono::TimeDelta::days(i64::from(days));
                    let today = today_in_japan();
                    let day = if key == "cert-expired-days" {
                        today.checked_sub_signed(days)
                    } else {
                        today.checked_add_signed(days)
                    };
                    options.not_after = day;
                }
                _ => {
                    return Err(SimSpecError::new(
                        part,
                        "unknown option; one of pin=NNNN, tries=N, remove-after=N, \
                         probe=tries|ok|always-ok, not-after=YYYY-MM-DD, cert-expired-days=N, \
                         cert-expires-in-days=N",
                    ));
                }
            }
        }
        Ok(SimSpec { profile, options })
    }
}

/// Today in Japan, by the real clock: `cert-expired-days=N` counts back from it, as a person
/// at the command line means it (a script's `visit_time` does not move it; give `not-after=`
/// then).
fn today_in_japan() -> crate::dates::Date {
    crate::dates::now()
        .with_timezone(&crate::rules::JST)
        .date_naive()
}

/// Parses a simulated-thing description (see [`SimSpec`]).
pub fn parse_sim_spec(s: &str) -> Result<SimSpec, SimSpecError> {
    s.parse()
}
