//! Whole check-ins through the real patient views, driven by accessible label with pointer
//! clicks: what a patient sees and touches, down to the stored record.

use crate::ui;

use std::sync::Mutex;
use std::time::{Duration, Instant};

use uketsuke::domain::{HandoffReason, Outcome, VerificationMethod};
use uketsuke::gateway::sim::Persona;
use uketsuke::ui::{Kiosk, ScreenKind};

use slint::ComponentHandle;
use ui::UiKiosk;

/// The language is process-wide state in Slint: one kiosk at a time.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner())
}

fn last_check_in(kiosk: &UiKiosk) -> uketsuke::domain::StoredCheckIn {
    let month = kiosk.store.check_ins_for_month(2026, 11).unwrap();
    month.last().cloned().expect("a check-in was recorded")
}

#[test]
fn card_with_pin_to_done_in_english() {
    let _one = one_at_a_time();
    let kiosk = UiKiosk::new(Persona::Valid3);
    assert_eq!(kiosk.screen(), ScreenKind::Welcome);
    kiosk.to_english();
    assert!(kiosk.shows("Please place your My Number Card or smartphone on the reader"));

    kiosk.tap("card");
    assert_eq!(kiosk.screen(), ScreenKind::PinEntry, "{:?}", kiosk.labels());
    assert!(kiosk.shows("Enter your card's 4-digit PIN"));
    assert!(kiosk.shows("Tries left: 3"));
    kiosk.press("1");
    kiosk.press("2");
    assert!(kiosk.shows("PIN: 2 of 4 digits entered"));
    kiosk.press("Erase");
    assert!(kiosk.shows("PIN: 1 of 4 digits entered"));
    kiosk.type_pin("234", "OK");

    assert_eq!(
        kiosk.screen(),
        ScreenKind::ConsentChoice,
        "{:?}",
        kiosk.labels()
    );
    kiosk.press("Agree to all");
    kiosk.settle();
    assert_eq!(kiosk.screen(), ScreenKind::HighCostLimit);
    kiosk.press("Yes, I agree");
    assert_eq!(kiosk.screen(), ScreenKind::Prescription);
    kiosk.press("Electronic prescription");
    kiosk.settle();

    assert_eq!(kiosk.screen(), ScreenKind::Done, "{:?}", kiosk.labels());
    assert!(kiosk.shows("Your check-in is complete"));
    // The number, and to remember it; no share by default (review 2026-11 rows 12, 35).
    assert!(!kiosk.shows("Your share of the medical costs: 30% (3割)"));
    assert!(kiosk.shows("Your number 1"), "{:?}", kiosk.labels());
    assert!(kiosk.shows("We will call you by this number. Please remember it."));
    // Shown only after the store committed it.
    let stored = last_check_in(&kiosk);
    assert_eq!(stored.record.outcome, Outcome::Completed);
    assert_eq!(
        stored.record.verification,
        Some(VerificationMethod::CardViaReader)
    );
    assert!(stored.record.counts_toward_usage_rate);

    kiosk.press("Finish");
    assert_eq!(kiosk.screen(), ScreenKind::Welcome);
    // Back to Japanese for the next patient.
    assert_eq!(kiosk.app.global::<Kiosk>().get_language(), "ja");
    assert!(
        kiosk.shows(
            "マイナ保険証（マイナンバーカード）かスマートフォンを、リーダーに置いてください"
        )
    );
}

#[test]
fn unreadable_phone_gets_the_portal_screen_steps_and_a_number_in_japanese() {
    let _one = one_at_a_time();
    let kiosk = UiKiosk::new(Persona::Valid3);
    kiosk.tap("iphone");
    assert_eq!(kiosk.screen(), ScreenKind::Handoff, "{:?}", kiosk.labels());
    assert!(kiosk.shows("スマートフォンで資格情報の画面を見せてください"));
    for step in [
        "1. マイナポータルのアプリを開きます。",
        "3. 「資格情報」の画面を開きます。",
        "4. その画面とこの番号を受付窓口で見せてください。",
    ] {
        assert!(kiosk.shows(step), "missing {step}: {:?}", kiosk.labels());
    }
    assert!(
        kiosk.shows("この番号を覚えるか、メモしてください。 1"),
        "{:?}",
        kiosk.labels()
    );
    let stored = last_check_in(&kiosk);
    assert_eq!(
        stored.record.outcome,
        Outcome::HandedToStaff {
            reason: HandoffReason::ConfirmPortalScreen
        }
    );
    assert_eq!(
        stored.record.expected_route,
        Some(VerificationMethod::PortalScreenCheckedByStaff)
    );
    assert_eq!(stored.record.verification, None);
    assert!(!stored.record.counts_toward_usage_rate);
    assert_eq!(stored.reception_number.map(|n| n.0), Some(1));
}

#[test]
fn wrong_pin_shows_tries_left_and_one_try_left_hands_over() {
    let _one = one_at_a_time();
    let kiosk = UiKiosk::new(Persona::Valid3);
    kiosk.to_english();
    kiosk.tap("card");
    kiosk.type_pin("9999", "OK");
    assert_eq!(kiosk.screen(), ScreenKind::PinEntry);
    assert!(
        kiosk.shows("! That PIN was not correct. 2 more wrong PINs will lock the card, and only your municipal office can unlock it."),
        "{:?}",
        kiosk.labels()
    );
    // The pad is empty again for the next attempt.
    assert!(kiosk.shows("PIN: 0 of 4 digits entered"));
    kiosk.type_pin("8888", "OK");
    // One try left: no PIN is asked; staff check the card by eye.
    assert_eq!(kiosk.screen(), ScreenKind::Handoff, "{:?}", kiosk.labels());
    assert!(kiosk.shows("A staff member will check your card"));
    assert_eq!(last_check_in(&kiosk).record.wrong_pin_entries, 2);
}

/// "Call staff" and "cancel" mid-PIN ask first (review 2026-11 row 13, cross-screen 4): the
/// question replaces the top bar's endings, "back" returns to the PIN pad as it was (its wrong
/// try still shown), and only the question's own "call staff" hands over.
#[test]
fn call_staff_mid_pin_asks_first_and_back_returns_to_the_pin_pad() {
    let _one = one_at_a_time();
    let kiosk = UiKiosk::new(Persona::Valid3);
    kiosk.to_english();
    kiosk.tap("card");
    kiosk.type_pin("9999", "OK");
    let wrong = "! That PIN was not correct. 2 more wrong PINs will lock the card, and only your municipal office can unlock it.";
    assert!(kiosk.shows(wrong), "{:?}", kiosk.labels());

    kiosk.press("Call staff");
    assert_eq!(
        kiosk.screen(),
        ScreenKind::ConfirmEnd,
        "{:?}",
        kiosk.labels()
    );
    assert!(kiosk.shows("Call staff?"), "{:?}", kiosk.labels());
    assert!(kiosk.shows("This check-in stops here."));
    assert!(
        !kiosk.shows("Cancel"),
        "no other ending beside the question"
    );
    kiosk.press("Back");
    assert_eq!(kiosk.screen(), ScreenKind::PinEntry, "{:?}", kiosk.labels());
    assert!(
        kiosk.shows(wrong),
        "the PIN pad as it was: {:?}",
        kiosk.labels()
    );

    kiosk.press("Cancel");
    assert_eq!(kiosk.screen(), ScreenKind::ConfirmEnd);
    assert!(kiosk.shows("Stop this check-in?"), "{:?}", kiosk.labels());
    assert!(kiosk.shows("Nothing you entered is saved."));
    kiosk.press("Back");
    assert_eq!(kiosk.screen(), ScreenKind::PinEntry);
    let month = kiosk.store.check_ins_for_month(2026, 11).unwrap();
    assert!(month.is_empty(), "nothing recorded yet");

    kiosk.press("Call staff");
    kiosk.press("Call staff");
    assert_eq!(kiosk.screen(), ScreenKind::Handoff, "{:?}", kiosk.labels());
    let stored = last_check_in(&kiosk);
    assert_eq!(
        stored.record.outcome,
        Outcome::HandedToStaff {
            reason: HandoffReason::PatientCalledStaff
        }
    );
    assert_eq!(stored.record.wrong_pin_entries, 1);
}

#[test]
fn consent_item_by_item_records_each_answer() {
    let _one = one_at_a_time();
    let kiosk = UiKiosk::new(Persona::Valid3);
    kiosk.to_english();
    kiosk.tap("card");
    kiosk.type_pin("1234", "OK");
    kiosk.press("Choose item by item");
    assert!(kiosk.shows("Question 1 of 3"), "{:?}", kiosk.labels());
    assert!(kiosk.shows("May the doctor see the medicines and treatment you received elsewhere?"));
    kiosk.press("Yes, I agree");
    assert!(kiosk.shows("Question 2 of 3"));
    assert!(kiosk.shows("May the doctor see the operations you have had?"));
    kiosk.press("No, I do not agree");
    assert!(kiosk.shows("Question 3 of 3"));
    assert!(kiosk.shows("May the doctor see the results of your health checks?"));
    kiosk.press("Yes, I agree");
    kiosk.settle();
    kiosk.press("No, I do not agree");
    kiosk.press("Paper prescription");
    kiosk.settle();
    assert_eq!(kiosk.screen(), ScreenKind::Done, "{:?}", kiosk.labels());
    let consent = last_check_in(&kiosk).record.consent;
    assert_eq!(consent.medical_and_drug_info, Some(true));
    assert_eq!(consent.surgery_info, Some(false));
    assert_eq!(consent.health_check_info, Some(true));
    assert_eq!(consent.high_cost_limit_info, Some(false));
    assert_eq!(
        consent.prescription_form,
        Some(uketsuke::domain::PrescriptionForm::Paper)
    );
}

#[test]
fn idle_screen_counts_down_then_clears_for_privacy() {
    let _one = one_at_a_time();
    let kiosk = UiKiosk::new(Persona::Valid3);
    kiosk.to_english();
    kiosk.tap("card");
    kiosk.press("1");
    // 90 s idle timeout; the countdown shows in the last 20 s.
    kiosk.advance(69);
    assert!(!kiosk.app.global::<Kiosk>().get_countdown_showing());
    kiosk.advance(6);
    assert!(
        kiosk.shows("! Do you want to continue? In 15 seconds the screen goes back to the start, and what you entered is cleared.")
            && kiosk.shows("15 seconds left"),
        "{:?}",
        kiosk.labels()
    );
    // The countdown dims the screen rather than blacking it out (a black screen reads as a
    // crash): the top of the frame, where the bar and the PIN prompt were, shows through, but
    // dark (ink #111111 at 75% over it: no channel brighter than 0.25 x 255 + 0.75 x 17 = 77).
    // The dialog sits in the middle, lower than the top quarter.
    let frame = kiosk.app.window().take_snapshot().unwrap();
    let width = frame.width() as usize;
    let top_quarter = &frame.as_slice()[..width * frame.height() as usize / 4];
    let shows_through = top_quarter
        .iter()
        .filter(|p| (p.r, p.g, p.b) != (0x11, 0x11, 0x11))
        .count();
    let brightest = top_quarter
        .iter()
        .map(|p| p.r.max(p.g).max(p.b))
        .max()
        .unwrap_or(0);
    println!(
        "countdown: {shows_through} pixels of the top quarter show through; brightest {brightest}"
    );
    assert!(
        shows_through > 0,
        "the screen beneath is blacked out, not dimmed"
    );
    assert!(
        brightest <= 80,
        "the screen beneath is not dimmed: {brightest}"
    );
    kiosk.press("Continue");
    assert!(!kiosk.app.global::<Kiosk>().get_countdown_showing());
    // The digit typed before is still there: "still here" keeps the patient's work.
    assert!(kiosk.shows("PIN: 1 of 4 digits entered"));
    kiosk.advance(91);
    assert_eq!(kiosk.screen(), ScreenKind::TimedOut, "{:?}", kiosk.labels());
    // Privacy: the typed digit is gone, and so is the English the patient chose.
    assert_eq!(kiosk.app.global::<Kiosk>().get_pin_digits(), 0);
    kiosk.advance(31);
    assert_eq!(kiosk.screen(), ScreenKind::Welcome);
    assert_eq!(kiosk.app.global::<Kiosk>().get_language(), "ja");
    let stored = last_check_in(&kiosk);
    assert!(matches!(stored.record.outcome, Outcome::TimedOut { .. }));
}

#[test]
fn the_language_chooser_shows_the_same_screen_in_the_language_chosen() {
    let _one = one_at_a_time();
    let kiosk = UiKiosk::new(Persona::Valid3);
    assert!(
        kiosk.shows(
            "マイナ保険証（マイナンバーカード）かスマートフォンを、リーダーに置いてください"
        )
    );
    assert!(kiosk.shows("スタッフを呼ぶ"));
    // The chooser lists every language in its own script, and the screen beneath is gone.
    kiosk.touch("Language");
    for language in uketsuke::ui::Language::ALL {
        assert!(
            kiosk.shows(language.own_name()),
            "no {}: {:?}",
            language.own_name(),
            kiosk.labels()
        );
    }
    assert!(
        !kiosk.shows(
            "マイナ保険証（マイナンバーカード）かスマートフォンを、リーダーに置いてください"
        ),
        "{:?}",
        kiosk.labels()
    );
    kiosk.press("English");
    assert_eq!(kiosk.screen(), ScreenKind::Welcome);
    assert!(kiosk.shows("Please place your My Number Card or smartphone on the reader"));
    assert!(kiosk.shows("Call staff"));
    assert!(!kiosk.shows("日本語"), "the chooser closed");
    kiosk.tap("card");
    assert!(kiosk.shows("Enter your card's 4-digit PIN"));
    kiosk.choose_language("日本語");
    assert_eq!(kiosk.screen(), ScreenKind::PinEntry);
    assert!(kiosk.shows("カードの暗証番号（4桁）を入力してください"));
    assert!(kiosk.shows("残りの回数: 3回"));
    // The language button closes the chooser again, on the same screen in the same language.
    kiosk.touch("Language");
    kiosk.touch("Language");
    assert!(kiosk.shows("残りの回数: 3回"));
    kiosk.choose_language("English");
    assert!(kiosk.shows("Tries left: 3"));
    // A screen change closes the chooser: here the idle timeout, which also brings Japanese
    // back for the next patient.
    kiosk.touch("Language");
    assert!(kiosk.app.global::<Kiosk>().get_choosing_language());
    kiosk.advance(91);
    assert_eq!(kiosk.screen(), ScreenKind::TimedOut, "{:?}", kiosk.labels());
    assert!(!kiosk.app.global::<Kiosk>().get_choosing_language());
    kiosk.advance(31);
    assert_eq!(kiosk.screen(), ScreenKind::Welcome, "{:?}", kiosk.labels());
    assert_eq!(kiosk.app.global::<Kiosk>().get_language(), "ja");
    assert!(kiosk.shows("スタッフを呼ぶ"));
}

#[test]
fn the_screen_answers_while_a_slow_gateway_is_still_thinking() {
    let _one = one_at_a_time();
    // The slow persona takes 8 s to answer, on the gateway's thread.
    let kiosk = UiKiosk::new(Persona::Slow);
    kiosk.to_english();
    kiosk.tap("card");
    kiosk.touch("1");
    kiosk.touch("2");
    kiosk.touch("3");
    kiosk.touch("4");
    kiosk.touch("OK");
    // Wait for the PIN and signature, not for the gateway: the reader answers in milliseconds.
    let start = Instant::now();
    while kiosk.screen() != ScreenKind::ConsentChoice && start.elapsed() < ui::WORKERS {
        kiosk
            .rt
            .borrow_mut()
            .wait_for_message(Duration::from_millis(200));
    }
    assert_eq!(kiosk.screen(), ScreenKind::ConsentChoice);
    kiosk.touch("Agree to all");
    kiosk.touch("Yes, I agree");
    kiosk.touch("Electronic prescription");
    assert_eq!(kiosk.screen(), ScreenKind::Querying, "{:?}", kiosk.labels());
    assert_eq!(
        kiosk.rt.borrow().outstanding(),
        1,
        "the query is on its way"
    );
    // While the gateway thinks, every touch is answered at once.
    let touched = Instant::now();
    kiosk.touch("Language");
    kiosk.touch("日本語");
    assert!(kiosk.shows("保険を確認しています"));
    kiosk.touch("Language");
    kiosk.touch("English");
    assert!(kiosk.shows("Checking your health insurance"));
    let frame = kiosk.app.window().take_snapshot().unwrap();
    assert_eq!(frame.width(), 1080);
    let answered_in = touched.elapsed();
    assert_eq!(
        kiosk.rt.borrow().outstanding(),
        1,
        "the touches were answered before the gateway"
    );
    println!("two language switches and a frame while the gateway was busy: {answered_in:?}");
    kiosk.settle();
    assert_eq!(kiosk.screen(), ScreenKind::Done, "{:?}", kiosk.labels());
}

#[test]
fn paper_documents_and_wrong_cards_have_their_own_guidance() {
    let _one = one_at_a_time();
    let kiosk = UiKiosk::new(Persona::Valid3);
    kiosk.to_english();
    kiosk.tap("transit");
    assert_eq!(kiosk.screen(), ScreenKind::WrongCard);
    assert!(kiosk.shows("This is a transit or shopping card"));
    kiosk.remove();
    kiosk.tap("payment");
    // One question first: a phone is a button, a card is what to do next (review row 18).
    assert!(
        kiosk.shows("Did you place a smartphone?"),
        "{:?}",
        kiosk.labels()
    );
    assert!(kiosk.shows(
        "! If it was a card: a payment card cannot be used for check-in. Please take it away and place your My Number Card on the reader."
    ));
    kiosk.press("It is a smartphone (show me another way)");
    kiosk.settle();
    assert_eq!(kiosk.screen(), ScreenKind::Handoff, "{:?}", kiosk.labels());
    assert!(kiosk.shows("Please show your insurance screen on your phone"));
    kiosk.press("OK");
    kiosk.remove();
    kiosk.to_english();
    kiosk.press("I have paper documents");
    assert_eq!(kiosk.screen(), ScreenKind::DocumentMenu);
    kiosk.press("Eligibility certificate (資格確認書)");
    kiosk.settle();
    assert!(
        kiosk.shows("Please show your eligibility certificate (資格確認書) and this number at the reception desk.")
    );
}

#[test]
fn out_of_service_tells_patients_where_to_go_and_a_code_for_staff() {
    use uketsuke::flow::{Input, ReaderTrouble};
    let _one = one_at_a_time();
    let kiosk = UiKiosk::new(Persona::Valid3);
    kiosk.to_english();
    for (trouble, code, detail) in [
        (ReaderTrouble::ServiceNotRunning, "R1", "pcscd"),
        (ReaderTrouble::NoReader, "R2", "lists no matching reader"),
        (ReaderTrouble::ReaderNotAnswering, "R3", "SCARD_"),
        (ReaderTrouble::ReaderInUse, "R4", "SCARD_"),
    ] {
        kiosk.rt.borrow_mut().feed(Input::ReaderDown(trouble));
        assert_eq!(kiosk.screen(), ScreenKind::OutOfService);
        assert!(kiosk.shows("Cards cannot be read at this kiosk right now"));
        assert!(
            kiosk.shows(&format!("Please tell staff this code: {code}")),
            "{:?}",
            kiosk.labels()
        );
        // The technician's words stay in the journal and doctor.
        assert!(
            kiosk.labels().iter().all(|l| !l.contains(detail)),
            "{:?}",
            kiosk.labels()
        );
    }
    kiosk.rt.borrow_mut().feed(Input::ReaderUp);
    assert_eq!(kiosk.screen(), ScreenKind::Welcome);
}
