//! Every text a patient can read in `ui/` has a translation in every language's catalogue
//! (`ui/lang/<code>/LC_MESSAGES/uketsuke-views.po`; English is the source), with the same
//! placeholders, and no catalogue holds anything the views no longer say.

use std::collections::BTreeSet;

use uketsuke::ui::Language;

use crate::ui::po;

/// The `{}`, `{0}`, `{1}` placeholders of a message, sorted.
fn holes(s: &str) -> Vec<String> {
    let mut h: Vec<String> = s
        .match_indices('{')
        .map(|(i, _)| s[i..].chars().take_while(|c| *c != '}').collect())
        .collect();
    h.sort();
    h
}

/// What is wrong with the catalogue `code` (its `entries`) against the views' `sources`.
fn problems(code: &str, entries: &[(String, String)], sources: &BTreeSet<String>) -> Vec<String> {
    let mut out = Vec::new();
    let translated: BTreeSet<String> = entries
        .iter()
        .filter(|(_, text)| !text.trim().is_empty())
        .map(|(id, _)| id.clone())
        .collect();
    for id in sources.difference(&translated) {
        out.push(format!("{code}: no translation for \"{id}\""));
    }
    let ids: BTreeSet<String> = entries.iter().map(|(id, _)| id.clone()).collect();
    for id in ids.difference(sources) {
        out.push(format!("{code}: translated but no longer used: \"{id}\""));
    }
    if ids.len() != entries.len() {
        out.push(format!("{code}: a message is translated twice"));
    }
    for (id, text) in entries {
        if !text.is_empty() && holes(id) != holes(text) {
            out.push(format!("{code}: placeholders differ: {id} -> {text}"));
        }
    }
    out
}

#[test]
fn every_view_string_has_a_translation_in_every_language_and_nothing_is_stale() {
    let sources: BTreeSet<String> = po::tr_strings().into_iter().map(|(id, _)| id).collect();
    assert!(sources.len() > 100, "{} strings found", sources.len());
    let codes = po::catalogue_codes();
    let mut problems_found = Vec::new();
    for language in Language::ALL {
        let code = language.code();
        let has = codes.iter().any(|c| c == code);
        match (language, has) {
            (Language::English, false) => {}
            (Language::English, true) => {
                problems_found.push("en is the source language: it has no catalogue".into())
            }
            (_, true) => problems_found.extend(problems(code, &po::catalogue(code), &sources)),
            (_, false) => problems_found.push(format!(
                "{code} has no catalogue: {}",
                po::catalogue_path(code).display()
            )),
        }
    }
    for code in &codes {
        if Language::parse(code).is_none() {
            problems_found.push(format!(
                "ui/lang/{code} is no language of the kiosk (src/ui/mod.rs Language)"
            ));
        }
    }
    assert!(
        problems_found.is_empty(),
        "{} problems:\n{}",
        problems_found.len(),
        problems_found.join("\n")
    );
}

/// The check sees a missing, an empty and a stale message, and a lost placeholder.
#[test]
fn the_translation_check_notices_what_it_is_for() {
    let sources: BTreeSet<String> = ["Call staff", "{} seconds left", "Cancel"]
        .into_iter()
        .map(String::from)
        .collect();
    let text = "msgid \"\"\nmsgstr \"\"\n\nmsgid \"Call staff\"\nmsgstr \"직원 호출\"\n\nmsgid \"{} seconds left\"\nmsgstr \"초 남음\"\n\nmsgid \"Cancel\"\nmsgstr \"\"\n\nmsgid \"Gone\"\nmsgstr \"x\"\n";
    let found = problems("ko", &po::entries(text), &sources);
    assert!(
        found
            .iter()
            .any(|p| p.contains("no translation for \"Cancel\"")),
        "{found:?}"
    );
    assert!(
        found.iter().any(|p| p.contains("no longer used: \"Gone\"")),
        "{found:?}"
    );
    assert!(
        found.iter().any(|p| p.contains("placeholders differ")),
        "{found:?}"
    );
    assert_eq!(found.len(), 3, "{found:?}");
}
