//! The queue of open handoffs as the desk reads it (review 2026-11 rows 4, 6, 8, 10, 11, 12):
//! longest wait first, today's apart from earlier days' (reception numbers restart each day),
//! a mark past 15 and 30 minutes, what the case is about in a few words (「内容」), where the
//! patient waits, who is already handling whom, and the header badge's line.
//!
//! Owns: the order, the day sections, the marks, the 内容 label, the waiting place, the claims
//! (「対応中：佐藤」) and the check of the bulk close of earlier days. Must not know: HTTP, HTML,
//! SQL, the clock (`now` is given).

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Datelike, FixedOffset, TimeDelta};

use crate::dates::Date;

use crate::domain::{ChecklistItem, HandoffReason, Presented, StoredCheckIn};
use crate::rules::{JST, WaitingPlace};

use super::FieldError;

/// A wait this long (minutes) or longer is marked 「!」 and 「15分以上」, in bold.
pub const LONG_WAIT_MINUTES: i64 = 15;
/// A wait this long (minutes) or longer gets a red band and 「長時間」.
pub const VERY_LONG_WAIT_MINUTES: i64 = 30;
/// A claim (「対応中：佐藤」) lapses this long after the resolve page was opened.
pub const CLAIM_LASTS: TimeDelta = TimeDelta::minutes(10);
/// The longest reason for a bulk close, in characters (as a resolve form's note).
pub const NOTE_CHARS: usize = 500;

/// How long a patient has waited, as the queue marks it (in text as well as colour).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum WaitMark {
    Normal,
    /// [`LONG_WAIT_MINUTES`] or more: bold, 「!」 and 「15分以上」.
    Long,
    /// [`VERY_LONG_WAIT_MINUTES`] or more: a red band and 「長時間」.
    VeryLong,
}

impl WaitMark {
    pub fn of(minutes: i64) -> WaitMark {
        if minutes >= VERY_LONG_WAIT_MINUTES {
            WaitMark::VeryLong
        } else if minutes >= LONG_WAIT_MINUTES {
            WaitMark::Long
        } else {
            WaitMark::Normal
        }
    }

    /// The words beside the minutes (empty for a normal wait).
    pub fn text(self) -> &'static str {
        match self {
            WaitMark::Normal => "",
            WaitMark::Long => "! 15分以上",
            WaitMark::VeryLong => "! 長時間",
        }
    }

    /// The class the row gets (`wait-long`, `wait-very-long`; empty for a normal wait).
    pub fn class(self) -> &'static str {
        match self {
            WaitMark::Normal => "",
            WaitMark::Long => "wait-long",
            WaitMark::VeryLong => "wait-very-long",
        }
    }
}

/// Where the patient is waiting: the words the kiosk's screen used for this handoff.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// 「この受付機の前でお待ちください」: staff go to the kiosk.
    AtKiosk,
    /// The patient was sent to the reception desk.
    AtDesk,
}

impl Place {
    /// Where a patient handed over for `reason` waits. Only 「スタッフを呼ぶ」 asks the patient to
    /// wait where the facility's `waiting_place` says (the kiosk's handoff screen reads the same
    /// setting); every other handoff screen sends the patient to the desk with a card, phone,
    /// document or the number.
    pub fn of(reason: HandoffReason, facility: WaitingPlace) -> Place {
        match (reason, facility) {
            (HandoffReason::PatientCalledStaff, WaitingPlace::AtKiosk) => Place::AtKiosk,
            _ => Place::AtDesk,
        }
    }

    pub fn japanese(self) -> &'static str {
        match self {
            Place::AtKiosk => "受付機の前",
            Place::AtDesk => "受付窓口",
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Place::AtKiosk => "at_kiosk",
            Place::AtDesk => "at_desk",
        }
    }
}

/// Whether the PIN guard handed this check-in over with one PIN try left on the card (the
/// kiosk's checklist for it says so; a patient who asked, or a card hiding its tries, differs).
pub fn one_try_left(h: &StoredCheckIn) -> bool {
    h.record.outcome.handoff_reason() == Some(HandoffReason::StaffVisualCheck)
        && h.record
            .checklist
            .contains(&ChecklistItem::NoPinAtDeskOneTryLeft)
}

/// What the case is about, in a few words for the queue's 「内容」 column: the reason with
/// what the patient declared or showed (「書類：期限切れ保険証」, 「iPhone・スマホ」,
/// 「暗証番号 残り1回」).
pub fn content_label(h: &StoredCheckIn) -> &'static str {
    use HandoffReason as R;
    let r = &h.record;
    let phone = matches!(
        r.presented,
        Some(Presented::AndroidPhone | Presented::UnreadableDevice)
    );
    let Some(reason) = r.outcome.handoff_reason() else {
        return "";
    };
    match reason {
        R::ConfirmPortalScreen => "iPhone・スマホ（資格情報画面）",
        R::StaffVisualCheck if one_try_left(h) => "暗証番号 残り1回",
        R::StaffVisualCheck
            if r.checklist
                .contains(&ChecklistItem::NoPinAtDeskTriesUnknown) =>
        {
            "暗証番号の残り回数不明"
        }
        R::StaffVisualCheck => "目視確認",
        R::PatientAskedStaffToCheck => "目視確認（患者さんの希望）",
        R::CardBlocked if phone => "暗証番号ロック（スマホ）",
        R::CardBlocked => "暗証番号ロック",
        R::PaperDocument => match r.presented {
            Some(Presented::EligibilityCertificate) => "書類：資格確認書",
            Some(Presented::EligibilityNoticeWithCard) => "書類：資格情報のお知らせ＋カード",
            Some(Presented::ExpiredInsuranceCard) => "書類：期限切れ保険証",
            _ => "書類なし",
        },
        R::EligibilityInvalid => "資格無効",
        R::NoEligibility => "資格情報なし",
        R::SeveralMatches => "資格が複数該当",
        R::GatewayUnavailable => "オンライン資格確認に接続できない",
        R::CertificateNotAccepted if phone => "電子証明書が受け付けられない（スマホ）",
        R::CertificateNotAccepted => "電子証明書が受け付けられない",
        R::CertificateExpired if phone => "電子証明書の有効期限切れ（スマホ）",
        R::CertificateExpired => "電子証明書の有効期限切れ",
        R::PatientCalledStaff => "スタッフ呼び出し",
        R::ReaderOutOfService => "カードリーダー停止",
        R::ConfirmResultAtDesk => "顔認証付きカードリーダーの結果を確認",
    }
}

/// The reception number as staff call it: 「7」 today, 「11/27-1」 on an earlier day (numbers
/// restart each day, so the day tells two 「1」 apart). 「-」 without a number.
pub fn number_label(h: &StoredCheckIn, today: Date) -> String {
    let Some(n) = h.reception_number else {
        return "-".to_owned();
    };
    let day = h.record.visit_date;
    if day == today {
        n.to_string()
    } else {
        format!("{}/{}-{n}", day.month(), day.day())
    }
}

/// One open handoff as the queue shows it.
#[derive(Debug, Clone)]
pub struct Row<'a> {
    pub check_in: &'a StoredCheckIn,
    pub number: String,
    /// Whole minutes since the check-in ended (0 for a clock that went back).
    pub waited_minutes: i64,
    pub mark: WaitMark,
    pub content: &'static str,
    pub place: Place,
    /// Who has the resolve page open (display name), if the claim still stands.
    pub handled_by: Option<String>,
}

/// The open handoffs, split into today's and earlier days' (by visit date in Japan), each
/// longest wait first (ties: the lower id first).
#[derive(Debug, Clone, Default)]
pub struct Queue<'a> {
    pub today: Vec<Row<'a>>,
    pub earlier: Vec<Row<'a>>,
}

impl Queue<'_> {
    /// The header badge's words: 「対応待ち 12件（最長 38分）」 for today's, with
    /// 「・前日以前 3件」 when earlier days left some open; 「対応待ち 0件」 when none.
    pub fn badge(&self) -> String {
        let mut text = format!("対応待ち {}件", self.today.len());
        if let Some(longest) = self.today.first() {
            text.push_str(&format!("（最長 {}分）", longest.waited_minutes));
        }
        if !self.earlier.is_empty() {
            text.push_str(&format!("・前日以前 {}件", self.earlier.len()));
        }
        text
    }

    /// How many are open in all (the title's 「(12)」).
    pub fn open(&self) -> usize {
        self.today.len() + self.earlier.len()
    }
}

/// Arranges open handoffs for the queue at `now` (any offset; the day is read in Japan).
pub fn arrange<'a>(
    handoffs: &'a [StoredCheckIn],
    now: DateTime<FixedOffset>,
    facility: WaitingPlace,
    claims: &Claims,
) -> Queue<'a> {
    let today = now.with_timezone(&JST).date_naive();
    let mut queue = Queue::default();
    for h in handoffs {
        let Some(reason) = h.record.outcome.handoff_reason() else {
            continue;
        };
        let waited_minutes = (now - h.record.finished_at).num_minutes().max(0);
        let row = Row {
            check_in: h,
            number: number_label(h, today),
            waited_minutes,
            mark: WaitMark::of(waited_minutes),
            content: content_label(h),
            place: Place::of(reason, facility),
            handled_by: claims.holder(h.id, now).map(str::to_owned),
        };
        if h.record.visit_date < today {
            queue.earlier.push(row);
        } else {
            queue.today.push(row);
        }
    }
    let order = |a: &Row, b: &Row| {
        a.check_in
            .record
            .finished_at
            .cmp(&b.check_in.record.finished_at)
            .then(a.check_in.id.cmp(&b.check_in.id))
    };
    queue.today.sort_by(order);
    queue.earlier.sort_by(order);
    queue
}

/// Who has which resolve page open: check-in id → (display name, since). A claim lapses after
/// [`CLAIM_LASTS`], or when dropped (the handoff was closed).
#[derive(Debug, Clone, Default)]
pub struct Claims {
    held: HashMap<i64, (String, DateTime<FixedOffset>)>,
}

impl Claims {
    /// `staff` (a display name) opened the resolve page of `check_in` at `now`; a later opener
    /// takes the claim over.
    pub fn claim(&mut self, check_in: i64, staff: &str, now: DateTime<FixedOffset>) {
        self.held.insert(check_in, (staff.to_owned(), now));
        self.held.retain(|_, (_, since)| now - *since < CLAIM_LASTS);
    }

    /// The check-in was closed: nobody handles it any more.
    pub fn release(&mut self, check_in: i64) {
        self.held.remove(&check_in);
    }

    /// Who handles `check_in` at `now`, if the claim has not lapsed.
    pub fn holder(&self, check_in: i64, now: DateTime<FixedOffset>) -> Option<&str> {
        self.held
            .get(&check_in)
            .filter(|(_, since)| now - *since < CLAIM_LASTS)
            .map(|(name, _)| name.as_str())
    }
}

/// The reason for a bulk close of earlier days' handoffs, or what to correct: the reason
/// (`note`) is required (at most [`NOTE_CHARS`] characters) and the box `confirm` ticked.
pub fn bulk_close_reason(form: &BTreeMap<String, String>) -> Result<String, Vec<FieldError>> {
    let field = |name: &str| form.get(name).map(|v| v.trim()).unwrap_or_default();
    let note = field("note");
    let mut errors = Vec::new();
    if note.is_empty() {
        errors.push(FieldError {
            field: "note",
            japanese: "まとめて取り消す理由を書いてください。".to_owned(),
            english: "Write why these check-ins are closed.".to_owned(),
        });
    } else if note.chars().count() > NOTE_CHARS {
        errors.push(FieldError {
            field: "note",
            japanese: format!("理由は{NOTE_CHARS}文字までです。"),
            english: format!("The reason has at most {NOTE_CHARS} characters."),
        });
    }
    if field("confirm") != "yes" {
        errors.push(FieldError {
            field: "confirm",
            japanese: "「前日以前の未対応をすべて取り消す」にチェックしてください。".to_owned(),
            english: "Tick the box to confirm.".to_owned(),
        });
    }
    if errors.is_empty() {
        Ok(note.to_owned())
    } else {
        Err(errors)
    }
}

/// The resolve form a bulk close sends for each earlier day's handoff: 「取り消す」 with the
/// reason as its note, already confirmed (the bulk form asked), so it goes through
/// [`super::decide`] like a clerk's own.
pub fn bulk_cancel_form(note: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        (
            "action".to_owned(),
            super::DeskAction::Cancel.as_str().to_owned(),
        ),
        ("note".to_owned(), note.to_owned()),
        ("confirm".to_owned(), "yes".to_owned()),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::datetime;
    use crate::domain::{
        CheckInRecord, ConsentAnswers, DeclaredDocument, Outcome, ReceptionNumber,
    };

    const NOW: DateTime<FixedOffset> = datetime!(2026-11-30 10:00 +09:00);

    fn handoff(id: i64, reason: HandoffReason, finished: DateTime<FixedOffset>) -> StoredCheckIn {
        StoredCheckIn {
            id,
            reception_number: Some(ReceptionNumber(id as u32)),
            record: CheckInRecord {
                started_at: finished,
                finished_at: finished,
                visit_date: finished.with_timezone(&JST).date_naive(),
                presented: None,
                identity: None,
                verification: None,
                counts_toward_usage_rate: false,
                expected_route: None,
                consent: ConsentAnswers::default(),
                eligibility: None,
                outcome: Outcome::HandedToStaff { reason },
                checklist: vec![],
                wrong_pin_entries: 0,
                kiosk: "受付機1".to_owned(),
                patient_name: None,
                department: None,
            },
            resolution: None,
        }
    }

    #[test]
    fn marks_start_at_15_and_30_minutes_in_words() {
        assert_eq!(WaitMark::of(0), WaitMark::Normal);
        assert_eq!(WaitMark::of(14), WaitMark::Normal);
        assert_eq!(WaitMark::of(15), WaitMark::Long);
        assert_eq!(WaitMark::of(29), WaitMark::Long);
        assert_eq!(WaitMark::of(30), WaitMark::VeryLong);
        assert_eq!(WaitMark::of(3600), WaitMark::VeryLong);
        assert_eq!(WaitMark::Normal.text(), "");
        assert!(WaitMark::Long.text().contains("15分以上"));
        assert!(WaitMark::Long.text().contains('!'));
        assert!(WaitMark::VeryLong.text().contains("長時間"));
    }

    #[test]
    fn longest_wait_first_and_earlier_days_apart_with_their_date() {
        let r = HandoffReason::GatewayUnavailable;
        let handoffs = vec![
            handoff(1, r, datetime!(2026-11-27 09:00 +09:00)),
            handoff(2, r, datetime!(2026-11-28 18:00 +09:00)),
            handoff(3, r, NOW - TimeDelta::minutes(5)),
            handoff(4, r, NOW - TimeDelta::minutes(38)),
            handoff(5, r, NOW - TimeDelta::minutes(16)),
            // Just after midnight in Japan, still 11-29 in UTC: today.
            handoff(6, r, datetime!(2026-11-29 15:30 UTC)),
        ];
        let q = arrange(&handoffs, NOW, WaitingPlace::AtKiosk, &Claims::default());
        let ids = |rows: &[Row]| rows.iter().map(|r| r.check_in.id).collect::<Vec<_>>();
        assert_eq!(ids(&q.today), vec![6, 4, 5, 3]);
        assert_eq!(ids(&q.earlier), vec![1, 2]);
        assert_eq!(q.today[1].waited_minutes, 38);
        assert_eq!(q.today[1].mark, WaitMark::VeryLong);
        assert_eq!(q.today[2].mark, WaitMark::Long);
        assert_eq!(q.today[3].mark, WaitMark::Normal);
        assert_eq!(q.today[1].number, "4");
        assert_eq!(q.earlier[0].number, "11/27-1");
        assert_eq!(q.earlier[1].number, "11/28-2");
        assert_eq!(q.open(), 6);
        assert_eq!(q.badge(), "対応待ち 4件（最長 570分）・前日以前 2件");
        let none = arrange(&[], NOW, WaitingPlace::AtKiosk, &Claims::default());
        assert_eq!(none.badge(), "対応待ち 0件");
    }

    #[test]
    fn only_a_patient_who_called_staff_waits_at_the_kiosk_and_only_where_the_facility_says() {
        for reason in HandoffReason::ALL {
            let at_kiosk = Place::of(reason, WaitingPlace::AtKiosk);
            let expected = if reason == HandoffReason::PatientCalledStaff {
                Place::AtKiosk
            } else {
                Place::AtDesk
            };
            assert_eq!(at_kiosk, expected, "{reason:?}");
            assert_eq!(
                Place::of(reason, WaitingPlace::AtReceptionDesk),
                Place::AtDesk
            );
        }
        assert_eq!(Place::AtKiosk.japanese(), "受付機の前");
        assert_eq!(Place::AtDesk.japanese(), "受付窓口");
    }

    #[test]
    fn the_content_label_names_the_case_and_tells_one_try_left_from_a_patients_request() {
        let at = NOW;
        let mut one_try = handoff(1, HandoffReason::StaffVisualCheck, at);
        one_try.record.checklist = vec![
            ChecklistItem::NoPinAtDeskOneTryLeft,
            ChecklistItem::CompareCardPhoto,
        ];
        assert!(one_try_left(&one_try));
        assert_eq!(content_label(&one_try), "暗証番号 残り1回");

        let mut hidden = handoff(2, HandoffReason::StaffVisualCheck, at);
        hidden.record.checklist = vec![
            ChecklistItem::NoPinAtDeskTriesUnknown,
            ChecklistItem::CompareCardPhoto,
        ];
        assert!(!one_try_left(&hidden));
        assert_eq!(content_label(&hidden), "暗証番号の残り回数不明");

        let asked = handoff(3, HandoffReason::PatientAskedStaffToCheck, at);
        assert!(!one_try_left(&asked));
        assert_eq!(content_label(&asked), "目視確認（患者さんの希望）");

        for (document, label) in [
            (DeclaredDocument::EligibilityCertificate, "書類：資格確認書"),
            (
                DeclaredDocument::EligibilityNoticeWithCard,
                "書類：資格情報のお知らせ＋カード",
            ),
            (
                DeclaredDocument::ExpiredInsuranceCard,
                "書類：期限切れ保険証",
            ),
            (DeclaredDocument::Nothing, "書類なし"),
        ] {
            let mut paper = handoff(4, HandoffReason::PaperDocument, at);
            paper.record.presented = Some(document.presented());
            assert_eq!(content_label(&paper), label);
        }
        let portal = handoff(5, HandoffReason::ConfirmPortalScreen, at);
        assert!(content_label(&portal).contains("iPhone"));
        // Every reason has words, none of them a code.
        for reason in HandoffReason::ALL {
            let label = content_label(&handoff(6, reason, at));
            assert!(!label.is_empty() && !label.contains('_'), "{reason:?}");
        }
    }

    #[test]
    fn a_claim_shows_who_handles_it_until_it_lapses_or_is_released() {
        let mut claims = Claims::default();
        claims.claim(7, "佐藤 花子", NOW);
        assert_eq!(
            claims.holder(7, NOW + TimeDelta::minutes(9)),
            Some("佐藤 花子")
        );
        assert_eq!(claims.holder(7, NOW + TimeDelta::minutes(10)), None);
        assert_eq!(claims.holder(8, NOW), None);
        claims.claim(7, "鈴木 一郎", NOW + TimeDelta::minutes(1));
        assert_eq!(
            claims.holder(7, NOW + TimeDelta::minutes(2)),
            Some("鈴木 一郎")
        );
        claims.release(7);
        assert_eq!(claims.holder(7, NOW + TimeDelta::minutes(2)), None);
        let handoffs = vec![handoff(9, HandoffReason::PatientCalledStaff, NOW)];
        claims.claim(9, "佐藤 花子", NOW);
        let q = arrange(&handoffs, NOW, WaitingPlace::AtKiosk, &claims);
        assert_eq!(q.today[0].handled_by.as_deref(), Some("佐藤 花子"));
        assert_eq!(q.today[0].place, Place::AtKiosk);
    }

    #[test]
    fn a_bulk_close_needs_a_reason_and_a_tick() {
        let form = |pairs: &[(&str, &str)]| {
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect::<BTreeMap<_, _>>()
        };
        let errors = bulk_close_reason(&form(&[("note", "  "), ("confirm", "yes")])).unwrap_err();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].field, "note");
        let errors = bulk_close_reason(&form(&[("note", "前日の残り")])).unwrap_err();
        assert_eq!(errors[0].field, "confirm");
        let long = "あ".repeat(NOTE_CHARS + 1);
        assert!(bulk_close_reason(&form(&[("note", &long), ("confirm", "yes")])).is_err());
        assert_eq!(
            bulk_close_reason(&form(&[("note", " 前日の残り "), ("confirm", "yes")])).unwrap(),
            "前日の残り"
        );
        let sent = bulk_cancel_form("前日の残り");
        assert_eq!(sent["action"], "cancel");
        assert_eq!(sent["note"], "前日の残り");
    }
}
