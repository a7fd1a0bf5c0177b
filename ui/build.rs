//! Compiles the patient views in `ui/` with their bundled translations (one folder per language
//! under `lang/`), each Japanese message's phrases joined with word joiners (`phrase_breaks.rs`)
//! so lines break between phrases only. The catalogue in `lang/` stays as written; the joined copy lives in OUT_DIR.
use std::path::{Path, PathBuf};

#[path = "phrase_breaks.rs"]
#[allow(dead_code)]
mod phrase_breaks;

/// Whether the catalogue folder `code` under `lang/` is Japanese: `ja`, and easy Japanese
/// `ja-x-easy` (src/ui/mod.rs `Language::is_japanese`). Only these are joined into phrases;
/// Chinese is Han script too, but BudouX's Japanese model has no business splitting it.
fn is_japanese_catalogue(code: &str) -> bool {
    code == "ja" || code.starts_with("ja-")
}

/// Copies the catalogues under `lang/` to `out` (`japanese` is `None` at the top, where each
/// folder is a language, then whether that language is Japanese): a Japanese one with each
/// `msgstr "…"` passed through `phrase_breaks::join_phrases` (the .po keeps every message on
/// one line; `\"`, `\\`, `\n` escapes), any other as it is.
fn join_catalogues(lang: &Path, out: &Path, japanese: Option<bool>) {
    for entry in std::fs::read_dir(lang).expect("ui/lang is readable") {
        let entry = entry.expect("ui/lang is readable");
        let path = entry.path();
        let target = out.join(entry.file_name());
        if path.is_dir() {
            std::fs::create_dir_all(&target).expect("OUT_DIR is writable");
            let japanese = japanese
                .unwrap_or_else(|| is_japanese_catalogue(&entry.file_name().to_string_lossy()));
            join_catalogues(&path, &target, Some(japanese));
        } else if japanese == Some(true) && path.extension().is_some_and(|e| e == "po") {
            let po = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
            let mut joined = String::with_capacity(po.len() * 2);
            for line in po.lines() {
                match line
                    .strip_prefix("msgstr \"")
                    .and_then(|l| l.strip_suffix('"'))
                {
                    Some(text) if !text.is_empty() => {
                        let text = text
                            .replace("\\\\", "\u{1}")
                            .replace("\\\"", "\"")
                            .replace("\\n", "\n");
                        let text = phrase_breaks::join_phrases(&text)
                            .replace('"', "\\\"")
                            .replace('\n', "\\n")
                            .replace('\u{1}', "\\\\");
                        joined.push_str(&format!("msgstr \"{text}\"\n"));
                    }
                    _ => {
                        joined.push_str(line);
                        joined.push('\n');
                    }
                }
            }
            std::fs::write(&target, joined).expect("OUT_DIR is writable");
        } else {
            std::fs::copy(&path, &target).expect("OUT_DIR is writable");
        }
    }
}

fn main() {
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR")).join("lang");
    std::fs::create_dir_all(&out).expect("OUT_DIR is writable");
    join_catalogues(Path::new("lang"), &out, None);
    // Debug info lets tests and the demo's scripted run find elements by accessible label.
    let config = slint_build::CompilerConfiguration::new()
        .with_debug_info(true)
        .with_bundled_translations(&out)
        // Messages are looked up by their English text alone, so one phrase is translated once.
        .with_default_translation_context(slint_build::DefaultTranslationContext::None);
    println!("cargo:rerun-if-changed=.");
    slint_build::compile_with_config("app.slint", config).expect("ui/app.slint compiles");
}
