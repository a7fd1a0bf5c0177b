//! The monthly report: check-ins by verification method and the My Number usage-rate share.
//!
//! Owns: counting and formatting (a table for people, CSV for spreadsheets, the one-line answer
//! the console's report page gives the manager). Must not know: SQL (it is given stored
//! check-ins), the rules (each check-in carries whether it counted, decided with the rules in
//! force on its visit date; a target, when the rules have one, is handed in).
//!
//! The share is counted check-ins over check-ins whose eligibility was confirmed some way
//! ([`StoredCheckIn::confirmed_verification`]): completed at the kiosk, or closed by staff with
//! a method. Handoffs still open are 「対応待ち」 (waiting for staff) whatever route the kiosk
//! expected staff to take (review 2026-11 row 3, issue 16 item 4: an open portal-screen,
//! notice-with-card or certificate handoff is not a confirmed eligibility; the kiosk records
//! that route as `expected_route`, never as the method), counted by the queue's own rule
//! ([`StoredCheckIn::is_open_handoff`], the store's `open_handoffs`), so the waiting count is
//! the queue's for that month. They, cancelled ones, timed-out ones and those staff could not
//! confirm are listed but are not in the denominator.
//!
//! This is the kiosk's per-visit count, a reference figure: the add-on is judged on the rate
//! per receipt that 支払基金 notifies ([`RECEIPT_BASIS_NOTE`]).
//!
//! Per person ([`PeopleCount`], the national formula from the December 2025 publication:
//! マイナ保険証利用人数 ÷ レセプト件数): the top is the distinct patients (pseudonymous keys,
//! [`crate::patient_key`]) with at least one check-in that counts toward the usage rate; the
//! bottom is the distinct patients with a confirmed check-in that month, at the kiosk or closed
//! at the desk, a stand-in for the receipts only the receipt software knows
//! ([`RECEIPTS_STAND_IN_NOTE`]). Check-ins that give no patient (cancelled, unresolved, timed
//! out, or confirmed without any numbers) are counted as not countable, never guessed.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;

use crate::domain::{ClosedAs, Outcome, StoredCheckIn, VerificationMethod};
use crate::rules::{Rules, UsageRateFormula, UsageRateTarget};

/// The month counted per person (issue 16 item 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PeopleCount {
    /// Distinct patients with at least one check-in counted toward the usage rate (the top).
    pub card_users: usize,
    /// Distinct patients with a confirmed check-in (the bottom; a stand-in for receipts).
    pub people: usize,
    /// Check-ins, not waiting for staff, that give no patient: cancelled, closed unresolved,
    /// timed out, or confirmed without any insurance numbers.
    pub not_countable: usize,
}

impl PeopleCount {
    /// Counts `check_ins` by their patient keys (`keys`: check-in id → key; a check-in absent
    /// from it has none). Open handoffs are left out: they wait for staff.
    pub fn from_check_ins(check_ins: &[StoredCheckIn], keys: &HashMap<i64, String>) -> Self {
        let rows: Vec<ReportRow> = check_ins
            .iter()
            .map(|c| ReportRow::of_stored(c, keys.get(&c.id).cloned()))
            .collect();
        Self::from_rows(&rows)
    }

    /// Counts rows by their patient keys; open handoffs are left out. Rows of several kiosks
    /// count one patient once where the kiosks share the facility's patient-key secret.
    pub fn from_rows(rows: &[ReportRow]) -> Self {
        let mut users: HashSet<&str> = HashSet::new();
        let mut people: HashSet<&str> = HashSet::new();
        let mut not_countable = 0;
        for row in rows {
            if row.open_handoff {
                continue;
            }
            match (row.method, row.patient_key.as_deref()) {
                (Some(_), Some(key)) => {
                    people.insert(key);
                    if row.counts {
                        users.insert(key);
                    }
                }
                _ => not_countable += 1,
            }
        }
        PeopleCount {
            card_users: users.len(),
            people: people.len(),
            not_countable,
        }
    }

    /// The rate per person in percent; `None` without anyone in the bottom.
    pub fn percent(&self) -> Option<f64> {
        (self.people > 0).then(|| 100.0 * self.card_users as f64 / self.people as f64)
    }

    /// How many more of this month's patients using the card would bring the rate per person
    /// to `percent` (0 when it is reached): the smallest n with (top + n) ÷ bottom ≥ percent.
    pub fn more_needed(&self, percent: u8) -> usize {
        let needed = (usize::from(percent) * self.people).div_ceil(100);
        needed.saturating_sub(self.card_users)
    }
}

/// One check-in as the report counts it: all [`MonthReport`] and [`PeopleCount`] read of a
/// check-in, the same whether it comes from the kiosk's store ([`ReportRow::of_stored`]) or from
/// the central database's copy of the outbox (`crate::central`, wire v1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportRow {
    /// A handoff nobody has closed yet (「対応待ち」).
    pub open_handoff: bool,
    /// How eligibility was confirmed, once it is ([`StoredCheckIn::confirmed_verification`]).
    pub method: Option<VerificationMethod>,
    /// Whether it counts toward the usage rate (decided with the rules of its visit date).
    pub counts: bool,
    /// How a check-in without a method ended.
    pub ended: Ended,
    /// The pseudonymous patient key (64 hex digits), when the check-in gives a patient.
    pub patient_key: Option<String>,
}

/// How a check-in without a confirmed method ended, for the report's lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    TimedOut,
    /// Cancelled by the patient, or a handoff closed as cancelled.
    Cancelled,
    /// Closed unresolved (or, never seen, completed without a method).
    Otherwise,
}

impl ReportRow {
    /// The row of a stored check-in with its patient key.
    pub fn of_stored(stored: &StoredCheckIn, patient_key: Option<String>) -> Self {
        let ended = match (
            &stored.record.outcome,
            stored.resolution.as_ref().map(|r| &r.closed_as),
        ) {
            (Outcome::TimedOut { .. }, _) => Ended::TimedOut,
            (Outcome::Cancelled { .. }, _) | (_, Some(ClosedAs::Cancelled)) => Ended::Cancelled,
            _ => Ended::Otherwise,
        };
        ReportRow {
            open_handoff: stored.is_open_handoff(),
            method: stored.confirmed_verification(),
            counts: stored.record.counts_toward_usage_rate,
            ended,
            patient_key,
        }
    }

    /// The row of a check-in as the outbox's wire v1 carries it (`crate::outbox::CheckInV1`:
    /// `outcome`, `verification`, `resolution.closed_as`, `counts_toward_usage_rate`); `None`
    /// when a name in it is not one this build knows.
    pub fn of_wire(c: &crate::outbox::CheckInV1, patient_key: Option<String>) -> Option<Self> {
        let closed_as = c.resolution.as_ref().map(|r| r.closed_as.as_str());
        let method = match &c.verification {
            Some(v) => Some(VerificationMethod::parse(v)?),
            None => None,
        };
        let ended = match (c.outcome.as_str(), closed_as) {
            ("timed_out", _) => Ended::TimedOut,
            ("cancelled", _) | (_, Some("cancelled")) => Ended::Cancelled,
            ("completed" | "handed_to_staff", _) => Ended::Otherwise,
            _ => return None,
        };
        Some(ReportRow {
            open_handoff: c.outcome == "handed_to_staff" && c.resolution.is_none(),
            method,
            counts: c.counts_toward_usage_rate,
            ended,
            patient_key,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MethodRow {
    pub method: VerificationMethod,
    pub check_ins: usize,
    /// How many of them count toward the usage rate.
    pub counted: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonthReport {
    /// "YYYY-MM".
    pub month: String,
    /// One row per verification method, in a fixed order, zero rows included.
    pub methods: Vec<MethodRow>,
    /// Handoffs of this month still open (「対応待ち」, waiting for staff): in the queue, not in
    /// the share.
    pub pending_staff: usize,
    /// Handed to staff, who could not confirm eligibility.
    pub unresolved: usize,
    pub cancelled: usize,
    pub timed_out: usize,
    /// The month per person, when the patient keys were given ([`MonthReport::with_people`]).
    pub people: Option<PeopleCount>,
    /// The national formula in force at the month's end, from the rules ([`MonthReport::with_rules`]).
    pub formula: Option<UsageRateFormula>,
    /// The target in force at the month's end, from the rules.
    pub target: Option<UsageRateTarget>,
}

impl MonthReport {
    pub fn from_check_ins(month: &str, check_ins: &[StoredCheckIn]) -> MonthReport {
        let rows: Vec<ReportRow> = check_ins
            .iter()
            .map(|c| ReportRow::of_stored(c, None))
            .collect();
        Self::from_rows(month, &rows)
    }

    /// The report of `rows` (one kiosk's, or several kiosks' from the central database).
    pub fn from_rows(month: &str, rows: &[ReportRow]) -> MonthReport {
        let mut methods: Vec<MethodRow> = VerificationMethod::ALL
            .into_iter()
            .map(|method| MethodRow {
                method,
                check_ins: 0,
                counted: 0,
            })
            .collect();
        let mut report = MonthReport {
            month: month.to_owned(),
            methods: Vec::new(),
            pending_staff: 0,
            unresolved: 0,
            cancelled: 0,
            timed_out: 0,
            people: None,
            formula: None,
            target: None,
        };
        for row in rows {
            if row.open_handoff {
                report.pending_staff += 1;
                continue;
            }
            match row.method {
                Some(method) => {
                    if let Some(m) = methods.iter_mut().find(|m| m.method == method) {
                        m.check_ins += 1;
                        if row.counts {
                            m.counted += 1;
                        }
                    }
                }
                None => match row.ended {
                    Ended::TimedOut => report.timed_out += 1,
                    Ended::Cancelled => report.cancelled += 1,
                    // Closed unresolved (or, never seen, completed without a method).
                    Ended::Otherwise => report.unresolved += 1,
                },
            }
        }
        report.methods = methods;
        report
    }

    /// The report of `rows` counted per person too (each row's own patient key).
    pub fn from_rows_with_people(month: &str, rows: &[ReportRow]) -> MonthReport {
        let mut report = Self::from_rows(month, rows);
        report.people = Some(PeopleCount::from_rows(rows));
        report
    }

    /// The same report counted per person too, from the check-ins' patient keys (check-in id
    /// → key, as `Store::patient_keys_for_month` gives them).
    pub fn with_people(mut self, check_ins: &[StoredCheckIn], keys: &HashMap<i64, String>) -> Self {
        self.people = Some(PeopleCount::from_check_ins(check_ins, keys));
        self
    }

    /// The formula and the target the rules give for the month's last day.
    pub fn with_rules(mut self, rules: &Rules) -> Self {
        if let Some(day) = last_day(&self.month) {
            self.formula = rules.usage_rate_formula(day);
            self.target = rules.usage_rate_target(day);
        }
        self
    }

    /// 「人数で数えた利用率 2人 ÷ 3人 = 66.7%」; `None` before the people are counted.
    pub fn per_person_line(&self) -> Option<String> {
        let p = self.people?;
        let rate = p
            .percent()
            .map_or_else(|| "まだ出せません".to_owned(), |r| format!("{r:.1}%"));
        Some(format!(
            "{PER_PERSON_JAPANESE} {}人 ÷ {}人 = {rate}",
            p.card_users, p.people
        ))
    }

    /// 「人数に数えられない受付 2件（取消・確認できず・時間切れ・番号の記録がない受付）」.
    pub fn not_countable_line(&self) -> Option<String> {
        self.people.map(|p| {
            format!(
                "{NOT_COUNTABLE_JAPANESE} {}件（取消・確認できず・時間切れ・番号の記録がない受付）",
                p.not_countable
            )
        })
    }

    /// The rate per person against the target: 「目標 30%：達成」 or 「目標 30%まで あと1人」
    /// (more of this month's patients using the card); `None` without a target or people.
    pub fn people_target_line(&self) -> Option<String> {
        let (p, target) = (self.people?, self.target.as_ref()?);
        p.percent()?;
        Some(match p.more_needed(target.percent) {
            0 => format!("人数で 目標 {}%：達成", target.percent),
            n => format!(
                "人数で 目標 {}%まで あと{n}人（今月の患者さんのうち、あと{n}人がマイナ保険証を使えば達成）",
                target.percent
            ),
        })
    }

    /// Check-ins with a confirmed verification method: the denominator of the share.
    pub fn verified(&self) -> usize {
        self.methods.iter().map(|r| r.check_ins).sum()
    }

    /// Check-ins that count toward the My Number usage rate: the numerator.
    pub fn counted(&self) -> usize {
        self.methods.iter().map(|r| r.counted).sum()
    }

    /// The usage-rate share in percent, `None` when nothing was verified.
    pub fn usage_rate_percent(&self) -> Option<f64> {
        let verified = self.verified();
        (verified > 0).then(|| 100.0 * self.counted() as f64 / verified as f64)
    }

    fn rate_text(&self) -> String {
        match self.usage_rate_percent() {
            Some(p) => format!("{p:.1}%"),
            None => "n/a".to_owned(),
        }
    }

    /// A table for people.
    pub fn table(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "uketsuke check-ins, {}", self.month);
        let _ = writeln!(
            out,
            "{:<36} {:>9} {:>8} {:>8}",
            "verification method", "check-ins", "counted", "share"
        );
        let verified = self.verified();
        for row in &self.methods {
            let share = if verified > 0 {
                format!("{:.1}%", 100.0 * row.check_ins as f64 / verified as f64)
            } else {
                "-".to_owned()
            };
            let _ = writeln!(
                out,
                "{:<36} {:>9} {:>8} {:>8}",
                row.method.as_str(),
                row.check_ins,
                row.counted,
                share
            );
        }
        let _ = writeln!(out, "{:<36} {:>9}", "total verified", verified);
        let _ = writeln!(out, "{:<36} {:>9}", "waiting for staff", self.pending_staff);
        let _ = writeln!(
            out,
            "{:<36} {:>9}",
            "staff could not confirm", self.unresolved
        );
        let _ = writeln!(out, "{:<36} {:>9}", "cancelled", self.cancelled);
        let _ = writeln!(out, "{:<36} {:>9}", "timed out", self.timed_out);
        let _ = writeln!(
            out,
            "My Number usage-rate share: {} / {} = {}{}",
            self.counted(),
            verified,
            self.rate_text(),
            if self.formula == Some(UsageRateFormula::PerCheckIn) {
                "  (the national formula for this month)"
            } else {
                ""
            }
        );
        if let Some(p) = self.people {
            let rate = p
                .percent()
                .map_or_else(|| "n/a".to_owned(), |r| format!("{r:.1}%"));
            let _ = writeln!(
                out,
                "My Number usage rate per person: {} / {} people = {rate}{}",
                p.card_users,
                p.people,
                if self.formula == Some(UsageRateFormula::PerPerson) {
                    "  (the national formula for this month)"
                } else {
                    ""
                }
            );
            let _ = writeln!(
                out,
                "  top: patients who used the My Number card or a phone through the reader at least once"
            );
            let _ = writeln!(
                out,
                "  bottom: patients checked in this month (kiosk or desk), a stand-in for receipts \
                 (レセプト件数), which only the receipt software knows"
            );
            let _ = writeln!(
                out,
                "{:<36} {:>9}",
                "not countable (no patient key)", p.not_countable
            );
            let _ = writeln!(
                out,
                "  cancelled, unresolved, timed out, or confirmed without insurance numbers: never guessed"
            );
            if let Some(t) = &self.target {
                let state = match (p.percent(), p.more_needed(t.percent)) {
                    (None, _) => "no patient counted yet".to_owned(),
                    (Some(_), 0) => "reached".to_owned(),
                    (Some(_), 1) => {
                        "1 more person using the card this month would reach it".to_owned()
                    }
                    (Some(_), n) => {
                        format!("{n} more people using the card this month would reach it")
                    }
                };
                let _ = writeln!(
                    out,
                    "threshold {}% ({}, from {}): {state}",
                    t.percent, t.name, t.from
                );
            }
        }
        out
    }

    /// CSV for spreadsheets, UTF-8 without a byte-order mark (see [`MonthReport::csv_for_excel`]).
    /// Each row: the month, the category's code, its name in Japanese (「確認方法」), the
    /// check-ins, how many count toward the usage rate, and the share of confirmed check-ins.
    /// Method rows first, then the open, unresolved, cancelled and timed-out rows; then
    /// `usage_rate` carries the denominator, the numerator and the share. Counted per person
    /// ([`MonthReport::with_people`]): `usage_rate_per_person` (people, card users, percent),
    /// `not_countable` (check-ins that give no patient), and with a target in the rules
    /// `usage_rate_target` (its name; in `check_ins` how many more card users would reach it;
    /// in `share_percent` the target).
    pub fn csv(&self) -> String {
        let mut out = String::from(
            "month,category,確認方法,check_ins,counted_toward_usage_rate,share_percent\n",
        );
        let verified = self.verified();
        let percent = |part: usize| {
            if verified > 0 {
                format!("{:.1}", 100.0 * part as f64 / verified as f64)
            } else {
                String::new()
            }
        };
        for row in &self.methods {
            let _ = writeln!(
                out,
                "{},{},{},{},{},{}",
                self.month,
                row.method.as_str(),
                row.method.japanese(),
                row.check_ins,
                row.counted,
                percent(row.check_ins)
            );
        }
        for (category, japanese, n) in [
            ("waiting_for_staff", PENDING_JAPANESE, self.pending_staff),
            ("unresolved_by_staff", "確認できず", self.unresolved),
            ("cancelled", "取消", self.cancelled),
            ("timed_out", "時間切れ", self.timed_out),
        ] {
            let _ = writeln!(out, "{},{category},{japanese},{n},0,", self.month);
        }
        let _ = writeln!(
            out,
            "{},usage_rate,{},{},{},{}",
            self.month,
            RATE_JAPANESE,
            verified,
            self.counted(),
            percent(self.counted())
        );
        if let Some(p) = self.people {
            let _ = writeln!(
                out,
                "{},usage_rate_per_person,{PER_PERSON_JAPANESE},{},{},{}",
                self.month,
                p.people,
                p.card_users,
                p.percent().map_or_else(String::new, |r| format!("{r:.1}"))
            );
            let _ = writeln!(
                out,
                "{},not_countable,{NOT_COUNTABLE_JAPANESE},{},0,",
                self.month, p.not_countable
            );
            if let Some(t) = &self.target {
                let _ = writeln!(
                    out,
                    "{},usage_rate_target,目標（{}）,{},,{}",
                    self.month,
                    t.name,
                    p.more_needed(t.percent),
                    t.percent
                );
            }
        }
        out
    }

    /// [`MonthReport::csv`] with a UTF-8 byte-order mark first, so Excel on Japanese Windows
    /// reads it as UTF-8 rather than Shift_JIS (review 2026-11 row 18).
    pub fn csv_for_excel(&self) -> String {
        format!("\u{feff}{}", self.csv())
    }

    /// Every check-in of the month, whatever became of it.
    pub fn total(&self) -> usize {
        self.verified() + self.pending_staff + self.unresolved + self.cancelled + self.timed_out
    }

    /// The share as staff read it, e.g. `53.8%`; `None` when nothing was confirmed.
    pub fn rate_japanese(&self) -> Option<String> {
        self.usage_rate_percent().map(|p| format!("{p:.1}%"))
    }

    /// The manager's one-line answer (review 2026-11 row 17), e.g.
    /// 「今月のマイナ保険証利用率（受付機の記録）53.8%」; `this_month` says 「今月」, otherwise
    /// the month is named (「2026年10月の…」). A month without check-ins, or without a
    /// confirmed one, says so in a sentence instead of a number.
    pub fn headline(&self, this_month: bool) -> String {
        let when = if this_month {
            "今月".to_owned()
        } else {
            month_japanese(&self.month)
        };
        match self.rate_japanese() {
            Some(rate) => format!("{when}の{RATE_JAPANESE}{rate}"),
            None if self.total() == 0 => format!("{when}の受付機の記録はまだありません。"),
            None => {
                format!("{when}はまだ確認の済んだ受付がないため、{RATE_JAPANESE}は出せません。")
            }
        }
    }

    /// The month before beside the answer: 「先月 41.2%」 (「前月」 when the month shown is not
    /// this one), or 「先月 記録なし」 when that month had no confirmed check-in.
    pub fn comparison(&self, previous: &MonthReport, this_month: bool) -> String {
        let label = if this_month { "先月" } else { "前月" };
        match previous.rate_japanese() {
            Some(rate) => format!("{label} {rate}"),
            None => format!("{label} 記録なし"),
        }
    }

    /// 「目標 30%：達成」 or 「目標 30%：未達」 against a target from the rules data; `None`
    /// when nothing was confirmed this month.
    pub fn target_line(&self, target: &UsageRateTarget) -> Option<String> {
        let rate = self.usage_rate_percent()?;
        let met = rate >= f64::from(target.percent);
        Some(format!(
            "目標 {}%：{}",
            target.percent,
            if met { "達成" } else { "未達" }
        ))
    }

    /// 「対応待ち 13件（利用率の計算に含めない）」: the month's open handoffs, in the queue's
    /// word (its heading says 「対応待ち 13件」 for the same handoffs).
    pub fn waiting_line(&self) -> String {
        format!(
            "対応待ち {}件（利用率の計算に含めない）",
            self.pending_staff
        )
    }
}

/// What the kiosk's share is not: the add-on is judged on the receipt-based rate.
pub const RECEIPT_BASIS_NOTE: &str =
    "加算の判定には支払基金から届くレセプト件数ベースの利用率を使います（この数字は参考値）";

/// The name of the kiosk's share, in staff words.
pub const RATE_JAPANESE: &str = "マイナ保険証利用率（受付機の記録）";

/// The rate per person, in staff words.
pub const PER_PERSON_JAPANESE: &str = "人数で数えた利用率（マイナ保険証を使った人 ÷ 受付した人）";

/// Check-ins that give no patient.
pub const NOT_COUNTABLE_JAPANESE: &str = "人数に数えられない受付";

/// What the bottom of the rate per person stands in for.
pub const RECEIPTS_STAND_IN_NOTE: &str =
    "「受付した人」はレセプト件数の代わりです（レセプト件数はレセコンだけが知っています）";

/// The open handoffs' row: waiting for staff, the queue's word.
pub const PENDING_JAPANESE: &str = "対応待ち（利用率の計算に含めない）";

/// `2026-11` → 「2026年11月」 (anything else as given).
pub fn month_japanese(month: &str) -> String {
    match parse_month(month) {
        Some((y, m)) => format!("{y}年{m}月"),
        None => month.to_owned(),
    }
}

/// The month before `YYYY-MM`, as `YYYY-MM`; `None` for anything else.
pub fn previous_month(month: &str) -> Option<String> {
    let (y, m) = parse_month(month)?;
    Some(if m == 1 {
        format!("{:04}-12", y - 1)
    } else {
        format!("{y:04}-{:02}", m - 1)
    })
}

/// The last day of `YYYY-MM`, the day a dated target is read at; `None` for anything else.
pub fn last_day(month: &str) -> Option<crate::dates::Date> {
    let (y, m) = parse_month(month)?;
    crate::dates::last_day_of_month(y, u32::from(m))
}

/// Parses a report month, `YYYY-MM` (e.g. `2026-11`), into (year, month 1..=12); `None` for
/// anything else.
pub fn parse_month(month: &str) -> Option<(i32, u8)> {
    let (y, m) = month.split_once('-')?;
    let year: i32 = y.parse().ok()?;
    let mon: u8 = m.parse().ok()?;
    (y.len() == 4 && m.len() == 2 && (1..=12).contains(&mon)).then_some((year, mon))
}

#[cfg(test)]
mod tests {
    use crate::datetime;

    use super::*;
    use crate::domain::{CheckInRecord, HandoffReason, HandoffResolution, Step};

    fn check_in(
        outcome: Outcome,
        verification: Option<VerificationMethod>,
        counts: bool,
    ) -> StoredCheckIn {
        let at = datetime!(2026-11-30 05:10 +09:00);
        StoredCheckIn {
            id: 1,
            reception_number: None,
            record: CheckInRecord {
                started_at: at,
                finished_at: at,
                visit_date: at.date_naive(),
                presented: None,
                identity: None,
                verification,
                counts_toward_usage_rate: counts,
                expected_route: None,
                consent: Default::default(),
                eligibility: None,
                outcome,
                checklist: vec![],
                wrong_pin_entries: 0,
                kiosk: "受付機1".to_owned(),
                patient_name: None,
                department: None,
            },
            resolution: None,
        }
    }

    fn card() -> StoredCheckIn {
        check_in(
            Outcome::Completed,
            Some(VerificationMethod::CardViaReader),
            true,
        )
    }

    /// An open handoff as the kiosk commits it, with the route it expects staff to take.
    fn open(reason: HandoffReason, expected: Option<VerificationMethod>) -> StoredCheckIn {
        let mut c = check_in(Outcome::HandedToStaff { reason }, None, false);
        c.record.expected_route = expected;
        c
    }

    /// An open handoff as a kiosk before schema v10 committed it: the expected route written
    /// as the method (and, for several matches, counted).
    fn open_labelled_as_verified(
        reason: HandoffReason,
        method: VerificationMethod,
        counts: bool,
    ) -> StoredCheckIn {
        check_in(Outcome::HandedToStaff { reason }, Some(method), counts)
    }

    fn closed(reason: HandoffReason, closed_as: ClosedAs) -> StoredCheckIn {
        let mut c = open(reason, None);
        c.record.verification = match &closed_as {
            ClosedAs::Verified { verification, .. } => Some(*verification),
            _ => None,
        };
        c.resolution = Some(HandoffResolution {
            closed_as,
            note: String::new(),
            staff: "sato".to_owned(),
            resolved_at: datetime!(2026-11-30 05:30 +09:00),
        });
        c
    }

    fn certificate_seen() -> ClosedAs {
        ClosedAs::Verified {
            verification: VerificationMethod::EligibilityCertificate,
            identity: None,
            read_off: None,
        }
    }

    /// The review's month (row 3): 8 card check-ins, 2 handoffs closed by staff with a
    /// certificate, 6 open handoffs the kiosk pre-labelled (資格情報画面, カード＋お知らせ,
    /// 資格確認書) and 7 other open ones. The page said 8 / 16 = 50.0% and 7 waiting (counting the
    /// kiosk's expected route as confirmed); the queue held 13.
    fn review_month() -> Vec<StoredCheckIn> {
        use HandoffReason as R;
        use VerificationMethod as M;
        let mut all: Vec<StoredCheckIn> = (0..8).map(|_| card()).collect();
        for _ in 0..2 {
            all.push(closed(R::PaperDocument, certificate_seen()));
            all.push(open(
                R::ConfirmPortalScreen,
                Some(M::PortalScreenCheckedByStaff),
            ));
            all.push(open(
                R::PaperDocument,
                Some(M::NoticeWithCardCheckedByStaff),
            ));
            all.push(open(R::PaperDocument, Some(M::EligibilityCertificate)));
        }
        for reason in [
            R::StaffVisualCheck,
            R::PatientAskedStaffToCheck,
            R::GatewayUnavailable,
            R::EligibilityInvalid,
            R::PaperDocument,
            R::PatientCalledStaff,
            R::NoEligibility,
        ] {
            all.push(open(reason, None));
        }
        all
    }

    #[test]
    fn an_open_handoff_is_waiting_never_confirmed_whatever_the_kiosk_expected() {
        let report = MonthReport::from_check_ins("2026-11", &review_month());
        assert_eq!(report.verified(), 10, "8 by card, 2 closed by staff");
        assert_eq!(report.counted(), 8);
        assert_eq!(report.rate_japanese().as_deref(), Some("80.0%"));
        assert_eq!(report.pending_staff, 13, "the queue's 13 open handoffs");
        assert_eq!(
            report.waiting_line(),
            "対応待ち 13件（利用率の計算に含めない）"
        );
        let row = |m: VerificationMethod| {
            report
                .methods
                .iter()
                .find(|r| r.method == m)
                .unwrap()
                .check_ins
        };
        assert_eq!(row(VerificationMethod::PortalScreenCheckedByStaff), 0);
        assert_eq!(row(VerificationMethod::NoticeWithCardCheckedByStaff), 0);
        assert_eq!(row(VerificationMethod::EligibilityCertificate), 2);
    }

    #[test]
    fn a_handoff_labelled_as_verified_before_v10_is_still_waiting_and_uncounted() {
        use HandoffReason as R;
        use VerificationMethod as M;
        // Rows a kiosk committed before the expected route had its own column, if one ever
        // escaped the v10 migration: the outcome decides, not the label.
        let month = [
            card(),
            open_labelled_as_verified(R::ConfirmPortalScreen, M::PortalScreenCheckedByStaff, false),
            open_labelled_as_verified(R::SeveralMatches, M::CardViaReader, true),
        ];
        let report = MonthReport::from_check_ins("2026-11", &month);
        assert_eq!(
            (report.verified(), report.counted(), report.pending_staff),
            (1, 1, 2)
        );
        assert!(
            report
                .table()
                .contains("My Number usage-rate share: 1 / 1 = 100.0%")
        );
        assert!(
            report
                .table()
                .contains("waiting for staff                            2")
        );
    }

    #[test]
    fn closed_unresolved_or_cancelled_handoffs_never_become_confirmed() {
        let month = [
            closed(HandoffReason::ConfirmPortalScreen, ClosedAs::Unresolved),
            closed(HandoffReason::ConfirmPortalScreen, ClosedAs::Cancelled),
            check_in(Outcome::Cancelled { at: Step::Welcome }, None, false),
            check_in(Outcome::TimedOut { at: Step::Welcome }, None, false),
            // Several matches: the kiosk verified card and PIN, but staff have not chosen the
            // record yet: waiting, neither confirmed nor counted.
            check_in(
                Outcome::HandedToStaff {
                    reason: HandoffReason::SeveralMatches,
                },
                Some(VerificationMethod::CardViaReader),
                true,
            ),
        ];
        let report = MonthReport::from_check_ins("2026-11", &month);
        assert_eq!(
            (
                report.verified(),
                report.unresolved,
                report.cancelled,
                report.timed_out,
                report.pending_staff
            ),
            (0, 1, 2, 1, 1)
        );
        assert_eq!((report.counted(), report.total()), (0, 5));
    }

    #[test]
    fn the_manager_gets_one_line_with_last_month_beside_it() {
        let this = MonthReport::from_check_ins(
            "2026-11",
            &[
                card(),
                card(),
                closed(HandoffReason::PaperDocument, certificate_seen()),
            ],
        );
        let last = MonthReport::from_check_ins(
            "2026-10",
            &[
                card(),
                closed(HandoffReason::PaperDocument, certificate_seen()),
            ],
        );
        assert_eq!(
            this.headline(true),
            "今月のマイナ保険証利用率（受付機の記録）66.7%"
        );
        assert_eq!(
            this.headline(false),
            "2026年11月のマイナ保険証利用率（受付機の記録）66.7%"
        );
        assert_eq!(this.comparison(&last, true), "先月 50.0%");
        assert_eq!(this.comparison(&last, false), "前月 50.0%");
        let empty = MonthReport::from_check_ins("2026-09", &[]);
        assert_eq!(this.comparison(&empty, true), "先月 記録なし");
        assert_eq!(previous_month("2026-11").as_deref(), Some("2026-10"));
        assert_eq!(previous_month("2026-01").as_deref(), Some("2025-12"));
    }

    #[test]
    fn an_empty_month_says_so_in_a_sentence() {
        let empty = MonthReport::from_check_ins("2026-12", &[]);
        assert_eq!(empty.rate_japanese(), None);
        assert_eq!(empty.headline(true), "今月の受付機の記録はまだありません。");
        let only_waiting = MonthReport::from_check_ins(
            "2026-12",
            &[open(HandoffReason::ConfirmPortalScreen, None)],
        );
        assert_eq!(
            only_waiting.headline(false),
            "2026年12月はまだ確認の済んだ受付がないため、マイナ保険証利用率（受付機の記録）は出せません。"
        );
    }

    #[test]
    fn the_target_line_comes_only_from_a_dated_target() {
        let report = MonthReport::from_check_ins("2026-11", &review_month());
        let rules = crate::rules::tests::rules_with_target("2026-06-01", 30);
        let day = last_day("2026-11").unwrap();
        let target = rules.usage_rate_target(day).unwrap();
        assert_eq!(
            report.target_line(&target).as_deref(),
            Some("目標 30%：達成")
        );
        let high = crate::rules::tests::rules_with_target("2026-06-01", 90)
            .usage_rate_target(day)
            .unwrap();
        assert_eq!(report.target_line(&high).as_deref(), Some("目標 90%：未達"));
        let before = last_day("2026-05").unwrap();
        assert_eq!(
            crate::rules::Rules::embedded().usage_rate_target(before),
            None
        );
    }

    #[test]
    fn each_patient_counts_once_and_a_card_user_once_whatever_else_they_used() {
        use HandoffReason as R;
        let portal_seen = ClosedAs::Verified {
            verification: VerificationMethod::PortalScreenCheckedByStaff,
            identity: None,
            read_off: None,
        };
        let month: Vec<(StoredCheckIn, Option<&str>)> = vec![
            (card(), Some("a")),
            (card(), Some("a")),
            (card(), Some("a")),
            (card(), Some("b")),
            (closed(R::ConfirmPortalScreen, portal_seen), Some("b")),
            (closed(R::PaperDocument, certificate_seen()), Some("c")),
            // Waiting for staff: neither counted nor "not countable" yet.
            (open(R::PaperDocument, None), Some("d")),
            (
                check_in(Outcome::Cancelled { at: Step::Welcome }, None, false),
                None,
            ),
            (closed(R::PaperDocument, ClosedAs::Cancelled), Some("e")),
            (closed(R::PaperDocument, ClosedAs::Unresolved), None),
            // Confirmed, but no numbers were ever known: not guessed.
            (card(), None),
        ];
        let mut keys = HashMap::new();
        let check_ins: Vec<StoredCheckIn> = month
            .into_iter()
            .enumerate()
            .map(|(i, (mut c, key))| {
                c.id = i as i64 + 1;
                if let Some(k) = key {
                    keys.insert(c.id, k.to_owned());
                }
                c
            })
            .collect();
        let people = PeopleCount::from_check_ins(&check_ins, &keys);
        assert_eq!(
            people,
            PeopleCount {
                card_users: 2,
                people: 3,
                not_countable: 4
            }
        );
        let report = MonthReport::from_check_ins("2026-11", &check_ins)
            .with_people(&check_ins, &keys)
            .with_rules(&Rules::embedded());
        assert_eq!(
            report.per_person_line().as_deref(),
            Some("人数で数えた利用率（マイナ保険証を使った人 ÷ 受付した人） 2人 ÷ 3人 = 66.7%")
        );
        assert_eq!(
            report.people_target_line().as_deref(),
            Some("人数で 目標 30%：達成")
        );
        let csv = report.csv();
        assert!(csv.contains("\n2026-11,usage_rate_per_person,人数で数えた利用率（マイナ保険証を使った人 ÷ 受付した人）,3,2,66.7\n"), "{csv}");
        assert!(
            csv.contains("\n2026-11,not_countable,人数に数えられない受付,4,0,\n"),
            "{csv}"
        );
        assert!(
            csv.ends_with(
                "\n2026-11,usage_rate_target,目標（電子的診療情報連携体制整備加算）,0,,30\n"
            ),
            "{csv}"
        );
        let table = report.table();
        assert!(table.contains("My Number usage rate per person: 2 / 3 people = 66.7%  (the national formula for this month)"), "{table}");
        assert!(
            table.contains(
                "threshold 30% (電子的診療情報連携体制整備加算, from 2026-06-01): reached"
            ),
            "{table}"
        );
    }

    #[test]
    fn how_many_more_card_users_reach_the_target() {
        for (card_users, people, percent, more) in [
            (0, 10, 30, 3),
            (2, 10, 30, 1),
            (3, 10, 30, 0),
            (1, 3, 30, 0),
            (0, 3, 30, 1),
            (0, 0, 30, 0),
            (29, 100, 30, 1),
            (5, 7, 100, 2),
        ] {
            let p = PeopleCount {
                card_users,
                people,
                not_countable: 0,
            };
            assert_eq!(
                p.more_needed(percent),
                more,
                "{card_users}/{people} to {percent}%"
            );
            if people > 0 {
                let after = PeopleCount {
                    card_users: card_users + more,
                    ..p
                };
                assert!(after.percent().unwrap() >= f64::from(percent));
            }
        }
    }

    #[test]
    fn the_csv_names_each_category_in_japanese_and_carries_a_bom_for_excel() {
        let report = MonthReport::from_check_ins("2026-11", &review_month());
        let csv = report.csv_for_excel();
        assert!(csv.starts_with('\u{feff}'));
        let mut lines = csv.trim_start_matches('\u{feff}').lines();
        assert_eq!(
            lines.next(),
            Some("month,category,確認方法,check_ins,counted_toward_usage_rate,share_percent")
        );
        assert!(csv.contains("\n2026-11,card_via_reader,マイナ保険証（カード）,8,8,80.0\n"));
        assert!(
            csv.contains("\n2026-11,waiting_for_staff,対応待ち（利用率の計算に含めない）,13,0,\n")
        );
        assert!(
            csv.ends_with("\n2026-11,usage_rate,マイナ保険証利用率（受付機の記録）,10,8,80.0\n")
        );
        assert!(!report.csv().starts_with('\u{feff}'));
    }
}
