//! Where a Japanese line may break: between phrases only.
//!
//! Slint lays text out with the Unicode line-breaking rules (UAX #14, through parley and
//! icu_segmenter), which allow a break between almost any two kana or kanji, so 「ください」
//! can end a line as 「くださ」 and start the next with 「い」. Slint 1.18 offers no
//! `word-break: keep-all` or break hook for `Text`, so the text itself says where it may break:
//! every phrase's characters are joined with U+2060 WORD JOINER (UAX #14 rule LB11: no break
//! before or after it, drawn as nothing), and the renderer can then break only between
//! phrases, after a space, or at a newline.
//!
//! The phrases come from the `budouy` crate (BudouX's Japanese model, the one browsers use for
//! `word-break: auto-phrase`). This file is compiled by `build.rs`, which joins every Japanese
//! msgstr of the bundled catalogue, and by the fit test (`tests/it/ui_every_screen_fits.rs`),
//! which checks that a drawn text can break nowhere else. Run-time strings (names) are joined
//! whole by `uketsuke_views::phrases::keep_together`, which needs no model.

/// U+2060 WORD JOINER: no line break on either side, drawn as nothing.
pub const WORD_JOINER: char = '\u{2060}';

/// Strings this short (in characters, spaces not counted) are kept on one line whole: button
/// labels such as 「やめる」 or 「消す」, which BudouX might still split.
pub const SHORT_LABEL: usize = 6;

/// Whether `c` is Japanese script: kana, kanji, the long-vowel mark, or full-width forms.
pub fn is_japanese(c: char) -> bool {
    matches!(c,
        '\u{3040}'..='\u{30ff}'   // hiragana, katakana
        | '\u{3400}'..='\u{4dbf}' // CJK extension A
        | '\u{4e00}'..='\u{9fff}' // CJK unified ideographs
        | '\u{f900}'..='\u{faff}' // compatibility ideographs
        | '\u{ff66}'..='\u{ff9f}' // half-width katakana
    )
}

/// The text split into units that are never split further: a `{}` or `{1}` placeholder of
/// Slint's `@tr` is one unit, any other character is one.
fn units(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        let len = if c == '{' {
            rest.find('}')
                .filter(|&end| rest[1..end].chars().all(|d| d.is_ascii_digit()))
                .map_or(c.len_utf8(), |end| end + 1)
        } else {
            c.len_utf8()
        };
        out.push(&rest[..len]);
        rest = &rest[len..];
    }
    out
}

/// The phrases of `text` as BudouX splits it (joiners already in it are ignored), with a
/// one-character phrase joined to the next, and a short label kept whole. Concatenated, the
/// phrases are `text` without its word joiners.
pub fn phrases(text: &str) -> Vec<String> {
    let stripped: String = text.chars().filter(|&c| c != WORD_JOINER).collect();
    let units = units(&stripped);
    if units.is_empty() {
        return Vec::new();
    }
    let visible = units.iter().filter(|u| !u.trim().is_empty()).count();
    if visible <= SHORT_LABEL || !stripped.chars().any(is_japanese) {
        return vec![stripped];
    }
    // BudouX scores characters: a placeholder (one unit) scores as a digit would, so unit
    // indices and the parser's character indices agree.
    let scored: String = units
        .iter()
        .map(|u| {
            if u.len() > 1 && u.starts_with('{') {
                '0'
            } else {
                u.chars().next().unwrap_or(' ')
            }
        })
        .collect();
    let parser = budouy::model::load_default_japanese_parser();
    let boundaries = parser.parse_boundaries(&scored);
    let mut chunks: Vec<String> = vec![String::new()];
    for (i, unit) in units.iter().enumerate() {
        // A line may also break after a middle dot (・), as in lists of names (「診察券・
        // 医療証・受給者証」, 「耳鼻咽喉科・頭頸部外科」): it may end a line, never start one
        // (JIS X 4051's 中点類), and each listed name stays whole.
        let after_dot = i > 0 && units[i - 1] == "・";
        let before_dot = *unit == "・";
        if i > 0 && ((boundaries.contains(&i) && !before_dot) || after_dot) {
            chunks.push(String::new());
        }
        chunks
            .last_mut()
            .expect("one chunk at least")
            .push_str(unit);
    }
    // A phrase of one character (「や/める」) goes with the next one.
    let mut merged: Vec<String> = Vec::new();
    let mut carry = String::new();
    for chunk in chunks {
        let visible = chunk.chars().filter(|c| !c.is_whitespace()).count();
        carry.push_str(&chunk);
        if visible > 1 || chunk.ends_with(char::is_whitespace) {
            merged.push(std::mem::take(&mut carry));
        }
    }
    if !carry.is_empty() {
        match merged.last_mut() {
            Some(last) => last.push_str(&carry),
            None => merged.push(carry),
        }
    }
    merged
}

/// `text` with every phrase's characters joined, so a line breaks only between phrases, after
/// a space, or at a newline; never inside a `{}` placeholder. Text without Japanese comes back
/// unchanged (English breaks at spaces already); applying it twice changes nothing.
pub fn join_phrases(text: &str) -> String {
    if !text.chars().any(is_japanese) {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len() * 2);
    for phrase in phrases(text) {
        let mut joined = String::new();
        for unit in units(&phrase) {
            let last_is_space = joined.chars().last().is_none_or(char::is_whitespace);
            if !last_is_space && !unit.starts_with(char::is_whitespace) {
                joined.push(WORD_JOINER);
            }
            joined.push_str(unit);
        }
        out.push_str(&joined);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn japanese_is_joined_within_phrases_never_inside_a_placeholder() {
        assert_eq!(
            phrases("カードをリーダーに置いてください").join("/"),
            "カードを/リーダーに/置いてください"
        );
        assert_eq!(phrases("やめる"), ["やめる"]);
        assert_eq!(
            phrases("診察券・医療証・受給者証をお持ちの方は").join("/"),
            "診察券・/医療証・/受給者証を/お持ちの/方は"
        );
        assert_eq!(
            phrases("暗証番号がわからない・設定していない").join("/"),
            "暗証番号が/わからない・/設定していない"
        );
        let joined = join_phrases("あと{}秒でこの画面を消します。");
        assert!(joined.contains("{}"), "{joined}");
        let plain: String = joined.chars().filter(|&c| c != WORD_JOINER).collect();
        assert_eq!(plain, "あと{}秒でこの画面を消します。");
        assert_eq!(
            join_phrases(&joined),
            joined,
            "joining twice changes nothing"
        );
        assert_eq!(join_phrases("Call staff"), "Call staff");
    }
}
