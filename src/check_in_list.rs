//! 「本日の受付一覧」: which check-ins of a day a clerk asked to see, what became of each, and
//! what the patient's slip tells them to bring next time.
//!
//! Owns: the list's query (day, kiosk, status, a 受付番号 or a name typed as clerks type it:
//! full-width digits and spaces included) and each check-in's status in staff words. Pure: no
//! I/O, no HTTP; the console's `check_ins` adapter reads the day's check-ins from the store and
//! hands them here. Must not know: SQL, markup.

use std::collections::BTreeMap;

use chrono::Datelike;

use crate::dates::Date;

use crate::domain::{HandoffReason, Outcome, StoredCheckIn, VerificationMethod};

/// What became of a check-in, as the list shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// The kiosk finished it; nobody at the desk had to act.
    Completed,
    /// Handed to staff and still open (it is in the queue).
    Waiting,
    /// Handed to staff, who confirmed eligibility.
    Resolved,
    /// Handed to staff, who could not confirm eligibility.
    Unresolved,
    /// Cancelled at the kiosk, or by staff (mistake, the patient left).
    Cancelled,
    /// The patient walked away mid-way and the kiosk cleared the screen.
    TimedOut,
}

impl Status {
    pub const ALL: [Status; 6] = [
        Status::Waiting,
        Status::Completed,
        Status::Resolved,
        Status::Unresolved,
        Status::Cancelled,
        Status::TimedOut,
    ];

    pub fn of(check_in: &StoredCheckIn) -> Status {
        match (&check_in.record.outcome, &check_in.resolution) {
            (Outcome::Completed, _) => Status::Completed,
            (Outcome::Cancelled { .. }, _) => Status::Cancelled,
            (Outcome::TimedOut { .. }, _) => Status::TimedOut,
            (Outcome::HandedToStaff { .. }, None) => Status::Waiting,
            (Outcome::HandedToStaff { .. }, Some(r)) => match r.closed_as {
                crate::domain::ClosedAs::Verified { .. } => Status::Resolved,
                crate::domain::ClosedAs::Unresolved => Status::Unresolved,
                crate::domain::ClosedAs::Cancelled => Status::Cancelled,
            },
        }
    }

    /// The code in links and `data-status` attributes (never shown as text).
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Completed => "completed",
            Status::Waiting => "waiting",
            Status::Resolved => "resolved",
            Status::Unresolved => "unresolved",
            Status::Cancelled => "cancelled",
            Status::TimedOut => "timed_out",
        }
    }

    /// The word reception staff use.
    pub fn japanese(self) -> &'static str {
        match self {
            Status::Completed => "完了",
            Status::Waiting => "対応待ち",
            Status::Resolved => "対応済み",
            Status::Unresolved => "確認できず",
            Status::Cancelled => "取消",
            Status::TimedOut => "時間切れ",
        }
    }

    pub fn parse(code: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|s| s.as_str() == code)
    }
}

/// What the clerk typed in the search box.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Search {
    Anything,
    /// Digits only: a 受付番号.
    Number(u32),
    /// Anything else: part of a name or its reading, spaces ignored.
    Name(String),
}

/// The list's query: one day, and optionally a kiosk, a status and a search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListQuery {
    pub day: Date,
    pub kiosk: Option<String>,
    pub status: Option<Status>,
    pub search: Search,
}

/// Full-width digits, letters and spaces (IME on) as their ASCII forms; other text as is,
/// trimmed.
pub fn half_width(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '\u{3000}' => ' ',
            '\u{ff01}'..='\u{ff5e}' => char::from_u32(c as u32 - 0xfee0).unwrap_or(c),
            _ => c,
        })
        .collect::<String>()
        .trim()
        .to_owned()
}

/// A day typed as `2026-11-30` or `2026/11/30` (full-width digits too).
pub fn parse_day(text: &str) -> Option<Date> {
    let text = half_width(text);
    let mut parts = text.split(['-', '/']);
    let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || y.len() != 4 {
        return None;
    }
    Date::from_ymd_opt(
        y.parse().ok()?,
        m.parse::<u8>().ok()?.into(),
        d.parse::<u8>().ok()?.into(),
    )
}

impl ListQuery {
    /// Reads `day`, `kiosk`, `status` and `q` from the page's query string; a missing or empty
    /// field means today, every kiosk, every status, anything.
    ///
    /// Errors: a day that is not a date, or an unknown status, as a sentence for the clerk.
    pub fn parse(fields: &BTreeMap<String, String>, today: Date) -> Result<ListQuery, String> {
        let field = |name: &str| {
            fields
                .get(name)
                .map(|v| half_width(v))
                .filter(|v| !v.is_empty())
        };
        let day = match field("day") {
            None => today,
            Some(text) => parse_day(&text).ok_or_else(|| {
                format!("日付「{text}」が読めません。2026-11-30 のように入れてください。")
            })?,
        };
        let status = match field("status") {
            None => None,
            Some(code) => {
                Some(Status::parse(&code).ok_or_else(|| "状態の指定が読めません。".to_owned())?)
            }
        };
        let search = match field("q") {
            None => Search::Anything,
            Some(q) if q.chars().all(|c| c.is_ascii_digit()) => {
                q.parse().map_or(Search::Anything, Search::Number)
            }
            Some(q) => Search::Name(without_spaces(&q)),
        };
        Ok(ListQuery {
            day,
            kiosk: field("kiosk"),
            status,
            search,
        })
    }

    /// Whether `check_in` (already one of the day's) is one the clerk asked for.
    pub fn matches(&self, check_in: &StoredCheckIn) -> bool {
        let kiosk = self
            .kiosk
            .as_ref()
            .is_none_or(|k| *k == check_in.record.kiosk);
        let status = self.status.is_none_or(|s| s == Status::of(check_in));
        let search = match &self.search {
            Search::Anything => true,
            Search::Number(n) => check_in.reception_number.is_some_and(|r| r.0 == *n),
            Search::Name(part) => check_in.record.patient_name.as_ref().is_some_and(|name| {
                without_spaces(&name.name).contains(part.as_str())
                    || name
                        .kana
                        .as_deref()
                        .is_some_and(|kana| without_spaces(kana).contains(part.as_str()))
            }),
        };
        kiosk && status && search
    }
}

fn without_spaces(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{3000}')
        .collect()
}

/// The kiosks of these check-ins, each once, in name order (for the kiosk filter).
pub fn kiosks(check_ins: &[StoredCheckIn]) -> Vec<String> {
    let mut names: Vec<String> = check_ins.iter().map(|c| c.record.kiosk.clone()).collect();
    names.sort();
    names.dedup();
    names
}

/// What the patient's slip asks them to bring next time, in words for patients.
pub fn next_time(check_in: &StoredCheckIn) -> &'static str {
    let by_reader = matches!(
        check_in.confirmed_verification(),
        Some(VerificationMethod::CardViaReader | VerificationMethod::SmartphoneViaReader)
    );
    match check_in.record.outcome.handoff_reason() {
        Some(HandoffReason::CardBlocked) => {
            "暗証番号の再設定は、お住まいの市区町村の窓口でできます。次回はマイナ保険証（マイナンバーカード）か資格確認書をお持ちください。"
        }
        Some(HandoffReason::CertificateExpired) => {
            "マイナンバーカードの電子証明書の更新は、お住まいの市区町村の窓口でできます（無料）。更新までは、保険者から届く資格確認書をお持ちください。"
        }
        Some(HandoffReason::CertificateNotAccepted) => {
            "マイナンバーカードの電子証明書の更新は、お住まいの市区町村の窓口でできます。次回はマイナ保険証（マイナンバーカード）か資格確認書をお持ちください。"
        }
        _ if by_reader => "次回もマイナ保険証（マイナンバーカード）をお持ちください。",
        _ => "次回はマイナ保険証（マイナンバーカード）か資格確認書をお持ちください。",
    }
}

/// A date as staff write it: 「2026年11月30日」.
pub fn date_japanese(day: Date) -> String {
    format!("{}年{}月{}日", day.year(), day.month(), day.day())
}

#[cfg(test)]
mod tests {
    use crate::{date, datetime};

    use super::*;
    use crate::domain::{
        CheckInRecord, ClosedAs, HandoffResolution, PatientName, ReceptionNumber, Step,
    };

    fn check_in(number: Option<u32>, outcome: Outcome, kiosk: &str) -> StoredCheckIn {
        let at = datetime!(2026-11-30 09:00 +09:00);
        StoredCheckIn {
            id: 1,
            reception_number: number.map(ReceptionNumber),
            record: CheckInRecord {
                started_at: at,
                finished_at: at,
                visit_date: at.date_naive(),
                presented: None,
                identity: None,
                verification: None,
                counts_toward_usage_rate: false,
                expected_route: None,
                consent: Default::default(),
                eligibility: None,
                outcome,
                checklist: vec![],
                wrong_pin_entries: 0,
                kiosk: kiosk.to_owned(),
                patient_name: None,
                department: None,
            },
            resolution: None,
        }
    }

    fn query(fields: &[(&str, &str)]) -> Result<ListQuery, String> {
        let fields = fields
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        ListQuery::parse(&fields, date!(2026 - 11 - 30))
    }

    #[test]
    fn the_query_reads_what_clerks_type() {
        let q = query(&[]).unwrap();
        assert_eq!(q.day, date!(2026 - 11 - 30));
        assert_eq!(q.search, Search::Anything);
        let q = query(&[("q", "１２"), ("day", "２０２６/１１/２９")]).unwrap();
        assert_eq!(q.search, Search::Number(12));
        assert_eq!(q.day, date!(2026 - 11 - 29));
        let q = query(&[
            ("q", "山田　花子"),
            ("status", "waiting"),
            ("kiosk", "2階 受付機"),
        ])
        .unwrap();
        assert_eq!(q.search, Search::Name("山田花子".to_owned()));
        assert_eq!(q.status, Some(Status::Waiting));
        assert_eq!(q.kiosk.as_deref(), Some("2階 受付機"));
        assert!(query(&[("day", "11月30日")]).unwrap_err().contains("日付"));
        assert!(query(&[("status", "open")]).is_err());
    }

    #[test]
    fn each_check_in_has_a_status_in_staff_words() {
        let handed = Outcome::HandedToStaff {
            reason: HandoffReason::ConfirmPortalScreen,
        };
        let mut closed = check_in(Some(3), handed, "受付機1");
        closed.resolution = Some(HandoffResolution {
            closed_as: ClosedAs::Cancelled,
            note: String::new(),
            staff: "sato".to_owned(),
            resolved_at: datetime!(2026-11-30 09:10 +09:00),
        });
        let table = [
            (check_in(Some(1), Outcome::Completed, "受付機1"), "完了"),
            (check_in(Some(2), handed, "受付機1"), "対応待ち"),
            (closed, "取消"),
            (
                check_in(None, Outcome::TimedOut { at: Step::Welcome }, "受付機1"),
                "時間切れ",
            ),
        ];
        for (c, word) in table {
            assert_eq!(Status::of(&c).japanese(), word);
        }
    }

    #[test]
    fn search_and_filters_pick_the_rows() {
        let handed = Outcome::HandedToStaff {
            reason: HandoffReason::EligibilityInvalid,
        };
        let mut named = check_in(Some(12), handed, "2階 受付機");
        named.record.patient_name = Some(PatientName {
            name: "山田 花子".to_owned(),
            kana: Some("ヤマダ ハナコ".to_owned()),
            birth_date: None,
        });
        let plain = check_in(Some(1), Outcome::Completed, "受付機1");
        let rows = [&named, &plain];
        let picked = |fields: &[(&str, &str)]| -> Vec<u32> {
            let q = query(fields).unwrap();
            rows.iter()
                .filter(|c| q.matches(c))
                .filter_map(|c| c.reception_number.map(|n| n.0))
                .collect()
        };
        assert_eq!(picked(&[]), vec![12, 1]);
        assert_eq!(picked(&[("q", "12")]), vec![12]);
        assert_eq!(picked(&[("q", "１")]), vec![1]);
        assert_eq!(picked(&[("q", "山田花子")]), vec![12]);
        assert_eq!(picked(&[("q", "ハナコ")]), vec![12]);
        assert_eq!(picked(&[("kiosk", "受付機1")]), vec![1]);
        assert_eq!(picked(&[("status", "waiting")]), vec![12]);
        assert_eq!(
            picked(&[("status", "completed"), ("q", "12")]),
            Vec::<u32>::new()
        );
        assert_eq!(
            kiosks(&[named.clone(), plain.clone(), plain]),
            vec!["2階 受付機", "受付機1"]
        );
    }

    #[test]
    fn the_slip_asks_for_what_works_next_time() {
        let mut card = check_in(Some(1), Outcome::Completed, "受付機1");
        card.record.verification = Some(VerificationMethod::CardViaReader);
        assert!(next_time(&card).starts_with("次回もマイナ保険証"));
        let blocked = check_in(
            Some(2),
            Outcome::HandedToStaff {
                reason: HandoffReason::CardBlocked,
            },
            "受付機1",
        );
        assert!(next_time(&blocked).contains("市区町村の窓口"));
        let portal = check_in(
            Some(3),
            Outcome::HandedToStaff {
                reason: HandoffReason::ConfirmPortalScreen,
            },
            "受付機1",
        );
        assert!(next_time(&portal).contains("資格確認書"));
        assert_eq!(date_japanese(date!(2026 - 11 - 30)), "2026年11月30日");
    }
}
