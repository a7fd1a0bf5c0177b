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
    /// Only this one, e.g. `welcome-ja-1080x1920`.
    #[arg(long)]
    pub only: Option<String>,
}

/// Writes them, prints how many, and fails naming every screen that does not fit.
pub fn command(options: &ScreenshotsOptions) -> Result<ExitCode> {
    let (written, overflowing) = screenshots(&options.out, options.only.as_deref())?;
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

/// `uketsuke screenshots`: every screen, in both languages, at every supported resolution.
/// Returns the files written and the screens whose content did not fit.
pub fn screenshots(out: &Path, only: Option<&str>) -> Result<(usize, Vec<String>)> {
    use crate::ui::Language;
    use crate::ui::catalogue::every_screen;
    use crate::ui::render::{Headless, RESOLUTIONS};
    std::fs::create_dir_all(out)
        .with_context(|| format!("cannot create screenshot folder {}", out.display()))?;
    let samples = every_screen();
    let (w0, h0) = RESOLUTIONS[0];
    let mut headless = Headless::new(w0, h0)?;
    let mut written = 0;
    let mut overflowing = Vec::new();
    for (width, height) in RESOLUTIONS {
        headless.resize(width, height);
        for sample in &samples {
            for language in Language::ALL {
                let name = format!("{}-{}-{width}x{height}", sample.name, language.code());
                if only.is_some_and(|o| o != name) {
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
    if written == 0
        && let Some(only) = only
    {
        bail!(
            "--only {only}: no such screenshot; names are SCREEN-LANG-WxH, e.g. welcome-ja-1080x1920"
        );
    }
    Ok((written, overflowing))
}
