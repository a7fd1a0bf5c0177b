//! The national rules as dated data, and the facility's own configuration.
//!
//! Owns: which verification methods count toward the My Number usage rate and from when, the
//! provisional-handling end dates, burden-ratio derivation by age, and the facility's choices
//! (consent items shown, whether phones are read, timeouts).
//! Must not know: files beyond parsing the text it is given, the clock, the flow's states.
//!
//! Rules change by notice, not by release: everything here is loaded from JSON
//! (`config/rules.json` is embedded as the default) and read at the visit date.

use std::collections::HashSet;

use chrono::{Datelike, FixedOffset};
use serde::Deserialize;
use thiserror::Error;

use crate::dates::Date;

use crate::domain::{BurdenRatio, ConsentItem, Outcome, VerificationMethod};

/// Japan Standard Time. Japan has no daylight saving time.
pub const JST: FixedOffset = match FixedOffset::east_opt(9 * 3600) {
    Some(offset) => offset,
    None => panic!("+09:00 is a valid offset"),
};

/// The rules embedded in the binary.
pub const DEFAULT_RULES_JSON: &str = include_str!("../config/rules.json");

#[derive(Debug, Error)]
pub enum RulesError {
    #[error("{source_name}: not valid rules JSON: {detail}")]
    Parse { source_name: String, detail: String },
    #[error("{source_name}: {key}: {detail}")]
    Invalid {
        source_name: String,
        key: String,
        detail: String,
    },
}

impl RulesError {
    /// The key at fault (`(file)` when the file itself is not valid) and what is wrong with it.
    pub fn key_and_detail(&self) -> (String, String) {
        match self {
            RulesError::Parse { detail, .. } => ("(file)".to_owned(), detail.clone()),
            RulesError::Invalid { key, detail, .. } => (key.clone(), detail.clone()),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct UsageRateRule {
    method: VerificationMethod,
    counts: bool,
    #[serde(default)]
    from: Option<Date>,
    #[serde(default)]
    until: Option<Date>,
    #[serde(default, rename = "note")]
    _note: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProvisionalHandling {
    until: Date,
    #[serde(default, rename = "source")]
    _source: Option<String>,
    #[serde(default, rename = "note")]
    _note: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct ElderlyCertificate {
    min_age: u8,
    until: Date,
    #[serde(default, rename = "source")]
    _source: Option<String>,
    #[serde(default, rename = "note")]
    _note: Option<String>,
}

/// The medical-aid certificate question (`medical_aid_certificate_question`): from `from`, at
/// facilities connected to PMH (facility file `medical_aid_on_card`), the card doubles as the
/// children's and single-parent medical subsidy certificate (受給者証) and the reader asks
/// 「医療費助成の各種受給者証を利用しますか」.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct MedicalAidQuestion {
    /// First day the question is asked.
    from: Date,
    /// Where the date and the question come from; required.
    source: String,
    #[serde(default, rename = "note")]
    _note: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RatioBand {
    min_age: u8,
    ratio: u8,
    #[serde(default, rename = "note")]
    _note: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RatioTable {
    from: Date,
    preschool_ratio: u8,
    /// Highest `min_age` first; the first band whose `min_age` the patient has reached applies.
    bands: Vec<RatioBand>,
    #[serde(default, rename = "note")]
    _note: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RulesFile {
    #[serde(default, rename = "_comment")]
    _comment: Option<String>,
    usage_rate: Vec<UsageRateRule>,
    provisional_handling: ProvisionalHandling,
    elderly_eligibility_certificate: ElderlyCertificate,
    burden_ratio: Vec<RatioTable>,
    /// Dated usage-rate targets (e.g. an add-on's threshold), each with its source. Empty until
    /// sourced values are added (issue 16 owns them); the report shows a target line only when
    /// one is in force.
    #[serde(default)]
    usage_rate_targets: Vec<UsageRateTargetRule>,
    /// Which national formula of the usage rate applies from when (issue 16 item 2).
    #[serde(default)]
    usage_rate_formula: Vec<UsageRateFormulaRule>,
    /// Absent: the question is never asked.
    #[serde(default)]
    medical_aid_certificate_question: Option<MedicalAidQuestion>,
    /// The user-authentication certificate's expiry: warning window, grace periods, how the
    /// grace end is counted; dated, each with its source (issue 16 item 1, [`crate::expiry`]).
    certificate_expiry: Vec<crate::expiry::CertificateExpiryRule>,
}

/// How the national usage rate is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UsageRateFormula {
    /// マイナ保険証件数 ÷ オンライン資格確認件数: check-ins (publications until November 2025).
    PerCheckIn,
    /// マイナ保険証利用人数 ÷ レセプト件数: people in the month (from the December 2025
    /// publication; 医療保険部会 No.208).
    PerPerson,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct UsageRateFormulaRule {
    formula: UsageRateFormula,
    #[serde(default)]
    from: Option<Date>,
    #[serde(default)]
    until: Option<Date>,
    /// The formula in the publication's words.
    #[serde(rename = "name")]
    _name: String,
    source: String,
    #[serde(default, rename = "note")]
    _note: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct UsageRateTargetRule {
    /// First day the target applies.
    from: Date,
    /// Last day it applies; absent: open-ended.
    #[serde(default)]
    until: Option<Date>,
    /// The threshold in percent of the usage rate, 0 to 100.
    percent: u8,
    /// What the target is for, in staff words, e.g. 「電子的診療情報連携体制整備加算」.
    name: String,
    /// Where the value comes from (a notice, a page); required so no unsourced number is shown.
    source: String,
    #[serde(default, rename = "note")]
    _note: Option<String>,
}

/// A usage-rate target in force on a day (see [`Rules::usage_rate_target`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageRateTarget {
    /// The threshold in percent, 0 to 100.
    pub percent: u8,
    /// What it is for, e.g. 「電子的診療情報連携体制整備加算」.
    pub name: String,
    /// First day it applies.
    pub from: Date,
    /// Its source, as the rules file gives it.
    pub source: String,
}

/// The national rules, validated.
#[derive(Debug, Clone)]
pub struct Rules {
    file: RulesFile,
}

impl Rules {
    /// The rules embedded in this build.
    pub fn embedded() -> Rules {
        // The embedded file is checked by a unit test; failing here is a build defect.
        Rules::from_json(DEFAULT_RULES_JSON, "embedded config/rules.json")
            .expect("embedded rules are validated by tests")
    }

    /// Parses and validates rules; errors name `source_name` and the offending key.
    pub fn from_json(text: &str, source_name: &str) -> Result<Rules, RulesError> {
        let file: RulesFile = serde_json::from_str(text).map_err(|e| RulesError::Parse {
            source_name: source_name.to_owned(),
            detail: e.to_string(),
        })?;
        let invalid = |key: String, detail: String| RulesError::Invalid {
            source_name: source_name.to_owned(),
            key,
            detail,
        };
        let covered: HashSet<VerificationMethod> =
            file.usage_rate.iter().map(|r| r.method).collect();
        for method in VerificationMethod::ALL {
            if !covered.contains(&method) {
                return Err(invalid(
                    "usage_rate".into(),
                    format!("no rule for method \"{}\"", method.as_str()),
                ));
            }
        }
        for (i, rule) in file.usage_rate.iter().enumerate() {
            if let (Some(from), Some(until)) = (rule.from, rule.until)
                && from > until
            {
                return Err(invalid(
                    format!("usage_rate[{i}]"),
                    format!("\"from\" {from} is after \"until\" {until}"),
                ));
            }
        }
        for (i, target) in file.usage_rate_targets.iter().enumerate() {
            let key = format!("usage_rate_targets[{i}]");
            if target.percent > 100 {
                return Err(invalid(
                    format!("{key}.percent"),
                    format!("{} is not a percentage between 0 and 100", target.percent),
                ));
            }
            if target.until.is_some_and(|until| until < target.from) {
                return Err(invalid(
                    key,
                    format!("\"from\" {} is after \"until\"", target.from),
                ));
            }
            if target.name.trim().is_empty() || target.source.trim().is_empty() {
                return Err(invalid(key, "needs a \"name\" and a \"source\"".into()));
            }
        }
        for (i, rule) in file.usage_rate_formula.iter().enumerate() {
            if rule.source.trim().is_empty() {
                return Err(invalid(
                    format!("usage_rate_formula[{i}]"),
                    "needs a \"source\"".into(),
                ));
            }
        }
        if let Some(q) = &file.medical_aid_certificate_question
            && q.source.trim().is_empty()
        {
            return Err(invalid(
                "medical_aid_certificate_question.source".into(),
                "needs a \"source\"".into(),
            ));
        }
        if file.burden_ratio.is_empty() {
            return Err(invalid(
                "burden_ratio".into(),
                "needs at least one table".into(),
            ));
        }
        for (i, table) in file.burden_ratio.iter().enumerate() {
            let key = format!("burden_ratio[{i}]");
            if !valid_ratio(table.preschool_ratio) {
                return Err(invalid(
                    format!("{key}.preschool_ratio"),
                    format!(
                        "{} is not a percentage between 0 and 100",
                        table.preschool_ratio
                    ),
                ));
            }
            if table.bands.last().map(|b| b.min_age) != Some(0) {
                return Err(invalid(
                    format!("{key}.bands"),
                    "the last band must have min_age 0 so every age has a ratio".into(),
                ));
            }
            for (j, pair) in table.bands.windows(2).enumerate() {
                if pair[0].min_age <= pair[1].min_age {
                    return Err(invalid(
                        format!("{key}.bands[{}]", j + 1),
                        "bands must be ordered by min_age, highest first".into(),
                    ));
                }
            }
            for (j, band) in table.bands.iter().enumerate() {
                if !valid_ratio(band.ratio) {
                    return Err(invalid(
                        format!("{key}.bands[{j}].ratio"),
                        format!("{} is not a percentage between 0 and 100", band.ratio),
                    ));
                }
            }
        }
        crate::expiry::check_rules(&file.certificate_expiry)
            .map_err(|(key, detail)| invalid(key, detail))?;
        Ok(Rules { file })
    }

    /// The certificate-expiry rule in force on `on`: the entry with the latest `from` on or
    /// before it (`None` before the first).
    pub fn certificate_expiry_rule(
        &self,
        on: Date,
    ) -> Option<&crate::expiry::CertificateExpiryRule> {
        self.file
            .certificate_expiry
            .iter()
            .filter(|r| r.from <= on)
            .max_by_key(|r| r.from)
    }

    /// Whether a check-in verified this way on `visit_date` counts toward the My Number usage
    /// rate. The first rule whose dates cover the visit date decides; none means no.
    pub fn counts_toward_usage_rate(&self, method: VerificationMethod, visit_date: Date) -> bool {
        self.file
            .usage_rate
            .iter()
            .find(|r| {
                r.method == method
                    && r.from.is_none_or(|from| from <= visit_date)
                    && r.until.is_none_or(|until| visit_date <= until)
            })
            .is_some_and(|r| r.counts)
    }

    /// The usage-rate target in force on `on` (the report reads it at the month's last day):
    /// the first entry of `usage_rate_targets` whose dates cover it, or `None` when the rules
    /// give none. No threshold is built in: without a sourced, dated value the report shows no
    /// target line.
    pub fn usage_rate_target(&self, on: Date) -> Option<UsageRateTarget> {
        self.file
            .usage_rate_targets
            .iter()
            .find(|t| t.from <= on && t.until.is_none_or(|until| on <= until))
            .map(|t| UsageRateTarget {
                percent: t.percent,
                name: t.name.clone(),
                from: t.from,
                source: t.source.clone(),
            })
    }

    /// The national formula of the usage rate in force on `on` (the report reads it at the
    /// month's last day): the first `usage_rate_formula` entry whose dates cover it; `None`
    /// when the rules give none.
    pub fn usage_rate_formula(&self, on: Date) -> Option<UsageRateFormula> {
        self.file
            .usage_rate_formula
            .iter()
            .find(|r| r.from.is_none_or(|f| f <= on) && r.until.is_none_or(|u| on <= u))
            .map(|r| r.formula)
    }

    /// Whether expired insurance cards and the notice alone are still accepted provisionally.
    pub fn provisional_handling_applies(&self, visit_date: Date) -> bool {
        visit_date <= self.file.provisional_handling.until
    }

    pub fn provisional_handling_until(&self) -> Date {
        self.file.provisional_handling.until
    }

    /// Whether the blanket 資格確認書 for people of `min_age`+ is still in force.
    pub fn elderly_certificate_applies(&self, visit_date: Date) -> bool {
        visit_date <= self.file.elderly_eligibility_certificate.until
    }

    pub fn elderly_certificate_min_age(&self) -> u8 {
        self.file.elderly_eligibility_certificate.min_age
    }

    /// Whether the medical-aid certificate (受給者証) question may be asked on `visit_date`
    /// (rules `medical_aid_certificate_question.from`, 2026-04-01 in the embedded rules; source
    /// there). The facility must also say it is connected (`FacilityConfig::medical_aid_on_card`):
    /// [`FacilityConfig::asks_medical_aid_certificate`] asks both.
    pub fn medical_aid_question_applies(&self, visit_date: Date) -> bool {
        self.file
            .medical_aid_certificate_question
            .as_ref()
            .is_some_and(|q| q.from <= visit_date)
    }

    /// The burden ratio for a person born on `birth_date`, at `visit_date`, from the table in
    /// force that day. The eligibility result overrides this when it carries a ratio.
    pub fn burden_ratio_by_age(&self, birth_date: Date, visit_date: Date) -> Option<BurdenRatio> {
        let table = self
            .file
            .burden_ratio
            .iter()
            .filter(|t| t.from <= visit_date)
            .max_by_key(|t| t.from)?;
        if visit_date < school_entry_date(birth_date) {
            return Some(BurdenRatio(table.preschool_ratio));
        }
        let age = age_on(birth_date, visit_date)?;
        table
            .bands
            .iter()
            .find(|b| age >= u32::from(b.min_age))
            .map(|b| BurdenRatio(b.ratio))
    }
}

/// The ratio rule staff apply when the eligibility screen shows no ratio: below
/// `elderly_from_age` the ratio is `ratio`, and `preschool` before school entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RatioBelowElderly {
    pub elderly_from_age: u8,
    pub ratio: BurdenRatio,
    pub preschool: BurdenRatio,
}

impl Rules {
    /// The rule for people below the youngest elderly band, from the ratio table in force on
    /// `visit_date` (70歳未満3割、未就学2割 in the embedded rules). None when no table applies.
    pub fn ratio_rule_below_elderly(&self, visit_date: Date) -> Option<RatioBelowElderly> {
        let table = self
            .file
            .burden_ratio
            .iter()
            .filter(|t| t.from <= visit_date)
            .max_by_key(|t| t.from)?;
        let base = table.bands.iter().find(|b| b.min_age == 0)?;
        let elderly_from_age = table
            .bands
            .iter()
            .map(|b| b.min_age)
            .filter(|a| *a > 0)
            .min()?;
        Some(RatioBelowElderly {
            elderly_from_age,
            ratio: BurdenRatio(base.ratio),
            preschool: BurdenRatio(table.preschool_ratio),
        })
    }
}

fn valid_ratio(percent: u8) -> bool {
    percent <= 100
}

/// Full years of age on `on` (a person born on 29 February turns a year older on 1 March in
/// non-leap years, which is what day-by-day comparison gives).
pub fn age_on(birth_date: Date, on: Date) -> Option<u32> {
    if on < birth_date {
        return None;
    }
    let mut years = on.year() - birth_date.year();
    if (on.month(), on.day()) < (birth_date.month(), birth_date.day()) {
        years -= 1;
    }
    u32::try_from(years).ok()
}

/// 1 April of the school year in which a child starts primary school: children born from
/// 2 April to 1 April of the next year share a school year (the 1 April birthday belongs to the
/// earlier year under Japanese age reckoning).
pub fn school_entry_date(birth_date: Date) -> Date {
    let born_early = (birth_date.month(), birth_date.day()) <= (4, 1);
    let entry_year = birth_date.year() + if born_early { 6 } else { 7 };
    Date::from_ymd_opt(entry_year, 4, 1).unwrap_or(Date::MAX)
}

/// How a facility sets up its kiosk. Loaded from JSON; every key optional.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FacilityConfig {
    /// Whether this kiosk reads Android phones. Off: every phone takes the portal-screen path.
    pub reads_smartphones: bool,
    /// The information items shown on the consent screen, in order.
    pub consent_items: Vec<ConsentItem>,
    /// Whether the high-cost limit information question is asked.
    pub asks_high_cost_limit: bool,
    /// Whether the prescription form (electronic or paper) is asked.
    pub asks_prescription_form: bool,
    /// Whether this facility is connected to PMH (the public-subsidy information service), so
    /// the My Number card doubles as the children's and single-parent medical subsidy
    /// certificate (受給者証) here: then, from the date in the rules
    /// (`medical_aid_certificate_question`), card and phone check-ins are asked
    /// 「医療費助成の各種受給者証を利用しますか」 after the consent questions. Default false: only
    /// the facility knows whether it is connected (anchors-2026.md fact 9).
    pub medical_aid_on_card: bool,
    /// The clinic's departments (診療科), e.g. `[{"code": "01", "name": "内科"}, {"code": "02",
    /// "name": "小児科", "name_en": "Pediatrics"}]`: with two or more (and no `department`),
    /// card and phone check-ins are asked which one after the other questions; one: always that
    /// one; none: no department recorded. Where ORCA is configured, the kiosk puts ORCA's
    /// cached list here (`system01lstv2`; see [`crate::departments`]).
    pub departments: Vec<crate::departments::Department>,
    /// One department code this kiosk always records (e.g. a kiosk at the pediatrics
    /// entrance): no question. Must be one of `departments` when they are listed.
    pub department: Option<String>,
    /// Seconds without a touch or tap at a patient-input screen before the screen is cleared.
    pub idle_timeout_seconds: u32,
    /// Seconds to wait for the eligibility gateway before handing over to staff.
    pub gateway_timeout_seconds: u32,
    /// Seconds to wait for the card to answer one reader operation (up to a dozen APDUs: the
    /// signature alone takes up to 2.5 s on the newer My Number cards, FWI 13). Keep it above
    /// the PC/SC adapter's own per-APDU bound (`reader::pcsc::APDU_BOUND`, 6 s), so that a
    /// stuck reader is reported by the adapter, which counts it, rather than by this deadline.
    pub reader_timeout_seconds: u32,
    /// Seconds the done screen, and a handoff that asks the patient only to go to the desk or
    /// wait (call staff, several matches, gateway or reader out of service), stays before the
    /// welcome screen returns. 15 to 600; default 60 (review 2026-11 rows 2, 12: the number
    /// must outlast reading it; a card on the reader starts the next check-in at once, so a
    /// long final screen never holds up the next patient).
    pub final_screen_seconds: u32,
    /// Seconds a screen stays that the patient must act on before reaching the desk: the
    /// portal-screen handoff (open Mynaportal, log in with the PIN, find 資格情報), the
    /// paper-document handoff, the visual check, a locked card, invalid or missing
    /// eligibility, a certificate not accepted (each: take out a card, phone or document and
    /// show it with the number), and save-failed (tell the desk what the screen shows). 60 to
    /// 600; default 90 (review 2026-11 row 2, cross-screen 5; issue 14 Build item 3). See
    /// [`FacilityConfig::final_screen_seconds_for`].
    pub action_screen_seconds: u32,
    /// Seconds the cancelled and timed-out screens stay: they tell the patient that nothing
    /// was saved and to take the card, so they are read, not glanced at. 15 to 120; default 20
    /// (review 2026-11 rows 24, 25: 5 s was too short to read).
    pub ended_screen_seconds: u32,
    /// Whether the done screen shows the patient's share of the costs (1割/2割/3割). Default
    /// off: the kiosk faces the waiting room, and the share gives away the patient's age band
    /// (under 6, 70-74, 75 and over) and income bracket to whoever stands behind them
    /// (review 2026-11 row 35). Staff see the share on the console and tell it at payment;
    /// a clinic whose kiosk stands out of view can turn it on.
    pub show_burden_ratio: bool,
    /// Where the called-staff screen asks the patient to wait: one place, so the clerk knows
    /// where to go (review 2026-11 row 13). Default `at_kiosk`.
    pub waiting_place: WaitingPlace,
    /// Milliseconds after the consent, high-cost limit or prescription screen appears during
    /// which the flow ignores its answers and "back", so a double tap on the previous screen
    /// cannot answer the next question (review 2026-11 rows 8, 9). 0 to 3000; default 600.
    pub consent_dead_time_ms: u32,
    /// This kiosk's name, shown to staff beside each handoff (e.g. "1F entrance").
    pub kiosk_name: String,
    /// The staff console (web) served beside the kiosk.
    pub console: ConsoleSettings,
    /// The hidden gesture that opens the staff panel on the kiosk.
    pub staff_mode: StaffModeSettings,
    /// Who runs this kiosk (written by `uketsuke provision`; empty until then).
    pub facility: FacilityIdentity,
    /// Part of the card reader's name to use, e.g. "ACS" (empty: the first reader pcscd lists).
    pub reader_name: String,
    /// The eligibility gateway, as `run --gateway` takes it (e.g. `none`, or `sim:PERSONA` in
    /// builds with the simulators). Empty: as the command line says.
    pub gateway: String,
    /// The languages the patient screen offers, the first shown first: some of
    /// [`SCREEN_LANGUAGES`].
    pub languages: Vec<String>,
    /// The clinic's ORCA (日レセ), where completed check-ins are registered as receptions by
    /// the delivery worker (`uketsuke deliver`, or the thread inside `run`); none: no ORCA.
    pub orca: Option<crate::orca_settings::OrcaSettings>,
    /// The hospital's central database (PostgreSQL) this kiosk delivers its outbox and audit
    /// log to, and the kiosk's id there (issue 19); none: a kiosk on its own.
    pub central: Option<crate::central_settings::CentralSettings>,
    /// The eligibility terminal's certified face-authentication reader beside the kiosk
    /// (`--gateway oqs:DIR`, issue 17 item 1).
    pub certified_reader: CertifiedReaderSettings,
    /// Voice guidance (`voice` in facility.json: `volume` 0–100, 0 silent; `dir` of the cache;
    /// `device` and `headphone`, ALSA names). Absent: on at a moderate volume.
    pub voice: crate::voice::VoiceSettings,
    /// Whether patient screens offer the "Larger text" (文字を大きく) button: large type and high
    /// contrast for one patient (issue 18 item 3). On by default; every screen fits in both type
    /// sizes with the button in its top bar (`tests/it/ui_every_screen_fits.rs`). A facility
    /// that wants the plainer bar sets `"large_type": false`.
    pub large_type: bool,
}

/// How the kiosk works with the certified face-authentication reader (顔認証付きカードリーダー)
/// of the eligibility terminal beside it (`certified_reader` in facility.json; every key
/// optional). One kiosk is paired with one reader; the terminal writes each reader check-in's
/// result into its `face` folder (integration-formats.md §1.1–1.2: MR, OD2, SX).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CertifiedReaderSettings {
    /// Eligibility comes from the certified reader: a card on the kiosk's reader is sent to it
    /// (no PIN on the kiosk). `--gateway oqs:DIR` turns this on. Default false.
    pub enabled: bool,
    /// Whether the certified reader reads smartphones' My Number certificates like cards.
    /// UNCONFIRMED per terminal model: default false (a phone takes the portal-screen path).
    pub reads_phones: bool,
    /// Seconds the kiosk waits for the reader's result file once it asked the patient to use
    /// the reader (walk over, place the card, face the camera or type the PIN there). 1 to
    /// 600 (below a minute only for tests: patients need the time); default 120.
    pub face_result_timeout_seconds: u32,
    /// Seconds a result file's name time (the terminal's clock, JST, whole seconds) and its
    /// arrival may lie before the moment the kiosk started waiting and still count: the
    /// terminal's and the kiosk's clocks differ a little. 0 to 30; default 2.
    pub clock_skew_seconds: u32,
    /// Seconds after a wait ended without a file (a timeout, a cancel) during which a file
    /// may still arrive for it ("a late file"): a file arriving then is bound to nobody, and a
    /// new wait that starts in that period hands any file it sees then to staff. 0 to 600;
    /// default 30.
    pub late_file_quiet_seconds: u32,
    /// Where kiosks sharing one terminal folder mark that they are waiting (one O_EXCL file
    /// each), so only one waits at a time across processes. Default: `.uketsuke` inside the
    /// terminal folder (DIR).
    pub marker_dir: Option<std::path::PathBuf>,
    /// Which side of the kiosk the certified reader stands on, as a patient facing the kiosk
    /// sees it: the screen's picture points there. `right` (default) or `left`.
    pub side: ReaderSide,
}

/// Which side of the kiosk the certified reader stands on (`certified_reader.side`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReaderSide {
    #[default]
    Right,
    Left,
}

impl Default for CertifiedReaderSettings {
    fn default() -> Self {
        CertifiedReaderSettings {
            enabled: false,
            reads_phones: false,
            face_result_timeout_seconds: 120,
            clock_skew_seconds: 2,
            late_file_quiet_seconds: 30,
            marker_dir: None,
            side: ReaderSide::Right,
        }
    }
}

/// Where a patient who called staff waits (`waiting_place` in facility.json). Words on the
/// screen come from the views' translations, never from free text in the file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WaitingPlace {
    /// 「この受付機の前でお待ちください。スタッフが参ります」: staff come to the kiosk.
    #[default]
    AtKiosk,
    /// 「受付窓口でお待ちください」: the patient goes to the reception desk.
    AtReceptionDesk,
}

impl WaitingPlace {
    /// The value as written in facility.json.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AtKiosk => "at_kiosk",
            Self::AtReceptionDesk => "at_reception_desk",
        }
    }
}

/// The facility (保険医療機関) a kiosk belongs to.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FacilityIdentity {
    /// Its name as patients know it, e.g. "さくら内科クリニック".
    pub name: String,
    /// Its 10-digit 医療機関コード, e.g. "0110113719" (see [`medical_institution_code_problem`]).
    pub code: String,
}

/// The languages the patient screen has (`ui::Language::code`, tested to agree): Japanese,
/// English, simplified Chinese, Korean, Vietnamese, Brazilian Portuguese, Tagalog, Nepali, and
/// easy Japanese (やさしい日本語, the private-use tag `ja-x-easy`).
pub const SCREEN_LANGUAGES: [&str; 9] = [
    "ja",
    "ja-x-easy",
    "en",
    "zh-Hans",
    "ko",
    "vi",
    "pt-BR",
    "tl",
    "ne",
];

/// Why `code` is not a 医療機関コード (the 10-digit code of a medical institution or pharmacy),
/// or `None`.
///
/// Shape: 2 digits prefecture (01 Hokkaido to 47 Okinawa), 1 digit score table (1 medical,
/// 3 dental, 4 pharmacy), 7 digits: district (2), institution (4) and a check digit. The check
/// digit makes the whole 10 digits pass the Luhn (modulus 10, weights 2 and 1) check: the
/// digits are weighted 2, 1, 2, … from the one before the check digit leftwards, two-digit
/// products add their digits, and the check digit brings the sum to a multiple of 10; the
/// prefecture and score-table digits take part (Japanese Wikipedia, 「処方箋発行医療機関コード」,
/// after 保医発0907第5号, 2010; its example 0110113719 passes). The same weights make the
/// insurer number's check digit (保険者番号設定要領).
pub fn medical_institution_code_problem(code: &str) -> Option<String> {
    let digits: Vec<u32> = code.chars().filter_map(|c| c.to_digit(10)).collect();
    if code.len() != 10 || digits.len() != 10 {
        return Some(format!(
            "{code:?} is not a 医療機関コード: it has 10 digits (prefecture, score table, 7-digit \
             institution number)"
        ));
    }
    let prefecture = digits[0] * 10 + digits[1];
    if !(1..=47).contains(&prefecture) {
        return Some(format!(
            "{code:?}: its first two digits are the prefecture, 01 to 47, not {prefecture:02}"
        ));
    }
    if ![1, 3, 4].contains(&digits[2]) {
        return Some(format!(
            "{code:?}: its third digit is the score table, 1 medical, 3 dental or 4 pharmacy, \
             not {}",
            digits[2]
        ));
    }
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| match (i % 2, d * 2) {
            (1, doubled) if doubled > 9 => doubled - 9,
            (1, doubled) => doubled,
            _ => d,
        })
        .sum();
    if !sum.is_multiple_of(10) {
        return Some(format!(
            "{code:?}: the check digit (the last) does not match the other nine; check for a \
             mistyped digit"
        ));
    }
    None
}

/// The kiosk's staff mode: `taps` taps on the top bar's title within `tap_window_ms` open the
/// staff sign-in; the panel closes itself after `idle_seconds` without a touch. Wrong PINs lock
/// as `console.lockout_after_failures` and `console.lockout_minutes` say.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StaffModeSettings {
    pub taps: u32,
    pub tap_window_ms: u32,
    pub idle_seconds: u32,
}

impl Default for StaffModeSettings {
    fn default() -> Self {
        StaffModeSettings {
            taps: 5,
            tap_window_ms: 3000,
            idle_seconds: 60,
        }
    }
}

/// Where and how the staff console is served. Every key optional.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ConsoleSettings {
    /// Address and port, e.g. "0.0.0.0:8080" for the reception PC on the LAN. Default: only this
    /// machine.
    pub bind: String,
    /// Minutes a staff sign-in lasts.
    pub session_minutes: u32,
    /// Wrong passwords in a row that lock an account.
    pub lockout_after_failures: u32,
    /// Minutes a locked account stays locked (a technician can unlock it sooner).
    pub lockout_minutes: u32,
    /// Mark the sign-in cookie `Secure` (browsers then send it only over HTTPS, or to
    /// localhost). Turn off only on a closed network without TLS. Under TLS always on.
    pub secure_cookies: bool,
    /// The console's TLS certificate (PEM), e.g. "/var/lib/uketsuke/console.crt"; with
    /// `tls_key`. Absent: no certificate of the facility's own.
    pub tls_certificate: Option<std::path::PathBuf>,
    /// The private key (PEM) of `tls_certificate`.
    pub tls_key: Option<std::path::PathBuf>,
    /// The host names (and addresses) browsers may use to reach the console, e.g.
    /// `["uketsuke-1f.local", "192.168.1.20"]`; a request naming any other host is refused
    /// (DNS rebinding). Default: localhost, 127.0.0.1, ::1, the bound address and this
    /// machine's host name, and any address typed as digits when bound to every address.
    pub hosts: Option<Vec<String>>,
    /// Where a self-signed certificate is kept (made on first start when the console is bound
    /// beyond loopback without `tls_certificate`). Not a facility key: the caller sets it (the
    /// kiosk: its data folder, e.g. /var/lib/uketsuke).
    #[serde(skip)]
    pub data_dir: Option<std::path::PathBuf>,
    /// The facility's name (`facility.name`), printed on the patient's slip and the
    /// self-declaration form. Not a console key: the caller copies it from the facility file;
    /// empty leaves a blank to write in.
    #[serde(skip)]
    pub facility_name: String,
    /// Where the kiosk tells a patient who called staff to wait (the facility's
    /// `waiting_place`), so the queue's 「待っている場所」 says what the patient was told. Not a
    /// console key: the caller copies it from the facility configuration.
    #[serde(skip)]
    pub waiting_place: WaitingPlace,
    /// Seconds the resolve page's 「資格確認端末に照会する」 waits for the eligibility terminal's
    /// answer before saying there is none (the request is never sent again). MR waits 180;
    /// staff at the desk wait 60 by default (integration-formats §1.2).
    pub terminal_answer_seconds: u32,
    /// The encoding the console writes its queries to the eligibility terminal in: "sjis"
    /// (Shift_JIS, as OD2 and MR write them) or "utf8" (SANOX); the terminal's answers say
    /// their own in the prolog (integration-formats §1.3; which one a terminal wants is a
    /// terminal setting, UNCONFIRMED).
    pub terminal_encoding: String,
    /// The eligibility terminal's shared folder (holding `req` and `res`), when the kiosk is
    /// set up with `oqs:DIR` (`gateway` in the facility file, or `uketsuke console --gateway
    /// oqs:DIR`). Not a console key: the caller sets it. None: the resolve page has no button.
    #[serde(skip)]
    pub eligibility_terminal: Option<std::path::PathBuf>,
    /// The facility's 10-digit 医療機関コード (`facility.code`), for the terminal's requests. Not
    /// a console key: the caller copies it from the facility file.
    #[serde(skip)]
    pub medical_institution_code: String,
    /// The facility has ORCA (`orca` in the facility file): 「本日の受付一覧」 shows each
    /// check-in's delivery into it, with retry and done by hand. Not a console key: the caller
    /// sets it.
    #[serde(skip)]
    pub orca_configured: bool,
}

impl Default for ConsoleSettings {
    fn default() -> Self {
        ConsoleSettings {
            bind: "127.0.0.1:8080".to_owned(),
            session_minutes: 12 * 60,
            lockout_after_failures: 5,
            lockout_minutes: 15,
            secure_cookies: true,
            tls_certificate: None,
            tls_key: None,
            hosts: None,
            data_dir: None,
            facility_name: String::new(),
            waiting_place: WaitingPlace::AtKiosk,
            terminal_answer_seconds: 60,
            terminal_encoding: "sjis".to_owned(),
            eligibility_terminal: None,
            medical_institution_code: String::new(),
            orca_configured: false,
        }
    }
}

impl Default for FacilityConfig {
    fn default() -> Self {
        FacilityConfig {
            reads_smartphones: true,
            large_type: true,
            consent_items: ConsentItem::ALL.to_vec(),
            asks_high_cost_limit: true,
            asks_prescription_form: true,
            medical_aid_on_card: false,
            departments: Vec::new(),
            department: None,
            idle_timeout_seconds: 90,
            gateway_timeout_seconds: 15,
            reader_timeout_seconds: 10,
            final_screen_seconds: 60,
            action_screen_seconds: 90,
            ended_screen_seconds: 20,
            show_burden_ratio: false,
            waiting_place: WaitingPlace::AtKiosk,
            consent_dead_time_ms: 600,
            kiosk_name: DEFAULT_KIOSK_NAME.to_owned(),
            console: ConsoleSettings::default(),
            staff_mode: StaffModeSettings::default(),
            facility: FacilityIdentity::default(),
            reader_name: String::new(),
            gateway: String::new(),
            languages: SCREEN_LANGUAGES.iter().map(|l| (*l).to_owned()).collect(),
            orca: None,
            central: None,
            certified_reader: CertifiedReaderSettings::default(),
            voice: crate::voice::VoiceSettings::default(),
        }
    }
}

/// The kiosk's name when the facility file gives none. Records, the audit log and a closed
/// kiosk's row carry it as is, so it never changes; the console shows it as 「受付機1」.
pub const DEFAULT_KIOSK_NAME: &str = "kiosk-1";

/// A kiosk's name as staff see it, on the console's pages and in the audit log's sentences:
/// the name the facility gave it, except the default [`DEFAULT_KIOSK_NAME`] (kept as is in the
/// database, the audit log's detail and the CSV, so existing records and a closed kiosk's row
/// still match), which reads 「受付機1」.
pub fn kiosk_label(name: &str) -> &str {
    if name == DEFAULT_KIOSK_NAME {
        "受付機1"
    } else {
        name
    }
}

/// Allowed `final_screen_seconds` (the done screen and the handoffs that only send the patient
/// to the desk): long enough to read a number twice.
pub const FINAL_SCREEN_SECONDS: std::ops::RangeInclusive<u32> = 15..=600;
/// Allowed `action_screen_seconds`: nothing the patient must act on lasts under a minute.
pub const ACTION_SCREEN_SECONDS: std::ops::RangeInclusive<u32> = 60..=600;
/// Allowed `ended_screen_seconds` (cancelled, timed out).
pub const ENDED_SCREEN_SECONDS: std::ops::RangeInclusive<u32> = 15..=120;

impl FacilityConfig {
    /// Whether a card or phone check-in visiting on `visit_date` is asked the medical-aid
    /// certificate question: the facility is connected (`medical_aid_on_card`) and the rules'
    /// date has come.
    pub fn asks_medical_aid_certificate(&self, rules: &Rules, visit_date: Date) -> bool {
        self.medical_aid_on_card && rules.medical_aid_question_applies(visit_date)
    }

    /// Whether the patient chooses a department, and from which (see
    /// [`crate::departments::question`]).
    pub fn department_question(&self) -> crate::departments::DepartmentQuestion {
        crate::departments::question(&self.departments, self.department.as_deref())
    }

    /// Seconds the final screen of a check-in that ended with `outcome` stays (`None`: the
    /// save-failed screen, which the patient acts on). Handoffs the patient acts on
    /// ([`crate::domain::HandoffReason::patient_must_act`]) and save-failed: `action_screen_seconds`;
    /// cancelled and timed out: `ended_screen_seconds`; done and the other handoffs:
    /// `final_screen_seconds`.
    pub fn final_screen_seconds_for(&self, outcome: Option<Outcome>) -> u32 {
        match outcome {
            None => self.action_screen_seconds,
            Some(Outcome::HandedToStaff { reason }) if reason.patient_must_act() => {
                self.action_screen_seconds
            }
            Some(Outcome::Cancelled { .. } | Outcome::TimedOut { .. }) => self.ended_screen_seconds,
            Some(Outcome::Completed | Outcome::HandedToStaff { .. }) => self.final_screen_seconds,
        }
    }

    /// Reads a facility file; the first bad key is the error (see [`FacilityConfig::check_json`]
    /// for all of them).
    pub fn from_json(text: &str, source_name: &str) -> Result<FacilityConfig, RulesError> {
        Self::check_json(text, source_name).map_err(|mut errors| errors.remove(0))
    }

    /// Reads a facility file and checks every key, returning every problem (at least one on
    /// `Err`): a file that is not JSON or has an unknown key gives one `Parse` error; otherwise
    /// one `Invalid` error per bad key.
    pub fn check_json(text: &str, source_name: &str) -> Result<FacilityConfig, Vec<RulesError>> {
        let config: FacilityConfig = serde_json::from_str(text).map_err(|e| {
            vec![RulesError::Parse {
                source_name: source_name.to_owned(),
                detail: e.to_string(),
            }]
        })?;
        let problems: Vec<RulesError> = config
            .problems()
            .into_iter()
            .map(|(key, detail)| RulesError::Invalid {
                source_name: source_name.to_owned(),
                key: key.to_owned(),
                detail,
            })
            .collect();
        if problems.is_empty() {
            Ok(config)
        } else {
            Err(problems)
        }
    }

    /// Every bad key with what is wrong, in key order.
    fn problems(&self) -> Vec<(&'static str, String)> {
        let mut out: Vec<(&'static str, String)> = Vec::new();
        let mut invalid = |key: &'static str, detail: &str| out.push((key, detail.to_owned()));
        let config = self;
        for (key, value) in [
            ("idle_timeout_seconds", config.idle_timeout_seconds),
            ("gateway_timeout_seconds", config.gateway_timeout_seconds),
            ("reader_timeout_seconds", config.reader_timeout_seconds),
        ] {
            if value == 0 {
                invalid(key, "must be at least 1 second");
            }
        }
        for (key, value, range) in [
            (
                "final_screen_seconds",
                config.final_screen_seconds,
                FINAL_SCREEN_SECONDS,
            ),
            (
                "action_screen_seconds",
                config.action_screen_seconds,
                ACTION_SCREEN_SECONDS,
            ),
            (
                "ended_screen_seconds",
                config.ended_screen_seconds,
                ENDED_SCREEN_SECONDS,
            ),
        ] {
            if !range.contains(&value) {
                invalid(
                    key,
                    &format!("must be {} to {} seconds", range.start(), range.end()),
                );
            }
        }
        let reader = &config.certified_reader;
        if !(1..=600).contains(&reader.face_result_timeout_seconds) {
            invalid(
                "certified_reader.face_result_timeout_seconds",
                "must be 1 to 600 seconds",
            );
        }
        if reader.clock_skew_seconds > 30 {
            invalid(
                "certified_reader.clock_skew_seconds",
                "must be 0 to 30 seconds",
            );
        }
        if reader.late_file_quiet_seconds > 600 {
            invalid(
                "certified_reader.late_file_quiet_seconds",
                "must be 0 to 600 seconds",
            );
        }
        for (key, detail) in config.voice.problems() {
            invalid(key, &detail);
        }
        if config.consent_dead_time_ms > 3000 {
            invalid("consent_dead_time_ms", "must be 0 to 3000 milliseconds");
        }
        if !(3..=10).contains(&config.staff_mode.taps) {
            invalid("staff_mode.taps", "must be 3 to 10 taps");
        }
        if !(500..=10_000).contains(&config.staff_mode.tap_window_ms) {
            invalid(
                "staff_mode.tap_window_ms",
                "must be 500 to 10000 milliseconds",
            );
        }
        if !(10..=600).contains(&config.staff_mode.idle_seconds) {
            invalid("staff_mode.idle_seconds", "must be 10 to 600 seconds");
        }
        if config.kiosk_name.trim().is_empty() {
            invalid("kiosk_name", "must not be empty");
        }
        if config.console.bind.parse::<std::net::SocketAddr>().is_err() {
            invalid(
                "console.bind",
                "must be an address and port such as 127.0.0.1:8080 or 0.0.0.0:8080",
            );
        }
        if let Some(hosts) = &config.console.hosts {
            let bad = |h: &String| {
                h.is_empty()
                    || h.len() > 253
                    || !h
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
            };
            if hosts.is_empty() || hosts.iter().any(bad) {
                invalid(
                    "console.hosts",
                    "must list host names or addresses without port, e.g. [\"uketsuke-1f.local\", \"192.168.1.20\"]",
                );
            }
        }
        for (key, value) in [
            ("console.session_minutes", config.console.session_minutes),
            (
                "console.lockout_after_failures",
                config.console.lockout_after_failures,
            ),
            ("console.lockout_minutes", config.console.lockout_minutes),
            (
                "console.terminal_answer_seconds",
                config.console.terminal_answer_seconds,
            ),
        ] {
            if value == 0 {
                invalid(key, "must be at least 1");
            }
        }
        if !["sjis", "utf8"].contains(&config.console.terminal_encoding.as_str()) {
            invalid(
                "console.terminal_encoding",
                "must be \"sjis\" (Shift_JIS) or \"utf8\" (UTF-8)",
            );
        }
        match (&config.console.tls_certificate, &config.console.tls_key) {
            (Some(_), None) => invalid(
                "console.tls_key",
                "must be given with console.tls_certificate",
            ),
            (None, Some(_)) => invalid(
                "console.tls_certificate",
                "must be given with console.tls_key",
            ),
            _ => {}
        }
        for (key, detail) in
            crate::departments::problems(&config.departments, config.department.as_deref())
        {
            invalid(key, &detail);
        }
        let unique: HashSet<_> = config.consent_items.iter().collect();
        if unique.len() != config.consent_items.len() {
            invalid("consent_items", "an item is listed twice");
        }
        if !config.facility.code.is_empty()
            && let Some(problem) = medical_institution_code_problem(&config.facility.code)
        {
            invalid("facility.code", &problem);
        }
        let languages: HashSet<_> = config.languages.iter().collect();
        if config.languages.is_empty() {
            invalid("languages", "must list at least one language");
        } else if languages.len() != config.languages.len() {
            invalid("languages", "a language is listed twice");
        } else if let Some(other) = config
            .languages
            .iter()
            .find(|l| !SCREEN_LANGUAGES.contains(&l.as_str()))
        {
            invalid(
                "languages",
                &format!(
                    "{other:?} is not a language of the kiosk (known: {})",
                    SCREEN_LANGUAGES.join(", ")
                ),
            );
        }
        if let Some(orca) = &config.orca {
            out.extend(orca.problems());
        }
        if let Some(central) = &config.central {
            out.extend(central.problems());
        }
        out
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use crate::date;

    use super::*;

    #[test]
    fn embedded_rules_are_valid() {
        Rules::from_json(DEFAULT_RULES_JSON, "embedded").unwrap();
    }

    #[test]
    fn usage_rate_counts_card_and_readable_phone_but_not_portal_screen() {
        let rules = Rules::embedded();
        let day = date!(2026 - 11 - 21);
        let table = [
            (VerificationMethod::CardViaReader, true),
            (VerificationMethod::SmartphoneViaReader, true),
            (VerificationMethod::PortalScreenCheckedByStaff, false),
            (VerificationMethod::NoticeWithCardCheckedByStaff, false),
            (VerificationMethod::EligibilityCertificate, false),
            (VerificationMethod::ExpiredCardProvisional, false),
            (VerificationMethod::SelfDeclarationForm, false),
            (VerificationMethod::PastRecord, false),
        ];
        for (method, counts) in table {
            assert_eq!(
                rules.counts_toward_usage_rate(method, day),
                counts,
                "{method:?}"
            );
        }
    }

    /// Rules with one made-up target (the value is a test's, not a sourced one).
    pub(crate) fn rules_with_target(from: &str, percent: u8) -> Rules {
        let mut json: serde_json::Value = serde_json::from_str(DEFAULT_RULES_JSON).unwrap();
        json["usage_rate_targets"] = serde_json::json!([
            { "from": from, "percent": percent, "name": "テスト用の目標", "source": "a test" }
        ]);
        Rules::from_json(&json.to_string(), "test").unwrap()
    }

    #[test]
    fn a_usage_rate_target_is_read_only_from_dated_rules_data() {
        // The embedded rules carry the add-on's 30% (sourced; its start date UNCONFIRMED).
        let embedded = Rules::embedded();
        assert_eq!(embedded.usage_rate_target(date!(2026 - 05 - 31)), None);
        let addon = embedded.usage_rate_target(date!(2026 - 06 - 01)).unwrap();
        assert_eq!(
            (addon.percent, addon.name.as_str()),
            (30, "電子的診療情報連携体制整備加算")
        );
        assert!(addon.source.contains("mhlw.go.jp"), "{}", addon.source);
        let rules = rules_with_target("2026-06-01", 30);
        assert_eq!(rules.usage_rate_target(date!(2026 - 05 - 31)), None);
        let target = rules.usage_rate_target(date!(2026 - 06 - 01)).unwrap();
        assert_eq!(target.percent, 30);
        assert_eq!(target.from, date!(2026 - 06 - 01));

        let mut json: serde_json::Value = serde_json::from_str(DEFAULT_RULES_JSON).unwrap();
        json["usage_rate_targets"] = serde_json::json!([{ "from": "2026-06-01", "percent": 130, "name": "x", "source": "y" }]);
        let err = Rules::from_json(&json.to_string(), "t")
            .unwrap_err()
            .to_string();
        assert!(err.contains("usage_rate_targets[0].percent"), "{err}");
        json["usage_rate_targets"] = serde_json::json!([{ "from": "2026-06-01", "percent": 30, "name": "x", "source": " " }]);
        assert!(Rules::from_json(&json.to_string(), "t").is_err());
    }

    #[test]
    fn the_usage_rate_is_counted_per_person_from_december_2025() {
        let rules = Rules::embedded();
        for (day, formula) in [
            (date!(2025 - 11 - 30), UsageRateFormula::PerCheckIn),
            (date!(2025 - 12 - 01), UsageRateFormula::PerPerson),
            (date!(2026 - 11 - 30), UsageRateFormula::PerPerson),
        ] {
            assert_eq!(rules.usage_rate_formula(day), Some(formula), "{day}");
        }
    }

    #[test]
    fn phones_count_from_december_2025() {
        let rules = Rules::embedded();
        let m = VerificationMethod::SmartphoneViaReader;
        assert!(!rules.counts_toward_usage_rate(m, date!(2025 - 11 - 30)));
        assert!(rules.counts_toward_usage_rate(m, date!(2025 - 12 - 01)));
    }

    #[test]
    fn provisional_handling_ends_after_march_2026() {
        let rules = Rules::embedded();
        assert!(rules.provisional_handling_applies(date!(2026 - 03 - 31)));
        assert!(!rules.provisional_handling_applies(date!(2026 - 04 - 01)));
        assert!(rules.elderly_certificate_applies(date!(2026 - 07 - 31)));
        assert!(!rules.elderly_certificate_applies(date!(2026 - 08 - 01)));
    }

    #[test]
    fn departments_are_read_from_the_facility_file_and_bad_ones_name_their_key() {
        let c = FacilityConfig::from_json(
            r#"{"departments": [{"code": "01", "name": "内科"},
                {"code": "09", "name": "小児科", "name_en": "Children"}]}"#,
            "f.json",
        )
        .unwrap();
        assert_eq!(c.departments.len(), 2);
        assert_eq!(c.departments[1].name_en.as_deref(), Some("Children"));
        assert!(matches!(
            c.department_question(),
            crate::departments::DepartmentQuestion::Ask(_)
        ));
        assert_eq!(FacilityConfig::default().departments, vec![]);
        assert_eq!(FacilityConfig::default().department, None);
        for (text, key) in [
            (
                r#"{"departments": [{"code": "01", "name": "内科"}], "department": "02"}"#,
                "department",
            ),
            (
                r#"{"departments": [{"code": "01", "name": ""}]}"#,
                "departments",
            ),
        ] {
            let errors = FacilityConfig::check_json(text, "f.json").unwrap_err();
            assert!(
                matches!(&errors[0], RulesError::Invalid { key: k, .. } if k == key),
                "{text}: {errors:?}"
            );
            assert!(errors[0].to_string().contains("f.json"), "{}", errors[0]);
        }
        // A misspelt field of a department is refused with the file named.
        let err = FacilityConfig::from_json(
            r#"{"departments": [{"code": "01", "nmae": "内科"}]}"#,
            "f.json",
        )
        .unwrap_err();
        assert!(err.to_string().contains("f.json"), "{err}");
    }

    #[test]
    fn the_medical_aid_question_is_asked_from_april_2026_where_the_facility_is_connected() {
        let rules = Rules::embedded();
        let connected = FacilityConfig {
            medical_aid_on_card: true,
            ..FacilityConfig::default()
        };
        let table = [
            (&connected, date!(2026 - 03 - 31), false),
            (&connected, date!(2026 - 04 - 01), true),
            (&connected, date!(2026 - 11 - 30), true),
        ];
        for (facility, day, asked) in table {
            assert_eq!(
                facility.asks_medical_aid_certificate(&rules, day),
                asked,
                "{day}"
            );
        }
        // Not connected (the default): never, on either side of the date.
        let default = FacilityConfig::default();
        assert!(!default.medical_aid_on_card);
        for day in [date!(2026 - 03 - 31), date!(2026 - 04 - 01)] {
            assert!(!default.asks_medical_aid_certificate(&rules, day), "{day}");
        }
        // Without the rule, never; a rule without a source is refused, by key.
        let mut json: serde_json::Value = serde_json::from_str(DEFAULT_RULES_JSON).unwrap();
        json.as_object_mut()
            .unwrap()
            .remove("medical_aid_certificate_question");
        let without = Rules::from_json(&json.to_string(), "t").unwrap();
        assert!(!connected.asks_medical_aid_certificate(&without, date!(2026 - 11 - 30)));
        json["medical_aid_certificate_question"] =
            serde_json::json!({ "from": "2026-04-01", "source": " " });
        let err = Rules::from_json(&json.to_string(), "t")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("medical_aid_certificate_question.source"),
            "{err}"
        );
        let c = FacilityConfig::from_json(r#"{"medical_aid_on_card": true}"#, "f.json").unwrap();
        assert!(c.medical_aid_on_card);
        assert!(FacilityConfig::from_json(r#"{"medical_aid_on_card": "yes"}"#, "f.json").is_err());
    }

    #[test]
    fn burden_ratio_by_age_at_visit_date() {
        let rules = Rules::embedded();
        let visit = date!(2026 - 11 - 21);
        let table = [
            (date!(2022 - 05 - 10), 20), // preschool
            (date!(2020 - 04 - 02), 20), // enters school April 2027
            (date!(2020 - 04 - 01), 30), // entered school April 2026
            (date!(1980 - 01 - 01), 30),
            (date!(1956 - 11 - 22), 30), // 69, turns 70 tomorrow
            (date!(1956 - 11 - 21), 20), // 70 today
            (date!(1951 - 11 - 21), 10), // 75 today
        ];
        for (born, ratio) in table {
            assert_eq!(
                rules.burden_ratio_by_age(born, visit),
                Some(BurdenRatio(ratio)),
                "born {born}"
            );
        }
    }

    #[test]
    fn bad_rules_name_the_key() {
        let text = DEFAULT_RULES_JSON.replace("\"ratio\": 30", "\"ratio\": 130");
        let err = Rules::from_json(&text, "rules.json")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("rules.json") && err.contains("bands[2].ratio"),
            "{err}"
        );

        let text =
            DEFAULT_RULES_JSON.replace("\"method\": \"past_record\"", "\"method\": \"oops\"");
        let err = Rules::from_json(&text, "rules.json")
            .unwrap_err()
            .to_string();
        assert!(err.contains("rules.json") && err.contains("oops"), "{err}");
    }

    #[test]
    fn facility_config_defaults_and_errors() {
        let c = FacilityConfig::from_json("{}", "f.json").unwrap();
        assert_eq!(c, FacilityConfig::default());
        let c = FacilityConfig::from_json(r#"{"reads_smartphones": false}"#, "f.json").unwrap();
        assert!(!c.reads_smartphones);
        let err = FacilityConfig::from_json(r#"{"idle_timeout_seconds": 0}"#, "f.json")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("f.json") && err.contains("idle_timeout_seconds"),
            "{err}"
        );
        let err = FacilityConfig::from_json(r#"{"reads_phones": true}"#, "f.json")
            .unwrap_err()
            .to_string();
        assert!(err.contains("reads_phones"), "{err}");
    }

    #[test]
    fn facility_config_names_every_bad_key() {
        let errors = FacilityConfig::check_json(
            r#"{"idle_timeout_seconds": 0, "kiosk_name": " ", "languages": ["fr"],
                "facility": {"code": "0110113718"}, "console": {"tls_key": "/k.pem"}}"#,
            "f.json",
        )
        .unwrap_err();
        let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
        for key in [
            "idle_timeout_seconds",
            "kiosk_name",
            "languages",
            "facility.code",
            "console.tls_certificate",
        ] {
            assert!(
                text.iter().any(|t| t.contains(&format!("f.json: {key}: "))),
                "{key}: {text:?}"
            );
        }
    }

    #[test]
    fn medical_institution_codes() {
        // Japanese Wikipedia's example, and the same number made dental and pharmacy with
        // their own check digits.
        assert_eq!(medical_institution_code_problem("0110113719"), None);
        assert_eq!(medical_institution_code_problem("0130113715"), None);
        assert_eq!(medical_institution_code_problem("0140113713"), None);
        assert_eq!(medical_institution_code_problem("4730000009"), None);
        for (bad, says) in [
            ("0110113718", "check digit"),
            ("0110113710", "check digit"),
            ("4810113719", "prefecture"),
            ("0010113719", "prefecture"),
            ("0120113719", "score table"),
            ("011011371", "10 digits"),
            ("01101137190", "10 digits"),
            ("０110113719", "10 digits"),
            ("01-0113719", "10 digits"),
        ] {
            let problem = medical_institution_code_problem(bad).unwrap_or_default();
            assert!(problem.contains(says), "{bad}: {problem:?}");
        }
        // Every single mistyped digit is caught.
        let good = b"0110113719";
        for i in 0..10 {
            for d in b'0'..=b'9' {
                if d == good[i] {
                    continue;
                }
                let mut typo = *good;
                typo[i] = d;
                let typo = String::from_utf8(typo.to_vec()).unwrap();
                assert!(
                    medical_institution_code_problem(&typo).is_some(),
                    "{typo} passes"
                );
            }
        }
    }

    #[test]
    fn final_screen_settings_have_their_defaults_and_ranges_named_by_key() {
        let f = FacilityConfig::default();
        assert_eq!(
            (
                f.final_screen_seconds,
                f.action_screen_seconds,
                f.ended_screen_seconds
            ),
            (60, 90, 20)
        );
        assert!(!f.show_burden_ratio);
        assert_eq!(f.waiting_place, WaitingPlace::AtKiosk);
        for (json, key) in [
            (r#"{"final_screen_seconds": 14}"#, "final_screen_seconds"),
            (r#"{"final_screen_seconds": 601}"#, "final_screen_seconds"),
            (r#"{"action_screen_seconds": 59}"#, "action_screen_seconds"),
            (r#"{"action_screen_seconds": 601}"#, "action_screen_seconds"),
            (r#"{"ended_screen_seconds": 5}"#, "ended_screen_seconds"),
            (r#"{"ended_screen_seconds": 121}"#, "ended_screen_seconds"),
        ] {
            let err = FacilityConfig::from_json(json, "f.json")
                .expect_err(json)
                .to_string();
            assert!(err.contains("f.json") && err.contains(key), "{json}: {err}");
        }
        for (json, key) in [
            (r#"{"waiting_place": "by_the_door"}"#, "waiting_place"),
            (r#"{"show_burden_ratio": "yes"}"#, "show_burden_ratio"),
        ] {
            let err = FacilityConfig::from_json(json, "f.json")
                .expect_err(json)
                .to_string();
            assert!(err.contains(key) || err.contains("f.json"), "{json}: {err}");
        }
        let ok = FacilityConfig::from_json(
            r#"{"final_screen_seconds": 15, "action_screen_seconds": 600,
                "ended_screen_seconds": 15, "show_burden_ratio": true,
                "waiting_place": "at_reception_desk"}"#,
            "f.json",
        )
        .expect("the edges are allowed");
        assert!(ok.show_burden_ratio);
        assert_eq!(ok.waiting_place, WaitingPlace::AtReceptionDesk);
    }

    #[test]
    fn each_final_screen_takes_the_setting_for_what_it_asks() {
        let f = FacilityConfig {
            final_screen_seconds: 61,
            action_screen_seconds: 91,
            ended_screen_seconds: 21,
            ..FacilityConfig::default()
        };
        use crate::domain::HandoffReason;
        let handed = |reason| Some(Outcome::HandedToStaff { reason });
        assert_eq!(
            f.final_screen_seconds_for(handed(HandoffReason::ConfirmPortalScreen)),
            91
        );
        assert_eq!(
            f.final_screen_seconds_for(handed(HandoffReason::PaperDocument)),
            91
        );
        assert_eq!(f.final_screen_seconds_for(None), 91, "save-failed");
        assert_eq!(
            f.final_screen_seconds_for(handed(HandoffReason::PatientCalledStaff)),
            61
        );
        assert_eq!(f.final_screen_seconds_for(Some(Outcome::Completed)), 61);
        let at = crate::domain::Step::Welcome;
        assert_eq!(
            f.final_screen_seconds_for(Some(Outcome::Cancelled { at })),
            21
        );
        assert_eq!(
            f.final_screen_seconds_for(Some(Outcome::TimedOut { at })),
            21
        );
    }
}
