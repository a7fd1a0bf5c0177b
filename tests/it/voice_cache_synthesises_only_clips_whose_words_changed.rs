//! `uketsuke voice-cache` run again makes only what changed: a second run synthesises nothing;
//! a clip whose recorded words differ from the views' (as after a translation fix) and a
//! deleted clip file are made again, and nothing else; a file of a clip that no longer exists is
//! removed. Provisioning can therefore run it on every update. English only (espeak-ng and
//! sox, a few seconds), through the real binary; with CI=true a missing tool fails.
//!
//! What it cannot catch: a change of the synthesiser's own version (the manifest records the
//! tool, voice and options, not the tool's version: delete the folder to remake everything).

use std::path::Path;
use std::process::Command;

use uketsuke::voice::speech::Clip;

fn voice_cache(out: &Path) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_uketsuke"))
        .args(["voice-cache", "--lang", "en", "--out"])
        .arg(out)
        .output()
        .expect("the binary runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "voice-cache failed: {stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

fn have(tool: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|d| d.join(tool).is_file()))
}

#[test]
fn a_second_run_makes_only_the_changed_missing_and_removes_the_stale() {
    if !(have("espeak-ng") && have("sox")) {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI=true and espeak-ng or sox is missing (scripts/deps test)"
        );
        eprintln!("NOT RUN (no espeak-ng or sox, and CI is not set)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let all = Clip::all().len();
    let first = voice_cache(dir.path());
    assert!(
        first.contains(&format!("en: {all} synthesised, 0 unchanged")),
        "{first}"
    );

    let again = voice_cache(dir.path());
    assert!(
        again.contains(&format!("en: 0 synthesised, {all} unchanged")),
        "{again}"
    );

    // A translation fix: the manifest's words for "welcome" are no longer the views' words.
    let en = dir.path().join("en");
    let manifest_path = en.join("manifest.json");
    let mut manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&manifest_path).unwrap()).unwrap();
    manifest["welcome.wav"]["text"] = "Old words.".into();
    std::fs::write(&manifest_path, serde_json::to_vec(&manifest).unwrap()).unwrap();
    std::fs::write(en.join("welcome.wav"), b"not a wav").unwrap();
    // A lost file, and a file of a clip that no longer exists.
    std::fs::remove_file(en.join("digit-3.wav")).unwrap();
    std::fs::write(en.join("old-prompt.wav"), b"stale").unwrap();

    let fixed = voice_cache(dir.path());
    assert!(
        fixed.contains(&format!("en: 2 synthesised, {} unchanged", all - 2)),
        "{fixed}"
    );
    assert!(fixed.contains("1 removed"), "{fixed}");
    let remade = hound::WavReader::open(en.join("welcome.wav")).expect("a WAV again");
    assert!(remade.duration() > 48_000, "about 3 s of speech");
    assert!(en.join("digit-3.wav").is_file());
    assert!(!en.join("old-prompt.wav").exists());
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&manifest_path).unwrap()).unwrap();
    assert_ne!(manifest["welcome.wav"]["text"], "Old words.");
}
