//! Every text a patient can read in `ui/` has a Japanese translation, and the catalogue holds
//! nothing the views no longer say.

use std::collections::BTreeSet;

fn unescape(s: &str) -> String {
    s.replace("\\\"", "\"").replace("\\\\", "\\")
}

/// The first string argument of every `@tr(...)` in the views.
fn source_strings() -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut stack = vec![std::path::PathBuf::from("ui")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "slint") {
                let text = std::fs::read_to_string(&path).unwrap();
                for (i, _) in text.match_indices("@tr(\"") {
                    let rest = &text[i + 5..];
                    let mut end = 0;
                    let bytes = rest.as_bytes();
                    while bytes[end] != b'"' || (end > 0 && bytes[end - 1] == b'\\') {
                        end += 1;
                    }
                    found.insert(unescape(&rest[..end]));
                }
            }
        }
    }
    found
}

/// msgid -> msgstr of the Japanese catalogue.
fn catalogue() -> Vec<(String, String)> {
    let text = std::fs::read_to_string("ui/lang/ja/LC_MESSAGES/uketsuke-views.po").unwrap();
    let mut entries = Vec::new();
    let mut id: Option<String> = None;
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("msgid \"") {
            id = Some(unescape(rest.trim_end_matches('"')));
        } else if let Some(rest) = line.strip_prefix("msgstr \"")
            && let Some(id) = id.take()
            && !id.is_empty()
        {
            entries.push((id, unescape(rest.trim_end_matches('"'))));
        }
    }
    entries
}

#[test]
fn every_view_string_has_japanese_and_nothing_is_stale() {
    let sources = source_strings();
    assert!(sources.len() > 100, "{} strings found", sources.len());
    let entries = catalogue();
    let translated: BTreeSet<String> = entries
        .iter()
        .filter(|(_, ja)| !ja.is_empty())
        .map(|(id, _)| id.clone())
        .collect();
    let missing: Vec<&String> = sources.difference(&translated).collect();
    assert!(missing.is_empty(), "no Japanese for: {missing:#?}");
    let ids: BTreeSet<String> = entries.iter().map(|(id, _)| id.clone()).collect();
    let stale: Vec<&String> = ids.difference(&sources).collect();
    assert!(
        stale.is_empty(),
        "translated but no longer used: {stale:#?}"
    );
    for (id, ja) in &entries {
        // Placeholders survive translation: the same number of {} and the same {0}, {1}.
        let holes = |s: &str| {
            let mut h: Vec<String> = s
                .match_indices('{')
                .map(|(i, _)| s[i..].chars().take_while(|c| *c != '}').collect())
                .collect();
            h.sort();
            h
        };
        assert_eq!(holes(id), holes(ja), "placeholders differ: {id} -> {ja}");
    }
}
