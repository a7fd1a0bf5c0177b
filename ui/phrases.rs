//! Run-time strings that must never break across lines. Japanese catalogue messages are
//! joined phrase by phrase at build time (`phrase_breaks.rs`, through `build.rs`); what
//! arrives at run time (a staff member's or patient's name, the share 「3割」) is joined whole
//! here, with U+2060 WORD JOINER (no line break on either side, drawn as nothing).

/// U+2060 WORD JOINER: no line break on either side, drawn as nothing.
pub const WORD_JOINER: char = '\u{2060}';

/// `text` (a person's name, or any run-time string that must never wrap) with every
/// character joined to the next, spaces included: the renderer cannot break it.
pub fn keep_together(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 2);
    for c in text.chars().filter(|&c| c != WORD_JOINER) {
        if !out.is_empty() {
            out.push(WORD_JOINER);
        }
        out.push(c);
    }
    out
}

/// `text` (a run-time name of one or more words, such as a clinic's department) joined as
/// [`keep_together`] joins a name, except after a space or a 「・」 (the middle dot between
/// the words of a compound name, 「耳鼻咽喉科・頭頸部外科」): a line may break there only.
pub fn keep_words_together(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 2);
    let mut before: Option<char> = None;
    for c in text.chars().filter(|&c| c != WORD_JOINER) {
        if let Some(b) = before
            && b != '・'
            && !b.is_whitespace()
            && !c.is_whitespace()
        {
            out.push(WORD_JOINER);
        }
        out.push(c);
        before = Some(c);
    }
    out
}

/// `text` without word joiners: what a reader or a test compares.
pub fn unjoined(text: &str) -> String {
    text.chars().filter(|&c| c != WORD_JOINER).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_compound_name_may_break_after_its_middle_dot_only() {
        let joined = keep_words_together("耳鼻咽喉科・頭頸部外科");
        assert_eq!(unjoined(&joined), "耳鼻咽喉科・頭頸部外科");
        let parts: Vec<&str> = joined.split('・').collect();
        assert_eq!(parts.len(), 2);
        assert!(!parts[1].starts_with(WORD_JOINER), "{joined:?}");
        assert!(
            parts[0].ends_with(WORD_JOINER),
            "no break before the dot: {joined:?}"
        );
        assert_eq!(
            joined,
            keep_words_together(&joined),
            "joining twice changes nothing"
        );
        assert_eq!(
            keep_words_together("リハビリテーション科"),
            keep_together("リハビリテーション科")
        );
    }
}
