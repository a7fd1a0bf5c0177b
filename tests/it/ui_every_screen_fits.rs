//! Every screen, in Japanese and English, at every supported resolution, drawn by the software
//! renderer: nothing is squeezed or cut off, every text lies inside the screen, every button
//! is at least 15 mm, and Japanese glyphs really are drawn (a missing CJK font leaves them
//! blank without any error).

use i_slint_backend_testing::{ElementHandle, ElementQuery};
use slint::ComponentHandle;
use uketsuke::ui::catalogue::every_screen;
use uketsuke::ui::render::{Headless, RESOLUTIONS, text_ink};
use uketsuke::ui::{Language, Theme};

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
                // The idle countdown covers the screen on purpose; only its own parts count (the
                // notice, the seconds in large digits, the button).
                let labelled: Vec<_> = if sample.countdown.is_some() {
                    labelled
                        .into_iter()
                        .filter(|(l, _, _)| {
                            l.starts_with("! ")
                                || l == "Continue"
                                || l == "操作を続ける"
                                || l.ends_with(" seconds left")
                                || (l.starts_with("あと") && l.ends_with('秒'))
                        })
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
