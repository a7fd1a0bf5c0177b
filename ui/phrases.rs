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

/// `text` without word joiners: what a reader or a test compares.
pub fn unjoined(text: &str) -> String {
    text.chars().filter(|&c| c != WORD_JOINER).collect()
}
