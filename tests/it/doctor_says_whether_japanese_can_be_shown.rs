//! `uketsuke doctor` names the Japanese font the screen will use, and says plainly when there is
//! none (Slint would draw Japanese as blanks, silently).

use std::process::Command;

fn doctor(fontconfig_file: Option<&std::path::Path>) -> (bool, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_uketsuke"));
    command.arg("doctor");
    if let Some(file) = fontconfig_file {
        command.env("FONTCONFIG_FILE", file);
    }
    let out = command.output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn doctor_names_the_japanese_font() {
    let (_, out) = doctor(None);
    assert!(
        out.contains("fonts: Japanese: ") && out.contains("Noto Sans CJK JP"),
        "{out}"
    );
}

#[test]
fn doctor_fails_without_a_japanese_font() {
    let dir = tempfile::tempdir().unwrap();
    let conf = dir.path().join("fonts.conf");
    let empty = dir.path().join("no-fonts");
    std::fs::create_dir(&empty).unwrap();
    std::fs::write(
        &conf,
        format!(
            "<?xml version=\"1.0\"?><fontconfig><dir>{}</dir><cachedir>{}</cachedir></fontconfig>",
            empty.display(),
            dir.path().join("cache").display()
        ),
    )
    .unwrap();
    let (ok, out) = doctor(Some(&conf));
    assert!(!ok, "{out}");
    assert!(out.contains("fonts: NO JAPANESE FONT"), "{out}");
    assert!(out.contains("fonts-noto-cjk"), "{out}");
}
