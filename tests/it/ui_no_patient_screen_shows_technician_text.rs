//! No patient screen shows technician text. Every catalogue screen without staff mode over it
//! (the out-of-service screen for every reader trouble, the start-failure and "not set up"
//! screens included), in Japanese and English, is rendered, and each of its labels is checked
//! against [`technician_text`]: a file path, a Rust path (`::`), PC/SC and system words
//! (`pcscd`, `SCARD_…`, `errno`, `Permission denied`, `systemctl`, ...), an errno-looking
//! identifier (`EACCES`), or, on a Japanese screen, a run of three English words (an
//! untranslated message). The out-of-service screens must also show a short code (`R1`.., `S1`..)
//! for the patient to tell staff.
//!
//! What it cannot catch: technician words the rule does not list, a screen the catalogue has no
//! sample for, or text drawn without an accessible label. Staff mode's screens are for staff
//! and may name `pcscd`; they are left out on purpose.

use uketsuke::flow::{ReaderTrouble, Screen};
use uketsuke::ui::Language;
use uketsuke::ui::catalogue::{Sample, every_screen};
use uketsuke::ui::present::OutOfOrder;
use uketsuke::ui::render::Headless;

use crate::ui::labels;

/// Words no patient should read, lowercase (matched against the lowercased label).
const TECHNICIAN_WORDS: [&str; 26] = [
    "pcscd",
    "pc/sc",
    "scard",
    "errno",
    "os error",
    "permission denied",
    "no such file",
    "not found:",
    "sqlite",
    "database",
    "socket",
    "systemctl",
    "journalctl",
    "provision",
    "uketsuke",
    "panic",
    "apdu",
    "status word",
    "usb",
    "0x",
    "error:",
    "stderr",
    "config",
    "facility.json",
    "technician",
    "技術",
];

/// File name endings that mark a path.
const FILE_ENDINGS: [&str; 10] = [
    ".db", ".json", ".toml", ".rs", ".slint", ".so", ".sock", ".comm", ".conf", ".log",
];

/// Why `label` is technician text, if it is. `japanese`: the label is on a Japanese screen.
pub fn technician_text(label: &str, japanese: bool) -> Option<String> {
    let lower = label.to_lowercase();
    if label.contains("::") {
        return Some("a Rust path (::)".into());
    }
    let chars: Vec<char> = label.chars().collect();
    for (i, c) in chars.iter().enumerate() {
        // "/var", "./x", "~/x": a slash that starts or continues a path. "1/3" is not one.
        if *c == '/'
            && (chars
                .get(i + 1)
                .is_some_and(|n| n.is_ascii_alphabetic() || *n == '.')
                || i > 0 && matches!(chars[i - 1], '.' | '~'))
            && !lower[..].contains("pc/sc")
        {
            return Some("a file path".into());
        }
    }
    for word in lower.split(|c: char| c.is_whitespace() || matches!(c, '(' | ')' | ',' | ':')) {
        let word = word.trim_end_matches(['.', ';', '!', '?']);
        if FILE_ENDINGS
            .iter()
            .any(|end| word.len() > end.len() && word.ends_with(end))
        {
            return Some(format!("a file name ({word})"));
        }
    }
    for word in TECHNICIAN_WORDS {
        if lower.contains(word) {
            return Some(format!("the word \"{word}\""));
        }
    }
    for token in label.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')) {
        let upper = token
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
        if upper && token.contains('_') && token.len() > 3 {
            return Some(format!("a constant's name ({token})"));
        }
        if upper
            && token.len() >= 4
            && token.starts_with('E')
            && token.chars().all(|c| c.is_ascii_uppercase())
        {
            return Some(format!("an errno name ({token})"));
        }
    }
    if japanese {
        // A stretch of ASCII (no Japanese in between) holding three or more words.
        for stretch in label.split(|c: char| !c.is_ascii()) {
            let words = stretch
                .split(|c: char| !c.is_ascii_alphabetic())
                .filter(|w| !w.is_empty())
                .count();
            if words >= 3 {
                return Some("English words on a Japanese screen".into());
            }
        }
    }
    None
}

#[test]
fn the_rule_catches_what_the_old_screens_showed() {
    for (text, japanese) in [
        (
            "For technicians: cannot open database /var/lib/uketsuke/uketsuke.db: Permission denied",
            false,
        ),
        (
            "技術者向け: run uketsuke provision (there is no facility.json yet)",
            true,
        ),
        (
            "pcscd runs but lists no matching reader: is it plugged in?",
            false,
        ),
        ("(SCARD_E_SHARING_VIOLATION): close it", false),
        ("open: EACCES", false),
        ("crate::store::db failed", false),
        ("カードが読めません: card reader stopped answering", true),
    ] {
        assert!(technician_text(text, japanese).is_some(), "{text}");
    }
    for (text, japanese) in [
        ("Please tell staff this code: R2", false),
        ("スタッフにこのコードをお伝えください：S2", true),
        ("Question 1 of 3", false),
        ("Eligibility certificate (資格確認書)", false),
        ("English", true),
        ("OK", true),
    ] {
        assert_eq!(technician_text(text, japanese), None, "{text}");
    }
}

/// The catalogue, plus the out-of-service screen for every reader trouble and the out-of-order
/// screen for every reason (the catalogue shows one of each).
fn every_variant() -> Vec<Sample> {
    let mut all = every_screen();
    let base = all
        .iter()
        .find(|s| s.name == "out-of-service")
        .expect("an out-of-service sample")
        .clone();
    let troubles = [
        ReaderTrouble::ServiceNotRunning,
        ReaderTrouble::NoReader,
        ReaderTrouble::ReaderNotAnswering,
        ReaderTrouble::ReaderInUse,
    ];
    // A new trouble does not compile here until it is listed above.
    match troubles[0] {
        ReaderTrouble::ServiceNotRunning
        | ReaderTrouble::NoReader
        | ReaderTrouble::ReaderNotAnswering
        | ReaderTrouble::ReaderInUse => {}
    }
    for trouble in troubles {
        let mut s = base.clone();
        s.name = format!("out-of-service-{}", trouble.as_str());
        s.view.screen = Screen::OutOfService { trouble };
        all.push(s);
    }
    let reasons = [
        OutOfOrder::NotSetUp,
        OutOfOrder::CannotStart,
        OutOfOrder::PartStopped,
    ];
    match reasons[0] {
        OutOfOrder::NotSetUp | OutOfOrder::CannotStart | OutOfOrder::PartStopped => {}
    }
    for why in reasons {
        let mut s = base.clone();
        s.name = format!("out-of-order-{why:?}");
        s.view.screen = Screen::Welcome;
        s.out_of_order = Some(why);
        all.push(s);
    }
    all
}

#[test]
fn no_patient_screen_in_any_language_shows_technician_text() {
    let samples = every_variant();
    let mut h = Headless::new(1080, 1920).unwrap();
    let mut problems = Vec::new();
    let mut checked = 0;
    for sample in samples.iter().filter(|s| s.staff.is_none()) {
        // The words checked are Japanese and English; the other languages translate the same
        // messages (ui_every_string_is_translated), and 9 renders a screen would cost CI time.
        for language in [Language::Japanese, Language::English] {
            let labels = labels::on_screen(&mut h, sample, language);
            checked += labels.len();
            for label in &labels {
                if let Some(why) = technician_text(label, language == Language::Japanese) {
                    problems.push(format!(
                        "{}-{}: {why}: \"{label}\"",
                        sample.name,
                        language.code()
                    ));
                }
            }
            let says_a_code = labels.iter().any(|l| {
                let code = l
                    .trim_end()
                    .rsplit([' ', '：', ':'])
                    .next()
                    .unwrap_or_default();
                code.len() == 2
                    && (code.starts_with('R') || code.starts_with('S'))
                    && code[1..].chars().all(|c| c.is_ascii_digit())
            });
            let needs_a_code = sample.out_of_order.is_some()
                || matches!(sample.view.screen, Screen::OutOfService { .. });
            if needs_a_code && !says_a_code {
                problems.push(format!(
                    "{}-{}: no code for staff among {labels:?}",
                    sample.name,
                    language.code()
                ));
            }
        }
    }
    println!("{checked} labels checked");
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}
