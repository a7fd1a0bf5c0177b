//! Every text a patient can read in `ui/` has a Japanese translation, and the catalogue holds
//! nothing the views no longer say.

use std::collections::BTreeSet;

use crate::ui::po;

#[test]
fn every_view_string_has_japanese_and_nothing_is_stale() {
    let sources: BTreeSet<String> = po::tr_strings().into_iter().map(|(id, _)| id).collect();
    assert!(sources.len() > 100, "{} strings found", sources.len());
    let entries = po::japanese();
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
