//! Every screen's layout fits the kiosk area in every language at every supported resolution:
//! nothing is squeezed below its minimum size (a translation longer than the English pushes a
//! button or a notice off the screen). Layout only, no drawing, so nine languages cost seconds;
//! `ui_every_screen_fits` draws each screen and checks line breaks, ink and touch sizes.

use uketsuke::ui::Language;
use uketsuke::ui::catalogue::every_screen;
use uketsuke::ui::render::{Headless, RESOLUTIONS};

#[test]
fn every_screen_fits_in_every_language_at_every_resolution() {
    let samples = every_screen();
    let (w0, h0) = RESOLUTIONS[0];
    let mut h = Headless::new(w0, h0).unwrap();
    let mut problems = Vec::new();
    let mut checked = 0;
    for (width, height) in RESOLUTIONS {
        h.resize(width, height);
        // One frame at the new size: the kiosk area tells the theme its size when laid out.
        h.show(&samples[0], Language::Japanese);
        h.render();
        for sample in &samples {
            for language in Language::ALL {
                h.show(sample, language);
                checked += 1;
                let (fits, sizes) = h.fits();
                if !fits {
                    problems.push(format!(
                        "{}-{}-{width}x{height}: content needs {:.0}x{:.0}, screen is {:.0}x{:.0}",
                        sample.name,
                        language.code(),
                        sizes[0],
                        sizes[1],
                        sizes[2],
                        sizes[3]
                    ));
                }
            }
        }
    }
    println!("{checked} layouts checked");
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}
