//! Every factual sentence a patient reads has a source, and the list of them stays true.
//!
//! `tests/data/screen-claims.json` lists, for each patient screen of the catalogue (by sample
//! name), the `@tr` strings (msgids) on it that state a fact about the world: what a pharmacy,
//! the city office, a card or the insurance system does, counts, shares and limits. Each
//! string's claim in plain words and its source (a notice, a URL, or a section of
//! `../shared/domain.md`) are in `claims`; a string that looks factual but only says what the
//! kiosk does, or what to do next, is in `not_claims` with the reason.
//!
//! Each screen is rendered in English and Japanese and its labels are traced back to the
//! msgids (the Japanese through `ui/lang/ja/.../uketsuke-views.po`). The test fails when
//! - a listed string is not on its screen in either language (the file went stale);
//! - a string on a screen carries a factual marker ([`EN_MARKERS`], [`JA_MARKERS`], or a
//!   digit in its wording) and is not listed for that screen;
//! - a patient screen of the catalogue has no entry, or an entry names no catalogue screen;
//! - a listed string has neither a claim with a source nor a reason, or an entry is unused;
//! - a label on a screen comes from no translatable string and carries a marker.
//!
//! What it cannot catch: whether a claim is *true* (people check that against the source); a
//! fact worded without any marker; facts carried by data rather than wording (the burden
//! ratio's value comes from the eligibility result); screen variants the catalogue has no
//! sample for (e.g. a phone on the tap-again screen); staff mode's screens, which are left
//! out.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;
use uketsuke::ui::Language;
use uketsuke::ui::catalogue::every_screen;
use uketsuke::ui::render::Headless;

use crate::ui::{labels, po};

/// Words that mark a factual statement in English (matched lowercased in the msgid).
pub const EN_MARKERS: [&str; 25] = [
    "pharmac",
    "prescription",
    "share",
    "%",
    "municipal",
    "city office",
    "expire",
    "valid",
    "limit",
    "lock",
    "insurance",
    "eligib",
    "only",
    "never",
    "always",
    "any ",
    "cannot",
    "can be",
    "can still",
    "digit",
    "second",
    "minute",
    "day",
    "month",
    "registered",
];

/// The same in the Japanese translation.
pub const JA_MARKERS: [&str; 21] = [
    "薬局",
    "処方",
    "割",
    "市区町村",
    "市役所",
    "窓口",
    "期限",
    "有効",
    "限度",
    "ロック",
    "保険",
    "資格",
    "だけ",
    "どの",
    "必ず",
    "できません",
    "使えません",
    "桁",
    "秒",
    "回",
    "登録",
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ClaimsFile {
    #[serde(rename = "_what")]
    _what: String,
    claims: BTreeMap<String, Claim>,
    not_claims: BTreeMap<String, String>,
    screens: BTreeMap<String, Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Claim {
    claim: String,
    source: String,
}

/// A step's label without its number ("3. Open…" is step 3's "Open…").
fn unnumbered(label: &str) -> &str {
    match label.split_once(". ") {
        Some((n, rest)) if !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()) => rest,
        _ => label,
    }
}

/// Whether `label` is `template` with its `{}`, `{0}`.. filled in.
fn fills(template: &str, label: &str) -> bool {
    let mut pieces = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else {
            break;
        };
        pieces.push(&rest[..open]);
        rest = &rest[open + close + 1..];
    }
    pieces.push(rest);
    if pieces.len() == 1 {
        return template == label;
    }
    let (first, last) = (pieces[0], pieces[pieces.len() - 1]);
    if !label.starts_with(first) || !label.ends_with(last) || label.len() < first.len() + last.len()
    {
        return false;
    }
    let mut at = first.len();
    let end = label.len() - last.len();
    for piece in &pieces[1..pieces.len() - 1] {
        match label[at..end].find(piece) {
            Some(i) => at += i + piece.len(),
            None => return false,
        }
    }
    true
}

/// The factual markers in a msgid and its Japanese (a digit counts only in wording: a label
/// that comes from no string, like the reception number, is data).
fn markers(msgid: &str, ja: &str) -> Vec<String> {
    let mut found = word_markers(msgid, ja);
    if let Some(d) = msgid.chars().find(|c| c.is_ascii_digit()) {
        found.push(format!("the digit {d}"));
    }
    found
}

fn word_markers(msgid: &str, ja: &str) -> Vec<String> {
    let lower = msgid.to_lowercase();
    let mut found: Vec<String> = EN_MARKERS
        .iter()
        .filter(|m| lower.contains(*m))
        .map(|m| m.to_string())
        .collect();
    found.extend(
        JA_MARKERS
            .iter()
            .filter(|m| ja.contains(*m))
            .map(|m| m.to_string()),
    );
    found
}

#[test]
fn every_factual_string_on_a_patient_screen_is_listed_with_its_source() {
    let file: ClaimsFile =
        serde_json::from_str(&std::fs::read_to_string("tests/data/screen-claims.json").unwrap())
            .expect("tests/data/screen-claims.json");
    let ja: BTreeMap<String, String> = po::japanese().into_iter().collect();
    let mut problems = Vec::new();
    for (msgid, claim) in &file.claims {
        if claim.claim.trim().is_empty() || claim.source.trim().is_empty() {
            problems.push(format!("claim without its words or source: {msgid}"));
        }
        if file.not_claims.contains_key(msgid) {
            problems.push(format!("both a claim and not one: {msgid}"));
        }
    }
    let samples: Vec<_> = every_screen()
        .into_iter()
        .filter(|s| s.staff.is_none())
        .collect();
    let names: BTreeSet<&str> = samples.iter().map(|s| s.name.as_str()).collect();
    for name in file.screens.keys() {
        if !names.contains(name.as_str()) {
            problems.push(format!(
                "screens.{name}: no such patient screen in the catalogue"
            ));
        }
    }
    let mut used = BTreeSet::new();
    let mut h = Headless::new(1080, 1920).unwrap();
    let mut claims_seen = 0;
    for sample in &samples {
        let Some(listed) = file.screens.get(&sample.name) else {
            problems.push(format!("{}: not in screen-claims.json", sample.name));
            continue;
        };
        let en = labels::on_screen(&mut h, sample, Language::English);
        let jp = labels::on_screen(&mut h, sample, Language::Japanese);
        // The msgids on this screen: each English label traced to its source string.
        let mut on_screen = BTreeSet::new();
        let en: Vec<String> = en.iter().map(|l| unnumbered(l).to_owned()).collect();
        let jp: Vec<String> = jp.iter().map(|l| unnumbered(l).to_owned()).collect();
        for label in &en {
            let from: Vec<&String> = ja.keys().filter(|id| fills(id, label)).collect();
            if from.is_empty() {
                let m = word_markers(label, "");
                if !m.is_empty() {
                    problems.push(format!(
                        "{}: \"{label}\" is from no translatable string and says {m:?}",
                        sample.name
                    ));
                }
            }
            on_screen.extend(from.into_iter().cloned());
        }
        for label in &jp {
            if !ja.iter().any(|(_, t)| fills(t, label)) && !ja.keys().any(|id| fills(id, label)) {
                let m = word_markers("", label);
                if !m.is_empty() {
                    problems.push(format!(
                        "{}-ja: \"{label}\" is from no translatable string and says {m:?}",
                        sample.name
                    ));
                }
            }
        }
        for msgid in listed {
            used.insert(msgid.clone());
            if !file.claims.contains_key(msgid) && !file.not_claims.contains_key(msgid) {
                problems.push(format!(
                    "{}: \"{msgid}\" is neither a claim nor in not_claims",
                    sample.name
                ));
            }
            let Some(translation) = ja.get(msgid) else {
                problems.push(format!("{}: \"{msgid}\" is no view string", sample.name));
                continue;
            };
            if !en.iter().any(|l| fills(msgid, l)) {
                problems.push(format!(
                    "{}-en: listed \"{msgid}\" is not on the screen",
                    sample.name
                ));
            }
            if !jp.iter().any(|l| fills(translation, l)) {
                problems.push(format!(
                    "{}-ja: listed \"{translation}\" is not on the screen",
                    sample.name
                ));
            }
            claims_seen += usize::from(file.claims.contains_key(msgid));
        }
        for msgid in &on_screen {
            let m = markers(msgid, &ja[msgid]);
            if !m.is_empty() && !listed.contains(msgid) {
                problems.push(format!(
                    "{}: \"{msgid}\" ({}) says {m:?} but is not listed",
                    sample.name, ja[msgid]
                ));
            }
        }
    }
    for msgid in file.claims.keys().chain(file.not_claims.keys()) {
        if !used.contains(msgid) {
            problems.push(format!("\"{msgid}\" is on no listed screen"));
        }
    }
    println!(
        "{} screens, {} claims, {} strings judged not claims, {claims_seen} claim placements",
        samples.len(),
        file.claims.len(),
        file.not_claims.len()
    );
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn a_template_matches_only_its_own_filled_text() {
    assert!(fills("Tries left: {}", "Tries left: 3"));
    assert!(fills(
        "Your share of the medical costs: {0}% ({1})",
        "Your share of the medical costs: 30% (3割)"
    ));
    assert!(!fills("Tries left: {}", "Tries: 3"));
    assert!(fills("OK", "OK"));
    assert!(!fills("OK", "OK!"));
}
