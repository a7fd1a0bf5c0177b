//! Dates and instants, with `chrono`: the one date library of the project.
//!
//! Owns: the text form of an instant (RFC 3339, byte-identical to what the store and the headless
//! JSON have always held: `2026-11-21T01:00:00Z` for UTC, `2026-11-21T10:00:00+09:00` otherwise,
//! fractional seconds only when non-zero and with trailing zeros trimmed), its serde adapters,
//! "now", and the `date!`/`datetime!` literals the tests write.
//!
//! Instants are `chrono::DateTime<FixedOffset>` (compared as instants, whatever their offset);
//! calendar dates are [`Date`] (`chrono::NaiveDate`); lengths of time between instants are
//! `chrono::TimeDelta`. Japan's offset is [`crate::rules::JST`].

use std::fmt::Write as _;

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, Timelike, Utc};

/// A calendar date (no time, no offset): a visit date, a birth date, a certificate's last day.
pub type Date = NaiveDate;

/// 1970-01-01T00:00:00Z, a "long ago" start value.
pub const UNIX_EPOCH: DateTime<FixedOffset> = crate::datetime!(1970-01-01 00:00 UTC);

/// The current instant, at offset +00:00 (stored as `…Z`).
pub fn now() -> DateTime<FixedOffset> {
    Utc::now().fixed_offset()
}

/// Why an instant has no RFC 3339 text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unformattable {
    #[error("year {0} is outside 0000-9999")]
    Year(i32),
    #[error("offset {0} has seconds")]
    OffsetSeconds(FixedOffset),
}

/// `at` as RFC 3339 text: `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`; the fraction is written
/// only when non-zero, without trailing zeros; offset +00:00 is written `Z`.
///
/// Errors: a year outside 0000–9999, or an offset with a seconds part (RFC 3339 has neither).
pub fn rfc3339(at: &DateTime<FixedOffset>) -> Result<String, Unformattable> {
    let offset = at.offset().local_minus_utc();
    if offset % 60 != 0 {
        return Err(Unformattable::OffsetSeconds(*at.offset()));
    }
    let local = at.naive_local();
    if !(0..10_000).contains(&local.year()) {
        return Err(Unformattable::Year(local.year()));
    }
    let mut out = String::with_capacity(32);
    // Writing to a String cannot fail.
    let _ = write!(
        out,
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        local.year(),
        local.month(),
        local.day(),
        local.hour(),
        local.minute(),
        local.second()
    );
    let nanos = local.nanosecond() % 1_000_000_000;
    if nanos != 0 {
        let digits = format!("{nanos:09}");
        let _ = write!(out, ".{}", digits.trim_end_matches('0'));
    }
    if offset == 0 {
        out.push('Z');
    } else {
        let sign = if offset < 0 { '-' } else { '+' };
        let minutes = offset.unsigned_abs() / 60;
        let _ = write!(out, "{sign}{:02}:{:02}", minutes / 60, minutes % 60);
    }
    Ok(out)
}

/// Reads RFC 3339 text back (`2026-11-21T01:00:00Z`, `2026-11-21T10:00:00.5+09:00`), keeping its
/// offset. `None` if it is not RFC 3339.
pub fn parse_rfc3339(text: &str) -> Option<DateTime<FixedOffset>> {
    DateTime::parse_from_rfc3339(text).ok()
}

/// Serde as RFC 3339 text (`#[serde(with = "crate::dates::rfc3339")]`), the form of
/// [`rfc3339()`](fn@rfc3339).
pub mod rfc3339 {
    use chrono::{DateTime, FixedOffset};
    use serde::{Deserialize, Deserializer, Serializer, de, ser};

    pub fn serialize<S: Serializer>(at: &DateTime<FixedOffset>, s: S) -> Result<S::Ok, S::Error> {
        let text = super::rfc3339(at).map_err(ser::Error::custom)?;
        s.serialize_str(&text)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<FixedOffset>, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        super::parse_rfc3339(&text)
            .ok_or_else(|| de::Error::custom(format!("not an RFC 3339 instant: {text}")))
    }

    /// The same for `Option`: `None` as `null`.
    pub mod option {
        use chrono::{DateTime, FixedOffset};
        use serde::{Deserialize, Deserializer, Serializer, de, ser};

        pub fn serialize<S: Serializer>(
            at: &Option<DateTime<FixedOffset>>,
            s: S,
        ) -> Result<S::Ok, S::Error> {
            match at {
                Some(at) => {
                    let text = super::super::rfc3339(at).map_err(ser::Error::custom)?;
                    s.serialize_some(&text)
                }
                None => s.serialize_none(),
            }
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(
            d: D,
        ) -> Result<Option<DateTime<FixedOffset>>, D::Error> {
            let text = <Option<std::borrow::Cow<'de, str>>>::deserialize(d)?;
            text.map(|text| {
                super::super::parse_rfc3339(&text)
                    .ok_or_else(|| de::Error::custom(format!("not an RFC 3339 instant: {text}")))
            })
            .transpose()
        }
    }
}

/// Reads exactly `YYYY-MM-DD` (`2026-04-01`; not `2026-4-1`, which chrono's own `%Y-%m-%d`
/// would take); `None` for anything else or a day not on the calendar.
pub fn parse_ymd(text: &str) -> Option<Date> {
    let strict = text.len() == 10
        && text.bytes().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                b == b'-'
            } else {
                b.is_ascii_digit()
            }
        });
    strict
        .then(|| NaiveDate::parse_from_str(text, "%Y-%m-%d").ok())
        .flatten()
}

/// The last day of `month` (1–12) of `year`; `None` for a month outside 1–12.
pub fn last_day_of_month(year: i32, month: u32) -> Option<Date> {
    let (next_year, next_month) = if month == 12 {
        (year.checked_add(1)?, 1)
    } else {
        (year, month.checked_add(1)?)
    };
    if !(1..=12).contains(&month) {
        return None;
    }
    NaiveDate::from_ymd_opt(next_year, next_month, 1)?.pred_opt()
}

/// A date literal; panics (at compile time in a `const`) if it is not a calendar date.
/// Used by [`date!`](crate::date).
pub const fn ymd(year: i32, month: u32, day: u32) -> Date {
    match NaiveDate::from_ymd_opt(year, month, day) {
        Some(d) => d,
        None => panic!("not a calendar date"),
    }
}

/// An instant literal: the local date and time at `offset_seconds` east of UTC; `seconds` is the
/// seconds field as written (`"30"`, `"30.5"`). Used by [`datetime!`](crate::datetime).
pub const fn literal(
    date: Date,
    hour: u32,
    minute: u32,
    seconds: &str,
    offset_seconds: i32,
) -> DateTime<FixedOffset> {
    let (second, nano) = seconds_field(seconds);
    let time = match NaiveTime::from_hms_nano_opt(hour, minute, second, nano) {
        Some(t) => t,
        None => panic!("not a time of day"),
    };
    let offset = match FixedOffset::east_opt(offset_seconds) {
        Some(o) => o,
        None => panic!("not an offset"),
    };
    let local = NaiveDateTime::new(date, time);
    let utc = match local.checked_sub_offset(offset) {
        Some(u) => u,
        None => panic!("out of range"),
    };
    DateTime::from_naive_utc_and_offset(utc, offset)
}

/// `"30"` → (30, 0); `"30.5"` → (30, 500_000_000); `"05.123456789"` → (5, 123_456_789).
const fn seconds_field(text: &str) -> (u32, u32) {
    let bytes = text.as_bytes();
    let mut i = 0;
    let mut second = 0u32;
    while i < bytes.len() && bytes[i] != b'.' {
        assert!(bytes[i].is_ascii_digit(), "not a seconds field");
        second = second * 10 + (bytes[i] - b'0') as u32;
        i += 1;
    }
    let mut nano = 0u32;
    let mut scale = 100_000_000u32;
    if i < bytes.len() {
        i += 1;
        while i < bytes.len() {
            assert!(bytes[i].is_ascii_digit(), "not a seconds field");
            assert!(scale > 0, "more than nine fractional digits");
            nano += (bytes[i] - b'0') as u32 * scale;
            scale /= 10;
            i += 1;
        }
    }
    (second, nano)
}

/// The number a macro's literal token spells (`"09"` → 9): the macros below take their digits
/// as text, so `09` and `05` are read as written (and not linted as octal-looking constants).
pub const fn digits(text: &str) -> u32 {
    let bytes = text.as_bytes();
    assert!(!bytes.is_empty(), "not a number");
    let mut i = 0;
    let mut n = 0u32;
    while i < bytes.len() {
        assert!(bytes[i].is_ascii_digit(), "not a number");
        n = n * 10 + (bytes[i] - b'0') as u32;
        i += 1;
    }
    n
}

/// A calendar date literal: `date!(2026 - 04 - 01)` is 2026-04-01 (a [`Date`]); usable in a
/// `const`.
#[macro_export]
macro_rules! date {
    ($y:literal - $m:literal - $d:literal) => {
        $crate::dates::ymd(
            $crate::dates::digits(stringify!($y)) as i32,
            $crate::dates::digits(stringify!($m)),
            $crate::dates::digits(stringify!($d)),
        )
    };
}

/// An instant literal, usable in a `const`: `datetime!(2026-04-01 09:00 +09:00)`,
/// `datetime!(2026-04-01 09:00:30.5 +09:00)`, `datetime!(2026-04-01 00:00 UTC)`.
#[macro_export]
macro_rules! datetime {
    ($y:literal - $mo:literal - $d:literal $h:literal : $mi:literal UTC) => {
        $crate::datetime!(@at $y - $mo - $d $h : $mi, "0", 0)
    };
    ($y:literal - $mo:literal - $d:literal $h:literal : $mi:literal : $s:literal UTC) => {
        $crate::datetime!(@at $y - $mo - $d $h : $mi, stringify!($s), 0)
    };
    ($y:literal - $mo:literal - $d:literal $h:literal : $mi:literal + $oh:literal : $om:literal) => {
        $crate::datetime!(@at $y - $mo - $d $h : $mi, "0",
            ($crate::dates::digits(stringify!($oh)) * 3600
                + $crate::dates::digits(stringify!($om)) * 60) as i32)
    };
    ($y:literal - $mo:literal - $d:literal $h:literal : $mi:literal : $s:literal
        + $oh:literal : $om:literal) => {
        $crate::datetime!(@at $y - $mo - $d $h : $mi, stringify!($s),
            ($crate::dates::digits(stringify!($oh)) * 3600
                + $crate::dates::digits(stringify!($om)) * 60) as i32)
    };
    (@at $y:literal - $mo:literal - $d:literal $h:literal : $mi:literal, $s:expr, $off:expr) => {
        $crate::dates::literal(
            $crate::date!($y - $mo - $d),
            $crate::dates::digits(stringify!($h)),
            $crate::dates::digits(stringify!($mi)),
            $s,
            $off,
        )
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_text_is_what_the_store_has_always_held() {
        // The forms the `time` crate wrote (its well-known Rfc3339), which old databases hold.
        let cases = [
            (
                crate::datetime!(2026-11-21 01:00 UTC),
                "2026-11-21T01:00:00Z",
            ),
            (
                crate::datetime!(2026-11-21 10:00 +09:00),
                "2026-11-21T10:00:00+09:00",
            ),
            (
                crate::datetime!(2026-11-21 10:00:30.5 +09:00),
                "2026-11-21T10:00:30.5+09:00",
            ),
            (
                crate::datetime!(2026-11-21 10:00:30.123456789 +09:00),
                "2026-11-21T10:00:30.123456789+09:00",
            ),
            (
                crate::datetime!(2026-11-21 10:00:30.000120 +09:00),
                "2026-11-21T10:00:30.00012+09:00",
            ),
        ];
        for (at, text) in cases {
            assert_eq!(rfc3339(&at).unwrap(), text);
            let back = parse_rfc3339(text).unwrap();
            assert_eq!(back, at);
            assert_eq!(back.offset(), at.offset());
        }
        assert_eq!(parse_rfc3339("2026-11-21"), None);
        let west = FixedOffset::west_opt(5 * 3600 + 30 * 60).unwrap();
        let at = crate::datetime!(2026-11-21 01:00 UTC).with_timezone(&west);
        assert_eq!(rfc3339(&at).unwrap(), "2026-11-20T19:30:00-05:30");
    }

    #[test]
    fn literals_and_month_ends() {
        assert_eq!(crate::date!(2026 - 04 - 01).to_string(), "2026-04-01");
        const AT: DateTime<FixedOffset> = crate::datetime!(2026-11-30 15:01 UTC);
        assert_eq!(
            AT.with_timezone(&crate::rules::JST).to_string(),
            "2026-12-01 00:01:00 +09:00"
        );
        assert_eq!(
            last_day_of_month(2028, 2),
            Some(crate::date!(2028 - 02 - 29))
        );
        assert_eq!(
            last_day_of_month(2026, 12),
            Some(crate::date!(2026 - 12 - 31))
        );
        assert_eq!(last_day_of_month(2026, 13), None);
        assert_eq!(last_day_of_month(2026, 0), None);
        assert_eq!(parse_ymd("2026-04-01"), Some(crate::date!(2026 - 04 - 01)));
        for bad in [
            "2026-4-1",
            "2026-02-30",
            "+2026-04-01",
            "2026/04/01",
            " 2026-04-01",
        ] {
            assert_eq!(parse_ymd(bad), None, "{bad}");
        }
    }
}
