//! Every screen whose words name the credential says "phone" after a phone and "card" after a
//! card, and the PIN-safety sentence is on the PIN, call-staff, visual-check and portal
//! screens.
//!
//! Each pair of catalogue samples (the same screen after a My Number card and after an Android
//! phone: the PIN pad, the wrong-PIN pad, the visual-check, card-blocked and
//! certificate-not-accepted handoffs, and tap-again) is rendered in Japanese and English. The phone's screen
//! must name the phone (「スマートフォン」/「スマホ」, "phone") and never send the patient to the
//! municipal office for a lock (a phone's certificate is set up again in the Mynaportal app);
//! the card's screen must never name a phone. The safety sentence ("never tell anyone your PIN,
//! not even staff", domain.md §1: staff never type or take the PIN) must be a label, in the
//! language shown, on the PIN pads for both credentials and on the three handoffs where a
//! person helps the patient.
//!
//! What it cannot catch: a screen that names the credential and has no phone sample in the
//! catalogue (listed in [`PAIRS`]), or wording that names a phone in other words.

use uketsuke::ui::Language;
use uketsuke::ui::catalogue::{Sample, every_screen};
use uketsuke::ui::render::Headless;

use crate::ui::labels;

/// (card sample, phone sample) of each screen whose wording names the credential.
const PAIRS: [(&str, &str); 6] = [
    ("pin-card", "pin-phone"),
    ("pin-wrong", "pin-wrong-phone"),
    (
        "handoff-staff-visual-check",
        "handoff-staff-visual-check-phone",
    ),
    ("handoff-card-blocked", "handoff-card-blocked-phone"),
    (
        "handoff-certificate-not-accepted",
        "handoff-certificate-not-accepted-phone",
    ),
    // The phone or card left the reader part-way (review 2026-11 row 30).
    ("tap-again-pin-kept", "tap-again-phone"),
];

/// The screens that must say the PIN is never told to staff.
const PIN_SAFETY_SCREENS: [&str; 5] = [
    "pin-card",
    "pin-phone",
    "handoff-staff-visual-check",
    "handoff-patient-called-staff",
    "handoff-confirm-portal-screen",
];

const PIN_SAFETY_EN: &str =
    "Never tell anyone your PIN, not even staff. Staff will never ask for it.";
const PIN_SAFETY_JA: &str =
    "暗証番号は、スタッフにも教えないでください。スタッフがお聞きすることはありません。";

fn names_a_phone(label: &str) -> bool {
    let lower = label.to_lowercase();
    lower.contains("phone") || label.contains("スマートフォン") || label.contains("スマホ")
}

fn names_the_municipal_office(label: &str) -> bool {
    let lower = label.to_lowercase();
    lower.contains("city office") || lower.contains("municipal") || label.contains("市区町村")
}

fn find<'a>(all: &'a [Sample], name: &str) -> &'a Sample {
    all.iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("no catalogue sample {name}"))
}

#[test]
fn phone_screens_say_phone_and_card_screens_say_card_in_both_languages() {
    let all = every_screen();
    let mut h = Headless::new(1080, 1920).unwrap();
    let mut problems = Vec::new();
    for (card, phone) in PAIRS {
        // Japanese and English words are checked (the other languages translate them).
        for language in [Language::Japanese, Language::English] {
            let card_labels = labels::on_screen(&mut h, find(&all, card), language);
            let phone_labels = labels::on_screen(&mut h, find(&all, phone), language);
            let code = language.code();
            for l in card_labels.iter().filter(|l| names_a_phone(l)) {
                problems.push(format!("{card}-{code} names a phone: \"{l}\""));
            }
            if !phone_labels.iter().any(|l| names_a_phone(l)) {
                problems.push(format!(
                    "{phone}-{code} never names the phone: {phone_labels:?}"
                ));
            }
            for l in phone_labels
                .iter()
                .filter(|l| names_the_municipal_office(l))
            {
                problems.push(format!(
                    "{phone}-{code} sends a phone to the municipal office: \"{l}\""
                ));
            }
            if card_labels == phone_labels {
                problems.push(format!("{card}-{code} and {phone}-{code} read the same"));
            }
            println!(
                "{card} / {phone} ({code}): {} / {} labels",
                card_labels.len(),
                phone_labels.len()
            );
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_pin_safety_sentence_is_on_the_pin_and_helper_screens_in_both_languages() {
    let all = every_screen();
    let mut h = Headless::new(1080, 1920).unwrap();
    let mut problems = Vec::new();
    for name in PIN_SAFETY_SCREENS {
        // Japanese and English words are checked (the other languages translate them).
        for language in [Language::Japanese, Language::English] {
            let sentence = match language {
                Language::Japanese => PIN_SAFETY_JA,
                _ => PIN_SAFETY_EN,
            };
            let on_screen = labels::on_screen(&mut h, find(&all, name), language);
            if !on_screen.iter().any(|l| l == sentence) {
                problems.push(format!(
                    "{name}-{}: no PIN-safety sentence in {on_screen:?}",
                    language.code()
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
