//! Staff mode at the kiosk, through the real views with real pointer clicks: quick taps on the
//! title open it, a staff member picks their name and types their kiosk PIN, answers the
//! console's two questions for the patient standing there in turn (the photo matched; the
//! desk's card reader showed the eligibility result: recorded exactly as the console would, and
//! counted toward the usage rate; the photo alone records nothing and leaves it for the desk),
//! sees the card reader's state, and returns the kiosk to service. Wrong PINs lock the kiosk PIN (not the console password); a panel left alone
//! closes itself; a card laid on the reader under the panel starts nothing.

use crate::ui;

use std::path::{Path, PathBuf};

use i_slint_backend_testing::ElementHandle;
use slint::ComponentHandle as _;
use slint::platform::PointerEventButton;
use ui::UiKiosk;
use uketsuke::domain::{ClosedAs, HandoffReason, IdentityMethod, Outcome, VerificationMethod};
use uketsuke::gateway::sim::Persona;
use uketsuke::staff::{NewStaffAccount, Role};
use uketsuke::ui::{Kiosk, ScreenKind, StaffScreen};
use uketsuke_views::phrases::unjoined;

const PIN: &str = "135790";

fn add_staff(k: &UiKiosk, login: &str, name: &str, pin: &str) {
    k.store
        .add_staff(&NewStaffAccount {
            login: login.to_owned(),
            display_name: name.to_owned(),
            role: Role::Staff,
            password_hash: uketsuke::password::hash("correct horse battery").unwrap(),
            created_at: uketsuke::dates::now(),
            created_by: "test".to_owned(),
        })
        .unwrap();
    let hash = uketsuke::password::hash(pin).unwrap();
    k.store
        .set_kiosk_pin(login, &hash, "test", uketsuke::dates::now())
        .unwrap();
}

fn staff_screen(k: &UiKiosk) -> StaffScreen {
    k.app.global::<Kiosk>().get_staff_screen()
}

/// Clicks the hidden spot on the title `n` times with real pointer events.
fn tap_title(k: &UiKiosk, n: usize) {
    let spot: Vec<ElementHandle> =
        ElementHandle::find_by_element_id(&k.app, "KioskArea::staff-spot").collect();
    assert_eq!(spot.len(), 1, "the hidden spot exists once");
    for _ in 0..n {
        spot[0].mock_single_click(PointerEventButton::Left);
        k.rt.borrow_mut().drain();
    }
    k.settle();
}

fn labels_containing(k: &UiKiosk, part: &str) -> Vec<String> {
    k.labels()
        .into_iter()
        .filter(|l| l.contains(part))
        .collect()
}

/// The two questions that name the patient, and their answers.
const PHOTO_QUESTION: &str = "のカードの顔写真と、目の前のご本人は一致しましたか？";
const PHOTO_MATCHES: &str = "顔写真と本人が一致した";
const RESULT_QUESTION: &str = "の資格確認の結果が表示されましたか？";
const RESULT_SHOWN: &str = "はい、資格確認の結果が表示された";
const RESULT_NOT_SHOWN: &str = "表示されていない（受付窓口で対応）";

/// The staff-only banner, on every staff screen (roster, PIN pad, panel, question, note).
const STAFF_ONLY: &str = "スタッフ専用 — 患者さんは操作しないでください";

fn assert_staff_only_banner(k: &UiKiosk, on: &str) {
    assert!(
        k.shows(STAFF_ONLY),
        "no staff-only banner on {on}: {:?}",
        k.labels()
    );
}

/// The success note labelled `part` carries its drawn tick (a `Path` inside the note, with a
/// size): success is not told by colour alone.
fn assert_note_has_its_tick(k: &UiKiosk, part: &'static str) {
    let notes = ui::labelled(&k.app, move |l| l.contains(part));
    assert!(!notes.is_empty(), "no note \"{part}\": {:?}", k.labels());
    let ticks: Vec<ElementHandle> = notes
        .iter()
        .flat_map(|n| n.query_descendants().match_inherits("Path").find_all())
        .filter(|t| t.size().width > 0.0 && t.size().height > 0.0)
        .collect();
    assert!(!ticks.is_empty(), "the note \"{part}\" has no tick drawn");
}

/// Until the handoff screen has gone back to welcome (its own time, whatever it is set to).
fn back_to_welcome(k: &UiKiosk) {
    for _ in 0..60 {
        if k.screen() == ScreenKind::Welcome {
            return;
        }
        k.advance(5);
    }
    panic!("the handoff screen never went back to welcome");
}

fn screenshot(k: &UiKiosk, name: &str) {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("staff-mode-screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    let shot = k.app.window().take_snapshot().expect("a snapshot");
    save_png(
        &dir.join(name),
        shot.width(),
        shot.height(),
        shot.as_bytes(),
    );
}

fn save_png(path: &Path, width: u32, height: u32, rgba: &[u8]) {
    let file = std::fs::File::create(path).unwrap();
    let mut encoder = png::Encoder::new(std::io::BufWriter::new(file), width, height);
    encoder.set_color(png::ColorType::Rgba);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().unwrap();
    writer.write_image_data(rgba).unwrap();
    writer.finish().unwrap();
}

/// A card with one PIN try left: the PIN guard hands over for a visual check; the final
/// screen then returns to welcome (after `action_screen_seconds`).
fn visual_check_handoff(k: &UiKiosk) -> i64 {
    k.tap("card,tries=1");
    assert_eq!(k.screen(), ScreenKind::Handoff);
    let stored = k.store.open_handoffs().unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(
        stored[0].record.outcome,
        Outcome::HandedToStaff {
            reason: HandoffReason::StaffVisualCheck
        }
    );
    k.remove();
    back_to_welcome(k);
    stored[0].id
}

#[test]
fn staff_confirm_a_visual_check_at_the_kiosk_and_return_it_to_service() {
    let k = UiKiosk::new(Persona::Valid3);
    add_staff(&k, "sato", "佐藤 Sato", PIN);
    let handoff = visual_check_handoff(&k);

    // Four taps are not the gesture; five quick ones are.
    tap_title(&k, 4);
    assert_eq!(staff_screen(&k), StaffScreen::None);
    tap_title(&k, 1);
    assert_eq!(staff_screen(&k), StaffScreen::Roster);
    assert_staff_only_banner(&k, "the roster");
    k.press("佐藤 Sato");
    assert_eq!(staff_screen(&k), StaffScreen::Pin);
    assert_staff_only_banner(&k, "the PIN pad");

    // A wrong PIN: counted, said, and the pad stays.
    k.type_pin("000000", "OK");
    assert_eq!(staff_screen(&k), StaffScreen::Pin);
    assert!(
        !labels_containing(&k, "あと4回間違えるとロック").is_empty(),
        "{:?}",
        k.labels()
    );
    k.type_pin(PIN, "OK");
    assert_eq!(staff_screen(&k), StaffScreen::Panel, "{:?}", k.labels());
    assert!(
        k.shows("カードリーダー：使用できます。"),
        "{:?}",
        k.labels()
    );
    assert_staff_only_banner(&k, "the panel");
    screenshot(&k, "staff-panel.png");

    // The waiting room never reads the patient's full name on the panel.
    let stored = k.store.open_handoffs().unwrap();
    if let Some(name) = &stored[0].record.patient_name {
        assert!(
            labels_containing(&k, &name.name).is_empty(),
            "full name on the panel: {:?}",
            k.labels()
        );
    }

    // The patient standing there: reception number 1. The card's button only asks, naming
    // the patient; "back" records nothing.
    k.press("1番は顔写真と一致");
    let mut question: Vec<String> = labels_containing(&k, PHOTO_QUESTION);
    question.sort();
    question.dedup();
    assert_eq!(question.len(), 1, "{:?}", k.labels());
    assert!(question[0].contains("1番"), "{question:?}");
    assert_staff_only_banner(&k, "the question");
    k.press("戻る");
    assert!(
        k.store
            .check_in(handoff)
            .unwrap()
            .unwrap()
            .resolution
            .is_none()
    );
    assert!(labels_containing(&k, PHOTO_QUESTION).is_empty());
    k.press("1番は顔写真と一致");
    // A double tap lands on the question's button at once: ignored for a moment.
    k.press(PHOTO_MATCHES);
    assert!(labels_containing(&k, RESULT_QUESTION).is_empty());
    k.advance(1);
    k.press(PHOTO_MATCHES);
    // The photo alone records nothing: the second question, about the desk's reader.
    let asked: Vec<String> = labels_containing(&k, RESULT_QUESTION);
    assert!(asked.iter().any(|q| q.contains("1番")), "{:?}", k.labels());
    assert_staff_only_banner(&k, "the result question");
    screenshot(&k, "staff-panel-result-question.png");
    // A double tap on the photo's answer lands here at once: ignored for a moment.
    k.press(RESULT_SHOWN);
    assert!(
        k.store
            .check_in(handoff)
            .unwrap()
            .unwrap()
            .resolution
            .is_none()
    );
    k.advance(1);
    k.press(RESULT_SHOWN);
    assert!(
        !labels_containing(&k, "1番の目視確認を記録しました").is_empty(),
        "{:?}",
        k.labels()
    );
    assert_note_has_its_tick(&k, "1番の目視確認を記録しました");
    assert_staff_only_banner(&k, "the panel with its note");
    assert!(k.shows("この受付機で目視確認を待っている受付はありません。"));
    let closed = k.store.check_in(handoff).unwrap().unwrap();
    let resolution = closed.resolution.expect("closed");
    assert_eq!(resolution.staff, "sato");
    assert_eq!(
        resolution.closed_as,
        ClosedAs::Verified {
            verification: VerificationMethod::CardViaReader,
            identity: Some(IdentityMethod::StaffVisualCheck),
            read_off: None,
        }
    );
    assert!(
        closed.record.counts_toward_usage_rate,
        "a card read by the kiosk with staff's visual check counts"
    );

    k.press("スタッフモードを終える");
    assert_eq!(staff_screen(&k), StaffScreen::None);
    assert_eq!(k.screen(), ScreenKind::Welcome);

    let actions: Vec<(String, String)> = k
        .store
        .audit_log(20)
        .unwrap()
        .into_iter()
        .rev()
        .map(|e| (e.actor, e.action))
        .filter(|(actor, _)| actor == "sato")
        .collect();
    let expected = [
        "kiosk_pin_failed",
        "kiosk_staff_mode_opened",
        "handoff_resolved",
        "kiosk_staff_mode_closed",
    ];
    assert_eq!(
        actions.iter().map(|(_, a)| a.as_str()).collect::<Vec<_>>(),
        expected
    );
}

/// The kiosk did not check eligibility for a card handed over for a visual check: staff who
/// saw only the photo (the desk's reader showed no result) record nothing that counts; the
/// handoff stays open for the desk, the panel says so, and the audit log keeps what staff saw.
/// Both answers, later, close it and it counts.
#[test]
fn a_photo_check_at_the_kiosk_without_an_eligibility_result_does_not_count() {
    let k = UiKiosk::new(Persona::Valid3);
    add_staff(&k, "sato", "佐藤 Sato", PIN);
    let handoff = visual_check_handoff(&k);
    sign_in(&k);

    k.press("1番は顔写真と一致");
    k.advance(1);
    k.press(PHOTO_MATCHES);
    k.advance(1);
    k.press(RESULT_NOT_SHOWN);
    let note = "1番：顔写真は一致。資格確認の結果がないため記録せず";
    assert!(!labels_containing(&k, note).is_empty(), "{:?}", k.labels());
    screenshot(&k, "staff-panel-left-for-desk.png");
    let open = k.store.check_in(handoff).unwrap().unwrap();
    assert!(open.resolution.is_none(), "left open for the desk");
    assert!(
        !open.record.counts_toward_usage_rate,
        "no eligibility result seen: it does not count"
    );
    assert_eq!(
        k.store
            .open_handoffs()
            .unwrap()
            .iter()
            .map(|h| h.id)
            .collect::<Vec<_>>(),
        [handoff]
    );
    let seen = k.store.audit_log(1).unwrap().remove(0);
    assert_eq!(
        (seen.actor.as_str(), seen.action.as_str(), seen.check_in_id),
        ("sato", "kiosk_photo_compared", Some(handoff))
    );
    assert!(
        seen.detail.contains("資格確認の結果は表示されていない"),
        "{}",
        seen.detail
    );

    // Still waiting on the panel; once the desk's reader shows the result, both answers count.
    k.press("1番は顔写真と一致");
    k.advance(1);
    k.press(PHOTO_MATCHES);
    k.advance(1);
    k.press(RESULT_SHOWN);
    assert!(
        !labels_containing(&k, "1番の目視確認を記録しました").is_empty(),
        "{:?}",
        k.labels()
    );
    let closed = k.store.check_in(handoff).unwrap().unwrap();
    assert!(closed.resolution.is_some());
    assert!(closed.record.counts_toward_usage_rate);
}

#[test]
fn wrong_kiosk_pins_lock_the_pin_but_not_the_console_password() {
    let k = UiKiosk::new(Persona::Valid3);
    add_staff(&k, "sato", "佐藤 Sato", PIN);
    tap_title(&k, 5);
    k.press("佐藤 Sato");
    for _ in 0..5 {
        k.type_pin("999999", "OK");
    }
    assert!(
        !labels_containing(&k, "までロックされています").is_empty(),
        "{:?}",
        k.labels()
    );
    // Locked: even the right PIN is refused, without being compared.
    k.type_pin(PIN, "OK");
    assert_eq!(staff_screen(&k), StaffScreen::Pin);
    let pin = k.store.kiosk_pin("sato").unwrap().unwrap();
    assert!(pin.locked_until.is_some());
    let account = k.store.staff_by_login("sato").unwrap().unwrap();
    assert_eq!(
        account.locked_until, None,
        "the console password still works"
    );
    assert_eq!(account.failed_logins, 0);
    // A technician's unlock lifts the PIN lock too.
    k.store
        .unlock_staff("sato", "tech", uketsuke::dates::now())
        .unwrap();
    k.type_pin(PIN, "OK");
    assert_eq!(staff_screen(&k), StaffScreen::Panel);
}

#[test]
fn a_panel_left_alone_closes_itself_and_a_card_under_it_starts_nothing() {
    let k = UiKiosk::new(Persona::Valid3);
    add_staff(&k, "sato", "佐藤 Sato", PIN);
    tap_title(&k, 5);
    k.press("佐藤 Sato");
    k.type_pin(PIN, "OK");
    assert_eq!(staff_screen(&k), StaffScreen::Panel);

    // A patient lays a card on the reader while staff are at the panel.
    k.tap("card");
    assert_eq!(staff_screen(&k), StaffScreen::Panel);
    assert_eq!(k.screen(), ScreenKind::Welcome, "no check-in started");

    k.advance(59);
    assert_eq!(staff_screen(&k), StaffScreen::Panel);
    k.advance(2);
    assert_eq!(
        staff_screen(&k),
        StaffScreen::None,
        "closed after 60 s alone"
    );
    let last = k.store.audit_log(1).unwrap().remove(0);
    assert_eq!(
        (last.actor.as_str(), last.action.as_str()),
        ("sato", "kiosk_staff_mode_closed")
    );
    assert!(last.detail.contains("left_idle"), "{}", last.detail);

    // The card is still there: a new tap starts a check-in as usual.
    k.remove();
    k.tap("card");
    assert_eq!(k.screen(), ScreenKind::PinEntry);
}

#[test]
fn the_gesture_does_nothing_in_the_middle_of_a_check_in() {
    let k = UiKiosk::new(Persona::Valid3);
    add_staff(&k, "sato", "佐藤 Sato", PIN);
    k.tap("card");
    assert_eq!(k.screen(), ScreenKind::PinEntry);
    tap_title(&k, 8);
    assert_eq!(staff_screen(&k), StaffScreen::None);
    assert_eq!(k.screen(), ScreenKind::PinEntry);
}

/// Two patients wait for the same photo check for different reasons, and the panel says
/// which: No. 1's card had one PIN try left (the kiosk stopped PIN entry), No. 2 asked on the
/// PIN pad. The store keeps the two reasons apart; each card shows its own, never the old
/// merged 「…、または患者さんの希望」.
#[test]
fn the_panel_says_whether_one_pin_try_was_left_or_the_patient_asked() {
    let k = UiKiosk::new(Persona::Valid3);
    add_staff(&k, "sato", "佐藤 Sato", PIN);
    let guard = visual_check_handoff(&k);

    k.tap("card");
    assert_eq!(k.screen(), ScreenKind::PinEntry);
    k.press("暗証番号がわからない・設定していない");
    assert_eq!(k.screen(), ScreenKind::Handoff);
    k.remove();
    back_to_welcome(&k);

    let reason_of = |id: i64| {
        k.store
            .check_in(id)
            .unwrap()
            .unwrap()
            .record
            .outcome
            .handoff_reason()
    };
    let asked = k
        .store
        .open_handoffs()
        .unwrap()
        .into_iter()
        .map(|h| h.id)
        .find(|id| *id != guard)
        .expect("the second handoff");
    assert_eq!(reason_of(guard), Some(HandoffReason::StaffVisualCheck));
    assert_eq!(
        reason_of(asked),
        Some(HandoffReason::PatientAskedStaffToCheck)
    );

    sign_in(&k);
    assert!(
        labels_containing(&k, "または").is_empty(),
        "a merged reason: {:?}",
        k.labels()
    );
    // Each reason line sits in its own patient's card: nearest (by height) to its number.
    let centre_y = |e: &ElementHandle| e.absolute_position().y + e.size().height / 2.0;
    let numbers: Vec<(String, f32)> = ["1番", "2番"]
        .into_iter()
        .map(|n| {
            let found = k.find(n);
            assert_eq!(found.len(), 1, "{n}: {:?}", k.labels());
            (n.to_owned(), centre_y(&found[0]))
        })
        .collect();
    for (reason, number) in [
        ("暗証番号の残り回数が1回 · ", "1番"),
        ("患者さんの希望 · ", "2番"),
    ] {
        let lines = ui::labelled(&k.app, move |l| l.starts_with(reason));
        // The line's text and the widget around it both carry the label: all at one card.
        assert!(!lines.is_empty(), "no \"{reason}\": {:?}", k.labels());
        for line in &lines {
            let y = centre_y(line);
            let nearest = numbers
                .iter()
                .min_by(|a, b| (a.1 - y).abs().total_cmp(&(b.1 - y).abs()))
                .map(|(n, _)| n.as_str());
            assert_eq!(
                nearest,
                Some(number),
                "\"{reason}\" is not on {number}'s card"
            );
        }
    }
}

/// Signs `sato` in through the gesture and the PIN pad.
fn sign_in(k: &UiKiosk) {
    tap_title(k, 5);
    k.press("佐藤 Sato");
    k.type_pin(PIN, "OK");
    assert_eq!(staff_screen(k), StaffScreen::Panel, "{:?}", k.labels());
    assert_staff_only_banner(k, "the panel");
}

#[test]
fn staff_close_the_kiosk_for_lunch_it_stays_closed_after_a_restart_and_they_reopen_it() {
    let k = UiKiosk::new(Persona::Valid3);
    add_staff(&k, "sato", "佐藤 Sato", PIN);
    sign_in(&k);
    k.press("受付機を休止する");
    // First: when will it reopen? Nothing is closed before the answer.
    assert_eq!(staff_screen(&k), StaffScreen::Panel);
    assert!(k.shows("受付機はいつ再開しますか？"), "{:?}", k.labels());
    assert_eq!(k.store.kiosk_pause("kiosk-1").unwrap(), None);
    // At 09:30, "in 30 minutes": about 10:00, on the closed screen and with the pause row.
    k.press("30分後");
    assert_eq!(
        staff_screen(&k),
        StaffScreen::None,
        "closing ends staff mode"
    );
    assert_eq!(k.screen(), ScreenKind::Paused);
    assert!(k.shows("この受付機は休止中です"), "{:?}", k.labels());
    assert!(k.shows("10:00ごろ再開します。"), "{:?}", k.labels());
    assert_eq!(
        k.store.kiosk_pause("kiosk-1").unwrap().unwrap().reopens_at,
        Some(uketsuke::datetime!(2026-11-21 10:00 +09:00))
    );
    assert!(
        k.find("スタッフを呼ぶ").is_empty(),
        "nothing to press but the language"
    );
    let pause = k.store.kiosk_pause("kiosk-1").unwrap().expect("recorded");
    assert_eq!(pause.paused_by, "sato");

    // A card laid on the closed kiosk is not read and starts nothing.
    k.tap("card");
    assert_eq!(k.screen(), ScreenKind::Paused);
    k.remove();
    assert!(
        k.store.check_ins_for_month(2026, 11).unwrap().is_empty(),
        "nothing recorded"
    );

    // The power goes off over lunch: the kiosk comes back closed, with the time.
    let k = k.restarted(Persona::Valid3);
    assert_eq!(k.screen(), ScreenKind::Paused);
    assert!(k.shows("10:00ごろ再開します。"), "{:?}", k.labels());
    screenshot(&k, "kiosk-closed.png");
    // Past 10:00 and still closed: the screen no longer promises a time, only the desk.
    k.advance(31 * 60);
    assert_eq!(k.screen(), ScreenKind::Paused);
    assert!(
        !k.labels().iter().any(|l| l.contains("再開します")),
        "{:?}",
        k.labels()
    );
    assert!(
        k.shows(
            "! カードやスマートフォンを持って受付窓口へお越しください。スタッフが受付をします。"
        ),
        "{:?}",
        k.labels()
    );

    sign_in(&k);
    assert!(
        k.shows("! この受付機は休止中です。患者さんには受付窓口へ行くよう案内しています。"),
        "{:?}",
        k.labels()
    );
    // The time has passed: staff are not told patients hear it either.
    assert!(
        !k.labels().iter().any(|l| l.contains("ごろ再開と案内")),
        "{:?}",
        k.labels()
    );
    // The buttons keep their order: the toggle, then "end staff mode", which leaves it closed.
    let toggle = k.find("休止を解除する");
    let end = k.find("スタッフモードを終える");
    assert_eq!((toggle.len(), end.len()), (1, 1), "{:?}", k.labels());
    let (t, e) = (toggle[0].absolute_position(), end[0].absolute_position());
    assert!(
        (t.y, t.x) < (e.y, e.x),
        "the toggle before the end button: {t:?} {e:?}"
    );
    k.press("スタッフモードを終える");
    assert_eq!(k.screen(), ScreenKind::Paused);
    sign_in(&k);
    k.press("休止を解除する");
    assert_eq!(staff_screen(&k), StaffScreen::None);
    assert_eq!(k.screen(), ScreenKind::Welcome);
    assert_eq!(k.store.kiosk_pause("kiosk-1").unwrap(), None);

    // Patients check in again.
    k.tap("card");
    assert_eq!(k.screen(), ScreenKind::PinEntry, "{:?}", k.labels());

    let actions: Vec<String> = k
        .store
        .audit_log(30)
        .unwrap()
        .into_iter()
        .rev()
        .filter(|e| e.actor == "sato")
        .map(|e| format!("{} {}", e.action, e.detail))
        .collect();
    assert_eq!(
        actions,
        [
            "kiosk_staff_mode_opened kiosk=kiosk-1",
            "kiosk_paused kiosk=kiosk-1 reopens_at=2026-11-21T10:00:00+09:00",
            "kiosk_staff_mode_closed kiosk=kiosk-1 why=kiosk_closed",
            "kiosk_staff_mode_opened kiosk=kiosk-1",
            "kiosk_staff_mode_closed kiosk=kiosk-1 why=returned_to_service",
            "kiosk_staff_mode_opened kiosk=kiosk-1",
            "kiosk_reopened kiosk=kiosk-1",
            "kiosk_staff_mode_closed kiosk=kiosk-1 why=returned_to_service",
        ]
    );
}

/// The panel faces the waiting room: every waiting patient shows as family name and initial
/// (made in Rust, `staff_mode::short_name`) until a staff finger holds that card, then the full
/// name while it is held, and the short form again once it is released. Rendered with the real
/// software renderer, every label collected, portrait and landscape, both languages.
#[test]
fn the_staff_panel_never_renders_a_full_name_unheld() {
    use slint::platform::WindowEvent;
    use uketsuke::ui::Language;
    use uketsuke::ui::catalogue::every_screen;
    use uketsuke::ui::render::Headless;

    let panel = every_screen()
        .into_iter()
        .find(|s| s.name == "staff-panel")
        .expect("the staff-panel sample");
    // The sample's two named patients, and what the room may see of them.
    let full = ["山田 太郎", "試験 夏●美"];
    let given = ["太郎", "夏●美"];
    let short = ["山田 T.", "試験 N."];
    let unheld = |labels: &[String], when: &str| {
        for part in full.iter().chain(&given) {
            assert!(
                !labels.iter().any(|l| l.contains(part)),
                "{when}: \"{part}\" on the panel: {labels:?}"
            );
        }
        for s in short {
            assert!(
                labels.iter().any(|l| l == s),
                "{when}: no \"{s}\": {labels:?}"
            );
        }
    };
    let mut h = Headless::new(1080, 1920).unwrap();
    for (width, height) in [(1080, 1920), (1280, 800)] {
        h.resize(width, height);
        for language in [Language::Japanese, Language::English] {
            let labels = ui::labels::on_screen(&mut h, &panel, language);
            unheld(&labels, &format!("{width}x{height} {language:?}"));
        }
    }

    // A staff finger holds the first card: its full name, and only its.
    h.resize(1080, 1920);
    ui::labels::on_screen(&mut h, &panel, Language::Japanese);
    // Names carry word joiners (they never wrap): compared without them.
    let row = {
        let short = short[0].to_owned();
        ui::labelled(&h.app, move |l| l == short)
            .into_iter()
            .next()
            .expect("the short name")
    };
    let at = row.absolute_position();
    let size = row.size();
    let position = slint::LogicalPosition::new(at.x + size.width / 2.0, at.y + size.height / 2.0);
    h.app.window().dispatch_event(WindowEvent::PointerPressed {
        position,
        button: PointerEventButton::Left,
    });
    let held = labels_now(&mut h);
    assert!(held.iter().any(|l| l == full[0]), "held: {held:?}");
    assert!(!held.iter().any(|l| l == short[0]), "held: {held:?}");
    assert!(
        !held.iter().any(|l| l.contains(full[1])),
        "only the held card: {held:?}"
    );

    h.app.window().dispatch_event(WindowEvent::PointerReleased {
        position,
        button: PointerEventButton::Left,
    });
    unheld(&labels_now(&mut h), "released");
}

/// The labels of what is drawn now, without showing the sample again.
fn labels_now(h: &mut uketsuke::ui::render::Headless) -> Vec<String> {
    h.render();
    i_slint_backend_testing::ElementQuery::from_root(&h.app)
        .match_descendants()
        .find_all()
        .into_iter()
        .filter(|e| e.size().width > 0.0 && e.size().height > 0.0)
        .filter_map(|e| e.accessible_label().map(|l| unjoined(&l)))
        .collect()
}
