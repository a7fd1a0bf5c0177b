//! The monthly report: check-ins by verification method and the My Number usage-rate share.
//!
//! Owns: counting and formatting (a table for people, CSV for spreadsheets).
//! Must not know: SQL (it is given stored check-ins), the rules (each check-in carries whether
//! it counted, decided with the rules in force on its visit date).
//!
//! The share is counted check-ins over check-ins whose eligibility was confirmed some way.
//! Check-ins still waiting for staff to decide, cancelled ones and timed-out ones are listed
//! but are not in the denominator: they are not visits with a confirmed eligibility yet.

use std::fmt::Write as _;

use crate::domain::{ClosedAs, Outcome, StoredCheckIn, VerificationMethod};

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
    /// Handed to staff, with no verification method decided yet.
    pub pending_staff: usize,
    /// Handed to staff, who could not confirm eligibility.
    pub unresolved: usize,
    pub cancelled: usize,
    pub timed_out: usize,
}

impl MonthReport {
    pub fn from_check_ins(month: &str, check_ins: &[StoredCheckIn]) -> MonthReport {
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
        };
        for stored in check_ins {
            let record = &stored.record;
            match record.outcome {
                Outcome::Cancelled { .. } => report.cancelled += 1,
                Outcome::TimedOut { .. } => report.timed_out += 1,
                Outcome::Completed | Outcome::HandedToStaff { .. } => {
                    // Staff's resolution is the final word on how eligibility was confirmed.
                    let method = match &stored.resolution {
                        Some(resolution) => match resolution.closed_as {
                            ClosedAs::Verified { verification, .. } => Some(verification),
                            ClosedAs::Unresolved => {
                                report.unresolved += 1;
                                continue;
                            }
                            ClosedAs::Cancelled => {
                                report.cancelled += 1;
                                continue;
                            }
                        },
                        None => record.verification,
                    };
                    match method.and_then(|m| methods.iter_mut().find(|row| row.method == m)) {
                        Some(row) => {
                            row.check_ins += 1;
                            if record.counts_toward_usage_rate {
                                row.counted += 1;
                            }
                        }
                        None => report.pending_staff += 1,
                    }
                }
            }
        }
        report.methods = methods;
        report
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
        let _ = writeln!(
            out,
            "{:<36} {:>9}",
            "pending staff decision", self.pending_staff
        );
        let _ = writeln!(
            out,
            "{:<36} {:>9}",
            "staff could not confirm", self.unresolved
        );
        let _ = writeln!(out, "{:<36} {:>9}", "cancelled", self.cancelled);
        let _ = writeln!(out, "{:<36} {:>9}", "timed out", self.timed_out);
        let _ = writeln!(
            out,
            "My Number usage-rate share: {} / {} = {}",
            self.counted(),
            verified,
            self.rate_text()
        );
        out
    }

    /// CSV for spreadsheets. Method rows carry their share of verified check-ins; the last
    /// row, `usage_rate`, carries the denominator, the numerator and the share.
    pub fn csv(&self) -> String {
        let mut out =
            String::from("month,category,check_ins,counted_toward_usage_rate,share_percent\n");
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
                "{},{},{},{},{}",
                self.month,
                row.method.as_str(),
                row.check_ins,
                row.counted,
                percent(row.check_ins)
            );
        }
        for (category, n) in [
            ("pending_staff_decision", self.pending_staff),
            ("unresolved_by_staff", self.unresolved),
            ("cancelled", self.cancelled),
            ("timed_out", self.timed_out),
        ] {
            let _ = writeln!(out, "{},{category},{n},0,", self.month);
        }
        let _ = writeln!(
            out,
            "{},usage_rate,{},{},{}",
            self.month,
            verified,
            self.counted(),
            percent(self.counted())
        );
        out
    }
}

/// Parses a report month, `YYYY-MM` (e.g. `2026-11`), into (year, month 1..=12); `None` for
/// anything else.
pub fn parse_month(month: &str) -> Option<(i32, u8)> {
    let (y, m) = month.split_once('-')?;
    let year: i32 = y.parse().ok()?;
    let mon: u8 = m.parse().ok()?;
    (y.len() == 4 && m.len() == 2 && (1..=12).contains(&mon)).then_some((year, mon))
}
