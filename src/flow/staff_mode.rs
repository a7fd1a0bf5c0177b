//! The kiosk's staff mode: a hidden gesture, a staff PIN, and a panel where staff confirm a
//! visual identity check for the patient in front of them, see the reader's state and return
//! the kiosk to service.
//!
//! Pure like the check-in flow: `handle(now, StaffInput)`, `poll()` for what it wants done,
//! `view()` for what the kiosk shows over the patient's screen, `next_deadline()` for when it
//! wants a `Tick`. It never checks a PIN itself (the adapter hashes and compares, and counts
//! failures in the store) and never decides what a visual check records: it asks staff the
//! console's two questions in turn (photo, then the desk reader's eligibility result) and
//! `desk::kiosk_visual_check` decides from the answers.

use std::collections::VecDeque;

use chrono::{DateTime, FixedOffset, TimeDelta, Timelike};

use super::ports::Ticket;
use crate::desk::KioskAnswers;
use crate::domain::{HandoffReason, PatientName, ReceptionNumber};
use crate::rules::StaffModeSettings;
use crate::staff::{KioskStaff, StaffPin};

/// A handoff from this kiosk that a visual identity check can close.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingVisualCheck {
    pub check_in_id: i64,
    pub reception_number: Option<ReceptionNumber>,
    pub reason: HandoffReason,
    pub handed_over_at: DateTime<FixedOffset>,
    pub name: Option<PatientName>,
}

/// A patient's name as the staff panel shows it to the waiting room: the family name and one
/// Latin initial of the given name, e.g. 「山田 太郎」 read ヤマダ タロウ -> 「山田 T.」, "Yamada
/// Taro" -> "Yamada T.". The full name is shown only while a staff finger holds the card, and
/// on the question that asks staff to confirm that patient.
///
/// The rule, which never gives the full name back:
/// - the family name is the part before the first space (ASCII " " or full-width 「　」, any
///   Unicode white space); the given name is the rest;
/// - the initial is one Latin capital and a dot: the Hepburn initial of the given name's
///   reading (the カナ氏名, in katakana, hiragana or half-width katakana) when the reading is
///   split by a space too; else the given name's first letter when the given name is Latin
///   and longer than one letter; else none: 「山田 …」 (a kanji given name's first character
///   may be all of it);
/// - a name without a space cannot be split: its first character and 「…」 (「山…」), and only
///   「…」 for a one-character name; an empty name gives "".
pub fn short_name(name: &PatientName) -> String {
    let full = name.name.trim();
    let Some((family, given)) = full.split_once(char::is_whitespace) else {
        let mut chars = full.chars();
        return match (chars.next(), chars.next()) {
            (None, _) => String::new(),
            (Some(_), None) => "…".to_owned(),
            (Some(first), Some(_)) => format!("{first}…"),
        };
    };
    let given = given.trim();
    let from_reading = name
        .kana
        .as_deref()
        .and_then(|kana| kana.trim().split_once(char::is_whitespace))
        .and_then(|(_, given_kana)| kana_initial(given_kana.trim()));
    let from_latin = || {
        let mut letters = given.chars();
        match (letters.next(), letters.next()) {
            (Some(c), Some(_)) if c.is_ascii_alphabetic() => Some(c.to_ascii_uppercase()),
            _ => None,
        }
    };
    match from_reading.or_else(from_latin) {
        Some(initial) => format!("{family} {initial}."),
        None => format!("{family} …"),
    }
}

/// The Hepburn initial of a reading in katakana, hiragana or half-width katakana (シ -> S,
/// チ -> C, ツ -> T, フ -> F, ジ -> J), or `None` when it starts with anything else.
fn kana_initial(reading: &str) -> Option<char> {
    const HALF: &str = "ｦｧｨｩｪｫｬｭｮｯｰｱｲｳｴｵｶｷｸｹｺｻｼｽｾｿﾀﾁﾂﾃﾄﾅﾆﾇﾈﾉﾊﾋﾌﾍﾎﾏﾐﾑﾒﾓﾔﾕﾖﾗﾘﾙﾚﾛﾜﾝ";
    const FULL: &str = "ヲァィゥェォャュョッーアイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワン";
    const ROWS: [(&str, char); 23] = [
        ("アァ", 'A'),
        ("イィ", 'I'),
        ("ウゥ", 'U'),
        ("エェ", 'E'),
        ("オォ", 'O'),
        ("カキクケコヵヶ", 'K'),
        ("ガギグゲゴ", 'G'),
        ("サシスセソ", 'S'),
        ("ザズゼゾ", 'Z'),
        ("ジヂ", 'J'),
        ("タテトツッ", 'T'),
        ("チ", 'C'),
        ("ダヅデド", 'D'),
        ("ナニヌネノン", 'N'),
        ("ハヒヘホ", 'H'),
        ("フ", 'F'),
        ("バビブベボ", 'B'),
        ("パピプペポ", 'P'),
        ("マミムメモ", 'M'),
        ("ヤャユュヨョ", 'Y'),
        ("ラリルレロ", 'R'),
        ("ワヮヰヱヲ", 'W'),
        ("ヴ", 'V'),
    ];
    let mut chars = reading.chars();
    let first = chars.next()?;
    let mark = chars.next();
    let kata = match first {
        // Hiragana sit 0x60 below their katakana.
        'ぁ'..='ゖ' => char::from_u32(u32::from(first) + 0x60)?,
        _ => match HALF.chars().position(|h| h == first) {
            // A half-width voicing mark is a character of its own.
            Some(i) => {
                let base = FULL.chars().nth(i)?;
                match (base, mark) {
                    ('ウ', Some('ﾞ')) => 'ヴ',
                    (_, Some('ﾞ')) => char::from_u32(u32::from(base) + 1).unwrap_or(base),
                    ('ハ' | 'ヒ' | 'フ' | 'ヘ' | 'ホ', Some('ﾟ')) => {
                        char::from_u32(u32::from(base) + 2).unwrap_or(base)
                    }
                    _ => base,
                }
            }
            None => first,
        },
    };
    ROWS.iter()
        .find(|(row, _)| row.contains(kata))
        .map(|&(_, letter)| letter)
}

/// Why a PIN did not open the panel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PinRefusal {
    /// Wrong; this many more wrong PINs lock it.
    Wrong { tries_before_lock: u32 },
    /// Locked after too many wrong PINs (a technician can unlock it on the console).
    Locked { until: DateTime<FixedOffset> },
    /// The account has no kiosk PIN any more.
    NoPin,
}

/// What staff mode wants done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StaffCommand {
    /// Who can open the panel (accounts with a kiosk PIN).
    LoadRoster(Ticket),
    /// Check this PIN once.
    CheckPin(Ticket, String, StaffPin),
    /// The open handoffs from this kiosk that a visual check closes.
    LoadChecks(Ticket),
    /// Staff answered both questions about this handoff: `desk::kiosk_visual_check` decides
    /// from `answers` whether it closes as a visual check or stays open for the desk.
    ConfirmVisualCheck {
        ticket: Ticket,
        check_in_id: i64,
        login: String,
        answers: KioskAnswers,
    },
    /// Close the kiosk to patients (`true`) or reopen it (`false`), as `login`; closing, with
    /// when staff expect to reopen it if they said.
    SetKioskPaused {
        ticket: Ticket,
        login: String,
        paused: bool,
        reopens_at: Option<DateTime<FixedOffset>>,
    },
    /// The panel closed: audit who and why.
    Closed { login: String, why: CloseReason },
    /// Read whether this kiosk is closed, as the store says now; answered with
    /// `StaffInput::KioskPauseSeen`. Asked every [`PAUSE_RECHECK_SECONDS`] while the kiosk shows
    /// its closed screen, so a reopening the database watch missed cannot keep it closed.
    ReadKioskPause,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloseReason {
    /// Staff pressed "return to service".
    ReturnedToService,
    /// Nobody touched the panel for the idle time.
    LeftIdle,
    /// Staff closed the kiosk to patients and left.
    KioskClosed,
}

impl CloseReason {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ReturnedToService => "returned_to_service",
            Self::LeftIdle => "left_idle",
            Self::KioskClosed => "kiosk_closed",
        }
    }
}

/// Everything that can happen to staff mode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StaffInput {
    /// A tap on the hidden spot (the top bar's title).
    CornerTap,
    /// Staff picked their name from the roster.
    Choose(usize),
    SubmitPin(StaffPin),
    /// Back from the PIN pad to the roster, out of the roster, or from the question that names
    /// a patient back to the panel (nothing recorded).
    Back,
    /// A card's "photo matches" button: asks staff about this patient by name first.
    ConfirmVisualCheck(i64),
    /// "Yes" to the question on screen: the photo matches (then the result question comes), or
    /// the desk's card reader showed the eligibility result (then it is recorded).
    ConfirmAsked,
    /// "Not shown" on the result question: recorded as left for the desk (nothing counts).
    ResultNotShown,
    /// "Close this kiosk" (`true`: asks when it will reopen first) or "reopen it to
    /// patients" (`false`).
    SetKioskPaused(bool),
    /// The answer to "when will it reopen?": in so many minutes (one of
    /// [`REOPEN_IN_MINUTES`]), or `None` for "not decided". Closes the kiosk.
    CloseKioskFor(Option<u32>),
    /// "Return the kiosk to service" (or, while it is closed, "leave it closed").
    Close,
    /// Any touch on the staff screens: keeps them open.
    Touch,
    Roster(Ticket, Result<Vec<KioskStaff>, String>),
    PinChecked(Ticket, Result<KioskStaff, PinRefusal>),
    Checks(Ticket, Result<Vec<PendingVisualCheck>, String>),
    Confirmed(Ticket, Result<VisualCheckOutcome, String>),
    /// Closing or reopening the kiosk was recorded: the kiosk is now closed (`true`) or open.
    KioskPausedSet(Ticket, Result<bool, String>),
    /// The closing was recorded (nothing changes; it tells the runtime the work is done).
    ClosingRecorded,
    /// What the store says now about this kiosk, whoever changed it: closed (`true`) or open.
    /// The kiosk's pause watch sends it after a change to the database (the console's
    /// 「受付機を再開する」, another process). It is no touch and no answer to a command: the
    /// kiosk simply follows the store. An open panel stays open (staff in front of the kiosk
    /// keep it) and its toggle then offers the other way; the idle screen behind it follows at
    /// once, so the panel's 「スタッフモードを終える」 leaves the kiosk as the store says.
    KioskPauseSeen {
        paused: bool,
        /// When staff at the kiosk expect to reopen it, if they said (closed only).
        reopens_at: Option<DateTime<FixedOffset>>,
    },
    Tick,
}

/// What the adapter did with staff's answers about one waiting patient.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VisualCheckOutcome {
    /// Closed as a visual check (both seen).
    Recorded(Option<ReceptionNumber>),
    /// The photo matched but no eligibility result was seen: still open, for the desk.
    LeftForDesk(Option<ReceptionNumber>),
}

/// The question on the panel about the patient staff picked, one at a time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckQuestion {
    /// 「顔写真と本人を見比べましたか」: yes, or back (nothing recorded).
    Photo,
    /// 「受付のカードリーダーで資格確認の結果が表示されましたか」: yes (recorded, counts by the
    /// rules), not shown (left for the desk, does not count), or back.
    Result,
}

/// A result shown on the panel after an action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PanelNote {
    VisualCheckRecorded(Option<ReceptionNumber>),
    /// The photo matched, no eligibility result: not recorded, left for the desk.
    LeftForDesk(Option<ReceptionNumber>),
    /// Technician detail (a store error).
    Failed(String),
}

/// What the kiosk shows over the patient's screen while staff mode is open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StaffView {
    /// "Who are you?": `None` while loading; a problem when it could not be read.
    Roster {
        staff: Option<Vec<KioskStaff>>,
        problem: Option<String>,
    },
    Pin {
        who: KioskStaff,
        checking: bool,
        refused: Option<PinRefusal>,
    },
    Panel {
        who: KioskStaff,
        /// `None` while loading.
        checks: Option<Vec<PendingVisualCheck>>,
        note: Option<PanelNote>,
        busy: bool,
        /// Staff closed the kiosk to patients.
        kiosk_paused: bool,
        /// When staff expect to reopen the closed kiosk, if they said.
        reopens_at: Option<DateTime<FixedOffset>>,
        /// "Close this kiosk" was pressed: "when will it reopen?" waits for an answer.
        asking_reopening: bool,
        /// A card's button was pressed: the questions that name the patient ("did the photo
        /// on Yamada Taro's (No. 43) card match?", then "did the desk's reader show the
        /// eligibility result?") wait for answers before anything is recorded.
        asking: Option<PendingVisualCheck>,
        /// Which of the two questions is on screen (`Photo` when nothing is asked).
        question: CheckQuestion,
    },
}

#[derive(Debug)]
enum State {
    Closed,
    Roster {
        /// The roster on its way from the store; `None` once it is here (or when it was kept
        /// from before the PIN pad).
        loading: Option<Ticket>,
        staff: Option<Vec<KioskStaff>>,
        problem: Option<String>,
    },
    Pin {
        roster: Vec<KioskStaff>,
        who: KioskStaff,
        checking: Option<Ticket>,
        refused: Option<PinRefusal>,
    },
    Panel {
        who: KioskStaff,
        loading: Option<Ticket>,
        checks: Option<Vec<PendingVisualCheck>>,
        confirming: Option<Ticket>,
        /// Closing (with its reopening time) or reopening the kiosk, on its way to the store.
        switching: Option<(Ticket, Option<DateTime<FixedOffset>>)>,
        /// "When will it reopen?" is up.
        asking_reopening: bool,
        note: Option<PanelNote>,
        /// The check staff are asked about by name, the question on screen, and when it
        /// appeared.
        asking: Option<(i64, CheckQuestion, DateTime<FixedOffset>)>,
    },
}

/// How long each question that names a patient ignores its answers after it appears: a
/// double tap on a card's button (or on the first question's yes) must not answer it (ms).
pub const CONFIRM_DEAD_TIME_MS: i64 = 600;

/// How often a closed kiosk (its closed screen up, no panel open) asks the store again whether
/// it is still closed (s): the database watch tells a reopening from the console within about
/// a second; this look is the safeguard if a notice is ever missed.
pub const PAUSE_RECHECK_SECONDS: i64 = 5;

/// The answers to "when will the kiosk reopen?" besides "not decided", in minutes.
pub const REOPEN_IN_MINUTES: [u32; 3] = [10, 30, 60];

/// When a kiosk closed at `now` for `minutes` reopens, as the paused screen says it: rounded
/// up to the next 5 minutes of the clock ("about 12:35", never a time already past), seconds
/// dropped, in `now`'s offset. E.g. 12:03:20 + 30 min -> 12:35.
pub fn reopening_time(now: DateTime<FixedOffset>, minutes: u32) -> DateTime<FixedOffset> {
    let at = now + TimeDelta::minutes(i64::from(minutes));
    let past_five = i64::from(at.minute() % 5) * 60 + i64::from(at.second());
    let exact = past_five == 0 && at.nanosecond() == 0;
    let floor =
        at - TimeDelta::seconds(past_five) - TimeDelta::nanoseconds(i64::from(at.nanosecond()));
    if exact {
        floor
    } else {
        floor + TimeDelta::minutes(5)
    }
}

pub struct StaffMode {
    settings: StaffModeSettings,
    state: State,
    /// Recent taps on the hidden spot, oldest first.
    taps: VecDeque<DateTime<FixedOffset>>,
    last_touch: DateTime<FixedOffset>,
    next_ticket: u64,
    out: VecDeque<StaffCommand>,
    /// Whether staff closed the kiosk to patients (recorded in the store; outlives the panel).
    kiosk_paused: bool,
    /// When staff expect to reopen it, if they said (recorded with the closing).
    reopens_at: Option<DateTime<FixedOffset>>,
    /// When the closed kiosk last asked the store whether it is still closed; `None` when it
    /// has not asked since it was closed (or while open, or while the panel is open).
    pause_read_at: Option<DateTime<FixedOffset>>,
}

impl StaffMode {
    pub fn new(settings: StaffModeSettings) -> StaffMode {
        StaffMode {
            settings,
            state: State::Closed,
            taps: VecDeque::new(),
            last_touch: crate::dates::UNIX_EPOCH,
            next_ticket: 0,
            out: VecDeque::new(),
            kiosk_paused: false,
            reopens_at: None,
            pause_read_at: None,
        }
    }

    /// Whether staff closed the kiosk to patients.
    pub fn kiosk_paused(&self) -> bool {
        self.kiosk_paused
    }

    /// When staff expect to reopen the closed kiosk, if they said.
    pub fn kiosk_reopens_at(&self) -> Option<DateTime<FixedOffset>> {
        self.reopens_at
    }

    /// What the store says at start-up: a kiosk closed before a restart stays closed, with the
    /// reopening time staff gave.
    pub fn start_paused(&mut self, paused: bool, reopens_at: Option<DateTime<FixedOffset>>) {
        self.kiosk_paused = paused;
        self.reopens_at = reopens_at.filter(|_| paused);
    }

    pub fn is_open(&self) -> bool {
        !matches!(self.state, State::Closed)
    }

    pub fn poll(&mut self) -> Option<StaffCommand> {
        self.out.pop_front()
    }

    /// When staff mode wants a `Tick`: the open panel closes itself if nobody touches it, or
    /// the closed kiosk asks the store again whether it is still closed
    /// ([`StaffMode::pause_recheck_at`]).
    pub fn next_deadline(&self) -> Option<DateTime<FixedOffset>> {
        match (self.idle_deadline(), self.pause_recheck_at()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// When the open panel closes itself if nobody touches it.
    fn idle_deadline(&self) -> Option<DateTime<FixedOffset>> {
        self.is_open()
            .then(|| self.last_touch + secs(self.settings.idle_seconds))
    }

    /// While the kiosk is closed and no panel is open (its closed screen is up): when it next
    /// asks the store whether it is still closed, [`PAUSE_RECHECK_SECONDS`] after the last
    /// look. Before the first look since it closed, the first `Tick` starts the count (the
    /// Unix epoch here means "at once"), so a kiosk just closed reads nothing straight away.
    pub fn pause_recheck_at(&self) -> Option<DateTime<FixedOffset>> {
        (self.kiosk_paused && !self.is_open()).then(|| {
            self.pause_read_at.map_or(crate::dates::UNIX_EPOCH, |t| {
                t + chrono::TimeDelta::seconds(PAUSE_RECHECK_SECONDS)
            })
        })
    }

    pub fn view(&self) -> Option<StaffView> {
        Some(match &self.state {
            State::Closed => return None,
            State::Roster { staff, problem, .. } => StaffView::Roster {
                staff: staff.clone(),
                problem: problem.clone(),
            },
            State::Pin {
                who,
                checking,
                refused,
                ..
            } => StaffView::Pin {
                who: who.clone(),
                checking: checking.is_some(),
                refused: *refused,
            },
            State::Panel {
                who,
                checks,
                note,
                loading,
                confirming,
                switching,
                asking,
                asking_reopening,
            } => StaffView::Panel {
                who: who.clone(),
                checks: checks.clone(),
                note: note.clone(),
                busy: loading.is_some() || confirming.is_some() || switching.is_some(),
                kiosk_paused: self.kiosk_paused,
                reopens_at: self.reopens_at,
                asking_reopening: *asking_reopening,
                asking: asking.and_then(|(id, ..)| {
                    checks
                        .iter()
                        .flatten()
                        .find(|c| c.check_in_id == id)
                        .cloned()
                }),
                question: asking.map_or(CheckQuestion::Photo, |(_, q, _)| q),
            },
        })
    }

    /// `patient_busy`: a check-in is under way, so the gesture does nothing (staff do not take
    /// the screen from a patient mid-way; "call staff" is there for that).
    pub fn handle(&mut self, now: DateTime<FixedOffset>, input: StaffInput, patient_busy: bool) {
        if let Some(deadline) = self.idle_deadline()
            && now >= deadline
        {
            self.close(CloseReason::LeftIdle);
        }
        if matches!(input, StaffInput::Tick) {
            self.recheck_pause(now);
        }
        let is_answer = matches!(
            input,
            StaffInput::Roster(..)
                | StaffInput::PinChecked(..)
                | StaffInput::Checks(..)
                | StaffInput::Confirmed(..)
                | StaffInput::KioskPausedSet(..)
                | StaffInput::ClosingRecorded
                | StaffInput::KioskPauseSeen { .. }
                | StaffInput::Tick
        );
        if self.is_open() && !is_answer {
            self.last_touch = now;
        }
        match input {
            StaffInput::CornerTap => self.corner_tap(now, patient_busy),
            StaffInput::Choose(index) => {
                if let State::Roster {
                    staff: Some(staff), ..
                } = &self.state
                    && let Some(who) = staff.get(index).cloned()
                {
                    let roster = staff.clone();
                    self.state = State::Pin {
                        roster,
                        who,
                        checking: None,
                        refused: None,
                    };
                }
            }
            StaffInput::SubmitPin(pin) => {
                if let State::Pin {
                    who,
                    checking: checking @ None,
                    ..
                } = &mut self.state
                {
                    self.next_ticket += 1;
                    let ticket = Ticket(self.next_ticket);
                    *checking = Some(ticket);
                    self.out
                        .push_back(StaffCommand::CheckPin(ticket, who.login.clone(), pin));
                }
            }
            StaffInput::Back => match &mut self.state {
                State::Pin {
                    roster,
                    checking: None,
                    ..
                } => {
                    let staff = std::mem::take(roster);
                    self.state = State::Roster {
                        loading: None,
                        staff: Some(staff),
                        problem: None,
                    };
                }
                State::Roster { .. } => self.state = State::Closed,
                State::Panel {
                    asking,
                    asking_reopening,
                    ..
                } => {
                    *asking = None;
                    *asking_reopening = false;
                }
                _ => {}
            },
            StaffInput::ConfirmVisualCheck(check_in_id) => {
                if let State::Panel {
                    checks: Some(checks),
                    confirming: None,
                    asking: asking @ None,
                    ..
                } = &mut self.state
                    && checks.iter().any(|c| c.check_in_id == check_in_id)
                {
                    *asking = Some((check_in_id, CheckQuestion::Photo, now));
                }
            }
            StaffInput::ConfirmAsked => self.answer(now, true),
            StaffInput::ResultNotShown => self.answer(now, false),
            StaffInput::SetKioskPaused(true) => {
                if let State::Panel {
                    switching: None,
                    asking: None,
                    asking_reopening,
                    ..
                } = &mut self.state
                    && !self.kiosk_paused
                {
                    *asking_reopening = true;
                }
            }
            StaffInput::SetKioskPaused(false) => {
                if self.kiosk_paused {
                    self.switch(false, None);
                }
            }
            StaffInput::CloseKioskFor(minutes) => {
                if let State::Panel {
                    asking_reopening: asking_reopening @ true,
                    switching: None,
                    ..
                } = &mut self.state
                    && !self.kiosk_paused
                    && minutes.is_none_or(|m| REOPEN_IN_MINUTES.contains(&m))
                {
                    *asking_reopening = false;
                    self.switch(true, minutes.map(|m| reopening_time(now, m)));
                }
            }
            StaffInput::KioskPausedSet(ticket, answer) => {
                if let State::Panel {
                    switching, note, ..
                } = &mut self.state
                    && let Some((sent, reopens_at)) = *switching
                    && sent == ticket
                {
                    *switching = None;
                    match answer {
                        // Closed: staff are done here. Reopened: back to patients at once.
                        Ok(paused) => {
                            self.kiosk_paused = paused;
                            self.reopens_at = reopens_at.filter(|_| paused);
                            self.close(if paused {
                                CloseReason::KioskClosed
                            } else {
                                CloseReason::ReturnedToService
                            });
                        }
                        Err(e) => *note = Some(PanelNote::Failed(e)),
                    }
                }
            }
            StaffInput::Close => self.close(CloseReason::ReturnedToService),
            StaffInput::KioskPauseSeen { paused, reopens_at } => {
                // Closed meanwhile: the question of when it reopens no longer applies.
                if paused
                    && let State::Panel {
                        asking_reopening, ..
                    } = &mut self.state
                {
                    *asking_reopening = false;
                }
                self.start_paused(paused, reopens_at);
            }
            StaffInput::Touch | StaffInput::Tick | StaffInput::ClosingRecorded => {}
            StaffInput::Roster(ticket, answer) => {
                if let State::Roster {
                    loading,
                    staff,
                    problem,
                } = &mut self.state
                    && *loading == Some(ticket)
                {
                    *loading = None;
                    match answer {
                        Ok(list) => *staff = Some(list),
                        Err(e) => {
                            *staff = Some(Vec::new());
                            *problem = Some(e);
                        }
                    }
                }
            }
            StaffInput::PinChecked(ticket, answer) => {
                if let State::Pin {
                    checking, refused, ..
                } = &mut self.state
                    && *checking == Some(ticket)
                {
                    *checking = None;
                    match answer {
                        Ok(who) => self.open_panel(who),
                        Err(why) => *refused = Some(why),
                    }
                }
            }
            StaffInput::Checks(ticket, answer) => {
                if let State::Panel {
                    loading,
                    checks,
                    note,
                    asking,
                    ..
                } = &mut self.state
                    && *loading == Some(ticket)
                {
                    *loading = None;
                    // Closed meanwhile (on the console): nothing left to ask about.
                    if let (Some((id, ..)), Ok(list)) = (*asking, &answer)
                        && !list.iter().any(|c| c.check_in_id == id)
                    {
                        *asking = None;
                    }
                    match answer {
                        Ok(list) => *checks = Some(list),
                        Err(e) => {
                            *checks = Some(Vec::new());
                            *note = Some(PanelNote::Failed(e));
                        }
                    }
                }
            }
            StaffInput::Confirmed(ticket, answer) => {
                if let State::Panel {
                    confirming, note, ..
                } = &mut self.state
                    && *confirming == Some(ticket)
                {
                    *confirming = None;
                    *note = Some(match answer {
                        Ok(VisualCheckOutcome::Recorded(number)) => {
                            PanelNote::VisualCheckRecorded(number)
                        }
                        Ok(VisualCheckOutcome::LeftForDesk(number)) => {
                            PanelNote::LeftForDesk(number)
                        }
                        Err(e) => PanelNote::Failed(e),
                    });
                    self.reload_checks();
                }
            }
        }
    }

    /// An answer to the question on screen, ignored within its dead time: the photo's yes
    /// brings the result question (`shown` must be true: "not shown" does not answer the photo
    /// question); the result question's answer goes to the adapter with both answers.
    fn answer(&mut self, now: DateTime<FixedOffset>, shown: bool) {
        let ticket = Ticket(self.next_ticket + 1);
        let State::Panel {
            who,
            checks: Some(checks),
            confirming: confirming @ None,
            asking,
            ..
        } = &mut self.state
        else {
            return;
        };
        let Some((check_in_id, question, asked_at)) = *asking else {
            return;
        };
        if now - asked_at < TimeDelta::milliseconds(CONFIRM_DEAD_TIME_MS)
            || !checks.iter().any(|c| c.check_in_id == check_in_id)
        {
            return;
        }
        match question {
            CheckQuestion::Photo if shown => {
                *asking = Some((check_in_id, CheckQuestion::Result, now));
            }
            CheckQuestion::Photo => {}
            CheckQuestion::Result => {
                self.next_ticket += 1;
                *asking = None;
                *confirming = Some(ticket);
                self.out.push_back(StaffCommand::ConfirmVisualCheck {
                    ticket,
                    check_in_id,
                    login: who.login.clone(),
                    answers: KioskAnswers {
                        photo_compared: true,
                        result_shown: shown,
                    },
                });
            }
        }
    }

    fn corner_tap(&mut self, now: DateTime<FixedOffset>, patient_busy: bool) {
        if self.is_open() || patient_busy {
            self.taps.clear();
            return;
        }
        let window = TimeDelta::milliseconds(i64::from(self.settings.tap_window_ms));
        self.taps.push_back(now);
        while self.taps.front().is_some_and(|t| now - *t > window) {
            self.taps.pop_front();
        }
        if self.taps.len() >= self.settings.taps as usize {
            self.taps.clear();
            self.last_touch = now;
            let ticket = self.ticket();
            self.out.push_back(StaffCommand::LoadRoster(ticket));
            self.state = State::Roster {
                loading: Some(ticket),
                staff: None,
                problem: None,
            };
        }
    }

    fn open_panel(&mut self, who: KioskStaff) {
        self.state = State::Panel {
            who,
            loading: None,
            checks: None,
            confirming: None,
            switching: None,
            note: None,
            asking: None,
            asking_reopening: false,
        };
        self.reload_checks();
    }

    /// Sends the closing (with its reopening time) or the reopening to the store, once.
    fn switch(&mut self, paused: bool, reopens_at: Option<DateTime<FixedOffset>>) {
        let ticket = Ticket(self.next_ticket + 1);
        if let State::Panel {
            who,
            switching: switching @ None,
            ..
        } = &mut self.state
        {
            self.next_ticket += 1;
            *switching = Some((ticket, reopens_at));
            self.out.push_back(StaffCommand::SetKioskPaused {
                ticket,
                login: who.login.clone(),
                paused,
                reopens_at,
            });
        }
    }

    fn reload_checks(&mut self) {
        let ticket = Ticket(self.next_ticket + 1);
        if let State::Panel { loading, .. } = &mut self.state {
            self.next_ticket += 1;
            *loading = Some(ticket);
            self.out.push_back(StaffCommand::LoadChecks(ticket));
        }
    }

    fn close(&mut self, why: CloseReason) {
        let state = std::mem::replace(&mut self.state, State::Closed);
        if let State::Panel { who, .. } = state {
            self.out.push_back(StaffCommand::Closed {
                login: who.login,
                why,
            });
        }
    }

    /// On a `Tick`: a closed kiosk with no panel open asks the store again whether it is still
    /// closed once [`PAUSE_RECHECK_SECONDS`] passed since its last look; its first `Tick`
    /// after closing only starts the count. Open, or with the panel open, the count stops.
    fn recheck_pause(&mut self, now: DateTime<FixedOffset>) {
        if !self.kiosk_paused || self.is_open() {
            self.pause_read_at = None;
            return;
        }
        match self.pause_read_at {
            None => self.pause_read_at = Some(now),
            Some(at) if now >= at + chrono::TimeDelta::seconds(PAUSE_RECHECK_SECONDS) => {
                self.pause_read_at = Some(now);
                self.out.push_back(StaffCommand::ReadKioskPause);
            }
            Some(_) => {}
        }
    }

    fn ticket(&mut self) -> Ticket {
        self.next_ticket += 1;
        Ticket(self.next_ticket)
    }
}

fn secs(n: u32) -> TimeDelta {
    TimeDelta::seconds(i64::from(n))
}

#[cfg(test)]
mod tests {
    use crate::datetime;

    use super::*;

    const T0: DateTime<FixedOffset> = datetime!(2026-11-22 09:00 +09:00);

    fn ms(n: i64) -> TimeDelta {
        TimeDelta::milliseconds(n)
    }

    fn sato() -> KioskStaff {
        KioskStaff {
            login: "sato".into(),
            display_name: "佐藤".into(),
        }
    }

    fn taps(mode: &mut StaffMode, n: usize, every_ms: i64, from: DateTime<FixedOffset>) {
        for i in 0..n {
            mode.handle(from + ms(every_ms * i as i64), StaffInput::CornerTap, false);
        }
    }

    fn ticket_of(cmd: Option<StaffCommand>) -> Ticket {
        match cmd {
            Some(StaffCommand::LoadRoster(t) | StaffCommand::LoadChecks(t)) => t,
            Some(StaffCommand::CheckPin(t, ..)) => t,
            Some(StaffCommand::ConfirmVisualCheck { ticket, .. }) => ticket,
            other => panic!("no ticketed command: {other:?}"),
        }
    }

    /// Gesture, roster, PIN accepted: the panel loading its checks.
    fn signed_in() -> StaffMode {
        let mut mode = StaffMode::new(StaffModeSettings::default());
        taps(&mut mode, 5, 200, T0);
        let t = ticket_of(mode.poll());
        mode.handle(
            T0 + ms(1000),
            StaffInput::Roster(t, Ok(vec![sato()])),
            false,
        );
        mode.handle(T0 + ms(2000), StaffInput::Choose(0), false);
        let pin = StaffPin::parse("246810").unwrap();
        mode.handle(T0 + ms(3000), StaffInput::SubmitPin(pin), false);
        let t = ticket_of(mode.poll());
        mode.handle(T0 + ms(3100), StaffInput::PinChecked(t, Ok(sato())), false);
        mode
    }

    #[test]
    fn five_quick_taps_open_it_slow_ones_do_not() {
        let mut slow = StaffMode::new(StaffModeSettings::default());
        taps(&mut slow, 12, 800, T0);
        assert!(!slow.is_open(), "taps spread over 9 s are not the gesture");
        assert_eq!(slow.poll(), None);

        let mut quick = StaffMode::new(StaffModeSettings::default());
        taps(&mut quick, 4, 300, T0);
        assert!(!quick.is_open());
        quick.handle(T0 + ms(1200), StaffInput::CornerTap, false);
        assert!(quick.is_open());
        assert!(matches!(quick.poll(), Some(StaffCommand::LoadRoster(_))));
        assert_eq!(
            quick.view(),
            Some(StaffView::Roster {
                staff: None,
                problem: None
            })
        );
    }

    #[test]
    fn the_gesture_does_nothing_while_a_patient_is_checking_in() {
        let mut mode = StaffMode::new(StaffModeSettings::default());
        for i in 0..10 {
            mode.handle(T0 + ms(100 * i), StaffInput::CornerTap, true);
        }
        assert!(!mode.is_open());
    }

    #[test]
    fn a_wrong_pin_stays_on_the_pad_and_says_so() {
        let mut mode = StaffMode::new(StaffModeSettings::default());
        taps(&mut mode, 5, 100, T0);
        let t = ticket_of(mode.poll());
        mode.handle(T0, StaffInput::Roster(t, Ok(vec![sato()])), false);
        mode.handle(T0, StaffInput::Choose(0), false);
        mode.handle(
            T0,
            StaffInput::SubmitPin(StaffPin::parse("000000").unwrap()),
            false,
        );
        let t = ticket_of(mode.poll());
        // A second submit while the first is being checked sends nothing.
        mode.handle(
            T0,
            StaffInput::SubmitPin(StaffPin::parse("111111").unwrap()),
            false,
        );
        assert_eq!(mode.poll(), None);
        let refusal = PinRefusal::Wrong {
            tries_before_lock: 4,
        };
        mode.handle(T0, StaffInput::PinChecked(t, Err(refusal)), false);
        assert_eq!(
            mode.view(),
            Some(StaffView::Pin {
                who: sato(),
                checking: false,
                refused: Some(refusal)
            })
        );
        // A late answer to an old ticket changes nothing.
        mode.handle(T0, StaffInput::PinChecked(Ticket(999), Ok(sato())), false);
        assert!(matches!(mode.view(), Some(StaffView::Pin { .. })));
    }

    #[test]
    fn confirming_a_visual_check_asks_once_and_reloads() {
        let mut mode = signed_in();
        let t = ticket_of(mode.poll());
        let check = PendingVisualCheck {
            check_in_id: 7,
            reception_number: Some(ReceptionNumber(12)),
            reason: HandoffReason::StaffVisualCheck,
            handed_over_at: T0,
            name: None,
        };
        mode.handle(T0, StaffInput::Checks(t, Ok(vec![check.clone()])), false);
        mode.handle(T0, StaffInput::ConfirmVisualCheck(99), false);
        assert_eq!(mode.poll(), None, "not a check this kiosk offered");
        assert!(matches!(
            mode.view(),
            Some(StaffView::Panel { asking: None, .. })
        ));
        mode.handle(T0, StaffInput::ConfirmVisualCheck(7), false);
        mode.handle(T0, StaffInput::ConfirmVisualCheck(7), false);
        assert_eq!(mode.poll(), None, "the card's button only asks");
        assert!(matches!(
            mode.view(),
            Some(StaffView::Panel { asking: Some(c), .. }) if c == check
        ));
        // The photo's yes brings the result question; a double tap does not answer it.
        mode.handle(T0 + ms(1000), StaffInput::ConfirmAsked, false);
        mode.handle(T0 + ms(1000), StaffInput::ConfirmAsked, false);
        assert_eq!(mode.poll(), None, "the photo alone records nothing");
        assert!(matches!(
            mode.view(),
            Some(StaffView::Panel { asking: Some(c), question: CheckQuestion::Result, .. }) if c == check
        ));
        mode.handle(T0 + ms(2000), StaffInput::ConfirmAsked, false);
        mode.handle(T0 + ms(2000), StaffInput::ConfirmAsked, false);
        let cmd = mode.poll();
        let both = KioskAnswers {
            photo_compared: true,
            result_shown: true,
        };
        assert!(
            matches!(&cmd, Some(StaffCommand::ConfirmVisualCheck { check_in_id: 7, login, answers, .. }) if login == "sato" && *answers == both)
        );
        assert_eq!(mode.poll(), None, "a double tap confirms once");
        let t = ticket_of(cmd);
        mode.handle(
            T0,
            StaffInput::Confirmed(
                t,
                Ok(VisualCheckOutcome::Recorded(Some(ReceptionNumber(12)))),
            ),
            false,
        );
        assert!(matches!(mode.poll(), Some(StaffCommand::LoadChecks(_))));
        assert!(matches!(
            mode.view(),
            Some(StaffView::Panel {
                note: Some(PanelNote::VisualCheckRecorded(Some(ReceptionNumber(12)))),
                ..
            })
        ));
    }

    fn with_checks(checks: Vec<PendingVisualCheck>) -> StaffMode {
        let mut mode = signed_in();
        let t = ticket_of(mode.poll());
        mode.handle(T0, StaffInput::Checks(t, Ok(checks)), false);
        mode
    }

    fn check(id: i64) -> PendingVisualCheck {
        PendingVisualCheck {
            check_in_id: id,
            reception_number: Some(ReceptionNumber(40 + id as u32)),
            reason: HandoffReason::StaffVisualCheck,
            handed_over_at: T0,
            name: Some(PatientName {
                name: "山田 太郎".into(),
                kana: Some("ヤマダ タロウ".into()),
                birth_date: None,
            }),
        }
    }

    #[test]
    fn nothing_is_recorded_until_staff_answer_the_question_that_names_the_patient() {
        let mut mode = with_checks(vec![check(3), check(4)]);
        // The first press asks; a yes within the dead time (a double tap) is ignored.
        mode.handle(T0 + ms(10_000), StaffInput::ConfirmVisualCheck(3), false);
        mode.handle(T0 + ms(10_100), StaffInput::ConfirmAsked, false);
        mode.handle(
            T0 + ms(10_000 + CONFIRM_DEAD_TIME_MS - 1),
            StaffInput::ConfirmAsked,
            false,
        );
        assert_eq!(mode.poll(), None, "a double tap answers nothing");
        // Another card's button while asking changes nothing.
        mode.handle(T0 + ms(10_700), StaffInput::ConfirmVisualCheck(4), false);
        assert!(matches!(
            mode.view(),
            Some(StaffView::Panel { asking: Some(c), .. }) if c.check_in_id == 3
        ));
        // Back: nothing recorded, the panel again.
        mode.handle(T0 + ms(11_000), StaffInput::Back, false);
        assert_eq!(mode.poll(), None);
        assert!(mode.is_open(), "back leaves the panel open");
        assert!(matches!(
            mode.view(),
            Some(StaffView::Panel { asking: None, .. })
        ));
        mode.handle(T0 + ms(12_000), StaffInput::ConfirmAsked, false);
        assert_eq!(mode.poll(), None, "no question, no record");

        // Asked again, both answered after their dead times: recorded once.
        mode.handle(T0 + ms(13_000), StaffInput::ConfirmVisualCheck(4), false);
        mode.handle(T0 + ms(14_000), StaffInput::ConfirmAsked, false);
        assert_eq!(mode.poll(), None, "one answer of two");
        mode.handle(T0 + ms(15_000), StaffInput::ConfirmAsked, false);
        assert!(matches!(
            mode.poll(),
            Some(StaffCommand::ConfirmVisualCheck { check_in_id: 4, .. })
        ));
        assert!(matches!(
            mode.view(),
            Some(StaffView::Panel { asking: None, .. })
        ));
    }

    #[test]
    fn without_a_result_seen_the_panel_asks_to_leave_it_for_the_desk() {
        let mut mode = with_checks(vec![check(3)]);
        mode.handle(T0 + ms(5_000), StaffInput::ConfirmVisualCheck(3), false);
        // "Not shown" does not answer the photo question.
        mode.handle(T0 + ms(6_000), StaffInput::ResultNotShown, false);
        assert!(matches!(
            mode.view(),
            Some(StaffView::Panel {
                asking: Some(_),
                question: CheckQuestion::Photo,
                ..
            })
        ));
        mode.handle(T0 + ms(7_000), StaffInput::ConfirmAsked, false);
        // Within the dead time of the result question: nothing.
        mode.handle(T0 + ms(7_100), StaffInput::ResultNotShown, false);
        assert_eq!(mode.poll(), None);
        // Back from the result question: nothing recorded, the panel again.
        mode.handle(T0 + ms(8_000), StaffInput::Back, false);
        assert_eq!(mode.poll(), None);
        assert!(matches!(
            mode.view(),
            Some(StaffView::Panel { asking: None, .. })
        ));

        mode.handle(T0 + ms(9_000), StaffInput::ConfirmVisualCheck(3), false);
        mode.handle(T0 + ms(10_000), StaffInput::ConfirmAsked, false);
        mode.handle(T0 + ms(11_000), StaffInput::ResultNotShown, false);
        let cmd = mode.poll();
        let photo_only = KioskAnswers {
            photo_compared: true,
            result_shown: false,
        };
        assert!(
            matches!(&cmd, Some(StaffCommand::ConfirmVisualCheck { check_in_id: 3, answers, .. }) if *answers == photo_only),
            "{cmd:?}"
        );
        let t = ticket_of(cmd);
        mode.handle(
            T0 + ms(11_100),
            StaffInput::Confirmed(
                t,
                Ok(VisualCheckOutcome::LeftForDesk(Some(ReceptionNumber(43)))),
            ),
            false,
        );
        assert!(matches!(
            mode.view(),
            Some(StaffView::Panel {
                note: Some(PanelNote::LeftForDesk(Some(ReceptionNumber(43)))),
                ..
            })
        ));
    }

    #[test]
    fn a_question_about_a_check_closed_elsewhere_goes_away() {
        let mut mode = with_checks(vec![check(3)]);
        mode.handle(T0 + ms(5_000), StaffInput::ConfirmVisualCheck(3), false);
        // A reload (after another confirmation) without it.
        mode.reload_checks();
        let t = ticket_of(mode.poll());
        mode.handle(T0 + ms(5_100), StaffInput::Checks(t, Ok(vec![])), false);
        assert!(matches!(
            mode.view(),
            Some(StaffView::Panel { asking: None, .. })
        ));
        mode.handle(T0 + ms(6_000), StaffInput::ConfirmAsked, false);
        assert_eq!(mode.poll(), None);
    }

    fn short(name: &str, kana: Option<&str>) -> String {
        short_name(&PatientName {
            name: name.into(),
            kana: kana.map(Into::into),
            birth_date: None,
        })
    }

    #[test]
    fn the_short_name_is_the_family_name_and_an_initial() {
        let cases = [
            ("山田 太郎", Some("ヤマダ タロウ"), "山田 T."),
            ("山田　太郎", Some("ヤマダ　タロウ"), "山田 T."),
            ("試験 夏●美", Some("シケン ナツミ"), "試験 N."),
            ("佐藤 静香", Some("さとう しずか"), "佐藤 S."),
            ("千葉 千尋", Some("チバ チヒロ"), "千葉 C."),
            ("藤井 文", Some("フジイ フミ"), "藤井 F."),
            ("伊藤 次郎", Some("ｲﾄｳ ｼﾞﾛｳ"), "伊藤 J."),
            ("加藤 弁", Some("ｶﾄｳ ﾍﾞﾝ"), "加藤 B."),
            ("松本 ぱる", Some("ﾏﾂﾓﾄ ﾊﾟﾙ"), "松本 P."),
            ("Yamada Taro", None, "Yamada T."),
            ("GARCIA LOPEZ MARIA", None, "GARCIA L."),
            ("NGUYEN VAN AN", Some("グエン ヴァン アン"), "NGUYEN V."),
            // No reading, kanji given name: no initial (its first character may be all of it).
            ("森 茂", None, "森 …"),
            ("Lee J", None, "Lee …"),
            // A reading without a space gives no initial.
            ("山田 太郎", Some("ヤマダタロウ"), "山田 …"),
            // No space: the family name cannot be told apart.
            ("山田太郎", Some("ヤマダ タロウ"), "山…"),
            ("林", None, "…"),
            ("  ", None, ""),
        ];
        for (name, kana, want) in cases {
            let got = short(name, kana);
            assert_eq!(got, want, "{name} / {kana:?}");
        }
    }

    #[test]
    fn the_short_name_never_holds_the_whole_name() {
        let names = [
            "山田 太郎",
            "山田　太郎",
            "森 茂",
            "林",
            "李 明",
            "山田太郎",
            "Yamada Taro",
            "Lee J",
            "A B",
            "試験 夏●美",
            "NGUYEN VAN AN",
        ];
        for name in names {
            for kana in [None, Some("ヤマダ タロウ"), Some("ﾔﾏﾀﾞ ﾀﾛｳ"), Some("やまだ")]
            {
                let got = short(name, kana);
                let given = name
                    .trim()
                    .split_once(char::is_whitespace)
                    .map_or(name, |(_, g)| g.trim());
                assert!(
                    !got.contains(name) && !got.contains(given),
                    "{name} / {kana:?} -> {got}"
                );
            }
        }
    }

    #[test]
    fn the_panel_closes_itself_when_left_alone_and_says_who_left_it() {
        let mut mode = signed_in();
        let _ = mode.poll();
        let deadline = mode.next_deadline().unwrap();
        assert_eq!(deadline, T0 + ms(3000) + TimeDelta::seconds(60));
        mode.handle(deadline, StaffInput::Tick, false);
        assert!(!mode.is_open());
        assert_eq!(
            mode.poll(),
            Some(StaffCommand::Closed {
                login: "sato".into(),
                why: CloseReason::LeftIdle
            })
        );
    }

    #[test]
    fn return_to_service_closes_and_is_recorded() {
        let mut mode = signed_in();
        let _ = mode.poll();
        mode.handle(T0 + ms(5000), StaffInput::Close, false);
        assert!(!mode.is_open());
        assert_eq!(mode.view(), None);
        assert_eq!(
            mode.poll(),
            Some(StaffCommand::Closed {
                login: "sato".into(),
                why: CloseReason::ReturnedToService
            })
        );
    }

    #[test]
    fn closing_the_kiosk_is_recorded_first_then_ends_staff_mode_and_reopening_undoes_it() {
        let mut mode = signed_in();
        let _ = mode.poll(); // LoadChecks
        assert!(!mode.kiosk_paused());
        // Reopening an open kiosk asks for nothing.
        mode.handle(T0 + ms(4000), StaffInput::SetKioskPaused(false), false);
        assert_eq!(mode.poll(), None);

        mode.handle(T0 + ms(5000), StaffInput::SetKioskPaused(true), false);
        // First "when will it reopen?": nothing is recorded before the answer.
        assert_eq!(mode.poll(), None);
        assert!(matches!(
            mode.view(),
            Some(StaffView::Panel {
                asking_reopening: true,
                ..
            })
        ));
        mode.handle(T0 + ms(5050), StaffInput::CloseKioskFor(None), false);
        let Some(StaffCommand::SetKioskPaused {
            ticket,
            login,
            paused: true,
            reopens_at: None,
        }) = mode.poll()
        else {
            panic!("the closing goes to the store first");
        };
        assert_eq!(login, "sato");
        // Pressed again while on its way: still one command.
        mode.handle(T0 + ms(5100), StaffInput::SetKioskPaused(true), false);
        mode.handle(T0 + ms(5100), StaffInput::CloseKioskFor(Some(10)), false);
        assert_eq!(mode.poll(), None);
        assert!(!mode.kiosk_paused(), "not closed until the store says so");
        assert!(matches!(
            mode.view(),
            Some(StaffView::Panel { busy: true, .. })
        ));

        // A store failure keeps the kiosk open and says why on the panel.
        mode.handle(
            T0 + ms(5200),
            StaffInput::KioskPausedSet(ticket, Err("disk full".into())),
            false,
        );
        assert!(!mode.kiosk_paused());
        assert!(matches!(
            mode.view(),
            Some(StaffView::Panel {
                note: Some(PanelNote::Failed(_)),
                kiosk_paused: false,
                ..
            })
        ));

        // A second try, "in 30 minutes": 09:00:06 + 30 min is about 09:35.
        mode.handle(T0 + ms(6000), StaffInput::SetKioskPaused(true), false);
        mode.handle(T0 + ms(6050), StaffInput::CloseKioskFor(Some(30)), false);
        let about_0935 = datetime!(2026-11-22 09:35 +09:00);
        let Some(StaffCommand::SetKioskPaused {
            ticket,
            reopens_at: Some(at),
            ..
        }) = mode.poll()
        else {
            panic!("a second try");
        };
        assert_eq!(at, about_0935);
        assert_eq!(mode.kiosk_reopens_at(), None, "not until the store says so");
        mode.handle(
            T0 + ms(6100),
            StaffInput::KioskPausedSet(ticket, Ok(true)),
            false,
        );
        assert!(mode.kiosk_paused());
        assert_eq!(mode.kiosk_reopens_at(), Some(about_0935));
        assert!(!mode.is_open(), "staff are done here");
        assert_eq!(
            mode.poll(),
            Some(StaffCommand::Closed {
                login: "sato".into(),
                why: CloseReason::KioskClosed
            })
        );

        // Later: sign in again and reopen; the panel closes and the kiosk serves patients.
        let mut later = signed_in();
        later.start_paused(true, Some(about_0935));
        let _ = later.poll();
        assert!(matches!(
            later.view(),
            Some(StaffView::Panel {
                kiosk_paused: true,
                ..
            })
        ));
        assert!(matches!(
            later.view(),
            Some(StaffView::Panel {
                reopens_at: Some(_),
                ..
            })
        ));
        later.handle(T0 + ms(7000), StaffInput::SetKioskPaused(false), false);
        let Some(StaffCommand::SetKioskPaused {
            ticket,
            paused: false,
            reopens_at: None,
            ..
        }) = later.poll()
        else {
            panic!("reopening goes to the store");
        };
        later.handle(
            T0 + ms(7100),
            StaffInput::KioskPausedSet(ticket, Ok(false)),
            false,
        );
        assert!(!later.kiosk_paused());
        assert_eq!(later.kiosk_reopens_at(), None, "no time left over");
        assert!(!later.is_open());
        assert_eq!(
            later.poll(),
            Some(StaffCommand::Closed {
                login: "sato".into(),
                why: CloseReason::ReturnedToService
            })
        );
    }

    #[test]
    fn the_reopening_time_is_rounded_up_to_five_minutes_of_the_clock() {
        let at = |h, m, sec| {
            crate::date!(2026 - 11 - 22)
                .and_hms_opt(h, m, sec)
                .unwrap()
                .and_local_timezone(crate::rules::JST)
                .unwrap()
        };
        assert_eq!(reopening_time(at(12, 3, 20), 30), at(12, 35, 0));
        assert_eq!(
            reopening_time(at(12, 5, 0), 10),
            at(12, 15, 0),
            "exact stays"
        );
        assert_eq!(reopening_time(at(12, 5, 1), 10), at(12, 20, 0));
        assert_eq!(
            reopening_time(at(23, 58, 0), 60),
            at(1, 0, 0) + TimeDelta::days(1)
        );
        assert_eq!(reopening_time(at(12, 59, 59), 60), at(14, 0, 0));
    }

    #[test]
    fn when_it_reopens_is_asked_before_closing_and_back_or_an_unknown_answer_closes_nothing() {
        let mut mode = signed_in();
        let _ = mode.poll(); // LoadChecks
        // An answer with no question asks nothing of the store.
        mode.handle(T0 + ms(4000), StaffInput::CloseKioskFor(Some(30)), false);
        assert_eq!(mode.poll(), None);
        mode.handle(T0 + ms(4100), StaffInput::SetKioskPaused(true), false);
        mode.handle(T0 + ms(4200), StaffInput::Back, false);
        assert!(matches!(
            mode.view(),
            Some(StaffView::Panel {
                asking_reopening: false,
                ..
            })
        ));
        mode.handle(T0 + ms(4300), StaffInput::CloseKioskFor(Some(30)), false);
        assert_eq!(mode.poll(), None, "back: the question is gone");
        // Only the offered answers close it.
        mode.handle(T0 + ms(4400), StaffInput::SetKioskPaused(true), false);
        mode.handle(T0 + ms(4500), StaffInput::CloseKioskFor(Some(7)), false);
        assert_eq!(mode.poll(), None);
        mode.handle(T0 + ms(4600), StaffInput::CloseKioskFor(Some(60)), false);
        assert!(matches!(
            mode.poll(),
            Some(StaffCommand::SetKioskPaused {
                paused: true,
                reopens_at: Some(at),
                ..
            }) if at == datetime!(2026-11-22 10:05 +09:00)
        ));
    }

    /// Reopened (or closed) elsewhere: the console's 「受付機を再開する」 reaches staff mode as
    /// what the store now says. Closed: nothing is asked of the store, no panel opens, nothing
    /// is audited here (the console audited it). With the panel open, it stays open, its
    /// toggle follows, and the idle deadline is not pushed back (no one touched the kiosk).
    #[test]
    fn the_kiosk_follows_a_reopening_or_closing_made_elsewhere() {
        let mut closed = StaffMode::new(StaffModeSettings::default());
        closed.start_paused(true, None);
        closed.handle(
            T0,
            StaffInput::KioskPauseSeen {
                paused: false,
                reopens_at: None,
            },
            false,
        );
        assert!(!closed.kiosk_paused(), "reopened from the console");
        assert!(!closed.is_open());
        assert_eq!(
            closed.poll(),
            None,
            "nothing to store or audit at the kiosk"
        );
        // The same word twice changes nothing; closed elsewhere closes it again.
        closed.handle(
            T0 + ms(300),
            StaffInput::KioskPauseSeen {
                paused: false,
                reopens_at: None,
            },
            false,
        );
        assert!(!closed.kiosk_paused());
        closed.handle(
            T0 + ms(600),
            StaffInput::KioskPauseSeen {
                paused: true,
                reopens_at: Some(T0 + chrono::TimeDelta::minutes(30)),
            },
            false,
        );
        assert!(closed.kiosk_paused());
        assert_eq!(
            closed.kiosk_reopens_at(),
            Some(T0 + chrono::TimeDelta::minutes(30))
        );
        assert_eq!(closed.poll(), None);

        let mut panel = signed_in();
        panel.start_paused(true, None);
        let _ = panel.poll();
        let deadline = panel.next_deadline();
        panel.handle(
            T0 + ms(4000),
            StaffInput::KioskPauseSeen {
                paused: false,
                reopens_at: None,
            },
            false,
        );
        assert!(panel.is_open(), "staff at the kiosk keep their panel");
        assert!(matches!(
            panel.view(),
            Some(StaffView::Panel {
                kiosk_paused: false,
                ..
            })
        ));
        assert_eq!(panel.next_deadline(), deadline, "no touch");
        assert_eq!(panel.poll(), None);
        // Its toggle now closes the kiosk (reopening an open kiosk asks nothing; closing first
        // asks when it reopens).
        panel.handle(T0 + ms(5000), StaffInput::SetKioskPaused(false), false);
        assert_eq!(panel.poll(), None);
        panel.handle(T0 + ms(5100), StaffInput::SetKioskPaused(true), false);
        assert!(matches!(
            panel.view(),
            Some(StaffView::Panel {
                asking_reopening: true,
                ..
            })
        ));
        // Closed elsewhere while it asks: the question goes, nothing is sent.
        panel.handle(
            T0 + ms(5200),
            StaffInput::KioskPauseSeen {
                paused: true,
                reopens_at: None,
            },
            false,
        );
        assert!(matches!(
            panel.view(),
            Some(StaffView::Panel {
                asking_reopening: false,
                kiosk_paused: true,
                ..
            })
        ));
        assert_eq!(panel.poll(), None);
    }

    /// The safeguard behind the database watch: a closed kiosk showing its closed screen asks
    /// the store again every PAUSE_RECHECK_SECONDS (its first tick only starts the count),
    /// follows the answer, and stops asking once open or while staff have the panel open.
    #[test]
    fn a_closed_kiosk_asks_the_store_again_every_few_seconds_until_it_is_open() {
        let every = chrono::TimeDelta::seconds(PAUSE_RECHECK_SECONDS);
        let mut mode = StaffMode::new(StaffModeSettings::default());
        assert_eq!(mode.next_deadline(), None, "open: nothing to ask");
        mode.start_paused(true, None);
        assert_eq!(
            mode.next_deadline(),
            Some(crate::dates::UNIX_EPOCH),
            "at once"
        );
        mode.handle(T0, StaffInput::Tick, false);
        assert_eq!(mode.poll(), None, "the first tick starts the count");
        assert_eq!(mode.next_deadline(), Some(T0 + every));
        mode.handle(T0 + every - ms(1), StaffInput::Tick, false);
        assert_eq!(mode.poll(), None);
        mode.handle(T0 + every, StaffInput::Tick, false);
        assert_eq!(mode.poll(), Some(StaffCommand::ReadKioskPause));
        assert_eq!(mode.poll(), None, "one look at a time");
        assert_eq!(mode.next_deadline(), Some(T0 + every + every));
        // Still closed: nothing changes, the next look comes.
        mode.handle(
            T0 + every + ms(10),
            StaffInput::KioskPauseSeen {
                paused: true,
                reopens_at: None,
            },
            false,
        );
        assert!(mode.kiosk_paused());
        mode.handle(T0 + every + every, StaffInput::Tick, false);
        assert_eq!(mode.poll(), Some(StaffCommand::ReadKioskPause));
        // Reopened elsewhere: the kiosk opens and asks no more.
        mode.handle(
            T0 + every + every + ms(10),
            StaffInput::KioskPauseSeen {
                paused: false,
                reopens_at: None,
            },
            false,
        );
        assert!(!mode.kiosk_paused());
        assert_eq!(mode.next_deadline(), None);
        mode.handle(T0 + every * 10, StaffInput::Tick, false);
        assert_eq!(mode.poll(), None);

        // With the panel open staff are at the kiosk: only the idle deadline counts.
        let mut panel = signed_in();
        panel.start_paused(true, None);
        let _ = panel.poll();
        let idle = T0 + ms(3000) + chrono::TimeDelta::seconds(60);
        assert_eq!(panel.next_deadline(), Some(idle));
        for s in [10, 20, 30] {
            panel.handle(T0 + chrono::TimeDelta::seconds(s), StaffInput::Tick, false);
            assert_eq!(panel.poll(), None);
        }
    }
}
