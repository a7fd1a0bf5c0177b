//! No spoken text, in any language, says a digit, a PIN or a name (issue 18): every clip's words
//! (`ui/voice.slint`'s `Voice` global, read in each language as `uketsuke voice-cache` reads
//! them) hold no numeric character of any script (ASCII, full-width, Devanagari ...), no run of
//! two or more digit words (a PIN said as words: "one two three four"), and no part of any test
//! persona's name or reading. The reception number is only ever spoken from the digit clips,
//! one clip a digit; the digit clips themselves must be words, not digit characters.
//!
//! What it cannot catch: a number written as words that is not a run of digit words
//! ("twelve"); a name of a person the personas do not have; languages without spaces between
//! words (ja, zh) are checked for digit-word runs only as whole texts.

use uketsuke::gateway::sim::Persona;
use uketsuke::ui::Language;
use uketsuke::ui::voice_words::texts;
use uketsuke::voice::speech::Clip;

/// Every part (split at spaces, markup removed) of every persona's name and reading, two
/// characters or more.
fn name_parts() -> Vec<String> {
    let mut parts = Vec::new();
    for persona in Persona::ALL {
        let Some(name) = persona.eligibility().and_then(|r| r.name) else {
            continue;
        };
        let cleaned = name
            .name
            .replace("<b>", " ")
            .replace("</b>", " ")
            .replace(['&', '"', '●'], " ");
        let kana = name.kana.unwrap_or_default();
        for part in cleaned.split_whitespace().chain(kana.split_whitespace()) {
            if part.chars().count() >= 2 && part != "Co" {
                parts.push(part.to_owned());
            }
        }
    }
    parts.sort();
    parts.dedup();
    parts
}

#[test]
fn no_clip_says_a_digit_a_pin_or_a_name_in_any_language() {
    let every = std::thread::spawn(|| texts(&Language::ALL))
        .join()
        .expect("reading the voice words does not panic")
        .expect("the views build");
    let names = name_parts();
    assert!(
        names.len() >= 8,
        "the personas' names were found: {names:?}"
    );
    let mut problems = Vec::new();
    let mut checked = 0;
    for (language, clips) in &every {
        let code = language.code();
        let digit_words: Vec<String> = clips
            .iter()
            .filter(|(clip, _)| matches!(clip, Clip::Digit(_)))
            .filter_map(|(_, words)| words.as_deref().map(|w| w.trim().to_lowercase()))
            .collect();
        assert_eq!(digit_words.len(), 10, "{code}: ten digit clips");
        for (clip, words) in clips {
            let name = clip.file_name();
            let Some(words) = words else {
                // The PIN key's tick is a sound, not words (voice-cache makes a tone).
                if *clip == Clip::Tick {
                    checked += 1;
                } else {
                    problems.push(format!("{code}/{name}: no words"));
                }
                continue;
            };
            checked += 1;
            if words.trim().is_empty() {
                problems.push(format!("{code}/{name}: empty"));
            }
            if let Some(c) = words.chars().find(|c| c.is_numeric()) {
                problems.push(format!("{code}/{name}: the digit {c:?} in {words:?}"));
            }
            for part in &names {
                if words.contains(part.as_str()) {
                    problems.push(format!(
                        "{code}/{name}: the name part {part:?} in {words:?}"
                    ));
                }
            }
            // A PIN said as words: two digit words in a row (outside the digit clips).
            if !matches!(clip, Clip::Digit(_)) {
                let tokens: Vec<String> = words
                    .split(|c: char| c.is_whitespace() || (c.is_ascii_punctuation() && c != '\''))
                    .filter(|t| !t.is_empty())
                    .map(str::to_lowercase)
                    .collect();
                let is_digit = |t: &String| digit_words.contains(t);
                if tokens
                    .windows(2)
                    .any(|w| is_digit(&w[0]) && is_digit(&w[1]))
                {
                    problems.push(format!("{code}/{name}: digit words in a row in {words:?}"));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
    assert_eq!(checked, Language::ALL.len() * Clip::all().len());
}

#[test]
fn the_rule_catches_a_pin_a_digit_and_a_name() {
    // The checks above, on texts that break them: each must be caught.
    let digits = ["zero", "one", "two", "three", "four"].map(String::from);
    let tokens: Vec<String> = "your PIN is one two three four"
        .split_whitespace()
        .map(str::to_lowercase)
        .collect();
    assert!(
        tokens
            .windows(2)
            .any(|w| digits.contains(&w[0]) && digits.contains(&w[1]))
    );
    assert!("受付番号は１２番です".chars().any(|c| c.is_numeric()));
    assert!("number १२".chars().any(|c| c.is_numeric()));
    assert!(!"四けたの暗証番号".chars().any(|c| c.is_numeric()));
    assert!(
        name_parts()
            .iter()
            .any(|p| "試験 一郎さん".contains(p.as_str()))
    );
}
