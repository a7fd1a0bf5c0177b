//! How domain values become column values and back: enums as their stable snake_case names,
//! instants as RFC 3339 text, dates as `YYYY-MM-DD`.
//!
//! Owns: the text forms the schema stores. Must not know: which table a value lives in (callers
//! name the table and column so a bad value is reported where it was found).

use chrono::{DateTime, Datelike, FixedOffset};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::dates::Date;

/// A value read back from the database that this build does not understand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BadValue {
    pub table: &'static str,
    pub column: &'static str,
    pub value: String,
}

impl BadValue {
    pub fn new(table: &'static str, column: &'static str, value: &str) -> Self {
        // Only enum names, dates and instants are decoded here, but a damaged file could hold
        // anything: keep error messages short.
        let value: String = value.chars().take(64).collect();
        Self {
            table,
            column,
            value,
        }
    }
}

/// A domain value that cannot be written in the stored form (e.g. an instant outside RFC 3339's
/// years 0000–9999).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Unstorable {
    pub what: &'static str,
    pub reason: String,
}

/// The serde name of a unit enum variant (the same snake_case name as `as_str` where the enum
/// has one; `names_agree_with_as_str` checks that).
pub(crate) fn name<T: Serialize>(what: &'static str, value: T) -> Result<String, Unstorable> {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => Ok(s),
        Ok(other) => Err(Unstorable {
            what,
            reason: format!("expected a name, got {other}"),
        }),
        Err(e) => Err(Unstorable {
            what,
            reason: e.to_string(),
        }),
    }
}

pub(crate) fn opt_name<T: Serialize>(
    what: &'static str,
    value: Option<T>,
) -> Result<Option<String>, Unstorable> {
    value.map(|v| name(what, v)).transpose()
}

/// Reads a unit enum variant back from its name.
pub(crate) fn parse_name<T: DeserializeOwned>(
    table: &'static str,
    column: &'static str,
    value: &str,
) -> Result<T, BadValue> {
    serde_json::from_value(serde_json::Value::String(value.to_owned()))
        .map_err(|_| BadValue::new(table, column, value))
}

pub(crate) fn opt_parse_name<T: DeserializeOwned>(
    table: &'static str,
    column: &'static str,
    value: Option<&str>,
) -> Result<Option<T>, BadValue> {
    value.map(|v| parse_name(table, column, v)).transpose()
}

pub(crate) fn instant(what: &'static str, at: DateTime<FixedOffset>) -> Result<String, Unstorable> {
    crate::dates::rfc3339(&at).map_err(|e| Unstorable {
        what,
        reason: e.to_string(),
    })
}

pub(crate) fn parse_instant(
    table: &'static str,
    column: &'static str,
    value: &str,
) -> Result<DateTime<FixedOffset>, BadValue> {
    crate::dates::parse_rfc3339(value).ok_or_else(|| BadValue::new(table, column, value))
}

pub(crate) fn date(what: &'static str, d: Date) -> Result<String, Unstorable> {
    // Dates compare as text in SQL (`visit_date BETWEEN ...`), which holds for four-digit years.
    if !(0..=9999).contains(&d.year()) {
        return Err(Unstorable {
            what,
            reason: format!("year {} is outside 0000-9999", d.year()),
        });
    }
    Ok(format!("{:04}-{:02}-{:02}", d.year(), d.month(), d.day()))
}

pub(crate) fn opt_date(what: &'static str, d: Option<Date>) -> Result<Option<String>, Unstorable> {
    d.map(|d| date(what, d)).transpose()
}

pub(crate) fn parse_date(
    table: &'static str,
    column: &'static str,
    value: &str,
) -> Result<Date, BadValue> {
    crate::dates::parse_ymd(value).ok_or_else(|| BadValue::new(table, column, value))
}

pub(crate) fn opt_parse_date(
    table: &'static str,
    column: &'static str,
    value: Option<&str>,
) -> Result<Option<Date>, BadValue> {
    value.map(|v| parse_date(table, column, v)).transpose()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{
        ChecklistItem, HandoffReason, Presented, Step, Validity, VerificationMethod,
    };
    use crate::{date, datetime};

    #[test]
    fn names_agree_with_as_str() {
        for m in VerificationMethod::ALL {
            assert_eq!(name("m", m).unwrap(), m.as_str());
        }
        for r in HandoffReason::ALL {
            assert_eq!(name("r", r).unwrap(), r.as_str());
        }
        for s in [
            Step::Welcome,
            Step::TapAgain,
            Step::HighCostLimit,
            Step::DocumentMenu,
        ] {
            assert_eq!(name("s", s).unwrap(), s.as_str());
        }
    }

    #[test]
    fn names_round_trip_and_unknown_names_are_reported() {
        let n = name("c", ChecklistItem::CompareCardPhoto).unwrap();
        assert_eq!(n, "compare_card_photo");
        assert_eq!(
            parse_name::<ChecklistItem>("t", "c", &n).unwrap(),
            ChecklistItem::CompareCardPhoto
        );
        assert_eq!(
            parse_name::<Presented>("check_ins", "presented", "floppy_disk"),
            Err(BadValue::new("check_ins", "presented", "floppy_disk"))
        );
        assert!(parse_name::<Validity>("t", "c", "").is_err());
    }

    #[test]
    fn instants_and_dates_round_trip() {
        let at = datetime!(2026-04-01 09:15:30.123456789 +09:00);
        let text = instant("at", at).unwrap();
        assert_eq!(text, "2026-04-01T09:15:30.123456789+09:00");
        let back = parse_instant("t", "c", &text).unwrap();
        assert_eq!(back, at);
        assert_eq!(back.offset(), at.offset());

        let d = date!(2026 - 04 - 01);
        assert_eq!(date("d", d).unwrap(), "2026-04-01");
        assert_eq!(parse_date("t", "c", "2026-04-01").unwrap(), d);
        assert!(parse_date("t", "c", "2026-4-1").is_err());
        assert!(parse_instant("t", "c", "yesterday").is_err());
    }
}
