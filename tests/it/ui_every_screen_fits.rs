//! Every screen, in every language, at every supported resolution, drawn by the software
//! renderer: nothing is squeezed or cut off, every text lies inside the screen, every button
//! is at least 15 mm, and Japanese glyphs really are drawn (a missing CJK font leaves them
//! blank without any error). A short label (a key's 「消す」 or "Erase") stays on one line,
//! and the words of a button or notice never run into its border (cut off, as "Erase" was).
//! A text that wraps lets the renderer break only between Japanese phrases (BudouX, through
//! `ui/phrase_breaks.rs`, the same phrases `ui/build.rs` joins) or English words, never inside
//! a person's name; and the word joiner that holds a phrase together is drawn as nothing.
//!
//! Two type sizes (issue 18 item 3): every screen in all nine languages at normal size, and
//! every screen at every resolution in large type and high contrast (`Theme.large`, the
//! patient's "Larger text" button) in [`LARGE_LANGUAGES`]: Japanese, English and Portuguese
//! (Brazil), the longest Latin-script catalogue, not all nine, to keep CI's time down (the
//! large pass adds a third to the sweep). Large-type frames are named SCREEN-LANG-WxH-large.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use i_slint_backend_testing::{ElementHandle, ElementQuery};
use slint::ComponentHandle;
use uketsuke::ui::catalogue::{Sample, every_screen};
use uketsuke::ui::render::{Headless, RESOLUTIONS, text_ink};
use uketsuke::ui::{Language, Theme};
use uketsuke_frame::drawn;
use uketsuke_views::phrases::unjoined;

#[path = "../../ui/phrase_breaks.rs"]
mod phrase_breaks;
use phrase_breaks::{SHORT_LABEL, WORD_JOINER, is_japanese, phrases};

/// Korean script (jamo, compatibility jamo, syllables): breakable between any two characters.
fn is_hangul(c: char) -> bool {
    matches!(c, '\u{1100}'..='\u{11ff}' | '\u{3130}'..='\u{318f}' | '\u{ac00}'..='\u{d7af}')
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
/// phrases; in other languages anywhere but inside a word; never inside a name.
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
        // Languages written with spaces between words (Chinese and Korean may break between
        // any two of their characters, as browsers do).
        _ => {
            for i in 1..plain.len() {
                let word = |c: char| {
                    (c.is_alphanumeric() && !is_japanese(c) && !is_hangul(c)) || c == '\''
                };
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

/// Where the sweep's time goes, summed over its threads.
#[derive(Default)]
struct Timings {
    /// Setting the views' properties (present) and the language.
    show: Duration,
    /// The software renderer drawing the frame (and laying it out).
    render: Duration,
    /// Layout geometry: the fit, the element tree, overlaps, bounds, button sizes.
    layout: Duration,
    /// Each text's pixels: its border and, where a wrap would be wrong, its lines.
    text: Duration,
    /// The frame's dark pixels, for the blank-glyph comparison.
    ink: Duration,
    frames: usize,
}

impl Timings {
    fn add(&mut self, o: &Timings) {
        self.show += o.show;
        self.render += o.render;
        self.layout += o.layout;
        self.text += o.text;
        self.ink += o.ink;
        self.frames += o.frames;
    }
}

/// Where the renderer may break a text no reader expects, once per text, language and names.
type BreakMemo = HashMap<(String, &'static str, String), Vec<(String, String)>>;

/// An element's place on the screen: x, y, width, height (logical px).
type Rect = (f32, f32, f32, f32);

fn rect(e: &ElementHandle) -> Rect {
    let (p, s) = (e.absolute_position(), e.size());
    (p.x, p.y, s.width, s.height)
}

/// Whether `a` lies inside `b` (half a pixel of slack).
fn within(a: Rect, b: Rect) -> bool {
    a.0 >= b.0 - 0.5
        && a.1 >= b.1 - 0.5
        && a.0 + a.2 <= b.0 + b.2 + 0.5
        && a.1 + a.3 <= b.1 + b.3 + 0.5
}

/// `a` cut to what of it lies inside `b`, if anything.
fn clip(a: Rect, b: Rect) -> Option<Rect> {
    let (x0, y0) = (a.0.max(b.0), a.1.max(b.1));
    let (x1, y1) = ((a.0 + a.2).min(b.0 + b.2), (a.1 + a.3).min(b.1 + b.3));
    (x1 > x0 + 0.5 && y1 > y0 + 0.5).then_some((x0, y0, x1 - x0, y1 - y0))
}

/// A scroll area of large type (`ScrollBody` in ui/widgets.slint) as drawn now: the part of the
/// screen it shows its words in (its Flickable), the whole column of its words (which moves as
/// it scrolls; its height is the Flickable's content height), and the strip ("More below" /
/// "Back to top") that pages through it while the words are taller than the room.
struct Scroll {
    shown: Rect,
    column: Rect,
    strip: Option<ElementHandle>,
}

/// The scroll areas of the patient's screen now.
fn scroll_areas(h: &Headless) -> Vec<Scroll> {
    ElementHandle::find_by_element_type_name(&h.app, "ScrollBody")
        .filter_map(|area| {
            let one = |id: &str| {
                area.query_descendants()
                    .match_descendants()
                    .match_id(format!("ScrollBody::{id}"))
                    .find_first()
            };
            Some(Scroll {
                shown: rect(&one("flick")?),
                column: rect(&one("words")?),
                strip: one("strip"),
            })
        })
        .collect()
}

/// Every element of the patient's screen (as `check_frame` lists them): its type, id and label,
/// and its place.
fn every_rect(h: &Headless) -> Vec<(String, Rect)> {
    ElementQuery::from_root(&h.app)
        .match_descendants()
        .find_all()
        .iter()
        .map(|e| {
            (
                format!(
                    "{:?} {:?} {:?}",
                    e.type_name(),
                    e.id(),
                    e.accessible_label()
                ),
                rect(e),
            )
        })
        .collect()
}

/// An element as `scrolled_elements` names it: its type, id, label and size, and its place
/// relative to the top of the column it may lie in (the same on every page).
fn in_column(what: &str, r: Rect, column: Rect) -> String {
    format!(
        "{what} {:.0},{:.0} {:.0}x{:.0}",
        r.0,
        r.1 - column.1,
        r.2,
        r.3
    )
}

/// The elements that lie in the column of the scroll area that scrolls (named by `in_column`):
/// those that move as its strip shows page after page, in the column and not in the strip. The
/// element query skips what is scrolled wholly out of view (Slint's testing backend visits only
/// visible items), so each page adds what came into view or left it. The area is back at the
/// top after.
fn scrolled_elements(h: &Headless, problems: &mut Vec<String>, name: &str) -> HashSet<String> {
    let Some(mut area) = scroll_areas(h).into_iter().find(|s| s.strip.is_some()) else {
        return HashSet::new();
    };
    let strip = area.strip.clone().expect("a strip");
    let strip_at = rect(&strip);
    let mut before = every_rect(h);
    let mut moved = HashSet::new();
    for _ in 0..30 {
        let end_in_view = area.column.1 + area.column.3 <= area.shown.1 + area.shown.3 + 0.5;
        strip.invoke_accessible_default_action();
        let Some(next) = scroll_areas(h).into_iter().find(|s| s.shown == area.shown) else {
            break;
        };
        let after = every_rect(h);
        let keys = |all: &[(String, Rect)]| -> HashSet<String> {
            all.iter()
                .map(|(what, r)| format!("{what} {r:?}"))
                .collect()
        };
        let (had, has) = (keys(&before), keys(&after));
        // (Only what lies in the column: anything else that changed is not the scroll area's.)
        let mut changed = |all: &[(String, Rect)], other: &HashSet<String>, at: &Scroll| {
            let column = (at.shown.0, at.column.1, at.shown.2, at.column.3);
            for (what, r) in all {
                if !other.contains(&format!("{what} {r:?}"))
                    && within(*r, column)
                    && !within(*r, strip_at)
                {
                    moved.insert(in_column(what, *r, at.column));
                }
            }
        };
        changed(&before, &has, &area);
        changed(&after, &had, &next);
        if end_in_view {
            break;
        }
        before = after;
        area = next;
    }
    if scroll_areas(h)
        .iter()
        .any(|s| (s.column.1 - s.shown.1).abs() > 0.5)
    {
        problems.push(format!(
            "{name}: \"Back to top\" does not show the first page again"
        ));
    }
    moved
}

/// What the scroll areas of a frame hold: every text in them (by its words and its place in the
/// column) and those seen whole in the page drawn.
#[derive(Default)]
struct ScrollSeen {
    texts: std::collections::HashSet<String>,
    whole: std::collections::HashSet<String>,
    /// Each text's height and the parts of it in view on this page (from its top, px).
    parts: std::collections::HashMap<String, (f32, Vec<(f32, f32)>)>,
}

/// Whether the pages in view of a text taller than its scroll area show each of its lines whole
/// on some page: together they reach from its top to its bottom, and each page's part overlaps
/// the next one's by at least `line` px (a line cut at one page's edge is whole on the other).
fn lines_seen_whole(height: f32, parts: &[(f32, f32)], line: f32) -> bool {
    let mut parts = parts.to_vec();
    parts.sort_by(|a, b| a.0.total_cmp(&b.0));
    let Some(first) = parts.first() else {
        return false;
    };
    let mut reach = first.1;
    if first.0 > 0.5 {
        return false;
    }
    for &(top, bottom) in &parts[1..] {
        if bottom <= reach {
            continue;
        }
        if top > reach - line {
            return false;
        }
        reach = bottom;
    }
    reach >= height - 0.5
}

/// Checks the frame `h` last drew (`sample` in `language`, at
/// `width`x`height`), pushing each problem found.
#[allow(clippy::too_many_arguments)]
fn check_frame(
    h: &Headless,
    sample: &Sample,
    language: Language,
    (width, height): (u32, u32),
    large: bool,
    memo: &mut BreakMemo,
    t: &mut Timings,
    problems: &mut Vec<String>,
    scrolled: &HashSet<String>,
) -> ScrollSeen {
    let clock = Instant::now();
    let name = format!(
        "{}-{}-{width}x{height}{}",
        sample.name,
        language.code(),
        if large { "-large" } else { "" }
    );
    let (fits, sizes) = h.fits();
    // Content wider or taller than the screen widens the window to hold it: that is not
    // fitting either.
    if !fits || sizes[2] > width as f32 + 0.5 || sizes[3] > height as f32 + 0.5 {
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
    // Large type is about 1.5 times the normal 36 px: at least 1.4 times (staff mode, for
    // the clinic's staff, stays at normal size over a large patient screen).
    if large && sample.staff.is_none() && width == 1080 && body < 1.4 * 36.0 {
        problems.push(format!("{name}: large body text {body} px < 1.4 x 36 px"));
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
    // Large type's scroll areas: what lies in one need not be on the screen at once, but the
    // area itself must be (checked below with everything else), its column no wider than it,
    // and the column as tall as its words (the Flickable's content height reaches all of them).
    let scrolls = if sample.staff.is_some() {
        Vec::new()
    } else {
        scroll_areas(h)
    };
    // The area whose column holds the element at this index, if any.
    let paged = scrolls.iter().find(|s| s.strip.is_some());
    let in_scroll = |i: usize| {
        let s = paged?;
        let e = &everything[i];
        let what = format!(
            "{:?} {:?} {:?}",
            e.type_name(),
            e.id(),
            e.accessible_label()
        );
        let r = rect(e);
        // (The column itself and the Flickable's viewport, the same box, lie in it too.)
        let column = (r.0 - s.column.0).abs() < 0.5
            && (r.1 - s.column.1).abs() < 0.5
            && (r.2 - s.column.2).abs() < 0.5
            && (r.3 - s.column.3).abs() < 0.5;
        (column || scrolled.contains(&in_column(&what, r, s.column))).then_some(s)
    };
    for s in &scrolls {
        if s.column.2 > s.shown.2 + 0.5 {
            problems.push(format!(
                "{name}: a scroll area's words are {:.0} px wide in {:.0} px",
                s.column.2, s.shown.2
            ));
        }
    }
    for (i, e) in everything.iter().enumerate() {
        if let Some(s) = in_scroll(i) {
            let r = rect(e);
            if r.2 > 0.0 && r.3 > 0.0 && !within(r, (s.shown.0, s.column.1, s.shown.2, s.column.3))
            {
                problems.push(format!(
                    "{name}: \"{}\" at {:.0},{:.0} size {:.0}x{:.0} lies outside its scroll area's words ({:.0} px tall): it cannot be scrolled to",
                    label(e),
                    r.0,
                    r.1,
                    r.2,
                    r.3,
                    s.column.3
                ));
            }
        }
    }
    // A button's or a notice's words lie inside it: a layout squeezed below the words' own size
    // (a phrase that cannot break, wider than its button) leaves them sticking out, cut off by
    // its border or drawn over what is beside it.
    let mut squeezed = HashSet::new();
    for e in everything.iter().filter(|e| {
        e.accessible_label().is_some_and(|l| !l.is_empty())
            && e.size().width > 0.0
            && e.size().height > 0.0
    }) {
        let outer = rect(e);
        for t in e.query_descendants().match_descendants().find_all() {
            let is_text = t.type_name().is_some_and(|n| n == "Text")
                || t.bases().is_some_and(|mut b| b.any(|n| n == "Text"));
            let inner = rect(&t);
            if is_text
                && inner.2 > 0.0
                && inner.3 > 0.0
                && !within(inner, outer)
                && squeezed.insert(label(e))
            {
                problems.push(format!(
                    "{name}: the words of \"{}\" ({:.0}x{:.0}) stick out of it ({:.0}x{:.0}): squeezed below their own size",
                    label(e),
                    inner.2,
                    inner.3,
                    outer.2,
                    outer.3
                ));
            }
        }
    }
    // Nothing a patient reads or touches lies over anything else: a layout that
    // ran out of room shows as overlapping boxes. (What lies in a scroll area counts as the
    // part of it in view.)
    let labelled: Vec<_> = everything
        .iter()
        .enumerate()
        .filter(|(_, e)| e.accessible_label().is_some_and(|l| !l.is_empty()))
        .filter(|(_, e)| e.size().width > 0.0 && e.size().height > 0.0)
        .filter_map(|(i, e)| {
            let r = match in_scroll(i) {
                Some(s) => clip(rect(e), s.shown)?,
                None => rect(e),
            };
            Some((
                label(e),
                slint::LogicalPosition::new(r.0, r.1),
                slint::LogicalSize::new(r.2, r.3),
            ))
        })
        .collect();
    // The query can visit an element more than once.
    let mut unique: Vec<(String, slint::LogicalPosition, slint::LogicalSize)> = Vec::new();
    for item in labelled {
        if !unique.contains(&item) {
            unique.push(item);
        }
    }
    let labelled = unique;
    // Line breaks: each text element, with the words it shows (its own label, or
    // the label of the smallest labelled element around it: a button's or a
    // notice's words), as drawn in this frame.
    t.layout += clock.elapsed();
    let clock = Instant::now();
    let frame_width = h.pixels().width() as usize;
    let names = names(sample);
    // The smallest text is Theme.small; a line is at least 1.2 times its size.
    let one_line = 1.2 * h.app.global::<Theme>().get_small();
    let line = h.app.global::<Theme>().get_line();
    // The query can visit an element more than once.
    let mut seen = std::collections::HashSet::new();
    let mut scroll_seen = ScrollSeen::default();
    for (i, e) in everything.iter().enumerate() {
        let is_text = e.type_name().is_some_and(|n| n == "Text")
            || e.bases().is_some_and(|mut b| b.any(|n| n == "Text"));
        let (pos, size) = (e.absolute_position(), e.size());
        if !is_text || size.width <= 0.0 || size.height <= 0.0 {
            continue;
        }
        // A text in a scroll area is checked in the page that shows it whole.
        if let Some(s) = in_scroll(i) {
            let at = format!(
                "{:?} at {:.0},{:.0} in the column",
                e.accessible_label(),
                pos.x - s.column.0,
                pos.y - s.column.1
            );
            scroll_seen.texts.insert(at.clone());
            let r = rect(e);
            let (top, bottom) = (r.1.max(s.shown.1), (r.1 + r.3).min(s.shown.1 + s.shown.3));
            if bottom > top {
                let part = scroll_seen.parts.entry(at.clone()).or_default();
                part.0 = r.3;
                part.1.push((top - r.1, bottom - r.1));
            }
            if !within(rect(e), s.shown) {
                continue;
            }
            scroll_seen.whole.insert(at);
        }
        // The box just inside the border of the element whose words these are.
        let mut border = None;
        let shown = match e.accessible_label().filter(|l| !l.is_empty()) {
            Some(l) => l.to_string(),
            None => match labelled
                .iter()
                .filter(|(_, p, s)| {
                    p.x <= pos.x + 0.5
                        && p.y <= pos.y + 0.5
                        && p.x + s.width + 0.5 >= pos.x + size.width
                        && p.y + s.height + 0.5 >= pos.y + size.height
                })
                .min_by(|a, b| (a.2.width * a.2.height).total_cmp(&(b.2.width * b.2.height)))
            {
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
        let breaks = memo
            .entry((shown.clone(), language.code(), names.join("\n")))
            .or_insert_with(|| unexpected_breaks(&shown, language, &names))
            .clone();
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
    t.text += clock.elapsed();
    let clock = Instant::now();
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
    for (i, e) in everything.iter().enumerate() {
        let (pos, size) = (e.absolute_position(), e.size());
        if size.width <= 0.0 || size.height <= 0.0 {
            continue;
        }
        // (In a scroll area: checked against its column above; the area itself is here.)
        if in_scroll(i).is_some() {
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
    t.layout += clock.elapsed();
    scroll_seen
}

/// The languages the large-type pass covers (see the module's doc).
const LARGE_LANGUAGES: [Language; 3] = [
    Language::Japanese,
    Language::English,
    Language::BrazilianPortuguese,
];

/// Large-type frames that do not fit yet: none (issue 18 item 3). A frame listed here has its
/// problems set aside (counted in the output, and printed with --nocapture), and a listed frame
/// that fits fails the test, so the list only shrinks; it is kept for a screen to come. In large
/// type the text-heavy screens' words scroll (`ScrollBody`, its buttons pinned below, a "More
/// below" strip that pages, the last two body sizes of a page shown again on the next), and a
/// text taller than its scroll area counts as read when each of its lines is whole on some page.
const LARGE_NOT_YET_FITTING: &[(&str, &str)] = &[];

/// One pass of the sweep: every screen in one language at every resolution, at one type size.
#[derive(Clone, Copy)]
struct Pass {
    language: Language,
    large: bool,
}

/// Each frame's dark pixels by (screen, resolution, large type), per language.
type Inks = HashMap<(String, u32, u32, bool), Vec<(Language, usize)>>;

/// What one thread found: problems, each frame's dark pixels by (screen, resolution,
/// language), and its timings.
type Found = (Vec<String>, Inks, Timings);

/// Takes passes from `passes` (the next index in `next`) until none is left, in a window of this
/// thread's own (Slint's platform is per thread).
fn sweep(passes: &[Pass], next: &AtomicUsize) -> Found {
    let samples = screens_to_sweep();
    let (w0, h0) = RESOLUTIONS[0];
    let mut h = Headless::new(w0, h0).unwrap();
    // Every screen with the "Larger text" button (a facility's `large_type`): the widest top bar.
    h.offer_large_type(true);
    let mut problems = Vec::new();
    let mut inks = Inks::new();
    let mut t = Timings::default();
    let mut memo = BreakMemo::new();
    while let Some(&Pass { language, large }) = passes.get(next.fetch_add(1, Ordering::SeqCst)) {
        h.set_large(large);
        for (width, height) in RESOLUTIONS {
            h.resize(width, height);
            for sample in &samples {
                let clock = Instant::now();
                h.show(sample, language);
                t.show += clock.elapsed();
                let clock = Instant::now();
                h.render();
                t.render += clock.elapsed();
                t.frames += 1;
                let name = format!(
                    "{}-{}-{width}x{height}{}",
                    sample.name,
                    language.code(),
                    if large { "-large" } else { "" }
                );
                let scrolled = if sample.staff.is_none() {
                    scrolled_elements(&h, &mut problems, &name)
                } else {
                    HashSet::new()
                };
                let mut seen = check_frame(
                    &h,
                    sample,
                    language,
                    (width, height),
                    large,
                    &mut memo,
                    &mut t,
                    &mut problems,
                    &scrolled,
                );
                // Words taller than their scroll area: page through them with its strip, as a
                // patient does, checking each page, then back to the top with it.
                let mut whole = std::mem::take(&mut seen.whole);
                let mut parts = std::mem::take(&mut seen.parts);
                let mut paged = false;
                for page in 1.. {
                    let scrolls = if sample.staff.is_some() {
                        Vec::new()
                    } else {
                        scroll_areas(&h)
                    };
                    let Some((s, strip)) = scrolls
                        .iter()
                        .find_map(|s| s.strip.as_ref().map(|strip| (s, strip)))
                    else {
                        break;
                    };
                    let end_in_view = s.column.1 + s.column.3 <= s.shown.1 + s.shown.3 + 0.5;
                    strip.invoke_accessible_default_action();
                    h.render();
                    paged = true;
                    let after = scroll_areas(&h);
                    let moved_to = after
                        .iter()
                        .find(|a| a.shown == s.shown)
                        .map(|a| a.column.1);
                    if end_in_view {
                        if moved_to.is_none_or(|y| (y - s.shown.1).abs() > 0.5) {
                            problems.push(format!(
                                "{name}: \"{}\" at the end of a scroll area does not go back to the top",
                                label(strip)
                            ));
                        }
                        break;
                    }
                    if moved_to.is_none_or(|y| y >= s.column.1 - 0.5) || page > 20 {
                        problems.push(format!(
                            "{name}: \"{}\" does not show the next page of a scroll area (page {page})",
                            label(strip)
                        ));
                        break;
                    }
                    let more = check_frame(
                        &h,
                        sample,
                        language,
                        (width, height),
                        large,
                        &mut memo,
                        &mut t,
                        &mut problems,
                        &scrolled,
                    );
                    whole.extend(more.whole);
                    for (at, (height, more_parts)) in more.parts {
                        let part = parts.entry(at).or_default();
                        part.0 = height;
                        part.1.extend(more_parts);
                    }
                    // To look at the pages: UKETSUKE_FIT_PAGES=folder.
                    if let Some(dir) = std::env::var_os("UKETSUKE_FIT_PAGES") {
                        let _ = h.save_png(
                            &std::path::Path::new(&dir).join(format!("{name}-page{page}.png")),
                        );
                    }
                }
                if paged {
                    // The top page again, for the ink count below.
                    h.render();
                }
                // A text taller than the room is read a page at a time: each of its lines must be
                // whole on some page (a line is at most 1.5 times the body size in the scripts the
                // large passes draw).
                let line = 1.5 * h.app.global::<Theme>().get_body();
                let mut unseen: Vec<_> = seen
                    .texts
                    .difference(&whole)
                    .filter(|at| {
                        !parts
                            .get(*at)
                            .is_some_and(|(height, p)| lines_seen_whole(*height, p, line))
                    })
                    .collect();
                unseen.sort();
                for text in unseen {
                    problems.push(format!(
                        "{name}: {text} of a scroll area is never in view whole"
                    ));
                }
                // A frame whose content did not fit widened the window: back to the screen's
                // size, or every later frame would count as leaving the screen.
                let (_, sizes) = h.fits();
                if sizes[2] > width as f32 + 0.5 || sizes[3] > height as f32 + 0.5 {
                    h.resize(width, height);
                }
                let clock = Instant::now();
                inks.entry((sample.name.clone(), width, height, large))
                    .or_default()
                    .push((language, text_ink(h.pixels().as_bytes())));
                t.ink += clock.elapsed();
            }
        }
    }
    (problems, inks, t)
}

/// The screens the sweep draws: every one, or (to work on a few, never in CI) those named in
/// `UKETSUKE_FIT_ONLY`, comma-separated sample names (`done,pin-wrong`).
fn screens_to_sweep() -> Vec<Sample> {
    let all = every_screen();
    match std::env::var("UKETSUKE_FIT_ONLY") {
        Ok(only) if !only.is_empty() => {
            assert!(
                std::env::var_os("CI").is_none(),
                "UKETSUKE_FIT_ONLY is for working on a screen: CI sweeps every one"
            );
            let names: Vec<&str> = only.split(',').map(str::trim).collect();
            all.into_iter()
                .filter(|s| names.contains(&s.name.as_str()))
                .collect()
        }
        _ => all,
    }
}

/// Whether only the large-type passes run (`UKETSUKE_FIT_LARGE_ONLY=1`, to work on large type;
/// never in CI).
fn large_only() -> bool {
    let on = std::env::var("UKETSUKE_FIT_LARGE_ONLY").is_ok_and(|v| v == "1");
    assert!(
        !on || std::env::var_os("CI").is_none(),
        "UKETSUKE_FIT_LARGE_ONLY is for working on large type: CI sweeps every pass"
    );
    on
}

#[test]
fn a_tall_text_counts_as_read_only_when_every_line_is_whole_on_some_page() {
    // Pages overlapping by more than a line, from top to bottom.
    assert!(lines_seen_whole(
        300.0,
        &[(0.0, 120.0), (60.0, 200.0), (150.0, 300.0)],
        50.0
    ));
    // An overlap shorter than a line: the line across the edge is never whole.
    assert!(!lines_seen_whole(
        300.0,
        &[(0.0, 120.0), (100.0, 300.0)],
        50.0
    ));
    // The bottom never in view, or the top.
    assert!(!lines_seen_whole(
        300.0,
        &[(0.0, 120.0), (60.0, 200.0)],
        50.0
    ));
    assert!(!lines_seen_whole(300.0, &[(20.0, 300.0)], 50.0));
    assert!(!lines_seen_whole(300.0, &[], 50.0));
}

/// How many threads the sweep uses: one window each. `UKETSUKE_FIT_THREADS` overrides (to
/// measure); else the machine's cores, at most 4.
fn sweep_threads() -> usize {
    std::env::var("UKETSUKE_FIT_THREADS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get().min(4)))
        .max(1)
}

#[test]
fn every_screen_fits_in_every_language_at_every_resolution() {
    let wall = Instant::now();
    let samples = screens_to_sweep();
    let partial = samples.len() != every_screen().len() || large_only();
    if !partial {
        assert!(samples.len() >= 35, "{} screens", samples.len());
        assert!(
            samples.iter().filter(|s| s.staff.is_some()).count() >= 6,
            "staff mode's screens are checked too"
        );
    }
    // The large passes first: they are the slower ones, and the normal ones fill in after.
    let passes: Vec<Pass> = LARGE_LANGUAGES
        .map(|language| Pass {
            language,
            large: true,
        })
        .into_iter()
        .chain(Language::ALL.map(|language| Pass {
            language,
            large: false,
        }))
        .filter(|p| p.large || !large_only())
        .collect();
    let next = AtomicUsize::new(0);
    let threads = sweep_threads().min(passes.len());
    let found: Vec<Found> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| scope.spawn(|| sweep(&passes, &next)))
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).collect()
    });
    let mut problems = Vec::new();
    let mut inks = Inks::new();
    let mut t = Timings::default();
    for (p, i, time) in found {
        problems.extend(p);
        for (key, mut v) in i {
            inks.entry(key).or_default().append(&mut v);
        }
        t.add(&time);
    }
    // Every script is drawn: a blank font would leave far less ink than English.
    let mut keys: Vec<_> = inks.keys().cloned().collect();
    keys.sort();
    for key in keys {
        let of = &inks[&key];
        let ink = |l: Language| of.iter().find(|(x, _)| *x == l).map_or(0, |(_, n)| *n);
        let en = ink(Language::English);
        for &(language, n) in of {
            if (n as f64) < 0.5 * en as f64 {
                let (screen, width, height, large) = &key;
                let large = if *large { "-large" } else { "" };
                problems.push(format!(
                    "{screen}-{width}x{height}{large}: {} draws {n} dark pixels against English {en}: is a font for its script installed (fonts-noto-cjk, fonts-noto-core)?",
                    language.code()
                ));
            }
        }
    }
    // A problem seen again on another page of a scroll area is one problem.
    problems.sort();
    problems.dedup();
    // Large-type frames known not to fit yet: set aside, but never once they fit.
    let mut set_aside: std::collections::BTreeMap<&str, usize> = Default::default();
    // What was set aside, printed (with --nocapture) to see what a listed frame still lacks.
    let mut aside = Vec::new();
    problems.retain(|p| {
        let frame = p.split(':').next().unwrap_or_default();
        match LARGE_NOT_YET_FITTING.iter().find(|(f, _)| *f == frame) {
            Some((f, _)) => {
                *set_aside.entry(f).or_default() += 1;
                aside.push(p.clone());
                false
            }
            None => true,
        }
    });
    for (frame, why) in LARGE_NOT_YET_FITTING {
        let swept = samples.iter().any(|s| {
            frame
                .strip_prefix(&format!("{}-", s.name))
                .is_some_and(|rest| {
                    LARGE_LANGUAGES.iter().any(|l| {
                        rest.strip_prefix(&format!("{}-", l.code()))
                            .is_some_and(|r| r.starts_with(|c: char| c.is_ascii_digit()))
                    })
                })
        });
        if swept && !set_aside.contains_key(frame) {
            problems.push(format!(
                "{frame} fits now (listed as not fitting: {why}): take it off LARGE_NOT_YET_FITTING"
            ));
        }
    }
    aside.sort();
    for p in &aside {
        println!("set aside: {p}");
    }
    println!(
        "{} large-type frames listed as not fitting yet, {} problems set aside",
        LARGE_NOT_YET_FITTING.len(),
        set_aside.values().sum::<usize>()
    );
    let ms = |d: Duration| d.as_millis();
    println!(
        "{} frames checked ({} screens x {} resolutions x ({} languages + {} in large type)) in {} ms on {threads} threads; summed over threads: show {} ms, render {} ms, layout checks {} ms, text pixel checks {} ms, ink {} ms",
        t.frames,
        samples.len(),
        RESOLUTIONS.len(),
        Language::ALL.len(),
        LARGE_LANGUAGES.len(),
        ms(wall.elapsed()),
        ms(t.show),
        ms(t.render),
        ms(t.layout),
        ms(t.text),
        ms(t.ink),
    );
    assert_eq!(
        t.frames,
        samples.len() * passes.len() * RESOLUTIONS.len(),
        "every pass ran"
    );
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}
