//! No patient screen uses a word that `docs/terms.md` rules out: one verb for placing the card
//! or phone (置く / "place"), 保険の確認 instead of the reader jargon 資格確認, one name for the
//! number staff call, and the other rows of its "Words not to use on patient screens" table.
//!
//! The forbidden words are read from `docs/terms.md` itself, so the list translators read and
//! the list this test holds cannot drift apart. Patient strings are the `@tr` msgids of every
//! `ui/**/*.slint` but staff mode's (`ui/staff.slint`) and the demo panel, in English, and
//! their Japanese msgstrs in `ui/lang/ja/LC_MESSAGES/uketsuke-views.po`. A pure string check:
//! nothing is rendered.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::ui::po;

/// Views that patients never see: staff mode and the demo's side panel.
const NOT_PATIENT: [&str; 2] = ["staff.slint", "demo-panel.slint"];

/// One row of the table: a word, its language, and the longer words it may sit inside.
#[derive(Debug)]
struct Forbidden {
    word: String,
    japanese: bool,
    allowed_inside: Vec<String>,
}

/// The "Words not to use on patient screens" table of `docs/terms.md`.
fn forbidden_words(terms: &str) -> Vec<Forbidden> {
    let table = terms
        .split("## Words not to use on patient screens")
        .nth(1)
        .expect("docs/terms.md has a \"Words not to use on patient screens\" section");
    let mut rows = Vec::new();
    for line in table.lines().filter(|l| l.starts_with('|')) {
        let cells: Vec<&str> = line.trim_matches('|').split('|').map(str::trim).collect();
        if cells.len() < 4 || cells[0] == "Not this" || cells[0].starts_with("---") {
            continue;
        }
        let japanese = match cells[1] {
            "ja" => true,
            "en" => false,
            other => panic!("docs/terms.md: language {other:?} in row {line:?} (ja or en)"),
        };
        rows.push(Forbidden {
            word: cells[0].to_string(),
            japanese,
            allowed_inside: cells[3]
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect(),
        });
    }
    rows
}

/// The `@tr` msgids of the patient views, each with the file it is in.
fn patient_strings() -> BTreeMap<String, PathBuf> {
    po::tr_strings()
        .into_iter()
        .filter(|(_, path)| {
            let name = path.file_name().unwrap().to_string_lossy();
            !NOT_PATIENT.contains(&name.as_ref())
        })
        .collect()
}

/// Whether `text` uses `rule.word`: anywhere for Japanese (phrase-break marks ignored), at the
/// start of a word for English, case-insensitive unless the word has a capital letter; never
/// inside one of its allowed words.
fn uses(text: &str, rule: &Forbidden) -> bool {
    let exact = rule.word.chars().any(char::is_uppercase);
    let fold = |s: &str| {
        if exact {
            s.to_string()
        } else {
            s.to_lowercase()
        }
    };
    let mut text = fold(&text.replace(['\u{200B}', '\u{00AD}'], ""));
    for allowed in &rule.allowed_inside {
        text = text.replace(&fold(allowed), " ");
    }
    let word = fold(&rule.word);
    if rule.japanese {
        return text.contains(&word);
    }
    text.match_indices(&word).any(|(i, _)| {
        text[..i]
            .chars()
            .next_back()
            .is_none_or(|c| !c.is_alphanumeric())
    })
}

#[test]
fn no_patient_string_uses_a_word_the_term_list_rules_out() {
    let terms = std::fs::read_to_string("docs/terms.md").expect("docs/terms.md");
    let rules = forbidden_words(&terms);
    assert!(
        rules.len() >= 8 && rules.iter().any(|r| r.japanese) && rules.iter().any(|r| !r.japanese),
        "docs/terms.md's table was not read: {rules:?}"
    );
    let header = std::fs::read_to_string(po::JAPANESE_PO).unwrap();
    assert!(
        header
            .lines()
            .take_while(|l| l.starts_with('#'))
            .any(|l| l.contains("docs/terms.md")),
        "the .po header points translators to docs/terms.md"
    );
    let ja: BTreeMap<String, String> = po::japanese().into_iter().collect();
    let strings = patient_strings();
    assert!(
        strings.len() > 100,
        "{} patient strings found",
        strings.len()
    );
    let mut problems = Vec::new();
    for (msgid, file) in &strings {
        for rule in &rules {
            if !rule.japanese && uses(msgid, rule) {
                problems.push(format!(
                    "{}: {msgid:?} uses {:?}",
                    file.display(),
                    rule.word
                ));
            }
            if rule.japanese
                && let Some(msgstr) = ja.get(msgid)
                && uses(msgstr, rule)
            {
                problems.push(format!(
                    "{}: {msgid:?} -> {msgstr:?} uses {:?}",
                    file.display(),
                    rule.word
                ));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "words docs/terms.md rules out on patient screens:\n{}",
        problems.join("\n")
    );
}

#[test]
fn the_rule_catches_the_old_wording_and_spares_allowed_words() {
    let terms = std::fs::read_to_string("docs/terms.md").unwrap();
    let rules = forbidden_words(&terms);
    let caught = |text: &str| rules.iter().any(|r| uses(text, r));
    // The wording before the term list (review 2026-11, cross-screen 2 and 3).
    for old in [
        "Please tap your My Number card or smartphone on the reader",
        "Hold it flat on the reader until the screen changes.",
        "Please put the same card or phone back on the reader and keep it still.",
        "Nothing was touched for a while. Please start again by tapping your card or phone.",
        "Your reception number",
        "Staff will check the photo on your My Number card instead.",
        "カードかスマートフォンをかざして、もう一度始めてください。",
        "いま資格確認ができません",
        "保険の資格を確認しています",
        "受付を仕上げています",
    ] {
        assert!(caught(old), "not caught: {old:?}");
    }
    for fine in [
        "Please place your My Number Card or smartphone on the reader",
        "資格確認書を受付窓口で見せてください。",
        "Staff will check you in.",
        "いま保険の確認ができません",
        "Your number",
    ] {
        assert!(!caught(fine), "caught but allowed: {fine:?}");
    }
}
