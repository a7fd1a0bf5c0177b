//! What a patient reads on a catalogue screen: the accessible labels of the rendered views, in
//! one language. Every text, notice and button in `ui/` carries its words as its label (a
//! notice's with a leading "! ", dropped here), so the labels are the words on the screen.

use i_slint_backend_testing::ElementQuery;
use uketsuke::ui::Language;
use uketsuke::ui::catalogue::Sample;
use uketsuke::ui::render::Headless;

/// The distinct non-empty labels of everything laid out with a size on `sample`'s screen in
/// `language`, in tree order.
pub fn on_screen(h: &mut Headless, sample: &Sample, language: Language) -> Vec<String> {
    h.show(sample, language);
    h.render();
    let mut out: Vec<String> = Vec::new();
    for e in ElementQuery::from_root(&h.app)
        .match_descendants()
        .find_all()
    {
        if e.size().width <= 0.0 || e.size().height <= 0.0 {
            continue;
        }
        let Some(label) = e.accessible_label() else {
            continue;
        };
        let label = uketsuke_views::phrases::unjoined(&label);
        let label = label.strip_prefix("! ").unwrap_or(&label).trim().to_owned();
        if !label.is_empty() && !out.contains(&label) {
            out.push(label);
        }
    }
    out
}
