//! The views' translatable strings, read from their sources: every `@tr("...")` msgid of
//! `ui/**/*.slint` and the catalogues `ui/lang/<code>/LC_MESSAGES/uketsuke-views.po` (one
//! `msgid "..."` / `msgstr "..."` line each, as the catalogues are kept). Paths are relative to
//! the crate root, where `cargo test` runs.

use std::path::PathBuf;

/// The Japanese catalogue the views are built from.
pub const JAPANESE_PO: &str = "ui/lang/ja/LC_MESSAGES/uketsuke-views.po";

/// A quoted string's text: `\"` and `\\` undone.
pub fn unescape(s: &str) -> String {
    s.replace("\\\"", "\"").replace("\\\\", "\\")
}

/// The first string argument of every `@tr(...)` in the views, each with the file it is in.
pub fn tr_strings() -> Vec<(String, PathBuf)> {
    let mut found = Vec::new();
    let mut stack = vec![PathBuf::from("ui")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "slint") {
                let text = std::fs::read_to_string(&path).unwrap();
                for (i, _) in text.match_indices("@tr(\"") {
                    let rest = &text[i + 5..];
                    let bytes = rest.as_bytes();
                    let mut end = 0;
                    while bytes[end] != b'"' || (end > 0 && bytes[end - 1] == b'\\') {
                        end += 1;
                    }
                    found.push((unescape(&rest[..end]), path.clone()));
                }
            }
        }
    }
    found
}

/// msgid -> msgstr of the Japanese catalogue, in file order (the header's empty msgid left out).
pub fn japanese() -> Vec<(String, String)> {
    entries(&std::fs::read_to_string(JAPANESE_PO).unwrap())
}

/// The catalogue of the language `code` (`ui/lang/<code>/LC_MESSAGES/uketsuke-views.po`).
pub fn catalogue_path(code: &str) -> PathBuf {
    PathBuf::from(format!("ui/lang/{code}/LC_MESSAGES/uketsuke-views.po"))
}

/// The language folders under `ui/lang/`, sorted.
pub fn catalogue_codes() -> Vec<String> {
    let mut codes: Vec<String> = std::fs::read_dir("ui/lang")
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    codes.sort();
    codes
}

/// msgid -> msgstr of the catalogue of `code`, in file order (header left out).
pub fn catalogue(code: &str) -> Vec<(String, String)> {
    let path = catalogue_path(code);
    entries(
        &std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display())),
    )
}

/// msgid -> msgstr of a catalogue's text, in file order (header left out).
pub fn entries(text: &str) -> Vec<(String, String)> {
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
