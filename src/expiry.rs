//! The user-authentication certificate's expiry, decided at the tap (issue 16 item 1).
//!
//! Owns: reading `notAfter` out of a certificate's DER (the date only, in Japan time; the body
//! is never kept), the dated expiry rules' shape (`certificate_expiry` in `config/rules.json`)
//! and [`certificate_status`], the pure decision the flow acts on.
//! Must not know: the clock, the card, the flow's states, the screens.
//!
//! Sources: MHLW, 「マイナ保険証の電子証明書の有効期限について」
//! <https://www.mhlw.go.jp/stf/newpage_50657.html> (alert from 3 months before expiry; the card
//! keeps confirming eligibility for 3 months after); the phone gets no grace period
//! (<https://iryohokenjyoho.service-now.com/csm?id=kb_article_view&sys_kb_id=3b11e4ee93dbee107fa07cddfaba1051>);
//! domain.md §2; anchors-2026.md facts 3, 4 and §1 "Certificate-expiry alert".

use chrono::{Datelike, Months};
use der::Decode;
use serde::Deserialize;

use crate::dates::Date;

use crate::domain::{CertificateExpiry, CertificateHolder};
use crate::rules::JST;

/// How the last day of the grace period is counted from the expiry date. Public material states
/// it two ways (UNCONFIRMED which is right; the rules file chooses).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GraceEnd {
    /// MHLW material quoted by the press: "3 months from the end of the month in which it
    /// expired": the last day of the month `grace_months` after the expiry month
    /// (expired 2026-05-15 → 2026-08-31). The default.
    FromEndOfExpiryMonth,
    /// Insurers' leaflets: "3 months from the expiry date": the same day `grace_months` later,
    /// or that month's last day when it has no such day (expired 2026-05-15 → 2026-08-15;
    /// 2026-11-30 → 2027-02-28).
    FromExpiryDate,
}

/// One dated `certificate_expiry` entry of the rules file. The entry with the latest `from`
/// on or before the day applies.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CertificateExpiryRule {
    /// First day the entry applies.
    pub from: Date,
    /// The patient is told of the coming expiry from this many months before it (3).
    pub warn_months_before: u8,
    /// Months a card keeps confirming eligibility after its certificate expired (3).
    pub card_grace_months: u8,
    /// The same for a phone's certificate (0: a phone stops working at once).
    pub phone_grace_months: u8,
    /// How the grace period's last day is counted.
    pub grace_end: GraceEnd,
    /// Where the values come from; required.
    pub source: String,
    #[serde(default, rename = "note")]
    _note: Option<String>,
}

/// What the kiosk does with a certificate, by its expiry on the visit day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CertificateStatus {
    /// More than `warn_months_before` ahead of expiry: nothing to say.
    Valid,
    /// Expires within the warning window (the expiry day included): the check-in goes on and
    /// the done screen gives the date and how to renew.
    ExpiringSoon { not_after: Date },
    /// Expired, but a card confirms eligibility until `renew_by` (the grace period's last day):
    /// the check-in goes on without the medical-information consent, staff see a note.
    ExpiredInGrace { not_after: Date, renew_by: Date },
    /// Expired beyond any grace (a phone: any expiry): no PIN is asked; handed to staff.
    ExpiredBeyondGrace { not_after: Date },
}

/// The certificate's status on `today` (the visit date in Japan) for a certificate valid
/// through `expiry.not_after` (its last valid day, Japan time), on a card or a phone, under
/// `rule`. Boundaries: `ExpiringSoon` from the day `warn_months_before` months before
/// `not_after` (same day of month, clamped to month end) through `not_after` itself; in grace
/// from the next day through the grace end ([`grace_end`]); beyond it after that.
pub fn certificate_status(
    expiry: CertificateExpiry,
    today: Date,
    holder: CertificateHolder,
    rule: &CertificateExpiryRule,
) -> CertificateStatus {
    let not_after = expiry.not_after;
    if today <= not_after {
        let warn_from = not_after
            .checked_sub_months(Months::new(u32::from(rule.warn_months_before)))
            .unwrap_or(not_after);
        return if today >= warn_from {
            CertificateStatus::ExpiringSoon { not_after }
        } else {
            CertificateStatus::Valid
        };
    }
    match grace_end(not_after, holder, rule) {
        Some(renew_by) if today <= renew_by => CertificateStatus::ExpiredInGrace {
            not_after,
            renew_by,
        },
        _ => CertificateStatus::ExpiredBeyondGrace { not_after },
    }
}

/// The grace period's last day for a certificate valid through `not_after`, or `None` when the
/// holder gets no grace (a phone).
pub fn grace_end(
    not_after: Date,
    holder: CertificateHolder,
    rule: &CertificateExpiryRule,
) -> Option<Date> {
    let months = match holder {
        CertificateHolder::Card => rule.card_grace_months,
        CertificateHolder::Phone => rule.phone_grace_months,
    };
    if months == 0 {
        return None;
    }
    // chrono clamps the day to the target month's length (05-31 + 3 months = 08-31, 11-30 + 3
    // months = 02-28 or 02-29).
    let months = Months::new(u32::from(months));
    Some(match rule.grace_end {
        GraceEnd::FromExpiryDate => not_after.checked_add_months(months).unwrap_or(not_after),
        GraceEnd::FromEndOfExpiryMonth => {
            let first = not_after.with_day(1).unwrap_or(not_after);
            last_day_of_month(first.checked_add_months(months).unwrap_or(first))
        }
    })
}

fn last_day_of_month(date: Date) -> Date {
    crate::dates::last_day_of_month(date.year(), date.month()).unwrap_or(date)
}

/// Checks the rules file's `certificate_expiry` entries: at least one, distinct `from` dates,
/// a source on each. Errors are `(key, detail)` for [`crate::rules::RulesError::Invalid`].
pub fn check_rules(rules: &[CertificateExpiryRule]) -> Result<(), (String, String)> {
    if rules.is_empty() {
        return Err((
            "certificate_expiry".into(),
            "needs at least one entry".into(),
        ));
    }
    for (i, rule) in rules.iter().enumerate() {
        let key = format!("certificate_expiry[{i}]");
        if rule.source.trim().is_empty() {
            return Err((format!("{key}.source"), "needs a source".into()));
        }
        if rule.warn_months_before > 12 || rule.card_grace_months > 12 {
            return Err((key, "months beyond 12 are not a rule anyone stated".into()));
        }
        if rules[..i].iter().any(|r| r.from == rule.from) {
            return Err((
                format!("{key}.from"),
                "two entries start the same day".into(),
            ));
        }
    }
    Ok(())
}

/// The `notAfter` of a DER certificate as its last valid day in Japan time (a JPKI
/// certificate's `notAfter` is 23:59:59 JST, i.e. 14:59:59Z). Only the date leaves this
/// function; the bytes are not kept. Errors say what failed, never the contents.
pub fn certificate_not_after(der: &[u8]) -> Result<CertificateExpiry, String> {
    let certificate = x509_cert::Certificate::from_der(der)
        .map_err(|e| format!("certificate is not DER X.509: {e}"))?;
    let seconds = certificate
        .tbs_certificate
        .validity
        .not_after
        .to_unix_duration()
        .as_secs();
    let seconds = i64::try_from(seconds).map_err(|_| "notAfter beyond any date".to_owned())?;
    let at = chrono::DateTime::from_timestamp(seconds, 0)
        .ok_or_else(|| "notAfter out of range".to_owned())?;
    Ok(CertificateExpiry {
        not_after: at.with_timezone(&JST).date_naive(),
    })
}

#[cfg(test)]
mod tests {
    use crate::date;

    use super::*;
    use crate::rules::Rules;

    fn rule(grace_end: GraceEnd) -> CertificateExpiryRule {
        CertificateExpiryRule {
            grace_end,
            ..Rules::embedded()
                .certificate_expiry_rule(date!(2026 - 11 - 30))
                .expect("the embedded rules have one")
                .clone()
        }
    }

    fn expiry(not_after: Date) -> CertificateExpiry {
        CertificateExpiry { not_after }
    }

    #[test]
    fn the_embedded_rule_is_three_months_each_way_and_the_mhlw_reading() {
        let rules = Rules::embedded();
        let rule = rules
            .certificate_expiry_rule(date!(2026 - 11 - 30))
            .expect("in force");
        assert_eq!(rule.warn_months_before, 3);
        assert_eq!(rule.card_grace_months, 3);
        assert_eq!(rule.phone_grace_months, 0);
        assert_eq!(rule.grace_end, GraceEnd::FromEndOfExpiryMonth);
    }

    #[test]
    fn each_boundary_for_card_and_phone_under_each_reading() {
        use CertificateHolder::{Card, Phone};
        use CertificateStatus::*;
        use GraceEnd::{FromEndOfExpiryMonth as Mhlw, FromExpiryDate as Insurer};
        let na = date!(2026 - 05 - 15);
        let mhlw_end = date!(2026 - 08 - 31);
        let insurer_end = date!(2026 - 08 - 15);
        let soon = ExpiringSoon { not_after: na };
        let beyond = ExpiredBeyondGrace { not_after: na };
        let grace = |renew_by| ExpiredInGrace {
            not_after: na,
            renew_by,
        };
        let table = [
            // (reading, holder, today, expected)
            (Mhlw, Card, date!(2026 - 02 - 14), Valid), // 3 months and 1 day before
            (Mhlw, Card, date!(2026 - 02 - 15), soon),  // 3 months before
            (Mhlw, Card, na, soon),                     // the expiry day
            (Mhlw, Card, date!(2026 - 05 - 16), grace(mhlw_end)),
            (Mhlw, Card, mhlw_end, grace(mhlw_end)), // the last day of grace
            (Mhlw, Card, date!(2026 - 09 - 01), beyond), // the day after
            (Insurer, Card, date!(2026 - 02 - 14), Valid),
            (Insurer, Card, na, soon),
            (Insurer, Card, date!(2026 - 05 - 16), grace(insurer_end)),
            (Insurer, Card, insurer_end, grace(insurer_end)),
            (Insurer, Card, date!(2026 - 08 - 16), beyond),
            (Mhlw, Phone, date!(2026 - 02 - 14), Valid),
            (Mhlw, Phone, date!(2026 - 02 - 15), soon),
            (Mhlw, Phone, na, soon),
            (Mhlw, Phone, date!(2026 - 05 - 16), beyond), // no grace for a phone
            (Insurer, Phone, date!(2026 - 05 - 16), beyond),
        ];
        for (reading, holder, today, expected) in table {
            assert_eq!(
                certificate_status(expiry(na), today, holder, &rule(reading)),
                expected,
                "{reading:?} {holder:?} on {today}"
            );
        }
    }

    #[test]
    fn month_ends_clamp() {
        let mhlw = rule(GraceEnd::FromEndOfExpiryMonth);
        let insurer = rule(GraceEnd::FromExpiryDate);
        let table = [
            // (not_after, MHLW last day of grace, insurers' last day, first warning day)
            (
                date!(2026 - 11 - 30),
                date!(2027 - 02 - 28),
                date!(2027 - 02 - 28),
                date!(2026 - 08 - 30),
            ),
            (
                date!(2026 - 05 - 31),
                date!(2026 - 08 - 31),
                date!(2026 - 08 - 31),
                date!(2026 - 02 - 28),
            ),
            (
                date!(2027 - 11 - 30),
                date!(2028 - 02 - 29),
                date!(2028 - 02 - 29),
                date!(2027 - 08 - 30),
            ),
            (
                date!(2026 - 01 - 10),
                date!(2026 - 04 - 30),
                date!(2026 - 04 - 10),
                date!(2025 - 10 - 10),
            ),
        ];
        for (not_after, mhlw_end, insurer_end, warn_from) in table {
            let card = CertificateHolder::Card;
            assert_eq!(grace_end(not_after, card, &mhlw), Some(mhlw_end));
            assert_eq!(grace_end(not_after, card, &insurer), Some(insurer_end));
            assert_eq!(
                certificate_status(expiry(not_after), warn_from, card, &mhlw),
                CertificateStatus::ExpiringSoon { not_after }
            );
            assert_eq!(
                certificate_status(
                    expiry(not_after),
                    warn_from.pred_opt().unwrap(),
                    card,
                    &mhlw
                ),
                CertificateStatus::Valid
            );
        }
    }

    #[test]
    fn the_rules_file_names_a_bad_entry() {
        let good = rule(GraceEnd::FromEndOfExpiryMonth);
        assert_eq!(check_rules(std::slice::from_ref(&good)), Ok(()));
        assert_eq!(check_rules(&[]).unwrap_err().0, "certificate_expiry");
        let unsourced = CertificateExpiryRule {
            source: " ".into(),
            ..good.clone()
        };
        assert_eq!(
            check_rules(&[unsourced]).unwrap_err().0,
            "certificate_expiry[0].source"
        );
        assert_eq!(
            check_rules(&[good.clone(), good]).unwrap_err().0,
            "certificate_expiry[1].from"
        );
    }

    #[cfg(feature = "sim")]
    #[test]
    fn not_after_is_the_last_valid_day_in_japan() {
        // The test identities are valid through 2040-12-31 23:59:59Z: 2041-01-01 in Japan.
        let identity = crate::pki::test_identity("expiry-unit");
        let read = certificate_not_after(&identity.certificate.0).expect("parses");
        assert_eq!(read.not_after, date!(2041 - 01 - 01));
        assert!(certificate_not_after(b"\x30\x03\x02\x01\x00").is_err());
        assert!(certificate_not_after(&[]).is_err());
    }
}
