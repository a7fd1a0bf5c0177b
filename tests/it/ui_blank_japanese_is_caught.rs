//! Without a CJK font Slint draws Japanese as nothing at all, with no error. This proves the
//! "Japanese ink" check used by the every-screen test notices: on a machine whose fontconfig
//! knows only DejaVu, the Japanese welcome screen has far less ink than the English one.

use std::path::Path;
use std::process::Command;

fn ink_of_png(path: &Path) -> usize {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!(info.color_type, png::ColorType::Rgb);
    // The same measure the every-screen test applies.
    uketsuke::ui::render::text_ink(&buf[..info.buffer_size()])
}

fn welcome_ink(fontconfig_file: Option<&Path>, out: &Path) -> (usize, usize) {
    let mut inks = Vec::new();
    for lang in ["ja", "en"] {
        let name = format!("welcome-{lang}-1080x1920");
        let mut command = Command::new(env!("CARGO_BIN_EXE_uketsuke"));
        command
            .args(["screenshots", "--only", &name, "--out"])
            .arg(out);
        if let Some(file) = fontconfig_file {
            command.env("FONTCONFIG_FILE", file);
        }
        let run = command.output().unwrap();
        assert!(
            run.status.success(),
            "{}",
            String::from_utf8_lossy(&run.stderr)
        );
        inks.push(ink_of_png(&out.join(format!("{name}.png"))));
    }
    (inks[0], inks[1])
}

#[test]
fn japanese_without_a_cjk_font_is_noticed_by_the_ink_check() {
    let dejavu = Path::new("/usr/share/fonts/truetype/dejavu");
    assert!(
        dejavu.is_dir(),
        "fonts-dejavu-core is missing (scripts/deps installs it)"
    );
    let dir = tempfile::tempdir().unwrap();
    let with_fonts = dir.path().join("with");
    let without = dir.path().join("without");
    let (ja, en) = welcome_ink(None, &with_fonts);
    assert!(ja * 2 >= en, "with fonts-noto-cjk: ja {ja} against en {en}");

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
    let (ja_blank, en_latin) = welcome_ink(Some(&conf), &without);
    println!("ink with CJK font: ja {ja} en {en}; with DejaVu only: ja {ja_blank} en {en_latin}");
    assert!(en_latin > 0, "English must still be drawn with DejaVu");
    assert!(
        ja_blank * 2 < en_latin,
        "the check would miss blank Japanese: ja {ja_blank} against en {en_latin}"
    );
}
