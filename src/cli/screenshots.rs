//! `uketsuke screenshots`: every screen as PNG, and which ones do not fit.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};

/// The options of `uketsuke screenshots`.
#[derive(Debug, clap::Args)]
pub struct ScreenshotsOptions {
    /// The folder to write to (created if missing).
    #[arg(long)]
    pub out: PathBuf,
    /// Only these, separated by commas, e.g. `welcome-ja-1080x1920,welcome-ko-1080x1920`.
    #[arg(long)]
    pub only: Option<String>,
    /// Large type and high contrast (the patient's "Larger text" button): every file is named
    /// SCREEN-LANG-WxH-large.png, and `--only` takes those names.
    #[arg(long)]
    pub large: bool,
}

/// Writes them, prints how many, and fails naming every screen that does not fit.
pub fn command(options: &ScreenshotsOptions) -> Result<ExitCode> {
    let (written, overflowing) = screenshots(&options.out, options.only.as_deref(), options.large)?;
    println!("{written} screenshots in {}", options.out.display());
    for line in &overflowing {
        eprintln!("uketsuke: does not fit: {line}");
    }
    Ok(if overflowing.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// The screens shown in every language; the others are shown in Japanese
/// and English only, which keeps the count (and the time) small: 9 languages of every screen
/// would be some 2,200 files.
pub const IN_EVERY_LANGUAGE: [&str; 3] = ["welcome", "pin-card", "language-chooser"];

/// The languages `sample` is shot in: every one for [`IN_EVERY_LANGUAGE`], else ja and en.
pub fn languages_of(sample: &str) -> &'static [crate::ui::Language] {
    use crate::ui::Language;
    if IN_EVERY_LANGUAGE.contains(&sample) {
        &Language::ALL
    } else {
        &[Language::Japanese, Language::English]
    }
}

/// `uketsuke screenshots`: every screen in Japanese and English, and the welcome, PIN and
/// language chooser screens in every language, at every supported resolution; with `large`, in
/// large type and high contrast, each name ending in `-large`. Returns the files written and
/// the screens whose content did not fit.
pub fn screenshots(out: &Path, only: Option<&str>, large: bool) -> Result<(usize, Vec<String>)> {
    use crate::ui::catalogue::every_screen;
    use crate::ui::render::{Headless, RESOLUTIONS};
    std::fs::create_dir_all(out)
        .with_context(|| format!("cannot create screenshot folder {}", out.display()))?;
    let samples = every_screen();
    let (w0, h0) = RESOLUTIONS[0];
    let mut headless = Headless::new(w0, h0)?;
    headless.set_large(large);
    // As a default kiosk draws them: with the "Larger text" button where the facility's
    // `large_type` is on (the default); in large type always, the way back to normal text.
    headless.offer_large_type(large || crate::rules::FacilityConfig::default().large_type);
    let suffix = if large { "-large" } else { "" };
    let wanted: Option<Vec<&str>> = only.map(|o| o.split(',').map(str::trim).collect());
    let mut written = 0;
    let mut overflowing = Vec::new();
    for (width, height) in RESOLUTIONS {
        headless.resize(width, height);
        for sample in &samples {
            for &language in languages_of(&sample.name) {
                let name = format!(
                    "{}-{}-{width}x{height}{suffix}",
                    sample.name,
                    language.code()
                );
                if wanted.as_ref().is_some_and(|w| !w.contains(&name.as_str())) {
                    continue;
                }
                headless.show(sample, language);
                headless.render();
                let (fits, sizes) = headless.fits();
                if !fits {
                    overflowing.push(format!(
                        "{name}: needs {:.0}x{:.0} but has {:.0}x{:.0}",
                        sizes[0], sizes[1], sizes[2], sizes[3]
                    ));
                }
                headless.save_png(&out.join(format!("{name}.png")))?;
                written += 1;
            }
        }
    }
    if let Some(wanted) = &wanted
        && written < wanted.len()
    {
        bail!(
            "--only {}: no such screenshot; names are SCREEN-LANG-WxH, e.g. welcome-ja-1080x1920 \
             (with --large: welcome-ja-1080x1920-large)",
            only.unwrap_or_default()
        );
    }
    Ok((written, overflowing))
}
