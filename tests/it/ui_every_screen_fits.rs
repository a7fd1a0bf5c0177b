//! Every screen, in Japanese and English, at every supported resolution, drawn by the software
//! renderer: nothing is squeezed or cut off, every text lies inside the screen, every button
//! is at least 15 mm, and Japanese glyphs really are drawn (a missing CJK font leaves them
//! blank without any error). A short label (a key's 「消す」 or "Erase") stays on one line,
//! and the words of a button or notice never run into its border (cut off, as "Erase" was).
//! A text that wraps lets the renderer break only between Japanese phrases (BudouX, through
//! `ui/phrase_breaks.rs`, the same phrases `ui/build.rs` joins) or English words, never inside
//! a person's name; and the word joiner that holds a phrase together is drawn as nothing.

use i_slint_backend_testing::{ElementHandle, ElementQuery};
use slint::ComponentHandle;
use uketsuke::ui::catalogue::every_screen;
use uketsuke::ui::render::{Headless, RESOLUTIONS, text_ink};
use uketsuke::ui::{Language, Theme};
use uketsuke_views::phrases::unjoined;

#[path = "../../ui/phrase_breaks.rs"]
mod phrase_breaks;
use phrase_breaks::{SHORT_LABEL, WORD_JOINER, phrases};

/// How a text was drawn, read from the frame inside its element's box: the lines (bands of rows
/// holding ink, i.e. pixels far from the box's most common colour) and, for a button's or a
/// notice's words, whether its ink runs into the border of the element around it (cut off, as
/// "Erase" was on its key).
struct Drawn {
    lines: usize,
    touches_edge: bool,
}

fn drawn(
    rgb: &[u8],
    frame_width: usize,
    pos: slint::LogicalPosition,
    size: slint::LogicalSize,
    one_line: f32,
    count_lines: bool,
    border: Option<(f32, f32)>,
) -> Drawn {
    let frame_height = rgb.len() / 3 / frame_width;
    let x0 = (pos.x.ceil().max(0.0) as usize).min(frame_width);
    let x1 = ((pos.x + size.width).floor().max(0.0) as usize).min(frame_width);
    let y0 = (pos.y.ceil().max(0.0) as usize).min(frame_height);
    let y1 = ((pos.y + size.height).floor().max(0.0) as usize).min(frame_height);
    if x1 <= x0 + 2 || y1 <= y0 + 2 {
        return Drawn {
            lines: 0,
            touches_edge: false,
        };
    }
    let px = |x: usize, y: usize| {
        let i = (y * frame_width + x) * 3;
        [rgb[i], rgb[i + 1], rgb[i + 2]]
    };
    // The box's top and bottom rows lie above and below the glyphs: their commonest colour is
    // the background.
    let mut edge: Vec<[u8; 3]> = (x0..x1).flat_map(|x| [px(x, y0), px(x, y1 - 1)]).collect();
    edge.sort_unstable();
    let background = edge
        .chunk_by(|a, b| a == b)
        .max_by_key(|run| run.len())
        .map(|run| run[0])
        .unwrap_or_default();
    let ink = |x: usize, y: usize| {
        let p = px(x, y);
        (0..3)
            .map(|i| p[i].abs_diff(background[i]))
            .max()
            .unwrap_or(0)
            > 96
    };
    let touches_edge = match border {
        // Ink just inside the surrounding element's border, on a row of this text.
        Some((left, right)) => {
            let (l, r) = (
                left.ceil().max(0.0) as usize,
                right.floor().max(0.0) as usize,
            );
            (y0..y1).any(|y| {
                (l < frame_width && ink(l, y)) || (r > 0 && r <= frame_width && ink(r - 1, y))
            })
        }
        None => false,
    };
    // A box lower than two of the smallest lines holds one line at most: no need to look.
    if !count_lines || (y1 - y0) as f32 <= 2.0 * one_line {
        return Drawn {
            lines: 1,
            touches_edge,
        };
    }
    let rows: Vec<bool> = (y0..y1).map(|y| (x0..x1).any(|x| ink(x, y))).collect();
    let mut bands: Vec<(usize, usize)> = Vec::new();
    for (i, &inked) in rows.iter().enumerate() {
        if !inked {
            continue;
        }
        match bands.last_mut() {
            Some(b) if b.1 + 1 == i => b.1 = i,
            _ => bands.push((i, i)),
        }
    }
    // A blank row or two inside one line (between the strokes of 「二」) is not a line break.
    let tallest = bands.iter().map(|b| b.1 - b.0 + 1).max().unwrap_or(0);
    let mut lines = 0;
    let mut last_end: Option<usize> = None;
    for (start, end) in bands {
        if last_end.is_none_or(|e| start - e > (tallest / 12).max(2)) {
            lines += 1;
        }
        last_end = Some(end);
    }
    Drawn {
        lines,
        touches_edge,
    }
}

/// Whether a label is part of the idle countdown, which covers the screen on purpose: the
/// notice, the seconds in large digits, the button.
fn countdown_part(label: &str) -> bool {
    let l = unjoined(label);
    l.starts_with("! ")
        || l == "Continue"
        || l == "操作を続ける"
        || l.ends_with(" seconds left")
        || (l.starts_with("あと") && l.ends_with('秒'))
}

/// The names a sample shows (staff and patients), from its staff view's `display_name` and
/// `name` fields: a name never breaks across lines.
fn names(sample: &uketsuke::ui::catalogue::Sample) -> Vec<String> {
    let debug = format!("{:?}", sample.staff);
    let mut out = Vec::new();
    for field in ["display_name: \"", " name: \""] {
        let mut rest = debug.as_str();
        while let Some(at) = rest.find(field) {
            rest = &rest[at + field.len()..];
            if let Some(end) = rest.find('"') {
                out.push(rest[..end].to_owned());
            }
        }
    }
    out
}

/// Where the renderer may break `shown` (UAX #14 as icu_segmenter reads it, parley's own
/// rules) that a reader does not expect, as (before, after) pairs. Positions count characters
/// of the text without word joiners. Expected: after white space; in Japanese between BudouX
/// phrases; in English anywhere but inside a word; never inside a name.
fn unexpected_breaks(shown: &str, language: Language, names: &[String]) -> Vec<(String, String)> {
    let plain: Vec<char> = unjoined(shown).chars().collect();
    let mut expected = vec![false; plain.len() + 1];
    for (i, c) in plain.iter().enumerate() {
        if c.is_whitespace() {
            expected[i + 1] = true;
        }
    }
    match language {
        Language::Japanese => {
            let mut at = 0;
            for phrase in phrases(shown) {
                at += phrase.chars().count();
                expected[at.min(plain.len())] = true;
            }
        }
        Language::English => {
            for i in 1..plain.len() {
                let word = |c: char| c.is_ascii_alphanumeric() || c == '\'';
                if !(word(plain[i - 1]) && word(plain[i])) {
                    expected[i] = true;
                }
            }
        }
    }
    for name in names {
        let name: Vec<char> = name.chars().collect();
        if name.len() < 2 || name.len() > plain.len() {
            continue;
        }
        for start in 0..=plain.len() - name.len() {
            if plain[start..start + name.len()] == name[..] {
                for e in &mut expected[start + 1..start + name.len()] {
                    *e = false;
                }
            }
        }
    }
    let segmenter = icu_segmenter::LineSegmenter::new_for_non_complex_scripts(Default::default());
    let mut out = Vec::new();
    for offset in segmenter.segment_str(shown) {
        if offset == 0 || offset >= shown.len() {
            continue;
        }
        let at = shown[..offset]
            .chars()
            .filter(|&c| c != WORD_JOINER)
            .count();
        if at > 0 && at < plain.len() && !expected[at] {
            out.push((
                plain[at.saturating_sub(4)..at].iter().collect(),
                plain[at..(at + 4).min(plain.len())].iter().collect(),
            ));
        }
    }
    out
}

/// The word joiner that holds a phrase or a name together draws nothing: the staff PIN screen
/// with its staff member's name joined (as shown) and unjoined gives the same pixels (a
/// missing glyph would draw a box).
#[test]
fn a_word_joiner_is_drawn_as_nothing() {
    let sample = every_screen()
        .into_iter()
        .find(|s| s.name == "staff-pin")
        .expect("the staff-pin sample");
    let mut h = Headless::new(1280, 800).unwrap();
    h.show(&sample, Language::Japanese);
    h.render();
    let joined = h
        .app
        .global::<uketsuke::ui::Kiosk>()
        .get_staff_who()
        .to_string();
    assert!(
        joined.contains(WORD_JOINER),
        "the name is joined: {joined:?}"
    );
    let with = h.pixels().as_bytes().to_vec();
    h.app
        .global::<uketsuke::ui::Kiosk>()
        .set_staff_who(unjoined(&joined).into());
    h.render();
    let without = h.pixels().as_bytes().to_vec();
    // The name is drawn at all: another name changes the pixels.
    h.app
        .global::<uketsuke::ui::Kiosk>()
        .set_staff_who("山田 一郎".into());
    h.render();
    assert_ne!(h.pixels().as_bytes(), &with[..], "the name is on screen");
    let differ = with.iter().zip(&without).filter(|(a, b)| a != b).count();
    println!("{differ} bytes differ between {joined:?} and its unjoined text");
    assert_eq!(differ, 0, "a word joiner drew something");
}

fn label(e: &ElementHandle) -> String {
    e.accessible_label()
        .map(|l| l.to_string())
        .unwrap_or_else(|| format!("<{}>", e.type_name().unwrap_or_default()))
}

#[test]
fn every_screen_fits_in_both_languages_at_every_resolution() {
    let samples = every_screen();
    assert!(samples.len() >= 35, "{} screens", samples.len());
    assert!(
        samples.iter().filter(|s| s.staff.is_some()).count() >= 6,
        "staff mode's screens are checked too"
    );
    let (w0, h0) = RESOLUTIONS[0];
    let mut h = Headless::new(w0, h0).unwrap();
    let mut problems = Vec::new();
    let mut checked = 0;
    for (width, height) in RESOLUTIONS {
        h.resize(width, height);
        for sample in &samples {
            let mut ink_by_language = Vec::new();
            for language in Language::ALL {
                h.show(sample, language);
                h.render();
                checked += 1;
                let name = format!("{}-{}-{width}x{height}", sample.name, language.code());
                let (fits, sizes) = h.fits();
                if !fits {
                    problems.push(format!(
                        "{name}: content needs {:.0}x{:.0}, screen is {:.0}x{:.0}",
                        sizes[0], sizes[1], sizes[2], sizes[3]
                    ));
                }
                let touch = h.app.global::<Theme>().get_touch();
                let body = h.app.global::<Theme>().get_body();
                if width == 1080 && body < 32.0 {
                    problems.push(format!("{name}: body text {body} px < 32 px"));
                }
                // Under staff mode only its overlay is shown (the patient's screen beneath is
                // hidden, but still in the element tree).
                let everything = if sample.staff.is_some() {
                    ElementHandle::find_by_element_type_name(&h.app, "StaffOverlay")
                        .next()
                        .expect("the staff overlay")
                        .query_descendants()
                        .match_descendants()
                        .find_all()
                } else {
                    ElementQuery::from_root(&h.app)
                        .match_descendants()
                        .find_all()
                };
                // Nothing a patient reads or touches lies over anything else: a layout that
                // ran out of room shows as overlapping boxes.
                let labelled: Vec<_> = everything
                    .iter()
                    .filter(|e| e.accessible_label().is_some_and(|l| !l.is_empty()))
                    .filter(|e| e.size().width > 0.0 && e.size().height > 0.0)
                    .map(|e| (label(e), e.absolute_position(), e.size()))
                    .collect();
                // The query can visit an element more than once.
                let mut unique: Vec<(String, slint::LogicalPosition, slint::LogicalSize)> =
                    Vec::new();
                for item in labelled {
                    if !unique.contains(&item) {
                        unique.push(item);
                    }
                }
                let labelled = unique;
                // Line breaks: each text element, with the words it shows (its own label, or
                // the label of the smallest labelled element around it: a button's or a
                // notice's words), as drawn in this frame.
                let frame_width = h.pixels().width() as usize;
                let names = names(sample);
                // The smallest text is Theme.small; a line is at least 1.2 times its size.
                let one_line = 1.2 * h.app.global::<Theme>().get_small();
                let line = h.app.global::<Theme>().get_line();
                // The query can visit an element more than once.
                let mut seen = std::collections::HashSet::new();
                for t in &everything {
                    let is_text = t.type_name().is_some_and(|n| n == "Text")
                        || t.bases().is_some_and(|mut b| b.any(|n| n == "Text"));
                    let (pos, size) = (t.absolute_position(), t.size());
                    if !is_text || size.width <= 0.0 || size.height <= 0.0 {
                        continue;
                    }
                    // The box just inside the border of the element whose words these are.
                    let mut border = None;
                    let shown = match t.accessible_label().filter(|l| !l.is_empty()) {
                        Some(l) => l.to_string(),
                        None => match labelled
                            .iter()
                            .filter(|(_, p, s)| {
                                p.x <= pos.x + 0.5
                                    && p.y <= pos.y + 0.5
                                    && p.x + s.width + 0.5 >= pos.x + size.width
                                    && p.y + s.height + 0.5 >= pos.y + size.height
                            })
                            .min_by(|a, b| {
                                (a.2.width * a.2.height).total_cmp(&(b.2.width * b.2.height))
                            }) {
                            Some((l, p, s)) => {
                                border = Some((p.x + line + 1.0, p.x + s.width - line - 1.0));
                                l.clone()
                            }
                            None => continue,
                        },
                    };
                    if !seen.insert((
                        shown.clone(),
                        pos.x as i32,
                        pos.y as i32,
                        size.width as i32,
                        size.height as i32,
                    )) {
                        continue;
                    }
                    let shown = shown.strip_prefix("! ").unwrap_or(&shown).to_owned();
                    if sample.countdown.is_some()
                        && !countdown_part(&shown)
                        && !labelled
                            .iter()
                            .any(|(l, _, _)| l.strip_prefix("! ") == Some(&shown))
                    {
                        continue;
                    }
                    let plain = unjoined(&shown).replace('\n', " / ");
                    let visible = unjoined(&shown)
                        .chars()
                        .filter(|c| !c.is_whitespace())
                        .count();
                    let short = visible <= SHORT_LABEL;
                    let breaks = unexpected_breaks(&shown, language, &names);
                    // Lines are counted (the slow part) only where a wrap would be wrong.
                    let d = drawn(
                        h.pixels().as_bytes(),
                        frame_width,
                        pos,
                        size,
                        one_line,
                        short || !breaks.is_empty(),
                        border,
                    );
                    if d.touches_edge {
                        problems.push(format!(
                            "{name}: \"{plain}\" runs into the border of its {:.0} px box: cut off, or a word too wide for it",
                            size.width
                        ));
                    }
                    if short && d.lines > 1 {
                        problems.push(format!(
                            "{name}: the short label \"{plain}\" wraps onto {} lines",
                            d.lines
                        ));
                    }
                    if d.lines > 1 && !breaks.is_empty() {
                        problems.push(format!(
                            "{name}: \"{plain}\" wraps onto {} lines and may break inside a {}: {}",
                            d.lines,
                            if language == Language::Japanese {
                                "phrase or name"
                            } else {
                                "word or name"
                            },
                            breaks
                                .iter()
                                .map(|(a, b)| format!("{a}/{b}"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        ));
                    }
                }
                // The idle countdown covers the screen on purpose; only its own parts count (the
                // notice, the seconds in large digits, the button).
                let labelled: Vec<_> = if sample.countdown.is_some() {
                    labelled
                        .into_iter()
                        .filter(|(l, _, _)| countdown_part(l))
                        .collect()
                } else {
                    labelled
                };
                for (i, (a, pa, sa)) in labelled.iter().enumerate() {
                    for (b, pb, sb) in &labelled[i + 1..] {
                        let apart = pa.x + sa.width <= pb.x + 0.5
                            || pb.x + sb.width <= pa.x + 0.5
                            || pa.y + sa.height <= pb.y + 0.5
                            || pb.y + sb.height <= pa.y + 0.5;
                        if !apart {
                            problems.push(format!("{name}: \"{a}\" overlaps \"{b}\""));
                        }
                    }
                }
                for e in &everything {
                    let (pos, size) = (e.absolute_position(), e.size());
                    if size.width <= 0.0 || size.height <= 0.0 {
                        continue;
                    }
                    let inside = pos.x >= -0.5
                        && pos.y >= -0.5
                        && pos.x + size.width <= width as f32 + 0.5
                        && pos.y + size.height <= height as f32 + 0.5;
                    if !inside {
                        problems.push(format!(
                            "{name}: \"{}\" at {:.0},{:.0} size {:.0}x{:.0} leaves the screen",
                            label(e),
                            pos.x,
                            pos.y,
                            size.width,
                            size.height
                        ));
                    }
                    if e.accessible_role() == Some(i_slint_backend_testing::AccessibleRole::Button)
                        && (size.height + 0.5 < touch || size.width + 0.5 < touch)
                    {
                        problems.push(format!(
                            "{name}: button \"{}\" is {:.0}x{:.0}, under 15 mm ({touch:.0} px)",
                            label(e),
                            size.width,
                            size.height
                        ));
                    }
                    let role = e.accessible_role();
                    if role == Some(i_slint_backend_testing::AccessibleRole::Button)
                        && e.accessible_label().is_none_or(|l| l.is_empty())
                    {
                        problems.push(format!("{name}: a button without an accessible label"));
                    }
                }
                // The staff panel lists the newest three waiting checks and counts the rest.
                if sample.name == "staff-panel" && language == Language::English {
                    let labels: Vec<String> = everything.iter().map(label).collect();
                    // A button's label is on several of its elements: count each once.
                    let mut confirms: Vec<&String> = Vec::new();
                    for l in labels
                        .iter()
                        .filter(|l| l.starts_with("Photo matches: confirm No."))
                    {
                        if !confirms.contains(&l) {
                            confirms.push(l);
                        }
                    }
                    if confirms
                        != [
                            "Photo matches: confirm No. 43",
                            "Photo matches: confirm No. 41",
                            "Photo matches: confirm No. 38",
                        ]
                        || !labels
                            .iter()
                            .any(|l| l == "2 more waiting, listed on the staff console.")
                    {
                        problems.push(format!("{name}: the panel's rows are {confirms:?}"));
                    }
                }
                ink_by_language.push(text_ink(h.pixels().as_bytes()));
            }
            // Japanese text is drawn: a blank CJK font would leave far less ink than English.
            let (ja, en) = (ink_by_language[0], ink_by_language[1]);
            if (ja as f64) < 0.5 * en as f64 {
                problems.push(format!(
                    "{}-{width}x{height}: Japanese draws {ja} dark pixels against English {en}: is a CJK font (fonts-noto-cjk) installed?",
                    sample.name
                ));
            }
        }
    }
    println!("{checked} screens checked");
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}
