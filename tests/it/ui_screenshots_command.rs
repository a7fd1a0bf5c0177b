//! `uketsuke screenshots --out DIR`: every screen in ja and en, and the welcome, PIN and
//! language chooser screens in every language, at every supported resolution, as PNG files
//! named SCREEN-LANG-WxH.png, each of the right size.

use std::process::Command;

use uketsuke::cli::screenshots::languages_of;
use uketsuke::ui::catalogue::every_screen;
use uketsuke::ui::render::RESOLUTIONS;

/// Width and height from a PNG's IHDR chunk.
fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "not a PNG");
    assert_eq!(&bytes[12..16], b"IHDR");
    let be = |b: &[u8]| u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    (be(&bytes[16..20]), be(&bytes[20..24]))
}

#[test]
fn screenshots_writes_every_screen_in_its_languages_at_every_resolution() {
    let out = tempfile::tempdir().unwrap();
    let run = Command::new(env!("CARGO_BIN_EXE_uketsuke"))
        .args(["screenshots", "--out"])
        .arg(out.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{stderr}");
    let screens = every_screen();
    let expected = screens
        .iter()
        .map(|s| languages_of(&s.name).len())
        .sum::<usize>()
        * RESOLUTIONS.len();
    // Nine languages of the welcome, PIN and chooser screens.
    for name in ["welcome", "pin-card", "language-chooser"] {
        assert_eq!(languages_of(name).len(), 9, "{name}");
    }
    assert!(
        String::from_utf8_lossy(&run.stdout).starts_with(&format!("{expected} screenshots in ")),
        "{}",
        String::from_utf8_lossy(&run.stdout)
    );
    for sample in &screens {
        for lang in languages_of(&sample.name).iter().map(|l| l.code()) {
            for (w, h) in RESOLUTIONS {
                let path = out
                    .path()
                    .join(format!("{}-{lang}-{w}x{h}.png", sample.name));
                let bytes =
                    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                assert_eq!(png_size(&bytes), (w, h), "{}", path.display());
            }
        }
    }
    assert_eq!(std::fs::read_dir(out.path()).unwrap().count(), expected);
}

#[test]
fn screenshots_names_an_unknown_screen() {
    let out = tempfile::tempdir().unwrap();
    let run = Command::new(env!("CARGO_BIN_EXE_uketsuke"))
        .args(["screenshots", "--only", "nosuch-ja-1x1", "--out"])
        .arg(out.path())
        .output()
        .unwrap();
    assert!(!run.status.success());
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        stderr.contains("--only nosuch-ja-1x1: no such screenshot"),
        "{stderr}"
    );
}
