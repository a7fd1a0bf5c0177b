//! Without a font for its script Slint draws text as nothing at all, with no error. This proves
//! the ink check used by the every-screen test sees it: with the fonts `scripts/deps` installs,
//! the welcome screen in every language draws about as much dark ink as in English; on a
//! machine whose fontconfig knows only DejaVu (Latin), the Japanese, easy Japanese, Chinese,
//! Korean and Nepali welcome screens draw far less. The same holds in large type (its
//! "Normal text" button and every text drawn larger, in pure black).

use std::path::Path;
use std::process::Command;

use uketsuke::ui::Language;

fn ink_of_png(path: &Path) -> usize {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!(info.color_type, png::ColorType::Rgb);
    // The same measure the every-screen test applies.
    uketsuke::ui::render::text_ink(&buf[..info.buffer_size()])
}

/// The welcome screen's ink in each of `languages`, drawn by one `uketsuke screenshots` run,
/// in large type when `large`.
fn welcome_ink(
    fontconfig_file: Option<&Path>,
    out: &Path,
    languages: &[Language],
    large: bool,
) -> Vec<usize> {
    let suffix = if large { "-large" } else { "" };
    let names: Vec<String> = languages
        .iter()
        .map(|l| format!("welcome-{}-1080x1920{suffix}", l.code()))
        .collect();
    let mut command = Command::new(env!("CARGO_BIN_EXE_uketsuke"));
    command
        .args(["screenshots", "--only", &names.join(","), "--out"])
        .arg(out);
    if large {
        command.arg("--large");
    }
    if let Some(file) = fontconfig_file {
        command.env("FONTCONFIG_FILE", file);
    }
    let run = command.output().unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    names
        .iter()
        .map(|name| ink_of_png(&out.join(format!("{name}.png"))))
        .collect()
}

/// The languages drawn in a script DejaVu Sans lacks.
const NOT_LATIN: [Language; 5] = [
    Language::Japanese,
    Language::EasyJapanese,
    Language::SimplifiedChinese,
    Language::Korean,
    Language::Nepali,
];

#[test]
fn text_without_a_font_for_its_script_is_noticed_by_the_ink_check() {
    let dejavu = Path::new("/usr/share/fonts/truetype/dejavu");
    assert!(
        dejavu.is_dir(),
        "fonts-dejavu-core is missing (scripts/deps installs it)"
    );
    let dir = tempfile::tempdir().unwrap();
    let with_fonts = dir.path().join("with");
    let without = dir.path().join("without");
    let inks = welcome_ink(None, &with_fonts, &Language::ALL, false);
    let en = inks[Language::ALL
        .iter()
        .position(|l| *l == Language::English)
        .unwrap()];
    for (language, ink) in Language::ALL.iter().zip(&inks) {
        println!("{}: {ink} dark pixels (en {en})", language.code());
        assert!(
            ink * 2 >= en,
            "{} draws {ink} against English {en}: is its font installed (scripts/deps)?",
            language.code()
        );
    }

    let conf = dir.path().join("fonts.conf");
    std::fs::write(
        &conf,
        format!(
            "<?xml version=\"1.0\"?><fontconfig><dir>{}</dir><cachedir>{}</cachedir></fontconfig>",
            dejavu.display(),
            dir.path().join("cache").display()
        ),
    )
    .unwrap();
    let mut languages = NOT_LATIN.to_vec();
    languages.push(Language::English);
    for large in [false, true] {
        let size = if large { "large type" } else { "normal size" };
        if large {
            // With the fonts, every language's large welcome draws its words.
            let inks = welcome_ink(None, &dir.path().join("with-large"), &languages, true);
            let en = *inks.last().unwrap();
            for (language, ink) in languages.iter().zip(&inks) {
                println!("{} in {size}: {ink} dark pixels (en {en})", language.code());
                assert!(
                    ink * 2 >= en,
                    "{} in {size} draws {ink} against English {en}",
                    language.code()
                );
            }
        }
        let blank = welcome_ink(
            Some(&conf),
            &without.join(if large { "large" } else { "normal" }),
            &languages,
            large,
        );
        let en_latin = *blank.last().unwrap();
        assert!(en_latin > 0, "English must still be drawn with DejaVu");
        for (language, ink) in languages.iter().zip(&blank).take(languages.len() - 1) {
            println!(
                "{} with DejaVu only, {size}: {ink} against English {en_latin}",
                language.code()
            );
            assert!(
                ink * 2 < en_latin,
                "the check would miss blank {} in {size}: {ink} against English {en_latin}",
                language.code()
            );
        }
    }
}
